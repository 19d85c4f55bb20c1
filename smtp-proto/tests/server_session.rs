//! Exact transcripts of the sans-IO server session: every command, every
//! error path, the RFC examples and the aiosmtpd scenarios.

mod support;

use smtp_proto::LineEndingPolicy;
use smtp_proto::server::{ServerConfig, TlsInfo};
use support::{Harness, converse, mta};

const GREETING: &str = "220 mx.example.org ESMTP Mailwright\r\n";
const EHLO: &str = "250-mx.example.org Hello client.example\r\n\
250-PIPELINING\r\n\
250-SIZE 52428800\r\n\
250-8BITMIME\r\n\
250-SMTPUTF8\r\n\
250-CHUNKING\r\n\
250-BINARYMIME\r\n\
250-ENHANCEDSTATUSCODES\r\n\
250-DSN\r\n\
250 HELP\r\n";
const MAIL_OK: &str = "250 2.1.0 Sender OK\r\n";
const RCPT_OK: &str = "250 2.1.5 Recipient OK\r\n";
const GO_AHEAD: &str = "354 End data with <CR><LF>.<CR><LF>\r\n";
const QUEUED: &str = "250 2.0.0 Queued\r\n";
const BYE: &str = "221 2.0.0 mx.example.org closing connection\r\n";

/// Runs a session after EHLO and returns what followed the EHLO reply.
fn after_ehlo(config: ServerConfig, input: &str) -> String {
    let out = converse(config, &format!("EHLO client.example\r\n{input}"));
    out.strip_prefix(GREETING)
        .and_then(|rest| {
            rest.split_once("250 HELP\r\n")
                .map(|(_, after)| after.to_string())
        })
        .or_else(|| {
            out.split_once(" HELP\r\n")
                .map(|(_, after)| after.to_string())
        })
        .unwrap_or(out)
}

#[test]
fn a_whole_transaction() {
    let mut h = Harness::new(mta());
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: hi\r\n\r\nHello\r\n..dot\r\n.\r\nQUIT\r\n");
    let events = h.events().to_vec();
    let out = h.finish();
    assert_eq!(
        out.output,
        format!("{GREETING}{EHLO}{MAIL_OK}{RCPT_OK}{GO_AHEAD}{QUEUED}{BYE}")
    );
    assert_eq!(
        out.messages,
        vec![b"Subject: hi\r\n\r\nHello\r\n.dot\r\n".to_vec()]
    );
    assert_eq!(
        events,
        [
            "flush",
            "flush",
            "mail <a@example.com>",
            "rcpt <b@example.org>",
            "flush",
            "data-start",
            "chunk",
            "data-end",
            "flush",
            "flush",
            "close"
        ]
    );
    assert!(out.closed);
}

#[test]
fn rfc5321_appendix_d1_typical_transaction() {
    let out = converse(
        ServerConfig::new("foo.com"),
        "EHLO bar.com\r\nMAIL FROM:<Smith@bar.com>\r\nRCPT TO:<Jones@foo.com>\r\nRCPT TO:<Green@foo.com>\r\nRCPT TO:<Brown@foo.com>\r\nDATA\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n",
    );
    let (greeting, rest) = out.split_once("\r\n").unwrap();
    assert_eq!(greeting, "220 foo.com ESMTP Mailwright");
    let rest = rest.split_once("250 HELP\r\n").unwrap().1;
    assert_eq!(
        rest,
        format!(
            "{MAIL_OK}{RCPT_OK}{RCPT_OK}{RCPT_OK}{GO_AHEAD}{QUEUED}221 2.0.0 foo.com closing connection\r\n"
        )
    );
}

#[test]
fn rfc5321_appendix_d1_rejected_recipient_and_helo() {
    let out = converse(
        mta(),
        "HELO bar.com\r\nMAIL FROM:<Smith@bar.com>\r\nRCPT TO:<Jones@foo.com>\r\nRCPT TO:<bad-Green@foo.com>\r\nRCPT TO:<Brown@foo.com>\r\nDATA\r\nBlah\r\n.\r\nQUIT\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{GREETING}250 mx.example.org\r\n{MAIL_OK}{RCPT_OK}550 5.1.1 User unknown\r\n{RCPT_OK}{GO_AHEAD}{QUEUED}{BYE}"
        )
    );
}

#[test]
fn helo_takes_no_esmtp_parameters() {
    let out = converse(mta(), "HELO bar.com\r\nMAIL FROM:<a@bar.com> SIZE=100\r\n");
    assert!(
        out.ends_with("555 5.5.4 Unsupported parameter\r\n"),
        "{out}"
    );
}

