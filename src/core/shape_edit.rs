//! The editing operations behind the map tools: draw, reshape (vertex move,
//! insert, delete), split, merge, paint units, properties and account
//! drag-and-drop.
//!
//! Every tool only *builds* an [`Edit`] (usually an [`Edit::Batch`] with a
//! history label); [`crate::core::Workspace::apply`] runs it, so undo/redo and
//! autosave share one path. Tools read the plan and never change it.
//!
//! Locked territories are never changed: a tool that would have to change
//! one either leaves it out (a drawn shape is clipped by it) or refuses with
//! [`Error::Invalid`] (a shared vertex, a split, a merge, a drop).
//!
//! Shared borders share vertices bit for bit (that is what makes the
//! engine's half-open point-in-polygon rule put a border point in exactly one
//! territory). The boolean operations (`i_overlay`, through geo) round
//! coordinates through an integer grid, so their results are snapped back
//! onto the input vertices ([`snap`]) to keep borders shared with territories
//! the operation did not touch.

use std::collections::HashSet;

use geo::orient::{Direction, Orient};
use geo::{
    Area, BooleanOps, BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon,
    Rect, Validation, unary_union,
};
use rayon::prelude::*;
use rstar::{AABB, RTree};

use super::edit::{Edit, TerritoryProps};
use super::engine::Engine;
use super::error::{Error, Result};
use super::geometry::normalize;
use super::model::{Project, Territory, TerritoryId, TerritoryTypeId, palette_color};

/// How a newly drawn territory treats the territories it overlaps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DrawMode {
    /// The new shape takes its area from the unlocked territories it
    /// overlaps, so the plan gains no overlaps.
    #[default]
    TakeFromNeighbors,
    /// The overlap is kept; the new territory gets a priority above all
    /// others, so it wins the overlapped accounts.
    Overlay,
}

// ---------------------------------------------------------------- drawing

/// A new territory called `name` (made unique) with the drawn `polygon`.
///
/// The polygon needs three distinct corners and some area; a
/// self-intersecting outline is repaired (even-odd union with itself).
/// Locked territories always clip the new shape (they keep every account);
/// with [`DrawMode::TakeFromNeighbors`] every overlapped unlocked territory
/// loses the overlap to the new one.
pub fn draw_territory(
    project: &Project,
    name: &str,
    polygon: Polygon<f64>,
    mode: DrawMode,
) -> Result<Edit> {
    draw_territory_of_type(project, project.primary_type(), name, polygon, mode)
}

/// Like [`draw_territory`], for a territory of type `ty`: only territories
/// of that type clip it or give up area (an overlay type's territories
/// never cut the geographic ones, and the other way round).
pub fn draw_territory_of_type(
    project: &Project,
    ty: TerritoryTypeId,
    name: &str,
    polygon: Polygon<f64>,
    mode: DrawMode,
) -> Result<Edit> {
    if project.territory_type(ty).is_none() {
        return Err(Error::invalid(format!(
            "no territory type with id {}",
            ty.0
        )));
    }
    let mut shape = clean_drawn(polygon)?;
    let Some(mut bb) = shape.bounding_rect() else {
        return Err(Error::invalid("the drawn shape is empty"));
    };
    let overlaps = |t: &Territory, bb: &Rect<f64>| {
        !t.geometry.0.is_empty()
            && t.geometry
                .bounding_rect()
                .is_some_and(|r| rects_meet(&r, bb))
    };
    let same = |t: &&Territory| t.type_id == ty;
    for t in project.territories.iter().filter(same).filter(|t| t.locked) {
        if overlaps(t, &bb) {
            let cut = shape.difference(&t.geometry);
            shape = snap(cut, &[&shape, &t.geometry]);
        }
    }
    let area = shape.unsigned_area();
    if area <= tiny_area(&bb) {
        return Err(Error::invalid(
            "the drawn shape lies entirely inside locked territories",
        ));
    }
    bb = shape.bounding_rect().unwrap_or(bb);

    let mut edits = Vec::new();
    let mut priority = 0;
    match mode {
        DrawMode::TakeFromNeighbors => {
            let mut done: Vec<MultiPolygon<f64>> = Vec::new();
            for t in project
                .territories
                .iter()
                .filter(same)
                .filter(|t| !t.locked)
            {
                if !overlaps(t, &bb) {
                    continue;
                }
                let before = t.geometry.unsigned_area();
                let rest = t.geometry.difference(&shape);
                if before - rest.unsigned_area() <= tiny_area(&bb).max(before * 1e-12) {
                    continue; // only touches, or no overlap at all
                }
                // Each overlay rounds on its own grid: snap onto the crossing
                // points earlier neighbours got, so both sides of a border agree.
                let mut refs = vec![&t.geometry, &shape];
                refs.extend(done.iter());
                let rest = snap(rest, &refs);
                done.push(rest.clone());
                edits.push(Edit::SetGeometry {
                    id: t.id,
                    geometry: rest,
                });
            }
            // The neighbours gained vertices where the outline crosses their
            // borders; give the new shape the same ones so borders stay shared.
            let mut refs = vec![&shape];
            refs.extend(done.iter());
            shape = snap(shape.clone(), &refs);
        }
        DrawMode::Overlay => {
            priority = project
                .territories
                .iter()
                .filter(same)
                .map(|t| t.priority.saturating_add(1))
                .max()
                .unwrap_or(0);
        }
    }
    let id = TerritoryId(project.next_territory_id);
    let name = unique_name(
        project,
        if name.trim().is_empty() {
            "Territory"
        } else {
            name.trim()
        },
    );
    let mut territory = Territory::new(id, name.clone(), shape);
    territory.priority = priority;
    territory.type_id = ty;
    edits.push(Edit::AddTerritory {
        territory,
        position: project.territories.len(),
    });
    Ok(Edit::Batch {
        label: format!("Draw territory '{name}'"),
        edits,
    })
}

