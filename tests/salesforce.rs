//! Salesforce export and import: the plan as Metadata API source that
//! matches the reference's element names, association loads with the
//! org's ids, the way back in, and a baseline from an account export.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;

use geo::{MultiPolygon, polygon};
use turfmap::core::Workspace;
use turfmap::core::model::{
    AccountRow, Accounts, LocationSource, Project, Rep, RepId, TerritoryType, TerritoryTypeId,
};
use turfmap::core::rules::Rule;
use turfmap::core::salesforce;
use turfmap::core::scenario;

mod common;

use common::{app, app_mut, finish_job, harness};
use egui::Role;
use egui_kittest::kittest::Queryable;

fn sq(x0: f64, s: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: 0.0), (x: x0 + s, y: 0.0), (x: x0 + s, y: s), (x: x0, y: s)
    ]])
}

fn plan() -> Project {
    let mut p = Project::new("Acme FY26");
    p.accounts = Accounts::with_schema(&["Revenue".into()], &["Industry".into()]);
    for i in 0..12 {
        p.accounts.push(&AccountRow {
            id: format!("001A{i:011}"),
            name: format!("Account {i}"),
            location: (i != 11).then_some((i as f64 + 0.5, 0.5)),
            source: LocationSource::Coordinates,
            measures: vec![i as f64],
            attributes: vec![if i % 3 == 0 { "Healthcare" } else { "Retail" }.into()],
            pins: Vec::new(),
        });
    }
    let region = p.add_territory("West Region", MultiPolygon(vec![]));
    let west = p.add_territory("North-West #1", sq(0.0, 5.0));
    let east = p.add_territory("North West 1", sq(5.0, 5.0));
    for t in [west, east] {
        p.territory_mut(t).unwrap().parent = Some(region);
    }
    p.types.push(TerritoryType {
        id: TerritoryTypeId(1),
        name: "Healthcare Overlay".into(),
        priority: 5,
    });
    let hc = p.add_territory("Health", MultiPolygon(vec![]));
    let t = p.territory_mut(hc).unwrap();
    t.type_id = TerritoryTypeId(1);
    t.rule = Some(Box::new(
        Rule::parse(
            "Industry = Healthcare AND (Revenue between 0 and 100 OR Name starts with \"Account\")",
        )
        .unwrap(),
    ));
    // ETM has no boundaries: this rule is listed, not exported.
    p.territory_mut(east).unwrap().rule = Some(Box::new(
        Rule::parse("Industry = Retail WITHIN BOUNDARY").unwrap(),
    ));
    let mut ann = Rep::new(RepId(0), "Ann Lee");
    ann.username = "ann@acme.example".into();
    ann.role = "Owner".into();
    let mut bo = Rep::new(RepId(1), "Bo Diaz");
    bo.role = "Specialist".into();
    p.reps = vec![ann, bo];
    p.territory_mut(west).unwrap().reps = vec![RepId(0)];
    p.territory_mut(region).unwrap().reps = vec![RepId(0)];
    p.territory_mut(hc).unwrap().reps = vec![RepId(1)];
    // The unlocated account is pinned to the region itself.
    p.accounts.pins.insert(11, region);
    p
}

/// The plan's accounts without types, reps, territories or pins.
fn accounts_only() -> Project {
    let mut fresh = plan();
    fresh.territories.clear();
    fresh.types.truncate(1);
    fresh.reps.clear();
    fresh.accounts.pins = turfmap::core::pins::Pins::unpinned(fresh.accounts.len());
    fresh
}

/// Names of the territories account `id` is pinned to, sorted.
fn pinned_to(p: &Project, id: &str) -> Vec<String> {
    let i = p.accounts.find_id(id).unwrap();
    let mut v: Vec<String> = p
        .accounts
        .pins
        .of(i)
        .map(|t| p.territory(t).unwrap().name.clone())
        .collect();
    v.sort();
    v
}

/// Per type name: account id → territory name.
fn assignment(ws: &Workspace) -> HashMap<(String, String), String> {
    let p = ws.project();
    let mut m = HashMap::new();
    for e in ws.engines() {
        let ty = p.territory_type(e.type_id()).unwrap().name.clone();
        for i in p.accounts.live() {
            if let Some(t) = e.territory_of(i) {
                m.insert(
                    (ty.clone(), p.accounts.ids[i].clone()),
                    p.territory(t).unwrap().name.clone(),
                );
            }
        }
    }
    m
}

