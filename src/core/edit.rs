//! Edits: every change a user can make to a plan, with its inverse.
//!
//! The window, the CLI, undo/redo and autosave all go through
//! [`Edit::apply`], which changes the [`Project`], returns the edit that
//! undoes it (a delta, never a copy of the plan) and a [`Change`] telling
//! the engine what to recompute.

use std::collections::HashSet;

use geo::MultiPolygon;

use super::engine::Change;
use super::error::{Error, Result};
use super::geometry::normalize;
use super::model::{
    AccountRow, LocationSource, PlanSettings, Project, Rep, RepId, Scenario, ScenarioId,
    ScenarioState, Territory, TerritoryId, TerritoryType, TerritoryTypeId,
};
use super::rules::Rule;
use super::{hierarchy, scenario};

/// The editable properties of a territory, besides its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct TerritoryProps {
    /// Display name (unique in the plan).
    pub name: String,
    /// Fill color.
    pub color: [u8; 3],
    /// Overlap precedence.
    pub priority: i32,
    /// The reps who work it.
    pub reps: Vec<RepId>,
    /// Locked against tools.
    pub locked: bool,
}

impl TerritoryProps {
    /// The current properties of `t`.
    pub fn of(t: &Territory) -> Self {
        Self {
            name: t.name.clone(),
            color: t.color,
            priority: t.priority,
            reps: t.reps.clone(),
            locked: t.locked,
        }
    }
}

/// One change to a plan. See the module docs.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Inserts a territory at `position` in the list (clamped).
    AddTerritory {
        /// The territory, with an id not yet in the plan.
        territory: Territory,
        /// Position in the territory list.
        position: usize,
    },
    /// Removes a territory; accounts pinned to it lose the pin.
    RemoveTerritory {
        /// Which one.
        id: TerritoryId,
    },
    /// Replaces a territory's boundary.
    SetGeometry {
        /// Which territory.
        id: TerritoryId,
        /// The new boundary (lon/lat).
        geometry: MultiPolygon<f64>,
    },
    /// Changes name, color, priority, rep or lock.
    SetTerritoryProps {
        /// Which territory.
        id: TerritoryId,
        /// The new properties.
        props: TerritoryProps,
    },
    /// Pins accounts to territories of one type, or unpins them in that
    /// type (`None`); their pins in other types stay (an account has at
    /// most one pin per type).
    SetPins {
        /// The type whose pins change; every target must be of it.
        type_id: TerritoryTypeId,
        /// Account indices.
        accounts: Vec<u32>,
        /// The pin of each account in that type.
        pins: Vec<Option<TerritoryId>>,
    },
    /// Moves accounts (or clears their location with `None`).
    SetLocations {
        /// Account indices.
        accounts: Vec<u32>,
        /// `(lon, lat)` of each account.
        locations: Vec<Option<(f64, f64)>>,
    },
    /// Appends accounts (their measures/attributes follow the plan's schema).
    AddAccounts {
        /// The new rows.
        rows: Vec<AccountRow>,
    },
    /// Removes (`true`) or restores (`false`) accounts.
    SetRemoved {
        /// Account indices.
        accounts: Vec<u32>,
        /// The new state.
        removed: bool,
    },
    /// Changes the balance measure or tolerance.
    SetSettings {
        /// The new settings.
        settings: PlanSettings,
    },
    /// Moves a territory under another one (`None` = make it a root).
    /// Refused when it would create a cycle or cross territory types.
    SetParent {
        /// Which territory.
        id: TerritoryId,
        /// Its new parent.
        parent: Option<TerritoryId>,
    },
    /// Sets or clears a territory's assignment rule (refused when the rule
    /// has validation problems).
    SetRule {
        /// Which territory.
        id: TerritoryId,
        /// The new rule.
        rule: Option<Rule>,
    },
    /// Moves a root territory, with its whole subtree, to another type.
    SetTerritoryType {
        /// The root of the subtree.
        id: TerritoryId,
        /// The new type.
        type_id: TerritoryTypeId,
    },
    /// Adds a territory type.
    AddType {
        /// The type, with an id not yet in the project.
        ty: TerritoryType,
        /// Position in the type list.
        position: usize,
    },
    /// Removes a territory type no territory (in any scenario) uses.
    RemoveType {
        /// Which one.
        id: TerritoryTypeId,
    },
    /// Renames or re-prioritises a type (matched by id).
    SetType {
        /// The new name and priority.
        ty: TerritoryType,
    },
    /// Adds a rep.
    AddRep {
        /// The rep, with an id not yet in the project.
        rep: Rep,
        /// Position in the rep list.
        position: usize,
    },
    /// Removes a rep; the active scenario's territories lose it (refused
    /// while another scenario still uses the rep).
    RemoveRep {
        /// Which one.
        id: RepId,
    },
    /// Changes a rep's details (matched by id).
    SetRep {
        /// The new details.
        rep: Rep,
    },
    /// Adds an inactive scenario (a clone is one of these).
    AddScenario {
        /// The scenario, with its stored plan.
        scenario: Scenario,
        /// Position in the scenario list.
        position: usize,
    },
    /// Removes an inactive scenario.
    RemoveScenario {
        /// Which one.
        id: ScenarioId,
    },
    /// Renames a scenario or changes its state.
    SetScenarioMeta {
        /// Which one.
        id: ScenarioId,
        /// New name (unique).
        name: String,
        /// New state.
        state: ScenarioState,
    },
    /// Makes another scenario the one shown and edited.
    SwitchScenario {
        /// The scenario to show.
        to: ScenarioId,
    },
    /// Several edits applied in order, undone as one.
    Batch {
        /// Name shown in the history.
        label: String,
        /// The edits.
        edits: Vec<Edit>,
    },
}