/// Validates a drawn outline and repairs a self-intersecting one.
fn clean_drawn(polygon: Polygon<f64>) -> Result<MultiPolygon<f64>> {
    if polygon
        .exterior()
        .coords()
        .chain(polygon.interiors().iter().flat_map(|r| r.coords()))
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err(Error::invalid(
            "the drawn shape has a non-finite coordinate",
        ));
    }
    let distinct: HashSet<(u64, u64)> = polygon
        .exterior()
        .coords()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect();
    if distinct.len() < 3 {
        return Err(Error::invalid("a territory needs at least three corners"));
    }
    let (shape, _) = normalize(MultiPolygon(vec![polygon]));
    let Some(bb) = shape.bounding_rect() else {
        return Err(Error::invalid("a territory needs at least three corners"));
    };
    let shape = if shape.is_valid() {
        shape
    } else {
        // Self-intersecting (a bow tie, a loop): the even-odd union with itself
        // splits it at the crossings into simple pieces.
        let fixed = shape.union(&shape);
        snap(fixed, &[&shape])
    };
    if shape.unsigned_area() <= tiny_area(&bb) {
        return Err(Error::invalid("the drawn shape has no area"));
    }
    Ok(shape)
}

// ------------------------------------------------------- vertex handles

/// Where a vertex is: polygon, ring (0 = exterior, `k` = hole `k - 1`) and
/// vertex index in the ring (the closing repeat of vertex 0 is not counted).
type RingRef = (usize, usize);

fn ring_of(shape: &MultiPolygon<f64>, (p, r): RingRef) -> Option<&LineString<f64>> {
    let poly = shape.0.get(p)?;
    if r == 0 {
        Some(poly.exterior())
    } else {
        poly.interiors().get(r - 1)
    }
}

/// The distinct vertices of a closed ring (without the closing repeat).
fn open(ring: &LineString<f64>) -> &[Coord<f64>] {
    let c = &ring.0;
    if c.len() > 1 && c.first() == c.last() {
        &c[..c.len() - 1]
    } else {
        c
    }
}

/// Applies `f` to the open vertex list of every ring and closes them again.
fn map_rings(
    shape: &MultiPolygon<f64>,
    mut f: impl FnMut(&mut Vec<Coord<f64>>) -> Result<()>,
) -> Result<MultiPolygon<f64>> {
    let mut out = Vec::with_capacity(shape.0.len());
    for poly in &shape.0 {
        let mut fix = |ring: &LineString<f64>| -> Result<LineString<f64>> {
            let mut v = open(ring).to_vec();
            f(&mut v)?;
            if let Some(&first) = v.first() {
                v.push(first);
            }
            Ok(LineString(v))
        };
        let ext = fix(poly.exterior())?;
        let holes = poly
            .interiors()
            .iter()
            .map(&mut fix)
            .collect::<Result<_>>()?;
        out.push(Polygon::new(ext, holes));
    }
    Ok(MultiPolygon(out))
}

fn has_vertex(t: &Territory, c: Coord<f64>) -> bool {
    t.geometry
        .0
        .iter()
        .any(|p| p.exterior().0.contains(&c) || p.interiors().iter().any(|r| r.0.contains(&c)))
}

/// The first edge `k` (from vertex `k` to `k + 1`, wrapping) of the open
/// ring `v` that `c` lies on strictly between its ends.
fn edge_through(v: &[Coord<f64>], c: Coord<f64>) -> Option<usize> {
    let n = v.len();
    (0..n).find(|&k| {
        let (a, b) = (v[k], v[(k + 1) % n]);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        let cross = dx * (c.y - a.y) - dy * (c.x - a.x);
        let along = dx * (c.x - a.x) + dy * (c.y - a.y);
        // Collinear to within a hair of the edge's length (rounding).
        len2 > 0.0 && cross.abs() <= 1e-9 * len2 && along > 0.0 && along < len2
    })
}

/// True when `c` lies on an edge of some ring of `shape` (not at a vertex).
fn on_some_edge(shape: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
    shape.0.iter().any(|p| {
        p.bounding_rect().is_some_and(|r| {
            c.x >= r.min().x && c.x <= r.max().x && c.y >= r.min().y && c.y <= r.max().y
        }) && std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| edge_through(open(r), c).is_some())
    })
}

fn locked_error(t: &Territory, what: &str) -> Error {
    Error::invalid(format!(
        "{what} is shared with locked territory '{}'; unlock it first",
        t.name
    ))
}

fn editable(project: &Project, id: TerritoryId) -> Result<&Territory> {
    let t = project
        .territory(id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    if t.locked {
        return Err(Error::invalid(format!(
            "territory '{}' is locked; unlock it first",
            t.name
        )));
    }
    Ok(t)
}

fn vertex_at(
    t: &Territory,
    polygon_idx: usize,
    ring_idx: usize,
    vertex_idx: usize,
) -> Result<(&[Coord<f64>], Coord<f64>)> {
    let ring = ring_of(&t.geometry, (polygon_idx, ring_idx)).map(open);
    match ring {
        Some(v) if vertex_idx < v.len() => Ok((v, v[vertex_idx])),
        _ => Err(Error::invalid(format!(
            "territory '{}' has no vertex {vertex_idx} in ring {ring_idx} of part {polygon_idx}",
            t.name
        ))),
    }
}

/// Moves a vertex of territory `id` to `to`. Every other territory with a
/// vertex at exactly the same coordinates (a shared border or corner) moves
/// it too, so the neighbour gives or takes the area. Refuses a move that
/// would make a ring cross itself, or that touches a locked territory.
///
/// Looks at every territory of the type; [`move_vertex_near`] (what
/// `Workspace::move_vertex` uses for each mouse move of a drag) looks only
/// at those whose boxes hold the vertex.
pub fn move_vertex(
    project: &Project,
    id: TerritoryId,
    polygon_idx: usize,
    ring_idx: usize,
    vertex_idx: usize,
    to: (f64, f64),
) -> Result<Edit> {
    let at = VertexRef {
        id,
        part: polygon_idx,
        ring: ring_idx,
        vertex: vertex_idx,
    };
    move_vertex_near(project, &|_, _| None, at, to)
}

/// Finds the territories of a type whose bounding boxes may hold a point: a
/// superset, in plan order; `None` to look at every territory of the type.
pub type Around<'a> = dyn Fn(TerritoryTypeId, Coord<f64>) -> Option<Vec<&'a Territory>> + 'a;

/// Which vertex: territory, part (polygon), ring (0 the exterior) and
/// vertex within the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VertexRef {
    /// The territory.
    pub id: TerritoryId,
    /// Its polygon.
    pub part: usize,
    /// The ring in the polygon (0 the exterior, then the holes).
    pub ring: usize,
    /// The vertex in the ring.
    pub vertex: usize,
}

