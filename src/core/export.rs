//! Exports: the account → territory assignment as CSV (to load back into the
//! CRM) and territories as GeoJSON.
//!
//! The writers take any [`Write`] and know no file name, so an I/O error
//! they return carries an empty path; [`crate::core::fs::write_file_atomically`]
//! fills in the file it was writing.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, Position};
use serde_json::{Map, Value};

use crate::core::csvsafe::CsvCells;
use crate::core::model::{Project, TerritoryId};
use crate::core::{Error, Result};

/// Kept here for callers of the old place; the code lives in [`crate::core::fs`].
pub use crate::core::fs::write_file_atomically;

/// An I/O error of a writer that does not know its file (see module docs).
pub(crate) fn unnamed_io(e: std::io::Error) -> Error {
    Error::io(PathBuf::new(), e)
}

/// A CSV writer's error: an I/O one without a file name (see the module
/// docs), or what went wrong.
pub(crate) fn from_csv(e: csv::Error) -> Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => unnamed_io(io),
        _ => Error::invalid(message),
    }
}

/// The header line of an assignment CSV.
pub const ASSIGNMENT_HEADER: &[u8] = b"account_id,territory\n";

/// One row of an assignment CSV: the cells as they are to be written (see
/// [`CsvCells::cell`]).
pub fn assignment_row<W: Write>(out: &mut csv::Writer<W>, id: &str, territory: &str) -> Result<()> {
    out.write_record([id.as_bytes(), territory.as_bytes()])
        .map_err(from_csv)
}

/// Writes `account_id,territory` for every live account in import order;
/// the territory is its name, empty when `assignment[i]` is `None` or names a
/// territory that is not in the project. `assignment` has one entry per
/// account row (removed rows included). Cells are spreadsheet-safe (see
/// [`crate::core::csvsafe`]).
pub fn write_assignment_csv<W: Write>(
    w: W,
    project: &Project,
    assignment: &[Option<TerritoryId>],
) -> Result<()> {
    write_assignment_csv_with(w, project, assignment, CsvCells::default())
}

/// [`write_assignment_csv`] with the cells written as `cells` says.
pub fn write_assignment_csv_with<W: Write>(
    w: W,
    project: &Project,
    assignment: &[Option<TerritoryId>],
    cells: CsvCells,
) -> Result<()> {
    let accounts = &project.accounts;
    if assignment.len() != accounts.len() {
        return Err(Error::invalid(format!(
            "assignment has {} entries for {} accounts",
            assignment.len(),
            accounts.len()
        )));
    }
    let names: HashMap<TerritoryId, &str> = project
        .territories
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    let mut w = w;
    w.write_all(ASSIGNMENT_HEADER).map_err(unnamed_io)?;
    // Rows are formatted in parallel, a block of accounts per task, and
    // written in order; a batch of blocks at a time keeps the buffers small.
    const BLOCK: usize = 1 << 15;
    const BATCH: usize = 16 * BLOCK;
    let n = accounts.len();
    for start in (0..n).step_by(BATCH) {
        let blocks: Vec<Result<Vec<u8>>> = (start..(start + BATCH).min(n))
            .step_by(BLOCK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
                for i in (from..(from + BLOCK).min(n)).filter(|&i| !accounts.removed[i]) {
                    let territory = assignment[i]
                        .and_then(|id| names.get(&id).copied())
                        .unwrap_or("");
                    let (id, territory) = (cells.cell(&accounts.ids[i]), cells.cell(territory));
                    assignment_row(&mut out, &id, &territory)?;
                }
                out.into_inner().map_err(|e| unnamed_io(e.into_error()))
            })
            .collect();
        for block in blocks {
            w.write_all(&block?).map_err(unnamed_io)?;
        }
    }
    w.flush().map_err(unnamed_io)
}

/// The territories as a FeatureCollection: one MultiPolygon feature per
/// territory, in display order, with properties `name`, `id`, `color`
/// and `fill` (both `#rrggbb`, `fill` as in the simplestyle spec that map
/// viewers read; neighbours never share one), `priority`, `rep` (string or
/// null), `locked` and, once quotas are set, `quota` (its own plus its
/// descendants', as everywhere).
pub fn territories_to_geojson(project: &Project) -> FeatureCollection {
    let quotas = super::hierarchy::rolled_up_quotas(project);
    let features = project.territories.iter().map(|t| {
        let coordinates: Vec<Vec<Vec<Position>>> = t
            .geometry
            .0
            .iter()
            .map(|poly| {
                std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .map(|ring| ring.0.iter().map(|c| Position::from([c.x, c.y])).collect())
                    .collect()
            })
            .collect();
        let [r, g, b] = t.color;
        let mut props = Map::new();
        props.insert("name".into(), Value::from(t.name.clone()));
        props.insert("id".into(), Value::from(t.id.0));
        let hex = format!("#{r:02x}{g:02x}{b:02x}");
        props.insert("color".into(), Value::from(hex.clone()));
        props.insert("fill".into(), Value::from(hex));
        props.insert("priority".into(), Value::from(t.priority));
        props.insert(
            "rep".into(),
            project.rep_label(t).map_or(Value::Null, Value::from),
        );
        props.insert("locked".into(), Value::from(t.locked));
        if let Some(q) = quotas.get(&t.id) {
            props.insert("quota".into(), Value::from(*q));
        }
        Feature {
            geometry: Some(Geometry::new(GeometryValue::MultiPolygon { coordinates })),
            properties: Some(props),
            ..Feature::default()
        }
    });
    FeatureCollection::new(features)
}

