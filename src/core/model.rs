//! The plan's data: accounts, territories and settings.
//!
//! Accounts are stored column by column ([`Accounts`]): the engine and the
//! metrics walk one or two columns of a million rows, which is several times
//! faster than walking a million row structs, and text attributes are
//! dictionary-encoded because CRM exports repeat a few values (industry,
//! segment, state) over and over. Row positions ("account index") are stable
//! for the life of a [`Project`]: removing an account sets a tombstone
//! ([`Accounts::removed`]) so that undo, the engine's buckets and the metrics
//! never have to renumber anything. Tombstoned rows are dropped on save.

use std::collections::HashMap;

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::column::CowColumn;
use super::error::{Error, Result};
pub use super::geocode::{Country, PostalMatch};
pub use super::ids::{RepId, ScenarioId, TerritoryId, TerritoryTypeId};
use super::pins::Pins;
use super::rules::RuleData;
use super::rules::ast::Rule;

/// Where an account's coordinates came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum LocationSource {
    /// Latitude/longitude columns of the import.
    #[default]
    Coordinates,
    /// The centroid of its postal code in its country's table; which
    /// table and how precise: [`Accounts::postal_match`].
    PostalCode,
    /// No usable location: kept, reported, never assigned by geometry.
    Unlocated,
}

/// A dictionary-encoded text column (industry, segment, state, …).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttrColumn {
    /// Column name as in the import header.
    pub name: String,
    /// Per account: index into [`AttrColumn::dict`].
    pub codes: Vec<u32>,
    /// Distinct values; index 0 is always the empty string.
    pub dict: Vec<String>,
    lookup: HashMap<String, u32>,
}

impl AttrColumn {
    /// An empty column called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let mut col = Self {
            name: name.into(),
            codes: Vec::new(),
            dict: Vec::new(),
            lookup: HashMap::new(),
        };
        col.code_of("");
        col
    }

    /// The code of `value`, adding it to the dictionary if it is new.
    pub fn code_of(&mut self, value: &str) -> u32 {
        if let Some(&c) = self.lookup.get(value) {
            return c;
        }
        let c = self.dict.len() as u32;
        self.dict.push(value.to_owned());
        self.lookup.insert(value.to_owned(), c);
        c
    }

    /// The code of `value` if the dictionary has it.
    pub fn find(&self, value: &str) -> Option<u32> {
        self.lookup.get(value).copied()
    }

    /// Appends a value for a new account.
    pub fn push(&mut self, value: &str) {
        let c = self.code_of(value);
        self.codes.push(c);
    }

    /// The value of account `i`.
    pub fn get(&self, i: usize) -> &str {
        &self.dict[self.codes[i] as usize]
    }
}

/// A numeric column (revenue, potential, workload, …). `NaN` marks a
/// missing value, which counts as zero in sums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeasureColumn {
    /// Column name as in the import header.
    pub name: String,
    /// Per account value.
    pub values: Vec<f64>,
}

/// All accounts of a plan, column by column. See the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accounts {
    /// CRM id, unique among live accounts (shared between snapshots of
    /// the plan until changed: see [`CowColumn`]).
    pub ids: CowColumn<String>,
    /// Display name.
    pub names: CowColumn<String>,
    /// Longitude in degrees (WGS84); `NaN` when unlocated.
    pub lon: Vec<f64>,
    /// Latitude in degrees (WGS84); `NaN` when unlocated.
    pub lat: Vec<f64>,
    /// Where the location came from.
    pub source: Vec<LocationSource>,
    /// For accounts placed by postal code: the country table and precision
    /// that placed them. May be shorter than the table (a missing entry is
    /// `None`); read it with [`Accounts::postal_match`].
    pub postal: Vec<Option<PostalMatch>>,
    /// Manual overrides: the territories each account is pinned to, at
    /// most one per territory type.
    pub pins: Pins,
    /// Tombstone: the account was removed (kept so indices stay stable).
    pub removed: Vec<bool>,
    /// Numeric columns.
    pub measures: Vec<MeasureColumn>,
    /// Text columns.
    pub attributes: Vec<AttrColumn>,
}

