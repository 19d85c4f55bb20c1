//! The fuzz harness of the pop3-proto crate, shared by the cargo-fuzz
//! targets `fuzz/fuzz_targets/pop3_*.rs` and by the corpus replay test
//! `pop3-proto/tests/fuzz_corpus.rs` (which includes this file as a
//! module), so a corpus file means the same thing in both places. It needs
//! only the `pop3_proto`, `sasl`, `bytes` and `futures_executor` crates.
//!
//! # Input formats
//!
//! * `pop3_command`: the whole input is one line, read as a client command
//!   (without CRLF), as a server status line, and, split at LF, as CAPA
//!   lines.
//! * `pop3_session`: `config split script stream…`. `config` holds the
//!   [`session_flags`], `split` is the [`pieces`] seed of the client's
//!   stream, `script` the [`script_flags`] of the backend.
//!
//! [`session_input`] builds a session input, for seeds.
//!
//! # What is checked
//!
//! Besides "no panic":
//!
//! * commands: what parses under RFC 2449's strict limits parses the same
//!   under the lenient defaults; a parsed command encodes to one CRLF line
//!   that parses back to the same command and encodes the same again;
//!   a space before the line and a CRLF after it (when it does not end
//!   with CR or LF already) change nothing. Status
//!   lines re-encode and re-parse to themselves; CAPA lines read into
//!   [`Capabilities`] survive encoding, un-stuffing and reading back.
//! * session: a scripted backend answers every question at once. It checks
//!   that credentials are only asked for in the AUTHORIZATION state, and
//!   passwords in the clear only over TLS when the policy wants it; that a
//!   maildrop is only opened for an identity the store vouched for; that
//!   RETR/TOP only name existing messages, only in TRANSACTION; that the
//!   commit comes at most once, only after a QUIT was sent, with ascending
//!   unique indices of existing messages (so a dropped connection deletes
//!   nothing); that every streamed body (through [`TopFilter`] and
//!   [`DotStuffer`]) un-stuffs to the message's content (or TOP's extent of it,
//!   computed line by line); that nothing pipelined before STLS is read
//!   after the handshake; that answers nobody asked for are refused and
//!   change nothing (the conversation is the same without them,
//!   [`script_flags::STRAY`]). The output is CRLF lines that form whole
//!   responses (status lines, `+ ` challenges, and multi-line blocks after
//!   the `+OK` lines that announce one, ending at a `.` line), ends at a line
//!   boundary whenever the caller writes it, starts with a `+OK` greeting,
//!   and nothing happens after `Close`. The session's buffers stay within a
//!   bound proportional to its limits and the piece size, it never stalls
//!   (`poll` gives `None` only when it wants input or is closed), and it
//!   gives a bounded number of events per input byte.

use std::sync::{Arc, OnceLock};

use bytes::BytesMut;
use pop3_proto::apop::ApopTimestamp;
use pop3_proto::maildrop::{MessageInfo, UniqueId};
use pop3_proto::server::{Event, OpenFailure, ServerConfig, ServerSession, SessionError, TlsInfo};
use pop3_proto::{
    BodyDecoder, BodyProgress, Capabilities, Command, CommandLimits, DotStuffer, Response,
    TopFilter,
};
use sasl::memory::MemoryStore;

#[path = "../../pop3-proto/tests/support/content_model.rs"]
mod content_model;
use content_model::{canonical, top_model};

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `pop3_command`: the command parser and encoder, status lines, CAPA.
    Command,
    /// `pop3_session`: a whole server session with a scripted backend.
    Session,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 2] = [Target::Command, Target::Session];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Command => "pop3_command",
            Target::Session => "pop3_session",
        }
    }

    /// Runs one input; panics if a check fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::Command => run_command(data),
            Target::Session => run_session(data),
        }
    }
}

