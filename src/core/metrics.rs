//! Balance metrics, per territory type.
//!
//! [`PlanMetrics::compute`] reports the territories of the engine's type.
//! In a hierarchy a territory's figures ([`TerritoryMetrics::group`]) are
//! its own accounts plus those of all its descendants, and balance (mean,
//! deviation, CV, tolerance) is judged among the leaf territories — the
//! ones reps work — since comparing a region with its own districts means
//! nothing. In a flat plan every territory is a leaf.
//!
//! Sums are kept in fixed point (micro-units in `i128`) so that adding and
//! removing accounts one by one — what live editing does thousands of times
//! a second — gives bit-for-bit the same totals as summing from scratch, in
//! any order. Floating-point running sums would drift, and the numbers a
//! planner sees would depend on the order of their edits.

use rayon::prelude::*;
use serde::Serialize;

use super::engine::{Engine, NONE};
use super::index::TerritoryIndex;
use super::model::{Project, TerritoryId};

/// Fixed-point scale: values are summed in millionths.
const SCALE: f64 = 1e6;

/// Largest magnitude of one account's measure that is summed as it is;
/// beyond it a value counts as ±this (saturates). With it, the `i128`
/// sums of up to 10^14 accounts cannot overflow, where a wrapped sum would
/// turn two revenues of 1e32 into a negative total.
pub const MAX_MEASURE: f64 = 1e18;

#[inline]
fn fixed(v: f64) -> i128 {
    if v.is_finite() {
        (v.clamp(-MAX_MEASURE, MAX_MEASURE) * SCALE).round() as i128
    } else {
        0
    }
}

/// Running count and measure sums per territory slot, plus unassigned.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    nm: usize,
    /// Bucket 0 = unassigned, bucket `slot + 1` = territory slot.
    count: Vec<i64>,
    sums: Vec<i128>,
}

impl Tally {
    /// An all-zero tally for `slots` territory slots and `nm` measures.
    pub fn new(slots: usize, nm: usize) -> Self {
        Self {
            nm,
            count: vec![0; slots + 1],
            sums: vec![0; (slots + 1) * nm],
        }
    }

    /// Grows to hold at least `slots` territory slots.
    pub fn ensure_slots(&mut self, slots: usize) {
        if self.count.len() < slots + 1 {
            self.count.resize(slots + 1, 0);
            self.sums.resize((slots + 1) * self.nm, 0);
        }
    }

    #[inline]
    fn bucket(slot: u32) -> usize {
        if slot == NONE { 0 } else { slot as usize + 1 }
    }

    /// Tallies a whole assignment (`slot` per account) from scratch.
    pub fn from_assignment(project: &Project, slot: &[u32], slots: usize) -> Self {
        let nm = project.accounts.measures.len();
        let a = &project.accounts;
        let chunk = 65536;
        let parts: Vec<Tally> = slot
            .par_chunks(chunk)
            .enumerate()
            .map(|(k, ch)| {
                let mut t = Tally::new(slots, nm);
                for (j, &s) in ch.iter().enumerate() {
                    let i = k * chunk + j;
                    if !a.removed[i] {
                        t.add(project, i, s);
                    }
                }
                t
            })
            .collect();
        let mut total = Tally::new(slots, nm);
        for p in parts {
            for (a, b) in total.count.iter_mut().zip(p.count) {
                *a += b;
            }
            for (a, b) in total.sums.iter_mut().zip(p.sums) {
                *a += b;
            }
        }
        total
    }

    /// Adds account `i` to `slot` (`NONE` = unassigned).
    #[inline]
    pub fn add(&mut self, project: &Project, i: usize, slot: u32) {
        self.shift(project, i, slot, 1);
    }

    /// Removes account `i` from `slot`.
    #[inline]
    pub fn remove(&mut self, project: &Project, i: usize, slot: u32) {
        self.shift(project, i, slot, -1);
    }

    fn shift(&mut self, project: &Project, i: usize, slot: u32, sign: i64) {
        let b = Self::bucket(slot);
        self.ensure_slots(b);
        self.count[b] += sign;
        for (m, col) in project.accounts.measures.iter().enumerate() {
            self.sums[b * self.nm + m] += sign as i128 * fixed(col.values[i]);
        }
    }

