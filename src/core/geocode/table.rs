//! One country's postal-code centroid table (`assets/postal/<cc>.csv.gz`),
//! read on first use.
//!
//! The files are `code,lat,lon,place,admin1`, one row per normalised code
//! (see the module docs of [`super`]). Codes are packed into a `u64` (up to
//! eight ASCII bytes, big-endian, zero-padded) and kept sorted for Brazil's
//! "greatest code ≤ input" lookup (a binary search); exact lookups go
//! through an open-addressing table holding each code's centroid inline;
//! place names share one string.

use std::io::Read;
use std::path::Path;

/// A normalised postal code of up to eight ASCII letters and digits, packed
/// so that integer order is text order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u64);

impl Key {
    /// Packs `code`; `None` when it is empty, longer than eight bytes or
    /// holds anything but ASCII letters and digits.
    pub fn new(code: &[u8]) -> Option<Key> {
        if code.is_empty() || code.len() > 8 || !code.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut b = [0u8; 8];
        b[..code.len()].copy_from_slice(code);
        Some(Key(u64::from_be_bytes(b)))
    }

    /// `value` written as exactly `len` (≤ 8) decimal digits, leading zeros
    /// kept (`2139`, 5 → `02139`), without building a string.
    pub fn digits(mut value: u32, len: usize) -> Key {
        let mut b = [0u8; 8];
        for slot in b[..len.min(8)].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
        Key(u64::from_be_bytes(b))
    }

    /// The code's bytes, without padding.
    fn bytes(self) -> ([u8; 8], usize) {
        let b = self.0.to_be_bytes();
        let n = b.iter().position(|&c| c == 0).unwrap_or(8);
        (b, n)
    }

    /// The code's first character (for Brazil's floor lookup).
    pub fn first(self) -> u8 {
        self.0.to_be_bytes()[0]
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (b, n) = self.bytes();
        // Only ASCII alphanumerics are ever packed.
        f.write_str(std::str::from_utf8(&b[..n]).unwrap_or("?"))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({self})")
    }
}

/// One row of a table.
#[derive(Clone, Copy, Debug)]
struct Row {
    lon: f64,
    lat: f64,
    /// Byte ranges of the place and admin-1 names in [`PostalTable::text`].
    place: (u32, u32),
    admin1: (u32, u32),
}

/// One code found in a table; its names are read only when asked for
/// (an import needs the centroid alone, and every read of a row is one
/// more cache miss per account).
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    /// The table's code (for a floor lookup, the code below the input).
    pub key: Key,
    /// Longitude of the centroid in degrees (WGS84).
    pub lon: f64,
    /// Latitude of the centroid in degrees (WGS84).
    pub lat: f64,
    table: &'a PostalTable,
    row: u32,
}

impl<'a> Found<'a> {
    /// Most frequent place name of the code.
    pub fn place(&self) -> &'a str {
        self.table.name(self.row, |r| r.place)
    }

    /// First-level region (state, province, nation).
    pub fn admin1(&self) -> &'a str {
        self.table.name(self.row, |r| r.admin1)
    }
}

impl PartialEq for Found<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.lon.to_bits(), self.lat.to_bits(), self.row)
            == (
                other.key,
                other.lon.to_bits(),
                other.lat.to_bits(),
                other.row,
            )
            && std::ptr::eq(self.table, other.table)
    }
}

/// One slot of the exact-lookup table: the code with its centroid inline,
/// so that an exact lookup usually touches one cache line (a hash map of
/// code → row touched three: control bytes, bucket, row).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(32))]
struct Slot {
    /// The packed code; 0 marks an empty slot (no code packs to 0).
    key: u64,
    lon: f64,
    lat: f64,
    row: u32,
}

/// A country's codes, sorted, with their centroids.
#[derive(Debug, Default)]
pub struct PostalTable {
    keys: Vec<Key>,
    rows: Vec<Row>,
    text: String,
    /// Open addressing with linear probing, at most half full, a power of
    /// two long.
    slots: Vec<Slot>,
}

/// The home slot of `key` in a table of `2^bits` slots (Fibonacci hashing:
/// the high bits of a multiply).
fn home(key: u64, bits: u32) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
}

