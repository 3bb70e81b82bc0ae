//! Salesforce Enterprise Territory Management: bring the current owners
//! and territories in as a baseline scenario, and write Data Loader–ready
//! CSV files of a scenario.
//!
//! **Export** ([`export`]) writes, into one folder:
//! - `Territory2Model.csv` — `DeveloperName, Name` of the model;
//! - `Territory2Type.csv` — `DeveloperName, MasterLabel, Priority`;
//! - `Territory2.csv` — `DeveloperName, Name,
//!   ParentTerritory2.DeveloperName, Territory2Type.DeveloperName,
//!   Territory2Model.DeveloperName`, parents before children;
//! - `ObjectTerritory2Association.csv` — `ObjectId,
//!   Territory2.DeveloperName, AssociationCause` (`Territory2Manual`): one
//!   row per account and territory type it is assigned in, whatever the
//!   reason in Turfmap (boundaries do not exist in Salesforce);
//! - `UserTerritory2Association.csv` — `User.Username,
//!   Territory2.DeveloperName, RoleInTerritory2, User.Name`.
//!
//! Lookups are written as `Relationship.DeveloperName` (or
//! `User.Username`) columns. Salesforce stores lookups as record ids: load
//! the files in the order above and map these columns to the ids of the
//! records loaded before (Data Loader's "external id" mapping for
//! `User.Username`; for the territory lookups, which Salesforce does not
//! index as external ids, look the ids up from the success file of the
//! previous step). `ObjectId` is the CRM account id as imported.
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
//! as a scenario (default "Baseline") that becomes the one shown. Reading
//! the exported files back ([`read_export`]) gives the same plan: the
//! hierarchy, types, assignments and reps. Each assignment becomes a
//! manual pin in the territory's type, so an account keeps its Geographic
//! territory and its overlay territories side by side; a second territory
//! of one type for the same account is counted in the report and skipped,
//! as Turfmap holds one territory per account and type.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::csvsafe::{self, CsvCells};
use super::edit::Edit;
use super::engine::Engine;
use super::error::{Error, Result};
use super::fs::{FileWriter, write_files_atomically};
use super::hierarchy::tree_order;
use super::model::{
    Accounts, Project, Rep, RepId, Scenario, ScenarioId, ScenarioState, StoredPlan, Territory,
    TerritoryId, TerritoryType, TerritoryTypeId,
};
use super::pins::Pins;
use super::scenario;

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

/// Writes the Data Loader files of the active scenario of `project` into
/// `dir` (created if needed), all at once or none (a failed export leaves
/// the files of an earlier one as they were), with spreadsheet-safe cells
/// (see [`crate::core::csvsafe`]). Returns the file names written.
pub fn export(project: &Project, engines: &[Engine], dir: &Path) -> Result<Vec<String>> {
    export_with(project, engines, dir, CsvCells::default())
}

