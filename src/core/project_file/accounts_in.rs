//! Reading the account lines of a project file, fast.
//!
//! A saved project holds one account per line. The lines are cut into
//! chunks of about a megabyte; a quick first pass counts each chunk's
//! accounts, so that the chunks can then be read in parallel straight into
//! their own parts of the final columns — no row structs, no per-row
//! vectors, no joining afterwards.
//!
//! Each line goes through a small reader of exactly the layout the writer
//! produces. A line it does not recognise — hand-edited spacing, `NaN`, a
//! `\x` escape, a raw string — is read by RON itself, so what loads, and
//! every error message, is RON's; the small reader only ever accepts text
//! that RON reads to the same values (see the tests).

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use rayon::prelude::*;

use super::AccountDto;
use crate::core::model::{AttrColumn, LocationSource};

/// An account's pins: in the active scenario, and in the inactive ones as
/// `(scenario, territory)`.
pub(super) type Pins = (Option<u32>, Vec<(u32, u32)>);

/// The accounts of a file, column by column, not yet checked against the
/// file's measure and attribute names.
#[derive(Debug, Default)]
pub(super) struct AccountTable {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub lon: Vec<f64>,
    pub lat: Vec<f64>,
    pub source: Vec<LocationSource>,
    /// Per account: its pins.
    pub pins: Vec<Pins>,
    /// Measure columns by position, as many as the first account has.
    pub measures: Vec<Vec<f64>>,
    /// Attribute columns by position, unnamed, as many as the first
    /// account has.
    pub attributes: Vec<AttrColumn>,
    /// Hashes of the ids, for [`AccountTable::first_duplicate`].
    pub(super) hashes: Vec<u64>,
    /// `(measures, attributes)` of the first account.
    pub(super) width: Option<(usize, usize)>,
    /// The first account whose width differs from the first account's.
    pub(super) odd: Option<(usize, (usize, usize))>,
}

impl AccountTable {
    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The first account that does not have `nm` measures and `na`
    /// attributes: `(index, measures, attributes)`.
    pub fn misfit(&self, nm: usize, na: usize) -> Option<(usize, usize, usize)> {
        let w = self.width?;
        if w != (nm, na) {
            return Some((0, w.0, w.1));
        }
        self.odd.map(|(k, (m, a))| (k, m, a))
    }

    /// The first account (in file order) whose id an earlier account
    /// already has, as `(earlier, later)` indices.
    pub fn first_duplicate(&self) -> Option<(usize, usize)> {
        // Equal ids have equal hashes: sorted, the hashes show at once
        // whether any id can repeat (almost never, when there is none).
        let mut sorted = self.hashes.clone();
        sorted.par_sort_unstable();
        let mut clashes: Vec<u64> = sorted
            .par_windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        if clashes.is_empty() {
            return None;
        }
        clashes.sort_unstable();
        clashes.dedup();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (k, h) in self.hashes.iter().enumerate() {
            if clashes.binary_search(h).is_ok() {
                if let Some(&j) = seen.get(self.ids[k].as_str()) {
                    return Some((j, k));
                }
                seen.insert(&self.ids[k], k);
            }
        }
        None
    }

    /// The table with its ids hashed (for [`Self::first_duplicate`]) and
    /// its width set: for columns filled whole, as the plan cache does.
    pub fn hashed(mut self) -> Self {
        let state = RandomState::new();
        let mut hashes = Vec::new();
        self.ids
            .par_iter()
            .map(|id| state.hash_one(id.as_str()))
            .collect_into_vec(&mut hashes);
        self.hashes = hashes;
        self.width = (!self.ids.is_empty()).then_some((self.measures.len(), self.attributes.len()));
        self.odd = None;
        self
    }

    /// The table of accounts read by RON as a whole (the slow path).
    pub fn from_dtos(dtos: Vec<AccountDto>) -> Self {
        let width = dtos.first().map(|d| (d.5.len(), d.6.len()));
        let counts = [dtos.len()];
        let mut table = Self::with_len(dtos.len(), width);
        let state = RandomState::new();
        let mut done = Vec::new();
        if let Some(mut w) = table.writers(&counts).pop() {
            let mut row = Row::default();
            for d in dtos {
                row.set_from(d);
                w.push(&mut row, &state);
            }
            done.push(w.finish());
        }
        table.finish(&counts, done);
        table
    }

