//! Headless tests of the map (egui without a GPU, no network).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use egui::{
    Color32, Context, Event, FullOutput, Modifiers, Pos2, RawInput, Rect, Shape, Stroke, pos2, vec2,
};
use geo::{
    Area, BoundingRect, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon,
};

use turfmap::app::map::accounts::{Binner, DOT_RADIUS, DotMode, MIN_DOT_RADIUS, dot_scale};
use turfmap::app::map::geom::{
    Geom, geom_from_lon_lat, push_outlines, split_antimeridian, to_world, triangulate,
};
use turfmap::app::map::proj::{ViewTransform, mercator, world_scale};
use turfmap::app::map::territories::TerritoryLayer;
use turfmap::app::map::{MapView, PlanKey, TileSettings, basemap};
use turfmap::app::state::{MapEvent, MapStyle, Selection};
use turfmap::core::synth::synthetic_plan;
use turfmap::core::{Project, TerritoryId, Workspace};

mod common;

const SIZE: egui::Vec2 = vec2(1200.0, 800.0);

/// Drives a `MapView` frame by frame.
struct Harness {
    ctx: Context,
    view: MapView,
    time: f64,
}

impl Harness {
    fn new() -> Self {
        let ctx = Context::default();
        let view = MapView::new(&ctx);
        Self {
            ctx,
            view,
            time: 0.0,
        }
    }

    fn frame(
        &mut self,
        ws: &Workspace,
        sel: &Selection,
        style: &MapStyle,
        events: Vec<Event>,
    ) -> Vec<MapEvent> {
        let (got, out) = self.frame_output(ws, sel, style, events);
        // Tessellating must work too (this is what the GPU gets).
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        assert!(!prims.is_empty());
        got
    }

    /// One frame: what the map reported and what egui would paint.
    fn frame_output(
        &mut self,
        ws: &Workspace,
        sel: &Selection,
        style: &MapStyle,
        events: Vec<Event>,
    ) -> (Vec<MapEvent>, FullOutput) {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, SIZE)),
            time: Some(self.time),
            events,
            ..RawInput::default()
        };
        let mut got = Vec::new();
        let mut out = self.ctx.run_ui(input, |ui| {
            got = self.view.show(ui, ws, sel, style);
        });
        out.textures_delta.clear();
        (got, out)
    }

    /// Moves to `p`, presses and releases: the events of all three frames.
    fn click(&mut self, ws: &Workspace, style: &MapStyle, p: Pos2) -> Vec<MapEvent> {
        let sel = Selection::default();
        let button = |pressed| common::button(p, pressed, Modifiers::NONE);
        let mut ev = self.frame(ws, &sel, style, vec![Event::PointerMoved(p)]);
        ev.extend(self.frame(ws, &sel, style, vec![button(true)]));
        ev.extend(self.frame(ws, &sel, style, vec![button(false)]));
        ev
    }
}

fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect())
}

/// A concave "U" with a square hole in its base.
fn u_with_hole() -> Polygon<f64> {
    Polygon::new(
        ring(&[
            (0., 0.),
            (10., 0.),
            (10., 10.),
            (7., 10.),
            (7., 4.),
            (3., 4.),
            (3., 10.),
            (0., 10.),
        ]),
        vec![ring(&[(4., 1.), (6., 1.), (6., 3.), (4., 3.)])],
    )
}

fn tri_area(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
}

#[test]
fn concave_polygon_with_hole_is_covered_exactly() {
    let p = u_with_hole();
    let (v, t) = triangulate(&p);
    assert_eq!(t.len() % 3, 0);
    let hole = Polygon::new(p.interiors()[0].clone(), vec![]);
    let mut sum = 0.0;
    for c in t.chunks(3) {
        let (a, b, d) = (v[c[0] as usize], v[c[1] as usize], v[c[2] as usize]);
        sum += tri_area(a, b, d);
        let centroid = Point::new((a[0] + b[0] + d[0]) / 3.0, (a[1] + b[1] + d[1]) / 3.0);
        assert!(
            !hole.contains(&centroid),
            "triangle centroid {centroid:?} in the hole"
        );
        assert!(
            p.contains(&centroid),
            "triangle centroid {centroid:?} outside the polygon"
        );
    }
    assert!(
        (sum - p.unsigned_area()).abs() < 1e-9,
        "{sum} vs {}",
        p.unsigned_area()
    );
}

#[test]
fn territory_geometry_is_triangulated_in_world_units() {
    // The same U placed over Kansas, in degrees.
    let deg = |r: &LineString<f64>| {
        LineString(
            r.0.iter()
                .map(|c| Coord {
                    x: -100.0 + c.x * 0.3,
                    y: 37.0 + c.y * 0.3,
                })
                .collect(),
        )
    };
    let p = u_with_hole();
    let lonlat = Polygon::new(deg(p.exterior()), p.interiors().iter().map(deg).collect());
    let g = geom_from_lon_lat(&MultiPolygon(vec![lonlat.clone()]));
    assert_eq!(g.paths.len(), 2, "outer ring and hole are both outlined");
    let world = |v: [f32; 2]| [g.origin[0] + v[0] as f64, g.origin[1] + v[1] as f64];
    let sum: f64 = g
        .tris
        .chunks(3)
        .map(|c| {
            tri_area(
                world(g.verts[c[0] as usize]),
                world(g.verts[c[1] as usize]),
                world(g.verts[c[2] as usize]),
            )
        })
        .sum();
    let want = to_world(&lonlat).unsigned_area();
    assert!((sum - want).abs() / want < 1e-5, "{sum} vs {want}");
}

#[test]
fn bad_geometry_does_not_panic() {
    let nan = Polygon::new(ring(&[(f64::NAN, 1.0), (0.0, 0.0), (1.0, 1.0)]), vec![]);
    let line = Polygon::new(ring(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]), vec![]);
    let bowtie = Polygon::new(
        ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]),
        vec![],
    );
    let g = geom_from_lon_lat(&MultiPolygon(vec![
        nan,
        line,
        bowtie,
        Polygon::new(ring(&[]), vec![]),
    ]));
    assert!(g.tris.iter().all(|&i| (i as usize) < g.verts.len()));
}

fn segments_short(lines: impl Iterator<Item = Vec<[f64; 2]>>) -> Result<(), String> {
    for l in lines {
        for w in l.windows(2) {
            if (w[1][0] - w[0][0]).abs() > 180.0 {
                return Err(format!("segment {:?} → {:?}", w[0], w[1]));
            }
        }
        if let Some(p) = l.iter().find(|p| p[0].abs() > 180.0 + 1e-9) {
            return Err(format!("point {p:?} outside -180..180"));
        }
    }
    Ok(())
}

