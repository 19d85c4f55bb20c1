//! What a server session asks of its caller.

use bytes::Bytes;

use crate::address::{ForwardPath, ReversePath};
use crate::params::{MailParams, RcptParams};

/// The next thing the caller must do, from
/// [`ServerSession::poll`](super::ServerSession::poll).
///
/// Events marked *answer* wait for an answer: the session makes no progress
/// until the caller gives it (then it goes on with the client's next
/// pipelined command).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Send everything in [`ServerSession::take_output`](super::ServerSession::take_output)
    /// to the client now (RFC 2920 flush point).
    Flush,
    /// MAIL FROM passed every check of the session. *Answer* with
    /// [`answer`](super::ServerSession::answer): a 2xx reply accepts the sender.
    Mail {
        /// The sender.
        from: ReversePath,
        /// Its parameters, all of them supported by the configuration.
        params: MailParams,
    },
    /// RCPT TO passed every check of the session. *Answer* with
    /// [`answer`](super::ServerSession::answer): a 2xx reply accepts the recipient.
    Rcpt {
        /// The recipient.
        to: ForwardPath,
        /// Its parameters.
        params: RcptParams,
    },
    /// The message body begins (after DATA's 354, or the first BDAT chunk).
    DataStart,
    /// The next piece of the message, dot-unstuffed.
    DataChunk(Bytes),
    /// The message is complete. *Answer* with
    /// [`answer`](super::ServerSession::answer): once for SMTP, once per
    /// accepted recipient in order for LMTP.
    DataEnd,
    /// The message will not be accepted: discard what was received. The
    /// session still drains the rest of it and replies itself.
    DataAbort(AbortReason),
    /// The client reset the transaction (RSET, a new EHLO, or a failure
    /// that ends it); forget its sender and recipients.
    Reset,
    /// Flush the output, then start TLS as a server on the connection and
    /// call [`tls_started`](super::ServerSession::tls_started), or close
    /// the connection if the handshake fails.
    StartTls,
    /// AUTH needs the credential store. *Answer* with
    /// [`auth_answer`](super::ServerSession::auth_answer) (see [`sasl::answer`]).
    AuthLookup(sasl::CredentialRequest),
    /// The client authenticated.
    Authenticated(sasl::Identity),
    /// VRFY (only when [`ServerConfig::vrfy`](super::ServerConfig::vrfy)).
    /// *Answer* with [`answer`](super::ServerSession::answer).
    Vrfy(String),
    /// EXPN (only when [`ServerConfig::expn`](super::ServerConfig::expn)).
    /// *Answer* with [`answer`](super::ServerSession::answer).
    Expn(String),
    /// ETRN (only when [`ServerConfig::etrn`](super::ServerConfig::etrn)).
    /// *Answer* with [`answer`](super::ServerSession::answer).
    Etrn(String),
    /// Flush the output and close the connection.
    Close,
}

/// Why a message is being discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbortReason {
    /// It is larger than the configured maximum.
    TooBig,
    /// It contains a bare CR or LF and the policy is to reject such messages.
    BareLineEnding,
    /// The caller reported a failure ([`abort_data`](super::ServerSession::abort_data)).
    Failed,
    /// The BDAT transaction failed (or the connection ended) before the last chunk.
    Incomplete,
}
