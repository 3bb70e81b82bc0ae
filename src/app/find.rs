//! The window's hooks for the Find window (Ctrl+F) and the unassigned and
//! unlocated accounts window: framing an account, and the CSV export of
//! the listed accounts (on a worker thread, written atomically so a
//! failure leaves an earlier file as it was). The windows themselves are
//! panels ([`super::panels::SearchPanel`], [`super::panels::UnassignedPanel`]).

use std::path::PathBuf;
use std::time::Duration;

use super::jobs::{JobOutput, JobRequest};
use super::map::MapView;
use super::panels::UnassignedPanel;
use super::{TurfmapApp, display_name};
use crate::core::Workspace;
use crate::core::csvsafe::CsvCells;
use crate::core::export::write_file_atomically;
use crate::core::unassigned::write_left_out_csv;

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
pub(crate) fn export_left_out(
    panel: &mut UnassignedPanel,
    ws: &Workspace,
    generation: u64,
    path: PathBuf,
) -> JobRequest {
    panel.refresh(ws, generation);
    let rows = panel.shown();
    let project = ws.project().snapshot();
    let title = format!("Exporting unassigned accounts to {}", display_name(&path));
    JobRequest::new(title, false, move |_| {
        write_file_atomically(&path, |w| {
            write_left_out_csv(w, &project, &rows, CsvCells::SpreadsheetSafe)
        })?;
        Ok(JobOutput::Exported {
            path,
            what: "unassigned and unlocated accounts",
        })
    })
}

impl TurfmapApp {
    /// Waits up to `timeout` for the Find window's index and query to be
    /// done (tests; the window itself never waits). True when done.
    pub fn wait_for_search(&mut self, timeout: Duration) -> bool {
        let key = (self.generation, self.ws.revision());
        let search = &mut self.panels.search;
        search.step(&self.ctx, &self.ws, key, Some(timeout));
        !search.is_busy()
    }
}
