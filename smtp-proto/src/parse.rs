//! The command parser: one line (without its CRLF) to a [`Command`].
//!
//! The grammar is RFC 5321's with the extensions' commands (LHLO, BDAT, AUTH,
//! STARTTLS, ETRN), read the way Postfix reads it: verbs, `FROM:`/`TO:` and
//! parameter keywords in any case, and any run of spaces or tabs wherever one
//! space is expected, including around the line and after `FROM:`/`TO:`.
//! The parser is one pass over the line and allocates only the strings the
//! resulting [`Command`] owns.

use crate::address::{ForwardPath, Path, ReversePath, parse_path};
use crate::command::Command;
use crate::params::{MailParams, RcptParams, parse_mail_params, parse_number, parse_rcpt_params};
use crate::reply::{EnhancedCode, Reply};

/// Why a command line was not understood. [`ParseError::reply`] gives the
/// reply RFC 5321 and RFC 3463 prescribe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The verb is not an SMTP or LMTP command (500 5.5.1).
    #[error("unrecognized command")]
    UnknownCommand,
    /// The arguments do not follow the command's grammar (501 5.5.4).
    #[error("syntax error in arguments: {0}")]
    Syntax(&'static str),
    /// MAIL FROM's path is malformed (501 5.1.7).
    #[error("bad sender address syntax")]
    BadSender,
    /// RCPT TO's path is malformed (501 5.1.3).
    #[error("bad recipient address syntax")]
    BadRecipient,
    /// An ESMTP parameter of a known extension has a malformed or repeated value (501 5.5.4).
    #[error("bad value for parameter {0}")]
    BadParameter(&'static str),
    /// The line is not UTF-8 where UTF-8 is allowed, or not ASCII where it is required (500 5.5.2).
    #[error("invalid characters in command")]
    InvalidCharacters,
}

impl ParseError {
    /// The reply to send for this error.
    pub fn reply(&self) -> Reply {
        match self {
            ParseError::UnknownCommand => Reply::new(
                500,
                Some(EnhancedCode::new(5, 5, 1)),
                "Command unrecognized",
            ),
            ParseError::Syntax(what) => Reply::new(
                501,
                Some(EnhancedCode::new(5, 5, 4)),
                format!("Syntax error: {what}"),
            ),
            ParseError::BadSender => Reply::new(
                501,
                Some(EnhancedCode::new(5, 1, 7)),
                "Bad sender address syntax",
            ),
            ParseError::BadRecipient => Reply::new(
                501,
                Some(EnhancedCode::new(5, 1, 3)),
                "Bad recipient address syntax",
            ),
            ParseError::BadParameter(name) => Reply::new(
                501,
                Some(EnhancedCode::new(5, 5, 4)),
                format!("Invalid {name} parameter"),
            ),
            ParseError::InvalidCharacters => Reply::new(
                500,
                Some(EnhancedCode::new(5, 5, 2)),
                "Invalid characters in command",
            ),
        }
    }
}

const EHLO_USAGE: ParseError = ParseError::Syntax("EHLO domain");
const HELO_USAGE: ParseError = ParseError::Syntax("HELO domain");
const LHLO_USAGE: ParseError = ParseError::Syntax("LHLO domain");
const MAIL_USAGE: ParseError = ParseError::Syntax("MAIL FROM:<address> [parameters]");
const RCPT_USAGE: ParseError = ParseError::Syntax("RCPT TO:<address> [parameters]");
const BDAT_USAGE: ParseError = ParseError::Syntax("BDAT chunk-size [LAST]");
const AUTH_USAGE: ParseError = ParseError::Syntax("AUTH mechanism [initial-response]");

/// A four-letter verb in lower case as a little-endian `u32`, so that a verb
/// is recognised with one comparison.
const fn verb(name: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*name)
}

const MAIL: u32 = verb(b"mail");
const RCPT: u32 = verb(b"rcpt");
const EHLO: u32 = verb(b"ehlo");
const HELO: u32 = verb(b"helo");
const LHLO: u32 = verb(b"lhlo");
const DATA: u32 = verb(b"data");
const BDAT: u32 = verb(b"bdat");
const RSET: u32 = verb(b"rset");
const QUIT: u32 = verb(b"quit");
const NOOP: u32 = verb(b"noop");
const HELP: u32 = verb(b"help");
const VRFY: u32 = verb(b"vrfy");
const EXPN: u32 = verb(b"expn");
const ETRN: u32 = verb(b"etrn");
const AUTH: u32 = verb(b"auth");