/// Cuts `data` into consecutive pieces, deterministically from `seed`: seed
/// 0 gives the whole of `data` as one piece; otherwise pieces of 0 to
/// `seed % 64 + 1` bytes (never two empty ones in a row), their lengths
/// drawn from a generator seeded with `seed`.
pub fn pieces(data: &[u8], seed: u8) -> Vec<&[u8]> {
    if seed == 0 {
        return vec![data];
    }
    let max = usize::from(seed & 0x3f) + 1;
    let mut state = u32::from(seed).wrapping_mul(0x9e37_79b9) | 1;
    let mut pieces = Vec::new();
    let mut pos = 0;
    let mut last_empty = false;
    while pos < data.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let mut len = (state as usize) % (max + 1);
        if last_empty {
            len = len.max(1);
        }
        let len = len.min(data.len() - pos);
        last_empty = len == 0;
        pieces.push(&data[pos..pos + len]);
        pos += len;
    }
    pieces
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

// ---------------------------------------------------------------------------
// pop3_command

fn run_command(line: &[u8]) {
    check_command(line);
    check_status_line(line);
    check_capabilities(line);
}

fn check_command(line: &[u8]) {
    let lenient = CommandLimits::default();
    let parsed = Command::parse(line, &lenient);
    if let Ok(strict) = Command::parse(line, &CommandLimits::RFC2449) {
        assert_eq!(Ok(strict), parsed, "strict and lenient limits disagree");
    }
    let mut padded = vec![b' '];
    padded.extend_from_slice(line);
    padded.extend_from_slice(b"\r\n");
    // (A line ending in CR or LF already has the start of a line end.)
    if padded.len() <= lenient.max_line_length && !line.ends_with(b"\r") && !line.ends_with(b"\n") {
        assert_eq!(
            Command::parse(&padded, &lenient),
            parsed,
            "a leading space and CRLF changed {}",
            show(line)
        );
    }
    let Ok(command) = parsed else {
        return;
    };
    let mut wire = BytesMut::new();
    command.encode(&mut wire);
    let encoded = wire
        .strip_suffix(b"\r\n")
        .unwrap_or_else(|| panic!("{command:?} encoded without CRLF"));
    assert!(
        !encoded.iter().any(|&byte| byte == b'\r' || byte == b'\n'),
        "{command:?} encoded with a line break inside: {}",
        show(&wire)
    );
    let again = Command::parse(encoded, &lenient).unwrap_or_else(|error| {
        panic!(
            "{} parsed, encoded as {}, which does not parse: {error:?}",
            show(line),
            show(encoded)
        )
    });
    assert_eq!(
        again,
        command,
        "{} parsed differently once encoded",
        show(line)
    );
    let mut rewire = BytesMut::new();
    again.encode(&mut rewire);
    assert_eq!(rewire, wire, "encoding is not canonical");
}

fn check_status_line(line: &[u8]) {
    let Ok(response) = Response::parse(line) else {
        return;
    };
    let mut wire = BytesMut::new();
    response.encode(&mut wire);
    assert_eq!(
        wire.iter().filter(|&&byte| byte == b'\n').count(),
        1,
        "{response:?} encoded as several lines"
    );
    assert_eq!(
        Response::parse(&wire).as_ref(),
        Ok(&response),
        "{} parsed, encoded as {}, parsed differently",
        show(line),
        show(&wire)
    );
}

fn check_capabilities(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.contains('\r'))
        .collect();
    let caps = Capabilities::parse_lines(lines.iter().copied());
    let mut wire = BytesMut::new();
    caps.encode(&mut wire);
    let first = wire.iter().position(|&b| b == b'\n').expect("a +OK line") + 1;
    let mut decoder = BodyDecoder::new();
    let mut body = Vec::new();
    assert_eq!(
        decoder.decode(&wire[first..], &mut body),
        BodyProgress::Done {
            consumed: wire.len() - first
        },
        "CAPA response {} does not end at its terminator",
        show(&wire)
    );
    let body = String::from_utf8(body).expect("CAPA lines are UTF-8");
    let again = Capabilities::parse_lines(body.split_terminator("\r\n"));
    assert_eq!(again, caps, "capabilities changed through {}", show(&wire));
}

