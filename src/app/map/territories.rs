//! Territory fills, outlines and name labels.
//!
//! Each territory's boundary is triangulated once ([`geom_from_lon_lat`])
//! and kept until its geometry changes (keyed by a hash of the coordinates,
//! checked only when the workspace revision moves), so editing one territory
//! re-triangulates one territory. A frame transforms the cached vertices of
//! the visible territories into one fill mesh plus outline paths; from
//! [`CACHE_MIN_TERRITORIES`] in view on, the fills and outlines come from
//! two cached images instead ([`super::raster`]), and only the selected
//! territory is drawn as a mesh over them.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use egui::epaint::Tessellator;
use egui::{Align2, Color32, FontId, Mesh, Pos2, Rect, Shape, Stroke, Vec2};
use geo::MultiPolygon;
use rayon::prelude::*;

use super::PlanKey;
use super::geom::{
    Geom, geom_from_lon_lat, geom_from_lon_lat_simplified, push_fill, push_outlines,
};
use super::proj::{ViewTransform, WorldBox, boxes_touch, mercator, union_box, world_scale};
use super::raster::{Item, TerritoryRaster};
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
#[derive(Clone, Copy)]
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
    /// Keep the outlines tessellated between frames (the main map; an
    /// inset, at its own zoom, would evict them every frame).
    pub cache_outlines: bool,
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
    /// This frame's cached outlines, translated into place.
    outline_mesh: Arc<Mesh>,
    outlines: OutlineCache,
    /// The layer as images, when many territories are in view.
    raster: TerritoryRaster,
    scratch: Vec<Pos2>,
    /// Territories drawn in the last frame.
    pub drawn: usize,
    /// Of those, outlined from the outline cache.
    pub outlines_cached: usize,
    /// Whether the last frame drew the layer from its images.
    pub rastered: bool,
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

    /// Outlines re-tessellated in the last frame that used the cache.
    pub fn outlines_built(&self) -> usize {
        self.outlines.built
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
        let by_value = style
            .coloring
            .filter(|c| c.by != crate::core::colorby::ColorBy::Territory);
        let opacity = match by_value {
            Some(_) => style.opacity.max(CHOROPLETH_OPACITY),
            None => style.opacity,
        }
        .clamp(0.0, 1.0);
        let Self {
            key,
            shapes,
            fill,
            outline_mesh,
            outlines: cache,
            raster,
            scratch,
            drawn,
            outlines_cached,
            rastered,
            drawn_ids,
            drawn_fills,
            ..
        } = self;
        let visible = visible(shapes, view, ws, selected, by_value);
        *drawn = visible.len();
        drawn_ids.clear();
        drawn_ids.extend(visible.iter().map(|d| d.t.id));
        drawn_fills.extend(visible.iter().map(|d| (d.t.id, d.rgb)));
        let busy = style.cache_outlines && visible.len() >= CACHE_MIN_TERRITORIES;
        let items = |z: f64| raster_items(shapes, ws, by_value, z);
        let items_key = (
            key.unwrap_or_else(|| PlanKey::of(ws)),
            by_value.map(|c| c.by.clone()),
        );
        let from_images = busy && raster.update(painter.ctx(), view, items_key, &items);
        if style.cache_outlines {
            // Only the main map uses the images (an inset has its own zoom).
            *rastered = from_images;
        }
        let cached = busy && !from_images;
        if cached {
            cache.update(painter.ctx(), view, &visible);
        } else if style.cache_outlines {
            cache.clear();
            if !busy {
                raster.clear();
            }
        }
        let fill = fresh_mesh(fill);
        let outline_mesh = fresh_mesh(outline_mesh);
        *outlines_cached = 0;
        let mut outlines: Vec<Shape> = Vec::new();
        let mut labels = Vec::new();
        let mut selected_outline: Vec<Shape> = Vec::new();
        for d in &visible {
            if (want_labels || d.sel)
                && let Some(l) = label_candidate(d, view, style)
            {
                labels.push(l);
            }
            if from_images && !d.sel {
                continue;
            }
            let a = match (d.sel, from_images) {
                (false, _) => opacity,
                // Over its fill in the image: together they make the
                // selected territory's opacity.
                (true, true) => 1.0 - (1.0 - selected_opacity(opacity)) / (1.0 - opacity).max(1e-3),
                (true, false) => selected_opacity(opacity),
            }
            .clamp(0.0, 1.0);
            let (g, [r, gr, b]) = (d.g, d.rgb);
            g.to_screen(view, scratch);
            push_fill(
                fill,
                g,
                scratch,
                Color32::from_rgba_unmultiplied(r, gr, b, (a * 255.0).round() as u8),
            );
            if d.sel {
                let stroke = Stroke::new(3.0, darker(d.rgb, 0.45));
                push_outlines(&mut selected_outline, g, scratch, stroke, 0.75, &view.rect);
            } else if let Some((stroke, step)) = outline_style(d.size, d.rgb, view.zoom) {
                match cache.get(d, stroke, step).filter(|_| cached) {
                    Some(m) => {
                        append_translated(outline_mesh, m, view.offset_of(g.origin));
                        *outlines_cached += 1;
                    }
                    None => push_outlines(&mut outlines, g, scratch, stroke, step, &view.rect),
                }
            }
        }
        let tint = Color32::from_white_alpha((opacity * 255.0).round() as u8);
        let quads = from_images
            .then(|| self.raster.quads(painter.ctx(), view, tint))
            .flatten();
        if let Some((fills, _)) = &quads {
            painter.add(fills.clone());
        }
        painter.add(Shape::Mesh(self.fill.clone()));
        if !self.outline_mesh.is_empty() {
            outlines.insert(0, Shape::Mesh(self.outline_mesh.clone()));
        }
        if let Some((_, lines)) = quads {
            outlines.insert(0, lines);
        }
        outlines.extend(selected_outline);
        Overlay { outlines, labels }
    }

    /// Territories redrawn into the layer's images in the last frame (0
    /// when they were reused or not in use).
    pub fn raster_redrawn(&self) -> usize {
        self.raster.redrawn
    }

    /// The layer's images, when in use (tests compare a patched image with
    /// a fresh one).
    pub fn raster(&self) -> Option<&TerritoryRaster> {
        self.rastered.then_some(&self.raster)
    }
}

