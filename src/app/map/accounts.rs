//! Account dots, with the level of detail that keeps a million smooth.
//!
//! Once per plan change, live located accounts are projected to world
//! coordinates and sorted into a uniform [`AccountGrid`] (a counting sort by
//! cell), each point stored as `f32` relative to its cell's corner so it
//! stays exact at street zoom. Colours (and sizes, if a measure drives them)
//! are gathered into the same order. Positions are only re-sorted when they
//! actually changed (a fingerprint of the coordinates), not on every edit.
//!
//! Each frame only the grid cells under the view are visited, and the
//! accounts are drawn one of three ways:
//!
//! - **Dots**, when at most [`DEFAULT_POINT_BUDGET`] accounts are in view:
//!   one textured quad (a round dot from a small texture) per account.
//! - **World raster**, when more are in view (low zoom): the whole plan
//!   binned into world cells of `2^-level` that are [`LEVEL_PX`]–2×
//!   [`LEVEL_PX`] points on screen, one texel per cell coloured by the
//!   cell's majority territory (Boyer–Moore vote), shown as one
//!   nearest-filtered texture on one quad. It is built once per plan change
//!   and zoom level (a few levels are kept), so panning a million accounts
//!   costs nothing per account, and egui tessellates one quad instead of
//!   hundreds of thousands.
//! - **Screen bins**, when many accounts are in view but the world raster
//!   would exceed the texture size limit (dense data zoomed in): the
//!   accounts in view are binned into [`BIN_PX`] cells aligned to the world
//!   pixel grid (so they do not shimmer while panning), again as one
//!   texture.
//!
//! Dot meshes reuse their buffers from frame to frame, and an unchanged view
//! reuses last frame's mesh as is.

use std::sync::Arc;

use egui::epaint::Vertex;
use egui::{Color32, Mesh, Pos2, Rect, Shape, TextureId, pos2};
use rayon::prelude::*;

use super::PlanKey;
use super::proj::{ViewTransform, WorldBox, central_box, mercator};
use crate::core::Workspace;
use crate::core::engine::NONE;

/// Colour of accounts that are in no territory.
pub const UNASSIGNED: Color32 = Color32::from_rgb(150, 150, 150);
/// Dot radius when no measure sizes the dots.
pub const DOT_RADIUS: f32 = 3.0;
/// Smallest and largest radius when a measure sizes the dots.
pub const SIZED_RADIUS: (f32, f32) = (1.5, 10.0);
/// Zoom from which dots have their full size; see [`dot_scale`].
pub const FULL_DOTS_FROM_ZOOM: f64 = 8.0;
/// Zoom at and below which dots are smallest; see [`dot_scale`].
pub const SMALL_DOTS_TO_ZOOM: f64 = 4.0;
/// Size of the dots at [`SMALL_DOTS_TO_ZOOM`] relative to full size.
pub const SMALL_DOT_SCALE: f32 = 0.6;
/// No dot is drawn smaller than this radius, points.
pub const MIN_DOT_RADIUS: f32 = 1.25;

/// How big dots are at `zoom`, relative to their full size: 1 from
/// [`FULL_DOTS_FROM_ZOOM`] in, shrinking linearly to [`SMALL_DOT_SCALE`] at
/// [`SMALL_DOTS_TO_ZOOM`] and out, so that at a country-wide view the dots
/// of a city do not merge into a blot over the territory colours.
pub fn dot_scale(zoom: f64) -> f32 {
    let t =
        ((zoom - SMALL_DOTS_TO_ZOOM) / (FULL_DOTS_FROM_ZOOM - SMALL_DOTS_TO_ZOOM)).clamp(0.0, 1.0);
    if t.is_finite() {
        SMALL_DOT_SCALE + (1.0 - SMALL_DOT_SCALE) * t as f32
    } else {
        1.0
    }
}
/// Bin size when binning on screen, points.
pub const BIN_PX: f32 = 3.0;
/// Smallest on-screen size of a world-level raster cell, points (they are
/// 1–2× this).
pub const LEVEL_PX: f32 = 2.5;
/// Most accounts drawn one by one; above this they are binned.
pub const DEFAULT_POINT_BUDGET: usize = 60_000;
/// Share of accounts left out on each side (in x and in y) when framing
/// the plan: 1%, so the central ~98% are framed.
pub const FRAME_QUANTILE: f64 = 0.01;
/// Grid cells aimed for per account.
const PER_CELL: usize = 48;

/// How the accounts were drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DotMode {
    /// Not drawn (switched off or nothing to draw).
    #[default]
    Hidden,
    /// One dot per account.
    Points,
    /// One dot per non-empty screen bin.
    Binned,
}

/// What the last frame drew.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DotStats {
    /// Points or bins.
    pub mode: DotMode,
    /// Accounts inside the view (located, live).
    pub in_view: usize,
    /// Accounts represented by the drawn quads (sum of bin counts when
    /// binned).
    pub represented: usize,
    /// Quads in the mesh.
    pub quads: usize,
    /// Non-empty bins (binned mode).
    pub bins: usize,
    /// Whether last frame's mesh was reused unchanged.
    pub reused: bool,
    /// Binned into a cached raster of world cells of `2^-level` (the
    /// whole plan, built once per plan change and zoom level); `None` when
    /// binned on screen this frame.
    pub level: Option<u32>,
}

/// Located live accounts sorted by grid cell. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct AccountGrid {
    /// World box of the accounts.
    pub bbox: WorldBox,
    /// World box of the central ~98% of the accounts (see
    /// [`central_box`]): what "the whole plan" frames.
    pub core: WorldBox,
    /// Cells across and down.
    pub nx: usize,
    /// See `nx`.
    pub ny: usize,
    cw: f64,
    ch: f64,
    /// `start[c]..start[c + 1]` are the entries of cell `c` (row-major).
    start: Vec<u32>,
    /// Position relative to the cell's top-left corner (world units).
    rel: Vec<[f32; 2]>,
    /// Account index of each entry.
    idx: Vec<u32>,
    /// Entry of each account (`NONE` when not in the grid: removed or
    /// unlocated), so a changed account is found without a search.
    entry_of: Vec<u32>,
}

