//! Territories from Esri shapefiles and KML, and KML export: fixtures a
//! GIS tool or Google Earth would produce, including broken features that
//! must be reported by name and skipped, never panicked on.

use std::path::{Path, PathBuf};
use std::process::Command;

use geo::{Area, Contains, Point};
use shapefile::dbase::{FieldValue, Record, TableWriterBuilder};
use shapefile::{Point as ShpPoint, Polygon as ShpPolygon, PolygonRing};
use turfmap::core::import::{
    TerritoryFormat, import_kml, import_shapefile, territories_from_file, territories_from_kml_str,
    write_territories_kml,
};
use turfmap::core::{Workspace, project_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ring(pts: &[(f64, f64)]) -> Vec<ShpPoint> {
    pts.iter().map(|&(x, y)| ShpPoint::new(x, y)).collect()
}

fn record(name: &str, rep: &str, color: &str) -> Record {
    let mut r = Record::default();
    r.insert("NAME".into(), FieldValue::Character(Some(name.into())));
    r.insert("REP".into(), FieldValue::Character(Some(rep.into())));
    r.insert("color".into(), FieldValue::Character(Some(color.into())));
    r
}

/// Writes a polygon shapefile with the shapefile crate's writer: a square
/// with a hole, a two-part territory, a degenerate one and a duplicate
/// name.
fn write_shapefile(dir: &Path) -> PathBuf {
    let path = dir.join("regions.shp");
    let table = TableWriterBuilder::new()
        .add_character_field("NAME".try_into().unwrap(), 40)
        .add_character_field("REP".try_into().unwrap(), 40)
        .add_character_field("color".try_into().unwrap(), 10);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    let holed = ShpPolygon::with_rings(vec![
        PolygonRing::Outer(ring(&[
            (-100.0, 40.0),
            (-100.0, 44.0),
            (-96.0, 44.0),
            (-96.0, 40.0),
            (-100.0, 40.0),
        ])),
        PolygonRing::Inner(ring(&[
            (-99.0, 41.0),
            (-97.0, 41.0),
            (-97.0, 43.0),
            (-99.0, 43.0),
            (-99.0, 41.0),
        ])),
    ]);
    w.write_shape_and_record(&holed, &record("Ring Lake", "Ann Lee", "#ff0000"))
        .unwrap();
    let two_parts = ShpPolygon::with_rings(vec![
        PolygonRing::Outer(ring(&[
            (-90.0, 30.0),
            (-90.0, 32.0),
            (-88.0, 32.0),
            (-88.0, 30.0),
            (-90.0, 30.0),
        ])),
        PolygonRing::Outer(ring(&[
            (-86.0, 30.0),
            (-86.0, 34.0),
            (-84.0, 34.0),
            (-84.0, 30.0),
            (-86.0, 30.0),
        ])),
    ]);
    w.write_shape_and_record(&two_parts, &record("Islands", "", ""))
        .unwrap();
    let sliver = ShpPolygon::with_rings(vec![PolygonRing::Outer(ring(&[
        (-70.0, 30.0),
        (-70.0, 31.0),
        (-70.0, 30.0),
    ]))]);
    w.write_shape_and_record(&sliver, &record("Sliver", "", ""))
        .unwrap();
    let dup = ShpPolygon::with_rings(vec![PolygonRing::Outer(ring(&[
        (-80.0, 30.0),
        (-80.0, 31.0),
        (-79.0, 31.0),
        (-80.0, 30.0),
    ]))]);
    w.write_shape_and_record(&dup, &record("islands", "", ""))
        .unwrap();
    drop(w);
    path
}

#[test]
fn shapefile_polygons_holes_attributes_and_broken_features() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path());
    let (terrs, report) = import_shapefile(&shp, "name").unwrap();
    let names: Vec<&str> = terrs.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Ring Lake", "Islands", "islands (2)"]);
    let ring_lake = &terrs[0];
    assert_eq!(ring_lake.geometry.0.len(), 1);
    assert_eq!(ring_lake.geometry.0[0].interiors().len(), 1, "hole kept");
    assert!(
        !ring_lake.geometry.contains(&Point::new(-98.0, 42.0)),
        "hole is a hole"
    );
    assert!(ring_lake.geometry.contains(&Point::new(-99.5, 40.5)));
    assert_eq!(ring_lake.properties["REP"], "Ann Lee");
    assert_eq!(terrs[1].geometry.0.len(), 2, "two parts");
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0].contains("feature 2 ('Sliver')"),
        "{}",
        report.skipped[0]
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("renamed 'islands (2)'"))
    );

    // The same file through the extension dispatch, and into a plan: the
    // `color` attribute is taken over.
    assert_eq!(TerritoryFormat::of(&shp), Some(TerritoryFormat::Shapefile));
    let (again, _) = territories_from_file(&shp.with_extension("dbf"), "NAME").unwrap();
    assert_eq!(again.len(), 3);
    let mut p = turfmap::core::Project::new("p");
    turfmap::core::import::add_territories(&mut p, again);
    assert_eq!(p.territories[0].color, [255, 0, 0]);
}

