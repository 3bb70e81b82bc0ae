//! [`LiveMetrics`]: plan metrics kept up to date edit by edit.
//!
//! A boundary edit changes the tallies of a few territories, but rebuilding
//! every territory's figures (names, reps, shares, roll-ups) took tens of
//! milliseconds at 10,000 territories. Live metrics keep each territory's
//! exact figures and rebuild only the entries whose figures or properties
//! changed; the plan-wide figures (mean, CV, deviations, shares, totals)
//! are then redone in one pass over plain numbers. [`PlanMetrics::compute`]
//! is the same code run on every territory, and a property test checks that
//! both always agree.

use std::collections::HashMap;

use super::{Group, PlanMetrics, Spread, TerritoryMetrics, fill_neglected, fill_quota};
use crate::core::engine::tally::SCALE;
use crate::core::engine::{Engine, NONE, Tally};
use crate::core::model::{Project, Territory, TerritoryId, TerritoryTypeId};

/// A count and exact (fixed-point) measure sums.
#[derive(Clone, Debug, PartialEq)]
struct Exact {
    count: i64,
    sums: Vec<i128>,
}

impl Exact {
    fn zero(nm: usize) -> Self {
        Self {
            count: 0,
            sums: vec![0; nm],
        }
    }

    /// The tally of `slot` (`NONE`: unassigned); zero without a slot.
    fn of(tally: &Tally, slot: Option<u32>, nm: usize) -> Self {
        match slot {
            Some(s) => Self {
                count: tally.count(s),
                sums: (0..nm).map(|m| tally.exact_sum(s, m)).collect(),
            },
            None => Self::zero(nm),
        }
    }

    /// Does the tally of `slot` still hold these figures? (No allocation:
    /// every territory is checked on every refresh.)
    fn matches(&self, tally: &Tally, slot: Option<u32>) -> bool {
        match slot {
            Some(s) => {
                tally.count(s) == self.count
                    && self
                        .sums
                        .iter()
                        .enumerate()
                        .all(|(m, &v)| tally.exact_sum(s, m) == v)
            }
            None => self.count == 0 && self.sums.iter().all(|&v| v == 0),
        }
    }

    fn shift(&mut self, by: &Exact, sign: i64) {
        self.count += sign * by.count;
        for (a, b) in self.sums.iter_mut().zip(&by.sums) {
            *a += sign as i128 * b;
        }
    }

    fn group(&self) -> Group {
        Group {
            count: self.count.max(0) as u64,
            sums: self.sums.iter().map(|&v| v as f64 / SCALE).collect(),
        }
    }
}

/// Metrics of one territory type kept up to date edit by edit: see the
/// module docs and `Workspace::refresh_metrics`. Reads as the
/// [`PlanMetrics`] it holds.
#[derive(Clone, Debug)]
pub struct LiveMetrics {
    metrics: PlanMetrics,
    /// Per entry of `metrics.territories`: the territory's position in the
    /// plan and its engine slot when last seen (both checked before use).
    at: Vec<usize>,
    slot: Vec<Option<u32>>,
    /// Position (in `metrics.territories`) of each territory, by id, and
    /// of its parent.
    pos: HashMap<TerritoryId, usize>,
    parent_of: Vec<Option<usize>>,
    /// Own accounts' figures, and rolled up with all descendants'.
    own: Vec<Exact>,
    rolled: Vec<Exact>,
    /// Territories in the plan (all types) when built.
    plan_territories: usize,
    /// The territory type and workspace revision these figures are of.
    pub(crate) seen: Option<(TerritoryTypeId, u64)>,
}

impl std::ops::Deref for LiveMetrics {
    type Target = PlanMetrics;
    fn deref(&self) -> &PlanMetrics {
        &self.metrics
    }
}

impl std::ops::DerefMut for LiveMetrics {
    /// For figures computed elsewhere (drive times): an entry the next
    /// refresh rebuilds loses them, so fill them again after each refresh.
    fn deref_mut(&mut self) -> &mut PlanMetrics {
        &mut self.metrics
    }
}

/// Each territory's position among `of_type`, by id, and that of its
/// parent (a parent of another type, or missing, is none).
fn positions(of_type: &[&Territory]) -> (HashMap<TerritoryId, usize>, Vec<Option<usize>>) {
    let pos: HashMap<TerritoryId, usize> =
        of_type.iter().enumerate().map(|(k, t)| (t.id, k)).collect();
    let parent_of = of_type
        .iter()
        .map(|t| t.parent.and_then(|p| pos.get(&p).copied()))
        .collect();
    (pos, parent_of)
}

