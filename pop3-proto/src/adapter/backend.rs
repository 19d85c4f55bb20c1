//! The async traits a POP3 backend implements.

use std::net::SocketAddr;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::maildrop::MessageInfo;

/// A backend failure. Its text is logged, never sent: the client gets
/// `-ERR [SYS/TEMP]`.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// A message's content as the backend stores it: CRLF (or bare LF) line
/// ends, not byte-stuffed. The adapter stuffs it, and cuts it for TOP.
pub type MessageStream = Box<dyn AsyncRead + Send + Unpin>;

/// Who connected.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// The client's address, when the stream is a socket.
    pub peer: Option<SocketAddr>,
    /// Our address, when the stream is a socket.
    pub local: Option<SocketAddr>,
    /// Whether the connection began with TLS (implicit TLS, POP3S).
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

/// Why a maildrop could not be opened after a successful login.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// Another session holds the maildrop: `-ERR [IN-USE]` (RFC 2449 §8.1.1).
    InUse,
    /// The user logged in too recently: `-ERR [LOGIN-DELAY]` (RFC 2449 §8.1.2).
    LoginDelay,
    /// A failure that may go away: `-ERR [SYS/TEMP]` (RFC 3206). Logged.
    Temporary(BackendError),
    /// A failure that will not go away by itself: `-ERR [SYS/PERM]`
    /// (RFC 3206). Logged.
    Permanent(BackendError),
}

/// How a message is wanted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetrieveOptions {
    /// TOP: the header and this many body lines are all that will be read.
    /// A backend may still return the whole message; the adapter stops
    /// reading where TOP ends.
    pub top_lines: Option<u64>,
}

/// Opens maildrops for authenticated users.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// One user's opened, locked maildrop.
    type Maildrop: Maildrop;

    /// The credential store USER/PASS, APOP and AUTH check against.
    fn credentials(&self) -> &dyn sasl::CredentialStore;

    /// Opens and locks the maildrop of the user who just authenticated
    /// (`identity.authorization_id()`). The lock lasts until the maildrop
    /// is dropped.
    async fn open(&self, identity: &sasl::Identity) -> Result<Self::Maildrop, OpenError>;
}

/// One user's maildrop for the length of a session.
#[async_trait]
pub trait Maildrop: Send {
    /// The messages, message number `n` being `messages()[n - 1]`; the list
    /// never changes while the maildrop is open.
    fn messages(&self) -> &[MessageInfo];

    /// The content of message `index` (0-based).
    async fn retrieve(
        &mut self,
        index: usize,
        options: &RetrieveOptions,
    ) -> Result<MessageStream, BackendError>;

    /// The UPDATE state (QUIT): removes the messages at `deleted` (0-based,
    /// ascending, no duplicates) as one operation. Not called when the
    /// session ends any other way, so a dropped connection deletes nothing.
    async fn commit(&mut self, deleted: &[usize]) -> Result<(), BackendError>;
}
