//! FETCH (attributes, sections, partials, CONDSTORE/QRESYNC modifiers) and
//! STORE (with UNCHANGEDSINCE).

use std::borrow::Cow;

use crate::parse::cursor::{Cursor, PResult, ParseError};
use crate::parse::primitives::{self, invalid};
use crate::types::command::CommandBody;
use crate::types::core::{Atom, is_atom_char};
use crate::types::fetch::{FetchAttribute, FetchAttributes, FetchModifiers, Partial};
use crate::types::flag::StoreMode;

use super::{kw, word};

/// After `[UID] FETCH`: `SP sequence-set SP (macro / att / "(" att *(SP
/// att) ")") [SP "(" modifier *(SP modifier) ")"]`.
pub(super) fn fetch<'a>(c: &mut Cursor<'a>, uid: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let set = primitives::sequence_set(c)?;
    c.sp()?;
    let attributes = if c.peek() == Some(b'(') {
        FetchAttributes::List(primitives::paren_list(c, 1, |c| attribute(c, true))?)
    } else {
        let start = c.pos;
        let (name, _) = word(c, is_name_char, "a FETCH attribute")?;
        match name {
            kw::ALL => FetchAttributes::All,
            kw::FAST => FetchAttributes::Fast,
            kw::FULL => FetchAttributes::Full,
            _ => {
                c.pos = start;
                FetchAttributes::List(vec![attribute(c, false)?])
            }
        }
    };
    let mut modifiers = FetchModifiers::default();
    if c.eat(b' ') {
        primitives::paren_list(c, 1, |c| modifier(c, &mut modifiers))?;
    }
    Ok(CommandBody::Fetch {
        uid,
        set,
        attributes,
        modifiers,
    })
}

/// Atom characters but `[`: an attribute's name ends before `[`, which
/// is an atom character.
fn is_name_char(b: u8) -> bool {
    is_atom_char(b) && b != b'['
}

/// One attribute; `in_list` when inside parentheses, where an unknown
/// attribute may take modifiers of its own.
pub(super) fn attribute<'a>(c: &mut Cursor<'a>, in_list: bool) -> PResult<FetchAttribute<'a>> {
    let (name, at) = word(c, is_name_char, "a FETCH attribute")?;
    Ok(match name {
        kw::UID => FetchAttribute::Uid,
        kw::FLAGS => FetchAttribute::Flags,
        kw::INTERNALDATE => FetchAttribute::InternalDate,
        kw::RFC822_SIZE => FetchAttribute::Rfc822Size,
        kw::ENVELOPE => FetchAttribute::Envelope,
        kw::BODYSTRUCTURE => FetchAttribute::BodyStructure,
        kw::MODSEQ => FetchAttribute::ModSeq,
        kw::RFC822 => FetchAttribute::Rfc822,
        kw::RFC822_HEADER => FetchAttribute::Rfc822Header,
        kw::RFC822_TEXT => FetchAttribute::Rfc822Text,
        kw::BODY if c.peek() != Some(b'[') => FetchAttribute::Body,
        kw::BODY | kw::BODY_PEEK => FetchAttribute::BodySection {
            peek: name == kw::BODY_PEEK,
            section: primitives::section(c)?,
            partial: partial(c)?,
        },
        kw::BINARY | kw::BINARY_PEEK => FetchAttribute::Binary {
            peek: name == kw::BINARY_PEEK,
            part: primitives::section_binary(c)?,
            partial: partial(c)?,
        },
        kw::BINARY_SIZE => FetchAttribute::BinarySize {
            part: primitives::section_binary(c)?,
        },
        kw::SAVEDATE => FetchAttribute::SaveDate,
        kw::PREVIEW => {
            // `(LAZY)` is the only preview modifier, and no FETCH modifier.
            let lazy = c.rest().len() > 7 && c.rest()[..7].eq_ignore_ascii_case(b" (LAZY)");
            c.pos += if lazy { 7 } else { 0 };
            FetchAttribute::Preview { lazy }
        }
        _ if KNOWN_WITH_SECTION.contains(&name) => return invalid(at, "a FETCH attribute"),
        _ => {
            let name = Atom::new(Cow::Borrowed(
                std::str::from_utf8(&c.input[at..c.pos]).unwrap_or_default(),
            ))
            .ok_or(ParseError::Invalid {
                at,
                expected: "a FETCH attribute",
            })?;
            let mut modifiers = Vec::new();
            if in_list && c.rest().starts_with(b" (") {
                c.pos += 1;
                modifiers = primitives::paren_list(c, 1, primitives::atom)?;
            }
            FetchAttribute::Other { name, modifiers }
        }
    })
}

/// Names that need a section or a value: never an unknown attribute.
const KNOWN_WITH_SECTION: [u128; 5] = [
    kw::BODY_PEEK,
    kw::BINARY,
    kw::BINARY_PEEK,
    kw::BINARY_SIZE,
    kw::BODY,
];

/// `"<" number "." nz-number ">"`, if present.
fn partial(c: &mut Cursor<'_>) -> PResult<Option<Partial>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let offset = primitives::number(c)?;
    c.byte(b'.', ". of a partial")?;
    let length = primitives::nz_number(c)?;
    c.byte(b'>', "> of a partial")?;
    Ok(Some(Partial { offset, length }))
}

/// `CHANGEDSINCE SP mod-sequence-value` or `VANISHED` (RFC 7162).
fn modifier(c: &mut Cursor<'_>, modifiers: &mut FetchModifiers) -> PResult<()> {
    let (name, at) = word(c, is_name_char, "CHANGEDSINCE or VANISHED")?;
    match name {
        kw::CHANGEDSINCE => {
            c.sp()?;
            modifiers.changed_since = Some(primitives::number64(c)?);
        }
        kw::VANISHED => modifiers.vanished = true,
        _ => return invalid(at, "CHANGEDSINCE or VANISHED"),
    }
    Ok(())
}

/// After `[UID] STORE`: `SP sequence-set [SP "(" "UNCHANGEDSINCE" SP
/// mod-sequence-valzer ")"] SP ["+" / "-"] "FLAGS" [".SILENT"] SP
/// (flag-list / flag *(SP flag))`.
pub(super) fn store<'a>(c: &mut Cursor<'a>, uid: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let set = primitives::sequence_set(c)?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.eat(b'(') {
        c.enter()?;
        let (name, at) = word(c, is_name_char, "UNCHANGEDSINCE")?;
        if name != kw::UNCHANGEDSINCE {
            return invalid(at, "UNCHANGEDSINCE");
        }
        c.sp()?;
        unchanged_since = Some(primitives::number64(c)?);
        c.byte(b')', ") of STORE modifiers")?;
        c.leave();
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    let (name, at) = word(c, is_name_char, "FLAGS")?;
    let silent = match name {
        kw::FLAGS => false,
        kw::FLAGS_SILENT => true,
        _ => return invalid(at, "FLAGS or FLAGS.SILENT"),
    };
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        primitives::paren_list(c, 0, primitives::flag)?
    } else {
        primitives::space_separated(c, primitives::flag)?
    };
    Ok(CommandBody::Store {
        uid,
        set,
        unchanged_since,
        mode,
        silent,
        flags,
    })
}
