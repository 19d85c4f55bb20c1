//! Exact parse results and encodings of command lines: every verb, every
//! ESMTP parameter, every error, aiosmtpd's address lists, and the command
//! lines of the examples in RFC 5321 Appendix D, RFC 3461 §9, RFC 4954,
//! RFC 3030, RFC 1870, RFC 2033, RFC 1985 and RFC 6531.

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::BytesMut;
use smtp_proto::reply::EnhancedCode;
use smtp_proto::{
    AuthParam, Body, Command, Domain, ForwardPath, MailParams, Mailbox, Notify, Orcpt, Param,
    ParseError, RcptParams, Ret, ReversePath,
};

fn parse(line: &str) -> Result<Command, ParseError> {
    Command::parse(line.as_bytes())
}

fn name(domain: &str) -> Domain {
    Domain::Name(domain.into())
}

fn mbox(local: &str, domain: Domain) -> Mailbox {
    Mailbox {
        local_part: local.into(),
        domain,
    }
}

fn at(local: &str, domain: &str) -> Mailbox {
    mbox(local, name(domain))
}

fn mail(from: Mailbox, params: MailParams) -> Command {
    Command::Mail {
        from: ReversePath::Mailbox(from),
        params,
    }
}

fn rcpt(to: Mailbox, params: RcptParams) -> Command {
    Command::Rcpt {
        to: ForwardPath::Mailbox(to),
        params,
    }
}

/// The mailbox of `MAIL FROM:<path>`, or the error.
fn sender(path: &str) -> Result<Mailbox, ParseError> {
    match parse(&format!("MAIL FROM:{path}"))? {
        Command::Mail {
            from: ReversePath::Mailbox(m),
            params,
        } if params == MailParams::default() => Ok(m),
        other => panic!("{path}: unexpected {other:?}"),
    }
}

/// The mailbox of `RCPT TO:<path>`, or the error.
fn recipient(path: &str) -> Result<Mailbox, ParseError> {
    match parse(&format!("RCPT TO:{path}"))? {
        Command::Rcpt {
            to: ForwardPath::Mailbox(m),
            params,
        } if params == RcptParams::default() => Ok(m),
        other => panic!("{path}: unexpected {other:?}"),
    }
}

fn mail_params(params: &str) -> Result<MailParams, ParseError> {
    match parse(&format!("MAIL FROM:<a@b.example> {params}"))? {
        Command::Mail { params, .. } => Ok(params),
        other => panic!("unexpected {other:?}"),
    }
}

fn rcpt_params(params: &str) -> Result<RcptParams, ParseError> {
    match parse(&format!("RCPT TO:<a@b.example> {params}"))? {
        Command::Rcpt { params, .. } => Ok(params),
        other => panic!("unexpected {other:?}"),
    }
}