#[test]
fn command_order() {
    let out = converse(
        mta(),
        "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nEHLO client.example\r\nRCPT TO:<c@d.example>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\nDATA\r\nRCPT TO:<bad@d.example>\r\nDATA\r\n",
    );
    let expected = format!(
        "{GREETING}503 5.5.1 Send HELO/EHLO first\r\n503 5.5.1 Need MAIL command\r\n503 5.5.1 Need MAIL command\r\n{EHLO}503 5.5.1 Need MAIL command\r\n503 5.5.1 Need MAIL command\r\n{MAIL_OK}503 5.5.1 Sender already specified\r\n554 5.5.1 No valid recipients\r\n550 5.1.1 User unknown\r\n554 5.5.1 No valid recipients\r\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn helo_is_optional_when_configured() {
    let mut config = mta();
    config.require_helo = false;
    let out = converse(config, "MAIL FROM:<a@b.example>\r\n");
    assert_eq!(out, format!("{GREETING}{MAIL_OK}"));
}

#[test]
fn unknown_and_malformed_commands() {
    let out = after_ehlo(
        mta(),
        "FOO\r\nMAIL FROM:a@b.example\r\nRCPT TO:<>\r\nDATA now\r\nMAIL FROM:<a@b.example> SIZE=abc\r\n\r\nLHLO x\r\n",
    );
    assert_eq!(
        out,
        "500 5.5.1 Command unrecognized\r\n501 5.1.7 Bad sender address syntax\r\n501 5.1.3 Bad recipient address syntax\r\n501 5.5.4 Syntax error: DATA\r\n501 5.5.4 Invalid SIZE parameter\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n"
    );
}

#[test]
fn rset_noop_help_vrfy_expn_etrn() {
    let out = after_ehlo(
        mta(),
        "MAIL FROM:<a@b.example>\r\nRSET\r\nRCPT TO:<c@d.example>\r\nNOOP\r\nNOOP anything\r\nHELP\r\nVRFY root\r\nEXPN staff\r\nETRN example.org\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{MAIL_OK}250 2.0.0 Reset state\r\n503 5.5.1 Need MAIL command\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n\
214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP STARTTLS AUTH\r\n214 2.0.0 See RFC 5321\r\n\
252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n\
252 2.5.0 Cannot EXPN list, but will accept message and attempt delivery\r\n\
502 5.5.1 Command not implemented\r\n"
        )
    );
}

#[test]
fn vrfy_expn_etrn_reach_the_backend_when_enabled() {
    let mut config = mta();
    config.vrfy = true;
    config.expn = true;
    config.etrn = true;
    let mut h = Harness::new(config);
    h.feed(b"EHLO client.example\r\nVRFY root\r\nEXPN staff\r\nETRN example.org\r\n");
    let out = h.take();
    assert!(out.contains("250-ETRN\r\n"), "{out}");
    assert!(
        out.ends_with("250 2.1.5 root\r\n250 2.1.5 staff\r\n250 2.1.5 example.org\r\n"),
        "{out}"
    );
    assert!(h.events().contains(&"vrfy root".to_string()));
}

#[test]
fn quit_closes_and_ignores_what_follows() {
    let out = converse(mta(), "QUIT\r\nNOOP\r\n");
    assert_eq!(out, format!("{GREETING}{BYE}"));
}

#[test]
fn over_long_line_is_answered_once_and_the_session_continues() {
    let mut config = mta();
    config.max_line_length = 64;
    let long = format!("NOOP {}\r\nNOOP\r\n", "x".repeat(500));
    let mut h = Harness::new(config);
    h.feed_in(long.as_bytes(), 7);
    assert_eq!(
        h.take(),
        format!("{GREETING}500 5.5.0 Line too long\r\n250 2.0.0 OK\r\n")
    );
}

#[test]
fn too_many_errors_end_the_session_with_421() {
    let mut config = mta();
    config.max_errors = 3;
    let out = converse(config, "FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n");
    assert_eq!(
        out,
        format!(
            "{GREETING}500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n421 4.7.0 mx.example.org Too many errors, closing connection\r\n"
        )
    );
}

#[test]
fn recipient_limit_is_452() {
    let mut config = mta();
    config.max_recipients = 2;
    let out = after_ehlo(
        config,
        "MAIL FROM:<a@b.example>\r\nRCPT TO:<x@d.example>\r\nRCPT TO:<bad@d.example>\r\nRCPT TO:<y@d.example>\r\nRCPT TO:<z@d.example>\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{MAIL_OK}{RCPT_OK}550 5.1.1 User unknown\r\n{RCPT_OK}452 4.5.3 Too many recipients\r\n"
        )
    );
}

#[test]
fn declared_size_over_the_limit_is_552() {
    let mut config = mta();
    config.max_message_size = 1000;
    let out = after_ehlo(
        config,
        "MAIL FROM:<a@b.example> SIZE=1001\r\nMAIL FROM:<a@b.example> SIZE=1000\r\n",
    );
    assert_eq!(
        out,
        format!("552 5.3.4 Message size exceeds fixed maximum message size\r\n{MAIL_OK}")
    );
}