/// Per territory name: (parent name, type name, rep names).
fn structure(p: &Project) -> HashMap<String, (Option<String>, String, Vec<String>)> {
    p.territories
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                (
                    t.parent.map(|x| p.territory(x).unwrap().name.clone()),
                    p.territory_type(t.type_id).unwrap().name.clone(),
                    t.reps
                        .iter()
                        .map(|r| p.rep(*r).unwrap().name.clone())
                        .collect(),
                ),
            )
        })
        .collect()
}

// ------------------------------------------------------------------ export

/// Element names per type, from the Metadata API reference's field tables
/// (Territory2Model, Territory2, Territory2Type, Territory2Rule) and the
/// package.xml manifest.
const ALLOWED: &[(&str, &[&str])] = &[
    ("Territory2Model", &["customFields", "description", "name"]),
    (
        "Territory2",
        &[
            "accountAccessLevel",
            "caseAccessLevel",
            "contactAccessLevel",
            "customFields",
            "description",
            "name",
            "objectAccessLevels",
            "opportunityAccessLevel",
            "parentTerritory",
            "ruleAssociations",
            "territory2Type",
        ],
    ),
    ("Territory2/ruleAssociations", &["inherited", "ruleName"]),
    ("Territory2Type", &["description", "name", "priority"]),
    (
        "Territory2Rule",
        &["active", "booleanFilter", "name", "objectType", "ruleItems"],
    ),
    ("Territory2Rule/ruleItems", &["field", "operation", "value"]),
    ("Package", &["types", "version"]),
    ("Package/types", &["members", "name"]),
];

/// FilterOperation values of the reference.
const OPERATIONS: &[&str] = &[
    "equals",
    "notEqual",
    "lessThan",
    "greaterThan",
    "lessOrEqual",
    "greaterOrEqual",
    "contains",
    "notContain",
    "startsWith",
    "includes",
    "excludes",
    "within",
];

/// Parses `text` with quick-xml (failing on malformed XML) into
/// (element path, text) pairs, checking each child against [`ALLOWED`]
/// and that siblings come in the schema's alphabetical order.
fn checked_elements(text: &str, file: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let mut out = Vec::new();
    loop {
        match r.read_event().unwrap_or_else(|e| panic!("{file}: {e}")) {
            Event::Start(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                if let Some((parent, last)) = stack.last_mut() {
                    let allowed = ALLOWED
                        .iter()
                        .find(|(p, _)| p == parent)
                        .unwrap_or_else(|| panic!("{file}: unexpected children in {parent}"))
                        .1;
                    assert!(allowed.contains(&name.as_str()), "{file}: {parent}/{name}");
                    if let Some(l) = last {
                        assert!(*l <= name, "{file}: {name} after {l} in {parent}");
                    }
                    *last = Some(name.clone());
                    let path = format!("{parent}/{name}");
                    stack.push((path, None));
                } else {
                    assert_eq!(
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == b"xmlns")
                            .map(|a| a.value.to_vec()),
                        Some(b"http://soap.sforce.com/2006/04/metadata".to_vec()),
                        "{file}"
                    );
                    stack.push((name, None));
                }
            }
            Event::Text(t) => {
                if let Some((path, _)) = stack.last() {
                    out.push((path.clone(), t.xml10_content().unwrap().trim().to_owned()));
                }
            }
            Event::GeneralRef(_) => {}
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "{file}");
    out
}

/// Every file below `dir`, relative, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

