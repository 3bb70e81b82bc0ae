//! The egui window. It only displays the core's state and turns gestures
//! into edits: every change to the plan goes through
//! [`Workspace::apply`]/[`Workspace::undo`]/[`Workspace::redo`], and every
//! slow operation (open, create, save, import, export) runs on a worker
//! thread while the window shows its progress.
//!
//! [`TurfmapApp::ui_contents`] draws the whole window into any [`egui::Ui`]
//! and needs no `eframe::Frame`, so the UI tests drive the real app
//! headless.

mod balance;
pub mod chart;
pub mod command;
mod dialogs;
pub mod export_ui;
pub mod files;
pub mod fmt;
mod form;
#[cfg(feature = "bench")]
pub mod frame_bench;
#[cfg(feature = "bench")]
pub mod gesture_bench;
pub mod history;
mod jobs;
pub mod map;
mod menu;
mod model_window;
pub mod panels;
pub mod present;
pub mod settings;
pub mod state;
pub mod tools;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::{CentralPanel, Panel};

use crate::core::edit::Edit;
use crate::core::export::{write_assignment_csv, write_file_atomically};
use crate::core::import::{ImportedTerritory, TerritoryImportReport, territories_named};
use crate::core::metrics::PlanMetrics;
use crate::core::progress::Progress;
use crate::core::{Project, TerritoryId, Workspace};

pub use chart::chart_bars;
pub use files::RecentPlans;
pub use panels::{SortColumn, SortOrder, territory_order};

use jobs::{Job, JobOutput};
use map::MapView;
use state::{MapEvent, MapStyle, Selection};

/// Something the user asked for that may drop unsaved changes, so it may
/// need a "Save / Discard / Cancel" first, or may wait for a save.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Close the window.
    Close,
    /// Ask for a plan file and open it.
    OpenDialog,
    /// Open this plan file.
    Open(PathBuf),
    /// Open the bundled sample plan.
    OpenSample,
    /// Ask for an accounts CSV and start a new plan from it.
    NewPlan,
}

impl Action {
    /// Finishes "Save changes to X before …?".
    fn phrase(&self) -> &'static str {
        match self {
            Action::Close => "closing",
            Action::NewPlan => "creating a new plan",
            _ => "opening another plan",
        }
    }
}

/// The "New plan from CSV" form, between choosing the accounts file and
/// choosing where to save.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewPlanForm {
    accounts: PathBuf,
    territories: Option<PathBuf>,
    name_prop: String,
    /// The country of rows that name none (picks the postal table).
    country: crate::core::geocode::Country,
}

/// Where the last frame's time went besides drawing (see
/// [`TurfmapApp::last_phases`]; `turfmap bench-gesture` prints them).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FramePhases {
    /// Building the edits of a gesture under way (moving a vertex, cutting
    /// painted units out of the neighbours) (ms).
    pub build_ms: f64,
    /// Applying edits to the plan: the edit itself, the engine's
    /// incremental reassignment and the history (ms).
    pub edit_ms: f64,
    /// Recomputing the metrics the panels show (ms).
    pub metrics_ms: f64,
}

/// The Turfmap window: territory list, map, details, balance chart, menus.
pub struct TurfmapApp {
    ctx: egui::Context,
    ws: Workspace,
    /// Bumped whenever `ws` is replaced by another plan (revisions restart).
    generation: u64,
    metrics: PlanMetrics,
    metrics_key: (u64, u64),
    selection: Selection,
    style: MapStyle,
    map: MapView,
    /// Where the map was drawn last frame (floating dialogs open over it).
    map_rect: Option<egui::Rect>,
    /// The territory list (left panel).
    list: panels::TerritoryList,
    /// The plan summary and selection details (right panel).
    details: panels::Details,
    job: Option<Job>,
    /// What to do once the running job succeeds (e.g. close after saving).
    after_job: Option<Action>,
    error: Option<String>,
    notice: Option<String>,
    /// The notice last seen and since when (notices expire).
    notice_seen: Option<(String, Instant)>,
    confirm: Option<Action>,
    new_plan: Option<NewPlanForm>,
    /// The About window (credits and notices of the bundled data).
    about: panels::AboutWindow,
    recent: RecentPlans,
    allow_close: bool,
    last_title: String,
    dark: bool,
    settings: settings::AppSettings,
    settings_store: Option<PathBuf>,
    autosave: history::Autosave,
    tools: tools::Tools,
    /// The Balance/Generate dialog, when open.
    balance: Option<balance::BalanceDialog>,
    /// The territory model window (open or not, its state stays).
    model: model_window::ModelWindow,
    present: present::Presentation,
    export: export_ui::ExportUi,
    /// Where this frame's time went so far.
    phases: FramePhases,
}

