//! Dovecot's lock-file ("dotlock") convention, as used for `dovecot-uidlist`
//! and `dovecot-keywords`.
//!
//! To lock `FILE`, a process creates `FILE.lock` exclusively
//! (`O_CREAT|O_EXCL`). Whoever holds the lock may write the new content of
//! `FILE` into the lock file itself and then rename the lock over `FILE`:
//! the rename publishes the new content and releases the lock in one atomic
//! step ([`DotLock::commit`]). Unlinking the lock file releases it without a
//! change ([`DotLock::rollback`], also done on drop).
//!
//! A lock whose modification time is older than
//! [`DotLockOptions::stale_timeout`] is considered abandoned and is broken
//! (removed). A holder that works for a long time keeps its lock fresh with
//! [`DotLock::touch`].
//!
//! Limits: unlike Dovecot, the lock file carries no `pid:host` content, so a
//! lock left by a crashed process is only broken once it is stale. Breaking
//! a stale lock is racy in the same way as in Dovecot: two processes that
//! both find the same stale lock may both remove a lock file.
//!
//! ```
//! use maildir::dotlock::{DotLock, DotLockOptions};
//! use std::io::Write;
//! # let dir = std::env::temp_dir().join(format!("dotlock-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let target = dir.join("dovecot-keywords");
//! let mut lock = DotLock::acquire(&target, &DotLockOptions::default())?;
//! lock.file().write_all(b"0 $Junk\n").unwrap();
//! lock.commit()?;
//! assert_eq!(std::fs::read(&target).unwrap(), b"0 $Junk\n");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, IoContext, Result};

/// How long to wait for a lock and when to consider one abandoned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DotLockOptions {
    /// Give up with [`Error::Locked`] after waiting this long.
    pub timeout: Duration,
    /// A lock file not modified for this long is removed and the lock taken.
    pub stale_timeout: Duration,
    /// Pause between two attempts.
    pub retry_interval: Duration,
}

impl DotLockOptions {
    /// Dovecot's settings for `dovecot-uidlist`: stale after 2 minutes,
    /// wait up to 2 minutes and 2 seconds.
    pub const UIDLIST: DotLockOptions = DotLockOptions {
        timeout: Duration::from_secs(122),
        stale_timeout: Duration::from_secs(120),
        retry_interval: Duration::from_millis(50),
    };

    /// Options with the given wait and stale timeouts (retrying every 50 ms,
    /// or more often if `timeout` is shorter).
    pub fn new(timeout: Duration, stale_timeout: Duration) -> Self {
        DotLockOptions {
            timeout,
            stale_timeout,
            retry_interval: Duration::from_millis(50)
                .min(timeout / 4)
                .max(Duration::from_millis(1)),
        }
    }
}

impl Default for DotLockOptions {
    /// [`DotLockOptions::UIDLIST`].
    fn default() -> Self {
        DotLockOptions::UIDLIST
    }
}

/// A held `<target>.lock` file. Dropping it without [`commit`](Self::commit)
/// removes the lock file.
#[derive(Debug)]
pub struct DotLock {
    target: PathBuf,
    lock_path: PathBuf,
    file: File,
    released: bool,
}

