//! A map that reads in a review: colouring by deviation or by a measure
//! (window, images, report), the legend, the density layer, labels for
//! every territory that has room, and a chart axis that reads at any
//! magnitude. On data we did not make: the bundled sample plan (CRM-style
//! columns) and the bundled US states (Natural Earth / Census).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{WINDOW, app, app_mut, harness, harness_sized, open};
use egui::Key;
use turfmap::app::command::Command;
use turfmap::core::colorby::{ColorBy, DIVERGING, SEQUENTIAL, coloring, measure_values};
use turfmap::core::import::{add_territories, import_territories};
use turfmap::core::model::Project;
use turfmap::core::render::{MapImageOptions, plan_map_svg, svg::hex};
use turfmap::core::{Workspace, project_file};

fn sample_plan() -> Project {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/sample.turf");
    project_file::load(&path).expect("sample plan")
}

fn states() -> Project {
    let path = turfmap::core::assets::dir().join("us-states.geojson");
    let (imported, _) = import_territories(&path, "name").expect("bundled states");
    let mut p = Project::new("States");
    add_territories(&mut p, imported);
    p
}

#[test]
fn deviation_colours_are_diverging_with_the_tolerance_band_neutral() {
    let ws = Workspace::new(sample_plan());
    let m = ws.metrics();
    let c = coloring(ws.project(), &m, &ColorBy::Deviation);
    let class = |rgb: [u8; 3]| DIVERGING.iter().position(|&d| d == rgb).expect("a class");
    let (mut under, mut over) = (0, 0);
    for t in &m.territories {
        let k = class(c.fill(t.id));
        if t.deviation_pct.abs() <= m.tolerance_pct {
            assert_eq!(
                k, 3,
                "{} at {:+.1}% is in tolerance",
                t.name, t.deviation_pct
            );
        } else if t.deviation_pct < 0.0 {
            under += 1;
            assert!(k < 3, "{} under the band", t.name);
        } else {
            over += 1;
            assert!(k > 3, "{} over the band", t.name);
        }
    }
    // The sample is unbalanced both ways, so both sides are exercised.
    assert!(under > 0 && over > 0, "{under} under, {over} over");
    assert_eq!(c.legend.entries.len(), 7);
    assert!(
        c.legend.entries[3].label.contains("in tolerance"),
        "{:?}",
        c.legend.entries[3]
    );
}

#[test]
fn measure_colours_rise_with_the_value_and_the_legend_reads() {
    let ws = Workspace::new(sample_plan());
    let m = ws.metrics();
    let by = ColorBy::parse("annualrevenue", ws.project()).expect("a measure, any case");
    assert_eq!(by, ColorBy::Measure("AnnualRevenue".into()));
    let c = coloring(ws.project(), &m, &by);
    let values = measure_values(&m, "AnnualRevenue").expect("values");
    let class = |id: u32| {
        SEQUENTIAL
            .iter()
            .position(|&s| s == c.fill(id))
            .expect("a class")
    };
    for &(a, va) in &values {
        for &(b, vb) in &values {
            if va < vb {
                assert!(class(a) <= class(b), "{va} coloured above {vb}");
            }
        }
    }
    // Revenue per territory is in the millions: grouped digits.
    assert!(c.legend.entries.len() >= 2);
    assert!(
        c.legend.entries.iter().all(|e| e.label.contains(',')),
        "{:?}",
        c.legend.entries
    );
    let err = ColorBy::parse("nonesuch", ws.project())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nonesuch") && err.contains("deviation") && err.contains("AnnualRevenue"),
        "{err}"
    );
}

