//! Postal codes as CRM users type them → the form each country's table
//! keys by (rules from the data's README, `assets/DATA-SOURCES.md`).
//!
//! Common to all: upper-case; spaces and hyphens removed (`SW1A 1AA` →
//! `SW1A1AA`, `100-0001` → `1000001`, `01310-100` → `01310100`); a trailing
//! `.0` that a spreadsheet wrote for a number is dropped. Numeric codes
//! whose leading zero a spreadsheet dropped (`1067` for Dresden's `01067`)
//! get it back where the country has such codes. Per country:
//! CA keeps the FSA (first 3 characters), NL the PC4 (4 digits), GB tries
//! the sector (outward code + first inward digit) and then the outward
//! code, FR drops `CEDEX`/`SP` suffixes, BR looks up the greatest
//! municipality code at or below the CEP.

use super::table::Key;

/// How a country writes its postal codes, and which table reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// US ZIP (the bundled ZIP table; ZIP+4 accepted).
    Us,
    /// Canada: `A9A 9A9`, looked up by its FSA `A9A`.
    Ca,
    /// UK: `SW1A 1AA`, by sector, then outward code.
    Gb,
    /// Netherlands: `1012 AB`, by PC4 `1012`.
    Nl,
    /// Brazil: CEP `01310-100`, by the municipality code at or below it.
    Br,
    /// France: five digits, `CEDEX`/`SP` suffixes dropped.
    Fr,
    /// All digits, `len` long; `pad` leading zeros may have been dropped.
    Digits {
        /// Number of digits.
        len: usize,
        /// How many dropped leading zeros are restored (0: none).
        pad: usize,
    },
}

/// Why a code was not usable before any table was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The cell is empty.
    Empty,
    /// The text does not fit the country's format.
    BadFormat,
}

/// The lookups to try for one code, most precise first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Keys in lookup order (unused slots `None`).
    pub keys: [Option<Key>; 3],
}

impl Plan {
    fn one(key: Key) -> Self {
        Plan {
            keys: [Some(key), None, None],
        }
    }
}

/// Upper-cased ASCII letters and digits of `raw`, without spaces and
/// hyphens; `None` for any other character or more than 16 of them.
fn clean(raw: &str) -> Option<([u8; 16], usize)> {
    let s = raw.trim();
    let s = s.strip_suffix(".0").unwrap_or(s);
    let mut buf = [0u8; 16];
    let mut n = 0;
    for b in s.bytes() {
        match b {
            b' ' | b'-' | b'\t' => {}
            b if b.is_ascii_alphanumeric() => {
                *buf.get_mut(n)? = b.to_ascii_uppercase();
                n += 1;
            }
            _ => return None,
        }
    }
    Some((buf, n))
}

/// The lookup plan for `raw` under `scheme` (not for [`Scheme::Us`], which
/// the ZIP table parses itself).
pub fn plan(scheme: Scheme, raw: &str) -> Result<Plan, Shape> {
    if raw.trim().is_empty() {
        return Err(Shape::Empty);
    }
    let raw = if scheme == Scheme::Fr {
        strip_cedex(raw)
    } else {
        raw
    };
    let (buf, n) = clean(raw).ok_or(Shape::BadFormat)?;
    let code = &buf[..n];
    let key = |c: &[u8]| Key::new(c).ok_or(Shape::BadFormat);
    match scheme {
        Scheme::Us => Err(Shape::BadFormat),
        Scheme::Ca => {
            let fsa = code.get(..3).ok_or(Shape::BadFormat)?;
            let fits =
                shape_is(fsa, b"ADA") && (n == 3 || (n == 6 && shape_is(&code[3..], b"DAD")));
            if fits {
                Ok(Plan::one(key(fsa)?))
            } else {
                Err(Shape::BadFormat)
            }
        }
        Scheme::Gb => gb_plan(code),
        Scheme::Nl => {
            let pc4 = code.get(..4).ok_or(Shape::BadFormat)?;
            let fits = shape_is(pc4, b"DDDD")
                && pc4[0] != b'0'
                && (n == 4 || (n == 6 && shape_is(&code[4..], b"AA")));
            if fits {
                Ok(Plan::one(key(pc4)?))
            } else {
                Err(Shape::BadFormat)
            }
        }
        Scheme::Br => digits(code, 8, 1).map(Plan::one),
        Scheme::Fr => digits(code, 5, 1).map(Plan::one),
        Scheme::Digits { len, pad } => digits(code, len, pad).map(Plan::one),
    }
}