#[test]
fn projected_shapefile_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path());
    std::fs::write(
        shp.with_extension("prj"),
        r#"PROJCS["NAD83 / UTM zone 15N",GEOGCS["NAD83"]]"#,
    )
    .unwrap();
    let err = import_shapefile(&shp, "name").unwrap_err().to_string();
    assert!(
        err.contains("NAD83 / UTM zone 15N") && err.contains("EPSG:4326"),
        "{err}"
    );
}

#[test]
fn shapefile_of_points_and_garbage_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offices.shp");
    let table = TableWriterBuilder::new().add_character_field("NAME".try_into().unwrap(), 20);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    let mut r = Record::default();
    r.insert("NAME".into(), FieldValue::Character(Some("HQ".into())));
    w.write_shape_and_record(&ShpPoint::new(-87.0, 41.0), &r)
        .unwrap();
    drop(w);
    let (terrs, report) = import_shapefile(&path, "name").unwrap();
    assert!(terrs.is_empty());
    assert!(report.skipped[0].contains("'HQ'") && report.skipped[0].contains("Point"));

    // Not a shapefile at all, a truncated one, and a missing one: errors
    // that name the file, no panic.
    let junk = dir.path().join("junk.shp");
    std::fs::write(&junk, b"this is not a shapefile").unwrap();
    let err = import_shapefile(&junk, "name").unwrap_err().to_string();
    assert!(err.contains("junk.shp"), "{err}");
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.shp");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    std::fs::copy(path.with_extension("dbf"), cut.with_extension("dbf")).unwrap();
    match import_shapefile(&cut, "name") {
        Ok((t, rep)) => assert!(t.is_empty() && !rep.skipped.is_empty()),
        Err(e) => assert!(e.to_string().contains("cut.shp"), "{e}"),
    }
    assert!(import_shapefile(&dir.path().join("none.shp"), "name").is_err());
}

