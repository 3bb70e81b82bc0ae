//! Vector PDF: the same SVG the PNG export draws, converted with svg2pdf
//! (shapes stay vectors, text stays text in the bundled fonts, subset and
//! embedded), one SVG per landscape page.

use std::collections::HashMap;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};

use crate::core::{Error, Result};

/// Paper for PDF export, always landscape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paper {
    /// ISO A4, 297 × 210 mm.
    #[default]
    A4,
    /// US Letter, 11 × 8.5 in.
    Letter,
}

impl Paper {
    /// Page width and height in PDF points (1/72 in), landscape.
    pub fn points(self) -> (f32, f32) {
        match self {
            Paper::A4 => (841.89, 595.28),
            Paper::Letter => (792.0, 612.0),
        }
    }

    /// The SVG size drawn for one page (two pixels per point: the map's
    /// line widths and text sizes are designed for that density).
    pub fn pixels(self) -> (u32, u32) {
        let (w, h) = self.points();
        ((w * 2.0).round() as u32, (h * 2.0).round() as u32)
    }

    /// `a4` or `letter` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" | "us-letter" => Some(Paper::Letter),
            _ => None,
        }
    }
}

/// Converts each SVG document to one page of a PDF on `paper`, scaled to
/// fit the page and centred.
pub fn svgs_to_pdf(pages: &[String], paper: Paper) -> Result<Vec<u8>> {
    if pages.is_empty() {
        return Err(Error::invalid("a PDF needs at least one page"));
    }
    let (pw, ph) = paper.points();
    let mut alloc = Ref::new(1);
    let catalog = alloc.bump();
    let tree_id = alloc.bump();
    let page_ids: Vec<Ref> = pages.iter().map(|_| alloc.bump()).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (svg, &page_id) in pages.iter().zip(&page_ids) {
        let tree = parse(svg)?;
        let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| Error::invalid(format!("PDF export: {e}")))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let svg_ref = *map
            .get(&svg_ref)
            .ok_or_else(|| Error::invalid("PDF export: the drawing went missing"))?;
        let content_id = alloc.bump();
        let name = Name(b"S1");
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, pw, ph));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(name, svg_ref);
        page.finish();
        // The XObject is one point square: scale it to the page, keeping
        // the drawing's proportions.
        let (sw, sh) = (tree.size().width(), tree.size().height());
        let k = (pw / sw).min(ph / sh);
        let (w, h) = (sw * k, sh * k);
        let mut content = Content::new();
        content
            .transform([w, 0.0, 0.0, h, (pw - w) / 2.0, (ph - h) / 2.0])
            .x_object(name);
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
    }
    Ok(pdf.finish())
}

fn parse(svg: &str) -> Result<resvg::usvg::Tree> {
    let opts = resvg::usvg::Options {
        fontdb: super::png::fontdb(),
        ..resvg::usvg::Options::default()
    };
    resvg::usvg::Tree::from_str(svg, &opts)
        .map_err(|e| Error::invalid(format!("PDF export: bad SVG: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_svg_in_landscape() {
        let svg = |t: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="blue"/><text x="20" y="40" font-size="20">{t}</text></svg>"#
            )
        };
        let pdf = svgs_to_pdf(&[svg("One"), svg("Two")], Paper::Letter).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("/Count 2"));
        assert_eq!(text.matches("/MediaBox [0 0 792 612]").count(), 2);
        // The font is embedded (a subset of Ubuntu), not referenced.
        assert!(text.contains("/FontFile2"));
        assert!(svgs_to_pdf(&[], Paper::A4).is_err());
    }

    #[test]
    fn paper_names() {
        assert_eq!(Paper::parse("A4"), Some(Paper::A4));
        assert_eq!(Paper::parse("letter"), Some(Paper::Letter));
        assert_eq!(Paper::parse("A3"), None);
        let (w, h) = Paper::A4.pixels();
        assert!(w > h, "landscape");
    }
}
