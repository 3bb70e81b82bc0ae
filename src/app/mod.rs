//! The egui window. It only displays the core's state and turns gestures
//! into edits: every change to the plan goes through
//! [`Workspace::apply`]/[`Workspace::undo`]/[`Workspace::redo`], and every
//! slow operation (open, create, save, import, export) runs on a worker
//! thread while the window shows its progress.
//!
//! [`TurfmapApp::ui_contents`] draws the whole window into any [`egui::Ui`]
//! and needs no `eframe::Frame`, so the UI tests drive the real app
//! headless.

pub mod chart;
pub mod command;
pub mod drive;
mod file_jobs;
pub mod files;
mod find;
pub mod fmt;
mod form;
#[cfg(feature = "bench")]
pub mod frame_bench;
#[cfg(feature = "bench")]
pub mod gesture_bench;
pub mod history;
mod imports;
mod jobs;
pub mod map;
pub mod panels;
pub mod settings;
pub mod state;
pub mod tools;
mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::{CentralPanel, Panel};

use crate::core::edit::Edit;
use crate::core::metrics::{LiveMetrics, PlanMetrics};
use crate::core::progress::Progress;
use crate::core::{Project, TerritoryId, Workspace};

pub use chart::chart_bars;
pub use files::RecentPlans;
pub use panels::{Panels, SortColumn, SortOrder, export as export_ui, present, territory_order};

use jobs::{Job, JobOutput, JobRequest};
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
    metrics: LiveMetrics,
    metrics_key: (u64, u64),
    selection: Selection,
    style: MapStyle,
    map: MapView,
    /// Where the map was drawn last frame (floating dialogs open over it).
    map_rect: Option<egui::Rect>,
    /// The panels and dialogs, each with its own state.
    panels: Panels,
    job: Option<Job>,
    /// What to do once the running job succeeds (e.g. close after saving).
    after_job: Option<Action>,
    error: Option<String>,
    notice: Option<String>,
    /// The notice last seen and since when (notices expire).
    notice_seen: Option<(String, Instant)>,
    recent: RecentPlans,
    allow_close: bool,
    last_title: String,
    dark: bool,
    settings: settings::AppSettings,
    settings_store: Option<PathBuf>,
    autosave: history::Autosave,
    /// Where this frame's time went so far.
    phases: FramePhases,
    /// Keeps the travel-workload column fresh after edits.
    workload: workload::WorkloadRefresh,
}

