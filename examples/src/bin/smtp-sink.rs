//! `smtp-sink`: an SMTP or LMTP server that accepts every message and
//! stores it in a directory — for testing mail clients and load tools.
//!
//! ```text
//! smtp-sink --dir ./sink                       # SMTP on 127.0.0.1:2525
//! smtp-sink --dir ./sink --listen 127.0.0.1:0  # any free port
//! smtp-sink --dir ./sink --lmtp                # LMTP
//! smtp-sink --dir ./sink --starttls --user tim:secret --require-auth
//! smtp-sink --dir ./sink --implicit-tls --cert cert.pem --key key.pem
//! ```
//!
//! At start it prints one line, `listening on IP:PORT`, to standard output;
//! then it serves until it is killed. Each message is streamed to
//! `DIR/tmp/<name>`, fsynced and renamed to `DIR/new/<name>.eml`, beside
//! `DIR/new/<name>.envelope` (`from <addr>`, then `to <addr>` per
//! recipient, the null sender written `<>`); only then is the message
//! acknowledged (250, and for LMTP one 250 per recipient).
//!
//! With `--user NAME:PASSWORD` (repeatable) the sink offers AUTH with
//! SCRAM-SHA-256(-PLUS), SCRAM-SHA-1(-PLUS), CRAM-MD5, PLAIN and LOGIN —
//! over TLS only unless `--allow-plaintext-auth`. Passwords given on the
//! command line are visible to other local users: this is a test tool.

#[path = "../sink/mod.rs"]
mod sink;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sasl::Mechanism;
use sasl::memory::MemoryStore;
use smtp_proto::adapter::{RustlsAcceptor, ServerOptions, serve_listener};
use smtp_proto::server::ServerConfig;

use sink::backend::SinkBackend;
use sink::spool::Spool;

/// An SMTP/LMTP sink that stores every message it receives in a directory.
#[derive(Debug, Parser)]
#[command(name = "smtp-sink", version)]
struct Args {
    /// Address to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2525")]
    listen: SocketAddr,
    /// Directory to store messages in (created if missing): DIR/new/*.eml
    /// with DIR/new/*.envelope beside each.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Speak LMTP (LHLO, one reply per recipient) instead of SMTP.
    #[arg(long)]
    lmtp: bool,
    /// Offer STARTTLS.
    #[arg(long, conflicts_with = "implicit_tls")]
    starttls: bool,
    /// TLS from the first byte (SMTPS).
    #[arg(long)]
    implicit_tls: bool,
    /// TLS certificate chain (PEM); without it a self-signed certificate
    /// for localhost and 127.0.0.1 is generated at start.
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,
    /// A user for AUTH (repeatable); enables AUTH with PLAIN, LOGIN,
    /// CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Refuse MAIL before AUTH (the policy of submission).
    #[arg(long)]
    require_auth: bool,
    /// Allow AUTH without TLS (by default AUTH is offered only over TLS).
    #[arg(long)]
    allow_plaintext_auth: bool,
    /// The largest message accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_size: Option<u64>,
    /// Host name in the greeting and the EHLO reply.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    hostname: String,
}

fn parse_user(value: &str) -> Result<(String, String), String> {
    match value.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_string(), password.to_string())),
        _ => Err("expected NAME:PASSWORD with a non-empty NAME".to_string()),
    }
}

/// The mechanisms offered with `--user`, strongest first. The -PLUS
/// variants are offered only on TLS connections with channel bindings;
/// offering them there keeps SCRAM clients that can bind from being refused
/// as a downgrade.
const MECHANISMS: [Mechanism; 7] = [
    Mechanism::ScramSha256Plus,
    Mechanism::ScramSha256,
    Mechanism::ScramSha1Plus,
    Mechanism::ScramSha1,
    Mechanism::CramMd5,
    Mechanism::Plain,
    Mechanism::Login,
];

/// Checks the combinations clap cannot express.
fn validate(args: &Args) -> Result<(), String> {
    let tls = args.starttls || args.implicit_tls;
    if args.cert.is_some() && !tls {
        return Err("--cert and --key need --starttls or --implicit-tls".to_string());
    }
    if args.require_auth && args.users.is_empty() {
        return Err("--require-auth needs at least one --user".to_string());
    }
    if !args.users.is_empty() && !tls && !args.allow_plaintext_auth {
        return Err(
            "--user without --starttls or --implicit-tls needs --allow-plaintext-auth \
             (AUTH is otherwise offered only over TLS)"
                .to_string(),
        );
    }
    if args.max_size == Some(0) {
        return Err("--max-size must be at least 1".to_string());
    }
    Ok(())
}

fn server_options(args: &Args) -> Result<ServerOptions, String> {
    let mut config = if args.lmtp {
        ServerConfig::lmtp(args.hostname.clone())
    } else {
        ServerConfig::new(args.hostname.clone())
    };
    if !args.users.is_empty() {
        config.auth_mechanisms = MECHANISMS.to_vec();
    }
    config.require_tls_for_auth = !args.allow_plaintext_auth;
    config.require_auth = args.require_auth;
    if let Some(max) = args.max_size {
        config.max_message_size = max;
    }
    let options = ServerOptions::new(config);
    if !(args.starttls || args.implicit_tls) {
        return Ok(options);
    }
    let acceptor: RustlsAcceptor = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => sink::tls::from_files(cert, key)
            .map_err(|error| format!("cannot load the certificate: {error}"))?,
        _ => sink::tls::self_signed(&args.hostname)
            .map_err(|error| format!("cannot generate a certificate: {error}"))?,
    };
    let acceptor = Arc::new(acceptor);
    Ok(if args.implicit_tls {
        options.with_implicit_tls(acceptor)
    } else {
        options.with_starttls(acceptor)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(message) = validate(&args) {
        eprintln!("smtp-sink: {message}");
        return ExitCode::from(2);
    }
    let options = match server_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("smtp-sink: {message}");
            return ExitCode::FAILURE;
        }
    };
    let spool = match Spool::open(&args.dir) {
        Ok(spool) => Arc::new(spool),
        Err(error) => {
            eprintln!("smtp-sink: cannot use {}: {error}", args.dir.display());
            return ExitCode::FAILURE;
        }
    };
    let users = (!args.users.is_empty()).then(|| {
        let mut store = MemoryStore::new();
        for (name, password) in &args.users {
            store.add_plaintext(name.clone(), password);
        }
        store
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("smtp-sink: cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let local = match listener.local_addr() {
        Ok(local) => local,
        Err(error) => {
            eprintln!("smtp-sink: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The one line on standard output: callers learn the port from it.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {local}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("smtp-sink: cannot write to standard output");
        return ExitCode::FAILURE;
    }
    drop(stdout);

    let backend = Arc::new(SinkBackend::new(spool, users));
    // Serves until the process is killed (failed accepts are retried), so
    // coming back at all is a failure.
    match serve_listener(listener, backend, Arc::new(options)).await {
        Ok(()) => eprintln!("smtp-sink: stopped serving"),
        Err(error) => eprintln!("smtp-sink: {error}"),
    }
    ExitCode::FAILURE
}
