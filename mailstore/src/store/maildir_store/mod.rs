//! The Maildir store: each account is a Maildir++ tree (INBOX the root
//! Maildir, every other mailbox a `.Name` folder), kept with the files
//! Dovecot keeps (`dovecot-uidlist`, `dovecot-keywords`, `subscriptions`,
//! `maildirsize`), so that Dovecot, an MDA or mutt can work on the same
//! tree. It behaves as the [store rules](super) say and passes the same
//! behavioural suite as the [memory store](super::memory), whose
//! decisions it follows, with the exceptions listed below.
//!
//! ```
//! use mailstore::directory::User;
//! use mailstore::store::maildir_store::MaildirStore;
//! use mailstore::store::{AppendOptions, Store, Transaction};
//! # let base = std::env::temp_dir().join(format!("mw-maildir-store-doc-{}", std::process::id()));
//! # futures_executor::block_on(async {
//! let store = MaildirStore::new(&base);
//! let account = store.account(&User::new("alice@example.org")).await?;
//! assert!(base.join("example.org/alice/Maildir/cur").is_dir());
//!
//! let mut writer = account.begin_append().await?;
//! writer.write(b"Subject: hello\r\n\r\nHi!\r\n").await?;
//! let staged = writer.finish().await?;
//! let mut inbox = account.open("INBOX").await?;
//! inbox
//!     .commit(Transaction::new().append(staged, AppendOptions::default()))
//!     .await?;
//! assert_eq!(inbox.sync().await?.added, vec![1]);
//! # Ok::<(), mailstore::Error>(())
//! # }).unwrap();
//! # std::fs::remove_dir_all(&base).unwrap();
//! ```
//!
//! # Where an account lives
//!
//! The root of a user's Maildir++ is, in this order:
//!
//! 1. the user's [`mail`](User::mail) field when it is `maildir:PATH`
//!    (Dovecot's `mail_location` syntax): `~` at the start of `PATH` is
//!    the user's home, `%u`, `%n`, `%d` and `%h` are the user name, its
//!    local part, its domain and the home, as in Dovecot; everything after
//!    a second `:` (`:LAYOUT=fs`, `:INBOX=…`, `:CONTROL=…`) is ignored —
//!    this store only knows the Maildir++ layout with everything in the
//!    tree. A `mail` field of another format (`mbox:`, `sdbox:`) is
//!    ignored with a warning and the next rule applies;
//! 2. `<home>/Maildir` when the user has a home;
//! 3. `<base>/<domain>/<local>/Maildir` for a name `local@domain` (the
//!    usual `/home/vmail/%d/%n/Maildir`);
//! 4. `<base>/<name>/Maildir`.
//!
//! The tree (with INBOX) is created on the first [`Store::account`].
//! Accounts are shared per root: every `account` call for the same root
//! returns the same account, so in-process sessions see each other at
//! once and wake each other's watchers.
//!
//! # Files
//!
//! In the root: `maildirsize` (kept for every user, with the user's
//! limits on its first line, an empty line for no limits; rewritten by
//! recalculation whenever the limits of the [`User`] given to
//! [`Store::account`] differ), `subscriptions` (Dovecot 2.3's format),
//! `mailwright-special-use` (one `name<TAB>attribute` line per mailbox
//! created with a special use; a mailbox named `Sent`, `Trash`… without an
//! entry has no attribute) and `mailwright-uidvalidity` (the last
//! UIDVALIDITY given out, 8 hex digits: every mailbox this store creates
//! gets a higher one than any before, so a mailbox deleted and created
//! again within one second still gets a new UIDVALIDITY).
//!
//! In each folder: `dovecot-uidlist` (UIDs, UIDVALIDITY, UIDNEXT),
//! `dovecot-keywords` (keyword letters) and `mailwright-modseq`, which
//! Maildir has no place for:
//!
//! ```text
//! mailwright-modseq 1 V1700000000 H17
//! 1 12 :2,S
//! 4 17 :2,RSa
//! ```
//!
//! the UIDVALIDITY and HIGHESTMODSEQ, then per message its UID, MODSEQ and
//! the info part of its file name as last seen. It is replaced atomically
//! (written into `mailwright-modseq.lock`, its dotlock, which is renamed
//! over it). A message this file does not list, or whose file name's info
//! differs from the one listed (another process delivered it or changed
//! its flags by renaming it), gets a new MODSEQ the next time a session
//! looks (sync, status, commit), as do UIDs that vanished (one MODSEQ for
//! all of them, as for an expunge). HIGHESTMODSEQ only grows, across
//! restarts too. If the file of a folder that has held messages is lost
//! (or was never written: a Maildir Dovecot made), the count starts again
//! above anything given out before — at the time in microseconds, which a
//! count that goes up by one per change cannot have reached — so a client
//! that remembers MODSEQs sees every message as changed, never an older
//! MODSEQ (RFC 7162 §3.1.2), and keeps its UIDVALIDITY.
//!
//! # Decisions where the Maildir differs from the memory store
//!
//! * **Names.** As in the memory store, plus: a hierarchy level may not
//!   contain `.`, the Maildir++ separator on disk
//!   ([`Invalid`](ErrorKind::Invalid)).
//! * **Keywords.** A folder can name at most 26 keywords (one per letter
//!   `a`–`z` in `dovecot-keywords`), and, as in Dovecot, a keyword once
//!   named keeps its letter. An operation that needs a 27th distinct
//!   keyword in one folder fails with [`Invalid`](ErrorKind::Invalid) and
//!   changes nothing. Keywords compare case-insensitively (the spelling
//!   first named in the folder is kept) and are listed in letter order,
//!   which is the order they were first named in the folder — not always
//!   the order they were set on the message. Keywords with spaces or IMAP
//!   specials cannot be stored ([`Invalid`](ErrorKind::Invalid)).
//! * **INTERNALDATE** is the file's modification time, as in Dovecot (an
//!   append with a date sets it; a copy is a hard link and shares it).
//! * **Content** is stored as written. A message's size is the `,S=` of
//!   its file name, or the file's size.
//! * **Quota** is the `maildirsize` of the tree: usage is what that file
//!   says (so other processes' deliveries count when they keep it too).
//!   Deleting a mailbox gives its messages back. A limit of 0 means no
//!   limit, as in `maildirsize`.
//! * **Transactions** are checked before anything is written: staged
//!   messages, target mailboxes, keyword room and quota. The changes are
//!   then made in order — flag renames, then messages placed in their
//!   target folders (appends renamed from `tmp/`, copies hard-linked) —
//!   and undone (files removed, flags renamed back) if one fails; the
//!   expunges of the transaction (moves included) are done last, and a
//!   failure halfway through them (an unlink refused) is the one window
//!   where a transaction is left half done. Operations of a transaction do
//!   not see the messages appended by the same transaction.
//! * **Messages of other processes.** Sessions see what other processes
//!   do (new files, renames, unlinks) when they sync. Watchers wake at
//!   once on changes made in this process (through any account of this
//!   store for the same tree), and within a poll interval
//!   ([`DEFAULT_POLL_INTERVAL`], [`MaildirStore::with_poll_interval`]) on
//!   changes made by others, which they tell from the times of `new/`,
//!   `cur/` and `dovecot-uidlist`; a watcher may also wake once, needlessly,
//!   within a second of a change. A mailbox deleted and created again by
//!   another process shows up as a UIDVALIDITY change, not as `NotFound`.
//! * [`Account::deliver`] puts the message straight into the folder's
//!   `new/` (or into `cur/` when it has flags or keywords) without giving
//!   it a UID: the next session to look gives it one, with a MODSEQ.
//! * **Blocking.** The file system work of an operation (scans, renames,
//!   fsync) runs through `tokio::task::block_in_place` on a multi-threaded
//!   runtime, so the worker's other tasks move to other threads meanwhile;
//!   on a current-thread runtime it runs inline. Two calls stay inline
//!   everywhere because a thread hand-off would cost more than they do:
//!   [`Mailbox::content`](crate::store::Mailbox::content) (an open and a
//!   stat) and [`MessageWriter::write`](crate::store::MessageWriter::write)
//!   (a write into the page cache; the fsync comes with the commit).

