//! The map: an offline vector basemap, territories and accounts on a walkers
//! slippy map.
//!
//! Layers, bottom to top: the basemap ([`basemap`], a walkers plugin; or
//! online raster tiles when switched on, [`tiles`]), territory fills
//! ([`territories`]), accounts ([`accounts`]), territory outlines and labels
//! (over the accounts, so dense dots never hide a boundary), then the
//! hover/selection highlights, the scale bar and the attribution.
//!
//! Everything view-independent (projected and triangulated geometry, sorted
//! account positions, colours) is cached in Web-Mercator world coordinates
//! ([`proj`]) and rebuilt only when [`Workspace::revision`] moves; a frame
//! only transforms, culls and bins.

pub mod accounts;
pub mod basemap;
pub mod drive;
pub mod geom;
pub mod heat;
pub mod insets;
pub mod legend;
pub mod proj;
pub mod raster;
pub mod reps;
pub mod territories;
pub mod tiles;

use std::sync::Arc;
use std::time::Duration;

use egui::{Align2, Color32, FontId, Key, Pos2, Rect, Stroke, TextureHandle, Vec2, vec2};
use walkers::{Map, MapMemory, Position, lon_lat};

use crate::app::state::{MapEvent, MapStyle, Selection};
use crate::core::{TerritoryId, Workspace};
use accounts::{AccountLayer, DotStats};
use proj::{
    MAX_ZOOM, MIN_ZOOM, ViewTransform, WorldBox, fit_box, inverse_mercator, mercator, pad_box,
    union_box,
};
use territories::{TerritoryLayer, paint_labels};
pub use tiles::TileSettings;

/// Margin around the accounts when framing the plan, as a share of their
/// box's width and height on each side.
pub const FRAME_PADDING: f64 = 0.05;

/// Identifies one state of one plan: caches rebuild when it changes. The
/// revision alone is not enough, since a newly opened plan starts at
/// revision 0 again; the addresses of its big columns tell plans apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanKey {
    revision: u64,
    accounts_at: usize,
    territories_at: usize,
    accounts: usize,
    territories: usize,
    /// The territory type shown: switching it recolours everything.
    ty: u32,
}

impl PlanKey {
    /// The key of `ws` as it is now.
    pub fn of(ws: &Workspace) -> Self {
        let p = ws.project();
        Self {
            revision: ws.revision(),
            accounts_at: p.accounts.lon.as_ptr() as usize,
            territories_at: p.territories.as_ptr() as usize,
            accounts: p.accounts.len(),
            territories: p.territories.len(),
            ty: ws.current_type().0,
        }
    }
}

/// What the last frame drew (for the benchmark, tests and a debug line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Territories drawn (in view).
    pub territories: usize,
    /// Territory labels placed.
    pub labels: usize,
    /// Account dots.
    pub dots: DotStats,
    /// Whether the basemap had finished loading.
    pub basemap_ready: bool,
    /// Territory outlines drawn from their cached tessellation.
    pub outlines_cached: usize,
    /// Of those, re-tessellated this frame (new zoom, shape or colour).
    pub outlines_built: usize,
    /// Whether the territories were drawn from their cached images.
    pub territory_images: bool,
    /// Territories redrawn into those images this frame.
    pub images_redrawn: usize,
}

/// The map widget and its view state (camera, caches).
pub struct MapView {
    memory: MapMemory,
    /// Where the camera is (walkers' "my position", which it follows until
    /// the user drags).
    home: Position,
    pending_fit: Option<WorldBox>,
    placed: bool,
    last_view: Option<ViewTransform>,
    territories: TerritoryLayer,
    accounts: AccountLayer,
    dot: TextureHandle,
    ring: TextureHandle,
    ctx: egui::Context,
    online: Option<tiles::OnlineTiles>,
    online_error: Option<String>,
    stats: FrameStats,
    /// Accounts ringed as "moved" (a scenario comparison), if any.
    moved: Option<Arc<Vec<usize>>>,
    /// Candidate home bases `(lon, lat)` (the Capacity window), if any.
    candidates: Option<Arc<Vec<(f64, f64)>>>,
    /// While set, the next click on the map picks a point (for this
    /// purpose, shown as a hint) instead of selecting.
    picking: Option<String>,
    /// The point picked, until taken.
    picked: Option<(f64, f64)>,
    /// Rep figures for the home tooltips, per plan state.
    rep_cache: Option<(PlanKey, Arc<Vec<crate::core::reps::RepMetrics>>)>,
    /// Time the last frame spent bringing the caches up to date (ms):
    /// territory shapes, then account grid and colours.
    refresh_ms: [f64; 2],
    /// The account density layer (when the style asks for it).
    heat: heat::HeatLayer,
    /// The plan's metrics and the colouring made from them, for colouring
    /// by a value or labelling with values (per plan state and colouring).
    coloring: Option<ColoringCache>,
    /// The territories labelled in the last frame.
    labelled: Vec<TerritoryId>,
    /// The insets the plan needs (US plans), and the plan they are for.
    insets: Vec<crate::core::render::insets::Inset>,
    insets_key: Option<(usize, usize, usize, u32)>,
    /// The insets drawn in the last frame.
    insets_shown: Vec<&'static str>,
    /// Drive-time rings and the drive lines of hover cards.
    drive: drive::DriveLayer,
}

