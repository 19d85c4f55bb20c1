//! A scripted backend that drives a sans-IO POP3 server session, for
//! transcript tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use bytes::BytesMut;
use pop3_proto::apop::ApopTimestamp;
use pop3_proto::maildrop::{MessageInfo, UniqueId};
use pop3_proto::server::{Event, OpenFailure, ServerConfig, ServerSession, TlsInfo};
use pop3_proto::{DotStuffer, TopFilter};

/// RFC 1939's example timestamp.
pub const TIMESTAMP: &str = "<1896.697170952@dbc.mtview.ca.us>";

/// The two messages of every maildrop that opens: RFC 1939's sizes are not
/// kept, the sizes are the real ones.
pub fn messages() -> Vec<Vec<u8>> {
    vec![
        b"From: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n.dotted\r\nline 3\r\n".to_vec(),
        b"Subject: two\r\n\r\nbody\r\n".to_vec(),
        b"Subject: three\n\nbare LF body\n.\nend".to_vec(),
    ]
}

/// A config with plaintext logins allowed without TLS, as most tests want.
pub fn config() -> ServerConfig {
    let mut config = ServerConfig::new("pop.example.org");
    config.require_tls_for_auth = false;
    config
}

/// The scripted backend. Users: `alice`/`secret`, `mrose`/`tanstaaf`
/// (RFC 1939), `tim`/`tanstaaftanstaaf` (RFC 5802/5034), `locked`,
/// `delay`, `broken`, `gone` (password `pw`), whose maildrops fail to open
/// with IN-USE, LOGIN-DELAY, SYS/TEMP and SYS/PERM.
pub struct Harness {
    pub session: ServerSession,
    pub store: sasl::memory::MemoryStore,
    pub contents: Vec<Vec<u8>>,
    /// Answer look-ups with `Unavailable`.
    pub store_down: bool,
    /// Fail RETR/TOP of these 0-based indices.
    pub unreadable: Vec<usize>,
    pub fail_commit: bool,
    /// Pieces the body is streamed in.
    pub body_piece: usize,
    pub mark_flushes: bool,
    pub output: String,
    pub events: Vec<String>,
    pub commits: Vec<Vec<usize>>,
    pub closed: bool,
}

impl Harness {
    pub fn new(config: ServerConfig) -> Self {
        Self::with(config, None, None)
    }

    pub fn with(config: ServerConfig, tls: Option<TlsInfo>, apop: Option<&str>) -> Self {
        let mut store = sasl::memory::MemoryStore::new();
        for (user, password) in [
            ("alice", "secret"),
            ("mrose", "tanstaaf"),
            ("tim", "tanstaaftanstaaf"),
            ("locked", "pw"),
            ("delay", "pw"),
            ("broken", "pw"),
            ("gone", "pw"),
            ("jörg", "pässword"),
        ] {
            store.add_plaintext(user, password);
        }
        let apop = apop.map(|timestamp| ApopTimestamp::new(timestamp).unwrap());
        Self {
            session: ServerSession::new(Arc::new(config), tls, apop),
            store,
            contents: messages(),
            store_down: false,
            unreadable: Vec::new(),
            fail_commit: false,
            body_piece: 7,
            mark_flushes: false,
            output: String::new(),
            events: Vec::new(),
            commits: Vec::new(),
            closed: false,
        }
    }

    /// Feeds `input` in pieces of `piece` bytes, handling every event.
    pub fn feed_in(&mut self, input: &[u8], piece: usize) {
        self.drive();
        for chunk in input.chunks(piece.max(1)) {
            if self.session.is_closed() {
                break;
            }
            assert!(self.session.wants_input(), "fed while not wanting input");
            self.session.receive(chunk);
            self.drive();
        }
    }

    pub fn feed(&mut self, input: &[u8]) {
        self.feed_in(input, usize::MAX);
    }

    /// The output so far, taken.
    pub fn take(&mut self) -> String {
        self.drive();
        std::mem::take(&mut self.output)
    }

    pub fn eof(&mut self) {
        self.session.end_of_input();
        self.drive();
    }

