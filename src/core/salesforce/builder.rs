//! Building a scenario from Salesforce territories, whatever file format
//! they came in: types matched to the plan's by name, territories by
//! DeveloperName, reps by username or name, assignments as pins.

use std::collections::{HashMap, HashSet};

use super::baseline::add_and_show;
use crate::core::edit::Edit;
use crate::core::error::{Error, Result};
use crate::core::model::{
    Project, Rep, RepId, StoredPlan, Territory, TerritoryId, TerritoryType, TerritoryTypeId,
};
use crate::core::pins::Pins;
use crate::core::rules::Rule;

/// What reading Salesforce territories back found.
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
    /// Rules read onto territories.
    pub rules: usize,
    /// Rules that could not be read, as "territory: reason".
    pub skipped_rules: Vec<String>,
    /// Inherited rule associations (Turfmap rules do not inherit; the
    /// parent keeps the rule).
    pub inherited_rules: usize,
}

/// A scenario in the making.
pub struct PlanBuilder<'a> {
    project: &'a Project,
    types: Vec<TerritoryType>,
    type_of_dev: HashMap<String, TerritoryTypeId>,
    territories: Vec<Territory>,
    by_dev: HashMap<String, usize>,
    parents: Vec<Option<String>>,
    reps: Vec<Rep>,
    edits: Vec<Edit>,
    pins: Pins,
    pinned_in: HashSet<(usize, TerritoryTypeId)>,
    accounts: HashMap<&'a str, usize>,
    /// What was found so far.
    pub report: ModelReport,
}

impl<'a> PlanBuilder<'a> {
    /// An empty scenario over the accounts, types and reps of `project`.
    pub fn new(project: &'a Project) -> Self {
        Self {
            project,
            types: project.types.clone(),
            type_of_dev: HashMap::new(),
            territories: Vec::new(),
            by_dev: HashMap::new(),
            parents: Vec::new(),
            reps: project.reps.clone(),
            edits: Vec::new(),
            pins: Pins::unpinned(project.accounts.len()),
            pinned_in: HashSet::new(),
            accounts: project
                .accounts
                .live()
                .map(|i| (project.accounts.ids[i].as_str(), i))
                .collect(),
            report: ModelReport::default(),
        }
    }