/// Metrics and colouring of one plan state.
struct ColoringCache {
    key: PlanKey,
    by: crate::core::colorby::ColorBy,
    metrics: crate::core::metrics::PlanMetrics,
    coloring: crate::core::colorby::Coloring,
}

/// Ring colour of accounts that change territory in a comparison.
pub const MOVED_COLOR: Color32 = Color32::from_rgb(230, 0, 160);

/// At most this many moved-account rings per frame (the rest of a huge
/// change list still shows through the counts in the model window).
const MAX_MOVED_RINGS: usize = 20_000;

/// What an editing tool sees of the map in one frame.
pub struct ToolFrame<'a> {
    /// The plan shown.
    pub ws: &'a Workspace,
    /// Screen ↔ world for this frame.
    pub view: ViewTransform,
    /// The account dots (`None` when they are hidden).
    pub accounts: Option<&'a AccountLayer>,
    /// The territory shapes as drawn.
    pub territories: &'a TerritoryLayer,
    /// What is selected.
    pub selection: &'a Selection,
}

impl ToolFrame<'_> {
    /// The account whose dot is under screen point `p`, if any.
    pub fn account_at(&self, p: Pos2) -> Option<usize> {
        self.accounts?.hit(&self.view, p).map(|h| h.0)
    }

    /// The territory that owns screen point `p` (as accounts there would be
    /// assigned), if any.
    pub fn territory_at(&self, p: Pos2) -> Option<TerritoryId> {
        let (lon, lat) = self.view.to_lon_lat(p);
        self.ws.engine().index().locate(lon, lat)
    }

    /// Screen position of `(lon, lat)`.
    pub fn to_screen(&self, lon: f64, lat: f64) -> Pos2 {
        self.view.to_screen(mercator(lon, lat))
    }

    /// Paints the outline of territory `id` with `stroke` (a highlight).
    pub fn outline(&self, painter: &egui::Painter, id: TerritoryId, stroke: Stroke) {
        self.territories
            .paint_outline(painter, &self.view, id, stroke);
    }
}

/// An editing tool on the map (see [`MapView::show_with`]).
pub trait MapTool {
    /// The primary button went down at screen point `p` on the map, before
    /// the map reacts to it. A tool that takes the drag reports it through
    /// [`MapTool::holds_drag`] from now until the button is released.
    fn press(&mut self, f: &ToolFrame, p: Pos2, modifiers: egui::Modifiers) {
        let _ = (f, p, modifiers);
    }

    /// True while the tool holds a drag (the map does not pan meanwhile).
    fn holds_drag(&self) -> bool {
        false
    }

    /// Paints on top of the map and handles this frame's input on it.
    /// Returns true when it used this frame's click, so the map does not
    /// also select what was clicked.
    fn frame(
        &mut self,
        ui: &mut egui::Ui,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        events: &mut Vec<MapEvent>,
    ) -> bool {
        let _ = (ui, response, painter, f, events);
        false
    }
}

/// No editing tool: clicks select, drags pan.
pub struct NoTool;

impl MapTool for NoTool {}

impl MapView {
    /// Creates the map view and starts loading the basemap in the
    /// background.
    pub fn new(ctx: &egui::Context) -> Self {
        basemap::start_loading(Some(ctx));
        let (dot, ring) = accounts::dot_textures(ctx);
        let mut memory = MapMemory::default();
        let _ = memory.set_zoom(3.0);
        Self {
            memory,
            home: lon_lat(-96.0, 38.0),
            pending_fit: None,
            placed: false,
            last_view: None,
            territories: TerritoryLayer::default(),
            accounts: AccountLayer::default(),
            dot,
            ring,
            ctx: ctx.clone(),
            online: None,
            online_error: None,
            stats: FrameStats::default(),
            moved: None,
            candidates: None,
            picking: None,
            picked: None,
            rep_cache: None,
            refresh_ms: [0.0; 2],
            heat: heat::HeatLayer::default(),
            coloring: None,
            labelled: Vec::new(),
            insets: Vec::new(),
            insets_key: None,
            insets_shown: Vec::new(),
            drive: drive::DriveLayer::default(),
        }
    }

