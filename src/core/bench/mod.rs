//! `turfmap bench`: speed figures of the core on a seeded synthetic plan.
//!
//! Timing lives here, printed, rather than in tests (which must not depend
//! on the machine's speed). Run it in release: `cargo run --release -- bench`.

use std::io::Write;

use crate::core::edit::Edit;
use crate::core::engine::Engine;
use crate::core::error::{Error, Result};
use crate::core::index::TerritoryIndex;
use crate::core::metrics::PlanMetrics;
use crate::core::model::Project;
use crate::core::project_file;
use crate::core::synth::{synthetic_edit_polygon, synthetic_plan};
use crate::core::workspace::Workspace;

pub mod edit;
pub mod measure;
pub mod postal;
pub mod travel;

pub use measure::{StepMemory, measured};
use measure::{median, mem_note, time};

/// What `turfmap bench` measures: plan size, seed, repetitions, and
/// whether to include the drive-time figures.
#[derive(Clone, Copy, Debug)]
pub struct BenchPlan {
    /// Accounts of the synthetic plan.
    pub accounts: usize,
    /// Territories of the synthetic plan.
    pub territories: usize,
    /// Seed of the synthetic plan.
    pub seed: u64,
    /// Repetitions of the per-step figures.
    pub reps: usize,
    /// Include the drive-time figures (loads the bundled US roads).
    pub travel: bool,
}

/// Runs the benchmark and prints one line per figure to `out`.
pub fn run(plan: BenchPlan, out: &mut dyn Write) -> Result<()> {
    let BenchPlan {
        accounts: n_accounts,
        territories: n_territories,
        seed,
        reps,
        travel,
    } = plan;
    let io = |e| Error::io("<stdout>", e);
    let reps = reps.max(1);
    writeln!(
        out,
        "turfmap bench: {n_accounts} accounts, {n_territories} territories, seed {seed}, {} threads{}",
        rayon::current_num_threads(),
        if cfg!(debug_assertions) { " (DEBUG BUILD: use --release)" } else { "" }
    )
    .map_err(io)?;
    let (project, gen_ms) = time(|| synthetic_plan(n_accounts, n_territories, seed));
    let vertices: usize = project
        .territories
        .iter()
        .map(|t| {
            t.geometry
                .iter()
                .map(|p| p.exterior().0.len())
                .sum::<usize>()
        })
        .sum();
    writeln!(
        out,
        "{:<36} {:>9.1} ms   ({} territories, {:.0} vertices each on average)",
        "generate synthetic plan",
        gen_ms,
        project.territories.len(),
        vertices as f64 / project.territories.len().max(1) as f64
    )
    .map_err(io)?;

    assignment(&project, reps, out)?;
    let mut ws = Workspace::new(project);
    edits(&mut ws, reps, seed, out)?;
    find_and_left_out(&ws, out)?;
    snapshot_and_file(&ws, reps, out)?;
    if travel {
        travel::run(ws.project(), out)?;
    }
    Ok(())
}

/// The Find window's index build and queries (both on worker threads in
/// the window), the unassigned list, and where the accounts are (the unit
/// choosers' countries).
fn find_and_left_out(ws: &Workspace, out: &mut dyn Write) -> Result<()> {
    use crate::core::search::SearchIndex;
    let io = |e| Error::io("<stdout>", e);
    let p = ws.project();
    let (index, build_ms) = time(|| SearchIndex::build(p));
    let mut q_ms = Vec::new();
    let mut found = 0;
    for q in ["S0420042", "account 00012", "7", "zzz-no-match"] {
        let ((_, total), t) = time(|| index.find(q, 200));
        found = found.max(total);
        q_ms.push(t);
    }
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (worker thread; query median {:.1} ms, max {:.1} ms, up to {found} hits)",
        "find: index build",
        build_ms,
        median(q_ms.clone()),
        q_ms.iter().cloned().fold(0.0, f64::max)
    )
    .map_err(io)?;
    let (rows, left_ms) = time(|| crate::core::unassigned::left_out(p, ws.engine()));
    writeln!(
        out,
        "{:<36} {:>9.1} ms   ({} accounts listed; worker thread from scratch)",
        "unassigned/unlocated list",
        left_ms,
        rows.len()
    )
    .map_err(io)?;
    left_out_after_edit(ws, rows, out)?;
    let (countries, c_ms) = time(|| crate::core::regions::plan_countries(p));
    writeln!(
        out,
        "{:<36} {:>9.1} ms   ({} countries)",
        "countries of the accounts",
        c_ms,
        countries.countries.len()
    )
    .map_err(io)
}

