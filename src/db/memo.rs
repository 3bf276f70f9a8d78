//! Remembered reads: values computed from the database, served again while no write they
//! depend on has been recorded since they were read (see [`super::changes`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use super::changes::{Changes, Stamp};

struct Entry<V> {
    value: V,
    stamp: Stamp,
    units: Box<[i64]>,
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
    /// outside courses and on `units`: the course whose rows it read, and the groups or sections
    /// whose members it read ([`Changes::is_current`]). A value already stale is not kept.
    pub fn put(&self, key: K, value: V, stamp: Stamp, units: Vec<i64>, weight: usize) {
        if weight > self.capacity / 4 || !self.changes.is_current(stamp, &units) {
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