/// [`move_vertex`] with the territories that may share the vertex found by
/// `around`: a drag step then costs what the vertex's neighbours cost, not
/// a scan of every territory's vertices. Same result as [`move_vertex`]
/// whenever `around` returns a superset of the territories whose boxes
/// hold the vertex.
pub fn move_vertex_near<'a>(
    project: &'a Project,
    around: &Around<'a>,
    at: VertexRef,
    to: (f64, f64),
) -> Result<Edit> {
    let t = editable(project, at.id)?;
    let (_, from) = vertex_at(t, at.part, at.ring, at.vertex)?;
    let to = Coord { x: to.0, y: to.1 };
    if !(to.x.is_finite() && to.y.is_finite()) {
        return Err(Error::invalid(
            "the vertex cannot move to a non-finite position",
        ));
    }
    let near: Vec<&Territory> = around(t.type_id, from).unwrap_or_else(|| {
        project
            .territories
            .iter()
            .filter(|u| u.type_id == t.type_id)
            .collect()
    });
    let same_type = || near.iter().copied().filter(|u| u.type_id == t.type_id);
    let mut edits = Vec::new();
    for u in same_type().filter(|u| has_vertex(u, from)) {
        if u.locked {
            return Err(locked_error(u, "this vertex"));
        }
        let geometry = map_rings(&u.geometry, |v| {
            for c in v.iter_mut().filter(|c| **c == from) {
                *c = to;
            }
            Ok(())
        })?;
        check_around(&geometry, to, u)?;
        edits.push(Edit::SetGeometry { id: u.id, geometry });
    }
    // A neighbour whose border runs straight through the vertex (a
    // T-junction: the vertex is on its edge, not one of its vertices) gets
    // the vertex inserted there, so it follows too; otherwise the two
    // would overlap in a wedge (drawn darker) or leave a gap.
    for u in same_type().filter(|u| !has_vertex(u, from) && on_some_edge(&u.geometry, from)) {
        if u.locked {
            return Err(locked_error(u, "this vertex"));
        }
        let geometry = map_rings(&u.geometry, |v| {
            if let Some(k) = edge_through(v, from) {
                v.insert(k + 1, to);
            }
            Ok(())
        })?;
        check_around(&geometry, to, u)?;
        edits.push(Edit::SetGeometry { id: u.id, geometry });
    }
    Ok(Edit::Batch {
        label: format!("Move a vertex of '{}'", t.name),
        edits,
    })
}

/// Inserts a vertex at `at` after vertex `after_idx` of a ring of territory
/// `id` (the map's midpoint handle). Territories that have the same segment
/// (same two endpoints, either direction) get the vertex too.
pub fn insert_vertex(
    project: &Project,
    id: TerritoryId,
    polygon_idx: usize,
    ring_idx: usize,
    after_idx: usize,
    at: (f64, f64),
) -> Result<Edit> {
    let t = editable(project, id)?;
    let (ring, a) = vertex_at(t, polygon_idx, ring_idx, after_idx)?;
    let b = ring[(after_idx + 1) % ring.len()];
    let at = Coord { x: at.0, y: at.1 };
    if !(at.x.is_finite() && at.y.is_finite()) {
        return Err(Error::invalid(
            "a vertex cannot go to a non-finite position",
        ));
    }
    if at == a || at == b {
        return Err(Error::invalid("the new vertex is on an existing one"));
    }
    let mut edits = Vec::new();
    for u in project
        .territories
        .iter()
        .filter(|u| u.type_id == t.type_id && has_vertex(u, a))
    {
        let mut hit = false;
        let geometry = map_rings(&u.geometry, |v| {
            let n = v.len();
            // From the back so insertions do not shift the pairs still to visit.
            for k in (0..n).rev() {
                let (p, q) = (v[k], v[(k + 1) % n]);
                if (p == a && q == b) || (p == b && q == a) {
                    v.insert(k + 1, at);
                    hit = true;
                }
            }
            Ok(())
        })?;
        if !hit {
            continue;
        }
        if u.locked {
            return Err(locked_error(u, "this edge"));
        }
        check_around(&geometry, at, u)?;
        edits.push(Edit::SetGeometry { id: u.id, geometry });
    }
    Ok(Edit::Batch {
        label: format!("Add a vertex to '{}'", t.name),
        edits,
    })
}

