//! The window's file operations as background jobs: open, create, save,
//! import territories, export assignments and territories. Each function
//! takes what it needs from the plan now (a snapshot) and returns a
//! [`JobRequest`] that the app starts, so the window keeps drawing and
//! editing while the worker reads or writes.

use std::path::{Path, PathBuf};

use super::files;
use super::jobs::{JobOutput, JobRequest};
use super::panels::NewPlanRequest;
use super::settings::AppSettings;
use crate::core::edit::Edit;
use crate::core::export::{write_assignment_csv, write_file_atomically};
use crate::core::import::{ImportedTerritory, TerritoryImportReport, territories_named};
use crate::core::{Project, Workspace};

use super::display_name;

/// Opens the plan at `path`.
pub(crate) fn open(path: PathBuf) -> JobRequest {
    let title = format!("Opening {}", display_name(&path));
    JobRequest::new(title, true, move |_| {
        let ws = Workspace::open(&path)?;
        Ok(JobOutput::Opened {
            ws: Box::new(ws),
            path: Some(path),
        })
    })
}

/// Opens the bundled sample plan.
pub(crate) fn open_sample() -> JobRequest {
    JobRequest::new("Opening the sample plan", true, |progress| {
        let project = files::load_sample(progress)?;
        Ok(JobOutput::Opened {
            ws: Box::new(Workspace::new(project)),
            path: None,
        })
    })
}

/// Builds a new plan from an accounts table (and optional territories)
/// and saves it where the request says; `remembered` supplies the balance
/// measure last used.
pub(crate) fn create(r: NewPlanRequest, remembered: AppSettings) -> JobRequest {
    let title = format!(
        "Creating {} from {}",
        display_name(&r.plan),
        display_name(&r.accounts)
    );
    JobRequest::new(title, true, move |progress| {
        let name = files::plan_name_from(&r.plan);
        let mut files = crate::core::import::NewPlanFiles {
            territories: r.territories,
            name_prop: r.name_prop,
            ..crate::core::import::NewPlanFiles::accounts(r.accounts)
        };
        files.columns.default_country = Some(r.country);
        let (mut project, report) = crate::core::import::new_project(&name, &files, progress)?;
        let summary = report.summary();
        remembered.apply_balance_measure(&mut project);
        let mut ws = Workspace::new(project);
        progress.check()?;
        ws.save_as(&r.plan)?;
        Ok(JobOutput::Created {
            ws: Box::new(ws),
            path: r.plan,
            summary,
        })
    })
}

/// Saves a snapshot of the plan to `path`. It refuses to overwrite the
/// plan's file if someone else saved it since this window read or wrote it,
/// unless `overwrite_changes`.
pub(crate) fn save(ws: &Workspace, path: PathBuf, overwrite_changes: bool) -> JobRequest {
    // The snapshot takes milliseconds, so the window keeps drawing and
    // editing meanwhile; edits made during the save leave the plan marked
    // unsaved.
    let project = ws.project().snapshot();
    let state = ws.state_id();
    let opts = ws.write_options(
        &path,
        crate::core::workspace::SaveOptions {
            overwrite_changes,
            ..Default::default()
        },
    );
    let title = format!("Saving {}", display_name(&path));
    JobRequest::new(title, false, move |_| {
        match crate::core::project_file::save_with(&project, &path, opts) {
            Ok(written) => Ok(JobOutput::Saved {
                path,
                state,
                written,
            }),
            // Someone else saved the file since this window read it: ask.
            Err(crate::core::Error::Changed(_)) => Ok(JobOutput::ChangedOnDisk { path }),
            Err(e) => Err(e),
        }
    })
}

/// Reads territories from a file; the app then adds them (or replaces the
/// boundary of same-named ones) as one undoable edit.
pub(crate) fn import_territories(path: PathBuf) -> JobRequest {
    let title = format!("Importing territories from {}", display_name(&path));
    JobRequest::new(title, true, move |_| {
        let (territories, report) = territories_named(&path, None)?;
        Ok(JobOutput::TerritoriesRead {
            path,
            territories,
            report,
        })
    })
}

/// The edit that adds territories read from `path` (or replaces the
/// boundary of same-named ones), and the status line saying what it did;
/// or why nothing can be added.
pub(crate) fn merge_imported(
    project: &Project,
    path: &Path,
    territories: Vec<ImportedTerritory>,
    report: &TerritoryImportReport,
) -> Result<(Edit, String), String> {
    let file = display_name(path);
    let skipped = match report.skipped.first() {
        Some(first) => format!(
            "; {} feature(s) skipped, e.g. {first}",
            report.skipped.len()
        ),
        None => String::new(),
    };
    if territories.is_empty() {
        return Err(format!("{file}: no usable territories{skipped}"));
    }
    let merge = crate::core::import::merge_territories(
        project,
        territories,
        format!("Import territories from {file}"),
    );
    let (added, replaced, locked) = (merge.added, merge.replaced, merge.locked);
    let Some(edit) = merge.edit else {
        return Err(format!(
            "{file}: every territory in it is locked in this plan ({}); unlock them first",
            locked.join(", ")
        ));
    };
    let locked = if locked.is_empty() {
        String::new()
    } else {
        format!("; {} locked left as they were", locked.len())
    };
    let notice =
        format!("Imported from {file}: {added} added, {replaced} replaced{locked}{skipped}");
    Ok((edit, notice))
}

/// Writes `account_id,territory` for every account to `path` (CSV).
pub(crate) fn export_assignments(ws: &Workspace, path: PathBuf) -> JobRequest {
    let project = ws.project().snapshot();
    let assignment = ws.engine().assignment();
    let title = format!("Exporting assignments to {}", display_name(&path));
    JobRequest::new(title, false, move |_| {
        write_file_atomically(&path, |w| write_assignment_csv(w, &project, &assignment))?;
        Ok(JobOutput::Exported {
            path,
            what: "assignments",
        })
    })
}

/// Writes the territories to `path`: KML for a `.kml` file, KMZ for a
/// `.kmz` one, GeoJSON otherwise.
pub(crate) fn export_territories(ws: &Workspace, path: PathBuf) -> JobRequest {
    use crate::core::import::{TerritoryFormat, write_territories_file};
    // Only the territories are needed: no need to copy the accounts.
    let mut project = Project::new(ws.project().name.clone());
    project.territories = ws.project().territories.clone();
    let title = format!("Exporting territories to {}", display_name(&path));
    let format = match TerritoryFormat::of(&path) {
        Some(f @ (TerritoryFormat::Kml | TerritoryFormat::Kmz)) => f,
        _ => TerritoryFormat::GeoJson,
    };
    JobRequest::new(title, false, move |_| {
        write_territories_file(&path, &project, format)?;
        Ok(JobOutput::Exported {
            path,
            what: "territories",
        })
    })
}
