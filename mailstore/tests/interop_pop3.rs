//! POP3 with real clients (feature `interop`): Python's `poplib`, curl,
//! fetchmail and getmail6 against pop3-proto's adapter serving
//! `Pop3Maildrops` over the Maildir store, listening on 127.0.0.1 three
//! ways — plaintext with STLS (plaintext logins only after TLS), implicit
//! TLS (POP3S), and plaintext allowing plaintext logins (for clients that
//! cannot do TLS). Users are in a `MemoryDirectory` with plaintext
//! passwords, so APOP works.
//!
//! Every message must come back byte for byte (after the client undoes the
//! byte-stuffing), TOP must stop after the asked lines, deletions must
//! happen at QUIT and only then, and a second session of a user must get
//! `-ERR [IN-USE]`. A missing tool fails the test, saying which package
//! has it (scripts/test installs them all).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailstore::directory::{Directory, MemoryDirectory, User};
use mailstore::pop3::Pop3Maildrops;
use mailstore::store::maildir_store::MaildirStore;
use mailstore::store::{AppendOptions, Store};
use pop3_proto::adapter::{RustlsAcceptor, ServerOptions, TlsAcceptor, serve_listener};
use pop3_proto::server::ServerConfig;

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const PASSWORD: &str = "secret";

/// A plain message.
const HELLO: &[u8] = b"From: Sender <sender@example.net>\r\n\
To: alice@example.org\r\n\
Subject: hello\r\n\
Message-ID: <hello@example.net>\r\n\
\r\n\
Hello, Alice.\r\n";

/// Lines beginning with "." (byte-stuffed on the wire), one of them a lone
/// "." that would end the message if it were not stuffed.
const DOTS: &[u8] = b"From: sender@example.net\r\n\
To: alice@example.org\r\n\
Subject: dots\r\n\
Message-ID: <dots@example.net>\r\n\
\r\n\
.leading dot\r\n\
..two dots\r\n\
.\r\n\
not the end\r\n\
. \r\n\
...\r\n\
last line\r\n";

/// A longer body for TOP, with a dotted line among the first body lines.
const LONG: &[u8] = b"From: sender@example.net\r\n\
To: alice@example.org\r\n\
Subject: long\r\n\
Message-ID: <long@example.net>\r\n\
\r\n\
body line 1\r\n\
.body line 2 with a dot\r\n\
body line 3\r\n\
body line 4\r\n\
body line 5\r\n\
body line 6\r\n\
body line 7\r\n\
body line 8\r\n";

/// What alice has, in delivery (UID) order: message n is `MESSAGES[n - 1]`.
const MESSAGES: [&[u8]; 3] = [HELLO, DOTS, LONG];

/// A scratch directory under cargo's test scratch dir, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(tag: &str) -> ScratchDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "interop-pop3-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        ScratchDir(path)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our POP3 server on three loopback ports, over a Maildir store holding
/// [`MESSAGES`] for alice and one message for bob.
struct Server {
    /// Plaintext; STLS offered; logins only after STLS.
    stls: u16,
    /// Implicit TLS.
    pop3s: u16,
    /// Plaintext; logins allowed without TLS.
    plain: u16,
    store: Arc<dyn Store>,
    runtime: tokio::runtime::Runtime,
    _dir: ScratchDir,
}

impl Server {
    fn start() -> Server {
        let dir = ScratchDir::new("server");
        let (cert, key) = self_signed(&dir.sub("tls"));
        let acceptor: Arc<dyn TlsAcceptor> =
            Arc::new(RustlsAcceptor::from_pem(&cert, &key).expect("rustls acceptor"));

        let users = MemoryDirectory::new();
        users.add_domain("example.org");
        for name in [ALICE, BOB] {
            users.add_user(User::new(name).with_password(sasl::PasswordHash::plain(PASSWORD)));
        }
        let store: Arc<dyn Store> = Arc::new(MaildirStore::new(dir.sub("mail")));
        let backend = Arc::new(Pop3Maildrops::new(Directory::new(users), store.clone()));

        let mut config = ServerConfig::new("pop3.example.org");
        config.auth_mechanisms = vec![sasl::Mechanism::Plain];
        let mut open = config.clone();
        open.require_tls_for_auth = false;
        let listeners = [
            ServerOptions::new(config.clone())
                .with_stls(acceptor.clone())
                .with_apop(true),
            ServerOptions::new(config).with_implicit_tls(acceptor),
            ServerOptions::new(open).with_apop(true),
        ];

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut ports = Vec::new();
        for options in listeners {
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            ports.push(listener.local_addr().unwrap().port());
            runtime.spawn(serve_listener(listener, backend.clone(), Arc::new(options)));
        }
        let server = Server {
            stls: ports[0],
            pop3s: ports[1],
            plain: ports[2],
            store,
            runtime,
            _dir: dir,
        };
        for message in MESSAGES {
            server.deliver(ALICE, message);
        }
        server.deliver(BOB, HELLO);
        server
    }

