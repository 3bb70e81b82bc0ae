//! The About window: version, licence and the credits and notices of the
//! bundled data (the licences of GeoNames and OS Code-Point Open require
//! them to be shown).

use egui::{RichText, ScrollArea};

/// The About window; open while [`AboutWindow::open`] is true.
#[derive(Debug, Default)]
pub struct AboutWindow {
    /// Shown this frame.
    pub open: bool,
}

impl AboutWindow {
    /// Draws the window while it is open; its close button closes it.
    pub fn ui(&mut self, ctx: &egui::Context) {
        if !self.open {
            return;
        }
        egui::Window::new("About Turfmap")
            .open(&mut self.open)
            .collapsible(false)
            .resizable(true)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.heading(format!("Turfmap {}", env!("CARGO_PKG_VERSION")));
                ui.label(env!("CARGO_PKG_DESCRIPTION"));
                ui.label(format!("Licence: {}", env!("CARGO_PKG_LICENSE")));
                ui.add_space(8.0);
                ui.label(RichText::new("Bundled data").strong());
                ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    for line in crate::core::assets::DATA_NOTICES.lines() {
                        ui.label(line);
                    }
                });
            });
    }
}
