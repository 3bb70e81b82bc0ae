//! The planning loop after the map, on a hand-made plan: refreshing the
//! accounts from a new export, quotas top-down and bottom-up, attainment.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use geo::{MultiPolygon, polygon};
use turfmap::core::Workspace;
use turfmap::core::edit::Edit;
use turfmap::core::engine::Engine;
use turfmap::core::import::{AccountImportOptions, import_accounts};
use turfmap::core::model::{Project, TerritoryId};
use turfmap::core::progress::Progress;
use turfmap::core::quota::{QuotaSettings, set_one, split_exact, top_down};
use turfmap::core::refresh::refresh;
use turfmap::core::rules::Rule;

fn square(x0: f64, y0: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x0 + 1.0, y: y0), (x: x0 + 1.0, y: y0 + 1.0), (x: x0, y: y0 + 1.0)
    ]])
}

const HEADER: &str = "Id,Name,Latitude,Longitude,Revenue,Potential,Closed,Industry";

/// West is lon 0..1, East lon 1..2, Pacific lon 2..3 (all lat 0..1).
const V1: &[&str] = &[
    "A1,Acme,0.5,0.2,100,1000,50,Retail",
    "A2,Beta,0.5,0.4,200,2000,150,Retail",
    "A3,Gamma,0.5,0.6,300,3000,100,Retail",
    "A4,Delta,0.5,1.5,400,4000,400,Retail",
    "A6,Zeta,0.5,0.8,10,100,0,Retail",
];

fn write_csv(dir: &Path, name: &str, header: &str, rows: &[&str]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    p
}

fn import(path: &Path) -> (turfmap::core::Accounts, turfmap::core::import::ImportReport) {
    import_accounts(path, &AccountImportOptions::default(), &Progress::new()).unwrap()
}

fn id(ws: &Workspace, name: &str) -> TerritoryId {
    ws.project().territory_by_name(name).unwrap().id
}

/// The V1 plan: West and East; A3 pinned to East; East takes Health
/// accounts by rule.
fn v1_plan(dir: &Path) -> Workspace {
    let (accounts, _) = import(&write_csv(dir, "v1.csv", HEADER, V1));
    let mut p = Project::new("loop");
    p.accounts = accounts;
    p.add_territory("West", square(0.0, 0.0));
    p.add_territory("East", square(1.0, 0.0));
    let mut ws = Workspace::new(p);
    let east = id(&ws, "East");
    let rule = Rule::parse(r#"Industry = "Health""#).unwrap();
    ws.apply(Edit::SetRule {
        id: east,
        rule: Some(rule),
    })
    .unwrap();
    let a3 = ws.project().accounts.find_id("A3").unwrap() as u32;
    ws.apply(Edit::pin_to(ws.project(), vec![a3], east).unwrap())
        .unwrap();
    ws
}

fn members(ws: &Workspace, name: &str) -> Vec<String> {
    let t = id(ws, name);
    let a = &ws.project().accounts;
    let mut v: Vec<String> = a
        .live()
        .filter(|&i| ws.engine().territory_of(i) == Some(t))
        .map(|i| a.ids[i].clone())
        .collect();
    v.sort();
    v
}

#[test]
fn refresh_updates_adds_removes_and_reassigns_as_one_undoable_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = v1_plan(dir.path());
    assert_eq!(members(&ws, "West"), ["A1", "A2", "A6"]);
    assert_eq!(members(&ws, "East"), ["A3", "A4"]);
    let before = ws.project().clone();
    let undo_depth = ws.undo_labels().count();
    // A1: new revenue and now Health (East's rule); A2 moved east; A3 gone
    // (it was pinned); A5 new; A4 and A6 as before; a new Segment column.
    let v2 = write_csv(
        dir.path(),
        "v2.csv",
        &format!("{HEADER},Segment"),
        &[
            "A1,Acme,0.5,0.2,150,1000,50,Health,SMB",
            "A2,Beta,0.5,1.4,200,2000,150,Retail,SMB",
            "A4,Delta,0.5,1.5,400,4000,400,Retail,ENT",
            "A5,Eta,0.5,0.3,500,5000,20,Retail,SMB",
            "A6,Zeta,0.5,0.8,10,100,0,Retail,SMB",
        ],
    );
    let (accounts, report) = import(&v2);
    let s = refresh(&mut ws, &accounts, &report, "v2.csv").unwrap();
    assert_eq!(
        (
            s.added,
            s.removed,
            s.pins_dropped,
            s.relocated,
            s.updated,
            s.unchanged
        ),
        (1, 1, 1, 1, 1, 2)
    );
    assert_eq!((s.moved_territory, s.reassigned), (1, 1));
    assert_eq!(s.ignored_columns, ["Segment"]);
    assert_eq!(members(&ws, "West"), ["A5", "A6"]);
    assert_eq!(members(&ws, "East"), ["A1", "A2", "A4"]);
    // Per territory: West 3 → 2 accounts, revenue 310 → 510; East 2 → 3,
    // revenue 700 → 750.
    let west = s.territories.iter().find(|t| t.name == "West").unwrap();
    assert_eq!(west.accounts, (3, 2));
    assert!(west.measures.contains(&("Revenue".into(), 310.0, 510.0)));
    let east = s.territories.iter().find(|t| t.name == "East").unwrap();
    assert_eq!(east.accounts, (2, 3));
    assert!(east.measures.contains(&("Revenue".into(), 700.0, 750.0)));
    // The new plan is what a fresh engine computes, and the pin is gone.
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    let a = &ws.project().accounts;
    assert_eq!(
        a.live().filter(|&i| a.pins.of(i).next().is_some()).count(),
        0
    );
    // One undo step, labelled with the file, restores the plan exactly.
    let labels: Vec<&str> = ws.undo_labels().collect();
    assert_eq!(labels.len(), undo_depth + 1);
    assert_eq!(labels.last(), Some(&"Refresh accounts from v2.csv"));
    ws.undo().unwrap();
    assert_eq!(members(&ws, "West"), ["A1", "A2", "A6"]);
    assert_eq!(members(&ws, "East"), ["A3", "A4"]);
    let a = &ws.project().accounts;
    let live: Vec<_> = a.live().map(|i| a.row(i)).collect();
    let was: Vec<_> = before
        .accounts
        .live()
        .map(|i| before.accounts.row(i))
        .collect();
    assert_eq!(live, was);
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    // Refreshing with the same export again changes nothing.
    let (same, report) = import(&write_csv(dir.path(), "v1b.csv", HEADER, V1));
    let s = refresh(&mut ws, &same, &report, "v1b.csv").unwrap();
    assert!(s.is_empty(), "{s:?}");
    assert_eq!(ws.undo_labels().count(), undo_depth);
}

