//! FETCH attributes (what a client asks for), sections and modifiers.

use std::num::NonZeroU32;

use super::core::{Atom, Str, owned_strs};

/// What a FETCH command asks for: a macro or a list of attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchAttributes<'a> {
    /// `ALL`: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE.
    All,
    /// `FAST`: FLAGS INTERNALDATE RFC822.SIZE.
    Fast,
    /// `FULL`: ALL and BODY.
    Full,
    /// One attribute, or a parenthesised list (never empty).
    List(Vec<FetchAttribute<'a>>),
}

/// One attribute of a FETCH command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchAttribute<'a> {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (IMAP4rev1).
    Rfc822,
    /// `RFC822.HEADER` (IMAP4rev1).
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT` (IMAP4rev1).
    Rfc822Text,
    /// `BODY` (the structure without extension data).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `MODSEQ` (CONDSTORE).
    ModSeq,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`.
    BodySection {
        /// `BODY.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The section.
        section: Section<'a>,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]` (RFC 3516).
    Binary {
        /// `BINARY.PEEK`.
        peek: bool,
        /// The part numbers (empty: the whole message).
        part: Vec<NonZeroU32>,
        /// `<offset.length>`.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]`.
    BinarySize {
        /// The part numbers.
        part: Vec<NonZeroU32>,
    },
    /// `SAVEDATE` (RFC 8514).
    SaveDate,
    /// `PREVIEW` or `PREVIEW (LAZY)` (RFC 8970).
    Preview {
        /// `(LAZY)`: only if the server has it at hand.
        lazy: bool,
    },
    /// An attribute this crate does not know (`X-GM-LABELS`, Dovecot's
    /// `SNIPPET (FUZZY)`), with its parenthesised modifiers if any (only
    /// inside a parenthesised attribute list: a bare one's parentheses
    /// would be FETCH's modifiers).
    Other {
        /// Its name.
        name: Atom<'a>,
        /// `(FUZZY)`...
        modifiers: Vec<Atom<'a>>,
    },
}

/// `<offset.length>` of a partial fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Partial {
    /// The first octet.
    pub offset: u32,
    /// How many octets at most.
    pub length: NonZeroU32,
}

/// A `section`: part numbers, then what of that part.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Section<'a> {
    /// `1.2.3`: the part (empty: the whole message).
    pub part: Vec<NonZeroU32>,
    /// HEADER, TEXT, MIME... (`None`: the part's whole content).
    pub text: Option<SectionText<'a>>,
}

/// What of a part a section names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionText<'a> {
    /// `HEADER`.
    Header,
    /// `HEADER.FIELDS (names)`.
    HeaderFields(Vec<Str<'a>>),
    /// `HEADER.FIELDS.NOT (names)`.
    HeaderFieldsNot(Vec<Str<'a>>),
    /// `TEXT`.
    Text,
    /// `MIME` (only after part numbers).
    Mime,
}

/// FETCH modifiers (RFC 7162).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE mod-sequence`.
    pub changed_since: Option<u64>,
    /// `VANISHED` (QRESYNC; with UID FETCH and CHANGEDSINCE only).
    pub vanished: bool,
}

impl FetchAttributes<'_> {
    /// The same attributes, owning their text.
    pub fn into_owned(self) -> FetchAttributes<'static> {
        match self {
            FetchAttributes::All => FetchAttributes::All,
            FetchAttributes::Fast => FetchAttributes::Fast,
            FetchAttributes::Full => FetchAttributes::Full,
            FetchAttributes::List(v) => {
                FetchAttributes::List(v.into_iter().map(FetchAttribute::into_owned).collect())
            }
        }
    }
}

impl FetchAttribute<'_> {
    /// The same attribute, owning its text.
    pub fn into_owned(self) -> FetchAttribute<'static> {
        match self {
            FetchAttribute::Envelope => FetchAttribute::Envelope,
            FetchAttribute::Flags => FetchAttribute::Flags,
            FetchAttribute::InternalDate => FetchAttribute::InternalDate,
            FetchAttribute::Rfc822 => FetchAttribute::Rfc822,
            FetchAttribute::Rfc822Header => FetchAttribute::Rfc822Header,
            FetchAttribute::Rfc822Size => FetchAttribute::Rfc822Size,
            FetchAttribute::Rfc822Text => FetchAttribute::Rfc822Text,
            FetchAttribute::Body => FetchAttribute::Body,
            FetchAttribute::BodyStructure => FetchAttribute::BodyStructure,
            FetchAttribute::Uid => FetchAttribute::Uid,
            FetchAttribute::ModSeq => FetchAttribute::ModSeq,
            FetchAttribute::BodySection {
                peek,
                section,
                partial,
            } => FetchAttribute::BodySection {
                peek,
                section: section.into_owned(),
                partial,
            },
            FetchAttribute::Binary {
                peek,
                part,
                partial,
            } => FetchAttribute::Binary {
                peek,
                part,
                partial,
            },
            FetchAttribute::BinarySize { part } => FetchAttribute::BinarySize { part },
            FetchAttribute::SaveDate => FetchAttribute::SaveDate,
            FetchAttribute::Preview { lazy } => FetchAttribute::Preview { lazy },
            FetchAttribute::Other { name, modifiers } => FetchAttribute::Other {
                name: name.into_owned(),
                modifiers: modifiers.into_iter().map(Atom::into_owned).collect(),
            },
        }
    }
}

impl Section<'_> {
    /// The same section, owning its field names.
    pub fn into_owned(self) -> Section<'static> {
        Section {
            part: self.part,
            text: self.text.map(|t| match t {
                SectionText::Header => SectionText::Header,
                SectionText::HeaderFields(v) => SectionText::HeaderFields(owned_strs(v)),
                SectionText::HeaderFieldsNot(v) => SectionText::HeaderFieldsNot(owned_strs(v)),
                SectionText::Text => SectionText::Text,
                SectionText::Mime => SectionText::Mime,
            }),
        }
    }
}
