//! The window's Find (Ctrl+F), the unassigned and unlocated accounts
//! window, and the unit choosers of plans outside the US, driven through
//! egui_kittest.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::command::Command;
use turfmap::core::model::{AccountRow, Project};
use turfmap::core::search::Hit;

/// Three territories in a row, plus one account east of them all and one
/// with no location.
fn plan() -> Project {
    let mut p = three_in_a_row("Find plan", |n| n as f64);
    p.accounts.push(&AccountRow {
        id: "OUT-1".into(),
        name: "Far East Outpost".into(),
        location: Some((45.0, 5.0)),
        measures: vec![1.0],
        ..AccountRow::default()
    });
    p.accounts.push(&AccountRow {
        id: "NOLOC-1".into(),
        name: "Nowhere Supplies".into(),
        location: None,
        measures: vec![1.0],
        ..AccountRow::default()
    });
    p
}

fn search(h: &mut Harness<'_, Slot>, text: &str) {
    retype(h, "Find:", text);
    assert!(app_mut(h).wait_for_lists(Duration::from_secs(60)));
    h.run_ok();
}

#[test]
fn the_unassigned_figure_opens_the_list_and_a_click_selects_and_zooms() {
    let mut h = harness(plan());
    h.run_ok();
    h.get_by_label("Unassigned: 2").click();
    h.run_ok();
    let panel = &app(&h).panels().left_out;
    assert!(panel.open);
    let shown: Vec<usize> = panel.shown().iter().map(|r| r.account).collect();
    assert_eq!(
        shown,
        vec![16, 17],
        "outside every territory, and unlocated"
    );
    h.get_by_label("outside every territory");
    let before = app(&h).map_view().zoom();
    h.get_by_label("OUT-1 · Far East Outpost").click();
    h.run_ok();
    assert_eq!(app(&h).selection().account, Some(16));
    assert!(
        app(&h).map_view().zoom() > before,
        "zoomed in on the account"
    );
    let (lon, lat) = app(&h).map_view().center();
    assert!(
        (lon - 45.0).abs() < 0.1 && (lat - 5.0).abs() < 0.1,
        "{lon} {lat}"
    );

    // The unlocated figure opens the other list, with the reason.
    h.get_by_label("Unlocated: 1").click();
    h.run_ok();
    let shown = app(&h).panels().left_out.shown();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].account, 17);
    h.get_by_label("no coordinates or postal code");
}

/// Moves account `i` to `(lon, lat)` (`None`: clears its location).
fn relocate(h: &mut Harness<'_, Slot>, i: u32, to: Option<(f64, f64)>) {
    app_mut(h).apply(turfmap::core::edit::Edit::SetLocations {
        accounts: vec![i],
        locations: vec![to],
    });
    h.run_ok();
}

fn listed(h: &Harness<'_, Slot>) -> Vec<usize> {
    let panel = &app(h).panels().left_out;
    panel.shown().iter().map(|r| r.account).collect()
}

#[test]
fn the_open_list_follows_each_edit_and_undo() {
    let mut h = harness(plan());
    h.run_ok();
    h.get_by_label("Unassigned: 2").click();
    h.run_ok();
    assert_eq!(listed(&h), vec![16, 17]);

    // The outpost moves into Northwind; account 2 out of every territory.
    relocate(&mut h, 16, Some((2.0, 5.0)));
    assert_eq!(listed(&h), vec![17]);
    assert!(h.query_by_label("OUT-1 · Far East Outpost").is_none());
    relocate(&mut h, 1, Some((-20.0, 5.0)));
    assert_eq!(listed(&h), vec![1, 17]);
    h.get_by_label("A002 · Account 2");
    h.get_by_label("Unassigned 2");
    // Losing its location makes it unlocated, with the reason.
    relocate(&mut h, 1, None);
    h.get_by_label("Unlocated 2");
    app_mut(&mut h).undo();
    h.run_ok();
    app_mut(&mut h).undo();
    h.run_ok();
    app_mut(&mut h).undo();
    h.run_ok();
    assert_eq!(listed(&h), vec![16, 17], "undone edits come back");
}

