//! An mbox file on disk: locked reading, appending and expunging.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::lock::{self, Locking, Mode};
use super::{Envelope, Format, MboxReader, MboxWriter, Message, MessageInfo};
use crate::dotlock::DotLock;
use crate::error::{Error, IoContext, Result};

/// Mode of an mbox file this crate creates: the owner's alone, as
/// local(8) and Dovecot create `/var/mail/USER`.
const NEW_FILE_MODE: u32 = 0o600;
/// A long expunge refreshes its dotlock this often, so that nobody breaks
/// it as stale.
const TOUCH_INTERVAL: Duration = Duration::from_secs(10);

/// An mbox file (say `/var/mail/alice`), its format and how to lock it.
///
/// ```
/// use maildir::mbox::{Envelope, Format, Mbox};
/// # let dir = std::env::temp_dir().join(format!("mw-mbox-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let mbox = Mbox::new(dir.join("alice"), Format::Mboxrd);
/// let from = Envelope::new(b"bob@example.org", b"Thu Jan  1 00:00:00 1970");
/// mbox.append(&from, b"Subject: one\n\n1\n")?;
/// mbox.append(&from, b"Subject: two\n\nFrom the start\n")?;
///
/// let mut locked = mbox.lock()?;
/// assert_eq!(locked.messages()?.len(), 2);
/// locked.expunge(&[0])?; // rewrites through a temporary file and rename
/// drop(locked);
///
/// let left = mbox.read_all()?;
/// assert_eq!(left.len(), 1);
/// assert_eq!(left[0].data, b"Subject: two\n\nFrom the start\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), maildir::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mbox {
    path: PathBuf,
    format: Format,
    locking: Locking,
}

impl Mbox {
    /// The mbox at `path`, in `format`, with [`Locking::DEFAULT`].
    pub fn new(path: impl Into<PathBuf>, format: Format) -> Mbox {
        Mbox {
            path: path.into(),
            format,
            locking: Locking::DEFAULT,
        }
    }

    /// Uses `locking` instead of the default.
    pub fn with_locking(mut self, locking: Locking) -> Mbox {
        self.locking = locking;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The locks taken.
    pub fn locking(&self) -> &Locking {
        &self.locking
    }

    /// Takes the write locks (dotlock, `fcntl`, `flock`), creating an empty
    /// file (mode 0600) if there is none. The locks are held until the
    /// [`LockedMbox`] is dropped.
    ///
    /// Fails with [`Error::Locked`] when another process holds a lock past
    /// the timeout.
    pub fn lock(&self) -> Result<LockedMbox> {
        loop {
            let dotlock = lock::dotlock(&self.path, &self.locking)?;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(NEW_FILE_MODE)
                .open(&self.path)
                .context("open", &self.path)?;
            lock::lock_file(&file, &self.path, Mode::Exclusive, &self.locking)?;
            if self.still_at_path(&file)? {
                return Ok(LockedMbox {
                    mbox: self.clone(),
                    file,
                    dotlock,
                });
            }
            // An expunge replaced the file while we waited: lock the new one.
        }
    }

    /// Whether `file` is still the file at the path (an expunge by another
    /// process renames a new file over it).
    fn still_at_path(&self, file: &File) -> Result<bool> {
        let ours = file.metadata().context("stat", &self.path)?;
        match fs::metadata(&self.path) {
            Ok(now) => Ok(now.dev() == ours.dev() && now.ino() == ours.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("stat", &self.path, e)),
        }
    }

    /// Reads every message under a shared lock (`fcntl` and `flock`, as
    /// Dovecot reads). A missing file is an empty mailbox.
    pub fn read_all(&self) -> Result<Vec<Message>> {
        loop {
            let file = match File::open(&self.path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(Error::io("open", &self.path, e)),
            };
            lock::lock_file(&file, &self.path, Mode::Shared, &self.locking)?;
            if self.still_at_path(&file)? {
                return read_messages(&file, &self.path, self.format);
            }
        }
    }

    /// Appends one message under the write locks and makes it durable
    /// before returning; see [`LockedMbox::append`].
    pub fn append(&self, envelope: &Envelope, data: &[u8]) -> Result<()> {
        self.lock()?.append(envelope, data)
    }
}

/// An mbox file held under its write locks; dropping it releases them.
#[derive(Debug)]
pub struct LockedMbox {
    mbox: Mbox,
    file: File,
    dotlock: Option<DotLock>,
}

impl LockedMbox {
    /// The mailbox.
    pub fn mbox(&self) -> &Mbox {
        &self.mbox
    }

