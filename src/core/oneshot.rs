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
use crate::core::import::accounts::{RowSink, stream_accounts};
use crate::core::import::plan::push_territories;
use crate::core::import::{NewPlanFiles, NewPlanReport, new_project, territories_named};
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
    match streamed(files, cells) {
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
    fn row(&self, id: &str, lon: f64, lat: f64, out: &mut csv::Writer<Vec<u8>>) -> bool {
        let slot = if lon.is_finite() && lat.is_finite() {
            self.engine.place(lon, lat).0
        } else {
            NONE
        };
        let territory = self.names.get(slot as usize).map_or("", String::as_str);
        assignment_row(out, &self.cells.cell(id), territory).is_ok()
    }
}

/// The streamed assignment; `None` when the plan's way must be taken.
fn streamed(files: &NewPlanFiles, cells: CsvCells) -> Option<OneShot> {
    let path = files.territories.as_ref()?;
    let (imported, territories) = territories_named(path, files.name_prop.as_deref()).ok()?;
    let mut project = Project::new("Assignment");
    push_territories(&mut project, imported);
    let engine = Engine::new(&project);
    let mut names = vec![String::new(); engine.index().slot_capacity()];
    for t in &project.territories {
        if let Some(s) = engine.index().slot_of(t.id) {
            names[s as usize] = cells.cell(&t.name).into_owned();
        }
    }
    let placer = Placer {
        engine,
        cells,
        names,
    };
    let (accounts, rows) = stream_accounts(&files.accounts, &files.columns, &placer)?;
    let mut csv = vec![ASSIGNMENT_HEADER.to_vec()];
    csv.extend(rows);
    Some(OneShot {
        csv,
        report: NewPlanReport {
            accounts,
            territories: Some(territories),
        },
    })
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
