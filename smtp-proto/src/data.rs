//! The server side of DATA (RFC 5321 §4.1.4, §4.5.2): a streaming decoder
//! that removes dot-stuffing and finds the end of the message.
//!
//! Bytes can arrive split at any point; the decoder keeps the little state
//! it needs (inside a line, after a CR, a dot at the start of a line, ...)
//! between calls, so the caller never has to buffer a line.
//!
//! # End of data and SMTP smuggling
//!
//! The data ends only at `CRLF . CRLF`: a line that is exactly `.`, started
//! by a real CRLF (or by the start of the data) and ended by a real CRLF. A
//! bare LF (not after a CR) or a bare CR (not before an LF) is never a line
//! end here, neither for the end of data nor for dot-unstuffing. SMTP
//! smuggling (SEC Consult, 2023) works because two servers on a relay path
//! disagree on this: if we accepted `LF . LF` as an end while the next hop
//! did not (or the other way round), a sender could hide a second message
//! with a forged envelope inside the first. Recognising only the one form
//! every compliant client sends leaves nothing to disagree about.
//!
//! Bare CR and LF are forbidden in SMTP (RFC 5321 §2.3.8), and a message
//! containing them is still dangerous after it has been accepted: a relay
//! that passes it on unchanged hands the ambiguity to the next server. So
//! [`LineEndingPolicy`] decides what happens to them:
//!
//! - [`Reject`](LineEndingPolicy::Reject) (the default, like Postfix's
//!   `smtpd_forbid_bare_newline`): the first bare CR or LF stops the output,
//!   but the decoder keeps reading to the real end of data, so the session
//!   can answer 5xx and the connection stays in step and usable.
//! - [`Normalize`](LineEndingPolicy::Normalize): for old clients that send
//!   LF-only mail. Each bare CR or LF is written as CRLF, so the stored
//!   content is canonical and a relay that dot-stuffs it is safe. It is still
//!   not a line end for the end of data or for unstuffing: `LF . CRLF` adds
//!   the line `.` to the content instead of ending it.
//!
//! # Limits
//!
//! Once the content passes `max_size` the decoder stops writing (it keeps
//! counting and looking for the end), so `out` never holds more than
//! `max_size` bytes of one message. Under `Reject` a call never writes more
//! bytes than it consumes. Under `Normalize` a bare CR or LF is written as
//! two bytes, so a call writes at most twice what it consumes, plus two (a
//! CR held back by the previous call).
//!
//! ```
//! use bytes::BytesMut;
//! use smtp_proto::{DataDecoder, DataEvent, LineEndingPolicy};
//!
//! let mut decoder = DataDecoder::new(1 << 20, LineEndingPolicy::Reject);
//! let mut out = BytesMut::new();
//! let input = b"Subject: hi\r\n\r\n..dots\r\n.\r\nQUIT\r\n";
//! let (consumed, event) = decoder.decode(input, &mut out);
//! assert_eq!(event, DataEvent::End);
//! assert_eq!(&input[consumed..], b"QUIT\r\n");
//! assert_eq!(&out[..], b"Subject: hi\r\n\r\n.dots\r\n");
//! assert!(!decoder.rejected());
//! ```

use bytes::BytesMut;
use memchr::memchr2;
use wire::plain_text::plain_text;

/// What the decoder does with a bare CR or bare LF in the content.
///
/// Neither choice lets a bare CR or LF end the data; see the
/// [module documentation](self) for why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineEndingPolicy {
    /// Stop writing content at the first bare CR or LF and report the
    /// message as [rejected](DataDecoder::rejected).
    #[default]
    Reject,
    /// Write each bare CR or LF as CRLF.
    Normalize,
}

/// The result of one [`DataDecoder::decode`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataEvent {
    /// All input was consumed and the data has not ended; call again with
    /// more input.
    NeedMore,
    /// The data ended; the bytes consumed include the final `.` CRLF and
    /// nothing after it.
    End,
}

/// Where the decoder is in the line structure between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line: after a real CRLF or the start of data.
    LineStart,
    /// After a `.` at the start of a line (the dot is already dropped).
    Dot,
    /// After `.` CR at the start of a line; the CR is held back because it
    /// is part of the terminator if an LF follows.
    DotCr,
    /// Inside a line.
    Text,
    /// Inside a line, after a CR that ended the previous input (and has
    /// been written).
    Cr,
    /// The data has ended.
    Done,
}

/// Streaming decoder for the content of one DATA command.
///
/// Make one per message, right after sending the 354 reply.
#[derive(Debug, Clone)]
pub struct DataDecoder {
    max_size: u64,
    policy: LineEndingPolicy,
    state: State,
    size: u64,
    bare: bool,
    // Cached `!rejected()`, checked for every write.
    writing: bool,
}

impl DataDecoder {
    /// Creates a decoder that writes at most `max_size` content bytes.
    pub fn new(max_size: u64, policy: LineEndingPolicy) -> Self {
        Self {
            max_size,
            policy,
            state: State::LineStart,
            size: 0,
            bare: false,
            writing: true,
        }
    }

