//! A pipe driver for the command-line tool of GNU SASL (`gsasl`, Debian
//! package `gsasl`, written against 2.2.0), and the two exchange runners the
//! interoperability tests use: our client against `gsasl --server`, and
//! `gsasl --client` against our server.
//!
//! # gsasl's line protocol on stdin/stdout
//!
//! Without `--imap`/`--smtp` and without a host to connect to, gsasl 2.2.0
//! (`src/gsasl.c`) talks raw SASL over its standard streams:
//!
//! 1. It prints the mechanism name on a line of its own.
//! 2. It runs one mechanism step on the last line it read (on nothing at
//!    first), prints the step's output base64-encoded on a line (an empty
//!    line for empty output), then reads one base64 line. It repeats while
//!    the step wants more, so the line read after the *final* step's output
//!    is read and ignored: it stands for the outcome message of a real
//!    protocol. A server's final output therefore doubles as "additional
//!    data with success" (SCRAM's `v=`).
//! 3. A failing step prints `gsasl: mechanism error: <reason>` on stderr and
//!    exits with status 1; end of input while it waits for a line exits 1
//!    silently. After a successful exchange it prints `Server
//!    authentication finished (client trusted)...` (or `Client ...
//!    (server trusted)...`) on stderr and exits 0.
//!
//! `--no-client-first` makes the client read a challenge before its first
//! step, as under IMAP/SMTP. The server always prints its first step's
//! output first: an empty line for client-first mechanisms, which our client
//! answers like an empty challenge. `--password` gives either side the
//! password (the server compares or derives SCRAM keys from it).
//!
//! Every run also passes:
//! * `--no-cb`, except in the `*_with_cb` runners: otherwise SCRAM asks for
//!   `tls-exporter` (then `tls-unique`) channel-binding data by reading a
//!   base64 line from stdin, after printing a prompt without a newline to
//!   stdout, which then prefixes the next protocol line. The `*_with_cb`
//!   runners feed that line (the client reads it before its first message,
//!   the server right after the client-first message) and strip the prompt.
//! * `--application-data`: a gengetopt flag whose default is on, so passing
//!   it switches it *off*; gsasl then exits after authenticating instead of
//!   relaying application data until stdin closes.
//! * `--no-starttls` (no effect without a socket, but explicit).
//!
//! Every process is bounded by [`TIMEOUT`]: a protocol mismatch that leaves
//! either side waiting kills gsasl and fails the test with the transcript
//! and gsasl's stderr.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sasl::line::{
    ClientLine, decode_challenge, decode_response, encode_challenge, encode_response,
};
use sasl::{
    AuthError, ClientError, ClientSession, CredentialStore, Mechanism, ServerSession, ServerStep,
    Success,
};

/// How long one gsasl process may live.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// What gsasl prints (to stdout, without a newline) when it reads
/// channel-binding data from stdin, i.e. without `--no-cb` and `--hostname`.
const CB_PROMPTS: [&str; 2] = [
    "Enter base64 encoded tls-exporter channel binding: ",
    "Enter base64 encoded tls-unique channel binding: ",
];

/// Exchanges have a handful of round trips; more means a loop.
const MAX_ROUND_TRIPS: usize = 16;

/// The gsasl executable: the first `gsasl` on `PATH`, else the usual
/// install locations. Panics (never skips) when there is none.
pub(crate) fn gsasl_path() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("gsasl"))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| {
            panic!("gsasl not found: install the Debian package `gsasl` (scripts/test does this)")
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs gsasl to completion with no input (e.g. `--mkpasswd`), bounded by
/// [`TIMEOUT`].
pub(crate) fn run_once(args: &[&str]) -> Exit {
    let mut gsasl = Gsasl::spawn(args.iter().map(|arg| arg.to_string()).collect());
    gsasl.close_stdin();
    let mut output = Vec::new();
    while let Some(line) = gsasl.read_line() {
        output.push(line);
    }
    let mut exit = gsasl.finish();
    exit.stdout = output;
    exit
}

/// One running gsasl process.
#[derive(Debug)]
pub(crate) struct Gsasl {
    args: Vec<String>,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Lines with whether a newline ended them (else gsasl exited mid-line).
    stdout: Receiver<(String, bool)>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    deadline: Instant,
    transcript: Vec<String>,
}

/// How a gsasl process ended.
#[derive(Debug)]
pub(crate) struct Exit {
    pub(crate) status: ExitStatus,
    pub(crate) stderr: String,
    /// Lines gsasl printed that nobody consumed ([`run_once`] only).
    pub(crate) stdout: Vec<String>,
    transcript: String,
}

impl Exit {
    pub(crate) fn success(&self) -> bool {
        self.status.success()
    }

    /// Everything known about the run, for assertion messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "gsasl {}\n--- transcript (> to gsasl, < from gsasl) ---\n{}--- stderr ---\n{}",
            self.status, self.transcript, self.stderr
        )
    }
}

