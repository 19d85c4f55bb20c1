//! Responses (server to client).

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::body::{BodyStructure, Envelope};
use super::capability::Capability;
use super::code::Code;
use super::core::{Atom, NString, Str, Tag, owned_strs};
use super::datetime::DateTime;
use super::fetch::Section;
use super::flag::Flag;
use super::list::{ListData, StatusData, TaggedExtValue};
use super::mailbox::Mailbox;
use super::sequence::SequenceSet;

/// One response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response<'a> {
    /// A status response, tagged or untagged.
    Status(StatusResponse<'a>),
    /// Untagged data (`* ...`).
    Data(Data<'a>),
    /// A continuation request (`+ ...`).
    Continue(Continue<'a>),
}

/// OK, NO, BAD, PREAUTH or BYE, with an optional code and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusResponse<'a> {
    /// The command's tag, or `None` for `*`.
    pub tag: Option<Tag<'a>>,
    /// Which status.
    pub kind: StatusKind,
    /// The response code.
    pub code: Option<Code<'a>>,
    /// The human-readable text. It may be empty: RFC 9051 makes `text`
    /// optional, so the encoder writes nothing after the SP that follows
    /// the status (or the code), and the parser reads an empty text from
    /// that form and from the one without the SP that servers send
    /// (`* OK [READ-WRITE]`). CR and LF cannot be carried (the encoder
    /// writes them as spaces).
    pub text: Cow<'a, str>,
}

/// The kind of a status response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BAD`.
    Bad,
    /// `PREAUTH` (greeting only, untagged).
    PreAuth,
    /// `BYE` (untagged).
    Bye,
}

/// A continuation request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Continue<'a> {
    /// `+ [code] text`.
    Text {
        /// The response code.
        code: Option<Code<'a>>,
        /// The text.
        text: Cow<'a, str>,
    },
    /// `+ base64` (a SASL challenge), still encoded.
    ///
    /// The grammar cannot tell a text without a code from base64 when the
    /// text is also valid base64 (`+ idle`, or nothing at all): the parser
    /// then returns this variant, so an empty continuation (`+ ` or the
    /// bare `+` some servers send) is an empty challenge.
    Base64(Cow<'a, [u8]>),
}

