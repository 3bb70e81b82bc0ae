//! Salesforce record ids: the org's Territory2 and User exports that turn
//! DeveloperNames and usernames into the 18-character ids Data Loader
//! needs, and the check that a plan's account ids are CRM ids at all.

use std::collections::HashMap;
use std::path::Path;

use super::{col, read_csv};
use crate::core::error::{Error, Result};
use crate::core::model::Accounts;

/// What looking a name up found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Exactly one record.
    Found(String),
    /// No record.
    Missing,
    /// Several records: their ids.
    Ambiguous(Vec<String>),
}

fn lookup(hits: Option<&Vec<String>>) -> Lookup {
    match hits.map(Vec::as_slice) {
        None | Some([]) => Lookup::Missing,
        Some([one]) => Lookup::Found(one.clone()),
        Some(many) => Lookup::Ambiguous(many.to_vec()),
    }
}

/// Territory ids by DeveloperName, from an org's Territory2 export
/// (columns `Id` and `DeveloperName` in any order, others ignored).
#[derive(Clone, Debug, Default)]
pub struct TerritoryIds {
    by_name: HashMap<String, Vec<String>>,
}

impl TerritoryIds {
    /// Reads `path`. When it has a `Territory2Model.DeveloperName` column,
    /// only rows of model `model` count (an org export may hold several
    /// models with the same territory names).
    pub fn read(path: &Path, model: &str) -> Result<Self> {
        let (h, rows) = read_csv(path)?;
        let ci = col(&h, path, &["Id"])?;
        let cd = col(&h, path, &["DeveloperName"])?;
        let cm = col(
            &h,
            path,
            &[
                "Territory2Model.DeveloperName",
                "Territory2Model:DeveloperName",
            ],
        )
        .ok();
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for r in &rows {
            if let Some(m) = cm.and_then(|c| r.get(c))
                && !m.trim().eq_ignore_ascii_case(model)
            {
                continue;
            }
            let (id, dev) = (
                r.get(ci).unwrap_or("").trim(),
                r.get(cd).unwrap_or("").trim(),
            );
            if id.is_empty() || dev.is_empty() {
                continue;
            }
            let ids = by_name.entry(dev.to_ascii_lowercase()).or_default();
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_owned());
            }
        }
        Ok(Self { by_name })
    }

    /// The id of the territory called `developer_name`.
    pub fn get(&self, developer_name: &str) -> Lookup {
        lookup(self.by_name.get(&developer_name.to_ascii_lowercase()))
    }

    /// The DeveloperName of each id (for reading an association export).
    pub fn names_by_id(&self) -> HashMap<String, String> {
        self.by_name
            .iter()
            .flat_map(|(name, ids)| ids.iter().map(move |id| (id.clone(), name.clone())))
            .collect()
    }
}

/// User ids by login, from an org's User export: `Id` plus any of
/// `Username`, `Email`, `FederationIdentifier`.
#[derive(Clone, Debug, Default)]
pub struct UserIds {
    /// One map per login column, in the order they are tried.
    keys: Vec<(String, HashMap<String, Vec<String>>)>,
    /// Display name per id, when the export has a `Name` column.
    names: HashMap<String, String>,
    /// Login (as written) per id, from the first login column.
    logins: HashMap<String, String>,
}

