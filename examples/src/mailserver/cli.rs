//! The command line: `mailserver [--config FILE] COMMAND`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Mailwright's reference mail server: SMTP, submission, LMTP and POP3
/// over one user directory, with the administration commands.
///
/// Exit status: 0 done; 1 refused (the domain, user or alias exists
/// already, does not exist, or a value is invalid); 2 bad usage; 3 the
/// configuration is invalid; 4 a resource is unavailable (the database,
/// a port, a file).
#[derive(Debug, Parser)]
#[command(name = "mailserver", version)]
pub(crate) struct Cli {
    /// The configuration file. Default: ./mailserver.toml when it
    /// exists, else the embedded defaults (data under ./mail-data).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs the server until SIGTERM or SIGINT (SIGHUP reloads the TLS
    /// certificate).
    Serve,
    /// Checks the configuration and the directory, prints the result.
    CheckConfig,
    /// Prints the embedded default configuration.
    DefaultConfig,
    /// Virtual domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Mail accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Aliases: an address delivering to one or more others
    /// (`@domain` for a catch-all).
    #[command(subcommand)]
    Alias(AliasCommand),
}

/// `domain …`
#[derive(Debug, Subcommand)]
pub(crate) enum DomainCommand {
    /// Adds a domain we receive mail for.
    Add {
        /// The domain, e.g. example.com.
        domain: String,
        /// A description for listings.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Lists domains: one per line, `DOMAIN<TAB>active|inactive<TAB>DESCRIPTION`.
    List,
    /// Removes a domain (refused while it has users or aliases, unless --force).
    Remove {
        /// The domain.
        domain: String,
        /// Also remove its users and aliases (their mail stays on disk).
        #[arg(long)]
        force: bool,
    },
}

/// `user …`
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Adds an account in an existing domain.
    Add {
        /// The address, which is also the login, e.g. alice@example.com.
        address: String,
        #[command(flatten)]
        password: PasswordInput,
        /// Quota in bytes (suffixes K, M, G allowed); none by default.
        #[arg(long, value_name = "BYTES", value_parser = parse_size)]
        quota: Option<u64>,
    },
    /// Lists accounts: one per line, `ADDRESS<TAB>QUOTA|-<TAB>active|inactive`.
    List {
        /// Only the accounts of this domain.
        domain: Option<String>,
    },
    /// Removes an account (its mail stays on disk).
    Remove {
        /// The address.
        address: String,
    },
    /// Sets an account's password.
    Passwd {
        /// The address.
        address: String,
        #[command(flatten)]
        password: PasswordInput,
    },
    /// Sets or removes (`none`) an account's quota.
    Quota {
        /// The address.
        address: String,
        /// Bytes (suffixes K, M, G allowed), or `none`.
        #[arg(value_parser = parse_quota)]
        bytes: Quota,
    },
}

/// Where a new password comes from and how it is hashed.
#[derive(Debug, Args)]
pub(crate) struct PasswordInput {
    /// Read the password from the first line of standard input instead
    /// of prompting for it.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// The hash scheme (Dovecot's names: ARGON2ID, SHA512-CRYPT,
    /// BLF-CRYPT, SSHA512, …). Default: [auth] password_scheme.
    #[arg(long, value_name = "SCHEME")]
    pub(crate) scheme: Option<String>,
}

/// `alias …`
#[derive(Debug, Subcommand)]
pub(crate) enum AliasCommand {
    /// Adds an alias delivering to every TARGET (`@example.com` as the
    /// address makes a catch-all).
    Add {
        /// The alias address.
        address: String,
        /// Where its mail goes.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Lists aliases: one per line, `ADDRESS<TAB>TARGET,TARGET…`.
    List {
        /// Only the aliases of this domain.
        domain: Option<String>,
    },
    /// Removes an alias.
    Remove {
        /// The alias address.
        address: String,
    },
}

/// A quota argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quota {
    /// No limit.
    Unlimited,
    /// At most this many bytes.
    Bytes(u64),
}

/// `10485760`, `10M`, `1G`, `512K`.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, factor) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("not a size: {text:?} (use bytes, or a number with K, M or G)"))
}

fn parse_quota(text: &str) -> Result<Quota, String> {
    if text.eq_ignore_ascii_case("none") {
        Ok(Quota::Unlimited)
    } else {
        parse_size(text).map(Quota::Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(parse_quota("none"), Ok(Quota::Unlimited));
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
