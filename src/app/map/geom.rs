//! Polygons prepared for drawing: triangulated once, outlined, and split at
//! the antimeridian.
//!
//! egui only fills convex polygons, so every area (territory, country) is
//! triangulated once with earcut (via `geo`) in world coordinates and kept
//! as a [`Geom`]: vertices relative to the shape's own origin (so `f32`
//! stays precise at street zoom), triangle indices into them, and outline
//! paths over the same vertices. A frame then only transforms vertices.

use std::panic::{AssertUnwindSafe, catch_unwind};

use egui::{Color32, Mesh, Pos2, Shape, Stroke, pos2};
use geo::{
    BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect, Simplify, TriangulateEarcut,
};

use crate::core::geometry::unwrap_ring;

use super::proj::{ViewTransform, WorldBox, boxes_touch, mercator};

/// One outline path: `verts[start..end]` of its [`Geom`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRange {
    /// First vertex.
    pub start: u32,
    /// One past the last vertex.
    pub end: u32,
    /// Whether the last vertex connects back to the first.
    pub closed: bool,
}

/// A shape ready to draw: see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Geom {
    /// World coordinates that `verts` are relative to.
    pub origin: [f64; 2],
    /// World bounding box.
    pub bbox: WorldBox,
    /// Vertices, world coordinates minus `origin`.
    pub verts: Vec<[f32; 2]>,
    /// Fill triangles (indices into `verts`).
    pub tris: Vec<u32>,
    /// Outline paths over `verts`.
    pub paths: Vec<PathRange>,
}

impl Geom {
    /// True when there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.verts.is_empty()
    }

    /// Transforms every vertex to the screen into `out` (cleared first).
    pub fn to_screen(&self, view: &ViewTransform, out: &mut Vec<Pos2>) {
        out.clear();
        out.reserve(self.verts.len());
        let (ox, oy) = view.offset_of(self.origin);
        let s = view.scale;
        // f64 arithmetic: at high zoom the origin can be far off-screen and
        // the sum must not cancel in f32.
        out.extend(
            self.verts
                .iter()
                .map(|v| pos2((ox + v[0] as f64 * s) as f32, (oy + v[1] as f64 * s) as f32)),
        );
    }
}

/// Appends the fill triangles of `g` (already transformed into `screen`) to
/// `mesh` in one color.
pub fn push_fill(mesh: &mut Mesh, g: &Geom, screen: &[Pos2], color: Color32) {
    if g.tris.is_empty() {
        return;
    }
    let base = mesh.vertices.len() as u32;
    mesh.vertices
        .extend(screen.iter().map(|&p| egui::epaint::Vertex {
            pos: p,
            uv: egui::epaint::WHITE_UV,
            color,
        }));
    mesh.indices.extend(g.tris.iter().map(|&i| base + i));
}

/// Appends the outlines of `g` (already transformed into `screen`) as line
/// shapes, dropping vertices closer than `min_step` points to the previous
/// kept one (a 200-vertex territory 30 px wide needs ~30).
///
/// Every path goes to egui as an *open* line, closed rings with their first
/// point repeated at the end. egui joins the corners of a closed line with
/// unclipped miters (`PathShape::closed`, see egui issue #1226), so a corner
/// that nearly turns back on itself (common on coastlines and thinned
/// rings) would draw a spike up to hundreds of points long; open lines cut
/// sharp corners off.
pub fn push_outlines(
    out: &mut Vec<Shape>,
    g: &Geom,
    screen: &[Pos2],
    stroke: Stroke,
    min_step: f32,
    clip: &egui::Rect,
) {
    for p in &g.paths {
        let ring = &screen[p.start as usize..p.end as usize];
        let pts = outline_points(ring, p.closed, min_step);
        if pts.len() < 2 {
            continue;
        }
        let bb = egui::Rect::from_points(&pts);
        if bb.intersects(*clip) {
            out.push(Shape::line(pts, stroke));
        }
    }
}

