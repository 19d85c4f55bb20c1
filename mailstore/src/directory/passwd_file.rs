//! Dovecot's passwd-file: accounts, their passwords and userdb fields in
//! one text file, re-read when it changes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use sasl::{PasswordHash, Scheme};

use super::{DirectorySource, QuotaLimit, User, fold};
use crate::blocking::blocking;
use crate::error::{Error, ErrorKind, Result};

/// How often a file is checked for changes unless told otherwise.
pub(super) const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Dovecot's passwd-file as a directory source: accounts, their passwords
/// and userdb fields in one text file, re-read when it changes.
///
/// Each line is `user:password:uid:gid:gecos:home:shell:extra_fields`, as
/// Dovecot's `passdb`/`userdb { driver = passwd-file }` read it (see
/// <https://doc.dovecot.org/configuration_manual/authentication/passwd_file/>):
///
/// - Lines that are empty, start with `#` or start with `:` (no user name)
///   are skipped. Trailing fields may be left out; a line holding only a
///   name is an account without a password. A `\r` before the line end is
///   dropped.
/// - The password is `{SCHEME}data`, or bare data of Dovecot's default
///   scheme for passwd-files, CRYPT (`$6$…`, `$2y$…`, `$1$…` is always
///   MD5-CRYPT). libpam-pwdfile's `data[13]` (CRYPT) and `data[34]`
///   (PLAIN-MD5) are read as Dovecot reads them. An **empty password**
///   field gives [`User::password`] `None`: the account exists (mail is
///   delivered to it) but nobody can log in as it. Dovecot's `nopassword`
///   extra field, which makes Dovecot accept *any* password, is kept in
///   [`User::extra`] and not honoured: such an account cannot log in here.
/// - `uid` and `gid` must be numbers other than 0 (Dovecot refuses root,
///   and system user names are not looked up); empty means not set. The
///   gecos and shell fields are ignored; an empty home is not set.
/// - Everything after the shell field (colons included, so
///   `userdb_quota_rule=*:storage=1G` survives) is a space-separated list
///   of `key=value` or bare `key` extra fields. `userdb_mail`,
///   `userdb_home`, `userdb_uid` and `userdb_gid` set
///   [`mail`](User::mail), [`home`](User::home), [`uid`](User::uid) and
///   [`gid`](User::gid) (overriding the columns, as in Dovecot);
///   `userdb_quota_rule`, `userdb_quota_rule2`, … for the whole account
///   (`*:` or `?:`) set [`quota`](User::quota) — see below. Every other
///   field (passdb fields such as `nologin`, `allow_nets=…`, `nopassword`,
///   and other `userdb_` fields, including per-mailbox quota rules) is kept
///   in [`User::extra`], in order and with its key as written. Fields like
///   `nologin` or `allow_nets` are **not enforced** by this source; whoever
///   authenticates must check them.
/// - Dovecot's old format, an empty field after the shell followed by a
///   mail location (`…:/bin/false::maildir:~/Maildir`), sets the mail
///   location.
/// - Values are taken literally: Dovecot's `%u`/`%d`/`%n` variables in
///   extra fields are not expanded.
///
/// Quota rules are read as Dovecot's quota plugin reads them:
/// `storage=N` is in kilobytes unless it has a unit (`B`, `K`, `M`, `G`,
/// `T`, steps of 1024, only the first letter counts, any case), `bytes=N`
/// in bytes, `messages=N` a count (the units multiply it too); several
/// limits may be joined with `:` and later rules override earlier ones. A
/// limit of 0, `*:ignore` and `none` mean no limit. Relative (`+`, `-`) and
/// percentage limits, which Dovecot rejects for the default rule, are
/// format errors.
///
/// Any other problem — an unknown password scheme, a bad uid, gid or quota
/// rule, text that is not UTF-8 — makes [`PasswdFile::open`] fail with
/// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid), naming the file and
/// line (never the password). Dovecot skips such lines with an error in
/// its log; refusing the file makes the mistake visible before it locks
/// someone out. A user name that appears twice (compared case-folded) is
/// logged as a warning and the first entry wins, as in Dovecot.
///
/// Names are the logins, usually full addresses, and are looked up
/// case-folded. For Dovecot's per-domain files (`args = /etc/dovecot/users/%d`
/// with bare names), [`PasswdFile::with_domain`] qualifies the names.
///
/// # Reloading
///
/// Like Dovecot, the file is re-read when its modification time, size or
/// inode (a file replaced by `rename`) changes. The check is a `stat` done
/// by a lookup when the last check is older than the check interval, one
/// second by default ([`PasswdFile::with_check_interval`]); so a change is
/// seen at most a second late, and a busy server stats the file once a
/// second rather than once a lookup. The `stat` and the read are blocking
/// `std::fs` calls made on the calling task: they are quick for a local
/// file of any size a passwd-file has, and the alternative (a blocking
/// thread per lookup) costs more than it saves.
///
/// If the changed file cannot be read or parsed, every lookup fails with
/// [`ErrorKind::Temporary`](crate::ErrorKind::Temporary) (logged with the
/// reason) until the file is fixed: mail is deferred, not bounced, and
/// logins are refused for a while. Serving the previous contents instead
/// would keep working for most users, but would also keep accepting an
/// account or password the administrator just removed, and deliver mail
/// to an account that was just deleted. The broken version is parsed once;
/// the next change of the file is tried again.
///
/// ```
/// use mailstore::directory::{DirectorySource, PasswdFile};
/// # futures_executor::block_on(async {
/// let path = std::env::temp_dir().join(format!("passwd-file-doc-{}", std::process::id()));
/// std::fs::write(
///     &path,
///     "# accounts\n\
///      alice@example.org:{PLAIN}secret:5000:5000::/srv/mail/alice::userdb_quota_rule=*:storage=1G\n",
/// )?;
/// let users = PasswdFile::open(&path)?;
/// let alice = users.user("alice@example.org").await?.unwrap();
/// assert_eq!(alice.uid, Some(5000));
/// assert_eq!(alice.quota.bytes, Some(1 << 30));
/// assert!(alice.password.unwrap().verify(b"secret"));
/// assert!(users.has_domain("example.org").await?);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct PasswdFile {
    file: Watched<Users>,
    domain: Option<String>,
}

