//! Maildir file names: the unique part, Dovecot's `,S=`/`,W=` fields and the
//! `:2,FLAGS` info suffix, plus generation of new unique names.
//!
//! A Maildir file name has the form `unique[,KEY=VALUE]...[:2,FLAGS]`
//! (see <https://cr.yp.to/proto/maildir.html> and Dovecot's
//! `maildir_filename`): Dovecot puts `,S=<size>` and `,W=<vsize>` before the
//! info, other `,KEY=VALUE` fields are kept as they are, files in `new/`
//! usually carry no info, and an experimental `:1,...` info is kept raw.
//!
//! ```
//! use maildir::name::{Flag, Flags, MessageName};
//!
//! let name = MessageName::parse("1700000000.M1P2Q3.host,S=120,W=124:2,RS").unwrap();
//! assert_eq!(name.base(), "1700000000.M1P2Q3.host");
//! assert_eq!(name.size(), Some(120));
//! assert_eq!(name.vsize(), Some(124));
//! assert!(name.flags().unwrap().contains(Flag::Seen));
//!
//! let mut flags = Flags::new();
//! flags.insert(Flag::Trashed);
//! flags.insert_keyword('a');
//! assert_eq!(
//!     name.with_flags(&flags),
//!     "1700000000.M1P2Q3.host,S=120,W=124:2,Ta"
//! );
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// One of the six standard Maildir flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `D`: the user considers this message a draft.
    Draft,
    /// `F`: flagged for urgent/special attention (IMAP `\Flagged`).
    Flagged,
    /// `P`: passed (resent, forwarded or bounced).
    Passed,
    /// `R`: replied to (IMAP `\Answered`).
    Replied,
    /// `S`: seen (IMAP `\Seen`).
    Seen,
    /// `T`: trashed, to be removed (IMAP `\Deleted`).
    Trashed,
}

impl Flag {
    /// All six flags, in the order their letters sort.
    pub const ALL: [Flag; 6] = [
        Flag::Draft,
        Flag::Flagged,
        Flag::Passed,
        Flag::Replied,
        Flag::Seen,
        Flag::Trashed,
    ];

    /// The flag's letter in a file name.
    pub fn letter(self) -> char {
        match self {
            Flag::Draft => 'D',
            Flag::Flagged => 'F',
            Flag::Passed => 'P',
            Flag::Replied => 'R',
            Flag::Seen => 'S',
            Flag::Trashed => 'T',
        }
    }

    /// The flag a letter stands for, if it is one of `DFPRST`.
    pub fn from_letter(letter: char) -> Option<Flag> {
        Some(match letter {
            'D' => Flag::Draft,
            'F' => Flag::Flagged,
            'P' => Flag::Passed,
            'R' => Flag::Replied,
            'S' => Flag::Seen,
            'T' => Flag::Trashed,
            _ => return None,
        })
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The flags of a message: the six standard flags plus the keyword letters
/// `a`–`z` (whose meaning a `dovecot-keywords` file gives).
///
/// Written sorted in ASCII order (uppercase before lowercase), each letter
/// once, as the Maildir specification requires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    standard: u8,
    keywords: u32,
}

impl Flags {
    /// No flags.
    pub const fn new() -> Self {
        Flags {
            standard: 0,
            keywords: 0,
        }
    }

    /// Parses the letters after `:2,`, in any order, duplicates allowed.
    ///
    /// Fails with [`Error::InvalidName`] on a character that is neither a
    /// standard flag letter nor `a`–`z`.
    pub fn parse(letters: &str) -> Result<Self> {
        let mut flags = Flags::new();
        for c in letters.chars() {
            if !flags.insert_letter(c) {
                return Err(Error::InvalidName {
                    name: letters.to_owned(),
                    reason: "unknown flag letter (expected DFPRST or a-z)",
                });
            }
        }
        Ok(flags)
    }

    /// Whether there are no flags and no keywords.
    pub fn is_empty(&self) -> bool {
        self.standard == 0 && self.keywords == 0
    }

    /// Whether `flag` is set.
    pub fn contains(&self, flag: Flag) -> bool {
        self.standard & flag.bit() != 0
    }

    /// Sets `flag`.
    pub fn insert(&mut self, flag: Flag) {
        self.standard |= flag.bit();
    }

    /// Clears `flag`.
    pub fn remove(&mut self, flag: Flag) {
        self.standard &= !flag.bit();
    }

    /// Whether keyword letter `letter` (`a`–`z`) is set; `false` for any
    /// other character.
    pub fn contains_keyword(&self, letter: char) -> bool {
        keyword_bit(letter).is_some_and(|b| self.keywords & b != 0)
    }

