//! Shared set-up for the window tests: an egui_kittest harness over the real
//! `TurfmapApp`, ways to find the app and its territories in it, and the
//! pointer and keyboard gestures the tests drive it with. Each test file
//! uses only some of these, hence `allow(dead_code)`.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use egui::{Event, Key, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo::{LineString, MultiPolygon, Polygon};
use turfmap::app::TurfmapApp;
use turfmap::core::model::{AccountRow, Accounts, Project};
use turfmap::core::{TerritoryId, Workspace};

/// Makes the app once the harness's egui context exists.
pub type MakeApp = Box<dyn FnOnce(&egui::Context) -> TurfmapApp>;

/// The harness state: the app is made in the first frame, so that it gets
/// the harness's own egui context.
pub struct Slot {
    make: Option<MakeApp>,
    app: Option<TurfmapApp>,
}

/// Like [`harness_sized`], rendering with wgpu (for images).
pub fn harness_wgpu(
    size: [f32; 2],
    make: impl FnOnce(&egui::Context) -> TurfmapApp + 'static,
) -> Harness<'static, Slot> {
    with_app(Harness::builder().with_size(size).wgpu(), make)
}

/// The window size most tests use.
pub const WINDOW: [f32; 2] = [1400.0, 900.0];

/// A `size` window whose app `make` builds in the first frame; no frame
/// has run yet.
pub fn harness_sized(
    size: [f32; 2],
    make: impl FnOnce(&egui::Context) -> TurfmapApp + 'static,
) -> Harness<'static, Slot> {
    with_app(Harness::builder().with_size(size), make)
}

/// The harness `builder` makes, running the app `make` builds in the first
/// frame.
fn with_app(
    builder: egui_kittest::HarnessBuilder<Slot>,
    make: impl FnOnce(&egui::Context) -> TurfmapApp + 'static,
) -> Harness<'static, Slot> {
    builder.build_ui_state(
        |ui, slot: &mut Slot| {
            if slot.app.is_none() {
                let make = slot.make.take().expect("made once");
                slot.app = Some(make(ui.ctx()));
            }
            slot.app.as_mut().expect("app").ui_contents(ui);
        },
        Slot {
            make: Some(Box::new(make)),
            app: None,
        },
    )
}

/// A [`WINDOW`]-sized window whose app `make` builds; no frame has run yet.
pub fn harness_with(
    make: impl FnOnce(&egui::Context) -> TurfmapApp + 'static,
) -> Harness<'static, Slot> {
    harness_sized(WINDOW, make)
}

/// A [`WINDOW`]-sized window on `project`; no frame has run yet.
pub fn harness(project: Project) -> Harness<'static, Slot> {
    harness_with(open(project))
}

/// Makes the app on `project` (for [`harness_sized`]).
pub fn open(project: Project) -> impl FnOnce(&egui::Context) -> TurfmapApp + 'static {
    move |ctx| TurfmapApp::new(ctx, Workspace::new(project))
}

/// Hover cards and tooltips show at once (no delay, no need to keep still).
pub fn tooltips_at_once(ctx: &egui::Context) {
    ctx.all_styles_mut(|s| {
        s.interaction.tooltip_delay = 0.0;
        s.interaction.show_tooltips_only_when_still = false;
    });
}

/// The app (after the first frame).
pub fn app<'a>(h: &'a Harness<'_, Slot>) -> &'a TurfmapApp {
    h.state().app.as_ref().expect("app")
}

/// The app, to change (after the first frame).
pub fn app_mut<'a>(h: &'a mut Harness<'_, Slot>) -> &'a mut TurfmapApp {
    h.state_mut().app.as_mut().expect("app")
}

/// Waits for the app's background job and lets the window catch up.
pub fn finish_job(h: &mut Harness<'_, Slot>) {
    assert!(
        app_mut(h).wait_for_job(Duration::from_secs(120)),
        "job timed out"
    );
    h.run_ok();
}

/// The id of the territory called `name`.
pub fn tid(h: &Harness<'_, Slot>, name: &str) -> TerritoryId {
    app(h)
        .workspace()
        .project()
        .territory_by_name(name)
        .unwrap_or_else(|| panic!("no territory {name}"))
        .id
}

/// How many accounts the territory called `name` has.
pub fn count(h: &Harness<'_, Slot>, name: &str) -> u64 {
    app(h)
        .workspace()
        .metrics()
        .territory(tid(h, name))
        .unwrap()
        .group
        .count
}

/// The axis-aligned square `[x, x+s] × [y, y+s]`.
pub fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
        vec![],
    )])
}

