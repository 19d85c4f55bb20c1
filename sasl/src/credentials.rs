//! The async credential trait that stores implement, and the requests a
//! sans-IO server mechanism makes of it.

use async_trait::async_trait;

use crate::decoy;
use crate::scram::per_user_salt;
use crate::{
    DEFAULT_SCRAM_ITERATIONS, Mechanism, PasswordHash, ScramCredentials, ScramHash, Secret,
};

/// What a mechanism needs from a credential store (see [`Mechanism::requirement`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Requirement {
    /// Check a plaintext password against whatever the store keeps (PLAIN, LOGIN).
    VerifyPassword,
    /// The plaintext password itself (CRAM-MD5).
    PlaintextPassword,
    /// SCRAM salted keys, or a plaintext to derive them from (SCRAM-*).
    ScramCredentials,
    /// Validate an OAuth 2.0 bearer token (OAUTHBEARER, XOAUTH2).
    BearerToken,
    /// Map an identity established outside SASL, such as a TLS client certificate (EXTERNAL).
    ExternalIdentity,
    /// Nothing (ANONYMOUS).
    Nothing,
}

/// Why a store could not answer. Reported to clients only as a temporary failure.
#[derive(Debug, thiserror::Error)]
#[error("credential store error: {0}")]
pub struct StoreError(pub String);

/// Whether `password` matches `stored`, the password a store keeps for a
/// user (`None`: no such user). This is what
/// [`CredentialStore::verify_password`] does by default. It costs what the
/// scheme costs (an Argon2 or bcrypt hash takes tens of milliseconds), also
/// for an unknown user, who is checked against a decoy of the scheme seen
/// most, so that timing does not tell which users exist: async stores run
/// it on a blocking thread.
///
/// ```
/// use sasl::{PasswordHash, Secret, verify_stored};
/// let stored: PasswordHash = "{PLAIN}secret".parse().unwrap();
/// assert!(verify_stored(Some(&stored), &Secret::from("secret")));
/// assert!(!verify_stored(Some(&stored), &Secret::from("guess")));
/// assert!(!verify_stored(None, &Secret::from("secret")));
/// ```
pub fn verify_stored(stored: Option<&PasswordHash>, password: &Secret) -> bool {
    match stored {
        Some(hash) => {
            decoy::note_scheme(hash.scheme());
            hash.verify(password.as_bytes())
        }
        None => {
            decoy::verify_like_a_real_user(password.as_bytes());
            false
        }
    }
}

/// The SCRAM credentials of `user` for `hash` from `stored`, the password a
/// store keeps (`None`: no such user): its stored keys, or keys derived
/// from a plaintext (with a stable per-user salt). This is what
/// [`CredentialStore::scram_credentials`] does by default; like
/// [`verify_stored`] it costs a key derivation, also for an unknown user.
pub fn scram_from_stored(
    stored: Option<&PasswordHash>,
    user: &str,
    hash: ScramHash,
) -> Option<ScramCredentials> {
    let Some(stored) = stored else {
        decoy::derive_like_a_real_user(hash, user);
        return None;
    };
    decoy::note_scheme(stored.scheme());
    match stored.plaintext() {
        // A stable per-user salt: a client must not learn from changing
        // salts which users are stored in plaintext.
        Some(plain) => Some(ScramCredentials::derive(
            hash,
            plain.as_bytes(),
            &per_user_salt(hash, user),
            DEFAULT_SCRAM_ITERATIONS,
        )),
        None => stored.scram_credentials(hash),
    }
}