/// Calls `f` on each ancestor of `k`, nearest first, with the number of
/// steps taken before it (bounded: a corrupt cycle from a hand-edited
/// file cannot loop forever).
fn for_ancestors(parent_of: &[Option<usize>], k: usize, mut f: impl FnMut(usize, usize)) {
    let mut at = parent_of[k];
    let mut steps = 0;
    while let Some(p) = at {
        if p == k || steps > parent_of.len() {
            break;
        }
        f(p, steps);
        at = parent_of[p];
        steps += 1;
    }
}

impl LiveMetrics {
    /// The metrics as of the last refresh.
    pub fn metrics(&self) -> &PlanMetrics {
        &self.metrics
    }

    /// Takes the metrics out.
    pub fn into_metrics(self) -> PlanMetrics {
        self.metrics
    }

    /// Everything from scratch.
    pub(crate) fn build(project: &Project, engine: &Engine, unlocated: Group) -> Self {
        let a = &project.accounts;
        let nm = a.measures.len();
        let (tally, index) = (engine.tally(), engine.index());
        let ty = engine.type_id();
        let (at, of_type): (Vec<usize>, Vec<&Territory>) = project
            .territories
            .iter()
            .enumerate()
            .filter(|(_, t)| t.type_id == ty)
            .unzip();
        let slot: Vec<Option<u32>> = of_type.iter().map(|t| index.slot_of(t.id)).collect();
        let own: Vec<Exact> = slot.iter().map(|&s| Exact::of(tally, s, nm)).collect();
        let (pos, parent_of) = positions(&of_type);
        let mut rolled = own.clone();
        let mut has_children = vec![false; of_type.len()];
        for (k, o) in own.iter().enumerate() {
            for_ancestors(&parent_of, k, |p, steps| {
                has_children[p] |= steps == 0;
                rolled[p].shift(o, 1);
            });
        }
        let bm = project.balance_measure_index();
        let territories = of_type
            .iter()
            .enumerate()
            .map(|(k, t)| entry(project, engine, t, &own[k], &rolled[k], has_children[k], bm))
            .collect();
        let mut live = Self {
            metrics: PlanMetrics {
                balance_measure: project.settings.balance.to_string(),
                tolerance_pct: project.settings.tolerance_pct,
                measures: a.measures.iter().map(|m| m.name.clone()).collect(),
                territories,
                balance_units: 0,
                mean: 0.0,
                min: 0.0,
                max: 0.0,
                max_min_ratio: None,
                cv_pct: 0.0,
                out_of_tolerance: 0,
                unassigned: Group::default(),
                unlocated,
                total: Group::default(),
                quota_total: None,
                actual_total: None,
                attainment_pct: None,
                penetration_pct: None,
                neglected: None,
            },
            at,
            slot,
            pos,
            parent_of,
            own,
            rolled,
            plan_territories: project.territories.len(),
            seen: None,
        };
        live.finish(project, engine);
        live
    }

    /// Brings the figures up to date with `engine` after edits that kept
    /// the plan's territories, hierarchy, measures and settings, and changed
    /// the properties (shape, name, reps, rule) only of the territories in
    /// `touched`. Rebuilds the entries of those and of every territory whose
    /// tally changed (with its ancestors), then the plan-wide figures.
    /// False, changing nothing, when it cannot (the caller rebuilds).
    pub(crate) fn update(
        &mut self,
        project: &Project,
        engine: &Engine,
        unlocated: Group,
        touched: &[TerritoryId],
    ) -> bool {
        let nm = project.accounts.measures.len();
        // Neglect counts walk the accounts anyway: nothing to save there.
        if project.settings.activity.is_some()
            || nm != self.metrics.measures.len()
            || project.territories.len() != self.plan_territories
        {
            return false;
        }
        let (tally, index) = (engine.tally(), engine.index());
        let n = self.metrics.territories.len();
        let mut dirty = vec![false; n];
        for k in 0..n {
            let id = TerritoryId(self.metrics.territories[k].id);
            let s = match self.slot[k] {
                Some(s) if index.id_of_slot(s) == Some(id) => Some(s),
                _ => index.slot_of(id),
            };
            self.slot[k] = s;
            if self.own[k].matches(tally, s) {
                continue;
            }
            let now = Exact::of(tally, s, nm);
            let mut delta = now.clone();
            delta.shift(&self.own[k], -1);
            self.own[k] = now;
            self.rolled[k].shift(&delta, 1);
            dirty[k] = true;
            for_ancestors(&self.parent_of, k, |p, _| {
                self.rolled[p].shift(&delta, 1);
                dirty[p] = true;
            });
        }
        for id in touched {
            if let Some(&k) = self.pos.get(id) {
                dirty[k] = true;
            }
        }
        let bm = project.balance_measure_index();
        for k in (0..n).filter(|&k| dirty[k]) {
            let id = TerritoryId(self.metrics.territories[k].id);
            let t = match project.territories.get(self.at[k]) {
                Some(t) if t.id == id => t,
                _ => match project.territories.iter().position(|t| t.id == id) {
                    Some(p) => {
                        self.at[k] = p;
                        &project.territories[p]
                    }
                    None => return false,
                },
            };
            let has_children = self.metrics.territories[k].has_children;
            self.metrics.territories[k] = entry(
                project,
                engine,
                t,
                &self.own[k],
                &self.rolled[k],
                has_children,
                bm,
            );
        }
        self.metrics.unlocated = unlocated;
        self.finish(project, engine);
        true
    }

