//! Modified UTF-7 (RFC 3501 §5.1.3), the mailbox-name encoding of IMAP4rev1.
//!
//! Printable ASCII but `&` stands for itself; `&` is `&-`; other characters
//! are UTF-16 in a base64 variant (`,` for `/`, no padding) between `&` and
//! `-`.
//!
//! ```
//! use imap_proto::utf7;
//! assert_eq!(utf7::encode("Entwürfe"), "Entw&APw-rfe");
//! assert_eq!(utf7::decode(b"Entw&APw-rfe").unwrap(), "Entwürfe");
//! assert_eq!(utf7::decode(b"R&-D").unwrap(), "R&D");
//! ```

use thiserror::Error;

/// Why bytes are not modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Utf7Error {
    /// A byte outside printable ASCII.
    #[error("byte {0:#04x} is not printable ASCII")]
    NotAscii(u8),
    /// A `&` sequence that is not terminated by `-`.
    #[error("a shifted sequence is not closed by '-'")]
    Unterminated,
    /// Bad base64 in a shifted sequence, or bits left over.
    #[error("bad modified base64 in a shifted sequence")]
    BadBase64,
    /// The UTF-16 is invalid (a lone surrogate).
    #[error("the shifted sequence is not valid UTF-16")]
    BadUtf16,
    /// A shifted sequence holds only printable ASCII, or two shifted
    /// sequences are adjacent: RFC 3501 forbids both, since every name has
    /// exactly one encoding.
    #[error("the encoding is not the canonical one")]
    NotCanonical,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn sextet(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&c| c == b).map(|p| p as u32)
}

/// The name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut count = 0;
    for unit in pending.drain(..) {
        bits = (bits << 16) | u32::from(unit);
        count += 16;
        while count >= 6 {
            count -= 6;
            out.push(ALPHABET[((bits >> count) & 0x3f) as usize] as char);
        }
    }
    if count > 0 {
        out.push(ALPHABET[((bits << (6 - count)) & 0x3f) as usize] as char);
    }
    out.push('-');
}

/// The text of a modified UTF-7 name; only the canonical encoding is
/// accepted.
pub fn decode(name: &[u8]) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    let mut last_shift_end = None;
    while i < name.len() {
        let b = name[i];
        if !(0x20..=0x7e).contains(&b) {
            return Err(Utf7Error::NotAscii(b));
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            continue;
        }
        let end = name[i + 1..]
            .iter()
            .position(|&c| c == b'-')
            .map(|p| i + 1 + p)
            .ok_or(Utf7Error::Unterminated)?;
        let shifted = &name[i + 1..end];
        if shifted.is_empty() {
            out.push('&');
        } else {
            if last_shift_end == Some(i) {
                return Err(Utf7Error::NotCanonical);
            }
            decode_shifted(shifted, &mut out)?;
            last_shift_end = Some(end + 1);
        }
        i = end + 1;
    }
    Ok(out)
}

fn decode_shifted(shifted: &[u8], out: &mut String) -> Result<(), Utf7Error> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut units = Vec::with_capacity(shifted.len() * 6 / 16);
    for &b in shifted {
        let v = sextet(b).ok_or(Utf7Error::BadBase64)?;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 16 {
            count -= 16;
            units.push(((bits >> count) & 0xffff) as u16);
        }
    }
    // Leftover bits must be fewer than six and zero.
    if count >= 6 || bits & ((1 << count) - 1) != 0 || units.is_empty() {
        return Err(Utf7Error::BadBase64);
    }
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| Utf7Error::BadUtf16)?;
        if (' '..='~').contains(&c) {
            return Err(Utf7Error::NotCanonical);
        }
        out.push(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example() {
        // RFC 3501 §5.1.3: "~peter/mail/台北/日本語".
        let name = "~peter/mail/\u{53f0}\u{5317}/\u{65e5}\u{672c}\u{8a9e}";
        assert_eq!(encode(name), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(), name);
    }

    #[test]
    fn non_canonical_forms_are_refused() {
        assert_eq!(decode(b"&AGE-"), Err(Utf7Error::NotCanonical));
        assert_eq!(decode(b"&U,A-&U,A-"), Err(Utf7Error::NotCanonical));
        assert_eq!(decode(b"&U,BTFw"), Err(Utf7Error::Unterminated));
        assert_eq!(decode(b"&2D3-"), Err(Utf7Error::BadBase64));
    }

    #[test]
    fn astral_characters_use_surrogate_pairs() {
        let name = "mail \u{1F600}";
        assert_eq!(decode(encode(name).as_bytes()).unwrap(), name);
    }
}
