//! The command line: `turfmap <verb> …` for scripting and batch runs. The
//! binary opens the window itself when no verb (or `open`) is given, so this
//! layer never starts the window.
//!
//! Every verb that changes a plan goes through [`Workspace::apply`], the same
//! path the window uses. One function per verb, grouped by file:
//! [`args`] (what clap parses), [`plan`] (new, import/export territories,
//! sample), `exports` (map, report, assignment), `metrics` (metrics,
//! explain, reps), `balance`, `rules`, `pins`, `territory`, `scenario`
//! (scenarios, diff), `travel` (drive time), `salesforce`, `bench` (feature
//! `bench`) and [`table`] (the tables printed).

pub mod args;
mod balance;
#[cfg(feature = "bench")]
mod bench;
mod capacity;
mod coverage;
mod exports;
mod metrics;
mod pins;
pub mod plan;
mod quota;
mod rep;
mod rules;
mod salesforce;
mod scenario;
pub mod table;
mod territory;
mod travel;
mod workload;

use std::io::Write;
use std::path::Path;

pub use args::{Cli, ColumnArgs, Command, ScenarioAction, TerritoryChange};
pub use plan::new_project;
pub use table::{diff_table, metrics_table, reps_table};

use crate::core::edit::Edit;
use crate::core::model::{BalanceMeasure, Project, TerritoryTypeId};
use crate::core::workspace::SaveOptions;
use crate::core::{Error, Result, Workspace};

/// Runs one CLI verb. `open` and the window benchmarks belong to the window
/// layer (the binary runs them); here they are an error.
pub fn run(cmd: Command) -> Result<()> {
    match run_verb(cmd) {
        // `turfmap assign plan | head`: the reader has what it wanted.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn run_verb(cmd: Command) -> Result<()> {
    match cmd {
        Command::New(a) => plan::new(a),
        Command::ImportTerritories(a) => plan::import_territories(a),
        Command::ExportTerritories(a) => plan::export_territories(a),
        Command::GenSample(a) => plan::gen_sample(a),
        Command::ExportMap(a) => exports::export_map(a),
        Command::Report(a) => exports::report(a),
        Command::Assign(a) => exports::assign(a),
        Command::Metrics(a) => metrics::metrics(a),
        Command::Explain(a) => metrics::explain(a),
        Command::Settings(a) => plan::settings(a),
        Command::Reps(a) => metrics::reps(a),
        Command::Rep(a) => rep::rep(a),
        Command::Travel(a) => travel::travel(a),
        Command::TravelWorkload(a) => workload::travel_workload(a),
        Command::Balance(a) => balance::balance(a),
        Command::Rule(a) => rules::rule(a),
        Command::Pin(a) => pins::pin(a),
        Command::Territory(a) => territory::territory(a),
        Command::Scenario(a) => scenario::scenario(a),
        Command::Diff(a) => scenario::diff(a),
        Command::ImportSalesforce(a) => salesforce::import(a),
        Command::ExportSalesforce(a) => salesforce::export(a),
        #[cfg(feature = "bench")]
        Command::Bench(a) => bench::bench(a),
        #[cfg(feature = "bench")]
        Command::BenchEdit(a) => bench::bench_edit(a.territories),
        #[cfg(feature = "bench")]
        Command::BenchBalance => bench::bench_balance(),
        #[cfg(feature = "bench")]
        Command::BenchPostal(a) => bench::bench_postal(a.accounts),
        #[cfg(feature = "bench")]
        Command::BenchFrame | Command::BenchGesture(_) => window_verb(),
        Command::Refresh(a) => quota::refresh(a),
        Command::Quota(a) => quota::quota(a),
        Command::Capacity(a) => capacity::capacity(a),
        Command::Coverage(a) => coverage::coverage(a),
        Command::Open(_) => window_verb(),
    }
}

/// Opens a plan for a verb: without undo history, since nothing undoes
/// after a command (its edits still go through [`Workspace::apply`]), and
/// with engines rebuilt only when something reads them.
fn open(plan: &Path) -> Result<Workspace> {
    let mut ws = Workspace::open(plan)?;
    ws.set_history(false);
    ws.set_lazy_engines(true);
    Ok(ws)
}

fn window_verb() -> Result<()> {
    Err(Error::invalid("this verb is handled by the window layer"))
}

/// Saves the plan to `plan`: refuses a read-only file unless `--force`,
/// and a plan someone else saved since this command read it.
fn save(ws: &mut Workspace, plan: &Path, args: args::SaveArgs) -> Result<()> {
    // Accounts may have moved between reps: travel workload follows them.
    if let Some(edit) = crate::core::workload::refresh(ws)? {
        ws.apply(edit)?;
    }
    // Nothing undoes after a command: free the history before the save's
    // own allocations add to the peak.
    ws.forget_history();
    let opts = SaveOptions {
        read_only: args.force,
        overwrite_changes: false,
    };
    ws.save_as_with(plan, opts).map_err(|e| match e {
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            let hint = if args.force {
                ""
            } else {
                " (--force replaces a read-only plan)"
            };
            Error::io(
                path,
                std::io::Error::new(source.kind(), format!("{source}{hint}")),
            )
        }
        Error::Changed(path) => Error::invalid(format!(
            "{}: the plan changed on disk while this command ran (another turfmap command or \
             window saved it), so it was not overwritten; run the command again",
            path.display()
        )),
        e => e,
    })
}

/// The one line printed for an error: its message, then each cause that
/// the message does not already include (an OS error is named once).
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

/// How CSV cells are written: spreadsheet-safe unless `--raw-csv`.
fn csv_cells(raw: bool) -> crate::core::csvsafe::CsvCells {
    if raw {
        crate::core::csvsafe::CsvCells::Raw
    } else {
        crate::core::csvsafe::CsvCells::SpreadsheetSafe
    }
}

/// Writes `s` to standard output.
fn print_out(s: String) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(s.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

/// The territory called `name` in the scenario shown.
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

/// Makes `name` (`count` or a measure column) the plan's balance measure.
fn set_balance_measure(ws: &mut Workspace, name: &str) -> Result<()> {
    let balance = parse_measure(ws.project(), name)?;
    let mut settings = ws.project().settings.clone();
    settings.balance = balance;
    ws.apply(Edit::SetSettings {
        settings: Box::new(settings),
    })?;
    Ok(())
}

/// Parses a balance measure name: `count` or a measure column.
pub fn parse_measure(project: &Project, name: &str) -> Result<BalanceMeasure> {
    let a = &project.accounts;
    Ok(match a.measure_or_count(name)? {
        None => BalanceMeasure::Count,
        Some(i) => BalanceMeasure::Measure(a.measures[i].name.clone()),
    })
}

/// Parses `km` or `mi`.
pub fn parse_units(s: &str) -> Result<crate::core::render::DistanceUnit> {
    crate::core::render::DistanceUnit::parse(s)
        .ok_or_else(|| Error::invalid(format!("unknown units '{s}'; use km or mi")))
}

/// Parses a paper name (`a4`, `letter`).
pub fn parse_paper(s: &str) -> Result<crate::core::render::Paper> {
    crate::core::render::Paper::parse(s)
        .ok_or_else(|| Error::invalid(format!("unknown paper '{s}'; use a4 or letter")))
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

pub use crate::core::numfmt::fmt_num;