fn values(els: &[(String, String)], path: &str) -> Vec<String> {
    els.iter()
        .filter(|(p, _)| p == path)
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn metadata_is_well_formed_and_uses_the_reference_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut p = plan();
    p.settings.salesforce.account = Some("edit".into());
    p.settings.salesforce.opportunity = Some("Read".into());
    let ws = Workspace::new(p);
    let s = salesforce::export_with(ws.project(), ws.engines(), &out, &Default::default()).unwrap();
    let files = files_below(&out);
    let model = "territory2Models/Acme_FY26_Plan";
    for f in [
        "package.xml",
        "LOAD-STEPS.txt",
        "EXPORT-SUMMARY.txt",
        "territory2Types/Geographic.territory2Type-meta.xml",
        "territory2Types/Healthcare_Overlay.territory2Type-meta.xml",
    ] {
        assert!(files.contains(&f.to_owned()), "{f} in {files:?}");
    }
    assert!(files.contains(&format!("{model}/Acme_FY26_Plan.territory2Model-meta.xml")));
    assert!(files.contains(&format!(
        "{model}/rules/Health_Rule.territory2Rule-meta.xml"
    )));
    // No association file without the org's ids.
    assert!(!files.iter().any(|f| f.ends_with(".csv")), "{files:?}");
    let (mut members, mut listed) = (Vec::new(), Vec::new());
    for f in files.iter().filter(|f| f.ends_with(".xml")) {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        let els = checked_elements(&text, f);
        if f == "package.xml" {
            members = values(&els, "Package/types/members");
            assert_eq!(
                values(&els, "Package/types/name"),
                [
                    "Territory2",
                    "Territory2Model",
                    "Territory2Rule",
                    "Territory2Type"
                ]
            );
            continue;
        }
        // Every component is listed in package.xml, by its file name.
        let stem = f.rsplit('/').next().unwrap().split('.').next().unwrap();
        listed.push(if f.contains("/territories/") || f.contains("/rules/") {
            format!("Acme_FY26_Plan.{stem}")
        } else {
            stem.to_owned()
        });
        if f.contains("/territories/") {
            assert_eq!(
                values(&els, "Territory2/accountAccessLevel"),
                ["Edit"],
                "{f}"
            );
            assert_eq!(values(&els, "Territory2/opportunityAccessLevel"), ["Read"]);
            assert!(values(&els, "Territory2/caseAccessLevel").is_empty());
            assert_eq!(values(&els, "Territory2/territory2Type").len(), 1, "{f}");
            assert_eq!(values(&els, "Territory2/name").len(), 1, "{f}");
        }
        if f.contains("/rules/") {
            assert_eq!(values(&els, "Territory2Rule/objectType"), ["Account"]);
            for op in values(&els, "Territory2Rule/ruleItems/operation") {
                assert!(OPERATIONS.contains(&op.as_str()), "{op}");
            }
        }
    }
    listed.sort();
    members.sort();
    assert_eq!(listed, members);
    // The overlay territory carries its rule; the hierarchy uses DeveloperNames.
    let read = |f: &str| std::fs::read_to_string(out.join(model).join(f)).unwrap();
    let health = checked_elements(&read("territories/Health.territory2-meta.xml"), "Health");
    assert_eq!(
        values(&health, "Territory2/ruleAssociations/ruleName"),
        ["Health_Rule"]
    );
    assert_eq!(
        values(&health, "Territory2/ruleAssociations/inherited"),
        ["false"]
    );
    assert_eq!(
        values(&health, "Territory2/territory2Type"),
        ["Healthcare_Overlay"]
    );
    let nw = checked_elements(&read("territories/North_West_1.territory2-meta.xml"), "NW");
    assert_eq!(values(&nw, "Territory2/parentTerritory"), ["West_Region"]);
    assert_eq!(values(&nw, "Territory2/name"), ["North-West #1"]);
    let rule = checked_elements(&read("rules/Health_Rule.territory2Rule-meta.xml"), "rule");
    assert_eq!(
        values(&rule, "Territory2Rule/booleanFilter"),
        ["1 AND ((2 AND 3) OR 4)"]
    );
    assert_eq!(
        values(&rule, "Territory2Rule/ruleItems/field"),
        [
            "Account.Industry",
            "Account.Revenue",
            "Account.Revenue",
            "Account.Name"
        ]
    );
    // The rule ETM cannot express is named in the summary with the reason.
    assert_eq!(s.metadata.rules, 1);
    assert_eq!(s.metadata.skipped_rules.len(), 1);
    let summary = std::fs::read_to_string(out.join("EXPORT-SUMMARY.txt")).unwrap();
    assert!(
        summary.contains("North West 1") && summary.contains("boundary"),
        "{summary}"
    );
    let steps = std::fs::read_to_string(out.join("LOAD-STEPS.txt")).unwrap();
    assert!(steps.contains("sf project deploy start") && steps.contains("--territory-ids"));
    // A bad access level is refused, naming it.
    let mut bad = plan();
    bad.settings.salesforce.case = Some("All".into());
    let ws = Workspace::new(bad);
    let e = salesforce::export(ws.project(), ws.engines(), &dir.path().join("bad"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("case access level 'All'"), "{e}");
    assert!(!dir.path().join("bad").exists());
}

/// The org after deploying `out`: a Territory2 export with ids (columns
/// in another order, an extra column, and a same-named territory of
/// another model that must be ignored).
fn org_territories(out: &Path, path: &Path) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let model = out.join("territory2Models/Acme_FY26_Plan/territories");
    let mut names: Vec<String> = std::fs::read_dir(model)
        .unwrap()
        .map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.split('.').next().unwrap().to_owned()
        })
        .collect();
    names.sort();
    let mut text = String::from("Name,DeveloperName,Territory2Model.DeveloperName,Id\n");
    for (k, dev) in names.iter().enumerate() {
        let id = format!("0MI5g000000{k:04}AAA");
        text.push_str(&format!("x,{dev},Acme_FY26_Plan,{id}\n"));
        text.push_str(&format!("x,{dev},Old_Model,0MI5g999999{k:04}AAA\n"));
        rows.push((dev.clone(), id));
    }
    std::fs::write(path, text).unwrap();
    rows
}

