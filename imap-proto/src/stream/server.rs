//! The server's command reader: bytes in as they arrive, commands out,
//! APPEND messages streamed through in constant memory.

use bytes::{Buf, BytesMut};
use thiserror::Error;

use super::append::{self, MessageHead};
use super::framing::{self, Announced};
use crate::parse::{self, ParseError, ParseLimits};
use crate::types::command::Command;
use crate::types::core::Tag;
use crate::types::datetime::DateTime;
use crate::types::flag::Flag;
use crate::types::mailbox::Mailbox;

/// Which non-synchronising literals (`{n+}`) the server accepts: what it
/// advertises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonSyncLiterals {
    /// LITERAL+: any size (within the other limits).
    Plus,
    /// LITERAL- (RFC 7888): up to 4096 octets.
    Minus,
    /// Neither is advertised: a `{n+}` is refused.
    Refused,
}

/// The longest literal announcement, `~{` 19 digits `+}` CRLF, with room.
const ANNOUNCEMENT_MAX: usize = 32;

/// The size LITERAL- allows a non-synchronising literal.
pub const LITERAL_MINUS_MAX: u64 = 4096;

/// The limits of a [`CommandReader`], enforced as bytes arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandLimits {
    /// The longest line (between literals), CRLF included.
    pub max_line: usize,
    /// The longest command, its literals included (APPEND's messages are
    /// not: they stream).
    pub max_command: usize,
    /// The largest literal inside a command other than an APPEND message.
    pub max_literal: u64,
    /// The largest APPEND message (say it in APPENDLIMIT).
    pub max_append: u64,
    /// The non-synchronising literals accepted.
    pub non_sync: NonSyncLiterals,
    /// Nesting depth and list lengths.
    pub parse: ParseLimits,
}

impl Default for CommandLimits {
    fn default() -> CommandLimits {
        CommandLimits {
            max_line: 64 * 1024,
            max_command: 1024 * 1024,
            max_literal: 256 * 1024,
            max_append: 64 * 1024 * 1024,
            non_sync: NonSyncLiterals::Plus,
            parse: ParseLimits::default(),
        }
    }
}

/// Why a command was refused. The reader has already skipped it (its
/// lines and any literal the client sends without waiting), so the
/// connection goes on; the caller answers with a tagged BAD (or NO
/// \[TOOBIG\] for [`CommandError::AppendTooLarge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The command does not parse.
    #[error("syntax error: {0}")]
    Syntax(ParseError),
    /// A line is longer than [`CommandLimits::max_line`].
    #[error("line too long")]
    LineTooLong,
    /// The command is longer than [`CommandLimits::max_command`].
    #[error("command too long")]
    CommandTooLong,
    /// A literal is larger than allowed (or than LITERAL-'s 4096).
    #[error("literal too large ({0} octets)")]
    LiteralTooLarge(u64),
    /// A non-synchronising literal where none is advertised.
    #[error("non-synchronizing literal not allowed")]
    NonSyncRefused,
    /// An APPEND message larger than [`CommandLimits::max_append`].
    #[error("message too large ({0} octets)")]
    AppendTooLarge(u64),
}

/// An APPEND message about to arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// The command's tag.
    pub tag: Tag<'static>,
    /// The mailbox.
    pub mailbox: Mailbox<'static>,
    /// Which message of the command (0 first; more with MULTIAPPEND).
    pub index: usize,
    /// Its flags.
    pub flags: Vec<Flag<'static>>,
    /// Its internal date.
    pub date: Option<DateTime>,
    /// Its size in octets.
    pub size: u64,
    /// `literal8`: may hold NUL (BINARY).
    pub binary: bool,
    /// The client waits for a continuation request before sending it.
    pub sync: bool,
}