/// The parsed contents.
#[derive(Debug, Default)]
struct Users {
    /// In file order, names as written.
    list: Vec<User>,
    /// Folded name → index into `list`.
    index: HashMap<String, usize>,
    /// Folded domains of the names that have one.
    domains: HashSet<String>,
}

impl PasswdFile {
    /// Parses passwd-file text as [`open`](Self::open) would, without a
    /// file: the users in file order (duplicates left out). `name` names
    /// the text in errors.
    pub fn parse(name: impl AsRef<Path>, text: &str) -> Result<Vec<User>> {
        Ok(parse_users(name.as_ref(), text)?.list)
    }

    /// Reads and parses the passwd-file at `path`. A format problem is an
    /// [`ErrorKind::Invalid`] error naming the file and line; a file that
    /// cannot be read is [`ErrorKind::Temporary`].
    pub fn open(path: impl AsRef<Path>) -> Result<PasswdFile> {
        Ok(PasswdFile {
            file: Watched::open("passwd-file", path.as_ref(), parse_users)?,
            domain: None,
        })
    }

    /// Makes this the file of one domain, as Dovecot's
    /// `args = /etc/dovecot/users/%d`: a bare name `alice` in it is the
    /// account `alice@domain` (and is named so in the [`User`]), names
    /// written with a domain are taken as they are, and
    /// [`has_domain`](DirectorySource::has_domain) is true for `domain`
    /// only. Lookups in other domains find nobody.
    pub fn with_domain(mut self, domain: &str) -> PasswdFile {
        self.domain = Some(fold(domain.trim_start_matches('@')));
        self
    }

