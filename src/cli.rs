//! The command line: `turfmap <verb> …` for scripting and batch runs; no
//! verb (or just a plan's path) opens the window.
//!
//! Every verb that changes a plan goes through [`Workspace::apply`], the same
//! path the window uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::core::edit::Edit;
use crate::core::export::{write_assignment_csv, write_file_atomically};
use crate::core::import::{
    AccountImportOptions, add_territories, import_accounts, merge_territories,
    territories_from_file,
};
use crate::core::metrics::PlanMetrics;
use crate::core::model::{BalanceMeasure, Project, TerritoryTypeId};
use crate::core::numfmt::fmt_num;
use crate::core::progress::Progress;
use crate::core::{Error, Result, Workspace};

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

/// Column choices for the accounts CSV.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ColumnArgs {
    /// Column holding the account id (default: auto-detect `Id`, `Account ID`…).
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
    /// Column holding the US ZIP / postal code.
    #[arg(long)]
    pub zip_col: Option<String>,
}

impl From<ColumnArgs> for AccountImportOptions {
    fn from(c: ColumnArgs) -> Self {
        AccountImportOptions {
            id_col: c.id_col,
            name_col: c.name_col,
            lat_col: c.lat_col,
            lon_col: c.lon_col,
            zip_col: c.zip_col,
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
    New {
        /// The plan file to create (`.turf`).
        plan: PathBuf,
        /// Accounts CSV (comma, semicolon or tab separated).
        #[arg(long)]
        accounts: PathBuf,
        /// Territory boundaries: GeoJSON, Esri shapefile (.shp), KML or KMZ.
        #[arg(long)]
        territories: Option<PathBuf>,
        /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
        /// field (KML/KMZ; `name` = the Placemark name) holding the territory name.
        #[arg(long, default_value = "name")]
        name_prop: String,
        /// Column choices.
        #[command(flatten)]
        columns: ColumnArgs,
        /// Overwrite the plan file if it exists.
        #[arg(long)]
        force: bool,
        /// Column with each account's current territory: it becomes the
        /// "Baseline" scenario (territories by name, accounts pinned).
        #[arg(long)]
        territory_col: Option<String>,
        /// Column with each account's current owner (becomes the rep).
        #[arg(long)]
        owner_col: Option<String>,
    },
    /// Add or replace territory boundaries (same name = replace) from
    /// GeoJSON, an Esri shapefile (.shp + .dbf), KML or KMZ, by file extension.
    ImportTerritories {
        /// The plan file.
        plan: PathBuf,
        /// `.geojson`/`.json`, `.shp`, `.kml` or `.kmz` file of polygons.
        file: PathBuf,
        /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
        /// field (KML/KMZ; `name` = the Placemark name) holding the territory name.
        #[arg(long, default_value = "name")]
        name_prop: String,
    },
    /// Write the territories as GeoJSON, KML or KMZ (by the extension of --out).
    ExportTerritories {
        /// The plan file.
        plan: PathBuf,
        /// Output file: `.geojson`/`.json`, `.kml` or `.kmz`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Draw the plan as a PNG (or SVG) map image with legend, title, scale
    /// bar and data credits; no display or GPU needed.
    ExportMap {
        /// The plan file.
        plan: PathBuf,
        /// Output file: `.png`, or `.svg` for a vector image.
        #[arg(long)]
        out: PathBuf,
        /// Image width in pixels.
        #[arg(long, default_value_t = 1600)]
        width: u32,
        /// Image height in pixels.
        #[arg(long, default_value_t = 1000)]
        height: u32,
        /// Title (default: the plan's name; "" for none).
        #[arg(long)]
        title: Option<String>,
        /// Area to show, `MIN_LON,MIN_LAT,MAX_LON,MAX_LAT` (default: the plan).
        #[arg(long, allow_hyphen_values = true)]
        bbox: Option<String>,
        /// Scale bar units: `km` or `mi`.
        #[arg(long, default_value = "km")]
        units: String,
        /// Leave out the account dots.
        #[arg(long)]
        no_accounts: bool,
        /// Leave out the territory names.
        #[arg(long)]
        no_labels: bool,
    },
    /// Write the balance report: one self-contained HTML file with the map,
    /// the per-territory table, the balance chart and the plan summary.
    Report {
        /// The plan file.
        plan: PathBuf,
        /// Output `.html` file.
        #[arg(long)]
        out: PathBuf,
        /// Heading (default: "Balance report: PLAN").
        #[arg(long)]
        title: Option<String>,
        /// Units for areas and the map's scale bar: `km` or `mi`.
        #[arg(long, default_value = "km")]
        units: String,
        /// Balance on this measure (or `count`) instead of the plan's setting.
        #[arg(long)]
        measure: Option<String>,
        /// Add a comparison of the plan's active scenario with this one
        /// (name or id).
        #[arg(long)]
        compare: Option<String>,
    },
    /// Write the assignment as CSV `account_id,territory` (import order).
    Assign {
        /// The plan file.
        plan: PathBuf,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print balance metrics per territory and for the plan.
    Metrics {
        /// The plan file.
        plan: PathBuf,
        /// Machine-readable JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Balance on this measure (or `count`) instead of the plan's setting.
        #[arg(long)]
        measure: Option<String>,
        /// Territory type to report (default: the first).
        #[arg(long = "type")]
        type_name: Option<String>,
    },
    /// Run the speed benchmark on a seeded synthetic plan and print figures.
    Bench {
        /// Number of accounts.
        #[arg(long, default_value_t = 1_000_000)]
        accounts: usize,
        /// Number of territories.
        #[arg(long, default_value_t = 1_000)]
        territories: usize,
        /// Random seed of the synthetic plan.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Repetitions for the per-step figures (median reported).
        #[arg(long, default_value_t = 15)]
        reps: usize,
    },
    /// Run the headless frame benchmark of the map (100k and 1M accounts).
    BenchFrame,
    /// Frame times of editing gestures (vertex drag, paint stroke) and of
    /// starting a scenario comparison, in the whole window (100k and 1M).
    BenchGesture {
        /// Only a plan of this many accounts (default: 100,000 with 200
        /// territories, then 1,000,000 with 1,000).
        #[arg(long)]
        accounts: Option<usize>,
    },
    /// Speed of editing steps (vertex drag, lasso drop, undo) on 1M accounts.
    BenchEdit,
    /// Quality and speed of rebalancing (sample and 100k synthetic plan).
    BenchBalance,
    /// Rebalance (or, with --territories, generate) a plan and save the
    /// proposal as a new plan, printing the before/after figures.
    Balance {
        /// The plan file.
        plan: PathBuf,
        /// Balance measure (or `count`); `NAME=WEIGHT` pairs separated by
        /// commas give a weighted index, e.g. `Potential=0.6,WorkloadHours=0.4`.
        #[arg(long, default_value = "count")]
        measure: String,
        /// Allowed deviation from the mean, in ± percent.
        #[arg(long, default_value_t = 5.0)]
        tolerance: f64,
        /// Generate this many territories from scratch instead of rebalancing.
        #[arg(long)]
        territories: Option<usize>,
        /// Territories (by name) that must not change.
        #[arg(long, num_args = 1..)]
        lock: Vec<String>,
        /// Building blocks: `hex` (anywhere), `states`, `counties` or `zips` (US).
        #[arg(long, default_value = "hex")]
        units: String,
        /// Hexagon size (centre to corner) in km, for `--units hex`.
        #[arg(long, default_value_t = 40.0)]
        hex_km: f64,
        /// Territory type to balance (default: the first); overlays of
        /// other types are left as they are.
        #[arg(long = "type")]
        type_name: Option<String>,
        /// Where to save the proposed plan.
        #[arg(long)]
        out: PathBuf,
    },
    /// Regenerate the bundled sample data set into DIR.
    GenSample {
        /// Output folder (the bundled one is `assets/sample`).
        dir: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = crate::core::sample::DEFAULT_SEED)]
        seed: u64,
    },
    /// Why an account is in its territory: the winning override, rule or
    /// boundary in every territory type, and what lost.
    Explain {
        /// The plan file.
        plan: PathBuf,
        /// CRM account id.
        account_id: String,
        /// Machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set, check or clear a territory's assignment rule, e.g.
    /// `Industry = "Healthcare" AND Revenue >= 100000`.
    Rule {
        /// The plan file.
        plan: PathBuf,
        /// Territory name.
        territory: String,
        /// The rule in its text form (omit to show the current rule).
        rule: Option<String>,
        /// Only accounts inside the territory's boundary match.
        #[arg(long)]
        within: bool,
        /// Remove the rule.
        #[arg(long, conflicts_with = "rule")]
        clear: bool,
    },
    /// Pin accounts to a territory by hand (manual override, in that
    /// territory's type; their pins in other types stay), or unpin them.
    Pin {
        /// The plan file.
        plan: PathBuf,
        /// Account ids.
        #[arg(required = true)]
        accounts: Vec<String>,
        /// Territory name to pin them to.
        #[arg(long, required_unless_present = "unpin")]
        to: Option<String>,
        /// Remove their pins instead (in `--type`, default the first type).
        #[arg(long, conflicts_with = "to")]
        unpin: bool,
        /// Territory type to unpin in.
        #[arg(long = "type", requires = "unpin")]
        type_name: Option<String>,
    },
    /// Change a territory: place it in the hierarchy, give it a type or
    /// reps, rename, recolour, re-prioritise, lock, unlock or delete it.
    Territory {
        /// The plan file.
        plan: PathBuf,
        /// Territory name.
        territory: String,
        /// The changes.
        #[command(flatten)]
        change: TerritoryChange,
    },
    /// Rep figures: territories, accounts, workload against capacity,
    /// distance from home.
    Reps {
        /// The plan file.
        plan: PathBuf,
        /// Machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage scenarios: list, clone, rename, set state, switch, delete.
    Scenario {
        /// The plan file.
        plan: PathBuf,
        /// What to do.
        #[command(subcommand)]
        action: ScenarioAction,
    },
    /// Compare two scenarios: accounts that change territory and
    /// per-territory differences.
    Diff {
        /// The plan file.
        plan: PathBuf,
        /// Scenario A (from).
        a: String,
        /// Scenario B (to).
        b: String,
        /// Write the change list as CSV here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import a Salesforce account export's current territories and
    /// owners as a scenario (or the files `export-salesforce` writes).
    ImportSalesforce {
        /// The plan file (created from the accounts CSV if missing).
        plan: PathBuf,
        /// Account export CSV.
        accounts: Option<PathBuf>,
        /// Column with the account's territory.
        #[arg(long, default_value = "Territory")]
        territory_col: String,
        /// Column with the account's owner.
        #[arg(long)]
        owner_col: Option<String>,
        /// Read the Data Loader files in this folder instead.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Name of the new scenario.
        #[arg(long, default_value = "Baseline")]
        scenario: String,
        /// Column choices for the accounts CSV.
        #[command(flatten)]
        columns: ColumnArgs,
    },
    /// Write Data Loader–ready Territory2, ObjectTerritory2Association and
    /// UserTerritory2Association CSV files of a scenario into DIR.
    ExportSalesforce {
        /// The plan file.
        plan: PathBuf,
        /// Output folder.
        dir: PathBuf,
        /// Scenario to export (default: the one shown).
        #[arg(long)]
        scenario: Option<String>,
    },
    /// Open a plan in the window.
    Open {
        /// The plan file.
        plan: PathBuf,
    },
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

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => crate::app::run(cli.plan),
        Some(Command::Open { plan }) => crate::app::run(Some(plan)),
        Some(Command::BenchFrame) => crate::app::frame_bench::run(&mut std::io::stdout()),
        Some(Command::BenchGesture { accounts }) => {
            crate::app::gesture_bench::run(accounts, &mut std::io::stdout())
        }
        Some(Command::BenchEdit) => {
            crate::core::bench_edit::run(&mut std::io::stdout()).map_err(anyhow::Error::from)
        }
        Some(Command::BenchBalance) => {
            crate::core::optimize::bench(&mut std::io::stdout()).map_err(anyhow::Error::from)
        }
        Some(cmd) => run(cmd).map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turfmap: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one CLI verb (not `open`).
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::New {
            plan,
            accounts,
            territories,
            name_prop,
            columns,
            force,
            territory_col,
            owner_col,
        } => {
            if plan.exists() && !force {
                return Err(Error::invalid(format!(
                    "{} already exists; pass --force to overwrite it",
                    plan.display()
                )));
            }
            let project = new_project(
                &plan,
                &accounts,
                territories.as_deref(),
                &name_prop,
                columns.into(),
            )?;
            let mut ws = Workspace::new(project);
            if let Some(tc) = territory_col {
                let table = ws.project().accounts.clone();
                baseline(&mut ws, &table, &tc, owner_col.as_deref(), "Baseline")?;
            }
            ws.save_as(&plan)?;
            let m = ws.metrics();
            eprintln!(
                "Created {}: {} accounts, {} territories, {} unassigned.",
                plan.display(),
                m.total.count,
                m.territories.len(),
                m.unassigned.count
            );
            Ok(())
        }
        Command::ImportTerritories {
            plan,
            file: geojson,
            name_prop,
        } => {
            let mut ws = Workspace::open(&plan)?;
            let (imported, report) = territories_from_file(&geojson, &name_prop)?;
            for s in report.skipped.iter().chain(&report.repaired) {
                eprintln!("{}: {s}", geojson.display());
            }
            let merge = merge_territories(
                ws.project(),
                imported,
                format!("Import territories from {}", geojson.display()),
            );
            if let Some(edit) = merge.edit {
                ws.apply(edit)?;
            }
            let (added, replaced) = (merge.added, merge.replaced);
            if !merge.locked.is_empty() {
                eprintln!(
                    "{}: locked, left as they were: {}",
                    plan.display(),
                    merge.locked.join(", ")
                );
            }
            ws.save_as(&plan)?;
            eprintln!(
                "{}: {added} territories added, {replaced} replaced.",
                plan.display()
            );
            Ok(())
        }
        Command::ExportTerritories { plan, out } => {
            let ws = Workspace::open(&plan)?;
            use crate::core::import::TerritoryFormat;
            match TerritoryFormat::of(&out) {
                Some(
                    f @ (TerritoryFormat::Kml | TerritoryFormat::Kmz | TerritoryFormat::GeoJson),
                ) => crate::core::import::write_territories_file(&out, ws.project(), f)?,
                _ => {
                    return Err(Error::invalid(format!(
                        "{}: use a .geojson, .kml or .kmz file name",
                        out.display()
                    )));
                }
            }
            eprintln!(
                "Wrote {} territories to {}.",
                ws.project().territories.len(),
                out.display()
            );
            Ok(())
        }
        Command::ExportMap {
            plan,
            out,
            width,
            height,
            title,
            bbox,
            units,
            no_accounts,
            no_labels,
        } => {
            let ws = Workspace::open(&plan)?;
            let opts = crate::core::render::MapImageOptions {
                width,
                height,
                title,
                bbox: bbox.as_deref().map(parse_bbox).transpose()?,
                units: parse_units(&units)?,
                accounts: !no_accounts,
                labels: !no_labels,
                ..Default::default()
            };
            crate::core::render::export_map(&ws, &opts, &out)?;
            eprintln!("Wrote the {width}×{height} map to {}.", out.display());
            Ok(())
        }
        Command::Report {
            plan,
            out,
            title,
            units,
            measure,
            compare,
        } => {
            let mut ws = Workspace::open(&plan)?;
            if let Some(m) = measure {
                set_balance_measure(&mut ws, &m)?;
            }
            let units = parse_units(&units)?;
            let comparison = match compare {
                Some(name) => {
                    let p = ws.project();
                    let other = crate::core::scenario::find(p, &name)?;
                    Some(crate::core::report::ScenarioComparison::between(
                        p,
                        p.active_scenario,
                        other,
                    )?)
                }
                None => None,
            };
            let mut opts = crate::core::report::ReportOptions {
                title,
                units,
                scenario: comparison.as_ref(),
                ..Default::default()
            };
            opts.map.units = units;
            crate::core::report::write_report(&ws, &opts, &out)?;
            eprintln!(
                "Wrote the report on {} territories to {}.",
                ws.project().territories.len(),
                out.display()
            );
            Ok(())
        }
        Command::Assign { plan, out } => {
            let ws = Workspace::open(&plan)?;
            let assignment = ws.engine().assignment();
            match out {
                Some(path) => write_file_atomically(&path, |w| {
                    write_assignment_csv(w, ws.project(), &assignment)
                }),
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = std::io::BufWriter::new(stdout.lock());
                    write_assignment_csv(&mut lock, ws.project(), &assignment)?;
                    lock.flush().map_err(|e| Error::io("<stdout>", e))
                }
            }
        }
        Command::Metrics {
            plan,
            json,
            measure,
            type_name,
        } => {
            let mut ws = Workspace::open(&plan)?;
            if let Some(tn) = type_name {
                let ty = find_type(ws.project(), &tn)?;
                ws.set_current_type(ty)?;
            }
            if let Some(m) = measure {
                set_balance_measure(&mut ws, &m)?;
            }
            let m = ws.metrics();
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let res = if json {
                serde_json::to_writer_pretty(&mut out, &m)
                    .map_err(std::io::Error::other)
                    .and_then(|_| writeln!(out))
            } else {
                out.write_all(metrics_table(&m).as_bytes())
            };
            res.map_err(|e| Error::io("<stdout>", e))
        }
        Command::Bench {
            accounts,
            territories,
            seed,
            reps,
        } => crate::core::bench::run(accounts, territories, seed, reps, &mut std::io::stdout()),
        Command::GenSample { dir, seed } => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let s = crate::core::sample::generate_sample(&dir, seed)?;
            eprintln!(
                "Wrote {} accounts ({} unlocated) and {} territories to {}.",
                s.accounts,
                s.unlocated,
                s.territories,
                dir.display()
            );
            Ok(())
        }
        Command::Balance {
            plan,
            measure,
            tolerance,
            territories,
            lock,
            units,
            hex_km,
            type_name,
            out,
        } => balance(
            &plan,
            &measure,
            tolerance,
            territories,
            &lock,
            &units,
            hex_km,
            type_name.as_deref(),
            &out,
        ),
        Command::Explain {
            plan,
            account_id,
            json,
        } => {
            let ws = Workspace::open(&plan)?;
            let i = ws.project().accounts.find_id(&account_id).ok_or_else(|| {
                Error::invalid(format!(
                    "{}: no account with id '{account_id}'",
                    plan.display()
                ))
            })?;
            let ex = ws.explain(i);
            print_out(if json {
                serde_json::to_string_pretty(&ex).unwrap_or_default() + "\n"
            } else {
                ex.render()
            })
        }
        Command::Rule {
            plan,
            territory,
            rule,
            within,
            clear,
        } => rule_verb(&plan, &territory, rule.as_deref(), within, clear),
        Command::Territory {
            plan,
            territory,
            change,
        } => territory_verb(&plan, &territory, change),
        Command::Pin {
            plan,
            accounts,
            to,
            unpin: _,
            type_name,
        } => pin_verb(&plan, &accounts, to.as_deref(), type_name.as_deref()),
        Command::Reps { plan, json } => {
            let ws = Workspace::open(&plan)?;
            let reps = ws.rep_metrics();
            print_out(if json {
                serde_json::to_string_pretty(&reps).unwrap_or_default() + "\n"
            } else {
                reps_table(&reps)
            })
        }
        Command::Scenario { plan, action } => scenario_verb(&plan, action),
        Command::Diff { plan, a, b, out } => {
            use crate::core::scenario;
            let ws = Workspace::open(&plan)?;
            let p = ws.project();
            let d = scenario::diff(p, scenario::find(p, &a)?, scenario::find(p, &b)?)?;
            if let Some(out) = &out {
                write_file_atomically(out, |w| scenario::write_changes_csv(w, p, &d))?;
                eprintln!("Wrote {} change(s) to {}.", d.moves.len(), out.display());
            }
            print_out(diff_table(&d))
        }
        Command::ImportSalesforce {
            plan,
            accounts,
            territory_col,
            owner_col,
            model,
            scenario,
            columns,
        } => {
            let mut ws = if plan.exists() {
                Workspace::open(&plan)?
            } else {
                let Some(acc) = &accounts else {
                    return Err(Error::invalid(format!(
                        "{} does not exist; give the accounts CSV to create it",
                        plan.display()
                    )));
                };
                Workspace::new(new_project(
                    &plan,
                    acc,
                    None,
                    "name",
                    columns.clone().into(),
                )?)
            };
            match (&model, &accounts) {
                (Some(dir), _) => {
                    let (edit, r) =
                        crate::core::salesforce::read_export(ws.project(), dir, &scenario)?;
                    ws.apply(edit)?;
                    eprintln!(
                        "{}: scenario '{scenario}': {} territories, {} new type(s), {} new rep(s), {} assignment(s){}{}.",
                        plan.display(),
                        r.territories,
                        r.new_types,
                        r.new_reps,
                        r.assignments,
                        if r.unknown_accounts > 0 {
                            format!(", {} for accounts not in the plan", r.unknown_accounts)
                        } else {
                            String::new()
                        },
                        if r.second_in_type > 0 {
                            format!(
                                ", {} skipped: a second territory of a type the account already has (Turfmap keeps one per type; the first in the file stays)",
                                r.second_in_type
                            )
                        } else {
                            String::new()
                        }
                    );
                }
                (None, Some(acc)) => {
                    let table = if plan.exists() {
                        import_accounts(acc, &columns.into(), &Progress::new())?.0
                    } else {
                        ws.project().accounts.clone()
                    };
                    baseline(
                        &mut ws,
                        &table,
                        &territory_col,
                        owner_col.as_deref(),
                        &scenario,
                    )?;
                }
                (None, None) => {
                    return Err(Error::invalid(
                        "give the accounts CSV or --model DIR to import",
                    ));
                }
            }
            ws.save_as(&plan)?;
            Ok(())
        }
        Command::ExportSalesforce {
            plan,
            dir,
            scenario,
        } => {
            use crate::core::salesforce;
            let ws = Workspace::open(&plan)?;
            let id = salesforce::scenario_for_export(ws.project(), scenario.as_deref())?;
            let view = crate::core::scenario::view(ws.project(), id)?;
            let vws = Workspace::new(view);
            let files = salesforce::export(vws.project(), vws.engines(), &dir)?;
            eprintln!("Wrote {} to {}.", files.join(", "), dir.display());
            Ok(())
        }
        Command::Open { .. }
        | Command::BenchFrame
        | Command::BenchGesture { .. }
        | Command::BenchEdit
        | Command::BenchBalance => Err(Error::invalid("this verb is handled by the window layer")),
    }
}

fn print_out(s: String) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(s.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

/// Applies a Salesforce baseline import and reports it.
fn baseline(
    ws: &mut Workspace,
    table: &crate::core::model::Accounts,
    territory_col: &str,
    owner_col: Option<&str>,
    scenario: &str,
) -> Result<()> {
    let (edit, r) = crate::core::salesforce::baseline_edit(
        ws.project(),
        table,
        territory_col,
        owner_col,
        scenario,
    )?;
    ws.apply(edit)?;
    eprintln!(
        "Scenario '{scenario}': {} territories, {} accounts pinned, {} new rep(s){}{}.",
        r.territories,
        r.assigned,
        r.new_reps,
        if r.without_territory > 0 {
            format!(", {} account(s) without a territory", r.without_territory)
        } else {
            String::new()
        },
        if r.unknown_accounts > 0 {
            format!(
                ", {} row(s) for accounts not in the plan",
                r.unknown_accounts
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

fn find_territory(ws: &Workspace, plan: &Path, name: &str) -> Result<crate::core::TerritoryId> {
    ws.project()
        .territory_by_name(name)
        .map(|t| t.id)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{}: no territory called '{name}' in scenario '{}'",
                plan.display(),
                ws.project().active().map_or("", |s| s.name.as_str())
            ))
        })
}

/// `turfmap rule`.
/// `turfmap pin`: pins accounts to `to`, or unpins them in type `type_name`.
fn pin_verb(plan: &Path, ids: &[String], to: Option<&str>, type_name: Option<&str>) -> Result<()> {
    let mut ws = Workspace::open(plan)?;
    let p = ws.project();
    let index: std::collections::HashMap<&str, usize> = p
        .accounts
        .live()
        .map(|i| (p.accounts.ids[i].as_str(), i))
        .collect();
    let mut accounts = Vec::with_capacity(ids.len());
    for id in ids {
        let i = index.get(id.as_str()).ok_or_else(|| {
            Error::invalid(format!("{}: no account with id '{id}'", plan.display()))
        })?;
        accounts.push(*i as u32);
    }
    let n = accounts.len();
    let (edit, ty) = match to {
        Some(name) => {
            let id = find_territory(&ws, plan, name)?;
            let ty = ws.project().territory(id).expect("found").type_id;
            (
                crate::core::shape_edit::drop_accounts(
                    ws.project(),
                    ws.engine_for(ty).expect("every type has an engine"),
                    &accounts,
                    id,
                )?,
                ty,
            )
        }
        None => {
            let ty = match type_name {
                Some(tn) => find_type(ws.project(), tn)?,
                None => ws.project().primary_type(),
            };
            (
                crate::core::shape_edit::unpin(ws.project(), ty, &accounts)?,
                ty,
            )
        }
    };
    ws.apply(edit)?;
    ws.save_as(plan)?;
    let p = ws.project();
    let engine = ws.engine_for(ty).expect("every type has an engine");
    let type_label = p.territory_type(ty).map_or("?", |t| t.name.as_str());
    let mut out = String::new();
    for &i in &accounts {
        let t = engine
            .territory_of(i as usize)
            .and_then(|t| p.territory(t))
            .map_or("(unassigned)", |t| t.name.as_str());
        out += &format!(
            "{}	{type_label}	{t}
",
            p.accounts.ids[i as usize]
        );
    }
    eprintln!(
        "{} {n} account(s) in {type_label}.",
        if to.is_some() { "Pinned" } else { "Unpinned" }
    );
    print_out(out)
}

fn rule_verb(
    plan: &Path,
    territory: &str,
    text: Option<&str>,
    within: bool,
    clear: bool,
) -> Result<()> {
    use crate::core::rules::Rule;
    let mut ws = Workspace::open(plan)?;
    let id = find_territory(&ws, plan, territory)?;
    let rule = match (text, clear) {
        (_, true) => None,
        (None, false) => {
            let t = ws.project().territory(id).expect("found");
            return print_out(match &t.rule {
                Some(r) => format!("{}\n", r.render()),
                None => format!("'{}' has no rule\n", t.name),
            });
        }
        (Some(text), false) => {
            let mut r = Rule::parse(text)
                .map_err(|e| Error::invalid(format!("the rule cannot be read: {e}")))?;
            r.within_geometry |= within;
            let problems = r.validate(&ws.project().accounts);
            if !problems.is_empty() {
                return Err(Error::invalid(format!(
                    "the rule has problems:\n  {}",
                    problems
                        .iter()
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                        .join("\n  ")
                )));
            }
            Some(r)
        }
    };
    ws.apply(Edit::SetRule { id, rule })?;
    ws.save_as(plan)?;
    let m = ws.metrics_for(ws.project().territory(id).expect("found").type_id);
    eprintln!(
        "'{territory}' now holds {} account(s).",
        m.territory(id).map_or(0, |t| t.own.count)
    );
    Ok(())
}

/// `turfmap territory`.
fn territory_verb(plan: &Path, territory: &str, change: TerritoryChange) -> Result<()> {
    use crate::core::edit::TerritoryProps;
    use crate::core::model::{Rep, TerritoryType};
    let TerritoryChange {
        parent,
        type_name,
        reps,
        rename,
        color,
        priority,
        lock,
        unlock,
        delete,
    } = change;
    let mut ws = Workspace::open(plan)?;
    let id = find_territory(&ws, plan, territory)?;
    if delete {
        ws.apply(Edit::RemoveTerritory { id })?;
        ws.save_as(plan)?;
        eprintln!("Deleted '{territory}'.");
        return Ok(());
    }
    let color = match color.as_deref() {
        Some(c) => Some(
            crate::core::import::plan::parse_hex_color(c).ok_or_else(|| {
                Error::invalid(format!("colour '{c}' is not #rrggbb (e.g. #1f77b4)"))
            })?,
        ),
        None => None,
    };
    let mut edits = Vec::new();
    let mut project = ws.project().clone();
    if let Some(tn) = type_name {
        let ty = match project.type_by_name(&tn) {
            Some(t) => t.id,
            None => {
                let ty = TerritoryType {
                    id: project.next_type_id(),
                    name: tn.trim().to_owned(),
                    priority: 0,
                };
                let e = Edit::AddType {
                    ty: ty.clone(),
                    position: usize::MAX,
                };
                e.clone().apply(&mut project)?;
                edits.push(e);
                ty.id
            }
        };
        let e = Edit::SetTerritoryType { id, type_id: ty };
        e.clone().apply(&mut project)?;
        edits.push(e);
    }
    if let Some(p) = parent {
        let parent = if p.trim() == "-" {
            None
        } else {
            Some(find_territory(&ws, plan, &p)?)
        };
        let e = Edit::SetParent { id, parent };
        e.clone().apply(&mut project)?;
        edits.push(e);
    }
    if let Some(list) = reps {
        let mut ids = Vec::new();
        for name in list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "-")
        {
            let rid = match project.rep_by_name(name) {
                Some(r) => r.id,
                None => {
                    let e = Edit::AddRep {
                        rep: Rep::new(project.next_rep_id(), name),
                        position: usize::MAX,
                    };
                    e.clone().apply(&mut project)?;
                    edits.push(e);
                    project.rep_by_name(name).expect("added").id
                }
            };
            ids.push(rid);
        }
        let mut props = TerritoryProps::of(project.territory(id).expect("found"));
        props.reps = ids;
        let e = Edit::SetTerritoryProps { id, props };
        e.clone().apply(&mut project)?;
        edits.push(e);
    }
    if rename.is_some() || color.is_some() || priority.is_some() || lock || unlock {
        let mut props = TerritoryProps::of(project.territory(id).expect("found"));
        if let Some(n) = rename {
            props.name = n.trim().to_owned();
        }
        if let Some(c) = color {
            props.color = c;
        }
        if let Some(p) = priority {
            props.priority = p;
        }
        if lock || unlock {
            props.locked = lock;
        }
        let e = Edit::SetTerritoryProps { id, props };
        e.clone().apply(&mut project)?;
        edits.push(e);
    }
    if edits.is_empty() {
        return Err(Error::invalid(
            "nothing to change: give --parent, --type, --reps, --rename, --color, --priority, --lock, --unlock or --delete",
        ));
    }
    ws.apply(Edit::Batch {
        label: format!("Change '{territory}'"),
        edits,
    })?;
    ws.save_as(plan)
}

/// `turfmap scenario`.
fn scenario_verb(plan: &Path, action: ScenarioAction) -> Result<()> {
    use crate::core::model::ScenarioState;
    use crate::core::scenario;
    let mut ws = Workspace::open(plan)?;
    let p = ws.project();
    let meta = |a: &str, name: Option<&str>, state: Option<ScenarioState>| -> Result<Edit> {
        let id = scenario::find(p, a)?;
        let s = p.scenario(id).expect("found");
        Ok(Edit::SetScenarioMeta {
            id,
            name: name.unwrap_or(&s.name).to_owned(),
            state: state.unwrap_or(s.state),
        })
    };
    let edit = match &action {
        ScenarioAction::List => {
            let mut s = String::new();
            for sc in &p.scenarios {
                let ts = scenario::territories_of(p, sc.id);
                s += &format!(
                    "{} {:<28} {:<9} {} territories\n",
                    if sc.id == p.active_scenario { "*" } else { " " },
                    sc.name,
                    sc.state,
                    ts.len()
                );
            }
            return print_out(s);
        }
        ScenarioAction::Clone { a, b } => scenario::clone_edit(p, scenario::find(p, a)?, b)?,
        ScenarioAction::Rename { a, b } => meta(a, Some(b), None)?,
        ScenarioAction::State { a, state } => {
            let st = ScenarioState::parse(state).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown state '{state}'; use planning, active or archived"
                ))
            })?;
            meta(a, None, Some(st))?
        }
        ScenarioAction::Switch { a } => Edit::SwitchScenario {
            to: scenario::find(p, a)?,
        },
        ScenarioAction::Delete { a } => Edit::RemoveScenario {
            id: scenario::find(p, a)?,
        },
    };
    let label = edit.label(ws.project());
    ws.apply(edit)?;
    ws.save_as(plan)?;
    eprintln!("{}: {label}.", plan.display());
    Ok(())
}

