//! The streaming mbox reader.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::path::PathBuf;

use super::{Envelope, Format, Message};
use crate::error::IoContext;
use crate::{Error, Result};

/// Bytes of one line read in one piece; longer lines are streamed in pieces.
const CHUNK: usize = 8 * 1024;
/// The header section kept in memory to find `Content-Length`; a longer
/// header is streamed like a body and its `Content-Length` is ignored.
const HEADER_CAP: usize = 256 * 1024;
/// Separator lines are kept up to this length (the rest is skipped).
const ENVELOPE_CAP: usize = 4 * 1024;
/// A run of `>` longer than this at a line start is never unquoted.
const QUOTE_CAP: usize = 4 * 1024;
/// Default for [`MboxReader::with_max_lookahead`].
const DEFAULT_LOOKAHEAD: u64 = 16 * 1024 * 1024;

/// What a message declared and where it is, returned by
/// [`MboxReader::next_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The separator line.
    pub envelope: Envelope,
    /// Where the separator line starts, in bytes from the start of the
    /// input: a message spans from here to the next message's offset (or
    /// the end of the input), its trailing empty line included.
    pub offset: u64,
    /// The `Content-Length` header's value, if the header has one that
    /// parses (whether it turns out to be trusted or not).
    pub content_length: Option<u64>,
}

/// A streaming mbox reader over any [`BufRead`].
///
/// Call [`next_message`](Self::next_message) to move to the next message,
/// then read that message's bytes (header and body, unquoted) through the
/// [`Read`] implementation, which returns 0 at the end of the message.
/// Unread bytes are skipped by the next `next_message`.
///
/// Rules:
///
/// * A separator is a line starting with `From ` that is the first line of
///   the file (leading empty lines are skipped) or follows an empty line
///   (`\n` exactly). That empty line is not part of the message; neither is
///   the empty line at the very end of the file.
/// * Lines are unquoted per [`Format`], header and body alike.
/// * `Content-Length: n` in the header is trusted when the byte at
///   start-of-body + `n` (counted in the file, before unquoting) is the end
///   of the file, or an empty line followed by `From ` or by the end of the
///   file, or a `From ` at a line start. A trusted length ends the message there, so unquoted
///   `From ` lines inside such a body stay in the message. Otherwise the
///   header is ignored. When a separator appears before `n`, the reader
///   looks ahead up to [`with_max_lookahead`](Self::with_max_lookahead)
///   bytes to check; further than that the length is not trusted.
/// * Line endings are LF; CR bytes are kept as they are.
///
/// Memory is bounded: lines are streamed in pieces, the header section is
/// kept up to 256 KiB, and the look-ahead above is capped.
#[derive(Debug)]
pub struct MboxReader<R> {
    src: Src<R>,
    format: Format,
    path: PathBuf,
    started: bool,
    /// A message is open (possibly fully read: see `done`).
    active: bool,
    /// The open message has no more bytes to produce.
    done: bool,
    out: Vec<u8>,
    out_pos: usize,
    at_line_start: bool,
    /// An empty line was read and not yet emitted: it is dropped if a
    /// separator or the end of file follows.
    held_blank: bool,
    /// Bytes of the body consumed from the file (before unquoting).
    off: u64,
    /// A `Content-Length` not yet checked.
    cl_pending: Option<u64>,
    /// A trusted `Content-Length`: the body ends at this offset.
    cl_end: Option<u64>,
    max_lookahead: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Eof,
    Blank,
    From,
    Quoted,
    Other,
}

impl<R: BufRead> MboxReader<R> {
    /// A reader of `format` mbox data from `input`.
    pub fn new(input: R, format: Format) -> Self {
        MboxReader {
            src: Src {
                inner: input,
                ahead: VecDeque::new(),
                eof: false,
                consumed: 0,
            },
            format,
            path: PathBuf::from("<mbox>"),
            started: false,
            active: false,
            done: true,
            out: Vec::new(),
            out_pos: 0,
            at_line_start: true,
            held_blank: false,
            off: 0,
            cl_pending: None,
            cl_end: None,
            max_lookahead: DEFAULT_LOOKAHEAD,
        }
    }

