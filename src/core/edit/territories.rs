//! Edits of territories: add, remove, reshape, properties, hierarchy, rule and type.

use std::collections::HashSet;

use geo::MultiPolygon;

use super::checks::*;
use super::{Edit, TerritoryProps};
use crate::core::engine::Change;
use crate::core::error::{Error, Result};
use crate::core::geometry::normalize;
use crate::core::hierarchy;
use crate::core::model::{Project, Territory, TerritoryId, TerritoryTypeId};
use crate::core::rules::Rule;

/// Applies [`Edit::AddTerritory`]; returns the edit that undoes it.
pub(super) fn add_territory(
    project: &mut Project,
    change: &mut Change,
    territory: Territory,
    position: usize,
) -> Result<Edit> {
    add_territory_known(project, change, territory, position, None)
        .map(|id| Edit::RemoveTerritory { id })
}

/// Ids and names of the plan's territories, kept while a batch adds many
/// territories (an import of 100,000 features), so that each addition is
/// checked in constant time rather than by scanning every territory.
pub(super) struct Known {
    ids: HashSet<u32>,
    names: HashSet<String>,
}

impl Known {
    /// Sets for a batch of many additions that renames nothing (otherwise
    /// `None`: the edits check against the plan one by one).
    pub(super) fn for_batch(project: &Project, edits: &[Edit]) -> Option<Self> {
        let adds = edits
            .iter()
            .filter(|e| matches!(e, Edit::AddTerritory { .. }))
            .count();
        let simple = edits.iter().all(|e| {
            matches!(
                e,
                Edit::AddTerritory { .. } | Edit::AddRep { .. } | Edit::SetGeometry { .. }
            )
        });
        (adds >= 32 && simple).then(|| Self {
            ids: project.territories.iter().map(|t| t.id.0).collect(),
            names: project.territories.iter().map(|t| t.name.clone()).collect(),
        })
    }
}

/// [`add_territory`], checking the id and name against `known` (a
/// batch's sets) instead of scanning the plan when given; returns the
/// added territory's id (its removal undoes it).
pub(super) fn add_territory_known(
    project: &mut Project,
    change: &mut Change,
    mut territory: Territory,
    position: usize,
    known: Option<&mut Known>,
) -> Result<TerritoryId> {
    let exists = match &known {
        Some(k) => k.ids.contains(&territory.id.0),
        None => project.territory(territory.id).is_some(),
    };
    if exists {
        return Err(Error::invalid(format!(
            "territory id {} already exists",
            territory.id
        )));
    }
    match &known {
        Some(k) => check_name_given(&territory.name).and_then(|()| {
            if k.names.contains(&territory.name) {
                Err(name_taken(&territory.name))
            } else {
                Ok(())
            }
        })?,
        None => check_name_free(project, &territory.name, None)?,
    }
    check_type(project, territory.type_id)?;
    check_reps(project, &territory.reps)?;
    if let Some(p) = territory.parent {
        hierarchy::check_parent(project, territory.id, territory.type_id, p)?;
    }
    if let Some(r) = &territory.rule {
        check_rule(project, &territory.name, r)?;
    }
    territory.geometry = normalize(territory.geometry).0;
    let id = territory.id;
    if let Some(k) = known {
        k.ids.insert(id.0);
        k.names.insert(territory.name.clone());
    }
    project.next_territory_id = project.next_territory_id.max(id.0 + 1);
    let pos = position.min(project.territories.len());
    if territory.rule.is_some() {
        change.rules.push(id);
    }
    project.territories.insert(pos, territory);
    change.territories.push(id);
    Ok(id)
}

/// Applies [`Edit::RemoveTerritory`]; returns the edit that undoes it.
pub(super) fn remove_territory(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryId,
) -> Result<Edit> {
    let pos = project.territory_pos(id).ok_or_else(|| unknown(id))?;
    check_unlocked(&project.territories[pos])?;
    let territory = project.territories.remove(pos);
    if territory.rule.is_some() {
        change.rules.push(id);
    }
    // Children move up to the removed territory's parent.
    let children: Vec<TerritoryId> = project
        .territories
        .iter()
        .filter(|t| t.parent == Some(id))
        .map(|t| t.id)
        .collect();
    for t in project.territories.iter_mut() {
        if t.parent == Some(id) {
            t.parent = territory.parent;
        }
    }
    let pinned = project.accounts.pins.accounts_pinned_to(id);
    for &i in &pinned {
        project.accounts.pins.remove(i as usize, id);
    }
    change.territories.push(id);
    change.accounts.extend(&pinned);
    let type_id = territory.type_id;
    let mut undo = vec![Edit::AddTerritory {
        territory,
        position: pos,
    }];
    if !pinned.is_empty() {
        undo.push(Edit::pin_all(type_id, pinned, Some(id)));
    }
    undo.extend(children.into_iter().map(|c| Edit::SetParent {
        id: c,
        parent: Some(id),
    }));
    Ok(Edit::Batch {
        label: "Restore territory".into(),
        edits: undo,
    })
}

/// Applies [`Edit::SetGeometry`]; returns the edit that undoes it.
pub(super) fn set_geometry(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryId,
    geometry: MultiPolygon<f64>,
) -> Result<Edit> {
    let t = project.territory_mut(id).ok_or_else(|| unknown(id))?;
    check_unlocked(t)?;
    let old = std::mem::replace(&mut t.geometry, normalize(geometry).0);
    change.territories.push(id);
    Ok(Edit::SetGeometry { id, geometry: old })
}

