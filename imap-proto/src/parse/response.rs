//! Responses, as a client reads them: one response from complete input.
//!
//! The productions are split by concept into sibling files (declared here
//! so that `parse/mod.rs` needs a single line): codes, capabilities,
//! ENVELOPE and BODYSTRUCTURE, FETCH items, and the other untagged data.

#[path = "body.rs"]
mod body;
#[path = "response_capability.rs"]
mod capability;
#[path = "code.rs"]
mod code;
#[path = "response_data.rs"]
mod data;
#[path = "response_fetch.rs"]
mod fetch;

use std::borrow::Cow;

use super::cursor::{Cursor, PResult, ParseError, ParseLimits};
use super::primitives;
use crate::types::code::Code;
use crate::types::response::{Continue, Data, Response, StatusKind, StatusResponse};

/// One response from the start of `input` through its CRLF (literal data
/// included), and the number of bytes it took.
///
/// `input` must hold the whole response: a literal whose data is not all
/// there fails with [`ParseError::Incomplete`] naming the literal, a
/// response cut short elsewhere with `Incomplete(Needed::Line)`. Keywords
/// are read without regard to case; whatever else departs from RFC 9051
/// (or RFC 3501 and the extensions) is [`ParseError::Invalid`], but for
/// the forms real servers send: an empty text with or without its SP
/// (`* OK [READ-WRITE]`), a bare `+`, NIL as section data, a code whose
/// data does not parse (kept as [`Code::Other`]), a text that opens with
/// a `[` that is no code (all text), MESSAGE/RFC822 or TEXT parts without
/// their envelope or lines (basic parts).
///
/// ```
/// use imap_proto::parse::{ParseLimits, response};
/// use imap_proto::types::response::{Data, Response};
/// let (r, n) = response(b"* 23 EXISTS\r\n* 1 RECENT\r\n", ParseLimits::default()).unwrap();
/// assert_eq!(r, Response::Data(Data::Exists(23)));
/// assert_eq!(n, 13);
/// ```
pub fn response<'a>(
    input: &'a [u8],
    limits: ParseLimits,
) -> Result<(Response<'a>, usize), ParseError> {
    let mut c = Cursor::new(input, limits);
    let r = any_response(&mut c)?;
    Ok((r, c.pos))
}

fn any_response<'a>(c: &mut Cursor<'a>) -> PResult<Response<'a>> {
    match c.peek() {
        Some(b'+') => {
            c.pos += 1;
            continue_req(c).map(Response::Continue)
        }
        Some(b'*') => {
            c.pos += 1;
            c.sp()?;
            untagged(c)
        }
        _ => {
            let tag = primitives::tag(c)?;
            c.sp()?;
            let at = c.pos;
            let kind = match status_kind(c)? {
                Some(k @ (StatusKind::Ok | StatusKind::No | StatusKind::Bad)) => k,
                _ => return primitives::invalid(at, "OK, NO or BAD"),
            };
            let (code, text) = resp_text(c)?;
            Ok(Response::Status(StatusResponse {
                tag: Some(tag),
                kind,
                code,
                text,
            }))
        }
    }
}

/// The status word, if the next word is one (the cursor then after it).
fn status_kind(c: &mut Cursor<'_>) -> PResult<Option<StatusKind>> {
    const KINDS: [(&str, StatusKind); 5] = [
        ("OK", StatusKind::Ok),
        ("NO", StatusKind::No),
        ("BAD", StatusKind::Bad),
        ("PREAUTH", StatusKind::PreAuth),
        ("BYE", StatusKind::Bye),
    ];
    let start = c.pos;
    let word = c.take_while1(crate::types::core::is_atom_char, "a response")?;
    match KINDS
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
    {
        Some((_, kind)) => Ok(Some(*kind)),
        None => {
            c.pos = start;
            Ok(None)
        }
    }
}

fn untagged<'a>(c: &mut Cursor<'a>) -> PResult<Response<'a>> {
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        return data::numbered(c).map(Response::Data);
    }
    if let Some(kind) = status_kind(c)? {
        let (code, text) = resp_text(c)?;
        return Ok(Response::Status(StatusResponse {
            tag: None,
            kind,
            code,
            text,
        }));
    }
    let d: Data<'a> = data::keyword_data(c)?;
    c.crlf()?;
    Ok(Response::Data(d))
}

/// `[SP ["[" resp-text-code "]" [SP]] [text]] CRLF` after a status word:
/// RFC 9051's `SP resp-text` with text optional, and leniently without
/// the SP when nothing follows.
fn resp_text<'a>(c: &mut Cursor<'a>) -> PResult<(Option<Code<'a>>, Cow<'a, str>)> {
    if c.peek() == Some(b'\r') {
        c.crlf()?;
        return Ok((None, Cow::Borrowed("")));
    }
    c.sp()?;
    code_and_text(c)
}

/// The code (if a valid one opens the text), the text, and CRLF.
fn code_and_text<'a>(c: &mut Cursor<'a>) -> PResult<(Option<Code<'a>>, Cow<'a, str>)> {
    let mut code = None;
    if c.peek() == Some(b'[') {
        let start = c.pos;
        match code::code(c) {
            Ok(parsed) if matches!(c.peek(), Some(b' ' | b'\r')) => {
                c.eat(b' ');
                code = Some(parsed);
            }
            // Not a code after all: a text that starts with `[`.
            Ok(_) | Err(ParseError::Invalid { .. }) => c.pos = start,
            Err(e) => return Err(e),
        }
    }
    let text = text(c)?;
    c.crlf()?;
    Ok((code, text))
}

/// Everything up to CR (possibly nothing); text that is not UTF-8 is
/// kept with replacement characters.
fn text<'a>(c: &mut Cursor<'a>) -> PResult<Cow<'a, str>> {
    let bytes = c.take_while(|b| b != b'\r' && b != b'\n')?;
    Ok(match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    })
}

/// After `+`: `SP (resp-text / base64) CRLF`, or a bare CRLF.
fn continue_req<'a>(c: &mut Cursor<'a>) -> PResult<Continue<'a>> {
    if c.peek() == Some(b'\r') {
        c.crlf()?;
        return Ok(Continue::Base64(Cow::Borrowed(&[])));
    }
    c.sp()?;
    let start = c.pos;
    let line = c.take_while(|b| b != b'\r' && b != b'\n')?;
    if is_base64(line) {
        c.crlf()?;
        return Ok(Continue::Base64(Cow::Borrowed(line)));
    }
    c.pos = start;
    let (code, text) = code_and_text(c)?;
    Ok(Continue::Text { code, text })
}

/// `base64`: groups of four, `=` padding only at the end.
fn is_base64(b: &[u8]) -> bool {
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&x| x == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&x| x.is_ascii_alphanumeric() || x == b'+' || x == b'/')
}
