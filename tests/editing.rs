//! The editing tools in the real window: egui_kittest drives pointer and
//! keyboard events through `TurfmapApp::ui_contents`, at screen positions
//! taken from the map's own projection, and the tests check the plan, the
//! metrics and the history.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use egui::{Event, Key, Modifiers, Pos2, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{Area, Coord};
use turfmap::app::map::MapView;
use turfmap::app::tools::Tool;
use turfmap::core::Workspace;
use turfmap::core::engine::Engine;
use turfmap::core::model::Project;
use turfmap::core::units::UnitLayer;

mod common;

use common::{
    Slot, account_pos, app, app_mut, button, click_at, count, drag_path, key, screen,
    three_in_a_row, tid,
};

/// The window on `project`, after its first frame.
fn harness(project: Project) -> Harness<'static, Slot> {
    let mut h = common::harness(project);
    h.run();
    h
}

/// Northwind `[0,10]²`, Southport `[10,20]×[0,10]`, Eastvale
/// `[20,30]×[0,10]`, with 5, 3 and 8 accounts in a row along `y = 5`.
fn plan() -> Project {
    three_in_a_row("Edit plan", |n| 100.0 * n as f64)
}

fn counts(h: &Harness<'_, Slot>) -> [u64; 3] {
    ["Northwind", "Southport", "Eastvale"].map(|n| count(h, n))
}

/// The window's metrics agree with a plan built from scratch.
fn assert_matches_fresh_build(h: &Harness<'_, Slot>) {
    let ws = app(h).workspace();
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    let fresh = Workspace::new(ws.project().clone());
    assert_eq!(app(h).metrics(), &fresh.metrics());
}

/// The map's dots (colours, pinned rings) and territory shapes, updated
/// edit by edit, agree with a map built from scratch on the same plan.
fn assert_map_matches_fresh(h: &Harness<'_, Slot>) {
    let app = app(h);
    let ws = app.workspace();
    let ctx = egui::Context::default();
    let mut fresh = MapView::new(&ctx);
    fresh.zoom_to_plan(ws);
    let map = app.map_view();
    for i in 0..ws.project().accounts.len() {
        assert_eq!(map.account_color(i), fresh.account_color(i), "account {i}");
        assert_eq!(
            map.account_ringed(i),
            fresh.account_ringed(i),
            "account {i}"
        );
    }
    assert_eq!(map.territory_shape_hashes(), fresh.territory_shape_hashes());
}

#[test]
fn dragging_an_account_shows_a_preview_then_moves_it() {
    let mut h = harness(plan());
    assert_eq!(counts(&h), [5, 3, 8]);
    let from = account_pos(&h, 0);
    let to = screen(&h, 15.0, 3.0);
    // Press and move half-way: the list previews the counts.
    h.event(Event::PointerMoved(from));
    h.step();
    h.event(button(from, true, Modifiers::NONE));
    h.step();
    for k in 1..=4 {
        h.event(Event::PointerMoved(from + (to - from) * (k as f32 / 4.0)));
        h.step();
    }
    h.step();
    let preview = app(&h)
        .panels()
        .tools
        .drop_preview()
        .expect("a preview")
        .clone();
    assert_eq!(preview.target, Some(tid(&h, "Southport")));
    assert_eq!(preview.count_delta(tid(&h, "Northwind")), -1);
    assert_eq!(preview.count_delta(tid(&h, "Southport")), 1);
    h.get_by_label("4 (-1)");
    h.get_by_label("4 (+1)");
    // Nothing changed yet.
    assert_eq!(counts(&h), [5, 3, 8]);
    h.event(button(to, false, Modifiers::NONE));
    h.run_ok();
    assert_eq!(counts(&h), [4, 4, 8]);
    let south = tid(&h, "Southport");
    assert_eq!(
        app(&h).workspace().project().accounts.pins.of(0).next(),
        Some(south)
    );
    assert!(app(&h).panels().tools.drop_preview().is_none());
    assert_matches_fresh_build(&h);
    // The map ringed and recoloured just that account.
    assert_eq!(app(&h).map_view().account_ringed(0), Some(true));
    assert_map_matches_fresh(&h);
}