#[test]
fn refresh_refuses_exports_it_cannot_match_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = v1_plan(dir.path());
    let before = ws.project().clone();
    // No id column: matching by row number would be a guess.
    let no_id = write_csv(
        dir.path(),
        "noid.csv",
        "Name,Latitude,Longitude,Revenue,Potential,Closed,Industry",
        &["Acme,0.5,0.2,100,1000,50,Retail"],
    );
    // The import itself stops at a file without ids (it names the file
    // and the candidate columns); should it ever let one through, refresh
    // must still refuse it.
    let e = match import_accounts(&no_id, &AccountImportOptions::default(), &Progress::new()) {
        Err(e) => e.to_string(),
        Ok((a, r)) => refresh(&mut ws, &a, &r, "noid.csv")
            .unwrap_err()
            .to_string(),
    };
    assert!(e.contains("noid.csv") && e.contains("id"), "{e}");
    // A column the plan has is missing: never zeroed silently.
    let no_rev = write_csv(
        dir.path(),
        "norev.csv",
        "Id,Name,Latitude,Longitude,Potential,Closed,Industry",
        &["A1,Acme,0.5,0.2,1000,50,Retail"],
    );
    let (a, r) = import(&no_rev);
    let e = refresh(&mut ws, &a, &r, "norev.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("norev.csv") && e.contains("'Revenue'"), "{e}");
    assert_eq!(ws.project(), &before);
}

/// V1 plus Pacific (lon 2..3) holding A7 of its own, as West's parent.
fn quota_plan(dir: &Path) -> Workspace {
    let mut rows = V1.to_vec();
    rows.push("A7,Theta,0.5,2.5,990,9900,99,Retail");
    let (accounts, _) = import(&write_csv(dir, "q.csv", HEADER, &rows));
    let mut p = Project::new("quota");
    p.accounts = accounts;
    let west = p.add_territory("West", square(0.0, 0.0));
    p.add_territory("East", square(1.0, 0.0));
    let pacific = p.add_territory("Pacific", square(2.0, 0.0));
    p.territory_mut(west).unwrap().parent = Some(pacific);
    Workspace::new(p)
}

fn settings(ws: &Workspace, total: f64) -> QuotaSettings {
    QuotaSettings {
        type_id: ws.project().primary_type(),
        total,
        by: "Revenue".into(),
        weights: Vec::new(),
        actual: Some("Closed".into()),
        potential: None,
    }
}

#[test]
fn quotas_split_exactly_roll_up_and_show_attainment() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    // Own revenue: West 610, East 400, Pacific 990 (of 2,000). 1,000,001
    // split: 305,000.305 / 200,000.2 / 495,000.495 → floors leave 1 over,
    // which goes to the largest remainder (Pacific).
    let edit = top_down(ws.project(), &ws.metrics(), settings(&ws, 1_000_001.0)).unwrap();
    ws.apply(edit).unwrap();
    let q = |ws: &Workspace, n: &str| ws.project().territory_by_name(n).unwrap().quota;
    assert_eq!(q(&ws, "West"), Some(305_000.0));
    assert_eq!(q(&ws, "East"), Some(200_000.0));
    assert_eq!(q(&ws, "Pacific"), Some(495_001.0));
    let m = ws.metrics();
    let t = |n: &str| m.territories.iter().find(|t| t.name == n).unwrap().clone();
    // Pacific shows its own quota plus West's; actuals roll up the same way.
    assert_eq!(t("Pacific").quota, Some(800_001.0));
    assert_eq!(t("Pacific").actual, Some(99.0 + 300.0));
    assert_eq!(t("West").actual, Some(300.0));
    assert_eq!(t("West").attainment_pct, Some(300.0 / 305_000.0 * 100.0));
    // White space: potential minus actual (West: 6,100 − 300).
    assert_eq!(t("West").white_space, Some(5_800.0));
    assert_eq!(m.quota_total, Some(1_000_001.0));
    assert_eq!(m.actual_total, Some(799.0));
    // Bottom-up: one territory's quota changes and the total follows.
    let west = id(&ws, "West");
    let edit = set_one(ws.project(), &ws.metrics(), west, 200_000.0).unwrap();
    ws.apply(edit).unwrap();
    let total = ws.project().settings.quota.as_ref().unwrap().total;
    assert_eq!(total, 200_000.0 + 200_000.0 + 495_001.0);
    assert_eq!(ws.metrics().quota_total, Some(total));
    ws.undo().unwrap();
    assert_eq!(q(&ws, "West"), Some(305_000.0));
    ws.undo().unwrap();
    assert_eq!(q(&ws, "West"), None);
    assert!(ws.project().settings.quota.is_none());
}

