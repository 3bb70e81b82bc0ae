//! The tools' controls outside the map: the toolbar, the right-click menus
//! (map and territory list) and the editing controls of the details panel.

use egui::{Button, Color32, ComboBox, DragValue, RichText, Sense, Ui, vec2};

use super::{Tool, ToolAction, Tools};
use crate::app::command::Command;
use crate::app::fmt;
use crate::app::form;
use crate::app::state::Selection;
use crate::core::model::TerritoryTypeId;
use crate::core::units::UnitLayer;
use crate::core::{TerritoryId, Workspace};

/// The Paint tool's caption of a unit layer.
fn layer_caption(layer: &UnitLayer) -> String {
    match layer {
        UnitLayer::Hex { .. } => "Hexagons".to_owned(),
        UnitLayer::Zips => "ZIP areas (approx.)".to_owned(),
        other => other.to_string(),
    }
}

/// The Paint tool's unit layer chooser: the layers that fit the countries
/// of the plan's accounts (US units for US accounts, Canadian provinces
/// for Canadian ones, …) and hexagons.
fn unit_chooser(ui: &mut Ui, ws: &Workspace, tools: &mut Tools) {
    let offered = tools.units.offered(ws).to_vec();
    let current = tools.units.layer.clone();
    let caption = layer_caption(&current);
    let mut chosen = None;
    let label = ui.label("Units");
    ComboBox::from_id_salt("paint_units_layer")
        .selected_text(caption.as_str())
        .show_ui(ui, |ui| {
            for (layer, accounts) in &offered {
                let text = layer_caption(layer);
                let r = ui
                    .selectable_label(text == caption, text.as_str())
                    .on_hover_text(format!(
                        "About {} account(s) in it",
                        fmt::count(*accounts as u64)
                    ));
                if r.clicked() {
                    chosen = Some(layer.clone());
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("The building blocks to paint territories with");
    if let Some(layer) = chosen {
        tools.units.set_layer(layer);
    }
}

/// Colours offered in the right-click menus (the details panel has a
/// full colour picker).
const SWATCHES: usize = crate::core::colors::PALETTE.len();

fn color32([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// A row of palette swatches; returns the one clicked.
fn swatches(ui: &mut Ui, current: [u8; 3]) -> Option<[u8; 3]> {
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = vec2(4.0, 4.0);
        for k in 0..SWATCHES {
            let c = crate::core::colors::PALETTE[k];
            let (rect, r) = ui.allocate_exact_size(vec2(20.0, 20.0), Sense::click());
            let stroke = if c == current {
                egui::Stroke::new(2.5, ui.visuals().strong_text_color())
            } else {
                egui::Stroke::new(1.0, Color32::from_black_alpha(80))
            };
            ui.painter().rect_filled(rect, 3.0, color32(c));
            ui.painter()
                .rect_stroke(rect, 3.0, stroke, egui::StrokeKind::Inside);
            if r.on_hover_text(format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]))
                .clicked()
            {
                chosen = Some(c);
            }
        }
    });
    chosen
}

/// The commands for territory `id` (right-click on the map or on its row).
pub(crate) fn territory_menu(ui: &mut Ui, ws: &Workspace, tools: &mut Tools, id: TerritoryId) {
    let Some(t) = ws.project().territory(id) else {
        return;
    };
    ui.label(RichText::new(&t.name).strong());
    let locked = t.locked;
    let why = "Locked: unlock it first";
    let mut todo: Option<ToolAction> = None;
    if ui.button("Rename…").clicked() {
        tools.focus_name = true;
        todo = Some(ToolAction::Focus(id, None));
    }
    ui.menu_button("Color", |ui| {
        if let Some(c) = swatches(ui, t.color) {
            todo = Some(ToolAction::Recolor(id, c));
        }
        ui.weak("More colours: the details panel's colour picker");
    });
    let lock_text = if locked { "Unlock" } else { "Lock" };
    if ui
        .button(lock_text)
        .on_hover_text("A locked territory is left alone by every tool")
        .clicked()
    {
        todo = Some(ToolAction::Lock(id, !locked));
    }
    ui.separator();
    for (tool, text) in [
        (Tool::Reshape, "Edit boundary"),
        (Tool::Paint, "Paint units into it"),
        (Tool::Split, "Split along a line…"),
    ] {
        if ui
            .add_enabled(!locked, Button::new(text))
            .on_disabled_hover_text(why)
            .clicked()
        {
            todo = Some(ToolAction::Focus(id, Some(tool)));
        }
    }
    if let Some(ids) = merge_candidates(tools, id)
        && ui
            .add_enabled(
                !locked,
                Button::new(format!("Merge {} selected territories", ids.len())),
            )
            .clicked()
    {
        todo = Some(ToolAction::Merge(ids));
    }
    if !tools.accounts.is_empty() {
        let n = tools.accounts.len();
        if ui
            .add_enabled(
                !locked,
                Button::new(format!("Move {n} selected account(s) here")),
            )
            .on_disabled_hover_text(why)
            .clicked()
        {
            todo = Some(ToolAction::Drop(tools.accounts.clone(), id));
        }
    }
    ui.separator();
    if ui
        .add_enabled(!locked, Button::new("Delete territory"))
        .on_disabled_hover_text(why)
        .clicked()
    {
        todo = Some(ToolAction::Delete(id));
    }
    if let Some(a) = todo {
        tools.push(a);
        ui.close();
    }
}

/// The territories a merge from `id`'s menu would join: the multi-selection
/// when `id` is in it, else `None`.
fn merge_candidates(tools: &Tools, id: TerritoryId) -> Option<Vec<TerritoryId>> {
    (tools.territories.len() >= 2 && tools.territories.contains(&id)).then(|| {
        // The clicked territory absorbs the others.
        let mut ids = vec![id];
        ids.extend(tools.territories.iter().copied().filter(|t| *t != id));
        ids
    })
}

/// The map's right-click menu: the territory under the pointer, and the
/// account selection.
pub(crate) fn map_menu(
    ui: &mut Ui,
    ws: &Workspace,
    selection: &Selection,
    tools: &mut Tools,
    at: Option<TerritoryId>,
) {
    if let Some(id) = at {
        territory_menu(ui, ws, tools, id);
    }
    if !tools.accounts.is_empty() {
        if at.is_some() {
            ui.separator();
        }
        account_selection_menu(ui, tools);
    } else if let Some(i) = selection.account
        && ws.engine().pin_of(ws.project(), i).is_some()
    {
        ui.separator();
        if ui.button("Unpin the selected account").clicked() {
            tools.push(ToolAction::Unpin(vec![i]));
            ui.close();
        }
    }
    if let Some(p) = tools.context_at {
        ui.separator();
        if ui
            .button("Drive-time rings from here")
            .on_hover_text("Where one can drive in 30, 60, 90 minutes (editable)")
            .clicked()
        {
            tools.push(ToolAction::DriveRings(p, "here".into()));
            ui.close();
        }
    }
    if at.is_none() && tools.accounts.is_empty() {
        ui.weak("Right-click a territory for its commands");
    }
}

fn account_selection_menu(ui: &mut Ui, tools: &mut Tools) {
    let n = tools.accounts.len();
    if ui
        .button(format!("Unpin {n} selected account(s)"))
        .on_hover_text("Their territory is decided by the boundaries again")
        .clicked()
    {
        let a = tools.accounts.clone();
        tools.push(ToolAction::Unpin(a));
        ui.close();
    }
    if ui.button("Clear account selection").clicked() {
        tools.accounts.clear();
        ui.close();
    }
}

/// The toolbar above the map and the tools' controls in the details panel.
/// The tools' state ([`Tools`]) is shared with the map and the list; what
/// the user asks for is queued on it as [`ToolAction`]s, which the app turns
/// into edits.
#[derive(Debug, Default)]
pub struct ToolBar;

impl ToolBar {
    /// The toolbar: the territory type shown (when the plan has several),
    /// one button per tool (with its key), and the active tool's options.
    /// Returns the type switch, if any.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        selection: &Selection,
        tools: &mut Tools,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        // The map panel has no frame of its own: give the bar the panel fill,
        // and no gap under it (it would show the bare window).
        ui.spacing_mut().item_spacing.y = 0.0;
        egui::Frame::new()
            .fill(ui.visuals().panel_fill)
            .inner_margin(egui::Margin::symmetric(8, 4))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.spacing_mut().button_padding = vec2(6.0, 3.0);
                ui.spacing_mut().item_spacing.x = 4.0;
                // One row whatever the tool or selection: a wrapping bar
                // would push the map down when its options change.
                ui.horizontal(|ui| {
                    out.extend(type_switcher(ui, ws).map(Command::ShowType));
                    for tool in Tool::ALL {
                        let r = ui
                            .add(Button::selectable(tools.tool == tool, tool.name()))
                            .on_hover_text(format!(
                                "{} ({})\n\n{}",
                                tool.name(),
                                tool.key().name(),
                                tool.help()
                            ));
                        if r.clicked() {
                            tools.set_tool(tool);
                        }
                    }
                    ui.separator();
                    let merge = tools.merge_set(selection);
                    if let Some(ids) = merge
                        && ui
                            .button(format!("Merge {}", ids.len()))
                            .on_hover_text(
                                "Merge the territories selected with Ctrl-click into the first (M)",
                            )
                            .clicked()
                    {
                        tools.push(ToolAction::Merge(ids));
                    }
                    if !tools.accounts.is_empty()
                        && ui
                            .button(format!("Unpin {}", fmt::count(tools.accounts.len() as u64)))
                            .on_hover_text(
                                "Return the selected accounts to their territory by geography (U)",
                            )
                            .clicked()
                    {
                        let a = tools.accounts.clone();
                        tools.push(ToolAction::Unpin(a));
                    }
                    // Last: its hint is cut to what the row leaves.
                    tool_options(ui, ws, selection, tools);
                });
            });
        out
    }

    /// The details panel's editing controls for territory `id`: name,
    /// colour, lock, and the tools that act on it.
    pub fn territory_controls(ui: &mut Ui, ws: &Workspace, tools: &mut Tools, id: TerritoryId) {
        territory_edit_controls(ui, ws, tools, id);
    }

    /// The details panel's account and multi-territory selection, if any.
    pub fn selection_controls(
        ui: &mut Ui,
        ws: &Workspace,
        selection: &Selection,
        tools: &mut Tools,
    ) {
        selection_controls(ui, ws, selection, tools);
    }
}

