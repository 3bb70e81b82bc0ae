//! The bundled sample plan: a seeded, re-runnable generator of a realistic
//! ~5,000-account US dataset (a Salesforce-like `accounts.csv`) and a starting
//! set of 12 sales regions made of whole states (`territories.geojson`).
//!
//! The committed copy in `assets/sample/` is what the app opens by default; it
//! is rebuilt with `cargo test --lib regenerate_sample_assets -- --ignored` or
//! `turfmap gen-sample DIR [--seed N]`. The state outlines and the ZIP table
//! are compiled in, so the generator works from an installed binary too; ZIPs
//! come from the same table the importer uses ([`zip_table`]), so a ZIP-only
//! row lands exactly where the app will put it.
//!
//! Realism that the app is meant to cope with, on purpose:
//! - accounts cluster around 51 real metro areas, plus ~5% rural scatter;
//! - ~2% carry only a ZIP code (no coordinates) and ~0.3% have no location at
//!   all, which the app must report rather than drop;
//! - the `Owner` column mostly, but not always, matches the region's rep;
//! - the starting regions are deliberately not balanced (California alone is
//!   large), which is what a planner would then fix.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::core::geocode::zips::{ZipEntry, zip_table};
use crate::core::{Error, Result};

/// What [`generate_sample`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleSummary {
    /// Rows in `accounts.csv`.
    pub accounts: usize,
    /// Features in `territories.geojson`.
    pub territories: usize,
    /// Rows with neither coordinates nor a postal code.
    pub unlocated: usize,
}

/// The seed of the committed sample in `assets/sample/` (and the default of
/// `turfmap gen-sample`).
pub const DEFAULT_SEED: u64 = 42;

/// Number of accounts in a generated sample.
pub const SAMPLE_ACCOUNTS: usize = 5_000;

/// Header of the generated `accounts.csv` (Salesforce Account export names).
pub const ACCOUNTS_HEADER: [&str; 12] = [
    "Id",
    "Name",
    "BillingLatitude",
    "BillingLongitude",
    "BillingPostalCode",
    "BillingState",
    "Industry",
    "Segment",
    "AnnualRevenue",
    "Potential",
    "WorkloadHours",
    "Owner",
];

const STATES_GEOJSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/us-states.geojson"
));
const STATES_PATH: &str = "assets/us-states.geojson";

/// Share of rows that only carry a ZIP code.
const ZIP_ONLY_SHARE: f64 = 0.02;
/// Share of rows without any location.
const UNLOCATED_SHARE: f64 = 0.003;
/// Share of accounts scattered over the lower 48 rather than near a metro.
const RURAL_SHARE: f64 = 0.05;
/// Share of located rows that also carry their ZIP code.
const LOCATED_WITH_ZIP_SHARE: f64 = 0.10;
/// Share of accounts whose owner is not (yet) the region's rep.
const FOREIGN_OWNER_SHARE: f64 = 0.08;

/// Bounding box of the lower 48 (lon, lat) for rural draws.
const LOWER48: [f64; 4] = [-124.8, 24.5, -66.9, 49.4];

struct Metro {
    name: &'static str,
    lat: f64,
    lon: f64,
    /// Metro population in millions (2020, rounded).
    pop_m: f64,
}

const fn metro(name: &'static str, lat: f64, lon: f64, pop_m: f64) -> Metro {
    Metro {
        name,
        lat,
        lon,
        pop_m,
    }
}