fn encode(command: &Command) -> String {
    let mut out = BytesMut::new();
    command.encode(&mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn other(keyword: &str, value: Option<&str>) -> Param {
    Param {
        keyword: keyword.into(),
        value: value.map(Into::into),
    }
}

// ---------------------------------------------------------------- verbs

#[test]
fn hello_commands_keep_their_argument_as_sent() {
    assert_eq!(
        parse("EHLO mail.example.com"),
        Ok(Command::Ehlo("mail.example.com".into()))
    );
    assert_eq!(
        parse("HELO mail.example.com"),
        Ok(Command::Helo("mail.example.com".into()))
    );
    assert_eq!(parse("LHLO foo.edu"), Ok(Command::Lhlo("foo.edu".into())));
    assert_eq!(
        parse("ehlo [192.0.2.1]"),
        Ok(Command::Ehlo("[192.0.2.1]".into()))
    );
    assert_eq!(parse("Helo my_pc"), Ok(Command::Helo("my_pc".into())));
    assert_eq!(
        parse("EHLO  odd client name  "),
        Ok(Command::Ehlo("odd client name".into()))
    );
    assert_eq!(parse("\tLHLO\tx\t"), Ok(Command::Lhlo("x".into())));
    assert_eq!(
        parse("EHLO ünïcode.example"),
        Ok(Command::Ehlo("ünïcode.example".into()))
    );
}

#[test]
fn hello_commands_need_an_argument() {
    assert_eq!(parse("EHLO"), Err(ParseError::Syntax("EHLO domain")));
    assert_eq!(parse("EHLO   "), Err(ParseError::Syntax("EHLO domain")));
    assert_eq!(parse("HELO"), Err(ParseError::Syntax("HELO domain")));
    assert_eq!(parse("HELO \t "), Err(ParseError::Syntax("HELO domain")));
    assert_eq!(parse("LHLO"), Err(ParseError::Syntax("LHLO domain")));
}

#[test]
fn commands_without_arguments() {
    assert_eq!(parse("DATA"), Ok(Command::Data));
    assert_eq!(parse("data  "), Ok(Command::Data));
    assert_eq!(parse("RSET"), Ok(Command::Rset));
    assert_eq!(parse("QUIT"), Ok(Command::Quit));
    assert_eq!(parse("quit"), Ok(Command::Quit));
    assert_eq!(parse("STARTTLS"), Ok(Command::StartTls));
    assert_eq!(parse("StartTLS "), Ok(Command::StartTls));
    assert_eq!(parse("DATA FOOBAR"), Err(ParseError::Syntax("DATA")));
    assert_eq!(parse("RSET FOO"), Err(ParseError::Syntax("RSET")));
    assert_eq!(parse("QUIT oops"), Err(ParseError::Syntax("QUIT")));
    assert_eq!(parse("STARTTLS now"), Err(ParseError::Syntax("STARTTLS")));
}

#[test]
fn optional_string_commands() {
    assert_eq!(parse("NOOP"), Ok(Command::Noop(None)));
    assert_eq!(parse("NOOP   "), Ok(Command::Noop(None)));
    assert_eq!(parse("NOOP ok"), Ok(Command::Noop(Some("ok".into()))));
    assert_eq!(
        parse("noop a\tb  c"),
        Ok(Command::Noop(Some("a\tb  c".into())))
    );
    assert_eq!(parse("HELP"), Ok(Command::Help(None)));
    assert_eq!(parse("HELP MAIL"), Ok(Command::Help(Some("MAIL".into()))));
    assert_eq!(parse("help me!"), Ok(Command::Help(Some("me!".into()))));
}

#[test]
fn required_string_commands() {
    assert_eq!(parse("VRFY Crispin"), Ok(Command::Vrfy("Crispin".into())));
    assert_eq!(
        parse("VRFY <anne@example.com>"),
        Ok(Command::Vrfy("<anne@example.com>".into()))
    );
    assert_eq!(parse("VRFY @@"), Ok(Command::Vrfy("@@".into())));
    assert_eq!(
        parse("EXPN Example-People"),
        Ok(Command::Expn("Example-People".into()))
    );
    assert_eq!(
        parse("expn anne@example.com"),
        Ok(Command::Expn("anne@example.com".into()))
    );
    assert_eq!(
        parse("ETRN foo.bar.com"),
        Ok(Command::Etrn("foo.bar.com".into()))
    );
    assert_eq!(
        parse("ETRN @foo.bar.com"),
        Ok(Command::Etrn("@foo.bar.com".into()))
    );
    assert_eq!(
        parse("ETRN #somequeue"),
        Ok(Command::Etrn("#somequeue".into()))
    );
    assert_eq!(parse("VRFY"), Err(ParseError::Syntax("VRFY string")));
    assert_eq!(parse("EXPN  "), Err(ParseError::Syntax("EXPN string")));
    assert_eq!(parse("ETRN"), Err(ParseError::Syntax("ETRN node")));
}

#[test]
fn bdat() {
    let bdat = |size, last| Ok(Command::Bdat { size, last });
    assert_eq!(parse("BDAT 86 LAST"), bdat(86, true));
    assert_eq!(parse("BDAT 69"), bdat(69, false));
    assert_eq!(parse("BDAT 0 LAST"), bdat(0, true));
    assert_eq!(parse("bdat 5 last"), bdat(5, true));
    assert_eq!(parse("BDAT  1000   Last  "), bdat(1000, true));
    assert_eq!(parse("BDAT 18446744073709551615"), bdat(u64::MAX, false));
    let usage = Err(ParseError::Syntax("BDAT chunk-size [LAST]"));
    assert_eq!(parse("BDAT"), usage);
    assert_eq!(parse("BDAT x"), usage);
    assert_eq!(parse("BDAT -1"), usage);
    assert_eq!(parse("BDAT +1"), usage);
    assert_eq!(parse("BDAT 18446744073709551616"), usage);
    assert_eq!(parse("BDAT 5 FIRST"), usage);
    assert_eq!(parse("BDAT 5 LAST x"), usage);
    assert_eq!(parse("BDAT LAST"), usage);
}

#[test]
fn auth() {
    let auth = |mechanism: &str, ir: Option<&str>| {
        Ok(Command::Auth {
            mechanism: mechanism.into(),
            initial_response: ir.map(Into::into),
        })
    };
    // RFC 4954 §4 and §7.
    assert_eq!(parse("AUTH GSSAPI"), auth("GSSAPI", None));
    assert_eq!(parse("AUTH CRAM-MD5"), auth("CRAM-MD5", None));
    assert_eq!(parse("AUTH FOOBAR"), auth("FOOBAR", None));
    assert_eq!(
        parse("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="),
        auth("PLAIN", Some("dGVzdAB0ZXN0ADEyMzQ="))
    );
    assert_eq!(parse("AUTH PLAIN ="), auth("PLAIN", Some("=")));
    assert_eq!(parse("auth plain"), auth("PLAIN", None));
    assert_eq!(
        parse("AUTH scram-sha-256  biwsbj11c2VyLHI9  "),
        auth("SCRAM-SHA-256", Some("biwsbj11c2VyLHI9"))
    );
    assert_eq!(parse("AUTH WITH_UNDERSCORE"), auth("WITH_UNDERSCORE", None));
    assert_eq!(parse("AUTH X a+/9=="), auth("X", Some("a+/9==")));
    assert_eq!(
        parse("AUTH ABCDEFGHIJKLMNOPQRST"),
        auth("ABCDEFGHIJKLMNOPQRST", None)
    );
    let usage = Err(ParseError::Syntax("AUTH mechanism [initial-response]"));
    assert_eq!(parse("AUTH"), usage);
    assert_eq!(parse("AUTH PL@IN"), usage);
    assert_eq!(parse("AUTH ABCDEFGHIJKLMNOPQRSTU"), usage);
    assert_eq!(parse("AUTH PLAIN abc def"), usage);
    assert_eq!(parse("AUTH PLAIN abc*"), usage);
    assert_eq!(parse("AUTH PLAIN a=b"), usage);
    assert_eq!(parse("AUTH PLAIN =="), usage);
    assert_eq!(parse("AUTH PLAIN abc==="), usage);
}

#[test]
fn unknown_commands() {
    for line in [
        "",
        "   ",
        "FOOBAR",
        "MAILX FROM:<a@b>",
        "MA1L FROM:<a@b>",
        "M@IL",
        "STARTTLSX",
        "START",
        "TURN",
        "ATRN example.com",
        "BURL imap://x LAST",
        "MAIL:FROM:<a@b>",
        "EHL0 x",
        "XEXCH50",
    ] {
        assert_eq!(parse(line), Err(ParseError::UnknownCommand), "{line:?}");
    }
}

#[test]
fn invalid_characters() {
    for line in [
        &b"NOOP \0"[..],
        b"NOOP a\x01b",
        b"NOOP \x7f",
        b"NOOP a\rb",
        b"NOOP a\nb",
        b"\x80FAIL",
        b"\x80 FAIL",
        b"MAIL FROM:<\xffanne@example.com>",
        b"EHLO \xc3",
        // U+0085, a C1 control, in UTF-8.
        b"NOOP \xc2\x85",
        b"RCPT TO:<a@b.example>\x1b",
    ] {
        assert_eq!(
            Command::parse(line),
            Err(ParseError::InvalidCharacters),
            "{line:?}"
        );
    }
    // Every octet at every position of a line longer than a few words.
    for pos in 5..29 {
        for octet in 0..=255u8 {
            let mut line = b"NOOP abcdefghijklmnopqrstuvwx".to_vec();
            line[pos] = octet;
            let bad = (octet < 0x20 && octet != b'\t') || octet >= 0x7f;
            let result = Command::parse(&line);
            assert_eq!(
                result == Err(ParseError::InvalidCharacters),
                bad,
                "{octet:#x} at {pos}: {result:?}"
            );
        }
    }
    // Tab is whitespace, not a control character, here.
    assert_eq!(
        Command::parse(b"NOOP\ta\tb"),
        Ok(Command::Noop(Some("a\tb".into())))
    );
}

// ---------------------------------------------------------------- MAIL and RCPT

#[test]
fn mail_and_rcpt_whitespace_is_lenient() {
    let expected = mail(at("a", "b.example"), MailParams::default());
    for line in [
        "MAIL FROM:<a@b.example>",
        "mail from:<a@b.example>",
        "Mail From:<a@b.example>",
        "MAIL FROM: <a@b.example>",
        "MAIL FROM:   <a@b.example>",
        "MAIL   FROM:<a@b.example>",
        "  MAIL FROM:<a@b.example>  ",
        "MAIL\tFROM:\t<a@b.example>\t",
    ] {
        assert_eq!(parse(line), Ok(expected.clone()), "{line:?}");
    }
    let expected = rcpt(at("a", "b.example"), RcptParams::default());
    for line in [
        "RCPT TO:<a@b.example>",
        "rcpt to: <a@b.example> ",
        "RCPT  To:\t<a@b.example>",
    ] {
        assert_eq!(parse(line), Ok(expected.clone()), "{line:?}");
    }
    let params = MailParams {
        size: Some(1),
        body: Some(Body::SevenBit),
        ..MailParams::default()
    };
    assert_eq!(
        parse("MAIL FROM:<a@b.example>   SIZE=1 \t BODY=7BIT   "),
        Ok(mail(at("a", "b.example"), params))
    );
}

#[test]
fn separators_at_every_offset() {
    for n in 1..30 {
        let value = "v".repeat(n);
        for separator in [" ", "\t", " \t  "] {
            assert_eq!(
                mail_params(&format!("X={value}{separator}Y{separator}")).map(|p| p.other),
                Ok(vec![other("X", Some(&value)), other("Y", None)]),
                "{n} {separator:?}"
            );
            assert_eq!(
                parse(&format!("AUTH {}{separator}{value}", "M".repeat(n.min(20)))),
                Ok(Command::Auth {
                    mechanism: "M".repeat(n.min(20)),
                    initial_response: Some(value.clone()),
                })
            );
        }
    }
}

#[test]
fn mail_and_rcpt_need_from_and_to() {
    let mail_usage = Err(ParseError::Syntax("MAIL FROM:<address> [parameters]"));
    let rcpt_usage = Err(ParseError::Syntax("RCPT TO:<address> [parameters]"));
    // aiosmtpd test_mail_smtp_errsyntax and test_rcpt_smtp_errsyntax.
    assert_eq!(parse("MAIL"), mail_usage);
    assert_eq!(parse("MAIL <anne@example.com>"), mail_usage);
    assert_eq!(parse("MAIL FROM:"), mail_usage);
    assert_eq!(parse("MAIL FROM:   "), mail_usage);
    assert_eq!(parse("MAIL FROM <anne@example.com>"), mail_usage);
    assert_eq!(parse("MAIL FROM :<anne@example.com>"), mail_usage);
    assert_eq!(parse("MAIL TO:<anne@example.com>"), mail_usage);
    assert_eq!(parse("RCPT"), rcpt_usage);
    assert_eq!(parse("RCPT <anne@example.com>"), rcpt_usage);
    assert_eq!(parse("RCPT TO:"), rcpt_usage);
    assert_eq!(parse("RCPT FROM:<anne@example.com>"), rcpt_usage);
}

#[test]
fn null_and_postmaster_paths() {
    assert_eq!(
        parse("MAIL FROM:<>"),
        Ok(Command::Mail {
            from: ReversePath::Null,
            params: MailParams::default()
        })
    );
    assert_eq!(
        parse("MAIL FROM:<> SIZE=10"),
        Ok(Command::Mail {
            from: ReversePath::Null,
            params: MailParams {
                size: Some(10),
                ..MailParams::default()
            }
        })
    );
    for path in ["<Postmaster>", "<postmaster>", "<POSTMASTER>"] {
        assert_eq!(
            parse(&format!("RCPT TO:{path}")),
            Ok(Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: RcptParams::default()
            })
        );
    }
    assert_eq!(
        recipient("<Postmaster@example.com>"),
        Ok(at("Postmaster", "example.com"))
    );
    assert_eq!(parse("RCPT TO:<>"), Err(ParseError::BadRecipient));
    assert_eq!(parse("MAIL FROM:<Postmaster>"), Err(ParseError::BadSender));
    assert_eq!(
        parse("RCPT TO:<@a.example:Postmaster>"),
        Err(ParseError::BadRecipient)
    );
    assert_eq!(
        parse("RCPT TO:<Postmasters>"),
        Err(ParseError::BadRecipient)
    );
}

/// aiosmtpd's `valid_mailfrom_addresses` (tests/test_smtp.py) that RFC 5321
/// also accepts, with the mailbox each one gives.
#[test]
fn aiosmtpd_valid_addresses() {
    let long_a = "a".repeat(65);
    let long_b = "b".repeat(488);
    let cases = [
        ("<anne@example.com>", at("anne", "example.com")),
        (" <anne@example.com>", at("anne", "example.com")),
        ("  <anne@example.com>", at("anne", "example.com")),
        (
            "<anne.arthur@example.com>",
            at("anne.arthur", "example.com"),
        ),
        ("<anne+promo@example.com>", at("anne+promo", "example.com")),
        (
            "<anne-arthur@example.com>",
            at("anne-arthur", "example.com"),
        ),
        (
            "<anne_arthur@example.com>",
            at("anne_arthur", "example.com"),
        ),
        ("<_@example.com>", at("_", "example.com")),
        ("<anne@127.0.0.1>", at("anne", "127.0.0.1")),
        (
            "<anne@[127.0.0.1]>",
            mbox("anne", Domain::Ipv4(Ipv4Addr::new(127, 0, 0, 1))),
        ),
        (
            "<anne@[IPv6:2001:db8::1]>",
            mbox("anne", Domain::Ipv6("2001:db8::1".parse().unwrap())),
        ),
        (
            "<anne@[IPv6:::1]>",
            mbox("anne", Domain::Ipv6(Ipv6Addr::LOCALHOST)),
        ),
        ("<@example.org:anne@example.com>", at("anne", "example.com")),
        (
            "<@example.net,@example.org:anne@example.com>",
            at("anne", "example.com"),
        ),
        ("<anne@mail>", at("anne", "mail")),
        ("<\"\"@example.com>", at("", "example.com")),
        ("<\" \"@example.com>", at(" ", "example.com")),
        (
            "<\"anne..arthur\"@example.com>",
            at("anne..arthur", "example.com"),
        ),
        (
            "<mailhost!anne@example.com>",
            at("mailhost!anne", "example.com"),
        ),
        (
            "<anne%example.org@example.com>",
            at("anne%example.org", "example.com"),
        ),
        ("<\"Abc@def\"@example.com>", at("Abc@def", "example.com")),
        (
            "<\"Fred Bloggs\"@example.com>",
            at("Fred Bloggs", "example.com"),
        ),
        (
            "<\"Fred\\ Bloggs\"@example.com>",
            at("Fred Bloggs", "example.com"),
        ),
        (
            "<\"Joe.\\\\Blow\"@example.com>",
            at("Joe.\\Blow", "example.com"),
        ),
        (
            "<customer/department=shipping@example.com>",
            at("customer/department=shipping", "example.com"),
        ),
        ("<$A12345@example.com>", at("$A12345", "example.com")),
        (
            "<!def!xyz%abc@example.com>",
            at("!def!xyz%abc", "example.com"),
        ),
        // No 64-octet local part limit (aiosmtpd issue 257).
        (
            &*format!("<{long_a}@example.com>"),
            at(&long_a, "example.com"),
        ),
        (
            &*format!("<{long_b}@example.com>"),
            at(&long_b, "example.com"),
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(sender(path), Ok(expected.clone()), "MAIL {path}");
        assert_eq!(recipient(path), Ok(expected), "RCPT {path}");
    }
}

/// aiosmtpd's `valid_mailfrom_addresses` that it accepts through Python's
/// lenient RFC 5322 parser but RFC 5321 does not: no angle brackets,
/// comments, mixed quoted and unquoted local parts, backslashes outside
/// quotes, no domain. Plus its `invalid_email_addresses`.
#[test]
fn aiosmtpd_addresses_rfc5321_rejects() {
    let long_c = "c".repeat(500);
    for path in [
        "anne@example.com",
        " anne@example.com",
        "anne.arthur@example.com",
        "\"\"@example.com",
        "<anne(comment)@example.com>",
        "<(comment)anne@example.com>",
        "<anne@example.com(comment)>",
        "<anne@machine(comment).  example>",
        "<much.\"more\\ unusual\"@example.com>",
        "<very.\"(),:;<>[]\".VERY.\"very@\\\\ \"very.unusual@strange.example.com>",
        "<Fred\\ Bloggs@example.com>",
        "<Joe.\\\\Blow@example.com>",
        &format!("<{long_c}>"),
        // Tag "IPv6", content ":1": not an address (the loopback is [IPv6:::1]).
        "<anne@[IPv6::1]>",
        // invalid_email_addresses
        "<@example.com>",
        "<johnathon@>",
        // test_mail_smtp_errsyntax "malformed"
        "Anne <anne@example.com>",
    ] {
        assert_eq!(sender(path), Err(ParseError::BadSender), "MAIL {path}");
        assert_eq!(
            recipient(path),
            Err(ParseError::BadRecipient),
            "RCPT {path}"
        );
    }
}

#[test]
fn malformed_paths() {
    for path in [
        "<anne@example.com",
        "anne@example.com>",
        "<<anne@example.com>>",
        "<anne@example.com>>",
        "<anne@example.com>x",
        "<anne@example.com>SIZE=1",
        "<anne@ex ample.com>",
        "< anne@example.com>",
        "<anne@example.com >",
        "<anne@>",
        "<anne>",
        "<anne@example.com@example.org>",
        "<@>",
        "<anne@-example.com>",
        "<anne@example-.com>",
        "<anne@example..com>",
        "<anne@.example.com>",
        "<anne@example.com.>",
        "<anne@exa_mple.com>",
        "<.anne@example.com>",
        "<anne.@example.com>",
        "<an..ne@example.com>",
        "<an\"ne@example.com>",
        "<\"anne@example.com>",
        "<\"anne\"x@example.com>",
        "<\"a\tb\"@example.com>",
        "<\"a\\\"@example.com>",
        "<\"a\\é\"@example.com>",
        "<anne@[300.1.1.1]>",
        "<anne@[1.2.3]>",
        "<anne@[1.2.3.4.5]>",
        "<anne@[1.2.3.4]x>",
        "<anne@[1234.2.3.4]>",
        "<anne@[1..3.4]>",
        "<anne@[]>",
        "<anne@[1.2.3.4>",
        "<anne@[IPv6:zz::1]>",
        "<anne@[IPv6:1.2.3.4]>",
        "<anne@[x-tag:]>",
        "<anne@[:content]>",
        "<anne@[tag-:content]>",
        "<anne@[t_g:content]>",
        "<anne@[tag:con[tent]>",
        "<anne@[tag:a b]>",
        "<anne@[tag:a\\b]>",
        "<@example.com:>",
        "<@:anne@example.com>",
        "<@example.com,anne@example.com>",
        "<@example.com anne@example.com>",
        "<@example..com:anne@example.com>",
        "<@[1.2.3.4]:anne@example.com>",
        "<@a.example,@b.example;anne@example.com>",
    ] {
        assert_eq!(sender(path), Err(ParseError::BadSender), "MAIL {path}");
        assert_eq!(
            recipient(path),
            Err(ParseError::BadRecipient),
            "RCPT {path}"
        );
    }
}

#[test]
fn quoted_local_parts_are_decoded() {
    assert_eq!(
        sender("<\"a\\\"b\"@example.com>"),
        Ok(at("a\"b", "example.com"))
    );
    assert_eq!(
        sender("<\"a\\\\b\"@example.com>"),
        Ok(at("a\\b", "example.com"))
    );
    assert_eq!(
        sender("<\"\\a\\b\\c\"@example.com>"),
        Ok(at("abc", "example.com"))
    );
    assert_eq!(
        sender("<\"anne\"@example.com>"),
        Ok(at("anne", "example.com"))
    );
    assert_eq!(
        sender("<\"(),:;<>[]@\"@example.com>"),
        Ok(at("(),:;<>[]@", "example.com"))
    );
    assert_eq!(
        sender("<\"ü ber\"@example.com>"),
        Ok(at("ü ber", "example.com"))
    );
}

#[test]
fn utf8_addresses() {
    assert_eq!(sender("<用户@例子.广告>"), Ok(at("用户", "例子.广告")));
    assert_eq!(
        recipient("<δοκιμή@παράδειγμα.δοκιμή>"),
        Ok(at("δοκιμή", "παράδειγμα.δοκιμή"))
    );
    assert_eq!(
        sender("<jörg@bücher.example>"),
        Ok(at("jörg", "bücher.example"))
    );
}

#[test]
fn address_literals() {
    assert_eq!(
        sender("<a@[192.0.2.1]>"),
        Ok(mbox("a", Domain::Ipv4(Ipv4Addr::new(192, 0, 2, 1))))
    );
    assert_eq!(
        sender("<a@[010.001.000.001]>"),
        Ok(mbox("a", Domain::Ipv4(Ipv4Addr::new(10, 1, 0, 1))))
    );
    assert_eq!(
        sender("<a@[255.255.255.255]>"),
        Ok(mbox("a", Domain::Ipv4(Ipv4Addr::BROADCAST)))
    );
    assert_eq!(
        sender("<a@[ipv6:2001:DB8::1]>"),
        Ok(mbox("a", Domain::Ipv6("2001:db8::1".parse().unwrap())))
    );
    assert_eq!(
        sender("<a@[IPV6:::ffff:192.0.2.1]>"),
        Ok(mbox("a", Domain::Ipv6("::ffff:192.0.2.1".parse().unwrap())))
    );
    assert_eq!(
        sender("<a@[IPv6:2001:db8:0:0:0:0:0:1]>"),
        Ok(mbox("a", Domain::Ipv6("2001:db8::1".parse().unwrap())))
    );
    assert_eq!(
        sender("<a@[x-tag:some:content!~]>"),
        Ok(mbox(
            "a",
            Domain::General {
                tag: "x-tag".into(),
                content: "some:content!~".into()
            }
        ))
    );
    assert_eq!(
        sender("<a@[123:4]>"),
        Ok(mbox(
            "a",
            Domain::General {
                tag: "123".into(),
                content: "4".into()
            }
        ))
    );
}

// ---------------------------------------------------------------- MAIL parameters

#[test]
fn size() {
    assert_eq!(mail_params("SIZE=0").map(|p| p.size), Ok(Some(0)));
    assert_eq!(mail_params("size=10000").map(|p| p.size), Ok(Some(10_000)));
    assert_eq!(
        mail_params("SIZE=18446744073709551615").map(|p| p.size),
        Ok(Some(u64::MAX))
    );
    for bad in [
        "SIZE=18446744073709551616",
        "SIZE=99999999999999999999999",
        "SIZE=abc",
        "SIZE=+1",
        "SIZE=-1",
        "SIZE=1k",
        "SIZE=",
        "SIZE",
        "SIZE 10000",
        "SIZE = 10000",
        "SIZE=1 SIZE=1",
        "SIZE=1=2",
    ] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("SIZE")),
            "{bad}"
        );
    }
}