mod account;
mod cache;
mod disk_watcher;
mod mailbox;

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::maildir::delivery::MaildirSyncs;
use ::maildir::dotlock::{DotLock, DotLockOptions};
use ::maildir::folders::MaildirPlusPlus;
use ::maildir::quota::{Limits, Quota};
use ::maildir::uidlist::{UIDLIST_FILE, UidList};
use async_trait::async_trait;
use tokio::sync::watch;

use super::{Account, SpecialUse, Store};
use crate::blocking::blocking;
use crate::directory::{QuotaLimit, User};
use crate::error::{Error, ErrorKind, Result};
use crate::store::rules::canonical_name;

use cache::Cache;

/// The special-use file in the root.
pub const SPECIAL_USE_FILE: &str = "mailwright-special-use";

/// The file in the root holding the last UIDVALIDITY given out.
pub const UIDVALIDITY_FILE: &str = "mailwright-uidvalidity";

/// How often a watcher looks for changes made by other processes, unless
/// [`MaildirStore::with_poll_interval`] says otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// The MODSEQ file in each folder.
pub const MODSEQ_FILE: &str = "mailwright-modseq";

/// Account ids, unique in the process, so that a staged message is only
/// committed to the account that staged it.
static NEXT_ACCOUNT_ID: AtomicU64 = AtomicU64::new(1);