const METROS: &[Metro] = &[
    metro("New York", 40.7128, -74.0060, 19.8),
    metro("Los Angeles", 34.0522, -118.2437, 13.2),
    metro("Chicago", 41.8781, -87.6298, 9.6),
    metro("Dallas", 32.7767, -96.7970, 7.6),
    metro("Houston", 29.7604, -95.3698, 7.1),
    metro("Washington", 38.9072, -77.0369, 6.4),
    metro("Philadelphia", 39.9526, -75.1652, 6.2),
    metro("Miami", 25.7617, -80.1918, 6.1),
    metro("Atlanta", 33.7490, -84.3880, 6.1),
    metro("Boston", 42.3601, -71.0589, 4.9),
    metro("Phoenix", 33.4484, -112.0740, 4.8),
    metro("San Francisco", 37.7749, -122.4194, 4.7),
    metro("Riverside", 33.9806, -117.3755, 4.6),
    metro("Detroit", 42.3314, -83.0458, 4.4),
    metro("Seattle", 47.6062, -122.3321, 4.0),
    metro("Minneapolis", 44.9778, -93.2650, 3.7),
    metro("San Diego", 32.7157, -117.1611, 3.3),
    metro("Tampa", 27.9506, -82.4572, 3.2),
    metro("Denver", 39.7392, -104.9903, 3.0),
    metro("Baltimore", 39.2904, -76.6122, 2.8),
    metro("St. Louis", 38.6270, -90.1994, 2.8),
    metro("Orlando", 28.5383, -81.3792, 2.7),
    metro("Charlotte", 35.2271, -80.8431, 2.7),
    metro("San Antonio", 29.4241, -98.4936, 2.6),
    metro("Portland", 45.5152, -122.6784, 2.5),
    metro("Sacramento", 38.5816, -121.4944, 2.4),
    metro("Pittsburgh", 40.4406, -79.9959, 2.4),
    metro("Austin", 30.2672, -97.7431, 2.3),
    metro("Las Vegas", 36.1699, -115.1398, 2.3),
    metro("Cincinnati", 39.1031, -84.5120, 2.3),
    metro("Kansas City", 39.0997, -94.5786, 2.2),
    metro("Columbus", 39.9612, -82.9988, 2.1),
    metro("Indianapolis", 39.7684, -86.1581, 2.1),
    metro("Cleveland", 41.4993, -81.6944, 2.1),
    metro("San Jose", 37.3382, -121.8863, 2.0),
    metro("Nashville", 36.1627, -86.7816, 2.0),
    metro("Milwaukee", 43.0389, -87.9065, 1.6),
    metro("Jacksonville", 30.3322, -81.6557, 1.6),
    metro("Oklahoma City", 35.4676, -97.5164, 1.4),
    metro("Raleigh", 35.7796, -78.6382, 1.4),
    metro("Salt Lake City", 40.7608, -111.8910, 1.3),
    metro("New Orleans", 29.9511, -90.0715, 1.3),
    metro("Memphis", 35.1495, -90.0490, 1.3),
    metro("Louisville", 38.2527, -85.7585, 1.3),
    metro("Richmond", 37.5407, -77.4360, 1.3),
    metro("Hartford", 41.7658, -72.6734, 1.2),
    metro("Birmingham", 33.5186, -86.8104, 1.1),
    metro("Buffalo", 42.8864, -78.8784, 1.1),
    metro("Omaha", 41.2565, -95.9345, 1.0),
    metro("Albuquerque", 35.0844, -106.6504, 0.9),
    metro("Boise", 43.6150, -116.2023, 0.8),
];

struct RegionDef {
    name: &'static str,
    rep: &'static str,
    states: &'static [&'static str],
}

const fn region(
    name: &'static str,
    rep: &'static str,
    states: &'static [&'static str],
) -> RegionDef {
    RegionDef { name, rep, states }
}

/// The starting regions: whole states of the 50 + DC, each state in exactly
/// one region, so the regions cannot overlap.
const REGIONS: &[RegionDef] = &[
    region(
        "Pacific Northwest",
        "Avery Johnson",
        &["WA", "OR", "ID", "MT", "AK", "HI"],
    ),
    region("California", "Marcus Chen", &["CA"]),
    region(
        "Mountain West",
        "Priya Patel",
        &["NV", "UT", "AZ", "NM", "CO", "WY"],
    ),
    region("Texas", "Diego Ramirez", &["TX"]),
    region(
        "Great Plains",
        "Hannah Schultz",
        &["ND", "SD", "NE", "KS", "OK", "MN", "IA", "MO"],
    ),
    region("Great Lakes", "Jamal Washington", &["IL", "WI", "MI"]),
    region("Ohio Valley", "Sofia Rossi", &["OH", "IN", "KY", "WV"]),
    region(
        "Southeast",
        "Ethan O'Brien",
        &["GA", "TN", "AL", "MS", "LA", "AR"],
    ),
    region("Florida", "Mei Tanaka", &["FL"]),
    region(
        "South Atlantic",
        "Lucas Silva",
        &["NC", "SC", "VA", "MD", "DC"],
    ),
    region("Mid-Atlantic", "Olivia Novak", &["PA", "NJ", "DE"]),
    region(
        "Northeast",
        "Noah Bennett",
        &["NY", "CT", "RI", "MA", "VT", "NH", "ME"],
    ),
];

