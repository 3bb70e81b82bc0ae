//! The Balance dialog (Plan -> Balance… / Generate…): options, a run on a
//! worker thread with progress and Cancel while the map stays usable, then
//! the proposal - before/after balance, disruption per territory and per
//! rep, proposed outlines on the map - to Accept (one undoable edit) or
//! Discard. The method is in [`crate::core::optimize`].

use std::time::Duration;

use egui::{Color32, ProgressBar, RichText, Stroke, Ui};
use geo::MultiPolygon;

use crate::app::command::Command;
use crate::app::fmt;
use crate::app::jobs::{Job, JobOutput};
use crate::app::map::MapView;
use crate::core::edit::Edit;
use crate::core::model::BalanceMeasure;
use crate::core::optimize::{
    BalanceOptions, CentreLimit, DriveTime, Proposal, TradeoffPlan, UnitLayer, from_reps, generate,
    pick, rebalance, tradeoff,
};
use crate::core::{TerritoryId, Workspace};

/// Which unit layer the dialog offers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layer {
    Hex,
    Counties,
    Zips,
    /// The bundled regions of a country other than the US.
    Provinces(crate::core::geocode::Country),
}

impl Layer {
    fn caption(self) -> &'static str {
        match self {
            Layer::Hex => "Hexagons",
            Layer::Counties => "US counties",
            Layer::Zips => "US ZIP areas",
            Layer::Provinces(c) => crate::core::regions::provinces_caption(c),
        }
    }
}

/// Hexagons, and the bundled units of the countries the plan's accounts
/// are in (US counties and ZIP areas, Canadian provinces, …).
fn offered_layers(ws: &Workspace) -> Vec<Layer> {
    use crate::core::regions::{plan_countries, unit_layers};
    let mut out = vec![Layer::Hex];
    for (layer, _) in unit_layers(&plan_countries(ws.project()), 25.0) {
        match layer {
            UnitLayer::Counties => out.push(Layer::Counties),
            UnitLayer::Zips => out.push(Layer::Zips),
            UnitLayer::Provinces(c) => out.push(Layer::Provinces(c)),
            UnitLayer::Hex { .. } | UnitLayer::States => {}
        }
    }
    out
}

/// Title of the trade-off job.
const TRADEOFF_TITLE: &str = "Computing the balance vs disruption trade-off";

/// State of the open dialog.
pub(crate) struct BalanceDialog {
    generate: bool,
    /// Count and each measure: (name, weight %) - weight 0 = not used.
    weights: Vec<(String, f64)>,
    tolerance: f64,
    k: usize,
    layer: Layer,
    /// The layers that fit the plan's accounts.
    offered: Vec<Layer>,
    hex_km: f64,
    /// Territories to lock, besides those locked in the plan.
    locked: Vec<TerritoryId>,
    keep_pins: bool,
    /// Balance by drive time from the reps' homes (bundled roads).
    drive_time: bool,
    /// Generate: one territory per rep home base (drive-time territories).
    from_reps: bool,
    /// Seconds the final improvement phase may run (0 = skip it).
    time_budget: f64,
    /// Rebalance: how far a territory's load centre may move.
    centre_limit: CentreLimit,
    /// Rebalance: keep the limit even when it keeps the tolerance out of
    /// reach (off: widened only as far as the tolerance needs).
    hold_centre_limit: bool,
    /// Where Generate grows the territories from `(lon, lat)` (candidate
    /// homes); empty = the reps' homes, then k-means++.
    seeds: Vec<(f64, f64)>,
    job: Option<Job>,
    /// Cancel was pressed during the improvement phase: the run finishes
    /// with the best plan found so far.
    stopping: bool,
    /// Plans along the balance ↔ disruption trade-off (least moved
    /// first), once computed, and which one is the proposal.
    tradeoff: Vec<TradeoffPlan>,
    chosen: Option<usize>,
    /// Plan revision the running job / proposal was computed from.
    revision: u64,
    proposal: Option<Box<Proposal>>,
    /// Proposed outlines (lon/lat rings) for the map preview.
    outlines: Vec<Vec<(f64, f64)>>,
    preview: bool,
    error: Option<String>,
}

