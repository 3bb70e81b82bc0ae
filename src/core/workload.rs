//! Travel workload: per account, the hours a rep spends on it in a period,
//! visits × (call time + drive time), the workload index eSpatial and
//! AlignMix describe.
//!
//! - **visits** per period: the account's value in
//!   [`WorkloadSettings::visits_column`] when set and present, else
//!   [`WorkloadSettings::visits`];
//! - **call time**, minutes per visit: [`WorkloadSettings::call_column`],
//!   else [`WorkloadSettings::call_minutes`];
//! - **drive time**, minutes per visit: the one-way drive from the home
//!   base of the account's territory (its rep's, else an ancestor's:
//!   [`crate::core::drive::home_of`]) over the plan's roads, both ways when
//!   [`WorkloadSettings::round_trip`]. An account in no territory, or in one
//!   without a home base, counts no drive time.
//!
//! The values live in the measure column [`COLUMN`] (hours), so the column
//! is balanced, listed and reported like any other measure. It depends on
//! where accounts are, so it is refreshed ([`refresh`]) whenever accounts
//! may have moved between reps: every CLI verb that saves a plan, the
//! window after every edit (in the background, joining the edit's undo
//! step), and the balancer's proposals (which iterate until the tolerance
//! holds on the refreshed values).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::core::drive::home_of;
use crate::core::edit::Edit;
use crate::core::error::Result;
use crate::core::model::{Project, TerritoryId};
use crate::core::travel::{Router, router_for};
use crate::core::workspace::Workspace;

/// Name of the travel-workload measure column (hours per period).
pub const COLUMN: &str = "Travel workload (h)";

pub use crate::core::model::WorkloadSettings;

/// The router for a plan's accounts (see [`router_for`]).
pub fn router(project: &Project) -> Result<Router> {
    let a = &project.accounts;
    let mut points: Vec<(f64, f64)> = a
        .live()
        .filter(|&i| a.is_located(i))
        .map(|i| (a.lon[i], a.lat[i]))
        .collect();
    points.extend(project.reps.iter().filter_map(|r| r.home));
    Ok(router_for(&project.travel, &points)?.0)
}

/// Travel workload (hours) of every account of `ws` in the plan's primary
/// territory type (`NaN` for removed accounts).
pub fn compute(ws: &Workspace, settings: &WorkloadSettings, router: &Router) -> Vec<f64> {
    let p = ws.project();
    let a = &p.accounts;
    let col = |c: &Option<String>| c.as_deref().and_then(|c| a.measure_index(c));
    let (vc, cc) = (col(&settings.visits_column), col(&settings.call_column));
    let value = |m: Option<usize>, i: usize, default: f64| match m {
        Some(m) if a.measures[m].values[i].is_finite() => a.measures[m].values[i].max(0.0),
        _ => default,
    };
    let engine = ws.engine_for(p.primary_type()).unwrap_or(ws.engine());
    // Accounts by the home they are driven from.
    let mut homes: HashMap<TerritoryId, Option<(f64, f64)>> = HashMap::new();
    let mut by_home: Vec<((f64, f64), Vec<usize>)> = Vec::new();
    for i in a.live().filter(|&i| a.is_located(i)) {
        let Some(t) = engine.territory_of(i) else {
            continue;
        };
        if let Some(h) = *homes.entry(t).or_insert_with(|| home_of(p, t)) {
            match by_home.iter_mut().find(|x| x.0 == h) {
                Some(x) => x.1.push(i),
                None => by_home.push((h, vec![i])),
            }
        }
    }
    let legs = if settings.round_trip { 2.0 } else { 1.0 };
    let drive: Vec<(usize, f64)> = by_home
        .par_iter()
        .flat_map_iter(|(h, accounts)| {
            let tree = router.tree(*h, u64::MAX);
            accounts
                .iter()
                .map(|&i| {
                    let pt = (a.lon[i], a.lat[i]);
                    let snap = router.snap(pt);
                    (i, router.trip_from(&tree, pt, snap.as_ref()).minutes * legs)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out = vec![f64::NAN; a.len()];
    for i in a.live() {
        out[i] = value(vc, i, settings.visits) * value(cc, i, settings.call_minutes) / 60.0;
    }
    for (i, minutes) in drive {
        out[i] += value(vc, i, settings.visits) * minutes / 60.0;
    }
    out
}

/// The edit bringing the travel-workload column of `ws` up to date
/// (`None` when it is off or already current). Loads the roads.
pub fn refresh(ws: &Workspace) -> Result<Option<Edit>> {
    let Some(s) = &ws.project().settings.travel_workload else {
        return Ok(None);
    };
    refresh_with(ws, s, &router(ws.project())?)
}

/// [`refresh`] with given settings and roads.
pub fn refresh_with(
    ws: &Workspace,
    settings: &WorkloadSettings,
    router: &Router,
) -> Result<Option<Edit>> {
    settings
        .check(ws.project())
        .map_err(crate::core::Error::invalid)?;
    let values = compute(ws, settings, router);
    let a = &ws.project().accounts;
    let same = a.measure_index(COLUMN).is_some_and(|m| {
        let old = &a.measures[m].values;
        old.iter()
            .zip(&values)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    });
    Ok((!same).then(|| Edit::SetMeasureColumn {
        name: COLUMN.into(),
        values: Some(values),
    }))
}