    /// A table of `n` empty accounts with the columns of `width`.
    fn with_len(n: usize, width: Option<(usize, usize)>) -> Self {
        let (nm, na) = width.unwrap_or((0, 0));
        // Numbers start as zero pages that the readers fill in parallel;
        // the rest is filled in parallel here.
        let mut ids = Vec::new();
        let mut names = Vec::new();
        let mut pins = Vec::new();
        rayon::join(
            || {
                let empty = (0..n).into_par_iter().map(|_| String::new());
                empty.collect_into_vec(&mut ids);
            },
            || {
                let empty = (0..n).into_par_iter().map(|_| String::new());
                empty.collect_into_vec(&mut names);
                let none = (0..n).into_par_iter().map(|_| (None, Vec::new()));
                none.collect_into_vec(&mut pins);
            },
        );
        Self {
            ids,
            names,
            lon: vec![0.0; n],
            lat: vec![0.0; n],
            source: vec![LocationSource::default(); n],
            pins,
            measures: (0..nm).map(|_| vec![0.0; n]).collect(),
            attributes: (0..na)
                .map(|_| {
                    let mut col = AttrColumn::new("");
                    col.codes = vec![0; n];
                    col
                })
                .collect(),
            hashes: vec![0; n],
            width,
            odd: None,
        }
    }

    /// One writer per part of `counts` accounts, in order.
    fn writers<'a>(&mut self, counts: &[usize]) -> Vec<Writer<'_, 'a>> {
        let width = self.width.unwrap_or((0, 0));
        let mut measures: Vec<Vec<&mut [f64]>> = counts.iter().map(|_| Vec::new()).collect();
        for col in &mut self.measures {
            for (part, slice) in measures.iter_mut().zip(split(col, counts)) {
                part.push(slice);
            }
        }
        let mut codes: Vec<Vec<&mut [u32]>> = counts.iter().map(|_| Vec::new()).collect();
        for col in &mut self.attributes {
            for (part, slice) in codes.iter_mut().zip(split(&mut col.codes, counts)) {
                part.push(slice);
            }
        }
        let mut ids = split(&mut self.ids, counts).into_iter();
        let mut names = split(&mut self.names, counts).into_iter();
        let mut lon = split(&mut self.lon, counts).into_iter();
        let mut lat = split(&mut self.lat, counts).into_iter();
        let mut source = split(&mut self.source, counts).into_iter();
        let mut pins = split(&mut self.pins, counts).into_iter();
        let mut hashes = split(&mut self.hashes, counts).into_iter();
        measures
            .into_iter()
            .zip(codes)
            .filter_map(|(measures, codes)| {
                Some(Writer {
                    ids: ids.next()?,
                    names: names.next()?,
                    lon: lon.next()?,
                    lat: lat.next()?,
                    source: source.next()?,
                    pins: pins.next()?,
                    hashes: hashes.next()?,
                    dicts: codes.iter().map(|_| LocalDict::new()).collect(),
                    measures,
                    codes,
                    width,
                    odd: None,
                    k: 0,
                })
            })
            .collect()
    }

    /// Gathers what the writers of the parts of `counts` found: the first
    /// account of another width, and the attribute values, merged in part
    /// order so each dictionary lists values in order of first appearance
    /// (as pushing the accounts one by one would).
    fn finish(&mut self, counts: &[usize], parts: Vec<Written<'_>>) {
        let mut base = 0;
        let mut remaps: Vec<Vec<Vec<u32>>> = Vec::with_capacity(parts.len());
        for (p, &count) in parts.into_iter().zip(counts) {
            if self.odd.is_none() {
                self.odd = p.odd.map(|(k, w)| (base + k, w));
            }
            base += count;
            remaps.push(
                self.attributes
                    .iter_mut()
                    .zip(&p.dicts)
                    .map(|(col, d)| d.values.iter().map(|v| col.code_of(v)).collect())
                    .collect(),
            );
        }
        let mut jobs: Vec<(&mut [u32], &[u32])> = Vec::new();
        for (a, col) in self.attributes.iter_mut().enumerate() {
            for (slice, remap) in split(&mut col.codes, counts).into_iter().zip(&remaps) {
                let remap = &remap[a];
                if remap.iter().enumerate().any(|(i, &c)| c as usize != i) {
                    jobs.push((slice, remap));
                }
            }
        }
        jobs.into_par_iter().for_each(|(codes, remap)| {
            for c in codes {
                *c = remap[*c as usize];
            }
        });
    }
}

