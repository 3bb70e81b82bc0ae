//! Quotas: each territory's share of a sales target, and how far its
//! actual (closed revenue, say) has got.
//!
//! Top-down ([`top_down`]): the total is split over the *quota units* of a
//! territory type — its leaf territories plus every parent that holds
//! accounts of its own (those accounts get a quota beside the children's;
//! see [`crate::core::metrics`] for the same rule in balance) — in
//! proportion to a measure, or to a weighted index of several measures
//! where each measure counts by its share of the units' total, so revenue
//! in dollars and workload in hours can be mixed. Amounts are rounded to
//! whole units (cents when the total has cents) by largest remainder, so
//! the quotas always add up to exactly the total.
//!
//! Bottom-up ([`set_one`]): one unit's quota is changed and the plan total
//! is re-derived as the sum. A parent's shown quota is always its own plus
//! all its descendants' ([`rolled_up`], with the other quota figures in
//! [`crate::core::metrics`]).

use std::collections::HashMap;

use super::edit::Edit;
use super::error::{Error, Result};
use super::metrics::PlanMetrics;
pub use super::metrics::rolled_up;
use super::model::{Project, TerritoryId};

pub use super::model::QuotaSettings;

/// Splits `total` in proportion to `shares` (non-negative, not all zero),
/// rounded to whole units — cents when `total` has cents — by largest
/// remainder, so that the parts add up to exactly `total`. Ties go to the
/// earlier share.
pub fn split_exact(total: f64, shares: &[f64]) -> Result<Vec<f64>> {
    if !total.is_finite() || total < 0.0 {
        return Err(Error::invalid(format!(
            "the quota total must be a positive amount, not {total}"
        )));
    }
    if shares.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return Err(Error::invalid(
            "quota shares must be zero or more (a measure has negative values)",
        ));
    }
    let sum: f64 = shares.iter().sum();
    if sum <= 0.0 {
        return Err(Error::invalid(
            "the measure the quota is split by is zero in every territory",
        ));
    }
    let step = if (total - total.round()).abs() < 1e-9 {
        1.0
    } else {
        0.01
    };
    let units = (total / step).round() as i128;
    let raw: Vec<f64> = shares.iter().map(|s| units as f64 * s / sum).collect();
    let mut parts: Vec<i128> = raw.iter().map(|r| r.floor() as i128).collect();
    let mut left = units - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Largest remainder first; stable sort keeps ties in plan order.
    order.sort_by(|&a, &b| {
        let (fa, fb) = (raw[a] - raw[a].floor(), raw[b] - raw[b].floor());
        fb.total_cmp(&fa)
    });
    let mut k = 0;
    while left > 0 && !order.is_empty() {
        parts[order[k % order.len()]] += 1;
        left -= 1;
        k += 1;
    }
    while left < 0 {
        // Floating error made the floors too large: take from the largest.
        let big = (0..parts.len()).max_by_key(|&i| parts[i]).unwrap_or(0);
        parts[big] -= 1;
        left += 1;
    }
    Ok(parts.into_iter().map(|p| p as f64 * step).collect())
}

/// The quota units of the metrics' type: leaves, and parents that hold
/// accounts of their own. In plan order.
pub fn units(metrics: &PlanMetrics) -> Vec<TerritoryId> {
    metrics
        .territories
        .iter()
        .filter(|t| !t.has_children || t.own.count > 0)
        .map(|t| TerritoryId(t.id))
        .collect()
}

/// The own figure of `measure` (`count` or a measure column) of each unit.
fn own_values(metrics: &PlanMetrics, units: &[TerritoryId], measure: &str) -> Result<Vec<f64>> {
    let m = if measure.eq_ignore_ascii_case("count") {
        None
    } else {
        Some(
            metrics
                .measures
                .iter()
                .position(|n| n.eq_ignore_ascii_case(measure))
                .ok_or_else(|| no_measure(metrics, measure))?,
        )
    };
    Ok(units
        .iter()
        .filter_map(|id| metrics.territory(*id))
        .map(|t| match m {
            None => t.own.count as f64,
            Some(m) => t.own.sums[m],
        })
        .collect())
}

fn no_measure(metrics: &PlanMetrics, name: &str) -> Error {
    Error::invalid(format!(
        "no measure called '{name}'; the plan has: count{}",
        metrics
            .measures
            .iter()
            .map(|m| format!(", {m}"))
            .collect::<String>()
    ))
}

