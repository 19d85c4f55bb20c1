//! The account: mailboxes, subscriptions, staging, quota and delivery.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use ::maildir::delivery::Maildir;
use ::maildir::dotlock::{DotLock, DotLockOptions};
use ::maildir::keywords::KEYWORDS_FILE;
use ::maildir::name::{Flags as MFlags, MessageName};
use ::maildir::staged::StagedFile;
use ::maildir::uidlist::{UIDLIST_FILE, UidList};
use async_trait::async_trait;

use super::cache::{Cache, ensure_keywords, to_file_flags, write_records};
use super::disk_watcher::footprint;
use super::mailbox::MaildirMailbox;
use super::{BoxState, MaildirAccount, Shared, canonical, folder_path, lock, map_err, not_found};
use crate::blocking::blocking;
use crate::error::{Error, ErrorKind, Result};
use crate::store::rules::{dedup_keywords, is_within};
use crate::store::{
    Account, AppendOptions, INBOX, Mailbox, MailboxInfo, MailboxStatus, MessageWriter, QuotaUsage,
    SpecialUse, StagedMessage,
};

/// The cache of `state`, opened on first use.
pub(crate) fn cache_of<'a>(shared: &Shared, state: &'a mut BoxState) -> Result<&'a mut Cache> {
    if state.cache.is_none() {
        state.cache = Some(Cache::open(&state.path, shared.quota_file())?);
    }
    Ok(state.cache.as_mut().expect("just made"))
}

/// Bytes and messages in `new/` and `cur/` of the folder at `dir`.
fn folder_usage(dir: &Path) -> (i64, i64) {
    let (mut bytes, mut count) = (0i64, 0i64);
    for sub in ["new", "cur"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let size = match MessageName::parse(&name).ok().and_then(|n| n.size()) {
                Some(size) => size,
                None => match entry.metadata() {
                    Ok(meta) if meta.is_file() => meta.len(),
                    _ => continue,
                },
            };
            bytes = bytes.saturating_add(i64::try_from(size).unwrap_or(i64::MAX));
            count += 1;
        }
    }
    (bytes, count)
}

impl MaildirAccount {
    /// Renaming INBOX: its messages (with their UIDs, flags and MODSEQs)
    /// move into a new folder `to` with a new UIDVALIDITY; INBOX stays,
    /// empty.
    fn rename_inbox(&self, to: &str) -> Result<()> {
        let shared = &self.shared;
        let mut inner = lock(&shared.inner);
        let to_path = folder_path(shared, to)?;
        let inbox_id = inner.entry(shared, INBOX)?;
        let state = inner.boxes.get_mut(&inbox_id).expect("entry made");
        let cache = cache_of(shared, state)?;
        let modseq_lock = cache.lock()?;
        cache.sync()?;

        shared
            .mpp
            .create(to)
            .map_err(|e| map_err(format!("creating {to:?}"), e))?;
        let validity = shared.next_uid_validity()?;
        let root = shared.root().to_path_buf();
        let uidlist_lock = DotLock::acquire(root.join(UIDLIST_FILE), &DotLockOptions::UIDLIST)
            .map_err(|e| map_err("locking INBOX's dovecot-uidlist", e))?;
        let fail = |e| map_err(format!("moving INBOX's messages to {to:?}"), e);
        let mut list = UidList::new(validity, ::maildir::uidlist::fresh_guid()).map_err(fail)?;
        let mut records = BTreeMap::new();
        let from_cur = cache.folder.maildir().cur_dir().to_path_buf();
        let to_cur = to_path.join("cur");
        for m in cache.folder.messages() {
            match fs::rename(from_cur.join(m.file_name()), to_cur.join(m.file_name())) {
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(file = m.file_name(), error = %e, "not moved out of INBOX");
                    continue;
                }
            }
            list.raise_next_uid(m.uid());
            list.append(m.file_name()).map_err(fail)?;
            if let Some(record) = cache.records.get(&m.uid()) {
                records.insert(m.uid(), record.clone());
            }
        }
        list.raise_next_uid(cache.folder.next_uid());
        list.save(to_path.join(UIDLIST_FILE), &DotLockOptions::UIDLIST)
            .map_err(fail)?;
        let keywords = root.join(KEYWORDS_FILE);
        if keywords.exists() {
            fs::copy(&keywords, to_path.join(KEYWORDS_FILE))
                .map_err(|e| Error::temporary("copying dovecot-keywords", e))?;
        }
        write_records(&to_path, validity, cache.highest, &records)?;
        drop(uidlist_lock);

