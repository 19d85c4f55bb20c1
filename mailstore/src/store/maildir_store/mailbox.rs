//! One session's view of a folder, and the commit of transactions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use ::maildir::dotlock::DotLock;
use ::maildir::name::Flags as MFlags;
use ::maildir::staged::{Import, StagedFile};
use async_trait::async_trait;
use tokio::sync::watch;

use super::account::{cache_of, unpack_staged};
use super::cache::{Record, ensure_keywords, info_of, to_file_flags};
use super::disk_watcher::{DiskWatcher, Footprint, footprint};
use super::{BoxState, Shared, canonical, lock, map_err};
use crate::blocking::blocking;
use crate::error::{Error, ErrorKind, Result};
use crate::store::rules::{apply, changes, dedup_keywords, same_keywords, sorted};
use crate::store::watcher::ChannelWatcher;
use crate::store::{
    Changes, Committed, Content, FlagChange, FlagOp, Flags, Mailbox, MailboxStatus, MessageMeta,
    Operation, Outcome, Transaction, Watcher,
};

/// One session's view of a folder.
#[derive(Debug)]
pub(crate) struct MaildirMailbox {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) view: Vec<MessageMeta>,
    pub(crate) status: MailboxStatus,
    pub(crate) notify: watch::Receiver<u64>,
    /// The folder's footprint when this session last read it, for the
    /// watcher to tell other processes' changes since.
    pub(crate) footprint: Footprint,
}

/// An operation with its staged message unpacked and its target checked.
enum Op {
    Append(StagedFile, crate::store::AppendOptions),
    Store(Vec<u32>, FlagChange),
    /// UIDs, target mailbox id, whether to remove the sources.
    Copy(Vec<u32>, u64, bool),
    Expunge(Vec<u32>),
}

/// A message as the simulation of a transaction sees it.
#[derive(Debug, Clone)]
struct Sim {
    flags: Flags,
    keywords: Vec<String>,
    modseq: u64,
    size: u64,
}

/// Where one message placed by an import comes from.
enum Item {
    Staged(StagedFile, Flags, Vec<String>, Option<SystemTime>),
    /// A copy of a source message with these flags.
    Link(u32, Flags, Vec<String>),
}

/// Messages placed into one folder with one uidlist update, each with the
/// MODSEQ it gets.
struct ImportAction {
    target: u64,
    items: Vec<Item>,
    modseqs: Vec<u64>,
}

/// An outcome waiting for the UIDs the imports give.
enum Pending {
    Done(Outcome),
    /// Action and item index.
    Appended(usize, usize),
    Copied {
        target: u64,
        /// Source UID, action and item index.
        pairs: Vec<(u32, usize, usize)>,
    },
}

/// A change made, to undo if a later one fails.
enum Undo {
    Renamed(u32, MFlags),
    Imported(u64, Vec<u32>),
}

impl MaildirMailbox {
    fn gone(&self) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("mailbox {:?} was deleted", self.name),
        )
    }

    /// Unpacks staged messages and resolves targets (Invalid, NotFound)
    /// before anything is touched.
    fn unpack(&self, inner: &mut super::Inner, transaction: Transaction) -> Result<Vec<Op>> {
        let shared = &*self.shared;
        transaction
            .into_operations()
            .into_iter()
            .map(|op| {
                Ok(match op {
                    Operation::Append(staged, options) => {
                        Op::Append(unpack_staged(shared, staged)?, options)
                    }
                    Operation::Store(uids, change) => Op::Store(sorted(uids), change),
                    Operation::Copy(uids, to) => {
                        let to = canonical(&to)?;
                        Op::Copy(sorted(uids), inner.entry(shared, &to)?, false)
                    }
                    Operation::Move(uids, to) => {
                        let to = canonical(&to)?;
                        Op::Copy(sorted(uids), inner.entry(shared, &to)?, true)
                    }
                    Operation::Expunge(uids) => Op::Expunge(sorted(uids)),
                    #[allow(unreachable_patterns)]
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Invalid,
                            "operation not supported by the Maildir store",
                        ));
                    }
                })
            })
            .collect()
    }
}

