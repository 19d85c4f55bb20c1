//! The folder index: the messages of one Maildir with their IMAP UIDs,
//! kept in step with `dovecot-uidlist` and with what other processes
//! (Dovecot, MDAs, mutt) do to the directory.
//!
//! [`Folder::open`] works as Dovecot does on first sight of a folder: under
//! the uidlist's dotlock it reads `dovecot-uidlist` (creating one with a
//! fresh UIDVALIDITY if there is none), moves every file of `new/` into
//! `cur/` (adding `:2,` to names without info), gives every file not yet
//! listed the next UID (in file-name order), forgets entries whose file has
//! vanished, and saves the list if anything changed.
//!
//! Files whose names do not parse as [`MessageName`](crate::name::MessageName)s (an unknown flag
//! letter, say) are indexed under their raw name ([`Message::flags`] is
//! `None`); nothing is ever deleted except by [`Folder::expunge`]. Files
//! whose names cannot go into a uidlist at all (non-UTF-8 names, names with
//! a line break or a leading `.`) are left alone and not indexed.
//!
//! ```
//! use maildir::delivery::Maildir;
//! use maildir::folder::Folder;
//! use maildir::name::{Flag, Flags};
//! # let dir = std::env::temp_dir().join(format!("mw-folder-doc-{}", std::process::id()));
//! let md = Maildir::create(&dir)?;
//! md.deliver(b"Subject: one\n\n1\n")?;
//! let mut folder = Folder::open(&md)?;
//! assert_eq!(folder.uids().collect::<Vec<_>>(), [1]);
//! let uid = folder.deliver_flagged(b"Subject: two\n\n2\n", &Flags::new())?;
//! assert_eq!(uid, 2);
//! folder.set_flags(1, &[Flag::Seen].into_iter().collect())?;
//! assert!(folder.get(1).unwrap().flags().unwrap().contains(Flag::Seen));
//! folder.expunge(1)?;
//! assert_eq!(folder.uids().collect::<Vec<_>>(), [2]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```
//!
//! Limits: a flag change or expunge done through this `Folder` changes
//! `cur/`'s modification time, so the next [`Folder::refresh`] rescans
//! once (finding nothing new). Directory modification times are only
//! trusted once they are at least a second older than the scan that
//! recorded them.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::delivery::Maildir;
use crate::dotlock::{DotLock, DotLockOptions};
use crate::error::{Error, IoContext, Result};
use crate::name::{Flags, unique_name};
use crate::staged::{Import, Source};
use crate::uidlist::{UIDLIST_FILE, UidList, base_name, fresh_guid};

/// One indexed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    uid: u32,
    file_name: String,
    flags: Option<Flags>,
    size: Option<u64>,
    vsize: Option<u64>,
}

impl Message {
    /// `list_vsize` gives the uidlist's `W` when the name has no `,W=`.
    fn new(uid: u32, file_name: String, list_vsize: impl FnOnce() -> Option<u64>) -> Message {
        let (flags, size, vsize) = parse_name(&file_name).unwrap_or((None, None, None));
        Message {
            uid,
            file_name,
            flags,
            size,
            vsize: vsize.or_else(list_vsize),
        }
    }

    /// The IMAP UID.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The file's current name in `cur/`.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The base name (the file name up to its first `:`), the key of the
    /// uidlist.
    pub fn base_name(&self) -> &str {
        base_name(&self.file_name)
    }

    /// The flags; `None` when the name does not parse or carries an info
    /// other than `:2,` (such files are kept as they are).
    pub fn flags(&self) -> Option<Flags> {
        self.flags
    }

    /// The size in bytes from the name's `,S=` field.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The CRLF size from the name's `,W=` field or the uidlist's `W`.
    pub fn vsize(&self) -> Option<u64> {
        self.vsize
    }
}

