//! Synthetic plans of any size, for benchmarks and property tests.
//!
//! [`synthetic_plan`] tiles the rectangle [`SYNTH_BOUNDS`] with territories
//! that have no gaps and no overlaps: a jittered lattice whose every shared
//! edge is one wavy polyline, generated once and used (forwards by one
//! neighbour, backwards by the other) with bit-identical vertices, so a
//! half-open point-in-polygon rule puts a boundary point in exactly one
//! territory. About 2% of the territories are islands cut out as a hole of
//! their host cell. Accounts are clustered like real customers.
//!
//! Why the shapes stay simple (no self-intersections), with `m` the smaller
//! lattice spacing: nodes move at most `JITTER·m` per axis, so two edges at a
//! node meet at more than ~68°; an edge is displaced perpendicular to its
//! chord by at most `AMPLITUDE·m·4t(1−t)`, a graph over the chord that stays
//! inside a cone of half-angle < 30° at either end, so edges at a node cannot
//! touch; and opposite sides of a cell stay ≥ ~0.6·m apart.

use std::f64::consts::TAU;
use std::fmt::Write as _;
use std::ops::RangeInclusive;

use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::core::model::{Accounts, LocationSource, Project, TerritoryId};

/// The tiled region, `[min_lon, min_lat, max_lon, max_lat]` (about the lower
/// 48 states).
pub const SYNTH_BOUNDS: [f64; 4] = [-125.0, 25.0, -67.0, 49.0];

/// Measure columns of a synthetic plan.
pub const SYNTH_MEASURES: [&str; 3] = ["revenue", "potential", "workload"];

/// Attribute columns of a synthetic plan.
pub const SYNTH_ATTRIBUTES: [&str; 2] = ["industry", "segment"];

/// Node jitter per axis, as a fraction of the smaller lattice spacing.
const JITTER: f64 = 0.08;
/// Peak edge displacement, as a fraction of the smaller lattice spacing.
const AMPLITUDE: f64 = 0.12;
/// Segments per lattice edge: 4 sides give 100–200 vertices per cell, which
/// leaves room for an island's 100 as a hole within the 300 budget.
const SEGMENTS: RangeInclusive<usize> = 25..=50;
/// Vertices of an island ring.
const ISLAND_VERTICES: usize = 100;
/// Island radius as a fraction of the smaller lattice spacing.
const ISLAND_RADIUS: f64 = 0.1;
/// Share of territories that are islands.
const ISLAND_SHARE: f64 = 0.02;
/// Wanted columns/rows ratio (cells roughly square in km at ~37°N).
const LATTICE_ASPECT: f64 = 2.0;
/// Frequencies and weights of the edge noise.
const WAVES: [(f64, f64); 5] = [
    (1.0, 1.0),
    (2.0, 0.55),
    (3.0, 0.35),
    (5.0, 0.2),
    (8.0, 0.12),
];
/// Gaussian clusters of accounts, and the share of uniform scatter.
const CLUSTERS: usize = 200;
const UNIFORM_SHARE: f64 = 0.2;

const INDUSTRIES: [(&str, f64); 8] = [
    ("Technology", 18.0),
    ("Manufacturing", 16.0),
    ("Healthcare", 15.0),
    ("Retail", 13.0),
    ("Financial Services", 12.0),
    ("Professional Services", 11.0),
    ("Construction", 8.0),
    ("Logistics", 7.0),
];
const SEGMENTS_BY_SIZE: [&str; 3] = ["SMB", "Mid-Market", "Enterprise"];

