//! Mail paths (RFC 5321 §4.1.2): the reverse path of MAIL FROM, the forward
//! path of RCPT TO, mailboxes, domains and address literals.
//!
//! Values are stored decoded: a quoted local part is kept without its quotes
//! and backslashes, and [`Mailbox`]'s `Display` quotes it again when needed,
//! so parsing what was encoded gives back the same value.

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The domain part of a mailbox, or the argument of EHLO/HELO/LHLO.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Domain {
    /// A domain name: dot-separated labels (U-labels allowed with SMTPUTF8).
    Name(String),
    /// `[192.0.2.1]`.
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`.
    Ipv6(Ipv6Addr),
    /// A general address literal `[tag:content]` other than IPv6 (RFC 5321 §4.1.3).
    General {
        /// The standardized tag.
        tag: String,
        /// The literal's content after the colon.
        content: String,
    },
}

/// A mailbox: `local-part@domain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    /// The local part, decoded (no surrounding quotes, no quoting backslashes).
    pub local_part: String,
    /// The domain.
    pub domain: Domain,
}

/// The argument of MAIL FROM.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`: the null path of bounces and notifications.
    Null,
    /// A sender mailbox (any source route the client sent is dropped).
    Mailbox(Mailbox),
}

/// The argument of RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (RFC 5321 §4.1.1.3), matched case-insensitively.
    Postmaster,
    /// A recipient mailbox (any source route the client sent is dropped).
    Mailbox(Mailbox),
}

/// What a byte may be in a mail path, one bit per class, so the scanners
/// cost one table load per byte.
const ATEXT: u8 = 1;
const LDH: u8 = 2;

const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut class = 0;
        // RFC 5322 atext; every octet of a UTF-8 character counts as one (RFC 6531).
        if b.is_ascii_alphanumeric()
            || b >= 0x80
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
        {
            class |= ATEXT;
        }
        // Domain label characters, U-labels included.
        if b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80 {
            class |= LDH;
        }
        table[i] = class;
        i += 1;
    }
    table
};

fn is_atext(b: u8) -> bool {
    CLASS[usize::from(b)] & ATEXT != 0
}

fn is_ldh(b: u8) -> bool {
    CLASS[usize::from(b)] & LDH != 0
}

/// A path as the parser found it, before MAIL or RCPT decides what is allowed.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    /// `<>`.
    Null,
    /// `<Postmaster>`, any case.
    Postmaster,
    /// A mailbox, checked but not yet copied out of the line.
    Mailbox(MailboxSpan<'a>),
}

/// The two halves of a well-formed mailbox as they appear in the line.
///
/// Paths are checked first and copied last: nothing is allocated for a
/// command that turns out to be malformed, and the strings are built where
/// the command is, instead of being moved there.
#[derive(Clone, Copy)]
pub(crate) struct MailboxSpan<'a> {
    /// A Dot-string, or a Quoted-string with its quotes.
    local_part: &'a str,
    /// A domain name, or an address literal with its brackets.
    domain: &'a str,
}

impl MailboxSpan<'_> {
    /// Copies the mailbox out, decoding a quoted local part and a literal.
    #[inline(always)]
    pub(crate) fn to_mailbox(self) -> Option<Mailbox> {
        let local_part = match self.local_part.strip_prefix('"') {
            Some(quoted) => unquote(quoted.strip_suffix('"')?),
            None => self.local_part.to_owned(),
        };
        let domain = match self.domain.strip_prefix('[') {
            Some(literal) => parse_literal(literal.strip_suffix(']')?)?,
            None => Domain::Name(self.domain.to_owned()),
        };
        Some(Mailbox { local_part, domain })
    }
}

/// Checks a path (`<...>`) at the start of `s`; returns it with the number of
/// bytes it took, or `None` when it is malformed. `s` must be valid UTF-8 text
/// without control characters, as the command parser guarantees.
#[inline(always)]
pub(crate) fn parse_path(s: &str) -> Option<(Path<'_>, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let mut pos = 1;
    match *b.get(pos)? {
        b'>' => return Some((Path::Null, 2)),
        b'@' => pos = skip_source_route(b, pos)?,
        _ => {
            if let Some(rest) = b.get(1..12)
                && rest[..10].eq_ignore_ascii_case(b"postmaster")
                && rest[10] == b'>'
            {
                return Some((Path::Postmaster, 12));
            }
        }
    }
    let local_start = pos;
    pos = if b.get(pos) == Some(&b'"') {
        scan_quoted(b, pos + 1)?
    } else {
        scan_dot_string(b, pos)?
    };
    let local_part = s.get(local_start..pos)?;
    if b.get(pos) != Some(&b'@') {
        return None;
    }
    let domain_start = pos + 1;
    pos = if b.get(domain_start) == Some(&b'[') {
        let len = memchr::memchr(b']', b.get(domain_start + 1..)?)?;
        let end = domain_start + 1 + len;
        // Literals are rare: checking one by parsing it costs little.
        parse_literal(s.get(domain_start + 1..end)?)?;
        end + 1
    } else {
        scan_domain_name(b, domain_start)?
    };
    let domain = s.get(domain_start..pos)?;
    if b.get(pos) != Some(&b'>') {
        return None;
    }
    Some((Path::Mailbox(MailboxSpan { local_part, domain }), pos + 1))
}

