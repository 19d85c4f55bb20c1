//! A plain model of what POP3 sends of a message, for tests and the fuzz
//! harness to check the streaming code against: one copy, shared through
//! `#[path]` by pop3-proto's round-trip tests, mailstore's maildrop tests
//! and `fuzz/src/pop3.rs`.

/// `content` with every CRLF, bare CR and bare LF as CRLF.
pub(crate) fn canonical(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'\r' if content.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

/// TOP's extent of canonical content: the header, the blank line, `lines`
/// body lines.
#[allow(dead_code)]
pub(crate) fn top_model(content: &[u8], lines: u64) -> Vec<u8> {
    let canonical = canonical(content);
    let mut out = Vec::new();
    let mut in_body = false;
    let mut counted = 0;
    for line in canonical.split_inclusive(|&b| b == b'\n') {
        if in_body && counted >= lines {
            break;
        }
        out.extend_from_slice(line);
        if in_body {
            counted += 1;
        } else if line == b"\r\n" {
            in_body = true;
        }
    }
    out
}