/// French CEDEX and SP codes (`75008 CEDEX 08`, `13080 SP 07`) are read by
/// their five-digit number; the suffix is a delivery detail.
fn strip_cedex(raw: &str) -> &str {
    let b = raw.as_bytes();
    let find = |pat: &[u8]| {
        b.windows(pat.len())
            .position(|w| w.eq_ignore_ascii_case(pat))
    };
    let sp =
        || find(b" SP").filter(|&i| b[i + 3..].iter().all(|c| c.is_ascii_digit() || *c == b' '));
    // The patterns are ASCII, so `i` is a character boundary.
    match find(b"CEDEX").or_else(sp) {
        Some(i) if i > 0 => &raw[..i],
        _ => raw,
    }
}

/// `code` as exactly `len` digits, restoring up to `pad` leading zeros.
fn digits(code: &[u8], len: usize, pad: usize) -> Result<Key, Shape> {
    if !code.iter().all(u8::is_ascii_digit) || code.len() > len || code.len() + pad < len {
        return Err(Shape::BadFormat);
    }
    let mut buf = [b'0'; 8];
    let start = len - code.len();
    buf[start..len].copy_from_slice(code);
    Key::new(&buf[..len]).ok_or(Shape::BadFormat)
}

/// True when `code` matches `pattern` (`A` letter, `D` digit, `X` either).
fn shape_is(code: &[u8], pattern: &[u8]) -> bool {
    code.len() == pattern.len()
        && code.iter().zip(pattern).all(|(c, p)| match p {
            b'A' => c.is_ascii_uppercase(),
            b'D' => c.is_ascii_digit(),
            _ => c.is_ascii_alphanumeric(),
        })
}

/// A UK outward code: `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`.
fn is_outward(o: &[u8]) -> bool {
    ["AD", "ADD", "AAD", "AADD", "ADA", "AADA"]
        .iter()
        .any(|p| shape_is(o, p.as_bytes()))
}

