//! NOTIFY SET's arguments (RFC 5465).

use crate::encode::writer::Writer;
use crate::types::command::{NotifyEvent, NotifyGroup, NotifyMailboxes, NotifySet};
use crate::types::mailbox::Mailbox;

/// `SET [STATUS] group...`.
pub(super) fn set(w: &mut Writer<'_>, set: &NotifySet<'_>) {
    w.raw(if set.status {
        &b"SET STATUS "[..]
    } else {
        b"SET "
    });
    w.list(&set.groups, group);
}

fn group(w: &mut Writer<'_>, group: &NotifyGroup<'_>) {
    w.raw(b"(");
    match &group.mailboxes {
        NotifyMailboxes::Selected => w.raw(b"SELECTED"),
        NotifyMailboxes::SelectedDelayed => w.raw(b"SELECTED-DELAYED"),
        NotifyMailboxes::Inboxes => w.raw(b"INBOXES"),
        NotifyMailboxes::Personal => w.raw(b"PERSONAL"),
        NotifyMailboxes::Subscribed => w.raw(b"SUBSCRIBED"),
        NotifyMailboxes::Subtree(m) => {
            w.raw(b"SUBTREE ");
            mailboxes(w, m);
        }
        NotifyMailboxes::Mailboxes(m) => {
            w.raw(b"MAILBOXES ");
            mailboxes(w, m);
        }
    }
    w.sp();
    match &group.events {
        None => w.raw(b"NONE"),
        Some(events) => w.paren_list(events, event),
    }
    w.raw(b")");
}

fn mailboxes(w: &mut Writer<'_>, list: &[Mailbox<'_>]) {
    match list {
        [one] => w.mailbox(one),
        several => w.paren_list(several, |w, m| w.mailbox(m)),
    }
}

fn event(w: &mut Writer<'_>, event: &NotifyEvent<'_>) {
    match event {
        NotifyEvent::MessageNew(attributes) => {
            w.raw(b"MessageNew");
            if !attributes.is_empty() {
                w.sp();
                w.paren_list(attributes, super::fetch::attribute);
            }
        }
        NotifyEvent::MessageExpunge => w.raw(b"MessageExpunge"),
        NotifyEvent::FlagChange => w.raw(b"FlagChange"),
        NotifyEvent::AnnotationChange => w.raw(b"AnnotationChange"),
        NotifyEvent::MailboxName => w.raw(b"MailboxName"),
        NotifyEvent::SubscriptionChange => w.raw(b"SubscriptionChange"),
        NotifyEvent::MailboxMetadataChange => w.raw(b"MailboxMetadataChange"),
        NotifyEvent::ServerMetadataChange => w.raw(b"ServerMetadataChange"),
        NotifyEvent::Other(a) => w.atom(a),
    }
}
