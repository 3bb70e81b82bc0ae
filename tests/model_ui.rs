//! The "Territory model" window, driven like a user would with
//! egui_kittest: rule editor with validation, scenario clone and switch,
//! type selector, hierarchy tree, reps and "why is it here".
#![allow(clippy::unwrap_used)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::MultiPolygon;
use turfmap::core::model::{
    AccountRow, Accounts, LocationSource, Project, Rep, RepId, TerritoryType, TerritoryTypeId,
};

mod common;

use common::{app, app_mut, clone_scenario, harness_sized, open, retype, square, tid, type_into};

fn plan() -> Project {
    let mut p = Project::new("Model window");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &["Industry".into()]);
    for i in 0..8 {
        p.accounts.push(&AccountRow {
            id: format!("A{i}"),
            name: format!("Account {i}"),
            location: Some((i as f64 + 0.5, 0.5)),
            source: LocationSource::Coordinates,
            measures: vec![100.0],
            attributes: vec![if i % 2 == 0 { "Healthcare" } else { "Retail" }.into()],
            pins: Vec::new(),
        });
    }
    let region = p.add_territory("Region", MultiPolygon(vec![]));
    let west = p.add_territory("West", square(0.0, 0.0, 4.0));
    let east = p.add_territory("East", square(4.0, 0.0, 4.0));
    p.territory_mut(west).unwrap().parent = Some(region);
    p.territory_mut(east).unwrap().parent = Some(region);
    p.types.push(TerritoryType {
        id: TerritoryTypeId(1),
        name: "Overlay".into(),
        priority: 1,
    });
    let o = p.add_territory("Health", MultiPolygon(vec![]));
    p.territory_mut(o).unwrap().type_id = TerritoryTypeId(1);
    let mut ann = Rep::new(RepId(0), "Ann Lee");
    ann.home = Some((0.5, 0.5));
    p.reps.push(ann);
    p.territory_mut(west).unwrap().reps = vec![RepId(0)];
    p
}

/// A 1500×1100 window on [`plan`], after its first frames.
fn harness() -> Harness<'static, common::Slot> {
    let mut h = harness_sized([1500.0, 1100.0], open(plan()));
    h.run_ok();
    h
}

#[test]
fn menu_opens_the_window_with_tree_and_reps() {
    let mut h = harness();
    h.get_by_label("Model").click();
    h.run_ok();
    h.get_by_label("Territory model…").click();
    h.run_ok();
    assert!(app(&h).panels().model.is_open());
    // The tree lists the hierarchy with rolled-up counts.
    h.get_by_label("8 accounts");
    let wests = h.query_all_by_label("West").count();
    // Collapsing the region hides its children.
    h.get_by_label("-").click();
    h.run_ok();
    assert_eq!(h.query_all_by_label("West").count(), wests - 1);
    // Reps with their load and distance (the territory list shows its rep
    // column only once widened; at the default width its rows' tooltips
    // name the rep).
    assert!(h.query_all_by_label("Ann Lee").count() >= 1);
}

#[test]
fn rule_editor_validates_and_applies() {
    let mut h = harness();
    app_mut(&mut h).panels_mut().model.set_open(true);
    let east = tid(&h, "East");
    app_mut(&mut h).select_territory(east, false);
    h.run_ok();
    type_into(&mut h, "Rule:", "Industry > 5");
    h.get_by_label_contains("'Industry' is a text field");
    // Fix it: select all, retype.
    retype(&mut h, "Rule:", "Industry = Healthcare");
    h.get_by_label("Valid rule");
    h.get_by_label("Apply rule").scroll_to_me();
    h.run_ok();
    h.get_by_label("Apply rule").click();
    h.run_ok();
    assert_eq!(app(&h).error(), None);
    let ws = app(&h).workspace();
    assert!(ws.project().territory(east).unwrap().rule.is_some());
    // Account 0 is in West's boundary but Healthcare: East's rule wins.
    assert_eq!(ws.engine().territory_of(0), Some(east));
    // "Why is it here" names the rule.
    app_mut(&mut h).select_account(0);
    h.run_ok();
    assert!(h.query_all_by_label_contains("rule of 'East'").count() >= 1);
    assert_eq!(
        app(&h).workspace().undo_labels().last(),
        Some("Set the rule of 'East'")
    );
}

#[test]
fn clone_switch_archive_and_type_selector() {
    let mut h = harness();
    app_mut(&mut h).panels_mut().model.set_open(true);
    h.run_ok();
    clone_scenario(&mut h, "Proposal");
    let p = app(&h).workspace().project();
    assert_eq!(p.scenarios.len(), 2);
    let proposal = p.scenario_by_name("Proposal").expect("cloned").id;
    // Switch through the scenario selector.
    h.get_by_label("Scenario shown").click();
    h.run_ok();
    h.get_by_label("Proposal (planning)").click();
    h.run_ok();
    assert_eq!(app(&h).workspace().project().active_scenario, proposal);
    // The type selector changes what the lists and metrics show.
    assert_eq!(app(&h).metrics().territories.len(), 3);
    app_mut(&mut h).apply_command(turfmap::app::command::Command::ShowType(TerritoryTypeId(1)));
    h.run_ok();
    assert_eq!(app(&h).metrics().territories.len(), 1);
    assert_eq!(app(&h).workspace().engine().type_id(), TerritoryTypeId(1));
    // Undo goes back to the first scenario.
    app_mut(&mut h).undo();
    h.run_ok();
    assert_ne!(app(&h).workspace().project().active_scenario, proposal);
}

