//! LMTP delivery load: our `LocalDelivery` over the Maildir store against
//! Dovecot's LMTP server (Debian `dovecot-lmtpd`), side by side in one
//! run, with the same users (one passwd-file), the same load (Postfix's
//! `smtp-source -L`) and fsync on both sides. Prints messages per second,
//! CPU per message and the ratios.
//!
//! Run: `cargo run --release -p mailwright-benches --example lmtp_load [-- MESSAGES SESSIONS]`
//! (default 10,000 messages of 4 KiB over 10 sessions). Needs `dovecot`,
//! `/usr/lib/dovecot/lmtp` and `smtp-source`; scripts/test installs them.
//!
//! CPU: ours is this process's user + system time during the run (the
//! server runs in it; `smtp-source` is another process); Dovecot's is the
//! sum over its master and every process below it, reaped children
//! included.
#![allow(clippy::print_stdout, missing_docs)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use mailstore::delivery::{DeliveryOptions, LocalDelivery};
use mailstore::directory::{Directory, PasswdFile};
use mailstore::store::maildir_store::MaildirStore;
use smtp_proto::adapter::{ServerOptions, serve_listener};
use smtp_proto::server::ServerConfig;

#[path = "support/mod.rs"]
mod support;

use support::{Dovecot, Scratch, TICKS_PER_SECOND, self_ticks, tree_ticks};

fn main() {
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().map_or(10_000, |a| a.parse().expect("MESSAGES"));
    let sessions: usize = args.next().map_or(10, |a| a.parse().expect("SESSIONS"));
    let scratch = Scratch::new("lmtp-load");
    let users = scratch.0.join("users");
    fs::write(&users, "b@example.com:{PLAIN}secret:65534:65534::::\n").expect("write users");

    let dovecot = Dovecot::start(
        &tool("dovecot"),
        &scratch.0.join("dovecot"),
        &users,
        |port| {
            format!(
                "protocols = lmtp\n\
                 service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n"
            )
        },
    );
    let theirs = run_load("dovecot", dovecot.port, messages, sessions, || {
        tree_ticks(dovecot.child.id())
    });
    let their_files = count_files(&scratch.0.join("dovecot/example.com/b/Maildir"));
    drop(dovecot);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let directory = Directory::new(PasswdFile::open(&users).expect("passwd-file"));
    let store = Arc::new(MaildirStore::new(scratch.0.join("ours")));
    let mut options = DeliveryOptions::default();
    options.hostname = "lmtp.example.org".into();
    let delivery = Arc::new(LocalDelivery::with_options(directory, store, options));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server_options = Arc::new(ServerOptions::new(ServerConfig::lmtp("lmtp.example.org")));
    runtime.spawn(serve_listener(listener, delivery, server_options));
    let ours = run_load("mailwright", port, messages, sessions, self_ticks);
    let our_files = count_files(&scratch.0.join("ours/example.com/b/Maildir"));

    assert_eq!(their_files, messages, "Dovecot stored every message");
    assert_eq!(our_files, messages, "we stored every message");
    println!(
        "{:<12} {:>10} {:>10} {:>14}",
        "server", "seconds", "msg/s", "CPU ms/msg"
    );
    for r in [&theirs, &ours] {
        println!(
            "{:<12} {:>10.2} {:>10.0} {:>14.3}",
            r.name,
            r.seconds,
            r.rate(),
            r.cpu_ms_per_message()
        );
    }
    println!(
        "ratio: {:.2}x Dovecot's rate, {:.2}x its CPU per message",
        ours.rate() / theirs.rate(),
        ours.cpu_ms_per_message() / theirs.cpu_ms_per_message()
    );
}

struct Result {
    name: &'static str,
    messages: usize,
    seconds: f64,
    cpu_seconds: f64,
}

impl Result {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    fn cpu_ms_per_message(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.messages as f64
    }
}

fn run_load(
    name: &'static str,
    port: u16,
    messages: usize,
    sessions: usize,
    ticks: impl Fn() -> u64,
) -> Result {
    let before = ticks();
    let started = Instant::now();
    let status = Command::new(tool("smtp-source"))
        .args([
            "-L",
            "-s",
            &sessions.to_string(),
            "-m",
            &messages.to_string(),
        ])
        .args(["-l", "4096", "-f", "a@example.com", "-t", "b@example.com"])
        .arg(format!("127.0.0.1:{port}"))
        .status()
        .expect("run smtp-source");
    let seconds = started.elapsed().as_secs_f64();
    assert!(status.success(), "smtp-source against {name}: {status}");
    let cpu_seconds = (ticks() - before) as f64 / TICKS_PER_SECOND;
    Result {
        name,
        messages,
        seconds,
        cpu_seconds,
    }
}

fn tool(name: &str) -> PathBuf {
    ["/usr/bin", "/usr/sbin", "/usr/lib/dovecot"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed (scripts/test installs it)"))
}

fn count_files(maildir: &Path) -> usize {
    ["new", "cur"]
        .iter()
        .map(|d| fs::read_dir(maildir.join(d)).map_or(0, |e| e.count()))
        .sum()
}