/// `s` cut into consecutive parts of `counts` elements.
fn split<'s, T>(mut s: &'s mut [T], counts: &[usize]) -> Vec<&'s mut [T]> {
    counts
        .iter()
        .map(|&c| {
            let whole = std::mem::take(&mut s);
            let (part, rest) = whole.split_at_mut(c.min(whole.len()));
            s = rest;
            part
        })
        .collect()
}

/// Reads the account lines `text[start..end]` (whole lines) in parallel.
/// Errors name the line, as `line N: what RON says`.
pub(super) fn read_lines(text: &str, start: usize, end: usize) -> Result<AccountTable, String> {
    let sources = source_names();
    let bounds = chunk_bounds(text, start, end);
    let counts: Vec<usize> = bounds
        .par_iter()
        .map(|&(a, b)| {
            text[a..b]
                .split('\n')
                .filter(|l| !item_of(l).is_empty())
                .count()
        })
        .collect();
    // The first account decides how many columns there are; an account of
    // another width makes the file invalid anyway.
    let width = text[start..end]
        .split('\n')
        .map(item_of)
        .find(|i| !i.is_empty())
        .and_then(|item| {
            let mut row = Row::default();
            read_item(item, &sources, &mut row).ok()?;
            Some((row.measures.len(), row.attributes.len()))
        });
    let n: usize = counts.iter().sum();
    check_width(width, n, end - start)?;
    let mut table = AccountTable::with_len(n, width);
    let state = RandomState::new();
    let written: Vec<Result<Written<'_>, String>> = table
        .writers(&counts)
        .into_par_iter()
        .zip(bounds)
        .map(|(w, (a, b))| read_chunk(text, a, b, &sources, &state, w))
        .collect();
    let written = written.into_iter().collect::<Result<Vec<_>, _>>()?;
    table.finish(&counts, written);
    Ok(table)
}

/// Refuses, before the columns are allocated, a first account wider than
/// `n` accounts in `bytes` of text can all be: each value takes at least
/// two bytes (`0,`), so a crafted file whose first account has 200,000
/// measures cannot make the reader allocate for 200,000 columns of every
/// account. (The file's measure names are checked against the accounts
/// once the header is read.)
fn check_width(width: Option<(usize, usize)>, n: usize, bytes: usize) -> Result<(), String> {
    let Some((nm, na)) = width else {
        return Ok(());
    };
    let values = (nm + na).saturating_mul(n);
    if values > bytes / 2 {
        return Err(format!(
            "the first account has {nm} measures and {na} attributes, more than the {n} accounts \
             of the file can all hold; the accounts do not all have the same columns"
        ));
    }
    Ok(())
}

/// Byte ranges of about a megabyte, each ending after a newline (or at
/// `end`), covering `start..end`.
fn chunk_bounds(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    const TARGET: usize = 1 << 20;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity((end - start) / TARGET + 1);
    let mut a = start;
    while a < end {
        let mut b = (a + TARGET).min(end);
        while b < end && bytes[b - 1] != b'\n' {
            b += 1;
        }
        out.push((a, b));
        a = b;
    }
    out
}

/// The account on a line: without indentation and the trailing comma.
fn item_of(line: &str) -> &str {
    line.trim().trim_end_matches(',')
}

/// The names RON gives each location source, e.g. `Coordinates`. A source
/// not listed here still loads, through RON.
fn source_names() -> Vec<(String, LocationSource)> {
    [
        LocationSource::Coordinates,
        LocationSource::PostalCode,
        LocationSource::Unlocated,
    ]
    .into_iter()
    .filter_map(|s| Some((ron::to_string(&s).ok()?, s)))
    .collect()
}

/// Reads one account: the small reader, else RON.
fn read_item<'a>(
    item: &'a str,
    sources: &[(String, LocationSource)],
    row: &mut Row<'a>,
) -> Result<(), ron::error::SpannedError> {
    if read_row(item, sources, row).is_none() {
        row.set_from(ron::Options::default().from_str::<AccountDto>(item)?);
    }
    Ok(())
}