#[test]
fn box_selection_then_drop_pins_every_selected_account() {
    let mut h = harness(plan());
    // Shift-drag a box around the first three Northwind accounts (x = 1,
    // 1.5, 2).
    let a = screen(&h, 0.5, 7.0);
    let b = screen(&h, 2.2, 3.0);
    drag_path(&mut h, &[a, b], 4, Modifiers::SHIFT);
    assert_eq!(app(&h).panels().tools.accounts, vec![0, 1, 2]);
    assert_eq!(counts(&h), [5, 3, 8], "selecting changes nothing");
    // Drag one of them onto Eastvale: all three go.
    let from = account_pos(&h, 1);
    let to = screen(&h, 25.0, 8.0);
    drag_path(&mut h, &[from, to], 5, Modifiers::NONE);
    assert_eq!(counts(&h), [2, 3, 11]);
    let east = tid(&h, "Eastvale");
    let pinned = &app(&h).workspace().project().accounts.pins;
    assert!((0..3).all(|i| pinned.of(i).next() == Some(east)));
    assert_eq!(pinned.of(3).next(), None);
    assert_eq!(app(&h).workspace().undo_labels().count(), 1);
    assert_matches_fresh_build(&h);

    // Unpin them from the details panel (the selection stays): back home.
    h.get_by_role_and_label(Role::Button, "Unpin selected")
        .click();
    h.run_ok();
    assert_eq!(counts(&h), [5, 3, 8]);
    // Esc clears the selection.
    key(&mut h, Key::Escape);
    assert!(app(&h).panels().tools.accounts.is_empty());
}

#[test]
fn lasso_selection_then_drop_on_a_list_row() {
    let mut h = harness(plan());
    key(&mut h, Key::L);
    assert_eq!(app(&h).panels().tools.tool, Tool::Lasso);
    // A loop around the three Southport accounts (x = 11, 11.5, 12).
    let loop_pts: Vec<Pos2> = [
        (10.5, 6.0),
        (12.5, 6.0),
        (12.5, 4.0),
        (10.5, 4.0),
        (10.5, 5.9),
    ]
    .iter()
    .map(|&(x, y)| screen(&h, x, y))
    .collect();
    drag_path(&mut h, &loop_pts, 3, Modifiers::NONE);
    assert_eq!(app(&h).panels().tools.accounts, vec![5, 6, 7]);
    // Drag the selection onto the Northwind row of the list.
    let from = account_pos(&h, 6);
    let row = h.get_by_label("Northwind").rect().center();
    drag_path(&mut h, &[from, row], 5, Modifiers::NONE);
    assert_eq!(counts(&h), [8, 0, 8]);
    let north = tid(&h, "Northwind");
    let pinned = &app(&h).workspace().project().accounts.pins;
    assert!((5..8).all(|i| pinned.of(i).next() == Some(north)));
    assert_matches_fresh_build(&h);
    // U unpins the selection.
    key(&mut h, Key::U);
    assert_eq!(counts(&h), [5, 3, 8]);
    assert_eq!(app(&h).workspace().undo_labels().count(), 2);
}

fn exterior(h: &Harness<'_, Slot>, name: &str) -> Vec<Coord<f64>> {
    let g = &app(h)
        .workspace()
        .project()
        .territory_by_name(name)
        .unwrap()
        .geometry;
    let r = &g.0[0].exterior().0;
    r[..r.len() - 1].to_vec()
}

/// Lon/lat of what was clicked at the screen position of `(x, y)`: within
/// a fraction of a screen point of it.
fn near(c: Coord<f64>, x: f64, y: f64) -> bool {
    (c.x - x).abs() < 0.1 && (c.y - y).abs() < 0.1
}

