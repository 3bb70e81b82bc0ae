//! Drive time and road distance over the bundled major-road network.
//!
//! The roads (`assets/roads/*.geojson.gz`, Natural Earth, public domain)
//! become a graph whose nodes are the lines' end points (the data is noded:
//! junctions are shared end points) and whose edges are the lines, weighted
//! by travel time at the speed of their road type ([`SpeedTable`]). Point
//! to point queries use a contraction hierarchy (`fast_paths`); one home to
//! many accounts uses one Dijkstra over the whole graph followed by an O(1)
//! look-up per account.
//!
//! A point off the network reaches the nearest point of a road with a
//! straight connector: its great-circle length × [`TravelSettings::detour`]
//! at [`TravelSettings::local_kmh`]. Two points whose roads are not joined
//! (islands, Alaska and the lower 48 in the US file) use the same rule for
//! the whole trip, and every [`Trip`] says which way it went ([`Via`]), so
//! nothing is silently "unreachable". The straight rule is also taken when
//! it is faster (two accounts in the same town, far from a major road).
//!
//! The prepared graph is cached in the user's cache folder, keyed by a hash
//! of the roads file and the speed table, so it is rebuilt exactly when
//! either changes ([`cache`]).

pub mod cache;
pub mod digest;
pub mod figures;
pub mod isochrone;
pub mod network;
pub mod route;
pub mod snapping;
pub mod speeds;

pub use figures::DriveFigures;
pub use isochrone::{Isochrones, Ring, isochrones};
pub use network::Network;
pub use route::{HomeTree, Router, Snap, Trip, Via};
pub use speeds::SpeedTable;

use serde::{Deserialize, Serialize};

/// Which bundled roads file serves a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoadSet {
    /// The US file when every point lies within
    /// [`AUTO_US_REACH_KM`] of one of its roads, else the world file.
    #[default]
    Auto,
    /// `us-roads`: the 50 states and DC (no links through Canada).
    Us,
    /// `world-roads`: every continent, North America included.
    World,
}

impl RoadSet {
    /// File name in `assets/roads/`; `Auto` has none.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Auto => None,
            Self::Us => Some("us-roads.geojson.gz"),
            Self::World => Some("world-roads.geojson.gz"),
        }
    }

    /// Parses `auto`, `us` or `world` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "us" => Some(Self::Us),
            "world" => Some(Self::World),
            _ => None,
        }
    }
}

/// A point farther than this from every road of the US file makes
/// [`RoadSet::Auto`] choose the world file.
pub const AUTO_US_REACH_KM: f64 = 50.0;

/// Drive-time settings of a plan (saved in the project file; every field
/// has a default, so plans written before drive time load unchanged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TravelSettings {
    /// Use the road network; `false` = great-circle distance × `detour` at
    /// `straight_kmh` for every trip.
    pub roads: bool,
    /// Which roads file.
    pub network: RoadSet,
    /// Speed per road type, km/h.
    pub speeds: SpeedTable,
    /// Speed on the straight connector from a point to the nearest road
    /// (local roads the network does not hold), km/h.
    pub local_kmh: f64,
    /// Road distance per straight-line distance on connectors and with
    /// roads off (1.3 is typical of local road grids).
    pub detour: f64,
    /// Average speed when road travel is off, km/h.
    pub straight_kmh: f64,
}

impl Default for TravelSettings {
    fn default() -> Self {
        Self {
            roads: true,
            network: RoadSet::Auto,
            speeds: SpeedTable::default(),
            local_kmh: 40.0,
            detour: 1.3,
            straight_kmh: 70.0,
        }
    }
}

impl TravelSettings {
    /// Checks that every speed is a positive number and the detour factor is
    /// at least 1; the message names the bad field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "travel setting {name} must be a positive number, not {v}"
                ))
            }
        };
        positive("local_kmh", self.local_kmh)?;
        positive("straight_kmh", self.straight_kmh)?;
        if !(self.detour.is_finite() && self.detour >= 1.0) {
            return Err(format!(
                "travel setting detour must be at least 1 (road km per straight km), not {}",
                self.detour
            ));
        }
        self.speeds.validate()
    }
}

/// A router for `settings`, with the snaps of `points` (`(lon, lat)`): the
/// network is loaded (from memory, the cache folder, or built) from the
/// assets folder's `roads/`; [`RoadSet::Auto`] picks the US file when every
/// point lies within [`AUTO_US_REACH_KM`] of its roads, else the world file.
pub fn router_for(
    settings: &TravelSettings,
    points: &[(f64, f64)],
) -> crate::core::Result<(Router, Vec<Option<Snap>>)> {
    router_in(&crate::core::assets::dir().join("roads"), settings, points)
}

/// [`router_for`] with the roads files in `dir`.
pub fn router_in(
    dir: &std::path::Path,
    settings: &TravelSettings,
    points: &[(f64, f64)],
) -> crate::core::Result<(Router, Vec<Option<Snap>>)> {
    settings.validate().map_err(crate::core::Error::invalid)?;
    if !settings.roads {
        return Ok((Router::new(None, settings), vec![None; points.len()]));
    }
    let cache_dir = cache::cache_dir();
    let with = |set: RoadSet| -> crate::core::Result<(Router, Vec<Option<Snap>>)> {
        let file = dir.join(set.file_name().unwrap_or_default());
        let (net, _) = cache::load(&file, &settings.speeds, cache_dir.as_deref())?;
        let router = Router::new(Some(net), settings);
        let snaps = router.snap_all(points);
        Ok((router, snaps))
    };
    match settings.network {
        RoadSet::Auto => {
            let (us, snaps) = with(RoadSet::Us)?;
            let near = |s: &Option<Snap>| s.is_some_and(|s| s.gap_km <= AUTO_US_REACH_KM);
            if snaps.iter().all(near) {
                Ok((us, snaps))
            } else {
                with(RoadSet::World)
            }
        }
        set => with(set),
    }
}
