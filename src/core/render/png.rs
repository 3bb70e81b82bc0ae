//! SVG → PNG with resvg, on the CPU (no GPU, no display). Text uses the
//! fonts egui ships (Ubuntu Light, Hack), loaded from bytes, so the result
//! does not depend on the fonts installed on the machine.

use std::sync::{Arc, OnceLock};

use crate::core::{Error, Result};

/// The font database: egui's bundled fonts, Ubuntu as the sans-serif.
pub(crate) fn fontdb() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
        db.load_font_data(epaint_default_fonts::HACK_REGULAR.to_vec());
        let family = db
            .faces()
            .find_map(|f| {
                f.families
                    .iter()
                    .map(|(name, _)| name.clone())
                    .find(|n| n.starts_with("Ubuntu"))
            })
            .unwrap_or_else(|| "Ubuntu".into());
        db.set_sans_serif_family(family.clone());
        db.set_serif_family(family);
        db.set_monospace_family("Hack");
        Arc::new(db)
    })
    .clone()
}

/// Renders an SVG document to PNG bytes at its own size.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let opts = resvg::usvg::Options {
        fontdb: fontdb(),
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opts)
        .map_err(|e| Error::invalid(format!("map image: bad SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
            Error::invalid(format!(
                "map image: cannot allocate {}×{} pixels",
                size.width(),
                size.height()
            ))
        })?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| Error::invalid(format!("map image: PNG encoding failed: {e}")))
}
