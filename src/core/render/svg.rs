//! The plan as a standalone SVG map: basemap, territory fills, outlines and
//! labels, account dots, legend, title, scale bar and data credits.
//!
//! Plain SVG 1.1 that both resvg (PNG export) and browsers (the HTML
//! report) draw the same. Coordinates are rounded to 0.1 px and runs of
//! points closer than half a pixel are thinned, so a national plan stays a
//! few hundred kB.

use std::fmt::Write as _;

use geo::{Area, BoundingRect, Polygon};

use super::proj::{BBox, Frame};
use super::scale::scale_bar;
use super::{MapImageOptions, escape_xml};
use crate::core::Workspace;
use crate::core::basemap::BasemapData;
use crate::core::colorby::{ColorBy, Coloring};
use crate::core::geometry::unwrap_ring;
use crate::core::metrics::PlanMetrics;

/// Smallest fill opacity when territories are coloured by a value.
pub const CHOROPLETH_OPACITY: f64 = 0.8;

const SEA: &str = "#d5dfe7";
const LAND: &str = "#f7f6f2";
const COUNTRY_BORDER: &str = "#9ea2a8";
const STATE_BORDER: &str = "#babdc1";
const COUNTY_BORDER: &str = "#d5d6d8";
const INK: &str = "#222831";
const WEAK_INK: &str = "#5b636e";
/// Zoom (slippy-map terms) from which state borders are drawn; as the window.
const STATES_FROM_ZOOM: f64 = 2.5;
/// Zoom from which county borders are drawn; as the window.
const COUNTIES_FROM_ZOOM: f64 = 6.0;
/// At most this many account dots are drawn (an even sample of the rest):
/// beyond it the dots merge into the fill anyway.
pub const MAX_DOTS: usize = 20_000;
/// The font stack: Ubuntu is loaded for PNG export, browsers fall back.
pub const FONT_FAMILY: &str = "Ubuntu, 'Ubuntu Light', 'Segoe UI', Helvetica, Arial, sans-serif";
/// Credits for the bundled data (assets/DATA-SOURCES.md).
pub const DATA_CREDITS: &str = "Basemap: Natural Earth; US Census Bureau. Postal-code centroids: GeoNames (CC BY 4.0). Made with Turfmap.";

/// [`DATA_CREDITS`] plus the notice OS Code-Point Open requires when UK
/// postcodes placed any of the plan's accounts.
pub fn data_credits(project: &crate::core::Project) -> String {
    let a = &project.accounts;
    let uk = a.live().any(|i| {
        a.postal_match(i)
            .is_some_and(|m| m.country == crate::core::geocode::Country::GB)
    });
    if uk {
        DATA_CREDITS.replace(
            " Made with Turfmap.",
            " UK postcodes: contains OS data © Crown copyright and database right 2025; \
             Royal Mail data © Royal Mail copyright and database right 2025; National \
             Statistics data © Crown copyright and database right 2025. Made with Turfmap.",
        )
    } else {
        DATA_CREDITS.to_owned()
    }
}

/// The layout of an exported map in pixels.
struct Layout {
    s: f64,
    title_h: f64,
    legend_w: f64,
    footer_h: f64,
}

impl Layout {
    fn new(w: f64, h: f64, has_title: bool) -> Self {
        // Sizes are designed at 1600×1000 and scale with the image.
        let s = ((w * h) / (1600.0 * 1000.0)).sqrt().clamp(0.45, 4.0);
        Self {
            s,
            title_h: if has_title { 64.0 * s } else { 0.0 },
            legend_w: (330.0 * s).min(w * 0.38),
            footer_h: 26.0 * s,
        }
    }
}

/// `#rrggbb`.
pub fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The colour of the territory with id `id` (grey if it is gone).
pub fn territory_color(project: &crate::core::Project, id: u32) -> [u8; 3] {
    project
        .territories
        .iter()
        .find(|x| x.id.0 == id)
        .map_or([150, 150, 150], |x| x.color)
}

fn darker(c: [u8; 3], k: f64) -> [u8; 3] {
    c.map(|v| (v as f64 * k).round().clamp(0.0, 255.0) as u8)
}

