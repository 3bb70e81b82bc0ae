//! Finding accounts (by id or name) and territories (by name) as the user
//! types.
//!
//! [`SearchIndex::build`] folds every account's id and name to lower case
//! once, into one text with a separator between accounts, so a query is a
//! single substring scan over contiguous memory (tens of milliseconds over a
//! million accounts) instead of a million small string comparisons. The
//! window builds the index and runs queries on worker threads, so typing
//! never waits for either.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::core::model::{Project, TerritoryId};

/// Separates accounts in the folded text (never in folded text itself,
/// see [`fold`]), so a match cannot span two accounts.
const SEP: char = '\n';
/// Separates an account's id from its name.
const ID_END: char = '\u{1}';

/// An account or territory that matches a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hit {
    /// A territory.
    Territory(TerritoryId),
    /// An account (index).
    Account(usize),
}

/// How well a hit matches, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// The whole id or name.
    Exact,
    /// The start of the id or name.
    Prefix,
    /// The start of a word.
    WordStart,
    /// Anywhere.
    Inside,
}

/// The accounts' ids and names folded for searching.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    /// `id ID_END name SEP` per account, folded.
    text: String,
    /// Byte offset of each entry in `text`, ascending.
    starts: Vec<usize>,
    /// Account index of each entry (removed accounts have none).
    accounts: Vec<u32>,
}

