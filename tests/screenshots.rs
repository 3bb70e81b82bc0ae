//! The screenshots in `docs/`, rendered headless (wgpu on software Vulkan):
//! the window on the bundled sample, coloured by territory and by
//! deviation, drive-time rings from Denver, and presentation mode at
//! projector sizes. Not part of the
//! test run; regenerate them with
//! `TURFMAP_SHOTS=docs cargo test --test screenshots -- --ignored`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use turfmap::app::TurfmapApp;
use turfmap::app::command::Command;
use turfmap::app::map::MapView;
use turfmap::core::colorby::ColorBy;

mod common;

fn shot(size: [f32; 2], setup: impl FnOnce(&mut TurfmapApp), name: &str) {
    let dir = std::env::var_os("TURFMAP_SHOTS").map_or_else(std::env::temp_dir, PathBuf::from);
    let mut h = common::harness_wgpu(size, |ctx| TurfmapApp::with_sample(ctx).expect("sample"));
    h.run_steps(6);
    setup(common::app_mut(&mut h));
    h.run_steps(12);
    let path = dir.join(format!("{name}.png"));
    h.render().expect("render").save(&path).unwrap();
    println!("wrote {}", path.display());
}

#[test]
#[ignore = "writes screenshots; run by hand"]
fn screenshots() {
    assert!(MapView::wait_for_basemap(Duration::from_secs(120)));
    shot([1400.0, 900.0], |_| {}, "screenshot");
    shot(
        [1400.0, 900.0],
        |app| app.map_style_mut().color_by = ColorBy::Deviation,
        "colour-by-deviation",
    );
    rings_shot();
    for (w, h) in [(1280.0, 720.0), (1920.0, 1080.0)] {
        shot(
            [w, h],
            |app| app.apply_command(Command::SetPresenting(true)),
            &format!("presentation-{w}x{h}"),
        );
    }
}

/// Drive-time rings (30/60/90 min) from Denver, from the map's right-click
/// menu as a user draws them.
fn rings_shot() {
    use egui_kittest::kittest::Queryable;
    let dir = std::env::var_os("TURFMAP_SHOTS").map_or_else(std::env::temp_dir, PathBuf::from);
    let mut h = common::harness_wgpu([1400.0, 900.0], |ctx| {
        TurfmapApp::with_sample(ctx).expect("sample")
    });
    h.run_steps(6);
    let denver = common::screen(&h, -104.99, 39.74);
    common::right_click(&mut h, denver);
    h.run_steps(2);
    h.get_by_label("Drive-time rings from here").click();
    h.run_steps(2);
    let app = common::app_mut(&mut h);
    assert!(app.panels_mut().rings.wait(Duration::from_secs(600)));
    // Close enough to see the rings follow the interstates.
    app.map_view_mut().set_view(-104.99, 39.74, 7.0);
    h.run_steps(12);
    let path = dir.join("drive-time-rings.png");
    h.render().expect("render").save(&path).unwrap();
    println!("wrote {}", path.display());
}