/// Untagged data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data<'a> {
    /// `CAPABILITY ...`.
    Capability(Vec<Capability<'a>>),
    /// `ENABLED ...`.
    Enabled(Vec<Atom<'a>>),
    /// `LIST`.
    List(ListData<'a>),
    /// `LSUB` (IMAP4rev1).
    Lsub(ListData<'a>),
    /// `STATUS mailbox (...)`.
    Status(StatusData<'a>),
    /// `SEARCH n...` (with CONDSTORE's `(MODSEQ n)`).
    Search {
        /// The matching numbers.
        numbers: Vec<NonZeroU32>,
        /// The highest mod-sequence of the matches.
        modseq: Option<u64>,
    },
    /// `ESEARCH ...` (RFC 4731).
    ESearch(ESearch<'a>),
    /// `SORT n...`.
    Sort {
        /// The numbers, sorted.
        numbers: Vec<NonZeroU32>,
        /// The highest mod-sequence.
        modseq: Option<u64>,
    },
    /// `THREAD (...)...`.
    Thread(Vec<Thread>),
    /// `FLAGS (...)`.
    Flags(Vec<Flag<'a>>),
    /// `n EXISTS`.
    Exists(u32),
    /// `n RECENT` (IMAP4rev1).
    Recent(u32),
    /// `n EXPUNGE`.
    Expunge(NonZeroU32),
    /// `VANISHED [(EARLIER)] uids` (QRESYNC).
    Vanished {
        /// `(EARLIER)`: an answer, not news.
        earlier: bool,
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `n FETCH (...)`.
    Fetch {
        /// The message number.
        seq: NonZeroU32,
        /// The items, at least one.
        items: Vec<FetchItem<'a>>,
    },
    /// `NAMESPACE personal other shared`.
    Namespace {
        /// Personal namespaces.
        personal: Vec<NamespaceDesc<'a>>,
        /// Other users' namespaces.
        other: Vec<NamespaceDesc<'a>>,
        /// Shared namespaces.
        shared: Vec<NamespaceDesc<'a>>,
    },
    /// `ID (...)` or `ID NIL`.
    Id(Option<Vec<(Str<'a>, NString<'a>)>>),
    /// `QUOTA root (resource usage limit ...)`.
    Quota {
        /// The quota root.
        root: Str<'a>,
        /// Its resources.
        resources: Vec<QuotaResource<'a>>,
    },
    /// `QUOTAROOT mailbox root...`.
    QuotaRoot {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Its quota roots.
        roots: Vec<Str<'a>>,
    },
    /// `ACL mailbox identifier rights ...` (RFC 4314).
    Acl {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Identifiers and their rights.
        entries: Vec<(Str<'a>, Str<'a>)>,
    },
    /// `LISTRIGHTS mailbox identifier required optional...` (RFC 4314).
    ListRights {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Whose rights.
        identifier: Str<'a>,
        /// The rights always granted (possibly empty).
        required: Str<'a>,
        /// Rights that may be granted, each group together.
        optional: Vec<Str<'a>>,
    },
    /// `MYRIGHTS mailbox rights` (RFC 4314).
    MyRights {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// The rights.
        rights: Str<'a>,
    },
    /// Untagged data of a kind this crate does not know (`* XPIG-LATIN
    /// ...`): its keyword and the rest of its line, raw (a literal in it
    /// is not supported).
    Other {
        /// The keyword.
        name: Atom<'a>,
        /// The bytes after the keyword's SP up to CRLF (empty without).
        text: Cow<'a, [u8]>,
    },
    /// `METADATA mailbox (entry value ...)` or `METADATA mailbox entry...`.
    Metadata {
        /// The mailbox (empty name: the server).
        mailbox: Mailbox<'a>,
        /// The entries.
        entries: MetadataEntries<'a>,
    },
}

/// An ESEARCH response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ESearch<'a> {
    /// `(TAG "A282")`: the command it answers.
    pub tag: Option<Tag<'a>>,
    /// `UID`: the numbers are UIDs.
    pub uid: bool,
    /// The results, in order.
    pub results: Vec<ESearchResult<'a>>,
}

/// One result of an ESEARCH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ESearchResult<'a> {
    /// `MIN n`.
    Min(NonZeroU32),
    /// `MAX n`.
    Max(NonZeroU32),
    /// `ALL set`.
    All(SequenceSet),
    /// `COUNT n`.
    Count(u32),
    /// `MODSEQ n`.
    ModSeq(u64),
    /// `ADDTO (position set ...)` (CONTEXT=SEARCH, RFC 5267).
    AddTo(Vec<(u32, SequenceSet)>),
    /// `REMOVEFROM (position set ...)` (CONTEXT=SEARCH).
    RemoveFrom(Vec<(u32, SequenceSet)>),
    /// Return data of an extension this crate does not know
    /// (`search-ret-data-ext` of RFC 4731): its name and value.
    Other(Atom<'a>, TaggedExtValue<'a>),
}

impl ESearchResult<'_> {
    /// The same result, owning its data.
    pub fn into_owned(self) -> ESearchResult<'static> {
        match self {
            ESearchResult::Min(n) => ESearchResult::Min(n),
            ESearchResult::Max(n) => ESearchResult::Max(n),
            ESearchResult::All(set) => ESearchResult::All(set),
            ESearchResult::Count(n) => ESearchResult::Count(n),
            ESearchResult::ModSeq(n) => ESearchResult::ModSeq(n),
            ESearchResult::AddTo(v) => ESearchResult::AddTo(v),
            ESearchResult::RemoveFrom(v) => ESearchResult::RemoveFrom(v),
            ESearchResult::Other(name, value) => {
                ESearchResult::Other(name.into_owned(), value.into_owned())
            }
        }
    }
}

/// A thread: messages in order, then either one subthread per branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    /// Messages one below the other (may be empty when the thread starts
    /// with branches).
    pub chain: Vec<NonZeroU32>,
    /// The branches after the chain (none or at least two).
    pub branches: Vec<Thread>,
}

/// One namespace of a NAMESPACE response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceDesc<'a> {
    /// The prefix.
    pub prefix: Str<'a>,
    /// The hierarchy delimiter (`None`: NIL).
    pub delimiter: Option<u8>,
    /// Extensions (`"TRANSLATION" ("...")`).
    pub extensions: Vec<(Str<'a>, Vec<Str<'a>>)>,
}

/// One resource of a QUOTA response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaResource<'a> {
    /// `STORAGE`, `MESSAGE`...
    pub name: Atom<'a>,
    /// Current usage.
    pub usage: u64,
    /// The limit.
    pub limit: u64,
}

/// The entries of a METADATA response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataEntries<'a> {
    /// Entries with values (the answer to GETMETADATA).
    Values(Vec<(Str<'a>, NString<'a>)>),
    /// Entry names only (an unsolicited change notice).
    Names(Vec<Str<'a>>),
}

