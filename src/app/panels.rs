//! The side panels: the territory list (left), and the plan summary with the
//! details of the selection (right).
//!
//! Every value shown next to a caption is also given the accessible text
//! "Caption: value", so a screen reader (and the UI tests) read it with its
//! meaning instead of a bare number.

use egui::{
    Align, Color32, ComboBox, CornerRadius, DragValue, Grid, Label, Layout, Rect, RichText, Role,
    ScrollArea, Sense, Shape, Stroke, StrokeKind, Ui, WidgetInfo, vec2,
};

use crate::core::TerritoryId;
use crate::core::edit::Edit;
use crate::core::metrics::PlanMetrics;
use crate::core::model::{BalanceMeasure, LocationSource, PlanSettings};

use super::{TurfmapApp, fmt};

/// A column of the territory list that it can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    /// Territory name (case-insensitive).
    Name,
    /// Rep name; territories without a rep last.
    Rep,
    /// Number of accounts.
    Accounts,
    /// Value of the balance measure.
    Balance,
    /// Deviation from the mean, signed (most under first when ascending).
    Deviation,
}

impl SortColumn {
    /// Every column, in display order.
    pub const ALL: [SortColumn; 5] = [
        SortColumn::Name,
        SortColumn::Rep,
        SortColumn::Accounts,
        SortColumn::Balance,
        SortColumn::Deviation,
    ];

    /// The header caption. The balance column is named after the measure.
    pub fn caption(self, balance_measure: &str) -> String {
        match self {
            SortColumn::Name => "Name".into(),
            SortColumn::Rep => "Rep".into(),
            SortColumn::Accounts => "Accounts".into(),
            SortColumn::Balance => balance_caption(balance_measure),
            SortColumn::Deviation => "Deviation".into(),
        }
    }

    /// Accessible name of the header button, e.g. "Sort by Accounts".
    /// Stable whatever the measure, so tests and screen readers find it.
    pub fn accessible_name(self) -> &'static str {
        match self {
            SortColumn::Name => "Sort by Name",
            SortColumn::Rep => "Sort by Rep",
            SortColumn::Accounts => "Sort by Accounts",
            SortColumn::Balance => "Sort by Balance",
            SortColumn::Deviation => "Sort by Deviation",
        }
    }

    /// Numbers sort largest first on the first click (that is what a
    /// planner looks for); text sorts A→Z.
    fn default_descending(self) -> bool {
        matches!(
            self,
            SortColumn::Accounts | SortColumn::Balance | SortColumn::Deviation
        )
    }
}

fn balance_caption(measure: &str) -> String {
    if measure == "count" {
        "Balance".into()
    } else {
        measure.to_owned()
    }
}

/// How the territory list is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortOrder {
    /// The column.
    pub column: SortColumn,
    /// Largest (or Z) first.
    pub descending: bool,
}

impl SortOrder {
    /// The order after clicking `column`'s header: the same column flips,
    /// another column starts in its natural direction.
    pub fn clicked(current: Option<SortOrder>, column: SortColumn) -> SortOrder {
        match current {
            Some(s) if s.column == column => SortOrder {
                column,
                descending: !s.descending,
            },
            _ => SortOrder {
                column,
                descending: column.default_descending(),
            },
        }
    }
}

