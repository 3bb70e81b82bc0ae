//! `turfmap bench-balance`: quality, disruption and speed figures of
//! rebalance, generate and the balanced k-means baseline.
//!
//! Plans: the bundled sample; a seeded 100,000-account synthetic plan with
//! K = 50 whose lattice territories ignore where the accounts are (CV ≈ 60%:
//! nearly everything must move, the hard case); and a realistic case — that
//! synthetic plan balanced once (by `generate`) and then unbalanced by
//! growth: regions around three growth centres gain a third more accounts.
//! The 100k plans run with 25, 15 and 10 km hexagons and counties.
//! `TURFMAP_BENCH_ONLY` and `TURFMAP_BENCH_UNITS` select plans and layers.

use std::io::Write;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    BalanceOptions, CentreLimit, Proposal, UnitLayer, balanced_kmeans, generate, rebalance,
};
use crate::core::error::{Error, Result};
use crate::core::model::Project;
use crate::core::progress::Progress;
use crate::core::workspace::Workspace;

/// The synthetic plan balanced once, then grown unevenly: new accounts
/// appear near existing ones within 300 km of three growth centres
/// (deterministic for `seed`).
pub fn grown_plan(base: &Project, seed: u64) -> Result<Project> {
    let opts = BalanceOptions {
        units: UnitLayer::Hex { size_km: 25.0 },
        ..BalanceOptions::default()
    };
    let k = base.territories.len();
    let g = generate(base, k, &opts, &[], &Progress::new())?;
    let mut ws = Workspace::new(base.clone());
    ws.apply(g.edit)?;
    let mut project = ws.project().clone();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a = &project.accounts;
    let live: Vec<usize> = a.live().filter(|&i| a.is_located(i)).collect();
    let centres: Vec<(f64, f64)> = (0..3)
        .map(|_| {
            let i = live[rng.random_range(0..live.len())];
            (a.lon[i], a.lat[i])
        })
        .collect();
    let near: Vec<usize> = live
        .iter()
        .copied()
        .filter(|&i| {
            centres
                .iter()
                .any(|&c| crate::core::geometry::haversine_km(c, (a.lon[i], a.lat[i])) < 300.0)
        })
        .collect();
    // Each account in a growth region gets a new neighbour with
    // probability 0.35: those regions grow by about a third.
    let mut rows = Vec::new();
    for &i in &near {
        if rng.random::<f64>() >= 0.35 {
            continue;
        }
        let mut row = a.row(i);
        row.id = format!("G{}", rows.len());
        row.pins.clear();
        row.location = row.location.map(|(x, y)| {
            (
                x + rng.random_range(-0.1..0.1),
                y + rng.random_range(-0.1..0.1),
            )
        });
        rows.push(row);
    }
    for row in &rows {
        project.accounts.push(row);
    }
    project.name = format!("{} (balanced, then grown)", base.name);
    Ok(project)
}

