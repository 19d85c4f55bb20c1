//! Message flags and keywords.

use super::core::Atom;

/// A flag of a message: a system flag, a keyword or an extension flag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Flag<'a> {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// `\Recent` (IMAP4rev1; only in FETCH and FLAGS responses, never
    /// stored by a client).
    Recent,
    /// A keyword, such as `$Forwarded` or `NonJunk`.
    Keyword(Atom<'a>),
    /// Another `\`-flag (`flag-extension`), without its backslash.
    Extension(Atom<'a>),
}

impl Flag<'_> {
    /// The same flag, owning its text.
    pub fn into_owned(self) -> Flag<'static> {
        match self {
            Flag::Answered => Flag::Answered,
            Flag::Flagged => Flag::Flagged,
            Flag::Deleted => Flag::Deleted,
            Flag::Seen => Flag::Seen,
            Flag::Draft => Flag::Draft,
            Flag::Recent => Flag::Recent,
            Flag::Keyword(a) => Flag::Keyword(a.into_owned()),
            Flag::Extension(a) => Flag::Extension(a.into_owned()),
        }
    }
}

/// An element of PERMANENTFLAGS: a flag, or `\*` (clients may create
/// keywords).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FlagPerm<'a> {
    /// A flag that can be changed permanently.
    Flag(Flag<'a>),
    /// `\*`: new keywords can be created.
    Wildcard,
}

/// How STORE changes the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `FLAGS`: replace them.
    Replace,
    /// `+FLAGS`: add these.
    Add,
    /// `-FLAGS`: remove these.
    Remove,
}
