//! `turfmap travel`: road distance and drive time between two points.

use std::io::Write;

use super::args::TravelArgs;
use super::print_out;
use crate::core::drive::DriveView;
use crate::core::travel::{RoadSet, TravelSettings, Trip, Via, router_for};
use crate::core::{Error, Result, Workspace};

/// Drive-time figures of a plan whose reps have homes (`None` without
/// homes; a network that cannot load is reported on stderr, not hidden).
pub(super) fn drive_view(ws: &Workspace) -> Option<DriveView> {
    if !ws.project().reps.iter().any(|r| r.home.is_some()) {
        return None;
    }
    match DriveView::new(ws) {
        Ok(v) => Some(v),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "drive time not computed: {e}");
            None
        }
    }
}

/// Parses `LAT,LON` (degrees) into `(lon, lat)`.
pub(super) fn lat_lon(flag: &str, s: &str) -> Result<(f64, f64)> {
    let bad = || {
        Error::invalid(format!(
            "--{flag} '{s}': give LAT,LON in degrees, e.g. 39.7392,-104.9903"
        ))
    };
    let (lat, lon) = s.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return Err(Error::invalid(format!(
            "--{flag} '{s}': latitude must be within ±90 and longitude within ±180"
        )));
    }
    Ok((lon, lat))
}

/// The travel settings: the plan's, or the defaults, with `--network`.
fn settings(a: &TravelArgs) -> Result<TravelSettings> {
    let mut s = match &a.plan {
        Some(p) => crate::core::project_file::load(p)?.travel,
        None => TravelSettings::default(),
    };
    if let Some(n) = &a.network {
        if n.eq_ignore_ascii_case("off") {
            s.roads = false;
        } else {
            s.roads = true;
            s.network = RoadSet::parse(n).ok_or_else(|| {
                Error::invalid(format!("--network '{n}': use auto, us, world or off"))
            })?;
        }
    }
    Ok(s)
}

/// `turfmap travel --from LAT,LON --to LAT,LON [--json]`.
pub(super) fn travel(a: TravelArgs) -> Result<()> {
    let from = lat_lon("from", &a.from)?;
    let to = lat_lon("to", &a.to)?;
    let s = settings(&a)?;
    let (router, _) = router_for(&s, &[from, to])?;
    let trip = router.trip(from, to);
    print_out(if a.json {
        serde_json::to_string(&trip).unwrap_or_default() + "\n"
    } else {
        describe(&trip)
    })
}

/// One line for people: distance, time, how it was routed.
fn describe(t: &Trip) -> String {
    let mins = t.minutes.round() as u64;
    let how = match t.via {
        Via::Road => "by road",
        Via::Straight => "straight line × detour factor (no road route)",
    };
    format!(
        "{:.1} km, {} min ({} h {:02} min), {how}\n",
        t.road_km,
        mins,
        mins / 60,
        mins % 60
    )
}
