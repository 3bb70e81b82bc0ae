//! The plan cache: a binary copy of a big project file, next to it as
//! `.NAME.cache`, that loads several times faster than the RON text.
//!
//! The RON file stays the plan — readable, diff-friendly, the only file a
//! user edits, shares or commits; the cache is a by-product. It records the
//! length and content hash of the RON file it was made from and is used
//! only while the file still hashes to them. A cache that is stale,
//! truncated, damaged (its own checksum), from another build, or not ours
//! at all is ignored and the RON file read as always. It is written
//! atomically (through [`crate::core::fs`]) after a big plan is loaded from
//! its RON text or saved; never over a file that is not a cache of ours,
//! never through a symlink, and not at all where the folder cannot be
//! written (quietly: the cache is optional).
//!
//! Layout: magic, cache version, project format version, build version,
//! the RON file's length and hash, the payload's length and hash, then the
//! payload — the project's header as compact RON (territories without
//! their polygons, postal groups without their accounts), the polygons as
//! raw coordinates, and the accounts column by column. Decoding gives the
//! same `(FileIn, AccountTable)` parsing the RON file gives, so the cached
//! plan goes through exactly the checks of [`super::project_from`].

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::accounts_in::{AccountTable, Pins};
use super::{
    FileIn, OtherPins, Ring, file_out, file_territories, other_pins, project_from, ron_options,
};
use crate::core::fs::{Fingerprint, WriteOptions, write_file_with};
use crate::core::model::{AttrColumn, LocationSource, Project};

/// First bytes of every cache file.
const MAGIC: &[u8; 16] = b"turfmap-cache\0\r\n";
/// Version of the layout below; bump on any change.
const CACHE_VERSION: u32 = 1;
/// Plans whose RON file is smaller load fast enough without a cache.
pub(super) const MIN_BYTES: u64 = 4 << 20;

/// The cache file of the project file `ron`.
pub(super) fn path_for(ron: &Path) -> Option<PathBuf> {
    let name = ron.file_name()?;
    let mut side = std::ffi::OsString::from(".");
    side.push(name);
    side.push(".cache");
    Some(ron.with_file_name(side))
}

/// The plan from the cache of `ron`, with the fingerprint of `ron` it was
/// checked against; `None` when there is no usable cache.
pub(super) fn load(ron: &Path) -> Option<(Project, Fingerprint)> {
    let side = path_for(ron)?;
    let meta = std::fs::symlink_metadata(&side).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let ron_len = std::fs::metadata(ron).ok()?.len();
    let bytes = super::read_bytes(&side).ok()?;
    let (expect, payload) = checked_payload(&bytes, ron_len)?;
    // Hashing the plan file and decoding the cache overlap; a stale cache
    // (rare: the file was changed by something else) wastes the decoding.
    let (fingerprint, decoded) = rayon::join(|| Fingerprint::of_file(ron), || decode(payload));
    let fingerprint = fingerprint.ok()?;
    if fingerprint.parts() != Some(expect) {
        return None;
    }
    let (file, table) = decoded?;
    let project = project_from(file, table).ok()?;
    Some((project, fingerprint))
}

/// The RON fingerprint the cache was made for and its payload, once the
/// header and the payload's own hash check out; `None` for anything else.
fn checked_payload(bytes: &[u8], ron_len: u64) -> Option<((u64, u64), &[u8])> {
    let mut d = Dec::new(bytes);
    if d.take(MAGIC.len())? != MAGIC
        || d.u32()? != CACHE_VERSION
        || d.u32()? != super::FORMAT_VERSION
        || d.str()? != env!("CARGO_PKG_VERSION")
    {
        return None;
    }
    let expect = (d.u64()?, d.u64()?);
    // A RON file of another length is another file: no hashing needed.
    if expect.0 != ron_len {
        return None;
    }
    let (len, hash) = (d.u64()?, d.u64()?);
    let payload = d.take(usize::try_from(len).ok()?)?;
    (d.rest().is_empty() && xxh3_64(payload) == hash).then_some((expect, payload))
}

