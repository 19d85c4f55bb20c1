//! Maildir++ folders, as in Courier's Maildir++ specification and
//! Dovecot's `maildir` (Maildir++) layout.
//!
//! The root Maildir is `INBOX`. Every other folder is a Maildir
//! (`tmp/`, `new/`, `cur/`) in a subdirectory of the root whose name is a
//! `.` followed by the folder's name with the hierarchy separator written
//! as `.`, and which holds an empty `maildirfolder` marker file:
//!
//! | folder name  | directory          |
//! |--------------|--------------------|
//! | `INBOX`      | the root           |
//! | `Sent`       | `<root>/.Sent`     |
//! | `Lists/rust` | `<root>/.Lists.rust` |
//!
//! # Names
//!
//! In this API the hierarchy separator is **`/`** (`Lists/rust`). Names are
//! UTF-8 strings whose bytes are stored on disk exactly as given, as Dovecot
//! does with `mail_utf8` off and no `maildir_name_escape_char`: converting
//! to and from IMAP's modified UTF-7 is the caller's business. Because `.`
//! is the separator on disk, a name is refused ([`Error::InvalidArgument`])
//! when it is empty, has an empty component (`a//b`, `/a`, `a/`), a
//! component that contains `.` (which covers `..` and a leading `.`), or a
//! control character (including NUL, CR and LF). `INBOX`, matched
//! case-insensitively, is the root; other names are case-sensitive, and
//! `INBOX/x` is an ordinary folder `.INBOX.x`.
//!
//! # Hierarchy
//!
//! As in Dovecot, a folder's parents need not exist on disk:
//! [`create`](MaildirPlusPlus::create)`("Lists/rust")` makes only
//! `.Lists.rust`, and [`list`](MaildirPlusPlus::list) then reports `Lists`
//! as a non-existent folder that has children (IMAP's `\NonExistent
//! \HasChildren`). [`delete`](MaildirPlusPlus::delete) removes one folder
//! and leaves its children, as IMAP says; [`rename`](MaildirPlusPlus::rename)
//! moves the children along.
//!
//! # Subscriptions
//!
//! The `subscriptions` file in the root is written as Dovecot 2.3 writes
//! it: a `V\t2` line, an empty line, then one folder name per line with a
//! tab between hierarchy levels (`Lists\trust`), atomically, under a
//! [`DotLock`] whose lock file becomes the new file. Version-1 files
//! (Dovecot 1, Courier: one name per line, levels separated by `.`) are
//! read too.
//!
//! ```
//! use maildir::folders::MaildirPlusPlus;
//! # let dir = std::env::temp_dir().join(format!("mw-folders-doc-{}", std::process::id()));
//! let mpp = MaildirPlusPlus::create_root(&dir)?;
//! mpp.create("Lists/rust")?;
//! assert!(dir.join(".Lists.rust/maildirfolder").is_file());
//! let names: Vec<_> = mpp.list()?.into_iter().map(|f| f.name).collect();
//! assert_eq!(names, ["INBOX", "Lists", "Lists/rust"]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), maildir::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::delivery::Maildir;
use crate::dotlock::{DotLock, DotLockOptions};
use crate::error::{Error, IoContext, Result};
use crate::name::unique_name;
use crate::quota::Quota;

/// The hierarchy separator of folder names in this API.
pub const SEPARATOR: char = '/';

/// The name of the root folder.
pub const INBOX: &str = "INBOX";

/// The marker file every Maildir++ folder holds.
pub const MAILDIRFOLDER: &str = "maildirfolder";

/// The subscriptions file in the root.
pub const SUBSCRIPTIONS: &str = "subscriptions";

/// A Maildir++ root: INBOX and its `.Folder` subdirectories.
#[derive(Debug, Clone)]
pub struct MaildirPlusPlus {
    root: PathBuf,
}

/// One folder as [`MaildirPlusPlus::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    /// The name, with `/` as separator (`INBOX` for the root).
    pub name: String,
    /// Whether the folder exists on disk (false for a parent that only
    /// exists because a child does: IMAP's `\NonExistent`).
    pub exists: bool,
    /// Whether some folder below this one exists.
    pub has_children: bool,
}

/// Whether `name` is the root (`INBOX`, any case).
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case(INBOX)
}

fn invalid(name: &str, reason: &str) -> Error {
    Error::InvalidArgument {
        what: "folder name",
        reason: format!("{name:?}: {reason}"),
    }
}

/// Checks a folder name against the rules in the [module
/// documentation](self).
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(invalid(name, "empty name"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "contains a control character"));
    }
    for component in name.split(SEPARATOR) {
        if component.is_empty() {
            return Err(invalid(name, "empty hierarchy component"));
        }
        if component.contains('.') {
            return Err(invalid(name, "a component contains '.'"));
        }
    }
    Ok(())
}

/// The directory name (`.Lists.rust`) of a folder name other than INBOX.
fn dir_name(name: &str) -> String {
    format!(".{}", name.replace(SEPARATOR, "."))
}

