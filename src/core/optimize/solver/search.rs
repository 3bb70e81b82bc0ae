//! The contiguity-preserving local search (step 4 of the method), kept
//! incremental so its cost per move depends on the districts a move
//! touches, not on the number of units:
//!
//! - each district keeps its *border* (units with a neighbour in another
//!   district), updated for the moved unit and its neighbours only;
//! - district adjacency is a table of shared-edge counts, updated per move;
//! - candidate moves of the whole plan live in one priority queue ordered
//!   by score. A district's version changes whenever one of its units
//!   moves; an entry is valid while both its districts keep the versions it
//!   was scored with, and only the districts changed since the last look
//!   ("dirty") are re-scored (their border units' moves out, and their
//!   neighbours' moves in);
//! - the contiguity test is a breadth-first search from one same-district
//!   neighbour of the unit that stops as soon as it has reached the others,
//!   so it stays within a few rings of the unit in the usual case.

use std::collections::{BinaryHeap, VecDeque};

use super::{Fence, NONE, Problem};
use crate::core::error::Result;
use crate::core::progress::Progress;

/// A scored move of unit `u` from district `a` to `b` in the queue.
#[derive(Clone, Copy, Debug)]
struct Entry {
    score: f64,
    gain: f64,
    u: u32,
    a: u32,
    b: u32,
    va: u32,
    vb: u32,
}

// The least score first, then the lowest unit and district.
super::least_first!(Entry, |e| (e.score, (e.u, e.b)));

/// A candidate in the worst district's list: (score, unit, to).
type Cand = (f64, usize, u32);

struct Search<'a, 'p> {
    p: &'a Problem<'p>,
    assign: &'a mut [u32],
    /// District centres (an emptied district gets a new one).
    centers: Vec<usize>,
    k: usize,
    target: f64,
    /// What each district aims at: the mean, or, for a district that holds
    /// a unit heavier than the band (or fixed load beyond it), its floor —
    /// those loads alone — so it keeps as little else as possible and the
    /// others can balance.
    aim: Vec<f64>,
    hopeless: Vec<bool>,
    /// Allowed deviation from the aim (a margin inside the tolerance).
    band: f64,
    /// Units the search never moves (locked, empty, or heavier than the
    /// band: moving those only moves the problem).
    pinned: Vec<bool>,
    loads: Vec<f64>,
    size: Vec<u32>,
    border: Vec<Vec<u32>>,
    border_pos: Vec<u32>,
    /// Shared unit edges between districts (k × k).
    adj: Vec<i32>,
    ver: Vec<u32>,
    dirty: Vec<bool>,
    heap: BinaryHeap<Entry>,
    mark: Vec<u32>,
    stamp: u32,
    queue: VecDeque<u32>,
    nbrs: Vec<u32>,
    delta: Vec<(u32, f64)>,
    /// Districts changed by moves since the last [`Search::unstick`].
    changed: Vec<usize>,
    /// Keeps each district's load centre near home.
    fence: Fence,
}

