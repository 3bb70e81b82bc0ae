//! Snapping points to the roads: the nearest point of the nearest road
//! segment (and of the nearest segment on the main connected piece).
//!
//! Ties between equally near segments go to the lower segment number, so
//! a point snaps the same way alone ([`Router::snap`]) or in bulk
//! ([`Router::snap_all`]); incremental drive-time updates rely on it.
//!
//! In bulk, points are grouped by a small grid cell: the segments that can
//! be nearest to any point of a cell are found once per cell (two R-tree
//! queries), then each point only measures those few. With a million
//! accounts this is several times faster than one R-tree search (two with
//! the trunk) per point.

use rayon::prelude::*;
use rstar::RTree;

use super::network::{EARTH_KM, Network, Seg, to_3d};
use super::route::{Cand, Router, Snap};

/// Side of the bulk-snapping cells, degrees (about 10 km).
const CELL_DEG: f64 = 0.1;

/// Fewer points than this in a cell are snapped one by one.
const MIN_GROUP: usize = 2;

/// Relative slack when comparing distances computed two ways (the R-tree's
/// arithmetic and ours): candidate sets include every segment within the
/// nearest distance plus this, so exact ties are never lost.
const SLACK: f64 = 1e-9;

/// Squared chord from `q` to the segment, and the nearest point's fraction
/// along it.
fn chord2(q: &[f64; 3], seg: &Seg) -> (f64, f64) {
    let (a, b) = (seg.geom().from, seg.geom().to);
    let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let len2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    let t = if len2 > 0.0 {
        (((q[0] - a[0]) * d[0] + (q[1] - a[1]) * d[1] + (q[2] - a[2]) * d[2]) / len2)
            .clamp(0.0, 1.0)
    } else {
        0.0
    };
    let c2 = (0..3).map(|i| (q[i] - (a[i] + t * d[i])).powi(2)).sum();
    (c2, t)
}

/// Makes `s` the `best` when it is nearer to `q` (ties to the lower
/// segment number, so that every way of snapping picks the same segment).
fn keep_nearer<'a>(best: &mut Option<(&'a Seg, f64, f64)>, q: &[f64; 3], s: &'a Seg) {
    let (c2, t) = chord2(q, s);
    let better = match *best {
        None => true,
        Some((b, bc2, _)) => c2 < bc2 || (c2 == bc2 && s.data < b.data),
    };
    if better {
        *best = Some((s, c2, t));
    }
}

/// The nearest of `segs` to `q`, ties to the lower segment number.
fn nearest<'a>(q: &[f64; 3], segs: impl Iterator<Item = &'a Seg>) -> Option<(&'a Seg, f64, f64)> {
    let mut best: Option<(&Seg, f64, f64)> = None;
    for s in segs {
        keep_nearer(&mut best, q, s);
    }
    best
}

/// The candidate for `q` on `seg` at fraction `t`, `c2` away (squared chord).
fn cand(net: &Network, seg: &Seg, c2: f64, t: f64) -> Cand {
    let k = seg.data as usize;
    let along_km = net.cum_km[k] + t * (net.cum_km[k + 1] - net.cum_km[k]);
    Cand {
        edge: net.edge_of_vertex(seg.data) as u32,
        along_km,
        gap_km: 2.0 * EARTH_KM * (c2.sqrt() / (2.0 * EARTH_KM)).min(1.0).asin(),
    }
}

/// Every segment of `tree` that can be the nearest to a point within
/// `reach` (km, 3-D) of `q`, with its distance from `q`, nearest first.
fn around(tree: &RTree<Seg>, q: &[f64; 3], reach: f64) -> Vec<(f64, Seg)> {
    let Some(n) = tree.nearest_neighbor(q) else {
        return Vec::new();
    };
    let r = chord2(q, n).0.sqrt() + 2.0 * reach;
    // A hair of slack: the R-tree measures with its own arithmetic.
    let r2 = r * r * (1.0 + SLACK) + 1e-12;
    let mut v: Vec<(f64, Seg)> = tree
        .locate_within_distance(*q, r2)
        .map(|s| (chord2(q, s).0.sqrt(), *s))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// The segments of `tree` at the nearest distance from `q` (ties).
fn nearest_ties(tree: &RTree<Seg>, q: &[f64; 3]) -> Vec<Seg> {
    let mut it = tree.nearest_neighbor_iter_with_distance_2(q);
    let Some((first, d2)) = it.next() else {
        return Vec::new();
    };
    let bound = d2 * (1.0 + 4.0 * SLACK) + 1e-12;
    std::iter::once(*first)
        .chain(it.take_while(|(_, d)| *d <= bound).map(|(s, _)| *s))
        .collect()
}

/// The nearest of `cands` (sorted by distance from `centre`) to `q`, which
/// lies `off` from the centre: a candidate `d` from the centre is at least
/// `d - off` from `q`, so the scan stops once that exceeds the best.
fn nearest_sorted<'a>(
    q: &[f64; 3],
    off: f64,
    cands: &'a [(f64, Seg)],
) -> Option<(&'a Seg, f64, f64)> {
    let mut best: Option<(&Seg, f64, f64)> = None;
    for (d, s) in cands {
        if let Some((_, bc2, _)) = best
            && d - off > bc2.sqrt() * (1.0 + SLACK) + 1e-9
        {
            break;
        }
        keep_nearer(&mut best, q, s);
    }
    best
}