/// Indices into `metrics.territories` in list order: plan order when
/// `sort` is `None`, else sorted stably (ties keep plan order).
pub fn territory_order(metrics: &PlanMetrics, sort: Option<SortOrder>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..metrics.territories.len()).collect();
    let Some(sort) = sort else { return order };
    let t = &metrics.territories;
    order.sort_by(|&a, &b| {
        let (ta, tb) = (&t[a], &t[b]);
        let ord = match sort.column {
            SortColumn::Name => ta.name.to_lowercase().cmp(&tb.name.to_lowercase()),
            SortColumn::Rep => match (&ta.rep, &tb.rep) {
                (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                // Territories without a rep stay at the end either way.
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
            SortColumn::Accounts => ta.group.count.cmp(&tb.group.count),
            SortColumn::Balance => ta.balance_value.total_cmp(&tb.balance_value),
            SortColumn::Deviation => ta.deviation_pct.total_cmp(&tb.deviation_pct),
        };
        if sort.descending { ord.reverse() } else { ord }
    });
    order
}

const ROW_H: f32 = 30.0;

/// Widths of the list's columns for a panel `width` wide.
struct Columns {
    swatch: f32,
    name: f32,
    rep: f32,
    accounts: f32,
    /// Zero (hidden) when balancing on the account count, which the
    /// Accounts column already shows.
    balance: f32,
    deviation: f32,
}

impl Columns {
    fn new(width: f32, gap: f32, show_balance: bool) -> Self {
        let (swatch, rep, accounts, deviation) = (18.0, 112.0, 72.0, 130.0);
        let balance = if show_balance { 120.0 } else { 0.0 };
        let gaps = if show_balance { 6.0 } else { 5.0 } * gap;
        let fixed = swatch + rep + accounts + balance + deviation + gaps;
        Self {
            swatch,
            name: (width - fixed).max(90.0),
            rep,
            accounts,
            balance,
            deviation,
        }
    }

    fn shown(&self, c: SortColumn) -> bool {
        c != SortColumn::Balance || self.balance > 0.0
    }

    fn width(&self, c: SortColumn) -> f32 {
        match c {
            SortColumn::Name => self.name,
            SortColumn::Rep => self.rep,
            SortColumn::Accounts => self.accounts,
            SortColumn::Balance => self.balance,
            SortColumn::Deviation => self.deviation,
        }
    }
}

/// Lays out `add` in a cell `width` wide and a row high.
fn cell<R>(ui: &mut Ui, width: f32, right: bool, add: impl FnOnce(&mut Ui) -> R) -> R {
    let layout = if right {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.allocate_ui_with_layout(vec2(width, ROW_H), layout, |ui| {
        ui.set_min_size(vec2(width, ROW_H));
        ui.set_max_width(width);
        add(ui)
    })
    .inner
}

/// A caption and its value in a two- or three-column grid; the value's
/// accessible text is "caption: value".
fn kv(ui: &mut Ui, key: &str, value: impl Into<RichText>, extra: Option<String>) {
    ui.label(RichText::new(key).color(ui.visuals().weak_text_color()));
    let value = value.into();
    let text = value.text().to_owned();
    let r = ui.add(Label::new(value).halign(Align::Max));
    let spoken = match &extra {
        Some(e) => format!("{key}: {text} ({e})"),
        None => format!("{key}: {text}"),
    };
    r.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
    match extra {
        Some(e) => {
            ui.label(
                RichText::new(e)
                    .small()
                    .color(ui.visuals().weak_text_color()),
            );
        }
        None => {
            ui.label("");
        }
    }
    ui.end_row();
}

/// A caption and its value, two grid cells, for the compact figures grid.
fn figure(ui: &mut Ui, key: &str, value: impl Into<RichText>) {
    ui.label(RichText::new(key).color(ui.visuals().weak_text_color()));
    let value = value.into();
    let spoken = format!("{key}: {}", value.text());
    let r = ui.label(value);
    r.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
}

fn color32([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

fn swatch(ui: &mut Ui, color: [u8; 3], size: f32) {
    let (rect, _) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    ui.painter()
        .rect_filled(rect, CornerRadius::same(3), color32(color));
    ui.painter().rect_stroke(
        rect,
        CornerRadius::same(3),
        Stroke::new(
            1.0,
            ui.visuals()
                .widgets
                .noninteractive
                .fg_stroke
                .color
                .gamma_multiply(0.5),
        ),
        StrokeKind::Inside,
    );
}

impl TurfmapApp {
    /// The territory list: one row per territory, sortable by clicking a
    /// column header; clicking a row selects the territory and frames it.
    pub(crate) fn territory_list(&mut self, ui: &mut Ui) {
        ui.style_mut().interaction.selectable_labels = false;
        // A resizable panel takes its content's width: claim all of it so the
        // panel keeps the width the user gave it whatever the rows hold.
        ui.take_available_width();
        ui.horizontal(|ui| {
            ui.heading("Territories");
            ui.label(
                RichText::new(format!("{}", self.metrics.territories.len()))
                    .color(ui.visuals().weak_text_color()),
            );
        });
        ui.add_space(4.0);
        if self.metrics.territories.is_empty() {
            if self.job.is_some() {
                ui.label("Loading…");
                return;
            }
            ui.label("This plan has no territories yet.");
            ui.label(
                RichText::new(
                    "Use File > Import territories (GeoJSON, shapefile, KML/KMZ)… to add some.",
                )
                .color(ui.visuals().weak_text_color()),
            );
            return;
        }

        let gap = ui.spacing().item_spacing.x;
        let measure = self.metrics.balance_measure.clone();
        let cols = Columns::new(ui.available_width(), gap, measure != "count");

        // Header.
        let mut clicked_column = None;
        ui.horizontal(|ui| {
            ui.add_space(cols.swatch + gap);
            for c in SortColumn::ALL.into_iter().filter(|c| cols.shown(*c)) {
                let right = !matches!(c, SortColumn::Name | SortColumn::Rep);
                let caption = c.caption(&measure);
                let active = self.sort.filter(|s| s.column == c).map(|s| s.descending);
                let r = cell(ui, cols.width(c), right, |ui| {
                    // Right-to-left cells add from the right: arrow outermost.
                    if right && let Some(desc) = active {
                        sort_arrow(ui, desc);
                    }
                    let r = ui.add(egui::Button::new(RichText::new(caption).strong()).frame(false));
                    if !right && let Some(desc) = active {
                        sort_arrow(ui, desc);
                    }
                    r
                });
                let r = r
                    .on_hover_text(format!("Sort by {}", c.caption(&measure).to_lowercase()))
                    .accessible_name(c.accessible_name());
                if r.clicked() {
                    clicked_column = Some(c);
                }
            }
        });
        if let Some(c) = clicked_column {
            self.sort = Some(SortOrder::clicked(self.sort, c));
        }
        ui.separator();

        let order = territory_order(&self.metrics, self.sort);
        let tol = self.metrics.tolerance_pct;
        // One scale for every row so the bars compare; never narrower than
        // twice the tolerance, so the band stays visible.
        let scale = self
            .metrics
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(tol * 2.0, f64::max)
            .max(5.0);

        let row_step = ROW_H + ui.spacing().item_spacing.y;
        let mut scroll = ScrollArea::vertical()
            .id_salt("territory_list")
            .auto_shrink([false, false]);
        if let Some(id) = self.list_scroll_to.take()
            && let Some(pos) = order
                .iter()
                .position(|&k| self.metrics.territories[k].id == id.0)
            && !self.last_visible_rows.contains(&pos)
        {
            scroll = scroll.vertical_scroll_offset((pos as f32 - 2.0).max(0.0) * row_step);
        }
        let mut clicked = None;
        let mut rows = Vec::new();
        scroll.show_rows(ui, ROW_H, order.len(), |ui, range| {
            self.last_visible_rows = range.clone();
            for &k in &order[range] {
                let (id, row, hovered) = self.territory_row(ui, &cols, k, tol, scale);
                if row.clicked() {
                    clicked = Some(id);
                }
                if hovered {
                    // Accounts dragged from the map would land here.
                    self.tools.list_target = Some(id);
                }
                rows.push((id, row));
            }
        });
        for (id, row) in rows {
            row.context_menu(|ui| {
                super::tools::territory_menu(ui, &self.ws, &mut self.tools, id);
            });
        }
        if let Some(id) = clicked {
            if ui.input(|i| i.modifiers.command) {
                self.toggle_territory(id);
            } else {
                self.tools.territories.clear();
                self.select_territory(id, true);
            }
        }
        self.run_tool_actions();
    }

    /// One row of the list: the territory, the row's response, and whether
    /// accounts dragged from the map are over it.
    fn territory_row(
        &self,
        ui: &mut Ui,
        cols: &Columns,
        k: usize,
        tol: f64,
        scale: f64,
    ) -> (TerritoryId, egui::Response, bool) {
        let t = &self.metrics.territories[k];
        let id = TerritoryId(t.id);
        let territory = self.ws.project().territory(id);
        let color = territory.map_or([128, 128, 128], |t| t.color);
        let selected = self.selection.territory == Some(id)
            || (self.tools.territories.len() >= 2 && self.tools.territories.contains(&id));
        let delta = self.tools.drop_preview().map_or(0, |p| p.count_delta(id));
        let out = t.deviation_pct.abs() > tol + 1e-9;

        let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), ROW_H), Sense::hover());
        // Reserve the background now, paint it once the row's state is known.
        let bg = ui.painter().add(Shape::Noop);
        let mut row_ui = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(rect)
                .layout(Layout::left_to_right(Align::Center)),
        );
        let ui2 = &mut row_ui;
        cell(ui2, cols.swatch, false, |ui| swatch(ui, color, 16.0));
        let name_label = cell(ui2, cols.name, false, |ui| {
            let mut text = RichText::new(&t.name);
            if selected {
                text = text.strong();
            }
            let r = ui.add(Label::new(text).truncate());
            if territory.is_some_and(|t| t.locked) {
                ui.label(
                    RichText::new("locked")
                        .small()
                        .color(ui.visuals().weak_text_color()),
                );
            }
            r
        });
        cell(ui2, cols.rep, false, |ui| {
            ui.add(Label::new(t.rep.as_deref().unwrap_or("—")).truncate());
        });
        cell(ui2, cols.accounts, true, |ui| {
            if delta == 0 {
                ui.label(fmt::count(t.group.count));
            } else {
                // What the count would become if the dragged accounts
                // were let go now.
                let after = (t.group.count as i64 + delta).max(0) as u64;
                let color = if delta > 0 {
                    Color32::from_rgb(20, 130, 50)
                } else {
                    Color32::from_rgb(190, 60, 20)
                };
                ui.label(
                    RichText::new(format!("{} ({delta:+})", fmt::count(after)))
                        .color(color)
                        .strong(),
                );
            }
        });
        if cols.shown(SortColumn::Balance) {
            cell(ui2, cols.balance, true, |ui| {
                ui.label(fmt::value(t.balance_value));
            });
        }
        cell(ui2, cols.deviation, false, |ui| {
            deviation_bar(ui, t.deviation_pct, tol, scale);
            let text = RichText::new(fmt::signed_pct(t.deviation_pct));
            let text = if out {
                text.color(ui.visuals().warn_fg_color).strong()
            } else {
                text
            };
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.label(text));
        });

        // The row is the click target, on top of its cells; it is named by
        // the name cell so assistive tech reads the territory's name.
        let row = ui.interact(
            rect,
            ui.scope_id().with(("territory_row", t.id)),
            Sense::click(),
        );
        row.widget_info(|| WidgetInfo::selected(Role::Button, true, selected, &t.name));
        let row = row.labelled_by(name_label.id);
        let fill = if selected {
            ui.visuals().selection.bg_fill.gamma_multiply(0.6)
        } else if row.hovered() {
            ui.visuals().widgets.hovered.weak_bg_fill
        } else if k % 2 == 1 {
            ui.visuals().faint_bg_color
        } else {
            Color32::TRANSPARENT
        };
        ui.painter().set(
            bg,
            egui::epaint::RectShape::filled(rect, CornerRadius::same(4), fill),
        );
        let row = row.on_hover_text(format!(
            "{}: {} accounts, {} {}, {} from the mean{}",
            t.name,
            fmt::count(t.group.count),
            fmt::value(t.balance_value),
            self.metrics.balance_measure,
            fmt::signed_pct(t.deviation_pct),
            if out { " (outside tolerance)" } else { "" }
        ));
        let hovered = self.tools.dragged_accounts().is_some()
            && ui
                .input(|i| i.pointer.interact_pos())
                .is_some_and(|p| rect.intersect(ui.clip_rect()).contains(p));
        if hovered {
            ui.painter().rect_stroke(
                rect,
                CornerRadius::same(4),
                Stroke::new(2.5, Color32::from_rgb(255, 196, 0)),
                StrokeKind::Inside,
            );
        }
        (id, row, hovered)
    }

    /// The right panel: plan summary (balance settings and figures), then
    /// the selected account or territory.
    pub(crate) fn details_panel(&mut self, ui: &mut Ui) {
        ui.take_available_width();
        ScrollArea::vertical()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.plan_summary(ui);
                ui.add_space(8.0);
                ui.separator();
                ui.add_space(4.0);
                self.selection_controls(ui);
                if let Some(i) = self.selection.account {
                    self.account_details(ui, i);
                } else if let Some(id) = self.selection.territory {
                    self.territory_details(ui, id);
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
                ui.add_space(8.0);
                ui.separator();
                self.history_panel(ui);
            });
    }

    fn plan_summary(&mut self, ui: &mut Ui) {
        ui.heading("Plan");
        let m = &self.metrics;
        let settings = self.ws.project().settings.clone();
        let mut new_settings = None;

        Grid::new("plan_settings")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let label = ui.label("Balance measure");
                let current = settings.balance.clone();
                let measures: Vec<String> = self
                    .ws
                    .project()
                    .accounts
                    .measures
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                let mut chosen = None;
                let combo = ComboBox::from_id_salt("balance_measure")
                    .width(170.0)
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

                let label = ui.label("Tolerance (±%)");
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
            });
        ui.add_space(6.0);

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
        Grid::new("plan_figures")
            .num_columns(4)
            .spacing([10.0, 6.0])
            .show(ui, |ui| {
                let warn = ui.visuals().warn_fg_color;
                let flag = |text: String, bad: bool| {
                    let t = RichText::new(text);
                    if bad { t.color(warn).strong() } else { t }
                };
                figure(ui, "Territories", fmt::count(m.territories.len() as u64));
                figure(ui, "Accounts", fmt::count(m.total.count));
                ui.end_row();
                figure(ui, "CV", format!("{:.1}%", m.cv_pct));
                figure(
                    ui,
                    "Max / min",
                    m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
                );
                ui.end_row();
                figure(ui, "Unassigned", fmt::count(m.unassigned.count));
                figure(
                    ui,
                    "Unlocated",
                    flag(fmt::count(m.unlocated.count), m.unlocated.count > 0),
                );
                ui.end_row();
                figure(
                    ui,
                    &format!("Outside ±{}%", fmt::pct_plain(m.tolerance_pct)),
                    flag(
                        format!("{} of {}", m.out_of_tolerance, m.territories.len()),
                        m.out_of_tolerance > 0,
                    ),
                );
                ui.end_row();
            });
        if m.unlocated.count > 0 {
            let hint = format!(
                "{} account(s) have no location (no coordinates, no known ZIP) and are not \
                 on the map. Fix them in the CRM export and re-import, or pin them to a \
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
                        ui.add(
                            Label::new(RichText::new(hint).color(ui.visuals().strong_text_color()))
                                .wrap(),
                        );
                    });
                });
        }

        if let Some(settings) = new_settings {
            self.remember_balance_measure(&settings.balance);
            self.apply(Edit::SetSettings { settings });
        }
    }

    fn territory_details(&mut self, ui: &mut Ui, id: TerritoryId) {
        let Some(t) = self.metrics.territory(id).cloned() else {
            return;
        };
        let territory = self.ws.project().territory(id);
        let color = territory.map_or([128, 128, 128], |t| t.color);
        let locked = territory.is_some_and(|t| t.locked);
        ui.horizontal(|ui| {
            swatch(ui, color, 20.0);
            ui.heading(&t.name);
        });
        ui.add_space(4.0);
        let tol = self.metrics.tolerance_pct;
        Grid::new("territory_details")
            .num_columns(3)
            .spacing([12.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                kv(ui, "Rep", t.rep.clone().unwrap_or_else(|| "—".into()), None);
                let share = |k: usize| t.share_pct.get(k).map(|p| format!("{p:.1}% of plan"));
                kv(ui, "Accounts", fmt::count(t.group.count), share(0));
                for (m, name) in self.metrics.measures.iter().enumerate() {
                    let sum = t.group.sums.get(m).copied().unwrap_or(0.0);
                    kv(ui, name, fmt::value(sum), share(m + 1));
                }
                kv(
                    ui,
                    "Balance value",
                    fmt::value(t.balance_value),
                    Some(self.metrics.balance_measure.clone()),
                );
                let out = t.deviation_pct.abs() > tol + 1e-9;
                let dev = RichText::new(fmt::signed_pct(t.deviation_pct));
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
                let units = self.settings.units;
                let area = fmt::value(units.area_from_km2(t.area_km2));
                kv(ui, "Area", format!("{area} {}", units.area_label()), None);
                kv(
                    ui,
                    "Compactness",
                    format!("{:.2}", t.compactness),
                    Some("1 = circle".into()),
                );
                if locked {
                    kv(ui, "Locked", "yes", None);
                }
            });
        ui.add_space(8.0);
        self.territory_edit_controls(ui, id);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Zoom to territory").clicked() {
                self.map.zoom_to_territory(&self.ws, id);
            }
            if ui.button("Clear selection").clicked() {
                self.selection = Default::default();
            }
        });
    }

    fn account_details(&mut self, ui: &mut Ui, i: usize) {
        let p = self.ws.project();
        let a = &p.accounts;
        if i >= a.len() {
            return;
        }
        let territory = self.ws.engine().territory_of(i);
        let reason = self.ws.engine().reason(i);
        ui.heading(&a.names[i]);
        ui.add_space(4.0);
        let mut go_to = None;
        let mut unpin = false;
        Grid::new("account_details")
            .num_columns(3)
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
                    LocationSource::PostalCode => Some("ZIP centroid".to_owned()),
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
            if self.ws.engine().pin_of(p, i).is_some() && ui.button("Unpin").clicked() {
                unpin = true;
            }
            if ui.button("Clear selection").clicked() {
                self.selection = Default::default();
            }
        });
        if unpin {
            self.unpin_accounts(&[i]);
        }
        if let Some(id) = go_to {
            self.select_territory(id, true);
        }
    }
}

