//! Writing a scenario for Salesforce: metadata, id-resolved association
//! loads, `LOAD-STEPS.txt` and `EXPORT-SUMMARY.txt`, all into a temporary
//! folder that replaces the output folder only when everything is written.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::ids::{Lookup, TerritoryIds, UserIds, ids_are_row_numbers, looks_like_salesforce_id};
use super::metadata::{self, MetadataReport, Names};
use crate::core::csvsafe::CsvCells;
use crate::core::engine::Engine;
use crate::core::error::{Error, Result};
use crate::core::fs::{FileWriter, write_folder_atomically};
use crate::core::model::Project;

/// Choices for [`export`].
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// The org's Territory2 export (`Id`, `DeveloperName`): with it the
    /// association loads are written with territory ids.
    pub territory_ids: Option<PathBuf>,
    /// The org's User export (`Id` plus `Username`, `Email` or
    /// `FederationIdentifier`): with it `UserTerritory2Association.csv`
    /// is written too.
    pub user_ids: Option<PathBuf>,
    /// Export even though the account ids look like row numbers.
    pub allow_row_number_ids: bool,
    /// How the CSV cells are written (spreadsheet-safe by default).
    pub cells: CsvCells,
}

/// What an export wrote, and what it could not express.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Files written, relative to the output folder.
    pub files: Vec<String>,
    /// The model's DeveloperName.
    pub model: String,
    /// Territories written.
    pub territories: usize,
    /// Types written.
    pub types: usize,
    /// Rules written and rules left out.
    pub metadata: MetadataReport,
    /// ObjectTerritory2Association rows written (0 without ids).
    pub account_rows: usize,
    /// UserTerritory2Association rows written (0 without user ids).
    pub user_rows: usize,
    /// Accounts whose id is not shaped like a Salesforce id.
    pub non_salesforce_ids: usize,
}

impl ExportSummary {
    /// The summary for people (also written as `EXPORT-SUMMARY.txt`).
    pub fn text(&self) -> String {
        let mut s = format!(
            "Model {}: {} territories, {} type(s), {} rule(s) as Territory2Rule.\n",
            self.model, self.territories, self.types, self.metadata.rules
        );
        if !self.metadata.skipped_rules.is_empty() {
            let _ = writeln!(
                s,
                "{} rule(s) ETM cannot express (not exported; their accounts are in the association file):",
                self.metadata.skipped_rules.len()
            );
            for r in &self.metadata.skipped_rules {
                let _ = writeln!(s, "  - {}: {} — {}", r.territory, r.rule, r.reason);
            }
        }
        for n in &self.metadata.notes {
            let _ = writeln!(s, "Note: {n}");
        }
        if self.account_rows > 0 {
            let _ = writeln!(
                s,
                "{} account association(s), {} user association(s) with Salesforce ids.",
                self.account_rows, self.user_rows
            );
        }
        if self.non_salesforce_ids > 0 {
            let _ = writeln!(
                s,
                "Warning: {} account id(s) are not 15 or 18 letters and digits; Salesforce will reject those rows.",
                self.non_salesforce_ids
            );
        }
        s
    }
}

/// [`export_with`] default options (no ids: metadata and `LOAD-STEPS.txt`);
/// returns the files written.
pub fn export(project: &Project, engines: &[Engine], dir: &Path) -> Result<Vec<String>> {
    export_with(project, engines, dir, &ExportOptions::default()).map(|s| s.files)
}

