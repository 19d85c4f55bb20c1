//! The reference mail server: the command line, the configuration, the
//! services composed from Mailwright's crates, and the admin commands.

mod admin;
mod check;
pub(crate) mod cli;
mod config;
mod directory;
mod failure;
mod limits;
mod listeners;
mod logging;
mod received;
mod serve;
mod smtp_service;
mod tls;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use admin::Admin;
use cli::{Cli, Command};
use config::Loaded;
use failure::Failure;

/// Parses the command line and runs the command; the exit status says
/// how it went (see `mailserver --help`).
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("mailserver: {failure}");
            failure.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let stdout = &mut std::io::stdout().lock();
    if let Command::DefaultConfig = cli.command {
        return stdout
            .write_all(config::DEFAULTS.as_bytes())
            .map_err(|e| Failure::Unavailable(format!("cannot write: {e}")));
    }
    let loaded = Loaded::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve::run(&loaded),
        Command::CheckConfig => check::run(&loaded, stdout),
        Command::DefaultConfig => Ok(()),
        Command::Domain(command) => admin::run(&loaded, Admin::Domain(command), stdout),
        Command::User(command) => admin::run(&loaded, Admin::User(command), stdout),
        Command::Alias(command) => admin::run(&loaded, Admin::Alias(command), stdout),
    }
}
