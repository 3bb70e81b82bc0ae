//! `turfmap capacity`: how many reps the workload needs, and where.

use super::args::CapacityArgs;
use super::print_out;
use crate::core::Workspace;
use crate::core::capacity::{CapacityPlan, capacity as plan_capacity};
use crate::core::edit::Edit;
use crate::core::model::Rep;
use crate::core::numfmt::{count, fmt_num};
use crate::core::reps::workload_measure;
use crate::core::{Error, Result};

/// Prints the reps needed, each territory's load in reps and candidate
/// homes; with `--add-reps` also adds the candidates as reps and saves.
pub(super) fn capacity(a: CapacityArgs) -> Result<()> {
    let mut ws = Workspace::open(&a.plan)?;
    let measure = match &a.measure {
        Some(m) => m.clone(),
        None => workload_measure(ws.project()).map_or_else(
            || "count".to_owned(),
            |m| ws.project().accounts.measures[m].name.clone(),
        ),
    };
    let answer = plan_capacity(ws.project(), &ws.metrics(), &measure, a.per_rep)?;
    if a.add_reps {
        add_candidates(&mut ws, &answer)?;
        ws.save_as(&a.plan)?;
    }
    if a.json {
        return print_out(serde_json::to_string_pretty(&answer).unwrap_or_default() + "\n");
    }
    let mut out = capacity_table(&answer);
    if a.add_reps {
        out += &format!(
            "\nAdded {} as reps \"Candidate 1…{}\" with these home bases.\n",
            count(answer.homes.len() as u64),
            answer.homes.len()
        );
    }
    print_out(out)
}

/// Adds one rep per candidate home, as one undoable edit; refuses when a
/// rep of that name exists already (a second run would duplicate them).
fn add_candidates(ws: &mut Workspace, answer: &CapacityPlan) -> Result<()> {
    let p = ws.project();
    let mut next = p.next_rep_id();
    let mut edits = Vec::new();
    for (k, h) in answer.homes.iter().enumerate() {
        let name = format!("Candidate {}", k + 1);
        if p.reps.iter().any(|r| r.name == name) {
            return Err(Error::invalid(format!(
                "the plan already has a rep called '{name}': delete the candidates first"
            )));
        }
        let mut rep = Rep::new(next, name);
        rep.home = Some((h.lon, h.lat));
        edits.push(Edit::AddRep {
            rep,
            position: p.reps.len() + k,
        });
        next.0 += 1;
    }
    ws.apply(Edit::Batch {
        label: format!("Add {} candidate reps", edits.len()),
        edits,
    })?;
    Ok(())
}

/// The human-readable answer.
fn capacity_table(c: &CapacityPlan) -> String {
    let mut s = format!(
        "{} {} in all; at {} per rep: {} needed (the plan has {} and {}).\n\n",
        fmt_num(c.total, 0),
        c.measure,
        fmt_num(c.per_rep, 0),
        crate::core::numfmt::counted(c.reps_needed as u64, "rep", "reps"),
        crate::core::numfmt::counted(c.reps_today as u64, "rep", "reps"),
        crate::core::numfmt::counted(c.units_today as u64, "territory", "territories"),
    );
    s += &format!("{:<28} {:>14} {:>10}\n", "territory", c.measure, "reps");
    for u in &c.units {
        let flag = if u.reps > 1.0 { "  over one rep" } else { "" };
        s += &format!(
            "{:<28} {:>14} {:>10.2}{flag}\n",
            super::table::truncate(&u.name, 28),
            fmt_num(u.value, 0),
            u.reps
        );
    }
    if c.homes.is_empty() {
        return s;
    }
    s += &format!(
        "\nCandidate home bases (weighted p-median, great-circle):\n{:>3} {:>9} {:>10}  {:<24} {:>14} {:>9} {:>8}\n",
        "#", "lat", "lon", "near", c.measure, "accounts", "mean km"
    );
    for (k, h) in c.homes.iter().enumerate() {
        s += &format!(
            "{:>3} {:>9.4} {:>10.4}  {:<24} {:>14} {:>9} {:>8.1}\n",
            k + 1,
            h.lat,
            h.lon,
            super::table::truncate(&h.near, 24),
            fmt_num(h.load, 0),
            count(h.accounts),
            h.mean_km
        );
    }
    s
}