impl AccountGrid {
    /// Sorts the live located accounts of `ws` into a grid.
    pub fn build(ws: &Workspace) -> Self {
        let a = &ws.project().accounts;
        let pts: Vec<(u32, [f64; 2])> = (0..a.len())
            .into_par_iter()
            .with_min_len(8192)
            .filter(|&i| !a.removed[i] && a.is_located(i))
            .map(|i| (i as u32, mercator(a.lon[i], a.lat[i])))
            .collect();
        if pts.is_empty() {
            return Self::default();
        }
        let b = pts
            .iter()
            .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, (_, p)| {
                [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ]
            });
        let core = central_box(pts.iter().map(|(_, p)| *p), FRAME_QUANTILE).unwrap_or(b);
        let (w, h) = ((b[2] - b[0]).max(1e-9), (b[3] - b[1]).max(1e-9));
        let cells = (pts.len() / PER_CELL).max(1) as f64;
        let nx = ((cells * w / h).sqrt().ceil() as usize).clamp(1, 2048);
        let ny = ((cells / nx as f64).ceil() as usize).clamp(1, 2048);
        let (cw, ch) = (w / nx as f64, h / ny as f64);
        let cell_of = |p: &[f64; 2]| {
            let cx = (((p[0] - b[0]) / cw) as usize).min(nx - 1);
            let cy = (((p[1] - b[1]) / ch) as usize).min(ny - 1);
            (cx, cy)
        };
        let cell: Vec<u32> = pts
            .par_iter()
            .with_min_len(8192)
            .map(|(_, p)| {
                let (cx, cy) = cell_of(p);
                (cy * nx + cx) as u32
            })
            .collect();
        let mut start = vec![0u32; nx * ny + 1];
        for &c in &cell {
            start[c as usize + 1] += 1;
        }
        for c in 0..nx * ny {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut rel = vec![[0f32; 2]; pts.len()];
        let mut idx = vec![0u32; pts.len()];
        let mut entry_of = vec![NONE; a.len()];
        for (k, &(i, p)) in pts.iter().enumerate() {
            let c = cell[k] as usize;
            let (cx, cy) = (c % nx, c / nx);
            let slot = fill[c] as usize;
            fill[c] += 1;
            rel[slot] = [
                (p[0] - (b[0] + cx as f64 * cw)) as f32,
                (p[1] - (b[1] + cy as f64 * ch)) as f32,
            ];
            idx[slot] = i;
            entry_of[i as usize] = slot as u32;
        }
        Self {
            bbox: b,
            core,
            nx,
            ny,
            cw,
            ch,
            start,
            rel,
            idx,
            entry_of,
        }
    }

    /// The cell (row-major) holding entry `k`.
    fn cell_of_entry(&self, k: usize) -> usize {
        self.start.partition_point(|&s| s as usize <= k) - 1
    }

    /// Number of accounts in the grid.
    pub fn len(&self) -> usize {
        self.idx.len()
    }

    /// True when there are no located accounts.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }

    /// Inclusive cell range `(c0, r0, c1, r1)` overlapping world box `b`.
    fn cells_of(&self, b: &WorldBox) -> Option<(usize, usize, usize, usize)> {
        if self.is_empty()
            || b[2] < self.bbox[0]
            || b[0] > self.bbox[2]
            || b[3] < self.bbox[1]
            || b[1] > self.bbox[3]
        {
            return None;
        }
        let cx =
            |x: f64| (((x - self.bbox[0]) / self.cw).floor().max(0.0) as usize).min(self.nx - 1);
        let cy =
            |y: f64| (((y - self.bbox[1]) / self.ch).floor().max(0.0) as usize).min(self.ny - 1);
        Some((cx(b[0]), cy(b[1]), cx(b[2]), cy(b[3])))
    }

    /// Entries in cell range: a count without visiting them.
    fn count_in(&self, r: (usize, usize, usize, usize)) -> usize {
        let (c0, r0, c1, r1) = r;
        (r0..=r1)
            .map(|row| {
                (self.start[row * self.nx + c1 + 1] - self.start[row * self.nx + c0]) as usize
            })
            .sum()
    }

    /// Accounts per screen cell of `cell` points over `view`: `(columns,
    /// rows, counts row-major)`. One pass over the accounts in view, with
    /// no per-account drawing: the density layer at any zoom and size.
    pub fn screen_density(&self, view: &ViewTransform, cell: f32) -> (usize, usize, Vec<u32>) {
        let r = view.rect;
        let nbx = ((r.width() / cell).ceil() as usize).max(1);
        let nby = ((r.height() / cell).ceil() as usize).max(1);
        let mut counts = vec![0u32; nbx * nby];
        let Some(cells) = self.cells_of(&view.world_bounds(0.0)) else {
            return (nbx, nby, counts);
        };
        let s = view.scale as f32;
        self.for_cells(view, cells, |(ox, oy), range| {
            for k in range {
                let x = (ox + self.rel[k][0] * s - r.min.x) / cell;
                let y = (oy + self.rel[k][1] * s - r.min.y) / cell;
                if x >= 0.0 && y >= 0.0 && (x as usize) < nbx && (y as usize) < nby {
                    counts[y as usize * nbx + x as usize] += 1;
                }
            }
        });
        (nbx, nby, counts)
    }

    /// World corner of cell `(cx, cy)`.
    fn corner(&self, cx: usize, cy: usize) -> [f64; 2] {
        [
            self.bbox[0] + cx as f64 * self.cw,
            self.bbox[1] + cy as f64 * self.ch,
        ]
    }

