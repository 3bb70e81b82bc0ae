//! Territory fills, outlines and name labels.
//!
//! Each territory's boundary is triangulated once ([`geom_from_lon_lat`])
//! and kept until its geometry changes (keyed by a hash of the coordinates,
//! checked only when the workspace revision moves), so editing one territory
//! re-triangulates one territory. A frame transforms the cached vertices of
//! the visible territories into one fill mesh plus outline paths.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use egui::{Align2, Color32, FontId, Mesh, Pos2, Rect, Shape, Stroke, Vec2};
use geo::MultiPolygon;
use rayon::prelude::*;

use super::PlanKey;
use super::geom::{
    Geom, geom_from_lon_lat, geom_from_lon_lat_simplified, push_fill, push_outlines,
};
use super::proj::{ViewTransform, WorldBox, boxes_touch, mercator, union_box, world_scale};
use crate::core::{TerritoryId, Workspace};

/// A territory ready to draw.
#[derive(Debug)]
pub struct TerritoryShape {
    /// Hash of the lon/lat geometry it was built from.
    pub hash: u64,
    /// Fill triangles and outline rings.
    pub geom: Geom,
    /// Simplified versions for low zoom, coarsest first: `(zoom, geom)`,
    /// each within [`LOD_TOLERANCE_PX`] of the full shape up to that zoom.
    pub lods: Vec<(f64, Geom)>,
    /// Where its label goes (world coordinates): an interior point, so it is
    /// inside even for concave shapes and shapes with holes.
    pub label_at: Option<[f64; 2]>,
    /// Other places inside it for the label when `label_at` is taken
    /// (world coordinates).
    pub label_alts: Vec<[f64; 2]>,
}

/// Hash of a multipolygon's coordinates (bit-exact).
pub fn geometry_hash(shape: &MultiPolygon<f64>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in shape {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            r.0.len().hash(&mut h);
            for c in &r.0 {
                c.x.to_bits().hash(&mut h);
                c.y.to_bits().hash(&mut h);
            }
        }
    }
    h.finish()
}

/// Zoom levels with a simplified shape (below the last, more detail is
/// invisible; a 200-vertex territory 40 points wide needs ~40).
const LOD_ZOOMS: [f64; 3] = [4.0, 6.0, 8.0];
/// How far (screen points) a simplified outline may stray at its zoom.
pub const LOD_TOLERANCE_PX: f64 = 0.6;

fn build_shape(shape: &MultiPolygon<f64>, hash: u64) -> TerritoryShape {
    // Pole of inaccessibility of the largest piece: inside the body of an
    // odd-shaped territory, never in its mouth or a neighbour.
    let label_at = crate::core::label::label_point(shape)
        .filter(|p| p.x().is_finite() && p.y().is_finite())
        .map(|p| mercator(p.x(), p.y()));
    let label_alts = crate::core::label::label_alternatives(shape)
        .into_iter()
        .map(|p| mercator(p.x(), p.y()))
        .collect();
    let geom = geom_from_lon_lat(shape);
    let mut lods: Vec<(f64, Geom)> = Vec::new();
    let mut finer = geom.verts.len();
    // Finest first, so each level is kept only if it saves a good share.
    for &z in LOD_ZOOMS.iter().rev() {
        let eps = LOD_TOLERANCE_PX / world_scale(z);
        let g = geom_from_lon_lat_simplified(shape, eps);
        if !g.tris.is_empty() && g.verts.len() * 4 <= finer * 3 {
            finer = g.verts.len();
            lods.push((z, g));
        }
    }
    lods.reverse();
    TerritoryShape {
        hash,
        geom,
        lods,
        label_at,
        label_alts,
    }
}

impl TerritoryShape {
    /// The coarsest shape that is still exact to the eye at `zoom`.
    pub fn geom_at(&self, zoom: f64) -> &Geom {
        self.lods
            .iter()
            .find(|(z, _)| zoom <= *z)
            .map_or(&self.geom, |(_, g)| g)
    }
}

