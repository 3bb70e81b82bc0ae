//! The details panel (right): the plan summary with its balance settings
//! and figures, then the selected territory or account.

use egui::{ComboBox, DragValue, Grid, Label, RichText, Ui};

use crate::core::metrics::PlanMetrics;
use crate::core::model::{BalanceMeasure, LocationSource, PlanSettings};
use crate::core::{TerritoryId, Workspace};

use super::super::command::Command;
use super::{figure, figure_link, fmt, kv, swatch, warning_icon};
use crate::core::render::DistanceUnit;

/// The details panel's own state.
#[derive(Debug, Default)]
pub struct Details {
    /// The tolerance being typed or dragged, committed when the user lets go.
    tolerance_edit: Option<f64>,
    /// The quota being typed for a territory, set with "Set quota".
    quota_text: Option<(TerritoryId, String)>,
}

/// What the details panel draws from.
pub struct DetailsContext<'a> {
    /// The plan.
    pub ws: &'a Workspace,
    /// Its figures.
    pub metrics: &'a PlanMetrics,
    /// What is selected.
    pub selection: &'a crate::app::state::Selection,
    /// Distance units for areas and lengths.
    pub units: DistanceUnit,
    /// Where the drive-time figures stand.
    pub drive: crate::app::drive::DriveStatus,
}

