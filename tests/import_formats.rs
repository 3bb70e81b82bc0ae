//! Territories from Esri shapefiles, KML and KMZ, and KML/KMZ export: fixtures a
//! GIS tool or Google Earth would produce, including broken features that
//! must be reported by name and skipped, never panicked on.
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use geo::{Area, Contains, Point};
use shapefile::dbase::{FieldValue, Record, TableWriterBuilder};
use shapefile::{Point as ShpPoint, Polygon as ShpPolygon, PolygonRing};
use turfmap::core::import::{
    ImportedTerritory, TerritoryFormat, import_kml, import_kmz, import_shapefile,
    territories_from_file, territories_from_kml_str, write_territories_kml,
};
use turfmap::core::model::Territory;
use turfmap::core::{Workspace, project_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of the bundled sample plan in `dir`.
fn sample_plan_in(dir: &Path) -> PathBuf {
    let plan = dir.join("plan.turf");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf"),
        &plan,
    )
    .unwrap();
    plan
}

/// Runs the `turfmap` binary with `args`.
fn turfmap(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .unwrap()
}

/// `turfmap import-territories plan file`, which must succeed: its report.
fn cli_import(plan: &Path, file: &Path) -> String {
    let o = turfmap(&["import-territories".as_ref(), plan.as_ref(), file.as_ref()]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

/// `turfmap export-territories plan --out out`.
fn cli_export(plan: &Path, out: &Path) -> Output {
    turfmap(&[
        "export-territories".as_ref(),
        plan.as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ])
}

/// The territories read `back` are the plan's: same names, same number of
/// polygons, same area.
fn assert_same_shapes(plan: &[Territory], back: &[ImportedTerritory]) {
    assert_eq!(back.len(), plan.len());
    for (a, b) in plan.iter().zip(back) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.geometry.0.len(), b.geometry.0.len(), "{}", a.name);
        let (aa, ba) = (a.geometry.unsigned_area(), b.geometry.unsigned_area());
        assert!(
            (aa - ba).abs() <= 1e-9 * aa.max(1.0),
            "{}: {aa} vs {ba}",
            a.name
        );
    }
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
    assert_same_shapes(&project.territories, &back);
    for (a, b) in project.territories.iter().zip(&back) {
        let [r, g, bl] = a.color;
        assert_eq!(b.properties["color"], format!("#{r:02x}{g:02x}{bl:02x}"));
    }
    assert_eq!(back[0].properties["rep"], "Zoë O'Neil");
}

#[test]
fn cli_imports_kml_and_shapefile_and_exports_kml() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sample_plan_in(dir.path());
    let err = cli_import(&plan, &fixture("territories.kml"));
    assert!(err.contains("'Head Office'"), "skips are reported: {err}");
    assert!(err.contains("3 territories added"), "{err}");
    let shp = write_shapefile(dir.path());
    let err = cli_import(&plan, &shp);
    // "Ring Lake" replaced, "Islands" and "islands (2)" added.
    assert!(err.contains("2 territories added, 1 replaced"), "{err}");
    let ws = Workspace::open(&plan).unwrap();
    assert!(ws.project().territory_by_name("Ring Lake").is_some());

    let out = dir.path().join("t.kml");
    let o = cli_export(&plan, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (back, _) = import_kml(&out, "name").unwrap();
    assert_eq!(back.len(), ws.project().territories.len());
    let o = cli_export(&plan, &dir.path().join("t.txt"));
    assert!(!o.status.success());
}

