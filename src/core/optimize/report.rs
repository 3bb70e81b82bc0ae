//! What a proposal changes: accounts and measure moved, per territory and
//! per rep, measured by comparing the engine's assignment before and after.

use serde::Serialize;

use crate::core::geometry::haversine_km;
use crate::core::model::TerritoryId;
use crate::core::workspace::Workspace;

/// Moves into and out of one territory.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TerritoryDisruption {
    /// Territory id.
    pub id: u32,
    /// Name (after the change, or before if it was removed).
    pub name: String,
    /// Rep, if any.
    pub rep: Option<String>,
    /// Accounts that join it.
    pub accounts_in: u64,
    /// Accounts that leave it.
    pub accounts_out: u64,
    /// Sum of each measure joining it (plan measure order).
    pub measure_in: Vec<f64>,
    /// Sum of each measure leaving it.
    pub measure_out: Vec<f64>,
    /// How far its load centre (the balance measure's weighted mean
    /// location) moves, km; `None` when it holds no load before or after.
    pub centre_shift_km: Option<f64>,
    /// How far its load centre was allowed to move, km (`None`: no
    /// limit).
    pub centre_limit_km: Option<f64>,
}

/// Moves per rep (over all their territories).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RepDisruption {
    /// Rep name (`(no rep)` for territories without one).
    pub rep: String,
    /// Accounts the rep gains.
    pub accounts_in: u64,
    /// Accounts the rep loses.
    pub accounts_out: u64,
    /// Percent of the rep's current accounts that leave them.
    pub accounts_out_pct: f64,
}

/// Disruption and outcome of a proposal.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DisruptionReport {
    /// Live accounts whose territory changes (to or from none included).
    pub accounts_moved: u64,
    /// Live accounts in all.
    pub accounts_total: u64,
    /// Percent of accounts moved.
    pub accounts_moved_pct: f64,
    /// Measure names, in the order of `measure_moved_pct`.
    pub measures: Vec<String>,
    /// Percent of each measure's plan total that changes territory.
    pub measure_moved_pct: Vec<f64>,
    /// Percent of the plan's balance measure that moves.
    pub balance_moved_pct: f64,
    /// Per territory (before and after, plan order, removed ones last).
    pub territories: Vec<TerritoryDisruption>,
    /// Per rep.
    pub reps: Vec<RepDisruption>,
    /// Units the problem was built from.
    pub units: usize,
    /// Units that changed territory.
    pub units_moved: usize,
    /// Bridge edges added between unit islands.
    pub bridges: usize,
    /// Every territory within tolerance (on the unit model).
    pub within_tolerance: bool,
    /// Every territory within tolerance except those that cannot be (see
    /// `infeasible_territories`).
    pub within_tolerance_where_feasible: bool,
    /// Territories that cannot be within tolerance in any plan of these
    /// units: they hold a unit, or pinned/locked load, above the limit.
    pub infeasible_territories: usize,
    /// Every territory connected in the unit adjacency graph.
    pub contiguous: bool,
    /// Location–allocation rounds run.
    pub rounds: usize,
    /// Local-search moves made.
    pub local_moves: usize,
    /// Coefficient of variation of the optimised load over territories, %.
    pub unit_cv_pct: f64,
    /// Territories in several pieces on the units used (names, with the
    /// number of pieces): their units are islands joined across a gap.
    pub split_territories: Vec<(String, usize)>,
    /// Accounts inside no unit, given to the nearest unit (pinned to its
    /// territory).
    pub uncovered_accounts: usize,
    /// Territories outside the tolerance after the change (names).
    pub outside_tolerance: Vec<String>,
    /// The farthest any territory's load centre moves, km.
    pub max_centre_shift_km: f64,
    /// The smallest and largest of the territories' limits on that
    /// distance, km (`None`: no limit).
    pub centre_limit_km: Option<(f64, f64)>,
    /// How many times the planner's centre limit it was widened to meet a
    /// tolerance it kept out of reach (`None`: not widened).
    pub centre_limit_widened: Option<f64>,
    /// Warnings (infeasible balance, islands, …).
    pub notes: Vec<String>,
}

/// Load-weighted mean locations per territory, as sums of unit vectors
/// (a mean of longitudes would break at the antimeridian).
struct Centres(Vec<[f64; 4]>);

impl Centres {
    fn new(n: usize) -> Self {
        Self(vec![[0.0; 4]; n])
    }

    fn add(&mut self, k: usize, lon: f64, lat: f64, w: f64) {
        if !(lon.is_finite() && lat.is_finite() && w > 0.0) {
            return;
        }
        let (lo, la) = (lon.to_radians(), lat.to_radians());
        let s = &mut self.0[k];
        s[0] += w * la.cos() * lo.cos();
        s[1] += w * la.cos() * lo.sin();
        s[2] += w * la.sin();
        s[3] += w;
    }

