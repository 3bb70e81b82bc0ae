//! The unit-level problem of a plan ([`Prepared`]): which units take part,
//! their loads and homes, fixed loads, and the groups the solver works on.

use std::collections::{HashMap, HashSet};

use geo::{BoundingRect, MultiPolygon};

use super::solver::{NONE, Problem, Solution};
use super::{BalanceOptions, in_scope, is_locked};
use crate::core::engine::{Engine, Reason};
use crate::core::error::{Error, Result};
use crate::core::model::{BalanceMeasure, Project, Territory, TerritoryId};
use crate::core::progress::Progress;
use crate::core::units::{HexGrid, UnitLayer, UnitSet};

/// Everything the optimiser needs about a plan, in unit terms.
///
/// The solver works on *groups*: every unit holding load plus the empty
/// units nearest to it in the adjacency graph (same current territory
/// first). Empty units change no balance, so moving them alone never helps,
/// yet on sparse data they would separate loaded units of neighbouring
/// territories and stall the local search; grouped, every move shifts load
/// and the graph is several times smaller. Groups are connected, so
/// contiguous groups make contiguous unit sets.
///
/// Only real units take part: those holding accounts and those inside a
/// territory being rebalanced or replaced. Empty units outside every such
/// territory (a neighbouring state's counties) are never corridors.
pub(super) struct Prepared {
    pub units: UnitSet,
    pub groups: UnitSet,
    pub group_of: Vec<u32>,
    pub g_weight: Vec<f64>,
    pub g_home: Vec<u32>,
    pub g_movable: Vec<bool>,
    pub g_xy: Vec<(f64, f64)>,
    /// Per group its load by current district (rebalance): what matching
    /// result districts to territories weighs.
    pub g_split: Vec<Vec<(u32, f64)>>,
    /// District → territory (unlocked territories, plan order).
    pub districts: Vec<TerritoryId>,
    pub problem_weight: Vec<f64>,
    pub home: Vec<u32>,
    pub fixed: Vec<f64>,
    /// Generate with `keep_pins`: load pinned to each unlocked territory,
    /// left out of the units (it goes where the pin says).
    pub pinned_load: HashMap<TerritoryId, f64>,
    /// Those pinned accounts (they do not vote when matching districts to
    /// old territories).
    pub pinned_accounts: Vec<u32>,
    /// Rebalance: accounts held by an attribute rule (fixed load of the
    /// rule's territory).
    pub ruled_accounts: usize,
    /// Accounts inside no unit, given to the nearest unit: (account, unit
    /// in `units`, distance in km to its centroid).
    pub uncovered: Vec<(u32, u32, f64)>,
    /// Connected component of each unit before islands were bridged: a
    /// district spanning several is in several pieces on the map.
    pub raw_component: Vec<u32>,
    pub radius_km: f64,
    pub locked_geometry: MultiPolygon<f64>,
}

/// Per account balance load: the weighted sum of each measure's share of
/// its plan total, scaled so the plan total equals the live account count.
pub(super) fn account_loads(project: &Project, opts: &BalanceOptions) -> Result<Vec<f64>> {
    let a = &project.accounts;
    let weights: Vec<(BalanceMeasure, f64)> = if opts.weights.is_empty() {
        vec![(project.settings.balance.clone(), 1.0)]
    } else {
        opts.weights.clone()
    };
    let wsum: f64 = weights.iter().map(|w| w.1.max(0.0)).sum();
    if !(wsum > 0.0 && wsum.is_finite()) {
        return Err(Error::invalid(
            "the balance weights must add up to more than 0",
        ));
    }
    let live: Vec<usize> = a.live().collect();
    let n = live.len() as f64;
    let mut load = vec![0.0; a.len()];
    for (m, w) in &weights {
        let w = w.max(0.0) / wsum;
        if w == 0.0 {
            continue;
        }
        let col: Box<dyn Fn(usize) -> f64> = match m {
            BalanceMeasure::Count => Box::new(|_| 1.0),
            BalanceMeasure::Measure(name) => {
                let mi = a.measure_index(name).ok_or_else(|| {
                    Error::invalid(format!("the plan has no measure called '{name}'"))
                })?;
                Box::new(move |i| a.measure_or_zero(mi, i).max(0.0))
            }
        };
        let total: f64 = live.iter().map(|&i| col(i)).sum();
        if total <= 0.0 {
            continue;
        }
        for &i in &live {
            load[i] += w * col(i) / total * n;
        }
    }
    Ok(load)
}

