//! Hardening: nothing lost, nothing overwritten that should not be, no
//! spreadsheet injection, no unbounded allocation from a crafted file.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::Write;
use std::path::Path;

use geo::{MultiPolygon, polygon};
use turfmap::core::csvsafe::CsvCells;
use turfmap::core::edit::Edit;
use turfmap::core::model::{AccountRow, Accounts, LocationSource, Project};
use turfmap::core::progress::Progress;
use turfmap::core::workspace::SaveOptions;
use turfmap::core::{Error, Workspace, project_file, salesforce, scenario};

fn sq(x0: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: 0.0), (x: x0 + s, y: 0.0), (x: x0 + s, y: s), (x: x0, y: s)
    ]])
}

fn plan(revenues: &[f64]) -> Project {
    let mut p = Project::new("Hardening");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &["Owner".into()]);
    for (i, &r) in revenues.iter().enumerate() {
        p.accounts.push(&AccountRow {
            id: format!("A{i}"),
            name: format!("Account {i}"),
            location: Some((i as f64 % 10.0 + 0.5, 0.5)),
            source: LocationSource::Coordinates,
            measures: vec![r],
            attributes: vec!["Kim".into()],
            pins: Vec::new(),
        });
    }
    p.add_territory("West", sq(0.0, 5.0));
    p.add_territory("East", sq(5.0, 5.0));
    p
}

/// An edit that leaves a mark (the tolerance) to tell saves apart.
fn mark(ws: &mut Workspace, tolerance: f64) {
    let mut settings = ws.project().settings.clone();
    settings.tolerance_pct = tolerance;
    ws.apply(Edit::SetSettings {
        settings: Box::new(settings),
    })
    .unwrap();
}

fn mark_on_disk(path: &Path) -> f64 {
    project_file::load(path).unwrap().settings.tolerance_pct
}

#[test]
fn a_plan_changed_on_disk_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    project_file::save(&plan(&[1.0, 2.0]), &path).unwrap();
    // Two processes (or a window and the CLI) read the same plan.
    let mut a = Workspace::open(&path).unwrap();
    let mut b = Workspace::open(&path).unwrap();
    mark(&mut a, 1.0);
    mark(&mut b, 2.0);
    a.save_as(&path).unwrap();
    let err = b.save_as(&path).unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err}");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert_eq!(mark_on_disk(&path), 1.0);
    // A's own saves go on working: it knows what it wrote.
    mark(&mut a, 3.0);
    a.save_as(&path).unwrap();
    // B may overwrite when the user says so, or save elsewhere.
    let elsewhere = dir.path().join("b.turf");
    b.save_as(&elsewhere).unwrap();
    let mut c = Workspace::open(&path).unwrap();
    mark(&mut c, 4.0);
    mark(&mut a, 5.0);
    a.save_as(&path).unwrap();
    let force = SaveOptions {
        overwrite_changes: true,
        ..SaveOptions::default()
    };
    assert!(c.save_as(&path).is_err());
    c.save_as_with(&path, force).unwrap();
    assert_eq!(mark_on_disk(&path), 4.0);
}

#[cfg(unix)]
#[test]
fn a_read_only_plan_is_refused_unless_forced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    project_file::save(&plan(&[1.0]), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&path).unwrap();
    let mut ws = Workspace::open(&path).unwrap();
    mark(&mut ws, 7.0);
    let err = ws.save_as(&path).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before);
    let force = SaveOptions {
        read_only: true,
        ..SaveOptions::default()
    };
    ws.save_as_with(&path, force).unwrap();
    assert_eq!(mark_on_disk(&path), 7.0);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
}

#[test]
fn a_plan_with_a_byte_order_mark_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    let mut text = Vec::new();
    project_file::write(&plan(&[1.0, 2.0]), &mut text).unwrap();
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(&text);
    fs::write(&path, with_bom).unwrap();
    let p = project_file::load(&path).unwrap();
    assert_eq!(p.accounts.live_count(), 2);
}