/// The table `turfmap reps` prints.
pub fn reps_table(reps: &[crate::core::reps::RepMetrics]) -> String {
    use crate::core::model::Capacity;
    let mut s = format!(
        "{:<24} {:<12} {:>9} {:>10} {:>12} {:>7} {:>9} {:>9}  territories\n",
        "rep", "role", "accounts", "workload", "capacity", "load %", "mean km", "max km"
    );
    for r in reps {
        let opt = |v: Option<f64>, d: usize| v.map_or("—".into(), |v| fmt_num(v, d));
        s += &format!(
            "{:<24} {:<12} {:>9} {:>10} {:>12} {:>7} {:>9} {:>9}  {}\n",
            truncate(&r.name, 24),
            truncate(&r.role, 12),
            fmt_num(r.accounts as f64, 0),
            opt(r.workload_hours, 0),
            match r.capacity {
                Some(Capacity::Accounts(n)) => format!("{} acc", fmt_num(n as f64, 0)),
                Some(Capacity::Hours(h)) => format!("{} h", fmt_num(h, 0)),
                None => "—".into(),
            },
            opt(r.load_pct, 0),
            opt(r.mean_km, 1),
            opt(r.max_km, 1),
            r.territories.join(", ")
        );
    }
    s
}

/// The summary `turfmap diff` prints.
pub fn diff_table(d: &crate::core::scenario::ScenarioDiff) -> String {
    let mut s = format!(
        "'{}' → '{}': {} account(s) change territory\n\n",
        d.a,
        d.b,
        d.moved_accounts().len()
    );
    let mut header = format!("{:<12} {:<28} {:>9}", "type", "territory", "Δ accounts");
    for m in &d.measures {
        header += &format!(" {:>14}", format!("Δ {}", truncate(m, 12)));
    }
    s += &header;
    s += &format!(" {:>12}\n", "Δ area km²");
    for t in &d.territories {
        let mark = match (&t.a, &t.b) {
            (None, Some(_)) => " (new)",
            (Some(_), None) => " (gone)",
            _ => "",
        };
        let mut line = format!(
            "{:<12} {:<28} {:>9}",
            truncate(&t.type_name, 12),
            truncate(&format!("{}{mark}", t.name), 28),
            format!("{:+}", t.count_delta())
        );
        for v in t.sum_deltas() {
            line += &format!(" {:>14}", signed(v));
        }
        line += &format!(" {:>12}\n", signed(t.shape_deltas().1));
        s += &line;
    }
    s
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_num(v, 0))
    } else {
        fmt_num(v, 0)
    }
}

