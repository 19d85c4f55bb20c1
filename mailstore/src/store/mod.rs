//! Where mail lives: a user's mailboxes, their messages, and the
//! transactions that change them.
//!
//! The shape follows Dovecot's lib-storage:
//!
//! * a [`Store`] opens the [`Account`] of a directory user;
//! * an account lists, creates, renames, deletes and subscribes
//!   mailboxes, stages messages ([`Account::begin_append`]) and opens a
//!   [`Mailbox`];
//! * an open mailbox is one session's view: the messages as of its last
//!   [`sync`](Mailbox::sync), content by UID, and
//!   [`commit`](Mailbox::commit) of a [`Transaction`] (append, flag
//!   changes, copy, move, expunge) that returns the UIDs assigned and the
//!   new MODSEQ. A commit does not change the view: the next `sync`
//!   reports the session's own changes with everyone else's, in one
//!   order, which is what IMAP needs to send its untagged responses.
//!   [`watch`](Mailbox::watch) wakes a session (IMAP IDLE) when there may
//!   be something to sync.
//!
//! Rules every backend keeps, and the behavioural suite checks:
//!
//! * UIDs are assigned in ascending order and never reused; UIDVALIDITY
//!   changes only when a mailbox is deleted and created again.
//! * Every change (append, flag change, expunge) gets a MODSEQ above all
//!   earlier ones of the mailbox; a message's MODSEQ is that of its last
//!   change; HIGHESTMODSEQ only grows. A flag change that changes nothing
//!   and an expunge that removes nothing get no MODSEQ (RFC 7162 §3.1).
//! * A session follows its mailbox: after another session renames it the
//!   view goes on under the old name; after it is deleted, `sync` and
//!   `commit` fail with `NotFound` and its watchers wake once.
//! * Mailbox names use `/` between hierarchy levels; `INBOX` (any case) is
//!   the inbox, which always exists and cannot be deleted.
//! * Errors are [`Error`](crate::Error)s of a closed
//!   [`ErrorKind`](crate::ErrorKind) set.

mod content;
pub mod maildir_store;
pub mod memory;
mod rules;
mod transaction;
mod types;
mod watcher;

use std::sync::Arc;

use async_trait::async_trait;

pub use content::Content;
pub use transaction::{
    AppendOptions, Committed, FlagChange, FlagOp, Operation, Outcome, StagedMessage, Transaction,
};
pub use types::{Changes, Flags, MailboxInfo, MailboxStatus, MessageMeta, QuotaUsage, SpecialUse};

use crate::directory::User;
use crate::error::Result;

/// The name of the inbox.
pub const INBOX: &str = "INBOX";

/// A place where accounts keep their mail.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Opens the mail of `user`, creating its storage (and INBOX) on
    /// first use. Accounts are shared: every session of a user may hold
    /// the same one.
    async fn account(&self, user: &User) -> Result<Arc<dyn Account>>;
}

/// One user's mailboxes.
#[async_trait]
pub trait Account: Send + Sync + std::fmt::Debug {
    /// The user's name.
    fn name(&self) -> &str;

    /// Every mailbox, INBOX first, then by name; parents of existing
    /// mailboxes that do not exist themselves are listed with
    /// `exists: false`.
    async fn mailboxes(&self) -> Result<Vec<MailboxInfo>>;

    /// Creates a mailbox ([`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists)
    /// if it exists; parents are not created).
    async fn create_mailbox(&self, name: &str, special_use: Option<SpecialUse>) -> Result<()>;

    /// Renames a mailbox with its children. Renaming INBOX moves its
    /// messages into a new mailbox and leaves INBOX empty (RFC 3501).
    async fn rename_mailbox(&self, from: &str, to: &str) -> Result<()>;

    /// Deletes a mailbox and its messages; children stay.
    async fn delete_mailbox(&self, name: &str) -> Result<()>;

    /// Subscribes to or unsubscribes from a name (which need not exist).
    async fn set_subscribed(&self, name: &str, subscribed: bool) -> Result<()>;

    /// The subscribed names, sorted, whether or not such mailboxes exist
    /// (IMAP LSUB and `LIST (SUBSCRIBED)` show both).
    async fn subscriptions(&self) -> Result<Vec<String>>;

    /// The numbers of a mailbox, without opening it (IMAP STATUS).
    async fn status(&self, name: &str) -> Result<MailboxStatus>;

    /// Opens a mailbox, synced to its current state.
    async fn open(&self, name: &str) -> Result<Box<dyn Mailbox>>;

    /// Starts staging a message to append: write its bytes, then
    /// [`finish`](MessageWriter::finish) and put the result in a
    /// [`Transaction`].
    async fn begin_append(&self) -> Result<Box<dyn MessageWriter>>;

    /// Storage use and limits.
    async fn quota(&self) -> Result<QuotaUsage>;

    /// Appends a staged message to `mailbox` without opening a view of it
    /// (final delivery, which needs no UID back). Backends that can
    /// deliver without syncing the mailbox (Maildir: straight into `new/`)
    /// override this.
    async fn deliver(
        &self,
        mailbox: &str,
        message: Box<dyn StagedMessage>,
        options: AppendOptions,
    ) -> Result<()> {
        let mut view = self.open(mailbox).await?;
        view.commit(Transaction::new().append(message, options))
            .await
            .map(|_| ())
    }
}

/// A message being staged, written in chunks as it arrives.
#[async_trait]
pub trait MessageWriter: Send + std::fmt::Debug {
    /// Adds bytes. Fails with [`ErrorKind::TooBig`](crate::ErrorKind::TooBig)
    /// or [`ErrorKind::OverQuota`](crate::ErrorKind::OverQuota) as soon as
    /// the message cannot fit.
    async fn write(&mut self, chunk: &[u8]) -> Result<()>;

    /// Ends the message; it is durable when the backend is.
    async fn finish(self: Box<Self>) -> Result<Box<dyn StagedMessage>>;
}

/// One session's view of an open mailbox.
#[async_trait]
pub trait Mailbox: Send + Sync + std::fmt::Debug {
    /// The mailbox's name.
    fn name(&self) -> &str;

    /// Its numbers as of the last sync.
    fn status(&self) -> MailboxStatus;

    /// Its messages as of the last sync, ascending by UID (index + 1 is
    /// the IMAP sequence number).
    fn messages(&self) -> &[MessageMeta];

    /// The message with this UID, as of the last sync.
    fn get(&self, uid: u32) -> Option<&MessageMeta> {
        let messages = self.messages();
        messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| &messages[i])
    }

    /// Brings the view up to date and reports what changed since the last
    /// sync, own commits included.
    async fn sync(&mut self) -> Result<Changes>;

    /// Something that wakes when the mailbox may have changed.
    fn watch(&self) -> Box<dyn Watcher>;

    /// The content of a message ([`ErrorKind::Expunged`](crate::ErrorKind::Expunged)
    /// if it is gone).
    async fn content(&self, uid: u32) -> Result<Content>;

    /// Applies a transaction, in order. Returns the UIDs assigned and the
    /// new HIGHESTMODSEQ. Either every operation is applied or, on error,
    /// none is.
    async fn commit(&mut self, transaction: Transaction) -> Result<Committed>;
}

/// Wakes a waiting session when its mailbox may have changed.
#[async_trait]
pub trait Watcher: Send + std::fmt::Debug {
    /// Returns when the mailbox may have changed since the watcher was
    /// made or last returned.
    async fn changed(&mut self) -> Result<()>;
}
