//! Exact re-drawing of the boundary of a small group of adjacent districts,
//! for the least-move repair. Where units are a large share of a district
//! (an Ohio county is several % of a sixth of Ohio), every single-unit hop
//! overshoots the band on one side, so no chain starts; giving a unit and
//! taking a lighter one back, or moving two at once, does not. Here the
//! out-of-band district and one or two neighbours are treated together:
//! move sets between them are searched best first by load moved (each set
//! grown from the boundary as it stands after the moves before it), and
//! the first set that brings the district within the band, leaves no other
//! member further outside it and keeps every member contiguous is the
//! least-moving one (up to the state budget).

use std::collections::{BinaryHeap, HashSet};

use super::{Chain, Open, Repair};
use crate::core::optimize::solver::NONE;

/// Move sets examined per group search.
const MAX_STATES: usize = 4_000;

/// Work (candidate units looked at) of all group re-draws of one repair:
/// they are for plans whose units are a large share of a district, small
/// plans; on large ones they must not cost more than the rest.
const MAX_GROUP_WORK: usize = 300_000;

/// Units moved by one set at most.
const MAX_MOVES: usize = 8;

/// A move set: `(unit, district)` sorted by unit, its cost (load moved
/// away from home) and the load change of each group member.
struct Set {
    moves: Vec<(u32, u32)>,
    cost: f64,
    delta: Vec<f64>,
}