#[test]
fn a_big_plans_list_is_built_in_the_background_then_follows_edits() {
    let mut h = harness(plan());
    h.run_ok();
    // Every plan counts as big here: lists from scratch go to a worker.
    app_mut(&mut h).panels_mut().left_out.background_from = 0;
    h.get_by_label("Unassigned: 2").click();
    h.run_ok();
    assert!(app_mut(&mut h).wait_for_lists(Duration::from_secs(60)));
    h.run_ok();
    assert_eq!(listed(&h), vec![16, 17]);
    relocate(&mut h, 16, Some((2.0, 5.0)));
    assert!(
        !app(&h).panels().left_out.is_updating(),
        "an edit updates the list in place"
    );
    assert_eq!(listed(&h), vec![17]);

    // Closed through more edits than the plan remembers: rebuilt on open.
    app_mut(&mut h).panels_mut().left_out.open = false;
    for k in 0..80 {
        relocate(&mut h, 0, Some((1.0 + f64::from(k % 2) * 40.0, 5.0)));
    }
    relocate(&mut h, 0, Some((-30.0, 5.0)));
    app_mut(&mut h).apply_command(Command::OpenLeftOut(
        turfmap::app::panels::LeftOutFilter::All,
    ));
    assert!(app_mut(&mut h).wait_for_lists(Duration::from_secs(60)));
    h.run_ok();
    assert_eq!(listed(&h), vec![0, 17]);
    h.get_by_label("A001 · Account 1");
}

#[test]
fn the_list_exports_its_rows_spreadsheet_safe() {
    let mut p = plan();
    let i = p.accounts.len() - 1;
    p.accounts.names[i] = "=cmd|' /C calc'!A0".into();
    let mut h = harness(p);
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Edit").click();
    h.run_ok();
    h.get_by_label("Unassigned and unlocated accounts…").click();
    h.run_ok();
    h.get_by_label("All 2").click();
    h.run_ok();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("left-out.csv");
    std::fs::write(&path, "previous file").unwrap();
    app_mut(&mut h).apply_command(Command::ExportLeftOut(path.clone()));
    finish_job(&mut h);
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "OUT-1");
    assert_eq!(&rows[0][2], "unassigned");
    assert_eq!(&rows[0][3], "outside every territory");
    assert_eq!(&rows[1][0], "NOLOC-1");
    assert_eq!(&rows[1][1], "'=cmd|' /C calc'!A0", "a formula is defused");
    assert_eq!(&rows[1][2], "unlocated");

    // Only the unlocated ones when that list is shown.
    h.get_by_label("Unlocated 1").click();
    h.run_ok();
    app_mut(&mut h).apply_command(Command::ExportLeftOut(path.clone()));
    finish_job(&mut h);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");

    // Without a file dialog, Export CSV… asks for a typed path.
    app_mut(&mut h).panels_mut().paths.force_typed = true;
    h.get_by_label("Export CSV…").click();
    h.run_ok();
    h.get_by_label("Export unassigned and unlocated accounts");
    let typed = dir.path().join("typed.csv");
    retype(&mut h, "Path", &typed.display().to_string());
    h.get_by_label("OK").click();
    h.run_ok();
    finish_job(&mut h);
    let text = std::fs::read_to_string(&typed).unwrap();
    assert!(
        text.contains("NOLOC-1") && !text.contains("OUT-1"),
        "{text}"
    );
}

#[test]
fn ctrl_f_finds_accounts_as_you_type_and_enter_selects_and_zooms() {
    let mut h = harness(plan());
    h.run_ok();
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_ok();
    assert!(app(&h).panels().search.open);
    search(&mut h, "account 1");
    // Account 1, then 10…16 (name starts), in account order.
    let hits = app(&h).panels().search.hits();
    assert_eq!(hits.len(), 8, "{hits:?}");
    assert_eq!(hits[0], Hit::Account(0));
    h.get_by_label("A001 · Account 1");
    search(&mut h, "outpost");
    assert_eq!(app(&h).panels().search.hits(), vec![Hit::Account(16)]);
    let before = app(&h).map_view().zoom();
    key(&mut h, Key::Enter);
    assert_eq!(app(&h).selection().account, Some(16));
    assert!(app(&h).map_view().zoom() > before, "zoomed in");
    let (lon, _) = app(&h).map_view().center();
    assert!((lon - 45.0).abs() < 0.1, "{lon}");
}

#[test]
fn territories_are_found_by_name_and_arrows_move_through_results() {
    let mut h = harness(plan());
    h.run_ok();
    app_mut(&mut h).apply_command(Command::OpenSearch);
    h.run_ok();
    search(&mut h, "o");
    // Territories first: Northwind, Southport (plan order, both "inside").
    let hits = app(&h).panels().search.hits();
    let north = tid(&h, "Northwind");
    let south = tid(&h, "Southport");
    assert_eq!(&hits[..2], &[Hit::Territory(north), Hit::Territory(south)]);
    key(&mut h, Key::ArrowDown);
    key(&mut h, Key::Enter);
    assert_eq!(app(&h).selection().territory, Some(south));
    assert_eq!(app(&h).selection().account, None);
    // Typing narrows; Escape closes.
    search(&mut h, "eastv");
    let east = tid(&h, "Eastvale");
    assert_eq!(app(&h).panels().search.hits(), vec![Hit::Territory(east)]);
    key(&mut h, Key::Escape);
    assert!(!app(&h).panels().search.open);
}

