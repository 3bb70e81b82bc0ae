//! Territories from Esri shapefiles: `NAME.shp` (geometry) with `NAME.dbf`
//! (attributes; the territory name comes from the field chosen like
//! GeoJSON's name property) and, if present, `NAME.prj` (checked to be
//! longitude/latitude, since Turfmap does not reproject).
//!
//! Polygon, PolygonM and PolygonZ shapes are read; outer rings become
//! polygons and each inner ring becomes a hole of the outer ring that
//! contains it. A feature that cannot be used (a null or point shape, a
//! degenerate ring, projected coordinates) is skipped and reported by its
//! number and name; the import never panics on a broken file.

use std::path::Path;

use ::shapefile::dbase::{FieldValue, Record};
use ::shapefile::{PolygonRing, Shape};
use geo::{Contains, Coord, LineString, Polygon};
use serde_json::{Map, Value};

use super::imported::{ImportedTerritory, TerritoryImportReport};
use super::naming::{Collector, closed, ring_problem};
use super::territories::property_name;
use crate::core::{Error, Result};

/// Reads the territories of the shapefile at `path` (`.shp`; the `.dbf`
/// and `.prj` beside it are found by name), naming each by its attribute
/// `name_prop` (case-insensitive).
pub fn import_shapefile(
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let err = |message: String| Error::Geo {
        path: path.to_path_buf(),
        feature: None,
        message,
    };
    if !path.is_file() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    check_prj(path).map_err(err)?;
    let dbf = sibling(path, "dbf");
    let mut c = Collector::new(name_prop);
    let features = read_features(path, &dbf, &mut c.report).map_err(err)?;
    for (index, feature) in features.into_iter().enumerate() {
        let (shape, record) = match feature {
            Ok(f) => f,
            Err(e) => {
                c.report.skipped.push(format!(
                    "feature {index}: cannot be read ({e}); it and any after it are skipped"
                ));
                break;
            }
        };
        let properties = record.map(properties_of).unwrap_or_default();
        let raw_name = property_name(&properties, name_prop);
        let label = Collector::label("feature", index, raw_name.as_deref());
        let mut fixes = Vec::new();
        let polygons = polygons_of(shape, &mut fixes);
        c.add(index, raw_name, &label, polygons, &fixes, properties);
    }
    Ok(c.finish())
}

/// A feature as read: its shape and attributes, or why it cannot be read.
type Feature = std::result::Result<(Shape, Option<Record>), String>;

/// The features of the shapefile: its shapes with their `.dbf` records, in
/// order. A read error ends the list (what follows a damaged record cannot
/// be trusted). Every mismatch that would lose features silently — fewer
/// records than shapes, more records than shapes, a header declaring less
/// than the file holds, an index listing shapes that were not read — is
/// put in `report`.
fn read_features(
    path: &Path,
    dbf: &Path,
    report: &mut TerritoryImportReport,
) -> std::result::Result<Vec<Feature>, String> {
    let mut reader = ::shapefile::ShapeReader::from_path(path)
        .map_err(|e| format!("cannot read the shapefile: {e}"))?;
    let declared = u64::try_from(reader.header().file_length).unwrap_or(0) * 2;
    let listed = reader.shape_count().ok();
    let mut shapes = Vec::new();
    for item in reader.iter_shapes() {
        match item {
            Ok(shape) => shapes.push(Ok(shape)),
            Err(e) => {
                shapes.push(Err(e.to_string()));
                break;
            }
        }
    }
    let read = shapes.iter().filter(|s| s.is_ok()).count();
    let actual = std::fs::metadata(path).map_or(0, |m| m.len());
    if actual > declared {
        report.skipped.push(format!(
            "the .shp header says the file is {declared} bytes but it is {actual}: whatever \
             follows feature {} is not read (the file is damaged; export it again)",
            read.saturating_sub(1)
        ));
    }
    if let Some(listed) = listed.filter(|&l| l > read) {
        report.skipped.push(format!(
            "the .shx index lists {listed} shapes but {read} could be read: features {read}–{} \
             are skipped",
            listed - 1
        ));
    }
    let records = if dbf.is_file() {
        Some(read_records(dbf, report)?)
    } else {
        report.notes.push(format!(
            "{} not found: territories are named 'Territory N'",
            dbf.display()
        ));
        None
    };
    Ok(pair(shapes, records, report))
}

/// The `.dbf` records, up to the first that cannot be read (reported).
fn read_records(
    dbf: &Path,
    report: &mut TerritoryImportReport,
) -> std::result::Result<Vec<Record>, String> {
    let mut reader = ::shapefile::dbase::Reader::from_path(dbf)
        .map_err(|e| format!("cannot read {}: {e}", dbf.display()))?;
    let mut records = Vec::new();
    for rec in reader.iter_records() {
        match rec {
            Ok(r) => records.push(r),
            Err(e) => {
                report.notes.push(format!(
                    "record {} of {} cannot be read ({e}); features from it on have no \
                     attributes",
                    records.len(),
                    dbf.display()
                ));
                break;
            }
        }
    }
    Ok(records)
}

