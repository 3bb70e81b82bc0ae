//! The project file: RON, versioned, human-readable and diff-friendly.
//!
//! One territory per line and one account per line, in plan order, so a
//! version-control diff of two saves shows exactly the territories and
//! accounts that changed. Saving goes through a temp file in the same folder
//! and a rename, so a crash or a full disk mid-save never harms the previous
//! file. Removed (tombstoned) accounts are not written.
//!
//! Version 2 adds territory types, reps, scenarios, the hierarchy and
//! assignment rules. Territories of every scenario share the one
//! `territories` list, each line tagged with its scenario; each account
//! line ends with its pins in the inactive scenarios as
//! `[(scenario, territory), …]` (usually `[]`), so the per-line fast path
//! still applies. Version 1 files load as one scenario "Plan" with one
//! type "Geographic"; their territories' rep names become reps.
//!
//! Version 3 lets an account be pinned in several territory types: the
//! pin field holds its lowest pinned territory in the active scenario and
//! the `(scenario, territory)` list also carries its further active pins
//! (under the active scenario's id). Older files read unchanged.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::ser::{SerializeSeq, SerializeTupleStruct};
use serde::{Deserialize, Serialize, Serializer};

use super::error::{Error, Result};
use super::fs::{Fingerprint, WriteOptions, write_file_with};
use super::geocode::{Country, PostalMatch, Precision};
use super::model::{
    Accounts, LocationSource, PlanSettings, Project, Rep, RepId, Scenario, ScenarioId,
    ScenarioState, StoredPlan, Territory, TerritoryId, TerritoryType, TerritoryTypeId,
};
use super::pins::Pins;
use super::rules::Rule;
use super::travel::TravelSettings;

mod accounts_in;
mod sidecar;
use accounts_in::AccountTable;

/// How deep RON may nest when reading or writing a project file: room for
/// rules of [`Rule::MAX_DEPTH`] levels (RON counts about four per level)
/// with a wide margin, so that deeper rules saved by older versions load
/// too. RON's default (128) refused rules of 29 AND / OR levels.
const RON_DEPTH: usize = 512;

/// RON options of the project file (see [`RON_DEPTH`]).
fn ron_options() -> ron::Options {
    ron::Options::default().with_recursion_limit(RON_DEPTH)
}

/// The format version this build writes; it reads this one and older.
pub const FORMAT_VERSION: u32 = 3;
const FORMAT_TAG: &str = "turfmap-project";

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'a str,
    version: u32,
    name: &'a str,
    settings: &'a PlanSettings,
    travel: &'a TravelSettings,
    next_territory_id: u32,
    workload_measure: &'a Option<String>,
    types: &'a [TerritoryType],
    reps: &'a [Rep],
    scenarios: Vec<ScenarioDto>,
    active_scenario: u32,
    measures: Vec<&'a str>,
    attributes: Vec<&'a str>,
    territories: TerritoriesOut<'a>,
    /// How postal codes outside the US ZIP table placed accounts (by
    /// position in `accounts`); absent when every postal match is a US ZIP.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    postal: Vec<PostalGroupDto>,
    accounts: AccountsOut<'a>,
}

#[derive(Deserialize)]
struct FileIn {
    format: String,
    version: u32,
    name: String,
    settings: PlanSettings,
    /// Drive-time settings (plans from before drive time have none).
    #[serde(default)]
    travel: TravelSettings,
    next_territory_id: u32,
    #[serde(default)]
    workload_measure: Option<String>,
    #[serde(default)]
    types: Vec<TerritoryType>,
    #[serde(default)]
    reps: Vec<Rep>,
    #[serde(default)]
    scenarios: Vec<ScenarioDto>,
    #[serde(default)]
    active_scenario: u32,
    measures: Vec<String>,
    attributes: Vec<String>,
    territories: Vec<TerritoryDto>,
    #[serde(default)]
    postal: Vec<PostalGroupDto>,
    accounts: Vec<AccountDto>,
}

/// The accounts (positions in the file) one country's table placed with
/// one precision.
#[derive(Serialize, Deserialize)]
struct PostalGroupDto {
    country: Country,
    precision: Precision,
    accounts: Vec<u32>,
}

/// Groups the live accounts' postal matches other than US ZIPs (the
/// default of [`Accounts::postal_match`]) by file position.
fn postal_groups(a: &Accounts) -> Vec<PostalGroupDto> {
    let mut groups: std::collections::BTreeMap<PostalMatch, Vec<u32>> = Default::default();
    for (k, i) in a.live().enumerate() {
        if let Some(m) = a.postal_match(i).filter(|m| *m != PostalMatch::US_ZIP) {
            groups.entry(m).or_default().push(k as u32);
        }
    }
    groups
        .into_iter()
        .map(|(m, accounts)| PostalGroupDto {
            country: m.country,
            precision: m.precision,
            accounts,
        })
        .collect()
}

/// Applies the file's postal groups to `a` (read from the same file).
fn apply_postal_groups(
    a: &mut Accounts,
    groups: Vec<PostalGroupDto>,
) -> std::result::Result<(), String> {
    for g in groups {
        let m = PostalMatch {
            country: g.country,
            precision: g.precision,
        };
        for k in g.accounts {
            let i = k as usize;
            if i >= a.len() {
                return Err(format!(
                    "postal: account {} does not exist (the file has {})",
                    i + 1,
                    a.len()
                ));
            }
            a.set_postal_match(i, Some(m));
        }
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct ScenarioDto {
    id: u32,
    name: String,
    state: ScenarioState,
}

type Ring = Vec<(f64, f64)>;

#[derive(Serialize, Deserialize)]
struct TerritoryDto {
    id: u32,
    #[serde(default)]
    scenario: u32,
    name: String,
    color: (u8, u8, u8),
    #[serde(default)]
    color_picked: bool,
    priority: i32,
    /// Version 1 only: the rep's name.
    #[serde(default, skip_serializing)]
    rep: Option<String>,
    #[serde(default)]
    reps: Vec<u32>,
    locked: bool,
    #[serde(default)]
    type_id: u32,
    #[serde(default)]
    parent: Option<u32>,
    #[serde(default)]
    rule: Option<Rule>,
    /// Quota of the territory's own accounts, when quotas are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quota: Option<f64>,
    /// Polygons, each a list of rings (exterior first), each a list of
    /// `(lon, lat)`; rings are stored closed.
    polygons: Vec<Vec<Ring>>,
}

#[derive(Debug, Deserialize)]
struct AccountDto(
    String,
    String,
    Option<(f64, f64)>,
    LocationSource,
    Option<u32>,
    Vec<f64>,
    Vec<String>,
    /// Pins in inactive scenarios (version 2).
    #[serde(default)]
    Vec<(u32, u32)>,
);

/// Pins of inactive scenarios by account index: `(scenario, territory)`.
type OtherPins = HashMap<usize, Vec<(u32, u32)>>;

fn other_pins(project: &Project) -> OtherPins {
    let mut m: OtherPins = HashMap::new();
    // Active pins beyond the first (accounts pinned in several types).
    let active = &project.accounts.pins;
    for i in 0..active.len() {
        for t in active.of(i).skip(1) {
            m.entry(i)
                .or_default()
                .push((project.active_scenario.0, t.0));
        }
    }
    for s in &project.scenarios {
        if let Some(p) = &s.stored {
            for (i, t) in p.pins.iter() {
                m.entry(i).or_default().push((s.id.0, t.0));
            }
        }
    }
    m
}

/// Streams the account columns as one tuple per account, without building
/// a million row structs first.
struct AccountsOut<'a>(Option<&'a Accounts>, &'a OtherPins);

impl Serialize for AccountsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let Some(a) = self.0 else {
            return s.serialize_seq(Some(0))?.end();
        };
        let mut seq = s.serialize_seq(Some(a.live_count()))?;
        for i in a.live() {
            seq.serialize_element(&AccountOut(a, i, self.1))?;
        }
        seq.end()
    }
}