    /// Draws the map filling `ui` and returns what the user did on it
    /// (clicks select; no editing tool).
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        ws: &Workspace,
        selection: &Selection,
        style: &MapStyle,
    ) -> Vec<MapEvent> {
        self.show_with(ui, ws, selection, style, &mut NoTool)
    }

    /// Like [`MapView::show`], with an editing `tool` that may take presses
    /// and clicks and paints on top of the map.
    pub fn show_with(
        &mut self,
        ui: &mut egui::Ui,
        ws: &Workspace,
        selection: &Selection,
        style: &MapStyle,
        tool: &mut dyn MapTool,
    ) -> Vec<MapEvent> {
        self.begin_frame(ui, ws, style);
        self.tool_press(ui, ws, selection, style, tool);
        let pan = if tool.holds_drag() {
            egui::DragPanButtons::empty()
        } else {
            egui::DragPanButtons::PRIMARY
        };
        let mut stats = FrameStats {
            basemap_ready: basemap::get().is_some(),
            ..FrameStats::default()
        };
        let attribution = self.online.as_ref().map(|o| {
            (
                o.settings.attribution.clone(),
                o.settings.attribution_url.clone(),
            )
        });
        if self.picking.is_some() && ui.input(|i| i.key_pressed(Key::Escape)) {
            self.picking = None;
        }
        let plan_key = PlanKey::of(ws);
        self.refresh_coloring(ws, style, plan_key);
        let mut events = Vec::new();
        let mut view_out = None;
        let Self {
            memory,
            home,
            territories,
            accounts,
            dot,
            ring,
            online,
            moved,
            candidates,
            picking,
            picked,
            rep_cache,
            heat,
            coloring,
            labelled,
            insets,
            insets_shown,
            drive,
            ..
        } = self;
        let mut fly_to: Option<WorldBox> = None;
        let tiles = online
            .as_mut()
            .map(|o| &mut o.tiles as &mut dyn walkers::Tiles);
        let map = Map::new(tiles, memory, *home)
            .zoom_with_ctrl(false)
            .drag_pan_buttons(pan)
            .with_plugin(basemap::BasemapPlugin {
                land: attribution.is_none(),
            });
        map.show(ui, |ui, response, projector, _memory| {
            let view = ViewTransform::from_projector(projector);
            view_out = Some(view);
            let painter = ui.painter_at(view.rect);
            let layers = PlanLayers {
                territories,
                accounts,
                heat,
                labelled,
                dot: dot.id(),
                ring: ring.id(),
                moved: moved.as_deref().map(Vec::as_slice),
                selected: selection.territory,
                coloring: coloring.as_ref(),
            };
            layers.paint(&painter, &view, ws, style, &mut stats);
            let paint_style = paint_style(selection.territory, coloring.as_ref(), style);
            let inset_views = insets::layout(&view, insets);
            let in_inset = |p: Pos2| inset_views.iter().find(|(_, v)| v.rect.contains(p));
            let homes = reps::home_positions(ws, &view);
            let on_home = match response.hover_pos() {
                Some(p) if !response.dragged() => reps::home_at(&homes, p),
                _ => None,
            };
            drive.paint_rings(&painter, &view);
            reps::paint_homes(&painter, &view, ws, &homes, on_home);
            if let Some(c) = candidates.as_deref() {
                reps::paint_candidates(&painter, &view, c);
            }
            if let Some(i) = selection.account {
                highlight_account(&painter, &view, ws, i, Color32::from_gray(20), 2.5);
            }
            if let Some(what) = picking.as_deref() {
                // Picking a place takes the click from the tools.
                if let Some(at) = pick_place(ui, &painter, &view, response, what) {
                    *picked = Some(at);
                    *picking = None;
                }
                return;
            }
            let f = ToolFrame {
                ws,
                view,
                accounts: dots_shown(style).then_some(&*accounts),
                territories: &*territories,
                selection,
            };
            let used_click = tool.frame(ui, response, &painter, &f, &mut events);
            if let Some(rep) = on_home {
                let figures = rep_figures(rep_cache, plan_key, ws);
                if let Some(m) = figures.iter().find(|m| m.id == rep.0) {
                    let d = drive.rep(rep);
                    response
                        .clone()
                        .on_hover_ui_at_pointer(|ui| reps::rep_tooltip(ui, ws, m, d));
                }
            }
            let hover = match response.hover_pos() {
                Some(p)
                    if on_home.is_none()
                        && dots_shown(style)
                        && !response.dragged()
                        && !tool.holds_drag() =>
                {
                    accounts.hit(&view, p)
                }
                _ => None,
            };
            if let Some((i, others)) = hover {
                highlight_account(&painter, &view, ws, i, Color32::WHITE, 2.0);
                response.clone().on_hover_ui_at_pointer(|ui| {
                    account_card(ui, ws, i, others, drive.account_line(ws, i, style.units));
                });
            }
            if response.clicked()
                && !used_click
                && let Some(p) = response.interact_pointer_pos()
            {
                match in_inset(p) {
                    // Clicking an inset flies the map there.
                    Some((inset, _)) => fly_to = Some(insets::world_box(&inset.frame)),
                    None => events.push(click_event(ws, &view, p, hover.map(|h| h.0))),
                }
            }
            let attribution = attribution.as_ref().map(|(t, u)| (t.as_str(), u.as_str()));
            paint_corners(ui, &painter, &view, style, attribution, stats.basemap_ready);
            insets::paint(&painter, territories, ws, &paint_style, &inset_views);
            *insets_shown = inset_views.iter().map(|(i, _)| i.name).collect();
        });
        self.clamp_zoom();
        self.last_view = view_out;
        self.stats = stats;
        if let Some(b) = fly_to {
            self.fit(b);
        }
        events
    }

    /// Recomputes the metrics and colouring when the style needs them and
    /// the plan or the colouring changed; drops them when not needed.
    fn refresh_coloring(&mut self, ws: &Workspace, style: &MapStyle, key: PlanKey) {
        use crate::core::colorby::ColorBy;
        if style.color_by == ColorBy::Territory && !style.label_values {
            self.coloring = None;
            return;
        }
        if self
            .coloring
            .as_ref()
            .is_some_and(|c| c.key == key && c.by == style.color_by)
        {
            return;
        }
        let metrics = ws.metrics();
        let coloring = crate::core::colorby::coloring(ws.project(), &metrics, &style.color_by);
        self.coloring = Some(ColoringCache {
            key,
            by: style.color_by.clone(),
            metrics,
            coloring,
        });
    }

    /// The territories labelled in the last frame.
    pub fn labelled(&self) -> &[TerritoryId] {
        &self.labelled
    }

    /// The fill colour of each territory drawn in the last frame.
    pub fn drawn_fills(&self) -> &[(TerritoryId, [u8; 3])] {
        self.territories.drawn_fills()
    }

    /// Accounts counted in the density layer's cells in the last frame
    /// it was drawn.
    pub fn density_total(&self) -> u64 {
        self.heat.total
    }

    /// The legend the map shows for the colouring in force (tests).
    pub fn legend_title(&self) -> Option<String> {
        self.coloring
            .as_ref()
            .map(|c| c.coloring.legend.title.clone())
    }

    /// Before drawing: refreshes the caches, frames the plan the first time
    /// (or as asked), and handles the map's keys.
    fn begin_frame(&mut self, ui: &egui::Ui, ws: &Workspace, style: &MapStyle) {
        self.refresh_ms = self.refresh(ws, style.size_by);
        let size = ui.available_size();
        if !self.placed {
            self.placed = true;
            if self.pending_fit.is_none() {
                self.pending_fit = self.plan_box();
            }
        }
        if let Some(b) = self.pending_fit.take() {
            self.apply_fit(&b, size);
        }
        self.handle_keys(ui);
    }

    /// A tool may take a press on the map (an account dot, a vertex handle,
    /// a lasso) instead of letting it pan the map.
    fn tool_press(
        &self,
        ui: &egui::Ui,
        ws: &Workspace,
        selection: &Selection,
        style: &MapStyle,
        tool: &mut dyn MapTool,
    ) {
        let (pressed, pointer, modifiers) = ui.input(|i| {
            (
                i.pointer.primary_pressed(),
                i.pointer.interact_pos(),
                i.modifiers,
            )
        });
        if pressed
            && let (Some(p), Some(v)) = (pointer, self.last_view)
            && v.rect.contains(p)
            && ui.rect_contains_pointer(v.rect)
        {
            let f = ToolFrame {
                ws,
                view: v,
                accounts: dots_shown(style).then_some(&self.accounts),
                territories: &self.territories,
                selection,
            };
            tool.press(&f, p, modifiers);
        }
    }

    /// walkers allows zoom 0..=26; beyond our data's useful range is just
    /// empty.
    fn clamp_zoom(&mut self) {
        let z = self.memory.zoom();
        if !(MIN_ZOOM - 0.5..=MAX_ZOOM + 1.0).contains(&z) {
            let _ = self
                .memory
                .set_zoom(z.clamp(MIN_ZOOM - 0.5, MAX_ZOOM + 1.0));
        }
    }

    /// Frames the whole plan: the central ~98% of the located accounts (so
    /// a few far-flung ones, or territories reaching to Alaska and Hawaii,
    /// do not shrink the rest to a speck), padded by [`FRAME_PADDING`]; the
    /// territories when no account is located.
    pub fn zoom_to_plan(&mut self, ws: &Workspace) {
        self.refresh(ws, None);
        if let Some(b) = self.plan_box() {
            self.fit(b);
        }
    }

    /// Frames one territory (its boundary, or its accounts when it has no
    /// boundary).
    pub fn zoom_to_territory(&mut self, ws: &Workspace, id: TerritoryId) {
        self.refresh(ws, None);
        let b = self
            .territories
            .shape(id)
            .filter(|s| !s.geom.is_empty())
            .map(|s| s.geom.bbox)
            .or_else(|| accounts_box(ws, id));
        if let Some(b) = b {
            self.fit(b);
        }
    }

    /// Frames a point (a searched or listed account) at town scale: about
    /// 5 km around it.
    pub fn zoom_to_point(&mut self, lon: f64, lat: f64) {
        if !(lon.is_finite() && lat.is_finite()) {
            return;
        }
        const D: f64 = 0.025;
        let nw = proj::mercator(lon - D, (lat + D).min(85.0));
        let se = proj::mercator(lon + D, (lat - D).max(-85.0));
        self.fit([nw[0], nw[1], se[0], se[1]]);
    }

    /// The colour account `i`'s dot was last drawn in, if drawn.
    pub fn account_color(&self, i: usize) -> Option<Color32> {
        self.accounts.color_of(i)
    }

    /// Rings `accounts` (e.g. those a scenario comparison moves) until
    /// called again with `None`.
    pub fn set_moved(&mut self, accounts: Option<Arc<Vec<usize>>>) {
        self.moved = accounts;
    }

    /// Whether account `i`'s dot was last drawn with the pinned ring
    /// (`None` when it is not drawn).
    pub fn account_ringed(&self, i: usize) -> Option<bool> {
        self.accounts.ringed(i)
    }

    /// Times the account colours were rebuilt from scratch rather than
    /// updated for just the accounts an edit changed (tests check edits
    /// take the quick path).
    pub fn account_full_rebuilds(&self) -> u64 {
        self.accounts.full_rebuilds
    }

    /// The territory layer's images, when the last frame drew it from them.
    pub fn territory_images(&self) -> Option<&raster::TerritoryRaster> {
        self.territories.raster()
    }

    /// The ids and geometry hashes of the territory shapes the map has
    /// prepared, sorted by id (tests compare them with a fresh map's).
    pub fn territory_shape_hashes(&self) -> Vec<(TerritoryId, u64)> {
        self.territories.cached_hashes()
    }

    /// The accounts ringed as moved, if any.
    pub fn moved(&self) -> Option<&Arc<Vec<usize>>> {
        self.moved.as_ref()
    }

    /// The loaded road network (drive lines of account hover cards) and
    /// the reps' drive-time figures (home hover cards).
    pub fn set_drive(
        &mut self,
        router: Option<crate::core::travel::Router>,
        reps: std::collections::HashMap<
            crate::core::model::RepId,
            crate::core::travel::DriveFigures,
        >,
    ) {
        self.drive.set(router, reps);
    }

    /// Shows drive-time rings (or none).
    pub fn set_drive_rings(&mut self, rings: Option<Arc<crate::core::travel::Isochrones>>) {
        self.drive.set_rings(rings);
    }

    /// The drive-time rings shown, if any.
    pub fn drive_rings(&self) -> Option<&Arc<crate::core::travel::Isochrones>> {
        self.drive.rings()
    }

    /// Shows numbered candidate home bases `(lon, lat)` until called again
    /// with `None`.
    pub fn set_candidates(&mut self, homes: Option<Arc<Vec<(f64, f64)>>>) {
        self.candidates = homes;
    }

    /// The candidate home bases shown, if any.
    pub fn candidates(&self) -> Option<&Arc<Vec<(f64, f64)>>> {
        self.candidates.as_ref()
    }

    /// Makes the next click on the map pick a point (`what` names it in the
    /// on-map hint, e.g. "Ann's home") instead of selecting; `None` stops.
    pub fn start_pick(&mut self, what: Option<String>) {
        self.picking = what;
        self.picked = None;
    }

    /// True while the map waits for a click to pick a point.
    pub fn picking(&self) -> bool {
        self.picking.is_some()
    }

    /// The picked `(lon, lat)`, once (taking it clears it).
    pub fn take_picked(&mut self) -> Option<(f64, f64)> {
        self.picked.take()
    }

    /// Switches online raster tiles on (`Some`) or off (`None`). On error
    /// (bad template, or no TLS support in this build) the map stays on the
    /// offline basemap and the error is also kept for
    /// [`MapView::online_tiles_error`].
    pub fn set_online_tiles(&mut self, settings: Option<TileSettings>) -> Result<(), String> {
        self.online = None;
        self.online_error = None;
        let Some(settings) = settings else {
            return Ok(());
        };
        match tiles::connect(settings, &self.ctx) {
            Ok(t) => {
                self.online = Some(t);
                Ok(())
            }
            Err(e) => {
                self.online_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The online tile settings in use, if online tiles are on.
    pub fn online_tiles(&self) -> Option<&TileSettings> {
        self.online.as_ref().map(|o| &o.settings)
    }

    /// Why online tiles could not be switched on, if they could not.
    pub fn online_tiles_error(&self) -> Option<&str> {
        self.online_error.as_deref()
    }

    /// The view of the last frame (screen ↔ world), once the map was drawn.
    pub fn last_view(&self) -> Option<ViewTransform> {
        self.last_view
    }

    /// `(lon, lat)` of the view's centre.
    pub fn center(&self) -> (f64, f64) {
        let p = self.memory.detached().unwrap_or(self.home);
        (p.x(), p.y())
    }

    /// Current zoom level (walkers/OSM convention).
    pub fn zoom(&self) -> f64 {
        self.memory.zoom()
    }

    /// Moves the camera (e.g. to restore a saved view).
    pub fn set_view(&mut self, lon: f64, lat: f64, zoom: f64) {
        self.placed = true;
        self.pending_fit = None;
        self.home = lon_lat(lon, lat);
        self.memory.center_at(self.home);
        let _ = self.memory.set_zoom(zoom.clamp(MIN_ZOOM, MAX_ZOOM));
    }

    /// Lon/lat box shown by the last frame: `[west, south, east, north]`.
    pub fn visible_bounds(&self) -> Option<[f64; 4]> {
        let v = self.last_view?;
        let (w, n) = v.to_lon_lat(v.rect.min);
        let (e, s) = v.to_lon_lat(v.rect.max);
        Some([w, s, e, n])
    }

    /// Where `(lon, lat)` was on screen in the last frame.
    pub fn screen_pos(&self, lon: f64, lat: f64) -> Option<Pos2> {
        Some(self.last_view?.to_screen(mercator(lon, lat)))
    }

    /// What the last frame drew.
    pub fn stats(&self) -> FrameStats {
        self.stats
    }

    /// Sets how many accounts may be drawn one by one before the map bins
    /// them (default [`accounts::DEFAULT_POINT_BUDGET`]).
    pub fn set_point_budget(&mut self, n: usize) {
        self.accounts.point_budget = n;
    }

    /// True once the basemap has been loaded.
    pub fn basemap_ready() -> bool {
        basemap::get().is_some()
    }

    /// Waits up to `timeout` for the basemap (tests, benchmarks).
    pub fn wait_for_basemap(timeout: Duration) -> bool {
        basemap::wait(timeout).is_some()
    }

    /// Brings the caches up to date; returns the time spent on the
    /// territories and on the accounts (ms).
    fn refresh(&mut self, ws: &Workspace, size_by: Option<usize>) -> [f64; 2] {
        let key = PlanKey::of(ws);
        let t = std::time::Instant::now();
        self.territories.refresh(ws, key);
        let p = ws.project();
        let insets_key = (
            p.accounts.lon.as_ptr() as usize,
            p.accounts.len(),
            p.territories.len(),
            ws.current_type().0,
        );
        if self.insets_key != Some(insets_key) {
            self.insets_key = Some(insets_key);
            self.insets = crate::core::render::insets::us_insets(p);
        }
        let mid = std::time::Instant::now();
        self.accounts.refresh(ws, key, size_by);
        let end = std::time::Instant::now();
        [
            (mid - t).as_secs_f64() * 1e3,
            (end - mid).as_secs_f64() * 1e3,
        ]
    }

    /// Time the last frame spent bringing the map's caches up to date after
    /// a change (ms): `[territory shapes, account grid and colours]`.
    pub fn last_refresh_ms(&self) -> [f64; 2] {
        self.refresh_ms
    }

    /// What [`MapView::zoom_to_plan`] frames.
    fn plan_box(&self) -> Option<WorldBox> {
        let b = if self.accounts.grid.is_empty() {
            self.territories.plan_box()
        } else {
            Some(pad_box(&self.accounts.grid.core, FRAME_PADDING))
        }?;
        if self.insets.is_empty() {
            return Some(b);
        }
        // Alaska, Hawaii and Puerto Rico show in insets: frame the rest.
        let l = insets::world_box(&crate::core::render::insets::LOWER_48);
        let c = [
            b[0].max(l[0]),
            b[1].max(l[1]),
            b[2].min(l[2]),
            b[3].min(l[3]),
        ];
        Some(if c[0] < c[2] && c[1] < c[3] { c } else { b })
    }

    /// The insets drawn in the last frame ("Alaska", …).
    pub fn insets_shown(&self) -> &[&'static str] {
        &self.insets_shown
    }

    /// Fits `b` now if the map's size is known, and again at the next frame
    /// (when the size is certain).
    fn fit(&mut self, b: WorldBox) {
        self.placed = true;
        if let Some(v) = self.last_view {
            self.apply_fit(&b, v.rect.size());
        }
        self.pending_fit = Some(b);
    }

    fn apply_fit(&mut self, b: &WorldBox, size: Vec2) {
        let (c, z) = fit_box(b, size, 24.0);
        let (lon, lat) = inverse_mercator(c[0], c[1]);
        self.home = lon_lat(lon, lat);
        self.memory.center_at(self.home);
        let _ = self.memory.set_zoom(z);
        if let Some(v) = &mut self.last_view {
            *v = ViewTransform::new(v.rect, lon, lat, z);
        }
    }

    fn handle_keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (zin, zout) = ui.input(|i| {
            // Ctrl/Cmd with +/- is egui's own UI zoom: leave it alone.
            let plain = !(i.modifiers.command || i.modifiers.ctrl || i.modifiers.alt);
            (
                plain && (i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals)),
                plain && i.key_pressed(Key::Minus),
            )
        });
        let z = self.memory.zoom();
        if zin {
            let _ = self.memory.set_zoom((z + 1.0).min(MAX_ZOOM));
        }
        if zout {
            let _ = self.memory.set_zoom((z - 1.0).max(MIN_ZOOM));
        }
    }
}

