//! The sans-IO server session: POP3 policy without sockets.
//!
//! A [`ServerSession`] is fed the client's bytes ([`receive`](ServerSession::receive)),
//! queues responses ([`take_output`](ServerSession::take_output)) and tells
//! its caller what to do next ([`poll`](ServerSession::poll) → [`Event`]).
//! It owns every protocol rule: the AUTHORIZATION, TRANSACTION and UPDATE
//! states (RFC 1939 §3), message numbers that stay fixed for the session,
//! deletions applied only after QUIT, STLS discarding buffered input,
//! plaintext logins only over TLS, PIPELINING, limits on lines and bad
//! commands and failed logins. The caller only does what needs a backend:
//! look up credentials, open a maildrop, read a message, remove messages.
//!
//! # Driving a session
//!
//! ```text
//! session = ServerSession::new(config, tls, apop_timestamp)
//! loop {
//!     while let Some(event) = session.poll() {
//!         match event {
//!             Flush            => write(session.take_output()),
//!             StartTls         => { write(session.take_output()); handshake; session.tls_started(info) }
//!             AuthLookup(req)  => session.auth_answer(sasl::answer(store, &req).await),
//!             OpenMaildrop(id) => match open(id) {
//!                                     Ok(drop) => session.maildrop_opened(drop.messages()),
//!                                     Err(e)   => session.maildrop_failed(kind_of(e)),
//!                                 },
//!             Retrieve { index, top_lines } => match drop.open_message(index) {
//!                 Ok(content) => {
//!                     session.retrieve_ready();          // queues "+OK ..."
//!                     write(session.take_output());      // the +OK line first
//!                     stream content through TopFilter (TOP) and DotStuffer into the socket
//!                     session.body_done();               // or body_failed() on a read error
//!                 }
//!                 Err(_) => session.retrieve_failed(),   // queues "-ERR [SYS/TEMP] ..."
//!             },
//!             Commit { deleted } => match drop.remove(&deleted) {
//!                 Ok(())  => session.commit_done(),
//!                 Err(_)  => session.commit_failed(),
//!             },
//!             Close => { write(session.take_output()); close; return }
//!         }
//!     }
//!     write(session.take_output());        // flush point: input exhausted
//!     if !session.wants_input() { continue }
//!     match read(timeout = config.idle_timeout) {
//!         Ok(0)      => session.end_of_input(),
//!         Ok(bytes)  => session.receive(bytes),
//!         Err(timeout) => session.timed_out(),
//!     }
//! }
//! ```
//!
//! Every answer method returns [`SessionError::NotWaiting`] (and changes
//! nothing) when the session is not waiting for that answer.
//!
//! ```
//! use std::sync::Arc;
//! use pop3_proto::maildrop::{MessageInfo, UniqueId};
//! use pop3_proto::server::{Event, ServerConfig, ServerSession};
//!
//! let mut config = ServerConfig::new("pop.example.org");
//! config.require_tls_for_auth = false;
//! let mut session = ServerSession::new(Arc::new(config), None, None);
//! session.receive(b"USER alice\r\nPASS secret\r\nSTAT\r\n");
//! let Some(Event::AuthLookup(_)) = session.poll() else { panic!() };
//! session.auth_answer(sasl::Answer::Verified(true)).unwrap();
//! let Some(Event::OpenMaildrop(identity)) = session.poll() else { panic!() };
//! assert_eq!(identity.authorization_id(), "alice");
//! let messages = vec![MessageInfo::new(120, UniqueId::new("a1").unwrap())];
//! session.maildrop_opened(messages).unwrap();
//! assert_eq!(session.poll(), None); // needs more input: write the output, then read
//! assert_eq!(
//!     &session.take_output()[..],
//!     &b"+OK pop.example.org POP3 server ready\r\n+OK Send your password\r\n\
//! +OK Logged in, 1 messages (120 octets)\r\n+OK 1 120\r\n"[..]
//! );
//! ```

mod auth;
mod commands;
mod config;
mod event;
mod replies;
mod transaction;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, BytesMut};

pub use config::ServerConfig;
pub use event::{Event, OpenFailure};
pub use wire::TlsInfo;

use crate::apop::ApopTimestamp;
use crate::line::{LineEvent, LineReader};
use crate::response::Response;
use transaction::{ListKind, Maildrop};

