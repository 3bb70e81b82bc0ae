//! Multi-district recombination: a connected cluster of districts whose
//! total load is near its share is merged and split again into as many
//! parts by cutting random spanning trees, one part at a time (the
//! recursive tree partition of GerryChain's `recursive_tree_part`, DeFord,
//! Duchin & Solomon 2021). A pair can only trade load between its two
//! districts; a cluster of three to eight moves load across them in one
//! step, which is what gets a plan out of the local optima where every
//! pair is as good as it can be on its own.
//!
//! Every part must be within a band of the target (the tolerance, the aim
//! band, or a little under the plan's current worst deviation when the
//! tolerance cannot be reached); among the tree edges that give one, the cut
//! moving the least load away from its current district is taken, and each
//! part keeps the label of the district it overlaps most.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{NONE, Recom};

/// Most districts merged in one step.
const MAX_CLUSTER: usize = 8;

/// Random spanning trees drawn per part before a step gives up.
const CUT_TREES: usize = 12;

/// One part cut off a tree: the label position it goes to and its units.
type Part = (usize, Vec<u32>);

impl Recom<'_, '_> {
    /// One multi-district step around district `w`; kept when the plan's
    /// key gets lower (or, on a `walk`, its largest deviation does not
    /// grow). True when the plan changed.
    pub(super) fn recombine_cluster(&mut self, w: usize, rng: &mut ChaCha8Rng, walk: bool) -> bool {
        let ds = self.cluster(w, rng);
        if ds.len() < 2 {
            return false;
        }
        let before = self.plan_key();
        let bound = self.bound(&ds, before.max_dev, rng);
        self.stats[0] += 1;
        let Some(parts) = self.split(&ds, bound, rng) else {
            return false;
        };
        self.stats[1] += 1;
        let saved: Vec<_> = ds.iter().map(|&d| self.save(d)).collect();
        for (j, &d) in ds.iter().enumerate() {
            let mut load = self.p.fixed[d];
            for &u in &parts[j] {
                self.assign[u as usize] = d as u32;
                load += self.p.weight[u as usize];
            }
            self.members[d] = parts[j].clone();
            self.loads[d] = load;
        }
        let after = self.plan_key();
        let eps = 1e-9 * (1.0 + before.max_dev);
        if self.fenced(&saved)
            && (after.lower(&before) || (walk && after.max_dev <= before.max_dev + eps))
        {
            self.stats[2] += 1;
            return self.changed(&saved);
        }
        for (d, members, load) in saved {
            self.restore(d, members, load);
        }
        false
    }

    /// A connected cluster of districts around `w`, grown by adjacent
    /// districts that bring its mean load towards the target (sometimes a
    /// random one, so that steps differ).
    fn cluster(&self, w: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut ds = vec![w];
        let mut sum = self.loads[w];
        let max = MAX_CLUSTER.min(self.loads.len());
        let near = self.p.aim_tol * self.target * 0.5;
        while ds.len() < max {
            let m = ds.len() as f64;
            let excess = sum - m * self.target;
            if ds.len() >= 2 && excess.abs() <= m * near && rng.random::<f64>() < 0.6 {
                break;
            }
            let mut nb: Vec<usize> = Vec::new();
            for &d in &ds {
                for e in self.neighbours(d) {
                    if !ds.contains(&e) && !nb.contains(&e) {
                        nb.push(e);
                    }
                }
            }
            if nb.is_empty() {
                break;
            }
            let pick = if rng.random::<f64>() < 0.6 {
                let off = |e: usize| (excess + self.loads[e] - self.target).abs();
                nb.iter()
                    .copied()
                    .min_by(|&a, &b| off(a).total_cmp(&off(b)).then(a.cmp(&b)))
                    .unwrap_or(nb[0])
            } else {
                nb[rng.random_range(0..nb.len())]
            };
            ds.push(pick);
            sum += self.loads[pick];
        }
        ds
    }

