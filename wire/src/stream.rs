//! The connection as a boxed stream, so STARTTLS (SMTP), STLS (POP3) or
//! IMAP's STARTTLS can replace it, and the pluggable TLS upgrade.

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::TlsInfo;

/// A bidirectional byte stream (TCP, TLS over TCP, a test pipe).
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A connection, boxed so that TLS can wrap it mid-session.
pub type BoxedStream = Box<dyn AsyncStream>;

/// Performs the server side of a TLS handshake (for an upgrade in the
/// middle of a session and for implicit TLS).
/// [`RustlsAcceptor`](crate::RustlsAcceptor) implements it with rustls
/// (feature `rustls`).
#[async_trait]
pub trait TlsAcceptor: Send + Sync {
    /// Runs the handshake over `stream` and returns the protected stream
    /// with what TLS established (channel bindings, a client identity).
    async fn accept(&self, stream: BoxedStream) -> std::io::Result<(BoxedStream, TlsInfo)>;
}
