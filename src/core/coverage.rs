//! Coverage: which accounts nobody works, and how much of the market the
//! territories have won.
//!
//! An account is *neglected* when its activity column says nothing
//! happened: a measure (visits, calls, last-year revenue) that is zero or
//! missing, or a text attribute (last visit date, owner) that is empty.
//! Counts roll up the hierarchy like the balance figures: a parent counts
//! its own accounts plus its descendants'. Penetration is actual ÷
//! potential from the plan's quota settings (see [`crate::core::quota`]).

use serde::Serialize;

use super::engine::Engine;
use super::metrics::PlanMetrics;
use super::model::{Project, TerritoryId};
use super::neglect::{count_neglected, roll_up};
use super::{Error, Result};

pub use super::neglect::activity_column;

/// One territory's coverage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoverageRow {
    /// Territory id.
    pub id: u32,
    /// Territory name.
    pub name: String,
    /// Accounts (own plus descendants').
    pub accounts: u64,
    /// Of those, neglected.
    pub neglected: u64,
    /// `neglected ÷ accounts` in percent (0 for no accounts).
    pub neglected_pct: f64,
    /// Actual ÷ potential in percent, when the plan has both measures.
    pub penetration_pct: Option<f64>,
}

/// The answer of [`coverage`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    /// The activity column, as named in the plan.
    pub activity: String,
    /// Per territory of the engine's type, in plan order.
    pub territories: Vec<CoverageRow>,
    /// Neglected accounts in no territory of that type.
    pub unassigned_neglected: u64,
    /// Neglected accounts in the whole plan.
    pub neglected: u64,
    /// Live accounts in the whole plan.
    pub accounts: u64,
    /// Plan penetration, when the plan has actual and potential measures.
    pub penetration_pct: Option<f64>,
}

/// The measures penetration is computed from: actual ÷ potential.
#[derive(Clone, Copy, Debug, Default)]
pub struct Penetration<'a> {
    /// The actual measure (closed revenue); `None` = the quota settings'.
    pub actual: Option<&'a str>,
    /// The potential measure; `None` = the quota settings', else one
    /// called "potential".
    pub potential: Option<&'a str>,
}

/// Neglected accounts per territory of `engine`'s type by the `activity`
/// column (a measure or a text attribute, case-insensitive), and
/// penetration from `measures` or, without them, the figures `metrics`
/// (the same plan and type) carry from the quota settings.
pub fn coverage(
    project: &Project,
    engine: &Engine,
    metrics: &PlanMetrics,
    activity: &str,
    measures: Penetration<'_>,
) -> Result<Coverage> {
    let metrics = &with_penetration(metrics, measures)?;
    let (own, neglected, unassigned) = count_neglected(project, engine, activity)?;
    let rolled = roll_up(project, &own);
    let territories = metrics
        .territories
        .iter()
        .map(|t| {
            let n = rolled.get(&TerritoryId(t.id)).copied().unwrap_or(0);
            CoverageRow {
                id: t.id,
                name: t.name.clone(),
                accounts: t.group.count,
                neglected: n,
                neglected_pct: pct(n, t.group.count),
                penetration_pct: t.penetration_pct,
            }
        })
        .collect();
    Ok(Coverage {
        activity: activity_column(project, activity)?,
        territories,
        unassigned_neglected: unassigned,
        neglected,
        accounts: metrics.total.count,
        penetration_pct: metrics.penetration_pct,
    })
}

/// `metrics` with penetration figures from `measures` when given.
fn with_penetration(metrics: &PlanMetrics, measures: Penetration<'_>) -> Result<PlanMetrics> {
    let mut m = metrics.clone();
    if measures.actual.is_none() && measures.potential.is_none() {
        return Ok(m);
    }
    let col = |name: &str| {
        m.measures
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "no measure called '{name}'; the plan has: {}",
                    m.measures.join(", ")
                ))
            })
    };
    let actual = col(measures
        .actual
        .ok_or_else(|| Error::invalid("penetration needs --actual with --potential"))?)?;
    let potential = col(measures.potential.unwrap_or("potential"))?;
    let ratio = |g: &super::metrics::Group| {
        let p = g.sums[potential];
        (p > 0.0).then(|| g.sums[actual] / p * 100.0)
    };
    for t in &mut m.territories {
        t.penetration_pct = ratio(&t.group);
    }
    m.penetration_pct = ratio(&m.total);
    Ok(m)
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64 * 100.0
    }
}
