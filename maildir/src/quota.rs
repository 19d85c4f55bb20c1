//! The Maildir++ quota file, `maildirsize`, in the root of a Maildir++.
//!
//! The first line holds the limits, `<bytes>S,<count>C` (either may be
//! absent, the line may be empty; a limit of 0 means no limit, as in
//! Dovecot). Every further line is a delta `<bytes> <count>` (either may be
//! negative); the current usage is the sum of all delta lines. A delivery
//! agent [`check`](Quota::check)s the quota before delivering and
//! [`add`](Quota::add)s a line after; an expunge adds a negative line.
//! Each line is appended with a single `write(2)` on a file opened with
//! `O_APPEND`, so concurrent writers never interleave within a line.
//!
//! [`recalculate`](Quota::recalculate) scans `new/` and `cur/` of the root
//! and of every folder (`.Name` directories; Trash included), taking each
//! message's size from the `,S=<size>` field of its name when present and
//! from the file's size otherwise, and replaces the file (written to the
//! root's `tmp/` and renamed over `maildirsize`) with the limits and one
//! line of totals.
//!
//! # When the file is recalculated
//!
//! [`check`](Quota::check) follows the Maildir++ specification (and
//! Courier's `maildirquota.c`): the file is recalculated when it is larger
//! than [`MAX_FILE_SIZE`] (5120 bytes), when a delta line cannot be parsed,
//! and — only when the delivery would go over quota — when it was last
//! modified more than [`MAX_AGE`] (15 minutes) ago, so that a stale file
//! does not refuse mail wrongly while a fresh one is trusted. A missing
//! file means no quota: `check` accepts everything and `add` does nothing;
//! [`recalculate`](Quota::recalculate) with the wanted limits creates it.
//!
//! ```
//! use maildir::delivery::Maildir;
//! use maildir::quota::{Limits, Quota};
//! # let dir = std::env::temp_dir().join(format!("mw-quota-doc-{}", std::process::id()));
//! let md = Maildir::create(&dir)?;
//! let quota = Quota::new(&dir);
//! quota.recalculate(Limits { bytes: Some(100), count: None })?;
//! quota.check(19, 1)?;
//! let d = md.deliver(b"Subject: hi\n\nhello\n")?;
//! quota.add(d.size as i64, 1)?;
//! assert_eq!(quota.read()?.unwrap().usage.bytes, 19);
//! assert!(quota.check(90, 1).is_err());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoContext, Result};
use crate::name::{MessageName, unique_name};

/// The quota file's name in the root.
pub const MAILDIRSIZE: &str = "maildirsize";

/// A file larger than this is recalculated (and so shrunk to two lines).
pub const MAX_FILE_SIZE: u64 = 5120;

/// A file older than this is recalculated before refusing a delivery.
pub const MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// How often a recalculation is retried when messages change under it.
const SCAN_ATTEMPTS: usize = 5;

/// The limits on the first line of `maildirsize`; `None` (or 0) is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes (`<n>S`).
    pub bytes: Option<u64>,
    /// The most messages (`<n>C`).
    pub count: Option<u64>,
}

impl Limits {
    /// Parses a limits line such as `1000000S,1000C`, `5000S` or ``.
    pub fn parse(line: &str) -> Option<Limits> {
        let mut limits = Limits::default();
        let line = line.trim();
        if line.is_empty() {
            return Some(limits);
        }
        for part in line.split(',') {
            let part = part.trim();
            let (digits, kind) = part.split_at(part.len().checked_sub(1)?);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n = digits.parse().ok()?;
            let slot = match kind {
                "S" => &mut limits.bytes,
                "C" => &mut limits.count,
                _ => return None,
            };
            if slot.replace(n).is_some() {
                return None;
            }
        }
        Some(limits)
    }

    /// Whether `usage` exceeds a (non-zero) limit.
    pub fn exceeded_by(&self, usage: Usage) -> bool {
        let over = |limit: Option<u64>, used: i64| {
            limit.is_some_and(|l| l > 0 && i128::from(used) > i128::from(l))
        };
        over(self.bytes, usage.bytes) || over(self.count, usage.count)
    }
}

impl fmt::Display for Limits {
    /// The first line of `maildirsize`, without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.bytes, self.count) {
            (Some(b), Some(c)) => write!(f, "{b}S,{c}C"),
            (Some(b), None) => write!(f, "{b}S"),
            (None, Some(c)) => write!(f, "{c}C"),
            (None, None) => Ok(()),
        }
    }
}