fn org_users(path: &Path) {
    std::fs::write(
        path,
        "Id,Username,Email,Name\n\
         0055g000001AAAAAAA,ann@acme.example,ann@acme.example,Ann Lee\n\
         0055g000002AAAAAAA,bo@acme.example,bo@other.example,Bo Diaz\n",
    )
    .unwrap();
}

/// Per territory name: its rule in text form.
fn rules(p: &Project) -> HashMap<String, Option<String>> {
    p.territories
        .iter()
        .map(|t| (t.name.clone(), t.rule.as_deref().map(Rule::render)))
        .collect()
}

#[test]
fn plan_to_metadata_to_import_keeps_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (first, out) = (dir.path().join("first"), dir.path().join("out"));
    // Bo has no username: he is matched by his full name in the User export.
    let ws = Workspace::new(plan());
    salesforce::export(ws.project(), ws.engines(), &first).unwrap();
    let tcsv = dir.path().join("Territory2.csv");
    let ucsv = dir.path().join("User.csv");
    let ids = org_territories(&first, &tcsv);
    org_users(&ucsv);
    let opts = salesforce::ExportOptions {
        territory_ids: Some(tcsv.clone()),
        user_ids: Some(ucsv.clone()),
        ..Default::default()
    };
    let s = salesforce::export_with(ws.project(), ws.engines(), &out, &opts).unwrap();
    assert!(!out.join("LOAD-STEPS.txt").exists());
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let assoc = read("ObjectTerritory2Association.csv");
    assert!(assoc.starts_with("ObjectId,Territory2Id,AssociationCause\n"));
    let nw1 = &ids.iter().find(|(d, _)| d == "North_West_1").unwrap().1;
    assert!(
        assoc.contains(&format!("\n001A00000000000,{nw1},Territory2Manual\n")),
        "{assoc}"
    );
    // One row per account and type it is assigned in.
    let expected: usize = ws
        .engines()
        .iter()
        .map(|e| {
            ws.project()
                .accounts
                .live()
                .filter(|&i| e.territory_of(i).is_some())
                .count()
        })
        .sum();
    assert_eq!(s.account_rows, expected);
    assert_eq!(assoc.lines().count(), expected + 1);
    let users = read("UserTerritory2Association.csv");
    let region = &ids.iter().find(|(d, _)| d == "West_Region").unwrap().1;
    assert!(users.starts_with("UserId,Territory2Id,RoleInTerritory2\n"));
    assert!(
        users.contains(&format!("0055g000001AAAAAAA,{region},Owner")),
        "{users}"
    );
    assert_eq!(s.user_rows, 3);

    // Back in, over the same accounts without types, reps or territories.
    let mut ws2 = Workspace::new(accounts_only());
    let sources = salesforce::ModelSources {
        associations: Some(out.join("ObjectTerritory2Association.csv")),
        territory_ids: Some(tcsv),
        user_associations: Some(out.join("UserTerritory2Association.csv")),
        user_ids: Some(ucsv),
    };
    let (edit, report) =
        salesforce::read_model(ws2.project(), &out, &sources, "From Salesforce").unwrap();
    assert_eq!(report.territories, 4);
    assert_eq!((report.rules, report.unknown_accounts), (1, 0));
    assert_eq!(report.second_in_type, 0);
    ws2.apply(edit).unwrap();
    assert_eq!(ws2.project().active().unwrap().name, "From Salesforce");
    assert_eq!(structure(ws2.project()), structure(ws.project()));
    assert_eq!(assignment(&ws2), assignment(&ws));
    // Expressible rules come back as they were; the other one is not there.
    let (before, after) = (rules(ws.project()), rules(ws2.project()));
    assert_eq!(after["Health"], before["Health"]);
    assert_eq!(after["North West 1"], None);
    let types: Vec<(String, i32)> = ws2
        .project()
        .types
        .iter()
        .map(|t| (t.name.clone(), t.priority))
        .collect();
    assert_eq!(
        types,
        vec![("Geographic".into(), 0), ("Healthcare Overlay".into(), 5)]
    );
    let bo = ws2.project().rep_by_name("Bo Diaz").unwrap();
    assert_eq!(
        (bo.username.as_str(), bo.role.as_str()),
        ("bo@acme.example", "Specialist")
    );
    assert_eq!(
        pinned_to(ws2.project(), "001A00000000000"),
        ["Health", "North-West #1"]
    );
}

