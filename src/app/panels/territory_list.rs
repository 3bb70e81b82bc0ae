//! The territory list (left panel): one row per territory, sortable by
//! clicking a column header; clicking a row selects the territory.

use std::ops::Range;

use egui::{
    Align, Color32, CornerRadius, Label, Layout, Rect, RichText, Role, ScrollArea, Sense, Shape,
    Stroke, StrokeKind, Ui, WidgetInfo, vec2,
};

use crate::core::metrics::PlanMetrics;
use crate::core::{TerritoryId, Workspace};

use super::super::command::Command;
use super::super::state::Selection;
use super::super::tools::{Tools, territory_menu};
use super::{fmt, swatch};

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
    /// The deviation bar's share of the deviation column; the number sits
    /// beside it, never under it.
    bar: f32,
}

/// The widest figures the list shows, measured in the body font.
struct FigureWidths {
    /// The widest account count and its header.
    accounts: f32,
    /// The widest balance value and its header.
    balance: f32,
    /// The widest deviation text ("+75.7%", "−3.1% own").
    deviation: f32,
    /// The deviation column's header.
    deviation_header: f32,
}

impl FigureWidths {
    fn measure(ui: &Ui, metrics: &PlanMetrics) -> Self {
        let body = egui::TextStyle::Body.resolve(ui.style());
        let width = |text: String| {
            ui.painter()
                .layout_no_wrap(text, body.clone(), Color32::WHITE)
                .size()
                .x
        };
        // Headers are bold, a little wider than the same text in body.
        let header = |c: SortColumn| width(c.caption(&metrics.balance_measure)) * 1.08 + 2.0;
        let widest = |f: &dyn Fn(&crate::core::metrics::TerritoryMetrics) -> String| {
            metrics
                .territories
                .iter()
                .map(|t| width(f(t)))
                .fold(0.0_f32, f32::max)
        };
        Self {
            accounts: header(SortColumn::Accounts).max(widest(&|t| fmt::count(t.group.count))),
            balance: header(SortColumn::Balance).max(widest(&|t| fmt::value(t.balance_value))),
            deviation: widest(&|t| {
                let own = if t.has_children { " own" } else { "" };
                format!("{}{own}", fmt::signed_pct(t.deviation_pct))
            })
            .max(width("+100.0%".into())),
            deviation_header: header(SortColumn::Deviation),
        }
    }
}

impl Columns {
    /// Columns for a panel `width` wide. The name gets what the figures
    /// leave; a narrow panel (the default, so the map gets most of the
    /// window) leaves out the rep column (the row's tooltip names the rep)
    /// and shortens the deviation bar before the name is cut.
    fn new(width: f32, gap: f32, show_balance: bool, has_reps: bool, fig: &FigureWidths) -> Self {
        let swatch = 18.0;
        let accounts = fig.accounts.ceil();
        let balance = if show_balance {
            fig.balance.ceil()
        } else {
            0.0
        };
        let rep = if has_reps && width >= 460.0 {
            112.0
        } else {
            0.0
        };
        let shown = [rep, balance].iter().filter(|&&w| w > 0.0).count();
        let gaps = (3.0 + shown as f32) * gap;
        let number = fig.deviation.ceil() + 4.0;
        let fixed = swatch + rep + accounts + balance + number + gaps;
        // The bar takes up to 64 points, but never leaves the name fewer
        // than 120 (about 16 characters); below 24 points it is left out.
        let bar = (width - fixed - 120.0 - gap).clamp(0.0, 64.0);
        let bar = if bar < 24.0 { 0.0 } else { bar };
        let deviation =
            (number + if bar > 0.0 { bar + gap } else { 0.0 }).max(fig.deviation_header.ceil());
        Self {
            swatch,
            name: (width - fixed - deviation + number).max(60.0),
            rep,
            accounts,
            balance,
            deviation,
            bar,
        }
    }