fn ring_pts(r: &LineString<f64>) -> Vec<[f64; 2]> {
    r.0.iter().map(|c| [c.x, c.y]).collect()
}

#[test]
fn antimeridian_split_has_no_long_segments() {
    let path = turfmap::core::assets::dir().join("world-countries-110m.geojson");
    let countries = basemap::read_features(&path).expect("bundled countries");
    assert_eq!(countries.len(), 177);
    let mut crossing = Vec::new();
    for (props, polys) in &countries {
        for poly in polys {
            let s = split_antimeridian(poly);
            let fills = s.pieces.iter().flat_map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring_pts)
            });
            let name = props
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned();
            segments_short(fills).unwrap_or_else(|e| panic!("{name} fill: {e}"));
            segments_short(s.borders.clone().into_iter())
                .unwrap_or_else(|e| panic!("{name} border: {e}"));
            if s.pieces.len() > 1 {
                crossing.push(name);
            }
        }
    }
    for name in ["Russia", "Fiji", "Antarctica"] {
        assert!(
            crossing.iter().any(|c| c == name),
            "{name} was not split: {crossing:?}"
        );
    }
}

#[test]
fn antimeridian_split_keeps_the_area() {
    // A box from 170°E to 170°W, written the way the data files do.
    let p = Polygon::new(
        ring(&[(170., 10.), (-170., 10.), (-170., 20.), (170., 20.)]),
        vec![],
    );
    let s = split_antimeridian(&p);
    assert!(s.pieces.len() >= 2);
    let area: f64 = s.pieces.iter().map(|q| q.unsigned_area()).sum();
    assert!((area - 200.0).abs() < 1e-9, "{area}");
    // Borders: the top and bottom edges cut in two, no edge along ±180°.
    segments_short(s.borders.clone().into_iter()).unwrap();
    assert!(s.borders.iter().all(|l| {
        l.windows(2)
            .all(|w| !(w[0][0].abs() == 180.0 && w[1][0].abs() == 180.0))
    }));
    // A polygon that does not cross comes back unchanged.
    let q = Polygon::new(ring(&[(0., 0.), (1., 0.), (1., 1.)]), vec![]);
    assert_eq!(split_antimeridian(&q).pieces, vec![q]);
}

#[test]
fn basemap_loads_offline_and_is_not_smeared() {
    assert!(
        MapView::wait_for_basemap(Duration::from_secs(120)),
        "basemap did not load"
    );
    let bm = basemap::get().unwrap();
    assert!(bm.errors.is_empty(), "{:?}", bm.errors);
    assert_eq!(bm.countries.len(), 177);
    assert!(bm.counties.len() > 3000);
    assert!(bm.states.len() >= 50);
    assert!(bm.countries.iter().filter(|g| !g.tris.is_empty()).count() > 170);
    // No drawn edge or triangle spans more than half the world (180°).
    for g in bm
        .countries
        .iter()
        .chain(&bm.states)
        .chain(&bm.counties)
        .chain(&bm.provinces)
    {
        for p in &g.paths {
            for w in g.verts[p.start as usize..p.end as usize].windows(2) {
                assert!((w[1][0] - w[0][0]).abs() < 0.5);
            }
        }
        for t in g.tris.chunks(3) {
            let xs = t.iter().map(|&i| g.verts[i as usize][0]);
            let (lo, hi) = xs.fold((f32::MAX, f32::MIN), |(a, b), x| (a.min(x), b.max(x)));
            assert!(
                hi - lo <= 0.5 + 1e-6,
                "triangle {lo}..{hi} in a shape at {:?}",
                g.bbox
            );
        }
    }
}

/// The bundled sample plan: 12 US regions made of whole states, Alaska's
/// and Hawaii's islands included.
fn sample_plan() -> Workspace {
    let path = turfmap::core::assets::sample_plan();
    Workspace::new(turfmap::core::project_file::load(&path).expect("the sample plan loads"))
}

/// Every level of detail of territory `id` as the map caches it: `(zoom
/// it is drawn at, geom)`, the full shape last (drawn at zoom 10 here).
fn levels(layer: &TerritoryLayer, id: TerritoryId) -> Vec<(f64, &Geom)> {
    let s = layer.shape(id).expect("a shape per territory");
    let mut v: Vec<(f64, &Geom)> = s.lods.iter().map(|(z, g)| (*z, g)).collect();
    v.push((10.0, &s.geom));
    v
}

/// World coordinates of vertex `i` of `g`.
fn world_vert(g: &Geom, i: u32) -> [f64; 2] {
    let v = g.verts[i as usize];
    [g.origin[0] + v[0] as f64, g.origin[1] + v[1] as f64]
}

