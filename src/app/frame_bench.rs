//! Headless frame benchmark of the map (`turfmap bench-frame`).
//!
//! Runs the real [`MapView`] in an egui [`Context`] at 1600×1000 points with
//! no GPU: each timed frame is `Context::run_ui` (layout, culling, binning,
//! mesh building) plus `Context::tessellate` (what egui does before handing
//! meshes to the GPU). Plans are synthetic (100k accounts / 200 territories
//! and 1M with 1,000 and with 10,000 territories), viewed whole and zoomed to the busiest territory, each
//! both still (the view is unchanged, as while the user reads the map) and
//! moving (panning or zooming every frame, which defeats every per-view
//! cache). Warm-up frames build the caches first.

use std::io::Write;
use std::time::{Duration, Instant};

use egui::{Context, RawInput, Rect, Vec2, pos2};

use crate::app::map::accounts::DotMode;
use crate::app::map::{FrameStats, MapView};
use crate::app::state::{MapStyle, Selection};
use crate::core::edit::Edit;
use crate::core::engine::NONE;
use crate::core::synth::{synthetic_edit_polygon, synthetic_plan};
use crate::core::{TerritoryId, Workspace};

/// Size of the simulated map, points.
pub const SIZE: Vec2 = Vec2::new(1600.0, 1000.0);
const WARMUP: usize = 3;
const FRAMES: usize = 30;

/// How the camera moves between timed frames.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Motion {
    Still,
    /// Pan by this many points per frame.
    Pan(f64),
    /// Zoom in and out by this much per frame.
    Zoom(f64),
}

/// One benchmark case's timings (milliseconds per frame).
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// What was measured.
    pub name: String,
    /// Median frame time.
    pub median_ms: f64,
    /// 95th percentile frame time.
    pub p95_ms: f64,
    /// Median time of `run_ui` alone (the map's own work).
    pub run_ms: f64,
    /// Median time of `tessellate` alone.
    pub tessellate_ms: f64,
    /// What the last frame drew.
    pub stats: FrameStats,
    /// More about the case, if anything (printed after it).
    pub note: String,
}

/// Prints the first line of a window benchmark (`what`, the window size
/// and how frames are timed) and waits for the bundled basemap, which
/// loads in the background, so frames are measured with it.
pub(super) fn header(out: &mut dyn Write, what: &str) -> anyhow::Result<()> {
    writeln!(
        out,
        "{what}: headless egui {}×{} points, run_ui + tessellate, no GPU",
        SIZE.x, SIZE.y
    )?;
    if !MapView::wait_for_basemap(Duration::from_secs(120)) {
        writeln!(out, "(basemap did not load in time: measuring without it)")?;
    }
    Ok(())
}

/// Runs the benchmark and prints a table to `out`.
pub fn run(out: &mut dyn Write) -> anyhow::Result<()> {
    header(out, "Map frame benchmark")?;
    writeln!(
        out,
        "{} warm-up + {} timed frames per case; 'moving' pans or zooms every frame\n",
        WARMUP, FRAMES
    )?;
    let mut all_ok = true;
    for (accounts, territories, target) in [
        (100_000, 200, 8.0),
        (1_000_000, 1_000, 16.0),
        (1_000_000, 10_000, 16.0),
    ] {
        let t = Instant::now();
        let mut ws = Workspace::new(synthetic_plan(accounts, territories, 1));
        writeln!(
            out,
            "{} accounts, {} territories (plan built in {:.1} s), target ≤ {target} ms:",
            group(accounts),
            territories,
            t.elapsed().as_secs_f64()
        )?;
        for r in run_plan(&mut ws)? {
            // An edit's first frame rebuilds caches: reported, not judged.
            let judged = r.run_ms.is_finite();
            let ok = !judged || r.p95_ms <= target;
            all_ok &= ok;
            let d = r.stats.dots;
            let how = match (d.mode, d.level) {
                (DotMode::Points, _) => format!("{} dots", group(d.quads)),
                (DotMode::Binned, Some(l)) => format!("level-{l} raster, {} cells", group(d.bins)),
                (DotMode::Binned, None) => format!("screen bins, {} cells", group(d.bins)),
                (DotMode::Hidden, _) => "no dots".to_owned(),
            };
            let split = if judged {
                format!(
                    "(run_ui {:.2} + tessellate {:.2})",
                    r.run_ms, r.tessellate_ms
                )
            } else {
                "(5 times; p95 = slowest)      ".to_owned()
            };
            let outlines = if r.stats.territory_images {
                format!("images, {} redrawn", r.stats.images_redrawn)
            } else {
                format!("{} outlines cached", r.stats.outlines_cached)
            };
            writeln!(
                out,
                "  {:<32} median {:>6.2} ms  p95 {:>6.2} ms  {}  {split}  [{} accounts in view: {how}; {} territories ({outlines}), {} labels]",
                r.name,
                r.median_ms,
                r.p95_ms,
                match (judged, ok) {
                    (false, _) => "    ",
                    (true, true) => "ok  ",
                    (true, false) => "OVER",
                },
                group(d.in_view),
                r.stats.territories,
                r.stats.labels,
            )?;
            if !r.note.is_empty() {
                writeln!(out, "    ({})", r.note)?;
            }
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}",
        if all_ok {
            "All cases within target (p95)."
        } else {
            "Some cases are over target (p95)."
        }
    )?;
    Ok(())
}

