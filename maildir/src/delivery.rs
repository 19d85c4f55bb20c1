//! A Maildir (`tmp/`, `new/`, `cur/`) and safe delivery into it.
//!
//! Delivery follows the Maildir protocol: the message is written to a
//! uniquely named file in `tmp/`, fsynced, renamed into `new/` (or `cur/`)
//! and the directory fsynced, so a message is either fully delivered or not
//! at all. An uncommitted [`Delivery`] removes its `tmp/` file when dropped.
//!
//! A Maildir may carry the [`Quota`] of its Maildir++ root
//! ([`Maildir::with_quota`]; the folders of
//! [`MaildirPlusPlus`](crate::folders::MaildirPlusPlus) always do). Then a
//! delivery that would go over quota is refused with [`Error::OverQuota`]
//! before anything is written (when the size is known up front: [`Maildir::deliver`],
//! [`Maildir::delivery_sized`]) and in any case before the message becomes
//! visible, and every delivery adds its size to `maildirsize`.
//!
//! ```
//! use maildir::delivery::Maildir;
//! # let dir = std::env::temp_dir().join(format!("mw-doc-{}", std::process::id()));
//! let md = Maildir::create(&dir)?;
//! let delivered = md.deliver(b"Subject: hi\n\nhello\n")?;
//! assert_eq!(delivered.size, 19);
//! assert_eq!(delivered.vsize, 22);
//! assert!(delivered.path.starts_with(md.new_dir()));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```

use std::fs::{self, DirBuilder};
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use std::sync::Arc;

use crate::dir_sync::DirSync;
use crate::error::{Error, IoContext, Result};
use crate::name::{Flags, MessageName};
use crate::quota::Quota;
use crate::staged::StagedFile;

/// How long a file may sit in `tmp/` before [`Maildir::clean_tmp`] removes
/// it: 36 hours, as the Maildir specification says.
pub const TMP_MAX_AGE: Duration = Duration::from_secs(36 * 60 * 60);

/// A Maildir directory with its `tmp/`, `new/` and `cur/` subdirectories.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
    tmp: PathBuf,
    new: PathBuf,
    cur: PathBuf,
    quota: Option<Quota>,
    syncs: Option<Arc<MaildirSyncs>>,
}

/// The shared `fsync`s of one Maildir's `new/` and `cur/` (see
/// [`DirSync`]); keep one per Maildir for as long as it is delivered to.
#[derive(Debug, Default)]
pub struct MaildirSyncs {
    /// For renames into `new/`.
    pub new: DirSync,
    /// For renames into `cur/`.
    pub cur: DirSync,
}

impl Maildir {
    fn at(root: &Path) -> Self {
        Maildir {
            root: root.to_owned(),
            tmp: root.join("tmp"),
            new: root.join("new"),
            cur: root.join("cur"),
            quota: None,
            syncs: None,
        }
    }

    /// Keeps `quota` (of the Maildir++ root this Maildir belongs to) on
    /// every delivery into this Maildir and every expunge through a
    /// [`Folder`](crate::folder::Folder) of it.
    pub fn with_quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Deliveries share their directory `fsync`s with every other
    /// delivery through `syncs` (group commit) instead of each running
    /// its own.
    pub fn with_syncs(mut self, syncs: Arc<MaildirSyncs>) -> Self {
        self.syncs = Some(syncs);
        self
    }

    /// Makes renames into `dir` (`new/` or `cur/`) durable.
    pub(crate) fn sync_dir(&self, dir: &Path) -> Result<()> {
        match &self.syncs {
            Some(syncs) if dir == self.new => syncs.new.sync(dir),
            Some(syncs) if dir == self.cur => syncs.cur.sync(dir),
            _ => fs::File::open(dir)
                .context("open", dir)?
                .sync_all()
                .context("fsync", dir),
        }
    }

    /// The quota kept, if any.
    pub fn quota(&self) -> Option<&Quota> {
        self.quota.as_ref()
    }

