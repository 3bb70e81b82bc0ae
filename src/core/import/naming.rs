//! Territory names for imported features, shared by the shapefile and KML
//! importers: missing names are made up, duplicates get ` (2)`, ` (3)`, …
//! (ignoring case, since names are looked up case-insensitively).

use std::collections::HashSet;

use super::territories::TerritoryImportReport;

/// Hands out unique names and notes every change in the report.
#[derive(Default)]
pub(crate) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// The name for feature `index` (`label` names it in messages) whose
    /// name property holds `raw` (`None`: missing or blank).
    pub fn name(
        &mut self,
        raw: Option<String>,
        index: usize,
        label: &str,
        name_prop: &str,
        report: &mut TerritoryImportReport,
    ) -> String {
        let base = match raw {
            Some(n) => n,
            None => {
                let n = format!("Territory {}", index + 1);
                report
                    .notes
                    .push(format!("{label}: no '{name_prop}' property; named '{n}'"));
                n
            }
        };
        let mut name = base.clone();
        let mut k = 2;
        while !self.taken.insert(name.to_lowercase()) {
            name = format!("{base} ({k})");
            k += 1;
        }
        if name != base {
            report
                .notes
                .push(format!("{label}: name '{base}' is taken; renamed '{name}'"));
        }
        name
    }
}

/// A ring's problems, or `None` when it can be used: at least three
/// distinct points, all finite and within longitude/latitude range.
pub(crate) fn ring_problem(ring: &[geo::Coord<f64>]) -> Option<String> {
    if let Some(c) = ring.iter().find(|c| !(c.x.is_finite() && c.y.is_finite())) {
        return Some(format!("has a coordinate that is not a number ({}, {})", c.x, c.y));
    }
    if let Some(c) = ring
        .iter()
        .find(|c| c.x.abs() > 360.0 || c.y.abs() > 90.0)
    {
        return Some(format!(
            "has coordinates outside longitude/latitude range ({}, {}): is the file in a \
             projected coordinate system? Reproject it to WGS84 (EPSG:4326)",
            c.x, c.y
        ));
    }
    let mut distinct: Vec<&geo::Coord<f64>> = Vec::new();
    for c in ring {
        if !distinct.contains(&c) {
            distinct.push(c);
            if distinct.len() >= 3 {
                return None;
            }
        }
    }
    Some(format!("ring has only {} distinct point(s)", distinct.len()))
}

/// Closes a ring (first point repeated at the end) if it is open.
pub(crate) fn closed(mut ring: Vec<geo::Coord<f64>>) -> Vec<geo::Coord<f64>> {
    if ring.first() != ring.last()
        && let Some(&first) = ring.first()
    {
        ring.push(first);
    }
    ring
}
