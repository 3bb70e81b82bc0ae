//! UI tests: egui_kittest drives the real window headless through
//! `TurfmapApp::ui_contents`, finding widgets by their accessible names and
//! checking the app's state (not pixels).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::command::Command;
use turfmap::app::{RecentPlans, SortColumn, SortOrder, TurfmapApp, chart_bars};
use turfmap::core::engine::Reason;
use turfmap::core::model::{AccountRow, Accounts, BalanceMeasure, Project};
use turfmap::core::numfmt::fmt_num;
use turfmap::core::{TerritoryId, Workspace};

mod common;

use common::{Slot, app, app_mut, count, drag_pointer, finish_job, harness, harness_with, square};

/// Three territories side by side with different account counts and
/// revenues (so sorting by count and by revenue disagree), plus one account
/// without a location.
fn small_plan() -> Project {
    let mut p = Project::new("Workshop plan");
    p.accounts = Accounts::with_schema(
        &["Revenue".into(), "Potential".into()],
        &["Industry".into()],
    );
    let spec = [
        ("Northwind", Some("Ana Diaz"), 5, 100.0),
        ("Southport", Some("Ben Okafor"), 3, 1000.0),
        ("Eastvale", None, 8, 10.0),
    ];
    let mut n = 0;
    for (k, (name, rep, accounts, revenue)) in spec.into_iter().enumerate() {
        let x = k as f64 * 10.0;
        let id = p.add_territory(name, square(x, 0.0, 10.0));
        if let Some(r) = rep {
            let rid = turfmap::core::model::RepId(p.reps.len() as u32);
            p.reps.push(turfmap::core::model::Rep::new(rid, r));
            p.territory_mut(id).unwrap().reps = vec![rid];
        }
        for j in 0..accounts {
            n += 1;
            p.accounts.push(&AccountRow {
                id: format!("A{n:03}"),
                name: format!("Account {n}"),
                location: Some((x + 1.0 + j as f64 * 0.5, 5.0)),
                measures: vec![revenue, 7.0],
                attributes: vec!["Retail".into()],
                ..AccountRow::default()
            });
        }
    }
    p.accounts.push(&AccountRow {
        id: "A999".into(),
        name: "Nowhere Ltd".into(),
        location: None,
        measures: vec![5.0, 1.0],
        attributes: vec!["Energy".into()],
        ..AccountRow::default()
    });
    p
}

#[test]
fn opens_with_a_row_per_territory() {
    let h = harness(small_plan());
    for name in ["Northwind", "Southport", "Eastvale"] {
        h.get_by_label(name);
    }
    assert_eq!(app(&h).window_title(), "Turfmap — Workshop plan");
    // The unlocated account is reported, not dropped.
    h.get_by_label("Unlocated: 1");
    h.get_by_label_contains("have no location");
}

#[test]
fn clicking_a_row_shows_its_metrics() {
    let mut h = harness(small_plan());
    h.get_by_label("Southport").click();
    h.run();
    let app = app(&h);
    let id = app
        .workspace()
        .project()
        .territory_by_name("Southport")
        .unwrap()
        .id;
    assert_eq!(app.selection().territory, Some(id));
    let m = app.workspace().metrics();
    let t = m.territory(id).unwrap();
    assert_eq!(t.group.count, 3);
    h.get_by_label(&format!(
        "Accounts: {} ({:.1}% of plan)",
        fmt_num(t.group.count as f64, 0),
        t.share_pct[0]
    ));
    h.get_by_label_contains(&format!("Revenue: {}", fmt_num(t.group.sums[0], 0)));
    h.get_by_label(&format!("Rep: {}", t.rep.as_deref().unwrap()));
    h.get_by_label_contains("Deviation: ");
    h.get_by_label_contains("Area: ");
}

#[test]
fn account_details_say_why() {
    let mut h = harness(small_plan());
    app_mut(&mut h).select_account(0);
    h.run();
    h.get_by_label("Account ID: A001");
    h.get_by_label("Territory: Northwind");
    h.get_by_label(&format!("Why: {}", Reason::Geometry.describe()));
    h.get_by_label("Industry: Retail");
}

