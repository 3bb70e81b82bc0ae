//! Invariants of auto-balance (rebalance / generate) on small seeded plans.
#![allow(clippy::unwrap_used)]

use geo::{Contains, MultiPolygon, Point, polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use turfmap::core::engine::Engine;
use turfmap::core::model::{AccountRow, Accounts, LocationSource, Project, TerritoryId};
use turfmap::core::optimize::{
    BalanceOptions, Proposal, UnitLayer, balanced_kmeans, generate, rebalance,
};
use turfmap::core::progress::Progress;
use turfmap::core::units::UnitSet;
use turfmap::core::{Error, Workspace};

fn sq(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
    ]])
}

/// A 3×2 grid of 1° squares near (-100, 40), with accounts crowded into the
/// first square so the plan is badly out of balance.
fn plan(n: usize, seed: u64) -> Project {
    let mut p = Project::new("test");
    p.accounts = Accounts::with_schema(&["revenue".into(), "potential".into()], &[]);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..n {
        let crowd = rng.random::<f64>() < 0.35;
        let (lon, lat) = if crowd {
            (
                -100.0 + rng.random::<f64>() * 0.999,
                40.0 + rng.random::<f64>() * 0.999,
            )
        } else {
            (
                -100.0 + rng.random::<f64>() * 2.999,
                40.0 + rng.random::<f64>() * 1.999,
            )
        };
        p.accounts.push(&AccountRow {
            id: format!("A{i}"),
            name: String::new(),
            location: Some((lon, lat)),
            source: LocationSource::Coordinates,
            measures: vec![rng.random_range(1.0..100.0), rng.random_range(1.0..10.0)],
            attributes: vec![],
            pins: Vec::new(),
        });
    }
    for r in 0..2 {
        for c in 0..3 {
            p.add_territory(
                format!("T{r}{c}"),
                sq(-100.0 + c as f64, 40.0 + r as f64, 1.0),
            );
        }
    }
    p
}

fn opts() -> BalanceOptions {
    BalanceOptions {
        units: UnitLayer::Hex { size_km: 8.0 },
        ..BalanceOptions::default()
    }
}

/// Checks the result territories are connected in the hex unit graph: the
/// hexes whose centre lies in a territory form one piece.
fn assert_contiguous(ws: &Workspace, size_km: f64) {
    let units = UnitSet::hex_grid(size_km, [-100.0, 40.0, -97.0, 42.0]).unwrap();
    let mut members: std::collections::HashMap<TerritoryId, Vec<u32>> = Default::default();
    for u in 0..units.len() {
        let (x, y) = units.centroids[u];
        if let Some(t) = ws.engine().index().locate(x, y) {
            members.entry(t).or_default().push(u as u32);
        }
    }
    for (t, m) in members {
        assert!(units.is_connected(&m), "territory {t} is not contiguous");
    }
}

/// Every unlocked result territory is one polygon on the map.
fn assert_one_piece(ws: &Workspace) {
    for t in &ws.project().territories {
        if !t.locked {
            assert!(
                t.geometry.0.len() <= 1,
                "{} has {} pieces",
                t.name,
                t.geometry.0.len()
            );
        }
    }
}

/// Pins the first `n` accounts of the crowded corner to the far territory;
/// returns it and those accounts.
fn pin_crowded(p: &mut Project, n: usize) -> (TerritoryId, Vec<usize>) {
    let far = p.territories[5].id;
    let pinned: Vec<usize> = (0..p.accounts.len())
        .filter(|&i| p.accounts.lon[i] < -99.0 && p.accounts.lat[i] < 41.0)
        .take(n)
        .collect();
    for &i in &pinned {
        p.accounts.pins.insert(i, far);
    }
    (far, pinned)
}

fn accept(p: &Project, prop: &Proposal) -> Workspace {
    let mut ws = Workspace::new(p.clone());
    ws.apply(prop.edit.clone()).unwrap();
    ws
}