/// A territory label waiting to be placed.
#[derive(Clone, Debug)]
pub struct LabelCandidate {
    /// The territory labelled.
    pub id: TerritoryId,
    /// Centre on screen.
    pub pos: Pos2,
    /// Other centres to try when `pos` overlaps a label already placed.
    pub alts: Vec<Pos2>,
    /// The territory's name.
    pub text: String,
    /// Width of the territory on screen: longer labels are skipped.
    pub max_width: f32,
    /// Screen area of its bounding box (bigger territories label first).
    pub area: f32,
    /// The selected territory is always labelled.
    pub selected: bool,
    /// A second, smaller line under the name (balance value), if asked.
    pub value: Option<String>,
}

/// How [`TerritoryLayer::paint`] draws this frame.
pub struct PaintStyle<'a> {
    /// The selected territory (highlighted, always labelled).
    pub selected: Option<TerritoryId>,
    /// Fill opacity (0..1) when each territory has its own colour.
    pub opacity: f32,
    /// Label the territories.
    pub labels: bool,
    /// Fills by a value (deviation, a measure) instead of the territories'
    /// own colours, and each territory's balance figures for the labels.
    pub coloring: Option<&'a crate::core::colorby::Coloring>,
    /// Balance figures to write under the names, when asked.
    pub values: Option<&'a crate::core::metrics::PlanMetrics>,
}

/// Smallest fill opacity when territories are coloured by a value: a
/// choropleth is read from its fills.
pub const CHOROPLETH_OPACITY: f32 = 0.72;

/// What goes over the accounts: outlines (selected last) and labels.
#[derive(Default)]
pub struct Overlay {
    /// Outline paths.
    pub outlines: Vec<Shape>,
    /// Labels to place.
    pub labels: Vec<LabelCandidate>,
}

/// Cached territory shapes and per-frame drawing buffers.
#[derive(Default)]
pub struct TerritoryLayer {
    key: Option<PlanKey>,
    shapes: HashMap<TerritoryId, Arc<TerritoryShape>>,
    fill: Arc<Mesh>,
    scratch: Vec<Pos2>,
    /// Territories drawn in the last frame.
    pub drawn: usize,
    drawn_ids: Vec<TerritoryId>,
    /// The fill colour each drawn territory got in the last frame.
    drawn_fills: Vec<(TerritoryId, [u8; 3])>,
}

impl TerritoryLayer {
    /// Brings the cache up to date with `ws` (cheap when nothing changed;
    /// after an edit only the territories it touched are looked at, see
    /// [`Workspace::changes_since`]).
    pub fn refresh(&mut self, ws: &Workspace, key: PlanKey) {
        // Called once a frame, before the map and its insets are painted.
        self.drawn_fills.clear();
        if self.key == Some(key) {
            return;
        }
        let prev = self.key.replace(key);
        let same_plan = prev.is_some_and(|p| p.accounts_at == key.accounts_at);
        if let Some(changes) = prev
            .filter(|_| same_plan)
            .and_then(|p| ws.changes_since(p.revision))
        {
            self.refresh_territories(ws, &changes.territories);
            return;
        }
        let territories = &ws.project().territories;
        let hashes: Vec<u64> = territories
            .par_iter()
            .map(|t| geometry_hash(&t.geometry))
            .collect();
        let stale: Vec<usize> = (0..territories.len())
            .filter(|&k| {
                self.shapes
                    .get(&territories[k].id)
                    .is_none_or(|s| s.hash != hashes[k])
            })
            .collect();
        let built: Vec<(TerritoryId, Arc<TerritoryShape>)> = stale
            .par_iter()
            .map(|&k| {
                let t = &territories[k];
                (t.id, Arc::new(build_shape(&t.geometry, hashes[k])))
            })
            .collect();
        self.shapes.extend(built);
        if self.shapes.len() > territories.len() {
            let live: std::collections::HashSet<TerritoryId> =
                territories.iter().map(|t| t.id).collect();
            self.shapes.retain(|id, _| live.contains(id));
        }
    }