    /// The entries of a cell range, cell by cell, with each cell's screen
    /// offset: `f(offset, entry range)`.
    fn for_cells(
        &self,
        view: &ViewTransform,
        r: (usize, usize, usize, usize),
        mut f: impl FnMut((f32, f32), std::ops::Range<usize>),
    ) {
        let (c0, r0, c1, r1) = r;
        for row in r0..=r1 {
            for col in c0..=c1 {
                let c = row * self.nx + col;
                let (s, e) = (self.start[c] as usize, self.start[c + 1] as usize);
                if s == e {
                    continue;
                }
                let (ox, oy) = view.offset_of(self.corner(col, row));
                f((ox as f32, oy as f32), s..e);
            }
        }
    }
}

/// Majority-vote binning into a screen grid. Public so tests can check that
/// it conserves the account count.
#[derive(Clone, Debug, Default)]
pub struct Binner {
    nbx: usize,
    nby: usize,
    bins: Vec<Bin>,
}

/// One bin: Boyer–Moore candidate and votes, and the account count (kept
/// together: one cache line per update).
#[derive(Clone, Copy, Debug, Default)]
struct Bin {
    cand: u32,
    votes: u32,
    total: u32,
}

impl Bin {
    /// One Boyer–Moore step, branch-free: the branches would be
    /// unpredictable and dominate the loop.
    #[inline(always)]
    fn vote(&mut self, key: u32) {
        let fresh = (self.votes == 0) as u32;
        let agree = fresh | (self.cand == key) as u32;
        self.cand ^= (self.cand ^ key) & fresh.wrapping_neg();
        self.votes = self
            .votes
            .wrapping_add(agree.wrapping_mul(2))
            .wrapping_sub(1);
        self.total += 1;
    }
}

impl Binner {
    /// Empties the bins and sizes them to `nbx × nby`.
    pub fn reset(&mut self, nbx: usize, nby: usize) {
        self.bins.clear();
        self.bins.resize(nbx * nby, Bin::default());
        self.nbx = nbx;
        self.nby = nby;
    }

    /// Adds one account of colour/territory `key` to bin `(bx, by)`;
    /// out-of-range bins are ignored. Returns whether it was counted.
    #[inline]
    pub fn add(&mut self, bx: i32, by: i32, key: u32) -> bool {
        if bx < 0 || by < 0 || bx as usize >= self.nbx || by as usize >= self.nby {
            return false;
        }
        self.bins[by as usize * self.nbx + bx as usize].vote(key);
        true
    }

    /// Non-empty bins: `(bx, by, count, majority key)`.
    pub fn bins(&self) -> impl Iterator<Item = (usize, usize, u32, u32)> + '_ {
        self.bins
            .iter()
            .enumerate()
            .filter(|(_, b)| b.total > 0)
            .map(|(c, b)| (c % self.nbx, c / self.nbx, b.total, b.cand))
    }

    /// Sum of all bin counts.
    pub fn total(&self) -> usize {
        self.bins.iter().map(|b| b.total as usize).sum()
    }

    /// The bins as an image, one pixel per bin (majority colour, keys being
    /// packed `Color32`s), transparent where empty. Returns the count of
    /// non-empty bins.
    fn to_image(&self, img: &mut egui::ColorImage) -> usize {
        img.size = [self.nbx, self.nby];
        img.source_size = egui::Vec2::new(self.nbx as f32, self.nby as f32);
        img.pixels.clear();
        let mut n = 0;
        img.pixels.extend(self.bins.iter().map(|b| {
            if b.total > 0 {
                n += 1;
                unpack(b.cand)
            } else {
                Color32::TRANSPARENT
            }
        }));
        n
    }
}

#[inline]
fn pack(c: Color32) -> u32 {
    u32::from_ne_bytes(c.to_array())
}

#[inline]
fn unpack(k: u32) -> Color32 {
    let [r, g, b, a] = k.to_ne_bytes();
    Color32::from_rgba_premultiplied(r, g, b, a)
}

/// A whole-plan raster of world cells at one zoom level.
struct LevelRaster {
    data_gen: u64,
    level: u32,
    x0: i64,
    y0: i64,
    w: usize,
    h: usize,
    tex: egui::TextureHandle,
    total: usize,
    bins: usize,
}

/// Where the entries of a grid fall in the raster of a level: the one
/// formula of the full build and of the per-texel re-vote, so both put
/// every entry in the same texel.
#[derive(Clone, Copy, Debug)]
struct LevelGeom {
    f: f64,
    x0: i64,
    y0: i64,
    w: usize,
    h: usize,
}

impl LevelGeom {
    /// The raster of `level` over `g`'s box.
    fn of(g: &AccountGrid, level: u32) -> Self {
        let f = (level as f64).exp2();
        let (x0, y0) = (
            (g.bbox[0] * f).floor() as i64,
            (g.bbox[1] * f).floor() as i64,
        );
        let (x1, y1) = (
            (g.bbox[2] * f).floor() as i64 + 1,
            (g.bbox[3] * f).floor() as i64 + 1,
        );
        Self {
            f,
            x0,
            y0,
            w: (x1 - x0) as usize,
            h: (y1 - y0) as usize,
        }
    }

    /// Texel offset of grid cell `(col, row)`'s corner.
    #[inline]
    fn origin(&self, g: &AccountGrid, col: usize, row: usize) -> (f32, f32) {
        let corner = g.corner(col, row);
        (
            (corner[0] * self.f - self.x0 as f64) as f32,
            (corner[1] * self.f - self.y0 as f64) as f32,
        )
    }

    /// Texel (as `y * w + x`) of an entry at `r` in a cell at `origin`.
    #[inline]
    fn texel(&self, origin: (f32, f32), r: [f32; 2]) -> usize {
        let ff = self.f as f32;
        let bx = ((origin.0 + r[0] * ff).max(0.0) as usize).min(self.w - 1);
        let by = ((origin.1 + r[1] * ff).max(0.0) as usize).min(self.h - 1);
        by * self.w + bx
    }

