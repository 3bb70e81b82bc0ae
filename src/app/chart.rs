//! The balance chart: one bar per territory in its own colour, the mean as a
//! line and the ±tolerance band around it shaded, so an out-of-balance
//! territory stands out from across a room.
//!
//! Bars are horizontal, in plan order from the top, so that every
//! territory's name fits beside its bar.

use egui::{Color32, Stroke};
use egui_plot::{Axis, AxisHints, Bar, BarChart, GridMark, Plot, Span, VLine};

use crate::core::metrics::PlanMetrics;
use crate::core::{Project, TerritoryId};

use super::fmt;

/// The chart's data: `(territory name, balance value)` per territory, in
/// plan order. This is exactly what the bars show.
pub fn chart_bars(metrics: &PlanMetrics) -> Vec<(String, f64)> {
    metrics
        .territories
        .iter()
        .map(|t| (t.name.clone(), t.balance_value))
        .collect()
}

/// Draws the chart filling `ui`; returns the territory whose bar was
/// clicked.
pub(crate) fn balance_chart(
    ui: &mut egui::Ui,
    metrics: &PlanMetrics,
    project: &Project,
    selected: Option<TerritoryId>,
) -> Option<TerritoryId> {
    let bars = chart_bars(metrics);
    let n = bars.len();
    let text_color = ui.visuals().text_color();
    let plot_bars: Vec<Bar> = bars
        .iter()
        .zip(&metrics.territories)
        .enumerate()
        .map(|(i, ((name, value), t))| {
            let [r, g, b] = project
                .territory(TerritoryId(t.id))
                .map_or([128, 128, 128], |t| t.color);
            let fill = Color32::from_rgb(r, g, b);
            let bar = Bar::new(i as f64, *value).name(name).fill(fill).width(0.72);
            if selected == Some(TerritoryId(t.id)) {
                bar.stroke(Stroke::new(2.5, text_color))
            } else {
                bar.stroke(Stroke::new(1.0, fill.gamma_multiply(0.7)))
            }
        })
        .collect();

    let measure = metrics.balance_measure.clone();
    let mean = metrics.mean;
    let chart = BarChart::new(format!("Balance ({measure})"), plot_bars)
        .horizontal()
        .element_formatter(Box::new(move |bar, _| {
            let dev = if mean != 0.0 {
                format!(
                    " ({} vs mean)",
                    fmt::signed_pct((bar.value - mean) / mean * 100.0)
                )
            } else {
                String::new()
            };
            format!("{}\n{measure}: {}{dev}", bar.name, fmt::value(bar.value))
        }));
    let tol = metrics.tolerance_pct / 100.0;
    let band = Span::new(
        format!("±{}% tolerance", fmt::pct_plain(metrics.tolerance_pct)),
        mean * (1.0 - tol)..=mean * (1.0 + tol),
    )
    .axis(Axis::X)
    .fill(Color32::from_rgba_unmultiplied(60, 160, 90, 45))
    .border(Stroke::new(
        1.0,
        Color32::from_rgba_unmultiplied(60, 160, 90, 140),
    ));
    let mean_line = VLine::new("Mean", mean)
        .color(Color32::from_rgb(200, 60, 40))
        .width(2.0);

    let names: Vec<String> = bars.iter().map(|(n, _)| short(n, 18)).collect();
    let y_axis = AxisHints::new_y()
        // Names are short lines: show them down to one per 13 px.
        .label_spacing(13.0..=16.0)
        .tick_label_font(egui::FontId::proportional(13.0))
        .formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[i as usize].clone()
            } else {
                String::new()
            }
        });
    let response = Plot::new("balance_chart")
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .invert_y(true)
        .show_grid([true, false])
        .include_x(0.0)
        .include_y(-0.6)
        .include_y(n.max(1) as f64 - 0.4)
        .set_margin_fraction(egui::vec2(0.06, 0.0))
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label_spacing(36.0..=48.0)
                .tick_label_font(egui::FontId::proportional(13.0))
                .formatter(|mark, _| fmt::compact(mark.value)),
        ])
        .custom_y_axes(vec![y_axis])
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
            return Some(TerritoryId(metrics.territories[i as usize].id));
        }
    }
    None
}

/// Describes the chart for screen readers (a plot has no text of its own).
fn describe(response: &egui::Response, metrics: &PlanMetrics) {
    let summary = format!(
        "Balance chart on {}: mean {}, {} of {} territories outside ±{}%",
        metrics.balance_measure,
        fmt::value(metrics.mean),
        metrics.out_of_tolerance,
        metrics.territories.len(),
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