impl BalanceDialog {
    fn options(&self) -> BalanceOptions {
        let weights = self
            .weights
            .iter()
            .filter(|w| w.1 > 0.0)
            .map(|(name, w)| {
                let m = if name == "count" {
                    BalanceMeasure::Count
                } else {
                    BalanceMeasure::Measure(name.clone())
                };
                (m, *w)
            })
            .collect();
        BalanceOptions {
            weights,
            tolerance_pct: self.tolerance,
            locked: self.locked.clone(),
            units: match self.layer {
                Layer::Hex => UnitLayer::Hex {
                    size_km: self.hex_km,
                },
                Layer::Counties => UnitLayer::Counties,
                Layer::Zips => UnitLayer::Zips,
                Layer::Provinces(c) => UnitLayer::Provinces(c),
            },
            keep_pins: self.keep_pins,
            time_budget_s: self.time_budget,
            drive_time: self.drive_time.then(DriveTime::default),
            centre_limit: self.centre_limit,
            hold_centre_limit: self.hold_centre_limit,
            ..BalanceOptions::default()
        }
    }
}

fn pct(v: f64) -> String {
    format!("{}%", fmt::pct_plain((v * 10.0).round() / 10.0))
}

/// Outer rings of the shapes an edit sets or adds.
fn outlines_of(edit: &Edit, out: &mut Vec<Vec<(f64, f64)>>) {
    let mut add = |g: &MultiPolygon<f64>| {
        for p in &g.0 {
            out.push(p.exterior().0.iter().map(|c| (c.x, c.y)).collect());
        }
    };
    match edit {
        Edit::Batch { edits, .. } => {
            for e in edits {
                outlines_of(e, out);
            }
        }
        Edit::SetGeometry { geometry, .. } => add(geometry),
        Edit::AddTerritory { territory, .. } => add(&territory.geometry),
        _ => {}
    }
}

impl BalanceDialog {
    /// A dialog on `ws` (`generate`: the Generate mode), with the plan's
    /// balance measure and tolerance preselected.
    pub(crate) fn new(ws: &Workspace, generate: bool) -> Self {
        let p = ws.project();
        let balance = p.settings.balance.clone();
        let mut weights = vec![(
            "count".to_owned(),
            if balance == BalanceMeasure::Count {
                100.0
            } else {
                0.0
            },
        )];
        for m in &p.accounts.measures {
            let on = balance == BalanceMeasure::Measure(m.name.clone());
            weights.push((m.name.clone(), if on { 100.0 } else { 0.0 }));
        }
        Self {
            generate,
            weights,
            tolerance: p.settings.tolerance_pct,
            k: p.territories_of_type(ws.current_type()).count().max(1),
            layer: Layer::Hex,
            offered: offered_layers(ws),
            hex_km: 25.0,
            locked: Vec::new(),
            keep_pins: true,
            drive_time: false,
            from_reps: false,
            time_budget: BalanceOptions::default().time_budget_s,
            centre_limit: CentreLimit::default(),
            hold_centre_limit: false,
            seeds: Vec::new(),
            job: None,
            stopping: false,
            tradeoff: Vec::new(),
            chosen: None,
            revision: ws.revision(),
            proposal: None,
            outlines: Vec::new(),
            preview: true,
            error: None,
        }
    }

    /// Cancels the run, if any (the dialog is closing).
    fn cancel_run(self) {
        if let Some(job) = self.job {
            job.progress.cancel();
        }
    }

    fn take_result(&mut self, result: Result<JobOutput, String>) {
        self.job = None;
        self.stopping = false;
        match result {
            Ok(JobOutput::Proposal(p)) => self.show(p),
            Ok(JobOutput::Tradeoff(plans)) => {
                self.tradeoff = plans;
                // The least-moving plan within tolerance, as the CLI does.
                if let Some((i, _)) = pick(&self.tradeoff, None) {
                    self.choose(i);
                }
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e),
        }
    }

    /// Shows `p` as the proposal (outlines on the map).
    fn show(&mut self, p: Box<Proposal>) {
        self.outlines.clear();
        outlines_of(&p.edit, &mut self.outlines);
        self.proposal = Some(p);
    }

    /// Makes trade-off plan `i` the proposal.
    fn choose(&mut self, i: usize) {
        if let Some(plan) = self.tradeoff.get(i) {
            let p = Box::new(plan.proposal.clone());
            self.chosen = Some(i);
            self.show(p);
        }
    }

    /// Computes the trade-off plans on a worker thread.
    fn start_tradeoff(&mut self, ctx: &egui::Context, ws: &Workspace) {
        let mut opts = self.options();
        opts.type_id = Some(ws.current_type());
        let project = ws.project().snapshot();
        self.clear_results(ws);
        self.job = Some(Job::spawn(ctx, TRADEOFF_TITLE, true, move |progress| {
            Ok(JobOutput::Tradeoff(tradeoff(&project, &opts, progress)?))
        }));
    }

