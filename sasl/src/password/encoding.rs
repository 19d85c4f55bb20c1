//! Dovecot's `.HEX` / `.B64` encodings of a scheme's raw bytes.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// How the data after `{SCHEME}` encodes the raw bytes a scheme checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Encoding {
    /// The data is the raw value (crypt strings, PLAIN, SCRAM, Argon2).
    None,
    /// Standard base64.
    Base64,
    /// Hexadecimal, either case.
    Hex,
}

impl Encoding {
    /// Reads Dovecot's suffix (`SHA256.HEX`); `None` for an unknown one,
    /// which Dovecot treats as an unknown scheme.
    pub(crate) fn from_suffix(suffix: &str) -> Option<Self> {
        if suffix.eq_ignore_ascii_case("b64") || suffix.eq_ignore_ascii_case("base64") {
            Some(Encoding::Base64)
        } else if suffix.eq_ignore_ascii_case("hex") {
            Some(Encoding::Hex)
        } else {
            None
        }
    }

    /// The suffix written after the scheme name, if any.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Encoding::None => "",
            Encoding::Base64 => ".B64",
            Encoding::Hex => ".HEX",
        }
    }

    /// Encodes raw bytes.
    pub(crate) fn encode(self, raw: &[u8]) -> String {
        match self {
            Encoding::None => String::from_utf8_lossy(raw).into_owned(),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(raw),
            Encoding::Hex => raw.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Decodes `data`; `None` when it is not valid in this encoding.
    pub(crate) fn decode(self, data: &str) -> Option<Cow<'_, [u8]>> {
        match self {
            Encoding::None => Some(Cow::Borrowed(data.as_bytes())),
            Encoding::Base64 => decode_base64(data).map(Cow::Owned),
            Encoding::Hex => decode_hex(data).map(Cow::Owned),
        }
    }
}

/// Base64 the way stored passwords need it: whitespace is skipped, as
/// Dovecot's decoder does, and missing padding is tolerated because some
/// LDAP exports drop it. Trailing garbage is refused, as Dovecot does.
pub(crate) fn decode_base64(data: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: Cow<'_, str> = if data.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(data.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(data)
    };
    LENIENT.decode(compact.as_bytes()).ok()
}

/// Hex of either case; an odd length or a non-hex digit is invalid.
pub(crate) fn decode_hex(data: &str) -> Option<Vec<u8>> {
    let bytes = data.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// Decodes the data of a scheme the way Dovecot's `password_decode()` does:
/// an explicit suffix wins; otherwise fixed-length digests are read as hex
/// when the data is exactly twice the raw length (falling back to base64),
/// else as base64; a fixed-length digest of the wrong length is invalid.
pub(crate) fn decode_for(
    data: &str,
    explicit: Option<Encoding>,
    default: Encoding,
    raw_len: Option<usize>,
) -> Option<Cow<'_, [u8]>> {
    let raw = match (explicit, raw_len) {
        (Some(encoding), _) => encoding.decode(data)?,
        (None, Some(len)) if default != Encoding::None => {
            let hex = (data.len() == len * 2).then(|| decode_hex(data)).flatten();
            match hex {
                Some(raw) => Cow::Owned(raw),
                None => Cow::Owned(decode_base64(data)?),
            }
        }
        (None, _) => default.decode(data)?,
    };
    match raw_len {
        Some(len) if raw.len() != len => None,
        _ => Some(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(
            decode_hex(&Encoding::Hex.encode(b"\x00\xffab")).unwrap(),
            b"\x00\xffab"
        );
        assert_eq!(decode_hex("0A0b").unwrap(), vec![10, 11]);
        assert!(decode_hex("abc").is_none());
        assert!(decode_hex("zz").is_none());
        assert!(decode_hex("é0").is_none());
    }

    #[test]
    fn base64_is_lenient_about_padding_and_whitespace() {
        assert_eq!(decode_base64("dGVzdA==").unwrap(), b"test");
        assert_eq!(decode_base64("dGVzdA").unwrap(), b"test");
        assert_eq!(decode_base64("dGVz dA==\n").unwrap(), b"test");
        assert!(decode_base64("dGVzdA==junk").is_none());
    }

    #[test]
    fn fixed_length_digests_guess_hex_or_base64() {
        let hex = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
        let b64 = "qUqP5cyxm6YcTAhz05Hph5gvu9M=";
        let from_hex = decode_for(hex, None, Encoding::Base64, Some(20)).unwrap();
        let from_b64 = decode_for(b64, None, Encoding::Base64, Some(20)).unwrap();
        assert_eq!(from_hex, from_b64);
        assert!(decode_for(b64, Some(Encoding::Hex), Encoding::Base64, Some(20)).is_none());
        assert!(decode_for("qUqP", None, Encoding::Base64, Some(20)).is_none());
    }
}
