//! Drive time in the window, driven like a user would with egui_kittest:
//! the figures of the territories and reps (computed on a worker thread,
//! kept current after edits), the drive line of an account's hover card,
//! and drive-time rings from the map's right-click menu.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::TurfmapApp;
use turfmap::app::drive::DriveStatus;
use turfmap::core::Workspace;
use turfmap::core::basemap::BasemapData;
use turfmap::core::drive::DriveView;
use turfmap::core::edit::Edit;
use turfmap::core::model::{AccountRow, Accounts, Project, Rep, RepId};
use turfmap::core::report::{ReportOptions, report_html, report_pdf};

mod common;

use common::{Slot, account_pos, app, app_mut, hover, screen, square, tid};

/// Long enough for a first build of the road network in a debug build.
const WAIT: Duration = Duration::from_secs(600);

/// West `[-106, -104.5]×[39, 40.5]` (Ann, home in Denver) and East
/// `[-104.5, -103]×[39, 40.5]` (Bob, home in Limon), accounts on a lattice.
fn colorado() -> Project {
    let mut p = Project::new("Colorado");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &[]);
    p.add_territory("West", square(-106.0, 39.0, 1.5));
    p.add_territory("East", square(-104.5, 39.0, 1.5));
    for k in 0..60 {
        let (x, y) = (k % 10, k / 10);
        p.accounts.push(&AccountRow {
            id: format!("A{k:03}"),
            name: format!("Account {k}"),
            location: Some((-105.9 + x as f64 * 0.3, 39.1 + y as f64 * 0.25)),
            measures: vec![100.0],
            ..AccountRow::default()
        });
    }
    for (k, (name, home, t)) in [
        ("Ann Lee", (-104.99, 39.74), "West"),
        ("Bob Roy", (-103.69, 39.26), "East"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut rep = Rep::new(RepId(k as u32), name);
        rep.home = Some(home);
        p.reps.push(rep);
        let id = p.territory_by_name(t).unwrap().id;
        p.territory_mut(id).unwrap().reps = vec![RepId(k as u32)];
    }
    p
}

fn harness(project: Project) -> Harness<'static, Slot> {
    let mut h = common::harness_sized([1500.0, 1000.0], move |ctx| {
        common::tooltips_at_once(ctx);
        TurfmapApp::new(ctx, Workspace::new(project))
    });
    h.run_ok();
    h
}

/// Frames until the window's drive-time figures are of the plan as it is.
fn settle(h: &mut Harness<'_, Slot>) {
    for _ in 0..20 {
        h.run_ok();
        if app(h).panels().drive.status() == DriveStatus::Ready {
            h.run_ok();
            return;
        }
        app_mut(h).panels_mut().drive.wait(WAIT);
    }
    panic!("drive time: {:?}", app(h).panels().drive.status());
}

/// The window's figures equal a fresh computation on the plan as it is.
fn assert_current(h: &mut Harness<'_, Slot>) {
    settle(h);
    let ws = app(h).workspace();
    let fresh = DriveView::new(ws).unwrap();
    let p = ws.project();
    for t in &app(h).metrics().territories {
        let id = turfmap::core::TerritoryId(t.id);
        assert_eq!(
            t.drive,
            fresh.territory(p, ws.current_type(), id),
            "{}",
            t.name
        );
        assert!(t.drive.is_some_and(|d| d.mean_minutes > 0.0), "{}", t.name);
    }
    for r in &p.reps {
        let shown = app(h).panels().drive.rep(r.id);
        assert_eq!(shown, fresh.rep(p, r.id), "{}", r.name);
    }
}