// ---------------------------------------------------------------------------
// pop3_session

/// Bits of the first byte of a `pop3_session` input: the configuration.
pub mod session_flags {
    /// The connection starts with TLS (POP3S).
    pub const IMPLICIT_TLS: u8 = 0x01;
    /// Offer STLS.
    pub const STLS: u8 = 0x02;
    /// Plaintext logins only over TLS (`require_tls_for_auth`).
    pub const REQUIRE_TLS: u8 = 0x04;
    /// The greeting has an APOP timestamp ([`APOP_TIMESTAMP`](super::APOP_TIMESTAMP)).
    pub const APOP: u8 = 0x08;
    /// RFC 2449's strict limits (255-octet lines, 40-octet arguments), 5
    /// bad commands, 2 failed logins.
    pub const STRICT: u8 = 0x10;
    /// Flush after 64 bytes of output.
    pub const SMALL_FLUSH: u8 = 0x20;
    /// After the last piece the client closes its side (`end_of_input`).
    pub const EOF: u8 = 0x40;
    /// SASL PLAIN, LOGIN and CRAM-MD5 (with a fixed challenge).
    pub const SASL: u8 = 0x80;
}

/// Bits of the third byte of a `pop3_session` input: the backend's script.
pub mod script_flags {
    /// The credential store answers `Unavailable`.
    pub const STORE_DOWN: u8 = 0x01;
    /// Mask of the bits that pick how the maildrop opens: 0 it opens, 1 to
    /// 4 it fails with IN-USE, LOGIN-DELAY, SYS/TEMP, SYS/PERM (only the
    /// first time; later logins open it).
    pub const OPEN: u8 = 0x0e;
    /// Odd-numbered messages (0-based odd indices) cannot be read.
    pub const UNREADABLE: u8 = 0x10;
    /// The commit fails.
    pub const FAIL_COMMIT: u8 = 0x20;
    /// Whenever the session wants input, the backend also gives every
    /// answer nobody asked for, which must be refused and change nothing.
    pub const STRAY: u8 = 0x40;
    /// 40 messages instead of 6.
    pub const BIG_MAILDROP: u8 = 0x80;
}

/// The greeting timestamp with [`session_flags::APOP`] (RFC 1939's).
pub const APOP_TIMESTAMP: &str = "<1896.697170952@dbc.mtview.ca.us>";

/// CRAM-MD5's fixed challenge (RFC 2195's).
pub const CRAM_MD5_CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

/// Users with passwords: `mrose`/`tanstaaf` is RFC 1939's APOP user,
/// `tim`/`tanstaaftanstaaf` RFC 2195's CRAM-MD5 user.
pub const USERS: &[(&str, &str)] = &[
    ("alice", "secret"),
    ("mrose", "tanstaaf"),
    ("tim", "tanstaaftanstaaf"),
];

/// The contents of the messages of the small maildrop; message `i` of the
/// big one is `MESSAGES[i % 6]`.
pub const MESSAGES: [&[u8]; 6] = [
    b"From: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n.dotted\r\n..\r\n.\r\nlast\r\n",
    b"Subject: bare LF\n\nbody\n.\nend",
    b"Subject: bare CR\r\rbody\r.\rend\r",
    b"no blank line, no header end",
    b"",
    b"\r\nbody only\r\n.\r\n",
];

/// A `pop3_session` input.
pub fn session_input(config: u8, split: u8, script: u8, stream: &[u8]) -> Vec<u8> {
    let mut input = vec![config, split, script];
    input.extend_from_slice(stream);
    input
}

/// The session buffers may hold at most this many times (line limit +
/// piece + flush threshold), plus [`MEMORY_SLACK`].
pub const MEMORY_FACTOR: usize = 4;
/// See [`MEMORY_FACTOR`].
pub const MEMORY_SLACK: usize = 4096;

