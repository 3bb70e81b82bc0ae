//! Edits of scenarios: add, remove, rename or change state, switch.

use super::Edit;
use super::checks::*;
use crate::core::engine::Change;
use crate::core::error::{Error, Result};
use crate::core::model::{Project, Scenario, ScenarioId, ScenarioState};

/// Applies [`Edit::AddScenario`]; returns the edit that undoes it.
pub(super) fn add_scenario(
    project: &mut Project,
    scenario: Scenario,
    position: usize,
) -> Result<Edit> {
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
    Ok(Edit::RemoveScenario { id })
}

/// Applies [`Edit::RemoveScenario`]; returns the edit that undoes it.
pub(super) fn remove_scenario(project: &mut Project, id: ScenarioId) -> Result<Edit> {
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
    Ok(Edit::AddScenario {
        scenario,
        position: pos,
    })
}

/// Applies [`Edit::SetScenarioMeta`]; returns the edit that undoes it.
pub(super) fn set_scenario_meta(
    project: &mut Project,
    id: ScenarioId,
    name: String,
    state: ScenarioState,
) -> Result<Edit> {
    check_scenario_name(project, &name, Some(id))?;
    let s = project
        .scenarios
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::invalid(format!("no scenario with id {}", id.0)))?;
    Ok(Edit::SetScenarioMeta {
        id,
        name: std::mem::replace(&mut s.name, name.trim().to_owned()),
        state: std::mem::replace(&mut s.state, state),
    })
}

/// Applies [`Edit::SwitchScenario`]; returns the edit that undoes it.
pub(super) fn switch_scenario(
    project: &mut Project,
    change: &mut Change,
    to: ScenarioId,
) -> Result<Edit> {
    let from = project.switch_scenario(to)?;
    change.all = true;
    Ok(Edit::SwitchScenario { to: from })
}
