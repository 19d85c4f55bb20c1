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
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailstore::delivery::{DeliveryOptions, LocalDelivery};
use mailstore::directory::{Directory, PasswdFile};
use mailstore::store::maildir_store::MaildirStore;
use smtp_proto::adapter::{ServerOptions, serve_listener};
use smtp_proto::server::ServerConfig;

const TICKS_PER_SECOND: f64 = 100.0;

fn main() {
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().map_or(10_000, |a| a.parse().expect("MESSAGES"));
    let sessions: usize = args.next().map_or(10, |a| a.parse().expect("SESSIONS"));
    let scratch = Scratch::new();
    let users = scratch.0.join("users");
    fs::write(&users, "b@example.com:{PLAIN}secret:65534:65534::::\n").expect("write users");

    let dovecot = Dovecot::start(&scratch.0, &users);
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

/// utime + stime + cutime + cstime of a process, in clock ticks.
fn ticks_of(stat: &str, with_children: bool) -> u64 {
    // The command name is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let fields: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let own = fields.first().copied().unwrap_or(0) + fields.get(1).copied().unwrap_or(0);
    let reaped = fields.get(2).copied().unwrap_or(0) + fields.get(3).copied().unwrap_or(0);
    if with_children { own + reaped } else { own }
}

/// CPU of this process, not counting reaped children (smtp-source).
fn self_ticks() -> u64 {
    ticks_of(&fs::read_to_string("/proc/self/stat").expect("stat"), false)
}

/// CPU of `root` and every process below it, reaped children included.
fn tree_ticks(root: u32) -> u64 {
    let mut parents = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
        let ppid: u32 = rest
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parents.push((pid, ppid, ticks_of(&stat, true)));
    }
    let mut tree = vec![root];
    let mut total = 0;
    while let Some(pid) = tree.pop() {
        for (child, parent, ticks) in &parents {
            if *child == pid {
                total += ticks;
            }
            if *parent == pid {
                tree.push(*child);
            }
        }
    }
    total
}

fn count_files(maildir: &Path) -> usize {
    ["new", "cur"]
        .iter()
        .map(|d| fs::read_dir(maildir.join(d)).map_or(0, |e| e.count()))
        .sum()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let path =
            std::env::temp_dir().join(format!("mailwright-lmtp-load-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("scratch");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Dovecot with only LMTP, on a loopback port, from a throwaway config.
struct Dovecot {
    child: Child,
    port: u16,
}

impl Dovecot {
    fn start(scratch: &Path, users: &Path) -> Dovecot {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let dir = scratch.join("dovecot");
        fs::create_dir_all(dir.join("run")).expect("run dir");
        let conf = dir.join("dovecot.conf");
        fs::write(
            &conf,
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/run\nlog_path = {d}/log\n\
                 protocols = lmtp\nlisten = 127.0.0.1\nssl = no\n\
                 default_internal_user = nobody\ndefault_login_user = nobody\n\
                 mail_location = maildir:{d}/%d/%n/Maildir\n\
                 passdb {{\n  driver = passwd-file\n  args = {users}\n}}\n\
                 userdb {{\n  driver = passwd-file\n  args = {users}\n}}\n\
                 service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n",
                d = dir.display(),
                users = users.display(),
            ),
        )
        .expect("dovecot.conf");
        // The mail belongs to nobody, as the passwd-file says.
        let _ = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(&dir)
            .status();
        let _ = Command::new("chmod").args(["755"]).arg(scratch).status();
        let child = Command::new(tool("dovecot"))
            .arg("-c")
            .arg(&conf)
            .arg("-F")
            .stdin(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "dovecot did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Dovecot { child, port }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
