//! Where the import wizard, the territory name picker and the refresh
//! summary meet the window: opening them, carrying out what they decide
//! (a new plan, a refresh, a territories import, each a background job),
//! and remembering the user's choices in the app settings.

use std::path::PathBuf;
use std::time::Duration;

use egui::{Id, RichText};

use super::jobs::{JobOutput, JobRequest};
use super::panels::import_wizard::{ImportWizard, WizardMode, WizardOutcome};
use super::panels::name_picker::{NamePicker, PickerOutcome};
use super::{TurfmapApp, display_name, files};
use crate::core::import::{AccountImportOptions, ImportReport, NewPlanFiles, import_accounts};
use crate::core::model::Accounts;
use crate::core::{Workspace, refresh};

/// The import dialogs' state.
#[derive(Default)]
pub(crate) struct ImportDialogs {
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
}

impl TurfmapApp {
    /// Opens the import wizard on the accounts file `path`.
    pub fn open_import_wizard(&mut self, path: PathBuf, mode: WizardMode) {
        let country = match mode {
            WizardMode::Refresh => self.ws.project().settings.default_country,
            WizardMode::NewPlan => crate::core::geocode::Country::US,
        };
        self.imports.wizard = Some(ImportWizard::open(&self.ctx, path, mode, country));
    }

    /// The import wizard, when open (tests read and drive its state).
    pub fn import_wizard(&mut self) -> Option<&mut ImportWizard> {
        self.imports.wizard.as_mut()
    }

    /// Blocks up to `timeout` until the open wizard or name picker has
    /// read its file and counted (tests; the window never blocks).
    pub fn wait_for_import_dialog(&mut self, timeout: Duration) -> bool {
        let settings = self.settings.clone();
        let wizard = match &mut self.imports.wizard {
            Some(w) => w.wait(&self.ctx, &settings, timeout),
            None => true,
        };
        let picker = match &mut self.imports.picker {
            Some(p) => p.wait(&settings, timeout),
            None => true,
        };
        wizard && picker
    }

    /// Opens the territory name picker on the boundaries file `path`.
    pub fn open_name_picker(&mut self, path: PathBuf) {
        self.imports.picker = Some(NamePicker::open(&self.ctx, path));
    }

    /// The last refresh's change summary, when shown.
    pub fn refresh_summary(&self) -> Option<&[String]> {
        self.imports.summary.as_ref().map(|(_, l)| l.as_slice())
    }

    /// Asks for an export and opens the wizard to refresh the plan from it.
    pub(crate) fn refresh_accounts_dialog(&mut self) {
        if let Some(path) = files::dialogs::pick_accounts_csv(self.ws.path()) {
            self.open_import_wizard(path, WizardMode::Refresh);
        }
    }

    /// Draws the import dialogs and carries out what they decide.
    pub(crate) fn import_dialogs(&mut self, ctx: &egui::Context) {
        let settings = self.settings.clone();
        if let Some(w) = &mut self.imports.wizard
            && let Some(outcome) = w.ui(ctx, &settings)
        {
            self.imports.wizard = None;
            self.wizard_outcome(outcome);
        }
        if let Some(p) = &mut self.imports.picker {
            p.poll(&settings);
            if let Some(outcome) = p.dialog(ctx) {
                self.imports.picker = None;
                if let PickerOutcome::Import { path, prop, key } = outcome {
                    self.settings.remember_name_prop(key, prop.clone());
                    self.save_settings();
                    self.import_territories_named(path, Some(prop));
                }
            }
        }
        self.refresh_summary_window(ctx);
    }

    fn wizard_outcome(&mut self, outcome: WizardOutcome) {
        match outcome {
            WizardOutcome::Cancel => {}
            WizardOutcome::Create {
                files,
                plan,
                remember,
                name_prop,
            } => {
                self.settings.remember_mapping(remember);
                if let Some((key, prop)) = name_prop {
                    self.settings.remember_name_prop(key, prop);
                }
                self.save_settings();
                self.create_plan_with(*files, plan);
            }
            WizardOutcome::Refresh {
                path,
                options,
                remember,
            } => {
                self.settings.remember_mapping(remember);
                self.save_settings();
                self.refresh_accounts_from(path, *options);
            }
        }
    }

    /// Builds a new plan from `files` in the background and saves it to
    /// `plan` (which must not be another plan's file being replaced by
    /// accident: the wizard proposes a free name).
    pub fn create_plan_with(&mut self, files: NewPlanFiles, plan: PathBuf) {
        let title = format!(
            "Creating {} from {}",
            display_name(&plan),
            display_name(&files.accounts)
        );
        let remembered = self.settings.clone();
        self.start(JobRequest::new(title, true, move |progress| {
            let name = files::plan_name_from(&plan);
            let (mut project, report) = crate::core::import::new_project(&name, &files, progress)?;
            let summary = report.summary();
            remembered.apply_balance_measure(&mut project);
            let mut ws = Workspace::new(project);
            progress.check()?;
            ws.save_as(&plan)?;
            Ok(JobOutput::Created {
                ws: Box::new(ws),
                path: plan,
                summary,
            })
        }));
    }

    /// Reads the export at `path` with `options` in the background; the
    /// refresh itself is then one undoable edit (see
    /// [`crate::core::refresh`]).
    pub fn refresh_accounts_from(&mut self, path: PathBuf, options: AccountImportOptions) {
        let title = format!("Reading {}", display_name(&path));
        self.start(JobRequest::new(title, true, move |progress| {
            let (accounts, report) = import_accounts(&path, &options, progress)?;
            Ok(JobOutput::AccountsRead {
                path,
                accounts: Box::new(accounts),
                report: Box::new(report),
            })
        }));
    }

    /// Applies a refresh read by [`TurfmapApp::refresh_accounts_from`] and
    /// shows what changed.
    pub(crate) fn accounts_read(
        &mut self,
        path: &std::path::Path,
        accounts: &Accounts,
        report: &ImportReport,
    ) {
        let file = display_name(path);
        match refresh::refresh(&mut self.ws, accounts, report, &file) {
            Ok(summary) => {
                self.refresh_metrics();
                let mut lines = summary.lines();
                if summary.is_empty() {
                    lines.insert(
                        0,
                        "The plan already matches the export: nothing changed.".into(),
                    );
                }
                self.notice = Some(format!("Refreshed from {file}: {}", lines[0]));
                self.imports.summary = Some((format!("Refreshed from {file}"), lines));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Reads territories from `path` in the background, named by
    /// `name_prop` (`None`: detected), then adds them as one undoable edit.
    pub fn import_territories_named(&mut self, path: PathBuf, name_prop: Option<String>) {
        self.start(super::file_jobs::import_territories(path, name_prop));
    }

    fn refresh_summary_window(&mut self, ctx: &egui::Context) {
        let Some((title, lines)) = &self.imports.summary else {
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
            self.imports.summary = None;
        }
    }
}