    /// The band (absolute load from the target) every part must be within:
    /// the aim band, the tolerance, or a little under the plan's worst
    /// deviation `worst` — never tighter than the cluster's own mean allows.
    fn bound(&self, ds: &[usize], worst: f64, rng: &mut ChaCha8Rng) -> f64 {
        let t = self.target;
        let tol = self.p.tol * t;
        let roll = rng.random::<f64>();
        let b = if roll < 0.3 {
            self.p.aim_tol * t
        } else if roll < 0.65 || worst <= tol {
            tol
        } else {
            worst * rng.random_range(0.85..0.999)
        };
        let m = ds.len() as f64;
        let sum: f64 = ds.iter().map(|&d| self.loads[d]).sum();
        let mean_off = (sum / m - t).abs();
        b.max(mean_off * 1.02).max(1e-9 * (1.0 + t))
    }

    /// Splits the union of districts `ds` into `ds.len()` connected parts
    /// each within `bound` of the target; part `j` goes to `ds[j]`.
    fn split(&mut self, ds: &[usize], bound: f64, rng: &mut ChaCha8Rng) -> Option<Vec<Vec<u32>>> {
        let m = ds.len();
        let mut rest: Vec<u32> = ds
            .iter()
            .flat_map(|&d| self.members[d].iter().copied())
            .collect();
        let mut parts = vec![Vec::new(); m];
        let mut open: Vec<usize> = (0..m).collect();
        while open.len() > 1 {
            let (j, part) =
                (0..CUT_TREES).find_map(|_| self.cut_one(&rest, ds, &open, bound, rng))?;
            for &u in &part {
                self.pos[u as usize] = 0;
            }
            rest.retain(|&u| self.pos[u as usize] != 0);
            for &u in &part {
                self.pos[u as usize] = u32::MAX;
            }
            parts[j] = part;
            open.retain(|&x| x != j);
        }
        let j = open[0];
        let d = ds[j];
        let load = self.p.fixed[d] + rest.iter().map(|&u| self.p.weight[u as usize]).sum::<f64>();
        let frozen_elsewhere = rest.iter().any(|&u| {
            let u = u as usize;
            !self.p.movable[u] && self.p.home[u] != NONE && self.assign[u] != d as u32
        });
        if (load - self.target).abs() > bound || frozen_elsewhere {
            return None;
        }
        parts[j] = rest;
        Some(parts)
    }

    /// Draws a spanning tree of `rest` and cuts off one part for one of
    /// the `open` label positions: within `bound` of the target, leaving a
    /// remainder whose mean can be, and moving the least load from its
    /// current district. `None` when no edge of this tree does.
    fn cut_one(
        &mut self,
        rest: &[u32],
        ds: &[usize],
        open: &[usize],
        bound: f64,
        rng: &mut ChaCha8Rng,
    ) -> Option<Part> {
        for (i, &u) in rest.iter().enumerate() {
            self.pos[u as usize] = i as u32;
        }
        let keep = rng.random::<bool>();
        let tree = self.spanning_tree(rest, rng, keep);
        for &u in rest {
            self.pos[u as usize] = u32::MAX;
        }
        let adj = tree?;
        let t = TreeSums::new(self, rest, &adj, ds);
        let m = ds.len();
        let rest_fixed: f64 = open.iter().map(|&j| self.p.fixed[ds[j]]).sum();
        let others = (open.len() - 1) as f64;
        let target = self.target;
        // Half of the time any feasible cut (as GerryChain does: the
        // least-moving one may leave a remainder that cannot be split).
        let any = rng.random::<bool>();
        let mut feasible = 0u32;
        // (moved, deviation) of the best cut, its node and orientation, label.
        let mut best: Option<((f64, f64), usize, bool, usize)> = None;
        for &x in t.order.iter().skip(1) {
            let x = x as usize;
            for sub in [true, false] {
                let l = if sub { t.w[x] } else { t.w[0] - t.w[x] };
                for &j in open {
                    let d = ds[j];
                    let load = self.p.fixed[d] + l;
                    if (load - target).abs() > bound {
                        continue;
                    }
                    let r = t.w[0] - l + rest_fixed - self.p.fixed[d];
                    if (r - others * target).abs() > others * bound {
                        continue;
                    }
                    let (own, frozen_other, frozen_j_left) = t.part_stats(x, sub, j, m);
                    if frozen_other > 0 || frozen_j_left > 0 {
                        continue;
                    }
                    let key = (l - own, (load - target).abs());
                    feasible += 1;
                    let take = if any {
                        // Reservoir sampling: a uniform feasible cut.
                        rng.random_range(0..feasible) == 0
                    } else {
                        best.is_none_or(|(k, ..)| {
                            key.0 < k.0 - 1e-9 || (key.0 <= k.0 + 1e-9 && key.1 < k.1)
                        })
                    };
                    if take {
                        best = Some((key, x, sub, j));
                    }
                }
            }
        }
        let (_, x, sub, j) = best?;
        let inside = t.subtree(x);
        let part = rest
            .iter()
            .enumerate()
            .filter(|&(i, _)| inside[i] == sub)
            .map(|(_, &u)| u)
            .collect();
        Some((j, part))
    }
}

