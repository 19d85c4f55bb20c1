//! The bytes of a stored message.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

/// A message's content: in memory, or an open file to stream from (read
/// it on a blocking thread in async code).
#[derive(Debug)]
pub enum Content {
    /// The bytes.
    Memory(Arc<[u8]>),
    /// An open file of `len` bytes, positioned at its start.
    File {
        /// The file.
        file: File,
        /// Its length.
        len: u64,
    },
}

impl Content {
    /// The size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Content::Memory(bytes) => bytes.len() as u64,
            Content::File { len, .. } => *len,
        }
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader over the bytes.
    pub fn into_reader(self) -> Box<dyn Read + Send> {
        match self {
            Content::Memory(bytes) => Box::new(io::Cursor::new(bytes)),
            Content::File { file, len } => Box::new(file.take(len)),
        }
    }

    /// All the bytes (blocking for a file).
    pub fn into_bytes(self) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        self.into_reader().read_to_end(&mut out)?;
        Ok(out)
    }
}