/// Fill opacity of the selected territory when the others have `opacity`.
fn selected_opacity(opacity: f32) -> f32 {
    (opacity * 1.8).max(opacity + 0.15).min(0.8)
}

/// Every territory of the current type as drawn at `zoom` (the layer's
/// images hold those around the view too), in plan order.
fn raster_items<'a>(
    shapes: &'a HashMap<TerritoryId, Arc<TerritoryShape>>,
    ws: &Workspace,
    by_value: Option<&crate::core::colorby::Coloring>,
    zoom: f64,
) -> Vec<Item<'a>> {
    let ty = ws.current_type();
    let scale = world_scale(zoom);
    ws.project()
        .territories
        .iter()
        .filter(|t| t.type_id == ty)
        .filter_map(|t| {
            let s = shapes.get(&t.id)?;
            let g = s.geom_at(zoom);
            let size = Vec2::new(
                ((g.bbox[2] - g.bbox[0]) * scale) as f32,
                ((g.bbox[3] - g.bbox[1]) * scale) as f32,
            );
            if g.is_empty() || (size.x < 0.3 && size.y < 0.3) {
                return None;
            }
            let rgb = by_value.map_or(t.color, |c| c.fill(t.id.0));
            Some(Item {
                id: t.id,
                geom: g,
                hash: s.hash,
                rgb,
                outline: outline_style(size, rgb, zoom),
            })
        })
        .collect()
}

/// Below this many territories in view, outlines go to egui as lines (cheap
/// enough, and nothing to keep); from it on the main map draws the layer
/// from images ([`super::raster`]), or, when the view is too big for a
/// texture, from the [`OutlineCache`].
pub const CACHE_MIN_TERRITORIES: usize = 500;