#[test]
fn drawing_a_territory_with_clicks_and_enter() {
    let mut h = harness(plan());
    key(&mut h, Key::D);
    assert_eq!(app(&h).panels().tools.tool, Tool::Draw);

    // Esc cancels a shape under way.
    for (x, y) in [(8.0, 2.0), (12.0, 2.0)] {
        let p = screen(&h, x, y);
        click_at(&mut h, p);
    }
    assert_eq!(app(&h).panels().tools.path().len(), 2);
    key(&mut h, Key::Escape);
    assert!(app(&h).panels().tools.path().is_empty());
    assert_eq!(app(&h).workspace().project().territories.len(), 3);

    // Four corners across the Northwind/Southport border, one too many:
    // Backspace takes the last back, Enter finishes.
    let corners = [(8.0, 2.0), (12.0, 2.0), (12.0, 8.0), (8.0, 8.0), (5.0, 9.0)];
    for (x, y) in corners {
        let p = screen(&h, x, y);
        click_at(&mut h, p);
    }
    assert_eq!(app(&h).panels().tools.path().len(), 5);
    key(&mut h, Key::Backspace);
    assert_eq!(app(&h).panels().tools.path().len(), 4);
    let before = app(&h).workspace().project().territories.len();
    key(&mut h, Key::Enter);
    let ws = app(&h).workspace();
    assert_eq!(ws.project().territories.len(), before + 1);
    let new = ws.project().territories.last().unwrap().clone();
    assert_eq!(app(&h).selection().territory, Some(new.id));
    let ring = exterior(&h, &new.name);
    for &(x, y) in &corners[..4] {
        assert!(
            ring.iter().any(|&c| near(c, x, y)),
            "corner ({x}, {y}) missing from {ring:?}"
        );
    }
    // The neighbours gave up the overlap: no account is counted twice and
    // the areas add up.
    let area = |name: &str| {
        ws.project()
            .territory_by_name(name)
            .unwrap()
            .geometry
            .unsigned_area()
    };
    assert!((area("Northwind") - (100.0 - 12.0)).abs() < 0.5);
    assert!((area("Southport") - (100.0 - 12.0)).abs() < 0.5);
    assert!((new.geometry.unsigned_area() - 24.0).abs() < 0.5);
    assert_eq!(
        counts(&h).iter().sum::<u64>() + count(&h, &new.name),
        16,
        "every account in exactly one territory"
    );
    assert_matches_fresh_build(&h);
    // One undo step, named after the tool.
    let labels: Vec<String> = ws.undo_labels().map(str::to_owned).collect();
    assert_eq!(labels.len(), 1);
    assert!(labels[0].starts_with("Draw territory"), "{labels:?}");

    // The name field has the focus: type a name, press Enter.
    h.get_by_role_and_label(Role::TextInput, "Name")
        .type_text("Harbour");
    h.run_ok();
    key(&mut h, Key::Enter);
    assert!(
        app(&h)
            .workspace()
            .project()
            .territory_by_name("Harbour")
            .is_some(),
        "{:?}",
        app(&h)
            .workspace()
            .project()
            .territories
            .iter()
            .map(|t| &t.name)
            .collect::<Vec<_>>()
    );
}

