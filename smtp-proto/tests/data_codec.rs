//! DATA decoding, BDAT chunks and dot-stuffing: exact outputs, splitting at
//! every byte boundary, SMTP smuggling payloads, limits, and round trips.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::dot_stuff::DotStuffer;
use smtp_proto::{BdatDecoder, DataDecoder, DataEvent, LineEndingPolicy};

const BOTH: [LineEndingPolicy; 2] = [LineEndingPolicy::Reject, LineEndingPolicy::Normalize];

/// What one message's decoding produced.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    content: Vec<u8>,
    /// Bytes consumed, if the data ended.
    end: Option<usize>,
    size: u64,
    bare: bool,
    rejected: bool,
}

/// Feeds `input` in pieces of the given lengths (the last piece takes what
/// is left), the way a session would: a piece goes in only while the data
/// has not ended.
fn decode_pieces(
    input: &[u8],
    lens: impl IntoIterator<Item = usize>,
    max: u64,
    policy: LineEndingPolicy,
) -> Decoded {
    let mut decoder = DataDecoder::new(max, policy);
    let mut out = BytesMut::new();
    let mut offset = 0;
    let mut lens = lens.into_iter();
    let mut end = None;
    while offset < input.len() {
        let len = lens
            .next()
            .unwrap_or(input.len())
            .clamp(1, input.len() - offset);
        let piece = &input[offset..offset + len];
        let (consumed, event) = decoder.decode(piece, &mut out);
        match event {
            DataEvent::End => {
                end = Some(offset + consumed);
                break;
            }
            DataEvent::NeedMore => assert_eq!(consumed, piece.len()),
        }
        offset += len;
    }
    Decoded {
        content: out.to_vec(),
        end,
        size: decoder.size(),
        bare: decoder.bare_line_ending(),
        rejected: decoder.rejected(),
    }
}

fn decode(input: &[u8], policy: LineEndingPolicy) -> Decoded {
    decode_pieces(input, [], u64::MAX, policy)
}

