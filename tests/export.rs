//! Map image and balance report exports, checked the way a user sees them:
//! the PNG is decoded and looked at pixel by pixel, and the HTML report is
//! opened in headless Chromium.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use turfmap::core::render::{MapImageOptions, export_map};
use turfmap::core::report::{ReportOptions, write_report};
use turfmap::core::{Workspace, project_file};

fn sample_plan() -> turfmap::core::Project {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
    project_file::load(&path).expect("sample plan")
}

/// Decodes a PNG into (width, height, RGBA bytes).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("open png"));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

fn colors(rgba: &[u8]) -> HashSet<[u8; 3]> {
    rgba.chunks(4).map(|p| [p[0], p[1], p[2]]).collect()
}

fn count_color(rgba: &[u8], c: [u8; 3]) -> usize {
    rgba.chunks(4).filter(|p| p[..3] == c).count()
}

#[test]
fn exported_png_has_the_chosen_size_and_shows_the_plan() {
    let ws = Workspace::new(sample_plan());
    let territory_colors: Vec<[u8; 3]> = ws.project().territories.iter().map(|t| t.color).collect();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.png");
    let opts = MapImageOptions {
        width: 1200,
        height: 800,
        title: Some("Q3 plan".into()),
        ..MapImageOptions::default()
    };
    export_map(&ws, &opts, &out).expect("export");
    let (w, h, rgba) = decode_png(&out);
    assert_eq!((w, h), (1200, 800));
    let distinct = colors(&rgba);
    assert!(
        distinct.len() > 200,
        "a map has many colours, got {}",
        distinct.len()
    );
    // Legend swatches are drawn in the exact territory colours.
    for c in &territory_colors {
        assert!(
            count_color(&rgba, *c) >= 30,
            "territory colour {c:?} is missing from the image"
        );
    }
    // The sea of the basemap shows around the plan.
    assert!(
        count_color(&rgba, [213, 223, 231]) > 10_000,
        "no basemap sea"
    );
    // Not a blank or one-colour image.
    let white = count_color(&rgba, [255, 255, 255]);
    assert!(white < (w * h) as usize / 2, "mostly white: {white}");
}

#[test]
fn svg_export_and_bad_sizes() {
    let ws = Workspace::new(sample_plan());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.svg");
    export_map(&ws, &MapImageOptions::default(), &out).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for t in &ws.project().territories {
        assert!(svg.contains(&t.name), "{} missing", t.name);
    }
    let bad = MapImageOptions {
        width: 20_000,
        ..MapImageOptions::default()
    };
    let err = export_map(&ws, &bad, &dir.path().join("big.png")).unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
    assert!(!dir.path().join("big.png").exists());
}

/// Chromium to drive: `$TURFMAP_CHROMIUM`, else the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TURFMAP_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs headless Chromium with `args` (plus the flags a closed, root,
/// display-less machine needs); returns stdout. Gives up after two minutes.
fn run_chromium(exe: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

fn chromium_or_skip() -> Option<PathBuf> {
    match chromium() {
        Some(p) => Some(p),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "CI=true but Chromium is not installed (.ci/run installs the `chromium` package)"
            )
        }
        None => {
            eprintln!(
                "SKIPPED: Chromium not found (install Debian's `chromium` or set TURFMAP_CHROMIUM) \
                 — the HTML report was not checked in a browser"
            );
            None
        }
    }
}

#[test]
fn html_report_opens_in_chromium_and_shows_every_territory() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let mut project = sample_plan();
    // Names that must be escaped, and must still read right in the page.
    project.territories[0].name = "Pacific <NW> & \"Alaska\"".into();
    let rep = project.next_rep_id();
    project.reps.push(turfmap::core::model::Rep::new(
        rep,
        "O'Brien <script>alert(1)</script>",
    ));
    project.territories[1].reps = vec![rep];
    let names: Vec<String> = project.territories.iter().map(|t| t.name.clone()).collect();
    let ws = Workspace::new(project);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    write_report(&ws, &ReportOptions::default(), &report).expect("report");
    let url = format!("file://{}", report.display());

    let dom = run_chromium(
        &exe,
        &dir.path().join("profile"),
        &["--dump-dom".into(), url.clone()],
    );
    let table_start = dom
        .find("id=\"territory-table\"")
        .expect("table in the DOM");
    let table = &dom[table_start..dom[table_start..].find("</table>").unwrap() + table_start];
    for name in &names {
        // As the DOM serialises text: & < > escaped, quotes as they are.
        let shown = name
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            table.contains(&shown),
            "territory '{name}' is not in the table"
        );
    }
    assert!(!dom.contains("<script>alert"), "user text became markup");
    assert!(dom.contains("id=\"map-svg\""), "map missing");
    assert!(dom.contains("id=\"balance-chart\""), "chart missing");
    let rows = table.matches("<tr>").count();
    assert_eq!(rows, 1 + names.len() + 2, "header + territories + 2 totals");

    // The map really paints: its sea colour fills a good part of a
    // screenshot of the page's top.
    let shot = dir.path().join("shot.png");
    run_chromium(
        &exe,
        &dir.path().join("profile2"),
        &[
            "--window-size=1320,1400".into(),
            format!("--screenshot={}", shot.display()),
            url,
        ],
    );
    let (w, h, rgba) = decode_png(&shot);
    assert!(w >= 1000 && h >= 1000, "{w}×{h}");
    let sea = count_color(&rgba, [213, 223, 231]);
    assert!(sea > 20_000, "the map did not render (sea pixels: {sea})");
    let first = ws.project().territories[2].color;
    assert!(
        count_color(&rgba, first) > 50,
        "territory colour {first:?} not painted"
    );
}

