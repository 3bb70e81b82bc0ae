//! Neglected accounts: those whose activity column says nothing happened —
//! a measure (visits, calls, last-year revenue) that is zero or missing, or
//! a text attribute (last visit date, owner) that is empty — counted per
//! territory and rolled up the hierarchy like the balance figures. The
//! balance metrics carry the counts for the plan's saved activity column
//! ([`PlanSettings::activity`](super::model::PlanSettings));
//! [`crate::core::coverage`] reports them with penetration.

use std::collections::HashMap;

use super::engine::Engine;
use super::hierarchy::ancestors;
use super::model::{Project, TerritoryId};
use super::{Error, Result};

/// Neglected accounts per territory of `engine`'s type (own only), in the
/// whole plan, and in no territory; an unknown column is an error listing
/// the columns the plan has.
pub fn count_neglected(
    project: &Project,
    engine: &Engine,
    activity: &str,
) -> Result<(HashMap<TerritoryId, u64>, u64, u64)> {
    let is_neglected = neglect_test(project, activity)?;
    let mut own: HashMap<TerritoryId, u64> = HashMap::new();
    let (mut neglected, mut unassigned) = (0u64, 0u64);
    for i in project.accounts.live() {
        if !is_neglected(i) {
            continue;
        }
        neglected += 1;
        match engine.territory_of(i) {
            Some(t) => *own.entry(t).or_default() += 1,
            None => unassigned += 1,
        }
    }
    Ok((own, neglected, unassigned))
}

/// Own counts plus every descendant's.
pub fn roll_up(project: &Project, own: &HashMap<TerritoryId, u64>) -> HashMap<TerritoryId, u64> {
    let mut rolled = own.clone();
    for (&t, &n) in own {
        for up in ancestors(project, t) {
            *rolled.entry(up).or_default() += n;
        }
    }
    rolled
}

/// The activity column as the plan spells it, or an error listing the
/// columns the plan has.
pub fn activity_column(project: &Project, activity: &str) -> Result<String> {
    let _ = neglect_test(project, activity)?;
    Ok(column_name(project, activity))
}

/// The activity column's name as the plan spells it.
fn column_name(project: &Project, activity: &str) -> String {
    let a = &project.accounts;
    a.measures
        .iter()
        .map(|m| &m.name)
        .chain(a.attributes.iter().map(|c| &c.name))
        .find(|n| n.eq_ignore_ascii_case(activity))
        .cloned()
        .unwrap_or_else(|| activity.to_owned())
}

/// Whether account `i` is neglected by `activity`; an unknown column is an
/// error listing the columns the plan has.
fn neglect_test<'a>(
    project: &'a Project,
    activity: &str,
) -> Result<Box<dyn Fn(usize) -> bool + 'a>> {
    let a = &project.accounts;
    if let Some(m) = a
        .measures
        .iter()
        .position(|m| m.name.eq_ignore_ascii_case(activity))
    {
        let values = &a.measures[m].values;
        return Ok(Box::new(move |i| {
            let v = values[i];
            v == 0.0 || v.is_nan()
        }));
    }
    if let Some(c) = a
        .attributes
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(activity))
    {
        return Ok(Box::new(move |i| {
            c.codes
                .get(i)
                .is_none_or(|&k| c.dict.get(k as usize).is_none_or(|v| v.trim().is_empty()))
        }));
    }
    let names: Vec<&str> = a
        .measures
        .iter()
        .map(|m| m.name.as_str())
        .chain(a.attributes.iter().map(|c| c.name.as_str()))
        .collect();
    Err(Error::invalid(format!(
        "no column called '{activity}'; the plan has: {}",
        if names.is_empty() {
            "no measure or attribute columns".to_owned()
        } else {
            names.join(", ")
        }
    )))
}