impl TurfmapApp {
    /// A window on `ws`. Sets the projector-friendly style on `ctx`. The
    /// recent-plans list is in memory only; see
    /// [`TurfmapApp::set_recent_plans`].
    pub fn new(ctx: &egui::Context, ws: Workspace) -> Self {
        setup_style(ctx, false);
        let metrics = ws.metrics();
        let mut map = MapView::new(ctx);
        map.zoom_to_plan(&ws);
        Self {
            ctx: ctx.clone(),
            metrics_key: (0, ws.revision()),
            ws,
            generation: 0,
            metrics,
            selection: Selection::default(),
            style: MapStyle::default(),
            map,
            map_rect: None,
            list: panels::TerritoryList::default(),
            details: panels::Details::default(),
            job: None,
            after_job: None,
            error: None,
            notice: None,
            notice_seen: None,
            confirm: None,
            new_plan: None,
            about: panels::AboutWindow::default(),
            recent: RecentPlans::in_memory(),
            allow_close: false,
            last_title: String::new(),
            dark: false,
            settings: settings::AppSettings::default(),
            settings_store: None,
            autosave: history::Autosave::default(),
            tools: tools::Tools::default(),
            balance: None,
            model: model_window::ModelWindow::default(),
            present: present::Presentation::default(),
            export: export_ui::ExportUi::default(),
            phases: FramePhases::default(),
        }
    }

    /// Applies remembered settings (theme, online tiles); later changes are
    /// written to `store` (`None` keeps them in memory, as tests do).
    pub fn set_settings(&mut self, settings: settings::AppSettings, store: Option<PathBuf>) {
        self.settings = settings;
        self.settings_store = store;
        self.dark = self.settings.dark;
        self.style.units = self.settings.units;
        setup_style(&self.ctx, self.dark);
        self.apply_tile_setting();
    }

    /// The settings in force.
    pub fn settings(&self) -> &settings::AppSettings {
        &self.settings
    }

    /// Turns online tiles on or off (and remembers it). On failure the map
    /// stays offline and the error is shown.
    pub fn set_online_tiles(&mut self, on: bool) {
        self.settings.online_tiles = on;
        self.apply_tile_setting();
        self.save_settings();
    }

    fn apply_tile_setting(&mut self) {
        let want = self
            .settings
            .online_tiles
            .then(|| self.settings.tiles.clone());
        if let Err(e) = self.map.set_online_tiles(want) {
            self.settings.online_tiles = false;
            self.error = Some(format!("Online tiles: {e}"));
        }
    }

    fn save_settings(&mut self) {
        if let Some(path) = &self.settings_store
            && let Err(e) = self.settings.save(path)
        {
            self.error = Some(format!("Could not remember settings: {e}"));
        }
    }

    /// A window on the bundled sample plan, loaded right away (see
    /// [`files::load_sample`]). The sample has no file of its own, so Save
    /// asks where to put it.
    pub fn with_sample(ctx: &egui::Context) -> crate::core::Result<Self> {
        let project = files::load_sample(&Progress::new())?;
        Ok(Self::new(ctx, Workspace::new(project)))
    }

    /// The plan being shown.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The metrics the window shows (recomputed when the plan changes).
    pub fn metrics(&self) -> &PlanMetrics {
        &self.metrics
    }

    /// The map view (e.g. where a place was drawn in the last frame).
    pub fn map_view(&self) -> &MapView {
        &self.map
    }