/// Times every case on one plan (the last one edits it).
pub fn run_plan(ws: &mut Workspace) -> anyhow::Result<Vec<CaseResult>> {
    let ctx = Context::default();
    let mut view = MapView::new(&ctx);
    let busiest = busiest_territory(ws);
    let mut results = Vec::new();
    // (name, zoom out from the busiest territory (None: whole plan), motion)
    let cases: [(&str, Option<f64>, Motion); 6] = [
        ("whole plan, still", None, Motion::Still),
        ("whole plan, panning", None, Motion::Pan(7.0)),
        ("whole plan, zooming", None, Motion::Zoom(0.04)),
        ("busiest territory, still", Some(0.0), Motion::Still),
        ("busiest territory, panning", Some(0.0), Motion::Pan(7.0)),
        ("its region (zoom −2), panning", Some(2.0), Motion::Pan(7.0)),
    ];
    let mut frame_no = 0u64;
    for (name, out, motion) in cases {
        match (out, busiest) {
            (Some(dz), Some(id)) => {
                view.zoom_to_territory(ws, id);
                // Settle the fit at the real size, then zoom out.
                frame(&ctx, &mut view, ws, frame_no);
                frame_no += 1;
                let (lon, lat) = view.center();
                view.set_view(lon, lat, view.zoom() - dz);
            }
            (Some(_), None) => continue,
            (None, _) => view.zoom_to_plan(ws),
        }
        let ws = &*ws;
        let mut times = Vec::with_capacity(FRAMES);
        let (mut runs, mut tess) = (Vec::with_capacity(FRAMES), Vec::with_capacity(FRAMES));
        let mut stats = FrameStats::default();
        for k in 0..WARMUP + FRAMES {
            if k > 0 {
                step(&mut view, motion, k);
            }
            let t = Instant::now();
            let (s, run) = frame(&ctx, &mut view, ws, frame_no);
            stats = s;
            frame_no += 1;
            if k >= WARMUP {
                let total = t.elapsed().as_secs_f64() * 1e3;
                times.push(total);
                runs.push(run);
                tess.push(total - run);
            }
        }
        for v in [&mut times, &mut runs, &mut tess] {
            v.sort_by(f64::total_cmp);
        }
        results.push(CaseResult {
            name: name.to_owned(),
            run_ms: runs[runs.len() / 2],
            tessellate_ms: tess[tess.len() / 2],
            median_ms: times[times.len() / 2],
            p95_ms: times[((times.len() * 95).div_ceil(100)).min(times.len()) - 1],
            stats,
            note: String::new(),
        });
    }
    // An edit: the first frame after it refreshes the caches (colours,
    // the reshaped territory's triangulation, the account raster).
    if let Some(id) = busiest {
        view.zoom_to_plan(ws);
        for _ in 0..WARMUP {
            frame(&ctx, &mut view, ws, frame_no);
            frame_no += 1;
        }
        let mut times = Vec::new();
        let mut stats = FrameStats::default();
        for seed in 0..5 {
            let geometry = synthetic_edit_polygon(ws.project(), id, seed);
            ws.apply(Edit::SetGeometry { id, geometry })?;
            let t = Instant::now();
            let (s, _) = frame(&ctx, &mut view, ws, frame_no);
            frame_no += 1;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            stats = s;
        }
        results.push(untimed_split("first frame after an edit", times, stats));
    }
    results.push(zoom_rests(&ctx, &mut view, ws, &mut frame_no));
    Ok(results)
}

