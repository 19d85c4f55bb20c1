//! The server side of one BDAT chunk (RFC 3030).
//!
//! BDAT carries raw octets of a size given up front: there is no
//! dot-stuffing, no end marker and no line-length limit (BINARYMIME), and
//! bare CR and LF are content like any other byte. All the decoder has to do
//! is count.
//!
//! ```
//! use smtp_proto::BdatDecoder;
//!
//! // "BDAT 5 LAST\r\n" followed by the chunk and the next command.
//! let mut chunk = BdatDecoder::new(5);
//! assert_eq!(chunk.take(b"hel"), b"hel");
//! assert_eq!(chunk.take(b"loQUIT\r\n"), b"lo");
//! assert!(chunk.is_done());
//! ```

/// Counts off the octets of one BDAT chunk as they arrive.
#[derive(Debug, Clone)]
pub struct BdatDecoder {
    remaining: u64,
}

impl BdatDecoder {
    /// Creates a decoder for a chunk of `size` octets.
    pub fn new(size: u64) -> Self {
        Self { remaining: size }
    }

    /// Returns the chunk's octets at the front of `input`; the caller
    /// consumes exactly that many bytes and keeps the rest for the next
    /// command.
    pub fn take<'a>(&mut self, input: &'a [u8]) -> &'a [u8] {
        let n = usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
        self.remaining -= n as u64;
        &input[..n]
    }

    /// Octets of the chunk not yet taken.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Whether the whole chunk has been taken.
    pub fn is_done(&self) -> bool {
        self.remaining == 0
    }
}
