//! Busy views of the territory layer, drawn from two cached images.
//!
//! With thousands of territories in view their fills and outlines are
//! millions of vertices, and moving them through egui's tessellation every
//! frame costs more than a frame. Instead the fills (opaque; the fill
//! opacity is the tint they are drawn with) and the outlines are rasterised
//! once per zoom level into two images covering the view and a margin, and
//! a frame draws them as two textured quads: a pan moves the quads, an
//! opacity change is a new tint, and an edit or a recolour redraws only the
//! pixels around the territories that changed (a patch draws exactly the
//! pixels a full redraw would). While the zoom changes frame after frame
//! the images are drawn scaled; once it rests, or strays more than
//! [`MAX_SCALED_ZOOM`] from theirs, they are redrawn at the new zoom.

use std::collections::HashMap;

use egui::{Color32, ColorImage, Pos2, Rect, Shape, Stroke, TextureHandle, TextureOptions, pos2};
use rayon::prelude::*;

use super::PlanKey;
use super::geom::{Geom, outline_points};
use super::proj::{ViewTransform, WorldBox, world_scale};
use crate::core::TerritoryId;
use crate::core::colorby::ColorBy;

/// What the list of territories to draw depends on besides the zoom: the
/// plan's state (shapes, colours, type shown) and the colouring by a value.
pub type ItemsKey = (PlanKey, Option<ColorBy>);

/// How far (zoom levels) the images are drawn scaled before being redrawn.
pub const MAX_SCALED_ZOOM: f64 = 0.5;
/// Margin drawn around the view, as a share of its width and height on
/// each side, so a pan does not redraw at once.
const MARGIN: f64 = 0.25;
/// Rows per parallel band.
const BAND: usize = 32;
/// Extra pixels around a territory's box (an outline's antialiased edge).
const PAD: f64 = 2.0;

/// A territory to rasterise.
pub struct Item<'a> {
    /// Which territory.
    pub id: TerritoryId,
    /// Its shape at the images' zoom.
    pub geom: &'a Geom,
    /// Hash of the geometry it was built from.
    pub hash: u64,
    /// Fill colour (opaque in the image).
    pub rgb: [u8; 3],
    /// Outline stroke and thinning step (points), when outlined.
    pub outline: Option<(Stroke, f32)>,
}

/// What a territory's pixels were drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry {
    id: TerritoryId,
    hash: u64,
    rgb: [u8; 3],
    outline: Option<(Stroke, f32)>,
    /// Pixels it may touch: `[x0, y0, x1, y1)`, within the image.
    bbox: [usize; 4],
}

/// A territory in pixel coordinates of the image.
struct Prepared {
    bbox: [usize; 4],
    /// Closed rings (filled even-odd): `pts[start..end]`.
    rings: Vec<(usize, usize)>,
    pts: Vec<Pos2>,
    rgb: [u8; 3],
    /// Thinned outline polylines, colour and half width (pixels).
    lines: Vec<Vec<Pos2>>,
    line: Option<(Color32, f32)>,
}

/// The cached images of the territory layer (see the module docs).
#[derive(Default)]
pub struct TerritoryRaster {
    fill: Option<TextureHandle>,
    line: Option<TextureHandle>,
    fill_px: Vec<Color32>,
    line_px: Vec<Color32>,
    /// Pixel coordinates (world × pixels per world unit) of texel (0, 0).
    origin_px: [f64; 2],
    size: [usize; 2],
    zoom: f64,
    ppp: f32,
    entries: Vec<Entry>,
    /// Where each entry is in the list it was made from.
    entry_idx: Vec<usize>,
    /// What that list was made from, and the box of all its territories.
    items_key: Option<ItemsKey>,
    plan: Option<WorldBox>,
    /// Zoom of the last frame (a zoom that rests gets redrawn).
    last_zoom: f64,
    /// Territories redrawn in the last frame (0: the images were reused).
    pub redrawn: usize,
    /// Full redraws so far (tests check an edit only patches).
    pub full_redraws: u64,
    /// Time of the last redraw (ms): preparing the shapes, rasterising,
    /// handing the pixels to egui.
    pub redraw_ms: [f64; 3],
}

