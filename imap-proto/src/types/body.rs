//! ENVELOPE and BODYSTRUCTURE, as FETCH returns them.

use super::core::{NString, Str};

/// The envelope of a message (or of an attached message/rfc822).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Envelope<'a> {
    /// Date:.
    pub date: NString<'a>,
    /// Subject:.
    pub subject: NString<'a>,
    /// From: (empty for NIL).
    pub from: Vec<Address<'a>>,
    /// Sender:.
    pub sender: Vec<Address<'a>>,
    /// Reply-To:.
    pub reply_to: Vec<Address<'a>>,
    /// To:.
    pub to: Vec<Address<'a>>,
    /// Cc:.
    pub cc: Vec<Address<'a>>,
    /// Bcc:.
    pub bcc: Vec<Address<'a>>,
    /// In-Reply-To:.
    pub in_reply_to: NString<'a>,
    /// Message-ID:.
    pub message_id: NString<'a>,
}

/// An address of an envelope; a group is a mailbox-only start
/// (`host` NIL) and a NIL-mailbox end.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Address<'a> {
    /// The display name.
    pub name: NString<'a>,
    /// The source route (obsolete).
    pub adl: NString<'a>,
    /// The local part (or the group name).
    pub mailbox: NString<'a>,
    /// The domain.
    pub host: NString<'a>,
}

/// A BODYSTRUCTURE (or BODY) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyStructure<'a> {
    /// A non-multipart part.
    Single {
        /// The part.
        body: SinglePart<'a>,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<SinglePartExtension<'a>>,
    },
    /// A multipart.
    Multi {
        /// Its parts, at least one.
        parts: Vec<BodyStructure<'a>>,
        /// The subtype (`MIXED`, `ALTERNATIVE`...).
        subtype: Str<'a>,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<MultiPartExtension<'a>>,
    },
}

/// The fields of a non-multipart part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinglePart<'a> {
    /// The media type and what it adds.
    pub kind: SingleKind<'a>,
    /// Content-Type parameters (empty for NIL).
    pub params: Vec<(Str<'a>, Str<'a>)>,
    /// Content-ID.
    pub id: NString<'a>,
    /// Content-Description.
    pub description: NString<'a>,
    /// Content-Transfer-Encoding.
    pub encoding: Str<'a>,
    /// The size in octets, encoded.
    pub size: u32,
}

/// The media type of a non-multipart part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SingleKind<'a> {
    /// Any type but text and message/rfc822.
    Basic {
        /// The type (`APPLICATION`...).
        media_type: Str<'a>,
        /// The subtype.
        subtype: Str<'a>,
    },
    /// `TEXT/subtype`, with its size in lines.
    Text {
        /// The subtype.
        subtype: Str<'a>,
        /// Lines.
        lines: u32,
    },
    /// `MESSAGE/RFC822` (or `MESSAGE/GLOBAL`), with the attached
    /// message's envelope and structure.
    Message {
        /// `RFC822` or `GLOBAL`.
        subtype: Str<'a>,
        /// Its envelope.
        envelope: Box<Envelope<'a>>,
        /// Its structure.
        body: Box<BodyStructure<'a>>,
        /// Lines.
        lines: u32,
    },
}

/// Extension data of a non-multipart part: MD5, then the shared tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinglePartExtension<'a> {
    /// Content-MD5.
    pub md5: NString<'a>,
    /// Disposition, language, location and more, if present.
    pub tail: Option<ExtensionTail<'a>>,
}

/// Extension data of a multipart: parameters, then the shared tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiPartExtension<'a> {
    /// Content-Type parameters.
    pub params: Vec<(Str<'a>, Str<'a>)>,
    /// Disposition, language, location and more, if present.
    pub tail: Option<ExtensionTail<'a>>,
}

/// Disposition, then optionally language and what follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionTail<'a> {
    /// Content-Disposition and its parameters (`None` for NIL).
    pub disposition: Option<(Str<'a>, Vec<(Str<'a>, Str<'a>)>)>,
    /// Language and what follows, if present.
    pub language: Option<LanguageTail<'a>>,
}

/// Content-Language, then optionally location and what follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguageTail<'a> {
    /// The languages (empty for NIL).
    pub languages: Vec<Str<'a>>,
    /// Location and further extensions, if present.
    pub location: Option<LocationTail<'a>>,
}

