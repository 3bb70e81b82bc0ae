//! Maximum-weight matching of result districts to old territories, so a
//! territory keeps the district that overlaps it most (no two territories
//! swap places) — the Hungarian method (Kuhn 1955, Munkres 1957) in its
//! O(n³) shortest-augmenting-path form.

use super::solver::{NONE, Problem};

/// Largest table solved exactly; beyond, greedy from the largest overlap
/// (the O(n³) method would take seconds; with a disruption cost the
/// overlap is nearly diagonal and greedy finds the same).
const EXACT_MAX: usize = 400;

/// Relabels the districts of `assign` (and their `centers`) so that each
/// keeps the home district it overlaps most by load: a maximum-weight
/// matching of result districts to home districts. `split` is per unit its
/// load by current district (empty: all of `p.weight` at `p.home`). True if
/// any changed.
pub fn keep_identity(
    p: &Problem,
    split: &[Vec<(u32, f64)>],
    assign: &mut [u32],
    centers: &mut [usize],
) -> bool {
    let k = centers.len();
    let mut o = Overlap::new(k, k);
    for (u, &d) in assign.iter().enumerate() {
        if d == NONE {
            continue;
        }
        match split.get(u) {
            Some(s) if !s.is_empty() => {
                for &(h, l) in s {
                    if h != NONE {
                        o.add(d as usize, h as usize, l + 1e-9);
                    }
                }
            }
            _ if p.home[u] != NONE => o.add(d as usize, p.home[u] as usize, p.weight[u] + 1e-9),
            _ => {}
        }
    }
    let m = max_weight(&o);
    // Unmatched districts take the unmatched labels in order.
    let mut used = vec![false; k];
    for &c in m.iter().flatten() {
        used[c] = true;
    }
    let mut free = (0..k).filter(|&c| !used[c]);
    let label: Vec<usize> = m
        .iter()
        .enumerate()
        .map(|(d, c)| c.unwrap_or_else(|| free.next().unwrap_or(d)))
        .collect();
    if label.iter().enumerate().all(|(d, &l)| d == l) {
        return false;
    }
    for a in assign.iter_mut() {
        if *a != NONE {
            *a = label[*a as usize] as u32;
        }
    }
    let old = centers.to_vec();
    for (d, &c) in old.iter().enumerate() {
        centers[label[d]] = c;
    }
    true
}

/// Rows × columns overlap weights (≥ 0), row-major.
pub struct Overlap {
    /// Number of rows (result districts).
    pub rows: usize,
    /// Number of columns (old territories).
    pub cols: usize,
    /// `w[r * cols + c]`.
    pub w: Vec<f64>,
}

impl Overlap {
    /// An all-zero table.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            w: vec![0.0; rows * cols],
        }
    }

    /// Adds `x` to cell (`r`, `c`); out-of-range cells are ignored.
    pub fn add(&mut self, r: usize, c: usize, x: f64) {
        if r < self.rows && c < self.cols {
            self.w[r * self.cols + c] += x;
        }
    }

    /// The weight of cell (`r`, `c`).
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.w[r * self.cols + c]
    }
}

/// The matching of rows to columns with the largest total weight; each row
/// gets at most one column and each column at most one row. Pairs of zero
/// weight are left unmatched (`None`). Deterministic.
pub fn max_weight(o: &Overlap) -> Vec<Option<usize>> {
    let n = o.rows.max(o.cols);
    if n == 0 {
        return Vec::new();
    }
    if n > EXACT_MAX {
        return greedy(o);
    }
    let max = o.w.iter().copied().fold(0.0, f64::max);
    // Square cost matrix (1-based potentials as in the classic
    // formulation): cost = max − weight, padding cells cost `max`.
    let cost = |i: usize, j: usize| {
        if i < o.rows && j < o.cols {
            max - o.get(i, j)
        } else {
            max
        }
    };
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; o.rows];
    for (j, &pj) in p.iter().enumerate().skip(1) {
        let (r, c) = (pj.wrapping_sub(1), j - 1);
        if r < o.rows && c < o.cols && o.get(r, c) > 0.0 {
            out[r] = Some(c);
        }
    }
    out
}

/// Greedy matching from the largest overlap (for big tables).
fn greedy(o: &Overlap) -> Vec<Option<usize>> {
    let mut cells: Vec<(f64, usize, usize)> = (0..o.rows)
        .flat_map(|r| (0..o.cols).map(move |c| (r, c)))
        .map(|(r, c)| (o.get(r, c), r, c))
        .filter(|x| x.0 > 0.0)
        .collect();
    cells.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut out = vec![None; o.rows];
    let mut used = vec![false; o.cols];
    for (_, r, c) in cells {
        if out[r].is_none() && !used[c] {
            out[r] = Some(c);
            used[c] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_total_wins_over_greedy() {
        // Greedy takes (0,0)=10 then (1,1)=1: 11; the best is 9 + 8 = 17.
        let mut o = Overlap::new(2, 2);
        o.add(0, 0, 10.0);
        o.add(0, 1, 9.0);
        o.add(1, 0, 8.0);
        o.add(1, 1, 1.0);
        assert_eq!(max_weight(&o), vec![Some(1), Some(0)]);
    }

    #[test]
    fn rectangular_and_zero_rows_are_unmatched() {
        let mut o = Overlap::new(3, 2);
        o.add(0, 1, 5.0);
        o.add(2, 0, 2.0);
        assert_eq!(max_weight(&o), vec![Some(1), None, Some(0)]);
    }
}
