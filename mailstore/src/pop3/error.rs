//! What can go wrong in a maildrop, for the logs (clients only see
//! `-ERR [SYS/TEMP]` or `[SYS/PERM]`).

use crate::error::Error;

/// A maildrop failure. Carried as the adapter's
/// [`BackendError`](pop3_proto::adapter::BackendError), which it logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaildropError {
    /// The user logged in but the directory no longer knows them, or the
    /// account is disabled.
    #[error("no enabled account {0:?} after login")]
    UnknownUser(String),
    /// A message number the session does not have (the adapter checks
    /// numbers first, so this is a bug in the caller).
    #[error("no message at index {0} of the maildrop")]
    NoSuchMessage(usize),
    /// INBOX was deleted and created again by another process during the
    /// session: its UIDs name other messages now, so nothing is deleted.
    #[error("INBOX changed UIDVALIDITY from {old} to {new} during the session")]
    UidValidityChanged {
        /// The UIDVALIDITY when the maildrop was opened.
        old: u32,
        /// The UIDVALIDITY at commit.
        new: u32,
    },
    /// Reading a message's content failed.
    #[error("reading message {uid}")]
    Read {
        /// The message's UID.
        uid: u32,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] Error),
}