    fn shown(&self, c: SortColumn) -> bool {
        match c {
            SortColumn::Balance => self.balance > 0.0,
            SortColumn::Rep => self.rep > 0.0,
            _ => true,
        }
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

/// The row clicked, the row under dragged accounts, each row's response.
type Rows = (
    Option<TerritoryId>,
    Option<TerritoryId>,
    Vec<(TerritoryId, egui::Response)>,
);

/// What the list draws from this frame (read-only).
struct ListContext<'a> {
    ws: &'a Workspace,
    metrics: &'a PlanMetrics,
    selection: &'a Selection,
    tools: &'a Tools,
}

/// The territory list's own state: its sort order and where it scrolled.
#[derive(Debug, Default)]
pub struct TerritoryList {
    /// How the list is sorted (`None`: plan order).
    pub sort: Option<SortOrder>,
    /// Scroll to this territory next frame (selected elsewhere).
    scroll_to: Option<TerritoryId>,
    /// The rows shown last frame (no scrolling when the target is in view).
    last_visible_rows: Range<usize>,
}

impl TerritoryList {
    /// The territories in the order the list shows them.
    pub fn order(&self, metrics: &PlanMetrics) -> Vec<TerritoryId> {
        territory_order(metrics, self.sort)
            .into_iter()
            .map(|k| TerritoryId(metrics.territories[k].id))
            .collect()
    }

    /// Brings `id` into view next frame, unless it is already visible.
    pub fn scroll_to(&mut self, id: Option<TerritoryId>) {
        self.scroll_to = id;
    }

    /// Draws the list. `tools` is the editing tools' state shared with the
    /// map: the row under dragged accounts becomes their drop target and a
    /// row's context menu queues tool actions. `busy`: a plan is loading.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        metrics: &PlanMetrics,
        selection: &Selection,
        tools: &mut Tools,
        busy: bool,
    ) -> Vec<Command> {
        ui.style_mut().interaction.selectable_labels = false;
        // Tight columns: every point between them is taken from the names.
        ui.spacing_mut().item_spacing.x = 4.0;
        // A resizable panel takes its content's width: claim all of it so the
        // panel keeps the width the user gave it whatever the rows hold.
        ui.take_available_width();
        ui.horizontal(|ui| {
            ui.heading("Territories");
            ui.label(
                RichText::new(format!("{}", metrics.territories.len()))
                    .color(ui.visuals().weak_text_color()),
            );
        });
        ui.add_space(4.0);
        if metrics.territories.is_empty() {
            empty_list(ui, busy);
            return Vec::new();
        }
        let gap = ui.spacing().item_spacing.x;
        let cols = Columns::new(
            ui.available_width(),
            gap,
            metrics.balance_measure != "count",
            metrics.territories.iter().any(|t| t.rep.is_some()),
            &FigureWidths::measure(ui, metrics),
        );
        self.header(ui, &cols, &metrics.balance_measure);
        ui.separator();
        let ctx = ListContext {
            ws,
            metrics,
            selection,
            tools,
        };
        let (clicked, hovered, rows) = self.rows(ui, &ctx, &cols);
        if hovered.is_some() {
            // Accounts dragged from the map would land here.
            tools.list_target = hovered;
        }
        for (id, row) in rows {
            row.context_menu(|ui| territory_menu(ui, ws, tools, id));
        }
        let Some(id) = clicked else {
            return Vec::new();
        };
        if ui.input(|i| i.modifiers.command) {
            vec![Command::ToggleTerritory(id)]
        } else {
            vec![
                Command::ClearMultiSelection,
                Command::SelectTerritory { id, zoom: true },
            ]
        }
    }

    /// The column headers; a click sorts by that column.
    fn header(&mut self, ui: &mut Ui, cols: &Columns, measure: &str) {
        let gap = ui.spacing().item_spacing.x;
        let mut clicked_column = None;
        ui.horizontal(|ui| {
            ui.add_space(cols.swatch + gap);
            for c in SortColumn::ALL.into_iter().filter(|c| cols.shown(*c)) {
                let right = !matches!(c, SortColumn::Name | SortColumn::Rep);
                let caption = c.caption(measure);
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
                    .on_hover_text(format!("Sort by {}", c.caption(measure).to_lowercase()))
                    .accessible_name(c.accessible_name());
                if r.clicked() {
                    clicked_column = Some(c);
                }
            }
        });
        if let Some(c) = clicked_column {
            self.sort = Some(SortOrder::clicked(self.sort, c));
        }
    }

