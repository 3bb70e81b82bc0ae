//! The least-disruption repair tried first by rebalance: from the plan as
//! it is, load is passed along chains of adjacent districts — an
//! over-band district hands a boundary unit to a neighbour, which may hand
//! one on, and so on until a district with room takes it (or, for an
//! under-band district, the same chain pulled towards it) — and the
//! repair stops as soon as every district is within the tolerance.
//!
//! Each round is a shortest-path search (Dijkstra) over chain states "unit
//! `u` just moved into district `d`" (pulls: "just left `d`"), the cost
//! being the load moved away from its home, so the cheapest chain to each
//! district is found whatever the number of hops (the ejection chains of
//! the local search only try the nearest ends). A hop is allowed only when
//! both districts stay connected and no district on the chain gets further
//! outside the band; of the chains that reduce the total excess outside
//! the band, the one with the most reduction per unit of load moved is
//! taken. The total excess drops every round, so the repair ends; it gives
//! up (and rebalance falls back to its other paths) when no chain helps.

use std::collections::{BinaryHeap, HashMap};

use super::{Fence, NONE, Problem};

mod group;
use crate::core::error::Result;
use crate::core::progress::Progress;

/// Longest chain in hops (each district appears on a chain at most once).
const MAX_HOPS: usize = 12;

/// Chain states settled per search (a cap for very large plans; a
/// state-sized plan needs a few hundred).
const MAX_SETTLED: usize = 40_000;

/// Search nodes over the whole repair, so it stays bounded on huge plans
/// (then it gives up and rebalance takes its other paths).
const MAX_TOTAL: usize = 2_000_000;

/// One hop of a chain: `unit` moves from district `from` to `to`.
#[derive(Clone, Copy, Debug)]
struct Node {
    unit: u32,
    from: u32,
    to: u32,
    parent: u32,
    hops: u32,
    /// Load moved away from home so far.
    cost: f64,
}

/// A heap entry: the least cost first.
#[derive(Clone, Copy, Debug)]
struct Open(f64, u32);

super::least_first!(Open, |e| (e.0, e.1));

struct Repair<'a, 'p> {
    p: &'a Problem<'p>,
    assign: &'a mut [u32],
    loads: Vec<f64>,
    lo: f64,
    hi: f64,
    size: Vec<u32>,
    border: Vec<Vec<u32>>,
    border_pos: Vec<u32>,
    /// Per unit: 0 unknown, 1 removable, 2 not (valid until a move).
    removable: Vec<u8>,
    probed: Vec<u32>,
    mark: Vec<u32>,
    stamp: u32,
    work: usize,
    /// Work of the group re-draws (see [`group`]), budgeted apart.
    group_work: usize,
    /// Keeps each district's load centre near home (each move checked
    /// against the plan before its chain).
    fence: Fence,
}

impl<'a, 'p> Repair<'a, 'p> {
    fn new(p: &'a Problem<'p>, assign: &'a mut [u32]) -> Self {
        let n = p.n();
        let k = p.k();
        let t = p.target();
        let mut size = vec![0u32; k];
        for &d in assign.iter() {
            if d != NONE {
                size[d as usize] += 1;
            }
        }
        let mut s = Self {
            fence: Fence::new(p, assign),
            loads: p.loads(assign),
            p,
            assign,
            // A hair inside the band, so rounding never leaves a district
            // a rounding error outside it.
            lo: t * (1.0 - p.tol) + 1e-9 * t,
            hi: t * (1.0 + p.tol) - 1e-9 * t,
            size,
            border: vec![Vec::new(); k],
            border_pos: vec![NONE; n],
            removable: vec![0; n],
            probed: Vec::new(),
            mark: vec![0; n],
            stamp: 0,
            work: 0,
            group_work: 0,
        };
        for u in 0..n {
            s.update_border(u);
        }
        s
    }

    /// How far `load` is outside the band.
    fn viol(&self, load: f64) -> f64 {
        (load - self.hi).max(0.0) + (self.lo - load).max(0.0)
    }

    fn total_viol(&self) -> f64 {
        self.loads.iter().map(|&l| self.viol(l)).sum()
    }