fn store() -> &'static MemoryStore {
    static STORE: OnceLock<MemoryStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = MemoryStore::new();
        for (user, password) in USERS {
            store.add_plaintext(*user, password);
        }
        store
    })
}

fn session_config(bits: u8) -> ServerConfig {
    use session_flags::*;
    let mut config = ServerConfig::new("pop.example.org");
    config.stls = bits & STLS != 0;
    config.require_tls_for_auth = bits & REQUIRE_TLS != 0;
    if bits & STRICT != 0 {
        config.limits = CommandLimits::RFC2449;
        config.max_errors = 5;
        config.max_auth_failures = 2;
    }
    if bits & SMALL_FLUSH != 0 {
        config.flush_threshold = 64;
    }
    if bits & SASL != 0 {
        config.auth_mechanisms = vec![
            sasl::Mechanism::Plain,
            sasl::Mechanism::Login,
            sasl::Mechanism::CramMd5,
        ];
        config.sasl.fixed_nonce = Some(CRAM_MD5_CHALLENGE.to_string());
    }
    config
}

fn run_session(data: &[u8]) {
    let [bits, split, script, ref stream @ ..] = *data else {
        return;
    };
    let transcript = run_session_once(bits, split, script, stream);
    if script & script_flags::STRAY != 0 {
        let without = run_session_once(bits, split, script & !script_flags::STRAY, stream);
        assert!(
            transcript == without,
            "stray answers changed the conversation:\n{}\nwithout them:\n{}",
            show(&transcript.0),
            show(&without.0)
        );
    }
}

fn run_session_once(bits: u8, split: u8, script: u8, stream: &[u8]) -> (Vec<u8>, Vec<String>) {
    let config = Arc::new(session_config(bits));
    let tls = (bits & session_flags::IMPLICIT_TLS != 0).then(TlsInfo::default);
    let apop = (bits & session_flags::APOP != 0)
        .then(|| ApopTimestamp::new(APOP_TIMESTAMP).expect("a valid timestamp"));
    let quit_sent = stream
        .windows(4)
        .any(|window| window.eq_ignore_ascii_case(b"QUIT"));
    let mut backend = Backend::new(config, tls, apop, script);
    backend.drive();
    for piece in pieces(stream, split) {
        if backend.closed {
            break;
        }
        backend.receive(piece);
    }
    if bits & session_flags::EOF != 0 && !backend.closed {
        backend.session.end_of_input();
        backend.drive();
        assert!(backend.closed, "no Close after the end of input");
    }
    if backend.closed {
        backend.session.receive(b"QUIT\r\n");
        assert_eq!(backend.session.poll(), None, "an event after Close");
        assert!(
            backend.session.take_output().is_empty(),
            "output after Close"
        );
    }
    assert!(
        backend.commits == 0 || quit_sent,
        "a commit without QUIT in the stream"
    );
    backend.output.finish();
    (backend.output.transcript, backend.log)
}

/// Checks that the output is whole responses.
#[derive(Debug, Default)]
struct OutputChecker {
    transcript: Vec<u8>,
    /// Bytes of the current, unfinished line.
    partial: Vec<u8>,
    /// Inside a multi-line block.
    in_block: bool,
    /// The block is a LIST or UIDL listing.
    in_listing: bool,
    lines: usize,
    /// Messages marked deleted (0-based), as the responses to DELE and
    /// RSET tell.
    deleted: std::collections::BTreeSet<usize>,
}