/// Writes the cache of `project`, just loaded from or saved to `ron`,
/// whose content is `fingerprint`; whether it was written. Plans under
/// `min_bytes` get none; a failure leaves things as they were and is only
/// told by `false` (the cache is optional).
pub(super) fn store(
    ron: &Path,
    project: &Project,
    fingerprint: Fingerprint,
    min_bytes: u64,
) -> bool {
    let Some((len, hash)) = fingerprint.parts() else {
        return false;
    };
    let Some(side) = path_for(ron) else {
        return false;
    };
    if len < min_bytes || !may_write(&side) {
        return false;
    }
    let pins = other_pins(project);
    write_file_with(&side, WriteOptions::default(), |w| {
        let io = |err| crate::core::Error::io(&side, err);
        let mut e = Enc::default();
        e.buf.extend_from_slice(MAGIC);
        e.u32(CACHE_VERSION);
        e.u32(super::FORMAT_VERSION);
        e.str(env!("CARGO_PKG_VERSION"));
        e.u64(len);
        e.u64(hash);
        // The payload's length and hash are known only at its end: zeros
        // now, filled in once it is written. It is streamed out a megabyte
        // at a time, so a save never holds a second copy of the plan.
        let at = e.buf.len() as u64;
        e.u64(0);
        e.u64(0);
        w.write_all(&e.buf).map_err(io)?;
        let mut e = Enc::streaming(w);
        if !encode(&mut e, project, &pins) {
            return Err(crate::core::Error::invalid(
                "the plan header could not be encoded",
            ));
        }
        let (w, payload_len, payload_hash) = e.finish().map_err(io)?;
        w.seek(SeekFrom::Start(at)).map_err(io)?;
        w.write_all(&payload_len.to_le_bytes()).map_err(io)?;
        w.write_all(&payload_hash.to_le_bytes()).map_err(io)?;
        w.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(())
    })
    .is_ok()
}

/// Whether `side` may be written: absent, or a regular file (not a
/// symlink) that starts as our caches do — never someone else's file.
fn may_write(side: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(side) else {
        return true;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    let mut head = [0u8; MAGIC.len()];
    std::fs::File::open(side)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == MAGIC)
}

/// The payload for `project`: header, polygons, postal groups, accounts.
/// `false` when the header cannot be written as RON.
fn encode(e: &mut Enc, project: &Project, pins: &OtherPins) -> bool {
    let mut file = file_out(project, pins, false);
    // Polygons go after the header, as numbers.
    file.territories.polygons = false;
    let postal: Vec<Vec<u32>> = file
        .postal
        .iter_mut()
        .map(|g| std::mem::take(&mut g.accounts))
        .collect();
    // Written twice, to count its length and then into the payload: as one
    // string, 100,000 territories' header grew to 16 MB while the plan
    // was held too.
    let mut counted = CountBytes(0);
    if ron_options().to_writer(&mut counted, &file).is_err() {
        return false;
    }
    e.len(counted.0);
    if ron_options().to_writer(&mut *e, &file).is_err() {
        return false;
    }
    drop(file);
    for (t, _) in file_territories(project) {
        e.len(t.geometry.0.len());
        for p in &t.geometry {
            e.len(1 + p.interiors().len());
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                e.len(ring.0.len());
                ring.0.iter().for_each(|c| {
                    e.f64(c.x);
                    e.f64(c.y);
                });
            }
        }
    }
    for accounts in &postal {
        e.len(accounts.len());
        accounts.iter().for_each(|&k| e.u32(k));
    }
    encode_accounts(e, project, pins);
    true
}