/// Census FIPS code → USPS abbreviation for the 50 states and DC.
const STATE_CODES: &str = "\
    01=AL 02=AK 04=AZ 05=AR 06=CA 08=CO 09=CT 10=DE 11=DC 12=FL 13=GA 15=HI 16=ID 17=IL \
    18=IN 19=IA 20=KS 21=KY 22=LA 23=ME 24=MD 25=MA 26=MI 27=MN 28=MS 29=MO 30=MT 31=NE \
    32=NV 33=NH 34=NJ 35=NM 36=NY 37=NC 38=ND 39=OH 40=OK 41=OR 42=PA 44=RI 45=SC 46=SD \
    47=TN 48=TX 49=UT 50=VT 51=VA 53=WA 54=WV 55=WI 56=WY";

/// Industries and their relative frequency and revenue scale.
const INDUSTRIES: &[(&str, f64, f64)] = &[
    ("Technology", 18.0, 1.3),
    ("Manufacturing", 16.0, 1.2),
    ("Healthcare", 15.0, 1.0),
    ("Retail", 13.0, 0.8),
    ("Financial Services", 12.0, 1.6),
    ("Professional Services", 11.0, 0.6),
    ("Construction", 8.0, 0.7),
    ("Logistics", 7.0, 0.9),
];

/// Second words of company names, by industry (same order as [`INDUSTRIES`]).
const INDUSTRY_WORDS: [&str; 8] = [
    "Software|Analytics|Systems|Networks|Labs|Digital|Data|Cloud",
    "Manufacturing|Industries|Fabrication|Machining|Plastics|Components|Metalworks",
    "Health|Medical|Clinics|Care|Diagnostics|Pharma|Wellness",
    "Outfitters|Market|Supply|Goods|Trading|Stores|Provisions",
    "Capital|Financial|Advisors|Bancorp|Insurance|Credit Union|Wealth",
    "Consulting|Partners|Associates|Engineering|Legal|Staffing|Advisory",
    "Construction|Builders|Contracting|Roofing|Concrete|Homes|Electric",
    "Logistics|Freight|Transport|Distribution|Shipping|Warehousing|Trucking",
];

const NAME_WORDS: &str = "\
    Summit Bluewater Cedar Ironwood Granite Harbor Northstar Redwood Silverline Prairie \
    Lakeside Pinnacle Evergreen Keystone Riverbend Copper Oakridge Meridian Sterling \
    Horizon Atlas Beacon Cascade Frontier Highland Liberty Magnolia Pioneer Sunrise \
    Westfield Brightpath Clearview Crescent Falcon Heritage Juniper Maple Patriot \
    Quarry Sequoia Tidewater Vanguard Willow Anchor Bayside Canyon Delta Eastgate \
    Foxhill Greystone";

const SURNAMES: &str = "\
    Anderson Baker Carter Dawson Ellis Foster Garcia Hughes Iverson Jensen Kim Lopez \
    Morgan Nguyen Owens Parker Quinn Reyes Sullivan Turner Walsh Young";

const NAME_SUFFIXES: &str = "\
    Inc Inc. LLC LLC Corp Co Group Holdings Ltd";

/// Revenue thresholds of the segments (annual revenue in USD).
const MID_MARKET_FROM: f64 = 10e6;
const ENTERPRISE_FROM: f64 = 100e6;

/// A shape with its bounding box, for quick point look-ups.
struct Area {
    shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
}

impl Area {
    fn new(shape: MultiPolygon<f64>) -> Self {
        let bbox = shape.bounding_rect();
        Self { shape, bbox }
    }

    fn contains(&self, p: Point<f64>) -> bool {
        match self.bbox {
            Some(b) => {
                p.x() >= b.min().x
                    && p.x() <= b.max().x
                    && p.y() >= b.min().y
                    && p.y() <= b.max().y
                    && self.shape.contains(&p)
            }
            None => false,
        }
    }
}

struct State {
    abbr: &'static str,
    area: Area,
}

/// The geography the generator draws on.
struct Geography {
    states: Vec<State>,
    /// Regions in the order of [`REGIONS`].
    regions: Vec<Area>,
    /// Lower-48 + DC entries of the importer's ZIP table.
    zips: Vec<&'static ZipEntry>,
    zip_tree: RTree<GeomWithData<[f64; 2], usize>>,
}