/// Each unit's weighted index: Σ weight × (unit's value ÷ all units' value)
/// over the index's measures.
fn index_shares(
    metrics: &PlanMetrics,
    units: &[TerritoryId],
    settings: &QuotaSettings,
) -> Result<Vec<f64>> {
    let mut shares = vec![0.0; units.len()];
    for (measure, w) in settings.index() {
        if !w.is_finite() || w < 0.0 {
            return Err(Error::invalid(format!(
                "the weight of '{measure}' must be zero or more, not {w}"
            )));
        }
        let v = own_values(metrics, units, &measure)?;
        let sum: f64 = v.iter().sum();
        if sum <= 0.0 {
            return Err(Error::invalid(format!(
                "'{measure}' is zero in every territory: it cannot split a quota"
            )));
        }
        for (s, x) in shares.iter_mut().zip(v) {
            *s += w * x.max(0.0) / sum;
        }
    }
    Ok(shares)
}

/// The edit that sets quotas top-down: `settings.total` split over the
/// units of `settings.type_id` (whose metrics are `metrics`) by the index,
/// and the settings stored in the plan. One undoable edit.
pub fn top_down(project: &Project, metrics: &PlanMetrics, settings: QuotaSettings) -> Result<Edit> {
    check_measures(metrics, &settings)?;
    let units = units(metrics);
    if units.is_empty() {
        return Err(Error::invalid(
            "the plan has no territories to set quotas on",
        ));
    }
    let shares = index_shares(metrics, &units, &settings)?;
    let amounts = split_exact(settings.total, &shares)?;
    let amount: HashMap<TerritoryId, f64> = units.into_iter().zip(amounts).collect();
    let (territories, quotas): (Vec<_>, Vec<_>) = project
        .territories_of_type(settings.type_id)
        .map(|t| (t.id, amount.get(&t.id).copied()))
        .unzip();
    let mut plan_settings = project.settings.clone();
    plan_settings.quota = Some(settings);
    Ok(Edit::Batch {
        label: "Set quotas".into(),
        edits: vec![
            Edit::SetQuotas {
                territories,
                quotas,
            },
            Edit::SetSettings {
                settings: Box::new(plan_settings),
            },
        ],
    })
}

/// Refuses actual/potential measures the plan does not have.
fn check_measures(metrics: &PlanMetrics, s: &QuotaSettings) -> Result<()> {
    for m in s.actual.iter().chain(&s.potential) {
        if !metrics.measures.iter().any(|n| n.eq_ignore_ascii_case(m)) {
            return Err(no_measure(metrics, m));
        }
    }
    Ok(())
}

/// The edit that sets one unit's quota (bottom-up) and re-derives the plan
/// total as the sum of the units' quotas. Refused for a pure roll-up
/// parent (its quota is its children's) and before quotas are set.
pub fn set_one(
    project: &Project,
    metrics: &PlanMetrics,
    id: TerritoryId,
    amount: f64,
) -> Result<Edit> {
    let Some(qs) = project.settings.quota.clone() else {
        return Err(Error::invalid(
            "the plan has no quotas yet: set them top-down first (turfmap quota PLAN --total …)",
        ));
    };
    if !amount.is_finite() || amount < 0.0 {
        return Err(Error::invalid(format!(
            "a quota must be zero or more, not {amount}"
        )));
    }
    let t = project
        .territory(id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    let units = units(metrics);
    if !units.contains(&id) {
        return Err(Error::invalid(format!(
            "'{}' has no accounts of its own: its quota is the sum of its children's; set theirs",
            t.name
        )));
    }
    let total: f64 = units
        .iter()
        .filter(|u| **u != id)
        .filter_map(|u| project.territory(*u).and_then(|t| t.quota))
        .sum::<f64>()
        + amount;
    let mut settings = project.settings.clone();
    settings.quota = Some(QuotaSettings { total, ..qs });
    Ok(Edit::Batch {
        label: format!("Set the quota of '{}'", t.name),
        edits: vec![
            Edit::SetQuotas {
                territories: vec![id],
                quotas: vec![Some(amount)],
            },
            Edit::SetSettings {
                settings: Box::new(settings),
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums_by_largest_remainder() {
        let q = split_exact(100.0, &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!(q, vec![34.0, 33.0, 33.0]);
        let q = split_exact(1_000_000.0, &[3.0, 7.0, 11.0, 13.0]).unwrap();
        assert_eq!(q.iter().sum::<f64>(), 1_000_000.0);
        assert!(q.iter().all(|v| v.fract() == 0.0));
        let cents = split_exact(10.01, &[1.0, 1.0, 1.0]).unwrap();
        let sum: i64 = cents.iter().map(|c| (c * 100.0).round() as i64).sum();
        assert_eq!(sum, 1001);
        assert!(split_exact(10.0, &[0.0, 0.0]).is_err());
        assert!(split_exact(-1.0, &[1.0]).is_err());
    }
}
