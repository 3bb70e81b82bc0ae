//! Auto-balance: generate territories from scratch or rebalance a plan
//! with minimal disruption, built from geographic units
//! ([`crate::core::units`]).
//!
//! # Method
//!
//! Territories are unions of indivisible units (hexagons, counties or ZIP
//! areas). The districting follows the classic location–allocation scheme
//! of Hess et al. (1965, "Nonpartisan political redistricting by
//! computer", *Operations Research* 13(6)), as unified for sales territory
//! design by Kalcsics, Nickel & Schröder (2005, "Towards a unified
//! territorial design approach", *OR Spectrum* 27):
//!
//! 1. **Allocation** — a balanced assignment of units to centres: the
//!    transportation problem whose supplies are the units' loads and whose
//!    demands are the target ± tolerance, with cost = squared distance to
//!    the centre (compactness) + a disruption cost for leaving the unit's
//!    current territory (the balanced min-cost-flow formulation of sales
//!    territory alignment, cf. George, Lamar & Wisner 1997, "Optimal
//!    territory design with travel-time, workload and disruption
//!    constraints"). It is solved through its dual prices (a power
//!    diagram; Aurenhammer, Hoffmann & Aronov 1998) by the auction method
//!    for transportation problems (Bertsekas & Castañón 1989) on a sparse
//!    arc set (each unit to its home and its nearest centres), with the
//!    prices of one round warm-starting the next. Indivisible units leave
//!    a rounding remainder for step 4.
//! 2. **Location** — each centre moves to its district's weighted medoid;
//!    1–2 repeat until the centres stop moving.
//! 3. **Contiguity repair** — enclaves and fragments join the adjacent
//!    territory they share most boundary with.
//! 4. **Local search** — boundary units move between adjacent territories,
//!    never disconnecting one, until every territory is within tolerance
//!    (cf. Ricca & Simeone 2008, "Local search algorithms for political
//!    districting", *EJOR* 189). Moves are ranked by disruption and
//!    compactness cost per unit of balance gained. When an out-of-balance
//!    territory has no improving move (its neighbours are balanced), an
//!    ejection chain (Glover 1996; Bozkaya, Erkut & Laporte 2003) passes
//!    load along a path of adjacent territories to the nearest one with
//!    room.
//!
//! Empty units are grouped with the nearest unit holding accounts (same
//! current territory first), so every move shifts load; see `Prepared`.
//!
//! A district holding a unit heavier than the upper limit (or fixed load
//! beyond it) cannot be within tolerance; the local search then aims it at
//! that load alone, so it keeps as little else as possible, and the others
//! aim at the mean of what is left (kept inside the tolerance band).
//!
//! The local search is incremental (see `solver::search`): per-district
//! border sets, district adjacency counts and a versioned priority queue of
//! moves, so a move costs in proportion to the districts it touches.
//!
//! Units are indivisible, so perfect balance can be infeasible: the
//! [`DisruptionReport`] says whether the tolerance was met.
//!
//! # Existing plans
//!
//! A unit belongs to the territory that holds most of its balance load
//! (by the engine's current assignment), or, when empty, the one containing
//! its centre. Locked territories (their flag or [`BalanceOptions::locked`])
//! keep their exact geometry and their units are left out. Pinned accounts
//! (with [`BalanceOptions::keep_pins`]), accounts of locked territories and
//! accounts outside every unit are fixed loads of their territory (for
//! [`generate`], see there). Units holding a locked account
//! ([`BalanceOptions::locked_accounts`]) never move. When anything moves,
//! every unlocked territory becomes the dissolve of its units (so the map,
//! the engine and the unit model agree exactly); with a balanced plan
//! nothing moves and nothing changes.
//!
//! A unit heavier than the upper limit (mean + tolerance) makes its
//! territory infeasible whatever the plan: the report counts such
//! territories and names the units, and "within tolerance where feasible"
//! excludes only them.
//!
//! # The result
//!
//! A [`Proposal`]: one [`Edit::Batch`] (accept = [`Workspace::apply`], one
//! undo step), a [`DisruptionReport`] measured by running the real engine
//! on the edited plan, and before/after [`PlanMetrics`].

#[cfg(feature = "bench")]
mod bench;
mod report;
pub mod solver;

#[cfg(feature = "bench")]
pub use bench::bench;

use std::collections::HashMap;
use std::time::Instant;

use geo::{BooleanOps, BoundingRect, MultiPolygon};

pub use report::{DisruptionReport, RepDisruption, TerritoryDisruption};

use super::edit::Edit;
use super::engine::{Engine, Reason};
use super::error::{Error, Result};
use super::metrics::PlanMetrics;
use super::model::{BalanceMeasure, Project, Territory, TerritoryId, TerritoryTypeId};
use super::progress::Progress;
use super::units::{HexGrid, UnitSet};
use super::workspace::Workspace;
use solver::{NONE, Problem, Solution};

pub use super::units::UnitLayer;