    /// The plan-wide figures, and each territory's share and deviation,
    /// from the entries: one pass over numbers, no allocation per territory.
    fn finish(&mut self, project: &Project, engine: &Engine) {
        let nm = self.metrics.measures.len();
        let unassigned = Exact::of(engine.tally(), Some(NONE), nm);
        let mut total = unassigned.clone();
        total.count = 0;
        let mut count = unassigned.count.max(0) as u64;
        for o in &self.own {
            count += o.count.max(0) as u64;
            total.shift(o, 1);
        }
        let m = &mut self.metrics;
        m.unassigned = unassigned.group();
        m.total = Group {
            count,
            sums: total.group().sums,
        };
        let values: Vec<f64> = m
            .territories
            .iter()
            .filter(|t| t.balance_unit)
            .map(|t| t.balance_value)
            .collect();
        let spread = Spread::of(&values);
        let mean = spread.mean;
        let tol = project.settings.tolerance_pct;
        let pct = |part: f64, whole: f64| {
            if whole != 0.0 {
                part / whole * 100.0
            } else {
                0.0
            }
        };
        let total = &m.total;
        for t in &mut m.territories {
            t.share_pct.clear();
            t.share_pct
                .push(pct(t.group.count as f64, total.count as f64));
            t.share_pct
                .extend((0..nm).map(|k| pct(t.group.sums[k], total.sums[k])));
            t.deviation_pct = if t.balance_unit && mean != 0.0 {
                (t.balance_value - mean) / mean * 100.0
            } else {
                0.0
            };
        }
        m.out_of_tolerance = m.territories.iter().filter(|t| t.is_out(tol)).count();
        m.balance_units = values.len();
        m.mean = mean;
        m.min = spread.min;
        m.max = spread.max;
        m.max_min_ratio = (spread.min > 0.0).then(|| spread.max / spread.min);
        m.cv_pct = if mean != 0.0 {
            spread.var.sqrt() / mean * 100.0
        } else {
            0.0
        };
        m.tolerance_pct = tol;
        fill_quota(project, engine.type_id(), m);
        fill_neglected(project, engine, m);
    }
}

/// The entry of territory `t` from its own and rolled-up figures; its share
/// and deviation are left for [`LiveMetrics::finish`].
fn entry(
    project: &Project,
    engine: &Engine,
    t: &Territory,
    own: &Exact,
    rolled: &Exact,
    has_children: bool,
    bm: Option<usize>,
) -> TerritoryMetrics {
    let (g, own) = (rolled.group(), own.group());
    let value = |g: &Group| match bm {
        None => g.count as f64,
        Some(m) => g.sums[m],
    };
    // A parent with accounts of its own is judged on those alone.
    let judged = match (has_children, own.count > 0) {
        (false, _) => Some(value(&g)),
        (true, true) => Some(value(&own)),
        (true, false) => None,
    };
    let st = engine.shape_stats(t.id);
    TerritoryMetrics {
        id: t.id.0,
        name: t.name.clone(),
        rep: project.rep_label(t),
        parent: t.parent.map(|p| p.0),
        has_children,
        share_pct: Vec::new(),
        balance_unit: judged.is_some(),
        balance_value: judged.unwrap_or_else(|| value(&g)),
        deviation_pct: 0.0,
        area_km2: st.area_km2,
        compactness: st.compactness,
        drive: None,
        group: g,
        own,
        quota: None,
        actual: None,
        attainment_pct: None,
        white_space: None,
        penetration_pct: None,
        neglected: None,
    }
}