    fn deliver(&self, user: &str, message: &[u8]) {
        self.runtime.block_on(async {
            let account = self.store.account(&User::new(user)).await.unwrap();
            let mut writer = account.begin_append().await.unwrap();
            writer.write(message).await.unwrap();
            let staged = writer.finish().await.unwrap();
            account
                .deliver("INBOX", staged, AppendOptions::default())
                .await
                .unwrap();
        });
    }

    /// The user's INBOX as the store has it now.
    fn messages(&self, user: &str) -> Vec<Vec<u8>> {
        self.runtime.block_on(async {
            let account = self.store.account(&User::new(user)).await.unwrap();
            let view = account.open("INBOX").await.unwrap();
            let mut out = Vec::new();
            for m in view.messages() {
                out.push(view.content(m.uid).await.unwrap().into_bytes().unwrap());
            }
            out
        })
    }
}

/// A self-signed certificate for localhost made with openssl: (cert, key),
/// PEM.
fn self_signed(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut command = Command::new(tool("openssl", "openssl"));
    command
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert);
    run(command, b"", Duration::from_secs(30));
    (std::fs::read(cert).unwrap(), std::fs::read(key).unwrap())
}

/// Finds a tool on PATH (or in the usual places) or fails the test saying
/// which package has it.
fn tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "interop test needs `{name}` (Debian package `{package}`); scripts/test installs it"
            )
        })
}

/// Runs a command with a time limit; its stdout. Panics with its output
/// on failure.
fn run(command: Command, stdin: &[u8], limit: Duration) -> String {
    let (ok, stdout, text) = run_status(command, stdin, limit);
    assert!(ok, "{text}");
    stdout
}

