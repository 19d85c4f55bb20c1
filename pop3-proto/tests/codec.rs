//! The codec: commands, responses, response codes, capabilities, the
//! multi-line body encoders and decoder, listings and APOP.

use bytes::BytesMut;
use pop3_proto::apop::{ApopTimestamp, digest};
use pop3_proto::capabilities::{Expire, LoginDelay};
use pop3_proto::listing::{ListingLine, parse_size_line, parse_unique_id_line};
use pop3_proto::maildrop::UniqueId;
use pop3_proto::response::{encode_challenge, parse_challenge};
use pop3_proto::{
    BodyDecoder, BodyProgress, Capabilities, Command, CommandLimits, DotStuffer, ParseError,
    RespCode, Response, ResponseError, Status, TopFilter,
};

fn parse(line: &[u8]) -> Result<Command, ParseError> {
    Command::parse(line, &CommandLimits::default())
}

fn encoded(command: &Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    command.encode(&mut out);
    out.to_vec()
}

#[test]
fn every_rfc1939_command() {
    let cases: Vec<(&[u8], Command)> = vec![
        (b"USER mrose", Command::User("mrose".into())),
        (b"PASS secret", Command::Pass("secret".into())),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
            Command::Apop {
                user: "mrose".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into(),
            },
        ),
        (b"STAT", Command::Stat),
        (b"LIST", Command::List(None)),
        (b"LIST 2", Command::List(Some(2))),
        (b"RETR 1", Command::Retr(1)),
        (b"DELE 1", Command::Dele(1)),
        (b"NOOP", Command::Noop),
        (b"RSET", Command::Rset),
        (b"QUIT", Command::Quit),
        (
            b"TOP 1 10",
            Command::Top {
                message: 1,
                lines: 10,
            },
        ),
        (b"UIDL", Command::Uidl(None)),
        (b"UIDL 2", Command::Uidl(Some(2))),
        (b"CAPA", Command::Capa),
        (b"STLS", Command::Stls),
        (b"UTF8", Command::Utf8),
        (
            b"AUTH",
            Command::Auth {
                mechanism: None,
                initial_response: None,
            },
        ),
        (
            b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=",
            Command::Auth {
                mechanism: Some("PLAIN".into()),
                initial_response: Some("dGVzdAB0ZXN0AHRlc3Q=".into()),
            },
        ),
        (
            b"AUTH SCRAM-SHA-256 =",
            Command::Auth {
                mechanism: Some("SCRAM-SHA-256".into()),
                initial_response: Some("=".into()),
            },
        ),
    ];
    for (line, command) in cases {
        assert_eq!(
            parse(line),
            Ok(command.clone()),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        let mut wire = line.to_vec();
        wire.extend_from_slice(b"\r\n");
        assert_eq!(encoded(&command), wire);
        assert_eq!(parse(&wire), Ok(command));
    }
}

#[test]
fn lenient_forms() {
    assert_eq!(parse(b"stat"), Ok(Command::Stat));
    assert_eq!(parse(b"  StAt  "), Ok(Command::Stat));
    assert_eq!(parse(b"LIST   3  "), Ok(Command::List(Some(3))));
    assert_eq!(
        parse(b"TOP 1  0"),
        Ok(Command::Top {
            message: 1,
            lines: 0
        })
    );
    assert_eq!(
        parse(b"USER  first last "),
        Ok(Command::User("first last".into()))
    );
    assert_eq!(
        parse(b"PASS  two  spaces "),
        Ok(Command::Pass(" two  spaces ".into()))
    );
    assert_eq!(parse(b"PASS "), Ok(Command::Pass("".into())));
    assert_eq!(
        parse(b"PASS \xff\xfe"),
        Ok(Command::Pass(b"\xff\xfe"[..].into()))
    );
    assert_eq!(
        parse(b"APOP first last C4C9334BAC560ECC979E58001B3E22FB"),
        Ok(Command::Apop {
            user: "first last".into(),
            digest: "c4c9334bac560ecc979e58001b3e22fb".into()
        })
    );
    assert_eq!(
        parse("USER jörg@exämple.org".as_bytes()),
        Ok(Command::User("jörg@exämple.org".into()))
    );
    assert_eq!(parse(b"RETR 007"), Ok(Command::Retr(7)));
}

