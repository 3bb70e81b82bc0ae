//! The menu bar (File, Edit, Plan, View, Model, Help) and the keyboard shortcuts
//! it shows. Every item returns a [`Command`]; only the view options (map
//! style, the tile server being typed) are changed in place, as a checkbox
//! changes its bool.

use std::path::PathBuf;

use egui::{Button, Key, KeyboardShortcut, Modifiers, Ui};

use crate::core::Workspace;
use crate::core::model::{ScenarioId, TerritoryTypeId};
use crate::core::render::DistanceUnit;

use super::super::Action;
use super::super::command::Command;
use super::super::files::{self, RecentPlans};
use super::super::map::tiles::TileSettings;
use super::super::state::{MapStyle, Selection};

pub(crate) const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
pub(crate) const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub(crate) const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
pub(crate) const SAVE_AS: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
pub(crate) const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
pub(crate) const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
pub(crate) const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
pub(crate) const QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
pub(crate) const FIND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);

/// What the menus read this frame.
pub struct MenuContext<'a> {
    /// The plan.
    pub ws: &'a Workspace,
    /// What is selected.
    pub selection: &'a Selection,
    /// Dark theme on.
    pub dark: bool,
    /// Units in force.
    pub units: DistanceUnit,
    /// Online tiles on.
    pub online_tiles: bool,
    /// No native file dialog here: ask for typed paths.
    pub typed_paths: bool,
}

/// The view options the View menu changes in place.
pub struct MenuView<'a> {
    /// How the map is drawn.
    pub style: &'a mut MapStyle,
    /// The tile server being typed (applied with "Apply").
    pub tiles: &'a mut TileSettings,
    /// The recently used plans (pruned of missing files when shown).
    pub recent: &'a mut RecentPlans,
}

/// The menu bar. It keeps no state of its own: menus open and close in
/// egui's memory.
#[derive(Debug, Default)]
pub struct MenuBar;

impl MenuBar {
    /// Draws the menus; returns what was chosen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &MenuContext<'_>, view: MenuView<'_>) -> Vec<Command> {
        let mut out = Vec::new();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| file_menu(ui, cx, view.recent, &mut out));
            ui.menu_button("Edit", |ui| edit_menu(ui, cx, &mut out));
            ui.menu_button("Plan", |ui| {
                if ui.button("Balance…").clicked() {
                    out.push(Command::OpenBalance { generate: false });
                }
                if ui.button("Generate…").clicked() {
                    out.push(Command::OpenBalance { generate: true });
                }
                if ui.button("Capacity…").clicked() {
                    out.push(Command::OpenCapacity);
                }
            });
            ui.menu_button("View", |ui| {
                view_menu(ui, cx, view.style, &mut out);
                ui.separator();
                tiles_items(ui, cx.online_tiles, view.tiles, &mut out);
            });
            ui.menu_button("Model", |ui| model_menu(ui, cx.ws, &mut out));
            ui.menu_button("Help", |ui| {
                if ui.button("About Turfmap…").clicked() {
                    out.push(Command::ShowAbout);
                }
            });
        });
        out
    }
}

fn shortcut(ui: &Ui, s: &KeyboardShortcut) -> String {
    ui.ctx().format_shortcut(s)
}

