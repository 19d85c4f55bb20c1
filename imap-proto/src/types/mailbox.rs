//! Mailbox names: INBOX, and the others as their wire bytes (modified
//! UTF-7 in IMAP4rev1, UTF-8 once UTF8=ACCEPT is enabled).

use std::borrow::Cow;

use super::core::Str;

/// A mailbox name as sent on the wire.
///
/// `INBOX` in any case is always [`Mailbox::Inbox`]; other names keep their
/// bytes. [`crate::utf7`] converts between modified UTF-7 and text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mailbox<'a> {
    /// The INBOX (the name is case-insensitive).
    Inbox,
    /// Any other name, as sent.
    Other(Cow<'a, [u8]>),
}

impl<'a> Mailbox<'a> {
    /// The mailbox of this wire name (`inbox` in any case is the INBOX).
    ///
    /// ```
    /// use imap_proto::Mailbox;
    /// assert_eq!(Mailbox::from_wire(&b"iNbOx"[..]), Mailbox::Inbox);
    /// assert_ne!(Mailbox::from_wire(&b"INBOX/Sub"[..]), Mailbox::Inbox);
    /// ```
    pub fn from_wire(name: impl Into<Cow<'a, [u8]>>) -> Mailbox<'a> {
        let name = name.into();
        if name.eq_ignore_ascii_case(b"INBOX") {
            Mailbox::Inbox
        } else {
            Mailbox::Other(name)
        }
    }

    /// The name's bytes on the wire (`INBOX` for the INBOX).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Mailbox::Inbox => b"INBOX",
            Mailbox::Other(name) => name,
        }
    }

    /// The same mailbox, owning its name.
    pub fn into_owned(self) -> Mailbox<'static> {
        match self {
            Mailbox::Inbox => Mailbox::Inbox,
            Mailbox::Other(name) => Mailbox::Other(Cow::Owned(name.into_owned())),
        }
    }
}

impl<'a> From<Str<'a>> for Mailbox<'a> {
    fn from(name: Str<'a>) -> Mailbox<'a> {
        Mailbox::from_wire(name.into_bytes())
    }
}
