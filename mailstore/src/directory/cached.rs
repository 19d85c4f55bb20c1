//! A cache in front of a slow source (an SQL database): answers are kept
//! for a while, and all are dropped at once when files that change with
//! the source (an SQLite database and its write-ahead log) change.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{DirectorySource, User};
use crate::error::Result;

/// Entries per kind of lookup before the cache starts over, so that a
/// flood of made-up addresses cannot grow it without bound.
const MAX_ENTRIES: usize = 16_384;

/// A [`DirectorySource`] that remembers its source's answers (found and
/// not found alike) for `ttl`, like Dovecot's `auth_cache_ttl`.
///
/// A source in files another process writes — the embedded SQLite
/// database that `mailserver user add` changes — is watched with
/// [`watching`](Cached::watching): when any of the files changes (size,
/// modification time or inode), everything cached is forgotten before the
/// next answer, so a user added or a password changed counts at once.
/// Without watched files, a change shows after at most `ttl`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use mailstore::directory::{Cached, DirectorySource, MemoryDirectory, User};
///
/// let memory = MemoryDirectory::new();
/// memory.add_user(User::new("alice@example.org"));
/// let cached = Cached::new(memory, Duration::from_secs(60));
/// assert!(cached.user("alice@example.org").await?.is_some());
/// assert!(cached.user("bob@example.org").await?.is_none());
/// # Ok::<(), mailstore::Error>(())
/// # }).unwrap();
/// ```
pub struct Cached {
    inner: Arc<dyn DirectorySource>,
    ttl: Duration,
    watched: Vec<PathBuf>,
    state: Mutex<State>,
}

impl fmt::Debug for Cached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .field("ttl", &self.ttl)
            .field("watched", &self.watched)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    /// The watched files' stamp when the entries were made.
    stamp: u64,
    domains: HashMap<String, (Instant, bool)>,
    users: HashMap<String, (Instant, Option<User>)>,
    aliases: HashMap<String, (Instant, Option<Vec<String>>)>,
}

impl State {
    fn clear(&mut self) {
        self.domains.clear();
        self.users.clear();
        self.aliases.clear();
    }
}

impl Cached {
    /// Caches `source`'s answers for `ttl`.
    pub fn new(source: impl DirectorySource + 'static, ttl: Duration) -> Cached {
        Cached::from_arc(Arc::new(source), ttl)
    }

    /// The same for a shared source.
    pub fn from_arc(source: Arc<dyn DirectorySource>, ttl: Duration) -> Cached {
        Cached {
            inner: source,
            ttl,
            watched: Vec::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// Forgets everything whenever one of `files` changes (a missing file
    /// counts as a state too).
    pub fn watching(mut self, files: impl IntoIterator<Item = PathBuf>) -> Cached {
        self.watched.extend(files);
        self
    }

    /// A hash of the watched files' identities; one `stat` each.
    fn stamp(&self) -> u64 {
        use std::os::unix::fs::MetadataExt;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for path in &self.watched {
            match std::fs::metadata(path) {
                Ok(meta) => {
                    (meta.ino(), meta.len(), meta.mtime(), meta.mtime_nsec()).hash(&mut hasher)
                }
                Err(_) => 0u8.hash(&mut hasher),
            }
        }
        hasher.finish()
    }

    /// The state, emptied first if the watched files changed; and the
    /// stamp it now stands for.
    fn current(&self) -> (std::sync::MutexGuard<'_, State>, u64) {
        let stamp = if self.watched.is_empty() {
            0
        } else {
            self.stamp()
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.stamp != stamp {
            state.clear();
            state.stamp = stamp;
        }
        (state, stamp)
    }

    /// A cached answer, or the source's (then cached unless the files
    /// changed while it was asked).
    async fn lookup<T: Clone>(
        &self,
        key: &str,
        map: fn(&mut State) -> &mut HashMap<String, (Instant, T)>,
        ask: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let stamp = {
            let (mut state, stamp) = self.current();
            if let Some((at, value)) = map(&mut state).get(key)
                && at.elapsed() < self.ttl
            {
                return Ok(value.clone());
            }
            stamp
        };
        let value = ask.await?;
        let (mut state, now) = self.current();
        if now == stamp {
            let entries = map(&mut state);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key.to_owned(), (Instant::now(), value.clone()));
        }
        Ok(value)
    }
}

#[async_trait]
impl DirectorySource for Cached {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        self.lookup(domain, |s| &mut s.domains, self.inner.has_domain(domain))
            .await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        self.lookup(name, |s| &mut s.users, self.inner.user(name))
            .await
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        self.lookup(address, |s| &mut s.aliases, self.inner.alias(address))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::error::{Error, ErrorKind};

    /// Knows `alice@example.org` and `example.org`; counts questions; fails
    /// for `broken@example.org`.
    #[derive(Debug, Default)]
    struct Counting {
        asked: AtomicUsize,
    }

    #[async_trait]
    impl DirectorySource for Counting {
        async fn has_domain(&self, domain: &str) -> Result<bool> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            Ok(domain == "example.org")
        }

        async fn user(&self, name: &str) -> Result<Option<User>> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if name == "broken@example.org" {
                return Err(Error::new(ErrorKind::Temporary, "database down"));
            }
            Ok((name == "alice@example.org").then(|| User::new(name)))
        }
    }

    fn asked(source: &Counting) -> usize {
        source.asked.load(Ordering::SeqCst)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn answers_found_or_not_are_kept_for_the_ttl() {
        runtime().block_on(async {
            let source = Arc::new(Counting::default());
            let cached = Cached::from_arc(source.clone(), Duration::from_secs(60));
            for _ in 0..3 {
                assert!(cached.user("alice@example.org").await.unwrap().is_some());
                assert!(cached.user("bob@example.org").await.unwrap().is_none());
                assert!(cached.has_domain("example.org").await.unwrap());
            }
            assert_eq!(asked(&source), 3);
            let expiring = Cached::from_arc(source.clone(), Duration::ZERO);
            expiring.has_domain("example.org").await.unwrap();
            expiring.has_domain("example.org").await.unwrap();
            assert_eq!(asked(&source), 5);
        });
    }

    #[test]
    fn errors_are_not_kept() {
        runtime().block_on(async {
            let source = Arc::new(Counting::default());
            let cached = Cached::from_arc(source.clone(), Duration::from_secs(60));
            assert!(cached.user("broken@example.org").await.is_err());
            assert!(cached.user("broken@example.org").await.is_err());
            assert_eq!(asked(&source), 2);
        });
    }

    #[test]
    fn a_change_to_a_watched_file_forgets_everything() {
        runtime().block_on(async {
            let dir = std::env::temp_dir().join(format!("mailstore-cached-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("directory.sqlite-wal");
            let _ = std::fs::remove_file(&file);
            let source = Arc::new(Counting::default());
            let cached =
                Cached::from_arc(source.clone(), Duration::from_secs(60)).watching([file.clone()]);
            cached.user("alice@example.org").await.unwrap();
            cached.user("alice@example.org").await.unwrap();
            assert_eq!(asked(&source), 1);
            std::fs::write(&file, b"x").unwrap();
            cached.user("alice@example.org").await.unwrap();
            assert_eq!(asked(&source), 2, "a new file is a change");
            std::fs::write(&file, b"xy").unwrap();
            cached.user("alice@example.org").await.unwrap();
            cached.user("alice@example.org").await.unwrap();
            assert_eq!(asked(&source), 3, "a longer file is a change");
            std::fs::remove_dir_all(&dir).unwrap();
        });
    }
}
