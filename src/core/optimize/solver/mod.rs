//! The unit-level districting solver: location–allocation, contiguity
//! repair and a contiguity-preserving local search. Pure graph and number
//! work, no plan or geometry: see the parent module for the method.

/// `Ord` for a `BinaryHeap` entry popped least score first (the heap is a
/// max-heap), ties by the lowest key, so the searches are deterministic;
/// and the `PartialOrd`, `PartialEq` and `Eq` that follow from it.
/// `least_first!(Type, |e| (score, key))`.
macro_rules! least_first {
    ($t:ty, |$e:ident| ($score:expr, $key:expr)) => {
        impl Ord for $t {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                let key = |$e: &Self| ($score, $key);
                let ((s, k), (os, ok)) = (key(self), key(o));
                os.total_cmp(&s).then(ok.cmp(&k))
            }
        }
        impl PartialOrd for $t {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        impl PartialEq for $t {
            fn eq(&self, o: &Self) -> bool {
                self.cmp(o) == std::cmp::Ordering::Equal
            }
        }
        impl Eq for $t {}
    };
}
use least_first;

/// A problem over `units` for the solvers' unit tests: centroids as km,
/// every unit movable, no fixed load, disruption weight 4.
#[cfg(test)]
pub(super) fn test_problem(
    units: &UnitSet,
    weight: Vec<f64>,
    home: Vec<u32>,
    k: usize,
    tol: f64,
) -> Problem<'_> {
    let n = units.len();
    Problem {
        units,
        xy: units
            .centroids
            .iter()
            .map(|&(x, y)| (x * 85.0, y * 111.0))
            .collect(),
        weight,
        home,
        home_split: vec![Vec::new(); n],
        movable: vec![true; n],
        fixed: vec![0.0; k],
        tol,
        aim_tol: tol * 0.6,
        disruption: 4.0,
        radius_km: 30.0,
        pieces: vec![1; k],
        max_iterations: 20_000,
        time_budget_s: 0.0,
        drive: None,
        max_shift_km: Vec::new(),
    }
}

mod drive_cost;
mod fence;
mod least_move;
mod recom;
mod search;

pub use drive_cost::DriveCost;
pub use fence::{Fence, centre_shifts, past_limit};
pub use least_move::least_move;
pub use recom::recombine;
pub use search::local_search;

use crate::core::error::Result;
use crate::core::progress::Progress;
use crate::core::units::UnitSet;

/// "No district".
pub const NONE: u32 = u32::MAX;

/// A districting problem over the units of a [`UnitSet`].
#[derive(Clone, Debug)]
pub struct Problem<'a> {
    /// Units and their adjacency.
    pub units: &'a UnitSet,
    /// Unit positions in km on a local projection.
    pub xy: Vec<(f64, f64)>,
    /// Load a unit brings to a district other than its home (all of it).
    pub weight: Vec<f64>,
    /// Current district of each unit (`NONE` when it has none).
    pub home: Vec<u32>,
    /// Loads per district while a unit stays home (accounts inside it that
    /// belong to other territories stay there). Empty = all to home.
    pub home_split: Vec<Vec<(u32, f64)>>,
    /// Units that must keep their home (they hold locked accounts).
    pub movable: Vec<bool>,
    /// Fixed load of each district (pinned accounts and the like).
    pub fixed: Vec<f64>,
    /// Allowed tolerance as a fraction of the target (0.05 = ±5%).
    pub tol: f64,
    /// The band the local search aims for (≤ `tol`): a margin inside the
    /// tolerance keeps the spread (CV) low and absorbs rounding.
    pub aim_tol: f64,
    /// Cost of moving a unit away from home per unit of load, in units of
    /// (typical district radius)².
    pub disruption: f64,
    /// Typical district radius in km (scales compactness costs).
    pub radius_km: f64,
    /// Pieces each district may consist of (1 = contiguous).
    pub pieces: Vec<usize>,
    /// Local-search move budget.
    pub max_iterations: usize,
    /// Seconds the final improvement phase ([`recombine`]) may run while
    /// the tolerance is not met (0 = skip it).
    pub time_budget_s: f64,
    /// Drive-time costs from the districts' home bases, replacing the
    /// squared distance to the centre (see [`super::drive`]).
    pub drive: Option<std::sync::Arc<DriveCost>>,
    /// How far (km) each district's load centre may move from where
    /// `home` has it ([`Fence`]); empty = no limit.
    pub max_shift_km: Vec<f64>,
}

