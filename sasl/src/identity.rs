//! The identities an exchange establishes.

/// Who authenticated, and as whom they act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The authentication identity: whose credentials were checked. For
    /// EXTERNAL and bearer tokens, the identity the store mapped them to; for
    /// ANONYMOUS, `anonymous`.
    pub authentication_id: String,
    /// The requested authorization identity, when the client asked for one
    /// different from the authentication identity (and the store allowed it).
    pub requested_authorization_id: Option<String>,
    /// ANONYMOUS trace information (RFC 4505), as the client sent it.
    pub trace: Option<String>,
}

impl Identity {
    pub(crate) fn new(authentication_id: String) -> Self {
        Self {
            authentication_id,
            requested_authorization_id: None,
            trace: None,
        }
    }

    /// The identity the session acts as: the authorization identity if one
    /// was granted, else the authentication identity.
    pub fn authorization_id(&self) -> &str {
        self.requested_authorization_id
            .as_deref()
            .unwrap_or(&self.authentication_id)
    }
}
