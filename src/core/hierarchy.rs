//! The territory hierarchy: regions → districts → territories, any depth.
//!
//! Each territory names its parent ([`Territory::parent`]); the hierarchy is
//! a forest per territory type (a parent and its children share a type, so
//! a roll-up never counts an account twice). A parent may have a boundary
//! and accounts of its own or be a pure roll-up with neither; its figures
//! are its own plus those of all its descendants
//! ([`crate::core::metrics::TerritoryMetrics::group`]). Edits that would
//! create a cycle are refused ([`check_parent`]).

use std::collections::{HashMap, HashSet};

use super::error::{Error, Result};
use super::model::{Project, Territory, TerritoryId, TerritoryTypeId};

/// Checks that `parent` may become the parent of territory `id` (of type
/// `ty`): it exists, has the same type, and is neither `id` nor below it.
pub fn check_parent(
    project: &Project,
    id: TerritoryId,
    ty: TerritoryTypeId,
    parent: TerritoryId,
) -> Result<()> {
    let name = |t: TerritoryId| {
        project
            .territory(t)
            .map_or_else(|| t.to_string(), |t| format!("'{}'", t.name))
    };
    let p = project
        .territory(parent)
        .ok_or_else(|| Error::invalid(format!("no territory with id {}", parent.0)))?;
    if p.type_id != ty {
        let tn = |t: TerritoryTypeId| {
            project
                .territory_type(t)
                .map_or_else(|| format!("type {}", t.0), |t| format!("type '{}'", t.name))
        };
        return Err(Error::invalid(format!(
            "{} ({}) cannot go under {} ({}): a hierarchy stays within one territory type",
            name(id),
            tn(ty),
            name(parent),
            tn(p.type_id)
        )));
    }
    // Walk up from the new parent: meeting `id` means a cycle. The walk is
    // bounded so a (corrupt) cycle already in the data cannot hang it.
    let mut at = Some(parent);
    let mut steps = 0;
    while let Some(t) = at {
        if t == id {
            return Err(Error::invalid(if parent == id {
                format!("{} cannot be its own parent", name(id))
            } else {
                format!(
                    "{} cannot go under {}, which is inside it",
                    name(id),
                    name(parent)
                )
            }));
        }
        steps += 1;
        if steps > project.territories.len() {
            break;
        }
        at = project.territory(t).and_then(|t| t.parent);
    }
    Ok(())
}

/// Children of every territory, in display order.
pub fn children(territories: &[Territory]) -> HashMap<TerritoryId, Vec<TerritoryId>> {
    let ids: HashSet<TerritoryId> = territories.iter().map(|t| t.id).collect();
    let mut m: HashMap<TerritoryId, Vec<TerritoryId>> = HashMap::new();
    for t in territories {
        if let Some(p) = t.parent.filter(|p| ids.contains(p)) {
            m.entry(p).or_default().push(t.id);
        }
    }
    m
}

