//! Scenarios: several complete plans over the same accounts.
//!
//! A scenario owns what differs between plans — the territories (with
//! their hierarchy, types, rules and reps) and the manual pins — while the
//! accounts, territory types and reps are shared. The active scenario's
//! plan lives in the usual places ([`Project::territories`],
//! [`crate::core::model::Accounts::pins`]) so every editing path works on
//! it unchanged; the others are kept in [`Scenario::stored`].
//!
//! Switching is an edit ([`Edit::SwitchScenario`]), so it sits in the
//! history like any change and undo goes back to the previous scenario
//! (then further back through that scenario's own edits, in the order they
//! were made). Cloning keeps territory ids, which is what lets a
//! comparison ([`diff`]) match territories across scenarios even after
//! renames; territories with different ids (an import) are matched by
//! name. An archived scenario is read-only: while it is shown, every
//! edit except scenario management is refused.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use super::csvsafe::CsvCells;
use super::edit::Edit;
use super::engine::{Engine, Reason};
use super::error::{Error, Result};
use super::metrics::{PlanMetrics, TerritoryMetrics};
use super::model::{
    Project, Scenario, ScenarioId, ScenarioState, StoredPlan, Territory, TerritoryId,
};
use super::progress::Progress;

/// The edit that clones scenario `from` into a new planning scenario
/// called `name`, placed right after it.
pub fn clone_edit(project: &Project, from: ScenarioId, name: &str) -> Result<Edit> {
    let pos = project
        .scenarios
        .iter()
        .position(|s| s.id == from)
        .ok_or_else(|| Error::invalid(format!("no scenario with id {}", from.0)))?;
    let src = &project.scenarios[pos];
    let stored = match &src.stored {
        Some(p) => p.clone(),
        None => StoredPlan {
            territories: project.territories.clone(),
            pins: project.accounts.pins.clone(),
        },
    };
    Ok(Edit::Batch {
        label: format!("Clone scenario '{}' as '{}'", src.name, name.trim()),
        edits: vec![Edit::AddScenario {
            scenario: Scenario {
                id: project.next_scenario_id(),
                name: name.trim().to_owned(),
                state: ScenarioState::Planning,
                stored: Some(stored),
            },
            position: pos + 1,
        }],
    })
}

/// A copy of `project` showing scenario `id` (the project itself is not
/// changed).
pub fn view(project: &Project, id: ScenarioId) -> Result<Project> {
    let mut p = project.clone();
    if id != p.active_scenario {
        p.switch_scenario(id)?;
    }
    Ok(p)
}

