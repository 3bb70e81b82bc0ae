//! Building plans from imported files, shared by the CLI and the window so
//! both behave the same: a new plan from a CRM export (and boundaries), and
//! imported territories as plan changes (same name = new boundary, otherwise
//! a new territory; `rep` and `color` properties are taken over; locked
//! territories are left as they are).

use std::path::PathBuf;

use super::accounts::{AccountImportOptions, ImportReport, import_accounts};
use super::imported::{ImportedTerritory, TerritoryImportReport};
use crate::core::Result;
use crate::core::edit::Edit;
use crate::core::geometry::normalize;
use crate::core::model::{Project, Rep, RepId, Territory, TerritoryId};
use crate::core::progress::Progress;

/// The files a new plan is built from (`turfmap new`, the window's New plan).
#[derive(Clone, Debug)]
pub struct NewPlanFiles {
    /// The accounts CSV (CRM export).
    pub accounts: PathBuf,
    /// Territory boundaries: GeoJSON, shapefile, KML or KMZ.
    pub territories: Option<PathBuf>,
    /// Property / attribute / ExtendedData field holding territory names;
    /// `None`: `name`, or the one property that clearly holds names.
    pub name_prop: Option<String>,
    /// Which columns hold id, name and location (default: auto-detect).
    pub columns: AccountImportOptions,
}

impl NewPlanFiles {
    /// Accounts from `accounts`, no boundaries, columns auto-detected.
    pub fn accounts(accounts: impl Into<PathBuf>) -> Self {
        Self {
            accounts: accounts.into(),
            territories: None,
            name_prop: None,
            columns: AccountImportOptions::default(),
        }
    }
}

/// What building a new plan found, for the user.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlanReport {
    /// The accounts import.
    pub accounts: ImportReport,
    /// The territories import, when a boundaries file was given.
    pub territories: Option<TerritoryImportReport>,
}

impl NewPlanReport {
    /// A short summary (the window's): the accounts summary, then how many
    /// territories came in and the first skipped feature.
    pub fn summary(&self) -> String {
        let mut summary = self.accounts.summary();
        if let Some(report) = &self.territories {
            summary.push_str(&format!("\n{} territories", report.imported));
            if let Some(first) = report.skipped.first() {
                summary.push_str(&format!(
                    " ({} feature(s) skipped, e.g. {first})",
                    report.skipped.len()
                ));
            }
        }
        summary
    }

    /// Every message, one a line, each naming its file (the CLI's).
    pub fn lines(&self, files: &NewPlanFiles) -> Vec<String> {
        let mut lines = vec![format!(
            "{}: {}",
            files.accounts.display(),
            self.accounts.summary()
        )];
        if let (Some(report), Some(path)) = (&self.territories, &files.territories) {
            if let Some(prop) = &report.named_by {
                lines.push(format!(
                    "{}: no 'name' property; territories named by '{prop}'",
                    path.display()
                ));
            }
            lines.extend(
                report
                    .skipped
                    .iter()
                    .chain(&report.repaired)
                    .map(|s| format!("{}: {s}", path.display())),
            );
        }
        lines
    }
}

/// Builds the plan `name` from `files`: the accounts, then the boundaries.
/// `progress` follows the accounts import and cancels between the steps.
pub fn new_project(
    name: &str,
    files: &NewPlanFiles,
    progress: &Progress,
) -> Result<(Project, NewPlanReport)> {
    // The two files are independent: read them at once (the accounts'
    // errors still come first).
    let (accounts, territories) = rayon::join(
        || import_accounts(&files.accounts, &files.columns, progress),
        || {
            files
                .territories
                .as_ref()
                .map(|path| super::territories_named(path, files.name_prop.as_deref()))
        },
    );
    let (table, accounts) = accounts?;
    let mut project = Project::new(name);
    project.accounts = table;
    project.settings.default_country = files
        .columns
        .default_country
        .unwrap_or(project.settings.default_country);
    project.settings.row_number_ids = accounts.id_column.is_none();
    let territories = match territories {
        Some(read) => {
            progress.check()?;
            let (imported, report) = read?;
            add_territories(&mut project, imported);
            Some(report)
        }
        None => None,
    };
    progress.check()?;
    Ok((
        project,
        NewPlanReport {
            accounts,
            territories,
        },
    ))
}

/// What importing territories into an existing plan would do.
#[derive(Clone, Debug, PartialEq)]
pub struct TerritoryMerge {
    /// One undoable edit (`None` when nothing would change).
    pub edit: Option<Edit>,
    /// New territories.
    pub added: usize,
    /// Territories whose boundary is replaced.
    pub replaced: usize,
    /// Names of locked territories left as they were.
    pub locked: Vec<String>,
}