/// Accounts kept in Maildir++ directories; see the [module
/// documentation](self).
#[derive(Debug)]
pub struct MaildirStore {
    base: PathBuf,
    max_message_size: Option<u64>,
    poll_interval: Duration,
    accounts: Mutex<HashMap<PathBuf, Arc<MaildirAccount>>>,
}

impl MaildirStore {
    /// A store whose accounts without a `mail` field or home live under
    /// `base` (`<base>/<domain>/<local>/Maildir`), with no limit on
    /// message size.
    pub fn new(base: impl Into<PathBuf>) -> MaildirStore {
        MaildirStore {
            base: base.into(),
            max_message_size: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// The same, refusing messages larger than `bytes` with
    /// [`ErrorKind::TooBig`].
    pub fn with_max_message_size(mut self, bytes: u64) -> MaildirStore {
        self.max_message_size = Some(bytes);
        self
    }

    /// The same, with watchers looking for other processes' changes every
    /// `interval` instead of every [`DEFAULT_POLL_INTERVAL`].
    pub fn with_poll_interval(mut self, interval: Duration) -> MaildirStore {
        self.poll_interval = interval;
        self
    }

    /// The base directory.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The root of `user`'s Maildir++, by the rules in the [module
    /// documentation](self).
    pub fn root_of(&self, user: &User) -> Result<PathBuf> {
        if let Some(mail) = user.mail.as_deref().filter(|m| !m.is_empty()) {
            match mail.strip_prefix("maildir:") {
                Some(rest) => {
                    let path = rest.split(':').next().unwrap_or_default();
                    if !path.is_empty() {
                        return expand_path(path, user);
                    }
                }
                None => tracing::warn!(
                    user = %user.name,
                    mail,
                    "mail location is not maildir:, using the default Maildir"
                ),
            }
        }
        if let Some(home) = &user.home {
            return Ok(home.join("Maildir"));
        }
        match user.name.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                check_component(domain, user)?;
                check_component(local, user)?;
                Ok(self.base.join(domain).join(local).join("Maildir"))
            }
            _ => {
                check_component(&user.name, user)?;
                Ok(self.base.join(&user.name).join("Maildir"))
            }
        }
    }
}

/// A user name part used as a directory name must be one.
fn check_component(part: &str, user: &User) -> Result<()> {
    if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\0']) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("user name {:?} cannot name a directory", user.name),
        ));
    }
    Ok(())
}

/// Expands `~` and Dovecot's `%u %n %d %h` in a mail location path.
fn expand_path(path: &str, user: &User) -> Result<PathBuf> {
    let home = || {
        user.home.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                format!("mail location {path:?} of {:?} needs a home", user.name),
            )
        })
    };
    let (local, domain) = user.name.rsplit_once('@').unwrap_or((&user.name, ""));
    let mut out = String::new();
    let mut rest = path;
    if let Some(after) = rest.strip_prefix('~')
        && (after.is_empty() || after.starts_with('/'))
    {
        out.push_str(&home()?.to_string_lossy());
        rest = after;
    }
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => out.push_str(&user.name),
            Some('n') => out.push_str(local),
            Some('d') => out.push_str(domain),
            Some('h') => out.push_str(&home()?.to_string_lossy()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    Ok(PathBuf::from(out))
}