/// What a territory's rule reads of the accounts (see [`super::rules`]).
impl RuleData for Accounts {
    fn attribute_index(&self, name: &str) -> Option<usize> {
        Accounts::attribute_index(self, name)
    }
    fn measure_index(&self, name: &str) -> Option<usize> {
        Accounts::measure_index(self, name)
    }
    fn column_names(&self) -> Vec<String> {
        let text = self.attributes.iter().map(|a| a.name.clone());
        text.chain(self.measures.iter().map(|m| m.name.clone()))
            .collect()
    }
    fn attribute_dict(&self, col: usize) -> &[String] {
        self.attributes.get(col).map_or(&[], |c| &c.dict)
    }
    fn attribute_code(&self, col: usize, i: usize) -> Option<u32> {
        self.attributes.get(col)?.codes.get(i).copied()
    }
    fn measure_value(&self, col: usize, i: usize) -> Option<f64> {
        self.measures.get(col)?.values.get(i).copied()
    }
    fn account_name(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }
    fn account_id(&self, i: usize) -> Option<&str> {
        self.ids.get(i).map(String::as_str)
    }
}

/// One account as a row, for building and reading [`Accounts`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    /// CRM id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `(lon, lat)` in degrees, `None` when unlocated.
    pub location: Option<(f64, f64)>,
    /// Where the location came from.
    pub source: LocationSource,
    /// Values in the order of [`Accounts::measures`].
    pub measures: Vec<f64>,
    /// Values in the order of [`Accounts::attributes`].
    pub attributes: Vec<String>,
    /// Manual overrides (at most one territory per type).
    #[serde(default)]
    pub pins: Vec<TerritoryId>,
}

impl Accounts {
    /// An empty table with the given measure and attribute columns.
    pub fn with_schema(measures: &[String], attributes: &[String]) -> Self {
        Self {
            measures: measures
                .iter()
                .map(|n| MeasureColumn {
                    name: n.clone(),
                    values: Vec::new(),
                })
                .collect(),
            attributes: attributes.iter().map(AttrColumn::new).collect(),
            ..Self::default()
        }
    }

    /// Number of rows, including removed ones.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of live (not removed) accounts.
    pub fn live_count(&self) -> usize {
        self.removed.iter().filter(|r| !**r).count()
    }

