//! The in-memory store: the reference backend, after go-imap's
//! imapmemserver. Nothing survives the process; everything else behaves
//! as the [store rules](super) say, and every other backend is checked
//! against the same behavioural suite.
//!
//! ```
//! use mailstore::directory::User;
//! use mailstore::store::memory::MemoryStore;
//! use mailstore::store::{AppendOptions, Store, Transaction};
//! # futures_executor::block_on(async {
//! let store = MemoryStore::new();
//! let account = store.account(&User::new("alice@example.org")).await?;
//!
//! let mut writer = account.begin_append().await?;
//! writer.write(b"Subject: hello\r\n\r\nHi!\r\n").await?;
//! let staged = writer.finish().await?;
//!
//! let mut inbox = account.open("INBOX").await?;
//! let done = inbox
//!     .commit(Transaction::new().append(staged, AppendOptions::default()))
//!     .await?;
//! assert!(inbox.messages().is_empty()); // the view changes on sync only
//! let changes = inbox.sync().await?;
//! assert_eq!(changes.added, vec![1]);
//! assert_eq!(inbox.status().highest_modseq, done.modseq);
//! # Ok::<(), mailstore::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Decisions where the rules leave room
//!
//! * **Names.** `/` separates levels. Empty names, empty levels (`a//b`),
//!   a leading or trailing `/` and control characters are
//!   [`Invalid`](ErrorKind::Invalid). A first level of `INBOX` in any case
//!   is folded to `INBOX` (`inbox/Lists` is `INBOX/Lists`), as Dovecot
//!   does; every other level is case-sensitive.
//! * **INBOX** cannot be deleted: [`Invalid`](ErrorKind::Invalid) (IMAP
//!   `NO [CANNOT]`), since the request itself is what is wrong, not the
//!   user's rights. Renaming INBOX moves its messages, with their UIDs and
//!   MODSEQs, into a new mailbox with a new UIDVALIDITY and leaves INBOX
//!   empty (the move counts as one expunge in INBOX); INBOX's children
//!   stay where they are. Renaming a mailbox into its own child is
//!   [`Invalid`](ErrorKind::Invalid); a missing source is
//!   [`NotFound`](ErrorKind::NotFound), any existing target (the mailbox
//!   or one of its children's new names) [`AlreadyExists`](ErrorKind::AlreadyExists).
//! * **UIDVALIDITY** comes from one counter per store, seeded from the
//!   clock (seconds since 1970) and incremented for every mailbox made,
//!   skipping 0: a mailbox deleted and created again gets a different
//!   one, and so does a store started later.
//! * **MODSEQ.** A new mailbox has HIGHESTMODSEQ 1. Each appended or
//!   copied message gets a MODSEQ of its own; all the messages whose flags
//!   one [`Store`](super::Operation::Store) operation really changes share
//!   one new MODSEQ, and so do the messages removed by one expunge (or
//!   move). A flag change that changes nothing (adding a flag already set,
//!   removing one that is not) leaves the message's MODSEQ alone, as
//!   RFC 7162 section 3.1 asks, and is not reported by `sync` as an
//!   update; the message is still listed in
//!   [`Outcome::Stored::changed`](super::Outcome::Stored) (its flags "were
//!   set"), so that IMAP still sends the FETCH RFC 7162 section 3.1.3
//!   wants.
//! * **Keywords** compare case-insensitively and are kept once, in the
//!   case and order they were first set. Replacing keeps the surviving
//!   keywords in their old order and adds the new ones after.
//! * **Sessions** follow their mailbox, not its name: a session on a
//!   renamed mailbox keeps working (its [`name`](Mailbox::name) stays the
//!   one it was opened with), a session on a deleted one gets
//!   [`NotFound`](ErrorKind::NotFound) from `sync` and `commit`.
//! * **Watchers** wake when a commit actually changed the mailbox (its
//!   HIGHESTMODSEQ moved), when INBOX is emptied by a rename, and once
//!   when the mailbox is deleted; after that,
//!   [`changed`](Watcher::changed) fails with
//!   [`NotFound`](ErrorKind::NotFound).
//! * **Quota.** The limits are those of the [`User`] most recently passed
//!   to [`Store::account`]. A writer fails with
//!   [`OverQuota`](ErrorKind::OverQuota) as soon as its bytes would not
//!   fit beside what is stored; a commit fails if it ends with more bytes
//!   or messages than allowed in a dimension it grew (a commit that only
//!   removes or changes flags always goes through, even over quota).
//!   [`TooBig`](ErrorKind::TooBig) comes before quota.
//! * **Content** is stored exactly as written (no line-end conversion)
//!   and can be read by UID as long as the message exists, whether or not
//!   the session's view has it yet.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::watch;

