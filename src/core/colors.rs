//! Territory colours: neighbours (territories sharing a border of positive
//! length) never share a colour, and colours stay put.
//!
//! Colours live in the plan ([`Territory::color`]), so the window, the
//! images, the report and the exports all show the same ones. They are
//! chosen from a colour-blind-safe palette (Paul Tol's "light" scheme, then
//! a few of his "muted" colours only when a territory has more neighbours
//! than that). [`recolor_edits`] recolours only the territories whose shape
//! changed (and, when none of the palette is free for them, nothing else):
//! a territory keeps its colour while no neighbour has it, so adding or
//! reshaping one territory never repaints the map. A colour the user picked
//! ([`Territory::color_picked`]) is never changed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::{BoundingRect, Coord, LineString, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, RTree};

use super::edit::{Edit, TerritoryProps};
use super::model::{Project, Territory, TerritoryId, TerritoryTypeId};

pub use super::palette::{MAIN, PALETTE};

/// Points closer than this (degrees, ~10 cm) to a border count as on it.
const ON_LINE: f64 = 1e-6;
/// Shared border length (degrees, ~1 m) above which two territories are
/// neighbours; touching at a corner shares none.
const MIN_SHARED: f64 = 1e-5;

type Seg = GeomWithData<Line<[f64; 2]>, ()>;

/// Territories with more segments than this keep their segment tree
/// while neighbours are looked for (see [`neighbour_lists_near`]).
const KEEP_TREE_SEGMENTS: usize = 64;

/// Number of segments of `t`'s rings (as [`segments`] lists them).
fn segment_count(t: &Territory) -> usize {
    t.geometry
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.len().saturating_sub(1))
        .sum()
}

/// Every segment of every ring of `t`.
fn segments(t: &Territory) -> Vec<Seg> {
    let ring = |r: &LineString<f64>| {
        r.lines()
            .map(|l| GeomWithData::new(Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]), ()))
            .collect::<Vec<_>>()
    };
    t.geometry
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(ring)
        .collect()
}

/// Length along segment `a` that segment `b` lies on (0 unless they are
/// collinear within [`ON_LINE`] and overlap).
fn overlap(a: &Line<[f64; 2]>, b: &Line<[f64; 2]>) -> f64 {
    let (p, q) = (a.from, a.to);
    let d = [q[0] - p[0], q[1] - p[1]];
    let len = d[0].hypot(d[1]);
    if len <= 0.0 {
        return 0.0;
    }
    let u = [d[0] / len, d[1] / len];
    let along = |c: [f64; 2]| (c[0] - p[0]) * u[0] + (c[1] - p[1]) * u[1];
    let across = |c: [f64; 2]| ((c[0] - p[0]) * u[1] - (c[1] - p[1]) * u[0]).abs();
    if across(b.from) > ON_LINE || across(b.to) > ON_LINE {
        return 0.0;
    }
    let (s, e) = (along(b.from), along(b.to));
    (s.max(e).min(len) - s.min(e).max(0.0)).max(0.0)
}

/// Can `a` and `b` be drawn side by side (same layer, neither the parent
/// of the other: a roll-up contains its children)?
fn comparable(a: &Territory, b: &Territory) -> bool {
    a.id != b.id && a.type_id == b.type_id && a.parent != Some(b.id) && b.parent != Some(a.id)
}

fn grown(r: Rect<f64>) -> Rect<f64> {
    let e = Coord {
        x: ON_LINE,
        y: ON_LINE,
    };
    Rect::new(r.min() - e, r.max() + e)
}