/// Options of [`rebalance`], [`generate`] and [`balanced_kmeans`].
#[derive(Clone, Debug, PartialEq)]
pub struct BalanceOptions {
    /// What to balance: measures and their weights (e.g. 60% potential +
    /// 40% workload). Each measure counts as its share of the plan total.
    /// Empty = the plan's balance measure.
    pub weights: Vec<(BalanceMeasure, f64)>,
    /// Allowed deviation from the mean, in ± percent.
    pub tolerance_pct: f64,
    /// Territories to keep as they are, besides those with `locked` set.
    pub locked: Vec<TerritoryId>,
    /// Accounts that must keep their territory (account indices).
    pub locked_accounts: Vec<u32>,
    /// The building blocks.
    pub units: UnitLayer,
    /// Cost of moving a unit away from its current territory, per unit of
    /// load, in units of (typical territory radius)²: 0 = ignore the
    /// current plan; the default 4 moves little beyond what balance needs.
    pub disruption_weight: f64,
    /// Budget of local-search moves.
    pub max_iterations: usize,
    /// Location–allocation rounds.
    pub rounds: usize,
    /// Seed for the randomised start of [`generate`] without seed points.
    pub seed: u64,
    /// Keep manual pins (pinned accounts stay where they are pinned).
    /// Off: pins to unlocked territories are removed by the proposal and
    /// those accounts go with their units.
    pub keep_pins: bool,
    /// The territory type to balance (`None` = the plan's first type).
    /// Territories of other types (overlays) are left alone and do not
    /// count.
    pub type_id: Option<TerritoryTypeId>,
}

impl Default for BalanceOptions {
    fn default() -> Self {
        Self {
            weights: Vec::new(),
            tolerance_pct: 5.0,
            locked: Vec::new(),
            locked_accounts: Vec::new(),
            units: UnitLayer::default(),
            disruption_weight: 4.0,
            max_iterations: 20_000,
            rounds: 8,
            seed: 1,
            keep_pins: true,
            type_id: None,
        }
    }
}

/// A proposed change, to show before accepting it.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// Apply with [`Workspace::apply`] to accept (one undo step).
    pub edit: Edit,
    /// What moves, and whether the tolerance was met.
    pub report: DisruptionReport,
    /// Metrics of the plan as it is.
    pub before: PlanMetrics,
    /// Metrics of the plan with the edit applied.
    pub after: PlanMetrics,
}

/// Everything the optimiser needs about a plan, in unit terms.
///
/// The solver works on *groups*: every unit holding load plus the empty
/// units nearest to it in the adjacency graph (same current territory
/// first). Empty units change no balance, so moving them alone never helps,
/// yet on sparse data they would separate loaded units of neighbouring
/// territories and stall the local search; grouped, every move shifts load
/// and the graph is several times smaller. Groups are connected, so
/// contiguous groups make contiguous unit sets.
struct Prepared {
    units: UnitSet,
    groups: UnitSet,
    group_of: Vec<u32>,
    g_weight: Vec<f64>,
    g_home: Vec<u32>,
    g_movable: Vec<bool>,
    g_xy: Vec<(f64, f64)>,
    /// District → territory (unlocked territories, plan order).
    districts: Vec<TerritoryId>,
    problem_weight: Vec<f64>,
    home: Vec<u32>,
    fixed: Vec<f64>,
    /// Generate with `keep_pins`: load pinned to each unlocked territory,
    /// left out of the units (it goes where the pin says).
    pinned_load: HashMap<TerritoryId, f64>,
    /// Those pinned accounts (they do not vote when matching districts to
    /// old territories).
    pinned_accounts: Vec<u32>,
    /// Rebalance: accounts held by an attribute rule (fixed load of the
    /// rule's territory).
    ruled_accounts: usize,
    radius_km: f64,
    locked_geometry: MultiPolygon<f64>,
}

/// Per account balance load: the weighted sum of each measure's share of
/// its plan total, scaled so the plan total equals the live account count.
fn account_loads(project: &Project, opts: &BalanceOptions) -> Result<Vec<f64>> {
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

fn is_locked(t: &Territory, opts: &BalanceOptions) -> bool {
    t.locked || opts.locked.contains(&t.id)
}

/// A workspace over a copy of `project` showing the type being balanced,
/// so its engine and metrics are that type's.
fn workspace_for(project: &Project, opts: &BalanceOptions) -> Result<Workspace> {
    let mut ws = Workspace::new(project.clone());
    ws.set_current_type(balanced_type(project, opts))?;
    Ok(ws)
}

/// The territory type being balanced.
fn balanced_type(project: &Project, opts: &BalanceOptions) -> TerritoryTypeId {
    opts.type_id.unwrap_or_else(|| project.primary_type())
}

/// The territories of the type being balanced, in plan order.
fn in_scope<'p>(
    project: &'p Project,
    opts: &BalanceOptions,
) -> impl Iterator<Item = &'p Territory> + Clone {
    let ty = balanced_type(project, opts);
    project.territories.iter().filter(move |t| t.type_id == ty)
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
    }
}

