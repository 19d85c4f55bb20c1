//! Changes to a mailbox, gathered and then committed at once.

use std::any::Any;
use std::time::SystemTime;

use super::types::Flags;

/// A message written to an account's staging area by a
/// [`MessageWriter`](super::MessageWriter), waiting to be appended. Its
/// bytes are written; a durable backend makes them durable no later than
/// the commit that appends or delivers it returns. Dropping it without
/// committing discards it.
pub trait StagedMessage: Send + Sync + std::fmt::Debug {
    /// Its size in bytes.
    fn size(&self) -> u64;

    /// For the backend that staged it, to get its own type back.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// How flags change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// Set these (IMAP `+FLAGS`).
    Add,
    /// Clear these (`-FLAGS`).
    Remove,
    /// Make them exactly these (`FLAGS`).
    Replace,
}

/// A flag change for a set of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlagChange {
    /// Add, remove or replace.
    pub op: FlagOp,
    /// System flags.
    pub flags: Flags,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Change only messages whose MODSEQ is at most this (RFC 7162
    /// `UNCHANGEDSINCE`); the others are reported as conflicts.
    pub unchanged_since: Option<u64>,
}

impl FlagChange {
    /// A change of system flags and keywords.
    pub fn new(op: FlagOp, flags: Flags, keywords: Vec<String>) -> FlagChange {
        FlagChange {
            op,
            flags,
            keywords,
            unchanged_since: None,
        }
    }

    /// Only for messages not changed since `modseq`.
    pub fn unchanged_since(mut self, modseq: u64) -> FlagChange {
        self.unchanged_since = Some(modseq);
        self
    }
}

/// How an appended message starts out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendOptions {
    /// Its flags.
    pub flags: Flags,
    /// Its keywords.
    pub keywords: Vec<String>,
    /// Its INTERNALDATE (default: now).
    pub internal_date: Option<SystemTime>,
}

impl AppendOptions {
    /// With these flags and keywords.
    pub fn new(flags: Flags, keywords: Vec<String>) -> AppendOptions {
        AppendOptions {
            flags,
            keywords,
            internal_date: None,
        }
    }

    /// With this INTERNALDATE.
    pub fn at(mut self, internal_date: SystemTime) -> AppendOptions {
        self.internal_date = Some(internal_date);
        self
    }
}

/// One operation of a [`Transaction`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Operation {
    /// Add a staged message.
    Append(Box<dyn StagedMessage>, AppendOptions),
    /// Change flags of these UIDs (unknown UIDs are skipped).
    Store(Vec<u32>, FlagChange),
    /// Copy these UIDs to another mailbox of the account.
    Copy(Vec<u32>, String),
    /// Move these UIDs to another mailbox of the account.
    Move(Vec<u32>, String),
    /// Remove these UIDs.
    Expunge(Vec<u32>),
}

/// Changes to one mailbox, applied in order by
/// [`Mailbox::commit`](super::Mailbox::commit).
#[derive(Debug, Default)]
pub struct Transaction {
    ops: Vec<Operation>,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// Appends a staged message.
    pub fn append(mut self, message: Box<dyn StagedMessage>, options: AppendOptions) -> Self {
        self.ops.push(Operation::Append(message, options));
        self
    }

    /// Changes flags.
    pub fn store(mut self, uids: impl Into<Vec<u32>>, change: FlagChange) -> Self {
        self.ops.push(Operation::Store(uids.into(), change));
        self
    }

    /// Copies messages to `mailbox`.
    pub fn copy(mut self, uids: impl Into<Vec<u32>>, mailbox: impl Into<String>) -> Self {
        self.ops.push(Operation::Copy(uids.into(), mailbox.into()));
        self
    }

    /// Moves messages to `mailbox`.
    pub fn move_to(mut self, uids: impl Into<Vec<u32>>, mailbox: impl Into<String>) -> Self {
        self.ops.push(Operation::Move(uids.into(), mailbox.into()));
        self
    }

    /// Expunges messages.
    pub fn expunge(mut self, uids: impl Into<Vec<u32>>) -> Self {
        self.ops.push(Operation::Expunge(uids.into()));
        self
    }

    /// The operations, in order.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Takes the operations out (for backends).
    pub fn into_operations(self) -> Vec<Operation> {
        self.ops
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// What one operation did, in the order of the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The UID the message got.
    Appended(u32),
    /// Flags changed: the UIDs changed and those skipped for
    /// `UNCHANGEDSINCE` (RFC 7162 `MODIFIED`).
    Stored {
        /// UIDs whose flags were set (even if they did not change).
        changed: Vec<u32>,
        /// UIDs left alone because they changed after `unchanged_since`.
        conflicts: Vec<u32>,
    },
    /// Copied or moved: the target's UIDVALIDITY and each source UID with
    /// its new UID (RFC 4315 `COPYUID`).
    Copied {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: u32,
        /// `(source UID, target UID)`, ascending by source.
        uids: Vec<(u32, u32)>,
    },
    /// The UIDs removed.
    Expunged(Vec<u32>),
}

/// What a committed transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Committed {
    /// One outcome per operation.
    pub outcomes: Vec<Outcome>,
    /// The mailbox's HIGHESTMODSEQ after the commit.
    pub modseq: u64,
}