    /// The map view, to move its camera (tests, benchmarks).
    pub fn map_view_mut(&mut self) -> &mut MapView {
        &mut self.map
    }

    /// What is selected.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// How the map is drawn (View menu).
    pub fn map_style(&self) -> &MapStyle {
        &self.style
    }

    /// How the map is drawn, to change (View menu; tests).
    pub fn map_style_mut(&mut self) -> &mut MapStyle {
        &mut self.style
    }

    /// How the territory list is sorted (`None`: plan order).
    pub fn sort(&self) -> Option<SortOrder> {
        self.list.sort
    }

    /// Sorts the territory list.
    pub fn set_sort(&mut self, sort: Option<SortOrder>) {
        self.list.sort = sort;
    }

    /// The territories in the order the list shows them.
    pub fn territory_order(&self) -> Vec<TerritoryId> {
        territory_order(&self.metrics, self.list.sort)
            .into_iter()
            .map(|k| TerritoryId(self.metrics.territories[k].id))
            .collect()
    }

    /// True while a background job (open, save, import, …) runs.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// The error shown in the banner, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The last status message (e.g. "Saved to …"), if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The recently used plans.
    pub fn recent_plans(&self) -> &RecentPlans {
        &self.recent
    }

    /// Uses `recent` for the File → Open recent menu (and keeps it up to
    /// date when plans are opened or saved).
    pub fn set_recent_plans(&mut self, recent: RecentPlans) {
        self.recent = recent;
    }

    /// "Turfmap — NAME", with " •" when there are unsaved changes.
    pub fn window_title(&self) -> String {
        let name = &self.ws.project().name;
        let mut title = if name.is_empty() {
            "Turfmap".to_owned()
        } else {
            format!("Turfmap — {name}")
        };
        if self.ws.is_dirty() {
            title.push_str(" •");
        }
        title
    }

    /// Selects a territory (clearing any account) and, with `zoom`, asks the
    /// map to frame it.
    pub fn select_territory(&mut self, id: TerritoryId, zoom: bool) {
        self.selection = Selection {
            territory: Some(id),
            account: None,
        };
        self.list.scroll_to(Some(id));
        if zoom {
            self.map.zoom_to_territory(&self.ws, id);
        }
    }

    /// Selects an account (and highlights its territory).
    pub fn select_account(&mut self, i: usize) {
        let territory = self.ws.engine().territory_of(i);
        self.selection = Selection {
            territory,
            account: Some(i),
        };
        self.list.scroll_to(territory);
    }

    /// Where the last frame's time went besides drawing: edits applied
    /// and metrics recomputed (the map's cache refresh is in
    /// [`MapView::last_refresh_ms`]).
    pub fn last_phases(&self) -> FramePhases {
        self.phases
    }

