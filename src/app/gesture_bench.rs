//! Headless benchmark of the editing gestures in the whole window
//! (`turfmap bench-gesture`).
//!
//! Drives the real [`TurfmapApp`] (panels, list, chart, map and tools, as
//! `tests/editing.rs` does with egui_kittest, but in release and timed)
//! with pointer events in an egui [`Context`] of 1600×1000 points, no GPU.
//! A frame is `Context::run_ui` plus `Context::tessellate`. Cases, on the
//! synthetic plans of 100k accounts / 200 territories and 1M / 1,000:
//!
//! - **idle**: nothing happens (what every frame costs anyway);
//! - **vertex drag**: Edit boundary on the busiest territory, one shared
//!   vertex dragged inward then sideways, a pointer move every frame (each
//!   one a core edit folded into one undo entry);
//! - **paint stroke**: Paint units with 25 km hexagons, a stroke from the
//!   busiest territory's middle outward across about ten hexagons (each
//!   newly brushed hexagon is cut out of its neighbours and added);
//! - **compare scenarios**: the time the UI thread spends starting a
//!   scenario comparison (the rest runs on a worker thread).
//!
//! Besides per-frame totals it prints where the time went (see
//! [`super::FramePhases`] and [`MapView::last_refresh_ms`]).

use std::io::Write;
use std::time::{Duration, Instant};

use egui::{Context, Event, Modifiers, PointerButton, Pos2, RawInput, Rect, pos2};

use super::TurfmapApp;
use super::frame_bench::{SIZE, busiest_territory, group, header};
use super::map::proj::mercator;
use super::tools::Tool;
use crate::core::synth::synthetic_plan;
use crate::core::units::{UnitLayer, UnitSet};
use crate::core::{TerritoryId, Workspace};

/// Frames of the vertex drag (inward, then sideways).
const DRAG_FRAMES: usize = 60;
/// Pointer travel per frame of the drag, points.
const DRAG_STEP: f32 = 3.0;
/// Hexagons a paint stroke crosses.
const STROKE_UNITS: usize = 10;
/// Pointer travel per frame of the paint stroke, points.
const STROKE_STEP: f32 = 6.0;
/// Hexagon size of the paint stroke, km.
const HEX_KM: f64 = 25.0;
/// Hexagons are zoomed to about this size on screen, points.
const HEX_PX: f64 = 40.0;
/// Frames of the idle case.
const IDLE_FRAMES: usize = 20;

/// The window in a headless egui context.
struct Window {
    ctx: Context,
    app: TurfmapApp,
    frame_no: u64,
    events: Vec<Event>,
}

/// One timed frame (ms).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameSample {
    /// The whole frame: `run_ui` plus tessellation.
    pub total: f64,
    /// Tessellation.
    pub tessellate: f64,
    /// Building gesture edits (see [`super::FramePhases::build_ms`]).
    pub build: f64,
    /// Applying edits.
    pub edit: f64,
    /// Recomputing metrics.
    pub metrics: f64,
    /// Refreshing the map's territory shapes.
    pub territories: f64,
    /// Refreshing the map's account dots.
    pub accounts: f64,
}

impl FrameSample {
    /// `run_ui` time outside the measured phases (layout, panels, map
    /// drawing).
    fn rest(&self) -> f64 {
        (self.total
            - self.tessellate
            - self.build
            - self.edit
            - self.metrics
            - self.territories
            - self.accounts)
            .max(0.0)
    }
}

impl Window {
    fn new(ws: Workspace) -> Self {
        let ctx = Context::default();
        let app = TurfmapApp::new(&ctx, ws);
        let mut w = Self {
            ctx,
            app,
            frame_no: 0,
            events: Vec::new(),
        };
        for _ in 0..3 {
            w.frame();
        }
        w
    }