struct AccountOut<'a>(&'a Accounts, usize, &'a OtherPins);

struct Measures<'a>(&'a Accounts, usize);
impl Serialize for Measures<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.measures.len()))?;
        for m in &self.0.measures {
            seq.serialize_element(&m.values[self.1])?;
        }
        seq.end()
    }
}

struct Attributes<'a>(&'a Accounts, usize);
impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.attributes.len()))?;
        for a in &self.0.attributes {
            seq.serialize_element(a.get(self.1))?;
        }
        seq.end()
    }
}

impl Serialize for AccountOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (a, i) = (self.0, self.1);
        let mut t = s.serialize_tuple_struct("Account", 8)?;
        t.serialize_field(&a.ids[i])?;
        t.serialize_field(&a.names[i])?;
        t.serialize_field(&a.is_located(i).then(|| (a.lon[i], a.lat[i])))?;
        t.serialize_field(&a.source[i])?;
        t.serialize_field(&a.pins.of(i).next().map(|p| p.0))?;
        t.serialize_field(&Measures(a, i))?;
        t.serialize_field(&Attributes(a, i))?;
        t.serialize_field(self.2.get(&i).map_or(&[][..], |v| v.as_slice()))?;
        t.end()
    }
}

fn territory_dto(t: &Territory, scenario: ScenarioId, with_polygons: bool) -> TerritoryDto {
    let ring = |r: &LineString<f64>| r.0.iter().map(|c| (c.x, c.y)).collect::<Ring>();
    TerritoryDto {
        id: t.id.0,
        scenario: scenario.0,
        name: t.name.clone(),
        color: (t.color[0], t.color[1], t.color[2]),
        color_picked: t.color_picked,
        priority: t.priority,
        rep: None,
        reps: t.reps.iter().map(|r| r.0).collect(),
        locked: t.locked,
        type_id: t.type_id.0,
        parent: t.parent.map(|p| p.0),
        rule: t.rule.as_deref().cloned(),
        quota: t.quota,
        polygons: t
            .geometry
            .iter()
            .filter(|_| with_polygons)
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring)
                    .collect()
            })
            .collect(),
    }
}

fn territory_from(d: TerritoryDto, reps: &mut Vec<Rep>) -> Territory {
    let ring = |r: Ring| LineString(r.into_iter().map(|(x, y)| Coord { x, y }).collect());
    let polygons = d
        .polygons
        .into_iter()
        .filter(|rings| !rings.is_empty())
        .map(|mut rings| {
            let ext = ring(rings.remove(0));
            Polygon::new(ext, rings.into_iter().map(ring).collect())
        })
        .collect();
    let mut rep_ids: Vec<RepId> = d.reps.into_iter().map(RepId).collect();
    // Version 1 named the rep: make it a rep of the project.
    if let Some(name) = d.rep.filter(|n| !n.trim().is_empty()) {
        let id = match reps.iter().find(|r| r.name == name) {
            Some(r) => r.id,
            None => {
                let id = RepId(reps.len() as u32);
                reps.push(Rep::new(id, name));
                id
            }
        };
        rep_ids.push(id);
    }
    Territory {
        id: TerritoryId(d.id),
        name: d.name,
        color: [d.color.0, d.color.1, d.color.2],
        color_picked: d.color_picked,
        priority: d.priority,
        reps: rep_ids,
        locked: d.locked,
        geometry: MultiPolygon(polygons),
        parent: d.parent.map(TerritoryId),
        type_id: TerritoryTypeId(d.type_id),
        rule: d.rule.map(Box::new),
        quota: d.quota,
    }
}

/// The territories the file lists, in its order: every scenario's (the
/// active one's from the plan), or the plan's when there are no scenarios.
fn file_territories(project: &Project) -> impl Iterator<Item = (&Territory, ScenarioId)> {
    let scenarios = project.scenarios.iter().flat_map(move |s| {
        let ts = match &s.stored {
            Some(p) => &p.territories,
            None => &project.territories,
        };
        ts.iter().map(move |t| (t, s.id))
    });
    let plain = project
        .territories
        .iter()
        .filter(|_| project.scenarios.is_empty())
        .map(|t| (t, project.active_scenario));
    scenarios.chain(plain)
}

/// The file's territories, each turned into its file form only as it is
/// written: a copy of every territory at once was a third of the memory of
/// saving a plan of 100,000 territories.
struct TerritoriesOut<'a> {
    project: &'a Project,
    /// Written with their polygons (the plan cache stores them apart).
    polygons: bool,
}

impl Serialize for TerritoriesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(
            file_territories(self.project).map(|(t, id)| territory_dto(t, id, self.polygons)),
        )
    }
}

/// The file's top level; the accounts are left empty unless `with_accounts`
/// (the writer streams them itself, in parallel).
fn file_out<'a>(project: &'a Project, pins: &'a OtherPins, with_accounts: bool) -> FileOut<'a> {
    let a = &project.accounts;
    FileOut {
        format: FORMAT_TAG,
        version: FORMAT_VERSION,
        name: &project.name,
        settings: &project.settings,
        travel: &project.travel,
        next_territory_id: project.next_territory_id,
        workload_measure: &project.workload_measure,
        types: &project.types,
        reps: &project.reps,
        scenarios: project
            .scenarios
            .iter()
            .map(|s| ScenarioDto {
                id: s.id.0,
                name: s.name.clone(),
                state: s.state,
            })
            .collect(),
        active_scenario: project.active_scenario.0,
        measures: a.measures.iter().map(|m| m.name.as_str()).collect(),
        attributes: a.attributes.iter().map(|m| m.name.as_str()).collect(),
        territories: TerritoriesOut {
            project,
            polygons: true,
        },
        postal: postal_groups(a),
        accounts: AccountsOut(with_accounts.then_some(a), pins),
    }
}

