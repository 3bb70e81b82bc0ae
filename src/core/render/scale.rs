//! Distance units and the scale bar's length: shared by the window's map and
//! the exported map image so both read the same.

use serde::{Deserialize, Serialize};

/// Metres in a statute mile.
pub const METRES_PER_MILE: f64 = 1_609.344;
/// Equatorial circumference of the Web-Mercator sphere, in metres.
pub const EARTH_CIRCUMFERENCE_M: f64 = 40_075_016.686;

/// Units for distances and areas on screen and in exports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DistanceUnit {
    /// Kilometres (km, km²).
    #[default]
    Km,
    /// Statute miles (mi, mi²).
    Mi,
}

impl DistanceUnit {
    /// `km` or `mi`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Km => "km",
            Self::Mi => "mi",
        }
    }

    /// `km²` or `mi²`.
    pub fn area_label(self) -> &'static str {
        match self {
            Self::Km => "km²",
            Self::Mi => "mi²",
        }
    }

    /// A length in km converted to this unit.
    pub fn length_from_km(self, km: f64) -> f64 {
        match self {
            Self::Km => km,
            Self::Mi => km / (METRES_PER_MILE / 1000.0),
        }
    }

    /// An area in km² converted to this unit.
    pub fn area_from_km2(self, km2: f64) -> f64 {
        match self {
            Self::Km => km2,
            Self::Mi => km2 / (METRES_PER_MILE / 1000.0).powi(2),
        }
    }

    /// Parses `km` or `mi` (also `miles`, `kilometres`…), case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" | "metric" => {
                Some(Self::Km)
            }
            "mi" | "mile" | "miles" | "imperial" => Some(Self::Mi),
            _ => None,
        }
    }
}

/// A scale bar: its length in pixels and its label (`50 km`, `200 m`,
/// `20 mi`, `500 ft`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleBar {
    /// Length on screen.
    pub len_px: f64,
    /// What the length stands for.
    pub label: String,
}

/// The longest 1-2-5 length that fits in `max_px` pixels, given how many
/// metres one pixel spans at the map's centre. `None` when the scale is
/// not finite (an empty or degenerate view).
pub fn scale_bar(m_per_px: f64, max_px: f64, unit: DistanceUnit) -> Option<ScaleBar> {
    if !(m_per_px.is_finite() && m_per_px > 0.0 && max_px > 0.0) {
        return None;
    }
    let max_m = m_per_px * max_px;
    // Below one big unit, step down to m / ft.
    let (big, small, small_name) = match unit {
        DistanceUnit::Km => (1000.0, 1.0, "m"),
        DistanceUnit::Mi => (METRES_PER_MILE, 0.3048, "ft"),
    };
    let (per_unit, name) = if max_m >= big {
        (big, unit.label())
    } else {
        (small, small_name)
    };
    let raw = max_m / per_unit;
    let pow = 10f64.powf(raw.log10().floor());
    let nice = [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * pow)
        .find(|&l| l <= raw)
        .unwrap_or(pow);
    let label = format!("{} {name}", crate::core::numfmt::fmt_num(nice, 0));
    Some(ScaleBar {
        len_px: nice * per_unit / m_per_px,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_nice_lengths_in_the_chosen_unit() {
        // 1 km per pixel, up to 120 px: 100 km.
        let b = scale_bar(1000.0, 120.0, DistanceUnit::Km).unwrap();
        assert_eq!(b.label, "100 km");
        assert!((b.len_px - 100.0).abs() < 1e-9);
        let b = scale_bar(1000.0, 120.0, DistanceUnit::Mi).unwrap();
        assert_eq!(b.label, "50 mi");
        assert!((b.len_px - 50.0 * METRES_PER_MILE / 1000.0).abs() < 1e-9);
        // Zoomed in: metres and feet.
        assert_eq!(
            scale_bar(1.0, 120.0, DistanceUnit::Km).unwrap().label,
            "100 m"
        );
        assert_eq!(
            scale_bar(1.0, 120.0, DistanceUnit::Mi).unwrap().label,
            "200 ft"
        );
        assert!(scale_bar(f64::NAN, 120.0, DistanceUnit::Km).is_none());
    }

    #[test]
    fn areas_and_names() {
        assert!((DistanceUnit::Mi.area_from_km2(2.589_988_110_336) - 1.0).abs() < 1e-9);
        assert_eq!(DistanceUnit::parse("Miles"), Some(DistanceUnit::Mi));
        assert_eq!(DistanceUnit::parse("km"), Some(DistanceUnit::Km));
        assert_eq!(DistanceUnit::parse("furlong"), None);
    }
}