    /// Indices of live accounts in import order.
    pub fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(|&i| !self.removed[i])
    }

    /// True when account `i` has a usable location.
    pub fn is_located(&self, i: usize) -> bool {
        self.lon[i].is_finite() && self.lat[i].is_finite()
    }

    /// How account `i`'s postal code placed it; `None` unless it is placed
    /// by postal code. Plans saved before postal codes outside the US
    /// were read record nothing: their postal codes were US ZIPs.
    pub fn postal_match(&self, i: usize) -> Option<PostalMatch> {
        if self.source.get(i) != Some(&LocationSource::PostalCode) {
            return None;
        }
        Some(
            self.postal
                .get(i)
                .copied()
                .flatten()
                .unwrap_or(PostalMatch::US_ZIP),
        )
    }

    /// Records how account `i`'s postal code placed it.
    pub fn set_postal_match(&mut self, i: usize, m: Option<PostalMatch>) {
        if self.postal.len() <= i {
            if m.is_none() {
                return;
            }
            self.postal.resize(i + 1, None);
        }
        self.postal[i] = m;
    }

    /// Index of the measure column called `name` (case-insensitive).
    pub fn measure_index(&self, name: &str) -> Option<usize> {
        self.measures
            .iter()
            .position(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// The measure called `name` (case-insensitive) as a column index, or
    /// `None` for `count`; an unknown name is an error listing the
    /// measures there are.
    pub fn measure_or_count(&self, name: &str) -> Result<Option<usize>> {
        if name.eq_ignore_ascii_case("count") {
            return Ok(None);
        }
        self.measure_index(name).map(Some).ok_or_else(|| {
            Error::invalid(format!(
                "no measure called '{name}'; the plan has: count{}",
                self.measures
                    .iter()
                    .map(|m| format!(", {}", m.name))
                    .collect::<String>()
            ))
        })
    }

    /// Index of the attribute column called `name` (case-insensitive).
    pub fn attribute_index(&self, name: &str) -> Option<usize> {
        self.attributes
            .iter()
            .position(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Appends a row; `row.measures`/`row.attributes` must follow the schema.
    /// Returns the new account index.
    pub fn push(&mut self, row: &AccountRow) -> usize {
        debug_assert_eq!(row.measures.len(), self.measures.len());
        debug_assert_eq!(row.attributes.len(), self.attributes.len());
        let i = self.len();
        self.ids.push(row.id.clone());
        self.names.push(row.name.clone());
        let (lon, lat) = row.location.unwrap_or((f64::NAN, f64::NAN));
        self.lon.push(lon);
        self.lat.push(lat);
        self.source.push(if row.location.is_some() {
            row.source
        } else {
            LocationSource::Unlocated
        });
        self.pins.push(None);
        for &t in &row.pins {
            self.pins.insert(i, t);
        }
        self.removed.push(false);
        for (col, v) in self.measures.iter_mut().zip(&row.measures) {
            col.values.push(*v);
        }
        for (col, v) in self.attributes.iter_mut().zip(&row.attributes) {
            col.push(v);
        }
        i
    }

    /// Account `i` as a row.
    pub fn row(&self, i: usize) -> AccountRow {
        AccountRow {
            id: self.ids[i].clone(),
            name: self.names[i].clone(),
            location: self.is_located(i).then(|| (self.lon[i], self.lat[i])),
            source: self.source[i],
            measures: self.measures.iter().map(|m| m.values[i]).collect(),
            attributes: self
                .attributes
                .iter()
                .map(|a| a.get(i).to_owned())
                .collect(),
            pins: self.pins.of(i).collect(),
        }
    }

    /// Index of the live account with CRM id `id` (linear scan; build a map
    /// for bulk look-ups).
    pub fn find_id(&self, id: &str) -> Option<usize> {
        (0..self.len()).find(|&i| !self.removed[i] && self.ids[i] == id)
    }

    /// Value of measure `m` for account `i`, missing counted as zero.
    pub fn measure_or_zero(&self, m: usize, i: usize) -> f64 {
        let v = self.measures[m].values[i];
        if v.is_finite() { v } else { 0.0 }
    }
}

/// A sales territory.
///
/// Territories form a forest through [`Territory::parent`] (regions →
/// districts → territories, any depth, never a cycle); a parent and its
/// children always share one [`TerritoryType`]. Every type is assigned
/// separately: an account belongs to at most one territory per type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Territory {
    /// Stable id.
    pub id: TerritoryId,
    /// Display name, unique within the plan.
    pub name: String,
    /// Fill color (sRGB).
    pub color: [u8; 3],
    /// The user chose [`Territory::color`]: automatic recolouring (which
    /// keeps neighbours apart, see [`crate::core::colors`]) leaves it.
    #[serde(default)]
    pub color_picked: bool,
    /// Higher priority wins where territories overlap (and between matching
    /// rules); ties go to the lower id.
    pub priority: i32,
    /// The reps who work it (ids into [`Project::reps`]).
    #[serde(default)]
    pub reps: Vec<RepId>,
    /// A locked territory is not changed by any tool.
    pub locked: bool,
    /// Boundary in lon/lat degrees (WGS84). Empty for territories that only
    /// hold pinned or rule-matched accounts, and for pure roll-up parents.
    pub geometry: MultiPolygon<f64>,
    /// The territory above it in the hierarchy (`None` = a root).
    #[serde(default)]
    pub parent: Option<TerritoryId>,
    /// Its territory type (the plan's default type for old plans).
    #[serde(default)]
    pub type_id: TerritoryTypeId,
    /// Attribute assignment rule, if any (see [`crate::core::rules`]);
    /// boxed, as few territories have one: in place it took a third of
    /// every territory (184 bytes → 128).
    #[serde(default)]
    pub rule: Option<Box<Rule>>,
    /// Quota of its own accounts (for a parent: of the accounts it holds
    /// itself, beside its children's; see [`crate::core::quota`]).
    #[serde(default)]
    pub quota: Option<f64>,
}

impl Territory {
    /// A territory with default styling.
    pub fn new(id: TerritoryId, name: impl Into<String>, geometry: MultiPolygon<f64>) -> Self {
        Self {
            id,
            name: name.into(),
            color: palette_color(id.0 as usize),
            color_picked: false,
            priority: 0,
            reps: Vec::new(),
            locked: false,
            geometry,
            parent: None,
            type_id: TerritoryTypeId::default(),
            rule: None,
            quota: None,
        }
    }
}

/// The colour-blind-safe palette's main colours
/// ([`crate::core::palette::PALETTE`]), cycled by `i`: a territory's first
/// colour, before neighbours are kept apart.
pub fn palette_color(i: usize) -> [u8; 3] {
    use crate::core::palette::{MAIN, PALETTE};
    PALETTE[i % MAIN]
}

/// What "balance" is measured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum BalanceMeasure {
    /// Number of accounts.
    #[default]
    Count,
    /// Sum of the named measure column.
    Measure(String),
}

impl std::fmt::Display for BalanceMeasure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count => f.write_str("count"),
            Self::Measure(m) => f.write_str(m),
        }
    }
}

