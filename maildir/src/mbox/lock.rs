//! mbox locking as mutt, Dovecot and Postfix's local(8) do it: a dotlock
//! (`FILE.lock`), an `fcntl` record lock and an `flock` lock, all three
//! held while the file is written.
//!
//! Every lock is tried without blocking and retried until
//! [`Locking::timeout`], so two programs taking the locks in different
//! orders cannot deadlock; whoever gives up releases what it holds.
//!
//! The `fcntl` lock belongs to the process, not to the open file: closing
//! *any* descriptor of the file in this process releases it (POSIX). Keep
//! one [`LockedMbox`](super::LockedMbox) per file and process, and do not
//! open the file elsewhere in the process while it is held. The `flock`
//! lock and the dotlock still exclude a second handle in the same process.
//!
//! On NFS, Linux emulates `flock` with `fcntl` locks; there take
//! `flock: false`, or the two locks of one handle conflict.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, fcntl_lock};

use crate::dotlock::{DotLock, DotLockOptions};
use crate::error::{Error, Result};

/// Which locks to take on an mbox file, and how long to wait for them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Locking {
    /// Take `FILE.lock` (with these wait and staleness rules) for writing.
    /// `None` when the directory is not writable for us (a shared
    /// `/var/mail` without a setgid helper).
    pub dotlock: Option<DotLockOptions>,
    /// Take an `fcntl` (POSIX record) lock on the whole file.
    pub fcntl: bool,
    /// Take an `flock` lock.
    pub flock: bool,
    /// Give up with [`Error::Locked`] after waiting this long for the
    /// `fcntl` or `flock` lock.
    pub timeout: Duration,
}

impl Locking {
    /// Dovecot's defaults for writing: dotlock (stale after 2 minutes),
    /// `fcntl` and `flock`, waiting up to 5 minutes for each.
    pub const DEFAULT: Locking = Locking {
        dotlock: Some(DotLockOptions {
            timeout: Duration::from_secs(300),
            stale_timeout: Duration::from_secs(120),
            retry_interval: Duration::from_millis(50),
        }),
        fcntl: true,
        flock: true,
        timeout: Duration::from_secs(300),
    };

    /// All three locks, waiting up to `timeout` for each (a dotlock is
    /// stale after 2 minutes).
    pub fn with_timeout(timeout: Duration) -> Locking {
        Locking {
            dotlock: Some(DotLockOptions::new(timeout, Duration::from_secs(120))),
            timeout,
            ..Locking::DEFAULT
        }
    }

    /// No locking at all: for files nobody else can see.
    pub fn none() -> Locking {
        Locking {
            dotlock: None,
            fcntl: false,
            flock: false,
            timeout: Duration::ZERO,
        }
    }
}

impl Default for Locking {
    /// [`Locking::DEFAULT`].
    fn default() -> Self {
        Locking::DEFAULT
    }
}

/// Exclusive for writers, shared for readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Shared,
    Exclusive,
}

/// Takes the dotlock of `path`, if `locking` asks for one.
pub(crate) fn dotlock(path: &Path, locking: &Locking) -> Result<Option<DotLock>> {
    locking
        .dotlock
        .as_ref()
        .map(|options| DotLock::acquire(path, options))
        .transpose()
}

/// Takes the kernel locks (`fcntl`, then `flock`) on `file`, retrying
/// until `locking.timeout`. Nothing is held when this fails.
pub(crate) fn lock_file(file: &File, path: &Path, mode: Mode, locking: &Locking) -> Result<()> {
    let deadline = Instant::now() + locking.timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match try_lock(file, mode, locking) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(Error::io("lock", path, e)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Locked {
                path: path.to_path_buf(),
            });
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// One attempt at both kernel locks; `Ok(false)` when someone holds one
/// (and then neither is held).
fn try_lock(file: &File, mode: Mode, locking: &Locking) -> io::Result<bool> {
    if locking.fcntl {
        let op = match mode {
            Mode::Shared => FlockOperation::NonBlockingLockShared,
            Mode::Exclusive => FlockOperation::NonBlockingLockExclusive,
        };
        match fcntl_lock(file, op) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::ACCESS => {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if locking.flock {
        let attempt = match mode {
            Mode::Shared => file.try_lock_shared(),
            Mode::Exclusive => file.try_lock(),
        };
        match attempt {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                unlock_file(file, locking);
                return Ok(false);
            }
            Err(TryLockError::Error(e)) => {
                unlock_file(file, locking);
                return Err(e);
            }
        }
    }
    Ok(true)
}

/// Releases the kernel locks (closing the file would too).
pub(crate) fn unlock_file(file: &File, locking: &Locking) {
    if locking.fcntl {
        let _ = fcntl_lock(file, FlockOperation::NonBlockingUnlock);
    }
    if locking.flock {
        let _ = file.unlock();
    }
}
