//! The lines of LIST and UIDL (RFC 1939 §5, §7): `msg size` and
//! `msg unique-id`, alone on a `+OK` line or one per line of a multi-line
//! listing. Such lines start with a digit, so they need no stuffing.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::listing::{ListingLine, encode_end};
//! use pop3_proto::maildrop::UniqueId;
//!
//! let mut out = BytesMut::new();
//! out.extend_from_slice(b"+OK 2 messages (320 octets)\r\n");
//! ListingLine::Size { number: 1, size: 120 }.encode(&mut out);
//! ListingLine::UniqueId { number: 2, unique_id: &UniqueId::new("QhdPYR:00WBw1Ph7x7").unwrap() }
//!     .encode(&mut out);
//! encode_end(&mut out);
//! assert_eq!(&out[..], b"+OK 2 messages (320 octets)\r\n1 120\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
//! assert_eq!(
//!     pop3_proto::listing::parse_size_line("1 120"),
//!     Some((1, 120))
//! );
//! ```

use bytes::BytesMut;

use crate::maildrop::UniqueId;

/// One line of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingLine<'a> {
    /// LIST: message number and size in octets.
    Size {
        /// The message number (1-based).
        number: usize,
        /// The size RETR would send, before stuffing.
        size: u64,
    },
    /// UIDL: message number and unique-id.
    UniqueId {
        /// The message number (1-based).
        number: usize,
        /// The unique-id.
        unique_id: &'a UniqueId,
    },
}

impl ListingLine<'_> {
    /// Appends the line with CRLF (for a multi-line listing).
    pub fn encode(&self, out: &mut BytesMut) {
        self.encode_text(out);
        out.extend_from_slice(b"\r\n");
    }

    /// Appends the line as a single `+OK` response (LIST msg, UIDL msg).
    pub fn encode_response(&self, out: &mut BytesMut) {
        out.extend_from_slice(b"+OK ");
        self.encode(out);
    }

    fn encode_text(&self, out: &mut BytesMut) {
        match self {
            ListingLine::Size { number, size } => {
                out.extend_from_slice(format!("{number} {size}").as_bytes())
            }
            ListingLine::UniqueId { number, unique_id } => {
                out.extend_from_slice(number.to_string().as_bytes());
                out.extend_from_slice(b" ");
                out.extend_from_slice(unique_id.as_str().as_bytes());
            }
        }
    }
}

/// Appends the terminator of a multi-line response.
pub fn encode_end(out: &mut BytesMut) {
    out.extend_from_slice(b".\r\n");
}

/// Reads a LIST line (`msg size`, more text after the size is allowed by
/// RFC 1939 and ignored).
pub fn parse_size_line(line: &str) -> Option<(usize, u64)> {
    let mut words = line.split(' ');
    let number = decimal(words.next()?)?;
    let size = decimal(words.next()?)?;
    Some((usize::try_from(number).ok()?, size))
}

/// Reads a UIDL line (`msg unique-id`).
pub fn parse_unique_id_line(line: &str) -> Option<(usize, UniqueId)> {
    let (number, id) = line.split_once(' ')?;
    let number = usize::try_from(decimal(number)?).ok()?;
    Some((number, UniqueId::new(id).ok()?))
}

fn decimal(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}