#[test]
fn weighted_quotas_still_sum_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    let mut s = settings(&ws, 777_777.77);
    s.weights = vec![("Revenue".into(), 0.5), ("count".into(), 0.5)];
    let edit = top_down(ws.project(), &ws.metrics(), s).unwrap();
    ws.apply(edit).unwrap();
    let quotas: Vec<f64> = ws
        .project()
        .territories
        .iter()
        .filter_map(|t| t.quota)
        .collect();
    let cents: i64 = quotas.iter().map(|q| (q * 100.0).round() as i64).sum();
    assert_eq!(cents, 77_777_777);
    // By accounts (West 4, East 1, Pacific 1 of 6) and revenue (610, 400,
    // 990 of 2,000): West's index is (4/6 + 610/2000) / 2.
    let expected = split_exact(
        777_777.77,
        &[
            (4.0 / 6.0 + 0.305) / 2.0,
            (1.0 / 6.0 + 0.2) / 2.0,
            (1.0 / 6.0 + 0.495) / 2.0,
        ],
    )
    .unwrap();
    assert_eq!(quotas, expected);
    // A parent holding accounts of its own takes a quota for them.
    let pacific = id(&ws, "Pacific");
    let west = id(&ws, "West");
    let e = set_one(ws.project(), &ws.metrics(), pacific, 1.0);
    assert!(e.is_ok(), "Pacific holds A7 itself");
    assert!(set_one(ws.project(), &ws.metrics(), west, f64::NAN).is_err());
}

fn turfmap(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn cli_quota_metrics_json_and_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = write_csv(d, "v1.csv", HEADER, V1);
    let geo = d.join("t.geojson");
    let feature = |name: &str, x: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},0],[{},0],[{},1],[{x},1],[{x},0]]]}}}}"#,
            x + 1.0,
            x + 1.0
        )
    };
    std::fs::write(
        &geo,
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            feature("West", 0.0),
            feature("East", 1.0)
        ),
    )
    .unwrap();
    let plan = d.join("p.turf");
    let p = plan.to_str().unwrap();
    turfmap(&[
        "new",
        p,
        "--accounts",
        csv.to_str().unwrap(),
        "--territories",
        geo.to_str().unwrap(),
    ]);
    // West revenue 610, East 400 (no pins or rules here): 1,010 in all.
    let table = turfmap(&[
        "quota", p, "--total", "1010000", "--by", "Revenue", "--actual", "Closed",
    ]);
    assert!(table.contains("West"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&turfmap(&["metrics", p, "--json"])).unwrap();
    let ts = json["territories"].as_array().unwrap();
    let west = ts.iter().find(|t| t["name"] == "West").unwrap();
    assert_eq!(west["quota"], 610_000.0);
    // West closed 50 + 150 + 100 + 0 = 300 of 610,000.
    let att = west["attainment_pct"].as_f64().unwrap();
    assert!((att - 300.0 / 610_000.0 * 100.0).abs() < 1e-9, "{att}");
    // Bottom-up from the CLI, saved in the plan.
    turfmap(&["quota", p, "--set", "East=500000"]);
    let json: serde_json::Value =
        serde_json::from_str(&turfmap(&["metrics", p, "--json"])).unwrap();
    assert_eq!(json["quota_total"], 1_110_000.0);
    // The Salesforce export carries them in Quotas.csv by DeveloperName.
    let sf = d.join("sf");
    turfmap(&["export-salesforce", p, sf.to_str().unwrap()]);
    let quotas = std::fs::read_to_string(sf.join("Quotas.csv")).unwrap();
    let mut lines = quotas.lines();
    assert_eq!(
        lines.next(),
        Some("DeveloperName,Name,Quota,QuotaWithChildren")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().any(|r| r.ends_with(",West,610000,610000")),
        "{quotas}"
    );
    assert!(
        rows.iter().any(|r| r.ends_with(",East,500000,500000")),
        "{quotas}"
    );
    // Refresh from the CLI: one account gone, one new.
    let v2 = write_csv(
        d,
        "v2.csv",
        HEADER,
        &[
            "A1,Acme,0.5,0.2,100,1000,50,Retail",
            "A2,Beta,0.5,0.4,200,2000,150,Retail",
            "A3,Gamma,0.5,0.6,300,3000,100,Retail",
            "A4,Delta,0.5,1.5,400,4000,400,Retail",
            "A9,Iota,0.5,1.2,1,1,1,Retail",
        ],
    );
    let out = turfmap(&["refresh", p, v2.to_str().unwrap()]);
    assert!(out.contains("1 added, 1 removed"), "{out}");
    assert!(out.contains("East: accounts 1 → 2"), "{out}");
    let assign = turfmap(&["assign", p]);
    assert!(
        assign.contains("A9,East") && !assign.contains("A6"),
        "{assign}"
    );
}