/// The `rep` property of an imported feature (a rep's name), if any.
fn rep_name(t: &ImportedTerritory) -> Option<String> {
    t.properties
        .get("rep")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Builds the territory from an imported feature with id `id`, worked by
/// `rep`.
fn territory_from(t: ImportedTerritory, id: TerritoryId, rep: Option<RepId>) -> Territory {
    let color = t
        .properties
        .get("color")
        .and_then(|v| v.as_str())
        .and_then(parse_hex_color);
    let mut terr = Territory::new(id, t.name, normalize(t.geometry).0);
    terr.reps = rep.into_iter().collect();
    if let Some(c) = color {
        terr.color = c;
        // A colour from the file is the author's choice: kept as it is.
        terr.color_picked = true;
    }
    terr
}

/// The edit that brings `imported` into `project`, labelled `label`.
pub fn merge_territories(
    project: &Project,
    imported: Vec<ImportedTerritory>,
    label: String,
) -> TerritoryMerge {
    let mut next_id = project.next_territory_id;
    let (mut added, mut replaced, mut locked) = (0, 0, Vec::new());
    // One slot per feature up front: grown by doubling, then copied behind
    // the reps, the list of 100,000 edits was held up to three times over.
    let mut edits = Vec::with_capacity(imported.len());
    // Reps named by the import that the plan does not know yet.
    let mut new_reps: Vec<Rep> = Vec::new();
    let mut next_rep = project.next_rep_id();
    // By name, so that a big import is linear in its size.
    let by_name: std::collections::HashMap<&str, &Territory> = project
        .territories
        .iter()
        .rev()
        .map(|e| (e.name.as_str(), e))
        .collect();
    for t in imported {
        match by_name.get(t.name.as_str()).copied() {
            Some(existing) if existing.locked => locked.push(existing.name.clone()),
            Some(existing) => {
                replaced += 1;
                edits.push(Edit::SetGeometry {
                    id: existing.id,
                    geometry: t.geometry,
                });
            }
            None => {
                added += 1;
                edits.push(Edit::AddTerritory {
                    territory: {
                        let rep =
                            rep_name(&t).map(|name| {
                                match project.rep_by_name(&name).map(|r| r.id).or_else(|| {
                                    new_reps.iter().find(|r| r.name == name).map(|r| r.id)
                                }) {
                                    Some(id) => id,
                                    None => {
                                        let id = next_rep;
                                        next_rep.0 += 1;
                                        new_reps.push(Rep::new(id, name));
                                        id
                                    }
                                }
                            });
                        territory_from(t, TerritoryId(next_id), rep)
                    },
                    position: usize::MAX,
                });
                next_id += 1;
            }
        }
    }
    // Reps first, so the territories can refer to them.
    edits.splice(
        0..0,
        new_reps.into_iter().map(|rep| Edit::AddRep {
            rep,
            position: usize::MAX,
        }),
    );
    TerritoryMerge {
        edit: (!edits.is_empty()).then_some(Edit::Batch { label, edits }),
        added,
        replaced,
        locked,
    }
}

/// Adds imported territories to a plan being created (no history needed).
pub fn add_territories(project: &mut Project, imported: Vec<ImportedTerritory>) {
    push_territories(project, imported);
    // Neighbours apart from the start (colours from the file stay).
    crate::core::colors::make_distinct(project);
}

/// Adds `imported` as [`add_territories`] does, leaving their colours as
/// they come (for a plan that is never drawn: the one-shot assignment).
pub fn push_territories(project: &mut Project, imported: Vec<ImportedTerritory>) {
    for t in imported {
        let id = project.alloc_territory_id();
        let rep = rep_name(&t).map(|name| match project.rep_by_name(&name) {
            Some(r) => r.id,
            None => {
                let id = project.next_rep_id();
                project.reps.push(Rep::new(id, name));
                id
            }
        });
        project.territories.push(territory_from(t, id, rep));
    }
}

/// `#rrggbb` → RGB.
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 || !h.is_ascii() {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([c(0)?, c(2)?, c(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn imported(name: &str, x: f64, props: &[(&str, &str)]) -> ImportedTerritory {
        ImportedTerritory {
            name: name.into(),
            geometry: MultiPolygon(vec![
                polygon![(x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0)],
            ]),
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect(),
        }
    }

    #[test]
    fn same_name_replaces_new_name_adds_locked_stays() {
        let mut p = Project::new("p");
        add_territories(
            &mut p,
            vec![imported("A", 0.0, &[]), imported("B", 2.0, &[])],
        );
        p.territories[1].locked = true;
        let m = merge_territories(
            &p,
            vec![
                imported("A", 5.0, &[]),
                imported("B", 5.0, &[]),
                imported("C", 9.0, &[("rep", "Ann"), ("color", "#ff0080")]),
            ],
            "Import".into(),
        );
        assert_eq!(
            (m.added, m.replaced, m.locked.clone()),
            (1, 1, vec!["B".to_string()])
        );
        let (_, _) = m.edit.unwrap().apply(&mut p).unwrap();
        assert_eq!(p.territories.len(), 3);
        let c = p.territory_by_name("C").unwrap();
        assert_eq!(
            (p.rep_label(c).as_deref(), c.color),
            (Some("Ann"), [255, 0, 128])
        );
        assert_eq!(p.territories[0].geometry.0[0].exterior().0[0].x, 5.0);
        assert_eq!(p.territories[1].geometry.0[0].exterior().0[0].x, 2.0);
    }

    #[test]
    fn hex_colors() {
        assert_eq!(parse_hex_color("#0a0B0c"), Some([10, 11, 12]));
        assert_eq!(parse_hex_color("0a0b0c"), None);
        assert_eq!(parse_hex_color("#0a0b0"), None);
    }
}