/// The combo box caption of a balance measure.
fn measure_caption(b: &BalanceMeasure) -> String {
    match b {
        BalanceMeasure::Count => "Account count".into(),
        BalanceMeasure::Measure(m) => m.clone(),
    }
}

/// A horizontal bar from the mean (centre) to the deviation, over the
/// shaded ±tolerance band; `scale` is the deviation at either end.
fn deviation_bar(ui: &mut Ui, dev: f64, tol: f64, scale: f64) {
    let (rect, _) = ui.allocate_exact_size(vec2(62.0, 16.0), Sense::hover());
    let painter = ui.painter();
    let x = |d: f64| {
        let f = (d / scale).clamp(-1.0, 1.0) as f32;
        rect.center().x + f * rect.width() / 2.0
    };
    painter.rect_filled(rect, CornerRadius::same(3), ui.visuals().extreme_bg_color);
    let band = Rect::from_x_y_ranges(x(-tol)..=x(tol), rect.y_range());
    painter.rect_filled(
        band,
        CornerRadius::ZERO,
        Color32::from_rgba_unmultiplied(60, 160, 90, 60),
    );
    let out = dev.abs() > tol + 1e-9;
    let color = if out {
        ui.visuals().warn_fg_color
    } else {
        Color32::from_rgb(70, 130, 180)
    };
    let (a, b) = (x(0.0), x(dev));
    let bar = Rect::from_x_y_ranges(
        a.min(b)..=a.max(b).max(a.min(b) + 1.0),
        rect.shrink2(vec2(0.0, 3.0)).y_range(),
    );
    painter.rect_filled(bar, CornerRadius::same(2), color);
    painter.line_segment(
        [
            egui::pos2(x(0.0), rect.top()),
            egui::pos2(x(0.0), rect.bottom()),
        ],
        Stroke::new(1.5, ui.visuals().text_color()),
    );
}

