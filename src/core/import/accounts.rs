//! Accounts CSV import: CRM exports (Salesforce, HubSpot, Dynamics, Excel
//! "Save as CSV") into the columnar [`Accounts`] table.
//!
//! The file is read into memory and parsed twice. The first pass validates
//! the structure (field counts, UTF-8) and decides, per column, whether every
//! value is a number; numeric columns keep their parsed values. The second
//! pass fills ids, names, locations and text columns. Two passes over bytes
//! that are already in memory are cheaper than keeping a million parsed
//! records around, and they let a column be typed by all of its values.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::path::Path;

use super::detect::{self, norm_header};
use crate::core::geocode::{
    Country, Gazetteer, PostalLookup, PostalMatch, PostalMiss, PostalSummary, country_column,
};
use crate::core::model::{Accounts, AttrColumn, LocationSource, MeasureColumn};
use crate::core::pins::Pins;
use crate::core::progress::Progress;
use crate::core::{Error, Result};

mod stream;
#[cfg(test)]
pub(crate) use stream::record_end_for_tests;
pub(crate) use stream::stream_sized;
pub use stream::{BlockRows, RowSink, stream_accounts};

/// How many rows go by between progress updates and cancel checks.
const PROGRESS_EVERY: usize = 1 << 16;
/// How many line numbers a report lists for each kind of problem.
const MAX_LINES: usize = 10;

/// Which columns hold the account's id, name and location. `None` means
/// auto-detect from the header (the default for all of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountImportOptions {
    /// Column of the unique account id (CRM id).
    pub id_col: Option<String>,
    /// Column of the display name.
    pub name_col: Option<String>,
    /// Column of the latitude in degrees.
    pub lat_col: Option<String>,
    /// Column of the longitude in degrees.
    pub lon_col: Option<String>,
    /// Column of the postal code, used when coordinates are missing.
    pub zip_col: Option<String>,
    /// Column of the country (ISO code or English name) that picks each
    /// row's postal table.
    pub country_col: Option<String>,
    /// The country of rows without a country (no column, or an empty
    /// cell); `None` means the US.
    pub default_country: Option<Country>,
    /// The sheet of a workbook (`.xlsx`, `.xls`, `.ods`) to read; `None`
    /// reads the first.
    pub sheet: Option<String>,
    /// Columns to read as measures (numbers) whatever their values: a value
    /// that is not a number is an error naming its line. Never taken for a
    /// role by detection.
    pub measure_cols: Vec<String>,
    /// Columns to read as text attributes even when every value is a
    /// number. Never taken for a role by detection.
    pub text_cols: Vec<String>,
    /// Columns left out of the plan. Never taken for a role by detection.
    pub ignore_cols: Vec<String>,
}

/// What an accounts import found, for the user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Accounts imported (every data row that is not blank).
    pub rows: usize,
    /// Accounts placed by their latitude/longitude.
    pub by_coordinates: usize,
    /// Accounts placed at their postal code's centroid (per country and
    /// precision in [`ImportReport::postal`]).
    pub by_postal_code: usize,
    /// Accounts without a usable location (kept, never dropped).
    pub unlocated: usize,
    /// 1-based file lines of the first unlocated accounts (at most 10).
    pub unlocated_lines: Vec<u64>,
    /// Rows whose coordinates were present but unusable (out of range or not
    /// numbers); they fell back to the ZIP code or stayed unlocated.
    pub invalid_coordinates: usize,
    /// 1-based file lines of the first such rows (at most 10).
    pub invalid_coordinate_lines: Vec<u64>,
    /// Rows where every field was empty; they are skipped.
    pub blank_rows: usize,
    /// Names of the numeric columns, in file order.
    pub measures: Vec<String>,
    /// Names of the text columns, in file order.
    pub attributes: Vec<String>,
    /// The field delimiter that was used (`,`, `;` or tab).
    pub delimiter: u8,
    /// Header of the id column; `None` when ids are row numbers.
    pub id_column: Option<String>,
    /// Header of the name column; `None` when names are the ids.
    pub name_column: Option<String>,
    /// Header of the latitude column, if any.
    pub lat_column: Option<String>,
    /// Header of the longitude column, if any.
    pub lon_column: Option<String>,
    /// Header of the postal code column, if any.
    pub zip_column: Option<String>,
    /// Header of the country column, if any.
    pub country_column: Option<String>,
    /// The country of rows that name none.
    pub default_country: Option<Country>,
    /// Postal-code placements per country and precision, and why the
    /// unlocated accounts are unlocated, per country.
    pub postal: PostalSummary,
    /// Postal tables that could not be read (`file: why`).
    pub postal_errors: Vec<String>,
}

impl ImportReport {
    /// A few lines for the user, e.g. `5,000 accounts: 4,950 by
    /// coordinates, 45 by postal code, 5 unlocated (lines 12, 40, …)`, then
    /// `45 by postal code: 40 US ZIP, 5 CA FSA` and `5 unlocated: 3 unknown
    /// code (DE), 2 country not covered (CH)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} {}: {} by coordinates, {} by postal code, {} unlocated",
            crate::core::numfmt::count(self.rows as u64),
            if self.rows == 1 {
                "account"
            } else {
                "accounts"
            },
            crate::core::numfmt::count(self.by_coordinates as u64),
            crate::core::numfmt::count(self.by_postal_code as u64),
            crate::core::numfmt::count(self.unlocated as u64),
        );
        if self.unlocated > 0 {
            s.push_str(&line_list(&self.unlocated_lines, self.unlocated));
        }
        if self.postal.placed() > 0 {
            s.push('\n');
            s.push_str(&self.postal.placed_text());
        }
        if self.postal.unplaced() > 0 {
            s.push('\n');
            s.push_str(&self.postal.unplaced_text());
        }
        for e in &self.postal_errors {
            s.push_str(&format!("\npostal table unavailable: {e}"));
        }
        if self.invalid_coordinates > 0 {
            s.push_str(&format!(
                "\n{} {} unusable coordinates{}; placed by postal code where possible",
                crate::core::numfmt::count(self.invalid_coordinates as u64),
                if self.invalid_coordinates == 1 {
                    "row has"
                } else {
                    "rows have"
                },
                line_list(&self.invalid_coordinate_lines, self.invalid_coordinates),
            ));
        }
        s
    }
}

/// ` (line 3)` / ` (lines 3, 9, …)`.
fn line_list(lines: &[u64], total: usize) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let list: Vec<String> = lines.iter().map(u64::to_string).collect();
    let more = if total > lines.len() { ", …" } else { "" };
    let word = if total == 1 { "line" } else { "lines" };
    format!(" ({word} {}{more})", list.join(", "))
}

/// Imports the accounts CSV at `path`. See [`import_accounts_from_reader`].
pub fn import_accounts(
    path: &Path,
    opts: &AccountImportOptions,
    progress: &Progress,
) -> Result<(Accounts, ImportReport)> {
    let bytes = table_bytes(path, opts.sheet.as_deref())?;
    import_accounts_from_bytes(&bytes, path, opts, progress)
}

/// Imports accounts from CSV text in `reader`; `path_for_errors` names the
/// source in error messages.
///
/// The delimiter (`,`, `;` or tab) is sniffed from the header; id, name,
/// latitude, longitude and ZIP columns are found by their usual CRM names
/// unless `opts` names them. Every other column becomes a measure when all
/// its values are numbers and a text attribute otherwise. Accounts without
/// usable coordinates are placed at their ZIP's centroid or kept unlocated.
pub fn import_accounts_from_reader<R: Read>(
    mut reader: R,
    path_for_errors: &Path,
    opts: &AccountImportOptions,
    progress: &Progress,
) -> Result<(Accounts, ImportReport)> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path_for_errors, e))?;
    import_accounts_from_bytes(&bytes, path_for_errors, opts, progress)
}

