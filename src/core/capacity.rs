//! Capacity: how many reps a plan's workload needs, and where they would
//! live.
//!
//! The count is `ceil(total ÷ per-rep capacity)` of a measure (workload
//! hours a year, or accounts). The candidate home bases solve a weighted
//! p-median over the located accounts — the homes that minimise the sum of
//! workload × great-circle distance to the nearest home — by Lloyd-style
//! alternation: assign each account to its nearest home, move each home to
//! its group's weighted geometric median (Weiszfeld), repeat. The seeding
//! is deterministic (k-means++ with a fixed seed), so the same plan gives
//! the same homes. Great-circle distance, not drive time: road travel is
//! sparse off the major roads, and a median on it would snap to highways.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::geometry::haversine_km;
use super::metrics::PlanMetrics;
use super::model::Project;
use super::{Error, Result};

/// Accounts used to place homes at most (an even sample beyond): the
/// medians of 50k weighted points are already stable to well under a km.
const MAX_POINTS: usize = 50_000;

/// One balance unit's workload in reps.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitLoad {
    /// Territory name.
    pub name: String,
    /// Its value of the measure (own accounts for a parent, see
    /// [`crate::core::metrics`]).
    pub value: f64,
    /// `value ÷ per-rep capacity`: 1.0 is exactly one rep's worth.
    pub reps: f64,
}

/// A proposed home base.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CandidateHome {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// The account nearest to the home (a recognisable place to name it).
    pub near: String,
    /// Measure total of the accounts nearest to this home.
    pub load: f64,
    /// Number of those accounts.
    pub accounts: u64,
    /// Their workload-weighted mean great-circle distance to the home, km.
    pub mean_km: f64,
}

/// The answer of [`capacity`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapacityPlan {
    /// The measure (`count` or a column name).
    pub measure: String,
    /// Capacity of one rep in that measure.
    pub per_rep: f64,
    /// Plan total of the measure (all live accounts, located or not).
    pub total: f64,
    /// `ceil(total ÷ per_rep)`.
    pub reps_needed: usize,
    /// Reps the plan has today.
    pub reps_today: usize,
    /// Balance units the plan has today.
    pub units_today: usize,
    /// Each balance unit's workload in reps, largest first.
    pub units: Vec<UnitLoad>,
    /// Candidate home bases, one per needed rep (fewer when there are
    /// fewer located accounts).
    pub homes: Vec<CandidateHome>,
}

/// How many reps of `per_rep` capacity in `measure` the plan's accounts
/// need, each balance unit's load in reps, and candidate home bases.
pub fn capacity(
    project: &Project,
    metrics: &PlanMetrics,
    measure: &str,
    per_rep: f64,
) -> Result<CapacityPlan> {
    if !per_rep.is_finite() || per_rep <= 0.0 {
        return Err(Error::invalid(format!(
            "--per-rep must be a positive amount, not {per_rep}"
        )));
    }
    let a = &project.accounts;
    let column = a.measure_or_count(measure)?;
    let weight = |i: usize| match column {
        None => 1.0,
        Some(m) => a.measures[m].values[i].max(0.0),
    };
    let value_of = |g: &super::metrics::Group| match column {
        None => g.count as f64,
        Some(m) => g.sums.get(m).copied().unwrap_or(0.0),
    };
    let total = value_of(&metrics.total);
    let needed = (total / per_rep).ceil().max(0.0);
    if needed > 100_000.0 {
        return Err(Error::invalid(format!(
            "{total} ÷ {per_rep} needs {needed} reps: is --per-rep in the measure's units?"
        )));
    }
    let reps_needed = needed as usize;
    let mut units: Vec<UnitLoad> = metrics
        .territories
        .iter()
        .filter(|t| t.balance_unit)
        .map(|t| {
            let value = if t.has_children {
                value_of(&t.own)
            } else {
                value_of(&t.group)
            };
            UnitLoad {
                name: t.name.clone(),
                value,
                reps: value / per_rep,
            }
        })
        .collect();
    units.sort_by(|x, y| y.value.total_cmp(&x.value));
    let points: Vec<Point> = sample(
        a.live()
            .filter(|&i| a.is_located(i))
            .map(|i| Point {
                lon: a.lon[i],
                lat: a.lat[i],
                w: weight(i),
                account: i,
            })
            .filter(|p| p.w > 0.0)
            .collect(),
    );
    let homes = p_median(&points, reps_needed)
        .into_iter()
        .map(|h| h.describe(project))
        .collect();
    Ok(CapacityPlan {
        measure: if column.is_none() {
            "count".into()
        } else {
            measure.to_owned()
        },
        per_rep,
        total,
        reps_needed,
        reps_today: project.reps.len(),
        units_today: metrics.balance_units,
        units,
        homes,
    })
}

#[derive(Clone, Copy, Debug)]
struct Point {
    lon: f64,
    lat: f64,
    w: f64,
    account: usize,
}

/// An even sample of at most [`MAX_POINTS`], weights scaled up so totals
/// stay right.
fn sample(points: Vec<Point>) -> Vec<Point> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let step = points.len() as f64 / MAX_POINTS as f64;
    (0..MAX_POINTS)
        .map(|k| {
            let mut p = points[(k as f64 * step) as usize];
            p.w *= step;
            p
        })
        .collect()
}

/// A home and the points nearest to it.
struct Cluster {
    lon: f64,
    lat: f64,
    members: Vec<Point>,
}