    /// Creates the Maildir (and missing parents) with mode 0700, or opens
    /// it if it already exists.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let md = Maildir::at(path.as_ref());
        let mut builder = DirBuilder::new();
        builder.recursive(true).mode(0o700);
        for dir in [&md.root, &md.tmp, &md.new, &md.cur] {
            builder.create(dir).context("mkdir", dir)?;
        }
        Ok(md)
    }

    /// Opens an existing Maildir, checking that `tmp/`, `new/` and `cur/`
    /// are directories.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let md = Maildir::at(path.as_ref());
        for dir in [&md.tmp, &md.new, &md.cur] {
            let meta = fs::metadata(dir).context("stat", dir)?;
            if !meta.is_dir() {
                return Err(Error::io(
                    "open",
                    dir,
                    io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
                ));
            }
        }
        Ok(md)
    }

    /// The Maildir's own directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The `tmp/` directory.
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// The `new/` directory.
    pub fn new_dir(&self) -> &Path {
        &self.new
    }

    /// The `cur/` directory.
    pub fn cur_dir(&self) -> &Path {
        &self.cur
    }

    /// Starts a delivery: creates a new uniquely named file in `tmp/`.
    /// Write the message to it, then [`Delivery::commit`].
    ///
    /// With a quota, fails with [`Error::OverQuota`] when not even one more
    /// message fits; the real size is checked again at commit.
    pub fn delivery(&self) -> Result<Delivery<'_>> {
        self.delivery_sized(0)
    }

    /// [`delivery`](Self::delivery) of a message expected to be about
    /// `size` bytes (an SMTP `SIZE=` parameter, say): with a quota, it is
    /// refused at once when that does not fit.
    pub fn delivery_sized(&self, size: u64) -> Result<Delivery<'_>> {
        if let Some(quota) = &self.quota {
            quota.check(size, 1)?;
        }
        Ok(Delivery {
            maildir: self,
            staged: StagedFile::create(self)?,
        })
    }

    /// Delivers a whole message to `new/` in one go.
    pub fn deliver(&self, message: &[u8]) -> Result<Delivered> {
        let mut d = self.delivery_sized(message.len() as u64)?;
        d.put(message)?;
        d.commit()
    }

    /// Removes files in `tmp/` last modified more than [`TMP_MAX_AGE`]
    /// before `now` (interrupted deliveries). Returns how many were removed.
    pub fn clean_tmp(&self, now: SystemTime) -> Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.tmp).context("readdir", &self.tmp)? {
            let entry = entry.context("readdir", &self.tmp)?;
            let path = entry.path();
            let meta = match fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("stat", path, e)),
            };
            if meta.is_dir() {
                continue;
            }
            let modified = meta.modified().context("stat", &path)?;
            let old = now
                .duration_since(modified)
                .is_ok_and(|age| age > TMP_MAX_AGE);
            if old {
                match fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("unlink", path, e)),
                }
            }
        }
        Ok(removed)
    }
}

/// A message that has been delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The file's name in `new/` or `cur/`.
    pub name: MessageName,
    /// The full path of the file.
    pub path: PathBuf,
    /// The size in bytes.
    pub size: u64,
    /// The size with every bare LF counted as CRLF.
    pub vsize: u64,
}

/// A message being written to `tmp/`; implements [`Write`].
///
/// [`commit`](Delivery::commit) moves it into `new/`; dropping it (or
/// [`abort`](Delivery::abort)) removes the `tmp/` file instead. It is a
/// [`StagedFile`] bound to its Maildir.
#[derive(Debug)]
pub struct Delivery<'a> {
    maildir: &'a Maildir,
    staged: StagedFile,
}

impl Delivery<'_> {
    /// The unique part of the name this message will get.
    pub fn unique(&self) -> &str {
        self.staged.unique()
    }

    /// The file in `tmp/` being written.
    pub fn tmp_path(&self) -> &Path {
        self.staged.tmp_path()
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.staged.size()
    }

    /// Bytes written so far, counting every LF not preceded by CR as two.
    pub fn vsize(&self) -> u64 {
        self.staged.vsize()
    }

    /// Finishes the message and moves it to `new/` as
    /// `<unique>,S=<size>,W=<vsize>`.
    pub fn commit(self) -> Result<Delivered> {
        self.staged.deliver_into(self.maildir, None)
    }

    /// Finishes the message and moves it straight to `cur/` as
    /// `<unique>,S=<size>,W=<vsize>:2,<flags>` (for messages that are
    /// already known to the client, e.g. IMAP APPEND).
    pub fn commit_to_cur(self, flags: &Flags) -> Result<Delivered> {
        self.staged.deliver_into(self.maildir, Some(flags))
    }

    /// Removes the `tmp/` file, reporting a failure to do so (dropping
    /// ignores it).
    pub fn abort(self) -> Result<()> {
        self.staged.discard()
    }

    /// Flushes and fsyncs what was written, so that the commit that
    /// follows is only the rename (for callers that hold a lock across
    /// the commit).
    pub(crate) fn sync(&mut self) -> Result<()> {
        self.staged.finish()
    }

    /// Writes all of `buf` (for [`Maildir::deliver`]: one error, naming
    /// the file once).
    fn put(&mut self, buf: &[u8]) -> Result<()> {
        let path = self.staged.tmp_path().to_path_buf();
        self.staged.write_all(buf).context("write", path)
    }
}

impl Write for Delivery<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.staged.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.staged.flush()
    }
}