    fn frame(&mut self) -> FrameSample {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(pos2(0.0, 0.0), SIZE)),
            time: Some(self.frame_no as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            events: std::mem::take(&mut self.events),
            ..RawInput::default()
        };
        self.frame_no += 1;
        let t = Instant::now();
        let app = &mut self.app;
        let mut out = self.ctx.run_ui(input, |ui| app.ui_contents(ui));
        let run = t.elapsed().as_secs_f64() * 1e3;
        out.textures_delta.clear();
        let t2 = Instant::now();
        std::hint::black_box(self.ctx.tessellate(out.shapes, out.pixels_per_point));
        let tessellate = t2.elapsed().as_secs_f64() * 1e3;
        let p = self.app.last_phases();
        let [territories, accounts] = self.app.map_view().last_refresh_ms();
        FrameSample {
            total: run + tessellate,
            tessellate,
            build: p.build_ms,
            edit: p.edit_ms,
            metrics: p.metrics_ms,
            territories,
            accounts,
        }
    }

    fn moved(&mut self, p: Pos2) {
        self.events.push(Event::PointerMoved(p));
    }

    fn button(&mut self, p: Pos2, pressed: bool) {
        self.events.push(Event::PointerButton {
            pos: p,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }

    fn screen(&self, lon: f64, lat: f64) -> Option<Pos2> {
        self.app.map_view().screen_pos(lon, lat)
    }

    fn map_rect(&self) -> Option<Rect> {
        self.app.map_view().last_view().map(|v| v.rect)
    }

    /// Settles the view (a few frames) after a camera change.
    fn settle(&mut self) {
        for _ in 0..4 {
            self.frame();
        }
    }
}

/// What [`measure`] timed on one plan.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Frames where nothing happens.
    pub idle: Vec<FrameSample>,
    /// Frames of the vertex drag (the release included).
    pub drag: Vec<FrameSample>,
    /// What was dragged.
    pub drag_note: String,
    /// Frames of the paint stroke (press to release).
    pub paint: Vec<FrameSample>,
    /// What was painted.
    pub paint_note: String,
    /// UI-thread time of starting a scenario comparison (ms).
    pub compare_ms: f64,
    /// Whether that comparison finished.
    pub compare_done: bool,
}

impl Measured {
    /// The paint stroke's frames that painted units (built or applied an
    /// edit).
    pub fn painting(&self) -> Vec<FrameSample> {
        self.paint
            .iter()
            .copied()
            .filter(|s| s.build > 0.0 || s.edit > 0.0)
            .collect()
    }
}

/// Times idle frames, a vertex drag, a paint stroke (on the territory with
/// the most accounts) and the start of a scenario comparison in a window on
/// `ws`.
pub fn measure(ws: Workspace) -> anyhow::Result<Measured> {
    let id =
        busiest_territory(&ws).ok_or_else(|| anyhow::anyhow!("no territory holds accounts"))?;
    let mut w = Window::new(ws);
    w.app.select_territory(id, true);
    w.settle();
    let idle = (0..IDLE_FRAMES).map(|_| w.frame()).collect();
    let (drag, drag_note) = drag_vertex(&mut w, id)?;
    let (paint, paint_note) = paint_stroke(&mut w, id)?;
    let (compare_ms, compare_done) = compare_scenarios(&mut w)?;
    Ok(Measured {
        idle,
        drag,
        drag_note,
        paint,
        paint_note,
        compare_ms,
        compare_done,
    })
}

/// Runs the benchmark (on the plan of `only` accounts, or on both) and
/// prints the figures to `out`.
pub fn run(only: Option<usize>, out: &mut dyn Write) -> anyhow::Result<()> {
    header(out, "Editing gestures in the whole window")?;
    writeln!(
        out,
        "Phases are means per frame (ms): build = making the gesture's edit, edit = applying it \
         (engine, history), metrics = panel figures, shapes/dots = map cache refresh, \
         draw = the rest of run_ui, tess = tessellate.\n"
    )?;
    let plans: Vec<(usize, usize, f64, f64)> = match only {
        None => vec![(100_000, 200, 8.0, 16.0), (1_000_000, 1_000, 16.0, 33.0)],
        Some(100_000) => vec![(100_000, 200, 8.0, 16.0)],
        Some(n) if n < 100_000 => vec![(n, (n / 1000).max(20), 8.0, 16.0)],
        Some(n) => vec![(n, (n / 1000).min(5_000), 16.0, 33.0)],
    };
    for (accounts, territories, drag_target, paint_target) in plans {
        let t = Instant::now();
        let ws = Workspace::new(synthetic_plan(accounts, territories, 1));
        writeln!(
            out,
            "{} accounts, {} territories (plan built in {:.1} s):",
            group(accounts),
            territories,
            t.elapsed().as_secs_f64()
        )?;
        let m = measure(ws)?;
        report(out, "idle (nothing changes)", &m.idle, None)?;
        report(
            out,
            &format!("vertex drag ({})", m.drag_note),
            &m.drag,
            Some(drag_target),
        )?;
        report(
            out,
            &format!("paint stroke ({})", m.paint_note),
            &m.paint,
            Some(paint_target),
        )?;
        report(out, "  …its frames that painted", &m.painting(), None)?;
        writeln!(
            out,
            "  compare scenarios: {:.1} ms on the UI thread to start it{}",
            m.compare_ms,
            if m.compare_done {
                ""
            } else {
                " (the comparison did not finish)"
            }
        )?;
        writeln!(out)?;
    }
    Ok(())
}