fn dist_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let t = if ab.length_sq() > 0.0 {
        ((p - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t - p).length()
}

/// Whether the drawn polyline `drawn` walks once around `ring` (a closed
/// ring's screen points, without a repeated closing point): every drawn
/// point is a vertex of that ring, in ring order, and every ring vertex
/// skipped in between lies within `2·step` of the drawn segment standing in
/// for it (the closing one included when the line is not closed itself).
fn walks_ring(drawn: &[Pos2], ring: &[Pos2], step: f32) -> bool {
    let n = ring.len();
    let near = |q: Pos2, a: Pos2, b: Pos2| dist_to_segment(q, a, b) <= 2.0 * step + 0.01;
    let Some(start) = ring.iter().position(|&q| q == drawn[0]) else {
        return false;
    };
    let (mut i, mut walked) = (start, 0);
    for w in drawn.windows(2) {
        let Some(k) = (1..=n - walked).find(|&k| ring[(i + k) % n] == w[1]) else {
            return false;
        };
        if !(1..k).all(|j| near(ring[(i + j) % n], w[0], w[1])) {
            return false;
        }
        i = (i + k) % n;
        walked += k;
    }
    // Whatever is left closes back to the start.
    (walked..n).all(|j| near(ring[(start + j) % n], drawn[drawn.len() - 1], drawn[0]))
}

#[test]
fn sample_outlines_join_vertices_of_one_ring() {
    let ws = sample_plan();
    let mut layer = TerritoryLayer::default();
    layer.refresh(&ws, PlanKey::of(&ws));
    let rect = Rect::from_min_size(Pos2::ZERO, SIZE);
    let mut drawn = 0;
    for t in &ws.project().territories {
        for (zoom, g) in levels(&layer, t.id) {
            assert!(!g.is_empty(), "{} at zoom {zoom}", t.name);
            // One path per ring: consecutive, disjoint, closed, ≥ 3 points.
            let mut next = 0;
            for p in &g.paths {
                assert!(
                    p.start == next && p.end >= p.start + 3 && p.closed,
                    "{} at zoom {zoom}: path {p:?}",
                    t.name
                );
                next = p.end;
            }
            assert_eq!(next as usize, g.verts.len());
            // Drawn at its zoom, centred on it, with each thinning step the
            // map uses; nothing culled.
            let view = ViewTransform {
                center: [(g.bbox[0] + g.bbox[2]) / 2.0, (g.bbox[1] + g.bbox[3]) / 2.0],
                scale: world_scale(zoom),
                zoom,
                rect,
            };
            let mut screen = Vec::new();
            g.to_screen(&view, &mut screen);
            for step in [0.75, 0.9, 1.5] {
                let mut shapes = Vec::new();
                let stroke = Stroke::new(1.0, egui::Color32::BLACK);
                push_outlines(&mut shapes, g, &screen, stroke, step, &Rect::EVERYTHING);
                assert!(shapes.len() <= g.paths.len());
                for sh in &shapes {
                    let Shape::Path(path) = sh else {
                        panic!("{}: outline drawn as {sh:?}", t.name);
                    };
                    assert!(
                        !path.closed,
                        "egui joins closed paths with unclipped miters"
                    );
                    let ok = g.paths.iter().any(|p| {
                        walks_ring(
                            &path.points,
                            &screen[p.start as usize..p.end as usize],
                            step,
                        )
                    });
                    assert!(
                        ok,
                        "{} at zoom {zoom}, step {step}: an outline leaves its ring: {:?}",
                        t.name, path.points
                    );
                    drawn += 1;
                }
            }
        }
    }
    assert!(drawn > 600, "{drawn}");
}

#[test]
fn sample_fills_cover_their_territories_at_every_level() {
    let ws = sample_plan();
    let mut layer = TerritoryLayer::default();
    layer.refresh(&ws, PlanKey::of(&ws));
    for t in &ws.project().territories {
        let world: Vec<Polygon<f64>> = t.geometry.iter().map(to_world).collect();
        let want: f64 = world.iter().map(|p| p.unsigned_area()).sum();
        let boxes: Vec<[f64; 4]> = world
            .iter()
            .filter_map(|p| p.bounding_rect())
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
            .collect();
        let lods = levels(&layer, t.id);
        let full = lods.len() - 1;
        for (k, (zoom, g)) in lods.into_iter().enumerate() {
            let mut area = 0.0;
            for c in g.tris.chunks(3) {
                let [a, b, d] = [c[0], c[1], c[2]].map(|i| world_vert(g, i));
                area += tri_area(a, b, d);
                // Inside the box of one of the territory's polygons: a
                // sliver bridging two islands, or reaching out to sea from
                // a degenerate ring, is not (1e-6: f32 vertices).
                let tb = [
                    a[0].min(b[0]).min(d[0]),
                    a[1].min(b[1]).min(d[1]),
                    a[0].max(b[0]).max(d[0]),
                    a[1].max(b[1]).max(d[1]),
                ];
                let e = 1e-6;
                assert!(
                    boxes.iter().any(|pb| {
                        tb[0] >= pb[0] - e
                            && tb[1] >= pb[1] - e
                            && tb[2] <= pb[2] + e
                            && tb[3] <= pb[3] + e
                    }),
                    "{} at zoom {zoom}: triangle {a:?} {b:?} {d:?} leaves its polygon",
                    t.name
                );
                if k == full {
                    let centroid =
                        Point::new((a[0] + b[0] + d[0]) / 3.0, (a[1] + b[1] + d[1]) / 3.0);
                    assert!(
                        world.iter().any(|p| p.contains(&centroid)),
                        "{}: triangle {a:?} {b:?} {d:?} outside the territory",
                        t.name
                    );
                }
            }
            let off = (area - want).abs() / want;
            let allowed = if k == full { 1e-4 } else { 0.03 };
            assert!(
                off < allowed,
                "{} at zoom {zoom}: triangles cover {area} of {want}",
                t.name
            );
        }
    }
}

#[test]
fn outlines_have_no_miter_spikes() {
    assert!(
        MapView::wait_for_basemap(Duration::from_secs(120)),
        "basemap did not load"
    );
    let ws = sample_plan();
    let texas = ws
        .project()
        .territories
        .iter()
        .find(|t| t.name == "Texas")
        .map(|t| t.id);
    let mut h = Harness::new();
    let style = MapStyle::default();
    let mut paths = 0;
    let places = [
        None,
        Some((-99.0, 29.5, 6.0)),
        Some((-150.0, 58.0, 3.0)),
        Some((-71.0, 42.0, 7.5)),
    ];
    for at in places {
        match at {
            Some((lon, lat, z)) => h.view.set_view(lon, lat, z),
            None => h.view.zoom_to_plan(&ws),
        }
        for territory in [None, texas] {
            let sel = Selection {
                territory,
                account: None,
            };
            h.frame(&ws, &sel, &style, vec![]);
            let (_, out) = h.frame_output(&ws, &sel, &style, vec![]);
            for cs in &out.shapes {
                let Shape::Path(path) = &cs.shape else {
                    continue;
                };
                paths += 1;
                let pts = &path.points;
                let segs = pts.len() - 1 + usize::from(path.closed);
                let reach = path.stroke.width.max(1.0) + 1.5;
                let prims = h.ctx.tessellate(vec![cs.clone()], out.pixels_per_point);
                for pr in prims {
                    let egui::epaint::Primitive::Mesh(m) = pr.primitive else {
                        continue;
                    };
                    for v in &m.vertices {
                        let d = (0..segs)
                            .map(|k| dist_to_segment(v.pos, pts[k], pts[(k + 1) % pts.len()]))
                            .fold(f32::MAX, f32::min);
                        assert!(
                            d <= reach,
                            "at {at:?}: a {}-point line of width {} reaches {d:.1} points \
                             away, to {:?}",
                            pts.len(),
                            path.stroke.width,
                            v.pos
                        );
                    }
                }
            }
        }
    }
    assert!(paths > 500, "{paths}");
}

fn small_plan() -> Workspace {
    Workspace::new(synthetic_plan(5_000, 12, 3))
}

#[test]
fn binning_conserves_the_account_count() {
    let ws = small_plan();
    let a = &ws.project().accounts;
    let mut h = Harness::new();
    h.view.set_point_budget(0); // force bins
    let style = MapStyle::default();

    // Whole plan: the world raster holds every account exactly once.
    h.view.zoom_to_plan(&ws);
    for _ in 0..2 {
        h.frame(&ws, &Selection::default(), &style, vec![]);
    }
    let d = h.view.stats().dots;
    assert_eq!(d.mode, DotMode::Binned);
    assert!(d.level.is_some(), "{d:?}");
    assert_eq!(d.in_view, 5_000, "the whole plan is in view");
    assert_eq!(d.represented, 5_000);
    assert!(d.bins > 100 && d.bins < 5_000, "{d:?}");

    // Zoomed in on a city: the raster would be too big, so the accounts in
    // view are binned on screen; every one of them lands in one bin.
    let i = 99;
    h.view.set_view(a.lon[i], a.lat[i], 11.0);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    let d = h.view.stats().dots;
    assert_eq!((d.mode, d.level), (DotMode::Binned, None), "{d:?}");
    let screen = Rect::from_min_size(Pos2::ZERO, SIZE);
    let visible = (0..a.len())
        .filter(|&k| screen.contains(h.view.screen_pos(a.lon[k], a.lat[k]).unwrap()))
        .count();
    assert!(visible > 0);
    assert_eq!(d.in_view, visible);
    assert_eq!(d.represented, visible);

    // One by one when the budget allows.
    h.view.set_point_budget(1_000_000);
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    let d = h.view.stats().dots;
    assert_eq!(d.mode, DotMode::Points);
    assert_eq!(d.quads, 5_000);

    // The binner itself.
    let mut b = Binner::default();
    b.reset(10, 5);
    let mut counted = 0;
    for k in 0..1000i32 {
        counted += b.add(k % 13 - 1, k % 7 - 1, (k % 3) as u32) as usize;
    }
    assert_eq!(b.total(), counted);
    assert_eq!(b.bins().map(|x| x.2 as usize).sum::<usize>(), counted);
    b.reset(10, 5);
    assert_eq!(b.total(), 0);
}

/// Half the size of the first account dot drawn in the last frame.
fn dot_radius_drawn(out: &FullOutput) -> Option<f32> {
    out.shapes.iter().find_map(|cs| match &cs.shape {
        Shape::Mesh(m)
            if m.vertices.len() >= 4
                && m.vertices[0].uv == pos2(0.0, 0.0)
                && m.vertices[2].uv == pos2(1.0, 1.0) =>
        {
            Some((m.vertices[1].pos.x - m.vertices[0].pos.x) / 2.0)
        }
        _ => None,
    })
}

#[test]
fn dots_are_smaller_at_country_zoom() {
    let ws = small_plan();
    let a = &ws.project().accounts;
    let mut h = Harness::new();
    let style = MapStyle::default();
    let mut radius_at = |zoom: f64| {
        h.view.set_view(a.lon[99], a.lat[99], zoom);
        let (_, out) = h.frame_output(&ws, &Selection::default(), &style, vec![]);
        assert_eq!(h.view.stats().dots.mode, DotMode::Points);
        dot_radius_drawn(&out).expect("dots drawn")
    };
    let (country, region, city) = (radius_at(4.0), radius_at(6.0), radius_at(11.0));
    assert!((city - DOT_RADIUS).abs() < 1e-3, "{city}");
    assert!(
        country < region && region < city,
        "{country} {region} {city}"
    );
    assert!(
        (MIN_DOT_RADIUS..=0.65 * DOT_RADIUS).contains(&country),
        "{country}"
    );
    assert!((dot_scale(1.0) - dot_scale(4.0)).abs() < 1e-6 && dot_scale(8.0) == 1.0);
}

#[test]
fn majority_colour_wins_a_bin() {
    let mut b = Binner::default();
    b.reset(2, 1);
    for key in [7, 9, 7, 7, 9, 7, 5] {
        b.add(0, 0, key);
    }
    b.add(1, 0, 3);
    let bins: Vec<_> = b.bins().collect();
    assert_eq!(bins, vec![(0, 0, 7, 7), (1, 0, 1, 3)]);
}

#[test]
fn click_on_a_territory_selects_it_and_empty_space_clears() {
    let ws = small_plan();
    let style = MapStyle {
        accounts: false,
        ..MapStyle::default()
    };
    let mut h = Harness::new();
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    for t in ws.project().territories.iter().take(5) {
        let ip = t.geometry.interior_point().unwrap();
        let p = h.view.screen_pos(ip.x(), ip.y()).unwrap();
        let ev = h.click(&ws, &style, p);
        assert_eq!(
            ev,
            vec![MapEvent::SelectTerritory(Some(t.id))],
            "{}",
            t.name
        );
    }
    // Far out at sea.
    h.view.set_view(-150.0, 0.0, 4.0);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    let ev = h.click(&ws, &style, pos2(600.0, 400.0));
    assert_eq!(ev, vec![MapEvent::SelectTerritory(None)]);
}

#[test]
fn click_on_an_account_selects_it() {
    let ws = small_plan();
    let style = MapStyle::default();
    let mut h = Harness::new();
    let a = &ws.project().accounts;
    let i = 1234;
    h.view.set_view(a.lon[i], a.lat[i], 14.0);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    let p = h.view.screen_pos(a.lon[i], a.lat[i]).unwrap();
    assert!((p - pos2(600.0, 400.0)).length() < 1.0);
    let ev = h.click(&ws, &style, p);
    assert_eq!(ev.len(), 1);
    let MapEvent::SelectAccount(j) = ev[0] else {
        panic!("{ev:?}");
    };
    let q = h.view.screen_pos(a.lon[j], a.lat[j]).unwrap();
    assert!((q - p).length() < 4.0, "picked account {j} at {q:?}");
}

fn contains_box(outer: [f64; 4], inner: [f64; 4]) -> bool {
    outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
}

#[test]
fn zoom_to_territory_frames_it() {
    let ws = small_plan();
    let style = MapStyle::default();
    let mut h = Harness::new();
    h.frame(&ws, &Selection::default(), &style, vec![]);
    for t in ws.project().territories.iter().step_by(4) {
        h.view.zoom_to_territory(&ws, t.id);
        let sel = Selection {
            territory: Some(t.id),
            account: None,
        };
        h.frame(&ws, &sel, &style, vec![]);
        let b = t.geometry.bounding_rect().unwrap();
        let want = [b.min().x, b.min().y, b.max().x, b.max().y];
        let vis = h.view.visible_bounds().unwrap();
        assert!(
            contains_box(vis, want),
            "{}: {vis:?} does not contain {want:?}",
            t.name
        );
        // …and it is not a speck: it fills much of the view one way.
        let frac =
            ((want[2] - want[0]) / (vis[2] - vis[0])).max((want[3] - want[1]) / (vis[3] - vis[1]));
        assert!(frac > 0.4, "{}: only {frac:.2} of the view", t.name);
        assert!(
            h.view.stats().labels >= 1,
            "the selected territory is labelled"
        );
    }
}

#[test]
fn zoom_to_plan_shows_everything() {
    let ws = small_plan();
    let mut h = Harness::new();
    h.view.set_view(10.0, 50.0, 12.0);
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &MapStyle::default(), vec![]);
    let a = &ws.project().accounts;
    let vis = h.view.visible_bounds().unwrap();
    for i in 0..a.len() {
        assert!(contains_box(vis, [a.lon[i], a.lat[i], a.lon[i], a.lat[i]]));
    }
    for t in &ws.project().territories {
        let b = t.geometry.bounding_rect().unwrap();
        assert!(contains_box(
            vis,
            [b.min().x, b.min().y, b.max().x, b.max().y]
        ));
    }
}

