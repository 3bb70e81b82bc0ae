//! The bundled US ZIP code centroid table (GeoNames, CC BY 4.0).
//!
//! The table is compiled into the binary so that accounts without
//! coordinates can be placed offline. It is parsed once, on first use; the
//! text fields of its entries borrow from the embedded text, so the parsed
//! table costs little more than its index.

use std::sync::OnceLock;

/// The embedded table: `zip,lat,lon,city,state,county_fips`.
const ZIPS_CSV: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/us-zips.csv"));

/// One ZIP code of the bundled table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZipEntry {
    /// The five-digit ZIP code, with leading zeros.
    pub zip: &'static str,
    /// Longitude of the centroid in degrees (WGS84).
    pub lon: f64,
    /// Latitude of the centroid in degrees (WGS84).
    pub lat: f64,
    /// Place name.
    pub city: &'static str,
    /// Two-letter state (or territory) code.
    pub state: &'static str,
    /// Five-digit county FIPS code; empty where the source has none.
    pub county_fips: &'static str,
}

/// The parsed ZIP table. Get it with [`zip_table`].
#[derive(Debug)]
pub struct ZipTable {
    entries: Vec<ZipEntry>,
    /// Every five-digit code's centroid and entry: a ZIP is at most 99999,
    /// so a direct array answers a lookup without hashing and in one cache
    /// miss (a million lookups in an import).
    by_code: Vec<ZipSlot>,
}

/// The centroid of one ZIP code and its entry index + 1 (0: no such ZIP).
#[derive(Clone, Copy, Debug, Default)]
struct ZipSlot {
    lon: f64,
    lat: f64,
    entry: u32,
}

impl ZipTable {
    fn parse(text: &'static str) -> Self {
        let mut entries = Vec::with_capacity(42_000);
        let mut by_code = vec![ZipSlot::default(); 100_000];
        // The file is machine-made and simple (no commas inside fields), so a
        // split is enough; malformed lines are skipped rather than trusted.
        for line in text.lines().skip(1) {
            let mut f = line.trim_end_matches('\r').split(',');
            let (Some(zip), Some(lat), Some(lon), Some(city), Some(state), Some(fips)) =
                (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (Some(code), Ok(lat), Ok(lon)) =
                (zip_code_exact(zip), lat.parse::<f64>(), lon.parse::<f64>())
            else {
                continue;
            };
            // A handful of ZIPs appear twice in the source; the first wins.
            let Some(slot) = by_code.get_mut(code as usize) else {
                continue;
            };
            if slot.entry != 0 {
                continue;
            }
            *slot = ZipSlot {
                lon,
                lat,
                entry: u32::try_from(entries.len() + 1).unwrap_or(u32::MAX),
            };
            entries.push(ZipEntry {
                zip,
                lon,
                lat,
                city: city.trim_matches('"'),
                state,
                county_fips: fips,
            });
        }
        Self { entries, by_code }
    }

    /// Number of distinct ZIP codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table is empty (never, for the bundled table).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &ZipEntry> + '_ {
        self.entries.iter()
    }

    /// The entry for `zip`, after [`normalize_zip`]'s clean-up.
    pub fn get(&self, zip: &str) -> Option<&ZipEntry> {
        self.entry(zip_code(zip)?)
    }

    /// The entry of ZIP `code` (`02139` is 2139).
    pub fn entry(&self, code: u32) -> Option<&ZipEntry> {
        let i = self.by_code.get(code as usize)?.entry;
        self.entries.get((i as usize).checked_sub(1)?)
    }

    /// `(code, lon, lat)` of `zip` after [`normalize_zip`]'s clean-up,
    /// without reading its entry.
    pub fn centroid(&self, zip: &str) -> Option<(u32, f64, f64)> {
        let code = zip_code(zip)?;
        let s = self.by_code.get(code as usize)?;
        (s.entry != 0).then_some((code, s.lon, s.lat))
    }
}

/// The bundled table, parsed on first use.
pub fn zip_table() -> &'static ZipTable {
    static TABLE: OnceLock<ZipTable> = OnceLock::new();
    TABLE.get_or_init(|| ZipTable::parse(ZIPS_CSV))
}