    /// Forgets the last run's results before a new one.
    fn clear_results(&mut self, ws: &Workspace) {
        self.error = None;
        self.proposal = None;
        self.tradeoff.clear();
        self.chosen = None;
        self.outlines.clear();
        self.revision = ws.revision();
    }

    /// Runs the optimisation on a worker thread, on a snapshot of the plan.
    fn start(&mut self, ctx: &egui::Context, ws: &Workspace) {
        let mut opts = self.options();
        // Balance the type the map shows; overlays stay as they are.
        opts.type_id = Some(ws.current_type());
        let project = ws.project().snapshot();
        let seeds = if self.generate {
            self.seeds.clone()
        } else {
            Vec::new()
        };
        let reps = self.generate && self.from_reps;
        let (generate_k, what) = if reps {
            (None, "Generating one territory per rep home".to_owned())
        } else if self.generate {
            (Some(self.k), format!("Generating {} territories", self.k))
        } else {
            (None, "Rebalancing".to_owned())
        };
        self.clear_results(ws);
        self.job = Some(Job::spawn(ctx, what, true, move |progress| {
            let p = match generate_k {
                _ if reps => from_reps(&project, &opts, progress)?,
                Some(k) => generate(&project, k, &opts, &seeds, progress)?,
                None => rebalance(&project, &opts, progress)?,
            };
            Ok(JobOutput::Proposal(Box::new(p)))
        }));
    }

    /// Cancel: during the improvement phase of a single run, stop it and
    /// keep the best plan found so far (the run then finishes); otherwise
    /// abandon the run, leaving the plan unchanged.
    fn cancel(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        let improving = job.progress.phase().starts_with("Improving");
        // The trade-off runs several rebalances: Cancel abandons it.
        let single = !job.title.starts_with(TRADEOFF_TITLE);
        if improving && single && !self.stopping {
            job.progress.cancel();
            self.stopping = true;
            return;
        }
        if let Some(job) = self.job.take() {
            job.progress.cancel();
        }
        self.stopping = false;
        self.error = Some("Cancelled: the plan is unchanged.".into());
    }

    /// The proposal to apply, unless the plan changed since it was made.
    fn accept(&mut self, ws: &Workspace) -> Option<Box<Proposal>> {
        if self.revision != ws.revision() {
            self.error =
                Some("The plan changed since this proposal was made: run it again.".into());
            return None;
        }
        self.proposal.take()
    }

    /// Draws the dialog (non-modal: the map stays usable) over `area` (the
    /// map); returns [`Command::AcceptProposal`] or
    /// [`Command::CloseBalance`] when the user is done.
    pub(crate) fn ui(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        area: egui::Rect,
    ) -> Vec<Command> {
        // Pick up a finished run.
        if let Some(result) = self.job.as_ref().and_then(Job::poll) {
            self.take_result(result);
        }
        if self.job.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        let shown = ws.current_type();
        let territories: Vec<(TerritoryId, String, bool)> = ws
            .project()
            .territories
            .iter()
            .filter(|t| t.type_id == shown)
            .map(|t| (t.id, t.name.clone(), t.locked))
            .collect();
        let stale = self.proposal.is_some() && self.revision != ws.revision();
        let mut open = true;
        let buttons = self.window(ctx, area, &territories, stale, &mut open);
        let mut out = Vec::new();
        if buttons.cancel {
            self.cancel();
        }
        if buttons.discard {
            self.proposal = None;
            self.tradeoff.clear();
            self.chosen = None;
            self.outlines.clear();
        }
        if buttons.run {
            self.start(ctx, ws);
        }
        if buttons.tradeoff {
            self.start_tradeoff(ctx, ws);
        }
        if let Some(i) = buttons.choose {
            self.choose(i);
        }
        if buttons.accept
            && let Some(p) = self.accept(ws)
        {
            out.push(Command::AcceptProposal(p));
        }
        if !open {
            out.push(Command::CloseBalance);
        }
        out
    }

