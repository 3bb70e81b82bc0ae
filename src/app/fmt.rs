//! Number formatting for the window: thousands separators everywhere, and
//! only as many decimals as a planner needs to compare values.

// The formatting lives in the core so that exports (map image, report)
// read exactly like the window.
pub use crate::core::numfmt::{compact, count, counted, pct_plain, signed_pct, value};

use crate::core::render::DistanceUnit;
use crate::core::travel::DriveFigures;

/// A drive time: "42 min", "2 h 05 min".
pub fn minutes(m: f64) -> String {
    let m = m.max(0.0).round() as u64;
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// "mean 42 min, max 1 h 35 min".
pub fn drive_time(d: &DriveFigures) -> String {
    format!(
        "mean {}, max {}",
        minutes(d.mean_minutes),
        minutes(d.max_minutes)
    )
}

/// "mean 51 km, max 140 km" by road, in `units`.
pub fn road_distance(d: &DriveFigures, units: DistanceUnit) -> String {
    let (mean, max) = (
        units.length_from_km(d.mean_km),
        units.length_from_km(d.max_km),
    );
    let u = units.label();
    format!("mean {mean:.0} {u}, max {max:.0} {u}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(value(1234567.4), "1,234,567");
        assert_eq!(value(12.46), "12.5");
        assert_eq!(value(0.0), "0");
        assert_eq!(signed_pct(12.34), "+12.3%");
        assert_eq!(signed_pct(-0.04), "0.0%");
        assert_eq!(pct_plain(5.0), "5");
        assert_eq!(pct_plain(2.5), "2.5");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(950.0), "950");
        assert_eq!(minutes(41.6), "42 min");
        assert_eq!(minutes(125.0), "2 h 05 min");
    }
}