/// `turfmap balance`: rebalance or generate, save the proposal to `out`.
#[allow(clippy::too_many_arguments)]
fn balance(
    plan: &Path,
    measure: &str,
    tolerance: f64,
    territories: Option<usize>,
    lock: &[String],
    units: &str,
    hex_km: f64,
    type_name: Option<&str>,
    out: &Path,
) -> Result<()> {
    use crate::core::optimize::{BalanceOptions, UnitLayer, generate, rebalance};
    let mut ws = Workspace::open(plan)?;
    if let Some(tn) = type_name {
        let ty = find_type(ws.project(), tn)?;
        ws.set_current_type(ty)?;
    }
    let project = ws.project();
    let mut weights = Vec::new();
    for part in measure.split(',') {
        let (name, w) = match part.split_once('=') {
            Some((n, w)) => {
                let w: f64 = w.trim().parse().map_err(|_| {
                    Error::invalid(format!("weight '{w}' of '{n}' is not a number"))
                })?;
                (n.trim(), w)
            }
            None => (part.trim(), 1.0),
        };
        weights.push((parse_measure(project, name)?, w));
    }
    let mut locked = Vec::new();
    for name in lock {
        let t = project
            .territory_by_name(name)
            .ok_or_else(|| Error::invalid(format!("no territory called '{name}' to lock")))?;
        locked.push(t.id);
    }
    let units = match units {
        "hex" => UnitLayer::Hex { size_km: hex_km },
        "states" => UnitLayer::States,
        "counties" => UnitLayer::Counties,
        "zips" => UnitLayer::Zips,
        other => {
            return Err(Error::invalid(format!(
                "unknown units '{other}'; use hex, states, counties or zips"
            )));
        }
    };
    let opts = BalanceOptions {
        weights,
        tolerance_pct: tolerance,
        locked,
        units,
        type_id: Some(ws.current_type()),
        ..BalanceOptions::default()
    };
    // Figures are reported on the chosen measure: make it the plan's.
    let mut settings = ws.project().settings.clone();
    settings.tolerance_pct = tolerance;
    if let [(m, _)] = opts.weights.as_slice() {
        settings.balance = m.clone();
    }
    ws.apply(Edit::SetSettings { settings })?;
    let project = ws.project();
    let progress = Progress::new();
    let proposal = match territories {
        Some(k) => generate(project, k, &opts, &[], &progress)?,
        None => rebalance(project, &opts, &progress)?,
    };
    let (b, a, r) = (&proposal.before, &proposal.after, &proposal.report);
    println!(
        "before: CV {:.1}%, max/min {}, {} of {} territories outside ±{tolerance}%",
        b.cv_pct,
        b.max_min_ratio.map_or("n/a".into(), |x| format!("{x:.2}")),
        b.out_of_tolerance,
        b.territories.len()
    );
    println!(
        "after:  CV {:.1}%, max/min {}, {} of {} territories outside ±{tolerance}%{}",
        a.cv_pct,
        a.max_min_ratio.map_or("n/a".into(), |x| format!("{x:.2}")),
        a.out_of_tolerance,
        a.territories.len(),
        if r.contiguous {
            ", all contiguous"
        } else {
            ", NOT all contiguous"
        }
    );
    println!(
        "moved:  {} of {} accounts ({:.1}%), {:.1}% of the balance measure",
        r.accounts_moved, r.accounts_total, r.accounts_moved_pct, r.balance_moved_pct
    );
    for (name, pct) in r.measures.iter().zip(&r.measure_moved_pct) {
        println!("        {pct:.1}% of {name}");
    }
    ws.apply(proposal.edit)?;
    ws.save_as(out)?;
    eprintln!("Saved the proposal to {}.", out.display());
    Ok(())
}