/// What the reader has for the server.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerEvent<'a> {
    /// A complete command (every command but an APPEND whose messages
    /// stream).
    Command(Command<'a>),
    /// The client waits to send a literal: send a continuation request
    /// (`+ ...`) now.
    Continue,
    /// An APPEND message follows. Call [`CommandReader::accept_append`]
    /// (and, when `sync`, send `+ ...`), or [`CommandReader::reject_append`]
    /// (and answer the tag with NO).
    AppendMessage(AppendMessage),
    /// The next bytes of the message being appended.
    AppendData(&'a [u8]),
    /// The APPEND command is complete: every message has arrived.
    AppendDone(Tag<'static>),
    /// A line asked for with [`CommandReader::expect_line`], without CRLF
    /// (an AUTHENTICATE response, IDLE's DONE).
    Line(&'a [u8]),
    /// A command was refused and skipped.
    Error {
        /// Its tag, if it had a valid one (else answer `* BAD`).
        tag: Option<Tag<'static>>,
        /// Why.
        error: CommandError,
    },
}

#[derive(Debug)]
enum State {
    /// Reading a command: `scanned` bytes of it are framed (whole lines
    /// and literals); `line_start` is where the current line begins.
    Command {
        scanned: usize,
        line_start: usize,
        continued: bool,
    },
    /// An APPEND message was announced; the caller decides.
    AppendDecision(Box<Pending>),
    /// Streaming a message: bytes of it still to come.
    AppendData { pending: Box<Pending>, left: u64 },
    /// After a message: CRLF ends the command, SP starts another message.
    AfterMessage(Box<Pending>),
    /// Skipping a refused command: a literal's bytes, then lines to the
    /// command's end.
    Skip { literal_left: u64 },
    /// The next line is raw.
    Line,
}

#[derive(Debug)]
struct Pending {
    message: AppendMessage,
}

/// The server side of the connection's input: feed it bytes, take events.
///
/// An APPEND whose message literal ends its first line streams: its
/// messages come as [`ServerEvent::AppendMessage`] and
/// [`ServerEvent::AppendData`], in constant memory, within
/// [`CommandLimits::max_append`]. An APPEND of a CATENATE message (RFC
/// 4469) or of a `UTF8 (~{n})` one (RFC 6855) is read whole, as a
/// [`ServerEvent::Command`], within [`CommandLimits::max_command`] and
/// [`CommandLimits::max_literal`]; a MULTIAPPEND that streams a message
/// and then has such a one is refused.
///
/// ```
/// use imap_proto::stream::server::{CommandReader, ServerEvent};
/// let mut reader = CommandReader::default();
/// reader.feed(b"a1 NOOP\r\na2 LOGIN {5}\r\n");
/// assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
/// // The client waits for "+" before sending the literal.
/// assert_eq!(reader.next(), Some(ServerEvent::Continue));
/// assert_eq!(reader.next(), None);
/// reader.feed(b"alice secret\r\n");
/// assert!(matches!(reader.next(), Some(ServerEvent::Command(_))));
/// ```
#[derive(Debug)]
pub struct CommandReader {
    buffer: BytesMut,
    /// Bytes of `buffer` that the last event borrowed, dropped at the next
    /// call (an event borrows the buffer, so it cannot be dropped before).
    consumed: usize,
    state: State,
    limits: CommandLimits,
}

impl Default for CommandReader {
    fn default() -> CommandReader {
        CommandReader::new(CommandLimits::default())
    }
}

impl CommandReader {
    /// A reader with these limits.
    pub fn new(limits: CommandLimits) -> CommandReader {
        CommandReader {
            buffer: BytesMut::new(),
            consumed: 0,
            state: State::Command {
                scanned: 0,
                line_start: 0,
                continued: false,
            },
            limits,
        }
    }

    /// Changes the limits (LITERAL+ once advertised, APPENDLIMIT after
    /// login); they apply from the next command.
    pub fn set_limits(&mut self, limits: CommandLimits) {
        self.limits = limits;
    }

    /// Bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.release();
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received and not yet turned into events (TLS and COMPRESS
    /// must start with none pending: a client that pipelines past STARTTLS
    /// is attempting an injection).
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.consumed
    }

    /// The next line is raw (a SASL response, IDLE's DONE): it comes as
    /// [`ServerEvent::Line`].
    pub fn expect_line(&mut self) {
        self.release();
        if matches!(self.state, State::Command { scanned: 0, .. }) {
            self.state = State::Line;
        }
    }

    /// Accepts the announced APPEND message: its bytes come next as
    /// [`ServerEvent::AppendData`].
    pub fn accept_append(&mut self) {
        if let State::AppendDecision(pending) = std::mem::replace(&mut self.state, State::Line) {
            let left = pending.message.size;
            self.state = if left == 0 {
                State::AfterMessage(pending)
            } else {
                State::AppendData { pending, left }
            };
        }
    }

    /// Refuses the announced APPEND message (the caller answers NO): the
    /// command is dropped, and its data skipped when the client sends it
    /// without waiting.
    pub fn reject_append(&mut self) {
        if let State::AppendDecision(pending) = &self.state {
            let message = &pending.message;
            self.state = if message.sync {
                // The client sends nothing more of this command.
                command_start()
            } else {
                State::Skip {
                    literal_left: message.size,
                }
            };
        }
    }

    /// The next event, or `None` until more bytes arrive (or until the
    /// caller decides on an APPEND message).
    // Not `Iterator::next`: an event borrows the reader's buffer.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<ServerEvent<'_>> {
        self.release();
        loop {
            match &mut self.state {
                State::Command { .. } => match self.frame_command()? {
                    Step::Again => continue,
                    Step::Event(event) => return Some(self.materialise(event)),
                },
                State::AppendDecision(_) => return None,
                State::AppendData { left, .. } => {
                    if self.buffer.is_empty() {
                        return None;
                    }
                    let n = (*left).min(self.buffer.len() as u64) as usize;
                    *left -= n as u64;
                    if *left == 0 {
                        let State::AppendData { pending, .. } =
                            std::mem::replace(&mut self.state, State::Line)
                        else {
                            unreachable!("matched above")
                        };
                        self.state = State::AfterMessage(pending);
                    }
                    self.consumed = n;
                    return Some(ServerEvent::AppendData(&self.buffer[..n]));
                }
                State::AfterMessage(_) => return self.after_message(),
                State::Skip { literal_left } => {
                    if *literal_left > 0 {
                        let n = (*literal_left).min(self.buffer.len() as u64);
                        *literal_left -= n;
                        self.buffer.advance(n as usize);
                        if *literal_left > 0 {
                            return None;
                        }
                    }
                    // The rest of the command's line, and of any further
                    // line reached through a non-synchronising literal.
                    let Some(end) = memchr::memchr(b'\n', &self.buffer).map(|i| i + 1) else {
                        // Bounded: keep only what may be the start of a
                        // literal's announcement at the line's end.
                        let keep = self.buffer.len().min(ANNOUNCEMENT_MAX);
                        self.buffer.advance(self.buffer.len() - keep);
                        return None;
                    };
                    // A literal sent without waiting (even an empty one)
                    // continues the command on the line after its data.
                    let next_literal = framing::announced(&self.buffer[..end]).filter(|a| !a.sync);
                    self.buffer.advance(end);
                    self.state = match next_literal {
                        Some(literal) => State::Skip {
                            literal_left: literal.size,
                        },
                        None => command_start(),
                    };
                }
                State::Line => {
                    let end = match memchr::memchr(b'\n', &self.buffer) {
                        Some(i) => i + 1,
                        None if self.buffer.len() > self.limits.max_line => {
                            self.state = State::Skip { literal_left: 0 };
                            return Some(ServerEvent::Error {
                                tag: None,
                                error: CommandError::LineTooLong,
                            });
                        }
                        None => return None,
                    };
                    self.state = command_start();
                    self.consumed = end;
                    let line = &self.buffer[..end - 1];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    return Some(ServerEvent::Line(line));
                }
            }
        }
    }

    /// Drops the bytes the last event borrowed.
    fn release(&mut self) {
        if self.consumed > 0 {
            self.buffer.advance(self.consumed);
            self.consumed = 0;
        }
    }

    /// Frames the command being read: finds its next line end, deals with
    /// a literal announced there, and once the command is whole, says so.
    fn frame_command(&mut self) -> Option<Step> {
        let State::Command {
            scanned,
            line_start,
            continued,
        } = &mut self.state
        else {
            unreachable!("called in State::Command")
        };
        let limits = self.limits;
        let Some(lf) = memchr::memchr(b'\n', &self.buffer[*scanned..]) else {
            if self.buffer.len() - *line_start > limits.max_line {
                return Some(self.refuse(self.buffer.len(), CommandError::LineTooLong, None));
            }
            *scanned = self.buffer.len();
            return None;
        };
        let end = *scanned + lf + 1;
        let announced = framing::announced(&self.buffer[*line_start..end]);
        // A refused line's literal is skipped too when the client sends it
        // without waiting, as when the line is refused before its end.
        if end - *line_start > limits.max_line {
            return Some(self.refuse(end, CommandError::LineTooLong, announced));
        }
        if end > limits.max_command {
            return Some(self.refuse(end, CommandError::CommandTooLong, announced));
        }
        let Some(literal) = announced else {
            return Some(Step::Event(Framed::Command(end)));
        };
        // An APPEND message streams instead of being buffered.
        if let Some((tag, mailbox, head)) = append::first_message(&self.buffer[..end], limits.parse)
        {
            return Some(self.announce_message(end, tag, mailbox, head, literal, 0));
        }
        if let Some(error) = literal_error(literal, limits.max_literal, limits.non_sync) {
            return Some(self.refuse(end, error, Some(literal)));
        }
        if literal.sync && !*continued {
            // What precedes the literal must already be a valid beginning
            // (RFC 9051 §7.5: BAD instead of "+" spares the client sending
            // the literal of a command that will fail anyway). Checked
            // before looking for the data, so that a client that sends it
            // without waiting meets the same answer.
            let error = match parse::command(&self.buffer[..end], limits.parse) {
                Err(ParseError::Incomplete(_)) => None,
                Err(error) => Some(error),
                Ok(_) => Some(ParseError::Invalid {
                    at: end,
                    expected: "the end of the command",
                }),
            };
            if let Some(error) = error {
                return Some(self.refuse(end, CommandError::Syntax(error), Some(literal)));
            }
        }
        let data_end = end as u64 + literal.size;
        if data_end > limits.max_command as u64 {
            return Some(self.refuse(end, CommandError::CommandTooLong, Some(literal)));
        }
        if self.buffer.len() as u64 >= data_end {
            *scanned = data_end as usize;
            *line_start = data_end as usize;
            *continued = false;
            return Some(Step::Again);
        }
        // Waiting for the literal's data: this line is framed again when
        // more bytes come (never scanned past: the data may hold LFs).
        *scanned = *line_start;
        if literal.sync && !*continued {
            let State::Command { continued, .. } = &mut self.state else {
                unreachable!("called in State::Command")
            };
            *continued = true;
            return Some(Step::Event(Framed::Continue));
        }
        None
    }

    /// After a message's data: the command's CRLF, or another message.
    fn after_message(&mut self) -> Option<ServerEvent<'_>> {
        let end = memchr::memchr(b'\n', &self.buffer).map(|i| i + 1);
        let Some(end) = end else {
            if self.buffer.len() > self.limits.max_line {
                return self.refuse_after_message(self.buffer.len(), CommandError::LineTooLong);
            }
            return None;
        };
        if end > self.limits.max_line {
            // As when the line is refused before its end arrives.
            return self.refuse_after_message(end, CommandError::LineTooLong);
        }
        let line = &self.buffer[..end];
        if line == b"\r\n" {
            let State::AfterMessage(pending) = std::mem::replace(&mut self.state, command_start())
            else {
                unreachable!("called in State::AfterMessage")
            };
            self.consumed = end;
            return Some(ServerEvent::AppendDone(pending.message.tag));
        }
        let literal = framing::announced(line);
        let head = literal.and_then(|_| append::next_message(line, self.limits.parse));
        let (Some(literal), Some(head)) = (literal, head) else {
            return self.refuse_after_message(
                end,
                CommandError::Syntax(ParseError::Invalid {
                    at: 0,
                    expected: "CRLF or another message",
                }),
            );
        };
        let State::AfterMessage(pending) = std::mem::replace(&mut self.state, command_start())
        else {
            unreachable!("called in State::AfterMessage")
        };
        let AppendMessage {
            tag,
            mailbox,
            index,
            ..
        } = pending.message;
        match self.announce_message(end, tag, mailbox, head, literal, index + 1) {
            Step::Event(event) => Some(self.materialise(event)),
            Step::Again => self.next(),
        }
    }

    fn refuse_after_message(&mut self, end: usize, error: CommandError) -> Option<ServerEvent<'_>> {
        let State::AfterMessage(pending) = std::mem::replace(&mut self.state, command_start())
        else {
            unreachable!("called in State::AfterMessage")
        };
        let tag = Some(pending.message.tag);
        let line = &self.buffer[..end];
        if line.ends_with(b"\n") {
            let literal = framing::announced(line).filter(|a| !a.sync);
            self.skip_to(end, literal);
        } else {
            self.skip_rest_of_line(end);
        }
        Some(ServerEvent::Error { tag, error })
    }

    /// An APPEND message announced by the line ending at `end`.
    fn announce_message(
        &mut self,
        end: usize,
        tag: Tag<'static>,
        mailbox: Mailbox<'static>,
        head: MessageHead,
        literal: Announced,
        index: usize,
    ) -> Step {
        let limits = self.limits;
        let error = if literal.size > limits.max_append {
            Some(CommandError::AppendTooLarge(literal.size))
        } else {
            // Only the form of the literal; its size is APPEND's own limit.
            literal_error(literal, u64::MAX, limits.non_sync)
        };
        if let Some(error) = error {
            self.skip_to(end, Some(literal).filter(|l| !l.sync));
            return Step::Event(Framed::Error {
                tag: Some(tag),
                error,
            });
        }
        self.buffer.advance(end);
        let message = AppendMessage {
            tag,
            mailbox,
            index,
            flags: head.flags,
            date: head.date,
            size: literal.size,
            binary: literal.binary,
            sync: literal.sync,
        };
        self.state = State::AppendDecision(Box::new(Pending {
            message: message.clone(),
        }));
        Step::Event(Framed::Append(message))
    }

    /// Refuses the command whose framed part ends at `end`: skips it, and
    /// the literal the client sends without waiting, if any.
    fn refuse(&mut self, end: usize, error: CommandError, literal: Option<Announced>) -> Step {
        let tag = framing::leading_tag(&self.buffer[..end]);
        let unsent = literal.filter(|l| l.sync);
        let line_ended = self.buffer[..end].ends_with(b"\n");
        if line_ended {
            self.skip_to(end, literal.filter(|_| unsent.is_none()));
        } else {
            self.skip_rest_of_line(end);
        }
        Step::Event(Framed::Error { tag, error })
    }

    /// Mid-line (too long): drops what came of the line and, later, the
    /// rest of it. The last bytes stay: they may be the start of a literal
    /// announcement that ends the line, whose data is skipped too.
    fn skip_rest_of_line(&mut self, end: usize) {
        self.buffer.advance(end - end.min(ANNOUNCEMENT_MAX));
        self.state = State::Skip { literal_left: 0 };
    }

    /// Drops the first `end` bytes; then `literal`'s data and the rest of
    /// the command, when the client sends them without waiting.
    fn skip_to(&mut self, end: usize, literal: Option<Announced>) {
        self.buffer.advance(end);
        self.state = match literal {
            Some(l) => State::Skip {
                literal_left: l.size,
            },
            None => command_start(),
        };
    }

    fn materialise(&mut self, framed: Framed) -> ServerEvent<'_> {
        match framed {
            Framed::Continue => ServerEvent::Continue,
            Framed::Append(message) => ServerEvent::AppendMessage(message),
            Framed::Error { tag, error } => ServerEvent::Error { tag, error },
            Framed::Command(end) => {
                self.state = command_start();
                self.consumed = end;
                match parse::command(&self.buffer[..end], self.limits.parse) {
                    Ok((command, used)) if used == end => ServerEvent::Command(command),
                    Ok(_) => ServerEvent::Error {
                        tag: framing::leading_tag(&self.buffer[..end]),
                        error: CommandError::Syntax(ParseError::Invalid {
                            at: end,
                            expected: "the end of the command",
                        }),
                    },
                    Err(error) => ServerEvent::Error {
                        tag: framing::leading_tag(&self.buffer[..end]),
                        error: CommandError::Syntax(match error {
                            // The whole command is there: "more input"
                            // means the grammar wanted something else.
                            ParseError::Incomplete(_) => ParseError::Invalid {
                                at: end,
                                expected: "a complete command",
                            },
                            other => other,
                        }),
                    },
                }
            }
        }
    }
}

/// What framing found, before it borrows the buffer.
enum Framed {
    Command(usize),
    Continue,
    Append(AppendMessage),
    Error {
        tag: Option<Tag<'static>>,
        error: CommandError,
    },
}

enum Step {
    Again,
    Event(Framed),
}

fn command_start() -> State {
    State::Command {
        scanned: 0,
        line_start: 0,
        continued: false,
    }
}

/// Whether a literal inside a command is refused, by size or by form.
fn literal_error(literal: Announced, max: u64, non_sync: NonSyncLiterals) -> Option<CommandError> {
    if literal.size > max {
        return Some(CommandError::LiteralTooLarge(literal.size));
    }
    if literal.sync {
        return None;
    }
    match non_sync {
        NonSyncLiterals::Plus => None,
        NonSyncLiterals::Minus if literal.size <= LITERAL_MINUS_MAX => None,
        NonSyncLiterals::Minus => Some(CommandError::LiteralTooLarge(literal.size)),
        NonSyncLiterals::Refused => Some(CommandError::NonSyncRefused),
    }
}
