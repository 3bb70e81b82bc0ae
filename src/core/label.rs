//! Where a territory's name goes: the pole of inaccessibility of its largest
//! piece (the inside point farthest from the border, found with Mapbox's
//! "polylabel" cell search), so that a label sits in the body of a
//! C-shaped or L-shaped territory, not in its bounding-box centre, which
//! may be outside it or in a neighbour.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::{Area, BoundingRect, Centroid, InteriorPoint, MultiPolygon, Point, Polygon};

/// Most cells examined per polygon (bounds the cost on huge outlines).
const MAX_CELLS: usize = 4000;

/// The label point of `shape`: the pole of inaccessibility of its largest
/// polygon (by area), within 1% of that polygon's size; `None` for an
/// empty shape.
pub fn label_point(shape: &MultiPolygon<f64>) -> Option<Point<f64>> {
    let largest = shape
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    pole_of_inaccessibility(largest)
}

/// Other places for the label of `shape` when the best one is taken by a
/// neighbour's label: points of a 7 × 9 grid over the largest piece that
/// are inside it, nearest the label point first (relative to the piece's
/// size), at most [`MAX_ALTERNATIVES`].
pub fn label_alternatives(shape: &MultiPolygon<f64>) -> Vec<Point<f64>> {
    use geo::Contains;
    let Some(largest) = shape
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
    else {
        return Vec::new();
    };
    let (Some(p), Some(r)) = (pole_of_inaccessibility(largest), largest.bounding_rect()) else {
        return Vec::new();
    };
    let (w, h) = (r.width(), r.height());
    if w <= 0.0 || h <= 0.0 {
        return Vec::new();
    }
    let mut pts: Vec<(f64, Point<f64>)> = Vec::new();
    for i in 1..8 {
        for j in 1..10 {
            let q = Point::new(
                r.min().x + w * i as f64 / 8.0,
                r.min().y + h * j as f64 / 10.0,
            );
            if largest.contains(&q) {
                let d = ((q.x() - p.x()) / w).hypot((q.y() - p.y()) / h);
                pts.push((d, q));
            }
        }
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts.into_iter()
        .take(MAX_ALTERNATIVES)
        .map(|(_, q)| q)
        .collect()
}

/// Most alternative label places kept per territory.
pub const MAX_ALTERNATIVES: usize = 24;

/// A square cell of the search: centre, half size, signed distance from
/// its centre to the border, and the best any point in it could do.
struct Cell {
    x: f64,
    y: f64,
    h: f64,
    d: f64,
    max: f64,
}

impl Cell {
    fn new(x: f64, y: f64, h: f64, poly: &Polygon<f64>) -> Self {
        let d = signed_distance(x, y, poly);
        Self {
            x,
            y,
            h,
            d,
            max: d + h * std::f64::consts::SQRT_2,
        }
    }
}

impl PartialEq for Cell {
    fn eq(&self, o: &Self) -> bool {
        self.max.total_cmp(&o.max) == Ordering::Equal
    }
}
impl Eq for Cell {}
impl PartialOrd for Cell {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cell {
    fn cmp(&self, o: &Self) -> Ordering {
        self.max.total_cmp(&o.max)
    }
}

/// The inside point of `poly` farthest from its border (holes included).
pub fn pole_of_inaccessibility(poly: &Polygon<f64>) -> Option<Point<f64>> {
    let r = poly.bounding_rect()?;
    let (w, h) = (r.width(), r.height());
    let size = w.min(h);
    if size <= 0.0 || !size.is_finite() {
        return poly.interior_point();
    }
    let precision = w.max(h) / 100.0;
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    let mut x = r.min().x;
    while x < r.max().x {
        let mut y = r.min().y;
        while y < r.max().y {
            queue.push(Cell::new(x + half, y + half, half, poly));
            y += size;
        }
        x += size;
    }
    // Start from the centroid (good for convex shapes) or an inside point.
    let mut best = poly
        .centroid()
        .map(|c| Cell::new(c.x(), c.y(), 0.0, poly))
        .filter(|c| c.d > 0.0)
        .or_else(|| {
            poly.interior_point()
                .map(|p| Cell::new(p.x(), p.y(), 0.0, poly))
        })?;
    let mut seen = 0;
    while let Some(cell) = queue.pop() {
        if cell.d > best.d {
            best = Cell::new(cell.x, cell.y, 0.0, poly);
        }
        seen += 1;
        if cell.max - best.d <= precision || seen > MAX_CELLS {
            continue;
        }
        let h = cell.h / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            queue.push(Cell::new(cell.x + dx, cell.y + dy, h, poly));
        }
    }
    Some(Point::new(best.x, best.y))
}

/// Distance from `(x, y)` to the border of `poly`: positive inside,
/// negative outside (even-odd over every ring, so holes are outside).
fn signed_distance(x: f64, y: f64, poly: &Polygon<f64>) -> f64 {
    let mut inside = false;
    let mut min_sq = f64::INFINITY;
    for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
        for l in ring.lines() {
            let (a, b) = (l.start, l.end);
            if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            min_sq = min_sq.min(segment_dist_sq(x, y, a.x, a.y, b.x, b.y));
        }
    }
    let d = min_sq.sqrt();
    if inside { d } else { -d }
}

fn segment_dist_sq(px: f64, py: f64, ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 {
        (((px - ax) * dx + (py - ay) * dy) / len_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * dx - px, ay + t * dy - py);
    cx * cx + cy * cy
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, polygon};

    #[test]
    fn a_c_shape_is_labelled_in_its_body_not_its_box_centre() {
        // A "C": the box centre (5, 5) is in the empty mouth.
        let c = polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 3.0), (x: 3.0, y: 3.0),
            (x: 3.0, y: 7.0), (x: 10.0, y: 7.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)
        ];
        let p = pole_of_inaccessibility(&c).expect("point");
        assert!(c.contains(&p), "{p:?} outside");
        assert!(
            signed_distance(p.x(), p.y(), &c) >= 1.4,
            "{p:?} too near the border"
        );
    }

    #[test]
    fn the_largest_piece_holds_the_label() {
        let big = polygon![(x: 0.0, y: 0.0), (x: 8.0, y: 0.0), (x: 8.0, y: 4.0), (x: 0.0, y: 4.0)];
        let small =
            polygon![(x: 20.0, y: 0.0), (x: 21.0, y: 0.0), (x: 21.0, y: 1.0), (x: 20.0, y: 1.0)];
        let p = label_point(&MultiPolygon(vec![small, big.clone()])).expect("point");
        assert!(big.contains(&p));
        // A rectangle's pole is on its long axis.
        assert!((p.y() - 2.0).abs() < 0.1, "{p:?}");
    }
}
