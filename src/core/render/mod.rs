//! Map export without a GPU: the plan drawn as SVG ([`svg::map_svg`]),
//! rasterised to PNG with resvg ([`png::svg_to_png`]) or converted to
//! vector PDF with svg2pdf ([`pdf::svgs_to_pdf`]). The CLI's
//! `export-map`, the window's File → Export map image and the HTML report
//! all use it.

pub mod insets;
pub mod pdf;
pub mod png;
pub mod proj;
pub mod scale;
pub mod svg;

use std::path::Path;

pub use pdf::Paper;
pub use proj::{BBox, Frame, mercator};
pub use scale::{DistanceUnit, ScaleBar, scale_bar};
pub use svg::{DATA_CREDITS, data_credits, map_svg, plan_bbox};

use crate::core::basemap::BasemapData;
use crate::core::fs::write_file_atomically;
pub use crate::core::xml::escape_xml;
use crate::core::{Error, Result, Workspace};

/// Smallest and largest exported image side, in pixels.
pub const SIZE_LIMITS: (u32, u32) = (200, 8000);

/// What the exported map shows and how big it is.
#[derive(Clone, Debug, PartialEq)]
pub struct MapImageOptions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Title; `None` uses the plan's name, `Some("")` shows no title band.
    pub title: Option<String>,
    /// Area to show (`[min_lon, min_lat, max_lon, max_lat]`); `None` fits
    /// the whole plan.
    pub bbox: Option<BBox>,
    /// Units of the scale bar.
    pub units: DistanceUnit,
    /// Draw account dots.
    pub accounts: bool,
    /// Draw territory names.
    pub labels: bool,
    /// Under each name, its balance value and deviation from the mean.
    pub label_values: bool,
    /// What the territory fills show (and the legend explains).
    pub color_by: crate::core::colorby::ColorBy,
    /// Opacity of territory fills (0..1).
    pub fill_opacity: f64,
    /// Page size of a PDF export (the drawing then takes the page's
    /// proportions instead of `width` × `height`).
    pub paper: Paper,
}

impl Default for MapImageOptions {
    fn default() -> Self {
        Self {
            width: 1600,
            height: 1000,
            title: None,
            bbox: None,
            units: DistanceUnit::Km,
            accounts: true,
            labels: true,
            label_values: false,
            color_by: crate::core::colorby::ColorBy::Territory,
            fill_opacity: 0.4,
            paper: Paper::A4,
        }
    }
}

impl MapImageOptions {
    /// Checks the size against [`SIZE_LIMITS`].
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = SIZE_LIMITS;
        for (what, v) in [("width", self.width), ("height", self.height)] {
            if !(lo..=hi).contains(&v) {
                return Err(Error::invalid(format!(
                    "map image {what} {v} px is out of range; use {lo} to {hi}"
                )));
            }
        }
        if let Some(b) = self.bbox
            && !(b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3])
        {
            return Err(Error::invalid(
                "the map area must be MIN_LON,MIN_LAT,MAX_LON,MAX_LAT with min < max",
            ));
        }
        Ok(())
    }
}

/// The plan's map as an SVG document, with the bundled basemap.
pub fn plan_map_svg(ws: &Workspace, opts: &MapImageOptions) -> Result<String> {
    opts.validate()?;
    Ok(map_svg(ws, &ws.metrics(), opts, BasemapData::bundled()))
}

/// The plan's map as PNG bytes.
pub fn plan_map_png(ws: &Workspace, opts: &MapImageOptions) -> Result<Vec<u8>> {
    png::svg_to_png(&plan_map_svg(ws, opts)?)
}

/// The plan's map as a one-page vector PDF on `opts.paper` (landscape).
pub fn plan_map_pdf(ws: &Workspace, opts: &MapImageOptions) -> Result<Vec<u8>> {
    let (width, height) = opts.paper.pixels();
    let page = MapImageOptions {
        width,
        height,
        ..opts.clone()
    };
    pdf::svgs_to_pdf(&[plan_map_svg(ws, &page)?], opts.paper)
}

/// Does `path` end in `.ext` (any case)?
pub fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Writes the plan's map to `path` (atomically): PNG, SVG when the file
/// name ends in `.svg`, vector PDF when it ends in `.pdf`.
pub fn export_map(ws: &Workspace, opts: &MapImageOptions, path: &Path) -> Result<()> {
    let bytes = if has_extension(path, "svg") {
        plan_map_svg(ws, opts)?.into_bytes()
    } else if has_extension(path, "pdf") {
        plan_map_pdf(ws, opts)?
    } else {
        plan_map_png(ws, opts)?
    };
    write_file_atomically(path, |w| {
        std::io::Write::write_all(w, &bytes).map_err(|e| Error::io(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked() {
        let mut o = MapImageOptions::default();
        assert!(o.validate().is_ok());
        o.width = 10;
        assert!(o.validate().unwrap_err().to_string().contains("width"));
        o.width = 800;
        o.bbox = Some([10.0, 0.0, 5.0, 1.0]);
        assert!(o.validate().is_err());
    }
}
