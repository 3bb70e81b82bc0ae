//! Salesforce export and import: Data Loader CSVs that round-trip into the
//! same plan, and a baseline from an account export.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use geo::{MultiPolygon, polygon};
use turfmap::core::Workspace;
use turfmap::core::edit::Edit;
use turfmap::core::model::{
    AccountRow, Accounts, LocationSource, Project, Rep, RepId, TerritoryType, TerritoryTypeId,
};
use turfmap::core::rules::Rule;
use turfmap::core::salesforce;
use turfmap::core::scenario;

fn sq(x0: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: 0.0), (x: x0 + s, y: 0.0), (x: x0 + s, y: s), (x: x0, y: s)
    ]])
}

fn plan() -> Project {
    let mut p = Project::new("Acme FY26");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &["Industry".into()]);
    for i in 0..12 {
        p.accounts.push(&AccountRow {
            id: format!("001A{i:011}"),
            name: format!("Account {i}"),
            location: (i != 11).then_some((i as f64 + 0.5, 0.5)),
            source: LocationSource::Coordinates,
            measures: vec![i as f64],
            attributes: vec![if i % 3 == 0 { "Healthcare" } else { "Retail" }.into()],
            pins: Vec::new(),
        });
    }
    let region = p.add_territory("West Region", MultiPolygon(vec![]));
    let west = p.add_territory("North-West #1", sq(0.0, 5.0));
    let east = p.add_territory("North West 1", sq(5.0, 5.0));
    for t in [west, east] {
        p.territory_mut(t).unwrap().parent = Some(region);
    }
    p.types.push(TerritoryType {
        id: TerritoryTypeId(1),
        name: "Healthcare Overlay".into(),
        priority: 5,
    });
    let hc = p.add_territory("Health", MultiPolygon(vec![]));
    let t = p.territory_mut(hc).unwrap();
    t.type_id = TerritoryTypeId(1);
    t.rule = Some(Rule::parse("Industry = Healthcare").unwrap());
    let mut ann = Rep::new(RepId(0), "Ann Lee");
    ann.username = "ann@acme.example".into();
    ann.role = "Owner".into();
    let mut bo = Rep::new(RepId(1), "Bo Diaz");
    bo.role = "Specialist".into();
    p.reps = vec![ann, bo];
    p.territory_mut(west).unwrap().reps = vec![RepId(0)];
    p.territory_mut(region).unwrap().reps = vec![RepId(0)];
    p.territory_mut(hc).unwrap().reps = vec![RepId(1)];
    // The unlocated account is pinned to the region itself.
    p.accounts.pins.insert(11, region);
    p
}

/// The plan's accounts without types, reps, territories or pins.
fn accounts_only() -> Project {
    let mut fresh = plan();
    fresh.territories.clear();
    fresh.types.truncate(1);
    fresh.reps.clear();
    fresh.accounts.pins = turfmap::core::pins::Pins::unpinned(fresh.accounts.len());
    fresh
}

/// Names of the territories account `id` is pinned to, lowest id first.
fn pinned_to(p: &Project, id: &str) -> Vec<String> {
    let i = p.accounts.find_id(id).unwrap();
    p.accounts
        .pins
        .of(i)
        .map(|t| p.territory(t).unwrap().name.clone())
        .collect()
}

/// Per type name: account id → territory name.
fn assignment(ws: &Workspace) -> HashMap<(String, String), String> {
    let p = ws.project();
    let mut m = HashMap::new();
    for e in ws.engines() {
        let ty = p.territory_type(e.type_id()).unwrap().name.clone();
        for i in p.accounts.live() {
            if let Some(t) = e.territory_of(i) {
                m.insert(
                    (ty.clone(), p.accounts.ids[i].clone()),
                    p.territory(t).unwrap().name.clone(),
                );
            }
        }
    }
    m
}

