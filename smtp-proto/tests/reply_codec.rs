//! Replies on the wire: the encoder, the streaming client-side parser and
//! EHLO capabilities, against RFC examples and real servers' replies.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::reply_parser::ReplyError;
use smtp_proto::{Capabilities, EnhancedCode, Reply, ReplyParser};

fn encode(reply: &Reply) -> Vec<u8> {
    let mut out = BytesMut::new();
    reply.encode(&mut out);
    out.to_vec()
}

/// Feeds `input` in pieces of `chunk` bytes the way a client would: keep a
/// buffer, drop what the parser consumed, call again while it makes
/// progress, and after an error keep going (the parser skips the broken
/// reply).
fn drive(parser: &mut ReplyParser, input: &[u8], chunk: usize) -> Vec<Result<Reply, ReplyError>> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        let mut errors_in_a_row = 0;
        loop {
            match parser.feed(&buf) {
                Ok((0, None)) => break,
                Ok((consumed, reply)) => {
                    errors_in_a_row = 0;
                    buf.drain(..consumed);
                    out.extend(reply.map(Ok));
                }
                Err(error) => {
                    errors_in_a_row += 1;
                    assert!(errors_in_a_row < 2, "no progress after {error:?}");
                    out.push(Err(error));
                }
            }
        }
    }
    out
}

fn parse_all(input: &[u8]) -> Vec<Result<Reply, ReplyError>> {
    drive(&mut ReplyParser::new(512, 100), input, input.len())
}

fn replies(input: &[u8]) -> Vec<Reply> {
    parse_all(input)
        .into_iter()
        .map(|result| result.expect("valid reply"))
        .collect()
}

fn lines(reply: &Reply) -> Vec<&str> {
    reply.lines().iter().map(|line| &**line).collect()
}

fn e(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
    Some(EnhancedCode::new(class, subject, detail))
}

// ---- encoding ----

#[test]
fn encodes_a_single_line() {
    assert_eq!(encode(&Reply::new(250, None, "OK")), b"250 OK\r\n");
}

#[test]
fn encodes_a_multi_line_reply() {
    let reply = Reply::new(250, None, "mail.example.com")
        .line("PIPELINING")
        .line("8BITMIME");
    assert_eq!(
        encode(&reply),
        b"250-mail.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
    );
}

#[test]
fn encodes_an_enhanced_code_on_every_line() {
    assert_eq!(
        encode(&Reply::new(250, e(2, 1, 0), "Ok")),
        b"250 2.1.0 Ok\r\n"
    );
    let reply = Reply::new(550, e(5, 7, 1), "Relay denied").line("See the policy");
    assert_eq!(
        encode(&reply),
        b"550-5.7.1 Relay denied\r\n550 5.7.1 See the policy\r\n"
    );
}

#[test]
fn encodes_empty_text_without_trailing_space() {
    assert_eq!(encode(&Reply::new(250, None, "")), b"250\r\n");
    assert_eq!(encode(&Reply::new(250, e(2, 0, 0), "")), b"250 2.0.0\r\n");
    assert_eq!(
        encode(&Reply::new(250, None, "").line("")),
        b"250-\r\n250\r\n"
    );
    assert_eq!(
        encode(&Reply::new(451, e(4, 3, 0), "").line("later")),
        b"451-4.3.0\r\n451 4.3.0 later\r\n"
    );
}

#[test]
fn cr_and_lf_in_text_cannot_inject_lines() {
    assert_eq!(
        encode(&Reply::new(250, None, "a\r\n250 injected")),
        b"250 a  250 injected\r\n"
    );
    assert_eq!(
        encode(&Reply::new(250, None, "x").line("y\nz\r")),
        b"250-x\r\n250 y z \r\n"
    );
    assert_eq!(
        encode(&Reply::with_lines(250, None, ["a\rb", "c"])),
        b"250-a b\r\n250 c\r\n"
    );
}

#[test]
fn with_lines_never_builds_an_empty_reply() {
    let reply = Reply::with_lines(221, None, Vec::<String>::new());
    assert_eq!(lines(&reply), [""]);
    assert_eq!(encode(&reply), b"221\r\n");
}

#[test]
fn display_is_the_wire_form_without_the_final_crlf() {
    let reply = Reply::new(250, e(2, 0, 0), "a").line("b");
    assert_eq!(reply.to_string(), "250-2.0.0 a\r\n250 2.0.0 b");
    assert_eq!(format!("{reply}\r\n").as_bytes(), encode(&reply));
    assert_eq!(EnhancedCode::new(5, 1, 1).to_string(), "5.1.1");
    assert_eq!(EnhancedCode::new(4, 999, 0).to_string(), "4.999.0");
}

