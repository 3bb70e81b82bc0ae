//! Real data in: files as planners bring them (airport lists without an
//! `Id` column, spreadsheets, boundaries named by `STATE_NAME`), through the
//! core import and through the CLI binary.

use std::io::{BufRead, BufReader};

use geo::polygon;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use turfmap::core::import::{AccountImportOptions, import_accounts, territories_named};
use turfmap::core::progress::Progress;

fn turfmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .expect("run turfmap")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

/// Airports as a public list has them: `iata` is the only id.
const AIRPORTS: &str = "iata,name,city,state,country,latitude,longitude\n\
    BOS,Logan International,Boston,MA,USA,42.3656,-71.0096\n\
    ORD,O'Hare International,Chicago,IL,USA,41.9742,-87.9073\n\
    MDW,Midway International,Chicago,IL,USA,41.7868,-87.7522\n";

/// Two square "states" named by `STATE_NAME`, with a `STATE_FIPS` code.
fn states_geojson(name_key: &str) -> String {
    let feature = |name: &str, fips: &str, x: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"{name_key}":"{name}","STATE_FIPS":"{fips}"}},
            "geometry":{{"type":"Polygon","coordinates":[[[{x},40],[{},40],[{},45],[{x},45],[{x},40]]]}}}}"#,
            x + 10.0,
            x + 10.0
        )
    };
    format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        feature("Illinois", "17", -92.0),
        feature("Massachusetts", "25", -75.0)
    )
}