/// The open unassigned list brought up to date after one edit (moving
/// the first live account far outside every territory), as the window
/// does on the UI thread.
fn left_out_after_edit(
    ws: &Workspace,
    mut rows: Vec<crate::core::unassigned::LeftOut>,
    out: &mut dyn Write,
) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let mut after = ws.snapshot();
    let Some(i) = after.project().accounts.live().next() else {
        return Ok(());
    };
    let before = after.revision();
    after.apply(Edit::SetLocations {
        accounts: vec![i as u32],
        locations: vec![Some((-179.0, -89.0))],
    })?;
    let changed = after
        .changes_since(before)
        .map(|c| c.accounts)
        .unwrap_or_default();
    let ((), ms) = time(|| {
        crate::core::unassigned::update_left_out(
            &mut rows,
            after.project(),
            after.engine(),
            &changed,
        )
    });
    writeln!(
        out,
        "{:<36} {:>9.1} ms   ({} listed; UI thread)",
        "unassigned list after one edit",
        ms,
        rows.len()
    )
    .map_err(io)?;
    Ok(())
}

/// Index build and full assignment, from scratch.
fn assignment(project: &Project, reps: usize, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let mut index_ms = Vec::new();
    let mut index = None;
    for _ in 0..reps.min(5) {
        let (idx, t) = time(|| {
            TerritoryIndex::build(
                project
                    .territories
                    .iter()
                    .map(|t| (t.id, t.priority, &t.geometry)),
            )
        });
        index_ms.push(t);
        index = Some(idx);
    }
    let index = index.expect("at least one rep");
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (grid {}x{}, {:.1}% mixed cells)",
        "index build (median)",
        median(index_ms.clone()),
        index.grid().nx,
        index.grid().ny,
        index.mixed_fraction() * 100.0
    )
    .map_err(io)?;

    let mut engine = Engine::new(project);
    let mut assign_ms = Vec::new();
    for _ in 0..reps.min(5) {
        let ((), t) = time(|| engine.full_assign(project));
        assign_ms.push(t);
    }
    let full = median(index_ms) + median(assign_ms.clone());
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (points → territories + tallies)",
        "full assignment (median)",
        median(assign_ms)
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   target ≤ 300 ms",
        "full assign incl. index build", full
    )
    .map_err(io)?;

    Ok(())
}

/// One-territory reshapes, incremental, and their undo.
fn edits(ws: &mut Workspace, reps: usize, seed: u64, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let ids: Vec<_> = ws.project().territories.iter().map(|t| t.id).collect();
    let mut inc = Vec::new();
    let mut undo = Vec::new();
    for r in 0..reps {
        let id = ids[(r * 7919 + 13) % ids.len()];
        let geometry = synthetic_edit_polygon(ws.project(), id, seed + r as u64);
        let (res, t) = time(|| ws.apply(Edit::SetGeometry { id, geometry }));
        res?;
        inc.push(t);
        let (res, t) = time(|| ws.undo());
        res?;
        undo.push(t);
    }
    // Keep one edit applied and check it against a from-scratch engine.
    let id = ids[ids.len() / 2];
    let geometry = synthetic_edit_polygon(ws.project(), id, seed ^ 0xabc);
    ws.apply(Edit::SetGeometry { id, geometry })?;
    let same = ws.engine().same_result(&Engine::new(ws.project()));
    writeln!(
        out,
        "{:<36} {:>9.2} ms   target ≤ 5 ms (max {:.2} ms; equals full recompute: {})",
        "one-territory incremental (median)",
        median(inc.clone()),
        inc.iter().copied().fold(0.0, f64::max),
        if same { "yes" } else { "NO" }
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<36} {:>9.2} ms",
        "undo of it (median)",
        median(undo)
    )
    .map_err(io)?;

    // What the window does per boundary edit: the edit, then the metrics
    // panel's refresh (only what the edit changed), and the same after undo.
    let mut live = Vec::new();
    let mut metrics = ws.live_metrics();
    for r in 0..reps {
        let id = ids[(r * 7919 + 29) % ids.len()];
        let geometry = synthetic_edit_polygon(ws.project(), id, seed + 1000 + r as u64);
        let (res, t) = time(|| {
            ws.apply(Edit::SetGeometry { id, geometry })
                .map(|()| ws.refresh_metrics(&mut metrics))
        });
        res?;
        live.push(t);
        ws.undo()?;
        ws.refresh_metrics(&mut metrics);
    }
    let same = *metrics.metrics() == ws.metrics();
    writeln!(
        out,
        "{:<36} {:>9.2} ms   target ≤ 5 ms ({} territories; metrics equal a full recompute: {})",
        "boundary edit + live metrics (median)",
        median(live),
        ids.len(),
        if same { "yes" } else { "NO" }
    )
    .map_err(io)?;

    let mut met = Vec::new();
    for _ in 0..reps {
        let (m, t) = time(|| PlanMetrics::compute(ws.project(), ws.engine()));
        std::hint::black_box(m);
        met.push(t);
    }
    writeln!(
        out,
        "{:<36} {:>9.2} ms   target ≤ 20 ms",
        "metrics (median)",
        median(met)
    )
    .map_err(io)?;

    Ok(())
}

