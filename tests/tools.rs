//! The map tools: every tool's edit keeps the plan consistent (no overlaps
//! or gaps it did not have, shared borders shared), leaves locked
//! territories alone, agrees with a from-scratch engine, and undoes exactly.
#![allow(clippy::unwrap_used)]

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, polygon};
use turfmap::core::Workspace;
use turfmap::core::edit::Edit;
use turfmap::core::engine::Engine;
use turfmap::core::geometry::normalize;
use turfmap::core::model::{AccountRow, Accounts, LocationSource, Project, Territory, TerritoryId};
use turfmap::core::shape_edit::{self as tools, DrawMode};
use turfmap::core::synth::synthetic_plan;

/// A unit square at `(x0, y0)` with the midpoint of every side as a vertex,
/// so neighbours share side midpoints as well as corners.
fn cell(x0: f64, y0: f64) -> MultiPolygon<f64> {
    let (x1, y1, xm, ym) = (x0 + 1.0, y0 + 1.0, x0 + 0.5, y0 + 0.5);
    normalize(MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: xm, y: y0), (x: x1, y: y0), (x: x1, y: ym),
        (x: x1, y: y1), (x: xm, y: y1), (x: x0, y: y1), (x: x0, y: ym)
    ]]))
    .0
}

/// A 2×2 tiling of `[0,2]²`: A (south-west), B (south-east), C (north-west),
/// D (north-east), with a 20×20 grid of accounts off the borders.
fn plan() -> Project {
    let mut p = Project::new("tiles");
    p.accounts = Accounts::with_schema(&["revenue".into()], &[]);
    for i in 0..20 {
        for j in 0..20 {
            p.accounts.push(&AccountRow {
                id: format!("A{i}-{j}"),
                name: String::new(),
                location: Some((0.05 + 0.1 * i as f64, 0.05 + 0.1 * j as f64)),
                source: LocationSource::Coordinates,
                measures: vec![(i * 20 + j) as f64],
                attributes: vec![],
                pins: Vec::new(),
            });
        }
    }
    p.add_territory("A", cell(0.0, 0.0));
    p.add_territory("B", cell(1.0, 0.0));
    p.add_territory("C", cell(0.0, 1.0));
    p.add_territory("D", cell(1.0, 1.0));
    p
}

fn id(ws: &Workspace, name: &str) -> TerritoryId {
    ws.project().territory_by_name(name).unwrap().id
}

fn geom<'a>(ws: &'a Workspace, name: &str) -> &'a MultiPolygon<f64> {
    &ws.project().territory_by_name(name).unwrap().geometry
}

fn area(ws: &Workspace, name: &str) -> f64 {
    geom(ws, name).unsigned_area()
}

fn lock(ws: &mut Workspace, name: &str) {
    let e = tools::lock(ws.project(), id(ws, name), true).unwrap();
    ws.apply(e).unwrap();
}

fn has_vertex(g: &MultiPolygon<f64>, x: f64, y: f64) -> bool {
    g.0.iter().any(|p| p.exterior().0.contains(&Coord { x, y }))
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
}

/// Applies `edit`, checks the engine against a full recompute, undoes it and
/// checks that territories, pins and engine are exactly as before; then
/// redoes it and returns the workspace with the edit applied.
fn roundtrip(ws: &mut Workspace, edit: Edit) {
    let territories: Vec<Territory> = ws.project().territories.clone();
    let pins = ws.project().accounts.pins.clone();
    let metrics = ws.metrics();
    ws.apply(edit).unwrap();
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    ws.undo().unwrap();
    assert_eq!(ws.project().territories, territories);
    assert_eq!(ws.project().accounts.pins, pins);
    assert_eq!(ws.metrics(), metrics);
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    ws.redo().unwrap();
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
}

fn pairwise_overlap(ws: &Workspace) -> f64 {
    let ts = &ws.project().territories;
    let mut total = 0.0;
    for i in 0..ts.len() {
        for j in i + 1..ts.len() {
            total += ts[i].geometry.intersection(&ts[j].geometry).unsigned_area();
        }
    }
    total
}

fn total_area(ws: &Workspace) -> f64 {
    ws.project()
        .territories
        .iter()
        .map(|t| t.geometry.unsigned_area())
        .sum()
}