    /// The visible rows: the row clicked, the row under dragged accounts,
    /// and every row's response (for its context menu).
    fn rows(&mut self, ui: &mut Ui, ctx: &ListContext<'_>, cols: &Columns) -> Rows {
        let metrics = ctx.metrics;
        let order = territory_order(metrics, self.sort);
        let tol = metrics.tolerance_pct;
        // One scale for every row so the bars compare; never narrower than
        // twice the tolerance, so the band stays visible.
        let scale = metrics
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(tol * 2.0, f64::max)
            .max(5.0);

        let row_step = ROW_H + ui.spacing().item_spacing.y;
        let mut scroll = ScrollArea::vertical()
            .id_salt("territory_list")
            .auto_shrink([false, false]);
        if let Some(id) = self.scroll_to.take()
            && let Some(pos) = order
                .iter()
                .position(|&k| metrics.territories[k].id == id.0)
            && !self.last_visible_rows.contains(&pos)
        {
            scroll = scroll.vertical_scroll_offset((pos as f32 - 2.0).max(0.0) * row_step);
        }
        let (mut clicked, mut hovered_id) = (None, None);
        let mut rows = Vec::new();
        scroll.show_rows(ui, ROW_H, order.len(), |ui, range| {
            self.last_visible_rows = range.clone();
            for &k in &order[range] {
                let (id, row, hovered) = Self::territory_row(ctx, ui, cols, k, tol, scale);
                if row.clicked() {
                    clicked = Some(id);
                }
                if hovered {
                    hovered_id = Some(id);
                }
                rows.push((id, row));
            }
        });
        (clicked, hovered_id, rows)
    }

    /// One row of the list: the territory, the row's response, and whether
    /// accounts dragged from the map are over it.
    fn territory_row(
        ctx: &ListContext<'_>,
        ui: &mut Ui,
        cols: &Columns,
        k: usize,
        tol: f64,
        scale: f64,
    ) -> (TerritoryId, egui::Response, bool) {
        let t = &ctx.metrics.territories[k];
        let id = TerritoryId(t.id);
        let territory = ctx.ws.project().territory(id);
        let color = territory.map_or([128, 128, 128], |t| t.color);
        let selected = ctx.selection.territory == Some(id)
            || (ctx.tools.territories.len() >= 2 && ctx.tools.territories.contains(&id));
        let delta = ctx.tools.drop_preview().map_or(0, |p| p.count_delta(id));
        let out = t.is_out(tol);

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
        if cols.shown(SortColumn::Rep) {
            cell(ui2, cols.rep, false, |ui| {
                ui.add(Label::new(t.rep.as_deref().unwrap_or("—")).truncate());
            });
        }
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
            if !t.balance_unit {
                // A parent with no accounts of its own is not judged.
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.weak("—"));
                return;
            }
            if cols.bar > 0.0 {
                deviation_bar(ui, cols.bar, t.deviation_pct, tol, scale);
            }
            // "own": a parent judged on the accounts none of its children hold.
            let own = if t.has_children { " own" } else { "" };
            let text = RichText::new(format!("{}{own}", fmt::signed_pct(t.deviation_pct)));
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
        let judged = match (t.balance_unit, t.has_children) {
            (false, _) => "not judged (no accounts of its own)".to_owned(),
            (true, true) => format!(
                "own accounts {} {}, {} from the mean",
                fmt::value(t.balance_value),
                ctx.metrics.balance_measure,
                fmt::signed_pct(t.deviation_pct)
            ),
            (true, false) => format!(
                "{} {}, {} from the mean",
                fmt::value(t.balance_value),
                ctx.metrics.balance_measure,
                fmt::signed_pct(t.deviation_pct)
            ),
        };
        let rep = t
            .rep
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let neglected = t
            .neglected
            .map(|n| format!("; {} neglected", fmt::count(n)))
            .unwrap_or_default();
        let drive = t
            .drive
            .map(|d| format!("; drive {}", fmt::drive_time(&d)))
            .unwrap_or_default();
        let row = row.on_hover_text(format!(
            "{}{rep}: {}, {judged}{}{neglected}{drive}",
            t.name,
            fmt::counted(t.group.count, "account", "accounts"),
            if out { " (outside tolerance)" } else { "" }
        ));
        let hovered = ctx.tools.dragged_accounts().is_some()
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
}

/// What an empty list says: loading, or how to add territories.
fn empty_list(ui: &mut Ui, busy: bool) {
    if busy {
        ui.label("Loading…");
        return;
    }
    ui.label("This plan has no territories yet.");
    ui.label(
        RichText::new("Use File > Import territories (GeoJSON, shapefile, KML/KMZ)… to add some.")
            .color(ui.visuals().weak_text_color()),
    );
}

/// A horizontal bar from the mean (centre) to the deviation, over the
/// shaded ±tolerance band; `scale` is the deviation at either end.
fn deviation_bar(ui: &mut Ui, width: f32, dev: f64, tol: f64, scale: f64) {
    let (rect, _) = ui.allocate_exact_size(vec2(width, 16.0), Sense::hover());
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
