//! The bundled offline basemap files (`assets/*.geojson`), read as plain
//! lon/lat polygons. The window triangulates them for egui
//! (`app::map::basemap`); the map export ([`crate::core::render`]) draws
//! them as SVG paths. Both read the files through [`read_features`].

use std::path::Path;
use std::sync::OnceLock;

use geo::{Coord, LineString, Polygon};
use serde_json::Value;

/// Countries: land fill and borders.
pub const COUNTRIES_FILE: &str = "world-countries-110m.geojson";
/// US states.
pub const STATES_FILE: &str = "us-states.geojson";
/// US counties.
pub const COUNTIES_FILE: &str = "us-counties.geojson";
/// First-level subdivisions of Australia, Brazil, Canada and the US.
pub const PROVINCES_FILE: &str = "admin1-50m.geojson";

/// A feature's properties and polygons (lon/lat).
pub type Feature = (serde_json::Map<String, Value>, Vec<Polygon<f64>>);

/// The basemap layers as lon/lat polygons, one entry per feature.
#[derive(Clone, Debug, Default)]
pub struct BasemapData {
    /// Countries (land fill and borders).
    pub countries: Vec<Vec<Polygon<f64>>>,
    /// US states (borders).
    pub states: Vec<Vec<Polygon<f64>>>,
    /// US counties (borders, drawn only when zoomed in).
    pub counties: Vec<Vec<Polygon<f64>>>,
    /// Provinces outside the US (borders).
    pub provinces: Vec<Vec<Polygon<f64>>>,
    /// Files that could not be read, `file: why` (the map works without).
    pub errors: Vec<String>,
}

impl BasemapData {
    /// Reads every layer from the assets folder `dir`. Missing or broken
    /// files are listed in [`BasemapData::errors`], never panicked on.
    pub fn load(dir: &Path) -> Self {
        let mut data = Self::default();
        let mut read = |name: &str| match read_features(&dir.join(name)) {
            Ok(f) => f,
            Err(e) => {
                data.errors.push(format!("{name}: {e}"));
                Vec::new()
            }
        };
        let countries = read(COUNTRIES_FILE);
        let states = read(STATES_FILE);
        let counties = read(COUNTIES_FILE);
        let provinces = read(PROVINCES_FILE);
        data.countries = countries.into_iter().map(|f| f.1).collect();
        data.states = states.into_iter().map(|f| f.1).collect();
        data.counties = counties.into_iter().map(|f| f.1).collect();
        // The US is covered by the states file, at a finer scale.
        data.provinces = provinces
            .into_iter()
            .filter(|f| f.0.get("country_a3").and_then(Value::as_str) != Some("USA"))
            .map(|f| f.1)
            .collect();
        data
    }

    /// The bundled basemap, read once per process from
    /// [`crate::core::assets::dir`].
    pub fn bundled() -> &'static Self {
        static DATA: OnceLock<BasemapData> = OnceLock::new();
        DATA.get_or_init(|| Self::load(&crate::core::assets::dir()))
    }
}

/// Reads the Polygon / MultiPolygon features of a GeoJSON file; other
/// features and malformed polygons are left out.
pub fn read_features(path: &Path) -> Result<Vec<Feature>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let json: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let features = json
        .get("features")
        .and_then(Value::as_array)
        .ok_or("not a FeatureCollection")?;
    let mut out = Vec::with_capacity(features.len());
    for f in features {
        let props = f
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let Some(g) = f.get("geometry") else {
            continue;
        };
        let coords = g.get("coordinates");
        let polys: Vec<Polygon<f64>> = match (g.get("type").and_then(Value::as_str), coords) {
            (Some("Polygon"), Some(c)) => polygon_from_json(c).into_iter().collect(),
            (Some("MultiPolygon"), Some(Value::Array(ps))) => {
                ps.iter().filter_map(polygon_from_json).collect()
            }
            _ => Vec::new(),
        };
        if !polys.is_empty() {
            out.push((props, polys));
        }
    }
    Ok(out)
}

/// `[[[lon, lat], …], …]` → polygon; `None` when malformed.
fn polygon_from_json(v: &Value) -> Option<Polygon<f64>> {
    let rings = v.as_array()?;
    let mut rings = rings.iter().filter_map(|r| {
        let pts: Vec<Coord<f64>> = r
            .as_array()?
            .iter()
            .filter_map(|p| {
                let p = p.as_array()?;
                Some(Coord {
                    x: p.first()?.as_f64()?,
                    y: p.get(1)?.as_f64()?,
                })
            })
            .collect();
        (pts.len() >= 3).then_some(LineString(pts))
    });
    let ext = rings.next()?;
    Some(Polygon::new(ext, rings.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_layers_load_and_a_missing_folder_is_reported() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets");
        let data = BasemapData::load(&dir);
        assert!(data.errors.is_empty(), "{:?}", data.errors);
        assert!(data.countries.len() > 150);
        assert!(data.states.len() > 50);
        let none = BasemapData::load(Path::new("/nonexistent-turfmap-assets"));
        assert_eq!(none.errors.len(), 4);
        assert!(none.countries.is_empty());
    }
}