    /// Applies an edit; an error is shown in the banner.
    pub fn apply(&mut self, edit: Edit) {
        let t = Instant::now();
        let r = self.ws.apply(edit);
        self.phases.edit_ms += t.elapsed().as_secs_f64() * 1e3;
        match r {
            Ok(()) => self.refresh_metrics(),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Pins `accounts` to `target` (drag and drop) as one undoable edit;
    /// a refusal (e.g. a locked territory) is shown in the banner.
    pub fn drop_accounts(&mut self, accounts: &[usize], target: TerritoryId) {
        let idx: Vec<u32> = accounts.iter().map(|&i| i as u32).collect();
        // Already there (and pinned or placed by geometry): nothing to do.
        if accounts
            .iter()
            .all(|&i| self.ws.engine().territory_of(i) == Some(target))
        {
            return;
        }
        match crate::core::shape_edit::drop_accounts(
            self.ws.project(),
            self.ws.engine(),
            &idx,
            target,
        ) {
            Ok(edit) => self.apply(edit),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Removes the manual pins of `accounts` in the type shown (rules and
    /// geometry decide again there; pins in other types stay).
    pub fn unpin_accounts(&mut self, accounts: &[usize]) {
        let idx: Vec<u32> = accounts.iter().map(|&i| i as u32).collect();
        match crate::core::shape_edit::unpin(self.ws.project(), self.ws.current_type(), &idx) {
            Ok(edit) => self.apply(edit),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Undoes the last edit, if any.
    pub fn undo(&mut self) {
        let label = self.ws.undo_labels().last().map(str::to_owned);
        match self.ws.undo() {
            Ok(true) => {
                self.notice = label.map(|l| format!("Undid: {l}"));
                self.refresh_metrics();
            }
            Ok(false) => {}
            Err(e) => self.error = Some(format!("Could not undo: {e}")),
        }
    }

    /// Redoes the last undone edit, if any.
    pub fn redo(&mut self) {
        let label = self.ws.redo_labels().last().map(str::to_owned);
        match self.ws.redo() {
            Ok(true) => {
                self.notice = label.map(|l| format!("Redid: {l}"));
                self.refresh_metrics();
            }
            Ok(false) => {}
            Err(e) => self.error = Some(format!("Could not redo: {e}")),
        }
    }

    // ---- background work -------------------------------------------------

    fn start(
        &mut self,
        title: String,
        cancellable: bool,
        then: Option<Action>,
        work: impl FnOnce(&Progress) -> crate::core::Result<JobOutput> + Send + 'static,
    ) {
        if self.job.is_some() {
            self.error = Some("Please wait for the current operation to finish.".into());
            return;
        }
        self.error = None;
        self.after_job = then;
        self.job = Some(Job::spawn(&self.ctx, title, cancellable, work));
    }

    /// Opens the plan at `path` in the background (replacing the current
    /// one, without asking: see the File menu for the asking version).
    pub fn open_plan(&mut self, path: PathBuf) {
        let title = format!("Opening {}", display_name(&path));
        self.start(title, true, None, move |_| {
            let ws = Workspace::open(&path)?;
            Ok(JobOutput::Opened {
                ws: Box::new(ws),
                path: Some(path),
            })
        });
    }

    /// Opens the bundled sample plan in the background.
    pub fn open_sample(&mut self) {
        self.start("Opening the sample plan".into(), true, None, |progress| {
            let project = files::load_sample(progress)?;
            Ok(JobOutput::Opened {
                ws: Box::new(Workspace::new(project)),
                path: None,
            })
        });
    }

    /// Builds a new plan from an accounts CSV (and optional territories
    /// GeoJSON) in the background and saves it to `plan`.
    pub fn create_plan(
        &mut self,
        accounts: PathBuf,
        territories: Option<PathBuf>,
        name_prop: Option<String>,
        plan: PathBuf,
    ) {
        let country = crate::core::geocode::Country::US;
        self.create_plan_in(accounts, territories, name_prop, country, plan);
    }

    /// [`TurfmapApp::create_plan`] for a plan whose accounts without a
    /// country are in `country` (their postal codes are read as its codes).
    pub fn create_plan_in(
        &mut self,
        accounts: PathBuf,
        territories: Option<PathBuf>,
        name_prop: Option<String>,
        country: crate::core::geocode::Country,
        plan: PathBuf,
    ) {
        let title = format!(
            "Creating {} from {}",
            display_name(&plan),
            display_name(&accounts)
        );
        let remembered = self.settings.clone();
        self.start(title, true, None, move |progress| {
            let name = files::plan_name_from(&plan);
            let mut files = crate::core::import::NewPlanFiles {
                territories,
                name_prop,
                ..crate::core::import::NewPlanFiles::accounts(accounts)
            };
            files.columns.default_country = Some(country);
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
        });
    }

    /// Saves the plan to `path` in the background.
    pub fn save_to(&mut self, path: PathBuf) {
        self.save_to_then(path, None);
    }

    fn save_to_then(&mut self, path: PathBuf, then: Option<Action>) {
        // The worker saves a snapshot (milliseconds to take), so the window
        // keeps drawing and editing meanwhile; edits made during the save
        // leave the plan marked unsaved.
        let project = self.ws.project().snapshot();
        let state = self.ws.state_id();
        // Refuses to overwrite the plan's file if someone else saved it
        // since this window read or wrote it.
        let opts = self.ws.write_options(&path, Default::default());
        let title = format!("Saving {}", display_name(&path));
        self.start(title, false, then, move |_| {
            let written = crate::core::project_file::save_with(&project, &path, opts)?;
            Ok(JobOutput::Saved {
                path,
                state,
                written,
            })
        });
    }

    /// Reads territories from a GeoJSON file in the background, then adds
    /// them (or replaces the boundary of same-named ones) as one undoable
    /// edit.
    pub fn import_territories_from(&mut self, path: PathBuf) {
        let title = format!("Importing territories from {}", display_name(&path));
        self.start(title, true, None, move |_| {
            let (territories, report) = territories_named(&path, None)?;
            Ok(JobOutput::TerritoriesRead {
                path,
                territories,
                report,
            })
        });
    }

    /// Writes `account_id,territory` for every account to `path` (CSV) in
    /// the background.
    pub fn export_assignments_to(&mut self, path: PathBuf) {
        let project = self.ws.project().snapshot();
        let assignment = self.ws.engine().assignment();
        let title = format!("Exporting assignments to {}", display_name(&path));
        self.start(title, false, None, move |_| {
            write_file_atomically(&path, |w| write_assignment_csv(w, &project, &assignment))?;
            Ok(JobOutput::Exported {
                path,
                what: "assignments",
            })
        });
    }

    /// Writes the territories to `path` in the background: KML for a
    /// `.kml` file, KMZ for a `.kmz` one, GeoJSON otherwise.
    pub fn export_territories_to(&mut self, path: PathBuf) {
        use crate::core::import::{TerritoryFormat, write_territories_file};
        // Only the territories are needed: no need to copy the accounts.
        let mut project = Project::new(self.ws.project().name.clone());
        project.territories = self.ws.project().territories.clone();
        let title = format!("Exporting territories to {}", display_name(&path));
        let format = match TerritoryFormat::of(&path) {
            Some(f @ (TerritoryFormat::Kml | TerritoryFormat::Kmz)) => f,
            _ => TerritoryFormat::GeoJson,
        };
        self.start(title, false, None, move |_| {
            write_territories_file(&path, &project, format)?;
            Ok(JobOutput::Exported {
                path,
                what: "territories",
            })
        });
    }

    /// Blocks until the running job (if any) ends or `timeout` passes, and
    /// takes its result in. For tests and scripts; the window itself never
    /// blocks. Returns false on timeout.
    pub fn wait_for_job(&mut self, timeout: Duration) -> bool {
        let Some(job) = &self.job else { return true };
        match job.wait(timeout) {
            Some(result) => {
                self.job = None;
                self.finish_job(result);
                true
            }
            None => false,
        }
    }

    fn poll_job(&mut self) {
        let Some(job) = &self.job else { return };
        if let Some(result) = job.poll() {
            self.job = None;
            self.finish_job(result);
        }
    }

    /// Cancels the running job: the window goes back to the current plan
    /// at once and whatever the worker still produces is dropped.
    fn cancel_job(&mut self) {
        if let Some(job) = self.job.take() {
            job.progress.cancel();
            self.after_job = None;
            self.notice = Some(format!("Cancelled: {}", job.title));
        }
    }

    fn finish_job(&mut self, result: Result<JobOutput, String>) {
        let then = self.after_job.take();
        let output = match result {
            Ok(output) => output,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        match output {
            JobOutput::Opened { ws, path } => {
                self.replace_workspace(*ws);
                if let Some(p) = &path {
                    self.recent.add(p);
                }
                self.notice = Some(format!(
                    "Opened {}: {} accounts, {} territories",
                    self.ws.project().name,
                    fmt::count(self.metrics.total.count),
                    self.metrics.territories.len()
                ));
            }
            JobOutput::Created { ws, path, summary } => {
                self.replace_workspace(*ws);
                self.recent.add(&path);
                self.notice = Some(format!(
                    "Created {}: {}",
                    display_name(&path),
                    summary.replace('\n', "; ")
                ));
            }
            JobOutput::Saved {
                path,
                state,
                written,
            } => {
                self.recent.add(&path);
                self.ws.mark_saved_as(&path, state, written);
                if !self.ws.is_dirty() {
                    self.notice = Some(format!("Saved to {}", path.display()));
                } else {
                    self.notice = Some(format!(
                        "Saved to {}, but later changes are not saved yet",
                        path.display()
                    ));
                }
            }
            JobOutput::TerritoriesRead {
                path,
                territories,
                report,
            } => self.add_imported_territories(&path, territories, &report),
            JobOutput::Exported { path, what } => {
                self.notice = Some(format!("Exported {what} to {}", path.display()));
            }
            JobOutput::SalesforceExported { dir, summary } => {
                self.notice = Some(export_ui::salesforce_notice(&dir, &summary));
            }
            // Balance proposals come through the dialog's own job.
            JobOutput::Proposal(_) | JobOutput::Diff(_) => {}
        }
        if let Some(action) = then {
            self.perform(action);
        }
    }

    fn replace_workspace(&mut self, ws: Workspace) {
        self.close_balance_dialog();
        self.ws = ws;
        self.generation += 1;
        self.selection = Selection::default();
        self.tools.reset();
        self.details.reset();
        self.list.scroll_to(None);
        // A fresh map view: its caches belong to the previous plan.
        self.map = MapView::new(&self.ctx);
        self.apply_tile_setting();
        self.refresh_metrics();
        self.map.zoom_to_plan(&self.ws);
    }

    fn add_imported_territories(
        &mut self,
        path: &Path,
        territories: Vec<ImportedTerritory>,
        report: &TerritoryImportReport,
    ) {
        let file = display_name(path);
        let skipped = match report.skipped.first() {
            Some(first) => format!(
                "; {} feature(s) skipped, e.g. {first}",
                report.skipped.len()
            ),
            None => String::new(),
        };
        if territories.is_empty() {
            self.error = Some(format!("{file}: no usable territories{skipped}"));
            return;
        }
        let merge = crate::core::import::merge_territories(
            self.ws.project(),
            territories,
            format!("Import territories from {file}"),
        );
        let (added, replaced, locked) = (merge.added, merge.replaced, merge.locked);
        let Some(edit) = merge.edit else {
            self.error = Some(format!(
                "{file}: every territory in it is locked in this plan ({}); unlock them first",
                locked.join(", ")
            ));
            return;
        };
        let before = self.ws.revision();
        self.apply(edit);
        if self.ws.revision() != before {
            let locked = if locked.is_empty() {
                String::new()
            } else {
                format!("; {} locked left as they were", locked.len())
            };
            self.notice = Some(format!(
                "Imported from {file}: {added} added, {replaced} replaced{locked}{skipped}"
            ));
        }
    }

    // ---- actions that may need a confirmation ------------------------------

    /// Does `action`, first asking to save when it would drop changes.
    pub(crate) fn request(&mut self, action: Action) {
        if self.ws.is_dirty() {
            self.confirm = Some(action);
        } else {
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Close => {
                self.discard_recovery();
                self.allow_close = true;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Action::OpenDialog => {
                if let Some(path) = files::dialogs::pick_plan(self.ws.path()) {
                    self.open_plan(path);
                }
            }
            Action::Open(path) => self.open_plan(path),
            Action::OpenSample => self.open_sample(),
            Action::NewPlan => {
                if let Some(accounts) = files::dialogs::pick_accounts_csv() {
                    self.new_plan = Some(NewPlanForm {
                        accounts,
                        territories: None,
                        name_prop: "name".into(),
                        country: crate::core::geocode::Country::US,
                    });
                }
            }
        }
    }

    /// Save: to the plan's file, or asks where when it has none.
    pub(crate) fn save(&mut self, then: Option<Action>) {
        match self.ws.path() {
            Some(path) => self.save_to_then(path.to_owned(), then),
            None => self.save_as(then),
        }
    }

    /// Save As: asks where, then saves.
    pub(crate) fn save_as(&mut self, then: Option<Action>) {
        let name = match self.ws.project().name.as_str() {
            "" => "plan".to_owned(),
            n => n.to_owned(),
        };
        if let Some(path) =
            files::dialogs::save_as("Save plan", "Turfmap plan", "turf", &name, self.ws.path())
        {
            self.save_to_then(path, then);
        }
    }

    // ---- the frame -------------------------------------------------------------

    fn refresh_metrics(&mut self) {
        let key = (self.generation, self.ws.revision());
        if key != self.metrics_key {
            let t = Instant::now();
            self.metrics = self.ws.metrics();
            self.metrics_key = key;
            self.phases.metrics_ms += t.elapsed().as_secs_f64() * 1e3;
        }
    }

    /// Drops a selection that no longer exists (after undo, delete, …).
    fn sanitize_selection(&mut self) {
        let p = self.ws.project();
        if let Some(id) = self.selection.territory
            && p.territory(id).is_none()
        {
            self.selection.territory = None;
        }
        if let Some(i) = self.selection.account
            && (i >= p.accounts.len() || p.accounts.removed[i])
        {
            self.selection.account = None;
        }
    }

    /// Draws the whole window into `ui` and handles its input. This is all
    /// of [`eframe::App::ui`], without needing an `eframe::Frame`.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.phases = FramePhases::default();
        self.poll_job();
        self.expire_notice(&ctx, Instant::now());
        self.refresh_metrics();
        self.sanitize_selection();
        self.handle_close_request(&ctx);
        self.sanitize_tools();
        self.presentation_keys(&ctx);
        if self.job.is_none()
            && self.confirm.is_none()
            && self.new_plan.is_none()
            && !self.presenting()
        {
            self.tool_keys(&ctx);
            self.handle_shortcuts(&ctx);
        }
        let title = self.window_title();
        if title != self.last_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.last_title = title;
        }
        if self.presenting() {
            self.presentation_ui(ui);
            self.tick_autosave(Instant::now());
            if self.job.is_some() {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
            return;
        }

        Panel::top("menu_bar").show(ui, |ui| self.menu_bar(ui));
        if self.error.is_some() {
            self.error_banner(ui);
        }
        Panel::bottom("status_bar").show(ui, |ui| self.status_bar(ui));
        // Default widths leave the map most of a 1400-point window; both
        // side panels resize (egui remembers the widths) and collapse
        // (View menu).
        if self.style.list_panel {
            Panel::left("territory_list")
                .resizable(true)
                .default_size(360.0)
                .min_size(300.0)
                .show(ui, |ui| {
                    let busy = self.job.is_some();
                    let commands = self.list.ui(
                        ui,
                        &self.ws,
                        &self.metrics,
                        &self.selection,
                        &mut self.tools,
                        busy,
                    );
                    self.apply_commands(commands);
                    // The rows' context menus queue tool actions.
                    self.run_tool_actions();
                });
        }
        if self.style.details_panel {
            Panel::right("details")
                .resizable(true)
                .default_size(300.0)
                .min_size(240.0)
                .show(ui, |ui| self.details_panel(ui));
        }
        Panel::bottom("chart")
            .resizable(true)
            .default_size(210.0)
            .min_size(140.0)
            .show(ui, |ui| {
                let commands =
                    panels::BalanceChart.ui(ui, &self.ws, &self.metrics, &self.selection);
                self.apply_commands(commands);
            });
        CentralPanel::no_frame().show(ui, |ui| {
            self.map_rect = Some(ui.max_rect());
            self.tool_bar(ui);
            let events =
                self.map
                    .show_with(ui, &self.ws, &self.selection, &self.style, &mut self.tools);
            for event in events {
                match event {
                    MapEvent::SelectTerritory(id) => self.map_select_territory(id, &ctx),
                    MapEvent::SelectAccount(i) => self.select_account(i),
                }
            }
            self.run_tool_actions();
            self.balance_preview(ui);
        });

        self.balance_window(&ctx);
        self.dialogs(&ctx);
        self.map_export_dialog(&ctx);
        self.salesforce_export_dialog(&ctx);
        self.model_window(&ctx);
        self.recovery_dialog(&ctx);
        self.tick_autosave(Instant::now());
        if self.job.is_some() {
            // Keep the progress bar moving; the worker also wakes us when done.
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    /// A status message stays [`NOTICE_TTL`] after it first showed, then
    /// goes: it stops being true as the user carries on.
    fn expire_notice(&mut self, ctx: &egui::Context, now: Instant) {
        let Some(n) = &self.notice else {
            self.notice_seen = None;
            return;
        };
        match &self.notice_seen {
            Some((seen, _)) if seen == n => {}
            _ => self.notice_seen = Some((n.clone(), now)),
        }
        if let Some((_, at)) = &self.notice_seen {
            let age = now.saturating_duration_since(*at);
            if age >= NOTICE_TTL {
                self.notice = None;
                self.notice_seen = None;
            } else {
                ctx.request_repaint_after(NOTICE_TTL - age);
            }
        }
    }

    /// The right panel: plan summary (balance settings and figures), then
    /// the selected account or territory, then the history.
    fn details_panel(&mut self, ui: &mut egui::Ui) {
        ui.take_available_width();
        egui::ScrollArea::vertical()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let commands = self.details.plan_summary(ui, &self.ws, &self.metrics);
                self.apply_commands(commands);
                ui.add_space(8.0);
                ui.separator();
                ui.add_space(4.0);
                self.selection_controls(ui);
                self.selection_details(ui);
                ui.add_space(8.0);
                ui.separator();
                self.history_panel(ui);
            });
    }

    /// The selected account or territory, or how to select one.
    fn selection_details(&mut self, ui: &mut egui::Ui) {
        if let Some(i) = self.selection.account {
            let commands = panels::Details::account(ui, &self.ws, i);
            self.apply_commands(commands);
        } else if let Some(id) = self.selection.territory {
            let units = self.settings.units;
            if panels::Details::territory(ui, &self.ws, &self.metrics, units, id) {
                let commands = self.details.quota(ui, &self.ws, &self.metrics, id);
                self.apply_commands(commands);
                self.territory_edit_controls(ui, id);
                ui.add_space(8.0);
                let commands = panels::Details::territory_buttons(ui, id);
                self.apply_commands(commands);
            }
        } else {
            ui.heading("Selection");
            ui.label(
                egui::RichText::new(
                    "Click a territory in the list, a bar in the chart, or a \
                     territory or account on the map to see its details.",
                )
                .color(ui.visuals().weak_text_color()),
            );
        }
    }

    fn handle_close_request(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.allow_close && self.ws.is_dirty()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm = Some(Action::Close);
        }
    }
}

impl eframe::App for TurfmapApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_contents(ui);
    }
}

/// How long a status message shows.
pub const NOTICE_TTL: Duration = Duration::from_secs(10);

/// `west.turf` for messages (the whole path is in the status bar).
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// `#1f77b4` → `[31, 119, 180]` (the colour property our GeoJSON export
/// writes, so an export/import round trip keeps colours).
/// Larger type and roomier spacing than egui's defaults: the window is
/// often shown on a projector to a room.
pub(crate) fn setup_style(ctx: &egui::Context, dark: bool) {
    use egui::{FontFamily, FontId, TextStyle};
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(22.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(16.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(16.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(13.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(15.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.interact_size.y = 26.0;
    });
    // Light by default: it reads better on projectors in lit rooms.
    ctx.set_theme(if dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    });
}

/// Installs the process-wide TLS crypto provider that online map tiles
/// (reqwest with rustls) need. Harmless to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Opens the window on `plan`, or on the bundled sample when `None`.
/// The plan loads in the background, so the window appears at once.
pub fn run(plan: Option<PathBuf>) -> anyhow::Result<()> {
    install_tls_provider();
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("Turfmap")
            .with_app_id("turfmap")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Turfmap",
        options,
        Box::new(move |cc| {
            let mut app = TurfmapApp::new(&cc.egui_ctx, Workspace::new(Project::new("")));
            app.set_recent_plans(RecentPlans::load_default());
            let store = settings::AppSettings::default_store();
            let remembered = store
                .as_deref()
                .map(settings::AppSettings::load)
                .unwrap_or_default();
            app.set_settings(remembered, store);
            app.set_recovery_dir(history::default_recovery_dir());
            app.check_recovery();
            match plan {
                Some(path) => app.open_plan(path),
                None => app.open_sample(),
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