    /// Votes every entry into `bins` (`w × h`, empty): the full build.
    fn vote_all(&self, g: &AccountGrid, colors: &[Color32], bins: &mut [Bin]) {
        for row in 0..g.ny {
            for col in 0..g.nx {
                let c = row * g.nx + col;
                let range = g.start[c] as usize..g.start[c + 1] as usize;
                let o = self.origin(g, col, row);
                for (r, &color) in g.rel[range.clone()].iter().zip(&colors[range]) {
                    bins[self.texel(o, *r)].vote(pack(color));
                }
            }
        }
    }

    /// Majority vote of texel `t` from scratch: the entries that fall in it,
    /// in the order of the full build (cells row-major, entries in order),
    /// so it ends exactly as the full build's vote does.
    fn revote(&self, g: &AccountGrid, colors: &[Color32], t: usize) -> Bin {
        let (bx, by) = (t % self.w, t / self.w);
        // The texel's world box, one grid cell wider on each side: float
        // rounding moves an entry by far less than a cell.
        let b = [
            (self.x0 + bx as i64) as f64 / self.f - g.cw,
            (self.y0 + by as i64) as f64 / self.f - g.ch,
            (self.x0 + bx as i64 + 1) as f64 / self.f + g.cw,
            (self.y0 + by as i64 + 1) as f64 / self.f + g.ch,
        ];
        let mut bin = Bin::default();
        let Some((c0, r0, c1, r1)) = g.cells_of(&b) else {
            return bin;
        };
        // Entries clamped into a border texel may come from any cell past
        // that border.
        let (c0, c1) = (
            if bx == 0 { 0 } else { c0 },
            if bx == self.w - 1 { g.nx - 1 } else { c1 },
        );
        let (r0, r1) = (
            if by == 0 { 0 } else { r0 },
            if by == self.h - 1 { g.ny - 1 } else { r1 },
        );
        for row in r0..=r1 {
            for col in c0..=c1 {
                let c = row * g.nx + col;
                let range = g.start[c] as usize..g.start[c + 1] as usize;
                if range.is_empty() {
                    continue;
                }
                let o = self.origin(g, col, row);
                for (r, &color) in g.rel[range.clone()].iter().zip(&colors[range]) {
                    if self.texel(o, *r) == t {
                        bin.vote(pack(color));
                    }
                }
            }
        }
        bin
    }
}

/// Most texels re-voted after an edit before a level is rather dropped
/// (and rebuilt whole if shown again).
const MAX_REVOTED_TEXELS: usize = 512;

/// Equality key of everything a frame's dot mesh depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FrameKey {
    data: u64,
    view: ViewTransform,
    budget: usize,
}

/// The account layer: caches and per-frame buffers.
pub struct AccountLayer {
    plan: Option<PlanKey>,
    fingerprint: Option<u64>,
    size_by: Option<Option<usize>>,
    /// Bumped whenever anything cached changes.
    data_gen: u64,
    /// Times the colours were rebuilt from scratch (not just the accounts
    /// an edit changed).
    pub full_rebuilds: u64,
    /// The sorted positions.
    pub grid: AccountGrid,
    colors: Vec<Color32>,
    pinned: Vec<bool>,
    /// The colour of each engine slot the colours were made with.
    slot_colors: Vec<Color32>,
    radius: Vec<f32>,
    binner: Binner,
    /// Bins as pixels, and the texture they are shown with.
    raster: egui::ColorImage,
    bins_tex: Option<egui::TextureHandle>,
    levels: Vec<LevelRaster>,
    dots: Arc<Mesh>,
    rings: Arc<Mesh>,
    frame: Option<FrameKey>,
    /// Most accounts drawn one by one.
    pub point_budget: usize,
    /// What the last frame drew.
    pub stats: DotStats,
}

impl Default for AccountLayer {
    fn default() -> Self {
        Self {
            plan: None,
            fingerprint: None,
            size_by: None,
            data_gen: 0,
            full_rebuilds: 0,
            grid: AccountGrid::default(),
            colors: Vec::new(),
            pinned: Vec::new(),
            slot_colors: Vec::new(),
            radius: Vec::new(),
            binner: Binner::default(),
            raster: egui::ColorImage::filled([1, 1], Color32::TRANSPARENT),
            bins_tex: None,
            levels: Vec::new(),
            dots: Arc::new(Mesh::default()),
            rings: Arc::new(Mesh::default()),
            frame: None,
            point_budget: DEFAULT_POINT_BUDGET,
            stats: DotStats::default(),
        }
    }
}

/// Fingerprint of account positions and tombstones (a cheap FNV-style mix,
/// run in parallel chunks).
fn positions_fingerprint(ws: &Workspace) -> u64 {
    let a = &ws.project().accounts;
    let n = a.len();
    let chunks: Vec<u64> = (0..n.div_ceil(65_536))
        .into_par_iter()
        .map(|k| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ k as u64;
            for i in k * 65_536..((k + 1) * 65_536).min(n) {
                let v =
                    a.lon[i].to_bits() ^ a.lat[i].to_bits().rotate_left(29) ^ a.removed[i] as u64;
                h = (h ^ v).wrapping_mul(0x100_0000_01b3).rotate_left(5);
            }
            h
        })
        .collect();
    chunks.iter().fold(n as u64, |h, &c| {
        (h ^ c).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    })
}

/// Colour of every slot of the engine.
pub fn slot_colors(ws: &Workspace) -> Vec<Color32> {
    let e = ws.engine();
    let mut out = vec![UNASSIGNED; e.index().slot_capacity()];
    for t in &ws.project().territories {
        if let Some(s) = e.index().slot_of(t.id)
            && let Some(c) = out.get_mut(s as usize)
        {
            *c = Color32::from_rgb(t.color[0], t.color[1], t.color[2]);
        }
    }
    out
}

