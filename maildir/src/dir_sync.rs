//! Making renames into a directory durable with as few `fsync`s as the
//! load allows: callers that arrive while an `fsync` of the directory runs
//! share the next one (group commit).

use std::fs::File;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::error::{IoContext, Result};

/// One directory's `fsync`, shared by concurrent callers.
///
/// [`sync`](DirSync::sync) returns once an `fsync` of the directory that
/// *started after the call* has succeeded, so everything renamed into the
/// directory before the call is on disk. While one caller's `fsync` runs,
/// later callers wait and then one `fsync` serves them all: under load a
/// directory costs one `fsync` per batch instead of one per message.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("dir-sync-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use maildir::dir_sync::DirSync;
/// let sync = DirSync::new();
/// sync.sync(&dir)?;
/// assert_eq!(sync.fsyncs(), 1);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), maildir::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct DirSync {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Tickets handed out: one per call.
    issued: u64,
    /// Every ticket up to this one is covered by a finished `fsync`.
    covered: u64,
    /// An `fsync` is running.
    running: bool,
    /// `fsync`s done, for tests and statistics.
    fsyncs: u64,
}

impl DirSync {
    /// A directory nobody has synced yet.
    pub fn new() -> DirSync {
        DirSync::default()
    }

    /// Makes what was renamed into `dir` before this call durable.
    pub fn sync(&self, dir: &Path) -> Result<()> {
        let mut state = self.lock();
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.covered >= ticket {
                return Ok(());
            }
            if state.running {
                state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // This caller syncs for everyone holding a ticket so far.
            state.running = true;
            let covers = state.issued;
            drop(state);
            let result = File::open(dir)
                .context("open", dir)
                .and_then(|d| d.sync_all().context("fsync", dir));
            state = self.lock();
            state.running = false;
            state.fsyncs += 1;
            if result.is_ok() {
                state.covered = state.covered.max(covers);
            }
            self.done.notify_all();
            // A failure is this caller's; a waiter tries again itself.
            result?;
        }
    }

    /// How many `fsync`s have run.
    pub fn fsyncs(&self) -> u64 {
        self.lock().fsyncs
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn concurrent_callers_share_fsyncs_and_all_return() {
        let dir = std::env::temp_dir().join(format!("dir-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sync = Arc::new(DirSync::new());
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (sync, dir) = (Arc::clone(&sync), dir.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        sync.sync(&dir).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let fsyncs = sync.fsyncs();
        assert!((1..=320).contains(&fsyncs), "{fsyncs}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_fsync_is_reported_and_the_next_caller_tries_again() {
        let sync = DirSync::new();
        let missing = Path::new("/nonexistent/mailwright-dir-sync");
        assert!(sync.sync(missing).is_err());
        assert!(sync.sync(missing).is_err());
        assert_eq!(sync.fsyncs(), 2);
        let dir = std::env::temp_dir();
        sync.sync(&dir).unwrap();
        assert_eq!(sync.fsyncs(), 3);
    }
}