/// What the solver found.
#[derive(Clone, Debug, Default)]
pub struct Solution {
    /// District of each unit.
    pub assign: Vec<u32>,
    /// Load per district.
    pub loads: Vec<f64>,
    /// The balance target (mean load).
    pub target: f64,
    /// Location–allocation rounds run.
    pub rounds: usize,
    /// Local-search moves made.
    pub moves: usize,
    /// Every district within tolerance.
    pub within_tolerance: bool,
    /// Districts that cannot be within tolerance whatever the plan: they
    /// hold a unit (or fixed load) heavier than the upper limit.
    pub infeasible: Vec<u32>,
    /// Units heavier than the upper limit alone.
    pub heavy_units: Vec<usize>,
    /// Every district not in `infeasible` within tolerance.
    pub within_tolerance_where_feasible: bool,
    /// The tolerance (fraction of the target) the solution was made for.
    pub tol: f64,
    /// Every district within its allowed number of pieces.
    pub contiguous: bool,
    /// Districts whose load centre moved past their limit.
    pub past_limit: usize,
}

impl Problem<'_> {
    /// Number of districts.
    pub fn k(&self) -> usize {
        self.fixed.len()
    }

    fn n(&self) -> usize {
        self.xy.len()
    }

    /// Adds (`sign` = 1) or removes (`-1`) unit `u`'s load as if in `d`.
    fn shift(&self, loads: &mut [f64], u: usize, d: u32, sign: f64) {
        if d == NONE {
            return;
        }
        if d == self.home[u] && !self.home_split[u].is_empty() {
            for &(t, l) in &self.home_split[u] {
                if let Some(x) = loads.get_mut(t as usize) {
                    *x += sign * l;
                }
            }
        } else if let Some(x) = loads.get_mut(d as usize) {
            *x += sign * self.weight[u];
        }
    }

    /// Calls `f(district, load)` for what unit `u` brings when in `d`.
    fn contrib(&self, u: usize, d: u32, mut f: impl FnMut(u32, f64)) {
        if d == NONE {
            return;
        }
        if d == self.home[u] && !self.home_split[u].is_empty() {
            for &(t, l) in &self.home_split[u] {
                f(t, l);
            }
        } else {
            f(d, self.weight[u]);
        }
    }

    /// Units heavier than the upper limit of the tolerance band: whichever
    /// district gets one is over the limit.
    pub fn heavy_units(&self) -> Vec<usize> {
        let hi = self.target() * (1.0 + self.tol) + 1e-9;
        (0..self.n()).filter(|&u| self.weight[u] > hi).collect()
    }

    /// True when no plan brings every district that could be within the
    /// tolerance into it: even with each unit heavier than the band alone
    /// in a district (the best case for the others), the others' mean is
    /// below the band. Searching for such a plan is wasted time.
    pub fn tolerance_unreachable(&self) -> bool {
        let k = self.k();
        let target = self.target();
        let hi = target * (1.0 + self.tol) + 1e-9;
        let heavy = self.heavy_units();
        // Districts whose fixed load alone is over the band are out anyway;
        // each heavy unit makes at most one more. The others' mean is
        // largest when every heavy unit is alone in a district of its own.
        let over: Vec<usize> = (0..k).filter(|&d| self.fixed[d] > hi).collect();
        let out = over.len() + heavy.len();
        if heavy.is_empty() || out >= k {
            return false;
        }
        let held: f64 = heavy.iter().map(|&u| self.weight[u]).sum::<f64>()
            + over.iter().map(|&d| self.fixed[d]).sum::<f64>();
        let rest = (target * k as f64 - held) / (k - out) as f64;
        rest < target * (1.0 - self.tol) - 1e-9
    }

    /// Districts that cannot be within tolerance in any plan: their fixed
    /// load, or a unit they hold, exceeds the upper limit.
    pub fn infeasible(&self, assign: &[u32], heavy: &[usize]) -> Vec<u32> {
        let hi = self.target() * (1.0 + self.tol) + 1e-9;
        let mut out: Vec<u32> = (0..self.k())
            .filter(|&d| self.fixed[d] > hi)
            .map(|d| d as u32)
            .collect();
        out.extend(heavy.iter().map(|&u| assign[u]).filter(|&d| d != NONE));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Exact loads of an assignment.
    pub fn loads(&self, assign: &[u32]) -> Vec<f64> {
        let mut l = self.fixed.clone();
        for (u, &d) in assign.iter().enumerate() {
            self.shift(&mut l, u, d, 1.0);
        }
        l
    }

    /// The mean load over districts.
    pub fn target(&self) -> f64 {
        let total: f64 = self.fixed.iter().sum::<f64>() + self.weight.iter().sum::<f64>();
        total / self.k().max(1) as f64
    }

    fn d2(&self, u: usize, c: usize) -> f64 {
        let (a, b) = (self.xy[u], self.xy[c]);
        ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)) / (self.radius_km * self.radius_km)
    }

    /// Distance cost of unit `u` in district `d` with centre unit `c`:
    /// squared distance in radii, or the drive cost when driving.
    fn dist(&self, u: usize, d: usize, c: usize) -> f64 {
        match &self.drive {
            Some(dc) => dc.cost(&self.xy, self.radius_km, u, d, c),
            None => self.d2(u, c),
        }
    }

    /// Assignment cost per unit of load of unit `u` to district `d` with
    /// centre unit `c`.
    fn cost(&self, u: usize, d: usize, c: usize) -> f64 {
        let away = self.home[u] != NONE && self.home[u] as usize != d;
        self.dist(u, d, c) + if away { self.disruption } else { 0.0 }
    }
}

