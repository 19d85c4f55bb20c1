//! The grammar's basic productions: numbers, strings, literals, flags,
//! sequence sets, dates, mailbox names.

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::cursor::{Cursor, Needed, PResult, ParseError};
use crate::types::core::{
    Atom, NString, Str, Tag, is_astring_char, is_atom_char, is_list_char, is_tag_char,
};
use crate::types::datetime::{Date, DateTime, MONTHS};
use crate::types::fetch::{Section, SectionText};
use crate::types::flag::{Flag, FlagPerm};
use crate::types::mailbox::Mailbox;
use crate::types::sequence::{SeqBound, SeqRange, SequenceSet};
use crate::types::status::{STATUS_ITEMS, StatusItem};

/// ASCII text of bytes the caller has checked to be ASCII.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

pub(crate) fn tag<'a>(c: &mut Cursor<'a>) -> PResult<Tag<'a>> {
    let t = c.take_while1(is_tag_char, "tag")?;
    Ok(Tag::unchecked(Cow::Borrowed(ascii(t))))
}

pub(crate) fn atom<'a>(c: &mut Cursor<'a>) -> PResult<Atom<'a>> {
    let a = c.take_while1(is_atom_char, "atom")?;
    Ok(Atom::unchecked(Cow::Borrowed(ascii(a))))
}

/// `number`: up to 32 bits.
pub(crate) fn number(c: &mut Cursor<'_>) -> PResult<u32> {
    let at = c.pos;
    let n = number64(c)?;
    u32::try_from(n).map_err(|_| ParseError::Invalid {
        at,
        expected: "a 32-bit number",
    })
}

/// `nz-number`.
pub(crate) fn nz_number(c: &mut Cursor<'_>) -> PResult<NonZeroU32> {
    let at = c.pos;
    NonZeroU32::new(number(c)?).ok_or(ParseError::Invalid {
        at,
        expected: "a non-zero number",
    })
}

/// `number64` (mod-sequences, sizes): up to 63 bits.
pub(crate) fn number64(c: &mut Cursor<'_>) -> PResult<u64> {
    let at = c.pos;
    let digits = c.take_while1(|b| b.is_ascii_digit(), "a number")?;
    let mut n: u64 = 0;
    for &d in digits {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or(ParseError::Invalid {
                at,
                expected: "a number within 63 bits",
            })?;
    }
    Ok(n)
}

/// `quoted`, unescaped.
pub(crate) fn quoted<'a>(c: &mut Cursor<'a>) -> PResult<Cow<'a, [u8]>> {
    c.byte(b'"', "a quoted string")?;
    let start = c.pos;
    let rest = c.rest();
    let mut owned: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'"' => {
                c.pos = start + i + 1;
                return Ok(match owned {
                    Some(v) => Cow::Owned(v),
                    None => Cow::Borrowed(&rest[..i]),
                });
            }
            b'\\' => {
                let Some(&next) = rest.get(i + 1) else { break };
                if next != b'"' && next != b'\\' {
                    return Err(ParseError::Invalid {
                        at: start + i,
                        expected: "\\\\ or \\\" in a quoted string",
                    });
                }
                owned.get_or_insert_with(|| rest[..i].to_vec()).push(next);
                i += 2;
            }
            b'\r' | b'\n' | 0 => {
                return Err(ParseError::Invalid {
                    at: start + i,
                    expected: "a quoted string without CR, LF or NUL",
                });
            }
            b => {
                if let Some(v) = owned.as_mut() {
                    v.push(b);
                }
                i += 1;
            }
        }
    }
    Err(ParseError::Incomplete(Needed::Line))
}

/// `literal` or `literal8` header and data: `[~]{n[+|-]}` CRLF data.
pub(crate) fn literal<'a>(
    c: &mut Cursor<'a>,
    allow_binary: bool,
) -> PResult<(Cow<'a, [u8]>, bool)> {
    let binary = allow_binary && c.eat(b'~');
    c.byte(b'{', "a literal")?;
    let size = number64(c)?;
    let sync = !(c.eat(b'+') || c.eat(b'-'));
    c.byte(b'}', "} of a literal")?;
    c.crlf()?;
    let at = c.pos;
    let available = (c.input.len() - at) as u64;
    if available < size {
        return Err(ParseError::Incomplete(Needed::Literal {
            at,
            size,
            sync,
            binary,
        }));
    }
    let data = &c.input[at..at + size as usize];
    if !binary && data.contains(&0) {
        return Err(ParseError::Invalid {
            at,
            expected: "a literal without NUL (only literal8 may hold it)",
        });
    }
    c.pos += size as usize;
    Ok((Cow::Borrowed(data), binary))
}

