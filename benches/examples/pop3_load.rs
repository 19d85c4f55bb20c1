//! POP3 load: pop3-proto's adapter serving `Pop3Maildrops` over the
//! Maildir store against Dovecot's POP3 server (Debian `dovecot-pop3d`),
//! side by side in one run, on copies of the same Maildir.
//!
//! 1. **RETR rate.** MESSAGES messages of 4 KiB, all retrieved by one
//!    Python `poplib` session per server; only the RETR loop is timed
//!    (connecting and logging in are reported apart). Each server gets an
//!    untimed warm-up session first (its first login reads every message
//!    for its size, or indexes the Maildir), then ROUNDS timed sessions,
//!    the best kept. Prints seconds, messages per second, server CPU per
//!    message and the ratio. Target: at least 2x Dovecot's rate. The same
//!    again with clients that cost less than poplib's line-by-line Python,
//!    so that the servers' own speed shows: a Python socket reading
//!    pipelined responses without parsing them, and this program as a
//!    client (`--client`), one RETR at a time and pipelined.
//! 2. **Memory of a big RETR.** One message of BIG MiB (default 100) in
//!    the store, retrieved through the adapter by a client in this process
//!    that discards what it reads without allocating. A counting global
//!    allocator gives the peak heap growth over what was allocated just
//!    before RETR was sent. Target: under 256 KiB.
//!
//! Run: `cargo run --release -p mailwright-benches --example pop3_load [-- MESSAGES ROUNDS BIG]`
//! (defaults 1000, 3, 100). Needs `python3`, `dovecot` and
//! `/usr/lib/dovecot/pop3`; scripts/test installs them. Exits with 2,
//! saying what is missing, if one is not there.
//!
//! CPU: ours is this process's user + system time during the RETR loop
//! (the server runs in it; the Python client is another process);
//! Dovecot's is the sum over its master and every process below it.
#![allow(clippy::print_stdout, missing_docs)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailstore::directory::{Directory, PasswdFile, User};
use mailstore::pop3::Pop3Maildrops;
use mailstore::store::maildir_store::MaildirStore;
use mailstore::store::{AppendOptions, Store};
use peak_alloc::PeakAlloc;
use pop3_proto::adapter::{ServerOptions, serve_listener};
use pop3_proto::server::ServerConfig;

#[path = "support/mod.rs"]
mod support;

use support::{Dovecot, Scratch, TICKS_PER_SECOND, self_ticks, tree_ticks};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const USER: &str = "b@example.com";
const PASSWORD: &str = "secret";
const MESSAGE_SIZE: usize = 4096;
const HEAP_TARGET: usize = 256 * 1024;
const RATE_TARGET: f64 = 2.0;

