//! The Salesforce-like territory model: hierarchy with roll-ups, types and
//! overlays, assignment rules in the engine, reps, scenarios.
#![allow(clippy::unwrap_used)]

use geo::{MultiPolygon, polygon};
use turfmap::core::Workspace;
use turfmap::core::edit::{Edit, TerritoryProps};
use turfmap::core::engine::{Engine, Reason};
use turfmap::core::explain::Via;
use turfmap::core::model::{
    AccountRow, Accounts, Capacity, LocationSource, Project, Rep, RepId, ScenarioState, Territory,
    TerritoryId, TerritoryType, TerritoryTypeId,
};
use turfmap::core::rules::Rule;
use turfmap::core::scenario;

fn sq(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
    ]])
}

/// Ten accounts on a line at x = 0.5, 1.5, …; West holds x < 5, East the
/// rest. Odd accounts are "Healthcare"; revenue = 100 × (i + 1), hours = 10.
fn plan() -> Project {
    let mut p = Project::new("m");
    p.accounts = Accounts::with_schema(
        &["Revenue".into(), "Hours".into()],
        &["Industry".into(), "State".into()],
    );
    for i in 0..10 {
        p.accounts.push(&AccountRow {
            id: format!("A{i}"),
            name: format!("Account {i}"),
            location: Some((i as f64 + 0.5, 0.5)),
            source: LocationSource::Coordinates,
            measures: vec![100.0 * (i + 1) as f64, 10.0],
            attributes: vec![
                if i % 2 == 1 { "Healthcare" } else { "Retail" }.into(),
                if i < 3 { "CA" } else { "OR" }.into(),
            ],
            pins: Vec::new(),
        });
    }
    p.add_territory("West", sq(0.0, 0.0, 5.0));
    p.add_territory("East", sq(5.0, 0.0, 5.0));
    p
}

fn id(ws: &Workspace, name: &str) -> TerritoryId {
    ws.project().territory_by_name(name).unwrap().id
}

fn add(ws: &mut Workspace, name: &str, f: impl FnOnce(&mut Territory)) -> TerritoryId {
    let tid = TerritoryId(ws.project().next_territory_id);
    let mut t = Territory::new(tid, name, MultiPolygon(vec![]));
    f(&mut t);
    ws.apply(Edit::AddTerritory {
        territory: t,
        position: usize::MAX,
    })
    .unwrap();
    tid
}

/// Adds territory type `name` (priority 1) with id `id`.
fn add_type(ws: &mut Workspace, id: u32, name: &str) -> TerritoryTypeId {
    let ty = TerritoryTypeId(id);
    ws.apply(Edit::AddType {
        ty: TerritoryType {
            id: ty,
            name: name.into(),
            priority: 1,
        },
        position: usize::MAX,
    })
    .unwrap();
    ty
}

/// Clones the scenario shown as `name` and shows the clone; returns the
/// ids of the original and of the clone.
fn switch_to_clone(
    ws: &mut Workspace,
    name: &str,
) -> (
    turfmap::core::model::ScenarioId,
    turfmap::core::model::ScenarioId,
) {
    let base = ws.project().active_scenario;
    ws.apply(scenario::clone_edit(ws.project(), base, name).unwrap())
        .unwrap();
    let clone = scenario::find(ws.project(), name).unwrap();
    ws.apply(Edit::SwitchScenario { to: clone }).unwrap();
    (base, clone)
}

/// The proposal the scenario tests compare: West grows east (accounts 5
/// and 6 change territory) and account 0 is pinned to East.
fn change_proposal(ws: &mut Workspace, west: TerritoryId, east: TerritoryId) {
    ws.apply(Edit::SetGeometry {
        id: west,
        geometry: sq(0.0, 0.0, 7.0),
    })
    .unwrap();
    ws.apply(Edit::pin_to(ws.project(), vec![0], east).unwrap())
        .unwrap();
}

fn check_full(ws: &Workspace) {
    for e in ws.engines() {
        assert!(
            e.same_result(&Engine::for_type(ws.project(), e.type_id())),
            "type {:?} diverged from a full recompute",
            e.type_id()
        );
    }
}

