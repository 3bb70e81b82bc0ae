//! The bundled first-level regions (`assets/admin1-50m.geojson`) of the
//! countries other than the US that have them, as a unit layer.

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::{Centroid, MultiPolygon};
use serde_json::Value;

use super::{UnitLayer, UnitSet, shape_units};
use crate::core::basemap::{PROVINCES_FILE, read_features};
use crate::core::error::{Error, Result};
use crate::core::geocode::Country;

/// Countries other than the US whose first-level regions are bundled.
pub const PROVINCE_COUNTRIES: [Country; 3] = [Country::AU, Country::BR, Country::CA];

/// Names of the bundled regions, by the file's `code` (`CAN-ON`).
const REGION_NAMES: [(&str, &str); 49] = [
    ("AUS-CT", "Australian Capital Territory"),
    ("AUS-JB", "Jervis Bay Territory"),
    ("AUS-NS", "New South Wales"),
    ("AUS-NT", "Northern Territory"),
    ("AUS-QL", "Queensland"),
    ("AUS-SA", "South Australia"),
    ("AUS-TS", "Tasmania"),
    ("AUS-VI", "Victoria"),
    ("AUS-WA", "Western Australia"),
    ("BRA-AC", "Acre"),
    ("BRA-AL", "Alagoas"),
    ("BRA-AM", "Amazonas"),
    ("BRA-AP", "Amapá"),
    ("BRA-BA", "Bahia"),
    ("BRA-CE", "Ceará"),
    ("BRA-DF", "Distrito Federal"),
    ("BRA-ES", "Espírito Santo"),
    ("BRA-GO", "Goiás"),
    ("BRA-MA", "Maranhão"),
    ("BRA-MG", "Minas Gerais"),
    ("BRA-MS", "Mato Grosso do Sul"),
    ("BRA-MT", "Mato Grosso"),
    ("BRA-PA", "Pará"),
    ("BRA-PB", "Paraíba"),
    ("BRA-PE", "Pernambuco"),
    ("BRA-PI", "Piauí"),
    ("BRA-PR", "Paraná"),
    ("BRA-RJ", "Rio de Janeiro"),
    ("BRA-RN", "Rio Grande do Norte"),
    ("BRA-RO", "Rondônia"),
    ("BRA-RR", "Roraima"),
    ("BRA-RS", "Rio Grande do Sul"),
    ("BRA-SC", "Santa Catarina"),
    ("BRA-SE", "Sergipe"),
    ("BRA-SP", "São Paulo"),
    ("BRA-TO", "Tocantins"),
    ("CAN-AB", "Alberta"),
    ("CAN-BC", "British Columbia"),
    ("CAN-MB", "Manitoba"),
    ("CAN-NB", "New Brunswick"),
    ("CAN-NL", "Newfoundland and Labrador"),
    ("CAN-NS", "Nova Scotia"),
    ("CAN-NT", "Northwest Territories"),
    ("CAN-NU", "Nunavut"),
    ("CAN-ON", "Ontario"),
    ("CAN-PE", "Prince Edward Island"),
    ("CAN-QC", "Quebec"),
    ("CAN-SK", "Saskatchewan"),
    ("CAN-YT", "Yukon"),
];

/// What the regions of `country` are called, for the unit choosers.
pub fn provinces_caption(country: Country) -> &'static str {
    match country {
        Country::CA => "Canadian provinces",
        Country::AU => "Australian states",
        Country::BR => "Brazilian states",
        Country::US => "US states",
        _ => "Regions",
    }
}

/// The bundled first-level regions of `country` as units (loaded once per
/// country), labelled with their names (`Ontario`).
pub fn provinces(country: Country) -> Result<UnitSet> {
    type Cache = HashMap<Country, std::result::Result<UnitSet, String>>;
    static CACHE: OnceLock<std::sync::Mutex<Cache>> = OnceLock::new();
    if country == Country::US {
        return UnitSet::states();
    }
    if !PROVINCE_COUNTRIES.contains(&country) {
        return Err(Error::invalid(format!(
            "no bundled regions for {} ({}); use hexagons",
            country.name(),
            country
        )));
    }
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .map_err(|_| Error::invalid("region cache poisoned by an earlier failure"))?;
    cache
        .entry(country)
        .or_insert_with(|| load_provinces(country).map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::invalid)
}

fn load_provinces(country: Country) -> Result<UnitSet> {
    let path = crate::core::assets::dir().join(PROVINCES_FILE);
    let features =
        read_features(&path).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    let mut labels = Vec::new();
    let mut shapes = Vec::new();
    let mut centroids = Vec::new();
    for (props, polygons) in features {
        if props.get("country_a3").and_then(Value::as_str) != Some(country.iso3()) {
            continue;
        }
        let code = props.get("code").and_then(Value::as_str).unwrap_or("");
        let shape = MultiPolygon(polygons);
        let Some(c) = shape.centroid() else {
            continue;
        };
        let name = REGION_NAMES
            .iter()
            .find(|(k, _)| *k == code)
            .map_or(code, |(_, n)| n);
        labels.push(name.to_owned());
        centroids.push((c.x(), c.y()));
        shapes.push(shape);
    }
    if shapes.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no regions of {} in it",
            path.display(),
            country.name()
        )));
    }
    Ok(shape_units(
        UnitLayer::Provinces(country),
        labels,
        shapes,
        centroids,
    ))
}
