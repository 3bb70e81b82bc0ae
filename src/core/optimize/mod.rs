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
//!    current territory. It is solved through its dual prices (a power
//!    diagram; Aurenhammer, Hoffmann & Aronov 1998) by the auction method
//!    for transportation problems (Bertsekas & Castañón 1989), which for a
//!    few dozen centres and thousands of units is far faster than a generic
//!    min-cost-flow solver and gives the same LP optimum up to the rounding
//!    of split units.
//! 2. **Location** — each centre moves to its district's weighted medoid;
//!    1–2 repeat until the centres stop moving.
//! 3. **Contiguity repair** — enclaves and fragments join the adjacent
//!    territory they share most boundary with.
//! 4. **Local search** — boundary units move between adjacent territories,
//!    never disconnecting one, until every territory is within tolerance
//!    (cf. Ricca & Simeone 2008, "Local search algorithms for political
//!    districting", *EJOR* 189). Moves are ranked by disruption and
//!    compactness cost per unit of balance gained.
//!
//! Units are indivisible, so perfect balance can be infeasible: the
//! [`DisruptionReport`] says whether the tolerance was met.
//!
//! # Existing plans
//!
//! A unit belongs to the territory that holds most of its balance load
//! (by the engine's current assignment), or, when empty, the one containing
//! its centre. Locked territories (their flag or [`BalanceOptions::locked`])
//! keep their exact geometry and their units are left out. Pinned accounts,
//! accounts of locked territories and accounts outside every unit are
//! fixed loads of their territory. Units holding a locked account
//! ([`BalanceOptions::locked_accounts`]) never move. A rebalanced territory's
//! new shape is its old shape minus the units that moved away plus the
//! units that moved in, so boundaries that did not move stay exactly as
//! drawn; generated territories are the dissolve of their units.
//!
//! # The result
//!
//! A [`Proposal`]: one [`Edit::Batch`] (accept = [`Workspace::apply`], one
//! undo step), a [`DisruptionReport`] measured by running the real engine
//! on the edited plan, and before/after [`PlanMetrics`].

mod report;
pub mod solver;

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use geo::{BooleanOps, BoundingRect, MultiPolygon};

pub use report::{DisruptionReport, RepDisruption, TerritoryDisruption};