#[test]
fn body() {
    assert_eq!(
        mail_params("BODY=7BIT").map(|p| p.body),
        Ok(Some(Body::SevenBit))
    );
    assert_eq!(
        mail_params("BODY=8BITMIME").map(|p| p.body),
        Ok(Some(Body::EightBitMime))
    );
    assert_eq!(
        mail_params("body=8bitmime").map(|p| p.body),
        Ok(Some(Body::EightBitMime))
    );
    assert_eq!(
        mail_params("BODY=BINARYMIME").map(|p| p.body),
        Ok(Some(Body::BinaryMime))
    );
    for bad in [
        "BODY=9BIT",
        "BODY=FOOBAR",
        "BODY=",
        "BODY",
        "BODY=7BIT BODY=7BIT",
        "BODY=8BIT",
    ] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("BODY")),
            "{bad}"
        );
    }
}

#[test]
fn flags() {
    assert_eq!(mail_params("SMTPUTF8").map(|p| p.smtputf8), Ok(true));
    assert_eq!(mail_params("smtputf8").map(|p| p.smtputf8), Ok(true));
    assert_eq!(mail_params("REQUIRETLS").map(|p| p.require_tls), Ok(true));
    assert_eq!(mail_params("RequireTLS").map(|p| p.require_tls), Ok(true));
    for bad in ["SMTPUTF8=yes", "SMTPUTF8 SMTPUTF8", "SMTPUTF8="] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("SMTPUTF8")),
            "{bad}"
        );
    }
    for bad in ["REQUIRETLS=1", "REQUIRETLS REQUIRETLS"] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("REQUIRETLS")),
            "{bad}"
        );
    }
}