#[test]
fn a_nan_tolerance_in_a_plan_is_refused() {
    let mut text = Vec::new();
    project_file::write(&plan(&[1.0]), &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("tolerance_pct: 5.0"));
    for bad in ["NaN", "inf", "-3.0"] {
        let t = text.replace("tolerance_pct: 5.0", &format!("tolerance_pct: {bad}"));
        let err = project_file::parse(&t, Path::new("p.turf")).unwrap_err();
        assert!(err.to_string().contains("tolerance"), "{bad}: {err}");
    }
}

#[test]
fn a_crafted_first_account_does_not_allocate_its_width_for_every_account() {
    let mut p = plan(&[]);
    p.accounts = Accounts::with_schema(&["m".into()], &[]);
    for i in 0..50_000 {
        p.accounts.push(&AccountRow {
            id: format!("{i}"),
            measures: vec![1.0],
            ..AccountRow::default()
        });
    }
    let mut text = Vec::new();
    project_file::write(&p, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    // The first account claims 200,000 measures: reading them for all
    // 50,000 accounts would take 80 GB.
    let wide = format!("[{}]", vec!["0"; 200_000].join(","));
    let t = text.replacen("[1.0]", &wide, 1);
    assert_ne!(t, text);
    let err = project_file::parse(&t, Path::new("p.turf")).unwrap_err();
    assert!(err.to_string().contains("200000 measures"), "{err}");
}

#[test]
fn measure_sums_saturate_instead_of_wrapping() {
    let ws = Workspace::new(plan(&[1e32, 1e32, 1e300, -1e300, 5.0]));
    let m = ws.metrics();
    let west = &m.territories[0];
    assert!(west.group.sums[0] > 1e18, "{}", west.group.sums[0]);
    assert!(m.total.sums[0] > 0.0, "{}", m.total.sums[0]);
    assert!(m.cv_pct.is_finite() && m.cv_pct >= 0.0, "{}", m.cv_pct);
}

#[test]
fn an_accounts_file_of_nul_bytes_is_refused() {
    let err = turfmap::core::import::import_accounts_from_reader(
        &[0u8; 4096][..],
        Path::new("accounts.csv"),
        &Default::default(),
        &Progress::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(err.to_string().contains("accounts.csv"), "{err}");
}

const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>A</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#;

#[test]
fn utf16_kml_gets_advice() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bom) in [("bom.kml", true), ("nobom.kml", false)] {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(KML.encode_utf16().flat_map(u16::to_le_bytes));
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let err = turfmap::core::import::territories_from_file(&path, "name").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("UTF-16") && msg.contains("UTF-8"),
            "{name}: {msg}"
        );
    }
}

/// A KMZ whose `doc.kml` declares `declared` bytes (the real one is tiny).
fn kmz_declaring(declared: u32) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("doc.kml", opts).unwrap();
    zip.write_all(KML.as_bytes()).unwrap();
    let mut bytes = zip.finish().unwrap().into_inner();
    // Uncompressed size: offset 22 of the local header, 24 of the central one.
    let central = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bytes[22..26].copy_from_slice(&declared.to_le_bytes());
    bytes[central + 24..central + 28].copy_from_slice(&declared.to_le_bytes());
    bytes
}

#[test]
fn a_kmz_declaring_a_huge_document_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.kmz");
    fs::write(&path, kmz_declaring(1_000_000_000)).unwrap();
    let err = turfmap::core::import::territories_from_file(&path, "name").unwrap_err();
    assert!(err.to_string().contains("953 MB uncompressed"), "{err}");
}