impl<'a, 'p> Search<'a, 'p> {
    fn new(p: &'a Problem<'p>, assign: &'a mut [u32], centers: &'a [usize]) -> Self {
        let n = p.n();
        let k = p.k();
        let target = p.target().max(1e-12);
        let heavy = p.heavy_units();
        let hi = target * (1.0 + p.tol) + 1e-9;
        let mut aim = vec![target; k];
        let mut hopeless: Vec<bool> = p.fixed.iter().map(|&f| f > hi).collect();
        let mut floor = p.fixed.clone();
        let mut pinned: Vec<bool> = (0..n)
            .map(|u| !p.movable[u] || p.weight[u] <= 0.0)
            .collect();
        for &u in &heavy {
            pinned[u] = true;
            let d = assign[u];
            if d != NONE {
                hopeless[d as usize] = true;
                floor[d as usize] += p.weight[u];
            }
        }
        // The others share what the hopeless ones leave (at their floors):
        // they aim at that mean, kept inside the tolerance band around the
        // plan mean, and their band shrinks so it stays inside it too. When
        // that mean is itself outside the band, none of them can be within
        // tolerance: they aim at it (balanced among themselves), not at a
        // band edge no plan reaches (chasing it only shuffles load).
        let h = hopeless.iter().filter(|&&x| x).count();
        let mut rest = target;
        if h > 0 && h < k {
            let held: f64 = (0..k).filter(|&d| hopeless[d]).map(|d| floor[d]).sum();
            let mean = (target * k as f64 - held) / (k - h) as f64;
            let (lo, hi) = (target * (1.0 - p.tol), target * (1.0 + p.tol));
            rest = if mean < lo || mean > hi {
                mean
            } else {
                mean.clamp(lo, hi)
            };
        }
        let band = p.aim_tol.min(p.tol) * target;
        let band = band
            .min(p.tol * target - (rest - target).abs())
            .max(0.25 * band);
        for d in 0..k {
            aim[d] = if hopeless[d] { floor[d] } else { rest };
        }
        let loads = p.loads(assign);
        let mut size = vec![0u32; k];
        let mut adj = vec![0i32; k * k];
        for u in 0..n {
            let a = assign[u];
            if a == NONE {
                continue;
            }
            size[a as usize] += 1;
            for &v in p.units.neighbors(u) {
                let c = assign[v as usize];
                if c != NONE && c != a {
                    adj[a as usize * k + c as usize] += 1;
                }
            }
        }
        let fence = Fence::new(p, assign);
        let mut s = Self {
            p,
            assign,
            centers: centers.to_vec(),
            k,
            target,
            aim,
            hopeless,
            band,
            pinned,
            loads,
            size,
            border: vec![Vec::new(); k],
            border_pos: vec![NONE; n],
            adj,
            ver: vec![0; k],
            dirty: vec![true; k],
            heap: BinaryHeap::new(),
            mark: vec![0; n],
            stamp: 0,
            queue: VecDeque::new(),
            nbrs: Vec::new(),
            delta: Vec::new(),
            changed: Vec::new(),
            fence,
        };
        for u in 0..n {
            s.update_border(u);
        }
        s
    }

    /// Gives every empty district a unit to grow from (the allocation can
    /// leave one empty, and moves only go between adjacent districts): the
    /// border unit farthest from the centre of the most overloaded district
    /// that can spare one.
    fn reseed_empty(&mut self) {
        for d in 0..self.k {
            if self.size[d] > 0 {
                continue;
            }
            let mut donors: Vec<usize> = (0..self.k)
                .filter(|&m| m != d && self.size[m] > 1 && !self.hopeless[m])
                .collect();
            donors.sort_by(|&x, &y| {
                (self.loads[y] - self.aim[y])
                    .total_cmp(&(self.loads[x] - self.aim[x]))
                    .then(x.cmp(&y))
            });
            for m in donors.into_iter().take(4) {
                let c = self.centers.get(m).copied();
                // No border when `m` holds everything: any unit of it.
                let pool: Vec<usize> = if self.border[m].is_empty() {
                    (0..self.p.n())
                        .filter(|&u| self.assign[u] == m as u32)
                        .collect()
                } else {
                    self.border[m].iter().map(|&u| u as usize).collect()
                };
                let mut cand: Vec<(f64, usize)> = pool
                    .into_iter()
                    .filter(|&u| !self.pinned[u])
                    .map(|u| (c.map_or(0.0, |c| -self.p.d2(u, c)), u))
                    .collect();
                cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let seed = cand.into_iter().map(|x| x.1).find(|&u| self.removable(u));
                if let Some(u) = seed {
                    self.apply(u, d as u32);
                    if let Some(c) = self.centers.get_mut(d) {
                        *c = u;
                    }
                    break;
                }
            }
        }
    }

    /// Whether district `d` is out of its band (`band` around its aim; a
    /// floor is to be reached).
    fn out(&self, d: usize) -> bool {
        if self.hopeless[d] {
            self.loads[d] - self.aim[d] > 1e-6 * self.target
        } else {
            (self.loads[d] - self.aim[d]).abs() > self.band
        }
    }

    fn dev(&self, d: usize) -> f64 {
        (self.loads[d] - self.aim[d]).abs()
    }

    fn on_border(&self, u: usize) -> bool {
        let d = self.assign[u];
        d != NONE
            && self.p.units.neighbors(u).iter().any(|&v| {
                let c = self.assign[v as usize];
                c != d && c != NONE
            })
    }