#[async_trait]
impl Store for MaildirStore {
    async fn account(&self, user: &User) -> Result<Arc<dyn Account>> {
        blocking(|| -> Result<Arc<dyn Account>> {
            let root = self.root_of(user)?;
            let mut accounts = lock(&self.accounts);
            let account = match accounts.get(&root) {
                Some(account) => account.clone(),
                None => {
                    let shared = Shared::create(user.name.clone(), root.clone(), self, user.quota)?;
                    let account = Arc::new(MaildirAccount {
                        shared: Arc::new(shared),
                    });
                    accounts.insert(root, account.clone());
                    account
                }
            };
            drop(accounts);
            account.shared.set_limit(user.quota)?;
            Ok(account)
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One user's Maildir++ tree; shared by every session on it.
#[derive(Debug)]
pub(crate) struct MaildirAccount {
    shared: Arc<Shared>,
}

/// What the account, its writers and its sessions share.
#[derive(Debug)]
pub(crate) struct Shared {
    name: String,
    id: u64,
    mpp: MaildirPlusPlus,
    max_message_size: Option<u64>,
    /// How often watchers look for other processes' changes.
    poll_interval: Duration,
    limit: Mutex<QuotaLimit>,
    inner: Mutex<Inner>,
    /// Directory fsyncs shared by concurrent deliveries, per folder.
    syncs: Mutex<HashMap<PathBuf, Arc<MaildirSyncs>>>,
}

/// The mailboxes sessions have touched, by id.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    next_box: u64,
    /// Canonical name → id.
    names: HashMap<String, u64>,
    boxes: HashMap<u64, BoxState>,
}

/// A mailbox some session or operation has used.
#[derive(Debug)]
pub(crate) struct BoxState {
    /// Its directory (the root for INBOX).
    path: PathBuf,
    /// Wakes watchers; dropped (waking them for good) on delete.
    notify: watch::Sender<u64>,
    /// The folder index with its MODSEQs, made on first use and dropped
    /// when the directory moves.
    cache: Option<Cache>,
}

impl BoxState {
    fn poke(&self) {
        self.notify.send_modify(|v| *v += 1);
    }
}

impl Shared {
    fn create(
        name: String,
        root: PathBuf,
        store: &MaildirStore,
        limit: QuotaLimit,
    ) -> Result<Shared> {
        let mpp = MaildirPlusPlus::create_root(&root)
            .map_err(|e| map_err(format!("creating the Maildir {}", root.display()), e))?;
        let shared = Shared {
            name,
            id: NEXT_ACCOUNT_ID.fetch_add(1, Ordering::Relaxed),
            mpp,
            max_message_size: store.max_message_size,
            poll_interval: store.poll_interval,
            limit: Mutex::new(limit),
            inner: Mutex::new(Inner::default()),
            syncs: Mutex::new(HashMap::new()),
        };
        if !root.join(UIDLIST_FILE).exists() {
            shared.new_uidlist(&root)?;
        }
        let md =
            ::maildir::delivery::Maildir::open(&root).map_err(|e| map_err("opening INBOX", e))?;
        let _ = md.clean_tmp(SystemTime::now());
        let quota = shared.quota_file();
        let current = quota.read().ok().flatten().map(|s| s.limits);
        if current != Some(limits_of(limit)) {
            quota
                .recalculate(limits_of(limit))
                .map_err(|e| map_err("writing maildirsize", e))?;
        }
        Ok(shared)
    }

    pub(crate) fn root(&self) -> &Path {
        self.mpp.root()
    }

    /// The shared directory fsyncs of the folder at `path`.
    pub(crate) fn syncs_for(&self, path: &Path) -> Arc<MaildirSyncs> {
        let mut syncs = lock(&self.syncs);
        Arc::clone(syncs.entry(path.to_path_buf()).or_default())
    }

    fn quota_file(&self) -> Quota {
        self.mpp.quota()
    }

    /// Takes the limits of the user most recently seen, rewriting
    /// `maildirsize` if they differ from the limits it was last written
    /// (or found, when the account was opened) with. The file is not read
    /// again on every call: `account` is called several times per
    /// delivery.
    fn set_limit(&self, limit: QuotaLimit) -> Result<()> {
        let mut current = lock(&self.limit);
        if *current != limit {
            self.quota_file()
                .recalculate(limits_of(limit))
                .map_err(|e| map_err("writing maildirsize", e))?;
            *current = limit;
        }
        Ok(())
    }

    pub(crate) fn limit(&self) -> QuotaLimit {
        *lock(&self.limit)
    }

    /// Bytes and messages stored, from `maildirsize` (recalculated if it
    /// is missing or unreadable).
    pub(crate) fn usage(&self) -> Result<(u64, u64)> {
        let quota = self.quota_file();
        let usage = match quota.read() {
            Ok(Some(size)) => size.usage,
            _ => quota
                .recalculate(limits_of(self.limit()))
                .map_err(|e| map_err("recalculating maildirsize", e))?,
        };
        Ok((
            u64::try_from(usage.bytes).unwrap_or(0),
            u64::try_from(usage.count).unwrap_or(0),
        ))
    }

    /// Fails with OverQuota when adding `bytes` and `messages` (either
    /// may be negative) ends over a limit in a dimension that grows.
    pub(crate) fn check_quota(&self, bytes: i64, messages: i64) -> Result<()> {
        let limit = self.limit();
        let grows_over = |(used_bytes, used_count): (u64, u64)| {
            let over = |delta: i64, used: u64, max: Option<u64>| {
                delta > 0
                    && max.is_some_and(|max| {
                        max > 0 && i128::from(used) + i128::from(delta) > i128::from(max)
                    })
            };
            over(bytes, used_bytes, limit.bytes) || over(messages, used_count, limit.messages)
        };
        if limit.is_unlimited() || !grows_over(self.usage()?) {
            return Ok(());
        }
        // Trust a fresh count only.
        let usage = self
            .quota_file()
            .recalculate(limits_of(limit))
            .map_err(|e| map_err("recalculating maildirsize", e))?;
        let usage = (
            u64::try_from(usage.bytes).unwrap_or(0),
            u64::try_from(usage.count).unwrap_or(0),
        );
        if grows_over(usage) {
            return Err(Error::new(
                ErrorKind::OverQuota,
                format!(
                    "{} messages of {} bytes, {messages} and {bytes} more, exceed {limit:?}",
                    usage.1, usage.0
                ),
            ));
        }
        Ok(())
    }

    /// The next UIDVALIDITY: above every one given out before (kept in
    /// the root's `mailwright-uidvalidity`) and at least the current time.
    fn next_uid_validity(&self) -> Result<u32> {
        let path = self.root().join(UIDVALIDITY_FILE);
        let fail = |e| map_err("allocating a UIDVALIDITY", e);
        let mut lock = DotLock::acquire(&path, &DotLockOptions::default()).map_err(fail)?;
        let last = fs::read_to_string(&path)
            .ok()
            .and_then(|s| u32::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        let mut next = now.max(last.wrapping_add(1));
        if next == 0 {
            next = 1;
        }
        lock.file()
            .write_all(format!("{next:08x}").as_bytes())
            .map_err(|e| Error::temporary("writing the UIDVALIDITY file", e))?;
        lock.commit().map_err(fail)?;
        Ok(next)
    }

    /// Writes an empty `dovecot-uidlist` with a new UIDVALIDITY into `dir`.
    fn new_uidlist(&self, dir: &Path) -> Result<u32> {
        let validity = self.next_uid_validity()?;
        let list = UidList::new(validity, ::maildir::uidlist::fresh_guid())
            .and_then(|list| {
                list.save(dir.join(UIDLIST_FILE), &DotLockOptions::UIDLIST)
                    .map(|()| list)
            })
            .map_err(|e| map_err("writing dovecot-uidlist", e))?;
        Ok(list.uid_validity())
    }

    /// The special-use attributes, by mailbox name.
    fn special_uses(&self) -> Result<HashMap<String, SpecialUse>> {
        let path = self.root().join(SPECIAL_USE_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
            Err(e) => return Err(Error::temporary("reading the special-use file", e)),
        };
        Ok(text
            .lines()
            .filter_map(|line| {
                let (name, attribute) = line.split_once('\t')?;
                Some((name.to_owned(), SpecialUse::from_attribute(attribute)?))
            })
            .collect())
    }

    /// Rewrites the special-use file with `change` applied (atomically,
    /// under its dotlock).
    fn update_special_uses(
        &self,
        change: impl FnOnce(&mut HashMap<String, SpecialUse>) -> bool,
    ) -> Result<()> {
        let path = self.root().join(SPECIAL_USE_FILE);
        let fail = |e| map_err("writing the special-use file", e);
        let mut lock = DotLock::acquire(&path, &DotLockOptions::default()).map_err(fail)?;
        let mut uses = self.special_uses()?;
        if !change(&mut uses) {
            return lock.rollback().map_err(fail);
        }
        let mut entries: Vec<_> = uses.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut text = String::new();
        for (name, attribute) in entries {
            text.push_str(&format!("{name}\t{}\n", attribute.attribute()));
        }
        lock.file()
            .write_all(text.as_bytes())
            .map_err(|e| Error::temporary("writing the special-use file", e))?;
        lock.commit().map_err(fail)
    }
}

impl Inner {
    /// The id of mailbox `name` (canonical), registering it if its
    /// directory exists; NotFound otherwise.
    fn entry(&mut self, shared: &Shared, name: &str) -> Result<u64> {
        let path = folder_path(shared, name)?;
        if let Some(id) = self.names.get(name) {
            return Ok(*id);
        }
        if !path.join("cur").is_dir() {
            return Err(not_found(name));
        }
        self.next_box += 1;
        let id = self.next_box;
        let (notify, _) = watch::channel(0);
        self.boxes.insert(
            id,
            BoxState {
                path,
                notify,
                cache: None,
            },
        );
        self.names.insert(name.to_owned(), id);
        Ok(id)
    }

    /// Forgets mailbox `name` (after a delete, or when a stale entry is
    /// replaced): its watchers wake and its sessions get NotFound.
    fn forget(&mut self, name: &str) {
        if let Some(id) = self.names.remove(name) {
            self.boxes.remove(&id);
        }
    }
}

/// The directory of canonical mailbox `name`.
fn folder_path(shared: &Shared, name: &str) -> Result<PathBuf> {
    shared
        .mpp
        .folder_path(name)
        .map_err(|e| map_err(format!("mailbox name {name:?}"), e))
}

fn not_found(name: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no mailbox {name:?}"))
}

fn limits_of(limit: QuotaLimit) -> Limits {
    Limits {
        bytes: limit.bytes,
        count: limit.messages,
    }
}

/// Maps an error of the maildir crate to one of ours.
pub(crate) fn map_err(context: impl Into<String>, e: ::maildir::Error) -> Error {
    use ::maildir::Error as M;
    let kind = match &e {
        M::Io { source, .. } => match source.kind() {
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            io::ErrorKind::PermissionDenied => ErrorKind::Permission,
            _ => ErrorKind::Temporary,
        },
        M::Format { .. } => ErrorKind::Temporary,
        M::InvalidName { .. } | M::InvalidArgument { .. } | M::UidsExhausted { .. } => {
            ErrorKind::Invalid
        }
        M::Locked { .. } => ErrorKind::InUse,
        M::OverQuota { .. } => ErrorKind::OverQuota,
        M::NotFound { .. } => ErrorKind::NotFound,
        _ => ErrorKind::Temporary,
    };
    Error::new(kind, context).with_source(e)
}

/// Checks a mailbox name and gives its canonical form: the common rules
/// plus no `.` in a level (the Maildir++ separator on disk).
pub(crate) fn canonical(name: &str) -> Result<String> {
    let name = canonical_name(name)?;
    if name.split('/').any(|level| level.contains('.')) {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("mailbox name {name:?}: '.' in a hierarchy level (the Maildir++ separator)"),
        ));
    }
    Ok(name)
}