    /// Centre of territory `k` (lon, lat), when it holds load.
    fn get(&self, k: usize) -> Option<(f64, f64)> {
        let [x, y, z, w] = self.0[k];
        let r = (x * x + y * y + z * z).sqrt();
        (w > 0.0 && r > 1e-12 * w).then(|| (y.atan2(x).to_degrees(), (z / r).asin().to_degrees()))
    }
}

impl DisruptionReport {
    /// Compares two workspaces of the same plan (same accounts).
    pub fn measure(before: &Workspace, after: &Workspace) -> Self {
        let p0 = before.project();
        let p1 = after.project();
        let a = &p0.accounts;
        let nm = a.measures.len();
        let bm = p0.balance_measure_index();
        let mut ids: Vec<TerritoryId> = p1.territories.iter().map(|t| t.id).collect();
        ids.extend(
            p0.territories
                .iter()
                .map(|t| t.id)
                .filter(|id| p1.territory(*id).is_none()),
        );
        let mut per: Vec<TerritoryDisruption> = ids
            .iter()
            .map(|&id| {
                let t = p1.territory(id).or_else(|| p0.territory(id));
                TerritoryDisruption {
                    id: id.0,
                    name: t.map(|t| t.name.clone()).unwrap_or_default(),
                    rep: t.and_then(|t| p1.rep_label(t)),
                    measure_in: vec![0.0; nm],
                    measure_out: vec![0.0; nm],
                    ..TerritoryDisruption::default()
                }
            })
            .collect();
        let index: std::collections::HashMap<TerritoryId, usize> =
            ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
        let pos = |id: TerritoryId| index.get(&id).copied();
        let mut centres = (Centres::new(ids.len()), Centres::new(ids.len()));
        let mut moved = 0u64;
        let mut total = 0u64;
        let mut moved_m = vec![0.0; nm];
        let mut total_m = vec![0.0; nm];
        let mut rep_count: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
        let rep_of = |p: &crate::core::model::Project, id: Option<TerritoryId>| {
            id.and_then(|id| p.territory(id))
                .map(|t| p.rep_label(t).unwrap_or_else(|| "(no rep)".into()))
        };
        for i in a.live() {
            total += 1;
            for (m, t) in total_m.iter_mut().enumerate() {
                *t += a.measure_or_zero(m, i);
            }
            let t0 = before.engine().territory_of(i);
            let t1 = after.engine().territory_of(i);
            let w = bm.map_or(1.0, |m| a.measure_or_zero(m, i));
            if let Some(k) = t0.and_then(pos) {
                centres.0.add(k, a.lon[i], a.lat[i], w);
            }
            if let Some(k) = t1.and_then(pos) {
                centres.1.add(k, a.lon[i], a.lat[i], w);
            }
            let r0 = rep_of(p0, t0);
            if let Some(r) = &r0 {
                rep_count.entry(r.clone()).or_default().2 += 1;
            }
            if t0 == t1 {
                continue;
            }
            moved += 1;
            for (m, x) in moved_m.iter_mut().enumerate() {
                *x += a.measure_or_zero(m, i);
            }
            if let Some(k) = t0.and_then(pos) {
                per[k].accounts_out += 1;
                for m in 0..nm {
                    per[k].measure_out[m] += a.measure_or_zero(m, i);
                }
            }
            if let Some(k) = t1.and_then(pos) {
                per[k].accounts_in += 1;
                for m in 0..nm {
                    per[k].measure_in[m] += a.measure_or_zero(m, i);
                }
            }
            let r1 = rep_of(p1, t1);
            if r0 != r1 {
                if let Some(r) = r0 {
                    rep_count.entry(r).or_default().1 += 1;
                }
                if let Some(r) = r1 {
                    rep_count.entry(r).or_default().0 += 1;
                }
            }
        }
        let pct = |x: f64, t: f64| if t > 0.0 { x / t * 100.0 } else { 0.0 };
        let measure_moved_pct: Vec<f64> = (0..nm).map(|m| pct(moved_m[m], total_m[m])).collect();
        for (k, t) in per.iter_mut().enumerate() {
            t.centre_shift_km = match (centres.0.get(k), centres.1.get(k)) {
                (Some(c0), Some(c1)) => Some(haversine_km(c0, c1)),
                _ => None,
            };
        }
        let max_centre_shift_km = per
            .iter()
            .filter_map(|t| t.centre_shift_km)
            .fold(0.0, f64::max);
        Self {
            accounts_moved: moved,
            accounts_total: total,
            accounts_moved_pct: pct(moved as f64, total as f64),
            measures: a.measures.iter().map(|m| m.name.clone()).collect(),
            balance_moved_pct: match bm {
                None => pct(moved as f64, total as f64),
                Some(m) => measure_moved_pct[m],
            },
            measure_moved_pct,
            max_centre_shift_km,
            territories: per,
            reps: rep_count
                .into_iter()
                .map(|(rep, (i, o, have))| RepDisruption {
                    rep,
                    accounts_in: i,
                    accounts_out: o,
                    accounts_out_pct: pct(o as f64, have as f64),
                })
                .collect(),
            ..Self::default()
        }
    }
}