/// Plan-wide settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// The measure that balance is judged on.
    pub balance: BalanceMeasure,
    /// Acceptable deviation from the mean, in percent (±).
    pub tolerance_pct: f64,
    /// Access levels written on every territory of a Salesforce export.
    #[serde(default, skip_serializing_if = "SalesforceAccess::is_unset")]
    pub salesforce: SalesforceAccess,
    /// How quotas were set, and which measure is the actual (closed
    /// revenue) they are compared with; `None` until quotas are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaSettings>,
    /// The country of accounts whose import row names none: it picks the
    /// postal-code table. Plans from before it existed are US plans.
    /// Not written for US plans, whose files stay as they were.
    #[serde(default = "us", skip_serializing_if = "is_us")]
    pub default_country: Country,
    /// Accounts outside every territory go to the nearest territory whose
    /// edge is at most this many kilometres away (geodesic); 0 = off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nearest_km: f64,
    /// The account ids are row numbers of the imported file (asked for with
    /// `#row`), not CRM ids: exports back to a CRM must refuse the plan.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_number_ids: bool,
    /// The activity column that marks neglected accounts (a measure that is
    /// zero or missing, or a text attribute that is empty); `None` = not
    /// tracked. See [`crate::core::coverage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// The travel-workload measure column, kept up to date by the CLI and
    /// the balancer; `None` = off. See [`crate::core::workload`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_workload: Option<WorkloadSettings>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn us() -> Country {
    Country::US
}

fn is_us(c: &Country) -> bool {
    *c == Country::US
}

impl PlanSettings {
    /// Refuses a tolerance that is not a number of zero or more (a NaN or
    /// infinite band would judge nothing and print as "±NaN%").
    pub fn check(&self) -> Result<(), String> {
        let t = self.tolerance_pct;
        if t.is_finite() && t >= 0.0 {
            Ok(())
        } else {
            Err(format!(
                "the tolerance must be a number of zero or more, not {t}"
            ))
        }
    }
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            balance: BalanceMeasure::Count,
            tolerance_pct: 5.0,
            salesforce: SalesforceAccess::default(),
            quota: None,
            default_country: Country::US,
            nearest_km: 0.0,
            row_number_ids: false,
            activity: None,
            travel_workload: None,
        }
    }
}