/// The live accounts as the RON writer writes them, column by column.
fn encode_accounts(e: &mut Enc, project: &Project, pins: &OtherPins) {
    let a = &project.accounts;
    let live: Vec<usize> = a.live().collect();
    e.len(live.len());
    e.strings(live.iter().map(|&i| a.ids[i].as_str()));
    e.strings(live.iter().map(|&i| a.names[i].as_str()));
    let located = |i: usize| a.is_located(i);
    live.iter()
        .for_each(|&i| e.f64(if located(i) { a.lon[i] } else { f64::NAN }));
    live.iter()
        .for_each(|&i| e.f64(if located(i) { a.lat[i] } else { f64::NAN }));
    live.iter().for_each(|&i| {
        e.byte(match a.source[i] {
            _ if !located(i) => 2,
            LocationSource::Coordinates => 0,
            LocationSource::PostalCode => 1,
            LocationSource::Unlocated => 2,
        });
    });
    live.iter()
        .for_each(|&i| e.u64(a.pins.of(i).next().map_or(u64::MAX, |t| u64::from(t.0))));
    let others: Vec<(u32, u32, u32)> = live
        .iter()
        .enumerate()
        .flat_map(|(k, i)| {
            let list = pins.get(i).map_or(&[][..], Vec::as_slice);
            list.iter().map(move |&(s, t)| (k as u32, s, t))
        })
        .collect();
    e.len(others.len());
    for (k, s, t) in others {
        e.u32(k);
        e.u32(s);
        e.u32(t);
    }
    e.len(a.measures.len());
    for m in &a.measures {
        live.iter().for_each(|&i| e.f64(m.values[i]));
    }
    e.len(a.attributes.len());
    for col in &a.attributes {
        // Values in order of first appearance, as reading the RON file
        // builds the dictionary.
        let mut remap = vec![u32::MAX; col.dict.len()];
        let mut dict: Vec<&str> = vec![""];
        remap[0] = 0;
        let codes: Vec<u32> = live
            .iter()
            .map(|&i| {
                let c = col.codes[i] as usize;
                if remap[c] == u32::MAX {
                    remap[c] = dict.len() as u32;
                    dict.push(&col.dict[c]);
                }
                remap[c]
            })
            .collect();
        e.len(dict.len());
        e.strings(dict.into_iter());
        codes.iter().for_each(|&c| e.u32(c));
    }
}

/// The file and account table the payload holds; `None` if it does not
/// decode (then the RON file is read instead).
fn decode(payload: &[u8]) -> Option<(FileIn, AccountTable)> {
    let mut d = Dec::new(payload);
    let mut file: FileIn = ron_options().from_str(d.str()?).ok()?;
    for t in &mut file.territories {
        let polys = (0..d.len()?)
            .map(|_| {
                (0..d.len()?)
                    .map(|_| {
                        let n = d.len()?;
                        let xy = d.f64s(2 * n)?;
                        Some(xy.chunks_exact(2).map(|p| (p[0], p[1])).collect())
                    })
                    .collect::<Option<Vec<Ring>>>()
            })
            .collect::<Option<Vec<_>>>()?;
        t.polygons = polys;
    }
    for g in &mut file.postal {
        let n = d.len()?;
        g.accounts = d.u32s(n)?;
    }
    let table = decode_accounts(&mut d)?;
    d.rest().is_empty().then_some((file, table))
}

