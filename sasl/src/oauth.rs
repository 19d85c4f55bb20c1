//! Message formats of OAUTHBEARER (RFC 7628 §3.1) and XOAUTH2, shared by
//! the server and client mechanisms.

use crate::scram::{CbFlag, Gs2Header};

const KVSEP: u8 = 0x01;

/// A client's bearer-token message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BearerMessage {
    /// The user the client names (OAUTHBEARER's GS2 `a=`, XOAUTH2's `user=`).
    pub(crate) user: Option<String>,
    /// The token after `Bearer `.
    pub(crate) token: String,
}

/// Parses `n,a=user,^Ahost=...^Aport=...^Aauth=Bearer token^A^A`.
pub(crate) fn parse_oauthbearer(message: &[u8]) -> Result<BearerMessage, &'static str> {
    let text = std::str::from_utf8(message).map_err(|_| "OAUTHBEARER message is not UTF-8")?;
    let (header, _, rest) = Gs2Header::parse(text)?;
    if let CbFlag::Bound(_) = header.flag {
        return Err("OAUTHBEARER has no channel binding");
    }
    let pairs = rest
        .strip_prefix('\u{1}')
        .ok_or("missing separator after GS2 header")?;
    let token = auth_token(pairs)?;
    Ok(BearerMessage {
        user: header.authzid,
        token,
    })
}

/// Parses `user=someone^Aauth=Bearer token^A^A`.
pub(crate) fn parse_xoauth2(message: &[u8]) -> Result<BearerMessage, &'static str> {
    let text = std::str::from_utf8(message).map_err(|_| "XOAUTH2 message is not UTF-8")?;
    let user = pairs(text)?
        .find_map(|(key, value)| (key == "user").then_some(value))
        .ok_or("XOAUTH2 message has no user")?;
    if user.is_empty() {
        return Err("empty XOAUTH2 user");
    }
    Ok(BearerMessage {
        user: Some(user.to_string()),
        token: auth_token(text)?,
    })
}

/// The `key=value^A` pairs up to the final `^A`.
fn pairs(text: &str) -> Result<impl Iterator<Item = (&str, &str)>, &'static str> {
    let body = text
        .strip_suffix("\u{1}\u{1}")
        .ok_or("message must end with two separators")?;
    let mut parsed = Vec::new();
    for pair in body.split('\u{1}') {
        let (key, value) = pair.split_once('=').ok_or("key without value")?;
        if key.is_empty() || !key.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return Err("bad key");
        }
        if !value
            .bytes()
            .all(|byte| matches!(byte, 0x20..=0x7e | b'\t' | b'\r' | b'\n'))
        {
            return Err("bad value");
        }
        parsed.push((key, value));
    }
    Ok(parsed.into_iter())
}

/// The token of the `auth=Bearer <token>` pair.
fn auth_token(text: &str) -> Result<String, &'static str> {
    let auth = pairs(text)?
        .find_map(|(key, value)| (key == "auth").then_some(value))
        .ok_or("no auth pair")?;
    let (scheme, token) = auth
        .split_once(' ')
        .ok_or("auth value needs a scheme and a token")?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("Bearer") || !is_b64token(token) {
        return Err("not a bearer token");
    }
    Ok(token.to_string())
}

/// Whether `token` is an RFC 6750 `b64token`: the characters a bearer token
/// may contain, `=` padding only at the end.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The OAUTHBEARER client message.
pub(crate) fn encode_oauthbearer(
    user: Option<&str>,
    host: Option<&str>,
    port: Option<u16>,
    token: &str,
) -> Vec<u8> {
    let header = Gs2Header {
        flag: CbFlag::ClientUnsupported,
        authzid: user.map(str::to_string),
    };
    let mut out = header.render().into_bytes();
    out.push(KVSEP);
    if let Some(host) = host {
        out.extend_from_slice(format!("host={host}\u{1}").as_bytes());
    }
    if let Some(port) = port {
        out.extend_from_slice(format!("port={port}\u{1}").as_bytes());
    }
    out.extend_from_slice(format!("auth=Bearer {token}\u{1}\u{1}").as_bytes());
    out
}

/// The XOAUTH2 client message.
pub(crate) fn encode_xoauth2(user: &str, token: &str) -> Vec<u8> {
    format!("user={user}\u{1}auth=Bearer {token}\u{1}\u{1}").into_bytes()
}

/// The JSON error a server sends when a token is refused (RFC 7628 §3.2.2).
pub(crate) fn error_json(status: &str, openid_configuration: Option<&str>) -> Vec<u8> {
    let mut json = format!(
        "{{\"status\":\"{}\",\"schemes\":\"bearer\"",
        json_escape(status)
    );
    if let Some(url) = openid_configuration {
        json.push_str(&format!(
            ",\"openid-configuration\":\"{}\"",
            json_escape(url)
        ));
    }
    json.push('}');
    json.into_bytes()
}

/// Reads the `status` member of a server's JSON error, leniently: clients
/// only report it.
pub(crate) fn error_status(challenge: &[u8]) -> String {
    let text = String::from_utf8_lossy(challenge);
    text.split_once("\"status\"")
        .and_then(|(_, rest)| rest.split('"').nth(1))
        .unwrap_or("unknown error")
        .chars()
        .take(64)
        .collect()
}

fn json_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ch if ch.is_control() => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7628_example_message_parses() {
        let message = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
        let parsed = parse_oauthbearer(message).unwrap();
        assert_eq!(parsed.user.as_deref(), Some("user@example.com"));
        assert_eq!(parsed.token, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
        let encoded = encode_oauthbearer(
            Some("user@example.com"),
            Some("server.example.com"),
            Some(143),
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        );
        assert_eq!(encoded, message);
    }

    #[test]
    fn xoauth2_round_trips() {
        let message = encode_xoauth2(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg",
        );
        let parsed = parse_xoauth2(&message).unwrap();
        assert_eq!(parsed.user.as_deref(), Some("someuser@example.com"));
        assert_eq!(
            parsed.token,
            "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg"
        );
    }

    #[test]
    fn error_json_is_readable() {
        let json = error_json(
            "invalid_token",
            Some("https://example.com/.well-known/openid-configuration"),
        );
        assert_eq!(error_status(&json), "invalid_token");
    }
}
