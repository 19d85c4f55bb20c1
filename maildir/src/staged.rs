//! Messages staged in a Maildir's `tmp/` that own their file, and the
//! files a [`Folder::import`](crate::folder::Folder::import) places into a
//! folder.
//!
//! A [`Delivery`](crate::delivery::Delivery) borrows its
//! [`Maildir`] and commits into that Maildir only. A [`StagedFile`] owns
//! everything it needs (`'static`, `Send`, `Sync`): it can be written in
//! one task, kept while a server waits for the end of a transaction, and
//! then renamed into any folder of the same file system by
//! [`Folder::import`](crate::folder::Folder::import). Dropping it removes
//! its `tmp/` file.
//!
//! ```
//! use std::io::Write;
//! use maildir::delivery::Maildir;
//! use maildir::folder::Folder;
//! use maildir::name::Flags;
//! use maildir::staged::{Import, StagedFile};
//! # let dir = std::env::temp_dir().join(format!("mw-staged-doc-{}", std::process::id()));
//! let md = Maildir::create(&dir)?;
//! let mut staged = StagedFile::create(&md)?;
//! staged.write_all(b"Subject: hi\n\nhello\n").unwrap();
//! staged.finish()?;
//! assert_eq!((staged.size(), staged.vsize()), (19, 22));
//!
//! let mut folder = Folder::open(&md)?;
//! let placed = folder.import(vec![Import::staged(staged, Flags::new())])?;
//! assert_eq!(placed[0].0, 1);
//! assert!(md.cur_dir().join(&placed[0].1).is_file());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::delivery::{Delivered, Maildir};
use crate::error::{Error, IoContext, Result};
use crate::name::{Flags, MessageName, unique_name};

/// A message written into a `tmp/` directory, owning its file; implements
/// [`Write`]. See the [module documentation](self).
#[derive(Debug)]
pub struct StagedFile {
    file: Option<BufWriter<File>>,
    unique: String,
    tmp_path: PathBuf,
    size: u64,
    vsize: u64,
    last_cr: bool,
    synced: bool,
}

impl StagedFile {
    /// Creates a new uniquely named file in `maildir`'s `tmp/`. (No quota
    /// check: the caller decides where the message goes and checks then.)
    pub fn create(maildir: &Maildir) -> Result<StagedFile> {
        StagedFile::create_in(maildir.tmp_dir())
    }

