//! Manual overrides ("pins"): the territories an account is pinned to by
//! hand, at most one per territory type — an account can be pinned to West
//! in the Geographic type and to Hospitals East in a Healthcare overlay at
//! the same time.
//!
//! Most accounts have no pin and nearly all pinned ones have one, so the
//! lowest pinned territory id of each account lives in a dense column (the
//! engine's hot path reads one `Option` per account) and further pins of
//! the few accounts pinned in several types in a sparse map. The pins of an
//! account are kept in ascending id order, so equal pin sets compare equal
//! however they were built.
//!
//! `Pins` itself does not know territory types; the one-per-type rule is
//! kept by the edits that change pins ([`crate::core::edit::Edit::SetPins`]
//! replaces the account's pin in the target's type), and readers pick an
//! account's pin in a type with [`Pins::find`], which is deterministic (the
//! lowest id wins) should a file ever hold two.

use std::collections::BTreeMap;

use super::ids::TerritoryId;

/// Pins of every account, by account index. See the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pins {
    /// Lowest pinned territory of each account.
    first: Vec<Option<TerritoryId>>,
    /// Further pins (ascending, all above `first`) of accounts pinned in
    /// more than one type.
    more: BTreeMap<u32, Vec<TerritoryId>>,
}

impl Pins {
    /// `n` accounts without pins.
    pub fn unpinned(n: usize) -> Self {
        Self {
            first: vec![None; n],
            more: BTreeMap::new(),
        }
    }

    /// Builds from one optional pin per account.
    pub fn from_single(pins: Vec<Option<TerritoryId>>) -> Self {
        Self {
            first: pins,
            more: BTreeMap::new(),
        }
    }

    /// Number of accounts covered (accounts beyond it are unpinned).
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// True when no account is covered.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Appends an account with at most one pin.
    pub fn push(&mut self, pin: Option<TerritoryId>) {
        self.first.push(pin);
    }

    /// Covers exactly `n` accounts: new ones unpinned, cut ones dropped.
    pub fn resize(&mut self, n: usize) {
        self.first.resize(n, None);
        self.more.retain(|&i, _| (i as usize) < n);
    }

    /// True when account `i` has at least one pin.
    pub fn is_pinned(&self, i: usize) -> bool {
        self.first.get(i).is_some_and(Option::is_some)
    }

