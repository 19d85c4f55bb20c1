//! The async adapter (feature `tokio`): drives a POP3 [`ServerSession`]
//! over any `AsyncRead + AsyncWrite` and calls an async [`Backend`].
//!
//! The backend checks credentials, opens and locks a user's maildrop,
//! hands out message contents as streams and removes messages when the
//! client quits. Everything else — states, message numbers, deletions kept
//! until QUIT, STLS, pipelining, limits — is the session's. Messages go
//! out as they are read, byte-stuffed on the way (and cut for TOP), so a
//! connection holds about three [`read_size`](ServerOptions::read_size)
//! buffers whatever the size of the message. A backend error never
//! reaches the client: it is logged with `tracing` and answered
//! `-ERR [SYS/TEMP]`.
//!
//! [`ServerSession`]: crate::server::ServerSession
//!
//! ```no_run
//! use std::sync::Arc;
//! use pop3_proto::adapter::{
//!     Backend, BackendError, Maildrop, MessageStream, OpenError, RetrieveOptions, ServerOptions,
//! };
//! use pop3_proto::maildrop::{MessageInfo, UniqueId};
//! use pop3_proto::server::ServerConfig;
//! use sasl::memory::MemoryStore;
//!
//! /// Every user has the same one message.
//! struct OneMessage(MemoryStore);
//! struct Drop1(Vec<MessageInfo>);
//!
//! const MESSAGE: &[u8] = b"Subject: hello\r\n\r\nHi!\r\n";
//!
//! #[async_trait::async_trait]
//! impl Backend for OneMessage {
//!     type Maildrop = Drop1;
//!     fn credentials(&self) -> &dyn sasl::CredentialStore {
//!         &self.0
//!     }
//!     async fn open(&self, _: &sasl::Identity) -> Result<Drop1, OpenError> {
//!         let id = UniqueId::new("1").unwrap();
//!         Ok(Drop1(vec![MessageInfo::new(MESSAGE.len() as u64, id)]))
//!     }
//! }
//!
//! #[async_trait::async_trait]
//! impl Maildrop for Drop1 {
//!     fn messages(&self) -> &[MessageInfo] {
//!         &self.0
//!     }
//!     async fn retrieve(&mut self, _: usize, _: &RetrieveOptions) -> Result<MessageStream, BackendError> {
//!         Ok(Box::new(MESSAGE))
//!     }
//!     async fn commit(&mut self, _deleted: &[usize]) -> Result<(), BackendError> {
//!         Ok(())
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let mut users = MemoryStore::new();
//! users.add_plaintext("tim", "tanstaaf");
//! let mut config = ServerConfig::new("pop.example.org");
//! config.require_tls_for_auth = false; // plaintext on loopback only
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2110").await?;
//! let options = Arc::new(ServerOptions::new(config));
//! pop3_proto::adapter::serve_listener(listener, Arc::new(OneMessage(users)), options).await
//! # }
//! ```

mod backend;
mod connection;
mod options;

pub use backend::{
    Backend, BackendError, ConnectionInfo, Maildrop, MessageStream, OpenError, RetrieveOptions,
};
pub use connection::{serve, serve_listener};
pub use options::{ServerOptions, Timeouts};
#[cfg(feature = "rustls")]
pub use wire::RustlsAcceptor;
pub use wire::{AsyncStream, BoxedStream, Shutdown, TlsAcceptor};