#[test]
fn switching_the_balance_measure_changes_the_chart_and_undoes() {
    let mut h = harness(small_plan());
    let before = chart_bars(app(&h).metrics());
    assert_eq!(
        before.iter().map(|b| b.1).collect::<Vec<_>>(),
        [5.0, 3.0, 8.0]
    );

    h.get_by_role_and_label(Role::ComboBox, "Balance measure")
        .click();
    h.run();
    h.get_by_role(Role::ListBox).get_by_label("Revenue").click();
    h.run();

    let app_ = app(&h);
    assert_eq!(
        app_.workspace().project().settings.balance,
        BalanceMeasure::Measure("Revenue".into())
    );
    assert_eq!(app_.metrics().balance_measure, "Revenue");
    let after = chart_bars(app_.metrics());
    assert_ne!(before, after);
    assert_eq!(
        after.iter().map(|b| b.1).collect::<Vec<_>>(),
        [500.0, 3000.0, 80.0]
    );
    assert!(
        app_.window_title().ends_with('•'),
        "{}",
        app_.window_title()
    );

    // Ctrl+Z puts it back.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(
        app(&h).workspace().project().settings.balance,
        BalanceMeasure::Count
    );
    assert_eq!(chart_bars(app(&h).metrics()), before);
    // And Ctrl+Shift+Z redoes it.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert_eq!(chart_bars(app(&h).metrics()), after);
}

#[test]
fn sorting_by_a_column_orders_the_rows() {
    let mut h = harness(small_plan());
    let counts = |h: &Harness<'_, Slot>| -> Vec<u64> {
        let app = app(h);
        app.panels()
            .list
            .order(app.metrics())
            .iter()
            .map(|id| app.metrics().territory(*id).unwrap().group.count)
            .collect()
    };
    assert_eq!(counts(&h), [5, 3, 8], "plan order first");

    h.get_by_label("Sort by Accounts").click();
    h.run();
    assert_eq!(
        app(&h).panels().list.sort,
        Some(SortOrder {
            column: SortColumn::Accounts,
            descending: true
        })
    );
    assert_eq!(counts(&h), [8, 5, 3]);
    // The rows on screen are in that order, top to bottom.
    let names: Vec<String> = app(&h)
        .panels()
        .list
        .order(app(&h).metrics())
        .iter()
        .map(|id| {
            app(&h)
                .workspace()
                .project()
                .territory(*id)
                .unwrap()
                .name
                .clone()
        })
        .collect();
    let ys: Vec<f32> = names
        .iter()
        .map(|n| h.get_by_label(n).rect().center().y)
        .collect();
    assert!(ys.windows(2).all(|w| w[0] < w[1]), "{names:?} at {ys:?}");

    h.get_by_label("Sort by Accounts").click();
    h.run();
    assert_eq!(counts(&h), [3, 5, 8]);

    h.get_by_label("Sort by Name").click();
    h.run();
    let order: Vec<TerritoryId> = app(&h).panels().list.order(app(&h).metrics());
    let p = app(&h).workspace().project();
    let names: Vec<&str> = order
        .iter()
        .map(|id| p.territory(*id).unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["Eastvale", "Northwind", "Southport"]);
}

#[test]
fn save_and_reopen_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("workshop.turf");
    let mut h = harness(small_plan());
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SetSettings {
        settings: Box::new(turfmap::core::model::PlanSettings {
            balance: BalanceMeasure::Count,
            tolerance_pct: 12.5,
            ..Default::default()
        }),
    });
    h.run();
    assert!(app(&h).workspace().is_dirty());

    app_mut(&mut h).save_to(path.clone());
    assert!(app(&h).is_busy());
    finish_job(&mut h);
    assert!(!app(&h).is_busy());
    assert_eq!(app(&h).error(), None);
    assert!(path.is_file());
    assert!(!app(&h).workspace().is_dirty());
    assert_eq!(app(&h).workspace().path(), Some(path.as_path()));
    assert!(!app(&h).window_title().contains('•'));

    app_mut(&mut h).open_plan(path.clone());
    finish_job(&mut h);
    let ws = app(&h).workspace();
    assert_eq!(ws.project().territories.len(), 3);
    assert_eq!(ws.project().settings.tolerance_pct, 12.5);
    h.get_by_label("Eastvale");
}

