//! `turfmap rep`: a rep leaves or joins.

use super::args::RepArgs;
use super::{find_territory, find_type, print_out};
use crate::core::numfmt::{counted, fmt_num, signed_pct};
use crate::core::staffing::{Handover, Staffing, rep_joins, rep_leaves};
use crate::core::{Error, Result};

/// Builds the staffing edit, applies and saves it (unless `--dry-run`),
/// and prints the before/after table.
pub(super) fn rep(a: RepArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let change = if a.leaves {
        let rep = ws
            .project()
            .rep_by_name(&a.name)
            .map(|r| r.id)
            .ok_or_else(|| {
                let names: Vec<&str> = ws.project().reps.iter().map(|r| r.name.as_str()).collect();
                Error::invalid(format!(
                    "{}: no rep called '{}'; the plan has: {}",
                    a.plan.display(),
                    a.name,
                    if names.is_empty() {
                        "no reps".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })?;
        let handover = match a.merge.as_deref() {
            None => Handover::Share,
            Some("") => Handover::Merge(None),
            Some(into) => Handover::Merge(Some(find_territory(&ws, &a.plan, into)?)),
        };
        rep_leaves(&ws, rep, &handover)?
    } else {
        let home = super::travel::lat_lon("home", a.home.as_deref().unwrap_or_default())?;
        let ty = match &a.type_name {
            Some(t) => find_type(ws.project(), t)?,
            None => ws.project().primary_type(),
        };
        ws.set_current_type(ty)?;
        rep_joins(&ws, &a.name, home, ty)?
    };
    if !a.dry_run {
        ws.apply(change.edit.clone())?;
        ws.save_as(&a.plan)?;
    }
    if a.json {
        return print_out(serde_json::to_string_pretty(&change.table).unwrap_or_default() + "\n");
    }
    let mut out = staffing_table(&change);
    if a.dry_run {
        out += "Dry run: the plan was not changed.\n";
    }
    print_out(out)
}

fn staffing_table(c: &Staffing) -> String {
    let v = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| fmt_num(x, 0));
    let mut s = format!(
        "{:<28} {:>14} {:>14} {:>10}\n",
        "territory",
        format!("{} before", c.measure),
        "after",
        "dev after"
    );
    for r in &c.table {
        s += &format!(
            "{:<28} {:>14} {:>14} {:>10}\n",
            super::table::truncate(&r.name, 28),
            v(r.before),
            v(r.after),
            r.deviation_after
                .map_or_else(|| "gone".to_owned(), signed_pct)
        );
    }
    s + &format!(
        "{} change territory.\n",
        counted(c.moved, "account", "accounts")
    )
}