/// A plan with `n_accounts` clustered accounts and exactly `n_territories`
/// territories tiling [`SYNTH_BOUNDS`], deterministic for `seed`.
///
/// Accounts depend only on `n_accounts` and `seed` (not on the territory
/// count), so benchmarks can vary one and keep the other.
pub fn synthetic_plan(n_accounts: usize, n_territories: usize, seed: u64) -> Project {
    let mut project = Project::new(format!(
        "Synthetic {n_accounts} accounts / {n_territories} territories"
    ));
    // Independent streams: the accounts do not shift when the tiling changes.
    let mut tile_rng = ChaCha8Rng::seed_from_u64(seed);
    tile_rng.set_stream(1);
    let mut account_rng = ChaCha8Rng::seed_from_u64(seed);
    account_rng.set_stream(2);

    let width = n_territories.to_string().len().max(4);
    for (k, geometry) in tiles(n_territories, &mut tile_rng).into_iter().enumerate() {
        project.add_territory(format!("Territory {:0width$}", k + 1), geometry);
    }
    project.accounts = accounts(n_accounts, &mut account_rng);
    project
}

/// Territory `territory`'s geometry with one exterior vertex moved a little
/// inward or outward: one step of a "vertex drag" for incremental benchmarks.
/// Returns the geometry unchanged if no small move keeps it valid, and an
/// empty shape for an unknown territory.
pub fn synthetic_edit_polygon(
    project: &Project,
    territory: TerritoryId,
    seed: u64,
) -> MultiPolygon<f64> {
    let Some(t) = project.territory(territory) else {
        return MultiPolygon(Vec::new());
    };
    let shape = t.geometry.clone();
    let Some(pi) = (0..shape.0.len()).max_by_key(|&k| shape.0[k].exterior().0.len()) else {
        return shape;
    };
    let ring = &shape.0[pi].exterior().0;
    if ring.len() < 5 {
        return shape;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Not the first/last vertex, which is stored twice in a closed ring.
    let k = rng.random_range(1..ring.len() - 1);
    let (prev, cur, next) = (ring[k - 1], ring[k], ring[k + 1]);
    let tangent = next - prev;
    let tlen = tangent.x.hypot(tangent.y);
    let step = dist(prev, cur).min(dist(cur, next)) * 0.25;
    if tlen == 0.0 || step == 0.0 || !step.is_finite() {
        return shape;
    }
    let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
    let normal = Coord {
        x: tangent.y / tlen * sign,
        y: -tangent.x / tlen * sign,
    };
    // Halve the move until the result is valid (it nearly always is at once).
    let mut scale = step;
    for _ in 0..6 {
        let mut edited = shape.clone();
        edited.0[pi].exterior_mut(|r| r.0[k] = cur + normal * scale);
        if edited.is_valid() {
            return edited;
        }
        scale *= 0.5;
    }
    shape
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// `(rows, cols, islands)` with `rows·cols + islands == n`, islands near 2%
/// of `n` and the lattice close to [`LATTICE_ASPECT`].
fn lattice_shape(n: usize) -> (usize, usize, usize) {
    let target = (n as f64 * ISLAND_SHARE).round() as usize;
    let mut best = (f64::INFINITY, 1, n, 0);
    for islands in 0..=(2 * target + 2) {
        // Each island needs its own host cell.
        if islands * 2 > n {
            break;
        }
        let cells = n - islands;
        let mut rows = 1;
        while rows * rows <= cells * 4 {
            if cells.is_multiple_of(rows) {
                let cols = cells / rows;
                let aspect = (cols as f64 / rows as f64 / LATTICE_ASPECT).ln().abs();
                let off = islands.abs_diff(target) as f64 / (target as f64 + 1.0);
                let score = aspect + 0.5 * off;
                if score < best.0 {
                    best = (score, rows, cols, islands);
                }
            }
            rows += 1;
        }
    }
    (best.1, best.2, best.3)
}

/// Smooth noise in `[-1, 1]`; periodic in `t` with period 1.
fn wave(phases: &[f64; WAVES.len()], t: f64) -> f64 {
    let total: f64 = WAVES.iter().map(|w| w.1).sum();
    WAVES
        .iter()
        .zip(phases)
        .map(|((f, w), p)| w * (TAU * f * t + p).sin())
        .sum::<f64>()
        / total
}

/// A polyline from `a` to `b` displaced perpendicular to its chord by at most
/// `amplitude`, zero at both ends. `a` and `b` are kept bit-exact.
fn wavy_edge(a: Coord<f64>, b: Coord<f64>, amplitude: f64, rng: &mut impl Rng) -> Vec<Coord<f64>> {
    let segs = rng.random_range(SEGMENTS);
    let phases: [f64; WAVES.len()] = std::array::from_fn(|_| rng.random_range(0.0..TAU));
    let amp = amplitude * rng.random_range(0.5..1.0);
    let v = b - a;
    let len = v.x.hypot(v.y);
    let normal = if len > 0.0 {
        Coord {
            x: -v.y / len,
            y: v.x / len,
        }
    } else {
        Coord { x: 0.0, y: 0.0 }
    };
    let mut pts = Vec::with_capacity(segs + 1);
    pts.push(a);
    for s in 1..segs {
        let t = s as f64 / segs as f64;
        let off = amp * 4.0 * t * (1.0 - t) * wave(&phases, t);
        pts.push(a + v * t + normal * off);
    }
    pts.push(b);
    pts
}

/// The territory shapes: lattice cells first (row by row from the south-west),
/// then islands.
fn tiles(n: usize, rng: &mut impl Rng) -> Vec<MultiPolygon<f64>> {
    if n == 0 {
        return Vec::new();
    }
    let (rows, cols, n_islands) = lattice_shape(n);
    let [x0, y0, x1, y1] = SYNTH_BOUNDS;
    let (dx, dy) = ((x1 - x0) / cols as f64, (y1 - y0) / rows as f64);
    let m = dx.min(dy);

    // Nodes; boundary nodes only slide along the boundary, so the union of
    // all cells is exactly the rectangle.
    let mut nodes = Vec::with_capacity((rows + 1) * (cols + 1));
    for j in 0..=rows {
        for i in 0..=cols {
            let mut x = if i == cols { x1 } else { x0 + i as f64 * dx };
            let mut y = if j == rows { y1 } else { y0 + j as f64 * dy };
            if 0 < i && i < cols {
                x += rng.random_range(-JITTER..JITTER) * m;
            }
            if 0 < j && j < rows {
                y += rng.random_range(-JITTER..JITTER) * m;
            }
            nodes.push(Coord { x, y });
        }
    }
    let node = |i: usize, j: usize| nodes[j * (cols + 1) + i];

    // Each edge once. Boundary edges are straight but still densified.
    let amp = AMPLITUDE * m;
    let mut horizontal = Vec::with_capacity((rows + 1) * cols); // [j * cols + i]
    for j in 0..=rows {
        for i in 0..cols {
            let a = if j == 0 || j == rows { 0.0 } else { amp };
            horizontal.push(wavy_edge(node(i, j), node(i + 1, j), a, rng));
        }
    }
    let mut vertical = Vec::with_capacity(rows * (cols + 1)); // [j * (cols + 1) + i]
    for j in 0..rows {
        for i in 0..=cols {
            let a = if i == 0 || i == cols { 0.0 } else { amp };
            vertical.push(wavy_edge(node(i, j), node(i, j + 1), a, rng));
        }
    }

    // Cells, counter-clockwise: bottom →, right ↑, top ← (reversed), left ↓.
    let mut polys: Vec<Polygon<f64>> = Vec::with_capacity(rows * cols + n_islands);
    for j in 0..rows {
        for i in 0..cols {
            let bottom = &horizontal[j * cols + i];
            let right = &vertical[j * (cols + 1) + i + 1];
            let top = &horizontal[(j + 1) * cols + i];
            let left = &vertical[j * (cols + 1) + i];
            let mut ring = Vec::with_capacity(bottom.len() + right.len() + top.len() + left.len());
            ring.extend_from_slice(&bottom[..bottom.len() - 1]);
            ring.extend_from_slice(&right[..right.len() - 1]);
            ring.extend(top.iter().rev().take(top.len() - 1));
            ring.extend(left.iter().rev().take(left.len() - 1));
            ring.push(ring[0]);
            polys.push(Polygon::new(LineString(ring), Vec::new()));
        }
    }

    // Islands in distinct random host cells (partial Fisher–Yates).
    let n_cells = polys.len();
    let mut hosts: Vec<usize> = (0..n_cells).collect();
    let mut islands = Vec::with_capacity(n_islands);
    for k in 0..n_islands {
        let pick = rng.random_range(k..n_cells);
        hosts.swap(k, pick);
        let cell = hosts[k];
        let (i, j) = (cell % cols, cell / cols);
        let corners = [
            node(i, j),
            node(i + 1, j),
            node(i + 1, j + 1),
            node(i, j + 1),
        ];
        let c = corners.iter().fold(Coord { x: 0.0, y: 0.0 }, |s, &p| s + p) * 0.25;
        let phases: [f64; WAVES.len()] = std::array::from_fn(|_| rng.random_range(0.0..TAU));
        let mut ring: Vec<Coord<f64>> = (0..ISLAND_VERTICES)
            .map(|v| {
                let t = v as f64 / ISLAND_VERTICES as f64;
                let r = ISLAND_RADIUS * m * (1.0 + 0.15 * wave(&phases, t));
                let (s, co) = (TAU * t).sin_cos();
                Coord {
                    x: c.x + r * co,
                    y: c.y + r * s,
                }
            })
            .collect();
        ring.push(ring[0]);
        let island = LineString(ring);
        // The hole is the same ring, clockwise.
        let mut hole = island.clone();
        hole.0.reverse();
        polys[cell].interiors_push(hole);
        islands.push(Polygon::new(island, Vec::new()));
    }
    polys.extend(islands);
    polys.into_iter().map(|p| MultiPolygon(vec![p])).collect()
}

/// Standard normal pair (Box–Muller).
fn normal_pair(rng: &mut impl Rng) -> (f64, f64) {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let (s, c) = (TAU * rng.random::<f64>()).sin_cos();
    let r = (-2.0 * u1.ln()).sqrt();
    (r * c, r * s)
}

/// Cumulative weights → index of `u·total`.
fn pick_cumulative(cumulative: &[f64], u: f64) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    cumulative
        .partition_point(|&c| c <= u * total)
        .min(cumulative.len().saturating_sub(1))
}

fn accounts(n: usize, rng: &mut impl Rng) -> Accounts {
    let measures = SYNTH_MEASURES.map(String::from);
    let attributes = SYNTH_ATTRIBUTES.map(String::from);
    let mut acc = Accounts::with_schema(&measures, &attributes);
    let industry_codes: Vec<u32> = INDUSTRIES
        .iter()
        .map(|(name, _)| acc.attributes[0].code_of(name))
        .collect();
    let segment_codes: Vec<u32> = SEGMENTS_BY_SIZE
        .iter()
        .map(|name| acc.attributes[1].code_of(name))
        .collect();
    let industry_cum: Vec<f64> = INDUSTRIES
        .iter()
        .scan(0.0, |s, (_, w)| {
            *s += w;
            Some(*s)
        })
        .collect();

    let [x0, y0, x1, y1] = SYNTH_BOUNDS;
    // (centre x, centre y, sigma lon, sigma lat)
    let clusters: Vec<[f64; 4]> = (0..CLUSTERS)
        .map(|_| {
            let cy = rng.random_range(y0..y1);
            let sigma = rng.random_range(0.15..1.2);
            [
                rng.random_range(x0..x1),
                cy,
                sigma / cy.to_radians().cos(),
                sigma,
            ]
        })
        .collect();
    // Log-normal cluster sizes: a few big metros, many small towns.
    let cluster_cum: Vec<f64> = (0..CLUSTERS)
        .scan(0.0, |s, _| {
            *s += normal_pair(rng).0.exp();
            Some(*s)
        })
        .collect();

    acc.ids.reserve_exact(n);
    acc.names.reserve_exact(n);
    acc.lon.reserve_exact(n);
    acc.lat.reserve_exact(n);
    for col in &mut acc.measures {
        col.values.reserve_exact(n);
    }
    for col in &mut acc.attributes {
        col.codes.reserve_exact(n);
    }

    for i in 0..n {
        let (x, y) = 'draw: {
            if rng.random::<f64>() >= UNIFORM_SHARE {
                let [cx, cy, sx, sy] = clusters[pick_cumulative(&cluster_cum, rng.random())];
                for _ in 0..8 {
                    let (zx, zy) = normal_pair(rng);
                    let (x, y) = (cx + zx * sx, cy + zy * sy);
                    if (x0..x1).contains(&x) && (y0..y1).contains(&y) {
                        break 'draw (x, y);
                    }
                }
            }
            (rng.random_range(x0..x1), rng.random_range(y0..y1))
        };
        let (z1, z2) = normal_pair(rng);
        let (z3, _) = normal_pair(rng);
        let revenue = (5e6f64.ln() + 2.0 * z1).exp();
        let potential = revenue.powf(0.7) * (0.45 * z2).exp();
        let size = if revenue >= 100e6 {
            2
        } else if revenue >= 10e6 {
            1
        } else {
            0
        };
        let workload = [24.0, 80.0, 240.0][size] * (0.35 * z3).exp();
        let industry = pick_cumulative(&industry_cum, rng.random());

        let mut id = String::with_capacity(8);
        let _ = write!(id, "S{:07}", i + 1);
        let mut name = String::with_capacity(16);
        let _ = write!(name, "Account {:07}", i + 1);
        acc.ids.push(id);
        acc.names.push(name);
        acc.lon.push(x);
        acc.lat.push(y);
        acc.measures[0].values.push(revenue);
        acc.measures[1].values.push(potential);
        acc.measures[2].values.push(workload);
        acc.attributes[0].codes.push(industry_codes[industry]);
        acc.attributes[1].codes.push(segment_codes[size]);
    }
    acc.source = vec![LocationSource::Coordinates; n];
    acc.pins = crate::core::pins::Pins::unpinned(n);
    acc.removed = vec![false; n];
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, BoundingRect, Contains, Point};
    use std::collections::HashMap;

    fn region_area() -> f64 {
        let [x0, y0, x1, y1] = SYNTH_BOUNDS;
        (x1 - x0) * (y1 - y0)
    }

    /// A coordinate by its exact bits.
    type Key = (u64, u64);

    fn key(c: Coord<f64>) -> Key {
        (c.x.to_bits(), c.y.to_bits())
    }

    /// Every boundary segment is used by exactly two rings in opposite
    /// directions, unless it lies on the outer rectangle: a true tiling.
    fn assert_edges_shared(p: &Project) {
        let [x0, y0, x1, y1] = SYNTH_BOUNDS;
        let mut seen: HashMap<(Key, Key), usize> = HashMap::new();
        for t in &p.territories {
            for poly in &t.geometry {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for l in ring.lines() {
                        *seen.entry((key(l.start), key(l.end))).or_default() += 1;
                    }
                }
            }
        }
        for (&(a, b), &count) in &seen {
            assert_eq!(count, 1, "segment used twice in the same direction");
            if seen.contains_key(&(b, a)) {
                continue;
            }
            let (ax, ay) = (f64::from_bits(a.0), f64::from_bits(a.1));
            let (bx, by) = (f64::from_bits(b.0), f64::from_bits(b.1));
            let on_outline = (ax == x0 && bx == x0)
                || (ax == x1 && bx == x1)
                || (ay == y0 && by == y0)
                || (ay == y1 && by == y1);
            assert!(on_outline, "unshared inner segment {ax},{ay} → {bx},{by}");
        }
    }

    #[test]
    fn lattice_shapes_add_up() {
        for n in [1, 2, 3, 7, 10, 13, 50, 97, 100, 101, 250, 1000, 4999] {
            let (r, c, k) = lattice_shape(n);
            assert_eq!(r * c + k, n, "{n}");
            assert!(k <= r * c, "{n}");
        }
        assert_eq!(lattice_shape(100).2, 2);
        assert_eq!(lattice_shape(1000).2, 20);
    }

    #[test]
    fn tiling_has_no_gaps_or_overlaps_and_valid_shapes() {
        // 5 × 10 cells plus one island.
        let p = synthetic_plan(0, 51, 11);
        assert_eq!(p.territories.len(), 51);
        let total: f64 = p
            .territories
            .iter()
            .map(|t| t.geometry.unsigned_area())
            .sum();
        assert!(
            ((total - region_area()) / region_area()).abs() < 1e-6,
            "{total}"
        );
        let holes = p
            .territories
            .iter()
            .filter(|t| t.geometry.0.iter().any(|q| !q.interiors().is_empty()))
            .count();
        assert_eq!(holes, 1);
        for t in &p.territories {
            assert!(
                t.geometry.is_valid(),
                "{}: {:?}",
                t.name,
                t.geometry.validation_errors()
            );
            let vertices: usize = t
                .geometry
                .0
                .iter()
                .map(|q| {
                    q.exterior().0.len() - 1
                        + q.interiors().iter().map(|r| r.0.len() - 1).sum::<usize>()
                })
                .sum();
            assert!((100..=300).contains(&vertices), "{}: {vertices}", t.name);
            let b = t.geometry.bounding_rect().unwrap();
            let [x0, y0, x1, y1] = SYNTH_BOUNDS;
            assert!(b.min().x >= x0 && b.min().y >= y0 && b.max().x <= x1 && b.max().y <= y1);
        }
        assert_edges_shared(&p);
        // Pairwise overlap is nil (checked with real polygon intersection).
        let n = p.territories.len();
        let boxes: Vec<_> = p
            .territories
            .iter()
            .map(|t| t.geometry.bounding_rect().unwrap())
            .collect();
        for i in 0..n {
            for j in i + 1..n {
                let (p0, p1) = (boxes[i], boxes[j]);
                if p0.max().x < p1.min().x
                    || p1.max().x < p0.min().x
                    || p0.max().y < p1.min().y
                    || p1.max().y < p0.min().y
                {
                    continue;
                }
                let a = &p.territories[i].geometry;
                let b = &p.territories[j].geometry;
                let overlap = a.intersection(b).unsigned_area();
                assert!(overlap < 1e-9, "{i} and {j} overlap by {overlap}");
            }
        }
    }

    #[test]
    fn odd_lattices_stay_valid() {
        for (n, seed) in [(1, 1), (2, 2), (7, 3), (13, 4), (101, 5)] {
            let p = synthetic_plan(10, n, seed);
            assert_eq!(p.territories.len(), n);
            let total: f64 = p
                .territories
                .iter()
                .map(|t| t.geometry.unsigned_area())
                .sum();
            assert!(((total - region_area()) / region_area()).abs() < 1e-6);
            for t in &p.territories {
                assert!(t.geometry.is_valid(), "n={n} {}", t.name);
            }
            assert_edges_shared(&p);
        }
    }

    #[test]
    fn same_seed_same_plan() {
        let a = synthetic_plan(2_000, 30, 42);
        let b = synthetic_plan(2_000, 30, 42);
        assert!(a == b);
        let c = synthetic_plan(2_000, 30, 43);
        assert!(a.accounts != c.accounts);
        // Accounts do not depend on the territory count.
        assert!(synthetic_plan(2_000, 7, 42).accounts == a.accounts);
    }

    #[test]
    fn twenty_thousand_accounts_hundred_territories() {
        let p = synthetic_plan(20_000, 100, 3);
        assert_eq!(p.territories.len(), 100);
        let a = &p.accounts;
        assert_eq!(a.len(), 20_000);
        for len in [
            a.names.len(),
            a.lon.len(),
            a.lat.len(),
            a.source.len(),
            a.pins.len(),
            a.removed.len(),
        ] {
            assert_eq!(len, 20_000);
        }
        for m in &a.measures {
            assert_eq!(m.values.len(), 20_000);
            assert!(m.values.iter().all(|v| v.is_finite() && *v > 0.0));
        }
        for col in &a.attributes {
            assert_eq!(col.codes.len(), 20_000);
            assert!(col.codes.iter().all(|&c| (c as usize) < col.dict.len()));
        }
        assert_eq!(a.attributes[0].dict.len(), 9); // "" + 8 industries
        assert_eq!(a.attributes[1].dict.len(), 4); // "" + 3 segments
        assert_eq!(a.ids[0], "S0000001");
        assert_eq!(a.row(19_999).id, "S0020000");
        let [x0, y0, x1, y1] = SYNTH_BOUNDS;
        assert!((0..a.len()).all(|i| {
            a.is_located(i) && (x0..x1).contains(&a.lon[i]) && (y0..y1).contains(&a.lat[i])
        }));
        // Every account is inside exactly one territory (ignoring the
        // measure-zero chance of sitting exactly on an edge).
        for i in (0..a.len()).step_by(97) {
            let pt = Point::new(a.lon[i], a.lat[i]);
            let n = p
                .territories
                .iter()
                .filter(|t| t.geometry.contains(&pt))
                .count();
            assert_eq!(n, 1, "account {i}");
        }
        // Clustered: the busiest tenth of territories holds far more than a
        // tenth of the accounts.
        let mut counts: Vec<usize> = p
            .territories
            .iter()
            .map(|t| {
                (0..a.len())
                    .step_by(7)
                    .filter(|&i| t.geometry.contains(&Point::new(a.lon[i], a.lat[i])))
                    .count()
            })
            .collect();
        counts.sort_unstable_by(|x, y| y.cmp(x));
        let top: usize = counts[..10].iter().sum();
        let all: usize = counts.iter().sum();
        assert!(top * 4 > all, "top {top} of {all}");
    }

    #[test]
    fn edit_moves_one_vertex_and_stays_valid() {
        let p = synthetic_plan(0, 20, 9);
        for (k, t) in p.territories.iter().enumerate() {
            let edited = synthetic_edit_polygon(&p, t.id, k as u64);
            assert!(edited.is_valid());
            let before: Vec<Coord<f64>> = t.geometry.0[0].exterior().0.clone();
            let after: Vec<Coord<f64>> = edited.0[0].exterior().0.clone();
            assert_eq!(before.len(), after.len());
            let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            assert_eq!(moved, 1, "{}", t.name);
            assert!((edited.unsigned_area() - t.geometry.unsigned_area()).abs() > 0.0);
        }
        assert!(
            synthetic_edit_polygon(&p, TerritoryId(9999), 1)
                .0
                .is_empty()
        );
        assert_eq!(
            synthetic_edit_polygon(&p, TerritoryId(3), 5),
            synthetic_edit_polygon(&p, TerritoryId(3), 5)
        );
    }

    /// `cargo test --release --lib synth_timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn synth_timing() {
        let t = std::time::Instant::now();
        let p = synthetic_plan(1_000_000, 1_000, 1);
        eprintln!(
            "1M accounts / 1000 territories in {:?} ({} territories)",
            t.elapsed(),
            p.territories.len()
        );
    }
}
