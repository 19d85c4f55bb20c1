//! What the interop test files share: finding the outside tools (a missing
//! tool fails the test, it never skips it), running them with a time limit,
//! hex for passing bytes through text, line-ending helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The path of `tool` (a bare name looked up in `PATH`, or an absolute
/// path); panics with a clear message when it is not installed.
pub(crate) fn require(tool: &str, package: &str) -> PathBuf {
    let found = if tool.contains('/') {
        Some(PathBuf::from(tool)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
        })
    };
    found.unwrap_or_else(|| {
        panic!(
            "interop test needs `{tool}` but it is not installed (Debian package `{package}`); \
             install it or run without `--features interop`"
        )
    })
}

/// What a finished subprocess produced.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl Output {
    pub(crate) fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub(crate) fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Waits for `child` at most `timeout`; kills it (and panics, naming
/// `what`) when it runs longer.
pub(crate) fn wait_or_kill(child: &mut Child, timeout: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {timeout:?}, killed");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `cmd` with `stdin` as its input, collecting its output; kills it
/// and panics after `timeout`.
pub(crate) fn run(cmd: &mut Command, stdin: &[u8], timeout: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = wait_or_kill(&mut child, timeout, &what);
    let _ = feeder.join();
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// Runs a Python 3 script (given on stdin) with `args`; panics with its
/// stderr unless it succeeds; returns its stdout.
pub(crate) fn python(script: &str, args: &[&Path]) -> String {
    let py = require("python3", "python3");
    let mut cmd = Command::new(py);
    cmd.arg("-").args(args);
    let out = run(&mut cmd, script.as_bytes(), Duration::from_secs(20));
    assert!(
        out.status.success(),
        "python3 failed ({}):\n{}\n--- script ---\n{script}",
        out.status,
        out.stderr_str()
    );
    out.stdout_str()
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {s:?}")))
        .collect()
}

/// `data` with every bare LF turned into CRLF (what IMAP serves).
pub(crate) fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// `data` with every CRLF turned into LF.
pub(crate) fn to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// Gives `dir` and everything below it to `nobody:nogroup` (the uid
/// Dovecot's mail processes run as in these tests).
pub(crate) fn chown_nobody(dir: &Path) {
    let out = run(
        Command::new("chown")
            .arg("-R")
            .arg("nobody:nogroup")
            .arg(dir),
        b"",
        Duration::from_secs(10),
    );
    assert!(
        out.status.success(),
        "chown -R nobody:nogroup {}: {}",
        dir.display(),
        out.stderr_str()
    );
}