impl TurfmapApp {
    /// A window on `ws`. Sets the projector-friendly style on `ctx`. The
    /// recent-plans list is in memory only; see
    /// [`TurfmapApp::set_recent_plans`].
    pub fn new(ctx: &egui::Context, ws: Workspace) -> Self {
        setup_style(ctx, false);
        let metrics = ws.live_metrics();
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
            panels: Panels::default(),
            job: None,
            after_job: None,
            error: None,
            notice: None,
            notice_seen: None,
            recent: RecentPlans::in_memory(),
            allow_close: false,
            last_title: String::new(),
            dark: false,
            settings: settings::AppSettings::default(),
            settings_store: None,
            autosave: history::Autosave::default(),
            workload: workload::WorkloadRefresh::default(),
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

    /// How the map is drawn, to change (View menu; tests).
    pub fn map_style_mut(&mut self) -> &mut MapStyle {
        &mut self.style
    }

    /// The panels and dialogs (tests read their state).
    pub fn panels(&self) -> &Panels {
        &self.panels
    }

    /// The panels and dialogs, to change (tests, scripts).
    pub fn panels_mut(&mut self) -> &mut Panels {
        &mut self.panels
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
        self.panels.list.scroll_to(Some(id));
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
        self.panels.list.scroll_to(territory);
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

    /// Starts a background job (one at a time; a second one is refused
    /// with a message).
    fn start(&mut self, job: JobRequest) {
        if self.job.is_some() {
            self.error = Some("Please wait for the current operation to finish.".into());
            return;
        }
        self.error = None;
        self.after_job = job.then;
        self.job = Some(Job::spawn(&self.ctx, job.title, job.cancellable, job.work));
    }

    /// Opens the plan at `path` in the background (replacing the current
    /// one, without asking: see the File menu for the asking version).
    pub fn open_plan(&mut self, path: PathBuf) {
        self.start(file_jobs::open(path));
    }

    /// Saves the plan to `path` in the background.
    pub fn save_to(&mut self, path: PathBuf) {
        self.start(file_jobs::save(&self.ws, path, false));
    }

    /// Blocks until the running job (if any) and the background
    /// travel-workload refresh (if any) end or `timeout` passes, and takes
    /// their results in. For tests and scripts; the window itself never
    /// blocks. Returns false on timeout.
    pub fn wait_for_job(&mut self, timeout: Duration) -> bool {
        if let Some(job) = &self.job {
            let Some(result) = job.wait(timeout) else {
                return false;
            };
            self.job = None;
            self.finish_job(result);
        }
        match self.workload.wait(&mut self.ws, self.generation, timeout) {
            Ok(done) => {
                self.refresh_metrics();
                done
            }
            Err(e) => {
                self.error = Some(e);
                true
            }
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
            JobOutput::AccountsRead {
                path,
                accounts,
                report,
            } => match imports::apply_refresh(&mut self.ws, &path, &accounts, &report) {
                Ok((title, lines)) => {
                    self.refresh_metrics();
                    self.notice = Some(format!("{title}: {}", lines[0]));
                    self.panels.imports.show_summary(title, lines);
                }
                Err(e) => self.error = Some(e),
            },
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
            } => match file_jobs::merge_imported(self.ws.project(), &path, territories, &report) {
                Ok((edit, notice)) => {
                    let before = self.ws.revision();
                    self.apply(edit);
                    if self.ws.revision() != before {
                        self.notice = Some(notice);
                    }
                }
                Err(e) => self.error = Some(e),
            },
            JobOutput::ChangedOnDisk { path } => {
                // The action waiting for the save waits for the answer.
                self.panels.dialogs.conflict = Some((path, then));
                return;
            }
            JobOutput::Exported { path, what } => {
                self.notice = Some(format!("Exported {what} to {}", path.display()));
            }
            JobOutput::SalesforceExported { dir, summary } => {
                self.notice = Some(panels::export::salesforce_notice(&dir, &summary));
            }
            // Balance proposals come through the dialog's own job.
            JobOutput::Proposal(_)
            | JobOutput::Tradeoff(_)
            | JobOutput::Diff(_)
            | JobOutput::Capacity(_)
            | JobOutput::Rings(_) => {}
        }
        if let Some(action) = then {
            self.perform(action);
        }
    }

    fn replace_workspace(&mut self, ws: Workspace) {
        self.panels.balance.close();
        self.ws = ws;
        self.generation += 1;
        self.selection = Selection::default();
        self.panels.tools.reset();
        self.panels.details.reset();
        self.panels.capacity.reset();
        self.panels.rings.reset();
        self.panels.list.scroll_to(None);
        // A fresh map view: its caches belong to the previous plan.
        self.map = MapView::new(&self.ctx);
        self.apply_tile_setting();
        self.refresh_metrics();
        self.map.zoom_to_plan(&self.ws);
    }

    // ---- actions that may need a confirmation ------------------------------

    /// Does `action`, first asking to save when it would drop changes.
    pub(crate) fn request(&mut self, action: Action) {
        if self.ws.is_dirty() {
            self.panels.dialogs.confirm = Some(action);
        } else {
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Close => {
                self.autosave.discard();
                self.allow_close = true;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Action::OpenDialog if self.panels.paths.unavailable().is_some() => {
                self.apply_command(command::Command::AskPath(panels::PathPurpose::OpenPlan));
            }
            Action::OpenDialog => {
                if let Some(path) = files::dialogs::pick_plan(self.ws.path()) {
                    self.open_plan(path);
                }
            }
            Action::Open(path) => self.open_plan(path),
            Action::OpenSample => self.start(file_jobs::open_sample()),
            Action::NewPlan if self.panels.paths.unavailable().is_some() => {
                let purpose = panels::PathPurpose::NewPlanAccounts;
                self.apply_command(command::Command::AskPath(purpose));
            }
            Action::NewPlan => {
                if let Some(accounts) = files::dialogs::pick_accounts_csv(self.ws.path()) {
                    let mode = panels::WizardMode::NewPlan;
                    self.panels
                        .imports
                        .open_for(&self.ctx, &self.ws, accounts, mode);
                }
            }
        }
    }

    /// Save: to the plan's file, or asks where when it has none.
    pub(crate) fn save(&mut self, then: Option<Action>) {
        match self.ws.path() {
            Some(path) => {
                let job = file_jobs::save(&self.ws, path.to_owned(), false);
                self.start(job.then(then));
            }
            None => self.save_as(then),
        }
    }

    /// Save As: asks where, then saves.
    pub(crate) fn save_as(&mut self, then: Option<Action>) {
        if self.panels.paths.unavailable().is_some() {
            // The action waiting for the save is dropped: the user saves
            // with the typed path, then does it again.
            self.apply_command(command::Command::AskPath(panels::PathPurpose::SavePlan));
            return;
        }
        let name = match self.ws.project().name.as_str() {
            "" => "plan".to_owned(),
            n => n.to_owned(),
        };
        if let Some(path) =
            files::dialogs::save_as("Save plan", "Turfmap plan", "turf", &name, self.ws.path())
        {
            self.start(file_jobs::save(&self.ws, path, false).then(then));
        }
    }

    // ---- the frame -------------------------------------------------------------

    fn refresh_metrics(&mut self) {
        let key = (self.generation, self.ws.revision());
        if key != self.metrics_key {
            let t = Instant::now();
            if key.0 == self.metrics_key.0 {
                // Only what the edits since changed.
                self.ws.refresh_metrics(&mut self.metrics);
            } else {
                // Another plan: nothing carries over.
                self.metrics = self.ws.live_metrics();
            }
            self.panels.drive.fill(&mut self.metrics);
            self.metrics_key = key;
            self.phases.metrics_ms += t.elapsed().as_secs_f64() * 1e3;
        }
    }

    /// Draws the whole window into `ui` and handles its input. This is all
    /// of [`eframe::App::ui`], without needing an `eframe::Frame`.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.phases = FramePhases::default();
        if let Some(result) = self.job.as_ref().and_then(Job::poll) {
            self.job = None;
            self.finish_job(result);
        }
        self.expire_notice(&ctx, Instant::now());
        if let Some(e) = self.workload.tick(&mut self.ws, self.generation, &ctx) {
            self.error = Some(e);
        }
        self.refresh_metrics();
        // Drive-time figures: a worker computes them; new ones go into the
        // metrics and the map's hover cards.
        self.panels
            .drive
            .step(&ctx, &self.ws, self.generation, None);
        if self.panels.drive.take_fresh() {
            self.panels.drive.fill(&mut self.metrics);
            let d = &self.panels.drive;
            self.map.set_drive(d.router().cloned(), d.reps());
        }
        self.selection.sanitize(self.ws.project());
        let close = ctx.input(|i| i.viewport().close_requested());
        if close && !self.allow_close && self.ws.is_dirty() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.panels.dialogs.confirm = Some(Action::Close);
        }
        self.panels.tools.sanitize(&self.ws);
        if self.job.is_none()
            && self.panels.dialogs.confirm.is_none()
            && self.panels.export.form.is_none()
            && let Some(c) = self.panels.present.keys(&ctx)
        {
            self.apply_command(c);
        }
        let modal = self.panels.dialogs.is_open()
            || self.panels.paths.is_open()
            || self.panels.imports.is_open();
        if self.job.is_none() && !modal && !self.panels.present.is_active() {
            self.panels.tools.keys(&ctx, &self.ws, &self.selection);
            self.run_tool_actions();
            self.apply_commands(panels::menu_bar::shortcuts(&ctx));
        }
        let title = self.window_title();
        if title != self.last_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.last_title = title;
        }
        if self.panels.present.is_active() {
            let cx = panels::present::PresentContext {
                ws: &self.ws,
                metrics: &self.metrics,
                selection: &self.selection,
                style: &self.style,
                map: &mut self.map,
            };
            let commands = self.panels.present.ui(ui, cx);
            self.apply_commands(commands);
            self.windows(&ctx, false);
        } else {
            self.editing_ui(ui, &ctx);
            self.windows(&ctx, true);
        }
        self.tick_autosave(Instant::now());
        if self.job.is_some() {
            // Keep the progress bar moving; the worker also wakes us when done.
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    /// The editing layout: menu bar, error banner, status bar, territory
    /// list, details, balance chart and the map with its toolbar.
    fn editing_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        Panel::top("menu_bar").show(ui, |ui| {
            let cx = panels::menu_bar::MenuContext {
                ws: &self.ws,
                selection: &self.selection,
                dark: self.dark,
                units: self.settings.units,
                online_tiles: self.settings.online_tiles,
                typed_paths: self.panels.paths.unavailable().is_some(),
            };
            let view = panels::menu_bar::MenuView {
                style: &mut self.style,
                tiles: &mut self.settings.tiles,
                recent: &mut self.recent,
            };
            let commands = panels::MenuBar.ui(ui, &cx, view);
            self.apply_commands(commands);
        });
        if let Some(error) = self.error.clone() {
            self.apply_commands(panels::dialogs::error_banner(ui, &error));
        }
        Panel::bottom("status_bar").show(ui, |ui| {
            let notice = self.notice.as_deref();
            let commands = panels::StatusBar.ui(ui, &self.ws, &self.metrics, notice);
            self.apply_commands(commands);
        });
        // Default widths leave the map at least 60% of the window; both
        // side panels resize (egui remembers the widths) and collapse
        // (View menu).
        let (list_panel, details_panel) = (self.style.list_panel, self.style.details_panel);
        let (list_width, details_width) = side_panel_widths(ui.available_width());
        if list_panel {
            Panel::left("territory_list")
                .resizable(true)
                .default_size(list_width)
                .min_size(220.0)
                .show(ui, |ui| {
                    let busy = self.job.is_some();
                    let p = &mut self.panels;
                    let commands = p.list.ui(
                        ui,
                        &self.ws,
                        &self.metrics,
                        &self.selection,
                        &mut p.tools,
                        busy,
                    );
                    self.apply_commands(commands);
                    // The rows' context menus queue tool actions.
                    self.run_tool_actions();
                });
        }
        if details_panel {
            Panel::right("details")
                .resizable(true)
                .default_size(details_width)
                .min_size(200.0)
                .show(ui, |ui| {
                    let cx = panels::details::DetailsContext {
                        ws: &self.ws,
                        metrics: &self.metrics,
                        selection: &self.selection,
                        units: self.settings.units,
                        drive: self.panels.drive.status(),
                    };
                    let p = &mut self.panels;
                    let commands = p.details.ui(ui, &cx, &mut p.tools);
                    self.apply_commands(commands);
                    self.run_tool_actions();
                });
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
            let tools = &mut self.panels.tools;
            let commands = panels::ToolBar.ui(ui, &self.ws, &self.selection, tools);
            self.apply_commands(commands);
            self.run_tool_actions();
            let events = self.map.show_with(
                ui,
                &self.ws,
                &self.selection,
                &self.style,
                &mut self.panels.tools,
            );
            for event in events {
                let command = match event {
                    MapEvent::SelectTerritory(id) => self.panels.tools.map_click(id, ctx),
                    MapEvent::SelectAccount(i) => command::Command::SelectAccount(i),
                };
                self.apply_command(command);
            }
            self.run_tool_actions();
            self.panels.balance.preview(ui, &self.map);
        });
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