        // INBOX finds its files gone: one expunge.
        cache.sync()?;
        cache.save(modseq_lock)?;
        state.poke();
        inner.forget(to);
        Ok(())
    }
}

#[async_trait]
impl Account for MaildirAccount {
    fn name(&self) -> &str {
        &self.shared.name
    }

    async fn mailboxes(&self) -> Result<Vec<MailboxInfo>> {
        blocking(|| {
            let shared = &self.shared;
            let _inner = lock(&shared.inner);
            let list = shared
                .mpp
                .list()
                .map_err(|e| map_err("listing mailboxes", e))?;
            let uses = shared.special_uses()?;
            let subscribed: BTreeSet<String> = shared
                .mpp
                .subscriptions()
                .map_err(|e| map_err("reading subscriptions", e))?
                .into_iter()
                .collect();
            Ok(list
                .into_iter()
                .map(|f| MailboxInfo {
                    special_use: if f.exists {
                        uses.get(&f.name).copied()
                    } else {
                        None
                    },
                    subscribed: subscribed.contains(&f.name),
                    has_children: f.has_children,
                    exists: f.exists,
                    name: f.name,
                })
                .collect())
        })
    }

    async fn create_mailbox(&self, name: &str, special_use: Option<SpecialUse>) -> Result<()> {
        blocking(|| {
            let name = canonical(name)?;
            let shared = &self.shared;
            let exists =
                || Error::new(ErrorKind::AlreadyExists, format!("mailbox {name:?} exists"));
            if name == INBOX {
                return Err(exists());
            }
            let mut inner = lock(&shared.inner);
            let path = folder_path(shared, &name)?;
            if path.exists() {
                return Err(exists());
            }
            shared
                .mpp
                .create(&name)
                .map_err(|e| map_err(format!("creating {name:?}"), e))?;
            inner.forget(&name);
            shared.new_uidlist(&path)?;
            shared.update_special_uses(|uses| match special_use {
                Some(u) => uses.insert(name.clone(), u) != Some(u),
                None => uses.remove(&name).is_some(),
            })
        })
    }