#[test]
fn draw_takes_from_neighbours_without_overlaps() {
    let mut ws = Workspace::new(plan());
    let e = tools::draw_territory(
        ws.project(),
        "Middle",
        square(0.5, 0.5, 1.5, 1.5),
        DrawMode::TakeFromNeighbors,
    )
    .unwrap();
    roundtrip(&mut ws, e);
    assert_eq!(ws.project().territories.len(), 5);
    assert!(pairwise_overlap(&ws) < 1e-12, "{}", pairwise_overlap(&ws));
    assert!((total_area(&ws) - 4.0).abs() < 1e-12);
    assert!((area(&ws, "Middle") - 1.0).abs() < 1e-12);
    for n in ["A", "B", "C", "D"] {
        assert!((area(&ws, n) - 0.75).abs() < 1e-12, "{n}");
    }
    // Borders not touched by the drawing keep their exact shared vertices.
    assert!(has_vertex(geom(&ws, "A"), 1.0, 0.0) && has_vertex(geom(&ws, "B"), 1.0, 0.0));
    assert!(has_vertex(geom(&ws, "A"), 0.0, 0.5));
    // A second drawing with a taken name gets a unique one.
    let e = tools::draw_territory(
        ws.project(),
        "Middle",
        square(0.1, 0.1, 0.3, 0.3),
        DrawMode::default(),
    )
    .unwrap();
    roundtrip(&mut ws, e);
    assert!(ws.project().territory_by_name("Middle (2)").is_some());
}

#[test]
fn drawn_border_shares_its_crossing_vertices() {
    let mut ws = Workspace::new(plan());
    let before = ws.project().territories.clone();
    let tilted = polygon![(x: 0.6, y: 0.4), (x: 1.5, y: 0.6), (x: 1.4, y: 1.5), (x: 0.5, y: 1.4)];
    let e = tools::draw_territory(ws.project(), "Tilted", tilted, DrawMode::default()).unwrap();
    roundtrip(&mut ws, e);
    assert!(pairwise_overlap(&ws) < 1e-12);
    // No sliver: both sides of every new border share its crossing points.
    let gap = (total_area(&ws) - 4.0).abs();
    assert!(gap < 1e-12, "{gap}");
    let new = geom(&ws, "Tilted");
    let mut crossings = 0;
    for (old, t) in before.iter().zip(&ws.project().territories) {
        for c in t.geometry.0[0].exterior().coords() {
            if !has_vertex(&old.geometry, c.x, c.y) {
                // Every vertex a neighbour gained is one of the new shape's.
                assert!(has_vertex(new, c.x, c.y), "{} {c:?}", t.name);
                crossings += 1;
            }
        }
    }
    assert!(crossings >= 8, "{crossings}");
}

#[test]
fn overlay_keeps_the_overlap_and_wins_it() {
    let mut ws = Workspace::new(plan());
    let before = ws.project().territories.clone();
    let e = tools::draw_territory(
        ws.project(),
        "Over",
        square(0.5, 0.5, 1.5, 1.5),
        DrawMode::Overlay,
    )
    .unwrap();
    roundtrip(&mut ws, e);
    assert_eq!(&ws.project().territories[..4], &before[..]);
    assert!((pairwise_overlap(&ws) - 1.0).abs() < 1e-12);
    let over = id(&ws, "Over");
    // An account in the overlap (0.95, 0.95) is the new territory's.
    let i = ws.project().accounts.find_id("A9-9").unwrap();
    assert_eq!(ws.engine().territory_of(i), Some(over));
}

#[test]
fn locked_neighbour_is_untouched_and_clips_the_drawing() {
    let mut ws = Workspace::new(plan());
    lock(&mut ws, "A");
    let a_before = geom(&ws, "A").clone();
    for mode in [DrawMode::TakeFromNeighbors, DrawMode::Overlay] {
        let e =
            tools::draw_territory(ws.project(), "New", square(0.5, 0.5, 1.5, 1.5), mode).unwrap();
        roundtrip(&mut ws, e);
        assert_eq!(geom(&ws, "A"), &a_before);
        let a_new = geom(&ws, "A")
            .intersection(geom(&ws, "New"))
            .unsigned_area();
        assert!(a_new < 1e-12, "{a_new}");
        assert!((area(&ws, "New") - 0.75).abs() < 1e-12);
        ws.undo().unwrap();
    }
    // Entirely inside the locked one: refused.
    assert!(
        tools::draw_territory(
            ws.project(),
            "X",
            square(0.2, 0.2, 0.4, 0.4),
            DrawMode::default()
        )
        .is_err()
    );
}