#[test]
fn unmatched_territories_and_users_are_listed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let ws = Workspace::new(plan());
    salesforce::export(ws.project(), ws.engines(), &first).unwrap();
    let tcsv = dir.path().join("Territory2.csv");
    org_territories(&first, &tcsv);
    // The org lacks North_West_1_2 and has Health twice in this model.
    let text = std::fs::read_to_string(&tcsv).unwrap();
    let mut text: String = text
        .lines()
        .filter(|l| !l.contains(",North_West_1_2,"))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("x,Health,Acme_FY26_Plan,0MI5g0000009999AAA\n");
    std::fs::write(&tcsv, text).unwrap();
    // Bo has no username; an e-mail shared by two users is ambiguous.
    let ucsv = dir.path().join("User.csv");
    std::fs::write(
        &ucsv,
        "Id,Email\n0055g000001AAAAAAA,ann@acme.example\n0055g000003AAAAAAA,ann@acme.example\n",
    )
    .unwrap();
    // An earlier export in the folder stays as it was.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("package.xml"), "earlier").unwrap();
    let opts = salesforce::ExportOptions {
        territory_ids: Some(tcsv),
        user_ids: Some(ucsv),
        ..Default::default()
    };
    let e = salesforce::export_with(ws.project(), ws.engines(), &out, &opts)
        .unwrap_err()
        .to_string();
    let p = ws.project();
    let unmatched = [
        p.territory_by_name("North West 1").unwrap().id,
        p.territory_by_name("Health").unwrap().id,
    ];
    let rows: usize = ws
        .engines()
        .iter()
        .map(|e| {
            p.accounts
                .live()
                .filter(|&i| e.territory_of(i).is_some_and(|t| unmatched.contains(&t)))
                .count()
        })
        .sum();
    for want in [
        "1 territory not in",
        "North_West_1_2 (North West 1)",
        &format!("{rows} account row(s) have no territory id"),
        "1 DeveloperName(s) with several ids",
        "Health (Health): 0MI5g",
        "Bo Diaz (no username in the plan, and no user of that name)",
        "1 rep(s) matching several users",
        "Ann Lee (ann@acme.example): 0055g000001AAAAAAA, 0055g000003AAAAAAA",
    ] {
        assert!(e.contains(want), "{want} in {e}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("package.xml")).unwrap(),
        "earlier"
    );
    assert_eq!(files_below(&out), ["package.xml"]);
    // Nothing left beside it either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

#[test]
fn row_number_ids_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan();
    for (k, id) in p.accounts.ids.iter_mut().enumerate() {
        *id = (12 - k).to_string();
    }
    let ws = Workspace::new(p);
    let out = dir.path().join("out");
    let e = salesforce::export(ws.project(), ws.engines(), &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row numbers") && e.contains("--allow-row-ids"),
        "{e}"
    );
    assert!(!out.exists());
    let opts = salesforce::ExportOptions {
        allow_row_number_ids: true,
        ..Default::default()
    };
    let s = salesforce::export_with(ws.project(), ws.engines(), &out, &opts).unwrap();
    assert_eq!(s.non_salesforce_ids, 12);
    assert!(s.text().contains("12 account id(s) are not 15 or 18"));
    // Ids that merely are numbers (not exactly 1…N) are CRM ids.
    let mut q = plan();
    q.accounts.ids[0] = "100".into();
    for (k, id) in q.accounts.ids.iter_mut().enumerate().skip(1) {
        *id = (k + 1).to_string();
    }
    let ws = Workspace::new(q);
    salesforce::export(ws.project(), ws.engines(), &dir.path().join("q")).unwrap();
}

