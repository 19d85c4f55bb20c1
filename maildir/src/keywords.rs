//! Dovecot's `dovecot-keywords` file: which IMAP keyword each lowercase
//! letter `a`–`z` in a Maildir file name's flags stands for.
//!
//! Each line is `<index> <keyword>`, index 0–25 standing for the letters
//! `a`–`z`. Dovecot writes the lines in index order, each ending in `\n`,
//! and replaces the file through its dotlock (`dovecot-keywords.lock`),
//! which is what [`Keywords::save`] does too.
//!
//! ```
//! use maildir::keywords::Keywords;
//! let mut kw = Keywords::parse(b"0 $Junk\n1 work\n", "dovecot-keywords".as_ref())?;
//! assert_eq!(kw.letter("work"), Some('b'));
//! assert_eq!(kw.keyword('a'), Some("$Junk"));
//! assert_eq!(kw.add("personal"), Some('c'));
//! assert_eq!(kw.to_bytes(), b"0 $Junk\n1 work\n2 personal\n");
//! # Ok::<(), maildir::Error>(())
//! ```

use std::io::{self, Write};
use std::path::Path;

use crate::dotlock::{DotLock, DotLockOptions};
use crate::error::{Error, IoContext, Result};

/// The file name, in the Maildir (control) directory.
pub const KEYWORDS_FILE: &str = "dovecot-keywords";

/// How many keywords a Maildir can name: one per letter `a`–`z`.
pub const MAX_KEYWORDS: usize = 26;

/// The keyword table of one Maildir folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    slots: [Option<String>; MAX_KEYWORDS],
}

/// Whether `keyword` can be stored in `dovecot-keywords`: non-empty, and no
/// space, control character or IMAP atom-special (`(){%*"\]`).
pub fn is_valid_keyword(keyword: &str) -> bool {
    !keyword.is_empty()
        && keyword.chars().all(|c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(c, '(' | ')' | '{' | '%' | '*' | '"' | '\\' | ']')
        })
}

impl Keywords {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the content of a `dovecot-keywords` file; `path` is only used
    /// in errors. An empty input is an empty table.
    ///
    /// Errors ([`Error::Format`] with the 1-based line): a line without a
    /// space, an index that is not a number below 26, an index or keyword
    /// that appears twice, an invalid keyword (see [`is_valid_keyword`]),
    /// text that is not UTF-8, a last line without `\n`.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Keywords> {
        let err = |line: usize, reason: String| Error::Format {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut kw = Keywords::new();
        for (i, raw) in split_lines(bytes).enumerate() {
            let n = i + 1;
            let raw = raw.ok_or_else(|| err(n, "missing newline at end of file".into()))?;
            let line = std::str::from_utf8(raw).map_err(|_| err(n, "not UTF-8".into()))?;
            let (idx, keyword) = line
                .split_once(' ')
                .ok_or_else(|| err(n, "expected \"<index> <keyword>\"".into()))?;
            if idx.is_empty() || !idx.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(n, format!("invalid index {idx:?}")));
            }
            let idx: usize = idx
                .parse()
                .ok()
                .filter(|&i| i < MAX_KEYWORDS)
                .ok_or_else(|| err(n, format!("index {idx} out of range 0-25")))?;
            if !is_valid_keyword(keyword) {
                return Err(err(n, format!("invalid keyword {keyword:?}")));
            }
            if kw.slots[idx].is_some() {
                return Err(err(n, format!("index {idx} used twice")));
            }
            if kw.index_of(keyword).is_some() {
                return Err(err(n, format!("keyword {keyword:?} listed twice")));
            }
            kw.slots[idx] = Some(keyword.to_owned());
        }
        Ok(kw)
    }

    /// Reads `path`; a missing file is an empty table.
    pub fn load(path: impl AsRef<Path>) -> Result<Keywords> {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(bytes) => Keywords::parse(&bytes, path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Keywords::new()),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// The file content, as Dovecot writes it: `<index> <keyword>\n` in
    /// index order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, kw) in self.iter() {
            out.extend_from_slice(format!("{} {}\n", i, kw).as_bytes());
        }
        out
    }

    /// Replaces `path` atomically: takes `<path>.lock`, writes the table
    /// into it, fsyncs and renames it over `path`.
    pub fn save(&self, path: impl AsRef<Path>, options: &DotLockOptions) -> Result<()> {
        let mut lock = DotLock::acquire(path, options)?;
        let bytes = self.to_bytes();
        let lock_path = lock.lock_path().to_path_buf();
        lock.file().write_all(&bytes).context("write", &lock_path)?;
        lock.commit()
    }

    /// The keyword for a flag letter `a`–`z`.
    pub fn keyword(&self, letter: char) -> Option<&str> {
        self.get(letter_index(letter)?)
    }

    /// The keyword at index 0–25.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.slots.get(index)?.as_deref()
    }

    /// The flag letter of `keyword`. Keywords are compared exactly (Dovecot
    /// stores them as the client sent them).
    pub fn letter(&self, keyword: &str) -> Option<char> {
        self.index_of(keyword).map(index_letter)
    }

    /// The index 0–25 of `keyword`.
    pub fn index_of(&self, keyword: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.as_deref() == Some(keyword))
    }

    /// The letter of `keyword`, adding it at the first free index if it is
    /// new. `None` when all 26 letters are taken or the keyword cannot be
    /// stored ([`is_valid_keyword`]).
    pub fn add(&mut self, keyword: &str) -> Option<char> {
        if let Some(letter) = self.letter(keyword) {
            return Some(letter);
        }
        if !is_valid_keyword(keyword) {
            return None;
        }
        let free = self.slots.iter().position(Option::is_none)?;
        self.slots[free] = Some(keyword.to_owned());
        Some(index_letter(free))
    }

    /// Removes `keyword`, returning the letter it had. (Dovecot never
    /// removes keywords; a freed letter may still be used in file names.)
    pub fn remove(&mut self, keyword: &str) -> Option<char> {
        let i = self.index_of(keyword)?;
        self.slots[i] = None;
        Some(index_letter(i))
    }

    /// `(index, keyword)` in index order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.as_deref()?)))
    }

    /// How many keywords are defined.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether no keyword is defined.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether all 26 letters are taken.
    pub fn is_full(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }
}

/// The flag letter for index 0–25.
fn index_letter(i: usize) -> char {
    char::from(b'a' + i as u8)
}

/// The index of a flag letter `a`–`z`.
fn letter_index(letter: char) -> Option<usize> {
    letter
        .is_ascii_lowercase()
        .then(|| letter as usize - 'a' as usize)
}

/// Splits into lines without their `\n`; a final line without `\n` is
/// `None`.
pub(crate) fn split_lines(bytes: &[u8]) -> impl Iterator<Item = Option<&[u8]>> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) => {
                let line = &rest[..p];
                rest = &rest[p + 1..];
                Some(Some(line))
            }
            None => {
                rest = &[];
                Some(None)
            }
        }
    })
}