/// Runs a transaction on the boxes in `work` (the source and every
/// target), whose caches are synced and locked. Returns the outcomes.
fn run(
    shared: &Shared,
    source: u64,
    ops: Vec<Op>,
    work: &mut BTreeMap<u64, BoxState>,
) -> Result<Vec<Outcome>> {
    // Keywords first: every folder gets letters for the keywords it may
    // need (a superset; unused letters are harmless).
    let mut wanted: HashMap<u64, Vec<String>> = HashMap::new();
    let mut set_so_far: Vec<String> = Vec::new();
    {
        let src = work[&source].cache.as_ref().expect("synced");
        for op in &ops {
            match op {
                Op::Append(_, options) => {
                    dedup_keywords(wanted.entry(source).or_default(), &options.keywords);
                }
                Op::Store(_, change) if change.op != FlagOp::Remove => {
                    dedup_keywords(wanted.entry(source).or_default(), &change.keywords);
                    dedup_keywords(&mut set_so_far, &change.keywords);
                }
                Op::Store(..) | Op::Expunge(_) => {}
                Op::Copy(uids, target, _) => {
                    let into = wanted.entry(*target).or_default();
                    for uid in uids {
                        if let Some(m) = src.metas.get(uid) {
                            dedup_keywords(into, &m.keywords);
                        }
                    }
                    dedup_keywords(into, &set_so_far);
                }
            }
        }
    }
    for (id, names) in &wanted {
        if names.is_empty() {
            continue;
        }
        let cache = work
            .get_mut(id)
            .and_then(|s| s.cache.as_mut())
            .expect("synced");
        cache.keywords = ensure_keywords(cache.dir(), names)?;
    }

    // Simulate, giving MODSEQs as the memory store does.
    let mut highest: HashMap<u64, u64> = work
        .iter()
        .map(|(id, s)| (*id, s.cache.as_ref().expect("synced").highest))
        .collect();
    let mut bump = |id: u64| {
        let h = highest.get_mut(&id).expect("in work");
        *h += 1;
        *h
    };
    let src = work[&source].cache.as_ref().expect("synced");
    let mut sim: BTreeMap<u32, Sim> = src
        .metas
        .values()
        .map(|m| {
            (
                m.uid,
                Sim {
                    flags: m.flags,
                    keywords: m.keywords.clone(),
                    modseq: m.modseq,
                    size: m.size,
                },
            )
        })
        .collect();
    let mut actions: Vec<ImportAction> = Vec::new();
    let mut pending: Vec<Pending> = Vec::with_capacity(ops.len());
    let mut renamed: BTreeSet<u32> = BTreeSet::new();
    let mut expunged: BTreeSet<u32> = BTreeSet::new();
    let (mut bytes, mut count) = (0i64, 0i64);
    let size_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    // Adds an item to the last action when it has the same target.
    let place = |actions: &mut Vec<ImportAction>, target: u64, item: Item, modseq: u64| {
        match actions.last_mut() {
            Some(last) if last.target == target => {}
            _ => actions.push(ImportAction {
                target,
                items: Vec::new(),
                modseqs: Vec::new(),
            }),
        }
        let a = actions.len() - 1;
        let last = &mut actions[a];
        last.items.push(item);
        last.modseqs.push(modseq);
        (a, last.items.len() - 1)
    };
    for op in ops {
        match op {
            Op::Append(file, options) => {
                let mut keywords = Vec::new();
                dedup_keywords(&mut keywords, &options.keywords);
                bytes = bytes.saturating_add(size_i64(file.size()));
                count += 1;
                let modseq = bump(source);
                let item = Item::Staged(file, options.flags, keywords, options.internal_date);
                let (a, i) = place(&mut actions, source, item, modseq);
                pending.push(Pending::Appended(a, i));
            }
            Op::Store(uids, change) => {
                let mut changed = Vec::new();
                let mut conflicts = Vec::new();
                let mut modseq = None;
                for uid in uids {
                    let Some(m) = sim.get_mut(&uid) else {
                        continue;
                    };
                    if change.unchanged_since.is_some_and(|since| m.modseq > since) {
                        conflicts.push(uid);
                        continue;
                    }
                    let (flags, keywords) = apply(m.flags, &m.keywords, &change);
                    if flags != m.flags || !same_keywords(&keywords, &m.keywords) {
                        m.flags = flags;
                        m.keywords = keywords;
                        m.modseq = *modseq.get_or_insert_with(|| bump(source));
                        renamed.insert(uid);
                    }
                    changed.push(uid);
                }
                pending.push(Pending::Done(Outcome::Stored { changed, conflicts }));
            }
            Op::Copy(uids, target, remove) => {
                let mut pairs = Vec::new();
                for uid in &uids {
                    let Some(m) = sim.get(uid) else {
                        continue;
                    };
                    bytes = bytes.saturating_add(size_i64(m.size));
                    count += 1;
                    let modseq = bump(target);
                    let item = Item::Link(*uid, m.flags, m.keywords.clone());
                    let (a, i) = place(&mut actions, target, item, modseq);
                    pairs.push((*uid, a, i));
                }
                if remove && !pairs.is_empty() {
                    for (uid, _, _) in &pairs {
                        if let Some(m) = sim.remove(uid) {
                            bytes = bytes.saturating_sub(size_i64(m.size));
                            count -= 1;
                        }
                        expunged.insert(*uid);
                    }
                    bump(source);
                }
                pending.push(Pending::Copied { target, pairs });
            }
            Op::Expunge(uids) => {
                let mut removed = Vec::new();
                for uid in uids {
                    if let Some(m) = sim.remove(&uid) {
                        bytes = bytes.saturating_sub(size_i64(m.size));
                        count -= 1;
                        expunged.insert(uid);
                        removed.push(uid);
                    }
                }
                if !removed.is_empty() {
                    bump(source);
                }
                pending.push(Pending::Done(Outcome::Expunged(removed)));
            }
        }
    }
    shared.check_quota(bytes, count)?;

    // Apply: flag renames, imports, then expunges.
    let mut undo: Vec<Undo> = Vec::new();
    let mut placed: Vec<Vec<(u32, String)>> = Vec::with_capacity(actions.len());
    let applied = (|| -> Result<()> {
        let src = work
            .get_mut(&source)
            .and_then(|s| s.cache.as_mut())
            .expect("synced");
        for uid in renamed.iter().filter(|uid| !expunged.contains(uid)) {
            let (Some(m), Some(s)) = (src.folder.get(*uid), sim.get(uid)) else {
                continue;
            };
            let old = m.flags().unwrap_or_default();
            let new = to_file_flags(s.flags, &s.keywords, &src.keywords, &old);
            if new != old || m.flags().is_none() {
                src.folder
                    .set_flags(*uid, &new)
                    .map_err(|e| map_err(format!("changing the flags of UID {uid}"), e))?;
                undo.push(Undo::Renamed(*uid, old));
            }
        }
        for action in &mut actions {
            let paths: Vec<Option<std::path::PathBuf>> = {
                let src = work[&source].cache.as_ref().expect("synced");
                action
                    .items
                    .iter()
                    .map(|item| match item {
                        Item::Link(uid, ..) => src.folder.path_of(*uid),
                        Item::Staged(..) => None,
                    })
                    .collect()
            };
            let target = work
                .get_mut(&action.target)
                .and_then(|s| s.cache.as_mut())
                .expect("synced");
            let mut imports = Vec::with_capacity(action.items.len());
            for (item, path) in std::mem::take(&mut action.items).into_iter().zip(paths) {
                imports.push(match item {
                    Item::Staged(mut file, flags, keywords, date) => {
                        if let Some(date) = date {
                            file.set_modified(date)
                                .map_err(|e| map_err("setting the internal date", e))?;
                        }
                        let file_flags =
                            to_file_flags(flags, &keywords, &target.keywords, &MFlags::new());
                        Import::staged(file, file_flags)
                    }
                    Item::Link(uid, flags, keywords) => {
                        let path = path.ok_or_else(|| {
                            Error::new(
                                ErrorKind::Expunged,
                                format!("message {uid} was expunged meanwhile"),
                            )
                        })?;
                        let file_flags =
                            to_file_flags(flags, &keywords, &target.keywords, &MFlags::new());
                        Import::link(path, file_flags)
                    }
                });
            }
            let done = target
                .folder
                .import(imports)
                .map_err(|e| map_err("placing messages", e))?;
            undo.push(Undo::Imported(
                action.target,
                done.iter().map(|(uid, _)| *uid).collect(),
            ));
            placed.push(done);
        }
        Ok(())
    })();
    if let Err(e) = applied {
        for step in undo.into_iter().rev() {
            let result = match step {
                Undo::Renamed(uid, old) => work
                    .get_mut(&source)
                    .and_then(|s| s.cache.as_mut())
                    .expect("synced")
                    .folder
                    .set_flags(uid, &old)
                    .map(|_| ()),
                Undo::Imported(target, uids) => work
                    .get_mut(&target)
                    .and_then(|s| s.cache.as_mut())
                    .expect("synced")
                    .folder
                    .expunge_many(&uids)
                    .map(|_| ()),
            };
            if let Err(undo_error) = result {
                tracing::warn!(error = %undo_error, "could not undo part of a failed commit");
            }
        }
        return Err(e);
    }
    let expunge_result = if expunged.is_empty() {
        Ok(())
    } else {
        let uids: Vec<u32> = expunged.iter().copied().collect();
        work.get_mut(&source)
            .and_then(|s| s.cache.as_mut())
            .expect("synced")
            .folder
            .expunge_many(&uids)
            .map(|_| ())
            .map_err(|e| map_err("expunging", e))
    };

    // The records: what was changed, with the MODSEQs simulated.
    {
        let src = work
            .get_mut(&source)
            .and_then(|s| s.cache.as_mut())
            .expect("synced");
        for uid in &renamed {
            if let (Some(m), Some(s)) = (src.folder.get(*uid), sim.get(uid)) {
                let info = info_of(m.file_name()).to_owned();
                src.records.insert(
                    *uid,
                    Record {
                        modseq: s.modseq,
                        info,
                    },
                );
            }
        }
        for uid in &expunged {
            src.records.remove(uid);
        }
    }
    for (action, done) in actions.iter().zip(&placed) {
        let target = work
            .get_mut(&action.target)
            .and_then(|s| s.cache.as_mut())
            .expect("synced");
        for ((uid, name), modseq) in done.iter().zip(&action.modseqs) {
            let info = info_of(name).to_owned();
            target.records.insert(
                *uid,
                Record {
                    modseq: *modseq,
                    info,
                },
            );
        }
    }
    for (id, state) in work.iter_mut() {
        let cache = state.cache.as_mut().expect("synced");
        cache.highest = cache.highest.max(highest[id]);
        cache.rebuild_metas();
    }
    expunge_result?;

    let outcomes = pending
        .into_iter()
        .map(|p| match p {
            Pending::Done(outcome) => outcome,
            Pending::Appended(a, i) => Outcome::Appended(placed[a][i].0),
            Pending::Copied { target, pairs } => Outcome::Copied {
                uid_validity: work[&target]
                    .cache
                    .as_ref()
                    .expect("synced")
                    .folder
                    .uid_validity(),
                uids: pairs
                    .into_iter()
                    .map(|(uid, a, i)| (uid, placed[a][i].0))
                    .collect(),
            },
        })
        .collect();
    Ok(outcomes)
}