#[test]
fn ret() {
    assert_eq!(mail_params("RET=FULL").map(|p| p.ret), Ok(Some(Ret::Full)));
    assert_eq!(
        mail_params("ret=hdrs").map(|p| p.ret),
        Ok(Some(Ret::Headers))
    );
    for bad in [
        "RET=NONE",
        "RET=",
        "RET",
        "RET=FULL RET=HDRS",
        "RET=HEADERS",
    ] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("RET")),
            "{bad}"
        );
    }
}

#[test]
fn envid() {
    let envid = |p: &str| mail_params(p).map(|p| p.envid);
    assert_eq!(envid("ENVID=QQ314159"), Ok(Some("QQ314159".into())));
    assert_eq!(envid("envid=a+2Bb+3Dc+20d"), Ok(Some("a+b=c d".into())));
    assert_eq!(
        envid(&format!("ENVID={}", "x".repeat(100))),
        Ok(Some("x".repeat(100)))
    );
    // The limit is on the decoded identifier.
    assert_eq!(
        envid(&format!("ENVID={}", "+2B".repeat(100))),
        Ok(Some("+".repeat(100)))
    );
    for bad in [
        &*format!("ENVID={}", "x".repeat(101)),
        "ENVID=",
        "ENVID",
        "ENVID=+ZZ",
        "ENVID=a+",
        "ENVID=a=b",
        "ENVID=+FF",
        "ENVID=a ENVID=b",
    ] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("ENVID")),
            "{bad}"
        );
    }
}