#[test]
fn rule_beats_geometry_and_override_beats_rule() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    // East claims every CA account by rule, wherever it is.
    ws.apply(Edit::SetRule {
        id: east,
        rule: Some(Rule::parse("State = CA").unwrap()),
    })
    .unwrap();
    check_full(&ws);
    for i in 0..3 {
        assert_eq!(ws.engine().territory_of(i), Some(east));
        assert_eq!(ws.engine().reason(i), Reason::Rule);
    }
    assert_eq!(ws.engine().territory_of(3), Some(west));
    assert_eq!(ws.engine().reason(3), Reason::Geometry);
    // A pin beats the rule.
    ws.apply(Edit::pin_to(ws.project(), vec![0], west).unwrap())
        .unwrap();
    assert_eq!(ws.engine().territory_of(0), Some(west));
    assert_eq!(ws.engine().reason(0), Reason::Override);
    let ex = ws.explain(0);
    let t = &ex.types[0];
    assert_eq!(t.candidates[0].via, Via::Override);
    assert!(matches!(&t.candidates[1].via, Via::Rule(r) if r == "State = \"CA\""));
    assert_eq!(t.candidates[2].via, Via::Geometry);
    let text = ex.render();
    assert!(text.contains("West: pinned by hand"), "{text}");
    assert!(text.contains("lost: rule of 'East'"), "{text}");
    assert!(
        text.contains("lost: inside the boundary of 'West'"),
        "{text}"
    );
    // Clearing the rule gives the accounts back, undo brings it again.
    ws.apply(Edit::SetRule {
        id: east,
        rule: None,
    })
    .unwrap();
    assert_eq!(ws.engine().territory_of(1), Some(west));
    check_full(&ws);
    ws.undo().unwrap();
    assert_eq!(ws.engine().territory_of(1), Some(east));
    check_full(&ws);
}

#[test]
fn several_matching_rules_priority_then_lower_id() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    let rule = |s: &str| Some(Rule::parse(s).unwrap());
    ws.apply(Edit::SetRule {
        id: east,
        rule: rule("Industry = Healthcare"),
    })
    .unwrap();
    ws.apply(Edit::SetRule {
        id: west,
        rule: rule("Revenue >= 500"),
    })
    .unwrap();
    // Same priority: the lower id (West) wins where both match.
    assert_eq!(ws.engine().territory_of(5), Some(west)); // healthcare, 600
    assert_eq!(ws.engine().territory_of(1), Some(east)); // healthcare, 200
    // Raise East's priority: it now wins the overlap.
    let mut props = TerritoryProps::of(ws.project().territory(east).unwrap());
    props.priority = 3;
    ws.apply(Edit::SetTerritoryProps { id: east, props })
        .unwrap();
    assert_eq!(ws.engine().territory_of(5), Some(east));
    assert_eq!(ws.engine().reason(5), Reason::Rule);
    check_full(&ws);
}

#[test]
fn rule_within_geometry_only_takes_accounts_inside() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    ws.apply(Edit::SetRule {
        id: west,
        rule: Some(Rule::parse("Industry = Healthcare WITHIN BOUNDARY").unwrap()),
    })
    .unwrap();
    assert_eq!(ws.engine().reason(1), Reason::Rule);
    assert_eq!(ws.engine().territory_of(7), Some(east));
    assert_eq!(ws.engine().reason(7), Reason::Geometry);
    // Growing West's boundary over x < 8 brings account 7 in by rule.
    ws.apply(Edit::SetGeometry {
        id: west,
        geometry: sq(0.0, 0.0, 8.0),
    })
    .unwrap();
    assert_eq!(ws.engine().territory_of(7), Some(west));
    assert_eq!(ws.engine().reason(7), Reason::Rule);
    check_full(&ws);
}