impl Edit {
    /// Pins every account in `accounts` to `territory` in type `type_id`
    /// (`None` unpins them in that type).
    pub fn pin_all(
        type_id: TerritoryTypeId,
        accounts: Vec<u32>,
        territory: Option<TerritoryId>,
    ) -> Self {
        let pins = vec![territory; accounts.len()];
        Edit::SetPins {
            type_id,
            accounts,
            pins,
        }
    }

    /// Pins every account in `accounts` to territory `to` (in its type).
    /// Errors when `to` is not in the plan.
    pub fn pin_to(project: &Project, accounts: Vec<u32>, to: TerritoryId) -> Result<Self> {
        let t = project.territory(to).ok_or_else(|| unknown(to))?;
        Ok(Self::pin_all(t.type_id, accounts, Some(to)))
    }

    /// A short name for the history panel.
    pub fn label(&self, project: &Project) -> String {
        let tname = |id: &TerritoryId| {
            project
                .territory(*id)
                .map_or_else(|| id.to_string(), |t| format!("'{}'", t.name))
        };
        match self {
            Edit::AddTerritory { territory, .. } => format!("Add territory '{}'", territory.name),
            Edit::RemoveTerritory { id } => format!("Delete territory {}", tname(id)),
            Edit::SetGeometry { id, .. } => format!("Reshape {}", tname(id)),
            Edit::SetTerritoryProps { id, props } => match project.territory(*id) {
                Some(t) if t.name != props.name => {
                    format!("Rename '{}' to '{}'", t.name, props.name)
                }
                Some(t) if t.locked != props.locked => {
                    format!(
                        "{} '{}'",
                        if props.locked { "Lock" } else { "Unlock" },
                        t.name
                    )
                }
                _ => format!("Change {}", tname(id)),
            },
            Edit::SetPins {
                type_id,
                accounts,
                pins,
            } => {
                // Name the type when the plan has several.
                let in_type = match project.territory_type(*type_id) {
                    Some(ty) if project.types.len() > 1 => format!(" in {}", ty.name),
                    _ => String::new(),
                };
                match pins.first() {
                    Some(Some(t)) if pins.iter().all(|p| p == &pins[0]) => {
                        format!("Move {} account(s) to {}", accounts.len(), tname(t))
                    }
                    Some(None) if pins.iter().all(|p| p.is_none()) => {
                        format!("Unpin {} account(s){in_type}", accounts.len())
                    }
                    _ => format!("Change pins of {} account(s){in_type}", accounts.len()),
                }
            }
            Edit::SetLocations { accounts, .. } => {
                format!("Relocate {} account(s)", accounts.len())
            }
            Edit::AddAccounts { rows } => format!("Add {} account(s)", rows.len()),
            Edit::SetRemoved {
                accounts,
                removed: true,
            } => format!("Remove {} account(s)", accounts.len()),
            Edit::SetRemoved {
                accounts,
                removed: false,
            } => format!("Restore {} account(s)", accounts.len()),
            Edit::SetSettings { settings } => format!("Balance on {}", settings.balance),
            Edit::SetParent { id, parent } => match parent {
                Some(p) => format!("Move {} under {}", tname(id), tname(p)),
                None => format!("Make {} a top-level territory", tname(id)),
            },
            Edit::SetRule { id, rule: Some(_) } => format!("Set the rule of {}", tname(id)),
            Edit::SetRule { id, rule: None } => format!("Clear the rule of {}", tname(id)),
            Edit::SetTerritoryType { id, type_id } => format!(
                "Move {} to type '{}'",
                tname(id),
                project
                    .territory_type(*type_id)
                    .map_or("?", |t| t.name.as_str())
            ),
            Edit::AddType { ty, .. } => format!("Add territory type '{}'", ty.name),
            Edit::RemoveType { id } => format!(
                "Delete territory type '{}'",
                project.territory_type(*id).map_or("?", |t| t.name.as_str())
            ),
            Edit::SetType { ty } => format!("Change territory type '{}'", ty.name),
            Edit::AddRep { rep, .. } => format!("Add rep '{}'", rep.name),
            Edit::RemoveRep { id } => format!(
                "Delete rep '{}'",
                project.rep(*id).map_or("?", |r| r.name.as_str())
            ),
            Edit::SetRep { rep } => format!("Change rep '{}'", rep.name),
            Edit::AddScenario { scenario, .. } => format!("Add scenario '{}'", scenario.name),
            Edit::RemoveScenario { id } => format!(
                "Delete scenario '{}'",
                project.scenario(*id).map_or("?", |s| s.name.as_str())
            ),
            Edit::SetScenarioMeta { id, name, state } => match project.scenario(*id) {
                Some(s) if s.name != *name => format!("Rename scenario '{}' to '{name}'", s.name),
                Some(s) => format!("Set scenario '{}' to {state}", s.name),
                None => format!("Change scenario '{name}'"),
            },
            Edit::SwitchScenario { to } => format!(
                "Switch to scenario '{}'",
                project.scenario(*to).map_or("?", |s| s.name.as_str())
            ),
            Edit::Batch { label, .. } => label.clone(),
        }
    }