/// A caller error: an answer the session was not waiting for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// An answer method was called while the session was not waiting for
    /// that answer; nothing changed.
    #[error("the session is not waiting for this answer")]
    NotWaiting,
}

/// One POP3 server connection's protocol state.
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    input: BytesMut,
    output: BytesMut,
    lines: LineReader,
    events: VecDeque<Event>,
    phase: Phase,
    /// `Some` in the TRANSACTION state.
    maildrop: Option<Maildrop>,
    /// The name a USER command gave, waiting for PASS.
    user: Option<String>,
    tls: Option<TlsInfo>,
    apop: Option<ApopTimestamp>,
    identity: Option<sasl::Identity>,
    utf8: bool,
    errors: u32,
    auth_failures: u32,
}

/// What the session is doing.
#[derive(Debug)]
enum Phase {
    /// Reading commands.
    Command,
    /// Reading the client's lines of a SASL exchange.
    Auth(Box<sasl::ServerSession>),
    /// Waiting for [`ServerSession::auth_answer`].
    AuthLookup(Lookup),
    /// Waiting for the maildrop to be opened.
    Opening,
    /// Waiting for [`ServerSession::retrieve_ready`] or `retrieve_failed`.
    Retrieving {
        size: u64,
        top: bool,
    },
    /// The caller streams a message body.
    Body,
    /// Writing a multi-line listing, from the message at `next`.
    Listing {
        kind: ListKind,
        next: usize,
    },
    /// Waiting for the UPDATE state's outcome.
    Committing,
    /// Waiting for the TLS handshake.
    StartingTls,
    Closed,
}

/// Whose credential look-up is pending.
#[derive(Debug)]
enum Lookup {
    Sasl(Box<sasl::ServerSession>),
    Pass { user: String },
    Apop { user: String, digest: String },
}

impl ServerSession {
    /// A new connection; `tls` is `Some` for implicit TLS (POP3S, RFC 8314).
    /// With `apop`, the greeting carries the timestamp and APOP is offered.
    /// The greeting is queued at once.
    pub fn new(
        config: Arc<ServerConfig>,
        tls: Option<TlsInfo>,
        apop: Option<ApopTimestamp>,
    ) -> Self {
        let mut session = Self {
            lines: LineReader::new(config.limits.max_line_length),
            config,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            phase: Phase::Command,
            maildrop: None,
            user: None,
            tls,
            apop,
            identity: None,
            utf8: false,
            errors: 0,
            auth_failures: 0,
        };
        let mut greeting = format!("{} {}", session.config.hostname, session.config.banner);
        if let Some(timestamp) = &session.apop {
            greeting.push(' ');
            greeting.push_str(timestamp.as_str());
        }
        session.send(&Response::ok(greeting.trim().to_string()));
        session
    }

