//! Refreshing a plan from this month's CRM export.
//!
//! Accounts are matched by CRM id: a known id takes the export's name,
//! measures, attributes and location; a new id is added (and assigned by
//! the plan's own precedence: pins, rules, boundaries); an id that is no
//! longer in the export is removed and loses its pins. All of it is one
//! undoable [`Edit::Batch`], and [`refresh`] says what changed: how many
//! accounts came, went and moved, which changed territory because they
//! moved, and each territory's figures before and after.
//!
//! The export is read by the same import as a new plan (id and location
//! detection, ZIP fallback). Matching needs real ids: an export without an
//! id column is refused rather than matched by row number, and a column the
//! plan uses that the export lacks is refused rather than zeroed.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::edit::Edit;
use super::error::{Error, Result};
use super::import::ImportReport;
use super::metrics::PlanMetrics;
use super::model::{AccountRow, Accounts, Project, TerritoryId};
use super::workspace::Workspace;

/// One territory's figures before and after a refresh.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TerritoryDelta {
    /// Territory name.
    pub name: String,
    /// Accounts before and after.
    pub accounts: (u64, u64),
    /// `(measure, before, after)` for every measure that changed.
    pub measures: Vec<(String, f64, f64)>,
}

/// What a refresh changed. See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RefreshSummary {
    /// Accounts in the export that the plan did not have.
    pub added: usize,
    /// Plan accounts no longer in the export (removed, pins dropped).
    pub removed: usize,
    /// Of those, how many were pinned.
    pub pins_dropped: usize,
    /// Known accounts whose location changed.
    pub relocated: usize,
    /// Known accounts whose name, measures or attributes changed.
    pub updated: usize,
    /// Known accounts exactly as before.
    pub unchanged: usize,
    /// Known accounts that changed territory because they moved (in the
    /// type shown).
    pub moved_territory: usize,
    /// Known accounts that changed territory without moving (a rule now
    /// matches other attributes).
    pub reassigned: usize,
    /// Export columns the plan does not have (not imported).
    pub ignored_columns: Vec<String>,
    /// True when the export has no location columns: locations were kept.
    pub locations_kept: bool,
    /// Territories whose figures changed, in plan order.
    pub territories: Vec<TerritoryDelta>,
}

impl RefreshSummary {
    /// True when the export matches the plan exactly.
    pub fn is_empty(&self) -> bool {
        self.added + self.removed + self.relocated + self.updated == 0
    }

    /// The summary as text lines for the user.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} added, {} removed ({} pinned), {} relocated, {} updated, {} unchanged",
            self.added,
            self.removed,
            self.pins_dropped,
            self.relocated,
            self.updated,
            self.unchanged
        )];
        out.push(format!(
            "{} changed territory because they moved, {} by rules on changed attributes",
            self.moved_territory, self.reassigned
        ));
        if self.locations_kept {
            out.push("the export has no location columns: locations kept".into());
        }
        if !self.ignored_columns.is_empty() {
            out.push(format!(
                "columns not in the plan, ignored: {}",
                self.ignored_columns.join(", ")
            ));
        }
        for t in &self.territories {
            let mut line = format!("{}: accounts {} → {}", t.name, t.accounts.0, t.accounts.1);
            for (m, b, a) in &t.measures {
                line += &format!(
                    ", {m} {} → {} ({:+})",
                    super::numfmt::count(b.round() as u64),
                    super::numfmt::count(a.round() as u64),
                    (a - b).round()
                );
            }
            out.push(line);
        }
        out
    }
}

/// Where each plan column takes its values from in the export.
enum Source {
    Measure(usize),
    Attribute(usize),
}