    /// The window itself; which buttons were clicked.
    fn window(
        &mut self,
        ctx: &egui::Context,
        area: egui::Rect,
        territories: &[(TerritoryId, String, bool)],
        stale: bool,
        open: &mut bool,
    ) -> Buttons {
        let mut b = Buttons::default();
        let d = self;
        let title = if d.generate {
            "Generate territories"
        } else {
            "Balance territories"
        };
        // First shown at the top right of the map, clear of the territory
        // list and the details; egui remembers where the user moves it (the
        // id is stable).
        let width = (area.width() - 24.0).clamp(360.0, 520.0);
        egui::Window::new(title)
            .id(egui::Id::unique("balance_dialog"))
            .open(open)
            .pivot(egui::Align2::RIGHT_TOP)
            .default_pos(area.right_top() + egui::vec2(-12.0, 44.0))
            .default_width(width)
            .max_height((area.height() - 56.0).max(240.0))
            .resizable(true)
            .show(ctx, |ui| {
                let busy = d.job.is_some();
                ui.add_enabled_ui(!busy, |ui| options_ui(ui, d, territories));
                ui.separator();
                if let Some(job) = &d.job {
                    job_ui(ui, job, d.stopping, &mut b);
                } else {
                    ui.horizontal(|ui| {
                        let label = if d.proposal.is_some() {
                            "Run again"
                        } else {
                            "Run"
                        };
                        b.run = ui.button(label).clicked();
                        if !d.generate {
                            b.tradeoff = ui
                                .button("Trade-off…")
                                .on_hover_text("Compute a few plans from least moved to most balanced and pick one")
                                .clicked();
                        }
                        if d.proposal.is_some() {
                            b.accept = ui
                                .add_enabled(!stale, egui::Button::new("Accept"))
                                .on_hover_text("Apply as one edit (Undo reverts it)")
                                .clicked();
                            b.discard = ui.button("Discard").clicked();
                            ui.checkbox(&mut d.preview, "Show on map");
                        }
                    });
                }
                if let Some(e) = &d.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                if stale {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "The plan changed since this proposal was made: run it again.",
                    );
                }
                if !d.tradeoff.is_empty() {
                    ui.separator();
                    b.choose = tradeoff_ui(ui, &d.tradeoff, d.chosen);
                }
                if let Some(p) = &d.proposal {
                    ui.separator();
                    proposal_ui(ui, p);
                }
            });
        b
    }

    /// Proposed outlines over the map (dashed look: thin dark + light).
    pub(crate) fn preview(&self, ui: &Ui, map: &MapView) {
        if !self.preview || self.outlines.is_empty() {
            return;
        }
        let painter = ui.painter();
        let dark = Stroke::new(3.0, Color32::from_rgba_unmultiplied(20, 20, 20, 200));
        let light = Stroke::new(1.5, Color32::from_rgb(255, 215, 0));
        for ring in &self.outlines {
            let pts: Vec<egui::Pos2> = ring
                .iter()
                .filter_map(|&(x, y)| map.screen_pos(x, y))
                .collect();
            if pts.len() >= 2 {
                painter.add(egui::Shape::line(pts.clone(), dark));
                painter.add(egui::Shape::line(pts, light));
            }
        }
    }
}

/// The dialog's buttons clicked this frame.
#[derive(Default)]
struct Buttons {
    run: bool,
    tradeoff: bool,
    /// A trade-off plan picked.
    choose: Option<usize>,
    cancel: bool,
    accept: bool,
    discard: bool,
}

/// The running job: its title, phase (and best largest deviation so far
/// in the improvement phase), progress and Cancel.
fn job_ui(ui: &mut Ui, job: &Job, stopping: bool, b: &mut Buttons) {
    ui.label(&job.title);
    let phase = job.progress.phase();
    if !phase.is_empty() {
        let best = match job.progress.best() {
            Some(v) if phase.starts_with("Improving") => {
                format!(": best largest deviation so far {}", pct(v))
            }
            _ => String::new(),
        };
        ui.label(format!("{phase}{best}"));
    }
    let f = job.progress.fraction();
    ui.add(if f > 0.0 {
        ProgressBar::new(f).show_percentage()
    } else {
        ProgressBar::new(0.0).animate(true)
    });
    if stopping {
        ui.label("Stopping: the best plan found so far is kept…");
    }
    b.cancel = ui
        .button("Cancel")
        .on_hover_text("While improving: stop and keep the best plan so far")
        .clicked();
}