impl Command {
    /// Parses one command line, without its line terminator.
    ///
    /// ```
    /// use smtp_proto::{Command, ParseError};
    /// assert_eq!(Command::parse(b"QUIT"), Ok(Command::Quit));
    /// assert_eq!(Command::parse(b"ehlo  client.example "), Ok(Command::Ehlo("client.example".into())));
    /// assert_eq!(Command::parse(b"MAIL FROM:<a@b.example> BODY=9BIT"), Err(ParseError::BadParameter("BODY")));
    /// ```
    pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
        let line = trim(validate(line)?);
        let (name, args) = split_token(line);
        if let Ok(word) = <[u8; 4]>::try_from(name.as_bytes()) {
            // OR-ing 0x20 folds letters to lower case, and only letters can
            // land on a lower-case letter, so no other bytes match a verb.
            match u32::from_le_bytes(word) | 0x2020_2020 {
                MAIL => return parse_mail(args),
                RCPT => return parse_rcpt(args),
                EHLO => return hello(args, EHLO_USAGE).map(Command::Ehlo),
                HELO => return hello(args, HELO_USAGE).map(Command::Helo),
                LHLO => return hello(args, LHLO_USAGE).map(Command::Lhlo),
                DATA => return no_args(args, "DATA", Command::Data),
                BDAT => return parse_bdat(args),
                RSET => return no_args(args, "RSET", Command::Rset),
                QUIT => return no_args(args, "QUIT", Command::Quit),
                NOOP => return Ok(Command::Noop(optional(args))),
                HELP => return Ok(Command::Help(optional(args))),
                VRFY => return required(args, "VRFY string").map(Command::Vrfy),
                EXPN => return required(args, "EXPN string").map(Command::Expn),
                ETRN => return required(args, "ETRN node").map(Command::Etrn),
                AUTH => return parse_auth(args),
                _ => {}
            }
        } else if name.eq_ignore_ascii_case("STARTTLS") {
            return no_args(args, "STARTTLS", Command::StartTls);
        }
        Err(ParseError::UnknownCommand)
    }
}

/// Checks the whole line at once: it must be UTF-8 without control
/// characters other than tab.
fn validate(line: &[u8]) -> Result<&str, ParseError> {
    // Eight bytes at a time: flag words that may hold a control character
    // and collect the high bits. A flagged line gets an exact byte check,
    // which also lets tabs through; most lines have no tab.
    let mut flagged = 0;
    let mut high = 0;
    let mut words = line.chunks_exact(8);
    for word in &mut words {
        let w = word_of(word);
        flagged |= may_hold_control(w);
        high |= w;
    }
    if !words.remainder().is_empty() {
        // Re-reading bytes already checked is harmless: take the line's last
        // eight bytes, or pad a short line with spaces.
        let w = match line.len().checked_sub(8) {
            Some(start) => word_of(line.get(start..).unwrap_or_default()),
            None => {
                let mut padded = [b' '; 8];
                padded[..line.len()].copy_from_slice(line);
                u64::from_le_bytes(padded)
            }
        };
        flagged |= may_hold_control(w);
        high |= w;
    }
    if flagged != 0 && line.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return Err(ParseError::InvalidCharacters);
    }
    let line = std::str::from_utf8(line).map_err(|_| ParseError::InvalidCharacters)?;
    // C1 controls (U+0080 to U+009F) are two-byte characters.
    if high & HIGHS != 0 && line.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ParseError::InvalidCharacters);
    }
    Ok(line)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The first eight bytes of `bytes` (which has at least eight) as a word.
fn word_of(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk()
        .map_or(0, |word| u64::from_le_bytes(*word))
}

/// Non-zero when an ASCII byte of `w` is below 0x20 or is 0x7f (the classic
/// "has a byte less than n" and "has a zero byte" bit tricks).
fn may_hold_control(w: u64) -> u64 {
    (w.wrapping_sub(ONES * 0x20) & !w & HIGHS) | zero_bytes(w ^ (ONES * 0x7f))
}

pub(crate) fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The index of the first space or tab in `b`, or its length. Eight bytes
/// at a time, since values and EHLO arguments are often long enough.
pub(crate) fn find_space(b: &[u8]) -> usize {
    let mut words = b.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let w = word_of(word);
        let found =
            zero_bytes(w ^ (ONES * u64::from(b' '))) | zero_bytes(w ^ (ONES * u64::from(b'\t')));
        if found != 0 {
            // Little-endian: the lowest flagged byte comes first in the line.
            return offset + (found.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    let tail = words.remainder();
    offset + tail.iter().position(|&c| is_space(c)).unwrap_or(tail.len())
}

/// Flags (high bit) the zero bytes of `w`. Bytes above a zero byte can be
/// flagged wrongly by the borrow, but the lowest flag is always exact.
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// `s` without leading and trailing spaces and tabs.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

/// Splits `s` (which starts with no whitespace) at its first run of spaces
/// or tabs: the token before it and whatever follows it.
fn split_token(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let end = find_space(b);
    if end == b.len() {
        return (s, "");
    }
    let next = b[end..]
        .iter()
        .position(|&c| !is_space(c))
        .map_or(b.len(), |i| end + i);
    (
        s.get(..end).unwrap_or_default(),
        s.get(next..).unwrap_or_default(),
    )
}

/// EHLO, HELO and LHLO keep their argument as sent: real clients send names
/// that are neither domains nor literals, and the session decides about them.
fn hello(args: &str, usage: ParseError) -> Result<String, ParseError> {
    if args.is_empty() {
        return Err(usage);
    }
    Ok(args.to_owned())
}

fn no_args(args: &str, usage: &'static str, command: Command) -> Result<Command, ParseError> {
    if args.is_empty() {
        Ok(command)
    } else {
        Err(ParseError::Syntax(usage))
    }
}

fn optional(args: &str) -> Option<String> {
    (!args.is_empty()).then(|| args.to_owned())
}

fn required(args: &str, usage: &'static str) -> Result<String, ParseError> {
    optional(args).ok_or(ParseError::Syntax(usage))
}

/// Strips `FROM:` or `TO:` (any case) and the spaces some clients put after it.
#[inline]
fn after_keyword<'a>(args: &'a str, keyword: &str) -> Option<&'a str> {
    let b = args.as_bytes();
    let n = keyword.len();
    if b.len() <= n || !b[..n].eq_ignore_ascii_case(keyword.as_bytes()) || b[n] != b':' {
        return None;
    }
    Some(trim(args.get(n + 1..)?))
}

