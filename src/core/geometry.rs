//! Geometry helpers: normalisation, geodesic measures and compactness.
//!
//! Territory shapes are kept in lon/lat degrees (WGS84). Areas and perimeters
//! are geodesic (Karney 2013, through geo's `GeodesicArea`), so the numbers
//! are honest at any latitude rather than distorted by a map projection.

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Coord, GeodesicArea, LineString, MapCoords, MultiPolygon, Polygon, Rect};

/// Geodesic area (km²) and Polsby–Popper compactness of a shape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ShapeStats {
    /// Area in square kilometres.
    pub area_km2: f64,
    /// Perimeter in kilometres, holes included.
    pub perimeter_km: f64,
    /// Polsby–Popper score `4πA/P²` in `0..=1` (1 = a circle); 0 when empty.
    pub compactness: f64,
}

/// Measures `shape` on the WGS84 ellipsoid.
pub fn shape_stats(shape: &MultiPolygon<f64>) -> ShapeStats {
    let mut area = 0.0;
    let mut perimeter = 0.0;
    for poly in shape {
        // Exterior CCW, holes CW: the orientation geo's signed geodesic area
        // expects; taking abs() keeps a mis-wound ring from going negative.
        let poly = poly.orient(Direction::Default);
        let (p, a) = poly.geodesic_perimeter_area_signed();
        area += a.abs();
        perimeter += p;
    }
    let area_km2 = area / 1e6;
    let perimeter_km = perimeter / 1e3;
    let compactness = if perimeter_km > 0.0 {
        (4.0 * std::f64::consts::PI * area_km2 / (perimeter_km * perimeter_km)).min(1.0)
    } else {
        0.0
    };
    ShapeStats {
        area_km2,
        perimeter_km,
        compactness,
    }
}

/// Bounding rectangle of a shape, `None` when it has no coordinates.
pub fn bbox(shape: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    shape.bounding_rect()
}

/// Closes rings, drops rings with fewer than three distinct corners or
/// non-finite coordinates, splits polygons that cross the antimeridian
/// (see [`split_antimeridian`]) and orients exterior rings CCW, holes CW.
/// Returns the cleaned shape and how many rings were dropped.
pub fn normalize(shape: MultiPolygon<f64>) -> (MultiPolygon<f64>, usize) {
    let mut dropped = 0;
    let mut out = Vec::with_capacity(shape.0.len());
    for poly in shape {
        let (ext, ints) = poly.into_inner();
        let Some(ext) = clean_ring(ext) else {
            dropped += 1 + ints.len();
            continue;
        };
        let mut holes = Vec::with_capacity(ints.len());
        for ring in ints {
            match clean_ring(ring) {
                Some(r) => holes.push(r),
                None => dropped += 1,
            }
        }
        let poly = Polygon::new(ext, holes);
        if crosses_antimeridian(poly.exterior()) {
            out.extend(
                split_antimeridian(poly)
                    .into_iter()
                    .map(|p| p.orient(Direction::Default)),
            );
        } else {
            out.push(poly.orient(Direction::Default));
        }
    }
    (MultiPolygon(out), dropped)
}

/// Whether a ring has an edge that jumps across the antimeridian: from
/// near +180° to near −180° (or back), as GeoJSON, KML and shapefiles write
/// a ring that goes "170°, 179°, −179°, −170°". Both ends must be within
/// 60° of the antimeridian, so that a world-wide shape drawn with long
/// edges (−100° to 100°) is not mistaken for one.
fn crosses_antimeridian(ring: &LineString<f64>) -> bool {
    ring.lines().any(|l| {
        (l.end.x - l.start.x).abs() > 180.0 && l.start.x.abs() >= 120.0 && l.end.x.abs() >= 120.0
    })
}

/// `ring` with each longitude moved by a multiple of 360° so that no edge
/// is longer than 180° in longitude (starting from `start_shift`).
fn unwrap_lons(ring: &LineString<f64>, start_shift: f64) -> LineString<f64> {
    let mut shift = start_shift;
    let mut prev: Option<f64> = None;
    let pts = ring
        .0
        .iter()
        .map(|c| {
            if let Some(p) = prev {
                let x = c.x + shift;
                if x - p > 180.0 {
                    shift -= 360.0;
                } else if p - x > 180.0 {
                    shift += 360.0;
                }
            }
            let c = Coord {
                x: c.x + shift,
                y: c.y,
            };
            prev = Some(c.x);
            c
        })
        .collect();
    LineString(pts)
}

