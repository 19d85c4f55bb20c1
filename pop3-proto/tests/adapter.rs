//! The tokio adapter end to end over in-memory pipes: logins, streaming
//! RETR and TOP, deletions only on QUIT, backend failures hidden from the
//! client, STLS and implicit TLS with rustls, APOP, time-outs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use pop3_proto::adapter::{
    Backend, BackendError, ConnectionInfo, Maildrop, MessageStream, OpenError, RetrieveOptions,
    RustlsAcceptor, ServerOptions, serve,
};
use pop3_proto::maildrop::{MessageInfo, UniqueId};
use pop3_proto::server::ServerConfig;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// What the backend saw.
#[derive(Debug, Default)]
struct Log {
    commits: Vec<Vec<usize>>,
    opened: usize,
    dropped: usize,
    /// How many maildrops had been dropped when QUIT's answer was written.
    quit_answered_after_drops: Option<usize>,
}

/// A backend whose users all share one list of messages.
struct TestBackend {
    messages: Vec<Vec<u8>>,
    credentials: sasl::memory::MemoryStore,
    log: Arc<Mutex<Log>>,
    open_error: Option<fn() -> OpenError>,
    fail_retrieve: bool,
    fail_commit: bool,
}

struct TestMaildrop {
    infos: Vec<MessageInfo>,
    messages: Vec<Vec<u8>>,
    log: Arc<Mutex<Log>>,
    fail_retrieve: bool,
    fail_commit: bool,
}

impl Drop for TestMaildrop {
    fn drop(&mut self) {
        self.log.lock().unwrap().dropped += 1;
    }
}

impl TestBackend {
    fn new(messages: &[&[u8]]) -> Self {
        let mut credentials = sasl::memory::MemoryStore::new();
        credentials.add_plaintext("alice", "secret");
        Self {
            messages: messages.iter().map(|m| m.to_vec()).collect(),
            credentials,
            log: Arc::default(),
            open_error: None,
            fail_retrieve: false,
            fail_commit: false,
        }
    }
}

/// The size RETR sends: bare LFs become CRLF.
fn wire_size(message: &[u8]) -> u64 {
    let bare_lf = message
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || message[i - 1] != b'\r'))
        .count();
    (message.len() + bare_lf) as u64
}

#[async_trait]
impl Backend for TestBackend {
    type Maildrop = TestMaildrop;

    fn credentials(&self) -> &dyn sasl::CredentialStore {
        &self.credentials
    }

    async fn open(&self, identity: &sasl::Identity) -> Result<TestMaildrop, OpenError> {
        assert_eq!(identity.authorization_id(), "alice");
        if let Some(error) = self.open_error {
            return Err(error());
        }
        self.log.lock().unwrap().opened += 1;
        let infos = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| MessageInfo::new(wire_size(m), UniqueId::new(&format!("id{i}")).unwrap()))
            .collect();
        Ok(TestMaildrop {
            infos,
            messages: self.messages.clone(),
            log: Arc::clone(&self.log),
            fail_retrieve: self.fail_retrieve,
            fail_commit: self.fail_commit,
        })
    }
}

#[async_trait]
impl Maildrop for TestMaildrop {
    fn messages(&self) -> &[MessageInfo] {
        &self.infos
    }

    async fn retrieve(
        &mut self,
        index: usize,
        _: &RetrieveOptions,
    ) -> Result<MessageStream, BackendError> {
        if self.fail_retrieve {
            return Err("cannot open /var/mail/secret-path".into());
        }
        Ok(Box::new(std::io::Cursor::new(self.messages[index].clone())))
    }

    async fn commit(&mut self, deleted: &[usize]) -> Result<(), BackendError> {
        if self.fail_commit {
            return Err("disk on fire at /var/secret".into());
        }
        self.log.lock().unwrap().commits.push(deleted.to_vec());
        Ok(())
    }
}

fn plaintext_config() -> ServerConfig {
    let mut config = ServerConfig::new("pop.example.org");
    config.require_tls_for_auth = false;
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    config
}

