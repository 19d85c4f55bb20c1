//! An aliases file in the aliases(5) format of `newaliases` and Postfix's
//! `postalias`, extended for virtual domains.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::passwd_file::{Watched, invalid};
use super::{DirectorySource, fold};
use crate::error::Result;

/// An aliases file as a directory source of aliases, in the aliases(5)
/// format of `newaliases` and Postfix's `postalias`, extended for virtual
/// domains.
///
/// Each entry is `name: target, target, …`:
///
/// - A line that starts with whitespace continues the entry before it;
///   blank lines and lines whose first non-blank character is `#` are
///   ignored (also between the lines of one entry), as `postalias` does.
/// - The name ends at the first `:` outside double quotes; a name that is
///   one quoted string (`"name with space": …`) is unquoted. Names are
///   case-folded.
/// - Targets are separated by commas outside double quotes, and trimmed;
///   empty ones (`a,,b`, a trailing comma) are skipped. Targets are kept as
///   written, quotes and case included (`"first last"@example.org`).
///
/// Names are of three kinds:
///
/// - a full address, `info@example.org`, for one domain (a virtual alias,
///   which `postalias` itself would refuse with "name must be local");
/// - a catch-all, `@example.org`, returned only for a lookup of
///   `@example.org` (the resolver asks for it when nothing else matched);
/// - a bare local part, `postmaster`, which applies to every domain: a
///   lookup of `postmaster@example.org` finds it when there is no entry
///   for the full address (so the full address takes precedence). Limit
///   this to your own domains with [`AliasFile::with_local_domains`]:
///   otherwise an alias target outside them, say `info@partner.example`,
///   would be caught by a bare `info` entry too.
///
/// A bare target (no `@`) is qualified with the domain of the address
/// looked up, as `/etc/aliases` targets are local: with `postmaster: root`,
/// `postmaster@example.org` is an alias for `root@example.org`.
///
/// [`has_domain`](DirectorySource::has_domain) is true for the domains of
/// full-address and catch-all names: those domains are virtual alias
/// domains.
///
/// Delivery to a command (`|command`), a file (`/path`) and `:include:`
/// lists are not supported (this is a directory of addresses, not a local
/// delivery agent): [`AliasFile::open`] fails with
/// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) naming the file, line
/// and the kind of target, as it does for a line without `name:`, an
/// entry without targets (`postalias` skips both with a warning), a
/// continuation line with no entry before it, and a file that is not
/// UTF-8. A name that appears twice is logged as a warning and the first
/// entry wins, as `postalias` does.
///
/// The file is re-read when it changes, with the same rules (and the same
/// handling of a broken file) as the
/// [passwd-file](super::PasswdFile#reloading).
///
/// ```
/// use mailstore::directory::{AliasFile, DirectorySource};
/// # futures_executor::block_on(async {
/// let path = std::env::temp_dir().join(format!("aliases-doc-{}", std::process::id()));
/// std::fs::write(
///     &path,
///     "# system aliases\n\
///      postmaster: root\n\
///      sales@example.org: alice@example.org,\n    \
///          bob\n\
///      @example.org: catch@example.org\n",
/// )?;
/// let aliases = AliasFile::open(&path)?;
/// assert_eq!(
///     aliases.alias("sales@example.org").await?.unwrap(),
///     ["alice@example.org", "bob@example.org"]
/// );
/// assert_eq!(aliases.alias("postmaster@example.net").await?.unwrap(), ["root@example.net"]);
/// assert_eq!(aliases.alias("@example.org").await?.unwrap(), ["catch@example.org"]);
/// assert_eq!(aliases.alias("nobody@example.org").await?, None);
/// assert!(aliases.has_domain("example.org").await?);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct AliasFile {
    file: Watched<Aliases>,
    local_domains: Option<Arc<dyn DirectorySource>>,
}

/// The parsed contents.
#[derive(Debug, Default)]
struct Aliases {
    /// Folded names and their targets as written, in file order.
    list: Vec<(String, Vec<String>)>,
    /// Folded name → index into `list`.
    index: HashMap<String, usize>,
    /// Folded domains of full-address and catch-all names.
    domains: HashSet<String>,
}

