//! What the `mailserver` black-box tests share (`mailserver.rs`,
//! `mailserver_crash.rs`, `interop_mailserver.rs`). Include it with
//! `mod mailserver_support;` (or `#[path = "mailserver_support/mod.rs"]`).
//! Not every test uses every item. The API is meant to stay stable:
//!
//! * [`Config`]: the test configuration (every listener on
//!   `127.0.0.1:0`, `failure_delay_ms = 0`, `connections_per_ip = 0`
//!   unless changed), rendered to TOML by [`Config::render`].
//! * [`Setup`]: a scratch directory ([`new_scratch`]) holding
//!   `mailserver.toml` and `data/` (the `data_dir`, written as an absolute
//!   path); runs admin commands ([`Setup::cli`], [`Setup::add_user`], …),
//!   reads the Maildirs ([`Setup::stored`]) and starts the server
//!   ([`Setup::start`]). [`Setup::standard`] also adds the domain
//!   `example.com` and the accounts [`ALICE`] and [`BOB`].
//! * [`Server`]: a running `mailserver serve`: its listeners by service
//!   ([`Server::addr`]), its stderr log ([`Server::log`]), clients
//!   ([`Server::smtp`], [`Server::pop3`], …), SIGTERM / SIGKILL. Dropping
//!   it sends SIGTERM, then SIGKILL after 5 s; when dropped while a test
//!   panics, it prints the server's log tail to the test's output.
//! * [`Smtp`] and [`Pop3`]: raw blocking protocol clients over a shared
//!   [`LineConn`] (std sockets, rustls for STARTTLS/STLS and implicit
//!   TLS, trusting exactly the server's `<data_dir>/tls/cert.pem`); every
//!   failed expectation panics with the server's log tail.
//! * [`Reply`]: an SMTP/LMTP reply; helpers [`dot_stuff`],
//!   [`plain_credentials`], [`test_message`].
//!
//! [`Scratch`] and [`dot_stuff`] come from `tests/support/mod.rs` (the
//! `smtp-sink` tests' support), included here.

#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

pub(crate) use support::{Scratch, dot_stuff};

/// The path of the binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_mailserver");

/// The `hostname` of [`Config::default`].
pub(crate) const HOSTNAME: &str = "mail.example.com";
/// The domain [`Setup::standard`] adds.
pub(crate) const DOMAIN: &str = "example.com";
/// An account [`Setup::standard`] adds, with [`ALICE_PASSWORD`].
pub(crate) const ALICE: &str = "alice@example.com";
pub(crate) const ALICE_PASSWORD: &str = "alice's secret 1";
/// An account [`Setup::standard`] adds, with [`BOB_PASSWORD`].
pub(crate) const BOB: &str = "bob@example.com";
pub(crate) const BOB_PASSWORD: &str = "bob's secret 2";

/// Every service the server has, in the order of `[listen]`.
pub(crate) const SERVICES: [&str; 6] =
    ["smtp", "submission", "submissions", "lmtp", "pop3", "pop3s"];

/// How long a client waits for a reply before failing.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// How long [`Server::start`] waits for `ready`.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Scratch directories

/// A fresh directory under cargo's `target/tmp`, removed when dropped
/// (kept when the test panics, for a look at the data and the logs).
pub(crate) fn new_scratch(name: &str) -> Scratch {
    let mut scratch = Scratch::under(Path::new(env!("CARGO_TARGET_TMPDIR")), "mailserver", name);
    scratch.keep_on_panic = true;
    scratch
}

// ---------------------------------------------------------------------------
// Configuration

/// The test configuration; [`Config::default`] is the usual one.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `hostname` (default [`HOSTNAME`]).
    pub(crate) hostname: String,
    /// The services that listen on `127.0.0.1:0`; the others get `[]`.
    /// Default: all of [`SERVICES`].
    pub(crate) services: Vec<&'static str>,
    /// `[smtp] mynetworks` (default empty).
    pub(crate) mynetworks: Vec<String>,
    /// `[smtp] client_access`, as (network, action) pairs (default empty).
    pub(crate) client_access: Vec<(String, String)>,
    /// `[smtp] sender_login_check` (default true).
    pub(crate) sender_login_check: bool,
    /// `[auth] failure_delay_ms` (default 0 for speed).
    pub(crate) failure_delay_ms: u64,
    /// `[auth] password_scheme` (default: the server's own default).
    pub(crate) password_scheme: Option<String>,
    /// `[limits] message_size` (default: the server's).
    pub(crate) message_size: Option<u64>,
    /// `[limits] recipients` (default: the server's).
    pub(crate) recipients: Option<usize>,
    /// `[limits] connections_per_ip` (default 0: no limit).
    pub(crate) connections_per_ip: u32,
    /// `[log] level` (default "info").
    pub(crate) log_level: String,
    /// Raw TOML appended at the end: whole tables only, and none of the
    /// tables above (`[smtp]`, `[auth]`, `[limits]`, `[listen]`, `[log]`)
    /// — e.g. `"[directory]\nrecipient_delimiter = \"-\"\n"`.
    pub(crate) extra: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            hostname: HOSTNAME.to_string(),
            services: SERVICES.to_vec(),
            mynetworks: Vec::new(),
            client_access: Vec::new(),
            sender_login_check: true,
            failure_delay_ms: 0,
            password_scheme: None,
            message_size: None,
            recipients: None,
            connections_per_ip: 0,
            log_level: "info".to_string(),
            extra: String::new(),
        }
    }
}