    /// Applies the edit. On success returns the inverse edit and what
    /// changed; on error the project is unchanged.
    pub fn apply(self, project: &mut Project) -> Result<(Edit, Change)> {
        check_writable(project, &self)?;
        let mut change = Change::default();
        let inverse = match self {
            Edit::AddTerritory {
                territory,
                position,
            } => add_territory(project, territory, position, &mut change, None)?,
            Edit::RemoveTerritory { id } => {
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
                Edit::Batch {
                    label: "Restore territory".into(),
                    edits: undo,
                }
            }
            Edit::SetGeometry { id, geometry } => {
                let t = project.territory_mut(id).ok_or_else(|| unknown(id))?;
                check_unlocked(t)?;
                let old = std::mem::replace(&mut t.geometry, normalize(geometry).0);
                change.territories.push(id);
                Edit::SetGeometry { id, geometry: old }
            }
            Edit::SetTerritoryProps { id, props } => {
                check_name_free(project, &props.name, Some(id))?;
                check_reps(project, &props.reps)?;
                let t = project.territory_mut(id).ok_or_else(|| unknown(id))?;
                let old = TerritoryProps::of(t);
                if old.priority != props.priority {
                    change.territories.push(id);
                }
                t.name = props.name;
                t.color = props.color;
                t.priority = props.priority;
                t.reps = props.reps;
                t.locked = props.locked;
                Edit::SetTerritoryProps { id, props: old }
            }
            Edit::SetPins {
                type_id,
                accounts,
                pins,
            } => {
                check_lengths(accounts.len(), pins.len())?;
                check_accounts(project, &accounts)?;
                let ty = project
                    .territory_type(type_id)
                    .ok_or_else(|| {
                        Error::invalid(format!("no territory type with id {}", type_id.0))
                    })?
                    .name
                    .clone();
                // Distinct targets first: a lasso drop pins thousands of
                // accounts to the same territory.
                let targets: std::collections::BTreeSet<TerritoryId> =
                    pins.iter().flatten().copied().collect();
                for &t in &targets {
                    let t = project.territory(t).ok_or_else(|| unknown(t))?;
                    if t.type_id != type_id {
                        return Err(Error::invalid(format!(
                            "'{}' is not a territory of type '{ty}'",
                            t.name
                        )));
                    }
                }
                let types = project.types_of_territories();
                let in_type = |t: TerritoryId| types.get(&t) == Some(&type_id);
                let a = &mut project.accounts;
                let old: Vec<_> = accounts
                    .iter()
                    .map(|&i| a.pins.find(i as usize, in_type))
                    .collect();
                for (&i, p) in accounts.iter().zip(pins) {
                    let i = i as usize;
                    a.pins.retain(i, |t| !in_type(t));
                    if let Some(p) = p {
                        a.pins.insert(i, p);
                    }
                }
                change.accounts.extend(&accounts);
                Edit::SetPins {
                    type_id,
                    accounts,
                    pins: old,
                }
            }
            Edit::SetLocations {
                accounts,
                locations,
            } => {
                check_lengths(accounts.len(), locations.len())?;
                check_accounts(project, &accounts)?;
                if let Some((lon, lat)) = locations
                    .iter()
                    .flatten()
                    .find(|(lon, lat)| !(lon.abs() <= 180.0 && lat.abs() <= 90.0))
                {
                    return Err(Error::invalid(format!(
                        "location ({lon}, {lat}) is out of range"
                    )));
                }
                let a = &mut project.accounts;
                let old: Vec<_> = accounts
                    .iter()
                    .map(|&i| {
                        a.is_located(i as usize)
                            .then(|| (a.lon[i as usize], a.lat[i as usize]))
                    })
                    .collect();
                for (&i, l) in accounts.iter().zip(locations) {
                    let i = i as usize;
                    let (lon, lat) = l.unwrap_or((f64::NAN, f64::NAN));
                    a.lon[i] = lon;
                    a.lat[i] = lat;
                    a.source[i] = match (l, a.source[i]) {
                        (None, _) => LocationSource::Unlocated,
                        (Some(_), LocationSource::Unlocated) => LocationSource::Coordinates,
                        (Some(_), s) => s,
                    };
                }
                change.accounts.extend(&accounts);
                change.relocated.extend(&accounts);
                Edit::SetLocations {
                    accounts,
                    locations: old,
                }
            }
            Edit::AddAccounts { rows } => {
                let a = &project.accounts;
                for r in &rows {
                    if r.measures.len() != a.measures.len()
                        || r.attributes.len() != a.attributes.len()
                    {
                        return Err(Error::invalid(format!(
                            "account '{}' has {} measures and {} attributes; the plan has {} and {}",
                            r.id,
                            r.measures.len(),
                            r.attributes.len(),
                            a.measures.len(),
                            a.attributes.len()
                        )));
                    }
                }
                let first = project.accounts.len() as u32;
                for r in &rows {
                    project.accounts.push(r);
                }
                change.accounts_added = true;
                Edit::SetRemoved {
                    accounts: (first..first + rows.len() as u32).collect(),
                    removed: true,
                }
            }
            Edit::SetRemoved { accounts, removed } => {
                if accounts
                    .iter()
                    .any(|&i| i as usize >= project.accounts.len())
                {
                    return Err(Error::invalid("no such account"));
                }
                let changed: Vec<u32> = accounts
                    .into_iter()
                    .filter(|&i| project.accounts.removed[i as usize] != removed)
                    .collect();
                for &i in &changed {
                    project.accounts.removed[i as usize] = removed;
                }
                change.accounts.extend(&changed);
                Edit::SetRemoved {
                    accounts: changed,
                    removed: !removed,
                }
            }
            Edit::SetSettings { settings } => {
                settings.check().map_err(Error::invalid)?;
                Edit::SetSettings {
                    settings: std::mem::replace(&mut project.settings, settings),
                }
            }
            Edit::SetParent { id, parent } => {
                let t = project.territory(id).ok_or_else(|| unknown(id))?;
                if let Some(p) = parent {
                    hierarchy::check_parent(project, id, t.type_id, p)?;
                }
                let t = project.territory_mut(id).expect("checked");
                let old = std::mem::replace(&mut t.parent, parent);
                Edit::SetParent { id, parent: old }
            }
            Edit::SetRule { id, rule } => {
                let t = project.territory(id).ok_or_else(|| unknown(id))?;
                check_unlocked(t)?;
                if let Some(r) = &rule {
                    check_rule(project, &t.name, r)?;
                }
                let t = project.territory_mut(id).expect("checked");
                let old = std::mem::replace(&mut t.rule, rule);
                change.rules.push(id);
                Edit::SetRule { id, rule: old }
            }
            Edit::SetTerritoryType { id, type_id } => {
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
                            subtree.contains(t)
                                && pins.find(*i, |p| types.get(&p) == Some(&type_id)).is_some()
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
                if dropped.is_empty() {
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
                }
            }
            Edit::AddType { ty, position } => {
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
                Edit::RemoveType { id }
            }
            Edit::RemoveType { id } => {
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
                if let Some((scen, t)) =
                    scenario::all_territories(project).find(|(_, t)| t.type_id == id)
                {
                    return Err(Error::invalid(format!(
                        "territory type '{name}' is used by '{}' (scenario '{}'); move or delete those territories first",
                        t.name, scen.name
                    )));
                }
                let ty = project.types.remove(pos);
                change.types = true;
                Edit::AddType { ty, position: pos }
            }
            Edit::SetType { ty } => {
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
                    .ok_or_else(|| {
                        Error::invalid(format!("no territory type with id {}", ty.id.0))
                    })?;
                change.types = true;
                Edit::SetType {
                    ty: std::mem::replace(slot, ty),
                }
            }
            Edit::AddRep { rep, position } => {
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
                Edit::RemoveRep { id }
            }
            Edit::RemoveRep { id } => {
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
                Edit::Batch {
                    label: "Restore rep".into(),
                    edits,
                }
            }
            Edit::SetRep { rep } => {
                check_rep(project, &rep, Some(rep.id))?;
                let slot = project
                    .reps
                    .iter_mut()
                    .find(|r| r.id == rep.id)
                    .ok_or_else(|| Error::invalid(format!("no rep with id {}", rep.id.0)))?;
                Edit::SetRep {
                    rep: std::mem::replace(slot, rep),
                }
            }
            Edit::AddScenario { scenario, position } => {
                if project.scenario(scenario.id).is_some() {
                    return Err(Error::invalid(format!(
                        "scenario id {} already exists",
                        scenario.id.0
                    )));
                }
                check_scenario_name(project, &scenario.name, None)?;
                let Some(plan) = &scenario.stored else {
                    return Err(Error::invalid("a new scenario needs its plan"));
                };
                // Ids are shared by all scenarios and never reused.
                if let Some(max) = plan.territories.iter().map(|t| t.id.0 + 1).max() {
                    project.next_territory_id = project.next_territory_id.max(max);
                }
                let id = scenario.id;
                let pos = position.min(project.scenarios.len());
                project.scenarios.insert(pos, scenario);
                Edit::RemoveScenario { id }
            }
            Edit::RemoveScenario { id } => {
                let pos = project
                    .scenarios
                    .iter()
                    .position(|s| s.id == id)
                    .ok_or_else(|| Error::invalid(format!("no scenario with id {}", id.0)))?;
                if id == project.active_scenario {
                    return Err(Error::invalid(format!(
                        "'{}' is the scenario being shown; switch to another one before deleting it",
                        project.scenarios[pos].name
                    )));
                }
                let scenario = project.scenarios.remove(pos);
                Edit::AddScenario {
                    scenario,
                    position: pos,
                }
            }
            Edit::SetScenarioMeta { id, name, state } => {
                check_scenario_name(project, &name, Some(id))?;
                let s = project
                    .scenarios
                    .iter_mut()
                    .find(|s| s.id == id)
                    .ok_or_else(|| Error::invalid(format!("no scenario with id {}", id.0)))?;
                Edit::SetScenarioMeta {
                    id,
                    name: std::mem::replace(&mut s.name, name.trim().to_owned()),
                    state: std::mem::replace(&mut s.state, state),
                }
            }
            Edit::SwitchScenario { to } => {
                let from = scenario::switch(project, to)?;
                change.all = true;
                Edit::SwitchScenario { to: from }
            }
            Edit::Batch { label, edits } => {
                let mut undo = Vec::with_capacity(edits.len());
                let mut known = Known::for_batch(project, &edits);
                for e in edits {
                    let applied = match (e, known.as_mut()) {
                        (
                            Edit::AddTerritory {
                                territory,
                                position,
                            },
                            Some(k),
                        ) => {
                            let mut ch = Change::default();
                            check_not_archived(project)
                                .and_then(|()| {
                                    add_territory(project, territory, position, &mut ch, Some(k))
                                })
                                .map(|inv| (inv, ch))
                        }
                        (e, _) => e.apply(project),
                    };
                    match applied {
                        Ok((inv, ch)) => {
                            undo.push(inv);
                            change.extend(ch);
                        }
                        Err(err) => {
                            // Roll back what was applied so the plan is unchanged.
                            for inv in undo.into_iter().rev() {
                                let _ = inv.apply(project);
                            }
                            return Err(err);
                        }
                    }
                }
                undo.reverse();
                Edit::Batch { label, edits: undo }
            }
        };
        Ok((inverse, change))
    }
}