impl Details {
    /// The right panel: plan summary (balance settings and figures), then
    /// the selected account or territory with its editing controls (their
    /// tool actions are queued in `tools`), then the history.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &DetailsContext<'_>,
        tools: &mut crate::app::tools::Tools,
    ) -> Vec<Command> {
        ui.take_available_width();
        let mut out = Vec::new();
        // Both ways: content that cannot wrap scrolls instead of widening
        // the panel (which would move the map on every selection).
        egui::ScrollArea::both()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                out.extend(self.plan_summary(ui, cx.ws, cx.metrics));
                ui.add_space(8.0);
                ui.separator();
                ui.add_space(4.0);
                super::ToolBar::selection_controls(ui, cx.ws, cx.selection, tools);
                out.extend(self.selection(ui, cx, tools));
                ui.add_space(8.0);
                ui.separator();
                out.extend(super::HistoryPanel.ui(ui, cx.ws));
            });
        out
    }

    /// The selected account or territory, or how to select one.
    fn selection(
        &mut self,
        ui: &mut Ui,
        cx: &DetailsContext<'_>,
        tools: &mut crate::app::tools::Tools,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(i) = cx.selection.account {
            out.extend(Self::account(ui, cx.ws, i));
        } else if let Some(id) = cx.selection.territory {
            if Self::territory(ui, cx.ws, cx.metrics, cx.units, id) {
                out.extend(drive_rows(ui, cx, id));
                out.extend(self.quota(ui, cx.ws, cx.metrics, id));
                super::ToolBar::territory_controls(ui, cx.ws, tools, id);
                ui.add_space(8.0);
                out.extend(Self::territory_buttons(ui, id));
            }
        } else {
            ui.heading("Selection");
            ui.label(
                RichText::new(
                    "Click a territory in the list, a bar in the chart, or a \
                     territory or account on the map to see its details.",
                )
                .color(ui.visuals().weak_text_color()),
            );
        }
        out
    }

    /// Forgets a half-typed tolerance (another plan was opened).
    pub fn reset(&mut self) {
        self.tolerance_edit = None;
        self.quota_text = None;
    }

    /// The selected territory's quota, actual, attainment and white space
    /// once the plan has quotas. A territory that holds accounts takes a
    /// typed quota (bottom-up: the plan total becomes the sum), returned
    /// as an edit; a pure roll-up parent shows its children's sum.
    pub fn quota(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        metrics: &PlanMetrics,
        id: TerritoryId,
    ) -> Vec<Command> {
        let Some(t) = metrics.territory(id) else {
            return Vec::new();
        };
        let Some(qs) = &ws.project().settings.quota else {
            return Vec::new();
        };
        if qs.type_id != ws.current_type() {
            return Vec::new();
        }
        let pct = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}%"));
        let val = |v: Option<f64>| v.map_or("—".to_owned(), fmt::value);
        Grid::new("territory_quota")
            .num_columns(3)
            .spacing([12.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                let with_children = t.has_children.then(|| "with its children".to_owned());
                kv(ui, "Quota", val(t.quota), with_children);
                kv(ui, "Actual", val(t.actual), qs.actual.clone());
                kv(ui, "Attainment", pct(t.attainment_pct), None);
                kv(
                    ui,
                    "White space",
                    val(t.white_space),
                    Some("potential − actual".into()),
                );
            });
        let own = !t.has_children || t.own.count > 0;
        if !own {
            return Vec::new();
        }
        let mut commands = Vec::new();
        let current = ws.project().territory(id).and_then(|t| t.quota);
        let text = match &mut self.quota_text {
            Some((tid, text)) if *tid == id => text,
            slot => {
                *slot = Some((id, current.map(|q| q.to_string()).unwrap_or_default()));
                &mut slot.as_mut().expect("just set").1
            }
        };
        // Wraps in a narrow panel rather than hiding the button.
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(if t.has_children {
                "Own quota"
            } else {
                "New quota"
            });
            ui.add(egui::TextEdit::singleline(text).desired_width(110.0))
                .labelled_by(label.id);
            if ui.button("Set quota").clicked() {
                let typed = text.trim().replace(',', "");
                commands.push(match typed.parse::<f64>() {
                    Ok(v) => match crate::core::quota::set_one(ws.project(), metrics, id, v) {
                        Ok(edit) => Command::Apply(edit),
                        Err(e) => Command::Error(e.to_string()),
                    },
                    Err(_) => Command::Error(format!("'{}' is not an amount", text.trim())),
                });
            }
        });
        commands
    }

    /// The plan summary: balance measure and tolerance (changing either
    /// returns [`Command::SetSettings`]), then the plan's figures.
    pub fn plan_summary(&mut self, ui: &mut Ui, ws: &Workspace, m: &PlanMetrics) -> Vec<Command> {
        ui.heading("Plan");
        let new_settings = self.settings_grid(ui, ws);
        ui.add_space(6.0);
        let mut out = plan_figures(ui, m);
        out.extend(new_settings.map(|s| Command::SetSettings(Box::new(s))));
        out
    }

    /// The balance measure and tolerance; the new settings once changed.
    fn settings_grid(&mut self, ui: &mut Ui, ws: &Workspace) -> Option<PlanSettings> {
        let settings = ws.project().settings.clone();
        let mut new_settings = None;
        // In a narrow panel the captions wrap onto two lines so the
        // chooser keeps room to name the measure (rather than widening it).
        let caption_w = if ui.available_width() < 280.0 {
            76.0
        } else {
            125.0
        };
        let combo_width = (ui.available_width() - caption_w - 10.0).clamp(70.0, 140.0);
        let caption = |ui: &mut Ui, text: &str| {
            ui.allocate_ui(egui::vec2(caption_w, 0.0), |ui| {
                ui.add(Label::new(text).wrap())
            })
            .inner
        };
        Grid::new("plan_settings")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let label = caption(ui, "Balance measure");
                let current = settings.balance.clone();
                let measures: Vec<String> = ws
                    .project()
                    .accounts
                    .measures
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let mut chosen = None;
                let combo = ComboBox::from_id_salt("balance_measure")
                    .width(combo_width)
                    .truncate()
                    .selected_text(measure_caption(&current))
                    .show_ui(ui, |ui| {
                        let count = BalanceMeasure::Count;
                        if ui
                            .selectable_label(current == count, measure_caption(&count))
                            .clicked()
                        {
                            chosen = Some(count);
                        }
                        for name in measures {
                            let b = BalanceMeasure::Measure(name);
                            if ui
                                .selectable_label(current == b, measure_caption(&b))
                                .clicked()
                            {
                                chosen = Some(b);
                            }
                        }
                    });
                combo
                    .response
                    .labelled_by(label.id)
                    .on_hover_text("What territories are balanced on");
                if let Some(b) = chosen.filter(|b| *b != current) {
                    new_settings = Some(PlanSettings {
                        balance: b,
                        ..settings.clone()
                    });
                }
                ui.end_row();

                let label = caption(ui, "Tolerance (±%)");
                let mut tol = self.tolerance_edit.unwrap_or(settings.tolerance_pct);
                let r = ui
                    .add(
                        DragValue::new(&mut tol)
                            .range(0.0..=100.0)
                            .speed(0.1)
                            .max_decimals(1)
                            .prefix("± ")
                            .suffix(" %"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(
                        "How far from the mean a territory may be and still count as balanced",
                    );
                if r.changed() {
                    self.tolerance_edit = Some(tol);
                }
                // Commit once the drag or typing ends: one undo step per
                // change, not one per pixel dragged.
                if !(r.dragged() || r.has_focus())
                    && let Some(t) = self.tolerance_edit.take()
                    && t != settings.tolerance_pct
                {
                    new_settings = Some(PlanSettings {
                        tolerance_pct: t,
                        ..settings.clone()
                    });
                }
                ui.end_row();
                if let Some(a) = activity_row(ui, ws, &settings, [caption_w, combo_width]) {
                    new_settings = Some(a);
                }
            });
        new_settings
    }

    /// The selected territory's figures; false when it has none (it is
    /// gone, or the metrics are not recomputed yet).
    pub fn territory(
        ui: &mut Ui,
        ws: &Workspace,
        metrics: &PlanMetrics,
        units: DistanceUnit,
        id: TerritoryId,
    ) -> bool {
        let Some(t) = metrics.territory(id) else {
            return false;
        };
        let territory = ws.project().territory(id);
        let color = territory.map_or([128, 128, 128], |t| t.color);
        let locked = territory.is_some_and(|t| t.locked);
        ui.horizontal(|ui| {
            swatch(ui, color, 20.0);
            ui.add(Label::new(RichText::new(&t.name).heading()).truncate());
        });
        ui.add_space(4.0);
        let tol = metrics.tolerance_pct;
        let wrap_at = ui.available_width() * 0.42;
        Grid::new("territory_details")
            .num_columns(3)
            .max_col_width(wrap_at)
            .spacing([12.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                kv(ui, "Rep", t.rep.clone().unwrap_or_else(|| "—".into()), None);
                let share = |k: usize| t.share_pct.get(k).map(|p| format!("{p:.1}% of plan"));
                kv(ui, "Accounts", fmt::count(t.group.count), share(0));
                for (m, name) in metrics.measures.iter().enumerate() {
                    let sum = t.group.sums.get(m).copied().unwrap_or(0.0);
                    kv(ui, name, fmt::value(sum), share(m + 1));
                }
                // A parent is judged on its own accounts only (see
                // core::metrics), so say which value the deviation is of.
                let judged_on = if t.has_children && t.balance_unit {
                    format!("{}, own accounts only", metrics.balance_measure)
                } else if t.has_children {
                    format!("{}, not judged: no own accounts", metrics.balance_measure)
                } else {
                    metrics.balance_measure.clone()
                };
                kv(
                    ui,
                    "Balance value",
                    fmt::value(t.balance_value),
                    Some(judged_on),
                );
                let out = t.is_out(tol);
                let dev = RichText::new(t.deviation_text());
                let dev = if out {
                    dev.color(ui.visuals().warn_fg_color).strong()
                } else {
                    dev
                };
                kv(
                    ui,
                    "Deviation",
                    dev,
                    Some(if out {
                        format!("outside ±{}%", fmt::pct_plain(tol))
                    } else {
                        format!("within ±{}%", fmt::pct_plain(tol))
                    }),
                );
                let area = fmt::value(units.area_from_km2(t.area_km2));
                kv(ui, "Area", format!("{area} {}", units.area_label()), None);
                kv(
                    ui,
                    "Compactness",
                    format!("{:.2}", t.compactness),
                    Some("1 = circle".into()),
                );
                if let Some(n) = t.neglected {
                    let of = if t.group.count > 0 {
                        n as f64 / t.group.count as f64 * 100.0
                    } else {
                        0.0
                    };
                    let col = ws.project().settings.activity.clone().unwrap_or_default();
                    kv(
                        ui,
                        "Neglected",
                        fmt::count(n),
                        Some(format!("{of:.0}% of accounts; no {col}")),
                    );
                }
                if let Some(p) = t.penetration_pct {
                    kv(
                        ui,
                        "Penetration",
                        format!("{p:.1}%"),
                        Some("actual ÷ potential".into()),
                    );
                }
                if locked {
                    kv(ui, "Locked", "yes", None);
                }
            });
        ui.add_space(8.0);
        true
    }

    /// Buttons under a territory's details: zoom to it, clear selection.
    pub fn territory_buttons(ui: &mut Ui, id: TerritoryId) -> Vec<Command> {
        let mut commands = Vec::new();
        ui.horizontal(|ui| {
            if ui.button("Zoom to territory").clicked() {
                commands.push(Command::ZoomToTerritory(id));
            }
            if ui.button("Clear selection").clicked() {
                commands.push(Command::ClearSelection);
            }
        });
        commands
    }

    /// The selected account: where it is, why it is in its territory, its
    /// values; buttons to show its territory, unpin it, clear the selection.
    pub fn account(ui: &mut Ui, ws: &Workspace, i: usize) -> Vec<Command> {
        let mut commands = Vec::new();
        let p = ws.project();
        let a = &p.accounts;
        if i >= a.len() {
            return commands;
        }
        let territory = ws.engine().territory_of(i);
        let reason = ws.engine().reason(i);
        ui.heading(&a.names[i]);
        ui.add_space(4.0);
        let mut go_to = None;
        let mut unpin = false;
        let wrap_at = ui.available_width() * 0.42;
        Grid::new("account_details")
            .num_columns(3)
            .max_col_width(wrap_at)
            .spacing([12.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                kv(ui, "Account ID", a.ids[i].clone(), None);
                let tname = territory
                    .and_then(|id| p.territory(id))
                    .map_or("Unassigned".to_owned(), |t| t.name.clone());
                kv(ui, "Territory", tname, None);
                kv(ui, "Why", reason.describe(), None);
                let location = if a.is_located(i) {
                    format!("{:.4}, {:.4}", a.lat[i], a.lon[i])
                } else {
                    "No location".into()
                };
                let source = match a.source[i] {
                    LocationSource::Coordinates => Some("lat, lon".to_owned()),
                    LocationSource::PostalCode => {
                        Some(a.postal_match(i).map_or("postal code".to_owned(), |m| {
                            format!("{} centroid", m.describe())
                        }))
                    }
                    LocationSource::Unlocated => None,
                };
                kv(ui, "Location", location, source);
                // Every pin, with its type when the plan has several.
                let pins: Vec<String> = a
                    .pins
                    .of(i)
                    .map(|pin| match p.territory(pin) {
                        Some(t) if p.types.len() > 1 => format!(
                            "{} ({})",
                            t.name,
                            p.territory_type(t.type_id)
                                .map_or("?", |ty| ty.name.as_str())
                        ),
                        Some(t) => t.name.clone(),
                        None => pin.to_string(),
                    })
                    .collect();
                if !pins.is_empty() {
                    kv(ui, "Pinned to", pins.join(", "), None);
                }
                for col in &a.measures {
                    let v = col.values[i];
                    let text = if v.is_finite() {
                        fmt::value(v)
                    } else {
                        "—".into()
                    };
                    kv(ui, &col.name, text, None);
                }
                for col in &a.attributes {
                    let v = col.get(i);
                    kv(ui, &col.name, if v.is_empty() { "—" } else { v }, None);
                }
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if let Some(id) = territory
                && ui.button("Show its territory").clicked()
            {
                go_to = Some(id);
            }
            if ws.engine().pin_of(p, i).is_some() && ui.button("Unpin").clicked() {
                unpin = true;
            }
            if ui.button("Clear selection").clicked() {
                commands.push(Command::ClearSelection);
            }
        });
        if unpin {
            commands.push(Command::Unpin(vec![i]));
        }
        if let Some(id) = go_to {
            commands.push(Command::SelectTerritory { id, zoom: true });
        }
        commands
    }
}

