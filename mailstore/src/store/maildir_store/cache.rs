//! One folder as the sessions of this process share it: the folder
//! index, its keyword table, its MODSEQ file and the message metadata
//! built from them.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::maildir::delivery::Maildir;
use ::maildir::dotlock::{DotLock, DotLockOptions};
use ::maildir::folder::{Folder, Message};
use ::maildir::keywords::{KEYWORDS_FILE, Keywords, is_valid_keyword};
use ::maildir::name::{Flag, Flags as MFlags};
use ::maildir::quota::Quota;

use super::{MODSEQ_FILE, map_err};
use crate::error::{Error, ErrorKind, Result};
use crate::store::{Flags, MailboxStatus, MessageMeta};

/// The first word of the MODSEQ file.
const MAGIC: &str = "mailwright-modseq";

/// What the MODSEQ file says of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) modseq: u64,
    /// The info part of the file name (after `:`), as last seen.
    pub(crate) info: String,
}

/// What tells that a file or directory changed: the MODSEQ file as last
/// read or written by us, a folder's directories for the watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Stamp {
    /// The modification time.
    pub(crate) fn modified(&self) -> SystemTime {
        let since_epoch = |secs: i64, nanos: i64| {
            Duration::new(secs.unsigned_abs(), u32::try_from(nanos).unwrap_or(0))
        };
        if self.mtime >= 0 {
            UNIX_EPOCH + since_epoch(self.mtime, self.mtime_nsec)
        } else {
            UNIX_EPOCH - since_epoch(self.mtime, 0)
        }
    }

    pub(crate) fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

/// A folder with its MODSEQs; see the module documentation.
#[derive(Debug)]
pub(crate) struct Cache {
    pub(crate) folder: Folder,
    dir: PathBuf,
    pub(crate) keywords: Keywords,
    /// The UIDVALIDITY the records belong to.
    uid_validity: u32,
    pub(crate) highest: u64,
    pub(crate) records: BTreeMap<u32, Record>,
    stamp: Option<Stamp>,
    /// What sessions see, by UID.
    pub(crate) metas: BTreeMap<u32, MessageMeta>,
}

/// The info part of a file name (after its first `:`).
pub(crate) fn info_of(file_name: &str) -> &str {
    file_name.split_once(':').map_or("", |(_, info)| info)
}

/// The letters of the system flags.
const SYSTEM: [(Flags, Flag); 5] = [
    (Flags::SEEN, Flag::Seen),
    (Flags::ANSWERED, Flag::Replied),
    (Flags::FLAGGED, Flag::Flagged),
    (Flags::DELETED, Flag::Trashed),
    (Flags::DRAFT, Flag::Draft),
];

/// The system flags of a file's flags.
pub(crate) fn system_flags(flags: &MFlags) -> Flags {
    SYSTEM
        .iter()
        .filter(|(_, f)| flags.contains(*f))
        .fold(Flags::empty(), |acc, (s, _)| acc | *s)
}

/// The letter of `keyword` in `table`, compared case-insensitively.
pub(crate) fn letter_of(table: &Keywords, keyword: &str) -> Option<char> {
    table
        .iter()
        .find(|(_, k)| k.eq_ignore_ascii_case(keyword))
        .map(|(i, _)| char::from(b'a' + i as u8))
}

/// A file's flags for `flags` and `keywords` (which must all have letters
/// in `table`), keeping what `base` has that IMAP does not show: `P`
/// (passed) and letters `table` does not name.
pub(crate) fn to_file_flags(
    flags: Flags,
    keywords: &[String],
    table: &Keywords,
    base: &MFlags,
) -> MFlags {
    let mut out = MFlags::new();
    if base.contains(Flag::Passed) {
        out.insert(Flag::Passed);
    }
    for letter in base.keywords() {
        if table.keyword(letter).is_none() {
            out.insert_keyword(letter);
        }
    }
    for (system, letter) in SYSTEM {
        if flags.contains(system) {
            out.insert(letter);
        }
    }
    for keyword in keywords {
        if let Some(letter) = letter_of(table, keyword) {
            out.insert_keyword(letter);
        }
    }
    out
}

