//! Salesforce verbs: `import-salesforce`, `export-salesforce`, and the
//! baseline scenario `new --territory-col` shares.

use std::path::Path;

use super::args::{ExportSalesforceArgs, ImportSalesforceArgs};
use super::plan::new_project;
use crate::core::import::{AccountImportOptions, import_accounts};
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
        super::open(plan)?
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
    ws.set_history(false);
    match (&a.model, &a.accounts) {
        (Some(dir), _) => {
            let sources = salesforce::ModelSources {
                associations: a.associations.clone(),
                territory_ids: a.territory_ids.clone(),
                user_associations: a.user_associations.clone(),
                user_ids: a.user_ids.clone(),
            };
            import_model(&mut ws, plan, dir, &sources, &a.scenario)?;
        }
        (None, Some(acc)) => {
            let table = if existed {
                let mut opts: AccountImportOptions = a.columns.into();
                // Rows without a country are in the plan's country.
                opts.default_country = opts
                    .default_country
                    .or(Some(ws.project().settings.default_country));
                import_accounts(acc, &opts, &Progress::new())?.0
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
    super::save(&mut ws, plan, a.save)
}

/// Reads the Salesforce territories in `dir` as scenario `scenario`.
fn import_model(
    ws: &mut Workspace,
    plan: &Path,
    dir: &Path,
    sources: &salesforce::ModelSources,
    scenario: &str,
) -> Result<()> {
    let (edit, r) = salesforce::read_model(ws.project(), dir, sources, scenario)?;
    ws.apply(edit)?;
    eprintln!(
        "{}: scenario '{scenario}': {}",
        plan.display(),
        model_report(&r)
    );
    Ok(())
}

/// The import report for people.
fn model_report(r: &salesforce::ModelReport) -> String {
    let mut s = format!(
        "{} territories, {} new type(s), {} new rep(s), {} rule(s), {} assignment(s)",
        r.territories, r.new_types, r.new_reps, r.rules, r.assignments
    );
    if r.unknown_accounts > 0 {
        s.push_str(&format!(
            ", {} for accounts not in the plan",
            r.unknown_accounts
        ));
    }
    if r.second_in_type > 0 {
        s.push_str(&format!(
            ", {} skipped: a second territory of a type the account already has (Turfmap keeps one per type; the first in the file stays)",
            r.second_in_type
        ));
    }
    if r.inherited_rules > 0 {
        s.push_str(&format!(
            ", {} inherited rule association(s) left on the parent (Turfmap rules do not inherit)",
            r.inherited_rules
        ));
    }
    s.push('.');
    for skipped in &r.skipped_rules {
        s.push_str(&format!("\nRule not read: {skipped}"));
    }
    s
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

/// `turfmap export-salesforce`: the territory model as Metadata API
/// source and, with the org's ids, the association loads.
pub(super) fn export(a: ExportSalesforceArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
    let id = salesforce::scenario_for_export(ws.project(), a.scenario.as_deref())?;
    let mut view = crate::core::scenario::view(ws.project(), id)?;
    let access = &mut view.settings.salesforce;
    for (flag, level) in [
        (&a.account_access, &mut access.account),
        (&a.opportunity_access, &mut access.opportunity),
        (&a.case_access, &mut access.case),
        (&a.contact_access, &mut access.contact),
    ] {
        if flag.is_some() {
            level.clone_from(flag);
        }
    }
    let vws = Workspace::new(view);
    let opts = salesforce::ExportOptions {
        territory_ids: a.territory_ids,
        user_ids: a.user_ids,
        allow_row_number_ids: a.allow_row_ids,
        cells: super::csv_cells(a.raw_csv),
    };
    let s = salesforce::export_with(vws.project(), vws.engines(), &a.dir, &opts)?;
    eprint!("{}", s.text());
    eprintln!("Wrote {} file(s) to {}.", s.files.len(), a.dir.display());
    if opts.territory_ids.is_none() {
        eprintln!(
            "Next: see {} (deploy, export the territory ids, run again with --territory-ids).",
            a.dir.join("LOAD-STEPS.txt").display()
        );
    }
    Ok(())
}