/// A parent that holds accounts of its own is judged on those (a remainder
/// beside its children), a parent with none is not judged, and every
/// place that shows balance says so the same way: metrics, quota units,
/// the CLI table and JSON.
#[test]
fn parents_own_accounts_count_as_one_balance_unit_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    // Region: a parent of East with no boundary (so no accounts) of its own.
    let east = id(&ws, "East");
    let mut p = ws.project().clone();
    let region = p.add_territory("Region", MultiPolygon(vec![]));
    p.territory_mut(east).unwrap().parent = Some(region);
    ws = Workspace::new(p);
    let m = ws.metrics();
    let t = |n: &str| m.territories.iter().find(|t| t.name == n).unwrap().clone();
    // Count balance: West 4, East 1, Pacific own 1 (its group is 5).
    assert_eq!(m.territories.len(), 4);
    assert_eq!(m.balance_units, 3);
    assert_eq!(t("Pacific").group.count, 5);
    assert!(t("Pacific").balance_unit);
    assert_eq!(t("Pacific").balance_value, 1.0);
    assert!(!t("Region").balance_unit);
    assert_eq!(t("Region").deviation_text(), "—");
    assert_eq!(m.mean, 2.0);
    assert_eq!(t("Pacific").deviation_pct, -50.0);
    assert_eq!(t("Pacific").deviation_text(), "-50.0% own");
    assert_eq!(m.out_of_tolerance, 3, "West +100%, East and Pacific -50%");
    assert_eq!(
        m.units_summary(),
        "4 territories · balanced as 3 (2 leaves + 1 parent's own accounts)"
    );
    // Quotas are set on exactly the balance units.
    let mut units = turfmap::core::quota::units(&m);
    units.sort();
    let mut judged: Vec<TerritoryId> = m
        .territories
        .iter()
        .filter(|t| t.balance_unit)
        .map(|t| TerritoryId(t.id))
        .collect();
    judged.sort();
    assert_eq!(units, judged);
    // The CLI shows the same: a marked row, the units line, and the JSON.
    let plan = dir.path().join("h.turf");
    ws.save_as(&plan).unwrap();
    let p = plan.to_str().unwrap();
    let table = turfmap(&["metrics", p]);
    assert!(table.contains("balanced as 3"), "{table}");
    assert!(table.contains("-50.0*"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&turfmap(&["metrics", p, "--json"])).unwrap();
    assert_eq!(json["balance_units"], 3);
    let region = json["territories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Region")
        .unwrap();
    assert_eq!(region["balance_unit"], false);
}

