//! "Why is this account here?": for every territory type, the winning
//! override, rule or boundary, and every candidate that lost to it.
//!
//! Shown in the map tooltip and printed by `turfmap explain`. The
//! candidates are listed in precedence order (override, then rules by
//! priority and id, then boundaries by priority and id), so the first one
//! is the winner, which is always what the engine itself decided.

use serde::Serialize;

use super::engine::{Engine, Reason};
use super::model::{Accounts, LocationSource, Project, TerritoryId};

/// How a candidate territory would take the account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Via {
    /// The account is pinned to it.
    Override,
    /// Its rule matches; the rule's text form.
    Rule(String),
    /// The account lies inside its boundary.
    Geometry,
}

/// A territory that could take the account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// Territory id.
    pub territory: u32,
    /// Territory name.
    pub name: String,
    /// Its priority.
    pub priority: i32,
    /// How.
    pub via: Via,
}

impl Candidate {
    /// One line for people, e.g. `rule of 'Health' (priority 2): Industry = "Healthcare"`.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Override => format!("pinned by hand to '{}'", self.name),
            Via::Rule(r) => format!("rule of '{}' (priority {}): {r}", self.name, self.priority),
            Via::Geometry => format!(
                "inside the boundary of '{}' (priority {})",
                self.name, self.priority
            ),
        }
    }
}

/// The answer for one territory type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeExplanation {
    /// Type name.
    pub type_name: String,
    /// The account's territory in this type, by name (`None` = none).
    pub territory: Option<String>,
    /// The engine's reason.
    pub reason: String,
    /// The winner first, then what lost, in precedence order.
    pub candidates: Vec<Candidate>,
}

impl TypeExplanation {
    /// The winner's description, or the reason there is none.
    pub fn headline(&self) -> String {
        match (&self.territory, self.candidates.first()) {
            (Some(t), Some(c)) => format!("{t}: {}", c.describe()),
            (Some(t), None) => format!("{t}: {}", self.reason),
            (None, _) => format!("no territory: {}", self.reason),
        }
    }
}

/// Every type's answer for one account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// CRM id.
    pub account_id: String,
    /// Account name.
    pub name: String,
    /// `(lon, lat)`, if located.
    pub location: Option<(f64, f64)>,
    /// Where the location came from: `latitude/longitude columns`,
    /// `postal code (GB postal sector)`, or `no location`.
    pub placed_by: String,
    /// One entry per territory type, in type order.
    pub types: Vec<TypeExplanation>,
}

impl Explanation {
    /// The multi-line text `turfmap explain` prints.
    pub fn render(&self) -> String {
        let mut s = format!("Account {} '{}'", self.account_id, self.name);
        match self.location {
            Some((lon, lat)) => s += &format!(" at {lat:.5}, {lon:.5} (by {})\n", self.placed_by),
            None => s += " (no location)\n",
        }
        for t in &self.types {
            s += &format!("{}: {}\n", t.type_name, t.headline());
            for c in t.candidates.iter().skip(1) {
                s += &format!("  lost: {}\n", c.describe());
            }
        }
        s
    }
}

/// Explains account `i` in one engine's type.
pub fn explain_type(project: &Project, engine: &Engine, i: usize) -> TypeExplanation {
    let a = &project.accounts;
    let ty = engine.type_id();
    let name = |id: TerritoryId| {
        project
            .territory(id)
            .map_or_else(|| id.to_string(), |t| t.name.clone())
    };
    let prio = |id: TerritoryId| project.territory(id).map_or(0, |t| t.priority);
    let mut candidates = Vec::new();
    if i < a.len() && !a.removed[i] {
        if let Some(p) = project.pin_in_type(i, ty) {
            candidates.push(Candidate {
                territory: p.0,
                name: name(p),
                priority: prio(p),
                via: Via::Override,
            });
        }
        for (id, rule) in engine.rule_order() {
            if engine.rule_takes(project, id, rule, i) {
                let text = project
                    .territory(id)
                    .and_then(|t| t.rule.as_ref())
                    .map(|r| r.render())
                    .unwrap_or_default();
                candidates.push(Candidate {
                    territory: id.0,
                    name: name(id),
                    priority: prio(id),
                    via: Via::Rule(text),
                });
            }
        }
        if a.is_located(i) {
            let mut inside: Vec<(i32, TerritoryId)> = project
                .territories_of_type(ty)
                .filter(|t| {
                    engine
                        .index()
                        .shape(t.id)
                        .is_some_and(|s| s.contains(a.lon[i], a.lat[i]))
                })
                .map(|t| (t.priority, t.id))
                .collect();
            inside.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            // The engine's pick among overlapping boundaries goes first.
            if engine.reason(i) == Reason::Geometry
                && let Some(w) = engine.territory_of(i)
                && let Some(k) = inside.iter().position(|(_, t)| *t == w)
            {
                let win = inside.remove(k);
                inside.insert(0, win);
            }
            candidates.extend(inside.into_iter().map(|(p, id)| Candidate {
                territory: id.0,
                name: name(id),
                priority: p,
                via: Via::Geometry,
            }));
        }
    }
    TypeExplanation {
        type_name: project
            .territory_type(ty)
            .map_or_else(|| format!("type {}", ty.0), |t| t.name.clone()),
        territory: engine.territory_of(i).map(name),
        reason: engine.reason(i).describe().to_owned(),
        candidates,
    }
}

/// How account `i` got its location, for people.
pub fn placed_by(a: &Accounts, i: usize) -> String {
    match a.source.get(i) {
        _ if i >= a.len() || !a.is_located(i) => "no location".into(),
        Some(LocationSource::PostalCode) => match a.postal_match(i) {
            Some(m) => format!("postal code: {} centroid", m.describe()),
            None => "postal code".into(),
        },
        _ => "latitude/longitude".into(),
    }
}

/// Explains account `i` in every type.
pub fn explain(project: &Project, engines: &[Engine], i: usize) -> Explanation {
    let a = &project.accounts;
    Explanation {
        account_id: a.ids.get(i).cloned().unwrap_or_default(),
        name: a.names.get(i).cloned().unwrap_or_default(),
        location: (i < a.len() && a.is_located(i)).then(|| (a.lon[i], a.lat[i])),
        placed_by: placed_by(a, i),
        types: engines
            .iter()
            .map(|e| explain_type(project, e, i))
            .collect(),
    }
}
