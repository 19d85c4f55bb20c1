//! The reference server `mailserver` against real clients (feature
//! `interop`): Python's smtplib and poplib, curl and swaks submit and
//! collect mail over every port; Python checks the relay policy; a
//! Postfixadmin database in real PostgreSQL and MariaDB servers, read with
//! the seeds' Postfix and Dovecot queries, is the directory.
//!
//! Every test runs its own server in its own scratch directory (the first
//! one, the newcomer's path, on the embedded defaults' fixed ports; the
//! others on ports the kernel picks) and checks what the clients got back:
//! every message collected over POP3 must be the submitted one byte for
//! byte after the trace fields the server prepends (`Return-Path:`,
//! `Delivered-To:`, `Received:`). Clients verify the server's self-signed
//! certificate (`<data_dir>/tls/cert.pem`) for the name `localhost`, and
//! are told a host name wherever they would look up the machine's own
//! (the CI machine answers no DNS).
//!
//! A missing tool fails the test, naming the Debian package that has it
//! (`scripts/test` installs them all).

#[path = "mailserver_support/mod.rs"]
mod mailserver_support;
#[path = "../../mailstore/tests/support/sql_servers.rs"]
mod sql_servers;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mailserver_support::{
    ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, Config, Scratch, Setup, new_scratch, toml_string,
};
use sql_servers::{Kind, MYSQL_DUMP, POSTGRES_DUMP};

const MAILSERVER: &str = env!("CARGO_BIN_EXE_mailserver");
/// How long the server may take to say `ready`, and to stop on SIGTERM.
const STARTUP: Duration = Duration::from_secs(30);
const SHUTDOWN: Duration = Duration::from_secs(15);
/// How long one client run may take.
const CLIENT: Duration = Duration::from_secs(60);
/// The embedded defaults' ports, used by the newcomer's test only.
const DEFAULT_PORTS: [(&str, u16); 6] = [
    ("smtp", 2525),
    ("submission", 2587),
    ("submissions", 2465),
    ("lmtp", 2424),
    ("pop3", 2110),
    ("pop3s", 2995),
];

// --- Tools and processes -------------------------------------------------------

/// The path of `program`, or a failed test naming the Debian package.
fn tool(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{program} not found: install the Debian package `{package}` \
                 (scripts/test installs the interop tools)"
            )
        })
}

/// Runs `command` with `stdin` to its end, at most [`CLIENT`], and fails
/// the test unless it succeeds; its standard output.
fn run_ok(command: Command, stdin: &[u8]) -> String {
    sql_servers::run(command, stdin, CLIENT)
}

// The support module runs the binary with `--config`; the newcomer's
// test runs it without one, in a directory of its own, with these two.

/// `mailserver ARGS` with `dir` as the current directory and no
/// `--config`, with `stdin`; must succeed.
fn admin(dir: &Path, args: &[&str], stdin: &str) -> String {
    let mut command = Command::new(MAILSERVER);
    command.current_dir(dir).env_remove("RUST_LOG").args(args);
    run_ok(command, stdin.as_bytes())
}

/// A running `mailserver serve` started without `--config`; stopped with
/// SIGTERM on drop, which must end it with status 0.
struct Daemon {
    child: Child,
    /// Service name -> address, from its `listening` lines.
    listening: BTreeMap<String, Vec<SocketAddr>>,
    log: PathBuf,
    data_dir: PathBuf,
}

impl Daemon {
    /// Starts `mailserver serve` in `dir` and waits for `ready`; its log
    /// goes to `dir/serve.log`.
    fn start(dir: &Path, data_dir: PathBuf) -> Daemon {
        let log = dir.join("serve.log");
        let mut child = Command::new(MAILSERVER)
            .current_dir(dir)
            .arg("serve")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start mailserver serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut daemon = Daemon {
            child,
            listening: BTreeMap::new(),
            log,
            data_dir,
        };
        let started = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) if line == "ready" => break,
                Ok(line) => {
                    let mut words = line.split(' ');
                    match (words.next(), words.next(), words.next(), words.next()) {
                        (Some("listening"), Some(service), Some(address), None) => {
                            let address = address
                                .parse()
                                .unwrap_or_else(|e| panic!("`{line}`: not an address: {e}"));
                            daemon
                                .listening
                                .entry(service.to_owned())
                                .or_default()
                                .push(address);
                        }
                        _ => panic!("unexpected line on mailserver's stdout: {line:?}"),
                    }
                }
                Err(_) => {
                    if let Some(status) = daemon.child.try_wait().unwrap() {
                        panic!(
                            "mailserver serve exited before `ready` ({status}):\n{}",
                            daemon.log_text()
                        );
                    }
                    if started.elapsed() > STARTUP {
                        panic!(
                            "mailserver serve not ready within {STARTUP:?}:\n{}",
                            daemon.log_text()
                        );
                    }
                }
            }
        }
        daemon
    }

    /// The self-signed certificate the server made.
    fn certificate(&self) -> PathBuf {
        let path = self.data_dir.join("tls").join("cert.pem");
        assert!(
            path.is_file(),
            "no certificate generated at {}",
            path.display()
        );
        path
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        sql_servers::signal(self.child.id(), "TERM");
        let deadline = Instant::now() + SHUTDOWN;
        let stopped = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break None,
            }
        };
        if std::thread::panicking() {
            eprintln!("--- mailserver serve log ---\n{}", self.log_text());
        } else {
            assert!(
                stopped.is_some_and(|s| s.success()),
                "mailserver serve did not stop cleanly on SIGTERM ({stopped:?}):\n{}",
                self.log_text()
            );
        }
    }
}