/// What users of a Salesforce territory may do with the records assigned
/// to it (Territory2 `accountAccessLevel`, `opportunityAccessLevel`,
/// `caseAccessLevel`, `contactAccessLevel`). `None` leaves the org's
/// default from its Territory2Settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesforceAccess {
    /// `Read`, `Edit` or `All`.
    #[serde(default)]
    pub account: Option<String>,
    /// `None`, `Read` or `Edit`.
    #[serde(default)]
    pub opportunity: Option<String>,
    /// `None`, `Read` or `Edit`.
    #[serde(default)]
    pub case: Option<String>,
    /// `None`, `Read` or `Edit`.
    #[serde(default)]
    pub contact: Option<String>,
}

impl SalesforceAccess {
    /// True when no level is set (the plan file then leaves it out).
    pub fn is_unset(&self) -> bool {
        *self == Self::default()
    }
}

/// A whole project: what the project file holds.
///
/// Accounts, territory types and reps are shared by every scenario. The
/// active scenario's plan lives in [`Project::territories`] and
/// [`Accounts::pins`], where all editing code expects it; the other
/// scenarios keep theirs in [`Scenario::stored`] (see
/// [`crate::core::scenario`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    /// Plan name.
    pub name: String,
    /// All accounts.
    pub accounts: Accounts,
    /// Territories of the active scenario, in display order.
    pub territories: Vec<Territory>,
    /// Next id to hand out to a new territory (shared by all scenarios, so
    /// a territory keeps its id in a cloned scenario and ids never clash).
    pub next_territory_id: u32,
    /// Balance settings.
    pub settings: PlanSettings,
    /// Drive-time settings: road network, speeds, connectors.
    pub travel: crate::core::travel::TravelSettings,
    /// Territory types, e.g. Geographic and a Healthcare overlay.
    pub types: Vec<TerritoryType>,
    /// Sales reps.
    pub reps: Vec<Rep>,
    /// All scenarios in display order, the active one included.
    pub scenarios: Vec<Scenario>,
    /// The scenario being shown and edited.
    pub active_scenario: ScenarioId,
    /// The measure that rep workload capacity (hours) is compared with;
    /// `None` picks the first measure whose name mentions "hour" or
    /// "workload".
    pub workload_measure: Option<String>,
}

impl Project {
    /// An empty plan called `name`, with the default territory type and one
    /// scenario.
    pub fn new(name: impl Into<String>) -> Self {
        let mut p = Self {
            name: name.into(),
            ..Self::default()
        };
        p.ensure_defaults();
        p
    }

    /// Gives a plan without types one default "Geographic" type (id 0,
    /// which is what every territory of an old plan refers to) and a plan
    /// without scenarios one active "Plan" scenario.
    pub fn ensure_defaults(&mut self) {
        if self.types.is_empty() {
            self.types.push(TerritoryType {
                id: TerritoryTypeId(0),
                name: "Geographic".into(),
                priority: 0,
            });
        }
        if self.scenarios.is_empty() {
            self.scenarios.push(Scenario {
                id: ScenarioId(0),
                name: "Plan".into(),
                state: ScenarioState::Planning,
                stored: None,
            });
            self.active_scenario = ScenarioId(0);
        }
    }

    /// The territory type the map shows first: the first one (id 0 when
    /// there are none).
    pub fn primary_type(&self) -> TerritoryTypeId {
        self.types.first().map_or(TerritoryTypeId(0), |t| t.id)
    }

    /// Type `id`.
    pub fn territory_type(&self, id: TerritoryTypeId) -> Option<&TerritoryType> {
        self.types.iter().find(|t| t.id == id)
    }

