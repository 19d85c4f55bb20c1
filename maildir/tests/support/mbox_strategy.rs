//! proptest strategies for mbox messages: lines that look like, or almost
//! like, separators and quoted separators.

use proptest::prelude::*;

/// One line, maybe starting with `From ` or `>From `, maybe unterminated.
pub(crate) fn line() -> impl Strategy<Value = Vec<u8>> {
    let body = proptest::collection::vec(
        prop_oneof![
            Just(b'a'),
            Just(b' '),
            Just(b'>'),
            Just(b'\r'),
            Just(b'F'),
            any::<u8>()
        ],
        0..6,
    );
    let prefix = prop_oneof![
        Just(&b""[..]),
        Just(&b"From "[..]),
        Just(&b">From "[..]),
        Just(&b">>From "[..]),
        Just(&b">>>From"[..]),
        Just(&b"From"[..]),
        Just(&b">"[..]),
    ];
    let end = prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b""[..])];
    (prefix, body, end).prop_map(|(p, b, e)| {
        let mut v = p.to_vec();
        v.extend(b.into_iter().filter(|&c| c != b'\n'));
        v.extend_from_slice(e);
        v
    })
}

/// A message of up to 11 such lines.
pub(crate) fn message() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(line(), 0..12).prop_map(|lines| lines.concat())
}

/// What a message reads back as: a final LF is added when missing.
pub(crate) fn normalised(m: &[u8]) -> Vec<u8> {
    let mut v = m.to_vec();
    if !v.is_empty() && !v.ends_with(b"\n") {
        v.push(b'\n');
    }
    v
}
