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
}