fn report(
    out: &mut dyn Write,
    name: &str,
    samples: &[FrameSample],
    target: Option<f64>,
) -> anyhow::Result<()> {
    if samples.is_empty() {
        writeln!(out, "  {name}: no frames")?;
        return Ok(());
    }
    let mut totals: Vec<f64> = samples.iter().map(|s| s.total).collect();
    totals.sort_by(f64::total_cmp);
    let n = totals.len();
    let median = totals[n / 2];
    let p95 = totals[((n * 95).div_ceil(100)).min(n) - 1];
    let max = totals[n - 1];
    let mean = |f: fn(&FrameSample) -> f64| samples.iter().map(f).sum::<f64>() / n as f64;
    let verdict = match target {
        Some(t) if p95 <= t => format!("ok (p95 ≤ {t} ms)"),
        Some(t) => format!("OVER (p95 > {t} ms)"),
        None => String::new(),
    };
    writeln!(
        out,
        "  {name:<44} {n:>3} frames  median {median:>6.1}  p95 {p95:>6.1}  max {max:>6.1} ms  {verdict}"
    )?;
    writeln!(
        out,
        "  {:<44} build {:.1} · edit {:.1} · metrics {:.1} · shapes {:.1} · dots {:.1} · draw {:.1} · tess {:.1}",
        "",
        mean(|s| s.build),
        mean(|s| s.edit),
        mean(|s| s.metrics),
        mean(|s| s.territories),
        mean(|s| s.accounts),
        mean(FrameSample::rest),
        mean(|s| s.tessellate),
    )?;
    Ok(())
}

/// Drags a vertex of territory `id` (Edit boundary), one pointer move per
/// frame. Returns the frames and a note on what was dragged.
fn drag_vertex(w: &mut Window, id: TerritoryId) -> anyhow::Result<(Vec<FrameSample>, String)> {
    w.app.select_territory(id, true);
    w.app.panels_mut().tools.set_tool(Tool::Reshape);
    w.settle();
    let rect = w
        .map_rect()
        .ok_or_else(|| anyhow::anyhow!("the map was not drawn"))?;
    let centre = rect.center();
    // The exterior vertex farthest inside the map, dragged towards the
    // middle of the territory (accounts leave it), then sideways.
    let ring = w
        .app
        .workspace()
        .project()
        .territory(id)
        .and_then(|t| t.geometry.0.iter().max_by_key(|p| p.exterior().0.len()))
        .map(|p| p.exterior().0.clone())
        .unwrap_or_default();
    let margin = |p: Pos2| {
        (p.x - rect.min.x)
            .min(rect.max.x - p.x)
            .min(p.y - rect.min.y)
            .min(rect.max.y - p.y)
    };
    let from = ring
        .iter()
        .filter_map(|c| w.screen(c.x, c.y))
        .max_by(|a, b| margin(*a).total_cmp(&margin(*b)))
        .ok_or_else(|| anyhow::anyhow!("no vertex on screen"))?;
    let inward = (centre - from).normalized();
    let sideways = egui::vec2(-inward.y, inward.x);
    let undo_before = w.app.workspace().undo_labels().count();
    w.moved(from);
    w.frame();
    w.button(from, true);
    w.frame();
    let mut p = from;
    let mut samples = Vec::with_capacity(DRAG_FRAMES);
    for k in 0..DRAG_FRAMES {
        let dir = if k < DRAG_FRAMES / 2 {
            inward
        } else {
            sideways
        };
        p += dir * DRAG_STEP;
        w.moved(p);
        samples.push(w.frame());
    }
    w.button(p, false);
    samples.push(w.frame());
    let labels: Vec<&str> = w.app.workspace().undo_labels().collect();
    if labels.len() != undo_before + 1 || !labels.last().is_some_and(|l| l.contains("vertex")) {
        anyhow::bail!("the vertex drag did not make one undo step: {labels:?}");
    }
    Ok((
        samples,
        format!("{DRAG_FRAMES} pointer moves of {DRAG_STEP} points"),
    ))
}

