//! Typed ESMTP parameters of MAIL FROM and RCPT TO.
//!
//! Parameters of the extensions this crate knows are parsed into fields;
//! anything else is kept in `other`, in order, for the session to judge.
//! `Display` writes the ` KEY=value` list as it follows the path on the
//! command line, xtext-encoding ENVID, ORCPT and AUTH.

use std::fmt;

use crate::parse::{ParseError, find_space, is_space};
use crate::xtext;

/// The BODY parameter (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `BODY=7BIT`.
    SevenBit,
    /// `BODY=8BITMIME`.
    EightBitMime,
    /// `BODY=BINARYMIME` (needs BDAT).
    BinaryMime,
}

/// The RET parameter of DSN (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `RET=FULL`: return the whole message in a failure notice.
    Full,
    /// `RET=HDRS`: return only the headers.
    Headers,
}

/// The NOTIFY parameter of DSN (RFC 3461 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NOTIFY=NEVER`.
    Never,
    /// A combination of SUCCESS, FAILURE and DELAY (at least one is set).
    On {
        /// `SUCCESS`.
        success: bool,
        /// `FAILURE`.
        failure: bool,
        /// `DELAY`.
        delay: bool,
    },
}

/// The ORCPT parameter of DSN (RFC 3461 §4.2): the original recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    /// The address type, usually `rfc822` (or `utf-8`, RFC 6533).
    pub addr_type: String,
    /// The address, xtext-decoded.
    pub address: String,
}

/// The AUTH parameter of MAIL FROM (RFC 4954 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthParam {
    /// `AUTH=<>`: the submitter is unknown or not trusted.
    Unknown,
    /// The authenticated submitter's identity, xtext-decoded.
    Identity(String),
}

/// A parameter no typed field covers: `KEYWORD` or `KEYWORD=value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    /// The keyword as sent (compare case-insensitively).
    pub keyword: String,
    /// The value, if the parameter had one.
    pub value: Option<String>,
}

/// The parameters of MAIL FROM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MailParams {
    /// `SIZE=n` (RFC 1870): the client's size estimate in octets.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), xtext-decoded.
    pub envid: Option<String>,
    /// `AUTH=` (RFC 4954).
    pub auth: Option<AuthParam>,
    /// `REQUIRETLS` (RFC 8689).
    pub require_tls: bool,
    /// Every other parameter, in the order sent.
    pub other: Vec<Param>,
}

/// The parameters of RCPT TO.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RcptParams {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<Orcpt>,
    /// Every other parameter, in the order sent.
    pub other: Vec<Param>,
}

const MALFORMED: ParseError = ParseError::Syntax("malformed ESMTP parameter");

/// Keyword characters (letters, digits, `-`) folded to upper case; zero for
/// every other byte, so one table load both checks and folds a character.
const FOLD: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = match c {
            b'A'..=b'Z' | b'0'..=b'9' | b'-' => c,
            b'a'..=b'z' => c - b'a' + b'A',
            _ => 0,
        };
        i += 1;
    }
    table
};

/// A word of keyword characters, folded and packed as a number, one byte
/// per character: comparing keys compares words case-insensitively. Words
/// longer than 16 characters keep only their last 16, which no name this
/// module knows can equal (its names are shorter, so their keys start with
/// zero bytes).
type Key = u128;

/// Adds one folded character to a key; a constant shift keeps it cheap.
const fn push(key: Key, folded: u8) -> Key {
    (key << 8) | folded as Key
}

/// The key of a known upper-case name, computed at compile time.
const fn key(name: &str) -> Key {
    let b = name.as_bytes();
    let mut key = 0;
    let mut i = 0;
    while i < b.len() {
        key = push(key, b[i]);
        i += 1;
    }
    key
}

