//! One-shot assignment (`turfmap assign --accounts … --territories …`):
//! an accounts file and boundaries to `account_id,territory` rows, with no
//! plan file and no plan kept in memory.
//!
//! The common case streams: the boundaries are read and indexed, then the
//! accounts file is read a chunk at a time and each account's territory
//! written as its row is read ([`stream_accounts`]). A file the stream
//! does not take (see there), or any problem, goes the way of `turfmap
//! new` + `turfmap assign`: a plan built in memory ([`new_project`]), so
//! the errors and the result are exactly theirs.

use crate::core::csvsafe::CsvCells;
use crate::core::engine::{Engine, NONE};
use crate::core::export::{ASSIGNMENT_HEADER, assignment_row, write_assignment_csv_with};
use crate::core::import::accounts::{BlockRows, RowSink, stream_accounts, stream_sized};
use crate::core::import::plan::push_territories;
use crate::core::import::{
    ImportedTerritory, NewPlanFiles, NewPlanReport, new_project, territories_named,
};
use crate::core::model::Project;
use crate::core::progress::Progress;
use crate::core::{Result, Workspace};

/// The assignment CSV of a one-shot assignment and what the imports found.
#[derive(Debug)]
pub struct OneShot {
    /// The CSV (header and rows), in pieces to be written in order.
    pub csv: Vec<Vec<u8>>,
    /// What reading the accounts and boundaries found, as `turfmap new`
    /// reports it.
    pub report: NewPlanReport,
}

/// Assigns the accounts of `files` to its boundaries (see the module
/// comment); cells written as `cells` says. Same errors as `turfmap new`.
pub fn assign_files(files: &NewPlanFiles, cells: CsvCells) -> Result<OneShot> {
    match streamed(files, cells, None) {
        Some(done) => Ok(done),
        None => planned(files, cells),
    }
}

/// Territory cells by engine slot.
struct Placer {
    engine: Engine,
    cells: CsvCells,
    names: Vec<String>,
}

impl RowSink for Placer {
    fn rows(&self, rows: &BlockRows, out: &mut csv::Writer<Vec<u8>>) -> bool {
        // Every point first, then every row: the index stays in the cache.
        let slots: Vec<u32> = rows
            .lon
            .iter()
            .zip(&rows.lat)
            .map(|(&lon, &lat)| {
                if lon.is_finite() && lat.is_finite() {
                    self.engine.place(lon, lat).0
                } else {
                    NONE
                }
            })
            .collect();
        slots.iter().enumerate().all(|(i, &slot)| {
            let territory = self.names.get(slot as usize).map_or("", String::as_str);
            assignment_row(out, &self.cells.cell(rows.id(i)), territory).is_ok()
        })
    }
}

/// The streamed assignment; `None` when the plan's way must be taken.
/// `sizes`: chunk and block sizes other than the stream's own (tests).
fn streamed(files: &NewPlanFiles, cells: CsvCells, sizes: Option<[usize; 2]>) -> Option<OneShot> {
    let path = files.territories.as_ref()?;
    let territories = std::sync::OnceLock::new();
    // The boundaries are read and indexed while the accounts file opens.
    let make = || {
        let (imported, report) = territories_named(path, files.name_prop.as_deref()).ok()?;
        territories.set(report).ok()?;
        Some(placer(imported, cells))
    };
    let (accounts, rows) = match sizes {
        Some(sizes) => stream_sized(&files.accounts, &files.columns, make, sizes)?,
        None => stream_accounts(&files.accounts, &files.columns, make)?,
    };
    let mut csv = vec![ASSIGNMENT_HEADER.to_vec()];
    csv.extend(rows);
    Some(OneShot {
        csv,
        report: NewPlanReport {
            accounts,
            territories: Some(territories.into_inner()?),
        },
    })
}

