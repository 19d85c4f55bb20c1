//! Commands, as a server reads them: one command from complete input.
//!
//! The productions are split by concept into sibling files (declared here
//! so that `parse/mod.rs` needs a single line): mailbox commands (SELECT,
//! LIST, STATUS, APPEND, quota, metadata, ACL), search keys (SEARCH, SORT,
//! THREAD), FETCH and STORE, and NOTIFY.

#[path = "command_fetch.rs"]
mod fetch;
#[path = "command_keywords.rs"]
mod kw;
#[path = "command_mailbox.rs"]
mod mailbox;
#[path = "command_notify.rs"]
mod notify;
#[path = "command_search.rs"]
mod search;

use std::borrow::Cow;

use super::cursor::{Cursor, PResult, ParseError, ParseLimits};
use super::primitives::{self, invalid};
use crate::types::command::{Command, CommandBody};

/// One command from the start of `input` through its CRLF (literal data
/// included), and the number of bytes it took.
///
/// `input` must hold the whole command: a literal whose data is not all
/// there fails with [`ParseError::Incomplete`] naming the literal (its
/// offset, size, and whether the client waits for a continuation
/// request), a command cut short elsewhere with `Incomplete(Needed::Line)`.
/// Command names and keywords are read without regard to case; whatever
/// departs from RFC 9051, RFC 3501 or the extensions of this crate is
/// [`ParseError::Invalid`] (an unknown command too), and nesting or list
/// lengths beyond `limits` fail with [`ParseError::TooDeep`] or
/// [`ParseError::TooManyItems`].
///
/// ```
/// use imap_proto::parse::{ParseLimits, command};
/// use imap_proto::types::command::CommandBody;
/// let (cmd, n) = command(b"a1 LOGIN alice \"pass word\"\r\n", ParseLimits::default()).unwrap();
/// assert_eq!(cmd.tag.as_str(), "a1");
/// assert!(matches!(cmd.body, CommandBody::Login { .. }));
/// assert_eq!(n, 28);
/// ```
pub fn command<'a>(
    input: &'a [u8],
    limits: ParseLimits,
) -> Result<(Command<'a>, usize), ParseError> {
    let mut c = Cursor::new(input, limits);
    let tag = primitives::tag(&mut c)?;
    c.sp()?;
    let body = body(&mut c)?;
    c.crlf()?;
    Ok((Command { tag, body }, c.pos))
}

/// The next word of bytes satisfying `f` as a keyword number
/// ([`kw::key`]), and where it began.
pub(super) fn word(
    c: &mut Cursor<'_>,
    f: impl Fn(u8) -> bool,
    expected: &'static str,
) -> PResult<(u128, usize)> {
    let at = c.pos;
    let run = c.take_while1(f, expected)?;
    Ok((kw::key(run), at))
}

/// `SP astring`.
pub(super) fn sp_astring<'a>(c: &mut Cursor<'a>) -> PResult<crate::types::core::Str<'a>> {
    c.sp()?;
    primitives::astring(c)
}

fn body<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    let (name, at) = word(c, crate::types::core::is_atom_char, "a command")?;
    Ok(match name {
        kw::CAPABILITY => CommandBody::Capability,
        kw::NOOP => CommandBody::Noop,
        kw::LOGOUT => CommandBody::Logout,
        kw::STARTTLS => CommandBody::StartTls,
        kw::IDLE => CommandBody::Idle,
        kw::CHECK => CommandBody::Check,
        kw::CLOSE => CommandBody::Close,
        kw::UNSELECT => CommandBody::Unselect,
        kw::EXPUNGE => CommandBody::Expunge,
        kw::NAMESPACE => CommandBody::Namespace,
        kw::UNAUTHENTICATE => CommandBody::Unauthenticate,
        kw::LOGIN => {
            c.sp()?;
            let username = primitives::astring(c)?;
            c.sp()?;
            let password = primitives::astring(c)?;
            CommandBody::Login { username, password }
        }
        kw::AUTHENTICATE => authenticate(c)?,
        kw::ID => {
            c.sp()?;
            CommandBody::Id(primitives::id(c)?)
        }
        kw::ENABLE => {
            c.sp()?;
            CommandBody::Enable(primitives::space_separated(c, primitives::atom)?)
        }
        kw::COMPRESS => {
            c.sp()?;
            CommandBody::Compress(primitives::atom(c)?)
        }
        kw::UID => {
            c.sp()?;
            uid(c)?
        }
        kw::FETCH => fetch::fetch(c, false)?,
        kw::STORE => fetch::store(c, false)?,
        kw::COPY => copy_or_move(c, false, false)?,
        kw::MOVE => copy_or_move(c, false, true)?,
        kw::SEARCH => search::search(c, false)?,
        kw::SORT => search::sort(c, false)?,
        kw::THREAD => search::thread(c, false)?,
        _ => match mailbox::command(c, name)? {
            Some(body) => body,
            None if matches!(c.input[at], b'X' | b'x') => experimental(c, at)?,
            None => return invalid(at, "a command"),
        },
    })
}

