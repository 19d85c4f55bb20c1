//! A direct writer for the hot paths of responses (ENVELOPE and
//! BODYSTRUCTURE are mostly short quoted strings): one pass over a
//! string's bytes decides its form, and a quoted string is written with
//! one reservation. Whatever is not a plain quoted string goes through
//! [`Writer`], so both make the same choices.

use bytes::{BufMut, BytesMut};

use crate::encode::writer::{EncodeOptions, Writer};
use crate::types::core::{NString, Str};
use crate::types::datetime::{DateTime, MONTHS};
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

/// Writer's limit for quoted strings (longer ones are literals).
const QUOTED_MAX: usize = 1024;

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
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(&digits[i..]);
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
        let d = t.date();
        let (h, m, s) = t.time();
        let offset = t.offset_minutes();
        let abs = offset.unsigned_abs();
        let two = |n: u64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
        let day = two(u64::from(d.day()));
        let year = u64::from(d.year());
        let mut text = [0u8; 28];
        text[0] = b'"';
        text[1] = if d.day() < 10 { b' ' } else { day[0] };
        text[2] = day[1];
        text[3] = b'-';
        text[4..7].copy_from_slice(MONTHS[usize::from(d.month() - 1)].as_bytes());
        text[7] = b'-';
        text[8..10].copy_from_slice(&two(year / 100));
        text[10..12].copy_from_slice(&two(year % 100));
        text[12] = b' ';
        text[13..15].copy_from_slice(&two(u64::from(h)));
        text[15] = b':';
        text[16..18].copy_from_slice(&two(u64::from(m)));
        text[18] = b':';
        text[19..21].copy_from_slice(&two(u64::from(s)));
        text[21] = b' ';
        text[22] = if offset < 0 { b'-' } else { b'+' };
        text[23..25].copy_from_slice(&two(u64::from(abs / 60)));
        text[25..27].copy_from_slice(&two(u64::from(abs % 60)));
        text[27] = b'"';
        self.raw(&text);
    }
}
