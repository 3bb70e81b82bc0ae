//! Figures: `metrics`, `explain`, `reps`.

use std::io::Write;

use super::args::{ExplainArgs, MetricsArgs, RepsArgs};
use super::table::{metrics_table, reps_table};
use super::{find_type, print_out, set_balance_measure};
use crate::core::{Error, Result};

/// `turfmap metrics`: the balance table (or JSON).
pub(super) fn metrics(a: MetricsArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    if let Some(tn) = &a.type_name {
        let ty = find_type(ws.project(), tn)?;
        ws.set_current_type(ty)?;
    }
    if let Some(m) = &a.measure {
        set_balance_measure(&mut ws, m)?;
    }
    let mut m = ws.metrics();
    if let Some(path) = &a.csv {
        crate::core::fs::write_file_atomically(path, |w| {
            crate::core::report::write_territory_summary_csv(w, &m)
        })?;
    }
    if a.json
        && let Some(v) = super::travel::drive_view(&ws)
    {
        v.add_to_metrics(&mut m, ws.project());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let res = if a.json {
        serde_json::to_writer_pretty(&mut out, &m)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        out.write_all(metrics_table(&m).as_bytes())
    };
    res.map_err(|e| Error::io("<stdout>", e))
}

/// `turfmap explain`: why an account is where it is.
pub(super) fn explain(a: ExplainArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
    let account_id = &a.account_id;
    let i = ws.project().accounts.find_id(account_id).ok_or_else(|| {
        Error::invalid(format!(
            "{}: no account with id '{account_id}'",
            a.plan.display()
        ))
    })?;
    let ex = ws.explain(i);
    print_out(if a.json {
        serde_json::to_string_pretty(&ex).unwrap_or_default() + "\n"
    } else {
        ex.render()
    })
}

/// `turfmap reps`: rep figures (or JSON).
pub(super) fn reps(a: RepsArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
    let mut reps = ws.rep_metrics();
    if let Some(v) = super::travel::drive_view(&ws) {
        v.add_to_reps(&mut reps, ws.project());
    }
    print_out(if a.json {
        serde_json::to_string_pretty(&reps).unwrap_or_default() + "\n"
    } else {
        reps_table(&reps)
    })
}
