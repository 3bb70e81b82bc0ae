//! `turfmap pin`: manual overrides from the command line.

use std::path::Path;

use super::args::PinArgs;
use super::{find_territory, find_type, print_out};
use crate::core::model::TerritoryTypeId;
use crate::core::{Error, Result, Workspace};

/// `turfmap pin`: pins accounts to `--to`, or unpins them in `--type`, and
/// prints each account's territory afterwards.
pub(super) fn pin(a: PinArgs) -> Result<()> {
    let plan = &a.plan;
    let mut ws = super::open(plan)?;
    let accounts = account_rows(&ws, plan, &a.accounts)?;
    let (edit, ty) = match a.to.as_deref() {
        Some(name) => {
            let id = find_territory(&ws, plan, name)?;
            let ty = ws.project().territory(id).expect("found").type_id;
            (
                crate::core::shape_edit::drop_accounts(
                    ws.project(),
                    ws.engine_for(ty).expect("every type has an engine"),
                    &accounts,
                    id,
                )?,
                ty,
            )
        }
        None => {
            let ty = match a.type_name.as_deref() {
                Some(tn) => find_type(ws.project(), tn)?,
                None => ws.project().primary_type(),
            };
            (
                crate::core::shape_edit::unpin(ws.project(), ty, &accounts)?,
                ty,
            )
        }
    };
    ws.apply(edit)?;
    super::save(&mut ws, plan, a.save)?;
    let (out, type_label) = placements(&ws, ty, &accounts);
    eprintln!(
        "{} {} account(s) in {type_label}.",
        if a.to.is_some() { "Pinned" } else { "Unpinned" },
        accounts.len()
    );
    print_out(out)
}

/// The rows of the accounts with CRM ids `ids`; an unknown id is an error.
fn account_rows(ws: &Workspace, plan: &Path, ids: &[String]) -> Result<Vec<u32>> {
    let p = ws.project();
    let index: std::collections::HashMap<&str, usize> = p
        .accounts
        .live()
        .map(|i| (p.accounts.ids[i].as_str(), i))
        .collect();
    ids.iter()
        .map(|id| {
            index.get(id.as_str()).map(|&i| i as u32).ok_or_else(|| {
                Error::invalid(format!("{}: no account with id '{id}'", plan.display()))
            })
        })
        .collect()
}

/// `id<TAB>type<TAB>territory` lines for `accounts`, and the type's name.
fn placements(ws: &Workspace, ty: TerritoryTypeId, accounts: &[u32]) -> (String, String) {
    let p = ws.project();
    let engine = ws.engine_for(ty).expect("every type has an engine");
    let type_label = p.territory_type(ty).map_or("?", |t| t.name.as_str());
    let mut out = String::new();
    for &i in accounts {
        let t = engine
            .territory_of(i as usize)
            .and_then(|t| p.territory(t))
            .map_or("(unassigned)", |t| t.name.as_str());
        out += &format!("{}\t{type_label}\t{t}\n", p.accounts.ids[i as usize]);
    }
    (out, type_label.to_owned())
}
