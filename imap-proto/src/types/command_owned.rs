//! Owned commands: what a server keeps beyond the buffer a command was
//! read from (a pipelined command waiting its turn, an IDLE in progress).

use std::borrow::Cow;

use super::{
    AppendMessage, CatenatePart, Command, CommandBody, NotifyEvent, NotifyGroup, NotifyMailboxes,
    NotifySet,
};
use crate::types::core::{Atom, Str, owned_strs};
use crate::types::fetch::FetchAttribute;
use crate::types::flag::Flag;
use crate::types::list::{ListReturn, ListSelect};
use crate::types::mailbox::Mailbox;
use crate::types::search::SearchKey;

fn atoms(v: Vec<Atom<'_>>) -> Vec<Atom<'static>> {
    v.into_iter().map(Atom::into_owned).collect()
}

fn keys(v: Vec<SearchKey<'_>>) -> Vec<SearchKey<'static>> {
    v.into_iter().map(SearchKey::into_owned).collect()
}

fn mailboxes(v: Vec<Mailbox<'_>>) -> Vec<Mailbox<'static>> {
    v.into_iter().map(Mailbox::into_owned).collect()
}

fn bytes(b: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(b.into_owned())
}

impl Command<'_> {
    /// The same command, owning its data.
    ///
    /// ```
    /// use imap_proto::parse::{ParseLimits, command};
    /// let wire = b"a1 SELECT Drafts\r\n".to_vec();
    /// let owned = command(&wire, ParseLimits::default()).unwrap().0.into_owned();
    /// drop(wire);
    /// assert_eq!(owned.tag.as_str(), "a1");
    /// ```
    pub fn into_owned(self) -> Command<'static> {
        Command {
            tag: self.tag.into_owned(),
            body: self.body.into_owned(),
        }
    }
}

impl CommandBody<'_> {
    /// The same command body, owning its data.
    pub fn into_owned(self) -> CommandBody<'static> {
        use CommandBody as B;
        match self {
            B::Capability => B::Capability,
            B::Noop => B::Noop,
            B::Logout => B::Logout,
            B::Id(params) => B::Id(params.map(|v| {
                v.into_iter()
                    .map(|(k, v)| (k.into_owned(), v.map(Str::into_owned)))
                    .collect()
            })),
            B::Enable(v) => B::Enable(atoms(v)),
            B::Compress(a) => B::Compress(a.into_owned()),
            B::StartTls => B::StartTls,
            B::Authenticate {
                mechanism,
                initial_response,
            } => B::Authenticate {
                mechanism: mechanism.into_owned(),
                initial_response: initial_response.map(bytes),
            },
            B::Login { username, password } => B::Login {
                username: username.into_owned(),
                password: password.into_owned(),
            },
            B::Unauthenticate => B::Unauthenticate,
            B::Select { mailbox, params } => B::Select {
                mailbox: mailbox.into_owned(),
                params,
            },
            B::Examine { mailbox, params } => B::Examine {
                mailbox: mailbox.into_owned(),
                params,
            },
            B::Create {
                mailbox,
                special_use,
            } => B::Create {
                mailbox: mailbox.into_owned(),
                special_use: atoms(special_use),
            },
            B::Delete(m) => B::Delete(m.into_owned()),
            B::Rename { from, to } => B::Rename {
                from: from.into_owned(),
                to: to.into_owned(),
            },
            B::Subscribe(m) => B::Subscribe(m.into_owned()),
            B::Unsubscribe(m) => B::Unsubscribe(m.into_owned()),
            B::List {
                select,
                reference,
                patterns,
                returns,
            } => B::List {
                select: select.into_iter().map(ListSelect::into_owned).collect(),
                reference: reference.into_owned(),
                patterns: owned_strs(patterns),
                returns: returns.map(|v| v.into_iter().map(ListReturn::into_owned).collect()),
            },
            B::Lsub { reference, pattern } => B::Lsub {
                reference: reference.into_owned(),
                pattern: pattern.into_owned(),
            },
            B::Namespace => B::Namespace,
            B::Status { mailbox, items } => B::Status {
                mailbox: mailbox.into_owned(),
                items,
            },
            B::Append { mailbox, messages } => B::Append {
                mailbox: mailbox.into_owned(),
                messages: messages
                    .into_iter()
                    .map(AppendMessage::into_owned)
                    .collect(),
            },
            B::Idle => B::Idle,
            B::Check => B::Check,
            B::Close => B::Close,
            B::Unselect => B::Unselect,
            B::Expunge => B::Expunge,
            B::UidExpunge(set) => B::UidExpunge(set),
            B::Search {
                uid,
                returns,
                charset,
                criteria,
            } => B::Search {
                uid,
                returns,
                charset: charset.map(Str::into_owned),
                criteria: keys(criteria),
            },
            B::Fetch {
                uid,
                set,
                attributes,
                modifiers,
            } => B::Fetch {
                uid,
                set,
                attributes: attributes.into_owned(),
                modifiers,
            },
            B::Store {
                uid,
                set,
                unchanged_since,
                mode,
                silent,
                flags,
            } => B::Store {
                uid,
                set,
                unchanged_since,
                mode,
                silent,
                flags: flags.into_iter().map(Flag::into_owned).collect(),
            },
            B::Copy { uid, set, mailbox } => B::Copy {
                uid,
                set,
                mailbox: mailbox.into_owned(),
            },
            B::Move { uid, set, mailbox } => B::Move {
                uid,
                set,
                mailbox: mailbox.into_owned(),
            },
            B::Sort {
                uid,
                returns,
                criteria,
                charset,
                search,
            } => B::Sort {
                uid,
                returns,
                criteria,
                charset: charset.into_owned(),
                search: keys(search),
            },
            B::Thread {
                uid,
                algorithm,
                charset,
                search,
            } => B::Thread {
                uid,
                algorithm: algorithm.into_owned(),
                charset: charset.into_owned(),
                search: keys(search),
            },
            B::GetQuota(root) => B::GetQuota(root.into_owned()),
            B::GetQuotaRoot(m) => B::GetQuotaRoot(m.into_owned()),
            B::SetQuota { root, limits } => B::SetQuota {
                root: root.into_owned(),
                limits: limits
                    .into_iter()
                    .map(|(a, n)| (a.into_owned(), n))
                    .collect(),
            },
            B::GetMetadata {
                options,
                mailbox,
                entries,
            } => B::GetMetadata {
                options,
                mailbox: mailbox.into_owned(),
                entries: owned_strs(entries),
            },
            B::SetAcl {
                mailbox,
                identifier,
                rights,
            } => B::SetAcl {
                mailbox: mailbox.into_owned(),
                identifier: identifier.into_owned(),
                rights: rights.into_owned(),
            },
            B::DeleteAcl {
                mailbox,
                identifier,
            } => B::DeleteAcl {
                mailbox: mailbox.into_owned(),
                identifier: identifier.into_owned(),
            },
            B::GetAcl(m) => B::GetAcl(m.into_owned()),
            B::ListRights {
                mailbox,
                identifier,
            } => B::ListRights {
                mailbox: mailbox.into_owned(),
                identifier: identifier.into_owned(),
            },
            B::MyRights(m) => B::MyRights(m.into_owned()),
            B::Notify(set) => B::Notify(set.map(NotifySet::into_owned)),
            B::CancelUpdate(tags) => B::CancelUpdate(owned_strs(tags)),
            B::Experimental { name, arguments } => B::Experimental {
                name: name.into_owned(),
                arguments: bytes(arguments),
            },
            B::SetMetadata { mailbox, entries } => B::SetMetadata {
                mailbox: mailbox.into_owned(),
                entries: entries
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.map(Str::into_owned)))
                    .collect(),
            },
        }
    }
}

