//! Typed failures of an exchange.

/// Why a server-side exchange failed.
///
/// The variants are deliberately coarse where detail would leak: an unknown
/// user, a wrong password and a user without usable credentials are all
/// [`AuthError::AuthenticationFailed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The client's message does not follow the mechanism's grammar.
    #[error("malformed SASL message: {0}")]
    Malformed(&'static str),
    /// The client sent more than the configured limit for one message.
    #[error("SASL message too long")]
    TooLong,
    /// The credentials are wrong, unknown or unusable for this mechanism.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The credentials are right but may not act as the requested authorization identity.
    #[error("authorization identity refused")]
    AuthorizationFailed,
    /// Channel binding data did not match, or the client claimed the server
    /// cannot bind when it can (a downgrade attack, RFC 5802 §6).
    #[error("channel binding mismatch")]
    ChannelBinding,
    /// The client cancelled the exchange (`*`).
    #[error("authentication cancelled")]
    Cancelled,
    /// The credential store could not answer; try again later.
    #[error("credential store temporarily unavailable")]
    Temporary,
    /// The mechanism cannot run with this configuration (EXTERNAL without an
    /// external identity, ANONYMOUS when not allowed, -PLUS without channel
    /// binding data).
    #[error("mechanism not available")]
    Unavailable,
    /// Input arrived after the exchange had already ended, or an answer was
    /// given that no request asked for.
    #[error("unexpected SASL step")]
    UnexpectedStep,
}

/// Why a client-side exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's challenge does not follow the mechanism's grammar.
    #[error("malformed server challenge: {0}")]
    Malformed(&'static str),
    /// The server could not prove it knows the credentials (SCRAM's server
    /// signature did not verify), or it sent a nonce that does not extend ours.
    #[error("server authentication failed")]
    ServerNotAuthenticated,
    /// The server reported an error (SCRAM `e=`, OAUTHBEARER JSON status).
    #[error("server reported failure: {0}")]
    ServerError(String),
    /// The configuration lacks what the mechanism needs (a password, a token,
    /// channel-binding data for -PLUS).
    #[error("missing client credentials: {0}")]
    MissingCredentials(&'static str),
    /// A credential cannot be expressed in the mechanism's grammar (a NUL
    /// byte in a PLAIN field, a separator inside a bearer token).
    #[error("credentials not valid for this mechanism: {0}")]
    InvalidCredentials(&'static str),
    /// The server asked for an iteration count outside the accepted range.
    #[error("SCRAM iteration count out of range")]
    IterationCount,
    /// The server sent a challenge after the exchange was complete.
    #[error("unexpected challenge")]
    UnexpectedChallenge,
    /// `finish` was called before the mechanism completed.
    #[error("exchange not complete")]
    Incomplete,
}
