//! One session's maildrop: a locked snapshot of the user's INBOX.

use std::collections::HashMap;

use async_trait::async_trait;
use pop3_proto::adapter::{BackendError, Maildrop, MessageStream, RetrieveOptions};
use pop3_proto::maildrop::MessageInfo;

use super::Pop3Options;
use super::error::MaildropError;
use super::lock::SessionLock;
use super::sizes::{SizeCache, message_stream, virtual_size as virtual_size_of};
use super::uidl::unique_id;
use crate::store::{FlagChange, FlagOp, Flags, Mailbox, Transaction};

/// A user's INBOX as one POP3 session sees it: the messages there when it
/// was opened, locked against other POP3 sessions of the user until it is
/// dropped. Made by [`Pop3Maildrops`](super::Pop3Maildrops).
#[derive(Debug)]
pub struct InboxMaildrop {
    mailbox: Box<dyn Mailbox>,
    uid_validity: u32,
    uids: Vec<u32>,
    messages: Vec<MessageInfo>,
    /// Which messages RETR sent (for `\Seen` at commit).
    retrieved: Vec<bool>,
    mark_seen: bool,
    /// The account's name, for the log.
    account: String,
    // Last, so the lock is released after the mailbox is closed.
    _lock: SessionLock,
}

impl InboxMaildrop {
    /// Lists the messages of `mailbox` (freshly opened, so synced) under
    /// `lock`.
    pub(crate) async fn snapshot(
        mailbox: Box<dyn Mailbox>,
        lock: SessionLock,
        account: &str,
        sizes: &SizeCache,
        options: &Pop3Options,
    ) -> Result<InboxMaildrop, MaildropError> {
        let uid_validity = mailbox.status().uid_validity;
        let listed: Vec<(u32, u64, Option<u64>)> = mailbox
            .messages()
            .iter()
            .map(|m| (m.uid, m.size, m.virtual_size))
            .collect();
        let mut uids = Vec::with_capacity(listed.len());
        let mut messages = Vec::with_capacity(listed.len());
        if options.fast_size_lookups {
            for (uid, stored, virtual_size) in listed {
                uids.push(uid);
                let size = virtual_size.unwrap_or(stored);
                messages.push(MessageInfo::new(size, unique_id(uid_validity, uid)));
            }
        } else {
            let known = sizes.take(account, uid_validity);
            let mut now = HashMap::with_capacity(listed.len());
            for (uid, _, virtual_size) in listed {
                let size = match virtual_size.or_else(|| known.get(&uid).copied()) {
                    Some(size) => size,
                    None => match virtual_size_of(&*mailbox, uid).await? {
                        Some(size) => size,
                        // Expunged since the mailbox was opened: not listed.
                        None => continue,
                    },
                };
                if virtual_size.is_none() {
                    now.insert(uid, size);
                }
                uids.push(uid);
                messages.push(MessageInfo::new(size, unique_id(uid_validity, uid)));
            }
            sizes.put(account, uid_validity, now);
        }
        Ok(InboxMaildrop {
            mailbox,
            account: account.to_owned(),
            uid_validity,
            retrieved: vec![false; uids.len()],
            uids,
            messages,
            mark_seen: options.mark_seen,
            _lock: lock,
        })
    }

    /// INBOX's UIDVALIDITY when the maildrop was opened.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The UID of the message at `index` (0-based, as in
    /// [`Maildrop::messages`]).
    pub fn uid(&self, index: usize) -> Option<u32> {
        self.uids.get(index).copied()
    }

    fn uid_at(&self, index: usize) -> Result<u32, MaildropError> {
        self.uid(index).ok_or(MaildropError::NoSuchMessage(index))
    }
}

#[async_trait]
impl Maildrop for InboxMaildrop {
    fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }

    async fn retrieve(
        &mut self,
        index: usize,
        options: &RetrieveOptions,
    ) -> Result<MessageStream, BackendError> {
        let uid = self.uid_at(index)?;
        let content = self
            .mailbox
            .content(uid)
            .await
            .map_err(MaildropError::from)?;
        if options.top_lines.is_none() {
            self.retrieved[index] = true;
        }
        Ok(message_stream(content, uid)?)
    }

    async fn commit(&mut self, deleted: &[usize]) -> Result<(), BackendError> {
        let expunge = deleted
            .iter()
            .map(|&index| self.uid_at(index))
            .collect::<Result<Vec<u32>, _>>()?;
        let mut seen = Vec::new();
        if self.mark_seen {
            for (index, &uid) in self.uids.iter().enumerate() {
                if self.retrieved[index] && deleted.binary_search(&index).is_err() {
                    seen.push(uid);
                }
            }
        }
        if expunge.is_empty() && seen.is_empty() {
            return Ok(());
        }
        let seen_count = seen.len();
        // Only UIDs of the snapshot are named, so messages that arrived
        // since are left alone; those another session expunged meanwhile
        // are skipped by the store.
        self.mailbox.sync().await.map_err(MaildropError::from)?;
        let now = self.mailbox.status().uid_validity;
        if now != self.uid_validity {
            return Err(MaildropError::UidValidityChanged {
                old: self.uid_validity,
                new: now,
            }
            .into());
        }
        let mut transaction = Transaction::new();
        if !seen.is_empty() {
            transaction =
                transaction.store(seen, FlagChange::new(FlagOp::Add, Flags::SEEN, Vec::new()));
        }
        let deleted = expunge.len();
        if !expunge.is_empty() {
            transaction = transaction.expunge(expunge);
        }
        self.mailbox
            .commit(transaction)
            .await
            .map_err(MaildropError::from)?;
        tracing::info!(
            account = %self.account,
            deleted,
            seen = seen_count,
            "POP3 maildrop updated"
        );
        Ok(())
    }
}
