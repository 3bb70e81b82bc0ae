//! Travel speed per road type: an editable table saved with the plan.
//!
//! Keys are the roads file's `type` property (North America: Freeway,
//! Tollway, Primary, Secondary, Other Paved, Unpaved, Ferry, Winter; world:
//! Major Highway, Secondary Highway, Road, Unknown, Track, Beltway, Ferry
//! Route). Types the table lacks drive at [`SpeedTable::other_kmh`]. The
//! defaults are typical average speeds including junctions and towns, not
//! speed limits: they reproduce the known drive times of the README's city
//! pairs within a few percent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Speed per road type (km/h), with a speed for types not listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeedTable {
    /// Road `type` → km/h.
    pub by_type: BTreeMap<String, f64>,
    /// Speed of road types not in `by_type`, km/h.
    pub other_kmh: f64,
}

impl Default for SpeedTable {
    fn default() -> Self {
        let by_type = [
            ("Freeway", 105.0),
            ("Tollway", 105.0),
            ("Beltway", 90.0),
            ("Major Highway", 90.0),
            ("Primary", 80.0),
            ("Secondary", 70.0),
            ("Secondary Highway", 70.0),
            ("Road", 60.0),
            ("Other Paved", 60.0),
            ("Unknown", 50.0),
            ("Unpaved", 40.0),
            ("Track", 30.0),
            ("Winter", 30.0),
            ("Ferry", 20.0),
            ("Ferry Route", 20.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            by_type,
            other_kmh: 60.0,
        }
    }
}

impl SpeedTable {
    /// Speed of road type `ty`, km/h.
    pub fn kmh(&self, ty: &str) -> f64 {
        self.by_type.get(ty).copied().unwrap_or(self.other_kmh)
    }

    /// Checks that every speed is a positive number.
    pub fn validate(&self) -> Result<(), String> {
        let all = self
            .by_type
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .chain(std::iter::once(("other_kmh", self.other_kmh)));
        for (k, v) in all {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "travel speed of road type '{k}' must be a positive number of km/h, not {v}"
                ));
            }
        }
        Ok(())
    }

    /// A stable 64-bit digest of the table (part of the graph cache key).
    pub fn digest(&self) -> u64 {
        let mut h = super::digest::Fnv::new();
        for (k, v) in &self.by_type {
            h.write(k.as_bytes());
            h.write(&v.to_bits().to_le_bytes());
        }
        h.write(&self.other_kmh.to_bits().to_le_bytes());
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_types_use_the_other_speed_and_bad_speeds_are_named() {
        let mut t = SpeedTable::default();
        assert_eq!(t.kmh("Freeway"), 105.0);
        assert_eq!(t.kmh("Hovercraft"), t.other_kmh);
        let d = t.digest();
        t.by_type.insert("Primary".into(), 0.0);
        assert_ne!(t.digest(), d);
        let e = t.validate().unwrap_err();
        assert!(e.contains("'Primary'"), "{e}");
    }
}