#[test]
fn kml_fixture_polygons_holes_multigeometry_and_broken_placemarks() {
    let (terrs, report) = import_kml(&fixture("territories.kml"), "name").unwrap();
    let names: Vec<&str> = terrs.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Ring Lake", "Islands & Coast", "Territory 6"]);
    let lake = &terrs[0];
    assert_eq!(lake.geometry.0[0].interiors().len(), 1);
    assert!(!lake.geometry.contains(&Point::new(-98.0, 42.0)));
    assert_eq!(lake.properties["rep"], "Ann Lee");
    assert_eq!(lake.properties["color"], "#ff0000", "shared style colour");
    let islands = &terrs[1];
    assert_eq!(islands.geometry.0.len(), 2, "nested MultiGeometry");
    assert_eq!(islands.geometry.0[1].interiors().len(), 1);
    assert_eq!(
        islands.properties["color"], "#00ff00",
        "inline style colour"
    );
    // The unclosed ring was closed.
    let ext = islands.geometry.0[1].exterior();
    assert_eq!(ext.0.first(), ext.0.last());
    let skipped = report.skipped.join("\n");
    assert!(
        skipped.contains("placemark 2 ('Head Office'): is a Point"),
        "{skipped}"
    );
    assert!(
        skipped.contains("placemark 3 ('Bad Coordinates'): bad coordinate 'abc,31'"),
        "{skipped}"
    );
    assert!(skipped.contains("placemark 4 ('Sliver')"), "{skipped}");
    assert_eq!(report.skipped.len(), 3);

    // Names from an ExtendedData field instead.
    let (by_code, _) = import_kml(&fixture("territories.kml"), "TERR").unwrap();
    assert_eq!(by_code[0].name, "RL-1");
    assert_eq!(by_code[1].name, "IC-2");
}

#[test]
fn broken_kml_is_an_error_naming_the_line() {
    let err = territories_from_kml_str(
        "<kml>\n<Document>\n<Placemark><name>x</name></Document>\n</kml>",
        Path::new("bad.kml"),
        "name",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("bad.kml") && err.contains("line"), "{err}");
    let err = territories_from_kml_str("{\"type\": 1}", Path::new("x.kml"), "name")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not KML"), "{err}");
}

#[test]
fn kml_export_round_trips_names_colors_and_holes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
    let mut project = project_file::load(&path).unwrap();
    project.territories[0].name = "North & <West>".into();
    let rep = project.next_rep_id();
    project
        .reps
        .push(turfmap::core::model::Rep::new(rep, "Zoë O'Neil"));
    project.territories[0].reps = vec![rep];
    let mut buf = Vec::new();
    write_territories_kml(&mut buf, &project).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (back, report) = territories_from_kml_str(&text, Path::new("out.kml"), "name").unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(back.len(), project.territories.len());
    for (a, b) in project.territories.iter().zip(&back) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.geometry.0.len(), b.geometry.0.len(), "{}", a.name);
        let (aa, ba) = (a.geometry.unsigned_area(), b.geometry.unsigned_area());
        assert!(
            (aa - ba).abs() <= 1e-9 * aa.max(1.0),
            "{}: {aa} vs {ba}",
            a.name
        );
        let [r, g, bl] = a.color;
        assert_eq!(b.properties["color"], format!("#{r:02x}{g:02x}{bl:02x}"));
    }
    assert_eq!(back[0].properties["rep"], "Zoë O'Neil");
}

#[test]
fn cli_imports_kml_and_shapefile_and_exports_kml() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.turf");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf"),
        &plan,
    )
    .unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_turfmap"))
            .args(args)
            .output()
            .unwrap()
    };
    let kml = fixture("territories.kml");
    let o = run(&["import-territories".as_ref(), plan.as_ref(), kml.as_ref()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("'Head Office'"), "skips are reported: {err}");
    assert!(err.contains("3 territories added"), "{err}");
    let shp = write_shapefile(dir.path());
    let o = run(&["import-territories".as_ref(), plan.as_ref(), shp.as_ref()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // "Ring Lake" replaced, "Islands" and "islands (2)" added.
    assert!(err.contains("2 territories added, 1 replaced"), "{err}");
    let ws = Workspace::open(&plan).unwrap();
    assert!(ws.project().territory_by_name("Ring Lake").is_some());

    let out = dir.path().join("t.kml");
    let o = run(&[
        "export-territories".as_ref(),
        plan.as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (back, _) = import_kml(&out, "name").unwrap();
    assert_eq!(back.len(), ws.project().territories.len());
    let bad = dir.path().join("t.txt");
    let o = run(&[
        "export-territories".as_ref(),
        plan.as_ref(),
        "--out".as_ref(),
        bad.as_ref(),
    ]);
    assert!(!o.status.success());
}
