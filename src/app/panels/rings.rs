//! The drive-time rings window: rings (30/60/90 minutes by default, the
//! limits editable) around a point picked from the map's right-click menu
//! or a territory's rep home, computed on a worker thread with Cancel, and
//! drawn on the map while the window is open.

use std::sync::Arc;
use std::time::Duration;

use egui::{Grid, Ui};

use crate::app::command::Command;
use crate::app::jobs::{Job, JobOutput};
use crate::app::map::MapView;
use crate::core::Workspace;
use crate::core::render::DistanceUnit;
use crate::core::travel::isochrone::{DEFAULT_CELLS, parse_minutes};
use crate::core::travel::{Isochrones, isochrones, router_for};

/// The rings window's state.
#[derive(Default)]
pub struct RingsPanel {
    open: bool,
    /// The limits as typed, e.g. "30, 60, 90".
    minutes: String,
    /// The point the rings are (being) drawn from and what it is.
    from: Option<((f64, f64), String)>,
    job: Option<Job>,
    rings: Option<Arc<Isochrones>>,
    problem: Option<String>,
}

impl std::fmt::Debug for RingsPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingsPanel")
            .field("open", &self.open)
            .field("minutes", &self.minutes)
            .finish_non_exhaustive()
    }
}

/// Ring limits when none were typed.
pub const DEFAULT_MINUTES: &str = "30, 60, 90";

impl RingsPanel {
    /// Opens the window and starts the rings from `at` (`(lon, lat)`),
    /// described by `what` ("here", "Ann's home").
    pub fn start(&mut self, ctx: &egui::Context, ws: &Workspace, at: (f64, f64), what: String) {
        self.open = true;
        self.from = Some((at, what));
        self.run(ctx, ws);
    }

    /// The rings drawn, if any.
    pub fn rings(&self) -> Option<&Arc<Isochrones>> {
        self.rings.as_ref()
    }

    /// Whether the rings are being computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// What went wrong last, if anything.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Blocks until the computation ends or `timeout` passes (tests).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let Some(job) = &self.job else { return true };
        match job.wait(timeout) {
            Some(result) => {
                self.take(result);
                true
            }
            None => false,
        }
    }

    /// Forgets everything (another plan was opened).
    pub fn reset(&mut self) {
        *self = Self {
            minutes: std::mem::take(&mut self.minutes),
            ..Self::default()
        };
    }

    fn take(&mut self, result: Result<JobOutput, String>) {
        self.job = None;
        match result {
            Ok(JobOutput::Rings(r)) => self.rings = Some(Arc::from(r)),
            Ok(_) => {}
            Err(e) if e.contains("ancel") => self.problem = Some("Cancelled.".into()),
            Err(e) => self.problem = Some(e),
        }
    }

    /// Starts the computation from the current point with the typed limits.
    fn run(&mut self, ctx: &egui::Context, ws: &Workspace) {
        if self.minutes.trim().is_empty() {
            self.minutes = DEFAULT_MINUTES.into();
        }
        let Some((from, _)) = self.from.clone() else {
            return;
        };
        let limits = match parse_minutes(&self.minutes) {
            Ok(l) => l,
            Err(e) => {
                self.problem = Some(e);
                return;
            }
        };
        self.problem = None;
        let settings = ws.project().travel.clone();
        self.job = Some(Job::spawn(
            ctx,
            "Drawing drive-time rings",
            true,
            move |progress| {
                // The first use loads the road network (seconds).
                let (router, _) = router_for(&settings, &[from])?;
                progress.check()?;
                let iso = isochrones(&router, from, &limits, DEFAULT_CELLS);
                progress.check()?;
                Ok(JobOutput::Rings(Box::new(iso)))
            },
        ));
    }

    /// Draws the window when open and keeps the map's rings in step with
    /// it; returns what the user did.
    pub(crate) fn ui(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        map: &mut MapView,
        units: DistanceUnit,
    ) -> Vec<Command> {
        if let Some(result) = self.job.as_ref().and_then(Job::poll) {
            self.take(result);
        }
        if self.job.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        if self.open {
            let mut open = true;
            let mut clear = false;
            egui::Window::new("Drive-time rings")
                .open(&mut open)
                .default_width(300.0)
                .show(ctx, |ui| clear = self.contents(ui, ws, units));
            if !open || clear {
                self.open = false;
                self.rings = None;
                if let Some(job) = &self.job {
                    job.progress.cancel();
                }
            }
        }
        let want = self.rings.clone().filter(|_| self.open);
        if map.drive_rings().map(Arc::as_ptr) != want.as_ref().map(Arc::as_ptr) {
            map.set_drive_rings(want);
            ctx.request_repaint();
        }
        Vec::new()
    }

    /// The window's contents; true when the user clears the rings.
    fn contents(&mut self, ui: &mut Ui, ws: &Workspace, units: DistanceUnit) -> bool {
        if let Some(((lon, lat), what)) = &self.from {
            ui.label(format!("From {what} ({lat:.4}, {lon:.4})"));
        }
        let mode = if ws.project().travel.roads {
            "over the roads, with the plan's speeds"
        } else {
            "road travel is off: straight lines × detour at the average speed"
        };
        ui.weak(mode);
        ui.horizontal(|ui| {
            let l = ui.label("Rings (minutes)");
            let edit = ui
                .add(egui::TextEdit::singleline(&mut self.minutes).desired_width(110.0))
                .labelled_by(l.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let redraw = ui
                .add_enabled(self.job.is_none(), egui::Button::new("Redraw"))
                .clicked();
            if enter || redraw {
                self.run(ui.ctx(), ws);
            }
        });
        if let Some(job) = &self.job {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing (the first time loads the road network)…");
                if ui.button("Cancel").clicked() {
                    job.progress.cancel();
                }
            });
        }
        if let Some(p) = &self.problem {
            ui.colored_label(ui.visuals().error_fg_color, p);
        }
        if let Some(iso) = &self.rings {
            Grid::new("rings_areas")
                .num_columns(2)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for r in &iso.rings {
                        ui.label(crate::app::fmt::minutes(r.minutes));
                        let area = crate::app::fmt::value(units.area_from_km2(r.km2));
                        ui.label(format!("{area} {} reachable", units.area_label()));
                        ui.end_row();
                    }
                });
            ui.weak(format!(
                "Traced on a {:.1} km grid: each cell is timed at its centre.",
                iso.cell_km
            ));
        }
        ui.button("Clear rings").clicked()
    }
}