#[test]
fn dragging_a_vertex_is_one_undo_step_and_matches_a_full_recompute() {
    let mut h = harness(plan());
    let north = tid(&h, "Northwind");
    app_mut(&mut h).select_territory(north, false);
    h.run_ok();
    key(&mut h, Key::E);
    assert_eq!(app(&h).panels().tools.tool, Tool::Reshape);
    let before = app(&h).metrics().clone();
    let territories = app(&h).workspace().project().territories.clone();
    let rebuilds = app(&h).map_view().account_full_rebuilds();

    // Drag the shared corner (10, 10) to (15, 10) in many frames: the three
    // Southport accounts at x = 11..12 cross over while dragging.
    let from = screen(&h, 10.0, 10.0);
    let mid = screen(&h, 12.0, 10.0);
    let to = screen(&h, 15.0, 10.0);
    drag_path(&mut h, &[from, mid, to], 4, Modifiers::NONE);
    // Each step recoloured only the accounts that crossed, and the result
    // is what a map drawn from scratch shows.
    assert_eq!(app(&h).map_view().account_full_rebuilds(), rebuilds);
    assert_map_matches_fresh(&h);
    let ws = app(&h).workspace();
    let ring = exterior(&h, "Northwind");
    assert!(ring.iter().any(|&c| near(c, 15.0, 10.0)), "{ring:?}");
    assert!(
        exterior(&h, "Southport")
            .iter()
            .any(|&c| near(c, 15.0, 10.0)),
        "the shared vertex moved for both"
    );
    assert_eq!(counts(&h), [8, 0, 8]);
    assert_matches_fresh_build(&h);
    let labels: Vec<&str> = ws.undo_labels().collect();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert!(labels[0].contains("vertex"), "{labels:?}");
    let after = app(&h).metrics().clone();

    // Undo and redo restore exactly.
    app_mut(&mut h).undo();
    h.run_ok();
    assert_eq!(app(&h).metrics(), &before);
    assert_eq!(app(&h).workspace().project().territories, territories);
    assert_map_matches_fresh(&h);
    app_mut(&mut h).redo();
    h.run_ok();
    assert_eq!(app(&h).metrics(), &after);
    assert_matches_fresh_build(&h);
    assert_map_matches_fresh(&h);

    // A midpoint handle adds a vertex (the bottom edge's middle, (5, 0)),
    // dragged in the same gesture: one more undo step.
    let n = exterior(&h, "Northwind").len();
    let from = screen(&h, 5.0, 0.0);
    let to = screen(&h, 5.0, -2.0);
    drag_path(&mut h, &[from, to], 3, Modifiers::NONE);
    assert_eq!(exterior(&h, "Northwind").len(), n + 1);
    assert!(
        exterior(&h, "Northwind")
            .iter()
            .any(|&c| near(c, 5.0, -2.0))
    );
    assert_eq!(app(&h).workspace().undo_labels().count(), 2);

    // Delete on the hovered vertex removes it again.
    let p = screen(&h, 5.0, -2.0);
    h.event(Event::PointerMoved(p));
    h.run_ok();
    key(&mut h, Key::Delete);
    assert_eq!(exterior(&h, "Northwind").len(), n);
    assert_matches_fresh_build(&h);

    // A locked territory shows no handles, and says why.
    app_mut(&mut h).select_territory(north, false);
    h.run_ok();
    // The details panel may need scrolling to show it.
    h.get_by_role_and_label(Role::CheckBox, "Locked")
        .scroll_to_me();
    h.run_ok();
    h.get_by_role_and_label(Role::CheckBox, "Locked").click();
    h.run_ok();
    assert!(
        app(&h)
            .workspace()
            .project()
            .territory(north)
            .unwrap()
            .locked
    );
    let ring = exterior(&h, "Northwind");
    let from = screen(&h, 0.0, 0.0);
    let to = screen(&h, -3.0, -3.0);
    drag_path(&mut h, &[from, to], 3, Modifiers::NONE);
    assert_eq!(exterior(&h, "Northwind"), ring, "a locked boundary stays");
    assert!(
        app(&h)
            .panels()
            .tools
            .hint()
            .is_some_and(|h| h.contains("locked")),
        "{:?}",
        app(&h).panels().tools.hint()
    );
}

#[test]
fn brushing_hexagons_paints_them_into_the_territory() {
    let mut h = harness(plan());
    let north = tid(&h, "Northwind");
    app_mut(&mut h).select_territory(north, false);
    app_mut(&mut h)
        .panels_mut()
        .tools
        .units
        .set_layer(UnitLayer::Hex { size_km: 120.0 });
    key(&mut h, Key::P);
    assert_eq!(app(&h).panels().tools.tool, Tool::Paint);
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .tools
            .units
            .wait(Duration::from_secs(60))
    );
    h.run_ok();
    let before = app(&h).metrics().clone();
    let territories = app(&h).workspace().project().territories.clone();
    let area = |h: &Harness<'_, Slot>, name: &str| {
        app(h)
            .workspace()
            .project()
            .territory_by_name(name)
            .unwrap()
            .geometry
            .unsigned_area()
    };
    let south_area = area(&h, "Southport");
    let rebuilds = app(&h).map_view().account_full_rebuilds();

    // One stroke across the Southport accounts.
    let a = screen(&h, 10.8, 5.0);
    let b = screen(&h, 12.2, 5.0);
    drag_path(&mut h, &[a, b], 6, Modifiers::NONE);
    assert_eq!(counts(&h), [8, 0, 8]);
    assert_eq!(app(&h).map_view().account_full_rebuilds(), rebuilds);
    assert_map_matches_fresh(&h);
    assert!(area(&h, "Southport") < south_area - 1.0);
    assert!((area(&h, "Northwind") + area(&h, "Southport") - 200.0).abs() < 1e-6);
    assert_eq!(app(&h).workspace().undo_labels().count(), 1);
    assert!(
        app(&h)
            .workspace()
            .undo_labels()
            .last()
            .unwrap()
            .starts_with("Paint")
    );
    assert_matches_fresh_build(&h);

    app_mut(&mut h).undo();
    h.run_ok();
    assert_eq!(app(&h).metrics(), &before);
    assert_eq!(app(&h).workspace().project().territories, territories);
    assert_map_matches_fresh(&h);
}

