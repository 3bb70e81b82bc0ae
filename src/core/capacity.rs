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
//! the same homes.
//!
//! By drive time ([`capacity_by_drive`]): the great-circle homes start a
//! second alternation over the plan's road network: each account goes to
//! the home it reaches soonest, and each home moves to whichever of its
//! group's accounts nearest the group's median (and the median itself)
//! gives the least workload × drive minutes. Homes thus sit where the
//! roads serve the group, not in the roadless middle of it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use super::edit::Edit;
use super::geometry::haversine_km;
use super::metrics::PlanMetrics;
use super::model::{Project, Rep};
use super::progress::Progress;
use super::travel::{Router, Snap};
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
    /// Their workload-weighted mean drive time from the home, minutes
    /// (placed by drive time only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_minutes: Option<f64>,
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
    /// The homes were placed by drive time over the road network.
    pub drive_time: bool,
}

/// How many reps of `per_rep` capacity in `measure` the plan's accounts
/// need, each balance unit's load in reps, and candidate home bases.
pub fn capacity(
    project: &Project,
    metrics: &PlanMetrics,
    measure: &str,
    per_rep: f64,
) -> Result<CapacityPlan> {
    let (mut plan, points) = count_reps(project, metrics, measure, per_rep)?;
    plan.homes = p_median(&points, plan.reps_needed)
        .into_iter()
        .map(|h| h.describe(project))
        .collect();
    Ok(plan)
}

/// [`capacity`] with the homes placed by drive time over `router`'s road
/// network (see the module docs). Cancellable through `progress`.
pub fn capacity_by_drive(
    project: &Project,
    metrics: &PlanMetrics,
    measure: &str,
    per_rep: f64,
    router: &Router,
    progress: &Progress,
) -> Result<CapacityPlan> {
    let (mut plan, points) = count_reps(project, metrics, measure, per_rep)?;
    let start = p_median(&points, plan.reps_needed);
    let homes: Vec<(f64, f64)> = start.iter().map(|c| (c.lon, c.lat)).collect();
    // Homes are placed on a sample; every account then goes to its nearest.
    let homes = drive_median(
        &sample_to(points.clone(), MAX_DRIVE_POINTS),
        homes,
        router,
        progress,
    )?;
    let (clusters, minutes) = drive_groups(&points, &homes, router);
    plan.homes = clusters
        .into_iter()
        .zip(minutes)
        .map(|(c, m)| CandidateHome {
            mean_minutes: Some(m),
            ..c.describe(project)
        })
        .collect();
    plan.drive_time = true;
    Ok(plan)
}

/// The edit that adds one rep "Candidate N" per home, home base set: one
/// undoable edit. Refused when a rep of such a name exists already (a
/// second run would duplicate them).
pub fn add_reps_edit(project: &Project, homes: &[CandidateHome]) -> Result<Edit> {
    let mut next = project.next_rep_id();
    let mut edits = Vec::new();
    for (k, h) in homes.iter().enumerate() {
        let name = format!("Candidate {}", k + 1);
        if project.reps.iter().any(|r| r.name == name) {
            return Err(Error::invalid(format!(
                "the plan already has a rep called '{name}': delete the candidates first"
            )));
        }
        let mut rep = Rep::new(next, name);
        rep.home = Some((h.lon, h.lat));
        edits.push(Edit::AddRep {
            rep,
            position: project.reps.len() + k,
        });
        next.0 += 1;
    }
    if edits.is_empty() {
        return Err(Error::invalid("there are no candidate homes to add"));
    }
    Ok(Edit::Batch {
        label: format!("Add {} candidate reps", edits.len()),
        edits,
    })
}

/// The count of reps and each unit's load (no homes yet), and the
/// weighted points the homes are placed over.
fn count_reps(
    project: &Project,
    metrics: &PlanMetrics,
    measure: &str,
    per_rep: f64,
) -> Result<(CapacityPlan, Vec<Point>)> {
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
    let plan = CapacityPlan {
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
        homes: Vec::new(),
        drive_time: false,
    };
    Ok((plan, points))
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
    sample_to(points, MAX_POINTS)
}