fn boxes_meet(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// The territories sharing a border of positive length with territory
/// `id`, in plan order (empty when `id` is not in the plan).
pub fn neighbours(project: &Project, id: TerritoryId) -> Vec<TerritoryId> {
    neighbour_lists(project, &BTreeSet::from([id]))
        .remove(&id)
        .unwrap_or_default()
}

/// [`neighbours`] of every territory in `ids` at once: each box is computed
/// once and the candidates come from an R-tree of the boxes, in parallel
/// (pairing every box with every other made importing 3,233 counties take
/// seconds).
fn neighbour_lists(
    project: &Project,
    ids: &BTreeSet<TerritoryId>,
) -> BTreeMap<TerritoryId, Vec<TerritoryId>> {
    let ts = &project.territories;
    let boxes: Vec<Option<Rect<f64>>> = ts.par_iter().map(|t| t.geometry.bounding_rect()).collect();
    let corners = |r: &Rect<f64>| ([r.min().x, r.min().y], [r.max().x, r.max().y]);
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                let (lo, hi) = corners(b.as_ref()?);
                Some(GeomWithData::new(Rectangle::from_corners(lo, hi), k))
            })
            .collect(),
    );
    let at: std::collections::HashMap<TerritoryId, usize> =
        ts.iter().enumerate().map(|(k, t)| (t.id, k)).collect();
    // Each territory's segment tree is built once, the first time it is
    // needed, and shared: a big territory beside thousands of small new ones
    // was cut into segments once per small one (importing 20k squares into
    // a plan of states took seconds per thousand).
    let trees: Vec<std::sync::OnceLock<RTree<Seg>>> =
        (0..ts.len()).map(|_| std::sync::OnceLock::new()).collect();
    let tree_of = |k: usize| trees[k].get_or_init(|| RTree::bulk_load(segments(&ts[k])));
    ids.par_iter()
        .map(|&id| {
            let Some((k, bb)) = at.get(&id).and_then(|&k| Some((k, grown(boxes[k]?)))) else {
                return (id, Vec::new());
            };
            let t = &ts[k];
            let (lo, hi) = corners(&bb);
            let mut cands: Vec<usize> = tree
                .locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
                .map(|g| g.data)
                .collect();
            // Plan order, as [`neighbours`] lists them.
            cands.sort_unstable();
            let list = cands
                .into_iter()
                .filter(|&j| boxes[j].is_some_and(|ub| boxes_meet(&bb, &ub)))
                .filter(|&j| comparable(t, &ts[j]) && trees_share_border(tree_of(k), tree_of(j)))
                .map(|j| ts[j].id)
                .collect();
            (id, list)
        })
        .collect()
}

/// Do the territories of segment trees `a` and `b` share a border? The smaller one's segments
/// are looked up in the bigger one, so a county beside a big state costs
/// the county's few segments, not the state's thousands.
fn trees_share_border(a: &RTree<Seg>, b: &RTree<Seg>) -> bool {
    let (small, big) = if a.size() <= b.size() { (a, b) } else { (b, a) };
    border_shared(big, small.iter().map(|s| *s.geom()))
}

/// Do the segments `segs` lie along those in `tree` for more than
/// [`MIN_SHARED`] in all?
fn border_shared(tree: &RTree<Seg>, segs: impl Iterator<Item = Line<[f64; 2]>>) -> bool {
    let mut shared = 0.0;
    for s in segs {
        let (a, b) = (s.from, s.to);
        let env = AABB::from_corners(
            [a[0].min(b[0]) - ON_LINE, a[1].min(b[1]) - ON_LINE],
            [a[0].max(b[0]) + ON_LINE, a[1].max(b[1]) + ON_LINE],
        );
        for near in tree.locate_in_envelope_intersecting(&env) {
            shared += overlap(near.geom(), &s);
            if shared > MIN_SHARED {
                return true;
            }
        }
    }
    false
}

/// The neighbours of every territory (see [`neighbours`]).
pub fn adjacency(project: &Project) -> BTreeMap<TerritoryId, Vec<TerritoryId>> {
    let all = project.territories.iter().map(|t| t.id).collect();
    neighbour_lists(project, &all)
}

/// New colours for the territories in `changed` (those added or reshaped)
/// that share a colour with a neighbour, as `(id, colour)`; the plan is not
/// changed. Picked colours ([`Territory::color_picked`]) stay. Territories
/// are taken most-constrained first (DSatur): each keeps its colour when
/// no neighbour has it, else takes the first palette colour no neighbour
/// has (the least-shared one if every palette colour is taken around it).
pub fn recolor(project: &Project, changed: &[TerritoryId]) -> Vec<(TerritoryId, [u8; 3])> {
    // Colours and picks by id: a lookup per territory, not a scan of the
    // plan (an import of 20k territories recolours all of them).
    let base: HashMap<TerritoryId, ([u8; 3], bool)> = project
        .territories
        .iter()
        .map(|t| (t.id, (t.color, t.color_picked)))
        .collect();
    let look = |id: TerritoryId| base.get(&id).copied();
    let todo = unpicked(changed, &look);
    let near = neighbour_lists(project, &todo);
    dsatur(&todo, &near, &look)
}

