//! The drive-time cost the solver adds to a unit's distance when
//! balancing by drive time.

/// Per district and unit (solver group) the drive cost; built by
/// [`crate::core::optimize::drive`] (see its module docs), read by the
/// solver, so it lives here, below both.
#[derive(Debug)]
pub struct DriveCost {
    /// Per district the row of `minutes` it uses (`None`: no home base).
    pub(in crate::core::optimize) row_of: Vec<Option<usize>>,
    /// Per home base, minutes to each unit.
    pub(in crate::core::optimize) minutes: Vec<Vec<f32>>,
    /// Minutes of one typical radius at the straight-line speed.
    pub(in crate::core::optimize) scale_min: f64,
}

impl DriveCost {
    /// Cost of unit `u` in district `d` whose centre is unit `c` (`xy` in
    /// km, `radius_km` the typical radius): drive minutes from the
    /// district's home, or the straight line from its centre, in radii.
    pub fn cost(&self, xy: &[(f64, f64)], radius_km: f64, u: usize, d: usize, c: usize) -> f64 {
        match self.row_of.get(d).copied().flatten() {
            Some(r) => 2.0 * f64::from(self.minutes[r][u]) / self.scale_min,
            None => {
                let (a, b) = (xy[u], xy[c]);
                2.0 * (a.0 - b.0).hypot(a.1 - b.1) / radius_km.max(1e-9)
            }
        }
    }

    /// Drive minutes from district `d`'s home to unit `u` (`None`: the
    /// district has no home base).
    pub fn minutes(&self, u: usize, d: usize) -> Option<f64> {
        let r = self.row_of.get(d).copied().flatten()?;
        self.minutes[r].get(u).map(|&m| f64::from(m))
    }
}
