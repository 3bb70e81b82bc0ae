//! Modal dialogs and the error banner: progress of a background job,
//! "Save changes?", "The plan changed on disk", and the new-plan request
//! that [`Command::CreatePlan`] carries.

use std::path::PathBuf;

use egui::{Id, Modal, Panel, ProgressBar, RichText, Ui};

use crate::app::Action;
use crate::app::command::Command;
use crate::app::jobs::Job;
use crate::core::Workspace;

/// A new plan to build: the files it is made from and where it is saved.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlanRequest {
    /// The accounts table.
    pub accounts: PathBuf,
    /// Territories to import with them (GeoJSON, shapefile, KML, KMZ).
    pub territories: Option<PathBuf>,
    /// The territories' name property (`None`: detect it).
    pub name_prop: Option<String>,
    /// The country of rows that name none.
    pub country: crate::core::geocode::Country,
    /// Where the new plan is saved.
    pub plan: PathBuf,
}

/// The window's modal dialogs: "Save changes?" and the changed-on-disk conflict.
#[derive(Debug, Default)]
pub struct Dialogs {
    /// What waits for "Save changes?" to be answered.
    pub(crate) confirm: Option<Action>,
    /// A save found the plan's file changed on disk: the file, and what
    /// waited for the save.
    pub(crate) conflict: Option<(PathBuf, Option<Action>)>,
}

/// A dismissable one-line error under the menu bar.
pub(crate) fn error_banner(ui: &mut Ui, error: &str) -> Vec<Command> {
    let mut out = Vec::new();
    // Opaque: nothing is painted under a panel's own frame.
    let fill = if ui.visuals().dark_mode {
        egui::Color32::from_rgb(96, 32, 32)
    } else {
        egui::Color32::from_rgb(253, 226, 222)
    };
    Panel::top("error_banner")
        .frame(egui::Frame::new().fill(fill).inner_margin(8))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                super::warning_icon(ui);
                if ui.button("Dismiss").clicked() {
                    out.push(Command::DismissError);
                }
                ui.add(
                    egui::Label::new(RichText::new(error).color(ui.visuals().strong_text_color()))
                        .wrap(),
                );
            });
        });
    out
}

/// Progress of the running job, with Cancel where it is safe.
pub(crate) fn busy_dialog(ctx: &egui::Context, job: &Job) -> Vec<Command> {
    let mut cancel = false;
    Modal::new(Id::unique("busy")).show(ctx, |ui| {
        ui.set_width(440.0);
        ui.heading(&job.title);
        ui.add_space(8.0);
        let f = job.progress.fraction();
        let bar = if f > 0.0 {
            ProgressBar::new(f).show_percentage()
        } else {
            // Unknown length: show that something is happening.
            ProgressBar::new(0.0).animate(true)
        };
        ui.add(bar);
        ui.add_space(8.0);
        if job.cancellable {
            cancel = ui.button("Cancel").clicked();
        } else {
            ui.label(
                RichText::new("This can't be interrupted; it should not take long.")
                    .color(ui.visuals().weak_text_color()),
            );
        }
    });
    if cancel {
        return vec![Command::CancelJob];
    }
    Vec::new()
}

impl Dialogs {
    /// True while a modal dialog waits for an answer.
    pub fn is_open(&self) -> bool {
        self.confirm.is_some() || self.conflict.is_some()
    }

    /// The open dialogs; returns what the user chose.
    pub fn ui(&mut self, ctx: &egui::Context, ws: &Workspace) -> Vec<Command> {
        let mut out = self.confirm_dialog(ctx, ws);
        out.extend(self.conflict_dialog(ctx));
        out
    }

    /// "The file changed on disk" after a refused save: Reload (drops this
    /// window's changes), Save as… (keeps both), Overwrite (drops the other
    /// program's changes) or Cancel. Nothing is overwritten silently.
    fn conflict_dialog(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let Some((path, _)) = &self.conflict else {
            return Vec::new();
        };
        let mut choice = None;
        let modal = Modal::new(Id::unique("changed_on_disk")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading("The plan changed on disk");
            ui.add_space(6.0);
            ui.label(format!(
                "{} was changed by another program (or another Turfmap window) since this \
                 window opened it, so it was not overwritten.",
                path.display()
            ));
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Reload")
                    .on_hover_text("Open the file as it is on disk; this window's changes are lost")
                    .clicked()
                {
                    choice = Some(0);
                }
                if ui
                    .button("Save as…")
                    .on_hover_text("Keep both: save this window's plan under another name")
                    .clicked()
                {
                    choice = Some(1);
                }
                if ui
                    .button("Overwrite")
                    .on_hover_text("Replace the file; the other program's changes are lost")
                    .clicked()
                {
                    choice = Some(2);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(3);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(3);
        }
        let Some(choice) = choice else {
            return Vec::new();
        };
        let Some((path, then)) = self.conflict.take() else {
            return Vec::new();
        };
        match choice {
            0 => vec![Command::Perform(Action::Open(path))],
            1 => vec![Command::SaveAs],
            2 => vec![Command::SaveOverwrite(path, then)],
            _ => Vec::new(),
        }
    }

    /// "Save changes to X before …?" with Save / Discard / Cancel.
    fn confirm_dialog(&mut self, ctx: &egui::Context, ws: &Workspace) -> Vec<Command> {
        let Some(action) = self.confirm.clone() else {
            return Vec::new();
        };
        let name = match ws.project().name.as_str() {
            "" => "this plan".to_owned(),
            n => format!("“{n}”"),
        };
        enum Choice {
            Save,
            Discard,
            Cancel,
        }
        let mut choice = None;
        let modal = Modal::new(Id::unique("confirm_unsaved")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Unsaved changes");
            ui.add_space(6.0);
            ui.label(format!(
                "Save changes to {name} before {}? Your changes will be lost if you don't save them.",
                action.phrase()
            ));
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    choice = Some(Choice::Save);
                }
                if ui.button("Discard").clicked() {
                    choice = Some(Choice::Discard);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(Choice::Cancel);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(Choice::Cancel);
        }
        if choice.is_some() {
            self.confirm = None;
        }
        match choice {
            Some(Choice::Save) => vec![Command::SaveThen(action)],
            Some(Choice::Discard) => vec![Command::Perform(action)],
            Some(Choice::Cancel) | None => Vec::new(),
        }
    }
}
