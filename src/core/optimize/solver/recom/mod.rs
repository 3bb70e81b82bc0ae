//! The final improvement phase: recombination of adjacent district pairs
//! along random spanning trees (ReCom; DeFord, Duchin & Solomon 2021,
//! "Recombination: a family of Markov chains for redistricting", *Harvard
//! Data Science Review* 3(1)), used as an optimiser: it runs only while a
//! district that could be within tolerance is not, within a time budget,
//! and never lets the plan's largest deviation grow; the best plan seen is
//! kept.
//!
//! Step: pick a district outside the aim band (the worst half of the
//! time) and a random adjacent district; merge their units; draw a random
//! spanning tree of the merged units (random-weight Kruskal, half of the
//! time with edges across the current boundary made dear, so that cuts
//! near the current boundary — little movement — are common); every tree
//! edge splits the pair into two connected parts: take the best cut (the
//! plan's largest deviation, then the pair's excess over the aim band, then
//! the load moved from home). Keep it when it is better than the pair as
//! it is; sometimes also when it is only no worse on the largest deviation
//! (a short walk off a plateau, as in GerryChain's short bursts). The best
//! plan seen is the result.

mod cluster;

use std::time::Instant;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Fence, NONE, Problem};
use crate::core::error::Result;
use crate::core::progress::Progress;

/// Random spanning trees drawn per pair and step (few units of very
/// unequal load leave few good cuts per tree).
const TREES: usize = 8;

/// Steps taken whatever the clock says (unless the tolerance is met or
/// the user cancels): the steps are seeded, so on small plans the result
/// does not depend on how busy the machine is.
const MIN_STEPS: u64 = 2000;

/// Chance that a step on a plateau (no lower key found) takes a sideways
/// recombination that keeps the plan's largest deviation (a short random
/// walk out of a local optimum; the best plan so far is kept).
const WALK: f64 = 0.3;

/// Recombines district pairs until every district not in `skip` is within
/// the tolerance or `deadline` passes; the best plan seen (largest
/// deviation, then excess over the aim band) is left in `assign`. Returns
/// the recombinations kept.
pub fn recombine(
    p: &Problem,
    assign: &mut [u32],
    skip: &[u32],
    deadline: Instant,
    progress: &Progress,
) -> Result<usize> {
    let k = p.k();
    if k < 2 || p.home_split.iter().any(|s| !s.is_empty()) {
        return Ok(0);
    }
    let mut r = Recom::new(p, assign, skip);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ k as u64);
    let mut best = (r.plan_key(), r.assign.to_vec(), 0usize);
    progress.set_phase("Improving balance (recombination)");
    progress.set_best(best.0.max_dev / r.target.max(1e-12) * 100.0);
    let mut kept = 0;
    let mut step = 0u64;
    while step < MIN_STEPS || Instant::now() < deadline {
        step += 1;
        // Cancel here stops the phase and keeps the best plan so far.
        if step.is_multiple_of(64) && progress.take_cancel() {
            break;
        }
        let Some(w) = r.pick(&mut rng) else {
            break;
        };
        let walk = rng.random::<f64>() < WALK;
        let stepped = if rng.random::<bool>() {
            r.recombine_cluster(w, &mut rng, walk)
        } else {
            r.improve(w, &mut rng, walk)
        };
        if stepped {
            kept += 1;
            let key = r.plan_key();
            if key.lower(&best.0) {
                progress.set_best(key.max_dev / r.target.max(1e-12) * 100.0);
                best = (key, r.assign.to_vec(), kept);
            }
        }
    }
    if best.1 != r.assign {
        r.assign.copy_from_slice(&best.1);
    }
    progress.set_phase("Improvement done");
    if std::env::var_os("TURFMAP_TRACE_BALANCE").is_some() {
        let mut w: Vec<f64> = p.weight.iter().map(|x| x / r.target * 100.0).collect();
        w.sort_by(|a, b| b.total_cmp(a));
        w.truncate(8);
        let l: Vec<f64> = r.loads.iter().map(|x| x / r.target * 100.0).collect();
        eprintln!(
            "      heaviest units {w:.1?} loads {l:.1?} cluster steps tried/split/kept {:?}",
            r.stats
        );
        eprintln!(
            "      recombination: {kept} kept in {step} steps, max dev {:.2}%",
            best.0.max_dev / r.target.max(1e-12) * 100.0
        );
    }
    Ok(best.2)
}