/// Writes the active scenario of `project` (assignments from `engines`,
/// one per type) into `dir`. See the module docs of [`super`].
pub fn export_with(
    project: &Project,
    engines: &[Engine],
    dir: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary> {
    // A plan imported with `--id-col '#row'` says so; others are caught by
    // their ids being exactly 1…N.
    let row_ids = project.settings.row_number_ids || ids_are_row_numbers(&project.accounts);
    if row_ids && !opts.allow_row_number_ids {
        return Err(Error::invalid(format!(
            "the plan's {} account ids are row numbers of the imported file, not CRM ids, so nothing here could be \
             matched to Salesforce accounts; import the accounts again with their Id column \
             (--id-col), or export anyway (--allow-row-ids; in the window: \"Export even if account \
             ids are row numbers\")",
            project.accounts.ids.len()
        )));
    }
    let mut used = HashSet::new();
    let names = metadata::names(project, &mut used);
    let mut summary = ExportSummary {
        model: names.model.clone(),
        territories: names.order.len(),
        types: project.types.len(),
        ..ExportSummary::default()
    };
    let mut files = metadata::files(project, &names, &mut used, &mut summary.metadata)?;
    if let Some(q) = quotas_csv(project, &names, opts.cells)? {
        files.push(("Quotas.csv".into(), q));
    }
    match &opts.territory_ids {
        Some(t) => files.extend(associations(
            project,
            engines,
            &names,
            t,
            opts,
            &mut summary,
        )?),
        None => files.push(("LOAD-STEPS.txt".into(), load_steps(&names))),
    }
    summary.non_salesforce_ids = project
        .accounts
        .live()
        .filter(|&i| !looks_like_salesforce_id(&project.accounts.ids[i]))
        .count();
    files.push(("EXPORT-SUMMARY.txt".into(), summary.text()));
    summary.files = files.iter().map(|(p, _)| p.clone()).collect();
    write_folder(dir, files)?;
    Ok(summary)
}

/// The association CSVs with ids from the org's exports; any territory or
/// rep that cannot be matched exactly once is an error listing them all.
fn associations(
    project: &Project,
    engines: &[Engine],
    names: &Names,
    territory_ids: &Path,
    opts: &ExportOptions,
    summary: &mut ExportSummary,
) -> Result<Vec<(String, String)>> {
    let tids = TerritoryIds::read(territory_ids, &names.model)?;
    let users = opts.user_ids.as_deref().map(UserIds::read).transpose()?;
    let mut problems = Problems::default();
    let mut tid = BTreeMap::new();
    for &id in &names.order {
        let dev = &names.territories[&id];
        let label = project.territory(id).map_or("", |t| t.name.as_str());
        match tids.get(dev) {
            Lookup::Found(x) => {
                tid.insert(id, x);
            }
            Lookup::Missing => problems.missing_territory.push(format!("{dev} ({label})")),
            Lookup::Ambiguous(ids) => problems
                .ambiguous_territory
                .push(format!("{dev} ({label}): {}", ids.join(", "))),
        }
    }
    let mut account_rows = vec![
        vec!["ObjectId", "Territory2Id", "AssociationCause"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>(),
    ];
    let a = &project.accounts;
    for i in a.live() {
        for t in engines.iter().filter_map(|e| e.territory_of(i)) {
            match tid.get(&t) {
                Some(x) => {
                    account_rows.push(vec![a.ids[i].clone(), x.clone(), "Territory2Manual".into()])
                }
                None => problems.rows_without_territory += 1,
            }
        }
    }
    let mut out = Vec::new();
    if let Some(users) = &users {
        let rows = user_rows(project, names, &tid, users, &mut problems);
        summary.user_rows = rows.len() - 1;
        out.push((
            "UserTerritory2Association.csv".to_owned(),
            csv_text(&rows, opts.cells)?,
        ));
    }
    problems.into_result(territory_ids, opts.user_ids.as_deref())?;
    summary.account_rows = account_rows.len() - 1;
    out.insert(
        0,
        (
            "ObjectTerritory2Association.csv".to_owned(),
            csv_text(&account_rows, opts.cells)?,
        ),
    );
    Ok(out)
}

fn user_rows(
    project: &Project,
    names: &Names,
    tid: &BTreeMap<crate::core::model::TerritoryId, String>,
    users: &UserIds,
    problems: &mut Problems,
) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["UserId", "Territory2Id", "RoleInTerritory2"]
            .map(String::from)
            .to_vec(),
    ];
    let mut reported = HashSet::new();
    for &id in &names.order {
        let Some(t) = project.territory(id) else {
            continue;
        };
        for r in t.reps.iter().filter_map(|r| project.rep(*r)) {
            // A rep without a username (e.g. from an owner column) is
            // matched by full name, only when exactly one user has it.
            let found = if r.username.trim().is_empty() {
                users.get_by_name(&r.name)
            } else {
                users.get(&r.username)
            };
            match found {
                // A territory without an id is reported once, above.
                Lookup::Found(u) => {
                    if let Some(x) = tid.get(&id) {
                        rows.push(vec![u, x.clone(), r.role.clone()]);
                    }
                }
                _ if !reported.insert(r.id) => {}
                Lookup::Missing if r.username.trim().is_empty() => {
                    problems.missing_user.push(format!(
                        "{} (no username in the plan, and no user of that name)",
                        r.name
                    ))
                }
                Lookup::Missing => problems
                    .missing_user
                    .push(format!("{} ({})", r.name, r.username)),
                Lookup::Ambiguous(ids) => problems.ambiguous_user.push(format!(
                    "{} ({}): {}",
                    r.name,
                    if r.username.trim().is_empty() {
                        "by name"
                    } else {
                        r.username.as_str()
                    },
                    ids.join(", ")
                )),
            }
        }
    }
    rows
}