/// Maps the plan's columns onto the export's, by name (case-insensitive).
/// A plan column the export lacks is an error; a text column the export
/// now holds as numbers is read as text; the reverse is an error.
fn map_columns(
    plan: &Accounts,
    new: &Accounts,
    file: &str,
) -> Result<(Vec<usize>, Vec<Source>, Vec<String>)> {
    let missing = |kind: &str, name: &str| {
        Error::invalid(format!(
            "{file}: no column '{name}', which the plan has as a {kind}; \
             a refresh never drops a column (rename it back in the export)"
        ))
    };
    let mut measures = Vec::new();
    for m in &plan.measures {
        match new.measure_index(&m.name) {
            Some(k) => measures.push(k),
            None if new.attribute_index(&m.name).is_some() => {
                return Err(Error::invalid(format!(
                    "{file}: column '{}' holds numbers in the plan but text in the export",
                    m.name
                )));
            }
            None => return Err(missing("measure", &m.name)),
        }
    }
    let mut attributes = Vec::new();
    for a in &plan.attributes {
        attributes.push(
            match (new.attribute_index(&a.name), new.measure_index(&a.name)) {
                (Some(k), _) => Source::Attribute(k),
                (None, Some(k)) => Source::Measure(k),
                (None, None) => return Err(missing("text column", &a.name)),
            },
        );
    }
    let ignored = new
        .measures
        .iter()
        .map(|m| &m.name)
        .chain(new.attributes.iter().map(|a| &a.name))
        .filter(|n| plan.measure_index(n).is_none() && plan.attribute_index(n).is_none())
        .cloned()
        .collect();
    Ok((measures, attributes, ignored))
}

/// Row `j` of the export in the plan's schema.
fn export_row(new: &Accounts, j: usize, measures: &[usize], attributes: &[Source]) -> AccountRow {
    let mut row = new.row(j);
    let text = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    row.measures = measures
        .iter()
        .map(|&k| new.measures[k].values[j])
        .collect();
    row.attributes = attributes
        .iter()
        .map(|s| match s {
            Source::Attribute(k) => new.attributes[*k].get(j).to_owned(),
            Source::Measure(k) => text(new.measures[*k].values[j]),
        })
        .collect();
    row.pins = Vec::new();
    row
}

fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

fn same_place(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(p), Some(q)) => (p.0 - q.0).abs() < 1e-9 && (p.1 - q.1).abs() < 1e-9,
        _ => false,
    }
}

/// The edits a refresh makes, and the accounts it relocates.
struct Plan {
    edits: Vec<Edit>,
    relocated: HashSet<u32>,
    summary: RefreshSummary,
}

/// Works out the edits that bring `project` in line with the export `new`.
fn plan_edits(
    project: &Project,
    new: &Accounts,
    report: &ImportReport,
    file: &str,
) -> Result<Plan> {
    if report.id_column.is_none() {
        return Err(Error::invalid(format!(
            "{file}: no account id column found; a refresh matches accounts by id \
             (name the column with --id-col)"
        )));
    }
    let plan = &project.accounts;
    let (measures, attributes, ignored) = map_columns(plan, new, file)?;
    let keep_locations = report.lat_column.is_none() && report.zip_column.is_none();
    let known: HashMap<&str, usize> = plan.live().map(|i| (plan.ids[i].as_str(), i)).collect();
    let mut s = RefreshSummary {
        ignored_columns: ignored,
        locations_kept: keep_locations,
        ..RefreshSummary::default()
    };
    let (mut data_idx, mut data_rows) = (Vec::new(), Vec::new());
    let (mut loc_idx, mut locs) = (Vec::new(), Vec::new());
    let mut added = Vec::new();
    let mut seen = HashSet::new();
    for j in 0..new.len() {
        let row = export_row(new, j, &measures, &attributes);
        let Some(&i) = known.get(row.id.as_str()) else {
            added.push(row);
            continue;
        };
        seen.insert(i);
        let old = plan.row(i);
        let mut same = true;
        if !keep_locations && !same_place(old.location, row.location) {
            loc_idx.push(i as u32);
            locs.push(row.location);
            same = false;
        }
        if old.name != row.name
            || !same_values(&old.measures, &row.measures)
            || old.attributes != row.attributes
        {
            data_idx.push(i as u32);
            data_rows.push(row);
            same = false;
        }
        s.unchanged += usize::from(same);
    }
    s.added = added.len();
    s.relocated = loc_idx.len();
    s.updated = data_idx.len();
    let gone: Vec<u32> = plan
        .live()
        .filter(|i| !seen.contains(i))
        .map(|i| i as u32)
        .collect();
    s.removed = gone.len();
    let mut edits = Vec::new();
    if !data_idx.is_empty() {
        edits.push(Edit::SetAccountData {
            accounts: data_idx,
            rows: data_rows,
        });
    }
    let relocated: HashSet<u32> = loc_idx.iter().copied().collect();
    if !loc_idx.is_empty() {
        edits.push(Edit::SetLocations {
            accounts: loc_idx,
            locations: locs,
        });
    }
    s.pins_dropped = unpin_edits(project, &gone, &mut edits);
    if !gone.is_empty() {
        edits.push(Edit::SetRemoved {
            accounts: gone,
            removed: true,
        });
    }
    if !added.is_empty() {
        edits.push(Edit::AddAccounts { rows: added });
    }
    Ok(Plan {
        edits,
        relocated,
        summary: s,
    })
}