/// Bytes and messages in use (sums of deltas, so signed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Total bytes.
    pub bytes: i64,
    /// Total messages.
    pub count: i64,
}

impl Usage {
    /// This usage plus `bytes` and `count`, saturating.
    pub fn plus(self, bytes: i64, count: i64) -> Usage {
        Usage {
            bytes: self.bytes.saturating_add(bytes),
            count: self.count.saturating_add(count),
        }
    }
}

/// The content of a `maildirsize` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirSize {
    /// The first line.
    pub limits: Limits,
    /// The sum of the delta lines.
    pub usage: Usage,
    /// How many delta lines there are.
    pub lines: usize,
}

impl MaildirSize {
    /// Parses the file's content (`path` is for errors). A last line
    /// without a newline is accepted.
    pub fn parse(text: &str, path: &Path) -> Result<MaildirSize> {
        let format = |line: usize, reason: &str| Error::Format {
            path: path.to_owned(),
            line,
            reason: reason.to_owned(),
        };
        let mut lines = text.lines();
        let first = lines.next().ok_or_else(|| format(1, "empty file"))?;
        let limits = Limits::parse(first).ok_or_else(|| format(1, "bad limits line"))?;
        let mut usage = Usage::default();
        let mut count = 0;
        for (i, line) in lines.enumerate() {
            let mut fields = line.split_whitespace();
            let (Some(b), Some(c), None) = (fields.next(), fields.next(), fields.next()) else {
                return Err(format(i + 2, "expected `<bytes> <count>`"));
            };
            let (Ok(b), Ok(c)) = (b.parse::<i64>(), c.parse::<i64>()) else {
                return Err(format(i + 2, "bad number"));
            };
            usage = usage.plus(b, c);
            count += 1;
        }
        Ok(MaildirSize {
            limits,
            usage,
            lines: count,
        })
    }
}

/// The quota of one Maildir++ root (shared by all its folders).
#[derive(Debug, Clone)]
pub struct Quota {
    root: PathBuf,
    path: PathBuf,
}

impl Quota {
    /// The quota of the Maildir++ at `root` (its file is
    /// `<root>/maildirsize`).
    pub fn new(root: impl Into<PathBuf>) -> Quota {
        let root = root.into();
        let path = root.join(MAILDIRSIZE);
        Quota { root, path }
    }

    /// The `maildirsize` file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file as it is (`None` if it does not exist).
    pub fn read(&self) -> Result<Option<MaildirSize>> {
        Ok(self.read_with_meta()?.map(|(size, _)| size))
    }