    /// The file's length in bytes.
    pub fn len(&self) -> Result<u64> {
        Ok(self.file.metadata().context("stat", &self.mbox.path)?.len())
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// A streaming reader over the whole file.
    pub fn reader(&mut self) -> Result<MboxReader<BufReader<&File>>> {
        let path = &self.mbox.path;
        (&self.file).rewind().context("seek", path)?;
        Ok(MboxReader::new(BufReader::new(&self.file), self.mbox.format).with_path(path))
    }

    /// The separator, offset and declared length of every message, in file
    /// order (the indices [`expunge`](Self::expunge) takes).
    pub fn messages(&mut self) -> Result<Vec<MessageInfo>> {
        let mut reader = self.reader()?;
        let mut infos = Vec::new();
        while let Some(info) = reader.next_message()? {
            infos.push(info);
        }
        Ok(infos)
    }

    /// Reads every message into memory.
    pub fn read_all(&mut self) -> Result<Vec<Message>> {
        read_messages(&self.file, &self.mbox.path, self.mbox.format)
    }

    /// Appends one message and makes it durable (`fsync`) before
    /// returning. On failure the file is cut back to its old length, so a
    /// failed append leaves nothing behind.
    pub fn append(&mut self, envelope: &Envelope, data: &[u8]) -> Result<()> {
        let mut append = self.begin_append(envelope)?;
        append
            .write_all(data)
            .map_err(|e| Error::io("write", append.path.to_path_buf(), e))?;
        append.commit()
    }

    /// Starts appending a message whose bytes are then written through the
    /// returned [`Append`] (`std::io::Write`), for delivery as bytes
    /// arrive. Nothing is kept unless [`Append::commit`] is called.
    pub fn begin_append(&mut self, envelope: &Envelope) -> Result<Append<'_>> {
        let path = &self.mbox.path;
        let start = self.len()?;
        // The new separator must follow an empty line.
        let mut tail = [0u8; 2];
        let have = start.min(2) as usize;
        self.file
            .read_exact_at(&mut tail[..have], start - have as u64)
            .context("read", path)?;
        let gap: &[u8] = match &tail[..have] {
            [] | [b'\n', b'\n'] => b"",
            [.., b'\n'] => b"\n",
            _ => b"\n\n",
        };
        (&self.file).seek(SeekFrom::End(0)).context("seek", path)?;
        let mut out = BufWriter::new(&self.file);
        let mut append = Append {
            writer: None,
            file: &self.file,
            path,
            start,
        };
        out.write_all(gap).context("write", path)?;
        let mut writer = MboxWriter::new(out, self.mbox.format).with_path(path);
        writer.begin_message(envelope)?;
        append.writer = Some(writer);
        Ok(append)
    }