/// Builds the unit-level problem. `rebalance` = units get homes from the
/// current plan; otherwise every unlocked territory is to be replaced.
fn prepare(
    project: &Project,
    engine: &Engine,
    opts: &BalanceOptions,
    k_new: Option<usize>,
    progress: &Progress,
) -> Result<Prepared> {
    let a = &project.accounts;
    let load = account_loads(project, opts)?;
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
    let k = k_new.unwrap_or(districts.len());
    let district_of: HashMap<TerritoryId, u32> = districts
        .iter()
        .enumerate()
        .map(|(d, t)| (*t, d as u32))
        .collect();
    let bbox = extent(
        project,
        in_scope(project, opts).filter(|t| !is_locked(t, opts)),
    );
    progress.check()?;
    let all = base_units(&opts.units, bbox)?;
    progress.check()?;
    let n_all = all.len();
    // Account → unit, and per unit the load by current district.
    let unit_of: Vec<u32> = (0..a.len())
        .map(|i| {
            if a.removed[i] || !a.is_located(i) {
                NONE
            } else {
                all.locate(a.lon[i], a.lat[i]).unwrap_or(NONE)
            }
        })
        .collect();
    let locked_acc: std::collections::HashSet<u32> = opts.locked_accounts.iter().copied().collect();
    let mut fixed = vec![0.0; k];
    let mut pinned_load: HashMap<TerritoryId, f64> = HashMap::new();
    let mut pinned_accounts: Vec<u32> = Vec::new();
    let mut split: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
    let mut has_accounts = vec![false; n_all];
    let mut frozen = vec![false; n_all];
    let mut ruled_accounts = 0;
    for i in a.live() {
        let owner = engine.territory_of(i);
        let district = owner.and_then(|t| district_of.get(&t).copied());
        let owner_locked = owner
            .and_then(|t| project.territory(t))
            .is_some_and(|t| is_locked(t, opts));
        let u = unit_of[i];
        // A pin counts when the engine honours it (its territory exists).
        let pin = engine.pin_of(project, i);
        let pinned = pin.is_some() && (opts.keep_pins || owner_locked);
        // An account an attribute rule holds (one not limited to the
        // territory's boundary) stays with that territory whichever unit
        // its location goes to: in a rebalance its load is fixed there.
        let ruled = k_new.is_none()
            && engine.reason(i) == Reason::Rule
            && owner
                .and_then(|t| project.territory(t))
                .and_then(|t| t.rule.as_ref())
                .is_some_and(|r| !r.within_geometry);
        ruled_accounts += usize::from(ruled && !pinned && !owner_locked);
        if pinned || owner_locked || ruled {
            // Fixed load: pinned or locked accounts stay with their
            // territory. In generate the unlocked territories are replaced:
            // pins to them are loads of whichever new district takes their
            // territory over (see `from_scratch`).
            if k_new.is_none() {
                if let Some(d) = district {
                    fixed[d as usize] += load[i];
                }
            } else if let Some(t) = pin
                && !owner_locked
            {
                *pinned_load.entry(t).or_default() += load[i];
                pinned_accounts.push(i as u32);
            }
            continue;
        }
        if u == NONE {
            // Outside every unit: it will be in no unlocked territory.
            continue;
        }
        has_accounts[u as usize] = true;
        if locked_acc.contains(&(i as u32)) {
            frozen[u as usize] = true;
        }
        let d = if k_new.is_none() {
            district.unwrap_or(NONE)
        } else {
            NONE
        };
        let e = split.entry(u).or_default();
        match e.iter_mut().find(|x| x.0 == d) {
            Some(x) => x.1 += load[i],
            None => e.push((d, load[i])),
        }
    }
    progress.check()?;
    // Home of each unit and which units take part.
    let mut home = vec![NONE; n_all];
    let mut keep = vec![false; n_all];
    for u in 0..n_all {
        let s = split.get(&(u as u32));
        let (cx, cy) = all.centroids[u];
        let in_unlocked = engine
            .index()
            .locate(cx, cy)
            .filter(|t| unlocked.contains(t));
        match k_new {
            None => {
                home[u] = match s {
                    Some(s) => s
                        .iter()
                        .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
                        .map_or(NONE, |x| x.0),
                    None => in_unlocked
                        .and_then(|t| district_of.get(&t).copied())
                        .unwrap_or(NONE),
                };
                // Units with accounts all take part: the result is the
                // dissolve of units, so an account follows its unit.
                keep[u] = home[u] != NONE || has_accounts[u];
            }
            Some(_) => {
                let inside_box = cx >= bbox[0] && cx <= bbox[2] && cy >= bbox[1] && cy <= bbox[3];
                keep[u] = has_accounts[u]
                    || in_unlocked.is_some()
                    || (!matches!(opts.units, UnitLayer::Hex { .. }) && inside_box);
            }
        }
    }
    let mut units = all.subset(&keep);
    units.connect_components();
    let olds: Vec<usize> = (0..n_all).filter(|&u| keep[u]).collect();
    let total_w = |s: Option<&Vec<(u32, f64)>>| s.map_or(0.0, |s| s.iter().map(|x| x.1).sum());
    let problem_weight: Vec<f64> = olds
        .iter()
        .map(|&u| total_w(split.get(&(u as u32))))
        .collect();
    let movable: Vec<bool> = olds.iter().map(|&u| !frozen[u]).collect();
    let home: Vec<u32> = olds.iter().map(|&u| home[u]).collect();
    // Local km projection for distances.
    let lat0 = (bbox[1] + bbox[3]) / 2.0;
    let grid = HexGrid::new(1.0, (bbox[0] + bbox[2]) / 2.0, lat0.clamp(-80.0, 80.0));
    let xy: Vec<(f64, f64)> = units
        .centroids
        .iter()
        .map(|&(x, y)| grid.project(x, y))
        .collect();
    let (x0, y0) = grid.project(bbox[0], bbox[1]);
    let (x1, y1) = grid.project(bbox[2], bbox[3]);
    let area = ((x1 - x0).abs() * (y1 - y0).abs()).max(1.0);
    let radius_km = (area / (std::f64::consts::PI * k.max(1) as f64)).sqrt();
    let (group_of, rep) = group_units(&units, &problem_weight, &home);
    let groups = units.grouped(&group_of, rep.len(), &rep);
    let mut g_weight = vec![0.0; rep.len()];
    let mut g_movable = vec![true; rep.len()];
    for (u, &g) in group_of.iter().enumerate() {
        g_weight[g as usize] += problem_weight[u];
        g_movable[g as usize] &= movable[u];
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
        districts,
        problem_weight,
        home,
        fixed,
        pinned_load,
        pinned_accounts,
        ruled_accounts,
        radius_km,
        locked_geometry,
    })
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
    fn expand(&self, mut sol: Solution) -> Solution {
        sol.assign = self
            .group_of
            .iter()
            .map(|&g| sol.assign[g as usize])
            .collect();
        sol
    }

    fn problem(&self, opts: &BalanceOptions, k: usize, disruption: f64) -> Problem<'_> {
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
        }
    }
}