/// A store of users and their credentials.
///
/// Implement [`password`](CredentialStore::password) and every password-based
/// mechanism works: PLAIN and LOGIN verify against the stored hash, SCRAM uses
/// stored SCRAM keys or derives them from a plaintext, CRAM-MD5 needs a
/// plaintext. Override the other methods where the store can do better (a
/// directory that verifies passwords itself, bearer tokens, certificates,
/// proxy authorization).
///
/// Unknown users are `Ok(None)`/`Ok(false)`: the mechanisms make sure a client
/// cannot tell an unknown user from a wrong password.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// The stored password of `user`, or `None` if there is no such user.
    async fn password(&self, user: &str) -> Result<Option<PasswordHash>, StoreError>;

    /// Whether `password` is `user`'s password.
    async fn verify_password(&self, user: &str, password: &Secret) -> Result<bool, StoreError> {
        Ok(verify_stored(self.password(user).await?.as_ref(), password))
    }

    /// The plaintext password of `user`, if the store keeps one.
    async fn plaintext_password(&self, user: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.password(user).await?.and_then(|hash| hash.plaintext()))
    }

    /// SCRAM credentials of `user` for `hash`: stored keys, or keys derived
    /// from a stored plaintext.
    async fn scram_credentials(
        &self,
        user: &str,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, StoreError> {
        Ok(scram_from_stored(
            self.password(user).await?.as_ref(),
            user,
            hash,
        ))
    }

    /// Validates an OAuth 2.0 bearer token and returns the user it belongs to.
    /// `user` is the identity the client named, if any. The default accepts no token.
    async fn validate_token(
        &self,
        user: Option<&str>,
        token: &Secret,
    ) -> Result<Option<String>, StoreError> {
        let _ = (user, token);
        Ok(None)
    }

    /// Maps an external identity (e.g. a TLS client certificate subject) to a
    /// user, given the authorization identity the client asked for, if any.
    /// The default maps nothing.
    async fn map_external(
        &self,
        external: &str,
        requested: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let _ = (external, requested);
        Ok(None)
    }

    /// Whether `user` may act as `authzid` (proxy authorization). Only asked
    /// when the client requests an authorization identity different from the
    /// authentication identity. The default refuses.
    async fn authorize(&self, user: &str, authzid: &str) -> Result<bool, StoreError> {
        let _ = (user, authzid);
        Ok(false)
    }

    /// Whether this store can serve a mechanism's [`Requirement`], so a server
    /// advertises only mechanisms that can succeed. By default password-based
    /// mechanisms are served and tokens and external identities are not.
    fn supports(&self, requirement: Requirement) -> bool {
        !matches!(
            requirement,
            Requirement::BearerToken | Requirement::ExternalIdentity
        )
    }

    /// The mechanisms of `candidates` this store supports, in the given order.
    fn mechanisms(&self, candidates: &[Mechanism]) -> Vec<Mechanism> {
        candidates
            .iter()
            .copied()
            .filter(|mech| self.supports(mech.requirement()))
            .collect()
    }
}

/// A question a server mechanism asks of the credential store.
///
/// The sans-IO server returns one in [`ServerStep::Lookup`](crate::ServerStep::Lookup);
/// the caller answers it (with [`answer`] or its own code) and passes the
/// [`Answer`] to [`ServerSession::resume`](crate::ServerSession::resume).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialRequest {
    /// Is `password` the password of `user`? Answer [`Answer::Verified`].
    VerifyPassword {
        /// The authentication identity.
        user: String,
        /// The password the client sent.
        password: Secret,
    },
    /// The plaintext password of `user`. Answer [`Answer::Plaintext`].
    PlaintextPassword {
        /// The authentication identity.
        user: String,
    },
    /// SCRAM credentials of `user`. Answer [`Answer::Scram`].
    ScramCredentials {
        /// The authentication identity.
        user: String,
        /// The mechanism's hash.
        hash: ScramHash,
    },
    /// Whom does this bearer token belong to? Answer [`Answer::User`].
    ValidateToken {
        /// The user the client named, if any.
        user: Option<String>,
        /// The token.
        token: Secret,
    },
    /// Whom does this external identity map to? Answer [`Answer::User`].
    MapExternal {
        /// The identity established outside SASL.
        external: String,
        /// The authorization identity the client asked for, if any.
        requested: Option<String>,
    },
    /// May `user` act as `authzid`? Answer [`Answer::Verified`].
    Authorize {
        /// The authentication identity.
        user: String,
        /// The requested authorization identity.
        authzid: String,
    },
}

/// The answer to a [`CredentialRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Yes or no, for [`CredentialRequest::VerifyPassword`] and [`CredentialRequest::Authorize`].
    Verified(bool),
    /// For [`CredentialRequest::PlaintextPassword`]; `None` if unknown or not stored in plaintext.
    Plaintext(Option<Secret>),
    /// For [`CredentialRequest::ScramCredentials`]; `None` if unknown or unusable.
    Scram(Option<ScramCredentials>),
    /// For [`CredentialRequest::ValidateToken`] and [`CredentialRequest::MapExternal`].
    User(Option<String>),
    /// The store failed; the exchange ends with [`AuthError::Temporary`](crate::AuthError::Temporary).
    Unavailable,
}

/// Answers `request` from `store`.
pub async fn answer<S: CredentialStore + ?Sized>(store: &S, request: &CredentialRequest) -> Answer {
    let result = match request {
        CredentialRequest::VerifyPassword { user, password } => store
            .verify_password(user, password)
            .await
            .map(Answer::Verified),
        CredentialRequest::PlaintextPassword { user } => {
            store.plaintext_password(user).await.map(Answer::Plaintext)
        }
        CredentialRequest::ScramCredentials { user, hash } => store
            .scram_credentials(user, *hash)
            .await
            .map(Answer::Scram),
        CredentialRequest::ValidateToken { user, token } => store
            .validate_token(user.as_deref(), token)
            .await
            .map(Answer::User),
        CredentialRequest::MapExternal {
            external,
            requested,
        } => store
            .map_external(external, requested.as_deref())
            .await
            .map(Answer::User),
        CredentialRequest::Authorize { user, authzid } => {
            store.authorize(user, authzid).await.map(Answer::Verified)
        }
    };
    result.unwrap_or(Answer::Unavailable)
}
