//! Quotas in the window: the details panel shows a territory's quota,
//! actual and attainment, and setting one territory's quota (bottom-up)
//! re-derives the plan total as one undo step.
#![allow(clippy::unwrap_used)]

mod common;

use common::{app, app_mut, harness, retype, three_in_a_row, tid, type_into};
use egui_kittest::kittest::Queryable;
use turfmap::core::quota::{QuotaSettings, top_down};

#[test]
fn details_panel_sets_one_quota_and_the_total_follows() {
    // Revenue 1 per account: Northwind 5, Southport 3, Eastvale 8 of 16.
    let mut h = harness(three_in_a_row("quota", |_| 1.0));
    h.run();
    let ws = app(&h).workspace();
    let settings = QuotaSettings {
        type_id: ws.project().primary_type(),
        total: 1_600.0,
        by: "Revenue".into(),
        weights: Vec::new(),
        actual: Some("Revenue".into()),
        potential: None,
    };
    let edit = top_down(ws.project(), &ws.metrics(), settings).unwrap();
    app_mut(&mut h).apply(edit);
    let south = tid(&h, "Southport");
    app_mut(&mut h).select_territory(south, false);
    h.run();
    // Southport: quota 300, actual 3 → 1.0%.
    h.run();
    assert!(
        h.query_by_label("Attainment").is_some(),
        "no quota figures shown"
    );
    assert!(h.query_by_label("Attainment: 1.0%").is_some());
    // The details panel may need scrolling to show the quota controls.
    h.get_by_label("Set quota").scroll_to_me();
    h.run();
    retype(&mut h, "New quota", "450");
    h.get_by_label("Set quota").click();
    h.run();
    let ws = app(&h).workspace();
    assert_eq!(ws.project().territory(south).unwrap().quota, Some(450.0));
    let total = ws.project().settings.quota.as_ref().unwrap().total;
    assert_eq!(total, 500.0 + 450.0 + 800.0);
    assert_eq!(
        ws.undo_labels().last(),
        Some("Set the quota of 'Southport'")
    );
}

/// Plan → Capacity…: the reps needed and candidate homes computed off the
/// UI thread, the homes drawn on the map, added as reps in one undo step,
/// and handed to Generate as its seeds.
#[test]
fn capacity_window_places_homes_adds_them_and_seeds_generate() {
    use egui::accesskit::Role;
    use std::time::Duration;
    // 16 accounts; at 6 a rep, 3 reps.
    let mut h = harness(three_in_a_row("capacity", |_| 1.0));
    h.run();
    h.get_by_role_and_label(Role::Button, "Plan").click();
    h.run();
    h.get_by_label("Capacity…").click();
    h.run();
    assert!(app(&h).panels().capacity.is_open());
    type_into(&mut h, "Per rep", "6");
    h.get_by_label("Compute").click();
    h.step();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .capacity
            .wait(Duration::from_secs(60))
    );
    h.run();
    let homes = app(&h).panels().capacity.answer().unwrap().homes.clone();
    assert_eq!(homes.len(), 3);
    h.get_by_label_contains("3 reps needed");
    // Drawn on the map, where the answer put them.
    let shown = app(&h).map_view().candidates().cloned().unwrap();
    let expected: Vec<(f64, f64)> = homes.iter().map(|c| (c.lon, c.lat)).collect();
    assert_eq!(*shown, expected);
    // Each account row lies on y = 5 between x = 1 and 25: so do the homes.
    assert!(
        shown
            .iter()
            .all(|&(x, y)| (y - 5.0).abs() < 1e-6 && (1.0..=25.0).contains(&x))
    );
    h.get_by_label("Add as reps").click();
    h.run();
    let ws = app(&h).workspace();
    let added: Vec<_> = ws.project().reps.iter().filter_map(|r| r.home).collect();
    assert_eq!(added, expected);
    assert_eq!(ws.undo_labels().last(), Some("Add 3 candidate reps"));
    // A second click is refused, not duplicated.
    h.get_by_label("Add as reps").click();
    h.run();
    assert_eq!(app(&h).workspace().project().reps.len(), 3);
    let e = app(&h).error().map(str::to_owned);
    assert!(
        e.as_deref().is_some_and(|e| e.contains("Candidate 1")),
        "{e:?}"
    );
    h.get_by_label("Generate 3 territories from them").click();
    h.run();
    let (k, seeds) = app(&h).panels().balance.generate_from().unwrap();
    assert_eq!((k, seeds.to_vec()), (3, expected.clone()));
    // Run it: three territories, one grown around each candidate home.
    app_mut(&mut h).panels_mut().balance.set_hex_km(60.0);
    h.run();
    h.get_by_label("Run").click();
    h.step();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .balance
            .wait(Duration::from_secs(120))
    );
    h.run();
    h.get_by_label("Accept").click();
    h.run();
    let p = app(&h).workspace().project();
    assert_eq!(p.territories.len(), 3);
    let mut holders: Vec<usize> = expected
        .iter()
        .map(|&(x, y)| {
            let at = geo::Point::new(x, y);
            p.territories
                .iter()
                .position(|t| geo::Intersects::intersects(&t.geometry, &at))
                .unwrap()
        })
        .collect();
    holders.sort_unstable();
    holders.dedup();
    assert_eq!(holders.len(), 3, "each home in its own territory");
    // Closing the window takes the candidates off the map.
    app_mut(&mut h).panels_mut().capacity.close();
    h.run();
    assert!(app(&h).map_view().candidates().is_none());
}

/// The activity column chosen in the details panel marks neglected
/// accounts: counted for the plan, the selected territory and the list's
/// tooltip; one undo step.
#[test]
fn activity_column_shows_neglected_accounts_in_the_window() {
    // Revenue 0 for every third account: 1 of Northwind's 5 (n = 3), 1 of
    // Southport's 3 (n = 6), 3 of Eastvale's 8 (n = 9, 12, 15).
    let mut h = harness(three_in_a_row("activity", |n| {
        if n % 3 == 0 { 0.0 } else { 5.0 }
    }));
    h.run();
    h.get_by_label("Activity column").click();
    h.run();
    h.get_by_label("Revenue").click();
    h.run();
    let ws = app(&h).workspace();
    assert_eq!(ws.project().settings.activity.as_deref(), Some("Revenue"));
    assert_eq!(app(&h).metrics().neglected, Some(5));
    h.get_by_label("Neglected: 5");
    let east = tid(&h, "Eastvale");
    app_mut(&mut h).select_territory(east, false);
    h.run();
    h.get_by_label_contains("Neglected: 3 (38% of accounts");
    let m = app(&h).metrics();
    let n: Vec<_> = m.territories.iter().map(|t| t.neglected).collect();
    assert_eq!(n, [Some(1), Some(1), Some(3)]);
    app_mut(&mut h).undo();
    h.run();
    assert_eq!(app(&h).metrics().neglected, None);
}
