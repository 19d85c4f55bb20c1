//! The values the store traits trade in: flags, message and mailbox
//! metadata, changes.

use std::fmt;
use std::time::SystemTime;

use crate::directory::QuotaLimit;

/// The IMAP system flags a message can carry (`\Recent` is a property of
/// a session, kept by the IMAP layer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// `\Seen`.
    pub const SEEN: Flags = Flags(1);
    /// `\Answered`.
    pub const ANSWERED: Flags = Flags(2);
    /// `\Flagged`.
    pub const FLAGGED: Flags = Flags(4);
    /// `\Deleted`.
    pub const DELETED: Flags = Flags(8);
    /// `\Draft`.
    pub const DRAFT: Flags = Flags(16);
    /// Every flag, with its IMAP name.
    pub const ALL: [(Flags, &'static str); 5] = [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
    ];

    /// No flags.
    pub const fn empty() -> Flags {
        Flags(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of both.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// These flags without those of `other`.
    pub const fn difference(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// The flag with this IMAP name (`\Seen`, any case).
    pub fn from_name(name: &str) -> Option<Flags> {
        Flags::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

impl fmt::Display for Flags {
    /// The IMAP names, space-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in Flags::ALL {
            if self.contains(flag) {
                if !first {
                    f.write_str(" ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// What one message is, apart from its content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageMeta {
    /// The UID.
    pub uid: u32,
    /// System flags.
    pub flags: Flags,
    /// Keywords (`$Forwarded`, `$Junk`, user-defined), each once, in the
    /// order first set.
    pub keywords: Vec<String>,
    /// When the message arrived (IMAP INTERNALDATE).
    pub internal_date: SystemTime,
    /// The size in bytes as stored (IMAP RFC822.SIZE counts CRLF line
    /// ends: messages are stored with CRLF).
    pub size: u64,
    /// The size with every line end a CRLF (POP3's exact size), when the
    /// store knows it without reading the content: counted as the message
    /// was stored, or Dovecot's `,W=` in a Maildir file name (which counts
    /// bare LFs and not bare CRs, as Dovecot does). `None`: only the
    /// content tells.
    pub virtual_size: Option<u64>,
    /// The MODSEQ of its last change (RFC 7162).
    pub modseq: u64,
}

impl MessageMeta {
    /// Whether the message has `keyword` (case-insensitively, as IMAP
    /// compares keywords).
    pub fn has_keyword(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

/// RFC 6154 special-use attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    /// `\All`: a virtual view of every message.
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`: a virtual view of flagged messages.
    Flagged,
    /// `\Junk`.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
}

impl SpecialUse {
    /// Every attribute.
    pub const ALL: [SpecialUse; 7] = [
        SpecialUse::All,
        SpecialUse::Archive,
        SpecialUse::Drafts,
        SpecialUse::Flagged,
        SpecialUse::Junk,
        SpecialUse::Sent,
        SpecialUse::Trash,
    ];

    /// The IMAP attribute (`\Sent`).
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// The attribute for an IMAP name (any case).
    pub fn from_attribute(name: &str) -> Option<SpecialUse> {
        SpecialUse::ALL
            .into_iter()
            .find(|u| u.attribute().eq_ignore_ascii_case(name))
    }
}

/// One mailbox in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxInfo {
    /// The name, hierarchy levels separated by `/` (`Lists/rust`);
    /// `INBOX` for the inbox.
    pub name: String,
    /// Its special use, if any.
    pub special_use: Option<SpecialUse>,
    /// Whether it is subscribed.
    pub subscribed: bool,
    /// Whether it has child mailboxes.
    pub has_children: bool,
    /// Whether it exists (a parent of existing mailboxes may not:
    /// IMAP's `\NonExistent`).
    pub exists: bool,
}

/// The numbers of a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxStatus {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// The UID the next message will get.
    pub uid_next: u32,
    /// The highest MODSEQ of any change, expunges included.
    pub highest_modseq: u64,
    /// How many messages.
    pub messages: u32,
    /// How many messages lack `\Seen`.
    pub unseen: u32,
    /// The total size of the messages, in bytes.
    pub size: u64,
}

/// What [`Mailbox::sync`](super::Mailbox::sync) found changed since the
/// last sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Changes {
    /// The UIDVALIDITY changed: every earlier UID is void (the mailbox
    /// was recreated); `expunged` and `added` then list everything.
    pub uid_validity_changed: bool,
    /// UIDs gone, ascending.
    pub expunged: Vec<u32>,
    /// UIDs new, ascending.
    pub added: Vec<u32>,
    /// UIDs whose flags or keywords changed, ascending.
    pub updated: Vec<u32>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.uid_validity_changed
            && self.expunged.is_empty()
            && self.added.is_empty()
            && self.updated.is_empty()
    }
}

/// A user's storage use against their limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuotaUsage {
    /// Bytes used.
    pub bytes: u64,
    /// Messages stored.
    pub messages: u64,
    /// The limits.
    pub limit: QuotaLimit,
}

impl QuotaUsage {
    /// Whether `bytes` more in `messages` more messages stay within the
    /// limits.
    pub fn allows(&self, bytes: u64, messages: u64) -> bool {
        self.limit
            .bytes
            .is_none_or(|max| self.bytes.saturating_add(bytes) <= max)
            && self
                .limit
                .messages
                .is_none_or(|max| self.messages.saturating_add(messages) <= max)
    }
}