/// Prints the figures (see the module docs).
pub fn bench(out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    writeln!(
        out,
        "turfmap bench-balance{}\nrebalance = from the current plan with disruption cost; generate = from scratch (same method, no disruption cost); balanced k-means = plain location-allocation from scratch (no contiguity repair or local search)",
        if cfg!(debug_assertions) {
            " (DEBUG BUILD: use --release)"
        } else {
            ""
        }
    )
    .map_err(io)?;
    let sample = super::super::project_file::load(&super::super::assets::sample_plan())?;
    let synth = super::super::synth::synthetic_plan(100_000, 50, 42);
    let grown = grown_plan(&synth, 7)?;
    let hex = |size_km| UnitLayer::Hex { size_km };
    for (name, project, layers) in [
        ("sample", &sample, vec![hex(40.0), UnitLayer::Counties]),
        (
            "synthetic 100k/50",
            &synth,
            vec![hex(25.0), hex(15.0), hex(10.0), UnitLayer::Counties],
        ),
        (
            "grown plan K=50",
            &grown,
            vec![hex(25.0), hex(15.0), hex(10.0), UnitLayer::Counties],
        ),
    ] {
        // TURFMAP_BENCH_ONLY=text runs only the plans whose name holds it.
        if std::env::var("TURFMAP_BENCH_ONLY").is_ok_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        for units in layers {
            // TURFMAP_BENCH_UNITS=text runs only the unit layers whose name
            // holds it (e.g. "15 km").
            if std::env::var("TURFMAP_BENCH_UNITS")
                .is_ok_and(|f| !units.to_string().contains(f.as_str()))
            {
                continue;
            }
            // No centre limit, as in the figures' references (GerryChain
            // and the lower bound have none).
            let opts = BalanceOptions {
                units: units.clone(),
                centre_limit: CentreLimit::Any,
                ..BalanceOptions::default()
            };
            let progress = Progress::new();
            let k = project.territories.len();
            let t = Instant::now();
            let r = rebalance(project, &opts, &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "rebalance", &units, &r, dt).map_err(io)?;
            let t = Instant::now();
            let g = generate(project, k, &opts, &[], &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "generate", &units, &g, dt).map_err(io)?;
            let t = Instant::now();
            let b = balanced_kmeans(project, k, &opts, &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "balanced k-means", &units, &b, dt).map_err(io)?;
            let m = &r.after.balance_measure;
            writeln!(
                out,
                "    disruption ({m} moved): rebalance {:.1}% at CV {:.2}% | from scratch: generate {:.1}% at CV {:.2}%, balanced k-means {:.1}% at CV {:.2}%",
                r.report.balance_moved_pct,
                r.after.cv_pct,
                g.report.balance_moved_pct,
                g.after.cv_pct,
                b.report.balance_moved_pct,
                b.after.cv_pct,
            )
            .map_err(io)?;
            for note in r
                .report
                .notes
                .iter()
                .filter(|n| n.starts_with("infeasible"))
            {
                writeln!(out, "    rebalance: {note}").map_err(io)?;
            }
        }
    }
    bound_table(out)
}

fn print_line(
    out: &mut dyn Write,
    plan: &str,
    what: &str,
    units: &UnitLayer,
    p: &Proposal,
    secs: f64,
) -> std::io::Result<()> {
    let r = &p.report;
    writeln!(
        out,
        "{plan:<18} {what:<17} {:<16} {:>6.0} ms  CV {:>5.2}% → {:>5.2}%  out of ±{}%: {:>2} → {:>2} ({} infeasible)  max dev {:>5.1}%  moved {:>6} accts ({:>5.1}% of {})  contiguous {}  within tol where feasible {}",
        units.to_string(),
        secs * 1e3,
        p.before.cv_pct,
        p.after.cv_pct,
        p.after.tolerance_pct,
        p.before.out_of_tolerance,
        p.after.out_of_tolerance,
        r.infeasible_territories,
        p.after
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(0.0, f64::max),
        r.accounts_moved,
        r.balance_moved_pct,
        p.after.balance_measure,
        if r.contiguous { "yes" } else { "NO" },
        if r.within_tolerance_where_feasible {
            "yes"
        } else {
            "NO"
        },
    )
}

/// State-sized real-data instances for the lower-bound table: plan file
/// (in `TURFMAP_BENCH_PLACES`), territories to generate, tolerance %.
const BOUND_INSTANCES: [(&str, usize, f64); 4] = [
    ("Ohio", 6, 5.0),
    ("Ohio", 6, 2.0),
    ("Georgia", 4, 5.0),
    ("Georgia", 4, 2.0),
];

/// The instances of the bound table: [`BOUND_INSTANCES`], or
/// `TURFMAP_BENCH_BOUND=Wisconsin:4:5,Virginia:3:2` (plan `DIR/NAME.turf`,
/// K, tolerance %) to measure others.
fn bound_instances() -> Result<Vec<(String, usize, f64)>> {
    let Ok(list) = std::env::var("TURFMAP_BENCH_BOUND") else {
        return Ok(BOUND_INSTANCES
            .iter()
            .map(|&(s, k, t)| (s.to_owned(), k, t))
            .collect());
    };
    list.split(',')
        .map(|item| {
            let parts: Vec<&str> = item.trim().split(':').collect();
            match parts.as_slice() {
                [name, k, tol] => match (k.parse(), tol.parse()) {
                    (Ok(k), Ok(tol)) => Ok(((*name).to_owned(), k, tol)),
                    _ => Err(Error::invalid(format!(
                        "TURFMAP_BENCH_BOUND: '{item}' is not NAME:K:TOLERANCE"
                    ))),
                },
                _ => Err(Error::invalid(format!(
                    "TURFMAP_BENCH_BOUND: '{item}' is not NAME:K:TOLERANCE"
                ))),
            }
        })
        .collect()
}

