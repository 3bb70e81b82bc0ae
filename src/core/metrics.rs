//! Balance metrics, per territory type.
//!
//! [`PlanMetrics::compute`] reports the territories of the engine's type.
//! In a hierarchy a territory's figures ([`TerritoryMetrics::group`]) are
//! its own accounts plus those of all its descendants, and balance (mean,
//! deviation, CV, tolerance) is judged among the *balance units*: the leaf
//! territories — the ones reps work — plus, for a parent that also holds
//! accounts of its own (its own boundary, pins or rules), that remainder
//! beside its children, since someone works those accounts too. Comparing a
//! region with its own districts means nothing, so a parent is judged on its
//! own accounts only ([`TerritoryMetrics::balance_value`] is then the own
//! value), and a parent with no own accounts is not judged. Quotas use the
//! same units ([`crate::core::quota::units`]). In a flat plan every
//! territory is a leaf.
//!
//! Sums are kept in fixed point (micro-units in `i128`) so that adding and
//! removing accounts one by one — what live editing does thousands of times
//! a second — gives bit-for-bit the same totals as summing from scratch, in
//! any order. Floating-point running sums would drift, and the numbers a
//! planner sees would depend on the order of their edits.

use std::collections::HashMap;

use serde::Serialize;

use super::engine::Engine;
use super::engine::tally::{SCALE, fixed};
use super::model::{Project, TerritoryId, TerritoryTypeId};

mod live;
pub use live::LiveMetrics;

/// Count and measure sums of a group of accounts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Group {
    /// Number of accounts.
    pub count: u64,
    /// Sum per measure, in the order of [`PlanMetrics::measures`].
    pub sums: Vec<f64>,
}

/// Balance figures of one territory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TerritoryMetrics {
    /// Territory id.
    pub id: u32,
    /// Territory name.
    pub name: String,
    /// Reps, if any ("Ann, Bo").
    pub rep: Option<String>,
    /// Parent territory id.
    pub parent: Option<u32>,
    /// True when other territories sit below it.
    pub has_children: bool,
    /// Accounts and sums, its own plus all its descendants'.
    pub group: Group,
    /// Its own accounts and sums (equal to `group` for a leaf).
    pub own: Group,
    /// Share of the plan total of each measure, in percent (first entry is
    /// the account count's share, then one per measure).
    pub share_pct: Vec<f64>,
    /// True when it is judged for balance: a leaf, or a parent with
    /// accounts of its own (judged on those alone).
    pub balance_unit: bool,
    /// Value of the balance measure: the whole group's for a leaf or a
    /// parent without accounts of its own, the own accounts' for a parent
    /// that has some (what it is judged on).
    pub balance_value: f64,
    /// Deviation of the balance value from the mean over balance units, in
    /// % (0 for a territory that is not a balance unit).
    pub deviation_pct: f64,
    /// Geodesic area in km².
    pub area_km2: f64,
    /// Polsby–Popper compactness (0..1).
    pub compactness: f64,
    /// Quota, its own plus its descendants' (`None` until quotas are set;
    /// see [`crate::core::quota`]).
    pub quota: Option<f64>,
    /// The quota's actual measure (closed revenue), rolled up like `group`.
    pub actual: Option<f64>,
    /// `actual / quota` in percent.
    pub attainment_pct: Option<f64>,
    /// White space: potential minus actual.
    pub white_space: Option<f64>,
    /// Market penetration: actual ÷ potential, in percent.
    pub penetration_pct: Option<f64>,
    /// Neglected accounts (own plus descendants') by the plan's activity
    /// column (`None` when the plan tracks none; see
    /// [`crate::core::coverage`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neglected: Option<u64>,
    /// Drive time and road distance from the territory's rep home to its
    /// accounts (filled by
    /// [`DriveView::add_to_metrics`](crate::core::drive::DriveView::add_to_metrics);
    /// `None` without a home or before).
    pub drive: Option<crate::core::travel::DriveFigures>,
}

impl TerritoryMetrics {
    /// True when it is a balance unit outside the ±`tol`% band.
    pub fn is_out(&self, tol: f64) -> bool {
        self.balance_unit && self.deviation_pct.abs() > tol + 1e-9
    }