/// Bounding box of located live accounts and of `territories`.
fn extent<'a>(project: &Project, territories: impl Iterator<Item = &'a Territory>) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let a = &project.accounts;
    for i in a.live() {
        if a.is_located(i) {
            b = [
                b[0].min(a.lon[i]),
                b[1].min(a.lat[i]),
                b[2].max(a.lon[i]),
                b[3].max(a.lat[i]),
            ];
        }
    }
    for t in territories {
        if let Some(r) = t.geometry.bounding_rect() {
            b = [
                b[0].min(r.min().x),
                b[1].min(r.min().y),
                b[2].max(r.max().x),
                b[3].max(r.max().y),
            ];
        }
    }
    b
}

fn base_units(layer: &UnitLayer, bbox: [f64; 4]) -> Result<UnitSet> {
    match layer {
        UnitLayer::Hex { size_km } => UnitSet::hex_grid(*size_km, bbox),
        UnitLayer::States => UnitSet::states(),
        UnitLayer::Counties => UnitSet::counties(),
        UnitLayer::Zips => UnitSet::zip_areas(bbox),
        UnitLayer::Provinces(_) => UnitSet::for_layer(layer, bbox),
    }
}

/// Builds the unit-level problem. `k_new` = `None`: a rebalance (units get
/// homes from the current plan); `Some(k)`: every unlocked territory is to
/// be replaced by `k` new ones.
pub(super) fn prepare(
    project: &Project,
    engine: &Engine,
    opts: &BalanceOptions,
    k_new: Option<usize>,
    progress: &Progress,
) -> Result<Prepared> {
    let scope = Scope::new(project, opts, k_new);
    progress.check()?;
    let all = base_units(&opts.units, scope.bbox)?;
    progress.check()?;
    let acc = AccountLoads::collect(project, engine, opts, &scope, &all)?;
    progress.check()?;
    let (keep, unit_home) = taking_part(engine, &scope, &all, &acc);
    let mut units = all.subset(&keep);
    let raw_component = units.components().0;
    units.connect_components();
    let olds: Vec<usize> = (0..all.len()).filter(|&u| keep[u]).collect();
    let mut new_id = vec![NONE; all.len()];
    for (i, &u) in olds.iter().enumerate() {
        new_id[u] = i as u32;
    }
    let total_w = |s: Option<&Vec<(u32, f64)>>| s.map_or(0.0, |s| s.iter().map(|x| x.1).sum());
    let problem_weight: Vec<f64> = olds
        .iter()
        .map(|&u| total_w(acc.split.get(&(u as u32))))
        .collect();
    let movable: Vec<bool> = olds.iter().map(|&u| !acc.frozen[u]).collect();
    let home: Vec<u32> = olds.iter().map(|&u| unit_home[u]).collect();
    let uncovered = acc
        .uncovered
        .iter()
        .map(|&(i, u, km)| (i, new_id[u as usize], km))
        .filter(|x| x.1 != NONE)
        .collect();
    let radius_km = typical_radius(&scope.bbox, scope.k);
    let xy = local_xy(&units, &scope.bbox);
    let (group_of, rep) = group_units(&units, &problem_weight, &home);
    let groups = units.grouped(&group_of, rep.len(), &rep);
    let mut g_weight = vec![0.0; rep.len()];
    let mut g_movable = vec![true; rep.len()];
    for (u, &g) in group_of.iter().enumerate() {
        g_weight[g as usize] += problem_weight[u];
        g_movable[g as usize] &= movable[u];
    }
    let mut g_split: Vec<Vec<(u32, f64)>> = vec![Vec::new(); rep.len()];
    for (i, &u) in olds.iter().enumerate() {
        let e = &mut g_split[group_of[i] as usize];
        for &(d, l) in acc.split.get(&(u as u32)).into_iter().flatten() {
            match e.iter_mut().find(|x| x.0 == d) {
                Some(x) => x.1 += l,
                None => e.push((d, l)),
            }
        }
    }
    let g_home: Vec<u32> = rep.iter().map(|&u| home[u as usize]).collect();
    let g_xy: Vec<(f64, f64)> = rep.iter().map(|&u| xy[u as usize]).collect();
    Ok(Prepared {
        units,
        groups,
        group_of,
        g_weight,
        g_home,
        g_movable,
        g_xy,
        g_split,
        districts: scope.districts,
        problem_weight,
        home,
        fixed: acc.fixed,
        pinned_load: acc.pinned_load,
        pinned_accounts: acc.pinned_accounts,
        ruled_accounts: acc.ruled_accounts,
        uncovered,
        raw_component,
        radius_km,
        locked_geometry: scope.locked_geometry,
    })
}

