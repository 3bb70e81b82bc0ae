//! `turfmap rule`: set, show or clear a territory's assignment rule.

use super::args::RuleArgs;
use super::{find_territory, print_out};
use crate::core::edit::Edit;
use crate::core::rules::Rule;
use crate::core::{Error, Result, Workspace};

/// `turfmap rule`: with a rule text sets it, with `--clear` removes it,
/// with neither prints the current one.
pub(super) fn rule(a: RuleArgs) -> Result<()> {
    let (plan, territory) = (&a.plan, &a.territory);
    let mut ws = super::open(plan)?;
    let id = find_territory(&ws, plan, territory)?;
    let rule = match (a.rule.as_deref(), a.clear) {
        (_, true) => None,
        (None, false) => {
            let t = ws.project().territory(id).expect("found");
            return print_out(match &t.rule {
                Some(r) => format!("{}\n", r.render()),
                None => format!("'{}' has no rule\n", t.name),
            });
        }
        (Some(text), false) => Some(parse_rule(&ws, text, a.within)?),
    };
    ws.apply(Edit::SetRule { id, rule })?;
    super::save(&mut ws, plan, a.save)?;
    let m = ws.metrics_for(ws.project().territory(id).expect("found").type_id);
    eprintln!(
        "'{territory}' now holds {} account(s).",
        m.territory(id).map_or(0, |t| t.own.count)
    );
    Ok(())
}

/// The rule in `text`, checked against the plan's columns.
fn parse_rule(ws: &Workspace, text: &str, within: bool) -> Result<Rule> {
    let mut r =
        Rule::parse(text).map_err(|e| Error::invalid(format!("the rule cannot be read: {e}")))?;
    r.within_geometry |= within;
    let problems = r.validate(&ws.project().accounts);
    if !problems.is_empty() {
        return Err(Error::invalid(format!(
            "the rule has problems:\n  {}",
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        )));
    }
    Ok(r)
}