/// Colour of the dot of account `i`: its territory's, from the colour of
/// each slot.
#[inline]
fn dot_color(colors: &[Color32], slots: &[u32], i: usize) -> Color32 {
    let s = slots.get(i).copied().unwrap_or(NONE);
    if s == NONE {
        UNASSIGNED
    } else {
        colors.get(s as usize).copied().unwrap_or(UNASSIGNED)
    }
}

impl AccountLayer {
    /// Brings the caches up to date (cheap when nothing changed; after an
    /// edit, only the accounts it moved are recoloured, see
    /// [`Workspace::changes_since`]).
    pub fn refresh(&mut self, ws: &Workspace, key: PlanKey, size_by: Option<usize>) {
        if self.plan != Some(key) {
            let prev = self.plan.replace(key);
            if !prev.is_some_and(|prev| self.refresh_changed(ws, prev, key)) {
                self.rebuild(ws);
            }
        }
        if self.size_by != Some(size_by) {
            self.size_by = Some(size_by);
            self.radius = self.radii(ws, size_by);
            self.data_gen += 1;
        }
    }

    /// Rebuilds the colours (and the grid if positions changed) from
    /// scratch.
    fn rebuild(&mut self, ws: &Workspace) {
        let fp = positions_fingerprint(ws);
        if self.fingerprint != Some(fp) {
            self.fingerprint = Some(fp);
            self.grid = AccountGrid::build(ws);
        }
        let colors = slot_colors(ws);
        let slots = ws.engine().slots();
        let (engine, project) = (ws.engine(), ws.project());
        (self.colors, self.pinned) = self
            .grid
            .idx
            .par_iter()
            .with_min_len(8192)
            .map(|&i| {
                let c = dot_color(&colors, slots, i as usize);
                // Ringed when pinned in the type shown.
                (c, engine.pin_of(project, i as usize).is_some())
            })
            .unzip();
        self.slot_colors = colors;
        self.size_by = None;
        self.data_gen += 1;
        self.full_rebuilds += 1;
    }

    /// Updates the colours and rings of the accounts changed since plan
    /// state `prev` (and the cached rasters' texels they fall in). False
    /// when that cannot be done: the plan is another one, the journal does
    /// not go back that far, positions or territory colours changed, or an
    /// account came or went; the caller rebuilds then.
    fn refresh_changed(&mut self, ws: &Workspace, prev: PlanKey, key: PlanKey) -> bool {
        let same_plan = prev.accounts_at == key.accounts_at
            && prev.accounts == key.accounts
            && prev.ty == key.ty
            && self.grid.entry_of.len() == key.accounts;
        if !same_plan {
            return false;
        }
        let Some(changes) = ws.changes_since(prev.revision) else {
            return false;
        };
        if changes.relocated {
            return false;
        }
        // Accounts that kept their slot keep its colour only if the slot
        // did (a recolour repaints everything); new slots are only held by
        // accounts that moved, which are recoloured anyway.
        let colors = slot_colors(ws);
        let old = self.slot_colors.len();
        if colors.len() < old || colors[..old] != self.slot_colors[..] {
            return false;
        }
        let a = &ws.project().accounts;
        let mut entries = Vec::with_capacity(changes.accounts.len());
        for &i in &changes.accounts {
            let i = i as usize;
            let k = self.grid.entry_of.get(i).copied().unwrap_or(NONE);
            let drawn = i < a.len() && !a.removed[i] && a.is_located(i);
            if (k != NONE) != drawn {
                return false; // removed or restored: the grid changes
            }
            if k != NONE {
                entries.push((k as usize, i));
            }
        }
        let (engine, project) = (ws.engine(), ws.project());
        let slots = engine.slots();
        let mut changed = Vec::new();
        for (k, i) in entries {
            let c = dot_color(&colors, slots, i);
            let ring = engine.pin_of(project, i).is_some();
            if self.colors[k] != c || self.pinned[k] != ring {
                self.colors[k] = c;
                self.pinned[k] = ring;
                changed.push(k);
            }
        }
        self.slot_colors = colors;
        if !changed.is_empty() {
            self.data_gen += 1;
            self.revote_levels(&changed);
        }
        true
    }

    /// Re-votes the texels of the cached level rasters that hold the
    /// `changed` entries and uploads just those texels; a level with too
    /// many is dropped (rebuilt whole if shown again).
    fn revote_levels(&mut self, changed: &[usize]) {
        let (grid, colors) = (&self.grid, &self.colors);
        let data_gen = self.data_gen;
        self.levels.retain_mut(|r| {
            if r.data_gen + 1 != data_gen {
                return false; // already stale
            }
            let geom = LevelGeom::of(grid, r.level);
            debug_assert!((geom.x0, geom.y0, geom.w, geom.h) == (r.x0, r.y0, r.w, r.h));
            let mut texels: Vec<usize> = changed
                .iter()
                .map(|&k| {
                    let c = grid.cell_of_entry(k);
                    let o = geom.origin(grid, c % grid.nx, c / grid.nx);
                    geom.texel(o, grid.rel[k])
                })
                .collect();
            texels.sort_unstable();
            texels.dedup();
            if texels.len() > MAX_REVOTED_TEXELS {
                return false;
            }
            for t in texels {
                let bin = geom.revote(grid, colors, t);
                let px = if bin.total > 0 {
                    unpack(bin.cand)
                } else {
                    Color32::TRANSPARENT
                };
                r.tex.set_partial(
                    [t % geom.w, t / geom.w],
                    egui::ColorImage::new([1, 1], vec![px]),
                    egui::TextureOptions::NEAREST,
                );
            }
            r.data_gen = data_gen;
            true
        });
    }

    /// The colour account `i`'s dot is drawn in (`None` when it is not
    /// drawn).
    pub fn color_of(&self, i: usize) -> Option<Color32> {
        let k = *self.grid.entry_of.get(i).filter(|&&k| k != NONE)?;
        self.colors.get(k as usize).copied()
    }

