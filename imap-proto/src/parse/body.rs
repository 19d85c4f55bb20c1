//! ENVELOPE and BODYSTRUCTURE (and BODY), nested to any depth the limits
//! allow.

use crate::parse::cursor::{Cursor, PResult};
use crate::parse::primitives::{self, invalid};
use crate::types::body::{
    Address, BodyExtension, BodyStructure, Envelope, ExtensionTail, LanguageTail, LocationTail,
    MultiPartExtension, SingleKind, SinglePart, SinglePartExtension,
};
use crate::types::core::{NString, Str};

/// `envelope`.
pub(crate) fn envelope<'a>(c: &mut Cursor<'a>) -> PResult<Envelope<'a>> {
    c.byte(b'(', "( of an envelope")?;
    c.enter()?;
    let date = primitives::nstring(c)?;
    c.sp()?;
    let subject = primitives::nstring(c)?;
    c.sp()?;
    let from = addresses(c)?;
    c.sp()?;
    let sender = addresses(c)?;
    c.sp()?;
    let reply_to = addresses(c)?;
    c.sp()?;
    let to = addresses(c)?;
    c.sp()?;
    let cc = addresses(c)?;
    c.sp()?;
    let bcc = addresses(c)?;
    c.sp()?;
    let in_reply_to = primitives::nstring(c)?;
    c.sp()?;
    let message_id = primitives::nstring(c)?;
    c.byte(b')', ") of an envelope")?;
    c.leave();
    Ok(Envelope {
        date,
        subject,
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to,
        message_id,
    })
}

/// `"(" 1*address ")" / nil`; `()` is read as NIL.
fn addresses<'a>(c: &mut Cursor<'a>) -> PResult<Vec<Address<'a>>> {
    if c.keyword("NIL") {
        return Ok(Vec::new());
    }
    c.byte(b'(', "( of an address list")?;
    c.enter()?;
    let mut list = Vec::new();
    while c.peek() == Some(b'(') {
        list.push(address(c)?);
        c.check_items(list.len())?;
    }
    c.byte(b')', ") of an address list")?;
    c.leave();
    Ok(list)
}

fn address<'a>(c: &mut Cursor<'a>) -> PResult<Address<'a>> {
    c.byte(b'(', "( of an address")?;
    let name = primitives::nstring(c)?;
    c.sp()?;
    let adl = primitives::nstring(c)?;
    c.sp()?;
    let mailbox = primitives::nstring(c)?;
    c.sp()?;
    let host = primitives::nstring(c)?;
    c.byte(b')', ") of an address")?;
    Ok(Address {
        name,
        adl,
        mailbox,
        host,
    })
}

/// `body`: a single part or a multipart, with or without extension data.
pub(crate) fn body<'a>(c: &mut Cursor<'a>) -> PResult<BodyStructure<'a>> {
    c.byte(b'(', "( of a body")?;
    c.enter()?;
    let body = if c.peek() == Some(b'(') {
        multipart(c)?
    } else {
        single(c)?
    };
    c.byte(b')', ") of a body")?;
    c.leave();
    Ok(body)
}

fn multipart<'a>(c: &mut Cursor<'a>) -> PResult<BodyStructure<'a>> {
    let mut parts = Vec::new();
    while c.peek() == Some(b'(') {
        parts.push(body(c)?);
        c.check_items(parts.len())?;
    }
    c.sp()?;
    let subtype = primitives::string(c)?;
    let extension = if c.eat(b' ') {
        let params = params(c)?;
        Some(MultiPartExtension {
            params,
            tail: tail(c)?,
        })
    } else {
        None
    };
    Ok(BodyStructure::Multi {
        parts,
        subtype,
        extension,
    })
}

