//! The balance report: one self-contained HTML file (inline CSS, the map as
//! inline SVG, a per-territory table, a bar chart with the mean line and
//! the tolerance band, the plan summary and, when one is given, a scenario
//! comparison). Nothing is loaded from elsewhere, so it can be mailed,
//! opened offline and printed.
//!
//! Every piece of user text (plan, territory, rep and measure names) goes
//! through [`escape_xml`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::core::basemap::BasemapData;
use crate::core::csvsafe::CsvCells;
use crate::core::export::{from_csv, unnamed_io};
use crate::core::fs::write_file_atomically;
use crate::core::metrics::PlanMetrics;
use crate::core::numfmt::fmt_num;
use crate::core::numfmt::{compact, pct_plain as pct, value as val};
use crate::core::render::svg::{hex, territory_color};
use crate::core::render::{DistanceUnit, MapImageOptions, escape_xml, map_svg};
use crate::core::{Error, Result, Workspace};

/// Two versions of a plan side by side (e.g. the current plan and a
/// rebalancing proposal or a saved scenario). Territories are matched by
/// name. Filled in by whoever owns the scenarios; the report only shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioComparison {
    /// Name of the reference version, e.g. "Current plan".
    pub baseline_name: String,
    /// Name of the version compared with it, e.g. "Proposal B".
    pub scenario_name: String,
    /// Metrics of the reference version.
    pub baseline: PlanMetrics,
    /// Metrics of the compared version.
    pub scenario: PlanMetrics,
    /// Accounts whose territory differs between the two, if known.
    pub accounts_moved: Option<u64>,
}

impl ScenarioComparison {
    /// Compares scenario `baseline` with scenario `scenario` of `project`
    /// (balance figures of the primary territory type; moved accounts over
    /// every type).
    pub fn between(
        project: &crate::core::Project,
        baseline: crate::core::model::ScenarioId,
        scenario: crate::core::model::ScenarioId,
    ) -> Result<Self> {
        use crate::core::scenario::{diff, view};
        let name = |id| {
            project
                .scenario(id)
                .map_or_else(|| format!("scenario {}", id.0), |s| s.name.clone())
        };
        let metrics =
            |id| -> Result<PlanMetrics> { Ok(Workspace::new(view(project, id)?).metrics()) };
        let d = diff(project, baseline, scenario)?;
        Ok(Self {
            baseline_name: name(baseline),
            scenario_name: name(scenario),
            baseline: metrics(baseline)?,
            scenario: metrics(scenario)?,
            accounts_moved: Some(d.moved_accounts().len() as u64),
        })
    }
}

/// What goes into a report.
#[derive(Clone, Debug)]
pub struct ReportOptions<'a> {
    /// Heading; `None` uses "Balance report: PLAN".
    pub title: Option<String>,
    /// The map (its title band is left out: the report has its own heading).
    pub map: MapImageOptions,
    /// Units for areas.
    pub units: DistanceUnit,
    /// "Generated on" text; `None` uses today's date (UTC).
    pub generated: Option<String>,
    /// The comparison section, when a scenario is chosen.
    pub scenario: Option<&'a ScenarioComparison>,
    /// Drive-time figures of the plan (columns of the HTML territory
    /// table), when its reps have homes.
    pub drive: Option<&'a crate::core::drive::DriveView>,
}

impl Default for ReportOptions<'_> {
    fn default() -> Self {
        Self {
            title: None,
            map: MapImageOptions {
                width: 1280,
                height: 760,
                title: Some(String::new()),
                ..MapImageOptions::default()
            },
            units: DistanceUnit::Km,
            generated: None,
            scenario: None,
            drive: None,
        }
    }
}