    fn update_border(&mut self, u: usize) {
        let d = self.assign[u];
        let on = d != NONE
            && self.p.units.neighbors(u).iter().any(|&v| {
                let c = self.assign[v as usize];
                c != d && c != NONE
            });
        let pos = self.border_pos[u];
        if on && pos == NONE {
            self.border_pos[u] = self.border[d as usize].len() as u32;
            self.border[d as usize].push(u as u32);
        } else if !on && pos != NONE {
            self.drop_border(u);
        }
    }

    fn drop_border(&mut self, u: usize) {
        let pos = self.border_pos[u];
        if pos == NONE {
            return;
        }
        let list = &mut self.border[self.assign[u] as usize];
        list.swap_remove(pos as usize);
        if let Some(&moved) = list.get(pos as usize) {
            self.border_pos[moved as usize] = pos;
        }
        self.border_pos[u] = NONE;
    }

    fn apply(&mut self, u: usize, b: u32) {
        let a = self.assign[u];
        self.drop_border(u);
        self.fence.apply(self.p, u, a, b);
        self.p.shift(&mut self.loads, u, a, -1.0);
        self.assign[u] = b;
        self.p.shift(&mut self.loads, u, b, 1.0);
        self.size[a as usize] -= 1;
        self.size[b as usize] += 1;
        self.update_border(u);
        for i in 0..self.p.units.neighbors(u).len() {
            let v = self.p.units.neighbors(u)[i] as usize;
            self.update_border(v);
        }
        for u in self.probed.drain(..) {
            self.removable[u as usize] = 0;
        }
    }

    /// Whether `u` may leave its district: the district keeps its other
    /// units, and `u`'s neighbours in it stay connected to each other
    /// (breadth first from one of them; usually met within a ring or two).
    fn can_leave(&mut self, u: usize) -> bool {
        if !self.p.movable[u] || self.p.weight[u] <= 0.0 {
            return false;
        }
        match self.removable[u] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        let ok = self.connected_without(u);
        self.removable[u] = if ok { 1 } else { 2 };
        self.probed.push(u as u32);
        ok
    }

    fn connected_without(&mut self, u: usize) -> bool {
        let p = self.p;
        let d = self.assign[u];
        let nbrs: Vec<u32> = p
            .units
            .neighbors(u)
            .iter()
            .copied()
            .filter(|&v| self.assign[v as usize] == d)
            .collect();
        if nbrs.len() <= 1 {
            return !nbrs.is_empty() || self.size[d as usize] > 1;
        }
        self.stamp = self.stamp.wrapping_add(1);
        let stamp = self.stamp;
        self.mark[u] = stamp;
        self.mark[nbrs[0] as usize] = stamp;
        let mut queue = std::collections::VecDeque::from([nbrs[0]]);
        let mut found = 1;
        while let Some(x) = queue.pop_front() {
            for &v in p.units.neighbors(x as usize) {
                let vi = v as usize;
                if self.assign[vi] == d && self.mark[vi] != stamp {
                    self.mark[vi] = stamp;
                    self.work += 1;
                    if nbrs.contains(&v) {
                        found += 1;
                        if found == nbrs.len() {
                            return true;
                        }
                    }
                    queue.push_back(v);
                }
            }
        }
        false
    }

    /// Load moved away from home by moving `u` out of `from` into `to`,
    /// plus up to 2% more the fewer of `u`'s neighbours are in `to`: among
    /// moves of about the same load, those that keep boundaries short win.
    fn cost(&self, u: usize, from: u32, to: u32) -> f64 {
        if self.p.home[u] != from {
            return 0.0;
        }
        let nb = self.p.units.neighbors(u);
        let inside = nb
            .iter()
            .filter(|&&v| self.assign[v as usize] == to)
            .count();
        let loose = 1.0 - inside as f64 / nb.len().max(1) as f64;
        self.p.weight[u] * (1.0 + 0.02 * loose)
    }