    /// Names the input in errors (default `<mbox>`).
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// How far (in bytes) the reader may buffer ahead to check a
    /// `Content-Length` that runs past a separator (default 16 MiB).
    pub fn with_max_lookahead(mut self, bytes: u64) -> Self {
        self.max_lookahead = bytes;
        self
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Moves to the next message, skipping what is left of the current one,
    /// and returns its separator and declared length; `None` at the end.
    ///
    /// Fails with [`Error::Format`] when the data does not start with a
    /// `From ` line, and with [`Error::Io`] when reading fails.
    pub fn next_message(&mut self) -> Result<Option<MessageInfo>> {
        let path = self.path.clone();
        self.next_message_io().context("read", path)?
    }

    fn next_message_io(&mut self) -> io::Result<Result<Option<MessageInfo>>> {
        while self.active && !self.done {
            self.out.clear();
            self.step()?;
        }
        self.active = false;
        self.out.clear();
        self.out_pos = 0;
        let mut line = 1;
        if !self.started {
            self.started = true;
            while self.src.peek(1)? > 0 && self.src.ahead[0] == b'\n' {
                self.src.skip(1);
                line += 1;
            }
        }
        if self.src.peek(5)? == 0 {
            return Ok(Ok(None));
        }
        if !self.src.starts_with(0, b"From ") {
            return Ok(Err(Error::Format {
                path: self.path.clone(),
                line,
                reason: "not an mbox: expected a \"From \" separator line".into(),
            }));
        }
        let offset = self.src.position();
        self.src.skip(5);
        let mut sep = Vec::new();
        loop {
            let mut piece = Vec::new();
            if self.src.read_segment(CHUNK, &mut piece)? == 0 {
                break;
            }
            let newline = piece.last() == Some(&b'\n');
            if sep.len() < ENVELOPE_CAP {
                sep.extend_from_slice(&piece[..piece.len().min(ENVELOPE_CAP - sep.len())]);
            }
            if newline {
                break;
            }
        }
        let envelope = Envelope::parse(&sep);
        let content_length = self.read_header()?;
        self.active = true;
        self.out_pos = 0;
        Ok(Ok(Some(MessageInfo {
            envelope,
            offset,
            content_length,
        })))
    }

    /// Reads the header section into `out`, sets up the body state and
    /// returns the parsed `Content-Length`.
    fn read_header(&mut self) -> io::Result<Option<u64>> {
        self.done = false;
        self.at_line_start = true;
        self.held_blank = false;
        self.off = 0;
        self.cl_pending = None;
        self.cl_end = None;
        let mut complete = false;
        'lines: loop {
            match self.line_kind()? {
                LineKind::Eof => {
                    self.done = true;
                    break;
                }
                LineKind::Blank => {
                    self.src.skip(1);
                    self.held_blank = true;
                    complete = true;
                    break;
                }
                kind => {
                    if self.src.starts_with(0, b"\r\n") {
                        self.src.skip(2);
                        self.out.extend_from_slice(b"\r\n");
                        complete = true;
                        break;
                    }
                    if self.out.len() > HEADER_CAP {
                        break;
                    }
                    if kind == LineKind::Quoted {
                        self.src.skip(1);
                    }
                    loop {
                        if self.src.read_segment(CHUNK, &mut self.out)? == 0 {
                            self.done = true;
                            break 'lines;
                        }
                        if self.out.last() == Some(&b'\n') {
                            break;
                        }
                        if self.out.len() > HEADER_CAP {
                            self.at_line_start = false;
                            break 'lines;
                        }
                    }
                }
            }
        }
        if !complete {
            return Ok(None);
        }
        let length = content_length(&self.out);
        self.cl_pending = length;
        Ok(length)
    }

    /// Reads the rest of the current message into memory.
    pub fn read_message(&mut self) -> Result<Option<Message>> {
        let Some(info) = self.next_message()? else {
            return Ok(None);
        };
        let mut data = Vec::new();
        let path = self.path.clone();
        self.read_to_end(&mut data).context("read", path)?;
        Ok(Some(Message {
            envelope: info.envelope,
            data,
        }))
    }

