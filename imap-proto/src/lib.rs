//! IMAP4rev1 and IMAP4rev2 (RFC 3501, RFC 9051): types, streaming parser, encoder and server.
//!
//! **Not implemented yet.** This crate is an empty, documented placeholder
//! in the Mailwright workspace; its issue fills it. It exports nothing, so
//! nothing can depend on behaviour it does not have.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
