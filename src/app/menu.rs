//! The menu bar, keyboard shortcuts and the status bar.

use egui::{Button, Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::{Action, TurfmapApp, files, fmt};

const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
const SAVE_AS: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

impl TurfmapApp {
    pub(crate) fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        // Shift variants first: consume_shortcut ignores extra Shift.
        let pressed = |s: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(s));
        if pressed(&SAVE_AS) {
            self.save_as(None);
        } else if pressed(&SAVE) {
            self.save(None);
        } else if pressed(&OPEN) {
            self.request(Action::OpenDialog);
        } else if pressed(&NEW) {
            self.request(Action::NewPlan);
        } else if pressed(&QUIT) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        // A text field being edited has its own undo.
        if !ctx.egui_wants_keyboard_input() {
            if pressed(&REDO) || pressed(&REDO_Y) {
                self.redo();
            } else if pressed(&UNDO) {
                self.undo();
            } else if ctx.input(|i| i.key_pressed(Key::Escape)) {
                self.selection = Default::default();
            }
        }
    }

    pub(crate) fn menu_bar(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        let sc = |s: &KeyboardShortcut| ctx.format_shortcut(s);
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(Button::new("New plan from CSV…").shortcut_text(sc(&NEW)))
                    .clicked()
                {
                    self.request(Action::NewPlan);
                }
                if ui
                    .add(Button::new("Open…").shortcut_text(sc(&OPEN)))
                    .clicked()
                {
                    self.request(Action::OpenDialog);
                }
                ui.menu_button("Open recent", |ui| {
                    self.recent.prune();
                    if self.recent.entries().is_empty() {
                        ui.add_enabled(false, Button::new("No recent plans"));
                    }
                    let mut chosen = None;
                    for path in self.recent.entries() {
                        let name = path.file_name().map_or_else(
                            || path.display().to_string(),
                            |n| n.to_string_lossy().into(),
                        );
                        if ui
                            .button(name)
                            .on_hover_text(path.display().to_string())
                            .clicked()
                        {
                            chosen = Some(path.clone());
                        }
                    }
                    if let Some(path) = chosen {
                        self.request(Action::Open(path));
                    }
                });
                if ui.button("Open sample plan").clicked() {
                    self.request(Action::OpenSample);
                }
                ui.separator();
                if ui
                    .add(Button::new("Save").shortcut_text(sc(&SAVE)))
                    .clicked()
                {
                    self.save(None);
                }
                if ui
                    .add(Button::new("Save as…").shortcut_text(sc(&SAVE_AS)))
                    .clicked()
                {
                    self.save_as(None);
                }
                ui.separator();
                if ui.button("Import territories (GeoJSON, shapefile, KML/KMZ)…").clicked()
                    && let Some(path) = files::dialogs::pick_territories(self.ws.path())
                {
                    self.import_territories_from(path);
                }
                let stem = match self.ws.project().name.as_str() {
                    "" => "plan".to_owned(),
                    n => n.to_owned(),
                };
                if ui.button("Export assignments (CSV)…").clicked()
                    && let Some(path) = files::dialogs::save_as(
                        "Export assignments",
                        "CSV",
                        "csv",
                        &format!("{stem}-assignments"),
                        self.ws.path(),
                    )
                {
                    self.export_assignments_to(path);
                }
                if ui.button("Export territories (GeoJSON)…").clicked()
                    && let Some(path) = files::dialogs::save_as(
                        "Export territories",
                        "GeoJSON",
                        "geojson",
                        &format!("{stem}-territories"),
                        self.ws.path(),
                    )
                {
                    self.export_territories_to(path);
                }
                if ui.button("Export territories (KML)…").clicked()
                    && let Some(path) = files::dialogs::save_as(
                        "Export territories",
                        "KML",
                        "kml",
                        &format!("{stem}-territories"),
                        self.ws.path(),
                    )
                {
                    self.export_territories_to(path);
                }
                ui.separator();
                if ui.button("Export map image…").clicked() {
                    self.open_map_export();
                }
                self.report_menu_items(ui);
                ui.separator();
                if ui
                    .add(Button::new("Quit").shortcut_text(sc(&QUIT)))
                    .clicked()
                {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });

            ui.menu_button("Edit", |ui| {
                let undo = self.ws.undo_labels().last().map(str::to_owned);
                let redo = self.ws.redo_labels().last().map(str::to_owned);
                let undo_text = undo.map_or("Undo".into(), |l| format!("Undo: {l}"));
                if ui
                    .add_enabled(
                        self.ws.undo_labels().next().is_some(),
                        Button::new(undo_text).shortcut_text(sc(&UNDO)),
                    )
                    .clicked()
                {
                    self.undo();
                }
                let redo_text = redo.map_or("Redo".into(), |l| format!("Redo: {l}"));
                if ui
                    .add_enabled(
                        self.ws.redo_labels().next().is_some(),
                        Button::new(redo_text).shortcut_text(sc(&REDO)),
                    )
                    .clicked()
                {
                    self.redo();
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.selection != Default::default(),
                        Button::new("Clear selection").shortcut_text("Esc"),
                    )
                    .clicked()
                {
                    self.selection = Default::default();
                }
            });

            ui.menu_button("Plan", |ui| {
                if ui.button("Balance…").clicked() {
                    self.open_balance_dialog(false);
                }
                if ui.button("Generate…").clicked() {
                    self.open_balance_dialog(true);
                }
            });

            ui.menu_button("View", |ui| {
                if ui
                    .add(Button::new("Presentation mode").shortcut_text("F5"))
                    .clicked()
                {
                    self.set_presenting(true);
                }
                ui.separator();
                if ui.button("Zoom to plan").clicked() {
                    self.map.zoom_to_plan(&self.ws);
                }
                if ui
                    .add_enabled(
                        self.selection.territory.is_some(),
                        Button::new("Zoom to selected territory"),
                    )
                    .clicked()
                    && let Some(id) = self.selection.territory
                {
                    self.map.zoom_to_territory(&self.ws, id);
                }
                ui.separator();
                ui.checkbox(&mut self.style.labels, "Territory labels");
                ui.checkbox(&mut self.style.accounts, "Account dots");
                ui.menu_button("Size accounts by", |ui| {
                    ui.radio_value(&mut self.style.size_by, None, "Same size");
                    for (m, col) in self.ws.project().accounts.measures.iter().enumerate() {
                        ui.radio_value(&mut self.style.size_by, Some(m), &col.name);
                    }
                });
                ui.horizontal(|ui| {
                    let label = ui.label("Fill opacity");
                    ui.add(egui::Slider::new(&mut self.style.fill_opacity, 0.0..=1.0))
                        .labelled_by(label.id);
                });
                ui.separator();
                if ui.checkbox(&mut self.dark, "Dark theme").changed() {
                    ui.ctx().set_theme(if self.dark {
                        egui::Theme::Dark
                    } else {
                        egui::Theme::Light
                    });
                    self.settings.dark = self.dark;
                    self.save_settings();
                }
                ui.horizontal(|ui| {
                    use crate::core::render::DistanceUnit;
                    ui.label("Units");
                    let mut units = self.settings.units;
                    let a = ui.radio_value(&mut units, DistanceUnit::Km, "km");
                    let b = ui.radio_value(&mut units, DistanceUnit::Mi, "miles");
                    if a.changed() || b.changed() {
                        self.set_units(units);
                    }
                });
                ui.separator();
                let mut online = self.settings.online_tiles;
                if ui
                    .checkbox(&mut online, "Online map tiles")
                    .on_hover_text("Raster tiles from the server below, cached on disk. Off: the bundled offline basemap.")
                    .changed()
                {
                    self.set_online_tiles(online);
                }
                ui.menu_button("Tile server", |ui| {
                    ui.label("XYZ URL template ({z}/{x}/{y})");
                    ui.text_edit_singleline(&mut self.settings.tiles.url_template);
                    ui.label("Attribution");
                    ui.text_edit_singleline(&mut self.settings.tiles.attribution);
                    if ui.button("Apply").clicked() {
                        self.apply_tile_setting();
                        self.save_settings();
                    }
                });
            });
            ui.menu_button("Model", |ui| self.model_menu(ui));
        });
    }

    pub(crate) fn status_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            let weak = ui.visuals().weak_text_color();
            match self.ws.path() {
                Some(p) => ui.label(RichText::new(p.display().to_string()).color(weak)),
                None => ui.label(RichText::new("Not saved to a file yet").color(weak)),
            };
            ui.separator();
            if self.ws.is_dirty() {
                ui.label(RichText::new("• Unsaved changes").color(ui.visuals().warn_fg_color));
                ui.separator();
            } else if self.ws.path().is_some() {
                ui.label(RichText::new("Saved").color(weak));
                ui.separator();
            }
            ui.label(
                RichText::new(format!(
                    "{} accounts · {} territories",
                    fmt::count(self.metrics.total.count),
                    self.metrics.territories.len()
                ))
                .color(weak),
            );
            if let Some(notice) = self.notice.clone() {
                ui.separator();
                ui.add(egui::Label::new(notice).truncate());
                if ui
                    .small_button("×")
                    .on_hover_text("Dismiss")
                    .accessible_name("Dismiss message")
                    .clicked()
                {
                    self.notice = None;
                }
            }
        });
    }
}