    /// Checks the file for changes at most once per `interval` (one second
    /// by default; zero checks on every lookup).
    pub fn with_check_interval(mut self, interval: Duration) -> PasswdFile {
        self.file.interval = interval;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Checks the file now, whatever the interval, and re-reads it if it
    /// changed. Returns whether new contents were loaded; errors as a
    /// lookup would.
    pub fn reload(&self) -> Result<bool> {
        self.file.check(parse_users, true).map(|(_, loaded)| loaded)
    }

    /// Every account, in file order (duplicates left out), for listing.
    pub fn users(&self) -> Result<Vec<User>> {
        let users = self.file.current(parse_users)?;
        Ok(users.list.iter().map(|u| self.qualified(u)).collect())
    }

    /// The account under a folded name.
    fn lookup(&self, name: &str) -> Result<Option<User>> {
        let users = self.file.current(parse_users)?;
        let found = match &self.domain {
            None => users.index.get(name),
            Some(domain) => match name.rsplit_once('@') {
                Some((local, d)) if d == domain => {
                    users.index.get(local).or_else(|| users.index.get(name))
                }
                _ => None,
            },
        };
        Ok(found.map(|&i| self.qualified(&users.list[i])))
    }

    /// The account with its domain added in a per-domain file.
    fn qualified(&self, user: &User) -> User {
        let mut user = user.clone();
        if let Some(domain) = &self.domain
            && !user.name.contains('@')
        {
            user.name = format!("{}@{domain}", user.name);
        }
        user
    }
}

#[async_trait]
impl DirectorySource for PasswdFile {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        let users = self.file.current(parse_users)?;
        Ok(match &self.domain {
            Some(ours) => ours == domain,
            None => users.domains.contains(domain),
        })
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        self.lookup(name)
    }
}

/// Parses a whole passwd-file.
fn parse_users(path: &Path, text: &str) -> Result<Users> {
    let mut users = Users::default();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') || line.starts_with(':') {
            continue;
        }
        let at = |what: String| invalid("passwd-file", path, i + 1, what);
        let user = parse_line(line).map_err(at)?;
        let key = fold(&user.name);
        if users.index.contains_key(&key) {
            tracing::warn!(
                "passwd-file {}:{}: user {} exists more than once; the first entry wins",
                path.display(),
                i + 1,
                user.name
            );
            continue;
        }
        if let Some((_, domain)) = key.rsplit_once('@')
            && !domain.is_empty()
        {
            users.domains.insert(domain.to_owned());
        }
        users.index.insert(key, users.list.len());
        users.list.push(user);
    }
    Ok(users)
}

/// Parses one line; the error says what is wrong without quoting the
/// password.
fn parse_line(line: &str) -> Result<User, String> {
    let fields: Vec<&str> = line.split(':').collect();
    if fields[0].chars().any(char::is_control) {
        return Err("the user name has a control character".into());
    }
    let mut user = User::new(fields[0]);
    user.password = match fields.get(1) {
        None | Some(&"") => None,
        Some(stored) => Some(parse_password(stored)?),
    };
    if let Some(uid) = fields.get(2).filter(|s| !s.is_empty()) {
        user.uid = Some(parse_id("UID", uid)?);
    }
    if let Some(gid) = fields.get(3).filter(|s| !s.is_empty()) {
        user.gid = Some(parse_id("GID", gid)?);
    }
    // 4 is gecos.
    if let Some(home) = fields.get(5).filter(|s| !s.is_empty()) {
        user.home = Some(PathBuf::from(home));
    }
    // 6 is the shell.
    let rest = fields.get(7..).unwrap_or_default();
    match rest {
        [] => {}
        ["", mail @ ..] => {
            // Dovecot's old format: an empty field, then the mail location.
            let mail = mail.join(":");
            if !mail.is_empty() {
                user.mail = Some(mail);
            }
        }
        _ => {
            for field in rest.join(":").split(' ').filter(|f| !f.is_empty()) {
                let (key, value) = field.split_once('=').unwrap_or((field, ""));
                apply_extra(&mut user, key, value)?;
            }
        }
    }
    Ok(user)
}

/// The password field: `{SCHEME}data`, bare CRYPT data, or libpam-pwdfile's
/// `data[NN]`.
fn parse_password(stored: &str) -> Result<PasswordHash, String> {
    let bytes = stored.as_bytes();
    let len = bytes.len();
    let parsed = if len > 4
        && !stored.starts_with(['{', '$'])
        && bytes[len - 1] == b']'
        && bytes[len - 4] == b'['
    {
        let data = &stored[..len - 4];
        match &stored[len - 3..len - 1] {
            "34" => PasswordHash::parse_with_default(data, Scheme::PlainMd5),
            // Dovecot's own old DIGEST-MD5 form, a scheme not supported here.
            "56" => return Err("unsupported password scheme DIGEST-MD5 ([56] suffix)".into()),
            _ => PasswordHash::parse_with_default(data, Scheme::Crypt),
        }
    } else {
        PasswordHash::parse_with_default(stored, Scheme::Crypt)
    };
    parsed.map_err(|e| format!("bad password field: {e}"))
}

