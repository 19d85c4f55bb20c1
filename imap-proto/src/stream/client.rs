//! The client's response reader: bytes in as they arrive from the
//! server, responses out, with limits enforced as the bytes come.
//!
//! The reader frames a response before parsing it, so that each
//! response is parsed once, when all of it is there: in untagged data a
//! line that ends with `{n}` or `~{n}` always announces a literal (no
//! other production of data can end a line with `}`), so the reader
//! waits for the literal's `n` octets and then for the next line. Status
//! responses and continuation requests end at their first line, whatever
//! their text holds (`* OK see {5}` announces nothing); a literal inside
//! a status response's code, which the grammar allows and no server
//! sends, is found by the parser and waited for too.

use bytes::{Buf, BytesMut};
use thiserror::Error;

use crate::parse::{self, Needed, ParseError, ParseLimits};
use crate::types::response::Response;

/// The limits of a [`ResponseReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// The longest line (from the start of the response or the end of a
    /// literal to LF), CRLF included.
    pub max_line: usize,
    /// The largest literal.
    pub max_literal: u64,
    /// The longest response, literals included.
    pub max_response: u64,
    /// Nesting and list lengths, for the parser.
    pub parse: ParseLimits,
}

impl Default for ResponseLimits {
    /// Generous for real servers (a SEARCH of a large mailbox is a long
    /// line; a message is a large literal), yet bounded.
    fn default() -> ResponseLimits {
        ResponseLimits {
            max_line: 1 << 20,
            max_literal: 64 << 20,
            max_response: 128 << 20,
            parse: ParseLimits::default(),
        }
    }
}

/// Why the reader refused a response. The reader skips the rest of that
/// response (without buffering it) and goes on with the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReadError {
    /// A line longer than [`ResponseLimits::max_line`].
    #[error("a response line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A literal larger than [`ResponseLimits::max_literal`].
    #[error("a literal of {size} bytes, over the limit")]
    LiteralTooLarge {
        /// Its announced size.
        size: u64,
    },
    /// A response longer than [`ResponseLimits::max_response`].
    #[error("a response longer than {limit} bytes")]
    ResponseTooLarge {
        /// The limit.
        limit: u64,
    },
    /// A complete response that does not parse.
    #[error("malformed response: {0}")]
    Parse(#[from] ParseError),
}

/// How the current response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Untagged data: lines ending in a literal announcement continue.
    Data,
    /// A status response or continuation request: one line.
    Line,
}

/// Discarding the rest of a refused response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    Off,
    /// To the end of the current line.
    Line,
    /// This many octets of a literal, then the line after it.
    Literal(u64),
}

/// How many trailing bytes of a line being skipped are kept to see
/// whether it announces a literal: `~{` 19 digits `}` CRLF fits.
const ANNOUNCEMENT_MAX: usize = 32;

/// Reads responses from the bytes a server sends.
///
/// Feed it what arrives with [`ResponseReader::feed`], then call
/// [`ResponseReader::next`] until it returns `Ok(None)`. A response
/// borrows from the reader until the next call; [`ResponseReader::next_owned`]
/// gives one that does not.
///
/// ```
/// use imap_proto::stream::client::{ResponseLimits, ResponseReader};
/// use imap_proto::types::response::{Data, FetchItem, Response};
///
/// let mut reader = ResponseReader::new(ResponseLimits::default());
/// reader.feed(b"* 1 FETCH (BODY[] {5}\r\nhel");
/// assert_eq!(reader.next().unwrap(), None);
/// reader.feed(b"lo)\r\nA1 OK done\r\n");
/// match reader.next().unwrap() {
///     Some(Response::Data(Data::Fetch { items, .. })) => {
///         assert!(matches!(&items[0], FetchItem::BodySection { data: Some(d), .. }
///             if d.as_bytes() == b"hello"));
///     }
///     other => panic!("{other:?}"),
/// }
/// assert!(matches!(reader.next().unwrap(), Some(Response::Status(_))));
/// assert_eq!(reader.next().unwrap(), None);
/// ```
#[derive(Debug)]
pub struct ResponseReader {
    buf: BytesMut,
    /// Everything but the buffer, apart so that a response borrowed from
    /// the buffer can be returned while this state changes.
    state: State,
}