/// One item of a FETCH response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem<'a> {
    /// `FLAGS (...)`.
    Flags(Vec<Flag<'a>>),
    /// `ENVELOPE (...)`.
    Envelope(Box<Envelope<'a>>),
    /// `INTERNALDATE "..."`.
    InternalDate(DateTime),
    /// `RFC822.SIZE n`.
    Rfc822Size(u64),
    /// `UID n`.
    Uid(NonZeroU32),
    /// `MODSEQ (n)`.
    ModSeq(u64),
    /// `BODY (...)` (no extension data).
    Body(Box<BodyStructure<'a>>),
    /// `BODYSTRUCTURE (...)`.
    BodyStructure(Box<BodyStructure<'a>>),
    /// `BODY[section]<origin> data`.
    BodySection {
        /// The section.
        section: Section<'a>,
        /// `<origin>` of a partial fetch.
        origin: Option<u32>,
        /// The data (NIL when the section does not exist).
        data: NString<'a>,
    },
    /// `BINARY[part]<origin> data` (literal8 when it holds NUL).
    Binary {
        /// The part.
        part: Vec<NonZeroU32>,
        /// `<origin>`.
        origin: Option<u32>,
        /// The decoded data (NIL when the part does not exist).
        data: NString<'a>,
    },
    /// `BINARY.SIZE[part] n`.
    BinarySize {
        /// The part.
        part: Vec<NonZeroU32>,
        /// The decoded size.
        size: u64,
    },
    /// `RFC822 data` (IMAP4rev1).
    Rfc822(NString<'a>),
    /// `RFC822.HEADER data`.
    Rfc822Header(NString<'a>),
    /// `RFC822.TEXT data`.
    Rfc822Text(NString<'a>),
    /// `SAVEDATE "date-time"` or `SAVEDATE NIL` (RFC 8514).
    SaveDate(Option<DateTime>),
    /// `PREVIEW text` or `PREVIEW NIL` (RFC 8970).
    Preview(NString<'a>),
    /// An item this crate does not know (`X-GM-LABELS (...)`, Dovecot's
    /// `SNIPPET (FUZZY "...")`): its name and value.
    Other {
        /// The item's name.
        name: Atom<'a>,
        /// Its value: a string, a number or a parenthesised list.
        value: TaggedExtValue<'a>,
    },
}

impl Response<'_> {
    /// The same response, owning its data (for keeping it beyond the
    /// buffer it was parsed from).
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Response::Status(s) => Response::Status(s.into_owned()),
            Response::Data(d) => Response::Data(d.into_owned()),
            Response::Continue(c) => Response::Continue(c.into_owned()),
        }
    }
}

impl StatusResponse<'_> {
    /// The same response, owning its data.
    pub fn into_owned(self) -> StatusResponse<'static> {
        StatusResponse {
            tag: self.tag.map(Tag::into_owned),
            kind: self.kind,
            code: self.code.map(Code::into_owned),
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

impl Continue<'_> {
    /// The same request, owning its data.
    pub fn into_owned(self) -> Continue<'static> {
        match self {
            Continue::Text { code, text } => Continue::Text {
                code: code.map(Code::into_owned),
                text: Cow::Owned(text.into_owned()),
            },
            Continue::Base64(b) => Continue::Base64(Cow::Owned(b.into_owned())),
        }
    }
}

fn owned_pairs(v: Vec<(Str<'_>, NString<'_>)>) -> Vec<(Str<'static>, NString<'static>)> {
    v.into_iter()
        .map(|(k, v)| (k.into_owned(), v.map(Str::into_owned)))
        .collect()
}

fn owned_flags(v: Vec<Flag<'_>>) -> Vec<Flag<'static>> {
    v.into_iter().map(Flag::into_owned).collect()
}

impl Data<'_> {
    /// The same data, owning its text.
    pub fn into_owned(self) -> Data<'static> {
        match self {
            Data::Capability(caps) => {
                Data::Capability(caps.into_iter().map(Capability::into_owned).collect())
            }
            Data::Enabled(atoms) => {
                Data::Enabled(atoms.into_iter().map(Atom::into_owned).collect())
            }
            Data::List(l) => Data::List(l.into_owned()),
            Data::Lsub(l) => Data::Lsub(l.into_owned()),
            Data::Status(s) => Data::Status(s.into_owned()),
            Data::Search { numbers, modseq } => Data::Search { numbers, modseq },
            Data::ESearch(e) => Data::ESearch(ESearch {
                tag: e.tag.map(Tag::into_owned),
                uid: e.uid,
                results: e
                    .results
                    .into_iter()
                    .map(ESearchResult::into_owned)
                    .collect(),
            }),
            Data::Sort { numbers, modseq } => Data::Sort { numbers, modseq },
            Data::Thread(t) => Data::Thread(t),
            Data::Flags(f) => Data::Flags(owned_flags(f)),
            Data::Exists(n) => Data::Exists(n),
            Data::Recent(n) => Data::Recent(n),
            Data::Expunge(n) => Data::Expunge(n),
            Data::Vanished { earlier, uids } => Data::Vanished { earlier, uids },
            Data::Fetch { seq, items } => Data::Fetch {
                seq,
                items: items.into_iter().map(FetchItem::into_owned).collect(),
            },
            Data::Namespace {
                personal,
                other,
                shared,
            } => {
                let own = |v: Vec<NamespaceDesc<'_>>| {
                    v.into_iter()
                        .map(NamespaceDesc::into_owned)
                        .collect::<Vec<_>>()
                };
                Data::Namespace {
                    personal: own(personal),
                    other: own(other),
                    shared: own(shared),
                }
            }
            Data::Id(params) => Data::Id(params.map(owned_pairs)),
            Data::Quota { root, resources } => Data::Quota {
                root: root.into_owned(),
                resources: resources
                    .into_iter()
                    .map(|r| QuotaResource {
                        name: r.name.into_owned(),
                        usage: r.usage,
                        limit: r.limit,
                    })
                    .collect(),
            },
            Data::QuotaRoot { mailbox, roots } => Data::QuotaRoot {
                mailbox: mailbox.into_owned(),
                roots: owned_strs(roots),
            },
            Data::Acl { mailbox, entries } => Data::Acl {
                mailbox: mailbox.into_owned(),
                entries: entries
                    .into_iter()
                    .map(|(i, r)| (i.into_owned(), r.into_owned()))
                    .collect(),
            },
            Data::ListRights {
                mailbox,
                identifier,
                required,
                optional,
            } => Data::ListRights {
                mailbox: mailbox.into_owned(),
                identifier: identifier.into_owned(),
                required: required.into_owned(),
                optional: owned_strs(optional),
            },
            Data::MyRights { mailbox, rights } => Data::MyRights {
                mailbox: mailbox.into_owned(),
                rights: rights.into_owned(),
            },
            Data::Other { name, text } => Data::Other {
                name: name.into_owned(),
                text: Cow::Owned(text.into_owned()),
            },
            Data::Metadata { mailbox, entries } => Data::Metadata {
                mailbox: mailbox.into_owned(),
                entries: match entries {
                    MetadataEntries::Values(v) => MetadataEntries::Values(owned_pairs(v)),
                    MetadataEntries::Names(v) => MetadataEntries::Names(owned_strs(v)),
                },
            },
        }
    }
}

impl NamespaceDesc<'_> {
    /// The same namespace, owning its text.
    pub fn into_owned(self) -> NamespaceDesc<'static> {
        NamespaceDesc {
            prefix: self.prefix.into_owned(),
            delimiter: self.delimiter,
            extensions: self
                .extensions
                .into_iter()
                .map(|(k, v)| (k.into_owned(), owned_strs(v)))
                .collect(),
        }
    }
}

