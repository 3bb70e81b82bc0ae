//! Import and export through the public API, with the fixtures in
//! `tests/data/` and files written to temp directories.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use geo::{LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use turfmap::core::Error;
use turfmap::core::export::{
    territories_to_geojson, write_assignment_csv, write_file_atomically, write_territories_geojson,
};
use turfmap::core::import::{
    AccountImportOptions, import_accounts, import_accounts_from_reader, import_territories,
    territories_from_geojson_str, zip_centroid,
};
use turfmap::core::model::{AccountRow, Accounts, LocationSource, Project};
use turfmap::core::progress::Progress;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn import_str(
    text: &str,
) -> turfmap::core::Result<(Accounts, turfmap::core::import::ImportReport)> {
    import_with(text, &AccountImportOptions::default())
}

fn import_with(
    text: &str,
    opts: &AccountImportOptions,
) -> turfmap::core::Result<(Accounts, turfmap::core::import::ImportReport)> {
    import_accounts_from_reader(text.as_bytes(), Path::new("in.csv"), opts, &Progress::new())
}

fn attr<'a>(acc: &'a Accounts, col: &str, i: usize) -> &'a str {
    acc.attributes[acc.attribute_index(col).expect("attribute column")].get(i)
}

fn measure(acc: &Accounts, col: &str, i: usize) -> f64 {
    acc.measures[acc.measure_index(col).expect("measure column")].values[i]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Destructures an `Error::Csv` or fails.
fn csv_err(e: Error) -> (u64, Option<String>, String) {
    match e {
        Error::Csv {
            line,
            column,
            message,
            ..
        } => (line, column, message),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn salesforce_export() {
    let path = data("salesforce_accounts.csv");
    let raw = std::fs::read(&path).unwrap();
    assert!(
        raw.ends_with(b"Food\r\n"),
        "the fixture must keep its CRLF line ends"
    );
    let (acc, rep) =
        import_accounts(&path, &AccountImportOptions::default(), &Progress::new()).unwrap();
    assert_eq!(acc.len(), 7);
    assert_eq!(rep.rows, 7);
    assert_eq!(rep.delimiter, b',');
    assert_eq!(rep.id_column.as_deref(), Some("Id"));
    assert_eq!(rep.name_column.as_deref(), Some("Name"));
    assert_eq!(rep.lat_column.as_deref(), Some("BillingLatitude"));
    assert_eq!(rep.lon_column.as_deref(), Some("BillingLongitude"));
    assert_eq!(rep.zip_column.as_deref(), Some("BillingPostalCode"));
    assert_eq!(rep.measures, vec!["AnnualRevenue"]);
    assert_eq!(rep.attributes, vec!["BillingPostalCode", "Industry"]);
    assert_eq!(
        acc.ids,
        ["001A", "001B", "001C", "001D", "001E", "001F", "001G"]
    );
    assert_eq!(acc.names[2], "Initech, Inc.");
    assert_eq!(acc.names[5], "Multi\r\nLine Co");

    // Coordinates.
    assert_eq!(acc.source[0], LocationSource::Coordinates);
    assert!(close(acc.lat[0], 40.7128) && close(acc.lon[0], -74.006));
    // ZIP fallback: 10001, Excel-mangled 2139, and ZIP+4 after bad coordinates.
    assert_eq!(acc.source[1], LocationSource::PostalCode);
    assert_eq!((acc.lon[1], acc.lat[1]), zip_centroid("10001").unwrap());
    assert!(close(acc.lat[1], 40.7484));
    let cambridge = zip_centroid("02139").unwrap();
    assert_eq!(acc.source[2], LocationSource::PostalCode);
    assert_eq!((acc.lon[2], acc.lat[2]), cambridge);
    assert_eq!(acc.source[3], LocationSource::PostalCode);
    assert_eq!((acc.lon[3], acc.lat[3]), cambridge);
    // Unlocated rows are kept, with their real file lines (the quoted
    // newline in row 001F pushes 001G to line 9).
    for i in [4, 5, 6] {
        assert_eq!(acc.source[i], LocationSource::Unlocated);
        assert!(acc.lon[i].is_nan() && acc.lat[i].is_nan());
        assert!(!acc.is_located(i));
    }
    assert_eq!(
        (rep.by_coordinates, rep.by_postal_code, rep.unlocated),
        (1, 3, 3)
    );
    assert_eq!(rep.unlocated_lines, vec![6, 7, 9]);
    assert_eq!(rep.invalid_coordinates, 3);
    assert_eq!(rep.invalid_coordinate_lines, vec![5, 7, 9]);

    // Measures: currency, thousands, parentheses negative, missing.
    assert_eq!(measure(&acc, "AnnualRevenue", 0), 1200.5);
    assert_eq!(measure(&acc, "AnnualRevenue", 1), 2_500_000.0);
    assert!(measure(&acc, "AnnualRevenue", 2).is_nan());
    assert_eq!(measure(&acc, "AnnualRevenue", 4), -1000.0);
    // The ZIP column stays text, as written.
    assert_eq!(attr(&acc, "BillingPostalCode", 2), "2139");
    assert_eq!(attr(&acc, "BillingPostalCode", 3), "02139-4307");
    assert_eq!(attr(&acc, "Industry", 1), "Technology");
    assert_eq!(attr(&acc, "Industry", 4), "");

    let summary = rep.summary();
    assert!(
        summary.starts_with(
            "7 accounts: 1 by coordinates, 3 by postal code, 3 unlocated (lines 6, 7, 9)\n\
             3 by postal code: 3 US ZIP\n\
             3 unlocated: 2 no coordinates or postal code, 1 unknown code (US)"
        ),
        "{summary}"
    );
}

#[test]
fn semicolon_file_with_decimal_commas() {
    let path = data("semicolon_accounts.csv");
    let opts = AccountImportOptions {
        id_col: Some("Kundennummer".into()),
        name_col: Some("Firma".into()),
        ..AccountImportOptions::default()
    };
    let (acc, rep) = import_accounts(&path, &opts, &Progress::new()).unwrap();
    assert_eq!(rep.delimiter, b';');
    assert_eq!(acc.ids, ["K-1", "K-2", "K-3"]);
    assert_eq!(acc.names, ["Müller GmbH", "Schmidt; Söhne", "Weber AG"]);
    assert!(close(acc.lat[0], 48.1372) && close(acc.lon[0], 11.5756));
    assert!(close(acc.lat[1], 52.52) && close(acc.lon[1], 13.405));
    assert_eq!(acc.source[2], LocationSource::Unlocated);
    assert_eq!(rep.measures, vec!["Umsatz", "Anteil"]);
    assert_eq!(measure(&acc, "Umsatz", 0), 1234.56);
    assert_eq!(measure(&acc, "Umsatz", 1), 2000.0);
    assert_eq!(measure(&acc, "Anteil", 0), 3.5);
    assert_eq!(measure(&acc, "Anteil", 1), 12.0);
    assert!(measure(&acc, "Anteil", 2).is_nan());
    assert_eq!(rep.attributes, vec!["Segment"]);
}

#[test]
fn tab_file_with_synonyms() {
    let (acc, rep) = import_accounts(
        &data("tab_accounts.tsv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )
    .unwrap();
    assert_eq!(rep.delimiter, b'\t');
    assert_eq!(rep.id_column.as_deref(), Some("account_id"));
    assert_eq!(rep.name_column.as_deref(), Some("Account Name"));
    assert_eq!(rep.zip_column.as_deref(), Some("Zip Code"));
    assert_eq!(acc.ids, ["X1", "X2", "X3"]);
    assert_eq!(acc.names[1], "Bay Shop");
    assert_eq!(
        acc.source,
        [
            LocationSource::Coordinates,
            LocationSource::PostalCode,
            LocationSource::Coordinates
        ]
    );
    assert_eq!((acc.lon[1], acc.lat[1]), zip_centroid("94105").unwrap());
    assert_eq!(rep.measures, vec!["Employees"]);
    assert_eq!(measure(&acc, "Employees", 1), 250.0);
    assert_eq!(rep.attributes, vec!["Zip Code", "Segment"]);
}

#[test]
fn bom_is_stripped() {
    let (acc, rep) = import_str("\u{feff}Id,Name,Lat,Lng\nA,Alpha,10,20\n").unwrap();
    assert_eq!(rep.id_column.as_deref(), Some("Id"));
    assert_eq!(acc.ids, ["A"]);
    assert_eq!((acc.lon[0], acc.lat[0]), (20.0, 10.0));
    assert!(rep.attributes.is_empty() && rep.measures.is_empty());
}

#[test]
fn ragged_row_after_embedded_newlines_names_its_real_line() {
    let text = "id,name,notes\n1,a,\"line one\nline two\nline three\"\n2,b,ok\n3,c\n4,d,x\n";
    let (line, _, message) = csv_err(import_str(text).unwrap_err());
    assert_eq!(line, 6);
    assert!(message.contains("expected 3 fields, found 2"), "{message}");
    let shown = import_str(text).unwrap_err().to_string();
    assert!(shown.starts_with("in.csv:6: expected 3 fields"), "{shown}");

    let (line, _, message) = csv_err(import_str("a,b,c\n1,2,3\n4,5,6,7\n").unwrap_err());
    assert_eq!(line, 3);
    assert!(message.contains("expected 3 fields, found 4"), "{message}");
}

#[test]
fn duplicate_id_names_both_lines() {
    let text = "Account ID,Name\nA1,x\nA17,y\n\"B\nC\",z\nA17,w\n";
    let err = import_str(text).unwrap_err();
    let (line, column, message) = csv_err(err);
    assert_eq!(line, 6);
    assert_eq!(column.as_deref(), Some("Account ID"));
    assert_eq!(message, "duplicate account id 'A17' (first on line 3)");
}

#[test]
fn empty_id_is_an_error() {
    let (line, _, message) = csv_err(import_str("id,name\n1,a\n,b\n").unwrap_err());
    assert_eq!(line, 3);
    assert!(message.contains("empty account id"), "{message}");
}

#[test]
fn missing_id_and_name_columns_use_row_numbers() {
    let (acc, rep) = import_str("lat,lon,revenue\n1,2,10\n\n3,4,20\n,,\n5,6,30\n").unwrap();
    assert_eq!(rep.id_column, None);
    assert_eq!(rep.name_column, None);
    assert_eq!(acc.ids, ["1", "2", "3"]);
    assert_eq!(acc.names, acc.ids);
    assert_eq!(rep.blank_rows, 1);
    assert_eq!(acc.measures[0].values, [10.0, 20.0, 30.0]);
    assert!(acc.pins.none_pinned() && acc.pins.len() == 3);
    assert_eq!(acc.removed, [false, false, false]);
    assert_eq!(acc.live_count(), 3);
}

#[test]
fn explicit_columns_override_detection() {
    let text = "Id,Code,Title,N,E,Latitude,Longitude\n9,C1,First,45,7,0,0\n9,C2,Second,46,8,0,0\n";
    let opts = AccountImportOptions {
        id_col: Some("Code".into()),
        name_col: Some("title".into()),
        lat_col: Some("N".into()),
        lon_col: Some("E".into()),
        ..AccountImportOptions::default()
    };
    let (acc, rep) = import_with(text, &opts).unwrap();
    assert_eq!(acc.ids, ["C1", "C2"]);
    assert_eq!(acc.names, ["First", "Second"]);
    assert_eq!((acc.lon[1], acc.lat[1]), (8.0, 46.0));
    // The detected-but-overridden columns become ordinary columns.
    assert_eq!(rep.measures, vec!["Id", "Latitude", "Longitude"]);

    let bad = AccountImportOptions {
        zip_col: Some("Postleitzahl".into()),
        ..AccountImportOptions::default()
    };
    let err = import_with(text, &bad).unwrap_err();
    let shown = err.to_string();
    let (line, column, message) = csv_err(err);
    assert_eq!(line, 1);
    assert_eq!(column.as_deref(), Some("Postleitzahl"));
    assert!(
        message.contains("Id, Code, Title, N, E, Latitude, Longitude"),
        "{message}"
    );
    assert!(shown.contains("'Postleitzahl'"), "{shown}");

    let half = AccountImportOptions {
        id_col: Some("Code".into()),
        lat_col: Some("N".into()),
        ..AccountImportOptions::default()
    };
    // Latitude from N but longitude detected as "Longitude": still a pair.
    let (acc, _) = import_with(text, &half).unwrap();
    assert_eq!((acc.lon[0], acc.lat[0]), (0.0, 45.0));
    let lonely = AccountImportOptions {
        lat_col: Some("N".into()),
        ..AccountImportOptions::default()
    };
    let err = import_with("id,N\n1,5\n", &lonely).unwrap_err();
    assert!(err.to_string().contains("no longitude column"), "{err}");
}

#[test]
fn out_of_range_coordinates_fall_back_or_stay_unlocated() {
    let text = "id,lat,lon,zip\n\
                a,91,10,\n\
                b,45,181,10001\n\
                c,NaN,inf,\n\
                d,-90,-180,\n\
                e,north,west,02139\n";
    let (acc, rep) = import_str(text).unwrap();
    assert_eq!(
        acc.source,
        [
            LocationSource::Unlocated,
            LocationSource::PostalCode,
            LocationSource::Unlocated,
            LocationSource::Coordinates,
            LocationSource::PostalCode,
        ]
    );
    assert_eq!(rep.unlocated_lines, vec![2, 4]);
    assert_eq!(rep.invalid_coordinate_lines, vec![2, 3, 4, 6]);
    assert_eq!(attr(&acc, "zip", 4), "02139");
}

#[test]
fn unlocated_lines_are_capped_at_ten_but_counted() {
    let mut text = String::from("id,zip\n");
    for i in 0..25 {
        text.push_str(&format!("{i},nowhere\n"));
    }
    let (acc, rep) = import_str(&text).unwrap();
    assert_eq!(acc.len(), 25);
    assert_eq!(rep.unlocated, 25);
    assert_eq!(rep.unlocated_lines, (2..12).collect::<Vec<u64>>());
    assert!(
        rep.summary()
            .contains("(lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …)")
    );
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let mut bytes = b"id,name,city\n1,a,x\n2,b,M".to_vec();
    bytes.extend_from_slice(&[0xFC]); // Latin-1 ü
    bytes.extend_from_slice(b"nchen\n");
    let err = import_accounts_from_reader(
        &bytes[..],
        Path::new("latin1.csv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )
    .unwrap_err();
    let (line, column, message) = csv_err(err);
    assert_eq!(line, 3);
    assert_eq!(column.as_deref(), Some("city"));
    assert!(message.contains("UTF-8"), "{message}");
}

#[test]
fn header_only_and_empty_files() {
    let (acc, rep) = import_str("id,name,lat,lon\n").unwrap();
    assert!(acc.is_empty());
    assert_eq!(rep.rows, 0);
    assert!(matches!(
        import_str("").unwrap_err(),
        Error::Csv { line: 1, .. }
    ));
    assert!(
        import_str(",,\n1,2,3\n")
            .unwrap_err()
            .to_string()
            .contains("header")
    );
    let missing = import_accounts(
        Path::new("/definitely/not/here.csv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )
    .unwrap_err();
    assert!(matches!(missing, Error::Io { .. }));
}

#[test]
fn territories_fixture() {
    let (ts, rep) = import_territories(&data("territories.geojson"), "name").unwrap();
    let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Donut", "Islands", "Open", "Islands (2)"]);
    assert_eq!(rep.imported, 4);

    let donut = &ts[0].geometry;
    assert_eq!(donut.0.len(), 1);
    assert_eq!(donut.0[0].interiors().len(), 1);
    assert_eq!(ts[0].properties["rep"], "Ana");
    use geo::{Area, Contains, Point};
    assert!((donut.unsigned_area() - (100.0 - 16.0)).abs() < 1e-9);
    assert!(
        !donut.contains(&Point::new(-95.0, 35.0)),
        "the hole is a hole"
    );
    assert!(donut.contains(&Point::new(-99.0, 31.0)));

    assert_eq!(ts[1].geometry.0.len(), 2);

    let open = ts[2].geometry.0[0].exterior();
    assert_eq!(open.0.len(), 5);
    assert!(open.is_closed());

    assert_eq!(rep.skipped.len(), 2, "{:?}", rep.skipped);
    assert!(rep.skipped[0].starts_with("feature 2 ('HQ'): is a Point"));
    assert!(rep.skipped[1].starts_with("feature 4 ('Mercator')"));
    assert!(rep.skipped[1].contains("WGS84"));
    assert_eq!(rep.repaired.len(), 1);
    assert!(rep.repaired[0].starts_with("feature 3 ('Open'): closed"));
    assert_eq!(rep.notes.len(), 1);
    assert!(rep.notes[0].contains("'Islands (2)'"));
}

#[test]
fn bad_geojson_is_a_geo_error_with_position() {
    let path = tempfile::tempdir().unwrap();
    let file = path.path().join("bad.geojson");
    std::fs::write(
        &file,
        "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": }\n]}",
    )
    .unwrap();
    let err = import_territories(&file, "name").unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, Error::Geo { feature: None, .. }));
    assert!(shown.contains("bad.geojson"), "{shown}");
    assert!(shown.contains("line 3 column"), "{shown}");
}

fn square(x: f64, y: f64, s: f64, hole: bool) -> Polygon<f64> {
    let ring = |x: f64, y: f64, s: f64| {
        LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)])
    };
    let holes = if hole {
        vec![ring(x + s / 4.0, y + s / 4.0, s / 2.0)]
    } else {
        vec![]
    };
    Polygon::new(ring(x, y, s), holes)
}

fn sample_project() -> Project {
    let mut p = Project::new("round trip");
    p.accounts = Accounts::with_schema(&[], &[]);
    for id in ["a-1", "a-2", "a-3", "a-4"] {
        p.accounts.push(&AccountRow {
            id: id.into(),
            name: id.into(),
            ..AccountRow::default()
        });
    }
    p.add_territory(
        "West, \"Coast\"",
        MultiPolygon(vec![square(-123.456789, 37.1, 2.5, true)]),
    );
    p.add_territory(
        "Islands",
        MultiPolygon(vec![
            square(-80.0, 25.0, 1.0, false),
            square(-78.1, 24.9, 0.3333333333, false),
        ]),
    );
    let id = p.add_territory("Key accounts", MultiPolygon(vec![]));
    p.reps.push(turfmap::core::model::Rep::new(
        turfmap::core::model::RepId(0),
        "Jo",
    ));
    p.territory_mut(id).unwrap().reps = vec![turfmap::core::model::RepId(0)];
    p
}

#[test]
fn geojson_round_trip() {
    let project = sample_project();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territories.geojson");
    write_file_atomically(&path, |w| write_territories_geojson(w, &project)).unwrap();
    let (ts, rep) = import_territories(&path, "name").unwrap();
    assert!(rep.skipped.is_empty() && rep.repaired.is_empty() && rep.notes.is_empty());
    assert_eq!(ts.len(), project.territories.len());
    for (imported, original) in ts.iter().zip(&project.territories) {
        assert_eq!(imported.name, original.name);
        assert_eq!(imported.geometry, original.geometry, "{}", original.name);
        assert_eq!(imported.properties["id"], original.id.0);
    }
    assert_eq!(ts[2].properties["rep"], "Jo");
    // The in-memory collection matches what was written.
    let fc = territories_to_geojson(&project);
    let (again, _) =
        territories_from_geojson_str(&fc.to_string(), Path::new("mem"), "name").unwrap();
    assert_eq!(again, ts);
}

#[test]
fn assignment_csv_file() {
    let mut project = sample_project();
    project.accounts.removed[2] = true;
    let west = project.territories[0].id;
    let islands = project.territories[1].id;
    let assignment = vec![Some(islands), None, Some(west), Some(west)];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("assignment.csv");
    std::fs::write(&path, "stale").unwrap();
    write_file_atomically(&path, |w| write_assignment_csv(w, &project, &assignment)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "account_id,territory\na-1,Islands\na-2,\na-4,\"West, \"\"Coast\"\"\"\n"
    );
    // And it reads back as a CSV with the same rows.
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let rows: Vec<(String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect();
    assert_eq!(rows[2], ("a-4".to_owned(), "West, \"Coast\"".to_owned()));
}

#[test]
fn many_rows_import_with_progress() {
    let mut text = String::from("Id,Name,Latitude,Longitude,Zip,Revenue,Segment\n");
    let n = 70_000;
    for i in 0..n {
        let zip = if i % 10 == 0 { "10001" } else { "" };
        let (lat, lon) = if i % 10 == 0 {
            (String::new(), String::new())
        } else {
            (
                format!("{}", 30.0 + (i % 100) as f64 * 0.1),
                format!("{}", -100.0 + (i % 50) as f64 * 0.1),
            )
        };
        text.push_str(&format!(
            "A{i},Account {i},{lat},{lon},{zip},{},S{}\n",
            i * 3,
            i % 7
        ));
    }
    let progress = Progress::new();
    let (acc, rep) = import_accounts_from_reader(
        text.as_bytes(),
        Path::new("big.csv"),
        &AccountImportOptions::default(),
        &progress,
    )
    .unwrap();
    assert_eq!(acc.len(), n);
    assert_eq!(rep.by_postal_code, n / 10);
    assert_eq!(rep.by_coordinates, n - n / 10);
    assert_eq!(acc.measures[0].values[n - 1], ((n - 1) * 3) as f64);
    assert_eq!(acc.attributes[1].dict.len(), 8, "'' plus 7 segments");
    assert_eq!(progress.fraction(), 1.0);
}

/// `cargo test --release --test import -- --ignored --nocapture`
#[test]
#[ignore = "timing; run in release"]
fn million_rows_timing() {
    let mut text = String::with_capacity(120_000_000);
    text.push_str("Id,Name,Latitude,Longitude,Zip,Revenue,Potential,Industry,Segment,Owner\n");
    for i in 0..1_000_000u64 {
        let lat = 25.0 + (i % 2000) as f64 * 0.01;
        let lon = -120.0 + (i % 5000) as f64 * 0.01;
        text.push_str(&format!(
            "001{i:012},Account number {i},{lat:.5},{lon:.5},{:05},{}.{:02},{},Industry {},Seg {},Owner {}\n",
            10000 + i % 80000,
            i * 7 % 100_000,
            i % 100,
            i % 977,
            i % 23,
            i % 5,
            i % 150
        ));
    }
    let t = std::time::Instant::now();
    let (acc, rep) = import_accounts_from_reader(
        text.as_bytes(),
        Path::new("million.csv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )
    .unwrap();
    let elapsed = t.elapsed();
    eprintln!(
        "{} MB, {elapsed:?}: {}",
        text.len() / 1_000_000,
        rep.summary()
    );
    assert_eq!(acc.len(), 1_000_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the bytes, the importer answers Ok or Err and never panics.
    #[test]
    fn accounts_import_never_panics(bytes in proptest::collection::vec(
        prop_oneof![
            Just(b','), Just(b';'), Just(b'\t'), Just(b'"'), Just(b'\n'), Just(b'\r'),
            Just(b'-'), Just(b'.'), Just(b'$'), Just(b'('), Just(b')'), Just(0xFFu8),
            b'0'..=b'9', b'a'..=b'z',
        ],
        0..400,
    )) {
        let header = b"id,name,lat,lon,zip,v\n";
        let mut with_header = header.to_vec();
        with_header.extend_from_slice(&bytes);
        for input in [&bytes[..], &with_header[..]] {
            let r = import_accounts_from_reader(
                input,
                Path::new("fuzz.csv"),
                &AccountImportOptions::default(),
                &Progress::new(),
            );
            if let Ok((acc, rep)) = r {
                prop_assert_eq!(acc.len(), rep.rows);
                prop_assert_eq!(rep.by_coordinates + rep.by_postal_code + rep.unlocated, rep.rows);
                for i in 0..acc.len() {
                    prop_assert_eq!(acc.is_located(i), acc.source[i] != LocationSource::Unlocated);
                }
            }
        }
    }

    /// Formatted amounts parse back to their value.
    #[test]
    fn formatted_amounts_parse(cents in 0u64..10_000_000_000, neg in any::<bool>(), style in 0..3u8) {
        let units = cents / 100;
        let digits = units.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let body = format!("{grouped}.{:02}", cents % 100);
        let cell = match (style, neg) {
            (0, false) => format!("${body}"),
            (0, true) => format!("-${body}"),
            (1, false) => format!("\"{body}\""),
            (1, true) => format!("\"({body})\""),
            (_, false) => format!("\"$ {body}\""),
            (_, true) => format!("\"($ {body})\""),
        };
        let text = format!("id,amount\n1,{}\n", if cell.contains(',') && !cell.starts_with('"') { format!("\"{cell}\"") } else { cell.clone() });
        let (acc, _) = import_str(&text).unwrap();
        let expected = cents as f64 / 100.0 * if neg { -1.0 } else { 1.0 };
        prop_assert!((acc.measures[0].values[0] - expected).abs() < 1e-6, "{} → {}", cell, acc.measures[0].values[0]);
    }

    /// Whatever the JSON, the territories import never panics.
    #[test]
    fn territories_import_never_panics(coords in proptest::collection::vec(
        proptest::collection::vec((-400.0f64..400.0, -400.0f64..400.0), 0..6), 0..4),
        kind in prop_oneof![Just("Polygon"), Just("MultiPolygon"), Just("LineString"), Just("GeometryCollection")],
    ) {
        let rings: Vec<String> = coords
            .iter()
            .map(|r| {
                let ps: Vec<String> = r.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
                format!("[{}]", ps.join(","))
            })
            .collect();
        let poly = format!("[{}]", rings.join(","));
        let geometry = match kind {
            "MultiPolygon" => format!(r#"{{"type":"MultiPolygon","coordinates":[{poly}]}}"#),
            "GeometryCollection" => format!(
                r#"{{"type":"GeometryCollection","geometries":[{{"type":"Polygon","coordinates":{poly}}}]}}"#
            ),
            other => format!(r#"{{"type":"{other}","coordinates":{poly}}}"#),
        };
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":null,"geometry":{geometry}}}]}}"#
        );
        let (ts, rep) = territories_from_geojson_str(&text, Path::new("p.geojson"), "name").unwrap();
        prop_assert_eq!(ts.len() + rep.skipped.len(), 1);
        for t in &ts {
            for p in &t.geometry.0 {
                prop_assert!(p.exterior().is_closed() && p.exterior().0.len() >= 4);
            }
        }
    }
}