#[test]
fn enhanced_code_parse_follows_rfc_3463() {
    for (text, code) in [
        ("2.0.0", e(2, 0, 0)),
        ("4.7.1", e(4, 7, 1)),
        ("5.999.999", e(5, 999, 999)),
        ("5.10.20", e(5, 10, 20)),
    ] {
        assert_eq!(EnhancedCode::parse(text), code, "{text}");
    }
    for text in [
        "", "5", "5.1", "5.1.", "5..1", ".1.1", "5.1.1.", "5.1.1.1", "1.0.0", "3.0.0", "6.0.0",
        "0.0.0", "25.0.0", "5.01.1", "5.1.00", "5.1000.1", "5.1.1000", "5.+1.1", "5.1.-1", "5.a.1",
        " 5.1.1", "5.1.1 ", "５.1.1",
    ] {
        assert_eq!(EnhancedCode::parse(text), None, "{text:?}");
    }
}

// ---- parsing: RFC examples ----

#[test]
fn rfc5321_section_4_2_1_multi_line_example() {
    // Text that begins with digits stays text.
    let got = replies(
        b"250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The last line\r\n",
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].code(), 250);
    assert_eq!(got[0].enhanced(), None);
    assert_eq!(
        lines(&got[0]),
        [
            "First line",
            "Second line",
            "234 Text beginning with numbers",
            "The last line"
        ]
    );
}

/// The server side of RFC 5321 Appendix D.1, one reply after another.
const APPENDIX_D1: &[u8] = b"220 foo.com Simple Mail Transfer Service Ready\r\n\
250-foo.com greets bar.com\r\n\
250-8BITMIME\r\n\
250-SIZE\r\n\
250-DSN\r\n\
250 HELP\r\n\
250 OK\r\n\
250 OK\r\n\
550 No such user here\r\n\
250 OK\r\n\
354 Start mail input; end with <CRLF>.<CRLF>\r\n\
250 OK\r\n\
221 foo.com Service closing transmission channel\r\n";

#[test]
fn rfc5321_appendix_d1_session() {
    let got = replies(APPENDIX_D1);
    let codes: Vec<u16> = got.iter().map(Reply::code).collect();
    assert_eq!(codes, [220, 250, 250, 250, 550, 250, 354, 250, 221]);
    assert_eq!(
        lines(&got[1]),
        ["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"]
    );
    assert_eq!(lines(&got[6]), ["Start mail input; end with <CRLF>.<CRLF>"]);
    assert!(got[4].is_permanent());
    assert!(got[6].is_intermediate());
    let caps = Capabilities::from_ehlo(&got[1]);
    assert_eq!(
        caps,
        Capabilities {
            eight_bit_mime: true,
            size: Some(0),
            dsn: true,
            help: true,
            ..Capabilities::default()
        }
    );
}

#[test]
fn every_line_of_the_session_re_encodes_identically() {
    let mut out = BytesMut::new();
    for reply in replies(APPENDIX_D1) {
        reply.encode(&mut out);
    }
    assert_eq!(&out[..], APPENDIX_D1);
}

/// RFC 2920 §3.2, with Postfix's enhanced codes: the replies to a whole
/// pipelined transaction arrive in one read.
const PIPELINED: &[u8] = b"250 2.1.0 Sender <mrose@dbc.mtview.ca.us> OK\r\n\
250 2.1.5 Recipient <ned@innosoft.com> OK\r\n\
550 5.1.1 Recipient <dan@innosoft.com> unknown\r\n\
250 2.1.5 Recipient <kvc@innosoft.com> OK\r\n\
354 Enter mail, end with line containing only \".\"\r\n\
250-2.0.0 Message accepted\r\n\
250 2.0.0 queued as 4F2A1\r\n\
221 2.0.0 Goodbye\r\n";

fn check_pipelined(got: Vec<Result<Reply, ReplyError>>) {
    let got: Vec<Reply> = got.into_iter().map(Result::unwrap).collect();
    let expected = vec![
        Reply::new(250, e(2, 1, 0), "Sender <mrose@dbc.mtview.ca.us> OK"),
        Reply::new(250, e(2, 1, 5), "Recipient <ned@innosoft.com> OK"),
        Reply::new(550, e(5, 1, 1), "Recipient <dan@innosoft.com> unknown"),
        Reply::new(250, e(2, 1, 5), "Recipient <kvc@innosoft.com> OK"),
        Reply::new(354, None, "Enter mail, end with line containing only \".\""),
        Reply::new(250, e(2, 0, 0), "Message accepted").line("queued as 4F2A1"),
        Reply::new(221, e(2, 0, 0), "Goodbye"),
    ];
    assert_eq!(got, expected);
}

