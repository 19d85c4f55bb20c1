//! Response codes (`[...]` after OK, NO, BAD, PREAUTH and BYE).

use std::num::NonZeroU32;

use super::capability::Capability;
use super::core::{Atom, Str};
use super::flag::FlagPerm;
use super::sequence::SequenceSet;

/// A response code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code<'a> {
    /// `ALERT`.
    Alert,
    /// `BADCHARSET [(charsets)]`.
    BadCharset(Vec<Str<'a>>),
    /// `CAPABILITY ...`.
    Capability(Vec<Capability<'a>>),
    /// `PARSE`.
    Parse,
    /// `PERMANENTFLAGS (...)`.
    PermanentFlags(Vec<FlagPerm<'a>>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n` (IMAP4rev1).
    Unseen(NonZeroU32),
    /// `APPENDUID validity uids` (UIDPLUS).
    AppendUid {
        /// The mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The new messages' UIDs.
        uids: SequenceSet,
    },
    /// `COPYUID validity source destination` (UIDPLUS).
    CopyUid {
        /// The destination's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The source UIDs.
        source: SequenceSet,
        /// The destination UIDs, in the same order.
        destination: SequenceSet,
    },
    /// `UIDNOTSTICKY`.
    UidNotSticky,
    /// `CLOSED` (QRESYNC).
    Closed,
    /// `HIGHESTMODSEQ n`.
    HighestModSeq(u64),
    /// `NOMODSEQ`.
    NoModSeq,
    /// `MODIFIED set`.
    Modified(SequenceSet),
    /// `COMPRESSIONACTIVE`.
    CompressionActive,
    /// `METADATA LONGENTRIES n`.
    MetadataLongEntries(u32),
    /// `METADATA MAXSIZE n`.
    MetadataMaxSize(u32),
    /// `METADATA TOOMANY`.
    MetadataTooMany,
    /// `METADATA NOPRIVATE`.
    MetadataNoPrivate,
    /// `TOOBIG` (RFC 4469, RFC 7889: over the APPENDLIMIT).
    TooBig,
    /// `UNKNOWN-CTE` (BINARY).
    UnknownCte,
    /// One of the codes of RFC 5530 and RFC 9051 that carry no data.
    Simple(SimpleCode),
    /// Any other code: its atom and its text, if any.
    Other(Atom<'a>, Option<Str<'a>>),
}

impl Code<'_> {
    /// The same code, owning its text.
    pub fn into_owned(self) -> Code<'static> {
        match self {
            Code::Alert => Code::Alert,
            Code::BadCharset(v) => Code::BadCharset(v.into_iter().map(Str::into_owned).collect()),
            Code::Capability(v) => {
                Code::Capability(v.into_iter().map(Capability::into_owned).collect())
            }
            Code::Parse => Code::Parse,
            Code::PermanentFlags(v) => Code::PermanentFlags(
                v.into_iter()
                    .map(|f| match f {
                        FlagPerm::Flag(f) => FlagPerm::Flag(f.into_owned()),
                        FlagPerm::Wildcard => FlagPerm::Wildcard,
                    })
                    .collect(),
            ),
            Code::ReadOnly => Code::ReadOnly,
            Code::ReadWrite => Code::ReadWrite,
            Code::TryCreate => Code::TryCreate,
            Code::UidNext(n) => Code::UidNext(n),
            Code::UidValidity(n) => Code::UidValidity(n),
            Code::Unseen(n) => Code::Unseen(n),
            Code::AppendUid { uid_validity, uids } => Code::AppendUid { uid_validity, uids },
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            } => Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
            Code::UidNotSticky => Code::UidNotSticky,
            Code::Closed => Code::Closed,
            Code::HighestModSeq(n) => Code::HighestModSeq(n),
            Code::NoModSeq => Code::NoModSeq,
            Code::Modified(s) => Code::Modified(s),
            Code::CompressionActive => Code::CompressionActive,
            Code::MetadataLongEntries(n) => Code::MetadataLongEntries(n),
            Code::MetadataMaxSize(n) => Code::MetadataMaxSize(n),
            Code::MetadataTooMany => Code::MetadataTooMany,
            Code::MetadataNoPrivate => Code::MetadataNoPrivate,
            Code::TooBig => Code::TooBig,
            Code::UnknownCte => Code::UnknownCte,
            Code::Simple(c) => Code::Simple(c),
            Code::Other(a, t) => Code::Other(a.into_owned(), t.map(Str::into_owned)),
        }
    }
}

/// The data-less response codes of RFC 5530 (and RFC 9051).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimpleCode {
    /// `UNAVAILABLE`.
    Unavailable,
    /// `AUTHENTICATIONFAILED`.
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED`.
    AuthorizationFailed,
    /// `EXPIRED`.
    Expired,
    /// `PRIVACYREQUIRED`.
    PrivacyRequired,
    /// `CONTACTADMIN`.
    ContactAdmin,
    /// `NOPERM`.
    NoPerm,
    /// `INUSE`.
    InUse,
    /// `EXPUNGEISSUED`.
    ExpungeIssued,
    /// `CORRUPTION`.
    Corruption,
    /// `SERVERBUG`.
    ServerBug,
    /// `CLIENTBUG`.
    ClientBug,
    /// `CANNOT`.
    Cannot,
    /// `LIMIT`.
    Limit,
    /// `OVERQUOTA`.
    OverQuota,
    /// `ALREADYEXISTS`.
    AlreadyExists,
    /// `NONEXISTENT`.
    NonExistent,
    /// `HASCHILDREN`.
    HasChildren,
    /// `NOTSAVED`.
    NotSaved,
}

/// The names of the simple codes, for the parser and the encoder.
pub(crate) const SIMPLE_CODES: &[(&str, SimpleCode)] = &[
    ("UNAVAILABLE", SimpleCode::Unavailable),
    ("AUTHENTICATIONFAILED", SimpleCode::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", SimpleCode::AuthorizationFailed),
    ("EXPIRED", SimpleCode::Expired),
    ("PRIVACYREQUIRED", SimpleCode::PrivacyRequired),
    ("CONTACTADMIN", SimpleCode::ContactAdmin),
    ("NOPERM", SimpleCode::NoPerm),
    ("INUSE", SimpleCode::InUse),
    ("EXPUNGEISSUED", SimpleCode::ExpungeIssued),
    ("CORRUPTION", SimpleCode::Corruption),
    ("SERVERBUG", SimpleCode::ServerBug),
    ("CLIENTBUG", SimpleCode::ClientBug),
    ("CANNOT", SimpleCode::Cannot),
    ("LIMIT", SimpleCode::Limit),
    ("OVERQUOTA", SimpleCode::OverQuota),
    ("ALREADYEXISTS", SimpleCode::AlreadyExists),
    ("NONEXISTENT", SimpleCode::NonExistent),
    ("HASCHILDREN", SimpleCode::HasChildren),
    ("NOTSAVED", SimpleCode::NotSaved),
];