    /// Rebuilds the shapes of territories `ids` whose geometry changed
    /// (and drops those that are gone).
    fn refresh_territories(&mut self, ws: &Workspace, ids: &[TerritoryId]) {
        let p = ws.project();
        let built: Vec<(TerritoryId, Option<Arc<TerritoryShape>>)> = ids
            .par_iter()
            .map(|&id| match p.territory(id) {
                None => (id, None),
                Some(t) => {
                    let hash = geometry_hash(&t.geometry);
                    let shape = match self.shapes.get(&id) {
                        Some(s) if s.hash == hash => s.clone(),
                        _ => Arc::new(build_shape(&t.geometry, hash)),
                    };
                    (id, Some(shape))
                }
            })
            .collect();
        for (id, shape) in built {
            match shape {
                Some(s) => {
                    self.shapes.insert(id, s);
                }
                None => {
                    self.shapes.remove(&id);
                }
            }
        }
    }

    /// The ids and geometry hashes of the cached shapes, sorted (tests
    /// compare them with the plan's).
    pub fn cached_hashes(&self) -> Vec<(TerritoryId, u64)> {
        let mut v: Vec<(TerritoryId, u64)> =
            self.shapes.iter().map(|(id, s)| (*id, s.hash)).collect();
        v.sort_unstable_by_key(|(id, _)| *id);
        v
    }

    /// The prepared shape of territory `id`.
    pub fn shape(&self, id: TerritoryId) -> Option<&TerritoryShape> {
        self.shapes.get(&id).map(|s| &**s)
    }

    /// Paints the outline of territory `id` (if drawn at this zoom) with
    /// `stroke`, over a darker halo so it shows on any fill.
    pub fn paint_outline(
        &self,
        painter: &egui::Painter,
        view: &ViewTransform,
        id: TerritoryId,
        stroke: Stroke,
    ) {
        let Some(s) = self.shapes.get(&id) else {
            return;
        };
        let g = s.geom_at(view.zoom);
        if g.is_empty() || !boxes_touch(&g.bbox, &view.world_bounds(4.0)) {
            return;
        }
        let mut screen = Vec::new();
        g.to_screen(view, &mut screen);
        let mut shapes = Vec::new();
        let halo = Stroke::new(stroke.width + 2.5, Color32::from_black_alpha(110));
        push_outlines(&mut shapes, g, &screen, halo, 0.75, &view.rect);
        push_outlines(&mut shapes, g, &screen, stroke, 0.75, &view.rect);
        painter.extend(shapes);
    }

    /// The territories drawn in the last frame, in plan order.
    pub fn drawn_ids(&self) -> &[TerritoryId] {
        &self.drawn_ids
    }

    /// The fill colour (before opacity) of each territory drawn in the
    /// last frame, on the map and in its insets.
    pub fn drawn_fills(&self) -> &[(TerritoryId, [u8; 3])] {
        &self.drawn_fills
    }

    /// World box of all territories.
    pub fn plan_box(&self) -> Option<WorldBox> {
        self.shapes
            .values()
            .filter(|s| !s.geom.is_empty())
            .fold(None, |acc, s| Some(union_box(acc, s.geom.bbox)))
    }