impl OutputChecker {
    fn feed(&mut self, bytes: &[u8]) {
        self.transcript.extend_from_slice(bytes);
        for &byte in bytes {
            self.partial.push(byte);
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                self.line(&line);
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        let content = line
            .strip_suffix(b"\r\n")
            .unwrap_or_else(|| panic!("bare LF in the output: {}", show(line)));
        assert!(
            !content.contains(&b'\r'),
            "bare CR in the output: {}",
            show(line)
        );
        self.lines += 1;
        if self.in_block {
            if content == b"." {
                self.in_block = false;
            } else if self.in_listing {
                let text = String::from_utf8_lossy(content);
                let number: usize = text
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("listing line {text:?}"));
                assert!(
                    number >= 1 && !self.deleted.contains(&(number - 1)),
                    "deleted message listed: {text:?}"
                );
            }
            return;
        }
        let text = std::str::from_utf8(content)
            .unwrap_or_else(|_| panic!("status line not UTF-8: {}", show(line)));
        if self.lines == 1 {
            assert!(text.starts_with("+OK "), "greeting {text:?}");
            return;
        }
        if text.starts_with("+ ") {
            return;
        }
        let response = Response::parse(content)
            .unwrap_or_else(|error| panic!("output line {text:?} is no response: {error:?}"));
        self.in_block = response.is_ok() && announces_block(response.text());
        self.in_listing = self.in_block
            && (response.text() == "Unique-ID listing follows"
                || response.text().ends_with(" octets)"));
        if response.is_ok() {
            let words: Vec<&str> = response.text().split(' ').collect();
            match words.as_slice() {
                ["message", number, "deleted"] => {
                    let number: usize = number.parse().expect("a message number");
                    assert!(self.deleted.insert(number - 1), "deleted twice");
                }
                ["maildrop", "has", ..] => self.deleted.clear(),
                _ => {}
            }
        }
    }

    /// The caller writes the output: it must end at a line boundary.
    fn at_flush(&self) {
        assert!(
            self.partial.is_empty(),
            "output ends inside a line: {}",
            show(&self.partial)
        );
    }

    fn finish(&self) {
        self.at_flush();
    }
}

/// Whether a `+OK` text is one that a multi-line block follows.
fn announces_block(text: &str) -> bool {
    let numbers = |text: &str, words: &[&str]| {
        let parts: Vec<&str> = text.split(' ').collect();
        parts.len() == words.len()
            && parts.iter().zip(words).all(|(part, word)| match *word {
                "#" => !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()),
                "(#" => part
                    .strip_prefix('(')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
                word => part == &word,
            })
    };
    matches!(
        text,
        "Capability list follows"
            | "Supported SASL mechanisms follow"
            | "Unique-ID listing follows"
            | "Top of message follows"
    ) || numbers(text, &["#", "octets"])
        || numbers(text, &["#", "messages", "(#", "octets)"])
}

/// The scripted backend, with its model of the session.
struct Backend {
    session: ServerSession,
    config: Arc<ServerConfig>,
    script: u8,
    messages: Vec<&'static [u8]>,
    output: OutputChecker,
    log: Vec<String>,
    closed: bool,
    in_transaction: bool,
    opens: usize,
    commits: usize,
    received: usize,
    events: usize,
    largest_piece: usize,
}

impl Backend {
    fn new(
        config: Arc<ServerConfig>,
        tls: Option<TlsInfo>,
        apop: Option<ApopTimestamp>,
        script: u8,
    ) -> Self {
        let count = if script & script_flags::BIG_MAILDROP != 0 {
            40
        } else {
            6
        };
        Self {
            session: ServerSession::new(Arc::clone(&config), tls, apop),
            config,
            script,
            messages: (0..count).map(|i| MESSAGES[i % MESSAGES.len()]).collect(),
            output: OutputChecker::default(),
            log: Vec::new(),
            closed: false,
            in_transaction: false,
            opens: 0,
            commits: 0,
            received: 0,
            events: 0,
            largest_piece: 0,
        }
    }

    fn receive(&mut self, piece: &[u8]) {
        self.received += piece.len();
        self.largest_piece = self.largest_piece.max(piece.len());
        assert!(self.session.wants_input(), "fed while not wanting input");
        self.session.receive(piece);
        self.check_memory();
        self.drive();
    }