#[test]
fn drawing_validates_the_outline() {
    let p = plan();
    let line = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 2.0, y: 2.0)];
    assert!(tools::draw_territory(&p, "L", line, DrawMode::default()).is_err());
    let two = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)];
    assert!(tools::draw_territory(&p, "L", two, DrawMode::default()).is_err());
    let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 1.0), (x: 2.0, y: 0.0)];
    assert!(tools::draw_territory(&p, "L", nan, DrawMode::default()).is_err());
    // A bow tie outside the plan is repaired into its two triangles.
    let bow = polygon![(x: 5.0, y: 5.0), (x: 6.0, y: 6.0), (x: 6.0, y: 5.0), (x: 5.0, y: 6.0)];
    let mut ws = Workspace::new(p);
    let e = tools::draw_territory(ws.project(), "Bow", bow, DrawMode::default()).unwrap();
    roundtrip(&mut ws, e);
    assert!(
        (area(&ws, "Bow") - 0.5).abs() < 1e-9,
        "{}",
        area(&ws, "Bow")
    );
}

/// Position of vertex `(x, y)` in the exterior of territory `name`.
fn vix(ws: &Workspace, name: &str, x: f64, y: f64) -> usize {
    let r = &geom(ws, name).0[0].exterior().0;
    r[..r.len() - 1]
        .iter()
        .position(|c| *c == Coord { x, y })
        .unwrap()
}

#[test]
fn moving_a_shared_vertex_moves_both() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    let k = vix(&ws, "A", 1.0, 0.5);
    let e = tools::move_vertex(ws.project(), a, 0, 0, k, (1.3, 0.5)).unwrap();
    roundtrip(&mut ws, e);
    assert!(has_vertex(geom(&ws, "A"), 1.3, 0.5) && has_vertex(geom(&ws, "B"), 1.3, 0.5));
    assert!((area(&ws, "A") - 1.15).abs() < 1e-12);
    assert!((area(&ws, "B") - 0.85).abs() < 1e-12);
    assert!(pairwise_overlap(&ws) < 1e-12);
    // The corner where all four meet moves for all four.
    let k = vix(&ws, "A", 1.0, 1.0);
    let e = tools::move_vertex(ws.project(), a, 0, 0, k, (1.1, 0.9)).unwrap();
    roundtrip(&mut ws, e);
    for n in ["A", "B", "C", "D"] {
        assert!(has_vertex(geom(&ws, n), 1.1, 0.9), "{n}");
    }
    assert!((total_area(&ws) - 4.0).abs() < 1e-12);
    assert!(pairwise_overlap(&ws) < 1e-12);
    // A move that makes the border cross itself is refused.
    let k = vix(&ws, "A", 1.0, 0.0);
    assert!(tools::move_vertex(ws.project(), a, 0, 0, k, (0.0, 0.9)).is_err());
    // So is one that would change a locked neighbour.
    lock(&mut ws, "B");
    let k = vix(&ws, "A", 1.3, 0.5);
    let err = tools::move_vertex(ws.project(), a, 0, 0, k, (1.2, 0.5)).unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    // Bad indices are errors, not panics.
    assert!(tools::move_vertex(ws.project(), a, 3, 0, 0, (0.0, 0.0)).is_err());
    assert!(tools::move_vertex(ws.project(), a, 0, 9, 0, (0.0, 0.0)).is_err());
    assert!(tools::move_vertex(ws.project(), a, 0, 0, 99, (0.0, 0.0)).is_err());
}