/// Deletes a vertex of territory `id`, and the same vertex of every
/// territory that shares it along the same border (same two neighbouring
/// vertices). Refuses when a ring would keep fewer than three vertices, and
/// at a corner where the neighbours' borders differ (deleting it there would
/// open a gap or an overlap).
pub fn delete_vertex(
    project: &Project,
    id: TerritoryId,
    polygon_idx: usize,
    ring_idx: usize,
    vertex_idx: usize,
) -> Result<Edit> {
    let t = editable(project, id)?;
    let (ring, v) = vertex_at(t, polygon_idx, ring_idx, vertex_idx)?;
    let n = ring.len();
    let (p, q) = (ring[(vertex_idx + n - 1) % n], ring[(vertex_idx + 1) % n]);
    let mut edits = Vec::new();
    for u in project
        .territories
        .iter()
        .filter(|u| u.type_id == t.type_id && has_vertex(u, v))
    {
        if u.locked {
            return Err(locked_error(u, "this vertex"));
        }
        let geometry = map_rings(&u.geometry, |r| {
            let n = r.len();
            let Some(k) = r.iter().position(|c| *c == v) else {
                return Ok(());
            };
            let (a, b) = (r[(k + n - 1) % n], r[(k + 1) % n]);
            if !((a == p && b == q) || (a == q && b == p)) {
                return Err(Error::invalid(format!(
                    "this vertex is a corner shared with '{}'; move it instead of deleting it",
                    u.name
                )));
            }
            if n <= 3 {
                return Err(Error::invalid(format!(
                    "a ring of '{}' would keep fewer than three vertices",
                    u.name
                )));
            }
            r.remove(k);
            Ok(())
        })?;
        if geometry.unsigned_area() <= 0.0 || !rings_simple_near(&geometry, p) {
            return Err(Error::invalid(format!(
                "deleting this vertex would make '{}' cross itself",
                u.name
            )));
        }
        edits.push(Edit::SetGeometry { id: u.id, geometry });
    }
    Ok(Edit::Batch {
        label: format!("Delete a vertex of '{}'", t.name),
        edits,
    })
}

/// Refuses a reshaped territory whose edges at `c` cross another edge of the
/// same polygon, or that collapsed onto a neighbouring vertex.
fn check_around(shape: &MultiPolygon<f64>, c: Coord<f64>, t: &Territory) -> Result<()> {
    if rings_simple_near(shape, c) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "that would make the border of '{}' cross itself: drag back, or move its \
             other vertices first (letting go keeps the last allowed place)",
            t.name
        )))
    }
}

/// True when no edge touching vertex `c` crosses or touches another edge of
/// its polygon (other than its neighbours at the shared endpoint). Linear in
/// the polygon's size, so it is cheap enough for a drag.
fn rings_simple_near(shape: &MultiPolygon<f64>, c: Coord<f64>) -> bool {
    for poly in &shape.0 {
        let rings: Vec<&[Coord<f64>]> = std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .map(open)
            .collect();
        // Edges at `c` (the moved, inserted or bridged vertex).
        let mut at_c = Vec::new();
        for (ri, r) in rings.iter().enumerate() {
            let n = r.len();
            for k in 0..n {
                let (a, b) = (r[k], r[(k + 1) % n]);
                if a == b {
                    return false; // collapsed onto a neighbour
                }
                if a == c || b == c {
                    at_c.push((ri, k, a, b));
                }
            }
        }
        for &(ri, k, a, b) in &at_c {
            for (rj, r) in rings.iter().enumerate() {
                let n = r.len();
                for m in 0..n {
                    if rj == ri && m == k {
                        continue;
                    }
                    let (p, q) = (r[m], r[(m + 1) % n]);
                    let adjacent = rj == ri && ((m + 1) % n == k || (k + 1) % n == m);
                    if adjacent {
                        // Neighbours share one endpoint; they only fail by
                        // folding back onto each other.
                        if collinear_overlap(a, b, p, q) {
                            return false;
                        }
                        continue;
                    }
                    if segments_meet(a, b, p, q) {
                        return false;
                    }
                }
            }
        }
    }
    true
}

fn orient2d(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// True when closed segments `ab` and `pq` share any point.
fn segments_meet(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>, q: Coord<f64>) -> bool {
    let (d1, d2) = (orient2d(p, q, a), orient2d(p, q, b));
    let (d3, d4) = (orient2d(a, b, p), orient2d(a, b, q));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(p, q, a))
        || (d2 == 0.0 && on_segment(p, q, b))
        || (d3 == 0.0 && on_segment(a, b, p))
        || (d4 == 0.0 && on_segment(a, b, q))
}

/// Two segments sharing an endpoint that lie on one line and overlap (a
/// spike folding back).
fn collinear_overlap(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>, q: Coord<f64>) -> bool {
    if orient2d(a, b, p) != 0.0 || orient2d(a, b, q) != 0.0 {
        return false;
    }
    let shared = if a == p || a == q { a } else { b };
    let u = if a == shared { b } else { a };
    let w = if p == shared { q } else { p };
    // Same direction from the shared endpoint = overlap.
    (u.x - shared.x) * (w.x - shared.x) + (u.y - shared.y) * (w.y - shared.y) > 0.0
}

// ------------------------------------------------------------ split/merge

