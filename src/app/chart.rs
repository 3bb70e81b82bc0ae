//! The balance chart: one bar per balance unit in its own colour, the mean as a
//! line and the ±tolerance band around it shaded, so an out-of-balance
//! territory stands out from across a room.
//!
//! Bars are horizontal, in plan order from the top, so that every
//! territory's name fits beside its bar.

use egui::{Color32, Stroke};
use egui_plot::{Axis, AxisHints, Bar, BarChart, GridMark, Plot, Span, VLine};

use crate::core::metrics::PlanMetrics;
use crate::core::numfmt;
use crate::core::{Project, TerritoryId};

use super::fmt;

/// The chart's data: `(name, balance value)` per balance unit (see
/// [`crate::core::metrics`]: leaves, and parents' own accounts as "Name
/// (own)"), in plan order. This is exactly what the bars show.
pub fn chart_bars(metrics: &PlanMetrics) -> Vec<(String, f64)> {
    metrics
        .territories
        .iter()
        .filter(|t| t.balance_unit)
        .map(|t| (bar_name(t), t.balance_value))
        .collect()
}

/// A bar's name: a parent judged on its own accounts says so.
fn bar_name(t: &crate::core::metrics::TerritoryMetrics) -> String {
    if t.has_children {
        format!("{} (own)", t.name)
    } else {
        t.name.clone()
    }
}

/// From this many territories on, the chart shows each territory's
/// deviation from the mean, sorted, so the outliers sit at the ends and
/// the band in the middle reads at a glance even when names cannot all
/// show.
pub const DEVIATION_CHART_FROM: usize = 50;

/// What the chart plots: per bar, the index into the metrics' territories
/// and the value; and where the mean line and the band are.
struct ChartRows {
    rows: Vec<(usize, f64)>,
    mean: f64,
    band: (f64, f64),
    /// Values are deviations in percent.
    deviation: bool,
}

fn chart_rows(metrics: &PlanMetrics) -> ChartRows {
    let tol = metrics.tolerance_pct;
    if metrics.balance_units >= DEVIATION_CHART_FROM {
        let mut rows: Vec<(usize, f64)> = metrics
            .territories
            .iter()
            .enumerate()
            .filter(|(_, t)| t.balance_unit)
            .map(|(i, t)| (i, t.deviation_pct))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        ChartRows {
            rows,
            mean: 0.0,
            band: (-tol, tol),
            deviation: true,
        }
    } else {
        let m = metrics.mean;
        ChartRows {
            rows: metrics
                .territories
                .iter()
                .enumerate()
                .filter(|(_, t)| t.balance_unit)
                .map(|(i, t)| (i, t.balance_value))
                .collect(),
            mean: m,
            band: (m * (1.0 - tol / 100.0), m * (1.0 + tol / 100.0)),
            deviation: false,
        }
    }
}

/// The value axis: round ticks far enough apart for their labels, with
/// thousands separators (or percentages), at any magnitude.
fn value_axis(width: f32, deviation: bool, font: f32) -> (AxisHints<'static>, usize) {
    // A label like "1,500,000" needs ~70 points at 13 pt.
    let max_ticks = ((width / (85.0 * font / 13.0)).floor() as usize).clamp(2, 12);
    let axis = AxisHints::new_x()
        .label_spacing(20.0..=21.0)
        .tick_label_font(egui::FontId::proportional(font))
        .formatter(move |mark, _| {
            let t = numfmt::tick(mark.value, mark.step_size);
            if deviation {
                if mark.value > 0.0 {
                    format!("+{t}%")
                } else {
                    format!("{t}%")
                }
            } else {
                t
            }
        });
    (axis, max_ticks)
}