#[async_trait]
impl Mailbox for MaildirMailbox {
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
        blocking(|| {
            let shared = self.shared.clone();
            let mut inner = lock(&shared.inner);
            let Some(state) = inner.boxes.get_mut(&self.id) else {
                return Err(self.gone());
            };
            self.footprint = footprint(&state.path);
            let cache = cache_of(&shared, state)?;
            let moved = cache.refresh()?;
            let status = cache.status();
            let changes = if status.uid_validity != self.status.uid_validity {
                Changes {
                    uid_validity_changed: true,
                    expunged: self.view.iter().map(|m| m.uid).collect(),
                    added: cache.metas.keys().copied().collect(),
                    ..Changes::default()
                }
            } else {
                changes(&self.view, cache.metas.values())
            };
            self.view = cache.view();
            self.status = status;
            if moved {
                state.poke();
            }
            Ok(changes)
        })
    }

    fn watch(&self) -> Box<dyn Watcher> {
        let channel = ChannelWatcher::boxed(&self.notify);
        let dir = lock(&self.shared.inner)
            .boxes
            .get(&self.id)
            .map(|state| state.path.clone());
        match dir {
            Some(dir) => {
                DiskWatcher::boxed(channel, dir, self.footprint, self.shared.poll_interval)
            }
            // Deleted: the channel is closed and says so.
            None => channel,
        }
    }

    async fn content(&self, uid: u32) -> Result<Content> {
        let shared = self.shared.clone();
        let mut inner = lock(&shared.inner);
        let Some(state) = inner.boxes.get_mut(&self.id) else {
            return Err(self.gone());
        };
        let cache = cache_of(&shared, state)?;
        for attempt in 0..2 {
            let Some(path) = cache.folder.path_of(uid) else {
                break;
            };
            match File::open(&path) {
                Ok(file) => {
                    let len = file
                        .metadata()
                        .map_err(|e| Error::temporary(format!("reading message {uid}"), e))?
                        .len();
                    return Ok(Content::File { file, len });
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt == 0 => {
                    // Renamed or removed by another process: look again.
                    cache
                        .folder
                        .refresh()
                        .map_err(|e| map_err("rescanning the folder", e))?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) => return Err(Error::temporary(format!("reading message {uid}"), e)),
            }
        }
        if self.get(uid).is_some() {
            Err(Error::new(
                ErrorKind::Expunged,
                format!("message {uid} of {:?} was expunged", self.name),
            ))
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("no message {uid} in {:?}", self.name),
            ))
        }
    }

    async fn commit(&mut self, transaction: Transaction) -> Result<Committed> {
        blocking(|| {
            let shared = self.shared.clone();
            let mut inner = lock(&shared.inner);
            if !inner.boxes.contains_key(&self.id) {
                return Err(self.gone());
            }
            let ops = self.unpack(&mut inner, transaction)?;
            let mut ids: Vec<u64> = vec![self.id];
            for op in &ops {
                if let Op::Copy(_, target, _) = op
                    && !ids.contains(target)
                {
                    ids.push(*target);
                }
            }
            let mut work: BTreeMap<u64, BoxState> = ids
                .iter()
                .filter_map(|id| Some((*id, inner.boxes.remove(id)?)))
                .collect();
            let result = commit_in(&shared, self.id, ops, &mut work);
            inner.boxes.extend(work);
            result
        })
    }
}