/// The trade-off plans: largest deviation against share moved (a scatter)
/// and a table; returns the plan the user picked.
fn tradeoff_ui(ui: &mut Ui, plans: &[TradeoffPlan], chosen: Option<usize>) -> Option<usize> {
    use egui_plot::{Plot, PlotPoints, Points};
    ui.strong("Balance vs disruption");
    let mut picked = None;
    Plot::new("balance_tradeoff_plot")
        .height(140.0)
        .x_axis_label("moved, % of the balance measure")
        .y_axis_label("largest deviation, %")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |pui| {
            let all: Vec<[f64; 2]> = plans
                .iter()
                .map(|p| [p.moved_pct(), p.max_dev_pct])
                .collect();
            pui.points(Points::new("plans", PlotPoints::from(all)).radius(4.0));
            if let Some(p) = chosen.and_then(|i| plans.get(i)) {
                pui.points(
                    Points::new(
                        "chosen",
                        PlotPoints::from(vec![[p.moved_pct(), p.max_dev_pct]]),
                    )
                    .radius(7.0)
                    .color(Color32::from_rgb(255, 165, 0)),
                );
            }
        });
    egui::Grid::new("balance_tradeoff_table")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "Plan",
                "CV",
                "Max deviation",
                "Moved",
                "Within tolerance",
                "",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for (i, p) in plans.iter().enumerate() {
                ui.label(format!("{}", i + 1));
                ui.label(pct(p.proposal.after.cv_pct));
                ui.label(pct(p.max_dev_pct));
                ui.label(pct(p.moved_pct()));
                ui.label(if p.meets_tolerance() { "yes" } else { "no" });
                if chosen == Some(i) {
                    ui.label("proposed");
                } else if ui.button(format!("Use plan {}", i + 1)).clicked() {
                    picked = Some(i);
                }
                ui.end_row();
            }
        });
    picked
}

/// The Balance/Generate dialog as a panel: closed, or open with its own
/// options, run and proposal.
#[derive(Default)]
pub struct BalancePanel {
    dialog: Option<BalanceDialog>,
}

impl BalancePanel {
    /// Opens the dialog (`generate`: the Generate mode), with the plan's
    /// balance measure and tolerance preselected.
    pub fn open(&mut self, ws: &Workspace, generate: bool) {
        match &mut self.dialog {
            Some(d) => d.generate = generate,
            None => self.dialog = Some(BalanceDialog::new(ws, generate)),
        }
    }

    /// Opens the Generate dialog for one territory per home in `seeds`
    /// (`(lon, lat)`), grown from them.
    pub fn open_with_seeds(&mut self, ws: &Workspace, seeds: Vec<(f64, f64)>) {
        self.open(ws, true);
        if let Some(d) = &mut self.dialog {
            d.k = seeds.len().max(1);
            d.seeds = seeds;
        }
    }

    /// The homes the open Generate dialog grows territories from, and how
    /// many territories it asks for.
    pub fn generate_from(&self) -> Option<(usize, &[(f64, f64)])> {
        let d = self.dialog.as_ref().filter(|d| d.generate)?;
        Some((d.k, &d.seeds))
    }

    /// Closes the dialog, cancelling its run.
    pub fn close(&mut self) {
        if let Some(d) = self.dialog.take() {
            d.cancel_run();
        }
    }

    /// True while the dialog is open.
    pub fn is_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// The trade-off plans shown in the dialog (empty until computed).
    pub fn tradeoff(&self) -> &[TradeoffPlan] {
        self.dialog.as_ref().map_or(&[], |d| &d.tradeoff)
    }

    /// The progress of the dialog's running job (tests, scripts).
    pub fn progress(&self) -> Option<crate::core::progress::Progress> {
        Some(self.dialog.as_ref()?.job.as_ref()?.progress.clone())
    }

    /// Sets the improvement phase's time budget (s) of the open dialog
    /// and its tolerance (%), for tests and scripts.
    pub fn set_budget(&mut self, seconds: f64, tolerance_pct: f64) {
        if let Some(d) = &mut self.dialog {
            d.time_budget = seconds;
            d.tolerance = tolerance_pct;
        }
    }

    /// The proposal shown in the dialog, if any.
    pub fn proposal(&self) -> Option<&Proposal> {
        self.dialog.as_ref()?.proposal.as_deref()
    }

    /// True while the dialog's optimisation runs.
    pub fn running(&self) -> bool {
        self.dialog.as_ref().is_some_and(|d| d.job.is_some())
    }

    /// Sets the hexagon size (km) of the open dialog, for tests and
    /// scripts.
    pub fn set_hex_km(&mut self, km: f64) {
        if let Some(d) = &mut self.dialog {
            d.layer = Layer::Hex;
            d.hex_km = km;
        }
    }

