//! What a server session asks of its caller, and what the caller tells it.

/// The next thing the caller must do, from
/// [`ServerSession::poll`](super::ServerSession::poll).
///
/// Events marked *answer* wait for an answer: until it is given, `poll`
/// returns `None` and the session reads nothing (pipelined commands stay
/// buffered and are processed after the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Send everything [`take_output`](super::ServerSession::take_output)
    /// holds to the client now (the output reached
    /// [`flush_threshold`](super::ServerConfig::flush_threshold), or a long
    /// listing is being written in pieces). Output is also due whenever
    /// `poll` returns `None`: the caller always writes it before it reads or
    /// waits.
    Flush,
    /// The client sent STLS and `+OK` is queued. Write the output, then run
    /// the TLS handshake as a server and call
    /// [`tls_started`](super::ServerSession::tls_started); if the handshake
    /// fails, close the connection. Bytes the client pipelined after STLS
    /// have been discarded.
    StartTls,
    /// A login needs the credential store. *Answer* with
    /// [`auth_answer`](super::ServerSession::auth_answer) (see
    /// [`sasl::answer`]). USER/PASS asks
    /// [`VerifyPassword`](sasl::CredentialRequest::VerifyPassword), APOP
    /// [`PlaintextPassword`](sasl::CredentialRequest::PlaintextPassword), AUTH
    /// whatever its mechanism needs (possibly several look-ups in a row).
    AuthLookup(sasl::CredentialRequest),
    /// The client authenticated as this identity: open and lock its
    /// maildrop (`identity.authorization_id()`). *Answer* with
    /// [`maildrop_opened`](super::ServerSession::maildrop_opened) (the
    /// session then writes the login's `+OK` and enters TRANSACTION) or
    /// [`maildrop_failed`](super::ServerSession::maildrop_failed) (the
    /// session writes `-ERR` with the code of the failure and stays in
    /// AUTHORIZATION, as RFC 1939 §7 allows).
    OpenMaildrop(sasl::Identity),
    /// RETR or TOP of the message at `index` (0-based: message number − 1,
    /// never a deleted one). *Answer* with
    /// [`retrieve_ready`](super::ServerSession::retrieve_ready) when the
    /// content can be read (the session queues the `+OK` line; the caller
    /// writes the output, then the body through a [`DotStuffer`](crate::DotStuffer)
    /// — behind a [`TopFilter`](crate::TopFilter) when `top_lines` is
    /// `Some` — and calls [`body_done`](super::ServerSession::body_done)),
    /// or with [`retrieve_failed`](super::ServerSession::retrieve_failed)
    /// (the session writes `-ERR [SYS/TEMP]`).
    Retrieve {
        /// The message, 0-based.
        index: usize,
        /// `None` for RETR; for TOP, the body lines wanted.
        top_lines: Option<u64>,
    },
    /// QUIT in the TRANSACTION state: the UPDATE state. Remove the
    /// messages at `deleted` (0-based, ascending, no duplicates; possibly
    /// none) as one operation and release the maildrop. *Answer* with
    /// [`commit_done`](super::ServerSession::commit_done) or
    /// [`commit_failed`](super::ServerSession::commit_failed); the session
    /// then writes the QUIT response and closes. This is the only event
    /// that removes mail: a session that ends any other way (end of input,
    /// time-out, shutdown, too many errors) never asks.
    Commit {
        /// The messages marked deleted, 0-based, ascending.
        deleted: Vec<usize>,
    },
    /// Write the output, then close the connection. Nothing follows.
    Close,
}

/// Why a maildrop could not be opened, for
/// [`maildrop_failed`](super::ServerSession::maildrop_failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenFailure {
    /// Another session holds the maildrop: `-ERR [IN-USE]` (RFC 2449 §8.1.2).
    InUse,
    /// The user logged in too recently: `-ERR [LOGIN-DELAY]` (RFC 2449 §8.1.1).
    LoginDelay,
    /// A failure that may go away: `-ERR [SYS/TEMP]` (RFC 3206 §4).
    Temporary,
    /// A failure that will not go away by itself: `-ERR [SYS/PERM]` (RFC 3206 §4).
    Permanent,
}