/// Which territories are replaced or rebalanced, and where.
struct Scope {
    unlocked: Vec<TerritoryId>,
    locked_geometry: MultiPolygon<f64>,
    /// Rebalance: the unlocked territories (district order); generate: none.
    districts: Vec<TerritoryId>,
    district_of: HashMap<TerritoryId, u32>,
    k: usize,
    /// `None` = rebalance.
    k_new: Option<usize>,
    bbox: [f64; 4],
}

impl Scope {
    fn new(project: &Project, opts: &BalanceOptions, k_new: Option<usize>) -> Self {
        let unlocked: Vec<TerritoryId> = in_scope(project, opts)
            .filter(|t| !is_locked(t, opts))
            .map(|t| t.id)
            .collect();
        let locked_geometry = MultiPolygon(
            in_scope(project, opts)
                .filter(|t| is_locked(t, opts))
                .flat_map(|t| t.geometry.0.iter().cloned())
                .collect(),
        );
        let districts = match k_new {
            Some(_) => Vec::new(),
            None => unlocked.clone(),
        };
        let district_of = districts
            .iter()
            .enumerate()
            .map(|(d, t)| (*t, d as u32))
            .collect();
        let bbox = extent(
            project,
            in_scope(project, opts).filter(|t| !is_locked(t, opts)),
        );
        Self {
            unlocked,
            locked_geometry,
            k: k_new.unwrap_or(districts.len()),
            districts,
            district_of,
            k_new,
            bbox,
        }
    }
}

/// Where the accounts' load goes, per unit of the full layer.
struct AccountLoads {
    fixed: Vec<f64>,
    pinned_load: HashMap<TerritoryId, f64>,
    pinned_accounts: Vec<u32>,
    /// Unit → load by current district.
    split: HashMap<u32, Vec<(u32, f64)>>,
    has_accounts: Vec<bool>,
    frozen: Vec<bool>,
    ruled_accounts: usize,
    /// Accounts inside no unit: (account, nearest unit, km).
    uncovered: Vec<(u32, u32, f64)>,
}

impl AccountLoads {
    fn collect(
        project: &Project,
        engine: &Engine,
        opts: &BalanceOptions,
        scope: &Scope,
        all: &UnitSet,
    ) -> Result<Self> {
        let a = &project.accounts;
        let load = account_loads(project, opts)?;
        let n_all = all.len();
        let locked_acc: HashSet<u32> = opts.locked_accounts.iter().copied().collect();
        let mut s = Self {
            fixed: vec![0.0; scope.k],
            pinned_load: HashMap::new(),
            pinned_accounts: Vec::new(),
            split: HashMap::new(),
            has_accounts: vec![false; n_all],
            frozen: vec![false; n_all],
            ruled_accounts: 0,
            uncovered: Vec::new(),
        };
        let mut nearest = Nearest::new(all);
        for i in a.live() {
            if s.fixed_load(project, engine, opts, scope, i, load[i]) || !a.is_located(i) {
                continue;
            }
            let u = match all.locate(a.lon[i], a.lat[i]) {
                Some(u) => u,
                None => match nearest.of(a.lon[i], a.lat[i]) {
                    Some((u, km)) => {
                        s.uncovered.push((i as u32, u, km));
                        u
                    }
                    None => continue,
                },
            };
            s.has_accounts[u as usize] = true;
            if locked_acc.contains(&(i as u32)) {
                s.frozen[u as usize] = true;
            }
            let d = match scope.k_new {
                None => engine
                    .territory_of(i)
                    .and_then(|t| scope.district_of.get(&t).copied())
                    .unwrap_or(NONE),
                Some(_) => NONE,
            };
            let e = s.split.entry(u).or_default();
            match e.iter_mut().find(|x| x.0 == d) {
                Some(x) => x.1 += load[i],
                None => e.push((d, load[i])),
            }
        }
        Ok(s)
    }

