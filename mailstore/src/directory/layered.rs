//! Several sources asked in turn.

use std::sync::Arc;

use async_trait::async_trait;

use super::{DirectorySource, User};
use crate::error::Result;

/// Sources asked in order: a domain is ours if any source says so; an
/// account or alias comes from the first source that has it. For example
/// a passwd-file for the accounts and an aliases file for the aliases.
#[derive(Debug, Clone, Default)]
pub struct Layered {
    sources: Vec<Arc<dyn DirectorySource>>,
}

impl Layered {
    /// No sources yet.
    pub fn new() -> Layered {
        Layered::default()
    }

    /// Adds a source, asked after those added before.
    pub fn with(mut self, source: impl DirectorySource + 'static) -> Layered {
        self.sources.push(Arc::new(source));
        self
    }

    /// Adds a shared source.
    pub fn with_arc(mut self, source: Arc<dyn DirectorySource>) -> Layered {
        self.sources.push(source);
        self
    }
}

#[async_trait]
impl DirectorySource for Layered {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        for source in &self.sources {
            if source.has_domain(domain).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        for source in &self.sources {
            if let Some(user) = source.user(name).await? {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        for source in &self.sources {
            if let Some(targets) = source.alias(address).await? {
                return Ok(Some(targets));
            }
        }
        Ok(None)
    }
}
