//! The accounts file streamed for a one-shot assignment: read a chunk at a
//! time, cut at record boundaries found by a quote-aware scan, each block
//! of records parsed, checked and turned into output rows in parallel.
//! Nothing per account is kept but a hash of its id (for the duplicate
//! check), so a million accounts take a few megabytes besides the output.
//!
//! The stream takes only the common case: a CSV file whose rows are all
//! well formed. Anything else (a workbook, row-number ids, a ragged row, an
//! empty or repeated id, text in a measure column, a missing id or
//! location column, bytes that are not UTF-8 text) gives `None`, and the
//! caller runs the full import, which reports it exactly as `turfmap new`
//! does.

use std::hash::{BuildHasher, BuildHasherDefault};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::{
    AccountImportOptions, CsvFile, FastHasher, ImportReport, Layout, MAX_LINES, Typing,
    candidate_columns, detect, find_layout, is_blank, locate, parse_number, read_header,
    sniff_delimiter, unique_names,
};
use crate::core::geocode::{Country, Gazetteer, PostalLookup};

/// Bytes read from the file at a time.
const CHUNK: usize = 4 << 20;
/// Bytes of records per parallel block.
const BLOCK: usize = 1 << 18;

/// The accounts of one block, in file order: their ids (one string,
/// each ending where `ends` says) and locations (`NaN` when unlocated).
#[derive(Debug, Default)]
pub struct BlockRows {
    ids: String,
    ends: Vec<usize>,
    /// Longitudes in degrees.
    pub lon: Vec<f64>,
    /// Latitudes in degrees.
    pub lat: Vec<f64>,
}

impl BlockRows {
    /// How many accounts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The id of account `i` of the block.
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.ids[start..self.ends[i]]
    }

    fn push(&mut self, id: &str, lon: f64, lat: f64) {
        self.ids.push_str(id);
        self.ends.push(self.ids.len());
        self.lon.push(lon);
        self.lat.push(lat);
    }
}

/// Writes the output rows of a block of accounts (all of a block at once,
/// so that what it looks up stays in the cache). False stops the stream.
pub trait RowSink: Sync {
    /// Writes the rows of `rows` to `out`.
    fn rows(&self, rows: &BlockRows, out: &mut csv::Writer<Vec<u8>>) -> bool;
}

/// The first record end at or after byte `target`, for bytes whose record
/// starting at `start` is the first to look at: the byte after a line
/// feed that is outside quotes, as the csv reader sees them (a quote opens
/// a quoted field only at the start of a field; `""` inside one is a
/// quote). `None` when `bytes` end before such a line feed is certain.
pub(super) fn record_end(bytes: &[u8], start: usize, target: usize, delim: u8) -> Option<usize> {
    let mut i = start;
    loop {
        let quote = memchr::memchr(b'"', bytes.get(i..)?).map(|q| i + q);
        let from = i.max(target.saturating_sub(1));
        let newline = bytes
            .get(from..)
            .and_then(|b| memchr::memchr(b'\n', b))
            .map(|n| from + n);
        match (quote, newline) {
            (_, Some(n)) if quote.is_none_or(|q| n < q) => return Some(n + 1),
            (Some(q), _) => {
                let opens =
                    q == start || matches!(bytes[q - 1], b'\n' | b'\r') || bytes[q - 1] == delim;
                i = if opens {
                    quoted_end(bytes, q + 1)?
                } else {
                    q + 1
                };
            }
            _ => return None,
        }
    }
}

/// [`record_end`] of a comma-separated file scanned from its start.
#[cfg(test)]
pub(crate) fn record_end_for_tests(bytes: &[u8], target: usize) -> Option<usize> {
    record_end(bytes, 0, target, b',')
}

/// The byte after the closing quote of a quoted field whose text starts
/// at `from`; `None` when the bytes end before it is certain.
fn quoted_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let q = from + memchr::memchr(b'"', bytes.get(from..)?)?;
        match bytes.get(q + 1) {
            Some(b'"') => from = q + 2,
            Some(_) => return Some(q + 1),
            None => return None,
        }
    }
}