/// `id` and everything below it.
pub fn subtree(project: &Project, id: TerritoryId) -> Vec<TerritoryId> {
    let kids = children(&project.territories);
    let mut out = vec![id];
    let mut k = 0;
    while k < out.len() {
        if let Some(c) = kids.get(&out[k]) {
            for &c in c {
                // Guard against a corrupt cycle in a hand-edited file.
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        k += 1;
    }
    out
}

/// Depth-first order of the territories of type `ty` with their depth
/// (roots at 0): the order of the tree view and of `turfmap metrics`.
/// Territories whose parent is missing count as roots.
pub fn tree_order(project: &Project, ty: TerritoryTypeId) -> Vec<(TerritoryId, usize)> {
    let of_type: Vec<&Territory> = project.territories_of_type(ty).collect();
    let ids: HashSet<TerritoryId> = of_type.iter().map(|t| t.id).collect();
    let mut kids: HashMap<TerritoryId, Vec<TerritoryId>> = HashMap::new();
    let mut roots = Vec::new();
    for t in &of_type {
        match t.parent.filter(|p| ids.contains(p)) {
            Some(p) => kids.entry(p).or_default().push(t.id),
            None => roots.push(t.id),
        }
    }
    let mut out = Vec::with_capacity(of_type.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(TerritoryId, usize)> = roots.into_iter().rev().map(|r| (r, 0)).collect();
    while let Some((t, d)) = stack.pop() {
        if !seen.insert(t) {
            continue;
        }
        out.push((t, d));
        if let Some(c) = kids.get(&t) {
            stack.extend(c.iter().rev().map(|&c| (c, d + 1)));
        }
    }
    // Members of a corrupt cycle have no root: list them flat at the end.
    for t in of_type {
        if !seen.contains(&t.id) {
            out.push((t.id, 0));
        }
    }
    out
}

/// Ancestors of `id`, nearest first.
pub fn ancestors(project: &Project, id: TerritoryId) -> Vec<TerritoryId> {
    let mut out = Vec::new();
    let mut at = project.territory(id).and_then(|t| t.parent);
    while let Some(p) = at {
        if out.contains(&p) || p == id {
            break;
        }
        out.push(p);
        at = project.territory(p).and_then(|t| t.parent);
    }
    out
}

/// Every territory's quota rolled up: its own plus all its descendants'
/// (of any type; a hierarchy never crosses types). Territories where
/// neither has one are left out. What exports write beside each
/// territory, as the metrics show it.
pub fn rolled_up_quotas(project: &Project) -> HashMap<TerritoryId, f64> {
    let mut out: HashMap<TerritoryId, f64> = HashMap::new();
    for t in &project.territories {
        let Some(q) = t.quota else { continue };
        *out.entry(t.id).or_default() += q;
        for a in ancestors(project, t.id) {
            *out.entry(a).or_default() += q;
        }
    }
    out
}

/// The path from the root down to `id`, as names joined by " › ".
pub fn path_label(project: &Project, id: TerritoryId) -> String {
    let mut names: Vec<&str> = ancestors(project, id)
        .iter()
        .rev()
        .filter_map(|a| project.territory(*a).map(|t| t.name.as_str()))
        .collect();
    if let Some(t) = project.territory(id) {
        names.push(&t.name);
    }
    names.join(" › ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::MultiPolygon;

    fn plan() -> (Project, [TerritoryId; 4]) {
        let mut p = Project::new("h");
        let r = p.add_territory("Region", MultiPolygon(vec![]));
        let d = p.add_territory("District", MultiPolygon(vec![]));
        let a = p.add_territory("A", MultiPolygon(vec![]));
        let b = p.add_territory("B", MultiPolygon(vec![]));
        p.territory_mut(d).unwrap().parent = Some(r);
        p.territory_mut(a).unwrap().parent = Some(d);
        p.territory_mut(b).unwrap().parent = Some(r);
        (p, [r, d, a, b])
    }

    #[test]
    fn cycles_are_refused() {
        let (p, [r, d, a, b]) = plan();
        let ty = p.primary_type();
        assert!(check_parent(&p, a, ty, b).is_ok());
        let e = check_parent(&p, r, ty, a).unwrap_err().to_string();
        assert!(e.contains("inside it"), "{e}");
        let e = check_parent(&p, d, ty, d).unwrap_err().to_string();
        assert!(e.contains("its own parent"), "{e}");
    }

    #[test]
    fn order_subtree_and_path() {
        let (p, [r, d, a, b]) = plan();
        assert_eq!(
            tree_order(&p, p.primary_type()),
            vec![(r, 0), (d, 1), (a, 2), (b, 1)]
        );
        let mut s = subtree(&p, d);
        s.sort();
        assert_eq!(s, vec![d, a]);
        assert_eq!(path_label(&p, a), "Region › District › A");
    }
}
