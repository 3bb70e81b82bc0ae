//! The window's hooks for the Find window (Ctrl+F) and the unassigned and
//! unlocated accounts window: opening them, framing an account, and the
//! CSV export of the listed accounts (on a worker thread, written
//! atomically so a failure leaves an earlier file as it was).

use std::path::PathBuf;
use std::time::Duration;

use super::jobs::{JobOutput, JobRequest};
use super::panels::{LeftOutFilter, SearchPanel, UnassignedPanel};
use super::{TurfmapApp, display_name};
use crate::core::csvsafe::CsvCells;
use crate::core::export::write_file_atomically;
use crate::core::unassigned::write_left_out_csv;

impl TurfmapApp {
    /// Opens the Find window with the keyboard in its text field.
    pub fn open_search(&mut self) {
        self.search.show();
    }

    /// The Find window's state (query, results).
    pub fn search_panel(&self) -> &SearchPanel {
        &self.search
    }

    /// Waits up to `timeout` for the Find window's index and query to be
    /// done (tests; the window itself never waits). True when done.
    pub fn wait_for_search(&mut self, timeout: Duration) -> bool {
        let key = (self.generation, self.ws.revision());
        self.search.step(&self.ctx, &self.ws, key, Some(timeout));
        !self.search.is_busy()
    }

    /// Opens the unassigned and unlocated accounts window on `filter`.
    pub fn open_left_out(&mut self, filter: LeftOutFilter) {
        self.left_out.show(filter);
        self.left_out.refresh(&self.ws, self.generation);
    }

    /// The unassigned and unlocated accounts window's state.
    pub fn left_out_panel(&self) -> &UnassignedPanel {
        &self.left_out
    }

    /// Frames account `i` on the map; an unlocated account's pinned
    /// territory instead, if it has one.
    pub fn zoom_to_account(&mut self, i: usize) {
        let a = &self.ws.project().accounts;
        if i >= a.len() {
            return;
        }
        if a.is_located(i) {
            self.map.zoom_to_point(a.lon[i], a.lat[i]);
        } else if let Some(t) = self.ws.engine().territory_of(i) {
            self.map.zoom_to_territory(&self.ws, t);
        } else {
            self.notice = Some(format!(
                "{} has no location, so it is not on the map",
                a.ids[i]
            ));
        }
    }

    /// Writes the accounts the unassigned window lists (its filter), with
    /// their reasons, to the CSV file `path` in the background.
    pub fn export_left_out_to(&mut self, path: PathBuf) {
        self.left_out.refresh(&self.ws, self.generation);
        let rows = self.left_out.shown();
        let project = self.ws.project().snapshot();
        let title = format!("Exporting unassigned accounts to {}", display_name(&path));
        self.start(JobRequest::new(title, false, move |_| {
            write_file_atomically(&path, |w| {
                write_left_out_csv(w, &project, &rows, CsvCells::SpreadsheetSafe)
            })?;
            Ok(JobOutput::Exported {
                path,
                what: "unassigned and unlocated accounts",
            })
        }));
    }

    /// Draws the Find and unassigned windows and applies what they ask.
    pub(crate) fn find_windows(&mut self, ctx: &egui::Context) {
        let commands = self
            .left_out
            .ui(ctx, &self.ws, self.generation, &self.selection);
        self.apply_commands(commands);
        let key = (self.generation, self.ws.revision());
        let commands = self.search.ui(ctx, &self.ws, key);
        self.apply_commands(commands);
    }
}