#[test]
fn salesforce_association_csv_is_spreadsheet_safe_unless_raw() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(&[1.0, 2.0, 3.0]);
    p.name = "Acme".into();
    p.accounts.ids[1] = "=HYPERLINK(\"http://evil\")".into();
    let ws = Workspace::new(p);
    let first = dir.path().join("first");
    salesforce::export(ws.project(), ws.engines(), &first).unwrap();
    // The org's Territory2 export, with an id for each territory.
    let model = fs::read_dir(first.join("territory2Models"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_string_lossy()
        .into_owned();
    let tcsv = dir.path().join("Territory2.csv");
    let ids = "DeveloperName,Territory2Model.DeveloperName,Id\n";
    let rows = format!("West,{model},0MI5g0000000001AAA\nEast,{model},0MI5g0000000002AAA\n");
    fs::write(&tcsv, format!("{ids}{rows}")).unwrap();
    for (cells, want) in [
        (
            CsvCells::SpreadsheetSafe,
            "\n\"'=HYPERLINK(\"\"http://evil\"\")\",",
        ),
        (CsvCells::Raw, "\n\"=HYPERLINK(\"\"http://evil\"\")\","),
    ] {
        let out = dir.path().join(format!("{cells:?}"));
        let opts = salesforce::ExportOptions {
            territory_ids: Some(tcsv.clone()),
            allow_row_number_ids: true,
            cells,
            ..Default::default()
        };
        salesforce::export_with(ws.project(), ws.engines(), &out, &opts).unwrap();
        let assoc = fs::read_to_string(out.join("ObjectTerritory2Association.csv")).unwrap();
        assert!(assoc.contains(want), "{cells:?}: {assoc}");
    }
}

#[test]
fn change_list_csv_is_spreadsheet_safe() {
    let mut p = plan(&[1.0, -2.0]);
    p.accounts.names[0] = "+cmd|' /C calc'!A0".into();
    let mut ws = Workspace::new(p);
    let base = ws.project().active_scenario;
    ws.apply(scenario::clone_edit(ws.project(), base, "Next").unwrap())
        .unwrap();
    let next = scenario::find(ws.project(), "Next").unwrap();
    ws.apply(Edit::SwitchScenario { to: next }).unwrap();
    let west = ws.project().territories[0].id;
    ws.apply(Edit::SetGeometry {
        id: west,
        geometry: MultiPolygon(vec![]),
    })
    .unwrap();
    let d = scenario::diff(ws.project(), base, next).unwrap();
    let mut out = Vec::new();
    scenario::write_changes_csv(&mut out, ws.project(), &d).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(",'+cmd|"), "{text}");
    // Negative numbers stay numbers.
    assert!(text.contains(",-2\n") || text.contains(",1\n"), "{text}");
    let mut raw = Vec::new();
    scenario::write_changes_csv_with(&mut raw, ws.project(), &d, CsvCells::Raw).unwrap();
    assert!(String::from_utf8(raw).unwrap().contains(",+cmd|"));
}

fn shp_square(x: f64) -> shapefile::Polygon {
    let pts = [(x, 0.0), (x, 1.0), (x + 1.0, 1.0), (x + 1.0, 0.0), (x, 0.0)];
    shapefile::Polygon::with_rings(vec![shapefile::PolygonRing::Outer(
        pts.iter()
            .map(|&(x, y)| shapefile::Point::new(x, y))
            .collect(),
    )])
}

fn name_record(name: &str) -> shapefile::dbase::Record {
    let mut r = shapefile::dbase::Record::default();
    r.insert(
        "NAME".into(),
        shapefile::dbase::FieldValue::Character(Some(name.into())),
    );
    r
}

fn name_table() -> shapefile::dbase::TableWriterBuilder {
    shapefile::dbase::TableWriterBuilder::new().add_character_field("NAME".try_into().unwrap(), 20)
}

/// A shapefile of `n` squares named T0…, in `dir`.
fn squares_shapefile(dir: &Path, n: usize) -> std::path::PathBuf {
    let path = dir.join("squares.shp");
    let mut w = shapefile::Writer::from_path(&path, name_table()).unwrap();
    for i in 0..n {
        w.write_shape_and_record(&shp_square(i as f64 * 2.0), &name_record(&format!("T{i}")))
            .unwrap();
    }
    drop(w);
    path
}

fn import_shp(path: &Path) -> (usize, turfmap::core::import::TerritoryImportReport) {
    let (t, report) = turfmap::core::import::territories_from_file(path, "NAME").unwrap();
    (t.len(), report)
}

#[test]
fn shapefile_with_fewer_records_than_shapes_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = squares_shapefile(dir.path(), 3);
    name_table()
        .build_with_file_dest(dir.path().join("squares.dbf"))
        .unwrap()
        .write_records(&[name_record("T0"), name_record("T1")])
        .unwrap();
    let (n, report) = import_shp(&path);
    assert_eq!(n, 3, "{report:?}");
    let all = format!("{:?} {:?}", report.notes, report.skipped);
    assert!(all.contains("2 records for 3 shapes"), "{all}");
}