impl Repair<'_, '_> {
    /// Districts sharing a boundary with `d`.
    fn neighbour_districts(&self, d: u32) -> Vec<u32> {
        let mut out = Vec::new();
        for &y in &self.border[d as usize] {
            for &v in self.p.units.neighbors(y as usize) {
                let e = self.assign[v as usize];
                if e != d && e != NONE && !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The least-moving group re-draw that brings `w` within the band,
    /// over `w` with each neighbour, then with two (a neighbour and one of
    /// its own or of `w`'s). Only sets cheaper than `bound` are looked at.
    pub(super) fn best_group(&mut self, w: u32, bound: f64) -> Option<Chain> {
        let near = self.neighbour_districts(w);
        let mut groups: Vec<Vec<u32>> = near.iter().map(|&e| vec![w, e]).collect();
        for (i, &e) in near.iter().enumerate() {
            let mut third: Vec<u32> = near[i + 1..].to_vec();
            third.extend(
                self.neighbour_districts(e)
                    .into_iter()
                    .filter(|f| !near.contains(f)),
            );
            for f in third.into_iter().filter(|&f| f != w) {
                let mut g = vec![w, e, f];
                g.sort_unstable();
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        let mut best: Option<Set> = None;
        for g in &groups {
            let cap = best.as_ref().map_or(bound, |b| b.cost.min(bound));
            if let Some(s) = self.group_search(g, w, cap) {
                best = Some(s);
            }
            if self.group_work > MAX_GROUP_WORK {
                break;
            }
        }
        let s = best?;
        let t = self.hi;
        let r: f64 = self
            .group_of(&s)
            .iter()
            .map(|&(d, l)| {
                let before = self.loads[d as usize];
                self.viol(before) - self.viol(before + l)
            })
            .sum();
        Some((true, r / (s.cost + 1e-6 * t), s.cost, s.moves))
    }

    /// The load change per district of a move set.
    fn group_of(&self, s: &Set) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = Vec::new();
        for &(u, to) in &s.moves {
            let w = self.p.weight[u as usize];
            for (d, l) in [(self.assign[u as usize], -w), (to, w)] {
                match out.iter_mut().find(|e| e.0 == d) {
                    Some(e) => e.1 += l,
                    None => out.push((d, l)),
                }
            }
        }
        out
    }

    /// Best-first search over move sets within group `g` (see the module
    /// docs); `None` when no qualifying set costs less than `bound`.
    fn group_search(&mut self, g: &[u32], w: u32, bound: f64) -> Option<Set> {
        let mut sets = vec![Set {
            moves: Vec::new(),
            cost: 0.0,
            delta: vec![0.0; g.len()],
        }];
        let mut heap = BinaryHeap::from([Open(0.0, 0)]);
        let mut seen: HashSet<Vec<(u32, u32)>> = HashSet::new();
        let mut popped = 0;
        while let Some(Open(f, i)) = heap.pop() {
            if f >= bound {
                break;
            }
            popped += 1;
            self.group_work += 1;
            if popped > MAX_STATES || self.group_work > MAX_GROUP_WORK {
                break;
            }
            let i = i as usize;
            if self.qualifies(g, w, &sets[i].delta) && self.contiguous_after(g, &sets[i].moves) {
                return Some(sets.swap_remove(i));
            }
            if sets[i].moves.len() >= MAX_MOVES {
                continue;
            }
            for (u, to, c) in self.expansions(g, &sets[i].moves) {
                let mut moves = sets[i].moves.clone();
                let at = moves.partition_point(|m| m.0 < u);
                moves.insert(at, (u, to));
                if !seen.insert(moves.clone()) {
                    continue;
                }
                let wu = self.p.weight[u as usize];
                let mut delta = sets[i].delta.clone();
                let from = self.assign[u as usize];
                for (j, &d) in g.iter().enumerate() {
                    if d == from {
                        delta[j] -= wu;
                    } else if d == to {
                        delta[j] += wu;
                    }
                }
                let cost = sets[i].cost + c;
                let f = cost + self.still_to_move(g, w, &delta);
                heap.push(Open(f, sets.len() as u32));
                sets.push(Set { moves, cost, delta });
            }
        }
        None
    }

    /// A lower bound on the load still to move before the set qualifies:
    /// each member's excess over what it may keep (nothing for `w`, its
    /// excess before for the others), halved since a move changes two
    /// members by its load and costs at least that (A* with this bound
    /// looks at far fewer sets than by cost alone, same result).
    fn still_to_move(&self, g: &[u32], w: u32, delta: &[f64]) -> f64 {
        let excess: f64 = g
            .iter()
            .zip(delta)
            .map(|(&d, &l)| {
                let before = self.loads[d as usize];
                let keep = if d == w { 0.0 } else { self.viol(before) };
                (self.viol(before + l) - keep).max(0.0)
            })
            .sum();
        excess / 2.0
    }

    /// `w` ends within the band and no member ends further outside it.
    fn qualifies(&self, g: &[u32], w: u32, delta: &[f64]) -> bool {
        g.iter().zip(delta).all(|(&d, &l)| {
            let before = self.loads[d as usize];
            let after = self.viol(before + l);
            if d == w {
                after <= 0.0
            } else {
                after <= self.viol(before) + 1e-12 * self.hi
            }
        })
    }

    /// One more move from the set `moves`: a unit of a member, not moved
    /// yet, next to another member (with the set applied) goes there.
    /// Returns (unit, district, cost).
    fn expansions(&mut self, g: &[u32], moves: &[(u32, u32)]) -> Vec<(u32, u32, f64)> {
        let saved = self.overlay(moves);
        let mut cand: Vec<u32> = g
            .iter()
            .flat_map(|&d| self.border[d as usize].iter().copied())
            .collect();
        for &(u, _) in moves {
            cand.extend(self.p.units.neighbors(u as usize).iter().copied());
        }
        cand.sort_unstable();
        cand.dedup();
        let mut out = Vec::new();
        self.group_work += cand.len();
        for u in cand {
            let ui = u as usize;
            let a = self.assign[ui];
            if !g.contains(&a)
                || moves.iter().any(|m| m.0 == u)
                || !self.p.movable[ui]
                || self.p.weight[ui] <= 0.0
            {
                continue;
            }
            let mut to_seen: Vec<u32> = Vec::new();
            for &v in self.p.units.neighbors(ui) {
                let b = self.assign[v as usize];
                if b != a
                    && g.contains(&b)
                    && !to_seen.contains(&b)
                    && self.fence.allows(self.p, ui, a, b)
                {
                    to_seen.push(b);
                    out.push((u, b, self.cost(ui, a, b)));
                }
            }
        }
        self.restore(moves, &saved);
        out
    }

    /// Applies `moves` to the assignment only (no loads or borders);
    /// returns the districts they had, for [`Self::restore`].
    fn overlay(&mut self, moves: &[(u32, u32)]) -> Vec<u32> {
        let saved: Vec<u32> = moves.iter().map(|m| self.assign[m.0 as usize]).collect();
        for &(u, to) in moves {
            self.assign[u as usize] = to;
        }
        saved
    }

    fn restore(&mut self, moves: &[(u32, u32)], saved: &[u32]) {
        for (m, &d) in moves.iter().zip(saved) {
            self.assign[m.0 as usize] = d;
        }
    }

    /// Every member of `g` is one non-empty connected piece with `moves`
    /// applied (breadth first from one of its units).
    fn contiguous_after(&mut self, g: &[u32], moves: &[(u32, u32)]) -> bool {
        let saved = self.overlay(moves);
        let ok = g.iter().all(|&d| self.connected(d, moves, &saved));
        self.restore(moves, &saved);
        ok
    }

    fn connected(&mut self, d: u32, moves: &[(u32, u32)], saved: &[u32]) -> bool {
        let mut size = self.size[d as usize] as i64;
        for (m, &from) in moves.iter().zip(saved) {
            size += i64::from(m.1 == d) - i64::from(from == d);
        }
        // A start: a unit moved in, or a border unit still there (a
        // member of a group always has border units).
        let start = moves.iter().find(|m| m.1 == d).map(|m| m.0).or_else(|| {
            self.border[d as usize]
                .iter()
                .copied()
                .find(|&u| self.assign[u as usize] == d)
        });
        let Some(start) = start else {
            return false;
        };
        self.stamp = self.stamp.wrapping_add(1);
        let stamp = self.stamp;
        self.mark[start as usize] = stamp;
        let mut stack = vec![start];
        let mut count = 1i64;
        while let Some(x) = stack.pop() {
            for &v in self.p.units.neighbors(x as usize) {
                let vi = v as usize;
                if self.assign[vi] == d && self.mark[vi] != stamp {
                    self.mark[vi] = stamp;
                    self.group_work += 1;
                    count += 1;
                    stack.push(v);
                }
            }
        }
        count == size
    }
}
