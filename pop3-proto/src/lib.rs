//! POP3 (RFC 1939, RFC 2449, RFC 5034): codec, sans-IO server session and tokio adapter.
//!
//! **Not implemented yet.** This crate is an empty, documented placeholder
//! in the Mailwright workspace; its issue fills it. It exports nothing, so
//! nothing can depend on behaviour it does not have.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