impl Router {
    /// Where `p` meets the network (`None` without one or without roads).
    pub fn snap(&self, p: (f64, f64)) -> Option<Snap> {
        let net = self.net.as_deref()?;
        if !(p.0.is_finite() && p.1.is_finite()) {
            return None;
        }
        let q = to_3d(p);
        let near = nearest_ties(&net.trees.segs, &q);
        let trunk = || {
            let segs = nearest_ties(net.trees.trunk.as_ref()?, &q);
            nearest(&q, segs.iter()).map(|(s, c2, t)| cand(net, s, c2, t))
        };
        let (s, c2, t) = nearest(&q, near.iter())?;
        Some(snap_of(net, cand(net, s, c2, t), trunk))
    }

    /// Snaps many points (in parallel, grouped by cell).
    pub fn snap_all(&self, points: &[(f64, f64)]) -> Vec<Option<Snap>> {
        let Some(net) = self.net.as_deref() else {
            return vec![None; points.len()];
        };
        let key = |p: (f64, f64)| {
            (
                (p.0 / CELL_DEG).floor() as i64,
                (p.1 / CELL_DEG).floor() as i64,
            )
        };
        let mut order: Vec<u32> = (0..points.len() as u32).collect();
        order.par_sort_unstable_by_key(|&i| key(points[i as usize]));
        let mut runs = Vec::new();
        let mut start = 0;
        for k in 1..=order.len() {
            if k == order.len()
                || key(points[order[k] as usize]) != key(points[order[start] as usize])
            {
                runs.push(start..k);
                start = k;
            }
        }
        let snapped: Vec<(u32, Option<Snap>)> = runs
            .par_iter()
            .flat_map_iter(|run| {
                let ids = &order[run.clone()];
                let cell = key(points[ids[0] as usize]);
                let finite = points[ids[0] as usize].0.is_finite();
                let group = (ids.len() >= MIN_GROUP && finite).then(|| CellSnapper::new(net, cell));
                ids.iter().map(move |&i| {
                    let p = points[i as usize];
                    let s = match &group {
                        Some(g) if p.0.is_finite() && p.1.is_finite() => g.snap(net, p),
                        _ => self.snap(p),
                    };
                    (i, s)
                })
            })
            .collect();
        let mut out = vec![None; points.len()];
        for (i, s) in snapped {
            out[i as usize] = s;
        }
        out
    }
}

/// The snap onto `near`, with `trunk` giving the trunk's nearest when the
/// nearest road is off it.
fn snap_of(net: &Network, near: Cand, trunk: impl FnOnce() -> Option<Cand>) -> Snap {
    let on_trunk = net.rt.in_trunk.get(near.edge as usize).copied();
    let trunk = if on_trunk == Some(false) {
        trunk().filter(|c| c.edge != near.edge)
    } else {
        None
    };
    Snap {
        near,
        trunk,
        gap_km: near.gap_km,
    }
}

/// The segments that can be nearest to any point of one grid cell.
struct CellSnapper {
    near: Vec<(f64, Seg)>,
    trunk: std::sync::OnceLock<Vec<(f64, Seg)>>,
    centre: [f64; 3],
    reach: f64,
}

impl CellSnapper {
    fn new(net: &Network, (cx, cy): (i64, i64)) -> Self {
        let (w, s) = (cx as f64 * CELL_DEG, cy as f64 * CELL_DEG);
        let centre = to_3d((w + CELL_DEG / 2.0, s + CELL_DEG / 2.0));
        let corners = [
            (w, s),
            (w + CELL_DEG, s),
            (w, s + CELL_DEG),
            (w + CELL_DEG, s + CELL_DEG),
        ];
        // Farthest corner from the centre, with slack for the cell's
        // curvature: every point of the cell is within this of the centre.
        let reach = corners
            .iter()
            .map(|&c| {
                let p = to_3d(c);
                (0..3)
                    .map(|i| (p[i] - centre[i]).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .fold(0.0, f64::max)
            * 1.01;
        Self {
            near: around(&net.trees.segs, &centre, reach),
            trunk: std::sync::OnceLock::new(),
            centre,
            reach,
        }
    }

    fn snap(&self, net: &Network, p: (f64, f64)) -> Option<Snap> {
        let q = to_3d(p);
        let off = (0..3)
            .map(|i| (q[i] - self.centre[i]).powi(2))
            .sum::<f64>()
            .sqrt();
        let trunk = || {
            let tree = net.trees.trunk.as_ref()?;
            let segs = self
                .trunk
                .get_or_init(|| around(tree, &self.centre, self.reach));
            nearest_sorted(&q, off, segs).map(|(s, c2, t)| cand(net, s, c2, t))
        };
        let (s, c2, t) = nearest_sorted(&q, off, &self.near)?;
        Some(snap_of(net, cand(net, s, c2, t), trunk))
    }
}
