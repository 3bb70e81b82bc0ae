//! Quotas in the window: the details panel shows a territory's quota,
//! actual and attainment, and setting one territory's quota (bottom-up)
//! re-derives the plan total as one undo step.
#![allow(clippy::unwrap_used)]

mod common;

use common::{app, app_mut, harness, retype, three_in_a_row, tid};
use egui_kittest::kittest::Queryable;
use turfmap::core::quota::{QuotaSettings, top_down};

#[test]
fn details_panel_sets_one_quota_and_the_total_follows() {
    // Revenue 1 per account: Northwind 5, Southport 3, Eastvale 8 of 16.
    let mut h = harness(three_in_a_row("quota", |_| 1.0));
    h.run();
    let ws = app(&h).workspace();
    let settings = QuotaSettings {
        type_id: ws.project().primary_type(),
        total: 1_600.0,
        by: "Revenue".into(),
        weights: Vec::new(),
        actual: Some("Revenue".into()),
        potential: None,
    };
    let edit = top_down(ws.project(), &ws.metrics(), settings).unwrap();
    app_mut(&mut h).apply(edit);
    let south = tid(&h, "Southport");
    app_mut(&mut h).select_territory(south, false);
    h.run();
    // Southport: quota 300, actual 3 → 1.0%.
    h.run();
    assert!(
        h.query_by_label("Attainment").is_some(),
        "no quota figures shown"
    );
    assert!(h.query_by_label("Attainment: 1.0%").is_some());
    // The details panel may need scrolling to show the quota controls.
    h.get_by_label("Set quota").scroll_to_me();
    h.run();
    retype(&mut h, "New quota", "450");
    h.get_by_label("Set quota").click();
    h.run();
    let ws = app(&h).workspace();
    assert_eq!(ws.project().territory(south).unwrap().quota, Some(450.0));
    let total = ws.project().settings.quota.as_ref().unwrap().total;
    assert_eq!(total, 500.0 + 450.0 + 800.0);
    assert_eq!(
        ws.undo_labels().last(),
        Some("Set the quota of 'Southport'")
    );
}
