//! What every Mailwright protocol crate shares on the wire, so that SMTP,
//! POP3 and IMAP have one copy of each piece and still never depend on one
//! another:
//!
//! - [`line`]: splitting a byte stream into lines under a length limit,
//!   enforced as bytes arrive;
//! - [`dot_stuff`]: the dot-stuffed form of a message (SMTP DATA, POP3
//!   multi-line responses), streaming, and [`plain_text`], the fast path
//!   that stuffing and unstuffing share, and [`CrlfLength`], the size of
//!   content in the CRLF form the stuffer sends (POP3's exact size);
//! - [`TlsInfo`]: what a TLS handshake gives a session (channel bindings,
//!   a client certificate's identity);
//! - with feature `tokio`: [`AsyncStream`], [`BoxedStream`] and the
//!   [`TlsAcceptor`] trait through which an adapter upgrades a connection,
//!   and [`WireIo`], the reads, writes, time limits and TLS upgrade every
//!   adapter's connection loop is made of, and [`Shutdown`], the signal
//!   that tells connections their server is stopping;
//!   with feature `rustls`: [`RustlsAcceptor`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod crlf_length;
pub mod dot_stuff;
#[cfg(feature = "tokio")]
mod failure_delay;
#[cfg(feature = "tokio")]
mod io;
pub mod line;
pub mod plain_text;
#[cfg(feature = "rustls")]
mod rustls;
#[cfg(feature = "tokio")]
mod shutdown;
#[cfg(feature = "tokio")]
mod stream;
mod tls_info;

pub use crlf_length::CrlfLength;
pub use dot_stuff::DotStuffer;
#[cfg(feature = "tokio")]
pub use failure_delay::FailureDelay;
#[cfg(feature = "tokio")]
pub use io::{ReadOutcome, WireIo, handshake};
pub use line::{LineEvent, LineReader};
#[cfg(feature = "rustls")]
pub use rustls::RustlsAcceptor;
#[cfg(feature = "tokio")]
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_signal};
#[cfg(feature = "tokio")]
pub use stream::{AsyncStream, BoxedStream, TlsAcceptor};
pub use tls_info::TlsInfo;