#[test]
fn invalid_rules_are_refused_with_the_reason() {
    let mut ws = Workspace::new(plan());
    let west = id(&ws, "West");
    let err = ws
        .apply(Edit::SetRule {
            id: west,
            rule: Some(Rule::parse("State > 5").unwrap()),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("'State' is a text field"), "{err}");
    assert!(ws.project().territory(west).unwrap().rule.is_none());
}

#[test]
fn overlay_type_is_assigned_independently() {
    let mut ws = Workspace::new(plan());
    let west = id(&ws, "West");
    let health = add_type(&mut ws, 7, "Healthcare");
    let hc = add(&mut ws, "HC", |t| {
        t.type_id = health;
        t.rule = Some(Box::new(Rule::parse("Industry = Healthcare").unwrap()));
    });
    // The geographic assignment is untouched; the overlay has its own.
    assert_eq!(ws.engine().territory_of(1), Some(west));
    let overlay = ws.engine_for(health).unwrap();
    assert_eq!(overlay.territory_of(1), Some(hc));
    assert_eq!(overlay.territory_of(0), None);
    let m = ws.metrics_for(health);
    assert_eq!(m.territories.len(), 1);
    assert_eq!(m.territory(hc).unwrap().group.count, 5);
    assert_eq!(ws.metrics().territories.len(), 2);
    // A pin to the overlay territory does not move the account in Geographic.
    ws.apply(Edit::pin_to(ws.project(), vec![0], hc).unwrap())
        .unwrap();
    assert_eq!(ws.engine_for(health).unwrap().territory_of(0), Some(hc));
    assert_eq!(ws.engine().territory_of(0), Some(west));
    // Showing the overlay makes `engine()` the overlay's.
    ws.set_current_type(health).unwrap();
    assert_eq!(ws.engine().type_id(), health);
    check_full(&ws);
    // A type in use cannot be removed; explain covers both types.
    assert!(ws.apply(Edit::RemoveType { id: health }).is_err());
    let ex = ws.explain(1);
    assert_eq!(ex.types.len(), 2);
    assert_eq!(ex.types[1].territory.as_deref(), Some("HC"));
    // Moving the territory to Geographic re-assigns both engines.
    ws.apply(Edit::SetTerritoryType {
        id: hc,
        type_id: TerritoryTypeId(0),
    })
    .unwrap();
    assert_eq!(
        ws.engine_for(TerritoryTypeId(0)).unwrap().territory_of(1),
        Some(hc)
    );
    assert_eq!(ws.engine_for(health).unwrap().territory_of(1), None);
    check_full(&ws);
    ws.undo().unwrap();
    check_full(&ws);
}

#[test]
fn rollups_equal_sums_of_children() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    let region = add(&mut ws, "Region", |_| {});
    let top = add(&mut ws, "Country", |_| {});
    ws.apply(Edit::SetParent {
        id: region,
        parent: Some(top),
    })
    .unwrap();
    for t in [west, east] {
        ws.apply(Edit::SetParent {
            id: t,
            parent: Some(region),
        })
        .unwrap();
    }
    // The region also holds one account of its own (pinned).
    ws.apply(Edit::pin_to(ws.project(), vec![9], region).unwrap())
        .unwrap();
    let m = ws.metrics();
    let g = |t: TerritoryId| m.territory(t).unwrap();
    assert_eq!(
        g(region).group.count,
        g(west).group.count + g(east).group.count + 1
    );
    assert_eq!(g(region).own.count, 1);
    for k in 0..2 {
        assert_eq!(
            g(region).group.sums[k],
            g(west).group.sums[k] + g(east).group.sums[k] + g(region).own.sums[k]
        );
    }
    assert_eq!(g(top).group, g(region).group);
    assert_eq!(g(top).group.count, 10);
    // Balance is judged among the leaves and the region's own account (a
    // remainder beside its children); Country has none of its own.
    assert!(g(region).has_children && !g(west).has_children);
    assert!(g(region).balance_unit && !g(top).balance_unit);
    assert_eq!(m.balance_units, 3);
    assert_eq!(g(region).balance_value, 1.0);
    // West 5, East 4, Region 1 (mean 3.33): all three outside the band.
    assert_eq!(m.out_of_tolerance, 3);
    // Cycles are refused; removing a parent lifts its children, undo restores.
    let err = ws
        .apply(Edit::SetParent {
            id: top,
            parent: Some(west),
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("inside it"), "{err}");
    ws.apply(Edit::RemoveTerritory { id: region }).unwrap();
    assert_eq!(ws.project().territory(west).unwrap().parent, Some(top));
    ws.undo().unwrap();
    assert_eq!(ws.project().territory(west).unwrap().parent, Some(region));
    assert_eq!(ws.engine().territory_of(9), Some(region));
    check_full(&ws);
}

#[test]
fn reps_workload_capacity_and_distance() {
    let mut ws = Workspace::new(plan());
    let west = id(&ws, "West");
    let mut ann = Rep::new(RepId(0), "Ann");
    ann.home = Some((0.5, 0.5));
    ann.capacity = Some(Capacity::Hours(100.0));
    ws.apply(Edit::AddRep {
        rep: ann,
        position: 0,
    })
    .unwrap();
    let mut props = TerritoryProps::of(ws.project().territory(west).unwrap());
    props.reps = vec![RepId(0)];
    ws.apply(Edit::SetTerritoryProps { id: west, props })
        .unwrap();
    let r = &ws.rep_metrics()[0];
    assert_eq!(r.accounts, 5);
    assert_eq!(r.workload_hours, Some(50.0));
    assert_eq!(r.load_pct, Some(50.0));
    // Accounts 0..5 at 0..4 degrees east of home along the equator-ish line.
    let deg = turfmap::core::geometry::haversine_km((0.5, 0.5), (4.5, 0.5));
    assert!((r.max_km.unwrap() - deg).abs() < 1e-9);
    assert!((r.mean_km.unwrap() - deg / 2.0).abs() < 0.01, "{r:?}");
    assert_eq!(
        ws.metrics().territory(west).unwrap().rep.as_deref(),
        Some("Ann")
    );
    // Deleting the rep takes it off the territory; undo puts it back.
    ws.apply(Edit::RemoveRep { id: RepId(0) }).unwrap();
    assert!(ws.project().territory(west).unwrap().reps.is_empty());
    ws.undo().unwrap();
    assert_eq!(ws.project().territory(west).unwrap().reps, vec![RepId(0)]);
}

#[test]
fn scenarios_clone_switch_archive_and_diff() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    let (base, prop) = switch_to_clone(&mut ws, "Proposal");
    assert_eq!(scenario::find(ws.project(), "proposal").unwrap(), prop);
    assert_eq!(ws.project().active().unwrap().name, "Proposal");
    // Move West's boundary east: accounts 5 and 6 change territory.
    change_proposal(&mut ws, west, east);
    check_full(&ws);
    let d = scenario::diff(ws.project(), base, prop).unwrap();
    assert_eq!(d.moved_accounts(), vec![0, 5, 6]);
    let m5 = &d.moves[1];
    assert_eq!(
        (m5.from_name.as_str(), m5.to_name.as_str()),
        ("East", "West")
    );
    let dw = d.territories.iter().find(|t| t.id == west.0).unwrap();
    assert_eq!(dw.count_delta(), 1); // +5, +6, −0
    assert_eq!(dw.sum_deltas()[0], 600.0 + 700.0 - 100.0);
    let mut csv = Vec::new();
    scenario::write_changes_csv(&mut csv, ws.project(), &d).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("account_id,name,type,from,to,from_reason,to_reason,Revenue,Hours\n"));
    assert!(
        csv.contains("A0,Account 0,Geographic,West,East,geometry,override,100,10\n"),
        "{csv}"
    );
    // The base scenario is untouched; switching back shows it.
    ws.apply(Edit::SwitchScenario { to: base }).unwrap();
    assert_eq!(ws.engine().territory_of(5), Some(east));
    assert_eq!(ws.project().accounts.pins.of(0).next(), None);
    check_full(&ws);
    // Archived is read-only, with a clear message; scenario edits still work.
    ws.apply(Edit::SetScenarioMeta {
        id: base,
        name: "Baseline".into(),
        state: ScenarioState::Archived,
    })
    .unwrap();
    let err = ws
        .apply(Edit::pin_to(ws.project(), vec![1], east).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'Baseline' is archived and read-only"),
        "{err}"
    );
    // Undo walks back through the switch into the proposal's own edits.
    ws.undo().unwrap(); // archive
    ws.undo().unwrap(); // switch back
    assert_eq!(ws.project().active().unwrap().name, "Proposal");
    ws.undo().unwrap(); // pin
    assert_eq!(ws.project().accounts.pins.of(0).next(), None);
    check_full(&ws);
    // The shown scenario cannot be deleted; another one can, and undo restores.
    assert!(ws.apply(Edit::RemoveScenario { id: prop }).is_err());
    ws.apply(Edit::RemoveScenario { id: base }).unwrap();
    assert_eq!(ws.project().scenarios.len(), 1);
    ws.undo().unwrap();
    assert_eq!(ws.project().scenarios.len(), 2);
}