    /// Load change of every district on the chain ending at node `i`.
    fn chain_delta(&self, nodes: &[Node], i: usize, out: &mut Vec<(u32, f64)>) {
        out.clear();
        let mut x = i as u32;
        while x != NONE {
            let n = nodes[x as usize];
            let w = self.p.weight[n.unit as usize];
            for (d, l) in [(n.from, -w), (n.to, w)] {
                match out.iter_mut().find(|e| e.0 == d) {
                    Some(e) => e.1 += l,
                    None => out.push((d, l)),
                }
            }
            x = n.parent;
        }
    }

    /// The drop of the total excess outside the band, or `None` when a
    /// district on the chain gets further outside it.
    fn reduction(&self, delta: &[(u32, f64)]) -> Option<f64> {
        let mut r = 0.0;
        for &(d, l) in delta {
            let before = self.viol(self.loads[d as usize]);
            let after = self.viol(self.loads[d as usize] + l);
            if after > before + 1e-12 * self.hi {
                return None;
            }
            r += before - after;
        }
        Some(r)
    }

    fn on_chain(nodes: &[Node], mut x: u32, d: u32) -> bool {
        while x != NONE {
            let n = nodes[x as usize];
            if n.from == d || n.to == d {
                return true;
            }
            x = n.parent;
        }
        false
    }

    /// `u` stays attached to district `d` once `v` leaves it: it has a
    /// neighbour there other than `v`.
    fn attached(&self, u: usize, d: u32, v: u32) -> bool {
        self.p
            .units
            .neighbors(u)
            .iter()
            .any(|&x| x != v && self.assign[x as usize] == d)
    }
}

/// The open chain states of one search.
struct Frontier {
    nodes: Vec<Node>,
    heap: BinaryHeap<Open>,
    /// Least priority per state (unit, district at the chain's open end).
    best_cost: HashMap<(u32, u32), f64>,
    push: bool,
    t: f64,
}

impl Frontier {
    fn key(&self, n: &Node) -> (u32, u32) {
        (n.unit, if self.push { n.to } else { n.from })
    }

    /// Adds a state unless it is known at no higher cost; fewer hops break
    /// ties (free moves of units already away from home).
    fn add(&mut self, n: Node) {
        let key = self.key(&n);
        let pri = n.cost + f64::from(n.hops) * 1e-9 * self.t;
        if self.best_cost.get(&key).is_some_and(|&c| c <= pri) {
            return;
        }
        self.best_cost.insert(key, pri);
        self.heap.push(Open(pri, self.nodes.len() as u32));
        self.nodes.push(n);
    }
}

/// The best chain found from one out-of-band district: (it brings that
/// district within the band, reduction per load moved, load moved, moves
/// root first).
type Chain = (bool, f64, f64, Vec<(u32, u32)>);