/// The lon/lat box the exported map frames, as the window does: the
/// located accounts (the outer 0.5% on each side left out, so a stray
/// geocode does not shrink the map to a dot), else the territories, else
/// the contiguous US.
pub fn plan_bbox(ws: &Workspace) -> BBox {
    let p = ws.project();
    let a = &p.accounts;
    let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = a
        .live()
        .filter(|&i| a.is_located(i))
        .map(|i| (a.lon[i], a.lat[i]))
        .unzip();
    if !xs.is_empty() {
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        let n = xs.len();
        let cut = if n >= 200 { n / 200 } else { 0 };
        return [xs[cut], ys[cut], xs[n - 1 - cut], ys[n - 1 - cut]];
    }
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for t in &p.territories {
        if let Some(r) = t.geometry.bounding_rect() {
            b[0] = b[0].min(r.min().x);
            b[1] = b[1].min(r.min().y);
            b[2] = b[2].max(r.max().x);
            b[3] = b[3].max(r.max().y);
        }
    }
    if b[0] > b[2] || !b.iter().all(|v| v.is_finite()) {
        [-125.0, 24.0, -66.5, 49.5]
    } else {
        b
    }
}

/// Appends one ring as an SVG subpath; points closer than half a pixel to
/// the last one kept are skipped. `shift` is added to every longitude.
fn push_ring(d: &mut String, frame: &Frame, ring: &[[f64; 2]], shift: f64, close: bool) {
    let mut last: Option<[f64; 2]> = None;
    let mut n = 0;
    let start = d.len();
    for p in ring {
        let q = frame.to_px(p[0] + shift, p[1]);
        if let Some(l) = last
            && (q[0] - l[0]).abs() < 0.5
            && (q[1] - l[1]).abs() < 0.5
        {
            continue;
        }
        let cmd = if n == 0 { 'M' } else { 'L' };
        let _ = write!(d, "{cmd}{:.1} {:.1}", q[0], q[1]);
        last = Some(q);
        n += 1;
    }
    if n < 2 || (close && n < 3) {
        d.truncate(start); // smaller than a pixel
    } else if close {
        d.push('Z');
    }
}

/// Polygons as one SVG path `d` (even-odd holes), culled to the view.
fn polygons_path(polys: &[Polygon<f64>], frame: &Frame, view: &BBox, close: bool) -> String {
    let mut d = String::new();
    for poly in polys {
        let Some(r) = poly.bounding_rect() else {
            continue;
        };
        let (ext, crossed) = unwrap_ring(poly.exterior());
        let mut shifts = vec![0.0];
        if crossed {
            // The unwrapped ring leaves -180..180: draw it again one world
            // over so both halves appear.
            let (lo, hi) = ext
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
            if hi > 180.0 {
                shifts.push(-360.0);
            }
            if lo < -180.0 {
                shifts.push(360.0);
            }
        } else if r.max().x < view[0]
            || r.min().x > view[2]
            || r.max().y < view[1]
            || r.min().y > view[3]
        {
            continue;
        }
        let mut ext = ext;
        if crossed && (ext[0][0] - ext[ext.len() - 1][0]).abs() > 1.0 {
            // A ring around a pole (Antarctica): close it along the pole.
            let pole = if ext[0][1] < 0.0 { -89.0 } else { 89.0 };
            let (first, last) = (ext[0], ext[ext.len() - 1]);
            ext.push([last[0], pole]);
            ext.push([first[0], pole]);
        }
        for shift in shifts {
            push_ring(&mut d, frame, &ext, shift, close);
            if !crossed {
                for hole in poly.interiors() {
                    let h: Vec<[f64; 2]> = hole.0.iter().map(|c| [c.x, c.y]).collect();
                    push_ring(&mut d, frame, &h, shift, close);
                }
            }
        }
    }
    d
}