/// Builds a project from an accounts CSV and optional territories GeoJSON.
pub fn new_project(
    plan: &Path,
    accounts: &Path,
    territories: Option<&Path>,
    name_prop: &str,
    opts: AccountImportOptions,
) -> Result<Project> {
    let (table, report) = import_accounts(accounts, &opts, &Progress::new())?;
    eprintln!("{}: {}", accounts.display(), report.summary());
    let name = plan
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Plan".into());
    let mut project = Project::new(name);
    project.accounts = table;
    if let Some(tpath) = territories {
        let (imported, report) = territories_from_file(tpath, name_prop)?;
        for s in report.skipped.iter().chain(&report.repaired) {
            eprintln!("{}: {s}", tpath.display());
        }
        add_territories(&mut project, imported);
    }
    Ok(project)
}

/// Makes `name` (`count` or a measure column) the plan's balance measure.
fn set_balance_measure(ws: &mut Workspace, name: &str) -> Result<()> {
    let balance = parse_measure(ws.project(), name)?;
    let mut settings = ws.project().settings.clone();
    settings.balance = balance;
    ws.apply(Edit::SetSettings { settings })?;
    Ok(())
}

/// Parses a balance measure name: `count` or a measure column.
pub fn parse_measure(project: &Project, name: &str) -> Result<BalanceMeasure> {
    if name.eq_ignore_ascii_case("count") {
        return Ok(BalanceMeasure::Count);
    }
    match project.accounts.measure_index(name) {
        Some(i) => Ok(BalanceMeasure::Measure(
            project.accounts.measures[i].name.clone(),
        )),
        None => Err(Error::invalid(format!(
            "no measure called '{name}'; the plan has: count{}",
            project
                .accounts
                .measures
                .iter()
                .map(|m| format!(", {}", m.name))
                .collect::<String>()
        ))),
    }
}