const SIZE: Key = key("SIZE");
const BODY: Key = key("BODY");
const SMTPUTF8: Key = key("SMTPUTF8");
const RET: Key = key("RET");
const ENVID: Key = key("ENVID");
const AUTH: Key = key("AUTH");
const REQUIRETLS: Key = key("REQUIRETLS");
const NOTIFY: Key = key("NOTIFY");
const ORCPT: Key = key("ORCPT");
const SEVEN_BIT: Key = key("7BIT");
const EIGHT_BIT_MIME: Key = key("8BITMIME");
const BINARYMIME: Key = key("BINARYMIME");
const FULL: Key = key("FULL");
const HDRS: Key = key("HDRS");
const NEVER: Key = key("NEVER");
const SUCCESS: Key = key("SUCCESS");
const FAILURE: Key = key("FAILURE");
const DELAY: Key = key("DELAY");

/// The key of `word`, or `None` when it has other than keyword characters.
fn fold(word: &[u8]) -> Option<Key> {
    let mut key = 0;
    for &c in word {
        match FOLD[usize::from(c)] {
            0 => return None,
            folded => key = push(key, folded),
        }
    }
    Some(key)
}

/// One `KEYWORD[=value]` as [`next_param`] splits it.
struct RawParam<'a> {
    key: Key,
    keyword: &'a str,
    value: Option<&'a str>,
}

/// Parses MAIL FROM's parameters into `params` (filled in place, which spares
/// moving the struct through a `Result`): `s` is what follows the path, trimmed.
#[inline]
pub(crate) fn parse_mail_params(params: &mut MailParams, mut s: &str) -> Result<(), ParseError> {
    while !s.is_empty() {
        let (param, rest) = next_param(s)?;
        s = rest;
        let value = param.value;
        match param.key {
            SIZE => set_once(&mut params.size, value.and_then(parse_number), "SIZE")?,
            BODY => {
                let body = match value.and_then(|v| fold(v.as_bytes())) {
                    Some(EIGHT_BIT_MIME) => Some(Body::EightBitMime),
                    Some(SEVEN_BIT) => Some(Body::SevenBit),
                    Some(BINARYMIME) => Some(Body::BinaryMime),
                    _ => None,
                };
                set_once(&mut params.body, body, "BODY")?;
            }
            SMTPUTF8 => set_flag(&mut params.smtputf8, value, "SMTPUTF8")?,
            RET => {
                let ret = match value.and_then(|v| fold(v.as_bytes())) {
                    Some(FULL) => Some(Ret::Full),
                    Some(HDRS) => Some(Ret::Headers),
                    _ => None,
                };
                set_once(&mut params.ret, ret, "RET")?;
            }
            ENVID => {
                // RFC 3461 §4.4 caps the envelope identifier at 100 characters.
                let envid = value
                    .and_then(|v| xtext::decode(v).ok())
                    .filter(|id| !id.is_empty() && (id.len() <= 100 || id.chars().count() <= 100));
                set_once(&mut params.envid, envid, "ENVID")?;
            }
            AUTH => {
                let auth = value.and_then(|v| match v {
                    "<>" => Some(AuthParam::Unknown),
                    _ => xtext::decode(v)
                        .ok()
                        .filter(|id| !id.is_empty())
                        .map(AuthParam::Identity),
                });
                set_once(&mut params.auth, auth, "AUTH")?;
            }
            REQUIRETLS => set_flag(&mut params.require_tls, value, "REQUIRETLS")?,
            _ => params.other.push(other_param(param)?),
        }
    }
    Ok(())
}

/// Parses RCPT TO's parameters into `params`, like [`parse_mail_params`].
#[inline]
pub(crate) fn parse_rcpt_params(params: &mut RcptParams, mut s: &str) -> Result<(), ParseError> {
    while !s.is_empty() {
        let (param, rest) = next_param(s)?;
        s = rest;
        match param.key {
            NOTIFY => set_once(
                &mut params.notify,
                param.value.and_then(parse_notify),
                "NOTIFY",
            )?,
            ORCPT => {
                let Some((addr_type, address)) = param.value.and_then(parse_orcpt) else {
                    return Err(ParseError::BadParameter("ORCPT"));
                };
                if params.orcpt.is_some() {
                    return Err(ParseError::BadParameter("ORCPT"));
                }
                // Built in place: moving a whole returned Orcpt costs more.
                params.orcpt = Some(Orcpt {
                    addr_type: addr_type.to_owned(),
                    address,
                });
            }
            _ => params.other.push(other_param(param)?),
        }
    }
    Ok(())
}

