//! The import dialogs as one panel: the import wizard, the territory name
//! picker and the last refresh's change summary. They own their state and
//! return [`Command`]s (create a plan, refresh, import territories,
//! remember a choice) that the app carries out.

use std::path::PathBuf;
use std::time::Duration;

use egui::{Id, RichText};

use super::import_wizard::{ImportWizard, WizardMode, WizardOutcome};
use super::name_picker::{NamePicker, PickerOutcome};
use crate::app::command::Command;
use crate::app::settings::AppSettings;
use crate::core::geocode::Country;

/// The import dialogs' state.
#[derive(Default)]
pub struct ImportDialogs {
    wizard: Option<ImportWizard>,
    picker: Option<NamePicker>,
    /// The last refresh's change summary: title and lines.
    summary: Option<(String, Vec<String>)>,
}

impl ImportDialogs {
    /// True while a dialog that takes the keyboard is open.
    pub fn is_open(&self) -> bool {
        self.wizard.is_some() || self.picker.is_some()
    }

    /// Opens the wizard on the accounts file `path`; `country` is the
    /// default country (the plan's, for a refresh).
    pub fn open_wizard(
        &mut self,
        ctx: &egui::Context,
        path: PathBuf,
        mode: WizardMode,
        country: Country,
    ) {
        self.wizard = Some(ImportWizard::open(ctx, path, mode, country));
    }

    /// Opens the wizard on the accounts file `path` for plan `ws`: a new
    /// plan's rows without a country are in the US until the user says
    /// otherwise, a refresh's in the plan's default country.
    pub fn open_for(
        &mut self,
        ctx: &egui::Context,
        ws: &crate::core::Workspace,
        path: PathBuf,
        mode: WizardMode,
    ) {
        let country = match mode {
            WizardMode::NewPlan => Country::US,
            WizardMode::Refresh => ws.project().settings.default_country,
        };
        self.open_wizard(ctx, path, mode, country);
    }

    /// The wizard, when open (tests read and drive its state).
    pub fn wizard(&mut self) -> Option<&mut ImportWizard> {
        self.wizard.as_mut()
    }

    /// Opens the territory name picker on the boundaries file `path`.
    pub fn open_picker(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.picker = Some(NamePicker::open(ctx, path));
    }

    /// Shows a refresh's change summary.
    pub fn show_summary(&mut self, title: String, lines: Vec<String>) {
        self.summary = Some((title, lines));
    }

    /// The last refresh's change summary, when shown.
    pub fn summary(&self) -> Option<&[String]> {
        self.summary.as_ref().map(|(_, l)| l.as_slice())
    }

    /// Blocks up to `timeout` until the open wizard or picker has read its
    /// file and counted (tests; the window never blocks).
    pub fn wait(&mut self, ctx: &egui::Context, settings: &AppSettings, timeout: Duration) -> bool {
        let wizard = match &mut self.wizard {
            Some(w) => w.wait(ctx, settings, timeout),
            None => true,
        };
        let picker = match &mut self.picker {
            Some(p) => p.wait(settings, timeout),
            None => true,
        };
        wizard && picker
    }

    /// Draws the open dialogs; returns what they decided. `typed_paths`
    /// says why no native file dialog can be shown, if none can: the
    /// wizard's file choosers then take typed paths.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        settings: &AppSettings,
        typed_paths: Option<String>,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(w) = &mut self.wizard {
            w.typed_paths = typed_paths;
        }
        if let Some(w) = &mut self.wizard
            && let Some(outcome) = w.ui(ctx, settings)
        {
            self.wizard = None;
            out.extend(wizard_commands(outcome));
        }
        if let Some(p) = &mut self.picker {
            p.poll(settings);
            if let Some(outcome) = p.dialog(ctx) {
                self.picker = None;
                if let PickerOutcome::Import { path, prop, key } = outcome {
                    out.push(Command::RememberNameProp(key, prop.clone()));
                    out.push(Command::ImportTerritoriesNamed(path, Some(prop)));
                }
            }
        }
        self.summary_window(ctx);
        out
    }

    fn summary_window(&mut self, ctx: &egui::Context) {
        let Some((title, lines)) = &self.summary else {
            return;
        };
        let mut open = true;
        let mut close = false;
        egui::Window::new(RichText::new(title.clone()).strong())
            .id(Id::unique("refresh_summary"))
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| {
                for l in lines {
                    // The window's fonts have no arrow glyph.
                    ui.label(l.replace('→', "to"));
                }
                ui.add_space(6.0);
                ui.label(
                    RichText::new("Edit > Undo takes the whole refresh back.")
                        .color(ui.visuals().weak_text_color()),
                );
                close = ui.button("Close").clicked();
            });
        if !open || close {
            self.summary = None;
        }
    }
}

/// What the app does with the wizard's decision.
fn wizard_commands(outcome: WizardOutcome) -> Vec<Command> {
    match outcome {
        WizardOutcome::Cancel => Vec::new(),
        WizardOutcome::Create {
            files,
            plan,
            remember,
            name_prop,
        } => {
            let mut out = vec![Command::RememberMapping(Box::new(remember))];
            if let Some((key, prop)) = name_prop {
                out.push(Command::RememberNameProp(key, prop));
            }
            out.push(Command::CreatePlanWith(files, plan));
            out
        }
        WizardOutcome::Refresh {
            path,
            options,
            remember,
        } => vec![
            Command::RememberMapping(Box::new(remember)),
            Command::RefreshFrom(path, options),
        ],
    }
}