const CSS: &str = r#"
:root { --ink:#222831; --weak:#5b636e; --line:#dde1e6; --bad:#b3261e; --ok:#1e7a3c; --band:#e6f2ea; }
* { box-sizing: border-box; }
body { font-family: Ubuntu, 'Segoe UI', Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #f4f5f7; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; background: white; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
.sub { color: var(--weak); margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .k { color: var(--weak); font-size: 13px; }
.card .v { font-size: 22px; font-weight: bold; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #f0f2f5; position: sticky; top: 0; }
th:first-child, td:first-child, td.text { text-align: left; }
td.name { white-space: normal; min-width: 170px; }
th.text { text-align: left; }
tfoot td { font-weight: bold; border-top: 2px solid var(--ink); }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.25); }
.bad { color: var(--bad); font-weight: bold; }
.good { color: var(--ok); }
.note { color: var(--weak); font-size: 13px; }
footer { margin-top: 32px; color: var(--weak); font-size: 12px; }
@media print { body { background: white; } main { padding: 0; } th { position: static; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"#;

/// Builds the report for the plan in `ws`. See the module docs.
pub fn report_html(ws: &Workspace, opts: &ReportOptions, basemap: &BasemapData) -> String {
    let mut m = ws.metrics();
    let project = ws.project();
    if let Some(v) = opts.drive {
        v.add_to_metrics(&mut m, project);
    }
    let plan_name = if project.name.trim().is_empty() {
        "Untitled plan".to_owned()
    } else {
        project.name.clone()
    };
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("Balance report: {plan_name}"));
    let generated = opts.generated.clone().unwrap_or_else(today_utc);
    let mut h = String::with_capacity(512 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"Turfmap {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape_xml(&title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape_xml(&title));
    let _ = writeln!(
        h,
        "<p class=\"sub\">{} · generated {} · balance on <b>{}</b>, tolerance ±{}%</p>",
        escape_xml(&plan_name),
        escape_xml(&generated),
        escape_xml(&m.balance_measure),
        pct(m.tolerance_pct)
    );

    summary_cards(&mut h, &m);

    h.push_str("<h2 id=\"map\">Map</h2>\n<figure>\n");
    let map = map_svg(ws, &m, &opts.map, basemap);
    let _ = write!(
        h,
        "{}",
        map.replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"Territory map\" id=\"map-svg\" ",
            1
        )
    );
    h.push_str("</figure>\n");

    h.push_str("<h2 id=\"chart\">Balance per territory</h2>\n");
    bar_chart(&mut h, &m, ws);

    h.push_str("<h2 id=\"territories\">Territories</h2>\n");
    territory_table(&mut h, &m, ws, opts.units);

    if let Some(sc) = opts.scenario {
        h.push_str("<h2 id=\"scenario\">Scenario comparison</h2>\n");
        scenario_section(&mut h, sc);
    }

    let _ = writeln!(
        h,
        "<footer>{} Made with Turfmap {}.</footer>\n</main>\n</body>\n</html>",
        escape_xml(
            crate::core::render::data_credits(project).trim_end_matches(" Made with Turfmap.")
        ),
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// Writes the report for `ws` to `path` (atomically), with the bundled
/// basemap: HTML, or vector PDF (on `opts.map.paper`) when the file name
/// ends in `.pdf`.
pub fn write_report(ws: &Workspace, opts: &ReportOptions, path: &Path) -> Result<()> {
    opts.map.validate()?;
    let bytes = if crate::core::render::has_extension(path, "pdf") {
        report_pdf(ws, opts, BasemapData::bundled())?
    } else {
        report_html(ws, opts, BasemapData::bundled()).into_bytes()
    };
    write_file_atomically(path, |w| {
        std::io::Write::write_all(w, &bytes).map_err(|e| Error::io(path, e))
    })
}

/// Territory rows on each table page of the PDF report.
const PDF_ROWS: usize = 26;

/// The report as a vector PDF: the map with the heading, the balance chart
/// with the plan summary, then the territory table over as many landscape
/// pages as it takes.
pub fn report_pdf(ws: &Workspace, opts: &ReportOptions, basemap: &BasemapData) -> Result<Vec<u8>> {
    let mut m = ws.metrics();
    if let Some(v) = opts.drive {
        v.add_to_metrics(&mut m, ws.project());
    }
    let paper = opts.map.paper;
    let (w, h) = paper.pixels();
    let title = opts.title.clone().unwrap_or_else(|| {
        let name = ws.project().name.trim();
        format!(
            "Balance report: {}",
            if name.is_empty() {
                "Untitled plan"
            } else {
                name
            }
        )
    });
    let map_opts = MapImageOptions {
        width: w,
        height: h,
        title: Some(title.clone()),
        ..opts.map.clone()
    };
    let mut pages = vec![map_svg(ws, &m, &map_opts, basemap)];
    let mut chart = String::new();
    bar_chart(&mut chart, &m, ws);
    let summary = format!(
        "{} · balance on {} · mean {} · tolerance ±{}% · {} outside",
        m.units_summary(),
        m.balance_measure,
        val(m.mean),
        pct(m.tolerance_pct),
        m.out_of_tolerance
    );
    pages.push(pdf_page(
        w,
        h,
        &format!("{title}: balance per territory"),
        &summary,
        |s| {
            if let (Some(a), Some(b)) = (chart.find("<svg"), chart.rfind("</svg>")) {
                // The chart's own SVG, placed under the heading at page width.
                let inner = chart[a..b + 6].replacen(
                    "<svg ",
                    &format!(
                        "<svg x=\"40\" y=\"150\" width=\"{}\" height=\"{}\" ",
                        w - 80,
                        h - 200
                    ),
                    1,
                );
                s.push_str(&inner);
            } else {
                s.push_str(&svg_text(
                    40.0,
                    180.0,
                    28.0,
                    "The plan has no territories yet.",
                ));
            }
        },
    ));
    let rows: Vec<&crate::core::metrics::TerritoryMetrics> = m.territories.iter().collect();
    let chunks: Vec<_> = rows.chunks(PDF_ROWS).collect();
    for (k, chunk) in chunks.iter().enumerate() {
        let heading = format!("Territories ({} of {})", k + 1, chunks.len());
        pages.push(pdf_page(w, h, &heading, &summary, |s| {
            table_rows(s, chunk, &m, ws, w);
        }));
    }
    crate::core::render::pdf::svgs_to_pdf(&pages, paper)
}

/// A page-sized SVG with a heading and a sub-line, `body` drawing the rest.
fn pdf_page(w: u32, h: u32, heading: &str, sub: &str, body: impl FnOnce(&mut String)) -> String {
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{}\"><rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        crate::core::render::svg::FONT_FAMILY
    );
    s.push_str(&svg_text(40.0, 70.0, 40.0, heading));
    s.push_str(&svg_text(40.0, 115.0, 24.0, sub));
    body(&mut s);
    s.push_str("</svg>");
    s
}

fn svg_text(x: f64, y: f64, size: f64, text: &str) -> String {
    format!(
        "<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" fill=\"#222831\">{}</text>",
        escape_xml(text)
    )
}

/// One column of the PDF report's territory table: heading, width in
/// pixels, right-aligned, and its cell of a row.
type PdfColumn<'a> = (
    &'static str,
    f64,
    bool,
    Box<dyn Fn(&crate::core::metrics::TerritoryMetrics) -> String + 'a>,
);

/// The PDF table's columns after the name: rep, accounts, balance,
/// deviation, then quota and attainment when the plan has quotas, and
/// drive mean and max when the report has drive-time figures.
fn pdf_columns<'a>(m: &PlanMetrics) -> Vec<PdfColumn<'a>> {
    let mut cols: Vec<PdfColumn<'a>> = vec![
        (
            "Rep",
            320.0,
            false,
            Box::new(|t| t.rep.clone().unwrap_or_default()),
        ),
        (
            "Accounts",
            170.0,
            true,
            Box::new(|t| fmt_num(t.group.count as f64, 0)),
        ),
        ("Balance", 210.0, true, Box::new(|t| val(t.balance_value))),
        ("Deviation", 190.0, true, Box::new(|t| t.deviation_text())),
    ];
    if m.territories.iter().any(|t| t.quota.is_some()) {
        cols.push((
            "Quota",
            170.0,
            true,
            Box::new(|t| t.quota.map_or_else(String::new, val)),
        ));
        cols.push((
            "Attain.",
            150.0,
            true,
            Box::new(|t| {
                t.attainment_pct
                    .map_or_else(String::new, |a| format!("{a:.1}%"))
            }),
        ));
    }
    if m.territories.iter().any(|t| t.drive.is_some()) {
        let minutes = |f: fn(&crate::core::travel::DriveFigures) -> f64| {
            move |t: &crate::core::metrics::TerritoryMetrics| {
                t.drive
                    .as_ref()
                    .map_or_else(String::new, |d| fmt_num(f(d), 0))
            }
        };
        cols.push((
            "Drive mean (min)",
            220.0,
            true,
            Box::new(minutes(|d| d.mean_minutes)),
        ));
        cols.push((
            "Drive max (min)",
            200.0,
            true,
            Box::new(minutes(|d| d.max_minutes)),
        ));
    }
    cols
}

/// Table rows of the PDF report: swatch, name and the columns of
/// [`pdf_columns`], laid out from the right edge of a `w` pixels wide page;
/// the deviation is red outside the tolerance band.
fn table_rows(
    s: &mut String,
    rows: &[&crate::core::metrics::TerritoryMetrics],
    m: &PlanMetrics,
    ws: &Workspace,
    w: u32,
) {
    let cols = pdf_columns(m);
    // The name keeps at least 360 px; with many columns all shrink, text too.
    let total: f64 = cols.iter().map(|c| c.1).sum();
    let room = f64::from(w) - 40.0 - 72.0 - 360.0;
    let scale = (room / total).min(1.0);
    let font = 24.0 * scale.max(0.75);
    // A right-aligned column's x is its right edge; a left one's its start.
    let mut right = f64::from(w) - 40.0;
    let mut xs = vec![0.0; cols.len()];
    for (i, (_, width, is_right, _)) in cols.iter().enumerate().rev() {
        xs[i] = if *is_right {
            right
        } else {
            right - width * scale + 20.0
        };
        right -= width * scale;
    }
    let head = |x: f64, t: &str, right: bool| {
        let anchor = if right { "end" } else { "start" };
        format!(
            "<text x=\"{x}\" y=\"175\" font-size=\"{font}\" font-weight=\"bold\" text-anchor=\"{anchor}\" fill=\"#5b636e\">{}</text>",
            escape_xml(t)
        )
    };
    s.push_str(&head(40.0, "Territory", false));
    for ((title, _, is_right, _), x) in cols.iter().zip(&xs) {
        s.push_str(&head(*x, title, *is_right));
    }
    for (k, t) in rows.iter().enumerate() {
        let y = 215.0 + k as f64 * 37.0;
        let color = territory_color(ws.project(), t.id);
        let _ = write!(
            s,
            "<rect x=\"40\" y=\"{}\" width=\"22\" height=\"22\" fill=\"{}\" stroke=\"#5b636e\"/>",
            y - 19.0,
            hex(color)
        );
        let mut cells = vec![(72.0, t.name.clone(), false, "#222831")];
        for ((title, _, is_right, cell), x) in cols.iter().zip(&xs) {
            let fill = match *title {
                "Deviation" if t.is_out(m.tolerance_pct) => "#b3261e",
                "Deviation" => "#1e7a3c",
                _ => "#222831",
            };
            cells.push((*x, cell(t), *is_right, fill));
        }
        for (x, text, right, fill) in cells {
            let anchor = if right { "end" } else { "start" };
            let _ = write!(
                s,
                "<text x=\"{x}\" y=\"{y}\" font-size=\"{font}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{}</text>",
                escape_xml(&text)
            );
        }
    }
}

fn summary_cards(h: &mut String, m: &PlanMetrics) {
    let n = m.balance_units;
    let cards = [
        ("Accounts", fmt_num(m.total.count as f64, 0), ""),
        ("Territories", m.territories.len().to_string(), ""),
        (
            "Within ±tolerance",
            format!("{} of {n}", n - m.out_of_tolerance),
            if m.out_of_tolerance == 0 {
                "good"
            } else {
                "bad"
            },
        ),
        ("Mean", val(m.mean), ""),
        ("Min – max", format!("{} – {}", val(m.min), val(m.max)), ""),
        (
            "Max / min",
            m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
            "",
        ),
        ("Coefficient of variation", format!("{:.1}%", m.cv_pct), ""),
        (
            "Unassigned",
            fmt_num(m.unassigned.count as f64, 0),
            if m.unassigned.count > 0 { "bad" } else { "" },
        ),
        ("Unlocated", fmt_num(m.unlocated.count as f64, 0), ""),
    ];
    let mut cards: Vec<(&str, String, &str)> = cards.into_iter().collect();
    let percent = |p: f64| format!("{p:.1}%");
    if let Some(q) = m.quota_total {
        cards.push(("Quota", val(q), ""));
    }
    if let Some(a) = m.attainment_pct {
        cards.push((
            "Attainment",
            percent(a),
            if a >= 100.0 { "good" } else { "" },
        ));
    }
    if let Some(p) = m.penetration_pct {
        cards.push(("Market penetration", percent(p), ""));
    }
    if let Some(n) = m.neglected {
        cards.push(("Neglected accounts", fmt_num(n as f64, 0), ""));
    }
    h.push_str("<h2 id=\"summary\">Plan summary</h2>\n<div class=\"cards\">\n");
    for (k, v, class) in cards {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"k\">{k}</div><div class=\"v {class}\">{}</div></div>",
            escape_xml(&v)
        );
    }
    h.push_str("</div>\n");
}

/// Bars per territory in plan order, the mean as a dashed line and the
/// ±tolerance band shaded; bars outside the band are outlined in red.
fn bar_chart(h: &mut String, m: &PlanMetrics, ws: &Workspace) {
    let n = m.territories.len();
    if n == 0 {
        h.push_str("<p class=\"note\">The plan has no territories yet.</p>\n");
        return;
    }
    let (w, ht) = (1260.0, 380.0);
    let labels = n <= 60;
    let (left, right, top) = (70.0, 16.0, 16.0);
    let bottom = if labels { 110.0 } else { 30.0 };
    let (pw, ph) = (w - left - right, ht - top - bottom);
    let band_hi = m.mean * (1.0 + m.tolerance_pct / 100.0);
    let vmax = m.max.max(band_hi).max(1e-9) * 1.08;
    let y = |v: f64| top + ph - (v.max(0.0) / vmax) * ph;
    let slot = pw / n as f64;
    let bar_w = (slot * 0.78).max(1.0);
    let _ = writeln!(
        h,
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"balance-chart\" role=\"img\" aria-label=\"Balance per territory\" viewBox=\"0 0 {w} {ht}\" font-size=\"12\">"
    );
    // Grid and axis labels at 1-2-5 steps.
    let raw = vmax / 5.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * pow)
        .find(|&s| s >= raw)
        .unwrap_or(pow);
    let mut v = 0.0;
    while v <= vmax {
        let yy = y(v);
        let _ = writeln!(
            h,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e3e6ea\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5b636e\">{}</text>",
            left + pw,
            left - 6.0,
            yy + 4.0,
            compact(v)
        );
        v += step;
    }
    let band_lo = m.mean * (1.0 - m.tolerance_pct / 100.0);
    let _ = writeln!(
        h,
        "<rect x=\"{left}\" y=\"{:.1}\" width=\"{pw}\" height=\"{:.1}\" fill=\"#2e9e57\" fill-opacity=\"0.14\"><title>±{}% tolerance band</title></rect>",
        y(band_hi),
        (y(band_lo) - y(band_hi)).max(0.0),
        pct(m.tolerance_pct)
    );
    let project = ws.project();
    for (k, t) in m.territories.iter().enumerate() {
        let color = territory_color(project, t.id);
        let x = left + k as f64 * slot + (slot - bar_w) / 2.0;
        let top_y = y(t.balance_value);
        let bad = t.is_out(m.tolerance_pct);
        let stroke = if bad {
            "stroke=\"#b3261e\" stroke-width=\"2\""
        } else {
            "stroke=\"none\""
        };
        let _ = writeln!(
            h,
            "<rect x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{}\" {stroke}><title>{}: {} ({})</title></rect>",
            (top + ph - top_y).max(0.0),
            hex(color),
            escape_xml(&t.name),
            val(t.balance_value),
            t.deviation_text()
        );
        if labels {
            let cx = x + bar_w / 2.0;
            let ly = top + ph + 12.0;
            let name: String = if t.name.chars().count() > 16 {
                t.name
                    .chars()
                    .take(15)
                    .chain(std::iter::once('…'))
                    .collect()
            } else {
                t.name.clone()
            };
            let _ = writeln!(
                h,
                "<text x=\"{cx:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" transform=\"rotate(-40 {cx:.1} {ly:.1})\" fill=\"#222831\">{}</text>",
                escape_xml(&name)
            );
        }
    }
    let ym = y(m.mean);
    let _ = writeln!(
        h,
        "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{ym:.1}\" y2=\"{ym:.1}\" stroke=\"#222831\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#222831\">mean {}</text>",
        left + pw,
        left + pw - 4.0,
        ym - 5.0,
        escape_xml(&val(m.mean))
    );
    let _ = writeln!(
        h,
        "<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#5b636e\"/><line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#5b636e\"/>",
        top + ph,
        left + pw,
        top + ph,
        top + ph
    );
    h.push_str("</svg>\n");
    let _ = writeln!(
        h,
        "<figcaption class=\"note\">{} per territory. Dashed line: mean; green band: ±{}%; red outline: outside the band.</figcaption></figure>",
        escape_xml(&m.balance_measure),
        pct(m.tolerance_pct)
    );
}

