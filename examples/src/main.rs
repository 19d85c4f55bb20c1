//! The reference mail server `mailserver` is not built yet (see README.md);
//! this binary says so instead of pretending to serve mail.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "mailserver: the reference server is not implemented yet; \
         so far Mailwright ships the `sasl` crate (see README.md)"
    );
    ExitCode::from(2)
}