fn geo_err(path: &str, feature: Option<usize>, message: impl Into<String>) -> Error {
    Error::Geo {
        path: PathBuf::from(path),
        feature,
        message: message.into(),
    }
}

fn state_abbr(fips: &str) -> Option<&'static str> {
    STATE_CODES
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .find(|(f, _)| *f == fips)
        .map(|(_, a)| a)
}

fn load_states() -> Result<Vec<State>> {
    let gj: geojson::GeoJson = STATES_GEOJSON
        .parse()
        .map_err(|e| geo_err(STATES_PATH, None, format!("{e}")))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(geo_err(STATES_PATH, None, "not a FeatureCollection"));
    };
    let mut states = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let fips = f.property("fips").and_then(|v| v.as_str()).unwrap_or("");
        // Puerto Rico, Guam, … are in no sales region of the sample.
        let Some(abbr) = state_abbr(fips) else {
            continue;
        };
        let value = &f
            .geometry
            .as_ref()
            .ok_or_else(|| geo_err(STATES_PATH, Some(i), "feature has no geometry"))?
            .value;
        let geometry = geo::Geometry::<f64>::try_from(value)
            .map_err(|e| geo_err(STATES_PATH, Some(i), format!("{e}")))?;
        let mut shape = match geometry {
            geo::Geometry::MultiPolygon(mp) => mp,
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            _ => return Err(geo_err(STATES_PATH, Some(i), "not a (multi)polygon")),
        };
        // The western Aleutians lie past the antimeridian (lon > 0): keeping
        // them would give "Pacific Northwest" a whole-world bounding box on a
        // flat map. They hold no accounts, so the sample leaves them out.
        shape
            .0
            .retain(|p| p.bounding_rect().is_some_and(|b| b.max().x < 0.0));
        // unary_union needs one consistent winding; d3-style files are CW.
        states.push(State {
            abbr,
            area: Area::new(shape.orient(Direction::Default)),
        });
    }
    Ok(states)
}

/// Rounds to 4 decimals (the precision of the source file) and drops the
/// repeated points this may leave. Rounding snaps the union's vertices back
/// onto the source grid, so the border two regions share has exactly the same
/// coordinates on both sides.
fn round_shape(shape: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let round_ring = |ring: &LineString<f64>| -> Option<LineString<f64>> {
        let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
        for c in &ring.0 {
            let c = Coord {
                x: round_to(c.x, 1e4),
                y: round_to(c.y, 1e4),
            };
            if pts.last() != Some(&c) {
                pts.push(c);
            }
        }
        // Closed ring of at least three distinct corners.
        (pts.len() >= 4).then_some(LineString(pts))
    };
    MultiPolygon(
        shape
            .0
            .iter()
            .filter_map(|p| {
                let ext = round_ring(p.exterior())?;
                let holes = p.interiors().iter().filter_map(round_ring).collect();
                Some(Polygon::new(ext, holes))
            })
            .collect(),
    )
}

fn round_to(v: f64, scale: f64) -> f64 {
    (v * scale).round() / scale
}

fn build_regions(states: &[State]) -> Result<Vec<Area>> {
    REGIONS
        .iter()
        .map(|r| {
            let parts: Vec<&MultiPolygon<f64>> = states
                .iter()
                .filter(|s| r.states.contains(&s.abbr))
                .map(|s| &s.area.shape)
                .collect();
            if parts.len() != r.states.len() {
                return Err(geo_err(
                    STATES_PATH,
                    None,
                    format!("region {} is missing some of its states", r.name),
                ));
            }
            let union = geo::unary_union(parts);
            Ok(Area::new(round_shape(union).orient(Direction::Default)))
        })
        .collect()
}

/// The ZIPs of the lower 48 + DC: the sample's accounts are all there.
fn load_zips(states: &[State]) -> Vec<&'static ZipEntry> {
    zip_table()
        .iter()
        .filter(|z| !matches!(z.state, "AK" | "HI") && states.iter().any(|s| s.abbr == z.state))
        .collect()
}

