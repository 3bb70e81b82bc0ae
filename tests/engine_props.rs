//! Property test: any sequence of edits, applied incrementally (and undone
//! and redone), leaves every engine (one per territory type, with rules)
//! exactly where a full recompute would, and the workspace's change journal
//! names every account that changed territory, and metrics refreshed
//! edit by edit equal metrics computed from scratch.
#![allow(clippy::unwrap_used)]

use geo::{Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use turfmap::core::Workspace;
use turfmap::core::drive::DriveView;
use turfmap::core::edit::{Edit, TerritoryProps};
use turfmap::core::engine::Engine;
use turfmap::core::model::{
    AccountRow, Accounts, LocationSource, Project, Territory, TerritoryId, TerritoryType,
    TerritoryTypeId,
};
use turfmap::core::model::{Rep, RepId};
use turfmap::core::rules::Rule;
use turfmap::core::travel::network::RoadLine;
use turfmap::core::travel::{Network, Router, TravelSettings};

/// Rules the property test sets, over the plan's `segment`, `revenue`
/// and `hours` columns.
const RULES: [&str; 5] = [
    "segment = A",
    "revenue >= 5000",
    "segment = B AND hours > 0 WITHIN BOUNDARY",
    "NOT segment = A OR revenue < 3000",
    "revenue between 2000 and 9000 WITHIN BOUNDARY",
];

/// Coordinates snap to a 0.5° lattice so that many points fall exactly on
/// edges and vertices, where the half-open rules matter most.
fn lattice(v: i32) -> f64 {
    v as f64 * 0.5
}

#[derive(Clone, Debug)]
enum Op {
    Reshape {
        t: usize,
        poly: Vec<(i32, i32)>,
    },
    Add {
        poly: Vec<(i32, i32)>,
        priority: i32,
    },
    /// One vertex of a boundary dragged to a lattice point (a local change:
    /// the engine reassigns only near the edges that moved).
    MoveVertex {
        t: usize,
        vertex: usize,
        to: (i32, i32),
    },
    Remove {
        t: usize,
    },
    /// The map shows the other territory type (a view choice, not an edit).
    Show {
        overlay: bool,
    },
    Priority {
        t: usize,
        priority: i32,
    },
    Pin {
        accounts: Vec<usize>,
        t: Option<usize>,
        /// Unpin (t = None) in the overlay type rather than the first.
        overlay: bool,
    },
    Move {
        a: usize,
        to: Option<(i32, i32)>,
    },
    AddAccounts {
        pts: Vec<(i32, i32)>,
    },
    RemoveAccounts {
        accounts: Vec<usize>,
        removed: bool,
    },
    SetRule {
        t: usize,
        rule: Option<usize>,
    },
    Retype {
        t: usize,
        overlay: bool,
    },
    Parent {
        t: usize,
        parent: Option<usize>,
    },
    /// Assign accounts outside every territory to the nearest one within
    /// this many kilometres (0 = off).
    Nearest {
        km: f64,
    },
    Undo,
    Redo,
}

fn polygon_strategy() -> impl Strategy<Value = Vec<(i32, i32)>> {
    // A star-ish polygon around a centre: simple, often concave.
    (
        0..40i32,
        0..40i32,
        3usize..9,
        prop::collection::vec(1..8i32, 9),
    )
        .prop_map(|(cx, cy, n, radii)| {
            (0..n)
                .map(|k| {
                    let a = k as f64 / n as f64 * std::f64::consts::TAU;
                    let r = radii[k] as f64;
                    (
                        cx + (r * a.cos()).round() as i32,
                        cy + (r * a.sin()).round() as i32,
                    )
                })
                .collect()
        })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..16usize, polygon_strategy()).prop_map(|(t, poly)| Op::Reshape { t, poly }),
        3 => (0..16usize, 0..16usize, (0..48i32, 0..48i32))
            .prop_map(|(t, vertex, to)| Op::MoveVertex { t, vertex, to }),
        2 => (polygon_strategy(), -1..2i32).prop_map(|(poly, priority)| Op::Add { poly, priority }),
        1 => (0..16usize).prop_map(|t| Op::Remove { t }),
        1 => any::<bool>().prop_map(|overlay| Op::Show { overlay }),
        1 => (0..16usize, -1..2i32).prop_map(|(t, priority)| Op::Priority { t, priority }),
        3 => (prop::collection::vec(0..400usize, 1..20), prop::option::of(0..16usize), any::<bool>())
            .prop_map(|(accounts, t, overlay)| Op::Pin { accounts, t, overlay }),
        2 => (0..400usize, prop::option::of((0..48i32, 0..48i32))).prop_map(|(a, to)| Op::Move { a, to }),
        1 => prop::collection::vec((0..48i32, 0..48i32), 1..30).prop_map(|pts| Op::AddAccounts { pts }),
        1 => (prop::collection::vec(0..400usize, 1..30), any::<bool>())
            .prop_map(|(accounts, removed)| Op::RemoveAccounts { accounts, removed }),
        2 => (0..16usize, prop::option::of(0..RULES.len())).prop_map(|(t, rule)| Op::SetRule { t, rule }),
        1 => (0..16usize, any::<bool>()).prop_map(|(t, overlay)| Op::Retype { t, overlay }),
        1 => (0..16usize, prop::option::of(0..16usize)).prop_map(|(t, parent)| Op::Parent { t, parent }),
        1 => prop::sample::select(vec![0.0, 40.0, 120.0, 400.0]).prop_map(|km| Op::Nearest { km }),
        2 => Just(Op::Undo),
        1 => Just(Op::Redo),
    ]
}