/// Everything that could not be matched, collected so one error lists it
/// all.
#[derive(Default)]
struct Problems {
    missing_territory: Vec<String>,
    ambiguous_territory: Vec<String>,
    rows_without_territory: usize,
    missing_user: Vec<String>,
    ambiguous_user: Vec<String>,
}

impl Problems {
    fn into_result(self, territories: &Path, users: Option<&Path>) -> Result<()> {
        let mut parts = Vec::new();
        fn list(parts: &mut Vec<String>, what: String, v: &[String]) {
            if !v.is_empty() {
                parts.push(format!("{what}: {}", v.join("; ")));
            }
        }
        let t = territories.display();
        list(
            &mut parts,
            format!(
                "{} territor{} not in {t}",
                self.missing_territory.len(),
                if self.missing_territory.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
            ),
            &self.missing_territory,
        );
        list(
            &mut parts,
            format!(
                "{} DeveloperName(s) with several ids in {t}",
                self.ambiguous_territory.len()
            ),
            &self.ambiguous_territory,
        );
        if self.rows_without_territory > 0 {
            parts.push(format!(
                "{} account row(s) have no territory id",
                self.rows_without_territory
            ));
        }
        let u = users.map_or_else(String::new, |p| p.display().to_string());
        list(
            &mut parts,
            format!("{} rep(s) not found in {u}", self.missing_user.len()),
            &self.missing_user,
        );
        list(
            &mut parts,
            format!(
                "{} rep(s) matching several users in {u}",
                self.ambiguous_user.len()
            ),
            &self.ambiguous_user,
        );
        if parts.is_empty() {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "nothing written: {}. Deploy the metadata first and export Territory2 (Id, DeveloperName) again, \
             or fix the names in the plan",
            parts.join(". ")
        )))
    }
}

