//! A streaming parser for server replies, for SMTP clients.
//!
//! Bytes go in as they arrive; a [`Reply`] comes out when the last line of a
//! reply has arrived. Limits on line length and line count are enforced as
//! bytes arrive, so a hostile server cannot make the client buffer more than
//! `max_line_len * max_lines` bytes.

use crate::line::{LineEvent, LineReader};
use crate::reply::{EnhancedCode, Reply};

/// Why a reply was rejected.
///
/// Reply text that is not UTF-8 is not an error: it is decoded lossily
/// (invalid bytes become U+FFFD). The text is for people and logs, while
/// the codes a client acts on are ASCII and checked strictly; failing on a
/// stray Latin-1 byte in a greeting would cut off servers that work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line does not start with a reply code of three digits, the first
    /// 2–5, followed by `-`, a space or the end of the line.
    #[error("malformed reply code")]
    MalformedCode,
    /// A line of a multi-line reply has a different code than its first line.
    #[error("reply line with code {found} in a reply with code {expected}")]
    CodeMismatch {
        /// The code of the reply's first line.
        expected: u16,
        /// The code of the offending line.
        found: u16,
    },
    /// A line is longer than the parser's `max_line_len`.
    #[error("reply line too long")]
    LineTooLong,
    /// A reply has more lines than the parser's `max_lines`.
    #[error("too many lines in reply")]
    TooManyLines,
}

/// Collects the lines of server replies (RFC 5321 §4.2) from a byte stream.
///
/// Lines end in CRLF; a bare LF is tolerated. An enhanced status code
/// (RFC 2034, RFC 3463) is recognised only when every line of the reply
/// starts with the same valid `X.Y.Z` whose class is the reply code's first
/// digit, followed by a space or the end of the line; it is then stripped
/// from the text. Otherwise [`Reply::enhanced`] is `None` and the text is
/// kept whole, so no code a server sent is lost.
///
/// # Errors and recovery
///
/// An error is reported for a line at the front of `buf`, and nothing is
/// consumed by that call. The parser drops the partial reply and, on the
/// following calls, skips the rest of the broken reply: the offending line
/// and, if it is a continuation line (`-` after the code), the lines up to
/// and including the next line that is not. Feeding the same bytes again
/// therefore resumes with the next reply. Whether a client should go on
/// after a broken reply is its own decision; closing the connection is
/// always safe.
///
/// ```
/// use smtp_proto::ReplyParser;
/// let mut parser = ReplyParser::new(512, 100);
/// let mut buf: &[u8] = b"250-mail.example.com\r\n250 SIZE 1000\r\n354 Go ahead\r\n";
/// let (consumed, reply) = parser.feed(buf).unwrap();
/// let reply = reply.unwrap();
/// assert_eq!(reply.code(), 250);
/// assert_eq!(reply.lines(), ["mail.example.com", "SIZE 1000"]);
/// buf = &buf[consumed..];
/// let (_, reply) = parser.feed(buf).unwrap();
/// assert_eq!(reply.unwrap().code(), 354);
/// ```
#[derive(Debug, Clone)]
pub struct ReplyParser {
    reader: LineReader,
    max_lines: usize,
    /// The code of the reply in progress; meaningful only while `lines` is
    /// not empty.
    code: u16,
    /// The raw text (after the code and separator) of the lines so far;
    /// decoding waits for the end because the enhanced code must be found
    /// on every line before it may be stripped from any.
    lines: Vec<Vec<u8>>,
    /// Set after an error: the rest of the broken reply is being dropped.
    skipping: bool,
    /// While skipping an over-long line: whether it was a continuation line.
    long_line_continues: bool,
}

impl ReplyParser {
    /// Lines may be at most `max_line_len` bytes long, CRLF included
    /// (RFC 5321 §4.5.3.1.5 guarantees 512; at least 4, the shortest line
    /// being `250` LF); a reply may have at most `max_lines` lines (at
    /// least 1).
    pub fn new(max_line_len: usize, max_lines: usize) -> Self {
        Self {
            // Four bytes also let the start of an over-long line show
            // whether it continues its reply, whatever the chunking.
            reader: LineReader::new(max_line_len.max(4)),
            max_lines: max_lines.max(1),
            code: 0,
            lines: Vec::new(),
            skipping: false,
            long_line_continues: false,
        }
    }

    /// Forgets the reply in progress and any error recovery, as for a new
    /// stream (after STARTTLS, or on a new connection). It does not skip a
    /// broken reply: feeding the bytes that caused an error again after a
    /// reset reports the same error.
    pub fn reset(&mut self) {
        self.reader = LineReader::new(self.reader.max_len());
        self.code = 0;
        self.lines.clear();
        self.skipping = false;
        self.long_line_continues = false;
    }

    /// Whether part of a reply has been read (the caller should not expect
    /// the server to be idle).
    pub fn is_in_reply(&self) -> bool {
        !self.lines.is_empty()
    }