/// Opens, locks and syncs every box of `work`, runs the transaction and
/// saves the MODSEQ files (also when it fails: the sync may have given
/// MODSEQs to other processes' changes).
fn commit_in(
    shared: &Shared,
    source: u64,
    ops: Vec<Op>,
    work: &mut BTreeMap<u64, BoxState>,
) -> Result<Committed> {
    let mut order: Vec<u64> = work.keys().copied().collect();
    order.sort_by(|a, b| work[a].path.cmp(&work[b].path));
    let mut locks: Vec<(u64, DotLock, u64)> = Vec::with_capacity(order.len());
    let mut prepared = Ok(());
    for id in &order {
        let state = work.get_mut(id).expect("in work");
        let step = cache_of(shared, state).and_then(|cache| {
            let lock = cache.lock()?;
            let before = cache.highest;
            cache.sync()?;
            Ok((lock, before))
        });
        match step {
            Ok((lock, before)) => locks.push((*id, lock, before)),
            Err(e) => {
                prepared = Err(e);
                break;
            }
        }
    }
    let result = prepared.and_then(|()| run(shared, source, ops, work));
    let mut saved = Ok(());
    for (id, lock, before) in locks {
        let state = work.get_mut(&id).expect("in work");
        let cache = state.cache.as_mut().expect("synced");
        if result.is_err() {
            cache.rebuild_metas();
        }
        // Always written: cheap, and it keeps the records of a sync that
        // found other processes' changes.
        if let Err(e) = cache.save(lock) {
            saved = Err(e);
        }
        if cache.highest != before {
            state.poke();
        }
    }
    let outcomes = result?;
    saved?;
    let modseq = work[&source].cache.as_ref().expect("synced").highest;
    Ok(Committed { outcomes, modseq })
}