#[test]
fn comparing_from_a_snapshot_equals_comparing_the_plan() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    let (base, prop) = switch_to_clone(&mut ws, "Proposal");
    change_proposal(&mut ws, west, east);
    let same = |ws: &Workspace| {
        let p = ws.project();
        let progress = turfmap::core::progress::Progress::new();
        let snap = scenario::DiffSnapshot::of(p)
            .diff(base, prop, &progress)
            .unwrap();
        assert_eq!(snap, scenario::diff(p, base, prop).unwrap());
        snap
    };
    assert_eq!(same(&ws).moved_accounts(), vec![0, 5, 6]);
    // A rule on the account name needs the names, which the snapshot then
    // copies: account 3 goes to the rule's territory.
    add(&mut ws, "Named", |t| {
        t.rule = Some(Box::new(Rule::parse("Name = \"Account 3\"").unwrap()));
    });
    assert_eq!(same(&ws).moved_accounts(), vec![0, 3, 5, 6]);
    // Also when the rule sits in the scenario not shown.
    ws.apply(Edit::SwitchScenario { to: base }).unwrap();
    assert_eq!(same(&ws).moved_accounts(), vec![0, 3, 5, 6]);
}

#[test]
fn scenarios_survive_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.turf");
    let mut ws = Workspace::new(plan());
    let east = id(&ws, "East");
    let base = ws.project().active_scenario;
    ws.apply(scenario::clone_edit(ws.project(), base, "B").unwrap())
        .unwrap();
    let b = scenario::find(ws.project(), "B").unwrap();
    ws.apply(Edit::SwitchScenario { to: b }).unwrap();
    ws.apply(Edit::pin_to(ws.project(), vec![2], east).unwrap())
        .unwrap();
    ws.apply(Edit::SwitchScenario { to: base }).unwrap();
    ws.save_as(&path).unwrap();
    let mut ws2 = Workspace::open(&path).unwrap();
    assert_eq!(ws2.project().scenarios.len(), 2);
    assert_eq!(ws2.project().accounts.pins.of(2).next(), None);
    ws2.apply(Edit::SwitchScenario { to: b }).unwrap();
    assert_eq!(ws2.engine().territory_of(2), Some(east));
    assert_eq!(ws2.engine().reason(2), Reason::Override);
}