/// A full UK postcode: sector (outward + first inward digit), then outward
/// code, then, for subdivided London districts (`EC1A`), the parent district
/// (`EC1`) that older data uses. An outward code alone: itself, then parent.
fn gb_plan(code: &[u8]) -> Result<Plan, Shape> {
    let n = code.len();
    let full = n >= 5 && shape_is(&code[n - 3..], b"DAA") && is_outward(&code[..n - 3]);
    let outward = if full { &code[..n - 3] } else { code };
    if !is_outward(outward) {
        return Err(Shape::BadFormat);
    }
    let parent = outward
        .last()
        .filter(|c| c.is_ascii_uppercase())
        .and_then(|_| Key::new(&outward[..outward.len() - 1]));
    let outward_key = Key::new(outward);
    Ok(if full {
        Plan {
            keys: [Key::new(&code[..n - 2]), outward_key, parent],
        }
    } else {
        Plan {
            keys: [None, outward_key, parent],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(scheme: Scheme, raw: &str) -> Result<Vec<String>, Shape> {
        plan(scheme, raw).map(|p| p.keys.iter().flatten().map(Key::to_string).collect())
    }

    const DE: Scheme = Scheme::Digits { len: 5, pad: 1 };
    const JP: Scheme = Scheme::Digits { len: 7, pad: 1 };
    const IN: Scheme = Scheme::Digits { len: 6, pad: 0 };

    #[test]
    fn canada_fsa() {
        for raw in ["M5V 2T6", "m5v2t6", "M5V-2T6", " M5V ", "K1A 0B1"] {
            assert_eq!(keys(Scheme::Ca, raw).unwrap().len(), 1, "{raw}");
        }
        assert_eq!(keys(Scheme::Ca, "m5v 2t6").unwrap(), ["M5V"]);
        for raw in ["M5V 2T", "5MV 2T6", "M5V2T6X", "M5", "12345"] {
            assert_eq!(keys(Scheme::Ca, raw), Err(Shape::BadFormat), "{raw}");
        }
    }

    #[test]
    fn uk_sector_then_outward() {
        assert_eq!(
            keys(Scheme::Gb, "SW1A 1AA").unwrap(),
            ["SW1A1", "SW1A", "SW1"]
        );
        assert_eq!(
            keys(Scheme::Gb, "ec1a1bb").unwrap(),
            ["EC1A1", "EC1A", "EC1"]
        );
        assert_eq!(keys(Scheme::Gb, "M1 1AE").unwrap(), ["M11", "M1"]);
        assert_eq!(keys(Scheme::Gb, "B33 8TH").unwrap(), ["B338", "B33"]);
        assert_eq!(keys(Scheme::Gb, "CR2 6XH").unwrap(), ["CR26", "CR2"]);
        assert_eq!(keys(Scheme::Gb, "DN55 1PT").unwrap(), ["DN551", "DN55"]);
        assert_eq!(keys(Scheme::Gb, "W1A 0AX").unwrap(), ["W1A0", "W1A", "W1"]);
        assert_eq!(keys(Scheme::Gb, "BT1").unwrap(), ["BT1"]);
        assert_eq!(keys(Scheme::Gb, "SW1A").unwrap(), ["SW1A", "SW1"]);
        for raw in ["SW1A 1A", "12345", "SW1A 1AAA", "1AA", "ABC1 1AA"] {
            assert_eq!(keys(Scheme::Gb, raw), Err(Shape::BadFormat), "{raw}");
        }
    }

    #[test]
    fn netherlands_pc4() {
        assert_eq!(keys(Scheme::Nl, "1012 AB").unwrap(), ["1012"]);
        assert_eq!(keys(Scheme::Nl, "1012ab").unwrap(), ["1012"]);
        assert_eq!(keys(Scheme::Nl, "1012").unwrap(), ["1012"]);
        for raw in ["0123 AB", "1012 A", "101", "1012 12"] {
            assert_eq!(keys(Scheme::Nl, raw), Err(Shape::BadFormat), "{raw}");
        }
    }

    #[test]
    fn brazil_cep() {
        assert_eq!(keys(Scheme::Br, "01310-100").unwrap(), ["01310100"]);
        assert_eq!(keys(Scheme::Br, "1310100").unwrap(), ["01310100"]);
        assert_eq!(keys(Scheme::Br, "22041-001").unwrap(), ["22041001"]);
        for raw in ["01310", "013101000", "0131A-100"] {
            assert_eq!(keys(Scheme::Br, raw), Err(Shape::BadFormat), "{raw}");
        }
    }

    #[test]
    fn digit_codes() {
        assert_eq!(keys(DE, "10115").unwrap(), ["10115"]);
        assert_eq!(keys(DE, "1067").unwrap(), ["01067"]);
        assert_eq!(keys(DE, "1067.0").unwrap(), ["01067"]);
        assert_eq!(keys(DE, "D-10115"), Err(Shape::BadFormat));
        assert_eq!(keys(DE, "106"), Err(Shape::BadFormat));
        assert_eq!(keys(DE, "101155"), Err(Shape::BadFormat));
        assert_eq!(keys(JP, "100-0001").unwrap(), ["1000001"]);
        assert_eq!(keys(JP, "060-0001").unwrap(), ["0600001"]);
        assert_eq!(keys(JP, "600001").unwrap(), ["0600001"]);
        assert_eq!(keys(IN, "110 001").unwrap(), ["110001"]);
        assert_eq!(keys(IN, "11001"), Err(Shape::BadFormat));
        assert_eq!(keys(DE, "10115 CEDEX"), Err(Shape::BadFormat));
        assert_eq!(keys(DE, ""), Err(Shape::Empty));
        assert_eq!(keys(DE, "  "), Err(Shape::Empty));
        assert_eq!(keys(DE, "１０１１５"), Err(Shape::BadFormat));
    }

    #[test]
    fn french_cedex() {
        let fr = Scheme::Fr;
        assert_eq!(keys(fr, "75001").unwrap(), ["75001"]);
        assert_eq!(keys(fr, "75008 CEDEX 08").unwrap(), ["75008"]);
        assert_eq!(keys(fr, "92200 Cedex").unwrap(), ["92200"]);
        assert_eq!(keys(fr, "13080 SP 07").unwrap(), ["13080"]);
        assert_eq!(keys(fr, "13080 SP").unwrap(), ["13080"]);
        assert_eq!(keys(fr, "CEDEX"), Err(Shape::BadFormat));
        assert_eq!(keys(fr, "75008 Paris"), Err(Shape::BadFormat));
    }
}