#[test]
fn cli_writes_map_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
    let png = dir.path().join("m.png");
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(["export-map"])
        .arg(&plan)
        .arg("--out")
        .arg(&png)
        .args(["--width", "640", "--height", "400", "--units", "mi"])
        .args(["--bbox", "-125,24,-66,50"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(decode_png(&png).0, 640);
    let html = dir.path().join("r.html");
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("report")
        .arg(&plan)
        .arg("--out")
        .arg(&html)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("<!DOCTYPE html>") && text.contains("Balance report"));
    // A scenario comparison: clone the plan's scenario, move one boundary.
    let mut ws = Workspace::open(&plan).unwrap();
    let base = ws.project().active_scenario;
    let clone = turfmap::core::scenario::clone_edit(ws.project(), base, "Proposal <B>").unwrap();
    ws.apply(clone).unwrap();
    let two = dir.path().join("two.turf");
    ws.save_as(&two).unwrap();
    let cmp = dir.path().join("cmp.html");
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("report")
        .arg(&two)
        .arg("--out")
        .arg(&cmp)
        .args(["--compare", "Proposal <B>"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&cmp).unwrap();
    assert!(text.contains("id=\"scenario\"") && text.contains("Proposal &lt;B&gt;"));
    assert!(text.contains("0 accounts change territory"));
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("report")
        .arg(&two)
        .arg("--out")
        .arg(&cmp)
        .args(["--compare", "Nope"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no scenario called 'Nope'"));

    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("export-map")
        .arg(&plan)
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .args(["--units", "furlongs"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown units 'furlongs'"));
}

/// `pdftotext` and `pdfinfo` (poppler-utils; .ci/run installs them).
fn poppler(tool: &str, pdf: &Path) -> String {
    let o = Command::new(tool)
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{tool} not found ({e}): install poppler-utils (.ci/run does)"));
    assert!(
        o.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `pdfinfo`'s value for `key`.
fn pdf_info(pdf: &Path, key: &str) -> String {
    let o = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .map(|v| v.trim_start_matches(':').trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {key} in pdfinfo output:\n{text}"))
}

#[test]
fn cli_writes_vector_pdf_map_and_report_with_embedded_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
    let names: Vec<String> = Workspace::open(&plan)
        .unwrap()
        .project()
        .territories
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let map = dir.path().join("map.pdf");
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("export-map")
        .arg(&plan)
        .arg("--out")
        .arg(&map)
        .args(["--paper", "letter"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(pdf_info(&map, "Pages"), "1");
    assert!(
        pdf_info(&map, "Page size").starts_with("792 x 612"),
        "Letter landscape"
    );
    let text = poppler("pdftotext", &map);
    // Territory names are text in the PDF (labels and legend), not pixels.
    for n in &names {
        assert!(
            text.contains(n.as_str()),
            "{n} missing from the map PDF:\n{text}"
        );
    }
    let fonts = Command::new("pdffonts")
        .arg(&map)
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts: {fonts}");
    // Column "emb" is yes for every font.
    assert!(rows.iter().all(|r| r.contains(" yes ")), "{fonts}");

    let report = dir.path().join("report.pdf");
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("report")
        .arg(&plan)
        .arg("--out")
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pages: usize = pdf_info(&report, "Pages").parse().unwrap();
    // Map, chart, and the table at 26 rows a page.
    assert_eq!(pages, 2 + names.len().div_ceil(26));
    assert!(
        pdf_info(&report, "Page size").starts_with("841.89 x 595.28"),
        "A4 landscape"
    );
    let text = poppler("pdftotext", &report);
    assert!(text.contains("Balance report"));
    for n in &names {
        assert!(text.matches(n.as_str()).count() >= 2, "{n}: map and table");
    }
    // A failed export leaves the previous file alone.
    let before = std::fs::read(&report).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .arg("report")
        .arg(&plan)
        .arg("--out")
        .arg(&report)
        .args(["--paper", "A3"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("A3"));
    assert_eq!(std::fs::read(&report).unwrap(), before);
}