#[test]
fn parse_errors() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"", ParseError::Empty),
        (b"   ", ParseError::Empty),
        (b"XYZZY", ParseError::UnknownCommand),
        (b"LAST", ParseError::UnknownCommand),
        (b"ST", ParseError::UnknownCommand),
        (b"STAT 1", ParseError::TooManyArguments),
        (b"QUIT now", ParseError::TooManyArguments),
        (b"LIST 1 2", ParseError::TooManyArguments),
        (b"LIST x", ParseError::InvalidArgument),
        (b"LIST +1", ParseError::InvalidArgument),
        (b"LIST -1", ParseError::InvalidArgument),
        (b"LIST 4294967296", ParseError::InvalidArgument),
        (b"RETR", ParseError::MissingArgument),
        (b"DELE", ParseError::MissingArgument),
        (b"TOP 1", ParseError::MissingArgument),
        (b"TOP 1 2 3", ParseError::TooManyArguments),
        (b"TOP 1 18446744073709551616", ParseError::InvalidArgument),
        (b"USER", ParseError::MissingArgument),
        (b"USER   ", ParseError::MissingArgument),
        (b"USER a\x00b", ParseError::InvalidArgument),
        (b"USER \xff", ParseError::NotUtf8),
        (b"PASS", ParseError::MissingArgument),
        (b"PASS a\x00b", ParseError::InvalidArgument),
        (b"APOP mrose", ParseError::MissingArgument),
        (b"APOP mrose short", ParseError::InvalidArgument),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fz",
            ParseError::InvalidArgument,
        ),
        (
            b"APOP c4c9334bac560ecc979e58001b3e22fb",
            ParseError::MissingArgument,
        ),
        (b"AUTH PLAIN a b", ParseError::TooManyArguments),
        (b"AUTH PL@IN", ParseError::InvalidArgument),
        (b"AUTH PLAIN not-base64!", ParseError::InvalidArgument),
    ];
    for (line, error) in cases {
        assert_eq!(
            parse(line),
            Err(*error),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn limits() {
    let strict = CommandLimits::RFC2449;
    let user40 = format!("USER {}", "u".repeat(40));
    assert!(Command::parse(user40.as_bytes(), &strict).is_ok());
    let user41 = format!("USER {}", "u".repeat(41));
    assert_eq!(
        Command::parse(user41.as_bytes(), &strict),
        Err(ParseError::ArgumentTooLong)
    );
    assert!(parse(user41.as_bytes()).is_ok());
    let long_auth = format!("AUTH XOAUTH2 {}", "A".repeat(2000));
    assert!(parse(long_auth.as_bytes()).is_ok());
    assert_eq!(
        Command::parse(long_auth.as_bytes(), &strict),
        Err(ParseError::LineTooLong)
    );
    // 253 octets + CRLF fit in 255.
    let exact = format!("AUTH PLAIN {}", "A".repeat(253 - 11));
    assert!(Command::parse(exact.as_bytes(), &strict).is_ok());
    let over = format!("AUTH PLAIN {}", "A".repeat(254 - 11));
    assert_eq!(
        Command::parse(over.as_bytes(), &strict),
        Err(ParseError::LineTooLong)
    );
}

#[test]
fn pass_is_never_printed() {
    let command = parse(b"PASS hunter2").unwrap();
    assert!(!format!("{command:?}").contains("hunter2"));
}

#[test]
fn responses() {
    let cases: Vec<(&[u8], Response)> = vec![
        (b"+OK\r\n", Response::ok("")),
        (b"+OK 2 320\r\n", Response::ok("2 320")),
        (
            b"-ERR no such message\r\n",
            Response::err(None, "no such message"),
        ),
        (
            b"-ERR [IN-USE] Do you have another POP session running?\r\n",
            Response::err(
                Some(RespCode::InUse),
                "Do you have another POP session running?",
            ),
        ),
        (
            b"-ERR [LOGIN-DELAY] wait\r\n",
            Response::err(Some(RespCode::LoginDelay), "wait"),
        ),
        (
            b"-ERR [SYS/TEMP] later\r\n",
            Response::err(Some(RespCode::SysTemp), "later"),
        ),
        (
            b"-ERR [SYS/PERM]\r\n",
            Response::err(Some(RespCode::SysPerm), ""),
        ),
        (
            b"-ERR [AUTH] Authentication failed\r\n",
            Response::err(Some(RespCode::Auth), "Authentication failed"),
        ),
        (
            b"-ERR [UTF8] no\r\n",
            Response::err(Some(RespCode::Utf8), "no"),
        ),
        (
            b"-ERR [X-ACME/QUOTA/OVER] over\r\n",
            Response::err(Some(RespCode::Other("X-ACME/QUOTA/OVER".into())), "over"),
        ),
    ];
    for (wire, response) in cases {
        let mut out = BytesMut::new();
        response.encode(&mut out);
        assert_eq!(&out[..], wire);
        assert_eq!(Response::parse(wire), Ok(response));
    }
    assert_eq!(Response::parse(b"+ok fine").unwrap().status(), Status::Ok);
    assert_eq!(
        Response::parse(b"-err [sys/temp] x").unwrap().code(),
        Some(&RespCode::SysTemp)
    );
    assert_eq!(Response::parse(b"OK"), Err(ResponseError::NoStatus));
    assert_eq!(Response::parse(b"+OKAY"), Err(ResponseError::NoSpace));
    assert_eq!(
        Response::parse(b"-ERR [SYS/TEMP"),
        Err(ResponseError::BadCode)
    );
    assert_eq!(Response::parse(b"-ERR [] x"), Err(ResponseError::BadCode));
    assert_eq!(Response::parse(b"+OK \xff"), Err(ResponseError::NotUtf8));
    // Text cannot break the line.
    let mut out = BytesMut::new();
    Response::ok("two\r\nlines").encode(&mut out);
    assert_eq!(&out[..], b"+OK two  lines\r\n");
}

#[test]
fn response_code_hierarchy() {
    assert!(RespCode::SysTemp.is_within("SYS"));
    assert!(RespCode::SysTemp.is_within("sys/temp"));
    assert!(!RespCode::SysTemp.is_within("SYS/PERM"));
    assert!(!RespCode::Auth.is_within("AUTH/X"));
    let code: RespCode = "X/Y/Z".parse().unwrap();
    assert!(code.is_within("X/Y"));
    assert_eq!(code.levels().count(), 3);
    for bad in ["", "/", "A/", "/A", "A B", "A]", "\u{e9}", &"A".repeat(65)] {
        assert!(bad.parse::<RespCode>().is_err(), "{bad:?}");
    }
}

#[test]
fn challenges() {
    let mut out = BytesMut::new();
    encode_challenge(b"", &mut out);
    encode_challenge(b"<1896.697170952@postoffice.reston.mci.net>", &mut out);
    assert_eq!(
        &out[..],
        &b"+ \r\n+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"[..]
    );
    assert_eq!(parse_challenge(b"+ \r\n"), Some(Ok(Vec::new())));
    assert_eq!(parse_challenge(b"+"), Some(Ok(Vec::new())));
    assert_eq!(parse_challenge(b"+ YWJj"), Some(Ok(b"abc".to_vec())));
    assert!(matches!(parse_challenge(b"+ !!"), Some(Err(_))));
    assert_eq!(parse_challenge(b"+OK"), None);
}

#[test]
fn rfc2449_capa_example() {
    let lines = [
        "TOP",
        "USER",
        "SASL CRAM-MD5 KERBEROS_V4",
        "RESP-CODES",
        "LOGIN-DELAY 900",
        "PIPELINING",
        "EXPIRE 60",
        "UIDL",
        "IMPLEMENTATION Shlemazle-Plotz-v302",
    ];
    let caps = Capabilities::parse_lines(lines);
    let mut expected = Capabilities::default();
    expected.top = true;
    expected.user = true;
    expected.sasl = vec!["CRAM-MD5".into(), "KERBEROS_V4".into()];
    expected.resp_codes = true;
    expected.login_delay = Some(LoginDelay {
        seconds: 900,
        per_user: false,
    });
    expected.pipelining = true;
    expected.expire = Some(Expire {
        days: Some(60),
        per_user: false,
    });
    expected.uidl = true;
    expected.implementation = Some("Shlemazle-Plotz-v302".into());
    assert_eq!(caps, expected);
}

#[test]
fn capabilities_other_forms() {
    let caps = Capabilities::parse_lines([
        "EXPIRE NEVER",
        "LOGIN-DELAY 30 USER",
        "UTF8 USER",
        "STLS",
        "AUTH-RESP-CODE",
        "X-EXTENSION arg",
        "EXPIRE soon",
        "TOP extra",
    ]);
    assert_eq!(
        caps.expire,
        Some(Expire {
            days: None,
            per_user: false
        })
    );
    assert_eq!(
        caps.login_delay,
        Some(LoginDelay {
            seconds: 30,
            per_user: true
        })
    );
    assert!(caps.utf8 && caps.utf8_user && caps.stls && caps.auth_resp_code);
    assert!(!caps.top);
    assert_eq!(caps.other, ["X-EXTENSION arg", "EXPIRE soon", "TOP extra"]);
    let mut out = BytesMut::new();
    let mut dotted = Capabilities::default();
    dotted.other = vec![".odd".into()];
    dotted.encode(&mut out);
    assert_eq!(&out[..], b"+OK Capability list follows\r\n..odd\r\n.\r\n");
}

fn stuff(pieces: &[&[u8]]) -> Vec<u8> {
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    for piece in pieces {
        stuffer.encode(piece, &mut out);
    }
    stuffer.finish(&mut out);
    out.to_vec()
}

#[test]
fn stuffing() {
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[], b".\r\n"),
        (&[b""], b".\r\n"),
        (&[b"."], b"..\r\n.\r\n"),
        (&[b"a\r\n"], b"a\r\n.\r\n"),
        (&[b"a"], b"a\r\n.\r\n"),
        (&[b".\r\n.."], b"..\r\n...\r\n.\r\n"),
        (&[b"a\nb\rc"], b"a\r\nb\r\nc\r\n.\r\n"),
        (&[b"a\r", b"\n.b"], b"a\r\n..b\r\n.\r\n"),
        (&[b"a\r", b"\r\n"], b"a\r\n\r\n.\r\n"),
        (&[b"a\r", b"", b"\n", b"."], b"a\r\n..\r\n.\r\n"),
        (&[b"\r\n", b".", b"\r\n"], b"\r\n..\r\n.\r\n"),
        (&[b"\n\n"], b"\r\n\r\n.\r\n"),
        (&[b"x\r\r\n"], b"x\r\n\r\n.\r\n"),
    ];
    for (pieces, wire) in cases {
        assert_eq!(stuff(pieces), wire.to_vec(), "{pieces:?}");
    }
}