/// A polygon whose rings cross the antimeridian, as the polygons it
/// covers within −180°…180°: the rings are unwrapped (longitudes past
/// ±180° continue beyond it) and the result is cut at every multiple of
/// 180° and shifted back. A ring around a pole (one that crosses once) is
/// closed along the pole. Planar tests (which accounts lie inside) then
/// take the short way across the antimeridian, as the ring meant.
pub fn split_antimeridian(poly: Polygon<f64>) -> Vec<Polygon<f64>> {
    use geo::BooleanOps;
    let (ext, holes) = poly.into_inner();
    let mut ext = unwrap_lons(&ext, 0.0);
    let (Some(first), Some(last)) = (ext.0.first().copied(), ext.0.last().copied()) else {
        return Vec::new();
    };
    if (last.x - first.x).abs() > 180.0 {
        // Around a pole: close the ring through the pole it circles.
        let mean_lat = ext.0.iter().map(|c| c.y).sum::<f64>() / ext.0.len() as f64;
        let pole = if mean_lat < 0.0 { -90.0 } else { 90.0 };
        ext.0.push(Coord { x: last.x, y: pole });
        ext.0.push(Coord {
            x: first.x,
            y: pole,
        });
        ext.0.push(first);
    }
    let (min_x, max_x) = ext
        .0
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
            (a.min(c.x), b.max(c.x))
        });
    let centre = (min_x + max_x) / 2.0;
    let holes: Vec<LineString<f64>> = holes
        .iter()
        .map(|h| {
            let x0 = h.0.first().map_or(0.0, |c| c.x);
            unwrap_lons(h, ((centre - x0) / 360.0).round() * 360.0)
        })
        .collect();
    let whole = Polygon::new(ext, holes);
    let mut out = Vec::new();
    let lo = ((min_x + 180.0) / 360.0).floor() as i32;
    let hi = ((max_x + 180.0) / 360.0).ceil() as i32;
    for k in lo..hi {
        let offset = 360.0 * f64::from(k);
        let band = Rect::new(
            Coord {
                x: -180.0 + offset,
                y: -90.0,
            },
            Coord {
                x: 180.0 + offset,
                y: 90.0,
            },
        )
        .to_polygon();
        for piece in whole.intersection(&band) {
            out.push(piece.map_coords(|c| Coord {
                x: c.x - offset,
                y: c.y,
            }));
        }
    }
    out
}

fn clean_ring(ring: LineString<f64>) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len() + 1);
    for c in ring.0 {
        if !c.x.is_finite() || !c.y.is_finite() {
            return None;
        }
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    pts.push(pts[0]);
    Some(LineString(pts))
}