    /// Whether account `i`'s dot has the pinned ring (`None` when it is
    /// not drawn).
    pub fn ringed(&self, i: usize) -> Option<bool> {
        let k = *self.grid.entry_of.get(i).filter(|&&k| k != NONE)?;
        self.pinned.get(k as usize).copied()
    }

    /// Per entry radius from measure `m` (area proportional to the value,
    /// relative to its 95th percentile); empty for the fixed size.
    fn radii(&self, ws: &Workspace, m: Option<usize>) -> Vec<f32> {
        let Some(col) = m.and_then(|m| ws.project().accounts.measures.get(m)) else {
            return Vec::new();
        };
        let vals: Vec<f64> = self
            .grid
            .idx
            .iter()
            .map(|&i| col.values.get(i as usize).copied().unwrap_or(f64::NAN))
            .collect();
        let mut pos: Vec<f64> = vals
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        if pos.is_empty() {
            return Vec::new();
        }
        let k = (pos.len() * 95 / 100).min(pos.len() - 1);
        let (_, p95, _) = pos.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
        let p95 = *p95;
        let (lo, hi) = SIZED_RADIUS;
        vals.iter()
            .map(|&v| {
                if v.is_finite() && v > 0.0 {
                    (hi * (v / p95).sqrt() as f32).clamp(lo, hi)
                } else {
                    lo
                }
            })
            .collect()
    }

    /// Radius of entry `k` on screen, with dots at `size` (see
    /// [`dot_scale`]).
    #[inline]
    fn radius_of(&self, k: usize, size: f32) -> f32 {
        let r = self.radius.get(k).copied().unwrap_or(DOT_RADIUS);
        (r * size).max(MIN_DOT_RADIUS)
    }

    /// Bumped whenever the cached accounts change (caches built on them
    /// compare it).
    pub fn data_gen(&self) -> u64 {
        self.data_gen
    }

    /// Largest dot radius in use (at full size).
    pub fn max_radius(&self) -> f32 {
        if self.radius.is_empty() {
            DOT_RADIUS
        } else {
            SIZED_RADIUS.1
        }
    }

    /// Paints the dots (one mesh, plus one of rings for pinned accounts).
    pub fn paint(
        &mut self,
        painter: &egui::Painter,
        view: &ViewTransform,
        dot: TextureId,
        ring: TextureId,
    ) {
        let key = FrameKey {
            data: self.data_gen,
            view: *view,
            budget: self.point_budget,
        };
        if self.frame == Some(key) {
            self.stats.reused = true;
            if !self.dots.is_empty() {
                painter.add(Shape::Mesh(self.dots.clone()));
            }
            if !self.rings.is_empty() {
                painter.add(Shape::Mesh(self.rings.clone()));
            }
            return;
        }
        self.frame = Some(key);
        self.stats = DotStats::default();
        // Reuse last frame's buffers when egui has let go of them (taken
        // out of `self` while filling, so the helpers can borrow `self`).
        let mut dots_arc = std::mem::take(&mut self.dots);
        let mut rings_arc = std::mem::take(&mut self.rings);
        for m in [&mut dots_arc, &mut rings_arc] {
            if Arc::get_mut(m).is_none() {
                *m = Arc::new(Mesh::default());
            }
        }
        let dots = Arc::make_mut(&mut dots_arc);
        let rings = Arc::make_mut(&mut rings_arc);
        dots.clear();
        rings.clear();
        dots.texture_id = dot;
        rings.texture_id = ring;
        let margin = self.max_radius() + 1.0;
        if let Some(cells) = self.grid.cells_of(&view.world_bounds(margin)) {
            let in_cells = self.grid.count_in(cells);
            if in_cells <= self.point_budget {
                self.paint_points(view, cells, dots, rings);
            } else if !self.paint_level(view, in_cells, dots, painter.ctx()) {
                self.paint_bins(view, cells, dots, painter.ctx());
            }
        }
        self.dots = dots_arc;
        self.rings = rings_arc;
        if !self.dots.is_empty() {
            painter.add(Shape::Mesh(self.dots.clone()));
        }
        if !self.rings.is_empty() {
            painter.add(Shape::Mesh(self.rings.clone()));
        }
    }

    fn paint_points(
        &mut self,
        view: &ViewTransform,
        cells: (usize, usize, usize, usize),
        dots: &mut Mesh,
        rings: &mut Mesh,
    ) {
        let s = view.scale as f32;
        let clip = view.rect;
        let (grid, colors, pinned) = (&self.grid, &self.colors, &self.pinned);
        let size = dot_scale(view.zoom);
        let mut in_view = 0;
        dots.reserve_vertices(4 * grid.count_in(cells));
        grid.for_cells(view, cells, |(ox, oy), range| {
            for k in range {
                let r = self.radius_of(k, size);
                let p = pos2(ox + grid.rel[k][0] * s, oy + grid.rel[k][1] * s);
                if p.x < clip.min.x - r
                    || p.x > clip.max.x + r
                    || p.y < clip.min.y - r
                    || p.y > clip.max.y + r
                {
                    continue;
                }
                if clip.contains(p) {
                    in_view += 1;
                }
                add_quad(dots, p, r, colors[k]);
                if pinned[k] {
                    add_quad(rings, p, r + 1.5, Color32::from_gray(30));
                }
            }
        });
        self.stats.mode = DotMode::Points;
        self.stats.in_view = in_view;
        self.stats.represented = in_view;
        self.stats.quads = dots.vertices.len() / 4;
    }

