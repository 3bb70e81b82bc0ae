//! Country-aware postal-code geocoding: an account's postal code and country
//! → the centroid of the code in that country's bundled table, with the
//! precision of the match, or an honest reason why not.
//!
//! A code is only ever looked up in its own country's table: `10115` is
//! Berlin in Germany and Manhattan in the US, `75001` Paris in France and
//! Addison, Texas in the US. Countries and their tables:
//!
//! | country | table | precision |
//! |---|---|---|
//! | US | bundled ZIP table (`us-zips.csv`) | ZIP |
//! | CA | `postal/ca.csv.gz` | FSA (first 3 characters) |
//! | GB | `postal/gb_sector.csv.gz`, then `postal/gb.csv.gz` | postal sector, then outward code |
//! | DE, FR, AU, ES, IT, MX, IN | `postal/<cc>.csv.gz` | postal code |
//! | NL | `postal/nl.csv.gz` | PC4 (4 digits) |
//! | BR | `postal/br.csv.gz` (municipality `-000` codes; floor lookup) | municipality |
//! | JP | `postal/jp.csv.gz` (positions at ward/municipality level) | ward |
//!
//! Tables are read from the assets folder on first use, one country at a
//! time, so an all-US import never reads any of them.

pub mod batch;
pub mod country;
pub mod normalize;
pub mod table;
pub mod zips;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use batch::{PostalLookup, PostalSummary, country_column};
pub use country::Country;
use normalize::{Scheme, Shape};
pub use table::{Key, PostalTable};

/// How precisely a postal code places an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Precision {
    /// A US ZIP code's centroid.
    Zip,
    /// A full postal code's centroid (DE, FR, AU, ES, IT, MX, IN).
    PostalCode,
    /// Canada's forward sortation area (first 3 characters of the code).
    Fsa,
    /// A UK postcode sector (`SW1A 1`).
    PostalSector,
    /// A UK outward code (postcode district, `SW1A`).
    OutwardCode,
    /// A Dutch 4-digit postcode (PC4, letters dropped).
    Pc4,
    /// The municipality's main code (Brazil).
    Municipality,
    /// A Japanese code, whose position is at ward/municipality level.
    Ward,
}

impl Precision {
    /// Words for the user, e.g. `postal sector`.
    pub fn label(self) -> &'static str {
        match self {
            Precision::Zip => "ZIP",
            Precision::PostalCode => "postal code",
            Precision::Fsa => "FSA",
            Precision::PostalSector => "postal sector",
            Precision::OutwardCode => "outward code",
            Precision::Pc4 => "PC4",
            Precision::Municipality => "municipality",
            Precision::Ward => "ward",
        }
    }

    /// The short form for summaries: `812 CA FSA, 392 GB sector`.
    pub fn short(self) -> &'static str {
        match self {
            Precision::PostalSector => "sector",
            p => p.label(),
        }
    }
}

/// How a postal code placed an account: whose table, how precisely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PostalMatch {
    /// The country whose table placed it.
    pub country: Country,
    /// What the centroid stands for.
    pub precision: Precision,
}

impl PostalMatch {
    /// A US ZIP centroid (what every postal match was before other
    /// countries were covered).
    pub const US_ZIP: PostalMatch = PostalMatch {
        country: Country::US,
        precision: Precision::Zip,
    };

    /// `GB postal sector`, `US ZIP`.
    pub fn describe(self) -> String {
        format!("{} {}", self.country, self.precision.label())
    }
}

/// Why an account's postal code gave no location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostalMiss {
    /// Neither usable coordinates nor a postal code.
    NoCode,
    /// The country's text names no country Turfmap knows.
    UnknownCountry,
    /// No postal table for the country.
    NotCovered,
    /// The code does not fit the country's format (e.g. `M5V 2T6` as a US
    /// ZIP): reported, never guessed.
    BadFormat,
    /// A well-formed code the country's table does not have.
    UnknownCode,
    /// The country's table file is missing or unreadable (an installation
    /// problem; [`Gazetteer::load_error`] says which file and why).
    TableUnavailable,
}