    /// Type called `name` (case-insensitive).
    pub fn type_by_name(&self, name: &str) -> Option<&TerritoryType> {
        self.types.iter().find(|t| t.name == name).or_else(|| {
            self.types
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name))
        })
    }

    /// Territory type of each territory of the active scenario, for pin
    /// look-ups by type over many accounts.
    pub fn types_of_territories(&self) -> HashMap<TerritoryId, TerritoryTypeId> {
        self.territories.iter().map(|t| (t.id, t.type_id)).collect()
    }

    /// The territory account `i` is pinned to in type `ty`, if any.
    pub fn pin_in_type(&self, i: usize, ty: TerritoryTypeId) -> Option<TerritoryId> {
        self.accounts
            .pins
            .find(i, |t| self.territory(t).is_some_and(|t| t.type_id == ty))
    }

    /// A copy of the whole plan for background work (autosave, save,
    /// balance, comparison) taken on the UI thread: the text columns are
    /// shared ([`CowColumn`]) and the numeric ones copied side by side, so
    /// it costs milliseconds where a plain clone of a million accounts
    /// froze the window for a few hundred. Equal to `self.clone()`.
    pub fn snapshot(&self) -> Project {
        use rayon::join;
        let a = &self.accounts;
        let ((lon, lat), ((measures, attributes), ((pins, scenarios), (removed, source)))) = join(
            || join(|| a.lon.clone(), || a.lat.clone()),
            || {
                join(
                    || join(|| a.measures.clone(), || a.attributes.clone()),
                    || {
                        join(
                            || join(|| a.pins.clone(), || self.scenarios.clone()),
                            || join(|| a.removed.clone(), || a.source.clone()),
                        )
                    },
                )
            },
        );
        Project {
            name: self.name.clone(),
            accounts: Accounts {
                ids: a.ids.clone(),
                names: a.names.clone(),
                lon,
                lat,
                source,
                postal: a.postal.clone(),
                pins,
                removed,
                measures,
                attributes,
            },
            territories: self.territories.clone(),
            next_territory_id: self.next_territory_id,
            settings: self.settings.clone(),
            travel: self.travel.clone(),
            types: self.types.clone(),
            reps: self.reps.clone(),
            scenarios,
            active_scenario: self.active_scenario,
            workload_measure: self.workload_measure.clone(),
        }
    }

    /// Rep `id`.
    pub fn rep(&self, id: RepId) -> Option<&Rep> {
        self.reps.iter().find(|r| r.id == id)
    }

    /// Rep called `name` (exact, then case-insensitive).
    pub fn rep_by_name(&self, name: &str) -> Option<&Rep> {
        self.reps
            .iter()
            .find(|r| r.name == name)
            .or_else(|| self.reps.iter().find(|r| r.name.eq_ignore_ascii_case(name)))
    }

    /// The reps of `t` as display text ("Ann, Bo"), `None` when it has none.
    pub fn rep_label(&self, t: &Territory) -> Option<String> {
        let names: Vec<&str> = t
            .reps
            .iter()
            .filter_map(|r| self.rep(*r).map(|r| r.name.as_str()))
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }

    /// A fresh rep id.
    pub fn next_rep_id(&self) -> RepId {
        RepId(self.reps.iter().map(|r| r.id.0 + 1).max().unwrap_or(0))
    }

    /// A fresh type id.
    pub fn next_type_id(&self) -> TerritoryTypeId {
        TerritoryTypeId(self.types.iter().map(|t| t.id.0 + 1).max().unwrap_or(0))
    }

    /// A fresh scenario id.
    pub fn next_scenario_id(&self) -> ScenarioId {
        ScenarioId(self.scenarios.iter().map(|s| s.id.0 + 1).max().unwrap_or(0))
    }

    /// Scenario `id`.
    pub fn scenario(&self, id: ScenarioId) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// Scenario called `name` (exact, then case-insensitive).
    pub fn scenario_by_name(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name).or_else(|| {
            self.scenarios
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name))
        })
    }

    /// The active scenario (`None` only for a bare `Project::default()`).
    pub fn active(&self) -> Option<&Scenario> {
        self.scenario(self.active_scenario)
    }

    /// Territories of type `ty`, in display order.
    pub fn territories_of_type(
        &self,
        ty: TerritoryTypeId,
    ) -> impl Iterator<Item = &Territory> + '_ {
        self.territories.iter().filter(move |t| t.type_id == ty)
    }

    /// Allocates a fresh territory id.
    pub fn alloc_territory_id(&mut self) -> TerritoryId {
        let id = TerritoryId(self.next_territory_id);
        self.next_territory_id += 1;
        id
    }

    /// Position of territory `id` in [`Project::territories`].
    pub fn territory_pos(&self, id: TerritoryId) -> Option<usize> {
        self.territories.iter().position(|t| t.id == id)
    }

    /// Territory `id`.
    pub fn territory(&self, id: TerritoryId) -> Option<&Territory> {
        self.territories.iter().find(|t| t.id == id)
    }

    /// Territory `id`, mutably.
    pub fn territory_mut(&mut self, id: TerritoryId) -> Option<&mut Territory> {
        self.territories.iter_mut().find(|t| t.id == id)
    }

    /// Territory called `name` (exact match first, then case-insensitive).
    pub fn territory_by_name(&self, name: &str) -> Option<&Territory> {
        self.territories
            .iter()
            .find(|t| t.name == name)
            .or_else(|| {
                self.territories
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
            })
    }

    /// Adds a territory with a fresh id and returns the id.
    pub fn add_territory(
        &mut self,
        name: impl Into<String>,
        geometry: MultiPolygon<f64>,
    ) -> TerritoryId {
        let id = self.alloc_territory_id();
        self.territories.push(Territory::new(id, name, geometry));
        id
    }

    /// The balance value column: `None` means count.
    pub fn balance_measure_index(&self) -> Option<usize> {
        match &self.settings.balance {
            BalanceMeasure::Count => None,
            BalanceMeasure::Measure(m) => self.accounts.measure_index(m),
        }
    }

    /// Every territory of every scenario, with its scenario.
    pub fn all_territories(&self) -> impl Iterator<Item = (&Scenario, &Territory)> + '_ {
        self.scenarios.iter().flat_map(move |s| {
            let ts: &[Territory] = match &s.stored {
                Some(p) => &p.territories,
                None => &self.territories,
            };
            ts.iter().map(move |t| (s, t))
        })
    }

    /// Makes scenario `to` the active one; returns the one that was active.
    /// Used by [`crate::core::edit::Edit::SwitchScenario`]; it swaps the
    /// plan in place so every editing path keeps working on the active one.
    pub fn switch_scenario(&mut self, to: ScenarioId) -> Result<ScenarioId> {
        let project = self;
        let from = project.active_scenario;
        let to_pos = project
            .scenarios
            .iter()
            .position(|s| s.id == to)
            .ok_or_else(|| Error::invalid(format!("no scenario with id {}", to.0)))?;
        if to == from {
            return Err(Error::invalid(format!(
                "scenario '{}' is already the one shown",
                project.scenarios[to_pos].name
            )));
        }
        let Some(mut incoming) = project.scenarios[to_pos].stored.take() else {
            return Err(Error::invalid(format!(
                "scenario '{}' has no stored plan",
                project.scenarios[to_pos].name
            )));
        };
        let n = project.accounts.len();
        incoming.pins.resize(n);
        let outgoing = StoredPlan {
            territories: std::mem::replace(&mut project.territories, incoming.territories),
            pins: std::mem::replace(&mut project.accounts.pins, incoming.pins),
        };
        if let Some(s) = project.scenarios.iter_mut().find(|s| s.id == from) {
            s.stored = Some(outgoing);
        }
        project.active_scenario = to;
        Ok(from)
    }
}

