//! The accounts as a density (heat) layer: counted into a screen grid of
//! [`CELL_PX`] cells (one pass over the accounts in view, cached until the
//! view or the accounts change), shown as one texture on a sequential,
//! logarithmic scale. Its cost does not depend on how the dots would be
//! drawn, so a million accounts read at any zoom.

use egui::{Color32, ColorImage, Rect, TextureHandle, TextureOptions, pos2};

use super::accounts::AccountLayer;
use super::proj::ViewTransform;
use crate::core::colorby::SEQUENTIAL;

/// Side of a density cell on screen (points).
pub const CELL_PX: f32 = 8.0;

/// The cached density texture and what it was made for.
#[derive(Default)]
pub struct HeatLayer {
    key: Option<(u64, ViewTransform)>,
    tex: Option<TextureHandle>,
    /// Most accounts in one cell in the last frame (the legend's top).
    pub max: u32,
    /// Accounts counted in the last frame.
    pub total: u64,
}

/// Colour of a cell holding `count` accounts, the fullest holding `max`:
/// transparent when empty, then the sequential scale on a log axis.
pub fn heat_color(count: u32, max: u32) -> Color32 {
    if count == 0 || max == 0 {
        return Color32::TRANSPARENT;
    }
    let t = ((1.0 + count as f32).ln() / (1.0 + max as f32).ln()).clamp(0.0, 1.0);
    let [r, g, b] = ramp(t);
    Color32::from_rgba_unmultiplied(r, g, b, (110.0 + 130.0 * t) as u8)
}

/// The sequential scale at `t` in 0..=1 (linear between its steps).
pub fn ramp(t: f32) -> [u8; 3] {
    let n = SEQUENTIAL.len() - 1;
    let x = t.clamp(0.0, 1.0) * n as f32;
    let k = (x.floor() as usize).min(n - 1);
    let f = x - k as f32;
    let (a, b) = (SEQUENTIAL[k], SEQUENTIAL[k + 1]);
    [0, 1, 2].map(|c| (a[c] as f32 + (b[c] as f32 - a[c] as f32) * f).round() as u8)
}

impl HeatLayer {
    /// Paints the density of `accounts` over `view`.
    pub fn paint(
        &mut self,
        painter: &egui::Painter,
        view: &ViewTransform,
        accounts: &AccountLayer,
    ) {
        let key = (accounts.data_gen(), *view);
        if self.key != Some(key) || self.tex.is_none() {
            self.key = Some(key);
            let (nx, ny, counts) = accounts.grid.screen_density(view, CELL_PX);
            self.max = counts.iter().copied().max().unwrap_or(0);
            self.total = counts.iter().map(|&c| c as u64).sum();
            let pixels = counts.iter().map(|&c| heat_color(c, self.max)).collect();
            let img = ColorImage::new([nx, ny], pixels);
            match &mut self.tex {
                Some(t) => t.set(img, TextureOptions::LINEAR),
                None => {
                    self.tex = Some(painter.ctx().load_texture(
                        "turfmap-heat",
                        img,
                        TextureOptions::LINEAR,
                    ));
                }
            }
        }
        if let Some(t) = &self.tex {
            let [nx, ny] = t.size();
            let r = Rect::from_min_size(
                view.rect.min,
                egui::vec2(nx as f32 * CELL_PX, ny as f32 * CELL_PX),
            );
            painter.image(
                t.id(),
                r,
                Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
    }
}
