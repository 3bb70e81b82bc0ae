//! The load-centre fence of a rebalance: each district's load centre (its
//! units' load-weighted mean position) stays within its
//! `Problem::max_shift_km` of where the plan as it is has it, so a territory keeps its place on the
//! map (a rep keeps their region) unless the planner allows more. A move is
//! allowed when it leaves both districts it changes inside the fence, or at
//! least no farther outside than before (a district already outside may
//! only come back). Units heavier than the tolerance band do not count,
//! and a district holding one is free: such a unit gets a territory to
//! itself wherever K allows, and that territory goes where the unit is.

use super::{NONE, Problem};

/// Per district: home centre and the running sums of the assignment.
#[derive(Clone, Debug)]
pub struct Fence {
    /// Home load centre of each district (`None`: no load at home, free).
    home: Vec<Option<(f64, f64)>>,
    /// Σ w·x, Σ w·y, Σ w of each district's units now.
    sums: Vec<(f64, f64, f64)>,
    /// Per district (empty: no fence).
    limit: Vec<f64>,
    /// Units above this load do not count (the band's upper limit).
    heavy: f64,
    /// Heavy units each district holds now (one or more: free).
    heavy_in: Vec<u32>,
}

/// Heavy units per district of `assign`.
fn heavy_counts(p: &Problem, assign: &[u32], heavy: f64) -> Vec<u32> {
    let mut n = vec![0; p.k()];
    for (u, &d) in assign.iter().enumerate() {
        if p.weight[u] > heavy
            && let Some(x) = n.get_mut(d as usize)
        {
            *x += 1;
        }
    }
    n
}

/// The load a unit counts with in a centre (0 above `heavy`).
fn counted(p: &Problem, u: usize, heavy: f64) -> f64 {
    let w = p.weight[u].max(0.0);
    if w > heavy { 0.0 } else { w }
}

/// The band's upper limit: heavier units do not count in centres.
fn heavy_limit(p: &Problem) -> f64 {
    p.target() * (1.0 + p.tol) + 1e-9
}

/// Σ w·x, Σ w·y, Σ w per district of `assign`.
fn sums_of(p: &Problem, assign: &[u32], heavy: f64) -> Vec<(f64, f64, f64)> {
    let mut s = vec![(0.0, 0.0, 0.0); p.k()];
    for (u, &d) in assign.iter().enumerate() {
        if let Some(x) = s.get_mut(d as usize) {
            let (w, (ux, uy)) = (counted(p, u, heavy), p.xy[u]);
            *x = (x.0 + w * ux, x.1 + w * uy, x.2 + w);
        }
    }
    s
}

fn centre((x, y, w): (f64, f64, f64)) -> Option<(f64, f64)> {
    (w > 0.0).then(|| (x / w, y / w))
}

/// Districts whose load centre in `assign` is past their limit.
pub fn past_limit(p: &Problem, assign: &[u32]) -> usize {
    if p.max_shift_km.is_empty() {
        return 0;
    }
    centre_shifts(p, assign)
        .iter()
        .zip(&p.max_shift_km)
        .filter(|&(&s, &l)| s > l + 1e-6)
        .count()
}

/// How far each district's load centre in `assign` is from its home one,
/// km (0 for a district without load at home or now, or holding a heavy
/// unit).
pub fn centre_shifts(p: &Problem, assign: &[u32]) -> Vec<f64> {
    let heavy = heavy_limit(p);
    let home = sums_of(p, &p.home, heavy);
    let now = sums_of(p, assign, heavy);
    let held = heavy_counts(p, assign, heavy);
    home.iter()
        .zip(&now)
        .zip(&held)
        .map(|((&h, &n), &held)| match (centre(h), centre(n)) {
            (Some(a), Some(b)) if held == 0 => (a.0 - b.0).hypot(a.1 - b.1),
            _ => 0.0,
        })
        .collect()
}

