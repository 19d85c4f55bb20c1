//! SMTP receive load: our reference server (`mailserver`, the binary)
//! against Postfix, side by side in one run, both delivering to a Maildir
//! with fsync (ours before its 250 reply, Postfix's virtual(8) after it),
//! the same load from Postfix's `smtp-source` (MESSAGES messages of 4 KiB,
//! one per connection, from 10 and then 100 parallel sessions). Prints
//! seconds, messages per second, server CPU per message and the ratios,
//! with the targets: at most 0.25 ms of CPU per message and at least 3x
//! Postfix's rate. Then memory: our server's resident set idle and with
//! 1,000 SMTP sessions open at once (targets: under 30 MiB and under
//! 100 MiB), and Postfix's for the same 1,000 sessions.
//!
//! Run as root (Postfix starts only as root):
//! `cargo run --release -p mailwright-benches --example smtp_load [-- MESSAGES]`
//! (default 10,000). It builds `mailserver` itself (`cargo build --release
//! -p mailwright-examples --bin mailserver`) and runs it from
//! `$CARGO_TARGET_DIR/release` or the workspace's `target/release`
//! (`MAILSERVER=PATH` runs that binary instead, without building). Needs
//! `postfix` and `smtp-source` (Debian package `postfix`); exits with 2,
//! saying what is missing, if they are not there.
//!
//! Each round sends to a recipient of its own (`r10@`, `r100@`), so no
//! round begins by deleting the last one's messages, and begins after
//! `sync` and a wait of 61 s (`SMTP_LOAD_SETTLE=SECONDS` changes it) that
//! lets earlier deletions age out of ext4's inode-reuse check (see
//! `settle`), so that both servers start every round on a filesystem in
//! the same state.
//!
//! Postfix runs from a throwaway configuration (its own config, queue and
//! data directories in a scratch directory, no chroot, log to a file) on a
//! loopback port, delivering `b@example.com` to a virtual Maildir.
//!
//! Wall time runs from the start of `smtp-source` until every message is
//! in the recipient's Maildir: Postfix queues a message, answers 250 and
//! delivers later, so stopping at the client's last reply would leave its
//! deliveries out. CPU: ours is the `mailserver` process's user + system
//! time (all its threads); Postfix's is the sum over its master and every
//! process below it, reaped children included. `smtp-source` counts for
//! neither.
#![allow(clippy::print_stdout, missing_docs)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// This program uses only part of what the load examples share.
#[allow(dead_code)]
#[path = "support/mod.rs"]
mod support;

#[path = "smtp_load/floor.rs"]
mod floor;

use support::{Scratch, TICKS_PER_SECOND, tree_pids, tree_ticks};

const SESSIONS: [usize; 2] = [10, 100];
const MESSAGE_SIZE: usize = 4096;
const CPU_TARGET_MS: f64 = 0.25;
const RATE_TARGET: f64 = 3.0;
const IDLE_TARGET_MIB: f64 = 30.0;
const SESSIONS_TARGET_MIB: f64 = 100.0;
/// Simultaneous sessions of the memory measurement.
const OPEN_SESSIONS: usize = 1000;
/// The open files this process and the servers it starts need: the
/// sessions, plus margin for the servers' own files.
const NOFILE_WANTED: u64 = 4096;
/// Set when this program has re-executed itself with a higher limit.
const NOFILE_RAISED: &str = "SMTP_LOAD_NOFILE_RAISED";
/// Postfix's virtual(8) refuses uids below 100: the mail belongs to nobody.
const MAIL_UID: u32 = 65534;
/// The seconds a round waits, after `sync`, for the files deleted before
/// it to age out of ext4's recently-deleted window (below); `SMTP_LOAD_SETTLE`
/// overrides.
const SETTLE_SECONDS: u64 = 61;
const PASSWORD: &str = "secret";