/// Unpins the vanishing accounts in every type they are pinned in; returns
/// how many were pinned.
fn unpin_edits(project: &Project, gone: &[u32], edits: &mut Vec<Edit>) -> usize {
    let pinned: Vec<u32> = gone
        .iter()
        .copied()
        .filter(|&i| project.accounts.pins.of(i as usize).next().is_some())
        .collect();
    for ty in &project.types {
        let in_type: Vec<u32> = pinned
            .iter()
            .copied()
            .filter(|&i| project.pin_in_type(i as usize, ty.id).is_some())
            .collect();
        if !in_type.is_empty() {
            edits.push(Edit::pin_all(ty.id, in_type, None));
        }
    }
    pinned.len()
}

/// Per territory: accounts and measures before and after, where changed.
fn deltas(before: &PlanMetrics, after: &PlanMetrics) -> Vec<TerritoryDelta> {
    after
        .territories
        .iter()
        .filter_map(|t| {
            let b = before.territory(TerritoryId(t.id))?;
            let measures: Vec<(String, f64, f64)> = after
                .measures
                .iter()
                .zip(b.group.sums.iter().zip(&t.group.sums))
                .filter(|(_, (x, y))| (*x - *y).abs() > 1e-9)
                .map(|(m, (x, y))| (m.clone(), *x, *y))
                .collect();
            (b.group.count != t.group.count || !measures.is_empty()).then(|| TerritoryDelta {
                name: t.name.clone(),
                accounts: (b.group.count, t.group.count),
                measures,
            })
        })
        .collect()
}

/// Refreshes the plan in `ws` from the export `new` (read by
/// [`crate::core::import::import_accounts`], which gave `report`; `file`
/// names it in messages), as one undoable edit labelled with the file.
/// Nothing is applied when the export matches the plan.
pub fn refresh(
    ws: &mut Workspace,
    new: &Accounts,
    report: &ImportReport,
    file: &str,
) -> Result<RefreshSummary> {
    let Plan {
        edits,
        relocated,
        mut summary,
    } = plan_edits(ws.project(), new, report, file)?;
    if edits.is_empty() {
        return Ok(summary);
    }
    let before_metrics = ws.metrics();
    let before: Vec<Option<TerritoryId>> = ws.engine().assignment();
    ws.apply(Edit::Batch {
        label: format!("Refresh accounts from {file}"),
        edits,
    })?;
    let engine = ws.engine();
    let live = &ws.project().accounts.removed;
    for (i, old) in before.iter().enumerate() {
        if live[i] || engine.territory_of(i) == *old {
            continue;
        }
        if relocated.contains(&(i as u32)) {
            summary.moved_territory += 1;
        } else {
            summary.reassigned += 1;
        }
    }
    summary.territories = deltas(&before_metrics, &ws.metrics());
    Ok(summary)
}
