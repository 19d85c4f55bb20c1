//! The sans-IO server session: SMTP and LMTP policy without sockets.
//!
//! A [`ServerSession`] is fed the client's bytes ([`receive`](ServerSession::receive)),
//! queues replies ([`take_output`](ServerSession::take_output)) and tells its
//! caller what to do next ([`poll`](ServerSession::poll) → [`Event`]). It
//! owns every protocol rule: command order, PIPELINING flush points, limits,
//! STARTTLS discarding buffered input, one AUTH per session, TLS before AUTH,
//! AUTH before MAIL, DATA and BDAT framing with size limits and SMTP
//! smuggling protection. The caller only decides what a backend decides:
//! whether a sender, a recipient or a message is accepted.
//!
//! ```
//! use std::sync::Arc;
//! use smtp_proto::server::{Event, ServerConfig, ServerSession};
//! use smtp_proto::Reply;
//!
//! let mut session = ServerSession::new(Arc::new(ServerConfig::new("mx.example.org")), None);
//! assert_eq!(session.poll(), Some(Event::Flush));
//! assert_eq!(&session.take_output()[..], b"220 mx.example.org ESMTP Mailwright\r\n");
//!
//! session.receive(b"HELO client.example\r\nMAIL FROM:<a@example.com>\r\n");
//! assert_eq!(session.poll(), Some(Event::Flush)); // HELO's reply goes out at once
//! assert!(matches!(session.poll(), Some(Event::Mail { .. })));
//! session.answer(Reply::new(250, None, "OK")).unwrap();
//! assert_eq!(session.poll(), None); // needs more input: flush, then read
//! assert_eq!(
//!     &session.take_output()[..],
//!     b"250 mx.example.org\r\n250 OK\r\n"
//! );
//! ```

mod auth;
mod body;
mod commands;
mod config;
mod event;
mod replies;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, BytesMut};

pub use config::ServerConfig;
pub use event::{AbortReason, Event};
pub use wire::TlsInfo;

use crate::bdat::BdatDecoder;
use crate::data::DataDecoder;
use crate::line::{LineEvent, LineReader};
use crate::reply::Reply;

/// A caller error: an answer the session was not waiting for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// [`ServerSession::answer`] or [`ServerSession::auth_answer`] was called
    /// while the session was not waiting for that answer.
    #[error("the session is not waiting for this answer")]
    NotWaiting,
}

/// One SMTP or LMTP server connection's protocol state.
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    input: BytesMut,
    output: BytesMut,
    body: BytesMut,
    lines: LineReader,
    events: VecDeque<Event>,
    phase: Phase,
    helo: Option<Helo>,
    tls: Option<TlsInfo>,
    identity: Option<sasl::Identity>,
    tx: Transaction,
    errors: u32,
    auth_failures: u32,
}

#[derive(Debug)]
struct Helo {
    extended: bool,
    /// The client's name as it gave it.
    name: String,
}

/// The mail transaction in progress.
#[derive(Debug, Default)]
struct Transaction {
    mail: Option<MailState>,
    recipients: usize,
    /// The body has begun (DataStart was emitted).
    body_started: bool,
    /// The body is being discarded; the reason decides the final reply.
    aborted: Option<(AbortReason, Reply)>,
    /// Octets announced by BDAT commands so far.
    bdat_size: u64,
}

#[derive(Debug)]
struct MailState {
    smtputf8: bool,
    binary: bool,
}

#[derive(Debug)]
enum Phase {
    Command,
    Waiting(Pending),
    Data(DataDecoder),
    Bdat {
        chunk: BdatDecoder,
        size: u64,
        last: bool,
        failure: Option<Reply>,
    },
    Auth(Box<sasl::ServerSession>),
    AuthLookup(Box<sasl::ServerSession>),
    StartingTls,
    Closed,
}

#[derive(Debug)]
enum Pending {
    Mail(MailState),
    Rcpt,
    DataEnd { remaining: usize },
    Verify,
}

