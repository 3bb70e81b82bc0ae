//! Salesforce Territory Management (ETM): the plan as a deployable
//! territory model plus Data Loader files with real record ids, and the
//! way back in.
//!
//! **Export** ([`export_with`]) writes, into one folder (Metadata API source
//! format; element and type names from the Metadata API Developer Guide,
//! "Territory2Model", "Territory2", "Territory2Type", "Territory2Rule"):
//! - `package.xml` — manifest with the types `Territory2Model` (member
//!   `<Model>`), `Territory2` (`<Model>.<Territory>`), `Territory2Rule`
//!   (`<Model>.<Rule>`) and `Territory2Type` (`<Type>`);
//! - `territory2Models/<Model>/<Model>.territory2Model-meta.xml` —
//!   `description`, `name`;
//! - `territory2Models/<Model>/territories/<T>.territory2-meta.xml` —
//!   `accountAccessLevel`, `caseAccessLevel`, `contactAccessLevel`, `name`,
//!   `opportunityAccessLevel` (from [`PlanSettings::salesforce`](crate::core::model::PlanSettings)),
//!   `parentTerritory` (a DeveloperName), `ruleAssociations` (`inherited`,
//!   `ruleName`), `territory2Type`;
//! - `territory2Types/<Type>.territory2Type-meta.xml` — `name`, `priority`
//!   (made unique, as Salesforce requires);
//! - `territory2Models/<Model>/rules/<R>.territory2Rule-meta.xml` —
//!   `active`, `booleanFilter`, `name`, `objectType` (Account), `ruleItems`
//!   (`field`, `operation`, `value`) for every rule ETM can express
//!   ([`rule_items`]); the others are listed in the summary with the reason;
//! - `EXPORT-SUMMARY.txt` — what was written and what was not.
//!
//! Elements are written in the schema's (alphabetical) order, as retrieved
//! files have them. Lookups in Data Loader files only resolve through an
//! idLookup or External ID field, which Territory2's DeveloperName is not,
//! so the account and user assignments need the org's record ids: with the
//! org's Territory2 export (`Id`, `DeveloperName`) the folder also gets
//! `ObjectTerritory2Association.csv` (`ObjectId, Territory2Id,
//! AssociationCause` = `Territory2Manual`) and, with its User export
//! (`Id` + `Username`, `Email` or `FederationIdentifier`),
//! `UserTerritory2Association.csv` (`UserId, Territory2Id,
//! RoleInTerritory2`); any territory or rep that matches no id or several
//! is listed and nothing is written. Without the Territory2 export the
//! folder gets `LOAD-STEPS.txt`: deploy, export the ids, run again. The
//! folder is built beside the output and swapped in whole, so a failed
//! export leaves the previous one as it was. Plans whose account ids are
//! row numbers 1…N (no id column at import) are refused unless allowed.
//!
//! DeveloperNames follow Salesforce's rules ([`developer_name`]): letters,
//! digits and underscores, starting with a letter, no trailing or double
//! underscore, at most 80 characters, unique (case-insensitively) — clashes
//! get `_2`, `_3`… suffixes.
//!
//! **Import** of an account export with the current territory and owner
//! columns ([`baseline_edit`]) creates one territory per distinct
//! territory value (no boundary), pins each account to it, makes each
//! owner a rep of the territories their accounts are in, and adds all that
//! as a scenario (default "Baseline") that becomes the one shown.
//! [`read_model`] reads a retrieved Metadata API folder (types,
//! territories, hierarchy, account rules) with the org's
//! ObjectTerritory2Association and UserTerritory2Association exports
//! (`Territory2Id` resolved through the Territory2 export), or the CSV
//! files earlier versions wrote. Each assignment becomes a manual pin in
//! the territory's type, so an account keeps its Geographic territory and
//! its overlay territories side by side; a second territory of one type
//! for the same account is counted in the report and skipped, as Turfmap
//! holds one territory per account and type.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::edit::Edit;
use super::error::{Error, Result};
use super::model::{Project, ScenarioId};
use super::scenario;

mod baseline;
mod builder;
mod export;
pub mod ids;
mod import_csv;
mod import_metadata;
pub mod metadata;
pub mod rule_items;
pub mod xml;

pub use baseline::{BaselineReport, baseline_edit};
pub use builder::ModelReport;
pub use export::{ExportOptions, ExportSummary, export, export_with};
pub use metadata::SkippedRule;

/// Longest DeveloperName Salesforce accepts.
pub const MAX_DEVELOPER_NAME: usize = 80;

/// A valid, unique Salesforce DeveloperName for `label`; `used` holds the
/// names handed out so far (lower-case) and gets the new one.
pub fn developer_name(label: &str, used: &mut HashSet<String>) -> String {
    let mut s = String::new();
    for c in label.chars() {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let mut base = s.trim_matches('_').to_owned();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base.insert_str(0, if base.is_empty() { "Territory" } else { "T_" });
    }
    let fit = |b: &str, room: usize| {
        let mut b: String = b.chars().take(MAX_DEVELOPER_NAME - room).collect();
        while b.ends_with('_') {
            b.pop();
        }
        b
    };
    let mut name = fit(&base, 0);
    let mut k = 2;
    while used.contains(&name.to_ascii_lowercase()) {
        let suffix = format!("_{k}");
        name = format!("{}{suffix}", fit(&base, suffix.len()));
        k += 1;
    }
    used.insert(name.to_ascii_lowercase());
    name
}

