//! The status bar: the plan's file, whether it is saved, its size, and the
//! last message.

use egui::{RichText, Ui};

use crate::core::Workspace;
use crate::core::metrics::PlanMetrics;

use super::super::command::Command;
use super::fmt;

/// The status bar (no state of its own: the message belongs to the app).
#[derive(Debug, Default)]
pub struct StatusBar;

impl StatusBar {
    /// Draws the bar; the "×" next to `notice` dismisses it.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        metrics: &PlanMetrics,
        notice: Option<&str>,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        ui.horizontal(|ui| {
            let weak = ui.visuals().weak_text_color();
            match ws.path() {
                Some(p) => ui.label(RichText::new(p.display().to_string()).color(weak)),
                None => ui.label(RichText::new("Not saved to a file yet").color(weak)),
            };
            ui.separator();
            if ws.is_dirty() {
                ui.label(RichText::new("• Unsaved changes").color(ui.visuals().warn_fg_color));
                ui.separator();
            } else if ws.path().is_some() {
                ui.label(RichText::new("Saved").color(weak));
                ui.separator();
            }
            ui.label(
                RichText::new(format!(
                    "{} accounts · {} territories",
                    fmt::count(metrics.total.count),
                    metrics.territories.len()
                ))
                .color(weak),
            );
            if let Some(notice) = notice {
                ui.separator();
                ui.add(egui::Label::new(notice).truncate());
                if ui
                    .small_button("×")
                    .on_hover_text("Dismiss")
                    .accessible_name("Dismiss message")
                    .clicked()
                {
                    out.push(Command::DismissNotice);
                }
            }
        });
        out
    }
}
