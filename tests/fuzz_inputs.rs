//! A bounded fuzz corpus: valid accounts CSV, GeoJSON, KML and `.turf`
//! files with random byte edits (flips, inserts, deletions, cuts) must
//! load or fail with an error — never panic, never hang. A few dozen cases
//! per format keep it to seconds in `cargo test`; raise
//! `PROPTEST_CASES` to fuzz longer.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use geo::{MultiPolygon, polygon};
use proptest::prelude::*;
use turfmap::core::import::{
    import_accounts_from_reader, territories_from_geojson_str, territories_from_kml_str,
};
use turfmap::core::model::{AccountRow, Accounts, LocationSource, Project};
use turfmap::core::progress::Progress;
use turfmap::core::project_file;

const ACCOUNTS: &str = "Id,Name,Latitude,Longitude,Zip,Revenue,Industry\n\
A1,Acme,40.7,-74.0,10001,1200.5,Retail\n\
A2,\"Bolt, Inc\",34.05,-118.24,,-3,Health\n\
A3,Crane,,,60601,0,\"Retail \"\"east\"\"\"\n\
A4,Delta,91,200,,1e9,\n";

const GEOJSON: &str = r##"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"West","rep":"Kim","color":"#ff0000"},
 "geometry":{"type":"Polygon","coordinates":[[[0,0],[5,0],[5,5],[0,5],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}},
{"type":"Feature","properties":{"name":"Pacific"},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[170,-10],[-170,-10],[-170,10],[170,10],[170,-10]]]]}}]}"##;

const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>North &amp; East</name><MultiGeometry><Polygon><outerBoundaryIs><LinearRing>
<coordinates>0,0 4,0 4,4 0,4 0,0</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,1</coordinates></LinearRing></innerBoundaryIs>
</Polygon></MultiGeometry></Placemark>
<Placemark><name>South</name><Polygon><outerBoundaryIs><LinearRing>
<coordinates>0,-4,0 4,-4,0 4,0,0 0,-4,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"#;

fn turf() -> Vec<u8> {
    let mut p = Project::new("Fuzz");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &["Industry".into()]);
    for i in 0..6 {
        p.accounts.push(&AccountRow {
            id: format!("A{i}"),
            name: format!("Name \"{i}\""),
            location: (i != 3).then_some((i as f64, 1.0)),
            source: LocationSource::Coordinates,
            measures: vec![i as f64 * 1.5],
            attributes: vec![["Retail", "Health"][i % 2].into()],
            pins: Vec::new(),
        });
    }
    p.add_territory(
        "West",
        MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0)],
        ]),
    );
    let mut out = Vec::new();
    project_file::write(&p, &mut out).unwrap();
    out
}

/// One byte edit: where (as a fraction of the length), what, which byte.
#[derive(Clone, Debug)]
enum Op {
    Flip(f64, u8),
    Insert(f64, u8),
    Delete(f64),
    Cut(f64),
}

/// Bytes that break parsers most: delimiters, quotes, brackets, digits.
fn nasty_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b",;\"'\n\r\t[](){}<>&:-.0123456789eE\\\x00\xff".to_vec()),
        any::<u8>(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), nasty_byte()).prop_map(|(a, b)| Op::Flip(a, b)),
        (at.clone(), nasty_byte()).prop_map(|(a, b)| Op::Insert(a, b)),
        at.clone().prop_map(Op::Delete),
        at.prop_map(Op::Cut),
    ]
}

fn mutate(seed: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for op in ops {
        let pos = |f: f64, len: usize| ((f * len as f64) as usize).min(len.saturating_sub(1));
        match *op {
            Op::Flip(f, b) if !v.is_empty() => {
                let i = pos(f, v.len());
                v[i] = b;
            }
            Op::Insert(f, b) => {
                let i = pos(f, v.len() + 1);
                v.insert(i, b);
            }
            Op::Delete(f) if !v.is_empty() => {
                let i = pos(f, v.len());
                v.remove(i);
            }
            Op::Cut(f) => v.truncate(pos(f, v.len() + 1)),
            _ => {}
        }
    }
    v
}

fn edits() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn accounts_csv_never_panics(ops in edits()) {
        let bytes = mutate(ACCOUNTS.as_bytes(), &ops);
        let r = import_accounts_from_reader(
            &bytes[..], Path::new("accounts.csv"), &Default::default(), &Progress::new());
        if let Err(e) = r {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn geojson_never_panics(ops in edits()) {
        let bytes = mutate(GEOJSON.as_bytes(), &ops);
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = territories_from_geojson_str(&text, Path::new("t.geojson"), "name") {
            prop_assert!(e.to_string().contains("t.geojson"), "{}", e);
        }
    }

    #[test]
    fn kml_never_panics(ops in edits()) {
        let bytes = mutate(KML.as_bytes(), &ops);
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = territories_from_kml_str(&text, Path::new("t.kml"), "name") {
            prop_assert!(e.to_string().contains("t.kml"), "{}", e);
        }
    }

    #[test]
    fn turf_never_panics(ops in edits()) {
        let bytes = mutate(&turf(), &ops);
        let text = String::from_utf8_lossy(&bytes);
        match project_file::parse(&text, Path::new("p.turf")) {
            Ok(p) => {
                // What loads also saves and loads again.
                let mut out = Vec::new();
                project_file::write(&p, &mut out).unwrap();
                let again = project_file::parse(std::str::from_utf8(&out).unwrap(), Path::new("p.turf"));
                prop_assert!(again.is_ok(), "{:?}", again.err());
            }
            Err(e) => prop_assert!(e.to_string().contains("p.turf"), "{}", e),
        }
    }
}

#[test]
fn seeds_load() {
    assert!(
        import_accounts_from_reader(
            ACCOUNTS.as_bytes(),
            Path::new("a.csv"),
            &Default::default(),
            &Progress::new()
        )
        .is_ok()
    );
    assert_eq!(
        territories_from_geojson_str(GEOJSON, Path::new("t"), "name")
            .unwrap()
            .0
            .len(),
        2
    );
    assert_eq!(
        territories_from_kml_str(KML, Path::new("t"), "name")
            .unwrap()
            .0
            .len(),
        2
    );
    let text = String::from_utf8(turf()).unwrap();
    assert_eq!(
        project_file::parse(&text, Path::new("p"))
            .unwrap()
            .accounts
            .len(),
        6
    );
}