/// `<target>.lock`.
pub fn lock_path_for(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl DotLock {
    /// Creates `<target>.lock` exclusively, waiting up to
    /// `options.timeout` while another process holds it and breaking it if
    /// it is older than `options.stale_timeout`.
    ///
    /// Fails with [`Error::Locked`] on timeout and [`Error::Io`] when the
    /// lock cannot be created for another reason (missing directory,
    /// permissions).
    pub fn acquire(target: impl AsRef<Path>, options: &DotLockOptions) -> Result<DotLock> {
        let target = target.as_ref().to_path_buf();
        let lock_path = lock_path_for(&target);
        let deadline = Instant::now() + options.timeout;
        loop {
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&lock_path)
            {
                Ok(file) => {
                    return Ok(DotLock {
                        target,
                        lock_path,
                        file,
                        released: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("create", lock_path, e)),
            }
            if is_stale(&lock_path, options.stale_timeout)? {
                match fs::remove_file(&lock_path) {
                    Ok(()) => continue,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(Error::io("unlink stale", lock_path, e)),
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Locked { path: lock_path });
            }
            std::thread::sleep(options.retry_interval.min(deadline - now));
        }
    }

    /// The file being locked.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The lock file, `<target>.lock`.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The open lock file, empty when acquired: write the new content of
    /// the target here, then [`commit`](Self::commit).
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Refreshes the lock's modification time so that others do not
    /// consider it stale.
    pub fn touch(&self) -> Result<()> {
        self.file
            .set_modified(SystemTime::now())
            .context("utime", &self.lock_path)
    }

    /// Flushes the lock file to disk and renames it over the target,
    /// which publishes the new content and releases the lock.
    pub fn commit(mut self) -> Result<()> {
        self.file.sync_all().context("fsync", &self.lock_path)?;
        fs::rename(&self.lock_path, &self.target).context("rename", &self.lock_path)?;
        self.released = true;
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // Make the rename durable; directories cannot be fsynced on
            // every platform, so a failure to open one is not an error.
            if let Ok(d) = File::open(dir) {
                d.sync_all().context("fsync", dir)?;
            }
        }
        Ok(())
    }

    /// Removes the lock file, leaving the target unchanged.
    pub fn rollback(mut self) -> Result<()> {
        self.released = true;
        fs::remove_file(&self.lock_path).context("unlink", &self.lock_path)
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        if !self.released {
            let _ = fs::remove_file(&self.lock_path);
        }
    }
}

/// Whether the lock file exists and was last modified more than `stale`
/// ago. A lock that vanished meanwhile is not stale (the caller retries).
fn is_stale(lock_path: &Path, stale: Duration) -> Result<bool> {
    let meta = match fs::metadata(lock_path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("stat", lock_path, e)),
    };
    let mtime = meta.modified().context("stat", lock_path)?;
    Ok(SystemTime::now()
        .duration_since(mtime)
        .is_ok_and(|age| age > stale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mailwright-dotlock-{}-{}",
            name,
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn commit_replaces_target_and_releases() {
        let dir = scratch("commit");
        let target = dir.join("file");
        fs::write(&target, b"old").unwrap();
        let mut lock = DotLock::acquire(&target, &DotLockOptions::default()).unwrap();
        assert_eq!(lock.lock_path(), dir.join("file.lock"));
        lock.file().write_all(b"new").unwrap();
        lock.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert!(!dir.join("file.lock").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rollback_and_drop_unlink() {
        let dir = scratch("rollback");
        let target = dir.join("file");
        fs::write(&target, b"old").unwrap();
        let mut lock = DotLock::acquire(&target, &DotLockOptions::default()).unwrap();
        lock.file().write_all(b"new").unwrap();
        lock.rollback().unwrap();
        assert!(!dir.join("file.lock").exists());
        {
            let _lock = DotLock::acquire(&target, &DotLockOptions::default()).unwrap();
            assert!(dir.join("file.lock").exists());
        }
        assert!(!dir.join("file.lock").exists());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn held_lock_times_out() {
        let dir = scratch("timeout");
        let target = dir.join("file");
        let _held = DotLock::acquire(&target, &DotLockOptions::default()).unwrap();
        let opts = DotLockOptions::new(Duration::from_millis(100), Duration::from_secs(120));
        let start = Instant::now();
        match DotLock::acquire(&target, &opts) {
            Err(Error::Locked { path }) => assert_eq!(path, dir.join("file.lock")),
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(start.elapsed() >= Duration::from_millis(100));
        drop(_held);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_lock_is_broken() {
        let dir = scratch("stale");
        let target = dir.join("file");
        let stale = File::create(dir.join("file.lock")).unwrap();
        stale
            .set_modified(SystemTime::now() - Duration::from_secs(121))
            .unwrap();
        drop(stale);
        let opts = DotLockOptions::new(Duration::from_millis(200), Duration::from_secs(120));
        let lock = DotLock::acquire(&target, &opts).unwrap();
        lock.rollback().unwrap();

        // A fresh lock is not broken; touching keeps an old one fresh.
        let old = DotLock::acquire(&target, &opts).unwrap();
        old.file
            .set_modified(SystemTime::now() - Duration::from_secs(121))
            .unwrap();
        old.touch().unwrap();
        assert!(matches!(
            DotLock::acquire(&target, &opts),
            Err(Error::Locked { .. })
        ));
        drop(old);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_directory_is_io_error() {
        let dir = scratch("missing");
        let target = dir.join("nope").join("file");
        assert!(matches!(
            DotLock::acquire(&target, &DotLockOptions::default()),
            Err(Error::Io { op: "create", .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_threads_serialise_read_modify_write() {
        let dir = scratch("threads");
        let target = Arc::new(dir.join("counter"));
        fs::write(&*target, b"0").unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (target, barrier, inside) = (target.clone(), barrier.clone(), inside.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..25 {
                        let opts =
                            DotLockOptions::new(Duration::from_secs(30), Duration::from_secs(120));
                        let mut lock = DotLock::acquire(&*target, &opts).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        let mut s = String::new();
                        File::open(&*target)
                            .unwrap()
                            .read_to_string(&mut s)
                            .unwrap();
                        let n: u32 = s.parse().unwrap();
                        std::thread::yield_now();
                        write!(lock.file(), "{}", n + 1).unwrap();
                        inside.fetch_sub(1, Ordering::SeqCst);
                        lock.commit().unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(fs::read_to_string(&*target).unwrap(), "50");
        fs::remove_dir_all(&dir).unwrap();
    }
}
