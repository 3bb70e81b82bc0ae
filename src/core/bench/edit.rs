//! Speed figures of the map tools on the 1M-account synthetic plan: a
//! vertex drag (one step = build the edit, apply, incremental engine,
//! metrics), a lasso drop of ~10,000 accounts, and the undo of each, every
//! one checked once against a from-scratch [`Engine`].
//!
//! Printed rather than asserted, like [`crate::core::bench`]: timing depends on the
//! machine. Run it in release (the `bench_edit` test in `tests/tools.rs`,
//! `cargo test --release --test tools -- --ignored --nocapture`).

use std::io::Write;
use std::time::{Duration, Instant};

use geo::{Coord, LineString, Polygon};

use crate::core::engine::Engine;
use crate::core::error::{Error, Result};
use crate::core::model::TerritoryId;
use crate::core::shape_edit::{VertexRef, accounts_in_polygon, drop_accounts};
use crate::core::synth::synthetic_plan;
use crate::core::workspace::Workspace;

/// Accounts, territories and seed of the benchmark plan.
pub const PLAN: (usize, usize, u64) = (1_000_000, 1000, 7);
/// Steps of the simulated drag.
const DRAG_STEPS: usize = 50;
/// Wanted size of the lasso selection.
const LASSO_ACCOUNTS: usize = 10_000;
/// Repetitions of the lasso drop.
const DROP_REPS: usize = 5;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

/// A regular 32-gon of radius `r` degrees around `c`.
fn circle(c: Coord<f64>, r: f64) -> Polygon<f64> {
    let pts: Vec<Coord<f64>> = (0..32)
        .map(|k| {
            let a = k as f64 / 32.0 * std::f64::consts::TAU;
            Coord {
                x: c.x + r * a.cos(),
                y: c.y + r * a.sin(),
            }
        })
        .collect();
    Polygon::new(LineString(pts), vec![])
}

/// Runs the benchmark on the 1M-account plan and prints one line per
/// figure to `out`.
pub fn run(out: &mut dyn Write) -> Result<()> {
    run_on(PLAN, out)
}

/// Runs the benchmark on a synthetic plan of `(accounts, territories,
/// seed)` (small ones for smoke tests), lassoing about 1% of the accounts
/// (at most 10,000).
pub fn run_on(plan: (usize, usize, u64), out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let (n_acc, n_terr, seed) = plan;
    writeln!(
        out,
        "turfmap bench-edit: {n_acc} accounts, {n_terr} territories, seed {seed}, {} threads{}",
        rayon::current_num_threads(),
        if cfg!(debug_assertions) {
            " (DEBUG BUILD: use --release)"
        } else {
            ""
        }
    )
    .map_err(io)?;
    let mut ws = Workspace::new(synthetic_plan(n_acc, n_terr, seed));

    // ---- vertex drag: a vertex in the middle of a border shared by two.
    let (id, k, from, normal) = pick_shared_vertex(&ws)
        .ok_or_else(|| Error::invalid("no shared vertex found in the synthetic plan"))?;
    let sharing = ws
        .project()
        .territories
        .iter()
        .filter(|t| t.geometry.0.iter().any(|p| p.exterior().0.contains(&from)))
        .count();
    // The metrics panel's figures, refreshed after every step as the
    // window does (only what the step changed).
    let mut live = ws.live_metrics();
    let mut drag = Vec::with_capacity(DRAG_STEPS);
    for s in 1..=DRAG_STEPS {
        // Out and back like a hand would, never beyond a quarter segment.
        let f = (s as f64 / DRAG_STEPS as f64 * std::f64::consts::PI).sin();
        let to = from + normal * f;
        let t = Instant::now();
        let at = VertexRef {
            id,
            part: 0,
            ring: 0,
            vertex: k,
        };
        let edit = ws.move_vertex(at, (to.x, to.y))?;
        ws.apply(edit)?;
        ws.refresh_metrics(&mut live);
        drag.push(ms(t.elapsed()));
    }
    let same_drag =
        ws.engine().same_result(&Engine::new(ws.project())) && *live.metrics() == ws.metrics();
    let mut drag_undo = Vec::with_capacity(DRAG_STEPS);
    for _ in 0..DRAG_STEPS {
        let t = Instant::now();
        ws.undo()?;
        ws.refresh_metrics(&mut live);
        drag_undo.push(ms(t.elapsed()));
    }
    let same_drag_undo =
        ws.engine().same_result(&Engine::new(ws.project())) && *live.metrics() == ws.metrics();
    writeln!(
        out,
        "{:<40} {:>8.2} ms   target ≤ 5 ms (max {:.2} ms; {} territories share it; equals full recompute: {})",
        "vertex drag step (median)",
        median(drag.clone()),
        max(&drag),
        sharing,
        yes_no(same_drag)
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<40} {:>8.2} ms   target ≤ 5 ms (max {:.2} ms; equals full recompute: {})",
        "undo of a drag step (median)",
        median(drag_undo.clone()),
        max(&drag_undo),
        yes_no(same_drag_undo)
    )
    .map_err(io)?;

    // ---- lasso drop of ~10,000 accounts.
    let (lasso, n_sel) = pick_lasso(&ws, LASSO_ACCOUNTS.min(n_acc / 100).max(1));
    let sel = accounts_in_polygon(ws.project(), &lasso);
    let target = pick_target(&ws, &sel);
    let before = ws.metrics();
    let (mut drop_ms, mut undo_ms, mut lasso_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut build_ms, mut apply_ms, mut metrics_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut same_drop, mut same_undo, mut exact_undo) = (true, true, true);
    for r in 0..DROP_REPS {
        let t = Instant::now();
        let sel = accounts_in_polygon(ws.project(), &lasso);
        lasso_ms.push(ms(t.elapsed()));
        let edit = drop_accounts(ws.project(), ws.engine(), &sel, target)?;
        build_ms.push(ms(t.elapsed()) - lasso_ms[r]);
        let t_apply = Instant::now();
        ws.apply(edit)?;
        apply_ms.push(ms(t_apply.elapsed()));
        let t_met = Instant::now();
        ws.refresh_metrics(&mut live);
        metrics_ms.push(ms(t_met.elapsed()));
        drop_ms.push(ms(t.elapsed()));
        if r == 0 {
            same_drop = ws.engine().same_result(&Engine::new(ws.project()))
                && *live.metrics() == ws.metrics();
        }
        let t = Instant::now();
        ws.undo()?;
        ws.refresh_metrics(&mut live);
        undo_ms.push(ms(t.elapsed()));
        exact_undo &= *live.metrics() == before;
        if r == 0 {
            same_undo = ws.engine().same_result(&Engine::new(ws.project()));
        }
    }
    writeln!(
        out,
        "{:<40} {:>8.2} ms   target ≤ 20 ms (max {:.2} ms; {} accounts, lasso alone {:.2} ms; equals full recompute: {})",
        "lasso drop (median)",
        median(drop_ms.clone()),
        max(&drop_ms),
        n_sel,
        median(lasso_ms.clone()),
        yes_no(same_drop)
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<40} {:>8.2} ms   (lasso {:.2} + build edit {:.2} + apply/engine {:.2} + metrics {:.2})",
        "  of which (medians)",
        median(drop_ms.clone()),
        median(lasso_ms.clone()),
        median(build_ms),
        median(apply_ms),
        median(metrics_ms)
    )
    .map_err(io)?;
    writeln!(
        out,
        "{:<40} {:>8.2} ms   target ≤ 20 ms (max {:.2} ms; metrics restored exactly: {}; equals full recompute: {})",
        "undo of the drop (median)",
        median(undo_ms.clone()),
        max(&undo_ms),
        yes_no(exact_undo),
        yes_no(same_undo)
    )
    .map_err(io)?;
    Ok(())
}