// --- Messages --------------------------------------------------------------------

/// A message from `from` to `to` with CRLF line endings, lines that need
/// dot-stuffing and one that starts with "From " (mbox's separator), 8-bit
/// UTF-8 text and long lines (under SMTP's 998 octets).
fn message(tag: &str, from: &str, to: &str) -> Vec<u8> {
    let mut message = format!(
        "From: Sender <{from}>\r\nTo: <{to}>\r\nSubject: interop {tag}\r\n\
         Message-ID: <{tag}@client.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    message.extend_from_slice(b".a line that starts with a dot\r\n..and one with two\r\n.\r\n");
    message.extend_from_slice(b"From here on, a line that mbox would quote\r\n");
    message.extend_from_slice("gr\u{fc}\u{df}e aus M\u{fc}nchen, \u{4f60}\u{597d}\r\n".as_bytes());
    message.extend_from_slice(&[b'x'; 990]);
    message.extend_from_slice(b"\r\n");
    for i in 0..200 {
        message.extend_from_slice(format!("line {i}: the quick brown fox {tag}\r\n").as_bytes());
    }
    message.extend_from_slice(b"-- \r\nend\r\n");
    message
}

/// `stored` without the trace fields the server prepends; fails unless
/// there are `Return-Path:`, `Delivered-To:` and `Received:` fields.
fn without_trace(stored: &[u8]) -> &[u8] {
    let mut rest = stored;
    let mut seen = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |i| i + 2);
        let line = &rest[..end];
        let continued = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        let name = line
            .iter()
            .position(|b| *b == b':')
            .map(|i| String::from_utf8_lossy(&line[..i]).to_ascii_lowercase());
        match name.as_deref() {
            _ if continued && !seen.is_empty() => {}
            Some(name @ ("return-path" | "delivered-to" | "received")) => {
                seen.push(name.to_owned());
            }
            _ => break,
        }
        rest = &rest[end..];
    }
    for field in ["return-path", "delivered-to", "received"] {
        assert!(
            seen.iter().any(|s| s == field),
            "no {field} field prepended; the message as collected:\n{}",
            String::from_utf8_lossy(&stored[..stored.len().min(2000)])
        );
    }
    rest
}

/// The prepended trace fields of `stored`, as text.
fn trace_of(stored: &[u8]) -> String {
    let body = without_trace(stored);
    String::from_utf8_lossy(&stored[..stored.len() - body.len()]).into_owned()
}

/// Fails unless `stored` is `sent` after the trace fields.
fn assert_same(who: &str, stored: &[u8], sent: &[u8]) {
    let body = without_trace(stored);
    if body != sent {
        let common = body.iter().zip(sent).take_while(|(a, b)| a == b).count();
        let around = |bytes: &[u8]| {
            let start = common.saturating_sub(80);
            String::from_utf8_lossy(&bytes[start..bytes.len().min(common + 80)]).into_owned()
        };
        panic!(
            "{who}: the collected message is not the submitted one byte for byte \
             (collected {} octets after the trace fields, sent {}; they part at octet \
             {common}):\ncollected: {:?}\nsent:      {:?}",
            body.len(),
            sent.len(),
            around(body),
            around(sent)
        );
    }
}

/// The message whose Message-ID is `<tag@client.example>`, among `messages`.
fn find_message<'a>(messages: &'a [Vec<u8>], tag: &str) -> &'a [u8] {
    let id = format!("Message-ID: <{tag}@client.example>\r\n");
    let found: Vec<_> = messages
        .iter()
        .filter(|m| m.windows(id.len()).any(|w| w == id.as_bytes()))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "messages with {id:?} among the {} collected",
        messages.len()
    );
    found[0]
}

// --- Python ---------------------------------------------------------------------

/// What every Python script starts with: verification of the server's
/// certificate for `localhost` while connecting to 127.0.0.1, and the
/// arguments as JSON.
const PYTHON_PRELUDE: &str = r#"
import json, poplib, smtplib, ssl, sys

class Verified:
    """An SSL context checking the server's certificate against cafile for
    the name 'localhost', whichever loopback address we connected to."""
    def __init__(self, cafile):
        self.context = ssl.create_default_context(cafile=cafile)
    def wrap_socket(self, sock, server_hostname=None, **kw):
        return self.context.wrap_socket(sock, server_hostname="localhost", **kw)

a = json.loads(sys.argv[1])
"#;

/// Submits a message with smtplib: `mode` starttls, smtps or plain, AUTH
/// when `user` is set; prints the refused recipients as JSON.
const PY_SUBMIT: &str = r#"
ctx = Verified(a["cafile"])
source = (a.get("source", "127.0.0.1"), 0)
if a["mode"] == "smtps":
    s = smtplib.SMTP_SSL("127.0.0.1", a["port"], local_hostname="client.example",
                         context=ctx, timeout=30, source_address=source)
else:
    s = smtplib.SMTP("127.0.0.1", a["port"], local_hostname="client.example",
                     timeout=30, source_address=source)
