//! The Capacity window (Plan → Capacity…): how many reps the plan's
//! workload needs at a given capacity per rep, and candidate home bases
//! for them, computed off the UI thread and shown on the map as numbered
//! diamonds. The candidates can be added as reps (one undoable edit, as
//! `turfmap capacity --add-reps` does) or seed a Generate run with one
//! territory per candidate. The method is in [`crate::core::capacity`].

use std::sync::Arc;
use std::time::Duration;

use egui::{ComboBox, RichText, Ui};

use crate::app::command::Command;
use crate::app::fmt;
use crate::app::jobs::{Job, JobOutput};
use crate::app::map::MapView;
use crate::core::Workspace;
use crate::core::capacity::{CapacityPlan, add_reps_edit, capacity, capacity_by_drive};
use crate::core::reps::workload_measure;
use crate::core::travel::router_for;

/// The Capacity window's own state.
#[derive(Default)]
pub struct CapacityPanel {
    open: bool,
    /// Capacity of one rep, as typed.
    per_rep: String,
    /// `count` or a measure column.
    measure: String,
    /// Place the homes by drive time (road travel on).
    drive_time: bool,
    job: Option<Job>,
    /// Plan revision the answer was computed on.
    revision: u64,
    answer: Option<Arc<CapacityPlan>>,
    problem: Option<String>,
}

impl CapacityPanel {
    /// Opens the window, with the plan's workload measure preselected.
    pub fn open(&mut self, ws: &Workspace) {
        self.open = true;
        if self.measure.is_empty() {
            let p = ws.project();
            self.measure = workload_measure(p).map_or_else(
                || "count".to_owned(),
                |m| p.accounts.measures[m].name.clone(),
            );
        }
    }

    /// Closes the window (its candidates leave the map).
    pub fn close(&mut self) {
        self.open = false;
    }

    /// True while the window is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// True while the computation runs.
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// The last answer, if any.
    pub fn answer(&self) -> Option<&CapacityPlan> {
        self.answer.as_deref()
    }

    /// Forgets everything (another plan was opened).
    pub fn reset(&mut self) {
        if let Some(j) = self.job.take() {
            j.progress.cancel();
        }
        *self = Self::default();
    }