#[test]
fn a_folder_with_other_files_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let ws = Workspace::new(plan());
    let e = salesforce::export(ws.project(), ws.engines(), dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("notes.txt"), "{e}");
    assert_eq!(files_below(dir.path()), ["notes.txt"]);
    // An earlier export is replaced whole (no stale rule files stay).
    let out = dir.path().join("out");
    salesforce::export(ws.project(), ws.engines(), &out).unwrap();
    let mut p = plan();
    for t in &mut p.territories {
        t.rule = None;
    }
    let ws = Workspace::new(p);
    salesforce::export(ws.project(), ws.engines(), &out).unwrap();
    assert!(!files_below(&out).iter().any(|f| f.contains("/rules/")));
}

#[test]
fn a_second_territory_of_one_type_is_counted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (first, out) = (dir.path().join("first"), dir.path().join("out"));
    let ws = Workspace::new(plan());
    salesforce::export(ws.project(), ws.engines(), &first).unwrap();
    let tcsv = dir.path().join("Territory2.csv");
    let ids = org_territories(&first, &tcsv);
    let opts = salesforce::ExportOptions {
        territory_ids: Some(tcsv.clone()),
        ..Default::default()
    };
    salesforce::export_with(ws.project(), ws.engines(), &out, &opts).unwrap();
    // Salesforce allows an account in two territories of one type; Turfmap
    // keeps the first per type and says how many it skipped.
    let path = out.join("ObjectTerritory2Association.csv");
    let mut assoc = std::fs::read_to_string(&path).unwrap();
    let east = &ids.iter().find(|(d, _)| d == "North_West_1_2").unwrap().1;
    assoc.push_str(&format!("001A00000000000,{east},Territory2Manual\n"));
    std::fs::write(&path, assoc).unwrap();
    let mut ws2 = Workspace::new(accounts_only());
    let sources = salesforce::ModelSources {
        territory_ids: Some(tcsv),
        ..Default::default()
    };
    // The association file is found in the folder by its Salesforce name.
    let (edit, report) = salesforce::read_model(ws2.project(), &out, &sources, "Twice").unwrap();
    assert_eq!(report.second_in_type, 1);
    ws2.apply(edit).unwrap();
    assert_eq!(
        pinned_to(ws2.project(), "001A00000000000"),
        ["Health", "North-West #1"]
    );
    // Without the Territory2 export the ids cannot be read: a clear error.
    let e = salesforce::read_export(ws2.project(), &out, "Again")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Territory2Id") && e.contains("Territory2 export"),
        "{e}"
    );
}