impl Geography {
    fn load() -> Result<Self> {
        let states = load_states()?;
        let regions = build_regions(&states)?;
        let zips = load_zips(&states);
        let zip_tree = RTree::bulk_load(
            zips.iter()
                .enumerate()
                .map(|(i, z)| GeomWithData::new([z.lon, z.lat], i))
                .collect(),
        );
        Ok(Self {
            states,
            regions,
            zips,
            zip_tree,
        })
    }

    /// State index and region index of a lower-48 point, if on land.
    fn locate(&self, lon: f64, lat: f64) -> Option<(usize, usize)> {
        let p = Point::new(lon, lat);
        let state = self
            .states
            .iter()
            .position(|s| !matches!(s.abbr, "AK" | "HI") && s.area.contains(p))?;
        let region = self.regions.iter().position(|r| r.contains(p))?;
        Some((state, region))
    }

    /// The ZIP nearest to a point whose centroid lies in some region (so the
    /// app can place a ZIP-only account).
    fn nearest_zip(&self, lon: f64, lat: f64) -> Option<&'static ZipEntry> {
        self.zip_tree
            .nearest_neighbor_iter(&[lon, lat])
            .take(25)
            .map(|g| self.zips[g.data])
            .find(|z| self.locate(z.lon, z.lat).is_some())
    }
}