code, _ = s.ehlo()
assert code == 250, code
if a["mode"] == "starttls":
    assert s.has_extn("starttls"), s.esmtp_features
    assert not s.has_extn("auth"), "AUTH offered before TLS: %r" % s.esmtp_features
    code, _ = s.starttls(context=ctx)
    assert code == 220, code
    s.ehlo()
    assert not s.has_extn("starttls"), s.esmtp_features
if a.get("user"):
    assert s.has_extn("auth"), s.esmtp_features
    code, _ = s.login(a["user"], a["password"])
    assert code == 235, code
with open(a["message"], "rb") as f:
    message = f.read()
options = ["BODY=8BITMIME"] if s.has_extn("8bitmime") else []
try:
    refused = s.sendmail(a["from"], a["to"], message, mail_options=options)
except smtplib.SMTPRecipientsRefused as e:
    refused = e.recipients
except smtplib.SMTPDataError as e:
    # The only recipient accepted at RCPT refused at the end of DATA.
    refused = {"DATA": (e.smtp_code, e.smtp_error)}
refused = {r: [code, text.decode()] for r, (code, text) in refused.items()}
s.quit()
print(json.dumps(refused))
"#;

/// Collects every message over POP3 (`mode` pop3s, or stls: first checking
/// that USER/PASS are refused before STLS), writing them to `out`/N.eml;
/// deletes them when `delete`; prints the count.
const PY_COLLECT: &str = r#"
import os
ctx = Verified(a["cafile"])
if a["mode"] == "pop3s":
    p = poplib.POP3_SSL("127.0.0.1", a["port"], context=ctx, timeout=30)
else:
    p = poplib.POP3("127.0.0.1", a["port"], timeout=30)
    caps = p.capa()
    assert "STLS" in caps, caps
    try:
        p.user(a["user"])
        p.pass_(a["password"])
        sys.exit("USER/PASS accepted before STLS")
    except poplib.error_proto as e:
        print("before STLS:", e)
    p.stls(context=ctx)
    assert "STLS" not in p.capa()
if a.get("wrong"):
    p.user(a["user"])
    try:
        p.pass_(a["wrong"])
        sys.exit("a wrong password was accepted")
    except poplib.error_proto as e:
        print("wrong password:", e)
p.user(a["user"])
p.pass_(a["password"])
count, size = p.stat()
os.makedirs(a["out"], exist_ok=True)
for i in range(1, count + 1):
    _, lines, _ = p.retr(i)
    with open(os.path.join(a["out"], "%d.eml" % i), "wb") as f:
        f.write(b"".join(line + b"\r\n" for line in lines))
    if a.get("delete"):
        p.dele(i)
p.quit()
print("collected", count)
"#;

/// One LMTP transaction with per-recipient replies: RCPT for each of `to`,
/// then one reply after DATA per accepted recipient; prints them as JSON.
const PY_LMTP: &str = r#"
s = smtplib.LMTP("127.0.0.1", a["port"], local_hostname="client.example", timeout=30)
code, _ = s.ehlo()
assert code == 250, code
with open(a["message"], "rb") as f:
    message = f.read()
code, text = s.mail(a["from"])
assert code == 250, (code, text)
rcpt = []
for r in a["to"]:
    code, text = s.rcpt(r)
    rcpt.append([r, code, text.decode()])
accepted = [r for r, code, _ in rcpt if code == 250]
data = []
code, text = s.data(message)
data.append([code, text.decode()])
for _ in accepted[1:]:
    code, text = s.getreply()
    data.append([code, text.decode()])
s.quit()
print(json.dumps({"rcpt": rcpt, "data": data}))
"#;

/// The relay policy, from outside `mynetworks` (`outside`) and inside
/// (`inside`), on the MTA port: EHLO's features before and after STARTTLS,
/// what RCPT says to foreign and local recipients, unauthenticated and
/// (from outside) authenticated.
const PY_RELAY: &str = r#"
ctx = Verified(a["cafile"])
with open(a["message"], "rb") as f:
    message = f.read()

def session(source):
    s = smtplib.SMTP("127.0.0.1", a["port"], local_hostname="client.example",
                     timeout=30, source_address=(source, 0))
    code, _ = s.ehlo()
    assert code == 250, code
    return s

def send(s, rcpts, sender=a["from"]):
    try:
        refused = s.sendmail(sender, rcpts, message)
    except smtplib.SMTPRecipientsRefused as e:
        refused = e.recipients
        s.rset()
    return {r: [code, text.decode()] for r, (code, text) in refused.items()}

out = {}
for name, source in [("outside", a["outside"]), ("inside", a["inside"])]:
    s = session(source)
    out[name + "_features_plain"] = sorted(s.esmtp_features)
    out[name + "_foreign"] = send(s, [a["foreign"]])
    out[name + "_mixed"] = send(s, [a["local"], a["foreign"]])
    s.starttls(context=ctx)
    s.ehlo()
    out[name + "_features_tls"] = sorted(s.esmtp_features)
    out[name + "_foreign_tls"] = send(s, [a["foreign"]])
    if name == "outside":
        s.login(a["user"], a["password"])
        out["outside_foreign_auth"] = send(s, [a["foreign"]], a["user"])
    s.quit()
for key, value in out.items():
    print("%s\t%s" % (key, json.dumps(value)))
"#;