/// `string`: quoted or literal.
pub(crate) fn string<'a>(c: &mut Cursor<'a>) -> PResult<Str<'a>> {
    match c.peek() {
        Some(b'"') => Ok(Str::new(quoted(c)?)),
        Some(b'{') => Ok(Str::new(literal(c, false)?.0)),
        _ => c.fail("a string"),
    }
}

/// `astring`: 1*ASTRING-CHAR or string.
pub(crate) fn astring<'a>(c: &mut Cursor<'a>) -> PResult<Str<'a>> {
    match c.peek() {
        Some(b'"' | b'{') => string(c),
        _ => Ok(Str::new(c.take_while1(is_astring_char, "an astring")?)),
    }
}

/// `nstring`: NIL or string.
pub(crate) fn nstring<'a>(c: &mut Cursor<'a>) -> PResult<NString<'a>> {
    if c.keyword("NIL") {
        return Ok(None);
    }
    string(c).map(Some)
}

/// `mailbox`.
pub(crate) fn mailbox<'a>(c: &mut Cursor<'a>) -> PResult<Mailbox<'a>> {
    Ok(Mailbox::from(astring(c)?))
}

/// `list-mailbox`: 1*list-char or string.
pub(crate) fn list_mailbox<'a>(c: &mut Cursor<'a>) -> PResult<Str<'a>> {
    match c.peek() {
        Some(b'"' | b'{') => string(c),
        _ => Ok(Str::new(c.take_while1(is_list_char, "a list-mailbox")?)),
    }
}

/// A parenthesised, space-separated list of at least `min` items.
pub(crate) fn paren_list<'a, T>(
    c: &mut Cursor<'a>,
    min: usize,
    mut item: impl FnMut(&mut Cursor<'a>) -> PResult<T>,
) -> PResult<Vec<T>> {
    c.byte(b'(', "(")?;
    c.enter()?;
    let mut items = Vec::new();
    if !c.eat(b')') {
        loop {
            items.push(item(c)?);
            c.check_items(items.len())?;
            if c.eat(b')') {
                break;
            }
            c.sp()?;
        }
    }
    c.leave();
    if items.len() < min {
        return Err(ParseError::Invalid {
            at: c.pos - 1,
            expected: "a longer list",
        });
    }
    Ok(items)
}

/// Space-separated items after the first, while the next byte is SP and
/// `more` says an item follows.
pub(crate) fn space_separated<'a, T>(
    c: &mut Cursor<'a>,
    mut item: impl FnMut(&mut Cursor<'a>) -> PResult<T>,
) -> PResult<Vec<T>> {
    let mut items = vec![item(c)?];
    while c.peek() == Some(b' ') {
        c.pos += 1;
        items.push(item(c)?);
        c.check_items(items.len())?;
    }
    Ok(items)
}

/// A flag (`\Seen`, a keyword, `\Extension`); `\Recent` too.
pub(crate) fn flag<'a>(c: &mut Cursor<'a>) -> PResult<Flag<'a>> {
    if c.eat(b'\\') {
        let name = atom(c)?;
        let s = name.as_str();
        Ok(if s.eq_ignore_ascii_case("Answered") {
            Flag::Answered
        } else if s.eq_ignore_ascii_case("Flagged") {
            Flag::Flagged
        } else if s.eq_ignore_ascii_case("Deleted") {
            Flag::Deleted
        } else if s.eq_ignore_ascii_case("Seen") {
            Flag::Seen
        } else if s.eq_ignore_ascii_case("Draft") {
            Flag::Draft
        } else if s.eq_ignore_ascii_case("Recent") {
            Flag::Recent
        } else {
            Flag::Extension(name)
        })
    } else {
        Ok(Flag::Keyword(atom(c)?))
    }
}

/// A flag of PERMANENTFLAGS: a flag or `\*`.
pub(crate) fn flag_perm<'a>(c: &mut Cursor<'a>) -> PResult<FlagPerm<'a>> {
    if c.rest().starts_with(b"\\*") {
        c.pos += 2;
        return Ok(FlagPerm::Wildcard);
    }
    flag(c).map(FlagPerm::Flag)
}