/// [`export`] with the cells written as `cells` says.
pub fn export_with(
    project: &Project,
    engines: &[Engine],
    dir: &Path,
    cells: CsvCells,
) -> Result<Vec<String>> {
    let mut used = HashSet::new();
    let model_name = project.active().map_or_else(
        || project.name.clone(),
        |s| format!("{} {}", project.name, s.name),
    );
    let model_dev = developer_name(&model_name, &mut used);
    let mut type_dev: HashMap<TerritoryTypeId, String> = HashMap::new();
    for t in &project.types {
        type_dev.insert(t.id, developer_name(&t.name, &mut used));
    }
    let mut terr_dev: HashMap<TerritoryId, String> = HashMap::new();
    // Parents before children, type by type.
    let mut order: Vec<TerritoryId> = Vec::new();
    for ty in &project.types {
        order.extend(tree_order(project, ty.id).into_iter().map(|(t, _)| t));
    }
    for &t in &order {
        let name = &project.territory(t).expect("listed").name;
        terr_dev.insert(t, developer_name(name, &mut used));
    }
    let mut files: Vec<FileWriter<'_>> = Vec::new();
    let mut write =
        |file: &'static str, header: &'static [&'static str], rows: Vec<Vec<String>>| {
            let fill = move |w: &mut std::io::BufWriter<std::fs::File>| -> Result<()> {
                let mut out = csv::Writer::from_writer(w);
                let fail = |e: csv::Error| Error::invalid(format!("could not write {file}: {e}"));
                out.write_record(header).map_err(fail)?;
                for r in rows {
                    let safe: Vec<_> = r.iter().map(|c| cells.cell(c)).collect();
                    out.write_record(safe.iter().map(|c| c.as_bytes()))
                        .map_err(fail)?;
                }
                out.flush()
                    .map_err(|e| Error::io(std::path::PathBuf::new(), e))
            };
            files.push((file.to_owned(), Box::new(fill)));
        };
    write(
        "Territory2Model.csv",
        &["DeveloperName", "Name"],
        vec![vec![model_dev.clone(), model_name.clone()]],
    );
    write(
        "Territory2Type.csv",
        &["DeveloperName", "MasterLabel", "Priority"],
        project
            .types
            .iter()
            .map(|t| {
                vec![
                    type_dev[&t.id].clone(),
                    t.name.clone(),
                    t.priority.to_string(),
                ]
            })
            .collect(),
    );
    write(
        "Territory2.csv",
        &[
            "DeveloperName",
            "Name",
            "ParentTerritory2.DeveloperName",
            "Territory2Type.DeveloperName",
            "Territory2Model.DeveloperName",
        ],
        order
            .iter()
            .map(|id| {
                let t = project.territory(*id).expect("listed");
                vec![
                    terr_dev[id].clone(),
                    t.name.clone(),
                    t.parent
                        .and_then(|p| terr_dev.get(&p).cloned())
                        .unwrap_or_default(),
                    type_dev.get(&t.type_id).cloned().unwrap_or_default(),
                    model_dev.clone(),
                ]
            })
            .collect(),
    );
    let a = &project.accounts;
    let mut assoc = Vec::new();
    for i in a.live() {
        for e in engines {
            if let Some(t) = e.territory_of(i) {
                assoc.push(vec![
                    a.ids[i].clone(),
                    terr_dev[&t].clone(),
                    "Territory2Manual".into(),
                ]);
            }
        }
    }
    write(
        "ObjectTerritory2Association.csv",
        &["ObjectId", "Territory2.DeveloperName", "AssociationCause"],
        assoc,
    );
    let mut users = Vec::new();
    for id in &order {
        let t = project.territory(*id).expect("listed");
        for r in t.reps.iter().filter_map(|r| project.rep(*r)) {
            users.push(vec![
                username(r),
                terr_dev[id].clone(),
                r.role.clone(),
                r.name.clone(),
            ]);
        }
    }
    write(
        "UserTerritory2Association.csv",
        &[
            "User.Username",
            "Territory2.DeveloperName",
            "RoleInTerritory2",
            "User.Name",
        ],
        users,
    );
    write_files_atomically(dir, files)?;
    Ok([
        "Territory2Model.csv",
        "Territory2Type.csv",
        "Territory2.csv",
        "ObjectTerritory2Association.csv",
        "UserTerritory2Association.csv",
    ]
    .map(String::from)
    .to_vec())
}

/// A rep's Salesforce username: the one set, else the name.
fn username(r: &Rep) -> String {
    if r.username.trim().is_empty() {
        r.name.clone()
    } else {
        r.username.clone()
    }
}

/// What a baseline import found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaselineReport {
    /// Territories created.
    pub territories: usize,
    /// Reps created (owners not yet known to the plan).
    pub new_reps: usize,
    /// Accounts pinned.
    pub assigned: usize,
    /// Rows whose account id is not in the plan.
    pub unknown_accounts: usize,
    /// Accounts with an empty territory value.
    pub without_territory: usize,
}

/// Text value of column `col` of table `t` at row `i`, from a text or a
/// number column.
fn column_value(t: &Accounts, col: &str, i: usize) -> Option<String> {
    if let Some(c) = t.attribute_index(col) {
        return Some(t.attributes[c].get(i).trim().to_owned());
    }
    let m = t.measure_index(col)?;
    let v = t.measures[m].values[i];
    Some(if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    })
}

fn has_column(t: &Accounts, col: &str) -> bool {
    t.attribute_index(col).is_some() || t.measure_index(col).is_some()
}