impl Repair<'_, '_> {
    /// The chain from `w` (pushing load out when it is over the band,
    /// pulling load in when under) with the most reduction of the total
    /// excess per unit of load moved, by Dijkstra over chain states.
    fn best_chain(&mut self, w: u32) -> Option<Chain> {
        let push = self.loads[w as usize] > self.hi;
        let t = self.hi;
        let mut fr = Frontier {
            nodes: Vec::new(),
            heap: BinaryHeap::new(),
            best_cost: HashMap::new(),
            push,
            t,
        };
        // Roots: one unit out of `w` (push) or into it (pull).
        let lw = self.loads[w as usize];
        for i in 0..self.border[w as usize].len() {
            let y = self.border[w as usize][i] as usize;
            for j in 0..self.p.units.neighbors(y).len() {
                let v = self.p.units.neighbors(y)[j];
                let b = self.assign[v as usize];
                if b == w || b == NONE {
                    continue;
                }
                let (unit, from, to) = if push { (y, w, b) } else { (v as usize, b, w) };
                let l = self.p.weight[unit];
                let after = if push { lw - l } else { lw + l };
                if self.viol(after) >= self.viol(lw)
                    || !self.fence.allows(self.p, unit, from, to)
                    || !self.can_leave(unit)
                {
                    continue;
                }
                let cost = self.cost(unit, from, to);
                let n = Node {
                    unit: unit as u32,
                    from,
                    to,
                    parent: NONE,
                    hops: 1,
                    cost,
                };
                fr.add(n);
            }
        }
        // Chains that bring `w` within the band, and those that only
        // reduce the excess: the former win (several small partial moves
        // can add up to more than one unit that does it).
        let mut full: Option<(f64, f64, u32)> = None;
        let mut partial: Option<(f64, f64, u32)> = None;
        let mut settled = 0;
        let mut delta = Vec::new();
        let mut seen = vec![];
        while let Some(Open(pri, i)) = fr.heap.pop() {
            let x = fr.nodes[i as usize];
            if fr.best_cost.get(&fr.key(&x)).is_some_and(|&c| c < pri) {
                continue; // a cheaper way to this state was found
            }
            settled += 1;
            self.work += 1;
            if settled > MAX_SETTLED || self.work > MAX_TOTAL {
                break;
            }
            self.chain_delta(&fr.nodes, i as usize, &mut delta);
            if let Some(r) = self.reduction(&delta).filter(|&r| r > 1e-12 * t) {
                let score = r / (x.cost + 1e-6 * t);
                let fixes = delta
                    .iter()
                    .any(|&(d, l)| d == w && self.viol(self.loads[d as usize] + l) <= 0.0);
                let slot = if fixes { &mut full } else { &mut partial };
                if slot.is_none_or(|b| score > b.0 * (1.0 + 1e-12)) {
                    *slot = Some((score, x.cost, i));
                }
            }
            if x.hops as usize >= MAX_HOPS {
                continue;
            }
            // The district at the open end of the chain: it just got a
            // unit (push) or lost one (pull).
            let d = if push { x.to } else { x.from };
            let ld = self.loads[d as usize]
                + if push {
                    self.p.weight[x.unit as usize]
                } else {
                    -self.p.weight[x.unit as usize]
                };
            for a in 0..self.border[d as usize].len() {
                let y = self.border[d as usize][a] as usize;
                seen.clear();
                for j in 0..self.p.units.neighbors(y).len() {
                    let v = self.p.units.neighbors(y)[j];
                    let e = self.assign[v as usize];
                    if e == d || e == NONE || Self::on_chain(&fr.nodes, i, e) {
                        continue;
                    }
                    // Push: `y` leaves `d` for `e`; pull: `v` leaves `e`
                    // for `d`.
                    let (unit, from, to) = if push {
                        if seen.contains(&e) {
                            continue;
                        }
                        seen.push(e);
                        (y, d, e)
                    } else {
                        (v as usize, e, d)
                    };
                    let l = self.p.weight[unit];
                    let after = if push { ld - l } else { ld + l };
                    if self.viol(after) > self.viol(self.loads[d as usize]) + 1e-12 * t {
                        continue;
                    }
                    // The chain's unit stays attached to `d`: push, `x.unit`
                    // keeps a neighbour in `d` once `y` leaves; pull, `v`
                    // has one other than `x.unit`, which left.
                    let attached = if push {
                        self.attached(x.unit as usize, d, y as u32)
                    } else {
                        self.attached(unit, d, x.unit)
                    };
                    if !attached
                        || !self.fence.allows(self.p, unit, from, to)
                        || !self.can_leave(unit)
                    {
                        continue;
                    }
                    self.work += 1;
                    let n = Node {
                        unit: unit as u32,
                        from,
                        to,
                        parent: i,
                        hops: x.hops + 1,
                        cost: x.cost + self.cost(unit, from, to),
                    };
                    fr.add(n);
                }
            }
        }
        let fixes = full.is_some();
        let (score, cost, mut i) = full.or(partial)?;
        let mut moves = Vec::new();
        while i != NONE {
            let n = fr.nodes[i as usize];
            moves.push((n.unit, n.to));
            i = n.parent;
        }
        moves.reverse();
        Some((fixes, score, cost, moves))
    }
}

/// Whether chain `c` beats `b`: it brings its district within the band
/// and `b` does not, else more reduction per load moved, else less moved.
fn better(c: &Chain, b: &Chain) -> bool {
    (c.0 && !b.0) || (c.0 == b.0 && (c.1 > b.1 * (1.0 + 1e-12) || (c.1 >= b.1 && c.2 < b.2)))
}