/// Writes a zip archive at `path` with `entries` (name, bytes) in order,
/// deflated unless `stored`.
fn write_zip(path: &Path, entries: &[(&str, &[u8])], stored: bool) {
    use std::io::Write;
    let method = if stored {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// A KML document with one square Placemark called `name`.
fn one_placemark(name: &str) -> String {
    format!(
        "<kml><Document><Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing>\
         <coordinates>0,0 1,0 1,1 0,1 0,0</coordinates></LinearRing></outerBoundaryIs>\
         </Polygon></Placemark></Document></kml>"
    )
}

#[test]
fn kmz_reads_its_doc_kml_with_holes_and_multigeometry() {
    let dir = tempfile::tempdir().unwrap();
    let kmz = dir.path().join("regions.kmz");
    let doc = std::fs::read(fixture("territories.kml")).unwrap();
    let decoy = one_placemark("Decoy");
    // Google Earth's rule: doc.kml is the document even when another .kml
    // comes first; images and other files ride along.
    write_zip(
        &kmz,
        &[
            ("other.kml", decoy.as_bytes()),
            ("files/icon.png", b"\x89PNG not really"),
            ("doc.kml", &doc),
        ],
        false,
    );
    assert_eq!(TerritoryFormat::of(&kmz), Some(TerritoryFormat::Kmz));
    let (terrs, report) = territories_from_file(&kmz, "name").unwrap();
    let names: Vec<&str> = terrs.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Ring Lake", "Islands & Coast", "Territory 6"]);
    let polygons: Vec<usize> = terrs.iter().map(|t| t.geometry.0.len()).collect();
    assert_eq!(polygons, [1, 2, 1]);
    let holes: Vec<Vec<usize>> = terrs
        .iter()
        .map(|t| t.geometry.0.iter().map(|p| p.interiors().len()).collect())
        .collect();
    assert_eq!(holes, [vec![1], vec![0, 1], vec![0]]);
    assert!(
        !terrs[0].geometry.contains(&Point::new(-98.0, 42.0)),
        "lake"
    );
    assert!(terrs[0].geometry.contains(&Point::new(-99.5, 40.5)));
    assert_eq!(terrs[0].properties["rep"], "Ann Lee");
    assert_eq!(terrs[0].properties["color"], "#ff0000");
    assert_eq!(report.imported, 3);
    assert_eq!(report.skipped.len(), 3, "{:?}", report.skipped);
    let (by_code, _) = import_kmz(&kmz, "TERR").unwrap();
    assert_eq!(by_code[0].name, "RL-1");

    // No doc.kml: the first .kml at the root, not one in a folder.
    let second = dir.path().join("second.kmz");
    let nested = one_placemark("Nested");
    let root = one_placemark("Root");
    write_zip(
        &second,
        &[
            ("files/nested.kml", nested.as_bytes()),
            ("Regions.KML", root.as_bytes()),
        ],
        true,
    );
    let (terrs, _) = import_kmz(&second, "name").unwrap();
    assert_eq!(terrs.len(), 1);
    assert_eq!(terrs[0].name, "Root");

    // A zipped folder: the document is one level down.
    let folder = dir.path().join("folder.kmz");
    write_zip(&folder, &[("regions/doc.kml", root.as_bytes())], false);
    assert_eq!(import_kmz(&folder, "name").unwrap().0[0].name, "Root");

    // A KMZ saved with a .kml name, or with no extension at all, is still
    // read as the KMZ it is; plain KML without an extension as KML.
    let misnamed = dir.path().join("misnamed.kml");
    std::fs::copy(&kmz, &misnamed).unwrap();
    assert_eq!(import_kml(&misnamed, "name").unwrap().0.len(), 3);
    let bare = dir.path().join("regions");
    std::fs::copy(&kmz, &bare).unwrap();
    assert_eq!(territories_from_file(&bare, "name").unwrap().0.len(), 3);
    // Plain KML given a .kmz name is read as KML, with a note.
    let plain = dir.path().join("plain.kmz");
    std::fs::write(&plain, &root).unwrap();
    let (terrs, report) = import_kmz(&plain, "name").unwrap();
    assert_eq!(terrs[0].name, "Root");
    assert!(
        report.notes.iter().any(|n| n.contains("plain KML")),
        "{:?}",
        report.notes
    );
    let bare_kml = dir.path().join("plain");
    std::fs::write(&bare_kml, &root).unwrap();
    assert_eq!(
        territories_from_file(&bare_kml, "name").unwrap().0[0].name,
        "Root"
    );
}

/// Imports `path` as KMZ, which must fail with an error that names the
/// file and says every one of `words`.
fn assert_kmz_error(path: &Path, words: &[&str]) {
    let e = import_kmz(path, "name").unwrap_err().to_string();
    let file = path.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(file), "{e}");
    for w in words {
        assert!(e.contains(w), "no '{w}' in: {e}");
    }
}

/// Writes a KMZ of `entries`, changes its bytes with `patch` and imports
/// it, which must fail saying `words`.
fn assert_broken_kmz(
    path: &Path,
    entries: &[(&str, &[u8])],
    stored: bool,
    patch: impl FnOnce(&mut Vec<u8>),
    words: &[&str],
) {
    write_zip(path, entries, stored);
    let mut bytes = std::fs::read(path).unwrap();
    patch(&mut bytes);
    std::fs::write(path, &bytes).unwrap();
    assert_kmz_error(path, words);
}

/// Where `needle` first stands in `bytes`.
fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("found")
}