/// How the pretty header ends when its account list is left empty.
const HEADER_END: &str = "  accounts: [],\n)";

/// A writer that passes everything on to `w` but the last `keep` bytes,
/// which [`HoldBack::finish`] returns instead.
struct HoldBack<W> {
    w: W,
    tail: Vec<u8>,
    keep: usize,
}

impl<W: std::io::Write> HoldBack<W> {
    fn new(w: W, keep: usize) -> Self {
        Self {
            w,
            tail: Vec::with_capacity(64 << 10),
            keep,
        }
    }

    /// Passes on all but the last `keep` bytes and returns those (all that
    /// was written, if less).
    fn finish(mut self) -> std::io::Result<Vec<u8>> {
        let n = self.tail.len().saturating_sub(self.keep);
        self.w.write_all(&self.tail[..n])?;
        self.tail.drain(..n);
        Ok(self.tail)
    }
}

impl<W: std::io::Write> std::io::Write for HoldBack<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tail.extend_from_slice(buf);
        if self.tail.len() >= (64 << 10) + self.keep {
            let n = self.tail.len() - self.keep;
            self.w.write_all(&self.tail[..n])?;
            self.tail.drain(..n);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `project` as RON text to `w`.
pub fn write<W: std::io::Write>(project: &Project, mut w: W) -> Result<()> {
    let fail =
        |e: &dyn std::fmt::Display| Error::invalid(format!("could not write the project: {e}"));
    let a = &project.accounts;
    let pins = other_pins(project);
    let file = file_out(project, &pins, false);
    // Depth 2: the top-level fields are indented, and each territory and
    // each account stays on one line.
    let cfg = ron::ser::PrettyConfig::new()
        .depth_limit(2)
        .struct_names(false)
        .indentor("  ");
    // The header goes straight to the file (a plan of 100k territories
    // would otherwise be held twice more: as text and as that text's
    // copy), all but its empty account list, which the lines replace.
    let mut held = HoldBack::new(&mut w, HEADER_END.len());
    ron_options()
        .to_io_writer_pretty(&mut held, &file, cfg.clone())
        .map_err(|e| fail(&e))?;
    drop(file);
    if held.finish().map_err(|e| fail(&e))? != HEADER_END.as_bytes() {
        return Err(fail(&"unexpected layout of the file header"));
    }
    if a.live_count() == 0 {
        return w.write_all(b"  accounts: [],\n)\n").map_err(|e| fail(&e));
    }
    w.write_all(b"  accounts: [\n").map_err(|e| fail(&e))?;
    // The account lines are formatted in parallel, in chunks so memory
    // stays bounded, in exactly the layout RON's pretty printer gives them.
    let line_cfg = cfg.depth_limit(0);
    let live: Vec<usize> = a.live().collect();
    for chunk in live.chunks(65536) {
        let parts: Vec<std::result::Result<String, String>> = chunk
            .par_chunks(4096)
            .map(|ix| {
                let mut out = String::with_capacity(ix.len() * 200);
                for &i in ix {
                    out.push_str("    ");
                    let line = ron::Options::default()
                        .to_string_pretty(&AccountOut(a, i, &pins), line_cfg.clone())
                        .map_err(|e| e.to_string())?;
                    out.push_str(&line);
                    out.push_str(",\n");
                }
                Ok(out)
            })
            .collect();
        for p in parts {
            w.write_all(p.map_err(|e| fail(&e))?.as_bytes())
                .map_err(|e| fail(&e))?;
        }
    }
    w.write_all(b"  ],\n)").map_err(|e| fail(&e))
}

/// Saves `project` to `path` atomically (temp file + rename; see
/// [`crate::core::fs`]).
pub fn save(project: &Project, path: &Path) -> Result<()> {
    save_with(project, path, WriteOptions::default()).map(|_| ())
}

/// [`save`] with `opts`: refuses a read-only file unless forced, and a
/// file that is no longer what was read ([`load_tracked`]) when
/// `opts.expect` is set. Returns the fingerprint of what was written
/// (`None` when `path` is not a regular file). A big plan also gets its
/// plan cache next to the file (see [`cache_path`]).
pub fn save_with(
    project: &Project,
    path: &Path,
    opts: WriteOptions,
) -> Result<Option<Fingerprint>> {
    let written = save_uncached(project, path, opts)?;
    if let Some(fingerprint) = written {
        sidecar::store(path, project, fingerprint, sidecar::MIN_BYTES);
    }
    Ok(written)
}

/// Writes the plan cache of `project`, which is what the file at `path`
/// holds, whatever its size (saves and loads write one for big plans
/// only); whether it was written.
pub fn store_cache(project: &Project, path: &Path) -> bool {
    Fingerprint::of_file(path).is_ok_and(|fp| sidecar::store(path, project, fp, 0))
}

/// [`save_with`] without the plan cache: for copies that are written
/// often and rarely read, such as recovery files.
pub fn save_uncached(
    project: &Project,
    path: &Path,
    opts: WriteOptions,
) -> Result<Option<Fingerprint>> {
    write_file_with(path, opts, |w| {
        write(project, &mut *w).map_err(|e| match e {
            Error::Invalid(m) => Error::Project {
                path: path.to_owned(),
                message: m,
            },
            e => e,
        })
    })
}

/// Reads a project from RON text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Project> {
    // Editors on Windows like to start UTF-8 text with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |message: String| Error::Project {
        path: path.to_owned(),
        message,
    };
    // Look at the version before parsing the rest, so a file from a newer
    // Turfmap gets a clear message rather than a confusing syntax error.
    if let Some(v) = peek_version(text)
        && v > FORMAT_VERSION
    {
        return Err(err(format!(
            "this project was saved in format version {v}, but this Turfmap reads up to version {FORMAT_VERSION}; update Turfmap to open it"
        )));
    }
    let (f, table) = parse_file(text).map_err(err)?;
    project_from(f, table).map_err(err)
}

