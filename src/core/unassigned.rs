//! The accounts a plan leaves out: located accounts in no territory of the
//! type shown ("unassigned") and accounts with no location ("unlocated"),
//! each with why, for the window's list and its CSV export.
//!
//! The plan keeps no per-account import diagnosis, so an unlocated
//! account's reason is found again the way the import found it: the same
//! postal and country column detection and the same country-aware lookup
//! (only unlocated accounts are looked up, so this is cheap).

use std::io::Write;
use std::path::PathBuf;

use crate::core::csvsafe::CsvCells;
use crate::core::engine::Engine;
use crate::core::geocode::{Gazetteer, PostalLookup, PostalMiss, country_column};
use crate::core::import::accounts::is_postal_header;
use crate::core::model::{Project, TerritoryId};
use crate::core::{Error, Result};

/// Why an account is in the list.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// It has a location, but no territory, rule or pin places it.
    OutsideTerritories,
    /// It has no location; `miss` says why, `detail` which country and
    /// code (e.g. `DE 99999`; empty when there is nothing to quote).
    Unlocated {
        /// Why the postal lookup gave nothing.
        miss: PostalMiss,
        /// The country and code looked up.
        detail: String,
    },
}

impl Reason {
    /// Words for the user, e.g. `unknown code (DE 99999)`.
    pub fn label(&self) -> String {
        match self {
            Reason::OutsideTerritories => "outside every territory".to_owned(),
            Reason::Unlocated { miss, detail } if detail.is_empty() => miss.label().to_owned(),
            Reason::Unlocated { miss, detail } => format!("{} ({detail})", miss.label()),
        }
    }

    /// True for accounts with no location.
    pub fn is_unlocated(&self) -> bool {
        matches!(self, Reason::Unlocated { .. })
    }
}

/// One account left out, with its territory when it has one anyway (an
/// unlocated account pinned to a territory).
#[derive(Clone, Debug, PartialEq)]
pub struct LeftOut {
    /// Account index.
    pub account: usize,
    /// Its territory in `engine`'s type, if any.
    pub territory: Option<TerritoryId>,
    /// Why it is listed.
    pub reason: Reason,
}

/// The live accounts that are unassigned in `engine` or unlocated, in
/// account order, each with its reason.
pub fn left_out(project: &Project, engine: &Engine) -> Vec<LeftOut> {
    let mut reasons = UnlocatedReasons::new(project);
    project
        .accounts
        .live()
        .filter_map(|i| entry(project, engine, &mut reasons, i))
        .collect()
}

/// Account `i`'s row, or `None` when it is in a territory (or removed, or
/// not in the plan).
fn entry(
    project: &Project,
    engine: &Engine,
    reasons: &mut UnlocatedReasons<'_>,
    i: usize,
) -> Option<LeftOut> {
    let a = &project.accounts;
    if i >= a.len() || a.removed[i] {
        return None;
    }
    let territory = engine.territory_of(i);
    let reason = if !a.is_located(i) {
        reasons.of(i)
    } else if territory.is_none() {
        Reason::OutsideTerritories
    } else {
        return None;
    };
    Some(LeftOut {
        account: i,
        territory,
        reason,
    })
}

/// Brings `rows` ([`left_out`] of an earlier state of the plan) up to
/// date, given the accounts whose territory, pin, location or presence
/// changed since (`changed`, as [`crate::core::workspace::Changes::accounts`] lists
/// them): only those are looked at again, so an edit costs what it
/// touched, not a pass over every account. The result equals
/// [`left_out`] of the plan now.
pub fn update_left_out(
    rows: &mut Vec<LeftOut>,
    project: &Project,
    engine: &Engine,
    changed: &[u32],
) {
    if changed.is_empty() {
        return;
    }
    let mut changed = changed.to_vec();
    changed.sort_unstable();
    changed.dedup();
    let mut reasons = UnlocatedReasons::new(project);
    let fresh: Vec<LeftOut> = changed
        .iter()
        .filter_map(|&i| entry(project, engine, &mut reasons, i as usize))
        .collect();
    let is_changed = |i: usize| changed.binary_search(&(i as u32)).is_ok();
    // Merge the untouched rows with the fresh ones, in account order.
    let old = std::mem::take(rows);
    rows.reserve(old.len() + fresh.len());
    let mut fresh = fresh.into_iter().peekable();
    for r in old.into_iter().filter(|r| !is_changed(r.account)) {
        while let Some(f) = fresh.next_if(|f| f.account < r.account) {
            rows.push(f);
        }
        rows.push(r);
    }
    rows.extend(fresh);
}

