//! Drive-time figures of `turfmap bench`: loading the road network, one
//! home to 100,000 accounts, and the drive-time metrics of 50 reps over
//! the whole plan (targets: ≤ 100 ms and ≤ 3 s).
//!
//! The US roads file is used (not `auto`), so that a synthetic account off
//! the coast does not switch the whole run to the world file.

use std::io::Write;
use std::sync::Arc;

use geo::Centroid;
use rayon::prelude::*;

use super::measure::measured;
use crate::core::drive::DriveView;
use crate::core::edit::Edit;
use crate::core::error::{Error, Result};
use crate::core::model::{Project, Rep, RepId};
use crate::core::synth::synthetic_edit_polygon;
use crate::core::travel::{RoadSet, Router, TravelSettings, cache};
use crate::core::workspace::Workspace;

/// Reps of the drive-time metrics figure.
const REPS: usize = 50;
/// Accounts of the one-home figure.
const ONE_HOME: usize = 100_000;

/// Prints the drive-time figures for the accounts of `project`.
pub fn run(project: &Project, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let settings = TravelSettings {
        network: RoadSet::Us,
        ..TravelSettings::default()
    };
    let file = crate::core::assets::dir()
        .join("roads")
        .join(RoadSet::Us.file_name().unwrap_or_default());
    let dir = cache::cache_dir();
    cache::forget_loaded();
    let (first, first_ms, _) = measured(|| cache::load(&file, &settings.speeds, dir.as_deref()));
    let (_, how) = first?;
    cache::forget_loaded();
    let (net, disk_ms, disk_mem) =
        measured(|| cache::load(&file, &settings.speeds, dir.as_deref()));
    let (net, again) = net?;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (first {:.0} ms: {how:?}; {again:?}{})",
        "road network load (disk cache)",
        disk_ms,
        first_ms,
        super::measure::mem_note(disk_mem)
    )
    .map_err(io)?;
    let router = Router::new(Some(net), &settings);
    one_home(&router, project, out)?;
    drive_metrics(router, project, settings, out)
}

/// One home (the first account) to the first [`ONE_HOME`] located accounts.
fn one_home(router: &Router, project: &Project, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let a = &project.accounts;
    let points: Vec<(f64, f64)> = (0..a.len())
        .filter(|&i| a.is_located(i))
        .take(ONE_HOME)
        .map(|i| (a.lon[i], a.lat[i]))
        .collect();
    let Some(&home) = points.first() else {
        return Ok(());
    };
    let (snaps, snap_ms, snap_cpu) = super::measure::with_cpu(|| router.snap_all(&points));
    let (minutes, trip_ms, trip_cpu) = super::measure::with_cpu(|| {
        let tree = router.tree(home, u64::MAX);
        points
            .par_iter()
            .zip(&snaps)
            .map(|(&p, s)| router.trip_from(&tree, p, s.as_ref()).minutes)
            .sum::<f64>()
    });
    writeln!(
        out,
        "{:<36} {:>9.1} ms   target ≤ 100 ms (+ snapping them once {:.0} ms{}; mean {:.0} min{})",
        format!("drive time, 1 home → {} accounts", points.len()),
        trip_ms,
        snap_ms,
        super::measure::cpu_note(snap_cpu),
        minutes / points.len() as f64,
        super::measure::cpu_note(trip_cpu)
    )
    .map_err(io)
}

/// [`REPS`] reps with homes, each owning a share of the territories: the
/// drive-time metrics from scratch, then after one boundary edit.
fn drive_metrics(
    router: Router,
    project: &Project,
    settings: TravelSettings,
    out: &mut dyn Write,
) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let mut p = project.clone();
    p.travel = settings;
    let n = p.territories.len();
    for r in 0..REPS.min(n) {
        let mut rep = Rep::new(RepId(r as u32), format!("Rep {r}"));
        let t = &p.territories[r * n / REPS.min(n)];
        rep.home = t.geometry.centroid().map(|c| (c.x(), c.y()));
        p.reps.push(rep);
    }
    let reps = p.reps.len().max(1);
    for (k, t) in p.territories.iter_mut().enumerate() {
        t.reps = vec![RepId((k * reps / n.max(1)) as u32)];
    }
    let mut ws = Workspace::new(p);
    let router = Arc::new(router);
    let (view, full_ms, cpu) =
        super::measure::with_cpu(|| DriveView::with_router(&ws, (*router).clone()));
    let mut view = view;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   target ≤ 3000 ms ({} accounts{})",
        format!("drive-time metrics, {reps} reps"),
        full_ms,
        ws.project().accounts.len(),
        super::measure::cpu_note(cpu)
    )
    .map_err(io)?;
    let id = ws.project().territories[n / 2].id;
    let geometry = synthetic_edit_polygon(ws.project(), id, 11);
    ws.apply(Edit::SetGeometry { id, geometry })?;
    let (res, inc_ms, _) = measured(|| view.update(&ws));
    res?;
    writeln!(
        out,
        "{:<36} {:>9.1} ms   (one boundary edit: its territories only)",
        "drive-time metrics update", inc_ms
    )
    .map_err(io)
}