    /// Paints the fills; returns the outlines and label candidates, which go
    /// on top of the accounts (so dense dots never hide a boundary).
    pub fn paint(
        &mut self,
        painter: &egui::Painter,
        view: &ViewTransform,
        ws: &Workspace,
        style: &PaintStyle,
    ) -> Overlay {
        let (selected, want_labels) = (style.selected, style.labels);
        let vb = view.world_bounds(4.0);
        let by_value = style
            .coloring
            .filter(|c| c.by != crate::core::colorby::ColorBy::Territory);
        let opacity = match by_value {
            Some(_) => style.opacity.max(CHOROPLETH_OPACITY),
            None => style.opacity,
        }
        .clamp(0.0, 1.0);
        if Arc::get_mut(&mut self.fill).is_none() {
            self.fill = Arc::new(Mesh::default());
        }
        let fill = Arc::make_mut(&mut self.fill);
        fill.clear();
        let mut outlines: Vec<Shape> = Vec::new();
        let mut labels = Vec::new();
        let mut selected_outline: Vec<Shape> = Vec::new();
        let thin = if view.zoom >= 9.0 { 1.4 } else { 1.0 };
        self.drawn = 0;
        self.drawn_ids.clear();
        // One type at a time: an overlay type's territories overlap the
        // geographic ones by design, so both at once would be unreadable.
        let ty = ws.current_type();
        for t in ws.project().territories.iter().filter(|t| t.type_id == ty) {
            let Some(s) = self.shapes.get(&t.id) else {
                continue;
            };
            let g = s.geom_at(view.zoom);
            if g.is_empty() || !boxes_touch(&g.bbox, &vb) {
                continue;
            }
            let size = view.screen_size(&g.bbox);
            if size.x < 0.3 && size.y < 0.3 {
                continue;
            }
            self.drawn += 1;
            self.drawn_ids.push(t.id);
            let is_sel = selected == Some(t.id);
            let [r, gr, b] = by_value.map_or(t.color, |c| c.fill(t.id.0));
            self.drawn_fills.push((t.id, [r, gr, b]));
            let a = if is_sel {
                (opacity * 1.8).max(opacity + 0.15).min(0.8)
            } else {
                opacity
            };
            g.to_screen(view, &mut self.scratch);
            push_fill(
                fill,
                g,
                &self.scratch,
                Color32::from_rgba_unmultiplied(r, gr, b, (a * 255.0).round() as u8),
            );
            let dark = |f: f32| {
                Color32::from_rgb(
                    (r as f32 * f) as u8,
                    (gr as f32 * f) as u8,
                    (b as f32 * f) as u8,
                )
            };
            if is_sel {
                let stroke = Stroke::new(3.0, dark(0.45));
                push_outlines(
                    &mut selected_outline,
                    g,
                    &self.scratch,
                    stroke,
                    0.75,
                    &view.rect,
                );
            } else if size.x >= 3.0 || size.y >= 3.0 {
                let stroke = Stroke::new(thin, dark(0.6));
                // Coarser steps when the territory is small on screen.
                let step = if size.x.max(size.y) < 60.0 { 1.5 } else { 0.9 };
                push_outlines(&mut outlines, g, &self.scratch, stroke, step, &view.rect);
            }
            if (want_labels || is_sel)
                && let Some(at) = s.label_at
            {
                let pos = view.to_screen(at);
                // Rough width at the smallest label size before any text
                // layout: skip hopeless ones.
                let est = t.name.chars().count() as f32 * 5.2;
                if view.rect.contains(pos) && (is_sel || est <= size.x * MAX_OVERHANG * 1.2) {
                    let value = style
                        .values
                        .and_then(|m| m.territory(t.id))
                        .map(crate::core::render::svg::label_value);
                    labels.push(LabelCandidate {
                        id: t.id,
                        pos,
                        alts: s.label_alts.iter().map(|&w| view.to_screen(w)).collect(),
                        text: t.name.clone(),
                        max_width: size.x,
                        area: size.x * size.y,
                        selected: is_sel,
                        value,
                    });
                }
            }
        }
        painter.add(Shape::Mesh(self.fill.clone()));
        outlines.extend(selected_outline);
        Overlay { outlines, labels }
    }
}

/// A label's laid-out lines: the name, and the value under it if asked.
struct LabelBlock {
    name: std::sync::Arc<egui::Galley>,
    value: Option<std::sync::Arc<egui::Galley>>,
}

impl LabelBlock {
    fn layout(painter: &egui::Painter, l: &LabelCandidate, pt: f32, ink: Color32) -> Self {
        let name = painter.layout_no_wrap(l.text.clone(), FontId::proportional(pt), ink);
        let value = l
            .value
            .as_ref()
            .map(|v| painter.layout_no_wrap(v.clone(), FontId::proportional(pt * 0.85), ink));
        Self { name, value }
    }