/// Finds a scenario by name or numeric id, with a message listing the
/// scenarios when there is none.
pub fn find(project: &Project, name: &str) -> Result<ScenarioId> {
    if let Some(s) = project.scenario_by_name(name) {
        return Ok(s.id);
    }
    if let Ok(n) = name.trim().parse::<u32>()
        && project.scenario(ScenarioId(n)).is_some()
    {
        return Ok(ScenarioId(n));
    }
    Err(Error::invalid(format!(
        "no scenario called '{name}'; the project has: {}",
        project
            .scenarios
            .iter()
            .map(|s| format!("'{}'", s.name))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// An account whose territory differs between two scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Move {
    /// Account index.
    pub account: usize,
    /// Territory type the move is in.
    pub type_name: String,
    /// Territory in scenario A (`None` = unassigned).
    pub from: Option<TerritoryId>,
    /// Territory in scenario B.
    pub to: Option<TerritoryId>,
    /// Its name in A ("" when unassigned).
    pub from_name: String,
    /// Its name in B.
    pub to_name: String,
    /// Why it is where it is in A.
    pub from_reason: String,
    /// Why it is where it is in B.
    pub to_reason: String,
}

/// One territory's figures in both scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TerritoryDelta {
    /// Territory type.
    pub type_name: String,
    /// Territory id in B (in A when it is only in A).
    pub id: u32,
    /// Name (in B if it exists there, else in A).
    pub name: String,
    /// Figures in A (`None` = not in A).
    pub a: Option<TerritoryMetrics>,
    /// Figures in B (`None` = not in B).
    pub b: Option<TerritoryMetrics>,
}

impl TerritoryDelta {
    /// B − A account count.
    pub fn count_delta(&self) -> i64 {
        let c = |m: &Option<TerritoryMetrics>| m.as_ref().map_or(0, |m| m.group.count as i64);
        c(&self.b) - c(&self.a)
    }

    /// B − A of each measure sum.
    pub fn sum_deltas(&self) -> Vec<f64> {
        let n = self
            .a
            .as_ref()
            .or(self.b.as_ref())
            .map_or(0, |m| m.group.sums.len());
        (0..n)
            .map(|k| {
                let v = |m: &Option<TerritoryMetrics>| m.as_ref().map_or(0.0, |m| m.group.sums[k]);
                v(&self.b) - v(&self.a)
            })
            .collect()
    }

    /// B − A of the balance value, area and compactness.
    pub fn shape_deltas(&self) -> (f64, f64, f64) {
        let v = |m: &Option<TerritoryMetrics>, f: fn(&TerritoryMetrics) -> f64| {
            m.as_ref().map_or(0.0, f)
        };
        (
            v(&self.b, |m| m.balance_value) - v(&self.a, |m| m.balance_value),
            v(&self.b, |m| m.area_km2) - v(&self.a, |m| m.area_km2),
            v(&self.b, |m| m.compactness) - v(&self.a, |m| m.compactness),
        )
    }
}

/// The comparison of two scenarios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioDiff {
    /// Name of scenario A.
    pub a: String,
    /// Name of scenario B.
    pub b: String,
    /// Measure names, in the order of the metric sums.
    pub measures: Vec<String>,
    /// Accounts that change territory, per type, in account order.
    pub moves: Vec<Move>,
    /// Per territory (of every type) figures in A and B.
    pub territories: Vec<TerritoryDelta>,
}

impl ScenarioDiff {
    /// Indices of accounts that change territory in any type.
    pub fn moved_accounts(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.moves.iter().map(|m| m.account).collect();
        v.dedup();
        v
    }
}

/// A copy of the plan for comparing scenarios on a worker thread while the
/// plan goes on changing (see [`Project::snapshot`]: milliseconds at a
/// million accounts).
#[derive(Clone, Debug)]
pub struct DiffSnapshot {
    project: Project,
}

impl DiffSnapshot {
    /// Takes the snapshot of `project`.
    pub fn of(project: &Project) -> Self {
        Self {
            project: project.snapshot(),
        }
    }

    /// Compares scenario `a` with scenario `b` as [`diff_with_progress`]
    /// does on the plan the snapshot was taken of.
    pub fn diff(self, a: ScenarioId, b: ScenarioId, progress: &Progress) -> Result<ScenarioDiff> {
        diff_with_progress(&self.project, a, b, progress)
    }
}

/// Compares scenario `a` with scenario `b`, type by type.
pub fn diff(project: &Project, a: ScenarioId, b: ScenarioId) -> Result<ScenarioDiff> {
    diff_with_progress(project, a, b, &Progress::new())
}

/// Like [`diff`], reporting progress (one step per engine built and per
/// type compared) and stopping with [`crate::core::Error::Cancelled`] when
/// asked — the window runs it on a worker thread.
pub fn diff_with_progress(
    project: &Project,
    a: ScenarioId,
    b: ScenarioId,
    progress: &Progress,
) -> Result<ScenarioDiff> {
    progress.set_total(2 + 3 * project.types.len() as u64);
    let pa = view(project, a)?;
    progress.set_done(1);
    progress.check()?;
    let pb = view(project, b)?;
    progress.set_done(2);
    let mut moves = Vec::new();
    let mut territories = Vec::new();
    for (k, ty) in project.types.iter().enumerate() {
        let step = 2 + 3 * k as u64;
        progress.check()?;
        let ea = Engine::for_type(&pa, ty.id);
        progress.set_done(step + 1);
        progress.check()?;
        let eb = Engine::for_type(&pb, ty.id);
        progress.set_done(step + 2);
        progress.check()?;
        let names = |p: &Project| -> HashMap<TerritoryId, String> {
            p.territories_of_type(ty.id)
                .map(|t| (t.id, t.name.clone()))
                .collect()
        };
        let (na, nb) = (names(&pa), names(&pb));
        let name = |m: &HashMap<TerritoryId, String>, t: Option<TerritoryId>| {
            t.and_then(|t| m.get(&t).cloned()).unwrap_or_default()
        };
        // B's territories as A's: same id (clones), else same name
        // (re-imports).
        let a_by_name: HashMap<&str, TerritoryId> =
            na.iter().map(|(id, n)| (n.as_str(), *id)).collect();
        let b_as_a: HashMap<TerritoryId, TerritoryId> = nb
            .iter()
            .filter_map(|(id, n)| {
                let a = if na.contains_key(id) {
                    *id
                } else {
                    *a_by_name.get(n.as_str())?
                };
                Some((*id, a))
            })
            .collect();
        for i in project.accounts.live() {
            let (ta, tb) = (ea.territory_of(i), eb.territory_of(i));
            if ta != tb.map(|t| b_as_a.get(&t).copied().unwrap_or(t)) {
                moves.push(Move {
                    account: i,
                    type_name: ty.name.clone(),
                    from: ta,
                    to: tb,
                    from_name: name(&na, ta),
                    to_name: name(&nb, tb),
                    from_reason: reason_word(ea.reason(i)).into(),
                    to_reason: reason_word(eb.reason(i)).into(),
                });
            }
        }
        let (ma, mb) = (
            PlanMetrics::compute(&pa, &ea),
            PlanMetrics::compute(&pb, &eb),
        );
        let mut seen = Vec::new();
        for t in mb.territories.iter().chain(&ma.territories) {
            if seen.contains(&t.id) {
                continue;
            }
            seen.push(t.id);
            let id = TerritoryId(t.id);
            territories.push(TerritoryDelta {
                type_name: ty.name.clone(),
                id: t.id,
                name: t.name.clone(),
                a: ma.territory(id).cloned(),
                b: mb.territory(id).cloned(),
            });
        }
        progress.set_done(step + 3);
    }
    moves.sort_by_key(|m| m.account);
    Ok(ScenarioDiff {
        a: pa.active().map(|s| s.name.clone()).unwrap_or_default(),
        b: pb.active().map(|s| s.name.clone()).unwrap_or_default(),
        measures: project
            .accounts
            .measures
            .iter()
            .map(|m| m.name.clone())
            .collect(),
        moves,
        territories,
    })
}

/// One word for a reason, for CSV columns.
pub fn reason_word(r: Reason) -> &'static str {
    match r {
        Reason::Override => "override",
        Reason::Rule => "rule",
        Reason::Geometry => "geometry",
        Reason::Unassigned => "unassigned",
        Reason::Unlocated => "unlocated",
        Reason::Removed => "removed",
    }
}