/// Reads `KEYWORD[=value]` from the start of `s` in one scan; returns it
/// and what follows its trailing whitespace.
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
// Inlined: returned through memory, its 16-byte key stalls store forwarding.
#[inline(always)]
fn next_param(s: &str) -> Result<(RawParam<'_>, &str), ParseError> {
    let b = s.as_bytes();
    let mut key: Key = 0;
    let mut keyword_len = b.len();
    for (i, &c) in b.iter().enumerate() {
        let folded = FOLD[usize::from(c)];
        if folded == 0 {
            keyword_len = i;
            break;
        }
        key = push(key, folded);
    }
    if keyword_len == 0 || b[0] == b'-' {
        return Err(MALFORMED);
    }
    let (keyword, rest) = s.split_at_checked(keyword_len).ok_or(MALFORMED)?;
    let (value, rest) = match rest.as_bytes().first() {
        Some(b'=') => {
            let rest = rest.get(1..).unwrap_or_default();
            let end = find_space(rest.as_bytes());
            let (value, rest) = rest.split_at_checked(end).ok_or(MALFORMED)?;
            (Some(value), rest)
        }
        Some(&c) if !is_space(c) => return Err(MALFORMED),
        _ => (None, rest),
    };
    let start = rest
        .bytes()
        .position(|c| !is_space(c))
        .unwrap_or(rest.len());
    let rest = rest.get(start..).unwrap_or_default();
    Ok((
        RawParam {
            key,
            keyword,
            value,
        },
        rest,
    ))
}

/// A parameter no typed field takes. The command parser has already rejected
/// whitespace and control characters, so only the value's `=` and emptiness
/// are left to check (esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)).
fn other_param(RawParam { keyword, value, .. }: RawParam<'_>) -> Result<Param, ParseError> {
    if let Some(v) = value
        && (v.is_empty() || memchr::memchr(b'=', v.as_bytes()).is_some())
    {
        return Err(MALFORMED);
    }
    Ok(Param {
        keyword: keyword.to_owned(),
        value: value.map(str::to_owned),
    })
}

/// Stores a parsed value; a missing (malformed) or repeated one is an error.
#[inline]
fn set_once<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    name: &'static str,
) -> Result<(), ParseError> {
    match value {
        Some(value) if slot.is_none() => {
            *slot = Some(value);
            Ok(())
        }
        _ => Err(ParseError::BadParameter(name)),
    }
}

/// Sets a parameter that takes no value.
fn set_flag(flag: &mut bool, value: Option<&str>, name: &'static str) -> Result<(), ParseError> {
    if *flag || value.is_some() {
        return Err(ParseError::BadParameter(name));
    }
    *flag = true;
    Ok(())
}

/// Digits only (`str::parse` would also take a leading `+`), no overflow.
pub(crate) fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, c| {
        let digit = c.wrapping_sub(b'0');
        if digit < 10 {
            n.checked_mul(10)?.checked_add(u64::from(digit))
        } else {
            None
        }
    })
}

/// `NEVER` alone, or a comma list of SUCCESS, FAILURE and DELAY.
fn parse_notify(value: &str) -> Option<Notify> {
    let (mut success, mut failure, mut delay) = (false, false, false);
    // One pass, folding each item and judging it at the comma that ends it.
    let mut key: Key = 0;
    let mut bytes = value.bytes();
    loop {
        let next = bytes.next();
        if let Some(c) = next
            && c != b','
        {
            match FOLD[usize::from(c)] {
                0 => return None,
                folded => key = push(key, folded),
            }
            continue;
        }
        match key {
            SUCCESS => success = true,
            FAILURE => failure = true,
            DELAY => delay = true,
            NEVER if value.len() == 5 => return Some(Notify::Never),
            // An empty item, an unknown one or NEVER in a list.
            _ => return None,
        }
        if next.is_none() {
            return Some(Notify::On {
                success,
                failure,
                delay,
            });
        }
        key = 0;
    }
}