/// `(lon, lat)` of the located accounts of `p`.
fn located(p: &Project) -> Vec<(f64, f64)> {
    let a = &p.accounts;
    (0..a.len())
        .filter(|&i| a.is_located(i))
        .map(|i| (a.lon[i], a.lat[i]))
        .collect()
}

#[test]
fn zoom_to_plan_frames_the_accounts_not_the_strays() {
    // A plan whose accounts cluster in the lower 48, and one in Honolulu.
    let mut p = synthetic_plan(5_000, 12, 3);
    let cluster = located(&p);
    let b = cluster
        .iter()
        .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, &(x, y)| {
            [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
        });
    let stray = 17;
    (p.accounts.lon[stray], p.accounts.lat[stray]) = (-157.86, 21.31);
    let ws = Workspace::new(p);
    let mut h = Harness::new();
    h.view.set_view(10.0, 50.0, 12.0);
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &MapStyle::default(), vec![]);
    let vis = h.view.visible_bounds().unwrap();
    // The cluster fills the view one way or the other (~90%, padded) …
    let frac = ((b[2] - b[0]) / (vis[2] - vis[0])).max((b[3] - b[1]) / (vis[3] - vis[1]));
    assert!(frac > 0.75, "the cluster fills only {frac:.2} of {vis:?}");
    // … nearly all of it is in view, and the stray is not.
    let a = &ws.project().accounts;
    let inside = (0..a.len())
        .filter(|&i| a.is_located(i) && contains_box(vis, [a.lon[i], a.lat[i], a.lon[i], a.lat[i]]))
        .count();
    assert!(
        inside as f64 >= 0.98 * cluster.len() as f64,
        "{inside} in view"
    );
    assert!(
        !contains_box(vis, [-157.86, 21.31, -157.86, 21.31]),
        "{vis:?}"
    );

    // The sample: regions reach to Alaska and Hawaii, accounts do not; the
    // view is the lower 48.
    let ws = sample_plan();
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &MapStyle::default(), vec![]);
    let vis = h.view.visible_bounds().unwrap();
    assert!(vis[0] > -135.0 && vis[3] < 55.0, "{vis:?}");
    assert!(
        vis[0] < -117.0 && vis[2] > -75.0 && vis[1] < 30.0 && vis[3] > 47.0,
        "{vis:?}"
    );

    // No located account: the territories are framed.
    let mut p = synthetic_plan(200, 12, 3);
    p.accounts.lon.iter_mut().for_each(|x| *x = f64::NAN);
    let ws = Workspace::new(p);
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &MapStyle::default(), vec![]);
    let vis = h.view.visible_bounds().unwrap();
    for t in &ws.project().territories {
        let b = t.geometry.bounding_rect().unwrap();
        let want = [b.min().x, b.min().y, b.max().x, b.max().y];
        assert!(
            contains_box(vis, want),
            "{}: {want:?} not in {vis:?}",
            t.name
        );
    }
}