impl PostalMiss {
    /// Words for the user, e.g. `country not covered`.
    pub fn label(self) -> &'static str {
        match self {
            PostalMiss::NoCode => "no coordinates or postal code",
            PostalMiss::UnknownCountry => "unknown country",
            PostalMiss::NotCovered => "country not covered",
            PostalMiss::BadFormat => "code doesn't fit the country's format",
            PostalMiss::UnknownCode => "unknown code",
            PostalMiss::TableUnavailable => "postal table unavailable",
        }
    }
}

/// A postal code found in its country's table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PostalHit<'a> {
    /// The country whose table placed it.
    pub country: Country,
    /// Longitude of the centroid in degrees (WGS84).
    pub lon: f64,
    /// Latitude of the centroid in degrees (WGS84).
    pub lat: f64,
    /// What the centroid stands for.
    pub precision: Precision,
    /// The table's code that matched (`SW1A1` for `SW1A 1AA`).
    pub matched: Key,
    /// Where the names are, read only when asked for.
    names: Names<'a>,
}

/// Where a hit's place and admin-1 names are.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Names<'a> {
    /// A row of a country's table.
    Table(table::Found<'a>),
    /// A US ZIP code (`02139` is 2139).
    Zip(u32),
}

impl<'a> PostalHit<'a> {
    /// Place name of the matched code.
    pub fn place(&self) -> &'a str {
        match self.names {
            Names::Table(f) => f.place(),
            Names::Zip(code) => zips::zip_table().entry(code).map_or("", |e| e.city),
        }
    }

    /// First-level region (state, province, nation) of the matched code.
    pub fn admin1(&self) -> &'a str {
        match self.names {
            Names::Table(f) => f.admin1(),
            Names::Zip(code) => zips::zip_table().entry(code).map_or("", |e| e.state),
        }
    }

    /// Whose table placed it and how precisely.
    pub fn matched_as(&self) -> PostalMatch {
        PostalMatch {
            country: self.country,
            precision: self.precision,
        }
    }
}

/// The table files, in [`Gazetteer::tables`] order.
const FILES: [&str; 13] = [
    "ca",
    "gb_sector",
    "gb",
    "de",
    "fr",
    "au",
    "nl",
    "es",
    "it",
    "mx",
    "br",
    "jp",
    "in",
];

/// One lookup step: table (index into [`FILES`]) and what a hit means.
type Step = (usize, Precision);

/// Scheme and lookup steps of each covered country except the US. Step
/// `i` reads key `i` of [`normalize::plan`]'s plan.
const COVERAGE: [(Country, Scheme, &[Step]); 12] = [
    (Country::CA, Scheme::Ca, &[(0, Precision::Fsa)]),
    (
        Country::GB,
        Scheme::Gb,
        &[
            (1, Precision::PostalSector),
            (2, Precision::OutwardCode),
            (2, Precision::OutwardCode),
        ],
    ),
    (
        Country::DE,
        Scheme::Digits { len: 5, pad: 1 },
        &[(3, Precision::PostalCode)],
    ),
    (Country::FR, Scheme::Fr, &[(4, Precision::PostalCode)]),
    (
        Country::AU,
        Scheme::Digits { len: 4, pad: 1 },
        &[(5, Precision::PostalCode)],
    ),
    (Country::NL, Scheme::Nl, &[(6, Precision::Pc4)]),
    (
        Country::ES,
        Scheme::Digits { len: 5, pad: 1 },
        &[(7, Precision::PostalCode)],
    ),
    // Rome's CAPs start with two zeros (00186).
    (
        Country::IT,
        Scheme::Digits { len: 5, pad: 2 },
        &[(8, Precision::PostalCode)],
    ),
    (
        Country::MX,
        Scheme::Digits { len: 5, pad: 1 },
        &[(9, Precision::PostalCode)],
    ),
    (Country::BR, Scheme::Br, &[(10, Precision::Municipality)]),
    (
        Country::JP,
        Scheme::Digits { len: 7, pad: 1 },
        &[(11, Precision::Ward)],
    ),
    (
        Country::IN,
        Scheme::Digits { len: 6, pad: 0 },
        &[(12, Precision::PostalCode)],
    ),
];

