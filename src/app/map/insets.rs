//! Alaska, Hawaii and Puerto Rico in insets at the bottom left of the map
//! while the main view does not show them (a US plan's "whole plan" view
//! frames the lower 48; see [`crate::core::render::insets`]). An inset
//! draws the territories there with their fills, outlines and labels;
//! clicking it flies the map there.

use egui::{Align2, Color32, FontId, Rect, Stroke, vec2};

use super::proj::{ViewTransform, WorldBox, boxes_touch, fit_box, inverse_mercator, mercator};
use super::territories::{PaintStyle, TerritoryLayer, paint_labels};
use crate::core::Workspace;
use crate::core::render::insets::Inset;

/// World box of a lon/lat box.
pub fn world_box(b: &[f64; 4]) -> WorldBox {
    let a = mercator(b[0], b[3]);
    let c = mercator(b[2], b[1]);
    [a[0], a[1], c[0], c[1]]
}

/// Where each inset goes on a map drawn with `view`, and its own view;
/// only the insets the main view does not show.
pub fn layout(view: &ViewTransform, insets: &[Inset]) -> Vec<(Inset, ViewTransform)> {
    let shown = view.world_bounds(0.0);
    let r = view.rect;
    let mut x = r.left() + 10.0;
    let bottom = r.bottom() - 40.0;
    let mut out = Vec::new();
    for inset in insets {
        let wb = world_box(&inset.frame);
        if boxes_touch(&wb, &shown) {
            continue;
        }
        let w = (r.width() * inset.share).max(70.0);
        let aspect = ((wb[3] - wb[1]) / (wb[2] - wb[0])) as f32;
        let h = (w * aspect).clamp(40.0, r.height() * 0.3);
        if x + w > r.right() - 10.0 || bottom - h < r.top() + 10.0 {
            break;
        }
        let rect = Rect::from_min_size(egui::pos2(x, bottom - h), vec2(w, h));
        let (c, z) = fit_box(&wb, rect.size(), 2.0);
        let (lon, lat) = inverse_mercator(c[0], c[1]);
        out.push((*inset, ViewTransform::new(rect, lon, lat, z)));
        x += w + 8.0;
    }
    out
}

/// Paints the insets: a framed box each, the territories in it and their
/// labels, and the inset's name.
pub fn paint(
    painter: &egui::Painter,
    layer: &mut TerritoryLayer,
    ws: &Workspace,
    style: &PaintStyle,
    insets: &[(Inset, ViewTransform)],
) {
    for (inset, view) in insets {
        let r = view.rect;
        painter.rect_filled(r.expand(1.0), 2.0, Color32::from_rgb(0xd5, 0xdf, 0xe7));
        let clipped = painter.with_clip_rect(r);
        let style = PaintStyle {
            cache_outlines: false,
            ..*style
        };
        let overlay = layer.paint(&clipped, view, ws, &style);
        clipped.extend(overlay.outlines);
        paint_labels(&clipped, overlay.labels);
        painter.rect_stroke(
            r.expand(1.0),
            2.0,
            Stroke::new(1.2, Color32::from_gray(120)),
            egui::StrokeKind::Outside,
        );
        painter.text(
            r.left_top() + vec2(2.0, -2.0),
            Align2::LEFT_BOTTOM,
            inset.name,
            FontId::proportional(11.5),
            Color32::from_gray(60),
        );
    }
}