/// Makes sure every keyword of `wanted` has a letter in the folder at
/// `dir`, adding the missing ones to `dovecot-keywords` under its lock.
/// Invalid when one cannot be stored or the 26 letters run out (nothing is
/// written then).
pub(crate) fn ensure_keywords(dir: &Path, wanted: &[String]) -> Result<Keywords> {
    let path = dir.join(KEYWORDS_FILE);
    let load = || Keywords::load(&path).map_err(|e| map_err("reading dovecot-keywords", e));
    let table = load()?;
    if wanted.iter().all(|k| letter_of(&table, k).is_some()) {
        return Ok(table);
    }
    let fail = |e| map_err("writing dovecot-keywords", e);
    let mut lock = DotLock::acquire(&path, &DotLockOptions::default()).map_err(fail)?;
    let mut table = load()?;
    for keyword in wanted {
        if letter_of(&table, keyword).is_some() {
            continue;
        }
        if !is_valid_keyword(keyword) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("keyword {keyword:?} cannot be stored in a Maildir"),
            ));
        }
        if table.add(keyword).is_none() {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!(
                    "keyword {keyword:?} would be the 27th of the mailbox; \
                     a Maildir folder names at most 26"
                ),
            ));
        }
    }
    lock.file()
        .write_all(&table.to_bytes())
        .map_err(|e| Error::temporary("writing dovecot-keywords", e))?;
    lock.commit().map_err(fail)?;
    Ok(table)
}

impl Cache {
    /// Opens the folder at `dir` (which must exist) with the tree's quota.
    pub(crate) fn open(dir: &Path, quota: Quota) -> Result<Cache> {
        let maildir = Maildir::open(dir)
            .map_err(|e| map_err(format!("opening {}", dir.display()), e))?
            .with_quota(quota);
        let folder = Folder::open(&maildir)
            .map_err(|e| map_err(format!("indexing {}", dir.display()), e))?;
        Ok(Cache {
            uid_validity: folder.uid_validity(),
            folder,
            dir: dir.to_path_buf(),
            keywords: Keywords::new(),
            highest: 1,
            records: BTreeMap::new(),
            stamp: None,
            metas: BTreeMap::new(),
        })
    }

    /// The folder's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the MODSEQ file's lock (held while the records change).
    pub(crate) fn lock(&self) -> Result<DotLock> {
        DotLock::acquire(self.dir.join(MODSEQ_FILE), &DotLockOptions::default())
            .map_err(|e| map_err("locking the MODSEQ file", e))
    }

    /// Rescans the folder and gives MODSEQs to what changed; call with
    /// [`lock`](Self::lock) held. Returns whether the records changed (and
    /// must be [`save`](Self::save)d).
    pub(crate) fn sync(&mut self) -> Result<bool> {
        self.folder
            .refresh()
            .map_err(|e| map_err(format!("rescanning {}", self.dir.display()), e))?;
        self.keywords = Keywords::load(self.dir.join(KEYWORDS_FILE))
            .map_err(|e| map_err("reading dovecot-keywords", e))?;
        self.load_records()?;
        let dirty = self.reconcile();
        self.rebuild_metas();
        Ok(dirty)
    }

    /// [`sync`](Self::sync) under the lock, saving what changed. Returns
    /// whether HIGHESTMODSEQ moved.
    pub(crate) fn refresh(&mut self) -> Result<bool> {
        let lock = self.lock()?;
        let before = self.highest;
        if self.sync()? {
            self.save(lock)?;
        } else {
            let _ = lock.rollback();
        }
        Ok(self.highest != before)
    }

    /// A new MODSEQ.
    pub(crate) fn next_modseq(&mut self) -> u64 {
        self.highest += 1;
        self.highest
    }

