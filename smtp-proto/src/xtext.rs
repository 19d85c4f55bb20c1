//! xtext (RFC 3461 §4): the encoding of ENVID, ORCPT and AUTH values.
//!
//! An xtext is printable ASCII (33–126) in which `+`, `=` and every other
//! octet are written as `+XX`, two upper-case hex digits.
//!
//! ```
//! use smtp_proto::xtext;
//! assert_eq!(xtext::encode("a+b=c d"), "a+2Bb+3Dc+20d");
//! assert_eq!(xtext::decode("a+2Bb+3Dc+20d").as_deref(), Ok("a+b=c d"));
//! ```

use std::fmt;

/// Why a string is not valid xtext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XtextError {
    /// A character that xtext does not allow (a control character, a space or `=`)
    /// at this byte offset.
    #[error("invalid xtext character at byte {0}")]
    InvalidCharacter(usize),
    /// A `+` at this byte offset is not followed by two hex digits.
    #[error("malformed xtext escape at byte {0}")]
    BadEscape(usize),
    /// The escapes decode to bytes that are not UTF-8.
    #[error("xtext does not decode to UTF-8")]
    InvalidUtf8,
}

/// Encodes `s` as xtext: octets outside 33–126, `+` and `=` become `+XX`
/// (a non-ASCII character becomes one escape per UTF-8 octet).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // fmt::Write on a String cannot fail.
    let _ = write(&mut out, s);
    out
}

/// Writes the xtext encoding of `s` into `out` without an intermediate string.
pub(crate) fn write(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut plain_start = 0;
    for (i, b) in s.bytes().enumerate() {
        if is_xchar(b) {
            continue;
        }
        // Plain runs are copied in one call. Every octet of a non-ASCII character
        // is escaped, so a run that starts inside one is empty and `get` yields None.
        if let Some(run) = s.get(plain_start..i) {
            out.write_str(run)?;
        }
        out.write_char('+')?;
        out.write_char(char::from(HEX[usize::from(b >> 4)]))?;
        out.write_char(char::from(HEX[usize::from(b & 0x0f)]))?;
        plain_start = i + 1;
    }
    out.write_str(s.get(plain_start..).unwrap_or_default())
}

/// Decodes an xtext.
///
/// Lower-case hex digits in escapes and raw UTF-8 characters (RFC 6531 allows
/// them in parameter values) are accepted; the decoded octets must be UTF-8.
pub fn decode(s: &str) -> Result<String, XtextError> {
    let bytes = s.as_bytes();
    // Most values carry no escapes: check them in one table-driven pass and
    // copy them whole.
    match bytes.iter().position(|&b| !PLAIN[usize::from(b)]) {
        None => return Ok(s.to_owned()),
        Some(i) if bytes[i] != b'+' => return Err(XtextError::InvalidCharacter(i)),
        Some(_) => {}
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if PLAIN[usize::from(b)] {
            out.push(b);
            i += 1;
            continue;
        }
        if b != b'+' {
            return Err(XtextError::InvalidCharacter(i));
        }
        let hi = bytes.get(i + 1).copied().and_then(hex_value);
        let lo = bytes.get(i + 2).copied().and_then(hex_value);
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return Err(XtextError::BadEscape(i));
        };
        out.push((hi << 4) | lo);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| XtextError::InvalidUtf8)
}

/// Octets that decode to themselves: xchars and the octets of UTF-8 characters.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = is_xchar(i as u8) || i >= 0x80;
        i += 1;
    }
    table
};

/// Whether `b` stands for itself in xtext.
const fn is_xchar(b: u8) -> bool {
    b >= 33 && b <= 126 && b != b'+' && b != b'='
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_specials_and_non_ascii() {
        assert_eq!(encode("plain"), "plain");
        assert_eq!(encode(""), "");
        assert_eq!(encode("a b"), "a+20b");
        assert_eq!(encode("+="), "+2B+3D");
        assert_eq!(encode("é"), "+C3+A9");
        assert_eq!(encode("\u{7f}~!"), "+7F~!");
    }

    #[test]
    fn decodes() {
        assert_eq!(decode("plain").as_deref(), Ok("plain"));
        assert_eq!(decode("").as_deref(), Ok(""));
        assert_eq!(decode("+2B+3d").as_deref(), Ok("+="));
        assert_eq!(decode("x+C3+A9y").as_deref(), Ok("xéy"));
        assert_eq!(decode("é").as_deref(), Ok("é"));
        assert_eq!(decode("a=b"), Err(XtextError::InvalidCharacter(1)));
        assert_eq!(decode("a b"), Err(XtextError::InvalidCharacter(1)));
        assert_eq!(decode("+2"), Err(XtextError::BadEscape(0)));
        assert_eq!(decode("ab+"), Err(XtextError::BadEscape(2)));
        assert_eq!(decode("+G0"), Err(XtextError::BadEscape(0)));
        assert_eq!(decode("+2B+"), Err(XtextError::BadEscape(3)));
        assert_eq!(decode("+2Bx y"), Err(XtextError::InvalidCharacter(4)));
        assert_eq!(decode("+C3"), Err(XtextError::InvalidUtf8));
    }

    #[test]
    fn round_trips_every_octet_pattern() {
        let all: String = (0..=0x2ffu32).filter_map(char::from_u32).collect();
        assert_eq!(decode(&encode(&all)).as_deref(), Ok(all.as_str()));
    }
}