/// Union of unit shapes.
fn dissolve(units: &UnitSet, members: &[usize]) -> MultiPolygon<f64> {
    geo::unary_union(members.iter().map(|&u| &units.shapes[u]))
}

fn check_options(opts: &BalanceOptions) -> Result<()> {
    if !(opts.tolerance_pct.is_finite() && opts.tolerance_pct >= 0.0) {
        return Err(Error::invalid("the tolerance must be zero or more"));
    }
    if !(opts.disruption_weight.is_finite() && opts.disruption_weight >= 0.0) {
        return Err(Error::invalid("the disruption weight must be zero or more"));
    }
    Ok(())
}

/// Rebalances the plan's unlocked territories with minimal disruption. See
/// the module docs for the method.
pub fn rebalance(
    project: &Project,
    opts: &BalanceOptions,
    progress: &Progress,
) -> Result<Proposal> {
    check_options(opts)?;
    progress.set_total(6);
    progress.set_done(0);
    let mut tt = Instant::now();
    let before_ws = workspace_for(project, opts)?;
    trace("workspace", &mut tt);
    let prep = prepare(project, before_ws.engine(), opts, None, progress)?;
    trace("prepare", &mut tt);
    progress.set_done(1);
    let k = prep.districts.len();
    let mut p = prep.problem(opts, k, opts.disruption_weight);
    let home = p.home.clone();
    // Plans drawn with exclaves may keep them: no more pieces than now.
    p.pieces = solver::pieces(&p, &home)
        .iter()
        .map(|&n| n.max(1))
        .collect();
    let mut assign = home.clone();
    let mut centers: Vec<usize> = initial_centers(&p, &assign, k);
    let mut rounds = 0;
    if k > 0 && !p.xy.is_empty() {
        rounds = solver::locate_allocate(
            &p,
            &mut centers,
            &mut assign,
            p.aim_tol,
            p.aim_tol * 0.5,
            opts.rounds.max(1),
            progress,
        )?;
    }
    trace("locate-allocate", &mut tt);
    progress.set_done(3);
    let mut sol = solver::finish(&p, assign, &centers, rounds, false, progress)?;
    trace("finish", &mut tt);
    // The local search can stall in a local optimum where the disruption
    // cost kept heavy units home: balance comes first, so retry with a
    // smaller disruption weight and keep the first that meets the
    // tolerance (or the best balanced).
    if !sol.within_tolerance_where_feasible
        && k > 0
        && !p.xy.is_empty()
        && opts.disruption_weight > 0.0
    {
        for factor in [0.25, 0.0] {
            progress.check()?;
            let mut q = p.clone();
            q.disruption = opts.disruption_weight * factor;
            let mut assign = home.clone();
            let mut centers = initial_centers(&q, &assign, k);
            let r = solver::locate_allocate(
                &q,
                &mut centers,
                &mut assign,
                q.aim_tol,
                q.aim_tol * 0.5,
                opts.rounds.max(1),
                progress,
            )?;
            let s = solver::finish(&q, assign, &centers, r, false, progress)?;
            let better = s.contiguous
                && (s.within_tolerance_where_feasible
                    || feasible_dev_pct(&s) < feasible_dev_pct(&sol) - 0.5);
            if better {
                sol = s;
                sol.rounds += rounds;
                if sol.within_tolerance_where_feasible {
                    break;
                }
            }
        }
        trace("retries", &mut tt);
    }
    progress.set_done(4);
    progress.check()?;
    let notes = feasibility_notes(&p, &sol);
    let sol = prep.expand(sol);
    let edit = rebalance_edit(project, before_ws.engine(), opts, &prep, &sol);
    trace("edit (dissolve)", &mut tt);
    let mut proposal = propose(before_ws, edit, &prep, &sol, "Rebalance", progress)?;
    proposal.report.notes.splice(0..0, notes);
    if prep.ruled_accounts > 0 {
        proposal.report.notes.push(format!(
            "{} account(s) held by attribute rules stay in their rule's territory (their load counts there wherever the boundary moves)",
            prep.ruled_accounts
        ));
    }
    trace("propose", &mut tt);
    progress.set_done(6);
    Ok(proposal)
}

