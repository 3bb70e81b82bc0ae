//! The CLI as a user runs it: the real binary on real files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn turfmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .expect("run turfmap")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/sample")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs turfmap, which must succeed, and returns its standard output.
fn ok(args: &[&str]) -> String {
    let o = turfmap(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

fn new_sample_plan(dir: &Path) -> PathBuf {
    let plan = dir.join("plan.turf");
    let o = turfmap(&[
        "new",
        s(&plan),
        "--accounts",
        s(&sample("accounts.csv")),
        "--territories",
        s(&sample("territories.geojson")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    plan
}

#[test]
fn new_then_assign_lists_every_account_in_import_order() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let o = turfmap(&["assign", s(&plan)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("account_id,territory"));
    let rows: Vec<(String, String)> = lines
        .map(|l| {
            let (a, t) = l.split_once(',').unwrap();
            (a.to_owned(), t.to_owned())
        })
        .collect();
    // Same ids, same order as the CSV.
    let mut rdr = csv::Reader::from_path(sample("accounts.csv")).unwrap();
    let ids: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), ids);
    // Unlocated accounts are exactly the unassigned ones in the sample.
    let empty = rows.iter().filter(|r| r.1.is_empty()).count();
    let m = turfmap(&["metrics", s(&plan), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    assert_eq!(
        json["unassigned"]["count"].as_u64().unwrap() as usize,
        empty
    );
    assert!(empty > 0 && empty < rows.len() / 50);
}

#[test]
fn assign_out_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let out = dir.path().join("assignment.csv");
    let o = turfmap(&["assign", s(&plan), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 5001);
}

#[test]
fn metrics_json_is_consistent_and_measure_can_be_switched() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let o = turfmap(&["metrics", s(&plan), "--json", "--measure", "AnnualRevenue"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["balance_measure"], "AnnualRevenue");
    let ts = m["territories"].as_array().unwrap();
    assert_eq!(ts.len(), 12);
    let counts: u64 = ts
        .iter()
        .map(|t| t["group"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counts + m["unassigned"]["count"].as_u64().unwrap(), 5000);
    let mean = m["mean"].as_f64().unwrap();
    for t in ts {
        let v = t["balance_value"].as_f64().unwrap();
        let dev = t["deviation_pct"].as_f64().unwrap();
        assert!(((v - mean) / mean * 100.0 - dev).abs() < 1e-6);
        assert!(t["area_km2"].as_f64().unwrap() > 1000.0);
        let c = t["compactness"].as_f64().unwrap();
        assert!(c > 0.0 && c <= 1.0);
    }
    let o = turfmap(&["metrics", s(&plan), "--measure", "nope"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no measure called 'nope'"),
        "{}",
        stderr(&o)
    );
    // The table form names every territory.
    let o = turfmap(&["metrics", s(&plan)]);
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.contains("Balance on count") && table.contains("California"));
}

#[test]
fn bad_csv_row_names_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Revenue\n1,A,40,-100,10\n2,B,41,-101\n",
    )
    .unwrap();
    let plan = dir.path().join("bad.turf");
    let o = turfmap(&["new", s(&plan), "--accounts", s(&csv)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one-line error: {err}");
    assert!(!plan.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files left"
    );
}

#[test]
fn import_territories_replaces_by_name_and_adds_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Revenue\n1,A,0.5,0.5,10\n2,B,0.5,1.5,20\n3,C,0.5,2.5,5\n",
    )
    .unwrap();
    let plan = dir.path().join("p.turf");
    assert!(
        turfmap(&["new", s(&plan), "--accounts", s(&csv)])
            .status
            .success()
    );
    let gj = |features: &str| format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#);
    let sq = |name: &str, x0: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"region":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},0],[{x1},0],[{x1},1],[{x0},1],[{x0},0]]]}}}}"#,
            x1 = x0 + 1.0
        )
    };
    let t1 = dir.path().join("t1.geojson");
    std::fs::write(&t1, gj(&[sq("West", 0.0), sq("East", 1.0)].join(","))).unwrap();
    let o = turfmap(&[
        "import-territories",
        s(&plan),
        s(&t1),
        "--name-prop",
        "region",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let assign = |plan: &Path| String::from_utf8(turfmap(&["assign", s(plan)]).stdout).unwrap();
    assert_eq!(assign(&plan), "account_id,territory\n1,West\n2,East\n3,\n");
    // Re-import: East grows to cover account 3.
    let t2 = dir.path().join("t2.geojson");
    let wide = sq("East", 1.0).replace("[2,0],[2,1]", "[3,0],[3,1]");
    std::fs::write(&t2, gj(&wide)).unwrap();
    let o = turfmap(&[
        "import-territories",
        s(&plan),
        s(&t2),
        "--name-prop",
        "region",
    ]);
    assert!(
        stderr(&o).contains("0 territories added, 1 replaced"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        assign(&plan),
        "account_id,territory\n1,West\n2,East\n3,East\n"
    );
}

#[test]
fn project_from_a_newer_version_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("future.turf");
    let text = std::fs::read_to_string(sample("sample.turf")).unwrap();
    std::fs::write(&plan, text.replacen("version: 1", "version: 7", 1)).unwrap();
    let o = turfmap(&["assign", s(&plan)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("future.turf") && err.contains("version 7"),
        "{err}"
    );
}

#[test]
fn bundled_sample_plan_matches_its_sources() {
    // The committed sample.turf is what `turfmap new` makes of the CSV and
    // GeoJSON beside it (regenerate it with the README's command if not).
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let fresh = String::from_utf8(turfmap(&["assign", s(&plan)]).stdout).unwrap();
    let bundled =
        String::from_utf8(turfmap(&["assign", s(&sample("sample.turf"))]).stdout).unwrap();
    assert_eq!(fresh, bundled);
}

#[test]
fn balance_saves_a_better_balanced_proposal() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let out = dir.path().join("balanced.turf");
    let o = turfmap(&[
        "balance",
        s(&plan),
        "--measure",
        "count",
        "--lock",
        "Texas",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let cv = |prefix: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        line.split("CV ")
            .nth(1)
            .unwrap()
            .split('%')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(cv("after:") < cv("before:") / 2.0, "{text}");
    assert!(text.contains("all contiguous"), "{text}");
    // The default limit on how far a load centre moves, and how far one did.
    assert!(
        text.lines()
            .any(|l| l.starts_with("centre: load centres moved at most") && l.contains("limit")),
        "{text}"
    );
    let metrics = |p: &Path| -> serde_json::Value {
        serde_json::from_slice(&turfmap(&["metrics", s(p), "--json"]).stdout).unwrap()
    };
    let (before, after) = (metrics(&plan), metrics(&out));
    assert_eq!(before["total"]["count"], after["total"]["count"]);
    // The locked territory keeps its accounts.
    let texas = |m: &serde_json::Value| {
        m["territories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Texas")
            .unwrap()["group"]["count"]
            .clone()
    };
    assert_eq!(texas(&before), texas(&after));
    // A held limit is kept even where it costs the tolerance.
    let o = turfmap(&[
        "balance",
        s(&plan),
        "--measure",
        "count",
        "--centre-limit",
        "50",
        "--hold-centre-limit",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let centre = text.lines().find(|l| l.starts_with("centre:")).unwrap();
    assert!(
        centre.contains("(limit 50 km;") && !centre.contains("widened"),
        "{text}"
    );
}

#[test]
fn salesforce_baseline_scenarios_rules_explain_diff_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sf.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Industry,Revenue,Territory,Owner\n\
         A1,One,40.0,-100.0,Healthcare,10,North,Ann\n\
         A2,Two,41.0,-101.0,Retail,20,North,Bo\n\
         A3,Three,42.0,-102.0,Healthcare,30,South,Bo\n",
    )
    .unwrap();
    let plan = dir.path().join("sf.turf");
    ok(&[
        "new",
        s(&plan),
        "--accounts",
        s(&csv),
        "--territory-col",
        "Territory",
        "--owner-col",
        "Owner",
    ]);
    let list = ok(&["scenario", s(&plan), "list"]);
    assert!(list.contains("* Baseline"), "{list}");
    ok(&["scenario", s(&plan), "clone", "Baseline", "Next"]);
    ok(&["scenario", s(&plan), "state", "Baseline", "archived"]);
    // The archived scenario is shown: edits are refused with the reason.
    let o = turfmap(&["rule", s(&plan), "South", "Industry = Healthcare"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("archived and read-only"),
        "{}",
        stderr(&o)
    );
    ok(&["scenario", s(&plan), "switch", "Next"]);
    // A type mismatch is a validation message, not a crash.
    let o = turfmap(&["rule", s(&plan), "South", "Industry > 5"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("'Industry' is a text field"),
        "{}",
        stderr(&o)
    );
    // A rule can only win for unpinned accounts, so check it on a new
    // territory's rule text (pins are exercised at the end).
    ok(&[
        "rule",
        s(&plan),
        "South",
        "Industry = Healthcare AND Revenue >= 10",
    ]);
    let shown = ok(&["rule", s(&plan), "South"]);
    assert_eq!(shown.trim(), "Industry = \"Healthcare\" AND Revenue >= 10");
    ok(&[
        "territory",
        s(&plan),
        "North",
        "--parent",
        "South",
        "--reps",
        "Ann,Cy",
    ]);
    let m = ok(&["metrics", s(&plan)]);
    assert!(m.contains("\n  North"), "{m}");
    let ex = ok(&["explain", s(&plan), "A1"]);
    assert!(ex.contains("Geographic: North: pinned by hand"), "{ex}");
    assert!(ex.contains("lost: rule of 'South'"), "{ex}");
    let reps = ok(&["reps", s(&plan)]);
    assert!(reps.contains("Cy") && reps.contains("North"), "{reps}");
    let changes = dir.path().join("changes.csv");
    let d = ok(&["diff", s(&plan), "Baseline", "Next", "--out", s(&changes)]);
    assert!(d.contains("0 account(s) change territory"), "{d}");
    let c = std::fs::read_to_string(&changes).unwrap();
    assert!(c.starts_with("account_id,name,type,from,to,"), "{c}");
    let out = dir.path().join("sf-export");
    ok(&[
        "export-salesforce",
        s(&plan),
        s(&out),
        "--scenario",
        "Baseline",
    ]);
    let north = out.join("territory2Models/sf_Baseline/territories/North.territory2-meta.xml");
    let t2 = std::fs::read_to_string(north).unwrap();
    assert!(
        t2.contains("<territory2Type>Geographic</territory2Type>"),
        "{t2}"
    );
    assert!(out.join("LOAD-STEPS.txt").exists());
    // After deploying, the org's Territory2 export gives the ids for the
    // account assignments, which read back as a third scenario.
    let ids = dir.path().join("Territory2.csv");
    std::fs::write(
        &ids,
        "Id,DeveloperName\n0MI000000000001AAA,North\n0MI000000000002AAA,South\n",
    )
    .unwrap();
    let o = turfmap(&[
        "export-salesforce",
        s(&plan),
        s(&out),
        "--scenario",
        "Baseline",
        "--territory-ids",
        s(&ids),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("3 account association(s)"),
        "{}",
        stderr(&o)
    );
    let assoc = std::fs::read_to_string(out.join("ObjectTerritory2Association.csv")).unwrap();
    assert!(
        assoc.contains("A1,0MI000000000001AAA,Territory2Manual"),
        "{assoc}"
    );
    ok(&[
        "import-salesforce",
        s(&plan),
        "--model",
        s(&out),
        "--territory-ids",
        s(&ids),
        "--scenario",
        "Again",
    ]);
    let d = ok(&["diff", s(&plan), "Baseline", "Again"]);
    assert!(d.contains("0 account(s) change territory"), "{d}");
    let o = turfmap(&["explain", s(&plan), "NOPE"]);
    assert!(
        stderr(&o).contains("no account with id 'NOPE'"),
        "{}",
        stderr(&o)
    );
    // Pins from the command line (scenario "Again" is shown): A2 moves
    // from North to South by hand, then loses its pin (no boundary and no
    // rule there, so it is unassigned).
    let out = ok(&["pin", s(&plan), "A2", "--to", "South"]);
    assert_eq!(out, "A2\tGeographic\tSouth\n");
    let ex = ok(&["explain", s(&plan), "A2"]);
    assert!(ex.contains("Geographic: South: pinned by hand"), "{ex}");
    let out = ok(&["pin", s(&plan), "A2", "A1", "--unpin"]);
    assert_eq!(
        out,
        "A2\tGeographic\t(unassigned)\nA1\tGeographic\t(unassigned)\n"
    );
    let o = turfmap(&["pin", s(&plan), "A9", "--to", "South"]);
    assert!(
        !o.status.success() && stderr(&o).contains("no account with id 'A9'"),
        "{}",
        stderr(&o)
    );
    let o = turfmap(&["pin", s(&plan), "A1", "--unpin", "--type", "Dental"]);
    assert!(
        stderr(&o).contains("no territory type called 'Dental'; the plan has: Geographic"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn territory_verb_renames_recolours_locks_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    ok(&[
        "territory",
        s(&plan),
        "Texas",
        "--rename",
        "Lone Star",
        "--color",
        "#112233",
        "--priority",
        "-2",
        "--lock",
    ]);
    let text = std::fs::read_to_string(&plan).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"Lone Star\""))
        .expect("renamed");
    assert!(line.contains("locked: true"), "{line}");
    assert!(line.contains("priority: -2"), "{line}");
    assert!(line.contains("(17, 34, 51)"), "{line}");
    // Locked: deleting is refused with the reason, and nothing changes.
    let o = turfmap(&["territory", s(&plan), "Lone Star", "--delete"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    ok(&["territory", s(&plan), "Lone Star", "--unlock"]);
    ok(&["territory", s(&plan), "Lone Star", "--delete"]);
    let m = ok(&["metrics", s(&plan)]);
    assert!(!m.contains("Lone Star") && !m.contains("Texas"), "{m}");
    // Bad input is named.
    let o = turfmap(&["territory", s(&plan), "Florida", "--color", "teal"]);
    assert!(
        stderr(&o).contains("colour 'teal' is not #rrggbb"),
        "{}",
        stderr(&o)
    );
    let o = turfmap(&["territory", s(&plan), "Florida"]);
    assert!(stderr(&o).contains("nothing to change"), "{}", stderr(&o));
}

/// `turfmap bench` (built with the `bench` feature, as tests are) runs on a
/// small plan: the incremental edit equals a full recompute and the saved
/// plan loads back whole.
#[test]
fn bench_verb_runs_on_a_small_plan() {
    let out = ok(&[
        "bench",
        "--accounts",
        "3000",
        "--territories",
        "12",
        "--reps",
        "2",
        "--no-travel",
    ]);
    assert!(out.contains("equals full recompute: yes"), "{out}");
    assert!(out.contains("(3000 accounts back"), "{out}");
    assert!(out.contains("(cache used"), "{out}");
    assert!(out.contains("boundary edit + live metrics"), "{out}");
}

#[test]
fn balance_prints_every_note_of_the_report() {
    // States as units cannot balance within ±0.5%: the CLI must say which
    // territories stay outside, by name.
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let out = dir.path().join("balanced.turf");
    let text = ok(&[
        "balance",
        s(&plan),
        "--units",
        "states",
        "--tolerance",
        "0.5",
        "--time-budget",
        "0.2",
        "--out",
        s(&out),
    ]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("note:") && l.contains("outside ±0.5% after the change")),
        "{text}"
    );
}

#[test]
fn one_shot_assign_matches_new_then_assign_and_writes_no_plan() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let via_plan = ok(&["assign", s(&plan)]);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("a.csv");
    let accounts = sample("accounts.csv");
    let territories = sample("territories.geojson");
    let o = turfmap(&[
        "assign",
        "--accounts",
        s(&accounts),
        "--territories",
        s(&territories),
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), via_plan);
    // The import report `new` prints comes with it, and nothing but the
    // output file is written.
    assert!(stderr(&o).contains("accounts.csv"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 1);
    // Standard output when --out is left out.
    let to_stdout = ok(&[
        "assign",
        "--accounts",
        s(&accounts),
        "--territories",
        s(&territories),
    ]);
    assert_eq!(to_stdout, via_plan);
}

#[test]
fn one_shot_assign_name_prop_and_columns_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("crm.csv");
    // Column names no detector knows: they must be named.
    std::fs::write(&csv, "Key;Y;X\nk1;0.5;0.5\nk2;0.5;1.5\nk3;5;5\n").unwrap();
    let geo = dir.path().join("t.geojson");
    std::fs::write(
        &geo,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"West"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"code":"East"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}"#,
    )
    .unwrap();
    let out = ok(&[
        "assign",
        "--accounts",
        s(&csv),
        "--territories",
        s(&geo),
        "--name-prop",
        "code",
        "--id-col",
        "Key",
        "--lat-col",
        "Y",
        "--lon-col",
        "X",
    ]);
    assert_eq!(out, "account_id,territory\nk1,West\nk2,East\nk3,\n");
}

#[test]
fn one_shot_assign_errors_are_those_of_new_and_harm_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Revenue\n1,A,40,-100,10\n2,B,41,-101\n",
    )
    .unwrap();
    let territories = sample("territories.geojson");
    let out = dir.path().join("a.csv");
    std::fs::write(&out, "previous\n").unwrap();
    let one_shot = |accounts: &Path, territories: &Path| {
        turfmap(&[
            "assign",
            "--accounts",
            s(accounts),
            "--territories",
            s(territories),
            "--out",
            s(&out),
        ])
    };
    // A bad row: the same one-line error as `new`, the old output kept.
    let o = one_shot(&csv, &territories);
    assert!(!o.status.success());
    let plan = dir.path().join("p.turf");
    let new = turfmap(&[
        "new",
        s(&plan),
        "--accounts",
        s(&csv),
        "--territories",
        s(&territories),
    ]);
    assert!(!new.status.success());
    assert!(stderr(&o).contains("bad.csv:3"), "{}", stderr(&o));
    assert_eq!(stderr(&o), stderr(&new));
    // A missing boundary file is named.
    let missing = dir.path().join("nowhere.geojson");
    let o = one_shot(&sample("accounts.csv"), &missing);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nowhere.geojson"), "{}", stderr(&o));
    // Broken boundaries: the same error as `new` gives.
    let broken = dir.path().join("broken.geojson");
    std::fs::write(&broken, "{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    let o = one_shot(&sample("accounts.csv"), &broken);
    assert!(!o.status.success());
    let new = turfmap(&[
        "new",
        s(&plan),
        "--accounts",
        s(&sample("accounts.csv")),
        "--territories",
        s(&broken),
    ]);
    assert!(!new.status.success());
    assert!(stderr(&o).contains("broken.geojson"), "{}", stderr(&o));
    assert_eq!(stderr(&o), stderr(&new));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
    assert!(!plan.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        3,
        "no temp files left"
    );
}

#[test]
fn assign_refuses_mixed_or_incomplete_sources() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_sample_plan(dir.path());
    let accounts = sample("accounts.csv");
    let territories = sample("territories.geojson");
    let refused = |args: &[&str], needle: &str| {
        let o = turfmap(args);
        assert!(!o.status.success(), "{args:?} accepted");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    };
    refused(&["assign"], "PLAN");
    refused(&["assign", "--accounts", s(&accounts)], "--territories");
    refused(&["assign", "--territories", s(&territories)], "--accounts");
    refused(
        &[
            "assign",
            s(&plan),
            "--accounts",
            s(&accounts),
            "--territories",
            s(&territories),
        ],
        "--accounts",
    );
    refused(&["assign", s(&plan), "--id-col", "Id"], "--id-col");
    refused(&["assign", s(&plan), "--name-prop", "code"], "--name-prop");
}

#[test]
fn column_kind_options_read_measures_text_and_ignored_columns_as_told() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Code,Notes,Revenue\n1,A,40,-100,007,x,10\n2,B,41,-101,12,y,n/a\n3,C,42,-102,13,z,none yet\n",
    )
    .unwrap();
    let plan = dir.path().join("p.turf");
    let new = |extra: &[&str]| {
        let mut args = vec!["new", s(&plan), "--accounts", s(&csv), "--force"];
        args.extend_from_slice(extra);
        turfmap(&args)
    };
    // Text in a column read as a measure names its line and column.
    let o = new(&["--measure-col", "Revenue,Notes"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(":2") && err.contains("'Notes'") && err.contains("'x' is not a number"),
        "{err}"
    );
    let o = new(&[
        "--text-col",
        "Code",
        "--ignore-col",
        "Notes",
        "--measure-col",
        "Revenue",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("'none yet' is not a number"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Code,Notes,Revenue\n1,A,40,-100,12,x,10\n2,B,41,-101,13,y,n/a\n",
    )
    .unwrap();
    let o = new(&[
        "--text-col",
        "Code",
        "--ignore-col",
        "Notes",
        "--id-col",
        "#row",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = turfmap::core::project_file::load(&plan).unwrap();
    assert_eq!(p.accounts.attribute_index("Code").map(|_| ()), Some(()));
    assert!(
        p.accounts.attribute_index("Notes").is_none()
            && p.accounts.measure_index("Notes").is_none()
    );
    assert!(p.accounts.measure_index("Revenue").is_some());
    // '#row' numbers the rows even though a column is called Id.
    assert_eq!(&p.accounts.ids[..], ["1", "2"]);
    assert!(p.settings.row_number_ids);
    assert!(
        p.accounts.measure_index("Id").is_some(),
        "the Id column is kept as data"
    );
}