#[test]
fn an_edit_made_while_saving_stays_unsaved_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.turf");
    let mut h = harness(small_plan());
    let tolerance = |t: f64| turfmap::core::edit::Edit::SetSettings {
        settings: Box::new(turfmap::core::model::PlanSettings {
            balance: BalanceMeasure::Count,
            tolerance_pct: t,
            ..Default::default()
        }),
    };
    app_mut(&mut h).apply(tolerance(7.0));
    h.run();
    // The save works on a snapshot; the plan changes before it lands.
    app_mut(&mut h).save_to(path.clone());
    app_mut(&mut h).apply(tolerance(9.0));
    finish_job(&mut h);
    assert_eq!(app(&h).error(), None);
    let ws = app(&h).workspace();
    assert_eq!(ws.project().settings.tolerance_pct, 9.0, "the edit is kept");
    assert!(ws.is_dirty(), "the later edit is not saved");
    assert_eq!(ws.path(), Some(path.as_path()));
    let saved = turfmap::core::project_file::load(&path).unwrap();
    assert_eq!(saved.settings.tolerance_pct, 7.0, "the snapshot was saved");
    // Undoing the later edit returns to exactly what was saved: clean.
    app_mut(&mut h).undo();
    h.run();
    assert!(!app(&h).workspace().is_dirty());
}

#[test]
fn export_then_import_territories_is_one_undo_step() {
    let dir = tempfile::tempdir().unwrap();
    let geojson = dir.path().join("t.geojson");
    let csv = dir.path().join("a.csv");
    let mut h = harness(small_plan());
    app_mut(&mut h).apply_command(Command::ExportTerritories(geojson.clone()));
    finish_job(&mut h);
    app_mut(&mut h).apply_command(Command::ExportAssignments(csv.clone()));
    finish_job(&mut h);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("account_id,territory\n"), "{text}");
    assert!(text.contains("A001,Northwind"), "{text}");

    // Into an empty plan with the same accounts.
    let mut empty = small_plan();
    empty.territories.clear();
    let mut h = harness(empty);
    h.get_by_label("This plan has no territories yet.");
    app_mut(&mut h).apply_command(Command::ImportTerritories(geojson));
    // The name picker reads the file, pre-selects `name`; Import.
    h.run_ok();
    let ctx = h.ctx.clone();
    let settings = app(&h).settings().clone();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .imports
            .wait(&ctx, &settings, Duration::from_secs(60))
    );
    h.run_steps(4);
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    finish_job(&mut h);
    assert_eq!(app(&h).error(), None);
    assert_eq!(app(&h).workspace().project().territories.len(), 3);
    assert_eq!(app(&h).metrics().unassigned.count, 1);
    h.get_by_label("Southport");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(app(&h).workspace().project().territories.is_empty());
}

#[test]
fn errors_are_shown_and_dismissed() {
    let mut h = harness(small_plan());
    app_mut(&mut h).open_plan(PathBuf::from("/definitely/not/here.turf"));
    finish_job(&mut h);
    let error = app(&h).error().expect("an error").to_owned();
    assert!(error.contains("not/here.turf"), "{error}");
    // The plan that was open stays open.
    assert_eq!(app(&h).workspace().project().name, "Workshop plan");
    h.get_by_label_contains("not/here.turf");
    h.get_by_label("Dismiss").click();
    h.run();
    assert_eq!(app(&h).error(), None);
}

#[test]
fn recent_plans_are_kept_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("cfg").join("recent.ron");
    let a = dir.path().join("a.turf");
    let b = dir.path().join("b.turf");
    std::fs::write(&a, b"x").unwrap();
    std::fs::write(&b, b"x").unwrap();
    let mut recent = RecentPlans::load(store.clone());
    assert!(recent.entries().is_empty());
    recent.add(&a);
    recent.add(&b);
    recent.add(&a);
    let names = |r: &RecentPlans| -> Vec<String> {
        r.entries()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(&RecentPlans::load(store.clone())),
        ["a.turf", "b.turf"]
    );
    std::fs::remove_file(&a).unwrap();
    assert_eq!(names(&RecentPlans::load(store)), ["b.turf"]);
}

