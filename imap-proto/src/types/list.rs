//! LIST (with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE) and its response.

use super::core::{Atom, Str};
use super::mailbox::Mailbox;
use super::status::{StatusItem, StatusValue};

/// A LIST selection option (RFC 5258, RFC 6154).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListSelect<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `REMOTE`.
    Remote,
    /// `RECURSIVEMATCH`.
    RecursiveMatch,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// Another option (an extension).
    Other(Atom<'a>),
}

/// A LIST return option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListReturn<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `CHILDREN`.
    Children,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// `STATUS (items)` (RFC 5819).
    Status(Vec<StatusItem>),
    /// Another option (an extension).
    Other(Atom<'a>),
}

/// A mailbox attribute in a LIST response (`\Noselect`, `\HasChildren`,
/// `\Sent`...).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MailboxAttribute<'a> {
    /// `\Noinferiors`.
    NoInferiors,
    /// `\Noselect`.
    NoSelect,
    /// `\Marked`.
    Marked,
    /// `\Unmarked`.
    Unmarked,
    /// `\NonExistent`.
    NonExistent,
    /// `\Subscribed`.
    Subscribed,
    /// `\Remote`.
    Remote,
    /// `\HasChildren`.
    HasChildren,
    /// `\HasNoChildren`.
    HasNoChildren,
    /// `\All`.
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`.
    Flagged,
    /// `\Junk`.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
    /// Another `\`-attribute, without its backslash.
    Extension(Atom<'a>),
}

/// A `* LIST` (or `* LSUB`) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListData<'a> {
    /// The mailbox's attributes.
    pub attributes: Vec<MailboxAttribute<'a>>,
    /// The hierarchy delimiter, or `None` for NIL (a flat namespace).
    pub delimiter: Option<u8>,
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Extended data (`mbox-list-extended`), such as `CHILDINFO` or
    /// `OLDNAME`.
    pub extended: Vec<ListExtended<'a>>,
}

/// One `mbox-list-extended-item`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListExtended<'a> {
    /// `CHILDINFO ("SUBSCRIBED")` (RFC 5258).
    ChildInfo(Vec<Str<'a>>),
    /// `OLDNAME (mailbox)` (RFC 9051).
    OldName(Mailbox<'a>),
    /// Another tag with its value.
    Other(Str<'a>, TaggedExtValue<'a>),
}

/// A `tagged-ext-val`: a simple value or a parenthesised list of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaggedExtValue<'a> {
    /// A string or number (`tagged-ext-simple` when it is a number or a
    /// sequence set; kept as text).
    Simple(Str<'a>),
    /// `( [tagged-ext-comp] )`.
    List(Vec<TaggedExtValue<'a>>),
}

/// A `* STATUS` response's data (also sent for LIST-STATUS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusData<'a> {
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Its items.
    pub items: Vec<StatusValue>,
}

impl MailboxAttribute<'_> {
    /// The same attribute, owning its text.
    pub fn into_owned(self) -> MailboxAttribute<'static> {
        match self {
            MailboxAttribute::Extension(a) => MailboxAttribute::Extension(a.into_owned()),
            MailboxAttribute::NoInferiors => MailboxAttribute::NoInferiors,
            MailboxAttribute::NoSelect => MailboxAttribute::NoSelect,
            MailboxAttribute::Marked => MailboxAttribute::Marked,
            MailboxAttribute::Unmarked => MailboxAttribute::Unmarked,
            MailboxAttribute::NonExistent => MailboxAttribute::NonExistent,
            MailboxAttribute::Subscribed => MailboxAttribute::Subscribed,
            MailboxAttribute::Remote => MailboxAttribute::Remote,
            MailboxAttribute::HasChildren => MailboxAttribute::HasChildren,
            MailboxAttribute::HasNoChildren => MailboxAttribute::HasNoChildren,
            MailboxAttribute::All => MailboxAttribute::All,
            MailboxAttribute::Archive => MailboxAttribute::Archive,
            MailboxAttribute::Drafts => MailboxAttribute::Drafts,
            MailboxAttribute::Flagged => MailboxAttribute::Flagged,
            MailboxAttribute::Junk => MailboxAttribute::Junk,
            MailboxAttribute::Sent => MailboxAttribute::Sent,
            MailboxAttribute::Trash => MailboxAttribute::Trash,
        }
    }
}

/// The attributes' names (with their backslash), for the parser and the
/// encoder.
pub(crate) const MAILBOX_ATTRIBUTES: &[(&str, MailboxAttribute<'static>)] = &[
    ("\\Noinferiors", MailboxAttribute::NoInferiors),
    ("\\Noselect", MailboxAttribute::NoSelect),
    ("\\Marked", MailboxAttribute::Marked),
    ("\\Unmarked", MailboxAttribute::Unmarked),
    ("\\NonExistent", MailboxAttribute::NonExistent),
    ("\\Subscribed", MailboxAttribute::Subscribed),
    ("\\Remote", MailboxAttribute::Remote),
    ("\\HasChildren", MailboxAttribute::HasChildren),
    ("\\HasNoChildren", MailboxAttribute::HasNoChildren),
    ("\\All", MailboxAttribute::All),
    ("\\Archive", MailboxAttribute::Archive),
    ("\\Drafts", MailboxAttribute::Drafts),
    ("\\Flagged", MailboxAttribute::Flagged),
    ("\\Junk", MailboxAttribute::Junk),
    ("\\Sent", MailboxAttribute::Sent),
    ("\\Trash", MailboxAttribute::Trash),
];

impl ListData<'_> {
    /// The same data, owning its text.
    pub fn into_owned(self) -> ListData<'static> {
        ListData {
            attributes: self
                .attributes
                .into_iter()
                .map(MailboxAttribute::into_owned)
                .collect(),
            delimiter: self.delimiter,
            mailbox: self.mailbox.into_owned(),
            extended: self
                .extended
                .into_iter()
                .map(ListExtended::into_owned)
                .collect(),
        }
    }
}

impl ListExtended<'_> {
    /// The same item, owning its text.
    pub fn into_owned(self) -> ListExtended<'static> {
        match self {
            ListExtended::ChildInfo(v) => {
                ListExtended::ChildInfo(v.into_iter().map(Str::into_owned).collect())
            }
            ListExtended::OldName(m) => ListExtended::OldName(m.into_owned()),
            ListExtended::Other(tag, value) => {
                ListExtended::Other(tag.into_owned(), value.into_owned())
            }
        }
    }
}

impl TaggedExtValue<'_> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> TaggedExtValue<'static> {
        match self {
            TaggedExtValue::Simple(s) => TaggedExtValue::Simple(s.into_owned()),
            TaggedExtValue::List(v) => {
                TaggedExtValue::List(v.into_iter().map(TaggedExtValue::into_owned).collect())
            }
        }
    }
}

impl StatusData<'_> {
    /// The same data, owning its mailbox name.
    pub fn into_owned(self) -> StatusData<'static> {
        StatusData {
            mailbox: self.mailbox.into_owned(),
            items: self.items,
        }
    }
}

impl ListSelect<'_> {
    /// The same option, owning its text.
    pub fn into_owned(self) -> ListSelect<'static> {
        match self {
            ListSelect::Subscribed => ListSelect::Subscribed,
            ListSelect::Remote => ListSelect::Remote,
            ListSelect::RecursiveMatch => ListSelect::RecursiveMatch,
            ListSelect::SpecialUse => ListSelect::SpecialUse,
            ListSelect::Other(a) => ListSelect::Other(a.into_owned()),
        }
    }
}

impl ListReturn<'_> {
    /// The same option, owning its text.
    pub fn into_owned(self) -> ListReturn<'static> {
        match self {
            ListReturn::Subscribed => ListReturn::Subscribed,
            ListReturn::Children => ListReturn::Children,
            ListReturn::SpecialUse => ListReturn::SpecialUse,
            ListReturn::Status(items) => ListReturn::Status(items),
            ListReturn::Other(a) => ListReturn::Other(a.into_owned()),
        }
    }
}
