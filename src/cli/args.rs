//! The command line's arguments: the verbs and their options (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::core::geocode::Country;
use crate::core::import::AccountImportOptions;

/// Turfmap: draw, assign and rebalance sales territories, offline.
#[derive(Parser, Debug)]
#[command(name = "turfmap", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// A plan to open in the window (same as `turfmap open PLAN`).
    pub plan: Option<PathBuf>,
    /// What to do; without a verb the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How a verb that changes a plan saves it.
#[derive(clap::Args, Debug, Default, Clone, Copy)]
pub struct SaveArgs {
    /// Replace the plan file even if it is read-only.
    #[arg(long)]
    pub force: bool,
}

/// Column choices for the accounts CSV.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ColumnArgs {
    /// Column holding the account id (default: `Id`, `Account ID`…; without
    /// one the import stops and lists the columns that could be the id).
    /// `'#row'` numbers the rows instead (such a plan cannot go back to a CRM).
    #[arg(long)]
    pub id_col: Option<String>,
    /// Column holding the account name.
    #[arg(long)]
    pub name_col: Option<String>,
    /// Column holding the latitude.
    #[arg(long)]
    pub lat_col: Option<String>,
    /// Column holding the longitude.
    #[arg(long)]
    pub lon_col: Option<String>,
    /// Column holding the postal code (US ZIP, UK postcode, PLZ, …).
    #[arg(long)]
    pub zip_col: Option<String>,
    /// Column holding each account's country (default: auto-detect
    /// `Country`, `BillingCountry`, `ShippingCountry`…; ISO codes or names).
    #[arg(long)]
    pub country_col: Option<String>,
    /// Country of accounts whose row names none: picks the postal-code
    /// table (ISO code or name, e.g. DE, GBR, Canada; default US). Stored
    /// in the plan.
    #[arg(long)]
    pub country: Option<Country>,
    /// Sheet of a spreadsheet (.xlsx, .xls, .ods) to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Columns to read as measures (numbers) whatever detection says; a
    /// value that is not a number is an error. Comma-separated or repeated.
    #[arg(long, value_delimiter = ',')]
    pub measure_col: Vec<String>,
    /// Columns to read as text even when they hold numbers (codes).
    #[arg(long, value_delimiter = ',')]
    pub text_col: Vec<String>,
    /// Columns to leave out of the plan.
    #[arg(long, value_delimiter = ',')]
    pub ignore_col: Vec<String>,
}

impl ColumnArgs {
    /// The first column option given, as its flag (`--id-col`…), if any.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            ("--id-col", self.id_col.is_some()),
            ("--name-col", self.name_col.is_some()),
            ("--lat-col", self.lat_col.is_some()),
            ("--lon-col", self.lon_col.is_some()),
            ("--zip-col", self.zip_col.is_some()),
            ("--country-col", self.country_col.is_some()),
            ("--country", self.country.is_some()),
            ("--measure-col", !self.measure_col.is_empty()),
            ("--text-col", !self.text_col.is_empty()),
            ("--ignore-col", !self.ignore_col.is_empty()),
        ]
        .into_iter()
        .find(|(_, given)| *given)
        .map(|(flag, _)| flag)
    }
}

impl From<ColumnArgs> for AccountImportOptions {
    fn from(c: ColumnArgs) -> Self {
        AccountImportOptions {
            id_col: c.id_col,
            name_col: c.name_col,
            lat_col: c.lat_col,
            lon_col: c.lon_col,
            zip_col: c.zip_col,
            country_col: c.country_col,
            default_country: c.country,
            sheet: c.sheet,
            measure_cols: c.measure_col,
            text_cols: c.text_col,
            ignore_cols: c.ignore_col,
        }
    }
}