#[derive(Debug)]
struct State {
    limits: ResponseLimits,
    /// The bytes of the response last returned (or refused), dropped at
    /// the next call: the response borrows them until then.
    consumed: usize,
    /// How far the current line has been searched for LF.
    scanned: usize,
    /// Where the current line starts.
    line_start: usize,
    /// Where the literal being waited for ends.
    literal_end: Option<usize>,
    /// The current response's kind, once its first line is there.
    kind: Option<Kind>,
    skip: Skip,
}

impl ResponseReader {
    /// A reader with these limits.
    pub fn new(limits: ResponseLimits) -> ResponseReader {
        ResponseReader {
            buf: BytesMut::new(),
            state: State {
                limits,
                consumed: 0,
                scanned: 0,
                line_start: 0,
                literal_end: None,
                kind: None,
                skip: Skip::Off,
            },
        }
    }

    /// Bytes from the server. Bytes of a response being skipped are
    /// dropped at once.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.discard();
        if self.state.skip == Skip::Off {
            self.buf.extend_from_slice(bytes);
            return;
        }
        // Skipping a literal: most of it need not be copied at all.
        let mut bytes = bytes;
        if let Skip::Literal(n) = self.state.skip {
            let k = usize::try_from(n).unwrap_or(usize::MAX).min(bytes.len());
            bytes = &bytes[k..];
            self.state.skip = if n == k as u64 {
                Skip::Line
            } else {
                Skip::Literal(n - k as u64)
            };
        }
        self.buf.extend_from_slice(bytes);
        self.discard();
    }

    /// How many bytes are buffered (for tests and metrics).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.state.consumed
    }

    /// The next complete response, `Ok(None)` when more bytes are needed.
    /// After an error the reader goes on with the next response.
    // Not `Iterator::next`: the response borrows the reader (a lending
    // iterator, which the trait cannot express).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Response<'_>>, ReadError> {
        self.discard();
        if self.state.skip != Skip::Off {
            return Ok(None);
        }
        // Only `self.buf` is borrowed by what this returns; the rest of
        // the state changes through its own fields, and changes to the
        // buffer wait for the next call (`consumed`, `skip`).
        loop {
            if let Some(end) = self.state.literal_end {
                if self.buf.len() < end {
                    return Ok(None);
                }
                self.state.literal_end = None;
                self.state.line_start = end;
                self.state.scanned = end;
            }
            let Some(i) = memchr::memchr(b'\n', &self.buf[self.state.scanned..]) else {
                self.state.scanned = self.buf.len();
                let line = self.buf.len() - self.state.line_start;
                if line > self.state.limits.max_line {
                    self.state.refuse_open(Skip::Line);
                    return Err(ReadError::LineTooLong {
                        limit: self.state.limits.max_line,
                    });
                }
                if self.buf.len() as u64 > self.state.limits.max_response {
                    self.state.refuse_open(Skip::Line);
                    return Err(ReadError::ResponseTooLarge {
                        limit: self.state.limits.max_response,
                    });
                }
                return Ok(None);
            };
            let end = self.state.scanned + i + 1;
            self.state.scanned = end;
            let kind = *self
                .state
                .kind
                .get_or_insert_with(|| kind(&self.buf[..end]));
            let announced = match kind {
                Kind::Data => announced(&self.buf[self.state.line_start..end]),
                Kind::Line => None,
            };
            if end - self.state.line_start > self.state.limits.max_line {
                self.state.refuse_at(end, announced);
                return Err(ReadError::LineTooLong {
                    limit: self.state.limits.max_line,
                });
            }
            if end as u64 > self.state.limits.max_response {
                self.state.refuse_at(end, announced);
                return Err(ReadError::ResponseTooLarge {
                    limit: self.state.limits.max_response,
                });
            }
            if let Some(size) = announced {
                self.state.literal(end, size)?;
                continue;
            }
            match parse::response(&self.buf[..end], self.state.limits.parse) {
                Ok((response, n)) => {
                    self.state.consumed = n;
                    self.state.reset();
                    return Ok(Some(response));
                }
                Err(ParseError::Incomplete(Needed::Literal { at, size, .. })) if at == end => {
                    self.state.literal(end, size)?;
                }
                Err(ParseError::Incomplete(_)) => {
                    // A complete line that the grammar wants continued:
                    // malformed (no production spans lines but literals).
                    self.state.consumed = end;
                    self.state.reset();
                    return Err(ReadError::Parse(ParseError::Invalid {
                        at: end,
                        expected: "a complete response",
                    }));
                }
                Err(e) => {
                    self.state.consumed = end;
                    self.state.reset();
                    return Err(ReadError::Parse(e));
                }
            }
        }
    }

    /// Like [`ResponseReader::next`], the response owning its data.
    pub fn next_owned(&mut self) -> Result<Option<Response<'static>>, ReadError> {
        Ok(self.next()?.map(Response::into_owned))
    }

    /// Drops the bytes of the last response and of one being skipped.
    fn discard(&mut self) {
        self.buf.advance(std::mem::take(&mut self.state.consumed));
        loop {
            match self.state.skip {
                Skip::Off => return,
                Skip::Literal(n) => {
                    let k = usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len());
                    self.buf.advance(k);
                    if n > k as u64 {
                        self.state.skip = Skip::Literal(n - k as u64);
                        return;
                    }
                    self.state.skip = Skip::Line;
                }
                Skip::Line => match memchr::memchr(b'\n', &self.buf) {
                    Some(i) => {
                        let next = match self.state.kind {
                            Some(Kind::Line) => None,
                            _ => announced(&self.buf[..i + 1]),
                        };
                        self.buf.advance(i + 1);
                        match next {
                            Some(n) => self.state.skip = Skip::Literal(n),
                            None => {
                                self.state.skip = Skip::Off;
                                self.state.kind = None;
                            }
                        }
                    }
                    None => {
                        let drop = self.buf.len().saturating_sub(ANNOUNCEMENT_MAX);
                        self.buf.advance(drop);
                        return;
                    }
                },
            }
        }
    }
}