    /// Its deviation as shown everywhere: `+3.2%`, `+3.2% own` for a parent
    /// judged on its own accounts, `—` for one that is not judged.
    pub fn deviation_text(&self) -> String {
        match (self.balance_unit, self.has_children) {
            (false, _) => "—".to_owned(),
            (true, true) => format!("{} own", super::numfmt::signed_pct(self.deviation_pct)),
            (true, false) => super::numfmt::signed_pct(self.deviation_pct),
        }
    }
}

/// Count and measure sums of the live accounts that have no location.
pub fn unlocated_group(project: &Project) -> Group {
    let a = &project.accounts;
    let nm = a.measures.len();
    let idx: Vec<usize> = (0..a.len())
        .filter(|&i| !a.removed[i] && !a.is_located(i))
        .collect();
    Group {
        count: idx.len() as u64,
        sums: (0..nm)
            .map(|m| {
                idx.iter()
                    .map(|&i| fixed(a.measures[m].values[i]))
                    .sum::<i128>() as f64
                    / SCALE
            })
            .collect(),
    }
}

/// Balance figures of a whole plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanMetrics {
    /// The balance measure's name (`count` or a measure column).
    pub balance_measure: String,
    /// Tolerance in ± percent of the mean.
    pub tolerance_pct: f64,
    /// Measure names, in the order of every `sums` vector.
    pub measures: Vec<String>,
    /// Per territory, in plan order.
    pub territories: Vec<TerritoryMetrics>,
    /// Number of balance units: leaves plus parents with accounts of their
    /// own (see the module docs).
    pub balance_units: usize,
    /// Mean balance value over balance units.
    pub mean: f64,
    /// Smallest balance value.
    pub min: f64,
    /// Largest balance value.
    pub max: f64,
    /// `max / min`; `None` when `min` is zero.
    pub max_min_ratio: Option<f64>,
    /// Coefficient of variation (population std / mean), in percent.
    pub cv_pct: f64,
    /// Territories outside the tolerance band.
    pub out_of_tolerance: usize,
    /// Live accounts with no territory (includes unlocated ones without one).
    pub unassigned: Group,
    /// Live accounts with no location (whether or not pinned).
    pub unlocated: Group,
    /// All live accounts.
    pub total: Group,
    /// Sum of the quotas of this type's territories, when they carry the
    /// plan's quotas.
    pub quota_total: Option<f64>,
    /// Plan total of the quota's actual measure.
    pub actual_total: Option<f64>,
    /// Plan attainment: `actual_total / quota_total` in percent.
    pub attainment_pct: Option<f64>,
    /// Plan market penetration: actual ÷ potential, in percent.
    pub penetration_pct: Option<f64>,
    /// Neglected live accounts in the whole plan by its activity column
    /// (`None` when it tracks none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neglected: Option<u64>,
}

impl PlanMetrics {
    /// Computes the metrics from the engine's tallies (no account walk for
    /// territories; one pass over the location column for `unlocated`).
    pub fn compute(project: &Project, engine: &Engine) -> Self {
        Self::compute_with_unlocated(project, engine, unlocated_group(project))
    }

    /// Like [`PlanMetrics::compute`], with the unlocated accounts' figures
    /// already known (they only change when accounts are added, removed or
    /// moved, so a workspace keeps them between edits and metrics cost no
    /// pass over the accounts).
    pub fn compute_with_unlocated(project: &Project, engine: &Engine, unlocated: Group) -> Self {
        LiveMetrics::build(project, engine, unlocated).into_metrics()
    }
    /// How many territories there are and how many units balance judges:
    /// "12 territories" in a flat plan, "12 territories · balanced as 11
    /// (9 leaves + 2 parents' own accounts)" in a hierarchy.
    pub fn units_summary(&self) -> String {
        let n = self.territories.len();
        let mut s = super::numfmt::counted(n as u64, "territory", "territories");
        let parents = self
            .territories
            .iter()
            .filter(|t| t.has_children && t.balance_unit)
            .count();
        if self.balance_units != n {
            s += &format!(
                " · balanced as {} ({} + {})",
                self.balance_units,
                super::numfmt::counted((self.balance_units - parents) as u64, "leaf", "leaves"),
                super::numfmt::counted(
                    parents as u64,
                    "parent's own accounts",
                    "parents' own accounts"
                ),
            );
        }
        s
    }

    /// Metrics of the territory with id `id`.
    pub fn territory(&self, id: TerritoryId) -> Option<&TerritoryMetrics> {
        self.territories.iter().find(|t| t.id == id.0)
    }
}