/// What `turfmap territory` changes.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct TerritoryChange {
    /// New parent territory (`-` = top level).
    #[arg(long)]
    pub parent: Option<String>,
    /// Territory type name (created if new; only for top-level territories).
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Reps by name, comma separated (created if new; `-` = none).
    #[arg(long)]
    pub reps: Option<String>,
    /// New name.
    #[arg(long)]
    pub rename: Option<String>,
    /// New fill colour, `#rrggbb`.
    #[arg(long)]
    pub color: Option<String>,
    /// Overlap precedence (lower wins where territories overlap).
    #[arg(long, allow_hyphen_values = true)]
    pub priority: Option<i32>,
    /// Lock it against every tool and the balancer.
    #[arg(long, conflicts_with = "unlock")]
    pub lock: bool,
    /// Unlock it.
    #[arg(long)]
    pub unlock: bool,
    /// Delete it (its children move up; pins to it are removed).
    #[arg(long, conflicts_with_all = ["parent", "type_name", "reps", "rename", "color", "priority", "lock", "unlock"])]
    pub delete: bool,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a plan from a CRM accounts export (and optionally territories).
    New(NewArgs),
    /// Add or replace territory boundaries (same name = replace) from
    /// GeoJSON, an Esri shapefile (.shp + .dbf), KML or KMZ, by file extension.
    ImportTerritories(ImportTerritoriesArgs),
    /// Write the territories as GeoJSON, KML or KMZ (by the extension of --out).
    ExportTerritories(ExportTerritoriesArgs),
    /// Draw the plan as a PNG (or SVG) map image with legend, title, scale
    /// bar and data credits; no display or GPU needed.
    ExportMap(ExportMapArgs),
    /// Write the balance report: one self-contained HTML file with the map,
    /// the per-territory table, the balance chart and the plan summary.
    Report(ReportArgs),
    /// Write the assignment as CSV `account_id,territory` (import order).
    Assign(AssignArgs),
    /// Print balance metrics per territory and for the plan.
    Metrics(MetricsArgs),
    /// Run the speed benchmark on a seeded synthetic plan and print figures.
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
    /// Run the headless frame benchmark of the map (100k and 1M accounts;
    /// 1M also with 10,000 territories).
    #[cfg(feature = "bench")]
    BenchFrame,
    /// Frame times of editing gestures (vertex drag, paint stroke) and of
    /// starting a scenario comparison, in the whole window (100k and 1M).
    #[cfg(feature = "bench")]
    BenchGesture(BenchGestureArgs),
    /// Speed of editing steps (vertex drag, lasso drop, undo) on 1M accounts.
    #[cfg(feature = "bench")]
    BenchEdit(BenchEditArgs),
    /// Quality and speed of rebalancing (sample and 100k synthetic plan).
    #[cfg(feature = "bench")]
    BenchBalance,
    /// What country-aware postal geocoding adds to an accounts import
    /// (1M accounts of 14 countries, without coordinates).
    #[cfg(feature = "bench")]
    BenchPostal(BenchPostalArgs),
    /// Rebalance (or, with --territories, generate) a plan and save the
    /// proposal as a new plan, printing the before/after figures.
    Balance(BalanceArgs),
    /// Regenerate the bundled sample data set into DIR.
    GenSample(GenSampleArgs),
    /// Why an account is in its territory: the winning override, rule or
    /// boundary in every territory type, and what lost.
    Explain(ExplainArgs),
    /// Show or change the plan's settings: balance measure, tolerance, and
    /// the distance within which accounts outside every territory go to
    /// the nearest one.
    Settings(SettingsArgs),
    /// Set, check or clear a territory's assignment rule, e.g.
    /// `Industry = "Healthcare" AND Revenue >= 100000`.
    Rule(RuleArgs),
    /// Pin accounts to a territory by hand (manual override, in that
    /// territory's type; their pins in other types stay), or unpin them.
    Pin(PinArgs),
    /// Change a territory: place it in the hierarchy, give it a type or
    /// reps, rename, recolour, re-prioritise, lock, unlock or delete it.
    Territory(TerritoryArgs),
    /// Rep figures: territories, accounts, workload against capacity,
    /// distance from home.
    Reps(RepsArgs),
    /// A rep leaves (`--leaves`: territories they worked alone are shared
    /// out to neighbours, or merged with `--merge`) or joins (`--joins
    /// --home LAT,LON`: a territory is carved around the home); one
    /// undoable edit, with a before/after table.
    Rep(RepArgs),
    /// Road distance and drive time between two points over the bundled
    /// major-road network.
    Travel(TravelArgs),
    /// Keep a travel-workload measure (visits × (call time + drive time
    /// from the rep's home), hours) in the plan, refreshed on every save.
    TravelWorkload(TravelWorkloadArgs),
    /// Manage scenarios: list, clone, rename, set state, switch, delete.
    Scenario(ScenarioArgs),
    /// Compare two scenarios: accounts that change territory and
    /// per-territory differences.
    Diff(DiffArgs),
    /// Import a Salesforce account export's current territories and
    /// owners as a scenario (or a retrieved territory model with --model).
    ImportSalesforce(ImportSalesforceArgs),
    /// Write a scenario as a deployable Salesforce territory model
    /// (Metadata API source) into DIR; with --territory-ids also the
    /// ObjectTerritory2Association / UserTerritory2Association loads.
    ExportSalesforce(ExportSalesforceArgs),
    /// Update a plan from a new CRM export by account id: changed values
    /// and locations updated, new accounts added and assigned, vanished ones
    /// removed (pins dropped); one undoable edit, with a change summary.
    Refresh(RefreshArgs),
    /// Set territory quotas top-down (a total split by a measure or a
    /// weighted index, summing exactly), set one territory's quota, or show
    /// quotas, actuals and attainment.
    Quota(QuotaArgs),
    /// How many reps the plan's workload needs at a capacity per rep, each
    /// territory's load in reps, and candidate home bases for that many
    /// (weighted p-median); `--add-reps` adds them as reps.
    Capacity(CapacityArgs),
    /// Neglected accounts per territory (an activity column that is zero,
    /// missing or empty) and market penetration (actual ÷ potential).
    Coverage(CoverageArgs),
    /// Open a plan in the window.
    Open(OpenArgs),
}

