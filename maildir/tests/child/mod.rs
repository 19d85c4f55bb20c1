//! What the crash and concurrency tests share: a small PRNG, self-checking
//! test messages, and child processes that re-run this test binary.
//!
//! A child is the test binary run with `--exact child_entry` and
//! [`ROLE_VAR`] set. It reports each operation on stdout as one line
//! starting with [`MARK`], written and flushed only after the library call
//! returned (so a line the parent received is an acknowledged operation).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use maildir::name::{Flag, Flags};

/// Which role the child plays; absent in a normal test run.
pub(crate) const ROLE_VAR: &str = "MW_CHILD_ROLE";
/// The Maildir.
pub(crate) const DIR_VAR: &str = "MW_CHILD_DIR";
/// The child's PRNG seed.
pub(crate) const SEED_VAR: &str = "MW_CHILD_SEED";
/// The seed message contents are derived from.
pub(crate) const CONTENT_VAR: &str = "MW_CHILD_CONTENT_SEED";
/// The first message id the child may use is this + 1.
pub(crate) const ID_VAR: &str = "MW_CHILD_ID_BASE";
/// How long the child may run at most, in milliseconds.
pub(crate) const MS_VAR: &str = "MW_CHILD_MS";
/// How many operations a child does at most.
pub(crate) const OPS_VAR: &str = "MW_CHILD_OPS";

/// The prefix of every protocol line.
pub(crate) const MARK: &str = "@MW ";

/// xorshift64* — small, fast, reproducible.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        // splitmix64 so that close seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_f491_4f6c_dd1d } else { z })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A random element (the slice must not be empty).
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Random standard flags and a few keyword letters.
    pub(crate) fn flags(&mut self) -> Flags {
        let mut f = Flags::new();
        for flag in Flag::ALL {
            if self.chance(35) {
                f.insert(flag);
            }
        }
        for k in ['a', 'b', 'k', 'z'] {
            if self.chance(15) {
                f.insert_keyword(k);
            }
        }
        f
    }
}