#[test]
fn rebalance_meets_tolerance_contiguously() {
    let p = plan(1500, 7);
    let before = Workspace::new(p.clone()).metrics();
    assert!(before.out_of_tolerance > 0);
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    assert!(prop.report.within_tolerance, "{:?}", prop.report.notes);
    assert!(prop.report.contiguous);
    let ws = accept(&p, &prop);
    let after = ws.metrics();
    assert_eq!(after, prop.after);
    assert_eq!(after.out_of_tolerance, 0, "{after:#?}");
    assert!(after.cv_pct < before.cv_pct);
    assert!(after.cv_pct <= 3.0, "cv {}", after.cv_pct);
    assert_eq!(after.unassigned.count, 0);
    assert_contiguous(&ws, 8.0);
    assert_one_piece(&ws);
    // The report's figures are those of the engine.
    let moved = (0..p.accounts.len())
        .filter(|&i| {
            Workspace::new(p.clone()).engine().territory_of(i) != ws.engine().territory_of(i)
        })
        .count() as u64;
    assert_eq!(prop.report.accounts_moved, moved);
    assert!(prop.report.accounts_moved > 0);
}

#[test]
fn rebalance_of_a_balanced_plan_moves_nothing() {
    let mut p = plan(600, 3);
    p.settings.tolerance_pct = 1000.0;
    let o = BalanceOptions {
        tolerance_pct: 1000.0,
        ..opts()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    assert_eq!(prop.report.accounts_moved, 0);
    assert_eq!(prop.before, prop.after);
}

#[test]
fn accept_then_undo_restores_exact_metrics() {
    let p = plan(800, 11);
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    let mut ws = Workspace::new(p.clone());
    let m0 = ws.metrics();
    ws.apply(prop.edit.clone()).unwrap();
    assert_eq!(ws.undo_labels().count(), 1);
    assert_eq!(ws.metrics(), prop.after);
    ws.undo().unwrap();
    assert_eq!(ws.metrics(), m0);
    assert!(ws.project() == &p);
    assert!(ws.engine().same_result(&Engine::new(&p)));
}

#[test]
fn locked_territories_and_accounts_do_not_change() {
    let mut p = plan(1200, 5);
    p.territories[1].locked = true;
    let locked_t = p.territories[1].clone();
    let explicit = p.territories[4].id;
    let ws0 = Workspace::new(p.clone());
    // Lock ten accounts of the crowded square and pin two more.
    let crowded = p.territories[0].id;
    let in_crowded: Vec<u32> = (0..p.accounts.len())
        .filter(|&i| ws0.engine().territory_of(i) == Some(crowded))
        .map(|i| i as u32)
        .collect();
    let locked_accounts: Vec<u32> = in_crowded.iter().copied().step_by(37).take(10).collect();
    p.accounts.pins.insert(in_crowded[5] as usize, crowded);
    let t2 = p.territories[2].id;
    p.accounts.pins.insert(in_crowded[6] as usize, t2);
    let ws0 = Workspace::new(p.clone());
    let o = BalanceOptions {
        locked: vec![explicit],
        locked_accounts: locked_accounts.clone(),
        ..opts()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    assert_eq!(ws.project().territories[1], locked_t);
    assert_eq!(ws.project().territories[4], p.territories[4]);
    for i in 0..p.accounts.len() {
        let t0 = ws0.engine().territory_of(i);
        if t0 == Some(locked_t.id) || t0 == Some(explicit) {
            assert_eq!(
                ws.engine().territory_of(i),
                t0,
                "account {i} left a locked territory"
            );
        }
    }
    for &i in locked_accounts
        .iter()
        .chain(&[in_crowded[5], in_crowded[6]])
    {
        assert_eq!(
            ws.engine().territory_of(i as usize),
            ws0.engine().territory_of(i as usize),
            "locked/pinned account {i} moved"
        );
    }
    assert!(prop.report.contiguous);
}

#[test]
fn cancel_returns_cancelled() {
    let p = plan(300, 1);
    let progress = Progress::new();
    progress.cancel();
    assert!(matches!(
        rebalance(&p, &opts(), &progress),
        Err(Error::Cancelled)
    ));
    assert!(matches!(
        generate(&p, 4, &opts(), &[], &progress),
        Err(Error::Cancelled)
    ));
}

#[test]
fn generate_is_balanced_contiguous_and_covers_accounts() {
    let p = plan(1500, 9);
    let prop = generate(
        &p,
        5,
        &opts(),
        &[(-99.5, 40.5), (-97.5, 41.5)],
        &Progress::new(),
    )
    .unwrap();
    assert!(prop.report.contiguous);
    assert!(prop.report.within_tolerance, "{:?}", prop.report.notes);
    let ws = accept(&p, &prop);
    let m = ws.metrics();
    assert_eq!(m.territories.len(), 5);
    assert_eq!(m.unassigned.count, 0);
    assert_eq!(m.out_of_tolerance, 0, "{m:#?}");
    assert_contiguous(&ws, 8.0);
    assert_one_piece(&ws);
    // Undo brings back the six squares.
    let mut ws = ws;
    ws.undo().unwrap();
    assert!(ws.project().territories == p.territories);
    assert!(ws.metrics() == prop.before);
}

#[test]
fn weighted_index_balances_the_mix() {
    let mut p = plan(1500, 13);
    p.settings.balance = turfmap::core::model::BalanceMeasure::Measure("potential".into());
    let o = BalanceOptions {
        weights: vec![
            (
                turfmap::core::model::BalanceMeasure::Measure("potential".into()),
                0.6,
            ),
            (turfmap::core::model::BalanceMeasure::Count, 0.4),
        ],
        tolerance_pct: 8.0,
        ..opts()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    assert!(prop.report.within_tolerance);
    assert!(prop.after.cv_pct < prop.before.cv_pct);
}

#[test]
fn odd_inputs_do_not_panic() {
    let empty = Project::new("empty");
    let pr = Progress::new();
    let r = rebalance(&empty, &opts(), &pr);
    assert!(r.is_err() || r.unwrap().report.accounts_moved == 0);
    assert!(generate(&empty, 3, &opts(), &[], &pr).is_err());
    // K larger than the units.
    let p = plan(50, 2);
    let big = BalanceOptions {
        units: UnitLayer::Hex { size_km: 120.0 },
        ..opts()
    };
    let prop = generate(&p, 40, &big, &[], &pr).unwrap();
    assert!(!prop.report.notes.is_empty());
    accept(&p, &prop);
    // Everything locked.
    let mut all = plan(200, 4);
    for t in &mut all.territories {
        t.locked = true;
    }
    let prop = rebalance(&all, &opts(), &pr).unwrap();
    assert_eq!(prop.report.accounts_moved, 0);
    accept(&all, &prop);
    // Zero K and bad options.
    assert!(generate(&p, 0, &opts(), &[], &pr).is_err());
    let bad = BalanceOptions {
        tolerance_pct: f64::NAN,
        ..opts()
    };
    assert!(rebalance(&p, &bad, &pr).is_err());
    let bad = BalanceOptions {
        units: UnitLayer::Hex { size_km: -1.0 },
        ..opts()
    };
    assert!(rebalance(&p, &bad, &pr).is_err());
}

#[test]
fn hex_grid_covers_the_accounts() {
    let p = plan(500, 21);
    let units = UnitSet::hex_grid(8.0, [-100.0, 40.0, -97.0, 42.0]).unwrap();
    let a = &p.accounts;
    for i in 0..a.len() {
        let u = units
            .locate(a.lon[i], a.lat[i])
            .expect("every account is in a hex") as usize;
        assert!(
            units.shapes[u].contains(&Point::new(a.lon[i], a.lat[i])),
            "account {i}"
        );
    }
}

#[test]
fn kmeans_baseline_runs() {
    let p = plan(800, 17);
    let prop = balanced_kmeans(&p, 6, &opts(), &Progress::new()).unwrap();
    accept(&p, &prop);
    assert!(prop.report.accounts_moved > 0);
}

#[test]
fn counties_rebalance_on_a_county_plan() {
    // Territories over Kansas/Nebraska-ish area; counties as units.
    let p = plan(1500, 23);
    let o = BalanceOptions {
        units: UnitLayer::Counties,
        tolerance_pct: 10.0,
        ..BalanceOptions::default()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    assert!(prop.report.contiguous);
    assert!(prop.after.cv_pct < prop.before.cv_pct);
    accept(&p, &prop);
}

/// Prints the balance figures: `cargo test --release --test optimize -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_balance() {
    let mut out = std::io::stdout();
    turfmap::core::optimize::bench(&mut out).unwrap();
}

#[test]
fn without_keep_pins_the_pins_go_and_balance_is_met() {
    let mut p = plan(900, 11);
    // Pin a dozen crowded accounts to a far territory.
    let (far, pinned) = pin_crowded(&mut p, 12);
    let o = BalanceOptions {
        keep_pins: false,
        ..opts()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    for &i in &pinned {
        assert_eq!(
            ws.project().accounts.pins.of(i).next(),
            None,
            "pin of {i} removed"
        );
    }
    assert!(prop.report.within_tolerance, "{:?}", prop.report.notes);
    assert!(
        prop.after.out_of_tolerance == 0,
        "{}",
        prop.after.out_of_tolerance
    );
    // With keep_pins (the default) they stay pinned and where they are.
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    for &i in &pinned {
        assert_eq!(ws.project().accounts.pins.of(i).next(), Some(far));
        assert_eq!(ws.engine().territory_of(i), Some(far));
    }
}

#[test]
fn a_unit_heavier_than_the_band_is_reported_as_infeasible() {
    let mut p = plan(600, 3);
    // 130 accounts on one spot: one hexagon holds more than the mean +5%
    // (730 accounts / 6 territories), yet the others can be balanced.
    for i in 0..130 {
        p.accounts.push(&AccountRow {
            id: format!("H{i}"),
            name: String::new(),
            location: Some((-98.5, 41.5)),
            source: LocationSource::Coordinates,
            measures: vec![1.0, 1.0],
            attributes: vec![],
            pins: Vec::new(),
        });
    }
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    let r = &prop.report;
    assert!(!r.within_tolerance);
    assert_eq!(r.infeasible_territories, 1);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("infeasible: 1 unit(s) alone exceed")),
        "{:?}",
        r.notes
    );
    assert!(r.within_tolerance_where_feasible, "{:?}", r.notes);
    assert!(r.contiguous);
}

#[test]
fn rebalance_and_generate_are_deterministic() {
    let p = plan(1500, 8);
    let a = rebalance(&p, &opts(), &Progress::new()).unwrap();
    let b = rebalance(&p, &opts(), &Progress::new()).unwrap();
    assert_eq!(a.edit, b.edit);
    assert_eq!(a.report, b.report);
    let a = generate(&p, 5, &opts(), &[], &Progress::new()).unwrap();
    let b = generate(&p, 5, &opts(), &[], &Progress::new()).unwrap();
    assert_eq!(a.edit, b.edit);
}

/// Accounts of the territory holding account `i`, other than `except`.
fn territory_others(ws: &Workspace, i: usize, except: &dyn Fn(usize) -> bool) -> usize {
    let t = ws.engine().territory_of(i);
    let a = &ws.project().accounts;
    a.live()
        .filter(|&j| !except(j) && ws.engine().territory_of(j) == t)
        .count()
}

#[test]
fn a_territory_holding_a_heavy_unit_keeps_little_else() {
    let mut p = plan(600, 3);
    let first_heavy = p.accounts.len();
    for i in 0..130 {
        p.accounts.push(&AccountRow {
            id: format!("H{i}"),
            name: String::new(),
            location: Some((-98.5, 41.5)),
            source: LocationSource::Coordinates,
            measures: vec![1.0, 1.0],
            attributes: vec![],
            pins: Vec::new(),
        });
    }
    // Accounts that can share the heavy spot's hexagon (8 km circumradius).
    let a = &p.accounts;
    let near = (0..first_heavy)
        .filter(|&j| {
            turfmap::core::geometry::haversine_km((a.lon[j], a.lat[j]), (-98.5, 41.5)) < 16.0
        })
        .count();
    let heavy = |j: usize| j >= first_heavy;
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    let others = territory_others(&ws, first_heavy, &heavy);
    assert!(
        others <= near,
        "{others} others (at most {near} share the hexagon)"
    );
    assert!(prop.report.within_tolerance_where_feasible);
    let prop = generate(&p, 6, &opts(), &[], &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    let others = territory_others(&ws, first_heavy, &heavy);
    assert!(others <= near, "generate: {others} others (at most {near})");
    assert!(
        prop.report.within_tolerance_where_feasible,
        "{:?}",
        prop.report.notes
    );
}

#[test]
fn generate_counts_kept_pins_where_they_are_pinned() {
    let mut p = plan(900, 11);
    // A territory's worth of crowded accounts pinned to the far corner.
    let (far, pinned) = pin_crowded(&mut p, 140);
    let prop = generate(&p, 6, &opts(), &[], &Progress::new()).unwrap();
    let ws = accept(&p, &prop);
    let kept: Vec<usize> = pinned
        .iter()
        .copied()
        .filter(|&i| ws.project().accounts.pins.of(i).next() == Some(far))
        .collect();
    assert_eq!(kept.len(), pinned.len(), "{:?}", prop.report.notes);
    for &i in &kept {
        assert_eq!(ws.engine().territory_of(i), Some(far));
    }
    // The real plan (pins included) is balanced, not just the unit model.
    assert_eq!(
        prop.after.out_of_tolerance,
        0,
        "{:?} {:?}",
        prop.report.notes,
        prop.after
            .territories
            .iter()
            .map(|t| t.deviation_pct)
            .collect::<Vec<_>>()
    );
    assert!(
        prop.report
            .notes
            .iter()
            .any(|n| n.contains("pinned account(s) stay pinned")),
        "{:?}",
        prop.report.notes
    );
    // Rebalance counts them in their territory too.
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    assert_eq!(prop.after.out_of_tolerance, 0, "{:?}", prop.report.notes);
    let ws = accept(&p, &prop);
    for &i in &pinned {
        assert_eq!(ws.engine().territory_of(i), Some(far));
    }
}

#[test]
fn balancing_one_type_leaves_overlay_territories_alone() {
    use turfmap::core::model::{TerritoryType, TerritoryTypeId};
    let mut p = plan(1200, 5);
    let overlay = TerritoryTypeId(1);
    p.types.push(TerritoryType {
        id: overlay,
        name: "Overlay".into(),
        priority: 1,
    });
    // An overlay territory over the crowded square, holding a pinned
    // account too: neither its shape nor its pin may change.
    let ov = p.add_territory("Overlay A", sq(-100.0, 40.0, 1.5));
    p.territory_mut(ov).unwrap().type_id = overlay;
    p.accounts.pins.insert(3, ov);
    let before = Workspace::new(p.clone());
    let overlay_before = before.metrics_for(overlay);
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    // Only the six Geographic territories were balanced.
    assert_eq!(prop.after.territories.len(), 6);
    assert!(prop.report.within_tolerance, "{:?}", prop.report.notes);
    let ws = accept(&p, &prop);
    assert_eq!(ws.project().territory(ov), p.territory(ov));
    assert!(ws.project().accounts.pins.contains(3, ov));
    assert_eq!(ws.metrics_for(overlay), overlay_before);
    // Balancing the overlay type itself works on its own territories only.
    let o = BalanceOptions {
        type_id: Some(overlay),
        ..opts()
    };
    let prop = rebalance(&p, &o, &Progress::new()).unwrap();
    assert_eq!(prop.after.territories.len(), 1);
    let ws = accept(&p, &prop);
    for t in p.territories.iter().filter(|t| t.type_id != overlay) {
        assert_eq!(ws.project().territory(t.id), Some(t), "{} changed", t.name);
    }
}

#[test]
fn accounts_held_by_a_rule_count_where_the_rule_keeps_them() {
    use turfmap::core::edit::Edit;
    use turfmap::core::rules::Rule;
    let p = plan(1500, 11);
    // T01 claims every account with revenue ≥ 85 (about 15%, spread over
    // the whole map) whatever its boundary: moving units cannot move them.
    let mut ws = Workspace::new(p);
    let t01 = ws.project().territory_by_name("T01").unwrap().id;
    ws.apply(Edit::SetRule {
        id: t01,
        rule: Some(Rule::parse("revenue >= 85").unwrap()),
    })
    .unwrap();
    let p = ws.project().clone();
    let prop = rebalance(&p, &opts(), &Progress::new()).unwrap();
    // Measured with the real engine after the edit: within tolerance, so
    // the solver counted the rule's accounts where they really stay.
    assert_eq!(prop.after.out_of_tolerance, 0, "{:#?}", prop.report.notes);
    let ws = accept(&p, &prop);
    assert_eq!(ws.metrics(), prop.after);
    assert!(
        prop.report
            .notes
            .iter()
            .any(|n| n.contains("held by attribute rules")),
        "{:?}",
        prop.report.notes
    );
}