    /// Records account `i` as a fixed load when it is pinned, in a locked
    /// territory or held by an attribute rule; true if it is.
    fn fixed_load(
        &mut self,
        project: &Project,
        engine: &Engine,
        opts: &BalanceOptions,
        scope: &Scope,
        i: usize,
        load: f64,
    ) -> bool {
        let owner = engine.territory_of(i);
        let district = owner.and_then(|t| scope.district_of.get(&t).copied());
        let owner_t = owner.and_then(|t| project.territory(t));
        let owner_locked = owner_t.is_some_and(|t| is_locked(t, opts));
        // A pin counts when the engine honours it (its territory exists).
        let pin = engine.pin_of(project, i);
        let pinned = pin.is_some() && (opts.keep_pins || owner_locked);
        // An account an attribute rule holds (one not limited to the
        // territory's boundary) stays with that territory whichever unit
        // its location goes to: in a rebalance its load is fixed there.
        let ruled = scope.k_new.is_none()
            && engine.reason(i) == Reason::Rule
            && owner_t
                .and_then(|t| t.rule.as_ref())
                .is_some_and(|r| !r.within_geometry);
        self.ruled_accounts += usize::from(ruled && !pinned && !owner_locked);
        if !(pinned || owner_locked || ruled) {
            return false;
        }
        // Pinned or locked accounts stay with their territory. In generate
        // the unlocked territories are replaced: pins to them are loads of
        // whichever new district takes their territory over.
        if scope.k_new.is_none() {
            if let Some(d) = district {
                self.fixed[d as usize] += load;
            }
        } else if let Some(t) = pin
            && !owner_locked
        {
            *self.pinned_load.entry(t).or_default() += load;
            self.pinned_accounts.push(i as u32);
        }
        true
    }
}

/// Nearest unit by centroid (for accounts inside no unit), built lazily.
struct Nearest<'a> {
    all: &'a UnitSet,
    tree: Option<rstar::RTree<rstar::primitives::GeomWithData<[f64; 2], u32>>>,
}

impl<'a> Nearest<'a> {
    fn new(all: &'a UnitSet) -> Self {
        Self { all, tree: None }
    }

    fn of(&mut self, lon: f64, lat: f64) -> Option<(u32, f64)> {
        let all = self.all;
        let tree = self.tree.get_or_insert_with(|| {
            rstar::RTree::bulk_load(
                all.centroids
                    .iter()
                    .enumerate()
                    .map(|(i, &(x, y))| rstar::primitives::GeomWithData::new([x, y], i as u32))
                    .collect(),
            )
        });
        let n = tree.nearest_neighbor(&[lon, lat])?;
        let km = crate::core::geometry::haversine_km(all.centroids[n.data as usize], (lon, lat));
        Some((n.data, km))
    }
}

/// Which units of the full layer take part, and in a rebalance their homes:
/// units holding accounts, and units inside a territory being rebalanced or
/// replaced. Nothing else: an empty unit outside every such territory would
/// be a false corridor between districts.
fn taking_part(
    engine: &Engine,
    scope: &Scope,
    all: &UnitSet,
    acc: &AccountLoads,
) -> (Vec<bool>, Vec<u32>) {
    let n_all = all.len();
    let mut keep = vec![false; n_all];
    let mut home = vec![NONE; n_all];
    for u in 0..n_all {
        let (cx, cy) = all.centroids[u];
        let in_unlocked = engine
            .index()
            .locate(cx, cy)
            .filter(|t| scope.unlocked.contains(t));
        if scope.k_new.is_none() {
            home[u] = match acc.split.get(&(u as u32)) {
                Some(s) => s
                    .iter()
                    .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
                    .map_or(NONE, |x| x.0),
                None => in_unlocked
                    .and_then(|t| scope.district_of.get(&t).copied())
                    .unwrap_or(NONE),
            };
        }
        // Units with accounts all take part: the result is the dissolve of
        // units, so an account follows its unit.
        keep[u] = acc.has_accounts[u] || home[u] != NONE || in_unlocked.is_some();
    }
    (keep, home)
}