fn main() {
    raise_open_files();
    let messages: usize = std::env::args()
        .nth(1)
        .map_or(10_000, |a| a.parse().expect("MESSAGES"));
    let postfix = tool_or_exit("postfix");
    let smtp_source = tool_or_exit("smtp-source");
    let smtp_sink = tool_or_exit("smtp-sink");
    if !is_root() {
        eprintln!("smtp_load runs Postfix, which starts only as root: run it as root");
        std::process::exit(2);
    }
    let mailserver = build_mailserver();
    let scratch = Scratch::new("smtp-load");

    // Ours first, freshly started, for its idle memory.
    let ours = Ours::start(&mailserver, &scratch.0.join("ours"));
    let idle = memory_of(ours.pid());
    std::thread::sleep(Duration::from_secs(3));
    let idle_later = memory_of(ours.pid());
    let busy = hold_sessions(ours.port, OPEN_SESSIONS, || memory_of(ours.pid()))
        .unwrap_or_else(|e| panic!("{OPEN_SESSIONS} sessions with our server: {e}"));
    // Time for the server to see the sessions closed.
    std::thread::sleep(Duration::from_secs(1));
    let after = memory_of(ours.pid());

    settle();
    let floor_load = Load {
        smtp_source: &smtp_source,
        messages,
        sessions: SESSIONS[0],
    };
    let floors = floor::measure(
        &smtp_sink,
        &scratch.0.join("floor"),
        messages,
        MESSAGE_SIZE,
        |port| floor_load.send("smtp-sink", port),
    );

    let theirs = Postfix::start(&postfix, &scratch.0.join("postfix"));
    let mut rounds = Vec::new();
    for sessions in SESSIONS {
        let load = Load {
            smtp_source: &smtp_source,
            messages,
            sessions,
        };
        let local = recipient_local(sessions);
        let postfix_round = load.run("postfix", theirs.port, &theirs.maildir_new(&local), || {
            tree_ticks(theirs.master_pid())
        });
        let our_round = load.run("mailwright", ours.port, &ours.maildir_new(&local), || {
            tree_ticks(ours.pid())
        });
        rounds.push((postfix_round, our_round));
    }
    let after_load = memory_of(ours.pid());

    // Postfix's last: its 1,000 smtpd processes stay until they time out.
    let postfix_idle = tree_memory(theirs.master_pid());
    let postfix_busy = hold_sessions(theirs.port, OPEN_SESSIONS, || {
        tree_memory(theirs.master_pid())
    });

    print_rates(messages, &rounds);
    print_floors(&floors);
    print_memory(&[
        ("ours, just started", idle),
        ("ours, idle 3 s later", idle_later),
        ("ours, 1,000 SMTP sessions", busy),
        ("ours, sessions closed", after),
        ("ours, after the load", after_load),
    ]);
    print_postfix_memory(postfix_idle, postfix_busy);
    drop(theirs);
    drop(ours);
}

/// One run of `smtp-source` against one server.
struct Load<'a> {
    smtp_source: &'a Path,
    messages: usize,
    sessions: usize,
}

impl Load<'_> {
    /// Sends the messages to this round's recipient, waits until all are
    /// in `new` (its Maildir's `new/`, empty before) and measures wall
    /// time and `ticks`, on a settled filesystem.
    fn run(&self, name: &'static str, port: u16, new: &Path, ticks: impl Fn() -> u64) -> Round {
        assert_eq!(count_files(new), 0, "{name}: a fresh mailbox");
        settle();
        let before = ticks();
        let started = Instant::now();
        self.send(name, port);
        wait_for_files(name, new, self.messages);
        let seconds = started.elapsed().as_secs_f64();
        let cpu_seconds = (ticks() - before) as f64 / TICKS_PER_SECOND;
        assert_eq!(
            count_files(new),
            self.messages,
            "{name} delivered every message, once"
        );
        Round {
            name,
            sessions: self.sessions,
            messages: self.messages,
            seconds,
            cpu_seconds,
        }
    }
}

impl Load<'_> {
    /// Runs `smtp-source` against `name` on `port`, to this round's
    /// recipient.
    fn send(&self, name: &str, port: u16) {
        let status = Command::new(self.smtp_source)
            .args(["-s", &self.sessions.to_string()])
            .args(["-m", &self.messages.to_string()])
            .args(["-l", &MESSAGE_SIZE.to_string()])
            .args(["-f", "a@example.com", "-t"])
            .arg(format!("{}@example.com", recipient_local(self.sessions)))
            .arg(format!("127.0.0.1:{port}"))
            .status()
            .expect("run smtp-source");
        assert!(status.success(), "smtp-source against {name}: {status}");
    }
}

struct Round {
    name: &'static str,
    sessions: usize,
    messages: usize,
    seconds: f64,
    cpu_seconds: f64,
}

impl Round {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    fn cpu_ms_per_message(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.messages as f64
    }
}