/// New, Open, Open recent, Save, Save as.
fn file_menu(ui: &mut Ui, cx: &MenuContext<'_>, recent: &mut RecentPlans, out: &mut Vec<Command>) {
    let ws = cx.ws;
    if ui
        .add(Button::new("New plan from accounts (CSV, Excel)…").shortcut_text(shortcut(ui, &NEW)))
        .clicked()
    {
        out.push(Command::Request(Action::NewPlan));
    }
    if ui
        .add(Button::new("Open…").shortcut_text(shortcut(ui, &OPEN)))
        .clicked()
    {
        out.push(Command::Request(Action::OpenDialog));
    }
    ui.menu_button("Open recent", |ui| recent_menu(ui, recent, out));
    if ui.button("Open sample plan").clicked() {
        out.push(Command::Request(Action::OpenSample));
    }
    ui.separator();
    if ui
        .add(Button::new("Save").shortcut_text(shortcut(ui, &SAVE)))
        .clicked()
    {
        out.push(Command::Save);
    }
    if ui
        .add(Button::new("Save as…").shortcut_text(shortcut(ui, &SAVE_AS)))
        .clicked()
    {
        out.push(Command::SaveAs);
    }
    ui.separator();
    import_export_items(ui, ws, cx.typed_paths, out);
    ui.separator();
    if ui
        .add(Button::new("Quit").shortcut_text(shortcut(ui, &QUIT)))
        .clicked()
    {
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

/// The recently used plans, newest first.
fn recent_menu(ui: &mut Ui, recent: &mut RecentPlans, out: &mut Vec<Command>) {
    recent.prune();
    if recent.entries().is_empty() {
        ui.add_enabled(false, Button::new("No recent plans"));
    }
    for path in recent.entries() {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        if ui
            .button(name)
            .on_hover_text(path.display().to_string())
            .clicked()
        {
            out.push(Command::Request(Action::Open(path.clone())));
        }
    }
}

/// Import territories; export assignments, territories, map image, reports.
/// With `typed` (no native file dialog here) the file items ask for a
/// typed path instead.
fn import_export_items(ui: &mut Ui, ws: &Workspace, typed: bool, out: &mut Vec<Command>) {
    use super::PathPurpose;
    if ui.button("Refresh accounts from an export…").clicked() {
        out.push(Command::RefreshAccounts);
    }
    let stem = match ws.project().name.as_str() {
        "" => "plan".to_owned(),
        n => n.to_owned(),
    };
    let save_as = |title: &str, kind: &str, ext: &str, suffix: &str| {
        files::dialogs::save_as(title, kind, ext, &format!("{stem}-{suffix}"), ws.path())
    };
    type Pick<'a> = Box<dyn Fn() -> Option<PathBuf> + 'a>;
    let items: [(&str, PathPurpose, Pick<'_>); 4] = [
        (
            "Import territories (GeoJSON, shapefile, KML/KMZ)…",
            PathPurpose::ImportTerritories,
            Box::new(|| files::dialogs::pick_territories(ws.path())),
        ),
        (
            "Export assignments (CSV)…",
            PathPurpose::ExportAssignments,
            Box::new(|| save_as("Export assignments", "CSV", "csv", "assignments")),
        ),
        (
            "Export territories (GeoJSON)…",
            PathPurpose::ExportTerritories { kml: false },
            Box::new(|| save_as("Export territories", "GeoJSON", "geojson", "territories")),
        ),
        (
            "Export territories (KML)…",
            PathPurpose::ExportTerritories { kml: true },
            Box::new(|| save_as("Export territories", "KML", "kml", "territories")),
        ),
    ];
    for (label, purpose, pick) in items {
        if !ui.button(label).clicked() {
            continue;
        }
        if typed {
            out.push(Command::AskPath(purpose));
        } else if let Some(path) = pick() {
            out.push(purpose.command(path));
        }
    }
    if ui.button("Export to Salesforce…").clicked() {
        out.push(Command::OpenSalesforceExport);
    }
    ui.separator();
    if ui.button("Export map image…").clicked() {
        out.push(Command::OpenMapExport);
    }
    report_items(ui, ws, out);
}

/// Export report, alone or compared with another scenario.
fn report_items(ui: &mut Ui, ws: &Workspace, out: &mut Vec<Command>) {
    if ui.button("Export report…").clicked() {
        out.push(Command::ExportReport(None));
    }
    let p = ws.project();
    let others: Vec<(ScenarioId, &str)> = p
        .scenarios
        .iter()
        .filter(|s| s.id != p.active_scenario)
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    if others.is_empty() {
        return;
    }
    ui.menu_button("Export report comparing with", |ui| {
        for (id, name) in &others {
            if ui.button(format!("{name}…")).clicked() {
                out.push(Command::ExportReport(Some(*id)));
            }
        }
    });
}

/// Undo, Redo (named after what they undo), Find, the unassigned list,
/// Clear selection.
fn edit_menu(ui: &mut Ui, cx: &MenuContext<'_>, out: &mut Vec<Command>) {
    let ws = cx.ws;
    let undo = ws.undo_labels().last();
    let redo = ws.redo_labels().last();
    let undo_text = undo.map_or("Undo".into(), |l| format!("Undo: {l}"));
    if ui
        .add_enabled(
            ws.undo_labels().next().is_some(),
            Button::new(undo_text).shortcut_text(shortcut(ui, &UNDO)),
        )
        .clicked()
    {
        out.push(Command::Undo);
    }
    let redo_text = redo.map_or("Redo".into(), |l| format!("Redo: {l}"));
    if ui
        .add_enabled(
            ws.redo_labels().next().is_some(),
            Button::new(redo_text).shortcut_text(shortcut(ui, &REDO)),
        )
        .clicked()
    {
        out.push(Command::Redo);
    }
    ui.separator();
    if ui
        .add(Button::new("Find…").shortcut_text(shortcut(ui, &FIND)))
        .clicked()
    {
        out.push(Command::OpenSearch);
    }
    if ui.button("Unassigned and unlocated accounts…").clicked() {
        out.push(Command::OpenLeftOut(super::LeftOutFilter::All));
    }
    ui.separator();
    if ui
        .add_enabled(
            *cx.selection != Selection::default(),
            Button::new("Clear selection").shortcut_text("Esc"),
        )
        .clicked()
    {
        out.push(Command::ClearSelection);
    }
}

/// Presentation, zoom, map style, theme and units.
fn view_menu(ui: &mut Ui, cx: &MenuContext<'_>, style: &mut MapStyle, out: &mut Vec<Command>) {
    if ui
        .add(Button::new("Presentation mode").shortcut_text("F5"))
        .clicked()
    {
        out.push(Command::SetPresenting(true));
    }
    ui.separator();
    if ui.button("Zoom to plan").clicked() {
        out.push(Command::ZoomToPlan);
    }
    if ui
        .add_enabled(
            cx.selection.territory.is_some(),
            Button::new("Zoom to selected territory"),
        )
        .clicked()
        && let Some(id) = cx.selection.territory
    {
        out.push(Command::ZoomToTerritory(id));
    }
    ui.separator();
    ui.checkbox(&mut style.list_panel, "Territory list panel");
    ui.checkbox(&mut style.details_panel, "Details panel");
    ui.separator();
    ui.checkbox(&mut style.labels, "Territory labels");
    ui.checkbox(&mut style.label_values, "Balance value under names");
    ui.checkbox(&mut style.accounts, "Accounts");
    ui.add_enabled(
        style.accounts,
        egui::Checkbox::new(&mut style.density, "Accounts as density (heat map)"),
    );
    ui.menu_button("Colour by", |ui| {
        for by in crate::core::colorby::ColorBy::choices(cx.ws.project()) {
            let label = by.label();
            ui.radio_value(&mut style.color_by, by, label);
        }
    });
    ui.menu_button("Size accounts by", |ui| {
        ui.radio_value(&mut style.size_by, None, "Same size");
        for (m, col) in cx.ws.project().accounts.measures.iter().enumerate() {
            ui.radio_value(&mut style.size_by, Some(m), &col.name);
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Fill opacity");
        ui.add(egui::Slider::new(&mut style.fill_opacity, 0.0..=1.0))
            .labelled_by(label.id);
    });
    ui.separator();
    let mut dark = cx.dark;
    if ui.checkbox(&mut dark, "Dark theme").changed() {
        out.push(Command::SetDark(dark));
    }
    ui.horizontal(|ui| {
        ui.label("Units");
        let mut units = cx.units;
        let a = ui.radio_value(&mut units, DistanceUnit::Km, "km");
        let b = ui.radio_value(&mut units, DistanceUnit::Mi, "miles");
        if a.changed() || b.changed() {
            out.push(Command::SetUnits(units));
        }
    });
}

/// Online tiles on/off and the tile server.
fn tiles_items(ui: &mut Ui, online_tiles: bool, tiles: &mut TileSettings, out: &mut Vec<Command>) {
    let mut online = online_tiles;
    if ui
        .checkbox(&mut online, "Online map tiles")
        .on_hover_text(
            "Raster tiles from the server below, cached on disk. Off: the bundled offline basemap.",
        )
        .changed()
    {
        out.push(Command::SetOnlineTiles(online));
    }
    ui.menu_button("Tile server", |ui| {
        ui.label("XYZ URL template ({z}/{x}/{y})");
        ui.text_edit_singleline(&mut tiles.url_template);
        ui.label("Attribution");
        ui.text_edit_singleline(&mut tiles.attribution);
        if ui.button("Apply").clicked() {
            out.push(Command::ApplyTiles);
        }
    });
}

/// The territory model window, and which territory type the map shows.
fn model_menu(ui: &mut Ui, ws: &Workspace, out: &mut Vec<Command>) {
    if ui.button("Territory model…").clicked() {
        out.push(Command::OpenModelWindow);
        ui.close();
    }
    ui.separator();
    let p = ws.project();
    let current = ws.current_type();
    let types: Vec<(TerritoryTypeId, &str)> =
        p.types.iter().map(|t| (t.id, t.name.as_str())).collect();
    for (id, name) in types {
        if ui
            .radio(id == current, format!("Show type: {name}"))
            .clicked()
        {
            out.push(Command::ShowType(id));
            ui.close();
        }
    }
}

/// The window's keyboard shortcuts pressed this frame, as commands.
pub(crate) fn shortcuts(ctx: &egui::Context) -> Vec<Command> {
    // Shift variants first: consume_shortcut ignores extra Shift.
    let pressed = |s: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(s));
    let mut out = Vec::new();
    if pressed(&SAVE_AS) {
        out.push(Command::SaveAs);
    } else if pressed(&SAVE) {
        out.push(Command::Save);
    } else if pressed(&OPEN) {
        out.push(Command::Request(Action::OpenDialog));
    } else if pressed(&NEW) {
        out.push(Command::Request(Action::NewPlan));
    } else if pressed(&QUIT) {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    } else if pressed(&FIND) {
        out.push(Command::OpenSearch);
    }
    // A text field being edited has its own undo.
    if !ctx.egui_wants_keyboard_input() {
        if pressed(&REDO) || pressed(&REDO_Y) {
            out.push(Command::Redo);
        } else if pressed(&UNDO) {
            out.push(Command::Undo);
        } else if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            out.push(Command::ClearSelection);
        }
    }
    out
}