    /// The MODSEQ file of a folder that has held messages is missing or
    /// unreadable (lost, or never written: a Maildir that Dovecot or an
    /// MDA made): MODSEQs given out before are unknown, and clients may
    /// remember some. RFC 7162 forbids going below them, so the count
    /// starts again above any of them: at the time in microseconds, which
    /// a count that goes up by one per change cannot have reached.
    fn start_above_lost_modseqs(&mut self) {
        if self.folder.next_uid() <= 1 {
            return; // a new folder: there were no MODSEQs
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX >> 1));
        self.highest = self.highest.max(now);
    }

    /// Reads the MODSEQ file unless it is the one we last read or wrote.
    fn load_records(&mut self) -> Result<()> {
        let path = self.dir.join(MODSEQ_FILE);
        let (text, meta) = match fs::File::open(&path) {
            Ok(mut file) => {
                let meta = file
                    .metadata()
                    .map_err(|e| Error::temporary("reading the MODSEQ file", e))?;
                if self.stamp == Some(Stamp::of(&meta)) {
                    return Ok(());
                }
                let mut text = String::new();
                io::Read::read_to_string(&mut file, &mut text)
                    .map_err(|e| Error::temporary("reading the MODSEQ file", e))?;
                (text, meta)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.stamp.is_some() {
                    // Lost: keep what we know rather than start over.
                    self.stamp = None;
                } else {
                    self.start_above_lost_modseqs();
                }
                return Ok(());
            }
            Err(e) => return Err(Error::temporary("reading the MODSEQ file", e)),
        };
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let mut fields = header.split(' ');
        let (mut validity, mut highest) = (None, None);
        if fields.next() == Some(MAGIC) && fields.next() == Some("1") {
            for field in fields {
                if let Some(v) = field.strip_prefix('V') {
                    validity = v.parse::<u32>().ok();
                } else if let Some(h) = field.strip_prefix('H') {
                    highest = h.parse::<u64>().ok();
                }
            }
        }
        let (Some(validity), Some(highest)) = (validity, highest) else {
            tracing::warn!(path = %path.display(), "unreadable MODSEQ file; starting over");
            self.start_above_lost_modseqs();
            self.stamp = Some(Stamp::of(&meta));
            return Ok(());
        };
        let mut records = BTreeMap::new();
        for line in lines {
            let mut parts = line.splitn(3, ' ');
            let (Some(uid), Some(modseq), Some(info)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let (Ok(uid), Ok(modseq)) = (uid.parse::<u32>(), modseq.parse::<u64>()) else {
                continue;
            };
            let info = if info == "-" { "" } else { info };
            records.insert(
                uid,
                Record {
                    modseq,
                    info: info.to_owned(),
                },
            );
        }
        self.uid_validity = validity;
        // Never lower what this process has given out.
        self.highest = self.highest.max(highest);
        self.records = records;
        self.stamp = Some(Stamp::of(&meta));
        Ok(())
    }

    /// Writes the records through the held lock.
    pub(crate) fn save(&mut self, mut lock: DotLock) -> Result<()> {
        let text = records_text(self.uid_validity, self.highest, &self.records);
        lock.file()
            .write_all(text.as_bytes())
            .map_err(|e| Error::temporary("writing the MODSEQ file", e))?;
        let meta = lock
            .file()
            .metadata()
            .map_err(|e| Error::temporary("writing the MODSEQ file", e))?;
        lock.commit()
            .map_err(|e| map_err("writing the MODSEQ file", e))?;
        self.stamp = Some(Stamp::of(&meta));
        Ok(())
    }

    /// Gives MODSEQs to what the folder shows differently from the
    /// records. Returns whether the records changed.
    fn reconcile(&mut self) -> bool {
        let mut dirty = false;
        if self.uid_validity != self.folder.uid_validity() {
            // A new uidlist: every UID is new (MODSEQs still only grow).
            self.uid_validity = self.folder.uid_validity();
            self.records.clear();
            self.metas.clear();
            dirty = true;
        }
        let present: Vec<u32> = self.folder.uids().collect();
        let before = self.records.len();
        self.records
            .retain(|uid, _| present.binary_search(uid).is_ok());
        if self.records.len() != before {
            self.next_modseq();
            dirty = true;
        }
        let mut fresh = Vec::new();
        for m in self.folder.messages() {
            let info = info_of(m.file_name());
            match self.records.get(&m.uid()) {
                Some(r) if r.info == info => {}
                _ => fresh.push((m.uid(), info.to_owned())),
            }
        }
        for (uid, info) in fresh {
            let modseq = self.next_modseq();
            self.records.insert(uid, Record { modseq, info });
            dirty = true;
        }
        dirty
    }

    /// Rebuilds the metadata from the folder and records, keeping the
    /// dates and sizes already known.
    pub(crate) fn rebuild_metas(&mut self) {
        let mut old_metas = std::mem::take(&mut self.metas);
        let mut metas = BTreeMap::new();
        for m in self.folder.messages() {
            let modseq = self
                .records
                .get(&m.uid())
                .map_or(self.highest, |r| r.modseq);
            let old = old_metas.remove(&m.uid());
            metas.insert(m.uid(), self.meta_of(m, modseq, old));
        }
        self.metas = metas;
    }

    fn meta_of(&self, m: &Message, modseq: u64, old: Option<MessageMeta>) -> MessageMeta {
        let file_flags = m.flags().unwrap_or_default();
        let keywords = file_flags
            .keywords()
            .filter_map(|letter| self.keywords.keyword(letter).map(str::to_owned))
            .collect();
        let (internal_date, size) = match old {
            Some(old) => (old.internal_date, old.size),
            None => {
                let meta = fs::metadata(self.folder.maildir().cur_dir().join(m.file_name())).ok();
                let date = meta
                    .as_ref()
                    .and_then(|meta| meta.modified().ok())
                    .unwrap_or_else(SystemTime::now);
                let size = m
                    .size()
                    .or_else(|| meta.as_ref().map(fs::Metadata::len))
                    .unwrap_or(0);
                (date, size)
            }
        };
        MessageMeta {
            uid: m.uid(),
            flags: system_flags(&file_flags),
            keywords,
            internal_date,
            size,
            virtual_size: m.vsize(),
            modseq,
        }
    }

    /// The numbers of the folder.
    pub(crate) fn status(&self) -> MailboxStatus {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        MailboxStatus {
            uid_validity: self.folder.uid_validity(),
            uid_next: self.folder.next_uid(),
            highest_modseq: self.highest,
            messages: count(self.metas.len()),
            unseen: count(
                self.metas
                    .values()
                    .filter(|m| !m.flags.contains(Flags::SEEN))
                    .count(),
            ),
            size: self.metas.values().map(|m| m.size).sum(),
        }
    }

    /// The messages, ascending by UID.
    pub(crate) fn view(&self) -> Vec<MessageMeta> {
        self.metas.values().cloned().collect()
    }
}

/// The content of a MODSEQ file.
fn records_text(uid_validity: u32, highest: u64, records: &BTreeMap<u32, Record>) -> String {
    let mut text = format!("{MAGIC} 1 V{uid_validity} H{highest}\n");
    for (uid, record) in records {
        let info = if record.info.is_empty() {
            "-"
        } else {
            &record.info
        };
        text.push_str(&format!("{uid} {} {info}\n", record.modseq));
    }
    text
}

/// Writes the MODSEQ file of the folder at `dir` (for a folder no cache
/// holds yet).
pub(crate) fn write_records(
    dir: &Path,
    uid_validity: u32,
    highest: u64,
    records: &BTreeMap<u32, Record>,
) -> Result<()> {
    let fail = |e| map_err("writing the MODSEQ file", e);
    let mut lock =
        DotLock::acquire(dir.join(MODSEQ_FILE), &DotLockOptions::default()).map_err(fail)?;
    lock.file()
        .write_all(records_text(uid_validity, highest, records).as_bytes())
        .map_err(|e| Error::temporary("writing the MODSEQ file", e))?;
    lock.commit().map_err(fail)
}