#[test]
fn no_id_column_stops_and_lists_candidates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = write(dir.path(), "airports.csv", AIRPORTS);
    let plan = dir.path().join("a.turf");
    let o = turfmap(&["new", s(&plan), "--accounts", s(&csv)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    // `iata` (id-like) first, then the other unique column; `city` repeats.
    assert!(
        err.contains("unique, non-empty values: iata, name"),
        "{err}"
    );
    assert!(err.contains("--id-col") && !plan.exists(), "{err}");

    let o = turfmap(&["new", s(&plan), "--accounts", s(&csv), "--id-col", "iata"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = turfmap(&["assign", s(&plan)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().nth(1).is_some_and(|l| l.starts_with("BOS,")),
        "{text}"
    );
    let saved = std::fs::read_to_string(&plan).expect("plan");
    assert!(!saved.contains("row_number_ids"), "{saved}");

    let o = turfmap(&[
        "new",
        s(&plan),
        "--force",
        "--accounts",
        s(&csv),
        "--id-col",
        "#row",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let saved = std::fs::read_to_string(&plan).expect("plan");
    assert!(saved.contains("row_number_ids: true"), "{saved}");
}

#[test]
fn no_location_column_is_an_error_listing_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = write(dir.path(), "a.csv", "Id,Name,Revenue\n1,a,10\n2,b,20\n");
    let plan = dir.path().join("a.turf");
    let o = turfmap(&["new", s(&plan), "--accounts", s(&csv)]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("no location column"), "{err}");
    assert!(err.contains("the header has: Id, Name, Revenue"), "{err}");
    assert!(!plan.exists());
}

fn check_workbook(acc: &turfmap::core::model::Accounts) {
    assert_eq!(acc.ids, ["A-100", "A-101", "A-102"]);
    assert_eq!(acc.names[1], "Bay Tools");
    assert!((acc.lat[0] - 40.7128).abs() < 1e-9 && (acc.lon[1] + 122.4194).abs() < 1e-9);
    let measure = |name: &str| {
        acc.measures
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.values.clone())
            .unwrap_or_else(|| panic!("no measure {name}"))
    };
    assert_eq!(measure("Revenue"), [1200.0, 800.5, 950.0]);
    // The formula's value as last computed and saved.
    assert_eq!(measure("Double"), [2400.0, 1601.0, 1900.0]);
    let signed = acc.attribute_index("Signed").expect("date column is text");
    assert_eq!(acc.attributes[signed].get(0), "2024-03-31");
    assert_eq!(acc.attributes[signed].get(2), "2023-01-01");
}

#[test]
fn xlsx_and_ods_read_like_csv() {
    for file in ["accounts.xlsx", "accounts.ods"] {
        let (acc, report) = import_accounts(
            &data(file),
            &AccountImportOptions::default(),
            &Progress::new(),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        check_workbook(&acc);
        assert_eq!(report.by_coordinates, 3, "{file}");
    }
}

#[test]
fn xlsx_sheets_are_chosen_and_detected_the_same_way() {
    let opts = |sheet: &str| AccountImportOptions {
        sheet: Some(sheet.into()),
        ..AccountImportOptions::default()
    };
    let err = import_accounts(&data("accounts.xlsx"), &opts("Airports"), &Progress::new())
        .expect_err("no id column")
        .to_string();
    assert!(
        err.contains("no account id column") && err.contains(": iata, name"),
        "{err}"
    );
    let err = import_accounts(&data("accounts.xlsx"), &opts("Nope"), &Progress::new())
        .expect_err("no such sheet")
        .to_string();
    assert!(err.contains("the sheets are: Accounts, Airports"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("x.turf");
    let xlsx = data("accounts.xlsx");
    let o = turfmap(&[
        "new",
        s(&plan),
        "--accounts",
        s(&xlsx),
        "--sheet",
        "Airports",
        "--id-col",
        "iata",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("Created") && stderr(&o).contains(": 2 accounts, 0 territories"));
}

#[test]
fn territory_names_come_from_a_property_the_file_has() {
    let dir = tempfile::tempdir().expect("tempdir");
    let states = write(dir.path(), "states.geojson", &states_geojson("STATE_NAME"));
    let (t, report) = territories_named(&states, None).expect("STATE_NAME found");
    assert_eq!(
        t.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Illinois", "Massachusetts"]
    );
    assert_eq!(report.named_by.as_deref(), Some("STATE_NAME"));

    let err = territories_named(&states, Some("STATE_NAM"))
        .expect_err("typo")
        .to_string();
    assert!(
        err.contains("no feature has a 'STATE_NAM' property"),
        "{err}"
    );
    assert!(
        err.contains("STATE_NAME (Illinois, Massachusetts)"),
        "{err}"
    );
    assert!(err.contains("STATE_FIPS (17, 25)"), "{err}");

    // No property reads like a name: ask, listing what there is.
    let coded = write(dir.path(), "coded.geojson", &states_geojson("REGION"));
    let err = territories_named(&coded, None)
        .expect_err("ask")
        .to_string();
    assert!(
        err.contains("--name-prop") && err.contains("REGION (Illinois"),
        "{err}"
    );

    // The CLI says the same, and exits with an error.
    let csv = write(dir.path(), "airports.csv", AIRPORTS);
    let plan = dir.path().join("p.turf");
    let args = |prop: &'static str| {
        let mut v = vec![
            "new".to_owned(),
            s(&plan).to_owned(),
            "--accounts".into(),
            s(&csv).to_owned(),
            "--id-col".into(),
            "iata".into(),
            "--territories".into(),
            s(&states).to_owned(),
        ];
        if !prop.is_empty() {
            v.extend(["--name-prop".to_owned(), prop.to_owned()]);
        }
        v
    };
    let run = |v: Vec<String>| turfmap(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(args("nmae"));
    assert!(!o.status.success() && stderr(&o).contains("STATE_NAME (Illinois"));
    let o = run(args(""));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("territories named by 'STATE_NAME'"), "{err}");
    assert!(
        err.contains("3 accounts, 2 territories, 0 unassigned"),
        "{err}"
    );
}

#[test]
fn kml_extended_data_name_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kml = write(
        dir.path(),
        "t.kml",
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
        <Placemark><ExtendedData><Data name="district"><value>North</value></Data></ExtendedData>
        <Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
        </Document></kml>"#,
    );
    let err = territories_named(&kml, Some("distrct"))
        .expect_err("typo")
        .to_string();
    assert!(err.contains("district (North)"), "{err}");
    let (t, _) = territories_named(&kml, Some("district")).expect("named");
    assert_eq!(t[0].name, "North");
}

#[test]
fn a_boundaries_file_is_not_accounts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let states = write(dir.path(), "states.geojson", &states_geojson("NAME"));
    let renamed = write(dir.path(), "states.txt", &states_geojson("NAME"));
    for f in [&states, &renamed] {
        let o = turfmap(&["new", s(&dir.path().join("p.turf")), "--accounts", s(f)]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(err.contains("not an accounts table"), "{err}");
    }
}

#[test]
fn counts_agree_in_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = write(dir.path(), "one.csv", "Id,Latitude,Longitude\nA,40,-75\n");
    let plan = dir.path().join("one.turf");
    let o = turfmap(&["new", s(&plan), "--accounts", s(&csv)]);
    let err = stderr(&o);
    assert!(
        err.contains(": 1 account, 0 territories, 1 unassigned."),
        "{err}"
    );
    assert!(err.contains("1 account:"), "{err}");
    let m = String::from_utf8_lossy(&turfmap(&["metrics", s(&plan)]).stdout).into_owned();
    assert!(
        m.contains("Unassigned: 1 account") && !m.contains("1 accounts"),
        "{m}"
    );
}

#[test]
fn assign_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Enough rows to overflow any pipe buffer.
    let mut text = String::from("Id,Latitude,Longitude\n");
    for i in 0..20_000 {
        text.push_str(&format!("ACCOUNT-{i:08},40.{i},-75.{i}\n"));
    }
    let csv = write(dir.path(), "many.csv", &text);
    let plan = dir.path().join("many.turf");
    assert!(
        turfmap(&["new", s(&plan), "--accounts", s(&csv)])
            .status
            .success()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(["assign", s(&plan)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read a line");
    // The reader (like `head -1`) is gone now.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(first, "account_id,territory\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// One square territory "Florida" (lon -85..-80, lat 25..30) and accounts
/// inside it, 0.1° east of its edge at 28°N (9.8 km) and far away.
fn florida_plan(dir: &Path, extra: &[&str]) -> PathBuf {
    let geo = write(
        dir,
        "fl.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Florida"},
        "geometry":{"type":"Polygon","coordinates":[[[-85,25],[-80,25],[-80,30],[-85,30],[-85,25]]]}}]}"#,
    );
    let csv = write(
        dir,
        "acc.csv",
        "Id,Latitude,Longitude\nIN,27,-82\nNEAR,28,-79.9\nFAR,28,-70\n",
    );
    let plan = dir.join("fl.turf");
    let mut args = vec![
        "new",
        s(&plan),
        "--accounts",
        s(&csv),
        "--territories",
        s(&geo),
    ];
    args.extend_from_slice(extra);
    let o = turfmap(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    plan
}

fn territory_of(plan: &Path, id: &str) -> String {
    let out = String::from_utf8_lossy(&turfmap(&["assign", s(plan)]).stdout).into_owned();
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{id},")).map(str::to_owned))
        .unwrap_or_else(|| panic!("{id} not in {out}"))
}

#[test]
fn nearest_territory_within_the_plan_distance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = florida_plan(dir.path(), &[]);
    // Off by default.
    assert_eq!(territory_of(&plan, "NEAR"), "");
    let o = turfmap(&["settings", s(&plan), "--nearest-km", "20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(shown.contains("nearest territory: within 20 km"), "{shown}");
    assert!(shown.contains("unassigned: 1 account\n"), "{shown}");
    assert_eq!(territory_of(&plan, "NEAR"), "Florida");
    assert_eq!(territory_of(&plan, "FAR"), "");
    assert_eq!(territory_of(&plan, "IN"), "Florida");
    let why = String::from_utf8_lossy(&turfmap(&["explain", s(&plan), "NEAR"]).stdout).into_owned();
    // 0.1° of longitude at 28°N on the ellipsoid.
    assert!(why.contains("nearest: 9.8 km outside Florida"), "{why}");
    // Closer than the account: off again; 0 turns it off.
    turfmap(&["settings", s(&plan), "--nearest-km", "9"]);
    assert_eq!(territory_of(&plan, "NEAR"), "");
    let o = turfmap(&["settings", s(&plan), "--nearest-km", "-1"]);
    assert!(!o.status.success());
    let plan = florida_plan(dir.path(), &["--force", "--nearest-km", "10"]);
    assert_eq!(territory_of(&plan, "NEAR"), "Florida");
    turfmap(&["settings", s(&plan), "--nearest-km", "0"]);
    assert_eq!(territory_of(&plan, "NEAR"), "");
}

#[test]
fn nearest_setting_is_an_edit_that_undoes() {
    use turfmap::core::Workspace;
    use turfmap::core::edit::Edit;
    use turfmap::core::engine::Reason;
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = florida_plan(dir.path(), &[]);
    let mut ws = Workspace::open(&plan).expect("open");
    let near = ws
        .project()
        .accounts
        .ids
        .iter()
        .position(|i| i == "NEAR")
        .expect("NEAR");
    let mut settings = ws.project().settings.clone();
    settings.nearest_km = 70.0;
    ws.apply(Edit::SetSettings {
        settings: Box::new(settings),
    })
    .expect("apply");
    assert_eq!(ws.engine().reason(near), Reason::Nearest);
    assert_eq!(ws.metrics().unassigned.count, 1);
    // The edge moved 0.5° west (59 km away) keeps it; 1° west (108 km) drops it.
    let fl = ws
        .project()
        .territory_by_name("Florida")
        .expect("Florida")
        .id;
    let square = |east: f64| {
        geo::MultiPolygon(vec![polygon![
            (x: -85.0, y: 25.0), (x: east, y: 25.0), (x: east, y: 30.0), (x: -85.0, y: 30.0)
        ]])
    };
    ws.apply(Edit::SetGeometry {
        id: fl,
        geometry: square(-80.5),
    })
    .expect("reshape");
    assert_eq!(ws.engine().territory_of(near), Some(fl));
    ws.apply(Edit::SetGeometry {
        id: fl,
        geometry: square(-81.0),
    })
    .expect("reshape");
    assert_eq!(ws.engine().territory_of(near), None);
    ws.undo().expect("undo");
    ws.undo().expect("undo");
    ws.undo().expect("undo");
    assert_eq!(ws.engine().reason(near), Reason::Unassigned);
    assert_eq!(ws.project().settings.nearest_km, 0.0);
}