/// Asserts that `input` is one clean message with content `content`,
/// followed by `rest`, under both policies.
fn assert_clean(input: &[u8], content: &[u8]) {
    for policy in BOTH {
        let mut wire = input.to_vec();
        wire.extend_from_slice(b"QUIT\r\n");
        let decoded = decode(&wire, policy);
        assert_eq!(
            decoded,
            Decoded {
                content: content.to_vec(),
                end: Some(input.len()),
                size: content.len() as u64,
                bare: false,
                rejected: false,
            },
            "{policy:?} {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn empty_message() {
    assert_clean(b".\r\n", b"");
}

#[test]
fn simple_message() {
    assert_clean(
        b"Subject: hi\r\n\r\nHello\r\n.\r\n",
        b"Subject: hi\r\n\r\nHello\r\n",
    );
}

#[test]
fn dot_stuffed_lines() {
    assert_clean(
        b".Subject\r\n\r\n.a.b.\r\nc.\r\n.\r\n",
        b"Subject\r\n\r\na.b.\r\nc.\r\n",
    );
}

#[test]
fn double_dot_line() {
    assert_clean(b"a\r\n..\r\nb\r\n.\r\n", b"a\r\n.\r\nb\r\n");
    assert_clean(b"..\r\n.\r\n", b".\r\n");
}

#[test]
fn triple_dot_line() {
    assert_clean(b"...\r\n.\r\n", b"..\r\n");
}

#[test]
fn dot_inside_line_is_content() {
    assert_clean(b"a.\r\n .\r\n.\r\n", b"a.\r\n .\r\n");
}

#[test]
fn end_needs_the_whole_terminator() {
    for policy in BOTH {
        for input in [&b"a\r\n."[..], b"a\r\n.\r", b"a\r\n", b"", b".", b".\r"] {
            let decoded = decode(input, policy);
            assert_eq!(decoded.end, None, "{input:?}");
        }
    }
}

#[test]
fn calls_after_the_end_consume_nothing() {
    let mut decoder = DataDecoder::new(100, LineEndingPolicy::Reject);
    let mut out = BytesMut::new();
    assert_eq!(
        decoder.decode(b"a\r\n.\r\nb", &mut out),
        (6, DataEvent::End)
    );
    assert_eq!(decoder.decode(b"b\r\n.\r\n", &mut out), (0, DataEvent::End));
    assert_eq!(&out[..], b"a\r\n");
}

#[test]
fn terminator_split_at_every_position() {
    let input = b"line one\r\n..two\r\n.\r\nMAIL FROM:<a@b>\r\n";
    let end = input.len() - b"MAIL FROM:<a@b>\r\n".len();
    for policy in BOTH {
        let whole = decode(input, policy);
        assert_eq!(whole.end, Some(end));
        assert_eq!(whole.content, b"line one\r\n.two\r\n");
        for split in 1..input.len() {
            assert_eq!(
                decode_pieces(input, [split], u64::MAX, policy),
                whole,
                "split at {split}"
            );
        }
    }
}

/// A message that touches every state of the decoder, and bytes after it.
fn tricky_message() -> Vec<u8> {
    let mut input = Vec::new();
    for line in [
        &b"Subject: x"[..],
        b"",
        b"..",
        b"...",
        b".x",
        b"a\rb",
        b"a\nb",
        b".\r",
        b"\r",
        b".\n.",
        b"\n.",
        b"x.",
        b"",
    ] {
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b".\r\nQUIT\r\n");
    input
}

/// A tiny xorshift generator: reproducible chunk sizes without a dependency.
fn chunk_lens(seed: u64, max: usize) -> impl Iterator<Item = usize> {
    let mut state = seed | 1;
    std::iter::from_fn(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Some(1 + (state % max as u64) as usize)
    })
}

#[test]
fn byte_at_a_time_and_random_chunks_match_one_shot() {
    let input = tricky_message();
    for policy in BOTH {
        for max in [u64::MAX, 0, 1, 20, 40] {
            let whole = decode_pieces(&input, [], max, policy);
            assert_eq!(whole.end, Some(input.len() - 6));
            let bytes = decode_pieces(&input, std::iter::repeat(1), max, policy);
            assert_eq!(bytes, whole, "{policy:?} max {max}, 1 byte at a time");
            for seed in 1..200 {
                let chunked = decode_pieces(&input, chunk_lens(seed, 12), max, policy);
                assert_eq!(chunked, whole, "{policy:?} max {max}, seed {seed}");
            }
        }
    }
}

#[test]
fn tricky_message_exact_output() {
    let input = tricky_message();
    let normalized = decode(&input, LineEndingPolicy::Normalize);
    assert_eq!(
        String::from_utf8(normalized.content).unwrap(),
        concat!(
            "Subject: x\r\n",
            "\r\n",
            ".\r\n",
            "..\r\n",
            "x\r\n",
            "a\r\nb\r\n",
            "a\r\nb\r\n",
            // ".\r" CRLF: an unstuffed dot, then a bare CR.
            "\r\n\r\n",
            "\r\n\r\n",
            // ".\n." CRLF: the dot after a bare LF is content.
            "\r\n.\r\n",
            "\r\n.\r\n",
            "x.\r\n",
            "\r\n",
        )
    );
    assert!(normalized.bare && !normalized.rejected);

    let rejected = decode(&input, LineEndingPolicy::Reject);
    // Content up to and including the first bare line ending.
    assert_eq!(rejected.content, b"Subject: x\r\n\r\n.\r\n..\r\nx\r\na\r");
    assert!(rejected.bare && rejected.rejected);
    assert_eq!(rejected.end, normalized.end);
}

/// Runs a smuggling payload under both policies: the data must not end
/// before the real CRLF . CRLF, and the bytes after it stay unconsumed.
fn assert_smuggling_blocked(input: &[u8], normalized: &[u8]) {
    let mut wire = input.to_vec();
    wire.extend_from_slice(b"QUIT\r\n");
    for policy in BOTH {
        for decoded in [
            decode(&wire, policy),
            decode_pieces(&wire, std::iter::repeat(1), u64::MAX, policy),
        ] {
            let name = String::from_utf8_lossy(input);
            assert_eq!(decoded.end, Some(input.len()), "{policy:?} {name:?}");
            assert!(decoded.bare, "{policy:?} {name:?}");
            match policy {
                LineEndingPolicy::Normalize => {
                    assert_eq!(decoded.content, normalized, "{name:?}");
                    assert!(!decoded.rejected);
                }
                LineEndingPolicy::Reject => {
                    assert!(decoded.rejected);
                    assert!(!decoded.content.windows(4).any(|w| w == b"MAIL"));
                }
            }
        }
    }
}

const SMUGGLED: &str =
    "MAIL FROM:<evil@a.example>\r\nRCPT TO:<victim@b.example>\r\nDATA\r\nFrom: ceo@b.example\r\n";

fn smuggling_case(payload: &str, normalized_payload: &str) {
    let input = format!("Subject: hi\r\n\r\nHi{payload}{SMUGGLED}\r\n.\r\n");
    let normalized = format!("Subject: hi\r\n\r\nHi{normalized_payload}{SMUGGLED}\r\n");
    assert_smuggling_blocked(input.as_bytes(), normalized.as_bytes());
}

#[test]
fn smuggling_lf_dot_lf() {
    smuggling_case("\n.\n", "\r\n.\r\n");
}

#[test]
fn smuggling_lf_dot_crlf() {
    smuggling_case("\n.\r\n", "\r\n.\r\n");
}

#[test]
fn smuggling_cr_dot_crlf() {
    smuggling_case("\r.\r\n", "\r\n.\r\n");
}

#[test]
fn smuggling_crlf_dot_cr() {
    // The dot starts a real line, so it is unstuffed; the CR is bare.
    smuggling_case("\r\n.\r", "\r\n\r\n");
    smuggling_case("\r\n.\r\r\n", "\r\n\r\n\r\n");
}

#[test]
fn smuggling_crlf_dot_lf() {
    smuggling_case("\r\n.\n", "\r\n\r\n");
}

#[test]
fn smuggling_cr_dot_cr() {
    smuggling_case("\r.\r", "\r\n.\r\n");
}

#[test]
fn smuggling_dot_lf_at_start() {
    let input = format!(".\n{SMUGGLED}\r\n.\r\n");
    let normalized = format!("\r\n{SMUGGLED}\r\n");
    assert_smuggling_blocked(input.as_bytes(), normalized.as_bytes());
    let input = format!("\n.\n{SMUGGLED}\r\n.\r\n");
    let normalized = format!("\r\n.\r\n{SMUGGLED}\r\n");
    assert_smuggling_blocked(input.as_bytes(), normalized.as_bytes());
}

#[test]
fn smuggling_aiosmtpd_cases() {
    // aiosmtpd's test_smtpsmuggling: "\n.\r\n" inside, then a bare LF
    // right before the real end.
    let head = "From: Anne Person <anne@example.com>\r\nTo: Bart Person <bart@example.com>\r\nSubject: A test\r\nMessage-ID: <ant>\r\n\r\n";
    let input = format!("{head}Testing\n.\r\nNO SMUGGLING\n\r\n.\r\n");
    let normalized = format!("{head}Testing\r\n.\r\nNO SMUGGLING\r\n\r\n");
    assert_smuggling_blocked(input.as_bytes(), normalized.as_bytes());
    let input = format!("{head}Testing\r.\nNO SMUGGLING\r\n.\r\n");
    let normalized = format!("{head}Testing\r\n.\r\nNO SMUGGLING\r\n");
    let mut wire = input.clone().into_bytes();
    wire.extend_from_slice(b"QUIT\r\n");
    let decoded = decode(&wire, LineEndingPolicy::Normalize);
    assert_eq!(decoded.content, normalized.as_bytes());
    assert_eq!(decoded.end, Some(input.len()));
    let decoded = decode(&wire, LineEndingPolicy::Reject);
    assert!(decoded.rejected);
    assert_eq!(decoded.end, Some(input.len()));
}

#[test]
fn size_limit_exactly_at_and_one_over() {
    let input = b"12345678\r\n..\r\n.\r\n";
    let content = b"12345678\r\n.\r\n";
    let at = content.len() as u64;
    for policy in BOTH {
        let decoded = decode_pieces(input, [], at, policy);
        assert_eq!(decoded.content, content);
        assert!(!decoded.rejected);
        assert_eq!(decoded.size, at);

        let decoded = decode_pieces(input, [], at - 1, policy);
        assert_eq!(decoded.content, &content[..content.len() - 1]);
        assert!(decoded.rejected);
        assert_eq!(decoded.size, at);
        assert_eq!(decoded.end, Some(input.len()));

        for max in [0, 1, 5, 10, 11] {
            let decoded = decode_pieces(input, std::iter::repeat(1), max, policy);
            assert_eq!(decoded.content, &content[..max as usize]);
            assert!(decoded.rejected);
            assert_eq!(decoded.size, at);
        }
    }
}

#[test]
fn exceeded_and_rejected_flags() {
    let mut decoder = DataDecoder::new(3, LineEndingPolicy::Reject);
    let mut out = BytesMut::new();
    decoder.decode(b"abc", &mut out);
    assert!(!decoder.exceeded() && !decoder.rejected());
    decoder.decode(b"d", &mut out);
    assert!(decoder.exceeded() && decoder.rejected() && !decoder.bare_line_ending());
    assert_eq!(decoder.size(), 4);
    assert_eq!(&out[..], b"abc");
}

/// A realistic 64 KiB piece: 76-byte lines, every 50th starting with a dot.
fn realistic_piece(len: usize) -> Vec<u8> {
    let mut piece = Vec::with_capacity(len);
    let mut line = 0;
    while piece.len() < len {
        if line % 50 == 7 {
            piece.extend_from_slice(b"..");
        }
        let text = b"The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqr";
        piece.extend_from_slice(&text[..74 - piece.len() % 3]);
        piece.extend_from_slice(b"\r\n");
        line += 1;
    }
    // End on a whole CRLF so that pieces join without a bare CR.
    piece.truncate(len);
    piece[len - 3..].copy_from_slice(b"x\r\n");
    piece
}

#[test]
fn hundred_mib_streamed_in_64_kib_pieces() {
    const PIECE: usize = 64 * 1024;
    const TOTAL: usize = 100 * 1024 * 1024;
    for policy in BOTH {
        let piece = realistic_piece(PIECE);
        let mut decoder = DataDecoder::new(TOTAL as u64 * 2, policy);
        let mut out = BytesMut::with_capacity(PIECE);
        let mut seen = 0u64;
        for _ in 0..TOTAL / PIECE {
            let (consumed, event) = decoder.decode(&piece, &mut out);
            assert_eq!((consumed, event), (PIECE, DataEvent::NeedMore));
            assert!(out.len() <= PIECE);
            seen += out.len() as u64;
            out.clear();
        }
        let (consumed, event) = decoder.decode(b"\r\n.\r\nQUIT\r\n", &mut out);
        assert_eq!((consumed, event), (5, DataEvent::End));
        seen += out.len() as u64;
        assert_eq!(seen, decoder.size());
        assert!(!decoder.rejected() && !decoder.bare_line_ending());
        assert!(seen < TOTAL as u64);
    }
}

#[test]
fn bdat_takes_exactly_the_chunk() {
    let mut chunk = BdatDecoder::new(7);
    assert_eq!(chunk.remaining(), 7);
    assert_eq!(chunk.take(b""), b"");
    assert_eq!(chunk.take(b"a\r"), b"a\r");
    assert_eq!(chunk.take(b"\n.\r"), b"\n.\r");
    assert!(!chunk.is_done());
    assert_eq!(chunk.take(b"\nxyz"), b"\nx");
    assert!(chunk.is_done());
    assert_eq!(chunk.take(b"yz"), b"");

    let mut empty = BdatDecoder::new(0);
    assert!(empty.is_done());
    assert_eq!(empty.take(b"QUIT\r\n"), b"");
}

fn stuff(content: &[u8], lens: impl IntoIterator<Item = usize>) -> Vec<u8> {
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    let mut rest = content;
    let mut lens = lens.into_iter();
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(lens.next().unwrap_or(rest.len()).min(rest.len()));
        stuffer.encode(piece, &mut out);
        rest = tail;
    }
    stuffer.finish(&mut out);
    out.to_vec()
}