impl TerritoryRaster {
    /// Drops the images (the layer is drawn as meshes meanwhile).
    pub fn clear(&mut self) {
        *self = Self {
            full_redraws: self.full_redraws,
            ..Self::default()
        };
    }

    /// Pixels per world unit of the images.
    fn px_scale(&self) -> f64 {
        world_scale(self.zoom) * self.ppp as f64
    }

    /// Brings the images up to date for `view`. `items(zoom)` lists the
    /// territories to draw at `zoom`, in drawing order. False when this
    /// view cannot use images (bigger than a texture may be).
    pub fn update<'a>(
        &mut self,
        ctx: &egui::Context,
        view: &ViewTransform,
        key: ItemsKey,
        items: &dyn Fn(f64) -> Vec<Item<'a>>,
    ) -> bool {
        let ppp = ctx.pixels_per_point();
        let last = std::mem::replace(&mut self.last_zoom, view.zoom);
        self.redrawn = 0;
        let dz = view.zoom - self.zoom;
        let keep_zoom = self.fill.is_some()
            && self.ppp == ppp
            && (dz == 0.0 || (dz.abs() <= MAX_SCALED_ZOOM && view.zoom != last));
        if keep_zoom {
            // Nothing changed: not even the list is needed.
            if self.items_key.as_ref() == Some(&key) && self.covers(view, self.plan) {
                return true;
            }
            let list = items(self.zoom);
            let plan = items_box(&list);
            if self.covers(view, plan) {
                self.plan = plan;
                self.items_key = Some(key);
                self.patch(ctx, &list);
                return true;
            }
        }
        let list = items(view.zoom);
        let max_side = ctx.input(|i| i.max_texture_side);
        let done = self.rebuild(ctx, view, ppp, max_side, &list);
        if done {
            self.plan = items_box(&list);
            self.items_key = Some(key);
        }
        done
    }

    /// True when the images hold every part of the territories (within
    /// `plan`) in view.
    fn covers(&self, view: &ViewTransform, plan: Option<WorldBox>) -> bool {
        let Some(plan) = plan else {
            return true;
        };
        let v = view.world_bounds(0.0);
        let need = [
            v[0].max(plan[0]),
            v[1].max(plan[1]),
            v[2].min(plan[2]),
            v[3].min(plan[3]),
        ];
        if need[0] > need[2] || need[1] > need[3] {
            return true;
        }
        let s = self.px_scale();
        let [ox, oy] = self.origin_px;
        need[0] * s >= ox - 0.5
            && need[1] * s >= oy - 0.5
            && need[2] * s <= ox + self.size[0] as f64 + 0.5
            && need[3] * s <= oy + self.size[1] as f64 + 0.5
    }

    /// Redraws both images for `view` at its zoom.
    fn rebuild(
        &mut self,
        ctx: &egui::Context,
        view: &ViewTransform,
        ppp: f32,
        max_side: usize,
        list: &[Item],
    ) -> bool {
        let Some(plan) = items_box(list) else {
            self.clear();
            return false;
        };
        let s = world_scale(view.zoom) * ppp as f64;
        let v = view.world_bounds(0.0);
        // The view with a margin, else the view alone, within the plan.
        let region = [MARGIN, 0.0].into_iter().find_map(|m| {
            let (w, h) = (v[2] - v[0], v[3] - v[1]);
            let r = [
                ((v[0] - w * m).max(plan[0]) * s).floor(),
                ((v[1] - h * m).max(plan[1]) * s).floor(),
                ((v[2] + w * m).min(plan[2]) * s).ceil(),
                ((v[3] + h * m).min(plan[3]) * s).ceil(),
            ];
            let fits = r[2] - r[0] <= max_side as f64 && r[3] - r[1] <= max_side as f64;
            fits.then_some(r)
        });
        let Some(r) = region.filter(|r| r[2] > r[0] && r[3] > r[1]) else {
            self.clear();
            return false;
        };
        self.zoom = view.zoom;
        self.ppp = ppp;
        self.origin_px = [r[0], r[1]];
        self.size = [(r[2] - r[0]) as usize, (r[3] - r[1]) as usize];
        let n = self.size[0] * self.size[1];
        self.fill_px = vec![Color32::TRANSPARENT; n];
        self.line_px = vec![Color32::TRANSPARENT; n];
        (self.entries, self.entry_idx) = self.entries_of(list);
        self.full_redraws += 1;
        self.draw(ctx, list, [0, 0, self.size[0], self.size[1]]);
        true
    }

    /// The entries of `list` that touch the images, and their places in it.
    fn entries_of(&self, list: &[Item]) -> (Vec<Entry>, Vec<usize>) {
        let s = self.px_scale();
        let [ox, oy] = self.origin_px;
        let (w, h) = (self.size[0] as f64, self.size[1] as f64);
        list.iter()
            .enumerate()
            .filter_map(|(k, it)| {
                let b = it.geom.bbox;
                let x0 = (b[0] * s - ox - PAD).floor().clamp(0.0, w);
                let y0 = (b[1] * s - oy - PAD).floor().clamp(0.0, h);
                let x1 = (b[2] * s - ox + PAD).ceil().clamp(0.0, w);
                let y1 = (b[3] * s - oy + PAD).ceil().clamp(0.0, h);
                let e = Entry {
                    id: it.id,
                    hash: it.hash,
                    rgb: it.rgb,
                    outline: it.outline,
                    bbox: [x0 as usize, y0 as usize, x1 as usize, y1 as usize],
                };
                (x1 > x0 && y1 > y0).then_some((e, k))
            })
            .unzip()
    }

    /// Redraws the pixels of the territories that changed since the
    /// images were drawn (nothing when none did).
    fn patch(&mut self, ctx: &egui::Context, list: &[Item]) {
        let (entries, idx) = self.entries_of(list);
        if entries == self.entries {
            self.entry_idx = idx;
            return;
        }
        let full = [0, 0, self.size[0], self.size[1]];
        let rect = changed_box(&self.entries, &entries).unwrap_or(full);
        (self.entries, self.entry_idx) = (entries, idx);
        if rect == full {
            self.full_redraws += 1;
        }
        self.draw(ctx, list, rect);
    }

    /// Clears `rect` (pixels `[x0, y0, x1, y1)`) in both images, draws
    /// every entry touching it there, and uploads it.
    fn draw(&mut self, ctx: &egui::Context, list: &[Item], rect: [usize; 4]) {
        let s = self.px_scale();
        let ppp = self.ppp;
        let [ox, oy] = self.origin_px;
        let touching: Vec<(&Entry, &Item)> = self
            .entries
            .iter()
            .zip(&self.entry_idx)
            .filter(|(e, _)| touches(&e.bbox, &rect))
            .map(|(e, &k)| (e, &list[k]))
            .collect();
        self.redrawn = touching.len();
        let t0 = std::time::Instant::now();
        let prepared: Vec<Prepared> = touching
            .par_iter()
            .map(|(e, it)| prepare(e, it.geom, s, [ox, oy], ppp))
            .collect();
        let tp = std::time::Instant::now();
        let w = self.size[0];
        self.fill_px
            .par_chunks_mut(w * BAND)
            .zip(self.line_px.par_chunks_mut(w * BAND))
            .enumerate()
            .for_each(|(band, (fill, line))| {
                let y0 = (band * BAND).max(rect[1]);
                let y1 = (band * BAND + fill.len() / w).min(rect[3]);
                if y0 >= y1 {
                    return;
                }
                let clip = [rect[0], y0, rect[2], y1];
                let base = band * BAND;
                for y in y0..y1 {
                    let row = (y - base) * w;
                    fill[row + clip[0]..row + clip[2]].fill(Color32::TRANSPARENT);
                    line[row + clip[0]..row + clip[2]].fill(Color32::TRANSPARENT);
                }
                let mut xs = Vec::new();
                let mut cover = Vec::new();
                for p in prepared.iter().filter(|p| touches(&p.bbox, &clip)) {
                    fill_rings(fill, w, base, &clip, p, &mut xs);
                    stroke_lines(line, w, base, &clip, p, &mut cover);
                }
            });
        let t1 = std::time::Instant::now();
        self.upload(ctx, rect);
        let t2 = std::time::Instant::now();
        let ms = |a: std::time::Instant, b: std::time::Instant| (b - a).as_secs_f64() * 1e3;
        self.redraw_ms = [ms(t0, tp), ms(tp, t1), ms(t1, t2)];
    }

    /// Sends `rect` of both images to egui (all of them when new).
    fn upload(&mut self, ctx: &egui::Context, rect: [usize; 4]) {
        let opts = TextureOptions::LINEAR;
        let [w, h] = self.size;
        let whole = rect == [0, 0, w, h];
        for (tex, px, name) in [
            (&mut self.fill, &self.fill_px, "turfmap-territory-fills"),
            (&mut self.line, &self.line_px, "turfmap-territory-outlines"),
        ] {
            match tex {
                Some(t) if !whole => {
                    let (rw, rh) = (rect[2] - rect[0], rect[3] - rect[1]);
                    let mut sub = Vec::with_capacity(rw * rh);
                    for y in rect[1]..rect[3] {
                        sub.extend_from_slice(&px[y * w + rect[0]..y * w + rect[2]]);
                    }
                    t.set_partial([rect[0], rect[1]], ColorImage::new([rw, rh], sub), opts);
                }
                Some(t) => t.set(ColorImage::new([w, h], px.clone()), opts),
                None => {
                    *tex = Some(ctx.load_texture(name, ColorImage::new([w, h], px.clone()), opts))
                }
            }
        }
    }

    /// The two quads to draw for `view`: the fills (tinted with
    /// `fill_tint`) and the outlines. Asks for another frame while drawn
    /// scaled, so the images get redrawn once the zoom rests.
    pub fn quads(
        &self,
        ctx: &egui::Context,
        view: &ViewTransform,
        fill_tint: Color32,
    ) -> Option<(Shape, Shape)> {
        let (fill, line) = (self.fill.as_ref()?, self.line.as_ref()?);
        let k = (view.zoom - self.zoom).exp2() as f32;
        let s = self.px_scale();
        let (x, y) = view.offset_of([self.origin_px[0] / s, self.origin_px[1] / s]);
        let ppp = self.ppp;
        let min = if view.zoom == self.zoom {
            // On the pixel grid: texels land on pixels, no blur.
            pos2(
                ((x * ppp as f64).round() / ppp as f64) as f32,
                ((y * ppp as f64).round() / ppp as f64) as f32,
            )
        } else {
            ctx.request_repaint();
            pos2(x as f32, y as f32)
        };
        let size = egui::vec2(self.size[0] as f32, self.size[1] as f32) * (k / ppp);
        let rect = Rect::from_min_size(min, size);
        let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
        Some((
            Shape::image(fill.id(), rect, uv, fill_tint),
            Shape::image(line.id(), rect, uv, Color32::WHITE),
        ))
    }

    /// The images' pixels (premultiplied): `(size, fills, outlines)`.
    pub fn pixels(&self) -> ([usize; 2], &[Color32], &[Color32]) {
        (self.size, &self.fill_px, &self.line_px)
    }

    /// The pixel holding world point `w`, if inside the images.
    pub fn pixel_of(&self, w: [f64; 2]) -> Option<[usize; 2]> {
        let s = self.px_scale();
        let (x, y) = (w[0] * s - self.origin_px[0], w[1] * s - self.origin_px[1]);
        let inside =
            (0.0..self.size[0] as f64).contains(&x) && (0.0..self.size[1] as f64).contains(&y);
        inside.then_some([x as usize, y as usize])
    }

    /// The zoom the images were drawn at.
    pub fn zoom(&self) -> f64 {
        self.zoom
    }
}