use super::rules::{
    apply, canonical_name, changes, dedup_keywords, is_within, same_keywords, sorted,
};
use super::{
    Account, AppendOptions, Changes, Committed, Content, FlagChange, Flags, INBOX, Mailbox,
    MailboxInfo, MailboxStatus, MessageMeta, MessageWriter, Operation, Outcome, QuotaUsage,
    SpecialUse, StagedMessage, Store, Transaction, Watcher,
};
use crate::directory::{QuotaLimit, User};
use crate::error::{Error, ErrorKind, Result};
use crate::store::watcher::ChannelWatcher;

/// Account ids, unique in the process, so that a staged message is only
/// ever committed to the account that staged it.
static NEXT_ACCOUNT_ID: AtomicU64 = AtomicU64::new(1);

/// Every account's mail in memory. Cheap to create; each store has its own
/// accounts.
#[derive(Debug)]
pub struct MemoryStore {
    accounts: Mutex<HashMap<String, Arc<MemoryAccount>>>,
    max_message_size: Option<u64>,
    uid_validity: Arc<AtomicU32>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store with no limit on message size.
    pub fn new() -> MemoryStore {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() as u32);
        MemoryStore {
            accounts: Mutex::new(HashMap::new()),
            max_message_size: None,
            uid_validity: Arc::new(AtomicU32::new(seed)),
        }
    }

    /// An empty store that refuses messages larger than `bytes` with
    /// [`ErrorKind::TooBig`].
    pub fn with_max_message_size(bytes: u64) -> MemoryStore {
        MemoryStore {
            max_message_size: Some(bytes),
            ..MemoryStore::new()
        }
    }

    /// The largest message accepted, if there is a limit.
    pub fn max_message_size(&self) -> Option<u64> {
        self.max_message_size
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn account(&self, user: &User) -> Result<Arc<dyn Account>> {
        let mut accounts = lock(&self.accounts);
        let account = accounts
            .entry(user.name.clone())
            .or_insert_with(|| {
                Arc::new(MemoryAccount {
                    shared: Arc::new(Shared::new(
                        user.name.clone(),
                        self.max_message_size,
                        self.uid_validity.clone(),
                    )),
                })
            })
            .clone();
        drop(accounts);
        lock(&account.shared.state).quota = user.quota;
        Ok(account)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is built aside and put in place at once, so the state
    // is consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One user's mailboxes in memory; shared by every session of the user.
#[derive(Debug)]
struct MemoryAccount {
    shared: Arc<Shared>,
}

/// What the account, its writers and its sessions share.
#[derive(Debug)]
struct Shared {
    name: String,
    id: u64,
    max_message_size: Option<u64>,
    uid_validity: Arc<AtomicU32>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    quota: QuotaLimit,
    next_mailbox_id: u64,
    /// Canonical name → mailbox id.
    names: BTreeMap<String, u64>,
    boxes: HashMap<u64, Entry>,
    subscriptions: BTreeSet<String>,
}

/// A mailbox and the channel that wakes its watchers (dropped, and so
/// closed, when the mailbox is deleted).
#[derive(Debug)]
struct Entry {
    data: MailboxData,
    notify: watch::Sender<u64>,
}

#[derive(Debug, Clone)]
struct MailboxData {
    uid_validity: u32,
    uid_next: u32,
    highest_modseq: u64,
    special_use: Option<SpecialUse>,
    messages: BTreeMap<u32, StoredMessage>,
    /// The sum of the messages' sizes.
    bytes: u64,
}

#[derive(Debug, Clone)]
struct StoredMessage {
    meta: MessageMeta,
    content: Arc<[u8]>,
}

impl Shared {
    fn new(name: String, max_message_size: Option<u64>, uid_validity: Arc<AtomicU32>) -> Shared {
        let shared = Shared {
            name,
            id: NEXT_ACCOUNT_ID.fetch_add(1, Ordering::Relaxed),
            max_message_size,
            uid_validity,
            state: Mutex::new(State {
                quota: QuotaLimit::default(),
                next_mailbox_id: 1,
                names: BTreeMap::new(),
                boxes: HashMap::new(),
                subscriptions: BTreeSet::new(),
            }),
        };
        {
            let mut state = lock(&shared.state);
            let data = shared.new_mailbox(None);
            state.insert(INBOX.to_owned(), data);
        }
        shared
    }

    fn next_uid_validity(&self) -> u32 {
        loop {
            let v = self.uid_validity.fetch_add(1, Ordering::Relaxed);
            if v != 0 {
                return v;
            }
        }
    }

    fn new_mailbox(&self, special_use: Option<SpecialUse>) -> MailboxData {
        MailboxData {
            uid_validity: self.next_uid_validity(),
            uid_next: 1,
            highest_modseq: 1,
            special_use,
            messages: BTreeMap::new(),
            bytes: 0,
        }
    }
}

impl State {
    /// Adds a mailbox under `name` (which must be free); returns its id.
    fn insert(&mut self, name: String, data: MailboxData) -> u64 {
        let id = self.next_mailbox_id;
        self.next_mailbox_id += 1;
        let (notify, _) = watch::channel(0);
        self.boxes.insert(id, Entry { data, notify });
        self.names.insert(name, id);
        id
    }

    fn id(&self, name: &str) -> Result<u64> {
        self.names
            .get(name)
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no mailbox {name:?}")))
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        let id = self.id(name)?;
        Ok(&self.boxes[&id])
    }

    /// Bytes and messages stored, with `work` standing in for the
    /// mailboxes it holds.
    fn usage(&self, work: &BTreeMap<u64, MailboxData>) -> (u64, u64) {
        self.boxes
            .iter()
            .fold((0, 0), |(bytes, count), (id, entry)| {
                let data = work.get(id).unwrap_or(&entry.data);
                (bytes + data.bytes, count + data.messages.len() as u64)
            })
    }
}

impl MailboxData {
    fn status(&self) -> MailboxStatus {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        MailboxStatus {
            uid_validity: self.uid_validity,
            uid_next: self.uid_next,
            highest_modseq: self.highest_modseq,
            messages: count(self.messages.len()),
            unseen: count(
                self.messages
                    .values()
                    .filter(|m| !m.meta.flags.contains(Flags::SEEN))
                    .count(),
            ),
            size: self.bytes,
        }
    }

    fn next_modseq(&mut self) -> u64 {
        self.highest_modseq += 1;
        self.highest_modseq
    }

    fn next_uid(&mut self) -> Result<u32> {
        let uid = self.uid_next;
        self.uid_next = uid.checked_add(1).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                "the mailbox has used every UID; recreate it",
            )
        })?;
        Ok(uid)
    }

    /// Adds a message with a new UID and MODSEQ.
    fn add(
        &mut self,
        content: Arc<[u8]>,
        flags: Flags,
        keywords: Vec<String>,
        internal_date: SystemTime,
    ) -> Result<u32> {
        let uid = self.next_uid()?;
        let modseq = self.next_modseq();
        let meta = MessageMeta {
            uid,
            flags,
            keywords,
            internal_date,
            size: content.len() as u64,
            virtual_size: Some(wire::CrlfLength::of(&content)),
            modseq,
        };
        self.bytes += meta.size;
        self.messages.insert(uid, StoredMessage { meta, content });
        Ok(uid)
    }

    /// Removes these UIDs (sorted, unique); all the removals share one
    /// MODSEQ. Returns the UIDs removed.
    fn expunge(&mut self, uids: &[u32]) -> Vec<u32> {
        let removed: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|uid| match self.messages.remove(uid) {
                Some(gone) => {
                    self.bytes -= gone.meta.size;
                    true
                }
                None => false,
            })
            .collect();
        if !removed.is_empty() {
            self.next_modseq();
        }
        removed
    }

    fn store(&mut self, uids: &[u32], change: &FlagChange) -> Outcome {
        let mut changed = Vec::new();
        let mut conflicts = Vec::new();
        let mut modseq = None;
        for uid in uids {
            let Some(message) = self.messages.get_mut(uid) else {
                continue;
            };
            let meta = &mut message.meta;
            if change
                .unchanged_since
                .is_some_and(|since| meta.modseq > since)
            {
                conflicts.push(*uid);
                continue;
            }
            let (flags, keywords) = apply(meta.flags, &meta.keywords, change);
            if flags != meta.flags || !same_keywords(&keywords, &meta.keywords) {
                meta.flags = flags;
                meta.keywords = keywords;
                meta.modseq = *modseq.get_or_insert_with(|| {
                    self.highest_modseq += 1;
                    self.highest_modseq
                });
            }
            changed.push(*uid);
        }
        Outcome::Stored { changed, conflicts }
    }
}