/// `X<atom> [SP arguments]`: the arguments are the rest of the line.
fn experimental<'a>(c: &mut Cursor<'a>, at: usize) -> PResult<CommandBody<'a>> {
    let name = crate::types::core::Atom::new(Cow::Borrowed(
        std::str::from_utf8(&c.input[at..c.pos]).unwrap_or_default(),
    ))
    .ok_or(ParseError::Invalid {
        at,
        expected: "a command",
    })?;
    let mut arguments: &[u8] = &[];
    if c.eat(b' ') {
        arguments = c.take_while(|b| b != b'\r' && b != b'\n')?;
    }
    if arguments.ends_with(b"}") {
        // It may announce a literal, which the raw arguments cannot hold.
        return invalid(at, "an experimental command without a literal");
    }
    Ok(CommandBody::Experimental {
        name,
        arguments: Cow::Borrowed(arguments),
    })
}

/// After `UID SP`: the command it prefixes.
fn uid<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    let (name, at) = word(c, crate::types::core::is_atom_char, "a UID command")?;
    match name {
        kw::FETCH => fetch::fetch(c, true),
        kw::STORE => fetch::store(c, true),
        kw::COPY => copy_or_move(c, true, false),
        kw::MOVE => copy_or_move(c, true, true),
        kw::SEARCH => search::search(c, true),
        kw::SORT => search::sort(c, true),
        kw::THREAD => search::thread(c, true),
        kw::EXPUNGE => {
            c.sp()?;
            Ok(CommandBody::UidExpunge(primitives::sequence_set(c)?))
        }
        _ => invalid(
            at,
            "COPY, MOVE, FETCH, STORE, SEARCH, SORT, THREAD or EXPUNGE",
        ),
    }
}

/// `AUTHENTICATE SP mechanism [SP (base64 / "=")]`.
fn authenticate<'a>(c: &mut Cursor<'a>) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let mechanism = primitives::atom(c)?;
    let mut initial_response = None;
    if c.eat(b' ') {
        let at = c.pos;
        let text = c.take_while1(
            |b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='),
            "a base64 initial response",
        )?;
        if text != b"=" && text.contains(&b'=') && !is_padded_base64(text) {
            return invalid(at, "base64");
        }
        initial_response = Some(Cow::Borrowed(text));
    }
    Ok(CommandBody::Authenticate {
        mechanism,
        initial_response,
    })
}

/// `=` only as the padding of the last group.
fn is_padded_base64(text: &[u8]) -> bool {
    let pad = text.iter().rev().take_while(|&&b| b == b'=').count();
    text.len().is_multiple_of(4) && pad <= 2 && !text[..text.len() - pad].contains(&b'=')
}

/// `[UID] COPY|MOVE SP sequence-set SP mailbox`.
fn copy_or_move<'a>(c: &mut Cursor<'a>, uid: bool, is_move: bool) -> PResult<CommandBody<'a>> {
    c.sp()?;
    let set = primitives::sequence_set(c)?;
    c.sp()?;
    let mailbox = primitives::mailbox(c)?;
    Ok(if is_move {
        CommandBody::Move { uid, set, mailbox }
    } else {
        CommandBody::Copy { uid, set, mailbox }
    })
}