/// The plan's figures: mean/min/max, counts, spread, and a warning when
/// accounts have no location. The unassigned and unlocated counts open
/// their list.
fn plan_figures(ui: &mut Ui, m: &PlanMetrics) -> Vec<Command> {
    let mut out = Vec::new();
    // Long values get a row each; short ones go two per row, which keeps
    // the selection's details in view without widening the panel.
    Grid::new("plan_values")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            figure(ui, "Mean", fmt::value(m.mean));
            ui.end_row();
            figure(ui, "Min", fmt::value(m.min));
            ui.end_row();
            figure(ui, "Max", fmt::value(m.max));
            ui.end_row();
        });
    // Two figures a row when the panel has room, else one (so the panel
    // never grows past the width it was given).
    let wide = ui.available_width() >= 290.0;
    let pair_break = |ui: &mut Ui| {
        if !wide {
            ui.end_row();
        }
    };
    Grid::new("plan_figures")
        .num_columns(if wide { 4 } else { 2 })
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            let warn = ui.visuals().warn_fg_color;
            let flag = |text: String, bad: bool| {
                let t = RichText::new(text);
                if bad { t.color(warn).strong() } else { t }
            };
            figure(ui, "Territories", fmt::count(m.territories.len() as u64));
            pair_break(ui);
            figure(ui, "Accounts", fmt::count(m.total.count));
            ui.end_row();
            figure(ui, "CV", format!("{:.1}%", m.cv_pct));
            pair_break(ui);
            figure(
                ui,
                "Max / min",
                m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
            );
            ui.end_row();
            if figure_link(
                ui,
                "Unassigned",
                fmt::count(m.unassigned.count),
                "List the accounts in no territory, with why",
            ) {
                out.push(Command::OpenLeftOut(super::LeftOutFilter::Unassigned));
            }
            pair_break(ui);
            if figure_link(
                ui,
                "Unlocated",
                flag(fmt::count(m.unlocated.count), m.unlocated.count > 0),
                "List the accounts with no location, with why",
            ) {
                out.push(Command::OpenLeftOut(super::LeftOutFilter::Unlocated));
            }
            ui.end_row();
            figure(
                ui,
                &format!("Outside ±{}%", fmt::pct_plain(m.tolerance_pct)),
                flag(
                    format!("{} of {}", m.out_of_tolerance, m.balance_units),
                    m.out_of_tolerance > 0,
                ),
            );
            ui.end_row();
            if m.neglected.is_some() || m.penetration_pct.is_some() {
                if let Some(n) = m.neglected {
                    figure(ui, "Neglected", fmt::count(n));
                }
                if let Some(p) = m.penetration_pct {
                    figure(ui, "Penetration", format!("{p:.1}%"));
                }
                ui.end_row();
            }
        });
    if m.balance_units != m.territories.len() {
        ui.label(RichText::new(m.units_summary()).small().weak());
    }
    if m.unlocated.count > 0 {
        let hint = format!(
            "{} account(s) have no location (no coordinates, no known postal code) and are \
             not on the map. Fix them in the CRM export and re-import, or pin them to a \
             territory.",
            fmt::count(m.unlocated.count)
        );
        egui::Frame::new()
            .fill(ui.visuals().warn_fg_color.gamma_multiply(0.12))
            .corner_radius(6)
            .inner_margin(8)
            .show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    warning_icon(ui);
                    ui.vertical(|ui| {
                        ui.add(
                            Label::new(RichText::new(hint).color(ui.visuals().strong_text_color()))
                                .wrap(),
                        );
                        if ui.button("List them…").clicked() {
                            out.push(Command::OpenLeftOut(super::LeftOutFilter::Unlocated));
                        }
                    });
                });
            });
    }
    out
}