/// One basemap layer as a single path element.
fn layer(out: &mut String, feats: &[Vec<Polygon<f64>>], frame: &Frame, view: &BBox, attrs: &str) {
    let mut d = String::new();
    for f in feats {
        d.push_str(&polygons_path(f, frame, view, true));
    }
    if !d.is_empty() {
        let _ = writeln!(out, r#"<path {attrs} d="{d}"/>"#);
    }
}

/// Builds the map as an SVG document string. See the module docs.
pub fn map_svg(
    ws: &Workspace,
    metrics: &PlanMetrics,
    opts: &MapImageOptions,
    basemap: &BasemapData,
) -> String {
    let (w, h) = (opts.width as f64, opts.height as f64);
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| ws.project().name.clone());
    let lay = Layout::new(w, h, !title.trim().is_empty());
    let s = lay.s;
    let (mx, my) = (0.0, lay.title_h);
    let (mw, mh) = (w - lay.legend_w, h - lay.title_h - lay.footer_h);
    // A US plan shows the lower 48 at a readable scale, with Alaska,
    // Hawaii and Puerto Rico in insets, unless an area was asked for.
    let insets = match opts.bbox {
        Some(_) => Vec::new(),
        None => super::insets::us_insets(ws.project()),
    };
    let bbox = match opts.bbox {
        Some(b) => b,
        None if !insets.is_empty() => super::insets::clip_to_lower_48(plan_bbox(ws)),
        None => plan_bbox(ws),
    };
    let frame = Frame::fit(bbox, 0.04, mx, my, mw, mh);
    let view = frame.visible_bbox();

    let mut out = String::with_capacity(256 * 1024);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">"#
    );
    let _ = writeln!(
        out,
        r#"<title>{}</title><rect width="{w}" height="{h}" fill="white"/>"#,
        escape_xml(if title.is_empty() {
            "Territory map"
        } else {
            &title
        })
    );
    let _ = writeln!(
        out,
        r#"<clipPath id="map-clip"><rect x="{mx}" y="{my:.1}" width="{mw:.1}" height="{mh:.1}"/></clipPath>"#
    );
    let _ = writeln!(
        out,
        r#"<g clip-path="url(#map-clip)"><rect x="{mx}" y="{my:.1}" width="{mw:.1}" height="{mh:.1}" fill="{SEA}"/>"#
    );

    basemap_layers(&mut out, basemap, &frame, &view, s);

    let project = ws.project();
    let coloring = crate::core::colorby::coloring(project, metrics, &opts.color_by);
    territory_layer(&mut out, project, &coloring, &frame, &view, opts, s);

    if opts.accounts {
        account_dots(&mut out, ws, &frame, s);
    }
    if opts.labels {
        territory_labels(&mut out, ws, metrics, opts.label_values, &frame, s);
    }
    let _ = writeln!(out, "</g>");
    let parts = MapParts {
        ws,
        metrics,
        coloring: &coloring,
        opts,
        basemap,
    };
    let mut x = mx + 12.0 * s;
    for (k, inset) in insets.iter().enumerate() {
        x += inset_svg(&mut out, &parts, inset, k, [x, my + mh - 50.0 * s], mw, s) + 10.0 * s;
    }
    let _ = writeln!(
        out,
        r#"<rect x="{mx}" y="{my:.1}" width="{mw:.1}" height="{mh:.1}" fill="none" stroke="{COUNTRY_BORDER}" stroke-width="{:.2}"/>"#,
        1.0 * s
    );

    scale_bar_svg(&mut out, &frame, opts, s);
    if lay.title_h > 0.0 {
        title_svg(&mut out, &title, metrics, s);
    }
    legend(&mut out, metrics, &coloring, &lay, w, h);
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{:.1}" fill="{WEAK_INK}">{}</text>"#,
        10.0 * s,
        h - 8.0 * s,
        12.0 * s,
        escape_xml(&data_credits(project))
    );
    out.push_str("</svg>\n");
    out
}

/// What an inset draws, as the main map does.
struct MapParts<'a> {
    ws: &'a Workspace,
    metrics: &'a PlanMetrics,
    coloring: &'a Coloring,
    opts: &'a MapImageOptions,
    basemap: &'a BasemapData,
}