#[test]
fn insert_and_delete_a_vertex_on_a_shared_border() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    let k = vix(&ws, "A", 1.0, 0.0);
    // The next vertex of A after (1, 0) is (1, 0.5) (counter-clockwise).
    let e = tools::insert_vertex(ws.project(), a, 0, 0, k, (1.2, 0.25)).unwrap();
    roundtrip(&mut ws, e);
    assert!(has_vertex(geom(&ws, "A"), 1.2, 0.25) && has_vertex(geom(&ws, "B"), 1.2, 0.25));
    assert_eq!(geom(&ws, "A").0[0].exterior().0.len(), 10);
    assert_eq!(geom(&ws, "B").0[0].exterior().0.len(), 10);
    assert!(pairwise_overlap(&ws) < 1e-12);
    assert!((total_area(&ws) - 4.0).abs() < 1e-12);

    let k = vix(&ws, "A", 1.2, 0.25);
    let e = tools::delete_vertex(ws.project(), a, 0, 0, k).unwrap();
    roundtrip(&mut ws, e);
    assert!(!has_vertex(geom(&ws, "A"), 1.2, 0.25) && !has_vertex(geom(&ws, "B"), 1.2, 0.25));
    assert_eq!(geom(&ws, "A"), &cell(0.0, 0.0));
    assert_eq!(geom(&ws, "B"), &cell(1.0, 0.0));

    // The corner where four meet cannot be deleted (it would open gaps).
    let k = vix(&ws, "A", 1.0, 1.0);
    assert!(tools::delete_vertex(ws.project(), a, 0, 0, k).is_err());
    // A triangle keeps its three vertices.
    let e = tools::draw_territory(
        ws.project(),
        "Tri",
        polygon![(x: 5.0, y: 5.0), (x: 6.0, y: 5.0), (x: 5.0, y: 6.0)],
        DrawMode::default(),
    )
    .unwrap();
    ws.apply(e).unwrap();
    assert!(tools::delete_vertex(ws.project(), id(&ws, "Tri"), 0, 0, 0).is_err());
}

#[test]
fn split_gives_two_parts_that_add_up() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    let line = LineString::from(vec![(0.3, 0.2), (0.3, 0.8)]); // extended to cut
    let e = tools::split_territory(ws.project(), a, line).unwrap();
    roundtrip(&mut ws, e);
    let (big, small) = (area(&ws, "A"), area(&ws, "A (2)"));
    assert!(
        (big - 0.7).abs() < 1e-9 && (small - 0.3).abs() < 1e-9,
        "{big} {small}"
    );
    assert!(pairwise_overlap(&ws) < 1e-12);
    // The border with B is still shared vertex for vertex.
    assert!(has_vertex(geom(&ws, "A"), 1.0, 0.5));
    // A line that misses it is refused.
    let miss = LineString::from(vec![(5.0, 0.0), (5.0, 1.0)]);
    assert!(tools::split_territory(ws.project(), a, miss).is_err());
    // A bent line: an L-shaped cut.
    let b = id(&ws, "B");
    let bent = LineString::from(vec![(1.5, -0.5), (1.5, 0.5), (2.5, 0.5)]);
    let e = tools::split_territory(ws.project(), b, bent).unwrap();
    roundtrip(&mut ws, e);
    assert!((area(&ws, "B") - 0.75).abs() < 1e-9);
    assert!((area(&ws, "B (2)") - 0.25).abs() < 1e-9);
}

#[test]
fn merge_unions_and_repins() {
    let mut ws = Workspace::new(plan());
    let (a, b, c) = (id(&ws, "A"), id(&ws, "B"), id(&ws, "C"));
    let i = ws.project().accounts.find_id("A19-19").unwrap() as u32;
    let e = tools::drop_accounts(ws.project(), ws.engine(), &[i], b).unwrap();
    ws.apply(e).unwrap();
    let e = tools::merge_territories(ws.project(), &[a, b, c], Some("ABC".into())).unwrap();
    roundtrip(&mut ws, e);
    assert_eq!(ws.project().territories.len(), 2);
    assert!((area(&ws, "ABC") - 3.0).abs() < 1e-12);
    assert_eq!(ws.project().accounts.pins.of(i as usize).next(), Some(a));
    assert_eq!(ws.engine().territory_of(i as usize), Some(a));
    assert!(tools::merge_territories(ws.project(), &[a], None).is_err());
}