/// Splits territory `id` along a drawn polyline. The line is extended at
/// both ends to the edge of a box around the territory; the side of it on
/// the left becomes one part, the rest the other. The original keeps the
/// larger part, a new territory `"<name> (2)"` gets the smaller. Errors when
/// the line does not cut the territory in two.
pub fn split_territory(project: &Project, id: TerritoryId, line: LineString<f64>) -> Result<Edit> {
    let t = editable(project, id)?;
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(line.0.len());
    for c in line.0 {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(Error::invalid("the split line has a non-finite coordinate"));
        }
        if pts.last() != Some(&c) {
            pts.push(c);
        }
    }
    if pts.len() < 2 {
        return Err(Error::invalid(
            "draw a line with at least two points to split",
        ));
    }
    let Some(tb) = t.geometry.bounding_rect() else {
        return Err(Error::invalid(format!(
            "'{}' has no shape to split",
            t.name
        )));
    };
    let lb = LineString(pts.clone()).bounding_rect().unwrap_or(tb);
    let (minx, miny) = (tb.min().x.min(lb.min().x), tb.min().y.min(lb.min().y));
    let (maxx, maxy) = (tb.max().x.max(lb.max().x), tb.max().y.max(lb.max().y));
    let pad = (maxx - minx).max(maxy - miny).max(1e-9);
    let b = [minx - pad, miny - pad, maxx + pad, maxy + pad];

    // Extend both ends along their end segments to the box edge.
    let first = ray_to_box(pts[0], pts[0] - pts[1], b);
    let last = ray_to_box(
        pts[pts.len() - 1],
        pts[pts.len() - 1] - pts[pts.len() - 2],
        b,
    );
    let mut side: Vec<Coord<f64>> = Vec::with_capacity(pts.len() + 6);
    side.push(first);
    side.extend_from_slice(&pts);
    side.push(last);
    // Back along the box edge, counter-clockwise, from the end to the start:
    // the polygon is everything left of the line.
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    let per = 2.0 * (w + h);
    let s_of = |c: Coord<f64>| {
        if c.y == b[1] {
            c.x - b[0]
        } else if c.x == b[2] {
            w + (c.y - b[1])
        } else if c.y == b[3] {
            w + h + (b[2] - c.x)
        } else {
            2.0 * w + h + (b[3] - c.y)
        }
    };
    let corners = [
        (w, Coord { x: b[2], y: b[1] }),
        (w + h, Coord { x: b[2], y: b[3] }),
        (2.0 * w + h, Coord { x: b[0], y: b[3] }),
        (per, Coord { x: b[0], y: b[1] }),
    ];
    let (s0, s1) = (s_of(last), s_of(first));
    let span = (s1 - s0).rem_euclid(per);
    let mut around: Vec<(f64, Coord<f64>)> = corners
        .iter()
        .chain(corners.iter())
        .map(|&(s, c)| (s, c))
        .enumerate()
        .map(|(k, (s, c))| (if k >= 4 { s + per } else { s }, c))
        .filter(|&(s, _)| s > s0 && s - s0 < span)
        .collect();
    around.sort_by(|x, y| x.0.total_cmp(&y.0));
    side.extend(around.into_iter().map(|(_, c)| c));
    let half = MultiPolygon(vec![Polygon::new(LineString(side), vec![])]);

    let refs: [&MultiPolygon<f64>; 2] = [&t.geometry, &half];
    let left = snap(t.geometry.intersection(&half), &refs);
    // Onto the left part's crossing points too, so the cut is one border.
    let right = snap(t.geometry.difference(&half), &[&t.geometry, &half, &left]);
    let (al, ar) = (left.unsigned_area(), right.unsigned_area());
    let eps = tiny_area(&tb).max(t.geometry.unsigned_area() * 1e-9);
    if al <= eps || ar <= eps {
        return Err(Error::invalid(format!(
            "the line does not cut '{}' in two",
            t.name
        )));
    }
    // The cut's ends are new vertices on borders shared with neighbours.
    let mut edits = share_new_vertices(project, id, &t.geometry, &[&left, &right])?;
    let (keep, give) = if al >= ar {
        (left, right)
    } else {
        (right, left)
    };
    let new_id = TerritoryId(project.next_territory_id);
    let new_name = unique_name(project, &format!("{} (2)", t.name));
    let mut part = t.clone();
    part.id = new_id;
    part.name = new_name;
    part.color = palette_color(new_id.0 as usize);
    part.color_picked = false;
    part.geometry = give;
    let position = project
        .territory_pos(id)
        .map_or(project.territories.len(), |p| p + 1);
    edits.push(Edit::SetGeometry { id, geometry: keep });
    edits.push(Edit::AddTerritory {
        territory: part,
        position,
    });
    Ok(Edit::Batch {
        label: format!("Split '{}'", t.name),
        edits,
    })
}

/// Edits that insert, into the unlocked territories sharing a border with
/// territory `id`, the vertices its new `parts` gained on the old outline
/// `orig` (where a cut meets the border). Without them each such vertex
/// would sit ~1e-9° off the neighbour's edge: a sliver of gap or overlap.
fn share_new_vertices(
    project: &Project,
    id: TerritoryId,
    orig: &MultiPolygon<f64>,
    parts: &[&MultiPolygon<f64>],
) -> Result<Vec<Edit>> {
    let verts = |m: &MultiPolygon<f64>| -> Vec<Coord<f64>> {
        m.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| open(r).iter().copied())
            .collect()
    };
    let known: HashSet<(u64, u64)> = verts(orig)
        .iter()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect();
    let Some(bb) = orig.bounding_rect() else {
        return Ok(Vec::new());
    };
    let tol = bb.width().max(bb.height()) * 8.0 / f64::from(1u32 << 30);
    // (a, b, c): new vertex c on original edge a-b.
    let mut on_edges: Vec<(Coord<f64>, Coord<f64>, Coord<f64>)> = Vec::new();
    for c in parts.iter().flat_map(|m| verts(m)) {
        if known.contains(&(c.x.to_bits(), c.y.to_bits())) {
            continue;
        }
        let edge = orig
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .find(|l| {
                let (a, b) = (l.start, l.end);
                let d = b - a;
                let w = c - a;
                let len2 = d.x * d.x + d.y * d.y;
                let t = (w.x * d.x + w.y * d.y) / len2;
                let cross = d.x * w.y - d.y * w.x;
                len2 > 0.0 && t > 0.0 && t < 1.0 && cross * cross <= tol * tol * len2
            });
        if let Some(l) = edge
            && !on_edges.iter().any(|e| e.2 == c)
        {
            on_edges.push((l.start, l.end, c));
        }
    }
    let mut edits = Vec::new();
    if on_edges.is_empty() {
        return Ok(edits);
    }
    let ty = project.territory(id).map(|t| t.type_id);
    for u in project.territories.iter() {
        if u.id == id
            || u.locked
            || Some(u.type_id) != ty
            || !on_edges.iter().any(|e| has_vertex(u, e.0))
        {
            continue;
        }
        let mut hit = false;
        let geometry = map_rings(&u.geometry, |v| {
            let n = v.len();
            // From the back so insertions do not shift the pairs still to visit.
            for k in (0..n).rev() {
                let (p, q) = (v[k], v[(k + 1) % n]);
                let mut ins: Vec<(f64, Coord<f64>)> = on_edges
                    .iter()
                    .filter(|(a, b, _)| (p == *a && q == *b) || (p == *b && q == *a))
                    .map(|&(_, _, c)| ((c.x - p.x).hypot(c.y - p.y), c))
                    .collect();
                if ins.is_empty() {
                    continue;
                }
                ins.sort_by(|x, y| x.0.total_cmp(&y.0));
                hit = true;
                for (j, (_, c)) in ins.into_iter().enumerate() {
                    v.insert(k + 1 + j, c);
                }
            }
            Ok(())
        })?;
        if hit {
            edits.push(Edit::SetGeometry { id: u.id, geometry });
        }
    }
    Ok(edits)
}

