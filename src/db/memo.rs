//! Remembered reads: values computed from the database, served again while no write they
//! depend on has been recorded since they were read (see [`super::changes`]).
//!
//! Never inside a write: a unit of work decides from the database alone. While a thread runs
//! a write transaction ([`WriteScope`], opened by `Db`'s write runners, batches included)
//! every memo answers "not known" and keeps nothing, so a permission, a standing or anything
//! else a write checks is read in the write's own transaction, however recently another
//! process changed it.

use std::cell::Cell;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use super::changes::{Changes, Dep, Stamp};

struct Entry<V> {
    value: V,
    stamp: Stamp,
    units: Box<[Dep]>,
    weight: usize,
}

struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    weight: usize,
}

/// A bounded map of remembered values. Past its capacity it forgets everything at once: a
/// simple bound on memory that costs one recomputation per entry, and caches here refill in
/// microseconds.
pub struct Memo<K, V> {
    changes: Arc<Changes>,
    entries: RwLock<Entries<K, V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// A memo of reads of the database whose writes `changes` records (`Db::memo`).
    /// `capacity` is in the units of the `weight` given to [`Memo::put`] (bytes, or entries).
    pub fn new(changes: Arc<Changes>, capacity: usize) -> Self {
        Self {
            changes,
            entries: RwLock::new(Entries {
                map: HashMap::new(),
                weight: 0,
            }),
            capacity,
        }
    }

    /// The value remembered for `key`, if no write it depends on came after it was read.
    pub fn get(&self, key: &K) -> Option<V> {
        if in_write() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let entry = entries.map.get(key)?;
        self.changes
            .is_current(entry.stamp, &entry.units)
            .then(|| entry.value.clone())
    }

    /// Take it before the reads whose outcome is to be [`Memo::put`].
    pub fn stamp(&self) -> Stamp {
        self.changes.stamp()
    }

    /// Remembers `value`, read from the database after `stamp` was taken, depending on what lies
    /// outside courses and on `units` ([`Changes::is_current`]). A value already stale, or read
    /// inside a write (which may yet be rolled back), is not kept.
    pub fn put(&self, key: K, value: V, stamp: Stamp, units: Vec<Dep>, weight: usize) {
        if in_write() || weight > self.capacity / 4 || !self.changes.is_current(stamp, &units) {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.weight + weight > self.capacity {
            entries.map.clear();
            entries.weight = 0;
        }
        let entry = Entry {
            value,
            stamp,
            units: units.into_boxed_slice(),
            weight,
        };
        if let Some(old) = entries.map.insert(key, entry) {
            entries.weight -= old.weight;
        }
        entries.weight += weight;
    }
}

thread_local! {
    /// How many write transactions this thread is inside (a batch's units run in the batch's).
    static WRITING: Cell<u32> = const { Cell::new(0) };
}

/// Whether this thread is inside a write transaction.
pub fn in_write() -> bool {
    WRITING.with(|w| w.get() > 0)
}

/// Marks this thread as running a write transaction until dropped.
pub(super) struct WriteScope(());

impl WriteScope {
    pub(super) fn open() -> Self {
        WRITING.with(|w| w.set(w.get() + 1));
        WriteScope(())
    }
}

impl Drop for WriteScope {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(w.get().saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_a_write_nothing_is_served_or_kept() {
        let changes = Arc::new(Changes::default());
        changes.assume_alone();
        let memo: Memo<u8, u8> = Memo::new(changes.clone(), 10);
        memo.put(1, 10, memo.stamp(), vec![], 1);
        assert_eq!(memo.get(&1), Some(10));
        {
            let _write = WriteScope::open();
            assert_eq!(memo.get(&1), None, "a write reads the database");
            memo.put(2, 20, memo.stamp(), vec![], 1);
        }
        assert_eq!(memo.get(&1), Some(10));
        assert_eq!(memo.get(&2), None, "nothing read inside a write was kept");
    }
}