    /// Consumes complete lines from the front of `buf`.
    ///
    /// Returns how many bytes were consumed (the caller drops them and calls
    /// again with the rest and with whatever arrives next) and the reply
    /// whose last line was among them. At most one reply is returned per
    /// call, so call again while bytes are left: `Ok((0, None))` means `buf`
    /// holds no complete line and more input is needed. Lines of an
    /// unfinished reply are kept inside the parser between calls.
    ///
    /// # Errors
    ///
    /// A [`ReplyError`] for the line at the front of `buf`; nothing was
    /// consumed, and the next calls skip the broken reply (see the type's
    /// documentation).
    pub fn feed(&mut self, buf: &[u8]) -> Result<(usize, Option<Reply>), ReplyError> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            // An over-long line's reader reports empty input as an empty
            // piece to drop, which would spin forever.
            if rest.is_empty() {
                return Ok((pos, None));
            }
            let was_discarding = self.reader.is_discarding();
            let event = self.reader.next_line(rest);
            match event {
                LineEvent::NeedMore => return Ok((pos, None)),
                LineEvent::Discard { consumed } | LineEvent::TooLong { consumed } => {
                    if !was_discarding {
                        // The start of an over-long line.
                        if !self.skipping {
                            // The reader's state is rebuilt so that the next
                            // call sees this line anew and reports it.
                            self.reader = LineReader::new(self.reader.max_len());
                            return self.fail(pos, ReplyError::LineTooLong);
                        }
                        self.long_line_continues = is_continuation(rest);
                    }
                    pos += consumed;
                    if matches!(event, LineEvent::TooLong { .. }) {
                        self.skipping = self.long_line_continues;
                    }
                }
                LineEvent::Line {
                    content_len,
                    consumed,
                } => {
                    let line = &rest[..content_len];
                    if self.skipping {
                        self.skipping = is_continuation(line);
                        pos += consumed;
                        continue;
                    }
                    match self.push_line(line) {
                        Ok(reply) => {
                            pos += consumed;
                            if reply.is_some() {
                                return Ok((pos, reply));
                            }
                        }
                        Err(error) => return self.fail(pos, error),
                    }
                }
            }
        }
    }

    /// Reports `error` for the line at `buf[pos..]`: first the lines before
    /// it as consumed, so that the caller knows where the error is, then on
    /// the next call (where it is at the front) the error itself.
    fn fail(
        &mut self,
        pos: usize,
        error: ReplyError,
    ) -> Result<(usize, Option<Reply>), ReplyError> {
        if pos > 0 {
            return Ok((pos, None));
        }
        self.lines.clear();
        self.skipping = true;
        Err(error)
    }

    /// Adds one line (without its terminator); returns the reply if it was
    /// the last. On error, the state is unchanged.
    fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let (code, last, text) = split_line(line)?;
        if !self.lines.is_empty() && code != self.code {
            return Err(ReplyError::CodeMismatch {
                expected: self.code,
                found: code,
            });
        }
        // A continuation line that fills the limit means the reply cannot
        // end within it; saying so now spares buffering the rest.
        if self.lines.len() + 1 >= self.max_lines && !last {
            return Err(ReplyError::TooManyLines);
        }
        self.code = code;
        self.lines.push(text.to_vec());
        if !last {
            return Ok(None);
        }
        Ok(Some(self.finish()))
    }

    fn finish(&mut self) -> Reply {
        // Reply text never holds CR (Reply turns it into a space): do that
        // first, so the enhanced code is found where re-encoding puts it.
        let mut lines = std::mem::take(&mut self.lines);
        for line in &mut lines {
            for byte in line.iter_mut().filter(|byte| **byte == b'\r') {
                *byte = b' ';
            }
        }
        let class = (self.code / 100) as u8;
        let first = lines.first().and_then(|line| enhanced_prefix(line, class));
        let enhanced = first.filter(|&(code, _)| {
            lines
                .iter()
                .all(|line| enhanced_prefix(line, class).is_some_and(|(other, _)| other == code))
        });
        let texts = lines.iter().map(|line| {
            let text = match enhanced {
                Some(_) => enhanced_prefix(line, class).map_or(&line[..], |(_, text)| text),
                None => line,
            };
            String::from_utf8_lossy(text).into_owned()
        });
        Reply::with_lines(self.code, enhanced.map(|(code, _)| code), texts)
    }
}

/// Splits a line into its code, whether it is the last line of its reply,
/// and its text.
fn split_line(line: &[u8]) -> Result<(u16, bool, &[u8]), ReplyError> {
    let (code, rest) = match line {
        [a @ b'2'..=b'5', b, c, rest @ ..] if b.is_ascii_digit() && c.is_ascii_digit() => {
            let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            (code, rest)
        }
        _ => return Err(ReplyError::MalformedCode),
    };
    match rest {
        [] => Ok((code, true, rest)),
        [b' ', text @ ..] => Ok((code, true, text)),
        [b'-', text @ ..] => Ok((code, false, text)),
        _ => Err(ReplyError::MalformedCode),
    }
}

/// Whether a line, well-formed or not, announces that its reply goes on;
/// used to find the end of a broken reply.
fn is_continuation(line: &[u8]) -> bool {
    line.get(3) == Some(&b'-')
}

/// The enhanced code at the start of `text` if its class is `class`, and
/// the text after it and its space.
fn enhanced_prefix(text: &[u8], class: u8) -> Option<(EnhancedCode, &[u8])> {
    let end = memchr::memchr(b' ', text).unwrap_or(text.len());
    let code = EnhancedCode::parse(std::str::from_utf8(&text[..end]).ok()?)?;
    let after = text.get(end + 1..).unwrap_or_default();
    (code.class == class).then_some((code, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_no_more_than_the_limits_allow() {
        let (max_line_len, max_lines) = (40, 5);
        let mut parser = ReplyParser::new(max_line_len, max_lines);
        let line = format!("250-{}\r\n", "x".repeat(max_line_len - 6));
        for _ in 0..100 {
            let _ = parser.feed(line.as_bytes());
            let held: usize = parser.lines.iter().map(Vec::len).sum();
            assert!(held < max_line_len * max_lines);
        }
    }
}
