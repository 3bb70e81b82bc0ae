//! The "Territory model" window: scenarios (switch, clone, state, compare
//! with a change-list export), the territory type shown, the hierarchy as
//! a tree (collapse, drag a territory onto another to re-parent it), the
//! selected territory's assignment rule with live validation, reps with
//! their load, and why the selected account is where it is.
//!
//! Everything it changes is returned as a [`Command`] (mostly an edit) that
//! the app applies, so undo, history and autosave work as for any other
//! change. The window's own state (texts being typed, collapsed branches,
//! the last comparison) is kept in [`ModelWindow`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use egui::{Button, Color32, ComboBox, Id, RichText, Ui};

use crate::app::command::Command;
use crate::app::jobs::{Job, JobOutput};
use crate::app::map::MapView;
use crate::app::state::Selection;
use crate::app::{fmt, form};
use crate::core::Workspace;
use crate::core::edit::Edit;
use crate::core::hierarchy::tree_order;
use crate::core::metrics::PlanMetrics;
use crate::core::model::{
    Capacity, Rep, RepId, ScenarioId, ScenarioState, TerritoryId, TerritoryType, TerritoryTypeId,
};
use crate::core::rules::Rule;
use crate::core::scenario::{self, ScenarioDiff};
use crate::core::staffing::{Handover, Staffing, rep_joins, rep_leaves};

/// What the window remembers between frames.
#[derive(Clone, Default)]
struct State {
    open: bool,
    collapsed: HashSet<TerritoryId>,
    rule_for: Option<TerritoryId>,
    rule_text: String,
    rule_within: bool,
    clone_name: String,
    type_name: String,
    rep_name: String,
    compare_with: Option<ScenarioId>,
    diff: Option<Arc<ScenarioDiff>>,
    /// Accounts the comparison moves (ringed on the map).
    moved: Option<Arc<Vec<usize>>>,
    /// Ring the moved accounts on the map while the comparison is open.
    /// Stored inverted so the default (a fresh state) is "on".
    hide_moves: bool,
    /// The comparison being computed on a worker thread.
    job: Option<Arc<Mutex<Job>>>,
    /// The rep being edited in the rep form.
    rep_form: Option<RepForm>,
    /// The rep whose home the next map click sets.
    picking_home: Option<RepId>,
    /// A rep leaving or joining, previewed before it is applied, with the
    /// plan revision it was computed on (any other edit discards it).
    staffing: Option<(u64, Arc<Staffing>)>,
    /// The new hire's name and home, as typed.
    hire: [String; 3],
}

impl State {
    /// Keeps a finished comparison and the accounts it moves.
    fn set_diff(&mut self, d: ScenarioDiff) {
        self.moved = Some(Arc::new(d.moved_accounts()));
        self.diff = Some(Arc::new(d));
    }

    /// Forgets the comparison (and its rings on the map).
    fn clear_diff(&mut self) {
        self.diff = None;
        self.moved = None;
    }
}

/// The rep form's texts (committed one field at a time, each an edit).
#[derive(Clone, Default)]
struct RepForm {
    id: RepId,
    /// Plan revision the texts were read at: reloaded after undo/redo.
    revision: u64,
    name: String,
    role: String,
    username: String,
    lat: String,
    lon: String,
    hours: bool,
    capacity: String,
    problem: Option<String>,
}

impl RepForm {
    fn of(rep: &Rep, revision: u64) -> Self {
        let (lon, lat) = rep
            .home
            .map_or((String::new(), String::new()), |(lon, lat)| {
                (format!("{lon:.5}"), format!("{lat:.5}"))
            });
        let (hours, capacity) = match rep.capacity {
            Some(Capacity::Accounts(n)) => (false, n.to_string()),
            Some(Capacity::Hours(h)) => (true, fmt_num(h)),
            None => (false, String::new()),
        };
        Self {
            id: rep.id,
            revision,
            name: rep.name.clone(),
            role: rep.role.clone(),
            username: rep.username.clone(),
            lat,
            lon,
            hours,
            capacity,
            problem: None,
        }
    }