    /// The pins of account `i`, lowest id first.
    pub fn of(&self, i: usize) -> impl Iterator<Item = TerritoryId> + '_ {
        let first = self.first.get(i).copied().flatten();
        let more = first
            .and_then(|_| self.more.get(&(i as u32)))
            .map_or(&[][..], Vec::as_slice);
        first.into_iter().chain(more.iter().copied())
    }

    /// The first pin of account `i` (lowest id) for which `keep` holds,
    /// e.g. "is a territory of this type".
    #[inline]
    pub fn find(&self, i: usize, mut keep: impl FnMut(TerritoryId) -> bool) -> Option<TerritoryId> {
        let first = self.first.get(i).copied().flatten()?;
        if keep(first) {
            return Some(first);
        }
        self.more
            .get(&(i as u32))?
            .iter()
            .copied()
            .find(|&t| keep(t))
    }

    /// True when account `i` is pinned to `t`.
    pub fn contains(&self, i: usize, t: TerritoryId) -> bool {
        self.find(i, |p| p == t).is_some()
    }

    /// Pins account `i` to `t` as well (no-op when it already is); grows
    /// the table if `i` is beyond it. Returns whether anything changed.
    pub fn insert(&mut self, i: usize, t: TerritoryId) -> bool {
        if i >= self.first.len() {
            self.first.resize(i + 1, None);
        }
        let mut all: Vec<TerritoryId> = self.of(i).collect();
        match all.binary_search(&t) {
            Ok(_) => false,
            Err(k) => {
                all.insert(k, t);
                self.store(i, all);
                true
            }
        }
    }

    /// Removes the pin of account `i` to `t`. Returns whether it was there.
    pub fn remove(&mut self, i: usize, t: TerritoryId) -> bool {
        self.retain(i, |p| p != t)
    }

    /// Keeps only the pins of account `i` for which `keep` holds. Returns
    /// whether any was removed.
    pub fn retain(&mut self, i: usize, mut keep: impl FnMut(TerritoryId) -> bool) -> bool {
        if !self.is_pinned(i) {
            return false;
        }
        let all: Vec<TerritoryId> = self.of(i).collect();
        let kept: Vec<TerritoryId> = all.iter().copied().filter(|&t| keep(t)).collect();
        if kept.len() == all.len() {
            return false;
        }
        self.store(i, kept);
        true
    }

    /// Replaces all pins of account `i` by `sorted` (ascending, distinct).
    fn store(&mut self, i: usize, mut sorted: Vec<TerritoryId>) {
        debug_assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        if sorted.is_empty() {
            self.first[i] = None;
            self.more.remove(&(i as u32));
            return;
        }
        self.first[i] = Some(sorted.remove(0));
        if sorted.is_empty() {
            self.more.remove(&(i as u32));
        } else {
            self.more.insert(i as u32, sorted);
        }
    }

    /// Every pin as `(account, territory)`, by account then id.
    pub fn iter(&self) -> impl Iterator<Item = (usize, TerritoryId)> + '_ {
        self.first
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (i, p)))
            .flat_map(move |(i, p)| {
                let more = self.more.get(&(i as u32)).map_or(&[][..], Vec::as_slice);
                std::iter::once((i, p)).chain(more.iter().map(move |&t| (i, t)))
            })
    }

    /// True when no account is pinned at all.
    pub fn none_pinned(&self) -> bool {
        self.first.iter().all(Option::is_none)
    }

    /// Accounts pinned to `t`, ascending.
    pub fn accounts_pinned_to(&self, t: TerritoryId) -> Vec<u32> {
        self.iter()
            .filter(|&(_, p)| p == t)
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Drops every pin for which `keep(account, territory)` is false (e.g.
    /// pins to territories that no longer exist).
    pub fn retain_all(&mut self, mut keep: impl FnMut(usize, TerritoryId) -> bool) {
        for i in 0..self.first.len() {
            let Some(t) = self.first[i] else { continue };
            if self.more.contains_key(&(i as u32)) {
                self.retain(i, |t| keep(i, t));
            } else if !keep(i, t) {
                self.first[i] = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: TerritoryId = TerritoryId(1);
    const B: TerritoryId = TerritoryId(5);
    const C: TerritoryId = TerritoryId(9);

    #[test]
    fn pins_stay_sorted_and_compare_equal_however_built() {
        let mut x = Pins::unpinned(3);
        x.insert(1, C);
        x.insert(1, A);
        x.insert(1, B);
        let mut y = Pins::unpinned(3);
        y.insert(1, B);
        y.insert(1, C);
        y.insert(1, A);
        assert_eq!(x, y);
        assert_eq!(x.of(1).collect::<Vec<_>>(), [A, B, C]);
        assert!(!x.insert(1, B), "already there");
        assert!(x.remove(1, A));
        assert_eq!(x.of(1).collect::<Vec<_>>(), [B, C]);
        assert!(x.remove(1, B) && x.remove(1, C));
        assert_eq!(x, Pins::unpinned(3), "nothing left behind");
        assert!(!x.is_pinned(1));
    }

    #[test]
    fn find_returns_the_lowest_matching_pin() {
        let mut p = Pins::unpinned(2);
        p.insert(0, A);
        p.insert(0, C);
        assert_eq!(p.find(0, |t| t != A), Some(C));
        assert_eq!(p.find(0, |_| true), Some(A));
        assert_eq!(p.find(1, |_| true), None);
        assert_eq!(p.find(7, |_| true), None, "beyond the table");
        assert!(p.contains(0, C) && !p.contains(0, B));
    }

    #[test]
    fn iteration_counts_and_bulk_removal() {
        let mut p = Pins::from_single(vec![Some(A), None, Some(B), Some(A)]);
        p.insert(2, C);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [(0, A), (2, B), (2, C), (3, A)]
        );
        assert_eq!((0..p.len()).filter(|&i| p.is_pinned(i)).count(), 3);
        assert_eq!(p.accounts_pinned_to(A), [0, 3]);
        p.retain_all(|_, t| t != B);
        assert_eq!(p.iter().collect::<Vec<_>>(), [(0, A), (2, C), (3, A)]);
        p.retain_all(|i, _| i != 0);
        assert_eq!(p.iter().collect::<Vec<_>>(), [(2, C), (3, A)]);
        p.resize(3);
        assert_eq!(p.iter().collect::<Vec<_>>(), [(2, C)]);
        assert!(!p.none_pinned());
    }

    #[test]
    fn insert_beyond_the_table_grows_it() {
        let mut p = Pins::default();
        assert!(p.insert(4, B));
        assert_eq!(p.len(), 5);
        assert!(p.is_pinned(4) && !p.is_pinned(3));
    }
}