/// An even sample of at most `max` points, weights scaled up.
fn sample_to(points: Vec<Point>, max: usize) -> Vec<Point> {
    if points.len() <= max {
        return points;
    }
    let step = points.len() as f64 / max as f64;
    (0..max)
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
            mean_minutes: None,
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

/// Accounts the drive-time placement works on at most (an even sample
/// beyond): each home costs one search of the road graph plus one look-up
/// per account.
const MAX_DRIVE_POINTS: usize = 4_000;

/// Accounts nearest a group's median tried as its home in each round.
const DRIVE_CANDIDATES: usize = 6;

/// Alternation rounds of the drive-time placement at most.
const DRIVE_ROUNDS: usize = 6;

/// Drive minutes from each of `homes` to every point: `[home][point]`.
fn drive_minutes(
    router: &Router,
    homes: &[(f64, f64)],
    points: &[Point],
    snaps: &[Option<Snap>],
) -> Vec<Vec<f64>> {
    homes
        .par_iter()
        .map(|&h| {
            let tree = router.tree(h, u64::MAX);
            points
                .iter()
                .zip(snaps)
                .map(|(p, s)| router.trip_from(&tree, (p.lon, p.lat), s.as_ref()).minutes)
                .collect()
        })
        .collect()
}

/// Each point's nearest home by drive time and its minutes, one road
/// search per home (memory stays one entry per point however many homes).
fn nearest_homes(
    router: &Router,
    homes: &[(f64, f64)],
    points: &[Point],
    snaps: &[Option<Snap>],
) -> Vec<(usize, f64)> {
    let mut best = vec![(0usize, f64::INFINITY); points.len()];
    for (h, &home) in homes.iter().enumerate() {
        let tree = router.tree(home, u64::MAX);
        best.par_iter_mut()
            .zip(points.par_iter().zip(snaps.par_iter()))
            .for_each(|(b, (p, s))| {
                let m = router.trip_from(&tree, (p.lon, p.lat), s.as_ref()).minutes;
                if m < b.1 {
                    *b = (h, m);
                }
            });
    }
    best
}

/// The home of one group that minimises workload × drive minutes among
/// the current one, the group's geometric median and its members nearest
/// that median; with its total cost.
fn best_home(
    router: &Router,
    group: &[usize],
    points: &[Point],
    snaps: &[Option<Snap>],
    current: (f64, f64),
) -> ((f64, f64), f64) {
    let members: Vec<Point> = group.iter().map(|&i| points[i]).collect();
    let median = weiszfeld(&members, current);
    let mut near: Vec<&Point> = members.iter().collect();
    near.sort_by(|a, b| {
        let d = |p: &Point| haversine_km(median, (p.lon, p.lat));
        d(a).total_cmp(&d(b))
    });
    let mut tries = vec![current, median];
    tries.extend(near.iter().take(DRIVE_CANDIDATES).map(|p| (p.lon, p.lat)));
    let group_snaps: Vec<Option<Snap>> = group.iter().map(|&i| snaps[i]).collect();
    let costs = drive_minutes(router, &tries, &members, &group_snaps);
    let cost = |row: &Vec<f64>| -> f64 { row.iter().zip(&members).map(|(m, p)| m * p.w).sum() };
    tries
        .into_iter()
        .zip(costs.iter().map(cost))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((current, f64::INFINITY))
}

/// Weighted p-median by drive time from `homes`: the homes it settles on.
fn drive_median(
    points: &[Point],
    mut homes: Vec<(f64, f64)>,
    router: &Router,
    progress: &Progress,
) -> Result<Vec<(f64, f64)>> {
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.lon, p.lat)).collect();
    let snaps = router.snap_all(&coords);
    progress.set_total(DRIVE_ROUNDS as u64);
    for round in 0..DRIVE_ROUNDS {
        progress.set_done(round as u64);
        progress.check()?;
        let owner = nearest_homes(router, &homes, points, &snaps);
        let mut groups = vec![Vec::new(); homes.len()];
        for (i, &(h, _)) in owner.iter().enumerate() {
            groups[h].push(i);
        }
        let mut moved = false;
        for (h, g) in homes.iter_mut().zip(&groups) {
            if g.is_empty() {
                continue;
            }
            let (best, _) = best_home(router, g, points, &snaps, *h);
            moved |= haversine_km(*h, best) > 0.05;
            *h = best;
        }
        if !moved {
            break;
        }
    }
    progress.set_done(DRIVE_ROUNDS as u64);
    Ok(homes)
}

/// Every point grouped by the home it reaches soonest, and each group's
/// workload-weighted mean drive minutes.
fn drive_groups(
    points: &[Point],
    homes: &[(f64, f64)],
    router: &Router,
) -> (Vec<Cluster>, Vec<f64>) {
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.lon, p.lat)).collect();
    let snaps = router.snap_all(&coords);
    let owner = nearest_homes(router, homes, points, &snaps);
    let mut clusters: Vec<Cluster> = homes
        .iter()
        .map(|&(lon, lat)| Cluster {
            lon,
            lat,
            members: Vec::new(),
        })
        .collect();
    let mut cost = vec![(0.0, 0.0); homes.len()];
    for (i, &(h, minutes)) in owner.iter().enumerate() {
        clusters[h].members.push(points[i]);
        cost[h].0 += minutes * points[i].w;
        cost[h].1 += points[i].w;
    }
    let mean = cost
        .into_iter()
        .map(|(m, w)| if w > 0.0 { m / w } else { 0.0 })
        .collect();
    (clusters, mean)
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