/// Arguments of `turfmap refresh`.
#[derive(clap::Args, Debug)]
pub struct RefreshArgs {
    /// The plan file (updated in place).
    pub plan: PathBuf,
    /// The new accounts export (CSV, as for `turfmap new`).
    pub accounts: PathBuf,
    /// Column choices for the accounts CSV.
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Print the change summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap capacity`.
#[derive(clap::Args, Debug)]
pub struct CapacityArgs {
    /// The plan file (updated only with `--add-reps`).
    pub plan: PathBuf,
    /// What one rep can carry, in the measure's units (e.g. 1600 hours a
    /// year, or 250 accounts with `--measure count`).
    #[arg(long)]
    pub per_rep: f64,
    /// The workload measure (default: the plan's workload measure, else
    /// `count`).
    #[arg(long)]
    pub measure: Option<String>,
    /// Add the candidate home bases as reps "Candidate 1…N" (one undoable
    /// edit), shown on the map and usable by generate.
    #[arg(long)]
    pub add_reps: bool,
    /// Place the homes by drive time over the plan's road network (its
    /// travel settings) instead of great-circle distance.
    #[arg(long)]
    pub drive_time: bool,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap coverage`.
#[derive(clap::Args, Debug)]
pub struct CoverageArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// The activity column: a measure (visits, calls…) whose zero or
    /// missing value, or a text column whose empty value, marks an account
    /// nobody works.
    /// Default: the plan's own (set with `--save`).
    #[arg(long)]
    pub activity: Option<String>,
    /// Store the activity column in the plan: the window then shows the
    /// neglected accounts per territory (`--activity none` stops it).
    #[arg(long)]
    pub save: bool,
    /// The actual measure for penetration (actual ÷ potential); default:
    /// the one set with `turfmap quota --actual`.
    #[arg(long)]
    pub actual: Option<String>,
    /// The potential measure (default: the quota settings', else a measure
    /// called `potential`).
    #[arg(long)]
    pub potential: Option<String>,
    /// Territory type (default: the first).
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap quota`.
#[derive(clap::Args, Debug)]
pub struct QuotaArgs {
    /// The plan file (updated in place when quotas change).
    pub plan: PathBuf,
    /// The plan total to split top-down.
    #[arg(long, requires = "by", conflicts_with = "set")]
    pub total: Option<f64>,
    /// The measure (or `count`) the total is split by.
    #[arg(long)]
    pub by: Option<String>,
    /// A weighted index instead of one measure: `potential=0.6,revenue=0.4`.
    #[arg(long, requires = "total")]
    pub weights: Option<String>,
    /// The measure holding the actual (closed revenue) for attainment.
    #[arg(long)]
    pub actual: Option<String>,
    /// The measure holding the potential, for white space (default: a
    /// measure called `potential`).
    #[arg(long)]
    pub potential: Option<String>,
    /// Set one territory's quota (bottom-up; the total is re-derived):
    /// `"Territory name=AMOUNT"`.
    #[arg(long)]
    pub set: Option<String>,
    /// Territory type to carry the quotas (default: the first).
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Print the quota table as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap new`.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// The plan file to create (`.turf`).
    pub plan: PathBuf,
    /// Accounts CSV (comma, semicolon or tab separated) or spreadsheet
    /// (.xlsx, .xls, .ods; see --sheet).
    #[arg(long)]
    pub accounts: PathBuf,
    /// Territory boundaries: GeoJSON, Esri shapefile (.shp), KML or KMZ.
    #[arg(long)]
    pub territories: Option<PathBuf>,
    /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
    /// field (KML/KMZ; `name` = the Placemark name) holding the territory
    /// name (default: `name`, else the one property that clearly holds
    /// names, e.g. `STATE_NAME`; otherwise the properties are listed).
    #[arg(long)]
    pub name_prop: Option<String>,
    /// Column choices.
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Overwrite the plan file if it exists (also a read-only one).
    #[arg(long)]
    pub force: bool,
    /// Assign accounts outside every territory to the nearest territory
    /// within this many km (geodesic distance to its edge; default off).
    #[arg(long)]
    pub nearest_km: Option<f64>,
    /// Column with each account's current territory: it becomes the
    /// "Baseline" scenario (territories by name, accounts pinned).
    #[arg(long)]
    pub territory_col: Option<String>,
    /// Column with each account's current owner (becomes the rep).
    #[arg(long)]
    pub owner_col: Option<String>,
}

