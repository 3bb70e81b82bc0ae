//! A rep who leaves, a rep who joins: the territory changes that follow,
//! each as one undoable edit with a before/after table.
//!
//! **Leaves.** Territories the rep shares with others just lose the rep.
//! A territory the rep worked alone is *shared out* to its neighbours
//! (those with a border of positive length, unlocked, of the same type),
//! or *merged* into one of them when the planner says so. Sharing out
//! cuts the territory into small hexagons (about [`CELLS`] of them, on a
//! lattice local to it) and grows each neighbour into it from their common
//! border, always growing the neighbour that is lightest on the balance
//! measure — so the loads even out, every piece stays joined to its new
//! owner, and accounts move only to a territory next door.
//!
//! **Joins.** A new territory is carved around the new rep's home: hexagons
//! taken in order of distance from the home, from unlocked territories of
//! the type, until it carries the mean load of the plan's balance units.

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use geo::{
    Area, BooleanOps, BoundingRect, Intersects, MultiPolygon, Orient, Point, Polygon, Rect,
    orient::Direction, unary_union,
};
use serde::Serialize;

use super::colors::neighbours;
use super::edit::Edit;
use super::metrics::PlanMetrics;
use super::model::{Project, Rep, RepId, Territory, TerritoryId, TerritoryTypeId};
use super::shape_edit::{merge_territories, paint_units};
use super::units::HexGrid;
use super::workspace::Workspace;
use super::{Error, Result};

/// Hexagons a territory is cut into when shared out.
pub const CELLS: f64 = 400.0;

/// What happens to a territory its leaving rep worked alone.
#[derive(Clone, Debug, PartialEq)]
pub enum Handover {
    /// Shared out to its neighbours, lightest first.
    Share,
    /// Merged into this neighbour (`None`: the lightest neighbour).
    Merge(Option<TerritoryId>),
}

/// One territory's balance value before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BeforeAfter {
    /// Territory name.
    pub name: String,
    /// Balance value before (`None`: the territory is new).
    pub before: Option<f64>,
    /// Balance value after (`None`: the territory is gone).
    pub after: Option<f64>,
    /// Deviation from the mean after, in % (`None` when gone).
    pub deviation_after: Option<f64>,
}

/// A staffing change: the edit and what it does.
#[derive(Clone, Debug)]
pub struct Staffing {
    /// The one undoable edit.
    pub edit: Edit,
    /// Territories whose balance value changes, in plan order.
    pub table: Vec<BeforeAfter>,
    /// Accounts that change territory.
    pub moved: u64,
    /// The balance measure.
    pub measure: String,
}

/// The edit for rep `rep` leaving: see the module docs.
pub fn rep_leaves(ws: &Workspace, rep: RepId, handover: &Handover) -> Result<Staffing> {
    let p = ws.project();
    let r = p
        .rep(rep)
        .ok_or_else(|| Error::invalid(format!("no rep with id {}", rep.0)))?;
    let mut scratch = ws.snapshot();
    let mut edits = Vec::new();
    let alone: Vec<TerritoryId> = p
        .territories
        .iter()
        .filter(|t| t.reps == [rep])
        .map(|t| t.id)
        .collect();
    for id in alone {
        let edit = match handover {
            Handover::Merge(into) => merge_into(&scratch, id, *into)?,
            Handover::Share => share_out(&scratch, id)?,
        };
        scratch.apply(edit.clone())?;
        edits.push(edit);
    }
    // Last: every territory (and scenario) that lists the rep loses it.
    edits.push(Edit::RemoveRep { id: rep });
    let edit = Edit::Batch {
        label: format!("Rep '{}' leaves", r.name),
        edits,
    };
    summarise(ws, edit)
}