    /// Classifies the line at the current position (which must be a line
    /// start), peeking as far as needed.
    fn line_kind(&mut self) -> io::Result<LineKind> {
        if self.src.peek(1)? == 0 {
            return Ok(LineKind::Eof);
        }
        match self.src.ahead[0] {
            b'\n' => return Ok(LineKind::Blank),
            b'>' => {}
            _ => {
                self.src.peek(5)?;
                return Ok(if self.src.starts_with(0, b"From ") {
                    LineKind::From
                } else {
                    LineKind::Other
                });
            }
        }
        let mut gts = 1;
        if self.format == Format::Mboxrd {
            while gts <= QUOTE_CAP && self.src.peek(gts + 1)? > gts && self.src.ahead[gts] == b'>' {
                gts += 1;
            }
            if gts > QUOTE_CAP {
                return Ok(LineKind::Other);
            }
        }
        self.src.peek(gts + 5)?;
        Ok(if self.src.starts_with(gts, b"From ") {
            LineKind::Quoted
        } else {
            LineKind::Other
        })
    }

    /// Whether a pending `Content-Length` ending at the current position
    /// holds: end of file, `\nFrom `, or `From ` at a line start.
    fn length_holds_here(&mut self) -> io::Result<bool> {
        let n = self.src.peek(6)?;
        Ok(n == 0
            || (n == 1 && self.src.ahead[0] == b'\n')
            || self.src.starts_with(0, b"\nFrom ")
            || (self.at_line_start && self.src.starts_with(0, b"From ")))
    }

    /// Whether a `Content-Length` ending `distance` bytes ahead holds,
    /// buffering up to that point (capped by `max_lookahead`).
    fn length_holds_ahead(&mut self, distance: u64) -> io::Result<bool> {
        let Some(need) = distance.checked_add(6) else {
            return Ok(false);
        };
        if need > self.max_lookahead {
            return Ok(false);
        }
        let (d, need) = (distance as usize, need as usize);
        let have = self.src.peek(need)?;
        if have == d || (have == d + 1 && self.src.ahead[d] == b'\n') {
            return Ok(true);
        }
        if have < d {
            return Ok(false);
        }
        Ok(self.src.starts_with(d, b"\nFrom ")
            || (self.src.ahead[d - 1] == b'\n' && self.src.starts_with(d, b"From ")))
    }

    /// Produces the next piece of the body into `out` (or sets `done`).
    fn step(&mut self) -> io::Result<()> {
        loop {
            if self.done {
                return Ok(());
            }
            if let Some(n) = self.cl_end {
                if self.off == n {
                    let left = self.src.peek(6)?;
                    if self.src.starts_with(0, b"\nFrom ")
                        || (left == 1 && self.src.ahead[0] == b'\n')
                    {
                        self.src.skip(1);
                    }
                    self.done = true;
                    return Ok(());
                }
                if self.at_line_start && self.line_kind()? == LineKind::Quoted {
                    self.src.skip(1);
                    self.off += 1;
                    // Past the quote: a `From ` here is not at a line start.
                    self.at_line_start = false;
                    if self.off == n {
                        continue;
                    }
                }
                return self.segment(n - self.off);
            }
            if let Some(n) = self.cl_pending
                && self.off == n
            {
                self.cl_pending = None;
                if self.length_holds_here()? {
                    self.cl_end = Some(n);
                    if std::mem::take(&mut self.held_blank) {
                        self.out.push(b'\n');
                    }
                    continue;
                }
            }
            let limit = self.cl_pending.map_or(u64::MAX, |n| n - self.off);
            if !self.at_line_start {
                return self.segment(limit);
            }
            match self.line_kind()? {
                LineKind::Eof => {
                    self.held_blank = false;
                    self.done = true;
                    return Ok(());
                }
                LineKind::From if self.held_blank => {
                    if let Some(n) = self.cl_pending.take()
                        && self.length_holds_ahead(n - self.off)?
                    {
                        self.cl_end = Some(n);
                        self.held_blank = false;
                        self.out.push(b'\n');
                        continue;
                    }
                    self.held_blank = false;
                    self.done = true;
                    return Ok(());
                }
                LineKind::Blank => {
                    if self.held_blank {
                        self.out.push(b'\n');
                    }
                    self.src.skip(1);
                    self.off += 1;
                    self.held_blank = true;
                    if !self.out.is_empty() {
                        return Ok(());
                    }
                }
                kind => {
                    if std::mem::take(&mut self.held_blank) {
                        self.out.push(b'\n');
                    }
                    if kind == LineKind::Quoted {
                        self.src.skip(1);
                        self.off += 1;
                        self.at_line_start = false;
                        if limit == 1 {
                            continue;
                        }
                    }
                    return self.segment(limit.saturating_sub(u64::from(kind == LineKind::Quoted)));
                }
            }
        }
    }