impl ServerSession {
    /// A new connection; `tls` is `Some` for implicit TLS (SMTPS, RFC 8314).
    /// The greeting is queued at once.
    pub fn new(config: Arc<ServerConfig>, tls: Option<TlsInfo>) -> Self {
        let mut session = Self {
            lines: LineReader::new(config.max_line_length),
            config,
            input: BytesMut::new(),
            output: BytesMut::new(),
            body: BytesMut::new(),
            events: VecDeque::new(),
            phase: Phase::Command,
            helo: None,
            tls,
            identity: None,
            tx: Transaction::default(),
            errors: 0,
            auth_failures: 0,
        };
        let greeting = Reply::new(
            220,
            None,
            format!("{} {}", session.config.hostname, session.config.banner),
        );
        session.send(&greeting, true);
        session
    }

    /// A connection refused at once: `reply` (a 554 or 421) is sent and the
    /// session closes, as RFC 5321 §3.1 allows instead of a greeting.
    pub fn refuse(config: Arc<ServerConfig>, reply: &Reply) -> Self {
        let mut session = Self::new(config, None);
        session.output.clear();
        session.events.clear();
        session.send(reply, true);
        session.close();
        session
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the connection is protected by TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The authenticated identity, after a successful AUTH.
    pub fn identity(&self) -> Option<&sasl::Identity> {
        self.identity.as_ref()
    }

    /// Recipients accepted in the current transaction (LMTP gives one reply per recipient).
    pub fn accepted_recipients(&self) -> usize {
        self.tx.recipients
    }

    /// Whether the session is reading message data (DATA or a BDAT chunk),
    /// for callers that time the two differently.
    pub fn in_body(&self) -> bool {
        matches!(self.phase, Phase::Data(_) | Phase::Bdat { .. })
    }

    /// Whether the session has closed (after QUIT, 421, or the end of input).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether the session wants the client's next bytes: it is neither
    /// waiting for an answer, nor for a TLS handshake, nor closed.
    pub fn wants_input(&self) -> bool {
        self.events.is_empty()
            && matches!(
                self.phase,
                Phase::Command | Phase::Data(_) | Phase::Bdat { .. } | Phase::Auth(_)
            )
    }

    /// Bytes from the client. Call it when [`poll`](Self::poll) returned
    /// `None` and [`wants_input`](Self::wants_input) is true; bytes that
    /// arrive while a TLS handshake is pending or after the session closed
    /// are discarded.
    pub fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::StartingTls | Phase::Closed) {
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The client closed its side of the connection.
    pub fn end_of_input(&mut self) {
        if self.is_closed() {
            return;
        }
        self.abandon_body();
        self.close();
    }

    /// The client was idle too long (RFC 5321 §4.5.3.2): answers 421 4.4.2 and closes.
    pub fn timed_out(&mut self) {
        self.close_with(replies::timeout(&self.config.hostname));
    }

    /// The server is shutting down: answers 421 4.3.2 and closes.
    pub fn shutdown(&mut self) {
        self.close_with(replies::shutting_down(&self.config.hostname));
    }

    /// Replies waiting to be sent; the caller writes them to the client.
    pub fn take_output(&mut self) -> BytesMut {
        self.output.split()
    }

    /// The name the client gave in its last EHLO, HELO or LHLO, and
    /// whether it was EHLO or LHLO (the extended forms).
    pub fn client_hello(&self) -> Option<(&str, bool)> {
        self.helo
            .as_ref()
            .map(|helo| (helo.name.as_str(), helo.extended))
    }

    /// What TLS established, when the connection is protected.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// How many AUTH exchanges have failed on this connection.
    pub fn auth_failures(&self) -> u32 {
        self.auth_failures
    }

    /// Memory the session holds in its buffers, in bytes (capacity, not length).
    pub fn buffered_capacity(&self) -> usize {
        self.input.capacity() + self.output.capacity() + self.body.capacity()
    }

    /// The next thing to do, or `None` when the session needs more input
    /// (or an answer it asked for, or a TLS handshake). Before reading, the
    /// caller sends whatever [`take_output`](Self::take_output) holds.
    pub fn poll(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            let progressed = match self.phase {
                Phase::Command => self.next_command(),
                Phase::Auth(_) => self.next_auth_line(),
                Phase::Data(_) => self.next_data(),
                Phase::Bdat { .. } => self.next_chunk(),
                Phase::Waiting(_) | Phase::AuthLookup(_) | Phase::StartingTls | Phase::Closed => {
                    false
                }
            };
            if !progressed && self.events.is_empty() {
                return None;
            }
        }
    }