/// A territory type: each type is its own layer of territories (e.g.
/// Geographic, and a Healthcare overlay), assigned independently, so an
/// account belongs to at most one territory per type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TerritoryType {
    /// Stable id.
    pub id: TerritoryTypeId,
    /// Display name, unique in the project.
    pub name: String,
    /// Salesforce's type priority: lists show types highest first.
    pub priority: i32,
}

/// How much a rep can carry.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Capacity {
    /// At most this many accounts.
    Accounts(u64),
    /// At most this many workload hours (summed over the workload measure,
    /// see [`Project::workload_measure`]).
    Hours(f64),
}

/// A sales rep (a Salesforce user).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    /// Stable id.
    pub id: RepId,
    /// Display name, unique in the project.
    pub name: String,
    /// Role in the territory (Salesforce `RoleInTerritory2`), e.g. "Owner".
    #[serde(default)]
    pub role: String,
    /// Salesforce username (usually an e-mail address).
    #[serde(default)]
    pub username: String,
    /// Home base as `(lon, lat)` degrees, like every location in Turfmap.
    #[serde(default)]
    pub home: Option<(f64, f64)>,
    /// Capacity, if known.
    #[serde(default)]
    pub capacity: Option<Capacity>,
}

impl Rep {
    /// A rep with only a name.
    pub fn new(id: RepId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            role: String::new(),
            username: String::new(),
            home: None,
            capacity: None,
        }
    }
}