    /// Blocks until the dialog's run ends or `timeout` passes (tests).
    /// Returns false on timeout.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let Some(d) = self.dialog.as_mut() else {
            return true;
        };
        let Some(job) = d.job.as_ref() else {
            return true;
        };
        match job.wait(timeout) {
            Some(result) => {
                d.take_result(result);
                true
            }
            None => false,
        }
    }

    /// The dialog, when open, over `area` (the map).
    pub fn ui(&mut self, ctx: &egui::Context, ws: &Workspace, area: egui::Rect) -> Vec<Command> {
        match self.dialog.as_mut() {
            Some(d) => d.ui(ctx, ws, area),
            None => Vec::new(),
        }
    }

    /// The proposal's outlines over the map, when shown.
    pub fn preview(&self, ui: &Ui, map: &MapView) {
        if let Some(d) = &self.dialog {
            d.preview(ui, map);
        }
    }
}

/// An accepted proposal: the edit to apply (one undo step) and the status
/// line that says what it did.
pub(crate) fn accepted(p: Proposal) -> (Edit, String) {
    let label = match &p.edit {
        Edit::Batch { label, .. } => label.clone(),
        _ => "Balance".into(),
    };
    let notice = format!(
        "{label}: CV {} -> {}, {} accounts moved (Undo reverts it)",
        pct(p.before.cv_pct),
        pct(p.after.cv_pct),
        fmt::count(p.report.accounts_moved)
    );
    (p.edit, notice)
}

fn options_ui(ui: &mut Ui, d: &mut BalanceDialog, territories: &[(TerritoryId, String, bool)]) {
    ui.horizontal(|ui| {
        ui.radio_value(&mut d.generate, false, "Rebalance the plan");
        ui.radio_value(&mut d.generate, true, "Generate from scratch");
    });
    egui::Grid::new("balance_options")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label("Balance on");
            ui.vertical(|ui| {
                for (name, w) in d.weights.iter_mut() {
                    ui.horizontal(|ui| {
                        let label = ui.label(format!("{name}:"));
                        ui.add(egui::DragValue::new(w).range(0.0..=100.0).suffix(" %"))
                            .labelled_by(label.id);
                    });
                }
                let total: f64 = d.weights.iter().map(|w| w.1).sum();
                if total <= 0.0 {
                    ui.colored_label(ui.visuals().error_fg_color, "Give some measure a weight");
                } else if d.weights.iter().filter(|w| w.1 > 0.0).count() > 1 {
                    ui.label(
                        RichText::new(
                            "Weighted index: each measure as its share of the plan total",
                        )
                        .small()
                        .color(ui.visuals().weak_text_color()),
                    );
                }
            });
            ui.end_row();
            let label = ui.label("Tolerance ±");
            ui.add(
                egui::DragValue::new(&mut d.tolerance)
                    .range(0.0..=100.0)
                    .speed(0.1)
                    .suffix(" %"),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Improve for up to");
            ui.add(
                egui::DragValue::new(&mut d.time_budget)
                    .range(0.0..=600.0)
                    .speed(0.5)
                    .suffix(" s"),
            )
            .labelled_by(label.id)
            .on_hover_text("While a territory that could be within the tolerance is not, districts are recombined for up to this long (Cancel stops it; the best plan so far is kept)");
            ui.end_row();
            drive_options_ui(ui, d);
            if !d.generate {
                centre_limit_ui(ui, &mut d.centre_limit, &mut d.hold_centre_limit);
            }
            if d.generate {
                let label = ui.label("Territories (K)");
                ui.add_enabled(!d.from_reps, egui::DragValue::new(&mut d.k).range(1..=1000))
                    .labelled_by(label.id);
                ui.end_row();
                if !d.seeds.is_empty() {
                    ui.label("Grown from");
                    ui.horizontal_wrapped(|ui| {
                        ui.label(fmt::counted(d.seeds.len() as u64, "candidate home", "candidate homes"));
                        if ui.small_button("Forget them").clicked() {
                            d.seeds.clear();
                        }
                    });
                    ui.end_row();
                }
            }
            ui.label("Built from");
            // One per line: a wrapped row inside the grid overlapped the
            // next row once a fourth layer (provinces) was offered.
            ui.vertical(|ui| {
                for layer in d.offered.clone() {
                    ui.radio_value(&mut d.layer, layer, layer.caption());
                }
            });
            ui.end_row();
            if d.layer == Layer::Hex {
                let label = ui.label("Hexagon size");
                ui.add(
                    egui::DragValue::new(&mut d.hex_km)
                        .range(1.0..=500.0)
                        .suffix(" km"),
                )
                .labelled_by(label.id)
                .on_hover_text("Centre-to-corner radius. Smaller = finer balance, slower.");
                ui.end_row();
            }
            ui.label("Pins");
            ui.checkbox(&mut d.keep_pins, "Keep pinned accounts");
            ui.end_row();
        });
    ui.collapsing(
        format!(
            "Locked territories ({})",
            d.locked.len() + territories.iter().filter(|t| t.2).count()
        ),
        |ui| {
            egui::ScrollArea::vertical()
                .max_height(160.0)
                .show(ui, |ui| {
                    for (id, name, plan_locked) in territories {
                        if *plan_locked {
                            ui.add_enabled(
                                false,
                                egui::Checkbox::new(
                                    &mut true,
                                    format!("{name} (locked in the plan)"),
                                ),
                            );
                            continue;
                        }
                        let mut on = d.locked.contains(id);
                        if ui.checkbox(&mut on, name.as_str()).changed() {
                            if on {
                                d.locked.push(*id);
                            } else {
                                d.locked.retain(|x| x != id);
                            }
                        }
                    }
                });
        },
    );
}