/// Writes [`territories_to_geojson`] as compact JSON. Pass a buffered
/// writer: the encoder makes many small writes.
pub fn write_territories_geojson<W: Write>(mut w: W, project: &Project) -> Result<()> {
    serde_json::to_writer(&mut w, &territories_to_geojson(project))
        .map_err(|e| unnamed_io(e.into()))?;
    w.write_all(b"\n").map_err(unnamed_io)?;
    w.flush().map_err(unnamed_io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, Accounts};
    use geo::{LineString, MultiPolygon, Polygon};

    fn square(x: f64, y: f64, s: f64) -> Polygon<f64> {
        Polygon::new(
            LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
            vec![],
        )
    }

    fn project() -> Project {
        let mut p = Project::new("test");
        p.accounts = Accounts::with_schema(&[], &[]);
        for id in ["A1", "A2", "A3", "A,4"] {
            p.accounts.push(&AccountRow {
                id: id.into(),
                name: id.into(),
                ..AccountRow::default()
            });
        }
        p.accounts.removed[1] = true;
        p.add_territory(
            "North, \"upper\"",
            MultiPolygon(vec![square(0.0, 0.0, 1.0)]),
        );
        p.add_territory("South", MultiPolygon(vec![]));
        p
    }

    #[test]
    fn assignment_csv_rows_in_order_with_blanks() {
        let p = project();
        let (north, south) = (p.territories[0].id, p.territories[1].id);
        let mut out = Vec::new();
        let assignment = [Some(north), Some(south), None, Some(TerritoryId(99))];
        write_assignment_csv(&mut out, &p, &assignment).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "account_id,territory\nA1,\"North, \"\"upper\"\"\"\nA3,\n\"A,4\",\n"
        );
        let mut out = Vec::new();
        let assignment = [None, None, Some(south), Some(north)];
        write_assignment_csv(&mut out, &p, &assignment).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "account_id,territory\nA1,\nA3,South\n\"A,4\",\"North, \"\"upper\"\"\"\n"
        );
        assert!(write_assignment_csv(Vec::new(), &p, &[None]).is_err());
    }

    #[test]
    fn assignment_csv_is_spreadsheet_safe_unless_raw() {
        let mut p = project();
        p.accounts.ids[0] = "=HYPERLINK(\"http://evil\",\"x\")".into();
        p.territories[0].name = "@SUM(1)".into();
        p.accounts.ids[2] = "-42".into();
        let north = p.territories[0].id;
        let assignment = [Some(north), None, Some(north), None];
        let mut out = Vec::new();
        write_assignment_csv(&mut out, &p, &assignment).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "account_id,territory\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'@SUM(1)\n-42,'@SUM(1)\n\"A,4\",\n"
        );
        let mut out = Vec::new();
        write_assignment_csv_with(&mut out, &p, &assignment, CsvCells::Raw).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\n-42,@SUM(1)\n"), "{text}");
    }

    #[test]
    fn geojson_properties() {
        let mut p = project();
        p.reps.push(crate::core::model::Rep::new(
            crate::core::model::RepId(0),
            "Kim",
        ));
        p.territories[0].reps = vec![crate::core::model::RepId(0)];
        p.territories[0].priority = 3;
        p.territories[0].locked = true;
        p.territories[0].color = [255, 0, 16];
        let fc = territories_to_geojson(&p);
        assert_eq!(fc.features.len(), 2);
        let f = &fc.features[0];
        assert_eq!(f.property("name").unwrap(), "North, \"upper\"");
        assert_eq!(f.property("id").unwrap(), 0);
        assert_eq!(f.property("color").unwrap(), "#ff0010");
        assert_eq!(f.property("priority").unwrap(), 3);
        assert_eq!(f.property("rep").unwrap(), "Kim");
        assert_eq!(f.property("locked").unwrap(), true);
        assert!(fc.features[1].property("rep").unwrap().is_null());
        let text = {
            let mut v = Vec::new();
            write_territories_geojson(&mut v, &p).unwrap();
            String::from_utf8(v).unwrap()
        };
        assert!(text.contains(r#""type":"MultiPolygon""#), "{text}");
    }
}