/// Where the ray from `p` in direction `d` leaves box `b` (which contains
/// `p`), with the exit coordinate set exactly on the box edge.
fn ray_to_box(p: Coord<f64>, d: Coord<f64>, b: [f64; 4]) -> Coord<f64> {
    let mut t_best = f64::INFINITY;
    let mut hit = Coord { x: b[0], y: p.y };
    let mut try_edge = |t: f64, c: Coord<f64>| {
        if t.is_finite() && t >= 0.0 && t < t_best {
            t_best = t;
            hit = c;
        }
    };
    if d.x > 0.0 {
        let t = (b[2] - p.x) / d.x;
        try_edge(
            t,
            Coord {
                x: b[2],
                y: (p.y + t * d.y).clamp(b[1], b[3]),
            },
        );
    } else if d.x < 0.0 {
        let t = (b[0] - p.x) / d.x;
        try_edge(
            t,
            Coord {
                x: b[0],
                y: (p.y + t * d.y).clamp(b[1], b[3]),
            },
        );
    }
    if d.y > 0.0 {
        let t = (b[3] - p.y) / d.y;
        try_edge(
            t,
            Coord {
                x: (p.x + t * d.x).clamp(b[0], b[2]),
                y: b[3],
            },
        );
    } else if d.y < 0.0 {
        let t = (b[1] - p.y) / d.y;
        try_edge(
            t,
            Coord {
                x: (p.x + t * d.x).clamp(b[0], b[2]),
                y: b[1],
            },
        );
    }
    hit
}

/// Merges territories into the first of `ids` (union of the shapes), named
/// `name` if given. The others are removed; accounts pinned to them are
/// re-pinned to the merged territory so none silently changes owner.
pub fn merge_territories(
    project: &Project,
    ids: &[TerritoryId],
    name: Option<String>,
) -> Result<Edit> {
    let mut uniq: Vec<TerritoryId> = Vec::with_capacity(ids.len());
    for &id in ids {
        if !uniq.contains(&id) {
            uniq.push(id);
        }
    }
    if uniq.len() < 2 {
        return Err(Error::invalid("choose at least two territories to merge"));
    }
    let ts: Vec<&Territory> = uniq
        .iter()
        .map(|&id| editable(project, id))
        .collect::<Result<_>>()?;
    let into = ts[0];
    if let Some(other) = ts.iter().find(|t| t.type_id != into.type_id) {
        let type_name = |t: &Territory| {
            project
                .territory_type(t.type_id)
                .map_or_else(|| format!("type {}", t.type_id.0), |ty| ty.name.clone())
        };
        return Err(Error::invalid(format!(
            "cannot merge '{}' ({}) with '{}' ({}): territories of different types never merge",
            into.name,
            type_name(into),
            other.name,
            type_name(other)
        )));
    }
    // unary_union wants one winding order: normalize gives CCW exteriors.
    let shapes: Vec<MultiPolygon<f64>> = ts
        .iter()
        .map(|t| t.geometry.clone().orient(Direction::Default))
        .collect();
    let refs: Vec<&MultiPolygon<f64>> = shapes.iter().collect();
    let merged = snap(unary_union(shapes.iter()), &refs);
    let others: HashSet<TerritoryId> = uniq[1..].iter().copied().collect();
    let mut repin: Vec<u32> = project
        .accounts
        .pins
        .iter()
        .filter(|(_, p)| others.contains(p))
        .map(|(i, _)| i as u32)
        .collect();
    repin.dedup();
    let mut edits = vec![Edit::SetGeometry {
        id: into.id,
        geometry: merged,
    }];
    if !repin.is_empty() {
        // Before the removals, which would otherwise just drop these pins.
        edits.push(Edit::pin_all(into.type_id, repin, Some(into.id)));
    }
    edits.extend(uniq[1..].iter().map(|&id| Edit::RemoveTerritory { id }));
    if let Some(n) = name.filter(|n| *n != into.name) {
        // After the removals, so a merged territory's name can be reused.
        let mut props = TerritoryProps::of(into);
        props.name = n;
        edits.push(Edit::SetTerritoryProps { id: into.id, props });
    }
    Ok(Edit::Batch {
        label: format!("Merge {} territories into '{}'", uniq.len(), into.name),
        edits,
    })
}

// ------------------------------------------------------------ paint units