/// The drive-time cells of one territory row (empty without figures).
fn drive_cells(h: &mut String, d: Option<&crate::core::travel::DriveFigures>, units: DistanceUnit) {
    match d {
        Some(d) => {
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                fmt_num(d.mean_minutes, 0),
                fmt_num(d.max_minutes, 0),
                fmt_num(units.length_from_km(d.mean_km), 0),
                fmt_num(units.length_from_km(d.max_km), 0)
            );
        }
        None => h.push_str("<td></td><td></td><td></td><td></td>"),
    }
}

fn territory_table(h: &mut String, m: &PlanMetrics, ws: &Workspace, units: DistanceUnit) {
    let project = ws.project();
    h.push_str("<table id=\"territory-table\">\n<thead><tr><th>Territory</th><th class=\"text\">Rep</th><th>Accounts</th>");
    for name in &m.measures {
        let _ = write!(h, "<th>{}</th>", escape_xml(name));
    }
    let _ = write!(
        h,
        "<th>Balance ({})</th><th>Deviation</th><th>Share</th><th>Area ({})</th><th>Compactness</th>",
        escape_xml(&m.balance_measure),
        units.area_label()
    );
    let mut plan_cols = PlanColumns::of(m);
    if let Some(a) = project
        .settings
        .quota
        .as_ref()
        .and_then(|q| q.actual.as_ref())
    {
        plan_cols.actual = format!("Actual ({a})");
    }
    for head in plan_cols.headers() {
        let _ = write!(h, "<th>{}</th>", escape_xml(&head));
    }
    let drive = m.territories.iter().any(|t| t.drive.is_some());
    if drive {
        let _ = write!(
            h,
            "<th>Drive mean (min)</th><th>Drive max (min)</th><th>Road mean ({0})</th><th>Road max ({0})</th>",
            units.label()
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let bm = project.balance_measure_index();
    for t in &m.territories {
        let color = territory_color(project, t.id);
        let bad = t.is_out(m.tolerance_pct);
        let share = t
            .share_pct
            .get(bm.map_or(0, |i| i + 1))
            .copied()
            .unwrap_or(0.0);
        let _ = write!(
            h,
            "<tr><td class=\"name\"><span class=\"sw\" style=\"background:{}\"></span>{}</td><td class=\"text\">{}</td><td>{}</td>",
            hex(color),
            escape_xml(&t.name),
            escape_xml(t.rep.as_deref().unwrap_or("")),
            fmt_num(t.group.count as f64, 0)
        );
        for v in &t.group.sums {
            let _ = write!(h, "<td>{}</td>", val(*v));
        }
        let _ = write!(
            h,
            "<td>{}</td><td class=\"{}\">{}</td><td>{:.1}%</td><td>{}</td><td>{:.2}</td>",
            val(t.balance_value),
            if bad { "bad" } else { "good" },
            t.deviation_text(),
            share,
            fmt_num(units.area_from_km2(t.area_km2), 0),
            t.compactness
        );
        for cell in plan_cols.cells(&PlanFigures::of(t)) {
            let _ = write!(h, "<td>{}</td>", escape_xml(&cell));
        }
        if drive {
            drive_cells(h, t.drive.as_ref(), units);
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n<tfoot>\n");
    let row = |h: &mut String, label: &str, g: &crate::core::metrics::Group, f: &PlanFigures| {
        let _ = write!(
            h,
            "<tr><td>{label}</td><td></td><td>{}</td>",
            fmt_num(g.count as f64, 0)
        );
        for v in &g.sums {
            let _ = write!(h, "<td>{}</td>", val(*v));
        }
        h.push_str("<td></td><td></td><td></td><td></td><td></td>");
        for cell in plan_cols.cells(f) {
            let _ = write!(h, "<td>{}</td>", escape_xml(&cell));
        }
        if drive {
            drive_cells(h, None, units);
        }
        h.push_str("</tr>\n");
    };
    row(h, "Unassigned", &m.unassigned, &PlanFigures::default());
    row(h, "Total", &m.total, &PlanFigures::plan(m));
    h.push_str("</tfoot>\n</table>\n");
}

/// Quota, coverage and penetration figures of a territory or the plan.
#[derive(Default)]
struct PlanFigures {
    quota: Option<f64>,
    actual: Option<f64>,
    attainment_pct: Option<f64>,
    white_space: Option<f64>,
    penetration_pct: Option<f64>,
    neglected: Option<u64>,
}

impl PlanFigures {
    fn of(t: &crate::core::metrics::TerritoryMetrics) -> Self {
        Self {
            quota: t.quota,
            actual: t.actual,
            attainment_pct: t.attainment_pct,
            white_space: t.white_space,
            penetration_pct: t.penetration_pct,
            neglected: t.neglected,
        }
    }

    fn plan(m: &PlanMetrics) -> Self {
        let white = m
            .territories
            .iter()
            .filter(|t| t.parent.is_none())
            .filter_map(|t| t.white_space)
            .reduce(|a, b| a + b);
        Self {
            quota: m.quota_total,
            actual: m.actual_total,
            attainment_pct: m.attainment_pct,
            white_space: white,
            penetration_pct: m.penetration_pct,
            neglected: m.neglected,
        }
    }
}

/// Which of the quota and coverage columns the plan has figures for (a
/// column nobody has is left out rather than shown empty).
struct PlanColumns {
    actual: String,
    quota: bool,
    has_actual: bool,
    white: bool,
    penetration: bool,
    neglected: bool,
}

impl PlanColumns {
    fn of(m: &PlanMetrics) -> Self {
        let any =
            |f: fn(&crate::core::metrics::TerritoryMetrics) -> bool| m.territories.iter().any(f);
        Self {
            actual: "Actual".into(),
            quota: any(|t| t.quota.is_some()),
            has_actual: any(|t| t.actual.is_some()),
            white: any(|t| t.white_space.is_some()),
            penetration: any(|t| t.penetration_pct.is_some()),
            neglected: any(|t| t.neglected.is_some()),
        }
    }

    fn headers(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.quota {
            v.push("Quota".to_owned());
        }
        if self.has_actual {
            v.push(self.actual.clone());
            if self.quota {
                v.push("Attainment".into());
            }
        }
        if self.white {
            v.push("White space".into());
        }
        if self.penetration {
            v.push("Penetration".into());
        }
        if self.neglected {
            v.push("Neglected".into());
        }
        v
    }

    fn cells(&self, f: &PlanFigures) -> Vec<String> {
        let amount = |v: Option<f64>| v.map_or_else(String::new, val);
        let percent = |v: Option<f64>| v.map_or_else(String::new, |p| format!("{p:.1}%"));
        let mut v = Vec::new();
        if self.quota {
            v.push(amount(f.quota));
        }
        if self.has_actual {
            v.push(amount(f.actual));
            if self.quota {
                v.push(percent(f.attainment_pct));
            }
        }
        if self.white {
            v.push(amount(f.white_space));
        }
        if self.penetration {
            v.push(percent(f.penetration_pct));
        }
        if self.neglected {
            v.push(
                f.neglected
                    .map_or_else(String::new, |n| fmt_num(n as f64, 0)),
            );
        }
        v
    }
}

/// Writes one row per territory of `metrics`' type, in plan order:
/// `id,name,parent,rep,accounts`, each measure's total, `balance`,
/// `deviation_pct`, then `quota,actual,attainment_pct,white_space,
/// penetration_pct,neglected` (empty where the plan has no such figure).
/// Quotas are rolled up (a parent's is its own plus its descendants').
/// Text cells are spreadsheet-safe.
pub fn write_territory_summary_csv<W: std::io::Write>(
    w: W,
    metrics: &crate::core::metrics::PlanMetrics,
) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut head: Vec<String> = ["id", "name", "parent", "rep", "accounts"]
        .map(String::from)
        .to_vec();
    head.extend(
        metrics
            .measures
            .iter()
            .map(|m| CsvCells::default().cell(m).into_owned()),
    );
    head.extend(
        [
            "balance",
            "deviation_pct",
            "quota",
            "actual",
            "attainment_pct",
            "white_space",
            "penetration_pct",
            "neglected",
        ]
        .map(String::from),
    );
    out.write_record(&head).map_err(from_csv)?;
    let num = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let names: HashMap<u32, &str> = metrics
        .territories
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    for t in &metrics.territories {
        let cells = CsvCells::default();
        let parent = t.parent.and_then(|p| names.get(&p).copied()).unwrap_or("");
        let mut row = vec![
            t.id.to_string(),
            cells.cell(&t.name).into_owned(),
            cells.cell(parent).into_owned(),
            cells.cell(t.rep.as_deref().unwrap_or("")).into_owned(),
            t.group.count.to_string(),
        ];
        row.extend(t.group.sums.iter().map(|v| v.to_string()));
        row.push(t.balance_value.to_string());
        row.push(if t.balance_unit {
            format!("{:.2}", t.deviation_pct)
        } else {
            String::new()
        });
        row.extend([
            num(t.quota),
            num(t.actual),
            t.attainment_pct
                .map_or_else(String::new, |p| format!("{p:.2}")),
            num(t.white_space),
            t.penetration_pct
                .map_or_else(String::new, |p| format!("{p:.2}")),
            t.neglected.map_or_else(String::new, |n| n.to_string()),
        ]);
        out.write_record(&row).map_err(from_csv)?;
    }
    out.flush().map_err(unnamed_io)
}

fn scenario_section(h: &mut String, sc: &ScenarioComparison) {
    let (a, b) = (&sc.baseline, &sc.scenario);
    let (an, bn) = (escape_xml(&sc.baseline_name), escape_xml(&sc.scenario_name));
    let ratio = |m: &PlanMetrics| m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}"));
    let _ = writeln!(
        h,
        "<table id=\"scenario-summary\"><thead><tr><th></th><th>{an}</th><th>{bn}</th></tr></thead><tbody>"
    );
    let rows = [
        (
            "Territories",
            a.territories.len().to_string(),
            b.territories.len().to_string(),
        ),
        (
            "Outside tolerance",
            a.out_of_tolerance.to_string(),
            b.out_of_tolerance.to_string(),
        ),
        (
            "Coefficient of variation",
            format!("{:.1}%", a.cv_pct),
            format!("{:.1}%", b.cv_pct),
        ),
        ("Max / min", ratio(a), ratio(b)),
        ("Mean", val(a.mean), val(b.mean)),
        (
            "Unassigned accounts",
            fmt_num(a.unassigned.count as f64, 0),
            fmt_num(b.unassigned.count as f64, 0),
        ),
    ];
    for (k, x, y) in rows {
        let _ = writeln!(
            h,
            "<tr><td>{k}</td><td>{}</td><td>{}</td></tr>",
            escape_xml(&x),
            escape_xml(&y)
        );
    }
    h.push_str("</tbody></table>\n");
    if let Some(moved) = sc.accounts_moved {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} accounts change territory from {an} to {bn}.</p>",
            fmt_num(moved as f64, 0)
        );
    }
    let _ = writeln!(
        h,
        "<table id=\"scenario-territories\"><thead><tr><th>Territory</th><th>{an}</th><th>{bn}</th><th>Change</th><th>Deviation {an}</th><th>Deviation {bn}</th></tr></thead><tbody>"
    );
    let mut names: Vec<&str> = a.territories.iter().map(|t| t.name.as_str()).collect();
    for t in &b.territories {
        if !names.contains(&t.name.as_str()) {
            names.push(&t.name);
        }
    }
    for name in names {
        let ta = a.territories.iter().find(|t| t.name == name);
        let tb = b.territories.iter().find(|t| t.name == name);
        let cell = |t: Option<&crate::core::metrics::TerritoryMetrics>| {
            t.map_or("—".into(), |t| val(t.balance_value))
        };
        let dev = |t: Option<&crate::core::metrics::TerritoryMetrics>, tol: f64| {
            t.map_or("<td>—</td>".into(), |t| {
                format!(
                    "<td class=\"{}\">{}</td>",
                    if t.is_out(tol) { "bad" } else { "good" },
                    t.deviation_text()
                )
            })
        };
        let change = match (ta, tb) {
            (Some(x), Some(y)) => {
                let d = y.balance_value - x.balance_value;
                if d == 0.0 {
                    "0".into()
                } else {
                    format!("{}{}", if d > 0.0 { "+" } else { "−" }, val(d.abs()))
                }
            }
            (None, Some(_)) => "new".into(),
            (Some(_), None) => "removed".into(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}</tr>",
            escape_xml(name),
            cell(ta),
            cell(tb),
            escape_xml(&change),
            dev(ta, a.tolerance_pct),
            dev(tb, b.tolerance_pct)
        );
    }
    h.push_str("</tbody></table>\n");
}

