//! A baseline scenario from a Salesforce account export's current
//! territory and owner columns.

use std::collections::HashMap;

use crate::core::edit::Edit;
use crate::core::error::{Error, Result};
use crate::core::model::{
    Accounts, Project, Rep, RepId, Scenario, ScenarioState, StoredPlan, Territory, TerritoryId,
};
use crate::core::pins::Pins;

/// What a baseline import found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaselineReport {
    /// Territories created.
    pub territories: usize,
    /// Reps created (owners not yet known to the plan).
    pub new_reps: usize,
    /// Accounts pinned.
    pub assigned: usize,
    /// Rows whose account id is not in the plan.
    pub unknown_accounts: usize,
    /// Accounts with an empty territory value.
    pub without_territory: usize,
}

/// Text value of column `col` of table `t` at row `i`, from a text or a
/// number column.
fn column_value(t: &Accounts, col: &str, i: usize) -> Option<String> {
    if let Some(c) = t.attribute_index(col) {
        return Some(t.attributes[c].get(i).trim().to_owned());
    }
    let m = t.measure_index(col)?;
    let v = t.measures[m].values[i];
    Some(if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    })
}

fn has_column(t: &Accounts, col: &str) -> bool {
    t.attribute_index(col).is_some() || t.measure_index(col).is_some()
}

/// The edit that adds scenario `scenario_name` made of the territory and
/// owner columns of `table` (an imported account export; rows match the
/// plan's accounts by id) and switches to it. When the scenario shown is
/// empty (a new plan) it is replaced.
pub fn baseline_edit(
    project: &Project,
    table: &Accounts,
    territory_col: &str,
    owner_col: Option<&str>,
    scenario_name: &str,
) -> Result<(Edit, BaselineReport)> {
    check_columns(table, territory_col, owner_col)?;
    let mut g = group_rows(project, table, territory_col, owner_col);
    let mut edits = owner_reps(project, &mut g);
    g.report.territories = g.territories.len();
    edits.extend(add_and_show(
        project,
        scenario_name,
        StoredPlan {
            territories: g.territories,
            pins: Pins::from_single(g.pins),
        },
    )?);
    Ok((
        Edit::Batch {
            label: format!("Import Salesforce baseline '{scenario_name}'"),
            edits,
        },
        g.report,
    ))
}

/// Both columns exist in `table`, or an error listing its columns.
fn check_columns(table: &Accounts, territory_col: &str, owner_col: Option<&str>) -> Result<()> {
    let cols = || {
        table
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(table.measures.iter().map(|m| m.name.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !has_column(table, territory_col) {
        return Err(Error::invalid(format!(
            "no column '{territory_col}' for the territory; columns: {}",
            cols()
        )));
    }
    if let Some(o) = owner_col
        && !has_column(table, o)
    {
        return Err(Error::invalid(format!(
            "no column '{o}' for the owner; columns: {}",
            cols()
        )));
    }
    Ok(())
}

/// Territories by distinct territory value, with per territory the
/// accounts each owner has there.
struct Grouped {
    territories: Vec<Territory>,
    owners: Vec<HashMap<String, usize>>,
    pins: Vec<Option<TerritoryId>>,
    report: BaselineReport,
}

fn group_rows(
    project: &Project,
    table: &Accounts,
    territory_col: &str,
    owner_col: Option<&str>,
) -> Grouped {
    let index: HashMap<&str, usize> = project
        .accounts
        .live()
        .map(|i| (project.accounts.ids[i].as_str(), i))
        .collect();
    let mut g = Grouped {
        territories: Vec::new(),
        owners: Vec::new(),
        pins: vec![None; project.accounts.len()],
        report: BaselineReport::default(),
    };
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let ty = project.primary_type();
    for r in table.live() {
        let Some(&i) = index.get(table.ids[r].as_str()) else {
            g.report.unknown_accounts += 1;
            continue;
        };
        let tname = column_value(table, territory_col, r).unwrap_or_default();
        if tname.is_empty() {
            g.report.without_territory += 1;
            continue;
        }
        let k = *by_name.entry(tname.clone()).or_insert_with(|| {
            let id = TerritoryId(project.next_territory_id + g.territories.len() as u32);
            let mut t = Territory::new(id, tname, geo::MultiPolygon(vec![]));
            t.type_id = ty;
            g.territories.push(t);
            g.owners.push(HashMap::new());
            g.territories.len() - 1
        });
        g.pins[i] = Some(g.territories[k].id);
        g.report.assigned += 1;
        if let Some(o) = owner_col.and_then(|o| column_value(table, o, r))
            && !o.is_empty()
        {
            *g.owners[k].entry(o).or_default() += 1;
        }
    }
    g
}

/// Makes each owner a rep of their territories (the owner of most
/// accounts first); returns the edits adding owners new to the plan.
fn owner_reps(project: &Project, g: &mut Grouped) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut next_rep = project.next_rep_id();
    let mut new_reps: HashMap<String, RepId> = HashMap::new();
    for (t, own) in g.territories.iter_mut().zip(std::mem::take(&mut g.owners)) {
        let mut own: Vec<(String, usize)> = own.into_iter().collect();
        own.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (name, _) in own {
            let id = match project.rep_by_name(&name) {
                Some(r) => r.id,
                None => *new_reps.entry(name.clone()).or_insert_with(|| {
                    let id = next_rep;
                    next_rep.0 += 1;
                    let mut rep = Rep::new(id, name.clone());
                    rep.role = "Owner".into();
                    edits.push(Edit::AddRep {
                        rep,
                        position: usize::MAX,
                    });
                    id
                }),
            };
            t.reps.push(id);
        }
    }
    g.report.new_reps = new_reps.len();
    edits
}

/// Edits adding scenario `name` with `plan`, showing it, and dropping the
/// scenario shown before when it was empty.
pub(super) fn add_and_show(project: &Project, name: &str, plan: StoredPlan) -> Result<Vec<Edit>> {
    if let Some(s) = project.scenario_by_name(name) {
        return Err(Error::invalid(format!(
            "a scenario called '{}' already exists; choose another name (--scenario)",
            s.name
        )));
    }
    let id = project.next_scenario_id();
    let mut edits = vec![
        Edit::AddScenario {
            scenario: Scenario {
                id,
                name: name.to_owned(),
                state: ScenarioState::Planning,
                stored: Some(plan),
            },
            position: usize::MAX,
        },
        Edit::SwitchScenario { to: id },
    ];
    let empty = project.territories.is_empty() && project.accounts.pins.none_pinned();
    if empty && let Some(s) = project.active() {
        edits.push(Edit::RemoveScenario { id: s.id });
    }
    Ok(edits)
}