/// Runs a command with a time limit: whether it succeeded, its stdout, and
/// a report with the command, its status, stdout and stderr.
fn run_status(mut command: Command, stdin: &[u8], limit: Duration) -> (bool, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{command:?} did not finish within {limit:?}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report = format!(
        "{command:?} ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), stdout, report)
}

/// Runs a command with a time limit; the report of [`run_status`].
/// Panics with it on failure.
fn run_log(command: Command) -> String {
    let (ok, _, report) = run_status(command, b"", Duration::from_secs(30));
    assert!(ok, "{report}");
    report
}

/// Runs a Python script (given the server's ports, then `args`) after
/// [`PYTHON_PRELUDE`]; what it printed.
fn python(server: &Server, script: &str, args: &[&Path]) -> String {
    let mut command = Command::new(tool("python3", "python3"));
    command
        .arg("-")
        .arg(server.plain.to_string())
        .arg(server.stls.to_string())
        .arg(server.pop3s.to_string())
        .args(args);
    let program = format!("{PYTHON_PRELUDE}\n{script}");
    run(command, program.as_bytes(), Duration::from_secs(30))
}

/// What every Python script starts with: the ports, an unverified TLS
/// context (the certificate is self-signed), helpers.
const PYTHON_PRELUDE: &str = r#"
import base64, os, poplib, socket, ssl, sys, time
PLAIN, STLS, POP3S = (int(a) for a in sys.argv[1:4])
ARGS = sys.argv[4:]
CTX = ssl._create_unverified_context()
USER, PASSWORD = "alice@example.org", "secret"

def message(lines):
    """A RETR or TOP response's lines (already un-stuffed by poplib) as
    the message's bytes."""
    return b"".join(line + b"\r\n" for line in lines)

def fails(call, *args):
    """The -ERR response of a call that must fail."""
    try:
        response = call(*args)
    except poplib.error_proto as e:
        return e.args[0].decode()
    raise SystemExit(f"{call.__name__}{args} succeeded: {response!r}")
"#;

/// The messages as a client gets them: `n` 1-based.
fn sizes_listing(messages: &[&[u8]]) -> String {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\n", i + 1, m.len()))
        .collect()
}

/// The header and the first `lines` body lines of `message` (CRLF).
fn top_of(message: &[u8], lines: usize) -> Vec<u8> {
    let text = std::str::from_utf8(message).unwrap();
    let (header, body) = text.split_once("\r\n\r\n").unwrap();
    let mut out = format!("{header}\r\n\r\n");
    for line in body.split_inclusive("\r\n").take(lines) {
        out.push_str(line);
    }
    out.into_bytes()
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn poplib_plaintext_user_pass_list_uidl_retr_top_dele_rset_quit() {
    let server = Server::start();
    let out_dir = ScratchDir::new("poplib-out");
    let script = r#"
out = ARGS[0]
p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
print("welcome", p.getwelcome().decode())
print("capa", " ".join(sorted(f"{k}{''.join(' ' + v for v in vs)}" for k, vs in p.capa().items())))
p.user(USER)
p.pass_(PASSWORD)
print("stat", *p.stat())
resp, listing, _ = p.list()
print("list", b",".join(listing).decode())
print("list2", p.list(2).decode())
resp, uidl, _ = p.uidl()
print("uidl", b",".join(uidl).decode())
for n in (1, 2, 3):
    resp, lines, octets = p.retr(n)
    with open(f"{out}/retr-{n}", "wb") as f:
        f.write(message(lines))
for n, k in ((3, 0), (3, 2), (2, 3), (1, 100)):
    resp, lines, octets = p.top(n, k)
    with open(f"{out}/top-{n}-{k}", "wb") as f:
        f.write(message(lines))
print("dele1", p.dele(1).decode())
print("retr1-deleted", fails(p.retr, 1))
print("stat-after-dele", *p.stat())
print("rset", p.rset().decode())
print("stat-after-rset", *p.stat())
print("dele2", p.dele(2).decode())
print("quit", p.quit().decode())

p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
p.user(USER)
p.pass_(PASSWORD)
resp, uidl, _ = p.uidl()
print("uidl-next", b",".join(uidl).decode())
p.quit()
"#;
    let out = python(&server, script, &[&out_dir.0]);
    let field = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_owned()
    };
    let welcome = field("welcome");
    assert!(
        welcome.starts_with("+OK ") && welcome.contains('<') && welcome.ends_with('>'),
        "greeting with an APOP timestamp: {welcome}"
    );
    let capa = field("capa");
    for capability in [
        "PIPELINING",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "SASL PLAIN",
        "TOP",
        "UIDL",
        "USER",
    ] {
        assert!(
            capa.split(' ')
                .any(|c| c == capability.split(' ').next().unwrap())
                && capa.contains(capability),
            "CAPA lacks {capability}: {capa}"
        );
    }
    assert!(!capa.contains("STLS"), "no STLS without TLS: {capa}");
    let total: usize = MESSAGES.iter().map(|m| m.len()).sum();
    assert_eq!(field("stat"), format!("3 {total}"));
    assert_eq!(
        field("list").replace(',', "\n") + "\n",
        sizes_listing(&MESSAGES)
    );
    assert_eq!(field("list2"), format!("+OK 2 {}", DOTS.len()));
    let uidl: Vec<String> = field("uidl").split(',').map(str::to_owned).collect();
    assert_eq!(uidl.len(), 3);
    for (i, line) in uidl.iter().enumerate() {
        let (n, id) = line.split_once(' ').unwrap();
        assert_eq!(n, (i + 1).to_string());
        assert!(!id.is_empty() && uidl.iter().filter(|l| l.ends_with(id)).count() == 1);
    }
    for (n, expected) in MESSAGES.iter().enumerate() {
        let got = read(out_dir.0.join(format!("retr-{}", n + 1)));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "RETR {}",
            n + 1
        );
    }
    for (n, k) in [(3, 0), (3, 2), (2, 3), (1, 100)] {
        let got = read(out_dir.0.join(format!("top-{n}-{k}")));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&top_of(MESSAGES[n - 1], k)),
            "TOP {n} {k}"
        );
    }
    assert!(field("dele1").starts_with("+OK"));
    assert!(field("retr1-deleted").starts_with("-ERR"));
    assert_eq!(
        field("stat-after-dele"),
        format!("2 {}", DOTS.len() + LONG.len())
    );
    assert!(field("rset").starts_with("+OK"));
    assert_eq!(field("stat-after-rset"), format!("3 {total}"));
    assert!(field("quit").starts_with("+OK"));
    // Only message 2 went, at QUIT; the others keep their UIDL.
    assert_eq!(server.messages(ALICE), vec![HELLO.to_vec(), LONG.to_vec()]);
    let uid1 = uidl[0].split_once(' ').unwrap().1;
    let uid3 = uidl[2].split_once(' ').unwrap().1;
    assert_eq!(field("uidl-next"), format!("1 {uid1},2 {uid3}"));
}