#[test]
fn shapefile_with_a_short_header_length_reports_what_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = squares_shapefile(dir.path(), 3);
    let mut bytes = fs::read(&path).unwrap();
    // File length in 16-bit words, big-endian: claim one shape less.
    let words = i32::from_be_bytes(bytes[24..28].try_into().unwrap());
    let one_shape = (bytes.len() as i32 - 100) / 2 / 3;
    bytes[24..28].copy_from_slice(&(words - one_shape).to_be_bytes());
    fs::write(&path, bytes).unwrap();
    let (n, report) = import_shp(&path);
    assert_eq!(n, 2, "{report:?}");
    let skipped = report.skipped.join(" | ");
    assert!(skipped.contains("header says"), "{skipped}");
    assert!(skipped.contains("no shape"), "{skipped}");
}

#[test]
fn chukotka_is_russia_from_the_bundled_world_layer() {
    let layer = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/world-countries-110m.geojson");
    let (countries, _) = turfmap::core::import::territories_from_file(&layer, "name").unwrap();
    let mut p = Project::new("World");
    p.accounts = Accounts::with_schema(&[], &[]);
    let places = [
        ("Anadyr", 177.5, 64.73, Some("Russia")),
        ("Pevek", 170.31, 69.70, Some("Russia")),
        ("Moscow", 37.62, 55.75, Some("Russia")),
        ("Labasa", 179.38, -16.43, Some("Fiji")),
        ("Vostok", 106.84, -78.46, Some("Antarctica")),
        ("Near the pole at 180°", 179.5, -86.0, Some("Antarctica")),
        ("Near the pole at -180°", -179.5, -87.0, Some("Antarctica")),
        ("Gulf of Guinea", 0.0, 0.0, None),
        ("Indian Ocean", 80.0, 0.0, None),
        ("Arctic Ocean", 0.0, 85.0, None),
    ];
    for (id, lon, lat, _) in places {
        p.accounts.push(&AccountRow {
            id: id.into(),
            location: Some((lon, lat)),
            source: LocationSource::Coordinates,
            ..AccountRow::default()
        });
    }
    turfmap::core::import::add_territories(&mut p, countries);
    let ws = Workspace::new(p);
    for (i, (id, _, _, want)) in places.iter().enumerate() {
        let got = ws
            .engine()
            .territory_of(i)
            .and_then(|t| ws.project().territory(t))
            .map(|t| t.name.as_str());
        assert_eq!(got, *want, "{id}");
    }
}

fn test_leaf() -> turfmap::core::rules::Condition {
    turfmap::core::rules::Condition::Test(turfmap::core::rules::Test::new(
        "Owner",
        turfmap::core::rules::Operator::Equals,
        &["Kim"],
    ))
}

/// `levels` alternating AND / OR groups, each holding a test and the next.
fn alternating(levels: usize) -> turfmap::core::rules::Condition {
    use turfmap::core::rules::Condition;
    let mut c = test_leaf();
    for k in 0..levels {
        let pair = vec![test_leaf(), c];
        c = if k % 2 == 0 {
            Condition::All(pair)
        } else {
            Condition::Any(pair)
        };
    }
    c
}

/// The text form of [`alternating`].
fn alternating_text(levels: usize) -> String {
    let mut t = "Owner = Kim".to_owned();
    for k in 0..levels {
        t = format!(
            "Owner = Kim {} ({t})",
            if k % 2 == 0 { "AND" } else { "OR" }
        );
    }
    t
}