#[test]
fn body_decoder() {
    let mut decoder = BodyDecoder::new();
    let mut content = Vec::new();
    assert_eq!(
        decoder.decode(b"a\r\n.", &mut content),
        BodyProgress::NeedMore
    );
    assert_eq!(
        decoder.decode(b".b\r\n.", &mut content),
        BodyProgress::NeedMore
    );
    assert_eq!(decoder.decode(b"\r", &mut content), BodyProgress::NeedMore);
    assert_eq!(
        decoder.decode(b"\nrest", &mut content),
        BodyProgress::Done { consumed: 1 }
    );
    assert_eq!(content, b"a\r\n.b\r\n");
    assert!(decoder.is_done());
    assert_eq!(
        decoder.decode(b"more", &mut content),
        BodyProgress::Done { consumed: 0 }
    );
    // An empty body, and a lax server's ".\n".
    let mut decoder = BodyDecoder::new();
    assert_eq!(
        decoder.decode(b".\r\n", &mut content),
        BodyProgress::Done { consumed: 3 }
    );
    let mut decoder = BodyDecoder::new();
    let mut lax = Vec::new();
    assert_eq!(
        decoder.decode(b"x\n.\n", &mut lax),
        BodyProgress::Done { consumed: 4 }
    );
    assert_eq!(lax, b"x\n");
}

