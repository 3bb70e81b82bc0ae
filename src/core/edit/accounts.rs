//! Edits of accounts: pins, locations, added and removed accounts.

use super::Edit;
use super::checks::*;
use crate::core::engine::Change;
use crate::core::error::{Error, Result};
use crate::core::model::{AccountRow, LocationSource, Project, TerritoryId, TerritoryTypeId};

/// Applies [`Edit::SetPins`]; returns the edit that undoes it.
pub(super) fn set_pins(
    project: &mut Project,
    change: &mut Change,
    type_id: TerritoryTypeId,
    accounts: Vec<u32>,
    pins: Vec<Option<TerritoryId>>,
) -> Result<Edit> {
    check_lengths(accounts.len(), pins.len())?;
    check_accounts(project, &accounts)?;
    let ty = project
        .territory_type(type_id)
        .ok_or_else(|| Error::invalid(format!("no territory type with id {}", type_id.0)))?
        .name
        .clone();
    // Distinct targets first: a lasso drop pins thousands of
    // accounts to the same territory.
    let targets: std::collections::BTreeSet<TerritoryId> = pins.iter().flatten().copied().collect();
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
    Ok(Edit::SetPins {
        type_id,
        accounts,
        pins: old,
    })
}

/// Applies [`Edit::SetLocations`]; returns the edit that undoes it.
pub(super) fn set_locations(
    project: &mut Project,
    change: &mut Change,
    accounts: Vec<u32>,
    locations: Vec<Option<(f64, f64)>>,
) -> Result<Edit> {
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
    Ok(Edit::SetLocations {
        accounts,
        locations: old,
    })
}

/// Applies [`Edit::AddAccounts`]; returns the edit that undoes it.
pub(super) fn add_accounts(
    project: &mut Project,
    change: &mut Change,
    rows: Vec<AccountRow>,
) -> Result<Edit> {
    let a = &project.accounts;
    for r in &rows {
        if r.measures.len() != a.measures.len() || r.attributes.len() != a.attributes.len() {
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
    Ok(Edit::SetRemoved {
        accounts: (first..first + rows.len() as u32).collect(),
        removed: true,
    })
}

/// Applies [`Edit::SetRemoved`]; returns the edit that undoes it.
pub(super) fn set_removed(
    project: &mut Project,
    change: &mut Change,
    accounts: Vec<u32>,
    removed: bool,
) -> Result<Edit> {
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
    Ok(Edit::SetRemoved {
        accounts: changed,
        removed: !removed,
    })
}