    /// The floating windows and modal dialogs; with `all`, also those of
    /// the editing layout (Balance, exports, territory model, recovery).
    fn windows(&mut self, ctx: &egui::Context, all: bool) {
        if all {
            let area = self.map_rect.unwrap_or_else(|| ctx.content_rect());
            let commands = self.panels.balance.ui(ctx, &self.ws, area);
            self.apply_commands(commands);
        }
        if let Some(job) = &self.job {
            let commands = panels::dialogs::busy_dialog(ctx, job);
            self.apply_commands(commands);
        }
        let commands = self.panels.dialogs.ui(ctx, &self.ws);
        self.apply_commands(commands);
        let commands = self.panels.paths.ui(ctx);
        self.apply_commands(commands);
        let typed = self.panels.paths.unavailable();
        let commands = self.panels.imports.ui(ctx, &self.settings, typed);
        self.apply_commands(commands);
        self.panels.about.ui(ctx);
        if !all {
            return;
        }
        let commands = self.panels.export.ui(ctx, &self.ws);
        self.apply_commands(commands);
        let commands = self.panels.capacity.ui(ctx, &self.ws, &mut self.map);
        self.apply_commands(commands);
        let units = self.settings.units;
        let commands = self.panels.rings.ui(ctx, &self.ws, &mut self.map, units);
        self.apply_commands(commands);
        let commands = self.panels.model.background(ctx, &self.ws, &mut self.map);
        self.apply_commands(commands);
        let cx = panels::model::Sections {
            ws: &self.ws,
            metrics: &self.metrics,
            selection: &self.selection,
            map_picking: self.map.picking(),
            ctx,
            out: Vec::new(),
        };
        let commands = self.panels.model.ui(ctx, cx);
        self.apply_commands(commands);
        let commands = self
            .panels
            .left_out
            .ui(ctx, &self.ws, self.generation, &self.selection);
        self.apply_commands(commands);
        let key = (self.generation, self.ws.revision());
        let commands = self.panels.search.ui(ctx, &self.ws, key);
        self.apply_commands(commands);
        if let Some(offer) = &self.autosave.offer
            && self.job.is_none()
        {
            let commands = panels::RecoveryDialog.ui(ctx, offer);
            self.apply_commands(commands);
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

/// Default widths of the territory list and the details panel in a window
/// `width` points wide: together at most 40% of it (the map gets the rest),
/// within what their contents need to read.
pub fn side_panel_widths(width: f32) -> (f32, f32) {
    (
        (0.22 * width).clamp(220.0, 340.0),
        (0.165 * width).clamp(200.0, 260.0),
    )
}

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
            app.apply_command(command::Command::Startup(plan));
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
