//! Salesforce verbs: `import-salesforce`, `export-salesforce`, and the
//! baseline scenario `new --territory-col` shares.

use std::path::Path;

use super::args::{ExportSalesforceArgs, ImportSalesforceArgs};
use super::plan::new_project;
use crate::core::import::import_accounts;
use crate::core::model::Accounts;
use crate::core::progress::Progress;
use crate::core::salesforce;
use crate::core::{Error, Result, Workspace};

/// `turfmap import-salesforce`: a scenario from an account export's
/// territory column, or from the Data Loader files of `--model DIR`.
pub(super) fn import(a: ImportSalesforceArgs) -> Result<()> {
    let plan = &a.plan;
    let existed = plan.exists();
    let mut ws = if existed {
        Workspace::open(plan)?
    } else {
        let Some(acc) = &a.accounts else {
            return Err(Error::invalid(format!(
                "{} does not exist; give the accounts CSV to create it",
                plan.display()
            )));
        };
        Workspace::new(new_project(
            plan,
            acc,
            None,
            None,
            a.columns.clone().into(),
        )?)
    };
    match (&a.model, &a.accounts) {
        (Some(dir), _) => import_model(&mut ws, plan, dir, &a.scenario)?,
        (None, Some(acc)) => {
            let table = if existed {
                import_accounts(acc, &a.columns.into(), &Progress::new())?.0
            } else {
                ws.project().accounts.clone()
            };
            baseline(
                &mut ws,
                &table,
                &a.territory_col,
                a.owner_col.as_deref(),
                &a.scenario,
            )?;
        }
        (None, None) => {
            return Err(Error::invalid(
                "give the accounts CSV or --model DIR to import",
            ));
        }
    }
    ws.save_as(plan)
}

/// Reads the Data Loader files in `dir` as scenario `scenario`.
fn import_model(ws: &mut Workspace, plan: &Path, dir: &Path, scenario: &str) -> Result<()> {
    let (edit, r) = salesforce::read_export(ws.project(), dir, scenario)?;
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
    Ok(())
}

/// Applies a Salesforce baseline import and reports it.
pub(super) fn baseline(
    ws: &mut Workspace,
    table: &Accounts,
    territory_col: &str,
    owner_col: Option<&str>,
    scenario: &str,
) -> Result<()> {
    let (edit, r) =
        salesforce::baseline_edit(ws.project(), table, territory_col, owner_col, scenario)?;
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

/// `turfmap export-salesforce`: Data Loader files of a scenario.
pub(super) fn export(a: ExportSalesforceArgs) -> Result<()> {
    let ws = Workspace::open(&a.plan)?;
    let id = salesforce::scenario_for_export(ws.project(), a.scenario.as_deref())?;
    let view = crate::core::scenario::view(ws.project(), id)?;
    let vws = Workspace::new(view);
    let files = salesforce::export(vws.project(), vws.engines(), &a.dir)?;
    eprintln!("Wrote {} to {}.", files.join(", "), a.dir.display());
    Ok(())
}
