//! The map's legend, always shown in the top-right corner: what the fills
//! mean (the territories in view, or the classes of a value colouring),
//! and the account density scale when the heat layer is on.

use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, vec2};

use super::heat;
use super::proj::ViewTransform;
use crate::core::colorby::{Legend, LegendEntry};
use crate::core::{TerritoryId, Workspace};

/// At most this many territories are listed (the list panel has them all).
const MAX_TERRITORIES: usize = 8;

/// The legend of territory colours: the territories in view when there
/// are at most [`MAX_TERRITORIES`] of them; else only the title (the list
/// panel is the key, and a long legend would hide part of the map).
pub fn territory_legend(ws: &Workspace, drawn: &[TerritoryId]) -> Legend {
    if drawn.len() > MAX_TERRITORIES {
        return Legend {
            title: format!("Colour: territory ({} in view)", drawn.len()),
            entries: Vec::new(),
        };
    }
    let p = ws.project();
    let mut entries: Vec<LegendEntry> = drawn
        .iter()
        .take(MAX_TERRITORIES)
        .filter_map(|&id| p.territory(id))
        .map(|t| LegendEntry {
            color: t.color,
            label: t.name.clone(),
        })
        .collect();
    if drawn.len() > MAX_TERRITORIES {
        entries.push(LegendEntry {
            color: [255, 255, 255],
            label: format!("+{} more (see the list)", drawn.len() - MAX_TERRITORIES),
        });
    }
    Legend {
        title: "Colour: territory".into(),
        entries,
    }
}

/// Paints `legend` (and the density scale up to `density` accounts per
/// cell, when the heat layer is on) in the top-right corner of the map.
pub fn paint(painter: &egui::Painter, view: &ViewTransform, legend: &Legend, density: Option<u32>) {
    let k = super::text_scale(painter.ctx());
    let font = FontId::proportional(12.5 * k);
    let bold = FontId::proportional(13.5 * k);
    let ink = Color32::from_gray(30);
    let row = 17.0 * k;
    let mut lines: Vec<(Option<[u8; 3]>, String)> = legend
        .entries
        .iter()
        .map(|e| {
            let more = e.label.starts_with('+') && e.color == [255, 255, 255];
            ((!more).then_some(e.color), e.label.clone())
        })
        .collect();
    let title = if legend.title.starts_with("Colour") {
        legend.title.clone()
    } else {
        format!("Colour: {}", legend.title)
    };
    let mut width = painter
        .layout_no_wrap(title.clone(), bold.clone(), ink)
        .size()
        .x;
    for (_, l) in &lines {
        width = width.max(
            row * 1.4
                + painter
                    .layout_no_wrap(l.clone(), font.clone(), ink)
                    .size()
                    .x,
        );
    }
    let density_h = if density.is_some() { row * 2.6 } else { 0.0 };
    width = width.max(if density.is_some() { 170.0 * k } else { 0.0 });
    // Never wider than a third of the map, nor taller than half of it.
    let max_rows = ((view.rect.height() * 0.5 - row * 1.6 - density_h) / row).max(0.0) as usize;
    if lines.len() > max_rows {
        let extra = lines.len() - max_rows.saturating_sub(1);
        lines.truncate(max_rows.saturating_sub(1));
        lines.push((None, format!("… {extra} more")));
    }
    let width = width.min(view.rect.width() / 3.0).max(60.0);
    let height = row * 1.5 + lines.len() as f32 * row + density_h + 6.0;
    let rect = Rect::from_min_size(
        view.rect.right_top() + vec2(-width - 18.0, 8.0),
        vec2(width + 12.0, height),
    );
    painter.rect_filled(rect, 4.0, Color32::from_white_alpha(215));
    painter.rect_stroke(
        rect,
        4.0,
        Stroke::new(1.0, Color32::from_gray(190)),
        egui::StrokeKind::Inside,
    );
    let x = rect.min.x + 6.0;
    let mut y = rect.min.y + 4.0;
    painter.text(Pos2::new(x, y), Align2::LEFT_TOP, title, bold, ink);
    y += row * 1.5;
    for (color, label) in lines {
        if let Some([r, g, b]) = color {
            let sw = Rect::from_min_size(Pos2::new(x, y + row * 0.15), vec2(row * 1.0, row * 0.7));
            painter.rect_filled(sw, 2.0, Color32::from_rgb(r, g, b));
            painter.rect_stroke(
                sw,
                2.0,
                Stroke::new(0.8, Color32::from_gray(120)),
                egui::StrokeKind::Inside,
            );
        }
        let galley = painter.layout_no_wrap(label, font.clone(), ink);
        let clip = Rect::from_min_max(Pos2::new(x, y), Pos2::new(rect.max.x - 4.0, y + row));
        painter
            .with_clip_rect(clip)
            .galley(Pos2::new(x + row * 1.4, y), galley, ink);
        y += row;
    }
    if let Some(max) = density {
        paint_density_scale(
            painter,
            Rect::from_min_size(Pos2::new(x, y), vec2(width, density_h)),
            max,
            &font,
            ink,
        );
    }
}

/// "Accounts per cell" and a ramp from 1 to `max`.
fn paint_density_scale(painter: &egui::Painter, r: Rect, max: u32, font: &FontId, ink: Color32) {
    let row = r.height() / 2.6;
    painter.text(
        r.min,
        Align2::LEFT_TOP,
        format!("Accounts per {} pt cell", heat::CELL_PX),
        font.clone(),
        ink,
    );
    let bar = Rect::from_min_size(
        r.min + vec2(0.0, row * 1.1),
        vec2(r.width() * 0.6, row * 0.7),
    );
    let steps = 24;
    for s in 0..steps {
        let t = s as f32 / (steps - 1) as f32;
        let [cr, cg, cb] = heat::ramp(t);
        let w = bar.width() / steps as f32;
        painter.rect_filled(
            Rect::from_min_size(
                bar.min + vec2(w * s as f32, 0.0),
                vec2(w + 0.5, bar.height()),
            ),
            0.0,
            Color32::from_rgb(cr, cg, cb),
        );
    }
    painter.text(
        bar.left_bottom() + vec2(0.0, 1.0),
        Align2::LEFT_TOP,
        "1",
        font.clone(),
        ink,
    );
    painter.text(
        bar.right_center() + vec2(6.0, 0.0),
        Align2::LEFT_CENTER,
        crate::core::numfmt::count(max as u64),
        font.clone(),
        ink,
    );
}
