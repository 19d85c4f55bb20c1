//! The async adapter (feature `tokio`): drives a [`ServerSession`] over any
//! `AsyncRead + AsyncWrite` and calls an async [`Backend`].
//!
//! The backend decides only what a backend decides — who may send, who
//! exists, where a message goes — and receives the body as a stream
//! ([`MessageBody`]). Protocol policy stays in the session. A backend error
//! never reaches the client: it is logged with `tracing` and answered
//! 451 4.3.0.
//!
//! ```no_run
//! use std::sync::Arc;
//! use smtp_proto::adapter::{Backend, BackendError, ConnectionInfo, MessageBody, ServerOptions, Session};
//! use smtp_proto::server::ServerConfig;
//! use smtp_proto::Reply;
//!
//! struct Sink;
//! struct SinkSession;
//!
//! #[async_trait::async_trait]
//! impl Backend for Sink {
//!     type Session = SinkSession;
//!     async fn connect(&self, _: &ConnectionInfo) -> Result<SinkSession, Reply> {
//!         Ok(SinkSession)
//!     }
//! }
//!
//! #[async_trait::async_trait]
//! impl Session for SinkSession {
//!     async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError> {
//!         while let Some(chunk) = body.chunk().await? {
//!             let _ = chunk; // store it
//!         }
//!         Ok(Reply::new(250, None, "OK"))
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2525").await?;
//! let options = Arc::new(ServerOptions::new(ServerConfig::new("mx.example.org")));
//! smtp_proto::adapter::serve_listener(listener, Arc::new(Sink), options).await
//! # }
//! ```

mod backend;
mod body;
mod connection;
mod options;

pub use backend::{Backend, BackendError, ConnectionInfo, Session, TransactionContext};
pub use body::{BodyError, MessageBody};
pub use connection::{serve, serve_listener};
pub use options::{ServerOptions, Timeouts};
#[cfg(feature = "rustls")]
pub use wire::RustlsAcceptor;
pub use wire::{AsyncStream, BoxedStream, Shutdown, TlsAcceptor};