#[test]
fn over_size_message_is_drained_then_552_and_the_connection_stays_usable() {
    let mut config = mta();
    config.max_message_size = 100;
    let mut h = Harness::new(config);
    let big = "x".repeat(70);
    h.feed(
        format!("EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n{big}\r\n{big}\r\n{big}\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nsmall\r\n.\r\n")
            .as_bytes(),
    );
    let events = h.events().to_vec();
    let out = h.finish();
    assert!(
        out.output.ends_with(&format!(
            "{GO_AHEAD}552 5.3.4 Message size exceeds fixed maximum message size\r\n{MAIL_OK}{RCPT_OK}{GO_AHEAD}{QUEUED}"
        )),
        "{}",
        out.output
    );
    assert_eq!(out.messages, vec![b"small\r\n".to_vec()]);
    assert!(events.contains(&"abort TooBig".to_string()), "{events:?}");
}

#[test]
fn message_of_exactly_the_limit_is_accepted() {
    let mut config = mta();
    config.max_message_size = 7;
    let out = after_ehlo(
        config,
        "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nsmall\r\n.\r\n",
    );
    assert_eq!(out, format!("{MAIL_OK}{RCPT_OK}{GO_AHEAD}{QUEUED}"));
}

const SMUGGLING_PAYLOADS: &[&str] = &["\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r", "\r\n.\n", "\r.\n"];

/// The classic smuggling shape: a fake end of data followed by a second,
/// forged transaction, then the real end.
fn smuggle(payload: &str) -> String {
    format!(
        "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nlegit\r{payload}MAIL FROM:<admin@b.example>\r\nRCPT TO:<victim@d.example>\r\nDATA\r\nforged\r\n.\r\n"
    )
}

#[test]
fn smuggling_payloads_are_rejected_after_draining() {
    for payload in SMUGGLING_PAYLOADS {
        let input = smuggle(payload).replacen("legit\r", "legit", 1);
        let mut h = Harness::new(mta());
        h.feed(input.as_bytes());
        h.feed(b"NOOP\r\n");
        let events = h.events().to_vec();
        let out = h.finish();
        assert!(
            out.output.ends_with(&format!(
                "{GO_AHEAD}550 5.6.0 Message contains bare CR or LF; lines must end with CRLF\r\n250 2.0.0 OK\r\n"
            )),
            "payload {payload:?}: {}",
            out.output
        );
        assert!(out.messages.is_empty(), "payload {payload:?}");
        assert_eq!(
            events.iter().filter(|e| e.starts_with("mail")).count(),
            1,
            "payload {payload:?}: {events:?}"
        );
    }
}

#[test]
fn smuggling_payloads_are_content_when_normalising() {
    for payload in SMUGGLING_PAYLOADS {
        let mut config = mta();
        config.line_endings = LineEndingPolicy::Normalize;
        let input = smuggle(payload).replacen("legit\r", "legit", 1);
        let mut h = Harness::new(config);
        h.feed(input.as_bytes());
        let events = h.events().to_vec();
        let out = h.finish();
        assert!(
            out.output.ends_with(&format!("{GO_AHEAD}{QUEUED}")),
            "{payload:?}: {}",
            out.output
        );
        assert_eq!(out.messages.len(), 1, "{payload:?}");
        let message = String::from_utf8(out.messages[0].clone()).unwrap();
        assert!(
            message.contains("MAIL FROM:<admin@b.example>"),
            "{payload:?}: {message:?}"
        );
        assert!(
            !message.contains("\r\n.\r\n") || message.contains("\r\n.\r\nMAIL"),
            "{message:?}"
        );
        assert!(
            message
                .bytes()
                .zip(message.bytes().skip(1))
                .all(|(a, b)| a != b'\r' || b == b'\n'),
            "bare CR left in {message:?}"
        );
        assert_eq!(events.iter().filter(|e| e.starts_with("mail")).count(), 1);
    }
}

#[test]
fn aiosmtpd_smuggling_scenario() {
    // aiosmtpd's test: "\n.\r\n" inside the data must not end it.
    let mut h = Harness::new(mta());
    h.feed(b"HELO example.com\r\nMAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.com>\r\nDATA\r\nTest\r\n\n.\r\nQUIT\r\n");
    assert_eq!(
        h.take(),
        format!("{GREETING}250 mx.example.org\r\n{MAIL_OK}{RCPT_OK}{GO_AHEAD}")
    );
    h.feed(b".\r\n");
    assert_eq!(
        h.take(),
        "550 5.6.0 Message contains bare CR or LF; lines must end with CRLF\r\n"
    );
}

#[test]
fn backend_failure_during_data_is_answered_after_the_drain() {
    let mut h = Harness::new(mta());
    h.fail_data = true;
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nbody\r\n.\r\nNOOP\r\n");
    let out = h.finish();
    assert!(
        out.output.ends_with(&format!(
            "{GO_AHEAD}452 4.3.1 Disk full\r\n250 2.0.0 OK\r\n"
        )),
        "{}",
        out.output
    );
    assert!(out.messages.is_empty());
}

#[test]
fn end_of_input_during_data_aborts_the_message() {
    let mut h = Harness::new(mta());
    h.feed(
        b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\npart",
    );
    h.eof();
    let events = h.events().to_vec();
    assert_eq!(&events[events.len() - 2..], ["abort Incomplete", "close"]);
    assert!(h.finish().messages.is_empty());
}

