//! The atoms of the grammar: tags, atoms, string values.

use std::borrow::Cow;
use std::fmt;

/// A command tag (`tag` in RFC 9051: one or more ASTRING-CHARs but `+`).
///
/// Built through [`Tag::new`], which checks the characters, or by the
/// parser; the encoder can then write it as it is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tag<'a>(Cow<'a, str>);

impl<'a> Tag<'a> {
    /// A tag, if `text` is a valid one.
    ///
    /// ```
    /// use imap_proto::Tag;
    /// assert!(Tag::new("A001").is_some());
    /// assert!(Tag::new("a+b").is_none());
    /// assert!(Tag::new("").is_none());
    /// ```
    pub fn new(text: impl Into<Cow<'a, str>>) -> Option<Tag<'a>> {
        let text = text.into();
        (!text.is_empty() && text.bytes().all(is_tag_char)).then_some(Tag(text))
    }

    /// Trusted construction by the parser, which has checked the bytes.
    pub(crate) fn unchecked(text: Cow<'a, str>) -> Tag<'a> {
        Tag(text)
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same tag, owning its text.
    pub fn into_owned(self) -> Tag<'static> {
        Tag(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", self.0)
    }
}

/// An atom (`atom`: one or more ATOM-CHARs), such as a keyword, a
/// capability's name or a SASL mechanism.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Atom<'a>(Cow<'a, str>);

impl<'a> Atom<'a> {
    /// An atom, if `text` is a valid one.
    ///
    /// ```
    /// use imap_proto::Atom;
    /// assert!(Atom::new("$Forwarded").is_some());
    /// assert!(Atom::new("two words").is_none());
    /// ```
    pub fn new(text: impl Into<Cow<'a, str>>) -> Option<Atom<'a>> {
        let text = text.into();
        (!text.is_empty() && text.bytes().all(is_atom_char)).then_some(Atom(text))
    }

    pub(crate) fn unchecked(text: Cow<'a, str>) -> Atom<'a> {
        Atom(text)
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this atom is `other`, ignoring ASCII case (atoms of the
    /// protocol, like capability names, compare case-insensitively).
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }

    /// The same atom, owning its text.
    pub fn into_owned(self) -> Atom<'static> {
        Atom(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.0)
    }
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The value of a string (`astring`, `string`, or the non-NIL form of
/// `nstring`): bytes, whatever form (atom, quoted, literal) carried them.
/// The encoder chooses the form from the bytes and the place.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str<'a>(Cow<'a, [u8]>);

impl<'a> Str<'a> {
    /// A string of these bytes. Any bytes can be carried (as a literal if
    /// need be), but NUL only in a `literal8`.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Str<'a> {
        Str(bytes.into())
    }

    /// The string's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as text, if they are UTF-8.
    pub fn as_utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The bytes, taken out.
    pub fn into_bytes(self) -> Cow<'a, [u8]> {
        self.0
    }

    /// The same string, owning its bytes.
    pub fn into_owned(self) -> Str<'static> {
        Str(Cow::Owned(self.0.into_owned()))
    }
}

impl<'a> From<&'a str> for Str<'a> {
    fn from(text: &'a str) -> Str<'a> {
        Str(Cow::Borrowed(text.as_bytes()))
    }
}

impl<'a> From<&'a [u8]> for Str<'a> {
    fn from(bytes: &'a [u8]) -> Str<'a> {
        Str(Cow::Borrowed(bytes))
    }
}

impl From<String> for Str<'static> {
    fn from(text: String) -> Str<'static> {
        Str(Cow::Owned(text.into_bytes()))
    }
}

impl From<Vec<u8>> for Str<'static> {
    fn from(bytes: Vec<u8>) -> Str<'static> {
        Str(Cow::Owned(bytes))
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Str({:?})", String::from_utf8_lossy(&self.0))
    }
}

/// An `nstring`: a string or NIL.
pub type NString<'a> = Option<Str<'a>>;

/// `ATOM-CHAR`: any CHAR except atom-specials.
pub const fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e)
        && !matches!(
            b,
            b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
        )
}

/// `ASTRING-CHAR`: ATOM-CHAR or `]` (resp-specials).
pub const fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// A tag's characters: ASTRING-CHAR except `+`.
pub const fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// `list-char`: ATOM-CHAR, list-wildcards (`%`, `*`) or `]`.
pub const fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// Strings owning their bytes (for the `into_owned` of the types that hold
/// lists of them).
pub(crate) fn owned_strs(v: Vec<Str<'_>>) -> Vec<Str<'static>> {
    v.into_iter().map(Str::into_owned).collect()
}