/// The points of one outline path as drawn: `path` thinned so that kept
/// points are at least `min_step` apart, every dropped point lying within
/// `2·min_step` of a kept neighbour. An open path still ends on its
/// last point; a closed ring (without a repeated closing point) comes back
/// as an open line that starts and ends on the same vertex, the one where
/// the ring bends least, so the seam does not show.
pub fn outline_points(path: &[Pos2], closed: bool, min_step: f32) -> Vec<Pos2> {
    let min2 = min_step * min_step;
    let mut pts: Vec<Pos2> = Vec::with_capacity(path.len().min(256));
    for &q in path {
        if pts.last().is_none_or(|&l| (q - l).length_sq() >= min2) {
            pts.push(q);
        }
    }
    let (Some(&first), Some(&last)) = (path.first(), path.last()) else {
        return pts;
    };
    if closed {
        // The ring goes back to its first point: kept points just before it
        // would only add a stub (often pointing backwards).
        while pts.len() > 1 && (pts[pts.len() - 1] - first).length_sq() < min2 {
            pts.pop();
        }
        if pts.len() >= 3 {
            let n = pts.len();
            let bend = |i: usize| {
                let a = (pts[i] - pts[(i + n - 1) % n]).normalized();
                let b = (pts[(i + 1) % n] - pts[i]).normalized();
                a.dot(b)
            };
            let flattest = (0..n)
                .max_by(|&i, &j| bend(i).total_cmp(&bend(j)))
                .unwrap_or(0);
            pts.rotate_left(flattest);
            pts.push(pts[0]);
        }
    } else if pts.last() != Some(&last) {
        // Move the last kept point to the end rather than add a stub.
        if pts.len() > 1 {
            pts.pop();
        }
        pts.push(last);
    }
    pts
}

/// Collects polygons and lines in world coordinates and turns them into a
/// [`Geom`].
#[derive(Default)]
pub struct GeomBuilder {
    verts: Vec<[f64; 2]>,
    tris: Vec<u32>,
    paths: Vec<PathRange>,
}

impl GeomBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a polygon in world coordinates: filled (triangulated) and/or
    /// outlined (every ring as a closed path). Bad rings are dropped.
    pub fn add_polygon(&mut self, poly: &Polygon<f64>, fill: bool, outline: bool) {
        let Some((rings, tris)) = prepare_polygon(poly, fill) else {
            return;
        };
        let base = self.verts.len() as u32;
        for ring in &rings {
            let start = self.verts.len() as u32;
            self.verts.extend_from_slice(ring);
            if outline {
                self.paths.push(PathRange {
                    start,
                    end: self.verts.len() as u32,
                    closed: true,
                });
            }
        }
        self.tris.extend(tris.iter().map(|&i| base + i));
    }

    /// Adds a polyline in world coordinates (non-finite points dropped).
    pub fn add_line(&mut self, pts: &[[f64; 2]], closed: bool) {
        let start = self.verts.len() as u32;
        for &p in pts {
            let repeated = self.verts.len() > start as usize && self.verts.last() == Some(&p);
            if p[0].is_finite() && p[1].is_finite() && !repeated {
                self.verts.push(p);
            }
        }
        if self.verts.len() - start as usize >= 2 {
            self.paths.push(PathRange {
                start,
                end: self.verts.len() as u32,
                closed,
            });
        } else {
            self.verts.truncate(start as usize);
        }
    }

    /// The finished shape.
    pub fn build(self) -> Geom {
        if self.verts.is_empty() {
            return Geom::default();
        }
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for v in &self.verts {
            b = [
                b[0].min(v[0]),
                b[1].min(v[1]),
                b[2].max(v[0]),
                b[3].max(v[1]),
            ];
        }
        let origin = [b[0], b[1]];
        Geom {
            origin,
            bbox: b,
            verts: self
                .verts
                .iter()
                .map(|v| [(v[0] - origin[0]) as f32, (v[1] - origin[1]) as f32])
                .collect(),
            tris: self.tris,
            paths: self.paths,
        }
    }
}

