//! What panels ask the window to do. A panel draws from read-only state and
//! returns [`Command`]s; `TurfmapApp::apply_commands` carries them out in
//! one place, so selection, edits and errors change the same way whichever
//! panel the click came from.

use crate::core::TerritoryId;
use crate::core::edit::Edit;

use std::path::PathBuf;

use crate::core::model::{Rep, ScenarioId, TerritoryTypeId};
use crate::core::optimize::Proposal;
use crate::core::render::DistanceUnit;

use super::panels::{MapExportForm, NewPlanRequest};
use super::state::Selection;
use super::{Action, TurfmapApp, file_jobs, files, panels, tools};

/// A change a panel asks for.
#[derive(Debug)]
pub enum Command {
    /// Select a territory (clearing any account); with `zoom`, frame it on
    /// the map.
    SelectTerritory {
        /// The territory.
        id: TerritoryId,
        /// Frame it on the map too.
        zoom: bool,
    },
    /// Empty the territories selected together (a plain click).
    ClearMultiSelection,
    /// Add a territory to (or remove it from) the multi-selection.
    ToggleTerritory(TerritoryId),
    /// Select an account (and highlight its territory).
    SelectAccount(usize),
    /// Select nothing.
    ClearSelection,
    /// Frame a territory on the map without changing the selection.
    ZoomToTerritory(TerritoryId),
    /// Draw drive-time rings from a point `(lon, lat)`, described as the
    /// text ("here", "Ann's home").
    DriveRings((f64, f64), String),
    /// Frame an account on the map (nothing for an unlocated one).
    ZoomToAccount(usize),
    /// Open the unassigned and unlocated accounts window on this list.
    OpenLeftOut(super::panels::LeftOutFilter),
    /// Write the accounts the unassigned window lists to this CSV file.
    ExportLeftOut(PathBuf),
    /// Ask where to export the unassigned list (file dialog or typed path).
    ChooseLeftOutExport,
    /// Ask where to export the scenario comparison's change list.
    ChooseChangesExport,
    /// Write the scenario comparison's change list to this CSV file.
    ExportChanges(PathBuf),
    /// Open the Find window (Ctrl+F).
    OpenSearch,
    /// Apply an edit to the plan (one undo step).
    Apply(Edit),
    /// Apply new plan settings, remembering the balance measure for the
    /// next plan.
    SetSettings(Box<crate::core::model::PlanSettings>),
    /// Remove the manual pins of these accounts in the type shown.
    Unpin(Vec<usize>),
    /// Pin these accounts to a territory (drag and drop), one undo step.
    DropAccounts(Vec<usize>, TerritoryId),
    /// Show an error in the banner.
    Error(String),
    /// Hide the status bar's message.
    DismissNotice,
    /// Show a message in the status bar.
    Notice(String),
    /// Apply a rep changed in the model window (a refusal is shown there).
    ApplyRep(Rep),
    /// Let the next map click set a place (`None`: stop waiting).
    StartPick(Option<String>),
    /// Apply a balance proposal (one undo step) and close its dialog.
    AcceptProposal(Box<Proposal>),
    /// Close the Balance dialog, cancelling its run.
    CloseBalance,
    /// Load the offered recovery copy.
    RestoreRecovery,
    /// Delete the offered recovery copy.
    DiscardRecoveryOffer,
    /// Something that may drop unsaved changes (asks first).
    Request(Action),
    /// Save to the plan's file (asks where when it has none).
    Save,
    /// Save to a new file.
    SaveAs,
    /// Read territories from this file in the background and add them.
    ImportTerritories(PathBuf),
    /// Ask for an accounts export and refresh the plan from it.
    RefreshAccounts,
    /// Open the import wizard on this export, to refresh the plan from it.
    RefreshAccountsFrom(PathBuf),
    /// Read territories from this file, named by this property (`None`:
    /// detected), and add them.
    ImportTerritoriesNamed(PathBuf, Option<String>),
    /// Build a new plan from these files (the wizard's mapping) and save it
    /// here.
    CreatePlanWith(Box<crate::core::import::NewPlanFiles>, PathBuf),
    /// Read this export with this mapping and refresh the plan from it.
    RefreshFrom(PathBuf, Box<crate::core::import::AccountImportOptions>),
    /// Remember a column mapping for its header set.
    RememberMapping(Box<super::settings::RememberedMapping>),
    /// Remember a territory name property for its property set.
    RememberNameProp(String, String),
    /// Write the assignments CSV here.
    ExportAssignments(PathBuf),
    /// Write the territories (GeoJSON or KML by extension) here.
    ExportTerritories(PathBuf),
    /// Open the map image export dialog.
    OpenMapExport,
    /// Show the About window (version, data credits and notices).
    ShowAbout,
    /// Ask where and export the map image (closes the dialog).
    ExportMapImage(MapExportForm),
    /// Close the map image export dialog.
    CloseMapExport,
    /// Open the Salesforce export dialog.
    OpenSalesforceExport,
    /// Write the Salesforce export the dialog describes (closes it).
    ExportSalesforce(Box<super::panels::SalesforceExportRequest>),
    /// Close the Salesforce export dialog.
    CloseSalesforceExport,
    /// Export a report, optionally comparing with another scenario.
    ExportReport(Option<ScenarioId>),
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Open the Balance (or, with `generate`, Generate) dialog.
    OpenBalance {
        /// Generate territories from scratch instead of rebalancing.
        generate: bool,
    },
    /// Open the Generate dialog for one territory per home base `(lon, lat)`,
    /// grown from those homes.
    GenerateFrom(Vec<(f64, f64)>),
    /// Open the Capacity window.
    OpenCapacity,
    /// Enter (`true`) or leave presentation mode.
    SetPresenting(bool),
    /// Frame the whole plan on the map.
    ZoomToPlan,
    /// Switch the theme (and remember it).
    SetDark(bool),
    /// Switch units (and remember them).
    SetUnits(DistanceUnit),
    /// Turn online tiles on or off (and remember it).
    SetOnlineTiles(bool),
    /// Use the tile server typed in the View menu (and remember it).
    ApplyTiles,
    /// Open the territory model window.
    OpenModelWindow,
    /// Show another territory type on the map.
    ShowType(TerritoryTypeId),
    /// Hide the error banner.
    DismissError,
    /// Cancel the running background job.
    CancelJob,
    /// Save, then do the action (the "Save changes?" answer).
    SaveThen(Action),
    /// Do the action without asking (changes were discarded).
    Perform(Action),
    /// Build a new plan and save it.
    CreatePlan(Box<NewPlanRequest>),
    /// Compare the scenario shown with this one (territory model window).
    CompareScenarios(ScenarioId),
    /// Save to the plan's file although it changed on disk since it was
    /// read (the user chose to overwrite it).
    SaveOverwrite(PathBuf, Option<Action>),
    /// Save the plan to this file.
    SaveTo(PathBuf),
    /// Open the import wizard on this accounts file, for a new plan.
    NewPlanFrom(PathBuf),
    /// Ask for a typed path (no native file dialog here).
    AskPath(panels::PathPurpose),
    /// Write the map image or report waiting for a typed path here.
    ExportTo(PathBuf),
    /// At start-up: open this plan, else the last plan used, else (first
    /// run, or the last plan is gone, which is said) the sample.
    Startup(Option<PathBuf>),
}