/// Splits `<path> params` into the path and the parameters; the path must be
/// followed by whitespace or the end of the line.
// Always inlined, like the path functions it calls: results returned through
// memory and then copied stall on store forwarding, a cost that shows here.
#[inline(always)]
fn path_and_params(s: &str) -> Option<(Path<'_>, &str)> {
    let (path, len) = parse_path(s)?;
    let rest = s.get(len..)?;
    match rest.as_bytes().first() {
        None => Some((path, rest)),
        Some(&c) if is_space(c) => Some((path, trim(rest))),
        Some(_) => None,
    }
}

// MAIL and RCPT check the path, then parse the parameters, and only then copy
// the path out: a bad parameter costs no allocation, and the path's strings
// are built in the command rather than moved into it.

#[inline]
fn parse_mail(args: &str) -> Result<Command, ParseError> {
    let path = after_keyword(args, "FROM")
        .filter(|p| !p.is_empty())
        .ok_or(MAIL_USAGE)?;
    let (path, rest) = path_and_params(path).ok_or(ParseError::BadSender)?;
    if matches!(path, Path::Postmaster) {
        return Err(ParseError::BadSender);
    }
    let mut params = MailParams::default();
    parse_mail_params(&mut params, rest)?;
    let from = match path {
        Path::Null => ReversePath::Null,
        Path::Mailbox(span) => {
            ReversePath::Mailbox(span.to_mailbox().ok_or(ParseError::BadSender)?)
        }
        Path::Postmaster => return Err(ParseError::BadSender),
    };
    Ok(Command::Mail { from, params })
}

#[inline]
fn parse_rcpt(args: &str) -> Result<Command, ParseError> {
    let path = after_keyword(args, "TO")
        .filter(|p| !p.is_empty())
        .ok_or(RCPT_USAGE)?;
    let (path, rest) = path_and_params(path).ok_or(ParseError::BadRecipient)?;
    if matches!(path, Path::Null) {
        return Err(ParseError::BadRecipient);
    }
    let mut params = RcptParams::default();
    parse_rcpt_params(&mut params, rest)?;
    let to = match path {
        Path::Postmaster => ForwardPath::Postmaster,
        Path::Mailbox(span) => {
            ForwardPath::Mailbox(span.to_mailbox().ok_or(ParseError::BadRecipient)?)
        }
        Path::Null => return Err(ParseError::BadRecipient),
    };
    Ok(Command::Rcpt { to, params })
}

/// `BDAT chunk-size [LAST]`.
fn parse_bdat(args: &str) -> Result<Command, ParseError> {
    let (size, rest) = split_token(args);
    let size = parse_number(size).ok_or(BDAT_USAGE)?;
    let last = match rest {
        "" => false,
        _ if rest.eq_ignore_ascii_case("LAST") => true,
        _ => return Err(BDAT_USAGE),
    };
    Ok(Command::Bdat { size, last })
}

/// `AUTH mechanism [initial-response]` (RFC 4954 §4).
fn parse_auth(args: &str) -> Result<Command, ParseError> {
    let (mechanism, rest) = split_token(args);
    let (initial_response, rest) = split_token(rest);
    // sasl-mech = 1*20 of upper-case letters, digits, "-" and "_" (RFC 4422 §3.1);
    // lower case is accepted and folded.
    let mechanism_ok = (1..=20).contains(&mechanism.len())
        && mechanism
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    if !mechanism_ok || !rest.is_empty() {
        return Err(AUTH_USAGE);
    }
    let initial_response = match initial_response {
        "" => None,
        ir if ir == "=" || is_base64(ir) => Some(ir.to_owned()),
        _ => return Err(AUTH_USAGE),
    };
    Ok(Command::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        initial_response,
    })
}

/// Base64 alphabet with at most two `=` of padding, only at the end.
fn is_base64(s: &str) -> bool {
    let data = s.trim_end_matches('=');
    s.len() - data.len() <= 2
        && !data.is_empty()
        && data
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}
