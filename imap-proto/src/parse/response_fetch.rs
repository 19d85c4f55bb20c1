//! FETCH data: `msg-att`.

use std::borrow::Cow;

use crate::parse::cursor::{Cursor, PResult, ParseError};
use crate::parse::primitives::{self, invalid};
use crate::types::core::{Atom, Str, is_atom_char};
use crate::types::response::FetchItem;

use super::body;

/// `"(" msg-att-item *(SP msg-att-item) ")"`.
pub(super) fn msg_att<'a>(c: &mut Cursor<'a>) -> PResult<Vec<FetchItem<'a>>> {
    primitives::paren_list(c, 1, item)
}

fn item<'a>(c: &mut Cursor<'a>) -> PResult<FetchItem<'a>> {
    let at = c.pos;
    // `[` is an atom character: the name of `BODY[...]` ends before it.
    let name = c.take_while1(|b| is_atom_char(b) && b != b'[', "a FETCH item")?;
    let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
    Ok(if is("FLAGS") {
        c.sp()?;
        FetchItem::Flags(primitives::paren_list(c, 0, primitives::flag)?)
    } else if is("UID") {
        c.sp()?;
        FetchItem::Uid(primitives::nz_number(c)?)
    } else if is("BODY") {
        if c.peek() == Some(b'[') {
            let section = primitives::section(c)?;
            let origin = origin(c)?;
            c.sp()?;
            FetchItem::BodySection {
                section,
                origin,
                data: primitives::nstring(c)?,
            }
        } else {
            c.sp()?;
            FetchItem::Body(Box::new(body::body(c)?))
        }
    } else if is("BODYSTRUCTURE") {
        c.sp()?;
        FetchItem::BodyStructure(Box::new(body::body(c)?))
    } else if is("ENVELOPE") {
        c.sp()?;
        FetchItem::Envelope(Box::new(body::envelope(c)?))
    } else if is("INTERNALDATE") {
        c.sp()?;
        FetchItem::InternalDate(primitives::date_time(c)?)
    } else if is("RFC822.SIZE") {
        c.sp()?;
        FetchItem::Rfc822Size(primitives::number64(c)?)
    } else if is("MODSEQ") {
        c.sp()?;
        c.byte(b'(', "( of MODSEQ")?;
        let n = primitives::number64(c)?;
        c.byte(b')', ") of MODSEQ")?;
        FetchItem::ModSeq(n)
    } else if is("BINARY") {
        let part = primitives::section_binary(c)?;
        let origin = origin(c)?;
        c.sp()?;
        let data = if c.peek() == Some(b'~') {
            Some(Str::new(primitives::literal(c, true)?.0))
        } else {
            primitives::nstring(c)?
        };
        FetchItem::Binary { part, origin, data }
    } else if is("BINARY.SIZE") {
        let part = primitives::section_binary(c)?;
        c.sp()?;
        FetchItem::BinarySize {
            part,
            size: primitives::number64(c)?,
        }
    } else if is("RFC822") {
        c.sp()?;
        FetchItem::Rfc822(primitives::nstring(c)?)
    } else if is("RFC822.HEADER") {
        c.sp()?;
        FetchItem::Rfc822Header(primitives::nstring(c)?)
    } else if is("RFC822.TEXT") {
        c.sp()?;
        FetchItem::Rfc822Text(primitives::nstring(c)?)
    } else if is("SAVEDATE") {
        c.sp()?;
        FetchItem::SaveDate(if c.keyword("NIL") {
            None
        } else {
            Some(primitives::date_time(c)?)
        })
    } else if is("PREVIEW") {
        c.sp()?;
        FetchItem::Preview(primitives::nstring(c)?)
    } else if KNOWN.iter().any(|k| is(k)) || name.contains(&b'[') {
        // A known item with a malformed value, never an unknown item.
        return invalid(at, "a FETCH item");
    } else {
        c.sp()?;
        FetchItem::Other {
            name: Atom::new(Cow::Borrowed(std::str::from_utf8(name).unwrap_or_default())).ok_or(
                ParseError::Invalid {
                    at,
                    expected: "a FETCH item",
                },
            )?,
            value: super::data::tagged_ext_val(c)?,
        }
    })
}

/// The items the parser knows (the others are kept as `Other`).
const KNOWN: [&str; 16] = [
    "FLAGS",
    "UID",
    "BODY",
    "BODY.PEEK",
    "BODYSTRUCTURE",
    "ENVELOPE",
    "INTERNALDATE",
    "RFC822.SIZE",
    "MODSEQ",
    "BINARY",
    "BINARY.SIZE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "SAVEDATE",
    "PREVIEW",
];

/// `["<" number ">"]` after a section.
fn origin(c: &mut Cursor<'_>) -> PResult<Option<u32>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let n = primitives::number(c)?;
    c.byte(b'>', "> of an origin")?;
    Ok(Some(n))
}