/// World box of the located accounts assigned to `id`.
fn accounts_box(ws: &Workspace, id: TerritoryId) -> Option<WorldBox> {
    let a = &ws.project().accounts;
    let e = ws.engine();
    let slot = e.index().slot_of(id)?;
    let mut b = None;
    for (i, &s) in e.slots().iter().enumerate() {
        if s == slot && a.is_located(i) {
            let w = mercator(a.lon[i], a.lat[i]);
            b = Some(union_box(b, [w[0], w[1], w[0], w[1]]));
        }
    }
    b
}

/// What a click at `p` means: the account under it, else the territory
/// there (or none).
fn click_event(ws: &Workspace, view: &ViewTransform, p: Pos2, account: Option<usize>) -> MapEvent {
    if let Some(i) = account {
        return MapEvent::SelectAccount(i);
    }
    let (lon, lat) = view.to_lon_lat(p);
    MapEvent::SelectTerritory(ws.engine().index().locate(lon, lat))
}

/// The plan's layers under the tool: territory fills, account dots, then
/// outlines and labels (over the dots), then the moved accounts.
struct PlanLayers<'a> {
    territories: &'a mut TerritoryLayer,
    accounts: &'a mut AccountLayer,
    heat: &'a mut heat::HeatLayer,
    labelled: &'a mut Vec<TerritoryId>,
    dot: egui::TextureId,
    ring: egui::TextureId,
    moved: Option<&'a [usize]>,
    /// The selected territory (drawn highlighted).
    selected: Option<TerritoryId>,
    /// Colouring by a value and the figures for value labels, if in use.
    coloring: Option<&'a ColoringCache>,
}

