//! No-contiguity lower bounds, the yardstick of `bench-balance`: with
//! indivisible units but no contiguity (any unit may join any district),
//! how small can the largest deviation from the mean be, and how little
//! load must move from a current plan to bring every district within the
//! tolerance? A contiguous plan can never do better than either, so the
//! gap between a result and the bound is an upper limit on what is left
//! to gain.
//!
//! The largest deviation comes from an exact branch-and-bound over unit
//! loads (multiway number partitioning: the heaviest units first, each
//! into one of the districts, districts of equal load tried once, cut off
//! when a district is over the incumbent's upper limit or the units left
//! cannot lift the lightest ones to its lower limit). A node budget keeps
//! it bounded: when it runs out, the bound falls back to the proven root
//! bound and says so.

/// The smallest largest deviation without contiguity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviationBound {
    /// A proven lower bound on the largest deviation (fraction of the
    /// mean): no plan of these units does better.
    pub lower: f64,
    /// The best split found (fraction of the mean): an upper bound on the
    /// no-contiguity optimum; equal to `lower` when `exact`.
    pub upper: f64,
    /// The search finished: `upper` is the optimum, `lower` = `upper`.
    pub exact: bool,
}

/// The no-contiguity optimum of the largest deviation from the mean when
/// `loads` (one per unit, ≥ 0) are split into `k` districts, by exact
/// branch-and-bound within `node_budget` search nodes.
pub fn min_max_deviation(loads: &[f64], k: usize, node_budget: u64) -> DeviationBound {
    let total: f64 = loads.iter().sum();
    if k == 0 || total <= 0.0 {
        return DeviationBound {
            lower: 0.0,
            upper: 0.0,
            exact: true,
        };
    }
    let mean = total / k as f64;
    let mut items: Vec<f64> = loads.iter().copied().filter(|&w| w > 0.0).collect();
    items.sort_by(|a, b| b.total_cmp(a));
    // Root bound: a unit heavier than the mean leaves its district that
    // far above it; fewer loaded units than districts leave one empty.
    let heavy = items.first().map_or(0.0, |&w| (w - mean).max(0.0));
    let empty = if items.len() < k { mean } else { 0.0 };
    let root = heavy.max(empty);
    let mut s = Search {
        suffix: suffix_sums(&items),
        items,
        mean,
        bins: vec![0.0; k],
        best: f64::INFINITY,
        nodes: 0,
        budget: node_budget,
        root,
    };
    s.best = s.greedy();
    let finished = s.best <= root + 1e-12 * mean || s.descend(0);
    let upper = s.best / mean;
    DeviationBound {
        lower: if finished { upper } else { root / mean },
        upper,
        exact: finished,
    }
}

fn suffix_sums(items: &[f64]) -> Vec<f64> {
    let mut suffix = vec![0.0; items.len() + 1];
    for i in (0..items.len()).rev() {
        suffix[i] = suffix[i + 1] + items[i];
    }
    suffix
}

struct Search {
    items: Vec<f64>,
    suffix: Vec<f64>,
    mean: f64,
    bins: Vec<f64>,
    /// Largest deviation (absolute) of the best split so far.
    best: f64,
    nodes: u64,
    budget: u64,
    root: f64,
}

impl Search {
    /// Largest-first into the lightest district (LPT): the first incumbent.
    fn greedy(&self) -> f64 {
        let mut bins = vec![0.0_f64; self.bins.len()];
        for &w in &self.items {
            if let Some(b) = bins.iter_mut().min_by(|a, b| a.total_cmp(b)) {
                *b += w;
            }
        }
        self.deviation(&bins)
    }

    fn deviation(&self, bins: &[f64]) -> f64 {
        bins.iter()
            .map(|b| (b - self.mean).abs())
            .fold(0.0, f64::max)
    }

    /// Tries every district for item `i`; false when the node budget ran
    /// out (the search is then not complete).
    fn descend(&mut self, i: usize) -> bool {
        self.nodes += 1;
        if self.nodes > self.budget {
            return false;
        }
        if i == self.items.len() {
            let dev = self.deviation(&self.bins);
            if dev < self.best {
                self.best = dev;
            }
            return true;
        }
        // A better split needs every district within (mean ± best).
        let hi = self.mean + self.best;
        let lo = self.mean - self.best;
        let short: f64 = self.bins.iter().map(|b| (lo - b).max(0.0)).sum();
        if short > self.suffix[i] + 1e-9 * self.mean {
            return true;
        }
        let w = self.items[i];
        for b in 0..self.bins.len() {
            let load = self.bins[b];
            // Districts of equal load are interchangeable: try one.
            if self.bins[..b].contains(&load) {
                continue;
            }
            if load + w >= hi - 1e-12 * self.mean {
                continue;
            }
            self.bins[b] += w;
            let done = self.descend(i + 1);
            self.bins[b] = load;
            if !done {
                return false;
            }
            if self.best <= self.root + 1e-12 * self.mean {
                return true;
            }
        }
        true
    }
}