    /// Account count of a slot (`NONE` = unassigned).
    pub fn count(&self, slot: u32) -> i64 {
        self.count.get(Self::bucket(slot)).copied().unwrap_or(0)
    }

    /// Sum of measure `m` in a slot.
    pub fn sum(&self, slot: u32, m: usize) -> f64 {
        self.sums
            .get(Self::bucket(slot) * self.nm + m)
            .map_or(0.0, |&v| v as f64 / SCALE)
    }

    /// Exact equality of two tallies, comparing territory by territory
    /// (slots may differ between two engines).
    pub fn same_as(
        &self,
        my_index: &TerritoryIndex,
        other: &Tally,
        other_index: &TerritoryIndex,
    ) -> bool {
        let exact =
            |t: &Tally, idx: &TerritoryIndex, id: Option<TerritoryId>| -> (i64, Vec<i128>) {
                let b = match id {
                    None => 0,
                    Some(id) => match idx.slot_of(id) {
                        Some(s) => s as usize + 1,
                        None => return (0, vec![0; t.nm]),
                    },
                };
                let c = t.count.get(b).copied().unwrap_or(0);
                let s = (0..t.nm)
                    .map(|m| t.sums.get(b * t.nm + m).copied().unwrap_or(0))
                    .collect();
                (c, s)
            };
        let mut ids: Vec<Option<TerritoryId>> = vec![None];
        for s in 0..my_index.slot_capacity() as u32 {
            ids.extend(my_index.id_of_slot(s).map(Some));
        }
        for s in 0..other_index.slot_capacity() as u32 {
            ids.extend(other_index.id_of_slot(s).map(Some));
        }
        // Freed slots must be empty too, or a tally leaked.
        let freed_empty = |t: &Tally, idx: &TerritoryIndex| {
            (0..idx.slot_capacity() as u32)
                .filter(|&s| idx.id_of_slot(s).is_none())
                .all(|s| t.count(s) == 0)
        };
        ids.iter()
            .all(|&id| exact(self, my_index, id) == exact(other, other_index, id))
            && freed_empty(self, my_index)
            && freed_empty(other, other_index)
    }
}

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
    /// Value of the balance measure.
    pub balance_value: f64,
    /// Deviation of the balance value from the mean over territories, in %.
    pub deviation_pct: f64,
    /// Geodesic area in km².
    pub area_km2: f64,
    /// Polsby–Popper compactness (0..1).
    pub compactness: f64,
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
    /// Mean balance value over territories.
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
        let a = &project.accounts;
        let nm = a.measures.len();
        let tally = engine.tally();
        let index = engine.index();
        let group_of = |slot: u32| Group {
            count: tally.count(slot).max(0) as u64,
            sums: (0..nm).map(|m| tally.sum(slot, m)).collect(),
        };
        let unassigned = group_of(NONE);
        let mut total = unassigned.clone();
        let ty = engine.type_id();
        let of_type: Vec<&super::model::Territory> = project.territories_of_type(ty).collect();
        let mut per: Vec<(u32, Group)> = Vec::with_capacity(of_type.len());
        for t in &of_type {
            let g = index.slot_of(t.id).map(&group_of).unwrap_or(Group {
                count: 0,
                sums: vec![0.0; nm],
            });
            total.count += g.count;
            for m in 0..nm {
                total.sums[m] += g.sums[m];
            }
            per.push((t.id.0, g));
        }
        // Exact plan totals from the fixed-point tallies, not the f64 sums.
        let mut exact_tot = vec![0i128; nm];
        let mut buckets = vec![NONE];
        buckets.extend(of_type.iter().filter_map(|t| index.slot_of(t.id)));
        for &s in &buckets {
            let b = if s == NONE { 0 } else { s as usize + 1 };
            for (m, e) in exact_tot.iter_mut().enumerate() {
                *e += tally.sums.get(b * nm + m).copied().unwrap_or(0);
            }
        }
        for (sum, exact) in total.sums.iter_mut().zip(&exact_tot) {
            *sum = *exact as f64 / SCALE;
        }
        // Roll up: own figures plus all descendants', in exact fixed point.
        let pos: std::collections::HashMap<u32, usize> = per
            .iter()
            .enumerate()
            .map(|(k, (id, _))| (*id, k))
            .collect();
        let parent_of: Vec<Option<usize>> = of_type
            .iter()
            .map(|t| t.parent.and_then(|p| pos.get(&p.0).copied()))
            .collect();
        let mut has_children = vec![false; per.len()];
        let mut rolled: Vec<(i64, Vec<i128>)> = of_type
            .iter()
            .map(|t| match index.slot_of(t.id) {
                Some(s) => (
                    tally.count(s),
                    (0..nm)
                        .map(|m| {
                            tally
                                .sums
                                .get((s as usize + 1) * nm + m)
                                .copied()
                                .unwrap_or(0)
                        })
                        .collect(),
                ),
                None => (0, vec![0; nm]),
            })
            .collect();
        let own_exact = rolled.clone();
        for k in 0..per.len() {
            // Add k's own figures to every ancestor (bounded walk: a corrupt
            // cycle from a hand-edited file cannot loop forever).
            let mut at = parent_of[k];
            let mut steps = 0;
            while let Some(p) = at {
                if p == k || steps > per.len() {
                    break;
                }
                has_children[p] |= steps == 0;
                rolled[p].0 += own_exact[k].0;
                for m in 0..nm {
                    rolled[p].1[m] += own_exact[k].1[m];
                }
                at = parent_of[p];
                steps += 1;
            }
        }
        let rolled: Vec<Group> = rolled
            .into_iter()
            .map(|(c, s)| Group {
                count: c.max(0) as u64,
                sums: s.into_iter().map(|v| v as f64 / SCALE).collect(),
            })
            .collect();
        let bm = project.balance_measure_index();
        let value = |g: &Group| match bm {
            None => g.count as f64,
            Some(m) => g.sums[m],
        };
        let values: Vec<f64> = rolled
            .iter()
            .zip(&has_children)
            .filter(|(_, h)| !**h)
            .map(|(g, _)| value(g))
            .collect();
        let k = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / k;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / k;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if values.is_empty() {
            (0.0, 0.0)
        } else {
            (min, max)
        };
        let tol = project.settings.tolerance_pct;
        let dev = |v: f64| {
            if mean != 0.0 {
                (v - mean) / mean * 100.0
            } else {
                0.0
            }
        };
        let pct = |part: f64, whole: f64| {
            if whole != 0.0 {
                part / whole * 100.0
            } else {
                0.0
            }
        };
        let territories: Vec<TerritoryMetrics> = of_type
            .iter()
            .zip(per)
            .zip(rolled)
            .zip(&has_children)
            .map(|(((t, (_, own)), g), &has_children)| {
                let st = engine.shape_stats(t.id);
                let mut share_pct = vec![pct(g.count as f64, total.count as f64)];
                share_pct.extend((0..nm).map(|m| pct(g.sums[m], total.sums[m])));
                let bv = value(&g);
                TerritoryMetrics {
                    id: t.id.0,
                    name: t.name.clone(),
                    rep: project.rep_label(t),
                    parent: t.parent.map(|p| p.0),
                    has_children,
                    share_pct,
                    balance_value: bv,
                    // Parents are not judged against the leaves' mean.
                    deviation_pct: if has_children { 0.0 } else { dev(bv) },
                    area_km2: st.area_km2,
                    compactness: st.compactness,
                    group: g,
                    own,
                }
            })
            .collect();
        let out_of_tolerance = territories
            .iter()
            .filter(|t| !t.has_children && t.deviation_pct.abs() > tol + 1e-9)
            .count();
        Self {
            balance_measure: project.settings.balance.to_string(),
            tolerance_pct: tol,
            measures: a.measures.iter().map(|m| m.name.clone()).collect(),
            territories,
            mean,
            min,
            max,
            max_min_ratio: (min > 0.0).then(|| max / min),
            cv_pct: if mean != 0.0 {
                var.sqrt() / mean * 100.0
            } else {
                0.0
            },
            out_of_tolerance,
            unassigned,
            unlocated,
            total,
        }
    }

    /// Metrics of the territory with id `id`.
    pub fn territory(&self, id: TerritoryId) -> Option<&TerritoryMetrics> {
        self.territories.iter().find(|t| t.id == id.0)
    }
}
