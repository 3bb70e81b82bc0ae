//! Presentation mode, for showing a plan on a projector: full screen, large
//! type and labels, the editing chrome (menus, toolbars, list and details)
//! hidden, a compact legend on the right and the balance chart docked at
//! the bottom. F5 toggles it, Esc leaves it.

use std::sync::Arc;

use egui::{CentralPanel, Key, Panel, RichText, ScrollArea, Style, TextStyle};

use crate::app::command::Command;
use crate::app::map::MapView;
use crate::app::state::{MapEvent, MapStyle, Selection};
use crate::app::{chart, fmt};
use crate::core::metrics::PlanMetrics;
use crate::core::{TerritoryId, Workspace};

/// How much larger type is while presenting.
pub const FONT_SCALE: f32 = 1.5;

/// Presentation-mode state.
#[derive(Clone, Debug, Default)]
pub struct Presentation {
    active: bool,
    /// The styles (dark and light) to restore on leaving.
    saved: Option<(Arc<Style>, Arc<Style>)>,
}

/// What presentation mode draws from.
pub(crate) struct PresentContext<'a> {
    pub ws: &'a Workspace,
    pub metrics: &'a PlanMetrics,
    pub selection: &'a Selection,
    pub style: &'a MapStyle,
    pub map: &'a mut MapView,
}

impl Presentation {
    /// True while presenting.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Enters or leaves presentation mode: larger type, full screen.
    /// Returns false when it already was in that mode.
    pub(crate) fn set_active(&mut self, ctx: &egui::Context, on: bool) -> bool {
        if on == self.active {
            return false;
        }
        if on {
            let dark = ctx.style_of(egui::Theme::Dark);
            let light = ctx.style_of(egui::Theme::Light);
            self.saved = Some((dark, light));
            ctx.all_styles_mut(|s| {
                for font in s.text_styles.values_mut() {
                    font.size *= FONT_SCALE;
                }
                s.spacing.item_spacing *= 1.2;
                s.spacing.interact_size.y *= 1.3;
            });
        } else if let Some((dark, light)) = self.saved.take() {
            ctx.set_style_of(egui::Theme::Dark, dark);
            ctx.set_style_of(egui::Theme::Light, light);
        }
        self.active = on;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(on));
        true
    }

    /// F5 toggles presentation mode; Esc leaves it. Called every frame
    /// (while no modal dialog is open), also while presenting when the
    /// menus' shortcuts are not.
    pub(crate) fn keys(&self, ctx: &egui::Context) -> Option<Command> {
        let f5 = ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::F5));
        let esc =
            self.active && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape));
        if f5 {
            Some(Command::SetPresenting(!self.active))
        } else if esc {
            Some(Command::SetPresenting(false))
        } else {
            None
        }
    }

    /// The whole window while presenting.
    pub(crate) fn ui(&mut self, ui: &mut egui::Ui, cx: PresentContext<'_>) -> Vec<Command> {
        let mut out = Vec::new();
        let select = |id| Command::SelectTerritory { id, zoom: false };
        // Tall enough for names readable from the back of the room (about
        // 14 pt a bar, with the heading and axis), within 30–42% of the
        // window so the map keeps the rest.
        let full = ui.available_height();
        let bars = cx
            .metrics
            .territories
            .len()
            .min(chart::DEVIATION_CHART_FROM) as f32;
        let chart_h = (100.0 + bars * 17.0)
            .clamp(full * 0.3, full * 0.42)
            .clamp(220.0, 460.0);
        Panel::bottom("present_chart")
            .exact_size(chart_h)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.heading("Balance per territory");
                    ui.label(
                        RichText::new(format!(
                            "{} · mean line · ±{}% band",
                            cx.metrics.balance_measure,
                            fmt::pct_plain(cx.metrics.tolerance_pct)
                        ))
                        .color(ui.visuals().weak_text_color()),
                    );
                });
                if let Some(id) =
                    chart::balance_chart(ui, cx.metrics, cx.ws.project(), cx.selection.territory)
                {
                    out.push(select(id));
                }
            });
        Panel::right("present_legend")
            .default_size(360.0)
            .min_size(260.0)
            .resizable(true)
            .show(ui, |ui| {
                let clicked = PresentLegend.ui(ui, cx.ws, cx.metrics, cx.selection);
                if let Some(id) = clicked {
                    out.push(select(id));
                }
            });
        CentralPanel::no_frame().show(ui, |ui| {
            let events = cx.map.show(ui, cx.ws, cx.selection, cx.style);
            for event in events {
                match event {
                    MapEvent::SelectTerritory(Some(id)) => out.push(select(id)),
                    MapEvent::SelectTerritory(None) => out.push(Command::ClearSelection),
                    MapEvent::SelectAccount(i) => out.push(Command::SelectAccount(i)),
                }
            }
            // Top left: the map's legend holds the top right corner, the
            // insets and scale bar the bottom left.
            let exit = egui::Button::new(RichText::new("Exit presentation (Esc)").small());
            let r = ui.put(
                egui::Rect::from_min_size(
                    ui.max_rect().left_top() + egui::vec2(10.0, 10.0),
                    egui::vec2(240.0, 30.0),
                ),
                exit,
            );
            if r.clicked() {
                out.push(Command::SetPresenting(false));
            }
        });
        out
    }
}

