//! Who exists and where their mail lives: the directory and store layer
//! under Mailwright's protocol servers, after Dovecot's lib-storage.
//!
//! - [`directory`]: the [`DirectorySource`](directory::DirectorySource)
//!   trait (domains, accounts, aliases) with in-memory, layered,
//!   passwd-file, aliases-file and SQL sources, and
//!   [`Directory`](directory::Directory), which resolves recipient
//!   addresses with Postfix's virtual(5) rules and serves every SASL
//!   mechanism through [`sasl::CredentialStore`];
//! - [`store`]: the [`Store`](store::Store), [`Account`](store::Account)
//!   and [`Mailbox`](store::Mailbox) traits with transactions, sync and
//!   watch, the in-memory reference backend and the Maildir backend;
//! - [`delivery`]: final delivery over LMTP or local SMTP, as an
//!   smtp-proto backend;
//! - [`pop3`]: users' INBOXes as POP3 maildrops, as a pop3-proto backend;
//! - [`Error`]: one closed set of error kinds for every backend.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
pub mod delivery;
pub mod directory;
pub mod error;
pub mod pop3;
pub mod store;

pub use error::{Error, ErrorKind, Result};