fn csv_text(rows: &[Vec<String>], cells: CsvCells) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        let safe: Vec<_> = r.iter().map(|c| cells.cell(c)).collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))
            .map_err(|e| Error::invalid(format!("could not write CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::invalid(format!("could not write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::invalid(format!("could not write CSV: {e}")))
}

fn load_steps(names: &Names) -> String {
    format!(
        "Loading this plan into Salesforce (model {model})\n\
         \n\
         1. Deploy the territory model with the Salesforce CLI, from a Salesforce DX project:\n\
         \x20  copy territory2Models/ and territory2Types/ into force-app/main/default/, then run\n\
         \x20    sf project deploy start --manifest package.xml --target-org <your org>\n\
         \x20  (package.xml is in this folder). The model is created in Planning state.\n\
         \n\
         2. Export the ids of the territories you just deployed, e.g.\n\
         \x20    sf data export bulk --query \"SELECT Id, DeveloperName FROM Territory2 WHERE Territory2Model.DeveloperName = '{model}'\" \\\n\
         \x20      --output-file Territory2.csv --target-org <your org>\n\
         \x20  and, to assign reps, the users:\n\
         \x20    sf data export bulk --query \"SELECT Id, Username, Email FROM User WHERE IsActive = true\" \\\n\
         \x20      --output-file User.csv --target-org <your org>\n\
         \n\
         3. Write the association files with those ids:\n\
         \x20    turfmap export-salesforce PLAN <folder> --territory-ids Territory2.csv --user-ids User.csv\n\
         \n\
         4. Insert <folder>/ObjectTerritory2Association.csv and <folder>/UserTerritory2Association.csv\n\
         \x20  with Data Loader (or sf data import bulk --sobject ObjectTerritory2Association ...).\n\
         \n\
         5. Activate the model in Setup > Territory Models when you are ready.\n\
         \n\
         Every account is assigned manually (AssociationCause Territory2Manual), exactly as the plan\n\
         assigns it. The rules in rules/ keep new accounts assigned; note that ETM assigns an account to\n\
         every territory whose rule matches, while Turfmap picks one territory per type.\n",
        model = names.model
    )
}

/// File and folder names an export writes (this one or an earlier
/// version): an existing output folder holding only these is replaced.
const OURS: [&str; 10] = [
    "package.xml",
    "territory2Models",
    "territory2Types",
    "LOAD-STEPS.txt",
    "EXPORT-SUMMARY.txt",
    "ObjectTerritory2Association.csv",
    "UserTerritory2Association.csv",
    "Territory2Model.csv",
    "Territory2Type.csv",
    "Territory2.csv",
];

/// Writes `files` as the folder `dir`, all at once (see
/// [`write_folder_atomically`]). An existing `dir` is replaced only when it
/// is empty or holds nothing but an earlier export; on any failure `dir` is
/// left as it was.
fn write_folder(dir: &Path, files: Vec<(String, String)>) -> Result<()> {
    let writers: Vec<FileWriter<'_>> = files
        .into_iter()
        .map(|(rel, text)| -> FileWriter<'_> {
            (
                rel,
                Box::new(move |w| {
                    std::io::Write::write_all(w, text.as_bytes())
                        .map_err(|e| Error::io(Path::new(""), e))
                }),
            )
        })
        .collect();
    write_folder_atomically(dir, writers, check_replaceable)
}

/// `dir` may be replaced: missing, empty, or an earlier export.
fn check_replaceable(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !OURS.contains(&n.as_str()))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{} already holds other files ({}); choose a new or empty folder (an earlier Salesforce export there is replaced)",
        dir.display(),
        foreign.join(", ")
    )))
}

/// `Quotas.csv`: Territory2 has no quota field, so quotas go beside the
/// model keyed by territory DeveloperName (own quota, and with everything
/// below it). `None` when the plan has no quotas.
fn quotas_csv(project: &Project, names: &Names, cells: CsvCells) -> Result<Option<String>> {
    let Some(qs) = &project.settings.quota else {
        return Ok(None);
    };
    let rolled = crate::core::quota::rolled_up(project, qs.type_id);
    let amount = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let mut rows = vec![
        ["DeveloperName", "Name", "Quota", "QuotaWithChildren"]
            .map(String::from)
            .to_vec(),
    ];
    for id in &names.order {
        let Some(t) = project.territory(*id) else {
            continue;
        };
        let (Some(total), Some(dev)) = (rolled.get(id), names.territories.get(id)) else {
            continue;
        };
        rows.push(vec![
            dev.clone(),
            t.name.clone(),
            t.quota.map(amount).unwrap_or_default(),
            amount(*total),
        ]);
    }
    csv_text(&rows, cells).map(Some)
}
