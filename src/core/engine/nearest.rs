//! The last precedence level: an account outside every territory goes to
//! the territory whose boundary is nearest, when that is at most the plan's
//! `nearest_km` away (geodesic distance to the polygon edge; ties go to the
//! higher priority, then the lower id).
//!
//! Only territories whose bounding box lies within the distance are looked
//! at, and of those only edges in the latitude band that can be that close.
//! The closest edge point is found in a local equirectangular projection
//! around the account (exact for choosing the point on short edges, close
//! on long ones) and its distance measured on the WGS84 ellipsoid.

use geo::{Distance, Geodesic, Point};

use crate::core::index::TerritoryIndex;

/// Kilometres in a degree of latitude, at least (the equator's value).
const KM_PER_DEG_LAT: f64 = 110.574;
/// Kilometres in a degree of longitude at the equator.
const KM_PER_DEG_LON: f64 = 111.320;

/// `b` (`[min_lon, min_lat, max_lon, max_lat]`) grown by `km` on every
/// side: every point within `km` of the box lies inside the result.
pub fn grow_box_km(b: [f64; 4], km: f64) -> [f64; 4] {
    let dlat = km / KM_PER_DEG_LAT * 1.01;
    let lat = (b[1].abs().max(b[3].abs()) + dlat).min(90.0);
    let cos = lat.to_radians().cos();
    let dlon = if cos > 1e-6 {
        (km / (KM_PER_DEG_LON * cos) * 1.01).min(360.0)
    } else {
        360.0
    };
    [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat]
}

/// Geodesic distance in kilometres between two lon/lat points.
pub fn geodesic_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)) / 1000.0
}

/// The slot of the territory whose boundary is nearest to `(x, y)` and at
/// most `km` away, with that distance in kilometres. Ties go to the
/// higher priority, then the lower territory id.
pub fn nearest_slot(index: &TerritoryIndex, x: f64, y: f64, km: f64) -> Option<(u32, f64)> {
    if km <= 0.0 {
        return None;
    }
    let b = grow_box_km([x, y, x, y], km);
    let kx = y.to_radians().cos().max(1e-6);
    let max_dy = b[3] - y;
    let mut best: Option<(f64, (i32, u32), u32)> = None;
    for slot in index.slots_in_box(b) {
        let Some(shape) = index.slot_shape(slot) else {
            continue;
        };
        let Some(p) = shape.nearest_boundary_point(x, y, kx, max_dy) else {
            continue;
        };
        let d = geodesic_km((x, y), p);
        if d > km {
            continue;
        }
        let key = index.precedence(slot);
        if best.is_none_or(|(bd, bk, _)| (d, key) < (bd, bk)) {
            best = Some((d, key, slot));
        }
    }
    best.map(|(d, _, slot)| (slot, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grown_box_holds_every_point_within_the_distance() {
        for lat in [0.0, 45.0, 70.0, -60.0] {
            let b = grow_box_km([10.0, lat, 10.0, lat], 50.0);
            // 50 km due east and due north are inside.
            let east = (b[2] - 10.0) * KM_PER_DEG_LON * f64::to_radians(lat).cos();
            assert!(east >= 50.0, "{lat}: {east}");
            assert!(geodesic_km((10.0, lat), (10.0, b[3])) >= 50.0);
        }
    }

    #[test]
    fn geodesic_distance_of_a_degree_of_latitude() {
        let d = geodesic_km((0.0, 0.0), (0.0, 1.0));
        assert!((d - 110.574).abs() < 0.01, "{d}");
    }
}
