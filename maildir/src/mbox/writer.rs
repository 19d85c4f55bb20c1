//! The streaming mbox writer.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{Envelope, Format};
use crate::error::IoContext;
use crate::{Error, Result};

const FROM: &[u8] = b"From ";

/// A streaming mbox writer over any [`Write`].
///
/// Each message is a `From <sender> <date>` line, the message bytes with
/// `From ` quoting per [`Format`], a final newline when the message lacks
/// one (an empty message stays empty), and an empty line. Write a message
/// whole with [`write_message`](Self::write_message), or open it with
/// [`begin_message`](Self::begin_message), write its bytes in any chunks
/// through the [`Write`] implementation and close it with
/// [`end_message`](Self::end_message): quoting carries its state across
/// writes, so the chunking never changes the output.
///
/// With [`Format::Mboxrd`], reading the output back with
/// [`MboxReader`](super::MboxReader) returns each message exactly, with the
/// one normalisation that a non-empty message missing its final newline
/// gets one. Exact except for messages carrying a `Content-Length` header
/// whose value happens to match a separator, which readers trust.
#[derive(Debug)]
pub struct MboxWriter<W: Write> {
    inner: W,
    format: Format,
    path: PathBuf,
    open: bool,
    state: Quote,
}

/// Where the quoting is within the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// At a line start with `gts` `>` and the first `matched` bytes of
    /// `From ` seen and not yet written.
    LineStart { gts: u64, matched: usize },
    /// Inside a line.
    MidLine,
    /// Nothing written in this message yet.
    Empty,
}

impl<W: Write> MboxWriter<W> {
    /// A writer of `format` mbox data into `output`.
    pub fn new(output: W, format: Format) -> Self {
        MboxWriter {
            inner: output,
            format,
            path: PathBuf::from("<mbox>"),
            open: false,
            state: Quote::Empty,
        }
    }

    /// Names the output in errors (default `<mbox>`).
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes the separator line of a new message (ending the open one, if
    /// any). An empty sender is written as `MAILER-DAEMON`.
    ///
    /// Fails with an [`Error::Io`] of kind `InvalidInput` when the sender
    /// contains white space or the date a line break.
    pub fn begin_message(&mut self, envelope: &Envelope) -> Result<()> {
        if self.open {
            self.end_message()?;
        }
        let bad = |what: &str| {
            Error::io(
                "write",
                self.path.clone(),
                io::Error::new(io::ErrorKind::InvalidInput, format!("mbox {what}")),
            )
        };
        if envelope.sender.iter().any(u8::is_ascii_whitespace) {
            return Err(bad("sender contains white space"));
        }
        if envelope.date.iter().any(|&b| b == b'\n' || b == b'\r') {
            return Err(bad("date contains a line break"));
        }
        let sender: &[u8] = if envelope.sender.is_empty() {
            b"MAILER-DAEMON"
        } else {
            &envelope.sender
        };
        let mut line = Vec::with_capacity(7 + sender.len() + envelope.date.len());
        line.extend_from_slice(FROM);
        line.extend_from_slice(sender);
        line.push(b' ');
        line.extend_from_slice(&envelope.date);
        line.push(b'\n');
        self.inner.write_all(&line).context("write", &self.path)?;
        self.open = true;
        self.state = Quote::Empty;
        Ok(())
    }

    /// Ends the open message: flushes a pending line start, adds the final
    /// newline if missing and the empty line. Does nothing when no message
    /// is open.
    pub fn end_message(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        let path = self.path.clone();
        self.end_io().context("write", path)
    }

    fn end_io(&mut self) -> io::Result<()> {
        let tail: &[u8] = match self.state {
            Quote::Empty => b"\n",
            Quote::LineStart { gts: 0, matched: 0 } => b"\n",
            Quote::LineStart { gts, matched } => {
                self.flush_prefix(gts, matched)?;
                b"\n\n"
            }
            Quote::MidLine => b"\n\n",
        };
        self.inner.write_all(tail)?;
        self.open = false;
        self.state = Quote::Empty;
        Ok(())
    }

    /// Writes a whole message.
    pub fn write_message(&mut self, envelope: &Envelope, data: &[u8]) -> Result<()> {
        self.begin_message(envelope)?;
        let path = self.path.clone();
        self.quote(data).context("write", path)?;
        self.end_message()
    }

    /// Ends the open message, flushes and returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.end_message()?;
        self.inner.flush().context("flush", &self.path)?;
        Ok(self.inner)
    }

    /// Writes `gts` `>` and the first `matched` bytes of `From `, unquoted.
    fn flush_prefix(&mut self, gts: u64, matched: usize) -> io::Result<()> {
        let mut left = gts;
        let run = [b'>'; 64];
        while left > 0 {
            let n = left.min(run.len() as u64) as usize;
            self.inner.write_all(&run[..n])?;
            left -= n as u64;
        }
        self.inner.write_all(&FROM[..matched])
    }

    /// Quotes and writes message bytes.
    fn quote(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.state {
                Quote::MidLine => {
                    let end = data.iter().position(|&b| b == b'\n');
                    let take = end.map_or(data.len(), |i| i + 1);
                    self.inner.write_all(&data[..take])?;
                    data = &data[take..];
                    if end.is_some() {
                        self.state = Quote::LineStart { gts: 0, matched: 0 };
                    }
                }
                Quote::Empty => self.state = Quote::LineStart { gts: 0, matched: 0 },
                Quote::LineStart { gts, matched } => {
                    let b = data[0];
                    data = &data[1..];
                    if matched == 0
                        && b == b'>'
                        && (self.format == Format::Mboxrd)
                        && gts < u64::MAX
                    {
                        self.state = Quote::LineStart {
                            gts: gts + 1,
                            matched,
                        };
                    } else if b == FROM[matched] {
                        if matched + 1 == FROM.len() {
                            self.inner.write_all(b">")?;
                            self.flush_prefix(gts, FROM.len())?;
                            self.state = Quote::MidLine;
                        } else {
                            self.state = Quote::LineStart {
                                gts,
                                matched: matched + 1,
                            };
                        }
                    } else {
                        self.flush_prefix(gts, matched)?;
                        self.inner.write_all(&[b])?;
                        self.state = if b == b'\n' {
                            Quote::LineStart { gts: 0, matched: 0 }
                        } else {
                            Quote::MidLine
                        };
                    }
                }
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for MboxWriter<W> {
    /// Writes bytes of the open message, quoting `From ` lines; fails with
    /// `InvalidInput` when no message is open.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.open {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no mbox message open: call begin_message first",
            ));
        }
        self.quote(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
