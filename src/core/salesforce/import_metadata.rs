//! Reading a retrieved (or exported) Metadata API folder back: types,
//! territories with their hierarchy, rules, and the org's association
//! exports resolved through its Territory2 and User exports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::builder::PlanBuilder;
use super::ids::{TerritoryIds, UserIds};
use super::rule_items::{RuleItem, from_etm};
use super::xml::{self, Node};
use super::{ModelSources, col, read_csv};
use crate::core::error::{Error, Result};

/// The `territory2Models` folder at or below `dir` (at most five levels
/// down, so `force-app/main/default/territory2Models` is found).
pub fn find_models(dir: &Path) -> Option<PathBuf> {
    fn walk(d: &Path, depth: usize) -> Option<PathBuf> {
        let here = d.join("territory2Models");
        if here.is_dir() {
            return Some(here);
        }
        if depth == 0 {
            return None;
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(d)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        subs.iter().find_map(|s| walk(s, depth - 1))
    }
    walk(dir, 5)
}

/// The one model folder under `models`, or an error listing them.
fn model_folder(models: &Path) -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(models)
        .map_err(|e| Error::io(models, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::invalid(format!(
            "{}: no territory model folder in it",
            models.display()
        ))),
        _ => Err(Error::invalid(format!(
            "{} holds several models ({}); give one model's folder",
            models.display(),
            found
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Components of type `suffix` in `dir` as (DeveloperName, path), sorted;
/// both source (`X.suffix-meta.xml`) and metadata (`X.suffix`) names.
fn components(dir: &Path, suffix: &str) -> Result<Vec<(String, PathBuf)>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let source = format!(".{suffix}-meta.xml");
    let mdapi = format!(".{suffix}");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let dev = name
                .strip_suffix(&source)
                .or_else(|| name.strip_suffix(&mdapi))?;
            Some((dev.to_owned(), p))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Reads the model found at or below `dir` (a model folder itself works
/// too) and the association files of `src` into `b`.
pub fn read(b: &mut PlanBuilder, dir: &Path, src: &ModelSources) -> Result<()> {
    let model = match find_models(dir) {
        Some(models) => model_folder(&models)?,
        None => dir.to_path_buf(),
    };
    let types_dir = model
        .parent()
        .and_then(Path::parent)
        .map(|root| root.join("territory2Types"));
    if let Some(t) = &types_dir {
        read_types(b, t)?;
    }
    let rules = read_rules(&model.join("rules"))?;
    read_territories(b, &model.join("territories"), &rules)?;
    let model_dev = model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_associations(b, dir, &model_dev, src)
}

fn read_types(b: &mut PlanBuilder, dir: &Path) -> Result<()> {
    for (dev, path) in components(dir, "territory2Type")? {
        let n = xml::read_file(&path)?;
        let priority = n
            .get("priority")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0);
        b.add_type(&dev, n.get("name").unwrap_or(&dev), priority);
    }
    Ok(())
}

/// A rule file: its label, items and filter.
struct RuleFile {
    name: String,
    items: Vec<RuleItem>,
    filter: Option<String>,
    object: String,
}

fn read_rules(dir: &Path) -> Result<HashMap<String, RuleFile>> {
    let mut out = HashMap::new();
    for (dev, path) in components(dir, "territory2Rule")? {
        let n = xml::read_file(&path)?;
        let items = n
            .all("ruleItems")
            .map(|i| RuleItem {
                field: i.get("field").unwrap_or("").to_owned(),
                operation: i.get("operation").unwrap_or("").to_owned(),
                value: i.get("value").unwrap_or("").to_owned(),
            })
            .collect();
        let rule = RuleFile {
            name: n.get("name").unwrap_or(&dev).to_owned(),
            items,
            filter: n.get("booleanFilter").map(str::to_owned),
            object: n.get("objectType").unwrap_or("Account").to_owned(),
        };
        out.insert(dev.to_ascii_lowercase(), rule);
    }
    Ok(out)
}

fn read_territories(
    b: &mut PlanBuilder,
    dir: &Path,
    rules: &HashMap<String, RuleFile>,
) -> Result<()> {
    let files = components(dir, "territory2")?;
    if files.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no territories (*.territory2-meta.xml) found",
            dir.display()
        )));
    }
    let mut nodes: Vec<(PathBuf, Node)> = Vec::new();
    for (dev, path) in &files {
        let n = xml::read_file(path)?;
        b.add_territory(
            dev,
            n.get("name").unwrap_or(dev),
            n.get("territory2Type").unwrap_or(""),
            n.get("parentTerritory"),
            &|| path.display().to_string(),
        )?;
        nodes.push((path.clone(), n));
    }
    b.link_parents(&|k| nodes[k].0.display().to_string())?;
    for (k, (_, n)) in nodes.iter().enumerate() {
        for ra in n.all("ruleAssociations") {
            attach_rule(b, k, ra, rules);
        }
    }
    Ok(())
}

/// Puts the rule that `ra` names on territory `k`, or notes why not.
fn attach_rule(b: &mut PlanBuilder, k: usize, ra: &Node, rules: &HashMap<String, RuleFile>) {
    if ra
        .get("inherited")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        b.report.inherited_rules += 1;
        return;
    }
    let name = ra.get("ruleName").unwrap_or("");
    let Some(r) = rules.get(&name.to_ascii_lowercase()) else {
        b.report
            .skipped_rules
            .push(format!("{name}: no such rule file in rules/"));
        return;
    };
    if !r.object.eq_ignore_ascii_case("Account") {
        b.report.skipped_rules.push(format!(
            "{} ({}): rules on {} are not account rules",
            r.name, name, r.object
        ));
        return;
    }
    match from_etm(&r.items, r.filter.as_deref(), b.accounts()) {
        Ok(rule) => b.add_rule(k, rule),
        Err(why) => b
            .report
            .skipped_rules
            .push(format!("{} ({name}): {why}", r.name)),
    }
}

