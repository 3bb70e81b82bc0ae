//! Web-Mercator arithmetic shared by every map layer.
//!
//! "World" coordinates are walkers' normalized Web Mercator: `x` and `y` in
//! `0..=1`, origin at the top-left (180°W, 85.05°N), `y` growing southwards.
//! At zoom `z` the whole world is `256·2^z` screen points wide, exactly as
//! walkers lays out its tiles, so what we draw lines up with its tiles and
//! gestures. Everything view-independent is cached in world coordinates;
//! each frame only applies the affine [`ViewTransform`].

use egui::{Pos2, Rect, Vec2, pos2};

/// Latitude limit of Web Mercator (the map is square).
pub use crate::core::render::proj::MAX_LAT;

/// Screen points per world unit at zoom 0 (walkers' tile size).
pub const TILE_SIZE: f64 = 256.0;

/// Lowest and highest zoom the view is allowed to reach.
pub const MIN_ZOOM: f64 = 1.0;
/// See [`MIN_ZOOM`].
pub const MAX_ZOOM: f64 = 19.0;

/// Projection and its inverse, shared with the map image export.
pub use crate::core::render::proj::{inverse_mercator, mercator};

/// Screen points per world unit at `zoom`.
#[inline]
pub fn world_scale(zoom: f64) -> f64 {
    TILE_SIZE * zoom.exp2()
}

/// World bounding box `[x0, y0, x1, y1]` (`y0` is the north edge).
pub type WorldBox = [f64; 4];

