//! The background work the import dialogs lead to (a new plan from a
//! mapping, reading an export to refresh from) and applying a refresh, as
//! plain functions the app's command handler calls.

use std::path::{Path, PathBuf};

use super::jobs::{JobOutput, JobRequest};
use super::settings::AppSettings;
use super::{display_name, files};
use crate::core::import::{AccountImportOptions, ImportReport, NewPlanFiles, import_accounts};
use crate::core::model::Accounts;
use crate::core::{Workspace, refresh};

/// Builds a new plan from `files` and saves it to `plan` (the wizard
/// proposes a free name, so no other file is replaced unasked).
pub(crate) fn create(files: NewPlanFiles, plan: PathBuf, remembered: AppSettings) -> JobRequest {
    let title = format!(
        "Creating {} from {}",
        display_name(&plan),
        display_name(&files.accounts)
    );
    JobRequest::new(title, true, move |progress| {
        let name = files::plan_name_from(&plan);
        let (mut project, report) = crate::core::import::new_project(&name, &files, progress)?;
        let summary = report.summary();
        remembered.apply_balance_measure(&mut project);
        let mut ws = Workspace::new(project);
        progress.check()?;
        ws.save_as(&plan)?;
        Ok(JobOutput::Created {
            ws: Box::new(ws),
            path: plan,
            summary,
        })
    })
}

/// Reads the export at `path` with `options`; the refresh itself is then
/// one undoable edit (see [`apply_refresh`]).
pub(crate) fn read_export(path: PathBuf, options: AccountImportOptions) -> JobRequest {
    let title = format!("Reading {}", display_name(&path));
    JobRequest::new(title, true, move |progress| {
        let (accounts, report) = import_accounts(&path, &options, progress)?;
        Ok(JobOutput::AccountsRead {
            path,
            accounts: Box::new(accounts),
            report: Box::new(report),
        })
    })
}

/// Refreshes the plan in `ws` from an export read by [`read_export`]:
/// the summary's title and lines, or why it was refused.
pub(crate) fn apply_refresh(
    ws: &mut Workspace,
    path: &Path,
    accounts: &Accounts,
    report: &ImportReport,
) -> Result<(String, Vec<String>), String> {
    let file = display_name(path);
    let summary = refresh::refresh(ws, accounts, report, &file).map_err(|e| e.to_string())?;
    let mut lines = summary.lines();
    if summary.is_empty() {
        lines.insert(
            0,
            "The plan already matches the export: nothing changed.".into(),
        );
    }
    Ok((format!("Refreshed from {file}"), lines))
}