/// Per territory name: (parent name, type name, rep names).
fn structure(p: &Project) -> HashMap<String, (Option<String>, String, Vec<String>)> {
    p.territories
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                (
                    t.parent.map(|x| p.territory(x).unwrap().name.clone()),
                    p.territory_type(t.type_id).unwrap().name.clone(),
                    t.reps
                        .iter()
                        .map(|r| p.rep(*r).unwrap().name.clone())
                        .collect(),
                ),
            )
        })
        .collect()
}

#[test]
fn exported_csvs_reimport_into_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(plan());
    let files = salesforce::export(ws.project(), ws.engines(), dir.path()).unwrap();
    assert_eq!(files.len(), 5);
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let t2 = read("Territory2.csv");
    assert!(t2.starts_with(
        "DeveloperName,Name,ParentTerritory2.DeveloperName,Territory2Type.DeveloperName,Territory2Model.DeveloperName\n"
    ));
    // Parents first; DeveloperNames valid and deduplicated.
    assert!(
        t2.contains("\nWest_Region,West Region,,Geographic,Acme_FY26_Plan\n"),
        "{t2}"
    );
    assert!(
        t2.contains("\nNorth_West_1,North-West #1,West_Region,"),
        "{t2}"
    );
    assert!(
        t2.contains("\nNorth_West_1_2,North West 1,West_Region,"),
        "{t2}"
    );
    let assoc = read("ObjectTerritory2Association.csv");
    assert!(assoc.starts_with("ObjectId,Territory2.DeveloperName,AssociationCause\n"));
    assert!(
        assoc.contains("\n001A00000000000,North_West_1,Territory2Manual\n"),
        "{assoc}"
    );
    assert!(
        assoc.contains("\n001A00000000000,Health,Territory2Manual\n"),
        "{assoc}"
    );
    let users = read("UserTerritory2Association.csv");
    assert!(
        users.contains("ann@acme.example,West_Region,Owner,Ann Lee"),
        "{users}"
    );
    assert!(
        users.contains("Bo Diaz,Health,Specialist,Bo Diaz"),
        "{users}"
    );

    // Into a fresh project over the same accounts (no types, reps or
    // territories): the same plan comes back.
    let mut ws2 = Workspace::new(accounts_only());
    let (edit, report) = salesforce::read_export(ws2.project(), dir.path(), "Reimported").unwrap();
    assert_eq!(report.territories, 4);
    assert_eq!(report.unknown_accounts, 0);
    ws2.apply(edit).unwrap();
    assert_eq!(ws2.project().active().unwrap().name, "Reimported");
    // The empty scenario that was shown is replaced.
    assert_eq!(ws2.project().scenarios.len(), 1);
    assert_eq!(structure(ws2.project()), structure(ws.project()));
    assert_eq!(assignment(&ws2), assignment(&ws));
    // Overlay assignments come back as pins in the overlay type (not as
    // rules): the first account holds a Geographic and an overlay pin.
    let p2 = ws2.project();
    let health = p2.territory_by_name("Health").unwrap();
    assert!(health.rule.is_none());
    assert_eq!(
        pinned_to(p2, "001A00000000000"),
        ["North-West #1", "Health"]
    );
    assert_eq!(report.second_in_type, 0);
    let types: Vec<(String, i32)> = ws2
        .project()
        .types
        .iter()
        .map(|t| (t.name.clone(), t.priority))
        .collect();
    assert_eq!(
        types,
        vec![("Geographic".into(), 0), ("Healthcare Overlay".into(), 5)]
    );
    let ann = ws2.project().rep_by_name("Ann Lee").unwrap();
    assert_eq!(
        (ann.username.as_str(), ann.role.as_str()),
        ("ann@acme.example", "Owner")
    );
    // Exported again: byte-identical files.
    let dir2 = tempfile::tempdir().unwrap();
    // The model name follows the scenario's name: rename it to match.
    let id = ws2.project().active_scenario;
    ws2.apply(Edit::SetScenarioMeta {
        id,
        name: "Plan".into(),
        state: ws2.project().active().unwrap().state,
    })
    .unwrap();
    salesforce::export(ws2.project(), ws2.engines(), dir2.path()).unwrap();
    for f in files {
        let (a, b) = (
            std::fs::read_to_string(dir.path().join(&f)).unwrap(),
            std::fs::read_to_string(dir2.path().join(&f)).unwrap(),
        );
        let sorted = |s: &str| {
            let mut v: Vec<String> = s.lines().map(str::to_owned).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&a), sorted(&b), "{f}");
    }
}

