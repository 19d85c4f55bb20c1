//! The fuzz harnesses of the mailwright crates, shared by the cargo-fuzz
//! targets in `fuzz/fuzz_targets/` and by each crate's corpus replay test:
//!
//! * the sasl crate's harness is `src/lib.rs` (re-exported here at the top
//!   level, as before); `sasl/tests/fuzz_corpus.rs` includes that file, so
//!   it must keep compiling with only the sasl crate;
//! * the smtp-proto crate's harness is [`smtp`] (`src/smtp.rs`), which
//!   `smtp-proto/tests/fuzz_corpus.rs` includes;
//! * the pop3-proto crate's harness is [`pop3`] (`src/pop3.rs`), which
//!   `pop3-proto/tests/fuzz_corpus.rs` includes;
//! * the maildir crate's harness is [`maildir`] (`src/maildir.rs`), which
//!   `maildir/tests/fuzz_corpus.rs` includes;
//! * the mailstore crate's harness is [`mailstore`] (`src/mailstore.rs`),
//!   which `mailstore/tests/fuzz_corpus.rs` includes;
//! * the imap-proto crate's harness is [`imap`] (`src/imap.rs`), which
//!   `imap-proto/tests/fuzz_corpus.rs` includes.
//!
//! This file is the crate root rather than `lib.rs` so that the harnesses
//! stay independent files: none has to know about the others.

#[path = "lib.rs"]
mod sasl_harness;

pub use sasl_harness::*;

pub mod smtp;

pub mod pop3;

pub mod maildir;

pub mod mailstore;

pub mod imap;