fn print_rates(messages: usize, rounds: &[(Round, Round)]) {
    println!();
    println!(
        "{messages} messages of {MESSAGE_SIZE} bytes, one per connection, \
         until all are in the Maildir:"
    );
    println!(
        "{:<12} {:>9} {:>9} {:>9} {:>11}",
        "server", "sessions", "seconds", "msg/s", "CPU ms/msg"
    );
    for (theirs, ours) in rounds {
        for r in [theirs, ours] {
            println!(
                "{:<12} {:>9} {:>9.2} {:>9.0} {:>11.3}",
                r.name,
                r.sessions,
                r.seconds,
                r.rate(),
                r.cpu_ms_per_message()
            );
        }
    }
    for (theirs, ours) in rounds {
        let rate = ours.rate() / theirs.rate();
        let cpu = ours.cpu_ms_per_message() / theirs.cpu_ms_per_message();
        println!(
            "{} sessions: {rate:.2}x Postfix's rate (target >= {RATE_TARGET:.0}x: {}), \
             {cpu:.3}x its CPU per message; ours {:.3} ms/msg (target <= {CPU_TARGET_MS} ms: {})",
            ours.sessions,
            verdict(rate >= RATE_TARGET),
            ours.cpu_ms_per_message(),
            verdict(ours.cpu_ms_per_message() <= CPU_TARGET_MS),
        );
    }
}

fn print_floors(floors: &floor::Floors) {
    println!();
    println!(
        "this machine's floor, the same load ({} sessions), CPU ms/msg:",
        SESSIONS[0]
    );
    println!(
        "  smtp-sink (Postfix's SMTP sink, stores nothing):        {:.3}",
        floors.smtp_sink_ms
    );
    println!(
        "  Maildir file operations alone (create, write, fsync,\n  \
         rename into new/, fsync new/; one thread, no SMTP):    {:.3}",
        floors.maildir_ms
    );
    println!(
        "  together:                                              {:.3} (target {CPU_TARGET_MS})",
        floors.smtp_sink_ms + floors.maildir_ms
    );
}

fn print_memory(rows: &[(&str, Memory)]) {
    println!();
    println!("our server's memory:");
    println!("{:<28} {:>10} {:>10}", "", "VmRSS MiB", "VmHWM MiB");
    for (what, m) in rows {
        println!(
            "{what:<28} {:>10.1} {:>10.1}",
            mib(m.rss_kib),
            mib(m.hwm_kib)
        );
    }
    let idle = mib(rows[1].1.rss_kib);
    let busy = mib(rows[2].1.rss_kib);
    println!(
        "idle {idle:.1} MiB (target < {IDLE_TARGET_MIB} MiB: {}), \
         {OPEN_SESSIONS} sessions {busy:.1} MiB (target < {SESSIONS_TARGET_MIB} MiB: {})",
        verdict(idle < IDLE_TARGET_MIB),
        verdict(busy < SESSIONS_TARGET_MIB),
    );
}