/// Applies [`Edit::SetTerritoryProps`]; returns the edit that undoes it.
pub(super) fn set_territory_props(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryId,
    props: TerritoryProps,
) -> Result<Edit> {
    check_name_free(project, &props.name, Some(id))?;
    check_reps(project, &props.reps)?;
    let t = project.territory_mut(id).ok_or_else(|| unknown(id))?;
    let old = TerritoryProps::of(t);
    if old.priority != props.priority {
        change.territories.push(id);
    }
    t.name = props.name;
    t.color = props.color;
    t.color_picked = props.color_picked;
    t.priority = props.priority;
    t.reps = props.reps;
    t.locked = props.locked;
    Ok(Edit::SetTerritoryProps { id, props: old })
}

/// Applies [`Edit::SetParent`]; returns the edit that undoes it.
pub(super) fn set_parent(
    project: &mut Project,
    id: TerritoryId,
    parent: Option<TerritoryId>,
) -> Result<Edit> {
    let t = project.territory(id).ok_or_else(|| unknown(id))?;
    if let Some(p) = parent {
        hierarchy::check_parent(project, id, t.type_id, p)?;
    }
    let t = project.territory_mut(id).expect("checked");
    let old = std::mem::replace(&mut t.parent, parent);
    Ok(Edit::SetParent { id, parent: old })
}

/// Applies [`Edit::SetRule`]; returns the edit that undoes it.
pub(super) fn set_rule(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryId,
    rule: Option<Rule>,
) -> Result<Edit> {
    let t = project.territory(id).ok_or_else(|| unknown(id))?;
    check_unlocked(t)?;
    if let Some(r) = &rule {
        check_rule(project, &t.name, r)?;
    }
    let t = project.territory_mut(id).expect("checked");
    let old = std::mem::replace(&mut t.rule, rule.map(Box::new));
    change.rules.push(id);
    Ok(Edit::SetRule {
        id,
        rule: old.map(|r| *r),
    })
}

/// Applies [`Edit::SetTerritoryType`]; returns the edit that undoes it.
pub(super) fn set_territory_type(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryId,
    type_id: TerritoryTypeId,
) -> Result<Edit> {
    let t = project.territory(id).ok_or_else(|| unknown(id))?;
    check_type(project, type_id)?;
    if let Some(p) = t.parent.and_then(|p| project.territory(p)) {
        return Err(Error::invalid(format!(
            "'{}' takes the type of its parent '{}'; change the type of the top of its hierarchy instead",
            t.name, p.name
        )));
    }
    let old = t.type_id;
    let subtree = hierarchy::subtree(project, id);
    // An account pinned both to a moved territory and to one
    // already of the new type would hold two pins in one type:
    // the pin it already had there stays, the moved one goes.
    let dropped = if old == type_id {
        Vec::new()
    } else {
        let types = project.types_of_territories();
        let pins = &mut project.accounts.pins;
        let clashing: Vec<(u32, TerritoryId)> = pins
            .iter()
            .filter(|(i, t)| {
                subtree.contains(t) && pins.find(*i, |p| types.get(&p) == Some(&type_id)).is_some()
            })
            .map(|(i, t)| (i as u32, t))
            .collect();
        for &(i, t) in &clashing {
            pins.remove(i as usize, t);
        }
        clashing
    };
    for t in project.territories.iter_mut() {
        if subtree.contains(&t.id) {
            t.type_id = type_id;
            if t.rule.is_some() {
                change.rules.push(t.id);
            }
        }
    }
    change.territories.extend(&subtree);
    change.accounts.extend(dropped.iter().map(|(i, _)| *i));
    let back = Edit::SetTerritoryType { id, type_id: old };
    Ok(if dropped.is_empty() {
        back
    } else {
        let mut edits = vec![back];
        edits.extend(dropped.into_iter().map(|(i, t)| Edit::SetPins {
            type_id: old,
            accounts: vec![i],
            pins: vec![Some(t)],
        }));
        Edit::Batch {
            label: "Restore type and pins".into(),
            edits,
        }
    })
}

/// Applies [`Edit::SetQuotas`]; returns the edit that undoes it.
pub(super) fn set_quotas(
    project: &mut Project,
    territories: Vec<TerritoryId>,
    quotas: Vec<Option<f64>>,
) -> Result<Edit> {
    check_lengths(territories.len(), quotas.len())?;
    if let Some(q) = quotas
        .iter()
        .flatten()
        .find(|q| !q.is_finite() || **q < 0.0)
    {
        return Err(Error::invalid(format!(
            "a quota must be zero or more, not {q}"
        )));
    }
    if let Some(t) = territories
        .iter()
        .find(|t| project.territory(**t).is_none())
    {
        return Err(unknown(*t));
    }
    let mut old = Vec::with_capacity(quotas.len());
    for (&id, q) in territories.iter().zip(quotas) {
        if let Some(t) = project.territory_mut(id) {
            old.push(std::mem::replace(&mut t.quota, q));
        }
    }
    Ok(Edit::SetQuotas {
        territories,
        quotas: old,
    })
}
