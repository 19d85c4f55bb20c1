//! SMTP command parsing: our `Command::parse` against Stalwart's
//! `smtp-proto` 0.2.5 (`Request::parse`) on the same lines, in one group per
//! line so criterion reports them side by side.
//!
//! Both parsers get the wire line with its CRLF and produce typed values:
//! ours strips the CRLF inside the measured closure (Stalwart's finds the LF
//! itself) and returns an owned `Command`; Stalwart's returns a `Request`
//! that borrows from the input. Before measuring, each result is checked to
//! be the fully parsed command, so neither side can win by failing early.
//!
//! Run: `cargo bench -p mailwright-benches --bench smtp_parse`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_proto::{Body, Command, Notify};
use stalwart_smtp_proto::{
    MAIL_BODY_8BITMIME, MAIL_SMTPUTF8, RCPT_NOTIFY_FAILURE, RCPT_NOTIFY_SUCCESS, Request,
};

const EHLO: &[u8] = b"EHLO mail.example.com\r\n";
const MAIL: &[u8] = b"MAIL FROM:<sender@example.com> SIZE=12345 BODY=8BITMIME SMTPUTF8\r\n";
const RCPT: &[u8] =
    b"RCPT TO:<rcpt@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;rcpt@example.org\r\n";

fn ours(wire: &[u8]) -> Command {
    let line = wire.strip_suffix(b"\r\n").unwrap_or(wire);
    Command::parse(line).expect("our parser accepts the line")
}

fn stalwart(wire: &[u8]) -> Request<std::borrow::Cow<'_, str>> {
    Request::parse(&mut wire.iter()).expect("Stalwart's parser accepts the line")
}

/// Panics unless both parsers read every part of every line.
fn check_results() {
    assert_eq!(ours(EHLO), Command::Ehlo("mail.example.com".into()));
    let Request::Ehlo { host } = stalwart(EHLO) else {
        panic!("stalwart EHLO")
    };
    assert_eq!(host, "mail.example.com");

    let Command::Mail { from, params } = ours(MAIL) else {
        panic!("our MAIL")
    };
    assert_eq!(from.to_string(), "<sender@example.com>");
    assert_eq!(params.size, Some(12345));
    assert_eq!(params.body, Some(Body::EightBitMime));
    assert!(params.smtputf8);
    let Request::Mail { from } = stalwart(MAIL) else {
        panic!("stalwart MAIL")
    };
    assert_eq!(from.address, "sender@example.com");
    assert_eq!(from.size, 12345);
    assert_eq!(from.flags, MAIL_BODY_8BITMIME | MAIL_SMTPUTF8);

    let Command::Rcpt { to, params } = ours(RCPT) else {
        panic!("our RCPT")
    };
    assert_eq!(to.to_string(), "<rcpt@example.org>");
    assert_eq!(
        params.notify,
        Some(Notify::On {
            success: true,
            failure: true,
            delay: false
        })
    );
    let orcpt = params.orcpt.expect("ORCPT");
    assert_eq!(
        (orcpt.addr_type.as_str(), orcpt.address.as_str()),
        ("rfc822", "rcpt@example.org")
    );
    let Request::Rcpt { to } = stalwart(RCPT) else {
        panic!("stalwart RCPT")
    };
    assert_eq!(to.address, "rcpt@example.org");
    assert_eq!(to.orcpt.as_deref(), Some("rcpt@example.org"));
    assert_eq!(to.flags, RCPT_NOTIFY_SUCCESS | RCPT_NOTIFY_FAILURE);
}

fn parse(c: &mut Criterion) {
    check_results();
    for (name, wire) in [("ehlo", EHLO), ("mail_3_params", MAIL), ("rcpt_dsn", RCPT)] {
        let mut group = c.benchmark_group(format!("smtp_parse/{name}"));
        group.bench_function("mailwright", |b| b.iter(|| ours(black_box(wire))));
        group.bench_function("stalwart", |b| b.iter(|| stalwart(black_box(wire))));
        group.finish();
    }
}

criterion_group!(benches, parse);
criterion_main!(benches);