/// Content-Location, then any future extension values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationTail<'a> {
    /// Content-Location.
    pub location: NString<'a>,
    /// `body-extension`s defined later.
    pub extensions: Vec<BodyExtension<'a>>,
}

/// A `body-extension`: a string, a number or a list of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyExtension<'a> {
    /// An nstring.
    String(NString<'a>),
    /// A number.
    Number(u32),
    /// A parenthesised list (never empty).
    List(Vec<BodyExtension<'a>>),
}

fn own(s: NString<'_>) -> NString<'static> {
    s.map(Str::into_owned)
}

fn own_params(v: Vec<(Str<'_>, Str<'_>)>) -> Vec<(Str<'static>, Str<'static>)> {
    v.into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn own_addresses(v: Vec<Address<'_>>) -> Vec<Address<'static>> {
    v.into_iter().map(Address::into_owned).collect()
}

impl Envelope<'_> {
    /// The same envelope, owning its text.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            date: own(self.date),
            subject: own(self.subject),
            from: own_addresses(self.from),
            sender: own_addresses(self.sender),
            reply_to: own_addresses(self.reply_to),
            to: own_addresses(self.to),
            cc: own_addresses(self.cc),
            bcc: own_addresses(self.bcc),
            in_reply_to: own(self.in_reply_to),
            message_id: own(self.message_id),
        }
    }
}

impl Address<'_> {
    /// The same address, owning its text.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            name: own(self.name),
            adl: own(self.adl),
            mailbox: own(self.mailbox),
            host: own(self.host),
        }
    }
}

impl BodyStructure<'_> {
    /// The same structure, owning its text.
    pub fn into_owned(self) -> BodyStructure<'static> {
        match self {
            BodyStructure::Single { body, extension } => BodyStructure::Single {
                body: body.into_owned(),
                extension: extension.map(|e| SinglePartExtension {
                    md5: own(e.md5),
                    tail: e.tail.map(ExtensionTail::into_owned),
                }),
            },
            BodyStructure::Multi {
                parts,
                subtype,
                extension,
            } => BodyStructure::Multi {
                parts: parts.into_iter().map(BodyStructure::into_owned).collect(),
                subtype: subtype.into_owned(),
                extension: extension.map(|e| MultiPartExtension {
                    params: own_params(e.params),
                    tail: e.tail.map(ExtensionTail::into_owned),
                }),
            },
        }
    }
}

impl SinglePart<'_> {
    /// The same part, owning its text.
    pub fn into_owned(self) -> SinglePart<'static> {
        SinglePart {
            kind: match self.kind {
                SingleKind::Basic {
                    media_type,
                    subtype,
                } => SingleKind::Basic {
                    media_type: media_type.into_owned(),
                    subtype: subtype.into_owned(),
                },
                SingleKind::Text { subtype, lines } => SingleKind::Text {
                    subtype: subtype.into_owned(),
                    lines,
                },
                SingleKind::Message {
                    subtype,
                    envelope,
                    body,
                    lines,
                } => SingleKind::Message {
                    subtype: subtype.into_owned(),
                    envelope: Box::new(envelope.into_owned()),
                    body: Box::new(body.into_owned()),
                    lines,
                },
            },
            params: own_params(self.params),
            id: own(self.id),
            description: own(self.description),
            encoding: self.encoding.into_owned(),
            size: self.size,
        }
    }
}

impl ExtensionTail<'_> {
    /// The same extension data, owning its text.
    pub fn into_owned(self) -> ExtensionTail<'static> {
        ExtensionTail {
            disposition: self
                .disposition
                .map(|(kind, params)| (kind.into_owned(), own_params(params))),
            language: self.language.map(|l| LanguageTail {
                languages: l.languages.into_iter().map(Str::into_owned).collect(),
                location: l.location.map(|loc| LocationTail {
                    location: own(loc.location),
                    extensions: loc
                        .extensions
                        .into_iter()
                        .map(BodyExtension::into_owned)
                        .collect(),
                }),
            }),
        }
    }
}

impl BodyExtension<'_> {
    /// The same extension value, owning its text.
    pub fn into_owned(self) -> BodyExtension<'static> {
        match self {
            BodyExtension::String(s) => BodyExtension::String(own(s)),
            BodyExtension::Number(n) => BodyExtension::Number(n),
            BodyExtension::List(v) => {
                BodyExtension::List(v.into_iter().map(BodyExtension::into_owned).collect())
            }
        }
    }
}
