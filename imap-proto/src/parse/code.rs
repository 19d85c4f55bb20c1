//! Response codes: `[` resp-text-code `]`.

use crate::parse::cursor::{Cursor, PResult, ParseError};
use crate::parse::primitives::{self, invalid};
use crate::types::code::{Code, SIMPLE_CODES};
use crate::types::core::{Atom, Str, is_atom_char};

use super::capability;

/// `"[" resp-text-code "]"`. A known code whose data does not parse is
/// kept as [`Code::Other`] with its text, so that one server's quirk in
/// a code loses nothing and fails nothing.
pub(super) fn code<'a>(c: &mut Cursor<'a>) -> PResult<Code<'a>> {
    c.byte(b'[', "[")?;
    let name = primitives::atom(c)?;
    let after_name = c.pos;
    match known(c, &name) {
        Ok(Some(code)) if c.peek() == Some(b']') => {
            c.pos += 1;
            return Ok(code);
        }
        Ok(_) | Err(ParseError::Invalid { .. }) => c.pos = after_name,
        Err(e) => return Err(e),
    }
    let text = if c.eat(b' ') {
        Some(Str::new(
            c.take_while(|b| b != b']' && b != b'\r' && b != b'\n')?,
        ))
    } else {
        None
    };
    c.byte(b']', "] of a response code")?;
    Ok(Code::Other(name, text))
}

/// The code named `name` with its data, or `None` for an unknown name.
fn known<'a>(c: &mut Cursor<'a>, name: &Atom<'a>) -> PResult<Option<Code<'a>>> {
    let n = name.as_str();
    let is = |word: &str| n.eq_ignore_ascii_case(word);
    let code = if is("ALERT") {
        Code::Alert
    } else if is("BADCHARSET") {
        let mut charsets = Vec::new();
        if c.eat(b' ') {
            charsets = primitives::paren_list(c, 0, charset)?;
        }
        Code::BadCharset(charsets)
    } else if is("CAPABILITY") {
        let mut caps = Vec::new();
        while c.eat(b' ') {
            caps.push(capability::capability(c)?);
            c.check_items(caps.len())?;
        }
        Code::Capability(caps)
    } else if is("PARSE") {
        Code::Parse
    } else if is("PERMANENTFLAGS") {
        c.sp()?;
        Code::PermanentFlags(primitives::paren_list(c, 0, primitives::flag_perm)?)
    } else if is("READ-ONLY") {
        Code::ReadOnly
    } else if is("READ-WRITE") {
        Code::ReadWrite
    } else if is("TRYCREATE") {
        Code::TryCreate
    } else if is("UIDNEXT") {
        c.sp()?;
        Code::UidNext(primitives::nz_number(c)?)
    } else if is("UIDVALIDITY") {
        c.sp()?;
        Code::UidValidity(primitives::nz_number(c)?)
    } else if is("UNSEEN") {
        c.sp()?;
        Code::Unseen(primitives::nz_number(c)?)
    } else if is("APPENDUID") {
        c.sp()?;
        let uid_validity = primitives::nz_number(c)?;
        c.sp()?;
        Code::AppendUid {
            uid_validity,
            uids: primitives::sequence_set(c)?,
        }
    } else if is("COPYUID") {
        c.sp()?;
        let uid_validity = primitives::nz_number(c)?;
        c.sp()?;
        let source = primitives::sequence_set(c)?;
        c.sp()?;
        Code::CopyUid {
            uid_validity,
            source,
            destination: primitives::sequence_set(c)?,
        }
    } else if is("UIDNOTSTICKY") {
        Code::UidNotSticky
    } else if is("CLOSED") {
        Code::Closed
    } else if is("HIGHESTMODSEQ") {
        c.sp()?;
        Code::HighestModSeq(primitives::number64(c)?)
    } else if is("NOMODSEQ") {
        Code::NoModSeq
    } else if is("MODIFIED") {
        c.sp()?;
        Code::Modified(primitives::sequence_set(c)?)
    } else if is("COMPRESSIONACTIVE") {
        Code::CompressionActive
    } else if is("METADATA") {
        c.sp()?;
        metadata(c)?
    } else if is("TOOBIG") {
        Code::TooBig
    } else if is("UNKNOWN-CTE") {
        Code::UnknownCte
    } else if let Some((_, simple)) = SIMPLE_CODES.iter().find(|(word, _)| is(word)) {
        Code::Simple(*simple)
    } else {
        return Ok(None);
    };
    Ok(Some(code))
}

/// `METADATA` SP (`LONGENTRIES` SP number / `MAXSIZE` SP number /
/// `TOOMANY` / `NOPRIVATE`).
fn metadata<'a>(c: &mut Cursor<'a>) -> PResult<Code<'a>> {
    if c.keyword("LONGENTRIES") {
        c.sp()?;
        Ok(Code::MetadataLongEntries(primitives::number(c)?))
    } else if c.keyword("MAXSIZE") {
        c.sp()?;
        Ok(Code::MetadataMaxSize(primitives::number(c)?))
    } else if c.keyword("TOOMANY") {
        Ok(Code::MetadataTooMany)
    } else if c.keyword("NOPRIVATE") {
        Ok(Code::MetadataNoPrivate)
    } else {
        invalid(c.pos, "LONGENTRIES, MAXSIZE, TOOMANY or NOPRIVATE")
    }
}

/// `charset`: an atom or a string.
fn charset<'a>(c: &mut Cursor<'a>) -> PResult<Str<'a>> {
    match c.peek() {
        Some(b'"' | b'{') => primitives::string(c),
        _ => Ok(Str::new(c.take_while1(is_atom_char, "a charset")?)),
    }
}