#[test]
fn baseline_from_an_account_export() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("accounts.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Territory,Owner\n\
         A1,One,40.0,-100.0,North,Ann\n\
         A2,Two,41.0,-101.0,North,Bo\n\
         A3,Three,42.0,-102.0,North,Ann\n\
         A4,Four,43.0,-103.0,South,Bo\n\
         A5,Five,44.0,-104.0,,Bo\n",
    )
    .unwrap();
    let (table, _) = turfmap::core::import::import_accounts(
        &csv,
        &Default::default(),
        &turfmap::core::progress::Progress::new(),
    )
    .unwrap();
    let mut p = Project::new("sf");
    p.accounts = table.clone();
    let mut ws = Workspace::new(p);
    let (edit, r) =
        salesforce::baseline_edit(ws.project(), &table, "Territory", Some("Owner"), "Baseline")
            .unwrap();
    assert_eq!(
        (r.territories, r.assigned, r.new_reps, r.without_territory),
        (2, 4, 2, 1)
    );
    ws.apply(edit).unwrap();
    let p = ws.project();
    assert_eq!(p.scenarios.len(), 1);
    assert_eq!(p.active().unwrap().name, "Baseline");
    let north = p.territory_by_name("North").unwrap();
    // Ann owns two of North's accounts, Bo one: Ann first.
    assert_eq!(p.rep_label(north).as_deref(), Some("Ann, Bo"));
    assert_eq!(
        ws.engine().territory_of(3),
        Some(p.territory_by_name("South").unwrap().id)
    );
    assert_eq!(ws.engine().territory_of(4), None);
    // One undo takes the whole import back.
    ws.undo().unwrap();
    assert!(ws.project().territories.is_empty() && ws.project().reps.is_empty());
    // A missing column is a clear error.
    let e = salesforce::baseline_edit(ws.project(), &table, "Territory2", None, "B")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column 'Territory2'") && e.contains("Owner"),
        "{e}"
    );
    // Clones then diff show no change.
    let base = ws.project().active_scenario;
    ws.apply(scenario::clone_edit(ws.project(), base, "Copy").unwrap())
        .unwrap();
    let copy = scenario::find(ws.project(), "Copy").unwrap();
    assert!(
        scenario::diff(ws.project(), base, copy)
            .unwrap()
            .moves
            .is_empty()
    );
}

#[test]
fn a_second_territory_of_one_type_is_counted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(plan());
    salesforce::export(ws.project(), ws.engines(), dir.path()).unwrap();
    // Salesforce allows an account in two territories of one type; Turfmap
    // keeps the first per type and says how many it skipped.
    let path = dir.path().join("ObjectTerritory2Association.csv");
    let mut assoc = std::fs::read_to_string(&path).unwrap();
    assoc.push_str("001A00000000000,North_West_1_2,Territory2Manual\n");
    std::fs::write(&path, assoc).unwrap();
    let mut ws2 = Workspace::new(accounts_only());
    let (edit, report) = salesforce::read_export(ws2.project(), dir.path(), "Twice").unwrap();
    assert_eq!(report.second_in_type, 1);
    ws2.apply(edit).unwrap();
    let p2 = ws2.project();
    assert_eq!(
        pinned_to(p2, "001A00000000000"),
        ["North-West #1", "Health"]
    );
}