#[test]
fn dot_stuffer_exact_outputs() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"", b".\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b".\r\n..\r\n", b"..\r\n...\r\n.\r\n"),
        (b"a\n.\n", b"a\r\n..\r\n.\r\n"),
        (b"a\r.\r", b"a\r\n..\r\n.\r\n"),
        (b"\r\n.\r\n", b"\r\n..\r\n.\r\n"),
        (b"a\r\r\n.b", b"a\r\n\r\n..b\r\n.\r\n"),
        (b"\n\r", b"\r\n\r\n.\r\n"),
        (b"x.y\r\n", b"x.y\r\n.\r\n"),
    ];
    for &(content, wire) in cases {
        assert_eq!(
            stuff(content, []),
            wire,
            "{:?}",
            String::from_utf8_lossy(content)
        );
        assert_eq!(stuff(content, std::iter::repeat(1)), wire);
    }
}

#[test]
fn dot_stuffer_is_reusable_after_finish() {
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    stuffer.encode(b"a\r", &mut out);
    stuffer.finish(&mut out);
    stuffer.encode(b"\n.", &mut out);
    stuffer.finish(&mut out);
    assert_eq!(&out[..], b"a\r\n.\r\n\r\n..\r\n.\r\n");
}

/// The content a receiver should get for `content` sent through
/// [`DotStuffer`]: bare CR and LF become CRLF, and non-empty content ends
/// with CRLF.
fn canonical(content: &[u8]) -> Vec<u8> {
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
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A straightforward model of the decoder: split at real CRLFs only, stop at
/// the line ".", unstuff, and normalise whatever CR or LF is left in a line
/// (all of them are bare). Returns content and consumed length.
fn model_decode(input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let len = input[start..].windows(2).position(|w| w == b"\r\n")?;
        let line = &input[start..start + len];
        if line == b"." {
            return Some((out, start + 3));
        }
        for &byte in line.strip_prefix(b".").unwrap_or(line) {
            match byte {
                b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
                _ => out.push(byte),
            }
        }
        out.extend_from_slice(b"\r\n");
        start += len + 2;
    }
}