#[test]
fn drive_times_show_in_the_details_and_follow_edits() {
    let mut h = harness(colorado());
    assert_current(&mut h);
    let west = tid(&h, "West");
    app_mut(&mut h).select_territory(west, false);
    h.run_ok();
    h.get_by_label_contains("Drive time: mean");
    h.get_by_label_contains("(from Ann Lee's home)");
    h.get_by_label_contains("Road distance: mean");
    // West shrinks: its accounts east of -105 go to no territory, and the
    // figures follow (computed again for the territories touched only).
    let before = app(&h).metrics().territory(west).unwrap().drive.unwrap();
    app_mut(&mut h).apply(Edit::SetGeometry {
        id: west,
        geometry: square(-106.0, 39.0, 1.0),
    });
    h.run_ok();
    assert_current(&mut h);
    let after = app(&h).metrics().territory(west).unwrap().drive.unwrap();
    assert!(after.accounts < before.accounts, "{after:?} vs {before:?}");
    // The hover card of an account in West: its drive from Ann's home.
    let i = (0..60)
        .find(|&i| app(&h).workspace().engine().territory_of(i) == Some(west))
        .unwrap();
    let p = account_pos(&h, i);
    hover(&mut h, p);
    h.get_by_label_contains("Drive from Ann Lee's home:");
    // The report's territory table has the same figures in its columns.
    let ws = app(&h).workspace();
    let view = DriveView::new(ws).unwrap();
    let opts = ReportOptions {
        drive: Some(&view),
        ..ReportOptions::default()
    };
    let html = report_html(ws, &opts, BasemapData::bundled());
    assert!(html.contains("<th>Drive mean (min)</th><th>Drive max (min)</th>"));
    let row = html
        .split("<tr>")
        .find(|r| r.contains(">West</td>"))
        .unwrap();
    let cell = format!(
        "<td>{:.0}</td><td>{:.0}</td>",
        after.mean_minutes, after.max_minutes
    );
    assert!(row.contains(&cell), "{row}");
    let plain = report_html(ws, &ReportOptions::default(), BasemapData::bundled());
    assert!(!plain.contains("Drive mean"));
    // The PDF report's table has the two columns and West's figures too.
    let text = pdf_text(&report_pdf(ws, &opts, BasemapData::bundled()).unwrap());
    assert!(text.contains("Drive mean (min)"), "{text}");
    // The table's page: after its heading (the map's legend names West too).
    let table = &text[text.find("Drive mean (min)").unwrap_or(0)..];
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("West "))
        .unwrap_or_else(|| panic!("no West row: {text}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    let want = [after.mean_minutes, after.max_minutes].map(|v| format!("{v:.0}"));
    assert!(cells.ends_with(&[&want[0], &want[1]]), "{line} vs {want:?}");
    let plain =
        pdf_text(&report_pdf(ws, &ReportOptions::default(), BasemapData::bundled()).unwrap());
    assert!(!plain.contains("Drive mean"));
}

/// The text of a PDF, by `pdftotext` (poppler-utils; .ci/run installs it).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let o = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn right_click_draws_drive_time_rings_and_the_limits_are_editable() {
    let mut h = harness(colorado());
    let denver = screen(&h, -104.99, 39.74);
    common::right_click(&mut h, denver);
    h.run_ok();
    h.get_by_label("Drive-time rings from here").click();
    h.run_ok();
    assert!(app_mut(&mut h).panels_mut().rings.wait(WAIT));
    h.run_ok();
    let rings = app(&h)
        .map_view()
        .drive_rings()
        .cloned()
        .expect("rings drawn");
    let minutes: Vec<f64> = rings.rings.iter().map(|r| r.minutes).collect();
    assert_eq!(minutes, vec![30.0, 60.0, 90.0]);
    assert!(rings.rings.windows(2).all(|w| w[0].km2 < w[1].km2));
    assert!((rings.from.0 + 104.99).abs() < 0.1 && (rings.from.1 - 39.74).abs() < 0.1);
    assert_eq!(rings.minutes_at(rings.from), Some(30.0));
    h.get_by_label_contains("From here");
    // Other limits, typed and redrawn.
    common::retype(&mut h, "Rings (minutes)", "45, 20");
    h.get_by_label("Redraw").click();
    h.run_ok();
    assert!(app_mut(&mut h).panels_mut().rings.wait(WAIT));
    h.run_ok();
    let rings = app(&h).map_view().drive_rings().cloned().unwrap();
    let minutes: Vec<f64> = rings.rings.iter().map(|r| r.minutes).collect();
    assert_eq!(minutes, vec![20.0, 45.0]);
    // A bad limit is explained and keeps the rings drawn.
    common::retype(&mut h, "Rings (minutes)", "45, soon");
    h.get_by_label("Redraw").click();
    h.run_ok();
    h.get_by_label_contains("\"soon\" is not a number");
    assert!(app(&h).map_view().drive_rings().is_some());
    // From a territory's rep home, in the details panel.
    common::retype(&mut h, "Rings (minutes)", "30, 60");
    let east = tid(&h, "East");
    app_mut(&mut h).select_territory(east, false);
    h.run_ok();
    h.get_by_label("Drive-time rings from Bob Roy's home")
        .click();
    h.run_ok();
    assert!(app_mut(&mut h).panels_mut().rings.wait(WAIT));
    h.run_ok();
    assert_eq!(app(&h).panels().rings.problem(), None);
    let rings = app(&h).map_view().drive_rings().cloned().unwrap();
    assert_eq!(rings.from, (-103.69, 39.26));
    assert_eq!(rings.rings.len(), 2);
    h.get_by_label_contains("From Bob Roy's home");
    // Closing the window takes the rings off the map.
    h.get_by_label("Clear rings").click();
    h.run_ok();
    assert!(app(&h).map_view().drive_rings().is_none());
}
