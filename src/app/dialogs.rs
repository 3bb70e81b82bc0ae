//! Modal dialogs and the error banner: progress of a background job,
//! "Save changes?".

use egui::{Id, Modal, Panel, ProgressBar, RichText, Ui};

use super::TurfmapApp;

impl TurfmapApp {
    /// A dismissable one-line error under the menu bar.
    pub(crate) fn error_banner(&mut self, ui: &mut Ui) {
        let Some(error) = self.error.clone() else {
            return;
        };
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
                    super::panels::warning_icon(ui);
                    if ui.button("Dismiss").clicked() {
                        self.error = None;
                    }
                    ui.add(
                        egui::Label::new(
                            RichText::new(error).color(ui.visuals().strong_text_color()),
                        )
                        .wrap(),
                    );
                });
            });
    }

    pub(crate) fn dialogs(&mut self, ctx: &egui::Context) {
        self.busy_dialog(ctx);
        self.confirm_dialog(ctx);
        self.about.ui(ctx);
    }

    /// Progress of the running job, with Cancel where it is safe.
    fn busy_dialog(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.job else { return };
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
            self.cancel_job();
        }
    }

    /// "Save changes to X before …?" with Save / Discard / Cancel.
    fn confirm_dialog(&mut self, ctx: &egui::Context) {
        let Some(action) = self.confirm.clone() else {
            return;
        };
        let name = match self.ws.project().name.as_str() {
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
        match choice {
            Some(Choice::Save) => {
                self.confirm = None;
                self.save(Some(action));
            }
            Some(Choice::Discard) => {
                self.confirm = None;
                self.perform(action);
            }
            Some(Choice::Cancel) => self.confirm = None,
            None => {}
        }
    }
}
