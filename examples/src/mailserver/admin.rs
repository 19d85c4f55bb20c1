//! The administration commands: domains, users and aliases in the SQL
//! directory, through mailstore's Postfixadmin-compatible admin API.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command as Process, Stdio};

use mailstore::directory::SqlDirectory;

use super::cli::{AliasCommand, DomainCommand, PasswordInput, Quota, UserCommand};
use super::config::Loaded;
use super::directory;
use super::failure::Failure;

/// Runs one administration command; its output goes to `out`.
pub(crate) fn run(loaded: &Loaded, command: Admin, out: &mut dyn Write) -> Result<(), Failure> {
    // The password is read before any database work, so a prompt is not
    // interleaved with log output and a failed read changes nothing.
    let password = match &command {
        Admin::User(UserCommand::Add { password, .. } | UserCommand::Passwd { password, .. }) => {
            Some(read_password(password)?)
        }
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Unavailable(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let sql = directory::open(loaded).await?;
        let result = execute(loaded, &sql, command, password, out).await;
        sql.close().await;
        result
    })
}

/// An administration command from the command line.
#[derive(Debug)]
pub(crate) enum Admin {
    Domain(DomainCommand),
    User(UserCommand),
    Alias(AliasCommand),
}

async fn execute(
    loaded: &Loaded,
    sql: &SqlDirectory,
    command: Admin,
    password: Option<String>,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let failed = |e: mailstore::Error| Failure::from_store(&e);
    let written = |e: std::io::Error| Failure::Unavailable(format!("cannot write: {e}"));
    let password = password.unwrap_or_default();
    match command {
        Admin::Domain(DomainCommand::Add {
            domain,
            description,
        }) => sql.add_domain(&domain, &description).await.map_err(failed),
        Admin::Domain(DomainCommand::Remove { domain, force }) => {
            sql.remove_domain(&domain, force).await.map_err(failed)
        }
        Admin::Domain(DomainCommand::List) => {
            for entry in sql.list_domains().await.map_err(failed)? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    entry.domain,
                    active(entry.active),
                    entry.description
                )
                .map_err(written)?;
            }
            Ok(())
        }
        Admin::User(UserCommand::Add {
            address,
            password: input,
            quota,
        }) => {
            let scheme = scheme(loaded, &input)?;
            sql.add_user(&address, &password, scheme)
                .await
                .map_err(failed)?;
            if quota.is_some() {
                sql.set_quota(&address, quota).await.map_err(failed)?;
            }
            Ok(())
        }
        Admin::User(UserCommand::Passwd {
            address,
            password: input,
        }) => {
            let scheme = scheme(loaded, &input)?;
            sql.set_password(&address, &password, scheme)
                .await
                .map_err(failed)
        }
        Admin::User(UserCommand::Quota { address, bytes }) => {
            let bytes = match bytes {
                Quota::Unlimited => None,
                Quota::Bytes(bytes) => Some(bytes),
            };
            sql.set_quota(&address, bytes).await.map_err(failed)
        }
        Admin::User(UserCommand::Remove { address }) => {
            sql.remove_user(&address).await.map_err(failed)
        }
        Admin::User(UserCommand::List { domain }) => {
            for entry in sql.list_users(domain.as_deref()).await.map_err(failed)? {
                let quota = entry
                    .quota
                    .map_or_else(|| "-".to_owned(), |q| q.to_string());
                writeln!(out, "{}\t{quota}\t{}", entry.address, active(entry.active))
                    .map_err(written)?;
            }
            Ok(())
        }
        Admin::Alias(AliasCommand::Add { address, targets }) => {
            sql.add_alias(&address, &targets).await.map_err(failed)
        }
        Admin::Alias(AliasCommand::Remove { address }) => {
            sql.remove_alias(&address).await.map_err(failed)
        }
        Admin::Alias(AliasCommand::List { domain }) => {
            for entry in sql.list_aliases(domain.as_deref()).await.map_err(failed)? {
                writeln!(out, "{}\t{}", entry.address, entry.targets.join(",")).map_err(written)?;
            }
            Ok(())
        }
    }
}

fn active(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

fn scheme(loaded: &Loaded, input: &PasswordInput) -> Result<sasl::Scheme, Failure> {
    match &input.scheme {
        None => Ok(loaded.password_scheme),
        Some(name) => name
            .parse()
            .map_err(|_| Failure::Usage(format!("unknown password scheme {name:?}"))),
    }
}

/// The new password: the first line of standard input, or typed twice at
/// a prompt on the terminal without echo.
fn read_password(input: &PasswordInput) -> Result<String, Failure> {
    let password = if input.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Unavailable(format!("cannot read standard input: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        prompt_twice()?
    };
    if password.is_empty() {
        return Err(Failure::Refused("the password is empty".into()));
    }
    Ok(password)
}

fn prompt_twice() -> Result<String, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "no terminal to ask for the password on: give it with --password-stdin".into(),
        ));
    }
    let first = prompt("Password: ")?;
    let second = prompt("Again: ")?;
    if first != second {
        return Err(Failure::Refused("the passwords differ".into()));
    }
    Ok(first)
}

/// Reads one line from the terminal with echo off (`stty -echo`, so no
/// terminal code of our own), restoring echo afterwards.
fn prompt(text: &str) -> Result<String, Failure> {
    let stty = |arg: &str| {
        Process::new("stty")
            .arg(arg)
            .stdin(Stdio::inherit())
            .status()
            .is_ok_and(|status| status.success())
    };
    eprint!("{text}");
    let silenced = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if silenced {
        stty("echo");
    }
    eprintln!();
    read.map_err(|e| Failure::Unavailable(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