/// Where [`recolor_near`] finds territories and the candidates for their
/// neighbours, from indexes kept up to date edit by edit (the engines' box
/// trees) instead of boxing every territory of the plan for each edit.
pub struct Near<'a> {
    /// Territory `id`, if it is in the plan.
    pub find: &'a dyn Fn(TerritoryId) -> Option<&'a Territory>,
    /// The territories of type `ty` whose bounding boxes may meet
    /// `[min_x, min_y, max_x, max_y]`: a superset, which may name territories
    /// no longer in the plan; `None` when nothing indexes the type.
    pub in_box: &'a dyn Fn(TerritoryTypeId, [f64; 4]) -> Option<Vec<TerritoryId>>,
    /// Territories whose boxes the index may not know yet (those just added
    /// or reshaped): always candidates.
    pub fresh: &'a [TerritoryId],
}

/// [`recolor`] with neighbours found through `near`: the same colours,
/// at a cost that depends on the changed territories and their
/// surroundings, not on the size of the plan. Falls back to [`recolor`]
/// when `near` cannot answer for a type.
pub fn recolor_near(
    project: &Project,
    changed: &[TerritoryId],
    near: &Near,
) -> Vec<(TerritoryId, [u8; 3])> {
    let look = |id: TerritoryId| (near.find)(id).map(|t| (t.color, t.color_picked));
    let todo = unpicked(changed, &look);
    match neighbour_lists_near(near, &todo) {
        Some(lists) => dsatur(&todo, &lists, &look),
        None => recolor(project, changed),
    }
}

/// The territories of `changed` that exist and whose colour was not picked.
fn unpicked(
    changed: &[TerritoryId],
    look: &dyn Fn(TerritoryId) -> Option<([u8; 3], bool)>,
) -> BTreeSet<TerritoryId> {
    changed
        .iter()
        .copied()
        .filter(|&id| look(id).is_some_and(|(_, picked)| !picked))
        .collect()
}

/// [`neighbour_lists`] through `near` (`None` when it cannot answer). The
/// lists come in id order, not plan order: colouring only needs the sets.
fn neighbour_lists_near(
    near: &Near,
    ids: &BTreeSet<TerritoryId>,
) -> Option<BTreeMap<TerritoryId, Vec<TerritoryId>>> {
    // Segment trees of big territories built once, as in
    // `neighbour_lists`; a small one's is cheaper to build again than to
    // keep (100,000 imported squares kept 30 MB of them).
    let mut trees: HashMap<TerritoryId, RTree<Seg>> = HashMap::new();
    let kept = |w: &Territory| segment_count(w) > KEEP_TREE_SEGMENTS;
    // The fresh territories in a box tree of their own: adding all of them
    // to every territory's candidates made importing 100,000 territories
    // quadratic (100,000 fresh ones, each a candidate of each).
    let fresh: RTree<GeomWithData<Rectangle<[f64; 2]>, TerritoryId>> = RTree::bulk_load(
        near.fresh
            .iter()
            .filter_map(|&id| {
                let b = (near.find)(id)?.geometry.bounding_rect()?;
                let r = Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
                Some(GeomWithData::new(r, id))
            })
            .collect(),
    );
    let mut out = BTreeMap::new();
    for &id in ids {
        let found = (near.find)(id).and_then(|t| Some((t, grown(t.geometry.bounding_rect()?))));
        let Some((t, bb)) = found else {
            out.insert(id, Vec::new());
            continue;
        };
        let (lo, hi) = ([bb.min().x, bb.min().y], [bb.max().x, bb.max().y]);
        let mut cands = (near.in_box)(t.type_id, [lo[0], lo[1], hi[0], hi[1]])?;
        let env = AABB::from_corners(lo, hi);
        cands.extend(fresh.locate_in_envelope_intersecting(&env).map(|e| e.data));
        cands.sort_unstable();
        cands.dedup();
        let mut list = Vec::new();
        // `t`'s own tree when it is not kept, built at its first candidate.
        let mut own: Option<RTree<Seg>> = None;
        for u in cands.into_iter().filter_map(|c| (near.find)(c)) {
            let meets = u
                .geometry
                .bounding_rect()
                .is_some_and(|ub| boxes_meet(&bb, &ub));
            if !meets || !comparable(t, u) {
                continue;
            }
            for w in [t, u] {
                if kept(w) {
                    trees
                        .entry(w.id)
                        .or_insert_with(|| RTree::bulk_load(segments(w)));
                }
            }
            if !kept(t) && own.is_none() {
                own = Some(RTree::bulk_load(segments(t)));
            }
            let theirs = (!kept(u)).then(|| RTree::bulk_load(segments(u)));
            let a = own.as_ref().unwrap_or_else(|| &trees[&t.id]);
            let b = theirs.as_ref().unwrap_or_else(|| &trees[&u.id]);
            if trees_share_border(a, b) {
                list.push(u.id);
            }
        }
        out.insert(id, list);
    }
    Some(out)
}