/// A uid or gid column or field: a number other than 0.
fn parse_id(what: &str, value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(0) => Err(format!("{what} 0 is not allowed")),
        Ok(id) if id != u32::MAX => Ok(id),
        // The value is not quoted: a password typed one column too far
        // to the right must not end up in a log.
        _ => Err(format!("invalid {what} (not a number of 1 to 4294967294)")),
    }
}

/// One extra field.
fn apply_extra(user: &mut User, key: &str, value: &str) -> Result<(), String> {
    match key {
        "userdb_mail" => user.mail = Some(value.to_owned()).filter(|v| !v.is_empty()),
        "userdb_home" => user.home = Some(PathBuf::from(value)).filter(|_| !value.is_empty()),
        "userdb_uid" => user.uid = Some(parse_id("UID", value)?),
        "userdb_gid" => user.gid = Some(parse_id("GID", value)?),
        _ if is_quota_rule(key) => {
            if !apply_quota_rule(&mut user.quota, value)
                .map_err(|e| format!("{key}: invalid quota rule '{value}': {e}"))?
            {
                user.extra.push((key.to_owned(), value.to_owned()));
            }
        }
        _ => user.extra.push((key.to_owned(), value.to_owned())),
    }
    Ok(())
}

/// `userdb_quota_rule`, `userdb_quota_rule2`, …
fn is_quota_rule(key: &str) -> bool {
    key.strip_prefix("userdb_quota_rule")
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// Applies a quota rule to the account's limits. Returns false for a rule
/// of one mailbox (or a backend rule), which has no place in
/// [`QuotaLimit`].
fn apply_quota_rule(quota: &mut QuotaLimit, rule: &str) -> Result<bool, String> {
    if rule == "none" {
        *quota = QuotaLimit::default();
        return Ok(true);
    }
    let Some((mailbox, limits)) = rule.split_once(':') else {
        return Err("no mailbox name before ':'".into());
    };
    if mailbox != "*" && mailbox != "?" || limits.starts_with("backend=") {
        return Ok(false);
    }
    if limits == "ignore" {
        *quota = QuotaLimit::default();
        return Ok(true);
    }
    for limit in limits.split(':') {
        let (key, value) = limit.split_once('=').unwrap_or((limit, ""));
        let (slot, mut multiply) = match key {
            "storage" => (&mut quota.bytes, 1024),
            "bytes" => (&mut quota.bytes, 1),
            "messages" => (&mut quota.messages, 1),
            _ => return Err(format!("unknown limit '{key}'")),
        };
        if value.starts_with(['+', '-']) {
            return Err("relative limits are not allowed for the default rule".into());
        }
        let digits = value.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = value[..digits]
            .parse()
            .map_err(|_| format!("no number in '{limit}'"))?;
        match value[digits..]
            .bytes()
            .next()
            .map(|b| b.to_ascii_uppercase())
        {
            None => {}
            Some(b'B') => multiply = 1,
            Some(b'K') => multiply = 1 << 10,
            Some(b'M') => multiply = 1 << 20,
            Some(b'G') => multiply = 1 << 30,
            Some(b'T') => multiply = 1 << 40,
            Some(b'%') => return Err("the default rule cannot be a percentage".into()),
            Some(_) => return Err(format!("unknown unit in '{limit}'")),
        }
        let value = number
            .checked_mul(multiply)
            .ok_or_else(|| format!("'{limit}' is too large"))?;
        *slot = Some(value).filter(|&v| v != 0);
    }
    Ok(true)
}

/// An [`ErrorKind::Invalid`] error at `path:line`.
pub(super) fn invalid(kind: &str, path: &Path, line: usize, what: String) -> Error {
    Error::new(
        ErrorKind::Invalid,
        format!("{kind} {}:{line}: {what}", path.display()),
    )
}

/// What tells one version of a file from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    dev: u64,
    ino: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            dev,
            ino,
        }
    }
}

