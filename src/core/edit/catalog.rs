//! Edits of the plan's catalogues and settings: territory types, reps, balance settings.

use super::checks::*;
use super::{Edit, TerritoryProps};
use crate::core::engine::Change;
use crate::core::error::{Error, Result};
use crate::core::model::{PlanSettings, Project, Rep, RepId, TerritoryType, TerritoryTypeId};

/// Applies [`Edit::SetSettings`]; returns the edit that undoes it.
pub(super) fn set_settings(
    project: &mut Project,
    change: &mut Change,
    settings: PlanSettings,
) -> Result<Edit> {
    if settings.tolerance_pct.is_nan() || settings.tolerance_pct < 0.0 {
        return Err(Error::invalid("tolerance must be zero or more"));
    }
    if !(settings.nearest_km.is_finite() && settings.nearest_km >= 0.0) {
        return Err(Error::invalid(
            "the nearest-territory distance must be zero (off) or more kilometres",
        ));
    }
    // Assigning to the nearest territory (or no longer) can move any
    // account outside the boundaries.
    change.all |= settings.nearest_km != project.settings.nearest_km;
    Ok(Edit::SetSettings {
        settings: Box::new(std::mem::replace(&mut project.settings, settings)),
    })
}

/// Applies [`Edit::AddType`]; returns the edit that undoes it.
pub(super) fn add_type(
    project: &mut Project,
    change: &mut Change,
    ty: TerritoryType,
    position: usize,
) -> Result<Edit> {
    if project.territory_type(ty.id).is_some() {
        return Err(Error::invalid(format!(
            "territory type id {} already exists",
            ty.id.0
        )));
    }
    check_unique_name(
        "territory type",
        &ty.name,
        project.types.iter().map(|t| (t.id.0, t.name.as_str())),
        None,
    )?;
    let id = ty.id;
    let pos = position.min(project.types.len());
    project.types.insert(pos, ty);
    change.types = true;
    Ok(Edit::RemoveType { id })
}

/// Applies [`Edit::RemoveType`]; returns the edit that undoes it.
pub(super) fn remove_type(
    project: &mut Project,
    change: &mut Change,
    id: TerritoryTypeId,
) -> Result<Edit> {
    let pos = project
        .types
        .iter()
        .position(|t| t.id == id)
        .ok_or_else(|| Error::invalid(format!("no territory type with id {}", id.0)))?;
    let name = project.types[pos].name.clone();
    if project.types.len() == 1 {
        return Err(Error::invalid(format!(
            "'{name}' is the only territory type; a plan needs one"
        )));
    }
    if let Some((scen, t)) = project.all_territories().find(|(_, t)| t.type_id == id) {
        return Err(Error::invalid(format!(
            "territory type '{name}' is used by '{}' (scenario '{}'); move or delete those territories first",
            t.name, scen.name
        )));
    }
    let ty = project.types.remove(pos);
    change.types = true;
    Ok(Edit::AddType { ty, position: pos })
}

/// Applies [`Edit::SetType`]; returns the edit that undoes it.
pub(super) fn set_type(
    project: &mut Project,
    change: &mut Change,
    ty: TerritoryType,
) -> Result<Edit> {
    check_unique_name(
        "territory type",
        &ty.name,
        project.types.iter().map(|t| (t.id.0, t.name.as_str())),
        Some(ty.id.0),
    )?;
    let slot = project
        .types
        .iter_mut()
        .find(|t| t.id == ty.id)
        .ok_or_else(|| Error::invalid(format!("no territory type with id {}", ty.id.0)))?;
    change.types = true;
    Ok(Edit::SetType {
        ty: std::mem::replace(slot, ty),
    })
}

/// Applies [`Edit::AddRep`]; returns the edit that undoes it.
pub(super) fn add_rep(project: &mut Project, rep: Rep, position: usize) -> Result<Edit> {
    if project.rep(rep.id).is_some() {
        return Err(Error::invalid(format!(
            "rep id {} already exists",
            rep.id.0
        )));
    }
    check_rep(project, &rep, None)?;
    let id = rep.id;
    let pos = position.min(project.reps.len());
    project.reps.insert(pos, rep);
    Ok(Edit::RemoveRep { id })
}

/// Applies [`Edit::RemoveRep`]; returns the edit that undoes it.
pub(super) fn remove_rep(project: &mut Project, id: RepId) -> Result<Edit> {
    let pos = project
        .reps
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| Error::invalid(format!("no rep with id {}", id.0)))?;
    if let Some(s) = project.scenarios.iter().find(|s| {
        s.stored
            .as_ref()
            .is_some_and(|p| p.territories.iter().any(|t| t.reps.contains(&id)))
    }) {
        return Err(Error::invalid(format!(
            "rep '{}' still works territories in scenario '{}'; take them off there first",
            project.reps[pos].name, s.name
        )));
    }
    let mut undo = Vec::new();
    for t in project.territories.iter_mut() {
        if t.reps.contains(&id) {
            undo.push((t.id, TerritoryProps::of(t)));
            t.reps.retain(|r| *r != id);
        }
    }
    let rep = project.reps.remove(pos);
    let mut edits = vec![Edit::AddRep { rep, position: pos }];
    edits.extend(
        undo.into_iter()
            .map(|(id, props)| Edit::SetTerritoryProps { id, props }),
    );
    Ok(Edit::Batch {
        label: "Restore rep".into(),
        edits,
    })
}

/// Applies [`Edit::SetRep`]; returns the edit that undoes it.
pub(super) fn set_rep(project: &mut Project, rep: Rep) -> Result<Edit> {
    check_rep(project, &rep, Some(rep.id))?;
    let slot = project
        .reps
        .iter_mut()
        .find(|r| r.id == rep.id)
        .ok_or_else(|| Error::invalid(format!("no rep with id {}", rep.id.0)))?;
    Ok(Edit::SetRep {
        rep: std::mem::replace(slot, rep),
    })
}