/// A TOML basic string.
pub(crate) fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Config {
    /// The configuration file's text, with `data_dir` as given.
    pub(crate) fn render(&self, data_dir: &Path) -> String {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|item| toml_string(item))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut toml = String::new();
        toml.push_str(&format!("hostname = {}\n", toml_string(&self.hostname)));
        toml.push_str(&format!(
            "data_dir = {}\n",
            toml_string(&data_dir.to_string_lossy())
        ));
        toml.push_str("\n[listen]\n");
        for service in SERVICES {
            let on = self.services.contains(&service);
            toml.push_str(&format!(
                "{service} = [{}]\n",
                if on { "\"127.0.0.1:0\"" } else { "" }
            ));
        }
        toml.push_str("\n[smtp]\n");
        toml.push_str(&format!("mynetworks = [{}]\n", list(&self.mynetworks)));
        let access: Vec<String> = self
            .client_access
            .iter()
            .map(|(network, action)| format!("{} = {}", toml_string(network), toml_string(action)))
            .collect();
        toml.push_str(&format!("client_access = {{ {} }}\n", access.join(", ")));
        toml.push_str(&format!(
            "sender_login_check = {}\n",
            self.sender_login_check
        ));
        toml.push_str("\n[auth]\n");
        toml.push_str(&format!("failure_delay_ms = {}\n", self.failure_delay_ms));
        if let Some(scheme) = &self.password_scheme {
            toml.push_str(&format!("password_scheme = {}\n", toml_string(scheme)));
        }
        toml.push_str("\n[limits]\n");
        if let Some(size) = self.message_size {
            toml.push_str(&format!("message_size = {size}\n"));
        }
        if let Some(recipients) = self.recipients {
            toml.push_str(&format!("recipients = {recipients}\n"));
        }
        toml.push_str(&format!(
            "connections_per_ip = {}\n",
            self.connections_per_ip
        ));
        toml.push_str("\n[log]\n");
        toml.push_str(&format!("level = {}\n", toml_string(&self.log_level)));
        if !self.extra.is_empty() {
            toml.push('\n');
            toml.push_str(&self.extra);
            toml.push('\n');
        }
        toml
    }
}

// ---------------------------------------------------------------------------
// Setup: the scratch directory, the configuration file, admin commands

/// What an admin command did.
#[derive(Debug, Clone)]
pub(crate) struct CliOutput {
    /// The command line after `--config FILE`, for messages.
    pub(crate) args: String,
    /// The exit code (`None`: killed by a signal).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl CliOutput {
    /// Asserts the exit code is `code`; returns self.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &CliOutput {
        assert_eq!(self.code, Some(code), "unexpected exit status of {self}");
        self
    }

    /// Asserts exit status 0; returns stdout.
    #[track_caller]
    pub(crate) fn ok(&self) -> &str {
        self.expect_code(0);
        &self.stdout
    }
}

impl fmt::Display for CliOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`mailserver --config … {}`: exit {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

/// A scratch directory with `mailserver.toml` and `data/`.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) scratch: Scratch,
    /// `<scratch>/mailserver.toml`.
    pub(crate) config_path: PathBuf,
    /// `<scratch>/data`: the `data_dir`.
    pub(crate) data_dir: PathBuf,
    pub(crate) config: Config,
    servers_started: AtomicU32,
}

impl Setup {
    /// Writes `config` (with `data_dir` = `<scratch>/data`) and nothing
    /// else: no domain, no user.
    pub(crate) fn new(name: &str, config: Config) -> Setup {
        let scratch = new_scratch(name);
        let config_path = scratch.path("mailserver.toml");
        let data_dir = scratch.path("data");
        std::fs::write(&config_path, config.render(&data_dir)).expect("write mailserver.toml");
        Setup {
            scratch,
            config_path,
            data_dir,
            config,
            servers_started: AtomicU32::new(0),
        }
    }

    /// [`Setup::new`], then the domain [`DOMAIN`] and the accounts
    /// [`ALICE`] and [`BOB`] (no quota) through the admin commands.
    pub(crate) fn standard(name: &str, config: Config) -> Setup {
        let setup = Setup::new(name, config);
        setup.add_domain(DOMAIN);
        setup.add_user(ALICE, ALICE_PASSWORD);
        setup.add_user(BOB, BOB_PASSWORD);
        setup
    }

    /// Rewrites the configuration file with `text` as it is.
    pub(crate) fn write_config_text(&self, text: &str) {
        std::fs::write(&self.config_path, text).expect("write mailserver.toml");
    }

    /// Runs `mailserver --config <file> ARGS` with stdin from `/dev/null`.
    pub(crate) fn cli(&self, args: &[&str]) -> CliOutput {
        self.cli_with_stdin(args, None)
    }

    /// Runs `mailserver --config <file> ARGS` with `stdin` as its input.
    pub(crate) fn cli_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> CliOutput {
        run_cli(Some(&self.config_path), args, stdin)
    }

    /// Runs a command that must succeed; returns its stdout.
    #[track_caller]
    pub(crate) fn cli_ok(&self, args: &[&str]) -> String {
        self.cli(args).ok().to_string()
    }

    /// `domain add DOMAIN` (must succeed).
    #[track_caller]
    pub(crate) fn add_domain(&self, domain: &str) {
        self.cli_ok(&["domain", "add", domain]);
    }