/// Draws the chart filling `ui`; returns the territory whose bar was
/// clicked.
pub(crate) fn balance_chart(
    ui: &mut egui::Ui,
    metrics: &PlanMetrics,
    project: &Project,
    selected: Option<TerritoryId>,
) -> Option<TerritoryId> {
    let cr = chart_rows(metrics);
    let n = cr.rows.len();
    let text_color = ui.visuals().text_color();
    let plot_bars: Vec<Bar> = cr
        .rows
        .iter()
        .enumerate()
        .map(|(i, &(k, value))| {
            let t = &metrics.territories[k];
            let [r, g, b] = project
                .territory(TerritoryId(t.id))
                .map_or([128, 128, 128], |t| t.color);
            let fill = Color32::from_rgb(r, g, b);
            let bar = Bar::new(i as f64, value)
                .name(bar_name(t))
                .fill(fill)
                .width(0.72);
            if selected == Some(TerritoryId(t.id)) {
                bar.stroke(Stroke::new(2.5, text_color))
            } else {
                bar.stroke(Stroke::new(1.0, fill.gamma_multiply(0.7)))
            }
        })
        .collect();

    let measure = metrics.balance_measure.clone();
    let mean = metrics.mean;
    let values: Vec<f64> = metrics
        .territories
        .iter()
        .map(|t| t.balance_value)
        .collect();
    let order: Vec<usize> = cr.rows.iter().map(|r| r.0).collect();
    let chart = BarChart::new(format!("Balance ({measure})"), plot_bars)
        .horizontal()
        .element_formatter(Box::new(move |bar, _| {
            let i = bar.argument.round().max(0.0) as usize;
            let v = order
                .get(i)
                .and_then(|&k| values.get(k))
                .copied()
                .unwrap_or(bar.value);
            let dev = if mean != 0.0 {
                format!(" ({} vs mean)", fmt::signed_pct((v - mean) / mean * 100.0))
            } else {
                String::new()
            };
            format!("{}\n{measure}: {}{dev}", bar.name, fmt::value(v))
        }));
    // No text on the band itself: it would sit over the top bar, cut
    // short; the heading above the chart names the band.
    let band = Span::new("", cr.band.0..=cr.band.1)
        .axis(Axis::X)
        .fill(Color32::from_rgba_unmultiplied(60, 160, 90, 45))
        .border(Stroke::new(
            1.0,
            Color32::from_rgba_unmultiplied(60, 160, 90, 140),
        ));
    let mean_line = VLine::new("Mean", cr.mean)
        .color(Color32::from_rgb(200, 60, 40))
        .width(2.0);

    let names: Vec<String> = cr
        .rows
        .iter()
        .map(|&(k, _)| short(&bar_name(&metrics.territories[k]), 18))
        .collect();
    // Tick labels follow the body text (presentation mode enlarges it).
    let font = ui
        .style()
        .text_styles
        .get(&egui::TextStyle::Body)
        .map_or(13.0, |f| f.size * 13.0 / 16.0);
    // Names shrink to the room each bar has (down to 8 pt), so they show
    // in a short chart too; below that the hover card names the bar.
    let per_bar = (ui.available_height() - 40.0) / n.max(1) as f32;
    let name_font = font.min(per_bar * 0.85).max(8.0);
    let y_axis = AxisHints::new_y()
        // Names are short lines: show them down to one per line height.
        .label_spacing(name_font * 0.95..=name_font * 0.95 + 0.5)
        .tick_label_font(egui::FontId::proportional(name_font))
        .formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[i as usize].clone()
            } else {
                String::new()
            }
        });
    let (x_axis, max_ticks) = value_axis(ui.available_width() - 150.0, cr.deviation, font);
    let lo = cr
        .rows
        .iter()
        .map(|r| r.1)
        .fold(cr.band.0.min(0.0), f64::min);
    let hi = cr
        .rows
        .iter()
        .map(|r| r.1)
        .fold(cr.band.1.max(0.0), f64::max);
    let response = Plot::new("balance_chart")
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .invert_y(true)
        .show_grid([true, false])
        // The band and the mean always in view, whatever the bars.
        .include_x(lo)
        .include_x(hi)
        .include_y(-0.6)
        .include_y(n.max(1) as f64 - 0.4)
        .set_margin_fraction(egui::vec2(0.06, 0.0))
        .custom_x_axes(vec![x_axis])
        .custom_y_axes(vec![y_axis])
        .x_grid_spacer(move |input| {
            let t = numfmt::nice_ticks(input.bounds.0, input.bounds.1, max_ticks);
            let step = if t.len() > 1 { t[1] - t[0] } else { 1.0 };
            // No tick left of the smallest value the chart shows (a "-100"
            // in the margin of an all-positive chart reads as data).
            t.into_iter()
                .filter(|&v| v >= lo - step * 1e-6)
                .map(|value| GridMark {
                    value,
                    step_size: step,
                })
                .collect()
        })
        .y_grid_spacer(move |input| {
            let first = input.bounds.0.ceil().max(0.0) as usize;
            let last = input.bounds.1.floor().max(0.0) as usize;
            (first..=last.min(n.saturating_sub(1)))
                .map(|i| GridMark {
                    value: i as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        .label_formatter(|_| None)
        .show(ui, |plot_ui| {
            plot_ui.span(band);
            plot_ui.bar_chart(chart);
            plot_ui.vline(mean_line);
            plot_ui.pointer_coordinate()
        });
    describe(&response.response, metrics);

    if response.response.clicked()
        && let Some(p) = response.inner
    {
        let i = p.y.round();
        if (p.y - i).abs() <= 0.36 && i >= 0.0 && (i as usize) < n {
            let k = cr.rows[i as usize].0;
            return Some(TerritoryId(metrics.territories[k].id));
        }
    }
    None
}

/// The tick labels the value axis shows for values from `lo` to `hi` on a
/// chart `width` points wide (tests check them at big magnitudes).
pub fn axis_tick_labels(lo: f64, hi: f64, width: f32) -> Vec<String> {
    let max_ticks = ((width / 85.0).floor() as usize).clamp(2, 12);
    let t = numfmt::nice_ticks(lo, hi, max_ticks);
    let step = if t.len() > 1 { t[1] - t[0] } else { 1.0 };
    t.iter().map(|&v| numfmt::tick(v, step)).collect()
}

/// Describes the chart for screen readers (a plot has no text of its own).
fn describe(response: &egui::Response, metrics: &PlanMetrics) {
    let summary = format!(
        "Balance chart on {}: mean {}, {} of {} territories outside ±{}%",
        metrics.balance_measure,
        fmt::value(metrics.mean),
        metrics.out_of_tolerance,
        metrics.balance_units,
        fmt::pct_plain(metrics.tolerance_pct)
    );
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_description(summary);
    });
}

fn short(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_owned()
    } else {
        name.chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}
