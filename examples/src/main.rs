//! `mailserver`: Mailwright's reference mail server. `mailserver serve`
//! runs SMTP, submission, LMTP and POP3 from one configuration file (or
//! the embedded defaults); the other subcommands administer its
//! directory. See `mailserver --help` and `mailserver default-config`.

mod mailserver;

fn main() -> std::process::ExitCode {
    mailserver::main()
}