/// The activity column that marks neglected accounts: none, a measure
/// (zero or missing = neglected) or a text column (empty = neglected).
/// The new settings once changed. `widths`: of the caption (which wraps)
/// and of the chooser, as the other settings rows.
fn activity_row(
    ui: &mut Ui,
    ws: &Workspace,
    settings: &PlanSettings,
    widths: [f32; 2],
) -> Option<PlanSettings> {
    let a = &ws.project().accounts;
    let columns: Vec<String> = a
        .measures
        .iter()
        .map(|m| m.name.clone())
        .chain(a.attributes.iter().map(|c| c.name.clone()))
        .collect();
    let label = ui
        .allocate_ui(egui::vec2(widths[0], 0.0), |ui| {
            ui.add(Label::new("Activity column").wrap())
        })
        .inner;
    let current = settings.activity.clone();
    let mut chosen = None;
    ComboBox::from_id_salt("activity_column")
        .width(widths[1])
        .truncate()
        .selected_text(current.as_deref().unwrap_or("None"))
        .show_ui(ui, |ui| {
            if ui.selectable_label(current.is_none(), "None").clicked() {
                chosen = Some(None);
            }
            for c in columns {
                let on = current.as_deref() == Some(c.as_str());
                if ui.selectable_label(on, &c).clicked() {
                    chosen = Some(Some(c));
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(
            "Accounts whose value here is zero or empty count as neglected, per territory",
        );
    ui.end_row();
    chosen
        .filter(|c| *c != current)
        .map(|activity| PlanSettings {
            activity,
            ..settings.clone()
        })
}

/// The combo box caption of a balance measure.
fn measure_caption(b: &BalanceMeasure) -> String {
    match b {
        BalanceMeasure::Count => "Account count".into(),
        BalanceMeasure::Measure(m) => m.clone(),
    }
}

/// The selected territory's drive time from its rep's home (or why there
/// is none yet), and a button for rings around that home.
fn drive_rows(ui: &mut Ui, cx: &DetailsContext<'_>, id: TerritoryId) -> Vec<Command> {
    use crate::app::drive::DriveStatus;
    let p = cx.ws.project();
    let Some(home) = crate::core::drive::home_of(p, id) else {
        return Vec::new();
    };
    let who = p
        .reps
        .iter()
        .find(|r| r.home == Some(home))
        .map_or_else(|| "the rep".to_owned(), |r| r.name.clone());
    let figures = cx.metrics.territory(id).and_then(|t| t.drive);
    Grid::new("territory_drive")
        .num_columns(3)
        .spacing([12.0, 6.0])
        .show(ui, |ui| match (&figures, &cx.drive) {
            (Some(d), status) => {
                let note = if *status == DriveStatus::Updating {
                    "updating…".to_owned()
                } else {
                    format!("from {who}'s home")
                };
                kv(ui, "Drive time", fmt::drive_time(d), Some(note));
                kv(ui, "Road distance", fmt::road_distance(d, cx.units), None);
            }
            (None, DriveStatus::Failed(e)) => kv(ui, "Drive time", "—", Some(e.clone())),
            (None, DriveStatus::Loading | DriveStatus::Updating) => {
                kv(
                    ui,
                    "Drive time",
                    "…",
                    Some("loading the road network".into()),
                );
            }
            (None, _) => kv(ui, "Drive time", "—", Some("no located accounts".into())),
        });
    ui.add_space(4.0);
    let mut out = Vec::new();
    if ui
        .button(format!("Drive-time rings from {who}'s home"))
        .on_hover_text("Where one can drive from the home in 30, 60, 90 minutes (editable)")
        .clicked()
    {
        out.push(Command::DriveRings(home, format!("{who}'s home")));
    }
    ui.add_space(4.0);
    out
}