/// Paints geographic units (see [`crate::core::units`]) into territory
/// `target`: its shape becomes its union with the `units`, and every other
/// unlocked territory gives up whatever part of the units it had, so the plan
/// gains no overlaps. Locked territories keep their area (the painted units
/// are clipped by them). `Ok(None)` when nothing would change (the units are
/// already all in the target, or lie inside locked territories).
pub fn paint_units(
    project: &Project,
    target: TerritoryId,
    units: &[&MultiPolygon<f64>],
) -> Result<Option<Edit>> {
    let t = editable(project, target)?;
    let shapes: Vec<MultiPolygon<f64>> = units
        .iter()
        .filter(|u| !u.0.is_empty())
        .map(|u| (*u).clone().orient(Direction::Default))
        .collect();
    if shapes.is_empty() {
        return Ok(None);
    }
    let refs: Vec<&MultiPolygon<f64>> = shapes.iter().collect();
    let mut piece = if shapes.len() == 1 {
        shapes[0].clone()
    } else {
        snap(unary_union(shapes.iter()), &refs)
    };
    let Some(mut bb) = piece.bounding_rect() else {
        return Ok(None);
    };
    let overlaps = |u: &Territory, bb: &Rect<f64>| {
        !u.geometry.0.is_empty()
            && u.geometry
                .bounding_rect()
                .is_some_and(|r| rects_meet(&r, bb))
    };
    for u in project
        .territories
        .iter()
        .filter(|u| u.locked && u.type_id == t.type_id)
    {
        if overlaps(u, &bb) {
            let cut = piece.difference(&u.geometry);
            piece = snap(cut, &[&piece, &u.geometry]);
        }
    }
    bb = match piece.bounding_rect() {
        Some(b) => b,
        None => return Ok(None),
    };
    let eps = tiny_area(&bb);
    let added = if t.geometry.0.is_empty() {
        piece.unsigned_area()
    } else {
        piece.difference(&t.geometry).unsigned_area()
    };
    if added <= eps.max(piece.unsigned_area() * 1e-9) {
        return Ok(None);
    }
    let mut edits = Vec::new();
    let mut done: Vec<MultiPolygon<f64>> = Vec::new();
    for u in project.territories.iter() {
        if u.id == target || u.locked || u.type_id != t.type_id || !overlaps(u, &bb) {
            continue;
        }
        let before = u.geometry.unsigned_area();
        let rest = u.geometry.difference(&piece);
        if before - rest.unsigned_area() <= eps.max(before * 1e-12) {
            continue; // only touches
        }
        let mut refs = vec![&u.geometry, &piece];
        refs.extend(done.iter());
        let rest = snap(rest, &refs);
        done.push(rest.clone());
        edits.push(Edit::SetGeometry {
            id: u.id,
            geometry: rest,
        });
    }
    let grown = if t.geometry.0.is_empty() {
        piece.clone()
    } else {
        t.geometry.clone().orient(Direction::Default).union(&piece)
    };
    let mut refs = vec![&t.geometry, &piece];
    refs.extend(done.iter());
    edits.push(Edit::SetGeometry {
        id: target,
        geometry: snap(grown, &refs),
    });
    Ok(Some(Edit::Batch {
        label: format!("Paint {} unit(s) into '{}'", shapes.len(), t.name),
        edits,
    }))
}

// ------------------------------------------------------------- properties