    async fn rename_mailbox(&self, from: &str, to: &str) -> Result<()> {
        blocking(|| {
            let from = canonical(from)?;
            let to = canonical(to)?;
            let shared = &self.shared;
            {
                let _inner = lock(&shared.inner);
                if !folder_path(shared, &from)?.join("cur").is_dir() {
                    return Err(not_found(&from));
                }
                if to == INBOX || folder_path(shared, &to)?.exists() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("mailbox {to:?} exists"),
                    ));
                }
            }
            if from == INBOX {
                return self.rename_inbox(&to);
            }
            if is_within(&to, &from) {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("cannot rename {from:?} into its own child {to:?}"),
                ));
            }
            let mut inner = lock(&shared.inner);
            shared
                .mpp
                .rename(&from, &to)
                .map_err(|e| map_err(format!("renaming {from:?} to {to:?}"), e))?;
            let moves: Vec<(String, u64)> = inner
                .names
                .iter()
                .filter(|(name, _)| is_within(name, &from))
                .map(|(name, id)| (name.clone(), *id))
                .collect();
            for (old, id) in moves {
                let new = format!("{to}{}", &old[from.len()..]);
                inner.names.remove(&old);
                inner.forget(&new);
                let path = folder_path(shared, &new)?;
                if let Some(state) = inner.boxes.get_mut(&id) {
                    state.path = path;
                    state.cache = None;
                }
                inner.names.insert(new, id);
            }
            shared.update_special_uses(|uses| {
                let moved: Vec<(String, SpecialUse)> = uses
                    .iter()
                    .filter(|(name, _)| is_within(name, &from))
                    .map(|(name, u)| (name.clone(), *u))
                    .collect();
                for (old, u) in &moved {
                    uses.remove(old);
                    uses.insert(format!("{to}{}", &old[from.len()..]), *u);
                }
                !moved.is_empty()
            })
        })
    }

    async fn delete_mailbox(&self, name: &str) -> Result<()> {
        blocking(|| {
            let name = canonical(name)?;
            if name == INBOX {
                return Err(Error::new(ErrorKind::Invalid, "INBOX cannot be deleted"));
            }
            let shared = &self.shared;
            let mut inner = lock(&shared.inner);
            let path = folder_path(shared, &name)?;
            if !path.join("cur").is_dir() {
                return Err(not_found(&name));
            }
            let (bytes, count) = folder_usage(&path);
            shared
                .mpp
                .delete(&name)
                .map_err(|e| map_err(format!("deleting {name:?}"), e))?;
            // Gone whatever happens here; recalculation corrects a lost delta.
            let _ = shared.quota_file().add(-bytes, -count);
            inner.forget(&name);
            shared.update_special_uses(|uses| uses.remove(&name).is_some())
        })
    }

    async fn set_subscribed(&self, name: &str, subscribed: bool) -> Result<()> {
        blocking(|| {
            let name = canonical(name)?;
            let mpp = &self.shared.mpp;
            let done = if subscribed {
                mpp.subscribe(&name)
            } else {
                mpp.unsubscribe(&name)
            };
            done.map_err(|e| map_err("writing subscriptions", e))
        })
    }

    async fn subscriptions(&self) -> Result<Vec<String>> {
        blocking(|| {
            let names: BTreeSet<String> = self
                .shared
                .mpp
                .subscriptions()
                .map_err(|e| map_err("reading subscriptions", e))?
                .into_iter()
                .collect();
            Ok(names.into_iter().collect())
        })
    }

    async fn status(&self, name: &str) -> Result<MailboxStatus> {
        blocking(|| {
            let name = canonical(name)?;
            let shared = &self.shared;
            let mut inner = lock(&shared.inner);
            let id = inner.entry(shared, &name)?;
            let state = inner.boxes.get_mut(&id).expect("entry made");
            let cache = cache_of(shared, state)?;
            let moved = cache.refresh()?;
            let status = cache.status();
            if moved {
                state.poke();
            }
            Ok(status)
        })
    }

    async fn open(&self, name: &str) -> Result<Box<dyn Mailbox>> {
        blocking(|| -> Result<Box<dyn Mailbox>> {
            let name = canonical(name)?;
            let shared = &self.shared;
            let mut inner = lock(&shared.inner);
            let id = inner.entry(shared, &name)?;
            let state = inner.boxes.get_mut(&id).expect("entry made");
            let footprint = footprint(&state.path);
            let cache = cache_of(shared, state)?;
            let moved = cache.refresh()?;
            let (view, status) = (cache.view(), cache.status());
            if moved {
                state.poke();
            }
            let mut notify = state.notify.subscribe();
            notify.mark_unchanged();
            Ok(Box::new(MaildirMailbox {
                shared: self.shared.clone(),
                id,
                name,
                view,
                status,
                notify,
                footprint,
            }))
        })
    }

    async fn begin_append(&self) -> Result<Box<dyn MessageWriter>> {
        let begin = || -> Result<Box<dyn MessageWriter>> {
            let shared = &self.shared;
            let room = match shared.limit().bytes {
                Some(max) if max > 0 => Some(max.saturating_sub(shared.usage()?.0)),
                _ => None,
            };
            let file = StagedFile::create_in(&shared.root().join("tmp"))
                .map_err(|e| map_err("staging a message", e))?;
            Ok(Box::new(MaildirWriter {
                shared: self.shared.clone(),
                file: Some(file),
                room,
                failed: None,
            }))
        };
        // Creating a file is quicker than handing the thread over; reading
        // maildirsize for the room left is not always.
        if self.shared.limit().bytes.is_some_and(|max| max > 0) {
            blocking(begin)
        } else {
            begin()
        }
    }

    async fn quota(&self) -> Result<QuotaUsage> {
        blocking(|| {
            let (bytes, messages) = self.shared.usage()?;
            Ok(QuotaUsage {
                bytes,
                messages,
                limit: self.shared.limit(),
            })
        })
    }

    async fn deliver(
        &self,
        mailbox: &str,
        message: Box<dyn StagedMessage>,
        options: AppendOptions,
    ) -> Result<()> {
        blocking(|| {
            let shared = &self.shared;
            let mut file = unpack_staged(shared, message)?;
            let name = canonical(mailbox)?;
            if let Some(date) = options.internal_date {
                file.set_modified(date)
                    .map_err(|e| map_err("setting the internal date", e))?;
            }
            // The file's fsync needs no lock: concurrent deliveries to
            // one account run theirs side by side.
            file.finish()
                .map_err(|e| map_err(format!("delivering to {name:?}"), e))?;
            // Checks and the rename under the account's lock (quota exact,
            // no folder deleted under the message), the directory's fsync
            // after it, so that concurrent deliveries share it.
            let (placed, maildir) = {
                let inner = lock(&shared.inner);
                let path = folder_path(shared, &name)?;
                if !path.join("cur").is_dir() {
                    return Err(not_found(&name));
                }
                shared.check_quota(i64::try_from(file.size()).unwrap_or(i64::MAX), 1)?;
                let flags = if options.flags.is_empty() && options.keywords.is_empty() {
                    None
                } else {
                    let mut keywords = Vec::new();
                    dedup_keywords(&mut keywords, &options.keywords);
                    let table = ensure_keywords(&path, &keywords)?;
                    Some(to_file_flags(
                        options.flags,
                        &keywords,
                        &table,
                        &MFlags::new(),
                    ))
                };
                let maildir = Maildir::open(&path)
                    .map_err(|e| map_err(format!("opening {name:?}"), e))?
                    .with_syncs(shared.syncs_for(&path));
                // Without limits there is nothing to check before the
                // rename, only the running total to keep for other readers.
                let unlimited = shared.limit().is_unlimited();
                let size = file.size();
                let maildir = if unlimited {
                    maildir
                } else {
                    maildir.with_quota(shared.quota_file())
                };
                let placed = file
                    .place_into(&maildir, flags.as_ref())
                    .map_err(|e| map_err(format!("delivering to {name:?}"), e))?;
                if unlimited {
                    let _ = shared
                        .quota_file()
                        .add(i64::try_from(size).unwrap_or(i64::MAX), 1);
                }
                if let Some(state) = inner.names.get(&name).and_then(|id| inner.boxes.get(id)) {
                    state.poke();
                }
                (placed, maildir)
            };
            placed
                .sync(&maildir)
                .map_err(|e| map_err(format!("delivering to {name:?}"), e))?;
            Ok(())
        })
    }
}