/// `sequence-set` (or `$`).
pub(crate) fn sequence_set(c: &mut Cursor<'_>) -> PResult<SequenceSet> {
    if c.eat(b'$') {
        return Ok(SequenceSet::Saved);
    }
    let mut ranges = Vec::new();
    loop {
        let start = seq_bound(c)?;
        let end = if c.eat(b':') { seq_bound(c)? } else { start };
        ranges.push(SeqRange { start, end });
        c.check_items(ranges.len())?;
        if !c.eat(b',') {
            return Ok(SequenceSet::Ranges(ranges));
        }
    }
}

fn seq_bound(c: &mut Cursor<'_>) -> PResult<SeqBound> {
    if c.eat(b'*') {
        Ok(SeqBound::Largest)
    } else {
        nz_number(c).map(SeqBound::Value)
    }
}

/// `date`: `d-Mon-yyyy`, bare or quoted.
pub(crate) fn date(c: &mut Cursor<'_>) -> PResult<Date> {
    let quoted = c.eat(b'"');
    let d = date_text(c, false)?;
    if quoted {
        c.byte(b'"', "\" after a date")?;
    }
    Ok(d)
}

/// `date-day "-" date-month "-" date-year`; `fixed` requires the
/// two-character day of `date-time` (a space or a digit first).
fn date_text(c: &mut Cursor<'_>, fixed: bool) -> PResult<Date> {
    let at = c.pos;
    let day = if fixed {
        let day = match c.rest() {
            [b' ', d @ b'0'..=b'9', ..] => d - b'0',
            [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => (a - b'0') * 10 + (b - b'0'),
            [] | [b' ' | b'0'..=b'9'] => return c.fail("a day of two characters"),
            _ => return invalid(at, "a day of two characters"),
        };
        c.pos += 2;
        day
    } else {
        let digits = c.take_while1(|b| b.is_ascii_digit(), "a day")?;
        if digits.len() > 2 {
            return invalid(at, "a day of one or two digits");
        }
        digits.iter().fold(0, |n, d| n * 10 + (d - b'0'))
    };
    c.byte(b'-', "- in a date")?;
    let month_at = c.pos;
    let name = c
        .rest()
        .get(..3)
        .ok_or(ParseError::Incomplete(Needed::Line))?;
    let month = MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(name))
        .ok_or(ParseError::Invalid {
            at: month_at,
            expected: "a month name",
        })?;
    c.pos += 3;
    c.byte(b'-', "- in a date")?;
    let year_at = c.pos;
    let year = c.take_while1(|b| b.is_ascii_digit(), "a year")?;
    if year.len() != 4 {
        return invalid(year_at, "a year of four digits");
    }
    let year = year.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    Date::new(year, month as u8 + 1, day).ok_or(ParseError::Invalid {
        at,
        expected: "a date that exists",
    })
}

/// `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"`.
pub(crate) fn date_time(c: &mut Cursor<'_>) -> PResult<DateTime> {
    let at = c.pos;
    c.byte(b'"', "a quoted date-time")?;
    let date = date_text(c, true)?;
    c.sp()?;
    let hour = two_digits(c)?;
    c.byte(b':', ": in a time")?;
    let minute = two_digits(c)?;
    c.byte(b':', ": in a time")?;
    let second = two_digits(c)?;
    c.sp()?;
    let sign: i16 = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return c.fail("+ or - of a zone"),
    };
    c.pos += 1;
    let hh = i16::from(two_digits(c)?);
    let mm = i16::from(two_digits(c)?);
    c.byte(b'"', "\" after a date-time")?;
    if mm >= 60 {
        return invalid(at, "zone minutes below 60");
    }
    DateTime::new(date, hour, minute, second, sign * (hh * 60 + mm)).ok_or(ParseError::Invalid {
        at,
        expected: "a time in range",
    })
}