    /// Blocks until the computation ends or `timeout` passes (tests).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let Some(job) = &self.job else { return true };
        match job.wait(timeout) {
            Some(result) => {
                self.take_result(result);
                true
            }
            None => false,
        }
    }

    fn take_result(&mut self, result: Result<JobOutput, String>) {
        self.job = None;
        match result {
            Ok(JobOutput::Capacity(c)) => self.answer = Some(Arc::from(c)),
            Ok(_) => {}
            Err(e) if e.contains("ancel") => self.problem = Some("Cancelled.".into()),
            Err(e) => self.problem = Some(e),
        }
    }

    /// Starts the computation on a worker thread, on a snapshot.
    fn start(&mut self, ctx: &egui::Context, ws: &Workspace) {
        let typed = self.per_rep.trim().replace(',', "");
        let per_rep = match typed.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => v,
            _ => {
                self.problem = Some(format!(
                    "Type what one rep can carry as a positive number, not '{}'.",
                    self.per_rep.trim()
                ));
                return;
            }
        };
        let project = ws.project().snapshot();
        let metrics = ws.metrics();
        let measure = self.measure.clone();
        let drive = self.drive_time && project.travel.roads;
        self.problem = None;
        self.answer = None;
        self.revision = ws.revision();
        self.job = Some(Job::spawn(
            ctx,
            "Placing home bases",
            true,
            move |progress| {
                let c = if drive {
                    let a = &project.accounts;
                    let points: Vec<(f64, f64)> = a
                        .live()
                        .filter(|&i| a.is_located(i))
                        .map(|i| (a.lon[i], a.lat[i]))
                        .collect();
                    // The roads file is chosen by where accounts are: a sample tells.
                    let step = (points.len() / 4_000).max(1);
                    let sample: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
                    let (router, _) = router_for(&project.travel, &sample)?;
                    capacity_by_drive(&project, &metrics, &measure, per_rep, &router, progress)?
                } else {
                    capacity(&project, &metrics, &measure, per_rep)?
                };
                Ok(JobOutput::Capacity(Box::new(c)))
            },
        ));
    }

    /// Draws the window when open and keeps the map's candidate markers in
    /// step with it; returns what the user did.
    pub(crate) fn ui(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        map: &mut MapView,
    ) -> Vec<Command> {
        if let Some(result) = self.job.as_ref().and_then(Job::poll) {
            self.take_result(result);
        }
        if self.job.is_some() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        let mut out = Vec::new();
        if self.open {
            let mut open = true;
            egui::Window::new("Capacity")
                .open(&mut open)
                .default_width(460.0)
                .vscroll(true)
                .show(ctx, |ui| self.contents(ui, ws, &mut out));
            self.open &= open;
        }
        let want: Option<Arc<Vec<(f64, f64)>>> = self
            .answer
            .as_ref()
            .filter(|_| self.open)
            .map(|a| Arc::new(a.homes.iter().map(|h| (h.lon, h.lat)).collect()));
        if map.candidates().map(|c| c.as_slice()) != want.as_deref().map(Vec::as_slice) {
            map.set_candidates(want);
            ctx.request_repaint();
        }
        out
    }

    fn contents(&mut self, ui: &mut Ui, ws: &Workspace, out: &mut Vec<Command>) {
        let p = ws.project();
        ui.label("How many reps the workload needs, and where they would live.");
        egui::Grid::new("capacity_form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label("Per rep");
                ui.add(egui::TextEdit::singleline(&mut self.per_rep).desired_width(110.0))
                    .labelled_by(l.id)
                    .on_hover_text("What one rep can carry, e.g. 1600 hours a year");
                ui.end_row();
                let l = ui.label("Measure");
                let names = std::iter::once("count".to_owned())
                    .chain(p.accounts.measures.iter().map(|m| m.name.clone()));
                ComboBox::from_id_salt("capacity_measure")
                    .selected_text(&self.measure)
                    .show_ui(ui, |ui| {
                        for n in names {
                            let label = n.clone();
                            ui.selectable_value(&mut self.measure, n, label);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
            });
        let roads = p.travel.roads;
        ui.add_enabled(
            roads,
            egui::Checkbox::new(&mut self.drive_time, "By drive time over the roads"),
        )
        .on_disabled_hover_text("Road travel is off in this plan's travel settings");
        ui.horizontal(|ui| {
            if self.job.is_some() {
                ui.spinner();
                ui.label("Placing home bases…");
                if ui.button("Cancel").clicked()
                    && let Some(j) = self.job.take()
                {
                    j.progress.cancel();
                    self.problem = Some("Cancelled.".into());
                }
            } else if ui.button("Compute").clicked() {
                self.start(ui.ctx(), ws);
            }
        });
        if let Some(problem) = &self.problem {
            crate::app::form::problem(ui, problem);
        }
        if let Some(a) = self.answer.clone() {
            ui.separator();
            self.answer_view(ui, ws, &a, out);
        }
    }

    fn answer_view(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        a: &CapacityPlan,
        out: &mut Vec<Command>,
    ) {
        ui.label(
            RichText::new(format!(
                "{} needed: {} {} at {} per rep.",
                fmt::counted(a.reps_needed as u64, "rep", "reps"),
                fmt::value(a.total),
                a.measure,
                fmt::value(a.per_rep)
            ))
            .strong(),
        );
        ui.label(format!(
            "The plan has {} and {}.",
            fmt::counted(a.reps_today as u64, "rep", "reps"),
            fmt::counted(a.units_today as u64, "territory", "territories")
        ));
        if self.revision != ws.revision() {
            ui.label(
                RichText::new("The plan changed since: compute again for current figures.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
        if a.homes.is_empty() {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Add as reps")
                .on_hover_text("Reps \"Candidate 1…N\" with these home bases (one undo step)")
                .clicked()
            {
                out.push(match add_reps_edit(ws.project(), &a.homes) {
                    Ok(e) => Command::Apply(e),
                    Err(e) => Command::Error(e.to_string()),
                });
            }
            let n = a.homes.len();
            if ui
                .button(format!(
                    "Generate {} from them",
                    fmt::counted(n as u64, "territory", "territories")
                ))
                .on_hover_text("Opens Generate with one territory grown from each candidate home")
                .clicked()
            {
                out.push(Command::GenerateFrom(
                    a.homes.iter().map(|h| (h.lon, h.lat)).collect(),
                ));
            }
        });
        let mean = if a.drive_time { "Mean min" } else { "Mean km" };
        // A long list scrolls on its own: the buttons above stay in view.
        egui::ScrollArea::vertical()
            .max_height(260.0)
            .show(ui, |ui| {
                egui::Grid::new("capacity_homes")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["#", "Near", &a.measure, "Accounts", mean] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for (k, h) in a.homes.iter().enumerate() {
                            ui.label(format!("{}", k + 1));
                            ui.label(&h.near)
                                .on_hover_text(format!("{:.4}, {:.4}", h.lat, h.lon));
                            ui.label(fmt::value(h.load));
                            ui.label(fmt::count(h.accounts));
                            ui.label(format!("{:.0}", h.mean_minutes.unwrap_or(h.mean_km)));
                            ui.end_row();
                        }
                    });
            });
    }
}