/// Capacity: reps needed = ceil(total ÷ per rep), each balance unit's load
/// in reps, one candidate home per rep near the weight, and `--add-reps`
/// adds them once (a second run is refused rather than duplicating).
#[test]
fn capacity_counts_reps_places_homes_and_adds_them_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = quota_plan(dir.path());
    let m = ws.metrics();
    // Revenue 2,000 in all at 500 a rep: 4 reps.
    let c = turfmap::core::capacity::capacity(ws.project(), &m, "revenue", 500.0).unwrap();
    assert_eq!(c.total, 2_000.0);
    assert_eq!(c.reps_needed, 4);
    let names: Vec<&str> = c.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["Pacific", "West", "East"],
        "largest first, parent on its own"
    );
    assert!((c.units[0].reps - 990.0 / 500.0).abs() < 1e-12);
    assert_eq!(c.homes.len(), 4);
    let load: f64 = c.homes.iter().map(|h| h.load).sum();
    assert!(
        (load - 2_000.0).abs() < 1e-9,
        "every account near one home: {load}"
    );
    // The heaviest account (A7, 990 at lon 2.5) gets a home on it.
    assert!(
        c.homes
            .iter()
            .any(|h| (h.lon - 2.5).abs() < 1e-3 && h.near == "Theta"),
        "{:?}",
        c.homes
    );
    // Bad input is named.
    let err = turfmap::core::capacity::capacity(ws.project(), &m, "hours", 500.0).unwrap_err();
    assert!(err.to_string().contains("Revenue"), "{err}");
    assert!(turfmap::core::capacity::capacity(ws.project(), &m, "count", 0.0).is_err());
    // From the CLI, with the candidates added as reps.
    let mut ws = ws;
    let plan = dir.path().join("c.turf");
    ws.save_as(&plan).unwrap();
    let p = plan.to_str().unwrap();
    let out = turfmap(&[
        "capacity",
        p,
        "--per-rep",
        "500",
        "--measure",
        "Revenue",
        "--add-reps",
    ]);
    assert!(out.contains("4 reps needed"), "{out}");
    let again = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args([
            "capacity",
            p,
            "--per-rep",
            "500",
            "--measure",
            "Revenue",
            "--add-reps",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let reopened = Workspace::open(&plan).unwrap();
    let homes: Vec<_> = reopened
        .project()
        .reps
        .iter()
        .filter(|r| r.name.starts_with("Candidate "))
        .filter_map(|r| r.home)
        .collect();
    assert_eq!(homes.len(), 4);
}

/// Coverage: accounts whose activity is zero, missing or empty are
/// neglected, counted per territory and rolled up; penetration is actual ÷
/// potential, from the given measures or the quota settings.
#[test]
fn coverage_counts_neglected_accounts_and_penetration() {
    use turfmap::core::coverage::{Penetration, coverage};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    let m = ws.metrics();
    let none = Penetration::default();
    let c = coverage(ws.project(), ws.engine(), &m, "closed", none).unwrap();
    let row = |c: &turfmap::core::coverage::Coverage, n: &str| {
        c.territories.iter().find(|t| t.name == n).unwrap().clone()
    };
    // A6 closed nothing: West's, and so its parent Pacific's.
    assert_eq!(row(&c, "West").neglected, 1);
    assert_eq!(row(&c, "West").neglected_pct, 25.0);
    assert_eq!(row(&c, "Pacific").neglected, 1);
    assert_eq!(row(&c, "East").neglected, 0);
    assert_eq!((c.neglected, c.accounts), (1, 6));
    assert_eq!(row(&c, "West").penetration_pct, None, "no measures given");
    // A text column: every account has an industry.
    let c = coverage(ws.project(), ws.engine(), &m, "INDUSTRY", none).unwrap();
    assert_eq!((c.activity.as_str(), c.neglected), ("Industry", 0));
    // Penetration from explicit measures: West closed 300 of 6,100 potential.
    let given = Penetration {
        actual: Some("Closed"),
        potential: None,
    };
    let c = coverage(ws.project(), ws.engine(), &m, "closed", given).unwrap();
    let p = row(&c, "West").penetration_pct.unwrap();
    assert!((p - 300.0 / 6_100.0 * 100.0).abs() < 1e-9, "{p}");
    // …or from the quota settings, the same figure in the metrics.
    let edit = top_down(ws.project(), &ws.metrics(), settings(&ws, 1000.0)).unwrap();
    ws.apply(edit).unwrap();
    let m = ws.metrics();
    let west = m.territories.iter().find(|t| t.name == "West").unwrap();
    assert_eq!(west.penetration_pct, Some(p));
    let c = coverage(ws.project(), ws.engine(), &m, "closed", none).unwrap();
    assert_eq!(row(&c, "West").penetration_pct, Some(p));
    // An unknown column names the ones there are.
    let err = coverage(ws.project(), ws.engine(), &m, "visits", none).unwrap_err();
    assert!(err.to_string().contains("Industry"), "{err}");
    // The CLI prints the same.
    let plan = dir.path().join("cov.turf");
    ws.save_as(&plan).unwrap();
    let out = turfmap(&["coverage", plan.to_str().unwrap(), "--activity", "Closed"]);
    assert!(out.contains("West") && out.contains("25.0%"), "{out}");
}

/// 3×3 one-degree squares, 100 accounts on a grid in each; Ann works the
/// centre alone, Bo shares the west square with Cy.
fn staffing_plan(dir: &Path) -> Workspace {
    let mut rows = Vec::new();
    for sx in 0..3 {
        for sy in 0..3 {
            for k in 0..100 {
                let (x, y) = (k % 10, k / 10);
                let lon = sx as f64 + 0.05 + 0.1 * x as f64;
                let lat = sy as f64 + 0.05 + 0.1 * y as f64;
                rows.push(format!("S{sx}{sy}-{k},N,{lat},{lon},1,1,1,Retail"));
            }
        }
    }
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let (accounts, _) = import(&write_csv(dir, "s.csv", HEADER, &refs));
    let mut p = Project::new("staff");
    p.accounts = accounts;
    for sy in (0..3).rev() {
        for sx in 0..3 {
            p.add_territory(format!("T{sx}{sy}"), square(sx as f64, sy as f64));
        }
    }
    let mut ws = Workspace::new(p);
    let add_rep = |ws: &mut Workspace, name: &str, territories: &[&str]| {
        let rid = ws.project().next_rep_id();
        let rep = turfmap::core::model::Rep::new(rid, name);
        let n = ws.project().reps.len();
        ws.apply(Edit::AddRep { rep, position: n }).unwrap();
        for t in territories {
            let tid = id(ws, t);
            let mut props =
                turfmap::core::edit::TerritoryProps::of(ws.project().territory(tid).unwrap());
            props.reps.push(rid);
            ws.apply(Edit::SetTerritoryProps { id: tid, props })
                .unwrap();
        }
    };
    add_rep(&mut ws, "Ann", &["T11"]);
    add_rep(&mut ws, "Bo", &["T01"]);
    add_rep(&mut ws, "Cy", &["T01"]);
    ws
}

fn owner_of(ws: &Workspace) -> Vec<Option<String>> {
    let p = ws.project();
    p.accounts
        .live()
        .map(|i| {
            ws.engine()
                .territory_of(i)
                .and_then(|t| p.territory(t))
                .map(|t| t.name.clone())
        })
        .collect()
}

/// A rep who leaves: the territory they worked alone is shared out to the
/// four neighbours it borders, evenly and each in one piece; a territory
/// they shared just loses them; one undoable edit.
#[test]
fn a_rep_who_leaves_hands_the_territory_to_its_neighbours() {
    use turfmap::core::staffing::{Handover, rep_leaves};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = staffing_plan(dir.path());
    let before = owner_of(&ws);
    let ann = ws.project().rep_by_name("Ann").unwrap().id;
    let change = rep_leaves(&ws, ann, &Handover::Share).unwrap();
    ws.apply(change.edit.clone()).unwrap();
    assert!(ws.project().territory_by_name("T11").is_none());
    assert!(ws.project().rep_by_name("Ann").is_none());
    let after = owner_of(&ws);
    let mut got: HashMap<String, usize> = HashMap::new();
    for (b, a) in before.iter().zip(&after) {
        let a = a.clone().expect("every account still has a territory");
        if b.as_deref() == Some("T11") {
            *got.entry(a).or_default() += 1;
        } else {
            assert_eq!(
                b.as_deref(),
                Some(a.as_str()),
                "only the centre's accounts move"
            );
        }
    }
    let mut names: Vec<&String> = got.keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["T01", "T10", "T12", "T21"],
        "only the bordering squares"
    );
    for (n, k) in &got {
        assert!((15..=35).contains(k), "{n} took {k} of 100: {got:?}");
        let t = ws.project().territory_by_name(n).unwrap();
        assert_eq!(t.geometry.0.len(), 1, "{n} stays in one piece");
    }
    assert_eq!(change.moved, 100);
    assert_eq!(change.table.len(), 5, "4 neighbours grow, the centre goes");
    ws.undo().unwrap();
    assert_eq!(owner_of(&ws), before);
    assert!(ws.project().rep_by_name("Ann").is_some());
    // Bo shares T01 with Cy: T01 stays, with Cy alone.
    let bo = ws.project().rep_by_name("Bo").unwrap().id;
    let change = rep_leaves(&ws, bo, &Handover::Share).unwrap();
    ws.apply(change.edit).unwrap();
    let cy = ws.project().rep_by_name("Cy").unwrap().id;
    assert_eq!(ws.project().territory_by_name("T01").unwrap().reps, [cy]);
    assert_eq!(owner_of(&ws), before);
    // Merge instead: all of the centre into the named neighbour.
    let t21 = id(&ws, "T21");
    let change = rep_leaves(&ws, ann, &Handover::Merge(Some(t21))).unwrap();
    ws.apply(change.edit).unwrap();
    let after = owner_of(&ws);
    for (b, a) in before.iter().zip(&after) {
        if b.as_deref() == Some("T11") {
            assert_eq!(a.as_deref(), Some("T21"));
        }
    }
}