/// Finds an unlocated account's reason from its postal and country cells.
struct UnlocatedReasons<'p> {
    project: &'p Project,
    /// Attribute column of the postal code, if the plan has one.
    postal: Option<usize>,
    /// Attribute column of the country, if any.
    country: Option<usize>,
    lookup: PostalLookup<'static>,
}

impl<'p> UnlocatedReasons<'p> {
    fn new(project: &'p Project) -> Self {
        let attrs = &project.accounts.attributes;
        let postal = attrs.iter().position(|c| is_postal_header(&c.name));
        let normed: Vec<String> = attrs
            .iter()
            .map(|c| crate::core::import::detect::norm_header(&c.name))
            .collect();
        let country = country_column(&normed, postal.map(|p| normed[p].as_str()));
        Self {
            project,
            postal,
            country,
            lookup: PostalLookup::new(Gazetteer::bundled(), project.settings.default_country),
        }
    }

    fn of(&mut self, i: usize) -> Reason {
        let attrs = &self.project.accounts.attributes;
        let code = self.postal.map_or("", |c| attrs[c].get(i).trim());
        if code.is_empty() {
            return Reason::Unlocated {
                miss: PostalMiss::NoCode,
                detail: String::new(),
            };
        }
        let cell = self.country.map(|c| attrs[c].get(i));
        match self.lookup.locate(cell, code) {
            Err((miss, country)) => {
                let detail = match (miss, country) {
                    (PostalMiss::UnknownCountry, _) => format!("'{}'", cell.unwrap_or("").trim()),
                    (PostalMiss::NotCovered, Some(c)) => c.to_string(),
                    (_, Some(c)) => format!("{c} {code}"),
                    (_, None) => code.to_owned(),
                };
                Reason::Unlocated { miss, detail }
            }
            // The table knows the code now, but the account was imported
            // without a location (e.g. before its country was covered):
            // re-importing places it.
            Ok(hit) => Reason::Unlocated {
                miss: PostalMiss::UnknownCode,
                detail: format!("{} {code} when imported; re-import places it", hit.country),
            },
        }
    }
}

/// Writes `account_id,name,status,reason,territory,latitude,longitude`, one
/// row per entry of `rows`; `status` is `unlocated` or `unassigned`, the
/// territory a pinned unlocated account's (empty otherwise). Text cells are
/// written as `cells` says (spreadsheet-safe by default elsewhere).
pub fn write_left_out_csv<W: Write>(
    w: W,
    project: &Project,
    rows: &[LeftOut],
    cells: CsvCells,
) -> Result<()> {
    let a = &project.accounts;
    // A writer error carries no file name: write_file_atomically adds it.
    let io = |e: csv::Error| {
        let message = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(PathBuf::new(), io),
            _ => Error::invalid(message),
        }
    };
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "account_id",
        "name",
        "status",
        "reason",
        "territory",
        "latitude",
        "longitude",
    ])
    .map_err(io)?;
    for r in rows {
        let i = r.account;
        if i >= a.len() {
            return Err(Error::invalid(format!(
                "account {i} is not in the plan ({} accounts)",
                a.len()
            )));
        }
        let status = if r.reason.is_unlocated() {
            "unlocated"
        } else {
            "unassigned"
        };
        let territory = r
            .territory
            .and_then(|id| project.territory(id))
            .map_or("", |t| t.name.as_str());
        let coord = |v: f64| {
            if v.is_finite() {
                format!("{v}")
            } else {
                String::new()
            }
        };
        let label = r.reason.label();
        out.write_record([
            cells.cell(&a.ids[i]).as_ref(),
            cells.cell(&a.names[i]).as_ref(),
            status,
            cells.cell(&label).as_ref(),
            cells.cell(territory).as_ref(),
            &coord(a.lat[i]),
            &coord(a.lon[i]),
        ])
        .map_err(io)?;
    }
    out.flush().map_err(|e| Error::io(PathBuf::new(), e))
}