/// Account and user associations: explicit files, else the ones named as
/// Salesforce names them in `dir`.
fn read_associations(
    b: &mut PlanBuilder,
    dir: &Path,
    model: &str,
    src: &ModelSources,
) -> Result<()> {
    let or_default = |given: &Option<PathBuf>, name: &str| {
        given
            .clone()
            .or_else(|| Some(dir.join(name)).filter(|p| p.is_file()))
    };
    let tids = or_default(&src.territory_ids, "Territory2.csv")
        .map(|p| TerritoryIds::read(&p, model).map(|t| (p, t)))
        .transpose()?;
    if let Some(a) = or_default(&src.associations, "ObjectTerritory2Association.csv") {
        read_assignments(b, &a, tids.as_ref())?;
    }
    if let Some(u) = or_default(&src.user_associations, "UserTerritory2Association.csv") {
        let users = or_default(&src.user_ids, "User.csv")
            .map(|p| UserIds::read(&p))
            .transpose()?;
        read_users(b, &u, tids.as_ref(), users.as_ref())?;
    }
    Ok(())
}

/// Turns the territory column of an association row into a territory:
/// `Territory2Id` through the Territory2 export, or a DeveloperName.
struct TerritoryColumn {
    col: usize,
    by_id: Option<HashMap<String, String>>,
}

impl TerritoryColumn {
    fn new(
        h: &HashMap<String, usize>,
        path: &Path,
        tids: Option<&(PathBuf, TerritoryIds)>,
    ) -> Result<Self> {
        if let Ok(col) = col(h, path, &["Territory2Id"]) {
            let (_, t) = tids.ok_or_else(|| {
                Error::invalid(format!(
                    "{}: has Territory2Id; give the org's Territory2 export (Id, DeveloperName) to match ids to territories",
                    path.display()
                ))
            })?;
            let by_id = t.names_by_id();
            return Ok(Self {
                col,
                by_id: Some(by_id),
            });
        }
        let col = col(
            h,
            path,
            &["Territory2.DeveloperName", "Territory2:DeveloperName"],
        )?;
        Ok(Self { col, by_id: None })
    }

    fn territory(
        &self,
        b: &PlanBuilder,
        r: &csv::StringRecord,
        path: &Path,
        k: usize,
    ) -> Result<usize> {
        let v = r.get(self.col).unwrap_or("").trim();
        let dev = match &self.by_id {
            Some(m) => m.get(v).map(String::as_str).unwrap_or(""),
            None => v,
        };
        b.territory(dev).ok_or_else(|| {
            Error::invalid(format!(
                "{}: line {}: territory '{v}' is not in the model{}",
                path.display(),
                k + 2,
                if self.by_id.is_some() && dev.is_empty() {
                    " (its id is not in the Territory2 export)"
                } else {
                    ""
                }
            ))
        })
    }
}

fn read_assignments(
    b: &mut PlanBuilder,
    path: &Path,
    tids: Option<&(PathBuf, TerritoryIds)>,
) -> Result<()> {
    let (h, rows) = read_csv(path)?;
    let co = col(&h, path, &["ObjectId", "AccountId"])?;
    let tc = TerritoryColumn::new(&h, path, tids)?;
    for (k, r) in rows.iter().enumerate() {
        let t = tc.territory(b, r, path, k)?;
        b.assign(r.get(co).unwrap_or(""), t);
    }
    Ok(())
}

fn read_users(
    b: &mut PlanBuilder,
    path: &Path,
    tids: Option<&(PathBuf, TerritoryIds)>,
    users: Option<&UserIds>,
) -> Result<()> {
    let (h, rows) = read_csv(path)?;
    let cu = col(&h, path, &["UserId", "User.Username", "User:Username"])?;
    let cr = col(&h, path, &["RoleInTerritory2"]).ok();
    let tc = TerritoryColumn::new(&h, path, tids)?;
    for (k, r) in rows.iter().enumerate() {
        let t = tc.territory(b, r, path, k)?;
        let user = r.get(cu).unwrap_or("").trim();
        let (login, name) = users.map_or((None, None), |u| u.login_and_name(user));
        let role = cr.and_then(|c| r.get(c)).unwrap_or("");
        b.add_rep(
            t,
            login.as_deref().unwrap_or(user),
            name.as_deref().unwrap_or(""),
            role,
        );
    }
    Ok(())
}
