//! Output verbs: `export-map`, `report`, `assign`.

use super::args::{AssignArgs, ExportMapArgs, ReportArgs};
use super::{parse_bbox, parse_paper, parse_units, set_balance_measure};
use crate::core::csvsafe::CsvCells;
use crate::core::export::write_assignment_csv_with;
use crate::core::fs::write_file_atomically;
use crate::core::import::NewPlanFiles;
use crate::core::oneshot::assign_files;
use crate::core::{Error, Result};
use std::io::Write;
use std::path::Path;

/// `turfmap export-map`: the plan as a PNG or SVG image, or a PDF page.
pub(super) fn export_map(a: ExportMapArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
    let opts = crate::core::render::MapImageOptions {
        width: a.width,
        height: a.height,
        title: a.title,
        bbox: a.bbox.as_deref().map(parse_bbox).transpose()?,
        units: parse_units(&a.units)?,
        accounts: !a.no_accounts,
        labels: !a.no_labels,
        label_values: a.label_values,
        color_by: crate::core::colorby::ColorBy::parse(&a.color_by, ws.project())?,
        paper: parse_paper(&a.paper)?,
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
    let mut ws = super::open(&a.plan)?;
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
    let drive = super::travel::drive_view(&ws);
    let mut opts = crate::core::report::ReportOptions {
        title: a.title,
        units,
        scenario: comparison.as_ref(),
        drive: drive.as_ref(),
        ..Default::default()
    };
    opts.map.units = units;
    opts.map.paper = parse_paper(&a.paper)?;
    opts.map.color_by = crate::core::colorby::ColorBy::parse(&a.color_by, ws.project())?;
    opts.map.label_values = a.label_values;
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
    let cells = super::csv_cells(a.raw_csv);
    // No --out is standard output, as `--out -` is.
    let out = a
        .out
        .unwrap_or_else(|| std::path::PathBuf::from(crate::core::fs::STDOUT));
    let ws = match (&a.plan, &a.accounts, &a.territories) {
        (Some(plan), None, None) => {
            if let Some(flag) = a.columns.first_given() {
                return Err(Error::invalid(format!(
                    "{flag} applies to --accounts (one-shot assign), not to the plan {}",
                    plan.display()
                )));
            }
            super::open(plan)?
        }
        (None, Some(accounts), Some(territories)) => {
            let files = NewPlanFiles {
                accounts: accounts.to_owned(),
                territories: Some(territories.to_owned()),
                name_prop: a.name_prop.clone(),
                columns: a.columns.into(),
            };
            return one_shot(&files, cells, &out);
        }
        // clap refuses the other combinations before we get here.
        _ => {
            return Err(Error::invalid(
                "give a plan file, or --accounts and --territories",
            ));
        }
    };
    let assignment = ws.engine().assignment();
    let r = write_file_atomically(&out, |w| {
        write_assignment_csv_with(w, ws.project(), &assignment, cells)
    });
    // The process ends here: freeing a million accounts one allocation at
    // a time would only delay the exit (a tenth of a second at 1M).
    std::mem::forget(ws);
    r
}

/// The one-shot `assign`: the accounts imported exactly as `turfmap new`
/// imports them (same detection, same errors, same report on standard
/// error) and assigned, with no plan saved (see [`crate::core::oneshot`]).
fn one_shot(files: &NewPlanFiles, cells: CsvCells, out: &Path) -> Result<()> {
    let shot = assign_files(files, cells)?;
    for line in shot.report.lines(files) {
        eprintln!("{line}");
    }
    write_file_atomically(out, |w| {
        for piece in &shot.csv {
            w.write_all(piece).map_err(|e| Error::io(out, e))?;
        }
        Ok(())
    })
}