/// What a column is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Id,
    Name,
    Lat,
    Lon,
    Zip,
    Country,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Id => "id",
            Role::Name => "name",
            Role::Lat => "latitude",
            Role::Lon => "longitude",
            Role::Zip => "postal code",
            Role::Country => "country",
        }
    }

    /// Header names that mean this role, normalized (see [`norm_header`]),
    /// best first: a Salesforce export has both billing and shipping
    /// coordinates and billing wins.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Role::Id => &["id", "accountid"],
            Role::Name => &["name", "accountname"],
            Role::Lat => &[
                "latitude",
                "lat",
                "billinglatitude",
                "shippinglatitude",
                "y",
            ],
            Role::Lon => &[
                "longitude",
                "lon",
                "lng",
                "long",
                "billinglongitude",
                "shippinglongitude",
                "x",
            ],
            Role::Zip => &[
                "zip",
                "zipcode",
                "postalcode",
                "postcode",
                "billingpostalcode",
                "shippingpostalcode",
                "zip/postalcode",
                "billingzip/postalcode",
                "shippingzip/postalcode",
                "mailingpostalcode",
                "mailingzip/postalcode",
                // The national names CRM exports of other countries use.
                "plz",
                "postleitzahl",
                "codepostal",
                "cep",
                "pincode",
            ],
            // Detected by `geocode::country_column`, which pairs it with
            // the postal code's address.
            Role::Country => &[],
        }
    }
}

/// Whether `header` names a postal code column as the import detects it
/// (e.g. `BillingPostalCode`, `PLZ`), so later readers of the plan (the
/// unlocated accounts' reasons) find the same column.
pub(crate) fn is_postal_header(header: &str) -> bool {
    let n = norm_header(header);
    Role::Zip.synonyms().contains(&n.as_str())
}

/// The column index of each role.
#[derive(Clone, Debug, Default)]
struct Layout {
    id: Option<usize>,
    /// Ids are row numbers, as asked (`#row`).
    row_numbers: bool,
    name: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
    zip: Option<usize>,
    country: Option<usize>,
    /// Columns read as measures whatever their values.
    measures: Vec<usize>,
    /// Columns read as text whatever their values.
    texts: Vec<usize>,
    /// Columns left out.
    ignored: Vec<usize>,
}

/// The column called `want` (exactly, else by [`norm_header`]).
fn column_index(headers: &[String], normed: &[String], want: &str) -> Option<usize> {
    let want = want.trim();
    headers.iter().position(|h| h == want).or_else(|| {
        let n = norm_header(want);
        normed.iter().position(|h| *h == n)
    })
}

/// The columns the options give a kind (measure, text, ignored) rather
/// than a role; an unknown name is an error listing the header.
fn claimed_columns(
    headers: &[String],
    normed: &[String],
    opts: &AccountImportOptions,
    path: &Path,
) -> Result<[Vec<usize>; 3]> {
    let find = |names: &[String], kind: &str| -> Result<Vec<usize>> {
        names
            .iter()
            .map(|want| {
                column_index(headers, normed, want).ok_or_else(|| Error::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    column: Some(want.clone()),
                    message: format!(
                        "no such column to read as {kind}; the header has: {}",
                        headers.join(", ")
                    ),
                })
            })
            .collect()
    };
    Ok([
        find(&opts.measure_cols, "a measure")?,
        find(&opts.text_cols, "text")?,
        find(&opts.ignore_cols, "ignored")?,
    ])
}

fn find_layout(headers: &[String], opts: &AccountImportOptions, path: &Path) -> Result<Layout> {
    let normed: Vec<String> = headers.iter().map(|h| norm_header(h)).collect();
    let [measures, texts, ignored] = claimed_columns(headers, &normed, opts, path)?;
    // Detection never takes a column the options gave a kind.
    let is_claimed: Vec<bool> = (0..headers.len())
        .map(|i| measures.contains(&i) || texts.contains(&i) || ignored.contains(&i))
        .collect();
    let claimed = |i: usize| is_claimed[i];
    let free: Vec<String> = normed
        .iter()
        .enumerate()
        .map(|(i, h)| if claimed(i) { String::new() } else { h.clone() })
        .collect();
    let pick = |role: Role, explicit: &Option<String>| -> Result<Option<usize>> {
        if let Some(want) = explicit {
            return match column_index(headers, &normed, want) {
                Some(i) => Ok(Some(i)),
                None => Err(Error::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    column: Some(want.clone()),
                    message: format!(
                        "no such {} column; the header has: {}",
                        role.label(),
                        headers.join(", ")
                    ),
                }),
            };
        }
        Ok(role
            .synonyms()
            .iter()
            .find_map(|syn| free.iter().position(|h| h == syn)))
    };
    let row_numbers = detect::is_row_number_id(opts.id_col.as_deref());
    let mut layout = Layout {
        // Row numbers asked: no column is the id, even one called `Id`.
        id: if row_numbers {
            None
        } else {
            pick(Role::Id, &opts.id_col)?
        },
        row_numbers,
        name: pick(Role::Name, &opts.name_col)?,
        lat: pick(Role::Lat, &opts.lat_col)?,
        lon: pick(Role::Lon, &opts.lon_col)?,
        zip: pick(Role::Zip, &opts.zip_col)?,
        country: pick(Role::Country, &opts.country_col)?,
        measures,
        texts,
        ignored,
    };
    if opts.country_col.is_none() {
        let zip_header = layout.zip.map(|z| normed[z].as_str());
        layout.country = country_column(&free, zip_header);
    }
    // Coordinates need both halves. An explicit half without its partner is
    // a mistake worth reporting; a detected one is just an ordinary column.
    if layout.lat.is_some() != layout.lon.is_some() {
        let (given, missing) = if layout.lat.is_some() {
            (&opts.lat_col, Role::Lon)
        } else {
            (&opts.lon_col, Role::Lat)
        };
        if let Some(given) = given {
            return Err(Error::Csv {
                path: path.to_path_buf(),
                line: 1,
                column: Some(given.clone()),
                message: format!(
                    "no {} column to go with it; the header has: {}",
                    missing.label(),
                    headers.join(", ")
                ),
            });
        }
        layout.lat = None;
        layout.lon = None;
    }
    if layout.name.is_none() && opts.name_col.is_none() {
        let mut skip = vec![layout.id, layout.zip];
        skip.extend((0..headers.len()).filter(|&i| claimed(i)).map(Some));
        layout.name = detect::name_like_column(headers, &skip);
    }
    Ok(layout)
}

/// Stops an import without coordinates and without a ZIP column: every
/// account would be unlocated.
fn require_location(file: &CsvFile) -> Result<()> {
    if file.layout.lat.is_some() || file.layout.zip.is_some() {
        return Ok(());
    }
    Err(file.error(
        1,
        None,
        format!(
            "no location column: expected Latitude and Longitude, or a ZIP / postal code \
             column (name them with --lat-col and --lon-col, or --zip-col); the header has: {}",
            file.headers.join(", ")
        ),
    ))
}

/// Stops an import that has no id column and did not ask for row numbers,
/// listing the columns that could be the id (unique, non-empty values).
fn require_id(file: &CsvFile) -> Result<()> {
    if file.layout.id.is_some() || file.layout.row_numbers {
        return Ok(());
    }
    Err(file.error(1, None, detect::no_id_message(&id_candidates(file)?)))
}

/// The columns whose values are unique and non-empty (coordinates left
/// out), id-like names first.
fn id_candidates(file: &CsvFile) -> Result<Vec<String>> {
    let skip: Vec<usize> = [file.layout.lat, file.layout.lon]
        .into_iter()
        .flatten()
        .chain(file.layout.ignored.iter().copied())
        .collect();
    let mut unique = detect::UniqueColumns::new(file.headers.len(), &skip);
    let mut rec = csv::StringRecord::new();
    let mut rdr = file.data_reader(&mut rec)?;
    while file.read(&mut rdr, &mut rec)? && !unique.none_left() {
        if !is_blank(&rec) {
            unique.push(rec.iter());
        }
    }
    Ok(unique.candidates(&file.headers))
}

/// The most frequent of `,` `;` tab in the header line (outside quotes);
/// `,` when none occurs.
pub(super) fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let cands = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    cands[best]
}

