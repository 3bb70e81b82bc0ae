//! Window tests for the workshop features: presentation mode, map image and
//! report export from the File menu, and remembered settings. egui_kittest
//! drives the real window headless and finds widgets by accessible name.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use egui::{Key, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::TurfmapApp;
use turfmap::app::command::Command;
use turfmap::app::panels::NewPlanRequest;
use turfmap::app::settings::AppSettings;
use turfmap::core::model::BalanceMeasure;
use turfmap::core::render::DistanceUnit;
use turfmap::core::{Workspace, project_file};

mod common;

use common::{Slot, app, app_mut, finish_job, harness_sized};

/// A 1600×1000 window on the sample plan; `setup` runs once the app exists.
fn harness(setup: impl FnOnce(&mut TurfmapApp) + 'static) -> Harness<'static, Slot> {
    harness_sized([1600.0, 1000.0], move |ctx: &egui::Context| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
        let mut app = TurfmapApp::new(ctx, Workspace::new(project_file::load(&path).unwrap()));
        setup(&mut app);
        app
    })
}

#[test]
fn f5_presents_full_screen_without_editing_chrome_and_esc_leaves() {
    let mut h = harness(|_| {});
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "File");
    assert!(h.query_all_by_label("Territories").count() > 0); // the editing panels
    h.get_by_label("Selection");
    let body = h.ctx.global_style().text_styles[&egui::TextStyle::Body].size;

    h.key_press(Key::F5);
    h.step();
    assert!(app(&h).panels().present.is_active(), "F5 toggles at once");
    h.run_ok();
    assert!(app(&h).panels().present.is_active());
    // Chrome gone: no menu bar, no territory list, no status bar.
    assert!(h.query_by_role_and_label(Role::Button, "File").is_none());
    assert_eq!(h.query_all_by_label("Territories").count(), 0);
    assert!(h.query_by_label("Selection").is_none());
    assert!(h.query_by_label_contains("accounts ·").is_none());
    // The chart is docked and the compact legend lists every territory.
    h.get_by_label("Balance per territory");
    let names: Vec<String> = app(&h)
        .workspace()
        .project()
        .territories
        .iter()
        .map(|t| t.name.clone())
        .collect();
    for name in &names {
        assert!(
            h.query_all_by_label(name).count() >= 1,
            "{name} missing from the legend"
        );
    }
    // Large type.
    let big = h.ctx.global_style().text_styles[&egui::TextStyle::Body].size;
    assert!(big >= body * 1.4, "{body} → {big}");

    h.key_press(Key::Escape);
    h.step();
    assert!(!app(&h).panels().present.is_active(), "Esc leaves at once");
    h.run_ok();
    assert!(!app(&h).panels().present.is_active());
    h.get_by_role_and_label(Role::Button, "File");
    let back = h.ctx.global_style().text_styles[&egui::TextStyle::Body].size;
    assert_eq!(back, body, "type size restored");

    // The View menu item does the same, and the on-screen button leaves.
    h.get_by_role_and_label(Role::Button, "View").click();
    h.run_ok();
    h.get_by_label_contains("Presentation mode").click();
    h.run_ok();
    assert!(app(&h).panels().present.is_active());
    h.get_by_label("Exit presentation (Esc)").click();
    h.run_ok();
    assert!(!app(&h).panels().present.is_active());
}