/// A seed from the clock and pid, or `MW_SEED` from the environment (to
/// reproduce a run).
pub(crate) fn run_seed() -> u64 {
    if let Some(s) = std::env::var("MW_SEED").ok().and_then(|s| s.parse().ok()) {
        return s;
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

/// A count from the environment (`MW_CRASH_KILLS`, ...) or the default.
pub(crate) fn env_count(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Flags as one word ("-" for none), for protocol lines.
pub(crate) fn flags_word(f: &Flags) -> String {
    let s = f.to_string();
    if s.is_empty() { "-".into() } else { s }
}

/// The inverse of [`flags_word`].
pub(crate) fn parse_flags_word(s: &str) -> Flags {
    if s == "-" {
        Flags::new()
    } else {
        Flags::parse(s).unwrap_or_else(|e| panic!("bad flags word {s:?}: {e}"))
    }
}

/// The test message with this id: headers naming the id, the body length
/// and an FNV-1a checksum of the body, then a pseudo-random body (mostly
/// small, sometimes larger than the delivery buffer; LF and CRLF lines).
/// Fully determined by `(content_seed, id)`.
pub(crate) fn message(content_seed: u64, id: u64) -> Vec<u8> {
    let mut rng = Rng::new(content_seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let len = if rng.chance(6) {
        16 * 1024 + rng.below(24 * 1024)
    } else {
        rng.below(1500)
    } as usize;
    let mut body = Vec::with_capacity(len);
    while body.len() < len {
        let b = match rng.below(64) {
            0 => b'\n',
            1 => b'\r',
            n => b' ' + (n as u8 + (rng.below(32) as u8)) % 95,
        };
        body.push(b);
    }
    let mut m = format!(
        "Subject: test message {id}\nX-MW-Id: {id}\nX-MW-Len: {}\nX-MW-Sum: {:016x}\n\n",
        body.len(),
        fnv(&body)
    )
    .into_bytes();
    m.extend_from_slice(&body);
    m
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The id in a test message's `X-MW-Id` header.
pub(crate) fn message_id(content: &[u8]) -> Option<u64> {
    let head_end = content
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or(content.len());
    let head = std::str::from_utf8(&content[..head_end]).ok()?;
    head.lines()
        .find_map(|l| l.strip_prefix("X-MW-Id: "))?
        .parse()
        .ok()
}

/// Size counting each LF not preceded by CR as two bytes (Maildir `W=`).
pub(crate) fn vsize(content: &[u8]) -> u64 {
    let mut last_cr = false;
    let mut n = content.len() as u64;
    for &b in content {
        n += u64::from(b == b'\n' && !last_cr);
        last_cr = b == b'\r';
    }
    n
}

/// Checks that `content` (the file `name`) is exactly test message `id`
/// and that the name's `S=`/`W=` match; returns the id.
pub(crate) fn verify_file(content_seed: u64, name: &str, content: &[u8]) -> Result<u64, String> {
    let id = message_id(content).ok_or_else(|| {
        format!(
            "{name}: no X-MW-Id header (partial or foreign file, {} bytes)",
            content.len()
        )
    })?;
    let want = message(content_seed, id);
    if content != want.as_slice() {
        return Err(format!(
            "{name}: content of message {id} differs ({} bytes, want {})",
            content.len(),
            want.len()
        ));
    }
    let parsed = maildir::name::MessageName::parse(name).map_err(|e| format!("{name}: {e}"))?;
    if parsed.size() != Some(content.len() as u64) || parsed.vsize() != Some(vsize(content)) {
        return Err(format!(
            "{name}: S=/W= {:?}/{:?} do not match the content ({} / {})",
            parsed.size(),
            parsed.vsize(),
            content.len(),
            vsize(content)
        ));
    }
    Ok(id)
}

/// The regular files of a directory, by name.
pub(crate) fn list(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("readdir {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort_unstable();
    v
}

/// The environment a child reads, as `(name, value)` pairs.
pub(crate) type Env = Vec<(&'static str, String)>;

/// Reads a required child variable.
pub(crate) fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("child without {name}"))
}

/// Reads a required numeric child variable.
pub(crate) fn var_u64(name: &str) -> u64 {
    var(name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// Writes one protocol line and flushes it; exits quietly if the parent
/// is gone (the pipe is closed).
pub(crate) fn emit(line: &str) {
    let mut s = String::with_capacity(MARK.len() + line.len() + 2);
    s.push('\n');
    s.push_str(MARK);
    s.push_str(line);
    s.push('\n');
    let mut out = std::io::stdout().lock();
    if out
        .write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// Reports a failed library call and ends the child.
pub(crate) fn fail(what: &str, e: &dyn std::fmt::Debug) -> ! {
    emit(&format!("ERR {what}: {e:?}"));
    std::process::exit(3);
}

/// A running child process and the protocol lines read from it so far.
#[derive(Debug)]
pub(crate) struct Child {
    proc: std::process::Child,
    rx: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// Every protocol line received (without the mark), in order.
    pub(crate) lines: Vec<String>,
    eof: bool,
    role: String,
}

impl Child {
    /// Re-runs this test binary as a child in `role`.
    pub(crate) fn spawn(role: &str, env: &Env) -> Child {
        let exe = std::env::current_exe().expect("current_exe");
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(ROLE_VAR, role)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = cmd.spawn().expect("spawn child");
        let stdout = proc.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                // A line cut off by the kill is not acknowledged.
                if buf.last() != Some(&b'\n') {
                    return;
                }
                let line = String::from_utf8_lossy(&buf);
                if let Some(p) = line.find(MARK) {
                    let l = line[p + MARK.len()..].trim_end().to_owned();
                    if tx.send(l).is_err() {
                        return;
                    }
                }
            }
        });
        Child {
            proc,
            rx,
            reader: Some(reader),
            lines: Vec::new(),
            eof: false,
            role: role.to_owned(),
        }
    }

    /// Waits (at most `timeout`) for a line equal to `want`.
    pub(crate) fn wait_for(&mut self, want: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) => {
                    let hit = l == want;
                    self.lines.push(l);
                    if hit {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.proc.kill();
                    return Err(format!(
                        "{} child: no {want:?} within {timeout:?}; lines {:?}",
                        self.role,
                        self.lines.last()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.eof = true;
                    let _ = self.proc.kill();
                    let status = self.reap(Duration::from_secs(10));
                    let stderr = self.stderr();
                    return Err(format!(
                        "{} child ended before {want:?} ({status:?}); last lines {:?}; stderr: {}",
                        self.role,
                        self.lines.iter().rev().take(3).collect::<Vec<_>>(),
                        stderr
                    ));
                }
            }
        }
    }

    /// SIGKILLs the child, waits for it and for the end of its output.
    pub(crate) fn kill(mut self) -> Result<Vec<String>, String> {
        let _ = self.proc.kill();
        self.collect(Duration::from_secs(20))?;
        Ok(std::mem::take(&mut self.lines))
    }

    /// Waits (at most `timeout`) for the child to end by itself; kills it
    /// on timeout. Returns its exit status and all its lines.
    pub(crate) fn finish(mut self, timeout: Duration) -> Result<(ExitStatus, Vec<String>), String> {
        let status = self.collect(timeout)?;
        Ok((status, std::mem::take(&mut self.lines)))
    }

    /// Reads lines until the output ends, then reaps the process.
    fn collect(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(l) => self.lines.push(l),
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.proc.kill();
                    let _ = self.reap(Duration::from_secs(10));
                    return Err(format!(
                        "{} child did not finish within {timeout:?}; last lines {:?}",
                        self.role,
                        self.lines.iter().rev().take(3).collect::<Vec<_>>()
                    ));
                }
            }
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
        self.reap(left)
            .ok_or_else(|| format!("{} child did not exit", self.role))
    }

    /// Waits for the process to exit, at most `timeout` (then kills it).
    fn reap(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.proc.try_wait() {
                Ok(Some(s)) => return Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                _ => {
                    let _ = self.proc.kill();
                    return self.proc.wait().ok();
                }
            }
        }
    }

    /// What the (ended) child wrote to stderr, at most 4 KiB.
    pub(crate) fn stderr(&mut self) -> String {
        let mut s = Vec::new();
        if let Some(e) = self.proc.stderr.as_mut() {
            let _ = e.take(64 * 1024).read_to_end(&mut s);
        }
        let s = String::from_utf8_lossy(&s);
        s.chars()
            .rev()
            .take(4096)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.eof {
            let _ = self.proc.kill();
            let _ = self.reap(Duration::from_secs(10));
        }
    }
}

/// Splits a protocol line into its words.
pub(crate) fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

/// Counts lines by their first word.
pub(crate) fn tally(lines: &[String], into: &mut HashMap<String, u64>) {
    for l in lines {
        let k = l.split(' ').next().unwrap_or_default().to_owned();
        *into.entry(k).or_default() += 1;
    }
}

/// How long a child may live after "ready" before the kill.
pub(crate) const MAX_LIFE_US: u64 = 15_000;

/// Runs a child in `role`, lets it work a random 0–15 ms after "ready",
/// SIGKILLs it and returns its lines.
pub(crate) fn run_and_kill(role: &str, env: &Env, rng: &mut Rng, seed: u64) -> Vec<String> {
    let mut c = Child::spawn(role, env);
    if let Err(e) = c.wait_for("ready", Duration::from_secs(30)) {
        panic!("{e}; seed {seed}");
    }
    std::thread::sleep(Duration::from_micros(rng.below(MAX_LIFE_US + 1)));
    c.kill().unwrap_or_else(|e| panic!("{e}; seed {seed}"))
}