    fn drive(&mut self) {
        while let Some(event) = self.session.poll() {
            assert!(!self.closed, "{event:?} after Close");
            self.events += 1;
            assert!(
                self.events <= 64 + 8 * self.received,
                "{} events for {} bytes of input",
                self.events,
                self.received
            );
            self.log.push(format!("{event:?}"));
            self.handle(event);
            self.check_memory();
        }
        self.take_output();
        assert!(
            self.closed || self.session.wants_input(),
            "the session stalled: no event, no input wanted"
        );
        if self.script & script_flags::STRAY != 0 && !self.closed {
            self.stray_answers();
        }
    }

    fn stray_answers(&mut self) {
        let wants_input = self.session.wants_input();
        let refused = [
            self.session.auth_answer(sasl::Answer::Verified(true)),
            self.session.maildrop_opened(Vec::new()),
            self.session.maildrop_failed(OpenFailure::InUse),
            self.session.retrieve_ready(),
            self.session.retrieve_failed(),
            self.session.body_done(),
            self.session.body_failed(),
            self.session.commit_done(),
            self.session.commit_failed(),
            self.session.tls_started(TlsInfo::default()),
        ];
        for result in refused {
            assert_eq!(
                result,
                Err(SessionError::NotWaiting),
                "a stray answer was taken"
            );
        }
        assert_eq!(
            (self.session.is_closed(), self.session.wants_input()),
            (false, wants_input),
            "a refused answer changed the session"
        );
        assert!(
            self.session.take_output().is_empty(),
            "a refused answer wrote output"
        );
    }

    fn check_memory(&self) {
        let bound = MEMORY_FACTOR
            * (self.config.limits.max_line_length
                + self.largest_piece
                + self.config.flush_threshold)
            + MEMORY_SLACK;
        let held = self.session.buffered_capacity();
        assert!(
            held <= bound,
            "the session holds {held} bytes (bound {bound})"
        );
    }

    fn take_output(&mut self) {
        let output = self.session.take_output();
        if output.is_empty() {
            return;
        }
        assert!(!self.closed, "output after Close: {}", show(&output));
        self.output.feed(&output);
        self.output.at_flush();
    }

