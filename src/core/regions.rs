//! Which countries a plan's accounts are in, and so which geographic unit
//! layers fit it: US states, counties and ZIP areas for US accounts, the
//! bundled first-level regions (`assets/admin1-50m.geojson`) for Australia,
//! Brazil and Canada, hexagons anywhere. A plan of German and Canadian
//! accounts is offered Canadian provinces and hexagons, never only US
//! counties.
//!
//! An account's country is the country whose postal table placed it, else
//! the bundled outlines it falls in (the 1:50m regions of the four
//! countries first, then the 1:110m world countries; a point just off a
//! simplified coast is looked up again a quarter degree around).

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::MultiPolygon;
use serde_json::Value;

use crate::core::basemap::{COUNTRIES_FILE, PROVINCES_FILE, read_features};
use crate::core::geocode::Country;
use crate::core::index::TerritoryIndex;
use crate::core::model::Project;
pub use crate::core::units::provinces::{PROVINCE_COUNTRIES, provinces, provinces_caption};
use crate::core::units::{UnitLayer, build_index};

/// Point locators over the bundled outlines: the four countries' regions,
/// then the world's countries. Missing files leave a locator empty.
struct Locators {
    regions: TerritoryIndex,
    region_country: Vec<Option<Country>>,
    world: TerritoryIndex,
    world_country: Vec<Option<Country>>,
}

fn locators() -> &'static Locators {
    static L: OnceLock<Locators> = OnceLock::new();
    L.get_or_init(|| {
        let dir = crate::core::assets::dir();
        let (regions, region_country) = index_of(&dir.join(PROVINCES_FILE), "country_a3");
        let (world, world_country) = index_of(&dir.join(COUNTRIES_FILE), "iso_a3");
        Locators {
            regions,
            region_country,
            world,
            world_country,
        }
    })
}

fn index_of(path: &std::path::Path, key: &str) -> (TerritoryIndex, Vec<Option<Country>>) {
    let features = read_features(path).unwrap_or_default();
    let countries = features
        .iter()
        .map(|(p, _)| p.get(key).and_then(Value::as_str).and_then(Country::parse))
        .collect();
    let shapes: Vec<MultiPolygon<f64>> = features
        .into_iter()
        .map(|(_, polys)| MultiPolygon(polys))
        .collect();
    (build_index(&shapes), countries)
}

impl Locators {
    fn at(&self, lon: f64, lat: f64) -> Option<Country> {
        let find = |idx: &TerritoryIndex, of: &[Option<Country>]| {
            idx.locate(lon, lat)
                .and_then(|id| of.get(id.0 as usize).copied().flatten())
        };
        find(&self.regions, &self.region_country).or_else(|| find(&self.world, &self.world_country))
    }

    /// The country at or, off a simplified coast, near the point.
    fn near(&self, lon: f64, lat: f64) -> Option<Country> {
        const D: f64 = 0.25;
        self.at(lon, lat).or_else(|| {
            [
                (D, 0.0),
                (-D, 0.0),
                (0.0, D),
                (0.0, -D),
                (D, D),
                (-D, -D),
                (D, -D),
                (-D, D),
            ]
            .into_iter()
            .find_map(|(dx, dy)| self.at(lon + dx, lat + dy))
        })
    }
}

/// The country of the point, from the bundled outlines (`None` at sea or
/// where no outline is near).
pub fn country_at(lon: f64, lat: f64) -> Option<Country> {
    locators().near(lon, lat)
}

/// The countries of the plan's live located accounts with their account
/// counts, most accounts first; `elsewhere` counts those in no country
/// (at sea, off the bundled outlines).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanCountries {
    /// `(country, accounts)`, most accounts first (ties by code).
    pub countries: Vec<(Country, usize)>,
    /// Located accounts in no known country.
    pub elsewhere: usize,
    /// The counts are estimated from an even sample of the accounts (large
    /// plans; see [`plan_countries`]).
    pub estimated: bool,
}

/// Accounts looked at most; beyond, an even sample is, and the counts are
/// scaled (the unit choosers call this on the window's thread).
const MAX_LOOKUPS: usize = 20_000;

/// Where the plan's accounts are: an account placed by postal code is in
/// its table's country; one placed by coordinates is looked up once per
/// 0.05° cell (about 5 km). A plan of more than [`MAX_LOOKUPS`] accounts
/// is sampled evenly (every k-th account) and its counts estimated.
pub fn plan_countries(project: &Project) -> PlanCountries {
    let a = &project.accounts;
    let step = a.len().div_ceil(MAX_LOOKUPS).max(1);
    let weight = step as f64;
    let mut counts: HashMap<Country, f64> = HashMap::new();
    let mut cells: HashMap<(i32, i32), Option<Country>> = HashMap::new();
    let mut elsewhere = 0.0;
    for i in (0..a.len()).step_by(step) {
        if a.removed[i] || !a.is_located(i) {
            continue;
        }
        let country = match a.postal_match(i) {
            Some(m) => Some(m.country),
            None => {
                let key = (
                    (a.lon[i] * 20.0).floor() as i32,
                    (a.lat[i] * 20.0).floor() as i32,
                );
                *cells
                    .entry(key)
                    .or_insert_with(|| country_at(a.lon[i], a.lat[i]))
            }
        };
        match country {
            Some(c) => *counts.entry(c).or_default() += weight,
            None => elsewhere += weight,
        }
    }
    let mut countries: Vec<(Country, usize)> = counts
        .into_iter()
        .map(|(c, n)| (c, n.round() as usize))
        .collect();
    countries.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    PlanCountries {
        countries,
        elsewhere: elsewhere.round() as usize,
        estimated: step > 1,
    }
}