/// Parses `km` or `mi`.
pub fn parse_units(s: &str) -> Result<crate::core::render::DistanceUnit> {
    crate::core::render::DistanceUnit::parse(s)
        .ok_or_else(|| Error::invalid(format!("unknown units '{s}'; use km or mi")))
}

/// Parses `MIN_LON,MIN_LAT,MAX_LON,MAX_LAT`.
pub fn parse_bbox(s: &str) -> Result<crate::core::render::BBox> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::invalid(format!("bbox '{s}': expected four numbers")))?;
    match v.as_slice() {
        &[a, b, c, d] if a < c && b < d && v.iter().all(|x| x.is_finite()) => Ok([a, b, c, d]),
        _ => Err(Error::invalid(format!(
            "bbox '{s}': expected MIN_LON,MIN_LAT,MAX_LON,MAX_LAT with min < max"
        ))),
    }
}

/// The human-readable metrics table printed by `turfmap metrics`.
pub fn metrics_table(m: &PlanMetrics) -> String {
    let mut s = String::new();
    let bal = &m.balance_measure;
    s += &format!("Balance on {bal} (tolerance ±{}%)\n", m.tolerance_pct);
    let mut header = format!("{:<28} {:>9}", "territory", "accounts");
    for name in &m.measures {
        header += &format!(" {:>16}", truncate(name, 16));
    }
    header += &format!(" {:>8} {:>12} {:>8}\n", "dev %", "area km²", "compact");
    s += &header;
    // Tree order: each territory followed by its children, indented.
    let ids: Vec<u32> = m.territories.iter().map(|t| t.id).collect();
    let mut order: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<(usize, usize)> = (0..m.territories.len())
        .rev()
        .filter(|&k| m.territories[k].parent.is_none_or(|p| !ids.contains(&p)))
        .map(|k| (k, 0))
        .collect();
    let mut seen = vec![false; m.territories.len()];
    while let Some((k, d)) = stack.pop() {
        if std::mem::replace(&mut seen[k], true) {
            continue;
        }
        order.push((k, d));
        let id = m.territories[k].id;
        stack.extend(
            (0..m.territories.len())
                .rev()
                .filter(|&c| m.territories[c].parent == Some(id))
                .map(|c| (c, d + 1)),
        );
    }
    order.extend(
        (0..m.territories.len())
            .filter(|&k| !seen[k])
            .map(|k| (k, 0)),
    );
    for &(k, depth) in &order {
        let t = &m.territories[k];
        let mut line = format!(
            "{:<28} {:>9}",
            truncate(&format!("{}{}", "  ".repeat(depth), t.name), 28),
            fmt_num(t.group.count as f64, 0)
        );
        for v in &t.group.sums {
            line += &format!(" {:>16}", fmt_num(*v, 0));
        }
        line += &format!(
            " {:>8} {:>12} {:>8.3}{}\n",
            format!("{:+.1}", t.deviation_pct),
            fmt_num(t.area_km2, 0),
            t.compactness,
            if t.deviation_pct.abs() > m.tolerance_pct {
                "  !"
            } else {
                ""
            }
        );
        s += &line;
    }
    s += &format!(
        "\nPlan: {} territories, mean {} , min {}, max {}, max/min {}, CV {:.1}%, {} outside ±{}%\n",
        m.territories.len(),
        fmt_num(m.mean, 1),
        fmt_num(m.min, 1),
        fmt_num(m.max, 1),
        m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
        m.cv_pct,
        m.out_of_tolerance,
        m.tolerance_pct
    );
    let group = |label: &str, g: &crate::core::metrics::Group| {
        let mut l = format!("{label}: {} accounts", fmt_num(g.count as f64, 0));
        for (name, v) in m.measures.iter().zip(&g.sums) {
            l += &format!(", {name} {}", fmt_num(*v, 0));
        }
        l + "\n"
    };
    s += &group("Unassigned", &m.unassigned);
    s += &group("Unlocated", &m.unlocated);
    s += &group("Total", &m.total);
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}

/// The territory type called `name`; an unknown name lists the plan's types.
fn find_type(project: &Project, name: &str) -> Result<TerritoryTypeId> {
    project.type_by_name(name).map(|t| t.id).ok_or_else(|| {
        Error::invalid(format!(
            "no territory type called '{name}'; the plan has: {}",
            project
                .types
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}