/// A new hire: a territory carved around the home from its neighbours,
/// about the mean load, in one piece, worked by the new rep.
#[test]
fn a_new_rep_gets_a_territory_carved_around_the_home() {
    use turfmap::core::staffing::rep_joins;
    let dir = tempfile::tempdir().unwrap();
    let mut ws = staffing_plan(dir.path());
    let ty = ws.project().primary_type();
    // Home on the corner where four squares meet.
    let change = rep_joins(&ws, "Dee", (1.0, 1.0), ty).unwrap();
    ws.apply(change.edit.clone()).unwrap();
    let dee = ws.project().rep_by_name("Dee").unwrap();
    assert_eq!(dee.home, Some((1.0, 1.0)));
    let t = ws
        .project()
        .territories
        .iter()
        .find(|t| t.reps == [dee.id])
        .unwrap()
        .clone();
    assert_eq!(t.geometry.0.len(), 1, "one piece");
    let n = owner_of(&ws)
        .iter()
        .filter(|o| o.as_deref() == Some(t.name.as_str()))
        .count();
    assert!((70..=130).contains(&n), "about the mean of 100: {n}");
    assert!(owner_of(&ws).iter().all(Option::is_some), "no account lost");
    ws.undo().unwrap();
    assert!(ws.project().rep_by_name("Dee").is_none());
    // Homes outside every territory are refused with a reason.
    let err = rep_joins(&ws, "Eve", (10.0, 10.0), ty).unwrap_err();
    assert!(err.to_string().contains("no unlocked territory"), "{err}");
}