/// The real bundled sample (built from its CSV and GeoJSON when the
/// `.turf` is not there).
#[test]
fn the_sample_plan_opens() {
    let h = harness_with(|ctx| TurfmapApp::with_sample(ctx).expect("sample"));
    let app = app(&h);
    let m = app.metrics();
    assert!(m.territories.len() >= 5, "{}", m.territories.len());
    assert!(m.total.count >= 1000);
    for t in &m.territories {
        h.get_by_label(&t.name);
    }
    assert_eq!(chart_bars(m).len(), m.balance_units);
}

fn request_close(h: &mut Harness<'_, Slot>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
}

fn root_commands(h: &Harness<'_, Slot>) -> Vec<egui::ViewportCommand> {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map(|v| v.commands.clone())
        .unwrap_or_default()
}

#[test]
fn closing_with_unsaved_changes_asks_first() {
    let mut h = harness(small_plan());
    // Nothing to lose: the window may close.
    request_close(&mut h);
    h.step();
    assert!(!root_commands(&h).contains(&egui::ViewportCommand::CancelClose));

    h.get_by_label("Sort by Name").click(); // not an edit: still clean
    h.run();
    assert!(!app(&h).workspace().is_dirty());
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SetSettings {
        settings: Box::new(turfmap::core::model::PlanSettings {
            balance: BalanceMeasure::Count,
            tolerance_pct: 7.0,
            ..Default::default()
        }),
    });
    h.run();
    request_close(&mut h);
    h.step();
    assert!(root_commands(&h).contains(&egui::ViewportCommand::CancelClose));
    h.run();
    h.get_by_label("Unsaved changes");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Unsaved changes").is_none());

    request_close(&mut h);
    h.run();
    h.get_by_label("Discard").click();
    h.step();
    assert!(root_commands(&h).contains(&egui::ViewportCommand::Close));
}

#[test]
fn tolerance_changes_are_one_undo_step() {
    let mut h = harness(small_plan());
    h.get_by_label("Tolerance (±%)").set_value_accesskit(12.0);
    h.run();
    let ws = app(&h).workspace();
    assert_eq!(ws.project().settings.tolerance_pct, 12.0);
    assert_eq!(ws.undo_labels().count(), 1);
    assert_eq!(app(&h).metrics().tolerance_pct, 12.0);
    h.get_by_label("Outside ±12%: 2 of 3");
}

/// Pins the first `n` accounts of "Northwind" to "Southport" through the
/// app (one undoable edit); returns both territories' ids.
fn move_accounts(h: &mut Harness<'_, Slot>, n: u32) -> (TerritoryId, TerritoryId) {
    let app = app_mut(h);
    let p = app.workspace().project();
    let from = p.territory_by_name("Northwind").unwrap().id;
    let to = p.territory_by_name("Southport").unwrap().id;
    let accounts: Vec<u32> = (0..n).collect();
    let edit = turfmap::core::shape_edit::drop_accounts(
        app.workspace().project(),
        app.workspace().engine(),
        &accounts,
        to,
    )
    .unwrap();
    app.apply(edit);
    (from, to)
}

#[test]
fn history_panel_lists_edits_and_its_buttons_undo_and_redo() {
    let mut h = harness(small_plan());
    h.get_by_label("History");
    h.get_by_label("No changes yet");
    let before = app(&h).workspace().metrics();
    let (from, to) = move_accounts(&mut h, 2);
    h.run();
    let after = app(&h).workspace().metrics();
    assert_eq!(after.territory(from).unwrap().group.count, 3);
    assert_eq!(after.territory(to).unwrap().group.count, 5);
    let label = app(&h).workspace().undo_labels().last().unwrap().to_owned();
    h.get_by_label(&label);

    // In the details panel, which may need scrolling to show it.
    h.get_by_role_and_label(Role::Button, "Undo").scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, "Undo").click();
    h.run();
    assert_eq!(app(&h).workspace().metrics(), before);
    assert_eq!(app(&h).metrics(), &before);
    assert_eq!(app(&h).workspace().redo_labels().count(), 1);
    // Still listed (greyed) as something to redo.
    h.get_by_label(&label);

    // In the details panel, which may need scrolling to show it.
    h.get_by_role_and_label(Role::Button, "Redo").scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, "Redo").click();
    h.run();
    assert_eq!(app(&h).workspace().metrics(), after);
    assert_eq!(app(&h).workspace().undo_labels().count(), 1);
}