impl TurfmapApp {
    /// Carries out what a panel asked for this frame, in order.
    pub(crate) fn apply_commands(&mut self, commands: Vec<Command>) {
        for command in commands {
            self.apply_command(command);
        }
    }

    /// The one place where panels' requests change the window and plan
    /// (tests and scripts use it too, to do what a click does).
    pub fn apply_command(&mut self, command: Command) {
        match command {
            Command::SelectTerritory { id, zoom } => self.select_territory(id, zoom),
            Command::ClearMultiSelection => self.panels.tools.territories.clear(),
            Command::ToggleTerritory(id) => {
                let shown = self.panels.tools.toggle(id, &mut self.selection);
                if shown.is_some() {
                    self.panels.list.scroll_to(shown);
                }
            }
            Command::SelectAccount(i) => self.select_account(i),
            Command::ClearSelection => self.selection = Selection::default(),
            Command::ZoomToTerritory(id) => self.map.zoom_to_territory(&self.ws, id),
            Command::DriveRings(at, what) => self.panels.rings.start(&self.ctx, &self.ws, at, what),
            Command::ZoomToAccount(i) => {
                if let Some(n) = super::find::zoom_to_account(&mut self.map, &self.ws, i) {
                    self.notice = Some(n);
                }
            }
            Command::OpenLeftOut(filter) => {
                self.panels.left_out.show(filter);
                let left_out = &mut self.panels.left_out;
                left_out.refresh(&self.ctx, &self.ws, self.generation);
            }
            Command::ChooseLeftOutExport => {
                let purpose = panels::PathPurpose::ExportLeftOut;
                let next = self.panels.paths.choose(purpose, &self.ws);
                self.apply_commands(next);
            }
            Command::ExportLeftOut(path) => {
                let filter = self.panels.left_out.filter;
                self.start(super::find::export_left_out(filter, &self.ws, path));
            }
            Command::OpenSearch => self.panels.search.show(),
            Command::ZoomToPlan => self.map.zoom_to_plan(&self.ws),
            Command::Apply(edit) => self.apply(edit),
            Command::SetSettings(settings) => {
                // Remembered for the next plan.
                let name = Some(settings.balance.to_string());
                if self.settings.balance_measure != name {
                    self.settings.balance_measure = name;
                    self.save_settings();
                }
                self.apply(Edit::SetSettings { settings });
            }
            Command::Unpin(accounts) => match tools::unpin_edit(&self.ws, &accounts) {
                Ok(edit) => self.apply(edit),
                Err(e) => self.error = Some(e.to_string()),
            },
            Command::DropAccounts(accounts, target) => {
                match tools::drop_edit(&self.ws, &accounts, target) {
                    Ok(Some(edit)) => self.apply(edit),
                    Ok(None) => {}
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
            Command::Error(e) => self.error = Some(e),
            Command::DismissError => self.error = None,
            Command::DismissNotice => self.notice = None,
            Command::Notice(text) => self.notice = Some(text),
            Command::ShowAbout => self.panels.about.open = true,
            Command::ApplyRep(rep) => {
                let before = self.ws.revision();
                self.apply(Edit::SetRep { rep });
                if self.ws.revision() == before {
                    self.panels.model.set_rep_problem(self.error.clone());
                }
            }
            Command::StartPick(what) => self.map.start_pick(what),
            Command::AcceptProposal(p) => {
                self.panels.balance.close();
                let (edit, notice) = panels::balance::accepted(*p);
                self.apply(edit);
                self.notice = Some(notice);
            }
            Command::CloseBalance => self.panels.balance.close(),
            Command::OpenBalance { generate } => self.panels.balance.open(&self.ws, generate),
            Command::GenerateFrom(seeds) => self.panels.balance.open_with_seeds(&self.ws, seeds),
            Command::OpenCapacity => self.panels.capacity.open(&self.ws),
            Command::RestoreRecovery => {
                if let Some(job) = self.autosave.restore_job(self.generation) {
                    self.start(job);
                }
            }
            Command::DiscardRecoveryOffer => self.autosave.discard_offer(),
            Command::Request(action) => self.request(action),
            Command::Perform(action) => self.perform(action),
            Command::Save => self.save(None),
            Command::SaveThen(action) => self.save(Some(action)),
            Command::SaveAs => self.save_as(None),
            Command::SaveOverwrite(path, then) => {
                self.start(file_jobs::save(&self.ws, path, true).then(then));
            }
            Command::CancelJob => {
                // The window goes back to the current plan at once; what
                // the worker still produces is dropped.
                if let Some(job) = self.job.take() {
                    job.progress.cancel();
                    self.after_job = None;
                    self.notice = Some(format!("Cancelled: {}", job.title));
                }
            }
            Command::SaveTo(path) => self.save_to(path),
            Command::NewPlanFrom(path) => {
                let mode = panels::WizardMode::NewPlan;
                self.panels
                    .imports
                    .open_for(&self.ctx, &self.ws, path, mode);
            }
            Command::RefreshAccountsFrom(path) => {
                let mode = panels::WizardMode::Refresh;
                self.panels
                    .imports
                    .open_for(&self.ctx, &self.ws, path, mode);
            }
            Command::RefreshAccounts => {
                let purpose = panels::PathPurpose::RefreshAccounts;
                let next = self.panels.paths.choose(purpose, &self.ws);
                self.apply_commands(next);
            }
            Command::ImportTerritoriesNamed(path, prop) => {
                self.start(super::file_jobs::import_territories(path, prop));
            }
            Command::CreatePlanWith(f, plan) => {
                self.start(super::imports::create(*f, plan, self.settings.clone()));
            }
            Command::RefreshFrom(path, o) => self.start(super::imports::read_export(path, *o)),
            Command::RememberMapping(m) => {
                self.settings.remember_mapping(*m);
                self.save_settings();
            }
            Command::RememberNameProp(key, prop) => {
                self.settings.remember_name_prop(key, prop);
                self.save_settings();
            }
            Command::AskPath(purpose) => {
                let start = purpose.suggested(&self.ws);
                self.panels.paths.ask(purpose, Some(&start));
            }
            Command::Startup(plan) => match files::startup_plan(plan, &self.recent) {
                (Some(path), _) => self.open_plan(path),
                (None, missing) => {
                    self.start(file_jobs::open_sample());
                    if let Some(gone) = missing {
                        self.error = Some(format!(
                            "The last plan, {}, is not there any more; showing the sample",
                            gone.display()
                        ));
                    }
                }
            },
            Command::CreatePlan(r) => self.start(file_jobs::create(*r, self.settings.clone())),
            command => self.apply_file_command(command),
        }
    }

    /// Exports, imports and window settings: the rest of
    /// [`TurfmapApp::apply_command`].
    fn apply_file_command(&mut self, command: Command) {
        let ws = &self.ws;
        let export = &mut self.panels.export;
        let job = match command {
            Command::ImportTerritories(path) => {
                self.panels.imports.open_picker(&self.ctx, path);
                None
            }
            Command::ChooseChangesExport => {
                let purpose = panels::PathPurpose::ExportChanges;
                let next = self.panels.paths.choose(purpose, ws);
                self.apply_commands(next);
                None
            }
            Command::ExportChanges(path) => {
                let done = self.panels.model.write_changes(ws, &path);
                self.apply_commands(vec![done]);
                None
            }
            Command::ExportAssignments(path) => Some(file_jobs::export_assignments(ws, path)),
            Command::ExportTerritories(path) => Some(file_jobs::export_territories(ws, path)),
            Command::OpenMapExport => {
                export.open_map_export(ws);
                None
            }
            Command::ExportMapImage(form) => {
                export.form = None;
                let look = panels::export::MapLook {
                    units: self.settings.units,
                    labels: self.style.labels,
                    accounts: self.style.accounts,
                    visible: self.map.visible_bounds(),
                    color_by: self.style.color_by.clone(),
                    label_values: self.style.label_values,
                };
                let typed = self.panels.paths.unavailable().is_some();
                let pending = panels::export::Pending::Map(form, look);
                export.job_or_ask(ws, pending, typed, &mut self.panels.paths)
            }
            Command::ExportTo(path) => export.pending_job(ws, path),
            Command::CloseMapExport => {
                export.form = None;
                None
            }
            Command::OpenSalesforceExport => {
                export.open_salesforce_export(ws);
                None
            }
            Command::ExportSalesforce(r) => {
                export.salesforce = None;
                Some(panels::export::salesforce_job(ws, r.dir, r.options))
            }
            Command::CloseSalesforceExport => {
                export.salesforce = None;
                None
            }
            Command::ExportReport(compare) => {
                let typed = self.panels.paths.unavailable().is_some();
                let look = panels::export::ReportLook {
                    units: self.settings.units,
                    color_by: self.style.color_by.clone(),
                    label_values: self.style.label_values,
                };
                let pending = panels::export::Pending::Report(compare, look);
                export.job_or_ask(ws, pending, typed, &mut self.panels.paths)
            }
            Command::CompareScenarios(other) => {
                self.panels.model.compare(&self.ctx, ws, other);
                None
            }
            command => {
                self.apply_view_command(command);
                None
            }
        };
        if let Some(job) = job {
            self.start(job);
        }
    }

    /// Undo/redo, views and remembered settings: the rest of
    /// [`TurfmapApp::apply_command`].
    fn apply_view_command(&mut self, command: Command) {
        match command {
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            Command::SetPresenting(on) => {
                let changed = self.panels.present.set_active(&self.ctx, on);
                if changed && on {
                    self.selection = Selection::default();
                }
                if changed {
                    // The map area changes size: frame the plan again.
                    self.map.zoom_to_plan(&self.ws);
                }
            }
            Command::SetDark(dark) => {
                self.dark = dark;
                self.ctx.set_theme(if dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
                self.settings.dark = dark;
                self.save_settings();
            }
            Command::SetUnits(units) => {
                self.settings.units = units;
                self.style.units = units;
                self.save_settings();
            }
            Command::SetOnlineTiles(on) => {
                // On failure the map stays offline and the error is shown.
                self.settings.online_tiles = on;
                self.apply_tile_setting();
                self.save_settings();
            }
            Command::ApplyTiles => {
                self.apply_tile_setting();
                self.save_settings();
            }
            Command::OpenModelWindow => self.panels.model.set_open(true),
            Command::ShowType(id) => {
                let shown = self.ws.set_current_type(id).is_ok();
                if shown {
                    // The figures shown are the type's: recompute them now.
                    self.metrics = self.ws.live_metrics();
                    self.metrics_key = (self.generation, self.ws.revision());
                    self.selection = Selection::default();
                    // Multi-selections were of the other type's territories.
                    self.panels.tools.territories.clear();
                    self.panels.tools.accounts.clear();
                }
            }
            _ => {}
        }
    }
}