/// Great-circle distance in kilometres between two lon/lat points
/// (haversine on a sphere of the mean Earth radius).
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6371.0088;
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// A ring's longitudes made continuous: a step of more than 180° between
/// two points is a crossing of the antimeridian, so later points are
/// shifted by ±360° and nothing smears across the whole map. Non-finite
/// points are dropped (one would hide the crossing right after it). Returns
/// the unwrapped points and whether any step was unwrapped. Used by the map
/// in the window and by the map image, which must draw the same shapes.
pub fn unwrap_ring(ring: &LineString<f64>) -> (Vec<[f64; 2]>, bool) {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.0.len());
    let mut shift = 0.0;
    let mut jumped = false;
    let mut prev: Option<f64> = None;
    for c in &ring.0 {
        if !(c.x.is_finite() && c.y.is_finite()) {
            continue;
        }
        if let Some(p) = prev {
            let d = c.x - p;
            if d > 180.0 {
                shift -= 360.0;
                jumped = true;
            } else if d < -180.0 {
                shift += 360.0;
                jumped = true;
            }
        }
        prev = Some(c.x);
        out.push([c.x + shift, c.y]);
    }
    (out, jumped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
        ]])
    }

    #[test]
    fn ring_across_the_antimeridian_takes_the_short_way() {
        use geo::Contains;
        let ring = MultiPolygon(vec![polygon![
            (x: 170.0, y: -10.0), (x: -170.0, y: -10.0), (x: -170.0, y: 10.0), (x: 170.0, y: 10.0)
        ]]);
        let (shape, dropped) = normalize(ring);
        assert_eq!(dropped, 0);
        assert_eq!(shape.0.len(), 2, "{shape:?}");
        for inside in [(179.5, 0.0), (-179.5, 0.0), (175.0, 5.0), (-175.0, -5.0)] {
            assert!(shape.contains(&geo::Point::from(inside)), "{inside:?}");
        }
        for outside in [(0.0, 0.0), (80.0, 0.0), (-80.0, 0.0), (179.5, 20.0)] {
            assert!(!shape.contains(&geo::Point::from(outside)), "{outside:?}");
        }
        // The two halves are 10° wide each.
        let area: f64 = shape.0.iter().map(geo::Area::unsigned_area).sum();
        assert!((area - 400.0).abs() < 1e-6, "{area}");
        // A world-wide shape with long edges is left as it is.
        let wide = MultiPolygon(vec![polygon![
            (x: -100.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 10.0), (x: -100.0, y: 10.0)
        ]]);
        let (wide, _) = normalize(wide);
        assert!(wide.contains(&geo::Point::new(0.0, 5.0)));
    }

    #[test]
    fn ring_around_a_pole_is_closed_through_it() {
        use geo::Contains;
        // Antarctica's outline: once around the pole, crossing 180° once.
        let ring = MultiPolygon(vec![polygon![
            (x: -180.0, y: -70.0), (x: -90.0, y: -72.0), (x: 0.0, y: -70.0),
            (x: 90.0, y: -72.0), (x: 179.0, y: -70.0)
        ]]);
        let (shape, _) = normalize(ring);
        for p in [
            (0.0, -80.0),
            (179.5, -80.0),
            (-179.5, -85.0),
            (120.0, -89.0),
        ] {
            assert!(shape.contains(&geo::Point::from(p)), "{p:?}");
        }
        assert!(!shape.contains(&geo::Point::new(0.0, -60.0)));
    }

    #[test]
    fn one_degree_square_at_equator_has_known_area() {
        // 1°×1° at the equator is about 12,308 km² on WGS84.
        let s = shape_stats(&square(0.0, 0.0, 1.0));
        assert!((s.area_km2 - 12308.0).abs() < 15.0, "{}", s.area_km2);
        // A square scores π/4 on Polsby–Popper.
        assert!((s.compactness - std::f64::consts::FRAC_PI_4).abs() < 0.01);
    }

    #[test]
    fn winding_does_not_change_area() {
        let mut cw = square(10.0, 40.0, 0.5);
        cw.0[0].exterior_mut(|r| r.0.reverse());
        let a = shape_stats(&cw).area_km2;
        let b = shape_stats(&square(10.0, 40.0, 0.5)).area_km2;
        assert!((a - b).abs() < 1e-6 && a > 0.0);
    }

    #[test]
    fn hole_is_subtracted() {
        let outer = square(0.0, 0.0, 2.0).0.remove(0);
        let hole = square(0.5, 0.5, 1.0).0.remove(0);
        let with_hole = MultiPolygon(vec![Polygon::new(
            outer.exterior().clone(),
            vec![hole.exterior().clone()],
        )]);
        let full = shape_stats(&square(0.0, 0.0, 2.0)).area_km2;
        let inner = shape_stats(&square(0.5, 0.5, 1.0)).area_km2;
        let got = shape_stats(&with_hole).area_km2;
        assert!(
            (got - (full - inner)).abs() < 1.0,
            "{got} vs {}",
            full - inner
        );
    }

    #[test]
    fn normalize_closes_and_drops_degenerate_rings() {
        let open = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]),
            vec![LineString::from(vec![(0.2, 0.2), (0.3, 0.3)])],
        );
        let (n, dropped) = normalize(MultiPolygon(vec![open]));
        assert_eq!(dropped, 1);
        assert_eq!(n.0[0].exterior().0.len(), 4);
        assert!(n.0[0].interiors().is_empty());
        let (n, dropped) = normalize(MultiPolygon(vec![
            polygon![(x: f64::NAN, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)],
        ]));
        assert_eq!((n.0.len(), dropped), (0, 1));
    }

    #[test]
    fn haversine_new_york_to_los_angeles() {
        let d = haversine_km((-74.006, 40.7128), (-118.2437, 34.0522));
        assert!((d - 3936.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn unwrap_ring_crosses_the_antimeridian_continuously() {
        let ring = LineString::from(vec![
            (179.0, 10.0),
            (-179.0, 10.0),
            (-179.0, 11.0),
            (179.0, 11.0),
            (179.0, 10.0),
        ]);
        let (pts, jumped) = unwrap_ring(&ring);
        assert!(jumped);
        assert_eq!(
            pts,
            vec![
                [179.0, 10.0],
                [181.0, 10.0],
                [181.0, 11.0],
                [179.0, 11.0],
                [179.0, 10.0]
            ]
        );
        let plain = LineString::from(vec![(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]);
        assert_eq!(
            unwrap_ring(&plain),
            (vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]], false)
        );
    }

    /// The window's and the map image's copies once disagreed here: a
    /// non-finite point hid the crossing after it, and was drawn.
    #[test]
    fn unwrap_ring_drops_non_finite_points_without_losing_the_crossing() {
        let ring = LineString::from(vec![
            (179.0, 10.0),
            (f64::NAN, 10.0),
            (-179.0, 10.0),
            (-179.0, f64::INFINITY),
            (-179.0, 11.0),
            (179.0, 10.0),
        ]);
        let (pts, jumped) = unwrap_ring(&ring);
        assert!(jumped);
        assert_eq!(
            pts,
            vec![[179.0, 10.0], [181.0, 10.0], [181.0, 11.0], [179.0, 10.0]]
        );
    }
}