    fn plaintext_allowed(&self) -> bool {
        self.session.is_tls() || !self.config.require_tls_for_auth
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Flush => self.take_output(),
            Event::StartTls => {
                assert!(
                    self.config.stls && !self.session.is_tls() && !self.in_transaction,
                    "unasked STLS"
                );
                self.take_output();
                self.session
                    .tls_started(TlsInfo::default())
                    .expect("waiting for TLS");
                // Nothing pipelined before the handshake is read after it.
                assert_eq!(self.session.poll(), None, "input survived STLS");
                assert!(self.session.wants_input());
            }
            Event::AuthLookup(request) => {
                assert!(!self.in_transaction, "credentials asked in TRANSACTION");
                if matches!(request, sasl::CredentialRequest::VerifyPassword { .. }) {
                    assert!(self.plaintext_allowed(), "a password accepted in the clear");
                }
                let answer = if self.script & script_flags::STORE_DOWN != 0 {
                    sasl::Answer::Unavailable
                } else {
                    futures_executor::block_on(sasl::answer(store(), &request))
                };
                self.session
                    .auth_answer(answer)
                    .expect("waiting for a look-up");
            }
            Event::OpenMaildrop(identity) => {
                assert!(!self.in_transaction, "a second maildrop");
                assert!(
                    self.script & script_flags::STORE_DOWN == 0,
                    "a login without the store"
                );
                let user = identity.authorization_id();
                assert!(
                    USERS.iter().any(|(known, _)| *known == user),
                    "logged in as {user:?}, whom the store does not know"
                );
                self.opens += 1;
                let failure = match (self.script & script_flags::OPEN) >> 1 {
                    1 => Some(OpenFailure::InUse),
                    2 => Some(OpenFailure::LoginDelay),
                    3 => Some(OpenFailure::Temporary),
                    4 => Some(OpenFailure::Permanent),
                    _ => None,
                };
                match failure {
                    Some(failure) if self.opens == 1 => self
                        .session
                        .maildrop_failed(failure)
                        .expect("waiting to open"),
                    _ => {
                        let listing = self
                            .messages
                            .iter()
                            .enumerate()
                            .map(|(i, content)| {
                                MessageInfo::new(
                                    canonical_len(content),
                                    UniqueId::new(&format!("uid{i}")).expect("valid"),
                                )
                            })
                            .collect();
                        self.session
                            .maildrop_opened(listing)
                            .expect("waiting to open");
                        self.in_transaction = true;
                    }
                }
            }
            Event::Retrieve { index, top_lines } => {
                assert!(self.in_transaction, "RETR outside TRANSACTION");
                assert!(index < self.messages.len(), "RETR of message index {index}");
                self.take_output();
                assert!(
                    !self.output.deleted.contains(&index),
                    "RETR of deleted message index {index}"
                );
                if self.script & script_flags::UNREADABLE != 0 && index % 2 == 1 {
                    self.session.retrieve_failed().expect("waiting to retrieve");
                    return;
                }
                self.session.retrieve_ready().expect("waiting to retrieve");
                self.take_output();
                let body = stream_body(self.messages[index], top_lines);
                self.output.feed(&body);
                self.session.body_done().expect("streaming a body");
            }
            Event::Commit { deleted } => {
                assert!(self.in_transaction, "commit outside TRANSACTION");
                self.commits += 1;
                assert_eq!(self.commits, 1, "a second commit");
                assert!(
                    deleted.windows(2).all(|pair| pair[0] < pair[1]),
                    "deleted indices not ascending: {deleted:?}"
                );
                assert!(deleted.iter().all(|&index| index < self.messages.len()));
                self.take_output();
                let marked: Vec<usize> = self.output.deleted.iter().copied().collect();
                assert_eq!(deleted, marked, "the commit is not what DELE and RSET left");
                if self.script & script_flags::FAIL_COMMIT != 0 {
                    self.session.commit_failed().expect("waiting to commit");
                } else {
                    self.session.commit_done().expect("waiting to commit");
                }
            }
            Event::Close => {
                self.take_output();
                self.closed = true;
            }
            other => panic!("unknown event {other:?}"),
        }
    }
}

/// The body RETR (or TOP) sends for `content`, streamed in pieces of a
/// size derived from it, and checked against a line-by-line model.
fn stream_body(content: &[u8], top_lines: Option<u64>) -> Vec<u8> {
    let mut stuffer = DotStuffer::new();
    let mut filter = top_lines.map(TopFilter::new);
    let mut out = BytesMut::new();
    let piece = content.len() % 5 + 1;
    for chunk in content.chunks(piece) {
        let before = out.len();
        match &mut filter {
            Some(filter) => {
                let passed = filter.filter(chunk);
                assert!(
                    chunk.starts_with(passed),
                    "TOP passed bytes it was not given"
                );
                stuffer.encode(passed, &mut out);
                if filter.is_done() {
                    break;
                }
            }
            None => stuffer.encode(chunk, &mut out),
        }
        assert!(
            out.len() - before <= 2 * chunk.len(),
            "stuffing more than doubled"
        );
    }
    stuffer.finish(&mut out);
    let mut decoder = BodyDecoder::new();
    let mut decoded = Vec::new();
    assert_eq!(
        decoder.decode(&out, &mut decoded),
        BodyProgress::Done {
            consumed: out.len()
        },
        "the body does not end at its terminator: {}",
        show(&out)
    );
    let mut expected = match top_lines {
        Some(lines) => top_model(content, lines),
        None => canonical(content),
    };
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    assert!(
        decoded == expected,
        "body {} un-stuffs to {}, expected {}",
        show(&out),
        show(&decoded),
        show(&expected)
    );
    out.to_vec()
}

/// The size RETR sends: canonical content with a final line end.
fn canonical_len(content: &[u8]) -> u64 {
    let canonical = canonical(content);
    let end = if canonical.is_empty() || canonical.ends_with(b"\r\n") {
        0
    } else {
        2
    };
    (canonical.len() + end) as u64
}