/// Centroid `(lon, lat)` of a US ZIP code, after [`normalize_zip`]'s
/// clean-up; `None` for unknown or malformed codes.
pub fn zip_centroid(zip: &str) -> Option<(f64, f64)> {
    zip_table().centroid(zip).map(|(_, lon, lat)| (lon, lat))
}

/// The five-digit ZIP code in `s`, or `None` when `s` is not a US ZIP.
///
/// Accepts `12345`, ZIP+4 (`12345-6789`, `12345 6789`, `123456789`), and
/// codes whose leading zeros a spreadsheet dropped (`2139` → `02139`,
/// `21391234` → `02139`, `2139.0` → `02139`).
pub fn normalize_zip(s: &str) -> Option<String> {
    zip_code(s).map(|c| format!("{c:05}"))
}

/// The ZIP in `s` as a number (`02139` → 2139). See [`normalize_zip`].
fn zip_code(s: &str) -> Option<u32> {
    let s = s.trim();
    // A spreadsheet that stored the ZIP as a number may write `2139.0`.
    let s = s.strip_suffix(".0").unwrap_or(s);
    let (head, plus4) = match s.find(['-', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_start())),
        None => (s, None),
    };
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match plus4 {
        Some(p4) => {
            if p4.len() != 4 || !p4.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (3..=5).contains(&head.len()).then(|| digits(head))
        }
        None => match head.len() {
            3..=5 => Some(digits(head)),
            // ZIP+4 without its dash, possibly with a dropped leading zero
            // (or two): the last four digits are the +4 part.
            7..=9 => Some(digits(&head[..head.len() - 4])),
            _ => None,
        },
    }
}

/// A code that is exactly five digits (the table's own format).
fn zip_code_exact(s: &str) -> Option<u32> {
    (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())).then(|| digits(s))
}

/// Value of an all-ASCII-digit string of at most 5 digits.
fn digits(s: &str) -> u32 {
    s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_every_row() {
        let t = zip_table();
        // 41,490 rows in the file, two ZIPs listed twice.
        assert_eq!(t.len(), 41_488);
        assert_eq!(t.iter().count(), t.len());
        let e = t.get("10001").expect("10001 is in the table");
        assert_eq!(e.state, "NY");
        assert_eq!(e.city, "New York");
        assert_eq!(e.county_fips, "36061");
    }

    #[test]
    fn centroids_of_known_zips() {
        let (lon, lat) = zip_centroid("10001").unwrap();
        assert!((lon + 73.9967).abs() < 1e-9 && (lat - 40.7484).abs() < 1e-9);
        let cambridge = zip_centroid("02139").unwrap();
        assert!((cambridge.0 + 71.1042).abs() < 1e-9);
        assert_eq!(zip_centroid("2139"), Some(cambridge));
        assert_eq!(zip_centroid("02139-4307"), Some(cambridge));
        assert_eq!(zip_centroid(" 021394307 "), Some(cambridge));
        assert_eq!(zip_centroid("21394307"), Some(cambridge));
        assert_eq!(zip_centroid("2139.0"), Some(cambridge));
        assert_eq!(zip_centroid("501"), zip_centroid("00501"));
        assert!(zip_centroid("00501").is_some());
        assert_eq!(zip_centroid("00000"), None);
        assert_eq!(zip_centroid(""), None);
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_zip("12345").as_deref(), Some("12345"));
        assert_eq!(normalize_zip("12345-6789").as_deref(), Some("12345"));
        assert_eq!(normalize_zip("12345 6789").as_deref(), Some("12345"));
        assert_eq!(normalize_zip("123456789").as_deref(), Some("12345"));
        assert_eq!(normalize_zip("601").as_deref(), Some("00601"));
        assert_eq!(normalize_zip("2139").as_deref(), Some("02139"));
        assert_eq!(normalize_zip("K1A 0B1"), None);
        assert_eq!(normalize_zip("SW1A 1AA"), None);
        assert_eq!(normalize_zip("12"), None);
        assert_eq!(normalize_zip("123456"), None);
        assert_eq!(normalize_zip("12345-67"), None);
        assert_eq!(normalize_zip("1234x"), None);
        assert_eq!(normalize_zip("-"), None);
        assert_eq!(normalize_zip("１２３４５"), None);
    }
}