impl Gsasl {
    /// `gsasl --server` for `mechanism`, plus `extra` arguments; with
    /// `prompted_cb`, gsasl reads channel-binding data from stdin.
    pub(crate) fn server(mechanism: Mechanism, extra: &[&str], prompted_cb: bool) -> Self {
        Self::spawn(role_args("--server", mechanism, extra, prompted_cb))
    }

    /// `gsasl --client` for `mechanism`, plus `extra` arguments; with
    /// `prompted_cb`, gsasl reads channel-binding data from stdin.
    pub(crate) fn client(mechanism: Mechanism, extra: &[&str], prompted_cb: bool) -> Self {
        Self::spawn(role_args("--client", mechanism, extra, prompted_cb))
    }

    fn spawn(args: Vec<String>) -> Self {
        let path = gsasl_path();
        let mut child = Command::new(&path)
            .args(&args)
            // English diagnostics and UTF-8 for gsasl's own conversions.
            .env("LC_ALL", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", path.display()));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");

        let (sender, receiver) = mpsc::channel();
        let stdout_reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let terminated = line.ends_with(b"\n");
                        while matches!(line.last(), Some(b'\n' | b'\r')) {
                            line.pop();
                        }
                        let line = String::from_utf8_lossy(&line).into_owned();
                        if sender.send((line, terminated)).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut chunk = Vec::new();
            while matches!(reader.read_until(b'\n', &mut chunk), Ok(n) if n > 0) {
                sink.lock().expect("stderr buffer").append(&mut chunk);
            }
        });

        Self {
            args,
            child,
            stdin,
            stdout: receiver,
            stderr,
            readers: vec![stdout_reader, stderr_reader],
            deadline: Instant::now() + TIMEOUT,
            transcript: Vec::new(),
        }
    }

    /// The next line gsasl prints, or `None` once it closed stdout (exited).
    /// Kills gsasl and panics when the deadline passes.
    pub(crate) fn read_line(&mut self) -> Option<String> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        match self.stdout.recv_timeout(remaining) {
            Ok((line, false)) => {
                // A prompt gsasl printed before it died: not a protocol line.
                self.transcript
                    .push(format!("< {line:?} (no newline, then exit)"));
                None
            }
            Ok((mut line, true)) => {
                self.transcript.push(format!("< {line:?}"));
                // Channel-binding prompts end without a newline and so
                // prefix the next protocol line.
                while let Some(rest) = CB_PROMPTS
                    .iter()
                    .find_map(|prompt| line.strip_prefix(prompt))
                {
                    line = rest.to_string();
                }
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                panic!(
                    "gsasl did not answer within {TIMEOUT:?}; protocol mismatch?\n{}",
                    self.describe_running()
                );
            }
        }
    }

    /// Reads the mechanism line every run starts with.
    pub(crate) fn expect_mechanism(&mut self, mechanism: Mechanism) {
        let line = self.read_line();
        assert_eq!(
            line.as_deref(),
            Some(mechanism.name()),
            "gsasl should first print the mechanism\n{}",
            self.describe_running()
        );
    }

    /// Sends one line. A write to a gsasl that already exited is noted in
    /// the transcript; its exit status tells the rest.
    pub(crate) fn write_line(&mut self, line: &str) {
        self.transcript.push(format!("> {line:?}"));
        let Some(stdin) = self.stdin.as_mut() else {
            self.transcript.push("  (stdin already closed)".into());
            return;
        };
        if let Err(error) = stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
        {
            self.transcript.push(format!("  (write failed: {error})"));
        }
    }

    /// Closes gsasl's stdin: a gsasl waiting for a line then exits 1.
    pub(crate) fn close_stdin(&mut self) {
        if self.stdin.take().is_some() {
            self.transcript.push("> (end of input)".into());
        }
    }

    /// Kills gsasl (when our side gave up mid-exchange).
    pub(crate) fn kill(&mut self) {
        self.stdin.take();
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            self.transcript.push("  (killed gsasl)".into());
        }
    }

    /// Closes stdin and waits for gsasl to exit, killing it and panicking
    /// when the deadline passes.
    pub(crate) fn finish(mut self) -> Exit {
        self.close_stdin();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < self.deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    self.kill();
                    panic!(
                        "gsasl did not exit within {TIMEOUT:?}\n{}",
                        self.describe_running()
                    );
                }
                Err(error) => panic!("waiting for gsasl: {error}"),
            }
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Exit {
            status,
            stderr: self.stderr_text(),
            stdout: Vec::new(),
            transcript: self.transcript_text(),
        }
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer")).into_owned()
    }

    fn transcript_text(&self) -> String {
        let mut text = format!("$ gsasl {}\n", self.args.join(" "));
        for line in &self.transcript {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn describe_running(&self) -> String {
        // Give the stderr reader a moment to collect a dying process's last words.
        std::thread::sleep(Duration::from_millis(50));
        format!(
            "--- transcript (> to gsasl, < from gsasl) ---\n{}--- stderr ---\n{}",
            self.transcript_text(),
            self.stderr_text()
        )
    }
}

impl Drop for Gsasl {
    fn drop(&mut self) {
        // A panicking test must not leave gsasl behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn role_args(role: &str, mechanism: Mechanism, extra: &[&str], prompted_cb: bool) -> Vec<String> {
    let mut args = vec![
        role.to_string(),
        format!("--mechanism={}", mechanism.name()),
        "--no-starttls".to_string(),
        "--application-data".to_string(),
    ];
    if !prompted_cb {
        args.push("--no-cb".to_string());
    }
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

/// How our client's exchange with `gsasl --server` ended.
#[derive(Debug)]
pub(crate) enum ClientOutcome {
    /// gsasl's server exited 0 and our client's `finish` accepted the outcome.
    Authenticated,
    /// gsasl's server failed the exchange (exited non-zero).
    Refused,
    /// Our client refused a challenge (gsasl was killed) or, after gsasl
    /// succeeded, the outcome (`finish`).
    ClientError(ClientError),
}

/// Our client against `gsasl --server`.
#[derive(Debug)]
pub(crate) struct ClientRun {
    pub(crate) outcome: ClientOutcome,
    /// Every message gsasl's server printed, decoded.
    pub(crate) received: Vec<Vec<u8>>,
    /// Every message our client sent, decoded.
    pub(crate) sent: Vec<Vec<u8>>,
    pub(crate) gsasl: Exit,
}

impl ClientRun {
    /// Both sides agree the client authenticated.
    pub(crate) fn assert_authenticated(&self) {
        assert!(
            matches!(self.outcome, ClientOutcome::Authenticated),
            "expected success, got {:?}\n{}",
            self.outcome,
            self.gsasl.describe()
        );
        assert!(
            self.gsasl
                .stderr
                .contains("Server authentication finished (client trusted)"),
            "gsasl should report success\n{}",
            self.gsasl.describe()
        );
    }

    /// gsasl's server refused, saying `reason` on stderr.
    pub(crate) fn assert_refused(&self, reason: &str) {
        assert!(
            matches!(self.outcome, ClientOutcome::Refused),
            "expected gsasl to refuse, got {:?}\n{}",
            self.outcome,
            self.gsasl.describe()
        );
        assert_eq!(
            self.gsasl.status.code(),
            Some(1),
            "{}",
            self.gsasl.describe()
        );
        assert!(
            self.gsasl.stderr.contains(reason),
            "gsasl's stderr should say {reason:?}\n{}",
            self.gsasl.describe()
        );
    }
}

/// Runs `client` against `gsasl --server` for the client's mechanism, with
/// `extra` gsasl arguments (typically `--password=...`).
pub(crate) fn run_our_client(client: ClientSession, extra: &[&str]) -> ClientRun {
    run_our_client_with_cb(client, extra, None)
}

/// [`run_our_client`], with gsasl's server reading `channel_binding` (raw
/// `tls-exporter` data) from stdin. gsasl asks for it after the
/// client-first message when that says `p=` (or `y`, to detect a
/// downgrade), so pass it only then.
pub(crate) fn run_our_client_with_cb(
    mut client: ClientSession,
    extra: &[&str],
    channel_binding: Option<&[u8]>,
) -> ClientRun {
    let mechanism = client.mechanism();
    let mut gsasl = Gsasl::server(mechanism, extra, channel_binding.is_some());
    gsasl.expect_mechanism(mechanism);
    let mut channel_binding = channel_binding.map(encode_response);
    // gsasl's final output, which it prints after its last (successful)
    // step and before reading the outcome line.
    let mut final_output: Option<Vec<u8>> = None;
    let mut refusal = None;
    let (mut received, mut sent) = (Vec::new(), Vec::new());
    for _ in 0..MAX_ROUND_TRIPS {
        let Some(line) = gsasl.read_line() else {
            break;
        };
        let challenge = decode_challenge(line.as_bytes()).unwrap_or_else(|_| {
            panic!(
                "gsasl printed a line that is not base64: {line:?}\n{}",
                gsasl.describe_running()
            )
        });
        received.push(challenge.clone());
        if final_output.is_some() {
            // gsasl went on after the outcome line: a challenge after the end.
            refusal = Some(ClientError::UnexpectedChallenge);
            break;
        }
        match client.step(&challenge) {
            Ok(response) => {
                gsasl.write_line(&encode_response(&response));
                if !response.is_empty()
                    && let Some(binding) = channel_binding.take()
                {
                    gsasl.write_line(&binding);
                }
                sent.push(response);
            }
            // Our client has nothing more to say: this line is gsasl's final
            // output. Send the outcome line gsasl waits for.
            Err(ClientError::UnexpectedChallenge) => {
                final_output = Some(challenge);
                gsasl.write_line("");
            }
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    if refusal.is_some() {
        gsasl.kill();
    }
    let exit = gsasl.finish();
    let outcome = match refusal {
        Some(error) => ClientOutcome::ClientError(error),
        None if exit.success() => {
            let additional = final_output.filter(|data| !data.is_empty());
            match client.finish(additional.as_deref()) {
                Ok(()) => ClientOutcome::Authenticated,
                Err(error) => ClientOutcome::ClientError(error),
            }
        }
        None => ClientOutcome::Refused,
    };
    ClientRun {
        outcome,
        received,
        sent,
        gsasl: exit,
    }
}

/// How `gsasl --client`'s exchange with our server ended, on our side.
#[derive(Debug)]
pub(crate) enum ServerOutcome {
    Success(Success),
    Failure(AuthError),
    /// gsasl's client quit mid-exchange (it refused a challenge of ours).
    ClientQuit,
}

/// `gsasl --client` against our server.
#[derive(Debug)]
pub(crate) struct ServerRun {
    pub(crate) outcome: ServerOutcome,
    /// Every message gsasl's client printed, decoded.
    pub(crate) received: Vec<Vec<u8>>,
    pub(crate) gsasl: Exit,
}

impl ServerRun {
    /// Both sides agree; returns our server's success.
    pub(crate) fn assert_authenticated(&self) -> &Success {
        let ServerOutcome::Success(success) = &self.outcome else {
            panic!(
                "expected success, got {:?}\n{}",
                self.outcome,
                self.gsasl.describe()
            );
        };
        assert!(
            self.gsasl.success()
                && self
                    .gsasl
                    .stderr
                    .contains("Client authentication finished (server trusted)"),
            "gsasl's client should accept our server\n{}",
            self.gsasl.describe()
        );
        success
    }

    /// Our server failed with `expected`, and gsasl did not report success.
    pub(crate) fn assert_failed(&self, expected: AuthError) {
        assert!(
            matches!(&self.outcome, ServerOutcome::Failure(error) if *error == expected),
            "expected {expected:?}, got {:?}\n{}",
            self.outcome,
            self.gsasl.describe()
        );
        assert!(
            !self.gsasl.success(),
            "gsasl must not succeed when our server failed\n{}",
            self.gsasl.describe()
        );
    }
}

/// Runs `gsasl --client` (with `extra` arguments, typically
/// `--authentication-id` and `--password`) against `server`, answering
/// look-ups from `store`. With `client_first`, gsasl sends its first message
/// unasked and it becomes the initial response; otherwise gsasl waits for
/// our first challenge (`--no-client-first`, as under IMAP and SMTP).
pub(crate) fn run_our_server<S: CredentialStore>(
    server: ServerSession,
    store: &S,
    extra: &[&str],
    client_first: bool,
) -> ServerRun {
    run_our_server_with_cb(server, store, extra, client_first, None)
}

/// [`run_our_server`], with gsasl's client reading `channel_binding` (raw
/// `tls-exporter` data) from stdin before its first message: it then sends
/// `p=tls-exporter` for -PLUS and `y` otherwise.
pub(crate) fn run_our_server_with_cb<S: CredentialStore>(
    mut server: ServerSession,
    store: &S,
    extra: &[&str],
    client_first: bool,
    channel_binding: Option<&[u8]>,
) -> ServerRun {
    let mechanism = server.mechanism();
    let mut args = extra.to_vec();
    if !client_first {
        args.push("--no-client-first");
    }
    let mut gsasl = Gsasl::client(mechanism, &args, channel_binding.is_some());
    if let Some(data) = channel_binding {
        assert!(
            client_first,
            "gsasl reads channel bindings before its first message"
        );
        gsasl.write_line(&encode_response(data));
    }
    gsasl.expect_mechanism(mechanism);
    let mut received = Vec::new();

    let mut step = if client_first {
        match read_response(&mut gsasl, &mut received) {
            // An empty line is an empty initial response, like IMAP's `=`.
            Some(initial) => block(server.start_with(Some(&initial), store)),
            None => return client_quit(gsasl, received),
        }
    } else {
        block(server.start_with(None, store))
    };
    for _ in 0..MAX_ROUND_TRIPS {
        match step {
            ServerStep::Challenge(challenge) => {
                gsasl.write_line(&encode_challenge(&challenge));
                step = match read_response(&mut gsasl, &mut received) {
                    Some(response) => block(server.step_with(&response, store)),
                    None => return client_quit(gsasl, received),
                };
            }
            ServerStep::Success(success) => {
                // The outcome line gsasl waits for after its last step
                // carries the additional data, if any.
                let data = success.additional_data.as_deref().unwrap_or_default();
                gsasl.write_line(&encode_challenge(data));
                // If gsasl took it as a challenge (data with success), it
                // answers and waits for the outcome line once more.
                for _ in 0..MAX_ROUND_TRIPS {
                    if read_response(&mut gsasl, &mut received).is_none() {
                        break;
                    }
                    gsasl.write_line("");
                }
                return ServerRun {
                    outcome: ServerOutcome::Success(success),
                    received,
                    gsasl: gsasl.finish(),
                };
            }
            ServerStep::Failure(error) => {
                // The raw protocol has no failure message: end gsasl's input.
                return ServerRun {
                    outcome: ServerOutcome::Failure(error),
                    received,
                    gsasl: gsasl.finish(),
                };
            }
            ServerStep::Lookup(request) => {
                unreachable!("start_with/step_with answer look-ups, got {request:?}")
            }
        }
    }
    panic!(
        "exchange did not end after {MAX_ROUND_TRIPS} round trips\n{}",
        gsasl.describe_running()
    );
}

fn read_response(gsasl: &mut Gsasl, received: &mut Vec<Vec<u8>>) -> Option<Vec<u8>> {
    let line = gsasl.read_line()?;
    match decode_response(line.as_bytes()) {
        Ok(ClientLine::Data(data)) => {
            received.push(data.clone());
            Some(data)
        }
        Ok(ClientLine::Cancel) => panic!("gsasl never cancels\n{}", gsasl.describe_running()),
        Err(_) => panic!(
            "gsasl printed a line that is not base64: {line:?}\n{}",
            gsasl.describe_running()
        ),
    }
}

fn client_quit(gsasl: Gsasl, received: Vec<Vec<u8>>) -> ServerRun {
    ServerRun {
        outcome: ServerOutcome::ClientQuit,
        received,
        gsasl: gsasl.finish(),
    }
}

fn block<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}