/// Builds the drawable shape of a lon/lat multipolygon (a territory): filled
/// and outlined, triangulated in world coordinates.
pub fn geom_from_lon_lat(shape: &MultiPolygon<f64>) -> Geom {
    geom_from_lon_lat_simplified(shape, 0.0)
}

/// Like [`geom_from_lon_lat`], with every ring simplified (Ramer–Douglas–
/// Peucker) to within `epsilon` world units first: a level of detail for low
/// zoom. `0` keeps every vertex.
pub fn geom_from_lon_lat_simplified(shape: &MultiPolygon<f64>, epsilon: f64) -> Geom {
    let mut b = GeomBuilder::new();
    for poly in shape {
        for piece in split_antimeridian(poly).pieces {
            let w = to_world(&piece);
            if epsilon > 0.0 {
                // Simplifying can fold a ring over itself; its triangles
                // then overlap and a translucent fill shows a darker wedge.
                // Such a level keeps the exact shape instead.
                let simple = w.simplify(epsilon);
                let keep = if fills_exactly(&simple) { &simple } else { &w };
                b.add_polygon(keep, true, true);
            } else {
                b.add_polygon(&w, true, true);
            }
        }
    }
    b.build()
}

/// A lon/lat polygon projected to world coordinates.
pub fn to_world(poly: &Polygon<f64>) -> Polygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString(
            r.0.iter()
                .map(|c| {
                    let w = mercator(c.x, c.y);
                    Coord { x: w[0], y: w[1] }
                })
                .collect(),
        )
    };
    Polygon::new(
        ring(poly.exterior()),
        poly.interiors().iter().map(ring).collect(),
    )
}

/// Cleans a ring: drops non-finite and repeated points and the closing
/// point. `None` when fewer than 3 points remain.
fn clean_ring(ring: &LineString<f64>) -> Option<Vec<[f64; 2]>> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = [c.x, c.y];
        if p[0].is_finite() && p[1].is_finite() && out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    (out.len() >= 3).then_some(out)
}

/// Rings of points (exterior first).
type Rings = Vec<Vec<[f64; 2]>>;

/// Cleaned rings and, when `fill`, earcut triangles over their
/// concatenated vertices. `None` when the exterior is unusable.
fn prepare_polygon(poly: &Polygon<f64>, fill: bool) -> Option<(Rings, Vec<u32>)> {
    let mut rings = vec![clean_ring(poly.exterior())?];
    rings.extend(poly.interiors().iter().filter_map(clean_ring));
    let tris = if fill { earcut(&rings) } else { Vec::new() };
    Some((rings, tris))
}

/// True when the triangles of `poly` cover its area once: none overlaps
/// another (which a self-crossing ring causes).
pub fn fills_exactly(poly: &Polygon<f64>) -> bool {
    let Some((rings, tris)) = prepare_polygon(poly, true) else {
        return false;
    };
    let pts = rings.concat();
    let tri = |t: &[u32]| {
        let (a, b, c) = (pts[t[0] as usize], pts[t[1] as usize], pts[t[2] as usize]);
        ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
    };
    let shoelace = |r: &Vec<[f64; 2]>| {
        let n = r.len();
        (0..n)
            .map(|i| {
                let (p, q) = (r[i], r[(i + 1) % n]);
                (p[0] - r[0][0]) * (q[1] - r[0][1]) - (q[0] - r[0][0]) * (p[1] - r[0][1])
            })
            .sum::<f64>()
            .abs()
            / 2.0
    };
    let area = shoelace(&rings[0]) - rings[1..].iter().map(shoelace).sum::<f64>();
    let covered: f64 = tris.chunks_exact(3).map(tri).sum();
    covered <= area.abs() * 1.001 + 1e-20
}