/// A rep who leaves, from the window: previewed as a before/after table,
/// applied as one undoable edit (West, which Ann works alone, goes to its
/// only neighbour East); a new hire gets a territory carved around the home.
#[test]
fn a_rep_leaves_and_a_new_hire_joins_from_the_window() {
    let mut h = harness();
    app_mut(&mut h).panels_mut().model.set_open(true);
    h.run_ok();
    h.get_by_label("Share out").scroll_to_me();
    h.run_ok();
    h.get_by_label("Share out").click();
    h.run_ok();
    assert_eq!(app(&h).error(), None);
    h.get_by_label("Apply change").scroll_to_me();
    h.run_ok();
    h.get_by_label("gone");
    h.get_by_label("4 accounts change territory.");
    h.get_by_label("Apply change").scroll_to_me();
    h.run_ok();
    assert!(
        app(&h)
            .workspace()
            .project()
            .rep_by_name("Ann Lee")
            .is_some(),
        "only a preview"
    );
    h.get_by_label("Apply change").click();
    h.run_ok();
    let p = app(&h).workspace().project();
    assert!(p.rep_by_name("Ann Lee").is_none());
    assert!(p.territory_by_name("West").is_none());
    let east = tid(&h, "East");
    let ws = app(&h).workspace();
    assert!((0..8).all(|i| ws.engine().territory_of(i) == Some(east)));
    app_mut(&mut h).undo();
    h.run_ok();
    assert!(
        app(&h)
            .workspace()
            .project()
            .territory_by_name("West")
            .is_some()
    );
    // A new hire at (6.5, 0.5), in East: a territory of their own.
    h.get_by_label("Carve territory").scroll_to_me();
    h.run_ok();
    type_into(&mut h, "Hire name", "Bo Chen");
    type_into(&mut h, "Home lat", "0.5");
    type_into(&mut h, "Home lon", "6.5");
    h.get_by_label("Carve territory").click();
    h.run_ok();
    assert_eq!(app(&h).error(), None);
    h.get_by_label("Apply change").scroll_to_me();
    h.run_ok();
    h.get_by_label("Apply change").click();
    h.run_ok();
    let p = app(&h).workspace().project();
    let bo = p.rep_by_name("Bo Chen").unwrap().id;
    assert!(p.territories.iter().any(|t| t.reps == [bo]));
}

/// The comparison's change list is written where the user says, through a
/// typed path when the system has no file dialog (the button did nothing
/// there before).
#[test]
fn the_change_list_is_exported_through_a_typed_path_without_a_file_dialog() {
    use turfmap::app::command::Command;
    use turfmap::core::edit::Edit;
    let mut h = harness();
    app_mut(&mut h).panels_mut().paths.force_typed = true;
    app_mut(&mut h).panels_mut().model.set_open(true);
    h.run_ok();
    let first = app(&h).workspace().project().active_scenario;
    clone_scenario(&mut h, "Proposal");
    let proposal = app(&h)
        .workspace()
        .project()
        .scenario_by_name("Proposal")
        .expect("cloned")
        .id;
    app_mut(&mut h).apply_command(Command::Apply(Edit::SwitchScenario { to: proposal }));
    h.run_ok();
    // In the proposal, account 0 goes from West to East.
    let east = tid(&h, "East");
    app_mut(&mut h).apply_command(Command::Apply(Edit::SetPins {
        type_id: TerritoryTypeId(0),
        accounts: vec![0],
        pins: vec![Some(east)],
    }));
    h.run_ok();
    let ctx = h.ctx.clone();
    let app_ref = app_mut(&mut h);
    let ws = app_ref.workspace().snapshot();
    app_ref.panels_mut().model.compare(&ctx, &ws, first);
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .model
            .wait_for_comparison(std::time::Duration::from_secs(60))
    );
    h.run_ok();
    h.get_by_label("Export change list…").scroll_to_me();
    h.run_ok();
    h.get_by_label("Export change list…").click();
    h.run_ok();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("changes.csv");
    retype(&mut h, "Path", &out.display().to_string());
    h.get_by_label("OK").click();
    h.run_ok();
    assert_eq!(app(&h).error(), None);
    let text = std::fs::read_to_string(&out).expect("the change list was written");
    assert!(text.lines().count() >= 2, "{text}");
    assert!(text.contains("A0"), "{text}");
}