/// Ids and names of the plan's territories, kept while a batch adds many
/// territories (an import of 100,000 features), so that each addition is
/// checked in constant time rather than by scanning every territory.
struct Known {
    ids: HashSet<u32>,
    names: HashSet<String>,
}

impl Known {
    /// Sets for a batch of many additions that renames nothing (otherwise
    /// `None`: the edits check against the plan one by one).
    fn for_batch(project: &Project, edits: &[Edit]) -> Option<Self> {
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

/// Adds `territory` at `position`; returns the inverse edit. `known`: the
/// batch's sets of ids and names, instead of scanning the plan.
fn add_territory(
    project: &mut Project,
    mut territory: Territory,
    position: usize,
    change: &mut Change,
    known: Option<&mut Known>,
) -> Result<Edit> {
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
        Some(k) => {
            check_name_given(&territory.name)?;
            if k.names.contains(&territory.name) {
                return Err(name_taken(&territory.name));
            }
        }
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
    Ok(Edit::RemoveTerritory { id })
}

fn unknown(id: TerritoryId) -> Error {
    Error::invalid(format!("no territory with id {}", id.0))
}

/// Refuses every edit but scenario management while the active scenario is
/// archived (read-only).
fn check_writable(project: &Project, edit: &Edit) -> Result<()> {
    let management = matches!(
        edit,
        Edit::AddScenario { .. }
            | Edit::RemoveScenario { .. }
            | Edit::SetScenarioMeta { .. }
            | Edit::SwitchScenario { .. }
            | Edit::Batch { .. }
    );
    if management {
        Ok(())
    } else {
        check_not_archived(project)
    }
}

fn check_not_archived(project: &Project) -> Result<()> {
    match project.active() {
        Some(s) if s.state == ScenarioState::Archived => Err(Error::invalid(format!(
            "scenario '{}' is archived and read-only; set it back to planning (or clone it) to change it",
            s.name
        ))),
        _ => Ok(()),
    }
}

fn check_type(project: &Project, id: TerritoryTypeId) -> Result<()> {
    // A bare project without types only knows the implicit default type.
    if project.territory_type(id).is_some() || (project.types.is_empty() && id.0 == 0) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "no territory type with id {}",
            id.0
        )))
    }
}