/// The account columns of [`encode_accounts`].
fn decode_accounts(d: &mut Dec<'_>) -> Option<AccountTable> {
    let n = d.len()?;
    let ids = d.strings(n)?;
    let names = d.strings(n)?;
    let lon = d.f64s(n)?;
    let lat = d.f64s(n)?;
    let source = d
        .take(n)?
        .iter()
        .map(|b| match b {
            0 => Some(LocationSource::Coordinates),
            1 => Some(LocationSource::PostalCode),
            2 => Some(LocationSource::Unlocated),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let first = d.u64s(n)?;
    let mut pins: Vec<Pins> = first
        .into_par_iter()
        .map(|p| (u32::try_from(p).ok(), Vec::new()))
        .collect();
    for _ in 0..d.len()? {
        let (k, s, t) = (d.u32()?, d.u32()?, d.u32()?);
        pins.get_mut(k as usize)?.1.push((s, t));
    }
    let measures = (0..d.len()?)
        .map(|_| d.f64s(n))
        .collect::<Option<Vec<_>>>()?;
    let attributes = (0..d.len()?)
        .map(|_| {
            let k = d.len()?;
            let dict = d.strings(k)?;
            let codes = d.u32s(n)?;
            attr_column(dict, codes)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(
        AccountTable {
            ids,
            names,
            lon,
            lat,
            source,
            pins,
            measures,
            attributes,
            ..AccountTable::default()
        }
        .hashed(),
    )
}

/// An attribute column from its dictionary (distinct values, the empty
/// one first) and codes; `None` if they do not fit together.
fn attr_column(dict: Vec<String>, codes: Vec<u32>) -> Option<AttrColumn> {
    let mut col = AttrColumn::new("");
    if dict.first().map(String::as_str) != Some("") {
        return None;
    }
    for (k, v) in dict.iter().enumerate().skip(1) {
        if col.code_of(v) as usize != k {
            return None;
        }
    }
    let size = dict.len() as u32;
    if codes.par_iter().any(|&c| c >= size) {
        return None;
    }
    col.codes = codes;
    Some(col)
}

/// Little-endian writer of the cache layout: into memory, or streamed to a
/// file a megabyte at a time (hashed and counted on the way).
#[derive(Default)]
struct Enc<'w> {
    buf: Vec<u8>,
    sink: Option<Sink<'w>>,
}

struct Sink<'w> {
    w: &'w mut std::io::BufWriter<std::fs::File>,
    hash: Xxh3,
    len: u64,
    err: Option<std::io::Error>,
}

/// Counts the bytes of text written to it.
struct CountBytes(usize);

impl std::fmt::Write for CountBytes {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// Text written to an [`Enc`] goes in as its bytes (no length).
impl std::fmt::Write for Enc<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// How much [`Enc`] gathers before writing it out.
const SPILL_BYTES: usize = 1 << 20;

impl<'w> Enc<'w> {
    fn streaming(w: &'w mut std::io::BufWriter<std::fs::File>) -> Self {
        Self {
            buf: Vec::with_capacity(SPILL_BYTES + 4096),
            sink: Some(Sink {
                w,
                hash: Xxh3::new(),
                len: 0,
                err: None,
            }),
        }
    }

    /// Hands what is gathered to the sink, if any.
    fn spill(&mut self) {
        let Some(s) = &mut self.sink else {
            return;
        };
        if s.err.is_none() {
            s.hash.update(&self.buf);
            s.len += self.buf.len() as u64;
            if let Err(e) = s.w.write_all(&self.buf) {
                s.err = Some(e);
            }
        }
        self.buf.clear();
    }

    fn spill_if_big(&mut self) {
        if self.sink.is_some() && self.buf.len() >= SPILL_BYTES {
            self.spill();
        }
    }

    /// Writes out the rest; the writer, the payload's length and hash.
    fn finish(mut self) -> std::io::Result<(&'w mut std::io::BufWriter<std::fs::File>, u64, u64)> {
        self.spill();
        let s = self.sink.take().expect("a streaming encoder");
        match s.err {
            Some(e) => Err(e),
            None => Ok((s.w, s.len, s.hash.digest())),
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        self.spill_if_big();
    }

    fn byte(&mut self, b: u8) {
        self.bytes(&[b]);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes(s.as_bytes());
    }

    /// A column of strings: their end offsets, then their bytes.
    fn strings<'s>(&mut self, values: impl Iterator<Item = &'s str> + Clone) {
        let mut end = 0u64;
        for v in values.clone() {
            end += v.len() as u64;
            self.u64(end);
        }
        self.len(end as usize);
        values.for_each(|v| self.bytes(v.as_bytes()));
    }
}

/// Reader of [`Enc`]'s layout: every read checks the bounds, so a damaged
/// cache is `None`, never a panic or a huge allocation.
struct Dec<'a> {
    bytes: &'a [u8],
}

impl<'a> Dec<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A count, which cannot exceed the bytes left (each item takes at
    /// least one).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok()
    }

    /// `n` values of 8 bytes each.
    fn words(&mut self, n: usize) -> Option<&'a [u8]> {
        self.take(n.checked_mul(8)?)
    }

    fn f64s(&mut self, n: usize) -> Option<Vec<f64>> {
        let b = self.words(n)?;
        let mut v = Vec::new();
        b.par_chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect_into_vec(&mut v);
        Some(v)
    }

    fn u64s(&mut self, n: usize) -> Option<Vec<u64>> {
        let b = self.words(n)?;
        let mut v = Vec::new();
        b.par_chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect_into_vec(&mut v);
        Some(v)
    }

    fn u32s(&mut self, n: usize) -> Option<Vec<u32>> {
        let b = self.take(n.checked_mul(4)?)?;
        let mut v = Vec::new();
        b.par_chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect_into_vec(&mut v);
        Some(v)
    }

    /// `n` strings of [`Enc::strings`], built in parallel.
    fn strings(&mut self, n: usize) -> Option<Vec<String>> {
        let ends = self.u64s(n)?;
        let text = self.str()?;
        let mut start = 0usize;
        let mut bounds = Vec::with_capacity(n);
        for &end in &ends {
            let end = usize::try_from(end).ok()?;
            if end < start || !text.is_char_boundary(end) {
                return None;
            }
            bounds.push((start, end));
            start = end;
        }
        if start != text.len() {
            return None;
        }
        let mut out = Vec::new();
        bounds
            .into_par_iter()
            .map(|(a, b)| text[a..b].to_owned())
            .collect_into_vec(&mut out);
        Some(out)
    }
}
