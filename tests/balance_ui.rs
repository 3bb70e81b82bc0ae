//! The Balance dialog driven headless with egui_kittest: open it from the
//! Plan menu, run on the sample plan (large hexagons, so a debug build is
//! quick), see the proposal, Accept (one undo step) or Cancel/Discard.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::TurfmapApp;

mod common;

use common::{Slot, app, app_mut, harness_sized};

/// A 1500×1000 window on the bundled sample plan; no frame has run yet.
fn sample_harness() -> Harness<'static, Slot> {
    harness_sized([1500.0, 1000.0], |ctx| {
        TurfmapApp::with_sample(ctx).expect("sample")
    })
}

/// Opens Plan → Balance… and picks 60 km hexagons.
fn open_dialog(h: &mut Harness<'_, Slot>) {
    h.run();
    h.get_by_role_and_label(Role::Button, "Plan").click();
    h.run();
    h.get_by_label("Balance…").click();
    h.run();
    assert!(app(h).panels().balance.is_open(), "the dialog opens");
    app_mut(h).panels_mut().balance.set_hex_km(60.0);
    h.step();
    h.get_by_label("Balance territories");
    h.get_by_label("Keep pinned accounts");
}

fn metrics_key(app: &TurfmapApp) -> (String, Vec<(u32, String)>, u64) {
    let m = app.metrics();
    (
        format!("{:.9} {}", m.cv_pct, m.out_of_tolerance),
        m.territories
            .iter()
            .map(|t| (t.id, format!("{:.9}", t.deviation_pct)))
            .collect(),
        m.total.count,
    )
}

#[test]
fn run_shows_a_proposal_accept_applies_it_and_one_undo_restores() {
    let mut h = sample_harness();
    open_dialog(&mut h);
    let before = metrics_key(app(&h));
    let revision = app(&h).workspace().revision();
    h.get_by_label("Run").click();
    h.step();
    assert!(app(&h).panels().balance.running(), "runs in the background");
    // The window keeps drawing while it runs.
    h.step();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .balance
            .wait(Duration::from_secs(300))
    );
    h.step();
    h.step();
    let p = app(&h)
        .panels()
        .balance
        .proposal()
        .expect("a proposal is shown");
    let (cv0, cv1) = (p.before.cv_pct, p.after.cv_pct);
    assert!(cv1 < cv0, "the proposal is better balanced: {cv0} → {cv1}");
    // Nothing changes before Accept.
    assert_eq!(app(&h).workspace().revision(), revision);
    h.get_by_label("Proposal");
    h.get_by_label_contains("Moves ");
    h.get_by_label("Accept").click();
    h.step();
    h.step();
    assert!(
        !app(&h).panels().balance.is_open(),
        "Accept closes the dialog"
    );
    let after = metrics_key(app(&h));
    assert_ne!(after, before, "Accept changes the plan");
    assert!((app(&h).metrics().cv_pct - cv1).abs() < 1e-9);
    app_mut(&mut h).undo();
    h.step();
    assert_eq!(
        metrics_key(app(&h)),
        before,
        "one Undo restores the metrics exactly"
    );
}

#[test]
fn cancel_and_discard_leave_the_plan_untouched() {
    let mut h = sample_harness();
    open_dialog(&mut h);
    let before = metrics_key(app(&h));
    let revision = app(&h).workspace().revision();
    h.get_by_label("Run").click();
    h.step();
    h.step();
    assert!(app(&h).panels().balance.running());
    h.get_by_label("Cancel").click();
    h.step();
    h.step();
    assert!(!app(&h).panels().balance.running(), "Cancel stops the run");
    assert!(app(&h).panels().balance.proposal().is_none());
    h.get_by_label_contains("Cancelled");
    assert_eq!(app(&h).workspace().revision(), revision);
    assert_eq!(metrics_key(app(&h)), before);

    // Run again, then Discard the proposal.
    h.get_by_label("Run").click();
    h.step();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .balance
            .wait(Duration::from_secs(300))
    );
    h.step();
    h.step();
    assert!(app(&h).panels().balance.proposal().is_some());
    h.get_by_label("Discard").click();
    h.step();
    assert!(app(&h).panels().balance.proposal().is_none());
    assert_eq!(app(&h).workspace().revision(), revision);
    assert_eq!(metrics_key(app(&h)), before);
}

#[test]
fn the_dialog_opens_over_the_map_clear_of_the_territory_list() {
    let mut h = sample_harness();
    open_dialog(&mut h);
    h.run();
    // The territory list shows the names furthest left (the chart too).
    let list = h
        .get_all_by_label("Pacific Northwest")
        .map(|n| n.rect())
        .min_by(|a, b| a.left().total_cmp(&b.left()))
        .expect("listed");
    let title = h.get_by_label("Balance territories").rect();
    let run = h.get_by_role_and_label(Role::Button, "Run").rect();
    assert!(
        title.left() > list.right() && run.left() > list.right(),
        "dialog at {title:?} / {run:?} overlaps the territory list ending at {}",
        list.right()
    );
    // Inside the window, towards its right side.
    assert!(
        title.right() <= 1500.0 && title.center().x > 750.0,
        "{title:?}"
    );
}

/// Trade-off…: the plans along balance ↔ disruption are computed off the
/// UI thread and shown (scatter and table); the least-moving plan within
/// tolerance is proposed; picking another makes it the proposal, and
/// Accept applies it as one undoable edit.
#[test]
fn the_tradeoff_shows_plans_and_the_one_picked_is_applied_in_one_edit() {
    let mut h = sample_harness();
    open_dialog(&mut h);
    let before = metrics_key(app(&h));
    let revision = app(&h).workspace().revision();
    h.get_by_label("Trade-off…").click();
    h.step();
    assert!(app(&h).panels().balance.running(), "runs in the background");
    h.step();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .balance
            .wait(Duration::from_secs(600))
    );
    h.step();
    h.step();
    let plans = app(&h).panels().balance.tradeoff().to_vec();
    assert!(!plans.is_empty(), "plans are shown");
    h.get_by_label("Balance vs disruption");
    h.get_by_label("Max deviation");
    // Least moved first.
    for w in plans.windows(2) {
        assert!(w[0].moved_pct() <= w[1].moved_pct());
    }
    let proposed = app(&h)
        .panels()
        .balance
        .proposal()
        .expect("a plan is proposed");
    let first = plans.iter().position(|p| p.meets_tolerance()).unwrap_or(0);
    assert!(
        (proposed.report.balance_moved_pct - plans[first].moved_pct()).abs() < 1e-9,
        "the least-moving plan within tolerance is proposed"
    );
    // Pick the last (most balanced) plan, unless it is already proposed.
    let last = plans.len() - 1;
    if last != first {
        h.get_by_label(&format!("Use plan {}", last + 1)).click();
        h.step();
        h.step();
        let p = app(&h)
            .panels()
            .balance
            .proposal()
            .expect("still a proposal");
        assert!((p.report.balance_moved_pct - plans[last].moved_pct()).abs() < 1e-9);
    }
    let cv = app(&h).panels().balance.proposal().unwrap().after.cv_pct;
    assert_eq!(
        app(&h).workspace().revision(),
        revision,
        "nothing applied yet"
    );
    h.get_by_label("Accept").click();
    h.step();
    h.step();
    assert!(
        (app(&h).metrics().cv_pct - cv).abs() < 1e-9,
        "the picked plan is applied"
    );
    app_mut(&mut h).undo();
    h.step();
    assert_eq!(metrics_key(app(&h)), before, "one Undo restores it");
}