fn main() {
    let all: Vec<String> = std::env::args().collect();
    if all.get(1).map(String::as_str) == Some("--client") {
        native_client(&all[2..]);
        return;
    }
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().map_or(1000, |a| a.parse().expect("MESSAGES"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("ROUNDS"));
    let big_mib: usize = args.next().map_or(100, |a| a.parse().expect("BIG"));
    let python = tool_or_exit("python3", &[], "python3");
    let dovecot = tool_or_exit("dovecot", &["/usr/sbin"], "dovecot-core");
    let pop3 = Path::new("/usr/lib/dovecot/pop3");
    if !pop3.is_file() {
        missing("/usr/lib/dovecot/pop3", "dovecot-pop3d");
    }

    let scratch = Scratch::new("pop3-load");
    let users = scratch.0.join("users");
    fs::write(
        &users,
        format!("{USER}:{{PLAIN}}{PASSWORD}:65534:65534::::\n"),
    )
    .expect("users");
    // One worker for the one connection measured at a time, as Dovecot
    // serves each POP3 connection from one single-threaded process: with a
    // second, idle worker, tokio wakes it on every request (about 13 µs of
    // CPU per round trip here). A server with many connections wants one
    // worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let store: Arc<dyn Store> = Arc::new(MaildirStore::new(scratch.0.join("ours")));

    // The same Maildir for both: written by our store, copied for Dovecot.
    println!("storing {messages} messages of {MESSAGE_SIZE} bytes");
    runtime.block_on(async {
        for n in 0..messages {
            deliver(&*store, &[&message(n, MESSAGE_SIZE)]).await;
        }
    });
    let ours_maildir = scratch.0.join("ours/example.com/b/Maildir");
    let dovecot_dir = scratch.0.join("dovecot");
    let theirs_maildir = dovecot_dir.join("example.com/b/Maildir");
    fs::create_dir_all(theirs_maildir.parent().expect("parent")).expect("mkdir");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&ours_maildir)
        .arg(&theirs_maildir)
        .status()
        .expect("cp");
    assert!(status.success(), "copying the Maildir failed");

    // Ours.
    let backend = Arc::new(Pop3Maildrops::new(
        Directory::new(PasswdFile::open(&users).expect("passwd-file")),
        store.clone(),
    ));
    let mut config = ServerConfig::new("pop3.example.org");
    config.require_tls_for_auth = false;
    let options = Arc::new(ServerOptions::new(config));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let our_port = listener.local_addr().expect("addr").port();
    runtime.spawn(serve_listener(listener, backend, options));

    // Dovecot's, then ours.
    let server = Dovecot::start(&dovecot, &dovecot_dir, &users, |port| {
        format!(
            "protocols = pop3\ndisable_plaintext_auth = no\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener pop3s {{\n    port = 0\n  }}\n}}\n"
        )
    });
    let dovecot_ticks = || tree_ticks(server.child.id());
    let theirs = measure_both(
        "dovecot",
        &python,
        server.port,
        messages,
        rounds,
        &dovecot_ticks,
    );
    drop(server);
    let ours = measure_both(
        "mailwright",
        &python,
        our_port,
        messages,
        rounds,
        &self_ticks,
    );

    for (i, mode) in [
        "Python poplib",
        "raw socket, pipelined, no line parsing",
        "native client, one RETR at a time",
        "native client, pipelined",
    ]
    .iter()
    .enumerate()
    {
        let (theirs, ours) = (&theirs[i], &ours[i]);
        println!();
        println!("RETR of {messages} messages of {MESSAGE_SIZE} bytes, {mode}, best of {rounds}:");
        println!(
            "{:<12} {:>12} {:>10} {:>10} {:>10} {:>12}",
            "server", "first login", "login", "RETR s", "msg/s", "CPU ms/msg"
        );
        for r in [theirs, ours] {
            println!(
                "{:<12} {:>10.1}ms {:>8.1}ms {:>10.3} {:>10.0} {:>12.3}",
                r.name,
                r.first_login * 1000.0,
                r.login * 1000.0,
                r.seconds,
                r.rate(),
                r.cpu_ms_per_message()
            );
        }
        let ratio = ours.rate() / theirs.rate();
        let cpu_ratio = ours.cpu_ms_per_message() / theirs.cpu_ms_per_message();
        println!(
            "ratio ({mode}): {ratio:.2}x Dovecot's rate (target >= {RATE_TARGET:.1}x: {}), \
             {cpu_ratio:.2}x its server CPU per message",
            if ratio >= RATE_TARGET {
                "met"
            } else {
                "NOT met"
            }
        );
    }

    // The big message.
    println!();
    println!("storing one message of {big_mib} MiB");
    let big = big_mib * 1024 * 1024;
    let big_user = "big@example.com";
    runtime.block_on(async {
        let account = store.account(&User::new(big_user)).await.expect("account");
        let mut writer = account.begin_append().await.expect("append");
        let line = [b'x'; 1022];
        let mut written = 0;
        writer.write(b"Subject: big\r\n\r\n").await.expect("write");
        written += 16;
        while written < big {
            writer.write(&line).await.expect("write");
            writer.write(b"\r\n").await.expect("write");
            written += line.len() + 2;
        }
        let staged = writer.finish().await.expect("finish");
        account
            .deliver("INBOX", staged, AppendOptions::default())
            .await
            .expect("deliver");
    });
    fs::write(
        &users,
        format!(
            "{USER}:{{PLAIN}}{PASSWORD}:65534:65534::::\n\
             {big_user}:{{PLAIN}}{PASSWORD}:65534:65534::::\n"
        ),
    )
    .expect("users");
    let backend = Arc::new(Pop3Maildrops::new(
        Directory::new(PasswdFile::open(&users).expect("passwd-file")),
        store.clone(),
    ));
    let mut config = ServerConfig::new("pop3.example.org");
    config.require_tls_for_auth = false;
    let options = ServerOptions::new(config);
    let read_size = options.read_size;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    runtime.spawn(serve_listener(listener, backend, Arc::new(options)));
    let big_retr = retrieve_big(port, big_user);
    println!(
        "RETR of {} octets in {:.2}s ({:.0} MiB/s), read_size {} KiB",
        big_retr.octets,
        big_retr.seconds,
        big_retr.octets as f64 / 1048576.0 / big_retr.seconds,
        read_size / 1024
    );
    println!(
        "heap growth during RETR: peak {:.1} KiB over the {:.1} KiB held before it \
         (target < {} KiB: {}); whole session from before connecting: {:.1} KiB",
        big_retr.peak_growth as f64 / 1024.0,
        big_retr.before as f64 / 1024.0,
        HEAP_TARGET / 1024,
        if big_retr.peak_growth < HEAP_TARGET {
            "met"
        } else {
            "NOT met"
        },
        big_retr.session_growth as f64 / 1024.0,
    );
    drop(runtime);
}