/// Brushes a stroke of about [`STROKE_UNITS`] hexagons into territory
/// `id` (Paint units). Returns the frames and a note.
fn paint_stroke(w: &mut Window, id: TerritoryId) -> anyhow::Result<(Vec<FrameSample>, String)> {
    let layer = UnitLayer::Hex { size_km: HEX_KM };
    // The same hexagons the window will load, to plan the stroke.
    let extent = super::tools::units::plan_extent(w.app.workspace());
    let units = UnitSet::for_layer(&layer, extent)?;
    w.app.select_territory(id, true);
    w.app.panels_mut().tools.units.set_layer(layer);
    w.app.panels_mut().tools.set_tool(Tool::Paint);
    w.frame();
    if !w
        .app
        .panels_mut()
        .tools
        .units
        .wait(Duration::from_secs(120))
    {
        anyhow::bail!("the hexagons did not load");
    }
    // Zoom so that a hexagon is about HEX_PX points across, centred on the
    // territory (the label point is inside it).
    let (lon, lat) = w.app.map_view().center();
    let across = 2.0 * HEX_KM / (111.32 * lat.to_radians().cos()); // degrees of longitude
    let w0 = mercator(lon, lat)[0];
    let w1 = mercator(lon + across, lat)[0];
    let zoom = (HEX_PX / ((w1 - w0).abs() * 256.0)).log2();
    let inside = w
        .app
        .workspace()
        .project()
        .territory(id)
        .and_then(|t| geo::InteriorPoint::interior_point(&t.geometry))
        .map_or((lon, lat), |p| (p.x(), p.y()));
    w.app.map_view_mut().set_view(inside.0, inside.1, zoom);
    w.settle();
    let rect = w
        .map_rect()
        .ok_or_else(|| anyhow::anyhow!("the map was not drawn"))?;
    let view = w
        .app
        .map_view()
        .last_view()
        .ok_or_else(|| anyhow::anyhow!("the map was not drawn"))?;
    // A straight stroke from the middle, long enough to cross the units,
    // in the first direction that leaves the territory (so the stroke
    // changes something whatever the window's layout).
    let start = rect.center();
    let leaves = |dir: egui::Vec2| {
        let mut p = start;
        while rect.shrink(10.0).contains(p) {
            let (x, y) = view.to_lon_lat(p);
            if w.app.workspace().engine().index().locate(x, y) != Some(id) {
                return true;
            }
            p += dir * STROKE_STEP * 4.0;
        }
        false
    };
    let dir = [
        (1.0, 0.35),
        (-1.0, 0.35),
        (1.0, -0.35),
        (-1.0, -0.35),
        (0.0, 1.0),
        (0.0, -1.0),
    ]
    .into_iter()
    .map(|(x, y)| egui::vec2(x, y).normalized())
    .find(|&d| leaves(d))
    .unwrap_or(egui::vec2(1.0, 0.35).normalized());
    let mut path = vec![start];
    let mut seen = std::collections::HashSet::new();
    let mut p = start;
    let mut crossed = false;
    while rect.shrink(10.0).contains(p) {
        let (x, y) = view.to_lon_lat(p);
        if let Some(u) = units.locate(x, y) {
            seen.insert(u);
        }
        crossed |= w.app.workspace().engine().index().locate(x, y) != Some(id);
        // Enough units, and at least one taken from another territory.
        if seen.len() > STROKE_UNITS && crossed {
            break;
        }
        p += dir * STROKE_STEP;
        path.push(p);
    }
    path.pop();
    let undo_before = w.app.workspace().undo_labels().count();
    w.moved(start);
    w.frame();
    w.button(start, true);
    let mut samples = Vec::with_capacity(path.len());
    samples.push(w.frame());
    for &q in &path[1..] {
        w.moved(q);
        samples.push(w.frame());
    }
    let end = *path.last().unwrap_or(&start);
    w.button(end, false);
    samples.push(w.frame());
    let labels: Vec<&str> = w.app.workspace().undo_labels().collect();
    if labels.len() != undo_before + 1 || !labels.last().is_some_and(|l| l.starts_with("Paint")) {
        anyhow::bail!("the paint stroke did not make one undo step: {labels:?}");
    }
    Ok((
        samples,
        format!(
            "{} hexagons of {HEX_KM} km, {STROKE_STEP} points a frame",
            seen.len().min(STROKE_UNITS)
        ),
    ))
}

/// Clones the shown scenario (changing nothing) and times the UI-thread
/// part of comparing the two; returns it and whether the comparison ended.
fn compare_scenarios(w: &mut Window) -> anyhow::Result<(f64, bool)> {
    let p = w.app.workspace().project();
    let edit = crate::core::scenario::clone_edit(p, p.active_scenario, "Bench copy")?;
    let other = p.next_scenario_id();
    w.app.apply(edit);
    if let Some(e) = w.app.error() {
        anyhow::bail!("could not clone the scenario: {e}");
    }
    w.frame();
    let t = Instant::now();
    w.app
        .apply_command(crate::app::command::Command::CompareScenarios(other));
    let ui_ms = t.elapsed().as_secs_f64() * 1e3;
    let done = w
        .app
        .panels_mut()
        .model
        .wait_for_comparison(Duration::from_secs(300));
    // Back to the plan as it was.
    w.app.undo();
    w.frame();
    Ok((ui_ms, done))
}