/// Search nodes of the exact no-contiguity bound per instance.
const BOUND_NODES: u64 = 20_000_000;

/// The lower-bound table: Turfmap (generate, then rebalance of a ±10%
/// plan to the tolerance) against the no-contiguity bounds of
/// [`super::bound`] on GeoNames places by county, read from
/// `TURFMAP_BENCH_PLACES/<State>.turf` (see the README for how to make
/// them). Without that folder the table says how to get it.
pub fn bound_table(out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let Some(dir) = std::env::var_os("TURFMAP_BENCH_PLACES") else {
        writeln!(
            out,
            "lower-bound table: set TURFMAP_BENCH_PLACES to a folder holding Ohio.turf and Georgia.turf (python3 benches/balance_instances.py DIR Ohio Georgia, then turfmap new DIR/Ohio.turf --accounts DIR/Ohio-accounts.csv --territories DIR/Ohio-territories.geojson --name-prop name)"
        )
        .map_err(io)?;
        return Ok(());
    };
    writeln!(
        out,
        "\nlower bound without contiguity (counties, Population): Turfmap | bound\n{:<24} {:<9} {:>8} {:>7} {:>7} {:>6} {:>7} | {:>16} {:>8} {:>7}",
        "instance", "run", "max dev", "CV", "moved", "PP", "s", "max dev", "moved ≥", "s"
    )
    .map_err(io)?;
    for (state, k, tol) in bound_instances()? {
        let state = state.as_str();
        let path = std::path::Path::new(&dir).join(format!("{state}.turf"));
        if !path.exists() {
            writeln!(out, "{state}: no {} (skipped)", path.display()).map_err(io)?;
            continue;
        }
        let mut project = super::super::project_file::load(&path)?;
        project.settings.balance = crate::core::model::BalanceMeasure::Measure("Population".into());
        project.settings.tolerance_pct = tol;
        bound_rows(out, &project, &format!("{state} K={k} ±{tol}%"), k, tol).map_err(io)?;
    }
    Ok(())
}

/// Generate and rebalance rows of one instance, each with its bound.
fn bound_rows(
    out: &mut dyn Write,
    project: &Project,
    name: &str,
    k: usize,
    tol: f64,
) -> std::io::Result<()> {
    let to_io = |e: Error| std::io::Error::other(e.to_string());
    // No centre limit: the lower bound and GerryChain have none.
    let opts = BalanceOptions {
        units: UnitLayer::Counties,
        tolerance_pct: tol,
        centre_limit: CentreLimit::Any,
        ..BalanceOptions::default()
    };
    let loads = county_loads(project, &opts).map_err(to_io)?;
    let t = Instant::now();
    let b = super::bound::min_max_deviation(&loads, k, BOUND_NODES);
    let bound_s = t.elapsed().as_secs_f64();
    let bound = if b.exact {
        format!("{:.3}% exact", b.upper * 100.0)
    } else {
        format!("≥{:.3}% (≤{:.3})", b.lower * 100.0, b.upper * 100.0)
    };
    let t = Instant::now();
    let g = generate(project, k, &opts, &[], &Progress::new()).map_err(to_io)?;
    let dt = t.elapsed().as_secs_f64();
    bound_line(out, name, "generate", &g, dt, &bound, "—", bound_s)?;
    // A ±10% plan of the same instance, rebalanced to the tolerance.
    let loose = BalanceOptions {
        tolerance_pct: 10.0,
        ..opts.clone()
    };
    let g10 = generate(project, k, &loose, &[], &Progress::new()).map_err(to_io)?;
    let mut ws = Workspace::new(project.clone());
    ws.apply(g10.edit).map_err(to_io)?;
    let base = ws.project().clone();
    // Whole county pieces must move: the unit-level bound.
    let (pieces, total) = pieces_by_territory(&ws, &opts).map_err(to_io)?;
    let moved = super::bound::min_moved_units(&pieces, tol / 100.0).map_or("—".to_owned(), |m| {
        format!("{:.2}%", m / total.max(1e-12) * 100.0)
    });
    let t = Instant::now();
    let r = rebalance(&base, &opts, &Progress::new()).map_err(to_io)?;
    let dt = t.elapsed().as_secs_f64();
    bound_line(out, name, "rebalance", &r, dt, &bound, &moved, bound_s)
}