/// Draws `inset` with its bottom-left corner at `at`, `inset.share` of the
/// map width `mw` wide: its own frame, basemap, territories, accounts and
/// labels, boxed and named. Returns its width.
fn inset_svg(
    out: &mut String,
    parts: &MapParts,
    inset: &super::insets::Inset,
    k: usize,
    at: [f64; 2],
    mw: f64,
    s: f64,
) -> f64 {
    let f = inset.frame;
    let (a, b) = (
        super::proj::mercator(f[0], f[3]),
        super::proj::mercator(f[2], f[1]),
    );
    let w = mw * inset.share as f64;
    let h = (w * (b[1] - a[1]) / (b[0] - a[0])).clamp(40.0 * s, 220.0 * s);
    let (x, y) = (at[0], at[1] - h);
    let frame = Frame::fit(f, 0.02, x, y, w, h);
    let view = frame.visible_bbox();
    let _ = writeln!(
        out,
        r#"<g id="inset-{k}"><clipPath id="inset-clip-{k}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"/></clipPath><g clip-path="url(#inset-clip-{k})"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{SEA}"/>"#
    );
    basemap_layers(out, parts.basemap, &frame, &view, s * 0.7);
    let project = parts.ws.project();
    territory_layer(
        out,
        project,
        parts.coloring,
        &frame,
        &view,
        parts.opts,
        s * 0.7,
    );
    if parts.opts.accounts {
        account_dots(out, parts.ws, &frame, s * 0.7);
    }
    if parts.opts.labels {
        territory_labels(out, parts.ws, parts.metrics, false, &frame, s * 0.75);
    }
    let _ = writeln!(
        out,
        r#"</g><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="{COUNTRY_BORDER}" stroke-width="{:.2}"/><text x="{:.1}" y="{:.1}" font-size="{:.1}" fill="{WEAK_INK}">{}</text></g>"#,
        1.0 * s,
        x + 4.0 * s,
        y - 4.0 * s,
        11.0 * s,
        escape_xml(inset.name)
    );
    w
}

