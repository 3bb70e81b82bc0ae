//! The plan as Metadata API source files (see the module docs of
//! [`super`] for the layout and the reference it follows).

use std::collections::{HashMap, HashSet};

use super::developer_name;
use super::rule_items::{EtmRule, to_etm};
use super::xml::XmlDoc;
use crate::core::error::{Error, Result};
use crate::core::hierarchy::tree_order;
use crate::core::model::{Project, SalesforceAccess, Territory, TerritoryId, TerritoryTypeId};

/// Metadata API version written in `package.xml`.
pub const API_VERSION: &str = "62.0";

/// Longest label (`name`) Salesforce keeps for a territory, type or rule.
const MAX_LABEL: usize = 80;

/// DeveloperNames handed out for one export.
pub struct Names {
    /// The model's DeveloperName.
    pub model: String,
    /// The model's label.
    pub model_label: String,
    /// Per type.
    pub types: HashMap<TerritoryTypeId, String>,
    /// Per territory.
    pub territories: HashMap<TerritoryId, String>,
    /// Territories parents first, type by type.
    pub order: Vec<TerritoryId>,
}

/// Valid, unique DeveloperNames for the model, types and territories of
/// the active scenario of `project`; `used` collects them.
pub fn names(project: &Project, used: &mut HashSet<String>) -> Names {
    let model_label = project.active().map_or_else(
        || project.name.clone(),
        |s| format!("{} {}", project.name, s.name),
    );
    let model = developer_name(&model_label, used);
    let types = project
        .types
        .iter()
        .map(|t| (t.id, developer_name(&t.name, used)))
        .collect();
    let order: Vec<TerritoryId> = project
        .types
        .iter()
        .flat_map(|ty| tree_order(project, ty.id).into_iter().map(|(t, _)| t))
        .collect();
    let territories = order
        .iter()
        .filter_map(|&id| {
            project
                .territory(id)
                .map(|t| (id, developer_name(&t.name, used)))
        })
        .collect();
    Names {
        model,
        model_label,
        types,
        territories,
        order,
    }
}

/// A rule ETM could not take, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRule {
    /// The territory's name.
    pub territory: String,
    /// The rule in Turfmap's text form.
    pub rule: String,
    /// Why ETM cannot express it.
    pub reason: String,
}

/// What the metadata step wrote and left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataReport {
    /// Rules written as Territory2Rule.
    pub rules: usize,
    /// Rules left out, with the reason.
    pub skipped_rules: Vec<SkippedRule>,
    /// Changes made so that the files deploy (unique type priorities,
    /// labels cut to 80 characters), for the summary.
    pub notes: Vec<String>,
}

/// Every metadata file, as (path relative to the export folder, text).
pub fn files(
    project: &Project,
    names: &Names,
    used: &mut HashSet<String>,
    report: &mut MetadataReport,
) -> Result<Vec<(String, String)>> {
    let access = checked_access(&project.settings.salesforce)?;
    let model_dir = format!("territory2Models/{}", names.model);
    let mut out = vec![(
        format!("{model_dir}/{}.territory2Model-meta.xml", names.model),
        model_xml(&names.model_label, report),
    )];
    out.extend(type_files(project, names, report));
    let mut rule_members = Vec::new();
    for &id in &names.order {
        let Some(t) = project.territory(id) else {
            continue;
        };
        let rule = territory_rule(project, t, used, report);
        if let Some((dev, _, etm)) = &rule {
            rule_members.push(format!("{}.{dev}", names.model));
            out.push((
                format!("{model_dir}/rules/{dev}.territory2Rule-meta.xml"),
                rule_xml(&label(&format!("{} rule", t.name), report), etm),
            ));
        }
        let dev = &names.territories[&id];
        out.push((
            format!("{model_dir}/territories/{dev}.territory2-meta.xml"),
            territory_xml(
                t,
                names,
                &access,
                rule.as_ref().map(|r| r.0.as_str()),
                report,
            ),
        ));
    }
    out.push(("package.xml".into(), package_xml(names, &rule_members)));
    Ok(out)
}

/// The rule of `t` as (DeveloperName, label, items) when ETM can express
/// it; otherwise the reason goes to `report`.
fn territory_rule(
    project: &Project,
    t: &Territory,
    used: &mut HashSet<String>,
    report: &mut MetadataReport,
) -> Option<(String, String, EtmRule)> {
    let rule = t.rule.as_ref()?;
    match to_etm(rule, &project.accounts) {
        Ok(etm) => {
            report.rules += 1;
            let dev = developer_name(&format!("{} Rule", t.name), used);
            Some((dev, t.name.clone(), etm))
        }
        Err(reason) => {
            report.skipped_rules.push(SkippedRule {
                territory: t.name.clone(),
                rule: rule.render(),
                reason,
            });
            None
        }
    }
}