#[test]
fn retrieved_source_folders_with_rules_read_back() {
    // A folder as `sf project retrieve start` leaves it, written by hand:
    // two types, a parent and a child, a rule with a filter and a rule
    // on a field the plan does not have.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("force-app/main/default");
    let model = root.join("territory2Models/FY27");
    let write = |rel: &str, body: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            p,
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n"),
        )
        .unwrap();
    };
    let ns = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";
    // Metadata-format name (no -meta.xml), as `sf project retrieve start --target-metadata-dir` writes.
    write(
        "territory2Types/Geo.territory2Type",
        &format!(
            "<Territory2Type {ns}><name>Geographic</name><priority>1</priority></Territory2Type>"
        ),
    );
    write(
        "territory2Types/Named.territory2Type-meta.xml",
        &format!(
            "<Territory2Type {ns}><description>Key accounts</description><name>Named Accounts</name><priority>9</priority></Territory2Type>"
        ),
    );
    write(
        "territory2Models/FY27/FY27.territory2Model-meta.xml",
        &format!("<Territory2Model {ns}><name>FY27</name></Territory2Model>"),
    );
    write(
        "territory2Models/FY27/territories/AMER.territory2-meta.xml",
        &format!(
            "<Territory2 {ns}><accountAccessLevel>Read</accountAccessLevel><name>Americas &amp; Co</name><territory2Type>Geo</territory2Type></Territory2>"
        ),
    );
    write(
        "territory2Models/FY27/territories/Key_West.territory2-meta.xml",
        &format!(
            "<Territory2 {ns}><name>Key West</name><parentTerritory>AMER</parentTerritory><ruleAssociations><inherited>false</inherited><ruleName>Big_Retail</ruleName></ruleAssociations><ruleAssociations><inherited>false</inherited><ruleName>By_State</ruleName></ruleAssociations><territory2Type>Named</territory2Type></Territory2>"
        ),
    );
    write(
        "territory2Models/FY27/rules/Big_Retail.territory2Rule-meta.xml",
        &format!(
            "<Territory2Rule {ns}><active>true</active><booleanFilter>(1 OR 2) AND 3</booleanFilter><name>Big retail</name><objectType>Account</objectType><ruleItems><field>Account.Industry</field><operation>equals</operation><value>Retail,Food</value></ruleItems><ruleItems><field>Account.Industry</field><operation>startsWith</operation><value>Health</value></ruleItems><ruleItems><field>Account.Revenue</field><operation>greaterThan</operation><value>5</value></ruleItems></Territory2Rule>"
        ),
    );
    write(
        "territory2Models/FY27/rules/By_State.territory2Rule-meta.xml",
        &format!(
            "<Territory2Rule {ns}><active>true</active><name>By state</name><objectType>Account</objectType><ruleItems><field>Account.BillingState</field><operation>equals</operation><value>CA</value></ruleItems></Territory2Rule>"
        ),
    );
    assert!(model.is_dir());
    let mut ws = Workspace::new(accounts_only());
    let (edit, r) = salesforce::read_export(ws.project(), dir.path(), "FY27").unwrap();
    assert_eq!((r.territories, r.new_types, r.rules), (2, 1, 1));
    assert_eq!(r.skipped_rules.len(), 1);
    assert!(
        r.skipped_rules[0].contains("BillingState"),
        "{:?}",
        r.skipped_rules
    );
    ws.apply(edit).unwrap();
    let p = ws.project();
    let s = structure(p);
    assert_eq!(s["Key West"].0.as_deref(), Some("Americas & Co"));
    assert_eq!(s["Key West"].1, "Named Accounts");
    assert_eq!(s["Americas & Co"].1, "Geographic");
    let expected = Rule::parse(
        "(Industry in (\"Retail\", \"Food\") OR Industry starts with \"Health\") AND Revenue > 5",
    )
    .unwrap();
    assert_eq!(rules(p)["Key West"], Some(expected.render()));
    // Broken XML is an error naming the file and line.
    write(
        "territory2Models/FY27/territories/Bad.territory2-meta.xml",
        "<Territory2><name>x</Territory2>",
    );
    let e = salesforce::read_export(ws.project(), dir.path(), "Bad")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Bad.territory2-meta.xml") && e.contains("line"),
        "{e}"
    );
}

#[test]
fn csv_files_from_earlier_versions_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let w = |f: &str, s: &str| std::fs::write(dir.path().join(f), s).unwrap();
    w(
        "Territory2Type.csv",
        "DeveloperName,MasterLabel,Priority\nGeographic,Geographic,0\n",
    );
    w(
        "Territory2.csv",
        "DeveloperName,Name,ParentTerritory2.DeveloperName,Territory2Type.DeveloperName\n\
         West,West,,Geographic\nBay,Bay Area,West,Geographic\n",
    );
    w(
        "ObjectTerritory2Association.csv",
        "ObjectId,Territory2.DeveloperName,AssociationCause\n001A00000000003,Bay,Territory2Manual\nNOPE,West,Territory2Manual\n",
    );
    w(
        "UserTerritory2Association.csv",
        "User.Username,Territory2.DeveloperName,RoleInTerritory2,User.Name\nann@acme.example,West,Owner,Ann Lee\n",
    );
    let mut ws = Workspace::new(accounts_only());
    let (edit, r) = salesforce::read_export(ws.project(), dir.path(), "Old").unwrap();
    assert_eq!(
        (r.territories, r.assignments, r.unknown_accounts, r.new_reps),
        (2, 1, 1, 1)
    );
    ws.apply(edit).unwrap();
    assert_eq!(pinned_to(ws.project(), "001A00000000003"), ["Bay Area"]);
    assert_eq!(
        structure(ws.project())["Bay Area"].0.as_deref(),
        Some("West")
    );
    // A parent that is not in the file is an error naming file and line.
    w(
        "Territory2.csv",
        "DeveloperName,Name,ParentTerritory2.DeveloperName\nBay,Bay Area,Nowhere\n",
    );
    let e = salesforce::read_export(ws.project(), dir.path(), "Old2")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("Nowhere"), "{e}");
}