#[allow(clippy::too_many_arguments)]
fn bound_line(
    out: &mut dyn Write,
    name: &str,
    run: &str,
    p: &Proposal,
    secs: f64,
    bound: &str,
    moved_bound: &str,
    bound_s: f64,
) -> std::io::Result<()> {
    let t = &p.after.territories;
    let max_dev = t.iter().map(|t| t.deviation_pct.abs()).fold(0.0, f64::max);
    let pp = t.iter().map(|t| t.compactness).sum::<f64>() / t.len().max(1) as f64;
    let moved = if run == "generate" {
        "—".to_owned()
    } else {
        format!("{:.1}%", p.report.balance_moved_pct)
    };
    writeln!(
        out,
        "{name:<24} {run:<9} {max_dev:>7.2}% {:>6.2}% {moved:>7} {pp:>6.3} {secs:>7.2} | {bound:>16} {moved_bound:>8} {bound_s:>7.2}",
        p.after.cv_pct
    )
}

/// Balance load per county (accounts outside every county count in the
/// nearest one, as the balancer counts them).
fn county_loads(project: &Project, opts: &BalanceOptions) -> Result<Vec<f64>> {
    let (n, county) = account_counties(project)?;
    let load = super::prepare::account_loads(project, opts)?;
    let mut per = vec![0.0; n];
    for (i, c) in county.iter().enumerate() {
        if let Some(c) = c {
            per[*c] += load[i];
        }
    }
    per.retain(|&l| l > 0.0);
    Ok(per)
}

/// The county of each account (the nearest one for accounts outside every
/// county), and the number of counties.
fn account_counties(project: &Project) -> Result<(usize, Vec<Option<usize>>)> {
    let units = crate::core::units::UnitSet::counties()?;
    let a = &project.accounts;
    let mut county = vec![None; a.len()];
    for i in a.live().filter(|&i| a.is_located(i)) {
        let (lon, lat) = (a.lon[i], a.lat[i]);
        county[i] = units.locate(lon, lat).map(|u| u as usize).or_else(|| {
            (0..units.len()).min_by(|&x, &y| {
                let d =
                    |u: usize| crate::core::geometry::haversine_km(units.centroids[u], (lon, lat));
                d(x).total_cmp(&d(y))
            })
        });
    }
    Ok((units.len(), county))
}

/// The loads of the county pieces each territory holds in `ws` (a county
/// split between territories counts as one piece in each), and the total.
fn pieces_by_territory(ws: &Workspace, opts: &BalanceOptions) -> Result<(Vec<Vec<f64>>, f64)> {
    let project = ws.project();
    let (_, county) = account_counties(project)?;
    let load = super::prepare::account_loads(project, opts)?;
    let mut piece: std::collections::BTreeMap<(usize, usize), f64> = Default::default();
    let ids: Vec<_> = project.territories.iter().map(|t| t.id).collect();
    for (i, c) in county.iter().enumerate() {
        let t = ws.engine().territory_of(i);
        if let (Some(c), Some(t)) = (c, t.and_then(|t| ids.iter().position(|&x| x == t))) {
            *piece.entry((t, *c)).or_default() += load[i];
        }
    }
    let mut per = vec![Vec::new(); ids.len()];
    for ((t, _), l) in piece {
        per[t].push(l);
    }
    let total = per.iter().flatten().sum();
    Ok((per, total))
}