/// Are the accounts drawn (and picked) one by one?
fn dots_shown(style: &MapStyle) -> bool {
    style.accounts && !style.density
}

/// How the territories are drawn this frame.
fn paint_style<'a>(
    selected: Option<TerritoryId>,
    coloring: Option<&'a ColoringCache>,
    style: &MapStyle,
) -> territories::PaintStyle<'a> {
    territories::PaintStyle {
        selected,
        opacity: style.fill_opacity,
        labels: style.labels,
        coloring: coloring.map(|c| &c.coloring),
        values: coloring.filter(|_| style.label_values).map(|c| &c.metrics),
        cache_outlines: true,
    }
}

impl PlanLayers<'_> {
    fn paint(
        self,
        painter: &egui::Painter,
        view: &ViewTransform,
        ws: &Workspace,
        style: &MapStyle,
        stats: &mut FrameStats,
    ) {
        let paint_style = paint_style(self.selected, self.coloring, style);
        let overlay = self.territories.paint(painter, view, ws, &paint_style);
        stats.territories = self.territories.drawn;
        stats.outlines_cached = self.territories.outlines_cached;
        stats.outlines_built = self.territories.outlines_built();
        stats.territory_images = self.territories.rastered;
        stats.images_redrawn = self.territories.raster_redrawn();
        if style.accounts && style.density {
            self.heat.paint(painter, view, self.accounts);
            self.accounts.stats = DotStats::default();
        } else if style.accounts {
            self.accounts.paint(painter, view, self.dot, self.ring);
            stats.dots = self.accounts.stats;
        } else {
            self.accounts.stats = DotStats::default();
        }
        painter.extend(overlay.outlines);
        let labelled = paint_labels(painter, overlay.labels);
        stats.labels = labelled.len();
        *self.labelled = labelled;
        if let Some(moved) = self.moved {
            paint_moved(painter, view, ws, moved);
        }
        let density = (style.accounts && style.density).then_some(self.heat.max);
        match self.coloring.map(|c| &c.coloring) {
            Some(c) if c.by != crate::core::colorby::ColorBy::Territory => {
                legend::paint(painter, view, &c.legend, density);
            }
            _ => {
                let l = legend::territory_legend(ws, self.territories.drawn_ids());
                legend::paint(painter, view, &l, density);
            }
        }
    }
}

