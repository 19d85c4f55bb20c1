//! A scripted backend that drives a sans-IO server session, for transcript tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use smtp_proto::server::{Event, ServerConfig, ServerSession, TlsInfo};
use smtp_proto::{EnhancedCode, ForwardPath, Reply};

/// Everything the backend saw and the session sent.
#[derive(Debug, Default)]
pub struct Outcome {
    /// All server output, flush points marked with `|` when `mark_flushes`.
    pub output: String,
    /// Messages the backend received completely (DataEnd).
    pub messages: Vec<Vec<u8>>,
    /// Event names in order (chunks as `chunk`).
    pub events: Vec<String>,
    /// Whether the session closed.
    pub closed: bool,
}

/// The scripted backend: senders starting with `bad` and recipients
/// starting with `bad`/`full` are refused; everything else accepted. Users
/// `alice`/`secret` and `bob`/`builder` exist.
pub struct Harness {
    pub session: ServerSession,
    pub store: sasl::memory::MemoryStore,
    pub mark_flushes: bool,
    pub fail_data: bool,
    /// Keep only the length of each message (as its decimal text).
    pub count_only: bool,
    counted: usize,
    out: Outcome,
    current: Vec<u8>,
    recipients: Vec<String>,
}

impl Harness {
    pub fn new(config: ServerConfig) -> Self {
        Self::with_tls(config, None)
    }

    pub fn with_tls(config: ServerConfig, tls: Option<TlsInfo>) -> Self {
        let mut store = sasl::memory::MemoryStore::new();
        store.add_plaintext("alice", "secret");
        store.add_plaintext("bob", "builder");
        // RFC 4954's example user (authorization identity "test" too).
        store.add_plaintext("test", "1234");
        Self {
            session: ServerSession::new(Arc::new(config), tls),
            store,
            mark_flushes: false,
            fail_data: false,
            count_only: false,
            counted: 0,
            out: Outcome::default(),
            current: Vec::new(),
            recipients: Vec::new(),
        }
    }

    /// Feeds `input` in pieces of `piece` bytes, handling every event.
    pub fn feed_in(&mut self, input: &[u8], piece: usize) {
        self.drive();
        for chunk in input.chunks(piece.max(1)) {
            if self.session.is_closed() {
                break;
            }
            self.session.receive(chunk);
            self.drive();
        }
    }

    pub fn feed(&mut self, input: &[u8]) {
        self.feed_in(input, usize::MAX);
    }

    pub fn eof(&mut self) {
        self.session.end_of_input();
        self.drive();
    }

    pub fn finish(mut self) -> Outcome {
        self.drive();
        self.collect_output();
        self.out
    }

    /// The output so far, taken.
    pub fn take(&mut self) -> String {
        self.drive();
        self.collect_output();
        std::mem::take(&mut self.out.output)
    }

    pub fn events(&self) -> &[String] {
        &self.out.events
    }

    pub fn messages(&self) -> &[Vec<u8>] {
        &self.out.messages
    }

    fn collect_output(&mut self) {
        let bytes = self.session.take_output();
        self.out.output.push_str(&String::from_utf8_lossy(&bytes));
    }

    fn drive(&mut self) {
        while let Some(event) = self.session.poll() {
            self.handle(event);
        }
    }

    fn handle(&mut self, event: Event) {
        let name = match &event {
            Event::Flush => "flush".to_string(),
            Event::Mail { from, .. } => format!("mail {from}"),
            Event::Rcpt { to, .. } => format!("rcpt {to}"),
            Event::DataStart => "data-start".to_string(),
            Event::DataChunk(_) => "chunk".to_string(),
            Event::DataEnd => "data-end".to_string(),
            Event::DataAbort(reason) => format!("abort {reason:?}"),
            Event::Reset => "reset".to_string(),
            Event::StartTls => "starttls".to_string(),
            Event::AuthLookup(_) => "lookup".to_string(),
            Event::Authenticated(id) => format!("authenticated {}", id.authentication_id),
            Event::Vrfy(arg) => format!("vrfy {arg}"),
            Event::Expn(arg) => format!("expn {arg}"),
            Event::Etrn(arg) => format!("etrn {arg}"),
            Event::Close => "close".to_string(),
            _ => format!("{event:?}"),
        };
        if !matches!(event, Event::DataChunk(_)) || self.out.events.last() != Some(&name) {
            self.out.events.push(name);
        }
        match event {
            Event::Flush => {
                self.collect_output();
                if self.mark_flushes {
                    self.out.output.push('|');
                }
            }
            Event::Mail { from, .. } => {
                let reply = if from.to_string().starts_with("<bad") {
                    Reply::new(550, Some(EnhancedCode::new(5, 7, 1)), "Sender refused")
                } else {
                    Reply::new(250, Some(EnhancedCode::new(2, 1, 0)), "Sender OK")
                };
                self.recipients.clear();
                self.session.answer(reply).unwrap();
            }
            Event::Rcpt { to, .. } => {
                let text = to.to_string();
                let reply = if text.starts_with("<bad") {
                    Reply::new(550, Some(EnhancedCode::new(5, 1, 1)), "User unknown")
                } else if text.starts_with("<full") {
                    Reply::new(452, Some(EnhancedCode::new(4, 2, 2)), "Mailbox full")
                } else {
                    self.recipients.push(text);
                    Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), "Recipient OK")
                };
                self.session.answer(reply).unwrap();
            }
            Event::DataStart => {
                self.current.clear();
                if self.fail_data {
                    self.session.abort_data(Reply::new(
                        452,
                        Some(EnhancedCode::new(4, 3, 1)),
                        "Disk full",
                    ));
                }
            }
            Event::DataChunk(bytes) if self.count_only => self.counted += bytes.len(),
            Event::DataChunk(bytes) => self.current.extend_from_slice(&bytes),
            Event::DataEnd => {
                if self.count_only {
                    self.current = std::mem::take(&mut self.counted).to_string().into_bytes();
                }
                self.out.messages.push(std::mem::take(&mut self.current));
                if self.session.config().lmtp {
                    for rcpt in std::mem::take(&mut self.recipients) {
                        let reply = Reply::new(
                            250,
                            Some(EnhancedCode::new(2, 0, 0)),
                            format!("{rcpt} delivered"),
                        );
                        self.session.answer(reply).unwrap();
                    }
                } else {
                    self.session
                        .answer(Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Queued"))
                        .unwrap();
                }
            }
            Event::DataAbort(_) | Event::Reset => self.current.clear(),
            Event::StartTls => {
                self.collect_output();
                self.session.tls_started(TlsInfo::default());
            }
            Event::AuthLookup(request) => {
                let answer = futures_executor::block_on(sasl::answer(&self.store, &request));
                self.session.auth_answer(answer).unwrap();
            }
            Event::Vrfy(arg) | Event::Expn(arg) | Event::Etrn(arg) => {
                self.session
                    .answer(Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), arg))
                    .unwrap();
            }
            Event::Close => self.out.closed = true,
            Event::Authenticated(_) => {}
            _ => {}
        }
    }
}

/// A recipient's address text, for LMTP replies.
pub fn addr(path: &ForwardPath) -> String {
    path.to_string()
}

/// Runs `input` through a fresh session in one piece and returns the output.
pub fn converse(config: ServerConfig, input: &str) -> String {
    let mut harness = Harness::new(config);
    harness.feed(input.as_bytes());
    harness.finish().output
}

pub fn mta() -> ServerConfig {
    ServerConfig::new("mx.example.org")
}
