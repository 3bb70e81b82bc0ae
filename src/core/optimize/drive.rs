//! Balancing by drive time: generate and rebalance with the drive time from
//! each district's home base (its rep's) in place of the squared
//! great-circle distance to its centre.
//!
//! With [`BalanceOptions::drive_time`] the assignment cost of a unit to a
//! district that has a home base is the load-weighted mean drive time from
//! that home to the unit's accounts (up to [`SAMPLE`] of them, evenly
//! spread; the unit's centre when it holds none), counted in typical
//! territory radii driven at the plan's straight-line speed, doubled (so
//! that at one radius a minute more costs what a kilometre more costs in
//! the squared great-circle cost). The cost is linear in drive time, so the solver's objective (load × cost, summed)
//! is the workload-weighted total drive time; and a unit on the fastest
//! road from a home to a unit of that home's district is itself nearer
//! that home than any other, so districts follow the roads. A district
//! without a home base (no rep with a home; generate beyond the number of
//! homes) costs the straight line from its centre on the same scale.
//! Balance is kept as before (dual prices, local search): a unit goes to
//! the home nearest by road unless balance pays for another, which is
//! what [`from_reps`] ("drive-time territories") asks for.
//!
//! The disruption weight keeps its meaning in cost units: with drive time
//! one unit is half a typical radius of driving (not a squared radius).
//! Generate does not polish balance beyond the tolerance: inside it, drive
//! time is what counts.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::prepare::{Prepared, account_loads};
use super::solver::DriveCost;
use super::{BalanceOptions, Proposal, workspace_for};
use crate::core::drive::home_of;
use crate::core::edit::{Edit, TerritoryProps};
use crate::core::error::{Error, Result};
use crate::core::model::{BalanceMeasure, Project, RepId, TerritoryId};
use crate::core::progress::Progress;
use crate::core::travel::Router;
use crate::core::workload::{self, COLUMN};
use crate::core::workspace::Workspace;

/// `(lon, lat)`.
type Point = (f64, f64);

/// Accounts per unit whose drive times make the unit's cost.
pub const SAMPLE: usize = 24;

/// Drive-time balancing, on when set in [`BalanceOptions::drive_time`].
#[derive(Clone, Default)]
pub struct DriveTime {
    /// The roads to drive on; `None` = the plan's travel settings and the
    /// bundled roads ([`workload::router`]; the first load can take
    /// seconds).
    pub router: Option<Router>,
}

impl std::fmt::Debug for DriveTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriveTime")
            .field("router", &self.router.as_ref().map(|_| "given"))
            .finish()
    }
}

impl PartialEq for DriveTime {
    fn eq(&self, o: &Self) -> bool {
        match (&self.router, &o.router) {
            (None, None) => true,
            (Some(a), Some(b)) => match (a.network(), b.network()) {
                (Some(x), Some(y)) => std::ptr::eq(x, y),
                (x, y) => x.is_none() && y.is_none(),
            },
            _ => false,
        }
    }
}

/// Drive time of one balancing run: the roads, and what it reports.
pub(super) struct Ctx {
    router: Router,
}

/// Drive totals of a plan: accounts counted and their minutes.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    accounts: usize,
    minutes: f64,
    without_home: usize,
}

impl Ctx {
    /// The roads for `opts` (`None` when drive time is off).
    pub(super) fn new(project: &Project, opts: &BalanceOptions) -> Result<Option<Self>> {
        let Some(dt) = &opts.drive_time else {
            return Ok(None);
        };
        let router = match &dt.router {
            Some(r) => r.clone(),
            None => workload::router(project)?,
        };
        Ok(Some(Self { router }))
    }