#[test]
fn poplib_stls_pop3s_apop_and_auth_plain() {
    let server = Server::start();
    let script = r#"
# STLS: no plaintext login offered or accepted before TLS.
p = poplib.POP3("127.0.0.1", STLS, timeout=10)
caps = p.capa()
print("before-tls", " ".join(sorted(caps)), "SASL=" + " ".join(caps.get("SASL", [])))
print("user-before-tls", fails(p.user, USER))
print("apop-before-tls", fails(p.apop, USER, PASSWORD))
p.stls(context=CTX)
caps = p.capa()
print("after-tls", " ".join(sorted(caps)), "SASL=" + " ".join(caps.get("SASL", [])))
p.user(USER)
p.pass_(PASSWORD)
resp, lines, octets = p.retr(2)
print("stls-retr2", message(lines).hex())
p.quit()

# POP3S.
p = poplib.POP3_SSL("127.0.0.1", POP3S, context=CTX, timeout=10)
caps = p.capa()
print("pop3s", " ".join(sorted(caps)))
p.user(USER)
p.pass_(PASSWORD)
print("pop3s-stat", *p.stat())
resp, lines, octets = p.retr(3)
print("pop3s-retr3", message(lines).hex())
p.quit()

# APOP on the plaintext listener that allows it.
p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
print("apop-wrong", fails(p.apop, USER, "wrong"))
p.quit()
p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
print("apop", p.apop(USER, PASSWORD).decode())
print("apop-stat", *p.stat())
p.quit()

# AUTH PLAIN with an initial response (RFC 5034), plaintext and POP3S.
for name, p in (("plain", poplib.POP3("127.0.0.1", PLAIN, timeout=10)),
                ("pop3s", poplib.POP3_SSL("127.0.0.1", POP3S, context=CTX, timeout=10))):
    token = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()).decode()
    print(f"auth-{name}", p._shortcmd("AUTH PLAIN " + token).decode())
    print(f"auth-{name}-stat", *p.stat())
    p.quit()

# AUTH PLAIN without an initial response: "+ " then the response.
p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
p._putcmd("AUTH PLAIN")
print("auth-challenge", repr(p._getline()[0].decode()))
token = base64.b64encode(b"\0" + USER.encode() + b"\0wrong").decode()
print("auth-wrong", fails(p._shortcmd, token))
p.quit()
"#;
    let out = python(&server, script, &[]);
    let field = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_owned()
    };
    let before = field("before-tls");
    assert!(before.contains("STLS"), "{before}");
    assert!(!before.split(' ').any(|c| c == "USER"), "{before}");
    assert!(before.ends_with("SASL="), "no PLAIN before TLS: {before}");
    assert!(field("user-before-tls").starts_with("-ERR [AUTH]"));
    assert!(field("apop-before-tls").starts_with("-ERR [AUTH]"));
    let after = field("after-tls");
    assert!(!after.contains("STLS"), "{after}");
    assert!(after.split(' ').any(|c| c == "USER"), "{after}");
    assert!(after.ends_with("SASL=PLAIN"), "{after}");
    let hex = |m: &[u8]| m.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(field("stls-retr2"), hex(DOTS));
    let pop3s = field("pop3s");
    assert!(
        !pop3s.contains("STLS") && pop3s.split(' ').any(|c| c == "USER"),
        "{pop3s}"
    );
    let total: usize = MESSAGES.iter().map(|m| m.len()).sum();
    assert_eq!(field("pop3s-stat"), format!("3 {total}"));
    assert_eq!(field("pop3s-retr3"), hex(LONG));
    assert!(field("apop-wrong").starts_with("-ERR"));
    assert!(field("apop").starts_with("+OK"));
    assert_eq!(field("apop-stat"), format!("3 {total}"));
    for name in ["plain", "pop3s"] {
        assert!(field(&format!("auth-{name}")).starts_with("+OK"));
        assert_eq!(field(&format!("auth-{name}-stat")), format!("3 {total}"));
    }
    assert_eq!(field("auth-challenge"), "'+ '");
    assert!(field("auth-wrong").starts_with("-ERR"));
    // Nothing was deleted.
    assert_eq!(server.messages(ALICE).len(), 3);
}

