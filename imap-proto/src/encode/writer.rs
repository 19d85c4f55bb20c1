//! The encoder's output buffer and the basic productions.

use std::num::NonZeroU32;

use bytes::{BufMut, BytesMut};

use crate::types::core::{Atom, NString, Str, Tag, is_astring_char, is_list_char};
use crate::types::datetime::{Date, DateTime, MONTHS};
use crate::types::fetch::{Section, SectionText};
use crate::types::flag::{Flag, FlagPerm};
use crate::types::mailbox::Mailbox;
use crate::types::sequence::{SeqBound, SequenceSet};

/// How the encoder writes literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralMode {
    /// `{n}`: the receiver must answer with a continuation request before
    /// the data (client commands); also the only form in responses.
    #[default]
    Sync,
    /// `{n+}` (LITERAL+ / LITERAL-): the data follows at once.
    NonSync,
}

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// Literal form for client commands (responses always use `{n}`).
    pub literals: LiteralMode,
    /// UTF8=ACCEPT is in effect: quoted strings may carry UTF-8.
    pub utf8: bool,
}

/// Strings longer than this go out as literals even when they could be
/// quoted (a literal costs no scan for escapes on the other side).
pub(super) const QUOTED_MAX: usize = 1024;

/// Writes protocol elements into a buffer.
///
/// It remembers where synchronising literals end their announcement
/// (`{n}` CRLF), since a client must stop there and wait for the server's
/// `+` before sending the data: [`Writer::literal_breaks`].
#[derive(Debug)]
pub struct Writer<'b> {
    out: &'b mut BytesMut,
    options: EncodeOptions,
    /// Literals in a command a client sends; responses never wait.
    client: bool,
    breaks: Vec<usize>,
}

impl<'b> Writer<'b> {
    /// A writer appending to `out`; `client` when it writes commands.
    pub fn new(out: &'b mut BytesMut, options: EncodeOptions, client: bool) -> Writer<'b> {
        Writer {
            out,
            options,
            client,
            breaks: Vec::new(),
        }
    }

    /// Offsets in the buffer right after each synchronising literal's
    /// announcement (client commands only).
    pub fn literal_breaks(&self) -> &[usize] {
        &self.breaks
    }

    /// Raw bytes.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.put_slice(bytes);
    }

    /// `SP`.
    #[inline]
    pub fn sp(&mut self) {
        self.out.put_u8(b' ');
    }

    /// `CRLF`.
    #[inline]
    pub fn crlf(&mut self) {
        self.out.put_slice(b"\r\n");
    }

    /// A decimal number.
    #[inline]
    pub fn number(&mut self, n: u64) {
        let (digits, start) = decimal(n);
        self.out.put_slice(&digits[start..]);
    }

    /// A non-zero number.
    #[inline]
    pub fn nz(&mut self, n: NonZeroU32) {
        self.number(u64::from(n.get()));
    }

    /// A tag.
    pub fn tag(&mut self, tag: &Tag<'_>) {
        self.raw(tag.as_str().as_bytes());
    }

    /// An atom.
    pub fn atom(&mut self, atom: &Atom<'_>) {
        self.raw(atom.as_str().as_bytes());
    }

    /// `astring`: an atom when the bytes allow, else a string.
    pub fn astring(&mut self, s: &Str<'_>) {
        let b = s.as_bytes();
        if !b.is_empty() && b.iter().all(|&c| is_astring_char(c)) {
            self.raw(b);
        } else {
            self.string(s);
        }
    }

    /// `list-mailbox`: list-chars bare, else a string.
    pub fn list_mailbox(&mut self, s: &Str<'_>) {
        let b = s.as_bytes();
        if !b.is_empty() && b.iter().all(|&c| is_list_char(c)) {
            self.raw(b);
        } else {
            self.string(s);
        }
    }

    /// `string`: quoted when the bytes allow, else a literal.
    pub fn string(&mut self, s: &Str<'_>) {
        let b = s.as_bytes();
        if b.len() <= QUOTED_MAX && self.quotable(b) {
            self.quoted(b);
        } else {
            self.literal(b, false);
        }
    }