impl AliasFile {
    /// Parses aliases-file text as [`open`](Self::open) would, without a
    /// file: [`entries`](Self::entries) of it. `name` names the text in
    /// errors.
    pub fn parse(name: impl AsRef<Path>, text: &str) -> Result<Vec<(String, Vec<String>)>> {
        Ok(parse_aliases(name.as_ref(), text)?.list)
    }

    /// Reads and parses the aliases file at `path`. A format problem or an
    /// unsupported target is an [`ErrorKind::Invalid`](crate::ErrorKind::Invalid)
    /// error naming the file and line; a file that cannot be read is
    /// [`ErrorKind::Temporary`](crate::ErrorKind::Temporary).
    pub fn open(path: impl AsRef<Path>) -> Result<AliasFile> {
        Ok(AliasFile {
            file: Watched::open("aliases file", path.as_ref(), parse_aliases)?,
            local_domains: None,
        })
    }

    /// Applies bare-name entries only to domains that `domains` says are
    /// ours ([`has_domain`](DirectorySource::has_domain)), or that have a
    /// full-address entry in this file — normally the source of the
    /// accounts, such as a [`PasswdFile`](super::PasswdFile).
    pub fn with_local_domains(mut self, domains: Arc<dyn DirectorySource>) -> AliasFile {
        self.local_domains = Some(domains);
        self
    }

    /// Checks the file for changes at most once per `interval` (one second
    /// by default; zero checks on every lookup).
    pub fn with_check_interval(mut self, interval: Duration) -> AliasFile {
        self.file.interval = interval;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Checks the file now, whatever the interval, and re-reads it if it
    /// changed. Returns whether new contents were loaded; errors as a
    /// lookup would.
    pub fn reload(&self) -> Result<bool> {
        self.file
            .check(parse_aliases, true)
            .map(|(_, loaded)| loaded)
    }

    /// Every entry in file order (duplicates left out): the folded name
    /// and the targets as written, bare ones not qualified.
    pub fn entries(&self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(self.file.current(parse_aliases)?.list.clone())
    }
}

#[async_trait]
impl DirectorySource for AliasFile {
    async fn has_domain(&self, domain: &str) -> Result<bool> {
        Ok(self.file.current(parse_aliases)?.domains.contains(domain))
    }

    async fn alias(&self, address: &str) -> Result<Option<Vec<String>>> {
        let aliases = self.file.current(parse_aliases)?;
        let get = |key: &str| aliases.index.get(key).map(|&i| &aliases.list[i].1);
        let Some((local, domain)) = address.rsplit_once('@') else {
            // A bare name asked for directly: its targets as written.
            return Ok(get(address).cloned());
        };
        if let Some(targets) = get(address) {
            return Ok(Some(qualify(targets, domain)));
        }
        if local.is_empty() || domain.is_empty() {
            return Ok(None);
        }
        let Some(targets) = get(local) else {
            return Ok(None);
        };
        if let Some(ours) = &self.local_domains
            && !aliases.domains.contains(domain)
            && !ours.has_domain(domain).await?
        {
            return Ok(None);
        }
        Ok(Some(qualify(targets, domain)))
    }
}

/// Targets with `@domain` added to the bare ones.
fn qualify(targets: &[String], domain: &str) -> Vec<String> {
    targets
        .iter()
        .map(|t| {
            if t.contains('@') || domain.is_empty() {
                t.clone()
            } else {
                format!("{t}@{domain}")
            }
        })
        .collect()
}

/// A logical line: the line it starts on, its text, and (offset in the
/// text, line number) where each physical line starts.
type Logical = (usize, String, Vec<(usize, usize)>);

/// Parses a whole aliases file.
fn parse_aliases(path: &Path, text: &str) -> Result<Aliases> {
    let mut entries: Vec<Logical> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.len() != line.len() {
            let Some((_, text, starts)) = entries.last_mut() else {
                return Err(invalid(
                    "aliases file",
                    path,
                    number,
                    "continuation line without an entry before it".into(),
                ));
            };
            text.push(' ');
            starts.push((text.len(), number));
            text.push_str(trimmed);
        } else {
            entries.push((number, line.to_owned(), vec![(0, number)]));
        }
    }