/// While picking a place (e.g. a rep's home): the crosshair and the hint;
/// the place clicked, if any.
fn pick_place(
    ui: &egui::Ui,
    painter: &egui::Painter,
    view: &ViewTransform,
    response: &egui::Response,
    what: &str,
) -> Option<(f64, f64)> {
    ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
    let hint = format!("Click the map to set {what} · Esc cancels");
    let at = view.rect.center_top() + vec2(0.0, 10.0);
    let galley = painter.layout_no_wrap(hint, FontId::proportional(14.0), Color32::WHITE);
    let r = Align2::CENTER_TOP
        .anchor_size(at, galley.size())
        .expand(6.0);
    painter.rect_filled(r, 4.0, reps::HOME_FILL);
    painter.galley(r.min + vec2(6.0, 6.0), galley, Color32::WHITE);
    if response.clicked() {
        return response.interact_pointer_pos().map(|p| view.to_lon_lat(p));
    }
    None
}

/// The reps' figures for their tooltips, computed once per plan revision.
fn rep_figures(
    cache: &mut Option<(PlanKey, Arc<Vec<crate::core::reps::RepMetrics>>)>,
    key: PlanKey,
    ws: &Workspace,
) -> Arc<Vec<crate::core::reps::RepMetrics>> {
    match cache {
        Some((k, m)) if *k == key => m.clone(),
        _ => {
            let m = Arc::new(ws.rep_metrics());
            *cache = Some((key, m.clone()));
            m
        }
    }
}