/// A tool's hint in the toolbar: one line, cut with "…" where the bar
/// ends (the whole hint shows on hover), so the bar never wraps and the map
/// under it never moves.
fn hint(ui: &mut Ui, text: &str) {
    let weak = ui.visuals().weak_text_color();
    ui.add(egui::Label::new(RichText::new(text).color(weak)).truncate());
}

/// The active tool's options and hints.
fn tool_options(ui: &mut Ui, ws: &Workspace, selection: &Selection, tools: &mut Tools) {
    match tools.tool {
        Tool::Select => {
            hint(ui, "Drag accounts onto a territory · Shift-drag: box");
        }
        Tool::Lasso => {
            hint(ui, "Drag around accounts to select them");
        }
        Tool::Draw => {
            ui.toggle_value(&mut tools.overlay, "Overlay")
                    .on_hover_text(
                        "On: the new territory keeps its overlap with others (and wins it). \
                         Off: it takes its area from them. Holding Alt while finishing does the same.",
                    );
            let n = tools.path.len();
            let text = if n == 0 {
                "Click the first corner".to_owned()
            } else {
                format!("{n} corner(s) · Enter or double-click finishes · Backspace · Esc")
            };
            hint(ui, &text);
        }
        Tool::Reshape => {
            hint(
                ui,
                "Drag handles · drag a midpoint to add · Delete or right-click removes",
            );
        }
        Tool::Paint => {
            unit_chooser(ui, ws, tools);
            if let UnitLayer::Hex { size_km } = tools.units.layer {
                let mut km = size_km;
                let r = ui
                    .add(
                        DragValue::new(&mut km)
                            .range(1.0..=500.0)
                            .suffix(" km")
                            .speed(0.5),
                    )
                    .on_hover_text("Hexagon size (centre to corner)");
                if !(r.dragged() || r.has_focus()) && km != size_km {
                    tools.units.set_layer(UnitLayer::Hex { size_km: km });
                } else if r.changed() {
                    // Applied once the drag or typing ends.
                    tools.units.layer = UnitLayer::Hex { size_km: km };
                }
            }
            if tools.units.is_loading() {
                ui.spinner();
            }
            let into = selection
                .territory
                .and_then(|id| ws.project().territory(id))
                .map_or("Into: click a territory".to_owned(), |t| {
                    format!("Into '{}'", t.name)
                });
            hint(ui, &into);
        }
        Tool::Split => {
            let n = tools.path.len();
            let text = if n == 0 {
                "Click where the cut starts".to_owned()
            } else {
                format!("{n} point(s) · Enter or double-click cuts · Backspace · Esc")
            };
            hint(ui, &text);
        }
    }
}

