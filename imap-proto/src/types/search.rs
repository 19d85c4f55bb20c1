//! SEARCH keys and ESEARCH return options.

use super::core::{Atom, Str};
use super::datetime::Date;
use super::sequence::SequenceSet;

/// A search key (RFC 9051 §6.4.4, with CONDSTORE's MODSEQ). The parser
/// bounds how deeply keys nest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey<'a> {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC string`.
    Bcc(Str<'a>),
    /// `BEFORE date` (internal date).
    Before(Date),
    /// `BODY string`.
    Body(Str<'a>),
    /// `CC string`.
    Cc(Str<'a>),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM string`.
    From(Str<'a>),
    /// `HEADER field-name string`.
    Header(Str<'a>, Str<'a>),
    /// `KEYWORD flag-keyword`.
    Keyword(Atom<'a>),
    /// `LARGER number`.
    Larger(u64),
    /// `NEW` (IMAP4rev1: recent and unseen).
    New,
    /// `NOT search-key`.
    Not(Box<SearchKey<'a>>),
    /// `OLD` (IMAP4rev1: not recent).
    Old,
    /// `ON date` (internal date).
    On(Date),
    /// `OR search-key search-key`.
    Or(Box<SearchKey<'a>>, Box<SearchKey<'a>>),
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date` (Date: header).
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `SINCE date` (internal date).
    Since(Date),
    /// `SMALLER number`.
    Smaller(u64),
    /// `SUBJECT string`.
    Subject(Str<'a>),
    /// `TEXT string`.
    Text(Str<'a>),
    /// `TO string`.
    To(Str<'a>),
    /// `UID sequence-set`.
    Uid(SequenceSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag-keyword`.
    Unkeyword(Atom<'a>),
    /// `UNSEEN`.
    Unseen,
    /// A sequence set of message numbers (or `$`).
    SequenceSet(SequenceSet),
    /// `( search-key *(SP search-key) )`: all of them.
    And(Vec<SearchKey<'a>>),
    /// `OLDER seconds` (WITHIN, RFC 5032): arrived more than this long ago.
    Older(u32),
    /// `YOUNGER seconds` (WITHIN): arrived at most this long ago.
    Younger(u32),
    /// `SAVEDBEFORE date` (SAVEDATE, RFC 8514).
    SavedBefore(Date),
    /// `SAVEDON date`.
    SavedOn(Date),
    /// `SAVEDSINCE date`.
    SavedSince(Date),
    /// `SAVEDATESUPPORTED`: the mailbox keeps save dates.
    SaveDateSupported,
    /// `MODSEQ [entry-name entry-type-req] mod-sequence-valzer` (RFC 7162).
    ModSeq {
        /// The metadata item and its type (`"/flags/\\draft" all`), if given.
        entry: Option<(Str<'a>, EntryType)>,
        /// Messages with a mod-sequence at least this.
        modseq: u64,
    },
}

/// The `entry-type-req` of a MODSEQ search key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryType {
    /// `priv`.
    Private,
    /// `shared`.
    Shared,
    /// `all`.
    All,
}

/// An ESEARCH return option (RFC 4731, RFC 5182).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchReturn {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (SEARCHRES).
    Save,
    /// `CONTEXT` (RFC 5267): the client may ask for updates later.
    Context,
    /// `UPDATE` (RFC 5267): notify the client of changes to the result.
    Update,
}

impl SearchKey<'_> {
    /// The same key, owning its text.
    pub fn into_owned(self) -> SearchKey<'static> {
        use SearchKey as K;
        match self {
            K::All => K::All,
            K::Answered => K::Answered,
            K::Bcc(s) => K::Bcc(s.into_owned()),
            K::Before(d) => K::Before(d),
            K::Body(s) => K::Body(s.into_owned()),
            K::Cc(s) => K::Cc(s.into_owned()),
            K::Deleted => K::Deleted,
            K::Draft => K::Draft,
            K::Flagged => K::Flagged,
            K::From(s) => K::From(s.into_owned()),
            K::Header(f, v) => K::Header(f.into_owned(), v.into_owned()),
            K::Keyword(a) => K::Keyword(a.into_owned()),
            K::Larger(n) => K::Larger(n),
            K::New => K::New,
            K::Not(k) => K::Not(Box::new(k.into_owned())),
            K::Old => K::Old,
            K::On(d) => K::On(d),
            K::Or(a, b) => K::Or(Box::new(a.into_owned()), Box::new(b.into_owned())),
            K::Recent => K::Recent,
            K::Seen => K::Seen,
            K::SentBefore(d) => K::SentBefore(d),
            K::SentOn(d) => K::SentOn(d),
            K::SentSince(d) => K::SentSince(d),
            K::Since(d) => K::Since(d),
            K::Smaller(n) => K::Smaller(n),
            K::Subject(s) => K::Subject(s.into_owned()),
            K::Text(s) => K::Text(s.into_owned()),
            K::To(s) => K::To(s.into_owned()),
            K::Uid(set) => K::Uid(set),
            K::Unanswered => K::Unanswered,
            K::Undeleted => K::Undeleted,
            K::Undraft => K::Undraft,
            K::Unflagged => K::Unflagged,
            K::Unkeyword(a) => K::Unkeyword(a.into_owned()),
            K::Unseen => K::Unseen,
            K::Older(n) => K::Older(n),
            K::Younger(n) => K::Younger(n),
            K::SavedBefore(d) => K::SavedBefore(d),
            K::SavedOn(d) => K::SavedOn(d),
            K::SavedSince(d) => K::SavedSince(d),
            K::SaveDateSupported => K::SaveDateSupported,
            K::SequenceSet(set) => K::SequenceSet(set),
            K::And(keys) => K::And(keys.into_iter().map(SearchKey::into_owned).collect()),
            K::ModSeq { entry, modseq } => K::ModSeq {
                entry: entry.map(|(name, kind)| (name.into_owned(), kind)),
                modseq,
            },
        }
    }
}