/// A vertex of a lattice territory's exterior, in the middle of a border
/// shared with exactly one neighbour, and a drag offset a quarter of its
/// shorter segment long.
fn pick_shared_vertex(ws: &Workspace) -> Option<(TerritoryId, usize, Coord<f64>, Coord<f64>)> {
    let p = ws.project();
    let n = p.territories.len();
    for t in p.territories.iter().skip(n / 2).chain(p.territories.iter()) {
        let Some(poly) = t.geometry.0.first() else {
            continue;
        };
        let ring = &poly.exterior().0;
        if ring.len() < 8 {
            continue;
        }
        for k in (ring.len() / 4)..(ring.len() - 2) {
            let c = ring[k];
            let holders = p
                .territories
                .iter()
                .filter(|u| u.geometry.0.iter().any(|q| q.exterior().0.contains(&c)))
                .count();
            if holders != 2 {
                continue;
            }
            let (prev, next) = (ring[k - 1], ring[k + 1]);
            let tan = next - prev;
            let len = tan.x.hypot(tan.y);
            let d = |a: Coord<f64>, b: Coord<f64>| (a.x - b.x).hypot(a.y - b.y);
            let step = d(prev, c).min(d(c, next)) * 0.25;
            if len > 0.0 && step > 0.0 {
                let normal = Coord {
                    x: tan.y / len * step,
                    y: -tan.x / len * step,
                };
                return Some((t.id, k, c, normal));
            }
        }
    }
    None
}

/// A circular lasso around a located account whose radius is bisected until
/// it holds about `want` accounts.
fn pick_lasso(ws: &Workspace, want: usize) -> (Polygon<f64>, usize) {
    let a = &ws.project().accounts;
    let c = a
        .live()
        .find(|&i| a.is_located(i))
        .map_or(Coord { x: -95.0, y: 37.0 }, |i| Coord {
            x: a.lon[i],
            y: a.lat[i],
        });
    let (mut lo, mut hi) = (0.0, 30.0);
    let mut best = (circle(c, hi), usize::MAX);
    for _ in 0..30 {
        let r = (lo + hi) / 2.0;
        let lasso = circle(c, r);
        let n = accounts_in_polygon(ws.project(), &lasso).len();
        if n.abs_diff(want) < best.1.abs_diff(want) {
            best = (lasso, n);
        }
        if n.abs_diff(want) * 100 < want {
            break;
        }
        if n < want {
            lo = r;
        } else {
            hi = r;
        }
    }
    best
}

/// The territory that owns the first selected account's neighbourhood least:
/// any territory other than the first account's own, so accounts move.
fn pick_target(ws: &Workspace, sel: &[u32]) -> TerritoryId {
    let own = sel
        .first()
        .and_then(|&i| ws.engine().territory_of(i as usize));
    ws.project()
        .territories
        .iter()
        .map(|t| t.id)
        .find(|&t| Some(t) != own)
        .unwrap_or_default()
}
