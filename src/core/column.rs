//! A copy-on-write column: cloning it is O(1) (the rows are shared), and
//! the first change to a shared column copies it.
//!
//! The window takes snapshots of the whole project for background work
//! (autosave, save, balance, comparison). At a million accounts copying
//! the text columns (ids and names: a million strings each) was most of a
//! snapshot's cost and froze the window for a few hundred milliseconds;
//! those columns almost never change after import, so sharing them makes
//! a snapshot a matter of copying the numeric columns.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Weak};

/// A `Vec<T>` shared between clones until one of them changes it.
#[derive(Debug, Default, PartialEq)]
pub struct CowColumn<T: Clone>(Arc<Vec<T>>);

impl<T: Clone> Clone for CowColumn<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Clone> Deref for CowColumn<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Clone> DerefMut for CowColumn<T> {
    /// Copies the rows first if another clone still shares them.
    fn deref_mut(&mut self) -> &mut Vec<T> {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: Clone> From<Vec<T>> for CowColumn<T> {
    fn from(v: Vec<T>) -> Self {
        Self(Arc::new(v))
    }
}

impl<T: Clone> FromIterator<T> for CowColumn<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(Arc::new(iter.into_iter().collect()))
    }
}

impl<T: Clone + PartialEq<U>, U> PartialEq<Vec<U>> for CowColumn<T> {
    fn eq(&self, other: &Vec<U>) -> bool {
        self.0[..] == other[..]
    }
}

impl<T: Clone + PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for CowColumn<T> {
    fn eq(&self, other: &[U; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl<T: Clone> CowColumn<T> {
    /// True when `self` and `other` share their rows (no copy was made).
    pub fn shares_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// A handle that later tells whether a column still holds these very
    /// rows ([`CowColumn::is_watched_by`]) without sharing them: a kept
    /// clone would make the plan's next change copy the whole column.
    pub fn watch(&self) -> Weak<Vec<T>> {
        Arc::downgrade(&self.0)
    }

    /// True when these are the rows `watch` was taken from, unchanged. Any
    /// change while the handle exists moves the rows (`Arc::make_mut`
    /// does so while a weak handle exists), so equal addresses mean equal
    /// rows.
    pub fn is_watched_by(&self, watch: &Weak<Vec<T>>) -> bool {
        std::ptr::eq(watch.as_ptr(), Arc::as_ptr(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_sees_any_change_and_shares_nothing() {
        let mut a: CowColumn<String> = vec!["x".to_owned()].into();
        let w = a.watch();
        assert!(a.is_watched_by(&w));
        let b = a.clone();
        assert!(b.is_watched_by(&w));
        drop(b);
        // The only strong owner changes it: still detected.
        a[0] = "y".to_owned();
        assert!(!a.is_watched_by(&w));
        let w = a.watch();
        a.push("z".to_owned());
        assert!(!a.is_watched_by(&w));
    }

    #[test]
    fn clones_share_until_one_changes() {
        let a: CowColumn<String> = vec!["x".to_owned(), "y".to_owned()].into();
        let mut b = a.clone();
        assert!(a.shares_with(&b));
        b.push("z".into());
        assert!(!a.shares_with(&b));
        assert_eq!(a, vec!["x".to_owned(), "y".to_owned()]);
        assert_eq!(b.len(), 3);
        // A column nobody else holds changes in place.
        let before = b.as_ptr();
        b[0] = "w".into();
        assert_eq!(b.as_ptr(), before);
    }
}