#[test]
fn keys_zoom_and_empty_plans_draw() {
    let ws = Workspace::new(Project::new("empty"));
    let mut h = Harness::new();
    let style = MapStyle::default();
    h.frame(&ws, &Selection::default(), &style, vec![]);
    let z = h.view.zoom();
    let key = |k| Event::Key {
        key: k,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::default(),
    };
    h.frame(
        &ws,
        &Selection::default(),
        &style,
        vec![key(egui::Key::Plus)],
    );
    assert_eq!(h.view.zoom(), z + 1.0);
    h.frame(
        &ws,
        &Selection::default(),
        &style,
        vec![key(egui::Key::Minus)],
    );
    assert_eq!(h.view.zoom(), z);
    h.view.zoom_to_plan(&ws);
    h.view.zoom_to_territory(&ws, TerritoryId(42));
    h.frame(&ws, &Selection::default(), &style, vec![]);
}

#[test]
fn edits_invalidate_the_caches() {
    let mut ws = small_plan();
    let mut h = Harness::new();
    let style = MapStyle::default();
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    h.frame(&ws, &Selection::default(), &style, vec![]);
    assert!(
        h.view.stats().dots.reused,
        "an unchanged view reuses its mesh"
    );
    let t = ws.project().territories[0].id;
    ws.apply(turfmap::core::edit::Edit::SetGeometry {
        id: t,
        geometry: MultiPolygon(vec![]),
    })
    .unwrap();
    h.frame(&ws, &Selection::default(), &style, vec![]);
    assert!(!h.view.stats().dots.reused, "the edit changed colours");
}

/// `shape` scaled by `k` around the middle of its bounding box.
fn scaled(shape: &MultiPolygon<f64>, k: f64) -> MultiPolygon<f64> {
    use geo::MapCoords;
    let c = shape.bounding_rect().expect("a shape").center();
    shape.map_coords(|p| Coord {
        x: c.x + (p.x - c.x) * k,
        y: c.y + (p.y - c.y) * k,
    })
}

/// The map's dots and shapes agree with a map built from scratch.
fn assert_like_fresh(view: &MapView, ws: &Workspace, when: &str) {
    let ctx = Context::default();
    let mut fresh = MapView::new(&ctx);
    fresh.zoom_to_plan(ws);
    for i in 0..ws.project().accounts.len() {
        assert_eq!(
            view.account_color(i),
            fresh.account_color(i),
            "account {i} {when}"
        );
        assert_eq!(
            view.account_ringed(i),
            fresh.account_ringed(i),
            "account {i} {when}"
        );
    }
    assert_eq!(
        view.territory_shape_hashes(),
        fresh.territory_shape_hashes(),
        "{when}"
    );
}