    fn read_text(&self) -> Result<Option<(String, fs::Metadata)>> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        let meta = file.metadata().context("stat", &self.path)?;
        let mut buf = Vec::new();
        io::Read::read_to_end(&mut file, &mut buf).context("read", &self.path)?;
        let text = String::from_utf8(buf).map_err(|_| Error::Format {
            path: self.path.clone(),
            line: 0,
            reason: "not UTF-8".to_owned(),
        })?;
        Ok(Some((text, meta)))
    }

    fn read_with_meta(&self) -> Result<Option<(MaildirSize, fs::Metadata)>> {
        match self.read_text()? {
            None => Ok(None),
            Some((text, meta)) => Ok(Some((MaildirSize::parse(&text, &self.path)?, meta))),
        }
    }

    /// Sums the sizes and counts of all messages in `new/` and `cur/` of the
    /// root and of every folder, without touching the file.
    pub fn scan(&self) -> Result<Usage> {
        let mut usage = Usage::default();
        for dir in self.message_dirs()? {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("readdir", dir, e)),
            };
            for entry in entries {
                let entry = entry.context("readdir", &dir)?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') {
                    continue;
                }
                let size = match MessageName::parse(&name).ok().and_then(|n| n.size()) {
                    Some(size) => size,
                    None => match fs::metadata(entry.path()) {
                        Ok(meta) if meta.is_file() => meta.len(),
                        Ok(_) => continue,
                        // Expunged while we were looking.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(Error::io("stat", entry.path(), e)),
                    },
                };
                usage = usage.plus(i64::try_from(size).unwrap_or(i64::MAX), 1);
            }
        }
        Ok(usage)
    }

    /// `new/` and `cur/` of the root and of every `.Folder`.
    fn message_dirs(&self) -> Result<Vec<PathBuf>> {
        let mut roots = vec![self.root.clone()];
        for entry in fs::read_dir(&self.root).context("readdir", &self.root)? {
            let entry = entry.context("readdir", &self.root)?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `..x` are folders being deleted, not folders.
            if name.starts_with('.') && !name.starts_with("..") && name.len() > 1 {
                let path = entry.path();
                if path.is_dir() {
                    roots.push(path);
                }
            }
        }
        Ok(roots
            .iter()
            .flat_map(|r| [r.join("new"), r.join("cur")])
            .collect())
    }

    fn dir_times(dirs: &[PathBuf]) -> Vec<Option<SystemTime>> {
        dirs.iter()
            .map(|d| fs::metadata(d).and_then(|m| m.modified()).ok())
            .collect()
    }

    /// Recounts the usage from scratch and replaces the file with `limits`
    /// and one line of totals (created if missing). The scan is repeated
    /// (a few times at most) when a `new/` or `cur/` directory or the set
    /// of folders changed during it. Returns the usage written.
    pub fn recalculate(&self, limits: Limits) -> Result<Usage> {
        let mut usage = Usage::default();
        for _ in 0..SCAN_ATTEMPTS {
            let dirs = self.message_dirs()?;
            let before = Self::dir_times(&dirs);
            usage = self.scan()?;
            if self.message_dirs()? == dirs && Self::dir_times(&dirs) == before {
                break;
            }
        }
        let content = format!("{limits}\n{} {}\n", usage.bytes, usage.count);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}.maildirsize", unique_name()));
        let result = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .context("create", &tmp)?;
            file.write_all(content.as_bytes()).context("write", &tmp)?;
            file.sync_all().context("fsync", &tmp)?;
            fs::rename(&tmp, &self.path).context("rename", &tmp)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| usage)
    }

    /// Checks that delivering `bytes` in `count` messages keeps within the
    /// quota, recalculating as described in the [module
    /// documentation](self). Fails with [`Error::OverQuota`].
    pub fn check(&self, bytes: u64, count: u64) -> Result<()> {
        self.check_at(bytes, count, SystemTime::now())
    }

    /// [`check`](Self::check) with the current time given (for tests and
    /// for callers that already have it).
    pub fn check_at(&self, bytes: u64, count: u64, now: SystemTime) -> Result<()> {
        let Some((text, meta)) = self.read_text()? else {
            return Ok(());
        };
        let (limits, mut usage, fresh) = match MaildirSize::parse(&text, &self.path) {
            Ok(size) if meta.len() <= MAX_FILE_SIZE => {
                let age = meta
                    .modified()
                    .ok()
                    .and_then(|m| now.duration_since(m).ok())
                    .unwrap_or_default();
                (size.limits, size.usage, age <= MAX_AGE)
            }
            Ok(size) => (size.limits, self.recalculate(size.limits)?, true),
            // A torn or corrupt delta line: recount, keeping the limits.
            Err(Error::Format { line, .. }) if line > 1 => {
                let first = text.lines().next().unwrap_or_default();
                let limits = Limits::parse(first).unwrap_or_default();
                (limits, self.recalculate(limits)?, true)
            }
            Err(e) => return Err(e),
        };
        let add = |u: Usage| {
            u.plus(
                i64::try_from(bytes).unwrap_or(i64::MAX),
                i64::try_from(count).unwrap_or(i64::MAX),
            )
        };
        if limits.exceeded_by(add(usage)) && !fresh {
            usage = self.recalculate(limits)?;
        }
        if limits.exceeded_by(add(usage)) {
            return Err(Error::OverQuota {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Appends the delta line `<bytes> <count>` with one `write(2)` in
    /// append mode: positive after a delivery, negative after an expunge.
    /// Does nothing when the file does not exist (no quota) or both are 0.
    pub fn add(&self, bytes: i64, count: i64) -> Result<()> {
        if bytes == 0 && count == 0 {
            return Ok(());
        }
        let mut file = match OpenOptions::new().append(true).open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("open", &self.path, e)),
        };
        let line = format!("{bytes} {count}\n");
        let n = file.write(line.as_bytes()).context("write", &self.path)?;
        if n != line.len() {
            return Err(Error::io(
                "write",
                &self.path,
                io::Error::new(io::ErrorKind::WriteZero, "short write"),
            ));
        }
        Ok(())
    }
}