/// Shapes and records side by side, reporting either one left over.
fn pair(
    shapes: Vec<std::result::Result<Shape, String>>,
    records: Option<Vec<Record>>,
    report: &mut TerritoryImportReport,
) -> Vec<Feature> {
    let Some(records) = records else {
        return shapes.into_iter().map(|s| s.map(|s| (s, None))).collect();
    };
    let (n_shapes, n_records) = (shapes.iter().filter(|s| s.is_ok()).count(), records.len());
    if n_records < n_shapes {
        report.notes.push(format!(
            "the .dbf has {n_records} records for {n_shapes} shapes: features {n_records}–{} \
             have no attributes and are named 'Territory N'",
            n_shapes - 1
        ));
    } else if n_records > n_shapes {
        report.skipped.push(format!(
            "the .dbf has {n_records} records for {n_shapes} shapes: records {n_shapes}–{} \
             have no shape and are skipped",
            n_records - 1
        ));
    }
    let mut records = records.into_iter();
    shapes
        .into_iter()
        .map(|s| s.map(|s| (s, records.next())))
        .collect()
}

/// The file beside `path` with extension `ext`, in the case that exists
/// (`.dbf` or `.DBF`); the lower-case name when neither does.
pub fn sibling(path: &Path, ext: &str) -> std::path::PathBuf {
    let lower = path.with_extension(ext);
    if lower.exists() {
        return lower;
    }
    let upper = path.with_extension(ext.to_ascii_uppercase());
    if upper.exists() { upper } else { lower }
}

/// Refuses a `.prj` that declares a projected coordinate system.
fn check_prj(shp: &Path) -> std::result::Result<(), String> {
    let prj = sibling(shp, "prj");
    let Ok(text) = std::fs::read_to_string(&prj) else {
        return Ok(()); // no .prj: assume longitude/latitude, checked per ring
    };
    let t = text.trim_start();
    if t.starts_with("PROJCS") || t.starts_with("PROJCRS") {
        let name = t
            .split('"')
            .nth(1)
            .unwrap_or("a projected coordinate system");
        return Err(format!(
            "the shapefile is in {name} (see {}); Turfmap needs longitude/latitude: \
             reproject it to WGS84 (EPSG:4326), e.g. `ogr2ogr -t_srs EPSG:4326 out.shp in.shp`",
            prj.display()
        ));
    }
    Ok(())
}

/// The dBase attributes as JSON values (so `rep` and `color` are picked up
/// like GeoJSON properties).
fn properties_of(record: Record) -> Map<String, Value> {
    let mut props = Map::new();
    for (k, v) in record {
        let v = match v {
            FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::from(s.trim()),
            FieldValue::Numeric(Some(n)) | FieldValue::Double(n) | FieldValue::Currency(n) => {
                number(n)
            }
            FieldValue::Float(Some(f)) => number(f as f64),
            FieldValue::Integer(i) => Value::from(i),
            FieldValue::Logical(Some(b)) => Value::from(b),
            FieldValue::Date(Some(d)) => Value::from(d.to_string()),
            _ => Value::Null,
        };
        props.insert(k, v);
    }
    props
}

/// Whole numbers as integers, so a numeric name field `12` reads `12`.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// A ring of a shapefile polygon: (is it an outer ring, its points).
type Ring = (bool, Vec<Coord<f64>>);

/// Rings of a polygon shape.
fn rings_of(shape: Shape) -> std::result::Result<Vec<Ring>, String> {
    fn conv<P>(rings: &[PolygonRing<P>], xy: impl Fn(&P) -> Coord<f64>) -> Vec<Ring> {
        rings
            .iter()
            .map(|r| {
                let outer = matches!(r, PolygonRing::Outer(_));
                (outer, r.points().iter().map(&xy).collect())
            })
            .collect()
    }
    match shape {
        Shape::Polygon(p) => Ok(conv(p.rings(), |q| Coord { x: q.x, y: q.y })),
        Shape::PolygonM(p) => Ok(conv(p.rings(), |q| Coord { x: q.x, y: q.y })),
        Shape::PolygonZ(p) => Ok(conv(p.rings(), |q| Coord { x: q.x, y: q.y })),
        Shape::NullShape => Err("has no geometry".into()),
        other => Err(format!("is a {}, not a polygon", other.shapetype())),
    }
}

/// Groups rings into polygons: every inner ring goes to the first outer
/// ring that contains it. Bad rings are dropped (and listed in `fixes`);
/// an inner ring with no outer ring around it is kept as an outer ring,
/// since some writers get the ring order wrong.
fn polygons_of(
    shape: Shape,
    fixes: &mut Vec<String>,
) -> std::result::Result<Vec<Polygon<f64>>, String> {
    let rings = rings_of(shape)?;
    let mut outers: Vec<Polygon<f64>> = Vec::new();
    let mut inners: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut first_problem = None;
    for (k, (outer, pts)) in rings.into_iter().enumerate() {
        if let Some(why) = ring_problem(&pts) {
            fixes.push(format!("dropped ring {k}: {why}"));
            first_problem.get_or_insert(why);
            continue;
        }
        if outer {
            outers.push(Polygon::new(LineString(closed(pts)), vec![]));
        } else {
            inners.push(closed(pts));
        }
    }
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); outers.len()];
    for ring in inners {
        let probe = geo::Point(ring[0]);
        match outers
            .iter()
            .position(|o| o.contains(&probe) || o.exterior().contains(&probe))
        {
            Some(k) => holes[k].push(LineString(ring)),
            None => {
                fixes.push(
                    "an inner ring lies outside every outer ring: kept as an outer ring".into(),
                );
                outers.push(Polygon::new(LineString(ring), vec![]));
                holes.push(Vec::new());
            }
        }
    }
    if outers.is_empty() {
        // Every drop was fatal: not a repair but the reason to skip.
        return Err(first_problem.unwrap_or_else(|| "has no rings".into()));
    }
    Ok(outers
        .into_iter()
        .zip(holes)
        .map(|(o, h)| Polygon::new(o.exterior().clone(), h))
        .collect())
}
