//! The one error type of the crate: a closed set of kinds that every
//! protocol maps to its own reply codes, with the details kept for logs.

use std::fmt;

/// What went wrong, as far as a client may know. The set is closed, so a
/// protocol can map every kind to a reply code exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No such user, mailbox or message (IMAP `NO [NONEXISTENT]`,
    /// `[TRYCREATE]` for a missing target mailbox).
    NotFound,
    /// The mailbox, user or alias already exists (`NO [ALREADYEXISTS]`).
    AlreadyExists,
    /// The message was expunged by another session (`NO [EXPUNGEISSUED]`).
    Expunged,
    /// The user's quota does not allow it (`452 4.2.2`, `NO [OVERQUOTA]`).
    OverQuota,
    /// The message is larger than allowed (`552 5.3.4`, `NO [TOOBIG]`).
    TooBig,
    /// Not allowed for this user (`NO [NOPERM]`).
    Permission,
    /// Locked by another session for longer than we wait (`-ERR [IN-USE]`,
    /// `NO [INUSE]`).
    InUse,
    /// A request the store cannot carry out as asked: a bad mailbox name,
    /// renaming INBOX's parent into its child (`NO [CANNOT]`, `BAD`).
    Invalid,
    /// A routing loop: aliases that lead back to themselves (`554 5.4.6`).
    Loop,
    /// Storage or directory trouble that may pass: I/O, a database that is
    /// down (`451 4.3.0`, `NO [UNAVAILABLE]`, `-ERR [SYS/TEMP]`).
    Temporary,
}

impl ErrorKind {
    /// A short description, safe to show to a client.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::Expunged => "expunged",
            ErrorKind::OverQuota => "over quota",
            ErrorKind::TooBig => "too big",
            ErrorKind::Permission => "permission denied",
            ErrorKind::InUse => "in use",
            ErrorKind::Invalid => "invalid request",
            ErrorKind::Loop => "routing loop",
            ErrorKind::Temporary => "temporary failure",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of some [`ErrorKind`], with what was being done and the
/// underlying cause, for the logs. `Display` shows all of it: never send
/// it to a client, send [`Error::kind`]'s reply instead.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {context}")]
pub struct Error {
    kind: ErrorKind,
    context: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of `kind`, saying what was being done.
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Error {
        Error {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// Adds the underlying cause.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        self.source = Some(source.into());
        self
    }

    /// A [`ErrorKind::Temporary`] error caused by `source`.
    pub fn temporary(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::new(ErrorKind::Temporary, context).with_source(source)
    }

    /// The kind, which decides the reply.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What was being done.
    pub fn context(&self) -> &str {
        &self.context
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