/// Builds the project from the parsed file, checking what a hand edit can
/// break; the error is the message for [`Error::Project`].
fn project_from(f: FileIn, table: AccountTable) -> std::result::Result<Project, String> {
    if f.format != FORMAT_TAG {
        return Err(format!("not a Turfmap project (format '{}')", f.format));
    }
    f.travel.validate()?;
    if f.version > FORMAT_VERSION {
        return Err(format!(
            "format version {} is newer than this Turfmap understands ({FORMAT_VERSION}); update Turfmap",
            f.version
        ));
    }
    f.settings.check().map_err(|m| format!("settings: {m}"))?;
    let (mut accounts, stored_pins) = accounts_from(&f.measures, &f.attributes, table)?;
    apply_postal_groups(&mut accounts, f.postal)?;
    let mut reps = f.reps;
    let active = ScenarioId(f.active_scenario);
    let mut scenarios = scenarios_from(f.scenarios, active)?;
    let mut types = f.types;
    if types.is_empty() {
        types.push(TerritoryType {
            id: TerritoryTypeId(0),
            name: "Geographic".into(),
            priority: 0,
        });
    }
    let (mut territories, max_id) =
        place_territories(f.territories, &mut reps, &types, &mut scenarios, active)?;
    let n = accounts.len();
    for (i, s, t) in stored_pins {
        if ScenarioId(s) == active {
            accounts.pins.insert(i, TerritoryId(t));
        } else if let Some(p) = scenarios
            .iter_mut()
            .find(|x| x.id == ScenarioId(s))
            .and_then(|x| x.stored.as_mut())
        {
            p.pins.resize(n);
            p.pins.insert(i, TerritoryId(t));
        }
    }
    let rep_ids: HashSet<RepId> = reps.iter().map(|r| r.id).collect();
    tidy_plan(&mut territories, &mut accounts.pins, "active", &rep_ids)?;
    for s in &mut scenarios {
        if let Some(p) = s.stored.as_mut() {
            tidy_plan(&mut p.territories, &mut p.pins, &s.name, &rep_ids)?;
        }
    }
    Ok(Project {
        name: f.name,
        accounts,
        territories,
        next_territory_id: f.next_territory_id.max(max_id),
        settings: f.settings,
        travel: f.travel,
        types,
        reps,
        scenarios,
        active_scenario: active,
        workload_measure: f.workload_measure,
    })
}

/// A pin of another scenario than the active one: (account, scenario,
/// territory), placed once the scenarios exist.
type StoredPin = (usize, u32, u32);

/// The accounts of the file's table, and the pins it holds for scenarios
/// other than the active one.
fn accounts_from(
    measures: &[String],
    attributes: &[String],
    table: AccountTable,
) -> std::result::Result<(Accounts, Vec<StoredPin>), String> {
    let mut accounts = Accounts::with_schema(measures, attributes);
    let (nm, na) = (measures.len(), attributes.len());
    if let Some((prev, k)) = table.first_duplicate() {
        return Err(format!(
            "duplicate account id '{}' (accounts {} and {})",
            table.ids[k],
            prev + 1,
            k + 1
        ));
    }
    if let Some((k, m, a)) = table.misfit(nm, na) {
        return Err(format!(
            "account {} ('{}') has {m} measures and {a} attributes, expected {nm} and {na}",
            k + 1,
            table.ids[k],
        ));
    }
    let n = table.len();
    accounts.ids = table.ids.into();
    accounts.names = table.names.into();
    accounts.lon = table.lon;
    accounts.lat = table.lat;
    accounts.source = table.source;
    accounts.removed = vec![false; n];
    for (col, values) in accounts.measures.iter_mut().zip(table.measures) {
        col.values = values;
    }
    for (col, mut read) in accounts.attributes.iter_mut().zip(table.attributes) {
        read.name = std::mem::take(&mut col.name);
        *col = read;
    }
    let mut stored_pins: Vec<StoredPin> = Vec::new();
    for (i, (pinned, others)) in table.pins.into_iter().enumerate() {
        accounts.pins.push(pinned.map(TerritoryId));
        stored_pins.extend(others.into_iter().map(|(s, t)| (i, s, t)));
    }
    Ok((accounts, stored_pins))
}

/// The scenarios of the file (one "Plan" if it has none); every one but
/// the active one gets an empty stored plan to fill.
fn scenarios_from(
    dtos: Vec<ScenarioDto>,
    active: ScenarioId,
) -> std::result::Result<Vec<Scenario>, String> {
    let mut scenarios: Vec<Scenario> = dtos
        .into_iter()
        .map(|s| Scenario {
            id: ScenarioId(s.id),
            name: s.name,
            state: s.state,
            stored: (ScenarioId(s.id) != active).then(StoredPlan::default),
        })
        .collect();
    if scenarios.is_empty() {
        scenarios.push(Scenario {
            id: active,
            name: "Plan".into(),
            state: ScenarioState::Planning,
            stored: None,
        });
    }
    if !scenarios.iter().any(|s| s.id == active) {
        return Err(format!(
            "the active scenario {} is not in the file",
            active.0
        ));
    }
    Ok(scenarios)
}

/// Puts each territory of the file into its scenario: the active one's are
/// returned, the others' go to their stored plans. Also returns one more
/// than the highest territory id.
fn place_territories(
    dtos: Vec<TerritoryDto>,
    reps: &mut Vec<Rep>,
    types: &[TerritoryType],
    scenarios: &mut [Scenario],
    active: ScenarioId,
) -> std::result::Result<(Vec<Territory>, u32), String> {
    let mut territories: Vec<Territory> = Vec::new();
    let mut max_id = 0;
    for d in dtos {
        let scen = ScenarioId(d.scenario);
        let t = territory_from(d, reps);
        max_id = max_id.max(t.id.0 + 1);
        if !types.iter().any(|ty| ty.id == t.type_id) {
            return Err(format!(
                "territory '{}' has territory type {}, which is not in the file",
                t.name, t.type_id.0
            ));
        }
        if scen == active {
            territories.push(t);
        } else {
            let Some(stored) = scenarios
                .iter_mut()
                .find(|s| s.id == scen)
                .and_then(|s| s.stored.as_mut())
            else {
                return Err(format!(
                    "territory '{}' belongs to scenario {}, which is not in the file",
                    t.name, scen.0
                ));
            };
            stored.territories.push(t);
        }
    }
    Ok((territories, max_id))
}