#[test]
fn drop_accounts_pins_and_undo_restores_exact_metrics() {
    let mut ws = Workspace::new(plan());
    let (a, d) = (id(&ws, "A"), id(&ws, "D"));
    let sel = tools::accounts_in_polygon(ws.project(), &square(0.0, 0.0, 0.5, 0.5));
    assert_eq!(sel.len(), 25);
    let before = ws.metrics();
    let e = tools::drop_accounts(ws.project(), ws.engine(), &sel, d).unwrap();
    roundtrip(&mut ws, e);
    assert!(
        sel.iter()
            .all(|&i| ws.engine().territory_of(i as usize) == Some(d))
    );
    assert_eq!(ws.metrics().territory(a).unwrap().group.count, 75);
    ws.undo().unwrap();
    assert_eq!(ws.metrics(), before);

    let e = tools::drop_accounts(ws.project(), ws.engine(), &sel[..3], d).unwrap();
    ws.apply(e).unwrap();
    let e = tools::unpin(ws.project(), ws.current_type(), &sel[..3]).unwrap();
    roundtrip(&mut ws, e);
    assert_eq!(ws.engine().territory_of(sel[0] as usize), Some(a));

    // Locked source or target: refused.
    lock(&mut ws, "A");
    assert!(tools::drop_accounts(ws.project(), ws.engine(), &sel, d).is_err());
    assert!(tools::drop_accounts(ws.project(), ws.engine(), &[9999], d).is_err());
    lock(&mut ws, "D");
    let far = tools::accounts_in_polygon(ws.project(), &square(1.0, 0.0, 2.0, 1.0));
    assert!(tools::drop_accounts(ws.project(), ws.engine(), &far, d).is_err());
}

#[test]
fn property_helpers_round_trip() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    for e in [
        tools::rename(ws.project(), a, "West").unwrap(),
        tools::recolor(ws.project(), a, [1, 2, 3]).unwrap(),
        tools::lock(ws.project(), a, true).unwrap(),
        tools::delete(ws.project(), a).unwrap(),
    ] {
        roundtrip(&mut ws, e);
        ws.undo().unwrap();
    }
    assert!(tools::rename(ws.project(), a, "B").is_ok_and(|e| ws.clone().apply(e).is_err()));
    lock(&mut ws, "A");
    assert!(tools::delete(ws.project(), a).is_err());
}

#[test]
fn tools_on_wavy_synthetic_borders() {
    let mut ws = Workspace::new(synthetic_plan(5000, 24, 3));
    let total = total_area(&ws);
    let e = tools::draw_territory(
        ws.project(),
        "Drawn",
        polygon![(x: -100.0, y: 33.0), (x: -90.0, y: 31.0), (x: -88.0, y: 40.0), (x: -99.0, y: 41.0)],
        DrawMode::default(),
    )
    .unwrap();
    roundtrip(&mut ws, e);
    let rel = |x: f64| x / total;
    assert!(
        rel(pairwise_overlap(&ws)) < 1e-12,
        "{}",
        pairwise_overlap(&ws)
    );
    assert!(rel((total_area(&ws) - total).abs()) < 1e-12);
    let drawn = id(&ws, "Drawn");
    let e = tools::split_territory(
        ws.project(),
        drawn,
        LineString::from(vec![(-101.0, 36.0), (-95.0, 37.5), (-87.0, 35.0)]),
    )
    .unwrap();
    roundtrip(&mut ws, e);
    assert!(rel(pairwise_overlap(&ws)) < 1e-12);
    let gap = rel((total_area(&ws) - total).abs());
    assert!(gap < 1e-12, "{gap}");
    let ids: Vec<_> = ws.project().territories.iter().map(|t| t.id).collect();
    let e = tools::merge_territories(ws.project(), &[ids[0], ids[1]], None).unwrap();
    roundtrip(&mut ws, e);
    assert!(rel(pairwise_overlap(&ws)) < 1e-12);
    assert!(rel((total_area(&ws) - total).abs()) < 1e-12);
}

/// Speed figures on the 1M-account synthetic plan (release build):
/// `cargo test --release --test tools -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_edit() {
    turfmap::core::bench::edit::run(&mut std::io::stdout()).unwrap();
}

/// `bench-edit` on a small plan: every step it times is checked against a
/// from-scratch engine, and the undo restores the metrics exactly.
#[test]
fn bench_edit_checks_pass_on_a_small_plan() {
    let mut out = Vec::new();
    turfmap::core::bench::edit::run_on((20_000, 30, 7), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.matches("equals full recompute: yes").count(),
        4,
        "{out}"
    );
    assert!(out.contains("metrics restored exactly: yes"), "{out}");
    assert!(!out.contains("NO"), "{out}");
}