#[test]
fn timeout_and_shutdown_send_421() {
    let mut h = Harness::new(mta());
    h.session.timed_out();
    assert_eq!(
        h.take(),
        format!("{GREETING}421 4.4.2 mx.example.org Timeout, closing connection\r\n")
    );
    let mut h = Harness::new(mta());
    h.session.shutdown();
    assert!(
        h.take()
            .ends_with("421 4.3.2 mx.example.org Service shutting down, closing connection\r\n")
    );
}

#[test]
fn pipelined_replies_are_flushed_only_where_rfc2920_requires() {
    let mut h = Harness::new(mta());
    h.mark_flushes = true;
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<bad@d.example>\r\nDATA\r\n");
    h.feed(b"body\r\n.\r\nMAIL FROM:<a@b.example>\r\nRSET\r\nNOOP\r\nQUIT\r\n");
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}|{EHLO}|{MAIL_OK}{RCPT_OK}550 5.1.1 User unknown\r\n{GO_AHEAD}|{QUEUED}|{MAIL_OK}250 2.0.0 Reset state\r\n250 2.0.0 OK\r\n|{BYE}|"
        )
    );
}

#[test]
fn byte_by_byte_input_gives_the_same_transcript() {
    let script = b"EHLO client.example\r\nMAIL FROM:<a@example.com> SIZE=20 BODY=8BITMIME\r\nRCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org\r\nRCPT TO:<bad@example.org>\r\nDATA\r\nline one\r\n..two\r\n.\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nBDAT 5\r\nhelloBDAT 0 LAST\r\nAUTH PLAIN\r\nQUIT\r\n";
    let mut whole = Harness::new(mta());
    whole.feed(script);
    let whole = whole.finish();
    for piece in [1, 2, 3, 5, 13] {
        let mut h = Harness::new(mta());
        h.feed_in(script, piece);
        let out = h.finish();
        assert_eq!(out.output, whole.output, "piece {piece}");
        assert_eq!(out.messages, whole.messages, "piece {piece}");
    }
    assert_eq!(
        whole.messages,
        vec![b"line one\r\n.two\r\n".to_vec(), b"hello".to_vec()]
    );
}

#[test]
fn smtputf8_addresses_need_the_parameter() {
    let out = after_ehlo(
        mta(),
        "MAIL FROM:<jös@b.example>\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<用户@例子.广告>\r\nRSET\r\nMAIL FROM:<jös@b.example> SMTPUTF8\r\nRCPT TO:<用户@例子.广告>\r\n",
    );
    assert_eq!(
        out,
        format!(
            "553 5.6.7 Non-ASCII addresses require the SMTPUTF8 parameter\r\n{MAIL_OK}553 5.6.7 Non-ASCII addresses require the SMTPUTF8 parameter\r\n250 2.0.0 Reset state\r\n{MAIL_OK}{RCPT_OK}"
        )
    );
}

#[test]
fn parameters_of_unoffered_extensions_are_555() {
    let mut config = mta();
    config.dsn = false;
    config.smtputf8 = false;
    config.chunking = false;
    let out = after_ehlo(
        config,
        "MAIL FROM:<a@b.example> RET=FULL\r\nMAIL FROM:<a@b.example> SMTPUTF8\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nMAIL FROM:<a@b.example> REQUIRETLS\r\nMAIL FROM:<a@b.example> AUTH=<>\r\nMAIL FROM:<a@b.example> X-FOO=1\r\nMAIL FROM:<a@b.example> BODY=7BIT\r\nRCPT TO:<c@d.example> NOTIFY=NEVER\r\n",
    );
    let refused = "555 5.5.4 Unsupported parameter\r\n";
    assert_eq!(out, format!("{}{MAIL_OK}{refused}", refused.repeat(6)));
}

#[test]
fn extra_parameters_reach_the_backend() {
    let mut config = mta();
    config.extra_parameters = vec!["X-TRACE".to_string()];
    let out = after_ehlo(
        config,
        "MAIL FROM:<a@b.example> x-trace=abc\r\nRCPT TO:<c@d.example> X-TRACE\r\n",
    );
    assert_eq!(out, format!("{MAIL_OK}{RCPT_OK}"));
}

#[test]
fn dsn_parameters_rfc3461_example() {
    let out = after_ehlo(
        mta(),
        "MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM\r\nRCPT TO:<Carol@Ivory.EDU> NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU\r\nRCPT TO:<Dana@Ivory.EDU> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU\r\nRCPT TO:<Eric@Bombs.AF.MIL> NOTIFY=FAILURE ORCPT=rfc822;Eric@Bombs.AF.MIL\r\nRCPT TO:<Fred@Bombs.AF.MIL> NOTIFY=NEVER\r\nRCPT TO:<George@Tax-ME.GOV> NOTIFY=FAILURE ORCPT=rfc822;George@Tax-ME.GOV\r\n",
    );
    assert_eq!(out, format!("{MAIL_OK}{}", RCPT_OK.repeat(6)));
}