/// See [`ToolBar::territory_controls`].
fn territory_edit_controls(ui: &mut Ui, ws: &Workspace, tools: &mut Tools, id: TerritoryId) {
    let Some(t) = ws.project().territory(id) else {
        return;
    };
    let (name, color, locked) = (t.name.clone(), t.color, t.locked);
    if tools.name_edit.as_ref().is_none_or(|(e, _)| *e != id) {
        tools.name_edit = Some((id, name.clone()));
    }
    egui::Grid::new("territory_edit")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Name");
            let Some((_, buf)) = tools.name_edit.as_mut() else {
                return;
            };
            let mut out = egui::TextEdit::singleline(buf)
                .desired_width(ui.available_width().clamp(100.0, 180.0))
                .show(ui);
            let r = out.response.response.clone().labelled_by(label.id);
            if tools.focus_name {
                tools.focus_name = false;
                r.request_focus();
                let all = egui::text_selection::CCursorRange::select_all(&out.galley);
                out.state.cursor.set_char_range(Some(all));
                out.state.store(ui.ctx(), r.id);
            }
            let typed = buf.trim().to_owned();
            if r.lost_focus() {
                if ui.input(|i| i.key_pressed(egui::Key::Escape)) || typed.is_empty() {
                    *buf = name.clone();
                } else if typed != name {
                    tools.push(ToolAction::Rename(id, typed));
                }
            }
            ui.end_row();

            let label = ui.label("Colour");
            let mut c = color;
            let r = egui::color_picker::color_edit_button_srgb(ui, &mut c).labelled_by(label.id);
            if c != color {
                tools.push(ToolAction::Recolor(id, c));
            }
            let _ = r;
            ui.end_row();

            let label = ui.label("Locked");
            let mut l = locked;
            if ui
                .checkbox(&mut l, "")
                .labelled_by(label.id)
                .on_hover_text("A locked territory is left alone by every tool")
                .changed()
            {
                tools.push(ToolAction::Lock(id, l));
            }
            ui.end_row();
        });
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        let why = "Locked: unlock it first";
        for (tool, text) in [
            (Tool::Reshape, "Edit boundary"),
            (Tool::Paint, "Paint units"),
            (Tool::Split, "Split…"),
        ] {
            if ui
                .add_enabled(!locked, Button::selectable(tools.tool == tool, text))
                .on_hover_text(tool.help())
                .on_disabled_hover_text(why)
                .clicked()
            {
                tools.set_tool(tool);
            }
        }
        if ui
            .add_enabled(!locked, Button::new("Delete territory"))
            .on_disabled_hover_text(why)
            .clicked()
        {
            tools.push(ToolAction::Delete(id));
        }
    });
}