#[async_trait]
impl Account for MemoryAccount {
    fn name(&self) -> &str {
        &self.shared.name
    }

    async fn mailboxes(&self) -> Result<Vec<MailboxInfo>> {
        let state = lock(&self.shared.state);
        // name → (exists, has_children)
        let mut all: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
        for name in state.names.keys() {
            all.entry(name.as_str()).or_default().0 = true;
            let mut child = name.as_str();
            while let Some((parent, _)) = child.rsplit_once('/') {
                all.entry(parent).or_default().1 = true;
                child = parent;
            }
        }
        let info = |name: &str, (exists, has_children): (bool, bool)| MailboxInfo {
            name: name.to_owned(),
            special_use: state
                .names
                .get(name)
                .and_then(|id| state.boxes[id].data.special_use),
            subscribed: state.subscriptions.contains(name),
            has_children,
            exists,
        };
        let mut out = Vec::with_capacity(all.len());
        if let Some(inbox) = all.get(INBOX) {
            out.push(info(INBOX, *inbox));
        }
        out.extend(
            all.iter()
                .filter(|(name, _)| **name != INBOX)
                .map(|(name, v)| info(name, *v)),
        );
        Ok(out)
    }

    async fn create_mailbox(&self, name: &str, special_use: Option<SpecialUse>) -> Result<()> {
        let name = canonical_name(name)?;
        let mut state = lock(&self.shared.state);
        if state.names.contains_key(&name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("mailbox {name:?} exists"),
            ));
        }
        let data = self.shared.new_mailbox(special_use);
        state.insert(name, data);
        Ok(())
    }

    async fn rename_mailbox(&self, from: &str, to: &str) -> Result<()> {
        let from = canonical_name(from)?;
        let to = canonical_name(to)?;
        let mut state = lock(&self.shared.state);
        let from_id = state.id(&from)?;
        if state.names.contains_key(&to) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("mailbox {to:?} exists"),
            ));
        }
        if from == INBOX {
            let data = {
                let inbox = &mut state
                    .boxes
                    .get_mut(&from_id)
                    .expect("names and boxes agree")
                    .data;
                let moved = MailboxData {
                    uid_validity: 0,
                    uid_next: inbox.uid_next,
                    highest_modseq: inbox.highest_modseq,
                    special_use: None,
                    messages: std::mem::take(&mut inbox.messages),
                    bytes: std::mem::take(&mut inbox.bytes),
                };
                if !moved.messages.is_empty() {
                    inbox.next_modseq();
                }
                moved
            };
            let data = MailboxData {
                uid_validity: self.shared.next_uid_validity(),
                ..data
            };
            state.insert(to, data);
            state.boxes[&from_id].notify.send_modify(|v| *v += 1);
            return Ok(());
        }
        if is_within(&to, &from) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("cannot rename {from:?} into its own child {to:?}"),
            ));
        }
        let moves: Vec<(String, String)> = state
            .names
            .keys()
            .filter(|name| is_within(name, &from))
            .map(|name| (name.clone(), format!("{to}{}", &name[from.len()..])))
            .collect();
        if let Some((_, taken)) = moves.iter().find(|(_, new)| state.names.contains_key(new)) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("mailbox {taken:?} exists"),
            ));
        }
        for (old, new) in moves {
            if let Some(id) = state.names.remove(&old) {
                state.names.insert(new, id);
            }
        }
        Ok(())
    }

    async fn delete_mailbox(&self, name: &str) -> Result<()> {
        let name = canonical_name(name)?;
        if name == INBOX {
            return Err(Error::new(ErrorKind::Invalid, "INBOX cannot be deleted"));
        }
        let mut state = lock(&self.shared.state);
        let id = state.id(&name)?;
        state.names.remove(&name);
        // Dropping the sender wakes every watcher.
        state.boxes.remove(&id);
        Ok(())
    }

    async fn set_subscribed(&self, name: &str, subscribed: bool) -> Result<()> {
        let name = canonical_name(name)?;
        let mut state = lock(&self.shared.state);
        if subscribed {
            state.subscriptions.insert(name);
        } else {
            state.subscriptions.remove(&name);
        }
        Ok(())
    }

    async fn subscriptions(&self) -> Result<Vec<String>> {
        let state = lock(&self.shared.state);
        Ok(state.subscriptions.iter().cloned().collect())
    }

    async fn status(&self, name: &str) -> Result<MailboxStatus> {
        let name = canonical_name(name)?;
        let state = lock(&self.shared.state);
        Ok(state.entry(&name)?.data.status())
    }

    async fn open(&self, name: &str) -> Result<Box<dyn Mailbox>> {
        let canonical = canonical_name(name)?;
        let state = lock(&self.shared.state);
        let id = state.id(&canonical)?;
        let entry = &state.boxes[&id];
        Ok(Box::new(MemoryMailbox {
            shared: self.shared.clone(),
            id,
            name: canonical,
            view: entry
                .data
                .messages
                .values()
                .map(|m| m.meta.clone())
                .collect(),
            status: entry.data.status(),
            notify: entry.notify.subscribe(),
        }))
    }

    async fn begin_append(&self) -> Result<Box<dyn MessageWriter>> {
        Ok(Box::new(MemoryWriter {
            shared: self.shared.clone(),
            bytes: Vec::new(),
            failed: None,
        }))
    }

    async fn quota(&self) -> Result<QuotaUsage> {
        let state = lock(&self.shared.state);
        let (bytes, messages) = state.usage(&BTreeMap::new());
        Ok(QuotaUsage {
            bytes,
            messages,
            limit: state.quota,
        })
    }
}