fn edge_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(b'.'),
            3 => Just(b'\r'),
            3 => Just(b'\n'),
            1 => Just(b'a'),
            1 => any::<u8>(),
        ],
        0..max_len,
    )
}

/// Long lines, mostly ending in CRLF: exercises the block-wise fast path,
/// with a bare line ending or a dot line now and then at any offset.
fn long_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = prop::collection::vec(prop_oneof![20 => Just(b'x'), 1 => Just(b'.')], 0..300);
    let end = prop_oneof![
        20 => Just(&b"\r\n"[..]),
        2 => Just(&b"\r\n."[..]),
        1 => Just(&b"\n"[..]),
        1 => Just(&b"\r"[..]),
        1 => Just(&b"\r\r\n"[..]),
    ];
    prop::collection::vec((line, end), 0..12).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(line, end)| line.into_iter().chain(end.iter().copied()))
            .collect()
    })
}

fn any_content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![edge_bytes(200), long_lines()]
}

fn crlf_lines() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::collection::vec(
            // CR and LF become dots, which need stuffing.
            any::<u8>().prop_map(|b| if b == b'\r' || b == b'\n' { b'.' } else { b }),
            0..20,
        ),
        0..20,
    )
    .prop_map(|lines| {
        let mut content = Vec::new();
        for line in lines {
            content.extend_from_slice(&line);
            content.extend_from_slice(b"\r\n");
        }
        content
    })
}