/// A file parsed into `T`, re-read when it changes (the [reloading]
/// rules of [`PasswdFile`], shared with the aliases file).
///
/// [reloading]: PasswdFile#reloading
pub(super) struct Watched<T> {
    /// What the file is, for messages (`passwd-file`).
    kind: &'static str,
    path: PathBuf,
    pub(super) interval: Duration,
    state: RwLock<WatchState<T>>,
}

struct WatchState<T> {
    /// The last contents that parsed.
    data: Arc<T>,
    /// The version they came from.
    stamp: Stamp,
    /// When the file was last checked.
    checked: Instant,
    /// Why the file on disk cannot be used, and which version that was
    /// (`None`: it could not even be examined).
    failed: Option<(Option<Stamp>, String)>,
}

impl<T> WatchState<T> {
    fn result(&self) -> Result<Arc<T>> {
        match &self.failed {
            None => Ok(self.data.clone()),
            Some((_, why)) => Err(Error::new(ErrorKind::Temporary, why.clone())),
        }
    }
}

impl<T> fmt::Debug for Watched<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watched")
            .field("kind", &self.kind)
            .field("path", &self.path)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// A parser of a whole file.
pub(super) type Parser<T> = fn(&Path, &str) -> Result<T>;

impl<T> Watched<T> {
    /// Reads and parses the file now.
    pub(super) fn open(kind: &'static str, path: &Path, parse: Parser<T>) -> Result<Watched<T>> {
        let (stamp, data) = read(kind, path, parse)?;
        Ok(Watched {
            kind,
            path: path.to_owned(),
            interval: DEFAULT_CHECK_INTERVAL,
            state: RwLock::new(WatchState {
                data: Arc::new(data),
                stamp,
                checked: Instant::now(),
                failed: None,
            }),
        })
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The current contents, checking the file first if the interval has
    /// passed.
    pub(super) fn current(&self, parse: Parser<T>) -> Result<Arc<T>> {
        {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if state.checked.elapsed() < self.interval {
                return state.result();
            }
        }
        blocking(|| self.check(parse, false)).map(|(data, _)| data)
    }

    /// Checks the file (now if `force`, else if the interval has passed)
    /// and re-reads it if it changed. Returns the contents and whether they
    /// are new.
    pub(super) fn check(&self, parse: Parser<T>, force: bool) -> Result<(Arc<T>, bool)> {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if !force && state.checked.elapsed() < self.interval {
            // Another lookup checked while we waited for the lock.
            return state.result().map(|data| (data, false));
        }
        state.checked = Instant::now();
        let stamp = match std::fs::metadata(&self.path) {
            Ok(meta) => Stamp::of(&meta),
            Err(e) => {
                let why = format!("stat({}) failed: {e}", self.path.display());
                tracing::error!("{why}");
                state.failed = Some((None, why));
                return state.result().map(|data| (data, false));
            }
        };
        if stamp == state.stamp {
            state.failed = None;
            return Ok((state.data.clone(), false));
        }
        if let Some((Some(bad), _)) = &state.failed
            && *bad == stamp
        {
            return state.result().map(|data| (data, false));
        }
        match read(self.kind, &self.path, parse) {
            Ok((stamp, data)) => {
                tracing::info!("{} changed; re-read it", self.path.display());
                state.data = Arc::new(data);
                state.stamp = stamp;
                state.failed = None;
                Ok((state.data.clone(), true))
            }
            Err(e) => {
                let mut why = e.context().to_owned();
                if let Some(source) = std::error::Error::source(&e) {
                    why = format!("{why}: {source}");
                }
                let why = format!("{why} (the file changed and cannot be used)");
                tracing::error!("{why}");
                state.failed = Some((Some(stamp), why));
                state.result().map(|data| (data, false))
            }
        }
    }
}

/// Reads and parses a file, with the stamp of the version read.
fn read<T>(kind: &str, path: &Path, parse: Parser<T>) -> Result<(Stamp, T)> {
    let io = |e: std::io::Error| Error::temporary(format!("reading {kind} {}", path.display()), e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let stamp = Stamp::of(&file.metadata().map_err(io)?);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        invalid(kind, path, line, "not UTF-8".into())
    })?;
    Ok((stamp, parse(path, &text)?))
}