/// The scale bar, and the tiles' attribution (or "Loading basemap…").
fn paint_corners(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    view: &ViewTransform,
    style: &MapStyle,
    attribution: Option<(&str, &str)>,
    basemap_ready: bool,
) {
    paint_scale_bar(painter, view, style.units);
    if let Some((text, url)) = attribution {
        paint_attribution(ui, view, text, url);
    } else if !basemap_ready {
        painter.text(
            view.rect.right_bottom() - vec2(8.0, 6.0),
            Align2::RIGHT_BOTTOM,
            "Loading basemap…",
            FontId::proportional(11.0),
            Color32::from_gray(110),
        );
    }
}

/// Rings the `moved` accounts that are in view (at most
/// [`MAX_MOVED_RINGS`]).
fn paint_moved(painter: &egui::Painter, view: &ViewTransform, ws: &Workspace, moved: &[usize]) {
    let a = &ws.project().accounts;
    let area = view.rect.expand(6.0);
    // Smaller and thinner at a country-wide view, like the dots, so a city
    // of moved accounts stays a cluster of rings rather than a blot.
    let k = accounts::dot_scale(view.zoom);
    let radius = (6.0 * k).clamp(3.0, 6.0);
    let stroke = Stroke::new(if k < 0.8 { 1.3 } else { 2.0 }, MOVED_COLOR);
    let mut shapes = Vec::new();
    for &i in moved {
        if i >= a.len() || a.removed[i] || !a.is_located(i) {
            continue;
        }
        let p = view.to_screen(mercator(a.lon[i], a.lat[i]));
        if area.contains(p) {
            shapes.push(egui::Shape::circle_stroke(p, radius, stroke));
            if shapes.len() >= MAX_MOVED_RINGS {
                break;
            }
        }
    }
    painter.extend(shapes);
}

/// Rings account `i` (a hover or a selection highlight).
pub fn highlight_account(
    painter: &egui::Painter,
    view: &ViewTransform,
    ws: &Workspace,
    i: usize,
    color: Color32,
    width: f32,
) {
    let a = &ws.project().accounts;
    if i >= a.len() || !a.is_located(i) {
        return;
    }
    let p = view.to_screen(mercator(a.lon[i], a.lat[i]));
    if view.rect.expand(10.0).contains(p) {
        painter.circle_stroke(
            p,
            7.0,
            Stroke::new(width + 2.0, Color32::from_black_alpha(90)),
        );
        painter.circle_stroke(p, 7.0, Stroke::new(width, color));
    }
}