/// Adds a Healthcare overlay type with two overlay territories (no shape,
/// no rule) and returns (type, HC North, HC South).
fn with_overlay(ws: &mut Workspace) -> (TerritoryTypeId, TerritoryId, TerritoryId) {
    let health = add_type(ws, 1, "Healthcare");
    let north = add(ws, "HC North", |t| t.type_id = health);
    let south = add(ws, "HC South", |t| t.type_id = health);
    (health, north, south)
}

#[test]
fn an_account_keeps_one_pin_per_type() {
    let mut ws = Workspace::new(plan());
    let (west, east) = (id(&ws, "West"), id(&ws, "East"));
    let (health, north, south) = with_overlay(&mut ws);
    let geo_ty = TerritoryTypeId(0);
    // Account 1 (in West by geometry) pinned to East, then to HC North in
    // the overlay: both pins hold, each in its own type.
    ws.apply(Edit::pin_to(ws.project(), vec![1, 2], east).unwrap())
        .unwrap();
    ws.apply(Edit::pin_to(ws.project(), vec![1], north).unwrap())
        .unwrap();
    let pins = |ws: &Workspace, i| ws.project().accounts.pins.of(i).collect::<Vec<_>>();
    assert_eq!(pins(&ws, 1), [east, north]);
    assert_eq!(ws.engine_for(geo_ty).unwrap().territory_of(1), Some(east));
    assert_eq!(ws.engine_for(health).unwrap().territory_of(1), Some(north));
    assert_eq!(ws.engine_for(health).unwrap().territory_of(2), None);
    check_full(&ws);
    // Re-pinning in the overlay replaces only the overlay pin.
    ws.apply(Edit::pin_to(ws.project(), vec![1], south).unwrap())
        .unwrap();
    assert_eq!(pins(&ws, 1), [east, south]);
    // Unpinning in the overlay leaves the Geographic pin alone, and the
    // other way round.
    ws.apply(Edit::pin_all(health, vec![1], None)).unwrap();
    assert_eq!(pins(&ws, 1), [east]);
    assert_eq!(ws.engine_for(health).unwrap().territory_of(1), None);
    ws.apply(Edit::pin_to(ws.project(), vec![1], north).unwrap())
        .unwrap();
    ws.apply(Edit::pin_all(geo_ty, vec![1], None)).unwrap();
    assert_eq!(pins(&ws, 1), [north]);
    assert_eq!(ws.engine_for(geo_ty).unwrap().territory_of(1), Some(west));
    check_full(&ws);
    // A territory of the wrong type is refused, naming it and the type.
    let e = ws
        .apply(Edit::pin_all(geo_ty, vec![3], Some(north)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("HC North") && e.contains("Geographic"), "{e}");
    // Explain names the override in each type.
    ws.apply(Edit::pin_to(ws.project(), vec![1], east).unwrap())
        .unwrap();
    let text = ws.explain(1).render();
    assert!(
        text.contains("East: pinned by hand") && text.contains("HC North: pinned by hand"),
        "{text}"
    );
    // Undo walks back through every step exactly.
    while ws.undo().unwrap() {}
    assert!(ws.project().accounts.pins.none_pinned());
    check_full(&ws);
}

#[test]
fn pins_in_several_types_survive_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pins.turf");
    let mut ws = Workspace::new(plan());
    let east = id(&ws, "East");
    let (health, north, _) = with_overlay(&mut ws);
    ws.apply(Edit::pin_to(ws.project(), vec![0, 4], east).unwrap())
        .unwrap();
    ws.apply(Edit::pin_to(ws.project(), vec![4, 7], north).unwrap())
        .unwrap();
    // A second scenario with its own pins in both types.
    let clone = scenario::clone_edit(ws.project(), ws.project().active_scenario, "B").unwrap();
    ws.apply(clone).unwrap();
    ws.save_as(&path).unwrap();
    let back = Workspace::open(&path).unwrap();
    assert_eq!(back.project().accounts.pins, ws.project().accounts.pins);
    assert_eq!(back.project().scenarios, ws.project().scenarios);
    assert_eq!(
        back.project().accounts.pins.of(4).collect::<Vec<_>>(),
        [east, north]
    );
    assert_eq!(
        back.engine_for(health).unwrap().territory_of(4),
        Some(north)
    );
    assert_eq!(back.engine().territory_of(4), Some(east));
    // Switching scenarios carries each scenario's pins in every type.
    let mut back = back;
    let b = scenario::find(back.project(), "B").unwrap();
    back.apply(Edit::SwitchScenario { to: b }).unwrap();
    assert_eq!(
        back.project().accounts.pins.of(4).collect::<Vec<_>>(),
        [east, north]
    );
}