/// The edit that adds scenario `scenario_name` made of the territory and
/// owner columns of `table` (an imported account export; rows match the
/// plan's accounts by id) and switches to it. When the scenario shown is
/// empty (a new plan) it is replaced.
pub fn baseline_edit(
    project: &Project,
    table: &Accounts,
    territory_col: &str,
    owner_col: Option<&str>,
    scenario_name: &str,
) -> Result<(Edit, BaselineReport)> {
    let cols = || {
        table
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(table.measures.iter().map(|m| m.name.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !has_column(table, territory_col) {
        return Err(Error::invalid(format!(
            "no column '{territory_col}' for the territory; columns: {}",
            cols()
        )));
    }
    if let Some(o) = owner_col
        && !has_column(table, o)
    {
        return Err(Error::invalid(format!(
            "no column '{o}' for the owner; columns: {}",
            cols()
        )));
    }
    let index: HashMap<&str, usize> = project
        .accounts
        .live()
        .map(|i| (project.accounts.ids[i].as_str(), i))
        .collect();
    let mut report = BaselineReport::default();
    let mut pins = vec![None; project.accounts.len()];
    let mut territories: Vec<Territory> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // Per territory: owner → accounts.
    let mut owners: Vec<HashMap<String, usize>> = Vec::new();
    let mut next = project.next_territory_id;
    let ty = project.primary_type();
    for r in table.live() {
        let Some(&i) = index.get(table.ids[r].as_str()) else {
            report.unknown_accounts += 1;
            continue;
        };
        let tname = column_value(table, territory_col, r).unwrap_or_default();
        if tname.is_empty() {
            report.without_territory += 1;
            continue;
        }
        let k = *by_name.entry(tname.clone()).or_insert_with(|| {
            let mut t = Territory::new(TerritoryId(next), tname, geo::MultiPolygon(vec![]));
            t.type_id = ty;
            next += 1;
            territories.push(t);
            owners.push(HashMap::new());
            territories.len() - 1
        });
        pins[i] = Some(territories[k].id);
        report.assigned += 1;
        if let Some(o) = owner_col.and_then(|o| column_value(table, o, r))
            && !o.is_empty()
        {
            *owners[k].entry(o).or_default() += 1;
        }
    }
    let mut edits = Vec::new();
    let mut next_rep = project.next_rep_id();
    let mut new_reps: HashMap<String, RepId> = HashMap::new();
    for (t, own) in territories.iter_mut().zip(owners) {
        let mut own: Vec<(String, usize)> = own.into_iter().collect();
        // The owner of most accounts first.
        own.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (name, _) in own {
            let id = match project.rep_by_name(&name) {
                Some(r) => r.id,
                None => *new_reps.entry(name.clone()).or_insert_with(|| {
                    let id = next_rep;
                    next_rep.0 += 1;
                    let mut rep = Rep::new(id, name.clone());
                    rep.role = "Owner".into();
                    edits.push(Edit::AddRep {
                        rep,
                        position: usize::MAX,
                    });
                    id
                }),
            };
            t.reps.push(id);
        }
    }
    report.territories = territories.len();
    report.new_reps = new_reps.len();
    edits.extend(add_and_show(
        project,
        scenario_name,
        StoredPlan {
            territories,
            pins: Pins::from_single(pins),
        },
    )?);
    Ok((
        Edit::Batch {
            label: format!("Import Salesforce baseline '{scenario_name}'"),
            edits,
        },
        report,
    ))
}

/// Edits adding scenario `name` with `plan`, showing it, and dropping the
/// scenario shown before when it was empty.
fn add_and_show(project: &Project, name: &str, plan: StoredPlan) -> Result<Vec<Edit>> {
    if let Some(s) = project.scenario_by_name(name) {
        return Err(Error::invalid(format!(
            "a scenario called '{}' already exists; choose another name (--scenario)",
            s.name
        )));
    }
    let id = project.next_scenario_id();
    let mut edits = vec![
        Edit::AddScenario {
            scenario: Scenario {
                id,
                name: name.to_owned(),
                state: ScenarioState::Planning,
                stored: Some(plan),
            },
            position: usize::MAX,
        },
        Edit::SwitchScenario { to: id },
    ];
    let empty = project.territories.is_empty() && project.accounts.pins.none_pinned();
    if empty && let Some(s) = project.active() {
        edits.push(Edit::RemoveScenario { id: s.id });
    }
    Ok(edits)
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
    // Turfmap's own spreadsheet-safe cells read back as they were.
    let rows = r
        .records()
        .map(|rec| rec.map(|rec| rec.iter().map(csvsafe::unescape).collect()))
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

/// What reading an export back found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelReport {
    /// Territories read.
    pub territories: usize,
    /// Types created.
    pub new_types: usize,
    /// Reps created.
    pub new_reps: usize,
    /// Account assignments read.
    pub assignments: usize,
    /// Assignments to accounts the plan does not have.
    pub unknown_accounts: usize,
    /// Assignments of an account to a second territory of a type it is
    /// already assigned in (Turfmap keeps the first one per type).
    pub second_in_type: usize,
}

/// The edit that adds the Salesforce files in `dir` (as [`export`] writes
/// them) as scenario `scenario_name` and shows it.
pub fn read_export(
    project: &Project,
    dir: &Path,
    scenario_name: &str,
) -> Result<(Edit, ModelReport)> {
    let mut report = ModelReport::default();
    let mut edits = Vec::new();
    // Types: by DeveloperName, matched to the plan's by name.
    let mut types: Vec<TerritoryType> = project.types.clone();
    let mut type_of_dev: HashMap<String, TerritoryTypeId> = HashMap::new();
    let tpath = dir.join("Territory2Type.csv");
    if tpath.exists() {
        let (h, rows) = read_csv(&tpath)?;
        let (cd, cl) = (
            col(&h, &tpath, &["DeveloperName"])?,
            col(&h, &tpath, &["MasterLabel", "Name"])?,
        );
        let cp = col(&h, &tpath, &["Priority"]).ok();
        for r in &rows {
            let (dev, label) = (r.get(cd).unwrap_or(""), r.get(cl).unwrap_or(""));
            let priority = cp
                .and_then(|c| r.get(c))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let id = match types.iter().find(|t| t.name.eq_ignore_ascii_case(label)) {
                Some(t) => t.id,
                None => {
                    let id = TerritoryTypeId(types.iter().map(|t| t.id.0 + 1).max().unwrap_or(0));
                    let ty = TerritoryType {
                        id,
                        name: if label.is_empty() {
                            dev.into()
                        } else {
                            label.into()
                        },
                        priority,
                    };
                    types.push(ty.clone());
                    edits.push(Edit::AddType {
                        ty,
                        position: usize::MAX,
                    });
                    report.new_types += 1;
                    id
                }
            };
            type_of_dev.insert(dev.to_ascii_lowercase(), id);
        }
    }
    // Territories.
    let path = dir.join("Territory2.csv");
    let (h, rows) = read_csv(&path)?;
    let cd = col(&h, &path, &["DeveloperName"])?;
    let cn = col(&h, &path, &["Name"])?;
    let cp = col(
        &h,
        &path,
        &[
            "ParentTerritory2.DeveloperName",
            "ParentTerritory2:DeveloperName",
        ],
    )
    .ok();
    let ct = col(
        &h,
        &path,
        &[
            "Territory2Type.DeveloperName",
            "Territory2Type:DeveloperName",
        ],
    )
    .ok();
    let mut territories: Vec<Territory> = Vec::new();
    let mut by_dev: HashMap<String, usize> = HashMap::new();
    let mut parents: Vec<Option<String>> = Vec::new();
    for (next, (k, r)) in (project.next_territory_id..).zip(rows.iter().enumerate()) {
        let dev = r.get(cd).unwrap_or("").trim().to_ascii_lowercase();
        let name = r.get(cn).unwrap_or("").trim();
        if dev.is_empty() {
            return Err(Error::invalid(format!(
                "{}: line {}: no DeveloperName",
                path.display(),
                k + 2
            )));
        }
        let mut t = Territory::new(
            TerritoryId(next),
            if name.is_empty() { &dev } else { name },
            geo::MultiPolygon(vec![]),
        );
        let tdev = ct
            .and_then(|c| r.get(c))
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        t.type_id = match type_of_dev.get(&tdev) {
            Some(&id) => id,
            None if tdev.is_empty() => project.primary_type(),
            None => {
                let id = TerritoryTypeId(types.iter().map(|t| t.id.0 + 1).max().unwrap_or(0));
                let ty = TerritoryType {
                    id,
                    name: tdev.clone(),
                    priority: 0,
                };
                types.push(ty.clone());
                edits.push(Edit::AddType {
                    ty,
                    position: usize::MAX,
                });
                report.new_types += 1;
                type_of_dev.insert(tdev, id);
                id
            }
        };
        parents.push(
            cp.and_then(|c| r.get(c))
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty()),
        );
        if by_dev.insert(dev.clone(), territories.len()).is_some() {
            return Err(Error::invalid(format!(
                "{}: line {}: DeveloperName '{dev}' appears twice",
                path.display(),
                k + 2
            )));
        }
        territories.push(t);
    }
    for (k, p) in parents.iter().enumerate() {
        if let Some(p) = p {
            let &pk = by_dev.get(p).ok_or_else(|| {
                Error::invalid(format!(
                    "{}: line {}: parent '{p}' is not in the file",
                    path.display(),
                    k + 2
                ))
            })?;
            territories[k].parent = Some(territories[pk].id);
        }
    }
    report.territories = territories.len();
    // Reps.
    let upath = dir.join("UserTerritory2Association.csv");
    if upath.exists() {
        let (h, rows) = read_csv(&upath)?;
        let cu = col(&h, &upath, &["User.Username", "UserId", "User:Username"])?;
        let ct = col(
            &h,
            &upath,
            &["Territory2.DeveloperName", "Territory2:DeveloperName"],
        )?;
        let cr = col(&h, &upath, &["RoleInTerritory2"]).ok();
        let cn = col(&h, &upath, &["User.Name"]).ok();
        let mut reps: Vec<Rep> = project.reps.clone();
        for (k, r) in rows.iter().enumerate() {
            let user = r.get(cu).unwrap_or("").trim();
            let name = cn.and_then(|c| r.get(c)).unwrap_or("").trim();
            let role = cr.and_then(|c| r.get(c)).unwrap_or("").trim();
            let tk = territory_of_row(&by_dev, r, ct, &upath, k)?;
            let known = reps.iter().find(|r| {
                (!r.username.is_empty() && r.username.eq_ignore_ascii_case(user))
                    || r.name
                        .eq_ignore_ascii_case(if name.is_empty() { user } else { name })
            });
            let id = match known {
                Some(r) => r.id,
                None => {
                    let id = RepId(reps.iter().map(|r| r.id.0 + 1).max().unwrap_or(0));
                    let mut rep = Rep::new(id, if name.is_empty() { user } else { name });
                    if user != rep.name {
                        rep.username = user.into();
                    }
                    rep.role = role.into();
                    reps.push(rep.clone());
                    edits.push(Edit::AddRep {
                        rep,
                        position: usize::MAX,
                    });
                    report.new_reps += 1;
                    id
                }
            };
            if !territories[tk].reps.contains(&id) {
                territories[tk].reps.push(id);
            }
        }
    }
    // Assignments become pins, one per account and type.
    let apath = dir.join("ObjectTerritory2Association.csv");
    let mut pins = Pins::unpinned(project.accounts.len());
    // (account, type) pairs already pinned: a second territory of the same
    // type for one account is reported, not kept (Turfmap holds one per type).
    let mut pinned_in: HashSet<(usize, TerritoryTypeId)> = HashSet::new();
    if apath.exists() {
        let (h, rows) = read_csv(&apath)?;
        let co = col(&h, &apath, &["ObjectId", "AccountId"])?;
        let ct = col(
            &h,
            &apath,
            &[
                "Territory2.DeveloperName",
                "Territory2:DeveloperName",
                "Territory2Id",
            ],
        )?;
        let index: HashMap<&str, usize> = project
            .accounts
            .live()
            .map(|i| (project.accounts.ids[i].as_str(), i))
            .collect();
        for (k, r) in rows.iter().enumerate() {
            let oid = r.get(co).unwrap_or("").trim();
            let tk = territory_of_row(&by_dev, r, ct, &apath, k)?;
            let Some(&i) = index.get(oid) else {
                report.unknown_accounts += 1;
                continue;
            };
            if pinned_in.insert((i, territories[tk].type_id)) {
                report.assignments += 1;
                pins.insert(i, territories[tk].id);
            } else {
                report.second_in_type += 1;
            }
        }
    }
    edits.extend(add_and_show(
        project,
        scenario_name,
        StoredPlan { territories, pins },
    )?);
    Ok((
        Edit::Batch {
            label: format!("Import Salesforce territories as '{scenario_name}'"),
            edits,
        },
        report,
    ))
}

/// Finds the scenario to export: `name`, or the one shown.
pub fn scenario_for_export(project: &Project, name: Option<&str>) -> Result<ScenarioId> {
    match name {
        Some(n) => scenario::find(project, n),
        None => Ok(project.active_scenario),
    }
}

/// The Territory2.csv row (by lower-cased DeveloperName) that row `k` of an
/// association file refers to in column `ct`; an unknown name is an error
/// naming the file and line.
fn territory_of_row(
    by_dev: &HashMap<String, usize>,
    r: &csv::StringRecord,
    ct: usize,
    path: &Path,
    k: usize,
) -> Result<usize> {
    let tdev = r.get(ct).unwrap_or("").trim().to_ascii_lowercase();
    by_dev.get(&tdev).copied().ok_or_else(|| {
        Error::invalid(format!(
            "{}: line {}: territory '{tdev}' is not in Territory2.csv",
            path.display(),
            k + 2
        ))
    })
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
