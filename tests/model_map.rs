//! The territory model on the map, driven like a user would with
//! egui_kittest: one territory type shown at a time (map, labels, account
//! colours, list, tooltip and tools all follow it), "why is it here" in the
//! hover card, rep homes with their card and edit form, and a scenario
//! comparison computed in the background that rings the moved accounts.
#![allow(clippy::unwrap_used)]

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use turfmap::app::TurfmapApp;
use turfmap::core::model::{Capacity, Project, Rep, RepId, TerritoryType, TerritoryTypeId};
use turfmap::core::shape_edit as tools;
use turfmap::core::{TerritoryId, Workspace};

mod common;

use common::{
    Slot, app, app_mut, click_at, clone_scenario, drag_pointer, hover, retype, screen, square,
    three_in_a_row, tid, type_into,
};

const OVERLAY: TerritoryTypeId = TerritoryTypeId(1);

/// Geographic: Northwind `[0,10]²`, Southport `[10,20]×[0,10]`, Eastvale
/// `[20,30]×[0,10]` with 5, 3 and 8 accounts along `y = 5`. Overlay type:
/// "Health" `[0,15]×[0,10]` (Northwind's accounts and Southport's first
/// two). Rep Ann works Northwind from home (2, 3), 4 accounts capacity.
fn plan() -> Project {
    let mut p = three_in_a_row("Model map", |_| 100.0);
    p.types.push(TerritoryType {
        id: OVERLAY,
        name: "Overlay".into(),
        priority: 0,
    });
    let h = p.add_territory("Health", square(0.0, 0.0, 15.0));
    p.territory_mut(h).unwrap().type_id = OVERLAY;
    p.territory_mut(h).unwrap().color = [200, 30, 30];
    let mut ann = Rep::new(RepId(0), "Ann Lee");
    ann.home = Some((2.0, 3.0));
    ann.capacity = Some(Capacity::Accounts(4));
    p.reps.push(ann);
    let nw = p.territory_by_name("Northwind").unwrap().id;
    p.territory_mut(nw).unwrap().reps = vec![RepId(0)];
    p
}

/// A 1500×1000 window on [`plan`] with hover cards at once, after its
/// first frames.
fn harness() -> Harness<'static, Slot> {
    let project = plan();
    let mut h = common::harness_sized([1500.0, 1000.0], move |ctx| {
        common::tooltips_at_once(ctx);
        TurfmapApp::new(ctx, Workspace::new(project))
    });
    h.run_ok();
    h
}

fn show_overlay(h: &mut Harness<'_, Slot>) {
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Type")
        .click();
    h.run_ok();
    h.get_by_label("Overlay").click();
    h.run_ok();
    assert_eq!(app(h).workspace().current_type(), OVERLAY);
}

#[test]
fn map_list_colors_and_tooltip_follow_the_type_shown() {
    let mut h = harness();
    let geo_type = app(&h).workspace().current_type();
    assert_ne!(geo_type, OVERLAY);
    assert_eq!(app(&h).map_view().stats().territories, 3);
    let nw = app(&h)
        .workspace()
        .project()
        .territory_by_name("Northwind")
        .unwrap()
        .color;
    let nw = egui::Color32::from_rgb(nw[0], nw[1], nw[2]);
    assert_eq!(app(&h).map_view().account_color(0), Some(nw));
    h.get_by_label("Eastvale");

    // The toolbar's switcher shows the overlay type instead.
    show_overlay(&mut h);
    assert_eq!(app(&h).map_view().stats().territories, 1);
    assert_eq!(app(&h).metrics().territories.len(), 1);
    h.get_by_label("Health");
    assert_eq!(h.query_all_by_label("Eastvale").count(), 0);
    // Accounts take their overlay territory's colour, or none.
    let red = egui::Color32::from_rgb(200, 30, 30);
    assert_eq!(app(&h).map_view().account_color(0), Some(red));
    assert_ne!(app(&h).map_view().account_color(15), Some(red));
    assert_ne!(app(&h).map_view().account_color(15), Some(nw));

    // The hover card names the overlay territory and why.
    let p = screen(&h, 1.0, 5.0);
    hover(&mut h, p);
    h.get_by_label("Overlay: Health");
    h.get_by_label("Why: inside its boundary");
}

#[test]
fn hover_card_names_the_winning_rule_and_what_it_beat() {
    let mut h = harness();
    let east = tid(&h, "Eastvale");
    let rule = turfmap::core::rules::Rule::parse("Revenue >= 100").unwrap();
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SetRule {
        id: east,
        rule: Some(rule),
    });
    h.run_ok();
    let p = screen(&h, 1.0, 5.0);
    hover(&mut h, p);
    h.get_by_label("Geographic: Eastvale");
    h.get_by_label("Why: rule Revenue >= 100");
    h.get_by_label_contains("Beat inside the boundary of 'Northwind'");
}