/// The real 1-based line where the record at `pos` starts. csv's position
/// is where the previous record ended, which is before any blank lines and
/// before the `\n` of a `\r\n`; skip those.
fn record_line(bytes: &[u8], pos: &csv::Position) -> u64 {
    let mut line = pos.line();
    let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX);
    for &b in bytes.get(start..).unwrap_or_default() {
        match b {
            b'\n' => line += 1,
            b'\r' => {}
            _ => break,
        }
    }
    line
}

/// A user-facing error for a csv error at `record`'s position.
/// `first_line`: file lines before `bytes` (a block of pass 2 starts later).
fn csv_error(
    e: csv::Error,
    bytes: &[u8],
    first_line: u64,
    path: &Path,
    headers: &[String],
) -> Error {
    let line = first_line + e.position().map_or(0, |p| record_line(bytes, p));
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            return Error::Csv {
                path: path.to_path_buf(),
                line,
                column: headers.get(err.field()).cloned(),
                message: "text is not valid UTF-8; save the file as \"CSV UTF-8\"".into(),
            };
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => return ragged(path, line, *expected_len as usize, *len as usize),
        _ => {}
    }
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        _ => Error::Csv {
            path: path.to_path_buf(),
            line,
            column: None,
            message,
        },
    }
}

fn ragged(path: &Path, line: u64, expected: usize, found: usize) -> Error {
    Error::Csv {
        path: path.to_path_buf(),
        line,
        column: None,
        message: format!(
            "expected {expected} fields, found {found} (a quote may be missing, or a value \
             holds an unquoted delimiter)"
        ),
    }
}

/// A cell of a candidate numeric column.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    /// Empty or a "no value" marker.
    Missing,
    Number(f64),
    /// Anything else: the column is text.
    Text,
}

/// Markers spreadsheets and data tools write for "no value".
fn is_missing_marker(s: &str) -> bool {
    const MARKERS: [&str; 7] = ["-", "na", "n/a", "nan", "null", "none", "#n/a"];
    s.len() <= 4 && MARKERS.iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// `007`-style values are codes, not numbers: their zeros would be lost.
fn has_leading_zero(s: &str) -> bool {
    let b = s.trim_start_matches(['-', '+']).as_bytes();
    b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit()
}

/// Parses a number as CRM exports and spreadsheets write them: `1200.5`,
/// `$1,200.50`, `(300)` (negative), `-€ 5`, `12%` (→ 12), `1.234,56` and,
/// with `decimal_comma` (semicolon files, as written by Excel in locales
/// whose decimal mark is a comma), `3,5` and `€ 3.400` (→ 3400).
///
/// When only one separator occurs once, it groups thousands if exactly
/// three digits follow it and the number does not start with `0`, and it is
/// the decimal mark otherwise; but a comma is always the decimal mark with
/// `decimal_comma`, and a dot always is without it. `scratch` is reused to
/// avoid an allocation per cell.
fn parse_number(s: &str, decimal_comma: bool, scratch: &mut String) -> Cell {
    let s = s.trim();
    if s.is_empty() {
        return Cell::Missing;
    }
    // Fast path: plain numbers, which is nearly every cell of a big file.
    // In semicolon files a dot may group thousands, so dots go the slow way.
    let plain = if decimal_comma && s.contains('.') {
        None
    } else {
        s.parse::<f64>().ok()
    };
    if let Some(v) = plain {
        return if v.is_finite() && !has_leading_zero(s) {
            Cell::Number(v)
        } else if v.is_nan() {
            // "NaN" as written by pandas and friends.
            Cell::Missing
        } else {
            Cell::Text
        };
    }
    if is_missing_marker(s) {
        return Cell::Missing;
    }
    match parse_formatted(s, decimal_comma, scratch) {
        Some(v) => Cell::Number(v),
        None => Cell::Text,
    }
}

fn parse_formatted(s: &str, decimal_comma: bool, buf: &mut String) -> Option<f64> {
    let (mut negative, inner) = match s.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, s),
    };
    let inner = inner.trim();
    let inner = inner.strip_suffix('%').unwrap_or(inner);
    buf.clear();
    let mut seen_sign = false;
    for c in inner.chars() {
        match c {
            '0'..='9' | '.' | ',' | 'e' | 'E' => buf.push(c),
            // A sign is allowed once, before the digits: `-$5` and `$-5`.
            '-' | '+' | '\u{2212}' if !seen_sign && buf.is_empty() => {
                seen_sign = true;
                negative ^= c != '+';
            }
            // In an exponent.
            '-' | '+' if buf.ends_with(['e', 'E']) => buf.push(c),
            '$' | '€' | '£' | '¥' => {}
            // Spaces (incl. no-break and thin spaces) and the Swiss `'`
            // group digits.
            c if c.is_whitespace() || c == '\'' || c == '\u{202f}' => {}
            _ => return None,
        }
    }
    let (mantissa, exponent) = match buf.find(['e', 'E']) {
        Some(i) => buf.split_at(i),
        None => (buf.as_str(), ""),
    };
    if !mantissa.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let commas = mantissa.matches(',').count();
    let dots = mantissa.matches('.').count();
    let (thousands_sep, decimal_sep) = match (commas, dots) {
        (0, 0) => (None, None),
        (_, 0) if commas > 1 => (Some(','), None),
        (1, 0) => {
            let after = mantissa.len() - mantissa.find(',').unwrap_or(0) - 1;
            // `0,123` is a fraction whatever the convention.
            if !decimal_comma && after == 3 && !mantissa.starts_with('0') {
                (Some(','), None)
            } else {
                (None, Some(','))
            }
        }
        (0, _) if dots > 1 => (Some('.'), None),
        (0, _) => {
            let after = mantissa.len() - mantissa.find('.').unwrap_or(0) - 1;
            if decimal_comma && after == 3 && !mantissa.starts_with('0') {
                (Some('.'), None)
            } else {
                (None, Some('.'))
            }
        }
        _ => {
            // Both: the last one is the decimal separator.
            let last_comma = mantissa.rfind(',').unwrap_or(0);
            let last_dot = mantissa.rfind('.').unwrap_or(0);
            if last_comma > last_dot {
                (Some('.'), Some(','))
            } else {
                (Some(','), Some('.'))
            }
        }
    };
    let (int_part, frac_part) = match decimal_sep {
        Some(d) => {
            let i = mantissa.rfind(d).unwrap_or(mantissa.len());
            (&mantissa[..i], Some(&mantissa[i + 1..]))
        }
        None => (mantissa, None),
    };
    if let Some(frac) = frac_part
        && (frac.contains([',', '.']) || int_part.contains(decimal_sep.unwrap_or('.')))
    {
        return None;
    }
    // Thousands groups must look like thousands groups, so that `1,2,3` or
    // `10.20.30` stay text.
    if let Some(t) = thousands_sep {
        let mut groups = int_part.split(t);
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return None;
        }
    }
    let mut plain = String::with_capacity(buf.len());
    plain.extend(int_part.chars().filter(|c| c.is_ascii_digit()));
    if let Some(frac) = frac_part {
        plain.push('.');
        plain.push_str(frac);
    }
    plain.push_str(exponent);
    let v: f64 = plain.parse().ok()?;
    v.is_finite().then_some(if negative { -v } else { v })
}

/// A latitude or longitude: a plain number, or one with a decimal comma.
fn parse_coord(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let v = match s.parse::<f64>() {
        Ok(v) => v,
        Err(_) if s.matches(',').count() == 1 && !s.contains('.') => {
            s.replacen(',', ".", 1).parse().ok()?
        }
        Err(_) => return None,
    };
    v.is_finite().then_some(v)
}

/// A fast, non-cryptographic hasher for the million-key maps of an import
/// (duplicate ids, text dictionaries). The keys come from the user's own
/// file, so hash flooding is not a concern and SipHash's cost is not needed.
#[derive(Clone, Copy, Default)]
struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; the table indexes by them.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Dictionary-encodes one text column. [`AttrColumn::push`] looks values up
/// with SipHash; this keeps a faster map beside it and only asks the column
/// for a code when a value is new, so both stay consistent.
struct AttrBuilder {
    col: usize,
    codes: FastMap<String, u32>,
}