#[test]
fn bdat_rfc3030_example() {
    let mut h = Harness::new(mta());
    h.feed(b"EHLO client.example\r\nMAIL FROM:<Sam@Random.com> BODY=BINARYMIME\r\nRCPT TO:<Susan@Random.com>\r\nRCPT TO:<Mark@Random.com>\r\nBDAT 10\r\n0123456789BDAT 5\r\n\r\n\n\r.BDAT 3 LAST\r\nend");
    let out = h.finish();
    assert!(
        out.output.ends_with(&format!(
            "{MAIL_OK}{RCPT_OK}{RCPT_OK}250 2.0.0 10 octets received\r\n250 2.0.0 5 octets received\r\n{QUEUED}"
        )),
        "{}",
        out.output
    );
    assert_eq!(out.messages, vec![b"0123456789\r\n\n\r.end".to_vec()]);
}

#[test]
fn refused_bdat_chunks_are_drained_never_read_as_commands() {
    let out = after_ehlo(
        mta(),
        "BDAT 12 LAST\r\nQUIT\r\nQUIT\r\nMAIL FROM:<a@b.example>\r\nBDAT 6\r\nRSET\r\nNOOP\r\n",
    );
    assert_eq!(
        out,
        format!(
            "503 5.5.1 Need MAIL command\r\n{MAIL_OK}554 5.5.1 No valid recipients\r\n250 2.0.0 OK\r\n"
        )
    );
}

#[test]
fn bdat_over_the_size_limit_is_drained_and_refused() {
    let mut config = mta();
    config.max_message_size = 10;
    let mut h = Harness::new(config);
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 6\r\n123456BDAT 6 LAST\r\n123456NOOP\r\n");
    let events = h.events().to_vec();
    let out = h.finish();
    assert!(
        out.output.ends_with(&format!(
            "{RCPT_OK}250 2.0.0 6 octets received\r\n552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n"
        )),
        "{}",
        out.output
    );
    assert!(
        events.contains(&"abort Incomplete".to_string()),
        "{events:?}"
    );
    assert!(out.messages.is_empty());
}

#[test]
fn data_after_binarymime_and_data_during_bdat_are_refused() {
    let out = after_ehlo(
        mta(),
        "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<c@d.example>\r\nDATA\r\nBDAT 2\r\nabDATA\r\nRCPT TO:<e@d.example>\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{MAIL_OK}{RCPT_OK}503 5.5.1 BODY=BINARYMIME requires BDAT\r\n250 2.0.0 2 octets received\r\n503 5.5.1 BDAT transfer in progress\r\n503 5.5.1 BDAT transfer in progress\r\n"
        )
    );
}

#[test]
fn bdat_is_unknown_without_chunking_but_still_drained() {
    let mut config = mta();
    config.chunking = false;
    let out = after_ehlo(config, "BDAT 6\r\nQUIT\r\nNOOP\r\n");
    assert_eq!(out, "502 5.5.1 Command not implemented\r\n250 2.0.0 OK\r\n");
}

fn lmtp() -> ServerConfig {
    ServerConfig::lmtp("lmtp.example.org")
}

#[test]
fn lmtp_rfc2033_example_gives_one_reply_per_recipient() {
    let out = converse(
        lmtp(),
        "LHLO foo.edu\r\nMAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\nRCPT TO:<bad-jones@foo.edu>\r\nRCPT TO:<green@foo.edu>\r\nDATA\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n",
    );
    let after = out.split_once("250 HELP\r\n").unwrap().1;
    assert!(out.starts_with(
        "220 lmtp.example.org LMTP Mailwright\r\n250-lmtp.example.org Hello foo.edu\r\n"
    ));
    assert_eq!(
        after,
        format!(
            "{MAIL_OK}{RCPT_OK}550 5.1.1 User unknown\r\n{RCPT_OK}{GO_AHEAD}250 2.0.0 <pat@foo.edu> delivered\r\n250 2.0.0 <green@foo.edu> delivered\r\n221 2.0.0 lmtp.example.org closing connection\r\n"
        )
    );
}

#[test]
fn lmtp_refuses_helo_and_ehlo_and_smtp_refuses_lhlo() {
    let out = converse(lmtp(), "HELO a\r\nEHLO a\r\nMAIL FROM:<a@b.example>\r\n");
    assert_eq!(
        out,
        "220 lmtp.example.org LMTP Mailwright\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n503 5.5.1 Send LHLO first\r\n"
    );
}

fn with_starttls() -> ServerConfig {
    let mut config = mta();
    config.starttls = true;
    config
}