use super::edit::Edit;
use super::engine::Engine;
use super::error::{Error, Result};
use super::metrics::PlanMetrics;
use super::model::{BalanceMeasure, Project, Territory, TerritoryId};
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
struct Prepared {
    units: UnitSet,
    /// District → territory (unlocked territories, plan order).
    districts: Vec<TerritoryId>,
    problem_weight: Vec<f64>,
    home: Vec<u32>,
    home_split: Vec<Vec<(u32, f64)>>,
    movable: Vec<bool>,
    fixed: Vec<f64>,
    xy: Vec<(f64, f64)>,
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
    let unlocked: Vec<TerritoryId> = project
        .territories
        .iter()
        .filter(|t| !is_locked(t, opts))
        .map(|t| t.id)
        .collect();
    let locked_geometry = MultiPolygon(
        project
            .territories
            .iter()
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
        project.territories.iter().filter(|t| !is_locked(t, opts)),
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
    let mut split: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
    let mut has_accounts = vec![false; n_all];
    let mut frozen = vec![false; n_all];
    for i in a.live() {
        let owner = engine.territory_of(i);
        let district = owner.and_then(|t| district_of.get(&t).copied());
        let owner_locked = owner
            .and_then(|t| project.territory(t))
            .is_some_and(|t| is_locked(t, opts));
        let u = unit_of[i];
        let pinned = a.pinned[i].is_some() && (k_new.is_none() || owner_locked);
        if pinned || owner_locked {
            // Fixed load: pinned or locked accounts stay with their
            // territory (in generate unlocked territories go, so only pins
            // to locked ones count).
            if let Some(d) = district
                && k_new.is_none()
            {
                fixed[d as usize] += load[i];
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
    // Result shapes are dissolves of whole units, so a unit's accounts
    // always go together (no split while at home).
    let home_split: Vec<Vec<(u32, f64)>> = vec![Vec::new(); olds.len()];
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
    Ok(Prepared {
        units,
        districts,
        problem_weight,
        home,
        home_split,
        movable,
        fixed,
        xy,
        radius_km,
        locked_geometry,
    })
}

impl Prepared {
    fn problem(&self, opts: &BalanceOptions, k: usize, disruption: f64) -> Problem<'_> {
        let mut fixed = self.fixed.clone();
        fixed.resize(k, 0.0);
        Problem {
            units: &self.units,
            xy: self.xy.clone(),
            weight: self.problem_weight.clone(),
            home: self.home.clone(),
            home_split: self.home_split.clone(),
            movable: self.movable.clone(),
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
    let before_ws = Workspace::new(project.clone());
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
            p.tol,
            p.tol * 0.5,
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
    if !sol.within_tolerance && k > 0 && !p.xy.is_empty() && opts.disruption_weight > 0.0 {
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
                q.tol,
                q.tol * 0.5,
                opts.rounds.max(1),
                progress,
            )?;
            let s = solver::finish(&q, assign, &centers, r, false, progress)?;
            let better =
                s.contiguous && (s.within_tolerance || sol_tol_pct(&s) < sol_tol_pct(&sol) - 0.5);
            if better {
                sol = s;
                sol.rounds += rounds;
                if sol.within_tolerance {
                    break;
                }
            }
        }
        trace("retries", &mut tt);
    }
    progress.set_done(4);
    progress.check()?;
    let edit = rebalance_edit(project, &prep, &sol);
    trace("edit (dissolve)", &mut tt);
    let proposal = propose(before_ws, edit, &prep, &sol, "Rebalance", progress)?;
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
fn rebalance_edit(project: &Project, prep: &Prepared, sol: &Solution) -> Edit {
    let any_moved = (0..prep.units.len()).any(|u| sol.assign[u] != prep.home[u]);
    let mut edits = Vec::new();
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
    report.contiguous = sol.contiguous;
    report.rounds = sol.rounds;
    report.local_moves = sol.moves;
    report.unit_cv_pct = cv_pct(&sol.loads);
    if !sol.within_tolerance {
        report.notes.push(format!(
            "{what}: not every territory is within ±{:.1}%: units are indivisible (use smaller units or a wider tolerance)",
            sol_tol_pct(sol)
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
/// names and reps); surplus old ones are removed.
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
    let before_ws = Workspace::new(project.clone());
    trace("workspace", &mut tt);
    let prep = prepare(project, before_ws.engine(), opts, Some(k), progress)?;
    trace("prepare", &mut tt);
    progress.set_done(1);
    let p = prep.problem(opts, k, 0.0);
    let n = p.xy.len();
    // Seed points → nearest units; the rest by k-means++.
    let mut centers: Vec<usize> = Vec::new();
    for &(lon, lat) in seeds.iter().take(k) {
        let c = prep.units.locate(lon, lat).map(|u| u as usize).or_else(|| {
            let lat0 = prep.units.centroids.first().map_or(0.0, |c| c.1);
            (0..n).min_by(|&a, &b| {
                let da = crate::core::geometry::haversine_km(prep.units.centroids[a], (lon, lat));
                let db = crate::core::geometry::haversine_km(prep.units.centroids[b], (lon, lat));
                let _ = lat0;
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
    if kk > 0 {
        let (band, aim) = if full { (p.tol * 0.5, 0.0) } else { (0.0, 0.0) };
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
    progress.set_done(3);
    let sol = if full {
        solver::finish(&p, assign, &centers, rounds, true, progress)?
    } else {
        let loads = p.loads(&assign);
        let target = p.target();
        let pieces = solver::pieces(&p, &assign);
        Solution {
            within_tolerance: loads
                .iter()
                .all(|l| (l - target).abs() <= p.tol * target + 1e-9),
            contiguous: pieces.iter().all(|&c| c <= 1),
            assign,
            loads,
            target,
            rounds,
            moves: 0,
        }
    };
    progress.set_done(4);
    let mut notes = Vec::new();
    if kk < k {
        notes.push(format!(
            "only {kk} territories: there are only {n} units (use smaller units)"
        ));
    }
    trace("finish", &mut tt);
    let edit = scratch_edit(project, opts, &prep, &sol, k, full)?;
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

/// Edits replacing unlocked territories by the generated districts.
fn scratch_edit(
    project: &Project,
    opts: &BalanceOptions,
    prep: &Prepared,
    sol: &Solution,
    k: usize,
    full: bool,
) -> Result<Edit> {
    let a = &project.accounts;
    let engine_ws = Engine::new(project);
    let old: Vec<&Territory> = project
        .territories
        .iter()
        .filter(|t| !is_locked(t, opts))
        .collect();
    let old_pos: HashMap<TerritoryId, usize> =
        old.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    // Overlap (accounts) between new district d and old territory o.
    let mut overlap: HashMap<(u32, usize), f64> = HashMap::new();
    for i in a.live() {
        if !a.is_located(i) {
            continue;
        }
        let (Some(u), Some(t)) = (
            prep.units.locate(a.lon[i], a.lat[i]),
            engine_ws.territory_of(i),
        ) else {
            continue;
        };
        if let (Some(&o), d) = (old_pos.get(&t), sol.assign[u as usize])
            && d != NONE
        {
            *overlap.entry((d, o)).or_default() += 1.0;
        }
    }
    let mut pairs: Vec<((u32, usize), f64)> = overlap.into_iter().collect();
    pairs.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    let mut new_to_old: HashMap<u32, usize> = HashMap::new();
    let mut used_old = vec![false; old.len()];
    for ((d, o), _) in pairs {
        if !new_to_old.contains_key(&d) && !used_old[o] {
            new_to_old.insert(d, o);
            used_old[o] = true;
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (u, &d) in sol.assign.iter().enumerate() {
        if d != NONE {
            members[d as usize].push(u);
        }
    }
    let mut edits = Vec::new();
    for (o, t) in old.iter().enumerate() {
        if !used_old[o] {
            edits.push(Edit::RemoveTerritory { id: t.id });
        }
    }
    let mut names: Vec<String> = project
        .territories
        .iter()
        .filter(|t| is_locked(t, opts) || old_pos.get(&t.id).is_some_and(|&o| used_old[o]))
        .map(|t| t.name.clone())
        .collect();
    let mut next_id = project.next_territory_id;
    let width = k.to_string().len().max(2);
    let mut counter = 0;
    for (d, m) in members.iter().enumerate() {
        let geometry = dissolve(&prep.units, m).difference(&prep.locked_geometry);
        match new_to_old.get(&(d as u32)) {
            Some(&o) => edits.push(Edit::SetGeometry {
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
                edits.push(Edit::AddTerritory {
                    territory: Territory::new(id, name, geometry),
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

/// Prints quality and speed figures of rebalance, generate and the k-means
/// baseline on the sample plan and on a 100,000-account synthetic plan
/// (`turfmap bench-balance`).
pub fn bench(out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    writeln!(
        out,
        "turfmap bench-balance{}",
        if cfg!(debug_assertions) {
            " (DEBUG BUILD: use --release)"
        } else {
            ""
        }
    )
    .map_err(io)?;
    let sample = super::project_file::load(&super::assets::sample_plan())?;
    let synth = super::synth::synthetic_plan(100_000, 50, 42);
    for (name, project, hex) in [
        ("sample", &sample, 40.0),
        ("synthetic 100k/50", &synth, 25.0),
    ] {
        for units in [UnitLayer::Hex { size_km: hex }, UnitLayer::Counties] {
            let opts = BalanceOptions {
                units: units.clone(),
                ..BalanceOptions::default()
            };
            let progress = Progress::new();
            let k = project.territories.len();
            let t = Instant::now();
            let r = rebalance(project, &opts, &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "rebalance", &units, &r, dt).map_err(io)?;
            let t = Instant::now();
            let g = generate(project, k, &opts, &[], &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "generate", &units, &g, dt).map_err(io)?;
            let t = Instant::now();
            let b = balanced_kmeans(project, k, &opts, &progress)?;
            let dt = t.elapsed().as_secs_f64();
            print_line(out, name, "balanced k-means", &units, &b, dt).map_err(io)?;
        }
    }
    Ok(())
}

fn print_line(
    out: &mut dyn Write,
    plan: &str,
    what: &str,
    units: &UnitLayer,
    p: &Proposal,
    secs: f64,
) -> std::io::Result<()> {
    let r = &p.report;
    writeln!(
        out,
        "{plan:<18} {what:<17} {:<16} {:>7.0} ms  CV {:>5.2}% → {:>5.2}%  out of ±{}%: {:>2} → {:>2}  max dev {:>5.1}%  moved {:>6} accts ({:>5.1}% of {})  units {} (moved {})  contiguous {}  within tol {}",
        units.to_string(),
        secs * 1e3,
        p.before.cv_pct,
        p.after.cv_pct,
        p.after.tolerance_pct,
        p.before.out_of_tolerance,
        p.after.out_of_tolerance,
        p.after
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(0.0, f64::max),
        r.accounts_moved,
        r.balance_moved_pct,
        p.after.balance_measure,
        r.units,
        r.units_moved,
        if r.contiguous { "yes" } else { "NO" },
        if r.within_tolerance { "yes" } else { "NO" },
    )
}
