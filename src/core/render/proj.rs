//! Web-Mercator projection fitted to a pixel rectangle.

use std::f64::consts::PI;

/// Latitude limit of Web Mercator (the map is square).
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// `(lon, lat)` degrees → world coordinates in `0..1` (y down), walkers'
/// normalised Web Mercator. Latitude is clamped to [`MAX_LAT`];
/// non-finite input gives non-finite output.
#[inline]
pub fn mercator(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    [
        (lon + 180.0) / 360.0,
        (1.0 - lat.to_radians().tan().asinh() / PI) / 2.0,
    ]
}

/// Inverse of [`mercator`].
#[inline]
pub fn inverse_mercator(x: f64, y: f64) -> (f64, f64) {
    (
        x * 360.0 - 180.0,
        ((1.0 - 2.0 * y) * PI).sinh().atan().to_degrees(),
    )
}

/// A lon/lat box: `[min_lon, min_lat, max_lon, max_lat]`.
pub type BBox = [f64; 4];

/// A Mercator view: world → pixels for a rectangle of the image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Left edge of the map area in pixels.
    pub x0: f64,
    /// Top edge of the map area in pixels.
    pub y0: f64,
    /// Map area width in pixels.
    pub w: f64,
    /// Map area height in pixels.
    pub h: f64,
    /// World x at the centre of the area.
    pub cx: f64,
    /// World y at the centre of the area.
    pub cy: f64,
    /// Pixels per world unit (the whole world is `scale` pixels wide).
    pub scale: f64,
}

impl Frame {
    /// Fits `bbox` (padded by `pad` of its size on every side) into the
    /// pixel rectangle `(x0, y0, w, h)`, keeping the aspect ratio.
    pub fn fit(bbox: BBox, pad: f64, x0: f64, y0: f64, w: f64, h: f64) -> Self {
        let a = mercator(bbox[0], bbox[3]);
        let b = mercator(bbox[2], bbox[1]);
        let (mut dx, mut dy) = ((b[0] - a[0]).abs(), (b[1] - a[1]).abs());
        // A single point or a line: show a few km around it.
        let min = 1e-5;
        dx = dx.max(min) * (1.0 + 2.0 * pad);
        dy = dy.max(min) * (1.0 + 2.0 * pad);
        let scale = (w / dx).min(h / dy);
        Self {
            x0,
            y0,
            w,
            h,
            cx: (a[0] + b[0]) / 2.0,
            cy: (a[1] + b[1]) / 2.0,
            scale,
        }
    }

    /// World → pixel.
    #[inline]
    pub fn world_to_px(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.x0 + self.w / 2.0 + (p[0] - self.cx) * self.scale,
            self.y0 + self.h / 2.0 + (p[1] - self.cy) * self.scale,
        ]
    }

    /// `(lon, lat)` → pixel.
    #[inline]
    pub fn to_px(&self, lon: f64, lat: f64) -> [f64; 2] {
        self.world_to_px(mercator(lon, lat))
    }

    /// The lon/lat box the map area shows.
    pub fn visible_bbox(&self) -> BBox {
        let half_w = self.w / 2.0 / self.scale;
        let half_h = self.h / 2.0 / self.scale;
        let (lon0, lat0) = inverse_mercator(self.cx - half_w, self.cy + half_h);
        let (lon1, lat1) = inverse_mercator(self.cx + half_w, self.cy - half_h);
        [lon0, lat0, lon1, lat1]
    }

    /// Zoom level in slippy-map terms (the world is `256·2^zoom` px wide).
    pub fn zoom(&self) -> f64 {
        (self.scale / 256.0).log2()
    }

    /// Metres per pixel at the centre of the area.
    pub fn metres_per_px(&self) -> f64 {
        let (_, lat) = inverse_mercator(self.cx, self.cy);
        super::scale::EARTH_CIRCUMFERENCE_M * lat.to_radians().cos() / self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_box_lands_inside_the_area() {
        let bbox = [-125.0, 25.0, -66.0, 49.0];
        let f = Frame::fit(bbox, 0.05, 10.0, 20.0, 800.0, 500.0);
        for (lon, lat) in [(-125.0, 25.0), (-66.0, 49.0), (-100.0, 40.0)] {
            let [x, y] = f.to_px(lon, lat);
            assert!((10.0..=810.0).contains(&x) && (20.0..=520.0).contains(&y));
        }
        let v = f.visible_bbox();
        assert!(v[0] < -125.0 && v[2] > -66.0 && v[1] < 25.0 && v[3] > 49.0);
        let (lon, lat) = inverse_mercator(mercator(-100.0, 40.0)[0], mercator(-100.0, 40.0)[1]);
        assert!((lon + 100.0).abs() < 1e-9 && (lat - 40.0).abs() < 1e-9);
        assert!(f.metres_per_px() > 1000.0 && f.zoom() > 2.0);
    }
}