fn print_postfix_memory(idle: TreeMemory, busy: Result<TreeMemory, String>) {
    println!();
    println!(
        "Postfix's memory, all its processes (RSS counts shared pages once per \
         process; PSS divides them among the processes sharing them):"
    );
    let row = |what: &str, m: &TreeMemory| {
        println!(
            "{what:<28} {:>5} processes, RSS {:>8.1} MiB, PSS {:>8.1} MiB",
            m.processes,
            mib(m.rss_kib),
            mib(m.pss_kib)
        );
    };
    row("idle", &idle);
    match busy {
        Ok(m) => row(&format!("{OPEN_SESSIONS} SMTP sessions"), &m),
        Err(e) => println!("{OPEN_SESSIONS} SMTP sessions: not measured ({e})"),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Our server, `mailserver serve` with a throwaway configuration; stopped
/// with SIGTERM on drop.
struct Ours {
    child: Child,
    port: u16,
    data_dir: PathBuf,
}

impl Ours {
    /// Writes the configuration, adds the domain and the account with the
    /// admin commands, starts the server and waits until it listens.
    fn start(binary: &Path, dir: &Path) -> Ours {
        fs::create_dir_all(dir).expect("our directory");
        let port = free_port();
        let data_dir = dir.join("data");
        let config = dir.join("mailserver.toml");
        fs::write(
            &config,
            format!(
                "hostname = \"bench.example.org\"\n\
                 data_dir = \"{}\"\n\
                 [listen]\nsmtp = [\"127.0.0.1:{port}\"]\nsubmission = []\n\
                 submissions = []\nlmtp = []\npop3 = []\npop3s = []\n\
                 [limits]\n# The bench's sessions all come from 127.0.0.1.\n\
                 connections_per_ip = 0\nmessage_size = 10240000\n",
                data_dir.display()
            ),
        )
        .expect("mailserver.toml");
        admin(binary, &config, &["domain", "add", "example.com"], None);
        for sessions in SESSIONS {
            let address = format!("{}@example.com", recipient_local(sessions));
            admin(
                binary,
                &config,
                &["user", "add", &address, "--password-stdin"],
                Some(PASSWORD),
            );
        }
        let log = dir.join("log");
        let out = fs::File::create(&log).expect("log");
        let child = Command::new(binary)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start mailserver");
        let mut ours = Ours {
            child,
            port,
            data_dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = ours.child.try_wait().expect("wait");
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "mailserver did not listen ({exited:?}); its log: {}",
                fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        ours
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn maildir_new(&self, local: &str) -> PathBuf {
        self.data_dir
            .join("mail/example.com")
            .join(local)
            .join("Maildir/new")
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        // It finishes the sessions under way first; none should be left.
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mailserver --config FILE ARGS…`, with `stdin` as its input; must
/// succeed.
fn admin(binary: &Path, config: &Path, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run mailserver");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        writeln!(input, "{text}").expect("write stdin");
    }
    drop(input);
    let status = child.wait().expect("wait mailserver");
    assert!(status.success(), "mailserver {}: {status}", args.join(" "));
}

/// Builds the server (a no-op when it is up to date) and returns its
/// path; `$MAILSERVER`, when set, names a binary to use instead.
fn build_mailserver() -> PathBuf {
    if let Some(binary) = std::env::var_os("MAILSERVER") {
        return PathBuf::from(binary);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "mailwright-examples"])
        .args(["--bin", "mailserver"])
        .status()
        .expect("run cargo");
    assert!(status.success(), "building mailserver: {status}");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    // A relative CARGO_TARGET_DIR is relative to where cargo ran.
    let binary = workspace.join(target).join("release/mailserver");
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}

/// Postfix from a throwaway configuration in `dir`; stopped on drop.
struct Postfix {
    binary: PathBuf,
    config_dir: PathBuf,
    queue_dir: PathBuf,
    base: PathBuf,
    port: u16,
}

impl Postfix {
    fn start(binary: &Path, dir: &Path) -> Postfix {
        let port = free_port();
        let postfix = Postfix {
            binary: binary.to_owned(),
            config_dir: dir.join("config"),
            queue_dir: dir.join("queue"),
            base: dir.join("mail"),
            port,
        };
        let data_dir = dir.join("data");
        let log_dir = dir.join("log");
        for d in [
            &postfix.config_dir,
            &postfix.queue_dir,
            &postfix.base,
            &data_dir,
            &log_dir,
        ] {
            fs::create_dir_all(d).expect("postfix directory");
        }
        // Postfix writes its data directory as mail_owner; virtual(8)
        // writes the Maildirs as the static uid.
        chown("postfix", &data_dir);
        chown(&format!("{MAIL_UID}:{MAIL_UID}"), &postfix.base);
        let config = &postfix.config_dir;
        let vmailbox: String = SESSIONS
            .iter()
            .map(|&sessions| {
                let local = recipient_local(sessions);
                format!("{local}@example.com example.com/{local}/\n")
            })
            .collect();
        fs::write(config.join("vmailbox"), vmailbox).expect("vmailbox");
        fs::write(
            config.join("main.cf"),
            main_cf(&postfix, &data_dir, &log_dir),
        )
        .expect("main.cf");
        fs::write(config.join("master.cf"), master_cf(port)).expect("master.cf");
        let status = postfix.command("start").status().expect("postfix start");
        assert!(
            status.success(),
            "postfix start: {status}; its log: {}",
            fs::read_to_string(log_dir.join("maillog")).unwrap_or_default()
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "postfix did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        postfix
    }

    fn command(&self, action: &str) -> Command {
        let mut command = Command::new(&self.binary);
        command.arg("-c").arg(&self.config_dir).arg(action);
        command
    }

    /// The master's pid, as it records it.
    fn master_pid(&self) -> u32 {
        let text = fs::read_to_string(self.queue_dir.join("pid/master.pid")).expect("master.pid");
        text.trim().parse().expect("master pid")
    }

    fn maildir_new(&self, local: &str) -> PathBuf {
        self.base.join("example.com").join(local).join("new")
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let master = fs::read_to_string(self.queue_dir.join("pid/master.pid")).ok();
        let _ = self.command("stop").stdout(Stdio::null()).status();
        // `postfix stop` signals the master; wait until it has gone, so
        // that nothing writes into the scratch directory being removed.
        let Some(pid) = master.map(|p| p.trim().to_owned()) else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new("/proc").join(&pid).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// main.cf: virtual Maildir delivery of example.com on loopback, logging
/// to a file (there is no syslog), no limits that 100 sessions from one
/// address would hit.
fn main_cf(postfix: &Postfix, data_dir: &Path, log_dir: &Path) -> String {
    format!(
        "compatibility_level = 3.6\n\
         config_directory = {config}\n\
         queue_directory = {queue}\n\
         data_directory = {data}\n\
         maillog_file = {log}/maillog\n\
         maillog_file_prefixes = {log}\n\
         myhostname = postfix.example.org\n\
         mydestination =\n\
         inet_interfaces = 127.0.0.1\n\
         inet_protocols = ipv4\n\
         # 100 sessions served in parallel (the default limit is 100).\n\
         default_process_limit = 200\n\
         smtpd_client_connection_count_limit = 0\n\
         smtpd_client_connection_rate_limit = 0\n\
         virtual_mailbox_domains = example.com\n\
         virtual_mailbox_base = {base}\n\
         virtual_mailbox_maps = texthash:{config}/vmailbox\n\
         virtual_uid_maps = static:{MAIL_UID}\n\
         virtual_gid_maps = static:{MAIL_UID}\n",
        config = postfix.config_dir.display(),
        queue = postfix.queue_dir.display(),
        data = data_dir.display(),
        log = log_dir.display(),
        base = postfix.base.display(),
    )
}

/// master.cf: Debian's services without chroot, smtpd on a loopback
/// port. smtpd may run 1,100 processes, for the 1,000 sessions of the
/// memory measurement; the load rounds never open more than 100.
fn master_cf(port: u16) -> String {
    format!(
        "127.0.0.1:{port} inet n - n - 1100 smtpd\n\
         pickup     unix n - n 60 1 pickup\n\
         cleanup    unix n - n - 0 cleanup\n\
         qmgr       unix n - n 300 1 qmgr\n\
         rewrite    unix - - n - - trivial-rewrite\n\
         bounce     unix - - n - 0 bounce\n\
         defer      unix - - n - 0 bounce\n\
         trace      unix - - n - 0 bounce\n\
         verify     unix - - n - 1 verify\n\
         flush      unix n - n 1000? 0 flush\n\
         proxymap   unix - - n - - proxymap\n\
         proxywrite unix - - n - 1 proxymap\n\
         smtp       unix - - n - - smtp\n\
         relay      unix - - n - - smtp\n\
         showq      unix n - n - - showq\n\
         error      unix - - n - - error\n\
         retry      unix - - n - - error\n\
         discard    unix - - n - - discard\n\
         local      unix - n n - - local\n\
         virtual    unix - n n - - virtual\n\
         lmtp       unix - - n - - lmtp\n\
         anvil      unix - - n - 1 anvil\n\
         scache     unix - - n - 1 scache\n\
         postlog    unix-dgram n - n - 1 postlogd\n"
    )
}

fn chown(owner: &str, path: &Path) {
    let status = Command::new("chown")
        .arg(owner)
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown {owner} {}", path.display());
}

/// Opens `count` SMTP sessions (greeting read, EHLO answered), measures
/// with all of them open, then closes them.
fn hold_sessions<T>(port: u16, count: usize, measure: impl Fn() -> T) -> Result<T, String> {
    let mut sessions = Vec::with_capacity(count);
    for n in 0..count {
        let session = open_session(port).map_err(|e| format!("session {}: {e}", n + 1))?;
        sessions.push(session);
    }
    let measured = measure();
    drop(sessions);
    Ok(measured)
}

/// Connects, reads the greeting, says EHLO and reads the reply.
fn open_session(port: u16) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    // Postfix forks an smtpd per session; a stuck one should fail the
    // measurement, not hang it.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    read_reply(&stream)?;
    stream.write_all(b"EHLO x\r\n")?;
    read_reply(&stream)?;
    Ok(stream)
}

/// Reads one (multi-line) reply. The server sends nothing unasked, so a
/// reader dropped after the last line loses nothing.
fn read_reply(stream: &TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1024, stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return if line.starts_with('2') {
                Ok(())
            } else {
                Err(std::io::Error::other(format!("reply {}", line.trim_end())))
            };
        }
    }
}

#[derive(Clone, Copy)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

/// VmRSS and VmHWM of a process.
fn memory_of(pid: u32) -> Memory {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    Memory {
        rss_kib: status_kib(&status, "VmRSS:"),
        hwm_kib: status_kib(&status, "VmHWM:"),
    }
}

/// A `Key:   1234 kB` line of /proc/PID/status or smaps_rollup.
fn status_kib(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct TreeMemory {
    processes: usize,
    rss_kib: u64,
    pss_kib: u64,
}

/// RSS and PSS summed over `root` and every process below it.
fn tree_memory(root: u32) -> TreeMemory {
    let pids = tree_pids(root);
    let mut memory = TreeMemory {
        processes: pids.len(),
        rss_kib: 0,
        pss_kib: 0,
    };
    for pid in pids {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        memory.rss_kib += status_kib(&status, "VmRSS:");
        let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        memory.pss_kib += status_kib(&rollup, "Pss:");
    }
    memory
}

/// Waits until `dir` holds `count` files; fails when delivery stalls.
fn wait_for_files(name: &str, dir: &Path, count: usize) {
    let mut seen = count_files(dir);
    let mut progress = Instant::now();
    while seen < count {
        std::thread::sleep(Duration::from_millis(20));
        let now = count_files(dir);
        if now != seen {
            seen = now;
            progress = Instant::now();
        }
        assert!(
            progress.elapsed() < Duration::from_secs(60),
            "{name}: {seen} of {count} messages delivered, none for 60 s"
        );
    }
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, |e| e.count())
}

/// Each round has a recipient of its own, so that no round starts by
/// deleting the messages of the one before (see [`settle`]).
fn recipient_local(sessions: usize) -> String {
    format!("r{sessions}")
}

/// Writes everything dirty back and waits [`SETTLE_SECONDS`]. On ext4
/// without a journal (this machine's root filesystem), allocating an inode
/// skips every inode of its group deleted within the last 60 s (300 s
/// while that inode's table block is dirty), one check per skipped inode:
/// a round started right after many deletions (a scratch directory
/// removed, the other server's queue files) pays for them in system CPU,
/// more than doubling ours. After this wait every round starts on a
/// filesystem in the same state; a server's own deletions during its
/// round (Postfix removes each queue file) still count for it.
fn settle() {
    let seconds = std::env::var("SMTP_LOAD_SETTLE")
        .ok()
        .map_or(SETTLE_SECONDS, |s| {
            s.parse().expect("SMTP_LOAD_SETTLE: seconds")
        });
    let status = Command::new("sync").status().expect("run sync");
    assert!(status.success(), "sync: {status}");
    eprintln!("smtp_load: settling {seconds} s before the round");
    std::thread::sleep(Duration::from_secs(seconds));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Root owns /proc/self when this process runs as root.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The 1,000 sessions need more open files than the usual soft limit of
/// 1024, here and in the servers (which inherit it). Without a crate for
/// setrlimit, re-execute this program through `sh -c 'ulimit -S -n N'`.
fn raise_open_files() {
    if std::env::var_os(NOFILE_RAISED).is_some() {
        return;
    }
    let limits = fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
        return;
    };
    let mut values = line["Max open files".len()..].split_whitespace();
    let soft: u64 = values.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let hard: u64 = values
        .next()
        .map_or(0, |v| v.parse().unwrap_or(NOFILE_WANTED));
    let wanted = NOFILE_WANTED.min(hard);
    if soft >= wanted {
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let error = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -S -n {wanted} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(NOFILE_RAISED, "1")
        .exec();
    panic!("re-executing with more open files: {error}");
}

fn tool_or_exit(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            eprintln!(
                "smtp_load needs `{name}` (Debian package `postfix`), which is not installed"
            );
            std::process::exit(2)
        })
}
