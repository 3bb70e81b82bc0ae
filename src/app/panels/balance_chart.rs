//! The balance chart panel (bottom): one bar per territory against the
//! mean and the tolerance band; clicking a bar selects its territory.

use egui::{RichText, Ui};

use crate::core::Workspace;
use crate::core::metrics::PlanMetrics;

use super::super::chart;
use super::super::command::Command;
use super::super::state::Selection;
use super::fmt;

/// The balance chart (its zoom and hover live in egui_plot's memory).
#[derive(Debug, Default)]
pub struct BalanceChart;

impl BalanceChart {
    /// Draws the heading and the chart; a clicked bar selects and frames
    /// its territory.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        metrics: &PlanMetrics,
        selection: &Selection,
    ) -> Vec<Command> {
        ui.horizontal(|ui| {
            ui.heading("Balance");
            ui.label(
                RichText::new(format!(
                    "{} per territory · mean line · ±{}% band",
                    metrics.balance_measure,
                    fmt::pct_plain(metrics.tolerance_pct)
                ))
                .color(ui.visuals().weak_text_color()),
            );
        });
        let clicked = chart::balance_chart(ui, metrics, ws.project(), selection.territory);
        clicked
            .map(|id| Command::SelectTerritory { id, zoom: true })
            .into_iter()
            .collect()
    }
}