/// Message `n`: a header, then 76-character lines up to `size` octets,
/// CRLF.
fn message(n: usize, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: a@example.com\r\nTo: {USER}\r\nSubject: message {n}\r\n\
         Message-ID: <{n}@example.com>\r\n\r\n"
    )
    .into_bytes();
    let mut line = 0;
    while m.len() + 78 <= size {
        let text = format!("{n:06} line {line:04} ");
        m.extend_from_slice(text.as_bytes());
        m.extend(std::iter::repeat_n(b'.', 76 - text.len()));
        m.extend_from_slice(b"\r\n");
        line += 1;
    }
    m.extend(std::iter::repeat_n(b'z', size - m.len() - 2));
    m.extend_from_slice(b"\r\n");
    m
}

async fn deliver(store: &dyn Store, chunks: &[&[u8]]) {
    let account = store.account(&User::new(USER)).await.expect("account");
    let mut writer = account.begin_append().await.expect("append");
    for chunk in chunks {
        writer.write(chunk).await.expect("write");
    }
    let staged = writer.finish().await.expect("finish");
    account
        .deliver("INBOX", staged, AppendOptions::default())
        .await
        .expect("deliver");
}

struct Measured {
    name: &'static str,
    messages: usize,
    first_login: f64,
    login: f64,
    seconds: f64,
    cpu_seconds: f64,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    fn cpu_ms_per_message(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.messages as f64
    }
}

/// The client: logs in (timed apart), retrieves every message (timed),
/// quits without deleting. Prints `count octets login_s retr_s`. With
/// `--login-only`, only logs in and quits; with `--raw`, sends every RETR
/// at once (PIPELINING) on the socket and reads the bytes without
/// parsing lines, counting terminators: the server's speed rather than
/// poplib's.
const CLIENT: &str = r#"
import poplib, sys, time
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = time.perf_counter()
p = poplib.POP3("127.0.0.1", port, timeout=600)
p.user(user)
p.pass_(password)
count, size = p.stat()
logged_in = time.perf_counter()
octets = 0
if "--login-only" not in sys.argv:
    sys.stdout.write("go\n"); sys.stdout.flush(); sys.stdin.readline()
    logged_in = time.perf_counter()
    if "--raw" in sys.argv:
        p.sock.sendall(b"".join(b"RETR %d\r\n" % n for n in range(1, count + 1)))
        seen, tail = 0, b""
        while seen < count:
            chunk = p.sock.recv(1 << 20)
            if not chunk:
                raise SystemExit("connection closed")
            octets += len(chunk)
            seen += (tail + chunk).count(b"\r\n.\r\n")
            tail = (tail + chunk)[-4:]
    else:
        for n in range(1, count + 1):
            resp, lines, o = p.retr(n)
            octets += o
done = time.perf_counter()
p.quit()
print(count, octets, logged_in - start, done - logged_in)
"#;

