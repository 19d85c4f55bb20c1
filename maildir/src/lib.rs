//! Maildir, Maildir++ and mbox on synchronous `std::fs`, compatible with
//! the files Dovecot and mutt keep on disk.
//!
//! - [`name`]: Maildir file names (`unique,S=…,W=…:2,FLAGS`), flags and
//!   keyword letters, unique-name generation;
//! - [`delivery`]: streaming delivery through tmp/ into new/ or cur/ with
//!   fsync of file and directory, abort that leaves nothing, stale tmp/
//!   cleaning, quota refused before writing;
//! - [`uidlist`], [`keywords`], [`dotlock`]: Dovecot's `dovecot-uidlist`
//!   (version 3), `dovecot-keywords` and its lock-file convention, read
//!   and written byte-compatibly;
//! - [`folder`]: the folder index an IMAP server lives on (UIDs, flags,
//!   incremental refresh, flag changes by rename, expunge);
//! - [`folders`]: Maildir++ folders and subscriptions; [`quota`]: the
//!   `maildirsize` file, kept by delivery and expunge; [`staged`]: messages
//!   staged in `tmp/` that own their file, and imports into a folder;
//! - [`mbox`]: streaming mboxo/mboxrd reading (Content-Length aware) and
//!   writing, and mbox files locked as mutt and Dovecot lock them, with
//!   append and crash-safe expunge.
//!
//! Everything is synchronous `std::fs`; an async server runs these calls
//! on a blocking thread.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod delivery;
pub mod dir_sync;
pub mod dotlock;
pub mod error;
pub mod folder;
pub mod folders;
pub mod keywords;
pub mod mbox;
pub mod name;
mod name_hash;
pub mod quota;
pub mod staged;
pub mod uidlist;

pub use error::{Error, Result};