/// Lower case, with the separators replaced, so they stay separators.
fn fold(s: &str, out: &mut String) {
    // Most ids and names are ASCII: lower-case them in place, in bulk.
    if s.is_ascii() && !s.bytes().any(|b| b == b'\n' || b == 1 || b == b'\r') {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    for c in s.chars() {
        if c == SEP || c == ID_END || c == '\r' {
            out.push(' ');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

impl SearchIndex {
    /// Folds the ids and names of `project`'s live accounts.
    pub fn build(project: &Project) -> Self {
        let a = &project.accounts;
        Self::from_columns(&a.ids, &a.names, &a.removed)
    }

    /// Folds the ids and names of the accounts not `removed` (the columns
    /// of [`crate::core::model::Accounts`], which a worker thread can hold
    /// without copying the plan).
    pub fn from_columns(ids: &[String], names: &[String], removed: &[bool]) -> Self {
        let n = ids.len().min(names.len()).min(removed.len());
        let mut index = SearchIndex {
            text: String::with_capacity(n * 24),
            starts: Vec::with_capacity(n),
            accounts: Vec::with_capacity(n),
        };
        for i in (0..n).filter(|&i| !removed[i]) {
            index.starts.push(index.text.len());
            index.accounts.push(i as u32);
            fold(&ids[i], &mut index.text);
            index.text.push(ID_END);
            fold(&names[i], &mut index.text);
            index.text.push(SEP);
        }
        index
    }

    /// Number of accounts indexed.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True when no account is indexed.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The accounts whose id or name contains `query` (case-insensitive),
    /// best matches first (whole id or name, then starts, then word
    /// starts, then anywhere; ties in account order), at most `limit`.
    /// Also returns how many accounts match in all.
    pub fn find(&self, query: &str, limit: usize) -> (Vec<usize>, usize) {
        self.find_unless(query, limit, &AtomicBool::new(false))
            .unwrap_or_default()
    }

    /// [`SearchIndex::find`] that gives up (`None`) once `stop` is set,
    /// e.g. by a newer keystroke.
    pub fn find_unless(
        &self,
        query: &str,
        limit: usize,
        stop: &AtomicBool,
    ) -> Option<(Vec<usize>, usize)> {
        let mut q = String::new();
        fold(query.trim(), &mut q);
        if q.is_empty() {
            return Some((Vec::new(), 0));
        }
        let mut best = Best::new(limit);
        let mut total = 0usize;
        let mut from = 0;
        let mut last_entry = usize::MAX;
        while let Some(pos) = self.text[from..].find(&q) {
            let at = from + pos;
            let entry = self.starts.partition_point(|&s| s <= at) - 1;
            if entry != last_entry {
                last_entry = entry;
                total += 1;
                // Entries come in order, so a later one enters the best
                // `limit` only with a better rank than those already there.
                if let Some(rank) = self.rank_below(entry, &q, best.cutoff) {
                    best.push(rank, entry);
                }
                if total.is_multiple_of(4096) && stop.load(Ordering::Relaxed) {
                    return None;
                }
            }
            // Go on after this entry: one hit per account.
            from = self.entry_end(entry);
            if from >= self.text.len() {
                break;
            }
        }
        let found = best
            .into_sorted()
            .into_iter()
            .map(|e| self.accounts[e] as usize)
            .collect();
        Some((found, total))
    }

    fn entry_end(&self, entry: usize) -> usize {
        self.starts
            .get(entry + 1)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// How well entry `entry` (which contains `q`) matches the folded
    /// query `q`, when better than `cutoff`; `None` otherwise. Only the
    /// tests that can still matter are run (a whole-field comparison is
    /// cheap, a word-start scan is not).
    fn rank_below(&self, entry: usize, q: &str, cutoff: usize) -> Option<Rank> {
        if cutoff == 0 {
            return None;
        }
        let body = &self.text[self.starts[entry]..self.entry_end(entry) - SEP.len_utf8()];
        let (id, name) = body.split_once(ID_END).unwrap_or((body, ""));
        let fields = [id, name];
        let rank = if fields.contains(&q) {
            Rank::Exact
        } else if fields.iter().any(|f| f.starts_with(q)) {
            Rank::Prefix
        } else if cutoff > Rank::WordStart as usize && fields.iter().any(|f| word_start(f, q)) {
            Rank::WordStart
        } else {
            Rank::Inside
        };
        ((rank as usize) < cutoff).then_some(rank)
    }
}

/// The best `limit` hits (by rank, then entry) of a scan in entry order.
struct Best {
    limit: usize,
    hits: Vec<(Rank, usize)>,
    /// Hits per rank so far.
    per_rank: [usize; 4],
    /// Ranks from this one on can no longer enter (4: all can).
    cutoff: usize,
}

impl Best {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            hits: Vec::new(),
            per_rank: [0; 4],
            cutoff: if limit == 0 { 0 } else { 4 },
        }
    }

    fn push(&mut self, rank: Rank, entry: usize) {
        self.hits.push((rank, entry));
        self.per_rank[rank as usize] += 1;
        // The first rank at which `limit` hits of that rank or better are
        // in: a later entry of that rank loses the tie on entry order.
        let mut seen = 0;
        for (r, n) in self.per_rank.iter().enumerate().take(self.cutoff) {
            seen += n;
            if seen >= self.limit {
                self.cutoff = r;
                break;
            }
        }
    }

    /// The entries, best first.
    fn into_sorted(mut self) -> Vec<usize> {
        self.hits.sort_unstable();
        self.hits.truncate(self.limit);
        self.hits.into_iter().map(|(_, e)| e).collect()
    }
}

/// True when `q` occurs in `f` at the start of a word (after a character
/// that is not a letter or digit).
fn word_start(f: &str, q: &str) -> bool {
    f.match_indices(q).any(|(at, _)| {
        f[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric())
    })
}

fn best_rank<'a>(fields: impl IntoIterator<Item = &'a str>, q: &str) -> Rank {
    let mut best = Rank::Inside;
    for f in fields {
        let r = if f == q {
            Rank::Exact
        } else if f.starts_with(q) {
            Rank::Prefix
        } else if word_start(f, q) {
            Rank::WordStart
        } else {
            continue;
        };
        best = best.min(r);
    }
    best
}

/// The territories of `project` whose name contains `query`
/// (case-insensitive), best matches first (as [`SearchIndex::find`]).
pub fn find_territories(project: &Project, query: &str) -> Vec<TerritoryId> {
    let mut q = String::new();
    fold(query.trim(), &mut q);
    if q.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(Rank, usize, TerritoryId)> = Vec::new();
    let mut name = String::new();
    for (k, t) in project.territories.iter().enumerate() {
        name.clear();
        fold(&t.name, &mut name);
        if name.contains(&q) {
            hits.push((best_rank([name.as_str()], &q), k, t.id));
        }
    }
    hits.sort_by_key(|&(rank, k, _)| (rank, k));
    hits.into_iter().map(|h| h.2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, Accounts};

    fn project(rows: &[(&str, &str)]) -> Project {
        let mut p = Project::new("t");
        let mut a = Accounts::with_schema(&[], &[]);
        for (id, name) in rows {
            a.push(&AccountRow {
                id: (*id).into(),
                name: (*name).into(),
                location: Some((0.0, 0.0)),
                ..AccountRow::default()
            });
        }
        p.accounts = a;
        p
    }

    #[test]
    fn finds_ids_and_names_case_insensitively_best_first() {
        let p = project(&[
            ("A1", "Northwind Traders"),
            ("B2", "Contoso North"),
            ("NORTH", "Fabrikam"),
            ("C3", "Tailspin"),
            ("D4", "Northeast Wind"),
        ]);
        let index = SearchIndex::build(&p);
        let (found, total) = index.find("north", 10);
        assert_eq!(total, 4);
        // Exact id, then name starts (account order), then a word start.
        assert_eq!(found, vec![2, 0, 4, 1]);
        assert_eq!(index.find("NORTH", 2).0, vec![2, 0]);
        assert_eq!(index.find("tail", 10).0, vec![3]);
        assert_eq!(index.find("zzz", 10), (vec![], 0));
        assert_eq!(index.find("   ", 10), (vec![], 0));
    }

    #[test]
    fn a_match_never_spans_two_accounts_and_removed_ones_are_left_out() {
        let mut p = project(&[("x1", "ab"), ("x2", "cd")]);
        let index = SearchIndex::build(&p);
        // "ab" + separator + "x2": no account contains "abx2".
        assert_eq!(index.find("abx2", 10).1, 0);
        assert_eq!(index.find("b\nx", 10).1, 0);
        p.accounts.removed[0] = true;
        let index = SearchIndex::build(&p);
        assert_eq!(index.find("x", 10).0, vec![1]);
    }

    #[test]
    fn the_best_hits_are_those_of_a_full_sort() {
        // Every rank, in an order where good hits come late.
        let rows: Vec<(String, String)> = (0..300)
            .map(|k| match k % 5 {
                0 => (format!("x{k}"), format!("Zeta{k} corp")),
                1 => (format!("y{k}"), format!("Big Zeta {k}")),
                2 => (format!("zeta{k}"), format!("n{k}")),
                3 => ("zeta".to_owned(), format!("m{k}")),
                _ => (format!("w{k}"), format!("Bizeta {k}")),
            })
            .collect();
        let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let index = SearchIndex::build(&project(&refs));
        for limit in [0, 1, 5, 59, 60, 61, 150, 299, 300, 400] {
            let (found, total) = index.find("zeta", limit);
            assert_eq!(total, 300);
            let mut all: Vec<(Rank, usize)> = rows
                .iter()
                .enumerate()
                .map(|(k, (id, name))| {
                    let (id, name) = (id.to_lowercase(), name.to_lowercase());
                    (best_rank([id.as_str(), name.as_str()], "zeta"), k)
                })
                .collect();
            all.sort();
            let want: Vec<usize> = all.into_iter().take(limit).map(|(_, k)| k).collect();
            assert_eq!(found, want, "limit {limit}");
        }
    }

    #[test]
    fn non_ascii_names_fold() {
        let p = project(&[("1", "Müller GmbH"), ("2", "ÉCOLE Öst")]);
        let index = SearchIndex::build(&p);
        assert_eq!(index.find("MÜLLER", 10).0, vec![0]);
        assert_eq!(index.find("école", 10).0, vec![1]);
        assert_eq!(index.find("öst", 10).0, vec![1]);
    }
}