/// Subtree sums of a spanning tree rooted at node 0: load, load per
/// current label, and frozen units (that must keep their label) per label.
struct TreeSums {
    order: Vec<u32>,
    parent: Vec<u32>,
    w: Vec<f64>,
    /// `own[x * m + j]`: load in the subtree of `x` now in label `j`.
    own: Vec<f64>,
    /// `frozen[x * m + j]`: units in the subtree of `x` frozen in label `j`.
    frozen: Vec<u32>,
}

impl TreeSums {
    fn new(r: &Recom, nodes: &[u32], adj: &[Vec<u32>], ds: &[usize]) -> Self {
        let n = nodes.len();
        let m = ds.len();
        let (order, parent) = super::bfs_tree(adj);
        let mut w = vec![0.0; n];
        let mut own = vec![0.0; n * m];
        let mut frozen = vec![0u32; n * m];
        for (x, &u) in nodes.iter().enumerate() {
            let u = u as usize;
            w[x] = r.p.weight[u];
            let cur = r.assign[u];
            if let Some(j) = ds.iter().position(|&d| d as u32 == cur) {
                own[x * m + j] = w[x];
                if !r.p.movable[u] && r.p.home[u] != NONE {
                    frozen[x * m + j] = 1;
                }
            }
        }
        for &x in order.iter().skip(1).rev() {
            let x = x as usize;
            let up = parent[x] as usize;
            w[up] += w[x];
            for j in 0..m {
                own[up * m + j] += own[x * m + j];
                frozen[up * m + j] += frozen[x * m + j];
            }
        }
        Self {
            order,
            parent,
            w,
            own,
            frozen,
        }
    }

    /// For the part below `x` (`sub`) or above it: load now in label `j`,
    /// frozen units of other labels inside it, frozen units of `j` outside.
    fn part_stats(&self, x: usize, sub: bool, j: usize, m: usize) -> (f64, u32, u32) {
        let own_sub = self.own[x * m + j];
        let own = if sub { own_sub } else { self.own[j] - own_sub };
        let mut frozen_in = 0;
        for i in 0..m {
            let f_sub = self.frozen[x * m + i];
            let f = if sub { f_sub } else { self.frozen[i] - f_sub };
            if i == j {
                frozen_in = self.frozen[j] - f;
            } else if f > 0 {
                return (own, f, 0);
            }
        }
        (own, 0, frozen_in)
    }

    /// Marks the nodes in the subtree of `x`.
    fn subtree(&self, x: usize) -> Vec<bool> {
        let mut inside = vec![false; self.w.len()];
        inside[x] = true;
        for &y in &self.order {
            let y = y as usize;
            if y != x && y != 0 && inside[self.parent[y] as usize] {
                inside[y] = true;
            }
        }
        inside
    }
}