/// The unit layers that fit accounts in `countries` (most accounts
/// first), each with how many of those accounts it covers: US states,
/// counties and ZIP areas for the US, the bundled regions of Australia,
/// Brazil and Canada, and hexagons (`Hex` of `hex_km`) for all. Without
/// any located account the US layers are offered, as before any import.
pub fn unit_layers(countries: &PlanCountries, hex_km: f64) -> Vec<(UnitLayer, usize)> {
    let mut out = Vec::new();
    let all: usize = countries.countries.iter().map(|c| c.1).sum::<usize>() + countries.elsewhere;
    let list: Vec<(Country, usize)> = if all == 0 {
        vec![(Country::US, 0)]
    } else {
        countries.countries.clone()
    };
    for (c, n) in list {
        if c == Country::US {
            out.push((UnitLayer::States, n));
            out.push((UnitLayer::Counties, n));
            out.push((UnitLayer::Zips, n));
        } else if PROVINCE_COUNTRIES.contains(&c) {
            out.push((UnitLayer::Provinces(c), n));
        }
    }
    out.push((UnitLayer::Hex { size_km: hex_km }, all));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, Accounts};
    use crate::core::units::UnitSet;

    fn plan(points: &[(f64, f64)]) -> Project {
        let mut p = Project::new("t");
        let mut a = Accounts::with_schema(&[], &[]);
        for (k, &(lon, lat)) in points.iter().enumerate() {
            a.push(&AccountRow {
                id: k.to_string(),
                name: k.to_string(),
                location: Some((lon, lat)),
                ..AccountRow::default()
            });
        }
        p.accounts = a;
        p
    }

    const BERLIN: (f64, f64) = (13.40, 52.52);
    const MUNICH: (f64, f64) = (11.58, 48.14);
    const TORONTO: (f64, f64) = (-79.38, 43.65);
    const SYDNEY: (f64, f64) = (151.21, -33.87);
    const SAO_PAULO: (f64, f64) = (-46.63, -23.55);
    const AUSTIN: (f64, f64) = (-97.74, 30.27);

    #[test]
    fn accounts_are_counted_per_country() {
        let p = plan(&[
            BERLIN,
            MUNICH,
            TORONTO,
            SYDNEY,
            SAO_PAULO,
            AUSTIN,
            (-30.0, 30.0),
        ]);
        let c = plan_countries(&p);
        assert_eq!(c.countries[0], (Country::DE, 2));
        let mut rest: Vec<Country> = c.countries[1..].iter().map(|x| x.0).collect();
        rest.sort();
        assert_eq!(
            rest,
            vec![Country::AU, Country::BR, Country::CA, Country::US]
        );
        assert_eq!(c.elsewhere, 1, "mid-Atlantic");
        assert!(!c.estimated);
    }

    #[test]
    fn large_plans_are_sampled_evenly() {
        // 30,000 in Berlin, 15,000 in Toronto: more than the lookups allowed.
        let mut pts = vec![BERLIN; 30_000];
        pts.extend(vec![TORONTO; 15_000]);
        let c = plan_countries(&plan(&pts));
        assert!(c.estimated);
        assert_eq!(c.countries.len(), 2);
        assert_eq!(c.countries[0].0, Country::DE);
        assert!(c.countries[0].1.abs_diff(30_000) <= 10, "{c:?}");
        assert!(c.countries[1].1.abs_diff(15_000) <= 10, "{c:?}");
    }

    #[test]
    fn a_german_and_canadian_plan_is_offered_provinces_not_us_units() {
        let p = plan(&[BERLIN, MUNICH, TORONTO]);
        let layers = unit_layers(&plan_countries(&p), 25.0);
        let only: Vec<&UnitLayer> = layers.iter().map(|l| &l.0).collect();
        assert_eq!(
            only,
            vec![
                &UnitLayer::Provinces(Country::CA),
                &UnitLayer::Hex { size_km: 25.0 }
            ]
        );
        assert_eq!(layers[0].1, 1, "one Canadian account");
        assert_eq!(layers[1].1, 3, "hexagons cover all");
        // A German-only plan: hexagons only.
        let de = unit_layers(&plan_countries(&plan(&[BERLIN])), 25.0);
        assert_eq!(de.len(), 1);
        // US accounts bring the US layers.
        let us = unit_layers(&plan_countries(&plan(&[AUSTIN, SYDNEY])), 25.0);
        assert!(us.iter().any(|l| l.0 == UnitLayer::Counties));
        assert!(us.iter().any(|l| l.0 == UnitLayer::Provinces(Country::AU)));
    }

    #[test]
    fn provinces_are_named_located_and_adjacent() {
        let ca = UnitSet::for_layer(&UnitLayer::Provinces(Country::CA), [0.0; 4]).expect("CA");
        assert_eq!(ca.len(), 13);
        let on = ca.locate(-80.99, 46.49).expect("Sudbury in a province") as usize;
        assert_eq!(ca.labels[on], "Ontario");
        let qc = ca.locate(-71.89, 45.40).expect("Sherbrooke") as usize;
        assert_eq!(ca.labels[qc], "Quebec");
        assert!(
            ca.neighbors(on).contains(&(qc as u32)),
            "Ontario borders Quebec"
        );
        let br = provinces(Country::BR).expect("BR");
        assert_eq!(br.len(), 27);
        let sp = br.locate(SAO_PAULO.0, SAO_PAULO.1).expect("São Paulo") as usize;
        assert_eq!(br.labels[sp], "São Paulo");
        let au = provinces(Country::AU).expect("AU");
        let nsw = au.locate(148.60, -32.25).expect("Dubbo") as usize;
        assert_eq!(au.labels[nsw], "New South Wales");
        assert!(provinces(Country::DE).is_err(), "no German regions bundled");
    }
}
