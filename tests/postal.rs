//! Country-aware postal geocoding on data Turfmap did not make: a
//! Salesforce-style export whose postal codes and countries come from 13
//! Faker locales (tests/data/make_world_accounts.py), checked against the
//! bundled Natural Earth country outlines.
// Test helpers: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;

use geo::{Distance, Euclidean, Point, Polygon};
use turfmap::core::geocode::{Country, Gazetteer, PostalLookup, PostalMiss};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Country outlines of the bundled basemap by ISO alpha-3.
fn outlines() -> HashMap<String, Vec<Polygon<f64>>> {
    let path = turfmap::core::assets::dir().join(turfmap::core::basemap::COUNTRIES_FILE);
    turfmap::core::basemap::read_features(&path)
        .expect("the bundled countries file reads")
        .into_iter()
        .filter_map(|(props, polys)| Some((props.get("iso_a3")?.as_str()?.to_owned(), polys)))
        .collect()
}

/// `(postal code, country text)` of every row of the Faker export.
fn faker_rows() -> Vec<(String, String)> {
    let mut rdr = csv::Reader::from_path(data("world_accounts.csv")).expect("fixture opens");
    rdr.records()
        .map(|r| {
            let r = r.expect("fixture rows read");
            (r[3].to_owned(), r[4].to_owned())
        })
        .collect()
}

#[test]
fn faker_codes_in_their_own_countries() {
    let shapes = outlines();
    let mut lookup = PostalLookup::new(Gazetteer::bundled(), Country::US);
    let mut placed: HashMap<Country, usize> = HashMap::new();
    let mut misses: HashMap<(PostalMiss, Country), usize> = HashMap::new();
    for (code, country_text) in faker_rows() {
        let country = Country::parse(&country_text)
            .unwrap_or_else(|| panic!("'{country_text}' names a country"));
        match lookup.locate(Some(&country_text), &code) {
            Ok(hit) => {
                assert_eq!(hit.country, country, "{code} {country_text}");
                // Within a degree of the country's (coarse, 1:110m)
                // outline: never in another country's table's place.
                let polys = &shapes[country.iso3()];
                let p = Point::new(hit.lon, hit.lat);
                let d = polys
                    .iter()
                    .map(|poly| Euclidean.distance(&p, poly))
                    .fold(f64::INFINITY, f64::min);
                // The 1:110m outline of Spain has no Canary Islands.
                let canaries = country == Country::ES
                    && (-18.5..-13.0).contains(&hit.lon)
                    && (27.4..29.5).contains(&hit.lat);
                assert!(
                    d < 1.0 || canaries,
                    "{code} {country_text} → {hit:?}, {d:.2}° outside"
                );
                *placed.entry(country).or_default() += 1;
            }
            Err((miss, c)) => {
                assert_eq!(c, Some(country), "{code} {country_text}");
                *misses.entry((miss, country)).or_default() += 1;
            }
        }
    }
    let miss = |m: PostalMiss, c: Country| misses.get(&(m, c)).copied().unwrap_or(0);
    let ch = Country::parse("CH").unwrap();
    // Switzerland has no table: every Swiss row says so.
    assert_eq!(miss(PostalMiss::NotCovered, ch), 40);
    // Faker writes Mexican codes ZIP+4 style ("76317-0669") a third of the
    // time; those do not fit Mexico's 5 digits and are reported as such.
    let mx_bad = miss(PostalMiss::BadFormat, Country::MX);
    assert!((5..=30).contains(&mx_bad), "{mx_bad}");
    // Every other locale writes its country's format: nothing else is a
    // format error.
    let bad: usize = misses
        .iter()
        .filter(|((m, c), _)| *m == PostalMiss::BadFormat && *c != Country::MX)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(bad, 0, "{misses:?}");
    // Brazil's floor lookup places every well-formed CEP at its
    // municipality; random codes elsewhere are found where the country's
    // code space is dense (most random Japanese and Indian ones do not exist).
    let got = |c: Country| placed.get(&c).copied().unwrap_or(0);
    assert_eq!(got(Country::BR), 40, "{placed:?} {misses:?}");
    for c in [
        Country::US,
        Country::CA,
        Country::GB,
        Country::DE,
        Country::FR,
        Country::AU,
    ] {
        assert!(got(c) >= 1, "{c}: {placed:?} {misses:?}");
    }
    for c in [Country::NL, Country::ES, Country::IT, Country::MX] {
        assert!(got(c) >= 1, "{c}: {placed:?} {misses:?}");
    }
}