/// A lower bound on the load that must move from the current plan so
/// that every district is within ±`tol` (fraction) of the mean, contiguity
/// aside: districts above the band must shed their excess and those below
/// must gain their shortfall, and each moved unit does both at most once.
/// `loads` per district; `None` when some district holds a unit heavier
/// than the upper limit (no plan meets the tolerance).
pub fn min_moved(loads: &[f64], heaviest_unit: f64, tol: f64) -> Option<f64> {
    let k = loads.len();
    if k == 0 {
        return Some(0.0);
    }
    let mean = loads.iter().sum::<f64>() / k as f64;
    let (hi, lo) = (mean * (1.0 + tol), mean * (1.0 - tol));
    if heaviest_unit > hi + 1e-9 * mean {
        return None;
    }
    let excess: f64 = loads.iter().map(|l| (l - hi).max(0.0)).sum();
    let shortfall: f64 = loads.iter().map(|l| (lo - l).max(0.0)).sum();
    Some(excess.max(shortfall))
}

/// Search nodes of one subset-sum search in [`min_moved_units`].
const SUBSET_NODES: u64 = 2_000_000;

/// A tighter lower bound on the load that must move, from the units each
/// district holds now (`units[d]`: the loads of district `d`'s units): a
/// district above the band can only shed whole units of its own, so it
/// moves at least the lightest set of its units that covers its excess;
/// a district below gains at least the lightest set of the others' units
/// that covers its shortfall. The larger of the two sums (a moved unit may
/// do both). `None` as [`min_moved`] when a unit is heavier than the band.
pub fn min_moved_units(units: &[Vec<f64>], tol: f64) -> Option<f64> {
    let k = units.len();
    if k == 0 {
        return Some(0.0);
    }
    let loads: Vec<f64> = units.iter().map(|u| u.iter().sum()).collect();
    let mean = loads.iter().sum::<f64>() / k as f64;
    let (hi, lo) = (mean * (1.0 + tol), mean * (1.0 - tol));
    if units.iter().flatten().any(|&w| w > hi + 1e-9 * mean) {
        return None;
    }
    let mut shed = 0.0;
    let mut gain = 0.0;
    for d in 0..k {
        if loads[d] > hi {
            shed += least_cover(&units[d], loads[d] - hi);
        } else if loads[d] < lo {
            let others: Vec<f64> = (0..k)
                .filter(|&e| e != d)
                .flat_map(|e| units[e].iter().copied())
                .collect();
            gain += least_cover(&others, lo - loads[d]);
        }
    }
    Some(shed.max(gain))
}

