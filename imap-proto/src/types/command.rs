//! Commands (client to server).

use std::borrow::Cow;

use super::core::{Atom, Str, Tag};
use super::datetime::DateTime;
use super::fetch::{FetchAttributes, FetchModifiers};
use super::flag::{Flag, StoreMode};
use super::list::{ListReturn, ListSelect};
use super::mailbox::Mailbox;
use super::search::{SearchKey, SearchReturn};
use super::sequence::SequenceSet;
use super::status::StatusItem;

#[path = "command_owned.rs"]
mod owned;

/// A tagged command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    /// The client's tag.
    pub tag: Tag<'a>,
    /// What it asks.
    pub body: CommandBody<'a>,
}

/// What a command asks, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandBody<'a> {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `ID (params)` or `ID NIL` (RFC 2971).
    Id(Option<Vec<(Str<'a>, Option<Str<'a>>)>>),
    /// `ENABLE capabilities` (RFC 5161).
    Enable(Vec<Atom<'a>>),
    /// `COMPRESS mechanism` (RFC 4978).
    Compress(Atom<'a>),
    /// `STARTTLS`.
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR).
    Authenticate {
        /// The SASL mechanism.
        mechanism: Atom<'a>,
        /// The initial response, still base64 (`=` is the empty one).
        initial_response: Option<Cow<'a, [u8]>>,
    },
    /// `LOGIN user password`.
    Login {
        /// The user name.
        username: Str<'a>,
        /// The password.
        password: Str<'a>,
    },
    /// `UNAUTHENTICATE` (RFC 8437).
    Unauthenticate,
    /// `SELECT mailbox [(params)]`.
    Select {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE / QRESYNC parameters.
        params: SelectParams,
    },
    /// `EXAMINE mailbox [(params)]`.
    Examine {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE / QRESYNC parameters.
        params: SelectParams,
    },
    /// `CREATE mailbox [(USE (attributes))]`.
    Create {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CREATE-SPECIAL-USE attributes (`\Sent`...), without backslashes.
        special_use: Vec<Atom<'a>>,
    },
    /// `DELETE mailbox`.
    Delete(Mailbox<'a>),
    /// `RENAME from to`.
    Rename {
        /// The current name.
        from: Mailbox<'a>,
        /// The new name.
        to: Mailbox<'a>,
    },
    /// `SUBSCRIBE mailbox`.
    Subscribe(Mailbox<'a>),
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe(Mailbox<'a>),
    /// `LIST` (with LIST-EXTENDED's options).
    List {
        /// Selection options (`LIST (SUBSCRIBED) ...`).
        select: Vec<ListSelect<'a>>,
        /// The reference name.
        reference: Mailbox<'a>,
        /// The patterns (one, or a parenthesised list), with `*` and `%`.
        patterns: Vec<Str<'a>>,
        /// Return options (`RETURN (CHILDREN STATUS (...))`); `None`
        /// when there is no RETURN.
        returns: Option<Vec<ListReturn<'a>>>,
    },
    /// `LSUB reference pattern` (IMAP4rev1).
    Lsub {
        /// The reference name.
        reference: Mailbox<'a>,
        /// The pattern.
        pattern: Str<'a>,
    },
    /// `NAMESPACE`.
    Namespace,
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// The items asked for.
        items: Vec<StatusItem>,
    },
    /// `APPEND mailbox message...` (several with MULTIAPPEND), as a whole.
    /// The streaming server parser never builds it for a large message:
    /// it yields the message's bytes as they arrive instead.
    Append {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// The messages, at least one.
        messages: Vec<AppendMessage<'a>>,
    },
    /// `IDLE`.
    Idle,
    /// `CHECK` (IMAP4rev1).
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT`.
    Unselect,
    /// `EXPUNGE`.
    Expunge,
    /// `UID EXPUNGE set` (UIDPLUS).
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH [RETURN (...)] [CHARSET x] keys`.
    Search {
        /// UID SEARCH.
        uid: bool,
        /// ESEARCH return options; `None` when there is no RETURN.
        returns: Option<Vec<SearchReturn>>,
        /// The CHARSET.
        charset: Option<Str<'a>>,
        /// The keys (all must match), at least one.
        criteria: Vec<SearchKey<'a>>,
    },
    /// `[UID] FETCH set attributes [(modifiers)]`.
    Fetch {
        /// UID FETCH.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// What of them.
        attributes: FetchAttributes<'a>,
        /// CHANGEDSINCE / VANISHED.
        modifiers: FetchModifiers,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags`.
    Store {
        /// UID STORE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// CONDSTORE's UNCHANGEDSINCE.
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`: no FETCH responses for this change.
        silent: bool,
        /// The flags (parenthesised or not on the wire).
        flags: Vec<Flag<'a>>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// UID COPY.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The destination.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851).
    Move {
        /// UID MOVE.
        uid: bool,
        /// Which messages.
        set: SequenceSet,
        /// The destination.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] SORT [RETURN (...)] (criteria) charset keys` (RFC 5256,
    /// ESORT of RFC 5267).
    Sort {
        /// UID SORT.
        uid: bool,
        /// ESORT's return options; `None` when there is no RETURN.
        returns: Option<Vec<SearchReturn>>,
        /// The sort criteria, at least one.
        criteria: Vec<SortCriterion>,
        /// The charset (required by the grammar).
        charset: Str<'a>,
        /// The search keys, at least one.
        search: Vec<SearchKey<'a>>,
    },
    /// `[UID] THREAD algorithm charset keys` (RFC 5256).
    Thread {
        /// UID THREAD.
        uid: bool,
        /// `ORDEREDSUBJECT`, `REFERENCES`...
        algorithm: Atom<'a>,
        /// The charset.
        charset: Str<'a>,
        /// The search keys, at least one.
        search: Vec<SearchKey<'a>>,
    },
    /// `GETQUOTA root` (RFC 9208).
    GetQuota(Str<'a>),
    /// `GETQUOTAROOT mailbox`.
    GetQuotaRoot(Mailbox<'a>),
    /// `SETQUOTA root (resource limit ...)`.
    SetQuota {
        /// The quota root.
        root: Str<'a>,
        /// Resource names and limits.
        limits: Vec<(Atom<'a>, u64)>,
    },
    /// `GETMETADATA [(options)] mailbox (entries)` (RFC 5464).
    GetMetadata {
        /// MAXSIZE and DEPTH.
        options: MetadataOptions,
        /// The mailbox, or the empty name for server metadata.
        mailbox: Mailbox<'a>,
        /// The entry names.
        entries: Vec<Str<'a>>,
    },
    /// `SETACL mailbox identifier rights` (RFC 4314); rights may start
    /// with `+` or `-`.
    SetAcl {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Whose rights.
        identifier: Str<'a>,
        /// The rights (`lrswipkxtea`), with the `+`/`-` prefix as sent.
        rights: Str<'a>,
    },
    /// `DELETEACL mailbox identifier`.
    DeleteAcl {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Whose rights.
        identifier: Str<'a>,
    },
    /// `GETACL mailbox`.
    GetAcl(Mailbox<'a>),
    /// `LISTRIGHTS mailbox identifier`.
    ListRights {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Whose rights.
        identifier: Str<'a>,
    },
    /// `MYRIGHTS mailbox`.
    MyRights(Mailbox<'a>),
    /// `NOTIFY NONE` or `NOTIFY SET [STATUS] (filter events)...`
    /// (RFC 5465).
    Notify(Option<NotifySet<'a>>),
    /// `CANCELUPDATE tag...` (RFC 5267): stop updating these searches.
    CancelUpdate(Vec<Str<'a>>),
    /// An experimental command, `X<atom> [arguments]` (RFC 3501 §6.5.1,
    /// RFC 9051 §6.5): its name and the rest of its line, unparsed (a
    /// literal in its arguments is not supported).
    Experimental {
        /// The name, starting with `X`.
        name: Atom<'a>,
        /// The bytes after the name's SP up to CRLF (empty without).
        arguments: Cow<'a, [u8]>,
    },
    /// `SETMETADATA mailbox (entry value ...)`.
    SetMetadata {
        /// The mailbox, or the empty name for server metadata.
        mailbox: Mailbox<'a>,
        /// Entries and their new values (`None`: remove).
        entries: Vec<(Str<'a>, Option<Str<'a>>)>,
    },
}

/// SELECT/EXAMINE parameters (RFC 7162).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SelectParams {
    /// `(CONDSTORE)`.
    pub condstore: bool,
    /// `(QRESYNC (...))`.
    pub qresync: Option<Box<QResync>>,
}

/// The QRESYNC select parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QResync {
    /// The UIDVALIDITY the client knows.
    pub uid_validity: u32,
    /// The HIGHESTMODSEQ the client knows.
    pub mod_seq: u64,
    /// The UIDs the client knows, if it says.
    pub known_uids: Option<SequenceSet>,
    /// Message numbers and their UIDs, to narrow VANISHED.
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// One message of an APPEND.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendMessage<'a> {
    /// Its flags.
    pub flags: Vec<Flag<'a>>,
    /// Its internal date.
    pub date: Option<DateTime>,
    /// The message (empty when `catenate` builds it).
    pub data: Cow<'a, [u8]>,
    /// Sent as `literal8` (`~{n}`, BINARY): may hold NUL.
    pub binary: bool,
    /// Sent as `UTF8 (~{n})` (UTF8=ACCEPT, RFC 6855): a message with UTF-8
    /// headers; always `binary` too.
    pub utf8: bool,
    /// `CATENATE (...)` (RFC 4469): the message put together from these
    /// parts instead of `data`; empty for a plain message.
    pub catenate: Vec<CatenatePart<'a>>,
}

/// One part of a CATENATE message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatenatePart<'a> {
    /// `URL "imap-url"`: a message or part the server already has.
    Url(Str<'a>),
    /// `TEXT literal` (or literal8 with BINARY): bytes sent with it.
    Text {
        /// The bytes.
        data: Cow<'a, [u8]>,
        /// Sent as `literal8`.
        binary: bool,
    },
}

/// A SORT criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SortCriterion {
    /// `REVERSE`.
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// What SORT orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// `ARRIVAL`.
    Arrival,
    /// `CC`.
    Cc,
    /// `DATE`.
    Date,
    /// `FROM`.
    From,
    /// `SIZE`.
    Size,
    /// `SUBJECT`.
    Subject,
    /// `TO`.
    To,
    /// `DISPLAYFROM` (RFC 5957).
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957).
    DisplayTo,
}

/// GETMETADATA options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MetadataOptions {
    /// `MAXSIZE n`.
    pub max_size: Option<u32>,
    /// `DEPTH 0|1|infinity`.
    pub depth: Option<MetadataDepth>,
}

/// GETMETADATA's DEPTH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataDepth {
    /// `0`.
    Zero,
    /// `1`.
    One,
    /// `infinity`.
    Infinity,
}

/// `NOTIFY SET`'s arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifySet<'a> {
    /// `STATUS`: send STATUS for the mailboxes at once.
    pub status: bool,
    /// The event groups, at least one.
    pub groups: Vec<NotifyGroup<'a>>,
}

/// `(filter-mailboxes events)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyGroup<'a> {
    /// Which mailboxes.
    pub mailboxes: NotifyMailboxes<'a>,
    /// Which events (`None`: `NONE`, no events for them).
    pub events: Option<Vec<NotifyEvent<'a>>>,
}

/// NOTIFY's `filter-mailboxes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyMailboxes<'a> {
    /// `SELECTED`.
    Selected,
    /// `SELECTED-DELAYED`.
    SelectedDelayed,
    /// `INBOXES`.
    Inboxes,
    /// `PERSONAL`.
    Personal,
    /// `SUBSCRIBED`.
    Subscribed,
    /// `SUBTREE mailbox...`.
    Subtree(Vec<Mailbox<'a>>),
    /// `MAILBOXES mailbox...`.
    Mailboxes(Vec<Mailbox<'a>>),
}

/// A NOTIFY event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyEvent<'a> {
    /// `MessageNew [(fetch-att ...)]`.
    MessageNew(Vec<super::fetch::FetchAttribute<'a>>),
    /// `MessageExpunge`.
    MessageExpunge,
    /// `FlagChange`.
    FlagChange,
    /// `AnnotationChange`.
    AnnotationChange,
    /// `MailboxName`.
    MailboxName,
    /// `SubscriptionChange`.
    SubscriptionChange,
    /// `MailboxMetadataChange`.
    MailboxMetadataChange,
    /// `ServerMetadataChange`.
    ServerMetadataChange,
    /// An event of an extension.
    Other(Atom<'a>),
}
