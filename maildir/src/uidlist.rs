//! Dovecot's `dovecot-uidlist` file, version 3: the IMAP UID of each message
//! file of a Maildir folder.
//!
//! ```text
//! 3 V1795313747 N7 G1a090c245350026b3640000083ecc375
//! 2 :1795313747.M622991P16441.vm,S=30,W=34
//! 5 W34 :1700000000.M1P1.otherhost
//! ```
//!
//! The header is the version `3` followed by `<key><value>` fields:
//! `V` UIDVALIDITY, `N` next UID, `G` the mailbox GUID (32 hex digits) and
//! fields this crate does not interpret, which are kept in order
//! ([`UidList::header_extra`]). Each further line is a UID, optional
//! extension fields `<A-Z key><value>` (Dovecot uses `S` physical size, `W`
//! virtual size, `G` message GUID, `P` POP3 UIDL, `O` POP3 order; all are
//! kept verbatim), then ` :` and the file's base name (the name up to its
//! first `:`, i.e. without the `:2,<flags>` info). UIDs strictly ascend.
//! The header's next UID may be stale, as Dovecot appends lines to the
//! file without rewriting its header: the next UID is the larger of `N`
//! and the last UID plus one.
//!
//! Files are written under Dovecot's dotlock (`dovecot-uidlist.lock`, see
//! [`crate::dotlock`]): the new content is written into the lock file, which
//! is then renamed over `dovecot-uidlist`.
//!
//! ```
//! use maildir::uidlist::UidList;
//! let mut list = UidList::new(1_700_000_000, [0x11; 16])?;
//! let uid = list.append("1700000000.M1P1.host,S=30:2,S")?;
//! assert_eq!(uid, 1);
//! assert_eq!(list.uid_of("1700000000.M1P1.host,S=30:2,RS"), Some(1));
//! let bytes = list.to_bytes();
//! assert_eq!(UidList::parse(&bytes, "dovecot-uidlist".as_ref())?, list);
//! # Ok::<(), maildir::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::dotlock::{DotLock, DotLockOptions};
use crate::error::{Error, IoContext, Result};
use crate::keywords::split_lines;
use crate::name_hash::NameHash;

/// The file name, in the Maildir (control) directory.
pub const UIDLIST_FILE: &str = "dovecot-uidlist";

/// One message: its UID, extension fields and file base name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    uid: u32,
    extensions: Vec<String>,
    /// Shared with the name index: one allocation per name.
    name: Arc<str>,
}

impl Entry {
    /// The IMAP UID.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The file's base name (without `:2,<flags>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The extension fields, each `<key><value>`, in file order.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The value of extension `key` (`b'W'` for the virtual size, ...).
    pub fn extension(&self, key: u8) -> Option<&str> {
        self.extensions
            .iter()
            .find(|f| f.as_bytes()[0] == key)
            .map(|f| &f[1..])
    }

    /// The virtual (CRLF) size from the `W` extension, if present.
    pub fn virtual_size(&self) -> Option<u64> {
        self.extension(b'W')?.parse().ok()
    }

    /// Sets extension `key` (an ASCII capital) to `value` (no spaces,
    /// colons or line breaks), replacing an earlier value in place.
    pub fn set_extension(&mut self, key: u8, value: &str) -> Result<()> {
        if !key.is_ascii_uppercase() || value.contains([' ', ':', '\n', '\r']) {
            return Err(Error::InvalidArgument {
                what: "uidlist extension field",
                reason: format!(
                    "{:?} is not a capital letter and a value without spaces, colons or line breaks",
                    format!("{}{}", char::from(key), value)
                ),
            });
        }
        let field = format!("{}{}", char::from(key), value);
        match self.extensions.iter_mut().find(|f| f.as_bytes()[0] == key) {
            Some(f) => *f = field,
            None => self.extensions.push(field),
        }
        Ok(())
    }