/// A case timed as a whole (no `run_ui` / `tessellate` split, not
/// judged against the target): median and slowest of `times`.
fn untimed_split(name: &str, mut times: Vec<f64>, stats: FrameStats) -> CaseResult {
    times.sort_by(f64::total_cmp);
    CaseResult {
        name: name.to_owned(),
        median_ms: times[times.len() / 2],
        p95_ms: times[times.len() - 1],
        run_ms: f64::NAN,
        tessellate_ms: f64::NAN,
        stats,
        note: String::new(),
    }
}

/// The whole plan zoomed a little in or out, then one frame at rest: that
/// frame redraws whatever the map keeps per zoom level (timed).
fn zoom_rests(ctx: &Context, view: &mut MapView, ws: &Workspace, frame_no: &mut u64) -> CaseResult {
    view.zoom_to_plan(ws);
    for _ in 0..WARMUP {
        frame(ctx, view, ws, *frame_no);
        *frame_no += 1;
    }
    let mut times = Vec::new();
    let mut stats = FrameStats::default();
    for k in 0..5 {
        let (lon, lat) = view.center();
        let dz = if k % 2 == 0 { 0.3 } else { -0.3 };
        view.set_view(lon, lat, view.zoom() + dz);
        frame(ctx, view, ws, *frame_no);
        *frame_no += 1;
        let t = Instant::now();
        let (s, _) = frame(ctx, view, ws, *frame_no);
        *frame_no += 1;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        stats = s;
    }
    let mut r = untimed_split("first frame once a zoom rests", times, stats);
    if let Some(img) = view.territory_images() {
        let [prep, raster, upload] = img.redraw_ms;
        r.note = format!(
            "last redraw of the territory images: shapes {prep:.1} + pixels {raster:.1} + upload {upload:.1} ms"
        );
    }
    r
}

/// Moves the camera for frame `k` of a case.
fn step(view: &mut MapView, motion: Motion, k: usize) {
    let (lon, lat) = view.center();
    let z = view.zoom();
    match motion {
        Motion::Still => {}
        Motion::Pan(px) => {
            // Back and forth so the view stays on the plan.
            let dir = if (k / 10).is_multiple_of(2) {
                1.0
            } else {
                -1.0
            };
            let dlon = dir * px * 360.0 / (256.0 * z.exp2());
            view.set_view(lon + dlon, lat, z);
        }
        Motion::Zoom(dz) => {
            let dir = if (k / 10).is_multiple_of(2) {
                1.0
            } else {
                -1.0
            };
            view.set_view(lon, lat, z + dir * dz);
        }
    }
}

/// One frame: run the UI, then tessellate like a real integration. Returns
/// the stats and the `run_ui` time (ms).
fn frame(ctx: &Context, view: &mut MapView, ws: &Workspace, n: u64) -> (FrameStats, f64) {
    let input = RawInput {
        screen_rect: Some(Rect::from_min_size(pos2(0.0, 0.0), SIZE)),
        time: Some(n as f64 / 60.0),
        predicted_dt: 1.0 / 60.0,
        ..RawInput::default()
    };
    let (selection, style) = (Selection::default(), MapStyle::default());
    let t = Instant::now();
    let mut out = ctx.run_ui(input, |ui| {
        view.show(ui, ws, &selection, &style);
    });
    let run = t.elapsed().as_secs_f64() * 1e3;
    // No GPU to upload textures to.
    out.textures_delta.clear();
    let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
    std::hint::black_box(prims);
    (view.stats(), run)
}

/// The territory with the most accounts.
pub(crate) fn busiest_territory(ws: &Workspace) -> Option<TerritoryId> {
    let e = ws.engine();
    let mut count = vec![0usize; e.index().slot_capacity()];
    for &s in e.slots() {
        if s != NONE
            && let Some(c) = count.get_mut(s as usize)
        {
            *c += 1;
        }
    }
    let best = (0..count.len()).max_by_key(|&s| count[s])?;
    e.index().id_of_slot(best as u32)
}

/// `1234567` → `1,234,567`.
pub(crate) fn group(n: usize) -> String {
    crate::core::numfmt::readable(n as f64)
}