#[test]
fn painting_units_moves_their_area_without_overlaps() {
    let mut ws = Workspace::new(plan());
    let (a, b) = (id(&ws, "A"), id(&ws, "B"));
    // The east half of B as two units.
    let u1 = MultiPolygon(vec![square(1.5, 0.0, 2.0, 0.5)]);
    let u2 = MultiPolygon(vec![square(1.5, 0.5, 2.0, 1.0)]);
    let e = tools::paint_units(ws.project(), a, &[&u1])
        .unwrap()
        .unwrap();
    assert!(e.label(ws.project()).contains("'A'"));
    roundtrip(&mut ws, e);
    assert!((area(&ws, "A") - 1.25).abs() < 1e-9);
    assert!((area(&ws, "B") - 0.75).abs() < 1e-9);
    assert!(pairwise_overlap(&ws) < 1e-12);
    assert!((total_area(&ws) - 4.0).abs() < 1e-9);
    // Accounts there follow the shape.
    let p = ws.project();
    let i = (0..p.accounts.len())
        .find(|&i| p.accounts.lon[i] > 1.5 && p.accounts.lat[i] < 0.5)
        .unwrap();
    assert_eq!(ws.engine().territory_of(i), Some(a));
    // Painting the same unit again changes nothing.
    assert!(
        tools::paint_units(ws.project(), a, &[&u1])
            .unwrap()
            .is_none()
    );
    // A locked neighbour keeps its part; the rest is painted.
    lock(&mut ws, "D");
    let across = MultiPolygon(vec![square(1.5, 0.5, 2.0, 1.5)]);
    let e = tools::paint_units(ws.project(), a, &[&across])
        .unwrap()
        .unwrap();
    roundtrip(&mut ws, e);
    assert!((area(&ws, "D") - 1.0).abs() < 1e-12);
    assert!((area(&ws, "A") - 1.5).abs() < 1e-9);
    assert!((area(&ws, "B") - 0.5).abs() < 1e-9);
    // What B still has of it is nothing now: painting it into B gives it back.
    let e = tools::paint_units(ws.project(), b, &[&u2])
        .unwrap()
        .unwrap();
    roundtrip(&mut ws, e);
    assert!((area(&ws, "B") - 0.75).abs() < 1e-9);
    assert!(pairwise_overlap(&ws) < 1e-12);
    // Painting into a locked territory is refused.
    assert!(tools::paint_units(ws.project(), id(&ws, "D"), &[&u2]).is_err());
}

#[test]
fn amend_folds_a_gesture_into_one_undo_step() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    let before = ws.project().territories.clone();
    let metrics = ws.metrics();
    let k = vix(&ws, "A", 1.0, 0.5);
    let steps = [(1.1, 0.5), (1.2, 0.55), (1.3, 0.6), (1.25, 0.5)];
    for (n, to) in steps.into_iter().enumerate() {
        let e = tools::move_vertex(ws.project(), a, 0, 0, k, to).unwrap();
        if n == 0 {
            ws.apply(e).unwrap();
        } else {
            ws.amend(e).unwrap();
        }
    }
    assert_eq!(ws.undo_labels().count(), 1);
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
    let after = ws.project().territories.clone();
    let after_metrics = ws.metrics();
    ws.undo().unwrap();
    assert_eq!(ws.project().territories, before);
    assert_eq!(ws.metrics(), metrics);
    assert_eq!(ws.undo_labels().count(), 0);
    ws.redo().unwrap();
    assert_eq!(ws.project().territories, after);
    assert_eq!(ws.metrics(), after_metrics);
    // A failed amend leaves the entry as it was.
    let bad = Edit::SetGeometry {
        id: TerritoryId(999),
        geometry: MultiPolygon(vec![]),
    };
    assert!(ws.amend(bad).is_err());
    assert_eq!(ws.undo_labels().count(), 1);
    ws.undo().unwrap();
    assert_eq!(ws.project().territories, before);
}

