//! An in-memory [`CredentialStore`]: the reference implementation, for
//! tests, examples and small embedded servers.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use crate::{CredentialStore, PasswordHash, Requirement, Secret, StoreError};

/// Users with stored passwords, bearer tokens, external identities and
/// proxy-authorization grants, all in memory.
///
/// ```
/// use sasl::{CredentialStore, Secret};
/// use sasl::memory::MemoryStore;
///
/// let mut store = MemoryStore::new();
/// store.add_plaintext("tim", "tanstaaftanstaaf");
/// let ok = futures_executor::block_on(store.verify_password("tim", &Secret::from("tanstaaftanstaaf")));
/// assert!(ok.unwrap());
/// ```
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    passwords: HashMap<String, PasswordHash>,
    tokens: HashMap<Vec<u8>, String>,
    externals: HashMap<String, String>,
    proxies: HashSet<(String, String)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a user with a stored password hash.
    pub fn add_user(&mut self, user: impl Into<String>, password: PasswordHash) {
        self.passwords.insert(user.into(), password);
    }

    /// Adds or replaces a user whose password is kept in plaintext
    /// (`{PLAIN}`), which every mechanism including CRAM-MD5 can use.
    pub fn add_plaintext(&mut self, user: impl Into<String>, password: &str) {
        self.add_user(user, PasswordHash::plain(password));
    }

    /// Adds a bearer token belonging to `user`.
    pub fn add_token(&mut self, token: impl Into<Secret>, user: impl Into<String>) {
        self.tokens
            .insert(token.into().as_bytes().to_vec(), user.into());
    }

    /// Maps an external identity (e.g. a certificate subject) to `user`.
    pub fn add_external(&mut self, external: impl Into<String>, user: impl Into<String>) {
        self.externals.insert(external.into(), user.into());
    }

    /// Lets `user` act as `authzid`.
    pub fn allow_proxy(&mut self, user: impl Into<String>, authzid: impl Into<String>) {
        self.proxies.insert((user.into(), authzid.into()));
    }
}

#[async_trait]
impl CredentialStore for MemoryStore {
    async fn password(&self, user: &str) -> Result<Option<PasswordHash>, StoreError> {
        Ok(self.passwords.get(user).cloned())
    }

    async fn validate_token(
        &self,
        _user: Option<&str>,
        token: &Secret,
    ) -> Result<Option<String>, StoreError> {
        // A hash map look-up by secret is not constant time; a real token
        // validator checks a signature or asks the issuer instead.
        Ok(self.tokens.get(token.as_bytes()).cloned())
    }

    async fn map_external(
        &self,
        external: &str,
        requested: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let Some(user) = self.externals.get(external) else {
            return Ok(None);
        };
        Ok(match requested {
            Some(authzid)
                if authzid != user
                    && !self.proxies.contains(&(user.clone(), authzid.to_string())) =>
            {
                None
            }
            Some(authzid) => Some(authzid.to_string()),
            None => Some(user.clone()),
        })
    }

    async fn authorize(&self, user: &str, authzid: &str) -> Result<bool, StoreError> {
        Ok(self
            .proxies
            .contains(&(user.to_string(), authzid.to_string())))
    }

    fn supports(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::BearerToken => !self.tokens.is_empty(),
            Requirement::ExternalIdentity => !self.externals.is_empty(),
            _ => true,
        }
    }
}
