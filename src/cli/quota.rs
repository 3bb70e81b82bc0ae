//! The loop after the map: `refresh` (a new CRM export into a plan) and
//! `quota` (quotas, actuals, attainment).

use super::args::{QuotaArgs, RefreshArgs};
use super::{find_territory, find_type, print_out};
use crate::core::import::import_accounts;
use crate::core::metrics::PlanMetrics;
use crate::core::progress::Progress;
use crate::core::quota::{QuotaSettings, set_one, top_down};
use crate::core::refresh::refresh as refresh_plan;
use crate::core::{Error, Result, Workspace};

/// `turfmap refresh`: updates the plan from a new export and prints what
/// changed; the plan is saved only when something did.
pub(super) fn refresh(a: RefreshArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let (accounts, report) = import_accounts(&a.accounts, &a.columns.into(), &Progress::new())?;
    let file = a.accounts.display().to_string();
    let summary = refresh_plan(&mut ws, &accounts, &report, &file)?;
    if !summary.is_empty() {
        ws.save_as(&a.plan)?;
    }
    if a.json {
        return print_out(serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n");
    }
    let mut out = summary.lines().join("\n") + "\n";
    if summary.is_empty() {
        out += "The plan already matches the export: nothing changed.\n";
    }
    print_out(out)
}

/// Parses `potential=0.6,revenue=0.4`.
fn parse_weights(s: &str) -> Result<Vec<(String, f64)>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (m, w) = p
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("--weights: '{p}' is not MEASURE=WEIGHT")))?;
            let w: f64 = w.trim().parse().map_err(|_| {
                Error::invalid(format!("--weights: '{}' is not a number", w.trim()))
            })?;
            Ok((m.trim().to_owned(), w))
        })
        .collect()
}

/// `turfmap quota`: sets quotas top-down (`--total`), one quota bottom-up
/// (`--set`), or only shows them; prints the quota table.
pub(super) fn quota(a: QuotaArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let ty = match (&a.type_name, &ws.project().settings.quota) {
        (Some(tn), _) => find_type(ws.project(), tn)?,
        (None, Some(q)) => q.type_id,
        (None, None) => ws.project().primary_type(),
    };
    ws.set_current_type(ty)?;
    let mut changed = false;
    if let Some(total) = a.total {
        let old = ws.project().settings.quota.clone();
        let settings = QuotaSettings {
            type_id: ty,
            total,
            by: a.by.clone().unwrap_or_default(),
            weights: a
                .weights
                .as_deref()
                .map(parse_weights)
                .transpose()?
                .unwrap_or_default(),
            actual: a
                .actual
                .clone()
                .or_else(|| old.as_ref().and_then(|o| o.actual.clone())),
            potential: a
                .potential
                .clone()
                .or_else(|| old.and_then(|o| o.potential)),
        };
        let edit = top_down(ws.project(), &ws.metrics(), settings)?;
        ws.apply(edit)?;
        changed = true;
    } else if a.actual.is_some() || a.potential.is_some() {
        changed |= set_measures(&mut ws, &a)?;
    }
    if let Some(set) = &a.set {
        let (name, amount) = set.rsplit_once('=').ok_or_else(|| {
            Error::invalid(format!("--set: '{set}' is not \"Territory name=AMOUNT\""))
        })?;
        let amount: f64 =
            amount.trim().replace(',', "").parse().map_err(|_| {
                Error::invalid(format!("--set: '{}' is not an amount", amount.trim()))
            })?;
        let id = find_territory(&ws, &a.plan, name.trim())?;
        let edit = set_one(ws.project(), &ws.metrics(), id, amount)?;
        ws.apply(edit)?;
        changed = true;
    }
    if changed {
        ws.save_as(&a.plan)?;
    }
    let m = ws.metrics();
    if a.json {
        return print_out(serde_json::to_string_pretty(&m).unwrap_or_default() + "\n");
    }
    print_out(quota_table(&m))
}

/// `--actual`/`--potential` without `--total`: changes only which measures
/// the quotas are compared with. Returns whether anything changed.
fn set_measures(ws: &mut Workspace, a: &QuotaArgs) -> Result<bool> {
    let mut settings = ws.project().settings.clone();
    let Some(q) = settings.quota.as_mut() else {
        return Err(Error::invalid(
            "the plan has no quotas yet: set them with --total AMOUNT --by MEASURE",
        ));
    };
    let measures = &ws.project().accounts;
    for m in a.actual.iter().chain(&a.potential) {
        if measures.measure_index(m).is_none() {
            return Err(super::parse_measure(ws.project(), m)
                .err()
                .unwrap_or_else(|| Error::invalid(format!("'{m}' is not a measure column"))));
        }
    }
    q.actual = a.actual.clone().or(q.actual.take());
    q.potential = a.potential.clone().or(q.potential.take());
    ws.apply(crate::core::edit::Edit::SetSettings {
        settings: Box::new(settings),
    })?;
    Ok(true)
}

/// The quota table: quota, actual, attainment and white space per
/// territory (children indented), then the plan line.
pub fn quota_table(m: &PlanMetrics) -> String {
    use crate::core::numfmt::count;
    let money = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| sign(v, count));
    let pct = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}%"));
    let mut s = format!(
        "{:<28} {:>16} {:>16} {:>11} {:>16}\n",
        "territory", "quota", "actual", "attainment", "white space"
    );
    let depth = |t: &crate::core::metrics::TerritoryMetrics| {
        let mut d = 0;
        let mut at = t.parent;
        while let Some(p) = at.filter(|_| d < m.territories.len()) {
            d += 1;
            at = m
                .territory(crate::core::TerritoryId(p))
                .and_then(|t| t.parent);
        }
        d
    };
    for t in &m.territories {
        let name = format!("{}{}", "  ".repeat(depth(t)), t.name);
        s += &format!(
            "{:<28} {:>16} {:>16} {:>11} {:>16}\n",
            super::table::truncate(&name, 28),
            money(t.quota),
            money(t.actual),
            pct(t.attainment_pct),
            money(t.white_space)
        );
    }
    s += &format!(
        "{:<28} {:>16} {:>16} {:>11}\n",
        "plan",
        money(m.quota_total),
        money(m.actual_total),
        pct(m.attainment_pct)
    );
    s
}

/// `v` grouped in thousands, with a minus sign when negative.
fn sign(v: f64, count: fn(u64) -> String) -> String {
    let r = v.round();
    if r < 0.0 {
        format!("-{}", count((-r) as u64))
    } else {
        count(r as u64)
    }
}
