//! The parts of APPEND the reader must understand to stream a message:
//! everything up to a message's literal, for the first message and for
//! each further one of a MULTIAPPEND.

use crate::parse::cursor::{Cursor, PResult};
use crate::parse::{ParseLimits, primitives};
use crate::types::core::Tag;
use crate::types::datetime::DateTime;
use crate::types::flag::Flag;
use crate::types::mailbox::Mailbox;

/// What precedes a message's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageHead {
    pub(crate) flags: Vec<Flag<'static>>,
    pub(crate) date: Option<DateTime>,
}

/// `tag SP "APPEND" SP mailbox`, then the first message's head, when
/// `command` is exactly that followed by the message literal's
/// announcement (its last line).
pub(crate) fn first_message(
    command: &[u8],
    limits: ParseLimits,
) -> Option<(Tag<'static>, Mailbox<'static>, MessageHead)> {
    let mut c = Cursor::new(command, limits);
    let parsed = (|| -> PResult<_> {
        let tag = primitives::tag(&mut c)?;
        c.sp()?;
        if !c.keyword("APPEND") {
            return c.fail("APPEND");
        }
        c.sp()?;
        let mailbox = primitives::mailbox(&mut c)?;
        c.sp()?;
        let head = message_head(&mut c)?;
        Ok((tag.into_owned(), mailbox.into_owned(), head))
    })();
    parsed.ok().filter(|_| at_announcement(&c))
}

/// A further message's head: `SP [flag-list SP] [date-time SP]` and its
/// announcement, the whole of `line`.
pub(crate) fn next_message(line: &[u8], limits: ParseLimits) -> Option<MessageHead> {
    let mut c = Cursor::new(line, limits);
    let head = c.sp().and_then(|()| message_head(&mut c)).ok()?;
    at_announcement(&c).then_some(head)
}

/// `[flag-list SP] [date-time SP]`.
fn message_head(c: &mut Cursor<'_>) -> PResult<MessageHead> {
    let mut flags = Vec::new();
    if c.peek() == Some(b'(') {
        flags = primitives::paren_list(c, 0, primitives::flag)?
            .into_iter()
            .map(Flag::into_owned)
            .collect();
        c.sp()?;
    }
    let mut date = None;
    if c.peek() == Some(b'"') {
        date = Some(primitives::date_time(c)?);
        c.sp()?;
    }
    Ok(MessageHead { flags, date })
}

/// Whether what is left is exactly a literal's announcement.
fn at_announcement(c: &Cursor<'_>) -> bool {
    let rest = c.rest();
    let rest = rest.strip_prefix(b"~").unwrap_or(rest);
    rest.first() == Some(&b'{') && super::framing::announced(rest).is_some() && {
        // Nothing between the braces but the size and its `+`/`-`.
        let close = rest.iter().position(|&b| b == b'}');
        close.is_some_and(|i| i + 3 == rest.len())
    }
}