/// District centres `means` each moved to the nearest point within the
/// limit of its home centre (location–allocation's centres stay home).
pub fn clip(p: &Problem, mut means: Vec<(f64, f64)>, assign: &[u32]) -> Vec<(f64, f64)> {
    if p.max_shift_km.is_empty() {
        return means;
    }
    let heavy = heavy_limit(p);
    let home = sums_of(p, &p.home, heavy);
    let held = heavy_counts(p, assign, heavy);
    for (((m, &h), &held), &limit) in means.iter_mut().zip(&home).zip(&held).zip(&p.max_shift_km) {
        let Some(h) = centre(h).filter(|_| held == 0) else {
            continue;
        };
        let off = (m.0 - h.0).hypot(m.1 - h.1);
        if off > limit {
            let f = limit / off;
            *m = (h.0 + f * (m.0 - h.0), h.1 + f * (m.1 - h.1));
        }
    }
    means
}

impl Fence {
    /// The fence of `p` around the assignment `assign`.
    pub fn new(p: &Problem, assign: &[u32]) -> Self {
        if p.max_shift_km.is_empty() {
            return Self {
                home: Vec::new(),
                sums: Vec::new(),
                limit: Vec::new(),
                heavy: f64::INFINITY,
                heavy_in: Vec::new(),
            };
        }
        let heavy = heavy_limit(p);
        Self {
            home: sums_of(p, &p.home, heavy).into_iter().map(centre).collect(),
            sums: sums_of(p, assign, heavy),
            limit: p.max_shift_km.clone(),
            heavy,
            heavy_in: heavy_counts(p, assign, heavy),
        }
    }

    fn active(&self) -> bool {
        !self.limit.is_empty()
    }

    fn limit(&self, d: usize) -> f64 {
        self.limit.get(d).copied().unwrap_or(f64::INFINITY)
    }

    /// Distance of district `d`'s centre from home with sums `s`.
    fn off(&self, d: usize, s: (f64, f64, f64)) -> f64 {
        match (self.home.get(d).copied().flatten(), centre(s)) {
            (Some(h), Some(c)) => (h.0 - c.0).hypot(h.1 - c.1),
            _ => 0.0,
        }
    }

    /// Whether district `d` may go from sums `before` to `after`: inside
    /// its limit, or no farther out than it was.
    fn keeps_sums(&self, d: usize, before: (f64, f64, f64), after: (f64, f64, f64)) -> bool {
        let off = self.off(d, after);
        off <= self.limit(d) || off <= self.off(d, before) + 1e-9
    }

    /// Whether district `d` may take `sign` × (unit `u`'s load) at `u`.
    fn keeps(&self, p: &Problem, d: u32, u: usize, sign: f64) -> bool {
        let Some(&s) = self.sums.get(d as usize) else {
            return true;
        };
        if self.heavy_in[d as usize] > 0 {
            return true;
        }
        let w = sign * counted(p, u, self.heavy);
        let (x, y) = p.xy[u];
        let t = (s.0 + w * x, s.1 + w * y, s.2 + w);
        self.keeps_sums(d as usize, s, t)
    }

    /// True when moving unit `u` from `a` to `b` keeps the fence.
    pub fn allows(&self, p: &Problem, u: usize, a: u32, b: u32) -> bool {
        !self.active()
            || counted(p, u, self.heavy) <= 0.0
            || (self.keeps(p, a, u, -1.0) && self.keeps(p, b, u, 1.0))
    }

    /// Records the move of unit `u` from `a` to `b`.
    pub fn apply(&mut self, p: &Problem, u: usize, a: u32, b: u32) {
        if !self.active() {
            return;
        }
        let w = counted(p, u, self.heavy);
        let is_heavy = p.weight[u] > self.heavy;
        let (x, y) = p.xy[u];
        for (d, sign) in [(a, -1.0), (b, 1.0)] {
            if d == NONE {
                continue;
            }
            if let Some(s) = self.sums.get_mut(d as usize) {
                *s = (s.0 + sign * w * x, s.1 + sign * w * y, s.2 + sign * w);
            }
            if is_heavy && let Some(n) = self.heavy_in.get_mut(d as usize) {
                *n = if sign > 0.0 {
                    *n + 1
                } else {
                    n.saturating_sub(1)
                };
            }
        }
    }