/// The offline basemap: land, then county, state/province and country
/// borders as the zoom allows.
fn basemap_layers(out: &mut String, basemap: &BasemapData, frame: &Frame, view: &BBox, s: f64) {
    let zoom = frame.zoom();
    layer(
        out,
        &basemap.countries,
        frame,
        view,
        &format!(r#"fill="{LAND}" stroke="none" fill-rule="evenodd""#),
    );
    if zoom >= COUNTIES_FROM_ZOOM {
        layer(
            out,
            &basemap.counties,
            frame,
            view,
            &format!(
                r#"fill="none" stroke="{COUNTY_BORDER}" stroke-width="{:.2}""#,
                0.6 * s
            ),
        );
    }
    if zoom >= STATES_FROM_ZOOM {
        let attrs = format!(
            r#"fill="none" stroke="{STATE_BORDER}" stroke-width="{:.2}""#,
            0.9 * s
        );
        layer(out, &basemap.provinces, frame, view, &attrs);
        layer(out, &basemap.states, frame, view, &attrs);
    }
    layer(
        out,
        &basemap.countries,
        frame,
        view,
        &format!(
            r#"fill="none" stroke="{COUNTRY_BORDER}" stroke-width="{:.2}""#,
            1.1 * s
        ),
    );
}

/// The territories of the primary type (overlays would hide it): fills
/// first, then outlines on top of every fill.
fn territory_layer(
    out: &mut String,
    project: &crate::core::Project,
    coloring: &Coloring,
    frame: &Frame,
    view: &BBox,
    opts: &MapImageOptions,
    s: f64,
) {
    let shown: Vec<&crate::core::Territory> = project
        .territories_of_type(project.primary_type())
        .collect();
    let fill = |t: &crate::core::Territory| match coloring.by {
        ColorBy::Territory => t.color,
        _ => coloring.fill(t.id.0),
    };
    // A choropleth must be read from its fills: keep them strong.
    let opacity = match coloring.by {
        ColorBy::Territory => opts.fill_opacity,
        _ => opts.fill_opacity.max(CHOROPLETH_OPACITY),
    };
    let _ = writeln!(out, r#"<g id="territories">"#);
    for t in &shown {
        let d = polygons_path(&t.geometry.0, frame, view, true);
        if !d.is_empty() {
            let _ = writeln!(
                out,
                r#"<path fill="{}" fill-opacity="{:.2}" fill-rule="evenodd" d="{d}"><title>{}</title></path>"#,
                hex(fill(t)),
                opacity,
                escape_xml(&t.name)
            );
        }
    }
    for t in &shown {
        let d = polygons_path(&t.geometry.0, frame, view, true);
        if !d.is_empty() {
            let _ = writeln!(
                out,
                r#"<path fill="none" stroke="{}" stroke-width="{:.2}" stroke-linejoin="round" d="{d}"/>"#,
                hex(darker(fill(t), 0.7)),
                2.0 * s
            );
        }
    }
    let _ = writeln!(out, "</g>");
}

/// The title and the line under it (accounts, territories, balance).
fn title_svg(out: &mut String, title: &str, metrics: &PlanMetrics, s: f64) {
    let sub = format!(
        "{} accounts · {} territories · balance on {} (±{}%)",
        crate::core::numfmt::fmt_num(metrics.total.count as f64, 0),
        metrics.territories.len(),
        metrics.balance_measure,
        crate::core::numfmt::fmt_num(metrics.tolerance_pct, 1).trim_end_matches(".0")
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{:.1}" font-weight="bold" fill="{INK}">{}</text>"#,
        16.0 * s,
        32.0 * s,
        26.0 * s,
        escape_xml(title)
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="{:.1}" fill="{WEAK_INK}">{}</text>"#,
        16.0 * s,
        54.0 * s,
        15.0 * s,
        escape_xml(&sub)
    );
}

/// Account dots, coloured by territory (grey when unassigned), one path per
/// colour; an even sample when there are more than [`MAX_DOTS`].
fn account_dots(out: &mut String, ws: &Workspace, frame: &Frame, s: f64) {
    let p = ws.project();
    let a = &p.accounts;
    let located: Vec<usize> = a.live().filter(|&i| a.is_located(i)).collect();
    if located.is_empty() {
        return;
    }
    let step = located.len().div_ceil(MAX_DOTS).max(1);
    let r = (if located.len() > 5000 { 1.5 } else { 2.2 }) * s;
    let mut paths: Vec<String> = vec![String::new(); p.territories.len() + 1];
    let pos: std::collections::HashMap<_, _> = p
        .territories
        .iter()
        .enumerate()
        .map(|(k, t)| (t.id, k + 1))
        .collect();
    let (x1, y1) = (frame.x0 + frame.w, frame.y0 + frame.h);
    for &i in located.iter().step_by(step) {
        let [x, y] = frame.to_px(a.lon[i], a.lat[i]);
        if x < frame.x0 || y < frame.y0 || x > x1 || y > y1 {
            continue;
        }
        let k = ws
            .engine()
            .territory_of(i)
            .and_then(|id| pos.get(&id).copied())
            .unwrap_or(0);
        // A circle as two arcs: works in every renderer, unlike zero-length
        // round-capped lines.
        let _ = write!(
            paths[k],
            "M{:.1} {y:.1}a{r:.1} {r:.1} 0 1 0 {:.1} 0a{r:.1} {r:.1} 0 1 0 -{:.1} 0",
            x - r,
            2.0 * r,
            2.0 * r
        );
    }
    let _ = writeln!(out, r#"<g id="accounts" fill-opacity="0.85">"#);
    for (k, d) in paths.iter().enumerate() {
        if d.is_empty() {
            continue;
        }
        let color = if k == 0 {
            "#7a7f87".to_owned()
        } else {
            hex(darker(p.territories[k - 1].color, 0.75))
        };
        let _ = writeln!(out, r#"<path fill="{color}" d="{d}"/>"#);
    }
    let _ = writeln!(out, "</g>");
}

/// Territory names at the pole of inaccessibility of their largest polygon
/// ([`crate::core::label`]), with a white halo so they read on any fill;
/// bigger territories first, and a label that would overlap one already
/// placed is left out.
fn territory_labels(
    out: &mut String,
    ws: &Workspace,
    metrics: &PlanMetrics,
    values: bool,
    frame: &Frame,
    s: f64,
) {
    let font = 15.0 * s;
    let _ = writeln!(
        out,
        r#"<g id="labels" font-size="{font:.1}" text-anchor="middle" fill="{INK}" stroke="white" stroke-width="{:.2}" stroke-linejoin="round" paint-order="stroke">"#,
        3.0 * s
    );
    let p = ws.project();
    let mut order: Vec<&crate::core::Territory> = p.territories_of_type(p.primary_type()).collect();
    let px_area = |t: &crate::core::Territory| {
        t.geometry.bounding_rect().map_or(0.0, |r| {
            let a = frame.to_px(r.min().x, r.min().y);
            let b = frame.to_px(r.max().x, r.max().y);
            ((b[0] - a[0]) * (b[1] - a[1])).abs()
        })
    };
    order.sort_by(|a, b| px_area(b).total_cmp(&px_area(a)));
    let mut placed: Vec<[f64; 4]> = Vec::new();
    for t in order {
        let Some(largest) = t
            .geometry
            .0
            .iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        else {
            continue;
        };
        let (Some(pt), Some(r)) = (
            crate::core::label::label_point(&t.geometry),
            largest.bounding_rect(),
        ) else {
            continue;
        };
        let [x, y] = frame.to_px(pt.x(), pt.y());
        let a = frame.to_px(r.min().x, r.min().y);
        let b = frame.to_px(r.max().x, r.max().y);
        // Too small to hold a label at this scale.
        if (b[0] - a[0]).abs() < 1.5 * font && (b[1] - a[1]).abs() < 1.5 * font {
            continue;
        }
        let inside =
            x >= frame.x0 && x <= frame.x0 + frame.w && y >= frame.y0 && y <= frame.y0 + frame.h;
        let value = values
            .then(|| metrics.territory(t.id))
            .flatten()
            .map(label_value);
        let chars = t.name.chars().count().max(
            value
                .as_ref()
                .map_or(0, |v| (v.chars().count() as f64 * 0.85) as usize),
        );
        // Approximate text box (Ubuntu averages ~0.55 em a character).
        let half_w = 0.55 * font * chars as f64 / 2.0;
        let below = if value.is_some() { font * 1.05 } else { 0.0 };
        let bx = [
            x - half_w,
            y - font * 0.7,
            x + half_w,
            y + font * 0.7 + below,
        ];
        let clash = placed
            .iter()
            .any(|o| bx[0] < o[2] && o[0] < bx[2] && bx[1] < o[3] && o[1] < bx[3]);
        if inside && !clash {
            placed.push(bx);
            let _ = writeln!(
                out,
                r#"<text x="{x:.1}" y="{:.1}">{}</text>"#,
                y + font * 0.35,
                escape_xml(&t.name)
            );
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    r#"<text x="{x:.1}" y="{:.1}" font-size="{:.1}">{}</text>"#,
                    y + font * 0.35 + below,
                    font * 0.85,
                    escape_xml(&v)
                );
            }
        }
    }
    let _ = writeln!(out, "</g>");
}

/// The line under a territory's name: its balance value and deviation
/// (`412,000 · +3.1%`).
pub fn label_value(t: &crate::core::metrics::TerritoryMetrics) -> String {
    format!(
        "{} · {}",
        crate::core::numfmt::value(t.balance_value),
        crate::core::numfmt::signed_pct(t.deviation_pct)
    )
}

fn scale_bar_svg(out: &mut String, frame: &Frame, opts: &MapImageOptions, s: f64) {
    let Some(bar) = scale_bar(frame.metres_per_px(), 160.0 * s, opts.units) else {
        return;
    };
    let (x, y) = (frame.x0 + 18.0 * s, frame.y0 + frame.h - 16.0 * s);
    let len = bar.len_px;
    let _ = writeln!(
        out,
        r#"<g id="scale-bar"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{:.1}" fill="white" fill-opacity="0.8"/><path d="M{x:.1} {:.1}V{y:.1}H{:.1}V{:.1}" fill="none" stroke="{INK}" stroke-width="{:.2}"/><text x="{:.1}" y="{:.1}" font-size="{:.1}" text-anchor="middle" fill="{INK}">{}</text></g>"#,
        x - 8.0 * s,
        y - 26.0 * s,
        len + 16.0 * s,
        32.0 * s,
        3.0 * s,
        y - 6.0 * s,
        x + len,
        y - 6.0 * s,
        1.8 * s,
        x + len / 2.0,
        y - 9.0 * s,
        13.0 * s,
        escape_xml(&bar.label)
    );
}

/// The legend panel on the right: colour, name and balance value of each
/// territory (as many as fit), then the plan's mean and spread.
fn legend(out: &mut String, m: &PlanMetrics, coloring: &Coloring, lay: &Layout, w: f64, h: f64) {
    let s = lay.s;
    let x0 = w - lay.legend_w;
    let top = lay.title_h;
    let bottom = h - lay.footer_h;
    let pad = 14.0 * s;
    let _ = writeln!(
        out,
        r##"<g id="legend"><rect x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#fbfbfa"/>"##,
        lay.legend_w,
        bottom - top
    );
    let mut y = top + pad + 16.0 * s;
    if coloring.by != ColorBy::Territory {
        y = color_classes(out, coloring, x0 + pad, y, s);
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{y:.1}" font-size="{:.1}" font-weight="bold" fill="{INK}">Territories</text>"#,
        x0 + pad,
        17.0 * s
    );
    y += 20.0 * s;
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{y:.1}" font-size="{:.1}" fill="{WEAK_INK}">{} · deviation from mean</text>"#,
        x0 + pad,
        12.5 * s,
        escape_xml(&format!("Balance on {}", m.balance_measure))
    );
    y += 10.0 * s;
    let summary_h = 70.0 * s;
    let avail = (bottom - pad - summary_h - y).max(0.0);
    let n = m.territories.len();
    // Shrink rows (down to a legible minimum) before leaving any out.
    let row = (avail / n.max(1) as f64).clamp(15.0 * s, 24.0 * s);
    let fits = (avail / row).floor() as usize;
    let shown = if fits >= n { n } else { fits.saturating_sub(1) };
    let font = (row * 0.62).min(14.0 * s);
    let max_chars = ((lay.legend_w - 2.0 * pad - 150.0 * s) / (font * 0.52)).max(6.0) as usize;
    for t in m.territories.iter().take(shown) {
        let color = coloring.fill(t.id);
        let out_of_band = t.is_out(m.tolerance_pct);
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{:.1}" fill="{}" stroke="{}" stroke-width="{:.2}"/><text x="{:.1}" y="{:.1}" font-size="{font:.1}" fill="{INK}">{}</text><text x="{:.1}" y="{:.1}" font-size="{font:.1}" text-anchor="end" fill="{INK}">{}</text><text x="{:.1}" y="{:.1}" font-size="{font:.1}" text-anchor="end" fill="{}">{}</text>"#,
            x0 + pad,
            y + row * 0.18,
            row * 0.64,
            row * 0.64,
            2.0 * s,
            hex(color),
            hex(darker(color, 0.7)),
            1.0 * s,
            x0 + pad + row * 0.9,
            y + row * 0.7,
            escape_xml(&truncate(&t.name, max_chars)),
            w - pad - 62.0 * s,
            y + row * 0.7,
            crate::core::numfmt::fmt_num(
                t.balance_value,
                if t.balance_value.abs() < 100.0 { 1 } else { 0 }
            ),
            w - pad,
            y + row * 0.7,
            if out_of_band { "#b3261e" } else { WEAK_INK },
            t.deviation_text()
        );
        y += row;
    }
    if shown < n {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="{font:.1}" fill="{WEAK_INK}">… and {} more</text>"#,
            x0 + pad,
            y + row * 0.7,
            n - shown
        );
    }
    let y = bottom - pad - summary_h + 24.0 * s;
    let lines = [
        format!(
            "Mean {} · min {} · max {}",
            crate::core::numfmt::fmt_num(m.mean, 0),
            crate::core::numfmt::fmt_num(m.min, 0),
            crate::core::numfmt::fmt_num(m.max, 0)
        ),
        format!(
            "CV {:.1}% · {} of {} outside ±{}%",
            m.cv_pct,
            m.out_of_tolerance,
            n,
            crate::core::numfmt::fmt_num(m.tolerance_pct, 1).trim_end_matches(".0")
        ),
        format!(
            "Unassigned: {} accounts",
            crate::core::numfmt::fmt_num(m.unassigned.count as f64, 0)
        ),
    ];
    for (k, l) in lines.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="{:.1}" fill="{WEAK_INK}">{}</text>"#,
            x0 + pad,
            y + k as f64 * 18.0 * s,
            12.5 * s,
            escape_xml(l)
        );
    }
    let _ = writeln!(out, "</g>");
}

/// The colour scale of a value colouring: its title and one swatch per
/// class. Returns the `y` below it.
fn color_classes(out: &mut String, coloring: &Coloring, x: f64, mut y: f64, s: f64) -> f64 {
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{:.1}" font-weight="bold" fill="{INK}">{}</text>"#,
        15.0 * s,
        escape_xml(&format!("Colour: {}", coloring.legend.title))
    );
    y += 8.0 * s;
    let row = 19.0 * s;
    for e in &coloring.legend.entries {
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="{}" stroke-width="{:.2}"/><text x="{:.1}" y="{:.1}" font-size="{:.1}" fill="{INK}">{}</text>"#,
            y + row * 0.15,
            row * 1.2,
            row * 0.7,
            hex(e.color),
            hex(darker(e.color, 0.7)),
            0.8 * s,
            x + row * 1.5,
            y + row * 0.72,
            12.5 * s,
            escape_xml(&e.label)
        );
        y += row;
    }
    y + 22.0 * s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars()
            .take(n.saturating_sub(1))
            .chain(std::iter::once('…'))
            .collect()
    }
}
