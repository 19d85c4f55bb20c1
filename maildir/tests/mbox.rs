//! mbox reader and writer: fixtures, Content-Length rules, streaming, and
//! round-trip properties.

use std::io::{BufReader, Read, Write};
use std::time::{Duration, UNIX_EPOCH};

use maildir::Error;
use maildir::mbox::{Envelope, Format, MboxReader, MboxWriter, Message, asctime, read_all};
use proptest::prelude::*;

mod support;

use support::mbox_strategy::{message, normalised};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mbox/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

fn read(data: &[u8], format: Format) -> Vec<Message> {
    read_all(data, format).unwrap()
}

fn write(messages: &[(&[u8], &[u8])], format: Format) -> Vec<u8> {
    let mut w = MboxWriter::new(Vec::new(), format);
    for (sender, data) in messages {
        w.write_message(&Envelope::new(*sender, "Thu Jan  1 00:00:00 1970"), data)
            .unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn mutt_fixture() {
    let messages = read(&fixture("mutt.mbox"), Format::Mboxo);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].envelope.sender, b"alice@example.org");
    assert_eq!(messages[0].envelope.date, b"Mon Mar  4 09:15:02 2024");
    assert!(
        messages[0]
            .data
            .starts_with(b"Return-Path: <alice@example.org>\n")
    );
    assert!(
        messages[0]
            .data
            .ends_with(b"Lunch at noon?\n\nFrom the cafe, Alice\n")
    );
    assert_eq!(messages[1].envelope.sender, b"bob@example.org");
    assert!(messages[1].data.ends_with(b"> Lunch at noon?\nSure.\n"));
}

#[test]
fn dovecot_fixture_trusts_content_length() {
    let messages = read(&fixture("dovecot.mbox"), Format::Mboxo);
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0].envelope.sender, b"MAILER-DAEMON");
    assert!(messages[0].data.ends_with(b"a real message.\n"));
    assert!(
        messages[1]
            .data
            .ends_with(b"\n\nHi\n\nFrom here on, unquoted.\nBye\n")
    );
    assert_eq!(messages[2].envelope.sender, b"dave@example.net");
    assert!(messages[2].data.ends_with(b"Content-Length: 6\n\nHello\n"));
}

#[test]
fn mboxrd_fixture() {
    let data = fixture("mboxrd.mbox");
    let rd = read(&data, Format::Mboxrd);
    assert_eq!(
        rd[0].data,
        b"Subject: rd\n\nFrom one\n>From two\n>>From three\n>Fro not a quote\n"
    );
    let o = read(&data, Format::Mboxo);
    assert_eq!(
        o[0].data,
        b"Subject: rd\n\nFrom one\n>>From two\n>>>From three\n>Fro not a quote\n"
    );
    // Writing back reproduces the file byte for byte.
    let again = write(&[(b"erin@example.com", &rd[0].data)], Format::Mboxrd);
    let mut w = MboxWriter::new(Vec::new(), Format::Mboxrd);
    w.write_message(&rd[0].envelope, &rd[0].data).unwrap();
    assert_eq!(w.finish().unwrap(), data);
    assert!(again.starts_with(b"From erin@example.com Thu Jan  1"));
}

#[test]
fn separator_needs_preceding_empty_line() {
    let data = b"From a x\nSubject: s\n\nbody\nFrom not a separator\n\nFrom b y\n\n";
    let m = read(data, Format::Mboxo);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].data, b"Subject: s\n\nbody\nFrom not a separator\n");
    assert_eq!(m[1].envelope, Envelope::new("b", "y"));
    assert_eq!(m[1].data, b"");
}

#[test]
fn empty_input_and_leading_blank_lines() {
    assert!(read(b"", Format::Mboxrd).is_empty());
    let m = read(b"\n\nFrom a d\nX: y\n", Format::Mboxrd);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].data, b"X: y\n");
}