/// A message being written into memory.
#[derive(Debug)]
struct MemoryWriter {
    shared: Arc<Shared>,
    bytes: Vec<u8>,
    /// The error that ended the message, repeated by every later call.
    failed: Option<ErrorKind>,
}

#[async_trait]
impl MessageWriter for MemoryWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(kind) = self.failed {
            return Err(Error::new(kind, "the message was refused earlier"));
        }
        let size = (self.bytes.len() + chunk.len()) as u64;
        if let Some(max) = self.shared.max_message_size
            && size > max
        {
            self.failed = Some(ErrorKind::TooBig);
            return Err(Error::new(
                ErrorKind::TooBig,
                format!("message larger than {max} bytes"),
            ));
        }
        {
            let state = lock(&self.shared.state);
            if let Some(max) = state.quota.bytes {
                let (used, _) = state.usage(&BTreeMap::new());
                if used.saturating_add(size) > max {
                    self.failed = Some(ErrorKind::OverQuota);
                    return Err(Error::new(
                        ErrorKind::OverQuota,
                        format!("{used} bytes stored, {size} more exceed {max}"),
                    ));
                }
            }
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<Box<dyn StagedMessage>> {
        if let Some(kind) = self.failed {
            return Err(Error::new(kind, "the message was refused earlier"));
        }
        Ok(Box::new(MemoryStaged {
            account: self.shared.id,
            content: self.bytes.into(),
        }))
    }
}