fn props_edit(
    project: &Project,
    id: TerritoryId,
    f: impl FnOnce(&mut TerritoryProps),
) -> Result<Edit> {
    let t = project
        .territory(id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    let mut props = TerritoryProps::of(t);
    f(&mut props);
    Ok(Edit::SetTerritoryProps { id, props })
}

/// Renames territory `id` (the name must be free; checked on apply).
pub fn rename(project: &Project, id: TerritoryId, name: &str) -> Result<Edit> {
    let name = name.trim().to_owned();
    props_edit(project, id, |p| p.name = name)
}

/// Changes the fill color of territory `id`.
pub fn recolor(project: &Project, id: TerritoryId, color: [u8; 3]) -> Result<Edit> {
    props_edit(project, id, |p| {
        p.color = color;
        p.color_picked = true;
    })
}

/// Locks or unlocks territory `id` (allowed on a locked territory: it is
/// how one unlocks it).
pub fn lock(project: &Project, id: TerritoryId, locked: bool) -> Result<Edit> {
    props_edit(project, id, |p| p.locked = locked)
}

/// Deletes territory `id` (refused when locked).
pub fn delete(project: &Project, id: TerritoryId) -> Result<Edit> {
    editable(project, id)?;
    Ok(Edit::RemoveTerritory { id })
}

// --------------------------------------------------------------- accounts

/// Pins `accounts` to `target` (drag-and-drop of one account or a lasso
/// selection). Refuses a locked target, and accounts whose current
/// territory (per `engine`) is locked.
pub fn drop_accounts(
    project: &Project,
    engine: &Engine,
    accounts: &[u32],
    target: TerritoryId,
) -> Result<Edit> {
    let t = project
        .territory(target)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", target.0)))?;
    if t.locked {
        return Err(Error::invalid(format!(
            "territory '{}' is locked; unlock it first",
            t.name
        )));
    }
    if t.type_id != engine.type_id() {
        return Err(Error::invalid(format!(
            "territory '{}' is not of the type shown; switch the map to its type first",
            t.name
        )));
    }
    check_account_sources(project, engine, accounts, Some(target))?;
    Ok(Edit::pin_all(t.type_id, accounts.to_vec(), Some(target)))
}

/// Refuses removed or unknown accounts and accounts taken from a locked
/// territory (other than `keep`, where nothing changes).
fn check_account_sources(
    project: &Project,
    engine: &Engine,
    accounts: &[u32],
    keep: Option<TerritoryId>,
) -> Result<()> {
    let locked: HashSet<TerritoryId> = project
        .territories
        .iter()
        .filter(|t| t.locked)
        .map(|t| t.id)
        .collect();
    let a = &project.accounts;
    for &i in accounts {
        let i_ = i as usize;
        if i_ >= a.len() || a.removed[i_] {
            return Err(Error::invalid(format!("no account at index {i}")));
        }
        if locked.is_empty() {
            continue;
        }
        let from = [engine.territory_of(i_), engine.pin_of(project, i_)];
        if let Some(src) = from
            .into_iter()
            .flatten()
            .find(|s| Some(*s) != keep && locked.contains(s))
        {
            let name = project.territory(src).map_or("?", |t| t.name.as_str());
            return Err(Error::invalid(format!(
                "account '{}' belongs to locked territory '{name}'; unlock it first",
                a.ids[i_]
            )));
        }
    }
    Ok(())
}

/// Removes the manual pins of `accounts` in territory type `ty`, so rules
/// and geometry decide again there (their pins in other types stay).
/// Refuses accounts pinned to a locked territory.
pub fn unpin(project: &Project, ty: TerritoryTypeId, accounts: &[u32]) -> Result<Edit> {
    let a = &project.accounts;
    for &i in accounts {
        let i_ = i as usize;
        if i_ >= a.len() {
            return Err(Error::invalid(format!("no account at index {i}")));
        }
        if let Some(t) = project
            .pin_in_type(i_, ty)
            .and_then(|p| project.territory(p))
            .filter(|t| t.locked)
        {
            return Err(Error::invalid(format!(
                "account '{}' is pinned to locked territory '{}'; unlock it first",
                a.ids[i_], t.name
            )));
        }
    }
    Ok(Edit::pin_all(ty, accounts.to_vec(), None))
}

/// Live, located accounts inside the `lasso` polygon (lasso selection), in
/// index order. A bounding-box pass over the coordinate columns comes first,
/// so only the few accounts near the lasso pay for point-in-polygon.
pub fn accounts_in_polygon(project: &Project, lasso: &Polygon<f64>) -> Vec<u32> {
    let Some(bb) = lasso.bounding_rect() else {
        return Vec::new();
    };
    let (min, max) = (bb.min(), bb.max());
    let a = &project.accounts;
    // NaN (unlocated) fails every comparison, so it never passes the box.
    (0..a.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .filter(|&i| {
            let (x, y) = (a.lon[i], a.lat[i]);
            x >= min.x && x <= max.x && y >= min.y && y <= max.y && !a.removed[i]
        })
        .filter(|&i| lasso.contains(&Point::new(a.lon[i], a.lat[i])))
        .map(|i| i as u32)
        .collect()
}

// ----------------------------------------------------------------- helpers

/// `base`, or `base (2)`, `base (3)`, … whichever is free in the plan.
fn unique_name(project: &Project, base: &str) -> String {
    let taken = |n: &str| project.territories.iter().any(|t| t.name == n);
    if !taken(base) {
        return base.to_owned();
    }
    // "North (2)" splits again into "North (3)", not "North (2) (2)".
    let stem = base
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(_, n)| n.parse::<u32>().is_ok())
        .map_or(base, |(s, _)| s);
    (2..)
        .map(|k| format!("{stem} ({k})"))
        .find(|n| !taken(n))
        .expect("some suffix is free")
}

fn rects_meet(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// An area below rounding noise for shapes the size of `bb`.
fn tiny_area(bb: &Rect<f64>) -> f64 {
    let e = bb.width().max(bb.height()).max(f64::MIN_POSITIVE);
    e * e * 1e-12
}

/// Moves every vertex of `shape` that lies within rounding distance of a
/// vertex of `originals` exactly onto it. Boolean operations round through
/// an integer grid; without this, a border shared with a territory the
/// operation did not touch would drift by ~1e-9° and open slivers.
pub fn snap(shape: MultiPolygon<f64>, originals: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let pts: Vec<[f64; 2]> = originals
        .iter()
        .flat_map(|m| m.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().map(|c| [c.x, c.y]))
        .collect();
    let extent = originals
        .iter()
        .filter_map(|m| m.bounding_rect())
        .chain(shape.bounding_rect())
        .map(|r| r.width().max(r.height()))
        .fold(0.0, f64::max);
    if pts.is_empty() || extent <= 0.0 {
        return normalize(shape).0;
    }
    // i_overlay keeps ~30 bits over the operands' extent; allow 8x that.
    let tol2 = (extent * 8.0 / f64::from(1u32 << 30)).powi(2);
    let tol = tol2.sqrt();
    let tree = RTree::bulk_load(pts);
    let snapped = map_rings(&shape, |v| {
        for c in v.iter_mut() {
            if let Some(n) = tree.nearest_neighbor(&[c.x, c.y]) {
                let d2 = (n[0] - c.x).powi(2) + (n[1] - c.y).powi(2);
                if d2 <= tol2 {
                    *c = Coord { x: n[0], y: n[1] };
                }
            }
        }
        // The overlay drops collinear vertices, but a neighbour may share
        // them: put back every original vertex that lies on a result edge.
        let n = v.len();
        let mut out = Vec::with_capacity(n);
        let mut on: Vec<(f64, Coord<f64>)> = Vec::new();
        for k in 0..n {
            let (a, b) = (v[k], v[(k + 1) % n]);
            out.push(a);
            let d = b - a;
            let len2 = d.x * d.x + d.y * d.y;
            if len2 == 0.0 {
                continue;
            }
            let env = AABB::from_corners(
                [a.x.min(b.x) - tol, a.y.min(b.y) - tol],
                [a.x.max(b.x) + tol, a.y.max(b.y) + tol],
            );
            on.clear();
            for p in tree.locate_in_envelope(&env) {
                let c = Coord { x: p[0], y: p[1] };
                if c == a || c == b {
                    continue;
                }
                let w = c - a;
                let t = (w.x * d.x + w.y * d.y) / len2;
                let cross = d.x * w.y - d.y * w.x;
                if t > 0.0 && t < 1.0 && cross * cross <= tol2 * len2 {
                    on.push((t, c));
                }
            }
            on.sort_by(|x, y| x.0.total_cmp(&y.0));
            on.dedup_by(|x, y| x.1 == y.1);
            out.extend(on.iter().map(|&(_, c)| c));
        }
        *v = out;
        Ok(())
    });
    normalize(snapped.unwrap_or(shape)).0
}