impl FetchItem<'_> {
    /// The same item, owning its data.
    pub fn into_owned(self) -> FetchItem<'static> {
        let own = |s: NString<'_>| s.map(Str::into_owned);
        match self {
            FetchItem::Flags(f) => FetchItem::Flags(owned_flags(f)),
            FetchItem::Envelope(e) => FetchItem::Envelope(Box::new(e.into_owned())),
            FetchItem::InternalDate(d) => FetchItem::InternalDate(d),
            FetchItem::Rfc822Size(n) => FetchItem::Rfc822Size(n),
            FetchItem::Uid(n) => FetchItem::Uid(n),
            FetchItem::ModSeq(n) => FetchItem::ModSeq(n),
            FetchItem::Body(b) => FetchItem::Body(Box::new(b.into_owned())),
            FetchItem::BodyStructure(b) => FetchItem::BodyStructure(Box::new(b.into_owned())),
            FetchItem::BodySection {
                section,
                origin,
                data,
            } => FetchItem::BodySection {
                section: section.into_owned(),
                origin,
                data: own(data),
            },
            FetchItem::Binary { part, origin, data } => FetchItem::Binary {
                part,
                origin,
                data: own(data),
            },
            FetchItem::BinarySize { part, size } => FetchItem::BinarySize { part, size },
            FetchItem::Rfc822(d) => FetchItem::Rfc822(own(d)),
            FetchItem::Rfc822Header(d) => FetchItem::Rfc822Header(own(d)),
            FetchItem::Rfc822Text(d) => FetchItem::Rfc822Text(own(d)),
            FetchItem::SaveDate(d) => FetchItem::SaveDate(d),
            FetchItem::Preview(d) => FetchItem::Preview(own(d)),
            FetchItem::Other { name, value } => FetchItem::Other {
                name: name.into_owned(),
                value: value.into_owned(),
            },
        }
    }
}