/// The legend of presentation mode (right).
#[derive(Debug, Default)]
pub struct PresentLegend;

impl PresentLegend {
    /// Colour, name, balance value and deviation of every territory; a
    /// click on a name selects it.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ws: &Workspace,
        m: &PlanMetrics,
        selection: &Selection,
    ) -> Option<TerritoryId> {
        ui.add_space(6.0);
        ui.heading(match ws.project().name.as_str() {
            "" => "Territories",
            n => n,
        });
        ui.label(
            RichText::new(format!(
                "{} · {} outside ±{}%",
                m.units_summary(),
                m.out_of_tolerance,
                fmt::pct_plain(m.tolerance_pct)
            ))
            .color(ui.visuals().weak_text_color()),
        );
        ui.separator();
        // Every row in view when it can be: the text shrinks to the room
        // (down to a size still readable on a projector), then scrolls.
        let body = TextStyle::Body.resolve(ui.style()).size;
        let rows = m.territories.len().max(1) as f32;
        // A row is about 1.3 × the text size plus the grid's spacing.
        let fit = ui.available_height() / rows / 1.6;
        let row_h = fit.clamp(body.min(16.0), body);
        let mut clicked = None;
        ScrollArea::vertical().show(ui, |ui| {
            // Rows as tall as their text, not the projector style's large
            // widget height, so the whole legend fits.
            ui.spacing_mut().interact_size.y = row_h * 1.25;
            ui.spacing_mut().button_padding.y = 1.0;
            egui::Grid::new("present_legend_rows")
                .min_row_height(row_h * 1.25)
                .num_columns(3)
                .spacing([14.0, row_h * 0.2])
                .show(ui, |ui| {
                    for t in &m.territories {
                        let color = ws
                            .project()
                            .territory(TerritoryId(t.id))
                            .map_or([128, 128, 128], |t| t.color);
                        let out = t.is_out(m.tolerance_pct);
                        let selected = selection.territory == Some(TerritoryId(t.id));
                        ui.horizontal(|ui| {
                            let (rect, _) = ui.allocate_exact_size(
                                egui::vec2(row_h * 0.8, row_h * 0.8),
                                egui::Sense::hover(),
                            );
                            ui.painter().rect_filled(
                                rect,
                                3.0,
                                egui::Color32::from_rgb(color[0], color[1], color[2]),
                            );
                            let name = RichText::new(&t.name).size(row_h);
                            if ui.selectable_label(selected, name).clicked() {
                                clicked = Some(TerritoryId(t.id));
                            }
                        });
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            ui.label(RichText::new(fmt::value(t.balance_value)).size(row_h));
                        });
                        let dev = RichText::new(t.deviation_text()).size(row_h);
                        ui.label(if out {
                            dev.color(ui.visuals().warn_fg_color).strong()
                        } else {
                            dev.color(ui.visuals().weak_text_color())
                        });
                        ui.end_row();
                    }
                });
        });
        clicked
    }
}