/// What one block of records gave.
#[derive(Default)]
struct BlockOut {
    /// Its output rows.
    out: Vec<u8>,
    /// Location counts; lines counted from the block's start.
    report: ImportReport,
    /// Accounts and blank rows.
    rows: usize,
    blank_rows: usize,
    /// Line feeds in the block.
    newlines: u64,
    /// Hashes of the ids.
    hashes: Vec<u64>,
    /// Per candidate column: a number seen, a text seen.
    seen: Vec<(bool, bool)>,
    /// Postal tables that could not be read.
    postal_errors: Vec<String>,
}

/// The header and columns, as the full import finds them.
struct Head {
    headers: Vec<String>,
    layout: Layout,
    delimiter: u8,
    /// The candidate columns of pass 1 of the full import.
    typing: Vec<(usize, Typing)>,
}

/// Streams the accounts at `path` (see the module comment): each
/// account's row written by the sink `make_sink` makes (while the file's
/// first chunk is read), in file order, in pieces. `None`: run the full
/// import instead.
pub fn stream_accounts<S: RowSink + Send>(
    path: &Path,
    opts: &AccountImportOptions,
    make_sink: impl FnOnce() -> Option<S> + Send,
) -> Option<(ImportReport, Vec<Vec<u8>>)> {
    stream_sized(path, opts, make_sink, [CHUNK, BLOCK])
}

/// [`stream_accounts`] reading `sizes[0]` bytes at a time in blocks of
/// about `sizes[1]` (tests cut small files in many places).
pub(crate) fn stream_sized<S: RowSink + Send>(
    path: &Path,
    opts: &AccountImportOptions,
    make_sink: impl FnOnce() -> Option<S> + Send,
    sizes: [usize; 2],
) -> Option<(ImportReport, Vec<Vec<u8>>)> {
    let [chunk, block] = sizes;
    if !streamable(path, opts) {
        return None;
    }
    let (sink, opened) = rayon::join(make_sink, || open(path, opts, chunk));
    let (sink, (mut file, mut buf, mut eof, head, header_end)) = (sink?, opened?);
    let header_lines = memchr::memchr_iter(b'\n', &buf[..header_end]).count();
    let mut s = Stream::new(head, opts, header_lines);
    s.block = block;
    let mut pos = header_end;
    loop {
        pos = s.blocks(&buf, pos, eof, path, &sink)?;
        if eof {
            break;
        }
        buf.drain(..pos);
        pos = 0;
        eof = fill(&mut file, &mut buf, chunk)?;
    }
    s.finish()
}

/// Whether the stream may take the file at `path` read with `opts`, as far
/// as its name and the options tell: a CSV file (not a workbook, nor a
/// file the import refuses by its name) with an id column.
fn streamable(path: &Path, opts: &AccountImportOptions) -> bool {
    opts.sheet.is_none()
        && !super::super::workbook::is_workbook(path)
        && detect::refuse_non_table_path(path).is_ok()
        && !detect::is_row_number_id(opts.id_col.as_deref())
}

/// The file, its first chunk (without BOM), whether that is all, its
/// header and where the data starts.
type Opened = (std::fs::File, Vec<u8>, bool, Head, usize);

/// Opens the accounts file and reads its first chunk and header; `None`
/// when the stream does not take the file.
fn open(path: &Path, opts: &AccountImportOptions, chunk: usize) -> Option<Opened> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(chunk + chunk / 8);
    let eof = fill(&mut file, &mut buf, chunk)?;
    if buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    if buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    detect::refuse_non_table_bytes(path, &buf).ok()?;
    let (head, header_end) = head(&buf, path, opts)?;
    Some((file, buf, eof, head, header_end))
}

