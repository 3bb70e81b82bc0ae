//! The planning loop after the map, on a hand-made plan: refreshing the
//! accounts from a new export, quotas top-down and bottom-up, attainment.
#![allow(clippy::unwrap_used)]

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