fn two_digits(c: &mut Cursor<'_>) -> PResult<u8> {
    let at = c.pos;
    match c.rest() {
        [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => {
            c.pos += 2;
            Ok((a - b'0') * 10 + (b - b'0'))
        }
        [] | [b'0'..=b'9'] => Err(ParseError::Incomplete(Needed::Line)),
        _ => invalid(at, "two digits"),
    }
}

pub(crate) fn invalid<T>(at: usize, expected: &'static str) -> PResult<T> {
    Err(ParseError::Invalid { at, expected })
}

/// `section`: `[` [part numbers] [`.`] [HEADER | HEADER.FIELDS[.NOT] (names)
/// | TEXT | MIME] `]`.
pub(crate) fn section<'a>(c: &mut Cursor<'a>) -> PResult<Section<'a>> {
    c.byte(b'[', "[ of a section")?;
    let mut section = Section::default();
    if c.eat(b']') {
        return Ok(section);
    }
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        section.part = section_part(c)?;
        if c.eat(b']') {
            return Ok(section);
        }
        c.byte(b'.', ". in a section")?;
        if c.keyword("MIME") {
            section.text = Some(SectionText::Mime);
            c.byte(b']', "] of a section")?;
            return Ok(section);
        }
    }
    section.text = Some(section_msgtext(c)?);
    c.byte(b']', "] of a section")?;
    Ok(section)
}

fn section_msgtext<'a>(c: &mut Cursor<'a>) -> PResult<SectionText<'a>> {
    if c.keyword("HEADER.FIELDS.NOT") {
        c.sp()?;
        Ok(SectionText::HeaderFieldsNot(paren_list(c, 1, astring)?))
    } else if c.keyword("HEADER.FIELDS") {
        c.sp()?;
        Ok(SectionText::HeaderFields(paren_list(c, 1, astring)?))
    } else if c.keyword("HEADER") {
        Ok(SectionText::Header)
    } else if c.keyword("TEXT") {
        Ok(SectionText::Text)
    } else {
        c.fail("HEADER, HEADER.FIELDS, TEXT or MIME")
    }
}

/// `section-part`: `nz-number *("." nz-number)`, stopping before a `.`
/// that is not followed by a digit.
pub(crate) fn section_part(c: &mut Cursor<'_>) -> PResult<Vec<NonZeroU32>> {
    let mut part = vec![nz_number(c)?];
    while c.peek() == Some(b'.') && c.rest().get(1).is_some_and(|b| b.is_ascii_digit()) {
        c.pos += 1;
        part.push(nz_number(c)?);
        c.check_items(part.len())?;
    }
    Ok(part)
}

/// `section-binary`: `[` [section-part] `]`.
pub(crate) fn section_binary(c: &mut Cursor<'_>) -> PResult<Vec<NonZeroU32>> {
    c.byte(b'[', "[ of a binary section")?;
    if c.eat(b']') {
        return Ok(Vec::new());
    }
    let part = section_part(c)?;
    c.byte(b']', "] of a binary section")?;
    Ok(part)
}

/// A STATUS item's name.
pub(crate) fn status_item(c: &mut Cursor<'_>) -> PResult<StatusItem> {
    let at = c.pos;
    let name = c.take_while1(is_atom_char, "a status item")?;
    STATUS_ITEMS
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, item)| *item)
        .ok_or(ParseError::Invalid {
            at,
            expected: "a status item",
        })
}

/// ID's parameters: NIL or `(` [string SP nstring *(SP string SP
/// nstring)] `)`.
#[allow(clippy::type_complexity)]
pub(crate) fn id<'a>(c: &mut Cursor<'a>) -> PResult<Option<Vec<(Str<'a>, Option<Str<'a>>)>>> {
    if c.keyword("NIL") {
        return Ok(None);
    }
    pairs(c).map(Some)
}

/// `(` [string SP value *(SP string SP value)] `)`: ID parameters and
/// METADATA entries (whose values may be literal8).
#[allow(clippy::type_complexity)]
pub(crate) fn pairs<'a>(c: &mut Cursor<'a>) -> PResult<Vec<(Str<'a>, Option<Str<'a>>)>> {
    c.byte(b'(', "(")?;
    c.enter()?;
    let mut list = Vec::new();
    if !c.eat(b')') {
        loop {
            let key = astring(c)?;
            c.sp()?;
            let value = if c.peek() == Some(b'~') {
                Some(Str::new(literal(c, true)?.0))
            } else {
                nstring(c)?
            };
            list.push((key, value));
            c.check_items(list.len())?;
            if c.eat(b')') {
                break;
            }
            c.sp()?;
        }
    }
    c.leave();
    Ok(list)
}