    /// The rep as the form describes it, or what is wrong.
    fn to_rep(&self, old: &Rep) -> Result<Rep, String> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err("the name cannot be empty".into());
        }
        let home = match (self.lat.trim(), self.lon.trim()) {
            ("", "") => None,
            (lat, lon) => {
                let lat: f64 = lat
                    .parse()
                    .map_err(|_| format!("latitude '{lat}' is not a number"))?;
                let lon: f64 = lon
                    .parse()
                    .map_err(|_| format!("longitude '{lon}' is not a number"))?;
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(format!("latitude {lat} is outside -90…90"));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(format!("longitude {lon} is outside -180…180"));
                }
                Some((lon, lat))
            }
        };
        let c = self.capacity.trim();
        let capacity = if c.is_empty() {
            None
        } else if self.hours {
            let h: f64 = c
                .parse()
                .map_err(|_| format!("capacity '{c}' is not a number of hours"))?;
            if !(h.is_finite() && h >= 0.0) {
                return Err("capacity must be zero or more hours".into());
            }
            Some(Capacity::Hours(h))
        } else {
            let n: u64 = c
                .parse()
                .map_err(|_| format!("capacity '{c}' is not a whole number of accounts"))?;
            Some(Capacity::Accounts(n))
        };
        Ok(Rep {
            id: old.id,
            name: name.to_owned(),
            role: self.role.trim().to_owned(),
            username: self.username.trim().to_owned(),
            home,
            capacity,
        })
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// The territory model window's own state (kept by the app between
/// frames and across plans).
#[derive(Default)]
pub struct ModelWindow {
    s: State,
}

impl ModelWindow {
    /// Draws the window when it is open; returns what the user did.
    pub(crate) fn ui(&mut self, ctx: &egui::Context, cx: Sections<'_>) -> Vec<Command> {
        let s = &mut self.s;
        if !s.open {
            return Vec::new();
        }
        let mut cx = cx;
        let mut open = true;
        // Over the details panel at first, leaving the list and map in view.
        let corner = ctx.content_rect().right_top() + egui::vec2(-12.0, 36.0);
        egui::Window::new("Territory model")
            .open(&mut open)
            .pivot(egui::Align2::RIGHT_TOP)
            .default_pos(corner)
            .default_width(460.0)
            .default_height(760.0)
            .vscroll(true)
            .show(ctx, |ui| {
                cx.scenario_section(ui, s);
                ui.separator();
                cx.type_section(ui, s);
                ui.separator();
                cx.tree_section(ui, s);
                ui.separator();
                cx.rule_section(ui, s);
                ui.separator();
                cx.reps_section(ui, s);
                ui.separator();
                cx.explain_section(ui);
            });
        s.open &= open;
        cx.out
    }

    /// Shows `problem` under the rep form (its change was refused).
    pub(crate) fn set_rep_problem(&mut self, problem: Option<String>) {
        if let Some(f) = &mut self.s.rep_form {
            f.problem = problem;
        }
    }
}

/// What the window's sections read, and the commands they return.
pub(crate) struct Sections<'a> {
    pub(crate) ws: &'a Workspace,
    pub(crate) metrics: &'a PlanMetrics,
    pub(crate) selection: &'a Selection,
    /// The map is waiting for a click to set a place.
    pub(crate) map_picking: bool,
    pub(crate) ctx: &'a egui::Context,
    pub(crate) out: Vec<Command>,
}