/// Life-cycle state of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ScenarioState {
    /// Being worked on.
    #[default]
    Planning,
    /// The plan in force.
    Active,
    /// Kept for reference: read-only.
    Archived,
}

impl ScenarioState {
    /// Lower-case name as used by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planning => "planning",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }

    /// Parses `planning`, `active` or `archived` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Planning, Self::Active, Self::Archived]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for ScenarioState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scenario (a complete alternative plan over the shared accounts).
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Stable id.
    pub id: ScenarioId,
    /// Display name, unique in the project.
    pub name: String,
    /// Planning, active or archived (read-only).
    pub state: ScenarioState,
    /// The plan of an inactive scenario; `None` for the active one, whose
    /// plan is in [`Project::territories`] and [`Accounts::pins`].
    pub stored: Option<StoredPlan>,
}

/// The part of a plan that differs between scenarios.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredPlan {
    /// Territories in display order.
    pub territories: Vec<Territory>,
    /// Pin per account index (shorter than the accounts when accounts were
    /// added since: missing entries are unpinned).
    pub pins: Pins,
}

/// How the plan's quotas were set (kept in the plan's settings; split
/// by [`crate::core::quota`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaSettings {
    /// The territory type that carries the quotas.
    pub type_id: TerritoryTypeId,
    /// The plan total: the sum of every unit's quota.
    pub total: f64,
    /// The measure the total was split by (`count` for accounts).
    pub by: String,
    /// A weighted index instead of one measure: `(measure, weight)`.
    #[serde(default)]
    pub weights: Vec<(String, f64)>,
    /// The measure holding what was achieved (closed revenue), if any.
    #[serde(default)]
    pub actual: Option<String>,
    /// The measure holding the potential, for white space (potential minus
    /// actual); `None` = a measure called "potential", if there is one.
    #[serde(default)]
    pub potential: Option<String>,
}

impl QuotaSettings {
    /// The measures of the index with their weights: `weights`, or `by`
    /// alone with weight 1.
    pub fn index(&self) -> Vec<(String, f64)> {
        if self.weights.is_empty() {
            vec![(self.by.clone(), 1.0)]
        } else {
            self.weights.clone()
        }
    }
}

/// How travel workload is computed (plan settings; every field has a
/// default). The computation is in [`crate::core::workload`]; the settings
/// live here because the plan holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkloadSettings {
    /// Measure column with visits per period per account.
    pub visits_column: Option<String>,
    /// Visits per period where the column is missing or empty.
    pub visits: f64,
    /// Measure column with minutes per call.
    pub call_column: Option<String>,
    /// Minutes per call where the column is missing or empty.
    pub call_minutes: f64,
    /// Count the drive back too.
    pub round_trip: bool,
}

impl Default for WorkloadSettings {
    fn default() -> Self {
        Self {
            visits_column: None,
            visits: 12.0,
            call_column: None,
            call_minutes: 45.0,
            round_trip: false,
        }
    }
}

impl WorkloadSettings {
    /// Checks the defaults are numbers of zero or more and the named
    /// columns exist; the message names the bad one.
    pub fn check(&self, project: &Project) -> std::result::Result<(), String> {
        for (what, v) in [("visits", self.visits), ("call minutes", self.call_minutes)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("travel workload {what} must be 0 or more, not {v}"));
            }
        }
        for c in [&self.visits_column, &self.call_column]
            .into_iter()
            .flatten()
        {
            if project.accounts.measure_index(c).is_none() {
                return Err(format!("the plan has no measure called '{c}'"));
            }
        }
        Ok(())
    }
}