fn top(content: &[u8], lines: u64, piece: usize) -> (Vec<u8>, bool) {
    let mut filter = TopFilter::new(lines);
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    for chunk in content.chunks(piece.max(1)) {
        stuffer.encode(filter.filter(chunk), &mut out);
    }
    stuffer.finish(&mut out);
    (out.to_vec(), filter.is_done())
}

#[test]
fn top_filter() {
    let message: &[u8] = b"From: a\r\nSubject: b\r\n\r\n1\r\n.2\r\n3\r\n";
    let cases: &[(u64, &[u8], bool)] = &[
        (0, b"From: a\r\nSubject: b\r\n\r\n.\r\n", true),
        (1, b"From: a\r\nSubject: b\r\n\r\n1\r\n.\r\n", true),
        (2, b"From: a\r\nSubject: b\r\n\r\n1\r\n..2\r\n.\r\n", true),
        (
            3,
            b"From: a\r\nSubject: b\r\n\r\n1\r\n..2\r\n3\r\n.\r\n",
            true,
        ),
        (
            4,
            b"From: a\r\nSubject: b\r\n\r\n1\r\n..2\r\n3\r\n.\r\n",
            false,
        ),
    ];
    for &(lines, expected, done) in cases {
        for piece in [1, 2, 3, 7, 100] {
            assert_eq!(
                top(message, lines, piece),
                (expected.to_vec(), done),
                "TOP {lines} in pieces of {piece}"
            );
        }
    }
    // No body: everything, never done.
    assert_eq!(
        top(b"Subject: x\r\n", 0, 3),
        (b"Subject: x\r\n.\r\n".to_vec(), false)
    );
    // A message starting with the blank line has an empty header.
    assert_eq!(
        top(b"\r\nbody\r\nmore\r\n", 1, 2),
        (b"\r\nbody\r\n.\r\n".to_vec(), true)
    );
    // Bare LF and bare CR line ends count like CRLF; the last line may be unterminated.
    assert_eq!(
        top(b"S: x\n\na\rb\nc", 2, 1),
        (b"S: x\r\n\r\na\r\nb\r\n.\r\n".to_vec(), true)
    );
    assert_eq!(
        top(b"S: x\n\na\rb\nc", 3, 1),
        (b"S: x\r\n\r\na\r\nb\r\nc\r\n.\r\n".to_vec(), false)
    );
    // A CR ending a piece, its LF in the next one, right where TOP ends.
    let mut filter = TopFilter::new(1);
    assert_eq!(filter.filter(b"H: v\r\n\r\nline\r"), b"H: v\r\n\r\nline\r");
    assert!(filter.is_done());
    assert_eq!(filter.filter(b"\nnext\r\n"), b"");
}