#[test]
fn undoing_back_to_the_saved_state_clears_the_unsaved_marker() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.turf");
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    ws.save_as(&file).unwrap();
    assert!(!ws.is_dirty());
    ws.apply(tools::rename(ws.project(), a, "West").unwrap())
        .unwrap();
    ws.apply(tools::recolor(ws.project(), a, [1, 2, 3]).unwrap())
        .unwrap();
    assert!(ws.is_dirty());
    ws.undo().unwrap();
    assert!(ws.is_dirty(), "one edit is still applied");
    ws.undo().unwrap();
    assert!(!ws.is_dirty(), "back at the saved state");
    ws.redo().unwrap();
    assert!(ws.is_dirty());
    ws.undo().unwrap();
    // A new edit after undoing: a different state, even with equal count.
    ws.apply(tools::lock(ws.project(), a, true).unwrap())
        .unwrap();
    assert!(ws.is_dirty());
    // Saving in the middle of the history, then undoing past it.
    ws.save_as(&file).unwrap();
    ws.undo().unwrap();
    assert!(ws.is_dirty());
    ws.redo().unwrap();
    assert!(!ws.is_dirty());
}

#[test]
fn tools_keep_territory_types_apart() {
    use turfmap::core::model::{TerritoryType, TerritoryTypeId};
    let overlay = TerritoryTypeId(1);
    let mut p = plan();
    p.types.push(TerritoryType {
        id: overlay,
        name: "Healthcare".into(),
        priority: 0,
    });
    let o = p.add_territory("O", MultiPolygon(vec![square(0.0, 0.0, 2.0, 2.0)]));
    p.territory_mut(o).unwrap().type_id = overlay;
    let mut ws = Workspace::new(p);
    let geo_before: Vec<_> = ["A", "B", "C", "D"].map(|n| area(&ws, n)).to_vec();

    // Drawing on the overlay type cuts only the overlay territory.
    let e = tools::draw_territory_of_type(
        ws.project(),
        overlay,
        "New",
        square(0.5, 0.5, 1.5, 1.5),
        DrawMode::TakeFromNeighbors,
    )
    .unwrap();
    roundtrip(&mut ws, e);
    let new = ws.project().territory_by_name("New").unwrap();
    assert_eq!(new.type_id, overlay);
    assert!((area(&ws, "O") - 3.0).abs() < 1e-9);
    assert_eq!(
        ["A", "B", "C", "D"].map(|n| area(&ws, n)).to_vec(),
        geo_before
    );
    // Painting units into a geographic territory leaves the overlay whole.
    let u = MultiPolygon(vec![square(1.5, 0.0, 2.0, 0.5)]);
    let e = tools::paint_units(ws.project(), id(&ws, "A"), &[&u])
        .unwrap()
        .unwrap();
    roundtrip(&mut ws, e);
    assert!((area(&ws, "O") - 3.0).abs() < 1e-9);
    assert!((area(&ws, "B") - 0.75).abs() < 1e-9);
    // Splitting an overlay territory makes an overlay part.
    let line = LineString::from(vec![(1.0, -1.0), (1.0, 3.0)]);
    let e = tools::split_territory(ws.project(), id(&ws, "O"), line).unwrap();
    roundtrip(&mut ws, e);
    let part = ws.project().territory_by_name("O (2)").unwrap();
    assert_eq!(part.type_id, overlay);
    // Merging across types is refused with both names and types.
    let err = tools::merge_territories(ws.project(), &[id(&ws, "O"), id(&ws, "A")], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'O' (Healthcare)") && err.contains("'A' (Geographic)"),
        "{err}"
    );
    // Drawing for a type that does not exist is refused.
    let bad = TerritoryTypeId(9);
    assert!(
        tools::draw_territory_of_type(
            ws.project(),
            bad,
            "X",
            square(0.0, 0.0, 1.0, 1.0),
            DrawMode::Overlay
        )
        .is_err()
    );
}

#[test]
fn a_vertex_on_a_neighbours_straight_border_takes_that_border_along() {
    // A has a vertex at (1, 0.25) on the side it shares with B; B's side
    // there is one straight edge (a T-junction). Moving it must not lay A
    // over B (the darker wedge two fills make) nor open a gap.
    let mut p = Project::new("t-junction");
    p.add_territory(
        "A",
        MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.25), (x: 1.0, y: 1.0),
            (x: 0.0, y: 1.0)
        ]]),
    );
    p.add_territory("B", MultiPolygon(vec![square(1.0, 0.0, 2.0, 1.0)]));
    let mut ws = Workspace::new(p);
    let a = id(&ws, "A");
    let k = vix(&ws, "A", 1.0, 0.25);
    let e = tools::move_vertex(ws.project(), a, 0, 0, k, (1.4, 0.25)).unwrap();
    roundtrip(&mut ws, e);
    assert!(has_vertex(geom(&ws, "B"), 1.4, 0.25));
    assert!(pairwise_overlap(&ws) < 1e-12, "{}", pairwise_overlap(&ws));
    assert!((total_area(&ws) - 2.0).abs() < 1e-12, "{}", total_area(&ws));
    assert!((area(&ws, "A") - 1.2).abs() < 1e-12, "{}", area(&ws, "A"));
}

