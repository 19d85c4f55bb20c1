//! NOTIFY's arguments (RFC 5465): `NONE`, or `SET [STATUS]` and event
//! groups. Not a hot path: its words are compared as bytes.

use crate::parse::cursor::{Cursor, PResult};
use crate::parse::primitives::{self, invalid};
use crate::types::command::{NotifyEvent, NotifyGroup, NotifyMailboxes, NotifySet};
use crate::types::core::is_atom_char;
use crate::types::mailbox::Mailbox;

/// After `NOTIFY SP`: `None` for `NONE`.
pub(super) fn notify<'a>(c: &mut Cursor<'a>) -> PResult<Option<NotifySet<'a>>> {
    if c.keyword("NONE") {
        return Ok(None);
    }
    if !c.keyword("SET") {
        return c.fail("SET or NONE");
    }
    c.sp()?;
    let status = c.keyword("STATUS");
    if status {
        c.sp()?;
    }
    let groups = primitives::space_separated(c, group)?;
    Ok(Some(NotifySet { status, groups }))
}

/// `"(" filter-mailboxes SP events ")"`.
fn group<'a>(c: &mut Cursor<'a>) -> PResult<NotifyGroup<'a>> {
    c.byte(b'(', "( of an event group")?;
    c.enter()?;
    let at = c.pos;
    let name = c.take_while1(is_atom_char, "a mailbox filter")?;
    let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
    let mailboxes = if is("SELECTED") {
        NotifyMailboxes::Selected
    } else if is("SELECTED-DELAYED") {
        NotifyMailboxes::SelectedDelayed
    } else if is("INBOXES") {
        NotifyMailboxes::Inboxes
    } else if is("PERSONAL") {
        NotifyMailboxes::Personal
    } else if is("SUBSCRIBED") {
        NotifyMailboxes::Subscribed
    } else if is("SUBTREE") {
        c.sp()?;
        NotifyMailboxes::Subtree(mailboxes(c)?)
    } else if is("MAILBOXES") {
        c.sp()?;
        NotifyMailboxes::Mailboxes(mailboxes(c)?)
    } else {
        return invalid(at, "a mailbox filter");
    };
    c.sp()?;
    let events = if c.keyword("NONE") {
        None
    } else {
        Some(primitives::paren_list(c, 1, event)?)
    };
    c.byte(b')', ") of an event group")?;
    c.leave();
    Ok(NotifyGroup { mailboxes, events })
}

/// `mailbox / "(" mailbox *(SP mailbox) ")"`.
fn mailboxes<'a>(c: &mut Cursor<'a>) -> PResult<Vec<Mailbox<'a>>> {
    if c.peek() == Some(b'(') {
        primitives::paren_list(c, 1, primitives::mailbox)
    } else {
        Ok(vec![primitives::mailbox(c)?])
    }
}

fn event<'a>(c: &mut Cursor<'a>) -> PResult<NotifyEvent<'a>> {
    let start = c.pos;
    let name = c.take_while1(is_atom_char, "an event")?;
    let is = |w: &str| name.eq_ignore_ascii_case(w.as_bytes());
    Ok(if is("MessageNew") {
        let mut attributes = Vec::new();
        if c.rest().starts_with(b" (") {
            c.pos += 1;
            attributes = primitives::paren_list(c, 1, |c| super::fetch::attribute(c, true))?;
        }
        NotifyEvent::MessageNew(attributes)
    } else if is("MessageExpunge") {
        NotifyEvent::MessageExpunge
    } else if is("FlagChange") {
        NotifyEvent::FlagChange
    } else if is("AnnotationChange") {
        NotifyEvent::AnnotationChange
    } else if is("MailboxName") {
        NotifyEvent::MailboxName
    } else if is("SubscriptionChange") {
        NotifyEvent::SubscriptionChange
    } else if is("MailboxMetadataChange") {
        NotifyEvent::MailboxMetadataChange
    } else if is("ServerMetadataChange") {
        NotifyEvent::ServerMetadataChange
    } else {
        c.pos = start;
        NotifyEvent::Other(primitives::atom(c)?)
    })
}
