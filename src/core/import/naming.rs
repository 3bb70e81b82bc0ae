//! What the territory importers (GeoJSON, shapefile, KML) share: unique
//! names (missing names are made up, duplicates get ` (2)`, ` (3)`, …,
//! ignoring case since names are looked up case-insensitively), the
//! per-feature report, and ring checks.

use std::collections::HashSet;

use geo::{MultiPolygon, Polygon};
use serde_json::{Map, Value};

use super::imported::{ImportedTerritory, TerritoryImportReport};

/// Gathers the features of one file into territories and a report.
pub(crate) struct Collector<'a> {
    namer: Namer,
    name_prop: &'a str,
    out: Vec<ImportedTerritory>,
    /// The report so far (importers add file-level notes to it).
    pub report: TerritoryImportReport,
}

impl<'a> Collector<'a> {
    /// An empty collection naming territories by `name_prop`.
    pub fn new(name_prop: &'a str) -> Self {
        Self {
            namer: Namer::default(),
            name_prop,
            out: Vec::new(),
            report: TerritoryImportReport::default(),
        }
    }

    /// The property that names the territories.
    pub fn name_prop(&self) -> &'a str {
        self.name_prop
    }

    /// `feature 3 ('North')`: how messages name feature `index`.
    pub fn label(noun: &str, index: usize, raw_name: Option<&str>) -> String {
        match raw_name {
            Some(n) => format!("{noun} {index} ('{n}')"),
            None => format!("{noun} {index}"),
        }
    }

    /// Adds feature `index`: skipped with the reason when `polygons` is an
    /// error, else imported under a unique name with its `fixes` reported.
    pub fn add(
        &mut self,
        index: usize,
        raw_name: Option<String>,
        label: &str,
        polygons: Result<Vec<Polygon<f64>>, String>,
        fixes: &[String],
        properties: Map<String, Value>,
    ) {
        let polygons = match polygons {
            Ok(p) => p,
            Err(why) => {
                self.report
                    .skipped
                    .push(format!("{label}: {why} (skipped)"));
                return;
            }
        };
        if !fixes.is_empty() {
            self.report
                .repaired
                .push(format!("{label}: {}", fixes.join("; ")));
        }
        let name = self
            .namer
            .name(raw_name, index, label, self.name_prop, &mut self.report);
        self.out.push(ImportedTerritory {
            name,
            geometry: MultiPolygon(polygons),
            properties: properties.into(),
        });
    }

    /// The territories and the report.
    pub fn finish(mut self) -> (Vec<ImportedTerritory>, TerritoryImportReport) {
        self.report.imported = self.out.len();
        // Grown by doubling: up to half of it empty (2 MB for 100,000
        // features), held while the import's edits are made.
        self.out.shrink_to_fit();
        (self.out, self.report)
    }
}

/// Hands out unique names and notes every change in the report.
#[derive(Default)]
struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// The name for feature `index` (`label` names it in messages) whose
    /// name property holds `raw` (`None`: missing or blank).
    fn name(
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
                report.unnamed += 1;
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
        return Some(format!(
            "has a coordinate that is not a number ({}, {})",
            c.x, c.y
        ));
    }
    if let Some(c) = ring.iter().find(|c| c.x.abs() > 360.0 || c.y.abs() > 90.0) {
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
    Some(format!(
        "ring has only {} distinct point(s)",
        distinct.len()
    ))
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