#[test]
fn moving_a_territory_into_a_type_keeps_one_pin_per_type() {
    let mut ws = Workspace::new(plan());
    let east = id(&ws, "East");
    let (health, north, _) = with_overlay(&mut ws);
    // Account 3 pinned to East (Geographic) and HC North (overlay);
    // account 6 only to East.
    ws.apply(Edit::pin_to(ws.project(), vec![3, 6], east).unwrap())
        .unwrap();
    ws.apply(Edit::pin_to(ws.project(), vec![3], north).unwrap())
        .unwrap();
    // East moves into the overlay: account 3 would hold two overlay pins,
    // so the one it already had there stays; account 6 keeps East.
    ws.apply(Edit::SetTerritoryType {
        id: east,
        type_id: health,
    })
    .unwrap();
    let pins = |ws: &Workspace, i| ws.project().accounts.pins.of(i).collect::<Vec<_>>();
    assert_eq!(pins(&ws, 3), [north]);
    assert_eq!(pins(&ws, 6), [east]);
    assert_eq!(ws.engine_for(health).unwrap().territory_of(3), Some(north));
    assert_eq!(ws.engine_for(health).unwrap().territory_of(6), Some(east));
    check_full(&ws);
    // One undo restores the type and the dropped pin.
    ws.undo().unwrap();
    assert_eq!(pins(&ws, 3), [east, north]);
    assert_eq!(
        ws.engine_for(TerritoryTypeId(0)).unwrap().territory_of(3),
        Some(east)
    );
    check_full(&ws);
}

#[test]
fn a_snapshot_equals_the_plan_and_shares_its_text_columns() {
    let mut ws = Workspace::new(plan());
    let east = id(&ws, "East");
    ws.apply(Edit::pin_to(ws.project(), vec![2], east).unwrap())
        .unwrap();
    let snap = ws.project().snapshot();
    assert_eq!(&snap, ws.project());
    assert!(snap.accounts.ids.shares_with(&ws.project().accounts.ids));
    assert!(
        snap.accounts
            .names
            .shares_with(&ws.project().accounts.names)
    );
    // Adding accounts to the plan leaves the snapshot as it was.
    let mut row = ws.project().accounts.row(0);
    row.id = "NEW".into();
    ws.apply(Edit::AddAccounts { rows: vec![row] }).unwrap();
    assert_eq!(snap.accounts.ids.len(), 10);
    assert_eq!(ws.project().accounts.ids.len(), 11);
    // A workspace snapshot has the same engines and metrics, no history.
    let wsnap = ws.snapshot();
    assert_eq!(wsnap.metrics(), ws.metrics());
    assert_eq!(wsnap.undo_labels().count(), 0);
}