impl UserIds {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let (h, rows) = read_csv(path)?;
        let ci = col(&h, path, &["Id"])?;
        let cn = col(&h, path, &["Name"]).ok();
        let mut keys = Vec::new();
        let mut logins: HashMap<String, String> = HashMap::new();
        for key in ["Username", "Email", "FederationIdentifier"] {
            let Ok(c) = col(&h, path, &[key]) else {
                continue;
            };
            let mut m: HashMap<String, Vec<String>> = HashMap::new();
            for r in &rows {
                let (id, v) = (
                    r.get(ci).unwrap_or("").trim(),
                    r.get(c).unwrap_or("").trim(),
                );
                if id.is_empty() || v.is_empty() {
                    continue;
                }
                logins.entry(id.to_owned()).or_insert_with(|| v.to_owned());
                let ids = m.entry(v.to_lowercase()).or_default();
                if !ids.iter().any(|x| x == id) {
                    ids.push(id.to_owned());
                }
            }
            keys.push((key.to_owned(), m));
        }
        if keys.is_empty() {
            return Err(Error::invalid(format!(
                "{}: no column 'Username', 'Email' or 'FederationIdentifier' to match reps by",
                path.display()
            )));
        }
        let names = cn.map_or_else(HashMap::new, |c| {
            rows.iter()
                .filter_map(|r| Some((r.get(ci)?.trim().to_owned(), r.get(c)?.trim().to_owned())))
                .collect()
        });
        Ok(Self {
            keys,
            names,
            logins,
        })
    }

    /// The user whose username, else e-mail, else federation id is
    /// `login` (case-insensitive). The first column with a hit decides.
    pub fn get(&self, login: &str) -> Lookup {
        let login = login.trim().to_lowercase();
        if login.is_empty() {
            return Lookup::Missing;
        }
        self.keys
            .iter()
            .find_map(|(_, m)| m.get(&login))
            .map_or(Lookup::Missing, |hits| lookup(Some(hits)))
    }

    /// The user whose full name (`Name` column) is `name`: for reps known
    /// only by a display name, e.g. from an account export's owner column.
    pub fn get_by_name(&self, name: &str) -> Lookup {
        let name = name.trim();
        if name.is_empty() {
            return Lookup::Missing;
        }
        let mut ids: Vec<String> = self
            .names
            .iter()
            .filter(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        lookup(Some(&ids))
    }

    /// Username (else e-mail…) and display name of user `id`.
    pub fn login_and_name(&self, id: &str) -> (Option<String>, Option<String>) {
        (self.logins.get(id).cloned(), self.names.get(id).cloned())
    }
}

/// True when the plan's account ids are row numbers: every id is a whole
/// number and together they are exactly 1…N (what import hands out when a
/// file has no id column).
pub fn ids_are_row_numbers(accounts: &Accounts) -> bool {
    let n = accounts.ids.len();
    if n == 0 {
        return false;
    }
    let mut seen = vec![false; n];
    for id in accounts.ids.iter() {
        match id.parse::<usize>() {
            Ok(k) if (1..=n).contains(&k) && !id.starts_with('0') && !seen[k - 1] => {
                seen[k - 1] = true;
            }
            _ => return false,
        }
    }
    true
}

/// True for text shaped like a Salesforce record id (15 or 18 letters
/// and digits).
pub fn looks_like_salesforce_id(id: &str) -> bool {
    matches!(id.len(), 15 | 18) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::AccountRow;

    fn accounts(ids: &[&str]) -> Accounts {
        let mut a = Accounts::with_schema(&[], &[]);
        for id in ids {
            a.push(&AccountRow {
                id: (*id).into(),
                ..AccountRow::default()
            });
        }
        a
    }

    #[test]
    fn row_numbers_are_exactly_one_to_n() {
        assert!(ids_are_row_numbers(&accounts(&["2", "1", "3"])));
        assert!(!ids_are_row_numbers(&accounts(&["1", "2", "4"])));
        assert!(!ids_are_row_numbers(&accounts(&["01", "2"])));
        assert!(!ids_are_row_numbers(&accounts(&["1", "1"])));
        assert!(!ids_are_row_numbers(&accounts(&["001A000000q2JbZ"])));
        assert!(!ids_are_row_numbers(&accounts(&[])));
        assert!(looks_like_salesforce_id("001A000000q2JbZ"));
        assert!(looks_like_salesforce_id("001A000000q2JbZAAQ"));
        assert!(!looks_like_salesforce_id("17"));
    }

    #[test]
    fn users_match_by_username_then_email() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("User.csv");
        std::fs::write(
            &path,
            "Email,Id,Username,Name\n\
             a@x.com,005A,ann@corp,Ann\n\
             shared@x.com,005B,bo@corp,Bo\n\
             shared@x.com,005C,cy@corp,Cy\n",
        )
        .expect("write");
        let u = UserIds::read(&path).expect("reads");
        assert_eq!(u.get("ANN@corp"), Lookup::Found("005A".into()));
        assert_eq!(u.get("a@x.com"), Lookup::Found("005A".into()));
        assert_eq!(
            u.get("shared@x.com"),
            Lookup::Ambiguous(vec!["005B".into(), "005C".into()])
        );
        assert_eq!(u.get("nobody"), Lookup::Missing);
        assert_eq!(u.get(" "), Lookup::Missing);
        assert_eq!(u.get_by_name("ann"), Lookup::Found("005A".into()));
        assert_eq!(u.get_by_name("Dee"), Lookup::Missing);
        assert_eq!(
            u.login_and_name("005B"),
            (Some("bo@corp".into()), Some("Bo".into()))
        );
        std::fs::write(&path, "Id,Name\n005A,Ann\n").expect("write");
        let e = UserIds::read(&path).unwrap_err().to_string();
        assert!(e.contains("Username"), "{e}");
    }
}