/// The DSatur pass of [`recolor`] over the territories `todo`, whose
/// neighbours are `near`; `look` gives any territory's colour and pick.
fn dsatur(
    todo: &BTreeSet<TerritoryId>,
    near: &BTreeMap<TerritoryId, Vec<TerritoryId>>,
    look: &dyn Fn(TerritoryId) -> Option<([u8; 3], bool)>,
) -> Vec<(TerritoryId, [u8; 3])> {
    // Who counts `id` among its neighbours (DSatur updates those).
    let mut counted_by: HashMap<TerritoryId, Vec<TerritoryId>> = HashMap::new();
    for (&t, ns) in near {
        for &n in ns {
            counted_by.entry(n).or_default().push(t);
        }
    }
    let degree = |id: TerritoryId| near.get(&id).map_or(0, Vec::len);
    // DSatur order: most distinct settled colours around, then most
    // neighbours, then the lowest id; the largest key goes next.
    let mut around_settled: HashMap<TerritoryId, BTreeSet<[u8; 3]>> = HashMap::new();
    let mut queue: BTreeSet<(usize, usize, Reverse<TerritoryId>)> = todo
        .iter()
        .map(|&id| (0, degree(id), Reverse(id)))
        .collect();
    let mut color: HashMap<TerritoryId, [u8; 3]> = HashMap::new();
    let current = |color: &HashMap<TerritoryId, [u8; 3]>, id: TerritoryId| {
        color.get(&id).copied().or_else(|| look(id).map(|b| b.0))
    };
    let mut out = Vec::new();
    while let Some((_, _, Reverse(id))) = queue.pop_last() {
        // Colours around it: settled ones, and the others' current ones.
        let around: Vec<[u8; 3]> = near[&id]
            .iter()
            .filter_map(|&n| current(&color, n))
            .collect();
        let own = current(&color, id).unwrap_or(PALETTE[0]);
        let chosen = if around.contains(&own) {
            free_color(&around)
        } else {
            own
        };
        if chosen != own {
            out.push((id, chosen));
        }
        color.insert(id, chosen);
        for &t in counted_by.get(&id).map_or(&[][..], Vec::as_slice) {
            if color.contains_key(&t) {
                continue;
            }
            let seen = around_settled.entry(t).or_default();
            let before = seen.len();
            if seen.insert(chosen) {
                queue.remove(&(before, degree(t), Reverse(t)));
                queue.insert((before + 1, degree(t), Reverse(t)));
            }
        }
    }
    out
}

/// The first palette colour not in `around`, else the least used one.
fn free_color(around: &[[u8; 3]]) -> [u8; 3] {
    PALETTE
        .iter()
        .copied()
        .min_by_key(|c| around.iter().filter(|a| *a == c).count())
        .unwrap_or(PALETTE[0])
}

/// The edits giving the territories in `changed` distinct colours (see
/// [`recolor`]); empty when none clashes.
pub fn recolor_edits(project: &Project, changed: &[TerritoryId]) -> Vec<Edit> {
    if changed.is_empty() {
        return Vec::new();
    }
    let at: HashMap<TerritoryId, &Territory> =
        project.territories.iter().map(|t| (t.id, t)).collect();
    color_edits(recolor(project, changed), &|id| at.get(&id).copied())
}

/// [`recolor_edits`] with neighbours found through `near` (see
/// [`recolor_near`]).
pub fn recolor_edits_near(project: &Project, changed: &[TerritoryId], near: &Near) -> Vec<Edit> {
    if changed.is_empty() {
        return Vec::new();
    }
    color_edits(recolor_near(project, changed, near), near.find)
}