    let mut aliases = Aliases::default();
    for (number, text, starts) in entries {
        let line_at = |offset: usize| {
            starts
                .iter()
                .rev()
                .find(|(start, _)| *start <= offset)
                .map_or(number, |&(_, n)| n)
        };
        let (name, rest_at) =
            parse_name(&text).map_err(|e| invalid("aliases file", path, number, e))?;
        let mut targets = Vec::new();
        for (offset, target) in split_targets(&text, rest_at) {
            let bare = unquote_whole(target);
            let kind = if bare.starts_with('|') {
                Some("|command")
            } else if bare.starts_with('/') {
                Some("/file")
            } else if bare
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case(":include:"))
            {
                Some(":include:")
            } else {
                None
            };
            if target.chars().any(char::is_control) {
                return Err(invalid(
                    "aliases file",
                    path,
                    line_at(offset),
                    format!("alias {name}: a target has a control character"),
                ));
            }
            if let Some(kind) = kind {
                return Err(invalid(
                    "aliases file",
                    path,
                    line_at(offset),
                    format!("alias {name}: {kind} targets are not supported"),
                ));
            }
            targets.push(target.to_owned());
        }
        if targets.is_empty() {
            return Err(invalid(
                "aliases file",
                path,
                number,
                format!("alias {name} has no targets"),
            ));
        }
        let key = fold(&name);
        if key.is_empty() || key.ends_with('@') || key.chars().any(char::is_control) {
            return Err(invalid(
                "aliases file",
                path,
                number,
                format!("invalid alias name '{name}'"),
            ));
        }
        if aliases.index.contains_key(&key) {
            tracing::warn!(
                "aliases file {}:{number}: duplicate entry {key}; the first one wins",
                path.display()
            );
            continue;
        }
        if let Some((_, domain)) = key.rsplit_once('@') {
            aliases.domains.insert(domain.to_owned());
        }
        aliases.index.insert(key.clone(), aliases.list.len());
        aliases.list.push((key, targets));
    }
    Ok(aliases)
}

/// The name of an entry (unquoted if it is one quoted string), and where
/// its targets start: after the first colon outside quotes.
fn parse_name(text: &str) -> Result<(String, usize), String> {
    let mut quoted = false;
    let mut escaped = false;
    let mut colon = None;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ':' && !quoted {
            colon = Some(i);
            break;
        }
    }
    let Some(colon) = colon else {
        return Err(if quoted {
            "unterminated quoted name".into()
        } else {
            "need name: value pair".into()
        });
    };
    let name = unquote_whole(text[..colon].trim_end());
    if name.is_empty() {
        return Err("empty alias name".into());
    }
    Ok((name.into_owned(), colon + 1))
}

/// The targets after `from`, split on commas outside quotes and trimmed,
/// with where each starts.
fn split_targets(text: &str, from: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = from;
    let mut quoted = false;
    let mut escaped = false;
    let mut push = |start: usize, end: usize| {
        let piece = &text[start..end];
        let trimmed = piece.trim_start();
        let offset = start + piece.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if !trimmed.is_empty() {
            out.push((offset, trimmed));
        }
    };
    for (i, c) in text[from..].char_indices() {
        let i = from + i;
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            push(start, i);
            start = i + 1;
        }
    }
    push(start, text.len());
    out
}

/// `"…"` without its quotes (and backslash escapes) when the quotes
/// enclose the whole target; else the target as it is.
fn unquote_whole(target: &str) -> std::borrow::Cow<'_, str> {
    let Some(inner) = target.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return target.into();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            // A quote inside: not one quoted string (`"a"@"b"`).
            '"' => return target.into(),
            c => out.push(c),
        }
    }
    out.into()
}