/// Pixels to redraw between `old` and `new` entries: the boxes of those
/// that changed, came or went; `None` (everything) when the ones kept are
/// in another order (they overlap differently).
fn changed_box(old: &[Entry], new: &[Entry]) -> Option<[usize; 4]> {
    let mut dirty: Option<[usize; 4]> = None;
    let mut grow = |b: [usize; 4]| {
        dirty = Some(match dirty {
            None => b,
            Some(d) => [
                d[0].min(b[0]),
                d[1].min(b[1]),
                d[2].max(b[2]),
                d[3].max(b[3]),
            ],
        });
    };
    if old.len() == new.len() && old.iter().zip(new).all(|(a, b)| a.id == b.id) {
        // The same territories (an edit or a recolour): compare in place.
        for (a, b) in old.iter().zip(new).filter(|(a, b)| a != b) {
            grow(a.bbox);
            grow(b.bbox);
        }
        return dirty;
    }
    let by_old: HashMap<TerritoryId, &Entry> = old.iter().map(|e| (e.id, e)).collect();
    let by_new: HashMap<TerritoryId, &Entry> = new.iter().map(|e| (e.id, e)).collect();
    for e in new {
        if by_old.get(&e.id).is_none_or(|o| *o != e) {
            grow(e.bbox);
        }
    }
    for e in old {
        if by_new.get(&e.id).is_none_or(|n| *n != e) {
            grow(e.bbox);
        }
    }
    let kept_old = old.iter().filter(|e| by_new.contains_key(&e.id));
    let kept_new = new.iter().filter(|e| by_old.contains_key(&e.id));
    if !kept_old.map(|e| e.id).eq(kept_new.map(|e| e.id)) {
        return None;
    }
    dirty
}

