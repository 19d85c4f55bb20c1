//! Directory and store traits, their memory, Maildir and SQL backends, and the glue to the protocol crates.
//!
//! **Not implemented yet.** This crate is an empty, documented placeholder
//! in the Mailwright workspace; its issue fills it. It exports nothing, so
//! nothing can depend on behaviour it does not have.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
