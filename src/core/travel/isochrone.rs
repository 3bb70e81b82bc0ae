//! Drive-time rings (isochrones): the area reachable from a point within
//! 30, 60, 90… minutes.
//!
//! One search from the point over the network ([`Router::tree`], bounded
//! by the largest limit) gives the time to every road junction; a grid of
//! cells around everything reached is then timed at each cell's centre
//! exactly as an account there would be ([`Router::trip_from`]: connector
//! to the nearest road at the local speed × detour, the straight rule
//! where faster). A ring is the union of the cells whose centre is within
//! its limit, traced into polygons, so what the map shows is what the drive
//! times say, at the resolution of one cell. Rings are nested by
//! construction: a cell within 30 minutes is within 60.

use std::collections::HashMap;

use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use rayon::prelude::*;

use super::Router;
use super::network::EARTH_KM;

/// Cells across the longer side of the grid by default.
pub const DEFAULT_CELLS: usize = 160;

/// Most ring limits, minutes (a day's drive); larger ones are clamped.
pub const MAX_MINUTES: f64 = 600.0;

/// One ring: the area within `minutes` of the start.
#[derive(Clone, Debug, PartialEq)]
pub struct Ring {
    /// The limit, minutes.
    pub minutes: f64,
    /// The reachable area, `(lon, lat)` degrees (empty: nothing reached).
    pub area: MultiPolygon<f64>,
    /// Its size, km² (cells counted on the sphere).
    pub km2: f64,
}

/// Drive-time rings around one point, smallest limit first.
#[derive(Clone, Debug, PartialEq)]
pub struct Isochrones {
    /// The start, `(lon, lat)`.
    pub from: (f64, f64),
    /// One ring per limit, ascending.
    pub rings: Vec<Ring>,
    /// Side of a grid cell, km (the rings' resolution).
    pub cell_km: f64,
    /// The drive time at each cell's centre, which the rings outline.
    pub grid: TimeGrid,
}

/// Drive times on a grid: `cols × rows` cells of `dx × dy` degrees from
/// the south-west corner `(lon0, lat0)`, row by row from the south.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeGrid {
    /// West edge, degrees.
    pub lon0: f64,
    /// South edge, degrees.
    pub lat0: f64,
    /// Cell width, degrees.
    pub dx: f64,
    /// Cell height, degrees.
    pub dy: f64,
    /// Cells per row.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// Minutes to each cell's centre (beyond the largest limit: at least
    /// that limit, not exact).
    pub minutes: Vec<f32>,
}

impl TimeGrid {
    /// The centre of cell `k`, `(lon, lat)`.
    pub fn centre(&self, k: usize) -> (f64, f64) {
        (
            self.lon0 + ((k % self.cols.max(1)) as f64 + 0.5) * self.dx,
            self.lat0 + ((k / self.cols.max(1)) as f64 + 0.5) * self.dy,
        )
    }
}

impl Isochrones {
    /// The smallest ring containing `p` (`(lon, lat)`), as its limit.
    pub fn minutes_at(&self, p: (f64, f64)) -> Option<f64> {
        let pt = Point::new(p.0, p.1);
        self.rings
            .iter()
            .find(|r| r.area.contains(&pt))
            .map(|r| r.minutes)
    }
}

