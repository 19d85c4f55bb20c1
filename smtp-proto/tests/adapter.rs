//! The tokio adapter end to end over in-memory pipes: body streaming,
//! backend errors, LMTP, STARTTLS with rustls, timeouts, refusals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use smtp_proto::adapter::{
    Backend, BackendError, ConnectionInfo, MessageBody, RustlsAcceptor, ServerOptions, Session,
    Timeouts, TransactionContext, serve,
};
use smtp_proto::server::ServerConfig;
use smtp_proto::{EnhancedCode, ForwardPath, RcptParams, Reply};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

#[derive(Default)]
struct Store {
    messages: Mutex<Vec<Vec<u8>>>,
    resets: Mutex<usize>,
    /// What each transaction's context said: the client's name and the
    /// protocol keyword.
    contexts: Mutex<Vec<String>>,
}

struct TestBackend {
    store: Arc<Store>,
    refuse: bool,
    credentials: sasl::memory::MemoryStore,
}

impl TestBackend {
    fn new(store: Arc<Store>) -> Self {
        let mut credentials = sasl::memory::MemoryStore::new();
        credentials.add_plaintext("alice", "secret");
        Self {
            store,
            refuse: false,
            credentials,
        }
    }
}

struct TestSession {
    store: Arc<Store>,
}

#[async_trait]
impl Backend for TestBackend {
    type Session = TestSession;

    async fn connect(&self, _: &ConnectionInfo) -> Result<TestSession, Reply> {
        if self.refuse {
            return Err(Reply::new(554, Some(EnhancedCode::new(5, 7, 1)), "Go away"));
        }
        Ok(TestSession {
            store: Arc::clone(&self.store),
        })
    }

    fn credentials(&self) -> Option<&dyn sasl::CredentialStore> {
        Some(&self.credentials)
    }
}

#[async_trait]
impl Session for TestSession {
    async fn transaction(&mut self, context: &TransactionContext<'_>) {
        let seen = format!("{} {}", context.hello.unwrap_or("-"), context.protocol());
        self.store.contexts.lock().unwrap().push(seen);
    }

    async fn rcpt(&mut self, to: &ForwardPath, _: &RcptParams) -> Result<Reply, BackendError> {
        match to.to_string().as_str() {
            "<broken@example.org>" => Err("database connection refused: secret DSN".into()),
            _ => Ok(Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), "OK")),
        }
    }

    async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError> {
        let mut message = Vec::new();
        while let Some(chunk) = body.chunk().await? {
            message.extend_from_slice(&chunk);
            if message.starts_with(b"FAIL") {
                return Err("disk on fire at /var/secret".into());
            }
            if message.starts_with(b"EARLY") {
                break;
            }
        }
        self.store.messages.lock().unwrap().push(message);
        Ok(Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Stored"))
    }

    async fn reset(&mut self) {
        *self.store.resets.lock().unwrap() += 1;
    }
}

/// Sends `input` in one write, then reads everything until the server closes.
async fn exchange<S>(mut client: S, input: &[u8]) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    client.write_all(input).await.unwrap();
    let mut out = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut client, &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Serves one connection over an in-memory pipe; returns the client end.
fn start(
    backend: TestBackend,
    options: ServerOptions,
) -> (
    tokio::io::DuplexStream,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let (client, server) = tokio::io::duplex(4096);
    let task =
        tokio::spawn(
            async move { serve(&backend, server, ConnectionInfo::default(), &options).await },
        );
    (client, task)
}

async fn run(backend: TestBackend, options: ServerOptions, input: &[u8]) -> String {
    let (client, task) = start(backend, options);
    let out = exchange(client, input).await;
    task.await.unwrap().unwrap();
    out
}

fn options() -> ServerOptions {
    ServerOptions::new(ServerConfig::new("mx.example.org"))
}