/// The staged file of a message staged by this account; Invalid for any
/// other.
pub(crate) fn unpack_staged(
    shared: &Shared,
    message: Box<dyn StagedMessage>,
) -> Result<StagedFile> {
    let staged = message
        .into_any()
        .downcast::<MaildirStaged>()
        .map_err(|_| Error::new(ErrorKind::Invalid, "message staged by another store"))?;
    if staged.account != shared.id {
        return Err(Error::new(
            ErrorKind::Invalid,
            "message staged by another account",
        ));
    }
    Ok(staged.file)
}

/// A message being written into the root's `tmp/`.
#[derive(Debug)]
struct MaildirWriter {
    shared: Arc<Shared>,
    file: Option<StagedFile>,
    /// Bytes left under the byte quota when the message was begun.
    room: Option<u64>,
    /// The error that ended the message, repeated by every later call.
    failed: Option<ErrorKind>,
}

impl MaildirWriter {
    fn refuse(&mut self, kind: ErrorKind, context: String) -> Error {
        self.failed = Some(kind);
        self.file = None;
        Error::new(kind, context)
    }
}

#[async_trait]
impl MessageWriter for MaildirWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(kind) = self.failed {
            return Err(Error::new(kind, "the message was refused earlier"));
        }
        let Some(file) = self.file.as_mut() else {
            return Err(Error::new(ErrorKind::Invalid, "the message is finished"));
        };
        let size = file.size() + chunk.len() as u64;
        if let Some(max) = self.shared.max_message_size
            && size > max
        {
            return Err(self.refuse(
                ErrorKind::TooBig,
                format!("message larger than {max} bytes"),
            ));
        }
        if let Some(room) = self.room
            && size > room
        {
            return Err(self.refuse(
                ErrorKind::OverQuota,
                format!("{size} bytes do not fit in the {room} left"),
            ));
        }
        if let Err(e) = file.write_all(chunk) {
            self.failed = Some(ErrorKind::Temporary);
            self.file = None;
            return Err(Error::temporary("staging a message", e));
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<Box<dyn StagedMessage>> {
        if let Some(kind) = self.failed {
            return Err(Error::new(kind, "the message was refused earlier"));
        }
        let Some(mut file) = self.file.take() else {
            return Err(Error::new(ErrorKind::Invalid, "the message is finished"));
        };
        // Written out, not yet fsynced: the commit (a delivery's rename,
        // an append's import) fsyncs it in the same hand-over to a
        // blocking thread as its own work, one hand-over per message
        // instead of two.
        file.flush()
            .map_err(|e| Error::temporary("staging a message", e))?;
        Ok(Box::new(MaildirStaged {
            account: self.shared.id,
            file,
        }))
    }
}

/// A message staged in the root's `tmp/`, for the account that wrote it;
/// its file is removed when it is dropped uncommitted.
#[derive(Debug)]
pub(crate) struct MaildirStaged {
    account: u64,
    file: StagedFile,
}

impl StagedMessage for MaildirStaged {
    fn size(&self) -> u64 {
        self.file.size()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}