/// Serves `backend` over an in-memory pipe; returns the client's end.
fn start(
    backend: TestBackend,
    options: ServerOptions,
) -> (
    tokio::io::DuplexStream,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let task =
        tokio::spawn(
            async move { serve(&backend, server, ConnectionInfo::default(), &options).await },
        );
    (client, task)
}

/// Sends `input` and reads until the server closes.
async fn exchange(mut client: impl AsyncRead + AsyncWrite + Unpin, input: &[u8]) -> String {
    client.write_all(input).await.unwrap();
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

async fn read_line(client: &mut (impl AsyncBufReadExt + Unpin)) -> String {
    let mut line = String::new();
    client.read_line(&mut line).await.unwrap();
    line
}

const DOTTY: &[u8] = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nend";
const BARE_LF: &[u8] = b"Subject: lf\n\nline one\nline two\n";

#[tokio::test]
async fn login_list_retr_top_dele_quit() {
    let backend = TestBackend::new(&[DOTTY, BARE_LF]);
    let log = Arc::clone(&backend.log);
    let (client, task) = start(backend, ServerOptions::new(plaintext_config()));
    let out = exchange(
        client,
        b"USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL 2\r\nRETR 1\r\nTOP 2 1\r\n\
          DELE 1\r\nLIST 1\r\nQUIT\r\n",
    )
    .await;
    let dotty = DOTTY.len();
    let lf = BARE_LF.len() + 4;
    assert_eq!(
        out,
        format!(
            "+OK pop.example.org POP3 server ready\r\n\
             +OK Send your password\r\n\
             +OK Logged in, 2 messages ({} octets)\r\n\
             +OK 2 {}\r\n\
             +OK 2 messages ({} octets)\r\n1 {dotty}\r\n2 {lf}\r\n.\r\n\
             +OK 2 id1\r\n\
             +OK {dotty} octets\r\n\
             Subject: dots\r\n\r\n..leading dot\r\n...two\r\n..\r\nend\r\n.\r\n\
             +OK Top of message follows\r\n\
             Subject: lf\r\n\r\nline one\r\n.\r\n\
             +OK message 1 deleted\r\n\
             -ERR message 1 already deleted\r\n\
             +OK pop.example.org POP3 server signing off (1 messages left)\r\n",
            dotty + lf,
            dotty + lf,
            dotty + lf,
        )
    );
    task.await.unwrap().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.commits, vec![vec![0]]);
    assert_eq!((log.opened, log.dropped), (1, 1));
}

#[tokio::test]
async fn a_dropped_connection_deletes_nothing_and_releases_the_maildrop() {
    let backend = TestBackend::new(&[DOTTY, BARE_LF]);
    let log = Arc::clone(&backend.log);
    let (mut client, task) = start(backend, ServerOptions::new(plaintext_config()));
    client
        .write_all(b"USER alice\r\nPASS secret\r\nDELE 1\r\nDELE 2\r\n")
        .await
        .unwrap();
    let mut reader = BufReader::new(client);
    for _ in 0..5 {
        assert!(read_line(&mut reader).await.starts_with("+OK"));
    }
    drop(reader);
    task.await.unwrap().unwrap();
    let log = log.lock().unwrap();
    assert!(log.commits.is_empty(), "{:?}", log.commits);
    assert_eq!((log.opened, log.dropped), (1, 1));
}

#[tokio::test]
async fn backend_failures_are_answered_without_their_text() {
    let mut backend = TestBackend::new(&[DOTTY]);
    backend.fail_retrieve = true;
    backend.fail_commit = true;
    let log = Arc::clone(&backend.log);
    let (client, task) = start(backend, ServerOptions::new(plaintext_config()));
    let out = exchange(
        client,
        b"USER alice\r\nPASS secret\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n",
    )
    .await;
    assert!(
        out.ends_with(
            "-ERR [SYS/TEMP] Unable to read message\r\n\
             +OK message 1 deleted\r\n\
             -ERR [SYS/TEMP] Some deleted messages were not removed\r\n"
        ),
        "{out}"
    );
    assert!(!out.contains("secret") && !out.contains("fire"), "{out}");
    task.await.unwrap().unwrap();
    assert!(log.lock().unwrap().commits.is_empty());
}

