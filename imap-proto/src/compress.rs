//! COMPRESS=DEFLATE (RFC 4978): raw DEFLATE (no zlib header) in both
//! directions once the command succeeds. Every chunk written ends with a
//! sync flush, so the peer can decode everything sent so far without
//! waiting for more.
//!
//! ```
//! use bytes::BytesMut;
//! use imap_proto::compress::{Deflater, Inflater};
//!
//! let (mut deflater, mut inflater) = (Deflater::default(), Inflater::default());
//! let mut wire = BytesMut::new();
//! deflater.compress(b"* OK compressed\r\n", &mut wire).unwrap();
//! let mut plain = BytesMut::new();
//! let used = inflater.decompress(&wire, &mut plain, 4096).unwrap();
//! assert_eq!(used, wire.len());
//! assert_eq!(&plain[..], b"* OK compressed\r\n");
//! ```

use bytes::BytesMut;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use thiserror::Error;

/// A stream that does not decompress.
#[derive(Debug, Error)]
#[error("invalid DEFLATE stream: {0}")]
pub struct CompressError(String);

/// Each step of (de)compression works through a scratch buffer this big.
const SCRATCH: usize = 16 * 1024;

/// The sending side: plain bytes in, DEFLATE out.
pub struct Deflater {
    stream: Compress,
    scratch: Box<[u8]>,
}

impl Default for Deflater {
    fn default() -> Deflater {
        Deflater {
            stream: Compress::new(Compression::default(), false),
            scratch: vec![0; SCRATCH].into_boxed_slice(),
        }
    }
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deflater")
    }
}

impl Deflater {
    /// Compresses `input` into `out` and flushes, so that `out` decodes
    /// to everything given so far.
    pub fn compress(&mut self, input: &[u8], out: &mut BytesMut) -> Result<(), CompressError> {
        let mut input = input;
        loop {
            let (before_in, before_out) = (self.stream.total_in(), self.stream.total_out());
            self.stream
                .compress(input, &mut self.scratch, FlushCompress::Sync)
                .map_err(|e| CompressError(e.to_string()))?;
            let used = (self.stream.total_in() - before_in) as usize;
            let written = (self.stream.total_out() - before_out) as usize;
            out.extend_from_slice(&self.scratch[..written]);
            input = &input[used..];
            // The flush is complete once a step leaves output room unused.
            if input.is_empty() && written < self.scratch.len() {
                return Ok(());
            }
        }
    }
}

/// The receiving side: DEFLATE in, plain bytes out.
pub struct Inflater {
    stream: Decompress,
    scratch: Box<[u8]>,
}

impl Default for Inflater {
    fn default() -> Inflater {
        Inflater {
            stream: Decompress::new(false),
            scratch: vec![0; SCRATCH].into_boxed_slice(),
        }
    }
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inflater")
    }
}

impl Inflater {
    /// Decompresses from `input` into `out`, adding at most about
    /// `max_out` bytes (a small input can expand a thousandfold); returns
    /// how much of `input` it used. The caller keeps the rest for the
    /// next call, after consuming some of `out`.
    pub fn decompress(
        &mut self,
        input: &[u8],
        out: &mut BytesMut,
        max_out: usize,
    ) -> Result<usize, CompressError> {
        let mut used = 0;
        let mut added = 0;
        while added < max_out {
            let room = (max_out - added).min(self.scratch.len());
            let (before_in, before_out) = (self.stream.total_in(), self.stream.total_out());
            self.stream
                .decompress(
                    &input[used..],
                    &mut self.scratch[..room],
                    FlushDecompress::Sync,
                )
                .map_err(|e| CompressError(e.to_string()))?;
            let took = (self.stream.total_in() - before_in) as usize;
            let gave = (self.stream.total_out() - before_out) as usize;
            out.extend_from_slice(&self.scratch[..gave]);
            used += took;
            added += gave;
            // Nothing more to do with this input (or no room to do it).
            if gave < room && used == input.len() || took == 0 && gave == 0 {
                break;
            }
        }
        Ok(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_pieces_with_bounded_output() {
        let (mut d, mut i) = (Deflater::default(), Inflater::default());
        let text: Vec<u8> = (0..200_000u32)
            .map(|n| b"abc\r\n"[n as usize % 5])
            .collect();
        let mut wire = BytesMut::new();
        for piece in text.chunks(7_000) {
            d.compress(piece, &mut wire).unwrap();
        }
        let mut plain = BytesMut::new();
        let mut rest = &wire[..];
        while !rest.is_empty() || plain.len() < text.len() {
            let before = plain.len();
            let used = i.decompress(rest, &mut plain, 1000).unwrap();
            assert!(plain.len() - before <= 1000);
            rest = &rest[used..];
            if used == 0 && plain.len() == before {
                break;
            }
        }
        assert_eq!(&plain[..], &text[..]);
    }

    #[test]
    fn garbage_is_an_error() {
        let mut plain = BytesMut::new();
        assert!(
            Inflater::default()
                .decompress(&[0xff; 64], &mut plain, 4096)
                .is_err()
        );
    }
}