/// Typical district radius in km: that of a disc of 1/k of the extent.
fn typical_radius(bbox: &[f64; 4], k: usize) -> f64 {
    let grid = local_grid(bbox);
    let (x0, y0) = grid.project(bbox[0], bbox[1]);
    let (x1, y1) = grid.project(bbox[2], bbox[3]);
    let area = ((x1 - x0).abs() * (y1 - y0).abs()).max(1.0);
    (area / (std::f64::consts::PI * k.max(1) as f64)).sqrt()
}

/// A local km projection centred on the extent.
fn local_grid(bbox: &[f64; 4]) -> HexGrid {
    let lat0 = (bbox[1] + bbox[3]) / 2.0;
    HexGrid::new(1.0, (bbox[0] + bbox[2]) / 2.0, lat0.clamp(-80.0, 80.0))
}

/// Unit centroids in km on the local projection.
fn local_xy(units: &UnitSet, bbox: &[f64; 4]) -> Vec<(f64, f64)> {
    let grid = local_grid(bbox);
    units
        .centroids
        .iter()
        .map(|&(x, y)| grid.project(x, y))
        .collect()
}

/// Groups for [`Prepared`]: multi-source breadth-first search from every
/// unit with load (in unit order), first through empty units of the same
/// home, then through any empty unit; units out of reach (no load
/// anywhere) form groups of their own. Returns the group of each unit and
/// each group's seed unit.
fn group_units(units: &UnitSet, weight: &[f64], home: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = units.len();
    let mut group_of = vec![NONE; n];
    let mut rep = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    for u in 0..n {
        if weight[u] > 0.0 {
            group_of[u] = rep.len() as u32;
            rep.push(u as u32);
            queue.push_back(u);
        }
    }
    let grow = |group_of: &mut Vec<u32>,
                queue: &mut std::collections::VecDeque<usize>,
                same_home: bool| {
        while let Some(u) = queue.pop_front() {
            for &v in units.neighbors(u) {
                let v = v as usize;
                if group_of[v] == NONE && (!same_home || home[v] == home[u]) {
                    group_of[v] = group_of[u];
                    queue.push_back(v);
                }
            }
        }
    };
    grow(&mut group_of, &mut queue, true);
    queue.extend((0..n).filter(|&u| group_of[u] != NONE));
    grow(&mut group_of, &mut queue, false);
    for u in 0..n {
        if group_of[u] == NONE {
            group_of[u] = rep.len() as u32;
            rep.push(u as u32);
            queue.push_back(u);
            grow(&mut group_of, &mut queue, false);
        }
    }
    (group_of, rep)
}

impl Prepared {
    /// The solution per unit (from one per group).
    pub fn expand(&self, mut sol: Solution) -> Solution {
        sol.assign = self
            .group_of
            .iter()
            .map(|&g| sol.assign[g as usize])
            .collect();
        sol
    }

    pub fn problem(&self, opts: &BalanceOptions, k: usize, disruption: f64) -> Problem<'_> {
        let mut fixed = self.fixed.clone();
        fixed.resize(k, 0.0);
        Problem {
            units: &self.groups,
            xy: self.g_xy.clone(),
            weight: self.g_weight.clone(),
            home: self.g_home.clone(),
            home_split: vec![Vec::new(); self.g_xy.len()],
            movable: self.g_movable.clone(),
            fixed,
            tol: (opts.tolerance_pct / 100.0).max(0.0),
            aim_tol: (opts.tolerance_pct / 100.0).max(0.0) * 0.6,
            disruption,
            radius_km: self.radius_km,
            pieces: vec![1; k],
            max_iterations: opts.max_iterations,
            time_budget_s: opts.time_budget_s.max(0.0),
            drive: None,
            max_shift_km: Vec::new(),
        }
    }
}