/// The countries with a postal table, US first.
pub fn covered_countries() -> impl Iterator<Item = Country> {
    std::iter::once(Country::US).chain(COVERAGE.iter().map(|(c, _, _)| *c))
}

/// True when `country` has a postal table.
pub fn covers(country: Country) -> bool {
    covered_countries().any(|c| c == country)
}

/// The postal tables of one assets folder, each read on first use.
#[derive(Debug)]
pub struct Gazetteer {
    dir: PathBuf,
    tables: [OnceLock<Result<PostalTable, String>>; FILES.len()],
}

impl Gazetteer {
    /// Tables in `dir` (`<dir>/<cc>.csv.gz`); nothing is read yet.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Gazetteer {
            dir: dir.into(),
            tables: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The tables of the assets folder ([`crate::core::assets::dir`]).
    pub fn bundled() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| Gazetteer::new(crate::core::assets::dir().join("postal")))
    }

    /// The folder the tables are read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Places `code` within `country`, or says why it cannot.
    pub fn locate(&self, country: Country, code: &str) -> Result<PostalHit<'_>, PostalMiss> {
        if country == Country::US {
            return locate_us(code);
        }
        let (_, scheme, steps) = COVERAGE
            .iter()
            .find(|(c, _, _)| *c == country)
            .ok_or(PostalMiss::NotCovered)?;
        let plan = normalize::plan(*scheme, code).map_err(|s| match s {
            Shape::Empty => PostalMiss::NoCode,
            Shape::BadFormat => PostalMiss::BadFormat,
        })?;
        for (key, &(file, precision)) in plan.keys.iter().zip(steps.iter()) {
            let Some(key) = *key else { continue };
            let table = self.table(file).ok_or(PostalMiss::TableUnavailable)?;
            let found = if *scheme == Scheme::Br {
                // A CEP's municipality is the greatest `-000` code at or
                // below it, within the same postal region (first digit).
                table.floor(key).filter(|f| f.key.first() == key.first())
            } else {
                table.get(key)
            };
            if let Some(f) = found {
                return Ok(PostalHit {
                    country,
                    lon: f.lon,
                    lat: f.lat,
                    precision,
                    matched: f.key,
                    names: Names::Table(f),
                });
            }
        }
        Err(PostalMiss::UnknownCode)
    }

    /// Reads the tables `countries` need now, in parallel, so that the
    /// lookups that follow do not wait on them one by one.
    pub fn preload(&self, countries: &[Country]) {
        use rayon::prelude::*;
        let mut files: Vec<usize> = countries
            .iter()
            .filter_map(|c| COVERAGE.iter().find(|(cc, _, _)| cc == c))
            .flat_map(|(_, _, steps)| steps.iter().map(|(f, _)| *f))
            .collect();
        files.sort_unstable();
        files.dedup();
        files.par_iter().for_each(|&f| {
            self.table(f);
        });
    }

    /// Why `country`'s table could not be read, if it could not (after a
    /// lookup tried it).
    pub fn load_error(&self, country: Country) -> Option<&str> {
        let (_, _, steps) = COVERAGE.iter().find(|(c, _, _)| *c == country)?;
        steps
            .iter()
            .find_map(|(f, _)| self.tables[*f].get()?.as_ref().err().map(String::as_str))
    }

    fn table(&self, file: usize) -> Option<&PostalTable> {
        self.tables[file]
            .get_or_init(|| PostalTable::load(&self.dir.join(format!("{}.csv.gz", FILES[file]))))
            .as_ref()
            .ok()
    }
}