/// The row of how far a rebalance may move a territory's load centre:
/// typical territory radii, kilometres or anywhere.
fn centre_limit_ui(ui: &mut Ui, limit: &mut CentreLimit, hold: &mut bool) {
    // The explanation on the label alone: a tooltip over the whole row sat
    // on its radio buttons.
    let label = ui.label("Load centres may move")
        .on_hover_text("How far each territory's load centre (its balance load's weighted mean location) may move, so it stays where its rep works. A radius is that of a circle of the territory's own area. Wider limits can balance further.");
    ui.horizontal(|ui| {
        let radii = matches!(limit, CentreLimit::Radii(_));
        let km = matches!(limit, CentreLimit::Km(_));
        if ui.radio(radii, "radii").labelled_by(label.id).clicked() && !radii {
            *limit = CentreLimit::Radii(1.0);
        }
        if ui.radio(km, "km").clicked() && !km {
            *limit = CentreLimit::Km(50.0);
        }
        if ui.radio(*limit == CentreLimit::Any, "anywhere").clicked() {
            *limit = CentreLimit::Any;
        }
        match limit {
            CentreLimit::Radii(r) => {
                ui.add(
                    egui::DragValue::new(r)
                        .range(0.0..=20.0)
                        .speed(0.05)
                        .suffix(" radii"),
                );
            }
            CentreLimit::Km(k) => {
                ui.add(
                    egui::DragValue::new(k)
                        .range(0.0..=5000.0)
                        .speed(1.0)
                        .suffix(" km"),
                );
            }
            CentreLimit::Any => {}
        }
    });
    ui.end_row();
    // Always shown (disabled without a limit): a row that comes and goes
    // moves everything below it under the pointer.
    ui.label("");
    ui.add_enabled(
        *limit != CentreLimit::Any,
        egui::Checkbox::new(hold, "Hold the limit even if the tolerance is then missed"),
    )
    .on_hover_text("Off: where the limit alone keeps a reachable tolerance out of reach, it is widened (2×, 4×, or as far as needed) and the proposal says so");
    ui.end_row();
}

/// The drive-time rows: balance by drive time, and (Generate) one
/// territory per rep home.
fn drive_options_ui(ui: &mut Ui, d: &mut BalanceDialog) {
    ui.label("Drive time");
    ui.vertical(|ui| {
        ui.checkbox(&mut d.drive_time, "Minimise drive time from the reps' homes")
            .on_hover_text("Units go to the rep whose home is nearest by road (bundled major roads, the plan's speeds) within the tolerance; the proposal reports total and mean drive time before and after. The first run loads the roads (seconds).");
        if d.generate {
            ui.checkbox(&mut d.from_reps, "One territory per rep home")
                .on_hover_text("Drive-time territories: each unit to the nearest rep home (by road when drive time is on), then balanced; each new territory gets the rep whose home it holds");
        }
    });
    ui.end_row();
}