/// Northwind `[0,10]²`, Southport `[10,20]×[0,10]`, Eastvale
/// `[20,30]×[0,10]`, with 5, 3 and 8 accounts in a row along `y = 5`;
/// account `n` (from 1) has `revenue(n)`.
pub fn three_in_a_row(title: &str, revenue: impl Fn(usize) -> f64) -> Project {
    let mut p = Project::new(title);
    p.accounts = Accounts::with_schema(&["Revenue".into()], &[]);
    let mut n = 0;
    for (k, (name, accounts)) in [("Northwind", 5), ("Southport", 3), ("Eastvale", 8)]
        .into_iter()
        .enumerate()
    {
        let x = k as f64 * 10.0;
        p.add_territory(name, square(x, 0.0, 10.0));
        for j in 0..accounts {
            n += 1;
            p.accounts.push(&AccountRow {
                id: format!("A{n:03}"),
                name: format!("Account {n}"),
                location: Some((x + 1.0 + j as f64 * 0.5, 5.0)),
                measures: vec![revenue(n)],
                ..AccountRow::default()
            });
        }
    }
    p
}

/// Where `(lon, lat)` is on the screen (the map must have been drawn).
pub fn screen(h: &Harness<'_, Slot>, lon: f64, lat: f64) -> Pos2 {
    app(h).map_view().screen_pos(lon, lat).expect("map drawn")
}

/// Where account `i` is on the screen.
pub fn account_pos(h: &Harness<'_, Slot>, i: usize) -> Pos2 {
    let a = &app(h).workspace().project().accounts;
    screen(h, a.lon[i], a.lat[i])
}

/// The primary button going down (`pressed`) or up at `pos`.
pub fn button(pos: Pos2, pressed: bool, modifiers: Modifiers) -> Event {
    Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers,
    }
}

/// A click at `p` (press and release), then a pause so that the next click
/// is not a double-click.
pub fn click_at(h: &mut Harness<'_, Slot>, p: Pos2) {
    h.event(Event::PointerMoved(p));
    h.step();
    h.event(button(p, true, Modifiers::NONE));
    h.step();
    h.event(button(p, false, Modifiers::NONE));
    h.step();
    h.step();
    h.step();
}

/// Moves the pointer to `p` and waits there (long enough for a hover card).
pub fn hover(h: &mut Harness<'_, Slot>, p: Pos2) {
    h.event(Event::PointerMoved(p));
    h.step();
    h.step();
    h.run_ok();
}

/// Right-clicks at `p` (the map opens its context menu there).
pub fn right_click(h: &mut Harness<'_, Slot>, p: Pos2) {
    h.event(Event::PointerMoved(p));
    h.step();
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: p,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        h.step();
    }
}

/// Presses at `path[0]`, moves through the rest (a frame per point, with
/// `steps` intermediate moves per leg) and lets go at the last point,
/// holding `modifiers` all along.
pub fn drag_path(h: &mut Harness<'_, Slot>, path: &[Pos2], steps: usize, modifiers: Modifiers) {
    h.event(Event::ModifiersChanged(modifiers));
    h.event(Event::PointerMoved(path[0]));
    h.step();
    h.event(button(path[0], true, modifiers));
    h.step();
    for w in path.windows(2) {
        for k in 1..=steps {
            let p = w[0] + (w[1] - w[0]) * (k as f32 / steps as f32);
            h.event(Event::PointerMoved(p));
            h.step();
        }
    }
    let end = *path.last().unwrap();
    h.event(button(end, false, modifiers));
    h.step();
    h.event(Event::ModifiersChanged(Modifiers::NONE));
    h.run_ok();
}

/// Presses at `from`, drags to `to` in five steps and lets go.
pub fn drag_pointer(h: &mut Harness<'_, Slot>, from: Pos2, to: Pos2) {
    drag_path(h, &[from, to], 5, Modifiers::NONE);
}

/// Presses and releases `k`, then lets the window settle.
pub fn key(h: &mut Harness<'_, Slot>, k: Key) {
    h.key_press(k);
    h.run_ok();
}

/// Focuses the text field labelled `label` and types `text` after what it
/// holds.
pub fn type_into(h: &mut Harness<'_, Slot>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_ok();
    h.get_by_label(label).type_text(text);
    h.run_ok();
}

/// Focuses the text field labelled `label`, selects all and types `text`
/// over it.
pub fn retype(h: &mut Harness<'_, Slot>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.run_ok();
}

/// Clones the scenario shown as `name` from the model window's form.
pub fn clone_scenario(h: &mut Harness<'_, Slot>, name: &str) {
    type_into(h, "New scenario:", name);
    h.get_by_label("Clone shown scenario").click();
    h.run_ok();
}