/// The folder name of a root entry, if it is a valid folder directory name.
fn folder_name(entry: &str) -> Option<String> {
    let rest = entry.strip_prefix('.')?;
    let name = rest.replace('.', "/");
    validate_name(&name).ok().map(|()| name)
}

fn not_found(root: &Path, name: &str) -> Error {
    Error::NotFound {
        path: root.to_owned(),
        what: format!("folder {name:?}"),
    }
}

fn exists_error(path: &Path) -> Error {
    Error::io(
        "mkdir",
        path,
        io::Error::new(io::ErrorKind::AlreadyExists, "folder exists"),
    )
}

impl MaildirPlusPlus {
    /// A Maildir++ root at `root`, which is not checked (use
    /// [`open_root`](Self::open_root) or [`create_root`](Self::create_root)
    /// for that).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        MaildirPlusPlus { root: root.into() }
    }

    /// Creates the root Maildir (INBOX) if needed.
    pub fn create_root(root: impl Into<PathBuf>) -> Result<Self> {
        let mpp = MaildirPlusPlus::new(root);
        Maildir::create(&mpp.root)?;
        Ok(mpp)
    }

    /// Opens an existing root, checking that it is a Maildir.
    pub fn open_root(root: impl Into<PathBuf>) -> Result<Self> {
        let mpp = MaildirPlusPlus::new(root);
        Maildir::open(&mpp.root)?;
        Ok(mpp)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of folder `name` (the root for INBOX), whether or not
    /// it exists.
    pub fn folder_path(&self, name: &str) -> Result<PathBuf> {
        if is_inbox(name) {
            return Ok(self.root.clone());
        }
        validate_name(name)?;
        Ok(self.root.join(dir_name(name)))
    }

    /// Opens folder `name` as a Maildir ([`Error::NotFound`] if its
    /// directory does not exist).
    pub fn open(&self, name: &str) -> Result<Maildir> {
        let path = self.folder_path(name)?;
        if !path.is_dir() {
            return Err(not_found(&self.root, name));
        }
        Ok(Maildir::open(path)?.with_quota(self.quota()))
    }

    /// The quota of the whole tree (`maildirsize` in the root): every
    /// folder [`open`](Self::open)ed or [`create`](Self::create)d here
    /// keeps it.
    pub fn quota(&self) -> Quota {
        Quota::new(&self.root)
    }

    /// All folders, INBOX first, then sorted by name; parents that do not
    /// exist on disk but have children are included with `exists: false`.
    pub fn list(&self) -> Result<Vec<FolderInfo>> {
        let mut found: BTreeMap<String, bool> = BTreeMap::new();
        for entry in fs::read_dir(&self.root).context("readdir", &self.root)? {
            let entry = entry.context("readdir", &self.root)?;
            let Some(entry_name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let Some(name) = folder_name(&entry_name) else {
                continue;
            };
            // Follows symlinks, as Dovecot does for folder directories.
            match fs::metadata(entry.path()) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("stat", entry.path(), e)),
            }
            let mut parent = name.as_str();
            while let Some((p, _)) = parent.rsplit_once(SEPARATOR) {
                found.entry(p.to_owned()).or_insert(false);
                parent = p;
            }
            found.insert(name, true);
        }
        let names: Vec<&String> = found.keys().collect();
        let has_children = |name: &str| {
            let prefix = format!("{name}{SEPARATOR}");
            names.iter().any(|n| n.starts_with(&prefix))
        };
        let inbox_exists = found.get(INBOX).copied();
        let mut out = vec![FolderInfo {
            name: INBOX.to_owned(),
            exists: true,
            has_children: inbox_exists.is_some() && has_children(INBOX),
        }];
        for (name, &exists) in &found {
            if name == INBOX {
                // `.INBOX` itself can only be reached as a parent of
                // `.INBOX.x`: the name INBOX means the root.
                continue;
            }
            out.push(FolderInfo {
                name: name.clone(),
                exists,
                has_children: has_children(name),
            });
        }
        Ok(out)
    }

    /// Creates folder `name` (a Maildir with an empty `maildirfolder`
    /// file) and returns it. Missing parents are not created.
    ///
    /// Fails with [`Error::Io`] of kind `AlreadyExists` when the folder (or
    /// INBOX) exists, and [`Error::InvalidArgument`] for a bad name.
    pub fn create(&self, name: &str) -> Result<Maildir> {
        let path = self.folder_path(name)?;
        if is_inbox(name) {
            return Err(exists_error(&path));
        }
        fs::create_dir(&path).context("mkdir", &path)?;
        let md = Maildir::create(&path)?;
        let marker = path.join(MAILDIRFOLDER);
        File::create(&marker).context("create", &marker)?;
        Ok(md.with_quota(self.quota()))
    }

    /// Deletes folder `name` with all its messages; its children stay.
    ///
    /// The directory is first renamed out of the way (to a `..`-prefixed
    /// name that is never listed, as Dovecot's `..DOVECOT-TRASH`), so the
    /// folder disappears at once even if removing its files takes time or
    /// fails halfway. Fails with [`Error::NotFound`] if it does not exist and
    /// [`Error::InvalidArgument`] for INBOX.
    pub fn delete(&self, name: &str) -> Result<()> {
        if is_inbox(name) {
            return Err(invalid(name, "INBOX cannot be deleted"));
        }
        let path = self.folder_path(name)?;
        if !path.is_dir() {
            return Err(not_found(&self.root, name));
        }
        let trash = self
            .root
            .join(format!("..mailwright-trash-{}", unique_name()));
        fs::rename(&path, &trash).context("rename", &path)?;
        fs::remove_dir_all(&trash).context("rmdir", &trash)
    }

    /// Renames folder `old` to `new`, moving every child folder along
    /// (`.Lists.rust` follows `.Lists` → `.Archive.Lists.rust`).
    ///
    /// `old` must exist ([`Error::NotFound`]); neither `new` nor any
    /// folder the children would become may exist ([`Error::Io`] of kind
    /// `AlreadyExists`, checked before anything is renamed). Neither may be
    /// INBOX, and `new` may not lie below `old`
    /// ([`Error::InvalidArgument`]). Each directory is renamed atomically,
    /// but the whole is not: a crash halfway leaves some children under the
    /// old name. Subscriptions are not changed (as IMAP says).
    pub fn rename(&self, old: &str, new: &str) -> Result<()> {
        if is_inbox(old) || is_inbox(new) {
            return Err(invalid(old, "INBOX cannot be renamed here"));
        }
        validate_name(old)?;
        validate_name(new)?;
        if new == old || new.starts_with(&format!("{old}{SEPARATOR}")) {
            return Err(invalid(new, "cannot rename a folder below itself"));
        }
        let old_path = self.folder_path(old)?;
        if !old_path.is_dir() {
            return Err(not_found(&self.root, old));
        }
        let prefix = format!("{old}{SEPARATOR}");
        let mut moves = vec![(old_path, self.folder_path(new)?)];
        for info in self.list()? {
            if info.exists
                && let Some(rest) = info.name.strip_prefix(&prefix)
            {
                let target = format!("{new}{SEPARATOR}{rest}");
                moves.push((self.folder_path(&info.name)?, self.folder_path(&target)?));
            }
        }
        for (_, to) in &moves {
            if fs::symlink_metadata(to).is_ok() {
                return Err(exists_error(to));
            }
        }
        for (from, to) in &moves {
            fs::rename(from, to).context("rename", from)?;
        }
        Ok(())
    }

    fn subscriptions_path(&self) -> PathBuf {
        self.root.join(SUBSCRIPTIONS)
    }

    /// The subscribed names, in file order (an absent file means none).
    pub fn subscriptions(&self) -> Result<Vec<String>> {
        read_subscriptions(&self.subscriptions_path())
    }

    /// Adds `name` to the subscriptions (no change if present). The folder
    /// need not exist.
    pub fn subscribe(&self, name: &str) -> Result<()> {
        let name = self.subscription_name(name)?;
        self.update_subscriptions(|list| {
            if list.contains(&name) {
                false
            } else {
                list.push(name.clone());
                true
            }
        })
    }

    /// Removes `name` from the subscriptions (no change if absent).
    pub fn unsubscribe(&self, name: &str) -> Result<()> {
        let name = self.subscription_name(name)?;
        self.update_subscriptions(|list| {
            let before = list.len();
            list.retain(|n| *n != name);
            list.len() != before
        })
    }

    fn subscription_name(&self, name: &str) -> Result<String> {
        if is_inbox(name) {
            return Ok(INBOX.to_owned());
        }
        validate_name(name)?;
        Ok(name.to_owned())
    }

    /// Reads the list under the lock, lets `change` edit it and writes it
    /// back if `change` returns true.
    fn update_subscriptions(&self, change: impl FnOnce(&mut Vec<String>) -> bool) -> Result<()> {
        let path = self.subscriptions_path();
        let mut lock = DotLock::acquire(&path, &DotLockOptions::default())?;
        let mut list = read_subscriptions(&path)?;
        if !change(&mut list) {
            return lock.rollback();
        }
        // Dovecot 2.3's own form: a version line, an empty line, then one
        // name per line with tabs between the hierarchy levels.
        let mut content = String::from("V\t2\n\n");
        for name in &list {
            content.push_str(&name.replace(SEPARATOR, "\t"));
            content.push('\n');
        }
        lock.file()
            .write_all(content.as_bytes())
            .context("write", lock.lock_path().to_owned())?;
        lock.commit()
    }
}

fn read_subscriptions(path: &Path) -> Result<Vec<String>> {
    let data = match fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let text = String::from_utf8(data).map_err(|_| Error::Format {
        path: path.to_owned(),
        line: 0,
        reason: "not UTF-8".to_owned(),
    })?;
    let mut lines = text.lines().peekable();
    let v2 = lines.peek().is_some_and(|l| l.starts_with("V\t"));
    if v2 {
        lines.next();
    }
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        // Version 1 (Dovecot 1, Courier) writes the hierarchy with `.`.
        let name = line.replace(
            if v2 { '\t' } else { '.' },
            SEPARATOR.encode_utf8(&mut [0; 4]),
        );
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}