/// A non-multipart part. TEXT without its line count and MESSAGE/RFC822
/// without its envelope are read as basic parts: some servers send them
/// so, and the extension data that may follow cannot be mistaken for the
/// missing fields (an nstring never starts with a digit or `(`).
fn single<'a>(c: &mut Cursor<'a>) -> PResult<BodyStructure<'a>> {
    let media_type = primitives::string(c)?;
    c.sp()?;
    let subtype = primitives::string(c)?;
    c.sp()?;
    let params = params(c)?;
    c.sp()?;
    let id = primitives::nstring(c)?;
    c.sp()?;
    let description = primitives::nstring(c)?;
    c.sp()?;
    let encoding = primitives::string(c)?;
    c.sp()?;
    let size = primitives::number(c)?;
    let next = c.rest().get(..2);
    let kind = if media_type.as_bytes().eq_ignore_ascii_case(b"TEXT")
        && next.is_some_and(|n| n[0] == b' ' && n[1].is_ascii_digit())
    {
        c.pos += 1;
        SingleKind::Text {
            subtype,
            lines: primitives::number(c)?,
        }
    } else if media_type.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
        && (subtype.as_bytes().eq_ignore_ascii_case(b"RFC822")
            || subtype.as_bytes().eq_ignore_ascii_case(b"GLOBAL"))
        && next == Some(b" (")
    {
        c.pos += 1;
        let envelope = Box::new(envelope(c)?);
        c.sp()?;
        let body = Box::new(body(c)?);
        c.sp()?;
        SingleKind::Message {
            subtype,
            envelope,
            body,
            lines: primitives::number(c)?,
        }
    } else {
        SingleKind::Basic {
            media_type,
            subtype,
        }
    };
    let extension = if c.eat(b' ') {
        let md5 = primitives::nstring(c)?;
        Some(SinglePartExtension {
            md5,
            tail: tail(c)?,
        })
    } else {
        None
    };
    Ok(BodyStructure::Single {
        body: SinglePart {
            kind,
            params,
            id,
            description,
            encoding,
            size,
        },
        extension,
    })
}

/// `body-fld-param`: NIL or `(` string SP string ... `)` (`()` too).
fn params<'a>(c: &mut Cursor<'a>) -> PResult<Vec<(Str<'a>, Str<'a>)>> {
    if c.keyword("NIL") {
        return Ok(Vec::new());
    }
    primitives::paren_list(c, 0, |c| {
        let name = primitives::string(c)?;
        c.sp()?;
        Ok((name, primitives::string(c)?))
    })
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP
/// body-extension)]]]`.
fn tail<'a>(c: &mut Cursor<'a>) -> PResult<Option<ExtensionTail<'a>>> {
    if !c.eat(b' ') {
        return Ok(None);
    }
    let disposition = if c.keyword("NIL") {
        None
    } else {
        c.byte(b'(', "( of a disposition")?;
        c.enter()?;
        let kind = primitives::string(c)?;
        c.sp()?;
        let params = params(c)?;
        c.byte(b')', ") of a disposition")?;
        c.leave();
        Some((kind, params))
    };
    let language = if c.eat(b' ') {
        let languages = if c.peek() == Some(b'(') {
            primitives::paren_list(c, 0, primitives::string)?
        } else {
            primitives::nstring(c)?.into_iter().collect()
        };
        let location = if c.eat(b' ') {
            let location = primitives::nstring(c)?;
            let mut extensions = Vec::new();
            while c.eat(b' ') {
                extensions.push(extension(c)?);
                c.check_items(extensions.len())?;
            }
            Some(LocationTail {
                location,
                extensions,
            })
        } else {
            None
        };
        Some(LanguageTail {
            languages,
            location,
        })
    } else {
        None
    };
    Ok(Some(ExtensionTail {
        disposition,
        language,
    }))
}

/// `body-extension`: nstring, number or a non-empty list of them.
fn extension<'a>(c: &mut Cursor<'a>) -> PResult<BodyExtension<'a>> {
    match c.peek() {
        Some(b'(') => primitives::paren_list(c, 1, extension).map(BodyExtension::List),
        Some(b) if b.is_ascii_digit() => primitives::number(c).map(BodyExtension::Number),
        _ => {
            let at = c.pos;
            let s: NString<'a> = primitives::nstring(c).or_else(|e| match e {
                crate::parse::ParseError::Invalid { .. } => {
                    invalid(at, "a body extension (nstring, number or list)")
                }
                e => Err(e),
            })?;
            Ok(BodyExtension::String(s))
        }
    }
}