/// A label Salesforce keeps whole: at most 80 characters (a cut is noted).
fn label(s: &str, report: &mut MetadataReport) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_owned();
    }
    let cut: String = s.chars().take(MAX_LABEL).collect();
    report
        .notes
        .push(format!("label '{s}' cut to 80 characters: '{cut}'"));
    cut
}

fn model_xml(label_text: &str, report: &mut MetadataReport) -> String {
    let mut d = XmlDoc::new("Territory2Model");
    d.leaf("description", "Exported from Turfmap");
    d.leaf("name", &label(label_text, report));
    d.finish()
}

/// Territory2Type files; priorities made unique (Salesforce requires it),
/// each change noted.
fn type_files(
    project: &Project,
    names: &Names,
    report: &mut MetadataReport,
) -> Vec<(String, String)> {
    let mut taken: HashSet<i32> = HashSet::new();
    let mut out = Vec::new();
    for ty in &project.types {
        let mut priority = ty.priority;
        while !taken.insert(priority) {
            priority += 1;
        }
        if priority != ty.priority {
            report.notes.push(format!(
                "type '{}': priority {} written as {priority} (Salesforce needs a different priority per type)",
                ty.name, ty.priority
            ));
        }
        let mut d = XmlDoc::new("Territory2Type");
        d.leaf("name", &label(&ty.name, report));
        d.leaf("priority", &priority.to_string());
        out.push((
            format!(
                "territory2Types/{}.territory2Type-meta.xml",
                names.types[&ty.id]
            ),
            d.finish(),
        ));
    }
    out
}

/// Elements in the order of the Metadata API schema (alphabetical, as the
/// reference lists the fields).
fn territory_xml(
    t: &Territory,
    names: &Names,
    access: &SalesforceAccess,
    rule: Option<&str>,
    report: &mut MetadataReport,
) -> String {
    let mut d = XmlDoc::new("Territory2");
    let level = |d: &mut XmlDoc, name: &str, v: &Option<String>| {
        if let Some(v) = v {
            d.leaf(name, v);
        }
    };
    level(&mut d, "accountAccessLevel", &access.account);
    level(&mut d, "caseAccessLevel", &access.case);
    level(&mut d, "contactAccessLevel", &access.contact);
    d.leaf("name", &label(&t.name, report));
    level(&mut d, "opportunityAccessLevel", &access.opportunity);
    if let Some(p) = t.parent.and_then(|p| names.territories.get(&p)) {
        d.leaf("parentTerritory", p);
    }
    if let Some(r) = rule {
        d.open("ruleAssociations")
            .leaf("inherited", "false")
            .leaf("ruleName", r)
            .close();
    }
    let ty = names.types.get(&t.type_id).map_or("", String::as_str);
    d.leaf("territory2Type", ty);
    d.finish()
}

fn rule_xml(name: &str, etm: &EtmRule) -> String {
    let mut d = XmlDoc::new("Territory2Rule");
    d.leaf("active", "true");
    if let Some(f) = &etm.boolean_filter {
        d.leaf("booleanFilter", f);
    }
    d.leaf("name", name);
    d.leaf("objectType", "Account");
    for item in &etm.items {
        d.open("ruleItems")
            .leaf("field", &item.field)
            .leaf("operation", &item.operation)
            .leaf("value", &item.value)
            .close();
    }
    d.finish()
}

fn package_xml(names: &Names, rules: &[String]) -> String {
    let mut d = XmlDoc::new("Package");
    let group = |d: &mut XmlDoc, name: &str, mut members: Vec<String>| {
        if members.is_empty() {
            return;
        }
        members.sort();
        d.open("types");
        for m in &members {
            d.leaf("members", m);
        }
        d.leaf("name", name).close();
    };
    let territories = names
        .order
        .iter()
        .map(|id| format!("{}.{}", names.model, names.territories[id]))
        .collect();
    group(&mut d, "Territory2", territories);
    group(&mut d, "Territory2Model", vec![names.model.clone()]);
    group(&mut d, "Territory2Rule", rules.to_vec());
    group(
        &mut d,
        "Territory2Type",
        names.types.values().cloned().collect(),
    );
    d.leaf("version", API_VERSION);
    d.finish()
}

/// The plan's access levels, spelled as Salesforce wants them, or an
/// error naming the one that is not allowed.
pub fn checked_access(a: &SalesforceAccess) -> Result<SalesforceAccess> {
    let check = |what: &str, v: &Option<String>, allowed: &[&str]| -> Result<Option<String>> {
        let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .map(|a| Some((*a).to_owned()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{what} access level '{v}' is not one Salesforce accepts ({})",
                    allowed.join(", ")
                ))
            })
    };
    let other = ["None", "Read", "Edit"];
    Ok(SalesforceAccess {
        account: check("account", &a.account, &["Read", "Edit", "All"])?,
        opportunity: check("opportunity", &a.opportunity, &other)?,
        case: check("case", &a.case, &other)?,
        contact: check("contact", &a.contact, &other)?,
    })
}