#[test]
fn auth_param() {
    let auth = |p: &str| mail_params(p).map(|p| p.auth);
    assert_eq!(auth("AUTH=<>"), Ok(Some(AuthParam::Unknown)));
    // RFC 4954 §5.
    assert_eq!(
        auth("AUTH=e+3Dmc2@example.com"),
        Ok(Some(AuthParam::Identity("e=mc2@example.com".into())))
    );
    assert_eq!(
        auth("auth=+3C+3E"),
        Ok(Some(AuthParam::Identity("<>".into())))
    );
    for bad in ["AUTH=", "AUTH", "AUTH=+", "AUTH=a=b", "AUTH=<> AUTH=<>"] {
        assert_eq!(
            mail_params(bad),
            Err(ParseError::BadParameter("AUTH")),
            "{bad}"
        );
    }
}

#[test]
fn all_mail_params_together() {
    assert_eq!(
        mail_params(
            "SIZE=12345 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-FOO=bar XBAZ NOTIFY=NEVER"
        ),
        Ok(MailParams {
            size: Some(12345),
            body: Some(Body::EightBitMime),
            smtputf8: true,
            ret: Some(Ret::Headers),
            envid: Some("QQ314159".into()),
            auth: Some(AuthParam::Unknown),
            require_tls: true,
            other: vec![
                other("X-FOO", Some("bar")),
                other("XBAZ", None),
                other("NOTIFY", Some("NEVER")),
            ],
        })
    );
}