    /// Sets keyword letter `letter`; returns `false` (and changes nothing)
    /// if it is not in `a`–`z`.
    pub fn insert_keyword(&mut self, letter: char) -> bool {
        match keyword_bit(letter) {
            Some(b) => {
                self.keywords |= b;
                true
            }
            None => false,
        }
    }

    /// Clears keyword letter `letter` (no-op outside `a`–`z`).
    pub fn remove_keyword(&mut self, letter: char) {
        if let Some(b) = keyword_bit(letter) {
            self.keywords &= !b;
        }
    }

    /// Sets the standard flag or keyword `letter`; returns `false` if it
    /// is neither.
    pub fn insert_letter(&mut self, letter: char) -> bool {
        match Flag::from_letter(letter) {
            Some(f) => {
                self.insert(f);
                true
            }
            None => self.insert_keyword(letter),
        }
    }

    /// The standard flags that are set, in letter order.
    pub fn standard(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::ALL.into_iter().filter(|f| self.contains(*f))
    }

    /// The keyword letters that are set, in order.
    pub fn keywords(&self) -> impl Iterator<Item = char> + '_ {
        (b'a'..=b'z')
            .map(char::from)
            .filter(|c| self.contains_keyword(*c))
    }
}

fn keyword_bit(letter: char) -> Option<u32> {
    letter
        .is_ascii_lowercase()
        .then(|| 1u32 << (letter as u32 - 'a' as u32))
}

impl fmt::Display for Flags {
    /// The letters, sorted (uppercase first) and without duplicates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        for flag in self.standard() {
            f.write_char(flag.letter())?;
        }
        for k in self.keywords() {
            f.write_char(k)?;
        }
        Ok(())
    }
}

impl FromStr for Flags {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Flags::parse(s)
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut flags = Flags::new();
        for f in iter {
            flags.insert(f);
        }
        flags
    }
}

/// The info suffix of a file name (after the `:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Info {
    /// No `:` at all (typical in `new/`).
    None,
    /// `:2,FLAGS`.
    Flags(Flags),
    /// Any other version, e.g. the experimental `:1,...`: kept as written
    /// (without the `:`).
    Raw(String),
}

/// A parsed Maildir file name.
///
/// Displays as the canonical file name: the base, the fields in their
/// original order, and the info with flags sorted and deduplicated (so a
/// name that was already canonical round-trips exactly).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageName {
    /// The base and all `,KEY=VALUE` fields, exactly as written.
    stem: String,
    /// Length of the base inside `stem`.
    base_len: usize,
    size: Option<u64>,
    vsize: Option<u64>,
    info: Info,
}

fn invalid(name: &str, reason: &'static str) -> Error {
    Error::InvalidName {
        name: name.to_owned(),
        reason,
    }
}

impl MessageName {
    /// Parses a file name (not a path) as found in `new/` or `cur/`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] when the name is empty, contains `/` or NUL,
    /// starts with `.`, has an empty unique part, a field that is not
    /// `KEY=VALUE`, a non-numeric or repeated `S=`/`W=`, an info that does
    /// not start with `<digit>,`, or an unknown letter after `:2,`.
    pub fn parse(name: &str) -> Result<Self> {
        if name.is_empty() {
            return Err(invalid(name, "empty name"));
        }
        if name.contains(['/', '\0']) {
            return Err(invalid(name, "contains '/' or NUL"));
        }
        if name.starts_with('.') {
            return Err(invalid(name, "starts with '.'"));
        }
        let (stem, info) = match name.split_once(':') {
            Some((stem, info)) => (stem, Some(info)),
            None => (name, None),
        };
        let mut parts = stem.split(',');
        let base = parts.next().unwrap_or_default();
        if base.is_empty() {
            return Err(invalid(name, "empty unique part"));
        }
        let (mut size, mut vsize) = (None, None);
        for field in parts {
            let Some((key, value)) = field.split_once('=') else {
                return Err(invalid(name, "field without '='"));
            };
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid(name, "field key is empty or not alphanumeric"));
            }
            let slot = match key {
                "S" => &mut size,
                "W" => &mut vsize,
                _ => continue,
            };
            if slot.is_some() {
                return Err(invalid(name, "repeated S= or W= field"));
            }
            *slot = Some(
                parse_decimal(value).ok_or_else(|| invalid(name, "S= or W= is not a number"))?,
            );
        }
        let info = match info {
            None => Info::None,
            Some(info) => match info.as_bytes() {
                [b'2', b',', ..] => Info::Flags(
                    Flags::parse(&info[2..])
                        .map_err(|_| invalid(name, "unknown flag letter after ':2,'"))?,
                ),
                [v, b',', ..] if v.is_ascii_digit() => Info::Raw(info.to_owned()),
                _ => {
                    return Err(invalid(
                        name,
                        "info does not start with a version digit and ','",
                    ));
                }
            },
        };
        Ok(MessageName {
            stem: stem.to_owned(),
            base_len: base.len(),
            size,
            vsize,
            info,
        })
    }

    /// The unique part, without fields or info.
    pub fn base(&self) -> &str {
        &self.stem[..self.base_len]
    }

    /// The base and all `,KEY=VALUE` fields: the name without its info.
    pub fn without_info(&self) -> &str {
        &self.stem
    }

    /// The message size in bytes from the `,S=` field.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The size with CRLF line endings from the `,W=` field.
    pub fn vsize(&self) -> Option<u64> {
        self.vsize
    }

    /// The value of field `key` (`"S"`, `"W"` or any other), as written.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// All `,KEY=VALUE` fields in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.stem[self.base_len..]
            .split(',')
            .skip(1)
            .filter_map(|f| f.split_once('='))
    }

    /// The flags from a `:2,` info; `None` when the name has no info or an
    /// info of another version.
    pub fn flags(&self) -> Option<Flags> {
        match self.info {
            Info::Flags(f) => Some(f),
            _ => None,
        }
    }

    /// A non-`2` info as written, without the `:` (e.g. `"1,xyz"`).
    pub fn raw_info(&self) -> Option<&str> {
        match &self.info {
            Info::Raw(s) => Some(s),
            _ => None,
        }
    }

    /// A file name with the same base and fields and `:2,` + `flags`
    /// (replacing any info this name had).
    pub fn with_flags(&self, flags: &Flags) -> String {
        format!("{}:2,{flags}", self.stem)
    }
}

fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for MessageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stem)?;
        match &self.info {
            Info::None => Ok(()),
            Info::Flags(flags) => write!(f, ":2,{flags}"),
            Info::Raw(raw) => write!(f, ":{raw}"),
        }
    }
}

impl FromStr for MessageName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        MessageName::parse(s)
    }
}

/// Escapes a host name for a unique name: `/` → `\057`, `:` → `\072`
/// (as the Maildir specification says) and also `,` → `\054` (so the
/// host cannot be mistaken for a Dovecot field).
pub fn escape_hostname(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            ',' => out.push_str("\\054"),
            c => out.push(c),
        }
    }
    out
}

/// This machine's host name, escaped with [`escape_hostname`]: from
/// `/proc/sys/kernel/hostname`, else the `HOSTNAME` environment variable,
/// else `localhost`. Read once per process.
pub fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                std::env::var("HOSTNAME")
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "localhost".to_owned());
        escape_hostname(&raw)
    })
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The order in which messages arrived, from their file names: the
/// numbers in them (`<secs>.M<usecs>P<pid>Q<counter>…`) compared as
/// numbers, the rest as text. Microseconds and counters are not
/// zero-padded, so `…M99P…` came before `…M100P…` and `…Q9.` before
/// `…Q10.` although text order says otherwise.
///
/// ```
/// use maildir::name::arrival_order;
/// use std::cmp::Ordering;
/// assert_eq!(arrival_order("1000.M99P1Q1.h", "1000.M100P1Q2.h"), Ordering::Less);
/// assert_eq!(arrival_order("999.M5P1Q1.h", "1000.M0P1Q2.h"), Ordering::Less);
/// assert_eq!(arrival_order("1000.M1P1Q9.h", "1000.M1P1Q10.h"), Ordering::Less);
/// ```
pub fn arrival_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let run =
                |s: &[u8], k: usize| k + s[k..].iter().take_while(|c| c.is_ascii_digit()).count();
            let (end_a, end_b) = (run(a, i), run(b, j));
            let (x, y) = (
                without_leading_zeros(&a[i..end_a]),
                without_leading_zeros(&b[j..end_b]),
            );
            match x.len().cmp(&y.len()).then_with(|| x.cmp(y)) {
                Ordering::Equal => (i, j) = (end_a, end_b),
                unequal => return unequal,
            }
        } else {
            match a[i].cmp(&b[j]) {
                Ordering::Equal => (i, j) = (i + 1, j + 1),
                unequal => return unequal,
            }
        }
    }
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

/// Leading zeros do not change a number.
fn without_leading_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

/// A new unique name, as Dovecot makes them:
/// `<secs>.M<usecs>P<pid>Q<counter>.<host>`, where the counter is
/// process-wide and increases with every call.
pub fn unique_name() -> String {
    unique_name_at(SystemTime::now())
}

/// [`unique_name`] for a given time (times before 1970 count as 1970).
pub fn unique_name_at(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let q = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!(
        "{}.M{}P{}Q{}.{}",
        since.as_secs(),
        since.subsec_micros(),
        std::process::id(),
        q,
        hostname()
    )
}