    /// `user add ADDRESS --password-stdin` (must succeed).
    #[track_caller]
    pub(crate) fn add_user(&self, address: &str, password: &str) {
        self.add_user_with(address, password, &[]);
    }

    /// `user add ADDRESS --password-stdin --quota QUOTA` (must succeed).
    #[track_caller]
    pub(crate) fn add_user_with_quota(&self, address: &str, password: &str, quota: &str) {
        self.add_user_with(address, password, &["--quota", quota]);
    }

    #[track_caller]
    fn add_user_with(&self, address: &str, password: &str, more: &[&str]) {
        let mut args = vec!["user", "add", address, "--password-stdin"];
        args.extend_from_slice(more);
        let stdin = format!("{password}\n");
        self.cli_with_stdin(&args, Some(stdin.as_bytes()))
            .expect_code(0);
    }

    /// `alias add ADDRESS TARGET…` (must succeed).
    #[track_caller]
    pub(crate) fn add_alias(&self, address: &str, targets: &[&str]) {
        let mut args = vec!["alias", "add", address];
        args.extend_from_slice(targets);
        self.cli_ok(&args);
    }

    /// Starts `mailserver serve` and waits for `ready`.
    #[track_caller]
    pub(crate) fn start(&self) -> Server {
        let n = self.servers_started.fetch_add(1, Ordering::Relaxed);
        Server::start(
            &self.config_path,
            &self.data_dir,
            &self.scratch.path(&format!("serve-{n}.log")),
        )
    }

    /// The default Maildir of `address`:
    /// `<data_dir>/mail/<domain>/<local part>/Maildir`.
    pub(crate) fn maildir(&self, address: &str) -> PathBuf {
        let (local, domain) = address.rsplit_once('@').expect("an address with @");
        self.data_dir
            .join("mail")
            .join(domain)
            .join(local)
            .join("Maildir")
    }

    /// The messages in `address`'s Maildir, `new/` then `cur/`, each
    /// sorted by file name (an absent directory counts as empty).
    pub(crate) fn stored(&self, address: &str) -> Vec<Stored> {
        stored_in(&self.maildir(address))
    }

    /// The files in `tmp/` of `address`'s Maildir.
    pub(crate) fn tmp_files(&self, address: &str) -> Vec<PathBuf> {
        list_dir(&self.maildir(address).join("tmp"))
    }

    /// `<data_dir>/tls/cert.pem`, where the server writes its self-signed
    /// certificate.
    pub(crate) fn certificate_path(&self) -> PathBuf {
        self.data_dir.join("tls").join("cert.pem")
    }
}

/// Runs the binary with `--config FILE` (when given) and `args`.
pub(crate) fn run_cli(config: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> CliOutput {
    let mut command = Command::new(BIN);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let mut child = command
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mailserver");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The command may exit without reading; ignore EPIPE.
        let _ = pipe.write_all(input);
    }
    let output = child.wait_with_output().expect("wait for mailserver");
    CliOutput {
        args: args.join(" "),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A message file in a Maildir.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
}

impl Stored {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// The files of `dir` sorted by name (none when it does not exist).
pub(crate) fn list_dir(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    files.sort();
    files
}

/// The messages in `maildir`'s `new/` and `cur/`.
pub(crate) fn stored_in(maildir: &Path) -> Vec<Stored> {
    ["new", "cur"]
        .iter()
        .flat_map(|sub| list_dir(&maildir.join(sub)))
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read a stored message");
            Stored { path, bytes }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The server's log

/// The server's stderr, in a file; cheap to clone into clients.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub(crate) path: PathBuf,
}

impl Log {
    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        std::fs::read(&self.path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.path.display()))
    }

    /// The last 40 lines, framed for a failure message.
    pub(crate) fn tail(&self) -> String {
        let text = self.text();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "\n--- server log ({}, last {} of {} lines) ---\n{}\n--- end of server log ---",
            self.path.display(),
            lines.len() - from,
            lines.len(),
            lines[from..].join("\n")
        )
    }
}

// ---------------------------------------------------------------------------
// The server

/// A running `mailserver serve`.
#[derive(Debug)]
pub(crate) struct Server {
    child: Option<Child>,
    /// `(service, address)` as printed, in order.
    pub(crate) listeners: Vec<(String, SocketAddr)>,
    pub(crate) log: Log,
    pub(crate) data_dir: PathBuf,
    /// Trusts exactly `<data_dir>/tls/cert.pem` as read after `ready`.
    pub(crate) tls: Arc<ClientConfig>,
    /// What the server printed to stdout after `ready` (should stay empty).
    pub(crate) stdout_after_ready: Arc<Mutex<Vec<String>>>,
    exit: Option<ExitStatus>,
}