#[test]
fn baseline_from_an_account_export() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("accounts.csv");
    std::fs::write(
        &csv,
        "Id,Name,Lat,Lon,Territory,Owner\n\
         A1,One,40.0,-100.0,North,Ann\n\
         A2,Two,41.0,-101.0,North,Bo\n\
         A3,Three,42.0,-102.0,North,Ann\n\
         A4,Four,43.0,-103.0,South,Bo\n\
         A5,Five,44.0,-104.0,,Bo\n",
    )
    .unwrap();
    let (table, _) = turfmap::core::import::import_accounts(
        &csv,
        &Default::default(),
        &turfmap::core::progress::Progress::new(),
    )
    .unwrap();
    let mut p = Project::new("sf");
    p.accounts = table.clone();
    let mut ws = Workspace::new(p);
    let (edit, r) =
        salesforce::baseline_edit(ws.project(), &table, "Territory", Some("Owner"), "Baseline")
            .unwrap();
    assert_eq!(
        (r.territories, r.assigned, r.new_reps, r.without_territory),
        (2, 4, 2, 1)
    );
    ws.apply(edit).unwrap();
    let p = ws.project();
    assert_eq!(p.scenarios.len(), 1);
    assert_eq!(p.active().unwrap().name, "Baseline");
    let north = p.territory_by_name("North").unwrap();
    // Ann owns two of North's accounts, Bo one: Ann first.
    assert_eq!(p.rep_label(north).as_deref(), Some("Ann, Bo"));
    assert_eq!(
        ws.engine().territory_of(3),
        Some(p.territory_by_name("South").unwrap().id)
    );
    assert_eq!(ws.engine().territory_of(4), None);
    // One undo takes the whole import back.
    ws.undo().unwrap();
    assert!(ws.project().territories.is_empty() && ws.project().reps.is_empty());
    // A missing column is a clear error.
    let e = salesforce::baseline_edit(ws.project(), &table, "Territory2", None, "B")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column 'Territory2'") && e.contains("Owner"),
        "{e}"
    );
    // Clones then diff show no change.
    let base = ws.project().active_scenario;
    ws.apply(scenario::clone_edit(ws.project(), base, "Copy").unwrap())
        .unwrap();
    let copy = scenario::find(ws.project(), "Copy").unwrap();
    assert!(
        scenario::diff(ws.project(), base, copy)
            .unwrap()
            .moves
            .is_empty()
    );
}

#[test]
fn the_window_exports_with_the_org_exports_off_the_ui_thread() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let ws = Workspace::new(plan());
    salesforce::export(ws.project(), ws.engines(), &first).unwrap();
    let tcsv = dir.path().join("Territory2.csv");
    let ids = org_territories(&first, &tcsv);
    let mut h = harness(plan());
    app_mut(&mut h).panels_mut().export.target_dir = Some(dir.path().to_owned());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run_ok();
    h.get_by_label("Export to Salesforce…").click();
    h.run_ok();
    // Paths are typed (no desktop file chooser in tests); an access level
    // is a plan setting, one undo step.
    let field = h.get_by_role_and_label(Role::TextInput, "Territory2 export");
    field.click();
    field.type_text(tcsv.to_str().unwrap());
    h.run_ok();
    h.get_by_role_and_label(Role::ComboBox, "Account access")
        .click();
    h.run_ok();
    // The option, not the Edit menu (the popup is drawn last).
    h.get_all_by_label("Edit").last().unwrap().click();
    h.run_ok();
    assert_eq!(
        app(&h)
            .workspace()
            .project()
            .settings
            .salesforce
            .account
            .as_deref(),
        Some("Edit")
    );
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run_ok();
    finish_job(&mut h);
    assert!(app(&h).error().is_none(), "{:?}", app(&h).error());
    let out = dir.path().join("Acme FY26-salesforce");
    let assoc = std::fs::read_to_string(out.join("ObjectTerritory2Association.csv")).unwrap();
    let nw1 = &ids.iter().find(|(d, _)| d == "North_West_1").unwrap().1;
    assert!(
        assoc.contains(&format!("001A00000000000,{nw1},Territory2Manual")),
        "{assoc}"
    );
    let t = std::fs::read_to_string(
        out.join("territory2Models/Acme_FY26_Plan/territories/Health.territory2-meta.xml"),
    )
    .unwrap();
    assert!(
        t.contains("<accountAccessLevel>Edit</accountAccessLevel>"),
        "{t}"
    );
    let notice = app(&h).notice().unwrap_or("").to_owned();
    assert!(
        notice.contains("Salesforce export") && notice.contains("EXPORT-SUMMARY.txt"),
        "{notice}"
    );
}