/// `python3` running a script (after the prelude) with `args` as JSON.
fn python_command(script: &str, args: &str) -> Command {
    let mut command = Command::new(tool("python3", "python3"));
    command
        .arg("-c")
        .arg(format!("{PYTHON_PRELUDE}{script}"))
        .arg(args);
    command
}

/// Runs a Python script (after the prelude) with `args` as JSON; its
/// output, and a failed test when it fails.
fn python(script: &str, args: &str) -> String {
    run_ok(python_command(script, args), b"")
}

/// The last line of `output`.
fn last_line(output: &str) -> &str {
    output.trim_end().lines().last().unwrap_or_default()
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_path(path: &Path) -> String {
    json_string(path.to_str().expect("UTF-8 scratch path"))
}

/// Submits `message` (written to `scratch/<tag>.eml`) with smtplib; the
/// refused recipients as JSON (`{}` when all were accepted).
#[allow(clippy::too_many_arguments)]
fn py_submit(
    scratch: &Scratch,
    tag: &str,
    message: &[u8],
    mode: &str,
    port: u16,
    cafile: &Path,
    login: Option<(&str, &str)>,
    from: &str,
    to: &[&str],
) -> String {
    let path = scratch.path(&format!("{tag}.eml"));
    std::fs::write(&path, message).unwrap();
    let (user, password) = login.unwrap_or(("", ""));
    let to: Vec<String> = to.iter().map(|t| json_string(t)).collect();
    let args = format!(
        "{{\"mode\": {}, \"port\": {port}, \"cafile\": {}, \"user\": {}, \"password\": {}, \
         \"from\": {}, \"to\": [{}], \"message\": {}}}",
        json_string(mode),
        json_path(cafile),
        json_string(user),
        json_string(password),
        json_string(from),
        to.join(", "),
        json_path(&path)
    );
    last_line(&python(PY_SUBMIT, &args)).to_owned()
}

/// Collects (and, when `delete`, deletes) every message of `user` with
/// poplib; the messages as collected.
fn py_collect(
    scratch: &Scratch,
    mode: &str,
    port: u16,
    cafile: &Path,
    (user, password): (&str, &str),
    delete: bool,
) -> Vec<Vec<u8>> {
    let out = scratch.path(&format!("collected-{mode}-{user}-{}", unique()));
    let args = format!(
        "{{\"mode\": {}, \"port\": {port}, \"cafile\": {}, \"user\": {}, \"password\": {}, \
         \"out\": {}, \"delete\": {delete}}}",
        json_string(mode),
        json_path(cafile),
        json_string(user),
        json_string(password),
        json_path(&out)
    );
    let output = python(PY_COLLECT, &args);
    let count: usize = last_line(&output)
        .strip_prefix("collected ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("poplib: {output}"));
    (1..=count)
        .map(|i| std::fs::read(out.join(format!("{i}.eml"))).unwrap())
        .collect()
}

fn unique() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

// --- curl and swaks ---------------------------------------------------------------

/// curl, trusting `cafile` and resolving `localhost` to 127.0.0.1 itself.
fn curl(cafile: &Path, port: u16) -> Command {
    let mut command = Command::new(tool("curl", "curl"));
    command
        .args(["--silent", "--show-error", "--max-time", "30"])
        .arg("--cacert")
        .arg(cafile)
        .arg("--resolve")
        .arg(format!("localhost:{port}:127.0.0.1"));
    command
}

/// Submits `message` with curl over submission with STARTTLS and AUTH.
fn curl_submit(scratch: &Scratch, tag: &str, message: &[u8], port: u16, cafile: &Path) {
    let path = scratch.path(&format!("{tag}.eml"));
    std::fs::write(&path, message).unwrap();
    let mut command = curl(cafile, port);
    command
        .arg("--url")
        .arg(format!("smtp://localhost:{port}/client.example"))
        .args(["--ssl-reqd", "--user", &format!("{ALICE}:{ALICE_PASSWORD}")])
        .args(["--mail-from", "alice@example.com"])
        .args(["--mail-rcpt", "alice@example.com"])
        .arg("--upload-file")
        .arg(&path);
    run_ok(command, b"");
}

/// Message `n` of alice's maildrop, retrieved with curl over POP3S (into
/// `scratch/curl-<n>.eml`).
fn curl_retrieve(scratch: &Scratch, n: usize, port: u16, cafile: &Path) -> Vec<u8> {
    let path = scratch.path(&format!("curl-{n}.eml"));
    let mut command = curl(cafile, port);
    command
        .arg("--url")
        .arg(format!("pop3s://localhost:{port}/{n}"))
        .args(["--user", &format!("{ALICE}:{ALICE_PASSWORD}")])
        .arg("--output")
        .arg(&path);
    run_ok(command, b"");
    std::fs::read(&path).unwrap()
}

/// Submits `message` with swaks over submission with STARTTLS and AUTH
/// PLAIN; its transcript. swaks (20201014) verifies the certificate's
/// chain against `cafile`, not its names.
fn swaks_submit(scratch: &Scratch, tag: &str, message: &[u8], port: u16, cafile: &Path) -> String {
    let path = scratch.path(&format!("{tag}.eml"));
    std::fs::write(&path, message).unwrap();
    let mut data = std::ffi::OsString::from("@");
    data.push(&path);
    let mut command = Command::new(tool("swaks", "swaks"));
    command
        .args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--helo", "client.example", "--local-interface", "127.0.0.1"])
        .args(["--tls", "--tls-verify", "--tls-ca-path"])
        .arg(cafile)
        .args(["--auth", "PLAIN", "--auth-user", "alice@example.com"])
        .args(["--auth-password", ALICE_PASSWORD])
        .args(["--from", "alice@example.com", "--to", "alice@example.com"])
        .arg("--data")
        .arg(data);
    run_ok(command, b"")
}

// --- The tests ------------------------------------------------------------------

/// Fails unless every port of the embedded defaults is free.
fn default_ports_free() {
    let busy: Vec<_> = DEFAULT_PORTS
        .iter()
        .filter(|(_, port)| TcpListener::bind(("127.0.0.1", *port)).is_err())
        .map(|(service, port)| format!("{service} 127.0.0.1:{port}"))
        .collect();
    assert!(
        busy.is_empty(),
        "the newcomer's test runs the embedded defaults, whose ports are fixed, and these \
         are in use by another process: {busy:?}; stop it (another mailserver?) and rerun"
    );
}

/// No configuration file: `domain add`, `user add`, `serve` in a fresh
/// directory, as a newcomer's first steps go; then Python, curl and swaks
/// submit on 2587 (STARTTLS, AUTH) and Python and curl collect on 2995
/// (POP3S).
#[test]
fn newcomers_path_with_the_embedded_defaults() {
    default_ports_free();
    let scratch = new_scratch("interop-newcomer");
    let dir = &scratch.dir;
    admin(dir, &["domain", "add", "example.com"], "");
    admin(
        dir,
        &["user", "add", "alice@example.com", "--password-stdin"],
        &format!("{ALICE_PASSWORD}\n"),
    );
    assert!(
        !dir.join("mailserver.toml").exists(),
        "the admin commands wrote a configuration file"
    );
    let server = Daemon::start(dir, dir.join("mail-data"));
    let expected: BTreeMap<String, Vec<SocketAddr>> = DEFAULT_PORTS
        .iter()
        .map(|(service, port)| {
            (
                service.to_string(),
                vec![SocketAddr::from(([127, 0, 0, 1], *port))],
            )
        })
        .collect();
    assert_eq!(
        server.listening, expected,
        "the embedded defaults' listeners"
    );
    let cafile = server.certificate();
    assert!(
        dir.join("mail-data/directory.sqlite").is_file(),
        "the directory is not under ./mail-data"
    );

    let alice = "alice@example.com";
    let sent_python = message("newcomer-python", alice, alice);
    let refused = py_submit(
        &scratch,
        "newcomer-python",
        &sent_python,
        "starttls",
        2587,
        &cafile,
        Some((alice, ALICE_PASSWORD)),
        alice,
        &[alice],
    );
    assert_eq!(refused, "{}");
    let sent_curl = message("newcomer-curl", alice, alice);
    curl_submit(&scratch, "newcomer-curl", &sent_curl, 2587, &cafile);
    let sent_swaks = message("newcomer-swaks", alice, alice);
    let transcript = swaks_submit(&scratch, "newcomer-swaks", &sent_swaks, 2587, &cafile);
    assert!(transcript.contains("TLS started"), "{transcript}");
    assert!(transcript.contains("<~  235 "), "{transcript}");
    // swaks ends DATA with CRLF "." CRLF after the file, so a file that
    // ends with CRLF arrives with one empty line more.
    let mut sent_swaks = sent_swaks;
    sent_swaks.extend_from_slice(b"\r\n");

    let maildir = dir.join("mail-data/mail/example.com/alice/Maildir");
    assert_eq!(
        std::fs::read_dir(maildir.join("new"))
            .map(Iterator::count)
            .ok(),
        Some(3),
        "messages in {}",
        maildir.display()
    );

    // curl over POP3S: each message by number, leaving them.
    let by_curl: Vec<Vec<u8>> = (1..=3)
        .map(|n| curl_retrieve(&scratch, n, 2995, &cafile))
        .collect();
    // poplib over POP3S: all of them, deleting them.
    let by_poplib = py_collect(
        &scratch,
        "pop3s",
        2995,
        &cafile,
        (alice, ALICE_PASSWORD),
        true,
    );
    assert_eq!(by_poplib.len(), 3, "messages in alice's maildrop");
    for (who, sent, tag) in [
        ("smtplib", &sent_python, "newcomer-python"),
        ("curl", &sent_curl, "newcomer-curl"),
        ("swaks", &sent_swaks, "newcomer-swaks"),
    ] {
        assert_same(
            &format!("{who}, collected by poplib"),
            find_message(&by_poplib, tag),
            sent,
        );
        assert_same(
            &format!("{who}, collected by curl"),
            find_message(&by_curl, tag),
            sent,
        );
    }
    let trace = trace_of(find_message(&by_poplib, "newcomer-python"));
    assert!(
        trace.contains("Delivered-To: alice@example.com\r\n"),
        "{trace}"
    );
    assert!(
        trace.contains("Return-Path: <alice@example.com>\r\n"),
        "{trace}"
    );
    assert!(
        py_collect(
            &scratch,
            "pop3s",
            2995,
            &cafile,
            (alice, ALICE_PASSWORD),
            false
        )
        .is_empty(),
        "the deleted messages are still there"
    );
    drop(server);
}

/// SMTPS, POP3 with STLS and LMTP with per-recipient replies, with Python.
#[test]
fn every_port_with_python() {
    let setup = Setup::standard("interop-every-port", Config::default());
    let scratch = &setup.scratch;
    let mut server = setup.start();
    let cafile = setup.certificate_path();
    let (alice, bob) = (ALICE, BOB);

    // Submission with implicit TLS (465's service).
    let sent_smtps = message("every-smtps", alice, bob);
    let refused = py_submit(
        scratch,
        "every-smtps",
        &sent_smtps,
        "smtps",
        server.port("submissions"),
        &cafile,
        Some((alice, ALICE_PASSWORD)),
        alice,
        &[alice, bob],
    );
    assert_eq!(refused, "{}");

    // LMTP: a reply per RCPT, then a reply per accepted recipient.
    let sent_lmtp = message("every-lmtp", "someone@elsewhere.example", alice);
    let path = scratch.path("every-lmtp.eml");
    std::fs::write(&path, &sent_lmtp).unwrap();
    let args = format!(
        "{{\"port\": {}, \"from\": \"someone@elsewhere.example\", \"to\": [\"{alice}\", \
         \"nobody@example.com\", \"{bob}\"], \"message\": {}}}",
        server.port("lmtp"),
        json_path(&path)
    );
    let replies = last_line(&python(PY_LMTP, &args)).to_owned();
    let rcpt_ok = format!("[\"{alice}\", 250, ");
    assert!(replies.contains(&rcpt_ok), "LMTP replies: {replies}");
    assert!(
        replies.contains("[\"nobody@example.com\", 550, \"5.1.1 "),
        "LMTP: the unknown recipient is refused with 550 5.1.1: {replies}"
    );
    let data = replies
        .split_once("\"data\": ")
        .map(|(_, d)| d)
        .unwrap_or_default();
    assert_eq!(
        data.matches("[250, ").count(),
        2,
        "LMTP: one 250 per accepted recipient after DATA: {replies}"
    );

    // POP3 with STLS (and USER/PASS refused before it).
    let port = server.port("pop3");
    let bobs = py_collect(scratch, "stls", port, &cafile, (bob, BOB_PASSWORD), true);
    assert_eq!(bobs.len(), 2, "bob's messages");
    assert_same(
        "SMTPS to bob",
        find_message(&bobs, "every-smtps"),
        &sent_smtps,
    );
    assert_same("LMTP to bob", find_message(&bobs, "every-lmtp"), &sent_lmtp);
    let port = server.port("pop3s");
    let alices = py_collect(
        scratch,
        "pop3s",
        port,
        &cafile,
        (alice, ALICE_PASSWORD),
        true,
    );
    assert_eq!(alices.len(), 2, "alice's messages");
    assert_same(
        "SMTPS to alice",
        find_message(&alices, "every-smtps"),
        &sent_smtps,
    );
    assert_same(
        "LMTP to alice",
        find_message(&alices, "every-lmtp"),
        &sent_lmtp,
    );
    let trace = trace_of(find_message(&alices, "every-lmtp"));
    assert!(
        trace.contains("Return-Path: <someone@elsewhere.example>\r\n"),
        "{trace}"
    );
    server.stop(SHUTDOWN);
}

/// Relaying: refused from outside `mynetworks` with 554 5.7.1, never
/// accepted for a foreign domain from anywhere; mail for our domains
/// accepted from anyone; AUTH offered only after STARTTLS.
#[test]
fn relay_policy_with_python() {
    let config = Config {
        mynetworks: vec!["127.0.0.1/32".to_owned()],
        ..Config::default()
    };
    let setup = Setup::standard("interop-relay", config);
    let scratch = &setup.scratch;
    let mut server = setup.start();
    let cafile = setup.certificate_path();
    let path = scratch.path("relay.eml");
    let sent = message("relay", "someone@elsewhere.example", "alice@example.com");
    std::fs::write(&path, &sent).unwrap();
    let args = format!(
        "{{\"port\": {}, \"cafile\": {}, \"message\": {}, \"outside\": \"127.0.0.2\", \
         \"inside\": \"127.0.0.1\", \"from\": \"someone@elsewhere.example\", \
         \"local\": \"alice@example.com\", \"foreign\": \"friend@foreign.example\", \
         \"user\": {}, \"password\": {}}}",
        server.port("smtp"),
        json_path(&cafile),
        json_path(&path),
        json_string(ALICE),
        json_string(ALICE_PASSWORD)
    );
    let out = python(PY_RELAY, &args);
    // One `key<TAB>JSON` line per observation.
    let value = |key: &str| -> String {
        out.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}\t")))
            .unwrap_or_else(|| panic!("{key} missing: {out}"))
            .to_owned()
    };
    for side in ["outside", "inside"] {
        let plain = value(&format!("{side}_features_plain"));
        assert!(plain.contains("\"starttls\""), "{side}: {plain}");
        assert!(
            !plain.contains("\"auth\""),
            "{side}: AUTH offered before STARTTLS: {plain}"
        );
        let tls = value(&format!("{side}_features_tls"));
        assert!(
            tls.contains("\"auth\""),
            "{side}: no AUTH after STARTTLS: {tls}"
        );
    }
    let denied = "{\"friend@foreign.example\": [554, \"5.7.1 ";
    for key in ["outside_foreign", "outside_mixed", "outside_foreign_tls"] {
        let refused = value(key);
        assert!(
            refused.starts_with(denied),
            "{key}: the foreign recipient is not refused with 554 5.7.1: {refused}"
        );
        assert!(!refused.contains("alice@"), "{key}: {refused}");
    }
    // From mynetworks, or authenticated: still no relaying (the server
    // delivers locally only), but never a 250.
    for key in [
        "inside_foreign",
        "inside_mixed",
        "inside_foreign_tls",
        "outside_foreign_auth",
    ] {
        let refused = value(key);
        assert!(
            refused.starts_with("{\"friend@foreign.example\": [5")
                || refused.starts_with("{\"friend@foreign.example\": [4"),
            "{key}: a foreign recipient not refused: {refused}"
        );
        assert!(!refused.contains("alice@"), "{key}: {refused}");
    }
    // The local recipient of the two mixed transactions got the message.
    let port = server.port("pop3s");
    let alice = (ALICE, ALICE_PASSWORD);
    let messages = py_collect(scratch, "pop3s", port, &cafile, alice, true);
    assert_eq!(
        messages.len(),
        2,
        "alice's messages (outside_mixed, inside_mixed)"
    );
    for message in &messages {
        assert_same("mixed transaction", message, &sent);
    }
    server.stop(SHUTDOWN);
}

// --- A Postfixadmin database in PostgreSQL and MariaDB ----------------------------

/// Postfix's maps of the seeds' Postfixadmin tutorial
/// (`mysql_virtual_domains_maps.cf`, `mysql_virtual_alias_maps.cf`) and
/// Dovecot's `password_query` and `user_query` of the extmail tutorial as
/// one query (Dovecot's `%u`, the whole user name, written `%s`), plus
/// Postfixadmin's `quota` column.
const SEED_QUERIES: &str = r#"
domain_query = "SELECT domain FROM domain WHERE domain='%s' AND active='1'"
user_query = "SELECT username, domain, password, maildir, quota, 600 AS uid, 600 AS gid FROM mailbox WHERE username = '%s' AND domain = '%d' AND active = '1'"
alias_query = "SELECT goto FROM alias WHERE address='%s' AND active='1'"
default_pass_scheme = "SHA512-CRYPT"
"#;

/// A SHA512-CRYPT hash of `password` made by `mkpasswd`: `$6$…`.
fn mkpasswd(password: &str) -> String {
    let mut command = Command::new(tool("mkpasswd", "whois"));
    command.args(["-m", "sha-512", "--stdin"]);
    let hash = run_ok(command, format!("{password}\n").as_bytes())
        .trim()
        .to_owned();
    assert!(hash.starts_with("$6$"), "mkpasswd: {hash}");
    hash
}

/// Postfixadmin's rows: example.net with sam (`{SHA512-CRYPT}` hash, a
/// 10 MB quota, maildir `example.net/sam/`), tiny (a bare `$6$` hash,
/// default_pass_scheme's, and a 2000-byte quota), off (inactive); the
/// self-aliases Postfixadmin writes, `info@` for sam, and a catch-all to
/// sam.
fn postfixadmin_rows(active: &str, inactive: &str) -> String {
    let sam = format!("{{SHA512-CRYPT}}{}", mkpasswd("sam-pw"));
    let tiny = mkpasswd("tiny-pw");
    let t = "'2024-01-01 00:00:00', '2024-01-01 00:00:00'";
    format!(
        "INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, quota, transport, backupmx, created, modified, active) VALUES
          ('example.net', 'Example', 0, 0, 0, 0, 'virtual', {inactive}, {t}, {active});
         INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain, created, modified, active) VALUES
          ('sam@example.net', '{sam}', 'Sam', 'example.net/sam/', 10485760, 'sam', 'example.net', {t}, {active}),
          ('tiny@example.net', '{tiny}', 'Tiny', 'example.net/tiny/', 2000, 'tiny', 'example.net', {t}, {active}),
          ('off@example.net', '{tiny}', 'Off', 'example.net/off/', 0, 'off', 'example.net', {t}, {inactive});
         INSERT INTO alias (address, goto, domain, created, modified, active) VALUES
          ('sam@example.net', 'sam@example.net', 'example.net', {t}, {active}),
          ('tiny@example.net', 'tiny@example.net', 'example.net', {t}, {active}),
          ('off@example.net', 'off@example.net', 'example.net', {t}, {inactive}),
          ('info@example.net', 'sam@example.net', 'example.net', {t}, {active}),
          ('@example.net', 'sam@example.net', 'example.net', {t}, {active});
        "
    )
}