impl Sections<'_> {
    fn apply(&mut self, e: Edit) {
        self.out.push(Command::Apply(e));
    }

    fn select_account(&mut self, i: usize) {
        self.out.push(Command::SelectAccount(i));
    }

    fn select_territory(&mut self, id: TerritoryId, zoom: bool) {
        self.out.push(Command::SelectTerritory { id, zoom });
    }

    fn show_type(&mut self, ty: TerritoryTypeId) {
        self.out.push(Command::ShowType(ty));
    }

    fn start_compare(&mut self, s: &mut State, other: ScenarioId) {
        s.start_compare(self.ctx, self.ws, other);
    }

    fn scenario_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.heading("Scenario");
        let p = self.ws.project();
        let active = p.active_scenario;
        let scenarios: Vec<(ScenarioId, String, ScenarioState)> = p
            .scenarios
            .iter()
            .map(|s| (s.id, s.name.clone(), s.state))
            .collect();
        let active_name = p.active().map(|s| s.name.clone()).unwrap_or_default();
        let active_state = p.active().map_or(ScenarioState::Planning, |s| s.state);
        let mut edit = None;
        ui.horizontal(|ui| {
            let (to, _) = form::pick(
                ui,
                ComboBox::new("scenario_switch", "Scenario shown").selected_text(&active_name),
                active,
                scenarios
                    .iter()
                    .map(|(id, name, state)| (*id, format!("{name} ({state})"))),
            );
            if let Some(to) = to.filter(|to| *to != active) {
                edit = Some(Edit::SwitchScenario { to });
            }
            let states = [
                ScenarioState::Planning,
                ScenarioState::Active,
                ScenarioState::Archived,
            ];
            let (state, _) = form::pick(
                ui,
                ComboBox::new("scenario_state", "State").selected_text(active_state.as_str()),
                active_state,
                states.map(|st| (st, st.as_str())),
            );
            if let Some(state) = state.filter(|st| *st != active_state) {
                edit = Some(Edit::SetScenarioMeta {
                    id: active,
                    name: active_name.clone(),
                    state,
                });
            }
        });
        if active_state == ScenarioState::Archived {
            ui.label(
                RichText::new("Archived: read-only. Set it to planning, or clone it, to edit.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
        if form::name_and_button(
            ui,
            "New scenario:",
            &mut s.clone_name,
            "name",
            160.0,
            "Clone shown scenario",
        ) {
            match scenario::clone_edit(self.ws.project(), active, &s.clone_name) {
                Ok(e) => {
                    edit = Some(e);
                    s.clone_name.clear();
                }
                Err(e) => self.out.push(Command::Error(e.to_string())),
            }
        }
        ui.horizontal(|ui| {
            let other = s
                .compare_with
                .and_then(|id| scenarios.iter().find(|x| x.0 == id))
                .map_or("—".to_owned(), |x| x.1.clone());
            let (picked, _) = form::pick(
                ui,
                ComboBox::new("scenario_compare", "Compare with").selected_text(other),
                s.compare_with,
                scenarios
                    .iter()
                    .filter(|x| x.0 != active)
                    .map(|(id, name, _)| (Some(*id), name.as_str())),
            );
            if let Some(picked) = picked {
                s.compare_with = picked;
            }
            if form::enabled_button(ui, s.compare_with.is_some() && s.job.is_none(), "Compare")
                && let Some(other) = s.compare_with
            {
                self.start_compare(s, other);
            }
            if s.diff.is_some() && ui.button("Close comparison").clicked() {
                s.clear_diff();
            }
        });
        if let Some(job) = s.job.clone() {
            let (fraction, title) = job.lock().map_or((0.0, String::new()), |j| {
                (j.progress.fraction(), j.title.clone())
            });
            let mut cancel = false;
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(220.0)
                        .text(format!("{title}… {:.0}%", fraction * 100.0)),
                );
                cancel = ui.button("Cancel").clicked();
            });
            if cancel {
                if let Ok(j) = job.lock() {
                    j.progress.cancel();
                }
                s.job = None;
            }
        }
        if let Some(d) = s.diff.clone() {
            let mut show = !s.hide_moves;
            ui.horizontal(|ui| {
                let (r, painter) =
                    ui.allocate_painter(egui::vec2(14.0, 14.0), egui::Sense::hover());
                painter.circle_stroke(
                    r.rect.center(),
                    5.0,
                    egui::Stroke::new(2.0, crate::app::map::MOVED_COLOR),
                );
                ui.checkbox(
                    &mut show,
                    "Ring the accounts that change territory on the map",
                );
            });
            s.hide_moves = !show;
            self.diff_view(ui, &d);
        }
        if let Some(e) = edit {
            s.clear_diff();
            self.apply(e);
        }
    }

    fn diff_view(&mut self, ui: &mut Ui, d: &ScenarioDiff) {
        let moved = d.moved_accounts();
        ui.label(format!(
            "From '{}' to '{}': {} account(s) change territory",
            d.a,
            d.b,
            fmt::count(moved.len() as u64)
        ));
        egui::Grid::new("diff_grid").striped(true).show(ui, |ui| {
            ui.strong("Territory");
            ui.strong("Δ accounts");
            for m in &d.measures {
                ui.strong(format!("Δ {m}"));
            }
            ui.end_row();
            for t in d
                .territories
                .iter()
                .filter(|t| t.count_delta() != 0)
                .take(50)
            {
                ui.label(&t.name);
                ui.label(format!("{:+}", t.count_delta()));
                for v in t.sum_deltas() {
                    ui.label(if v > 0.0 {
                        format!("+{}", fmt::value(v))
                    } else {
                        fmt::value(v)
                    });
                }
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            if let Some(&first) = moved.first()
                && ui.button("Show first moved account").clicked()
            {
                self.select_account(first);
            }
            if form::enabled_button(ui, !d.moves.is_empty(), "Export change list…") {
                // A file dialog, or a typed path where none exists.
                self.out.push(Command::ChooseChangesExport);
            }
        });
    }

    fn type_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.heading("Territory type");
        let current = self.ws.current_type();
        let types: Vec<TerritoryType> = self.ws.project().types.clone();
        let current_name = types
            .iter()
            .find(|t| t.id == current)
            .map_or(String::new(), |t| t.name.clone());
        let show = ui
            .horizontal(|ui| {
                let combo = ComboBox::new("type_select", "Type shown on the map and in the lists")
                    .selected_text(&current_name);
                let items = types
                    .iter()
                    .map(|t| (t.id, format!("{} (priority {})", t.name, t.priority)));
                form::pick(ui, combo, current, items).0
            })
            .inner;
        if let Some(t) = show {
            self.show_type(t);
        }
        if form::name_and_button(
            ui,
            "New type:",
            &mut s.type_name,
            "e.g. Healthcare overlay",
            180.0,
            "Add type",
        ) {
            let ty = TerritoryType {
                id: self.ws.project().next_type_id(),
                name: s.type_name.trim().to_owned(),
                priority: 0,
            };
            s.type_name.clear();
            self.apply(Edit::AddType {
                ty,
                position: usize::MAX,
            });
        }
    }

    fn tree_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.heading("Hierarchy");
        form::weak(
            ui,
            "Drag a territory onto another to move it under it; onto “Top level” to lift it out.",
        );
        let order = tree_order(self.ws.project(), self.ws.current_type());
        let has_children: HashSet<TerritoryId> = self
            .ws
            .project()
            .territories
            .iter()
            .filter_map(|t| t.parent)
            .collect();
        let mut edit = None;
        let top = ui
            .add(egui::Label::new(RichText::new("Top level").strong()).sense(egui::Sense::hover()));
        if let Some(dragged) = top.dnd_release_payload::<TerritoryId>() {
            edit = Some(Edit::SetParent {
                id: *dragged,
                parent: None,
            });
        }
        let mut hidden_below: Option<usize> = None;
        for (id, depth) in order {
            if let Some(d) = hidden_below {
                if depth > d {
                    continue;
                }
                hidden_below = None;
            }
            let Some(t) = self.ws.project().territory(id) else {
                continue;
            };
            let name = t.name.clone();
            let count = self.metrics.territory(id).map_or(0, |m| m.group.count);
            let selected = self.selection.territory == Some(id);
            let collapsed = s.collapsed.contains(&id);
            let row = ui.horizontal(|ui| {
                ui.add_space(depth as f32 * 16.0);
                if has_children.contains(&id) {
                    let arrow = if collapsed { "+" } else { "-" };
                    if ui
                        .small_button(arrow)
                        .on_hover_text("Collapse or expand")
                        .clicked()
                    {
                        if collapsed {
                            s.collapsed.remove(&id);
                        } else {
                            s.collapsed.insert(id);
                        }
                    }
                } else {
                    ui.add_space(18.0);
                }
                let r = ui.dnd_drag_source(Id::unique(("tree_row", id)), id, |ui| {
                    ui.selectable_label(selected, &name)
                });
                if r.inner.clicked() {
                    self.select_territory(id, true);
                }
                form::weak(ui, format!("{} accounts", fmt::count(count)));
                r.response
            });
            if let Some(dragged) = row.inner.dnd_release_payload::<TerritoryId>()
                && *dragged != id
            {
                edit = Some(Edit::SetParent {
                    id: *dragged,
                    parent: Some(id),
                });
            }
            if collapsed {
                hidden_below = Some(depth);
            }
        }
        if let Some(sel) = self.selection.territory
            && let Some(t) = self.ws.project().territory(sel)
        {
            let others: Vec<(TerritoryId, String)> = self
                .ws
                .project()
                .territories_of_type(t.type_id)
                .filter(|o| o.id != sel)
                .map(|o| (o.id, o.name.clone()))
                .collect();
            let parent = t.parent;
            let parent_name = parent
                .and_then(|p| self.ws.project().territory(p))
                .map_or("— (top level)".to_owned(), |p| p.name.clone());
            let combo = ComboBox::new("parent_select", format!("Parent of '{}'", t.name))
                .selected_text(parent_name);
            let items = std::iter::once((None, "— (top level)")).chain(
                others
                    .iter()
                    .map(|(oid, oname)| (Some(*oid), oname.as_str())),
            );
            let picked = ui
                .horizontal(|ui| form::pick(ui, combo, parent, items).0)
                .inner;
            if let Some(parent) = picked {
                edit = Some(Edit::SetParent { id: sel, parent });
            }
        }
        if let Some(e) = edit {
            self.apply(e);
        }
    }

    fn rule_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.heading("Assignment rule");
        let Some(sel) = self.selection.territory else {
            ui.label("Select a territory to see or edit its rule.");
            return;
        };
        let Some(t) = self.ws.project().territory(sel) else {
            return;
        };
        if s.rule_for != Some(sel) {
            s.rule_for = Some(sel);
            s.rule_text = t
                .rule
                .as_ref()
                .map(|r| r.condition.render())
                .unwrap_or_default();
            s.rule_within = t.rule.as_ref().is_some_and(|r| r.within_geometry);
        }
        let name = t.name.clone();
        let has_rule = t.rule.is_some();
        ui.label(format!(
            "Accounts of '{name}' by their fields (beats boundaries; a manual pin beats the rule)."
        ));
        let label = ui.label("Rule:");
        ui.add(
            egui::TextEdit::multiline(&mut s.rule_text)
                .hint_text("Industry = \"Healthcare\" AND Revenue >= 100000")
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.checkbox(
            &mut s.rule_within,
            "Only accounts inside the territory's boundary",
        );
        let parsed = Rule::parse(&s.rule_text).map(|mut r| {
            r.within_geometry = s.rule_within;
            r
        });
        let problems: Vec<String> = match &parsed {
            Err(e) if !s.rule_text.trim().is_empty() => vec![e.clone()],
            Err(_) => vec![],
            Ok(r) => r
                .validate(&self.ws.project().accounts)
                .into_iter()
                .map(|p| p.message)
                .collect(),
        };
        for p in &problems {
            form::problem(ui, p);
        }
        if problems.is_empty() && !s.rule_text.trim().is_empty() {
            ui.label(RichText::new("Valid rule").color(Color32::from_rgb(40, 140, 60)));
        }
        let fields = crate::core::rules::field_names(&self.ws.project().accounts).join(", ");
        form::weak(
            ui,
            RichText::new(format!(
                "Fields: {fields}. Operators: = != contains, starts with, in (…), < <= > >=, between … and …, is empty; AND, OR, NOT, ( )."
            ))
            .small(),
        );
        let mut edit = None;
        ui.horizontal(|ui| {
            let ok = problems.is_empty() && parsed.is_ok();
            if form::enabled_button(ui, ok, "Apply rule")
                && let Ok(r) = parsed
            {
                edit = Some(Edit::SetRule {
                    id: sel,
                    rule: Some(r),
                });
            }
            if form::enabled_button(ui, has_rule, "Remove rule") {
                edit = Some(Edit::SetRule {
                    id: sel,
                    rule: None,
                });
                s.rule_text.clear();
            }
        });
        if let Some(e) = edit {
            self.apply(e);
        }
    }

    fn reps_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.heading("Reps");
        let reps = self.ws.rep_metrics();
        if reps.is_empty() {
            ui.label("No reps yet.");
        } else {
            egui::Grid::new("reps_grid").striped(true).show(ui, |ui| {
                for h in ["Rep", "Accounts", "Load", "Mean km", "Max km"] {
                    ui.strong(h);
                }
                ui.end_row();
                for r in &reps {
                    ui.label(&r.name).on_hover_text(r.territories.join(", "));
                    ui.label(fmt::count(r.accounts));
                    let load = r.load_pct.map_or("—".into(), |l| format!("{l:.0}%"));
                    let over = r.load_pct.is_some_and(|l| l > 100.0);
                    ui.label(if over {
                        RichText::new(load).color(ui.visuals().error_fg_color)
                    } else {
                        RichText::new(load)
                    });
                    ui.label(r.mean_km.map_or("—".into(), |v| format!("{v:.0}")));
                    ui.label(r.max_km.map_or("—".into(), |v| format!("{v:.0}")));
                    ui.end_row();
                }
            });
        }
        let mut edit = None;
        if form::name_and_button(ui, "New rep:", &mut s.rep_name, "name", 160.0, "Add rep") {
            edit = Some(Edit::AddRep {
                rep: Rep::new(self.ws.project().next_rep_id(), s.rep_name.trim()),
                position: usize::MAX,
            });
            s.rep_name.clear();
        }
        if let Some(e) = edit.take() {
            self.apply(e);
        }
        self.rep_form(ui, s);
        self.staffing_section(ui, s);
        if let Some(sel) = self.selection.territory
            && let Some(t) = self.ws.project().territory(sel)
        {
            let all = self.rep_names();
            let mut props = crate::core::edit::TerritoryProps::of(t);
            let before = props.reps.clone();
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Reps of '{}':", t.name));
                for (id, name) in &all {
                    let mut on = props.reps.contains(id);
                    if ui.checkbox(&mut on, name).changed() {
                        if on {
                            props.reps.push(*id);
                        } else {
                            props.reps.retain(|r| r != id);
                        }
                    }
                }
            });
            if props.reps != before {
                edit = Some(Edit::SetTerritoryProps { id: sel, props });
            }
        }
        if let Some(e) = edit {
            self.apply(e);
        }
    }

    /// A rep who leaves (their territories shared out or merged) or a new
    /// hire (a territory carved around the home): previewed as a
    /// before/after table, then applied as one edit.
    fn staffing_section(&mut self, ui: &mut Ui, s: &mut State) {
        ui.add_space(6.0);
        if s.staffing
            .as_ref()
            .is_some_and(|(rev, _)| *rev != self.ws.revision())
        {
            s.staffing = None;
        }
        let chosen = s.rep_form.as_ref().map(|f| f.id);
        if let Some(rep) = chosen.and_then(|id| self.ws.project().rep(id)) {
            let (id, name) = (rep.id, rep.name.clone());
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("If {name} leaves:"));
                let share = ui.button("Share out").on_hover_text(
                    "Territories they work alone go to their neighbours, lightest first",
                );
                let merge = ui
                    .button("Merge")
                    .on_hover_text("Territories they work alone join their lightest neighbour");
                let handover = if share.clicked() {
                    Some(Handover::Share)
                } else if merge.clicked() {
                    Some(Handover::Merge(None))
                } else {
                    None
                };
                if let Some(h) = handover {
                    self.preview(s, rep_leaves(self.ws, id, &h));
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("New hire:");
            let [name, lat, lon] = &mut s.hire;
            form::labelled_text(ui, "Hire name", name, "name", 110.0);
            form::labelled_text(ui, "Home lat", lat, "", 60.0);
            form::labelled_text(ui, "Home lon", lon, "", 60.0);
            if ui
                .button("Carve territory")
                .on_hover_text("A territory around the home, up to the plan's mean load")
                .clicked()
            {
                let home = match (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) {
                    (Ok(la), Ok(lo)) => Ok((lo, la)),
                    _ => Err(crate::core::Error::invalid(
                        "type the home as latitude and longitude",
                    )),
                };
                let ty = self.ws.current_type();
                let name = name.trim().to_owned();
                let result = home.and_then(|h| rep_joins(self.ws, &name, h, ty));
                self.preview(s, result);
            }
        });
        let Some((_, change)) = s.staffing.clone() else {
            return;
        };
        self.staffing_preview(ui, s, &change);
    }

    /// Keeps a computed staffing change for preview, or says why not.
    fn preview(&mut self, s: &mut State, result: crate::core::Result<Staffing>) {
        match result {
            Ok(c) => s.staffing = Some((self.ws.revision(), Arc::new(c))),
            Err(e) => {
                s.staffing = None;
                self.out.push(Command::Error(e.to_string()));
            }
        }
    }

    fn staffing_preview(&mut self, ui: &mut Ui, s: &mut State, change: &Staffing) {
        let v = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), fmt::value);
        egui::Grid::new("staffing_preview")
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "Territory",
                    &format!("{} before", change.measure),
                    "After",
                    "Dev after",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for r in &change.table {
                    ui.label(&r.name);
                    ui.label(v(r.before));
                    ui.label(v(r.after));
                    ui.label(
                        r.deviation_after
                            .map_or_else(|| "gone".to_owned(), fmt::signed_pct),
                    );
                    ui.end_row();
                }
            });
        ui.label(format!(
            "{} change territory.",
            fmt::counted(change.moved, "account", "accounts")
        ));
        ui.horizontal(|ui| {
            if ui.button("Apply change").clicked() {
                self.apply(change.edit.clone());
                s.staffing = None;
                s.hire = Default::default();
            }
            if ui.button("Discard").clicked() {
                s.staffing = None;
            }
        });
    }

    /// Every rep's id and name, in the plan's order.
    fn rep_names(&self) -> Vec<(RepId, String)> {
        let reps = &self.ws.project().reps;
        reps.iter().map(|r| (r.id, r.name.clone())).collect()
    }

    /// Edits one rep: name, role, username, home base (typed, or picked
    /// on the map) and capacity. Each committed field is one edit.
    fn rep_form(&mut self, ui: &mut Ui, s: &mut State) {
        let reps = self.rep_names();
        if reps.is_empty() {
            return;
        }
        let rev = self.ws.revision();
        let chosen = s
            .rep_form
            .as_ref()
            .map(|f| f.id)
            .filter(|id| reps.iter().any(|r| r.0 == *id))
            .unwrap_or(reps[0].0);
        let Some(old) = self.ws.project().rep(chosen).cloned() else {
            return;
        };
        let mut f = match s.rep_form.take() {
            Some(f) if f.id == chosen && f.revision == rev => f,
            Some(f) if f.id == chosen => RepForm {
                problem: f.problem,
                ..RepForm::of(&old, rev)
            },
            _ => RepForm::of(&old, rev),
        };
        ui.add_space(4.0);
        let (switch_to, _) = form::pick(
            ui,
            ComboBox::new("rep_form_select", "Edit rep").selected_text(&old.name),
            chosen,
            reps.iter().map(|(id, name)| (*id, name.as_str())),
        );
        let mut commit = false;
        egui::Grid::new("rep_form_grid")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for (label, text, hint) in [
                    ("Name", &mut f.name, ""),
                    ("Role", &mut f.role, "e.g. Owner"),
                    ("Username", &mut f.username, "e.g. ann@example.com"),
                ] {
                    commit |= form::labelled_text(ui, label, text, hint, 200.0).lost_focus();
                    ui.end_row();
                }
                let l = ui.label("Home base");
                ui.horizontal(|ui| {
                    commit |= form::labelled_text(ui, "lat", &mut f.lat, "", 80.0).lost_focus();
                    commit |= form::labelled_text(ui, "lon", &mut f.lon, "", 80.0).lost_focus();
                })
                .response
                .labelled_by(l.id);
                ui.end_row();
                ui.label("");
                ui.horizontal(|ui| {
                    let picking = s.picking_home == Some(chosen) && self.map_picking;
                    if ui
                        .add(Button::selectable(picking, "Set from map click"))
                        .on_hover_text("Then click the map where the rep is based (Esc cancels)")
                        .clicked()
                    {
                        if picking {
                            self.out.push(Command::StartPick(None));
                            s.picking_home = None;
                        } else {
                            self.out
                                .push(Command::StartPick(Some(format!("{}'s home", old.name))));
                            s.picking_home = Some(chosen);
                        }
                    }
                    if old.home.is_some() && ui.button("Clear home").clicked() {
                        f.lat.clear();
                        f.lon.clear();
                        commit = true;
                    }
                    if let Some(home) = old.home
                        && ui
                            .button("Drive-time rings")
                            .on_hover_text(
                                "Where the rep can drive from home in 30, 60, 90 minutes",
                            )
                            .clicked()
                    {
                        let what = format!("{}'s home", old.name);
                        self.out.push(Command::DriveRings(home, what));
                    }
                });
                ui.end_row();
                let l = ui.label("Capacity");
                ui.horizontal(|ui| {
                    commit |=
                        form::text_field(ui, l.id, &mut f.capacity, "none", 80.0).lost_focus();
                    commit |= ui.radio_value(&mut f.hours, false, "accounts").changed();
                    commit |= ui.radio_value(&mut f.hours, true, "hours").changed();
                });
                ui.end_row();
            });
        if commit {
            match f.to_rep(&old) {
                Ok(rep) if rep != old => {
                    f.problem = None;
                    // A refusal comes back as the form's problem.
                    self.out.push(Command::ApplyRep(rep));
                }
                Ok(_) => f.problem = None,
                Err(e) => f.problem = Some(e),
            }
        }
        if let Some(p) = &f.problem {
            form::problem(ui, p);
        }
        s.rep_form = Some(match switch_to {
            Some(id) if id != chosen => RepForm {
                id,
                revision: u64::MAX, // reload from the rep next frame
                ..RepForm::default()
            },
            _ => f,
        });
    }

    fn explain_section(&mut self, ui: &mut Ui) {
        ui.heading("Why is this account here?");
        match self.selection.account {
            Some(i) => {
                let ex = self.ws.explain(i);
                ui.label(RichText::new(ex.render()).monospace());
            }
            None => {
                ui.label("Select an account on the map or in the list.");
            }
        }
    }
}