#[test]
fn edits_update_the_map_like_a_fresh_one() {
    use turfmap::core::edit::Edit;
    let mut ws = Workspace::new(synthetic_plan(20_000, 40, 3));
    let mut h = Harness::new();
    let (sel, style) = (Selection::default(), MapStyle::default());
    h.view.zoom_to_plan(&ws);
    // Few dots allowed: the whole plan is drawn from a cached world raster,
    // which edits patch texel by texel.
    h.view.set_point_budget(1_000);
    h.frame(&ws, &sel, &style, vec![]);
    h.frame(&ws, &sel, &style, vec![]);
    assert!(h.view.stats().dots.level.is_some(), "{:?}", h.view.stats());
    let rebuilds = h.view.account_full_rebuilds();

    // Shrunk territories leave their rim unassigned.
    let ids: Vec<TerritoryId> = ws.project().territories.iter().map(|t| t.id).collect();
    for &id in &ids[..4] {
        let geometry = scaled(&ws.project().territory(id).unwrap().geometry, 0.7);
        ws.apply(Edit::SetGeometry { id, geometry }).unwrap();
        h.frame(&ws, &sel, &style, vec![]);
        assert!(!h.view.stats().dots.reused);
        assert_like_fresh(&h.view, &ws, &format!("after shrinking {id:?}"));
    }
    // Pinned accounts get their ring and their new territory's colour.
    let target = ids[5];
    let accounts: Vec<u32> = (0..ws.project().accounts.len() as u32)
        .filter(|&i| ws.engine().territory_of(i as usize) != Some(target))
        .take(300)
        .collect();
    let drop =
        turfmap::core::shape_edit::drop_accounts(ws.project(), ws.engine(), &accounts, target)
            .unwrap();
    ws.apply(drop).unwrap();
    h.frame(&ws, &sel, &style, vec![]);
    assert_eq!(h.view.account_ringed(accounts[0] as usize), Some(true));
    assert_like_fresh(&h.view, &ws, "after pinning");
    // Undo all of it, step by step.
    while ws.undo().unwrap() {
        h.frame(&ws, &sel, &style, vec![]);
        assert_like_fresh(&h.view, &ws, "after an undo");
    }
    // A new territory on top of another one takes its middle: a new
    // colour, but only for the accounts that moved.
    let id = TerritoryId(ws.project().next_territory_id);
    let mut t = turfmap::core::model::Territory::new(
        id,
        "On top",
        scaled(&ws.project().territory(ids[10]).unwrap().geometry, 0.5),
    );
    t.priority = 1;
    ws.apply(Edit::AddTerritory {
        territory: t,
        position: usize::MAX,
    })
    .unwrap();
    h.frame(&ws, &sel, &style, vec![]);
    assert_like_fresh(&h.view, &ws, "after adding a territory");
    assert_eq!(
        h.view.account_full_rebuilds(),
        rebuilds,
        "edits recolour only the accounts they move"
    );
    // A new territory colour repaints all its accounts: rebuilt, still right.
    let recolor = turfmap::core::shape_edit::recolor(ws.project(), ids[0], [1, 2, 3]).unwrap();
    ws.apply(recolor).unwrap();
    h.frame(&ws, &sel, &style, vec![]);
    assert_like_fresh(&h.view, &ws, "after a recolour");
    assert_eq!(h.view.account_full_rebuilds(), rebuilds + 1);
}

#[test]
fn online_tiles_fail_softly_without_network() {
    let ctx = Context::default();
    let mut view = MapView::new(&ctx);
    let bad = TileSettings {
        url_template: "tiles.example/{z}/{x}/{y}.png".into(),
        ..TileSettings::default()
    };
    assert!(view.set_online_tiles(Some(bad)).is_err());
    assert!(view.online_tiles().is_none());
    // A loopback template: nothing is fetched because no frame is drawn.
    let local = TileSettings {
        url_template: "http://127.0.0.1:9/{z}/{x}/{y}.png".into(),
        ..TileSettings::default()
    };
    // The downloader builds (TLS provider installed), and nothing is
    // fetched because no frame is drawn.
    assert_eq!(view.set_online_tiles(Some(local)), Ok(()));
    assert!(view.online_tiles().is_some());
    assert!(view.set_online_tiles(None).is_ok());
    assert!(view.online_tiles().is_none());
}