fn proposal_ui(ui: &mut Ui, p: &Proposal) {
    let r = &p.report;
    ui.heading("Proposal");
    egui::Grid::new("balance_before_after")
        .num_columns(3)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.label("");
            ui.strong("Now");
            ui.strong("Proposed");
            ui.end_row();
            ui.label(format!("CV of {}", p.after.balance_measure));
            ui.label(pct(p.before.cv_pct));
            ui.label(pct(p.after.cv_pct));
            ui.end_row();
            let max_dev = |m: &crate::core::metrics::PlanMetrics| {
                m.territories
                    .iter()
                    .map(|t| t.deviation_pct.abs())
                    .fold(0.0, f64::max)
            };
            ui.label("Largest deviation");
            ui.label(pct(max_dev(&p.before)));
            ui.label(pct(max_dev(&p.after)));
            ui.end_row();
            ui.label(format!("Out of ±{}", pct(p.after.tolerance_pct)));
            ui.label(p.before.out_of_tolerance.to_string());
            ui.label(p.after.out_of_tolerance.to_string());
            ui.end_row();
            ui.label("Territories");
            ui.label(p.before.territories.len().to_string());
            ui.label(p.after.territories.len().to_string());
            ui.end_row();
        });
    ui.add_space(4.0);
    ui.label(format!(
        "Moves {} of {} accounts ({})",
        fmt::count(r.accounts_moved),
        fmt::count(r.accounts_total),
        pct(r.accounts_moved_pct)
    ));
    let moved: Vec<String> = r
        .measures
        .iter()
        .zip(&r.measure_moved_pct)
        .map(|(m, v)| format!("{m} {}", pct(*v)))
        .collect();
    if !moved.is_empty() {
        ui.label(format!(
            "Share of each measure moved: {}",
            moved.join(" · ")
        ));
    }
    if let Some((lo, hi)) = r.centre_limit_km {
        let km = |x: f64| fmt::count(x.round() as u64);
        ui.label(format!(
            "Load centres move at most {} km (limit {}{})",
            km(r.max_centre_shift_km),
            if hi - lo < 0.5 {
                format!("{} km", km(lo))
            } else {
                format!("{}–{} km by territory size", km(lo), km(hi))
            },
            match r.centre_limit_widened {
                Some(f) => format!(", widened {f:.1}× to meet the tolerance"),
                None => String::new(),
            }
        ));
    }
    let warn = ui.visuals().warn_fg_color;
    if r.within_tolerance_where_feasible {
        ui.label(format!(
            "Every territory within ±{}{}",
            pct(p.after.tolerance_pct),
            if r.infeasible_territories > 0 {
                format!(
                    " except {} that cannot be (see below)",
                    r.infeasible_territories
                )
            } else {
                String::new()
            }
        ));
    }
    for note in &r.notes {
        ui.colored_label(warn, note);
    }
    ui.collapsing("Per territory", |ui| {
        egui::ScrollArea::vertical()
            .id_salt("balance_per_territory")
            .max_height(200.0)
            .show(ui, |ui| {
                egui::Grid::new("balance_per_territory_grid")
                    .striped(true)
                    .show(ui, |ui| {
                        for t in [
                            "Territory",
                            "Rep",
                            "In",
                            "Out",
                            "Now -> proposed",
                            "Centre moves",
                        ] {
                            ui.strong(t);
                        }
                        ui.end_row();
                        for t in &r.territories {
                            let dev = |m: &crate::core::metrics::PlanMetrics| {
                                m.territories
                                    .iter()
                                    .find(|x| x.id == t.id)
                                    .map_or("-".to_owned(), |x| fmt::signed_pct(x.deviation_pct))
                            };
                            ui.label(&t.name);
                            ui.label(t.rep.as_deref().unwrap_or(""));
                            ui.label(fmt::count(t.accounts_in));
                            ui.label(fmt::count(t.accounts_out));
                            ui.label(format!("{} -> {}", dev(&p.before), dev(&p.after)));
                            ui.label(
                                t.centre_shift_km
                                    .map_or("-".to_owned(), |k| format!("{k:.0} km")),
                            );
                            ui.end_row();
                        }
                    });
            });
    });
    ui.collapsing("Per rep", |ui| {
        egui::Grid::new("balance_per_rep")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("Rep");
                ui.strong("Gains");
                ui.strong("Loses");
                ui.strong("Of their accounts");
                ui.end_row();
                for rep in &r.reps {
                    ui.label(&rep.rep);
                    ui.label(fmt::count(rep.accounts_in));
                    ui.label(fmt::count(rep.accounts_out));
                    ui.label(pct(rep.accounts_out_pct));
                    ui.end_row();
                }
            });
    });
}
