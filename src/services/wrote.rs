//! What a unit of work that writes answers: its value, what it touched (for the caches,
//! `db::changes::Touch`), and how much of its course it holds (for group commit). Only units
//! of work make one, through the proof of access they hold (`access::Held`) or the named
//! constructors below, so the claim is made where the writes are, once; a handler passes it
//! to `Db::write` and cannot choose it.

use std::marker::PhantomData;

use crate::db::changes::Touch;
use crate::db::Written;

/// How much of its course a write holds, which decides whether it may share a transaction
/// with other writes on PostgreSQL (`db::batch`).
pub trait LockClass: Send + 'static {
    const SHARES_BATCH: bool;
}

/// Holds its course (or org unit) in shared mode at most: a change of who belongs, which any
/// number of writes may make at once, so it may share a batch.
pub enum Shared {}

/// May hold a course exclusively (its structure): runs in a transaction of its own on
/// PostgreSQL, since batches of such writes could wait for each other in a cycle.
pub enum Alone {}

impl LockClass for Shared {
    const SHARES_BATCH: bool = true;
}

impl LockClass for Alone {
    const SHARES_BATCH: bool = false;
}

/// A unit of work's value and what it wrote.
#[must_use]
pub struct Wrote<T, L: LockClass = Alone> {
    value: T,
    touch: Touch,
    class: PhantomData<L>,
}

impl<T, L: LockClass> Wrote<T, L> {
    pub(in crate::services) fn new(value: T, touch: Touch) -> Self {
        Self {
            value,
            touch,
            class: PhantomData,
        }
    }

    /// The same write, answering `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Wrote<U, L> {
        Wrote::new(f(self.value), self.touch)
    }

    /// What it touched (for tests and the history of a batch).
    pub fn touch(&self) -> Touch {
        self.touch
    }
}

impl<T> Wrote<T, Alone> {
    /// A write that may have changed anything a cache holds (users, roles, the org structure,
    /// an institution's clients): the safe claim, which anyone may make. Every narrower claim
    /// is made by a proof of access (`access::Held`, `access::HeldUnit`) or a unit of work.
    pub fn anything(value: T) -> Self {
        Self::new(value, Touch::All)
    }
}

impl<T> Wrote<T, Shared> {
    /// A write to rows no cache reads (browser sessions, sign-in failures, a client
    /// assertion's `jti`), which locks no course. Made by the units of work of those rows
    /// (services and `auth`), never by a handler (`tests/it/layers.rs`).
    pub(crate) fn uncached(value: T) -> Self {
        Self::new(value, Touch::Nothing)
    }
}

impl<T: Send + 'static, L: LockClass> Written for Wrote<T, L> {
    type Value = T;
    const SHARES_BATCH: bool = L::SHARES_BATCH;

    fn into_parts(self) -> (T, Touch) {
        (self.value, self.touch)
    }
}
