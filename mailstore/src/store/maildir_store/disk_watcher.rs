//! Watching a folder for what other processes do to it.
//!
//! Changes made in this process wake watchers at once through the
//! mailbox's channel. Another process (Dovecot, an MDA, mutt) leaves only
//! its traces on disk: a delivery, a flag change (a rename) or an expunge
//! (an unlink) changes the modification time of `new/` or `cur/`, and a
//! UID assignment rewrites `dovecot-uidlist`. The watcher looks at those
//! every poll interval, as Dovecot's `mailbox_idle_check_interval` does
//! where it has no inotify.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::cache::Stamp;
use crate::error::Result;
use crate::store::Watcher;

/// What a folder looked like from outside at one moment: its two message
/// directories and its UID list (`None` where one is missing, which is a
/// change too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Footprint {
    stamps: [Option<Stamp>; 3],
    taken: SystemTime,
}

/// How close to the moment it is read a modification time may be and
/// still hide a later change: file systems keep times with a coarse clock
/// (a few milliseconds), so a change right after a look may leave the
/// time as it was.
const COARSE_CLOCK: Duration = Duration::from_secs(1);

impl Footprint {
    /// Whether the folder may have changed since `self` was taken, now
    /// that it looks like `now`.
    fn may_differ(&self, now: &Footprint) -> bool {
        self.stamps != now.stamps || self.too_recent()
    }

    /// Whether a time was so close to the look that a change after it may
    /// not show.
    fn too_recent(&self) -> bool {
        self.stamps.iter().flatten().any(|stamp| {
            self.taken
                .duration_since(stamp.modified())
                .map_or(true, |age| age < COARSE_CLOCK)
        })
    }
}

/// The footprint of the folder at `dir` now.
pub(crate) fn footprint(dir: &Path) -> Footprint {
    let stamp = |name: &str| {
        std::fs::metadata(dir.join(name))
            .ok()
            .map(|m| Stamp::of(&m))
    };
    Footprint {
        // Taken first: a time read later and equal to it is "too recent".
        taken: SystemTime::now(),
        stamps: [
            stamp("new"),
            stamp("cur"),
            stamp(::maildir::uidlist::UIDLIST_FILE),
        ],
    }
}

/// Wakes on this process' changes (the channel) or when the folder's
/// footprint differs from the last one seen.
#[derive(Debug)]
pub(crate) struct DiskWatcher {
    channel: Box<dyn Watcher>,
    dir: PathBuf,
    seen: Footprint,
    interval: Duration,
}

impl DiskWatcher {
    /// Watches `dir`, whose footprint was `seen` when its session last
    /// looked: a change since then wakes the first poll.
    pub(crate) fn boxed(
        channel: Box<dyn Watcher>,
        dir: PathBuf,
        seen: Footprint,
        interval: Duration,
    ) -> Box<dyn Watcher> {
        Box::new(DiskWatcher {
            channel,
            dir,
            seen,
            interval,
        })
    }
}

/// The footprint of `dir` now, from a thread that may block.
async fn look(dir: PathBuf) -> Footprint {
    let fallback = dir.clone();
    match tokio::task::spawn_blocking(move || footprint(&dir)).await {
        Ok(footprint) => footprint,
        // The blocking pool is shutting down: look from here.
        Err(_) => footprint(&fallback),
    }
}

#[async_trait]
impl Watcher for DiskWatcher {
    async fn changed(&mut self) -> Result<()> {
        loop {
            tokio::select! {
                woken = self.channel.changed() => {
                    // The waking session syncs, which reads the disk as it
                    // is now: what happened there until now is seen.
                    self.seen = look(self.dir.clone()).await;
                    return woken;
                }
                () = tokio::time::sleep(self.interval) => {
                    let now = look(self.dir.clone()).await;
                    if self.seen.may_differ(&now) {
                        self.seen = now;
                        return Ok(());
                    }
                }
            }
        }
    }
}