    fn width(&self) -> f32 {
        self.name
            .size()
            .x
            .max(self.value.as_ref().map_or(0.0, |v| v.size().x))
    }

    /// The box with its padding.
    fn size(&self) -> Vec2 {
        let h = self.name.size().y + self.value.as_ref().map_or(0.0, |v| v.size().y);
        Vec2::new(self.width() + 6.0, h + 1.0)
    }

    fn paint(self, painter: &egui::Painter, rect: Rect, ink: Color32) {
        let top = rect.center_top() + Vec2::new(0.0, 0.5);
        let line_h = self.name.size().y;
        painter.galley(
            top - Vec2::new(self.name.size().x / 2.0, 0.0),
            self.name,
            ink,
        );
        if let Some(v) = self.value {
            painter.galley(top + Vec2::new(-v.size().x / 2.0, line_h), v, ink);
        }
    }
}

/// Where label `l` goes: the largest size that is at most `overhang`
/// times its territory's width and finds a place clear of `placed` (the
/// selected territory's label always goes at its point).
fn place_label(
    painter: &egui::Painter,
    l: &LabelCandidate,
    overhang: f32,
    k: f32,
    placed: &[Rect],
) -> Option<(LabelBlock, Rect)> {
    let ink = Color32::from_gray(35);
    let sizes: &[f32] = if l.selected {
        &[14.0]
    } else {
        &[12.5, 11.0, 9.5, 8.5]
    };
    let found = sizes.iter().find_map(|&pt| {
        let block = LabelBlock::layout(painter, l, pt * k, ink);
        if !l.selected && block.width() > l.max_width * overhang {
            return None;
        }
        let size = block.size();
        std::iter::once(l.pos)
            .chain(l.alts.iter().copied())
            .map(|at| Align2::CENTER_CENTER.anchor_size(at, size))
            .find(|r| !placed.iter().any(|p| p.intersects(*r)))
            .map(|r| (block, r))
    });
    if found.is_none() && l.selected {
        let block = LabelBlock::layout(painter, l, sizes[0] * k, ink);
        let r = Align2::CENTER_CENTER.anchor_size(l.pos, block.size());
        return Some((block, r));
    }
    found
}

/// How much wider than its territory a label may be: a name may spill a
/// little over the borders of a narrow territory (Mississippi at a
/// national view) as long as it does not overlap another label.
pub const MAX_OVERHANG: f32 = 1.6;

/// Places and paints labels: selected first, then bigger territories
/// first. A name too wide for its territory is tried at a smaller size
/// before it is left out, and a label overlapping one already placed is
/// left out (the selected one always shows).
pub fn paint_labels(painter: &egui::Painter, mut labels: Vec<LabelCandidate>) -> Vec<TerritoryId> {
    labels.sort_by(|a, b| {
        b.selected.cmp(&a.selected).then(
            b.area
                .partial_cmp(&a.area)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    });
    let mut placed: Vec<Rect> = Vec::new();
    let mut ids = Vec::new();
    // Labels grow with the body text (presentation mode enlarges it).
    let k = super::text_scale(painter.ctx());
    let ink = Color32::from_gray(35);
    // First every label that fits inside its territory, then, where there
    // is still room, names that spill over a narrow territory's borders.
    let mut left = Vec::new();
    for pass in [0.95, MAX_OVERHANG] {
        for l in std::mem::take(&mut labels) {
            match place_label(painter, &l, pass, k, &placed) {
                Some((block, rect)) => {
                    painter.rect_filled(
                        rect,
                        4.0,
                        Color32::from_white_alpha(if l.selected { 225 } else { 175 }),
                    );
                    block.paint(painter, rect, ink);
                    placed.push(rect);
                    ids.push(l.id);
                }
                None => left.push(l),
            }
        }
        labels = std::mem::take(&mut left);
    }
    ids
}