    fn drop_border(&mut self, u: usize) {
        let pos = self.border_pos[u];
        if pos == NONE {
            return;
        }
        let d = self.assign[u] as usize;
        let list = &mut self.border[d];
        list.swap_remove(pos as usize);
        if let Some(&moved) = list.get(pos as usize) {
            self.border_pos[moved as usize] = pos;
        }
        self.border_pos[u] = NONE;
    }

    fn update_border(&mut self, u: usize) {
        let on = self.on_border(u);
        let has = self.border_pos[u] != NONE;
        if on && !has {
            let d = self.assign[u] as usize;
            self.border_pos[u] = self.border[d].len() as u32;
            self.border[d].push(u as u32);
        } else if !on && has {
            self.drop_border(u);
        }
    }

    /// Moves `u` to district `b`, keeping every structure up to date.
    fn apply(&mut self, u: usize, b: u32) {
        let p = self.p;
        let k = self.k;
        let a = self.assign[u];
        for &v in p.units.neighbors(u) {
            let c = self.assign[v as usize];
            if c == NONE {
                continue;
            }
            let c = c as usize;
            if c != a as usize {
                self.adj[a as usize * k + c] -= 1;
                self.adj[c * k + a as usize] -= 1;
            }
            if c != b as usize {
                self.adj[b as usize * k + c] += 1;
                self.adj[c * k + b as usize] += 1;
            }
        }
        self.drop_border(u);
        self.fence.apply(p, u, a, b);
        p.shift(&mut self.loads, u, a, -1.0);
        self.assign[u] = b;
        p.shift(&mut self.loads, u, b, 1.0);
        self.size[a as usize] -= 1;
        self.size[b as usize] += 1;
        self.update_border(u);
        for &v in p.units.neighbors(u) {
            self.update_border(v as usize);
        }
        for d in [a as usize, b as usize] {
            self.ver[d] = self.ver[d].wrapping_add(1);
            self.dirty[d] = true;
            self.changed.push(d);
        }
    }

    fn adjacent_to(&self, u: usize, b: u32) -> bool {
        self.p
            .units
            .neighbors(u)
            .iter()
            .any(|&v| self.assign[v as usize] == b)
    }

    /// Balance gain of `u: a → b`: the drop of Σ (load − aim)² over the
    /// districts it changes, normalised by the mean².
    fn gain(&mut self, u: usize, a: u32, b: u32) -> f64 {
        let p = self.p;
        self.delta.clear();
        let delta = &mut self.delta;
        p.contrib(u, a, |d, l| delta.push((d, -l)));
        p.contrib(u, b, |d, l| delta.push((d, l)));
        delta.sort_unstable_by_key(|x| x.0);
        let mut g = 0.0;
        let mut i = 0;
        while i < delta.len() {
            let d = delta[i].0;
            let mut ch = 0.0;
            while i < delta.len() && delta[i].0 == d {
                ch += delta[i].1;
                i += 1;
            }
            let (l, m) = (self.loads[d as usize], self.aim[d as usize]);
            g += (l - m).powi(2) - (l + ch - m).powi(2);
        }
        g / (self.target * self.target)
    }

    /// Cost of a move apart from balance: disruption and compactness.
    fn side_cost(&self, u: usize, a: u32, b: u32) -> f64 {
        let p = self.p;
        let w = p.weight[u].max(1e-9 * self.target);
        let mut c = 0.0;
        if p.home[u] != NONE {
            if p.home[u] == a {
                c += p.disruption * w;
            } else if p.home[u] == b {
                c -= p.disruption * w;
            }
        }
        let ca = self.centers.get(a as usize).copied();
        let cb = self.centers.get(b as usize).copied();
        if let (Some(ca), Some(cb)) = (ca, cb) {
            c += 0.25 * w * (p.dist(u, b as usize, cb) - p.dist(u, a as usize, ca));
        }
        c + 0.01 * self.target / p.n() as f64
    }