/// Renders the sample plan's map to PNGs (whole plan, then zoomed into a
/// few places) for a person to look at: `cargo test --test map -- --ignored
/// render_sample_map` writes them to `$TURFMAP_SHOTS` (default: the temp
/// folder).
#[test]
#[ignore = "writes PNGs for eyeballing; needs a wgpu adapter"]
fn render_sample_map() {
    struct Shot {
        ws: Workspace,
        view: Option<MapView>,
        fit: bool,
    }
    let plan = turfmap::core::project_file::load(&turfmap::core::assets::sample_plan()).unwrap();
    assert!(MapView::wait_for_basemap(Duration::from_secs(120)));
    let dir =
        std::env::var_os("TURFMAP_SHOTS").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let mut h = egui_kittest::Harness::builder()
        .with_size(SIZE)
        .wgpu()
        .build_ui_state(
            |ui, s: &mut Shot| {
                let view = s.view.get_or_insert_with(|| MapView::new(ui.ctx()));
                if std::mem::take(&mut s.fit) {
                    view.zoom_to_plan(&s.ws);
                }
                view.show(ui, &s.ws, &Selection::default(), &MapStyle::default());
            },
            Shot {
                ws: Workspace::new(plan),
                view: None,
                fit: true,
            },
        );
    // Name, and `(lon, lat, zoom)` (`None`: the whole plan).
    type Place = (&'static str, Option<(f64, f64, f64)>);
    let places: [Place; 5] = [
        ("plan", None),
        ("texas", Some((-99.0, 29.5, 6.0))),
        ("florida", Some((-82.5, 27.5, 6.0))),
        ("new-england", Some((-70.5, 43.0, 6.0))),
        ("alaska-panhandle", Some((-133.0, 55.5, 5.0))),
    ];
    for (name, at) in places {
        if let (Some((lon, lat, z)), Some(v)) = (at, h.state_mut().view.as_mut()) {
            v.set_view(lon, lat, z);
        }
        h.run_steps(4);
        let img = h.render().expect("render");
        let path = dir.join(format!("turfmap-map-{name}.png"));
        img.save(&path).expect("write png");
        println!("wrote {}", path.display());
    }
}

/// `bench-frame` on a small plan: every case (whole plan, busiest
/// territory, its region; still and moving; the frame after an edit) is
/// timed and draws the plan.
#[test]
fn frame_benchmark_times_every_case() {
    let mut ws = Workspace::new(synthetic_plan(3_000, 12, 1));
    let results = turfmap::app::frame_bench::run_plan(&mut ws).expect("the frames ran");
    assert_eq!(results.len(), 8);
    for r in &results {
        assert!(r.median_ms > 0.0 && r.p95_ms >= r.median_ms, "{}", r.name);
        assert!(r.stats.territories > 0, "{}: no territory drawn", r.name);
    }
}

/// Every level of detail of a plan's territories keeps each ring (with at
/// least 3 points) and every vertex of the full shape within
/// `LOD_TOLERANCE_PX` of it at the zoom it is drawn at, and the coarse
/// levels do save vertices.
#[test]
fn levels_of_detail_stay_within_tolerance() {
    use turfmap::app::map::territories::LOD_TOLERANCE_PX;
    let ws = Workspace::new(synthetic_plan(1_000, 300, 5));
    let mut layer = TerritoryLayer::default();
    layer.refresh(&ws, PlanKey::of(&ws));
    let (mut full_verts, mut coarse_verts) = (0, 0);
    for t in &ws.project().territories {
        let s = layer.shape(t.id).expect("a shape per territory");
        let full = &s.geom;
        full_verts += full.verts.len();
        coarse_verts += s
            .lods
            .first()
            .map_or(full.verts.len(), |(_, g)| g.verts.len());
        for (zoom, g) in &s.lods {
            let px = world_scale(*zoom);
            assert_eq!(g.paths.len(), full.paths.len(), "{} at zoom {zoom}", t.name);
            for (p, q) in g.paths.iter().zip(&full.paths) {
                assert!(p.end >= p.start + 3, "{} at zoom {zoom}: {p:?}", t.name);
                // Both rings on screen at `zoom`, in points.
                let on_screen = |g: &Geom, k: u32| {
                    let w = world_vert(g, k);
                    pos2((w[0] * px) as f32, (w[1] * px) as f32)
                };
                let simple: Vec<Pos2> = (p.start..p.end).map(|k| on_screen(g, k)).collect();
                for k in q.start..q.end {
                    let v = on_screen(full, k);
                    let d = (0..simple.len())
                        .map(|i| dist_to_segment(v, simple[i], simple[(i + 1) % simple.len()]))
                        .fold(f32::MAX, f32::min);
                    assert!(
                        d <= LOD_TOLERANCE_PX as f32 + 0.01,
                        "{} at zoom {zoom}: a vertex is {d} points off its simplified ring",
                        t.name
                    );
                }
            }
        }
    }
    assert!(
        coarse_verts * 2 < full_verts,
        "{coarse_verts} of {full_verts} vertices at the coarsest level"
    );
}

/// Share of `pts` lying on (within 1.5 points of) a stroke in the meshes
/// of `out`: an untextured triangle from an opaque core to a transparent
/// feather edge (fills are one translucent colour, land one opaque one).
fn outlined_share(ctx: &Context, out: &FullOutput, pts: &[Pos2]) -> f64 {
    let area = Rect::from_points(pts).expand(5.0);
    let mut tris: Vec<[Pos2; 3]> = Vec::new();
    for cp in ctx.tessellate(out.shapes.clone(), out.pixels_per_point) {
        let egui::epaint::Primitive::Mesh(m) = &cp.primitive else {
            continue;
        };
        for t in m.indices.chunks_exact(3) {
            let v = [t[0], t[1], t[2]].map(|i| m.vertices[i as usize]);
            let stroke = v.iter().all(|v| v.uv == egui::epaint::WHITE_UV)
                && v.iter().any(|v| v.color.a() == 255)
                && v.iter().any(|v| v.color.a() == 0);
            if stroke && v.iter().any(|v| area.contains(v.pos)) {
                tris.push(v.map(|v| v.pos));
            }
        }
    }
    let near = |p: &Pos2| {
        tris.iter().any(|t| {
            (0..3)
                .map(|k| dist_to_segment(*p, t[k], t[(k + 1) % 3]))
                .fold(f32::MAX, f32::min)
                <= 1.5
        })
    };
    pts.iter().filter(|p| near(p)).count() as f64 / pts.len().max(1) as f64
}

/// The territory images of a map set to `(lon, lat, zoom)` from scratch:
/// `(size, fills, outlines)`.
fn fresh_images(ws: &Workspace, style: &MapStyle, at: (f64, f64, f64)) -> ImagePixels {
    let mut f = Harness::new();
    f.view.set_view(at.0, at.1, at.2);
    f.frame(ws, &Selection::default(), style, vec![]);
    f.frame(ws, &Selection::default(), style, vec![]);
    images_of(&f)
}

type ImagePixels = ([usize; 2], Vec<Color32>, Vec<Color32>);

fn images_of(h: &Harness) -> ImagePixels {
    let r = h.view.territory_images().expect("drawn from images");
    let (size, fill, line) = r.pixels();
    (size, fill.to_vec(), line.to_vec())
}

/// Share of `pts` (lon/lat) with outline ink within a pixel in the
/// outline image.
fn inked_share(h: &Harness, pts: &[(f64, f64)]) -> f64 {
    let r = h.view.territory_images().expect("drawn from images");
    let (size, _, line) = r.pixels();
    let inked = |&(lon, lat): &(f64, f64)| {
        let Some([x, y]) = r.pixel_of(mercator(lon, lat)) else {
            return false;
        };
        (y.saturating_sub(1)..(y + 2).min(size[1])).any(|y| {
            (x.saturating_sub(1)..(x + 2).min(size[0])).any(|x| line[y * size[0] + x].a() > 60)
        })
    };
    pts.iter().filter(|p| inked(p)).count() as f64 / pts.len().max(1) as f64
}

/// The fill image's colour under the middle of territory `id`'s box.
fn fill_at_middle(h: &Harness, ws: &Workspace, id: TerritoryId) -> Color32 {
    let c = ws
        .project()
        .territory(id)
        .unwrap()
        .geometry
        .bounding_rect()
        .unwrap()
        .center();
    let r = h.view.territory_images().expect("drawn from images");
    let [x, y] = r.pixel_of(mercator(c.x, c.y)).expect("in the image");
    let (size, fill, _) = r.pixels();
    fill[y * size[0] + x]
}

/// With many territories in view the layer is drawn from two cached
/// images: an unchanged frame and a pan redraw nothing; an edit redraws
/// only the territories around the one it touched, and the patched images
/// are exactly those of a map drawn from scratch, showing the new
/// boundary; a recolour, a colouring by a value, a selection and the fill
/// opacity all show.
#[test]
fn territory_images_follow_pans_edits_and_styles() {
    use turfmap::app::map::territories::CACHE_MIN_TERRITORIES;
    use turfmap::core::edit::Edit;
    let mut ws = Workspace::new(synthetic_plan(2_000, 1_000, 3));
    let mut h = Harness::new();
    let (sel, mut style) = (Selection::default(), MapStyle::default());
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &sel, &style, vec![]);
    h.frame(&ws, &sel, &style, vec![]);
    let s = h.view.stats();
    assert!(s.territories >= CACHE_MIN_TERRITORIES, "{s:?}");
    assert!(s.territory_images, "{s:?}");
    assert_eq!(s.images_redrawn, 0, "an unchanged frame redraws nothing");
    let (lon, lat) = h.view.center();
    let at = (lon, lat, h.view.zoom());
    assert_eq!(images_of(&h), fresh_images(&ws, &style, at));

    // Territory 500 grown by half: its new ring crosses its neighbours.
    let id = ws.project().territories[500].id;
    let grown = scaled(&ws.project().territory(id).unwrap().geometry, 1.5);
    let new_ring: Vec<(f64, f64)> = grown.0[0].exterior().0.iter().map(|c| (c.x, c.y)).collect();
    assert!(inked_share(&h, &new_ring) < 0.5, "already drawn there?");
    let full = h.view.territory_images().unwrap().full_redraws;
    ws.apply(Edit::SetGeometry {
        id,
        geometry: grown.clone(),
    })
    .unwrap();
    h.frame(&ws, &sel, &style, vec![]);
    let redrawn = h.view.stats().images_redrawn;
    assert!(
        (1..50).contains(&redrawn),
        "{redrawn} territories redrawn for one edit"
    );
    assert_eq!(
        h.view.territory_images().unwrap().full_redraws,
        full,
        "patched, not redrawn"
    );
    assert!(
        inked_share(&h, &new_ring) > 0.9,
        "the new boundary is not drawn"
    );
    assert_eq!(
        images_of(&h),
        fresh_images(&ws, &style, at),
        "patched ≠ fresh"
    );

    // A new colour shows at once, like a fresh map.
    let other = ws.project().territories[300].id;
    ws.apply(turfmap::core::shape_edit::recolor(ws.project(), other, [1, 2, 3]).unwrap())
        .unwrap();
    h.frame(&ws, &sel, &style, vec![]);
    assert_eq!(fill_at_middle(&h, &ws, other), Color32::from_rgb(1, 2, 3));
    assert_eq!(
        images_of(&h),
        fresh_images(&ws, &style, at),
        "recoloured ≠ fresh"
    );

    // Opacity is the fill image's tint: nothing redrawn.
    style.fill_opacity = 0.6;
    let (_, out) = h.frame_output(&ws, &sel, &style, vec![]);
    assert_eq!(h.view.stats().images_redrawn, 0);
    let tinted = out.shapes.iter().any(|cs| {
        matches!(&cs.shape, Shape::Mesh(m) if m.texture_id != egui::TextureId::default()
            && m.vertices.len() == 4
            && m.vertices[0].color == Color32::from_white_alpha(153))
    });
    assert!(tinted, "the fills are not drawn at the new opacity");

    // A selection is drawn over the images: its outline as a stroke.
    let ring = |id: TerritoryId, h: &Harness| -> Vec<Pos2> {
        ws.project().territory(id).unwrap().geometry.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| h.view.screen_pos(c.x, c.y).unwrap())
            .collect()
    };
    let picked = Selection {
        territory: Some(other),
        ..Selection::default()
    };
    let (_, out) = h.frame_output(&ws, &sel, &style, vec![]);
    assert!(outlined_share(&h.ctx, &out, &ring(other, &h)) < 0.5);
    let (_, out) = h.frame_output(&ws, &picked, &style, vec![]);
    assert!(
        outlined_share(&h.ctx, &out, &ring(other, &h)) > 0.9,
        "selection not shown"
    );
    assert_eq!(
        h.view.stats().images_redrawn,
        0,
        "a selection redraws nothing"
    );

    // Coloured by a value: every fill takes its colour from the scale.
    style.color_by = turfmap::core::colorby::ColorBy::Measure("count".into());
    h.frame(&ws, &sel, &style, vec![]);
    assert!(h.view.stats().images_redrawn > 0);
    let fills = h.view.drawn_fills().to_vec();
    let &(t, [r, g, b]) = fills.iter().find(|(t, _)| *t == other).unwrap();
    assert_eq!(fill_at_middle(&h, &ws, t), Color32::from_rgb(r, g, b));
    assert_eq!(
        images_of(&h),
        fresh_images(&ws, &style, at),
        "choropleth ≠ fresh"
    );

    // A pan moves the images without redrawing them.
    h.view.set_view(lon + 0.3, lat, at.2);
    h.frame(&ws, &sel, &style, vec![]);
    let s = h.view.stats();
    assert!(s.territory_images && s.images_redrawn == 0, "{s:?}");
}

