//! Output verbs: `export-map`, `report`, `assign`.

use std::io::Write;
use std::path::Path;

use super::args::{AssignArgs, ExportMapArgs, ReportArgs};
use super::{parse_bbox, parse_units, set_balance_measure};
use crate::core::export::{write_assignment_csv, write_file_atomically};
use crate::core::import::{AccountImportOptions, NewPlanFiles, new_project};
use crate::core::progress::Progress;
use crate::core::{Error, Result, Workspace};

/// `turfmap export-map`: the plan as a PNG or SVG image.
pub(super) fn export_map(a: ExportMapArgs) -> Result<()> {
    let ws = Workspace::open(&a.plan)?;
    let opts = crate::core::render::MapImageOptions {
        width: a.width,
        height: a.height,
        title: a.title,
        bbox: a.bbox.as_deref().map(parse_bbox).transpose()?,
        units: parse_units(&a.units)?,
        accounts: !a.no_accounts,
        labels: !a.no_labels,
        ..Default::default()
    };
    crate::core::render::export_map(&ws, &opts, &a.out)?;
    eprintln!(
        "Wrote the {}×{} map to {}.",
        a.width,
        a.height,
        a.out.display()
    );
    Ok(())
}

/// `turfmap report`: the self-contained HTML balance report.
pub(super) fn report(a: ReportArgs) -> Result<()> {
    let mut ws = Workspace::open(&a.plan)?;
    if let Some(m) = &a.measure {
        set_balance_measure(&mut ws, m)?;
    }
    let units = parse_units(&a.units)?;
    let comparison = match &a.compare {
        Some(name) => {
            let p = ws.project();
            let other = crate::core::scenario::find(p, name)?;
            Some(crate::core::report::ScenarioComparison::between(
                p,
                p.active_scenario,
                other,
            )?)
        }
        None => None,
    };
    let mut opts = crate::core::report::ReportOptions {
        title: a.title,
        units,
        scenario: comparison.as_ref(),
        ..Default::default()
    };
    opts.map.units = units;
    crate::core::report::write_report(&ws, &opts, &a.out)?;
    eprintln!(
        "Wrote the report on {} territories to {}.",
        ws.project().territories.len(),
        a.out.display()
    );
    Ok(())
}

/// `turfmap assign`: `account_id,territory` to a file or standard output,
/// from a plan file or, one-shot, from an accounts CSV and boundaries.
pub(super) fn assign(a: AssignArgs) -> Result<()> {
    let ws = match (&a.plan, &a.accounts, &a.territories) {
        (Some(plan), None, None) => {
            if let Some(flag) = a.columns.first_given() {
                return Err(Error::invalid(format!(
                    "{flag} applies to --accounts (one-shot assign), not to the plan {}",
                    plan.display()
                )));
            }
            Workspace::open(plan)?
        }
        (None, Some(accounts), Some(territories)) => {
            let name_prop = a.name_prop.as_deref().unwrap_or("name");
            one_shot(accounts, territories, name_prop, a.columns.into())?
        }
        // clap refuses the other combinations before we get here.
        _ => {
            return Err(Error::invalid(
                "give a plan file, or --accounts and --territories",
            ));
        }
    };
    let assignment = ws.engine().assignment();
    match a.out {
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

/// The in-memory plan of a one-shot `assign`: imported exactly as `turfmap
/// new` imports (same detection, same errors, same report on standard
/// error), never saved.
fn one_shot(
    accounts: &Path,
    territories: &Path,
    name_prop: &str,
    columns: AccountImportOptions,
) -> Result<Workspace> {
    let files = NewPlanFiles {
        accounts: accounts.to_owned(),
        territories: Some(territories.to_owned()),
        name_prop: name_prop.to_owned(),
        columns,
    };
    let (project, report) = new_project("Assignment", &files, &Progress::new())?;
    for line in report.lines(&files) {
        eprintln!("{line}");
    }
    Ok(Workspace::new(project))
}
