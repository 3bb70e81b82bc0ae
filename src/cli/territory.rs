//! `turfmap territory`: hierarchy, type, reps, name, colour, priority, lock.

use std::path::Path;

use super::args::{TerritoryArgs, TerritoryChange};
use super::find_territory;
use crate::core::edit::{Edit, TerritoryProps};
use crate::core::model::{Project, Rep, TerritoryId, TerritoryType, TerritoryTypeId};
use crate::core::{Error, Result, Workspace};

/// The edits of one `turfmap territory` call, each applied to a scratch
/// copy of the plan so the next one sees it (new types and reps get ids).
struct Changes {
    project: Project,
    edits: Vec<Edit>,
}

impl Changes {
    fn push(&mut self, e: Edit) -> Result<()> {
        e.clone().apply(&mut self.project)?;
        self.edits.push(e);
        Ok(())
    }
}

/// `turfmap territory`: deletes the territory, or applies every change
/// given as one undo step.
pub(super) fn territory(a: TerritoryArgs) -> Result<()> {
    let (plan, territory) = (&a.plan, &a.territory);
    let mut ws = super::open(plan)?;
    let id = find_territory(&ws, plan, territory)?;
    if a.change.delete {
        ws.apply(Edit::RemoveTerritory { id })?;
        super::save(&mut ws, plan, a.save)?;
        eprintln!("Deleted '{territory}'.");
        return Ok(());
    }
    let edits = change_edits(&ws, plan, id, a.change)?;
    if edits.is_empty() {
        return Err(Error::invalid(
            "nothing to change: give --parent, --type, --reps, --rename, --color, --priority, --lock, --unlock or --delete",
        ));
    }
    ws.apply(Edit::Batch {
        label: format!("Change '{territory}'"),
        edits,
    })?;
    super::save(&mut ws, plan, a.save)
}

/// The edits that make `change` to territory `id`.
fn change_edits(
    ws: &Workspace,
    plan: &Path,
    id: TerritoryId,
    change: TerritoryChange,
) -> Result<Vec<Edit>> {
    let color = match change.color.as_deref() {
        Some(c) => Some(
            crate::core::import::plan::parse_hex_color(c).ok_or_else(|| {
                Error::invalid(format!("colour '{c}' is not #rrggbb (e.g. #1f77b4)"))
            })?,
        ),
        None => None,
    };
    let mut c = Changes {
        project: ws.project().clone(),
        edits: Vec::new(),
    };
    if let Some(tn) = &change.type_name {
        let type_id = type_named(&mut c, tn)?;
        c.push(Edit::SetTerritoryType { id, type_id })?;
    }
    if let Some(p) = &change.parent {
        let parent = if p.trim() == "-" {
            None
        } else {
            Some(find_territory(ws, plan, p)?)
        };
        c.push(Edit::SetParent { id, parent })?;
    }
    if let Some(list) = &change.reps {
        set_reps(&mut c, id, list)?;
    }
    set_props(&mut c, id, &change, color)?;
    Ok(c.edits)
}

/// The type called `name`, added when the plan has none.
fn type_named(c: &mut Changes, name: &str) -> Result<TerritoryTypeId> {
    if let Some(t) = c.project.type_by_name(name) {
        return Ok(t.id);
    }
    let ty = TerritoryType {
        id: c.project.next_type_id(),
        name: name.trim().to_owned(),
        priority: 0,
    };
    let id = ty.id;
    c.push(Edit::AddType {
        ty,
        position: usize::MAX,
    })?;
    Ok(id)
}

/// `--reps a,b`: the territory's reps by name, new ones added (`-`: none).
fn set_reps(c: &mut Changes, id: TerritoryId, list: &str) -> Result<()> {
    let mut ids = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "-")
    {
        let rid = match c.project.rep_by_name(name) {
            Some(r) => r.id,
            None => {
                c.push(Edit::AddRep {
                    rep: Rep::new(c.project.next_rep_id(), name),
                    position: usize::MAX,
                })?;
                c.project.rep_by_name(name).expect("added").id
            }
        };
        ids.push(rid);
    }
    let mut props = TerritoryProps::of(c.project.territory(id).expect("found"));
    props.reps = ids;
    c.push(Edit::SetTerritoryProps { id, props })
}

/// `--rename`, `--color`, `--priority`, `--lock`/`--unlock`, if any given.
fn set_props(
    c: &mut Changes,
    id: TerritoryId,
    change: &TerritoryChange,
    color: Option<[u8; 3]>,
) -> Result<()> {
    let (lock, unlock) = (change.lock, change.unlock);
    if change.rename.is_none() && color.is_none() && change.priority.is_none() && !lock && !unlock {
        return Ok(());
    }
    let mut props = TerritoryProps::of(c.project.territory(id).expect("found"));
    if let Some(n) = &change.rename {
        props.name = n.trim().to_owned();
    }
    if let Some(col) = color {
        props.color = col;
    }
    if let Some(p) = change.priority {
        props.priority = p;
    }
    if lock || unlock {
        props.locked = lock;
    }
    c.push(Edit::SetTerritoryProps { id, props })
}