/// Arguments of `turfmap import-territories`.
#[derive(clap::Args, Debug)]
pub struct ImportTerritoriesArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// `.geojson`/`.json`, `.shp`, `.kml` or `.kmz` file of polygons.
    pub file: PathBuf,
    /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
    /// field (KML/KMZ; `name` = the Placemark name) holding the territory
    /// name (default: `name`, else the one property that clearly holds
    /// names, e.g. `STATE_NAME`; otherwise the properties are listed).
    #[arg(long)]
    pub name_prop: Option<String>,
}

/// Arguments of `turfmap export-territories`.
#[derive(clap::Args, Debug)]
pub struct ExportTerritoriesArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Output file: `.geojson`/`.json`, `.kml` or `.kmz`.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `turfmap export-map`.
#[derive(clap::Args, Debug)]
pub struct ExportMapArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Output file: `.png`, `.svg` for a vector image, or `.pdf` for a
    /// vector PDF page (landscape, see --paper).
    #[arg(long)]
    pub out: PathBuf,
    /// Paper of a PDF: `a4` or `letter` (landscape).
    #[arg(long, default_value = "a4")]
    pub paper: String,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1600)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 1000)]
    pub height: u32,
    /// Title (default: the plan's name; "" for none).
    #[arg(long)]
    pub title: Option<String>,
    /// Area to show, `MIN_LON,MIN_LAT,MAX_LON,MAX_LAT` (default: the plan).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Scale bar units: `km` or `mi`.
    #[arg(long, default_value = "km")]
    pub units: String,
    /// Leave out the account dots.
    #[arg(long)]
    pub no_accounts: bool,
    /// Leave out the territory names.
    #[arg(long)]
    pub no_labels: bool,
    /// What the territory fills show: `territory` (default, each its own
    /// colour), `deviation` (from the mean; the tolerance band neutral),
    /// `count` or a measure column's name (sequential classes).
    #[arg(long, default_value = "territory")]
    pub color_by: String,
    /// Write each territory's balance value and deviation under its name.
    #[arg(long)]
    pub label_values: bool,
}