/// The edit for a new rep `name` with home `(lon, lat)` joining, with a
/// territory of type `ty` carved around the home.
pub fn rep_joins(
    ws: &Workspace,
    name: &str,
    home: (f64, f64),
    ty: TerritoryTypeId,
) -> Result<Staffing> {
    let p = ws.project();
    if p.rep_by_name(name).is_some() {
        return Err(Error::invalid(format!(
            "the plan already has a rep called '{name}'"
        )));
    }
    if !(home.0.is_finite() && home.1.is_finite() && home.1.abs() <= 90.0) {
        return Err(Error::invalid("the home base must be LAT,LON in degrees"));
    }
    let host = p
        .territories_of_type(ty)
        .find(|t| !t.locked && t.geometry.intersects(&Point::new(home.0, home.1)))
        .ok_or_else(|| {
            Error::invalid(format!(
                "the home {:.4},{:.4} is in no unlocked territory of this type: nothing to carve from",
                home.1, home.0
            ))
        })?;
    let mut scratch = ws.snapshot();
    scratch.set_current_type(ty)?;
    let metrics = scratch.metrics();
    let rep_id = p.next_rep_id();
    let mut rep = Rep::new(rep_id, name);
    rep.home = Some(home);
    let mut draft = p.clone();
    let tid = draft.add_territory(unique_name(p, name), MultiPolygon(vec![]));
    let mut territory: Territory = draft
        .territory(tid)
        .cloned()
        .ok_or_else(|| Error::invalid("could not create the territory"))?;
    territory.type_id = ty;
    territory.reps = vec![rep_id];
    territory.color = host.color;
    let mut edits = vec![
        Edit::AddRep {
            rep,
            position: p.reps.len(),
        },
        Edit::AddTerritory {
            territory,
            position: p.territories.len(),
        },
    ];
    for e in &edits {
        scratch.apply(e.clone())?;
    }
    let piece = carve(&scratch, ty, home, metrics.mean, host)?;
    let paint = paint_units(scratch.project(), tid, &[&piece])?
        .ok_or_else(|| Error::invalid("there is no unlocked area around the home to carve"))?;
    edits.push(paint);
    let edit = Edit::Batch {
        label: format!("Rep '{name}' joins"),
        edits,
    };
    summarise(ws, edit)
}

fn unique_name(p: &Project, name: &str) -> String {
    let mut n = name.to_owned();
    let mut k = 2;
    while p.territory_by_name(&n).is_some() {
        n = format!("{name} {k}");
        k += 1;
    }
    n
}

/// Merges `id` into `into`, or into its lightest neighbour.
fn merge_into(ws: &Workspace, id: TerritoryId, into: Option<TerritoryId>) -> Result<Edit> {
    let p = ws.project();
    let into = match into {
        Some(t) => t,
        None => {
            let metrics = metrics_of(ws, id)?;
            lightest(&candidates(p, id)?, &metrics)
        }
    };
    merge_territories(p, &[into, id], None)
}