/// Mean, population variance, min and max of the leaves' balance values
/// (all zero for none).
struct Spread {
    mean: f64,
    var: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Spread {
                mean: 0.0,
                var: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        Spread {
            mean,
            var: values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / k,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// Each territory's quota rolled up: its own plus all its descendants'
/// (`None` where neither it nor anything below it has one).
pub fn rolled_up(project: &Project, ty: TerritoryTypeId) -> HashMap<TerritoryId, f64> {
    let mut out: HashMap<TerritoryId, f64> = HashMap::new();
    for t in project.territories_of_type(ty) {
        let Some(q) = t.quota else { continue };
        *out.entry(t.id).or_default() += q;
        for a in super::hierarchy::ancestors(project, t.id) {
            *out.entry(a).or_default() += q;
        }
    }
    out
}

/// Fills the quota, actual, attainment, white-space and penetration figures of
/// `metrics` (of type `ty`) from the plan's quota settings.
pub fn fill_quota(project: &Project, ty: TerritoryTypeId, metrics: &mut PlanMetrics) {
    let Some(qs) = &project.settings.quota else {
        return;
    };
    let rolled = rolled_up(project, ty);
    let col = |name: &str| {
        metrics
            .measures
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
    };
    let actual = qs.actual.as_deref().and_then(col);
    let potential = match &qs.potential {
        Some(p) => col(p),
        None => col("potential"),
    };
    for t in &mut metrics.territories {
        t.quota = rolled.get(&TerritoryId(t.id)).copied();
        t.actual = actual.map(|m| t.group.sums[m]);
        t.attainment_pct = match (t.actual, t.quota) {
            (Some(a), Some(q)) if q > 0.0 => Some(a / q * 100.0),
            _ => None,
        };
        t.white_space = match (potential, t.actual) {
            (Some(p), Some(a)) => Some(t.group.sums[p] - a),
            _ => None,
        };
        t.penetration_pct = penetration(potential.map(|p| t.group.sums[p]), t.actual);
    }
    let units: Vec<_> = metrics
        .territories
        .iter()
        .filter(|t| !t.has_children || t.own.count > 0)
        .collect();
    let quota: f64 = units
        .iter()
        .filter_map(|t| project.territory(TerritoryId(t.id)).and_then(|t| t.quota))
        .sum();
    metrics.quota_total = (qs.type_id == ty).then_some(quota);
    metrics.actual_total = actual.map(|m| metrics.total.sums[m]);
    metrics.attainment_pct = match (metrics.actual_total, metrics.quota_total) {
        (Some(a), Some(q)) if q > 0.0 => Some(a / q * 100.0),
        _ => None,
    };
    metrics.penetration_pct = penetration(
        potential.map(|p| metrics.total.sums[p]),
        metrics.actual_total,
    );
}

/// Fills every territory's neglected count and the plan's from the plan's
/// activity column ([`crate::core::neglect`]); nothing when it has none or
/// the column is gone (a refresh without it: the counts are then unknown,
/// not zero).
pub fn fill_neglected(project: &Project, engine: &Engine, metrics: &mut PlanMetrics) {
    let Some(activity) = project.settings.activity.as_deref() else {
        return;
    };
    let Ok((own, neglected, _)) = super::neglect::count_neglected(project, engine, activity) else {
        return;
    };
    let rolled = super::neglect::roll_up(project, &own);
    for t in &mut metrics.territories {
        t.neglected = Some(rolled.get(&TerritoryId(t.id)).copied().unwrap_or(0));
    }
    metrics.neglected = Some(neglected);
}

/// The actual and potential measures penetration is computed from, as the
/// plan spells them: the quota settings' actual, and their potential or
/// else a measure called "potential". `None` without both.
pub fn penetration_measures(project: &Project) -> Option<(String, String)> {
    let qs = project.settings.quota.as_ref()?;
    let find = |name: &str| {
        project
            .accounts
            .measures
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
            .map(|m| m.name.clone())
    };
    let actual = find(qs.actual.as_deref()?)?;
    let potential = find(qs.potential.as_deref().unwrap_or("potential"))?;
    Some((actual, potential))
}

/// Actual ÷ potential in percent; `None` without both or a zero potential.
fn penetration(potential: Option<f64>, actual: Option<f64>) -> Option<f64> {
    match (potential, actual) {
        (Some(p), Some(a)) if p > 0.0 => Some(a / p * 100.0),
        _ => None,
    }
}
