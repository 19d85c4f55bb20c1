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

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoContext, Result};
use crate::name::{Flags, MessageName, unique_name};
use crate::quota::Quota;

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
}

impl Maildir {
    fn at(root: &Path) -> Self {
        Maildir {
            root: root.to_owned(),
            tmp: root.join("tmp"),
            new: root.join("new"),
            cur: root.join("cur"),
            quota: None,
        }
    }

    /// Keeps `quota` (of the Maildir++ root this Maildir belongs to) on
    /// every delivery into this Maildir and every expunge through a
    /// [`Folder`](crate::folder::Folder) of it.
    pub fn with_quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
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
        // A clash means another process uses our pid and clock (or a stale
        // file survived a reboot): take the next counter value and retry.
        let mut attempts = 0;
        loop {
            let unique = unique_name();
            let tmp_path = self.tmp.join(&unique);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp_path)
            {
                Ok(file) => {
                    return Ok(Delivery {
                        maildir: self,
                        file: Some(BufWriter::with_capacity(16 * 1024, file)),
                        unique,
                        tmp_path,
                        size: 0,
                        vsize: 0,
                        last_cr: false,
                        synced: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 8 => {
                    attempts += 1;
                }
                Err(e) => return Err(Error::io("create", tmp_path, e)),
            }
        }
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
/// [`abort`](Delivery::abort)) removes the `tmp/` file instead.
#[derive(Debug)]
pub struct Delivery<'a> {
    maildir: &'a Maildir,
    file: Option<BufWriter<File>>,
    unique: String,
    tmp_path: PathBuf,
    size: u64,
    vsize: u64,
    last_cr: bool,
    /// Everything written is on disk (see [`Delivery::sync`]).
    synced: bool,
}

impl Delivery<'_> {
    /// The unique part of the name this message will get.
    pub fn unique(&self) -> &str {
        &self.unique
    }

    /// The file in `tmp/` being written.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp_path
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes written so far, counting every LF not preceded by CR as two.
    pub fn vsize(&self) -> u64 {
        self.vsize
    }

    /// Finishes the message and moves it to `new/` as
    /// `<unique>,S=<size>,W=<vsize>`.
    pub fn commit(self) -> Result<Delivered> {
        let name = format!("{},S={},W={}", self.unique, self.size, self.vsize);
        self.finish(name, false)
    }

    /// Finishes the message and moves it straight to `cur/` as
    /// `<unique>,S=<size>,W=<vsize>:2,<flags>` (for messages that are
    /// already known to the client, e.g. IMAP APPEND).
    pub fn commit_to_cur(self, flags: &Flags) -> Result<Delivered> {
        let name = format!("{},S={},W={}:2,{flags}", self.unique, self.size, self.vsize);
        self.finish(name, true)
    }

    /// Removes the `tmp/` file, reporting a failure to do so (dropping
    /// ignores it).
    pub fn abort(mut self) -> Result<()> {
        self.file = None;
        fs::remove_file(&self.tmp_path).context("unlink", &self.tmp_path)
    }

    /// Flushes and fsyncs what was written, so that the commit that
    /// follows is only the rename (for callers that hold a lock across
    /// the commit).
    pub(crate) fn sync(&mut self) -> Result<()> {
        if let Some(writer) = self.file.as_mut() {
            writer.flush().context("write", &self.tmp_path)?;
            writer
                .get_ref()
                .sync_all()
                .context("fsync", &self.tmp_path)?;
            self.synced = true;
        }
        Ok(())
    }

    fn finish(mut self, name: String, to_cur: bool) -> Result<Delivered> {
        // On any error below, `self` is dropped and removes the tmp file.
        if !self.synced {
            self.sync()?;
        }
        self.file = None;
        let md = self.maildir;
        if let Some(quota) = &md.quota {
            quota.check(self.size, 1)?;
        }
        let dir = if to_cur { &md.cur } else { &md.new };
        let path = dir.join(&name);
        fs::rename(&self.tmp_path, &path).context("rename", &self.tmp_path)?;
        // From here on the message is delivered: do not remove anything.
        let (size, vsize) = (self.size, self.vsize);
        self.tmp_path = PathBuf::new();
        if let Some(quota) = &md.quota {
            // The message is delivered whatever happens here; a lost delta
            // is corrected when the quota is next recalculated.
            let _ = quota.add(i64::try_from(size).unwrap_or(i64::MAX), 1);
        }
        // The rename is durable once the target directory is synced; the
        // tmp/ side needs no sync (a name left there after a crash would be
        // a second link to the delivered file, which clean_tmp removes).
        sync_dir(dir)?;
        let name = MessageName::parse(&name)?;
        Ok(Delivered {
            name,
            path,
            size,
            vsize,
        })
    }

    /// Writes all of `buf` (for [`Maildir::deliver`]: one error, naming
    /// the file once).
    fn put(&mut self, buf: &[u8]) -> Result<()> {
        if let Some(file) = self.file.as_mut() {
            file.write_all(buf).context("write", &self.tmp_path)?;
            self.count(buf);
        }
        Ok(())
    }

    fn count(&mut self, buf: &[u8]) {
        let (lfs, last_cr) = bare_lfs(buf, self.last_cr);
        if !buf.is_empty() {
            self.last_cr = last_cr;
        }
        self.size += buf.len() as u64;
        self.vsize += buf.len() as u64 + lfs;
    }

    fn io_error(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.tmp_path.display()))
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .context("open", dir)?
        .sync_all()
        .context("fsync", dir)
}

/// Counts LFs in `buf` not preceded by CR (`last_cr`: whether the byte
/// before `buf` was CR). Returns the count and whether `buf` ends in CR.
fn bare_lfs(buf: &[u8], mut last_cr: bool) -> (u64, bool) {
    let mut n = 0;
    for &b in buf {
        n += u64::from(b == b'\n' && !last_cr);
        last_cr = b == b'\r';
    }
    (n, last_cr)
}

impl Write for Delivery<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("delivery already finished"));
        };
        let n = match file.write(buf) {
            Ok(n) => n,
            Err(e) => return Err(self.io_error(e)),
        };
        self.synced = false;
        self.count(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush().map_err(|e| self.io_error(e)),
            None => Ok(()),
        }
    }
}

impl Drop for Delivery<'_> {
    fn drop(&mut self) {
        if self.tmp_path.as_os_str().is_empty() {
            return;
        }
        // Close first, then unlink; errors cannot be reported from drop.
        self.file = None;
        let _ = fs::remove_file(&self.tmp_path);
    }
}

#[cfg(test)]
mod tests {
    use super::bare_lfs;

    #[test]
    fn bare_lf_counting_across_chunks() {
        assert_eq!(bare_lfs(b"a\nb\r\nc\n", false), (2, false));
        assert_eq!(bare_lfs(b"\n", true), (0, false));
        assert_eq!(bare_lfs(b"x\r", false), (0, true));
        assert_eq!(bare_lfs(b"", true), (0, true));
    }
}