/// While the zoom changes frame after frame the images are drawn scaled;
/// once it rests they are redrawn at its level of detail, like a map
/// opened at that zoom; a big jump redraws at once.
#[test]
fn a_zoom_step_redraws_the_images_once_it_rests() {
    let ws = Workspace::new(synthetic_plan(2_000, 1_000, 3));
    let mut h = Harness::new();
    let (sel, style) = (Selection::default(), MapStyle::default());
    h.view.zoom_to_plan(&ws);
    h.frame(&ws, &sel, &style, vec![]);
    h.frame(&ws, &sel, &style, vec![]);
    let z0 = h.view.zoom();
    let (lon, lat) = h.view.center();
    for k in 1..=3 {
        h.view.set_view(lon, lat, z0 + 0.1 * k as f64);
        h.frame(&ws, &sel, &style, vec![]);
        let s = h.view.stats();
        assert!(s.territory_images && s.images_redrawn == 0, "{s:?}");
        assert_eq!(
            h.view.territory_images().unwrap().zoom(),
            z0,
            "drawn scaled"
        );
    }
    let z = h.view.zoom();
    h.frame(&ws, &sel, &style, vec![]);
    assert!(h.view.stats().images_redrawn > 0, "not redrawn at rest");
    assert_eq!(h.view.territory_images().unwrap().zoom(), z);
    assert_eq!(images_of(&h), fresh_images(&ws, &style, (lon, lat, z)));
    // Far from the images' zoom: redrawn in the same frame.
    h.view.set_view(lon, lat, z0 - 0.7);
    h.frame(&ws, &sel, &style, vec![]);
    if h.view.stats().territory_images {
        assert_eq!(h.view.territory_images().unwrap().zoom(), z0 - 0.7);
    }
}