    /// Creates a new uniquely named file (mode 0600) in the directory
    /// `tmp_dir`, which should be the `tmp/` of a Maildir on the file
    /// system of the folders the message will go to.
    pub fn create_in(tmp_dir: &Path) -> Result<StagedFile> {
        let mut attempts = 0;
        loop {
            let unique = unique_name();
            let tmp_path = tmp_dir.join(&unique);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp_path)
            {
                Ok(file) => {
                    return Ok(StagedFile {
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

    /// The unique part of the name the message will get.
    pub fn unique(&self) -> &str {
        &self.unique
    }

    /// The file in `tmp/`.
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

    /// Flushes and fsyncs what was written: the message is on stable
    /// storage (in `tmp/`). More may still be written afterwards.
    pub fn finish(&mut self) -> Result<()> {
        if self.synced {
            return Ok(());
        }
        if let Some(writer) = self.file.as_mut() {
            writer.flush().context("write", &self.tmp_path)?;
            writer
                .get_ref()
                .sync_all()
                .context("fsync", &self.tmp_path)?;
        }
        self.synced = true;
        Ok(())
    }

    /// Sets the file's modification time (which Dovecot, and
    /// [`Folder::import`](crate::folder::Folder::import)'s callers, use
    /// as IMAP INTERNALDATE).
    pub fn set_modified(&mut self, time: SystemTime) -> Result<()> {
        self.finish()?;
        match self.file.as_ref() {
            Some(writer) => writer
                .get_ref()
                .set_modified(time)
                .context("utime", &self.tmp_path),
            None => Ok(()),
        }
    }

    /// Removes the file, reporting a failure to do so (dropping ignores
    /// it).
    pub fn discard(mut self) -> Result<()> {
        self.file = None;
        let path = std::mem::take(&mut self.tmp_path);
        fs::remove_file(&path).context("unlink", path)
    }

    /// Closes the file and hands its path over: from now on the caller
    /// owns the `tmp/` file (nothing is removed on drop).
    pub(crate) fn take_path(mut self) -> Result<PathBuf> {
        self.finish()?;
        self.file = None;
        Ok(std::mem::take(&mut self.tmp_path))
    }
}

impl StagedFile {
    /// Delivers the message into `maildir` without giving it a UID (final
    /// delivery: the next scan of the folder lists it): into `new/` as
    /// `<unique>,S=<size>,W=<vsize>` when `flags` is `None`, else into
    /// `cur/` with `:2,<flags>`. With the Maildir's quota, the delivery is
    /// checked against it before the rename (failing with
    /// [`Error::OverQuota`], the file removed) and its size added after.
    pub fn deliver_into(self, maildir: &Maildir, flags: Option<&Flags>) -> Result<Delivered> {
        self.place_into(maildir, flags)?.sync(maildir)
    }

    /// [`deliver_into`](Self::deliver_into) up to the rename: the file is
    /// fsynced and in `new/` or `cur/`, but the rename is durable only
    /// after [`Placed::sync`]. Lets a caller hold a lock across the rename
    /// and not across the directory's `fsync`.
    pub fn place_into(mut self, maildir: &Maildir, flags: Option<&Flags>) -> Result<Placed> {
        // The file's own fsync first, before any quota or rename work.
        self.finish()?;
        let (unique, size, vsize) = (self.unique.clone(), self.size, self.vsize);
        if let Some(quota) = maildir.quota() {
            quota.check(size, 1)?;
        }
        let (dir, name) = match flags {
            None => (maildir.new_dir(), format!("{unique},S={size},W={vsize}")),
            Some(flags) => (
                maildir.cur_dir(),
                format!("{unique},S={size},W={vsize}:2,{flags}"),
            ),
        };
        let path = dir.join(&name);
        let tmp = self.take_path()?;
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io("rename", tmp, e));
        }
        if let Some(quota) = maildir.quota() {
            // Delivered whatever happens here; recalculation corrects a
            // lost delta.
            let _ = quota.add(i64::try_from(size).unwrap_or(i64::MAX), 1);
        }
        Ok(Placed {
            delivered: Delivered {
                name: MessageName::parse(&name)?,
                path,
                size,
                vsize,
            },
            dir: dir.to_path_buf(),
        })
    }
}

/// A message renamed into its Maildir directory, not yet durable there:
/// see [`StagedFile::place_into`].
#[derive(Debug)]
#[must_use = "the rename is not durable until `sync`"]
pub struct Placed {
    delivered: Delivered,
    dir: PathBuf,
}

impl Placed {
    /// Makes the rename durable (the directory's `fsync`, shared with
    /// concurrent deliveries when `maildir` has its syncs).
    pub fn sync(self, maildir: &Maildir) -> Result<Delivered> {
        maildir.sync_dir(&self.dir)?;
        Ok(self.delivered)
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("staged message already handed over"));
        };
        let n = file
            .write(buf)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.tmp_path.display())))?;
        let (lfs, last_cr) = bare_lfs(&buf[..n], self.last_cr);
        if n > 0 {
            self.last_cr = last_cr;
        }
        self.size += n as u64;
        self.vsize += n as u64 + lfs;
        self.synced = false;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
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

impl Drop for StagedFile {
    fn drop(&mut self) {
        if self.tmp_path.as_os_str().is_empty() {
            return;
        }
        self.file = None;
        let _ = fs::remove_file(&self.tmp_path);
    }
}

/// Where an imported message comes from.
#[derive(Debug)]
pub(crate) enum Source {
    /// A staged file, renamed into place.
    Staged(StagedFile),
    /// An existing message file (of any folder on the same file system),
    /// hard-linked into place, or copied if a link cannot be made.
    Link(PathBuf),
}

/// One message for [`Folder::import`](crate::folder::Folder::import): where
/// it comes from and the flags (and keyword letters) it gets.
#[derive(Debug)]
pub struct Import {
    pub(crate) source: Source,
    pub(crate) flags: Flags,
}

impl Import {
    /// A staged message, renamed into the folder's `cur/` (it should be
    /// [`finish`](StagedFile::finish)ed; import does it otherwise).
    pub fn staged(file: StagedFile, flags: Flags) -> Import {
        Import {
            source: Source::Staged(file),
            flags,
        }
    }

    /// A copy of the message file at `path` (IMAP COPY): a hard link under
    /// a new name, or, where links are not possible, a copy that keeps the
    /// file's modification time.
    pub fn link(path: impl Into<PathBuf>, flags: Flags) -> Import {
        Import {
            source: Source::Link(path.into()),
            flags,
        }
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