/// `addr-type;xtext` with addr-type an RFC 822 atom and a non-empty
/// address: the type as sent and the decoded address.
#[inline]
fn parse_orcpt(value: &str) -> Option<(&str, String)> {
    let semicolon = value.bytes().position(|c| c == b';')?;
    let (addr_type, address) = (value.get(..semicolon)?, value.get(semicolon + 1..)?);
    if addr_type.is_empty() || !addr_type.bytes().all(|c| ATOM[usize::from(c)]) {
        return None;
    }
    let address = xtext::decode(address).ok().filter(|a| !a.is_empty())?;
    Some((addr_type, address))
}

/// RFC 822 atom characters: printable ASCII except specials.
const ATOM: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 33;
    while i < 127 {
        table[i] = !matches!(
            i as u8,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'.'
                | b'['
                | b']'
        );
        i += 1;
    }
    table
};

impl fmt::Display for Body {
    /// The value as sent: `7BIT`, `8BITMIME` or `BINARYMIME`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        })
    }
}

impl fmt::Display for Ret {
    /// The value as sent: `FULL` or `HDRS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ret::Full => "FULL",
            Ret::Headers => "HDRS",
        })
    }
}

impl fmt::Display for Notify {
    /// The value as sent: `NEVER` or a comma list such as `SUCCESS,DELAY`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Notify::On {
            success,
            failure,
            delay,
        } = *self
        else {
            return f.write_str("NEVER");
        };
        let mut separator = "";
        for (set, name) in [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")] {
            if set {
                write!(f, "{separator}{name}")?;
                separator = ",";
            }
        }
        Ok(())
    }
}

impl fmt::Display for Orcpt {
    /// `addr-type;xtext`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};", self.addr_type)?;
        xtext::write(f, &self.address)
    }
}

impl fmt::Display for Param {
    /// `KEYWORD` or `KEYWORD=value`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keyword)?;
        match &self.value {
            Some(value) => write!(f, "={value}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for MailParams {
    /// Each parameter preceded by a space, typed ones first: the text that
    /// follows the path in `MAIL FROM:<path>`. Empty when there are none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(size) = self.size {
            write!(f, " SIZE={size}")?;
        }
        if let Some(body) = self.body {
            write!(f, " BODY={body}")?;
        }
        if self.smtputf8 {
            f.write_str(" SMTPUTF8")?;
        }
        if let Some(ret) = self.ret {
            write!(f, " RET={ret}")?;
        }
        if let Some(envid) = &self.envid {
            f.write_str(" ENVID=")?;
            xtext::write(f, envid)?;
        }
        match &self.auth {
            None => {}
            Some(AuthParam::Unknown) => f.write_str(" AUTH=<>")?,
            // Sent plainly, this identity would read back as AUTH=<>.
            Some(AuthParam::Identity(id)) if id == "<>" => f.write_str(" AUTH=+3C>")?,
            Some(AuthParam::Identity(id)) => {
                f.write_str(" AUTH=")?;
                xtext::write(f, id)?;
            }
        }
        if self.require_tls {
            f.write_str(" REQUIRETLS")?;
        }
        self.other
            .iter()
            .try_for_each(|param| write!(f, " {param}"))
    }
}

impl fmt::Display for RcptParams {
    /// Each parameter preceded by a space, typed ones first: the text that
    /// follows the path in `RCPT TO:<path>`. Empty when there are none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(notify) = &self.notify {
            write!(f, " NOTIFY={notify}")?;
        }
        if let Some(orcpt) = &self.orcpt {
            write!(f, " ORCPT={orcpt}")?;
        }
        self.other
            .iter()
            .try_for_each(|param| write!(f, " {param}"))
    }
}