#[test]
fn rule_depth_is_limited_when_the_rule_is_set() {
    use turfmap::core::rules::Rule;
    let max = Rule::MAX_DEPTH;
    let ok = Rule::parse(&alternating_text(max)).unwrap();
    assert_eq!(ok.condition.depth(), max);
    for deep in [
        alternating_text(max + 1),
        format!("{}Owner = Kim", "NOT ".repeat(57)),
    ] {
        let err = Rule::parse(&deep).unwrap_err();
        assert!(err.contains(&format!("at most {max}")), "{err}");
    }
    // Far deeper text is refused too, without running out of stack.
    let abyss = format!("{}Owner = Kim{}", "(".repeat(200_000), ")".repeat(200_000));
    assert!(Rule::parse(&abyss).unwrap_err().contains("at most"));
    // The edit refuses a deep rule built without the text form.
    let mut ws = Workspace::new(plan(&[1.0]));
    let id = ws.project().territories[0].id;
    let err = ws
        .apply(Edit::SetRule {
            id,
            rule: Some(Rule::new(alternating(max + 1))),
        })
        .unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
    // What is accepted saves and loads.
    ws.apply(Edit::SetRule { id, rule: Some(ok) }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    ws.save_as(&path).unwrap();
    let back = project_file::load(&path).unwrap();
    assert_eq!(
        back.territories[0].rule.as_ref().unwrap().condition.depth(),
        max
    );
}

#[test]
fn deep_rules_saved_by_older_versions_still_load() {
    use turfmap::core::rules::{Condition, Rule};
    let mut not57 = test_leaf();
    for _ in 0..57 {
        not57 = Condition::Not(Box::new(not57));
    }
    let dir = tempfile::tempdir().unwrap();
    for (k, c) in [alternating(29), not57].into_iter().enumerate() {
        let mut p = plan(&[1.0]);
        p.territories[0].rule = Some(Box::new(Rule::new(c)));
        let path = dir.path().join(format!("old{k}.turf"));
        project_file::save(&p, &path).unwrap();
        let back = project_file::load(&path).unwrap();
        assert_eq!(back.territories[0].rule, p.territories[0].rule);
    }
}

fn turfmap_cmd(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_turfmap"));
    c.args(args);
    c
}

fn squares_plan(path: &Path, n: usize) {
    let mut p = plan(&[1.0, 2.0, 3.0]);
    p.territories.clear();
    for i in 0..n {
        p.add_territory(format!("T{i}"), sq(i as f64 * 2.0, 1.0));
    }
    project_file::save(&p, path).unwrap();
}

#[test]
fn concurrent_cli_edits_never_lose_an_update_silently() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    let n = 8;
    squares_plan(&path, n);
    let p = path.to_str().unwrap();
    let children: Vec<_> = (0..n)
        .map(|i| {
            turfmap_cmd(&[
                "territory",
                p,
                &format!("T{i}"),
                "--priority",
                &format!("{}", 70 + i),
            ])
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    let results: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let saved = project_file::load(&path).unwrap();
    let mut succeeded = 0;
    for (i, out) in results.iter().enumerate() {
        let priority = saved.territory_by_name(&format!("T{i}")).unwrap().priority;
        if out.status.success() {
            succeeded += 1;
            assert_eq!(
                priority,
                70 + i as i32,
                "T{i}: exit 0 but its change is lost"
            );
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("changed on disk"), "T{i}: {err}");
            assert_ne!(priority, 70 + i as i32);
        }
    }
    assert!(succeeded >= 1);
}

#[cfg(unix)]
#[test]
fn cli_refuses_a_read_only_plan_unless_forced_and_names_os_errors_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    squares_plan(&path, 2);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let p = path.to_str().unwrap();
    let out = turfmap_cmd(&["territory", p, "T0", "--priority", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("read-only") && err.contains("--force"),
        "{err}"
    );
    let out = turfmap_cmd(&["territory", p, "T0", "--priority", "5", "--force"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        project_file::load(&path).unwrap().territories[0].priority,
        5
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o444
    );
    // An OS error is printed once.
    let missing = dir.path().join("missing.turf");
    let out = turfmap_cmd(&["assign", missing.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

#[test]
fn cli_out_dash_is_standard_output_and_csv_is_safe_unless_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.turf");
    let mut p = plan(&[1.0]);
    p.accounts.ids[0] = "=1+2".into();
    project_file::save(&p, &path).unwrap();
    let p = path.to_str().unwrap();
    let out = turfmap_cmd(&["assign", p, "--out", "-"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "account_id,territory\n'=1+2,West\n"
    );
    let out = turfmap_cmd(&["assign", p, "--raw-csv"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "account_id,territory\n=1+2,West\n"
    );
    #[cfg(unix)]
    {
        let out = turfmap_cmd(&["assign", p, "--out", "/dev/null"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
