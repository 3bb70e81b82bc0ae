//! The History section of the details panel, and the dialog offering a
//! recovery copy at start-up.

use egui::{Button, Id, Modal, RichText, Ui};

use crate::core::Workspace;

use super::super::command::Command;
use super::super::history::{RecoveryOffer, ago};

/// The collapsible History section (its open state lives in egui's memory).
#[derive(Debug, Default)]
pub struct HistoryPanel;

impl HistoryPanel {
    /// Undo/Redo buttons, the undo stack (newest first) and, greyed, what
    /// can be redone.
    pub fn ui(&mut self, ui: &mut Ui, ws: &Workspace) -> Vec<Command> {
        let mut out = Vec::new();
        egui::CollapsingHeader::new("History")
            .default_open(true)
            .show(ui, |ui| {
                let (mut undo, mut redo) = (false, false);
                ui.horizontal(|ui| {
                    let can_undo = ws.undo_labels().next().is_some();
                    let can_redo = ws.redo_labels().next().is_some();
                    undo = ui.add_enabled(can_undo, Button::new("Undo")).clicked();
                    redo = ui.add_enabled(can_redo, Button::new("Redo")).clicked();
                });
                let weak = ui.visuals().weak_text_color();
                let undo_labels: Vec<&str> = ws.undo_labels().collect();
                let redo_labels: Vec<&str> = ws.redo_labels().collect();
                if undo_labels.is_empty() && redo_labels.is_empty() {
                    ui.label(RichText::new("No changes yet").color(weak));
                }
                // Redo entries above (they come "after" the current state),
                // next-to-redo lowest, then the undo stack newest first.
                for label in &redo_labels {
                    ui.label(RichText::new(*label).color(weak).italics())
                        .on_hover_text("Undone: Redo brings it back");
                }
                for (k, label) in undo_labels.iter().rev().enumerate() {
                    let text = RichText::new(*label);
                    ui.label(if k == 0 { text.strong() } else { text });
                }
                if undo {
                    out.push(Command::Undo);
                } else if redo {
                    out.push(Command::Redo);
                }
            });
        out
    }
}

/// "Restore unsaved changes from …?" with Restore / Discard.
#[derive(Debug, Default)]
pub struct RecoveryDialog;

impl RecoveryDialog {
    /// Shows the dialog for `offer`; returns the user's answer.
    pub fn ui(&mut self, ctx: &egui::Context, offer: &RecoveryOffer) -> Vec<Command> {
        let (mut restore, mut discard) = (false, false);
        Modal::new(Id::unique("recovery")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Unsaved changes found");
            ui.add_space(6.0);
            let name = match offer.marker.name.as_str() {
                "" => "an untitled plan".to_owned(),
                n => format!("'{n}'"),
            };
            ui.label(format!(
                "Restore unsaved changes to {name} from {}?",
                ago(offer.marker.saved_at)
            ));
            if let Some(p) = &offer.marker.original {
                ui.label(
                    RichText::new(format!("Its file: {}", p.display()))
                        .color(ui.visuals().weak_text_color()),
                );
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                restore = ui.button("Restore").clicked();
                discard = ui.button("Discard").clicked();
            });
        });
        if restore {
            vec![Command::RestoreRecovery]
        } else if discard {
            vec![Command::DiscardRecoveryOffer]
        } else {
            Vec::new()
        }
    }
}
