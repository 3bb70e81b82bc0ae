//! The window's hooks for the Find window (Ctrl+F) and the unassigned and
//! unlocated accounts window: framing an account, and the CSV export of
//! the listed accounts (on a worker thread, written atomically so a
//! failure leaves an earlier file as it was). The windows themselves are
//! panels ([`super::panels::SearchPanel`], [`super::panels::UnassignedPanel`]).

use std::path::PathBuf;
use std::time::Duration;

use super::jobs::{JobOutput, JobRequest};
use super::map::MapView;
use super::panels::LeftOutFilter;
use super::{TurfmapApp, display_name};
use crate::core::Workspace;
use crate::core::csvsafe::CsvCells;
use crate::core::export::write_file_atomically;
use crate::core::unassigned::{left_out, write_left_out_csv};

/// Frames account `i` on the map; an unlocated account's pinned territory
/// instead, if it has one. Returns a notice when there is nothing to show.
pub(crate) fn zoom_to_account(map: &mut MapView, ws: &Workspace, i: usize) -> Option<String> {
    let a = &ws.project().accounts;
    if i >= a.len() {
        return None;
    }
    if a.is_located(i) {
        map.zoom_to_point(a.lon[i], a.lat[i]);
    } else if let Some(t) = ws.engine().territory_of(i) {
        map.zoom_to_territory(ws, t);
    } else {
        return Some(format!(
            "{} has no location, so it is not on the map",
            a.ids[i]
        ));
    }
    None
}

/// The job that writes the accounts the unassigned window lists (its
/// filter), with their reasons, to the CSV file `path`.
/// The rows are listed afresh on the worker from a snapshot of the plan, so
/// the file is right even while the window's list is still being built.
pub(crate) fn export_left_out(filter: LeftOutFilter, ws: &Workspace, path: PathBuf) -> JobRequest {
    let snapshot = ws.snapshot();
    let title = format!("Exporting unassigned accounts to {}", display_name(&path));
    JobRequest::new(title, false, move |_| {
        let rows: Vec<_> = left_out(snapshot.project(), snapshot.engine())
            .into_iter()
            .filter(|r| filter.keeps(r))
            .collect();
        write_file_atomically(&path, |w| {
            write_left_out_csv(w, snapshot.project(), &rows, CsvCells::SpreadsheetSafe)
        })?;
        Ok(JobOutput::Exported {
            path,
            what: "unassigned and unlocated accounts",
        })
    })
}

impl TurfmapApp {
    /// Waits up to `timeout` (each) for the Find window's index and query
    /// and the unassigned window's list to be done (tests; the window
    /// itself never waits). True when both are.
    pub fn wait_for_lists(&mut self, timeout: Duration) -> bool {
        let key = (self.generation, self.ws.revision());
        let search = &mut self.panels.search;
        search.step(&self.ctx, &self.ws, key, Some(timeout));
        let left_out = &mut self.panels.left_out;
        let listed = left_out.wait(&self.ctx, &self.ws, self.generation, timeout);
        !self.panels.search.is_busy() && listed
    }
}