    /// `nstring`.
    pub fn nstring(&mut self, s: &NString<'_>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw(b"NIL"),
        }
    }

    /// A mailbox name.
    pub fn mailbox(&mut self, mailbox: &Mailbox<'_>) {
        match mailbox {
            Mailbox::Inbox => self.raw(b"INBOX"),
            Mailbox::Other(name) => self.astring(&Str::new(&name[..])),
        }
    }

    fn quotable(&self, b: &[u8]) -> bool {
        let plain = b
            .iter()
            .all(|&c| c != 0 && c != b'\r' && c != b'\n' && (c < 0x80 || self.options.utf8));
        plain && (b.is_ascii() || std::str::from_utf8(b).is_ok())
    }

    fn quoted(&mut self, b: &[u8]) {
        self.out.reserve(b.len() + 2);
        self.out.put_u8(b'"');
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c == b'"' || c == b'\\' {
                self.out.put_slice(&b[start..i]);
                self.out.put_u8(b'\\');
                start = i;
            }
        }
        self.out.put_slice(&b[start..]);
        self.out.put_u8(b'"');
    }

    /// A literal with its data; `binary` writes `literal8` (`~{n}`).
    pub fn literal(&mut self, data: &[u8], binary: bool) {
        self.literal_header(data.len() as u64, binary);
        self.raw(data);
    }

    /// A literal's announcement and CRLF, for data the caller writes (or
    /// streams) next.
    pub fn literal_header(&mut self, size: u64, binary: bool) {
        if binary {
            self.out.put_u8(b'~');
        }
        self.out.put_u8(b'{');
        self.number(size);
        let non_sync = self.client && self.options.literals == LiteralMode::NonSync;
        if non_sync {
            self.out.put_u8(b'+');
        }
        self.raw(b"}\r\n");
        if self.client && !non_sync {
            self.breaks.push(self.out.len());
        }
    }

    /// A flag.
    pub fn flag(&mut self, flag: &Flag<'_>) {
        match flag {
            Flag::Answered => self.raw(b"\\Answered"),
            Flag::Flagged => self.raw(b"\\Flagged"),
            Flag::Deleted => self.raw(b"\\Deleted"),
            Flag::Seen => self.raw(b"\\Seen"),
            Flag::Draft => self.raw(b"\\Draft"),
            Flag::Recent => self.raw(b"\\Recent"),
            Flag::Keyword(a) => self.atom(a),
            Flag::Extension(a) => {
                self.raw(b"\\");
                self.atom(a);
            }
        }
    }

    /// A PERMANENTFLAGS element.
    pub fn flag_perm(&mut self, flag: &FlagPerm<'_>) {
        match flag {
            FlagPerm::Flag(f) => self.flag(f),
            FlagPerm::Wildcard => self.raw(b"\\*"),
        }
    }

    /// `( item SP item ... )`.
    pub fn paren_list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.raw(b"(");
        self.list(items, &mut item);
        self.raw(b")");
    }

    /// `item SP item ...` without parentheses.
    pub fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            item(self, x);
        }
    }

    /// A sequence set.
    pub fn sequence_set(&mut self, set: &SequenceSet) {
        match set {
            SequenceSet::Saved => self.raw(b"$"),
            SequenceSet::Ranges(ranges) => {
                for (i, r) in ranges.iter().enumerate() {
                    if i > 0 {
                        self.raw(b",");
                    }
                    self.seq_bound(r.start);
                    if r.end != r.start {
                        self.raw(b":");
                        self.seq_bound(r.end);
                    }
                }
            }
        }
    }

    fn seq_bound(&mut self, b: SeqBound) {
        match b {
            SeqBound::Value(n) => self.nz(n),
            SeqBound::Largest => self.raw(b"*"),
        }
    }

    /// A `date` (SEARCH), bare.
    pub fn date(&mut self, d: Date) {
        self.number(u64::from(d.day()));
        self.raw(b"-");
        self.raw(MONTHS[usize::from(d.month() - 1)].as_bytes());
        self.raw(b"-");
        self.padded(u64::from(d.year()), 4);
    }

    /// A quoted `date-time`.
    pub fn date_time(&mut self, t: DateTime) {
        self.raw(&date_time_text(t));
    }

    fn padded(&mut self, n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut i = digits.len();
        let mut n = n;
        while n > 0 || digits.len() - i < width {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.out.put_slice(&digits[i..]);
    }

    /// A `section` with its brackets.
    pub fn section(&mut self, section: &Section<'_>) {
        self.raw(b"[");
        self.section_part(&section.part);
        if let Some(text) = &section.text {
            if !section.part.is_empty() {
                self.raw(b".");
            }
            match text {
                SectionText::Header => self.raw(b"HEADER"),
                SectionText::Text => self.raw(b"TEXT"),
                SectionText::Mime => self.raw(b"MIME"),
                SectionText::HeaderFields(names) => {
                    self.raw(b"HEADER.FIELDS ");
                    self.paren_list(names, |w, n| w.astring(n));
                }
                SectionText::HeaderFieldsNot(names) => {
                    self.raw(b"HEADER.FIELDS.NOT ");
                    self.paren_list(names, |w, n| w.astring(n));
                }
            }
        }
        self.raw(b"]");
    }

    /// Part numbers joined by dots.
    pub fn section_part(&mut self, part: &[NonZeroU32]) {
        for (i, n) in part.iter().enumerate() {
            if i > 0 {
                self.raw(b".");
            }
            self.nz(*n);
        }
    }
}

/// `n` in decimal: the digits are `digits[start..]`.
#[inline]
pub(super) fn decimal(n: u64) -> ([u8; 20], usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (digits, i);
        }
    }
}

/// A quoted `date-time`, `"dd-Mon-yyyy hh:mm:ss +zzzz"` (a day below 10
/// after a space), in one piece.
pub(super) fn date_time_text(t: DateTime) -> [u8; 28] {
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
    text
}