impl Cluster {
    fn describe(&self, project: &Project) -> CandidateHome {
        let a = &project.accounts;
        let load: f64 = self.members.iter().map(|p| p.w).sum();
        let near = self
            .members
            .iter()
            .min_by(|x, y| {
                let d = |p: &Point| haversine_km((self.lon, self.lat), (p.lon, p.lat));
                d(x).total_cmp(&d(y))
            })
            .map(|p| {
                let name = &a.names[p.account];
                if name.is_empty() {
                    a.ids[p.account].clone()
                } else {
                    name.clone()
                }
            })
            .unwrap_or_default();
        let weighted: f64 = self
            .members
            .iter()
            .map(|p| p.w * haversine_km((self.lon, self.lat), (p.lon, p.lat)))
            .sum();
        CandidateHome {
            lon: self.lon,
            lat: self.lat,
            near,
            load,
            accounts: self.members.len() as u64,
            mean_km: if load > 0.0 { weighted / load } else { 0.0 },
        }
    }
}

/// Weighted p-median by alternation from a k-means++ start.
fn p_median(points: &[Point], k: usize) -> Vec<Cluster> {
    let k = k.min(points.len());
    if k == 0 {
        return Vec::new();
    }
    let mut homes = seed(points, k);
    for _ in 0..30 {
        let groups = assign(points, &homes);
        let mut moved = 0.0f64;
        for (h, g) in homes.iter_mut().zip(&groups) {
            if g.is_empty() {
                continue;
            }
            let next = weiszfeld(g, *h);
            moved = moved.max(haversine_km((h.0, h.1), (next.0, next.1)));
            *h = next;
        }
        if moved < 0.05 {
            break;
        }
    }
    let groups = assign(points, &homes);
    homes
        .into_iter()
        .zip(groups)
        .map(|((lon, lat), members)| Cluster { lon, lat, members })
        .collect()
}

/// k-means++ seeding, weighted, with a fixed seed.
fn seed(points: &[Point], k: usize) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x7u64 << 32 | k as u64);
    let heaviest = points
        .iter()
        .max_by(|x, y| x.w.total_cmp(&y.w))
        .map_or((0.0, 0.0), |p| (p.lon, p.lat));
    let mut homes = vec![heaviest];
    let mut d2: Vec<f64> = points
        .iter()
        .map(|p| haversine_km((p.lon, p.lat), (heaviest.0, heaviest.1)).powi(2))
        .collect();
    while homes.len() < k {
        let total: f64 = points.iter().zip(&d2).map(|(p, d)| p.w * d).sum();
        let pick = if total > 0.0 {
            let mut r = rng.random::<f64>() * total;
            let mut at = points.len() - 1;
            for (i, (p, d)) in points.iter().zip(&d2).enumerate() {
                r -= p.w * d;
                if r <= 0.0 {
                    at = i;
                    break;
                }
            }
            at
        } else {
            // Every point sits on a home already: any other will do.
            homes.len() % points.len()
        };
        let h = (points[pick].lon, points[pick].lat);
        for (p, d) in points.iter().zip(d2.iter_mut()) {
            *d = d.min(haversine_km((p.lon, p.lat), (h.0, h.1)).powi(2));
        }
        homes.push(h);
    }
    homes
}

/// Points grouped by nearest home.
fn assign(points: &[Point], homes: &[(f64, f64)]) -> Vec<Vec<Point>> {
    let mut groups = vec![Vec::new(); homes.len()];
    for p in points {
        let best = homes
            .iter()
            .enumerate()
            .map(|(h, &(x, y))| (h, haversine_km((p.lon, p.lat), (x, y))))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map_or(0, |(h, _)| h);
        groups[best].push(*p);
    }
    groups
}

/// The weighted geometric median of `g` (Weiszfeld's iteration on a local
/// equirectangular projection around `start`).
fn weiszfeld(g: &[Point], start: (f64, f64)) -> (f64, f64) {
    let cos = start.1.to_radians().cos().max(0.01);
    let (mut x, mut y) = (start.0 * cos, start.1);
    for _ in 0..20 {
        let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
        for p in g {
            let (px, py) = (p.lon * cos, p.lat);
            // A point at the current estimate would divide by zero; a
            // small floor keeps the step finite and still pulls toward it.
            let d = ((px - x).powi(2) + (py - y).powi(2)).sqrt().max(1e-6);
            sx += p.w * px / d;
            sy += p.w * py / d;
            sw += p.w / d;
        }
        if sw <= 0.0 {
            break;
        }
        (x, y) = (sx / sw, sy / sw);
    }
    (x / cos, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lon: f64, lat: f64, w: f64) -> Point {
        Point {
            lon,
            lat,
            w,
            account: 0,
        }
    }

    #[test]
    fn median_is_pulled_to_the_heavy_point_not_the_mean() {
        // The mean of these is lon 1.0; the weighted median is the heavy point.
        let g = [pt(0.0, 0.0, 10.0), pt(1.0, 0.0, 1.0), pt(2.0, 0.0, 1.0)];
        let (lon, lat) = weiszfeld(&g, (1.0, 0.0));
        assert!(lon.abs() < 0.01 && lat.abs() < 1e-9, "{lon},{lat}");
    }

    #[test]
    fn two_far_groups_get_one_home_each() {
        let mut pts = Vec::new();
        for k in 0..20 {
            let d = k as f64 * 0.01;
            pts.push(pt(-100.0 + d, 40.0, 1.0));
            pts.push(pt(-80.0 + d, 35.0, 1.0));
        }
        let mut homes: Vec<(f64, f64)> = p_median(&pts, 2)
            .into_iter()
            .map(|c| (c.lon, c.lat))
            .collect();
        homes.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!((homes[0].0 + 99.9).abs() < 0.2, "{homes:?}");
        assert!((homes[1].0 + 79.9).abs() < 0.2, "{homes:?}");
    }
}