    /// The drive costs of the solver's units from `homes` (per district).
    pub(super) fn costs(
        &self,
        project: &Project,
        opts: &BalanceOptions,
        prep: &Prepared,
        homes: &[Option<(f64, f64)>],
    ) -> Result<Arc<DriveCost>> {
        let samples = samples(project, opts, prep)?;
        let points: Vec<(f64, f64)> = samples.iter().flatten().map(|s| s.0).collect();
        let snaps = self.router.snap_all(&points);
        let mut uniq: Vec<(f64, f64)> = Vec::new();
        for &h in homes.iter().flatten() {
            if !uniq.contains(&h) {
                uniq.push(h);
            }
        }
        let minutes: Vec<Vec<f32>> = uniq
            .par_iter()
            .map(|&h| {
                let tree = self.router.tree(h, u64::MAX);
                let mut k = 0;
                samples
                    .iter()
                    .map(|s| {
                        let (mut sum, mut w) = (0.0, 0.0);
                        for &(p, wt) in s {
                            let t = self.router.trip_from(&tree, p, snaps[k].as_ref());
                            k += 1;
                            sum += wt * t.minutes;
                            w += wt;
                        }
                        (sum / w.max(1e-12)) as f32
                    })
                    .collect()
            })
            .collect();
        let row_of = homes
            .iter()
            .map(|h| h.and_then(|h| uniq.iter().position(|&x| x == h)))
            .collect();
        let t = &project.travel;
        let scale_min = (prep.radius_km * t.detour / t.straight_kmh * 60.0).max(1e-6);
        Ok(Arc::new(DriveCost {
            row_of,
            minutes,
            scale_min,
        }))
    }

    /// The report note: drive time from the home bases before and after
    /// `edit`. `seeds` are home bases of districts that have no rep yet
    /// (generate): a territory holding one is driven from it.
    pub(super) fn note(
        &self,
        before: &Workspace,
        edit: &Edit,
        seeds: &[(f64, f64)],
    ) -> Result<String> {
        let b = self.totals(before, &[]);
        let mut after = before.clone();
        after.apply(edit.clone())?;
        let a = self.totals(&after, seeds);
        let fmt = |t: Totals| {
            if t.accounts == 0 {
                return format!(
                    "no account in a territory with a home base ({})",
                    t.without_home
                );
            }
            let mean = t.minutes / t.accounts as f64;
            let mut s = format!(
                "total {:.1} h, mean {mean:.1} min over {} account(s)",
                t.minutes / 60.0,
                t.accounts
            );
            if t.without_home > 0 {
                s.push_str(&format!(
                    " ({} without a home base not counted)",
                    t.without_home
                ));
            }
            s
        };
        Ok(format!(
            "drive time from the home bases: before {}; after {}",
            fmt(b),
            fmt(a)
        ))
    }

    /// Drive totals of the balanced type of `ws`: every located account
    /// from its territory's home base.
    fn totals(&self, ws: &Workspace, seeds: &[(f64, f64)]) -> Totals {
        let p = ws.project();
        let e = ws.engine();
        let a = &p.accounts;
        let mut homes: HashMap<TerritoryId, Option<(f64, f64)>> = HashMap::new();
        let mut by_home: Vec<(Point, Vec<Point>)> = Vec::new();
        let mut out = Totals::default();
        for i in a.live().filter(|&i| a.is_located(i)) {
            let Some(t) = e.territory_of(i) else {
                continue;
            };
            let home = *homes.entry(t).or_insert_with(|| {
                home_of(p, t).or_else(|| {
                    seeds
                        .iter()
                        .copied()
                        .find(|&h| e.index().locate(h.0, h.1) == Some(t))
                })
            });
            let Some(h) = home else {
                out.without_home += 1;
                continue;
            };
            let pt = (a.lon[i], a.lat[i]);
            match by_home.iter_mut().find(|x| x.0 == h) {
                Some(x) => x.1.push(pt),
                None => by_home.push((h, vec![pt])),
            }
        }
        out.accounts = by_home.iter().map(|x| x.1.len()).sum();
        out.minutes = by_home
            .par_iter()
            .map(|(h, pts)| {
                let tree = self.router.tree(*h, u64::MAX);
                pts.iter()
                    .map(|&pt| {
                        let snap = self.router.snap(pt);
                        self.router.trip_from(&tree, pt, snap.as_ref()).minutes
                    })
                    .sum::<f64>()
            })
            .sum();
        out
    }
}