#[test]
fn not_an_mbox_is_a_format_error() {
    let err = read_all(&b"\nSubject: hi\n"[..], Format::Mboxrd).unwrap_err();
    match err {
        Error::Format { line, .. } => assert_eq!(line, 2),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn cr_bytes_are_kept() {
    let data = b"From a d\r\nSubject: s\r\n\r\nbody\r\n>From x\r\n\n";
    let m = read(data, Format::Mboxrd);
    assert_eq!(m[0].envelope, Envelope::new("a", "d"));
    assert_eq!(m[0].data, b"Subject: s\r\n\r\nbody\r\nFrom x\r\n");
}

#[test]
fn missing_final_newline_and_trailing_blank() {
    let m = read(b"From a d\nX: y\n\nno newline", Format::Mboxrd);
    assert_eq!(m[0].data, b"X: y\n\nno newline");
    let m = read(b"From a d\nX: y\n\nbody\n\n\n", Format::Mboxrd);
    assert_eq!(m[0].data, b"X: y\n\nbody\n\n");
}

#[test]
fn content_length_rules() {
    // Valid: runs over an unquoted separator-like line.
    let data = b"From a d\nContent-Length: 15\n\nx\n\nFrom inside\n\nFrom b d\nY: 1\n";
    let m = read(data, Format::Mboxo);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].data, b"Content-Length: 15\n\nx\n\nFrom inside\n");
    // Too long (past the end of file): ignored.
    let data = b"From a d\nContent-Length: 99\n\nx\n\nFrom b d\nY: 1\n";
    assert_eq!(read(data, Format::Mboxo).len(), 2);
    // Too short, pointing into the body: ignored.
    let data = b"From a d\nContent-Length: 1\n\nxyz\n\nFrom b d\nY: 1\n";
    let m = read(data, Format::Mboxo);
    assert_eq!(m[0].data, b"Content-Length: 1\n\nxyz\n");
    // Pointing at the separator itself: the empty line belongs to the body.
    let data = b"From a d\nContent-Length: 5\n\nxyz\n\nFrom b d\nY: 1\n";
    let m = read(data, Format::Mboxo);
    assert_eq!(m[0].data, b"Content-Length: 5\n\nxyz\n\n");
    assert_eq!(m[1].data, b"Y: 1\n");
    // Zero-length body followed by the next separator.
    let data = b"From a d\nContent-Length: 0\n\n\nFrom b d\n";
    let m = read(data, Format::Mboxo);
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].data, b"Content-Length: 0\n\n");
    // Beyond the look-ahead limit: not trusted.
    let data = b"From a d\nContent-Length: 15\n\nx\n\nFrom inside\n\nFrom b d\n";
    let mut r = MboxReader::new(&data[..], Format::Mboxo).with_max_lookahead(8);
    let mut n = 0;
    while r.read_message().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn content_length_is_reported() {
    let data = b"From a d\nContent-length:  4 \n\nabc\n";
    let mut r = MboxReader::new(&data[..], Format::Mboxrd);
    let info = r.next_message().unwrap().unwrap();
    assert_eq!(info.content_length, Some(4));
    let mut body = Vec::new();
    r.read_to_end(&mut body).unwrap();
    assert_eq!(body, b"Content-length:  4 \n\nabc\n");
    // A length ending at the final empty line: the body lacks its newline.
    let m = read(b"From a d\nContent-Length: 3\n\nabc\n", Format::Mboxrd);
    assert_eq!(m[0].data, b"Content-Length: 3\n\nabc");
    assert!(r.next_message().unwrap().is_none());
}

#[test]
fn next_message_skips_unread_body_and_streams_in_pieces() {
    let mut big = b"Subject: big\n\n".to_vec();
    for i in 0..5000 {
        big.extend_from_slice(format!("line {i} From x\nFrom {i}\n").as_bytes());
    }
    let file = write(&[(b"a", &big), (b"b", b"small\n")], Format::Mboxrd);
    let mut r = MboxReader::new(&file[..], Format::Mboxrd);
    r.next_message().unwrap().unwrap();
    let mut piece = [0u8; 7];
    let n = r.read(&mut piece).unwrap();
    assert_eq!(&piece[..n], &big[..n]);
    let info = r.next_message().unwrap().unwrap();
    assert_eq!(info.envelope.sender, b"b");
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"small\n");
    // And reading the big one whole through 3-byte reads.
    let mut r = MboxReader::new(&file[..], Format::Mboxrd);
    r.next_message().unwrap().unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    assert_eq!(all, big);
}

#[test]
fn very_long_lines_stream() {
    let mut msg = vec![b'a'; 100_000];
    msg.push(b'\n');
    msg.extend_from_slice(&[b'>'; 3_000]);
    msg.extend_from_slice(b"From long\n");
    let file = write(&[(b"a", &msg)], Format::Mboxrd);
    assert!(read(&file, Format::Mboxrd)[0].data == msg);
}