/// Weighted k-means++ seeding (Arthur & Vassilvitskii 2007) on unit
/// positions, deterministic for `seed`.
pub fn kmeanspp(p: &Problem, k: usize, seed: u64) -> Vec<usize> {
    use rand::{Rng, SeedableRng};
    let n = p.n();
    if n == 0 || k == 0 {
        return Vec::new();
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let w: Vec<f64> = p.weight.iter().map(|w| w.max(0.0) + 1e-9).collect();
    let pick = |rng: &mut rand_chacha::ChaCha8Rng, score: &[f64]| {
        let total: f64 = score.iter().sum();
        let mut x = rng.random::<f64>() * total;
        for (i, s) in score.iter().enumerate() {
            x -= s;
            if x <= 0.0 {
                return i;
            }
        }
        n - 1
    };
    let mut centers = vec![pick(&mut rng, &w)];
    let mut best: Vec<f64> = (0..n).map(|u| p.d2(u, centers[0])).collect();
    while centers.len() < k.min(n) {
        let score: Vec<f64> = (0..n).map(|u| w[u] * best[u]).collect();
        let c = if score.iter().sum::<f64>() > 0.0 {
            pick(&mut rng, &score)
        } else {
            (0..n).find(|u| !centers.contains(u)).unwrap_or(0)
        };
        centers.push(c);
        for (u, b) in best.iter_mut().enumerate() {
            *b = b.min(p.d2(u, c));
        }
    }
    centers
}

/// Location–allocation (Hess et al. 1965): alternate a balanced assignment
/// of units to centres ([`transport`]) and moving each centre to its
/// district's weighted medoid, until the centres stop moving. The dual
/// prices of one round start the next (warm start).
///
/// `band` is the no-action band and `aim` the deviation aimed at when a
/// district is pushed back (both fractions of the target).
pub fn locate_allocate(
    p: &Problem,
    centers: &mut [usize],
    assign: &mut [u32],
    band: f64,
    aim: f64,
    rounds: usize,
    progress: &Progress,
) -> Result<usize> {
    let mut done = 0;
    let mut price = vec![0.0; centers.len()];
    for _ in 0..rounds {
        progress.check()?;
        transport(p, centers, assign, &mut price, band, aim);
        done += 1;
        let moved = medoids(p, centers, assign);
        if !moved {
            break;
        }
    }
    Ok(done)
}

/// Moves every centre to the unit nearest its district's weighted mean
/// (the weighted medoid under squared distances), the mean kept within the
/// fence around the district's home centre. True if any moved.
fn medoids(p: &Problem, centers: &mut [usize], assign: &[u32]) -> bool {
    let k = centers.len();
    let mut sx = vec![0.0; k];
    let mut sy = vec![0.0; k];
    let mut sw = vec![0.0; k];
    for (u, &d) in assign.iter().enumerate() {
        if d == NONE {
            continue;
        }
        // Empty units still pull a little, so empty districts have a mean.
        let w = p.weight[u].max(0.0) + 1e-6;
        sx[d as usize] += w * p.xy[u].0;
        sy[d as usize] += w * p.xy[u].1;
        sw[d as usize] += w;
    }
    let means = fence::clip(
        p,
        (0..k).map(|d| (sx[d] / sw[d], sy[d] / sw[d])).collect(),
        assign,
    );
    let mut best = vec![(f64::INFINITY, usize::MAX); k];
    for (u, &d) in assign.iter().enumerate() {
        if d == NONE || sw[d as usize] == 0.0 {
            continue;
        }
        let d = d as usize;
        let (mx, my) = means[d];
        let dist = (p.xy[u].0 - mx).powi(2) + (p.xy[u].1 - my).powi(2);
        if dist < best[d].0 {
            best[d] = (dist, u);
        }
    }
    let mut moved = false;
    for d in 0..k {
        if best[d].1 != usize::MAX && best[d].1 != centers[d] {
            centers[d] = best[d].1;
            moved = true;
        }
    }
    moved
}

/// Candidate districts per unit: its home and its [`ARCS`] nearest centres.
const ARCS: usize = 10;

/// The sparse arc set of the transportation problem: per unit its home
/// district and its `ARCS` nearest centres (a unit is never worth sending
/// across a whole region), and per district the units with an arc to it.
struct Arcs {
    start: Vec<u32>,
    to: Vec<u32>,
    by_district: Vec<Vec<u32>>,
}

impl Arcs {
    fn new(p: &Problem, centers: &[usize]) -> Self {
        let k = centers.len();
        let n = p.n();
        let l = ARCS.min(k);
        let mut start = Vec::with_capacity(n + 1);
        let mut to = Vec::with_capacity(n * (l + 1));
        let mut by_district = vec![Vec::new(); k];
        let mut near: Vec<(f64, u32)> = Vec::with_capacity(k);
        start.push(0);
        for u in 0..n {
            near.clear();
            near.extend((0..k).map(|d| (p.dist(u, d, centers[d]), d as u32)));
            if l < k {
                near.select_nth_unstable_by(l - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                near.truncate(l);
            }
            let h = p.home[u];
            for &(_, d) in near.iter() {
                to.push(d);
            }
            if h != NONE && (h as usize) < k && !near.iter().any(|x| x.1 == h) {
                to.push(h);
            }
            for &d in &to[*start.last().unwrap_or(&0) as usize..] {
                by_district[d as usize].push(u as u32);
            }
            start.push(to.len() as u32);
        }
        Self {
            start,
            to,
            by_district,
        }
    }

    fn of(&self, u: usize) -> &[u32] {
        &self.to[self.start[u] as usize..self.start[u + 1] as usize]
    }
}

/// The balanced assignment step: a transportation problem (units supply
/// their load, districts demand the target ± band) solved through its dual.
/// Each district gets a price λ; a unit goes to the district of least
/// reduced cost `cost − λ` (a power diagram, Aurenhammer, Hoffmann & Aronov
/// 1998). Prices of districts outside the band are moved, one district at
/// a time, by exactly the amount that makes enough boundary units switch —
/// the auction method for transportation problems (Bertsekas & Castañón
/// 1989), on a sparse arc set (each unit to its home and nearest centres)
/// and warm-started from `price`. Indivisible units make exact balance
/// impossible in general; what is left is for the local search.
pub fn transport(
    p: &Problem,
    centers: &[usize],
    assign: &mut [u32],
    price: &mut [f64],
    band: f64,
    aim: f64,
) {
    let k = centers.len();
    let n = p.n();
    if k == 0 || n == 0 {
        return;
    }
    let arcs = Arcs::new(p, centers);
    let target = p.target();
    let rc = |u: usize, d: usize, price: &[f64]| p.cost(u, d, centers[d]) - price[d];
    let best_of = |u: usize, price: &[f64], skip: usize| {
        let mut b = (f64::INFINITY, NONE);
        for &d in arcs.of(u) {
            let d = d as usize;
            if d != skip {
                let c = rc(u, d, price);
                if c < b.0 || (c == b.0 && (d as u32) < b.1) {
                    b = (c, d as u32);
                }
            }
        }
        b
    };
    for (u, a) in assign.iter_mut().enumerate().take(n) {
        *a = if p.movable[u] || p.home[u] == NONE {
            best_of(u, price, usize::MAX).1
        } else {
            p.home[u]
        };
    }
    let mut loads = p.loads(assign);
    let hi = target * (1.0 + band);
    let lo = target * (1.0 - band);
    let free = |u: usize| p.movable[u] || p.home[u] == NONE;
    let mean_w = (p.weight.iter().sum::<f64>() / n as f64).max(1e-12);
    let mut cand: Vec<(f64, usize, u32)> = Vec::new();
    for _sweep in 0..40 {
        let mut acted = false;
        for d in 0..k {
            if loads[d] > hi + 1e-9 {
                // Cheapest units to push out, by their regret of leaving.
                cand.clear();
                cand.extend(
                    arcs.by_district[d]
                        .iter()
                        .map(|&u| u as usize)
                        .filter(|&u| assign[u] == d as u32 && free(u))
                        .map(|u| {
                            let (c2, d2) = best_of(u, price, d);
                            (c2 - rc(u, d, price), u, d2)
                        })
                        .filter(|c| c.2 != NONE),
                );
                cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let excess = loads[d] - target * (1.0 + aim);
                let mut removed = 0.0;
                let mut delta = None;
                for &(slack, u, to) in &cand {
                    if removed >= excess {
                        break;
                    }
                    removed += p.weight[u];
                    delta = Some(slack);
                    p.shift(&mut loads, u, d as u32, -1.0);
                    assign[u] = to;
                    p.shift(&mut loads, u, to, 1.0);
                }
                if let Some(s) = delta {
                    price[d] -= s + 1e-9;
                    acted = true;
                }
            } else if loads[d] < lo - 1e-9 {
                cand.clear();
                cand.extend(
                    arcs.by_district[d]
                        .iter()
                        .map(|&u| u as usize)
                        .filter(|&u| assign[u] != d as u32 && assign[u] != NONE && free(u))
                        .map(|u| {
                            let cur = rc(u, assign[u] as usize, price);
                            (rc(u, d, price) - cur, u, d as u32)
                        }),
                );
                let deficit = target * (1.0 - aim) - loads[d];
                // Only the cheapest few can be needed: select, then sort them.
                let m = ((4.0 * deficit / mean_w) as usize + 32).min(cand.len());
                if m > 0 && m < cand.len() {
                    cand.select_nth_unstable_by(m - 1, |a, b| {
                        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                    });
                    cand.truncate(m);
                }
                cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut added = 0.0;
                let mut delta = None;
                for &(gain, u, _) in &cand {
                    if added >= deficit {
                        break;
                    }
                    added += p.weight[u];
                    delta = Some(gain);
                    p.shift(&mut loads, u, assign[u], -1.0);
                    assign[u] = d as u32;
                    p.shift(&mut loads, u, d as u32, 1.0);
                }
                if let Some(g) = delta {
                    price[d] += g + 1e-9;
                    acted = true;
                }
            }
        }
        if !acted {
            break;
        }
    }
}

/// Components of every district (lists of units), in one pass over the
/// units (a pass per district would cost O(k·n)).
fn components(p: &Problem, assign: &[u32]) -> Vec<Vec<Vec<u32>>> {
    let mut comps = vec![Vec::new(); p.k()];
    let mut seen = vec![false; p.n()];
    for s in 0..p.n() {
        let d = assign[s];
        if d == NONE || seen[s] || d as usize >= comps.len() {
            continue;
        }
        seen[s] = true;
        let mut comp = vec![s as u32];
        let mut i = 0;
        while i < comp.len() {
            let u = comp[i] as usize;
            i += 1;
            for &v in p.units.neighbors(u) {
                if assign[v as usize] == d && !seen[v as usize] {
                    seen[v as usize] = true;
                    comp.push(v);
                }
            }
        }
        comps[d as usize].push(comp);
    }
    comps
}

/// Number of pieces per district.
pub fn pieces(p: &Problem, assign: &[u32]) -> Vec<usize> {
    components(p, assign).iter().map(Vec::len).collect()
}

/// Contiguity repair: every district keeps its `pieces[d]` heaviest
/// components; other components (enclaves, fragments) join the adjacent
/// district they share the most edges with. Returns true when every
/// district is within its allowed pieces.
pub fn repair_contiguity(p: &Problem, assign: &mut [u32]) -> bool {
    for _pass in 0..50 {
        let loads = p.loads(assign);
        let mut strays = Vec::new();
        for (d, mut comps) in components(p, assign).into_iter().enumerate() {
            let allowed = p.pieces.get(d).copied().unwrap_or(1).max(1);
            if comps.len() <= allowed {
                continue;
            }
            let wsum = |c: &Vec<u32>| c.iter().map(|&u| p.weight[u as usize]).sum::<f64>();
            comps.sort_by(|a, b| wsum(b).total_cmp(&wsum(a)).then(b.len().cmp(&a.len())));
            strays.extend(comps.into_iter().skip(allowed));
        }
        let (strays, frozen): (Vec<Vec<u32>>, Vec<Vec<u32>>) = strays
            .into_iter()
            .partition(|c| c.iter().all(|&u| p.movable[u as usize]));
        let mut reconnected = false;
        for comp in &frozen {
            reconnected |= reconnect(p, assign, comp);
        }
        if strays.is_empty() && !reconnected {
            return pieces(p, assign)
                .iter()
                .enumerate()
                .all(|(d, &n)| n <= p.pieces.get(d).copied().unwrap_or(1).max(1));
        }
        for comp in strays {
            let own = assign[comp[0] as usize];
            let mut votes: Vec<(u32, usize)> = Vec::new();
            for &u in &comp {
                for &v in p.units.neighbors(u as usize) {
                    let t = assign[v as usize];
                    if t != own && t != NONE {
                        match votes.iter_mut().find(|x| x.0 == t) {
                            Some(x) => x.1 += 1,
                            None => votes.push((t, 1)),
                        }
                    }
                }
            }
            let Some(&(to, _)) = votes.iter().max_by(|a, b| {
                a.1.cmp(&b.1)
                    .then(loads[b.0 as usize].total_cmp(&loads[a.0 as usize]))
            }) else {
                continue;
            };
            for &u in &comp {
                assign[u as usize] = to;
            }
        }
    }
    pieces(p, assign)
        .iter()
        .enumerate()
        .all(|(d, &n)| n <= p.pieces.get(d).copied().unwrap_or(1).max(1))
}

/// Joins a component that cannot move (it holds locked accounts) back to
/// the rest of its district along the shortest path of movable units.
fn reconnect(p: &Problem, assign: &mut [u32], comp: &[u32]) -> bool {
    let d = assign[comp[0] as usize];
    let n = p.n();
    let mut prev = vec![u32::MAX; n];
    let mut in_comp = vec![false; n];
    let mut queue = std::collections::VecDeque::new();
    for &u in comp {
        in_comp[u as usize] = true;
        prev[u as usize] = u;
        queue.push_back(u);
    }
    while let Some(u) = queue.pop_front() {
        for &v in p.units.neighbors(u as usize) {
            let vi = v as usize;
            if prev[vi] != u32::MAX {
                continue;
            }
            prev[vi] = u;
            if assign[vi] == d && !in_comp[vi] {
                // Reached the district elsewhere: claim the path.
                let mut x = u;
                while !in_comp[x as usize] {
                    assign[x as usize] = d;
                    x = prev[x as usize];
                }
                return true;
            }
            if p.movable[vi] {
                queue.push_back(v);
            }
        }
    }
    false
}

/// The final improvement phase: while a district that could be within
/// tolerance is not, recombine district pairs ([`recombine`]) within the
/// time budget. Kept only if the plan stays contiguous (it does: both parts
/// of a cut are connected). Returns the recombinations kept.
fn improve(
    p: &Problem,
    assign: &mut [u32],
    contiguous: &mut bool,
    progress: &Progress,
) -> Result<usize> {
    // Once the user stopped an improvement phase, no other one starts.
    if p.time_budget_s <= 0.0
        || !*contiguous
        || p.tolerance_unreachable()
        || progress.stopped_early()
    {
        return Ok(0);
    }
    let heavy = p.heavy_units();
    let skip = p.infeasible(assign, &heavy);
    let target = p.target();
    let loads = p.loads(assign);
    let met = (0..p.k())
        .all(|d| skip.contains(&(d as u32)) || (loads[d] - target).abs() <= p.tol * target + 1e-9);
    if met {
        return Ok(0);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(p.time_budget_s);
    let before = assign.to_vec();
    let kept = recombine(p, assign, &skip, deadline, progress)?;
    if !repair_contiguity(p, assign) {
        assign.copy_from_slice(&before);
        return Ok(0);
    }
    Ok(kept)
}

/// A unit heavier than the band gets a district to itself whenever k
/// allows: in a district holding several, the lighter ones move to an
/// adjacent district that holds none (the local search then has that
/// district keep as little else as it can). True if any moved.
pub fn separate_heavy(p: &Problem, assign: &mut [u32]) -> bool {
    let mut heavy = p.heavy_units();
    if heavy.len() < 2 || heavy.len() > p.k() {
        return false;
    }
    heavy.sort_by(|&a, &b| p.weight[b].total_cmp(&p.weight[a]).then(a.cmp(&b)));
    let mut holds = vec![0usize; p.k()];
    for &u in &heavy {
        if let Some(h) = holds.get_mut(assign[u] as usize) {
            *h += 1;
        }
    }
    let loads = p.loads(assign);
    let mut keeper = vec![false; p.k()];
    let mut moved = false;
    for &u in &heavy {
        let d = assign[u];
        if d == NONE {
            continue;
        }
        if !keeper[d as usize] {
            keeper[d as usize] = true;
            continue;
        }
        if !p.movable[u] {
            continue;
        }
        let to = p
            .units
            .neighbors(u)
            .iter()
            .map(|&v| assign[v as usize])
            .filter(|&e| e != NONE && e != d && holds[e as usize] == 0)
            .min_by(|&x, &y| {
                loads[x as usize]
                    .total_cmp(&loads[y as usize])
                    .then(x.cmp(&y))
            });
        if let Some(e) = to {
            assign[u] = e;
            holds[d as usize] -= 1;
            holds[e as usize] += 1;
            keeper[e as usize] = true;
            moved = true;
        }
    }
    moved
}

/// Runs repair and local search and fills a [`Solution`] (without the
/// final improvement phase: see [`improve_solution`]).
pub fn finish(
    p: &Problem,
    mut assign: Vec<u32>,
    centers: &[usize],
    rounds: usize,
    polish: bool,
    progress: &Progress,
) -> Result<Solution> {
    let mut tt = std::time::Instant::now();
    let trace_dev = |what: &str, assign: &[u32]| {
        if std::env::var_os("TURFMAP_TRACE_BALANCE").is_some() {
            let t = p.target().max(1e-12);
            let l = p.loads(assign);
            let max = l
                .iter()
                .map(|x| ((x - t) / t * 100.0).abs())
                .fold(0.0, f64::max);
            eprintln!("      {what}: max dev {max:.1}%");
        }
    };
    trace_dev("after allocation", &assign);
    progress.set_phase("Local search");
    repair_contiguity(p, &mut assign);
    if separate_heavy(p, &mut assign) {
        repair_contiguity(p, &mut assign);
    }
    trace_dev("after repair", &assign);
    super::trace("  repair", &mut tt);
    progress.check()?;
    let moves = local_search(p, &mut assign, centers, polish, progress)?;
    super::trace("  local search", &mut tt);
    let contiguous = repair_contiguity(p, &mut assign);
    Ok(solution_of(p, assign, rounds, moves, contiguous))
}

/// The final improvement phase on a finished solution (see [`improve`]).
pub fn improve_solution(p: &Problem, mut sol: Solution, progress: &Progress) -> Result<Solution> {
    let mut contiguous = sol.contiguous;
    let kept = improve(p, &mut sol.assign, &mut contiguous, progress)?;
    if kept == 0 {
        return Ok(sol);
    }
    Ok(solution_of(
        p,
        sol.assign,
        sol.rounds,
        sol.moves + kept,
        contiguous,
    ))
}

/// A [`Solution`] with its loads and flags measured.
pub fn solution_of(
    p: &Problem,
    assign: Vec<u32>,
    rounds: usize,
    moves: usize,
    contiguous: bool,
) -> Solution {
    let loads = p.loads(&assign);
    let target = p.target();
    let ok = |d: usize| (loads[d] - target).abs() <= p.tol * target + 1e-9;
    let within_tolerance = (0..p.k()).all(ok);
    let heavy_units = p.heavy_units();
    let infeasible = p.infeasible(&assign, &heavy_units);
    let within_tolerance_where_feasible =
        (0..p.k()).all(|d| ok(d) || infeasible.contains(&(d as u32)));
    Solution {
        loads,
        target,
        rounds,
        moves,
        within_tolerance,
        infeasible,
        heavy_units,
        within_tolerance_where_feasible,
        tol: p.tol,
        contiguous,
        past_limit: past_limit(p, &assign),
        assign,
    }
}