impl AttrBuilder {
    fn push(&mut self, column: &mut AttrColumn, value: &str) {
        let code = self.code(column, value);
        column.codes.push(code);
    }

    /// The code of `value` in `column`, added to its dictionary if new.
    fn code(&mut self, column: &mut AttrColumn, value: &str) -> u32 {
        match self.codes.get(value) {
            Some(&c) => c,
            None => {
                let c = column.code_of(value);
                self.codes.insert(value.to_owned(), c);
                c
            }
        }
    }
}

/// A column that is a number so far (with its values), or text.
enum Typing {
    /// Numbers so far; `any`: at least one; `strict`: chosen as a measure.
    Numeric {
        values: Vec<f64>,
        any: bool,
        strict: bool,
    },
    Text,
}

/// True when every field is empty: spreadsheet exports end with `,,,,` rows.
pub(super) fn is_blank(rec: &csv::StringRecord) -> bool {
    rec.iter().all(|f| f.trim().is_empty())
}

/// Column names made unique (case-insensitively) by suffixing ` (2)`, … and
/// with empty ones named `Column N`.
fn unique_names(headers: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let base = if h.is_empty() {
                format!("Column {}", i + 1)
            } else {
                h.clone()
            };
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.to_lowercase()) {
                name = format!("{base} ({n})");
                n += 1;
            }
            name
        })
        .collect()
}

/// How many data rows pass 1 found.
#[derive(Clone, Copy, Debug, Default)]
struct RowCounts {
    rows: usize,
    blank_rows: usize,
}

/// What pass 1 finds: the typed columns, the row counts and the blocks.
type Typed = (Vec<(usize, Typing)>, RowCounts, Vec<Block>);

/// Rows per block of pass 2, which reads the blocks in parallel.
const ROWS_PER_BLOCK: usize = 1 << 15;

/// Where a block of records starts, as pass 1 found it: pass 2 reads each
/// block on its own, and the records (quoted line breaks and all) are cut
/// where the sequential reader cut them.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// Byte offset of the block's first record.
    byte: usize,
    /// File line of that record (1-based).
    line: u64,
    /// Accounts (non-blank rows) before it.
    rows_before: usize,
}

impl Block {
    /// The block whose first record is `rec` (just read by a whole-file
    /// reader over `bytes`), after `rows_before` accounts.
    fn at(bytes: &[u8], rec: &csv::StringRecord, rows_before: usize) -> Option<Self> {
        let pos = rec.position()?;
        // csv's position is where the previous record ended: skip its line
        // break (and blank lines) to the record's first byte.
        let mut byte = usize::try_from(pos.byte()).ok()?;
        while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        Some(Block {
            byte,
            line: record_line(bytes, pos),
            rows_before,
        })
    }
}

/// The file being imported: its bytes (without BOM), name, delimiter and
/// header, and where its columns are.
struct CsvFile<'a> {
    bytes: &'a [u8],
    path: &'a Path,
    delimiter: u8,
    headers: Vec<String>,
    layout: Layout,
    /// File lines before `bytes` (0 for the whole file; a block of pass 2
    /// starts later).
    first_line: u64,
    /// Accounts before `bytes` (numbers the rows of a block).
    first_row: usize,
}

impl<'a> CsvFile<'a> {
    /// A reader from the start of the file.
    fn reader(&self) -> csv::Reader<&'a [u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            // Field counts are checked here, so that blank lines of any
            // width can be skipped and the message can be ours.
            .flexible(true)
            .has_headers(false)
            .from_reader(self.bytes)
    }

    /// A reader past the header (which [`read_header`] checked reads).
    fn data_reader(&self, rec: &mut csv::StringRecord) -> Result<csv::Reader<&'a [u8]>> {
        let mut rdr = self.reader();
        self.read(&mut rdr, rec)?;
        Ok(rdr)
    }

    /// The next record into `rec`; false at the end.
    fn read(&self, rdr: &mut csv::Reader<&[u8]>, rec: &mut csv::StringRecord) -> Result<bool> {
        rdr.read_record(rec)
            .map_err(|e| csv_error(e, self.bytes, self.first_line, self.path, &self.headers))
    }

    /// The real file line of `rec`.
    fn line(&self, rec: &csv::StringRecord) -> u64 {
        self.first_line + rec.position().map_or(0, |p| record_line(self.bytes, p))
    }

    /// The same file seen from `block` to `end` (a byte offset), for pass 2.
    fn block(&self, block: &Block, end: usize) -> CsvFile<'a> {
        CsvFile {
            bytes: self.bytes.get(block.byte..end).unwrap_or_default(),
            path: self.path,
            delimiter: self.delimiter,
            headers: self.headers.clone(),
            layout: self.layout.clone(),
            first_line: block.line - 1,
            first_row: block.rows_before,
        }
    }

    fn error(&self, line: u64, column: Option<usize>, message: String) -> Error {
        Error::Csv {
            path: self.path.to_path_buf(),
            line,
            column: column.map(|c| self.headers[c].clone()),
            message,
        }
    }
}