#[test]
fn rfc2920_pipelined_replies_in_one_buffer() {
    check_pipelined(parse_all(PIPELINED));
}

#[test]
fn rfc2920_pipelined_replies_byte_by_byte() {
    check_pipelined(drive(&mut ReplyParser::new(512, 100), PIPELINED, 1));
}

#[test]
fn rfc2920_pipelined_replies_split_at_every_position() {
    for split in 0..=PIPELINED.len() {
        let mut parser = ReplyParser::new(512, 100);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for piece in [&PIPELINED[..split], &PIPELINED[split..]] {
            buf.extend_from_slice(piece);
            loop {
                match parser.feed(&buf).unwrap() {
                    (0, None) => break,
                    (consumed, reply) => {
                        buf.drain(..consumed);
                        got.extend(reply.map(Ok));
                    }
                }
            }
        }
        assert!(buf.is_empty(), "split at {split}");
        assert!(!parser.is_in_reply());
        check_pipelined(got);
    }
}

#[test]
fn consumed_stops_at_the_end_of_each_reply() {
    let mut parser = ReplyParser::new(512, 10);
    let input = b"250-a\r\n250 b\r\n354 go\r\n25";
    let (consumed, reply) = parser.feed(input).unwrap();
    assert_eq!(consumed, 14);
    assert_eq!(reply.unwrap(), Reply::new(250, None, "a").line("b"));
    let (consumed, reply) = parser.feed(&input[14..]).unwrap();
    assert_eq!(consumed, 8);
    assert_eq!(reply.unwrap(), Reply::new(354, None, "go"));
    assert_eq!(parser.feed(&input[22..]).unwrap(), (0, None));
}

#[test]
fn partial_reply_is_kept_between_calls() {
    let mut parser = ReplyParser::new(512, 10);
    assert_eq!(parser.feed(b"250-first\r\n250-sec").unwrap(), (11, None));
    assert!(parser.is_in_reply());
    assert_eq!(parser.feed(b"250-sec").unwrap(), (0, None));
    let (consumed, reply) = parser.feed(b"250-second\r\n250 third\r\n").unwrap();
    assert_eq!(consumed, 23);
    assert_eq!(lines(&reply.unwrap()), ["first", "second", "third"]);
    assert!(!parser.is_in_reply());
}

#[test]
fn bare_lf_and_bare_codes_are_accepted() {
    let got = replies(b"250-a\n250 b\n220\n250-\n250 \r\n");
    assert_eq!(
        got,
        [
            Reply::new(250, None, "a").line("b"),
            Reply::new(220, None, ""),
            Reply::new(250, None, "").line(""),
        ]
    );
}

#[test]
fn stray_cr_in_text_becomes_a_space() {
    let got = replies(b"250 a\rb\r\r\n");
    assert_eq!(lines(&got[0]), ["a b "]);
}

#[test]
fn invalid_utf8_text_is_decoded_lossily() {
    let got = replies(b"220 caf\xe9 ready\r\n250 2.0.0 \xff\xfe\r\n");
    assert_eq!(lines(&got[0]), ["caf\u{fffd} ready"]);
    assert_eq!(got[1].enhanced(), e(2, 0, 0));
    assert_eq!(lines(&got[1]), ["\u{fffd}\u{fffd}"]);
}

#[test]
fn utf8_text_is_kept() {
    let got = replies("250 Grüße, 世界\r\n".as_bytes());
    assert_eq!(lines(&got[0]), ["Grüße, 世界"]);
}

// ---- parsing: enhanced codes ----

#[test]
fn enhanced_code_on_every_line_is_stripped() {
    let got = replies(b"550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please try again.\r\n");
    assert_eq!(got[0].enhanced(), e(5, 1, 1));
    assert_eq!(
        lines(&got[0]),
        [
            "The email account that you tried to reach does not exist.",
            "Please try again."
        ]
    );
}

#[test]
fn enhanced_code_alone_on_a_line() {
    let got = replies(b"250 2.0.0\r\n");
    assert_eq!(got[0], Reply::new(250, e(2, 0, 0), ""));
}

#[test]
fn only_one_space_after_the_enhanced_code_is_stripped() {
    let got = replies(b"250 2.0.0  indented\r\n");
    assert_eq!(lines(&got[0]), [" indented"]);
}