    /// Removes the messages at these indices (positions in
    /// [`messages`](Self::messages); duplicates are ignored) and returns
    /// how many were removed.
    ///
    /// The kept messages are copied byte for byte into a temporary file
    /// beside the mailbox (`.NAME.expunge`), which is synced, given the
    /// mailbox's owner and mode, locked, and renamed over the mailbox: a
    /// crash at any point leaves either the old or the new mailbox, whole.
    /// The locks stay held, now on the new file.
    pub fn expunge(&mut self, indices: &[usize]) -> Result<usize> {
        let infos = self.messages()?;
        let mut remove = vec![false; infos.len()];
        for &i in indices {
            let slot = remove.get_mut(i).ok_or_else(|| Error::NotFound {
                path: self.mbox.path.clone(),
                what: format!("message {i}"),
            })?;
            *slot = true;
        }
        let removed = remove.iter().filter(|&&r| r).count();
        if removed == 0 {
            return Ok(0);
        }
        let path = self.mbox.path.clone();
        let meta = self.file.metadata().context("stat", &path)?;
        let tmp_path = temp_path(&path);
        let tmp = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(NEW_FILE_MODE)
            .open(&tmp_path)
            .context("create", &tmp_path)?;
        let published = self.write_kept(&infos, &remove, meta.len(), &tmp, &tmp_path);
        let published = published.and_then(|()| {
            // Same owner and mode as the mailbox; a non-root process
            // cannot chown and keeps its own uid, which is then the owner.
            let _ = std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()));
            tmp.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
                .context("chmod", &tmp_path)?;
            tmp.sync_all().context("fsync", &tmp_path)?;
            lock::lock_file(&tmp, &tmp_path, Mode::Exclusive, &self.mbox.locking)?;
            fs::rename(&tmp_path, &path).context("rename", &tmp_path)
        });
        if let Err(e) = published {
            let _ = fs::remove_file(&tmp_path);
            return Err(e);
        }
        sync_parent(&path)?;
        // Closing the old file releases its locks; the new one is locked.
        self.file = tmp;
        Ok(removed)
    }

    /// Copies the messages not marked in `remove` into `tmp`.
    fn write_kept(
        &self,
        infos: &[MessageInfo],
        remove: &[bool],
        end: u64,
        tmp: &File,
        tmp_path: &Path,
    ) -> Result<()> {
        let path = &self.mbox.path;
        let mut out = BufWriter::with_capacity(64 * 1024, tmp);
        let mut buf = vec![0u8; 64 * 1024];
        let mut touched = Instant::now();
        for (i, info) in infos.iter().enumerate() {
            if remove[i] {
                continue;
            }
            let next = infos.get(i + 1).map_or(end, |n| n.offset);
            let mut at = info.offset;
            while at < next {
                let want = usize::try_from(next - at).map_or(buf.len(), |n| n.min(buf.len()));
                let got = match self.file.read_at(&mut buf[..want], at) {
                    Ok(0) => {
                        let e = io::Error::new(io::ErrorKind::UnexpectedEof, "mbox shrank");
                        return Err(Error::io("read", path, e));
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io("read", path, e)),
                };
                out.write_all(&buf[..got]).context("write", tmp_path)?;
                at += got as u64;
            }
            if let Some(dotlock) = &self.dotlock
                && touched.elapsed() >= TOUCH_INTERVAL
            {
                dotlock.touch()?;
                touched = Instant::now();
            }
        }
        out.flush().context("write", tmp_path)
    }

    /// Releases the locks (as dropping does), reporting a failure to
    /// remove the dotlock.
    pub fn unlock(mut self) -> Result<()> {
        lock::unlock_file(&self.file, &self.mbox.locking);
        match self.dotlock.take() {
            Some(dotlock) => dotlock.rollback(),
            None => Ok(()),
        }
    }
}

impl Drop for LockedMbox {
    fn drop(&mut self) {
        // Kernel locks go before the dotlock, so that a process that
        // finds the dotlock gone finds the file free too.
        lock::unlock_file(&self.file, &self.mbox.locking);
    }
}

/// A message being appended; see [`LockedMbox::begin_append`]. Dropping
/// it without [`commit`](Self::commit) cuts the file back.
#[derive(Debug)]
pub struct Append<'a> {
    writer: Option<MboxWriter<BufWriter<&'a File>>>,
    file: &'a File,
    path: &'a Path,
    start: u64,
}

impl Append<'_> {
    /// Ends the message and makes it durable; on failure the file is cut
    /// back to where it was.
    pub fn commit(mut self) -> Result<()> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        let done = writer.finish().and_then(|out| {
            out.into_inner()
                .map_err(|e| Error::io("write", self.path, e.into_error()))?
                .sync_data()
                .context("fsync", self.path)
        });
        if done.is_err() {
            self.cut_back();
        }
        done
    }

    /// Drops the message, cutting the file back to where it was.
    pub fn abort(mut self) -> Result<()> {
        self.writer = None;
        self.file
            .set_len(self.start)
            .context("truncate", self.path)?;
        self.file.sync_data().context("fsync", self.path)
    }

    fn cut_back(&mut self) {
        self.writer = None;
        let _ = self.file.set_len(self.start);
        let _ = self.file.sync_data();
    }
}

impl Write for Append<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.writer {
            Some(writer) => writer.write(buf),
            None => Err(io::Error::other("append already ended")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.writer {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Append<'_> {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.cut_back();
        }
    }
}

/// Reads all messages of `file` from its start.
fn read_messages(file: &File, path: &Path, format: Format) -> Result<Vec<Message>> {
    let mut file = file;
    file.rewind().context("seek", path)?;
    super::collect(MboxReader::new(BufReader::new(file), format).with_path(path))
}

/// `.NAME.expunge` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_os_string());
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(".expunge");
    path.with_file_name(tmp)
}

/// Makes a rename in `path`'s directory durable.
fn sync_parent(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .context("fsync", dir)
}