#[test]
fn tools_act_on_the_type_shown_and_merge_refuses_mixed_types() {
    let mut h = harness();
    show_overlay(&mut h);
    let nw_before = app(&h)
        .workspace()
        .project()
        .territory_by_name("Northwind")
        .unwrap()
        .geometry
        .clone();
    // Draw an overlay territory across Health's edge.
    h.key_press(Key::D);
    h.run_ok();
    for (x, y) in [(12.0, 2.0), (18.0, 2.0), (18.0, 8.0), (12.0, 8.0)] {
        let p = screen(&h, x, y);
        click_at(&mut h, p);
    }
    h.key_press(Key::Enter);
    h.run_ok();
    let p = app(&h).workspace().project();
    let new = p.territories.last().unwrap();
    assert_eq!(new.type_id, OVERLAY, "drawn on the type shown");
    // It took area from the overlay territory, never from a geographic one.
    let geo_unchanged = p.territory_by_name("Northwind").unwrap().geometry == nw_before;
    assert!(geo_unchanged);
    assert_eq!(
        p.territory_by_name("Southport").unwrap().geometry,
        square(10.0, 0.0, 10.0)
    );
    let health = p.territory_by_name("Health").unwrap();
    let area = geo::Area::unsigned_area(&health.geometry);
    assert!(area < 225.0 - 1.0, "{area}");
    assert_eq!(app(&h).map_view().stats().territories, 2);

    // Merge refuses territories of different types, naming them.
    let err = tools::merge_territories(p, &[tid(&h, "Health"), tid(&h, "Northwind")], None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("different types"), "{err}");
    assert!(err.contains("'Health' (Overlay)"), "{err}");
    // Dropping accounts onto a territory of another type than the engine's
    // is refused too.
    let geo = app(&h).workspace().engine_for(TerritoryTypeId(0)).unwrap();
    let err = tools::drop_accounts(p, geo, &[0], tid(&h, "Health"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not of the type shown"), "{err}");
}

#[test]
fn rep_home_is_drawn_with_a_card_and_edited_from_the_form() {
    let mut h = harness();
    // The home's hover card: load against capacity and distances.
    let home = screen(&h, 2.0, 3.0);
    hover(&mut h, home);
    h.get_by_label("Ann Lee (home base)");
    h.get_by_label("Load: 5 of 4 accounts (125%)");
    h.get_by_label_contains("Distance to accounts: mean");

    app_mut(&mut h).panels_mut().model.set_open(true);
    h.run_ok();
    // Role: typed, committed when the field loses focus: one undoable edit.
    type_into(&mut h, "Role", "Owner");
    h.key_press(Key::Tab);
    h.run_ok();
    let rep = |h: &Harness<'_, Slot>| app(h).workspace().project().reps[0].clone();
    assert_eq!(rep(&h).role, "Owner");
    assert_eq!(
        app(&h).workspace().undo_labels().last(),
        Some("Change rep 'Ann Lee'")
    );
    // A bad latitude is explained and changes nothing.
    retype(&mut h, "lat", "95");
    h.key_press(Key::Tab);
    h.run_ok();
    h.get_by_label_contains("latitude 95 is outside");
    assert_eq!(rep(&h).home, Some((2.0, 3.0)));
    retype(&mut h, "lat", "4");
    h.key_press(Key::Tab);
    h.run_ok();
    assert_eq!(h.query_all_by_label_contains("Problem:").count(), 0);
    assert_eq!(rep(&h).home, Some((2.0, 4.0)));
    // Capacity in hours.
    h.get_by_label("hours").scroll_to_me();
    h.run_ok();
    h.get_by_label("hours").click();
    h.run_ok();
    assert_eq!(
        rep(&h).capacity,
        Some(Capacity::Hours(4.0)),
        "{:?}",
        app(&h).error()
    );

    // Set from a map click.
    h.get_by_label("Set from map click").scroll_to_me();
    h.run_ok();
    h.get_by_label("Set from map click").click();
    h.run_ok();
    assert!(app(&h).map_view().picking());
    // West of the window, which opens over the right of the map.
    let p = screen(&h, 6.0, 8.0);
    click_at(&mut h, p);
    h.run_ok();
    let (lon, lat) = rep(&h).home.unwrap();
    assert!(
        (lon - 6.0).abs() < 0.1 && (lat - 8.0).abs() < 0.1,
        "{lon} {lat}"
    );
    assert!(!app(&h).map_view().picking());
    // The click set the home rather than selecting a territory.
    assert_eq!(app(&h).selection().territory, None);
    app_mut(&mut h).undo();
    h.run_ok();
    assert_eq!(rep(&h).home, Some((2.0, 4.0)));
}

#[test]
fn comparison_runs_in_the_background_and_rings_moved_accounts() {
    let mut h = harness();
    app_mut(&mut h).panels_mut().model.set_open(true);
    h.run_ok();
    clone_scenario(&mut h, "Proposal");
    let p = app(&h).workspace().project();
    let proposal = p.scenario_by_name("Proposal").unwrap().id;
    app_mut(&mut h).apply(turfmap::core::edit::Edit::SwitchScenario { to: proposal });
    h.run_ok();
    let south = tid(&h, "Southport");
    app_mut(&mut h).apply_command(turfmap::app::command::Command::DropAccounts(
        vec![0, 1],
        south,
    ));
    h.run_ok();
    assert_eq!(app(&h).workspace().engine().territory_of(0), Some(south));

    h.get_by_label("Compare with").click();
    h.run_ok();
    h.query_all_by_label("Plan").last().unwrap().click();
    h.run_ok();
    h.get_by_label("Compare").click();
    h.run_ok();
    assert!(
        app_mut(&mut h)
            .panels_mut()
            .model
            .wait_for_comparison(std::time::Duration::from_secs(30))
    );
    h.run_ok();
    h.get_by_label_contains("2 account(s) change territory");
    let moved = app(&h).map_view().moved().expect("rings on").clone();
    assert_eq!(*moved, vec![0, 1]);
    // The toggle takes the rings off the map and puts them back.
    h.get_by_label("Ring the accounts that change territory on the map")
        .click();
    h.run_ok();
    assert!(app(&h).map_view().moved().is_none());
    h.get_by_label("Ring the accounts that change territory on the map")
        .click();
    h.run_ok();
    assert!(app(&h).map_view().moved().is_some());
    // Closing the comparison clears them.
    h.get_by_label("Close comparison").click();
    h.run_ok();
    assert!(app(&h).map_view().moved().is_none());
}

#[test]
fn an_account_is_pinned_in_each_type_it_is_dropped_in() {
    let mut h = harness();
    // A second overlay territory east of Health.
    let dental = TerritoryId(app(&h).workspace().project().next_territory_id);
    let mut t = turfmap::core::Territory::new(dental, "Dental", square(15.0, 0.0, 15.0));
    t.type_id = OVERLAY;
    app_mut(&mut h).apply(turfmap::core::edit::Edit::AddTerritory {
        territory: t,
        position: usize::MAX,
    });
    h.run_ok();
    let east = tid(&h, "Eastvale");
    let pins = |h: &Harness<'_, Slot>| {
        app(h)
            .workspace()
            .project()
            .accounts
            .pins
            .of(0)
            .collect::<Vec<_>>()
    };
    // Geographic shown: account A001 (x = 1, in Northwind) onto Eastvale.
    let from = screen(&h, 1.0, 5.0);
    let to = screen(&h, 25.0, 2.0);
    drag_pointer(&mut h, from, to);
    assert_eq!(pins(&h), [east]);
    // Overlay shown: the same account onto Dental. The Geographic pin stays.
    show_overlay(&mut h);
    let from = screen(&h, 1.0, 5.0);
    let to = screen(&h, 25.0, 2.0);
    drag_pointer(&mut h, from, to);
    assert_eq!(pins(&h), [east, dental]);
    let ws = app(&h).workspace();
    assert_eq!(
        ws.engine_for(OVERLAY).unwrap().territory_of(0),
        Some(dental)
    );
    assert_eq!(
        ws.engine_for(TerritoryTypeId(0)).unwrap().territory_of(0),
        Some(east)
    );
    // Its details list both pins with their types.
    app_mut(&mut h).select_account(0);
    h.run_ok();
    h.get_by_label("Pinned to: Eastvale (Geographic), Dental (Overlay)");
    // Unpin while the overlay is shown: only the overlay pin goes, and the
    // account is back in Health by geometry there.
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Unpin")
        .click();
    h.run_ok();
    assert_eq!(pins(&h), [east]);
    let ws = app(&h).workspace();
    assert_eq!(
        ws.engine_for(OVERLAY).unwrap().territory_of(0),
        Some(tid(&h, "Health"))
    );
    assert_eq!(
        ws.engine_for(TerritoryTypeId(0)).unwrap().territory_of(0),
        Some(east)
    );
}