#[test]
fn other_params_keep_order_case_and_repeats() {
    assert_eq!(
        mail_params("FOO=BAR foo=baz 9x-Y=é+= HOLDFOR=10 ORCPT=rfc822;a@b").map(|p| p.other),
        Err(ParseError::Syntax("malformed ESMTP parameter"))
    );
    assert_eq!(
        mail_params("FOO=BAR foo=baz 9x-Y=é+ HOLDFOR=10 ORCPT=rfc822;a@b").map(|p| p.other),
        Ok(vec![
            other("FOO", Some("BAR")),
            other("foo", Some("baz")),
            other("9x-Y", Some("é+")),
            other("HOLDFOR", Some("10")),
            other("ORCPT", Some("rfc822;a@b")),
        ])
    );
    // MAIL's parameters on RCPT go to `other` too, unchecked.
    assert_eq!(
        rcpt_params("SIZE=1000 SMTPUTF8 BODY=9BIT").map(|p| p.other),
        Ok(vec![
            other("SIZE", Some("1000")),
            other("SMTPUTF8", None),
            other("BODY", Some("9BIT")),
        ])
    );
}

#[test]
fn malformed_params() {
    for bad in [
        "#$%=!@#", "-X=1", "X_Y=1", "X==1", "X=", "X=a=b", "=x", "=", "é=1", "<x>",
    ] {
        let error = ParseError::Syntax("malformed ESMTP parameter");
        assert_eq!(mail_params(bad), Err(error.clone()), "MAIL {bad}");
        assert_eq!(rcpt_params(bad), Err(error), "RCPT {bad}");
    }
}

// ---------------------------------------------------------------- RCPT parameters

#[test]
fn notify() {
    let notify = |p: &str| rcpt_params(p).map(|p| p.notify);
    let on = |success, failure, delay| {
        Ok(Some(Notify::On {
            success,
            failure,
            delay,
        }))
    };
    assert_eq!(notify("NOTIFY=NEVER"), Ok(Some(Notify::Never)));
    assert_eq!(notify("notify=never"), Ok(Some(Notify::Never)));
    assert_eq!(notify("NOTIFY=SUCCESS"), on(true, false, false));
    assert_eq!(notify("NOTIFY=FAILURE"), on(false, true, false));
    assert_eq!(notify("NOTIFY=DELAY"), on(false, false, true));
    assert_eq!(notify("NOTIFY=SUCCESS,FAILURE"), on(true, true, false));
    assert_eq!(notify("NOTIFY=delay,Success,FAILURE"), on(true, true, true));
    for bad in [
        "NOTIFY=NEVER,SUCCESS",
        "NOTIFY=SUCCESS,NEVER",
        "NOTIFY=",
        "NOTIFY",
        "NOTIFY=SUCCESS,",
        "NOTIFY=,SUCCESS",
        "NOTIFY=SUCCESS,,DELAY",
        "NOTIFY=BOGUS",
        "NOTIFY=NEVER NOTIFY=NEVER",
    ] {
        assert_eq!(
            rcpt_params(bad),
            Err(ParseError::BadParameter("NOTIFY")),
            "{bad}"
        );
    }
}