fn initial_centers(p: &Problem, assign: &[u32], k: usize) -> Vec<usize> {
    // The unit nearest each district's weighted mean.
    let mut centers = vec![usize::MAX; k];
    let mut acc = vec![(0.0, 0.0, 0.0); k];
    for (u, &d) in assign.iter().enumerate() {
        if d != NONE {
            let w = p.weight[u] + 1e-6;
            let e = &mut acc[d as usize];
            e.0 += w * p.xy[u].0;
            e.1 += w * p.xy[u].1;
            e.2 += w;
        }
    }
    let mut best = vec![f64::INFINITY; k];
    for (u, &d) in assign.iter().enumerate() {
        if d == NONE {
            continue;
        }
        let d = d as usize;
        let (mx, my) = (acc[d].0 / acc[d].2, acc[d].1 / acc[d].2);
        let dist = (p.xy[u].0 - mx).powi(2) + (p.xy[u].1 - my).powi(2);
        if dist < best[d] {
            best[d] = dist;
            centers[d] = u;
        }
    }
    // Districts without units get an arbitrary (first) unit as centre.
    for c in centers.iter_mut() {
        if *c == usize::MAX {
            *c = 0;
        }
    }
    centers
}

/// New shapes: every unlocked territory becomes the dissolve of its units
/// (so the map, the engine and the unit model agree exactly), unless no
/// unit moved, in which case nothing changes.
/// Pins the proposal removes (`keep_pins` off): those to unlocked
/// territories of accounts not in a locked territory.
fn released_pins(project: &Project, engine: &Engine, opts: &BalanceOptions) -> Vec<u32> {
    if opts.keep_pins {
        return Vec::new();
    }
    let a = &project.accounts;
    let locked = |t: Option<TerritoryId>| {
        t.and_then(|t| project.territory(t))
            .is_some_and(|t| is_locked(t, opts))
    };
    a.live()
        .filter(|&i| {
            let pin = engine.pin_of(project, i);
            pin.is_some() && !locked(pin) && !locked(engine.territory_of(i))
        })
        .map(|i| i as u32)
        .collect()
}

fn rebalance_edit(
    project: &Project,
    engine: &Engine,
    opts: &BalanceOptions,
    prep: &Prepared,
    sol: &Solution,
) -> Edit {
    // Only loaded units count: empty ones may join a neighbour's group.
    let any_moved = (0..prep.units.len())
        .any(|u| prep.problem_weight[u] > 0.0 && sol.assign[u] != prep.home[u]);
    let mut edits = Vec::new();
    let released = released_pins(project, engine, opts);
    if !released.is_empty() {
        edits.push(Edit::pin_all(engine.type_id(), released, None));
    }
    if any_moved {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); prep.districts.len()];
        for (u, &d) in sol.assign.iter().enumerate() {
            if d != NONE {
                members[d as usize].push(u);
            }
        }
        for (d, &tid) in prep.districts.iter().enumerate() {
            if project.territory(tid).is_none() {
                continue;
            }
            let geometry = dissolve(&prep.units, &members[d]).difference(&prep.locked_geometry);
            edits.push(Edit::SetGeometry { id: tid, geometry });
        }
    }
    Edit::Batch {
        label: "Rebalance territories".into(),
        edits,
    }
}

/// Applies `edit` to a copy and measures the outcome with the real engine.
fn propose(
    before_ws: Workspace,
    edit: Edit,
    prep: &Prepared,
    sol: &Solution,
    what: &str,
    progress: &Progress,
) -> Result<Proposal> {
    let mut tt = Instant::now();
    let before = before_ws.metrics();
    trace("  before metrics", &mut tt);
    let mut after_ws = before_ws.clone();
    trace("  clone", &mut tt);
    after_ws.apply(edit.clone())?;
    trace("  apply", &mut tt);
    progress.set_done(5);
    let after = after_ws.metrics();
    trace("  after metrics", &mut tt);
    let mut report = DisruptionReport::measure(&before_ws, &after_ws);
    trace("  report", &mut tt);
    report.units = prep.units.len();
    report.units_moved = (0..prep.units.len())
        .filter(|&u| prep.home[u] != NONE && sol.assign[u] != prep.home[u])
        .count();
    report.bridges = prep.units.bridges;
    report.within_tolerance = sol.within_tolerance;
    report.within_tolerance_where_feasible = sol.within_tolerance_where_feasible;
    report.infeasible_territories = sol.infeasible.len();
    report.contiguous = sol.contiguous;
    report.rounds = sol.rounds;
    report.local_moves = sol.moves;
    report.unit_cv_pct = cv_pct(&sol.loads);
    if !sol.within_tolerance_where_feasible {
        report.notes.push(format!(
            "{what}: the search did not bring every territory within ±{}% (worst {:.1}% off the mean on the unit model): units are indivisible (try smaller units or a wider tolerance)",
            p_tol_pct(sol),
            sol_tol_pct(sol)
        ));
    }
    if after.cv_pct > before.cv_pct + 0.05 || after.out_of_tolerance > before.out_of_tolerance {
        report.notes.push(format!(
            "{what}: the proposal is LESS balanced than the plan as it is (CV {:.1}% to {:.1}%, out of tolerance {} to {}): these units are too coarse for this plan; use smaller units or discard",
            before.cv_pct, after.cv_pct, before.out_of_tolerance, after.out_of_tolerance
        ));
    }
    if !sol.contiguous {
        report
            .notes
            .push(format!("{what}: some territories are not contiguous"));
    }
    if prep.units.bridges > 0 {
        report.notes.push(format!(
            "{} island group(s) joined to their nearest neighbour for contiguity",
            prep.units.bridges
        ));
    }
    Ok(Proposal {
        edit,
        report,
        before,
        after,
    })
}