/// The smallest sum of a subset of `items` (each ≥ 0) that is at least
/// `x`, by branch-and-bound (heaviest first); `x` itself, still a lower
/// bound, when the node budget runs out or nothing covers it.
fn least_cover(items: &[f64], x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut items: Vec<f64> = items.iter().copied().filter(|&w| w > 0.0).collect();
    items.sort_by(|a, b| b.total_cmp(a));
    let suffix = suffix_sums(&items);
    if suffix[0] < x {
        return x;
    }
    struct Cover<'a> {
        items: &'a [f64],
        suffix: &'a [f64],
        x: f64,
        best: f64,
        nodes: u64,
    }
    impl Cover<'_> {
        /// False when the node budget ran out.
        fn go(&mut self, i: usize, sum: f64) -> bool {
            self.nodes += 1;
            if self.nodes > SUBSET_NODES {
                return false;
            }
            if sum >= self.x {
                self.best = self.best.min(sum);
                return true;
            }
            if i == self.items.len() || sum + self.suffix[i] < self.x || sum >= self.best {
                return true;
            }
            // With item i, then without it.
            if sum + self.items[i] < self.best && !self.go(i + 1, sum + self.items[i]) {
                return false;
            }
            self.go(i + 1, sum)
        }
    }
    let mut c = Cover {
        items: &items,
        suffix: &suffix,
        x,
        best: suffix[0],
        nodes: 0,
    };
    if c.go(0, 0.0) { c.best } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every assignment of the units to k districts (k^n of them).
    fn brute_force(loads: &[f64], k: usize) -> f64 {
        let n = loads.len();
        let mean = loads.iter().sum::<f64>() / k as f64;
        let mut best = f64::INFINITY;
        let mut code = vec![0usize; n];
        loop {
            let mut bins = vec![0.0; k];
            for (i, &d) in code.iter().enumerate() {
                bins[d] += loads[i];
            }
            let dev = bins.iter().map(|b| (b - mean).abs()).fold(0.0, f64::max);
            best = best.min(dev / mean);
            let mut i = 0;
            while i < n {
                code[i] += 1;
                if code[i] < k {
                    break;
                }
                code[i] = 0;
                i += 1;
            }
            if i == n {
                return best;
            }
        }
    }

    #[test]
    fn the_bound_is_the_brute_force_optimum_on_tiny_instances() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        for case in 0..60 {
            let n = 3 + case % 7;
            let k = 2 + case % 3;
            let loads: Vec<f64> = (0..n)
                .map(|_| {
                    // Now and then a unit heavier than the mean.
                    let w: f64 = rng.random_range(1.0..100.0);
                    if rng.random::<f64>() < 0.1 {
                        w * 5.0
                    } else {
                        w
                    }
                })
                .collect();
            let b = min_max_deviation(&loads, k, 10_000_000);
            let exact = brute_force(&loads, k);
            assert!(b.exact, "case {case}: search not finished");
            assert!(
                (b.lower - exact).abs() < 1e-9 && (b.upper - exact).abs() < 1e-9,
                "case {case} {loads:?} k={k}: bound {b:?}, brute force {exact}"
            );
        }
    }

    #[test]
    fn an_unfinished_search_still_gives_a_valid_bound() {
        let loads: Vec<f64> = (1..=40).map(|i| f64::from(i * i % 97 + 3)).collect();
        let b = min_max_deviation(&loads, 6, 50);
        assert!(!b.exact);
        assert!(b.lower <= b.upper);
        // The root bound: no unit is heavier than the mean here.
        assert_eq!(b.lower, 0.0);
    }

    #[test]
    fn a_heavy_unit_bounds_the_deviation() {
        let b = min_max_deviation(&[10.0, 1.0, 1.0, 1.0, 1.0], 2, 1000);
        // Mean 7: the 10 alone is 3/7 above it.
        assert!((b.lower - 3.0 / 7.0).abs() < 1e-12 && b.exact);
    }

    #[test]
    fn moved_is_the_larger_of_excess_and_shortfall() {
        // Mean 100, ±10%: 130 sheds ≥ 20, 85 gains ≥ 5, 85 gains ≥ 5.
        let m = min_moved(&[130.0, 100.0, 85.0, 85.0], 10.0, 0.1).unwrap();
        assert!((m - 20.0).abs() < 1e-9, "{m}");
        assert_eq!(min_moved(&[130.0, 70.0], 120.0, 0.1), None);
        assert_eq!(min_moved(&[100.0, 100.0], 10.0, 0.05), Some(0.0));
    }

    /// The least load moved by any plan that brings every district within
    /// the band, contiguity aside (brute force over all assignments).
    fn brute_moved(units: &[Vec<f64>], tol: f64) -> Option<f64> {
        let k = units.len();
        let items: Vec<(usize, f64)> = units
            .iter()
            .enumerate()
            .flat_map(|(d, u)| u.iter().map(move |&w| (d, w)))
            .collect();
        let mean = items.iter().map(|x| x.1).sum::<f64>() / k as f64;
        let (hi, lo) = (mean * (1.0 + tol), mean * (1.0 - tol));
        let mut code = vec![0usize; items.len()];
        let mut best: Option<f64> = None;
        loop {
            let mut bins = vec![0.0; k];
            let mut moved = 0.0;
            for (i, &d) in code.iter().enumerate() {
                bins[d] += items[i].1;
                if d != items[i].0 {
                    moved += items[i].1;
                }
            }
            if bins.iter().all(|&b| b <= hi + 1e-9 && b >= lo - 1e-9) {
                best = Some(best.map_or(moved, |b: f64| b.min(moved)));
            }
            let mut i = 0;
            while i < code.len() {
                code[i] += 1;
                if code[i] < k {
                    break;
                }
                code[i] = 0;
                i += 1;
            }
            if i == code.len() {
                return best;
            }
        }
    }

    #[test]
    fn the_unit_bound_is_valid_and_at_least_the_load_bound() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        let mut tighter = 0;
        for case in 0..80 {
            let k = 2 + case % 2;
            let units: Vec<Vec<f64>> = (0..k)
                .map(|_| {
                    (0..2 + rng.random_range(0..3))
                        .map(|_| rng.random_range(1.0..30.0))
                        .collect()
                })
                .collect();
            let tol = 0.1;
            let loads: Vec<f64> = units.iter().map(|u| u.iter().sum()).collect();
            let heaviest = units.iter().flatten().copied().fold(0.0, f64::max);
            let (Some(b), Some(old)) = (
                min_moved_units(&units, tol),
                min_moved(&loads, heaviest, tol),
            ) else {
                continue;
            };
            assert!(b >= old - 1e-9, "case {case}: {b} < {old}");
            if let Some(exact) = brute_moved(&units, tol) {
                assert!(
                    b <= exact + 1e-9,
                    "case {case} {units:?}: bound {b} > optimum {exact}"
                );
            }
            if b > old + 1e-9 {
                tighter += 1;
            }
        }
        assert!(tighter > 10, "only {tighter} cases tighter");
    }

    #[test]
    fn a_district_sheds_whole_units() {
        // Mean 100, ±10%: the 130 must shed at least its 25 (not just 20).
        let units = vec![
            vec![25.0, 55.0, 50.0],
            vec![35.0, 35.0],
            vec![35.0, 35.0, 30.0],
        ];
        let m = min_moved_units(&units, 0.1).unwrap();
        assert!((m - 25.0).abs() < 1e-9, "{m}");
        assert_eq!(least_cover(&[3.0, 5.0, 9.0], 7.5), 8.0);
        assert_eq!(least_cover(&[3.0], 7.5), 7.5);
    }
}
