//! The one error type of the crate: every variant names the file and says why.

use std::path::PathBuf;

/// Why a Maildir or mbox operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`"open"`, `"rename"`, `"fsync"`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file does not follow its format (a uidlist, keywords or
    /// maildirsize file, an mbox).
    #[error("{path}:{line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 when the problem is not on one line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A Maildir file name that is not one (no unique part, a bad info suffix).
    #[error("invalid Maildir file name {name:?}: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A lock could not be taken in time.
    #[error("{path} is locked by another process")]
    Locked {
        /// The lock file or locked file.
        path: PathBuf,
    },
    /// The delivery would exceed the Maildir++ quota.
    #[error("quota exceeded in {path}")]
    OverQuota {
        /// The maildirsize file.
        path: PathBuf,
    },
    /// Every UID up to 2³²−1 has been used: the folder needs a new UIDVALIDITY.
    #[error("{path}: no UIDs left; the folder needs a new UIDVALIDITY")]
    UidsExhausted {
        /// The UID list.
        path: PathBuf,
    },
    /// A value the format cannot store (a zero UIDVALIDITY, an extension
    /// field with a space in it).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// What the value is.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No message with this UID or name.
    #[error("no message {what} in {path}")]
    NotFound {
        /// The folder.
        path: PathBuf,
        /// The UID or name looked for.
        what: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the operation and path to an I/O result.
pub(crate) trait IoContext<T> {
    /// Wraps an I/O error as [`Error::Io`].
    fn context(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::io(op, path, source))
    }
}