/// Earcut over cleaned rings; empty on failure (never panics).
fn earcut(rings: &[Vec<[f64; 2]>]) -> Vec<u32> {
    // Relative to the first vertex so earcut's orientation tests work on
    // small numbers (world coordinates of a county differ in the 4th digit).
    let o = rings[0][0];
    let to_ls = |r: &Vec<[f64; 2]>| {
        LineString(
            r.iter()
                .map(|p| Coord {
                    x: p[0] - o[0],
                    y: p[1] - o[1],
                })
                .collect(),
        )
    };
    let local = Polygon::new(to_ls(&rings[0]), rings[1..].iter().map(to_ls).collect());
    let n: usize = rings.iter().map(Vec::len).sum();
    let Ok(raw) = catch_unwind(AssertUnwindSafe(|| local.earcut_triangles_raw())) else {
        return Vec::new();
    };
    // Earcut's vertices are our rings without their closing points, in
    // order; anything else means the input was not what we cleaned.
    if raw.vertices.len() != n || raw.triangle_indices.iter().any(|&i| i >= n) {
        return Vec::new();
    }
    raw.triangle_indices.iter().map(|&i| i as u32).collect()
}

/// Triangulates a polygon (in any planar units) with holes: the cleaned
/// vertices (exterior then holes, without closing points) and triangle
/// indices. Empty for unusable input. Exposed for tests and tools.
pub fn triangulate(poly: &Polygon<f64>) -> (Vec<[f64; 2]>, Vec<u32>) {
    match prepare_polygon(poly, true) {
        Some((rings, tris)) => (rings.concat(), tris),
        None => (Vec::new(), Vec::new()),
    }
}

/// A polygon cut at the antimeridian.
#[derive(Clone, Debug, Default)]
pub struct AntimeridianSplit {
    /// Fill pieces, each within −180..=180° longitude.
    pub pieces: Vec<Polygon<f64>>,
    /// Border polylines, each within −180..=180°, without the artificial cut
    /// edges (and without a polar closure).
    pub borders: Vec<Vec<[f64; 2]>>,
}

/// Longitude window of `x`: 0 for −180..180, 1 for 180..540, …
fn window(x: f64) -> i64 {
    ((x + 180.0) / 360.0).floor() as i64
}

