//! The "Unassigned and unlocated" window: the accounts the plan leaves out,
//! each with why (outside every territory, no coordinates, unknown postal
//! code, country not covered, …), to click (select and zoom) and to export
//! as CSV. Opened from the plan summary's "Unassigned" / "Unlocated"
//! figures.

use egui::{RichText, ScrollArea, Ui};

use crate::app::command::Command;
use crate::app::fmt;
use crate::app::state::Selection;
use crate::core::Workspace;
use crate::core::model::TerritoryTypeId;
use crate::core::unassigned::{LeftOut, counts, left_out};

/// Which accounts the window lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeftOutFilter {
    /// Unassigned and unlocated.
    #[default]
    All,
    /// Accounts in no territory (unlocated ones too, as the plan's
    /// "Unassigned" figure counts them).
    Unassigned,
    /// Accounts with no location.
    Unlocated,
}

impl LeftOutFilter {
    fn keeps(self, row: &LeftOut) -> bool {
        match self {
            LeftOutFilter::All => true,
            LeftOutFilter::Unassigned => row.territory.is_none(),
            LeftOutFilter::Unlocated => row.reason.is_unlocated(),
        }
    }
}

/// What the rows were computed from: plan generation, revision, type.
type RowsKey = (u64, u64, TerritoryTypeId);

/// The window's state; the rows are recomputed when the plan changes.
#[derive(Default)]
pub struct UnassignedPanel {
    /// Whether the window is shown.
    pub open: bool,
    /// Which accounts are listed.
    pub filter: LeftOutFilter,
    rows: Vec<LeftOut>,
    key: Option<RowsKey>,
}

impl UnassignedPanel {
    /// Opens the window on `filter`.
    pub fn show(&mut self, filter: LeftOutFilter) {
        self.open = true;
        self.filter = filter;
    }

    /// Brings the rows up to date with plan `generation` of `ws`.
    pub fn refresh(&mut self, ws: &Workspace, generation: u64) {
        let key = (generation, ws.revision(), ws.current_type());
        if self.key != Some(key) {
            self.rows = left_out(ws.project(), ws.engine());
            self.key = Some(key);
        }
    }

    /// The rows the window lists (after [`UnassignedPanel::refresh`]).
    pub fn shown(&self) -> Vec<LeftOut> {
        self.rows
            .iter()
            .filter(|r| self.filter.keeps(r))
            .cloned()
            .collect()
    }

    /// Draws the window (when open) and returns what the user asked for.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        generation: u64,
        selection: &Selection,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        self.refresh(ws, generation);
        let mut open = true;
        egui::Window::new("Unassigned and unlocated")
            .open(&mut open)
            .default_size([560.0, 460.0])
            .resizable(true)
            .show(ctx, |ui| self.contents(ui, ws, selection, &mut out));
        self.open &= open;
        out
    }

    fn contents(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        selection: &Selection,
        out: &mut Vec<Command>,
    ) {
        let (unassigned, unlocated) = counts(&self.rows);
        ui.horizontal(|ui| {
            for (filter, text) in [
                (
                    LeftOutFilter::All,
                    format!("All {}", fmt::count(self.rows.len() as u64)),
                ),
                (
                    LeftOutFilter::Unassigned,
                    format!("Unassigned {}", fmt::count(unassigned as u64)),
                ),
                (
                    LeftOutFilter::Unlocated,
                    format!("Unlocated {}", fmt::count(unlocated as u64)),
                ),
            ] {
                ui.selectable_value(&mut self.filter, filter, text);
            }
        });
        let shown: Vec<&LeftOut> = self.rows.iter().filter(|r| self.filter.keeps(r)).collect();
        ui.horizontal(|ui| {
            let export = ui
                .add_enabled(!shown.is_empty(), egui::Button::new("Export CSV…"))
                .on_hover_text("Write the accounts listed here, with their reasons, to a CSV file");
            if export.clicked()
                && let Some(path) = crate::app::files::dialogs::save_as(
                    "Export unassigned and unlocated accounts",
                    "CSV",
                    "csv",
                    "unassigned",
                    ws.path(),
                )
            {
                out.push(Command::ExportLeftOut(path));
            }
            ui.label(
                RichText::new("Click an account to select it and show it on the map")
                    .small()
                    .color(ui.visuals().weak_text_color()),
            );
        });
        ui.separator();
        if shown.is_empty() {
            ui.label(match self.filter {
                LeftOutFilter::Unlocated => "Every account has a location.",
                _ => "Every account is located and in a territory.",
            });
            return;
        }
        rows_table(ui, ws, &shown, selection, out);
    }
}

/// The rows, drawn only where visible (a million-account plan can leave
/// out thousands).
fn rows_table(
    ui: &mut Ui,
    ws: &Workspace,
    shown: &[&LeftOut],
    selection: &Selection,
    out: &mut Vec<Command>,
) {
    let a = &ws.project().accounts;
    let height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y + 4.0;
    ScrollArea::vertical()
        .id_salt("left_out_rows")
        .auto_shrink([false, false])
        .show_rows(ui, height, shown.len(), |ui, range| {
            for r in &shown[range] {
                let i = r.account;
                ui.horizontal(|ui| {
                    let text = format!("{} · {}", a.ids[i], a.names[i]);
                    let picked = selection.account == Some(i);
                    if ui.selectable_label(picked, text).clicked() {
                        out.push(Command::SelectAccount(i));
                        out.push(Command::ZoomToAccount(i));
                    }
                    let mut why = r.reason.label();
                    if let Some(t) = r.territory.and_then(|id| ws.project().territory(id)) {
                        why.push_str(&format!(" · pinned to {}", t.name));
                    }
                    ui.label(RichText::new(why).color(ui.visuals().weak_text_color()));
                });
            }
        });
}
