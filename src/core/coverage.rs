//! Coverage: which accounts nobody works, and how much of the market the
//! territories have won.
//!
//! An account is *neglected* when its activity column says nothing
//! happened: a measure (visits, calls, last-year revenue) that is zero or
//! missing, or a text attribute (last visit date, owner) that is empty.
//! Counts roll up the hierarchy like the balance figures: a parent counts
//! its own accounts plus its descendants'. Penetration is actual ÷
//! potential from the plan's quota settings (see [`crate::core::quota`]).

use std::collections::HashMap;

use serde::Serialize;

use super::engine::Engine;
use super::hierarchy::ancestors;
use super::metrics::PlanMetrics;
use super::model::{Project, TerritoryId};
use super::{Error, Result};

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
        activity: column_name(project, activity),
        territories,
        unassigned_neglected: unassigned,
        neglected,
        accounts: metrics.total.count,
        penetration_pct: metrics.penetration_pct,
    })
}

/// Fills [`TerritoryMetrics::neglected`](super::metrics::TerritoryMetrics)
/// and the plan's count from the plan's activity column
/// ([`PlanSettings::activity`](super::model::PlanSettings)); nothing when it
/// has none or the column is gone (a refresh without it: the counts are
/// then unknown, not zero).
pub fn fill_metrics(project: &Project, engine: &Engine, metrics: &mut PlanMetrics) {
    let Some(activity) = project.settings.activity.as_deref() else {
        return;
    };
    let Ok((own, neglected, _)) = count_neglected(project, engine, activity) else {
        return;
    };
    let rolled = roll_up(project, &own);
    for t in &mut metrics.territories {
        t.neglected = Some(rolled.get(&TerritoryId(t.id)).copied().unwrap_or(0));
    }
    metrics.neglected = Some(neglected);
}

/// Neglected accounts per territory of `engine`'s type (own only), in the
/// whole plan, and in no territory.
fn count_neglected(
    project: &Project,
    engine: &Engine,
    activity: &str,
) -> Result<(HashMap<TerritoryId, u64>, u64, u64)> {
    let is_neglected = neglect_test(project, activity)?;
    let mut own: HashMap<TerritoryId, u64> = HashMap::new();
    let (mut neglected, mut unassigned) = (0u64, 0u64);
    for i in project.accounts.live() {
        if !is_neglected(i) {
            continue;
        }
        neglected += 1;
        match engine.territory_of(i) {
            Some(t) => *own.entry(t).or_default() += 1,
            None => unassigned += 1,
        }
    }
    Ok((own, neglected, unassigned))
}

/// Own counts plus every descendant's.
fn roll_up(project: &Project, own: &HashMap<TerritoryId, u64>) -> HashMap<TerritoryId, u64> {
    let mut rolled = own.clone();
    for (&t, &n) in own {
        for up in ancestors(project, t) {
            *rolled.entry(up).or_default() += n;
        }
    }
    rolled
}

/// The activity column as the plan spells it, or an error listing the
/// columns the plan has.
pub fn activity_column(project: &Project, activity: &str) -> Result<String> {
    let _ = neglect_test(project, activity)?;
    Ok(column_name(project, activity))
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

/// The activity column's name as the plan spells it.
fn column_name(project: &Project, activity: &str) -> String {
    let a = &project.accounts;
    a.measures
        .iter()
        .map(|m| &m.name)
        .chain(a.attributes.iter().map(|c| &c.name))
        .find(|n| n.eq_ignore_ascii_case(activity))
        .cloned()
        .unwrap_or_else(|| activity.to_owned())
}

/// Whether account `i` is neglected by `activity`; an unknown column is an
/// error listing the columns the plan has.
fn neglect_test<'a>(
    project: &'a Project,
    activity: &str,
) -> Result<Box<dyn Fn(usize) -> bool + 'a>> {
    let a = &project.accounts;
    if let Some(m) = a
        .measures
        .iter()
        .position(|m| m.name.eq_ignore_ascii_case(activity))
    {
        let values = &a.measures[m].values;
        return Ok(Box::new(move |i| {
            let v = values[i];
            v == 0.0 || v.is_nan()
        }));
    }
    if let Some(c) = a
        .attributes
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(activity))
    {
        return Ok(Box::new(move |i| {
            c.codes
                .get(i)
                .is_none_or(|&k| c.dict.get(k as usize).is_none_or(|v| v.trim().is_empty()))
        }));
    }
    let names: Vec<&str> = a
        .measures
        .iter()
        .map(|m| m.name.as_str())
        .chain(a.attributes.iter().map(|c| c.name.as_str()))
        .collect();
    Err(Error::invalid(format!(
        "no column called '{activity}'; the plan has: {}",
        if names.is_empty() {
            "no measure or attribute columns".to_owned()
        } else {
            names.join(", ")
        }
    )))
}