struct Recom<'a, 'p> {
    p: &'a Problem<'p>,
    assign: &'a mut [u32],
    loads: Vec<f64>,
    target: f64,
    skip: Vec<bool>,
    members: Vec<Vec<u32>>,
    /// Scratch: position of a unit in the merged pair (`u32::MAX` = not in).
    pos: Vec<u32>,
    /// Cluster steps: tried, split, kept (for the trace).
    stats: [u64; 3],
    /// Keeps each district's load centre near home.
    fence: Fence,
}

impl<'a, 'p> Recom<'a, 'p> {
    fn new(p: &'a Problem<'p>, assign: &'a mut [u32], skip: &[u32]) -> Self {
        let k = p.k();
        let mut members = vec![Vec::new(); k];
        for (u, &d) in assign.iter().enumerate() {
            if d != NONE {
                members[d as usize].push(u as u32);
            }
        }
        let mut sk = vec![false; k];
        for &d in skip {
            if let Some(s) = sk.get_mut(d as usize) {
                *s = true;
            }
        }
        Self {
            fence: Fence::new(p, assign),
            loads: p.loads(assign),
            target: p.target(),
            p,
            assign,
            skip: sk,
            members,
            pos: vec![u32::MAX; p.xy.len()],
            stats: [0; 3],
        }
    }

    fn dev(&self, d: usize) -> f64 {
        (self.loads[d] - self.target).abs()
    }

    fn ok(&self, d: usize) -> bool {
        self.skip[d] || self.dev(d) <= self.p.tol * self.target + 1e-9
    }

    /// Penalty of a district: its excess over the aim band, squared.
    fn pen(&self, d: usize) -> f64 {
        if self.skip[d] {
            return 0.0;
        }
        (self.dev(d) - self.p.aim_tol * self.target)
            .max(0.0)
            .powi(2)
    }

    /// Largest deviation of a district that may take part, other than `a`
    /// and `b`.
    fn max_dev_except(&self, a: usize, b: usize) -> f64 {
        (0..self.loads.len())
            .filter(|&d| d != a && d != b && !self.skip[d])
            .map(|d| self.dev(d))
            .fold(0.0, f64::max)
    }

    /// The plan's key: largest deviation of a district that may take
    /// part, then the total excess over the aim band.
    fn plan_key(&self) -> Key {
        Key {
            max_dev: (0..self.loads.len())
                .filter(|&d| !self.skip[d])
                .map(|d| self.dev(d))
                .fold(0.0, f64::max),
            pen: (0..self.loads.len()).map(|d| self.pen(d)).sum(),
            moved: 0.0,
        }
    }

    /// The district to work on: half of the time the worst, a quarter a
    /// random one above the aim band, a quarter any (so that walks reach
    /// districts that could make room). `None` when all are within
    /// tolerance.
    fn pick(&self, rng: &mut ChaCha8Rng) -> Option<usize> {
        let worst = (0..self.loads.len())
            .filter(|&d| !self.ok(d))
            .max_by(|&a, &b| self.dev(a).total_cmp(&self.dev(b)).then(b.cmp(&a)))?;
        let roll = rng.random::<f64>();
        let pool: Vec<usize> = if roll < 0.5 {
            return Some(worst);
        } else if roll < 0.75 {
            (0..self.loads.len())
                .filter(|&d| self.pen(d) > 0.0)
                .collect()
        } else {
            (0..self.loads.len()).filter(|&d| !self.skip[d]).collect()
        };
        if pool.is_empty() {
            return Some(worst);
        }
        Some(pool[rng.random_range(0..pool.len())])
    }