fn turfmap(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_turfmap"))
        .args(args)
        .output()
        .expect("run turfmap")
}

fn run_ok(args: &[&str]) -> (String, String) {
    let o = turfmap(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{args:?}: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// `lat, lon` that `turfmap explain` prints for `id`, and how it was placed.
fn explained(plan: &Path, id: &str) -> (f64, f64, String) {
    let (out, _) = run_ok(&["explain", plan.to_str().unwrap(), id]);
    let head = out.lines().next().unwrap_or_default().to_owned();
    let at = head
        .split(" at ")
        .nth(1)
        .unwrap_or_else(|| panic!("{head}"));
    let mut nums = at.split([',', ' ']).filter_map(|s| s.parse::<f64>().ok());
    let (lat, lon) = (nums.next().unwrap(), nums.next().unwrap());
    (lat, lon, head)
}

#[test]
fn the_issues_export_lands_in_the_right_countries() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("global.csv");
    std::fs::write(
        &csv,
        "Id,Name,BillingPostalCode,BillingCountry\n\
         1,Berlin GmbH,10115,Germany\n\
         2,Paris SA,75001,France\n\
         3,Toronto Inc,M5V 2T6,Canada\n\
         4,London Ltd,SW1A 1AA,United Kingdom\n\
         5,Zurich AG,8001,Switzerland\n\
         6,Manhattan LLC,10115,US\n",
    )
    .unwrap();
    let plan = dir.path().join("global.turf");
    let (_, err) = run_ok(&[
        "new",
        plan.to_str().unwrap(),
        "--accounts",
        csv.to_str().unwrap(),
    ]);
    assert!(err.contains("5 by postal code:"), "{err}");
    assert!(
        err.contains("1 CA FSA") && err.contains("1 GB sector"),
        "{err}"
    );
    assert!(
        err.contains("1 unlocated: 1 country not covered (CH)"),
        "{err}"
    );
    let near = |id: &str, lat: f64, lon: f64, how: &str| {
        let (a, o, head) = explained(&plan, id);
        assert!((a - lat).abs() < 0.05 && (o - lon).abs() < 0.05, "{head}");
        assert!(head.contains(how), "{head}");
    };
    near("1", 52.53, 13.38, "DE postal code");
    near("2", 48.86, 2.35, "FR postal code");
    near("3", 43.64, -79.40, "CA FSA");
    near("4", 51.50, -0.14, "GB postal sector");
    near("6", 40.81, -73.96, "US ZIP");
}

#[test]
fn plan_default_country_without_a_country_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("de.csv");
    std::fs::write(
        &csv,
        "Kundennummer,Name,PLZ\nK1,Berlin,10115\nK2,Dresden,1067\nK3,Toronto,M5V 2T6\n",
    )
    .unwrap();
    let plan = dir.path().join("de.turf");
    let (_, err) = run_ok(&[
        "new",
        plan.to_str().unwrap(),
        "--accounts",
        csv.to_str().unwrap(),
        "--id-col",
        "Kundennummer",
        "--zip-col",
        "PLZ",
        "--country",
        "Deutschland",
    ]);
    // A Canadian code is no German one: reported, not guessed.
    assert!(
        err.contains("1 unlocated: 1 code doesn't fit the country's format (DE)"),
        "{err}"
    );
    let (lat, _, head) = explained(&plan, "K2");
    assert!(
        (lat - 51.05).abs() < 0.05 && head.contains("DE postal code"),
        "{head}"
    );
    // The plan keeps its country.
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(
        text.contains("default_country: \"DE\""),
        "{}",
        &text[..text.len().min(600)]
    );
    // A bad --country is a clear error.
    let o = turfmap(&[
        "new",
        dir.path().join("x.turf").to_str().unwrap(),
        "--accounts",
        csv.to_str().unwrap(),
        "--country",
        "Atlantis",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("'Atlantis' is not a country"));
}

#[test]
fn bench_postal_runs_on_a_small_file() {
    let (out, _) = run_ok(&["bench-postal", "--accounts", "3000"]);
    assert!(out.contains("import with geocoding"), "{out}");
    assert!(
        out.contains("by postal code:") && out.contains("country not covered (CH)"),
        "{out}"
    );
}