/// Phase timings on stderr when `TURFMAP_TRACE_BALANCE` is set.
pub(crate) fn trace(what: &str, t: &mut Instant) {
    if std::env::var_os("TURFMAP_TRACE_BALANCE").is_some() {
        eprintln!("    {what:<24} {:>7.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    *t = Instant::now();
}

fn p_tol_pct(sol: &Solution) -> String {
    format!("{}", (sol.tol * 1000.0).round() / 10.0)
}

/// Why some territories cannot be within tolerance, in words: units (or
/// fixed loads) heavier than the upper limit.
fn feasibility_notes(p: &Problem, sol: &Solution) -> Vec<String> {
    let mut notes = Vec::new();
    let target = sol.target.max(1e-12);
    if !sol.heavy_units.is_empty() {
        let list: Vec<String> = sol
            .heavy_units
            .iter()
            .take(5)
            .map(|&u| {
                format!(
                    "{} ({:.0}% of the mean)",
                    p.units.labels[u],
                    p.weight[u] / target * 100.0
                )
            })
            .collect();
        notes.push(format!(
            "infeasible: {} unit(s) alone exceed the upper limit (mean +{}%): {}{}; the territories holding them cannot be within tolerance (use smaller units)",
            sol.heavy_units.len(),
            p_tol_pct(sol),
            list.join(", "),
            if sol.heavy_units.len() > 5 { ", …" } else { "" }
        ));
    }
    let hi = target * (1.0 + sol.tol);
    // The others share what the infeasible ones leave: if their mean is
    // itself outside the band, none of them can be within tolerance.
    let k = sol.loads.len();
    let h = sol.infeasible.len();
    if h > 0 && h < k {
        let rest: f64 = (0..k)
            .filter(|d| !sol.infeasible.contains(&(*d as u32)))
            .map(|d| sol.loads[d])
            .sum::<f64>()
            / (k - h) as f64;
        let off = (rest - target) / target * 100.0;
        if off.abs() > sol.tol * 100.0 {
            notes.push(format!(
                "infeasible: the other territories average {off:+.1}% off the mean, so they cannot be within tolerance either"
            ));
        }
    }
    let fixed_over = p.fixed.iter().filter(|&&f| f > hi + 1e-9).count();
    if fixed_over > 0 {
        notes.push(format!(
            "infeasible: in {fixed_over} territory(ies) pinned or locked accounts alone exceed the upper limit"
        ));
    }
    notes
}

/// Largest deviation (%) of a district that could be within tolerance.
fn feasible_dev_pct(sol: &Solution) -> f64 {
    sol.loads
        .iter()
        .enumerate()
        .filter(|(d, _)| !sol.infeasible.contains(&(*d as u32)))
        .map(|(_, l)| ((l - sol.target) / sol.target.max(1e-12) * 100.0).abs())
        .fold(0.0, f64::max)
}

fn sol_tol_pct(sol: &Solution) -> f64 {
    sol.loads
        .iter()
        .map(|l| ((l - sol.target) / sol.target.max(1e-12) * 100.0).abs())
        .fold(0.0, f64::max)
}

fn cv_pct(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if m == 0.0 {
        return 0.0;
    }
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt() / m * 100.0
}

/// Generates `k` territories from scratch (replacing every unlocked one),
/// balanced, compact and contiguous. `seeds` (lon, lat), e.g. reps' home
/// locations, start the centres; missing ones are chosen by k-means++.
/// New territories take over the old ones they overlap most (keeping ids,
/// names and reps), the rest take over the remaining old ones while any are
/// left; surplus old ones are removed.
///
/// With [`BalanceOptions::keep_pins`], accounts pinned to an unlocked
/// territory keep their pin and their load counts in the new territory that
/// takes that territory over (matched after location–allocation, which then
/// runs again around those loads); pins to territories that go are removed
/// and the report says how many.
pub fn generate(
    project: &Project,
    k: usize,
    opts: &BalanceOptions,
    seeds: &[(f64, f64)],
    progress: &Progress,
) -> Result<Proposal> {
    from_scratch(project, k, opts, seeds, true, progress)
}

/// Plain balanced k-means from scratch (location–allocation without
/// disruption cost, contiguity repair or local search): the baseline that
/// [`generate`] and [`rebalance`] are compared with.
pub fn balanced_kmeans(
    project: &Project,
    k: usize,
    opts: &BalanceOptions,
    progress: &Progress,
) -> Result<Proposal> {
    from_scratch(project, k, opts, &[], false, progress)
}

fn from_scratch(
    project: &Project,
    k: usize,
    opts: &BalanceOptions,
    seeds: &[(f64, f64)],
    full: bool,
    progress: &Progress,
) -> Result<Proposal> {
    check_options(opts)?;
    if k == 0 {
        return Err(Error::invalid("ask for at least one territory"));
    }
    progress.set_total(6);
    progress.set_done(0);
    let mut tt = Instant::now();
    let before_ws = workspace_for(project, opts)?;
    trace("workspace", &mut tt);
    let prep = prepare(project, before_ws.engine(), opts, Some(k), progress)?;
    trace("prepare", &mut tt);
    progress.set_done(1);
    let mut p = prep.problem(opts, k, 0.0);
    let n = p.xy.len();
    // Seed points → nearest units; the rest by k-means++.
    let mut centers: Vec<usize> = Vec::new();
    for &(lon, lat) in seeds.iter().take(k) {
        let c = prep
            .groups
            .locate(lon, lat)
            .map(|u| u as usize)
            .or_else(|| {
                (0..n).min_by(|&a, &b| {
                    let da =
                        crate::core::geometry::haversine_km(prep.groups.centroids[a], (lon, lat));
                    let db =
                        crate::core::geometry::haversine_km(prep.groups.centroids[b], (lon, lat));
                    da.total_cmp(&db)
                })
            });
        if let Some(c) = c
            && !centers.contains(&c)
        {
            centers.push(c);
        }
    }
    if centers.len() < k {
        for c in solver::kmeanspp(&p, k, opts.seed) {
            if centers.len() >= k.min(n) {
                break;
            }
            if !centers.contains(&c) {
                centers.push(c);
            }
        }
    }
    let kk = centers.len();
    let mut assign = vec![NONE; n];
    let mut rounds = 0;
    let (band, aim) = if full { (p.tol * 0.5, 0.0) } else { (0.0, 0.0) };
    if kk > 0 {
        rounds = solver::locate_allocate(
            &p,
            &mut centers,
            &mut assign,
            band,
            aim,
            opts.rounds.max(1) * 2,
            progress,
        )?;
    }
    trace("locate-allocate", &mut tt);
    // Kept pins: which new district takes over which old territory decides
    // where pinned load lands, so match now, count that load as fixed, and
    // allocate again around it (then match once more).
    let pins = !prep.pinned_load.is_empty();
    let mut new_to_old = Vec::new();
    if pins && kk > 0 {
        new_to_old = match_districts(project, before_ws.engine(), opts, &prep, &assign, k);
        pinned_fixed(project, opts, &prep, &new_to_old, &mut p.fixed);
        rounds += solver::locate_allocate(
            &p,
            &mut centers,
            &mut assign,
            band,
            aim,
            opts.rounds.max(1),
            progress,
        )?;
        new_to_old = match_districts(project, before_ws.engine(), opts, &prep, &assign, k);
        pinned_fixed(project, opts, &prep, &new_to_old, &mut p.fixed);
        trace("pins", &mut tt);
    }
    progress.set_done(3);
    let sol = if full {
        solver::finish(&p, assign, &centers, rounds, true, progress)?
    } else {
        let loads = p.loads(&assign);
        let target = p.target();
        let pieces = solver::pieces(&p, &assign);
        let heavy_units = p.heavy_units();
        let infeasible = p.infeasible(&assign, &heavy_units);
        let ok = |d: usize| (loads[d] - target).abs() <= p.tol * target + 1e-9;
        Solution {
            within_tolerance: (0..k).all(ok),
            within_tolerance_where_feasible: (0..k)
                .all(|d| ok(d) || infeasible.contains(&(d as u32))),
            infeasible,
            heavy_units,
            tol: p.tol,
            contiguous: pieces.iter().all(|&c| c <= 1),
            assign,
            loads,
            target,
            rounds,
            moves: 0,
        }
    };
    progress.set_done(4);
    let mut notes = feasibility_notes(&p, &sol);
    if kk < k {
        notes.push(format!(
            "only {kk} territories: only {n} units hold accounts (use smaller units)"
        ));
    }
    trace("finish", &mut tt);
    if !pins {
        new_to_old = match_districts(project, before_ws.engine(), opts, &prep, &sol.assign, k);
    }
    if pins {
        let old = unlocked(project, opts);
        let mut used_old = vec![false; old.len()];
        for &o in new_to_old.iter().flatten() {
            used_old[o] = true;
        }
        let kept = prep.pinned_accounts.len();
        let gone = gone_pins(project, opts, &prep, &used_old).len();
        notes.push(format!(
            "{} pinned account(s) stay pinned: their load counts in the territory they are pinned to{}",
            kept - gone,
            if gone > 0 {
                format!("; {gone} pin(s) to territories that go are removed")
            } else {
                String::new()
            }
        ));
    }
    let sol = prep.expand(sol);
    let edit = scratch_edit(project, opts, &prep, &sol, k, full, &new_to_old)?;
    trace("edit (dissolve)", &mut tt);
    let mut proposal = propose(
        before_ws,
        edit,
        &prep,
        &sol,
        if full { "Generate" } else { "Balanced k-means" },
        progress,
    )?;
    proposal.report.notes.extend(notes);
    progress.set_done(6);
    Ok(proposal)
}

/// Matches new districts to the unlocked territories they replace (which
/// keep their ids, names and reps): by the accounts they share, greedily
/// from the largest overlap. Pinned accounts kept by `keep_pins` do not
/// vote: where they go is their pin's business. `assign` is per group.
/// Returns per district the position in [`unlocked`] it takes over.
fn match_districts(
    project: &Project,
    engine: &Engine,
    opts: &BalanceOptions,
    prep: &Prepared,
    assign: &[u32],
    k: usize,
) -> Vec<Option<usize>> {
    let a = &project.accounts;
    let old = unlocked(project, opts);
    let old_pos: HashMap<TerritoryId, usize> =
        old.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut skip = vec![false; a.len()];
    for &i in &prep.pinned_accounts {
        skip[i as usize] = true;
    }
    // Overlap (accounts) between new district d and old territory o.
    let mut overlap: HashMap<(u32, usize), f64> = HashMap::new();
    for i in a.live() {
        if !a.is_located(i) || skip[i] {
            continue;
        }
        let (Some(u), Some(t)) = (
            prep.units.locate(a.lon[i], a.lat[i]),
            engine.territory_of(i),
        ) else {
            continue;
        };
        let d = assign[prep.group_of[u as usize] as usize];
        if let Some(&o) = old_pos.get(&t)
            && d != NONE
        {
            *overlap.entry((d, o)).or_default() += 1.0;
        }
    }
    let mut pairs: Vec<((u32, usize), f64)> = overlap.into_iter().collect();
    pairs.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    let mut new_to_old = vec![None; k];
    let mut used_old = vec![false; old.len()];
    for ((d, o), _) in pairs {
        if (d as usize) < k && new_to_old[d as usize].is_none() && !used_old[o] {
            new_to_old[d as usize] = Some(o);
            used_old[o] = true;
        }
    }
    // Districts sharing no accounts with a free old territory still take
    // one over (rather than a new one appearing while an old one goes),
    // those with pinned load first so that pins keep their territory.
    let mut free: Vec<usize> = (0..old.len()).filter(|&o| !used_old[o]).collect();
    let pinned = |o: usize| prep.pinned_load.get(&old[o].id).copied().unwrap_or(0.0);
    free.sort_by(|&x, &y| pinned(y).total_cmp(&pinned(x)).then(x.cmp(&y)));
    let mut free = free.into_iter();
    let used: Vec<bool> = (0..k).map(|d| assign.contains(&(d as u32))).collect();
    for d in 0..k {
        if new_to_old[d].is_none() && used[d] {
            new_to_old[d] = free.next();
        }
    }
    new_to_old
}

/// The unlocked territories, in plan order.
fn unlocked<'p>(project: &'p Project, opts: &BalanceOptions) -> Vec<&'p Territory> {
    in_scope(project, opts)
        .filter(|t| !is_locked(t, opts))
        .collect()
}