    /// Districts adjacent to `d` that may take part.
    fn neighbours(&self, d: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &u in &self.members[d] {
            for &v in self.p.units.neighbors(u as usize) {
                let e = self.assign[v as usize];
                if e != NONE && e as usize != d && !self.skip[e as usize] {
                    out.push(e as usize);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// One step on district `w` and a random neighbour `b`: the best cut
    /// of a random spanning tree of the pair, kept when the plan's key
    /// (largest deviation, then excess over the aim band) gets lower — so
    /// load flows through districts already within tolerance towards those
    /// with room — or, on a `walk`, when the largest deviation does not
    /// grow. When the pair cannot balance on its own (too much or too
    /// little load between them), `b` first trades with another neighbour
    /// towards the load that would let it (an ejection chain of two
    /// recombinations), and both are kept or undone together.
    fn improve(&mut self, w: usize, rng: &mut ChaCha8Rng, walk: bool) -> bool {
        let nb = self.neighbours(w);
        if nb.is_empty() {
            return false;
        }
        let b = nb[rng.random_range(0..nb.len())];
        let before = self.plan_key();
        let mut saved = vec![self.save(w), self.save(b)];
        let keep_boundary = rng.random::<bool>();
        let pair_mean = (self.loads[w] + self.loads[b]) / 2.0;
        if (pair_mean - self.target).abs() > self.p.aim_tol * self.target {
            let want_b = 2.0 * self.target - self.loads[w];
            if let Some(c) = self.chain(w, b, want_b, rng, keep_boundary) {
                saved.push(c);
            }
        }
        let rest = self.max_dev_except(w, b);
        let goal = Goal::Balance { others: rest };
        if let Some(cut) = self.best_of_trees(w, b, rng, keep_boundary, goal) {
            self.apply(w, b, &cut);
        }
        let after = self.plan_key();
        let eps = 1e-9 * (1.0 + before.max_dev);
        if self.fenced(&saved)
            && (after.lower(&before) || (walk && after.max_dev <= before.max_dev + eps))
        {
            return saved.len() > 2 || self.changed(&saved);
        }
        for (d, members, load) in saved {
            self.restore(d, members, load);
        }
        false
    }

    /// The best cut over [`TREES`] random spanning trees of a pair.
    fn best_of_trees(
        &mut self,
        a: usize,
        b: usize,
        rng: &mut ChaCha8Rng,
        keep: bool,
        goal: Goal,
    ) -> Option<Cut> {
        let mut best: Option<Cut> = None;
        for _ in 0..TREES {
            let c = self.best_cut(a, b, rng, keep, goal)?;
            if best.as_ref().is_none_or(|x| c.key.better(&x.key)) {
                best = Some(c);
            }
        }
        best
    }

    fn save(&self, d: usize) -> (usize, Vec<u32>, f64) {
        (d, self.members[d].clone(), self.loads[d])
    }

    fn restore(&mut self, d: usize, members: Vec<u32>, load: f64) {
        for &u in &members {
            self.assign[u as usize] = d as u32;
        }
        self.members[d] = members;
        self.loads[d] = load;
    }

    /// True when every district changed since `saved` keeps the fence.
    fn fenced(&self, saved: &[(usize, Vec<u32>, f64)]) -> bool {
        saved
            .iter()
            .all(|(d, m, _)| self.fence.allows_members(self.p, *d, m, &self.members[*d]))
    }

    fn changed(&self, saved: &[(usize, Vec<u32>, f64)]) -> bool {
        saved.iter().any(|(d, m, _)| {
            m.len() != self.members[*d].len()
                || m.iter().any(|&u| self.assign[u as usize] != *d as u32)
        })
    }

    /// Recombines `b` with a random neighbour `c` other than `w` so that
    /// `b` gets closer to load `want`, keeping `c` within tolerance.
    /// Returns `c`'s state before, when it changed.
    fn chain(
        &mut self,
        w: usize,
        b: usize,
        want: f64,
        rng: &mut ChaCha8Rng,
        keep: bool,
    ) -> Option<(usize, Vec<u32>, f64)> {
        let nb: Vec<usize> = self.neighbours(b).into_iter().filter(|&c| c != w).collect();
        if nb.is_empty() {
            return None;
        }
        let c = nb[rng.random_range(0..nb.len())];
        let others = self.max_dev_except(b, c);
        let cut = self.best_of_trees(b, c, rng, keep, Goal::Load { load: want, others })?;
        if (cut.load_a - want).abs() >= (self.loads[b] - want).abs() - 1e-9 {
            return None;
        }
        let saved = self.save(c);
        self.apply(b, c, &cut);
        Some(saved)
    }

    fn apply(&mut self, a: usize, b: usize, cut: &Cut) {
        for (d, units) in [(a, &cut.to_a), (b, &cut.to_b)] {
            for &u in units {
                self.assign[u as usize] = d as u32;
            }
            self.members[d] = units.clone();
        }
        self.loads[a] = cut.load_a;
        self.loads[b] = cut.load_b;
    }

    /// Draws a spanning tree of districts `a` ∪ `b` and returns its best
    /// cut (`None` when the pair is not connected).
    fn best_cut(
        &mut self,
        a: usize,
        b: usize,
        rng: &mut ChaCha8Rng,
        keep: bool,
        goal: Goal,
    ) -> Option<Cut> {
        let nodes: Vec<u32> = self.members[a]
            .iter()
            .chain(&self.members[b])
            .copied()
            .collect();
        for (i, &u) in nodes.iter().enumerate() {
            self.pos[u as usize] = i as u32;
        }
        let tree = self.spanning_tree(&nodes, rng, keep);
        let cut = tree.and_then(|adj| self.scan_cuts(&nodes, &adj, a, b, goal));
        for &u in &nodes {
            self.pos[u as usize] = u32::MAX;
        }
        cut
    }

    /// Random-weight minimum spanning tree (Kruskal) of `nodes` as
    /// adjacency lists by position; `None` when they are not connected.
    fn spanning_tree(
        &self,
        nodes: &[u32],
        rng: &mut ChaCha8Rng,
        keep: bool,
    ) -> Option<Vec<Vec<u32>>> {
        // Random keys (the top bit set across the current boundary when
        // `keep`) with the edge index below: one integer sort.
        let mut edges: Vec<(u32, u32)> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        for (i, &u) in nodes.iter().enumerate() {
            for &v in self.p.units.neighbors(u as usize) {
                let j = self.pos[v as usize];
                if j != u32::MAX && (i as u32) < j {
                    let across = self.assign[u as usize] != self.assign[v as usize];
                    let mut w = rng.next_u32() >> 1;
                    if keep && across {
                        w |= 1 << 31;
                    }
                    keys.push((u64::from(w) << 32) | edges.len() as u64);
                    edges.push((i as u32, j));
                }
            }
        }
        keys.sort_unstable();
        let mut parent: Vec<u32> = (0..nodes.len() as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        let mut adj = vec![Vec::new(); nodes.len()];
        let mut joined = 1;
        for key in keys {
            let (i, j) = edges[(key & 0xffff_ffff) as usize];
            let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
            if ri != rj {
                parent[ri as usize] = rj;
                adj[i as usize].push(j);
                adj[j as usize].push(i);
                joined += 1;
                if joined == nodes.len() {
                    break;
                }
            }
        }
        (joined == nodes.len()).then_some(adj)
    }

    /// Every edge of the tree as a cut: the subtree below it goes to one
    /// district and the rest to the other (both ways round).
    fn scan_cuts(
        &self,
        nodes: &[u32],
        adj: &[Vec<u32>],
        a: usize,
        b: usize,
        goal: Goal,
    ) -> Option<Cut> {
        let p = self.p;
        let n = nodes.len();
        // Order by BFS from node 0; subtree sums bottom-up.
        let (order, parent) = bfs_tree(adj);
        // Per subtree: load, load at home in a / in b, frozen units that
        // must stay in a / in b.
        let mut s = vec![Sums::default(); n];
        for (x, &u) in nodes.iter().enumerate() {
            let u = u as usize;
            let w = p.weight[u];
            s[x].w = w;
            if p.home[u] == a as u32 {
                s[x].home_a = w;
            } else if p.home[u] == b as u32 {
                s[x].home_b = w;
            }
            if !p.movable[u] && p.home[u] != NONE {
                s[x].frozen_a = u32::from(self.assign[u] == a as u32);
                s[x].frozen_b = u32::from(self.assign[u] == b as u32);
            }
        }
        for &x in order.iter().skip(1).rev() {
            let up = parent[x as usize] as usize;
            let child = s[x as usize];
            s[up].add(&child);
        }
        let total = s[0];
        let mut best: Option<(Cut, usize, bool)> = None;
        for &x in order.iter().skip(1) {
            let sub = s[x as usize];
            let rest = total.minus(&sub);
            for sub_to_a in [true, false] {
                let (in_a, in_b) = if sub_to_a { (sub, rest) } else { (rest, sub) };
                if in_a.frozen_b > 0 || in_b.frozen_a > 0 {
                    continue;
                }
                let load_a = p.fixed[a] + in_a.w;
                let load_b = p.fixed[b] + in_b.w;
                let (da, db) = ((load_a - self.target).abs(), (load_b - self.target).abs());
                let aim = p.aim_tol * self.target;
                let pen = match goal {
                    Goal::Balance { .. } => {
                        (da - aim).max(0.0).powi(2) + (db - aim).max(0.0).powi(2)
                    }
                    // `a` towards `load`, `b` kept within the tolerance.
                    Goal::Load { load, .. } => {
                        if db > p.tol * self.target {
                            continue;
                        }
                        (load_a - load).powi(2)
                    }
                };
                let c = Cut {
                    key: Key {
                        max_dev: da.max(db).max(goal.others()),
                        pen,
                        moved: (in_a.w - in_a.home_a) + (in_b.w - in_b.home_b),
                    },
                    load_a,
                    load_b,
                    to_a: Vec::new(),
                    to_b: Vec::new(),
                };
                if best.as_ref().is_none_or(|(b, _, _)| c.key.better(&b.key)) {
                    best = Some((c, x as usize, sub_to_a));
                }
            }
        }
        let (mut cut, x, sub_to_a) = best?;
        // Mark the subtree of `x`.
        let mut in_sub = vec![false; n];
        in_sub[x] = true;
        for &y in order.iter() {
            let y = y as usize;
            if y != x && y != 0 && in_sub[parent[y] as usize] {
                in_sub[y] = true;
            }
        }
        for (y, &u) in nodes.iter().enumerate() {
            if in_sub[y] == sub_to_a {
                cut.to_a.push(u);
            } else {
                cut.to_b.push(u);
            }
        }
        Some(cut)
    }
}

#[derive(Clone, Copy, Default)]
struct Sums {
    w: f64,
    home_a: f64,
    home_b: f64,
    frozen_a: u32,
    frozen_b: u32,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.w += o.w;
        self.home_a += o.home_a;
        self.home_b += o.home_b;
        self.frozen_a += o.frozen_a;
        self.frozen_b += o.frozen_b;
    }

    fn minus(&self, o: &Sums) -> Sums {
        Sums {
            w: self.w - o.w,
            home_a: self.home_a - o.home_a,
            home_b: self.home_b - o.home_b,
            frozen_a: self.frozen_a - o.frozen_a,
            frozen_b: self.frozen_b - o.frozen_b,
        }
    }
}

/// What a cut of a pair aims at.
#[derive(Clone, Copy)]
enum Goal {
    /// Both as near the mean as can be; `others` = the largest deviation
    /// of the districts outside the pair.
    Balance { others: f64 },
    /// The first district as near `load` as can be, the second within
    /// tolerance.
    Load { load: f64, others: f64 },
}

impl Goal {
    fn others(&self) -> f64 {
        match *self {
            Goal::Balance { others } | Goal::Load { others, .. } => others,
        }
    }
}

/// How good a plan step is: the plan's largest deviation, then the pair's
/// squared excess over the aim band, then the load moved from its home.
#[derive(Clone, Copy)]
struct Key {
    max_dev: f64,
    pen: f64,
    moved: f64,
}

impl Key {
    /// Strictly lower on deviation or excess (what makes a step worth it).
    fn lower(&self, o: &Key) -> bool {
        let eps = 1e-9 * (1.0 + o.max_dev);
        self.max_dev < o.max_dev - eps
            || (self.max_dev <= o.max_dev + eps && self.pen < o.pen * (1.0 - 1e-9) - 1e-12)
    }

    /// Better for choosing among steps: lower, or as good and moving less.
    fn better(&self, o: &Key) -> bool {
        if self.lower(o) {
            return true;
        }
        if o.lower(self) {
            return false;
        }
        self.moved < o.moved - 1e-9
    }
}

/// A split of a district pair.
struct Cut {
    key: Key,
    load_a: f64,
    load_b: f64,
    /// Units of district `a` after the cut.
    to_a: Vec<u32>,
    /// Units of district `b` after the cut.
    to_b: Vec<u32>,
}

/// A spanning tree's nodes in BFS order from node 0, and each node's
/// parent (node 0 is its own); nodes it cannot reach keep `u32::MAX`.
fn bfs_tree(adj: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
    let n = adj.len();
    let mut order = Vec::with_capacity(n);
    let mut parent = vec![u32::MAX; n];
    if n == 0 {
        return (order, parent);
    }
    parent[0] = 0;
    order.push(0u32);
    let mut i = 0;
    while i < order.len() {
        let x = order[i] as usize;
        i += 1;
        for &y in &adj[x] {
            if parent[y as usize] == u32::MAX {
                parent[y as usize] = x as u32;
                order.push(y);
            }
        }
    }
    (order, parent)
}