    /// Answers the pending [`Event::Mail`], [`Event::Rcpt`],
    /// [`Event::DataEnd`], [`Event::Vrfy`], [`Event::Expn`] or
    /// [`Event::Etrn`]. Replies with a code the command cannot have (a 3xx
    /// to MAIL, say) are replaced by 451 4.3.0.
    pub fn answer(&mut self, reply: Reply) -> Result<(), SessionError> {
        let pending = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::Waiting(pending) => pending,
            other => {
                self.phase = other;
                return Err(SessionError::NotWaiting);
            }
        };
        let reply = if reply.is_success() || reply.is_transient() || reply.is_permanent() {
            reply
        } else {
            replies::local_error()
        };
        match pending {
            Pending::Mail(state) => {
                if reply.is_success() {
                    self.tx.mail = Some(state);
                }
                self.send_counted(&reply, false);
            }
            Pending::Rcpt => {
                if reply.is_success() {
                    self.tx.recipients += 1;
                }
                self.send_counted(&reply, false);
            }
            Pending::Verify => self.send_counted(&reply, true),
            Pending::DataEnd { remaining } => {
                self.send(&reply, remaining == 1);
                if remaining > 1 {
                    self.phase = Phase::Waiting(Pending::DataEnd {
                        remaining: remaining - 1,
                    });
                } else {
                    self.tx = Transaction::default();
                }
            }
        }
        Ok(())
    }

    /// Queues a reply. `flush` marks an RFC 2920 flush point: the reply
    /// must reach the client before the session waits for anything else.
    fn send(&mut self, reply: &Reply, flush: bool) {
        reply.encode(&mut self.output);
        if flush {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.output.is_empty() && self.events.back() != Some(&Event::Flush) {
            self.events.push_back(Event::Flush);
        }
    }

    /// Queues a reply and counts it as an error if it is one; too many
    /// errors end the session with 421.
    fn send_counted(&mut self, reply: &Reply, flush: bool) {
        self.send(reply, flush);
        if reply.is_permanent() {
            self.errors += 1;
            if self.errors >= self.config.max_errors {
                self.close_with(replies::too_many_errors(&self.config.hostname));
            }
        }
    }

    fn close_with(&mut self, reply: Reply) {
        if self.is_closed() {
            return;
        }
        self.abandon_body();
        self.send(&reply, true);
        self.close();
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.input.clear();
        self.flush();
        self.events.push_back(Event::Close);
    }

    /// Ends the transaction, telling the caller if it had begun.
    fn reset_transaction(&mut self) {
        let active = self.tx.mail.is_some() || self.tx.body_started;
        self.tx = Transaction::default();
        if active {
            self.events.push_back(Event::Reset);
        }
    }

    /// Reads the next line of the current phase; `None` when more input is
    /// needed. Over-long lines are answered with `too_long`.
    fn next_line(&mut self, too_long: fn() -> Reply) -> Option<Result<BytesMut, Reply>> {
        loop {
            match self.lines.next_line(&self.input) {
                LineEvent::NeedMore => return None,
                LineEvent::Discard { consumed } => {
                    if consumed == 0 {
                        return None;
                    }
                    self.input.advance(consumed);
                }
                LineEvent::TooLong { consumed } => {
                    self.input.advance(consumed);
                    return Some(Err(too_long()));
                }
                LineEvent::Line {
                    content_len,
                    consumed,
                } => {
                    let mut line = self.input.split_to(consumed);
                    line.truncate(content_len);
                    return Some(Ok(line));
                }
            }
        }
    }
}
