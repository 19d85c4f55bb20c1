//! A directory kept in memory: for tests, for embedding, and as the model
//! the other sources are checked against.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use async_trait::async_trait;

use super::{DirectorySource, User, fold};
use crate::error::Result;

/// Domains, accounts and aliases in memory. Names are case-folded when
/// stored, so lookups find them whatever their case.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    inner: RwLock<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    domains: BTreeSet<String>,
    users: BTreeMap<String, User>,
    aliases: BTreeMap<String, Vec<String>>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> MemoryDirectory {
        MemoryDirectory::default()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tables> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a domain we receive mail for.
    pub fn add_domain(&self, domain: &str) {
        self.write().domains.insert(fold(domain));
    }

    /// Adds or replaces an account (keyed by its folded name).
    pub fn add_user(&self, user: User) {
        self.write().users.insert(fold(&user.name), user);
    }

    /// Removes an account; returns whether it existed.
    pub fn remove_user(&self, name: &str) -> bool {
        self.write().users.remove(&fold(name)).is_some()
    }

    /// Makes `address` (or `@domain`) an alias for `targets`, replacing
    /// what it was.
    pub fn add_alias<I, T>(&self, address: &str, targets: I)
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let targets = targets.into_iter().map(Into::into).collect();
        self.write().aliases.insert(fold(address), targets);
    }

    /// Removes an alias; returns whether it existed.
    pub fn remove_alias(&self, address: &str) -> bool {
        self.write().aliases.remove(&fold(address)).is_some()
    }
}

#[async_trait]
impl DirectorySource for MemoryDirectory {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        Ok(self.read().domains.contains(domain))
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self.read().users.get(name).cloned())
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        Ok(self.read().aliases.get(address).cloned())
    }
}