/// Three towns 10 accounts each at the corners of a triangle joined by
/// freeways. The great-circle median of the workload is the roadless
/// middle; by drive time the home goes to a town on the freeways, and the
/// mean drive from it is shorter than from the great-circle home.
#[test]
fn capacity_by_drive_time_puts_the_home_where_the_roads_are() {
    use std::sync::Arc;
    use turfmap::core::capacity::{capacity, capacity_by_drive};
    use turfmap::core::model::{AccountRow, Accounts};
    use turfmap::core::travel::network::{Network, RoadLine};
    use turfmap::core::travel::{Router, SpeedTable};
    let towns = [(0.0, 0.0), (1.0, 0.0), (0.5, 0.8)];
    let mut p = Project::new("drive");
    p.accounts = Accounts::with_schema(&["Hours".into()], &[]);
    for (t, &(x, y)) in towns.iter().enumerate() {
        for k in 0..10 {
            p.accounts.push(&AccountRow {
                id: format!("T{t}-{k}"),
                name: format!("Town {t} account {k}"),
                location: Some((x + k as f64 * 0.001, y)),
                measures: vec![10.0],
                ..AccountRow::default()
            });
        }
    }
    let lines: Vec<RoadLine> = [(0, 1), (1, 2), (2, 0)]
        .iter()
        .map(|&(a, b)| RoadLine {
            road_type: "Freeway".into(),
            coords: vec![towns[a], towns[b]],
        })
        .collect();
    let net = Network::from_lines(&lines, &SpeedTable::default());
    let router = Router::new(Some(Arc::new(net)), &p.travel);
    let ws = Workspace::new(p);
    let m = ws.metrics();
    // 300 hours at 300 a rep: one home.
    let gc = capacity(ws.project(), &m, "Hours", 300.0).unwrap();
    let dt =
        capacity_by_drive(ws.project(), &m, "Hours", 300.0, &router, &Progress::new()).unwrap();
    assert_eq!((gc.reps_needed, dt.reps_needed), (1, 1));
    assert!(dt.drive_time && !gc.drive_time);
    let (g, d) = (&gc.homes[0], &dt.homes[0]);
    // The great-circle home is inside the triangle, off every road.
    assert!(
        g.lat > 0.1 && g.lat < 0.6 && (g.lon - 0.5).abs() < 0.1,
        "{g:?}"
    );
    let at_town = towns
        .iter()
        .any(|&(x, y)| (d.lon - x).abs() < 0.02 && (d.lat - y).abs() < 0.02);
    assert!(at_town, "drive-time home {d:?}");
    // Mean drive minutes from each home, measured with the same router.
    let a = &ws.project().accounts;
    let mean_minutes = |home: (f64, f64)| {
        let tree = router.tree(home, u64::MAX);
        let all: f64 = a
            .live()
            .map(|i| {
                let to = (a.lon[i], a.lat[i]);
                router
                    .trip_from(&tree, to, router.snap(to).as_ref())
                    .minutes
            })
            .sum();
        all / a.live().count() as f64
    };
    let from_gc = mean_minutes((g.lon, g.lat));
    let from_dt = mean_minutes((d.lon, d.lat));
    assert!(from_dt < from_gc, "{from_dt} vs {from_gc}");
    let reported = d.mean_minutes.unwrap();
    assert!((reported - from_dt).abs() < 1e-6, "{reported} vs {from_dt}");
    // The CLI refuses --drive-time when the plan has road travel off.
    let dir = tempfile::tempdir().unwrap();
    let mut p = ws.project().clone();
    p.travel.roads = false;
    let plan = dir.path().join("off.turf");
    Workspace::new(p).save_as(&plan).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(["capacity", plan.to_str().unwrap(), "--per-rep", "300"])
        .arg("--drive-time")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("road travel"), "{e}");
}