/// Writes the change list as CSV: `account_id, name, type, from, to,
/// from_reason, to_reason`, then every measure of the account. Cells are
/// spreadsheet-safe (see [`crate::core::csvsafe`]).
pub fn write_changes_csv<W: Write>(w: W, project: &Project, d: &ScenarioDiff) -> Result<()> {
    write_changes_csv_with(w, project, d, CsvCells::default())
}

/// [`write_changes_csv`] with the cells written as `cells` says.
pub fn write_changes_csv_with<W: Write>(
    w: W,
    project: &Project,
    d: &ScenarioDiff,
    cells: CsvCells,
) -> Result<()> {
    let fail = |e: csv::Error| Error::invalid(format!("could not write the change list: {e}"));
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec![
        "account_id".to_owned(),
        "name".into(),
        "type".into(),
        "from".into(),
        "to".into(),
        "from_reason".into(),
        "to_reason".into(),
    ];
    header.extend(d.measures.iter().cloned());
    let safe: Vec<_> = header.iter().map(|h| cells.cell(h)).collect();
    out.write_record(safe.iter().map(|c| c.as_bytes()))
        .map_err(fail)?;
    let a = &project.accounts;
    for m in &d.moves {
        let mut rec = vec![
            a.ids[m.account].clone(),
            a.names[m.account].clone(),
            m.type_name.clone(),
            m.from_name.clone(),
            m.to_name.clone(),
            m.from_reason.clone(),
            m.to_reason.clone(),
        ];
        rec.extend(a.measures.iter().map(|c| {
            let v = c.values[m.account];
            if v.is_finite() {
                v.to_string()
            } else {
                String::new()
            }
        }));
        let safe: Vec<_> = rec.iter().map(|c| cells.cell(c)).collect();
        out.write_record(safe.iter().map(|c| c.as_bytes()))
            .map_err(fail)?;
    }
    out.flush()
        .map_err(|e| Error::invalid(format!("could not write the change list: {e}")))
}

/// Territories of scenario `id` (for listings).
pub fn territories_of(project: &Project, id: ScenarioId) -> &[Territory] {
    match project.scenario(id).and_then(|s| s.stored.as_ref()) {
        Some(p) => &p.territories,
        None => &project.territories,
    }
}