/// World box of all items.
fn items_box(list: &[Item]) -> Option<WorldBox> {
    list.iter().map(|it| it.geom.bbox).reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    })
}

/// True when pixel boxes `[x0, y0, x1, y1)` overlap.
fn touches(a: &[usize; 4], b: &[usize; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// `e`'s shape in the image's pixels: rings to fill, thinned outlines.
fn prepare(e: &Entry, g: &Geom, s: f64, [ox, oy]: [f64; 2], ppp: f32) -> Prepared {
    let (gx, gy) = (g.origin[0] * s - ox, g.origin[1] * s - oy);
    let pts: Vec<Pos2> = g
        .verts
        .iter()
        .map(|v| pos2((gx + v[0] as f64 * s) as f32, (gy + v[1] as f64 * s) as f32))
        .collect();
    let rings = g
        .paths
        .iter()
        .filter(|p| p.closed)
        .map(|p| (p.start as usize, p.end as usize))
        .collect();
    let (lines, line) = match e.outline {
        Some((stroke, step)) => (
            g.paths
                .iter()
                .map(|p| {
                    outline_points(&pts[p.start as usize..p.end as usize], p.closed, step * ppp)
                })
                .filter(|l| l.len() >= 2)
                .collect(),
            Some((stroke.color, stroke.width * ppp / 2.0)),
        ),
        None => (Vec::new(), None),
    };
    Prepared {
        bbox: e.bbox,
        rings,
        pts,
        rgb: e.rgb,
        lines,
        line,
    }
}

/// Fills `p`'s rings (even-odd, pixel centres) within `clip`, in the band
/// of rows starting at `base`.
fn fill_rings(
    band: &mut [Color32],
    w: usize,
    base: usize,
    clip: &[usize; 4],
    p: &Prepared,
    xs: &mut Vec<f32>,
) {
    let [r, g, b] = p.rgb;
    let color = Color32::from_rgb(r, g, b);
    for y in p.bbox[1].max(clip[1])..p.bbox[3].min(clip[3]) {
        let yc = y as f32 + 0.5;
        xs.clear();
        for &(start, end) in &p.rings {
            let ring = &p.pts[start..end];
            let mut a = ring[ring.len() - 1];
            for &q in ring {
                if (a.y <= yc) != (q.y <= yc) {
                    xs.push(a.x + (yc - a.y) * (q.x - a.x) / (q.y - a.y));
                }
                a = q;
            }
        }
        xs.sort_unstable_by(f32::total_cmp);
        let row = (y - base) * w;
        for span in xs.chunks_exact(2) {
            let x0 = ((span[0] - 0.5).ceil().max(0.0) as usize).max(clip[0]);
            let x1 = ((span[1] - 0.5).ceil().max(0.0) as usize).min(clip[2]);
            if x0 < x1 {
                band[row + x0..row + x1].fill(color);
            }
        }
    }
}

/// Draws `p`'s outlines within `clip`: each pixel covered by how near its
/// centre is to the nearest segment (a line `2·hw` wide with a one-pixel
/// antialiased edge), then the territory's colour composited over what is
/// there by that coverage.
fn stroke_lines(
    band: &mut [Color32],
    w: usize,
    base: usize,
    clip: &[usize; 4],
    p: &Prepared,
    cover: &mut Vec<f32>,
) {
    let Some((color, hw)) = p.line else {
        return;
    };
    let b = [
        p.bbox[0].max(clip[0]),
        p.bbox[1].max(clip[1]),
        p.bbox[2].min(clip[2]),
        p.bbox[3].min(clip[3]),
    ];
    if b[0] >= b[2] || b[1] >= b[3] {
        return;
    }
    let (bw, bh) = (b[2] - b[0], b[3] - b[1]);
    cover.clear();
    cover.resize(bw * bh, 0.0);
    let reach = hw + 0.5;
    for line in &p.lines {
        for seg in line.windows(2) {
            let (a, q) = (seg[0], seg[1]);
            let lo_x = ((a.x.min(q.x) - reach).floor().max(0.0) as usize).max(b[0]);
            let hi_x = ((a.x.max(q.x) + reach).ceil().max(0.0) as usize).min(b[2]);
            let lo_y = ((a.y.min(q.y) - reach).floor().max(0.0) as usize).max(b[1]);
            let hi_y = ((a.y.max(q.y) + reach).ceil().max(0.0) as usize).min(b[3]);
            for y in lo_y..hi_y {
                for x in lo_x..hi_x {
                    let c = pos2(x as f32 + 0.5, y as f32 + 0.5);
                    let cov = (reach - dist_to_segment(c, a, q)).clamp(0.0, 1.0);
                    let k = (y - b[1]) * bw + (x - b[0]);
                    if cov > cover[k] {
                        cover[k] = cov;
                    }
                }
            }
        }
    }
    let [sr, sg, sb, _] = color.to_array().map(|c| c as f32);
    for y in b[1]..b[3] {
        for x in b[0]..b[2] {
            let c = cover[(y - b[1]) * bw + (x - b[0])];
            if c <= 0.0 {
                continue;
            }
            let px = &mut band[(y - base) * w + x];
            let [dr, dg, db, da] = px.to_array().map(|v| v as f32);
            let keep = 1.0 - c;
            // Rounded by +0.5 and truncation (`round` is a libm call).
            let mix = |s: f32, d: f32| (s * c + d * keep + 0.5).min(255.0) as u8;
            *px = Color32::from_rgba_premultiplied(
                mix(sr, dr),
                mix(sg, dg),
                mix(sb, db),
                mix(255.0, da),
            );
        }
    }
}

/// Distance from `p` to segment `a`–`b`.
fn dist_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    let t = if len2 > 0.0 {
        ((p - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Not `length` (a slow `hypot`): no overflow at pixel scale.
    (p - (a + ab * t)).length_sq().sqrt()
}
