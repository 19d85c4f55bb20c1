//! SMTP DATA benchmarks: decoding a 1 MiB message (ours and Stalwart's
//! `smtp-proto` 0.2.5 for comparison), dot-stuffing it for sending, and a
//! whole server session taking it in 64 KiB reads (what the tokio adapter
//! does per connection, minus the socket).
//!
//! Run: `cargo bench -p mailwright-benches --bench smtp_data`.

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::dot_stuff::DotStuffer;
use smtp_proto::{DataDecoder, DataEvent, LineEndingPolicy};
use stalwart_smtp_proto::request::receiver::DataReceiver;
use std::hint::black_box;
use std::sync::Arc;

use smtp_proto::server::{Event, ServerConfig, ServerSession};
use smtp_proto::{EnhancedCode, Reply};

const MESSAGE_SIZE: usize = 1 << 20;

/// A realistic message in DATA wire form: headers, then 76-byte lines of
/// base64-like text, every 50th line starting with a (stuffed) dot, then
/// the terminator.
fn wire_message() -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut wire = Vec::with_capacity(MESSAGE_SIZE + 128);
    wire.extend_from_slice(
        b"From: Anne <anne@example.com>\r\nTo: Bart <bart@example.com>\r\n\
          Subject: benchmark\r\nMIME-Version: 1.0\r\n\r\n",
    );
    let mut line = 0usize;
    while wire.len() < MESSAGE_SIZE {
        if line % 50 == 49 {
            wire.extend_from_slice(b"..");
        }
        let start = wire.len();
        while wire.len() < start + 76 {
            wire.push(ALPHABET[(wire.len() * 7 + line) % ALPHABET.len()]);
        }
        wire.extend_from_slice(b"\r\n");
        line += 1;
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

fn decode_ours(wire: &[u8], out: &mut BytesMut) {
    out.clear();
    let mut decoder = DataDecoder::new(u64::MAX, LineEndingPolicy::Reject);
    let (consumed, event) = decoder.decode(wire, out);
    assert!(event == DataEvent::End && consumed == wire.len() && !decoder.rejected());
}

fn decode_stalwart(wire: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut receiver = DataReceiver::new();
    assert!(receiver.ingest(&mut wire.iter(), out));
}

/// One whole transaction through a sans-IO session, body fed in 64 KiB
/// reads; returns the message size the backend saw.
fn session_transaction(config: &Arc<ServerConfig>, wire: &[u8]) -> usize {
    let mut session = ServerSession::new(Arc::clone(config), None);
    let ok = || Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "OK");
    let mut seen = 0;
    let mut drive = |session: &mut ServerSession| {
        while let Some(event) = session.poll() {
            match event {
                Event::Mail { .. } | Event::Rcpt { .. } | Event::DataEnd => {
                    session.answer(ok()).expect("the session asked");
                }
                Event::DataChunk(chunk) => seen += chunk.len(),
                _ => {}
            }
        }
        session.take_output();
    };
    session.receive(
        b"EHLO bench.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
    );
    drive(&mut session);
    for piece in wire.chunks(64 * 1024) {
        session.receive(piece);
        drive(&mut session);
    }
    seen
}

fn bench_data(c: &mut Criterion) {
    let wire = wire_message();
    let mut ours = BytesMut::with_capacity(wire.len());
    let mut theirs = Vec::with_capacity(wire.len());
    decode_ours(&wire, &mut ours);
    decode_stalwart(&wire, &mut theirs);
    assert_eq!(&ours[..], &theirs[..], "both decoders agree");
    let content = ours.to_vec();

    let mut group = c.benchmark_group("smtp_data");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("decode_1mib/mailwright", |b| {
        b.iter(|| decode_ours(black_box(&wire), &mut ours));
    });
    group.bench_function("decode_1mib/stalwart", |b| {
        b.iter(|| decode_stalwart(black_box(&wire), &mut theirs));
    });

    group.throughput(Throughput::Bytes(content.len() as u64));
    let stuff = |content: &[u8], stuffed: &mut BytesMut| {
        stuffed.clear();
        let mut stuffer = DotStuffer::new();
        stuffer.encode(content, stuffed);
        stuffer.finish(stuffed);
    };
    let mut stuffed = BytesMut::with_capacity(wire.len());
    stuff(&content, &mut stuffed);
    assert!(stuffed[..] == wire[..], "stuffing restores the wire form");
    group.bench_function("dot_stuff_1mib/mailwright", |b| {
        b.iter(|| stuff(black_box(&content), &mut stuffed));
    });

    group.throughput(Throughput::Bytes(wire.len() as u64));
    let config = Arc::new(ServerConfig::new("bench.example"));
    assert_eq!(session_transaction(&config, &wire), content.len());
    group.bench_function("session_1mib_in_64k_reads/mailwright", |b| {
        b.iter(|| session_transaction(&config, black_box(&wire)));
    });
    group.finish();
}

criterion_group!(benches, bench_data);
criterion_main!(benches);