/// An account's hover card, with its drive line when there is one.
fn account_card(ui: &mut egui::Ui, ws: &Workspace, i: usize, others: usize, drive: Option<String>) {
    account_tooltip(ui, ws, i, others);
    if let Some(line) = drive {
        ui.label(line);
    }
}

fn account_tooltip(ui: &mut egui::Ui, ws: &Workspace, i: usize, others: usize) {
    let p = ws.project();
    let a = &p.accounts;
    if i >= a.len() {
        return;
    }
    let e = ws.engine();
    ui.strong(&a.names[i]);
    ui.label(format!("ID {}", a.ids[i]));
    let territory = e
        .territory_of(i)
        .and_then(|t| p.territory(t))
        .map_or_else(|| "unassigned".to_owned(), |t| t.name.clone());
    let ex = crate::core::explain::explain_type(p, e, i);
    if p.types.len() > 1 {
        ui.label(format!("{}: {territory}", ex.type_name));
    } else {
        ui.label(format!("Territory: {territory}"));
    }
    ui.label(format!("Why: {}", why_text(&ex)));
    if ex.candidates.len() > 1 {
        ui.weak(
            format!("Beat {}", shorten(&ex.candidates[1].describe(), 70))
                + &match ex.candidates.len() - 2 {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                },
        );
    }
    if a.measures.is_empty() && a.attributes.is_empty() {
        return;
    }
    ui.separator();
    egui::Grid::new("turfmap-account-tip")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for m in &a.measures {
                ui.weak(&m.name);
                ui.label(crate::core::numfmt::readable(
                    m.values.get(i).copied().unwrap_or(f64::NAN),
                ));
                ui.end_row();
            }
            for col in &a.attributes {
                if i < col.codes.len() {
                    ui.weak(&col.name);
                    ui.label(col.get(i));
                    ui.end_row();
                }
            }
        });
    if others > 0 {
        ui.weak(format!(
            "{others} more account(s) here: zoom in to pick one"
        ));
    }
}

/// The winning override, rule or boundary in a few words (rule texts are
/// cut short; the model window shows them whole).
pub fn why_text(ex: &crate::core::explain::TypeExplanation) -> String {
    use crate::core::explain::Via;
    match ex.candidates.first() {
        Some(c) => match &c.via {
            Via::Override => "pinned here by hand".to_owned(),
            Via::Rule(r) => format!("rule {}", shorten(r, 60)),
            Via::Geometry => "inside its boundary".to_owned(),
            Via::Nearest(km) => format!("nearest: {km:.1} km outside its boundary"),
        },
        None => ex.reason.clone(),
    }
}

/// `s` cut to at most `n` characters, with an ellipsis when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// A scale bar (km or mi) in the bottom-left corner.
fn paint_scale_bar(
    painter: &egui::Painter,
    view: &ViewTransform,
    units: crate::core::render::DistanceUnit,
) {
    let (_, lat) = view.to_lon_lat(view.rect.center());
    let m_per_pt = 40_075_016.686 * lat.to_radians().cos() / view.scale;
    let Some(bar) = crate::core::render::scale_bar(m_per_pt, 110.0, units) else {
        return;
    };
    let (len, label) = (bar.len_px as f32, bar.label);
    let base = view.rect.left_bottom() + vec2(12.0, -12.0);
    let bg = Rect::from_min_max(base + vec2(-6.0, -22.0), base + vec2(len + 6.0, 5.0));
    painter.rect_filled(bg, 3.0, Color32::from_white_alpha(170));
    let ink = Stroke::new(1.5, Color32::from_gray(60));
    painter.line_segment([base, base + vec2(len, 0.0)], ink);
    for x in [0.0, len] {
        painter.line_segment([base + vec2(x, 0.0), base + vec2(x, -5.0)], ink);
    }
    painter.text(
        base + vec2(len / 2.0, -6.0),
        Align2::CENTER_BOTTOM,
        label,
        FontId::proportional(11.0),
        Color32::from_gray(50),
    );
}

/// The tile provider's attribution as a link in the bottom-right corner.
fn paint_attribution(ui: &mut egui::Ui, view: &ViewTransform, text: &str, url: &str) {
    let galley = ui.painter().layout_no_wrap(
        text.to_owned(),
        FontId::proportional(11.0),
        Color32::from_gray(40),
    );
    let size = galley.size() + vec2(10.0, 4.0);
    let rect = Rect::from_min_size(view.rect.right_bottom() - size, size);
    ui.painter()
        .rect_filled(rect, 2.0, Color32::from_white_alpha(200));
    ui.put(
        rect.shrink2(vec2(5.0, 2.0)),
        egui::Hyperlink::from_label_and_url(egui::RichText::new(text).size(11.0), url),
    );
}

/// How much map text grows with the body text (presentation mode enlarges
/// it): 1 at the default 16 pt, never below one half.
pub(crate) fn text_scale(ctx: &egui::Context) -> f32 {
    ctx.global_style()
        .text_styles
        .get(&egui::TextStyle::Body)
        .map_or(1.0, |f| (f.size / 16.0).max(0.5))
}