#[test]
fn split_merge_and_lock_from_the_window() {
    let mut h = harness(plan());
    // Split Eastvale along x = 25.
    let east = tid(&h, "Eastvale");
    app_mut(&mut h).select_territory(east, false);
    h.run_ok();
    key(&mut h, Key::S);
    assert_eq!(app(&h).panels().tools.tool, Tool::Split);
    for (x, y) in [(25.0, -1.0), (25.0, 11.0)] {
        let p = screen(&h, x, y);
        click_at(&mut h, p);
    }
    key(&mut h, Key::Enter);
    let p = app(&h).workspace().project();
    assert_eq!(p.territories.len(), 4);
    let part = p.territory_by_name("Eastvale (2)").expect("the new part");
    assert!((part.geometry.unsigned_area() - 50.0).abs() < 0.5);
    assert_eq!(count(&h, "Eastvale") + count(&h, "Eastvale (2)"), 8);
    assert_matches_fresh_build(&h);

    // Merge Northwind and Southport: click one row, Ctrl-click the other,
    // then the details panel's Merge button.
    key(&mut h, Key::V);
    h.get_by_label("Northwind").click();
    h.run_ok();
    h.get_by_label("Southport")
        .click_modifiers(Modifiers::COMMAND);
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Merge 2 territories")
        .click();
    h.run_ok();
    let p = app(&h).workspace().project();
    assert!(p.territory_by_name("Southport").is_none());
    assert_eq!(count(&h, "Northwind"), 8);
    assert!(
        (p.territory_by_name("Northwind")
            .unwrap()
            .geometry
            .unsigned_area()
            - 200.0)
            .abs()
            < 1e-6
    );
    assert_matches_fresh_build(&h);

    // Lock from the list's right-click menu; the tools then leave it be.
    h.get_by_role_and_label(Role::Button, "Northwind")
        .click_secondary();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Lock").click();
    h.run_ok();
    let north = tid(&h, "Northwind");
    assert!(
        app(&h)
            .workspace()
            .project()
            .territory(north)
            .unwrap()
            .locked
    );
    let before = counts_all(&h);
    // (Clicking the row framed Northwind: drop on a list row instead.)
    let from = account_pos(&h, 0);
    let to = h
        .get_by_role_and_label(Role::Button, "Eastvale (2)")
        .rect()
        .center();
    drag_path(&mut h, &[from, to], 4, Modifiers::NONE);
    assert_eq!(
        counts_all(&h),
        before,
        "accounts of a locked territory stay"
    );
    assert!(
        app(&h).error().is_some_and(|e| e.contains("locked")),
        "{:?} {:?} {:?}",
        app(&h).error(),
        app(&h).notice(),
        app(&h).workspace().undo_labels().collect::<Vec<_>>()
    );
    // Undo all the way back to the start.
    while app(&h).workspace().undo_labels().count() > 0 {
        app_mut(&mut h).undo();
    }
    h.run_ok();
    assert_eq!(app(&h).workspace().project().territories.len(), 3);
    assert_eq!(counts(&h), [5, 3, 8]);
}

fn counts_all(h: &Harness<'_, Slot>) -> Vec<u64> {
    app(h)
        .metrics()
        .territories
        .iter()
        .map(|t| t.group.count)
        .collect()
}

/// The `bench-gesture` driver works the real window: a vertex drag and a
/// paint stroke each end as one undo step (checked inside), every frame is
/// timed, and the scenario comparison it starts finishes.
#[test]
fn gesture_benchmark_drives_the_window() {
    let ws = Workspace::new(turfmap::core::synth::synthetic_plan(4_000, 20, 1));
    let m = turfmap::app::gesture_bench::measure(ws).expect("the gestures ran");
    assert_eq!(m.drag.len(), 61);
    assert!(m.drag.iter().all(|f| f.total > 0.0));
    assert!(
        m.drag.iter().filter(|f| f.edit > 0.0).count() >= 50,
        "{:?}",
        m.drag
    );
    assert!(m.painting().len() >= 5, "{}", m.paint_note);
    assert!(m.compare_done);
}