impl Server {
    /// Starts `mailserver --config CONFIG serve` with stderr into `log`;
    /// waits up to [`START_TIMEOUT`] for the `listening …` lines and
    /// `ready`. Panics (with the log) when it does not get there.
    #[track_caller]
    pub(crate) fn start(config: &Path, data_dir: &Path, log: &Path) -> Server {
        let log_file = std::fs::File::create(log).expect("create the log file");
        let log = Log {
            path: log.to_path_buf(),
        };
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("spawn mailserver serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let after_ready = Arc::new(Mutex::new(Vec::new()));
        let after = Arc::clone(&after_ready);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut ready = false;
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if ready {
                    after.lock().unwrap().push(line);
                } else {
                    ready = line.trim_end() == "ready";
                    let _ = tx.send(line);
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let mut listeners = Vec::new();
        let mut printed = Vec::new();
        let fail = |child: &mut Child, printed: &[String], why: &str| -> ! {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "mailserver serve did not start: {why}; exit {status:?}; stdout so far: {printed:?}{}",
                log.tail()
            );
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    fail(&mut child, &printed, "no `ready` within 30 s")
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    fail(&mut child, &printed, "stdout closed before `ready`")
                }
            };
            printed.push(line.clone());
            let line = line.trim_end();
            if line == "ready" {
                break;
            }
            let parsed = line.strip_prefix("listening ").and_then(|rest| {
                let (service, addr) = rest.split_once(' ')?;
                Some((service.to_string(), addr.parse::<SocketAddr>().ok()?))
            });
            match parsed {
                Some((service, addr)) if SERVICES.contains(&service.as_str()) => {
                    if addr.port() == 0 {
                        fail(&mut child, &printed, "a listener printed port 0")
                    }
                    listeners.push((service, addr));
                }
                _ => fail(&mut child, &printed, "unexpected line on stdout"),
            }
        }
        let certificate = data_dir.join("tls").join("cert.pem");
        let tls = match std::fs::read(&certificate) {
            Ok(pem) => client_config_trusting(&pem),
            Err(e) => fail(
                &mut child,
                &printed,
                &format!(
                    "no certificate at {} after ready: {e}",
                    certificate.display()
                ),
            ),
        };
        Server {
            child: Some(child),
            listeners,
            log,
            data_dir: data_dir.to_path_buf(),
            tls,
            stdout_after_ready: after_ready,
            exit: None,
        }
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// The first listener of `service`; panics if it has none.
    #[track_caller]
    pub(crate) fn addr(&self, service: &str) -> SocketAddr {
        self.listeners
            .iter()
            .find(|(name, _)| name == service)
            .map(|(_, addr)| *addr)
            .unwrap_or_else(|| {
                panic!(
                    "no `listening {service}` line; listeners: {:?}{}",
                    self.listeners,
                    self.log.tail()
                )
            })
    }

    pub(crate) fn port(&self, service: &str) -> u16 {
        self.addr(service).port()
    }

    /// The log tail, for failure messages.
    pub(crate) fn log_tail(&self) -> String {
        self.log.tail()
    }

    /// Sends SIGTERM (with `kill -TERM PID`).
    pub(crate) fn terminate(&self) {
        if let Some(child) = &self.child {
            signal(child.id(), "TERM");
        }
    }

    /// Sends SIGKILL and reaps the process.
    pub(crate) fn kill(&mut self) -> Option<ExitStatus> {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            self.exit = child.wait().ok();
        }
        self.child = None;
        self.exit
    }

    /// Waits up to `timeout` for the process to exit; `None` if it is
    /// still running.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if self.exit.is_some() {
            return self.exit;
        }
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.exit = Some(status);
                self.child = None;
                return self.exit;
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits up to `timeout`; panics (with the log) unless
    /// the process exited with status 0.
    #[track_caller]
    pub(crate) fn stop(&mut self, timeout: Duration) {
        self.terminate();
        let status = self.wait_exit(timeout);
        assert!(
            status.is_some_and(|status| status.code() == Some(0)),
            "mailserver did not exit 0 within {timeout:?} of SIGTERM: {status:?}{}",
            self.log.tail()
        );
    }

    /// A client connection to `service`, from the local address `from`
    /// when given, over implicit TLS when `tls` (handshake done).
    #[track_caller]
    fn line_conn(&self, service: &str, from: Option<Ipv4Addr>, tls: bool) -> LineConn {
        let mut conn = connect(self.addr(service), from, &self.log);
        if tls {
            conn = Conn::Tls(Box::new(handshake(conn, &self.tls, &self.log)));
        }
        LineConn {
            reader: Some(BufReader::new(conn)),
            log: self.log.clone(),
            tls: Arc::clone(&self.tls),
            history: Vec::new(),
        }
    }

    /// A plain connection to `service`; the greeting is not read yet.
    #[track_caller]
    pub(crate) fn smtp(&self, service: &str) -> Smtp {
        Smtp(self.line_conn(service, None, false))
    }

    /// A plain connection to `service` from the local address `from`
    /// (127.0.0.2 etc.: Linux routes all of 127/8 to lo).
    #[track_caller]
    pub(crate) fn smtp_from(&self, service: &str, from: Ipv4Addr) -> Smtp {
        Smtp(self.line_conn(service, Some(from), false))
    }

    /// An implicit-TLS connection to `service` (submissions); the TLS
    /// handshake is done, the greeting not read yet.
    #[track_caller]
    pub(crate) fn smtp_tls(&self, service: &str) -> Smtp {
        Smtp(self.line_conn(service, None, true))
    }

    /// A plain POP3 connection to `service`; the greeting is not read yet.
    #[track_caller]
    pub(crate) fn pop3(&self, service: &str) -> Pop3 {
        Pop3(self.line_conn(service, None, false))
    }

    /// An implicit-TLS POP3 connection (pop3s); the greeting not read yet.
    #[track_caller]
    pub(crate) fn pop3_tls(&self, service: &str) -> Pop3 {
        Pop3(self.line_conn(service, None, true))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.log.tail());
        }
        if self.child.is_some() && self.wait_exit(Duration::ZERO).is_none() {
            self.terminate();
            if self.wait_exit(Duration::from_secs(5)).is_none() {
                self.kill();
            }
        }
    }
}