    /// Removes extension `key`, returning its value.
    pub fn remove_extension(&mut self, key: u8) -> Option<String> {
        let i = self
            .extensions
            .iter()
            .position(|f| f.as_bytes()[0] == key)?;
        Some(self.extensions.remove(i)[1..].to_owned())
    }
}

/// A parsed `dovecot-uidlist`.
///
/// Invariants kept by every method: UIDs are unique and below
/// [`next_uid`](Self::next_uid), base names are unique, and `next_uid`
/// never decreases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidList {
    uid_validity: u32,
    next_uid: u32,
    guid: Option<[u8; 16]>,
    header_extra: Vec<String>,
    /// Sorted by UID.
    entries: Vec<Entry>,
    by_name: HashMap<Arc<str>, u32, NameHash>,
}

/// The base name of a Maildir file name: everything before the first `:`.
pub fn base_name(file_name: &str) -> &str {
    file_name.split_once(':').map_or(file_name, |(b, _)| b)
}

fn check_base_name(name: &str) -> Result<()> {
    // One pass: this runs for every line of every uidlist read.
    let bad = name
        .bytes()
        .find(|b| matches!(b, b'/' | b'\n' | b'\r' | b':'));
    let reason = match bad {
        _ if name.is_empty() => "empty name",
        Some(b'/') => "contains '/'",
        Some(b'\n' | b'\r') => "contains a line break",
        _ if name.starts_with('.') => "starts with '.'",
        Some(_) => "contains ':'",
        None => return Ok(()),
    };
    Err(Error::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

impl UidList {
    /// An empty list with this UIDVALIDITY (not 0) and mailbox GUID; the
    /// first UID will be 1.
    pub fn new(uid_validity: u32, guid: [u8; 16]) -> Result<UidList> {
        if uid_validity == 0 {
            return Err(Error::InvalidArgument {
                what: "UIDVALIDITY",
                reason: "must not be 0".into(),
            });
        }
        Ok(UidList {
            uid_validity,
            next_uid: 1,
            guid: Some(guid),
            header_extra: Vec::new(),
            entries: Vec::new(),
            by_name: HashMap::default(),
        })
    }

    /// Parses a version 3 `dovecot-uidlist`; `path` is only used in errors,
    /// which are [`Error::Format`] with the 1-based line number.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<UidList> {
        let err = |line: usize, reason: String| Error::Format {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut lines = split_lines(bytes).enumerate().map(|(i, l)| {
            let n = i + 1;
            let l = l.ok_or_else(|| err(n, "missing newline at end of file".into()))?;
            let s = std::str::from_utf8(l).map_err(|_| err(n, "not UTF-8".into()))?;
            Ok::<_, Error>((n, s))
        });
        let (_, header) = lines.next().ok_or_else(|| err(1, "empty file".into()))??;
        let fields = match header.split_once(' ') {
            Some(("3", rest)) => rest,
            None if header == "3" => "",
            _ => {
                let v = header.split(' ').next().unwrap_or_default();
                return Err(err(1, format!("unsupported version {v:?} (only 3 is)")));
            }
        };
        let mut uid_validity = None;
        let mut next_uid = None;
        let mut guid = None;
        let mut header_extra = Vec::new();
        for field in fields.split(' ') {
            let Some(key) = field.chars().next() else {
                return Err(err(1, "empty header field (double space)".into()));
            };
            let value = &field[key.len_utf8()..];
            match key {
                'V' | 'N' => {
                    let n = parse_uid(value)
                        .filter(|&n| n != 0)
                        .ok_or_else(|| err(1, format!("invalid {key} value {value:?}")))?;
                    let slot = if key == 'V' {
                        &mut uid_validity
                    } else {
                        &mut next_uid
                    };
                    if slot.replace(n).is_some() {
                        return Err(err(1, format!("{key} appears twice")));
                    }
                }
                'G' => {
                    let g = parse_guid(value)
                        .ok_or_else(|| err(1, format!("invalid mailbox GUID {value:?}")))?;
                    if guid.replace(g).is_some() {
                        return Err(err(1, "G appears twice".into()));
                    }
                }
                _ => header_extra.push(field.to_owned()),
            }
        }
        let uid_validity = uid_validity.ok_or_else(|| err(1, "no UIDVALIDITY (V)".into()))?;
        let next_uid = next_uid.ok_or_else(|| err(1, "no next UID (N)".into()))?;
        let mut list = UidList {
            uid_validity,
            next_uid,
            guid,
            header_extra,
            entries: Vec::new(),
            by_name: HashMap::default(),
        };
        let mut prev = 0;
        for line in lines {
            let (n, line) = line?;
            let (uid_str, rest) = line
                .split_once(' ')
                .ok_or_else(|| err(n, "expected \"<uid> [fields] :<name>\"".into()))?;
            let uid = parse_uid(uid_str)
                .filter(|&u| u != 0 && u != u32::MAX)
                .ok_or_else(|| err(n, format!("invalid UID {uid_str:?}")))?;
            if uid <= prev {
                return Err(err(n, format!("UIDs not ascending ({uid} after {prev})")));
            }
            // Dovecot appends lines without rewriting the header, so its
            // `N` is often stale: the next UID is past every listed one.
            if uid >= list.next_uid {
                list.next_uid = uid + 1;
            }
            prev = uid;
            let (fields, name) = match rest.find(':') {
                Some(p) if p == 0 || rest.as_bytes()[p - 1] == b' ' => (&rest[..p], &rest[p + 1..]),
                _ => return Err(err(n, "no \" :<name>\"".into())),
            };
            let extensions: Vec<String> = match fields.strip_suffix(' ') {
                None => Vec::new(),
                Some(f) => f.split(' ').map(str::to_owned).collect(),
            };
            if extensions.iter().any(String::is_empty) {
                return Err(err(n, "empty extension field (double space)".into()));
            }
            if let Some(bad) = extensions
                .iter()
                .find(|f| !f.as_bytes()[0].is_ascii_uppercase())
            {
                return Err(err(n, format!("invalid extension field {bad:?}")));
            }
            if let Err(Error::InvalidName { reason, .. }) = check_base_name(name) {
                return Err(err(n, format!("file name {name:?}: {reason}")));
            }
            let name: Arc<str> = Arc::from(name);
            if list.by_name.insert(Arc::clone(&name), uid).is_some() {
                return Err(err(n, format!("file name {name:?} listed twice")));
            }
            list.entries.push(Entry {
                uid,
                extensions,
                name,
            });
        }
        Ok(list)
    }

    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn load(path: impl AsRef<Path>) -> Result<Option<UidList>> {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(bytes) => UidList::parse(&bytes, path).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", path, e)),
        }
    }

    /// The file content, as Dovecot writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(64 + self.entries.len() * 48);
        let _ = write!(s, "3 V{} N{}", self.uid_validity, self.next_uid);
        if let Some(g) = &self.guid {
            s.push_str(" G");
            for b in g {
                let _ = write!(s, "{b:02x}");
            }
        }
        for f in &self.header_extra {
            s.push(' ');
            s.push_str(f);
        }
        s.push('\n');
        for e in &self.entries {
            let _ = write!(s, "{}", e.uid);
            for f in &e.extensions {
                s.push(' ');
                s.push_str(f);
            }
            s.push_str(" :");
            s.push_str(&e.name);
            s.push('\n');
        }
        s.into_bytes()
    }

    /// Replaces `path` under Dovecot's dotlock: takes `<path>.lock`, writes
    /// the list into it, fsyncs and renames it over `path`.
    pub fn save(&self, path: impl AsRef<Path>, options: &DotLockOptions) -> Result<()> {
        let mut lock = DotLock::acquire(path, options)?;
        let lock_path = lock.lock_path().to_path_buf();
        lock.file()
            .write_all(&self.to_bytes())
            .context("write", &lock_path)?;
        lock.commit()
    }

    /// The folder's UIDVALIDITY.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The UID the next appended message gets.
    pub fn next_uid(&self) -> u32 {
        self.next_uid
    }

    /// Raises the next UID to `next_uid` (never lowers it); returns whether
    /// it changed.
    pub fn raise_next_uid(&mut self, next_uid: u32) -> bool {
        if next_uid > self.next_uid {
            self.next_uid = next_uid;
            true
        } else {
            false
        }
    }

    /// The mailbox GUID (`None` only for old files without a `G` field).
    pub fn guid(&self) -> Option<[u8; 16]> {
        self.guid
    }

    /// Header fields other than `V`, `N` and `G`, each `<key><value>`.
    pub fn header_extra(&self) -> &[String] {
        &self.header_extra
    }

    /// How many messages are listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no message is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in UID order.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        self.entries.iter()
    }

    fn index_of(&self, uid: u32) -> Option<usize> {
        self.entries.binary_search_by_key(&uid, |e| e.uid).ok()
    }

    /// The entry with this UID.
    pub fn get(&self, uid: u32) -> Option<&Entry> {
        self.index_of(uid).map(|i| &self.entries[i])
    }

    /// The entry with this UID, to change its extensions.
    pub fn get_mut(&mut self, uid: u32) -> Option<&mut Entry> {
        self.index_of(uid).map(|i| &mut self.entries[i])
    }

    /// The UID of a file, by full file name or base name.
    pub fn uid_of(&self, file_name: &str) -> Option<u32> {
        self.by_name.get(base_name(file_name)).copied()
    }

    /// The entry of a file, by full file name or base name.
    pub fn get_by_name(&self, file_name: &str) -> Option<&Entry> {
        self.get(self.uid_of(file_name)?)
    }

    /// Lists a new file (full name or base name) under the next UID and
    /// returns that UID; a file already listed keeps its UID.
    ///
    /// Errors: [`Error::InvalidName`] for an empty name or one with `/`,
    /// a line break or a leading `.`; [`Error::Format`] when the UID space
    /// is used up (next UID would be 2³²−1).
    pub fn append(&mut self, file_name: &str) -> Result<u32> {
        let name = base_name(file_name);
        check_base_name(name)?;
        if let Some(uid) = self.by_name.get(name) {
            return Ok(*uid);
        }
        let uid = self.next_uid;
        if uid == u32::MAX {
            return Err(Error::UidsExhausted {
                path: PathBuf::from(UIDLIST_FILE),
            });
        }
        self.next_uid = uid + 1;
        let name: Arc<str> = Arc::from(name);
        self.by_name.insert(Arc::clone(&name), uid);
        // Above every listed UID: the entries stay sorted.
        self.entries.push(Entry {
            uid,
            extensions: Vec::new(),
            name,
        });
        Ok(uid)
    }

    /// Removes an expunged message; the next UID stays where it is, so the
    /// UID is never reused. Linear in the list's length: remove many at
    /// once with [`retain`](Self::retain).
    pub fn remove(&mut self, uid: u32) -> Option<Entry> {
        let e = self.entries.remove(self.index_of(uid)?);
        self.by_name.remove(&e.name);
        Some(e)
    }

    /// Keeps only the entries for which `keep` returns true (for example,
    /// the files still present in `cur/` and `new/`).
    pub fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        let by_name = &mut self.by_name;
        self.entries.retain(|e| {
            let k = keep(e);
            if !k {
                by_name.remove(&e.name);
            }
            k
        });
    }
}

/// A decimal UID as Dovecot writes it: digits only, no sign, fits in u32.
fn parse_uid(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn parse_guid(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut g = [0u8; 16];
    for (i, byte) in g.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(g)
}

/// A new mailbox GUID for [`UidList::new`], random enough: std's randomly seeded hasher over the
/// time and process id.
pub fn fresh_guid() -> [u8; 16] {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut guid = [0u8; 16];
    for (i, half) in guid.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(now);
        h.write_u32(std::process::id());
        h.write_usize(i);
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    guid
}