#[test]
fn broken_kmz_files_are_errors_naming_the_file_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let junk = path("junk.kmz");
    std::fs::write(&junk, b"this is not a zip archive at all").unwrap();
    assert_kmz_error(&junk, &["not a zip archive"]);
    assert_kmz_error(&path("none.kmz"), &[]);

    let pictures: &[(&str, &[u8])] = &[("readme.txt", b"hello"), ("files/a.png", b"png")];
    assert_broken_kmz(
        &path("pictures.kmz"),
        pictures,
        false,
        |_| {},
        &["no .kml", "readme.txt"],
    );

    // A damaged entry: one byte of the stored document changed, so its
    // checksum no longer matches.
    let doc = one_placemark("Ring Lake");
    let stored: &[(&str, &[u8])] = &[("doc.kml", doc.as_bytes())];
    let damage = |b: &mut Vec<u8>| {
        let at = find(b, b"Ring Lake");
        b[at] = b'K';
    };
    let words = ["'doc.kml'", "archive is damaged"];
    assert_broken_kmz(&path("damaged.kmz"), stored, true, damage, &words);

    // A compression this build does not read (bzip2, method 12): the
    // method fields of the local and the central header rewritten.
    let bzip2 = |b: &mut Vec<u8>| {
        assert_eq!(&b[..4], b"PK\x03\x04");
        b[8] = 12;
        let central = find(b, b"PK\x01\x02");
        b[central + 10] = 12;
    };
    let words = ["'doc.kml'", "deflate"];
    assert_broken_kmz(&path("bzip.kmz"), stored, true, bzip2, &words);

    // Broken XML inside: the error names the document in the archive.
    let xml: &[(&str, &[u8])] = &[(
        "doc.kml",
        b"<kml>\n<Document>\n<Placemark></Document>\n</kml>",
    )];
    assert_broken_kmz(
        &path("bad.kmz"),
        xml,
        false,
        |_| {},
        &["bad.kmz/doc.kml", "line"],
    );

    let latin1: &[(&str, &[u8])] = &[("doc.kml", b"<kml><name>Z\xfcrich</name></kml>")];
    assert_broken_kmz(&path("latin1.kmz"), latin1, false, |_| {}, &["not UTF-8"]);
}

#[test]
fn kmz_export_round_trips_and_the_cli_reads_and_writes_kmz() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sample_plan_in(dir.path());
    let kmz = dir.path().join("regions.kmz");
    let doc = std::fs::read(fixture("territories.kml")).unwrap();
    write_zip(&kmz, &[("doc.kml", &doc)], false);
    let err = cli_import(&plan, &kmz);
    assert!(err.contains("'Head Office'"), "skips are reported: {err}");
    assert!(err.contains("3 territories added"), "{err}");
    let ws = Workspace::open(&plan).unwrap();
    let lake = ws.project().territory_by_name("Ring Lake").unwrap();
    assert_eq!(lake.geometry.0[0].interiors().len(), 1);

    let out = dir.path().join("out.kmz");
    let o = cli_export(&plan, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (back, report) = import_kmz(&out, "name").unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_same_shapes(&ws.project().territories, &back);
    // The archive is a standard one: a deflated doc.kml.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(archive.len(), 1);
    let entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "doc.kml");
    assert_eq!(entry.compression(), zip::CompressionMethod::Deflated);
}
