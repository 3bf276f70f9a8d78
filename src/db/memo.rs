//! Remembered reads: values computed from the database, served again while no write they
//! depend on has been recorded since they were read (see [`super::changes`]).
//!
//! Never inside a write: a unit of work decides from the database alone. While a thread runs
//! a write transaction ([`WriteScope`], opened by `Db`'s write runners, batches included)
//! every memo answers "not known" and keeps nothing, so a permission, a standing or anything
//! else a write checks is read in the write's own transaction, however recently another
//! process changed it.

use std::any::Any;
use std::cell::{Cell, RefCell};

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use super::changes::{Changes, Dep, Stamp, Touch};
use crate::error::ApiResult;

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
        WRITE_READS.with(|r| r.borrow_mut().clear());
        WriteScope(())
    }
}

impl Drop for WriteScope {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(w.get().saturating_sub(1)));
        WRITE_READS.with(|r| r.borrow_mut().clear());
    }
}

/// A check read inside the write transaction this thread runs: its key and value (of the
/// types [`read_in_write`] was called with), and the user whose enrollments it depends on.
struct WriteRead {
    key: Box<dyn Any>,
    value: Box<dyn Any>,
    user: Option<i64>,
}

thread_local! {
    /// The checks the units of this thread's write transaction read so far, for the next units
    /// of the same transaction: a batch of 64 writes by one caller reads its standing and
    /// permissions once, from the database, in the transaction. Cleared when the transaction
    /// ends and by any unit's write that could change them ([`forget_in_write`]).
    static WRITE_READS: RefCell<Vec<WriteRead>> = const { RefCell::new(Vec::new()) };
}

/// Inside a write transaction: `read()`'s value for `key` (about `user`'s standing or
/// permissions, or no user's: a role's grants), read once per transaction while no unit of it
/// changed what it depends on. Outside one: `read()`.
pub fn read_in_write<K, V>(
    key: K,
    user: Option<i64>,
    read: impl FnOnce() -> ApiResult<V>,
) -> ApiResult<V>
where
    K: PartialEq + 'static,
    V: Clone + 'static,
{
    if !in_write() {
        return read();
    }
    let known = WRITE_READS.with(|r| {
        r.borrow().iter().find_map(|entry| {
            let same = entry.user == user && entry.key.downcast_ref::<K>() == Some(&key);
            same.then(|| entry.value.downcast_ref::<V>().cloned())
                .flatten()
        })
    });
    if let Some(value) = known {
        return Ok(value);
    }
    let value = read()?;
    WRITE_READS.with(|r| {
        r.borrow_mut().push(WriteRead {
            key: Box::new(key),
            value: Box::new(value.clone()),
            user,
        })
    });
    Ok(value)
}

/// After a unit of a write transaction wrote `touch` (or was undone, `None`): forgets the
/// checks it may have changed. A change of `user`'s enrollment changes their permissions only;
/// a change of anything (roles, users, clients, the org structure) or an undone unit, all.
pub(super) fn forget_in_write(touch: Option<Touch>) {
    WRITE_READS.with(|r| {
        let mut reads = r.borrow_mut();
        match touch {
            Some(Touch::Nothing | Touch::Course(_) | Touch::Members { .. }) => {}
            Some(Touch::Enrollment { user, .. }) => reads.retain(|entry| entry.user != Some(user)),
            Some(Touch::All) | None => reads.clear(),
        }
    });
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

    #[test]
    fn a_write_transaction_reads_a_check_once_until_a_unit_changes_it() {
        let reads = Cell::new(0);
        let check = |key: &'static str, user: i64| {
            read_in_write(key, Some(user), || {
                reads.set(reads.get() + 1);
                Ok(reads.get())
            })
            .expect("read")
        };
        assert_eq!(
            (check("p", 1), check("p", 1)),
            (1, 2),
            "outside a write: always read"
        );
        let _write = WriteScope::open();
        assert_eq!((check("p", 1), check("p", 1)), (3, 3));
        assert_eq!(check("p", 2), 4, "another user's");
        assert_eq!(check("q", 1), 5, "another check");
        forget_in_write(Some(Touch::Members {
            course: 9,
            list: 10,
        }));
        assert_eq!(check("p", 1), 3, "a member list decides no permission");
        forget_in_write(Some(Touch::Enrollment { course: 9, user: 2 }));
        assert_eq!(
            (check("p", 1), check("p", 2)),
            (3, 6),
            "user 2's enrollment changed"
        );
        forget_in_write(None);
        assert_eq!(check("p", 1), 7, "an undone unit forgets everything");
        forget_in_write(Some(Touch::All));
        assert_eq!(check("p", 1), 8);
    }
}