fn mp(poly: &[(i32, i32)]) -> MultiPolygon<f64> {
    let mut pts: Vec<Coord<f64>> = poly
        .iter()
        .map(|&(x, y)| Coord {
            x: lattice(x),
            y: lattice(y),
        })
        .collect();
    pts.dedup();
    if pts.len() < 3 {
        return MultiPolygon(vec![]);
    }
    MultiPolygon(vec![Polygon::new(LineString(pts), vec![])])
}

fn row(i: usize, p: Option<(i32, i32)>) -> AccountRow {
    AccountRow {
        id: format!("A{i}"),
        name: format!("Account {i}"),
        location: p.map(|(x, y)| (lattice(x) / 2.0, lattice(y) / 2.0)),
        source: LocationSource::Coordinates,
        measures: vec![(i % 17) as f64 * 1000.25, 0.1 * (i % 3) as f64],
        attributes: vec![["A", "B"][i % 2].into()],
        pins: Vec::new(),
    }
}

fn start(points: &[Option<(i32, i32)>], polys: &[Vec<(i32, i32)>]) -> Project {
    let mut p = Project::new("prop");
    p.accounts = Accounts::with_schema(&["revenue".into(), "hours".into()], &["segment".into()]);
    for (i, pt) in points.iter().enumerate() {
        p.accounts.push(&row(i, *pt));
    }
    p.types.push(TerritoryType {
        id: TerritoryTypeId(1),
        name: "Overlay".into(),
        priority: 1,
    });
    // Two reps with homes; territories take them in turn (some none).
    for (r, home) in [(0u32, (3.0, 3.0)), (1, (20.5, 11.0))] {
        let mut rep = Rep::new(RepId(r), format!("Rep {r}"));
        rep.home = Some(home);
        p.reps.push(rep);
    }
    for (k, poly) in polys.iter().enumerate() {
        let id = p.add_territory(
            format!("T{k}"),
            turfmap::core::geometry::normalize(mp(poly)).0,
        );
        if k % 4 < 2 {
            p.territory_mut(id).unwrap().reps = vec![RepId((k % 4) as u32)];
        }
        // Every third territory starts in the overlay type, with a rule.
        if k % 3 == 2 {
            let t = p.territory_mut(id).unwrap();
            t.type_id = TerritoryTypeId(1);
            t.rule = Some(Box::new(Rule::parse(RULES[k % RULES.len()]).unwrap()));
        }
    }
    p
}

/// Roads every 3° over the test area, freeways one way, primaries the
/// other, with a gap (two pieces) so that fallbacks are exercised too.
fn test_router() -> Router {
    let mut lines = Vec::new();
    for k in 0..9 {
        let c = k as f64 * 3.0;
        lines.push(RoadLine {
            road_type: "Freeway".into(),
            coords: vec![(0.0, c), (10.0, c)],
        });
        lines.push(RoadLine {
            road_type: "Freeway".into(),
            coords: vec![(10.0, c), (24.0, c)],
        });
        lines.push(RoadLine {
            road_type: "Primary".into(),
            coords: vec![(c, 0.0), (c, 12.0), (c, 24.0)],
        });
    }
    lines.push(RoadLine {
        road_type: "Secondary".into(),
        coords: vec![(30.0, 30.0), (31.0, 30.0)],
    });
    let s = TravelSettings::default();
    Router::new(
        Some(std::sync::Arc::new(Network::from_lines(&lines, &s.speeds))),
        &s,
    )
}

