//! What the `smtp-sink` tests share: a scratch directory and a running sink
//! with a look at its spool, and SMTP dot-stuffing. Included with
//! `mod support;` (and by `mailserver_support`, for [`Scratch`] and
//! [`dot_stuff`]); not every test file uses every item.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A fresh directory, removed when dropped.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub(crate) dir: PathBuf,
    /// Leave the removal to a background `rm -rf` (for directories with
    /// many files).
    pub(crate) remove_in_background: bool,
    /// Keep the directory when dropped while the test panics (for a look
    /// at the data and the logs).
    pub(crate) keep_on_panic: bool,
}

impl Scratch {
    /// A directory under the system temp dir (see [`Scratch::under`]).
    pub(crate) fn new(name: &str) -> Scratch {
        Scratch::under(&std::env::temp_dir(), "mailwright", name)
    }

    /// Creates `parent/<prefix>-<crate>-<pid>-<counter>-<name>`: `name`
    /// makes it recognisable, the process id and a counter make it unique.
    pub(crate) fn under(parent: &Path, prefix: &str, name: &str) -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = parent.join(format!(
            "{prefix}-{}-{}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            name
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Scratch {
            dir,
            remove_in_background: false,
            keep_on_panic: false,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.keep_on_panic && std::thread::panicking() {
            eprintln!("(scratch directory kept: {})", self.dir.display());
            return;
        }
        if self.remove_in_background {
            // Unlinking is slow where the disk is mounted with `discard`
            // (about 3 ms a file here: a minute for 20,000): let rm do it
            // after the test instead of holding up the run.
            let spawned = Command::new("rm")
                .arg("-rf")
                .arg(&self.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            if spawned.is_ok() {
                return;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// SMTP dot-stuffing: a `.` doubled at the start of every line.
pub(crate) fn dot_stuff(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut line_start = true;
    for &byte in body {
        if line_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        line_start = byte == b'\n';
    }
    out
}

/// A message the sink stored: `DIR/new/<name>.eml` and its envelope.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) name: String,
    pub(crate) content: Vec<u8>,
    pub(crate) envelope: String,
}

/// A running `smtp-sink` on a loopback port with its own spool directory;
/// killed and cleaned up when dropped.
pub(crate) struct Sink {
    child: Child,
    pub(crate) addr: SocketAddr,
    /// The sink's `--dir`.
    pub(crate) spool: PathBuf,
    pub(crate) scratch: Scratch,
}

impl Sink {
    /// Starts a sink with `args` besides `--listen` and `--dir`.
    pub(crate) fn start(name: &str, args: &[&str]) -> Sink {
        Sink::start_with(name, args)
    }

    /// [`Sink::start`] for arguments that are not all strings (paths).
    pub(crate) fn start_with<I, S>(name: &str, args: I) -> Sink
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let scratch = Scratch::new(name);
        let spool = scratch.path("spool");
        let mut child = Command::new(env!("CARGO_BIN_EXE_smtp-sink"))
            .args(["--listen", "127.0.0.1:0", "--dir"])
            .arg(&spool)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn smtp-sink");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let addr: Option<SocketAddr> = line
            .trim_end()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smtp-sink did not start within 30 s: first line {line:?}");
        };
        Sink {
            child,
            addr,
            spool,
            scratch,
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The files in the spool's `sub` directory, sorted.
    pub(crate) fn files(&self, sub: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.spool.join(sub))
            .expect("read spool directory")
            .map(|entry| entry.expect("entry").path())
            .collect();
        files.sort();
        files
    }

    /// The stored messages, by name.
    pub(crate) fn messages(&self) -> Vec<Message> {
        self.files("new")
            .into_iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .map(|path| {
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                let content = std::fs::read(&path).expect("read message");
                let envelope = std::fs::read_to_string(path.with_extension("envelope"))
                    .expect("every message has an envelope");
                Message {
                    name,
                    content,
                    envelope,
                }
            })
            .collect()
    }

    /// The one stored message (and nothing left in `tmp/`).
    pub(crate) fn only_message(&self) -> Message {
        let mut messages = self.messages();
        assert_eq!(messages.len(), 1, "expected exactly one stored message");
        assert!(self.files("tmp").is_empty(), "tmp/ is not empty");
        messages.remove(0)
    }

    /// Waits until `tmp/` holds exactly `count` files.
    pub(crate) fn wait_for_tmp(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.files("tmp").len();
            if found == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "tmp/ holds {found} files, expected {count}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// CPU time the sink has used so far (Linux: from /proc), if known.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the command name (which may contain spaces): utime
        // and stime are the 12th and 13th, in clock ticks (USER_HZ, 100).
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_millis(ticks * 10))
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The scratch directory goes after this, with the field.
    }
}
