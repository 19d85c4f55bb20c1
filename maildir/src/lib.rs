//! Maildir, Maildir++ and mbox storage formats on synchronous std::fs, compatible with Dovecot's on-disk files.
//!
//! **Not implemented yet.** This crate is an empty, documented placeholder
//! in the Mailwright workspace; its issue fills it. It exports nothing, so
//! nothing can depend on behaviour it does not have.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