/// An open failure and the start of the response it gets.
type OpenCase = (fn() -> OpenError, &'static str);

#[tokio::test]
async fn maildrops_that_cannot_be_opened_get_their_codes() {
    let cases: [OpenCase; 4] = [
        (|| OpenError::InUse, "-ERR [IN-USE] "),
        (|| OpenError::LoginDelay, "-ERR [LOGIN-DELAY] "),
        (
            || OpenError::Temporary("db password is hunter2".into()),
            "-ERR [SYS/TEMP] ",
        ),
        (
            || OpenError::Permanent("corrupt /srv/mail/x".into()),
            "-ERR [SYS/PERM] ",
        ),
    ];
    for (error, expected) in cases {
        let mut backend = TestBackend::new(&[DOTTY]);
        backend.open_error = Some(error);
        let (client, task) = start(backend, ServerOptions::new(plaintext_config()));
        let out = exchange(client, b"USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n").await;
        let lines: Vec<&str> = out.split_inclusive("\r\n").collect();
        assert!(lines[2].starts_with(expected), "{out}");
        assert!(!out.contains("hunter2") && !out.contains("/srv"), "{out}");
        // Still in AUTHORIZATION: STAT is refused, QUIT signs off.
        assert!(lines[3].starts_with("-ERR"), "{out}");
        assert!(lines[4].starts_with("+OK"), "{out}");
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn auth_plain_with_initial_response() {
    let backend = TestBackend::new(&[DOTTY]);
    let (client, task) = start(backend, ServerOptions::new(plaintext_config()));
    // base64("\0alice\0secret")
    let out = exchange(
        client,
        b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTAT\r\nQUIT\r\n",
    )
    .await;
    let lines: Vec<&str> = out.split_inclusive("\r\n").collect();
    assert!(lines[1].starts_with("+OK Logged in, 1 messages"), "{out}");
    assert_eq!(lines[2], format!("+OK 1 {}\r\n", DOTTY.len()));
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn apop_with_the_greetings_timestamp() {
    let backend = TestBackend::new(&[DOTTY]);
    let options = ServerOptions::new(plaintext_config()).with_apop(true);
    let (client, task) = start(backend, options);
    let mut reader = BufReader::new(client);
    let greeting = read_line(&mut reader).await;
    let open = greeting.find('<').expect("a timestamp");
    let end = greeting.find('>').unwrap();
    let timestamp = pop3_proto::apop::ApopTimestamp::new(&greeting[open..=end]).unwrap();
    let digest = pop3_proto::apop::digest(&timestamp, b"secret");
    let out = exchange(
        reader.into_inner(),
        format!("APOP alice {digest}\r\nQUIT\r\n").as_bytes(),
    )
    .await;
    assert!(out.starts_with("+OK Logged in, 1 messages"), "{out}");
    task.await.unwrap().unwrap();

    // Each connection has its own timestamp.
    let (client, task) = start(
        TestBackend::new(&[]),
        ServerOptions::new(plaintext_config()).with_apop(true),
    );
    let mut reader = BufReader::new(client);
    let other = read_line(&mut reader).await;
    assert_ne!(other, greeting);
    drop(reader);
    task.await.unwrap().unwrap();
}

fn tls_pair() -> (RustlsAcceptor, tokio_rustls::TlsConnector) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let acceptor = RustlsAcceptor::from_pem(
        cert.cert.pem().as_bytes(),
        cert.key_pair.serialize_pem().as_bytes(),
    )
    .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    (acceptor, tokio_rustls::TlsConnector::from(Arc::new(config)))
}

#[tokio::test]
async fn stls_then_user_pass() {
    let (acceptor, connector) = tls_pair();
    let mut config = ServerConfig::new("pop.example.org");
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    let options = ServerOptions::new(config).with_stls(Arc::new(acceptor));
    let (client, task) = start(TestBackend::new(&[DOTTY]), options);
    let mut reader = BufReader::new(client);
    assert!(read_line(&mut reader).await.starts_with("+OK"));
    // Plaintext logins wait for TLS; bytes pipelined after STLS are dropped.
    reader
        .get_mut()
        .write_all(b"CAPA\r\nUSER alice\r\nSTLS\r\nUSER mallory\r\n")
        .await
        .unwrap();
    let mut capa = String::new();
    loop {
        let line = read_line(&mut reader).await;
        capa.push_str(&line);
        if line == ".\r\n" {
            break;
        }
    }
    assert!(
        capa.contains("STLS\r\n") && !capa.contains("USER\r\n"),
        "{capa}"
    );
    assert!(!capa.contains("SASL PLAIN"), "{capa}");
    assert!(read_line(&mut reader).await.starts_with("-ERR [AUTH]"));
    assert!(read_line(&mut reader).await.starts_with("+OK"));

    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector
        .connect(server_name, reader.into_inner())
        .await
        .unwrap();
    let out = exchange(
        tls,
        b"CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n",
    )
    .await;
    assert!(
        out.contains("USER\r\n") && out.contains("SASL PLAIN\r\n"),
        "{out}"
    );
    assert!(!out.contains("STLS") && !out.contains("mallory"), "{out}");
    assert!(out.contains("+OK Logged in, 1 messages"), "{out}");
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn implicit_tls() {
    let (acceptor, connector) = tls_pair();
    let config = ServerConfig::new("pop.example.org");
    let options = ServerOptions::new(config).with_implicit_tls(Arc::new(acceptor));
    let (client, task) = start(TestBackend::new(&[DOTTY]), options);
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(server_name, client).await.unwrap();
    let out = exchange(tls, b"USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n").await;
    assert!(
        out.starts_with("+OK pop.example.org POP3 server ready\r\n"),
        "{out}"
    );
    assert!(
        out.contains("..leading dot\r\n...two\r\n..\r\nend\r\n.\r\n"),
        "{out}"
    );
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn tls_offered_without_an_acceptor_is_refused() {
    let mut config = ServerConfig::new("pop.example.org");
    config.stls = true;
    let mut options = ServerOptions::new(config);
    std::sync::Arc::make_mut(&mut options.config).stls = true;
    let (_client, task) = start(TestBackend::new(&[]), options);
    let error = task.await.unwrap().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_idle_client_is_logged_out_without_an_update() {
    let mut config = plaintext_config();
    config.idle_timeout = Duration::from_millis(100);
    let backend = TestBackend::new(&[DOTTY]);
    let log = Arc::clone(&backend.log);
    let (mut client, task) = start(backend, ServerOptions::new(config));
    client
        .write_all(b"USER alice\r\nPASS secret\r\nDELE 1\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut out))
        .await
        .expect("the server closes an idle connection")
        .unwrap();
    task.await.unwrap().unwrap();
    assert!(log.lock().unwrap().commits.is_empty());
}

/// A message of `len` bytes made up as it is read.
struct Generated {
    left: usize,
    line: usize,
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = buf.remaining().min(self.left);
        for _ in 0..n {
            // 64-byte lines, each starting with a dot.
            let byte = match self.line % 64 {
                0 => b'.',
                62 => b'\r',
                63 => b'\n',
                _ => b'x',
            };
            buf.put_slice(&[byte]);
            self.line += 1;
        }
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}

struct BigBackend(sasl::memory::MemoryStore, usize);
struct BigMaildrop(Vec<MessageInfo>, usize);

#[async_trait]
impl Backend for BigBackend {
    type Maildrop = BigMaildrop;
    fn credentials(&self) -> &dyn sasl::CredentialStore {
        &self.0
    }
    async fn open(&self, _: &sasl::Identity) -> Result<BigMaildrop, OpenError> {
        let info = MessageInfo::new(self.1 as u64, UniqueId::new("big").unwrap());
        Ok(BigMaildrop(vec![info], self.1))
    }
}

#[async_trait]
impl Maildrop for BigMaildrop {
    fn messages(&self) -> &[MessageInfo] {
        &self.0
    }
    async fn retrieve(
        &mut self,
        _: usize,
        _: &RetrieveOptions,
    ) -> Result<MessageStream, BackendError> {
        Ok(Box::new(Generated {
            left: self.1,
            line: 0,
        }))
    }
    async fn commit(&mut self, _: &[usize]) -> Result<(), BackendError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_large_message_streams_through_byte_stuffed() {
    let len = 8 << 20;
    let mut users = sasl::memory::MemoryStore::new();
    users.add_plaintext("alice", "secret");
    let backend = BigBackend(users, len);
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let options = ServerOptions::new(plaintext_config());
    let task =
        tokio::spawn(
            async move { serve(&backend, server, ConnectionInfo::default(), &options).await },
        );
    client
        .write_all(b"USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    task.await.unwrap().unwrap();
    let text = String::from_utf8(out).unwrap();
    let body_start = text.find(&format!("+OK {len} octets\r\n")).unwrap();
    let body = &text[body_start..];
    let body = &body[body.find("\r\n").unwrap() + 2..];
    let end = body.find("\r\n.\r\n").unwrap() + 2;
    // Every line gained one dot.
    assert_eq!(end, len + len / 64);
    assert!(
        body[..end]
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .all(|l| l.starts_with(".."))
    );
    assert!(
        text.ends_with("signing off (1 messages left)\r\n"),
        "{}",
        &text[text.len() - 80..]
    );
}

#[tokio::test]
async fn shutdown_closes_a_session_in_transaction_without_deleting() {
    let backend = TestBackend::new(&[DOTTY]);
    let log = Arc::clone(&backend.log);
    let (trigger, shutdown) = wire::shutdown_signal();
    let options = ServerOptions::new(plaintext_config()).with_shutdown(shutdown);
    let (mut client, task) = start(backend, options);
    client
        .write_all(b"USER alice\r\nPASS secret\r\nDELE 1\r\n")
        .await
        .unwrap();
    let mut reader = BufReader::new(client);
    for _ in 0..4 {
        assert!(read_line(&mut reader).await.starts_with("+OK"));
    }
    trigger.trigger();
    let mut rest = String::new();
    tokio::time::timeout(Duration::from_secs(10), reader.read_to_string(&mut rest))
        .await
        .expect("the server closes at shutdown")
        .unwrap();
    assert!(rest.starts_with("-ERR"), "{rest:?}");
    task.await.unwrap().unwrap();
    let log = log.lock().unwrap();
    assert!(log.commits.is_empty(), "{:?}", log.commits);
    assert_eq!((log.opened, log.dropped), (1, 1));
}

#[tokio::test]
async fn a_failed_login_is_answered_after_the_delay() {
    let delay = Duration::from_millis(300);
    let options = ServerOptions::new(plaintext_config()).with_auth_failure_delay(delay);
    let (mut client, task) = start(TestBackend::new(&[]), options);
    let mut greeting = [0u8; 64];
    let n = client.read(&mut greeting).await.unwrap();
    assert!(greeting[..n].starts_with(b"+OK"));
    let started = std::time::Instant::now();
    let out = exchange(client, b"USER alice\r\nPASS wrong\r\nQUIT\r\n").await;
    assert!(
        started.elapsed() >= delay,
        "answered after {:?}",
        started.elapsed()
    );
    assert!(out.contains("-ERR [AUTH]"), "{out}");
    task.await.unwrap().unwrap();
}

/// The server's end of a pipe that notes in the log when the response
/// to QUIT is written.
struct Watched {
    inner: tokio::io::DuplexStream,
    log: Arc<Mutex<Log>>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if buf.windows(11).any(|w| w == b"signing off") {
            let mut log = self.log.lock().unwrap();
            log.quit_answered_after_drops = Some(log.dropped);
        }
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn the_maildrop_is_released_before_the_quit_response() {
    let backend = TestBackend::new(&[DOTTY]);
    let log = Arc::clone(&backend.log);
    let (client, server) = tokio::io::duplex(1 << 16);
    let server = Watched {
        inner: server,
        log: Arc::clone(&log),
    };
    let options = ServerOptions::new(plaintext_config());
    let task =
        tokio::spawn(
            async move { serve(&backend, server, ConnectionInfo::default(), &options).await },
        );
    let out = exchange(client, b"USER alice\r\nPASS secret\r\nDELE 1\r\nQUIT\r\n").await;
    assert!(out.contains("signing off"), "{out}");
    task.await.unwrap().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.commits, vec![vec![0]]);
    // A client that logs in again as soon as it reads the answer must
    // find the maildrop free: it was released before the answer left.
    assert_eq!(log.quit_answered_after_drops, Some(1));
}
