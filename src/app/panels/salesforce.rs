//! File → Export to Salesforce…: the output folder, the org's Territory2
//! and User exports (for association loads with ids), the territories'
//! access levels (plan settings) and the row-number override. Paths can be
//! typed, so the dialog works without a desktop file chooser.

use std::path::PathBuf;

use egui::{Id, Modal, RichText, Ui};

use super::super::command::Command;
use crate::core::model::PlanSettings;
use crate::core::salesforce::ExportOptions;

/// The dialog's state while open.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SalesforceExportDialog {
    /// Output folder.
    pub folder: String,
    /// The org's Territory2 export (empty: metadata and load steps only).
    pub territory_ids: String,
    /// The org's User export (empty: no user associations).
    pub user_ids: String,
    /// Export although the account ids are row numbers.
    pub allow_row_ids: bool,
}

/// What the dialog asks the window to export.
#[derive(Clone, Debug)]
pub struct SalesforceExportRequest {
    /// Output folder.
    pub dir: PathBuf,
    /// Ids and overrides.
    pub options: ExportOptions,
}

const ACCOUNT_LEVELS: [&str; 3] = ["Read", "Edit", "All"];
const OTHER_LEVELS: [&str; 3] = ["None", "Read", "Edit"];

impl SalesforceExportDialog {
    /// A dialog writing into `folder`.
    pub fn new(folder: String) -> Self {
        Self {
            folder,
            ..Self::default()
        }
    }

    /// Draws the dialog; returns [`Command::ExportSalesforce`],
    /// [`Command::SetSettings`] (an access level changed) or
    /// [`Command::CloseSalesforceExport`].
    pub fn ui(&mut self, ctx: &egui::Context, settings: &PlanSettings) -> Vec<Command> {
        let mut out = Vec::new();
        let mut go = false;
        let mut close = false;
        let modal = Modal::new(Id::unique("salesforce_export")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.heading("Export to Salesforce");
            ui.add_space(6.0);
            path_row(ui, "Output folder", &mut self.folder, Pick::Folder);
            ui.label(
                RichText::new(
                    "The territory model (Metadata API source) for `sf project deploy start`. \
                     After deploying, export the org's Territory2 (Id, DeveloperName) and \
                     User records and pick them here to get the assignment files with ids.",
                )
                .color(ui.visuals().weak_text_color()),
            );
            path_row(ui, "Territory2 export", &mut self.territory_ids, Pick::Csv);
            path_row(ui, "User export", &mut self.user_ids, Pick::Csv);
            if let Some(s) = access_levels(ui, settings) {
                out.push(Command::SetSettings(Box::new(s)));
            }
            ui.checkbox(
                &mut self.allow_row_ids,
                "Export even if account ids are row numbers",
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                go = ui
                    .add_enabled(!self.folder.trim().is_empty(), egui::Button::new("Export"))
                    .clicked();
                close = ui.button("Cancel").clicked();
            });
        });
        if go {
            out.push(Command::ExportSalesforce(Box::new(self.request())));
        } else if close || modal.should_close() {
            out.push(Command::CloseSalesforceExport);
        }
        out
    }

    /// The export the dialog describes.
    pub fn request(&self) -> SalesforceExportRequest {
        let path = |s: &str| Some(PathBuf::from(s.trim())).filter(|_| !s.trim().is_empty());
        SalesforceExportRequest {
            dir: PathBuf::from(self.folder.trim()),
            options: ExportOptions {
                territory_ids: path(&self.territory_ids),
                user_ids: path(&self.user_ids).filter(|_| !self.territory_ids.trim().is_empty()),
                allow_row_number_ids: self.allow_row_ids,
                ..ExportOptions::default()
            },
        }
    }
}

#[derive(Clone, Copy)]
enum Pick {
    Folder,
    Csv,
}

/// A labelled path field with a "Choose…" button (the typed path stays
/// when no file chooser is available).
fn path_row(ui: &mut Ui, label: &str, value: &mut String, pick: Pick) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(egui::TextEdit::singleline(value).desired_width(340.0))
            .labelled_by(l.id);
        if ui
            .button("Choose…")
            .on_hover_text(format!("Choose the {}", label.to_lowercase()))
            .clicked()
        {
            let dialog = rfd::FileDialog::new().set_title(label);
            let chosen = match pick {
                Pick::Folder => dialog.pick_folder(),
                Pick::Csv => dialog.add_filter("CSV", &["csv"]).pick_file(),
            };
            if let Some(p) = chosen {
                *value = p.display().to_string();
            }
        }
    });
}

/// The four access levels as combo boxes; the new settings when one
/// changed.
fn access_levels(ui: &mut Ui, settings: &PlanSettings) -> Option<PlanSettings> {
    let a = &settings.salesforce;
    let mut new = a.clone();
    ui.label("Access levels on every territory (blank: the org's default)");
    egui::Grid::new("sf_access").num_columns(2).show(ui, |ui| {
        level(
            ui,
            "Account access",
            &a.account,
            &mut new.account,
            &ACCOUNT_LEVELS,
        );
        level(
            ui,
            "Opportunity access",
            &a.opportunity,
            &mut new.opportunity,
            &OTHER_LEVELS,
        );
        level(ui, "Case access", &a.case, &mut new.case, &OTHER_LEVELS);
        level(
            ui,
            "Contact access",
            &a.contact,
            &mut new.contact,
            &OTHER_LEVELS,
        );
    });
    (new != *a).then(|| PlanSettings {
        salesforce: new,
        ..settings.clone()
    })
}

fn level(ui: &mut Ui, label: &str, now: &Option<String>, new: &mut Option<String>, all: &[&str]) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(("sf_level", label))
        .selected_text(now.as_deref().unwrap_or("(org default)"))
        .show_ui(ui, |ui| {
            ui.selectable_value(new, None, "(org default)");
            for v in all {
                ui.selectable_value(new, Some((*v).to_owned()), *v);
            }
        })
        .response
        .labelled_by(l.id);
    ui.end_row();
}