#[test]
fn writer_formats() {
    let out = write(&[(b"", b"From x\nline")], Format::Mboxo);
    assert_eq!(
        out,
        b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n>From x\nline\n\n"
    );
    let out = write(&[(b"a", b">From x\n>>From y\nFrom z\n")], Format::Mboxo);
    assert!(out.ends_with(b"\n>From x\n>>From y\n>From z\n\n"));
    let out = write(&[(b"a", b">From x\n>>From y\nFrom z\n")], Format::Mboxrd);
    assert!(out.ends_with(b"\n>>From x\n>>>From y\n>From z\n\n"));
    let out = write(&[(b"a", b"")], Format::Mboxrd);
    assert_eq!(out, b"From a Thu Jan  1 00:00:00 1970\n\n");
    let out = write(&[(b"a", b">>Fro")], Format::Mboxrd);
    assert!(out.ends_with(b"\n>>Fro\n\n"));
}

#[test]
fn writer_rejects_bad_envelopes_and_orphan_writes() {
    let mut w = MboxWriter::new(Vec::new(), Format::Mboxrd);
    assert!(w.write_all(b"x").is_err());
    assert!(w.begin_message(&Envelope::new("a b", "d")).is_err());
    assert!(w.begin_message(&Envelope::new("a", "d\nX")).is_err());
    w.begin_message(&Envelope::new("a", "d")).unwrap();
    w.write_all(b"Fr").unwrap();
    w.write_all(b"om ").unwrap();
    // A new message ends the open one.
    w.begin_message(&Envelope::new("b", "d")).unwrap();
    assert_eq!(w.finish().unwrap(), b"From a d\n>From \n\nFrom b d\n\n");
}

#[test]
fn asctime_and_envelope_at() {
    assert_eq!(asctime(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
    let t = UNIX_EPOCH + Duration::from_secs(1_709_543_702);
    assert_eq!(asctime(t), "Mon Mar  4 09:15:02 2024");
    let t = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_661);
    assert_eq!(asctime(t), "Tue Feb 29 01:01:01 2000");
    let e = Envelope::at("", UNIX_EPOCH);
    assert_eq!(
        e,
        Envelope::new("MAILER-DAEMON", "Thu Jan  1 00:00:00 1970")
    );
    assert_eq!(
        Envelope::parse(b"bob  Mon Mar  4 09:15:02 2024 \n"),
        Envelope::new("bob", "Mon Mar  4 09:15:02 2024")
    );
}

fn chunked_write(messages: &[Vec<u8>], cuts: &[usize]) -> Vec<u8> {
    let mut w = MboxWriter::new(Vec::new(), Format::Mboxrd);
    let mut cut = cuts.iter().cycle();
    for m in messages {
        w.begin_message(&Envelope::new("s", "d")).unwrap();
        let mut rest = &m[..];
        while !rest.is_empty() {
            let n = (*cut.next().unwrap()).clamp(1, rest.len());
            w.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
        }
        w.end_message().unwrap();
    }
    w.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mboxrd_round_trip(messages in proptest::collection::vec(message(), 0..5)) {
        let file = {
            let mut w = MboxWriter::new(Vec::new(), Format::Mboxrd);
            for m in &messages {
                w.write_message(&Envelope::new("s", "Thu Jan  1 00:00:00 1970"), m).unwrap();
            }
            w.finish().unwrap()
        };
        let back = read(&file, Format::Mboxrd);
        let want: Vec<Vec<u8>> = messages.iter().map(|m| normalised(m)).collect();
        let got: Vec<Vec<u8>> = back.into_iter().map(|m| m.data).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn writer_chunking_is_invisible(
        messages in proptest::collection::vec(message(), 0..4),
        cuts in proptest::collection::vec(1usize..8, 1..10),
    ) {
        let whole = chunked_write(&messages, &[usize::MAX]);
        prop_assert_eq!(chunked_write(&messages, &cuts), whole);
    }

    #[test]
    fn one_byte_bufreader_reads_the_same(
        messages in proptest::collection::vec(message(), 0..4),
        noise in proptest::collection::vec(message(), 0..3),
        length in 0u64..40,
    ) {
        // Mboxrd output plus hand-made, unquoted and Content-Length data.
        let mut file = chunked_write(&messages, &[usize::MAX]);
        for n in &noise {
            file.extend_from_slice(b"From x d\n");
            file.extend_from_slice(format!("Content-Length: {length}\n\n").as_bytes());
            file.extend_from_slice(n);
            file.extend_from_slice(b"\n");
        }
        for format in [Format::Mboxrd, Format::Mboxo] {
            let fast = read_all(&file[..], format).unwrap();
            let slow = read_all(BufReader::with_capacity(1, &file[..]), format).unwrap();
            prop_assert_eq!(slow, fast);
        }
    }
}
