//! Capabilities, as CAPABILITY lists them and ENABLE names them.

use super::core::Atom;

/// A capability. Known names have a variant (compared without regard to
/// case when parsed); everything else is [`Capability::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Capability<'a> {
    /// `IMAP4rev1`.
    Imap4Rev1,
    /// `IMAP4rev2`.
    Imap4Rev2,
    /// `AUTH=mechanism`.
    Auth(Atom<'a>),
    /// `STARTTLS`.
    StartTls,
    /// `LOGINDISABLED`.
    LoginDisabled,
    /// `IDLE`.
    Idle,
    /// `UIDPLUS`.
    UidPlus,
    /// `MOVE`.
    Move,
    /// `LITERAL+`.
    LiteralPlus,
    /// `LITERAL-`.
    LiteralMinus,
    /// `ENABLE`.
    Enable,
    /// `NAMESPACE`.
    Namespace,
    /// `ID`.
    Id,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// `CREATE-SPECIAL-USE`.
    CreateSpecialUse,
    /// `LIST-EXTENDED`.
    ListExtended,
    /// `LIST-STATUS`.
    ListStatus,
    /// `CHILDREN`.
    Children,
    /// `UNSELECT`.
    Unselect,
    /// `SASL-IR`.
    SaslIr,
    /// `ESEARCH`.
    ESearch,
    /// `SEARCHRES`.
    SearchRes,
    /// `CONDSTORE`.
    CondStore,
    /// `QRESYNC`.
    QResync,
    /// `QUOTA`.
    Quota,
    /// `QUOTA=RES-name`.
    QuotaRes(Atom<'a>),
    /// `QUOTASET`.
    QuotaSet,
    /// `STATUS=SIZE`.
    StatusSize,
    /// `BINARY`.
    Binary,
    /// `UTF8=ACCEPT`.
    Utf8Accept,
    /// `UTF8=ONLY`.
    Utf8Only,
    /// `MULTIAPPEND`.
    MultiAppend,
    /// `APPENDLIMIT` or `APPENDLIMIT=n`.
    AppendLimit(Option<u64>),
    /// `COMPRESS=mechanism`.
    Compress(Atom<'a>),
    /// `SORT`.
    Sort,
    /// `SORT=DISPLAY`.
    SortDisplay,
    /// `THREAD=algorithm`.
    Thread(Atom<'a>),
    /// `UNAUTHENTICATE`.
    Unauthenticate,
    /// `METADATA`.
    Metadata,
    /// `METADATA-SERVER`.
    MetadataServer,
    /// Any other capability, as sent.
    Other(Atom<'a>),
}

/// The names of the capabilities without a value, for the parser and the
/// encoder (one table, so they cannot disagree).
pub(crate) const SIMPLE: &[(&str, Capability<'static>)] = &[
    ("IMAP4rev1", Capability::Imap4Rev1),
    ("IMAP4rev2", Capability::Imap4Rev2),
    ("STARTTLS", Capability::StartTls),
    ("LOGINDISABLED", Capability::LoginDisabled),
    ("IDLE", Capability::Idle),
    ("UIDPLUS", Capability::UidPlus),
    ("MOVE", Capability::Move),
    ("LITERAL+", Capability::LiteralPlus),
    ("LITERAL-", Capability::LiteralMinus),
    ("ENABLE", Capability::Enable),
    ("NAMESPACE", Capability::Namespace),
    ("ID", Capability::Id),
    ("SPECIAL-USE", Capability::SpecialUse),
    ("CREATE-SPECIAL-USE", Capability::CreateSpecialUse),
    ("LIST-EXTENDED", Capability::ListExtended),
    ("LIST-STATUS", Capability::ListStatus),
    ("CHILDREN", Capability::Children),
    ("UNSELECT", Capability::Unselect),
    ("SASL-IR", Capability::SaslIr),
    ("ESEARCH", Capability::ESearch),
    ("SEARCHRES", Capability::SearchRes),
    ("CONDSTORE", Capability::CondStore),
    ("QRESYNC", Capability::QResync),
    ("QUOTA", Capability::Quota),
    ("QUOTASET", Capability::QuotaSet),
    ("STATUS=SIZE", Capability::StatusSize),
    ("BINARY", Capability::Binary),
    ("UTF8=ACCEPT", Capability::Utf8Accept),
    ("UTF8=ONLY", Capability::Utf8Only),
    ("MULTIAPPEND", Capability::MultiAppend),
    ("APPENDLIMIT", Capability::AppendLimit(None)),
    ("SORT", Capability::Sort),
    ("SORT=DISPLAY", Capability::SortDisplay),
    ("UNAUTHENTICATE", Capability::Unauthenticate),
    ("METADATA", Capability::Metadata),
    ("METADATA-SERVER", Capability::MetadataServer),
];

/// Prefixes of the capabilities that carry a value after `=`.
pub(crate) const AUTH_PREFIX: &str = "AUTH=";
/// `QUOTA=RES-`.
pub(crate) const QUOTA_RES_PREFIX: &str = "QUOTA=RES-";
/// `COMPRESS=`.
pub(crate) const COMPRESS_PREFIX: &str = "COMPRESS=";
/// `THREAD=`.
pub(crate) const THREAD_PREFIX: &str = "THREAD=";
/// `APPENDLIMIT=`.
pub(crate) const APPENDLIMIT_PREFIX: &str = "APPENDLIMIT=";

impl Capability<'_> {
    /// The same capability, owning its text.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Capability::Auth(a) => Capability::Auth(a.into_owned()),
            Capability::QuotaRes(a) => Capability::QuotaRes(a.into_owned()),
            Capability::Compress(a) => Capability::Compress(a.into_owned()),
            Capability::Thread(a) => Capability::Thread(a.into_owned()),
            Capability::Other(a) => Capability::Other(a.into_owned()),
            Capability::AppendLimit(n) => Capability::AppendLimit(n),
            simple => SIMPLE
                .iter()
                .find(|(_, c)| *c == simple)
                .map(|(_, c)| c.clone())
                .expect("every variant without data is in SIMPLE"),
        }
    }
}