fn read_chunk<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    sources: &[(String, LocationSource)],
    state: &RandomState,
    mut w: Writer<'_, 'a>,
) -> Result<Written<'a>, String> {
    let mut row = Row::default();
    let mut at = start;
    for line in text[start..end].split('\n') {
        let line_start = at;
        at += line.len() + 1;
        let item = item_of(line);
        if item.is_empty() {
            continue;
        }
        if let Err(e) = read_item(item, sources, &mut row) {
            let n = text[..line_start].bytes().filter(|&b| b == b'\n').count() + 1;
            return Err(format!("not a valid Turfmap project: line {n}: {}", e.code));
        }
        w.push(&mut row, state);
    }
    Ok(w.finish())
}

/// One account line as read; reused from line to line so its vectors keep
/// their room.
#[derive(Default)]
struct Row<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    loc: Option<(f64, f64)>,
    source: LocationSource,
    pinned: Option<u32>,
    measures: Vec<f64>,
    attributes: Vec<Cow<'a, str>>,
    others: Vec<(u32, u32)>,
}

impl Row<'_> {
    fn set_from(&mut self, d: AccountDto) {
        let AccountDto(id, name, loc, source, pinned, measures, attributes, others) = d;
        self.id = Cow::Owned(id);
        self.name = Cow::Owned(name);
        self.loc = loc;
        self.source = source;
        self.pinned = pinned;
        self.measures = measures;
        self.attributes = attributes.into_iter().map(Cow::Owned).collect();
        self.others = others;
    }
}

/// The values of one attribute column met in one part, in order of first
/// appearance; the empty value is always code 0, as in [`AttrColumn`].
struct LocalDict<'a> {
    values: Vec<Cow<'a, str>>,
    lookup: HashMap<Cow<'a, str>, u32>,
}

impl<'a> LocalDict<'a> {
    fn new() -> Self {
        Self {
            values: vec![Cow::Borrowed("")],
            lookup: HashMap::from([(Cow::Borrowed(""), 0)]),
        }
    }

    fn code_of(&mut self, v: Cow<'a, str>) -> u32 {
        // Most attribute columns have a handful of values: comparing them
        // beats hashing.
        let found = if self.values.len() <= 8 {
            self.values.iter().position(|d| *d == v).map(|c| c as u32)
        } else {
            self.lookup.get(v.as_ref()).copied()
        };
        found.unwrap_or_else(|| {
            let c = self.values.len() as u32;
            self.values.push(v.clone());
            self.lookup.insert(v, c);
            c
        })
    }
}

/// Writes the accounts of one part into its slices of the table's columns.
struct Writer<'o, 'a> {
    ids: &'o mut [String],
    names: &'o mut [String],
    lon: &'o mut [f64],
    lat: &'o mut [f64],
    source: &'o mut [LocationSource],
    pins: &'o mut [Pins],
    hashes: &'o mut [u64],
    measures: Vec<&'o mut [f64]>,
    codes: Vec<&'o mut [u32]>,
    dicts: Vec<LocalDict<'a>>,
    width: (usize, usize),
    odd: Option<(usize, (usize, usize))>,
    k: usize,
}

/// What a writer found besides the columns.
struct Written<'a> {
    dicts: Vec<LocalDict<'a>>,
    odd: Option<(usize, (usize, usize))>,
}

impl<'a> Writer<'_, 'a> {
    fn push(&mut self, row: &mut Row<'a>, state: &RandomState) {
        let k = self.k;
        // The part was counted with the same test for blank lines.
        if k >= self.ids.len() {
            return;
        }
        self.k += 1;
        self.hashes[k] = state.hash_one(row.id.as_ref());
        self.ids[k] = std::mem::take(&mut row.id).into_owned();
        self.names[k] = std::mem::take(&mut row.name).into_owned();
        let (lon, lat) = row.loc.unwrap_or((f64::NAN, f64::NAN));
        self.lon[k] = lon;
        self.lat[k] = lat;
        self.source[k] = if row.loc.is_some() {
            row.source
        } else {
            LocationSource::Unlocated
        };
        self.pins[k] = (row.pinned, std::mem::take(&mut row.others));
        let width = (row.measures.len(), row.attributes.len());
        if width != self.width {
            // The file is rejected; its columns need not be complete.
            self.odd.get_or_insert((k, width));
            return;
        }
        for (col, &v) in self.measures.iter_mut().zip(&row.measures) {
            col[k] = v;
        }
        for ((col, dict), v) in self
            .codes
            .iter_mut()
            .zip(&mut self.dicts)
            .zip(row.attributes.drain(..))
        {
            col[k] = dict.code_of(v);
        }
    }

    fn finish(self) -> Written<'a> {
        Written {
            dicts: self.dicts,
            odd: self.odd,
        }
    }
}