    /// Copies up to the end of the line, `limit` bytes or [`CHUNK`] bytes
    /// into `out`.
    fn segment(&mut self, limit: u64) -> io::Result<()> {
        let max = usize::try_from(limit).unwrap_or(usize::MAX).min(CHUNK);
        let start = self.out.len();
        let got = self.src.read_segment(max, &mut self.out)?;
        if got == 0 {
            // End of file inside a line, or a length past the end.
            self.done = true;
            return Ok(());
        }
        self.off += got as u64;
        self.at_line_start = self.out[start..].last() == Some(&b'\n');
        Ok(())
    }
}

impl<R: BufRead> Read for MboxReader<R> {
    /// Reads bytes of the current message; 0 at its end (or when no message
    /// is open).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.active {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            self.out.clear();
            self.out_pos = 0;
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            self.step()?;
        }
    }
}

/// The value of the first `Content-Length` header field that parses.
fn content_length(header: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"content-length:";
    header.split(|&b| b == b'\n').find_map(|line| {
        if line.len() < NAME.len() || !line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            return None;
        }
        let value = std::str::from_utf8(&line[NAME.len()..]).ok()?.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value.parse().ok()
    })
}

/// The input with a look-ahead buffer that can hold any number of bytes.
#[derive(Debug)]
struct Src<R> {
    inner: R,
    ahead: VecDeque<u8>,
    eof: bool,
    /// Bytes taken from `inner` so far (into `ahead` or straight out).
    consumed: u64,
}

impl<R: BufRead> Src<R> {
    /// Makes at least `k` bytes available in `ahead` unless the input ends;
    /// returns how many are.
    fn peek(&mut self, k: usize) -> io::Result<usize> {
        while self.ahead.len() < k && !self.eof {
            let want = k - self.ahead.len();
            let buf = fill(&mut self.inner)?;
            if buf.is_empty() {
                self.eof = true;
                break;
            }
            let take = want.min(buf.len());
            self.ahead.extend(&buf[..take]);
            self.inner.consume(take);
            self.consumed += take as u64;
        }
        Ok(self.ahead.len())
    }

    /// The input offset of the next byte not yet read.
    fn position(&self) -> u64 {
        self.consumed - self.ahead.len() as u64
    }

    fn starts_with(&self, at: usize, prefix: &[u8]) -> bool {
        self.ahead.len() >= at + prefix.len()
            && prefix
                .iter()
                .enumerate()
                .all(|(i, &b)| self.ahead[at + i] == b)
    }

    /// Drops `n` bytes already peeked.
    fn skip(&mut self, n: usize) {
        self.ahead.drain(..n);
    }

    /// Appends up to `max` bytes, stopping after a newline; returns how many.
    fn read_segment(&mut self, max: usize, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut got = 0;
        while got < max {
            let (newline, take) = if !self.ahead.is_empty() {
                let (a, b) = self.ahead.as_slices();
                let slice = if a.is_empty() { b } else { a };
                let (newline, take) = scan(slice, max - got);
                out.extend_from_slice(&slice[..take]);
                self.skip(take);
                (newline, take)
            } else {
                if self.eof {
                    break;
                }
                let buf = fill(&mut self.inner)?;
                if buf.is_empty() {
                    self.eof = true;
                    break;
                }
                let (newline, take) = scan(buf, max - got);
                out.extend_from_slice(&buf[..take]);
                self.inner.consume(take);
                self.consumed += take as u64;
                (newline, take)
            };
            got += take;
            if newline {
                break;
            }
        }
        Ok(got)
    }
}

/// How many bytes of `buf` to take (at most `max`, through the first
/// newline) and whether a newline ends them.
fn scan(buf: &[u8], max: usize) -> (bool, usize) {
    let window = &buf[..buf.len().min(max)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => (true, i + 1),
        None => (false, window.len()),
    }
}

/// `fill_buf`, retrying when interrupted.
fn fill<R: BufRead>(inner: &mut R) -> io::Result<&[u8]> {
    loop {
        match inner.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    inner.fill_buf()
}