/// Arguments of `turfmap report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Output file: `.html` (self-contained), or `.pdf` (vector, landscape
    /// pages: map, balance chart, territory table).
    #[arg(long)]
    pub out: PathBuf,
    /// Paper of a PDF: `a4` or `letter` (landscape).
    #[arg(long, default_value = "a4")]
    pub paper: String,
    /// Heading (default: "Balance report: PLAN").
    #[arg(long)]
    pub title: Option<String>,
    /// Units for areas and the map's scale bar: `km` or `mi`.
    #[arg(long, default_value = "km")]
    pub units: String,
    /// Balance on this measure (or `count`) instead of the plan's setting.
    #[arg(long)]
    pub measure: Option<String>,
    /// Add a comparison of the plan's active scenario with this one
    /// (name or id).
    #[arg(long)]
    pub compare: Option<String>,
    /// What the territory fills show: `territory` (default, each its own
    /// colour), `deviation` (from the mean; the tolerance band neutral),
    /// `count` or a measure column's name (sequential classes).
    #[arg(long, default_value = "territory")]
    pub color_by: String,
    /// Write each territory's balance value and deviation under its name.
    #[arg(long)]
    pub label_values: bool,
}

/// Arguments of `turfmap assign`: a plan file, or (one-shot, no plan
/// written) an accounts CSV and territory boundaries.
#[derive(clap::Args, Debug)]
pub struct AssignArgs {
    /// Write CSV cells exactly as they are, without the `'` that keeps a
    /// spreadsheet from running cells starting with = + - @ as formulas.
    #[arg(long)]
    pub raw_csv: bool,
    /// The plan file (or give `--accounts` and `--territories` instead).
    #[arg(required_unless_present = "accounts", conflicts_with_all = ["accounts", "territories"])]
    pub plan: Option<PathBuf>,
    /// One-shot: accounts CSV (comma, semicolon or tab separated), read as
    /// `turfmap new` reads it; no plan file is written.
    #[arg(long, requires = "territories")]
    pub accounts: Option<PathBuf>,
    /// One-shot: territory boundaries, GeoJSON, Esri shapefile (.shp), KML
    /// or KMZ.
    #[arg(long, requires = "accounts")]
    pub territories: Option<PathBuf>,
    /// One-shot: property (GeoJSON), attribute (shapefile .dbf) or
    /// ExtendedData field (KML/KMZ; `name` = the Placemark name) holding the
    /// territory name [default: name].
    #[arg(long, conflicts_with = "plan")]
    pub name_prop: Option<String>,
    /// Column choices (one-shot only).
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `turfmap metrics`.
#[derive(clap::Args, Debug)]
pub struct MetricsArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Balance on this measure (or `count`) instead of the plan's setting.
    #[arg(long)]
    pub measure: Option<String>,
    /// Territory type to report (default: the first).
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Also write the per-territory summary (figures, quota, actual,
    /// attainment, white space, penetration, neglected) to this CSV file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

#[cfg(feature = "bench")]
/// Arguments of `turfmap bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of accounts.
    #[arg(long, default_value_t = 1_000_000)]
    pub accounts: usize,
    /// Number of territories.
    #[arg(long, default_value_t = 1_000)]
    pub territories: usize,
    /// Random seed of the synthetic plan.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Repetitions for the per-step figures (median reported).
    #[arg(long, default_value_t = 15)]
    pub reps: usize,
    /// Leave out the drive-time figures (which load the bundled US roads).
    #[arg(long)]
    pub no_travel: bool,
}

#[cfg(feature = "bench")]
/// Arguments of `turfmap bench-edit`.
#[derive(clap::Args, Debug)]
pub struct BenchEditArgs {
    /// Number of territories of the 1M-account plan.
    #[arg(long, default_value_t = 1_000)]
    pub territories: usize,
}

#[cfg(feature = "bench")]
/// Arguments of `turfmap bench-postal`.
#[derive(clap::Args, Debug)]
pub struct BenchPostalArgs {
    /// Number of accounts.
    #[arg(long, default_value_t = 1_000_000)]
    pub accounts: usize,
}

#[cfg(feature = "bench")]
/// Arguments of `turfmap bench-gesture`.
#[derive(clap::Args, Debug)]
pub struct BenchGestureArgs {
    /// Only a plan of this many accounts (default: 100,000 with 200
    /// territories, then 1,000,000 with 1,000).
    #[arg(long)]
    pub accounts: Option<usize>,
}

/// Arguments of `turfmap balance`.
#[derive(clap::Args, Debug)]
pub struct BalanceArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// Balance measure (or `count`); `NAME=WEIGHT` pairs separated by
    /// commas give a weighted index, e.g. `Potential=0.6,WorkloadHours=0.4`.
    #[arg(long, default_value = "count")]
    pub measure: String,
    /// Allowed deviation from the mean, in ± percent.
    #[arg(long, default_value_t = 5.0)]
    pub tolerance: f64,
    /// Generate this many territories from scratch instead of rebalancing.
    #[arg(long)]
    pub territories: Option<usize>,
    /// Territories (by name) that must not change.
    #[arg(long, num_args = 1..)]
    pub lock: Vec<String>,
    /// Building blocks: `hex` (anywhere), `states`, `counties` or `zips`
    /// (US), `provinces:CA`, `provinces:AU` or `provinces:BR`.
    #[arg(long, default_value = "hex")]
    pub units: String,
    /// Hexagon size (centre to corner) in km, for `--units hex`.
    #[arg(long, default_value_t = 40.0)]
    pub hex_km: f64,
    /// Territory type to balance (default: the first); overlays of
    /// other types are left as they are.
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Seconds the final improvement phase (recombination of adjacent
    /// territory pairs) may run while the tolerance is not met.
    #[arg(long, default_value_t = 3.0)]
    pub time_budget: f64,
    /// Rebalance: compute a few plans along the balance ↔ disruption
    /// trade-off, print them (CV, largest deviation, % moved) and save the
    /// least-moving one that meets the tolerance (see --max-moved).
    #[arg(long)]
    pub tradeoff: bool,
    /// Rebalance: move budget, the largest share (%) of the balance
    /// measure that may move; picks among the trade-off plans.
    #[arg(long)]
    pub max_moved: Option<f64>,
    /// Rebalance: how far a territory's load centre may move: km (`80`),
    /// radii of the territory's own area (`1.5r`; a circle of its area) or
    /// `any`.
    #[arg(long, default_value = "1r")]
    pub centre_limit: String,
    /// Rebalance: keep the centre limit even when it keeps a reachable
    /// tolerance out of reach (by default it is widened, 2×, 4× or as far
    /// as needed, only then, and a note says so).
    #[arg(long)]
    pub hold_centre_limit: bool,
    /// Balance by drive time from the reps' home bases over the bundled
    /// roads (the plan's travel settings) instead of straight-line
    /// compactness; the notes give total and mean drive time before/after.
    #[arg(long)]
    pub drive_time: bool,
    /// Generate one territory per rep home base, each unit to the nearest
    /// rep (by road with --drive-time), then balance.
    #[arg(long, conflicts_with_all = ["territories", "tradeoff", "max_moved"])]
    pub from_reps: bool,
    /// Where to save the proposed plan.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `turfmap gen-sample`.
#[derive(clap::Args, Debug)]
pub struct GenSampleArgs {
    /// Output folder (the bundled one is `assets/sample`).
    pub dir: PathBuf,
    /// Random seed.
    #[arg(long, default_value_t = crate::core::sample::DEFAULT_SEED)]
    pub seed: u64,
}

/// Arguments of `turfmap travel-workload`.
#[derive(clap::Args, Debug)]
pub struct TravelWorkloadArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file (updated in place).
    pub plan: PathBuf,
    /// Measure column with visits per period.
    #[arg(long)]
    pub visits_column: Option<String>,
    /// Visits per period where that column is missing or empty.
    #[arg(long, default_value_t = 12.0)]
    pub visits: f64,
    /// Measure column with minutes per call.
    #[arg(long)]
    pub call_column: Option<String>,
    /// Minutes per call where that column is missing or empty.
    #[arg(long, default_value_t = 45.0)]
    pub call_minutes: f64,
    /// Count the drive back too.
    #[arg(long)]
    pub round_trip: bool,
    /// Turn it off and remove the column.
    #[arg(long)]
    pub off: bool,
}

/// Arguments of `turfmap settings`.
#[derive(clap::Args, Debug)]
pub struct SettingsArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Assign accounts outside every territory to the nearest territory
    /// whose edge is at most this many km away (geodesic); 0 turns it off.
    #[arg(long)]
    pub nearest_km: Option<f64>,
    /// Balance measure: `count` or a measure column.
    #[arg(long)]
    pub measure: Option<String>,
    /// Balance tolerance in percent (±).
    #[arg(long)]
    pub tolerance: Option<f64>,
}