    /// A connection refused at once: `response` (a `-ERR`, say `-ERR
    /// [SYS/TEMP] Too many connections`) is sent instead of a greeting and
    /// the session closes.
    pub fn refuse(config: Arc<ServerConfig>, response: &Response) -> Self {
        let mut session = Self::new(config, None, None);
        session.output.clear();
        session.send(response);
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

    /// The authenticated identity, from a successful login on (also while
    /// the maildrop is being opened; cleared again if that fails).
    pub fn identity(&self) -> Option<&sasl::Identity> {
        self.identity.as_ref()
    }

    /// Whether the session is in the TRANSACTION state.
    pub fn in_transaction(&self) -> bool {
        self.maildrop.is_some()
    }

    /// Whether the client enabled UTF-8 mode (RFC 6856 UTF8 command): the
    /// caller may then send messages with UTF-8 headers unconverted.
    pub fn utf8_enabled(&self) -> bool {
        self.utf8
    }

    /// Whether the session has closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Whether the session wants the client's next bytes: no event is
    /// pending and it waits for no answer, handshake or body, and is not
    /// closed.
    pub fn wants_input(&self) -> bool {
        self.events.is_empty() && matches!(self.phase, Phase::Command | Phase::Auth(_))
    }

    /// Bytes from the client. Call it when [`poll`](Self::poll) returned
    /// `None` and [`wants_input`](Self::wants_input) is true (bytes given
    /// at other times are kept for later, except that bytes arriving while
    /// a TLS handshake is pending or after the session closed are
    /// discarded).
    pub fn receive(&mut self, bytes: &[u8]) {
        if matches!(self.phase, Phase::StartingTls | Phase::Closed) {
            return;
        }
        self.input.extend_from_slice(bytes);
    }

    /// The client closed its side of the connection: the session closes
    /// without entering the UPDATE state, so nothing is deleted.
    pub fn end_of_input(&mut self) {
        if !self.is_closed() {
            self.close();
        }
    }

    /// How many logins have failed on this connection.
    pub fn auth_failures(&self) -> u32 {
        self.auth_failures
    }

    /// The client was idle longer than
    /// [`idle_timeout`](ServerConfig::idle_timeout): RFC 1939 §3's
    /// autologout. The session closes without a response and without
    /// entering the UPDATE state.
    pub fn timed_out(&mut self) {
        if !self.is_closed() {
            self.close();
        }
    }

    /// The server is shutting down: `-ERR [SYS/TEMP] Server shutting down`
    /// and close, without entering the UPDATE state. While a body is being
    /// streamed nothing is written (it would land inside the body).
    pub fn shutdown(&mut self) {
        if self.is_closed() {
            return;
        }
        if !matches!(self.phase, Phase::Body) {
            self.send(&replies::shutting_down());
        }
        self.close();
    }

    /// Responses waiting to be sent; the caller writes them to the client.
    pub fn take_output(&mut self) -> BytesMut {
        self.output.split()
    }

    /// Memory the session holds in its buffers, in bytes (capacity, not length).
    pub fn buffered_capacity(&self) -> usize {
        self.input.capacity() + self.output.capacity()
    }

    /// The next thing to do, or `None` when the session needs more input,
    /// an answer it asked for, a TLS handshake or the end of a body. Before
    /// reading or waiting, the caller sends what
    /// [`take_output`](Self::take_output) holds.
    pub fn poll(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            let progressed = match self.phase {
                Phase::Command => self.next_command(),
                Phase::Auth(_) => self.next_auth_line(),
                Phase::Listing { .. } => self.continue_listing(),
                _ => false,
            };
            if !progressed && self.events.is_empty() {
                return None;
            }
        }
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded. The session
    /// starts over in the AUTHORIZATION state without a new greeting (RFC
    /// 2595 §4): nothing learnt in the clear is kept, and a client asks
    /// CAPA again.
    pub fn tls_started(&mut self, info: TlsInfo) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::StartingTls) {
            return Err(SessionError::NotWaiting);
        }
        self.input.clear();
        self.lines = LineReader::new(self.config.limits.max_line_length);
        self.tls = Some(info);
        self.user = None;
        self.phase = Phase::Command;
        Ok(())
    }

    /// Queues a response.
    fn send(&mut self, response: &Response) {
        response.encode(&mut self.output);
    }

    /// Asks for a flush when the output has grown past the threshold and
    /// the session goes on reading (an event that waits for the caller, or
    /// `StartTls`, or `Close`, lets the output be written first anyway).
    fn flush_if_full(&mut self) {
        if self.output.len() >= self.config.flush_threshold
            && matches!(
                self.phase,
                Phase::Command | Phase::Auth(_) | Phase::Listing { .. }
            )
        {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.is_closed() && !self.output.is_empty() && self.events.back() != Some(&Event::Flush)
        {
            self.events.push_back(Event::Flush);
        }
    }

    /// Queues an error that a client's mistake caused; too many end the
    /// session.
    fn send_counted(&mut self, response: &Response) {
        self.send(response);
        self.errors += 1;
        if self.errors >= self.config.max_errors {
            self.send(&replies::too_many_errors());
            self.close();
        }
    }

    /// Ends the session: what is queued is flushed, then `Close`; nothing
    /// follows it.
    fn close(&mut self) {
        self.flush();
        self.phase = Phase::Closed;
        self.input.clear();
        self.events.push_back(Event::Close);
    }

    /// The next line of input; `None` when more input is needed, `Err`
    /// for an over-long line (already dropped).
    fn next_line(&mut self) -> Option<Result<BytesMut, ()>> {
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
                    return Some(Err(()));
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