fn check_reps(project: &Project, reps: &[RepId]) -> Result<()> {
    match reps.iter().find(|r| project.rep(**r).is_none()) {
        Some(r) => Err(Error::invalid(format!("no rep with id {}", r.0))),
        None => Ok(()),
    }
}

fn check_rule(project: &Project, territory: &str, rule: &Rule) -> Result<()> {
    let problems = rule.validate(&project.accounts);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "the rule of '{territory}' has {} problem(s): {}",
            problems.len(),
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }
}

fn check_rep(project: &Project, rep: &Rep, except: Option<RepId>) -> Result<()> {
    check_unique_name(
        "rep",
        &rep.name,
        project.reps.iter().map(|r| (r.id.0, r.name.as_str())),
        except.map(|r| r.0),
    )?;
    if let Some((lon, lat)) = rep.home
        && !(lon.abs() <= 180.0 && lat.abs() <= 90.0)
    {
        return Err(Error::invalid(format!(
            "home base ({lon}, {lat}) of rep '{}' is out of range",
            rep.name
        )));
    }
    match rep.capacity {
        Some(super::model::Capacity::Hours(h)) if !(h.is_finite() && h >= 0.0) => {
            Err(Error::invalid(format!(
                "capacity of rep '{}' must be zero or more hours",
                rep.name
            )))
        }
        _ => Ok(()),
    }
}