/// Refuses UTF-16 and empty files; the bytes without a UTF-8 BOM.
pub(super) fn text_bytes<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8]> {
    let csv_err = |message: &str| Error::Csv {
        path: path.to_path_buf(),
        line: 1,
        column: None,
        message: message.into(),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(csv_err(
            "the file is UTF-16 text; save it as \"CSV UTF-8\" instead",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Text never holds NUL bytes; a file that does is binary (a damaged
    // download, a spreadsheet, UTF-16 without a byte order mark).
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::Csv {
            path: path.to_path_buf(),
            line: bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1,
            column: None,
            message: "the file holds NUL bytes, so it is not CSV text (a binary file, a \
                      spreadsheet, or UTF-16 text); export the accounts as \"CSV UTF-8\""
                .into(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(csv_err(
            "the file is empty; expected a header row such as Id,Name,Latitude,Longitude",
        ));
    }
    Ok(bytes)
}

/// The trimmed column names of the header row.
fn read_header(file: &CsvFile) -> Result<Vec<String>> {
    let mut rdr = file.reader();
    let mut rec = csv::StringRecord::new();
    if !rdr
        .read_record(&mut rec)
        .map_err(|e| csv_error(e, file.bytes, file.first_line, file.path, &[]))?
    {
        return Err(file.error(1, None, "the file has no header row".into()));
    }
    let headers: Vec<String> = rec.iter().map(|h| h.trim().to_owned()).collect();
    if headers.iter().all(String::is_empty) {
        let line = rec.position().map_or(1, |p| record_line(file.bytes, p));
        return Err(file.error(
            line,
            None,
            "the header row is empty; expected column names such as Id,Name,Latitude,Longitude"
                .into(),
        ));
    }
    Ok(headers)
}

/// The data columns in file order, each a number column until a value
/// says otherwise; the postal code column stays text so its leading zeros
/// survive, and so does the country column (ISO numeric codes are codes).
/// Columns chosen as text stay text, those chosen as measures are numbers
/// (`strict`: a value that is not one is an error), ignored ones are left
/// out.
fn candidate_columns(layout: &Layout, width: usize) -> Vec<(usize, Typing)> {
    let is_core = |c: usize| [layout.id, layout.name, layout.lat, layout.lon].contains(&Some(c));
    (0..width)
        .filter(|&c| !is_core(c) && !layout.ignored.contains(&c))
        .map(|c| {
            let text =
                Some(c) == layout.zip || Some(c) == layout.country || layout.texts.contains(&c);
            let t = if text {
                Typing::Text
            } else {
                let strict = layout.measures.contains(&c);
                Typing::Numeric {
                    values: Vec::new(),
                    // A chosen measure is one even when every cell is empty.
                    any: strict,
                    strict,
                }
            };
            (c, t)
        })
        .collect()
}

/// Pass 1: checks the structure (field counts, UTF-8) and types the
/// columns, keeping the values of those that are numbers.
fn type_columns(file: &CsvFile, progress: &Progress, rows_per_block: usize) -> Result<Typed> {
    let width = file.headers.len();
    let mut typing = candidate_columns(&file.layout, width);
    let decimal_comma = file.delimiter == b';';
    let mut scratch = String::new();
    let mut counts = RowCounts::default();
    let mut rec = csv::StringRecord::new();
    let mut rdr = file.data_reader(&mut rec)?;
    let mut seen = 0usize;
    let mut blocks = Vec::new();
    while file.read(&mut rdr, &mut rec)? {
        if seen.is_multiple_of(rows_per_block) {
            blocks.extend(Block::at(file.bytes, &rec, counts.rows));
        }
        seen += 1;
        if seen.is_multiple_of(PROGRESS_EVERY) {
            progress.check()?;
            progress.set_done(rec.position().map_or(0, csv::Position::byte));
        }
        if is_blank(&rec) {
            counts.blank_rows += 1;
            continue;
        }
        if rec.len() != width {
            return Err(ragged(file.path, file.line(&rec), width, rec.len()));
        }
        counts.rows += 1;
        for (c, t) in &mut typing {
            if let Typing::Numeric {
                values,
                any,
                strict,
            } = t
            {
                match parse_number(&rec[*c], decimal_comma, &mut scratch) {
                    Cell::Missing => values.push(f64::NAN),
                    Cell::Number(v) => {
                        values.push(v);
                        *any = true;
                    }
                    Cell::Text if *strict => {
                        return Err(file.error(
                            file.line(&rec),
                            Some(*c),
                            format!(
                                "'{}' is not a number, but the column is read as a measure \
                                 (read it as text instead)",
                                rec[*c].trim()
                            ),
                        ));
                    }
                    Cell::Text => *t = Typing::Text,
                }
            }
        }
    }
    Ok((typing, counts, blocks))
}

/// An empty table for `rows` accounts with the typed columns (a column
/// without any number, e.g. all empty, is text), and a builder per text
/// column.
fn empty_table(
    typing: Vec<(usize, Typing)>,
    names: &[String],
    rows: usize,
) -> (Accounts, Vec<AttrBuilder>) {
    let mut measures = Vec::new();
    let mut attributes = Vec::new();
    let mut text_cols = Vec::new();
    for (c, t) in typing {
        match t {
            Typing::Numeric {
                values, any: true, ..
            } => measures.push(MeasureColumn {
                name: names[c].clone(),
                values,
            }),
            _ => {
                let mut column = AttrColumn::new(names[c].clone());
                column.codes.reserve(rows);
                attributes.push(column);
                text_cols.push(AttrBuilder {
                    col: c,
                    codes: FastMap::default(),
                });
            }
        }
    }
    let acc = Accounts {
        ids: Vec::with_capacity(rows).into(),
        names: Vec::with_capacity(rows).into(),
        lon: Vec::with_capacity(rows),
        lat: Vec::with_capacity(rows),
        source: Vec::with_capacity(rows),
        postal: Vec::new(),
        pins: Pins::unpinned(rows),
        removed: vec![false; rows],
        measures,
        attributes,
    };
    (acc, text_cols)
}

/// The report before pass 2 counts locations.
fn start_report(file: &CsvFile, acc: &Accounts, counts: RowCounts) -> ImportReport {
    let header = |c: Option<usize>| c.map(|c| file.headers[c].clone());
    let layout = &file.layout;
    ImportReport {
        rows: counts.rows,
        blank_rows: counts.blank_rows,
        delimiter: file.delimiter,
        id_column: header(layout.id),
        name_column: header(layout.name),
        lat_column: header(layout.lat),
        lon_column: header(layout.lon),
        zip_column: header(layout.zip),
        country_column: header(layout.country),
        measures: acc.measures.iter().map(|m| m.name.clone()).collect(),
        attributes: acc.attributes.iter().map(|a| a.name.clone()).collect(),
        ..ImportReport::default()
    }
}

/// Pass 2: ids, names, locations and text columns. Returns each account's
/// file line. The blocks are read in parallel, each into a table of its
/// own, and joined in file order: the table, its text dictionaries and the
/// report come out as one sequential read would make them.
fn fill_rows(
    file: &CsvFile,
    blocks: &[Block],
    acc: &mut Accounts,
    text_cols: &mut [AttrBuilder],
    report: &mut ImportReport,
    progress: &Progress,
) -> Result<Vec<u64>> {
    use rayon::prelude::*;
    let half = file.bytes.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let parts: Vec<Result<Part>> = blocks
        .par_iter()
        .enumerate()
        .map(|(k, b)| {
            progress.check()?;
            let end = blocks.get(k + 1).map_or(file.bytes.len(), |n| n.byte);
            let part = fill_block(&file.block(b, end), acc, text_cols, report);
            let bytes = (end - b.byte) as u64;
            let so_far = done.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed) + bytes;
            progress.set_done(half + so_far);
            part
        })
        .collect();
    let mut lines: Vec<u64> = Vec::with_capacity(report.rows);
    let mut postal_errors = Vec::new();
    for part in parts {
        let mut part = part?;
        lines.append(&mut part.lines);
        postal_errors.append(&mut part.postal_errors);
        join_part(acc, text_cols, report, part);
    }
    postal_errors.sort();
    postal_errors.dedup();
    report.postal_errors = postal_errors;
    Ok(lines)
}

/// One block of pass 2, read into a table of its own.
struct Part {
    /// The block's accounts (ids, names, locations, postal matches, text
    /// codes into the block's own dictionaries).
    acc: Accounts,
    /// Its location counts.
    report: ImportReport,
    /// Each account's file line.
    lines: Vec<u64>,
    /// Postal tables that could not be read.
    postal_errors: Vec<String>,
}

/// Reads the block `file` into a [`Part`]; `acc`, `text_cols` and `report`
/// give the columns and the default country.
fn fill_block(
    file: &CsvFile,
    acc: &Accounts,
    text_cols: &[AttrBuilder],
    report: &ImportReport,
) -> Result<Part> {
    let mut own = Accounts {
        attributes: acc
            .attributes
            .iter()
            .map(|a| AttrColumn::new(a.name.clone()))
            .collect(),
        ..Accounts::default()
    };
    let mut builders: Vec<AttrBuilder> = text_cols
        .iter()
        .map(|b| AttrBuilder {
            col: b.col,
            codes: FastMap::default(),
        })
        .collect();
    let mut own_report = ImportReport {
        default_country: report.default_country,
        ..ImportReport::default()
    };
    let mut lines = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut rdr = file.reader();
    let default = report.default_country.unwrap_or(Country::US);
    let mut postal = PostalLookup::new(Gazetteer::bundled(), default);
    while file.read(&mut rdr, &mut rec)? {
        if is_blank(&rec) {
            continue;
        }
        let line = file.line(&rec);
        push_row(file, &rec, line, &mut own, &mut postal, &mut own_report)?;
        for (col, b) in own.attributes.iter_mut().zip(builders.iter_mut()) {
            b.push(col, rec[b.col].trim());
        }
        lines.push(line);
    }
    Ok(Part {
        acc: own,
        report: own_report,
        lines,
        postal_errors: postal.load_errors(),
    })
}

/// Appends the block `part` to `acc` and its counts to `report`.
fn join_part(
    acc: &mut Accounts,
    text_cols: &mut [AttrBuilder],
    report: &mut ImportReport,
    part: Part,
) {
    let base = acc.ids.len();
    let mut p = part.acc;
    acc.ids.append(&mut p.ids);
    acc.names.append(&mut p.names);
    acc.lon.extend_from_slice(&p.lon);
    acc.lat.extend_from_slice(&p.lat);
    acc.source.extend_from_slice(&p.source);
    for (i, m) in p.postal.iter().enumerate() {
        if m.is_some() {
            acc.set_postal_match(base + i, *m);
        }
    }
    for ((col, b), own) in acc
        .attributes
        .iter_mut()
        .zip(text_cols.iter_mut())
        .zip(&p.attributes)
    {
        // The block's dictionary in its order of first use: new values get
        // codes in the order one sequential read would have given them.
        let map: Vec<u32> = own.dict.iter().map(|v| b.code(col, v)).collect();
        col.codes.extend(own.codes.iter().map(|&c| map[c as usize]));
    }
    let r = &part.report;
    report.by_coordinates += r.by_coordinates;
    report.by_postal_code += r.by_postal_code;
    report.unlocated += r.unlocated;
    report.invalid_coordinates += r.invalid_coordinates;
    for (to, from) in [
        (&mut report.unlocated_lines, &r.unlocated_lines),
        (
            &mut report.invalid_coordinate_lines,
            &r.invalid_coordinate_lines,
        ),
    ] {
        let room = MAX_LINES.saturating_sub(to.len());
        to.extend(from.iter().take(room));
    }
    report.postal.absorb(&r.postal);
}

/// Adds the id, name and location of the account in `rec` (file `line`).
fn push_row(
    file: &CsvFile,
    rec: &csv::StringRecord,
    line: u64,
    acc: &mut Accounts,
    postal: &mut PostalLookup,
    report: &mut ImportReport,
) -> Result<()> {
    let id = match file.layout.id {
        Some(c) => {
            let id = rec[c].trim();
            if id.is_empty() {
                return Err(file.error(
                    line,
                    Some(c),
                    "empty account id; every account needs a unique id".into(),
                ));
            }
            id.to_owned()
        }
        None => (file.first_row + acc.ids.len() + 1).to_string(),
    };
    let name = match file.layout.name.map(|c| rec[c].trim()) {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => id.clone(),
    };
    acc.ids.push(id);
    acc.names.push(name);
    let (lon, lat, source, matched) = locate(&file.layout, rec, line, postal, report);
    acc.lon.push(lon);
    acc.lat.push(lat);
    acc.source.push(source);
    if matched.is_some() {
        acc.set_postal_match(acc.source.len() - 1, matched);
    }
    Ok(())
}

/// An account's location, where it came from and, for a postal code,
/// which table placed it how precisely.
type Located = (f64, f64, LocationSource, Option<PostalMatch>);

/// Where the account in `rec` is: its coordinates, else its postal code's
/// centroid in its own country's table, else unlocated with the reason;
/// counted in `report`.
fn locate(
    layout: &Layout,
    rec: &csv::StringRecord,
    line: u64,
    postal: &mut PostalLookup,
    report: &mut ImportReport,
) -> Located {
    if let Some((lon, lat)) = coordinates(layout, rec, line, report) {
        report.by_coordinates += 1;
        return (lon, lat, LocationSource::Coordinates, None);
    }
    let country_cell = layout.country.map(|c| &rec[c]);
    let outcome = match layout.zip {
        Some(z) => postal.locate(country_cell, &rec[z]),
        None => Err((PostalMiss::NoCode, None)),
    };
    match outcome {
        Ok(hit) => {
            report.by_postal_code += 1;
            report.postal.hit(hit.matched_as());
            (
                hit.lon,
                hit.lat,
                LocationSource::PostalCode,
                Some(hit.matched_as()),
            )
        }
        Err((miss, country)) => {
            // Rows without any location are not a country's problem.
            let country = country.filter(|_| miss != PostalMiss::NoCode);
            report
                .postal
                .miss(miss, country, country_cell.unwrap_or(""));
            report.unlocated += 1;
            if report.unlocated_lines.len() < MAX_LINES {
                report.unlocated_lines.push(line);
            }
            (f64::NAN, f64::NAN, LocationSource::Unlocated, None)
        }
    }
}

/// The row's usable coordinates; present but unusable ones are counted.
fn coordinates(
    layout: &Layout,
    rec: &csv::StringRecord,
    line: u64,
    report: &mut ImportReport,
) -> Option<(f64, f64)> {
    let (la, lo) = (layout.lat?, layout.lon?);
    let (lat_s, lon_s) = (&rec[la], &rec[lo]);
    match (parse_coord(lat_s), parse_coord(lon_s)) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            return Some((lon, lat));
        }
        _ if lat_s.trim().is_empty() && lon_s.trim().is_empty() => {}
        _ => {
            report.invalid_coordinates += 1;
            if report.invalid_coordinate_lines.len() < MAX_LINES {
                report.invalid_coordinate_lines.push(line);
            }
        }
    }
    None
}

/// Duplicate ids are an error naming both lines, so the user can find them.
fn check_unique_ids(file: &CsvFile, acc: &Accounts, lines: &[u64]) -> Result<()> {
    let Some(id_col) = file.layout.id else {
        return Ok(());
    };
    if !may_repeat(&acc.ids) {
        return Ok(());
    }
    let mut first: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(acc.ids.len(), Default::default());
    for (i, id) in acc.ids.iter().enumerate() {
        if let Some(&j) = first.get(id.as_str()) {
            return Err(file.error(
                lines[i],
                Some(id_col),
                format!("duplicate account id '{id}' (first on line {})", lines[j]),
            ));
        }
        first.insert(id, i);
    }
    Ok(())
}

/// Could two of `ids` be equal? Their hashes, computed and sorted in
/// parallel, answer "no" for a million ids in milliseconds; a hash map of
/// the strings themselves took a second, mostly cache misses. Only when
/// two hashes meet does the caller look for the pair (to name its lines).
fn may_repeat(ids: &[String]) -> bool {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    let build = BuildHasherDefault::<FastHasher>::default();
    let mut hashes: Vec<u64> = ids
        .par_iter()
        .map(|id| build.hash_one(id.as_str()))
        .collect();
    hashes.par_sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

/// Imports accounts from the CSV text in `bytes` (see
/// [`import_accounts_from_reader`]): two passes, see the module comment.
fn import_accounts_from_bytes(
    bytes: &[u8],
    path: &Path,
    opts: &AccountImportOptions,
    progress: &Progress,
) -> Result<(Accounts, ImportReport)> {
    let (acc, report, check) = read_table(bytes, path, opts, progress, true, ROWS_PER_BLOCK)?;
    debug_assert!(check.ids.is_ok() && check.location.is_none());
    Ok((acc, report))
}

/// The first empty or repeated value of id column `col`, as an error
/// naming its line.
fn scan_ids(file: &CsvFile, col: usize) -> Result<()> {
    let mut first: FastMap<String, u64> = FastMap::default();
    let mut rec = csv::StringRecord::new();
    let mut rdr = file.data_reader(&mut rec)?;
    while file.read(&mut rdr, &mut rec)? {
        if is_blank(&rec) {
            continue;
        }
        let (id, line) = (rec[col].trim(), file.line(&rec));
        if id.is_empty() {
            let why = "empty account id; every account needs a unique id";
            return Err(file.error(line, Some(col), why.into()));
        }
        if let Some(j) = first.get(id) {
            let why = format!("duplicate account id '{id}' (first on line {j})");
            return Err(file.error(line, Some(col), why));
        }
        first.insert(id.to_owned(), line);
    }
    Ok(())
}

/// Whether the ids of a mapping can go back to a CRM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdCheck {
    /// An id column whose values are unique and non-empty.
    Unique,
    /// Row numbers, as asked (`#row`).
    RowNumbers,
    /// No id column: the columns that could be one (unique, non-empty
    /// values, id-like names first).
    Missing(Vec<String>),
    /// The id column has an empty or repeated value (the message names the
    /// line).
    Invalid(String),
}

impl IdCheck {
    /// True when the import may go ahead (unique ids, or row numbers asked).
    pub fn is_ok(&self) -> bool {
        matches!(self, IdCheck::Unique | IdCheck::RowNumbers)
    }
}

/// What a mapping would give, before importing (the import wizard's live
/// counts): the report of an import that numbers the rows when the ids are
/// missing or invalid, with what stops the real import.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingCheck {
    /// Rows, locations, measures and attributes as the import would find.
    pub report: ImportReport,
    /// Whether the ids are usable.
    pub ids: IdCheck,
    /// Why no account can be located (no coordinates nor postal code
    /// column), if so.
    pub location: Option<String>,
}

/// Checks the accounts at `path` with the mapping `opts` (see
/// [`MappingCheck`]). Errors are those that stop any import (unreadable
/// file, ragged rows, an unknown column, text in a measure column).
pub fn check_accounts(
    path: &Path,
    opts: &AccountImportOptions,
    progress: &Progress,
) -> Result<MappingCheck> {
    let bytes = table_bytes(path, opts.sheet.as_deref())?;
    let (_, report, check) = read_table(&bytes, path, opts, progress, false, ROWS_PER_BLOCK)?;
    Ok(MappingCheck { report, ..check })
}

/// The accounts file as CSV text (a workbook's `sheet` converted).
pub(crate) fn table_bytes(path: &Path, sheet: Option<&str>) -> Result<Vec<u8>> {
    detect::refuse_non_table_path(path)?;
    if super::workbook::is_workbook(path) {
        super::workbook::sheet_as_csv(path, sheet)
    } else {
        std::fs::read(path).map_err(|e| Error::io(path, e))
    }
}

/// Reads the table. `strict`: missing or invalid ids and a missing
/// location column are errors; otherwise they are noted in the check and
/// the rows are numbered.
fn read_table(
    bytes: &[u8],
    path: &Path,
    opts: &AccountImportOptions,
    progress: &Progress,
    strict: bool,
    rows_per_block: usize,
) -> Result<(Accounts, ImportReport, MappingCheck)> {
    let bytes = text_bytes(bytes, path)?;
    detect::refuse_non_table_bytes(path, bytes)?;
    let total = 2 * bytes.len() as u64;
    progress.set_total(total);
    progress.set_done(0);
    let mut file = CsvFile {
        bytes,
        path,
        delimiter: sniff_delimiter(bytes),
        headers: Vec::new(),
        layout: Layout::default(),
        first_line: 0,
        first_row: 0,
    };
    file.headers = read_header(&file)?;
    file.layout = find_layout(&file.headers, opts, path)?;
    // Structure errors (ragged rows, bad UTF-8) first: they name a line.
    let (typing, counts, blocks) = type_columns(&file, progress, rows_per_block)?;
    let mut check = MappingCheck {
        report: ImportReport::default(),
        ids: if file.layout.row_numbers {
            IdCheck::RowNumbers
        } else {
            IdCheck::Unique
        },
        location: None,
    };
    if strict {
        require_location(&file)?;
        require_id(&file)?;
    } else {
        check.location = require_location(&file).err().map(|e| e.to_string());
        if file.layout.id.is_none() && !file.layout.row_numbers {
            check.ids = IdCheck::Missing(id_candidates(&file)?);
        }
    }
    let (mut acc, mut text_cols) = empty_table(typing, &unique_names(&file.headers), counts.rows);
    let mut report = start_report(&file, &acc, counts);
    report.default_country = Some(opts.default_country.unwrap_or(Country::US));
    if !strict && let Some(c) = file.layout.id {
        if let Err(e) = scan_ids(&file, c) {
            check.ids = IdCheck::Invalid(e.to_string());
        }
        // The counts do not need the ids: the rows are numbered.
        file.layout.id = None;
    }
    let lines = fill_rows(
        &file,
        &blocks,
        &mut acc,
        &mut text_cols,
        &mut report,
        progress,
    )?;
    check_unique_ids(&file, &acc, &lines)?;
    progress.set_done(total);
    Ok((acc, report, check))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A messy export: quoted line breaks and delimiters, blank and CRLF
    /// lines, repeated and new text values, postal codes of several
    /// countries (some unknown), bad coordinates.
    fn messy_csv(rows: usize, seed: u64) -> String {
        let mut x = seed;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % m
        };
        let mut out = String::from("Id,Name,Lat,Lon,Zip,Country,Industry,Revenue\r\n");
        for i in 0..rows {
            let name = match next(4) {
                0 => format!("\"Smith, {i}\nand sons\""),
                1 => String::new(),
                _ => format!("Acct {i}"),
            };
            let (lat, lon) = match next(5) {
                0 => (String::new(), String::new()),
                1 => ("95".to_owned(), "10".to_owned()),
                _ => (
                    format!("{}.5", 30 + next(10)),
                    format!("-{}.25", 80 + next(10)),
                ),
            };
            let (zip, country) = match next(6) {
                0 => ("10115", "DE"),
                1 => ("M5V 2T6", "Canada"),
                2 => ("8001", "Switzerland"),
                3 => ("99999", ""),
                4 => ("30301", "Atlantis"),
                _ => ("", ""),
            };
            let industry = ["Retail", "Health", "", "\"Oil, Gas\""][next(4) as usize];
            let end = if next(3) == 0 { "\r\n" } else { "\n" };
            out.push_str(&format!(
                "A{i},{name},{lat},{lon},{zip},{country},{industry}-{},{}{end}",
                next(50),
                next(1000)
            ));
            if next(7) == 0 {
                out.push_str(",,,,,,,\n\n");
            }
        }
        out
    }

    fn read_in_blocks(text: &str, opts: &AccountImportOptions, rows: usize) -> String {
        let got = read_table(
            text.as_bytes(),
            Path::new("t.csv"),
            opts,
            &Progress::new(),
            true,
            rows,
        );
        // Field by field: NaN coordinates compare by their bits, and the
        // dictionaries' hash maps would print in any order.
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        format!(
            "{:?}",
            got.map(|(a, report, _)| {
                let attrs: Vec<_> = a
                    .attributes
                    .iter()
                    .map(|c| (&c.name, &c.codes, &c.dict))
                    .collect();
                let measures: Vec<_> = a
                    .measures
                    .iter()
                    .map(|m| (&m.name, bits(&m.values)))
                    .collect();
                format!(
                    "{:?}",
                    (
                        &a.ids[..],
                        &a.names[..],
                        bits(&a.lon),
                        bits(&a.lat),
                        &a.source,
                        &a.postal,
                        measures,
                        attrs,
                        report
                    )
                )
            })
        )
    }

    #[test]
    fn blocks_read_in_parallel_give_what_one_sequential_read_gives() {
        let row_ids = AccountImportOptions {
            id_col: Some("#row".into()),
            ..AccountImportOptions::default()
        };
        for (seed, rows) in [(1, 40), (2, 97), (3, 5)] {
            let text = messy_csv(rows, seed);
            for opts in [&AccountImportOptions::default(), &row_ids] {
                let whole = read_in_blocks(&text, opts, usize::MAX);
                assert!(whole.starts_with("Ok("), "{whole}");
                for per_block in [1, 2, 3, 7, 64] {
                    assert_eq!(
                        read_in_blocks(&text, opts, per_block),
                        whole,
                        "seed {seed}, {per_block} rows a block"
                    );
                }
            }
        }
    }

    #[test]
    fn errors_in_a_later_block_name_the_same_line() {
        let mut text = messy_csv(30, 9);
        text.push_str("A3,dup,1,1,,,,1\n");
        let whole = read_in_blocks(&text, &AccountImportOptions::default(), usize::MAX);
        assert!(whole.contains("duplicate account id 'A3'"), "{whole}");
        assert_eq!(
            read_in_blocks(&text, &AccountImportOptions::default(), 4),
            whole
        );
        let mut text = messy_csv(30, 10);
        text.push_str(" ,empty id,1,1,,,,1\n");
        let whole = read_in_blocks(&text, &AccountImportOptions::default(), usize::MAX);
        assert!(whole.contains("empty account id"), "{whole}");
        assert_eq!(
            read_in_blocks(&text, &AccountImportOptions::default(), 3),
            whole
        );
    }

    fn num(s: &str) -> Cell {
        parse_number(s, false, &mut String::new())
    }

    fn num_eu(s: &str) -> Cell {
        parse_number(s, true, &mut String::new())
    }

    fn import(text: &str) -> Result<(Accounts, ImportReport)> {
        import_accounts_from_reader(
            text.as_bytes(),
            Path::new("test.csv"),
            &AccountImportOptions::default(),
            &Progress::new(),
        )
    }

    #[test]
    fn plain_and_formatted_numbers() {
        assert_eq!(num("12"), Cell::Number(12.0));
        assert_eq!(num(" -3.5 "), Cell::Number(-3.5));
        assert_eq!(num("1e3"), Cell::Number(1000.0));
        assert_eq!(num("$1,200.50"), Cell::Number(1200.5));
        assert_eq!(num("-$1,200.50"), Cell::Number(-1200.5));
        assert_eq!(num("$-7"), Cell::Number(-7.0));
        assert_eq!(num("($300)"), Cell::Number(-300.0));
        assert_eq!(num("1,234,567"), Cell::Number(1_234_567.0));
        assert_eq!(num("12%"), Cell::Number(12.0));
        assert_eq!(num("€ 3.400"), Cell::Number(3.4));
        assert_eq!(num("£1 000"), Cell::Number(1000.0));
        assert_eq!(num("¥5"), Cell::Number(5.0));
        assert_eq!(num("1.234,56"), Cell::Number(1234.56));
        assert_eq!(num("1,5"), Cell::Number(1.5));
        assert_eq!(num_eu("1,500"), Cell::Number(1.5));
        assert_eq!(num_eu("3,5"), Cell::Number(3.5));
        assert_eq!(num_eu("1.234.567,8"), Cell::Number(1_234_567.8));
        assert_eq!(num_eu("€ 3.400"), Cell::Number(3400.0));
        assert_eq!(num_eu("2.000"), Cell::Number(2000.0));
        assert_eq!(num_eu("0.125"), Cell::Number(0.125));
        assert_eq!(num_eu("1.5"), Cell::Number(1.5));
        assert_eq!(num_eu("-1.5e3"), Cell::Number(-1500.0));
        assert_eq!(num_eu("12"), Cell::Number(12.0));
        assert_eq!(num_eu("0,123"), Cell::Number(0.123));
        assert_eq!(num("0,123"), Cell::Number(0.123));
    }

    #[test]
    fn missing_and_text_cells() {
        assert_eq!(num(""), Cell::Missing);
        assert_eq!(num("  "), Cell::Missing);
        assert_eq!(num("N/A"), Cell::Missing);
        assert_eq!(num("NaN"), Cell::Missing);
        assert_eq!(num("-"), Cell::Missing);
        for text in [
            "abc",
            "1,2,3",
            "10.20.30",
            "555-1234",
            "2024-01-05",
            "007",
            "$",
            "inf",
            "1.2.3,4",
            "12 apples",
            "1e",
            "--5",
        ] {
            assert_eq!(num(text), Cell::Text, "{text}");
        }
    }

    #[test]
    fn coordinates() {
        assert_eq!(parse_coord("40.5"), Some(40.5));
        assert_eq!(parse_coord("40,5"), Some(40.5));
        assert_eq!(parse_coord(""), None);
        assert_eq!(parse_coord("NaN"), None);
        assert_eq!(parse_coord("north"), None);
    }

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,2,3,4,5"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x;y;z\",b\n"), b',');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }

    #[test]
    fn header_normalization_and_synonyms() {
        assert_eq!(norm_header("Account_ID"), "accountid");
        assert_eq!(norm_header(" Zip Code "), "zipcode");
        let h: Vec<String> = [
            "ShippingLatitude",
            "BillingLatitude",
            "Long",
            "Account Name",
        ]
        .map(String::from)
        .to_vec();
        let l = find_layout(&h, &AccountImportOptions::default(), Path::new("f")).unwrap();
        assert_eq!(l.lat, Some(1), "billing beats shipping");
        assert_eq!(l.lon, Some(2));
        assert_eq!(l.name, Some(3));
        assert_eq!(l.id, None);
    }

    #[test]
    fn summary_lines() {
        let r = ImportReport {
            rows: 5000,
            by_coordinates: 4950,
            by_postal_code: 45,
            unlocated: 5,
            unlocated_lines: vec![12, 40],
            ..ImportReport::default()
        };
        assert_eq!(
            r.summary(),
            "5,000 accounts: 4,950 by coordinates, 45 by postal code, 5 unlocated (lines 12, 40, …)"
        );
    }

    #[test]
    fn country_column_picks_the_postal_table() {
        let text = "Id,Name,BillingPostalCode,BillingCountry\n\
                    1,Berlin Co,10115,Germany\n\
                    2,Paris SA,75001,France\n\
                    3,Toronto Inc,M5V 2T6,Canada\n\
                    4,London Ltd,SW1A 1AA,United Kingdom\n\
                    5,Zurich AG,8001,Switzerland\n\
                    6,NYC LLC,10001,\n\
                    7,Nowhere,99999,DE\n";
        let (acc, rep) = import(text).unwrap();
        assert_eq!(rep.country_column.as_deref(), Some("BillingCountry"));
        // Berlin, not Manhattan; Paris, not Addison (Texas).
        assert!((acc.lat[0] - 52.5).abs() < 0.1 && (acc.lon[0] - 13.4).abs() < 0.1);
        assert!((acc.lat[1] - 48.86).abs() < 0.05 && (acc.lon[1] - 2.35).abs() < 0.05);
        let m = |i: usize| acc.postal_match(i).map(PostalMatch::describe);
        assert_eq!(m(2).as_deref(), Some("CA FSA"));
        assert_eq!(m(3).as_deref(), Some("GB postal sector"));
        // An empty country cell is the default (US).
        assert_eq!(m(5).as_deref(), Some("US ZIP"));
        assert_eq!(acc.source[4], LocationSource::Unlocated);
        assert_eq!(acc.source[6], LocationSource::Unlocated);
        assert_eq!(acc.postal_match(4), None);
        let summary = rep.summary();
        assert!(
            summary.contains("\n5 by postal code: 1 CA FSA, 1 DE postal code, 1 FR postal code, 1 GB sector, 1 US ZIP"),
            "{summary}"
        );
        assert!(
            summary.contains("\n2 unlocated: 1 country not covered (CH), 1 unknown code (DE)"),
            "{summary}"
        );
        // The country column stays text.
        assert!(rep.attributes.contains(&"BillingCountry".to_owned()));
    }

    #[test]
    fn crlf_and_blank_lines_keep_real_line_numbers() {
        let text = "id,name,lat,lon\r\n1,a,1,1\r\n\r\n,,,\r\n2,b,,\r\n";
        let (acc, rep) = import(text).unwrap();
        assert_eq!(acc.len(), 2);
        assert_eq!(rep.blank_rows, 1);
        assert_eq!(rep.unlocated_lines, vec![5]);
        let err = import("id,name\r\n1,a\r\n\r\n\r\n2\r\n").unwrap_err();
        assert!(matches!(err, Error::Csv { line: 5, .. }), "{err}");
    }

    #[test]
    fn all_empty_column_is_text_and_mixed_column_is_text() {
        let (acc, rep) = import("id,empty,mixed,n,zip\n1,,5,1,\n2,,x,,\n").unwrap();
        assert_eq!(rep.measures, vec!["n"]);
        assert_eq!(rep.attributes, vec!["empty", "mixed", "zip"]);
        assert_eq!(acc.measures[0].values[0], 1.0);
        assert!(acc.measures[0].values[1].is_nan());
        assert_eq!(acc.attributes[1].get(1), "x");
    }

    #[test]
    fn utf16_and_empty_files_are_refused() {
        let err = import_accounts_from_reader(
            &[0xFF, 0xFE, b'i', 0][..],
            Path::new("u.csv"),
            &AccountImportOptions::default(),
            &Progress::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("UTF-16"), "{err}");
        assert!(import("").unwrap_err().to_string().contains("empty"));
        assert!(
            import("\u{feff}\n\n")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn cancel_stops_the_import() {
        let mut text = String::from("id,v,zip\n");
        for i in 0..(PROGRESS_EVERY + 10) {
            text.push_str(&format!("{i},{i},\n"));
        }
        let p = Progress::new();
        p.cancel();
        let err = import_accounts_from_reader(
            text.as_bytes(),
            Path::new("big.csv"),
            &AccountImportOptions::default(),
            &p,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled));
        // Uncancelled, the progress ends complete.
        let p = Progress::new();
        import_accounts_from_reader(
            text.as_bytes(),
            Path::new("big.csv"),
            &AccountImportOptions::default(),
            &p,
        )
        .unwrap();
        assert_eq!(p.fraction(), 1.0);
    }
}