/// `kill -SIGNAL PID`.
pub(crate) fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run kill");
    // The process may have exited already; that is not an error here.
    let _ = status;
}

// ---------------------------------------------------------------------------
// Connections and TLS

/// A TCP connection to `addr`, optionally from the local address `from`,
/// with [`READ_TIMEOUT`].
#[track_caller]
pub(crate) fn connect(addr: SocketAddr, from: Option<Ipv4Addr>, log: &Log) -> Conn {
    let stream = match from {
        None => TcpStream::connect_timeout(&addr, Duration::from_secs(10)),
        Some(local) => connect_from(addr, local),
    };
    let stream = stream.unwrap_or_else(|e| panic!("connect to {addr}: {e}{}", log.tail()));
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    Conn::Plain(stream)
}

/// std cannot bind before connecting: tokio's `TcpSocket` can.
fn connect_from(addr: SocketAddr, local: Ipv4Addr) -> std::io::Result<TcpStream> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(local), 0))?;
        tokio::time::timeout(Duration::from_secs(10), socket.connect(addr))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
    })?;
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// A client configuration that trusts exactly the first certificate in
/// `pem` (compared byte for byte; handshake signatures are still checked
/// against its key). SNI is `localhost`.
pub(crate) fn client_config_trusting(pem: &[u8]) -> Arc<ClientConfig> {
    let certificate = CertificateDer::pem_slice_iter(pem)
        .next()
        .expect("a certificate in cert.pem")
        .expect("a well-formed certificate in cert.pem");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(ExactCertificate {
        certificate: certificate.into_owned(),
        provider: Arc::clone(&provider),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// Accepts exactly one certificate (a self-signed one cannot be its own
/// webpki trust anchor as an end-entity certificate in every case).
#[derive(Debug)]
struct ExactCertificate {
    certificate: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ExactCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client TLS stream over TCP.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// Runs the TLS handshake (SNI `localhost`) to completion; panics with the
/// log on failure.
#[track_caller]
pub(crate) fn handshake(conn: Conn, config: &Arc<ClientConfig>, log: &Log) -> TlsStream {
    let Conn::Plain(tcp) = conn else {
        panic!("TLS over TLS");
    };
    let name = ServerName::try_from("localhost").expect("server name");
    let connection = ClientConnection::new(Arc::clone(config), name).expect("client connection");
    let mut tls = StreamOwned::new(connection, tcp);
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            panic!("TLS handshake failed: {e}{}", log.tail());
        }
    }
    tls
}

/// A plain or TLS connection.
#[derive(Debug)]
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Conn {
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => &tls.sock,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

/// Reads one line ending in LF (CRLF expected); `None` at end of stream
/// or on a connection error (reset), `Err` text on a timeout.
fn read_line(reader: &mut BufReader<Conn>) -> Result<Option<Vec<u8>>, String> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) => Ok(None),
        Ok(_) if !line.ends_with(b"\n") => Ok(None),
        Ok(_) => Ok(Some(line)),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(format!(
                "no reply within {READ_TIMEOUT:?}; partial line {:?}",
                String::from_utf8_lossy(&line)
            ))
        }
        // A reset, or a TLS stream cut without close_notify: closed.
        Err(_) => Ok(None),
    }
}

/// What the raw clients [`Smtp`] and [`Pop3`] share (and reach through
/// `Deref`): the connection behind a buffer, the server's log and TLS
/// configuration, and what was sent; every panic carries the server's log
/// tail.
#[derive(Debug)]
pub(crate) struct LineConn {
    reader: Option<BufReader<Conn>>,
    pub(crate) log: Log,
    tls: Arc<ClientConfig>,
    /// What was sent, for failure messages (last few commands).
    history: Vec<String>,
}

impl LineConn {
    fn reader(&mut self) -> &mut BufReader<Conn> {
        self.reader.as_mut().expect("connection")
    }

    /// Whether the connection is TLS.
    pub(crate) fn is_tls(&self) -> bool {
        self.reader.as_ref().is_some_and(|r| r.get_ref().is_tls())
    }

    /// Context for failure messages.
    pub(crate) fn context(&self) -> String {
        let from = self.history.len().saturating_sub(6);
        format!(
            "\nlast commands sent: {:?}{}",
            &self.history[from..],
            self.log.tail()
        )
    }

    /// Sends raw bytes (no CRLF added).
    #[track_caller]
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let result = {
            let conn = self.reader().get_mut();
            conn.write_all(bytes).and_then(|()| conn.flush())
        };
        if let Err(e) = result {
            panic!("write failed: {e}{}", self.context());
        }
    }

    /// Sends raw bytes; `false` if the write failed (closed connection).
    pub(crate) fn try_send(&mut self, bytes: &[u8]) -> bool {
        let conn = self.reader().get_mut();
        conn.write_all(bytes).and_then(|()| conn.flush()).is_ok()
    }

    /// Reads one line with its line end; see [`read_line`].
    fn read_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        read_line(self.reader())
    }

    /// The TLS handshake on the plain connection, after the server's
    /// go-ahead (`after`, for the message): checks that the server sent
    /// nothing after it before the handshake.
    #[track_caller]
    fn start_tls(&mut self, after: &str) {
        let reader = self.reader.take().expect("connection");
        assert!(
            reader.buffer().is_empty(),
            "bytes after {after}: {:?}{}",
            String::from_utf8_lossy(reader.buffer()),
            self.context()
        );
        let tls = handshake(reader.into_inner(), &self.tls, &self.log);
        self.reader = Some(BufReader::new(Conn::Tls(Box::new(tls))));
    }

    /// Sets the socket's read timeout.
    pub(crate) fn set_read_timeout(&mut self, timeout: Duration) {
        self.reader()
            .get_ref()
            .tcp()
            .set_read_timeout(Some(timeout))
            .unwrap();
    }
}