/// A territory drawn this frame.
struct Visible<'a> {
    t: &'a crate::core::model::Territory,
    s: &'a TerritoryShape,
    /// Its level of detail at this zoom.
    g: &'a Geom,
    /// Size of its (level of detail's) box on screen.
    size: Vec2,
    /// Fill colour before opacity.
    rgb: [u8; 3],
    sel: bool,
}

/// The territories of the current type in view and big enough to see, in
/// plan order.
fn visible<'a>(
    shapes: &'a HashMap<TerritoryId, Arc<TerritoryShape>>,
    view: &ViewTransform,
    ws: &'a Workspace,
    selected: Option<TerritoryId>,
    by_value: Option<&crate::core::colorby::Coloring>,
) -> Vec<Visible<'a>> {
    let vb = view.world_bounds(4.0);
    // One type at a time: an overlay type's territories overlap the
    // geographic ones by design, so both at once would be unreadable.
    let ty = ws.current_type();
    let mut out = Vec::new();
    for t in ws.project().territories.iter().filter(|t| t.type_id == ty) {
        let Some(s) = shapes.get(&t.id) else {
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
        out.push(Visible {
            t,
            s,
            g,
            size,
            rgb: by_value.map_or(t.color, |c| c.fill(t.id.0)),
            sel: selected == Some(t.id),
        });
    }
    out
}

/// `rgb` darkened by factor `f`.
fn darker([r, g, b]: [u8; 3], f: f32) -> Color32 {
    Color32::from_rgb(
        (r as f32 * f) as u8,
        (g as f32 * f) as u8,
        (b as f32 * f) as u8,
    )
}

/// The stroke and thinning step of an unselected territory's outline, or
/// `None` when it is too small on screen to outline.
fn outline_style(size: Vec2, rgb: [u8; 3], zoom: f64) -> Option<(Stroke, f32)> {
    if size.x < 3.0 && size.y < 3.0 {
        return None;
    }
    let thin = if zoom >= 9.0 { 1.4 } else { 1.0 };
    // Coarser steps when the territory is small on screen.
    let step = if size.x.max(size.y) < 60.0 { 1.5 } else { 0.9 };
    Some((Stroke::new(thin, darker(rgb, 0.6)), step))
}

/// The label of a drawn territory, unless its name cannot fit.
fn label_candidate(
    d: &Visible,
    view: &ViewTransform,
    style: &PaintStyle,
) -> Option<LabelCandidate> {
    let pos = view.to_screen(d.s.label_at?);
    // Rough width at the smallest label size before any text layout: skip
    // hopeless ones.
    let est = d.t.name.chars().count() as f32 * 5.2;
    if !view.rect.contains(pos) || !(d.sel || est <= d.size.x * MAX_OVERHANG * 1.2) {
        return None;
    }
    let value = style
        .values
        .and_then(|m| m.territory(d.t.id))
        .map(crate::core::render::svg::label_value);
    Some(LabelCandidate {
        id: d.t.id,
        pos,
        alts: d.s.label_alts.iter().map(|&w| view.to_screen(w)).collect(),
        text: d.t.name.clone(),
        max_width: d.size.x,
        area: d.size.x * d.size.y,
        selected: d.sel,
        value,
    })
}

/// The mesh behind `m`, emptied, reusing last frame's buffers when egui has
/// let go of them.
fn fresh_mesh(m: &mut Arc<Mesh>) -> &mut Mesh {
    if Arc::get_mut(m).is_none() {
        *m = Arc::new(Mesh::default());
    }
    let mesh = Arc::make_mut(m);
    mesh.clear();
    mesh
}

/// Appends `m` moved by `(dx, dy)` to `out`.
fn append_translated(out: &mut Mesh, m: &Mesh, (dx, dy): (f64, f64)) {
    let base = out.vertices.len() as u32;
    let d = Vec2::new(dx as f32, dy as f32);
    out.vertices
        .extend(m.vertices.iter().map(|v| egui::epaint::Vertex {
            pos: v.pos + d,
            ..*v
        }));
    out.indices.extend(m.indices.iter().map(|&i| base + i));
}