/// Fixed loads of the new districts: the load pinned to the territory each
/// takes over.
fn pinned_fixed(
    project: &Project,
    opts: &BalanceOptions,
    prep: &Prepared,
    new_to_old: &[Option<usize>],
    fixed: &mut [f64],
) {
    let old = unlocked(project, opts);
    for (d, f) in fixed.iter_mut().enumerate() {
        *f = new_to_old
            .get(d)
            .copied()
            .flatten()
            .and_then(|o| prep.pinned_load.get(&old[o].id))
            .copied()
            .unwrap_or(0.0);
    }
}

/// Kept pinned accounts whose territory no new district takes over.
fn gone_pins(
    project: &Project,
    opts: &BalanceOptions,
    prep: &Prepared,
    used_old: &[bool],
) -> Vec<u32> {
    let old = unlocked(project, opts);
    let ty = balanced_type(project, opts);
    prep.pinned_accounts
        .iter()
        .copied()
        .filter(|&i| {
            project
                .pin_in_type(i as usize, ty)
                .and_then(|t| old.iter().position(|o| o.id == t))
                .is_some_and(|o| !used_old[o])
        })
        .collect()
}

/// Edits replacing unlocked territories by the generated districts.
fn scratch_edit(
    project: &Project,
    opts: &BalanceOptions,
    prep: &Prepared,
    sol: &Solution,
    k: usize,
    full: bool,
    new_to_old: &[Option<usize>],
) -> Result<Edit> {
    let ty = balanced_type(project, opts);
    let engine_ws = Engine::for_type(project, ty);
    let old = unlocked(project, opts);
    let mut used_old = vec![false; old.len()];
    for &o in new_to_old.iter().flatten() {
        used_old[o] = true;
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (u, &d) in sol.assign.iter().enumerate() {
        if d != NONE {
            members[d as usize].push(u);
        }
    }
    let mut edits = Vec::new();
    let mut released = released_pins(project, &engine_ws, opts);
    // Kept pins to territories that go would point nowhere: released.
    released.extend(gone_pins(project, opts, prep, &used_old));
    if !released.is_empty() {
        released.sort_unstable();
        released.dedup();
        edits.push(Edit::pin_all(ty, released, None));
    }
    for (o, t) in old.iter().enumerate() {
        if !used_old[o] {
            edits.push(Edit::RemoveTerritory { id: t.id });
        }
    }
    let mut names: Vec<String> = project
        .territories
        .iter()
        .filter(|t| {
            is_locked(t, opts)
                || old
                    .iter()
                    .position(|o| o.id == t.id)
                    .is_some_and(|o| used_old[o])
        })
        .map(|t| t.name.clone())
        .collect();
    let mut next_id = project.next_territory_id;
    let width = k.to_string().len().max(2);
    let mut counter = 0;
    for (d, m) in members.iter().enumerate() {
        let geometry = dissolve(&prep.units, m).difference(&prep.locked_geometry);
        match new_to_old[d] {
            Some(o) => edits.push(Edit::SetGeometry {
                id: old[o].id,
                geometry,
            }),
            None => {
                if m.is_empty() {
                    continue;
                }
                let name = loop {
                    counter += 1;
                    let n = format!("Territory {counter:0width$}");
                    if !names.contains(&n) {
                        break n;
                    }
                };
                names.push(name.clone());
                let id = TerritoryId(next_id);
                next_id += 1;
                let mut territory = Territory::new(id, name, geometry);
                territory.type_id = ty;
                edits.push(Edit::AddTerritory {
                    territory,
                    position: usize::MAX,
                });
            }
        }
    }
    Ok(Edit::Batch {
        label: if full {
            format!("Generate {k} territories")
        } else {
            format!("Balanced k-means ({k})")
        },
        edits,
    })
}
