//! Edits: every change a user can make to a plan, with its inverse.
//!
//! The window, the CLI, undo/redo and autosave all go through
//! [`Edit::apply`], which changes the [`Project`], returns the edit that
//! undoes it (a delta, never a copy of the plan) and a [`Change`] telling
//! the engine what to recompute.

use geo::MultiPolygon;

use super::engine::Change;
use super::error::{Error, Result};
use super::geometry::normalize;
use super::model::{AccountRow, LocationSource, PlanSettings, Project, Territory, TerritoryId};

/// The editable properties of a territory, besides its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct TerritoryProps {
    /// Display name (unique in the plan).
    pub name: String,
    /// Fill color.
    pub color: [u8; 3],
    /// Overlap precedence.
    pub priority: i32,
    /// Owning rep.
    pub rep: Option<String>,
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
            rep: t.rep.clone(),
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
    /// Pins (or unpins, with `None`) accounts: one entry per account.
    SetPins {
        /// Account indices.
        accounts: Vec<u32>,
        /// The pin of each account.
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
    /// Several edits applied in order, undone as one.
    Batch {
        /// Name shown in the history.
        label: String,
        /// The edits.
        edits: Vec<Edit>,
    },
}

impl Edit {
    /// Pins every account in `accounts` to `territory` (`None` unpins).
    pub fn pin_all(accounts: Vec<u32>, territory: Option<TerritoryId>) -> Self {
        let pins = vec![territory; accounts.len()];
        Edit::SetPins { accounts, pins }
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
            Edit::SetPins { accounts, pins } => match pins.first() {
                Some(Some(t)) if pins.iter().all(|p| p == &pins[0]) => {
                    format!("Move {} account(s) to {}", accounts.len(), tname(t))
                }
                Some(None) if pins.iter().all(|p| p.is_none()) => {
                    format!("Unpin {} account(s)", accounts.len())
                }
                _ => format!("Change pins of {} account(s)", accounts.len()),
            },
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
            Edit::Batch { label, .. } => label.clone(),
        }
    }

    /// Applies the edit. On success returns the inverse edit and what
    /// changed; on error the project is unchanged.
    pub fn apply(self, project: &mut Project) -> Result<(Edit, Change)> {
        let mut change = Change::default();
        let inverse = match self {
            Edit::AddTerritory {
                mut territory,
                position,
            } => {
                if project.territory(territory.id).is_some() {
                    return Err(Error::invalid(format!(
                        "territory id {} already exists",
                        territory.id
                    )));
                }
                check_name_free(project, &territory.name, None)?;
                territory.geometry = normalize(territory.geometry).0;
                let id = territory.id;
                project.next_territory_id = project.next_territory_id.max(id.0 + 1);
                let pos = position.min(project.territories.len());
                project.territories.insert(pos, territory);
                change.territories.push(id);
                Edit::RemoveTerritory { id }
            }
            Edit::RemoveTerritory { id } => {
                let pos = project.territory_pos(id).ok_or_else(|| unknown(id))?;
                check_unlocked(&project.territories[pos])?;
                let territory = project.territories.remove(pos);
                let pinned: Vec<u32> = (0..project.accounts.len())
                    .filter(|&i| project.accounts.pinned[i] == Some(id))
                    .map(|i| i as u32)
                    .collect();
                for &i in &pinned {
                    project.accounts.pinned[i as usize] = None;
                }
                change.territories.push(id);
                change.accounts.extend(&pinned);
                let mut undo = vec![Edit::AddTerritory {
                    territory,
                    position: pos,
                }];
                if !pinned.is_empty() {
                    undo.push(Edit::pin_all(pinned, Some(id)));
                }
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
                let t = project.territory_mut(id).ok_or_else(|| unknown(id))?;
                let old = TerritoryProps::of(t);
                if old.priority != props.priority {
                    change.territories.push(id);
                }
                t.name = props.name;
                t.color = props.color;
                t.priority = props.priority;
                t.rep = props.rep;
                t.locked = props.locked;
                Edit::SetTerritoryProps { id, props: old }
            }
            Edit::SetPins { accounts, pins } => {
                check_lengths(accounts.len(), pins.len())?;
                check_accounts(project, &accounts)?;
                // Distinct targets first: a lasso drop pins thousands of
                // accounts to the same territory.
                let targets: std::collections::BTreeSet<TerritoryId> =
                    pins.iter().flatten().copied().collect();
                if let Some(t) = targets.iter().find(|t| project.territory(**t).is_none()) {
                    return Err(unknown(*t));
                }
                let old: Vec<_> = accounts
                    .iter()
                    .map(|&i| project.accounts.pinned[i as usize])
                    .collect();
                for (&i, p) in accounts.iter().zip(pins) {
                    project.accounts.pinned[i as usize] = p;
                }
                change.accounts.extend(&accounts);
                Edit::SetPins {
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
                if settings.tolerance_pct.is_nan() || settings.tolerance_pct < 0.0 {
                    return Err(Error::invalid("tolerance must be zero or more"));
                }
                Edit::SetSettings {
                    settings: std::mem::replace(&mut project.settings, settings),
                }
            }
            Edit::Batch { label, edits } => {
                let mut undo = Vec::with_capacity(edits.len());
                for e in edits {
                    match e.apply(project) {
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

fn unknown(id: TerritoryId) -> Error {
    Error::invalid(format!("no territory with id {}", id.0))
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

fn check_name_free(project: &Project, name: &str, except: Option<TerritoryId>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid("a territory needs a name"));
    }
    match project.territories.iter().find(|t| t.name == name) {
        Some(t) if Some(t.id) != except => Err(Error::invalid(format!(
            "a territory called '{name}' already exists"
        ))),
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