    /// Whether district `d` may hold the units `new` instead of `old`.
    pub fn allows_members(&self, p: &Problem, d: usize, old: &[u32], new: &[u32]) -> bool {
        if !self.active() || new.iter().any(|&u| p.weight[u as usize] > self.heavy) {
            return true;
        }
        let sum = |members: &[u32]| {
            members.iter().fold((0.0, 0.0, 0.0), |t, &u| {
                let (w, (x, y)) = (counted(p, u as usize, self.heavy), p.xy[u as usize]);
                (t.0 + w * x, t.1 + w * y, t.2 + w)
            })
        };
        self.keeps_sums(d, sum(old), sum(new))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_problem;
    use super::*;
    use crate::core::units::UnitSet;

    /// Any units: the fence reads only the problem's positions.
    fn strip() -> UnitSet {
        UnitSet::hex_grid(8.0, [-100.0, 40.0, -99.0, 40.3]).unwrap()
    }

    /// Six units on a line 10 km apart, two districts of three.
    fn on_a_line(units: &UnitSet, home: Vec<u32>) -> Problem<'_> {
        let mut p = test_problem(units, vec![1.0; 6], home, 2, 0.05);
        p.xy = (0..6).map(|i| (10.0 * i as f64, 0.0)).collect();
        p
    }

    #[test]
    fn a_move_that_drags_a_centre_past_the_limit_is_refused_and_one_back_is_not() {
        let units = strip();
        let home = vec![0, 0, 0, 1, 1, 1];
        let mut p = on_a_line(&units, home.clone());
        let step = 10.0;
        // Giving unit 2 to district 1 moves both centres half a step.
        p.max_shift_km = vec![0.3 * step; 2];
        let fence = Fence::new(&p, &home);
        assert!(
            !fence.allows(&p, 2, 0, 1),
            "0's centre would move 0.5 steps"
        );
        p.max_shift_km = vec![0.6 * step; 2];
        let mut fence = Fence::new(&p, &home);
        assert!(fence.allows(&p, 2, 0, 1));
        let mut now = home.clone();
        now[2] = 1;
        fence.apply(&p, 2, 0, 1);
        // Then unit 1 too: 0 would be one step off; unit 2 back is fine.
        assert!(!fence.allows(&p, 1, 0, 1));
        assert!(fence.allows(&p, 2, 1, 0));
        let shifts = centre_shifts(&p, &now);
        assert!((shifts[0] - 0.5 * step).abs() < 1e-9, "{shifts:?}");
        assert!((shifts[1] - 0.5 * step).abs() < 1e-9, "{shifts:?}");
        // No limit: anything goes.
        p.max_shift_km = Vec::new();
        assert!(Fence::new(&p, &now).allows(&p, 1, 0, 1));
    }

    #[test]
    fn a_district_outside_the_fence_may_only_come_back() {
        let units = strip();
        let home = vec![0, 0, 0, 1, 1, 1];
        let mut p = on_a_line(&units, home);
        let step = 10.0;
        p.max_shift_km = vec![0.1 * step; 2];
        let now = vec![0, 0, 1, 1, 1, 1];
        let fence = Fence::new(&p, &now);
        assert!(fence.allows(&p, 2, 1, 0), "back towards home");
        assert!(!fence.allows(&p, 1, 0, 1), "farther out");
        assert!(fence.allows_members(&p, 0, &[0, 1], &[0, 1, 2]));
        assert!(!fence.allows_members(&p, 0, &[0, 1], &[0]));
    }

    #[test]
    fn a_unit_heavier_than_the_band_moves_freely_and_does_not_count() {
        let units = strip();
        let home = vec![0, 0, 0, 1, 1, 1];
        let mut p = on_a_line(&units, home.clone());
        // Target 7.5, band up to 7.875: unit 0 alone is over it.
        p.weight[0] = 10.0;
        p.max_shift_km = vec![1.0; 2];
        let fence = Fence::new(&p, &home);
        assert!(fence.allows(&p, 0, 0, 1));
        assert!(!fence.allows(&p, 2, 0, 1), "a light unit is still held");
        let mut now = home;
        now[0] = 1;
        assert!(centre_shifts(&p, &now).iter().all(|&s| s < 1e-9));
        // The district holding it is free; the other is still held.
        assert!(!Fence::new(&p, &p.home).keeps(&p, 1, 3, -1.0));
        let mut fence = Fence::new(&p, &now);
        assert!(fence.keeps(&p, 1, 3, -1.0), "1 holds the heavy unit");
        assert!(!fence.keeps(&p, 0, 2, -1.0));
        fence.apply(&p, 0, 1, 0);
        assert!(fence.keeps(&p, 0, 2, -1.0), "0 holds it now");
        assert!(!fence.keeps(&p, 1, 3, -1.0));
    }
}