/// Splits a lon/lat polygon whose rings jump across the antimeridian (e.g.
/// from 179.9° to −179.9°) into pieces that each stay on one side, so
/// nothing smears across the whole map. Rings around a pole (Antarctica)
/// are closed along the pole first. Polygons that do not cross are returned
/// as they are.
pub fn split_antimeridian(poly: &Polygon<f64>) -> AntimeridianSplit {
    let (ext, ext_jumped) = unwrap_ring(poly.exterior());
    let holes: Vec<(Vec<[f64; 2]>, bool)> = poly.interiors().iter().map(unwrap_ring).collect();
    let out_of_range = ext.iter().any(|p| p[0].abs() > 180.0);
    if !ext_jumped && !out_of_range && holes.iter().all(|h| !h.1) {
        let mut borders = vec![ext];
        borders.extend(holes.into_iter().map(|h| h.0));
        return AntimeridianSplit {
            pieces: vec![poly.clone()],
            borders,
        };
    }
    let mut split = AntimeridianSplit::default();
    if ext.len() < 3 {
        return split;
    }

    // Borders: cut the unwrapped rings at every ±180° + k·360° meridian.
    let closes = |r: &[[f64; 2]]| (r[0][0] - r[r.len() - 1][0]).abs() < 1e-9;
    let polar = !closes(&ext);
    let mut ext_line = ext.clone();
    if !polar && ext_line.first() != ext_line.last() {
        ext_line.push(ext_line[0]);
    }
    split_polyline(&ext_line, &mut split.borders);
    let mut hole_rings = Vec::new();
    for (h, _) in &holes {
        if h.len() < 3 || !closes(h) {
            continue; // a hole around a pole makes no sense: drop it
        }
        // Put the hole in the same window as the exterior.
        let mean_e = ext.iter().map(|p| p[0]).sum::<f64>() / ext.len() as f64;
        let mean_h = h.iter().map(|p| p[0]).sum::<f64>() / h.len() as f64;
        let k = ((mean_e - mean_h) / 360.0).round() * 360.0;
        let h: Vec<[f64; 2]> = h.iter().map(|p| [p[0] + k, p[1]]).collect();
        split_polyline(&h, &mut split.borders);
        hole_rings.push(h);
    }

    // Fill: close a polar ring along its pole, then clip per window.
    let mut ring = ext;
    if polar {
        let mean_lat = ring.iter().map(|p| p[1]).sum::<f64>() / ring.len() as f64;
        let pole = if mean_lat < 0.0 { -90.0 } else { 90.0 };
        let (first, last) = (ring[0], ring[ring.len() - 1]);
        ring.push([last[0], pole]);
        ring.push([first[0], pole]);
    }
    let ls = |r: &[[f64; 2]]| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    let unwrapped = Polygon::new(ls(&ring), hole_rings.iter().map(|h| ls(h)).collect());
    let (minx, maxx) = ring
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    // Half windows (180° wide), so that even a ring around a pole yields
    // pieces whose every edge and triangle spans at most half the world.
    let halves = (window(minx) * 2)..=(window(maxx) * 2 + 1);
    for h in halves {
        let off = 360.0 * h.div_euclid(2) as f64;
        let x0 = off - 180.0 + 180.0 * h.rem_euclid(2) as f64;
        if x0 >= maxx || x0 + 180.0 <= minx {
            continue;
        }
        let clip = Rect::new(
            Coord { x: x0, y: -90.0 },
            Coord {
                x: x0 + 180.0,
                y: 90.0,
            },
        )
        .to_polygon();
        let Ok(mp) = catch_unwind(AssertUnwindSafe(|| unwrapped.intersection(&clip))) else {
            continue;
        };
        for p in mp {
            let mut p = p;
            // The clipper snaps to its own grid: keep results inside the window.
            let back = |c: &mut Coord<f64>| c.x = (c.x - off).clamp(-180.0, 180.0);
            p.exterior_mut(|e| e.0.iter_mut().for_each(back));
            p.interiors_mut(|hs| hs.iter_mut().for_each(|h| h.0.iter_mut().for_each(back)));
            split.pieces.push(p);
        }
    }
    split
}

/// Cuts an unwrapped polyline at the meridians ±180° + k·360° and shifts
/// each part back into −180..=180°.
fn split_polyline(pts: &[[f64; 2]], out: &mut Vec<Vec<[f64; 2]>>) {
    let mut cur: Vec<[f64; 2]> = Vec::new();
    let mut cur_w: Option<i64> = None;
    let flush = |cur: &mut Vec<[f64; 2]>, out: &mut Vec<Vec<[f64; 2]>>| {
        if cur.len() >= 2 {
            out.push(std::mem::take(cur));
        } else {
            cur.clear();
        }
    };
    let mut cuts: Vec<[f64; 2]> = Vec::new();
    for seg in pts.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        // The segment's points: a, every meridian crossing, b.
        cuts.clear();
        cuts.push(a);
        let (lo, hi) = (a[0].min(b[0]), a[0].max(b[0]));
        let mut k = ((lo - 180.0) / 360.0).ceil();
        while 180.0 + 360.0 * k < hi {
            let x = 180.0 + 360.0 * k;
            if x > lo {
                let t = (x - a[0]) / (b[0] - a[0]);
                cuts.push([x, a[1] + t * (b[1] - a[1])]);
            }
            k += 1.0;
        }
        if b[0] < a[0] {
            cuts[1..].reverse();
        }
        cuts.push(b);
        for sub in cuts.windows(2) {
            let (p, q) = (sub[0], sub[1]);
            let w = window((p[0] + q[0]) / 2.0);
            let off = 360.0 * w as f64;
            let (p, q) = ([p[0] - off, p[1]], [q[0] - off, q[1]]);
            if cur_w != Some(w) {
                flush(&mut cur, out);
                cur.push(p);
                cur_w = Some(w);
            } else if cur.last() != Some(&p) {
                cur.push(p);
            }
            if cur.last() != Some(&q) {
                cur.push(q);
            }
        }
    }
    flush(&mut cur, out);
}