    /// Draws the accounts from a raster of world cells of `2^-level` (one
    /// texel each, majority colour), sized `LEVEL_PX..2·LEVEL_PX` points at
    /// this zoom. The raster covers the whole plan and is built once per plan
    /// change and level (one pass over the accounts), so panning and
    /// redrawing cost nothing per account. False when the raster would be
    /// too big for a texture (zoomed in): the caller bins on screen instead.
    fn paint_level(
        &mut self,
        view: &ViewTransform,
        in_view: usize,
        dots: &mut Mesh,
        ctx: &egui::Context,
    ) -> bool {
        let level = (view.zoom + 8.0 - (LEVEL_PX as f64).log2())
            .floor()
            .max(0.0) as u32;
        let max_side = ctx.input(|i| i.max_texture_side).min(4096);
        let Some(k) = self.level_raster(level, max_side, ctx) else {
            return false;
        };
        let r = &self.levels[k];
        let (total, bins, tex) = (r.total, r.bins, r.tex.id());
        let f = (level as f64).exp2();
        let a = view.to_screen([r.x0 as f64 / f, r.y0 as f64 / f]);
        let b = view.to_screen([
            (r.x0 + r.w as i64) as f64 / f,
            (r.y0 + r.h as i64) as f64 / f,
        ]);
        let full = Rect::from_min_max(a, b);
        // Only the visible part, with matching texture coordinates (keeps
        // the quad small even when the raster is far larger than the view).
        let vis = full.intersect(view.rect);
        if vis.is_positive() {
            let uv = |p: Pos2| pos2((p.x - a.x) / (b.x - a.x), (p.y - a.y) / (b.y - a.y));
            dots.texture_id = tex;
            dots.add_rect_with_uv(
                vis,
                Rect::from_min_max(uv(vis.min), uv(vis.max)),
                Color32::WHITE,
            );
        }
        self.stats.mode = DotMode::Binned;
        self.stats.in_view = in_view;
        self.stats.represented = total;
        self.stats.bins = bins;
        self.stats.quads = 1;
        self.stats.level = Some(level);
        true
    }

    /// The cached raster of `level`, built if needed; `None` if too big.
    fn level_raster(&mut self, level: u32, max_side: usize, ctx: &egui::Context) -> Option<usize> {
        if let Some(k) = self
            .levels
            .iter()
            .position(|r| r.level == level && r.data_gen == self.data_gen)
        {
            return Some(k);
        }
        if self.grid.is_empty() || level > 30 {
            return None;
        }
        let g = &self.grid;
        let geom = LevelGeom::of(g, level);
        let (x0, y0, w, h) = (geom.x0, geom.y0, geom.w, geom.h);
        if w > max_side || h > max_side {
            return None;
        }
        self.binner.reset(w, h);
        geom.vote_all(g, &self.colors, &mut self.binner.bins);
        let nbins = self.binner.to_image(&mut self.raster);
        let tex = ctx.load_texture(
            format!("turfmap-accounts-level-{level}"),
            self.raster.clone(),
            egui::TextureOptions::NEAREST,
        );
        // A few levels stay cached for zooming back and forth.
        self.levels.retain(|r| r.data_gen == self.data_gen);
        if self.levels.len() >= 4 {
            self.levels.remove(0);
        }
        self.levels.push(LevelRaster {
            data_gen: self.data_gen,
            level,
            x0,
            y0,
            w,
            h,
            tex,
            total: self.binner.total(),
            bins: nbins,
        });
        Some(self.levels.len() - 1)
    }

    /// Bins the accounts in view into `BIN_PX` cells and draws the bins as
    /// one nearest-filtered texture (one texel per bin) on one quad: a
    /// million accounts become ~150k texels instead of ~600k vertices, which
    /// keeps egui's tessellation (a copy of every vertex, each frame) cheap.
    fn paint_bins(
        &mut self,
        view: &ViewTransform,
        cells: (usize, usize, usize, usize),
        dots: &mut Mesh,
        ctx: &egui::Context,
    ) {
        let b = BIN_PX;
        let rect = view.rect;
        // Bins are aligned to the world's pixel grid, not the screen's, so
        // they move with the map while panning instead of reshuffling.
        let c = rect.center();
        let phase = |min: f32, c: f32, w: f64| {
            ((min as f64 - c as f64 + w * view.scale).rem_euclid(b as f64)) as f32
        };
        let gx0 = rect.min.x - phase(rect.min.x, c.x, view.center[0]);
        let gy0 = rect.min.y - phase(rect.min.y, c.y, view.center[1]);
        let nbx = ((rect.max.x - gx0) / b).ceil() as usize + 1;
        let nby = ((rect.max.y - gy0) / b).ceil() as usize + 1;
        self.binner.reset(nbx, nby);
        let s = view.scale as f32;
        let inv = 1.0 / b;
        let (grid, colors) = (&self.grid, &self.colors);
        let bins = &mut self.binner.bins[..];
        let mut in_view = 0usize;
        grid.for_cells(view, cells, |(ox, oy), range| {
            let (rel, col) = (&grid.rel[range.clone()], &colors[range]);
            for (r, &color) in rel.iter().zip(col) {
                let x = ox + r[0] * s;
                let y = oy + r[1] * s;
                if x < rect.min.x || x >= rect.max.x || y < rect.min.y || y >= rect.max.y {
                    continue;
                }
                in_view += 1;
                // In range by construction: x ≥ gx0 and x < rect.max.x.
                let bx = (((x - gx0) * inv) as usize).min(nbx - 1);
                let by = (((y - gy0) * inv) as usize).min(nby - 1);
                bins[by * nbx + bx].vote(pack(color));
            }
        });
        let bins = self.binner.to_image(&mut self.raster);
        let tex = self.bins_tex.get_or_insert_with(|| {
            ctx.load_texture(
                "turfmap-bins",
                egui::ColorImage::filled([1, 1], Color32::TRANSPARENT),
                egui::TextureOptions::NEAREST,
            )
        });
        tex.set(self.raster.clone(), egui::TextureOptions::NEAREST);
        dots.texture_id = tex.id();
        let area = Rect::from_min_size(pos2(gx0, gy0), egui::vec2(nbx as f32 * b, nby as f32 * b));
        dots.add_rect_with_uv(
            area,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE,
        );
        self.stats.mode = DotMode::Binned;
        self.stats.in_view = in_view;
        self.stats.represented = self.binner.total();
        self.stats.bins = bins;
        self.stats.quads = 1;
    }