#[test]
fn enhanced_code_not_recognised_keeps_text_whole() {
    for (input, expected) in [
        // class differs from the reply code's first digit
        (&b"250 5.1.1 odd\r\n"[..], vec!["5.1.1 odd"]),
        // one line lacks it
        (b"250-2.0.0 a\r\n250 b\r\n", vec!["2.0.0 a", "b"]),
        (b"250-a\r\n250 2.0.0 b\r\n", vec!["a", "2.0.0 b"]),
        // lines disagree: the reply can hold only one
        (
            b"250-2.0.0 a\r\n250 2.1.0 b\r\n",
            vec!["2.0.0 a", "2.1.0 b"],
        ),
        // not followed by space or end of line
        (b"250 2.0.0-ok\r\n", vec!["2.0.0-ok"]),
        (b"250 2.0.0\tok\r\n", vec!["2.0.0\tok"]),
        // not RFC 3463 syntax
        (b"250 2.01.0 ok\r\n", vec!["2.01.0 ok"]),
        (b"250 2.0 ok\r\n", vec!["2.0 ok"]),
        (b"250  2.0.0 ok\r\n", vec![" 2.0.0 ok"]),
    ] {
        let got = replies(input);
        assert_eq!(got[0].enhanced(), None, "{input:?}");
        assert_eq!(lines(&got[0]), expected, "{input:?}");
    }
}

// ---- parsing: errors and recovery ----

#[test]
fn malformed_codes() {
    for line in [
        &b"\r\n"[..],
        b"hello\r\n",
        b"25\r\n",
        b"2\r\n",
        b"199 informational\r\n",
        b"100 x\r\n",
        b"099 x\r\n",
        b"600 x\r\n",
        b"999 x\r\n",
        b"2a0 x\r\n",
        b"25a x\r\n",
        b"250x\r\n",
        b"250\tx\r\n",
        b"250_x\r\n",
        b" 250 x\r\n",
        b"2500 x\r\n",
        "２５０ x\r\n".as_bytes(),
    ] {
        let mut parser = ReplyParser::new(512, 10);
        assert_eq!(
            parser.feed(line),
            Err(ReplyError::MalformedCode),
            "{line:?}"
        );
    }
}

#[test]
fn malformed_line_is_skipped_and_the_stream_goes_on() {
    let got = parse_all(b"hello\r\n220 ready\r\n");
    assert_eq!(
        got,
        [
            Err(ReplyError::MalformedCode),
            Ok(Reply::new(220, None, "ready"))
        ]
    );
}

#[test]
fn error_reports_the_good_lines_before_it_as_consumed_first() {
    let input = b"250-a\r\n250-b\r\nxyz\r\n220 next\r\n";
    let mut parser = ReplyParser::new(512, 10);
    assert_eq!(parser.feed(input), Ok((14, None)));
    assert_eq!(parser.feed(&input[14..]), Err(ReplyError::MalformedCode));
    assert!(!parser.is_in_reply(), "the broken reply is dropped");
    // Nothing was consumed by the error: the same bytes go in again, and
    // the parser skips the broken line.
    let (consumed, reply) = parser.feed(&input[14..]).unwrap();
    assert_eq!(consumed, 15);
    assert_eq!(reply.unwrap(), Reply::new(220, None, "next"));
}

#[test]
fn code_mismatch() {
    let mut parser = ReplyParser::new(512, 10);
    assert_eq!(parser.feed(b"250-a\r\n251 b\r\n"), Ok((7, None)));
    assert_eq!(
        parser.feed(b"251 b\r\n"),
        Err(ReplyError::CodeMismatch {
            expected: 250,
            found: 251
        })
    );
}

#[test]
fn code_mismatch_skips_the_rest_of_the_broken_reply() {
    let got = parse_all(b"250-a\r\n251-b\r\n250-c\r\n250 d\r\n221 bye\r\n");
    assert_eq!(
        got,
        [
            Err(ReplyError::CodeMismatch {
                expected: 250,
                found: 251
            }),
            Ok(Reply::new(221, None, "bye")),
        ]
    );
}

#[test]
fn line_too_long() {
    // 16 bytes, CRLF included, is the most a line may have.
    let mut parser = ReplyParser::new(16, 10);
    let (consumed, reply) = parser.feed(b"250 exactly 16\r\n").unwrap();
    assert_eq!((consumed, lines(&reply.unwrap())), (16, vec!["exactly 16"]));
    assert_eq!(
        parser.feed(b"250 seventeen 17\r\n"),
        Err(ReplyError::LineTooLong)
    );
    assert_eq!(parser.feed(b"250 seventeen 17\r\n"), Ok((18, None)));
}

