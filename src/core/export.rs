//! Exports: the account → territory assignment as CSV (to load back into the
//! CRM), territories as GeoJSON, and the atomic file write every writer of
//! the app goes through.
//!
//! The writers take any [`Write`] and know no file name, so an I/O error
//! they return carries an empty path; [`write_file_atomically`] fills in the
//! file it was writing.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, Position};
use serde_json::{Map, Value};

use crate::core::model::{Project, TerritoryId};
use crate::core::{Error, Result};

/// An I/O error of a writer that does not know its file (see module docs).
fn unnamed_io(e: std::io::Error) -> Error {
    Error::io(PathBuf::new(), e)
}

fn from_csv(e: csv::Error) -> Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => unnamed_io(io),
        _ => Error::invalid(message),
    }
}

/// Writes `account_id,territory` for every live account in import order;
/// the territory is its name, empty when `assignment[i]` is `None` or names a
/// territory that is not in the project. `assignment` has one entry per
/// account row (removed rows included).
pub fn write_assignment_csv<W: Write>(
    w: W,
    project: &Project,
    assignment: &[Option<TerritoryId>],
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
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["account_id", "territory"])
        .map_err(from_csv)?;
    for i in accounts.live() {
        let territory = assignment[i]
            .and_then(|id| names.get(&id).copied())
            .unwrap_or("");
        out.write_record([accounts.ids[i].as_str(), territory])
            .map_err(from_csv)?;
    }
    out.flush().map_err(unnamed_io)
}

/// The territories as a FeatureCollection: one MultiPolygon feature per
/// territory, in display order, with properties `name`, `id`, `color`
/// and `fill` (both `#rrggbb`, `fill` as in the simplestyle spec that map
/// viewers read; neighbours never share one), `priority`, `rep` (string or
/// null) and `locked`.
pub fn territories_to_geojson(project: &Project) -> FeatureCollection {
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

/// Tells temp files of concurrent writes in one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temp file unless the write went through, also when the
/// writer panics.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `path` all or nothing: `write` fills a temp file in the same
/// directory (`.NAME.tmp-PID-N`), which is flushed, synced to disk and then
/// renamed over `path`. On any error (or panic) the temp file is removed and
/// an existing `path` is left exactly as it was. A replaced file keeps its
/// permissions. An [`Error::Io`] from `write` with an empty path (as the
/// writers of this module return) is given `path`.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let file_name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp_path = dir.join(tmp_name);

    let file = File::create(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?;
    let mut guard = TempFile {
        path: tmp_path,
        keep: false,
    };
    if let Ok(meta) = fs::metadata(path) {
        // Best effort: a failure here must not stop the save.
        let _ = fs::set_permissions(&guard.path, meta.permissions());
    }
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| match e {
        Error::Io { path: p, source } if p.as_os_str().is_empty() => Error::io(path, source),
        other => other,
    })?;
    let file = out
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    // Windows cannot rename an open file.
    drop(file);
    fs::rename(&guard.path, path).map_err(|e| Error::io(path, e))?;
    guard.keep = true;
    sync_dir(dir);
    Ok(())
}

/// Makes the rename itself durable (Unix; a no-op elsewhere).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
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

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.csv");
        fs::write(&path, b"old").unwrap();
        write_file_atomically(&path, |w| w.write_all(b"new").map_err(unnamed_io)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.csv");
        let old = b"old contents\nline 2\n".repeat(1000);
        fs::write(&path, &old).unwrap();
        let err = write_file_atomically(&path, |w| {
            w.write_all(&vec![b'x'; 100_000]).map_err(unnamed_io)?;
            Err(unnamed_io(std::io::Error::other("disk on fire")))
        })
        .unwrap_err();
        // The writer's path-less error names the file.
        assert!(err.to_string().contains("plan.csv"), "{err}");
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), old);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("plan.csv")]);
    }

    #[test]
    fn panicking_writer_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.geojson");
        let r = std::panic::catch_unwind(|| {
            let _ = write_file_atomically(&path, |w| {
                w.write_all(b"partial").map_err(unnamed_io)?;
                panic!("bug in writer");
            });
        });
        assert!(r.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn write_into_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.csv");
        let err = write_file_atomically(&path, |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn replaced_file_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_file_atomically(&path, |w| w.write_all(b"new").map_err(unnamed_io)).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}
