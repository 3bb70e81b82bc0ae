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
    territories_from_file, write_territories_kml,
};
use crate::core::metrics::PlanMetrics;
use crate::core::model::{BalanceMeasure, Project};
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
        /// Territory boundaries: GeoJSON, Esri shapefile (.shp) or KML.
        #[arg(long)]
        territories: Option<PathBuf>,
        /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
        /// field (KML; `name` = the Placemark name) holding the territory name.
        #[arg(long, default_value = "name")]
        name_prop: String,
        /// Column choices.
        #[command(flatten)]
        columns: ColumnArgs,
        /// Overwrite the plan file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Add or replace territory boundaries (same name = replace) from
    /// GeoJSON, an Esri shapefile (.shp + .dbf) or KML, by file extension.
    ImportTerritories {
        /// The plan file.
        plan: PathBuf,
        /// `.geojson`/`.json`, `.shp` or `.kml` file of polygons.
        file: PathBuf,
        /// Property (GeoJSON), attribute (shapefile .dbf) or ExtendedData
        /// field (KML; `name` = the Placemark name) holding the territory name.
        #[arg(long, default_value = "name")]
        name_prop: String,
    },
    /// Write the territories as GeoJSON or KML (by the extension of --out).
    ExportTerritories {
        /// The plan file.
        plan: PathBuf,
        /// Output file: `.geojson`/`.json` or `.kml`.
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
    /// Open a plan in the window.
    Open {
        /// The plan file.
        plan: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => crate::app::run(cli.plan),
        Some(Command::Open { plan }) => crate::app::run(Some(plan)),
        Some(Command::BenchFrame) => crate::app::frame_bench::run(&mut std::io::stdout()),
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
            crate::core::project_file::save(&project, &plan)?;
            let ws = Workspace::new(project);
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
                Some(TerritoryFormat::Kml) => {
                    write_file_atomically(&out, |w| write_territories_kml(w, ws.project()))?
                }
                Some(TerritoryFormat::GeoJson) => write_file_atomically(&out, |w| {
                    crate::core::export::write_territories_geojson(w, ws.project())
                })?,
                _ => {
                    return Err(Error::invalid(format!(
                        "{}: use a .geojson or .kml file name",
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
        } => {
            let mut ws = Workspace::open(&plan)?;
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
            out,
        } => balance(
            &plan,
            &measure,
            tolerance,
            territories,
            &lock,
            &units,
            hex_km,
            &out,
        ),
        Command::Open { .. } | Command::BenchFrame | Command::BenchEdit | Command::BenchBalance => {
            Err(Error::invalid("this verb is handled by the window layer"))
        }
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
    out: &Path,
) -> Result<()> {
    use crate::core::optimize::{BalanceOptions, UnitLayer, generate, rebalance};
    let mut ws = Workspace::open(plan)?;
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

/// Formats a number with thousands separators and `decimals` decimals.
pub fn fmt_num(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut out = String::new();
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && v.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        out.insert(0, '-');
    }
    out
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
    for t in &m.territories {
        let mut line = format!(
            "{:<28} {:>9}",
            truncate(&t.name, 28),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(fmt_num(1234567.891, 2), "1,234,567.89");
        assert_eq!(fmt_num(-1234.0, 0), "-1,234");
        assert_eq!(fmt_num(999.0, 0), "999");
        assert_eq!(fmt_num(0.0, 1), "0.0");
    }
}