/// Parses ring limits typed as "30, 60, 90" (commas or spaces): positive
/// minutes up to [`MAX_MINUTES`], sorted, each once; the message names the
/// bad entry.
pub fn parse_minutes(text: &str) -> Result<Vec<f64>, String> {
    let mut out: Vec<f64> = Vec::new();
    for part in text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let v: f64 = part
            .parse()
            .map_err(|_| format!("ring limit \"{part}\" is not a number of minutes"))?;
        if !(v.is_finite() && v > 0.0 && v <= MAX_MINUTES) {
            return Err(format!(
                "ring limit {part} must be between 0 and {MAX_MINUTES} minutes"
            ));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err("type at least one ring limit in minutes, e.g. 30, 60, 90".into());
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    Ok(out)
}

/// The grid the rings are traced on: `cols × rows` cells of `dx × dy`
/// degrees from `(lon0, lat0)` (south-west corner).
struct Grid {
    lon0: f64,
    lat0: f64,
    dx: f64,
    dy: f64,
    cols: usize,
    rows: usize,
}

impl Grid {
    fn centre(&self, c: usize, r: usize) -> (f64, f64) {
        (
            self.lon0 + (c as f64 + 0.5) * self.dx,
            self.lat0 + (r as f64 + 0.5) * self.dy,
        )
    }

    fn corner(&self, (c, r): (i64, i64)) -> Coord<f64> {
        Coord {
            x: self.lon0 + c as f64 * self.dx,
            y: self.lat0 + r as f64 * self.dy,
        }
    }

    /// Area of a cell of row `r`, km².
    fn cell_km2(&self, r: usize) -> f64 {
        let lat = (self.lat0 + (r as f64 + 0.5) * self.dy).to_radians();
        let k = EARTH_KM * std::f64::consts::PI / 180.0;
        (self.dx * k * lat.cos()) * (self.dy * k)
    }
}

/// Drive-time rings from `from` (`(lon, lat)`) for each limit in `minutes`
/// (positive; sorted and deduplicated here), traced on a grid of about
/// `cells` cells across the reachable area.
pub fn isochrones(router: &Router, from: (f64, f64), minutes: &[f64], cells: usize) -> Isochrones {
    let mut limits: Vec<f64> = minutes
        .iter()
        .copied()
        .filter(|m| m.is_finite() && *m > 0.0)
        .map(|m| m.min(MAX_MINUTES))
        .collect();
    limits.sort_by(f64::total_cmp);
    limits.dedup();
    let Some(&max_min) = limits.last() else {
        return Isochrones {
            from,
            rings: Vec::new(),
            cell_km: 0.0,
            grid: TimeGrid::default(),
        };
    };
    let limit_ms = (max_min * 60_000.0).ceil() as u64;
    let tree = router.tree(from, limit_ms);
    let grid = grid_for(
        router,
        from,
        &router.reached(&tree, max_min),
        max_min,
        cells.max(8),
    );
    let times: Vec<f64> = (0..grid.rows * grid.cols)
        .into_par_iter()
        .map(|k| {
            let p = grid.centre(k % grid.cols, k / grid.cols);
            router.trip_from(&tree, p, router.snap(p).as_ref()).minutes
        })
        .collect();
    let rings = limits
        .iter()
        .map(|&m| {
            let inside: Vec<bool> = times.iter().map(|&t| t <= m).collect();
            let km2 = inside
                .iter()
                .enumerate()
                .filter(|(_, i)| **i)
                .map(|(k, _)| grid.cell_km2(k / grid.cols))
                .sum();
            Ring {
                minutes: m,
                area: trace(&grid, &inside),
                km2,
            }
        })
        .collect();
    let cell_km = grid.dy * EARTH_KM * std::f64::consts::PI / 180.0;
    Isochrones {
        from,
        rings,
        cell_km,
        grid: TimeGrid {
            lon0: grid.lon0,
            lat0: grid.lat0,
            dx: grid.dx,
            dy: grid.dy,
            cols: grid.cols,
            rows: grid.rows,
            minutes: times.iter().map(|&t| t as f32).collect(),
        },
    }
}

/// A grid covering everything reachable within `max_min`: the start and
/// every place on the roads reached, each widened by what is left of the
/// time at the connector speed.
fn grid_for(
    router: &Router,
    from: (f64, f64),
    reached: &[((f64, f64), f64)],
    max_min: f64,
    cells: usize,
) -> Grid {
    let (kmh, detour) = router.straight_rule();
    let reach_km = |left_min: f64| (left_min / 60.0 * kmh / detour).max(0.0);
    let deg_lat = 180.0 / (std::f64::consts::PI * EARTH_KM);
    let (mut w, mut e, mut s, mut n) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    let with_start = std::iter::once((from, 0.0));
    for (p, at) in with_start.chain(reached.iter().copied()) {
        let r_lat = reach_km(max_min - at) * deg_lat;
        let r_lon = r_lat / p.1.to_radians().cos().max(0.05);
        w = w.min(p.0 - r_lon);
        e = e.max(p.0 + r_lon);
        s = s.min(p.1 - r_lat);
        n = n.max(p.1 + r_lat);
    }
    let (s, n) = (s.max(-89.9), n.min(89.9));
    let mid_lat = ((s + n) / 2.0).to_radians().cos().max(0.05);
    // Square cells on the ground: the lat step sets the lon step.
    let span = ((e - w) * mid_lat).max(n - s).max(1e-6);
    let dy = span / cells as f64;
    let dx = dy / mid_lat;
    Grid {
        lon0: w,
        lat0: s,
        dx,
        dy,
        cols: (((e - w) / dx).ceil() as usize).max(1),
        rows: (((n - s) / dy).ceil() as usize).max(1),
    }
}

/// The outline of the cells marked `inside` as polygons with holes.
fn trace(grid: &Grid, inside: &[bool]) -> MultiPolygon<f64> {
    let at = |c: i64, r: i64| {
        c >= 0
            && r >= 0
            && (c as usize) < grid.cols
            && (r as usize) < grid.rows
            && inside[r as usize * grid.cols + c as usize]
    };
    // Directed boundary edges, inside on the left (outer rings run
    // counter-clockwise, holes clockwise).
    let mut out: HashMap<(i64, i64), Vec<(i64, i64)>> = HashMap::new();
    for r in 0..grid.rows as i64 {
        for c in 0..grid.cols as i64 {
            if !at(c, r) {
                continue;
            }
            let mut edge = |a: (i64, i64), b: (i64, i64)| out.entry(a).or_default().push(b);
            if !at(c, r - 1) {
                edge((c, r), (c + 1, r));
            }
            if !at(c + 1, r) {
                edge((c + 1, r), (c + 1, r + 1));
            }
            if !at(c, r + 1) {
                edge((c + 1, r + 1), (c, r + 1));
            }
            if !at(c - 1, r) {
                edge((c, r + 1), (c, r));
            }
        }
    }
    let rings = chain(out);
    assemble(
        rings
            .into_iter()
            .map(|v| LineString::from(v.into_iter().map(|p| grid.corner(p)).collect::<Vec<_>>()))
            .collect(),
    )
}

/// Chains directed edges into closed rings; where two rings meet at a
/// corner the left-most turn is taken, so every ring stays simple.
fn chain(mut out: HashMap<(i64, i64), Vec<(i64, i64)>>) -> Vec<Vec<(i64, i64)>> {
    let mut rings = Vec::new();
    let mut starts: Vec<(i64, i64)> = out.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        while out.get(&start).is_some_and(|v| !v.is_empty()) {
            let mut ring = vec![start];
            let mut prev = start;
            let mut cur = take(&mut out, start, None);
            while let Some(p) = cur {
                ring.push(p);
                if p == start {
                    break;
                }
                let dir = (p.0 - prev.0, p.1 - prev.1);
                prev = p;
                cur = take(&mut out, p, Some(dir));
            }
            if ring.len() >= 4 && ring.last() == Some(&start) {
                rings.push(ring);
            }
        }
    }
    rings
}