/// Each territory's outline tessellated once per zoom level, relative to
/// its origin: panning only translates it, and an edit re-tessellates the
/// territories whose shape or colour changed (the key says which). When
/// 10,000 territories are in view, tessellating their outlines every frame
/// is most of the frame.
#[derive(Default)]
pub struct OutlineCache {
    meshes: HashMap<TerritoryId, (OutlineKey, Mesh)>,
    /// Zoom of the cached meshes: a new zoom drops them all.
    zoom: f64,
    /// Display scale they were tessellated for.
    pixels_per_point: f32,
    /// Meshes built in the last frame.
    pub built: usize,
}

/// What a cached outline was built from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OutlineKey {
    hash: u64,
    zoom: f64,
    pixels_per_point: f32,
    stroke: Stroke,
    step: f32,
}

/// Outlines of territories bigger than this on screen (points) are not
/// cached: few fit in view, and `f32` offsets from a far origin would lose
/// precision at street zoom.
const CACHE_MAX_SIZE: f32 = 4096.0;

impl OutlineCache {
    fn clear(&mut self) {
        self.meshes.clear();
        self.built = 0;
    }

    /// The cached outline of `d` drawn with `stroke` and `step`, relative
    /// to its origin's screen position; `None` unless built from exactly
    /// that (its shape may have changed since).
    fn get(&self, d: &Visible, stroke: Stroke, step: f32) -> Option<&Mesh> {
        let want = OutlineKey {
            hash: d.s.hash,
            zoom: self.zoom,
            pixels_per_point: self.pixels_per_point,
            stroke,
            step,
        };
        self.meshes
            .get(&d.t.id)
            .filter(|(k, _)| *k == want)
            .map(|(_, m)| m)
    }

    /// Brings the outlines of `visible` up to date for `view`.
    fn update(&mut self, ctx: &egui::Context, view: &ViewTransform, visible: &[Visible]) {
        if self.zoom != view.zoom {
            self.meshes.clear();
            self.zoom = view.zoom;
        }
        let ppp = ctx.pixels_per_point();
        self.pixels_per_point = ppp;
        let stale: Vec<(&Visible, OutlineKey)> = visible
            .iter()
            .filter(|d| !d.sel && d.size.x.max(d.size.y) <= CACHE_MAX_SIZE)
            .filter_map(|d| {
                let (stroke, step) = outline_style(d.size, d.rgb, view.zoom)?;
                let key = OutlineKey {
                    hash: d.s.hash,
                    zoom: view.zoom,
                    pixels_per_point: ppp,
                    stroke,
                    step,
                };
                let fresh = self.meshes.get(&d.t.id).is_some_and(|(k, _)| *k == key);
                (!fresh).then_some((d, key))
            })
            .collect();
        self.built = stale.len();
        if stale.is_empty() {
            return;
        }
        let options = ctx.tessellation_options(|o| *o);
        // No texture is involved in lines.
        let tess = Tessellator::new(ppp, options, [1, 1], Vec::new());
        let scale = view.scale;
        let built: Vec<(TerritoryId, (OutlineKey, Mesh))> = stale
            .par_iter()
            .map_init(
                || (tess.clone(), Vec::new()),
                |(tess, local), (d, key)| {
                    let g = d.s.geom_at(key.zoom);
                    local.clear();
                    local.extend(g.verts.iter().map(|v| {
                        Pos2::new((v[0] as f64 * scale) as f32, (v[1] as f64 * scale) as f32)
                    }));
                    let mut lines = Vec::new();
                    push_outlines(
                        &mut lines,
                        g,
                        local,
                        key.stroke,
                        key.step,
                        &Rect::EVERYTHING,
                    );
                    let mut mesh = Mesh::default();
                    for l in lines {
                        tess.tessellate_shape(l, &mut mesh);
                    }
                    (d.t.id, (*key, mesh))
                },
            )
            .collect();
        self.meshes.extend(built);
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