fn check_scenario_name(project: &Project, name: &str, except: Option<ScenarioId>) -> Result<()> {
    check_unique_name(
        "scenario",
        name.trim(),
        project.scenarios.iter().map(|s| (s.id.0, s.name.as_str())),
        except.map(|s| s.0),
    )
}

fn check_unique_name<'a>(
    what: &str,
    name: &str,
    existing: impl Iterator<Item = (u32, &'a str)>,
    except: Option<u32>,
) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(format!("a {what} needs a name")));
    }
    for (id, n) in existing {
        if n.eq_ignore_ascii_case(name.trim()) && Some(id) != except {
            return Err(Error::invalid(format!(
                "a {what} called '{n}' already exists"
            )));
        }
    }
    Ok(())
}

fn check_unlocked(t: &Territory) -> Result<()> {
    if t.locked {
        Err(Error::invalid(format!(
            "territory '{}' is locked; unlock it first",
            t.name
        )))
    } else {
        Ok(())
    }
}

fn check_name_given(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid("a territory needs a name"));
    }
    Ok(())
}

fn name_taken(name: &str) -> Error {
    Error::invalid(format!("a territory called '{name}' already exists"))
}

fn check_name_free(project: &Project, name: &str, except: Option<TerritoryId>) -> Result<()> {
    check_name_given(name)?;
    match project.territories.iter().find(|t| t.name == name) {
        Some(t) if Some(t.id) != except => Err(name_taken(name)),
        _ => Ok(()),
    }
}

fn check_lengths(a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::invalid(format!("{a} accounts but {b} values")))
    }
}

fn check_accounts(project: &Project, accounts: &[u32]) -> Result<()> {
    match accounts
        .iter()
        .find(|&&i| i as usize >= project.accounts.len())
    {
        Some(i) => Err(Error::invalid(format!("no account at index {i}"))),
        None => Ok(()),
    }
}