/// Arguments of `turfmap explain`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// CRM account id.
    pub account_id: String,
    /// Machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap rule`.
#[derive(clap::Args, Debug)]
pub struct RuleArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// Territory name.
    pub territory: String,
    /// The rule in its text form (omit to show the current rule).
    pub rule: Option<String>,
    /// Only accounts inside the territory's boundary match.
    #[arg(long)]
    pub within: bool,
    /// Remove the rule.
    #[arg(long, conflicts_with = "rule")]
    pub clear: bool,
}

/// Arguments of `turfmap pin`.
#[derive(clap::Args, Debug)]
pub struct PinArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// Account ids.
    #[arg(required = true)]
    pub accounts: Vec<String>,
    /// Territory name to pin them to.
    #[arg(long, required_unless_present = "unpin")]
    pub to: Option<String>,
    /// Remove their pins instead (in `--type`, default the first type).
    #[arg(long, conflicts_with = "to")]
    pub unpin: bool,
    /// Territory type to unpin in.
    #[arg(long = "type", requires = "unpin")]
    pub type_name: Option<String>,
}

/// Arguments of `turfmap territory`.
#[derive(clap::Args, Debug)]
pub struct TerritoryArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// Territory name.
    pub territory: String,
    /// The changes.
    #[command(flatten)]
    pub change: TerritoryChange,
}

