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

use super::export_ui::MapExportForm;
use super::state::Selection;
use super::{Action, TurfmapApp};

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
    /// Apply an edit to the plan (one undo step).
    Apply(Edit),
    /// Apply new plan settings, remembering the balance measure for the
    /// next plan.
    SetSettings(crate::core::model::PlanSettings),
    /// Remove the manual pins of these accounts in the type shown.
    Unpin(Vec<usize>),
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
    /// Enter presentation mode.
    Present,
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
}

impl TurfmapApp {
    /// Carries out what a panel asked for this frame, in order.
    pub(crate) fn apply_commands(&mut self, commands: Vec<Command>) {
        for command in commands {
            self.apply_command(command);
        }
    }

    /// The one place where panels' requests change the window and plan.
    pub(crate) fn apply_command(&mut self, command: Command) {
        match command {
            Command::SelectTerritory { id, zoom } => self.select_territory(id, zoom),
            Command::ClearMultiSelection => self.tools.territories.clear(),
            Command::ToggleTerritory(id) => self.toggle_territory(id),
            Command::SelectAccount(i) => self.select_account(i),
            Command::ClearSelection => self.selection = Selection::default(),
            Command::ZoomToTerritory(id) => self.map.zoom_to_territory(&self.ws, id),
            Command::ZoomToPlan => self.map.zoom_to_plan(&self.ws),
            Command::Apply(edit) => self.apply(edit),
            Command::SetSettings(settings) => {
                self.remember_balance_measure(&settings.balance);
                self.apply(Edit::SetSettings { settings });
            }
            Command::Unpin(accounts) => self.unpin_accounts(&accounts),
            Command::Error(e) => self.error = Some(e),
            Command::DismissNotice => self.notice = None,
            Command::Notice(text) => self.notice = Some(text),
            Command::ShowAbout => self.about.open = true,
            Command::ApplyRep(rep) => self.apply_rep(rep),
            Command::StartPick(what) => self.map.start_pick(what),
            Command::AcceptProposal(p) => self.accept_proposal(p),
            Command::CloseBalance => self.close_balance_dialog(),
            Command::RestoreRecovery => self.restore_recovery(),
            Command::DiscardRecoveryOffer => self.discard_recovery_offer(),
            Command::Request(action) => self.request(action),
            Command::Save => self.save(None),
            Command::SaveAs => self.save_as(None),
            Command::ImportTerritories(path) => self.open_name_picker(path),
            Command::RefreshAccounts => self.refresh_accounts_dialog(),
            Command::ExportAssignments(path) => self.export_assignments_to(path),
            Command::ExportTerritories(path) => self.export_territories_to(path),
            Command::OpenMapExport => self.open_map_export(),
            Command::ExportMapImage(form) => {
                self.export.form = None;
                self.export_map_image(form);
            }
            Command::CloseMapExport => self.export.form = None,
            Command::OpenSalesforceExport => self.open_salesforce_export(),
            Command::ExportSalesforce(r) => {
                self.export.salesforce = None;
                self.export_salesforce(r.dir, r.options);
            }
            Command::CloseSalesforceExport => self.export.salesforce = None,
            Command::ExportReport(compare) => self.export_report_dialog(compare),
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            Command::OpenBalance { generate } => self.open_balance_dialog(generate),
            Command::Present => self.set_presenting(true),
            Command::SetDark(dark) => self.set_dark(dark),
            Command::SetUnits(units) => self.set_units(units),
            Command::SetOnlineTiles(on) => self.set_online_tiles(on),
            Command::ApplyTiles => {
                self.apply_tile_setting();
                self.save_settings();
            }
            Command::OpenModelWindow => self.set_model_window_open(true),
            Command::ShowType(id) => self.show_type(id),
        }
    }

    /// Switches the theme and remembers it.
    fn set_dark(&mut self, dark: bool) {
        self.dark = dark;
        self.ctx.set_theme(if dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        self.settings.dark = dark;
        self.save_settings();
    }
}