// ---------------------------------------------------------------------------
// SMTP / LMTP

/// An SMTP or LMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    /// The text of each line (after `NNN-` / `NNN `), without CRLF.
    pub(crate) lines: Vec<String>,
}

impl Reply {
    /// The enhanced status code at the start of the first line
    /// (`5.1.1`), if any.
    pub(crate) fn enhanced(&self) -> Option<&str> {
        let first = self.lines.first()?;
        let word = first.split(' ').next()?;
        let parts: Vec<&str> = word.split('.').collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then_some(word)
    }

    /// `"550 5.1.1"`: the code and the enhanced code, for `assert_eq!`.
    pub(crate) fn status(&self) -> String {
        match self.enhanced() {
            Some(enhanced) => format!("{} {enhanced}", self.code),
            None => self.code.to_string(),
        }
    }

    /// The first line as sent: `"250 2.0.0 Ok"`.
    pub(crate) fn first_line(&self) -> String {
        format!(
            "{} {}",
            self.code,
            self.lines.first().map_or("", String::as_str)
        )
    }

    /// The lines of an EHLO reply after the first (the extensions).
    pub(crate) fn extensions(&self) -> &[String] {
        self.lines.get(1..).unwrap_or(&[])
    }

    /// Whether an EHLO reply advertises `keyword` (case-insensitively,
    /// as the first word of a line).
    pub(crate) fn has_extension(&self, keyword: &str) -> bool {
        self.extensions().iter().any(|line| {
            line.split(' ')
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
        })
    }

    /// The parameters of an EHLO keyword (`SIZE 1000` → `"1000"`).
    pub(crate) fn extension(&self, keyword: &str) -> Option<&str> {
        self.extensions().iter().find_map(|line| {
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            word.eq_ignore_ascii_case(keyword).then_some(rest)
        })
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == self.lines.len() { ' ' } else { '-' };
            if i > 0 {
                f.write_str(" / ")?;
            }
            write!(f, "{}{sep}{line}", self.code)?;
        }
        Ok(())
    }
}

/// A raw SMTP/LMTP client; every panic carries the server's log tail.
#[derive(Debug)]
pub(crate) struct Smtp(LineConn);

impl Deref for Smtp {
    type Target = LineConn;

    fn deref(&self) -> &LineConn {
        &self.0
    }
}

impl DerefMut for Smtp {
    fn deref_mut(&mut self) -> &mut LineConn {
        &mut self.0
    }
}

impl Smtp {
    /// Reads one reply; `None` when the connection is closed first.
    #[track_caller]
    pub(crate) fn try_reply(&mut self) -> Option<Reply> {
        let mut lines = Vec::new();
        let mut code = 0;
        loop {
            let line = match self.read_line() {
                Ok(Some(line)) => line,
                Ok(None) if lines.is_empty() => return None,
                Ok(None) => panic!(
                    "connection closed inside a reply: {lines:?}{}",
                    self.context()
                ),
                Err(e) => panic!("{e}; reply so far {lines:?}{}", self.context()),
            };
            let line = String::from_utf8_lossy(&line).into_owned();
            assert!(
                line.ends_with("\r\n"),
                "reply line without CRLF: {line:?}{}",
                self.context()
            );
            let line = &line[..line.len() - 2];
            let bytes = line.as_bytes();
            let valid = bytes.len() >= 3
                && bytes[..3].iter().all(u8::is_ascii_digit)
                && (bytes.len() == 3 || bytes[3] == b' ' || bytes[3] == b'-');
            assert!(valid, "malformed reply line {line:?}{}", self.context());
            let this: u16 = line[..3].parse().unwrap();
            if !lines.is_empty() {
                assert_eq!(
                    this,
                    code,
                    "reply code changed inside a multi-line reply {lines:?}{}",
                    self.context()
                );
            }
            code = this;
            lines.push(line.get(4..).unwrap_or("").to_string());
            if bytes.len() == 3 || bytes[3] == b' ' {
                return Some(Reply { code, lines });
            }
        }
    }

    /// Reads one reply; panics when the connection is closed.
    #[track_caller]
    pub(crate) fn reply(&mut self) -> Reply {
        match self.try_reply() {
            Some(reply) => reply,
            None => panic!("connection closed, no reply{}", self.context()),
        }
    }

    /// Reads the greeting and asserts it is a 220.
    #[track_caller]
    pub(crate) fn greeting(&mut self) -> Reply {
        let reply = self.reply();
        assert_eq!(reply.code, 220, "greeting: {reply}{}", self.context());
        reply
    }

