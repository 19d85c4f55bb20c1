//! Turning message content into its dot-stuffed wire form: SMTP's DATA
//! (RFC 5321 §4.5.2, for relaying and submission) and POP3's multi-line
//! responses (RFC 1939 §3) share it.
//!
//! Every line that starts with `.` gets a second one, and every bare CR and
//! bare LF is sent as CRLF. The second rule is the outbound half of SMTP
//! smuggling protection: a message received from a lax peer may hold
//! `LF . LF` or `CR . CR`, and a lax next hop could read that as the end of
//! data and the rest as new commands. Sent as CRLF, such a line is
//! dot-stuffed like any other, so no server can read anything we send as an
//! early end of data. Content that already uses CRLF goes out unchanged
//! apart from the doubled dots.
//!
//! ```
//! use bytes::BytesMut;
//! use wire::dot_stuff::DotStuffer;
//!
//! let mut stuffer = DotStuffer::new();
//! let mut out = BytesMut::new();
//! stuffer.encode(b"Subject: hi\r\n\r\n.hidden\n.", &mut out);
//! stuffer.finish(&mut out);
//! assert_eq!(&out[..], b"Subject: hi\r\n\r\n..hidden\r\n..\r\n.\r\n");
//! ```

use bytes::BytesMut;
use memchr::memchr2;

use crate::plain_text::plain_text;

/// Dot-stuffs message content as a stream; input may be split anywhere.
#[derive(Debug, Clone)]
pub struct DotStuffer {
    line_start: bool,
    // The last byte was a CR, already sent as CRLF: an LF right after it is
    // that CRLF's LF and must not be sent again.
    after_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// Creates a stuffer for the start of a message.
    pub fn new() -> Self {
        Self {
            line_start: true,
            after_cr: false,
        }
    }

    /// Appends the wire form of the next piece of `content` to `out`.
    ///
    /// `out` grows by at most twice `content.len()`.
    pub fn encode(&mut self, content: &[u8], out: &mut BytesMut) {
        let mut pos = 0;
        if self.after_cr && !content.is_empty() {
            self.after_cr = false;
            if content[0] == b'\n' {
                pos = 1;
            }
        }
        // content[run..pos] is not yet written; runs are copied whole.
        let mut run = pos;
        // Content before this is known not to be plain CRLF text.
        let mut slow_until = 0;
        loop {
            if self.line_start {
                match content.get(pos) {
                    None => break,
                    Some(b'.') => {
                        out.extend_from_slice(&content[run..pos]);
                        out.extend_from_slice(b".");
                        run = pos;
                    }
                    Some(_) => {}
                }
                self.line_start = false;
            }
            if pos >= slow_until && pos < content.len() {
                match plain_text(content, pos) {
                    Ok(end) if end > pos => {
                        pos = end;
                        self.line_start = content[end - 1] == b'\n';
                        continue;
                    }
                    Ok(_) => {}
                    Err(end) => slow_until = end,
                }
            }
            let Some(found) = memchr2(b'\r', b'\n', &content[pos..]) else {
                pos = content.len();
                break;
            };
            let at = pos + found;
            self.line_start = true;
            if content[at] == b'\n' {
                out.extend_from_slice(&content[run..at]);
                out.extend_from_slice(b"\r");
                run = at;
                pos = at + 1;
            } else if content.get(at + 1) == Some(&b'\n') {
                pos = at + 2;
            } else {
                // A bare CR, or a CR at the end of this piece: send it as
                // CRLF now, since either way that is its wire form.
                pos = at + 1;
                out.extend_from_slice(&content[run..pos]);
                out.extend_from_slice(b"\n");
                run = pos;
                self.after_cr = pos == content.len();
            }
        }
        out.extend_from_slice(&content[run..pos]);
    }

    /// Ends the message: adds CRLF if the content did not end with a line
    /// end, then the terminating `.` CRLF. Empty content gets only the
    /// terminator. The stuffer is then ready for a new message.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if !self.line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        *self = Self::new();
    }

    /// Stuffs a whole message at once, terminator included.
    pub fn encode_all(content: &[u8], out: &mut BytesMut) {
        let mut stuffer = Self::new();
        stuffer.encode(content, out);
        stuffer.finish(out);
    }
}
