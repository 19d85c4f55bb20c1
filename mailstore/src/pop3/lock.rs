//! The POP3 session lock: one maildrop open per account at a time, in this
//! process.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::store::Store;

/// The locks held: the address of the store (kept alive by the lock, so
/// it cannot be reused by another store meanwhile) and the account's name.
type Key = (usize, String);

static HELD: Mutex<BTreeSet<Key>> = Mutex::new(BTreeSet::new());

/// A held POP3 session lock; dropping it releases the lock.
pub(crate) struct SessionLock {
    key: Key,
    // Keeps the store, whose address is part of the key, alive.
    _store: Arc<dyn Store>,
}

impl SessionLock {
    /// Takes the lock of `account` in `store`, or `None` if another
    /// session holds it. Never waits.
    pub(crate) fn try_acquire(store: &Arc<dyn Store>, account: &str) -> Option<SessionLock> {
        let key = (Arc::as_ptr(store).cast::<()>().addr(), account.to_owned());
        let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
        if !held.insert(key.clone()) {
            return None;
        }
        Some(SessionLock {
            key,
            _store: store.clone(),
        })
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        HELD.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl fmt::Debug for SessionLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLock")
            .field("account", &self.key.1)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[test]
    fn one_holder_per_account_and_store() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let other: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let first = SessionLock::try_acquire(&store, "alice").unwrap();
        assert!(SessionLock::try_acquire(&store, "alice").is_none());
        // Another account, or the same name in another store, is free.
        let bob = SessionLock::try_acquire(&store, "bob").unwrap();
        let elsewhere = SessionLock::try_acquire(&other, "alice").unwrap();
        drop(first);
        let again = SessionLock::try_acquire(&store, "alice").unwrap();
        drop((again, bob, elsewhere));
    }
}