#[test]
fn dropped_connection_deletes_nothing_and_second_session_is_in_use() {
    let server = Server::start();
    let script = r#"
def session():
    s = socket.create_connection(("127.0.0.1", PLAIN), timeout=10)
    f = s.makefile("rb")
    def command(line):
        if line is not None:
            s.sendall(line.encode() + b"\r\n")
        return f.readline().decode().rstrip("\r\n")
    return s, f, command

# First session: log in, delete, then vanish without QUIT.
s, f, command = session()
print("greeting", command(None)[:3])
command("USER " + USER)
print("pass", command("PASS " + PASSWORD)[:3])
print("dele", command("DELE 1")[:3])

# While it lives, a second session of the same user is refused.
s2, f2, command2 = session()
command2(None)
command2("USER " + USER)
print("second", command2("PASS " + PASSWORD))
s2.close()

s.shutdown(socket.SHUT_RDWR)
s.close()

# The next session sees every message (once the server has noticed the
# first one is gone).
deadline = time.time() + 5
while True:
    p = poplib.POP3("127.0.0.1", PLAIN, timeout=10)
    p.user(USER)
    try:
        p.pass_(PASSWORD)
        break
    except poplib.error_proto as e:
        p.close()
        if b"[IN-USE]" not in e.args[0] or time.time() > deadline:
            raise
        time.sleep(0.05)
print("next-stat", p.stat()[0])
p.quit()
"#;
    let out = python(&server, script, &[]);
    assert!(out.contains("greeting +OK\npass +OK\ndele +OK\n"), "{out}");
    let second = out.lines().find_map(|l| l.strip_prefix("second ")).unwrap();
    assert!(second.starts_with("-ERR [IN-USE]"), "{out}");
    assert!(out.contains("next-stat 3\n"), "{out}");
    assert_eq!(server.messages(ALICE).len(), 3);
}