/// Per solver unit (group) up to [`SAMPLE`] of its accounts, evenly
/// spread, with their balance load as weight (the group's centre when it
/// holds none).
fn samples(
    project: &Project,
    opts: &BalanceOptions,
    prep: &Prepared,
) -> Result<Vec<Vec<(Point, f64)>>> {
    let a = &project.accounts;
    let load = account_loads(project, opts)?;
    let ng = prep.groups.len();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); ng];
    for i in a.live().filter(|&i| a.is_located(i)) {
        if let Some(u) = prep.units.locate(a.lon[i], a.lat[i])
            && let Some(&g) = prep.group_of.get(u as usize)
            && (g as usize) < ng
        {
            members[g as usize].push(i as u32);
        }
    }
    Ok(members
        .iter()
        .enumerate()
        .map(|(g, m)| {
            if m.is_empty() {
                return vec![(prep.groups.centroids[g], 1.0)];
            }
            let step = m.len().div_ceil(SAMPLE).max(1);
            m.iter()
                .step_by(step)
                .map(|&i| {
                    let i = i as usize;
                    ((a.lon[i], a.lat[i]), load[i].max(0.0) + 1e-6)
                })
                .collect()
        })
        .collect())
}

/// Home bases of the districts of [`rebalance`](super::rebalance): each
/// territory's ([`home_of`]).
pub(super) fn territory_homes(project: &Project, prep: &Prepared) -> Vec<Option<(f64, f64)>> {
    prep.districts
        .iter()
        .map(|&t| home_of(project, t))
        .collect()
}

/// Home bases of generated districts: a district whose starting centre is
/// a seed's unit is driven from that seed.
pub(super) fn seed_homes(
    prep: &Prepared,
    centers: &[usize],
    seeds: &[(f64, f64)],
    k: usize,
) -> Vec<Option<(f64, f64)>> {
    let units: Vec<Option<usize>> = seeds
        .iter()
        .map(|&(lon, lat)| super::seed_unit(prep, lon, lat))
        .collect();
    (0..k)
        .map(|d| {
            let c = centers.get(d)?;
            let s = units.iter().position(|u| u.as_ref() == Some(c))?;
            Some(seeds[s])
        })
        .collect()
}

/// Drive-time territories: one territory per rep home base (reps sharing a
/// home share one), each unit to the rep nearest it (by road with
/// [`BalanceOptions::drive_time`], else in a straight line), then
/// balanced. A new territory gets the rep whose home it holds; territories
/// of reps that already have one keep it (see [`super::generate`]).
pub fn from_reps(
    project: &Project,
    opts: &BalanceOptions,
    progress: &Progress,
) -> Result<Proposal> {
    let mut reps: Vec<(RepId, (f64, f64))> = Vec::new();
    for r in &project.reps {
        if let Some(h) = r.home
            && !reps.iter().any(|x| x.1 == h)
        {
            reps.push((r.id, h));
        }
    }
    if reps.is_empty() {
        return Err(Error::invalid(
            "no rep has a home base: give reps one first (turfmap rep … --home LAT,LON)",
        ));
    }
    let homes: Vec<(f64, f64)> = reps.iter().map(|r| r.1).collect();
    with_workload(project, opts, progress, |p| {
        let mut proposal = super::from_scratch(p, reps.len(), opts, &homes, true, progress)?;
        give_reps(p, opts, &mut proposal, &reps)?;
        Ok(proposal)
    })
}

/// Passes of [`with_workload`] at most (the first balance included).
pub const WORKLOAD_PASSES: usize = 3;

