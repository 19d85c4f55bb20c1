//! Why a command failed, and the exit status a script sees for it.

use std::process::ExitCode;

use mailstore::ErrorKind;

/// A command's failure; its text is printed as `mailserver: TEXT`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The request cannot be done: exists, does not exist, invalid value (1).
    #[error("{0}")]
    Refused(String),
    /// The command line is wrong (2; clap reports its own usage errors
    /// with the same status).
    #[error("{0}")]
    Usage(String),
    /// The configuration is invalid (3).
    #[error("{0}")]
    Config(String),
    /// A database, port or file is unavailable (4).
    #[error("{0}")]
    Unavailable(String),
}

impl Failure {
    /// The process exit status.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Config(_) => 3,
            Failure::Unavailable(_) => 4,
        })
    }

    /// A directory or store error, by its kind.
    pub(crate) fn from_store(error: &mailstore::Error) -> Failure {
        let text = error.to_string();
        match error.kind() {
            ErrorKind::AlreadyExists | ErrorKind::NotFound | ErrorKind::Invalid => {
                Failure::Refused(text)
            }
            _ => Failure::Unavailable(text),
        }
    }
}