/// Arguments of `turfmap reps`.
#[derive(clap::Args, Debug)]
pub struct RepsArgs {
    /// The plan file.
    pub plan: PathBuf,
    /// Machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap rep`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["leaves", "joins"])))]
pub struct RepArgs {
    /// The plan file (updated in place).
    pub plan: PathBuf,
    /// The rep's name.
    pub name: String,
    /// The rep leaves.
    #[arg(long)]
    pub leaves: bool,
    /// Merge each territory the rep worked alone into one neighbour (this
    /// one by name, or the lightest) instead of sharing it out.
    #[arg(long, requires = "leaves", num_args = 0..=1, default_missing_value = "")]
    pub merge: Option<String>,
    /// A new rep joins, with a territory carved around `--home`.
    #[arg(long, requires = "home")]
    pub joins: bool,
    /// The new rep's home base as `LAT,LON`.
    #[arg(long, allow_hyphen_values = true)]
    pub home: Option<String>,
    /// Territory type of the new territory (default: the first).
    #[arg(long = "type")]
    pub type_name: Option<String>,
    /// Show what would change without saving.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the before/after table as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap travel`.
#[derive(clap::Args, Debug)]
pub struct TravelArgs {
    /// Start as `LAT,LON` in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub from: String,
    /// Destination as `LAT,LON` in degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub to: String,
    /// Use this plan's travel settings (speeds, connectors, network).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Roads: `auto` (US file for US points, else world), `us`, `world`,
    /// or `off` (great-circle × detour factor).
    #[arg(long)]
    pub network: Option<String>,
    /// Machine-readable JSON: `{"road_km": …, "minutes": …, "via": …}`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `turfmap scenario`.
#[derive(clap::Args, Debug)]
pub struct ScenarioArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file.
    pub plan: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: ScenarioAction,
}

/// Arguments of `turfmap diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// Write CSV cells exactly as they are, without the `'` that keeps a
    /// spreadsheet from running cells starting with = + - @ as formulas.
    #[arg(long)]
    pub raw_csv: bool,
    /// The plan file.
    pub plan: PathBuf,
    /// Scenario A (from).
    pub a: String,
    /// Scenario B (to).
    pub b: String,
    /// Write the change list as CSV here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `turfmap import-salesforce`.
#[derive(clap::Args, Debug)]
pub struct ImportSalesforceArgs {
    /// How the plan file is saved.
    #[command(flatten)]
    pub save: SaveArgs,
    /// The plan file (created from the accounts CSV if missing).
    pub plan: PathBuf,
    /// Account export CSV.
    pub accounts: Option<PathBuf>,
    /// Column with the account's territory.
    #[arg(long, default_value = "Territory")]
    pub territory_col: String,
    /// Column with the account's owner.
    #[arg(long)]
    pub owner_col: Option<String>,
    /// Read Salesforce territories from this folder instead: a retrieved
    /// Metadata API folder (territory2Models/, territory2Types/) or the
    /// CSV files earlier versions of export-salesforce wrote.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// With --model: the org's ObjectTerritory2Association export
    /// (ObjectId, Territory2Id). Default: ObjectTerritory2Association.csv in
    /// the model folder, if there.
    #[arg(long, requires = "model")]
    pub associations: Option<PathBuf>,
    /// With --model: the org's Territory2 export (Id, DeveloperName) that
    /// turns Territory2Id into territories. Default: Territory2.csv in the
    /// model folder, if there.
    #[arg(long, requires = "model")]
    pub territory_ids: Option<PathBuf>,
    /// With --model: the org's UserTerritory2Association export (UserId,
    /// Territory2Id, RoleInTerritory2).
    #[arg(long, requires = "model")]
    pub user_associations: Option<PathBuf>,
    /// With --model: the org's User export (Id, Username, Name) for the
    /// reps' usernames and names.
    #[arg(long, requires = "model")]
    pub user_ids: Option<PathBuf>,
    /// Name of the new scenario.
    #[arg(long, default_value = "Baseline")]
    pub scenario: String,
    /// Column choices for the accounts CSV.
    #[command(flatten)]
    pub columns: ColumnArgs,
}

/// Arguments of `turfmap export-salesforce`.
#[derive(clap::Args, Debug)]
pub struct ExportSalesforceArgs {
    /// Write CSV cells exactly as they are, without the `'` that keeps a
    /// spreadsheet from running cells starting with = + - @ as formulas.
    #[arg(long)]
    pub raw_csv: bool,
    /// The plan file.
    pub plan: PathBuf,
    /// Output folder (new, empty, or an earlier export, which is replaced).
    pub dir: PathBuf,
    /// Scenario to export (default: the one shown).
    #[arg(long)]
    pub scenario: Option<String>,
    /// The org's Territory2 export (columns Id and DeveloperName, after
    /// deploying the model): writes ObjectTerritory2Association.csv with
    /// Territory2Id.
    #[arg(long)]
    pub territory_ids: Option<PathBuf>,
    /// The org's User export (Id plus Username, Email or
    /// FederationIdentifier): also writes UserTerritory2Association.csv.
    #[arg(long, requires = "territory_ids")]
    pub user_ids: Option<PathBuf>,
    /// Export even though the account ids are row numbers 1…N.
    #[arg(long)]
    pub allow_row_ids: bool,
    /// Territory accountAccessLevel (Read, Edit, All) for this export
    /// (default: the plan's setting).
    #[arg(long)]
    pub account_access: Option<String>,
    /// Territory opportunityAccessLevel (None, Read, Edit).
    #[arg(long)]
    pub opportunity_access: Option<String>,
    /// Territory caseAccessLevel (None, Read, Edit).
    #[arg(long)]
    pub case_access: Option<String>,
    /// Territory contactAccessLevel (None, Read, Edit).
    #[arg(long)]
    pub contact_access: Option<String>,
}

/// Arguments of `turfmap open`.
#[derive(clap::Args, Debug)]
pub struct OpenArgs {
    /// The plan file.
    pub plan: PathBuf,
}
/// `turfmap scenario` actions.
#[derive(Subcommand, Debug)]
pub enum ScenarioAction {
    /// List the scenarios.
    List,
    /// Clone scenario A as a new planning scenario B.
    Clone {
        /// Source scenario.
        a: String,
        /// New name.
        b: String,
    },
    /// Rename scenario A to B.
    Rename {
        /// Scenario.
        a: String,
        /// New name.
        b: String,
    },
    /// Set the state of a scenario: planning, active or archived.
    State {
        /// Scenario.
        a: String,
        /// New state.
        state: String,
    },
    /// Show scenario A when the plan is opened.
    Switch {
        /// Scenario.
        a: String,
    },
    /// Delete scenario A (not the one shown).
    Delete {
        /// Scenario.
        a: String,
    },
}