    /// Decodes from the front of `input`, appending message content to
    /// `out`; returns bytes consumed and whether the end of data was reached
    /// (then `consumed` includes the terminating ".\r\n" and nothing after
    /// it).
    ///
    /// With [`DataEvent::NeedMore`] all of `input` was consumed. After the
    /// end, further calls consume nothing and return [`DataEvent::End`].
    pub fn decode(&mut self, input: &[u8], out: &mut BytesMut) -> (usize, DataEvent) {
        let mut state = self.state;
        let mut pos = 0;
        // input[run..pos] is content not yet written: copying whole runs
        // at once, rather than line by line, is what makes this fast.
        let mut run = 0;
        // Input before this is known not to be plain CRLF text, so the fast
        // path does not scan it again.
        let mut slow_until = 0;
        let event = loop {
            match state {
                State::Text => {
                    if pos >= slow_until && pos < input.len() {
                        match plain_text(input, pos) {
                            Ok(end) if end > pos => {
                                pos = end;
                                if input[end - 1] == b'\n' {
                                    state = State::LineStart;
                                }
                                continue;
                            }
                            Ok(_) => {}
                            Err(end) => slow_until = end,
                        }
                    }
                    let Some(found) = memchr2(b'\r', b'\n', &input[pos..]) else {
                        pos = input.len();
                        break DataEvent::NeedMore;
                    };
                    let at = pos + found;
                    pos = at + 1;
                    match (input[at], input.get(pos)) {
                        (b'\r', Some(b'\n')) => {
                            pos += 1;
                            state = State::LineStart;
                        }
                        // Written now, so that a call never writes more than
                        // it consumes; the next call decides what it was.
                        (b'\r', None) => state = State::Cr,
                        (bare, _) => {
                            self.write(out, &input[run..at]);
                            run = pos;
                            self.write_bare(out, &[bare], b"\r\n");
                        }
                    }
                }
                State::LineStart => match input.get(pos) {
                    None => break DataEvent::NeedMore,
                    Some(b'.') => {
                        self.write(out, &input[run..pos]);
                        pos += 1;
                        run = pos;
                        state = State::Dot;
                    }
                    Some(_) => state = State::Text,
                },
                State::Dot => match input.get(pos) {
                    None => break DataEvent::NeedMore,
                    Some(b'\r') => {
                        pos += 1;
                        run = pos;
                        state = State::DotCr;
                    }
                    Some(_) => state = State::Text,
                },
                // `run == pos`: the held-back CR goes out before anything
                // that follows it.
                State::DotCr => match input.get(pos) {
                    None => break DataEvent::NeedMore,
                    Some(b'\n') => {
                        pos += 1;
                        run = pos;
                        state = State::Done;
                    }
                    Some(_) => {
                        self.write_bare(out, b"\r", b"\r\n");
                        state = State::Text;
                    }
                },
                State::Cr => match input.get(pos) {
                    None => break DataEvent::NeedMore,
                    Some(b'\n') => {
                        pos += 1;
                        state = State::LineStart;
                    }
                    Some(_) => {
                        self.write_bare(out, b"", b"\n");
                        state = State::Text;
                    }
                },
                State::Done => break DataEvent::End,
            }
        };
        self.write(out, &input[run..pos]);
        self.state = state;
        (pos, event)
    }

    /// Records a bare CR or LF, of which `raw` is not yet written: under
    /// `Normalize` writes `fixed` (what makes it CRLF) instead, under
    /// `Reject` writes `raw` and stops writing.
    fn write_bare(&mut self, out: &mut BytesMut, raw: &[u8], fixed: &[u8]) {
        self.bare = true;
        match self.policy {
            LineEndingPolicy::Normalize => self.write(out, fixed),
            LineEndingPolicy::Reject => {
                self.write(out, raw);
                self.writing = false;
            }
        }
    }

    /// Counts `content` and appends what fits under the limit.
    fn write(&mut self, out: &mut BytesMut, content: &[u8]) {
        let before = self.size;
        self.size = before.saturating_add(content.len() as u64);
        if !self.writing {
            return;
        }
        let room = self.max_size.saturating_sub(before);
        match usize::try_from(room) {
            Ok(room) if room < content.len() => {
                out.extend_from_slice(&content[..room]);
                self.writing = false;
            }
            _ => out.extend_from_slice(content),
        }
    }

    /// Content octets seen so far, after unstuffing, including ones dropped
    /// past the limit or after a rejected line ending.
    ///
    /// Under `Normalize` a bare CR or LF counts as the two octets it is
    /// written as.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the content is larger than `max_size`.
    pub fn exceeded(&self) -> bool {
        self.size > self.max_size
    }

    /// Whether a bare CR or bare LF was seen.
    pub fn bare_line_ending(&self) -> bool {
        self.bare
    }

    /// Whether the message must be refused: it is too large, or it has a
    /// bare CR or LF under [`LineEndingPolicy::Reject`].
    pub fn rejected(&self) -> bool {
        self.exceeded() || (self.policy == LineEndingPolicy::Reject && self.bare)
    }
}
