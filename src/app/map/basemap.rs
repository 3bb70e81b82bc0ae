//! The offline vector basemap: sea, land, country / state / province borders
//! and (zoomed in) US county borders, drawn from the bundled GeoJSON files.
//!
//! The files are parsed, split at the antimeridian and triangulated once per
//! process on a background thread ([`start_loading`]); until that is done
//! the map shows just the sea, so the first frame never waits. Light, calm
//! colours keep territory colours readable on a projector.

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use egui::{Color32, Mesh, Shape, Stroke};
use geo::Polygon;

use super::geom::{Geom, GeomBuilder, draw_geoms, split_antimeridian, to_world};
use super::proj::{ViewTransform, mercator};

/// Sea colour (also the map background).
pub const SEA: Color32 = Color32::from_rgb(213, 223, 231);
/// Land fill.
pub const LAND: Color32 = Color32::from_rgb(247, 246, 242);
const COUNTRY_BORDER: Color32 = Color32::from_rgb(158, 162, 168);
const STATE_BORDER: Color32 = Color32::from_rgb(186, 189, 193);
const COUNTY_BORDER: Color32 = Color32::from_rgb(213, 214, 216);

/// Zoom from which state and province borders are drawn.
pub const STATES_FROM_ZOOM: f64 = 2.5;
/// Zoom from which US county borders are drawn.
pub const COUNTIES_FROM_ZOOM: f64 = 6.0;

/// The parsed, prepared basemap layers.
#[derive(Default)]
pub struct Basemap {
    /// Countries: land fill and borders.
    pub countries: Vec<Geom>,
    /// US states: borders only.
    pub states: Vec<Geom>,
    /// US counties: borders only.
    pub counties: Vec<Geom>,
    /// First-level subdivisions outside the US (Canada, Australia, Brazil).
    pub provinces: Vec<Geom>,
    /// Files that could not be read (the map works without them).
    pub errors: Vec<String>,
    /// How long loading took.
    pub load_time: Duration,
}

static BASEMAP: OnceLock<Basemap> = OnceLock::new();
static WAITING: Mutex<Option<Vec<egui::Context>>> = Mutex::new(None);

/// Starts loading the basemap on a background thread (once per process) and
/// asks `ctx` to repaint when it is ready.
pub fn start_loading(ctx: Option<&egui::Context>) {
    if BASEMAP.get().is_some() {
        return;
    }
    let Ok(mut waiting) = WAITING.lock() else {
        return;
    };
    let first = waiting.is_none();
    let list = waiting.get_or_insert_with(Vec::new);
    if let Some(ctx) = ctx {
        list.push(ctx.clone());
    }
    if first {
        let spawned = std::thread::Builder::new()
            .name("turfmap-basemap".into())
            .spawn(|| {
                let bm = load(&crate::core::assets::dir());
                let _ = BASEMAP.set(bm);
                if let Ok(mut w) = WAITING.lock()
                    && let Some(list) = w.as_mut()
                {
                    for ctx in list.drain(..) {
                        ctx.request_repaint();
                    }
                }
            });
        if spawned.is_err() {
            // No thread: load here rather than never.
            let _ = BASEMAP.set(load(&crate::core::assets::dir()));
        }
    }
}

/// The basemap if it has finished loading.
pub fn get() -> Option<&'static Basemap> {
    BASEMAP.get()
}

/// Starts loading if needed and waits up to `timeout` for it (tests and the
/// frame benchmark).
pub fn wait(timeout: Duration) -> Option<&'static Basemap> {
    start_loading(None);
    let t = Instant::now();
    loop {
        if let Some(b) = BASEMAP.get() {
            return Some(b);
        }
        if t.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Parses and prepares every layer from the assets folder `dir`
/// (synchronously). Missing or broken files are reported in
/// [`Basemap::errors`], never panicked on.
pub fn load(dir: &Path) -> Basemap {
    let t = Instant::now();
    let data = crate::core::basemap::BasemapData::load(dir);
    let areas = |feats: &[Vec<Polygon<f64>>], fill: bool| -> Vec<Geom> {
        feats.iter().map(|f| area_geom(f, fill)).collect()
    };
    Basemap {
        countries: areas(&data.countries, true),
        states: areas(&data.states, false),
        counties: areas(&data.counties, false),
        provinces: areas(&data.provinces, false),
        errors: data.errors,
        load_time: t.elapsed(),
    }
}

pub use crate::core::basemap::read_features;

/// A basemap area: split at the antimeridian, borders always, fill if asked.
fn area_geom(polys: &[Polygon<f64>], fill: bool) -> Geom {
    let mut b = GeomBuilder::new();
    for poly in polys {
        let split = split_antimeridian(poly);
        if fill {
            for piece in &split.pieces {
                b.add_polygon(&to_world(piece), true, false);
            }
        }
        for line in &split.borders {
            let w: Vec<[f64; 2]> = line.iter().map(|p| mercator(p[0], p[1])).collect();
            b.add_line(&w, false);
        }
    }
    b.build()
}

/// Paints the basemap into `rect` of `painter` for `view`.
pub fn paint(painter: &egui::Painter, view: &ViewTransform, land: bool) {
    if land {
        painter.rect_filled(view.rect, 0.0, SEA);
    }
    let Some(bm) = get() else {
        return;
    };
    let mut mesh = Mesh::default();
    let mut shapes: Vec<Shape> = Vec::new();
    let mut scratch = Vec::new();
    if land {
        draw_geoms(
            view,
            bm.countries.iter(),
            Some(LAND),
            None,
            &mut mesh,
            &mut shapes,
            &mut scratch,
        );
        painter.add(Shape::mesh(mesh));
    }
    let mut unused = Mesh::default();
    let mut lines = |geoms: &[Geom], stroke: Stroke| {
        draw_geoms(
            view,
            geoms.iter(),
            None,
            Some(stroke),
            &mut unused,
            &mut shapes,
            &mut scratch,
        );
    };
    if view.zoom >= COUNTIES_FROM_ZOOM {
        lines(&bm.counties, Stroke::new(0.5, COUNTY_BORDER));
    }
    if view.zoom >= STATES_FROM_ZOOM {
        let w = if view.zoom >= COUNTIES_FROM_ZOOM {
            1.0
        } else {
            0.7
        };
        lines(&bm.provinces, Stroke::new(w, STATE_BORDER));
        lines(&bm.states, Stroke::new(w, STATE_BORDER));
    }
    lines(&bm.countries, Stroke::new(0.9, COUNTRY_BORDER));
    painter.extend(shapes);
}

/// walkers plugin that paints the basemap under everything else.
pub struct BasemapPlugin {
    /// Paint sea and land (off when online raster tiles are shown).
    pub land: bool,
}

impl walkers::Plugin for BasemapPlugin {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        _response: &egui::Response,
        projector: &walkers::Projector,
        _memory: &walkers::MapMemory,
    ) {
        let view = ViewTransform::from_projector(projector);
        let painter = ui.painter_at(view.rect);
        if self.land {
            paint(&painter, &view, true);
        }
    }
}
