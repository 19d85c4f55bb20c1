//! TOP (RFC 1939 §7): the header, the blank line after it, then at most
//! `n` lines of the body.
//!
//! [`TopFilter`] cuts message content as it streams, before
//! [`DotStuffer`](crate::DotStuffer): each piece goes in, the part to send comes
//! out, and [`is_done`](TopFilter::is_done) says when the caller can stop
//! reading the message. Lines end where the stuffer ends them (CRLF, bare
//! LF or bare CR), so the lines counted are the lines the client sees.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::{DotStuffer, TopFilter};
//!
//! let message: &[u8] = b"Subject: hi\r\n\r\none\r\ntwo\r\nthree\r\n";
//! let mut top = TopFilter::new(2);
//! let mut stuffer = DotStuffer::new();
//! let mut out = BytesMut::new();
//! for piece in message.chunks(5) {
//!     stuffer.encode(top.filter(piece), &mut out);
//!     if top.is_done() {
//!         break;
//!     }
//! }
//! stuffer.finish(&mut out);
//! assert_eq!(&out[..], b"Subject: hi\r\n\r\none\r\ntwo\r\n.\r\n");
//! ```

use memchr::memchr2;

/// Where the filter is in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Header,
    Body,
    Done,
}

/// Cuts content to TOP's extent; input may be split anywhere.
#[derive(Debug, Clone)]
pub struct TopFilter {
    lines: u64,
    counted: u64,
    part: Part,
    /// The current line has no content yet.
    line_empty: bool,
    /// The last piece ended with a CR: an LF starting the next one
    /// completes that line end.
    after_cr: bool,
}

impl TopFilter {
    /// A filter passing the header and `lines` body lines.
    pub fn new(lines: u64) -> Self {
        Self {
            lines,
            counted: 0,
            part: Part::Header,
            line_empty: true,
            after_cr: false,
        }
    }

    /// Whether everything TOP sends has passed: later content is dropped,
    /// and the caller may stop reading.
    pub fn is_done(&self) -> bool {
        self.part == Part::Done
    }

    /// The part of `piece` to send: all of it, or a prefix when TOP's
    /// extent ends inside it (then [`is_done`](Self::is_done) is true and
    /// every later piece gives nothing).
    pub fn filter<'a>(&mut self, piece: &'a [u8]) -> &'a [u8] {
        if self.part == Part::Done {
            return &[];
        }
        let mut pos = 0;
        if self.after_cr && !piece.is_empty() {
            self.after_cr = false;
            if piece[0] == b'\n' {
                pos = 1;
            }
        }
        loop {
            if self.part == Part::Body && self.counted >= self.lines {
                self.part = Part::Done;
                return &piece[..pos];
            }
            let Some(found) = memchr2(b'\r', b'\n', &piece[pos..]) else {
                if pos < piece.len() {
                    self.line_empty = false;
                }
                return piece;
            };
            let at = pos + found;
            if found > 0 {
                self.line_empty = false;
            }
            pos = if piece[at] == b'\n' {
                at + 1
            } else if at + 1 == piece.len() {
                self.after_cr = true;
                at + 1
            } else if piece[at + 1] == b'\n' {
                at + 2
            } else {
                at + 1
            };
            match self.part {
                Part::Header if self.line_empty => self.part = Part::Body,
                Part::Header => {}
                _ => self.counted += 1,
            }
            self.line_empty = true;
        }
    }
}
