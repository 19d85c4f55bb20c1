//! Password schemes in Dovecot's `{SCHEME}` notation. (Being written — API contract only.)

use crate::{ScramCredentials, ScramHash, Secret};

/// A password scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plaintext.
    Plain,
    /// crypt(3).
    Crypt,
    /// ARGON2ID.
    Argon2id,
    /// SCRAM-SHA-1 stored keys.
    ScramSha1,
    /// SCRAM-SHA-256 stored keys.
    ScramSha256,
}

/// Errors of the password layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The scheme is not known.
    #[error("unknown password scheme")]
    UnknownScheme,
}

/// A stored password.
#[derive(Debug, Clone)]
pub struct PasswordHash {
    scheme: Scheme,
    data: String,
}

impl PasswordHash {
    /// Parses `{SCHEME}data`, or bare data read with `default`.
    pub fn parse_with_default(stored: &str, default: Scheme) -> Result<Self, PasswordError> {
        Ok(Self {
            scheme: default,
            data: stored.to_string(),
        })
    }
    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// Verifies a password in constant time.
    pub fn verify(&self, password: &[u8]) -> bool {
        self.scheme == Scheme::Plain
            && crate::secret::constant_time_eq(self.data.as_bytes(), password)
    }
    /// The plaintext, for the PLAIN scheme only.
    pub fn plaintext(&self) -> Option<Secret> {
        (self.scheme == Scheme::Plain).then(|| Secret::from(self.data.as_str()))
    }
    /// SCRAM credentials for `hash`.
    pub fn scram_credentials(&self, hash: ScramHash) -> Option<ScramCredentials> {
        let _ = hash;
        None
    }
}