fn color_edits<'a>(
    colors: Vec<(TerritoryId, [u8; 3])>,
    find: &dyn Fn(TerritoryId) -> Option<&'a Territory>,
) -> Vec<Edit> {
    colors
        .into_iter()
        .filter_map(|(id, c)| {
            let mut props = TerritoryProps::of(find(id)?);
            props.color = c;
            Some(Edit::SetTerritoryProps { id, props })
        })
        .collect()
}

/// Gives every territory whose colour was not picked a colour none of its
/// neighbours has, keeping the colours that already are (for plans made
/// before colours were kept distinct, and imported ones).
pub fn make_distinct(project: &mut Project) {
    let all: Vec<TerritoryId> = project.territories.iter().map(|t| t.id).collect();
    let at: HashMap<TerritoryId, usize> = project
        .territories
        .iter()
        .enumerate()
        .map(|(k, t)| (t.id, k))
        .collect();
    for (id, c) in recolor(project, &all) {
        if let Some(&k) = at.get(&id) {
            project.territories[k].color = c;
        }
    }
}

/// Black or white, whichever reads better on `fill` (labels on the map).
pub fn text_on(fill: [u8; 3]) -> [u8; 3] {
    let l = |v: u8| {
        let c = v as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let y = 0.2126 * l(fill[0]) + 0.7152 * l(fill[1]) + 0.0722 * l(fill[2]);
    if y > 0.18 {
        [20, 20, 20]
    } else {
        [255, 255, 255]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn square(id: u32, x: f64, y: f64) -> Territory {
        let p = polygon![(x: x, y: y), (x: x + 1.0, y: y), (x: x + 1.0, y: y + 1.0), (x: x, y: y + 1.0)];
        let mut t = Territory::new(TerritoryId(id), format!("T{id}"), MultiPolygon(vec![p]));
        t.color = PALETTE[0];
        t
    }

    fn grid() -> Project {
        let mut p = Project::default();
        // 3×3 grid of unit squares, all the same colour.
        for k in 0..9u32 {
            p.territories
                .push(square(k, (k % 3) as f64, (k / 3) as f64));
        }
        p
    }

    #[test]
    fn edge_neighbours_not_corner_ones() {
        let p = grid();
        let mut n = neighbours(&p, TerritoryId(4));
        n.sort();
        assert_eq!(
            n,
            vec![
                TerritoryId(1),
                TerritoryId(3),
                TerritoryId(5),
                TerritoryId(7)
            ]
        );
        let n0 = neighbours(&p, TerritoryId(0));
        assert!(!n0.contains(&TerritoryId(4)), "corner contact is no border");
    }

    #[test]
    fn make_distinct_keeps_neighbours_apart_and_picked_colours() {
        let mut p = grid();
        p.territory_mut(TerritoryId(4)).expect("t4").color_picked = true;
        make_distinct(&mut p);
        let adj = adjacency(&p);
        for (a, ns) in &adj {
            for b in ns {
                let (ca, cb) = (
                    p.territory(*a).expect("a").color,
                    p.territory(*b).expect("b").color,
                );
                assert_ne!(ca, cb, "{a} and {b} share a colour");
            }
        }
        assert_eq!(p.territory(TerritoryId(4)).expect("t4").color, PALETTE[0]);
    }

    #[test]
    fn only_the_changed_territory_moves() {
        let mut p = grid();
        make_distinct(&mut p);
        let before: Vec<[u8; 3]> = p.territories.iter().map(|t| t.color).collect();
        // A tenth square right of the grid, coloured like its neighbour.
        let mut t = square(9, 3.0, 1.0);
        t.color = p.territory(TerritoryId(5)).expect("t5").color;
        p.territories.push(t);
        let changes = recolor(&p, &[TerritoryId(9)]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, TerritoryId(9));
        assert_ne!(changes[0].1, before[5]);
        let after: Vec<[u8; 3]> = p.territories.iter().take(9).map(|t| t.color).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn labels_readable_on_every_palette_colour() {
        assert_eq!(text_on([0xee, 0xdd, 0x88]), [20, 20, 20]);
        assert_eq!(text_on([0x33, 0x22, 0x88]), [255, 255, 255]);
    }
}