#[test]
fn autosave_writes_a_recovery_copy_that_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(small_plan());
    app_mut(&mut h).set_recovery_dir(Some(dir.path().to_owned()));
    h.run();
    // Nothing to recover while the plan is unchanged.
    let t0 = std::time::Instant::now() + Duration::from_secs(3600);
    app_mut(&mut h).tick_autosave(t0);
    assert!(app(&h).recovery_file().is_none());

    move_accounts(&mut h, 2);
    let changed = app(&h).workspace().metrics();
    let t1 = t0 + Duration::from_secs(10);
    app_mut(&mut h).tick_autosave(t1);
    h.run();
    app_mut(&mut h).tick_autosave(t1 + Duration::from_secs(2));
    assert!(app(&h).recovery_file().is_none(), "too early");
    app_mut(&mut h).tick_autosave(t1 + Duration::from_secs(3));
    assert!(app_mut(&mut h).wait_for_autosave());
    let file = app(&h).recovery_file().unwrap().to_owned();
    assert!(file.is_file());
    let restored = Workspace::new(turfmap::core::project_file::load(&file).unwrap());
    assert_eq!(restored.metrics(), changed);

    // The next start offers it; Restore brings the changes back, unsaved.
    let mut h2 = harness(small_plan());
    let d = dir.path().to_owned();
    app_mut(&mut h2).set_recovery_dir(Some(d));
    assert!(app_mut(&mut h2).check_recovery().is_some());
    h2.run();
    h2.get_by_label_contains("Restore unsaved changes to 'Workshop plan'");
    h2.get_by_role_and_label(Role::Button, "Restore").click();
    h2.step();
    assert!(app(&h2).is_busy());
    finish_job(&mut h2);
    assert_eq!(app(&h2).workspace().metrics(), changed);
    assert!(app(&h2).workspace().is_dirty());

    // Saving the plan removes the recovery copy.
    let plan = dir.path().join("saved.turf");
    app_mut(&mut h2).save_to(plan);
    finish_job(&mut h2);
    assert!(!app(&h2).workspace().is_dirty());
    h2.run();
    assert!(!file.exists());
    assert!(app_mut(&mut h2).check_recovery().is_none());
}

fn counts(h: &Harness<'_, Slot>) -> (u64, u64) {
    (count(h, "Northwind"), count(h, "Southport"))
}

#[test]
fn dragging_an_account_onto_another_territory_on_the_map_moves_it() {
    let mut h = harness(small_plan());
    h.run();
    assert_eq!(counts(&h), (5, 3));
    let (lon, lat) = {
        let a = &app(&h).workspace().project().accounts;
        (a.lon[0], a.lat[0])
    };
    let map = app(&h).map_view();
    let from = map.screen_pos(lon, lat).unwrap();
    let to = map.screen_pos(15.0, 3.0).unwrap();
    let center = map.center();
    drag_pointer(&mut h, from, to);
    assert_eq!(counts(&h), (4, 4));
    let south = app(&h)
        .workspace()
        .project()
        .territory_by_name("Southport")
        .unwrap()
        .id;
    assert_eq!(
        app(&h).workspace().project().accounts.pins.of(0).next(),
        Some(south)
    );
    // The map did not pan while the account was dragged.
    assert_eq!(app(&h).map_view().center(), center);
    let label = app(&h).workspace().undo_labels().last().unwrap().to_owned();
    h.get_by_label(&label);

    // Unpin from the account's details: geometry decides again.
    app_mut(&mut h).select_account(0);
    h.run();
    // In the details panel, which may need scrolling to show it.
    h.get_by_role_and_label(Role::Button, "Unpin")
        .scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, "Unpin").click();
    h.run();
    assert_eq!(counts(&h), (5, 3));
    assert_eq!(
        app(&h).workspace().project().accounts.pins.of(0).next(),
        None
    );
}

#[test]
fn dropping_an_account_on_a_list_row_moves_it() {
    let mut h = harness(small_plan());
    h.run();
    let (lon, lat) = {
        let a = &app(&h).workspace().project().accounts;
        (a.lon[0], a.lat[0])
    };
    let from = app(&h).map_view().screen_pos(lon, lat).unwrap();
    let to = h.get_by_label("Southport").rect().center();
    drag_pointer(&mut h, from, egui::pos2(to.x, to.y));
    assert_eq!(counts(&h), (4, 4));
}
