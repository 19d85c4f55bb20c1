//! SMTP and LMTP (RFC 5321, RFC 2033): codec, sans-IO server session, client codec and tokio adapter.
//!
//! **Not implemented yet.** This crate is an empty, documented placeholder
//! in the Mailwright workspace; its issue fills it. It exports nothing, so
//! nothing can depend on behaviour it does not have.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