/// Drive figures of every territory and rep, for comparing two views.
fn drive_figures(v: &DriveView, ws: &Workspace) -> Vec<String> {
    let p = ws.project();
    let mut out: Vec<String> = p
        .territories
        .iter()
        .map(|t| format!("{:?} {:?}", t.id, v.territory(p, t.type_id, t.id)))
        .collect();
    out.extend(
        p.reps
            .iter()
            .map(|r| format!("{:?} {:?}", r.id, v.rep(p, r.id))),
    );
    out
}

fn live_territory(ws: &Workspace, t: usize) -> Option<TerritoryId> {
    let ts = &ws.project().territories;
    (!ts.is_empty()).then(|| ts[t % ts.len()].id)
}

fn apply(ws: &mut Workspace, op: Op, fresh: &mut usize) {
    let n = ws.project().accounts.len();
    let _ = match op {
        Op::Reshape { t, poly } => match live_territory(ws, t) {
            Some(id) => ws.apply(Edit::SetGeometry {
                id,
                geometry: mp(&poly),
            }),
            None => Ok(()),
        },
        Op::MoveVertex { t, vertex, to } => match live_territory(ws, t) {
            Some(id) => {
                let mut geometry = ws.project().territory(id).unwrap().geometry.clone();
                if let Some(poly) = geometry.0.first_mut() {
                    poly.exterior_mut(|ring| {
                        let n = ring.0.len();
                        if n >= 4 {
                            // The closing repeat moves with the first vertex.
                            let k = vertex % (n - 1);
                            let c = Coord {
                                x: lattice(to.0),
                                y: lattice(to.1),
                            };
                            ring.0[k] = c;
                            if k == 0 {
                                ring.0[n - 1] = c;
                            }
                        }
                    });
                }
                ws.apply(Edit::SetGeometry { id, geometry })
            }
            None => Ok(()),
        },
        Op::Add { poly, priority } => {
            let id = TerritoryId(ws.project().next_territory_id);
            let mut t = Territory::new(id, format!("N{}", id.0), mp(&poly));
            t.priority = priority;
            ws.apply(Edit::AddTerritory {
                territory: t,
                position: usize::MAX,
            })
        }
        Op::Remove { t } => match live_territory(ws, t) {
            Some(id) => ws.apply(Edit::RemoveTerritory { id }),
            None => Ok(()),
        },
        Op::Show { overlay } => ws.set_current_type(TerritoryTypeId(overlay as u32)),
        Op::Priority { t, priority } => match live_territory(ws, t) {
            Some(id) => {
                let mut props = TerritoryProps::of(ws.project().territory(id).unwrap());
                props.priority = priority;
                ws.apply(Edit::SetTerritoryProps { id, props })
            }
            None => Ok(()),
        },
        Op::Pin {
            accounts,
            t,
            overlay,
        } => {
            let target = t.and_then(|t| live_territory(ws, t));
            let accounts: Vec<u32> = accounts.into_iter().map(|a| (a % n) as u32).collect();
            let ty = match target {
                Some(t) => ws.project().territory(t).unwrap().type_id,
                None => TerritoryTypeId(overlay as u32),
            };
            ws.apply(Edit::pin_all(ty, accounts, target))
        }
        Op::Move { a, to } => ws.apply(Edit::SetLocations {
            accounts: vec![(a % n) as u32],
            locations: vec![to.map(|(x, y)| (lattice(x) / 2.0, lattice(y) / 2.0))],
        }),
        Op::AddAccounts { pts } => {
            let rows = pts
                .into_iter()
                .map(|p| {
                    *fresh += 1;
                    row(100_000 + *fresh, Some(p))
                })
                .collect();
            ws.apply(Edit::AddAccounts { rows })
        }
        Op::RemoveAccounts { accounts, removed } => ws.apply(Edit::SetRemoved {
            accounts: accounts.into_iter().map(|a| (a % n) as u32).collect(),
            removed,
        }),
        Op::SetRule { t, rule } => match live_territory(ws, t) {
            Some(id) => ws.apply(Edit::SetRule {
                id,
                rule: rule.map(|k| Rule::parse(RULES[k]).unwrap()),
            }),
            None => Ok(()),
        },
        Op::Retype { t, overlay } => match live_territory(ws, t) {
            Some(id) => ws.apply(Edit::SetTerritoryType {
                id,
                type_id: TerritoryTypeId(overlay as u32),
            }),
            None => Ok(()),
        },
        Op::Parent { t, parent } => match live_territory(ws, t) {
            Some(id) => ws.apply(Edit::SetParent {
                id,
                parent: parent.and_then(|p| live_territory(ws, p)),
            }),
            None => Ok(()),
        },
        Op::Nearest { km } => {
            let mut settings = ws.project().settings.clone();
            settings.nearest_km = km;
            ws.apply(Edit::SetSettings {
                settings: Box::new(settings),
            })
        }
        Op::Undo => ws.undo().map(|_| ()),
        Op::Redo => ws.redo().map(|_| ()),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_full_recompute(
        points in prop::collection::vec(prop::option::weighted(0.95, (0..48i32, 0..48i32)), 50..400),
        polys in prop::collection::vec(polygon_strategy(), 1..10),
        ops in prop::collection::vec(op_strategy(), 1..40),
        nearest_km in prop::sample::select(vec![0.0, 0.0, 60.0, 150.0]),
    ) {
        let mut plan = start(&points, &polys);
        plan.settings.nearest_km = nearest_km;
        let mut ws = Workspace::new(plan);
        let router = test_router();
        let mut drive = DriveView::with_router(&ws, router.clone());
        // The metrics panel's figures, refreshed edit by edit.
        let mut live = ws.live_metrics();
        let mut fresh = 0;
        let n_ops = ops.len();
        for (k, op) in ops.into_iter().enumerate() {
            let desc = format!("{op:?}");
            let rev = ws.revision();
            let before: Vec<_> = ws.engines().iter().map(|e| (e.type_id(), e.assignment())).collect();
            apply(&mut ws, op, &mut fresh);
            // The journal lists every account that changed territory.
            if let Some(changes) = ws.changes_since(rev) {
                for (ty, old) in &before {
                    let Some(e) = ws.engine_for(*ty) else { continue };
                    let now = e.assignment();
                    for (i, (a, b)) in old.iter().zip(&now).enumerate() {
                        prop_assert!(
                            a == b || changes.accounts.binary_search(&(i as u32)).is_ok(),
                            "account {} moved without being journalled after step {} ({})", i, k, desc
                        );
                    }
                }
            }
            // An account never holds two pins in one type.
            let p = ws.project();
            for i in 0..p.accounts.len() {
                let mut types: Vec<_> = p.accounts.pins.of(i).map(|t| p.territory(t).unwrap().type_id).collect();
                let all = types.len();
                types.dedup();
                prop_assert_eq!(types.len(), all, "account {} has two pins in one type after step {} ({})", i, k, desc);
            }
            for e in ws.engines() {
                let full = Engine::for_type(ws.project(), e.type_id());
                prop_assert!(e.same_result(&full), "type {:?} diverged after step {} ({})", e.type_id(), k, desc);
                let inc = ws.metrics_for(e.type_id());
                let scratch = turfmap::core::metrics::PlanMetrics::compute(ws.project(), &full);
                prop_assert_eq!(inc, scratch);
            }
            ws.refresh_metrics(&mut live);
            prop_assert_eq!(live.metrics(), &ws.metrics(), "live metrics after step {} ({})", k, desc);
            // Drive-time figures: updated after every step, equal to a
            // computation from scratch (compared every few steps and at the
            // end: stale sums persist, so a missed change still shows).
            drive.update(&ws).unwrap();
            if k % 4 == 3 || k + 1 == n_ops {
                let scratch = DriveView::with_router(&ws, router.clone());
                prop_assert_eq!(drive_figures(&drive, &ws), drive_figures(&scratch, &ws), "drive after step {} ({})", k, desc);
            }
        }
    }

    #[test]
    fn undoing_everything_restores_the_start(
        points in prop::collection::vec(prop::option::weighted(0.95, (0..48i32, 0..48i32)), 50..200),
        polys in prop::collection::vec(polygon_strategy(), 1..6),
        ops in prop::collection::vec(op_strategy(), 1..25),
    ) {
        let start_project = start(&points, &polys);
        let mut ws = Workspace::new(start_project.clone());
        let shown = ws.current_type();
        let before = ws.metrics();
        let assignment = ws.engine().assignment();
        let mut fresh = 0;
        for op in ops.into_iter().filter(|o| !matches!(o, Op::Undo | Op::Redo)) {
            apply(&mut ws, op, &mut fresh);
        }
        while ws.undo().unwrap() {}
        // Which type the map shows is a view setting, not an edit: undo
        // leaves it; compare the type shown at the start.
        ws.set_current_type(shown).unwrap();
        prop_assert_eq!(ws.metrics(), before);
        let after = ws.engine().assignment();
        prop_assert_eq!(&after[..assignment.len()], &assignment[..]);
        prop_assert!(after[assignment.len()..].iter().all(|a| a.is_none()));
        prop_assert_eq!(&ws.project().territories, &start_project.territories);
        let pins = &ws.project().accounts.pins;
        let n = start_project.accounts.len();
        prop_assert!((0..n).all(|i| pins.of(i).eq(start_project.accounts.pins.of(i))));
        prop_assert!((n..pins.len()).all(|i| !pins.is_pinned(i)));
    }
}