/// The territories of `imported` indexed, and their names as cells.
fn placer(imported: Vec<ImportedTerritory>, cells: CsvCells) -> Placer {
    let mut project = Project::new("Assignment");
    push_territories(&mut project, imported);
    let engine = Engine::placer(&project);
    let mut names = vec![String::new(); engine.index().slot_capacity()];
    for t in &project.territories {
        if let Some(s) = engine.index().slot_of(t.id) {
            names[s as usize] = cells.cell(&t.name).into_owned();
        }
    }
    Placer {
        engine,
        cells,
        names,
    }
}

/// The assignment through a plan, as `turfmap new` builds it.
fn planned(files: &NewPlanFiles, cells: CsvCells) -> Result<OneShot> {
    let (project, report) = new_project("Assignment", files, &Progress::new())?;
    let ws = Workspace::new(project);
    let mut out = Vec::new();
    write_assignment_csv_with(&mut out, ws.project(), &ws.engine().assignment(), cells)?;
    Ok(OneShot {
        csv: vec![out],
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::import::AccountImportOptions;
    use std::path::Path;

    /// Two unit squares side by side, `West` (0..1) and `East` (1..2), and
    /// a third named like a formula.
    const SQUARES: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"West"},"geometry":{"type":"Polygon",
         "coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
        {"type":"Feature","properties":{"name":"East"},"geometry":{"type":"Polygon",
         "coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}},
        {"type":"Feature","properties":{"name":"=Sum"},"geometry":{"type":"Polygon",
         "coordinates":[[[0,1],[1,1],[1,2],[0,2],[0,1]]]}}]}"#;

    /// A messy export: quoted line breaks, delimiters and quotes, quotes
    /// inside unquoted fields, blank and CRLF lines, `,,,` rows, postal
    /// codes (some unknown), bad coordinates, ids a spreadsheet would run.
    fn messy(rows: usize, seed: u64) -> String {
        let mut x = seed;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % m
        };
        let mut out = String::from("Id,\"Na\nme\",Lat,Lon,Zip,Industry,Revenue\r\n");
        for i in 0..rows {
            let id = if next(20) == 0 {
                format!("=A{i}")
            } else {
                format!("A{i}")
            };
            let name = match next(7) {
                0 => format!("\"Smith, {i}\nand \"\"sons\"\"\""),
                1 => String::new(),
                2 => format!("O\"Brien {i}"),
                3 => format!("\"x\"y{i}"),
                4 => "\"\r\n\"".to_owned(),
                _ => format!("Acct {i}"),
            };
            let (lat, lon) = match next(6) {
                0 => (String::new(), String::new()),
                1 => ("95".to_owned(), "10".to_owned()),
                2 => ("\"0,5\"".to_owned(), "\"1,5\"".to_owned()),
                _ => (
                    format!("0.{}", 1 + next(9)),
                    format!("{}.{}", next(3), 1 + next(9)),
                ),
            };
            let zip = ["", "10115", "99999", "30301", "\"02134\""][next(5) as usize];
            let industry = ["Retail", "", "\"Oil, Gas\"", "7"][next(4) as usize];
            let end = if next(3) == 0 { "\r\n" } else { "\n" };
            out.push_str(&format!(
                "{id},{name},{lat},{lon},{zip},{industry},{}{end}",
                next(50)
            ));
            match next(15) {
                0 => out.push_str(",,,,,,\n"),
                1 => out.push('\n'),
                _ => {}
            }
        }
        out
    }

    fn files(dir: &Path, csv: &str) -> NewPlanFiles {
        let accounts = dir.join("a.csv");
        let territories = dir.join("t.geojson");
        std::fs::write(&accounts, csv).unwrap();
        std::fs::write(&territories, SQUARES).unwrap();
        NewPlanFiles {
            accounts,
            territories: Some(territories),
            name_prop: None,
            columns: AccountImportOptions::default(),
        }
    }

    fn text(shot: &OneShot) -> String {
        String::from_utf8(shot.csv.concat()).unwrap()
    }

    /// The stream gives the plan's output and report byte for byte, however
    /// the file is cut into chunks and blocks.
    #[test]
    fn stream_matches_the_plan_wherever_it_cuts() {
        let dir = tempfile::tempdir().unwrap();
        for seed in 1..4 {
            let f = files(dir.path(), &messy(400, seed));
            for cells in [CsvCells::SpreadsheetSafe, CsvCells::Raw] {
                let want = planned(&f, cells).unwrap();
                assert!(text(&want).contains(",West\n") && text(&want).contains(",East\n"));
                for sizes in [None, Some([64, 1]), Some([100, 30]), Some([997, 211])] {
                    let got = streamed(&f, cells, sizes).expect("streamed");
                    assert_eq!(text(&got), text(&want), "seed {seed}, sizes {sizes:?}");
                    assert_eq!(got.report, want.report, "seed {seed}, sizes {sizes:?}");
                }
            }
        }
    }

    /// What the stream does not take goes the plan's way, with its errors.
    #[test]
    fn problems_take_the_plan_way_with_its_errors() {
        let dir = tempfile::tempdir().unwrap();
        let good = "Id,Lat,Lon\na,0.5,0.5\nb,0.5,1.5\n";
        let cases = [
            format!("{good}a,0.2,0.2\n"),
            format!("{good}c,0.2\n"),
            format!("{good} ,0.2,0.2\n"),
            format!("{good}\"c,0.2,0.2\n"),
            "Id,Name\na,b\n".to_owned(),
            "Name,Lat,Lon\nx,1,1\n".to_owned(),
            "Id,Lat,Lon\n".to_owned(),
        ];
        for csv in &cases {
            let f = files(dir.path(), csv);
            assert!(
                streamed(&f, CsvCells::default(), Some([8, 2])).is_none(),
                "{csv}"
            );
            let want = new_project("Assignment", &f, &Progress::new()).err();
            let got = assign_files(&f, CsvCells::default()).err();
            assert_eq!(
                got.map(|e| e.to_string()),
                want.map(|e| e.to_string()),
                "{csv}"
            );
        }
        // Row numbers as ids: the plan's way, its output.
        let mut f = files(dir.path(), good);
        f.columns.id_col = Some("#row".into());
        assert!(streamed(&f, CsvCells::default(), None).is_none());
        let shot = assign_files(&f, CsvCells::default()).unwrap();
        assert_eq!(text(&shot), "account_id,territory\n1,West\n2,East\n");
        let csv = format!("{good}c,0.5,0.5\n");
        let f = files(dir.path(), &csv);
        let shot = assign_files(&f, CsvCells::default()).unwrap();
        assert_eq!(
            text(&shot),
            "account_id,territory\na,West\nb,East\nc,West\n"
        );
    }

    /// Each cut the scan makes is where the csv reader starts a record.
    #[test]
    fn cuts_are_record_starts() {
        for seed in 1..4 {
            let csv = messy(300, seed);
            let bytes = csv.as_bytes();
            // Where the reader's records start (its positions are where the
            // previous record ended: before blank lines and a CRLF's LF).
            let skip = |mut i: usize| {
                while i < bytes.len() && matches!(bytes[i], b'\r' | b'\n') {
                    i += 1;
                }
                i
            };
            let mut starts = std::collections::HashSet::new();
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut rec = csv::ByteRecord::new();
            let mut at = 0;
            while rdr.read_byte_record(&mut rec).unwrap() {
                starts.insert(skip(at));
                at = usize::try_from(rdr.position().byte()).unwrap();
            }
            starts.insert(bytes.len());
            let mut cuts = 0;
            for target in 0..bytes.len() {
                if let Some(e) = crate::core::import::accounts::record_end_for_tests(bytes, target)
                {
                    assert!(e >= target && bytes[e - 1] == b'\n', "seed {seed}, cut {e}");
                    assert!(starts.contains(&skip(e)), "seed {seed}, cut {e}");
                    cuts += 1;
                }
            }
            assert!(cuts > bytes.len() / 2, "seed {seed}: {cuts} cuts");
        }
    }
}