#[test]
fn starttls_discards_pipelined_plaintext() {
    let mut h = Harness::new(with_starttls());
    h.feed(b"EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n");
    let out = h.take();
    assert!(out.contains("250-STARTTLS\r\n"), "{out}");
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"), "{out}");
    assert!(h.session.is_tls());
    // After the handshake: EHLO again, STARTTLS no longer offered, the injected MAIL never seen.
    h.feed(b"MAIL FROM:<a@b.example>\r\nEHLO client.example\r\nSTARTTLS\r\n");
    let out = h.take();
    assert!(
        out.starts_with("503 5.5.1 Send HELO/EHLO first\r\n"),
        "{out}"
    );
    assert!(!out.contains("STARTTLS\r\n250"), "{out}");
    assert!(out.ends_with("503 5.5.1 TLS already active\r\n"), "{out}");
    assert!(!h.events().iter().any(|e| e.contains("evil")));
}

#[test]
fn starttls_refusals() {
    let out = after_ehlo(mta(), "STARTTLS\r\n");
    assert_eq!(out, "502 5.5.1 Command not implemented\r\n");
    let out = after_ehlo(
        with_starttls(),
        "MAIL FROM:<a@b.example>\r\nSTARTTLS\r\nSTARTTLS now\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{MAIL_OK}503 5.5.1 Not permitted during a mail transaction\r\n501 5.5.4 Syntax error: STARTTLS\r\n"
        )
    );
}

fn submission() -> ServerConfig {
    let mut config = ServerConfig::submission(
        "mx.example.org",
        vec![
            sasl::Mechanism::Plain,
            sasl::Mechanism::Login,
            sasl::Mechanism::CramMd5,
        ],
    );
    config.starttls = true;
    config
}

fn tls() -> Option<TlsInfo> {
    Some(TlsInfo::default())
}

/// `\0alice\0secret`
const ALICE_PLAIN: &str = "AGFsaWNlAHNlY3JldA==";

#[test]
fn auth_before_tls_is_538_and_not_advertised() {
    let out = converse(
        submission(),
        &format!("EHLO client.example\r\nAUTH PLAIN {ALICE_PLAIN}\r\nMAIL FROM:<a@b.example>\r\n"),
    );
    assert!(!out.contains("AUTH"), "{out}");
    assert!(
        out.ends_with("538 5.7.11 Encryption required for requested authentication mechanism\r\n530 5.7.0 Authentication required\r\n"),
        "{out}"
    );
}

#[test]
fn auth_plain_with_initial_response_rfc4954() {
    let mut h = Harness::with_tls(submission(), tls());
    h.feed(format!("EHLO client.example\r\nAUTH PLAIN {ALICE_PLAIN}\r\nAUTH PLAIN {ALICE_PLAIN}\r\nMAIL FROM:<a@b.example>\r\n").as_bytes());
    let out = h.take();
    assert!(out.contains("250-AUTH PLAIN LOGIN CRAM-MD5\r\n"), "{out}");
    assert!(
        out.ends_with(&format!(
            "235 2.7.0 Authentication successful\r\n503 5.5.1 Already authenticated\r\n{MAIL_OK}"
        )),
        "{out}"
    );
    assert!(h.events().contains(&"authenticated alice".to_string()));
    assert_eq!(h.session.identity().unwrap().authentication_id, "alice");
}

#[test]
fn auth_plain_without_initial_response_and_login() {
    let mut h = Harness::with_tls(submission(), tls());
    h.feed(format!("EHLO client.example\r\nAUTH PLAIN\r\n{ALICE_PLAIN}\r\n").as_bytes());
    assert!(
        h.take()
            .ends_with("334 \r\n235 2.7.0 Authentication successful\r\n")
    );

    let mut h = Harness::with_tls(submission(), tls());
    // "bob" / "builder"
    h.feed(b"EHLO client.example\r\nAUTH LOGIN\r\nYm9i\r\nYnVpbGRlcg==\r\n");
    assert!(h.take().ends_with(
        "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n"
    ));
}