#[test]
fn map_image_uses_the_colouring_its_legend_and_value_labels() {
    let ws = Workspace::new(sample_plan());
    let opts = MapImageOptions {
        color_by: ColorBy::Deviation,
        label_values: true,
        ..MapImageOptions::default()
    };
    let svg = plan_map_svg(&ws, &opts).expect("svg");
    assert!(svg.contains("Colour: Deviation from mean"), "legend title");
    assert!(svg.contains("in tolerance"), "legend classes");
    let m = ws.metrics();
    let c = coloring(ws.project(), &m, &ColorBy::Deviation);
    for t in &m.territories {
        let fill = format!(r#"fill="{}" fill-opacity"#, hex(c.fill(t.id)));
        assert!(svg.contains(&fill), "{} drawn {fill}", t.name);
    }
    // A value line under at least one name: "1,234 · +5.0%".
    assert!(svg.contains(" · +") || svg.contains(" · -"), "value labels");
    // The territory colouring's image has none of that.
    let plain = plan_map_svg(&ws, &MapImageOptions::default()).expect("svg");
    assert!(!plain.contains("Colour: Deviation"));
}

#[test]
fn the_window_colours_by_deviation_with_a_legend_and_shows_density() {
    let mut h = harness(sample_plan());
    h.run_ok();
    assert_eq!(app(&h).map_view().legend_title(), None);
    app_mut(&mut h).map_style_mut().color_by = ColorBy::Deviation;
    h.run_ok();
    let title = app(&h).map_view().legend_title().expect("legend");
    assert!(title.starts_with("Deviation from mean"), "{title}");
    // Accounts as density: no dots, every account in view counted once.
    app_mut(&mut h).map_style_mut().density = true;
    h.run_ok();
    let stats = app(&h).map_view().stats();
    assert_eq!(stats.dots.in_view, 0);
    let [w, s, e, n] = app(&h).map_view().visible_bounds().expect("bounds");
    let a = &app(&h).workspace().project().accounts;
    let in_view = (0..a.len())
        .filter(|&i| a.is_located(i) && !a.removed[i])
        .filter(|&i| a.lon[i] >= w && a.lon[i] < e && a.lat[i] > s && a.lat[i] <= n)
        .count() as u64;
    let counted = app(&h).map_view().density_total();
    assert!(in_view > 0);
    // Cells at the map's edge may take or lose an account to rounding.
    assert!(
        counted.abs_diff(in_view) <= in_view / 200 + 2,
        "{counted} counted, {in_view} in view"
    );
}

#[test]
fn states_are_labelled_wherever_they_have_room() {
    let mut h = harness(states());
    h.run_ok();
    h.run_ok();
    let ws = app(&h).workspace();
    let labelled = app(&h).map_view().labelled().to_vec();
    let name = |id| ws.project().territory(id).expect("t").name.clone();
    let names: Vec<String> = labelled.iter().map(|&id| name(id)).collect();
    // The states the first review found unlabelled or ambiguous.
    for s in ["Mississippi", "Florida", "Alabama", "Texas", "California"] {
        assert!(names.iter().any(|n| n == s), "{s} unlabelled: {names:?}");
    }
    assert!(names.len() >= 40, "{} labelled: {names:?}", names.len());
    // The plan view frames the lower 48; the rest show in insets.
    let shown = app(&h).map_view().insets_shown().to_vec();
    assert_eq!(shown[..2], ["Alaska", "Hawaii"]);
    let [w, s, e, _] = app(&h).map_view().visible_bounds().expect("bounds");
    assert!(w > -135.0 && e < -55.0, "view {w}..{e}");
    // Puerto Rico is either on the main map or in an inset.
    let pr_in_view = s < 18.0 && e > -65.5;
    assert!(
        pr_in_view != shown.contains(&"Puerto Rico"),
        "{shown:?}, view south {s} east {e}"
    );
}

#[test]
fn us_map_images_frame_the_lower_48_with_insets() {
    let ws = Workspace::new(states());
    let svg = plan_map_svg(&ws, &MapImageOptions::default()).expect("svg");
    for (k, name) in ["Alaska", "Hawaii", "Puerto Rico"].iter().enumerate() {
        assert!(svg.contains(&format!(r#"id="inset-{k}""#)), "{name} inset");
        assert!(svg.contains(&format!(">{name}</text>")), "{name} named");
    }
    // An area asked for is drawn as asked, without insets.
    let east = MapImageOptions {
        bbox: Some([-80.0, 35.0, -70.0, 45.0]),
        ..MapImageOptions::default()
    };
    let svg = plan_map_svg(&ws, &east).expect("svg");
    assert!(!svg.contains(r#"id="inset-0""#));
}

#[test]
fn chart_axis_reads_at_any_magnitude() {
    for hi in [87.0, 432_123.0, 7.3e6, 2.5e9] {
        let labels = turfmap::app::chart::axis_tick_labels(0.0, hi, 700.0);
        assert!(labels.len() >= 3 && labels.len() <= 8, "{hi}: {labels:?}");
        let values: Vec<f64> = labels
            .iter()
            .map(|l| l.replace(',', "").parse::<f64>().expect(l))
            .collect();
        assert!(values.windows(2).all(|w| w[1] > w[0]), "{labels:?}");
        assert!(*values.last().unwrap() >= hi, "{hi}: {labels:?}");
        if hi >= 1e4 {
            assert!(labels.iter().skip(1).all(|l| l.contains(',')), "{labels:?}");
        }
    }
}

#[test]
fn the_map_has_most_of_the_default_window_and_panels_collapse() {
    let mut h = harness_sized(WINDOW, open(sample_plan()));
    h.run_ok();
    let map = app(&h).map_view().last_view().expect("drawn").rect;
    assert!(
        map.width() >= 0.6 * WINDOW[0] && map.height() >= 0.6 * WINDOW[1],
        "map {map:?} of {WINDOW:?}"
    );
    app_mut(&mut h).map_style_mut().list_panel = false;
    app_mut(&mut h).map_style_mut().details_panel = false;
    h.run_ok();
    let wide = app(&h).map_view().last_view().expect("drawn").rect;
    assert!(wide.width() >= 0.95 * WINDOW[0], "{wide:?}");
}

/// The map's rect on screen after the last frame.
fn map_rect(h: &egui_kittest::Harness<'_, common::Slot>) -> egui::Rect {
    app(h).map_view().last_view().expect("drawn").rect
}

#[test]
fn selecting_or_switching_tools_never_moves_the_map() {
    let mut h = harness_sized(WINDOW, open(sample_plan()));
    h.run_ok();
    h.run_ok();
    let before = map_rect(&h);
    // An account, then a territory with a long name, then every tool (each
    // has its own options and hints in the toolbar).
    app_mut(&mut h).select_account(0);
    h.run_ok();
    assert_eq!(map_rect(&h), before, "after selecting an account");
    let longest = {
        let ws = app(&h).workspace();
        let t = ws.project().territories.iter();
        t.max_by_key(|t| t.name.len()).expect("territories").id
    };
    app_mut(&mut h).apply_command(Command::SelectTerritory {
        id: longest,
        zoom: false,
    });
    h.run_ok();
    assert_eq!(map_rect(&h), before, "after selecting a territory");
    for k in [Key::L, Key::D, Key::E, Key::P, Key::S, Key::V] {
        common::key(&mut h, k);
        h.run_ok();
        assert_eq!(map_rect(&h), before, "after the {k:?} tool");
    }
}

#[test]
fn a_report_from_the_window_is_coloured_like_the_window() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(sample_plan());
    h.run_ok();
    app_mut(&mut h).panels_mut().export.target_dir = Some(dir.path().to_path_buf());
    let report = |h: &mut egui_kittest::Harness<'_, common::Slot>| {
        app_mut(h).apply_command(Command::ExportReport(None));
        h.run_ok();
        common::finish_job(h);
        let path = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == "html"))
            .expect("report written");
        let html = std::fs::read_to_string(&path).expect("html");
        std::fs::remove_file(&path).expect("remove");
        html
    };
    let plain = report(&mut h);
    assert!(!plain.contains("Colour: Deviation"));
    app_mut(&mut h).map_style_mut().color_by = ColorBy::Deviation;
    app_mut(&mut h).map_style_mut().label_values = true;
    h.run_ok();
    let html = report(&mut h);
    assert!(html.contains("Colour: Deviation"), "the window's colouring");
    assert!(
        html.contains(" · +") || html.contains(" · -"),
        "value labels"
    );
}

#[test]
fn the_window_fills_neighbours_apart_and_labels_them() {
    let mut h = harness(states());
    h.run_ok();
    h.run_ok();
    let ws = app(&h).workspace();
    let p = ws.project();
    let fills: std::collections::HashMap<_, _> =
        app(&h).map_view().drawn_fills().iter().copied().collect();
    assert!(fills.len() >= 48, "{} drawn", fills.len());
    let labelled = app(&h).map_view().labelled().to_vec();
    let mut pairs = 0;
    for (a, ns) in turfmap::core::colors::adjacency(p) {
        for b in ns.into_iter().filter(|&b| a < b) {
            let (Some(fa), Some(fb)) = (fills.get(&a), fills.get(&b)) else {
                continue;
            };
            pairs += 1;
            let name = |id| p.territory(id).expect("t").name.clone();
            assert_ne!(fa, fb, "{} and {} share a fill", name(a), name(b));
        }
    }
    assert!(pairs >= 100, "{pairs} neighbouring pairs drawn");
    // Mississippi is no longer read as Florida's area: both carry labels.
    let named: Vec<&str> = labelled
        .iter()
        .map(|&id| p.territory(id).expect("t").name.as_str())
        .collect();
    for s in ["Mississippi", "Florida", "Alabama"] {
        assert!(named.contains(&s), "{s} unlabelled");
    }
}

#[test]
fn presentation_legend_shows_every_territory_clear_of_the_exit_button() {
    use egui_kittest::kittest::Queryable;
    for size in [[1280.0, 720.0], [1920.0, 1080.0]] {
        let mut h = harness_sized(size, open(sample_plan()));
        h.run_ok();
        app_mut(&mut h).apply_command(Command::SetPresenting(true));
        h.run_ok();
        h.run_ok();
        let exit = h.get_by_label("Exit presentation (Esc)").rect();
        let names: Vec<String> = app(&h)
            .workspace()
            .project()
            .territories
            .iter()
            .map(|t| t.name.clone())
            .collect();
        // The chart holds the bottom of the window; the legend's rows must
        // all be above it, inside the window, none under the exit button.
        let chart_top = h.get_by_label("Balance per territory").rect().top();
        for name in &names {
            let row = h
                .query_all_by_label(name)
                .map(|n| n.rect())
                .find(|r| r.left() > size[0] * 0.5)
                .unwrap_or_else(|| panic!("{name} not in the legend at {size:?}"));
            assert!(
                row.bottom() <= chart_top,
                "{name} at {row:?} under the chart"
            );
            assert!(!row.intersects(exit), "{name} under the exit button");
        }
        assert!(exit.right() < size[0] * 0.5, "exit button {exit:?}");
    }
}