/// The exact-lookup slots of sorted, distinct `keys`.
fn build_slots(keys: &[Key], rows: &[Row]) -> Vec<Slot> {
    let bits = (keys.len() * 2).next_power_of_two().max(8).trailing_zeros();
    let mask = (1usize << bits) - 1;
    let mut slots = vec![Slot::default(); 1 << bits];
    for (i, (k, r)) in keys.iter().zip(rows).enumerate() {
        let mut at = home(k.0, bits);
        while slots[at].key != 0 {
            at = (at + 1) & mask;
        }
        slots[at] = Slot {
            key: k.0,
            lon: r.lon,
            lat: r.lat,
            row: u32::try_from(i).unwrap_or(u32::MAX),
        };
    }
    slots
}

impl PostalTable {
    /// Reads a table file, gzip-compressed when its name ends in `.gz`.
    /// The error names the file and, for bad content, the line.
    pub fn load(path: &Path) -> Result<PostalTable, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut text = Vec::new();
        let read = if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::GzDecoder::new(file).read_to_end(&mut text)
        } else {
            std::io::BufReader::new(file).read_to_end(&mut text)
        };
        read.map_err(|e| format!("{}: {e}", path.display()))?;
        PostalTable::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses `code,lat,lon,place,admin1` CSV text. A code listed twice
    /// keeps its first row.
    pub fn parse(text: &[u8]) -> Result<PostalTable, String> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(text);
        let header = rdr.headers().map_err(|e| e.to_string())?;
        if header.iter().collect::<Vec<_>>() != ["code", "lat", "lon", "place", "admin1"] {
            return Err("expected the header code,lat,lon,place,admin1".into());
        }
        let mut items: Vec<(Key, Row)> = Vec::new();
        let mut names = String::new();
        let mut rec = csv::StringRecord::new();
        while rdr.read_record(&mut rec).map_err(|e| e.to_string())? {
            let line = rec.position().map_or(0, csv::Position::line);
            let bad = |what: &str| format!("line {line}: {what}");
            if rec.len() != 5 {
                return Err(bad("expected 5 fields"));
            }
            let key = Key::new(rec[0].as_bytes()).ok_or_else(|| bad("bad code"))?;
            let lat: f64 = rec[1].parse().map_err(|_| bad("bad latitude"))?;
            let lon: f64 = rec[2].parse().map_err(|_| bad("bad longitude"))?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(bad("coordinates out of range"));
            }
            let place = push_name(&mut names, &rec[3]);
            let admin1 = push_name(&mut names, &rec[4]);
            items.push((
                key,
                Row {
                    lon,
                    lat,
                    place,
                    admin1,
                },
            ));
        }
        // Stable, so that the first of duplicate codes stays first.
        items.sort_by_key(|(k, _)| *k);
        items.dedup_by_key(|(k, _)| *k);
        let (keys, rows): (Vec<Key>, Vec<Row>) = items.into_iter().unzip();
        let slots = build_slots(&keys, &rows);
        Ok(PostalTable {
            keys,
            rows,
            text: names,
            slots,
        })
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The codes, sorted.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// True when the table has no code.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The row of exactly `key`.
    pub fn get(&self, key: Key) -> Option<Found<'_>> {
        let bits = self.slots.len().trailing_zeros();
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = home(key.0, bits);
        loop {
            let s = self.slots.get(at)?;
            if s.key == key.0 {
                return Some(Found {
                    key,
                    lon: s.lon,
                    lat: s.lat,
                    table: self,
                    row: s.row,
                });
            }
            if s.key == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    /// The row of the greatest code ≤ `key`.
    pub fn floor(&self, key: Key) -> Option<Found<'_>> {
        let after = self.keys.partition_point(|k| *k <= key);
        after.checked_sub(1).map(|i| self.found(i))
    }

    fn found(&self, i: usize) -> Found<'_> {
        let r = &self.rows[i];
        Found {
            key: self.keys[i],
            lon: r.lon,
            lat: r.lat,
            table: self,
            row: u32::try_from(i).unwrap_or(u32::MAX),
        }
    }

    /// The name `which` picks from row `row`.
    fn name(&self, row: u32, which: impl Fn(&Row) -> (u32, u32)) -> &str {
        let Some(r) = self.rows.get(row as usize) else {
            return "";
        };
        let (a, b) = which(r);
        self.text.get(a as usize..b as usize).unwrap_or("")
    }
}