#[test]
fn auth_cram_md5_rfc2195_style() {
    let mut config = submission();
    config.sasl.fixed_nonce = Some("<1896.697170952@postoffice.reston.mci.net>".to_string());
    let mut h = Harness::with_tls(config, tls());
    h.store.add_plaintext("tim", "tanstaaftanstaaf");
    h.feed(b"EHLO client.example\r\nAUTH CRAM-MD5\r\n");
    assert!(
        h.take()
            .ends_with("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
    );
    h.feed(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
    assert_eq!(h.take(), "235 2.7.0 Authentication successful\r\n");
}

#[test]
fn auth_failures_cancel_and_limits() {
    let mut h = Harness::with_tls(submission(), tls());
    // wrong password, cancel, bad base64, unknown mechanism, AUTH in a transaction
    h.feed(b"EHLO client.example\r\nAUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN !!!\r\nAUTH PLAIN AAA\r\nAUTH DIGEST-MD5\r\nAUTH SCRAM-SHA-256-PLUS\r\n");
    let out = h.take();
    assert!(
        out.ends_with(
            "535 5.7.8 Authentication credentials invalid\r\n334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n501 5.5.4 Syntax error: AUTH mechanism [initial-response]\r\n501 5.5.2 Invalid authentication response\r\n504 5.5.4 Unrecognized authentication type\r\n504 5.5.4 Unrecognized authentication type\r\n"
        ),
        "{out}"
    );
    h.feed(b"AUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH PLAIN AGFsaWNlAHdyb25n\r\nNOOP\r\n");
    assert_eq!(
        h.take(),
        "535 5.7.8 Authentication credentials invalid\r\n535 5.7.8 Authentication credentials invalid\r\n421 4.7.0 mx.example.org Too many errors, closing connection\r\n"
    );
}

#[test]
fn auth_refusals() {
    let mut config = submission();
    config.require_auth = false;
    let mut h = Harness::with_tls(config, tls());
    h.feed(format!("AUTH PLAIN {ALICE_PLAIN}\r\nHELO client.example\r\nAUTH PLAIN {ALICE_PLAIN}\r\nEHLO client.example\r\nMAIL FROM:<a@b.example>\r\nAUTH PLAIN {ALICE_PLAIN}\r\n").as_bytes());
    let out = h.take();
    assert!(
        out.contains(
            "503 5.5.1 Send EHLO first\r\n250 mx.example.org\r\n503 5.5.1 Send EHLO first\r\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "{MAIL_OK}503 5.5.1 Not permitted during a mail transaction\r\n"
        )),
        "{out}"
    );
    let out = after_ehlo(mta(), &format!("AUTH PLAIN {ALICE_PLAIN}\r\n"));
    assert_eq!(out, "503 5.5.1 Authentication not enabled\r\n");
}

#[test]
fn over_long_auth_line_is_500_5_5_6() {
    let mut config = submission();
    config.max_line_length = 100;
    let mut h = Harness::with_tls(config, tls());
    h.feed(
        format!(
            "EHLO client.example\r\nAUTH PLAIN\r\n{}\r\nNOOP\r\n",
            "A".repeat(400)
        )
        .as_bytes(),
    );
    let out = h.take();
    assert!(
        out.ends_with(
            "334 \r\n500 5.5.6 Authentication exchange line is too long\r\n250 2.0.0 OK\r\n"
        ),
        "{out}"
    );
}

#[test]
fn tls_policy_for_mail() {
    let mut config = with_starttls();
    config.require_tls_for_mail = true;
    let out = after_ehlo(config, "MAIL FROM:<a@b.example>\r\n");
    assert_eq!(out, "530 5.7.0 Must issue a STARTTLS command first\r\n");
}

#[test]
fn refused_connection_sends_one_reply_and_closes() {
    let reply = smtp_proto::Reply::new(
        554,
        Some(smtp_proto::EnhancedCode::new(5, 7, 1)),
        "No SMTP service here",
    );
    let mut session = smtp_proto::server::ServerSession::refuse(std::sync::Arc::new(mta()), &reply);
    assert_eq!(session.poll(), Some(smtp_proto::server::Event::Flush));
    assert_eq!(
        &session.take_output()[..],
        b"554 5.7.1 No SMTP service here\r\n"
    );
    assert_eq!(session.poll(), Some(smtp_proto::server::Event::Close));
}

#[test]
fn answers_nobody_asked_for_are_errors() {
    let mut h = Harness::new(mta());
    assert_eq!(
        h.session.answer(smtp_proto::Reply::new(250, None, "OK")),
        Err(smtp_proto::server::SessionError::NotWaiting)
    );
    assert_eq!(
        h.session.auth_answer(sasl::Answer::Verified(true)),
        Err(smtp_proto::server::SessionError::NotWaiting)
    );
}

#[test]
fn a_hundred_mebibyte_message_passes_with_bounded_memory() {
    let mut config = mta();
    config.max_message_size = 200 * 1024 * 1024;
    let mut h = Harness::new(config);
    h.count_only = true;
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    let line = format!("{}\r\n", "x".repeat(998));
    let piece = line.repeat(64); // 64,000 bytes per read
    let mut max_held = 0;
    let mut sent = 0usize;
    while sent < 100 * 1024 * 1024 {
        h.feed(piece.as_bytes());
        max_held = max_held.max(h.session.buffered_capacity());
        sent += piece.len();
    }
    h.feed(b".\r\n");
    assert!(max_held < 256 * 1024, "session held {max_held} bytes");
    let out = h.finish();
    assert!(out.output.ends_with(QUEUED));
    assert_eq!(out.messages, vec![sent.to_string().into_bytes()]);
}

#[test]
fn scram_over_tls_without_plus_accepts_a_client_that_could_bind() {
    use base64::Engine;
    let mut config = submission();
    config.auth_mechanisms = vec![sasl::Mechanism::ScramSha256];
    let tls = TlsInfo::new(vec![sasl::ChannelBinding::tls_exporter(vec![7; 32])], None);
    let mut h = Harness::with_tls(config, Some(tls));
    let first =
        base64::engine::general_purpose::STANDARD.encode("y,,n=alice,r=rOprNGfwEbeRWgbNEkqO");
    h.feed(format!("EHLO client.example\r\nAUTH SCRAM-SHA-256 {first}\r\n").as_bytes());
    let out = h.take();
    assert!(out.contains("250-AUTH SCRAM-SHA-256\r\n"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("334 "), "{out}");
}

#[test]
fn rfc2920_pipelined_group_is_answered_in_one_flush() {
    let mut h = Harness::new(ServerConfig::new("innosoft.com"));
    h.mark_flushes = true;
    h.feed(b"EHLO dbc.mtview.ca.us\r\n");
    let ehlo = h.take();
    assert!(ehlo.starts_with("220 innosoft.com ESMTP Mailwright\r\n|250-innosoft.com Hello dbc.mtview.ca.us\r\n250-PIPELINING\r\n"), "{ehlo}");
    h.feed(b"MAIL FROM:<mrose@dbc.mtview.ca.us>\r\nRCPT TO:<ned@innosoft.com>\r\nRCPT TO:<dan@innosoft.com>\r\nRCPT TO:<kvc@innosoft.com>\r\nDATA\r\n");
    assert_eq!(
        h.take(),
        format!("{MAIL_OK}{RCPT_OK}{RCPT_OK}{RCPT_OK}{GO_AHEAD}|")
    );
    h.feed(b"Date: Thu, 21 May 1998 05:33:29 -0700\r\n\r\nHi\r\n.\r\nQUIT\r\n");
    assert_eq!(
        h.take(),
        format!("{QUEUED}|221 2.0.0 innosoft.com closing connection\r\n|")
    );
}

#[test]
fn rfc2920_all_recipients_refused_then_data() {
    let mut h = Harness::new(ServerConfig::new("innosoft.com"));
    h.mark_flushes = true;
    h.feed(b"EHLO dbc.mtview.ca.us\r\n");
    h.take();
    h.feed(b"MAIL FROM:<mrose@dbc.mtview.ca.us>\r\nRCPT TO:<bad-ned@innosoft.com>\r\nRCPT TO:<bad-dan@innosoft.com>\r\nDATA\r\nRSET\r\nQUIT\r\n");
    assert_eq!(
        h.take(),
        format!(
            "{MAIL_OK}550 5.1.1 User unknown\r\n550 5.1.1 User unknown\r\n554 5.5.1 No valid recipients\r\n|250 2.0.0 Reset state\r\n221 2.0.0 innosoft.com closing connection\r\n|"
        )
    );
    assert!(h.finish().messages.is_empty());
}

#[test]
fn rfc4954_example_auth_plain_after_starttls() {
    let mut config = ServerConfig::new("smtp.example.com");
    config.starttls = true;
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    let mut h = Harness::new(config);
    h.feed(b"EHLO client.example.com\r\nSTARTTLS\r\n");
    let out = h.take();
    assert!(!out.contains("AUTH"), "{out}");
    assert!(out.ends_with("250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 HELP\r\n220 2.0.0 Ready to start TLS\r\n"), "{out}");
    h.feed(b"EHLO client.example.com\r\nAUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n");
    let out = h.take();
    assert!(out.contains("250-AUTH PLAIN\r\n"), "{out}");
    assert!(
        out.ends_with("235 2.7.0 Authentication successful\r\n"),
        "{out}"
    );
}

#[test]
fn a_stray_answer_changes_nothing() {
    let mut h = Harness::new(mta());
    h.feed(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nfirst part\r\n");
    assert_eq!(
        h.session.answer(smtp_proto::Reply::new(250, None, "late")),
        Err(smtp_proto::server::SessionError::NotWaiting)
    );
    assert_eq!(
        h.session.auth_answer(sasl::Answer::Verified(true)),
        Err(smtp_proto::server::SessionError::NotWaiting)
    );
    // Still inside the message: this is body, not a command.
    h.feed(b"QUIT\r\n.\r\n");
    let out = h.finish();
    assert!(
        out.output.ends_with(&format!("{GO_AHEAD}{QUEUED}")),
        "{}",
        out.output
    );
    assert_eq!(out.messages, vec![b"first part\r\nQUIT\r\n".to_vec()]);
}

#[test]
fn chunks_never_exceed_the_configured_size() {
    let mut config = mta();
    config.chunk_size = 8;
    config.line_endings = LineEndingPolicy::Normalize;
    let mut session = smtp_proto::server::ServerSession::new(std::sync::Arc::new(config), None);
    session.receive(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n.abcdefg\n\n\n\n\n\n\n\nxyz\r\n.\r\n");
    let mut total = 0;
    while let Some(event) = session.poll() {
        match event {
            smtp_proto::server::Event::Mail { .. }
            | smtp_proto::server::Event::Rcpt { .. }
            | smtp_proto::server::Event::DataEnd => session
                .answer(smtp_proto::Reply::new(250, None, "OK"))
                .unwrap(),
            smtp_proto::server::Event::DataChunk(chunk) => {
                assert!(chunk.len() <= 8, "{chunk:?}");
                total += chunk.len();
            }
            _ => {}
        }
    }
    assert_eq!(total, "abcdefg".len() + 2 * 8 + "xyz\r\n".len());
}