/// Flags, size and vsize from a file name, without allocating; `None`
/// when [`MessageName::parse`](crate::name::MessageName::parse) would reject it. Flags are `None` for an
/// info other than `:2,` and empty for no info.
fn parse_name(name: &str) -> Option<(Option<Flags>, Option<u64>, Option<u64>)> {
    let (stem, info) = match name.split_once(':') {
        Some((stem, info)) => (stem, Some(info)),
        None => (name, None),
    };
    let mut fields = stem.split(',');
    if fields.next().is_none_or(str::is_empty) {
        return None;
    }
    let (mut size, mut vsize) = (None, None);
    for field in fields {
        let (key, value) = field.split_once('=')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let slot = match key {
            "S" => &mut size,
            "W" => &mut vsize,
            _ => continue,
        };
        if slot.is_some() || value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = Some(value.parse().ok()?);
    }
    let flags = match info.map(str::as_bytes) {
        None => Some(Flags::new()),
        Some([b'2', b',', ..]) => Some(Flags::parse(&info?[2..]).ok()?),
        Some([v, b',', ..]) if v.is_ascii_digit() => None,
        Some(_) => return None,
    };
    Some((flags, size, vsize))
}

/// What a [`Folder::refresh`] found changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Whether the directories were rescanned at all.
    pub rescanned: bool,
    /// Whether the UIDVALIDITY changed (the uidlist was removed or
    /// replaced): every old UID is then in `expunged`, every new one in
    /// `added`.
    pub uid_validity_changed: bool,
    /// UIDs that are new, ascending.
    pub added: Vec<u32>,
    /// UIDs whose file vanished, ascending.
    pub expunged: Vec<u32>,
    /// UIDs whose file name (flags) changed, ascending.
    pub flags_changed: Vec<u32>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.uid_validity_changed
            && self.added.is_empty()
            && self.expunged.is_empty()
            && self.flags_changed.is_empty()
    }
}

