//! The client side of a multi-line response body: wire form in, content
//! out, and where the body ends.
//!
//! ```
//! use pop3_proto::{BodyDecoder, BodyProgress};
//!
//! let mut decoder = BodyDecoder::new();
//! let mut content = Vec::new();
//! let progress = decoder.decode(b"line\r\n..dot\r\n.\r\n+OK next", &mut content);
//! assert_eq!(progress, BodyProgress::Done { consumed: 16 });
//! assert_eq!(content, b"line\r\n.dot\r\n");
//! ```

/// How far [`BodyDecoder::decode`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProgress {
    /// All input was consumed; the body goes on.
    NeedMore,
    /// The terminating line ended after `consumed` bytes of this input;
    /// what follows belongs to the next response.
    Done {
        /// Bytes of this input that belonged to the body.
        consumed: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    LineStart,
    Middle,
    /// A `.` at the start of a line.
    Dot,
    /// `.` CR at the start of a line.
    DotCr,
    Done,
}

/// Un-stuffs a multi-line body as it streams; input may be split anywhere.
///
/// A `.` starting a line is removed; a line of just `.` ends the body
/// (also `.` LF from lax servers). Line ends are passed through as sent.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    state: State,
}

impl Default for BodyDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl BodyDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self {
            state: State::LineStart,
        }
    }

    /// Whether the terminating line has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Appends the content in `input` to `content`.
    pub fn decode(&mut self, input: &[u8], content: &mut Vec<u8>) -> BodyProgress {
        if self.state == State::Done {
            return BodyProgress::Done { consumed: 0 };
        }
        for (i, &byte) in input.iter().enumerate() {
            self.state = match (self.state, byte) {
                (State::LineStart, b'.') => State::Dot,
                (State::Dot, b'\r') => State::DotCr,
                (State::Dot | State::DotCr, b'\n') => {
                    self.state = State::Done;
                    return BodyProgress::Done { consumed: i + 1 };
                }
                (State::DotCr, _) => {
                    content.extend_from_slice(&[b'\r', byte]);
                    State::Middle
                }
                (_, b'\n') => {
                    content.push(byte);
                    State::LineStart
                }
                _ => {
                    content.push(byte);
                    State::Middle
                }
            };
        }
        BodyProgress::NeedMore
    }
}