#[test]
fn the_index_follows_edits() {
    let mut h = harness(plan());
    h.run_ok();
    app_mut(&mut h).apply_command(Command::OpenSearch);
    h.run_ok();
    search(&mut h, "nowhere");
    assert_eq!(app(&h).panels().search.hits(), vec![Hit::Account(17)]);
    let builds = app(&h).panels().search.index_builds();
    // Moving an account leaves ids and names alone: the index is kept.
    relocate(&mut h, 17, Some((2.0, 5.0)));
    assert!(app_mut(&mut h).wait_for_lists(Duration::from_secs(60)));
    assert_eq!(app(&h).panels().search.index_builds(), builds);
    assert_eq!(app(&h).panels().search.hits(), vec![Hit::Account(17)]);
    // A new name is found once the index is folded again.
    let mut row = app(&h).workspace().project().accounts.row(17);
    row.name = "Somewhere Else Ltd".into();
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SetAccountData {
        accounts: vec![17],
        rows: vec![row],
    });
    assert!(app_mut(&mut h).wait_for_lists(Duration::from_secs(60)));
    h.run_ok();
    assert_eq!(app(&h).panels().search.index_builds(), builds + 1);
    assert!(
        app(&h).panels().search.hits().is_empty(),
        "no longer 'nowhere'"
    );
    search(&mut h, "somewhere");
    assert_eq!(app(&h).panels().search.hits(), vec![Hit::Account(17)]);
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SetRemoved {
        accounts: vec![17],
        removed: true,
    });
    assert!(app_mut(&mut h).wait_for_lists(Duration::from_secs(60)));
    h.run_ok();
    assert!(app(&h).panels().search.hits().is_empty());
}

/// Accounts in Toronto, Vancouver, Berlin and Munich (GeoNames positions).
fn canada_germany() -> Project {
    let mut p = Project::new("CA and DE");
    p.accounts = turfmap::core::model::Accounts::with_schema(&[], &[]);
    for (k, (name, lon, lat)) in [
        ("Toronto", -79.416, 43.700),
        ("Vancouver", -123.119, 49.250),
        ("Calgary", -114.085, 51.050),
        ("Berlin", 13.411, 52.524),
        ("Munich", 11.576, 48.137),
    ]
    .into_iter()
    .enumerate()
    {
        p.accounts.push(&AccountRow {
            id: format!("C{k}"),
            name: name.into(),
            location: Some((lon, lat)),
            ..AccountRow::default()
        });
    }
    p
}

#[test]
fn a_canadian_and_german_plan_is_offered_provinces_not_us_units() {
    let mut h = harness(canada_germany());
    h.run_ok();
    key(&mut h, Key::P);
    h.get_by_role_and_label(Role::ComboBox, "Units").click();
    h.run_ok();
    let list = h.get_by_role(Role::ListBox);
    list.get_by_label("Canadian provinces");
    list.get_by_label("Hexagons");
    assert!(list.query_by_label("US counties").is_none());
    assert!(list.query_by_label("US states").is_none());
    // The default (US counties) gave way to a layer that fits.
    assert_eq!(
        app(&h).panels().tools.units.layer,
        turfmap::core::units::UnitLayer::Provinces(turfmap::core::geocode::Country::CA)
    );
    key(&mut h, Key::Escape);

    // Plan → Balance… offers the same.
    h.get_by_role_and_label(Role::Button, "Plan").click();
    h.run_ok();
    h.get_by_label("Balance…").click();
    h.run_ok();
    h.get_by_role_and_label(Role::RadioButton, "Canadian provinces");
    assert!(h.query_by_label("US counties").is_none());
}

#[test]
fn a_german_plan_is_framed_in_germany_and_painted_with_hexagons() {
    let mut p = canada_germany();
    for i in 0..3 {
        p.accounts.removed[i] = true;
    }
    let mut h = harness(p);
    h.run_ok();
    let (lon, lat) = app(&h).map_view().center();
    assert!(
        (5.0..16.0).contains(&lon) && (47.0..56.0).contains(&lat),
        "{lon} {lat}"
    );
    key(&mut h, Key::P);
    h.get_by_role_and_label(Role::ComboBox, "Units").click();
    h.run_ok();
    let list = h.get_by_role(Role::ListBox);
    list.get_by_label("Hexagons");
    assert!(list.query_by_label("US counties").is_none());
    assert!(list.query_by_label("Canadian provinces").is_none());
}
