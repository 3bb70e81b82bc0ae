//! Checks shared by the edits: every one refuses before changing anything,
//! so a failed edit leaves the plan as it was.

use super::Edit;
use crate::core::error::{Error, Result};
use crate::core::model::{
    Capacity, Project, Rep, RepId, ScenarioId, ScenarioState, Territory, TerritoryId,
    TerritoryTypeId,
};
use crate::core::rules::Rule;

pub(super) fn unknown(id: TerritoryId) -> Error {
    Error::invalid(format!("no territory with id {}", id.0))
}

/// Refuses every edit but scenario management while the active scenario is
/// archived (read-only).
pub(super) fn check_writable(project: &Project, edit: &Edit) -> Result<()> {
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

/// Refuses a change of the plan while the active scenario is archived.
pub(super) fn check_not_archived(project: &Project) -> Result<()> {
    match project.active() {
        Some(s) if s.state == ScenarioState::Archived => Err(Error::invalid(format!(
            "scenario '{}' is archived and read-only; set it back to planning (or clone it) to change it",
            s.name
        ))),
        _ => Ok(()),
    }
}

pub(super) fn check_type(project: &Project, id: TerritoryTypeId) -> Result<()> {
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

pub(super) fn check_reps(project: &Project, reps: &[RepId]) -> Result<()> {
    match reps.iter().find(|r| project.rep(**r).is_none()) {
        Some(r) => Err(Error::invalid(format!("no rep with id {}", r.0))),
        None => Ok(()),
    }
}

pub(super) fn check_rule(project: &Project, territory: &str, rule: &Rule) -> Result<()> {
    rule.check_depth()
        .map_err(|m| Error::invalid(format!("the rule of '{territory}': {m}")))?;
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

pub(super) fn check_rep(project: &Project, rep: &Rep, except: Option<RepId>) -> Result<()> {
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
        Some(Capacity::Hours(h)) if !(h.is_finite() && h >= 0.0) => Err(Error::invalid(format!(
            "capacity of rep '{}' must be zero or more hours",
            rep.name
        ))),
        _ => Ok(()),
    }
}

pub(super) fn check_scenario_name(
    project: &Project,
    name: &str,
    except: Option<ScenarioId>,
) -> Result<()> {
    check_unique_name(
        "scenario",
        name.trim(),
        project.scenarios.iter().map(|s| (s.id.0, s.name.as_str())),
        except.map(|s| s.0),
    )
}

pub(super) fn check_unique_name<'a>(
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

pub(super) fn check_unlocked(t: &Territory) -> Result<()> {
    if t.locked {
        Err(Error::invalid(format!(
            "territory '{}' is locked; unlock it first",
            t.name
        )))
    } else {
        Ok(())
    }
}

pub(super) fn check_name_free(
    project: &Project,
    name: &str,
    except: Option<TerritoryId>,
) -> Result<()> {
    check_name_given(name)?;
    match project.territories.iter().find(|t| t.name == name) {
        Some(t) if Some(t.id) != except => Err(name_taken(name)),
        _ => Ok(()),
    }
}

pub(super) fn check_name_given(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid("a territory needs a name"));
    }
    Ok(())
}

pub(super) fn name_taken(name: &str) -> Error {
    Error::invalid(format!("a territory called '{name}' already exists"))
}

pub(super) fn check_lengths(a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::invalid(format!("{a} accounts but {b} values")))
    }
}

pub(super) fn check_accounts(project: &Project, accounts: &[u32]) -> Result<()> {
    match accounts
        .iter()
        .find(|&&i| i as usize >= project.accounts.len())
    {
        Some(i) => Err(Error::invalid(format!("no account at index {i}"))),
        None => Ok(()),
    }
}
