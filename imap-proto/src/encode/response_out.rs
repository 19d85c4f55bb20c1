//! A direct writer for the hot paths of responses (ENVELOPE and
//! BODYSTRUCTURE are mostly short quoted strings): one pass over a
//! string's bytes decides its form, and a quoted string is written with
//! one reservation. Whatever is not a plain quoted string goes through
//! [`Writer`], so both make the same choices.

use bytes::{BufMut, BytesMut};

use crate::encode::writer::{EncodeOptions, QUOTED_MAX, Writer, date_time_text, decimal};
use crate::types::core::{NString, Str};
use crate::types::datetime::DateTime;
use crate::types::flag::Flag;

/// What a byte asks of a quoted string.
const PLAIN: u8 = 0;
/// `"` or `\`: escaped.
const ESCAPE: u8 = 1;
/// 8-bit: quoted only as UTF-8 under UTF8=ACCEPT.
const HIGH: u8 = 2;
/// NUL, CR, LF: never quoted.
const LITERAL: u8 = 4;

const CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0x80;
    while i < 256 {
        t[i] = HIGH;
        i += 1;
    }
    t[0] = LITERAL;
    t[b'\r' as usize] = LITERAL;
    t[b'\n' as usize] = LITERAL;
    t[b'"' as usize] = ESCAPE;
    t[b'\\' as usize] = ESCAPE;
    t
};

/// The staging buffer's size: a typical ENVELOPE or BODYSTRUCTURE in two
/// or three flushes.
const STAGE: usize = 256;

/// Appends to a buffer through a small staging buffer on the stack:
/// `BytesMut` writes cost a call and a bounds check each (`put_u8`
/// included), and responses are made of many tiny pieces. Whatever is
/// staged reaches the buffer when the `Out` is dropped.
pub(super) struct Out<'b> {
    out: &'b mut BytesMut,
    options: EncodeOptions,
    stage: [u8; STAGE],
    len: usize,
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

impl<'b> Out<'b> {
    #[inline]
    pub(super) fn new(out: &'b mut BytesMut, options: EncodeOptions) -> Out<'b> {
        Out {
            out,
            options,
            stage: [0; STAGE],
            len: 0,
        }
    }

    #[inline]
    fn flush(&mut self) {
        if self.len > 0 {
            self.out.put_slice(&self.stage[..self.len]);
            self.len = 0;
        }
    }

    /// A [`Writer`] for the productions this does not write, after what
    /// is staged.
    pub(super) fn writer(&mut self) -> Writer<'_> {
        self.flush();
        Writer::new(self.out, self.options, false)
    }

    #[inline]
    pub(super) fn raw(&mut self, b: &[u8]) {
        if b.len() > STAGE - self.len {
            self.flush();
            if b.len() > STAGE {
                self.out.put_slice(b);
                return;
            }
        }
        self.stage[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    #[inline]
    pub(super) fn byte(&mut self, b: u8) {
        if self.len == STAGE {
            self.flush();
        }
        self.stage[self.len] = b;
        self.len += 1;
    }

    #[inline]
    pub(super) fn number(&mut self, n: u64) {
        let (digits, start) = decimal(n);
        self.raw(&digits[start..]);
    }

    /// `string`: quoted when it can be, else a literal (as
    /// [`Writer::string`] decides).
    #[inline]
    pub(super) fn string(&mut self, s: &Str<'_>) {
        let b = s.as_bytes();
        let class = b.iter().fold(PLAIN, |acc, &x| acc | CLASS[usize::from(x)]);
        let quotable = b.len() <= QUOTED_MAX
            && class & LITERAL == 0
            && (class & HIGH == 0 || (self.options.utf8 && std::str::from_utf8(b).is_ok()));
        if !quotable {
            self.writer().string(s);
            return;
        }
        self.byte(b'"');
        if class & ESCAPE == 0 {
            self.raw(b);
        } else {
            let mut start = 0;
            for (i, &x) in b.iter().enumerate() {
                if x == b'"' || x == b'\\' {
                    self.raw(&b[start..i]);
                    self.byte(b'\\');
                    start = i;
                }
            }
            self.raw(&b[start..]);
        }
        self.byte(b'"');
    }

    /// `nstring`.
    #[inline]
    pub(super) fn nstring(&mut self, s: &NString<'_>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw(b"NIL"),
        }
    }

    /// A flag (as [`Writer::flag`] writes it).
    pub(super) fn flag(&mut self, flag: &Flag<'_>) {
        match flag {
            Flag::Answered => self.raw(b"\\Answered"),
            Flag::Flagged => self.raw(b"\\Flagged"),
            Flag::Deleted => self.raw(b"\\Deleted"),
            Flag::Seen => self.raw(b"\\Seen"),
            Flag::Draft => self.raw(b"\\Draft"),
            Flag::Recent => self.raw(b"\\Recent"),
            Flag::Keyword(a) => self.raw(a.as_str().as_bytes()),
            Flag::Extension(a) => {
                self.byte(b'\\');
                self.raw(a.as_str().as_bytes());
            }
        }
    }

    /// A quoted `date-time` (as [`Writer::date_time`] writes it).
    pub(super) fn date_time(&mut self, t: DateTime) {
        self.raw(&date_time_text(t));
    }
}