    fn collect(&mut self) {
        let bytes = self.session.take_output();
        self.output.push_str(&String::from_utf8_lossy(&bytes));
    }

    pub fn drive(&mut self) {
        while let Some(event) = self.session.poll() {
            assert!(!self.closed, "{event:?} after Close");
            self.handle(event);
        }
        self.collect();
    }

    fn handle(&mut self, event: Event) {
        let name = match &event {
            Event::Flush => "flush".to_string(),
            Event::StartTls => "starttls".to_string(),
            Event::AuthLookup(_) => "lookup".to_string(),
            Event::OpenMaildrop(identity) => format!("open {}", identity.authorization_id()),
            Event::Retrieve { index, top_lines } => format!("retrieve {index} {top_lines:?}"),
            Event::Commit { deleted } => format!("commit {deleted:?}"),
            Event::Close => "close".to_string(),
            other => format!("{other:?}"),
        };
        self.events.push(name);
        match event {
            Event::Flush => {
                self.collect();
                if self.mark_flushes {
                    self.output.push('|');
                }
            }
            Event::StartTls => {
                self.collect();
                self.session.tls_started(TlsInfo::default()).unwrap();
            }
            Event::AuthLookup(request) => {
                let answer = if self.store_down {
                    sasl::Answer::Unavailable
                } else {
                    futures_executor::block_on(sasl::answer(&self.store, &request))
                };
                self.session.auth_answer(answer).unwrap();
            }
            Event::OpenMaildrop(identity) => {
                let failure = match identity.authorization_id() {
                    "locked" => Some(OpenFailure::InUse),
                    "delay" => Some(OpenFailure::LoginDelay),
                    "broken" => Some(OpenFailure::Temporary),
                    "gone" => Some(OpenFailure::Permanent),
                    _ => None,
                };
                match failure {
                    Some(failure) => self.session.maildrop_failed(failure).unwrap(),
                    None => {
                        let listing = self
                            .contents
                            .iter()
                            .enumerate()
                            .map(|(i, content)| {
                                MessageInfo::new(
                                    wire_size(content),
                                    UniqueId::new(&format!("uid-{}", i + 1)).unwrap(),
                                )
                            })
                            .collect();
                        self.session.maildrop_opened(listing).unwrap();
                    }
                }
            }
            Event::Retrieve { index, top_lines } => {
                if self.unreadable.contains(&index) {
                    self.session.retrieve_failed().unwrap();
                    return;
                }
                self.session.retrieve_ready().unwrap();
                self.collect();
                let mut out = BytesMut::new();
                let mut stuffer = DotStuffer::new();
                let mut top = top_lines.map(TopFilter::new);
                for piece in self.contents[index].chunks(self.body_piece) {
                    match &mut top {
                        Some(filter) => {
                            stuffer.encode(filter.filter(piece), &mut out);
                            if filter.is_done() {
                                break;
                            }
                        }
                        None => stuffer.encode(piece, &mut out),
                    }
                }
                stuffer.finish(&mut out);
                self.output.push_str(&String::from_utf8_lossy(&out));
                self.session.body_done().unwrap();
            }
            Event::Commit { deleted } => {
                self.commits.push(deleted);
                if self.fail_commit {
                    self.session.commit_failed().unwrap();
                } else {
                    self.session.commit_done().unwrap();
                }
            }
            Event::Close => {
                self.collect();
                self.closed = true;
            }
            _ => {}
        }
    }
}

/// The size RETR sends before stuffing: content with every line end as CRLF.
pub fn wire_size(content: &[u8]) -> u64 {
    let mut out = BytesMut::new();
    DotStuffer::encode_all(content, &mut out);
    let mut decoder = pop3_proto::BodyDecoder::new();
    let mut plain = Vec::new();
    decoder.decode(&out, &mut plain);
    plain.len() as u64
}

/// Runs a whole conversation and returns the output.
pub fn converse(config: ServerConfig, input: &str) -> String {
    let mut h = Harness::new(config);
    h.feed(input.as_bytes());
    h.take()
}