/// Skips `@a.example,@b.example:` (RFC 5321 A-d-l). Relays must accept a
/// source route but ignore it (§4.1.2, Appendix C), so it is only checked.
fn skip_source_route(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        if b.get(pos) != Some(&b'@') {
            return None;
        }
        pos = scan_domain_name(b, pos + 1)?;
        match b.get(pos)? {
            b',' => pos += 1,
            b':' => return Some(pos + 1),
            _ => return None,
        }
    }
}

/// Returns the end of the Dot-string (atoms joined by single dots) at `pos`,
/// or `None` when there is none or it starts or ends with a dot.
fn scan_dot_string(b: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    loop {
        let rest = b.get(i..)?;
        let atom = rest
            .iter()
            .position(|&c| !is_atext(c))
            .unwrap_or(rest.len());
        if atom == 0 {
            return None;
        }
        i += atom;
        if b.get(i) != Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
}

/// Returns the index after the Quoted-string whose content starts at
/// `start` (just after the opening quote).
fn scan_quoted(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            // quoted-pairSMTP: a backslash and one printable ASCII character.
            b'\\' if (32..=126).contains(b.get(i + 1)?) => i += 2,
            // qtextSMTP and UTF-8; the quote and backslash are handled above.
            c if c >= 32 && c != b'\\' && c != 127 => i += 1,
            _ => return None,
        }
    }
}

/// The content of a checked Quoted-string without its quoting backslashes.
fn unquote(content: &str) -> String {
    let mut value = String::with_capacity(content.len());
    let mut escaped = false;
    for c in content.chars() {
        if c == '\\' && !escaped {
            escaped = true;
        } else {
            value.push(c);
            escaped = false;
        }
    }
    value
}

/// Returns the end of the domain name starting at `pos`: labels of letters,
/// digits, hyphens and UTF-8, not empty and not starting or ending with a
/// hyphen, separated by single dots.
fn scan_domain_name(b: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    loop {
        let label = b.get(i..)?;
        let len = label
            .iter()
            .position(|&c| !is_ldh(c))
            .unwrap_or(label.len());
        if len == 0 || label[0] == b'-' || label[len - 1] == b'-' {
            return None;
        }
        i += len;
        if b.get(i) != Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
}

/// The inside of `[...]`.
fn parse_literal(inner: &str) -> Option<Domain> {
    let Some((tag, content)) = inner.split_once(':') else {
        return parse_ipv4(inner).map(Domain::Ipv4);
    };
    if tag.eq_ignore_ascii_case("IPv6") {
        return content.parse().ok().map(Domain::Ipv6);
    }
    // Standardized-tag = Ldh-str; dcontent = %d33-90 / %d94-126.
    let tag_ok = !tag.is_empty()
        && !tag.ends_with('-')
        && tag.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    let content_ok =
        !content.is_empty() && content.bytes().all(|c| matches!(c, 33..=90 | 94..=126));
    (tag_ok && content_ok).then(|| Domain::General {
        tag: tag.to_owned(),
        content: content.to_owned(),
    })
}

/// `Snum 3("." Snum)` with Snum = 1*3DIGIT up to 255; unlike `Ipv4Addr`'s
/// parser this accepts the leading zeros RFC 5321's grammar allows.
fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// Whether `local` can be sent as a Dot-string, i.e. without quotes.
fn is_dot_string(local: &str) -> bool {
    scan_dot_string(local.as_bytes(), 0) == Some(local.len())
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::Name(name) => f.write_str(name),
            Domain::Ipv4(addr) => write!(f, "[{addr}]"),
            Domain::Ipv6(addr) => write!(f, "[IPv6:{addr}]"),
            Domain::General { tag, content } => write!(f, "[{tag}:{content}]"),
        }
    }
}

impl fmt::Display for Mailbox {
    /// `local@domain`, quoting the local part when it is not a Dot-string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_dot_string(&self.local_part) {
            f.write_str(&self.local_part)?;
        } else {
            f.write_char('"')?;
            for c in self.local_part.chars() {
                if c == '"' || c == '\\' {
                    f.write_char('\\')?;
                }
                f.write_char(c)?;
            }
            f.write_char('"')?;
        }
        write!(f, "@{}", self.domain)
    }
}

impl fmt::Display for ReversePath {
    /// `<>` or `<mailbox>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(mailbox) => write!(f, "<{mailbox}>"),
        }
    }
}

impl fmt::Display for ForwardPath {
    /// `<Postmaster>` or `<mailbox>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(mailbox) => write!(f, "<{mailbox}>"),
        }
    }
}