#[tokio::test]
async fn a_message_streams_through_the_adapter() {
    let store = Arc::new(Store::default());
    let body = "x".repeat(300_000);
    let input = format!(
        "EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n{body}\r\n.\r\nQUIT\r\n"
    );
    let out = run(
        TestBackend::new(Arc::clone(&store)),
        options(),
        input.as_bytes(),
    )
    .await;
    assert!(
        out.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Stored\r\n221 2.0.0 mx.example.org closing connection\r\n"),
        "{out}"
    );
    assert_eq!(
        *store.messages.lock().unwrap(),
        vec![format!("{body}\r\n").into_bytes()]
    );
}

#[tokio::test]
async fn backend_errors_become_451_without_their_text() {
    let store = Arc::new(Store::default());
    let input = b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<broken@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nFAIL now\r\nmore\r\n.\r\nNOOP\r\nQUIT\r\n";
    let out = run(TestBackend::new(Arc::clone(&store)), options(), input).await;
    assert!(!out.contains("secret") && !out.contains("fire"), "{out}");
    assert!(
        out.contains("RCPT\r\n")
            || out.contains(
                "451 4.3.0 Requested action aborted: local error in processing\r\n250 2.1.5 OK\r\n"
            ),
        "{out}"
    );
    assert!(
        out.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n451 4.3.0 Requested action aborted: local error in processing\r\n250 2.0.0 OK\r\n221 2.0.0 mx.example.org closing connection\r\n"),
        "{out}"
    );
    assert!(store.messages.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_backend_that_stops_reading_early_still_gets_a_clean_session() {
    let store = Arc::new(Store::default());
    let input = b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nEARLY\r\nrest of the body\r\n.\r\nNOOP\r\nQUIT\r\n";
    let out = run(TestBackend::new(Arc::clone(&store)), options(), input).await;
    assert!(
        out.ends_with(
            "250 2.0.0 Stored\r\n250 2.0.0 OK\r\n221 2.0.0 mx.example.org closing connection\r\n"
        ),
        "{out}"
    );
    assert!(store.messages.lock().unwrap()[0].starts_with(b"EARLY\r\n"));
}

#[tokio::test]
async fn lmtp_default_gives_every_recipient_the_reply() {
    let store = Arc::new(Store::default());
    let options = ServerOptions::new(ServerConfig::lmtp("lmtp.example.org"));
    let input = b"LHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n";
    let out = run(TestBackend::new(Arc::clone(&store)), options, input).await;
    assert!(
        out.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Stored\r\n250 2.0.0 Stored\r\n221 2.0.0 lmtp.example.org closing connection\r\n"),
        "{out}"
    );
}

#[tokio::test]
async fn refused_connections_get_the_backends_reply() {
    let mut backend = TestBackend::new(Arc::new(Store::default()));
    backend.refuse = true;
    let out = run(backend, options(), b"").await;
    assert_eq!(out, "554 5.7.1 Go away\r\n");
}

#[tokio::test]
async fn idle_clients_time_out_with_421() {
    let options = options().with_timeouts({
        let mut timeouts = Timeouts::default();
        timeouts.command = Duration::from_millis(100);
        timeouts
    });
    let backend = TestBackend::new(Arc::new(Store::default()));
    let (client, task) = start(backend, options);
    let mut lines = BufReader::new(client).lines();
    assert_eq!(
        lines.next_line().await.unwrap().unwrap(),
        "220 mx.example.org ESMTP Mailwright"
    );
    assert_eq!(
        lines.next_line().await.unwrap().unwrap(),
        "421 4.4.2 mx.example.org Timeout, closing connection"
    );
    assert_eq!(lines.next_line().await.unwrap(), None);
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn starttls_without_an_acceptor_is_refused_at_start() {
    let mut config = ServerConfig::new("mx.example.org");
    config.starttls = true;
    let mut options = options();
    options.config = Arc::new(config);
    let backend = TestBackend::new(Arc::new(Store::default()));
    let (_client, server) = tokio::io::duplex(64);
    let error = serve(&backend, server, ConnectionInfo::default(), &options)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

/// Reads one (possibly multi-line) reply.
async fn read_reply<R: tokio::io::AsyncBufRead + Unpin>(stream: &mut R) -> String {
    let mut reply = String::new();
    loop {
        let start = reply.len();
        stream.read_line(&mut reply).await.unwrap();
        if reply.as_bytes().get(start + 3) != Some(&b'-') {
            return reply;
        }
    }
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
async fn starttls_then_auth_plain_then_mail() {
    let (acceptor, connector) = tls_pair();
    let config = ServerConfig::submission("mx.example.org", vec![sasl::Mechanism::Plain]);
    let options = ServerOptions::new(config).with_starttls(Arc::new(acceptor));
    let store = Arc::new(Store::default());
    let backend = TestBackend::new(Arc::clone(&store));
    let (client, task) = start(backend, options);

    let mut client = BufReader::new(client);
    assert!(read_reply(&mut client).await.starts_with("220 "));
    client
        .get_mut()
        .write_all(b"EHLO c\r\nSTARTTLS\r\n")
        .await
        .unwrap();
    let ehlo = read_reply(&mut client).await;
    assert!(
        ehlo.contains("250-STARTTLS\r\n") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    assert_eq!(
        read_reply(&mut client).await,
        "220 2.0.0 Ready to start TLS\r\n"
    );

    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector
        .connect(server_name, client.into_inner())
        .await
        .unwrap();
    let out = exchange(
        tls,
        b"EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nsecure\r\n.\r\nQUIT\r\n",
    )
    .await;
    assert!(
        out.contains("250-AUTH PLAIN\r\n") && !out.contains("STARTTLS"),
        "{out}"
    );
    assert!(
        out.contains(
            "235 2.7.0 Authentication successful\r\n250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n354"
        ),
        "{out}"
    );
    task.await.unwrap().unwrap();
    assert_eq!(
        *store.messages.lock().unwrap(),
        vec![b"secure\r\n".to_vec()]
    );
    assert_eq!(*store.contexts.lock().unwrap(), ["c ESMTPSA"]);
}

#[tokio::test]
async fn implicit_tls_and_scram_sha256_plus_with_tls_exporter_binding() {
    let (acceptor, connector) = tls_pair();
    let config = ServerConfig::submission(
        "mx.example.org",
        vec![sasl::Mechanism::ScramSha256Plus, sasl::Mechanism::Plain],
    );
    let options = ServerOptions::new(config).with_implicit_tls(Arc::new(acceptor));
    let store = Arc::new(Store::default());
    let backend = TestBackend::new(Arc::clone(&store));
    let (client, task) = start(backend, options);
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(server_name, client).await.unwrap();
    let mut exporter = [0u8; 32];
    tls.get_ref()
        .1
        .export_keying_material(&mut exporter, b"EXPORTER-Channel-Binding", None)
        .unwrap();
    let config = sasl::ClientConfig::password("alice", "secret")
        .with_channel_binding(sasl::ChannelBinding::tls_exporter(exporter.to_vec()));
    let mut scram = sasl::ClientSession::new(sasl::Mechanism::ScramSha256Plus, config).unwrap();
    let first = scram.initial_response().unwrap();

    let mut tls = BufReader::new(tls);
    assert!(read_reply(&mut tls).await.starts_with("220 "));
    let line = format!(
        "EHLO c\r\nAUTH SCRAM-SHA-256-PLUS {}\r\n",
        sasl::line::encode_initial_response(&first)
    );
    tls.get_mut().write_all(line.as_bytes()).await.unwrap();
    let ehlo = read_reply(&mut tls).await;
    assert!(
        ehlo.contains("250-AUTH SCRAM-SHA-256-PLUS PLAIN\r\n"),
        "{ehlo}"
    );
    let challenge = |reply: String| {
        let text = reply.trim_end().strip_prefix("334 ").unwrap().to_string();
        sasl::line::decode_challenge(text.as_bytes()).unwrap()
    };
    let server_first = challenge(read_reply(&mut tls).await);
    let client_final = scram.step(&server_first).unwrap();
    let line = format!("{}\r\n", sasl::line::encode_response(&client_final));
    tls.get_mut().write_all(line.as_bytes()).await.unwrap();
    let server_final = challenge(read_reply(&mut tls).await);
    scram.finish(Some(&server_final)).unwrap();
    tls.get_mut().write_all(b"\r\n").await.unwrap();
    assert_eq!(
        read_reply(&mut tls).await,
        "235 2.7.0 Authentication successful\r\n"
    );
    let out = exchange(tls, b"QUIT\r\n").await;
    assert_eq!(out, "221 2.0.0 mx.example.org closing connection\r\n");
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn each_transaction_learns_the_clients_name_and_protocol() {
    let store = Arc::new(Store::default());
    let backend = TestBackend::new(Arc::clone(&store));
    let out = run(
        backend,
        options(),
        b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRSET\r\n\
          HELO old.example\r\nMAIL FROM:<a@example.org>\r\nQUIT\r\n",
    )
    .await;
    assert!(
        out.ends_with("221 2.0.0 mx.example.org closing connection\r\n"),
        "{out}"
    );
    assert_eq!(
        *store.contexts.lock().unwrap(),
        ["client.example ESMTP", "old.example SMTP"]
    );
}

#[tokio::test]
async fn shutdown_finishes_the_message_under_way_then_answers_421() {
    let store = Arc::new(Store::default());
    let backend = TestBackend::new(Arc::clone(&store));
    let (trigger, shutdown) = wire::shutdown_signal();
    let (client, task) = start(backend, options().with_shutdown(shutdown));
    let mut client = BufReader::new(client);
    assert!(read_reply(&mut client).await.starts_with("220 "));
    client
        .get_mut()
        .write_all(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\npart one\r\n")
        .await
        .unwrap();
    for _ in 0..3 {
        assert!(read_reply(&mut client).await.starts_with("250"));
    }
    assert!(read_reply(&mut client).await.starts_with("354"));
    trigger.trigger();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = exchange(client, b"part two\r\n.\r\n").await;
    assert_eq!(
        out,
        "250 2.0.0 Stored\r\n421 4.3.2 mx.example.org Service shutting down, closing connection\r\n"
    );
    task.await.unwrap().unwrap();
    assert_eq!(
        *store.messages.lock().unwrap(),
        vec![b"part one\r\npart two\r\n".to_vec()]
    );
}

#[tokio::test]
async fn shutdown_closes_an_idle_session_with_421() {
    let (trigger, shutdown) = wire::shutdown_signal();
    let backend = TestBackend::new(Arc::default());
    let (client, task) = start(backend, options().with_shutdown(shutdown));
    let mut client = BufReader::new(client);
    assert!(read_reply(&mut client).await.starts_with("220 "));
    trigger.trigger();
    let mut rest = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_string(&mut client, &mut rest),
    )
    .await
    .expect("the server closes at shutdown")
    .unwrap();
    assert_eq!(
        rest,
        "421 4.3.2 mx.example.org Service shutting down, closing connection\r\n"
    );
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_failed_auth_is_answered_after_the_delay() {
    let delay = Duration::from_millis(300);
    let mut config = ServerConfig::new("mx.example.org");
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    config.require_tls_for_auth = false;
    let options = ServerOptions::new(config).with_auth_failure_delay(delay);
    let (client, task) = start(TestBackend::new(Arc::default()), options);
    let mut client = BufReader::new(client);
    assert!(read_reply(&mut client).await.starts_with("220 "));
    client.get_mut().write_all(b"EHLO c\r\n").await.unwrap();
    assert!(read_reply(&mut client).await.contains("AUTH PLAIN"));
    let started = std::time::Instant::now();
    // alice / wrong
    client
        .get_mut()
        .write_all(b"AUTH PLAIN AGFsaWNlAHdyb25n\r\n")
        .await
        .unwrap();
    let reply = read_reply(&mut client).await;
    assert!(
        started.elapsed() >= delay,
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(reply, "535 5.7.8 Authentication credentials invalid\r\n");
    let out = exchange(client, b"QUIT\r\n").await;
    assert_eq!(out, "221 2.0.0 mx.example.org closing connection\r\n");
    task.await.unwrap().unwrap();
}