/// Reads `item`, one account line as the writer lays it out, into `row`;
/// `None` for anything else (the caller then asks RON).
fn read_row<'a>(
    item: &'a str,
    sources: &[(String, LocationSource)],
    row: &mut Row<'a>,
) -> Option<()> {
    let mut c = Cursor { s: item, i: 0 };
    c.eat(b'(')?;
    row.id = c.string()?;
    c.sep()?;
    row.name = c.string()?;
    c.sep()?;
    row.loc = if c.lit("None") {
        None
    } else {
        c.lit("Some((").then_some(())?;
        let lon = c.float()?;
        c.sep()?;
        let lat = c.float()?;
        c.lit("))").then_some(())?;
        Some((lon, lat))
    };
    c.sep()?;
    let ident = c.ident();
    row.source = sources.iter().find(|(n, _)| n == ident)?.1;
    c.sep()?;
    row.pinned = if c.lit("None") {
        None
    } else {
        c.lit("Some(").then_some(())?;
        let p = c.uint()?;
        c.eat(b')')?;
        Some(p)
    };
    c.sep()?;
    row.measures.clear();
    c.list(|c| {
        let v = c.float()?;
        row.measures.push(v);
        Some(())
    })?;
    c.sep()?;
    row.attributes.clear();
    c.list(|c| {
        let v = c.string()?;
        row.attributes.push(v);
        Some(())
    })?;
    row.others.clear();
    // Version 1 lines end here; version 2 adds the inactive scenarios' pins.
    if c.sep().is_some() {
        c.list(|c| {
            c.eat(b'(')?;
            let s = c.uint()?;
            c.sep()?;
            let t = c.uint()?;
            c.eat(b')')?;
            row.others.push((s, t));
            Some(())
        })?;
    }
    c.eat(b')')?;
    (c.i == item.len()).then_some(())
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn lit(&mut self, t: &str) -> bool {
        let hit = self.s.as_bytes()[self.i..].starts_with(t.as_bytes());
        if hit {
            self.i += t.len();
        }
        hit
    }

    /// The separator the writer puts between elements: `, `.
    fn sep(&mut self) -> Option<()> {
        self.lit(", ").then_some(())
    }

    /// `[a, b, …]` with `item` reading each element.
    fn list(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            if self.eat(b']').is_some() {
                return Some(());
            }
            self.sep()?;
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.i;
        let b = self.s.as_bytes();
        while self.i < b.len() && f(b[self.i]) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn ident(&mut self) -> &'a str {
        self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// A float as RON's `{:?}` writes it; RON reads it with `f64::from_str`
    /// too. `NaN`, `inf`, suffixes and underscores are left to RON.
    fn float(&mut self) -> Option<f64> {
        let t = self
            .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
        t.parse().ok()
    }

    /// Plain decimal digits without leading zeros.
    fn uint(&mut self) -> Option<u32> {
        let t = self.take_while(|b| b.is_ascii_digit());
        if t.is_empty() || (t.len() > 1 && t.starts_with('0')) {
            return None;
        }
        t.parse().ok()
    }

    /// A quoted string with the escapes `char::escape_debug` writes;
    /// borrowed from the line when it has none.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let b = self.s.as_bytes();
        let start = self.i;
        while self.i < b.len() && b[self.i] != b'"' && b[self.i] != b'\\' {
            self.i += 1;
        }
        match self.peek()? {
            b'"' => {
                let s = &self.s[start..self.i];
                self.i += 1;
                Some(Cow::Borrowed(s))
            }
            _ => {
                let mut out = String::from(&self.s[start..self.i]);
                loop {
                    let run = self.i;
                    while self.i < b.len() && b[self.i] != b'"' && b[self.i] != b'\\' {
                        self.i += 1;
                    }
                    out.push_str(&self.s[run..self.i]);
                    match self.peek()? {
                        b'"' => {
                            self.i += 1;
                            return Some(Cow::Owned(out));
                        }
                        _ => {
                            self.i += 1;
                            out.push(self.escape()?);
                        }
                    }
                }
            }
        }
    }

    /// The character of an escape, after its backslash (as RON decodes it).
    fn escape(&mut self) -> Option<char> {
        let e = self.peek()?;
        self.i += 1;
        Some(match e {
            b'\'' => '\'',
            b'"' => '"',
            b'\\' => '\\',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'0' => '\0',
            b'u' => {
                self.eat(b'{')?;
                let hex = self.take_while(|b| b.is_ascii_hexdigit());
                if hex.is_empty() || hex.len() > 6 {
                    return None;
                }
                self.eat(b'}')?;
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
            }
            _ => return None,
        })
    }
}

