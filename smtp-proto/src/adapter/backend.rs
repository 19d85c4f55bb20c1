//! The async traits a backend implements.

use std::net::SocketAddr;

use async_trait::async_trait;

use super::MessageBody;
use crate::address::{ForwardPath, ReversePath};
use crate::params::{MailParams, RcptParams};
use crate::reply::{EnhancedCode, Reply};

/// A backend failure. Its text is logged, never sent: the client gets
/// 451 4.3.0.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Who connected.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// The client's address, when the stream is a socket.
    pub peer: Option<SocketAddr>,
    /// Our address, when the stream is a socket.
    pub local: Option<SocketAddr>,
    /// Whether the connection began with TLS (implicit TLS).
    pub implicit_tls: bool,
}

impl ConnectionInfo {
    /// Info for a connection from `peer` to `local`.
    pub fn new(peer: Option<SocketAddr>, local: Option<SocketAddr>, implicit_tls: bool) -> Self {
        Self {
            peer,
            local,
            implicit_tls,
        }
    }
}

/// Who the client is when a mail transaction starts: what a backend needs
/// for policy (the authenticated user) and for its `Received:` header
/// (RFC 5321 §4.4: the client's name, the protocol).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct TransactionContext<'a> {
    /// The name the client gave in EHLO, HELO or LHLO.
    pub hello: Option<&'a str>,
    /// Whether it said EHLO or LHLO rather than HELO.
    pub extended: bool,
    /// What TLS established, if the connection is protected.
    pub tls: Option<&'a wire::TlsInfo>,
    /// The authenticated identity, after AUTH.
    pub identity: Option<&'a sasl::Identity>,
    /// Whether the session speaks LMTP.
    pub lmtp: bool,
}

impl TransactionContext<'_> {
    /// The `with` keyword of a `Received:` header (RFC 3848): `SMTP`,
    /// `ESMTP`, `ESMTPS`, `ESMTPA`, `ESMTPSA`, `LMTP`, `LMTPS`, `LMTPA` or
    /// `LMTPSA`.
    ///
    /// ```
    /// use smtp_proto::adapter::TransactionContext;
    /// let context = TransactionContext::new(Some("client.example"), true, None, None, false);
    /// assert_eq!(context.protocol(), "ESMTP");
    /// ```
    pub fn protocol(&self) -> &'static str {
        match (
            self.lmtp,
            self.extended,
            self.tls.is_some(),
            self.identity.is_some(),
        ) {
            (true, _, false, false) => "LMTP",
            (true, _, true, false) => "LMTPS",
            (true, _, false, true) => "LMTPA",
            (true, _, true, true) => "LMTPSA",
            (false, false, _, _) => "SMTP",
            (false, true, false, false) => "ESMTP",
            (false, true, true, false) => "ESMTPS",
            (false, true, false, true) => "ESMTPA",
            (false, true, true, true) => "ESMTPSA",
        }
    }

    /// A context from its parts (for tests and other adapters).
    pub fn new<'a>(
        hello: Option<&'a str>,
        extended: bool,
        tls: Option<&'a wire::TlsInfo>,
        identity: Option<&'a sasl::Identity>,
        lmtp: bool,
    ) -> TransactionContext<'a> {
        TransactionContext {
            hello,
            extended,
            tls,
            identity,
            lmtp,
        }
    }
}

/// Makes a [`Session`] per connection.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The per-connection state.
    type Session: Session;

    /// A new connection. `Err` refuses it with that reply (554 or 421).
    async fn connect(&self, info: &ConnectionInfo) -> Result<Self::Session, Reply>;

    /// The credential store AUTH checks against. Without one, AUTH (if the
    /// configuration offers it) fails with 454 4.7.0.
    fn credentials(&self) -> Option<&dyn sasl::CredentialStore> {
        None
    }
}

/// One connection's answers. Every method may answer with any reply; the
/// defaults accept.
#[async_trait]
pub trait Session: Send {
    /// A transaction starts: called just before [`mail`](Self::mail)
    /// with what is known about the client. Does nothing by default.
    async fn transaction(&mut self, context: &TransactionContext<'_>) {
        let _ = context;
    }

    /// MAIL FROM, after the protocol checks passed. A 2xx reply accepts.
    async fn mail(
        &mut self,
        from: &ReversePath,
        params: &MailParams,
    ) -> Result<Reply, BackendError> {
        let _ = (from, params);
        Ok(Reply::new(
            250,
            Some(EnhancedCode::new(2, 1, 0)),
            "Sender OK",
        ))
    }

    /// RCPT TO, after the protocol checks passed. A 2xx reply accepts.
    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParams) -> Result<Reply, BackendError> {
        let _ = (to, params);
        Ok(Reply::new(
            250,
            Some(EnhancedCode::new(2, 1, 5)),
            "Recipient OK",
        ))
    }

    /// The message: read `body` to its end. The reply is sent only if the
    /// whole message arrived; if the body fails (too big, bare line ending,
    /// connection lost), the session answers on its own.
    async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError>;

    /// LMTP: the message and one reply per accepted recipient, in the order
    /// they were accepted. The default delivers once through
    /// [`data`](Self::data) and gives every recipient its reply.
    async fn lmtp_data(
        &mut self,
        body: &mut MessageBody<'_>,
        recipients: usize,
    ) -> Result<Vec<Reply>, BackendError> {
        let reply = self.data(body).await?;
        Ok(vec![reply; recipients])
    }

    /// The transaction ended without a message (RSET, EHLO, a refused body).
    async fn reset(&mut self) {}

    /// The client authenticated.
    async fn authenticated(&mut self, identity: &sasl::Identity) {
        let _ = identity;
    }

    /// VRFY, when the configuration passes it on.
    async fn vrfy(&mut self, argument: &str) -> Result<Reply, BackendError> {
        let _ = argument;
        Ok(Reply::new(
            252,
            Some(EnhancedCode::new(2, 5, 0)),
            "Cannot VRFY user, but will accept message and attempt delivery",
        ))
    }

    /// EXPN, when the configuration passes it on.
    async fn expn(&mut self, argument: &str) -> Result<Reply, BackendError> {
        let _ = argument;
        Ok(Reply::new(
            252,
            Some(EnhancedCode::new(2, 5, 0)),
            "Cannot EXPN list, but will accept message and attempt delivery",
        ))
    }

    /// ETRN (RFC 1985), when the configuration offers it.
    async fn etrn(&mut self, node: &str) -> Result<Reply, BackendError> {
        let _ = node;
        Ok(Reply::new(
            458,
            Some(EnhancedCode::new(4, 3, 0)),
            "Unable to queue messages for node",
        ))
    }
}
