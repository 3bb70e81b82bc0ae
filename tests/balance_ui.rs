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

/// Gives every rep a home base: the first account of the first territory
/// they work.
fn give_reps_homes(h: &mut Harness<'_, Slot>) {
    let ws = app(h).workspace();
    let p = ws.project();
    let mut edits = Vec::new();
    for r in &p.reps {
        let home = p
            .territories
            .iter()
            .find(|t| t.reps.contains(&r.id))
            .and_then(|t| {
                (0..p.accounts.len()).find(|&i| ws.engine().territory_of(i) == Some(t.id))
            })
            .map(|i| (p.accounts.lon[i], p.accounts.lat[i]));
        let mut rep = r.clone();
        rep.home = home;
        edits.push(turfmap::core::edit::Edit::SetRep { rep });
    }
    for e in edits {
        app_mut(h).apply(e);
    }
}

/// Runs the dialog and waits for its proposal.
fn run_to_proposal(h: &mut Harness<'_, Slot>) {
    match h.query_by_label("Run") {
        Some(run) => run.click(),
        None => h.get_by_label("Run again").click(),
    }
    h.step();
    assert!(
        app_mut(h)
            .panels_mut()
            .balance
            .wait(Duration::from_secs(600))
    );
    h.step();
    h.step();
}

#[test]
fn drive_time_options_reach_the_balancer_and_the_proposal_reports_drive_time() {
    let mut h = sample_harness();
    give_reps_homes(&mut h);
    let reps = app(&h).workspace().project().reps.len();
    open_dialog(&mut h);
    h.get_by_label("Minimise drive time from the reps' homes")
        .click();
    run_to_proposal(&mut h);
    let p = app(&h).panels().balance.proposal().expect("a proposal");
    let note = p
        .report
        .notes
        .iter()
        .find(|n| n.starts_with("drive time from the home bases"))
        .expect("the drive-time note")
        .clone();
    assert!(note.contains("after total"), "{note}");
    h.get_by_label_contains("drive time from the home bases");
    // Generate: one territory per rep home, each with its rep.
    h.get_by_label("Generate from scratch").click();
    h.step();
    h.get_by_label("One territory per rep home").click();
    h.step();
    run_to_proposal(&mut h);
    let p = app(&h).panels().balance.proposal().expect("a proposal");
    assert_eq!(p.after.territories.len(), reps, "{:?}", p.report.notes);
    assert!(p.after.territories.iter().all(|t| t.rep.is_some()));
    assert!(
        p.report
            .notes
            .iter()
            .any(|n| n.starts_with("drive time from the home bases"))
    );
}

/// Lets the window start and finish its background travel-workload refresh.
fn settle_workload(h: &mut Harness<'_, Slot>) {
    for _ in 0..3 {
        h.step();
        assert!(app_mut(h).wait_for_job(Duration::from_secs(600)));
    }
}

#[test]
fn travel_workload_follows_a_move_in_the_window_and_undo_takes_both_back() {
    use turfmap::core::edit::Edit;
    use turfmap::core::workload::{COLUMN, WorkloadSettings, refresh};
    let mut h = sample_harness();
    h.run();
    give_reps_homes(&mut h);
    let mut settings = app(&h).workspace().project().settings.clone();
    settings.travel_workload = Some(WorkloadSettings::default());
    app_mut(&mut h).apply(Edit::SetSettings {
        settings: Box::new(settings),
    });
    settings_and_column_are_fresh(&mut h);
    let ws = app(&h).workspace();
    let p = ws.project();
    let m = p
        .accounts
        .measure_index(COLUMN)
        .expect("the window made the column");
    let (t0, t1) = (p.territories[0].id, p.territories[1].id);
    let moved: Vec<u32> = (0..p.accounts.len())
        .filter(|&i| ws.engine().territory_of(i) == Some(t0))
        .take(20)
        .map(|i| i as u32)
        .collect();
    let values = |h: &Harness<'_, Slot>| -> Vec<f64> {
        let a = &app(h).workspace().project().accounts;
        moved
            .iter()
            .map(|&i| a.measures[m].values[i as usize])
            .collect()
    };
    let before = values(&h);
    let steps = app(&h).workspace().undo_labels().count();
    let ty = app(&h).workspace().current_type();
    app_mut(&mut h).apply(Edit::pin_all(ty, moved.clone(), Some(t1)));
    settings_and_column_are_fresh(&mut h);
    let after = values(&h);
    assert!(
        before.iter().zip(&after).all(|(b, a)| b != a),
        "{before:?} vs {after:?}"
    );
    // One undo step for the move and its workload.
    assert_eq!(app(&h).workspace().undo_labels().count(), steps + 1);
    app_mut(&mut h).undo();
    settings_and_column_are_fresh(&mut h);
    assert_eq!(values(&h), before);

    fn settings_and_column_are_fresh(h: &mut Harness<'_, Slot>) {
        settle_workload(h);
        assert!(
            refresh(app(h).workspace()).unwrap().is_none(),
            "the column is current"
        );
    }
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

#[test]
fn the_centre_limit_reaches_the_balancer_and_the_proposal_reports_it() {
    let mut h = sample_harness();
    open_dialog(&mut h);
    // Default: one typical territory radius.
    h.get_by_label_contains("Load centres may move");
    h.get_by_label("km").click();
    h.step();
    run_to_proposal(&mut h);
    // 50 km keeps the sample's crowded territories from ±5%: by default
    // the limit is widened only as far as that takes, and said.
    let p = app(&h).panels().balance.proposal().expect("a proposal");
    let f = p
        .report
        .centre_limit_widened
        .unwrap_or_else(|| panic!("{:?}", p.report.notes));
    assert!(p.report.within_tolerance_where_feasible);
    let (lo, hi) = p.report.centre_limit_km.unwrap();
    assert!(
        (lo - 50.0 * f).abs() < 1e-6 && (hi - lo).abs() < 1e-6,
        "the km choice (50 km) × {f}: {lo}–{hi}"
    );
    h.get_by_label_contains("× to meet the tolerance)");
    // Held: the planner's 50 km wins and the proposal says what it costs.
    h.get_by_label("Hold the limit even if the tolerance is then missed")
        .click();
    h.step();
    run_to_proposal(&mut h);
    let p = app(&h).panels().balance.proposal().expect("a proposal");
    assert_eq!(
        p.report.centre_limit_km,
        Some((50.0, 50.0)),
        "held at 50 km"
    );
    assert_eq!(p.report.centre_limit_widened, None);
    assert!(
        p.report
            .notes
            .iter()
            .any(|n| n.starts_with("the tolerance is reachable if load centres may move farther")),
        "{:?}",
        p.report.notes
    );
    h.get_by_label_contains("Load centres move at most");
    h.get_by_label("anywhere").click();
    h.step();
    run_to_proposal(&mut h);
    let p = app(&h).panels().balance.proposal().expect("a proposal");
    assert_eq!(p.report.centre_limit_km, None, "no limit");
    assert!(
        h.query_by_label_contains("Load centres move at most")
            .is_none()
    );
}