#[test]
fn orcpt() {
    let orcpt = |p: &str| rcpt_params(p).map(|p| p.orcpt);
    let value = |t: &str, a: &str| {
        Ok(Some(Orcpt {
            addr_type: t.into(),
            address: a.into(),
        }))
    };
    assert_eq!(
        orcpt("ORCPT=rfc822;Bob@Example.COM"),
        value("rfc822", "Bob@Example.COM")
    );
    assert_eq!(
        orcpt("orcpt=RFC822;a+2Bb@example.com"),
        value("RFC822", "a+b@example.com")
    );
    assert_eq!(
        orcpt("ORCPT=utf-8;j+C3+B6rg@example.com"),
        value("utf-8", "jörg@example.com")
    );
    assert_eq!(orcpt("ORCPT=x-local;a;b"), value("x-local", "a;b"));
    for bad in [
        "ORCPT=rfc822",
        "ORCPT=;a@b",
        "ORCPT=rfc822;",
        "ORCPT=rf(c;a@b",
        "ORCPT=rf.c;a@b",
        "ORCPT=rfc822;a+ZZ",
        "ORCPT=rfc822;a@b ORCPT=rfc822;a@b",
        "ORCPT",
    ] {
        assert_eq!(
            rcpt_params(bad),
            Err(ParseError::BadParameter("ORCPT")),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------- examples from the RFCs

#[test]
fn rfc5321_appendix_d() {
    let lines = [
        // D.1 A typical SMTP transaction scenario.
        ("EHLO bar.com", Command::Ehlo("bar.com".into())),
        (
            "MAIL FROM:<Smith@bar.com>",
            mail(at("Smith", "bar.com"), MailParams::default()),
        ),
        (
            "RCPT TO:<Jones@foo.com>",
            rcpt(at("Jones", "foo.com"), RcptParams::default()),
        ),
        (
            "RCPT TO:<Green@foo.com>",
            rcpt(at("Green", "foo.com"), RcptParams::default()),
        ),
        (
            "RCPT TO:<Brown@foo.com>",
            rcpt(at("Brown", "foo.com"), RcptParams::default()),
        ),
        ("DATA", Command::Data),
        ("QUIT", Command::Quit),
        // D.2 Aborted SMTP transaction.
        ("RSET", Command::Rset),
        // D.3 Relayed mail scenario.
        ("EHLO foo.com", Command::Ehlo("foo.com".into())),
        (
            "MAIL FROM:<JQP@bar.com>",
            mail(at("JQP", "bar.com"), MailParams::default()),
        ),
        (
            "RCPT TO:<Jones@XYZ.COM>",
            rcpt(at("Jones", "XYZ.COM"), RcptParams::default()),
        ),
        // D.4 Verifying and sending scenario.
        ("VRFY Crispin", Command::Vrfy("Crispin".into())),
        (
            "MAIL FROM:<EAK@bar.com>",
            mail(at("EAK", "bar.com"), MailParams::default()),
        ),
        (
            "RCPT TO:<Admin.MRC@foo.com>",
            rcpt(at("Admin.MRC", "foo.com"), RcptParams::default()),
        ),
        // §3.5 and §3.6.
        ("VRFY Smith", Command::Vrfy("Smith".into())),
        (
            "EXPN Example-People",
            Command::Expn("Example-People".into()),
        ),
        (
            "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>",
            rcpt(at("userc", "d.bar.org"), RcptParams::default()),
        ),
        ("HELP", Command::Help(None)),
        ("NOOP", Command::Noop(None)),
    ];
    for (line, expected) in lines {
        assert_eq!(parse(line), Ok(expected), "{line}");
    }
}

#[test]
fn rfc3461_section9() {
    let dsn = |notify: Notify, orcpt: Option<&str>| RcptParams {
        notify: Some(notify),
        orcpt: orcpt.map(|a| Orcpt {
            addr_type: "rfc822".into(),
            address: a.into(),
        }),
        other: vec![],
    };
    let on = |success, failure| Notify::On {
        success,
        failure,
        delay: false,
    };
    let lines = [
        ("EHLO Example.ORG", Command::Ehlo("Example.ORG".into())),
        (
            "MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159",
            mail(
                at("Alice", "Example.ORG"),
                MailParams {
                    ret: Some(Ret::Headers),
                    envid: Some("QQ314159".into()),
                    ..MailParams::default()
                },
            ),
        ),
        (
            "RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM",
            rcpt(
                at("Bob", "Example.COM"),
                dsn(on(true, false), Some("Bob@Example.COM")),
            ),
        ),
        (
            "RCPT TO:<Carol@Ivory.EDU> NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU",
            rcpt(
                at("Carol", "Ivory.EDU"),
                dsn(on(false, true), Some("Carol@Ivory.EDU")),
            ),
        ),
        (
            "RCPT TO:<Dana@Ivory.EDU> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU",
            rcpt(
                at("Dana", "Ivory.EDU"),
                dsn(on(true, true), Some("Dana@Ivory.EDU")),
            ),
        ),
        (
            "RCPT TO:<Eric@Bombs.AF.MIL> NOTIFY=FAILURE ORCPT=rfc822;Eric@Bombs.AF.MIL",
            rcpt(
                at("Eric", "Bombs.AF.MIL"),
                dsn(on(false, true), Some("Eric@Bombs.AF.MIL")),
            ),
        ),
        (
            "RCPT TO:<Fred@Bombs.AF.MIL> NOTIFY=NEVER",
            rcpt(at("Fred", "Bombs.AF.MIL"), dsn(Notify::Never, None)),
        ),
        (
            "RCPT TO:<George@Tax-ME.GOV> NOTIFY=FAILURE ORCPT=rfc822;George@Tax-ME.GOV",
            rcpt(
                at("George", "Tax-ME.GOV"),
                dsn(on(false, true), Some("George@Tax-ME.GOV")),
            ),
        ),
    ];
    for (line, expected) in lines {
        assert_eq!(parse(line), Ok(expected.clone()), "{line}");
        assert_eq!(encode(&expected), format!("{line}\r\n"));
    }
}

#[test]
fn rfc4954_and_friends() {
    // RFC 4954 §5 and §7.
    let line = "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com";
    let expected = mail(
        at("e=mc2", "example.com"),
        MailParams {
            auth: Some(AuthParam::Identity("e=mc2@example.com".into())),
            ..MailParams::default()
        },
    );
    assert_eq!(parse(line), Ok(expected.clone()));
    assert_eq!(encode(&expected), format!("{line}\r\n"));
    assert_eq!(
        parse("EHLO jgm.example.com"),
        Ok(Command::Ehlo("jgm.example.com".into()))
    );
    // RFC 3030 §4.
    assert_eq!(
        parse("MAIL FROM:<Sam@Random.com> BODY=BINARYMIME"),
        Ok(mail(
            at("Sam", "Random.com"),
            MailParams {
                body: Some(Body::BinaryMime),
                ..MailParams::default()
            }
        ))
    );
    // RFC 1870 §7.
    assert_eq!(
        parse("MAIL FROM:<ned@thor.innosoft.com> SIZE=500000"),
        Ok(mail(
            at("ned", "thor.innosoft.com"),
            MailParams {
                size: Some(500_000),
                ..MailParams::default()
            }
        ))
    );
    // RFC 6531 with RFC 6533's utf-8 ORCPT.
    assert_eq!(
        parse("MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME"),
        Ok(mail(
            at("jörg", "bücher.example"),
            MailParams {
                smtputf8: true,
                body: Some(Body::EightBitMime),
                ..MailParams::default()
            }
        ))
    );
}

// ---------------------------------------------------------------- encoding

#[test]
fn display_of_paths() {
    assert_eq!(name("example.com").to_string(), "example.com");
    assert_eq!(
        Domain::Ipv4(Ipv4Addr::new(192, 0, 2, 1)).to_string(),
        "[192.0.2.1]"
    );
    assert_eq!(Domain::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "[IPv6:::1]");
    assert_eq!(
        Domain::General {
            tag: "x-tag".into(),
            content: "a:b".into()
        }
        .to_string(),
        "[x-tag:a:b]"
    );
    assert_eq!(
        at("anne.arthur", "example.com").to_string(),
        "anne.arthur@example.com"
    );
    assert_eq!(
        at("jörg", "bücher.example").to_string(),
        "jörg@bücher.example"
    );
    assert_eq!(at("", "x").to_string(), "\"\"@x");
    assert_eq!(at("a b", "x").to_string(), "\"a b\"@x");
    assert_eq!(at("a..b", "x").to_string(), "\"a..b\"@x");
    assert_eq!(at(".a", "x").to_string(), "\".a\"@x");
    assert_eq!(at("a.", "x").to_string(), "\"a.\"@x");
    assert_eq!(at("a\"b\\c", "x").to_string(), "\"a\\\"b\\\\c\"@x");
    assert_eq!(at("Abc@def", "x").to_string(), "\"Abc@def\"@x");
    assert_eq!(ReversePath::Null.to_string(), "<>");
    assert_eq!(ReversePath::Mailbox(at("a", "b")).to_string(), "<a@b>");
    assert_eq!(ForwardPath::Postmaster.to_string(), "<Postmaster>");
    assert_eq!(ForwardPath::Mailbox(at("a", "b")).to_string(), "<a@b>");
}

#[test]
fn display_of_params() {
    assert_eq!(MailParams::default().to_string(), "");
    assert_eq!(RcptParams::default().to_string(), "");
    let params = MailParams {
        size: Some(5),
        body: Some(Body::BinaryMime),
        smtputf8: true,
        ret: Some(Ret::Full),
        envid: Some("a b+c".into()),
        auth: Some(AuthParam::Identity("é=".into())),
        require_tls: true,
        other: vec![other("X", None), other("Y", Some("1"))],
    };
    assert_eq!(
        params.to_string(),
        " SIZE=5 BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=a+20b+2Bc AUTH=+C3+A9+3D REQUIRETLS X Y=1"
    );
    let unknown = MailParams {
        auth: Some(AuthParam::Unknown),
        ..MailParams::default()
    };
    assert_eq!(unknown.to_string(), " AUTH=<>");
    // An identity that is literally "<>" must not read back as the unknown submitter.
    let odd = MailParams {
        auth: Some(AuthParam::Identity("<>".into())),
        ..MailParams::default()
    };
    assert_eq!(odd.to_string(), " AUTH=+3C>");
    assert_eq!(mail_params(odd.to_string().trim()), Ok(odd));
    let params = RcptParams {
        notify: Some(Notify::On {
            success: true,
            failure: false,
            delay: true,
        }),
        orcpt: Some(Orcpt {
            addr_type: "rfc822".into(),
            address: "a+b@c".into(),
        }),
        other: vec![other("SIZE", Some("1"))],
    };
    assert_eq!(
        params.to_string(),
        " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@c SIZE=1"
    );
    assert_eq!(Notify::Never.to_string(), "NEVER");
}

#[test]
fn encode_every_verb() {
    let cases = [
        (Command::Ehlo("a.example".into()), "EHLO a.example\r\n"),
        (Command::Helo("a.example".into()), "HELO a.example\r\n"),
        (Command::Lhlo("a.example".into()), "LHLO a.example\r\n"),
        (
            Command::Mail {
                from: ReversePath::Null,
                params: MailParams::default(),
            },
            "MAIL FROM:<>\r\n",
        ),
        (
            mail(
                at("a b", "c"),
                MailParams {
                    size: Some(1),
                    ..MailParams::default()
                },
            ),
            "MAIL FROM:<\"a b\"@c> SIZE=1\r\n",
        ),
        (
            Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: RcptParams::default(),
            },
            "RCPT TO:<Postmaster>\r\n",
        ),
        (
            rcpt(
                mbox("a", Domain::Ipv4(Ipv4Addr::new(1, 2, 3, 4))),
                RcptParams {
                    notify: Some(Notify::Never),
                    ..RcptParams::default()
                },
            ),
            "RCPT TO:<a@[1.2.3.4]> NOTIFY=NEVER\r\n",
        ),
        (Command::Data, "DATA\r\n"),
        (
            Command::Bdat {
                size: 10,
                last: false,
            },
            "BDAT 10\r\n",
        ),
        (
            Command::Bdat {
                size: 0,
                last: true,
            },
            "BDAT 0 LAST\r\n",
        ),
        (Command::Rset, "RSET\r\n"),
        (Command::Vrfy("x".into()), "VRFY x\r\n"),
        (Command::Expn("x".into()), "EXPN x\r\n"),
        (Command::Help(None), "HELP\r\n"),
        (Command::Help(Some("MAIL".into())), "HELP MAIL\r\n"),
        (Command::Noop(None), "NOOP\r\n"),
        (Command::Noop(Some("x y".into())), "NOOP x y\r\n"),
        (Command::Quit, "QUIT\r\n"),
        (Command::StartTls, "STARTTLS\r\n"),
        (
            Command::Auth {
                mechanism: "PLAIN".into(),
                initial_response: None,
            },
            "AUTH PLAIN\r\n",
        ),
        (
            Command::Auth {
                mechanism: "PLAIN".into(),
                initial_response: Some("=".into()),
            },
            "AUTH PLAIN =\r\n",
        ),
        (
            Command::Etrn("@example.com".into()),
            "ETRN @example.com\r\n",
        ),
    ];
    for (command, line) in cases {
        assert_eq!(encode(&command), line);
        let parsed = Command::parse(line.strip_suffix("\r\n").unwrap().as_bytes());
        assert_eq!(parsed, Ok(command), "{line}");
    }
    // encode appends.
    let mut out = BytesMut::from(&b"x"[..]);
    Command::Quit.encode(&mut out);
    assert_eq!(&out[..], b"xQUIT\r\n");
}

// ---------------------------------------------------------------- replies

#[test]
fn error_replies() {
    let cases = [
        (ParseError::UnknownCommand, 500, (5, 5, 1)),
        (ParseError::Syntax("EHLO domain"), 501, (5, 5, 4)),
        (ParseError::BadSender, 501, (5, 1, 7)),
        (ParseError::BadRecipient, 501, (5, 1, 3)),
        (ParseError::BadParameter("SIZE"), 501, (5, 5, 4)),
        (ParseError::InvalidCharacters, 500, (5, 5, 2)),
    ];
    for (error, code, (class, subject, detail)) in cases {
        let reply = error.reply();
        assert_eq!(reply.code(), code, "{error:?}");
        assert_eq!(
            reply.enhanced(),
            Some(EnhancedCode::new(class, subject, detail))
        );
    }
    assert_eq!(
        ParseError::Syntax("EHLO domain").reply().lines()[0],
        "Syntax error: EHLO domain"
    );
    assert_eq!(
        ParseError::BadParameter("SIZE").reply().lines()[0],
        "Invalid SIZE parameter"
    );
}