    /// Sends `line` + CRLF and reads the reply.
    #[track_caller]
    pub(crate) fn command(&mut self, line: &str) -> Reply {
        self.history.push(line.to_string());
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// [`Smtp::command`], asserting the reply code.
    #[track_caller]
    pub(crate) fn expect(&mut self, line: &str, code: u16) -> Reply {
        let reply = self.command(line);
        assert_eq!(
            reply.code,
            code,
            "`{line}` → {reply} (expected {code}){}",
            self.context()
        );
        reply
    }

    /// [`Smtp::command`], asserting the code and enhanced code
    /// (`"550 5.1.1"`).
    #[track_caller]
    pub(crate) fn expect_status(&mut self, line: &str, status: &str) -> Reply {
        let reply = self.command(line);
        assert_eq!(
            reply.status(),
            status,
            "`{line}` → {reply}{}",
            self.context()
        );
        reply
    }

    /// Asserts a reply has `status` (`"550 5.1.1"`).
    #[track_caller]
    pub(crate) fn assert_status(&self, reply: &Reply, status: &str, what: &str) {
        assert_eq!(reply.status(), status, "{what} → {reply}{}", self.context());
    }

    /// `EHLO name` (must be 250).
    #[track_caller]
    pub(crate) fn ehlo(&mut self, name: &str) -> Reply {
        self.expect(&format!("EHLO {name}"), 250)
    }

    /// `LHLO name` (must be 250).
    #[track_caller]
    pub(crate) fn lhlo(&mut self, name: &str) -> Reply {
        self.expect(&format!("LHLO {name}"), 250)
    }

    /// `STARTTLS` (must be 220) and the handshake. Checks that the server
    /// sent nothing after its 220 before the handshake.
    #[track_caller]
    pub(crate) fn starttls(&mut self) {
        self.expect("STARTTLS", 220);
        self.start_tls("the STARTTLS 220");
    }

    /// `AUTH PLAIN <initial response>`; returns the reply (235 on
    /// success).
    #[track_caller]
    pub(crate) fn auth_plain(&mut self, user: &str, password: &str) -> Reply {
        let line = format!("AUTH PLAIN {}", plain_credentials(user, password));
        self.history.push("AUTH PLAIN <credentials>".to_string());
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// `EHLO`, `STARTTLS` (unless TLS already), `EHLO`, `AUTH PLAIN`
    /// which must succeed (235). Reads the greeting first.
    #[track_caller]
    pub(crate) fn login(&mut self, user: &str, password: &str) {
        self.greeting();
        self.ehlo("client.example");
        if !self.is_tls() {
            self.starttls();
            self.ehlo("client.example");
        }
        let reply = self.auth_plain(user, password);
        self.assert_status(&reply, "235 2.7.0", "AUTH PLAIN");
    }

    /// `DATA` (must be 354), the dot-stuffed `body` and `.`; returns the
    /// reply to the end of data (one; use [`Smtp::reply`] for LMTP's
    /// further ones).
    #[track_caller]
    pub(crate) fn data(&mut self, body: &[u8]) -> Reply {
        self.expect("DATA", 354);
        self.send_body(body);
        self.reply()
    }

    /// Sends the dot-stuffed `body` (CRLF added if missing) and `.`.
    #[track_caller]
    pub(crate) fn send_body(&mut self, body: &[u8]) {
        let mut bytes = dot_stuff(body);
        if !bytes.ends_with(b"\r\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b".\r\n");
        self.history
            .push(format!("<{} bytes of data>", bytes.len()));
        self.send(&bytes);
    }

    /// `MAIL FROM:<from>`, `RCPT TO:<…>` for each (all must be 250) and
    /// [`Smtp::data`]; returns the end-of-data reply.
    #[track_caller]
    pub(crate) fn send_message(&mut self, from: &str, to: &[&str], body: &[u8]) -> Reply {
        self.expect(&format!("MAIL FROM:<{from}>"), 250);
        for rcpt in to {
            self.expect(&format!("RCPT TO:<{rcpt}>"), 250);
        }
        self.data(body)
    }

    /// `QUIT` (221 expected); tolerant of the connection closing.
    pub(crate) fn quit(&mut self) {
        if self.try_send(b"QUIT\r\n") {
            let _ = self.try_reply_quietly();
        }
    }

    /// A reply if one arrives, without panicking on anything.
    pub(crate) fn try_reply_quietly(&mut self) -> Option<Reply> {
        let reader = self.reader.as_mut()?;
        let mut lines = Vec::new();
        loop {
            let line = read_line(reader).ok()??;
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            let code = line.get(..3)?.parse().ok()?;
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Some(Reply { code, lines });
            }
        }
    }

    /// Waits until the server closes the connection (EOF or reset);
    /// panics if it sends anything else or keeps it open past
    /// [`READ_TIMEOUT`]. Returns any replies received before the close.
    #[track_caller]
    pub(crate) fn expect_closed(&mut self) -> Vec<Reply> {
        let mut replies = Vec::new();
        while let Some(reply) = self.try_reply() {
            replies.push(reply);
            assert!(
                replies.len() < 10,
                "still talking: {replies:?}{}",
                self.context()
            );
        }
        replies
    }
}

// ---------------------------------------------------------------------------
// POP3

/// A raw POP3 client; every panic carries the server's log tail.
#[derive(Debug)]
pub(crate) struct Pop3(LineConn);

impl Deref for Pop3 {
    type Target = LineConn;

    fn deref(&self) -> &LineConn {
        &self.0
    }
}

impl DerefMut for Pop3 {
    fn deref_mut(&mut self) -> &mut LineConn {
        &mut self.0
    }
}

impl Pop3 {
    /// Reads one status line (without CRLF); `None` if closed.
    #[track_caller]
    pub(crate) fn try_line(&mut self) -> Option<String> {
        match self.read_line() {
            Ok(Some(line)) => {
                let line = String::from_utf8_lossy(&line).into_owned();
                assert!(
                    line.ends_with("\r\n"),
                    "line without CRLF: {line:?}{}",
                    self.context()
                );
                Some(line[..line.len() - 2].to_string())
            }
            Ok(None) => None,
            Err(e) => panic!("{e}{}", self.context()),
        }
    }

    /// Reads one status line; panics when closed.
    #[track_caller]
    pub(crate) fn line(&mut self) -> String {
        match self.try_line() {
            Some(line) => line,
            None => panic!("connection closed{}", self.context()),
        }
    }

    /// Reads the greeting, asserting `+OK`.
    #[track_caller]
    pub(crate) fn greeting(&mut self) -> String {
        let line = self.line();
        assert!(
            line.starts_with("+OK"),
            "greeting: {line:?}{}",
            self.context()
        );
        line
    }

    /// Sends `line` + CRLF and reads the status line.
    #[track_caller]
    pub(crate) fn command(&mut self, line: &str) -> String {
        let shown = if line.starts_with("PASS ") {
            "PASS <password>".to_string()
        } else {
            line.to_string()
        };
        self.history.push(shown);
        self.send(format!("{line}\r\n").as_bytes());
        self.line()
    }

    /// [`Pop3::command`], asserting `+OK`.
    #[track_caller]
    pub(crate) fn ok(&mut self, line: &str) -> String {
        let reply = self.command(line);
        assert!(
            reply.starts_with("+OK"),
            "`{line}` → {reply:?}{}",
            self.context()
        );
        reply
    }

    /// [`Pop3::command`], asserting `-ERR`.
    #[track_caller]
    pub(crate) fn err(&mut self, line: &str) -> String {
        let reply = self.command(line);
        assert!(
            reply.starts_with("-ERR"),
            "`{line}` → {reply:?} (expected -ERR){}",
            self.context()
        );
        reply
    }

    /// Reads a multi-line body after `+OK`: the bytes with CRLFs, dot-
    /// unstuffed, without the terminating `.` line.
    #[track_caller]
    pub(crate) fn multiline(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line = match self.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => panic!(
                    "closed inside a multi-line reply after {} bytes{}",
                    body.len(),
                    self.context()
                ),
                Err(e) => panic!("{e}{}", self.context()),
            };
            if line == b".\r\n" {
                return body;
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            body.extend_from_slice(line);
        }
    }

    /// `STLS` (+OK) and the handshake.
    #[track_caller]
    pub(crate) fn stls(&mut self) {
        self.ok("STLS");
        self.start_tls("the STLS +OK");
    }

    /// `USER` and `PASS` (both +OK).
    #[track_caller]
    pub(crate) fn login(&mut self, user: &str, password: &str) {
        self.ok(&format!("USER {user}"));
        self.ok(&format!("PASS {password}"));
    }

    /// `LIST`: (number, size) pairs.
    #[track_caller]
    pub(crate) fn list(&mut self) -> Vec<(u32, u64)> {
        self.ok("LIST");
        let body = self.multiline();
        String::from_utf8_lossy(&body)
            .lines()
            .map(|line| {
                let mut words = line.split_whitespace();
                let n = words.next().and_then(|w| w.parse().ok());
                let size = words.next().and_then(|w| w.parse().ok());
                match (n, size) {
                    (Some(n), Some(size)) => (n, size),
                    _ => panic!("bad LIST line {line:?}{}", self.context()),
                }
            })
            .collect()
    }

    /// `UIDL`: (number, unique id) pairs.
    #[track_caller]
    pub(crate) fn uidl(&mut self) -> Vec<(u32, String)> {
        self.ok("UIDL");
        let body = self.multiline();
        String::from_utf8_lossy(&body)
            .lines()
            .map(|line| {
                let (n, uid) = line.split_once(' ').unwrap_or((line, ""));
                (
                    n.parse()
                        .unwrap_or_else(|_| panic!("bad UIDL line {line:?}{}", self.context())),
                    uid.to_string(),
                )
            })
            .collect()
    }

    /// `RETR n`: the message as sent, unstuffed.
    #[track_caller]
    pub(crate) fn retr(&mut self, n: u32) -> Vec<u8> {
        self.ok(&format!("RETR {n}"));
        self.multiline()
    }

    /// `QUIT` (+OK expected).
    #[track_caller]
    pub(crate) fn quit(&mut self) -> String {
        self.ok("QUIT")
    }
}

// ---------------------------------------------------------------------------
// Helpers

/// The base64 `AUTH PLAIN` initial response for `user`/`password`.
pub(crate) fn plain_credentials(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

/// A small RFC 5322 message with CRLF line ends: `From`, `To`,
/// `Subject`, `Message-ID` (`<{subject-slug}@test.example>`-ish, unique
/// as `subject` is), a blank line and `body` (whose lines should end in
/// CRLF).
pub(crate) fn test_message(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    let id: String = subject
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
        .collect();
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{id}@test.example>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n{body}"
    )
    .into_bytes()
}

/// Polls `condition` every 20 ms for up to `timeout`.
pub(crate) fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
