//! `turfmap coverage`: neglected accounts and penetration per territory.

use super::args::CoverageArgs;
use super::{find_type, print_out};
use crate::core::coverage::{Coverage, Penetration, activity_column, coverage as plan_coverage};
use crate::core::edit::Edit;
use crate::core::numfmt::count;
use crate::core::{Error, Result};

/// Prints the coverage table (or JSON); with `--save`, stores the activity
/// column in the plan first (`--activity none` forgets it).
pub(super) fn coverage(a: CoverageArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let activity = match (&a.activity, &ws.project().settings.activity) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "name the activity column: --activity COLUMN (add --save to keep it in the plan)",
            ));
        }
    };
    if a.save {
        let forget = activity.eq_ignore_ascii_case("none");
        let mut settings = ws.project().settings.clone();
        settings.activity = if forget {
            None
        } else {
            Some(activity_column(ws.project(), &activity)?)
        };
        ws.apply(Edit::SetSettings {
            settings: Box::new(settings),
        })?;
        ws.save_as(&a.plan)?;
        if forget {
            return print_out("The plan no longer tracks neglected accounts.\n".into());
        }
    }
    if let Some(tn) = &a.type_name {
        let ty = find_type(ws.project(), tn)?;
        ws.set_current_type(ty)?;
    }
    let m = ws.metrics();
    let measures = Penetration {
        actual: a.actual.as_deref(),
        potential: a.potential.as_deref(),
    };
    let c = plan_coverage(ws.project(), ws.engine(), &m, &activity, measures)?;
    if a.json {
        return print_out(serde_json::to_string_pretty(&c).unwrap_or_default() + "\n");
    }
    print_out(coverage_table(&c))
}

fn coverage_table(c: &Coverage) -> String {
    let pen = |p: Option<f64>| p.map_or_else(|| "–".to_owned(), |p| format!("{p:.1}%"));
    let mut s = format!(
        "Neglected: {} empty or zero\n{:<28} {:>10} {:>10} {:>8} {:>12}\n",
        c.activity, "territory", "accounts", "neglected", "%", "penetration"
    );
    for t in &c.territories {
        s += &format!(
            "{:<28} {:>10} {:>10} {:>7.1}% {:>12}\n",
            super::table::truncate(&t.name, 28),
            count(t.accounts),
            count(t.neglected),
            t.neglected_pct,
            pen(t.penetration_pct)
        );
    }
    if c.unassigned_neglected > 0 {
        s += &format!(
            "{:<28} {:>10} {:>10}\n",
            "(no territory)",
            "",
            count(c.unassigned_neglected)
        );
    }
    s += &format!(
        "{:<28} {:>10} {:>10} {:>7.1}% {:>12}\n",
        "plan",
        count(c.accounts),
        count(c.neglected),
        if c.accounts > 0 {
            c.neglected as f64 / c.accounts as f64 * 100.0
        } else {
            0.0
        },
        pen(c.penetration_pct)
    );
    if c.penetration_pct.is_none() {
        s += "Penetration needs an actual and a potential measure: --actual M [--potential M]\n";
    }
    s
}