/// Identity of the uidlist file as last read or written by us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileStamp {
    fn of(meta: &Metadata) -> FileStamp {
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

/// A directory's modification time and when we looked at it.
#[derive(Debug, Clone, Copy)]
struct DirStamp {
    mtime: SystemTime,
    scanned_at: SystemTime,
}

impl DirStamp {
    /// Stats `dir`, noting the time first.
    fn take(dir: &Path) -> Result<DirStamp> {
        let scanned_at = SystemTime::now();
        let mtime = dir_mtime(dir)?;
        Ok(DirStamp { mtime, scanned_at })
    }

    /// Whether `dir` may have changed since this stamp was taken: its
    /// mtime differs, or the mtime was too close to the scan to tell
    /// (coarse timestamps: a later change may keep the same mtime).
    fn dirty(&self, dir: &Path) -> Result<bool> {
        let close = self
            .scanned_at
            .duration_since(self.mtime)
            .map_or(true, |d| d < Duration::from_secs(1));
        Ok(close || dir_mtime(dir)? != self.mtime)
    }
}

fn dir_mtime(dir: &Path) -> Result<SystemTime> {
    fs::metadata(dir)
        .context("stat", dir)?
        .modified()
        .context("stat", dir)
}

/// The index of one Maildir folder; see the [module documentation](self).
#[derive(Debug)]
pub struct Folder {
    maildir: Maildir,
    uidlist_path: PathBuf,
    lock_options: DotLockOptions,
    list: UidList,
    /// The uidlist as last read or written, held open so that its inode
    /// cannot be reused by a later file: then an equal stamp really is
    /// the same file, unchanged (Dovecot only ever appends in place).
    list_file: Option<(File, FileStamp)>,
    /// Sorted by UID; exactly the entries of `list`.
    messages: Vec<Message>,
    new_stamp: Option<DirStamp>,
    cur_stamp: Option<DirStamp>,
}

impl Folder {
    /// Opens the folder of `maildir` with Dovecot's uidlist lock settings.
    pub fn open(maildir: &Maildir) -> Result<Folder> {
        Folder::open_with(maildir, DotLockOptions::UIDLIST)
    }

    /// Opens the Maildir at `path` (which must exist) as a folder.
    pub fn open_path(path: impl AsRef<Path>) -> Result<Folder> {
        Folder::open(&Maildir::open(path)?)
    }

    /// Opens the folder of `maildir`, waiting for the uidlist lock as
    /// `lock_options` says.
    pub fn open_with(maildir: &Maildir, lock_options: DotLockOptions) -> Result<Folder> {
        let mut folder = Folder {
            maildir: maildir.clone(),
            uidlist_path: maildir.path().join(UIDLIST_FILE),
            lock_options,
            list: UidList::new(1, [0; 16])?,
            list_file: None,
            messages: Vec::new(),
            new_stamp: None,
            cur_stamp: None,
        };
        folder.sync()?;
        Ok(folder)
    }

    /// The Maildir.
    pub fn maildir(&self) -> &Maildir {
        &self.maildir
    }

    /// The folder's UIDVALIDITY.
    pub fn uid_validity(&self) -> u32 {
        self.list.uid_validity()
    }

    /// The UID the next new message will get (IMAP UIDNEXT).
    pub fn next_uid(&self) -> u32 {
        self.list.next_uid()
    }

    /// How many messages there are.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the folder is empty.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The UIDs, ascending.
    pub fn uids(&self) -> impl DoubleEndedIterator<Item = u32> + ExactSizeIterator + '_ {
        self.messages.iter().map(|m| m.uid)
    }

    /// The messages, ascending by UID (index + 1 is the IMAP sequence
    /// number).
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        self.messages.binary_search_by_key(&uid, |m| m.uid).ok()
    }

    /// The message with this UID.
    pub fn get(&self, uid: u32) -> Option<&Message> {
        self.index_of(uid).map(|i| &self.messages[i])
    }

    /// The UID of a file, by full or base name.
    pub fn uid_of(&self, file_name: &str) -> Option<u32> {
        self.list.uid_of(file_name)
    }

    /// The current path of the message with this UID (in `cur/`).
    pub fn path_of(&self, uid: u32) -> Option<PathBuf> {
        self.get(uid)
            .map(|m| self.maildir.cur_dir().join(&m.file_name))
    }

    fn not_found(&self, uid: u32) -> Error {
        Error::NotFound {
            path: self.maildir.path().to_path_buf(),
            what: format!("UID {uid}"),
        }
    }

    /// Rescans if `new/` or `cur/` may have changed since the last scan,
    /// picking up new files (next UIDs), vanished ones and flag changes
    /// made by other processes.
    pub fn refresh(&mut self) -> Result<Changes> {
        let dirty = match (&self.new_stamp, &self.cur_stamp) {
            (Some(n), Some(c)) => {
                n.dirty(self.maildir.new_dir())? || c.dirty(self.maildir.cur_dir())?
            }
            _ => true,
        };
        if dirty {
            self.sync()
        } else {
            Ok(Changes::default())
        }
    }

    /// Loads the uidlist unless it is the one we last read or wrote.
    /// Returns whether a fresh list had to be made (none on disk).
    /// Call with the lock held.
    fn load_list(&mut self) -> Result<bool> {
        let path = &self.uidlist_path;
        let stamp = match fs::metadata(path) {
            Ok(m) => Some(FileStamp::of(&m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("stat", path, e)),
        };
        if stamp.is_some() && stamp == self.list_file.as_ref().map(|(_, s)| *s) {
            return Ok(false);
        }
        self.list_file = None;
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.list = UidList::new(fresh_uid_validity(), fresh_guid())?;
                return Ok(true);
            }
            Err(e) => return Err(Error::io("open", path, e)),
        };
        let meta = file.metadata().context("stat", path)?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes).context("read", path)?;
        self.list = UidList::parse(&bytes, path)?;
        self.list_file = Some((file, FileStamp::of(&meta)));
        Ok(false)
    }

    /// Writes `self.list` through the held lock.
    fn save_list(&mut self, mut lock: DotLock) -> Result<()> {
        self.list_file = None;
        let lock_path = lock.lock_path().to_path_buf();
        let bytes = self.list.to_bytes();
        lock.file().write_all(&bytes).context("write", &lock_path)?;
        // The rename keeps inode and mtime: this is the stamp of the result.
        let meta = lock.file().metadata().context("stat", &lock_path)?;
        let kept = lock.file().try_clone().context("dup", &lock_path)?;
        lock.commit()?;
        self.list_file = Some((kept, FileStamp::of(&meta)));
        Ok(())
    }

    /// The full scan (under the lock): see the module documentation.
    fn sync(&mut self) -> Result<Changes> {
        let lock = DotLock::acquire(&self.uidlist_path, &self.lock_options)?;
        let old_validity = self.list.uid_validity();
        let mut changed = self.load_list()?;

        let new_dir = self.maildir.new_dir().to_path_buf();
        let cur_dir = self.maildir.cur_dir().to_path_buf();

        // new/ → cur/, adding ":2," where there is no info.
        let new_stamp = DirStamp::take(&new_dir)?;
        for entry in fs::read_dir(&new_dir).context("readdir", &new_dir)? {
            let entry = entry.context("readdir", &new_dir)?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let target = if name.contains(':') {
                name.to_owned()
            } else {
                format!("{name}:2,")
            };
            match fs::rename(entry.path(), cur_dir.join(&target)) {
                Ok(()) => {}
                // Another process moved it first; the cur/ scan finds it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("rename", entry.path(), e)),
            }
        }

        // cur/
        let cur_stamp = DirStamp::take(&cur_dir)?;
        let names = message_names(&cur_dir, self.messages.len() + 16)?;

        // Match with the list by base name. A base seen twice (a
        // concurrent rename can show both names) is indexed once.
        let mut listed: Vec<(u32, String)> = Vec::with_capacity(names.len());
        let mut unlisted = Vec::new();
        for name in names {
            match self.list.uid_of(&name) {
                Some(uid) => listed.push((uid, name)),
                None => unlisted.push(name),
            }
        }
        let by_uid =
            |a: &(u32, String), b: &(u32, String)| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1));
        listed.sort_unstable_by(by_uid);
        listed.dedup_by_key(|(uid, _)| *uid);
        let mut vanished = unmatched(self.list.entries().map(|e| e.uid()), &listed);
        // readdir may miss a file renamed while it runs (its old name gone
        // before we got there, its new one placed where we had been): a
        // listed file that seems gone is looked for again before its UID
        // is dropped, which would give it a new UID when seen next.
        for _ in 0..RENAME_RESCANS {
            if vanished.is_empty() {
                break;
            }
            let found: Vec<(u32, String)> = message_names(&cur_dir, 16)?
                .into_iter()
                .filter_map(|name| {
                    let uid = self.list.uid_of(&name)?;
                    vanished.binary_search(&uid).is_ok().then_some((uid, name))
                })
                .collect();
            if found.is_empty() {
                break;
            }
            listed.extend(found);
            listed.sort_unstable_by(by_uid);
            listed.dedup_by_key(|(uid, _)| *uid);
            vanished = unmatched(self.list.entries().map(|e| e.uid()), &listed);
        }
        if !vanished.is_empty() {
            self.list
                .retain(|e| vanished.binary_search(&e.uid()).is_err());
            changed = true;
        }
        // New files get the next UIDs in the order they arrived (the time
        // in their names, as numbers), so `listed` stays sorted by UID.
        unlisted.sort_unstable_by(|a, b| crate::name::arrival_order(a, b));
        unlisted.dedup_by(|a, b| base_name(a) == base_name(b));
        for name in unlisted {
            let uid = self.list.append(&name)?;
            listed.push((uid, name));
            changed = true;
        }
        if changed {
            self.save_list(lock)?;
        } else {
            drop(lock);
        }

        let list = &self.list;
        let messages: Vec<Message> = listed
            .into_iter()
            .map(|(uid, name)| Message::new(uid, name, || list.get(uid)?.virtual_size()))
            .collect();

        let validity_changed = self.list.uid_validity() != old_validity && self.new_stamp.is_some();
        let changes = diff(&self.messages, &messages, validity_changed);
        self.messages = messages;
        self.new_stamp = Some(new_stamp);
        self.cur_stamp = Some(cur_stamp);
        Ok(changes)
    }

    /// Looks for a file in `cur/` with this base name.
    fn find_in_cur(&self, base: &str) -> Result<Option<String>> {
        let cur = self.maildir.cur_dir();
        for entry in fs::read_dir(cur).context("readdir", cur)? {
            let entry = entry.context("readdir", cur)?;
            if let Ok(name) = entry.file_name().into_string()
                && base_name(&name) == base
            {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// Gives the message `flags` (replacing all its flags and keywords) by
    /// renaming `cur/base:2,OLD` to `cur/base:2,NEW`.
    ///
    /// If the file was renamed by another process meanwhile, it is looked
    /// up by its base name and the rename retried once; if it is gone,
    /// [`Error::NotFound`].
    pub fn set_flags(&mut self, uid: u32, flags: &Flags) -> Result<()> {
        let i = self.index_of(uid).ok_or_else(|| self.not_found(uid))?;
        let cur = self.maildir.cur_dir();
        for attempt in 0..2 {
            let old = &self.messages[i].file_name;
            let new = format!("{}:2,{flags}", base_name(old));
            if new == *old {
                self.messages[i].flags = Some(*flags);
                return Ok(());
            }
            let from = cur.join(old);
            match fs::rename(&from, cur.join(&new)) {
                Ok(()) => {
                    let m = &mut self.messages[i];
                    m.file_name = new;
                    m.flags = Some(*flags);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt == 0 => {
                    let base = base_name(old).to_owned();
                    match self.find_in_cur(&base)? {
                        Some(name) => {
                            let w = self.messages[i].vsize;
                            self.messages[i] = Message::new(uid, name, || w);
                        }
                        None => break,
                    }
                }
                Err(e) => return Err(Error::io("rename", from, e)),
            }
        }
        Err(self.not_found(uid))
    }

    /// Removes the message: unlinks its file, then removes it from the
    /// uidlist (its UID is never reused). [`Error::NotFound`] for an
    /// unknown UID.
    pub fn expunge(&mut self, uid: u32) -> Result<()> {
        if self.index_of(uid).is_none() {
            return Err(self.not_found(uid));
        }
        self.expunge_many(&[uid]).map(|_| ())
    }

    /// Removes several messages with one uidlist update; unknown UIDs are
    /// skipped. Returns the UIDs removed, ascending.
    ///
    /// Files are unlinked first; if that fails for one, the messages
    /// already unlinked are still removed from the uidlist, then the error
    /// is returned. The Maildir's quota, if any, is given back the bytes
    /// and messages this call removed.
    pub fn expunge_many(&mut self, uids: &[u32]) -> Result<Vec<u32>> {
        let mut wanted: Vec<u32> = uids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut done = Vec::with_capacity(wanted.len());
        let mut failure = None;
        let (mut freed, mut removed) = (0u64, 0u64);
        for uid in wanted {
            let Some(i) = self.index_of(uid) else {
                continue;
            };
            match self.unlink(i) {
                Ok(bytes) => {
                    done.push(uid);
                    if let Some(bytes) = bytes {
                        freed += bytes;
                        removed += 1;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(quota) = self.maildir.quota() {
            // The files are gone whatever happens here; a lost delta is
            // corrected when the quota is next recalculated.
            let minus = |n: u64| -i64::try_from(n).unwrap_or(i64::MAX);
            let _ = quota.add(minus(freed), minus(removed));
        }
        if !done.is_empty() {
            let lock = DotLock::acquire(&self.uidlist_path, &self.lock_options)?;
            if self.load_list()? {
                // The uidlist vanished: start over with a full scan.
                drop(lock);
                self.sync()?;
            } else {
                self.list.retain(|e| done.binary_search(&e.uid()).is_err());
                self.save_list(lock)?;
                self.messages
                    .retain(|m| done.binary_search(&m.uid).is_err());
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    /// Unlinks the file of `messages[i]`, following a rename by another
    /// process. Returns the bytes freed, or `None` when the file was
    /// already gone (whoever removed it accounts for it).
    fn unlink(&self, i: usize) -> Result<Option<u64>> {
        let cur = self.maildir.cur_dir();
        let m = &self.messages[i];
        let mut name = m.file_name.clone();
        for attempt in 0..2 {
            let path = cur.join(&name);
            // The size is needed for the quota; names without `,S=` cost a stat.
            let size = match (m.size, self.maildir.quota()) {
                (Some(size), _) => Some(size),
                (None, Some(_)) => fs::symlink_metadata(&path).ok().map(|meta| meta.len()),
                (None, None) => None,
            };
            match fs::remove_file(&path) {
                Ok(()) => return Ok(Some(size.unwrap_or(0))),
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt == 0 => {
                    match self.find_in_cur(m.base_name())? {
                        Some(renamed) => name = renamed,
                        None => return Ok(None),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::io("unlink", path, e)),
            }
        }
        Ok(None)
    }

    /// Delivers `message` straight into `cur/` with `flags` (IMAP APPEND)
    /// and gives it the next UID, which is returned.
    ///
    /// The file is written and synced first, then renamed into `cur/`
    /// under the uidlist lock and listed before the lock is released, as
    /// Dovecot saves: no other process can index the file (and give it a
    /// UID of its own) before its UID is in the list.
    pub fn deliver_flagged(&mut self, message: &[u8], flags: &Flags) -> Result<u32> {
        // The delivery borrows its Maildir while `self` changes below.
        let maildir = self.maildir.clone();
        let mut delivery = maildir.delivery_sized(message.len() as u64)?;
        delivery
            .write_all(message)
            .map_err(|e| Error::io("write", delivery.tmp_path().to_path_buf(), e))?;
        delivery.sync()?;

        let lock = DotLock::acquire(&self.uidlist_path, &self.lock_options)?;
        let fresh = self.load_list()?;
        let delivered = delivery.commit_to_cur(flags)?;
        let file_name = delivered.name.to_string();
        if fresh {
            // No uidlist on disk: a full scan makes one, with this file.
            drop(lock);
            self.sync()?;
            return self.uid_of(&file_name).ok_or_else(|| Error::NotFound {
                path: self.maildir.path().to_path_buf(),
                what: file_name,
            });
        }
        let uid = self.list.append(&file_name)?;
        self.save_list(lock)?;
        let message = Message::new(uid, file_name, || Some(delivered.vsize));
        match self.messages.last() {
            Some(last) if last.uid >= uid => {
                let i = self.messages.partition_point(|m| m.uid < uid);
                self.messages.insert(i, message);
            }
            _ => self.messages.push(message),
        }
        Ok(uid)
    }
}

impl Folder {
    /// Places messages into `cur/` with their flags and lists them under
    /// the next UIDs, in the order given; returns each one's UID and file
    /// name. Staged files are renamed (as
    /// [`deliver_flagged`](Self::deliver_flagged) does), other message
    /// files hard-linked under a new name (copied, keeping their
    /// modification time, where a link cannot be made). All files are
    /// placed and listed under the uidlist lock, so no other process can
    /// give them UIDs of its own first.
    ///
    /// All or nothing: if placing one fails, the files already placed are
    /// removed again and the staged ones are removed from `tmp/`. There is
    /// no quota check (the caller checks a whole transaction at once), but
    /// the Maildir's quota, if any, is given the bytes and messages added.
    pub fn import(&mut self, imports: Vec<Import>) -> Result<Vec<(u32, String)>> {
        if imports.is_empty() {
            return Ok(Vec::new());
        }
        // Staged files hand over their tmp/ paths: from here on they are
        // ours to remove on failure.
        let mut pending: Vec<Pending> = Vec::with_capacity(imports.len());
        let mut prepared = Ok(());
        for import in imports {
            match import.source {
                Source::Staged(staged) => {
                    let (unique, size, vsize) =
                        (staged.unique().to_owned(), staged.size(), staged.vsize());
                    match staged.take_path() {
                        Ok(tmp) => pending.push(Pending {
                            name: format!("{unique},S={size},W={vsize}:2,{}", import.flags),
                            from: tmp,
                            staged: true,
                            size,
                            vsize: Some(vsize),
                        }),
                        Err(e) => {
                            prepared = Err(e);
                            break;
                        }
                    }
                }
                Source::Link(from) => {
                    let file_name = from
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default();
                    let (_, size, vsize) = parse_name(file_name).unwrap_or((None, None, None));
                    let size = match size {
                        Some(size) => size,
                        None => match fs::metadata(&from) {
                            Ok(meta) => meta.len(),
                            Err(e) => {
                                prepared = Err(Error::io("stat", from, e));
                                break;
                            }
                        },
                    };
                    let mut name = format!("{},S={size}", unique_name());
                    if let Some(w) = vsize {
                        name.push_str(&format!(",W={w}"));
                    }
                    name.push_str(&format!(":2,{}", import.flags));
                    pending.push(Pending {
                        name,
                        from,
                        staged: false,
                        size,
                        vsize,
                    });
                }
            }
        }
        let remove_staged = |pending: &[Pending]| {
            for p in pending.iter().filter(|p| p.staged) {
                let _ = fs::remove_file(&p.from);
            }
        };
        if let Err(e) = prepared {
            remove_staged(&pending);
            return Err(e);
        }

        let cur = self.maildir.cur_dir().to_path_buf();
        let tmp = self.maildir.tmp_dir().to_path_buf();
        let lock = match DotLock::acquire(&self.uidlist_path, &self.lock_options) {
            Ok(lock) => lock,
            Err(e) => {
                remove_staged(&pending);
                return Err(e);
            }
        };
        let undo = |placed: usize, pending: &[Pending]| {
            for p in &pending[..placed] {
                let _ = fs::remove_file(cur.join(&p.name));
            }
            remove_staged(pending);
        };
        let fresh = match self.load_list() {
            Ok(fresh) => fresh,
            Err(e) => {
                undo(0, &pending);
                return Err(e);
            }
        };
        for (i, p) in pending.iter().enumerate() {
            let to = cur.join(&p.name);
            let placed = if p.staged {
                fs::rename(&p.from, &to).context("rename", &p.from)
            } else {
                link_or_copy(&p.from, &to, &tmp)
            };
            if let Err(e) = placed {
                undo(i, &pending);
                return Err(e);
            }
        }
        if let Err(e) = sync_dir(&cur) {
            undo(pending.len(), &pending);
            return Err(e);
        }
        let mut uids = Vec::with_capacity(pending.len());
        if fresh {
            // No uidlist on disk: a full scan makes one, with these files.
            drop(lock);
            self.sync()?;
            for p in &pending {
                let uid = self.uid_of(&p.name).ok_or_else(|| Error::NotFound {
                    path: self.maildir.path().to_path_buf(),
                    what: p.name.clone(),
                })?;
                uids.push(uid);
            }
        } else {
            let before = self.list.clone();
            for p in &pending {
                match self.list.append(&p.name) {
                    Ok(uid) => uids.push(uid),
                    Err(e) => {
                        self.list = before;
                        undo(pending.len(), &pending);
                        return Err(e);
                    }
                }
            }
            self.save_list(lock)?;
            for (p, &uid) in pending.iter().zip(&uids) {
                let vsize = p.vsize;
                let message = Message::new(uid, p.name.clone(), || vsize);
                match self.messages.last() {
                    Some(last) if last.uid >= uid => {
                        let i = self.messages.partition_point(|m| m.uid < uid);
                        self.messages.insert(i, message);
                    }
                    _ => self.messages.push(message),
                }
            }
        }
        if let Some(quota) = self.maildir.quota() {
            // The messages are there whatever happens here; a lost delta
            // is corrected when the quota is next recalculated.
            let bytes: u64 = pending.iter().map(|p| p.size).sum();
            let _ = quota.add(
                i64::try_from(bytes).unwrap_or(i64::MAX),
                i64::try_from(pending.len()).unwrap_or(i64::MAX),
            );
        }
        Ok(uids
            .into_iter()
            .zip(pending)
            .map(|(uid, p)| (uid, p.name))
            .collect())
    }
}

/// A message of [`Folder::import`] ready to be placed.
struct Pending {
    /// Its name in `cur/`.
    name: String,
    /// The staged file or the file to link.
    from: PathBuf,
    staged: bool,
    size: u64,
    vsize: Option<u64>,
}

/// Hard-links `from` to `to`, or copies it through `tmp` (keeping its
/// modification time) when a link cannot be made.
fn link_or_copy(from: &Path, to: &Path, tmp: &Path) -> Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::io("link", from, e));
        }
        Err(_) => {}
    }
    let tmp_path = tmp.join(unique_name());
    let result = (|| {
        let meta = fs::metadata(from).context("stat", from)?;
        fs::copy(from, &tmp_path).context("copy", from)?;
        let file = fs::OpenOptions::new()
            .write(true)
            .open(&tmp_path)
            .context("open", &tmp_path)?;
        if let Ok(mtime) = meta.modified() {
            file.set_modified(mtime).context("utime", &tmp_path)?;
        }
        file.sync_all().context("fsync", &tmp_path)?;
        fs::rename(&tmp_path, to).context("rename", &tmp_path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .context("open", dir)?
        .sync_all()
        .context("fsync", dir)
}

/// How many times a scan that finds listed files missing looks again.
const RENAME_RESCANS: usize = 3;

/// The names of the message files in `dir`: not directories, not hidden,
/// UTF-8 without line breaks (the names a uidlist can hold).
fn message_names(dir: &Path, capacity: usize) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(capacity);
    for entry in fs::read_dir(dir).context("readdir", dir)? {
        let entry = entry.context("readdir", dir)?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || name.contains(['\n', '\r']) {
            continue;
        }
        names.push(name);
    }
    Ok(names)
}

/// The UIDs of `all` (ascending) that are not in `found` (sorted by UID).
fn unmatched(all: impl Iterator<Item = u32>, found: &[(u32, String)]) -> Vec<u32> {
    let mut found = found.iter().map(|(uid, _)| *uid).peekable();
    all.filter(|&uid| {
        while found.next_if(|&f| f < uid).is_some() {}
        found.peek() != Some(&uid)
    })
    .collect()
}

/// Compares two UID-sorted message lists.
fn diff(old: &[Message], new: &[Message], validity_changed: bool) -> Changes {
    let mut c = Changes {
        rescanned: true,
        uid_validity_changed: validity_changed,
        ..Changes::default()
    };
    if validity_changed {
        c.expunged = old.iter().map(|m| m.uid).collect();
        c.added = new.iter().map(|m| m.uid).collect();
        return c;
    }
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(o), None) => {
                c.expunged.push(o.uid);
                a.next();
            }
            (None, Some(n)) => {
                c.added.push(n.uid);
                b.next();
            }
            (Some(o), Some(n)) => {
                if o.uid < n.uid {
                    c.expunged.push(o.uid);
                    a.next();
                } else if o.uid > n.uid {
                    c.added.push(n.uid);
                    b.next();
                } else {
                    if o.file_name != n.file_name {
                        c.flags_changed.push(o.uid);
                    }
                    a.next();
                    b.next();
                }
            }
        }
    }
    c
}

/// The current Unix time (at least 1), as Dovecot picks UIDVALIDITY.
fn fresh_uid_validity() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX).max(1)
}