    /// The account nearest to screen point `p` within its dot (plus a few
    /// points of slack), and how many other accounts are that close.
    pub fn hit(&self, view: &ViewTransform, p: Pos2) -> Option<(usize, usize)> {
        let slack = if self.stats.mode == DotMode::Binned {
            BIN_PX * 1.5
        } else {
            2.5
        };
        let reach = self.max_radius() + slack;
        let w = view.to_world(p);
        let d = reach as f64 / view.scale;
        let cells = self
            .grid
            .cells_of(&[w[0] - d, w[1] - d, w[0] + d, w[1] + d])?;
        if self.grid.count_in(cells) > 400_000 {
            return None; // pathological pile-up: not worth a frame
        }
        let s = view.scale as f32;
        let size = dot_scale(view.zoom);
        let mut best: Option<(f32, usize)> = None;
        let mut near = 0usize;
        self.grid.for_cells(view, cells, |(ox, oy), range| {
            for k in range {
                let q = pos2(ox + self.grid.rel[k][0] * s, oy + self.grid.rel[k][1] * s);
                let r = if self.stats.mode == DotMode::Binned {
                    0.0
                } else {
                    self.radius_of(k, size)
                };
                let dist = (q - p).length();
                if dist <= r + slack {
                    near += 1;
                    if best.is_none_or(|(bd, _)| dist < bd) {
                        best = Some((dist, k));
                    }
                }
            }
        });
        best.map(|(_, k)| (self.grid.idx[k] as usize, near - 1))
    }
}

/// Appends a textured square of half-size `r` centred on `p`.
#[inline]
fn add_quad(mesh: &mut Mesh, p: Pos2, r: f32, color: Color32) {
    let i = mesh.vertices.len() as u32;
    mesh.vertices.extend_from_slice(&[
        Vertex {
            pos: pos2(p.x - r, p.y - r),
            uv: pos2(0.0, 0.0),
            color,
        },
        Vertex {
            pos: pos2(p.x + r, p.y - r),
            uv: pos2(1.0, 0.0),
            color,
        },
        Vertex {
            pos: pos2(p.x + r, p.y + r),
            uv: pos2(1.0, 1.0),
            color,
        },
        Vertex {
            pos: pos2(p.x - r, p.y + r),
            uv: pos2(0.0, 1.0),
            color,
        },
    ]);
    mesh.indices
        .extend_from_slice(&[i, i + 1, i + 2, i, i + 2, i + 3]);
}

/// Makes the dot and ring textures (white, so vertex colours tint them).
pub fn dot_textures(ctx: &egui::Context) -> (egui::TextureHandle, egui::TextureHandle) {
    const N: usize = 32;
    let make = |ring: bool| {
        let mut img = egui::ColorImage::filled([N, N], Color32::TRANSPARENT);
        let c = (N as f32 - 1.0) / 2.0;
        let rad = N as f32 / 2.0 - 0.5;
        for y in 0..N {
            for x in 0..N {
                let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
                let edge = (rad - d + 0.5).clamp(0.0, 1.0);
                let px = if ring {
                    // A ring 3/16 of the radius thick.
                    let inner = (d - rad * 0.72 + 0.5).clamp(0.0, 1.0);
                    Color32::from_white_alpha((255.0 * edge * inner) as u8)
                } else {
                    // A slightly darker rim so touching dots stay apart.
                    let shade = if d > rad * 0.78 { 150u8 } else { 255 };
                    let a = (255.0 * edge) as u8;
                    Color32::from_rgba_premultiplied(
                        (shade as f32 * edge) as u8,
                        (shade as f32 * edge) as u8,
                        (shade as f32 * edge) as u8,
                        a,
                    )
                };
                img[(x, y)] = px;
            }
        }
        img
    };
    let opts = egui::TextureOptions {
        mipmap_mode: Some(egui::TextureFilter::Linear),
        ..egui::TextureOptions::LINEAR
    };
    (
        ctx.load_texture("turfmap-dot", make(false), opts),
        ctx.load_texture("turfmap-ring", make(true), opts),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::synth::synthetic_plan;

    /// The per-texel re-vote an edit runs must end exactly as the full
    /// build's vote, or the raster would drift from a rebuilt one.
    #[test]
    fn revoting_a_texel_matches_the_full_vote() {
        let ws = Workspace::new(synthetic_plan(20_000, 30, 5));
        let mut layer = AccountLayer::default();
        layer.refresh(&ws, PlanKey::of(&ws), None);
        let g = &layer.grid;
        for level in [2, 5, 8, 10] {
            let geom = LevelGeom::of(g, level);
            let mut bins = vec![Bin::default(); geom.w * geom.h];
            geom.vote_all(g, &layer.colors, &mut bins);
            let (w, h) = (geom.w, geom.h);
            // Every border texel (entries get clamped into them), and a
            // spread of the rest.
            let border = |t: usize| {
                let (x, y) = (t % w, t / w);
                x == 0 || x == w - 1 || y == 0 || y == h - 1
            };
            let mut checked = 0;
            for (t, b) in bins.iter().enumerate() {
                if !(border(t) || t.is_multiple_of(7) || b.total > 0 && t.is_multiple_of(3)) {
                    continue;
                }
                let r = geom.revote(g, &layer.colors, t);
                assert_eq!(
                    (r.cand, r.votes, r.total),
                    (b.cand, b.votes, b.total),
                    "level {level}, texel {t}"
                );
                checked += usize::from(b.total > 0);
            }
            assert!(checked > 0, "level {level} checked no filled texel");
            assert_eq!(
                bins.iter().map(|b| b.total as usize).sum::<usize>(),
                g.len()
            );
        }
    }
}