/// Removes and returns the next vertex after `at`, preferring a left turn
/// from the incoming direction `dir`, then straight, then right.
fn take(
    out: &mut HashMap<(i64, i64), Vec<(i64, i64)>>,
    at: (i64, i64),
    dir: Option<(i64, i64)>,
) -> Option<(i64, i64)> {
    let v = out.get_mut(&at)?;
    let rank = |b: &(i64, i64)| {
        let d = (b.0 - at.0, b.1 - at.1);
        match dir {
            // Cross product > 0: left turn.
            Some(i) => match i.0 * d.1 - i.1 * d.0 {
                x if x > 0 => 0,
                0 => 1,
                _ => 2,
            },
            None => 0,
        }
    };
    let k = (0..v.len()).min_by_key(|&k| rank(&v[k]))?;
    Some(v.swap_remove(k))
}

/// Outer rings (counter-clockwise) become polygons; each hole joins the
/// smallest outer ring around it.
fn assemble(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let (mut outers, mut holes) = (Vec::new(), Vec::new());
    for r in rings {
        let p = Polygon::new(r.clone(), vec![]);
        if p.signed_area() > 0.0 {
            outers.push((p.unsigned_area(), r, Vec::new()));
        } else {
            holes.push(r);
        }
    }
    outers.sort_by(|a, b| a.0.total_cmp(&b.0));
    for h in holes {
        // A point just inside the hole: the middle of its first edge,
        // nudged to its inner side (holes run clockwise: inner = right).
        let (a, b) = (h.0[0], h.0[1]);
        let mid = Coord {
            x: (a.x + b.x) / 2.0 + (b.y - a.y) * 0.01,
            y: (a.y + b.y) / 2.0 - (b.x - a.x) * 0.01,
        };
        let host = outers
            .iter_mut()
            .find(|o| Polygon::new(o.1.clone(), vec![]).contains(&Point::from(mid)));
        if let Some(o) = host {
            o.2.push(h);
        }
    }
    MultiPolygon(
        outers
            .into_iter()
            .map(|(_, outer, holes)| Polygon::new(outer, holes))
            .collect(),
    )
}