    /// Score of a move (lower is better) when it gains `min_gain` or more.
    fn score(&mut self, u: usize, a: u32, b: u32, min_gain: f64) -> Option<(f64, f64)> {
        if self.pinned[u] || a == b || a == NONE || b == NONE || !self.fence.allows(self.p, u, a, b)
        {
            return None;
        }
        let g = self.gain(u, a, b);
        if g <= min_gain {
            return None;
        }
        let c = self.side_cost(u, a, b);
        Some((if c <= 0.0 { c - g } else { c / g }, g))
    }

    /// True when removing `u` from its district leaves its neighbours in
    /// that district connected to each other (and the district not empty).
    fn removable(&mut self, u: usize) -> bool {
        let p = self.p;
        let d = self.assign[u];
        self.nbrs.clear();
        self.nbrs.extend(
            p.units
                .neighbors(u)
                .iter()
                .copied()
                .filter(|&v| self.assign[v as usize] == d),
        );
        if self.nbrs.len() <= 1 {
            // A leaf, or an allowed single-unit piece: but never empty a
            // district.
            return !self.nbrs.is_empty() || self.size[d as usize] > 1;
        }
        self.stamp = self.stamp.wrapping_add(1);
        let stamp = self.stamp;
        self.mark[u] = stamp;
        self.mark[self.nbrs[0] as usize] = stamp;
        self.queue.clear();
        self.queue.push_back(self.nbrs[0]);
        let mut found = 1;
        // Breadth first: the neighbours are usually met within a ring or
        // two, long before the district is explored.
        while let Some(x) = self.queue.pop_front() {
            for &v in p.units.neighbors(x as usize) {
                let vi = v as usize;
                if self.assign[vi] == d && self.mark[vi] != stamp {
                    self.mark[vi] = stamp;
                    if self.nbrs.contains(&v) {
                        found += 1;
                        if found == self.nbrs.len() {
                            return true;
                        }
                    }
                    self.queue.push_back(v);
                }
            }
        }
        false
    }

    /// Improving moves out of and into district `w`, best first.
    fn candidates(&mut self, w: usize, min_gain: f64, out: &mut Vec<Cand>) {
        out.clear();
        let p = self.p;
        let wu = w as u32;
        for i in 0..self.border[w].len() {
            let u = self.border[w][i] as usize;
            for &v in p.units.neighbors(u) {
                let b = self.assign[v as usize];
                if b == wu || b == NONE {
                    continue;
                }
                if let Some((s, _)) = self.score(u, wu, b, min_gain) {
                    out.push((s, u, b));
                }
                if let Some((s, _)) = self.score(v as usize, b, wu, min_gain) {
                    out.push((s, v as usize, wu));
                }
            }
        }
        out.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        out.dedup_by(|x, y| x.1 == y.1 && x.2 == y.2);
    }

    fn push(&mut self, u: usize, a: u32, b: u32) {
        if let Some((score, gain)) = self.score(u, a, b, 1e-12) {
            self.heap.push(Entry {
                score,
                gain,
                u: u as u32,
                a,
                b,
                va: self.ver[a as usize],
                vb: self.ver[b as usize],
            });
        }
    }

    /// Re-scores the moves of districts changed since the last look.
    fn refresh(&mut self) {
        if self.heap.len() > 4 * self.p.n() + 4096 {
            // Mostly stale entries: start over.
            self.heap.clear();
            self.dirty.iter_mut().for_each(|x| *x = true);
        }
        let p = self.p;
        let list: Vec<usize> = (0..self.k).filter(|&d| self.dirty[d]).collect();
        let mut seen: Vec<u32> = Vec::new();
        for &d in &list {
            self.stamp = self.stamp.wrapping_add(1);
            let stamp = self.stamp;
            let du = d as u32;
            for i in 0..self.border[d].len() {
                let u = self.border[d][i] as usize;
                seen.clear();
                for &v in p.units.neighbors(u) {
                    let e = self.assign[v as usize];
                    if e == du || e == NONE {
                        continue;
                    }
                    if !seen.contains(&e) {
                        seen.push(e);
                        self.push(u, du, e);
                    }
                    // Moves in from clean neighbours (dirty ones push
                    // their own moves out).
                    if !self.dirty[e as usize] && self.mark[v as usize] != stamp {
                        self.mark[v as usize] = stamp;
                        self.push(v as usize, e, du);
                    }
                }
            }
        }
        for d in list {
            self.dirty[d] = false;
        }
    }