impl State {
    /// Starts comparing scenario `other` with the one shown, off the UI
    /// thread (a million-account plan takes seconds).
    fn start_compare(&mut self, ctx: &egui::Context, ws: &Workspace, other: ScenarioId) {
        if let Some(j) = self.job.take()
            && let Ok(j) = j.lock()
        {
            j.progress.cancel();
        }
        // Only what the comparison reads, not the whole plan: copying a
        // million account names here would freeze the window.
        let snapshot = scenario::DiffSnapshot::of(ws.project());
        let active = ws.project().active_scenario;
        self.clear_diff();
        let job = Job::spawn(ctx, "Comparing scenarios", true, move |progress| {
            let d = snapshot.diff(other, active, progress)?;
            Ok(JobOutput::Diff(Box::new(d)))
        });
        self.job = Some(Arc::new(Mutex::new(job)));
    }
}

impl ModelWindow {
    /// Writes the open comparison's change list to `path`; the notice or
    /// error to show.
    pub(crate) fn write_changes(&self, ws: &Workspace, path: &std::path::Path) -> Command {
        let Some(d) = self.s.diff.as_ref() else {
            return Command::Error("No scenario comparison is open.".into());
        };
        let res = crate::core::export::write_file_atomically(path, |w| {
            scenario::write_changes_csv(w, ws.project(), d)
        });
        match res {
            Ok(()) => Command::Notice(format!("Wrote {}", path.display())),
            Err(e) => Command::Error(e.to_string()),
        }
    }