#[test]
fn line_too_long_is_reported_before_its_end_arrives() {
    let mut parser = ReplyParser::new(16, 10);
    assert_eq!(parser.feed(&[b'x'; 16]), Err(ReplyError::LineTooLong));
    // The rest is dropped as it arrives, so the caller's buffer stays small.
    assert_eq!(parser.feed(&[b'x'; 16]), Ok((16, None)));
    assert_eq!(parser.feed(&[b'x'; 1000]), Ok((1000, None)));
    let (consumed, reply) = parser.feed(b"xx\r\n250 ok\r\n").unwrap();
    assert_eq!(consumed, 12);
    assert_eq!(reply.unwrap(), Reply::new(250, None, "ok"));
}

#[test]
fn over_long_continuation_line_skips_its_whole_reply() {
    let long = format!("250-{}\r\n", "x".repeat(100));
    let input = [
        b"250-a\r\n".as_slice(),
        long.as_bytes(),
        b"250-b\r\n250 c\r\n220 next\r\n",
    ]
    .concat();
    for chunk in [1, 3, 7, 16, input.len()] {
        let got = drive(&mut ReplyParser::new(32, 10), &input, chunk);
        assert_eq!(
            got,
            [
                Err(ReplyError::LineTooLong),
                Ok(Reply::new(220, None, "next"))
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn too_many_lines() {
    let mut parser = ReplyParser::new(512, 3);
    let (_, reply) = parser.feed(b"250-a\r\n250-b\r\n250 c\r\n").unwrap();
    assert_eq!(lines(&reply.unwrap()), ["a", "b", "c"]);
    // The third line announcing more is already too many.
    let got = drive(
        &mut parser,
        b"250-a\r\n250-b\r\n250-c\r\n250 d\r\n221 bye\r\n",
        1,
    );
    assert_eq!(
        got,
        [
            Err(ReplyError::TooManyLines),
            Ok(Reply::new(221, None, "bye"))
        ]
    );
}

#[test]
fn tiny_line_limit_still_fits_the_shortest_line() {
    let got = drive(&mut ReplyParser::new(0, 10), b"250\n250 xx\n221\n", 1);
    assert_eq!(
        got,
        [
            Ok(Reply::new(250, None, "")),
            Err(ReplyError::LineTooLong),
            Ok(Reply::new(221, None, "")),
        ]
    );
}

#[test]
fn at_least_one_line_is_allowed() {
    let mut parser = ReplyParser::new(512, 0);
    assert_eq!(parser.feed(b"250 ok\r\n").unwrap().0, 8);
    assert_eq!(parser.feed(b"250-a\r\n"), Err(ReplyError::TooManyLines));
}

#[test]
fn endless_multi_line_reply_is_cut_off() {
    let mut parser = ReplyParser::new(64, 50);
    let line = b"250-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
    let mut fed = 0;
    let error = loop {
        match parser.feed(line) {
            Ok((consumed, None)) => fed += consumed,
            Ok((_, Some(reply))) => panic!("{reply:?}"),
            Err(error) => break error,
        }
    };
    assert_eq!(error, ReplyError::TooManyLines);
    assert_eq!(fed, 49 * line.len());
}

#[test]
fn reset_forgets_a_partial_reply() {
    let mut parser = ReplyParser::new(512, 10);
    assert_eq!(parser.feed(b"250-a\r\n").unwrap(), (7, None));
    parser.reset();
    assert!(!parser.is_in_reply());
    let (_, reply) = parser.feed(b"220 b\r\n").unwrap();
    assert_eq!(reply.unwrap(), Reply::new(220, None, "b"));
}

#[test]
fn reset_after_an_error_starts_afresh() {
    let mut parser = ReplyParser::new(16, 10);
    assert_eq!(
        parser.feed(b"250-aaaaaaaaaaaaaaaaaaaaaaa"),
        Err(ReplyError::LineTooLong)
    );
    parser.reset();
    // No skipping after a reset: the new stream is read from its start.
    let (_, reply) = parser.feed(b"220 tls ok\r\n").unwrap();
    assert_eq!(reply.unwrap(), Reply::new(220, None, "tls ok"));
    assert_eq!(parser.feed(b"nonsense\r\n"), Err(ReplyError::MalformedCode));
    parser.reset();
    assert_eq!(parser.feed(b"nonsense\r\n"), Err(ReplyError::MalformedCode));
}

#[test]
fn errors_display() {
    assert_eq!(
        ReplyError::CodeMismatch {
            expected: 250,
            found: 550
        }
        .to_string(),
        "reply line with code 550 in a reply with code 250"
    );
    for error in [
        ReplyError::MalformedCode,
        ReplyError::LineTooLong,
        ReplyError::TooManyLines,
    ] {
        assert!(!error.to_string().is_empty());
    }
}

// ---- EHLO capabilities ----

fn ehlo(input: &[u8]) -> Capabilities {
    let got = replies(input);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].enhanced(), None);
    Capabilities::from_ehlo(&got[0])
}

#[test]
fn postfix_ehlo() {
    let caps = ehlo(
        b"250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n\
250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n\
250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
    );
    assert_eq!(
        caps,
        Capabilities {
            size: Some(10_240_000),
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            starttls: true,
            auth: vec!["PLAIN".into(), "LOGIN".into()],
            enhanced_status_codes: true,
            dsn: true,
            etrn: true,
            other: vec![("VRFY".into(), vec![])],
            ..Capabilities::default()
        }
    );
}

#[test]
fn gmail_ehlo_before_and_after_starttls() {
    let before = ehlo(
        b"250-smtp.gmail.com at your service, [203.0.113.5]\r\n250-SIZE 35882577\r\n\
250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n\
250-CHUNKING\r\n250 SMTPUTF8\r\n",
    );
    assert_eq!(
        before,
        Capabilities {
            size: Some(35_882_577),
            pipelining: true,
            eight_bit_mime: true,
            smtputf8: true,
            chunking: true,
            starttls: true,
            enhanced_status_codes: true,
            ..Capabilities::default()
        }
    );
    let after = ehlo(
        b"250-smtp.gmail.com at your service, [203.0.113.5]\r\n250-SIZE 35882577\r\n\
250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n\
250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
    );
    assert!(!after.starttls);
    assert_eq!(
        after.auth,
        [
            "LOGIN",
            "PLAIN",
            "XOAUTH2",
            "PLAIN-CLIENTTOKEN",
            "OAUTHBEARER",
            "XOAUTH"
        ]
    );
}

#[test]
fn exchange_ehlo_with_private_keywords() {
    let caps = ehlo(
        b"250-EX01.contoso.com Hello [192.0.2.10]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n\
250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-X-ANONYMOUSTLS\r\n\
250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n250-8BITMIME\r\n250-BINARYMIME\r\n\
250-CHUNKING\r\n250-XEXCH50\r\n250-XRDST\r\n250 XSHADOWREQUEST\r\n",
    );
    assert_eq!(
        caps,
        Capabilities {
            size: Some(37_748_736),
            pipelining: true,
            eight_bit_mime: true,
            chunking: true,
            binary_mime: true,
            starttls: true,
            auth: vec!["NTLM".into()],
            enhanced_status_codes: true,
            dsn: true,
            other: vec![
                ("X-ANONYMOUSTLS".into(), vec![]),
                ("X-EXPS".into(), vec!["GSSAPI".into(), "NTLM".into()]),
                ("XEXCH50".into(), vec![]),
                ("XRDST".into(), vec![]),
                ("XSHADOWREQUEST".into(), vec![]),
            ],
            ..Capabilities::default()
        }
    );
    assert_eq!(
        caps.extension("x-exps"),
        Some(&["GSSAPI".to_string(), "NTLM".to_string()][..])
    );
    assert_eq!(caps.extension("XRDST"), Some(&[][..]));
    assert_eq!(caps.extension("VRFY"), None);
}

#[test]
fn keywords_are_case_insensitive() {
    let caps = ehlo(
        b"250-mx\r\n250-pipelining\r\n250-Size 100\r\n250-starttls\r\n250-auth=plain\r\n\
250-Auth login PLAIN\r\n250-8bitmime\r\n250-requiretls\r\n250-x-private Arg\r\n250 help\r\n",
    );
    assert_eq!(
        caps,
        Capabilities {
            size: Some(100),
            pipelining: true,
            eight_bit_mime: true,
            starttls: true,
            auth: vec!["plain".into(), "login".into()],
            require_tls: true,
            help: true,
            other: vec![("X-PRIVATE".into(), vec!["Arg".into()])],
            ..Capabilities::default()
        }
    );
}

#[test]
fn legacy_auth_alone_and_merged() {
    let only_legacy = Capabilities::from_ehlo(&Reply::new(250, None, "mx").line("AUTH=LOGIN"));
    assert_eq!(only_legacy.auth, ["LOGIN"]);
    let merged = Capabilities::from_ehlo(
        &Reply::new(250, None, "mx")
            .line("AUTH=LOGIN PLAIN")
            .line("AUTH CRAM-MD5 login PLAIN LOGIN"),
    );
    assert_eq!(merged.auth, ["LOGIN", "PLAIN", "CRAM-MD5"]);
    let empty = Capabilities::from_ehlo(&Reply::new(250, None, "mx").line("AUTH").line("AUTH="));
    assert!(empty.auth.is_empty());
}

#[test]
fn size_values() {
    for (line, size) in [
        ("SIZE", Some(0)),
        ("SIZE 0", Some(0)),
        ("SIZE 52428800", Some(52_428_800)),
        ("SIZE 18446744073709551615", Some(u64::MAX)),
        ("SIZE 18446744073709551616", Some(0)),
        ("SIZE abc", Some(0)),
        ("SIZE +5", Some(0)),
        ("SIZE -5", Some(0)),
        ("SIZE 1e6", Some(0)),
    ] {
        let caps = Capabilities::from_ehlo(&Reply::new(250, None, "mx").line(line));
        assert_eq!(caps.size, size, "{line}");
    }
}

#[test]
fn first_line_is_never_a_keyword() {
    assert_eq!(
        Capabilities::from_ehlo(&Reply::new(250, None, "PIPELINING")),
        Capabilities::default()
    );
}

#[test]
fn failed_ehlo_advertises_nothing() {
    let reply = Reply::new(550, None, "mx").line("PIPELINING");
    assert_eq!(Capabilities::from_ehlo(&reply), Capabilities::default());
}

#[test]
fn blank_keyword_lines_are_ignored() {
    let caps =
        Capabilities::from_ehlo(&Reply::new(250, None, "mx").line("").line("   ").line("DSN"));
    assert_eq!(
        caps,
        Capabilities {
            dsn: true,
            ..Capabilities::default()
        }
    );
}

#[test]
fn ehlo_reply_order_and_form() {
    let caps = Capabilities {
        size: Some(35_000_000),
        pipelining: true,
        eight_bit_mime: true,
        smtputf8: true,
        chunking: true,
        binary_mime: true,
        starttls: true,
        auth: vec!["PLAIN".into(), "LOGIN".into()],
        enhanced_status_codes: true,
        dsn: true,
        require_tls: true,
        etrn: true,
        help: true,
        other: vec![
            ("VRFY".into(), vec![]),
            ("DELIVERBY".into(), vec!["120".into()]),
        ],
    };
    let reply = caps.ehlo_reply("mail.example.com", "Hello client.example.org");
    assert_eq!(reply.enhanced(), None);
    assert_eq!(
        String::from_utf8(encode(&reply)).unwrap(),
        "250-mail.example.com Hello client.example.org\r\n250-PIPELINING\r\n250-SIZE 35000000\r\n\
250-8BITMIME\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-STARTTLS\r\n\
250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250-REQUIRETLS\r\n250-ETRN\r\n\
250-HELP\r\n250-VRFY\r\n250 DELIVERBY 120\r\n"
    );
    assert_eq!(Capabilities::from_ehlo(&reply), caps);
}

#[test]
fn ehlo_reply_minimal_forms() {
    let reply = Capabilities::default().ehlo_reply("mx.example.com", "");
    assert_eq!(encode(&reply), b"250 mx.example.com\r\n");
    let caps = Capabilities {
        size: Some(0),
        ..Capabilities::default()
    };
    assert_eq!(
        encode(&caps.ehlo_reply("mx", "hi")),
        b"250-mx hi\r\n250 SIZE\r\n"
    );
}

#[test]
fn ehlo_reply_has_no_enhanced_code_even_when_advertising_it() {
    let caps = Capabilities {
        enhanced_status_codes: true,
        ..Capabilities::default()
    };
    assert_eq!(
        encode(&caps.ehlo_reply("mx", "")),
        b"250-mx\r\n250 ENHANCEDSTATUSCODES\r\n"
    );
}

// ---- property tests ----

fn arb_reply() -> impl Strategy<Value = Reply> {
    let text = prop_oneof!["[ -~]{0,40}", "\\PC{0,20}", "[0-9. ]{0,12}"];
    (
        200u16..600,
        proptest::option::of((0u16..1000, 0u16..1000)),
        proptest::collection::vec(text, 1..=5),
    )
        .prop_map(|(code, enhanced, lines)| {
            // RFC 3463 has no class 3: 3xx replies carry no enhanced code.
            let class = (code / 100) as u8;
            let enhanced = enhanced
                .filter(|_| class != 3)
                .map(|(subject, detail)| EnhancedCode::new(class, subject, detail));
            Reply::with_lines(code, enhanced, lines)
        })
        .prop_filter("text that reads as an enhanced code", |reply| {
            reply.enhanced().is_some() || !looks_enhanced(reply)
        })
}

/// Whether a reply without an enhanced code would read back with one,
/// because every line's text happens to start with the same one.
fn looks_enhanced(reply: &Reply) -> bool {
    let class = (reply.code() / 100) as u8;
    let first = |line: &str| {
        EnhancedCode::parse(line.split(' ').next().unwrap_or("")).filter(|code| code.class == class)
    };
    let codes: Vec<_> = reply.lines().iter().map(|line| first(line)).collect();
    codes[0].is_some() && codes.iter().all(|code| *code == codes[0])
}

const KNOWN_KEYWORDS: [&str; 13] = [
    "SIZE",
    "PIPELINING",
    "8BITMIME",
    "SMTPUTF8",
    "CHUNKING",
    "BINARYMIME",
    "STARTTLS",
    "AUTH",
    "ENHANCEDSTATUSCODES",
    "DSN",
    "REQUIRETLS",
    "ETRN",
    "HELP",
];

prop_compose! {
    fn arb_capabilities()(
        size in proptest::option::of(prop_oneof![Just(0u64), any::<u64>()]),
        flags in proptest::array::uniform12(any::<bool>()),
        auth in proptest::collection::btree_set("[A-Z0-9_-]{1,20}", 0..5),
        other in proptest::collection::vec(
            (
                "[A-Z0-9][A-Z0-9-]{0,15}".prop_filter("known keyword", |k| !KNOWN_KEYWORDS.contains(&k.as_str())),
                proptest::collection::vec("[!-~]{1,12}", 0..4),
            ),
            0..4,
        ),
    ) -> Capabilities {
        let [pipelining, eight_bit_mime, smtputf8, chunking, binary_mime, starttls,
             enhanced_status_codes, dsn, require_tls, etrn, help, _] = flags;
        Capabilities {
            size, pipelining, eight_bit_mime, smtputf8, chunking, binary_mime, starttls,
            auth: auth.into_iter().collect(),
            enhanced_status_codes, dsn, require_tls, etrn, help, other,
        }
    }
}

proptest! {
    #[test]
    fn reply_round_trip(reply in arb_reply()) {
        let wire = encode(&reply);
        let got = parse_all(&wire);
        prop_assert_eq!(got, vec![Ok(reply)]);
    }

    #[test]
    fn replies_round_trip_in_any_chunks(
        sent in proptest::collection::vec(arb_reply(), 1..5),
        chunk in 1usize..40,
    ) {
        let mut wire = BytesMut::new();
        for reply in &sent {
            reply.encode(&mut wire);
        }
        let got = drive(&mut ReplyParser::new(512, 10), &wire, chunk);
        prop_assert_eq!(got, sent.into_iter().map(Ok).collect::<Vec<_>>());
    }

    #[test]
    fn capabilities_round_trip(
        caps in arb_capabilities(),
        domain in "[a-z0-9.-]{1,30}",
        greeting in "[ -~]{0,30}",
    ) {
        let reply = caps.ehlo_reply(&domain, &greeting);
        prop_assert_eq!(reply.enhanced(), None);
        // Through the wire, as a client would see it.
        let got = replies(&encode(&reply));
        prop_assert_eq!(&got[..], &[reply][..]);
        prop_assert_eq!(Capabilities::from_ehlo(&got[0]), caps);
    }

    #[test]
    fn parser_survives_any_input(
        input in proptest::collection::vec(
            prop_oneof![
                4 => any::<u8>(),
                1 => Just(b'\n'),
                1 => Just(b'-'),
                1 => Just(b' '),
                2 => b'0'..=b'9',
            ],
            0..400,
        ),
        chunk in 1usize..50,
    ) {
        // Whatever comes in, every byte is eventually consumed or still
        // waiting as part of one unfinished line.
        let mut parser = ReplyParser::new(32, 4);
        let mut buf = Vec::new();
        for piece in input.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match parser.feed(&buf) {
                    Ok((0, None)) => break,
                    Ok((consumed, _)) => { buf.drain(..consumed); }
                    Err(_) => {
                        let (consumed, _) = parser.feed(&buf).unwrap();
                        prop_assert!(consumed > 0);
                        buf.drain(..consumed);
                    }
                }
            }
            prop_assert!(buf.len() < 32);
        }
    }
}