    /// Type `dev` (a DeveloperName) labelled `label`: the plan's type of
    /// that name, else a new one.
    pub fn add_type(&mut self, dev: &str, label: &str, priority: i32) -> TerritoryTypeId {
        let label = if label.trim().is_empty() {
            dev
        } else {
            label.trim()
        };
        let id = match self
            .types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(label))
        {
            Some(t) => t.id,
            None => self.new_type(label, priority),
        };
        self.type_of_dev.insert(dev.trim().to_ascii_lowercase(), id);
        id
    }

    fn new_type(&mut self, name: &str, priority: i32) -> TerritoryTypeId {
        let id = TerritoryTypeId(self.types.iter().map(|t| t.id.0 + 1).max().unwrap_or(0));
        let ty = TerritoryType {
            id,
            name: name.to_owned(),
            priority,
        };
        self.types.push(ty.clone());
        self.edits.push(Edit::AddType {
            ty,
            position: usize::MAX,
        });
        self.report.new_types += 1;
        id
    }

    /// The type called `dev`; an unknown one is created, an empty one is
    /// the plan's primary type.
    fn type_for(&mut self, dev: &str) -> TerritoryTypeId {
        let key = dev.trim().to_ascii_lowercase();
        if key.is_empty() {
            return self.project.primary_type();
        }
        if let Some(&id) = self.type_of_dev.get(&key) {
            return id;
        }
        self.add_type(dev, dev, 0)
    }

    /// Adds territory `dev` called `name` of type `type_dev` under
    /// `parent` (a DeveloperName); `at` names the place in the input for
    /// errors. Returns its index.
    pub fn add_territory(
        &mut self,
        dev: &str,
        name: &str,
        type_dev: &str,
        parent: Option<&str>,
        at: &dyn Fn() -> String,
    ) -> Result<usize> {
        let key = dev.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(Error::invalid(format!("{}: no DeveloperName", at())));
        }
        if self.by_dev.contains_key(&key) {
            return Err(Error::invalid(format!(
                "{}: DeveloperName '{}' appears twice",
                at(),
                dev.trim()
            )));
        }
        let next = self.project.next_territory_id + self.territories.len() as u32;
        let label = if name.trim().is_empty() {
            dev.trim()
        } else {
            name.trim()
        };
        let mut t = Territory::new(TerritoryId(next), label, geo::MultiPolygon(vec![]));
        t.type_id = self.type_for(type_dev);
        self.by_dev.insert(key, self.territories.len());
        self.parents.push(
            parent
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
        );
        self.territories.push(t);
        Ok(self.territories.len() - 1)
    }

    /// Sets every parent; a parent that is not among the territories is
    /// an error naming where the child came from (`at(k)`).
    pub fn link_parents(&mut self, at: &dyn Fn(usize) -> String) -> Result<()> {
        for k in 0..self.territories.len() {
            let Some(p) = &self.parents[k] else { continue };
            let &pk = self.by_dev.get(&p.to_ascii_lowercase()).ok_or_else(|| {
                Error::invalid(format!(
                    "{}: parent '{p}' is not among the territories",
                    at(k)
                ))
            })?;
            self.territories[k].parent = Some(self.territories[pk].id);
        }
        self.report.territories = self.territories.len();
        Ok(())
    }

    /// The plan's accounts (rules are read against their columns).
    pub fn accounts(&self) -> &'a crate::core::model::Accounts {
        &self.project.accounts
    }

    /// Index of territory `dev`.
    pub fn territory(&self, dev: &str) -> Option<usize> {
        self.by_dev.get(&dev.trim().to_ascii_lowercase()).copied()
    }

    /// Sets the rule of territory `k` (several rules are OR-ed, as ETM
    /// assigns an account when any of a territory's rules matches).
    pub fn add_rule(&mut self, k: usize, rule: Rule) {
        let t = &mut self.territories[k];
        t.rule = Some(Box::new(match t.rule.take() {
            None => rule,
            Some(old) => Rule::new(crate::core::rules::Condition::Any(vec![
                old.condition,
                rule.condition,
            ])),
        }));
        self.report.rules += 1;
    }

    /// Makes the user `user` (username, or a name when that is all there
    /// is) called `name` a rep of territory `k` in `role`.
    pub fn add_rep(&mut self, k: usize, user: &str, name: &str, role: &str) {
        let (user, name, role) = (user.trim(), name.trim(), role.trim());
        let display = if name.is_empty() { user } else { name };
        let known = self.reps.iter().find(|r| {
            (!r.username.is_empty() && r.username.eq_ignore_ascii_case(user))
                || r.name.eq_ignore_ascii_case(display)
        });
        let id = match known {
            Some(r) => r.id,
            None => {
                let id = RepId(self.reps.iter().map(|r| r.id.0 + 1).max().unwrap_or(0));
                let mut rep = Rep::new(id, display);
                if user != rep.name {
                    rep.username = user.into();
                }
                rep.role = role.into();
                self.reps.push(rep.clone());
                self.edits.push(Edit::AddRep {
                    rep,
                    position: usize::MAX,
                });
                self.report.new_reps += 1;
                id
            }
        };
        let reps = &mut self.territories[k].reps;
        if !reps.contains(&id) {
            reps.push(id);
        }
    }

    /// Pins account `account_id` to territory `k` (one territory per type:
    /// a second one of a type is counted, not kept).
    pub fn assign(&mut self, account_id: &str, k: usize) {
        let Some(&i) = self.accounts.get(account_id.trim()) else {
            self.report.unknown_accounts += 1;
            return;
        };
        let t = &self.territories[k];
        if self.pinned_in.insert((i, t.type_id)) {
            self.report.assignments += 1;
            self.pins.insert(i, t.id);
        } else {
            self.report.second_in_type += 1;
        }
    }

    /// The edit that adds it all as scenario `scenario_name` and shows it.
    pub fn finish(mut self, scenario_name: &str, what: &str) -> Result<(Edit, ModelReport)> {
        self.report.territories = self.territories.len();
        let plan = StoredPlan {
            territories: self.territories,
            pins: self.pins,
        };
        self.edits
            .extend(add_and_show(self.project, scenario_name, plan)?);
        Ok((
            Edit::Batch {
                label: format!("Import {what} as '{scenario_name}'"),
                edits: self.edits,
            },
            self.report,
        ))
    }
}