/// The files of the Maildir at `dir` (new/ and cur/).
fn maildir_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(dir.join(sub)).into_iter().flatten())
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}

fn postfixadmin_directory(database: &sql_servers::Server) {
    let kind = match database.kind {
        Kind::Postgres => "postgres",
        Kind::MariaDb => "mariadb",
    };
    let setup = Setup::new(&format!("interop-postfixadmin-{kind}"), Config::default());
    let scratch = &setup.scratch;
    let db = "postfix_db";
    let url = database.create_database(db);
    let (schema, active, inactive) = match database.kind {
        Kind::Postgres => (POSTGRES_DUMP, "true", "false"),
        Kind::MariaDb => (MYSQL_DUMP, "1", "0"),
    };
    database.sql(
        db,
        &format!("{schema}{}", postfixadmin_rows(active, inactive)),
    );
    let vmail = scratch.path("vmail");
    let config = Config {
        extra: format!(
            "[directory]\nurl = {}\nmaildir_column_base = {}\n{SEED_QUERIES}",
            toml_string(&url),
            toml_string(vmail.to_str().expect("UTF-8 scratch path"))
        ),
        ..Config::default()
    };
    setup.write_config_text(&config.render(&setup.data_dir));
    let mut server = setup.start();
    let cafile = setup.certificate_path();
    let smtp = server.port("smtp");
    let from = "someone@elsewhere.example";
    // Plain SMTP to the MTA port, unauthenticated, from `from`.
    let submit = |tag: &str, message: &[u8], to: &[&str]| {
        py_submit(
            scratch, tag, message, "plain", smtp, &cafile, None, from, to,
        )
    };

    let mut sent = Vec::new();
    for (tag, to) in [
        ("sql-user", "sam@example.net"),
        ("sql-alias", "info@example.net"),
        ("sql-catchall", "whoever@example.net"),
        ("sql-detail", "sam+lists@example.net"),
    ] {
        let tag = format!("{tag}-{kind}");
        let message = message(&tag, from, to);
        let refused = submit(&tag, &message, &[to]);
        assert_eq!(refused, "{}", "to {to}");
        sent.push((tag, message, to));
    }
    // A domain not in the domain table is not ours (a domain's inactive
    // accounts are the catch-all's, as with Postfix); tiny's quota is
    // smaller than a message.
    let tag = format!("sql-refused-{kind}");
    let message = message(&tag, from, "tiny@example.net");
    assert!(message.len() > 2000);
    let refused = submit(&tag, &message, &["user@example.org", "sam@example.net"]);
    assert!(
        refused.contains("\"user@example.org\": [554, \"5.7.1 "),
        "a domain not in the domain table: {refused}"
    );
    assert!(!refused.contains("sam@"), "{refused}");
    sent.push((tag.clone(), message.clone(), "sam@example.net"));
    let refused = submit(&tag, &message, &["tiny@example.net"]);
    // Over quota: refused at RCPT or at the end of DATA, with Dovecot's
    // `quota_full_tempfail` (452 4.2.2) or without it (552 5.2.2).
    let over_quota = [
        "452, \"4.2.2 <tiny@example.net>",
        "552, \"5.2.2 <tiny@example.net>",
    ]
    .iter()
    .any(|reply| {
        refused.contains(&format!("\"tiny@example.net\": [{reply}"))
            || refused.contains(&format!("\"DATA\": [{reply}"))
    });
    assert!(
        over_quota,
        "a message over tiny's 2000-byte quota: {refused}"
    );
    let tiny_dir = vmail.join("example.net/tiny");
    assert!(
        maildir_files(&tiny_dir).is_empty(),
        "stored over tiny's 2000-byte quota: {:?}",
        maildir_files(&tiny_dir)
    );

    // sam's mail is where the maildir column says, under
    // maildir_column_base.
    let sam_dir = vmail.join("example.net/sam");
    assert_eq!(
        maildir_files(&sam_dir).len(),
        5,
        "messages in {} (from the maildir column): {:?}",
        sam_dir.display(),
        std::fs::read_dir(&vmail).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
    );
    let sam = ("sam@example.net", "sam-pw");
    let collected = py_collect(scratch, "stls", server.port("pop3"), &cafile, sam, false);
    assert_eq!(collected.len(), 5, "sam's messages over POP3");
    for (tag, message, to) in &sent {
        let stored = find_message(&collected, tag);
        assert_same(tag, stored, message);
        // Postfix's virtual(8) names the final mailbox (with the
        // recipient's extension); Received: the envelope recipient.
        let delivered_to = if to.contains('+') {
            to
        } else {
            "sam@example.net"
        };
        let trace = trace_of(stored);
        assert!(
            trace.contains(&format!("\r\nDelivered-To: {delivered_to}\r\n")),
            "{tag}: {trace}"
        );
        assert!(trace.contains(&format!("for <{to}>;")), "{tag}: {trace}");
    }
    // The bare `$6$` hash, read with default_pass_scheme, logs in; the
    // inactive account does not.
    let tiny = ("tiny@example.net", "tiny-pw");
    let port = server.port("pop3s");
    assert!(py_collect(scratch, "pop3s", port, &cafile, tiny, false).is_empty());
    let args = format!(
        "{{\"mode\": \"pop3s\", \"port\": {port}, \"cafile\": {}, \"user\": \"off@example.net\", \
         \"password\": \"tiny-pw\", \"out\": {}}}",
        json_path(&cafile),
        json_path(&scratch.path("off"))
    );
    // Refused: the script fails, with the server's -ERR in its output.
    let collected = sql_servers::try_run(python_command(PY_COLLECT, &args), b"", CLIENT);
    assert!(
        collected
            .as_ref()
            .is_err_and(|failure| failure.contains("-ERR")),
        "the inactive account logged in: {collected:?}"
    );
    server.stop(SHUTDOWN);
}

#[test]
fn postfixadmin_directory_in_postgresql() {
    postfixadmin_directory(&sql_servers::Server::postgres());
}

#[test]
fn postfixadmin_directory_in_mariadb() {
    postfixadmin_directory(&sql_servers::Server::mariadb());
}
