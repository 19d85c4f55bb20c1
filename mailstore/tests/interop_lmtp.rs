//! Final delivery over LMTP with real clients (feature `interop`): Python's
//! `smtplib.LMTP` and Postfix's `smtp-source -L`, against our
//! `LocalDelivery` listening on 127.0.0.1, delivering into Maildirs
//! (`<base>/<domain>/<user>/Maildir`, fsynced). Every message must arrive
//! once, whole, in the right Maildir for every recipient and alias member,
//! and Dovecot's IMAP server (run preauthenticated on that Maildir) must
//! see them all; unknown users get their 550 per recipient.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailstore::delivery::{DeliveryOptions, LocalDelivery};
use mailstore::directory::{Directory, MemoryDirectory, User};
use mailstore::store::Store;
use mailstore::store::maildir_store::MaildirStore;
use smtp_proto::adapter::{ServerOptions, serve_listener};
use smtp_proto::server::ServerConfig;

/// Our LMTP server on a loopback port, with its store.
struct Server {
    port: u16,
    store: Arc<dyn Store>,
    base: std::path::PathBuf,
    runtime: tokio::runtime::Runtime,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

impl Server {
    fn start() -> Server {
        let source = MemoryDirectory::new();
        source.add_domain("example.org");
        source.add_domain("example.com");
        for name in ["alice@example.org", "bob@example.org", "b@example.com"] {
            source.add_user(User::new(name));
        }
        source.add_alias("team@example.org", ["alice@example.org", "bob@example.org"]);
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let base = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "interop-lmtp-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let store: Arc<dyn Store> = Arc::new(MaildirStore::new(&base));
        let mut options = DeliveryOptions::default();
        options.hostname = "lmtp.example.org".into();
        let delivery = Arc::new(LocalDelivery::with_options(
            Directory::new(source),
            store.clone(),
            options,
        ));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let server_options = Arc::new(ServerOptions::new(ServerConfig::lmtp("lmtp.example.org")));
        runtime.spawn(serve_listener(listener, delivery, server_options));
        Server {
            port,
            store,
            base,
            runtime,
        }
    }

    /// Files delivered into the user's Maildir (`new/` and `cur/`).
    fn files(&self, domain: &str, user: &str) -> usize {
        let root = self.base.join(domain).join(user).join("Maildir");
        ["new", "cur"]
            .iter()
            .map(|d| std::fs::read_dir(root.join(d)).map_or(0, |e| e.count()))
            .sum()
    }

    /// How many messages Dovecot's IMAP server sees in the user's INBOX
    /// (`/usr/lib/dovecot/imap` run preauthenticated on our Maildir, as
    /// nobody, with a throwaway config).
    fn dovecot_exists(&self, domain: &str, user: &str) -> usize {
        let imap = tool_at("/usr/lib/dovecot/imap", "dovecot-imapd");
        let dir = self.base.join("dovecot");
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/run\nlog_path = {d}/log\n\
                 protocols =\nssl = no\nmail_uid = nobody\nmail_gid = nogroup\n\
                 mail_location = maildir:{base}/%d/%n/Maildir\n",
                d = dir.display(),
                base = self.base.display()
            ),
        )
        .unwrap();
        let status = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(&self.base)
            .status()
            .unwrap();
        assert!(status.success(), "chown");
        let mut command = Command::new(imap);
        command
            .arg("-c")
            .arg(&conf)
            .env("USER", format!("{user}@{domain}"))
            .env("HOME", self.base.join(domain).join(user));
        let out = run(
            command,
            b"a SELECT INBOX\r\nb LOGOUT\r\n",
            Duration::from_secs(30),
        );
        out.lines()
            .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS")?.parse().ok())
            .unwrap_or_else(|| panic!("no EXISTS from Dovecot:\n{out}"))
    }

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

/// A tool at a fixed path, or a failed test saying which package has it.
fn tool_at(path: &str, package: &str) -> String {
    assert!(
        std::path::Path::new(path).is_file(),
        "interop test needs {path} (Debian package `{package}`); scripts/test installs it"
    );
    path.to_owned()
}

/// Finds a tool or fails the test saying which package has it.
fn tool(name: &str, package: &str) -> String {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let path = format!("{dir}/{name}");
        if std::path::Path::new(&path).is_file() {
            return path;
        }
    }
    panic!("interop test needs `{name}` (Debian package `{package}`); scripts/test installs it")
}

/// Runs a command with a time limit; panics with its output on failure.
fn run(mut command: Command, stdin: &[u8], limit: Duration) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

#[test]
fn python_lmtp_delivers_to_users_and_aliases_with_per_recipient_results() {
    let server = Server::start();
    let script = r#"
import smtplib, sys
lmtp = smtplib.LMTP("127.0.0.1", int(sys.argv[1]))
lmtp.ehlo("python.example")  # LHLO: LMTP sends it for ehlo()
message = b"Subject: from python\r\n\r\nline one\r\n.leading dot\r\n"
refused = lmtp.sendmail("sender@elsewhere.net",
    ["alice@example.org", "team@example.org", "nobody@example.org"], message)
for rcpt, (code, text) in sorted(refused.items()):
    print(rcpt, code, text.decode())
lmtp.quit()
"#;
    let mut command = Command::new(tool("python3", "python3"));
    command.arg("-").arg(server.port.to_string());
    let out = run(command, script.as_bytes(), Duration::from_secs(30));
    assert_eq!(
        out.trim(),
        "nobody@example.org 550 5.1.1 <nobody@example.org> User doesn't exist"
    );
    let alice = server.messages("alice@example.org");
    assert_eq!(alice.len(), 2, "one copy per recipient address");
    for copy in &alice {
        assert!(copy.starts_with(
            b"Return-Path: <sender@elsewhere.net>\r\nDelivered-To: alice@example.org\r\n"
        ));
        assert!(copy.ends_with(b"Subject: from python\r\n\r\nline one\r\n.leading dot\r\n"));
    }
    assert_eq!(server.messages("bob@example.org").len(), 1);
    assert_eq!(server.files("example.org", "alice"), 2);
    assert_eq!(server.files("example.org", "bob"), 1);
    assert_eq!(server.files("example.org", "nobody"), 0);
    assert_eq!(server.dovecot_exists("example.org", "alice"), 2);
}

#[test]
fn smtp_source_lmtp_1000_messages_over_5_sessions() {
    const MESSAGES: usize = 1000;
    let server = Server::start();
    let mut command = Command::new(tool("smtp-source", "postfix"));
    command
        .args(["-L", "-s", "5", "-m", &MESSAGES.to_string(), "-l", "4096"])
        .args(["-f", "a@example.com", "-t", "b@example.com"])
        .arg(format!("127.0.0.1:{}", server.port));
    let started = Instant::now();
    run(command, b"", Duration::from_secs(300));
    eprintln!(
        "smtp-source -L: {MESSAGES} messages of 4 KiB in {:.2?}",
        started.elapsed()
    );
    assert_eq!(server.files("example.com", "b"), MESSAGES);
    assert_eq!(server.dovecot_exists("example.com", "b"), MESSAGES);
    let messages = server.messages("b@example.com");
    assert_eq!(messages.len(), MESSAGES, "every message stored once");
    let mut ids = std::collections::HashSet::new();
    for m in &messages {
        let text = String::from_utf8_lossy(m);
        assert!(
            text.starts_with("Return-Path: <a@example.com>\r\nDelivered-To: b@example.com\r\n")
        );
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-Id: "))
            .expect("smtp-source writes a Message-Id");
        assert!(ids.insert(id.to_owned()), "{id} twice");
    }
}