impl State {
    /// A literal of `size` octets announced by the line ending at `end`.
    fn literal(&mut self, end: usize, size: u64) -> Result<(), ReadError> {
        if size > self.limits.max_literal {
            self.refuse_at(end, Some(size));
            return Err(ReadError::LiteralTooLarge { size });
        }
        if end as u64 + size > self.limits.max_response {
            self.refuse_at(end, Some(size));
            return Err(ReadError::ResponseTooLarge {
                limit: self.limits.max_response,
            });
        }
        // `size` fits: it is within `max_response`, a usize.
        self.literal_end = Some(end + size as usize);
        Ok(())
    }

    /// Refuses the current response at a line end: drops what came so
    /// far, then skips the announced literal (and what follows it) or
    /// nothing, if the response ended there.
    fn refuse_at(&mut self, end: usize, announced: Option<u64>) {
        self.consumed = end;
        self.skip = announced.map_or(Skip::Off, Skip::Literal);
        self.reset_frame();
        if announced.is_none() {
            self.kind = None;
        }
    }

    /// Refuses the current response in the middle of a line.
    fn refuse_open(&mut self, skip: Skip) {
        // What precedes the line (earlier lines, whole literals) goes at
        // once; the line itself is skipped as it arrives.
        self.consumed = self.line_start;
        self.skip = skip;
        self.reset_frame();
    }

    fn reset(&mut self) {
        self.reset_frame();
        self.kind = None;
    }

    fn reset_frame(&mut self) {
        self.scanned = 0;
        self.line_start = 0;
        self.literal_end = None;
    }
}

/// The kind of the response whose first line (or its start) is `line`.
fn kind(line: &[u8]) -> Kind {
    let Some(rest) = line.strip_prefix(b"* ") else {
        // A continuation request or a tagged status response.
        return Kind::Line;
    };
    let word_len = rest
        .iter()
        .position(|&b| !b.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..word_len];
    let status = ["OK", "NO", "BAD", "PREAUTH", "BYE"]
        .iter()
        .any(|s| s.as_bytes().eq_ignore_ascii_case(word));
    if status { Kind::Line } else { Kind::Data }
}

/// The size of the literal `line` (ending with LF) announces: `{n}` or
/// `~{n}` then CRLF. A size beyond 63 bits announces nothing (the parser
/// then refuses the line).
fn announced(line: &[u8]) -> Option<u64> {
    let body = line.strip_suffix(b"}\r\n")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = &body[open + 1..];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    (n <= i64::MAX as u64).then_some(n)
}