/// Runs curl with the given arguments and alice's login; its output.
fn curl(args: &[&str]) -> Vec<u8> {
    let mut command = Command::new(tool("curl", "curl"));
    command
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(["--user", &format!("{ALICE}:{PASSWORD}")])
        .args(args);
    let output = command.output().expect("run curl");
    assert!(
        output.status.success(),
        "{command:?} ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn curl_list_retr_uidl_dele_over_plaintext_stls_and_pop3s() {
    let server = Server::start();
    let plain = format!("pop3://127.0.0.1:{}/", server.plain);
    let stls = format!("pop3://127.0.0.1:{}/", server.stls);
    let pop3s = format!("pop3s://127.0.0.1:{}/", server.pop3s);
    let listing = sizes_listing(&MESSAGES).replace('\n', "\r\n");

    // LIST, default authentication (curl picks SASL PLAIN), APOP and USER.
    for args in [
        vec![plain.as_str()],
        vec!["--login-options", "AUTH=+APOP", plain.as_str()],
        vec!["--login-options", "AUTH=PLAIN", plain.as_str()],
        vec!["--ssl-reqd", "--insecure", stls.as_str()],
        vec!["--insecure", pop3s.as_str()],
    ] {
        let got = curl(&args);
        assert_eq!(String::from_utf8_lossy(&got), listing, "curl {args:?}");
    }
    // STLS is required for a login on that port: without it curl fails.
    let mut command = Command::new(tool("curl", "curl"));
    command
        .args(["--silent", "--max-time", "20", "--user"])
        .arg(format!("{ALICE}:{PASSWORD}"))
        .arg(&stls);
    let (ok, _, text) = run_status(command, b"", Duration::from_secs(30));
    assert!(!ok, "a plaintext login on the STLS port must fail:\n{text}");

    // RETR: curl undoes the stuffing.
    for (n, message) in MESSAGES.iter().enumerate() {
        for base in [&plain, &stls, &pop3s] {
            let mut args = vec!["--insecure"];
            if base == &stls {
                args.push("--ssl-reqd");
            }
            let url = format!("{base}{}", n + 1);
            args.push(&url);
            let got = curl(&args);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(message),
                "curl {args:?}"
            );
        }
    }

    // UIDL.
    let uidl = String::from_utf8(curl(&["--insecure", "-X", "UIDL", &pop3s])).unwrap();
    let ids: Vec<&str> = uidl.lines().collect();
    assert_eq!(ids.len(), 3, "{uidl}");
    for (i, line) in ids.iter().enumerate() {
        assert!(line.starts_with(&format!("{} ", i + 1)), "{uidl}");
    }
    // DELE (a one-line answer: --head). curl ends with QUIT, so it sticks.
    curl(&["-X", "DELE", "--head", &format!("{plain}2")]);
    assert_eq!(server.messages(ALICE), vec![HELLO.to_vec(), LONG.to_vec()]);
    curl(&["--insecure", "-X", "DELE", "--head", &format!("{pop3s}1")]);
    assert_eq!(server.messages(ALICE), vec![LONG.to_vec()]);
    let listing = String::from_utf8(curl(&["--insecure", "--ssl-reqd", &stls])).unwrap();
    assert_eq!(listing, format!("1 {}\r\n", LONG.len()));
}

/// Runs fetchmail once with a generated rcfile polling `port` for alice
/// with `options`, delivering every message to an MDA that writes it to a
/// file of its own in `into`.
fn fetchmail(dir: &ScratchDir, port: u16, options: &str, into: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.sub("fetchmail");
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let rc = home.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\nset invisible\n\
             poll 127.0.0.1 service {port} protocol pop3 auth password timeout 20\n  \
             user \"{ALICE}\" there with password \"{PASSWORD}\" is \"tester\" here\n  \
             options fetchall no rewrite {options}\n  \
             mda \"cat > $(mktemp {into}/msg.XXXXXX)\"\n",
            into = into.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut command = Command::new(tool("fetchmail", "fetchmail"));
    command
        // fetchmail asks DNS for this machine's full name when the host
        // name has no dot; where no resolver answers, one quick try.
        .env("RES_OPTIONS", "timeout:1 attempts:1")
        .env("FETCHMAILHOME", &home)
        .env("HOME", &home)
        .arg("--fetchmailrc")
        .arg(&rc)
        .arg("--idfile")
        .arg(home.join("fetchids"))
        .arg("--pidfile")
        .arg(home.join("fetchmail.pid"))
        .args(["--nosyslog", "--verbose"]);
    run_log(command)
}

/// The files in `dir` (and its `new/`, `cur/` if it is a Maildir), sorted
/// by content.
fn delivered(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["", "new", "cur"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().unwrap().is_file() {
                out.push(read(entry.path()));
            }
        }
    }
    out.sort();
    out
}