/// Counts of `rows`: `(unassigned, unlocated)`, as the plan's figures
/// count them (an unlocated account with no territory is in both).
pub fn counts(rows: &[LeftOut]) -> (usize, usize) {
    let unassigned = rows.iter().filter(|r| r.territory.is_none()).count();
    let unlocated = rows.iter().filter(|r| r.reason.is_unlocated()).count();
    (unassigned, unlocated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Workspace;
    use crate::core::geocode::Country;
    use crate::core::model::{AccountRow, Accounts};
    use geo::{LineString, MultiPolygon, Polygon};

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
            vec![],
        )])
    }

    /// One territory over Berlin; accounts inside, outside, and unlocated
    /// for each reason the import gives.
    fn plan() -> Project {
        let mut p = Project::new("t");
        p.settings.default_country = Country::DE;
        p.accounts =
            Accounts::with_schema(&[], &["BillingPostalCode".into(), "BillingCountry".into()]);
        type Row<'a> = (&'a str, &'a str, Option<(f64, f64)>, &'a str, &'a str);
        let rows: [Row; 7] = [
            ("A1", "Inside", Some((13.4, 52.5)), "10115", "DE"),
            (
                "A2",
                "=HYPERLINK(\"x\")",
                Some((2.35, 48.85)),
                "75001",
                "FR",
            ),
            ("A3", "No code", None, "", ""),
            ("A4", "Swiss", None, "8001", "Switzerland"),
            ("A5", "Bad German", None, "99999", "Germany"),
            ("A6", "Atlantis", None, "12345", "Atlantis"),
            ("A7", "Default country", None, "1", ""),
        ];
        for (id, name, location, code, country) in rows {
            p.accounts.push(&AccountRow {
                id: id.into(),
                name: name.into(),
                location,
                attributes: vec![code.into(), country.into()],
                ..AccountRow::default()
            });
        }
        p.add_territory("Berlin", square(13.0, 52.0, 1.0));
        p
    }

    #[test]
    fn lists_unassigned_and_unlocated_with_reasons() {
        let ws = Workspace::new(plan());
        let rows = left_out(ws.project(), ws.engine());
        let got: Vec<(usize, String)> =
            rows.iter().map(|r| (r.account, r.reason.label())).collect();
        assert_eq!(
            got,
            vec![
                (1, "outside every territory".to_owned()),
                (2, "no coordinates or postal code".to_owned()),
                (3, "country not covered (CH)".to_owned()),
                (4, "unknown code (DE 99999)".to_owned()),
                (5, "unknown country ('Atlantis')".to_owned()),
                (6, "code doesn't fit the country's format (DE 1)".to_owned()),
            ]
        );
        assert_eq!(counts(&rows), (6, 5));
    }

    #[test]
    fn an_update_after_edits_equals_a_fresh_list() {
        use crate::core::edit::Edit;
        let mut ws = Workspace::new(plan());
        let mut rows = left_out(ws.project(), ws.engine());
        let berlin = ws.project().territories[0].id;
        let ty = ws.current_type();
        let edits = [
            // A2 moves into Berlin, A1 out of it, A3 gets a location.
            Edit::SetLocations {
                accounts: vec![1, 0, 2],
                locations: vec![Some((13.5, 52.5)), Some((0.0, 0.0)), Some((13.2, 52.2))],
            },
            // An unlocated account pinned to Berlin stays listed, pinned.
            Edit::SetPins {
                type_id: ty,
                accounts: vec![3],
                pins: vec![Some(berlin)],
            },
            Edit::SetRemoved {
                accounts: vec![4],
                removed: true,
            },
            Edit::RemoveTerritory { id: berlin },
        ];
        for edit in edits {
            let before = ws.revision();
            ws.apply(edit).unwrap();
            let changes = ws.changes_since(before).expect("journalled");
            update_left_out(&mut rows, ws.project(), ws.engine(), &changes.accounts);
            assert_eq!(rows, left_out(ws.project(), ws.engine()));
        }
        let listed: Vec<usize> = rows.iter().map(|r| r.account).collect();
        assert_eq!(
            listed,
            vec![0, 1, 2, 3, 5, 6],
            "all out once Berlin is gone"
        );
    }

    #[test]
    fn the_csv_is_spreadsheet_safe_and_has_every_row() {
        let ws = Workspace::new(plan());
        let rows = left_out(ws.project(), ws.engine());
        let mut out = Vec::new();
        write_left_out_csv(&mut out, ws.project(), &rows, CsvCells::SpreadsheetSafe).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "account_id,name,status,reason,territory,latitude,longitude"
        );
        assert_eq!(lines.len(), 1 + rows.len());
        assert_eq!(
            lines[1],
            "A2,\"'=HYPERLINK(\"\"x\"\")\",unassigned,outside every territory,,48.85,2.35"
        );
        assert!(
            lines[3].starts_with("A4,Swiss,unlocated,country not covered (CH),,,"),
            "{}",
            lines[3]
        );
    }
}