/// The native client (this program with `--client PORT USER PASSWORD
/// MODE`): logs in, says `go`, waits for a line on stdin, retrieves every
/// message (`lockstep`: one RETR at a time; `pipelined`: all at once),
/// counting terminators without parsing lines, and prints what the Python
/// client prints. A client this light leaves the time to the server.
fn native_client(args: &[String]) {
    let port: u16 = args[0].parse().expect("port");
    let (user, password, mode) = (&args[1], &args[2], args[3].as_str());
    let start = Instant::now();
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut line = String::new();
    let mut response = |reader: &mut BufReader<TcpStream>| {
        line.clear();
        reader.read_line(&mut line).expect("response");
        assert!(line.starts_with("+OK"), "{line}");
        line.clone()
    };
    response(&mut reader);
    write!(writer, "USER {user}\r\nPASS {password}\r\nSTAT\r\n").expect("login");
    response(&mut reader);
    response(&mut reader);
    let stat = response(&mut reader);
    let count: usize = stat
        .split_whitespace()
        .nth(1)
        .expect("count")
        .parse()
        .expect("count");
    let logged_in = start.elapsed().as_secs_f64();
    println!("go");
    std::io::stdout().flush().expect("stdout");
    std::io::stdin()
        .read_line(&mut String::new())
        .expect("stdin");
    let retr_start = Instant::now();
    let mut octets = 0u64;
    let finder = memchr::memmem::Finder::new(b"\r\n.\r\n");
    let mut buf = vec![0u8; 1 << 16];
    // The last 4 bytes read, so a terminator split between reads is seen.
    let mut carry: Vec<u8> = Vec::with_capacity(4 + buf.len());
    let mut read_messages = |reader: &mut BufReader<TcpStream>, wanted: usize| {
        let mut seen = 0;
        while seen < wanted {
            let n = reader.read(&mut buf).expect("read");
            assert!(n > 0, "connection closed");
            octets += n as u64;
            carry.extend_from_slice(&buf[..n]);
            seen += finder.find_iter(&carry).count();
            let keep = carry.len().min(4);
            carry.drain(..carry.len() - keep);
        }
        assert_eq!(seen, wanted, "a terminator too many");
    };
    if mode == "pipelined" {
        let commands: String = (1..=count).map(|n| format!("RETR {n}\r\n")).collect();
        let sender = std::thread::spawn(move || {
            writer.write_all(commands.as_bytes()).expect("send");
            writer
        });
        read_messages(&mut reader, count);
        writer = sender.join().expect("sender");
    } else {
        for n in 1..=count {
            write!(writer, "RETR {n}\r\n").expect("send");
            read_messages(&mut reader, 1);
        }
    }
    let seconds = retr_start.elapsed().as_secs_f64();
    writer.write_all(b"QUIT\r\n").expect("quit");
    // The server releases the maildrop once QUIT's update is done.
    response(&mut reader);
    println!("{count} {octets} {logged_in} {seconds}");
}

/// How the client retrieves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    LoginOnly,
    Poplib,
    Raw,
    /// This program as the client: each RETR read whole before the next.
    NativeLockstep,
    /// This program as the client: every RETR sent at once.
    NativePipelined,
}

/// One client session; with `ticks`, the CPU of the RETR loop.
fn client(
    python: &Path,
    port: u16,
    mode: Mode,
    ticks: &dyn Fn() -> u64,
) -> (usize, u64, f64, f64, u64) {
    let mut command = match mode {
        Mode::NativeLockstep | Mode::NativePipelined => {
            let mut command = Command::new(std::env::current_exe().expect("this program"));
            command.arg("--client");
            command
        }
        _ => {
            let mut command = Command::new(python);
            command.arg("-c").arg(CLIENT);
            command
        }
    };
    command.arg(port.to_string()).arg(USER).arg(PASSWORD);
    match mode {
        Mode::LoginOnly => {
            command.arg("--login-only");
        }
        Mode::Raw => {
            command.arg("--raw");
        }
        Mode::NativeLockstep => {
            command.arg("lockstep");
        }
        Mode::NativePipelined => {
            command.arg("pipelined");
        }
        Mode::Poplib => {}
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let mut cpu = 0;
    if mode != Mode::LoginOnly {
        stdout.read_line(&mut line).expect("client output");
        assert_eq!(line, "go\n", "the Python client failed");
        line.clear();
        let before = ticks();
        stdin.write_all(b"\n").expect("client input");
        stdout.read_line(&mut line).expect("client output");
        cpu = ticks() - before;
    } else {
        stdout.read_line(&mut line).expect("client output");
    }
    let status = child.wait().expect("python3");
    assert!(status.success(), "the Python client failed: {status}");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "client printed {line:?}");
    (
        fields[0].parse().expect("count"),
        fields[1].parse().expect("octets"),
        fields[2].parse().expect("login"),
        fields[3].parse().expect("seconds"),
        cpu,
    )
}