/// A message staged in memory, for the account that wrote it.
#[derive(Debug)]
struct MemoryStaged {
    account: u64,
    content: Arc<[u8]>,
}

impl StagedMessage for MemoryStaged {
    fn size(&self) -> u64 {
        self.content.len() as u64
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// One session's view of a mailbox.
#[derive(Debug)]
struct MemoryMailbox {
    shared: Arc<Shared>,
    id: u64,
    name: String,
    view: Vec<MessageMeta>,
    status: MailboxStatus,
    notify: watch::Receiver<u64>,
}

/// An operation with its staged message unpacked.
enum Op {
    Append(Arc<[u8]>, AppendOptions),
    Store(Vec<u32>, FlagChange),
    Copy(Vec<u32>, String, bool),
    Expunge(Vec<u32>),
}

impl MemoryMailbox {
    fn gone(&self) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("mailbox {:?} was deleted", self.name),
        )
    }

    fn unpack(&self, transaction: Transaction) -> Result<Vec<Op>> {
        transaction
            .into_operations()
            .into_iter()
            .map(|op| {
                Ok(match op {
                    Operation::Append(staged, options) => {
                        let staged =
                            staged.into_any().downcast::<MemoryStaged>().map_err(|_| {
                                Error::new(ErrorKind::Invalid, "message staged by another store")
                            })?;
                        if staged.account != self.shared.id {
                            return Err(Error::new(
                                ErrorKind::Invalid,
                                "message staged by another account",
                            ));
                        }
                        Op::Append(staged.content, options)
                    }
                    Operation::Store(uids, change) => Op::Store(sorted(uids), change),
                    Operation::Copy(uids, to) => Op::Copy(sorted(uids), to, false),
                    Operation::Move(uids, to) => Op::Copy(sorted(uids), to, true),
                    Operation::Expunge(uids) => Op::Expunge(sorted(uids)),
                })
            })
            .collect()
    }
}