    /// True when the window is open.
    pub fn is_open(&self) -> bool {
        self.s.open
    }

    /// Opens or closes the window.
    pub fn set_open(&mut self, open: bool) {
        self.s.open = open;
    }

    /// Takes in a finished comparison and a picked home; keeps the map's
    /// moved-account rings in step with the window. Runs every frame, even
    /// with the window closed (the job and the pick outlive it).
    pub(crate) fn background(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        map: &mut MapView,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        let s = &mut self.s;
        let finished = s
            .job
            .as_ref()
            .and_then(|j| j.lock().ok().and_then(|j| j.poll()));
        if let Some(result) = finished {
            s.job = None;
            match result {
                Ok(JobOutput::Diff(d)) => s.set_diff(*d),
                Ok(_) => {}
                Err(e) if e.contains("ancel") => {}
                Err(e) => out.push(Command::Error(e)),
            }
        }
        out.extend(self.take_picked_home(ws, map));
        let s = &self.s;
        let want = if s.open && !s.hide_moves {
            s.moved.clone()
        } else {
            None
        };
        let same = match (map.moved(), &want) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            map.set_moved(want);
            ctx.request_repaint();
        }
        if self.s.job.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        out
    }

    /// A rep's home picked on the map becomes an edit.
    fn take_picked_home(&mut self, ws: &Workspace, map: &mut MapView) -> Option<Command> {
        let rep = self.s.picking_home?;
        if let Some((lon, lat)) = map.take_picked() {
            self.s.picking_home = None;
            let old = ws.project().rep(rep)?;
            let mut r = old.clone();
            r.home = Some((lon, lat));
            self.s.rep_form = None;
            return Some(Command::Apply(Edit::SetRep { rep: r }));
        } else if !map.picking() {
            self.s.picking_home = None; // Esc on the map
        }
        None
    }

    /// Starts comparing scenario `other` with the one shown, as the
    /// window's Compare button does (tests, benchmarks).
    pub fn compare(&mut self, ctx: &egui::Context, ws: &Workspace, other: ScenarioId) {
        let s = &mut self.s;
        s.compare_with = Some(other);
        s.start_compare(ctx, ws, other);
    }

    /// Blocks until a running comparison ends (tests).
    pub fn wait_for_comparison(&mut self, timeout: std::time::Duration) -> bool {
        let s = &mut self.s;
        let Some(j) = &s.job else { return true };
        let result = j.lock().ok().and_then(|j| j.wait(timeout));
        let Some(result) = result else { return false };
        s.job = None;
        if let Ok(JobOutput::Diff(d)) = result {
            s.set_diff(*d);
        }
        true
    }
}