fn piece_lens() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1usize..16, 16usize..400], 0..64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn stuffed_content_decodes_to_canonical_content(
        content in any_content(),
        encode_lens in piece_lens(),
        decode_lens in piece_lens(),
    ) {
        let wire = stuff(&content, []);
        prop_assert_eq!(&stuff(&content, encode_lens), &wire);
        for policy in BOTH {
            let decoded = decode_pieces(&wire, decode_lens.clone(), u64::MAX, policy);
            prop_assert_eq!(&decoded.content, &canonical(&content));
            prop_assert_eq!(decoded.end, Some(wire.len()));
            prop_assert!(!decoded.bare && !decoded.rejected);
        }
    }

    #[test]
    fn crlf_content_round_trips_exactly(content in crlf_lines(), lens in piece_lens()) {
        let wire = stuff(&content, lens.clone());
        let decoded = decode_pieces(&wire, lens, u64::MAX, LineEndingPolicy::Reject);
        prop_assert_eq!(decoded.content, content);
        prop_assert_eq!(decoded.end, Some(wire.len()));
    }

    #[test]
    fn decoder_matches_model_at_any_chunking(
        mut input in any_content(),
        lens in piece_lens(),
        max in 0u64..64,
    ) {
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let (content, end) = model_decode(&input).expect("a real terminator");
        let normalize = decode_pieces(&input, lens.clone(), u64::MAX, LineEndingPolicy::Normalize);
        prop_assert_eq!(&normalize.content, &content);
        prop_assert_eq!(normalize.end, Some(end));
        prop_assert_eq!(normalize.size, content.len() as u64);

        let limited = decode_pieces(&input, lens.clone(), max, LineEndingPolicy::Normalize);
        let kept = content.len().min(max as usize);
        prop_assert_eq!(&limited.content, &content[..kept]);
        prop_assert_eq!(limited.rejected, content.len() as u64 > max);

        let reject = decode_pieces(&input, lens, u64::MAX, LineEndingPolicy::Reject);
        prop_assert_eq!(reject.end, Some(end));
        prop_assert_eq!(reject.rejected, reject.bare);
        prop_assert_eq!(reject.bare, normalize.bare);
        if !reject.bare {
            prop_assert_eq!(&reject.content, &content);
        }
    }

    #[test]
    fn output_growth_is_bounded_by_input(input in any_content(), lens in piece_lens()) {
        for policy in BOTH {
            let mut decoder = DataDecoder::new(u64::MAX, policy);
            let mut rest = &input[..];
            let mut lens = lens.iter().copied();
            while !rest.is_empty() {
                let (piece, tail) =
                    rest.split_at(lens.next().unwrap_or(rest.len()).min(rest.len()));
                let mut out = BytesMut::new();
                let (consumed, event) = decoder.decode(piece, &mut out);
                let bound = match policy {
                    LineEndingPolicy::Reject => consumed,
                    LineEndingPolicy::Normalize => 2 * consumed + 2,
                };
                prop_assert!(out.len() <= bound, "{policy:?}: {} for {consumed}", out.len());
                if event == DataEvent::End {
                    break;
                }
                rest = tail;
            }
        }
    }
}