/// See [`ToolBar::selection_controls`].
fn selection_controls(ui: &mut Ui, ws: &Workspace, selection: &Selection, tools: &mut Tools) {
    let merge = tools.merge_set(selection);
    if tools.accounts.is_empty() && merge.is_none() {
        return;
    }
    if !tools.accounts.is_empty() {
        let n = tools.accounts.len();
        let pinned = tools
            .accounts
            .iter()
            .filter(|&&i| ws.engine().pin_of(ws.project(), i).is_some())
            .count();
        ui.heading("Selected accounts");
        ui.label(format!(
            "{} account(s), {} pinned. Drag one onto a territory or a list row to move them all.",
            fmt::count(n as u64),
            fmt::count(pinned as u64)
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(pinned > 0, Button::new("Unpin selected"))
                .on_hover_text("Return them to their territory by geography (U)")
                .clicked()
            {
                let a = tools.accounts.clone();
                tools.push(ToolAction::Unpin(a));
            }
            if ui.button("Clear").on_hover_text("Esc").clicked() {
                tools.accounts.clear();
            }
        });
        ui.add_space(6.0);
    }
    if let Some(ids) = merge {
        let names: Vec<String> = ids
            .iter()
            .filter_map(|&id| ws.project().territory(id))
            .map(|t| t.name.clone())
            .collect();
        ui.heading("Selected territories");
        ui.label(names.join(", "));
        ui.horizontal(|ui| {
            if ui
                .button(format!("Merge {} territories", ids.len()))
                .on_hover_text(format!("Into '{}' (M)", names.first().map_or("", |s| s)))
                .clicked()
            {
                tools.push(ToolAction::Merge(ids.clone()));
            }
            if ui.button("Clear").clicked() {
                tools.territories.clear();
            }
        });
        ui.add_space(6.0);
    }
    ui.separator();
}

/// The territory type shown, when the plan has several; the type picked.
fn type_switcher(ui: &mut Ui, ws: &Workspace) -> Option<TerritoryTypeId> {
    let p = ws.project();
    if p.types.len() < 2 {
        return None;
    }
    let current = ws.current_type();
    let mut types: Vec<(TerritoryTypeId, &str, i32)> = p
        .types
        .iter()
        .map(|t| (t.id, t.name.as_str(), t.priority))
        .collect();
    types.sort_by_key(|t| std::cmp::Reverse(t.2));
    let name = types
        .iter()
        .find(|t| t.0 == current)
        .map_or(String::new(), |t| t.1.to_owned());
    let label = ui.label("Type");
    let (show, combo) = form::pick(
        ui,
        ComboBox::from_id_salt("map_type_switch").selected_text(name),
        current,
        types.iter().map(|(id, n, _)| (*id, *n)),
    );
    combo.labelled_by(label.id).on_hover_text(
        "Territory type shown: the map, list, chart and tools work on one type at a time",
    );
    ui.separator();
    show.filter(|t| *t != current)
}