/// Checks one scenario's plan and drops what a hand edit left dangling:
/// two territories with one id are an error; unknown reps, parents of
/// another type, parent cycles, pins to missing territories and second pins
/// in one type are dropped.
fn tidy_plan(
    ts: &mut [Territory],
    pins: &mut Pins,
    scen: &str,
    rep_ids: &HashSet<RepId>,
) -> std::result::Result<(), String> {
    let mut ids = HashSet::new();
    for t in ts.iter() {
        if !ids.insert(t.id) {
            return Err(format!(
                "two territories of scenario '{scen}' have id {}",
                t.id.0
            ));
        }
    }
    let types_of: HashMap<TerritoryId, TerritoryTypeId> =
        ts.iter().map(|t| (t.id, t.type_id)).collect();
    for t in ts.iter_mut() {
        // Dangling references are dropped, not fatal.
        t.reps.retain(|r| rep_ids.contains(r));
        if t.parent
            .is_some_and(|p| types_of.get(&p) != Some(&t.type_id))
        {
            t.parent = None;
        }
    }
    break_cycles(ts);
    // Pins to territories that are not in the file are dropped too,
    // and so is any second pin of an account in one type (the lowest
    // territory id stays, as the engine would pick it).
    let mut seen_types: Vec<TerritoryTypeId> = Vec::new();
    let mut last = usize::MAX;
    pins.retain_all(|i, t| {
        if i != last {
            seen_types.clear();
            last = i;
        }
        match types_of.get(&t) {
            Some(ty) if !seen_types.contains(ty) => {
                seen_types.push(*ty);
                true
            }
            _ => false,
        }
    });
    Ok(())
}

/// Cuts parent links that close a cycle (only a hand-edited file has one).
fn break_cycles(ts: &mut [Territory]) {
    let mut parent: HashMap<TerritoryId, Option<TerritoryId>> =
        ts.iter().map(|t| (t.id, t.parent)).collect();
    for t in ts.iter_mut() {
        let mut at = t.parent;
        let mut steps = 0;
        while let Some(p) = at {
            if p == t.id {
                t.parent = None;
                parent.insert(t.id, None);
                break;
            }
            steps += 1;
            if steps > parent.len() {
                break;
            }
            at = parent.get(&p).copied().flatten();
        }
    }
}

/// Parses the file. Files as this module writes them (one account per line,
/// accounts last) take a fast path that reads the account lines in
/// parallel, alongside the header — a single RON parse of a million
/// accounts is many times slower; anything else (hand-edited layout) goes
/// through one plain parse.
fn parse_file(text: &str) -> std::result::Result<(FileIn, AccountTable), String> {
    const OPEN: &str = "\n  accounts: [\n";
    const CLOSE: &str = "\n  ],\n)";
    let bad = |e: ron::error::SpannedError| format!("not a valid Turfmap project: {e}");
    // The header is short and `accounts` is its last field: search forward
    // for where the accounts start, backward for where they end.
    let split = text.find(OPEN).and_then(|start| {
        let body_start = start + OPEN.len();
        let end = text.rfind(CLOSE)?;
        (end + 1 >= body_start && text[end + CLOSE.len()..].trim().is_empty())
            .then(|| (start, body_start, end + 1))
    });
    let Some((start, body_start, body_end)) = split else {
        let mut f: FileIn = ron_options().from_str(text).map_err(bad)?;
        let table = AccountTable::from_dtos(std::mem::take(&mut f.accounts));
        return Ok((f, table));
    };
    let (header, table) = rayon::join(
        || {
            let header = format!("{}\n  accounts: [],\n)\n", &text[..start]);
            ron_options().from_str::<FileIn>(&header).map_err(bad)
        },
        || accounts_in::read_lines(text, body_start, body_end),
    );
    // An error in the header comes first: it is earlier in the file.
    Ok((header?, table?))
}

/// Loads a project file.
pub fn load(path: &Path) -> Result<Project> {
    load_tracked(path).map(|(p, _)| p)
}

/// The plan cache of the project file `path`: `.NAME.cache` next to it,
/// a binary copy of a big plan that loads several times faster. The
/// project file stays the plan; the cache is used only while the file's
/// content hash still matches it, and may be deleted at any time.
pub fn cache_path(path: &Path) -> Option<std::path::PathBuf> {
    sidecar::path_for(path)
}

/// Loads a project file and tells what it held, so that a later save can
/// refuse to overwrite someone else's changes ([`save_with`]). A valid plan
/// cache ([`cache_path`]) is read instead of the RON text; a big plan read
/// from its text gets one.
pub fn load_tracked(path: &Path) -> Result<(Project, Fingerprint)> {
    load_tracked_with(path, sidecar::MIN_BYTES)
}

/// [`load_tracked`], writing a cache for files of `cache_min` bytes or more.
fn load_tracked_with(path: &Path, cache_min: u64) -> Result<(Project, Fingerprint)> {
    if let Some(hit) = sidecar::load(path) {
        return Ok(hit);
    }
    let (project, fingerprint) = load_text(path)?;
    let _ = sidecar::store(path, &project, fingerprint, cache_min);
    Ok((project, fingerprint))
}

/// The plan from its cache alone; `None` when there is no valid cache
/// (for benchmarks and checks: [`load`] falls back to the text itself).
pub fn load_cached(path: &Path) -> Option<Project> {
    sidecar::load(path).map(|(p, _)| p)
}

/// Loads a project file from its RON text only, neither reading nor
/// writing the plan cache (what every load did before the cache; for
/// benchmarks and checks).
pub fn load_uncached(path: &Path) -> Result<Project> {
    load_text(path).map(|(p, _)| p)
}

/// Loads a project file from its RON text.
fn load_text(path: &Path) -> Result<(Project, Fingerprint)> {
    let bytes = read_bytes(path).map_err(|e| Error::io(path, e))?;
    let (fingerprint, project) = rayon::join(
        || Fingerprint::of_bytes(&bytes),
        || parse_bytes(&bytes, path),
    );
    // Handing a big file's text back to the system takes a while: do it off
    // the caller's thread (or here, if no thread can be started).
    if bytes.len() > 1 << 24 {
        let _ = std::thread::Builder::new()
            .name("turfmap-free".into())
            .spawn(move || drop(bytes));
    }
    project.map(|p| (p, fingerprint))
}

/// Parses the bytes of a project file.
fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Project> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let bad = &bytes[..e.valid_up_to()];
        Error::Project {
            path: path.to_owned(),
            message: format!(
                "not a valid Turfmap project: line {} is not UTF-8 text",
                bad.iter().filter(|&&b| b == b'\n').count() + 1
            ),
        }
    })?;
    parse(text, path)
}