impl AppendMessage<'_> {
    /// The same message, owning its data.
    pub fn into_owned(self) -> AppendMessage<'static> {
        AppendMessage {
            flags: self.flags.into_iter().map(Flag::into_owned).collect(),
            date: self.date,
            data: bytes(self.data),
            binary: self.binary,
            utf8: self.utf8,
            catenate: self
                .catenate
                .into_iter()
                .map(|part| match part {
                    CatenatePart::Url(url) => CatenatePart::Url(url.into_owned()),
                    CatenatePart::Text { data, binary } => CatenatePart::Text {
                        data: bytes(data),
                        binary,
                    },
                })
                .collect(),
        }
    }
}

impl NotifySet<'_> {
    /// The same arguments, owning their data.
    pub fn into_owned(self) -> NotifySet<'static> {
        NotifySet {
            status: self.status,
            groups: self
                .groups
                .into_iter()
                .map(|g| NotifyGroup {
                    mailboxes: match g.mailboxes {
                        NotifyMailboxes::Selected => NotifyMailboxes::Selected,
                        NotifyMailboxes::SelectedDelayed => NotifyMailboxes::SelectedDelayed,
                        NotifyMailboxes::Inboxes => NotifyMailboxes::Inboxes,
                        NotifyMailboxes::Personal => NotifyMailboxes::Personal,
                        NotifyMailboxes::Subscribed => NotifyMailboxes::Subscribed,
                        NotifyMailboxes::Subtree(v) => NotifyMailboxes::Subtree(mailboxes(v)),
                        NotifyMailboxes::Mailboxes(v) => NotifyMailboxes::Mailboxes(mailboxes(v)),
                    },
                    events: g
                        .events
                        .map(|v| v.into_iter().map(NotifyEvent::into_owned).collect()),
                })
                .collect(),
        }
    }
}

impl NotifyEvent<'_> {
    /// The same event, owning its data.
    pub fn into_owned(self) -> NotifyEvent<'static> {
        match self {
            NotifyEvent::MessageNew(v) => {
                NotifyEvent::MessageNew(v.into_iter().map(FetchAttribute::into_owned).collect())
            }
            NotifyEvent::MessageExpunge => NotifyEvent::MessageExpunge,
            NotifyEvent::FlagChange => NotifyEvent::FlagChange,
            NotifyEvent::AnnotationChange => NotifyEvent::AnnotationChange,
            NotifyEvent::MailboxName => NotifyEvent::MailboxName,
            NotifyEvent::SubscriptionChange => NotifyEvent::SubscriptionChange,
            NotifyEvent::MailboxMetadataChange => NotifyEvent::MailboxMetadataChange,
            NotifyEvent::ServerMetadataChange => NotifyEvent::ServerMetadataChange,
            NotifyEvent::Other(a) => NotifyEvent::Other(a.into_owned()),
        }
    }
}