/// A small triangle showing the sort direction (the default fonts have no
/// arrow glyphs).
fn sort_arrow(ui: &mut Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
    let c = rect.center();
    let (h, w) = (4.0, 5.0);
    let points = if descending {
        vec![
            egui::pos2(c.x - w, c.y - h),
            egui::pos2(c.x + w, c.y - h),
            egui::pos2(c.x, c.y + h),
        ]
    } else {
        vec![
            egui::pos2(c.x - w, c.y + h),
            egui::pos2(c.x + w, c.y + h),
            egui::pos2(c.x, c.y - h),
        ]
    };
    ui.painter().add(Shape::convex_polygon(
        points,
        ui.visuals().strong_text_color(),
        Stroke::NONE,
    ));
}

/// A warning sign drawn with shapes (the default fonts have no ⚠ glyph).
pub(crate) fn warning_icon(ui: &mut Ui) {
    let (rect, _) = ui.allocate_exact_size(vec2(20.0, 18.0), Sense::hover());
    let color = ui.visuals().warn_fg_color;
    let points = vec![
        egui::pos2(rect.center().x, rect.top() + 1.0),
        egui::pos2(rect.right() - 1.0, rect.bottom() - 1.0),
        egui::pos2(rect.left() + 1.0, rect.bottom() - 1.0),
    ];
    ui.painter()
        .add(Shape::convex_polygon(points, color, Stroke::NONE));
    ui.painter().text(
        egui::pos2(rect.center().x, rect.bottom() - 1.5),
        egui::Align2::CENTER_BOTTOM,
        "!",
        egui::FontId::proportional(13.0),
        Color32::WHITE,
    );
}