/// Everything a table holds, as text (`NaN` compares equal this way).
#[cfg(test)]
pub(super) fn fingerprint(t: &AccountTable) -> String {
    let attrs: Vec<_> = t.attributes.iter().map(|a| (&a.dict, &a.codes)).collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        t.ids, t.names, t.lon, t.lat, t.source, t.pins, t.measures, attrs, t.width, t.odd
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, Project, TerritoryId};
    use proptest::prelude::*;

    fn project(rows: &[AccountRow]) -> Project {
        let mut p = Project::new("t");
        p.accounts = crate::core::model::Accounts::with_schema(
            &["revenue".into(), "hours".into()],
            &["industry".into()],
        );
        for r in rows {
            p.accounts.push(r);
        }
        for k in 0..3 {
            p.add_territory(format!("T{k}"), geo::MultiPolygon(vec![]));
        }
        p
    }

    fn text(p: &Project) -> String {
        let mut buf = Vec::new();
        super::super::write(p, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// The account lines of a written file, trimmed as the reader does.
    fn items(t: &str) -> Vec<&str> {
        let body = &t[t.find("  accounts: [\n").unwrap()..];
        body.lines()
            .skip(1)
            .map(|l| l.trim().trim_end_matches(','))
            .filter(|l| l.starts_with('('))
            .collect()
    }

    fn row(i: usize, name: &str, revenue: f64, industry: &str) -> AccountRow {
        AccountRow {
            id: format!("A{i}"),
            name: name.into(),
            location: (i % 7 != 3).then_some((-100.0 + i as f64 * 1e-3, 40.0 + 1.0 / 3.0)),
            source: if i.is_multiple_of(5) {
                LocationSource::PostalCode
            } else {
                LocationSource::Coordinates
            },
            measures: vec![revenue, i as f64 * 0.25],
            attributes: vec![industry.into()],
            pins: i
                .is_multiple_of(11)
                .then_some(TerritoryId(i as u32 % 3))
                .into_iter()
                .collect(),
        }
    }

    /// Reads `t` both ways: the fast reader and RON as a whole.
    fn both_ways(t: &str) -> (AccountTable, AccountTable) {
        let (_, fast) = super::super::parse_file(t).unwrap();
        let plain: super::super::FileIn = ron::Options::default().from_str(t).unwrap();
        (fast, AccountTable::from_dtos(plain.accounts))
    }

    #[test]
    fn the_small_reader_takes_what_the_writer_writes() {
        let rows = [
            row(0, "Plain", 1.5, "Tech"),
            row(
                1,
                "Quote \" backslash \\ tab \t newline \n nul \0 é 漢 🦀",
                -0.0,
                "",
            ),
            row(
                2,
                "Zero-width\u{200b}joiner, bell \u{7}",
                1e300,
                "Retail \"R\"",
            ),
            row(3, "Tiny", 5e-324, "Tech"),
            row(4, "", -123456.789e-10, "Ünïcödé"),
        ];
        let p = project(&rows);
        let t = text(&p);
        let sources = source_names();
        let mut r = Row::default();
        for item in items(&t) {
            assert!(read_row(item, &sources, &mut r).is_some(), "{item}");
        }
        let (fast, plain) = both_ways(&t);
        assert_eq!(fingerprint(&fast), fingerprint(&plain));
        assert_eq!(fast.names[1], rows[1].name);
    }

    #[test]
    fn unusual_lines_go_through_ron() {
        let sources = source_names();
        let mut r = Row::default();
        for item in [
            r#"("A", "B", None, Unlocated, None, [NaN], [""], [])"#,
            r#"("A", "B", None, Unlocated, None, [inf], [""], [])"#,
            r#"("A", "B", None, Unlocated, None, [1_000.0], [""], [])"#,
            r#"("A", "B", None, Unlocated, None, [1.0f64], [""], [])"#,
            r#"("A", "\x41", None, Unlocated, None, [1.0], [""], [])"#,
            r#"(r"A", "B", None, Unlocated, None, [1.0], [""], [])"#,
            r#"("A", "B", None, Unlocated, Some(007), [1.0], [""], [])"#,
            r#"("A","B", None, Unlocated, None, [1.0], [""], [])"#,
            r#"("A", "B", None, Unlocated, None, [1.0], [""], [],)"#,
            r#"("A", "B", None, Elsewhere, None, [1.0], [""], [])"#,
            r#"("A", "B", None, Unlocated, None, [1.0], [""], []) // note"#,
        ] {
            assert!(read_row(item, &sources, &mut r).is_none(), "{item}");
        }
        // Those RON reads still load, to the same values.
        let t = format!(
            "(\n  format: \"turfmap-project\",\n  version: 2,\n  name: \"x\",\n  settings: (balance: Count, tolerance_pct: 5.0),\n  next_territory_id: 0,\n  measures: [\"m\"],\n  attributes: [\"a\"],\n  territories: [],\n  accounts: [\n{}\n  ],\n)\n",
            [
                r#"    ("A", "\x41", None, Unlocated, None, [NaN], [""], []),"#,
                "",
                "   ",
                r#"    ("B", "B", Some((1, 2.5)), Coordinates, Some(007), [1_000.0], ["x"]),"#,
                r#"    ( "C" , "C", None, Unlocated, None, [-inf], [""], [(1, 2),],),"#,
            ]
            .join("\n")
        );
        let (fast, plain) = both_ways(&t);
        assert_eq!(fingerprint(&fast), fingerprint(&plain));
        assert_eq!(fast.names, ["A", "B", "C"]);
        assert_eq!(fast.pins[1], (Some(7), vec![]));
        assert_eq!(fast.pins[2], (None, vec![(1, 2)]));
    }

    /// Over a megabyte of lines, so several chunks are read in parallel.
    fn big(n: usize) -> Project {
        let industries = ["Tech", "Retail", "Health", "", "Energy"];
        let rows: Vec<AccountRow> = (0..n)
            .map(|i| {
                // A new industry shows up late, in a later chunk.
                let ind = if i > n * 3 / 4 && i % 2 == 0 {
                    "Late"
                } else {
                    industries[(i * 7 / 3) % industries.len()]
                };
                row(
                    i,
                    &format!("Account {i} with a longer name"),
                    i as f64 * 1.1,
                    ind,
                )
            })
            .collect();
        project(&rows)
    }

    #[test]
    fn chunks_join_in_file_order() {
        let p = big(20_000);
        let t = text(&p);
        assert!(chunk_bounds(&t, 0, t.len()).len() > 2);
        let loaded = super::super::parse(&t, std::path::Path::new("x")).unwrap();
        // Columns, pins and the dictionaries (in order of first appearance).
        let (a, b) = (&loaded.accounts, &p.accounts);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(a.ids == b.ids && a.names == b.names && a.source == b.source);
        assert!(bits(&a.lon) == bits(&b.lon) && bits(&a.lat) == bits(&b.lat));
        assert!(a.pins == b.pins && a.removed == b.removed);
        assert!(a.measures == b.measures && a.attributes == b.attributes);
        assert_eq!(
            a.attributes[0].dict,
            ["", "Tech", "Health", "Energy", "Retail", "Late"]
        );
        let (fast, plain) = both_ways(&t);
        assert_eq!(fingerprint(&fast), fingerprint(&plain));
    }

    #[test]
    fn errors_name_the_first_bad_line_and_accounts() {
        let t = text(&big(20_000));
        let path = std::path::Path::new("big.turf");
        let line_of = |needle: &str| t[..t.find(needle).unwrap()].matches('\n').count() + 1;
        // Syntax: the earliest bad line, even when a later chunk is bad too.
        let bad = t.replacen("(\"A15000\", ", "(\"A15000\" ", 1).replacen(
            "(\"A12000\", ",
            "(\"A12000\"; ",
            1,
        );
        let e = super::super::parse(&bad, path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "big.turf: not a valid Turfmap project: line {}: ",
                line_of("(\"A12000\", ")
            )),
            "{e}"
        );
        let first = t.replacen("(\"A0\", ", "(\"A0\" ", 1);
        let e = super::super::parse(&first, path).unwrap_err().to_string();
        let want = format!(
            "big.turf: not a valid Turfmap project: line {}: ",
            line_of("(\"A0\", ")
        );
        assert!(e.starts_with(&want), "{e}");
        // A duplicate id names both accounts, the first repeat in file order.
        let dup = t.replacen("(\"A19000\", ", "(\"A17\", ", 1).replacen(
            "(\"A15000\", ",
            "(\"A16000\", ",
            1,
        );
        let e = super::super::parse(&dup, path).unwrap_err().to_string();
        assert_eq!(
            e,
            "big.turf: duplicate account id 'A16000' (accounts 15001 and 16001)"
        );
        // A wrong number of measures or attributes names the account.
        let short = {
            let at = t.find("(\"A15000\"").unwrap();
            let end = at + t[at..].find('\n').unwrap();
            let line = &t[at..end];
            let fixed = line.replacen("], [\"", "], [\"x\", \"", 1);
            t.replacen(line, &fixed, 1)
        };
        let e = super::super::parse(&short, path).unwrap_err().to_string();
        assert_eq!(
            e,
            "big.turf: account 15001 ('A15000') has 2 measures and 2 attributes, expected 2 and 1"
        );
        // …also when it is the very first account.
        let first = t.replacen("], [\"", "], [\"x\", \"", 1);
        let e = super::super::parse(&first, path).unwrap_err().to_string();
        assert_eq!(
            e,
            "big.turf: account 1 ('A0') has 2 measures and 2 attributes, expected 2 and 1"
        );
    }

    #[test]
    fn first_duplicate_is_the_earliest_repeat() {
        let table = |ids: &[&str]| {
            let dtos = ids
                .iter()
                .map(|id| {
                    let (name, source) = (String::new(), LocationSource::Unlocated);
                    AccountDto(
                        id.to_string(),
                        name,
                        None,
                        source,
                        None,
                        vec![],
                        vec![],
                        vec![],
                    )
                })
                .collect();
            AccountTable::from_dtos(dtos)
        };
        assert_eq!(table(&["a", "b", "c"]).first_duplicate(), None);
        assert_eq!(table(&[]).first_duplicate(), None);
        let t = table(&["a", "b", "c", "b", "a", "a"]);
        assert_eq!(t.first_duplicate(), Some((1, 3)));
        assert_eq!(table(&["x", "x", "x"]).first_duplicate(), Some((0, 1)));
        // Different ids whose hashes clash are not duplicates.
        let mut t = table(&["a", "b", "c", "d", "b"]);
        t.hashes = vec![7; 5];
        assert_eq!(t.first_duplicate(), Some((1, 4)));
        t.ids[4] = "e".into();
        assert_eq!(t.first_duplicate(), None);
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ,.()\\[\\]]{0,12}",
            any::<String>(),
            "[\"\\\\\n\t\r\0'{}éü漢\u{200b}\u{7f}]{0,8}",
        ]
    }

    fn any_float() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            -1e7..1e7f64,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(f64::MIN_POSITIVE / 3.0),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Whatever the writer writes, the fast reader reads as RON does.
        #[test]
        fn fast_reader_agrees_with_ron(
            rows in prop::collection::vec(
                (any_text(), any_text(), prop::option::of((any_float(), any_float())),
                 any_float(), any_float(), any_text(), prop::option::of(0u32..5000)),
                1..12,
            )
        ) {
            let rows: Vec<AccountRow> = rows
                .into_iter()
                .enumerate()
                .map(|(i, (id, name, location, a, b, industry, pin))| AccountRow {
                    id: format!("{i}{id}"),
                    name,
                    location,
                    source: LocationSource::Coordinates,
                    measures: vec![a, b],
                    attributes: vec![industry],
                    pins: pin.map(TerritoryId).into_iter().collect(),
                })
                .collect();
            let t = text(&project(&rows));
            let (fast, plain) = both_ways(&t);
            prop_assert_eq!(fingerprint(&fast), fingerprint(&plain));
            prop_assert_eq!(&fast.names, &rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>());
        }
    }
}