/// Appends `s` to the shared name text; its byte range.
fn push_name(text: &mut String, s: &str) -> (u32, u32) {
    let start = u32::try_from(text.len()).unwrap_or(u32::MAX);
    text.push_str(s.trim());
    (start, u32::try_from(text.len()).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "code,lat,lon,place,admin1\n\
        01000000,-23.6270,-46.6350,São Paulo,Sao Paulo\n\
        06000000,-23.5263,-46.7884,Osasco,Sao Paulo\n\
        20000000,-22.9,-43.2,\"Rio de Janeiro, RJ\",Rio de Janeiro\n\
        06000000,0,0,Duplicate,Nowhere\n";

    #[test]
    fn exact_and_floor() {
        let t = PostalTable::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(t.len(), 3);
        let key = |s: &str| Key::new(s.as_bytes()).unwrap();
        let osasco = t.get(key("06000000")).unwrap();
        assert_eq!((osasco.place(), osasco.admin1()), ("Osasco", "Sao Paulo"));
        assert!(t.get(key("06000001")).is_none());
        assert_eq!(t.floor(key("05999999")).unwrap().place(), "São Paulo");
        assert_eq!(t.floor(key("06000000")).unwrap().place(), "Osasco");
        assert_eq!(
            t.floor(key("22041001")).unwrap().place(),
            "Rio de Janeiro, RJ"
        );
        assert!(t.floor(key("00999999")).is_none());
        assert_eq!(key("SW1A1").to_string(), "SW1A1");
        assert_eq!(Key::digits(2139, 5), key("02139"));
        assert_eq!(Key::digits(99501, 5), key("99501"));
    }

    /// The slot table answers exactly what a binary search over the sorted
    /// codes answers, for every code of a large bundled table and for codes
    /// next to them that are not in it.
    #[test]
    fn exact_lookups_agree_with_the_sorted_codes() {
        let dir = crate::core::assets::dir().join("postal");
        for file in ["jp.csv.gz", "gb_sector.csv.gz", "nl.csv.gz"] {
            let t = PostalTable::load(&dir.join(file)).unwrap();
            assert!(t.len() > 1000, "{file}: {}", t.len());
            for (i, k) in t.keys().iter().enumerate() {
                let f = t.get(*k).unwrap_or_else(|| panic!("{file}: {k} not found"));
                assert_eq!(f, t.found(i), "{file}: {k}");
                let next = Key(k.0 + 1);
                let listed = t.keys().binary_search(&next).is_ok();
                assert_eq!(t.get(next).is_some(), listed, "{file}: {next}");
            }
        }
        assert!(PostalTable::default().get(Key(1)).is_none());
    }

    #[test]
    fn keys_order_like_text() {
        let mut codes = [
            "SW1A1", "SW1", "SW11", "SW1A", "S1", "01067", "99998", "M5V",
        ];
        let mut keys: Vec<Key> = codes
            .iter()
            .map(|c| Key::new(c.as_bytes()).unwrap())
            .collect();
        codes.sort_unstable();
        keys.sort_unstable();
        let back: Vec<String> = keys.iter().map(Key::to_string).collect();
        assert_eq!(back, codes);
        assert!(Key::new(b"").is_none());
        assert!(Key::new(b"123456789").is_none());
        assert!(Key::new(b"SW1A 1AA").is_none());
    }

    #[test]
    fn bad_files_say_where() {
        let e = PostalTable::parse(b"zip,lat,lon\n1,2,3\n").unwrap_err();
        assert!(e.contains("header"), "{e}");
        let e = PostalTable::parse(b"code,lat,lon,place,admin1\nA1,x,3,p,a\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("latitude"), "{e}");
        let e = PostalTable::parse(b"code,lat,lon,place,admin1\nA1,91,3,p,a\n").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let missing = PostalTable::load(Path::new("/nonexistent/xx.csv.gz")).unwrap_err();
        assert!(missing.contains("/nonexistent/xx.csv.gz"), "{missing}");
    }
}