/// A warm-up session, then the poplib rounds and the raw rounds.
fn measure_both(
    name: &'static str,
    python: &Path,
    port: u16,
    messages: usize,
    rounds: usize,
    ticks: &dyn Fn() -> u64,
) -> [Measured; 4] {
    println!("{name}: warm-up session");
    let (count, _, first_login, _, _) = client(python, port, Mode::LoginOnly, ticks);
    assert_eq!(count, messages, "{name} lists every message");
    [
        Mode::Poplib,
        Mode::Raw,
        Mode::NativeLockstep,
        Mode::NativePipelined,
    ]
    .map(|mode| {
        let mut best: Option<Measured> = None;
        for round in 1..=rounds {
            let (count, octets, login, seconds, cpu) = client(python, port, mode, ticks);
            assert_eq!(count, messages, "{name} lists every message");
            assert!(
                octets >= (messages * MESSAGE_SIZE) as u64,
                "{name} sent {octets} octets"
            );
            println!(
                "{name}: {} round {round}: RETR {seconds:.3}s, {:.0} msg/s",
                match mode {
                    Mode::Raw => "raw",
                    Mode::NativeLockstep => "native lockstep",
                    Mode::NativePipelined => "native pipelined",
                    _ => "poplib",
                },
                messages as f64 / seconds
            );
            let this = Measured {
                name,
                messages,
                first_login,
                login,
                seconds,
                cpu_seconds: cpu as f64 / TICKS_PER_SECOND,
            };
            if best.as_ref().is_none_or(|b| this.seconds < b.seconds) {
                best = Some(this);
            }
        }
        best.expect("at least one round")
    })
}

struct BigRetr {
    octets: u64,
    seconds: f64,
    before: usize,
    peak_growth: usize,
    session_growth: usize,
}

/// Retrieves message 1 of `user` over a plain socket in this process,
/// discarding it with one buffer allocated beforehand, and measures the
/// heap meanwhile.
fn retrieve_big(port: u16, user: &str) -> BigRetr {
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let mut buf = vec![0u8; 64 * 1024];
    let reply = |stream: &mut TcpStream, command: &str| -> String {
        if !command.is_empty() {
            stream.write_all(command.as_bytes()).expect("send");
        }
        let mut line = Vec::new();
        let mut byte = [0u8];
        while !line.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).expect("reply");
            line.push(byte[0]);
        }
        String::from_utf8_lossy(&line).into_owned()
    };
    assert!(reply(&mut stream, "").starts_with("+OK"));
    assert!(reply(&mut stream, &format!("USER {user}\r\n")).starts_with("+OK"));
    assert!(reply(&mut stream, &format!("PASS {PASSWORD}\r\n")).starts_with("+OK"));
    let stat = reply(&mut stream, "STAT\r\n");
    assert!(stat.starts_with("+OK 1 "), "{stat}");
    let retr = b"RETR 1\r\n";

    // Measured from here: nothing below allocates on the client's side.
    let before = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let started = Instant::now();
    stream.write_all(retr).expect("send");
    // Reads to the terminating CRLF.CRLF (the +OK line included).
    let end = b"\r\n.\r\n";
    let mut matched = 0;
    let mut octets: u64 = 0;
    'read: loop {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed during RETR");
        for (i, &b) in buf[..n].iter().enumerate() {
            matched = if b == end[matched] {
                matched + 1
            } else if b == end[0] {
                1
            } else {
                0
            };
            if matched == end.len() {
                octets += i as u64 + 1;
                break 'read;
            }
        }
        octets += n as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = HEAP.peak_usage();
    let session_peak = peak.max(before);
    assert!(reply(&mut stream, "QUIT\r\n").starts_with("+OK"));
    BigRetr {
        octets,
        seconds,
        before: before.saturating_sub(start),
        peak_growth: peak.saturating_sub(before),
        session_growth: session_peak.saturating_sub(start),
    }
}

/// A tool on PATH or in `dirs`, or a clear message and exit status 2.
fn tool_or_exit(name: &str, dirs: &[&str], package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(dirs.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| missing(name, package))
}

fn missing(name: &str, package: &str) -> ! {
    eprintln!(
        "pop3_load needs `{name}` (Debian package `{package}`), which is not installed; \
         scripts/test installs it"
    );
    std::process::exit(2)
}