/// Draws fills of several geoms into one mesh and their outlines as shapes,
/// culling whatever is outside the view. Returns how many were drawn.
pub fn draw_geoms<'a>(
    view: &ViewTransform,
    geoms: impl Iterator<Item = &'a Geom>,
    fill: Option<Color32>,
    stroke: Option<Stroke>,
    mesh: &mut Mesh,
    shapes: &mut Vec<Shape>,
    scratch: &mut Vec<Pos2>,
) -> usize {
    let vb = view.world_bounds(2.0);
    let mut n = 0;
    for g in geoms {
        if g.is_empty() || !boxes_touch(&g.bbox, &vb) {
            continue;
        }
        let sz = view.screen_size(&g.bbox);
        if sz.x < 0.5 && sz.y < 0.5 {
            continue;
        }
        g.to_screen(view, scratch);
        if let Some(c) = fill {
            push_fill(mesh, g, scratch, c);
        }
        if let Some(s) = stroke {
            push_outlines(shapes, g, scratch, s, 0.9, &view.rect);
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_crossing_ring_is_not_filled_exactly() {
        use geo::polygon;
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
        assert!(fills_exactly(&square));
        // A bow tie: its two triangles cover more than its signed area.
        let bow = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)];
        assert!(!fills_exactly(&bow));
    }
    use geo::{Area, polygon};

    /// The area the fill triangles of `g` cover (counting overlaps twice).
    fn covered(g: &Geom) -> f64 {
        let v = |i: u32| {
            let p = g.verts[i as usize];
            [p[0] as f64, p[1] as f64]
        };
        g.tris
            .chunks_exact(3)
            .map(|t| {
                let (a, b, c) = (v(t[0]), v(t[1]), v(t[2]));
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    }

    #[test]
    fn shapes_a_vertex_move_can_make_are_filled_once() {
        // Rings that touch themselves where a moved vertex landed on
        // another vertex of the same ring (snapping does that): a pinched
        // cavity, a hole touching the exterior, two lobes meeting at a point.
        let pinch = polygon![
            (x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0),
            (x: 0.0, y: 2.0), (x: 2.0, y: 3.0), (x: 3.0, y: 2.0), (x: 2.0, y: 1.0),
            (x: 0.0, y: 2.0)
        ];
        let hole_touching = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.)],
            interiors: [[(x: 0., y: 2.), (x: 2., y: 1.), (x: 3., y: 2.), (x: 2., y: 3.)]],
        );
        let lobes = polygon![
            (x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 4.0, y: 2.0),
            (x: 4.0, y: 4.0), (x: 2.0, y: 4.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)
        ];
        for (name, p) in [("pinch", pinch), ("hole", hole_touching), ("lobes", lobes)] {
            let p = geo::MapCoords::map_coords(&p, |c| Coord {
                x: -100.0 + c.x * 0.5,
                y: 40.0 + c.y * 0.5,
            });
            let want = to_world(&p).unsigned_area();
            for eps in [0.0, 1e-9] {
                let g = geom_from_lon_lat_simplified(&MultiPolygon(vec![p.clone()]), eps);
                let got = covered(&g);
                assert!(
                    (got - want).abs() <= want * 1e-4,
                    "{name} (simplified {eps}): triangles cover {got}, shape {want}"
                );
            }
        }
    }

    #[test]
    fn triangulates_square_with_hole() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 4., y: 4.), (x: 6., y: 4.), (x: 6., y: 6.), (x: 4., y: 6.)]],
        );
        let (v, t) = triangulate(&p);
        assert_eq!(v.len(), 8);
        let area: f64 = t
            .chunks(3)
            .map(|c| {
                let (a, b, d) = (v[c[0] as usize], v[c[1] as usize], v[c[2] as usize]);
                ((b[0] - a[0]) * (d[1] - a[1]) - (d[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum();
        assert!((area - p.unsigned_area()).abs() < 1e-9);
    }

    #[test]
    fn bad_rings_do_not_panic() {
        let p = Polygon::new(
            LineString(vec![Coord { x: 0., y: 0. }, Coord { x: 1., y: 1. }]),
            vec![],
        );
        assert!(triangulate(&p).0.is_empty());
        let nan = Polygon::new(
            LineString(vec![
                Coord { x: f64::NAN, y: 0. },
                Coord { x: 0., y: 0. },
                Coord { x: 1., y: 0. },
                Coord { x: 1., y: 1. },
            ]),
            vec![],
        );
        assert_eq!(triangulate(&nan).1.len(), 3);
        let g = geom_from_lon_lat(&MultiPolygon(vec![p]));
        assert!(g.is_empty());
    }

    #[test]
    fn outlines_close_without_stubs() {
        // A square whose last vertex sits just before its first: drawing it
        // would add a stub that turns back on itself at the seam.
        let ring = [
            pos2(0.0, 0.0),
            pos2(10.0, 0.0),
            pos2(10.0, 10.0),
            pos2(0.0, 10.0),
            pos2(0.0, 0.3),
        ];
        let pts = outline_points(&ring, true, 1.0);
        assert_eq!(pts.len(), 5, "{pts:?}");
        assert_eq!(pts.first(), pts.last());
        assert!(!pts.contains(&pos2(0.0, 0.3)));
        // The seam goes where the ring is straightest.
        let ring = [
            pos2(0.0, 0.0),
            pos2(10.0, 0.0),
            pos2(10.0, 10.0),
            pos2(5.0, 10.0),
            pos2(0.0, 10.0),
        ];
        let pts = outline_points(&ring, true, 1.0);
        assert_eq!((pts[0], pts[5]), (pos2(5.0, 10.0), pos2(5.0, 10.0)));
        // An open line still ends on its last point, without a stub.
        let line = [pos2(0.0, 0.0), pos2(5.0, 0.0), pos2(5.2, 0.0)];
        assert_eq!(
            outline_points(&line, false, 1.0),
            vec![pos2(0.0, 0.0), pos2(5.2, 0.0)]
        );
        // Closed rings go to egui as open lines (see `push_outlines`).
        let mut b = GeomBuilder::new();
        b.add_line(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], true);
        let g = b.build();
        let screen: Vec<Pos2> = g
            .verts
            .iter()
            .map(|v| pos2(v[0] * 10.0, v[1] * 10.0))
            .collect();
        let mut out = Vec::new();
        push_outlines(
            &mut out,
            &g,
            &screen,
            Stroke::new(1.0, Color32::BLACK),
            1.0,
            &egui::Rect::EVERYTHING,
        );
        let [Shape::Path(p)] = &out[..] else {
            panic!("{out:?}");
        };
        assert!(!p.closed);
        assert_eq!(p.points.len(), 4);
        assert_eq!(p.points.first(), p.points.last());
    }

    #[test]
    fn polyline_split_at_antimeridian() {
        let mut out = Vec::new();
        split_polyline(&[[170.0, 0.0], [190.0, 10.0], [200.0, 10.0]], &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], vec![[170.0, 0.0], [180.0, 5.0]]);
        assert_eq!(out[1], vec![[-180.0, 5.0], [-170.0, 10.0], [-160.0, 10.0]]);
    }
}