/// Applies `ops` to copies of the mailboxes they touch, in `work`.
fn run(
    state: &State,
    id: u64,
    ops: Vec<Op>,
    work: &mut BTreeMap<u64, MailboxData>,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        let outcome = match op {
            Op::Append(content, options) => {
                let mut keywords = Vec::new();
                dedup_keywords(&mut keywords, &options.keywords);
                let date = options.internal_date.unwrap_or_else(SystemTime::now);
                let source = work.get_mut(&id).expect("source in work");
                Outcome::Appended(source.add(content, options.flags, keywords, date)?)
            }
            Op::Store(uids, change) => work
                .get_mut(&id)
                .expect("source in work")
                .store(&uids, &change),
            Op::Copy(uids, target, remove) => {
                let target_id = state.id(&canonical_name(&target)?)?;
                let source = &work[&id];
                let copies: Vec<StoredMessage> = uids
                    .iter()
                    .filter_map(|uid| source.messages.get(uid).cloned())
                    .collect();
                let target = work
                    .entry(target_id)
                    .or_insert_with(|| state.boxes[&target_id].data.clone());
                let mut pairs = Vec::with_capacity(copies.len());
                for m in copies {
                    let new = target.add(
                        m.content,
                        m.meta.flags,
                        m.meta.keywords,
                        m.meta.internal_date,
                    )?;
                    pairs.push((m.meta.uid, new));
                }
                let uid_validity = target.uid_validity;
                if remove {
                    let moved: Vec<u32> = pairs.iter().map(|(old, _)| *old).collect();
                    work.get_mut(&id).expect("source in work").expunge(&moved);
                }
                Outcome::Copied {
                    uid_validity,
                    uids: pairs,
                }
            }
            Op::Expunge(uids) => {
                Outcome::Expunged(work.get_mut(&id).expect("source in work").expunge(&uids))
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[async_trait]
impl Mailbox for MemoryMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn status(&self) -> MailboxStatus {
        self.status
    }

    fn messages(&self) -> &[MessageMeta] {
        &self.view
    }

    async fn sync(&mut self) -> Result<Changes> {
        let state = lock(&self.shared.state);
        let Some(entry) = state.boxes.get(&self.id) else {
            return Err(self.gone());
        };
        let data = &entry.data;
        let mut changes = changes(&self.view, data.messages.values().map(|m| &m.meta));
        if self.status.uid_validity != data.uid_validity {
            changes.uid_validity_changed = true;
        }
        self.view = data.messages.values().map(|m| m.meta.clone()).collect();
        self.status = data.status();
        Ok(changes)
    }

    fn watch(&self) -> Box<dyn Watcher> {
        ChannelWatcher::boxed(&self.notify)
    }

    async fn content(&self, uid: u32) -> Result<Content> {
        let state = lock(&self.shared.state);
        let found = state
            .boxes
            .get(&self.id)
            .and_then(|entry| entry.data.messages.get(&uid));
        match found {
            Some(message) => Ok(Content::Memory(message.content.clone())),
            None if self.get(uid).is_some() => Err(Error::new(
                ErrorKind::Expunged,
                format!("message {uid} of {:?} was expunged", self.name),
            )),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!("no message {uid} in {:?}", self.name),
            )),
        }
    }

    async fn commit(&mut self, transaction: Transaction) -> Result<Committed> {
        let ops = self.unpack(transaction)?;
        let mut state = lock(&self.shared.state);
        let Some(entry) = state.boxes.get(&self.id) else {
            return Err(self.gone());
        };
        let mut work = BTreeMap::from([(self.id, entry.data.clone())]);
        let outcomes = run(&state, self.id, ops, &mut work)?;

        let (bytes_before, count_before) = state.usage(&BTreeMap::new());
        let (bytes_after, count_after) = state.usage(&work);
        let limit = state.quota;
        let over = |after: u64, before: u64, max: Option<u64>| {
            after > before && max.is_some_and(|max| after > max)
        };
        if over(bytes_after, bytes_before, limit.bytes)
            || over(count_after, count_before, limit.messages)
        {
            return Err(Error::new(
                ErrorKind::OverQuota,
                format!("{count_after} messages of {bytes_after} bytes exceed the quota {limit:?}"),
            ));
        }

        let modseq = work[&self.id].highest_modseq;
        for (id, data) in work {
            if let Some(entry) = state.boxes.get_mut(&id) {
                let moved = entry.data.highest_modseq != data.highest_modseq;
                entry.data = data;
                if moved {
                    entry.notify.send_modify(|v| *v += 1);
                }
            }
        }
        Ok(Committed { outcomes, modseq })
    }
}
