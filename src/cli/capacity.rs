//! `turfmap capacity`: how many reps the workload needs, and where.

use super::args::CapacityArgs;
use super::print_out;
use crate::core::Workspace;
use crate::core::capacity::{
    CapacityPlan, add_reps_edit, capacity as plan_capacity, capacity_by_drive,
};
use crate::core::numfmt::{count, fmt_num};
use crate::core::progress::Progress;
use crate::core::reps::workload_measure;
use crate::core::travel::router_for;
use crate::core::{Error, Result};

/// Prints the reps needed, each territory's load in reps and candidate
/// homes; with `--add-reps` also adds the candidates as reps and saves.
pub(super) fn capacity(a: CapacityArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let measure = match &a.measure {
        Some(m) => m.clone(),
        None => workload_measure(ws.project()).map_or_else(
            || "count".to_owned(),
            |m| ws.project().accounts.measures[m].name.clone(),
        ),
    };
    let answer = if a.drive_time {
        by_drive(&ws, &measure, a.per_rep)?
    } else {
        plan_capacity(ws.project(), &ws.metrics(), &measure, a.per_rep)?
    };
    if a.add_reps {
        ws.apply(add_reps_edit(ws.project(), &answer.homes)?)?;
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

/// The answer with homes placed by drive time; refused when the plan has
/// road travel off (its drive times would be straight lines).
fn by_drive(ws: &Workspace, measure: &str, per_rep: f64) -> Result<CapacityPlan> {
    let p = ws.project();
    if !p.travel.roads {
        return Err(Error::invalid(
            "--drive-time needs road travel, which is off in this plan's travel settings",
        ));
    }
    let a = &p.accounts;
    let located: Vec<(f64, f64)> = a
        .live()
        .filter(|&i| a.is_located(i))
        .map(|i| (a.lon[i], a.lat[i]))
        .collect();
    // The roads file is chosen by where the accounts are: a sample tells.
    let step = (located.len() / 4_000).max(1);
    let sample: Vec<(f64, f64)> = located.into_iter().step_by(step).collect();
    let (router, _) = router_for(&p.travel, &sample)?;
    capacity_by_drive(
        p,
        &ws.metrics(),
        measure,
        per_rep,
        &router,
        &Progress::new(),
    )
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
    let (how, mean) = if c.drive_time {
        ("drive time", "mean min")
    } else {
        ("great-circle", "mean km")
    };
    s += &format!(
        "\nCandidate home bases (weighted p-median, {how}):\n{:>3} {:>9} {:>10}  {:<24} {:>14} {:>9} {:>8}\n",
        "#", "lat", "lon", "near", c.measure, "accounts", mean
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
            h.mean_minutes.unwrap_or(h.mean_km)
        );
    }
    s
}