/// A US ZIP in the bundled ZIP table (ZIP+4 and dropped leading zeros
/// accepted, as the ZIP table reads them).
fn locate_us(code: &str) -> Result<PostalHit<'static>, PostalMiss> {
    if code.trim().is_empty() {
        return Err(PostalMiss::NoCode);
    }
    match zips::zip_table().centroid(code) {
        Some((zip, lon, lat)) => Ok(PostalHit {
            country: Country::US,
            lon,
            lat,
            precision: Precision::Zip,
            matched: Key::digits(zip, 5),
            names: Names::Zip(zip),
        }),
        None if zips::normalize_zip(code).is_some() => Err(PostalMiss::UnknownCode),
        None => Err(PostalMiss::BadFormat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geometry::haversine_km;

    fn at(country: Country, code: &str) -> PostalHit<'static> {
        Gazetteer::bundled()
            .locate(country, code)
            .unwrap_or_else(|e| panic!("{country} {code}: {e:?}"))
    }

    /// Asserts that `code` lands within `km` of an independent reference
    /// point (city centres and landmarks, `(lat, lon)`), with `precision`.
    fn near(country: Country, code: &str, reference: (f64, f64), km: f64, precision: Precision) {
        let hit = at(country, code);
        let d = haversine_km((hit.lon, hit.lat), (reference.1, reference.0));
        assert!(
            d < km,
            "{country} {code}: {d:.1} km from the reference ({hit:?})"
        );
        assert_eq!(hit.precision, precision, "{country} {code}");
        assert_eq!(hit.country, country);
    }

    #[test]
    fn us_de_collision_goes_by_country() {
        // 10115: Berlin-Mitte in Germany, Manhattan (Riverside Church) in the US.
        near(
            Country::DE,
            "10115",
            (52.52, 13.405),
            5.0,
            Precision::PostalCode,
        );
        near(Country::US, "10115", (40.81, -73.964), 3.0, Precision::Zip);
        // 75001: Paris 1er in France, Addison (Texas) in the US.
        near(
            Country::FR,
            "75001",
            (48.8566, 2.3522),
            3.0,
            Precision::PostalCode,
        );
        near(Country::US, "75001", (32.96, -96.84), 5.0, Precision::Zip);
        assert_eq!(at(Country::FR, "75001").place(), "Paris");
        assert_eq!(at(Country::DE, "10115").place(), "Berlin");
    }

    #[test]
    fn every_covered_country_with_real_codes() {
        use Precision::*;
        /// Country, code, reference `(lat, lon)`, km allowed, precision.
        type Case = (Country, &'static str, (f64, f64), f64, Precision);
        let cases: [Case; 16] = [
            (Country::CA, "M5V 2T6", (43.6426, -79.3871), 3.0, Fsa),
            (Country::CA, "h2b1a0", (45.57, -73.65), 5.0, Fsa),
            (
                Country::GB,
                "SW1A 1AA",
                (51.5014, -0.1419),
                2.0,
                PostalSector,
            ),
            (Country::GB, "m1 1ae", (53.4808, -2.2426), 3.0, PostalSector),
            (Country::DE, "1067", (51.0504, 13.7373), 5.0, PostalCode),
            (
                Country::FR,
                "75008 CEDEX 08",
                (48.8737, 2.2950),
                3.0,
                PostalCode,
            ),
            (Country::AU, "2000", (-33.8688, 151.2093), 3.0, PostalCode),
            (Country::AU, "800", (-12.4634, 130.8456), 5.0, PostalCode),
            (Country::NL, "1012 AB", (52.3731, 4.8926), 2.0, Pc4),
            (Country::ES, "28013", (40.4169, -3.7035), 3.0, PostalCode),
            (Country::IT, "00186", (41.9028, 12.4964), 5.0, PostalCode),
            (Country::MX, "06000", (19.4326, -99.1332), 5.0, PostalCode),
            (
                Country::BR,
                "01310-100",
                (-23.5505, -46.6333),
                15.0,
                Municipality,
            ),
            (
                Country::BR,
                "22041-001",
                (-22.9068, -43.1729),
                20.0,
                Municipality,
            ),
            (Country::JP, "100-0001", (35.6852, 139.7528), 3.0, Ward),
            (Country::IN, "110001", (28.6315, 77.2167), 5.0, PostalCode),
        ];
        for (country, code, reference, km, precision) in cases {
            near(country, code, reference, km, precision);
        }
    }

    #[test]
    fn uk_falls_back_from_sector_to_outward_code() {
        // Crown dependencies and Northern Ireland have no Code-Point
        // sectors; their outward codes come from GeoNames.
        near(
            Country::GB,
            "BT1 1AA",
            (54.597, -5.930),
            3.0,
            Precision::OutwardCode,
        );
        assert_eq!(
            at(Country::GB, "JE2 3AB").admin1(),
            "Jersey Channel Islands"
        );
        // Outward code alone.
        assert_eq!(at(Country::GB, "SW1A").precision, Precision::OutwardCode);
        assert_eq!(at(Country::GB, "SW1A 1AA").matched.to_string(), "SW1A1");
    }

    #[test]
    fn never_another_countrys_table() {
        let g = Gazetteer::bundled();
        // Canadian and British codes are no US ZIPs, and German ones are no
        // Canadian FSAs: the format is reported, nothing is guessed.
        assert_eq!(g.locate(Country::US, "M5V 2T6"), Err(PostalMiss::BadFormat));
        assert_eq!(
            g.locate(Country::US, "SW1A 1AA"),
            Err(PostalMiss::BadFormat)
        );
        assert_eq!(g.locate(Country::CA, "10115"), Err(PostalMiss::BadFormat));
        assert_eq!(g.locate(Country::NL, "75001"), Err(PostalMiss::BadFormat));
        assert_eq!(g.locate(Country::IN, "10115"), Err(PostalMiss::BadFormat));
    }

    #[test]
    fn unknown_codes_and_countries() {
        let g = Gazetteer::bundled();
        let ch = Country::parse("Switzerland").unwrap();
        assert_eq!(g.locate(ch, "8001"), Err(PostalMiss::NotCovered));
        assert!(!covers(ch));
        assert_eq!(g.locate(Country::DE, "00000"), Err(PostalMiss::UnknownCode));
        assert_eq!(
            g.locate(Country::CA, "Z9Z 9Z9"),
            Err(PostalMiss::UnknownCode)
        );
        assert_eq!(
            g.locate(Country::GB, "ZZ9 9ZZ"),
            Err(PostalMiss::UnknownCode)
        );
        assert_eq!(g.locate(Country::US, "00000"), Err(PostalMiss::UnknownCode));
        assert_eq!(g.locate(Country::DE, " "), Err(PostalMiss::NoCode));
        assert_eq!(g.locate(Country::US, ""), Err(PostalMiss::NoCode));
    }

    #[test]
    fn missing_table_is_reported_not_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let g = Gazetteer::new(dir.path());
        assert_eq!(
            g.locate(Country::DE, "10115"),
            Err(PostalMiss::TableUnavailable)
        );
        let why = g.load_error(Country::DE).expect("the failed read is kept");
        assert!(why.contains("de.csv.gz"), "{why}");
        // The US table is built in, so it still works.
        assert!(g.locate(Country::US, "10115").is_ok());
    }

    #[test]
    fn bundled_tables_all_read() {
        let g = Gazetteer::bundled();
        let countries: Vec<Country> = covered_countries().collect();
        g.preload(&countries);
        for c in countries {
            assert_eq!(g.load_error(c), None, "{c}");
        }
        // Row counts from the data's README.
        let rows: Vec<usize> = (0..FILES.len())
            .map(|f| g.table(f).map_or(0, PostalTable::len))
            .collect();
        assert_eq!(
            rows,
            [
                1_651, 10_847, 3_004, 8_308, 20_417, 3_313, 4_086, 11_150, 4_735, 32_448, 5_525,
                142_577, 19_238
            ]
        );
    }
}