/// Runs `first` and, when the balance measure includes the travel-workload
/// column ([`crate::core::workload`]) and the plan keeps it, refreshes the
/// column after the moves (drive times from the new reps' homes) and
/// rebalances on the fresh values until the plan is within the tolerance
/// or [`WORKLOAD_PASSES`] are done, all in one edit.
pub(crate) fn with_workload(
    project: &Project,
    opts: &BalanceOptions,
    progress: &Progress,
    first: impl FnOnce(&Project) -> Result<Proposal>,
) -> Result<Proposal> {
    let Some(settings) = project.settings.travel_workload.clone() else {
        return first(project);
    };
    let on_column = |m: &BalanceMeasure| matches!(m, BalanceMeasure::Measure(n) if n.eq_ignore_ascii_case(COLUMN));
    let uses = if opts.weights.is_empty() {
        on_column(&project.settings.balance)
    } else {
        opts.weights.iter().any(|(m, w)| *w > 0.0 && on_column(m))
    };
    if !uses {
        return first(project);
    }
    let router = match opts.drive_time.as_ref().and_then(|d| d.router.clone()) {
        Some(r) => r,
        None => workload::router(project)?,
    };
    let before = workspace_for(project, opts)?;
    let mut ws = before.clone();
    let mut edits = Vec::new();
    let step = |ws: &mut Workspace, e: Edit, edits: &mut Vec<Edit>| -> Result<()> {
        ws.apply(e.clone())?;
        edits.push(e);
        Ok(())
    };
    if let Some(e) = workload::refresh_with(&ws, &settings, &router)? {
        step(&mut ws, e, &mut edits)?;
    }
    let mut proposal = first(ws.project())?;
    let label = proposal.edit.label(ws.project());
    let mut next = proposal.edit.clone();
    let mut passes = 1;
    loop {
        step(&mut ws, next, &mut edits)?;
        if let Some(e) = workload::refresh_with(&ws, &settings, &router)? {
            step(&mut ws, e, &mut edits)?;
        }
        if ws.metrics().out_of_tolerance == 0 || passes >= WORKLOAD_PASSES {
            break;
        }
        progress.check()?;
        next = super::rebalance_once(ws.project(), opts, progress)?.edit;
        passes += 1;
    }
    proposal.report.notes.push(format!(
        "travel workload refreshed after the moves (drive times from the new reps' homes): {passes} balancing pass(es)"
    ));
    proposal.edit = Edit::Batch { label, edits };
    proposal.before = before.metrics();
    proposal.after = ws.metrics();
    Ok(proposal)
}

/// Adds to the proposal's edit the reps of territories that have none:
/// the rep whose home the territory holds, else (balance gave that unit to
/// a neighbour) the rep left without a territory whose home is nearest;
/// then measures the result again.
fn give_reps(
    project: &Project,
    opts: &BalanceOptions,
    proposal: &mut Proposal,
    reps: &[(RepId, (f64, f64))],
) -> Result<()> {
    use geo::Centroid;
    let before = workspace_for(project, opts)?;
    let mut after = before.clone();
    after.apply(proposal.edit.clone())?;
    let p = after.project();
    let ty = after.current_type();
    let mut free: Vec<(RepId, (f64, f64))> = reps
        .iter()
        .copied()
        .filter(|(r, _)| !p.territories_of_type(ty).any(|t| t.reps.contains(r)))
        .collect();
    let bare: Vec<&crate::core::model::Territory> = p
        .territories_of_type(ty)
        .filter(|t| t.reps.is_empty() && !t.locked)
        .collect();
    // (km, territory, rep): 0 when the territory holds the home.
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (ti, t) in bare.iter().enumerate() {
        let c = t.geometry.centroid().map(|c| (c.x(), c.y()));
        for (ri, &(_, h)) in free.iter().enumerate() {
            let inside = after.engine().index().locate(h.0, h.1) == Some(t.id);
            let km = match (inside, c) {
                (true, _) => 0.0,
                (false, Some(c)) => crate::core::geometry::haversine_km(h, c),
                (false, None) => f64::INFINITY,
            };
            pairs.push((km, ti, ri));
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut t_done, mut r_done) = (vec![false; bare.len()], vec![false; free.len()]);
    let mut extra = Vec::new();
    for (_, ti, ri) in pairs {
        if t_done[ti] || r_done[ri] {
            continue;
        }
        t_done[ti] = true;
        r_done[ri] = true;
        let mut props = TerritoryProps::of(bare[ti]);
        props.reps = vec![free[ri].0];
        extra.push(Edit::SetTerritoryProps {
            id: bare[ti].id,
            props,
        });
    }
    free.clear();
    if extra.is_empty() {
        return Ok(());
    }
    if let Edit::Batch { edits, .. } = &mut proposal.edit {
        edits.extend(extra.iter().cloned());
    }
    for e in extra {
        after.apply(e)?;
    }
    proposal.after = after.metrics();
    Ok(())
}