/// [`MESSAGES`] as a local delivery agent gets them: LF line ends.
fn with_lf(messages: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = messages
        .iter()
        .map(|m| {
            String::from_utf8_lossy(m)
                .replace("\r\n", "\n")
                .into_bytes()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fetchmail_keep_over_stls_then_flush_over_pop3s() {
    let server = Server::start();
    let dir = ScratchDir::new("fetchmail");
    let kept = dir.sub("kept");
    let log = fetchmail(
        &dir,
        server.stls,
        "keep sslproto tls1.2+ no sslcertck",
        &kept,
    );
    assert!(log.contains("STLS"), "fetchmail used STLS:\n{log}");
    assert_eq!(
        text(&delivered(&kept)),
        text(&with_lf(&MESSAGES)),
        "fetchmail log:\n{log}"
    );
    assert_eq!(server.messages(ALICE).len(), 3, "keep leaves the messages");

    let flushed = dir.sub("flushed");
    let log = fetchmail(&dir, server.pop3s, "no keep ssl no sslcertck", &flushed);
    assert_eq!(
        text(&delivered(&flushed)),
        text(&with_lf(&MESSAGES)),
        "fetchmail log:\n{log}"
    );
    assert!(
        server.messages(ALICE).is_empty(),
        "flush mode deletes what it fetched:\n{log}"
    );
}

/// Runs getmail once with a generated getmailrc: alice's messages from
/// `port` into the Maildir `maildir`.
fn getmail(dir: &ScratchDir, retriever: &str, port: u16, delete: bool, maildir: &Path) -> String {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    // getmail will not write a Maildir as root: it must be told whom to
    // deliver as, and that user must own the Maildir.
    let mut as_user = String::new();
    if running_as_root() {
        as_user = "user = nobody\n".to_owned();
        let mut chown = Command::new(tool("chown", "coreutils"));
        chown.args(["-R", "nobody"]).arg(maildir);
        run(chown, b"", Duration::from_secs(10));
    }
    let home = dir.sub("getmail");
    let rc = home.join("getmailrc");
    std::fs::write(
        &rc,
        format!(
            "[retriever]\ntype = {retriever}\nserver = 127.0.0.1\nport = {port}\n\
             username = {ALICE}\npassword = {PASSWORD}\ntimeout = 20\n\n\
             [destination]\ntype = Maildir\npath = {maildir}/\n{as_user}\n\
             [options]\nverbose = 2\nread_all = true\ndelete = {delete}\n\
             delivered_to = false\nreceived = false\n",
            maildir = maildir.display()
        ),
    )
    .unwrap();
    let getmail = tool("getmail", "getmail6");
    // getmail asks DNS for this machine's full name (socket.getfqdn) when
    // the host name has no dot, and a machine without a resolver that
    // answers waits for the time-out: it is told a name instead.
    // The interpreter getmail is installed for (Debian's, not one on PATH).
    let script = std::fs::read_to_string(&getmail).expect("read the getmail script");
    let interpreter = script
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("#!"))
        .and_then(|line| line.split_whitespace().next())
        .expect("getmail starts with a #! line")
        .to_owned();
    let mut command = Command::new(interpreter);
    command
        .env("HOME", &home)
        .arg("-c")
        .arg(
            "import runpy, socket, sys\n\
             socket.getfqdn = lambda name='': 'mailwright.test'\n\
             sys.argv[0] = sys.argv[1]\n\
             del sys.argv[1]\n\
             runpy.run_path(sys.argv[0], run_name='__main__')",
        )
        .arg(&getmail)
        .arg("--getmaildir")
        .arg(&home)
        .arg("--rcfile")
        .arg(&rc);
    run_log(command)
}

/// The messages getmail wrote into `maildir`, without the Return-Path
/// getmail puts first (`<unknown>`: POP3 carries no envelope sender) and
/// checked to be there.
fn getmail_delivered(maildir: &Path) -> Vec<String> {
    text(&delivered(maildir))
        .into_iter()
        .map(|m| match m.strip_prefix("Return-Path: <unknown>\n") {
            Some(rest) => rest.to_owned(),
            None => panic!("getmail adds Return-Path first:\n{m}"),
        })
        .collect()
}

/// Messages as text, for readable assertion messages.
fn text(messages: &[Vec<u8>]) -> Vec<String> {
    messages
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect()
}

/// Whether this process runs as root (user id 0).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        == Some("0")
}

#[test]
fn getmail_keep_over_plaintext_then_delete_over_pop3s() {
    let server = Server::start();
    let dir = ScratchDir::new("getmail");
    let kept = dir.0.join("kept");
    let log = getmail(&dir, "SimplePOP3Retriever", server.plain, false, &kept);
    assert_eq!(
        getmail_delivered(&kept),
        text(&with_lf(&MESSAGES)),
        "getmail log:\n{log}"
    );
    assert_eq!(server.messages(ALICE).len(), 3, "delete = false keeps them");

    let emptied = dir.0.join("emptied");
    let log = getmail(&dir, "SimplePOP3SSLRetriever", server.pop3s, true, &emptied);
    assert_eq!(
        getmail_delivered(&emptied),
        text(&with_lf(&MESSAGES)),
        "getmail log:\n{log}"
    );
    assert!(server.messages(ALICE).is_empty(), "getmail log:\n{log}");
}
