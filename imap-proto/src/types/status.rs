//! STATUS items and their values.

/// An item a STATUS command (or LIST-STATUS) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusItem {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (IMAP4rev2).
    Deleted,
    /// `SIZE` (STATUS=SIZE, IMAP4rev2).
    Size,
    /// `HIGHESTMODSEQ` (CONDSTORE).
    HighestModSeq,
    /// `APPENDLIMIT` (RFC 7889).
    AppendLimit,
    /// `DELETED-STORAGE` (QUOTA, RFC 9208): storage freed by expunging the
    /// messages marked `\Deleted`, in units of 1024 octets.
    DeletedStorage,
}

/// One item of a STATUS response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusValue {
    /// `MESSAGES n`.
    Messages(u32),
    /// `RECENT n`.
    Recent(u32),
    /// `UIDNEXT n`.
    UidNext(u32),
    /// `UIDVALIDITY n`.
    UidValidity(u32),
    /// `UNSEEN n`.
    Unseen(u32),
    /// `DELETED n`.
    Deleted(u32),
    /// `SIZE n`.
    Size(u64),
    /// `HIGHESTMODSEQ n`.
    HighestModSeq(u64),
    /// `APPENDLIMIT n` or `APPENDLIMIT NIL` (no limit).
    AppendLimit(Option<u64>),
    /// `DELETED-STORAGE n`.
    DeletedStorage(u64),
}

/// The items' names, for the parsers and the encoders.
pub(crate) const STATUS_ITEMS: &[(&str, StatusItem)] = &[
    ("MESSAGES", StatusItem::Messages),
    ("RECENT", StatusItem::Recent),
    ("UIDNEXT", StatusItem::UidNext),
    ("UIDVALIDITY", StatusItem::UidValidity),
    ("UNSEEN", StatusItem::Unseen),
    ("DELETED", StatusItem::Deleted),
    ("SIZE", StatusItem::Size),
    ("HIGHESTMODSEQ", StatusItem::HighestModSeq),
    ("APPENDLIMIT", StatusItem::AppendLimit),
    ("DELETED-STORAGE", StatusItem::DeletedStorage),
];

impl StatusItem {
    /// The item's name on the wire.
    pub fn name(self) -> &'static str {
        STATUS_ITEMS
            .iter()
            .find(|(_, item)| *item == self)
            .map(|(name, _)| *name)
            .expect("every item has a name")
    }
}

impl StatusValue {
    /// The item this value answers.
    pub fn item(self) -> StatusItem {
        match self {
            StatusValue::Messages(_) => StatusItem::Messages,
            StatusValue::Recent(_) => StatusItem::Recent,
            StatusValue::UidNext(_) => StatusItem::UidNext,
            StatusValue::UidValidity(_) => StatusItem::UidValidity,
            StatusValue::Unseen(_) => StatusItem::Unseen,
            StatusValue::Deleted(_) => StatusItem::Deleted,
            StatusValue::Size(_) => StatusItem::Size,
            StatusValue::HighestModSeq(_) => StatusItem::HighestModSeq,
            StatusValue::AppendLimit(_) => StatusItem::AppendLimit,
            StatusValue::DeletedStorage(_) => StatusItem::DeletedStorage,
        }
    }
}