    /// The best valid, improving, contiguity-keeping move of the plan.
    fn best_anywhere(&mut self, min_gain: f64) -> Option<(usize, u32)> {
        self.refresh();
        while let Some(e) = self.heap.pop() {
            let u = e.u as usize;
            if self.assign[u] != e.a
                || self.ver[e.a as usize] != e.va
                || self.ver[e.b as usize] != e.vb
            {
                continue; // stale
            }
            // Too small a gain now (polishing) or not removable: skipped
            // until one of its districts changes and re-scores it.
            if e.gain > min_gain && self.removable(u) {
                return Some((u, e.b));
            }
        }
        None
    }

    /// Districts that were stuck (no improving move, no chain) may move
    /// again once they or a neighbour changed: only those are released
    /// (releasing all after every move made the search O(moves × k)).
    fn unstick(&mut self, stuck: &mut [bool]) {
        let mut changed = std::mem::take(&mut self.changed);
        changed.sort_unstable();
        changed.dedup();
        let mut next = Vec::new();
        for &d in &changed {
            stuck[d] = false;
            self.adjacent_districts(d, &mut next);
            for &e in &next {
                stuck[e] = false;
            }
        }
        changed.clear();
        self.changed = changed;
    }

    /// The districts adjacent to `d`, from its border units (a scan of
    /// the k × k adjacency row would cost O(k) per district).
    fn adjacent_districts(&self, d: usize, out: &mut Vec<usize>) {
        out.clear();
        for &u in &self.border[d] {
            for &v in self.p.units.neighbors(u as usize) {
                let e = self.assign[v as usize];
                if e != NONE && e as usize != d {
                    out.push(e as usize);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// An ejection chain (Glover 1996; used for districting by Bozkaya,
    /// Erkut & Laporte 2003): when district `w` is out of balance but no
    /// single boundary move helps (its neighbours are balanced themselves),
    /// load is passed along a shortest path of adjacent districts to the
    /// nearest one with room (or, for an underloaded `w`, pulled from the
    /// nearest one with surplus): each district on the path hands one
    /// boundary unit of about the amount it received to the next. Every
    /// move keeps its district connected. Kept only when the sum of
    /// squared deviations drops; returns the moves made.
    fn chain(&mut self, w: usize) -> Option<usize> {
        let k = self.k;
        let over = self.loads[w] > self.aim[w];
        let mut parent = vec![usize::MAX; k];
        let mut hops = vec![usize::MAX; k];
        hops[w] = 0;
        let mut queue = VecDeque::from([w]);
        let mut ends: Vec<(usize, f64, usize)> = Vec::new();
        let mut next: Vec<usize> = Vec::new();
        while let Some(d) = queue.pop_front() {
            // Only the four nearest ends are tried, nearest level first:
            // once a level holding the fourth is complete, farther ones
            // cannot be among them (this BFS is O(k) per district).
            if ends.len() >= 4 && ends.last().is_some_and(|x| x.0 <= hops[d]) {
                break;
            }
            self.adjacent_districts(d, &mut next);
            for &e in &next {
                if hops[e] == usize::MAX {
                    hops[e] = hops[d] + 1;
                    parent[e] = d;
                    queue.push_back(e);
                    let room = if over {
                        self.aim[e] - self.loads[e]
                    } else {
                        self.loads[e] - self.aim[e]
                    };
                    if room > 0.0 {
                        ends.push((hops[e], -room, e));
                    }
                }
            }
        }
        ends.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        let sse = |s: &Self| (0..k).map(|d| (s.loads[d] - s.aim[d]).powi(2)).sum::<f64>();
        let before = sse(self);
        let mut cand: Vec<(f64, usize)> = Vec::new();
        for &(_, neg_room, end) in ends.iter().take(4) {
            let mut path = vec![end];
            while *path.last().unwrap_or(&w) != w {
                path.push(parent[*path.last().unwrap_or(&w)]);
            }
            path.reverse(); // w … end
            let mut amount = self.dev(w).min(-neg_room);
            let mut done: Vec<(usize, u32)> = Vec::new();
            let mut ok = true;
            for i in 0..path.len() - 1 {
                let (from, to) = if over {
                    (path[i], path[i + 1])
                } else {
                    (path[i + 1], path[i])
                };
                // Border units of `from` next to `to`, nearest `amount`
                // first.
                cand.clear();
                for &u in &self.border[from] {
                    let u = u as usize;
                    if !self.pinned[u]
                        && !done.iter().any(|x| x.0 == u)
                        && self.adjacent_to(u, to as u32)
                        && self.fence.allows(self.p, u, from as u32, to as u32)
                    {
                        cand.push(((self.p.weight[u] - amount).abs(), u));
                    }
                }
                cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut moved = None;
                for &(_, u) in cand.iter().take(12) {
                    if self.removable(u) {
                        moved = Some(u);
                        break;
                    }
                }
                let Some(u) = moved else {
                    ok = false;
                    break;
                };
                self.apply(u, to as u32);
                done.push((u, from as u32));
                amount = self.p.weight[u];
            }
            if ok && sse(self) < before - 1e-9 * self.target * self.target {
                return Some(done.len());
            }
            // Undo, newest first.
            for &(u, from) in done.iter().rev() {
                self.apply(u, from);
            }
        }
        None
    }
}

/// Local search (cf. Ricca & Simeone 2008; Kalcsics, Nickel & Schröder
/// 2005): moves boundary units between adjacent districts, never breaking a
/// district apart, until every district is within `tol` (and, when
/// `polish` is set, while the sum of squared deviations still drops
/// noticeably). The worst district is treated first; among its improving
/// moves the one with the least disruption and compactness cost per unit
/// of balance gained wins. When the worst districts cannot improve alone,
/// an ejection chain is tried, then the best improving move anywhere
/// (chains of moves through in-tolerance neighbours). A district holding a
/// unit heavier than the band aims at that unit alone (see `Search`).
pub fn local_search(
    p: &Problem,
    assign: &mut [u32],
    centers: &[usize],
    polish: bool,
    progress: &Progress,
) -> Result<usize> {
    let n = p.n();
    let k = p.k();
    if n == 0 || k == 0 {
        return Ok(0);
    }
    let mut s = Search::new(p, assign, centers);
    s.reseed_empty();
    s.changed.clear();
    let mut moves = 0;
    let mut stuck = vec![false; k];
    let mut cands: Vec<Cand> = Vec::new();
    let mut moved_now: Vec<usize> = Vec::new();
    let mut iterations = 0usize;
    while moves < p.max_iterations {
        iterations += 1;
        if iterations.is_multiple_of(64) {
            progress.check()?;
        }
        let worst = (0..k)
            .filter(|&d| !stuck[d] && s.out(d))
            .max_by(|&a, &b| s.dev(a).total_cmp(&s.dev(b)).then(b.cmp(&a)));
        let all_in = (0..k).all(|d| !s.out(d));
        if all_in && !polish {
            break;
        }
        // Polishing asks for a real gain, so it stops.
        let min_gain = if worst.is_none() && all_in {
            1e-4
        } else {
            1e-12
        };
        let Some(w) = worst else {
            match s.best_anywhere(min_gain) {
                Some((u, b)) => {
                    s.apply(u, b);
                    moves += 1;
                    s.unstick(&mut stuck);
                    continue;
                }
                None => break,
            }
        };
        s.candidates(w, min_gain, &mut cands);
        // Several moves per look: after the best one, the next candidates
        // are re-checked against the current loads (still improving, still
        // on the border, still removable) while `w` is out of its band.
        let mut batch = 0usize;
        moved_now.clear();
        for &(_, u, b) in cands.iter() {
            if moves >= p.max_iterations {
                break;
            }
            let a = s.assign[u];
            if batch > 0 {
                if !s.out(w) || batch >= 32 {
                    break;
                }
                if a == b
                    || moved_now.contains(&u)
                    || (a as usize != w && b as usize != w)
                    || !s.adjacent_to(u, b)
                    || s.gain(u, a, b) <= min_gain
                {
                    continue;
                }
            }
            if s.removable(u) {
                s.apply(u, b);
                moved_now.push(u);
                batch += 1;
                moves += 1;
            }
        }
        if batch > 0 {
            s.unstick(&mut stuck);
        } else {
            match s.chain(w) {
                Some(m) => {
                    moves += m;
                    s.unstick(&mut stuck);
                }
                None => {
                    // A chain tried and undone changed nothing.
                    s.changed.clear();
                    stuck[w] = true;
                }
            }
        }
    }
    if std::env::var_os("TURFMAP_TRACE_BALANCE").is_some() {
        diagnose(&s, moves, iterations);
    }
    Ok(moves)
}

/// Why the local search stopped (trace only).
fn diagnose(s: &Search, moves: usize, iterations: usize) {
    let p = s.p;
    eprintln!(
        "      local search: {moves} moves in {iterations} looks, target {:.1}, n {} k {}",
        s.target,
        p.n(),
        p.k()
    );
    for d in 0..p.k() {
        if !s.out(d) {
            continue;
        }
        let nbs: Vec<String> = (0..p.k())
            .filter(|&e| s.adj[d * p.k() + e] > 0)
            .map(|e| format!("{:+.1}", (s.loads[e] - s.target) / s.target * 100.0))
            .collect();
        eprintln!(
            "      d{d}: {:+.1}% (aim {:+.1}%) fixed {:.0} units {} border {} nbrs [{}]",
            (s.loads[d] - s.target) / s.target * 100.0,
            (s.aim[d] - s.target) / s.target * 100.0,
            p.fixed[d],
            s.size[d],
            s.border[d].len(),
            nbs.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::units::UnitSet;

    fn problem(units: &UnitSet, weight: Vec<f64>, k: usize) -> Problem<'_> {
        let home = vec![NONE; units.len()];
        Problem {
            disruption: 0.0,
            ..super::super::test_problem(units, weight, home, k, 0.05)
        }
    }

    fn members(assign: &[u32], d: u32) -> Vec<u32> {
        (0..assign.len() as u32)
            .filter(|&u| assign[u as usize] == d)
            .collect()
    }

    #[test]
    fn an_empty_district_is_grown_to_balance() {
        let units = UnitSet::hex_grid(10.0, [-100.0, 40.0, -99.0, 40.6]).unwrap();
        let n = units.len();
        let p = problem(&units, vec![1.0; n], 3);
        // Everything in district 0, districts 1 and 2 empty.
        let mut assign = vec![0u32; n];
        let centers = [0, 1, 2];
        local_search(&p, &mut assign, &centers, false, &Progress::new()).unwrap();
        let loads = p.loads(&assign);
        let t = p.target();
        for (d, l) in loads.iter().enumerate() {
            assert!((l - t).abs() <= 0.05 * t, "district {d}: {l} vs {t}");
            assert!(units.is_connected(&members(&assign, d as u32)));
        }
    }

    #[test]
    fn a_district_with_a_heavy_unit_keeps_little_else() {
        let units = UnitSet::hex_grid(10.0, [-100.0, 40.0, -99.0, 40.6]).unwrap();
        let n = units.len();
        // One unit alone is 1.5× the mean of 4 districts.
        let mut weight = vec![1.0; n];
        let heavy = n / 2;
        weight[heavy] = 0.0;
        let rest = (n - 1) as f64;
        weight[heavy] = 1.5 * rest / 2.5;
        let p = problem(&units, weight, 4);
        // A start where the heavy unit's district is a quarter of the map.
        let mut assign: Vec<u32> = (0..n)
            .map(|u| {
                let (x, y) = units.centroids[u];
                u32::from(x > -99.5) + 2 * u32::from(y > 40.3)
            })
            .collect();
        let centers: Vec<usize> = (0..4)
            .map(|d| (0..n).find(|&u| assign[u] == d).unwrap())
            .collect();
        let h = assign[heavy];
        local_search(&p, &mut assign, &centers, false, &Progress::new()).unwrap();
        let own = members(&assign, h);
        assert!(
            own.len() <= 2,
            "the heavy unit's district keeps {} units",
            own.len()
        );
        assert_eq!(assign[heavy], h);
        // The others share the rest within tolerance of the mean.
        let loads = p.loads(&assign);
        let t = p.target();
        for d in (0..4).filter(|&d| d != h as usize) {
            assert!(units.is_connected(&members(&assign, d as u32)));
            assert!(loads[d] < t * 1.05, "district {d}: {} vs {t}", loads[d]);
        }
    }
}