/// Colour by penetration is offered once the quota settings name an
/// actual measure (the potential is the "Potential" column), and orders
/// territories by actual ÷ potential.
#[test]
fn map_colours_by_market_penetration_with_a_legend() {
    use turfmap::core::colorby::{ColorBy, SEQUENTIAL, coloring};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    assert!(!ColorBy::choices(ws.project()).contains(&ColorBy::Penetration));
    let err = ColorBy::parse("penetration", ws.project()).unwrap_err();
    assert!(err.to_string().contains("--actual"), "{err}");
    let edit = top_down(ws.project(), &ws.metrics(), settings(&ws, 1000.0)).unwrap();
    ws.apply(edit).unwrap();
    assert!(ColorBy::choices(ws.project()).contains(&ColorBy::Penetration));
    assert_eq!(
        ColorBy::parse("Penetration", ws.project()).unwrap(),
        ColorBy::Penetration
    );
    let m = ws.metrics();
    let c = coloring(ws.project(), &m, &ColorBy::Penetration);
    // East closed 400 of 4,000 (10%), West 300 of 6,100 (4.9%), Pacific
    // with West 399 of 16,000 (2.5%).
    let class = |n: &str| {
        let fill = c.fill(id(&ws, n).0);
        SEQUENTIAL.iter().position(|s| *s == fill).unwrap()
    };
    assert!(class("East") > class("West"), "{c:?}");
    assert!(class("West") > class("Pacific"), "{c:?}");
    assert!(
        c.legend.title.contains("Closed ÷ Potential"),
        "{}",
        c.legend.title
    );
    assert!(!c.legend.entries.is_empty());
    assert!(c.legend.entries.iter().all(|e| e.label.ends_with('%')));
    // The map image takes it from the CLI too.
    let plan = dir.path().join("pen.turf");
    ws.save_as(&plan).unwrap();
    let svg = dir.path().join("pen.svg");
    let (p, s) = (plan.to_str().unwrap(), svg.to_str().unwrap());
    turfmap(&["export-map", p, "--out", s, "--color-by", "penetration"]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Market penetration"), "legend in the image");
}

/// The activity column stored with `turfmap coverage --save` fills the
/// neglected counts every metrics consumer sees; `--activity none` forgets.
#[test]
fn saved_activity_column_fills_neglected_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    let plan = dir.path().join("act.turf");
    ws.save_as(&plan).unwrap();
    let p = plan.to_str().unwrap();
    assert_eq!(ws.metrics().neglected, None);
    let bad = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(["coverage", p, "--activity", "visits", "--save"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert_eq!(
        Workspace::open(&plan).unwrap().project().settings.activity,
        None
    );
    turfmap(&["coverage", p, "--activity", "closed", "--save"]);
    let ws = Workspace::open(&plan).unwrap();
    assert_eq!(ws.project().settings.activity.as_deref(), Some("Closed"));
    let m = ws.metrics();
    let n = |name: &str| {
        m.territories
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .neglected
    };
    // A6 (West, under Pacific) closed nothing.
    assert_eq!(
        (n("West"), n("Pacific"), n("East")),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(m.neglected, Some(1));
    // The saved column is the default of the verb, and in metrics --json.
    let out = turfmap(&["coverage", p]);
    assert!(out.contains("Closed") && out.contains("25.0%"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&turfmap(&["metrics", p, "--json"])).unwrap();
    assert_eq!(json["neglected"], 1);
    turfmap(&["coverage", p, "--activity", "none", "--save"]);
    assert_eq!(Workspace::open(&plan).unwrap().metrics().neglected, None);
}

/// Cells of the HTML report's territory table: headers, and each row by
/// territory name.
fn report_table(html: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let strip = |s: &str| {
        let mut out = String::new();
        let mut tag = false;
        for c in s.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out
    };
    let table = &html[html.find("id=\"territory-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let head = &table[..table.find("</thead>").unwrap()];
    let mut heads: Vec<String> = head
        .split("</th>")
        .map(|c| strip(c).trim().to_owned())
        .collect();
    heads.pop(); // after the last header cell
    let mut rows = HashMap::new();
    for row in table.split("<tr>").skip(2) {
        let cells: Vec<String> = row
            .split("<td")
            .skip(1)
            .map(|c| strip(&format!("<td{c}")).trim().to_owned())
            .collect();
        if let Some(name) = cells.first() {
            rows.insert(name.clone(), cells);
        }
    }
    (heads, rows)
}

fn amount(s: &str) -> f64 {
    s.replace(',', "").trim_end_matches('%').parse().unwrap()
}

#[test]
fn quotas_reach_the_report_the_territory_files_and_the_summary_csv() {
    use turfmap::core::report::{ReportOptions, report_html};
    let dir = tempfile::tempdir().unwrap();
    let mut ws = quota_plan(dir.path());
    let edit = top_down(ws.project(), &ws.metrics(), settings(&ws, 1_000_001.0)).unwrap();
    ws.apply(edit).unwrap();
    let mut s = ws.project().settings.clone();
    s.activity = Some("Closed".into());
    ws.apply(Edit::SetSettings {
        settings: Box::new(s),
    })
    .unwrap();
    // The report's territory table.
    let html = report_html(
        &ws,
        &ReportOptions::default(),
        turfmap::core::basemap::BasemapData::bundled(),
    );
    let (heads, rows) = report_table(&html);
    let col = |h: &str| {
        heads
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("{h} in {heads:?}"))
    };
    let cell = |t: &str, h: &str| rows[t][col(h)].clone();
    assert_eq!(amount(&cell("West", "Quota")), 305_000.0);
    assert_eq!(amount(&cell("Pacific", "Quota")), 800_001.0, "rolled up");
    assert_eq!(amount(&cell("West", "Actual (Closed)")), 300.0);
    assert_eq!(cell("West", "Attainment"), "0.1%");
    assert_eq!(amount(&cell("West", "White space")), 5_800.0);
    assert_eq!(amount(&cell("East", "Penetration")), 10.0);
    assert_eq!(amount(&cell("West", "Neglected")), 1.0);
    assert_eq!(amount(&cell("Total", "Quota")), 1_000_001.0);
    assert!(
        html.contains("<div class=\"k\">Attainment</div>"),
        "plan card"
    );
    // The PDF report is built with the two quota columns.
    let pdf = turfmap::core::report::report_pdf(
        &ws,
        &ReportOptions::default(),
        turfmap::core::basemap::BasemapData::bundled(),
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // GeoJSON and KML territories carry the (rolled-up) quota.
    let fc = turfmap::core::export::territories_to_geojson(ws.project());
    let quota = |name: &str| {
        fc.features
            .iter()
            .find(|f| f.property("name").and_then(|v| v.as_str()) == Some(name))
            .and_then(|f| f.property("quota"))
            .and_then(|v| v.as_f64())
    };
    assert_eq!(quota("West"), Some(305_000.0));
    assert_eq!(quota("Pacific"), Some(800_001.0));
    let mut kml = Vec::new();
    turfmap::core::import::write_territories_kml(&mut kml, ws.project()).unwrap();
    let kml = String::from_utf8(kml).unwrap();
    let east = &kml[kml.find("<name>East</name>").unwrap()..];
    let east = &east[..east.find("</Placemark>").unwrap()];
    assert!(
        east.contains("<Data name=\"quota\"><value>200000</value></Data>"),
        "{east}"
    );
    // The territory summary CSV of `turfmap metrics --csv`.
    let plan = dir.path().join("q.turf");
    ws.save_as(&plan).unwrap();
    let out = dir.path().join("summary.csv");
    turfmap(&[
        "metrics",
        plan.to_str().unwrap(),
        "--csv",
        out.to_str().unwrap(),
    ]);
    let mut r = csv::Reader::from_path(&out).unwrap();
    let head = r.headers().unwrap().clone();
    let at = |h: &str| head.iter().position(|x| x == h).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let west = rows.iter().find(|r| &r[at("name")] == "West").unwrap();
    assert_eq!(west[at("parent")].to_string(), "Pacific");
    assert_eq!(west[at("quota")].parse::<f64>().unwrap(), 305_000.0);
    assert_eq!(west[at("actual")].parse::<f64>().unwrap(), 300.0);
    let att: f64 = west[at("attainment_pct")].parse().unwrap();
    assert!((att - 300.0 / 305_000.0 * 100.0).abs() < 0.01, "{att}");
    assert_eq!(west[at("neglected")].to_string(), "1");
    let quotas: f64 = rows
        .iter()
        .filter(|r| r[at("parent")].is_empty())
        .map(|r| r[at("quota")].parse::<f64>().unwrap())
        .sum();
    assert_eq!(quotas, 1_000_001.0, "top-level rows add up to the total");
}
