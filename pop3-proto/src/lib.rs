//! POP3 (RFC 1939, RFC 2449, RFC 5034): codec, sans-IO server session and tokio adapter.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod maildrop;

#[cfg(feature = "tokio")]
pub mod adapter;
