//! Splitting a byte stream into CRLF-terminated lines under a length limit.
//!
//! The limit is enforced as bytes arrive: a line longer than the limit is
//! discarded up to its end and reported once, so the next line is read
//! normally and the connection stays usable.

/// What [`LineReader::next_line`] found at the front of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEvent {
    /// A complete line: its content is `buf[..content_len]` (without CRLF or
    /// LF); consume `consumed` bytes.
    Line {
        /// Length of the line's content.
        content_len: usize,
        /// Bytes to consume, terminator included.
        consumed: usize,
    },
    /// The buffer holds only part of a line; read more.
    NeedMore,
    /// Part of an over-long line: consume and drop `consumed` bytes, then
    /// call again.
    Discard {
        /// Bytes to drop.
        consumed: usize,
    },
    /// The end of an over-long line: consume `consumed` bytes and report the
    /// line as too long.
    TooLong {
        /// Bytes to drop, terminator included.
        consumed: usize,
    },
}

/// Finds line ends; remembers when it is inside an over-long line.
///
/// A line ends at LF; a CR just before it is removed from the content. A
/// line's length counts its content and terminator.
///
/// ```
/// use wire::line::{LineEvent, LineReader};
/// let mut reader = LineReader::new(16);
/// assert_eq!(reader.next_line(b"NOOP\r\nQU"), LineEvent::Line { content_len: 4, consumed: 6 });
/// assert_eq!(reader.next_line(b"QU"), LineEvent::NeedMore);
/// ```
#[derive(Debug, Clone)]
pub struct LineReader {
    max_len: usize,
    discarding: bool,
}

impl LineReader {
    /// Lines may be at most `max_len` bytes long, terminator included.
    pub fn new(max_len: usize) -> Self {
        Self {
            max_len: max_len.max(2),
            discarding: false,
        }
    }

    /// The limit, terminator included.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Changes the limit for the following lines.
    pub fn set_max_len(&mut self, max_len: usize) {
        self.max_len = max_len.max(2);
    }

    /// Whether the reader is inside an over-long line.
    pub fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// Looks for the next line at the front of `buf`.
    pub fn next_line(&mut self, buf: &[u8]) -> LineEvent {
        if self.discarding {
            return match memchr::memchr(b'\n', buf) {
                Some(lf) => {
                    self.discarding = false;
                    LineEvent::TooLong { consumed: lf + 1 }
                }
                None => LineEvent::Discard {
                    consumed: buf.len(),
                },
            };
        }
        let window = &buf[..buf.len().min(self.max_len)];
        match memchr::memchr(b'\n', window) {
            Some(lf) => {
                let content_len = if lf > 0 && buf[lf - 1] == b'\r' {
                    lf - 1
                } else {
                    lf
                };
                LineEvent::Line {
                    content_len,
                    consumed: lf + 1,
                }
            }
            None if buf.len() >= self.max_len => {
                match memchr::memchr(b'\n', &buf[window.len()..]) {
                    Some(lf) => LineEvent::TooLong {
                        consumed: window.len() + lf + 1,
                    },
                    None => {
                        self.discarding = true;
                        LineEvent::Discard {
                            consumed: buf.len(),
                        }
                    }
                }
            }
            None => LineEvent::NeedMore,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_limit_is_accepted() {
        let mut reader = LineReader::new(6);
        assert_eq!(
            reader.next_line(b"NOOP\r\n"),
            LineEvent::Line {
                content_len: 4,
                consumed: 6
            }
        );
    }

    #[test]
    fn one_byte_over_is_discarded_to_the_end() {
        let mut reader = LineReader::new(6);
        assert_eq!(
            reader.next_line(b"NOOPX\r"),
            LineEvent::Discard { consumed: 6 }
        );
        assert_eq!(
            reader.next_line(b"\nQUIT\r\n"),
            LineEvent::TooLong { consumed: 1 }
        );
        assert_eq!(
            reader.next_line(b"QUIT\r\n"),
            LineEvent::Line {
                content_len: 4,
                consumed: 6
            }
        );
    }

    #[test]
    fn over_long_line_in_one_buffer_keeps_what_follows() {
        let mut reader = LineReader::new(6);
        assert_eq!(
            reader.next_line(b"NOOP xyz\r\nQUIT\r\n"),
            LineEvent::TooLong { consumed: 10 }
        );
        assert!(!reader.is_discarding());
    }

    #[test]
    fn bare_lf_ends_a_line() {
        let mut reader = LineReader::new(100);
        assert_eq!(
            reader.next_line(b"QUIT\n"),
            LineEvent::Line {
                content_len: 4,
                consumed: 5
            }
        );
    }

    #[test]
    fn long_garbage_in_pieces() {
        let mut reader = LineReader::new(8);
        let mut dropped = 0;
        for _ in 0..100 {
            match reader.next_line(b"xxxxxxxxxxxx") {
                LineEvent::Discard { consumed } => dropped += consumed,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(dropped, 1200);
        assert_eq!(reader.next_line(b"\n"), LineEvent::TooLong { consumed: 1 });
    }
}