/// A standard normal pair (Box–Muller): `rand_distr` is not a dependency.
fn normal_pair(rng: &mut impl Rng) -> (f64, f64) {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random();
    let r = (-2.0 * u1.ln()).sqrt();
    let t = std::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

fn normal(rng: &mut impl Rng) -> f64 {
    normal_pair(rng).0
}

/// Index drawn from relative `weights`.
fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// A random item of a list separated by `sep`.
fn pick(rng: &mut impl Rng, list: &'static str, sep: char) -> &'static str {
    let n = list.split(sep).filter(|w| !w.trim().is_empty()).count();
    let k = rng.random_range(0..n.max(1));
    list.split(sep)
        .filter(|w| !w.trim().is_empty())
        .nth(k)
        .map_or("", str::trim)
}

/// A located draw: rounded coordinates, state index, region index, metro.
struct Draw {
    lon: f64,
    lat: f64,
    state: usize,
    region: usize,
    metro: Option<usize>,
}

fn draw_location(rng: &mut impl Rng, geo: &Geography, metro_weights: &[f64]) -> Result<Draw> {
    let metro = (rng.random::<f64>() >= RURAL_SHARE).then(|| weighted(rng, metro_weights));
    for _ in 0..500 {
        let (lon, lat) = match metro {
            Some(m) => {
                let m = &METROS[m];
                // Bigger metros sprawl further: ~17 km for 1M, ~37 km for 20M.
                let sigma_km = 10.0 + 6.0 * m.pop_m.sqrt();
                let (zx, zy) = normal_pair(rng);
                let lat = m.lat + zy * sigma_km / 111.0;
                let lon = m.lon + zx * sigma_km / (111.0 * m.lat.to_radians().cos());
                (lon, lat)
            }
            None => (
                rng.random_range(LOWER48[0]..LOWER48[2]),
                rng.random_range(LOWER48[1]..LOWER48[3]),
            ),
        };
        // Round first so that the containment test sees the written values.
        let (lon, lat) = (round_to(lon, 1e6), round_to(lat, 1e6));
        // Points in the sea, Canada or Mexico are drawn again.
        if let Some((state, region)) = geo.locate(lon, lat) {
            return Ok(Draw {
                lon,
                lat,
                state,
                region,
                metro,
            });
        }
    }
    Err(Error::invalid(
        "sample generator: could not place an account on land (metro table is wrong)",
    ))
}

fn company_name(
    rng: &mut impl Rng,
    industry: usize,
    metro: Option<usize>,
    taken: &mut HashSet<String>,
) -> String {
    let mut name = String::new();
    for _ in 0..20 {
        let first = match (rng.random::<f64>(), metro) {
            (u, Some(m)) if u < 0.15 => METROS[m].name,
            (u, _) if u < 0.35 => pick(rng, SURNAMES, ' '),
            _ => pick(rng, NAME_WORDS, ' '),
        };
        let word = pick(rng, INDUSTRY_WORDS[industry], '|');
        let suffix = pick(rng, NAME_SUFFIXES, ' ');
        // Some CRMs keep the comma before the legal form: exercises quoting.
        let comma = if rng.random::<f64>() < 0.15 { "," } else { "" };
        name = format!("{first} {word}{comma} {suffix}");
        if taken.insert(name.clone()) {
            break;
        }
    }
    name
}

/// A Salesforce-like 15-character Account id. `(a·i + b) mod 62⁵` with `a`
/// coprime to 62⁵ is a bijection, so ids are unique without looking like a
/// plain counter.
fn account_id(i: usize, offset: u64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const SPACE: u64 = 62u64.pow(5);
    let mut v = (i as u64 * 104_729 + offset) % SPACE;
    let mut tail = [0u8; 5];
    for slot in tail.iter_mut().rev() {
        *slot = DIGITS[(v % 62) as usize];
        v /= 62;
    }
    let mut id = String::from("001A000000");
    id.extend(tail.iter().map(|&b| b as char));
    id
}

fn money(v: f64) -> String {
    format!("{v:.2}")
}

/// Generates the sample plan into `out_dir` (created if missing):
/// `accounts.csv` and `territories.geojson`. The same seed always gives the
/// same bytes.
pub fn generate_sample(out_dir: &Path, seed: u64) -> Result<SampleSummary> {
    let geo = Geography::load()?;
    let (csv_bytes, unlocated) = accounts_csv(&geo, seed, SAMPLE_ACCOUNTS)?;
    let geojson_text = territories_geojson(&geo)?;

    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let accounts_path = out_dir.join("accounts.csv");
    std::fs::write(&accounts_path, csv_bytes).map_err(|e| Error::io(&accounts_path, e))?;
    let territories_path = out_dir.join("territories.geojson");
    std::fs::write(&territories_path, geojson_text).map_err(|e| Error::io(&territories_path, e))?;

    Ok(SampleSummary {
        accounts: SAMPLE_ACCOUNTS,
        territories: REGIONS.len(),
        unlocated,
    })
}

/// The CSV bytes and the number of unlocated rows.
fn accounts_csv(geo: &Geography, seed: u64, n: usize) -> Result<(Vec<u8>, usize)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let metro_weights: Vec<f64> = METROS.iter().map(|m| m.pop_m.powf(0.8)).collect();
    let industry_weights: Vec<f64> = INDUSTRIES.iter().map(|i| i.1).collect();

    // Exact counts of the special rows, at random positions.
    let n_unlocated = (n as f64 * UNLOCATED_SHARE).round() as usize;
    let n_zip_only = (n as f64 * ZIP_ONLY_SHARE).round() as usize;
    let mut kinds = vec![0u8; n]; // 0 located, 1 ZIP only, 2 unlocated
    let mut order: Vec<usize> = (0..n).collect();
    for k in 0..(n_unlocated + n_zip_only).min(n) {
        let j = rng.random_range(k..n);
        order.swap(k, j);
        kinds[order[k]] = if k < n_unlocated { 2 } else { 1 };
    }

    let id_offset = rng.random_range(0..62u64.pow(5));
    let mut taken = HashSet::new();
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::invalid(format!("writing the sample CSV: {e}"));
    w.write_record(ACCOUNTS_HEADER).map_err(csv_err)?;
    let mut unlocated = 0;

    for (i, &kind) in kinds.iter().enumerate() {
        let d = draw_location(&mut rng, geo, &metro_weights)?;
        let industry = weighted(&mut rng, &industry_weights);

        // Log-normal: median ~$5M scaled by industry, long right tail.
        let revenue = loop {
            let r = (5e6f64.ln() + INDUSTRIES[industry].2.ln() + 2.2 * normal(&mut rng)).exp();
            if (50e3..400e9).contains(&r) {
                break round_to(r, 100.0);
            }
        };
        let segment = if revenue >= ENTERPRISE_FROM {
            "Enterprise"
        } else if revenue >= MID_MARKET_FROM {
            "Mid-Market"
        } else {
            "SMB"
        };
        let (z1, z2) = normal_pair(&mut rng);
        let potential = round_to(revenue.powf(0.7) * (0.45 * z1).exp(), 100.0);
        let base_hours = match segment {
            "Enterprise" => 240.0,
            "Mid-Market" => 80.0,
            _ => 24.0,
        };
        let workload = round_to(base_hours * (0.35 * z2).exp(), 10.0);

        let owner = if rng.random::<f64>() < FOREIGN_OWNER_SHARE {
            REGIONS[rng.random_range(0..REGIONS.len())].rep
        } else {
            REGIONS[d.region].rep
        };
        let name = company_name(&mut rng, industry, d.metro, &mut taken);
        let state = geo.states[d.state].abbr;

        let (lat, lon, zip, state) = match kind {
            2 => {
                unlocated += 1;
                (String::new(), String::new(), String::new(), state)
            }
            1 => match geo.nearest_zip(d.lon, d.lat) {
                Some(z) => (String::new(), String::new(), z.zip.to_owned(), z.state),
                None => (
                    format!("{:.6}", d.lat),
                    format!("{:.6}", d.lon),
                    String::new(),
                    state,
                ),
            },
            _ => {
                let zip = if rng.random::<f64>() < LOCATED_WITH_ZIP_SHARE {
                    geo.nearest_zip(d.lon, d.lat)
                        .map(|z| z.zip.to_owned())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                (format!("{:.6}", d.lat), format!("{:.6}", d.lon), zip, state)
            }
        };

        w.write_record([
            account_id(i, id_offset).as_str(),
            name.as_str(),
            lat.as_str(),
            lon.as_str(),
            zip.as_str(),
            state,
            INDUSTRIES[industry].0,
            segment,
            money(revenue).as_str(),
            money(potential).as_str(),
            format!("{workload:.1}").as_str(),
            owner,
        ])
        .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::invalid(format!("writing the sample CSV: {e}")))?;
    Ok((bytes, unlocated))
}

/// One feature per line, so the committed file diffs sensibly.
fn territories_geojson(geo: &Geography) -> Result<String> {
    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, (def, area)) in REGIONS.iter().zip(&geo.regions).enumerate() {
        let mut feature = geojson::Feature {
            geometry: Some(geojson::Geometry::new(geojson::GeometryValue::from(
                &area.shape,
            ))),
            ..Default::default()
        };
        feature.set_property("name", def.name);
        feature.set_property("rep", def.rep);
        let line = serde_json::to_string(&feature)
            .map_err(|e| Error::invalid(format!("writing the sample territories: {e}")))?;
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&line);
    }
    out.push_str("\n]}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area as _, BooleanOps, Validation};

    struct Row {
        lat: Option<f64>,
        lon: Option<f64>,
        zip: String,
        state: String,
        segment: String,
        revenue: f64,
        workload: f64,
        id: String,
    }

    fn read_rows(path: &Path) -> Vec<Row> {
        let mut rdr = csv::Reader::from_path(path).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, ACCOUNTS_HEADER);
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let num = |i: usize| r[i].parse::<f64>().ok();
                Row {
                    id: r[0].to_owned(),
                    lat: num(2),
                    lon: num(3),
                    zip: r[4].to_owned(),
                    state: r[5].to_owned(),
                    segment: r[7].to_owned(),
                    revenue: num(8).unwrap(),
                    workload: num(10).unwrap(),
                }
            })
            .collect()
    }

    fn read_regions(path: &Path) -> Vec<(String, MultiPolygon<f64>)> {
        let text = std::fs::read_to_string(path).unwrap();
        let geojson::GeoJson::FeatureCollection(fc) = text.parse().unwrap() else {
            panic!("not a FeatureCollection");
        };
        fc.features
            .iter()
            .map(|f| {
                let name = f.property("name").unwrap().as_str().unwrap().to_owned();
                assert!(f.property("rep").unwrap().is_string());
                let mp: MultiPolygon<f64> = f.geometry.clone().unwrap().try_into().unwrap();
                (name, mp)
            })
            .collect()
    }

    #[test]
    fn metro_centres_are_on_land() {
        let geo = Geography::load().unwrap();
        for m in METROS {
            assert!(
                geo.locate(m.lon, m.lat).is_some(),
                "{} is not on land",
                m.name
            );
        }
        // Each state is in exactly one region.
        for s in &geo.states {
            let n = REGIONS
                .iter()
                .filter(|r| r.states.contains(&s.abbr))
                .count();
            assert_eq!(n, 1, "{}", s.abbr);
        }
    }

    #[test]
    fn sample_is_deterministic_and_plausible() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let sa = generate_sample(&a, 7).unwrap();
        let sb = generate_sample(&b, 7).unwrap();
        assert_eq!(sa, sb);
        for f in ["accounts.csv", "territories.geojson"] {
            assert!(
                std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
                "{f} differs between two runs with the same seed"
            );
        }
        // Another seed gives other accounts.
        let c = dir.path().join("c");
        generate_sample(&c, 8).unwrap();
        assert_ne!(
            std::fs::read(a.join("accounts.csv")).unwrap(),
            std::fs::read(c.join("accounts.csv")).unwrap()
        );
        check_sample(&a, sa);
    }

    /// Checks a generated sample in `dir` and prints its figures.
    fn check_sample(dir: &Path, sa: SampleSummary) {
        let a = dir;
        let rows = read_rows(&a.join("accounts.csv"));
        assert_eq!(rows.len(), SAMPLE_ACCOUNTS);
        assert_eq!(sa.accounts, rows.len());
        assert_eq!(sa.territories, 12);

        let ids: HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rows.len(), "ids are unique");
        assert!(
            rows.iter()
                .all(|r| r.id.len() == 15 && r.id.starts_with("001"))
        );

        let unlocated = rows
            .iter()
            .filter(|r| r.lat.is_none() && r.zip.is_empty())
            .count();
        let zip_only = rows
            .iter()
            .filter(|r| r.lat.is_none() && !r.zip.is_empty())
            .count();
        assert_eq!(unlocated, sa.unlocated);
        let n = rows.len() as f64;
        assert!(
            (0.002..0.005).contains(&(unlocated as f64 / n)),
            "{unlocated}"
        );
        assert!(
            (0.015..0.025).contains(&(zip_only as f64 / n)),
            "{zip_only}"
        );
        assert!(rows.iter().all(|r| r.lat.is_some() == r.lon.is_some()));
        assert!(rows.iter().all(|r| r.state.len() == 2));

        // Segments follow revenue; workload grows with segment.
        let mean_hours = |s: &str| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.segment == s)
                .map(|r| r.workload)
                .collect();
            assert!(!v.is_empty(), "no {s} accounts");
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean_hours("Enterprise") > mean_hours("Mid-Market"));
        assert!(mean_hours("Mid-Market") > mean_hours("SMB"));
        assert!(
            rows.iter()
                .filter(|r| r.segment == "SMB")
                .all(|r| r.revenue < MID_MARKET_FROM)
        );

        // Regions: valid, pairwise disjoint, and every account (by its
        // coordinates or its ZIP's centroid) falls inside one.
        let regions = read_regions(&a.join("territories.geojson"));
        assert_eq!(regions.len(), 12);
        for (name, shape) in &regions {
            assert!(shape.is_valid(), "{name}: {:?}", shape.validation_errors());
        }
        for i in 0..regions.len() {
            for j in i + 1..regions.len() {
                let overlap = regions[i].1.intersection(&regions[j].1).unsigned_area();
                assert!(
                    overlap < 1e-6,
                    "{} and {} overlap by {overlap}",
                    regions[i].0,
                    regions[j].0
                );
            }
        }
        let mut per_region = vec![0usize; regions.len()];
        for r in &rows {
            let p = match (r.lon, r.lat) {
                (Some(lon), Some(lat)) => Point::new(lon, lat),
                _ if !r.zip.is_empty() => {
                    Point::from(crate::core::geocode::zips::zip_centroid(&r.zip).unwrap())
                }
                _ => continue,
            };
            let inside: Vec<usize> = (0..regions.len())
                .filter(|&k| regions[k].1.contains(&p))
                .collect();
            assert_eq!(inside.len(), 1, "account {} at {p:?}: {inside:?}", r.id);
            per_region[inside[0]] += 1;
        }
        eprintln!("sample summary: {sa:?}, zip-only {zip_only}");
        for ((name, _), c) in regions.iter().zip(&per_region) {
            eprintln!("  {name}: {c}");
        }
        // Roughly balanced: no region is empty or holds more than a quarter.
        assert!(per_region.iter().all(|&c| c > 100 && c < rows.len() / 4));
    }

    /// Rewrites the committed sample in `assets/sample/`:
    /// `cargo test --lib regenerate_sample_assets -- --ignored`.
    #[test]
    #[ignore]
    fn regenerate_sample_assets() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
        let s = generate_sample(&dir, DEFAULT_SEED).unwrap();
        eprintln!("wrote {}", dir.display());
        check_sample(&dir, s);
    }
}