/// The bytes of a file. A big one is read in parallel parts, so that
/// copying it from the system's cache into memory is shared by the cores.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::io::{Read, Seek};
        use std::os::unix::fs::FileExt;
        const PART: usize = 1 << 23;
        let mut file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(0);
        if len > 2 * PART {
            let mut buf = vec![0u8; len];
            let read = buf
                .par_chunks_mut(PART)
                .enumerate()
                .try_for_each(|(k, part)| file.read_exact_at(part, (k * PART) as u64));
            // A file that shrank meanwhile is read again, in one go below.
            if read.is_ok() {
                // …and one that grew, to its new end.
                file.seek(std::io::SeekFrom::Start(len as u64))?;
                file.read_to_end(&mut buf)?;
                return Ok(buf);
            }
        }
    }
    std::fs::read(path)
}

fn peek_version(text: &str) -> Option<u32> {
    let head = &text[..text.len().min(4096)];
    let at = head.find("version:")? + "version:".len();
    let digits: String = head[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, BalanceMeasure};
    use geo::polygon;

    fn small() -> Project {
        let mut p = Project::new("Test \"plan\"");
        p.accounts =
            Accounts::with_schema(&["revenue".into(), "hours".into()], &["industry".into()]);
        for i in 0..5 {
            p.accounts.push(&AccountRow {
                id: format!("A{i}"),
                name: format!("Acme, {i} \"quoted\"\nline"),
                location: (i != 3).then_some((-100.0 + i as f64 * 0.1, 40.0 + 1.0 / 3.0)),
                source: LocationSource::Coordinates,
                measures: vec![1234.5 + i as f64, if i == 2 { f64::NAN } else { 0.1 }],
                attributes: vec![if i % 2 == 0 {
                    "Tech".into()
                } else {
                    String::new()
                }],
                pins: Vec::new(),
            });
        }
        let t = p.add_territory(
            "West",
            MultiPolygon(vec![polygon![(x: -101.0, y: 39.0), (x: -99.0, y: 39.0), (x: -99.0, y: 41.0), (x: -101.0, y: 41.0)]]),
        );
        p.accounts.pins.insert(4, t);
        p.settings.balance = BalanceMeasure::Measure("revenue".into());
        p
    }

    fn text(p: &Project) -> String {
        let mut buf = Vec::new();
        write(p, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn load_save_load_round_trips_exactly() {
        let p = small();
        let t1 = text(&p);
        let p2 = parse(&t1, Path::new("x.turf")).unwrap();
        let t2 = text(&p2);
        assert_eq!(t1, t2);
        assert_eq!(p2.accounts.ids, p.accounts.ids);
        assert_eq!(p2.accounts.names, p.accounts.names);
        assert_eq!(p2.accounts.pins, p.accounts.pins);
        assert!(p2.accounts.measures[1].values[2].is_nan());
        assert!(!p2.accounts.is_located(3));
        assert_eq!(p2.territories, p.territories);
        assert_eq!(p2.settings, p.settings);
    }

    #[test]
    fn plain_ron_parse_reads_what_the_fast_writer_writes() {
        let p = small();
        let t = text(&p);
        let plain: FileIn = ron::Options::default().from_str(&t).unwrap();
        assert_eq!(plain.accounts.len(), 5);
        let (_, fast) = parse_file(&t).unwrap();
        assert_eq!(
            accounts_in::fingerprint(&AccountTable::from_dtos(plain.accounts)),
            accounts_in::fingerprint(&fast)
        );
        // The whole file laid out by RON's own pretty printer is identical.
        let pins = other_pins(&p);
        let file = file_out(&p, &pins, true);
        let cfg = ron::ser::PrettyConfig::new()
            .depth_limit(2)
            .struct_names(false)
            .indentor("  ");
        let reference = ron::Options::default()
            .to_string_pretty(&file, cfg)
            .unwrap();
        assert_eq!(t, reference);
    }

    #[test]
    fn one_account_per_line() {
        let t = text(&small());
        let lines: Vec<&str> = t
            .lines()
            .filter(|l| l.trim_start().starts_with("(\"A"))
            .collect();
        assert_eq!(lines.len(), 5, "{t}");
    }

    /// Equality but for the accounts' measures (NaN ≠ NaN).
    fn same_plan(a: &Project, b: &Project) {
        assert_eq!(a.territories, b.territories);
        assert_eq!(a.scenarios, b.scenarios);
        assert_eq!(a.active_scenario, b.active_scenario);
        assert_eq!(a.types, b.types);
        assert_eq!(a.reps, b.reps);
        assert_eq!(a.accounts.pins, b.accounts.pins);
        assert_eq!(a.accounts.ids, b.accounts.ids);
        assert_eq!(a.settings, b.settings);
        assert_eq!(a.next_territory_id, b.next_territory_id);
    }

    const V1: &str = r#"(
  format: "turfmap-project",
  version: 1,
  name: "Old",
  settings: (balance: Measure("revenue"), tolerance_pct: 5.0),
  next_territory_id: 2,
  measures: ["revenue"],
  attributes: ["industry"],
  territories: [
    (id: 0, name: "West", color: (1, 2, 3), priority: 0, rep: Some("Kim"), locked: false, polygons: [[[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]]),
    (id: 1, name: "East", color: (4, 5, 6), priority: 1, rep: None, locked: true, polygons: []),
  ],
  accounts: [
    ("A0", "Acme", Some((0.5, 0.2)), Coordinates, None, [10.0], ["Tech"]),
    ("A1", "Bolt", None, Unlocated, Some(1), [NaN], [""]),
  ],
)
"#;

    #[test]
    fn version_1_files_still_load() {
        let p = parse(V1, Path::new("old.turf")).unwrap();
        assert_eq!(p.types.len(), 1);
        assert_eq!(p.types[0].name, "Geographic");
        assert_eq!(p.scenarios.len(), 1);
        assert_eq!(p.active().unwrap().name, "Plan");
        assert_eq!(p.reps.len(), 1);
        assert_eq!(p.rep_label(&p.territories[0]).as_deref(), Some("Kim"));
        assert!(p.territories[1].reps.is_empty() && p.territories[1].locked);
        assert_eq!(
            p.accounts.pins,
            Pins::from_single(vec![None, Some(TerritoryId(1))])
        );
        assert!(p.territories.iter().all(|t| t.type_id == p.primary_type()));
        // Saved in the current version and loaded again: identical.
        let t2 = text(&p);
        assert!(t2.contains(&format!("version: {FORMAT_VERSION}")), "{t2}");
        let p2 = parse(&t2, Path::new("x")).unwrap();
        same_plan(&p2, &p);
        assert_eq!(text(&p2), t2);
    }

    #[test]
    fn scenarios_types_reps_rules_round_trip() {
        use crate::core::model::{Capacity, Rep, Scenario, StoredPlan};
        use crate::core::rules::Rule;
        let mut p = small();
        let overlay = TerritoryTypeId(1);
        p.types.push(TerritoryType {
            id: overlay,
            name: "Healthcare".into(),
            priority: 5,
        });
        let mut kim = Rep::new(RepId(0), "Kim");
        kim.home = Some((-100.5, 40.25));
        kim.capacity = Some(Capacity::Hours(1600.0));
        kim.username = "kim@example.com".into();
        kim.role = "Owner".into();
        p.reps.push(kim);
        let region = p.add_territory("Region", MultiPolygon(vec![]));
        p.territory_mut(TerritoryId(0)).unwrap().parent = Some(region);
        p.territory_mut(TerritoryId(0)).unwrap().reps = vec![RepId(0)];
        let h = p.add_territory("Health", MultiPolygon(vec![]));
        let t = p.territory_mut(h).unwrap();
        t.type_id = overlay;
        t.rule = Some(Box::new(
            Rule::parse("industry = Tech AND revenue >= 1000").unwrap(),
        ));
        let mut other = p.territories.clone();
        other[0].name = "West 2".into();
        let mut pins = Pins::unpinned(5);
        pins.insert(1, TerritoryId(0));
        pins.insert(4, h);
        // Pinned in both types in the stored scenario and the active one.
        pins.insert(3, TerritoryId(0));
        pins.insert(3, h);
        p.accounts.pins.insert(2, TerritoryId(0));
        p.accounts.pins.insert(2, h);
        p.scenarios.push(Scenario {
            id: ScenarioId(1),
            name: "Next year".into(),
            state: ScenarioState::Archived,
            stored: Some(StoredPlan {
                territories: other,
                pins,
            }),
        });
        let t1 = text(&p);
        let p2 = parse(&t1, Path::new("x")).unwrap();
        same_plan(&p2, &p);
        assert_eq!(
            p2.accounts.pins.of(2).collect::<Vec<_>>(),
            [TerritoryId(0), h]
        );
        assert_eq!(text(&p2), t1);
        // Still one territory and one account per line.
        assert_eq!(t1.lines().filter(|l| l.contains("name: \"West")).count(), 2);
        assert!(t1.contains("[(1, 0)]"), "{t1}");
    }

    #[test]
    fn newer_version_is_a_clear_error() {
        let t = text(&small()).replacen(&format!("version: {FORMAT_VERSION}"), "version: 99", 1);
        let e = parse(&t, Path::new("new.turf")).unwrap_err().to_string();
        assert!(
            e.contains("new.turf") && e.contains("version 99") && e.contains("update Turfmap"),
            "{e}"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let e = parse(
            "(format: \"turfmap-project\", version: 1, name: ",
            Path::new("bad.turf"),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad.turf: not a valid Turfmap project"),
            "{e}"
        );
    }

    #[test]
    fn postal_matches_and_default_country_round_trip() {
        use crate::core::geocode::{Country, PostalMatch, Precision};
        let mut p = small();
        let gb = PostalMatch {
            country: Country::GB,
            precision: Precision::PostalSector,
        };
        // A US plan's file is unchanged: no postal line, no country.
        let us_text = text(&p);
        assert!(!us_text.contains("postal:"), "{us_text}");
        assert!(!us_text.contains("default_country"), "{us_text}");
        for i in [0, 2, 4] {
            p.accounts.source[i] = LocationSource::PostalCode;
        }
        p.accounts.removed[1] = true;
        p.accounts.set_postal_match(2, Some(gb));
        p.accounts.set_postal_match(4, Some(gb));
        p.settings.default_country = Country::DE;
        let t = text(&p);
        let p2 = parse(&t, Path::new("x.turf")).unwrap();
        // Positions shift past the removed account; account 0 keeps the
        // pre-country default (US ZIP).
        let a = &p2.accounts;
        let by_id = |id: &str| a.postal_match(a.find_id(id).unwrap());
        assert_eq!(by_id("A2"), Some(gb));
        assert_eq!(by_id("A4"), Some(gb));
        assert_eq!(by_id("A0"), Some(PostalMatch::US_ZIP));
        assert_eq!(by_id("A3"), None);
        assert_eq!(p2.settings.default_country, Country::DE);
        assert_eq!(text(&p2), t);
        // Files without a country (all older ones) load as US plans.
        let us = parse(&us_text, Path::new("o")).unwrap();
        assert_eq!(us.settings.default_country, Country::US);
        // A group naming an account the file lacks is a clear error.
        let bad = t.replacen("accounts: [1, 3]", "accounts: [1, 30]", 1);
        assert_ne!(bad, t, "{t}");
        let e = parse(&bad, Path::new("b.turf")).unwrap_err().to_string();
        assert!(e.contains("postal: account 31"), "{e}");
    }

    #[test]
    fn removed_accounts_are_not_saved() {
        let mut p = small();
        p.accounts.removed[1] = true;
        let p2 = parse(&text(&p), Path::new("x")).unwrap();
        assert_eq!(p2.accounts.len(), 4);
        assert!(p2.accounts.find_id("A1").is_none());
    }

    #[test]
    fn big_files_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        // Several parallel parts and a short last one.
        let bytes: Vec<u8> = (0..(5 << 22) + 12345)
            .map(|i: usize| (i * 31 % 251) as u8)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_bytes(&path).unwrap() == bytes);
        let e = read_bytes(&dir.path().join("missing.turf")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn non_utf8_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.turf");
        let mut bytes = text(&small()).into_bytes();
        let at = bytes.iter().position(|&b| b == b'A').unwrap();
        bytes[at] = 0xC9; // 'É' in Latin-1
        std::fs::write(&path, &bytes).unwrap();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.ends_with(&format!(
                "latin1.turf: not a valid Turfmap project: line {line} is not UTF-8 text"
            )),
            "{e}"
        );
    }

    /// A plan with what the cache must carry: scenarios, pins in two
    /// types, postal groups, removed and unlocated accounts, NaN.
    fn rich() -> Project {
        use crate::core::geocode::{Country, PostalMatch, Precision};
        let mut p = small();
        let h = p.add_territory("Health", MultiPolygon(vec![]));
        p.territory_mut(h).unwrap().type_id = TerritoryTypeId(1);
        p.types.push(TerritoryType {
            id: TerritoryTypeId(1),
            name: "Healthcare".into(),
            priority: 2,
        });
        p.accounts.pins.insert(4, h);
        p.accounts.source[2] = LocationSource::PostalCode;
        p.accounts.set_postal_match(
            2,
            Some(PostalMatch {
                country: Country::GB,
                precision: Precision::PostalSector,
            }),
        );
        // A dictionary value only the removed account used.
        p.accounts.attributes[0].codes[1] = p.accounts.attributes[0].code_of("Gone");
        p.accounts.removed[1] = true;
        p
    }

    /// Saves `p` to `dir/plan.turf` and loads it once (writing the cache).
    fn saved(dir: &Path, p: &Project) -> std::path::PathBuf {
        let path = dir.join("plan.turf");
        save(p, &path).unwrap();
        load_tracked_with(&path, 0).unwrap();
        path
    }

    #[test]
    fn cache_loads_the_same_project_as_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = rich();
        let path = saved(dir.path(), &p);
        let cache = cache_path(&path).unwrap();
        assert!(cache.is_file(), "no cache written");
        let (from_text, fp_text) = load_text(&path).unwrap();
        let (from_cache, fp_cache) = sidecar::load(&path).expect("the cache is used");
        assert_eq!(fp_text, fp_cache);
        assert_eq!(text(&from_cache), text(&from_text));
        same_plan(&from_cache, &from_text);
        assert_eq!(from_cache.accounts.names, from_text.accounts.names);
        assert_eq!(
            from_cache.accounts.attributes,
            from_text.accounts.attributes
        );
        assert_eq!(from_cache.accounts.postal, from_text.accounts.postal);
        assert_eq!(from_cache.accounts.source, from_text.accounts.source);
    }

    /// The header writer passes on every byte but the held-back end, in
    /// order, whatever the sizes of the writes.
    #[test]
    fn hold_back_passes_all_but_the_end_in_order() {
        use std::io::Write;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for step in [1, 17, 4096, 70_000, 300_000] {
            let mut out = Vec::new();
            let mut held = HoldBack::new(&mut out, 16);
            for part in data.chunks(step) {
                held.write_all(part).unwrap();
            }
            let tail = held.finish().unwrap();
            assert_eq!(tail, &data[data.len() - 16..]);
            assert_eq!(out, &data[..data.len() - 16], "step {step}");
        }
        let mut out = Vec::new();
        let mut held = HoldBack::new(&mut out, 16);
        held.write_all(b"short").unwrap();
        assert_eq!(held.finish().unwrap(), b"short");
        assert!(out.is_empty());
    }

    /// A cache of several megabytes (written out a megabyte at a time, its
    /// length and hash filled in at the end) loads the same plan as the
    /// text, and damage in its last chunk is caught by the hash.
    #[test]
    fn a_cache_streamed_in_many_chunks_loads_the_same_plan() {
        let dir = tempfile::tempdir().unwrap();
        let p = crate::core::synth::synthetic_plan(40_000, 50, 3);
        let path = saved(dir.path(), &p);
        let cache = cache_path(&path).unwrap();
        let bytes = std::fs::read(&cache).unwrap();
        assert!(bytes.len() > 3 << 20, "only {} bytes", bytes.len());
        let (from_text, _) = load_text(&path).unwrap();
        let (from_cache, _) = sidecar::load(&path).expect("the cache is used");
        assert_eq!(text(&from_cache), text(&from_text));
        same_plan(&from_cache, &from_text);
        let mut damaged = bytes.clone();
        let at = damaged.len() - 100;
        damaged[at] ^= 0x10;
        std::fs::write(&cache, &damaged).unwrap();
        assert!(sidecar::load(&path).is_none());
    }

    /// Puts a cache of `other` next to `path`, made for `path`'s content:
    /// a load that returns `other` read the cache.
    fn plant(path: &Path, other: &Project) {
        let fp = Fingerprint::of_file(path).unwrap();
        assert!(sidecar::store(path, other, fp, 0));
    }

    fn planted() -> Project {
        let mut other = rich();
        other.name = "from the cache".into();
        other
    }

    #[test]
    fn valid_cache_is_read_instead_of_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = saved(dir.path(), &small());
        plant(&path, &planted());
        assert_eq!(load(&path).unwrap().name, "from the cache");
    }

    #[test]
    fn cache_of_a_changed_file_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = saved(dir.path(), &small());
        plant(&path, &planted());
        // Same length, other content: only the hash tells.
        let t = std::fs::read_to_string(&path)
            .unwrap()
            .replacen("West", "Wxst", 1);
        std::fs::write(&path, &t).unwrap();
        let p = load_tracked_with(&path, 0).unwrap().0;
        assert_eq!(p.name, small().name);
        assert_eq!(p.territories[0].name, "Wxst");
        // The stale cache was replaced by one of the file as it is now.
        assert_eq!(sidecar::load(&path).unwrap().0.territories[0].name, "Wxst");
    }

    #[test]
    fn damaged_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = saved(dir.path(), &small());
        plant(&path, &planted());
        let cache = cache_path(&path).unwrap();
        let good = std::fs::read(&cache).unwrap();
        let mut flipped = good.clone();
        let at = flipped.len() - 20;
        flipped[at] ^= 0x40;
        let truncated = &good[..good.len() - 7];
        let mut other_build = good.clone();
        other_build[16] ^= 1; // the cache layout version
        for bad in [&flipped[..], truncated, &other_build[..], b"", &good[..10]] {
            std::fs::write(&cache, bad).unwrap();
            assert!(sidecar::load(&path).is_none());
            assert_eq!(load(&path).unwrap().name, small().name);
        }
    }

    #[test]
    fn foreign_file_at_the_cache_path_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.turf");
        save(&small(), &path).unwrap();
        let cache = cache_path(&path).unwrap();
        std::fs::write(&cache, "someone else's notes").unwrap();
        assert_eq!(load_tracked_with(&path, 0).unwrap().0.name, small().name);
        assert_eq!(
            std::fs::read_to_string(&cache).unwrap(),
            "someone else's notes"
        );
    }

    #[test]
    fn small_plans_get_no_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.turf");
        save(&small(), &path).unwrap();
        load(&path).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["plan.turf"]);
    }

    #[test]
    fn unwritable_cache_path_is_skipped_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.turf");
        save(&small(), &path).unwrap();
        // A folder where the cache would go: no cache, no error.
        let cache = cache_path(&path).unwrap();
        std::fs::create_dir(&cache).unwrap();
        assert_eq!(load_tracked_with(&path, 0).unwrap().0.name, small().name);
        assert!(cache.is_dir());
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    }

    #[test]
    fn failed_save_keeps_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.turf");
        save(&small(), &path).unwrap();
        let before = std::fs::read(&path).unwrap();
        // A project that cannot be written (a read-only directory would be
        // platform-specific): simulate by saving into a path whose parent is
        // a file.
        let bad = path.join("child.turf");
        assert!(save(&small(), &bad).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(load(&path).unwrap().accounts.len(), 5);
    }
}