#[test]
fn file_menu_exports_a_map_image_of_the_chosen_size_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_owned();
    let mut h = harness(move |app| app.panels_mut().export.target_dir = Some(out));
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_ok();
    h.get_by_label("Export map image…").click();
    h.run_ok();
    h.get_by_label("Small (1280 × 800)").click();
    h.run_ok();
    h.get_by_label("Export…").click();
    h.run_ok();
    finish_job(&mut h);
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    let png = dir.path().join("sample-map.png");
    let decoder = png::Decoder::new(std::fs::File::open(&png).expect("map exported"));
    let info = decoder.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (1280, 800));
    assert!(app(&h).notice().unwrap_or("").contains("map image"));

    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_ok();
    h.get_by_label("Export report…").click();
    h.run_ok();
    finish_job(&mut h);
    let html = std::fs::read_to_string(dir.path().join("sample-report.html")).expect("report");
    for t in &app(&h).workspace().project().territories {
        assert!(html.contains(&t.name));
    }
    assert!(!html.contains("id=\"scenario\""));

    // With a second scenario the menu offers a comparison report.
    let p = app(&h).workspace().project();
    let clone = turfmap::core::scenario::clone_edit(p, p.active_scenario, "Proposal").unwrap();
    app_mut(&mut h).apply(clone);
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_ok();
    h.get_by_label("Export report comparing with").hover();
    h.run_ok();
    h.get_by_label("Proposal…").click();
    h.run_ok();
    finish_job(&mut h);
    let html = std::fs::read_to_string(dir.path().join("sample-report.html")).expect("report");
    assert!(html.contains("id=\"scenario\"") && html.contains("Proposal"));
}

#[test]
fn remembered_settings_are_applied_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    AppSettings {
        dark: true,
        units: DistanceUnit::Mi,
        balance_measure: Some("potential".into()),
        ..AppSettings::default()
    }
    .save(&store)
    .unwrap();
    let st = store.clone();
    let mut h = harness(move |app| app.set_settings(AppSettings::load(&st), Some(st.clone())));
    h.run_ok();
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    assert_eq!(app(&h).settings().units, DistanceUnit::Mi);
    // Areas are shown in square miles.
    let id = app(&h).workspace().project().territories[0].id;
    app_mut(&mut h).select_territory(id, false);
    h.run_ok();
    h.get_by_label_contains("mi²");
    assert!(h.query_by_label_contains("km²").is_none());

    // Switching units in the View menu is remembered.
    h.get_by_role_and_label(Role::Button, "View").click();
    h.run_ok();
    h.get_by_label("km").click();
    h.run_ok();
    assert_eq!(AppSettings::load(&store).units, DistanceUnit::Km);

    // A new plan starts with the remembered balance measure.
    let plan = dir.path().join("new.turf");
    let accounts = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/accounts.csv");
    app_mut(&mut h).apply_command(Command::CreatePlan(Box::new(NewPlanRequest {
        accounts,
        territories: None,
        name_prop: None,
        country: turfmap::core::geocode::Country::US,
        plan,
    })));
    finish_job(&mut h);
    assert_eq!(
        app(&h).workspace().project().settings.balance,
        BalanceMeasure::Measure("Potential".into())
    );
}

#[test]
fn help_shows_the_data_notices_and_new_plans_take_a_country() {
    let mut h = harness(|_| {});
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Help").click();
    h.run_ok();
    h.get_by_label("About Turfmap…").click();
    h.run_ok();
    // The notices OS Code-Point Open requires, and the GeoNames credit.
    h.get_by_label("Contains Ordnance Survey data © Crown copyright and database right 2025.");
    h.get_by_label("Contains Royal Mail data © Royal Mail copyright and database right 2025.");
    assert!(
        h.query_all_by_label_contains("GeoNames (www.geonames.org), CC BY 4.0")
            .count()
            > 0
    );

    // A plan whose rows name no country reads their codes in its country.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("kunden.csv");
    std::fs::write(&csv, "Id,Name,PLZ\nK1,Berlin,10115\nK2,Toronto,M5V 2T6\n").unwrap();
    let de = turfmap::core::geocode::Country::DE;
    let plan = dir.path().join("kunden.turf");
    app_mut(&mut h).apply_command(Command::CreatePlan(Box::new(NewPlanRequest {
        accounts: csv,
        territories: None,
        name_prop: None,
        country: de,
        plan: plan.clone(),
    })));
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(p.settings.default_country, de);
    let a = &p.accounts;
    assert!((a.lat[0] - 52.53).abs() < 0.05, "{}", a.lat[0]);
    assert_eq!(
        a.postal_match(0).map(|m| m.describe()).as_deref(),
        Some("DE postal code")
    );
    assert!(!a.is_located(1));
    let saved = project_file::load(&plan).unwrap();
    assert_eq!(saved.settings.default_country, de);
}