#[test]
fn listing_lines() {
    let id = UniqueId::new("QhdPYR:00WBw1Ph7x7").unwrap();
    let mut out = BytesMut::new();
    ListingLine::Size {
        number: 2,
        size: 200,
    }
    .encode_response(&mut out);
    ListingLine::UniqueId {
        number: 1,
        unique_id: &id,
    }
    .encode_response(&mut out);
    assert_eq!(&out[..], b"+OK 2 200\r\n+OK 1 QhdPYR:00WBw1Ph7x7\r\n");
    assert_eq!(parse_size_line("2 200 extra"), Some((2, 200)));
    assert_eq!(parse_size_line("2"), None);
    assert_eq!(parse_size_line("x 200"), None);
    assert_eq!(parse_unique_id_line("1 QhdPYR:00WBw1Ph7x7"), Some((1, id)));
    assert_eq!(parse_unique_id_line("1 has space"), None);
}

#[test]
fn apop_digest_and_timestamps() {
    let timestamp = ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    assert_eq!(
        digest(&timestamp, b"tanstaaf"),
        "c4c9334bac560ecc979e58001b3e22fb"
    );
    assert_eq!(
        ApopTimestamp::from_parts("4242.17.1700000000", "pop.example.org")
            .unwrap()
            .as_str(),
        "<4242.17.1700000000@pop.example.org>"
    );
    for bad in [
        "",
        "<>",
        "<no-at>",
        "<a b@c>",
        "a@b",
        "<a@b",
        "<<a@b>",
        &format!("<{}@b>", "a".repeat(300)),
    ] {
        assert!(ApopTimestamp::new(bad).is_err(), "{bad:?}");
    }
}
