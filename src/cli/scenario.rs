//! Scenario verbs: `scenario …` and `diff`.

use super::args::{DiffArgs, ScenarioAction, ScenarioArgs};
use super::print_out;
use super::table::diff_table;
use crate::core::edit::Edit;
use crate::core::fs::write_file_atomically;
use crate::core::model::{Project, ScenarioState};
use crate::core::scenario;
use crate::core::{Error, Result};

/// `turfmap scenario`: list, or change the scenarios as one edit and save.
pub(super) fn scenario(a: ScenarioArgs) -> Result<()> {
    let plan = &a.plan;
    let mut ws = super::open(plan)?;
    let p = ws.project();
    let edit = match &a.action {
        ScenarioAction::List => return print_out(list(p)),
        ScenarioAction::Clone { a, b } => scenario::clone_edit(p, scenario::find(p, a)?, b)?,
        ScenarioAction::Rename { a, b } => meta(p, a, Some(b), None)?,
        ScenarioAction::State { a, state } => {
            let st = ScenarioState::parse(state).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown state '{state}'; use planning, active or archived"
                ))
            })?;
            meta(p, a, None, Some(st))?
        }
        ScenarioAction::Switch { a } => Edit::SwitchScenario {
            to: scenario::find(p, a)?,
        },
        ScenarioAction::Delete { a } => Edit::RemoveScenario {
            id: scenario::find(p, a)?,
        },
    };
    let label = edit.label(ws.project());
    ws.apply(edit)?;
    super::save(&mut ws, plan, a.save)?;
    eprintln!("{}: {label}.", plan.display());
    Ok(())
}

/// One line per scenario, `*` on the one shown.
fn list(p: &Project) -> String {
    let mut s = String::new();
    for sc in &p.scenarios {
        let ts = scenario::territories_of(p, sc.id);
        s += &format!(
            "{} {:<28} {:<9} {} territories\n",
            if sc.id == p.active_scenario { "*" } else { " " },
            sc.name,
            sc.state,
            ts.len()
        );
    }
    s
}

/// Renames scenario `a` and/or sets its state.
fn meta(p: &Project, a: &str, name: Option<&str>, state: Option<ScenarioState>) -> Result<Edit> {
    let id = scenario::find(p, a)?;
    let s = p.scenario(id).expect("found");
    Ok(Edit::SetScenarioMeta {
        id,
        name: name.unwrap_or(&s.name).to_owned(),
        state: state.unwrap_or(s.state),
    })
}

/// `turfmap diff`: what changes from scenario A to B (and a CSV of moves).
pub(super) fn diff(a: DiffArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
    let p = ws.project();
    let d = scenario::diff(p, scenario::find(p, &a.a)?, scenario::find(p, &a.b)?)?;
    if let Some(out) = &a.out {
        let cells = super::csv_cells(a.raw_csv);
        write_file_atomically(out, |w| scenario::write_changes_csv_with(w, p, &d, cells))?;
        eprintln!("Wrote {} change(s) to {}.", d.moves.len(), out.display());
    }
    print_out(diff_table(&d))
}
