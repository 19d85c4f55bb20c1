//! The directory: who exists (domains, accounts, aliases) and how an
//! address resolves to the accounts that receive its mail.
//!
//! A [`DirectorySource`] answers three primitive questions, the way
//! Postfix's lookup tables and Dovecot's passdb/userdb do: is this one of
//! our domains, which account has this name, what does this alias expand
//! to. Sources are the backends (a passwd-file, an aliases file, SQL, the
//! in-memory [`MemoryDirectory`]) and can be [`Layered`]. A [`Directory`]
//! puts the rules on top — recipient delimiter, case folding, catch-alls,
//! alias fan-out with loop detection — and serves authentication to every
//! SASL mechanism through [`sasl::CredentialStore`].
//!
//! ```
//! use mailstore::directory::{Directory, MemoryDirectory, Resolution, User};
//! # futures_executor::block_on(async {
//! let source = MemoryDirectory::new();
//! source.add_domain("example.org");
//! source.add_user(User::new("alice@example.org"));
//! source.add_alias("postmaster@example.org", ["alice@example.org"]);
//! let directory = Directory::new(source);
//!
//! let Resolution::Accepted(to) = directory.resolve("Postmaster+urgent@Example.ORG").await? else {
//!     panic!("not accepted");
//! };
//! assert_eq!(to.local[0].user.name, "alice@example.org");
//! assert_eq!(to.local[0].detail.as_deref(), Some("urgent"));
//! assert!(matches!(directory.resolve("bob@example.org").await?, Resolution::UnknownUser));
//! assert!(matches!(directory.resolve("bob@elsewhere.net").await?, Resolution::UnknownDomain));
//! # Ok::<(), mailstore::Error>(())
//! # }).unwrap();
//! ```

mod aliases;
mod cached;
mod layered;
mod memory;
mod passwd_file;
mod resolve;
mod sql;
mod user;

use std::sync::Arc;

use async_trait::async_trait;

pub use aliases::AliasFile;
pub use cached::Cached;
pub use layered::Layered;
pub use memory::MemoryDirectory;
pub use passwd_file::PasswdFile;
pub use resolve::{LocalRecipient, Recipients, Resolution, ResolveOptions};
pub use sql::{AliasEntry, DomainEntry, MailboxEntry, SqlDirectory, SqlQueries};
pub use user::{QuotaLimit, User};

use crate::blocking::blocking;
use crate::error::Result;

/// The primitive lookups of a directory backend. Keys arrive case-folded
/// (lowercase). Every method has a default that knows nothing, so a source
/// implements only what it holds (an aliases file only
/// [`alias`](Self::alias)).
#[async_trait]
pub trait DirectorySource: Send + Sync + std::fmt::Debug {
    /// Whether mail for `domain` is ours: a domain with accounts, or one
    /// whose addresses are all aliases.
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        let _ = domain;
        Ok(false)
    }

    /// The account named `name` (its login, normally its address), or,
    /// for `@domain`, the account that catches all mail of that domain.
    async fn user(&self, name: &str) -> Result<Option<User>> {
        let _ = name;
        Ok(None)
    }

    /// What `address` (or `@domain`, the domain's catch-all) is an alias
    /// for: one or more addresses, or `None` if it is no alias.
    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        let _ = address;
        Ok(None)
    }
}

#[async_trait]
impl<S: DirectorySource + ?Sized> DirectorySource for Arc<S> {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        (**self).has_domain(domain).await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        (**self).user(name).await
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        (**self).alias(address).await
    }
}

/// A [`DirectorySource`] with the resolution rules on top; see the
/// [module documentation](self).
#[derive(Debug, Clone)]
pub struct Directory {
    source: Arc<dyn DirectorySource>,
    options: ResolveOptions,
}

impl Directory {
    /// A directory over `source`, with the default [`ResolveOptions`].
    pub fn new(source: impl DirectorySource + 'static) -> Directory {
        Directory::from_arc(Arc::new(source))
    }

    /// A directory over a shared source.
    pub fn from_arc(source: Arc<dyn DirectorySource>) -> Directory {
        Directory {
            source,
            options: ResolveOptions::default(),
        }
    }

    /// Uses `options` for resolving addresses.
    pub fn with_options(mut self, options: ResolveOptions) -> Directory {
        self.options = options;
        self
    }

    /// The resolution options.
    pub fn options(&self) -> &ResolveOptions {
        &self.options
    }

    /// The source.
    pub fn source(&self) -> &Arc<dyn DirectorySource> {
        &self.source
    }

    /// The account a client logs in as (names are case-folded, as
    /// Dovecot's default `auth_username_format = %Lu` does).
    pub async fn user(&self, login: &str) -> Result<Option<User>> {
        self.source.user(&fold(login)).await
    }

    /// Whether mail for `domain` is ours.
    pub async fn has_domain(&self, domain: &str) -> Result<bool> {
        self.source.has_domain(&fold(domain)).await
    }
}

#[async_trait]
impl sasl::CredentialStore for Directory {
    async fn password(&self, user: &str) -> Result<Option<sasl::PasswordHash>, sasl::StoreError> {
        match self.user(user).await {
            Ok(found) => Ok(found.filter(|u| u.enabled).and_then(|u| u.password)),
            Err(e) => Err(sasl::StoreError(e.to_string())),
        }
    }

    // The hash checks cost tens of milliseconds for Argon2 or bcrypt: off
    // the executor, so other connections are not held up.
    async fn verify_password(
        &self,
        user: &str,
        password: &sasl::Secret,
    ) -> Result<bool, sasl::StoreError> {
        let stored = self.password(user).await?;
        Ok(blocking(|| sasl::verify_stored(stored.as_ref(), password)))
    }

    async fn scram_credentials(
        &self,
        user: &str,
        hash: sasl::ScramHash,
    ) -> Result<Option<sasl::ScramCredentials>, sasl::StoreError> {
        let stored = self.password(user).await?;
        Ok(blocking(|| {
            sasl::scram_from_stored(stored.as_ref(), user, hash)
        }))
    }
}

/// Case folding for lookups: addresses and domains are compared in lower
/// case, as Postfix folds its table keys.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}