/// Unlocked neighbours of the same type; none is an error that says what
/// to do instead.
fn candidates(p: &Project, id: TerritoryId) -> Result<Vec<TerritoryId>> {
    let t = p
        .territory(id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    let out: Vec<TerritoryId> = neighbours(p, id)
        .into_iter()
        .filter(|n| {
            p.territory(*n)
                .is_some_and(|u| !u.locked && u.type_id == t.type_id)
        })
        .collect();
    if out.is_empty() {
        return Err(Error::invalid(format!(
            "'{}' has no unlocked neighbour to take its accounts: assign another rep to it instead",
            t.name
        )));
    }
    Ok(out)
}

fn metrics_of(ws: &Workspace, id: TerritoryId) -> Result<PlanMetrics> {
    let ty = ws
        .project()
        .territory(id)
        .map(|t| t.type_id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    Ok(ws.metrics_for(ty))
}

fn lightest(ids: &[TerritoryId], m: &PlanMetrics) -> TerritoryId {
    let value = |id: &TerritoryId| m.territory(*id).map_or(0.0, |t| t.balance_value);
    ids.iter()
        .copied()
        .min_by(|a, b| value(a).total_cmp(&value(b)))
        .unwrap_or(ids[0])
}

/// A cell of the lattice cut into a territory: its piece and load.
struct Cell {
    piece: MultiPolygon<f64>,
    load: f64,
}

/// Shares territory `id` out to its neighbours (module docs), then deletes
/// what is left of it.
fn share_out(ws: &Workspace, id: TerritoryId) -> Result<Edit> {
    let p = ws.project();
    let nbrs = candidates(p, id)?;
    let t = p
        .territory(id)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", id.0)))?;
    let metrics = metrics_of(ws, id)?;
    let grid = grid_for(&t.geometry, CELLS)?;
    let cells = cut(ws, t, &grid);
    let owner = grow(p, &grid, &cells, &nbrs, &metrics);
    let mut scratch = ws.snapshot();
    let mut edits = Vec::new();
    for n in &nbrs {
        let pieces: Vec<&MultiPolygon<f64>> = owner
            .iter()
            .filter(|(_, o)| **o == n)
            .filter_map(|(c, _)| cells.get(c).map(|c| &c.piece))
            .collect();
        if pieces.is_empty() {
            continue;
        }
        if let Some(e) = paint_units(scratch.project(), *n, &pieces)? {
            scratch.apply(e.clone())?;
            edits.push(e);
        }
    }
    edits.push(Edit::RemoveTerritory { id });
    Ok(Edit::Batch {
        label: format!("Share '{}' out to {} neighbours", t.name, nbrs.len()),
        edits,
    })
}

/// A lattice whose hexagons cut `shape` into about `n` cells.
fn grid_for(shape: &MultiPolygon<f64>, n: f64) -> Result<HexGrid> {
    let bb = shape
        .bounding_rect()
        .ok_or_else(|| Error::invalid("the territory has no area"))?;
    let lat0 = bb.center().y;
    let km2 = super::geometry::shape_stats(shape).area_km2;
    if km2.is_nan() || km2 <= 0.0 {
        return Err(Error::invalid("the territory has no area"));
    }
    // A hexagon of circumradius s has area 3√3/2 · s².
    let size = (km2 / n / (1.5 * 3f64.sqrt())).sqrt();
    Ok(HexGrid::new(size, bb.center().x, lat0))
}

/// The lattice cells inside `t` with their piece of `t` and the balance
/// load of `t`'s accounts in them.
fn cut(ws: &Workspace, t: &Territory, grid: &HexGrid) -> BTreeMap<(i32, i32), Cell> {
    let mut cells = BTreeMap::new();
    let Some(bb) = t.geometry.bounding_rect() else {
        return cells;
    };
    for (q, r) in cells_over(grid, &bb) {
        let hex = MultiPolygon(vec![grid.polygon(q, r)]);
        let piece = t.geometry.intersection(&hex);
        if piece.unsigned_area() > hex.unsigned_area() * 1e-6 {
            cells.insert((q, r), Cell { piece, load: 0.0 });
        }
    }
    let p = ws.project();
    let a = &p.accounts;
    let bm = p.balance_measure_index();
    if let Some(engine) = ws.engine_for(t.type_id) {
        for i in a.live() {
            if engine.territory_of(i) != Some(t.id) || !a.is_located(i) {
                continue;
            }
            let Some(c) = grid.cell_of(a.lon[i], a.lat[i]) else {
                continue;
            };
            if let Some(cell) = cells.get_mut(&c) {
                cell.load += bm.map_or(1.0, |m| a.measures[m].values[i].max(0.0));
            }
        }
    }
    cells
}

/// Every lattice cell whose hexagon may meet the box.
fn cells_over(grid: &HexGrid, bb: &Rect<f64>) -> Vec<(i32, i32)> {
    let (Some(a), Some(b)) = (
        grid.cell_of(bb.min().x, bb.min().y),
        grid.cell_of(bb.max().x, bb.max().y),
    ) else {
        return Vec::new();
    };
    // Axial q shifts by half a cell per row: widen the q range by the rows.
    let (r0, r1) = (a.1.min(b.1) - 1, a.1.max(b.1) + 1);
    let span = (r1 - r0) / 2 + 2;
    let (q0, q1) = (a.0.min(b.0) - span, a.0.max(b.0) + span);
    let mut out = Vec::new();
    for r in r0..=r1 {
        for q in q0..=q1 {
            let (lon, lat) = grid.center(q, r);
            let m = 2.0 * grid.size_km / 111.0 / lat.to_radians().cos().max(0.05);
            if lon >= bb.min().x - m
                && lon <= bb.max().x + m
                && lat >= bb.min().y - m
                && lat <= bb.max().y + m
            {
                out.push((q, r));
            }
        }
    }
    out
}

/// Which neighbour gets each cell: grown from the common borders, the
/// lightest neighbour first; cells no neighbour reaches go to the nearest.
fn grow<'n>(
    p: &Project,
    grid: &HexGrid,
    cells: &BTreeMap<(i32, i32), Cell>,
    nbrs: &'n [TerritoryId],
    metrics: &PlanMetrics,
) -> HashMap<(i32, i32), &'n TerritoryId> {
    let mut load: Vec<f64> = nbrs
        .iter()
        .map(|n| metrics.territory(*n).map_or(0.0, |t| t.balance_value))
        .collect();
    // Frontier of each neighbour: cells touching it or its grown region.
    let mut frontier: Vec<HashSet<(i32, i32)>> = nbrs
        .iter()
        .map(|n| {
            let Some(g) = p.territory(*n).map(|t| &t.geometry) else {
                return HashSet::new();
            };
            cells
                .keys()
                .filter(|(q, r)| grid.polygon(*q, *r).intersects(g))
                .copied()
                .collect()
        })
        .collect();
    let mut owner: HashMap<(i32, i32), &TerritoryId> = HashMap::new();
    // Max-heap on negated load: the lightest neighbour grows next.
    let mut heap: BinaryHeap<(std::cmp::Reverse<Ordered>, usize)> = (0..nbrs.len())
        .map(|k| (std::cmp::Reverse(Ordered(load[k])), k))
        .collect();
    while let Some((_, k)) = heap.pop() {
        frontier[k].retain(|c| !owner.contains_key(c));
        // The frontier cell with the most load keeps pieces whole; ties by
        // lattice order keep the result the same on every run.
        let Some(&c) = frontier[k]
            .iter()
            .max_by(|a, b| cells[a].load.total_cmp(&cells[b].load).then(b.cmp(a)))
        else {
            continue;
        };
        owner.insert(c, &nbrs[k]);
        load[k] += cells[&c].load;
        for n in HexGrid::neighbors(c.0, c.1) {
            if cells.contains_key(&n) && !owner.contains_key(&n) {
                frontier[k].insert(n);
            }
        }
        heap.push((std::cmp::Reverse(Ordered(load[k])), k));
    }
    // Islands no border reaches: the neighbour whose shape is nearest.
    for c in cells.keys() {
        if owner.contains_key(c) {
            continue;
        }
        let (lon, lat) = grid.center(c.0, c.1);
        let nearest = nbrs
            .iter()
            .min_by(|a, b| {
                let d = |id: &TerritoryId| {
                    p.territory(*id)
                        .and_then(|t| t.geometry.bounding_rect())
                        .map_or(f64::INFINITY, |r| {
                            let cx = r.center();
                            (cx.x - lon).powi(2) + (cx.y - lat).powi(2)
                        })
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap_or(&nbrs[0]);
        owner.insert(*c, nearest);
    }
    owner
}

/// An `f64` ordered for the heap (loads are finite: sums of finite values).
#[derive(Clone, Copy, PartialEq)]
struct Ordered(f64);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The region for a new territory around `home`: lattice cells sized to
/// the host territory, taken in order of distance from the home (so it
/// stays in one piece) from unlocked territories of type `ty`, until it
/// carries `target` of the balance measure.
fn carve(
    ws: &Workspace,
    ty: TerritoryTypeId,
    home: (f64, f64),
    target: f64,
    host: &Territory,
) -> Result<MultiPolygon<f64>> {
    let p = ws.project();
    let grid = grid_for(&host.geometry, CELLS / 4.0)?;
    let start = grid
        .cell_of(home.0, home.1)
        .ok_or_else(|| Error::invalid("the home base is not a location"))?;
    let open: Vec<&Territory> = p
        .territories_of_type(ty)
        .filter(|t| !t.locked && !t.geometry.0.is_empty())
        .collect();
    let loads = loads_by_cell(ws, ty, &grid);
    let mut taken: Vec<Polygon<f64>> = Vec::new();
    let mut load = 0.0;
    let mut seen: HashSet<(i32, i32)> = HashSet::from([start]);
    let mut queue = vec![start];
    while let Some(c) = pop_nearest(&mut queue, &grid, home) {
        if load >= target && !taken.is_empty() {
            break;
        }
        let hex = grid.polygon(c.0, c.1);
        if !open.iter().any(|t| t.geometry.intersects(&hex)) {
            continue; // outside every territory: not a corridor
        }
        load += loads.get(&c).copied().unwrap_or(0.0);
        taken.push(hex);
        for n in HexGrid::neighbors(c.0, c.1) {
            if seen.insert(n) {
                queue.push(n);
            }
        }
        if taken.len() > 4 * CELLS as usize {
            break;
        }
    }
    // Whole hexagons share their lattice corners exactly, so their union is
    // clean; one clip by the territories then keeps it off the sea and out
    // of locked ones (paint_units clips those too).
    let region = unary_union(taken.iter());
    // unary_union wants one winding order: orient gives CCW exteriors.
    let shapes: Vec<MultiPolygon<f64>> = open
        .iter()
        .filter(|t| t.geometry.intersects(&region))
        .map(|t| t.geometry.clone().orient(Direction::Default))
        .collect();
    let cover = unary_union(shapes.iter());
    Ok(without_slivers(region.intersection(&cover)))
}

/// `shape` without pieces under a millionth of its area (clipping
/// artefacts along shared borders).
fn without_slivers(shape: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let total = shape.unsigned_area();
    MultiPolygon(
        shape
            .0
            .into_iter()
            .filter(|p| p.unsigned_area() > total * 1e-6)
            .collect(),
    )
}

fn pop_nearest(
    queue: &mut Vec<(i32, i32)>,
    grid: &HexGrid,
    home: (f64, f64),
) -> Option<(i32, i32)> {
    let d = |c: &(i32, i32)| {
        let (lon, lat) = grid.center(c.0, c.1);
        super::geometry::haversine_km((lon, lat), home)
    };
    let k = (0..queue.len()).min_by(|&a, &b| d(&queue[a]).total_cmp(&d(&queue[b])))?;
    Some(queue.swap_remove(k))
}

/// Balance load of the assigned accounts per lattice cell (one pass).
fn loads_by_cell(ws: &Workspace, ty: TerritoryTypeId, grid: &HexGrid) -> HashMap<(i32, i32), f64> {
    let p = ws.project();
    let a = &p.accounts;
    let bm = p.balance_measure_index();
    let mut out = HashMap::new();
    let Some(engine) = ws.engine_for(ty) else {
        return out;
    };
    for i in a.live() {
        if !a.is_located(i) || engine.territory_of(i).is_none() {
            continue;
        }
        if let Some(c) = grid.cell_of(a.lon[i], a.lat[i]) {
            *out.entry(c).or_default() += bm.map_or(1.0, |m| a.measures[m].values[i].max(0.0));
        }
    }
    out
}

/// Applies `edit` to a scratch copy to tell what it does.
fn summarise(ws: &Workspace, edit: Edit) -> Result<Staffing> {
    let ty = ws.current_type();
    let before = ws.metrics_for(ty);
    let mut after_ws = ws.snapshot();
    after_ws.apply(edit.clone())?;
    let after = after_ws.metrics_for(ty);
    let mut table = Vec::new();
    let find = |m: &PlanMetrics, id: u32| m.territories.iter().find(|t| t.id == id).cloned();
    let mut ids: Vec<u32> = before.territories.iter().map(|t| t.id).collect();
    ids.extend(
        after
            .territories
            .iter()
            .map(|t| t.id)
            .filter(|id| find(&before, *id).is_none()),
    );
    for id in ids {
        let (b, a) = (find(&before, id), find(&after, id));
        let bv = b.as_ref().map(|t| t.balance_value);
        let av = a.as_ref().map(|t| t.balance_value);
        if bv == av {
            continue;
        }
        table.push(BeforeAfter {
            name: a
                .as_ref()
                .or(b.as_ref())
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            before: bv,
            after: av,
            deviation_after: a.map(|t| t.deviation_pct),
        });
    }
    let (e0, e1) = (ws.engine_for(ty), after_ws.engine_for(ty));
    let moved = match (e0, e1) {
        (Some(e0), Some(e1)) => ws
            .project()
            .accounts
            .live()
            .filter(|&i| e0.territory_of(i) != e1.territory_of(i))
            .count() as u64,
        _ => 0,
    };
    Ok(Staffing {
        edit,
        table,
        moved,
        measure: before.balance_measure,
    })
}