/// Appends up to `chunk` bytes of `file` to `buf`; true at the end of the
/// file. `None` on a read error or a NUL byte (not text).
fn fill(file: &mut std::fs::File, buf: &mut Vec<u8>, chunk: usize) -> Option<bool> {
    let old = buf.len();
    let want = old + chunk;
    buf.resize(want, 0);
    let mut got = old;
    while got < want {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(got);
    if memchr::memchr(0, &buf[old..]).is_some() {
        return None;
    }
    Some(got < want)
}

/// The header, its columns, and where the data starts; `None` when the
/// full import would refuse them (or the header is not in the first chunk).
fn head(buf: &[u8], path: &Path, opts: &AccountImportOptions) -> Option<(Head, usize)> {
    let delimiter = sniff_delimiter(buf);
    let header_end = record_end(buf, 0, 0, delimiter)?;
    // A header ended by a lone carriage return: the line feed found is
    // another record's.
    if memchr::memchr(b'\r', &buf[..header_end]).is_some_and(|r| r + 2 != header_end) {
        return None;
    }
    let mut file = CsvFile {
        bytes: &buf[..header_end],
        path,
        delimiter,
        headers: Vec::new(),
        layout: Layout::default(),
        first_line: 0,
        first_row: 0,
    };
    file.headers = read_header(&file).ok()?;
    let layout = find_layout(&file.headers, opts, path).ok()?;
    let usable = layout.id.is_some() && (layout.lat.is_some() || layout.zip.is_some());
    if !usable {
        return None;
    }
    let typing = candidate_columns(&layout, file.headers.len());
    let head = Head {
        headers: file.headers,
        layout,
        delimiter,
        typing,
    };
    Some((head, header_end))
}

/// The state of a stream between chunks.
struct Stream {
    head: Head,
    /// Columns whose values are typed, with `strict` (a chosen measure).
    typed: Vec<(usize, bool)>,
    default_country: Country,
    report: ImportReport,
    seen: Vec<(bool, bool)>,
    rows: usize,
    blank_rows: usize,
    /// Line feeds before the next block.
    lines: u64,
    /// Bytes of records per parallel block (about).
    block: usize,
    hashes: Vec<u64>,
    pieces: Vec<Vec<u8>>,
    postal_errors: Vec<String>,
}

impl Stream {
    fn new(head: Head, opts: &AccountImportOptions, header_lines: usize) -> Self {
        let typed: Vec<(usize, bool)> = head
            .typing
            .iter()
            .filter_map(|(c, t)| match t {
                Typing::Numeric { strict, .. } => Some((*c, *strict)),
                Typing::Text => None,
            })
            .collect();
        let default_country = opts.default_country.unwrap_or(Country::US);
        Self {
            seen: vec![(false, false); typed.len()],
            typed,
            default_country,
            report: ImportReport {
                default_country: Some(default_country),
                ..ImportReport::default()
            },
            head,
            rows: 0,
            blank_rows: 0,
            lines: header_lines as u64,
            block: BLOCK,
            hashes: Vec::new(),
            pieces: Vec::new(),
            postal_errors: Vec::new(),
        }
    }

    /// Reads the records of `buf` from `pos` (a record start) in parallel
    /// blocks; returns where the records left for the next chunk start.
    fn blocks(
        &mut self,
        buf: &[u8],
        pos: usize,
        eof: bool,
        path: &Path,
        sink: &dyn RowSink,
    ) -> Option<usize> {
        let delim = self.head.delimiter;
        let mut cuts = vec![pos];
        let mut p = pos;
        while let Some(e) = record_end(buf, p, p + self.block, delim) {
            cuts.push(e);
            p = e;
        }
        if eof && p < buf.len() {
            cuts.push(buf.len());
            p = buf.len();
        }
        let outs: Vec<Option<BlockOut>> = cuts
            .par_windows(2)
            .map(|w| self.block(&buf[w[0]..w[1]], path, sink))
            .collect();
        for out in outs {
            self.join(out?);
        }
        Some(p)
    }

    /// One block of records (lines counted from its start).
    fn block(&self, bytes: &[u8], path: &Path, sink: &dyn RowSink) -> Option<BlockOut> {
        let file = CsvFile {
            bytes,
            path,
            delimiter: self.head.delimiter,
            headers: Vec::new(),
            layout: self.head.layout.clone(),
            first_line: 0,
            first_row: 0,
        };
        let width = self.head.headers.len();
        let id_col = self.head.layout.id?;
        let decimal_comma = self.head.delimiter == b';';
        let build = BuildHasherDefault::<FastHasher>::default();
        let mut postal = PostalLookup::new(Gazetteer::bundled(), self.default_country);
        let mut b = BlockOut {
            seen: vec![(false, false); self.typed.len()],
            newlines: memchr::memchr_iter(b'\n', bytes).count() as u64,
            ..BlockOut::default()
        };
        let mut w = csv::WriterBuilder::new().from_writer(Vec::with_capacity(bytes.len() / 2));
        let mut scratch = String::new();
        let mut rdr = file.reader();
        let mut rec = csv::StringRecord::new();
        let mut rows = BlockRows::default();
        while rdr.read_record(&mut rec).ok()? {
            if is_blank(&rec) {
                b.blank_rows += 1;
                continue;
            }
            if rec.len() != width {
                return None;
            }
            b.rows += 1;
            for ((c, strict), seen) in self.typed.iter().zip(&mut b.seen) {
                if seen.1 {
                    continue;
                }
                match parse_number(&rec[*c], decimal_comma, &mut scratch) {
                    super::Cell::Missing => {}
                    super::Cell::Number(_) => seen.0 = true,
                    super::Cell::Text if *strict => return None,
                    super::Cell::Text => seen.1 = true,
                }
            }
            let id = rec[id_col].trim();
            if id.is_empty() {
                return None;
            }
            b.hashes.push(build.hash_one(id));
            let line = file.line(&rec);
            let (lon, lat, _, _) = locate(&file.layout, &rec, line, &mut postal, &mut b.report);
            rows.push(id, lon, lat);
        }
        if !sink.rows(&rows, &mut w) {
            return None;
        }
        b.out = w.into_inner().ok()?;
        b.postal_errors = postal.load_errors();
        Some(b)
    }

    /// Adds block `b` (the next in file order).
    fn join(&mut self, mut b: BlockOut) {
        let r = &b.report;
        let base = self.lines;
        let to = &mut self.report;
        to.by_coordinates += r.by_coordinates;
        to.by_postal_code += r.by_postal_code;
        to.unlocated += r.unlocated;
        to.invalid_coordinates += r.invalid_coordinates;
        for (to, from) in [
            (&mut to.unlocated_lines, &r.unlocated_lines),
            (
                &mut to.invalid_coordinate_lines,
                &r.invalid_coordinate_lines,
            ),
        ] {
            let room = MAX_LINES.saturating_sub(to.len());
            to.extend(from.iter().take(room).map(|l| base + l));
        }
        to.postal.absorb(&r.postal);
        for (s, t) in self.seen.iter_mut().zip(&b.seen) {
            s.0 |= t.0;
            s.1 |= t.1;
        }
        self.rows += b.rows;
        self.blank_rows += b.blank_rows;
        self.lines += b.newlines;
        self.hashes.append(&mut b.hashes);
        self.postal_errors.append(&mut b.postal_errors);
        self.pieces.push(b.out);
    }

    /// The report, once the ids are known to be unique.
    fn finish(mut self) -> Option<(ImportReport, Vec<Vec<u8>>)> {
        if self.rows == 0 {
            return None;
        }
        self.hashes.par_sort_unstable();
        if self.hashes.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        let names = unique_names(&self.head.headers);
        let header = |c: Option<usize>| c.map(|c| self.head.headers[c].clone());
        let layout = &self.head.layout;
        let mut r = self.report;
        let mut seen = self.seen.iter();
        for (c, t) in &self.head.typing {
            let measure = match t {
                Typing::Numeric { strict, .. } => {
                    let (number, text) = seen.next().copied().unwrap_or_default();
                    !text && (number || *strict)
                }
                Typing::Text => false,
            };
            let list = if measure {
                &mut r.measures
            } else {
                &mut r.attributes
            };
            list.push(names[*c].clone());
        }
        r.rows = self.rows;
        r.blank_rows = self.blank_rows;
        r.delimiter = self.head.delimiter;
        r.id_column = header(layout.id);
        r.name_column = header(layout.name);
        r.lat_column = header(layout.lat);
        r.lon_column = header(layout.lon);
        r.zip_column = header(layout.zip);
        r.country_column = header(layout.country);
        self.postal_errors.sort();
        self.postal_errors.dedup();
        r.postal_errors = self.postal_errors;
        Some((r, self.pieces))
    }
}