/// Every vertex of `ws`'s territories moved by `d`: the drag's edit found
/// through the engine's box tree equals the one from scanning the plan.
fn drag_edits_agree(ws: &Workspace, d: (f64, f64)) -> usize {
    let mut compared = 0;
    for t in &ws.project().territories {
        for (part, poly) in t.geometry.0.iter().enumerate() {
            let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
            for (ring, r) in rings.enumerate() {
                for (vertex, c) in r.0[..r.0.len() - 1].iter().enumerate() {
                    let to = (c.x + d.0, c.y + d.1);
                    let at = tools::VertexRef {
                        id: t.id,
                        part,
                        ring,
                        vertex,
                    };
                    let near = ws.move_vertex(at, to).map_err(|e| e.to_string());
                    let all = tools::move_vertex(ws.project(), t.id, part, ring, vertex, to)
                        .map_err(|e| e.to_string());
                    assert_eq!(near, all, "{} vertex {vertex} of ring {ring}", t.name);
                    compared += 1;
                }
            }
        }
    }
    compared
}

#[test]
fn a_drag_step_looks_only_around_the_vertex_and_finds_the_same() {
    // Wavy shared borders, corners of three or more, a T-junction, a locked
    // neighbour; after edits too (the box tree follows them).
    let mut ws = Workspace::new(synthetic_plan(500, 12, 7));
    let mut p = plan();
    p.add_territory(
        "T",
        MultiPolygon(vec![polygon![
            (x: 2.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 2.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.5)
        ]]),
    );
    let mut small = Workspace::new(p);
    lock(&mut small, "C");
    for w in [&mut ws, &mut small] {
        assert!(drag_edits_agree(w, (0.01, -0.004)) > 10);
        // Move some shared vertices, then compare again.
        let a = w.project().territories[0].id;
        for k in [1, 3] {
            let c = w.project().territories[0].geometry.0[0].exterior().0[k];
            let at = tools::VertexRef {
                id: a,
                part: 0,
                ring: 0,
                vertex: k,
            };
            if let Ok(e) = w.move_vertex(at, (c.x + 0.02, c.y + 0.01)) {
                w.apply(e).unwrap();
            }
        }
        assert!(drag_edits_agree(w, (-0.003, 0.006)) > 10);
    }
    // A territory with no area is in no box: the drag then looks at all.
    let mut p = plan();
    p.add_territory(
        "Flat",
        MultiPolygon(vec![
            polygon![(x: 1.0, y: 0.5), (x: 1.5, y: 0.5), (x: 1.2, y: 0.5)],
        ]),
    );
    let flat = Workspace::new(p);
    let a = id(&flat, "A");
    let around = flat.territories_around(
        flat.project().territories[0].type_id,
        Coord { x: 1.0, y: 0.5 },
    );
    assert!(around.is_none());
    let k = vix(&flat, "A", 1.0, 0.5);
    let at = tools::VertexRef {
        id: a,
        part: 0,
        ring: 0,
        vertex: k,
    };
    // It shares the vertex: found (and refusing the move), not skipped.
    let err = flat.move_vertex(at, (1.1, 0.5)).unwrap_err().to_string();
    assert!(err.contains("'Flat'"), "{err}");
    drag_edits_agree(&flat, (0.01, 0.02));
}

#[test]
fn forgetting_the_history_keeps_the_plan_and_leaves_nothing_to_undo() {
    let mut ws = Workspace::new(plan());
    let a = id(&ws, "A");
    let k = vix(&ws, "A", 1.0, 0.5);
    let e = tools::move_vertex(ws.project(), a, 0, 0, k, (1.3, 0.5)).unwrap();
    ws.apply(e).unwrap();
    let after = ws.project().territories.clone();
    ws.forget_history();
    assert_eq!(ws.undo_labels().count(), 0);
    assert!(!ws.undo().unwrap());
    assert_eq!(ws.project().territories, after);
    assert!(ws.engine().same_result(&Engine::new(ws.project())));
}