/// Union of two boxes.
pub fn union_box(a: Option<WorldBox>, b: WorldBox) -> WorldBox {
    match a {
        None => b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// True when the boxes overlap (touching counts).
#[inline]
pub fn boxes_touch(a: &WorldBox, b: &WorldBox) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// The affine map from world coordinates to screen points for one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    /// World coordinates of the centre of [`ViewTransform::rect`].
    pub center: [f64; 2],
    /// Screen points per world unit.
    pub scale: f64,
    /// walkers zoom level (`scale = 256·2^zoom`).
    pub zoom: f64,
    /// The map's rectangle on screen.
    pub rect: Rect,
}

impl ViewTransform {
    /// The view of `rect` centred on `(lon, lat)` at `zoom`.
    pub fn new(rect: Rect, lon: f64, lat: f64, zoom: f64) -> Self {
        Self {
            center: mercator(lon, lat),
            scale: world_scale(zoom),
            zoom,
            rect,
        }
    }

    /// The view walkers' projector draws this frame.
    pub fn from_projector(projector: &walkers::Projector) -> Self {
        let rect = projector.clip_rect();
        let c = projector.unproject(rect.center().to_vec2());
        Self::new(rect, c.x(), c.y(), projector.zoom())
    }

    /// Screen position of a world point.
    #[inline]
    pub fn to_screen(&self, w: [f64; 2]) -> Pos2 {
        let (ox, oy) = self.offset_of(w);
        pos2(ox as f32, oy as f32)
    }

    /// Screen position of world point `w` in `f64` (for adding relative
    /// offsets without losing precision at high zoom).
    #[inline]
    pub fn offset_of(&self, w: [f64; 2]) -> (f64, f64) {
        let c = self.rect.center();
        (
            (w[0] - self.center[0]) * self.scale + c.x as f64,
            (w[1] - self.center[1]) * self.scale + c.y as f64,
        )
    }

    /// World coordinates of a screen position.
    #[inline]
    pub fn to_world(&self, p: Pos2) -> [f64; 2] {
        let c = self.rect.center();
        [
            self.center[0] + (p.x - c.x) as f64 / self.scale,
            self.center[1] + (p.y - c.y) as f64 / self.scale,
        ]
    }

    /// `(lon, lat)` of a screen position.
    pub fn to_lon_lat(&self, p: Pos2) -> (f64, f64) {
        let w = self.to_world(p);
        inverse_mercator(w[0], w[1])
    }

    /// The visible world box, grown by `margin` screen points on each side.
    pub fn world_bounds(&self, margin: f32) -> WorldBox {
        let r = self.rect.expand(margin);
        let a = self.to_world(r.min);
        let b = self.to_world(r.max);
        [a[0], a[1], b[0], b[1]]
    }

    /// Size of a world box on screen.
    pub fn screen_size(&self, b: &WorldBox) -> Vec2 {
        Vec2::new(
            ((b[2] - b[0]) * self.scale) as f32,
            ((b[3] - b[1]) * self.scale) as f32,
        )
    }
}

/// The box holding the central part of `pts`: from the `q` to the `1 − q`
/// quantile of `x`, and likewise of `y` (`q = 0.01`: the central ~98%), so
/// a few strays (a mistyped coordinate, one office in Hawaii) do not shrink
/// everything else to a speck. Non-finite points are ignored; `None` when
/// no point is left.
pub fn central_box(pts: impl Iterator<Item = [f64; 2]>, q: f64) -> Option<WorldBox> {
    let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = pts
        .filter(|p| p[0].is_finite() && p[1].is_finite())
        .map(|p| (p[0], p[1]))
        .unzip();
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let q = q.clamp(0.0, 0.5);
    // Inclusive ranks: with few points nothing is trimmed.
    let lo = ((n - 1) as f64 * q).floor() as usize;
    let hi = ((n - 1) as f64 * (1.0 - q)).ceil() as usize;
    let range = |v: &mut [f64]| {
        let (_, &mut a, upper) = v.select_nth_unstable_by(lo, f64::total_cmp);
        let b = if hi == lo {
            a
        } else {
            *upper.select_nth_unstable_by(hi - lo - 1, f64::total_cmp).1
        };
        (a, b)
    };
    let (x0, x1) = range(&mut xs);
    let (y0, y1) = range(&mut ys);
    Some([x0, y0, x1, y1])
}

/// `b` grown by `frac` of its width and height on every side.
pub fn pad_box(b: &WorldBox, frac: f64) -> WorldBox {
    let (dx, dy) = ((b[2] - b[0]) * frac, (b[3] - b[1]) * frac);
    [b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy]
}

/// Centre (world) and zoom that fit world box `b` in a view of `size` points
/// with `padding` points kept free on every side. A degenerate box (one
/// point) gets a city-level zoom.
pub fn fit_box(b: &WorldBox, size: Vec2, padding: f32) -> ([f64; 2], f64) {
    let center = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    let w = ((size.x - 2.0 * padding).max(size.x * 0.5)).max(1.0) as f64;
    let h = ((size.y - 2.0 * padding).max(size.y * 0.5)).max(1.0) as f64;
    let (dx, dy) = (b[2] - b[0], b[3] - b[1]);
    let zoom = if dx <= 1e-12 && dy <= 1e-12 {
        12.0
    } else {
        let scale = (w / dx.max(1e-12)).min(h / dy.max(1e-12));
        (scale / TILE_SIZE).log2()
    };
    let zoom = if zoom.is_finite() { zoom } else { 3.0 };
    (center, zoom.clamp(MIN_ZOOM, MAX_ZOOM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercator_round_trip() {
        for (lon, lat) in [(0.0, 0.0), (-122.4, 37.8), (179.9, -60.0), (-180.0, 85.0)] {
            let w = mercator(lon, lat);
            let (lo, la) = inverse_mercator(w[0], w[1]);
            assert!((lo - lon).abs() < 1e-9 && (la - lat).abs() < 1e-9);
        }
        assert_eq!(
            mercator(-180.0, MAX_LAT + 5.0)[1],
            mercator(-180.0, MAX_LAT)[1]
        );
    }

    #[test]
    fn matches_walkers_projector() {
        let mut mem = walkers::MapMemory::default();
        mem.set_zoom(7.3).unwrap();
        let rect = Rect::from_min_size(pos2(10.0, 20.0), Vec2::new(800.0, 600.0));
        let center = walkers::lon_lat(-98.0, 39.0);
        let p = walkers::Projector::new(rect, &walkers::MercatorProjection, &mem, center);
        let v = ViewTransform::from_projector(&p);
        for (lon, lat) in [(-98.0, 39.0), (-100.0, 40.0), (-95.5, 37.25)] {
            let a = p.project(walkers::lon_lat(lon, lat));
            let b = v.to_screen(mercator(lon, lat));
            assert!(
                (a.x - b.x).abs() < 0.01 && (a.y - b.y).abs() < 0.01,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn central_box_drops_strays() {
        // 200 points in a 0.1 × 0.1 square around (0.5, 0.5), one far away.
        let mut pts: Vec<[f64; 2]> = (0..200)
            .map(|i| {
                [
                    0.45 + (i % 20) as f64 * 0.005,
                    0.45 + (i / 20) as f64 * 0.01,
                ]
            })
            .collect();
        pts.push([0.01, 0.99]);
        pts.push([f64::NAN, 0.5]);
        let b = central_box(pts.iter().copied(), 0.01).unwrap();
        assert!(
            b[0] >= 0.45 && b[2] <= 0.55 && b[1] >= 0.45 && b[3] <= 0.55,
            "{b:?}"
        );
        assert!(b[2] - b[0] > 0.08 && b[3] - b[1] > 0.08, "{b:?}");
        // Few points: nothing trimmed.
        let few = [[0.1, 0.2], [0.3, 0.4], [0.9, 0.05]];
        assert_eq!(
            central_box(few.iter().copied(), 0.01),
            Some([0.1, 0.05, 0.9, 0.4])
        );
        assert_eq!(
            central_box([[0.3, 0.3]].into_iter(), 0.01),
            Some([0.3, 0.3, 0.3, 0.3])
        );
        assert_eq!(central_box(std::iter::empty(), 0.01), None);
        assert_eq!(
            pad_box(&[0.0, 0.0, 1.0, 2.0], 0.05),
            [-0.05, -0.1, 1.05, 2.1]
        );
    }

    #[test]
    fn fit_contains_box() {
        let b = [0.2, 0.3, 0.25, 0.32];
        let size = Vec2::new(1000.0, 700.0);
        let (c, z) = fit_box(&b, size, 20.0);
        let rect = Rect::from_min_size(Pos2::ZERO, size);
        let v = ViewTransform {
            center: c,
            scale: world_scale(z),
            zoom: z,
            rect,
        };
        let vb = v.world_bounds(0.0);
        assert!(vb[0] <= b[0] && vb[1] <= b[1] && vb[2] >= b[2] && vb[3] >= b[3]);
    }
}