/// The least-disruption repair (see the module docs) on `assign`, which
/// should be the plan as it is. Returns the units moved when every district
/// ends within the tolerance; `None` (with `assign` partly repaired) when
/// it cannot get there: a unit or fixed load heavier than the band, no
/// chain that helps, or the work budget spent.
pub fn least_move(p: &Problem, assign: &mut [u32], progress: &Progress) -> Result<Option<usize>> {
    let k = p.k();
    let t = p.target();
    let hi = t * (1.0 + p.tol);
    if k < 2
        || t <= 0.0
        || p.tol < 1e-6
        || !p.heavy_units().is_empty()
        || p.fixed.iter().any(|&f| f > hi)
        || p.home_split.iter().any(|s| !s.is_empty())
        || (0..p.n()).any(|u| {
            let d = assign[u];
            (d == NONE && p.weight[u] > 0.0) || (d != NONE && d as usize >= k)
        })
    {
        return Ok(None);
    }
    let mut r = Repair::new(p, assign);
    let mut moves = 0;
    for _ in 0..4 * p.n() + 64 {
        progress.check()?;
        if r.total_viol() <= 0.0 {
            return Ok(Some(moves));
        }
        let mut out: Vec<u32> = (0..k as u32)
            .filter(|&d| r.viol(r.loads[d as usize]) > 0.0)
            .collect();
        out.sort_by(|&a, &b| {
            r.viol(r.loads[b as usize])
                .total_cmp(&r.viol(r.loads[a as usize]))
                .then(a.cmp(&b))
        });
        let mut best: Option<Chain> = None;
        for &w in out.iter().take(8) {
            let chain = r.best_chain(w);
            // Re-drawing a group's boundary where no chain of single hops
            // brings `w` within the band (each overshoots).
            let group = match &chain {
                Some(c) if c.0 => None,
                _ => r.best_group(w, f64::INFINITY),
            };
            for c in [chain, group].into_iter().flatten() {
                if best.as_ref().is_none_or(|b| better(&c, b)) {
                    best = Some(c);
                }
            }
        }
        let Some((_, _, _, chain)) = best else {
            if std::env::var_os("TURFMAP_TRACE_BALANCE").is_some() {
                let dev: Vec<String> = r
                    .loads
                    .iter()
                    .map(|l| format!("{:+.2}%", (l / t - 1.0) * 100.0))
                    .collect();
                eprintln!(
                    "      least-move repair stuck after {moves} moves: {}",
                    dev.join(" ")
                );
            }
            return Ok(None);
        };
        for (u, to) in chain {
            r.apply(u as usize, to);
            moves += 1;
        }
        if r.work > MAX_TOTAL {
            return Ok(None);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::super::test_problem as problem;
    use super::*;
    use crate::core::units::UnitSet;

    fn grid() -> UnitSet {
        UnitSet::hex_grid(8.0, [-100.0, 40.0, -98.5, 40.5]).unwrap()
    }

    /// Districts as vertical strips: `k` equal ranges of longitude.
    fn strips(units: &UnitSet, k: usize) -> Vec<u32> {
        let xs: Vec<f64> = units.centroids.iter().map(|c| c.0).collect();
        let (x0, x1) = xs
            .iter()
            .fold((f64::MAX, f64::MIN), |a, &x| (a.0.min(x), a.1.max(x)));
        xs.iter()
            .map(|&x| (((x - x0) / (x1 - x0 + 1e-9)) * k as f64) as u32)
            .collect()
    }

    /// A unit of district `d` with all its neighbours in `d` (ballast that
    /// no move takes: it would overshoot the band).
    fn interior(units: &UnitSet, assign: &[u32], d: u32) -> usize {
        (0..units.len())
            .filter(|&u| assign[u] == d)
            .find(|&u| units.neighbors(u).iter().all(|&v| assign[v as usize] == d))
            .unwrap()
    }

    /// Sets each district's ballast so its load is `loads[d]`.
    fn set_loads(units: &UnitSet, assign: &[u32], weight: &mut [f64], loads: &[f64]) {
        for (d, &want) in loads.iter().enumerate() {
            let b = interior(units, assign, d as u32);
            let rest: f64 = (0..units.len())
                .filter(|&u| u != b && assign[u] == d as u32)
                .map(|u| weight[u])
                .sum();
            assert!(want > rest, "ballast would be negative");
            weight[b] = want - rest;
        }
    }

    fn moved(p: &Problem, assign: &[u32]) -> (usize, f64) {
        let m: Vec<usize> = (0..assign.len())
            .filter(|&u| assign[u] != p.home[u])
            .collect();
        (m.len(), m.iter().map(|&u| p.weight[u]).sum())
    }

    fn assert_within_and_connected(p: &Problem, assign: &[u32]) {
        let t = p.target();
        for (d, l) in p.loads(assign).iter().enumerate() {
            assert!(
                (l - t).abs() <= p.tol * t + 1e-9,
                "district {d}: {l} vs {t}"
            );
            let m: Vec<u32> = (0..assign.len() as u32)
                .filter(|&u| assign[u as usize] == d as u32)
                .collect();
            assert!(p.units.is_connected(&m), "district {d} in pieces");
        }
    }

    #[test]
    fn a_plan_one_move_fixes_moves_the_least_unit_that_does() {
        let units = grid();
        let n = units.len();
        let home = strips(&units, 2);
        // Unequal unit loads, so which unit moves matters.
        let mut weight: Vec<f64> = (0..n).map(|u| 0.05 + (u * 7 % 11) as f64 * 0.025).collect();
        set_loads(&units, &home, &mut weight, &[100.31, 99.69]);
        let p = problem(&units, weight.clone(), home.clone(), 2, 0.002);
        // By brute force: the lightest boundary unit of the heavy side
        // whose move alone brings both within ±0.2 (0.11 to 0.51) and keeps its
        // side connected.
        let least = (0..n)
            .filter(|&u| home[u] == 0 && units.neighbors(u).iter().any(|&v| home[v as usize] == 1))
            .filter(|&u| (0.11..=0.51).contains(&weight[u]))
            .filter(|&u| {
                let rest: Vec<u32> = (0..n as u32)
                    .filter(|&v| home[v as usize] == 0 && v as usize != u)
                    .collect();
                units.is_connected(&rest)
            })
            .map(|u| weight[u])
            .fold(f64::INFINITY, f64::min);
        assert!(least.is_finite());
        let mut assign = home.clone();
        let m = least_move(&p, &mut assign, &Progress::new()).unwrap();
        assert_eq!(m, Some(1));
        let (count, load) = moved(&p, &assign);
        assert_eq!(count, 1);
        assert!((load - least).abs() < 1e-9, "moved {load}, least {least}");
        assert_within_and_connected(&p, &assign);
    }

    #[test]
    fn load_passes_through_a_balanced_district_between_two_that_do_not_touch() {
        let units = grid();
        let n = units.len();
        let home = strips(&units, 3);
        // A and C share no edge: only B, exactly balanced, lies between.
        assert!(
            (0..n)
                .all(|u| home[u] != 0 || units.neighbors(u).iter().all(|&v| home[v as usize] != 2))
        );
        let mut weight = vec![1.0; n];
        set_loads(&units, &home, &mut weight, &[101.5, 100.0, 98.5]);
        // ±1: B cannot keep a unit of 1 (it would be at 101), so A must
        // pass one to B and B one to C: two units, 2 of load.
        let p = problem(&units, weight, home.clone(), 3, 0.01);
        let mut assign = home.clone();
        let m = least_move(&p, &mut assign, &Progress::new()).unwrap();
        assert_eq!(m, Some(2));
        let (count, load) = moved(&p, &assign);
        assert_eq!((count, load), (2, 2.0));
        assert_within_and_connected(&p, &assign);
        // One unit went A → B and one B → C.
        let flows: Vec<(u32, u32)> = (0..n)
            .filter(|&u| assign[u] != home[u])
            .map(|u| (home[u], assign[u]))
            .collect();
        assert!(
            flows.contains(&(0, 1)) && flows.contains(&(1, 2)),
            "{flows:?}"
        );
    }

    #[test]
    fn an_under_band_district_pulls_one_unit_from_a_neighbour() {
        let units = grid();
        let home = strips(&units, 3);
        let mut weight = vec![1.0; units.len()];
        // Only C is out (under, by 0.7 at ±1); A and B are over but inside.
        set_loads(&units, &home, &mut weight, &[100.9, 100.8, 98.3]);
        let p = problem(&units, weight, home.clone(), 3, 0.01);
        let mut assign = home.clone();
        let m = least_move(&p, &mut assign, &Progress::new()).unwrap();
        assert_eq!(m, Some(1));
        assert_within_and_connected(&p, &assign);
        assert_eq!(moved(&p, &assign), (1, 1.0));
        let u = (0..assign.len()).find(|&u| assign[u] != home[u]).unwrap();
        assert_eq!((home[u], assign[u]), (1, 2));
    }

    /// Both districts within the band, non-empty and connected.
    fn valid(p: &Problem, assign: &[u32]) -> bool {
        let t = p.target();
        p.loads(assign).iter().enumerate().all(|(d, l)| {
            let m: Vec<u32> = (0..assign.len() as u32)
                .filter(|&u| assign[u as usize] == d as u32)
                .collect();
            (l - t).abs() <= p.tol * t && !m.is_empty() && p.units.is_connected(&m)
        })
    }

    #[test]
    fn a_plan_no_single_move_fixes_moves_exactly_the_least() {
        // Units of 2 to 10, a district about 90: in the instances kept
        // every single move overshoots the band on one side, so a swap or
        // a two-unit move is needed.
        let units = UnitSet::hex_grid(8.0, [-100.0, 40.0, -99.9, 40.03]).unwrap();
        let n = units.len();
        assert!((8..=20).contains(&n), "{n} units");
        let home = strips(&units, 2);
        let home_mask: u32 = (0..n).map(|u| home[u] << u).sum();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut checked = 0;
        for _ in 0..300 {
            let weight: Vec<f64> = (0..n).map(|_| 2.0 + 8.0 * next()).collect();
            let tol = 0.02 + 0.06 * next();
            let p = problem(&units, weight, home.clone(), 2, tol);
            if valid(&p, &home) {
                continue;
            }
            let single = (0..n).any(|u| {
                let mut a = home.clone();
                a[u] = 1 - a[u];
                valid(&p, &a)
            });
            if single {
                continue;
            }
            // Brute force over every plan moving at most 5 units: any plan
            // moving more moves at least 12, so below that the least is
            // exact. Kept only with a clear winner (the next figure 3%
            // higher), so the repair's 2% boundary tie-break cannot matter.
            let mut costs: Vec<f64> = (0..1u32 << n)
                .filter(|&mask| (mask ^ home_mask).count_ones() <= 5)
                .filter_map(|mask| {
                    let a: Vec<u32> = (0..n).map(|u| (mask >> u) & 1).collect();
                    valid(&p, &a).then(|| moved(&p, &a).1)
                })
                .collect();
            costs.sort_by(f64::total_cmp);
            let Some(&least) = costs.first() else {
                continue;
            };
            let next_best = costs.get(1).copied().unwrap_or(12.0);
            if least * 1.03 > 12.0 || next_best < least * 1.03 {
                continue;
            }
            let mut assign = home.clone();
            let m = least_move(&p, &mut assign, &Progress::new()).unwrap();
            assert!(m.is_some_and(|m| m >= 2), "tol {tol}: {m:?}");
            assert!(valid(&p, &assign));
            let (_, load) = moved(&p, &assign);
            assert!((load - least).abs() < 1e-9, "moved {load}, least {least}");
            checked += 1;
        }
        assert!(checked >= 5, "only {checked} instances need a swap");
    }

    #[test]
    fn a_heavy_unit_or_no_helping_chain_gives_up() {
        let units = grid();
        let home = strips(&units, 2);
        let mut weight = vec![1.0; units.len()];
        set_loads(&units, &home, &mut weight, &[400.0, 200.0]);
        // The ballast (about 340) alone is over the band: not this repair's job.
        let p = problem(&units, weight, home.clone(), 2, 0.05);
        let mut assign = home.clone();
        assert_eq!(least_move(&p, &mut assign, &Progress::new()).unwrap(), None);
    }
}