/// The snapshot a background job takes, then save and load.
fn snapshot_and_file(ws: &Workspace, reps: usize, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    // What a background job (save, autosave, balance, comparison) copies
    // on the UI thread before it starts, against a plain clone.
    let mut snap = Vec::new();
    let mut full = Vec::new();
    for _ in 0..reps.min(5) {
        let (s, t) = time(|| ws.project().snapshot());
        drop(s);
        snap.push(t);
        let (c, t) = time(|| ws.project().clone());
        drop(c);
        full.push(t);
    }
    writeln!(
        out,
        "{:<36} {:>9.2} ms   (plain clone {:.1} ms; UI thread, ≤ 16 ms)",
        "plan snapshot for a job (median)",
        median(snap),
        median(full)
    )
    .map_err(io)?;

    let dir = std::env::temp_dir().join(format!("turfmap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let path = dir.join("bench.turf");
    let files = plan_files(ws.project(), &path, out);
    let _ = std::fs::remove_dir_all(&dir);
    files?;
    // 100,000 features at the full 1M-account size; proportionally fewer
    // for small smoke runs, which would otherwise spend minutes here.
    let features = (ws.project().accounts.len() / 10).clamp(100, 100_000);
    territory_import(ws, features, out)
}

/// Save, then load from the RON text (as every load did before the plan
/// cache) and from the cache the save wrote, with peak memory.
fn plan_files(project: &Project, path: &std::path::Path, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let (res, save_ms, save_mem) = measured(|| project_file::save(project, path));
    res?;
    // Big plans get their cache from the save; a small smoke-test plan
    // gets one here.
    let cache = project_file::cache_path(path).unwrap_or_default();
    if !cache.exists() {
        project_file::store_cache(project, path);
    }
    let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    let (ron_mb, cache_mb) = (size(path), size(&cache));

    writeln!(
        out,
        "{:<36} {:>9.1} ms   target ≤ 3000 ms ({ron_mb:.1} MB RON, {cache_mb:.1} MB cache{})",
        "project save",
        save_ms,
        mem_note(save_mem)
    )
    .map_err(io)?;
    let (text, text_ms, text_mem) = measured(|| project_file::load_uncached(path));
    let n = text?.accounts.len();
    // The cache alone (what `load` reads first), so a cache that failed
    // to be written or used shows as such rather than as a text load.
    let (cached, cached_ms, cached_mem) = measured(|| project_file::load_cached(path));
    let used = cached.is_some_and(|p| p.accounts.len() == n);
    writeln!(
        out,
        "{:<36} {:>9.1} ms   ({n} accounts back{})",
        "project load, RON text",
        text_ms,
        mem_note(text_mem)
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   target ≤ 1/3 of the text: {:.1}x faster ({}{})",
        "project load, plan cache",
        cached_ms,
        text_ms / cached_ms.max(1e-9),
        if used { "cache used" } else { "NO CACHE" },
        mem_note(cached_mem)
    )
    .map_err(io)
}

/// GeoJSON of `n` small squares named `Imported N`, on a grid.
fn squares_geojson(n: usize) -> String {
    let mut s = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..n {
        let (x, y) = (
            (i % 1000) as f64 * 0.01 - 100.0,
            (i / 1000) as f64 * 0.01 + 30.0,
        );
        let (x1, y1) = (x + 0.009, y + 0.009);
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"type":"Feature","properties":{{"name":"Imported {i}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}}}"#
        ));
    }
    s.push_str("]}");
    s
}

/// Prints [`territory_import`] of `n` features into an empty plan.
pub fn import_figure(n: usize, out: &mut dyn Write) -> Result<()> {
    territory_import(
        &Workspace::new(crate::core::model::Project::new("bench")),
        n,
        out,
    )
}

/// `import-territories` of `n` features into the plan: reading the
/// GeoJSON, and building and applying the one undoable edit (linear: it
/// was quadratic, 150 s for 100,000 features).
fn territory_import(ws: &Workspace, n: usize, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let text = squares_geojson(n);
    let path = std::path::Path::new("bench.geojson");
    let (read, read_ms) =
        time(|| crate::core::import::territories_from_geojson_str(&text, path, "name"));
    let (imported, _) = read?;
    let mut ws = ws.snapshot();
    let (res, apply_ms) = time(|| {
        let merge = crate::core::import::merge_territories(ws.project(), imported, "Import".into());
        match merge.edit {
            Some(edit) => ws.apply(edit),
            None => Ok(()),
        }
    });
    res?;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (read {read_ms:.0} ms + add {apply_ms:.0} ms; {} territories now)",
        format!("import {n} territories"),
        read_ms + apply_ms,
        ws.project().territories.len()
    )
    .map_err(io)
}