/// Today's date in UTC as `YYYY-MM-DD` (no time-zone database needed).
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Project;
    use geo::{MultiPolygon, polygon};

    fn ws() -> Workspace {
        let mut p = Project::new("Q3 <plan> & co");
        p.add_territory(
            "North <script>alert(1)</script>",
            MultiPolygon(vec![polygon![(x: -100.0, y: 40.0), (x: -90.0, y: 40.0), (x: -90.0, y: 45.0), (x: -100.0, y: 45.0)]]),
        );
        p.add_territory(
            "South & \"East\"",
            MultiPolygon(vec![polygon![(x: -100.0, y: 30.0), (x: -90.0, y: 30.0), (x: -90.0, y: 40.0), (x: -100.0, y: 40.0)]]),
        );
        Workspace::new(p)
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let html = report_html(&ws(), &ReportOptions::default(), &BasemapData::default());
        assert!(!html.contains("<script>"), "raw markup leaked");
        assert!(html.contains("North &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("South &amp; &quot;East&quot;"));
        assert!(html.contains("Q3 &lt;plan&gt; &amp; co"));
        assert!(html.contains("id=\"map-svg\"") && html.contains("id=\"balance-chart\""));
        assert!(
            !html.contains("id=\"scenario\""),
            "no comparison unless given"
        );
    }

    #[test]
    fn scenario_section_appears_when_given() {
        let w = ws();
        let m = w.metrics();
        let mut other = m.clone();
        other.territories.pop();
        let sc = ScenarioComparison {
            baseline_name: "Current".into(),
            scenario_name: "Proposal <B>".into(),
            baseline: m,
            scenario: other,
            accounts_moved: Some(12),
        };
        let opts = ReportOptions {
            scenario: Some(&sc),
            generated: Some("today".into()),
            ..ReportOptions::default()
        };
        let html = report_html(&w, &opts, &BasemapData::default());
        assert!(html.contains("id=\"scenario\""));
        assert!(html.contains("Proposal &lt;B&gt;"));
        assert!(html.contains("removed"));
        assert!(html.contains("12 accounts change territory"));
    }

    #[test]
    fn comparison_between_two_scenarios() {
        use crate::core::edit::Edit;
        let mut w = ws();
        let base = w.project().active_scenario;
        let clone = crate::core::scenario::clone_edit(w.project(), base, "Proposal").unwrap();
        w.apply(clone).unwrap();
        let other = w.project().scenario_by_name("Proposal").unwrap().id;
        w.apply(Edit::SwitchScenario { to: other }).unwrap();
        let north = w.project().territories[0].id;
        let geometry = MultiPolygon(vec![
            polygon![(x: -100.0, y: 40.0), (x: -95.0, y: 40.0), (x: -95.0, y: 45.0), (x: -100.0, y: 45.0)],
        ]);
        w.apply(Edit::SetGeometry {
            id: north,
            geometry,
        })
        .unwrap();
        let sc = ScenarioComparison::between(w.project(), base, other).unwrap();
        assert_eq!(
            (sc.baseline_name.as_str(), sc.scenario_name.as_str()),
            ("Plan", "Proposal")
        );
        let area = |m: &PlanMetrics| m.territories[0].area_km2;
        assert!(area(&sc.scenario) < area(&sc.baseline) * 0.6);
        assert_eq!(sc.accounts_moved, Some(0), "the plan has no accounts");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