/// Latin letters with accents → their base letter (others unchanged).
fn fold_accent(c: char) -> char {
    const FROM: &str = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ";
    const TO: &str = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy";
    match FROM.chars().position(|f| f == c) {
        Some(k) => TO.chars().nth(k).unwrap_or(c),
        None => c,
    }
}

/// Reads a CSV file as header → column map and rows.
fn read_csv(path: &Path) -> Result<(HashMap<String, usize>, Vec<csv::StringRecord>)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let bad = |e: csv::Error| Error::invalid(format!("{}: {e}", path.display()));
    let header: HashMap<String, usize> = r
        .headers()
        .map_err(bad)?
        .iter()
        .enumerate()
        .map(|(k, h)| (h.trim().to_ascii_lowercase(), k))
        .collect();
    // Spreadsheet-safe cells (Turfmap's own exports) read back as they were.
    let rows = r
        .records()
        .map(|rec| rec.map(|rec| rec.iter().map(crate::core::csvsafe::unescape).collect()))
        .collect::<std::result::Result<Vec<csv::StringRecord>, _>>()
        .map_err(bad)?;
    Ok((header, rows))
}

/// Column `names[0]` (or a synonym) of a CSV header, or a clear error.
fn col(header: &HashMap<String, usize>, path: &Path, names: &[&str]) -> Result<usize> {
    names
        .iter()
        .find_map(|n| header.get(&n.to_ascii_lowercase()).copied())
        .ok_or_else(|| Error::invalid(format!("{}: no column '{}'", path.display(), names[0])))
}

/// Finds the scenario to export: `name`, or the one shown.
pub fn scenario_for_export(project: &Project, name: Option<&str>) -> Result<ScenarioId> {
    match name {
        Some(n) => scenario::find(project, n),
        None => Ok(project.active_scenario),
    }
}

/// Where [`read_model`] finds the org's association exports. Each left
/// `None` is looked for in the model folder under Salesforce's own name
/// (`ObjectTerritory2Association.csv`, `Territory2.csv`,
/// `UserTerritory2Association.csv`, `User.csv`).
#[derive(Clone, Debug, Default)]
pub struct ModelSources {
    /// ObjectTerritory2Association export (`ObjectId`, `Territory2Id`).
    pub associations: Option<PathBuf>,
    /// Territory2 export (`Id`, `DeveloperName`).
    pub territory_ids: Option<PathBuf>,
    /// UserTerritory2Association export (`UserId`, `Territory2Id`,
    /// `RoleInTerritory2`).
    pub user_associations: Option<PathBuf>,
    /// User export (`Id`, `Username`, `Name`…).
    pub user_ids: Option<PathBuf>,
}

/// The edit that adds the Salesforce territories in `dir` — a retrieved
/// Metadata API folder, or the CSV files earlier versions wrote — as
/// scenario `scenario_name` and shows it.
pub fn read_model(
    project: &Project,
    dir: &Path,
    sources: &ModelSources,
    scenario_name: &str,
) -> Result<(Edit, ModelReport)> {
    let mut b = builder::PlanBuilder::new(project);
    let metadata = import_metadata::find_models(dir).is_some() || dir.join("territories").is_dir();
    if metadata {
        import_metadata::read(&mut b, dir, sources)?;
    } else if dir.join("Territory2.csv").is_file() {
        import_csv::read(&mut b, dir)?;
    } else {
        return Err(Error::invalid(format!(
            "{}: neither a Metadata API folder (territory2Models/) nor Territory2.csv found",
            dir.display()
        )));
    }
    b.finish(scenario_name, "Salesforce territories")
}

/// [`read_model`] with the association files found in `dir`.
pub fn read_export(
    project: &Project,
    dir: &Path,
    scenario_name: &str,
) -> Result<(Edit, ModelReport)> {
    read_model(project, dir, &ModelSources::default(), scenario_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn developer_names_follow_the_rules() {
        let mut used = HashSet::new();
        let mut d = |s: &str| developer_name(s, &mut used);
        assert_eq!(d("North East"), "North_East");
        assert_eq!(d("north-east"), "north_east_2");
        assert_eq!(d("  São Paulo / Zone #1  "), "Sao_Paulo_Zone_1");
        assert_eq!(d("1st District"), "T_1st_District");
        assert_eq!(d("__"), "Territory");
        assert_eq!(d("a__b"), "a_b");
        let long = "x".repeat(100);
        let a = d(&long);
        let b = d(&long);
        assert_eq!(a.len(), 80);
        assert_eq!(b.len(), 80);
        assert!(b.ends_with("_2"));
        for n in used.iter() {
            assert!(
                n.len() <= 80 && !n.ends_with('_') && !n.contains("__"),
                "{n}"
            );
            assert!(n.starts_with(|c: char| c.is_ascii_alphabetic()), "{n}");
        }
    }
}
