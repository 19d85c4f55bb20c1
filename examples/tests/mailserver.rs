//! The `mailserver` binary, black-box: its configuration, its admin
//! commands, and SMTP, submission, LMTP and POP3 over real sockets on
//! 127.0.0.0/8. The shared helpers are in `mailserver_support`.

mod mailserver_support;

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant};

use mailserver_support::{
    ALICE, ALICE_PASSWORD, BOB, BOB_PASSWORD, CliOutput, Config, Conn, DOMAIN, HOSTNAME, Reply,
    SERVICES, Server, Setup, Smtp, Stored, client_config_trusting, connect, signal, test_message,
    wait_until,
};

const OUTSIDE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// 127.0.0.1 is in mynetworks, 127.0.0.2 is not.
fn mynetworks_config() -> Config {
    Config {
        mynetworks: vec!["127.0.0.1/32".to_string()],
        ..Config::default()
    }
}

/// A message from outside to `to` on the smtp port; returns the
/// end-of-data reply, which must be 250.
#[track_caller]
fn deliver(server: &Server, from: &str, to: &[&str], message: &[u8]) -> Reply {
    let mut smtp = server.smtp("smtp");
    smtp.greeting();
    smtp.ehlo("client.example");
    let reply = smtp.send_message(from, to, message);
    assert_eq!(reply.code, 250, "end of data → {reply}{}", smtp.context());
    smtp.quit();
    reply
}

/// The one message stored for `address`.
#[track_caller]
fn only_stored(setup: &Setup, server: &Server, address: &str) -> Stored {
    let mut stored = setup.stored(address);
    assert_eq!(
        stored.len(),
        1,
        "expected exactly one message for {address}: {:?}{}",
        stored.iter().map(|s| &s.path).collect::<Vec<_>>(),
        server.log_tail()
    );
    stored.remove(0)
}

/// The header fields the server put before `original` in `stored`,
/// unfolded (CRLF + WSP joined with one space); checks that `stored`
/// ends with `original` byte for byte and that the added fields end in
/// CRLF.
#[track_caller]
fn added_fields(stored: &Stored, original: &[u8], server: &Server) -> Vec<String> {
    assert!(
        stored.bytes.ends_with(original),
        "{} does not end with the original message byte for byte:\n{}{}",
        stored.path.display(),
        stored.text(),
        server.log_tail()
    );
    let prefix = &stored.bytes[..stored.bytes.len() - original.len()];
    let prefix = String::from_utf8(prefix.to_vec()).expect("added fields are UTF-8");
    assert!(
        prefix.ends_with("\r\n"),
        "added fields do not end with CRLF: {prefix:?}"
    );
    assert!(
        !prefix.replace("\r\n", "").contains('\n'),
        "a bare LF in the added fields: {prefix:?}"
    );
    let mut fields: Vec<String> = Vec::new();
    for line in prefix.trim_end_matches("\r\n").split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = fields.last_mut().expect("a continuation line first");
            last.push(' ');
            last.push_str(line.trim_start());
        } else {
            fields.push(line.to_string());
        }
    }
    fields
}

/// Checks a `Received:` field: `from HELO ([127.0.0.1])`, `by HOSTNAME`,
/// `with PROTOCOL`, an `id`, and a date after `;`. Returns the id.
#[track_caller]
fn check_received(field: &str, helo: &str, protocol: &str) -> String {
    let expected_start = format!("Received: from {helo} ([127.0.0.1])");
    assert!(
        field.starts_with(&expected_start),
        "{field:?} does not start with {expected_start:?}"
    );
    // Words outside comments: "(using TLSv1.3 with cipher …)" has a
    // `with` of its own.
    let mut uncommented = String::new();
    let mut depth = 0usize;
    for c in field.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => uncommented.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = uncommented
        .split([' ', ';', '\t'])
        .filter(|w| !w.is_empty())
        .collect();
    let after = |keyword: &str| {
        words
            .windows(2)
            .find(|pair| pair[0] == keyword)
            .map(|pair| pair[1])
    };
    assert_eq!(after("by"), Some(HOSTNAME), "`by` in {field:?}");
    assert_eq!(after("with"), Some(protocol), "`with` in {field:?}");
    let id = after("id").unwrap_or_else(|| panic!("no `id` in {field:?}"));
    assert!(
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
        "odd queue id {id:?} in {field:?}"
    );
    let (_, date) = field
        .rsplit_once(';')
        .unwrap_or_else(|| panic!("no `;` before the date in {field:?}"));
    let parsed = mail_parser::DateTime::parse_rfc822(date.trim())
        .unwrap_or_else(|| panic!("not an RFC 5322 date: {date:?} in {field:?}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (parsed.to_timestamp() - now).abs() < 300,
        "date {date:?} is not now"
    );
    id.to_string()
}

// ---------------------------------------------------------------------------
// Start-up, listeners, TLS

#[test]
fn serve_announces_every_listener_then_ready_and_stops_on_sigterm() {
    let setup = Setup::standard("announce", Config::default());
    let mut server = setup.start();
    let services: Vec<&str> = server.listeners.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, SERVICES, "{}", server.log_tail());
    let mut ports: Vec<u16> = server.listeners.iter().map(|(_, a)| a.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), SERVICES.len(), "ports: {:?}", server.listeners);
    for (service, addr) in &server.listeners {
        assert_eq!(addr.ip().to_string(), "127.0.0.1", "{service}");
        assert!(
            std::net::TcpStream::connect(addr).is_ok(),
            "{service} at {addr} does not accept{}",
            server.log_tail()
        );
    }
    assert!(setup.certificate_path().is_file());
    assert!(setup.data_dir.join("tls").join("key.pem").is_file());
    server.stop(Duration::from_secs(10));
    assert!(
        server.stdout_after_ready.lock().unwrap().is_empty(),
        "stdout after ready: {:?}",
        server.stdout_after_ready.lock().unwrap()
    );
}

#[test]
fn a_disabled_service_is_not_announced() {
    let config = Config {
        services: vec!["smtp", "pop3"],
        ..Config::default()
    };
    let setup = Setup::standard("disabled", config);
    let server = setup.start();
    let services: Vec<&str> = server.listeners.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, ["smtp", "pop3"], "{}", server.log_tail());
}

#[test]
fn self_signed_certificate_names_hostname_and_localhost_and_survives_a_restart() {
    let setup = Setup::standard("certificate", Config::default());
    let mut server = setup.start();
    let pem = std::fs::read(setup.certificate_path()).unwrap();
    let der = {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(&pem).expect("a certificate in cert.pem")
    };
    // The names are IA5Strings in the subjectAltName extension.
    for name in [HOSTNAME, "localhost"] {
        assert!(
            der.windows(name.len()).any(|w| w == name.as_bytes()),
            "the certificate does not mention {name}"
        );
    }
    // Real handshakes on each TLS service, trusting exactly cert.pem.
    let mut smtps = server.smtp_tls("submissions");
    smtps.greeting();
    smtps.quit();
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.quit();
    server.stop(Duration::from_secs(10));
    let server = setup.start();
    assert_eq!(
        std::fs::read(setup.certificate_path()).unwrap(),
        pem,
        "the certificate changed on restart{}",
        server.log_tail()
    );
    let mut smtps = server.smtp_tls("submissions");
    smtps.greeting();
}

#[test]
fn relative_paths_are_relative_to_the_config_file() {
    let setup = Setup::new("relative", Config::default());
    let text = Config::default()
        .render(std::path::Path::new("PLACEHOLDER"))
        .replace("\"PLACEHOLDER\"", "\"relative-data\"");
    setup.write_config_text(&text);
    let elsewhere = setup.scratch.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let output = Command::new(mailserver_support::BIN)
        .arg("--config")
        .arg(&setup.config_path)
        .args(["domain", "add", DOMAIN])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        setup.scratch.path("relative-data").is_dir(),
        "no relative-data next to the config file"
    );
    assert!(
        std::fs::read_dir(&elsewhere).unwrap().next().is_none(),
        "something was created in the current directory"
    );
}

// ---------------------------------------------------------------------------
// EHLO, AUTH before TLS

#[test]
fn ehlo_advertises_size_everywhere_and_auth_only_after_tls() {
    let config = Config {
        message_size: Some(54321),
        ..Config::default()
    };
    let setup = Setup::standard("ehlo", config);
    let server = setup.start();

    for service in ["smtp", "submission"] {
        let mut smtp = server.smtp(service);
        smtp.greeting();
        let ehlo = smtp.ehlo("client.example");
        assert_eq!(ehlo.extension("SIZE"), Some("54321"), "{service}: {ehlo}");
        assert!(ehlo.has_extension("STARTTLS"), "{service}: {ehlo}");
        assert!(!ehlo.has_extension("AUTH"), "{service} before TLS: {ehlo}");
        let refused = smtp.command(&format!(
            "AUTH PLAIN {}",
            mailserver_support::plain_credentials(ALICE, ALICE_PASSWORD)
        ));
        assert!(
            refused.code >= 500 && refused.code < 600,
            "{service}: AUTH PLAIN before TLS → {refused}{}",
            smtp.context()
        );
        assert!(
            ["538 5.7.11", "530 5.7.0"].contains(&refused.status().as_str())
                || refused.code == 530
                || refused.code == 538,
            "{service}: AUTH PLAIN before TLS → {refused}{}",
            smtp.context()
        );
        smtp.starttls();
        let ehlo = smtp.ehlo("client.example");
        assert_eq!(
            ehlo.extension("SIZE"),
            Some("54321"),
            "{service} TLS: {ehlo}"
        );
        assert!(!ehlo.has_extension("STARTTLS"), "{service} TLS: {ehlo}");
        if service == "submission" {
            let auth = ehlo.extension("AUTH").unwrap_or_default();
            assert!(
                auth.split(' ').any(|m| m.eq_ignore_ascii_case("PLAIN")),
                "submission after STARTTLS: {ehlo}"
            );
        }
        smtp.quit();
    }

    let mut smtps = server.smtp_tls("submissions");
    smtps.greeting();
    let ehlo = smtps.ehlo("client.example");
    assert_eq!(ehlo.extension("SIZE"), Some("54321"), "submissions: {ehlo}");
    assert!(!ehlo.has_extension("STARTTLS"), "submissions: {ehlo}");
    assert!(
        ehlo.extension("AUTH")
            .is_some_and(|m| m.split(' ').any(|m| m.eq_ignore_ascii_case("PLAIN"))),
        "submissions: {ehlo}"
    );

    let mut lmtp = server.smtp("lmtp");
    lmtp.greeting();
    let lhlo = lmtp.lhlo("client.example");
    assert_eq!(lhlo.extension("SIZE"), Some("54321"), "lmtp: {lhlo}");
    assert!(!lhlo.has_extension("AUTH"), "lmtp: {lhlo}");
}

// ---------------------------------------------------------------------------
// The smtp port: recipients, relay, access

#[test]
fn smtp_refuses_unknown_users_of_our_domains() {
    let setup = Setup::standard("unknown-user", mynetworks_config());
    let server = setup.start();
    for from in [Ipv4Addr::LOCALHOST, OUTSIDE] {
        let mut smtp = server.smtp_from("smtp", from);
        smtp.greeting();
        smtp.ehlo("client.example");
        smtp.expect_status("MAIL FROM:<someone@remote.example>", "250 2.1.0");
        smtp.expect_status("RCPT TO:<nobody@example.com>", "550 5.1.1");
        smtp.expect_status("RCPT TO:<alice@example.com>", "250 2.1.5");
        smtp.quit();
    }
}

#[test]
fn smtp_never_relays_to_foreign_domains() {
    let config = Config {
        mynetworks: vec!["127.0.0.1/32".to_string()],
        client_access: vec![("127.0.0.3".to_string(), "OK".to_string())],
        ..Config::default()
    };
    let setup = Setup::standard("relay", config);
    let server = setup.start();
    let foreign = "RCPT TO:<someone@foreign.example>";

    // Outside mynetworks, unauthenticated: relay access denied.
    let mut smtp = server.smtp_from("smtp", OUTSIDE);
    smtp.greeting();
    smtp.ehlo("client.example");
    smtp.expect_status("MAIL FROM:<someone@remote.example>", "250 2.1.0");
    smtp.expect_status(foreign, "554 5.7.1");
    // Not even with the domain's case changed or a trailing dot.
    smtp.expect_status("RCPT TO:<someone@FOREIGN.example>", "554 5.7.1");
    // Mail for us still works in the same transaction.
    smtp.expect_status("RCPT TO:<alice@example.com>", "250 2.1.5");
    smtp.quit();

    // Permitted clients (mynetworks; client_access OK; authenticated on
    // submission and submissions): relay is not built, so a refusal, but
    // not "relay access denied".
    let permitted_refusal = |smtp: &mut Smtp, who: &str| {
        smtp.expect_status("MAIL FROM:<alice@example.com>", "250 2.1.0");
        let reply = smtp.command(foreign);
        assert!(
            reply.code >= 400,
            "{who}: a foreign recipient was accepted: {reply}{}",
            smtp.context()
        );
        assert_ne!(
            reply.status(),
            "554 5.7.1",
            "{who}: a permitted client gets relay access denied: {reply}{}",
            smtp.context()
        );
        // If the refusal was deferred, DATA must not deliver anywhere.
        smtp.quit();
    };
    for (from, who) in [
        (Ipv4Addr::LOCALHOST, "mynetworks"),
        (Ipv4Addr::new(127, 0, 0, 3), "client_access OK"),
    ] {
        let mut smtp = server.smtp_from("smtp", from);
        smtp.greeting();
        smtp.ehlo("client.example");
        permitted_refusal(&mut smtp, who);
        // Over STARTTLS, authenticated if the smtp port offers AUTH.
        let mut smtp = server.smtp_from("smtp", from);
        smtp.greeting();
        smtp.ehlo("client.example");
        smtp.starttls();
        let ehlo = smtp.ehlo("client.example");
        if ehlo.has_extension("AUTH") {
            let reply = smtp.auth_plain(ALICE, ALICE_PASSWORD);
            smtp.assert_status(&reply, "235 2.7.0", "AUTH PLAIN on smtp");
        }
        permitted_refusal(&mut smtp, &format!("{who}, TLS"));
    }
    // Outside mynetworks but authenticated.
    let mut smtp = server.smtp_from("submission", OUTSIDE);
    smtp.login(ALICE, ALICE_PASSWORD);
    permitted_refusal(&mut smtp, "authenticated on submission from outside");
    let mut smtp = server.smtp_tls("submissions");
    smtp.login(ALICE, ALICE_PASSWORD);
    permitted_refusal(&mut smtp, "authenticated on submissions");
    // LMTP is final delivery: a foreign domain is not ours either.
    let mut lmtp = server.smtp("lmtp");
    lmtp.greeting();
    lmtp.lhlo("client.example");
    lmtp.expect_status("MAIL FROM:<someone@remote.example>", "250 2.1.0");
    let reply = lmtp.command(foreign);
    assert!(reply.code >= 400, "lmtp: {reply}{}", lmtp.context());
}

#[test]
fn client_access_reject_refuses_the_client() {
    let config = Config {
        client_access: vec![("127.0.0.2".to_string(), "REJECT".to_string())],
        ..Config::default()
    };
    let setup = Setup::standard("client-access", config);
    let server = setup.start();
    let mut smtp = server.smtp_from("smtp", OUTSIDE);
    let greeting = smtp.reply();
    if greeting.code == 220 {
        let reply = smtp.command("EHLO client.example");
        assert_eq!(
            reply.status(),
            "554 5.7.1",
            "EHLO → {reply}{}",
            smtp.context()
        );
    } else {
        assert_eq!(greeting.code, 554, "greeting {greeting}{}", smtp.context());
        // The session may end here; if it goes on, nothing is accepted.
        if smtp.try_send(b"EHLO client.example\r\n")
            && let Some(reply) = smtp.try_reply_quietly()
        {
            assert_ne!(reply.code, 250, "EHLO after a 554 greeting → {reply}");
        }
    }
    if smtp.try_send(b"MAIL FROM:<someone@remote.example>\r\n")
        && let Some(reply) = smtp.try_reply_quietly()
    {
        assert_ne!(reply.code, 250, "MAIL from a rejected client → {reply}");
    }
    if smtp.try_send(b"RCPT TO:<alice@example.com>\r\n")
        && let Some(reply) = smtp.try_reply_quietly()
    {
        assert_ne!(reply.code, 250, "RCPT from a rejected client → {reply}");
    }
    // Other clients are unaffected.
    deliver(
        &server,
        "someone@remote.example",
        &[ALICE],
        &test_message("someone@remote.example", ALICE, "ok", "hi\r\n"),
    );
    assert_eq!(setup.stored(ALICE).len(), 1);
}

#[test]
fn oversized_messages_are_refused() {
    let config = Config {
        message_size: Some(10_000),
        ..Config::default()
    };
    let setup = Setup::standard("size", config);
    let server = setup.start();
    for service in ["smtp", "submissions"] {
        let mut smtp = if service == "smtp" {
            let mut smtp = server.smtp("smtp");
            smtp.greeting();
            smtp.ehlo("client.example");
            smtp
        } else {
            let mut smtp = server.smtp_tls(service);
            smtp.login(ALICE, ALICE_PASSWORD);
            smtp
        };
        let from = if service == "smtp" {
            "someone@remote.example"
        } else {
            ALICE
        };
        smtp.expect_status(&format!("MAIL FROM:<{from}> SIZE=10001"), "552 5.3.4");
        smtp.expect_status(&format!("MAIL FROM:<{from}> SIZE=9000"), "250 2.1.0");
        smtp.expect_status("RCPT TO:<alice@example.com>", "250 2.1.5");
        let body = "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
            .repeat(200);
        let reply = smtp.data(&test_message(from, ALICE, "too big", &body));
        smtp.assert_status(&reply, "552 5.3.4", "end of an over-size DATA");
        // The session goes on.
        smtp.expect("RSET", 250);
        let reply = smtp.send_message(
            from,
            &[ALICE],
            &test_message(from, ALICE, "small", "small\r\n"),
        );
        assert_eq!(
            reply.code,
            250,
            "{service}: small message → {reply}{}",
            smtp.context()
        );
        smtp.quit();
    }
    let stored = setup.stored(ALICE);
    assert_eq!(stored.len(), 2, "{}", server.log_tail());
    assert!(stored.iter().all(|s| s.text().contains("Subject: small")));
    assert!(setup.tmp_files(ALICE).is_empty(), "tmp/ is not empty");
}

// ---------------------------------------------------------------------------
// Submission: AUTH, sender checks

#[test]
fn submission_requires_auth_before_mail() {
    let setup = Setup::standard("submission-auth", mynetworks_config());
    let server = setup.start();
    // Even from mynetworks: submission is for authenticated users.
    let mut smtp = server.smtp("submission");
    smtp.greeting();
    smtp.ehlo("client.example");
    smtp.expect_status("MAIL FROM:<alice@example.com>", "530 5.7.0");
    smtp.starttls();
    smtp.ehlo("client.example");
    smtp.expect_status("MAIL FROM:<alice@example.com>", "530 5.7.0");
    let reply = smtp.auth_plain(ALICE, ALICE_PASSWORD);
    smtp.assert_status(&reply, "235 2.7.0", "AUTH PLAIN");
    smtp.expect_status("MAIL FROM:<alice@example.com>", "250 2.1.0");

    let mut smtps = server.smtp_tls("submissions");
    smtps.greeting();
    smtps.ehlo("client.example");
    smtps.expect_status("MAIL FROM:<alice@example.com>", "530 5.7.0");
    let reply = smtps.auth_plain(BOB, BOB_PASSWORD);
    smtps.assert_status(&reply, "235 2.7.0", "AUTH PLAIN");
    smtps.expect_status("MAIL FROM:<bob@example.com>", "250 2.1.0");
}

#[test]
fn wrong_passwords_are_refused_after_the_failure_delay() {
    let config = Config {
        failure_delay_ms: 300,
        ..Config::default()
    };
    let setup = Setup::standard("auth-delay", config);
    let server = setup.start();
    let open = |service: &str| {
        let mut smtp = if service == "submission" {
            let mut smtp = server.smtp(service);
            smtp.greeting();
            smtp.ehlo("client.example");
            smtp.starttls();
            smtp
        } else {
            let mut smtp = server.smtp_tls(service);
            smtp.greeting();
            smtp
        };
        smtp.ehlo("client.example");
        smtp
    };
    for service in ["submission", "submissions"] {
        // One connection per failure: a server may close a session after
        // a few failures (not part of this test).
        for (user, password) in [
            ("nobody@example.com", "whatever"),
            (ALICE, BOB_PASSWORD),
            (ALICE, "wrong password"),
        ] {
            let mut smtp = open(service);
            let started = Instant::now();
            let reply = smtp.auth_plain(user, password);
            let elapsed = started.elapsed();
            smtp.assert_status(
                &reply,
                "535 5.7.8",
                &format!("{service}: AUTH PLAIN {user}"),
            );
            assert!(
                elapsed >= Duration::from_millis(300),
                "{service}: the failure came after {elapsed:?}, before failure_delay_ms{}",
                smtp.context()
            );
            // Still not authenticated; the right password then works.
            smtp.expect_status("MAIL FROM:<alice@example.com>", "530 5.7.0");
            let reply = smtp.auth_plain(ALICE, ALICE_PASSWORD);
            smtp.assert_status(&reply, "235 2.7.0", &format!("{service}: right password"));
            smtp.expect_status("MAIL FROM:<alice@example.com>", "250 2.1.0");
            smtp.quit();
        }
    }
}

#[test]
fn sender_login_check_allows_own_addresses_only() {
    let setup = Setup::standard("sender-login", Config::default());
    setup.add_alias("alice.smith@example.com", &[ALICE]);
    let server = setup.start();
    let mut smtp = server.smtp("submission");
    smtp.login(ALICE, ALICE_PASSWORD);
    smtp.expect_status("MAIL FROM:<alice@example.com>", "250 2.1.0");
    smtp.expect("RSET", 250);
    smtp.expect_status("MAIL FROM:<alice.smith@example.com>", "250 2.1.0");
    smtp.expect("RSET", 250);
    smtp.expect_status("MAIL FROM:<bob@example.com>", "553 5.7.1");
    smtp.expect_status("MAIL FROM:<someone@foreign.example>", "553 5.7.1");
    // And a real submission, to bob.
    let message = test_message(ALICE, BOB, "from alice", "Hello Bob.\r\n");
    let reply = smtp.send_message(ALICE, &[BOB], &message);
    assert_eq!(reply.code, 250, "{reply}{}", smtp.context());
    smtp.quit();
    let stored = only_stored(&setup, &server, BOB);
    let fields = added_fields(&stored, &message, &server);
    assert_eq!(fields[0], "Return-Path: <alice@example.com>");
    assert_eq!(fields[1], "Delivered-To: bob@example.com");
    check_received(&fields[2], "client.example", "ESMTPSA");
}

#[test]
fn without_sender_login_check_any_sender_is_allowed() {
    let config = Config {
        sender_login_check: false,
        ..Config::default()
    };
    let setup = Setup::standard("no-sender-login", config);
    let server = setup.start();
    let mut smtp = server.smtp_tls("submissions");
    smtp.login(ALICE, ALICE_PASSWORD);
    smtp.expect_status("MAIL FROM:<bob@example.com>", "250 2.1.0");
}

// ---------------------------------------------------------------------------
// Delivery and the stored file

#[test]
fn delivery_stores_trace_fields_then_the_message_byte_for_byte() {
    let setup = Setup::standard("delivery", Config::default());
    let server = setup.start();
    let mut body = String::from("A line.\r\n.a line that starts with a dot\r\n..two\r\n.\r\n");
    body.push_str("8-bit: gr\u{fc}\u{df}e, \u{65e5}\u{672c}\r\n");
    body.push_str(&"x".repeat(900));
    body.push_str("\r\n\r\nFrom the end.\r\n");
    let message = test_message("sender@remote.example", ALICE, "exact", &body);
    deliver(&server, "sender@remote.example", &[ALICE], &message);
    let stored = only_stored(&setup, &server, ALICE);
    assert!(
        stored.path.parent().unwrap().ends_with("Maildir/new"),
        "{}",
        stored.path.display()
    );
    let fields = added_fields(&stored, &message, &server);
    assert_eq!(fields.len(), 3, "added fields: {fields:#?}");
    assert_eq!(fields[0], "Return-Path: <sender@remote.example>");
    assert_eq!(fields[1], "Delivered-To: alice@example.com");
    let first_id = check_received(&fields[2], "client.example", "ESMTP");

    // A second message: another queue id; the null sender.
    let message = test_message("", ALICE, "bounce", "A bounce.\r\n");
    deliver(&server, "", &[ALICE], &message);
    let stored: Vec<Stored> = setup
        .stored(ALICE)
        .into_iter()
        .filter(|s| s.text().contains("Subject: bounce"))
        .collect();
    assert_eq!(stored.len(), 1, "{}", server.log_tail());
    let fields = added_fields(&stored[0], &message, &server);
    assert_eq!(fields[0], "Return-Path: <>");
    let second_id = check_received(&fields[2], "client.example", "ESMTP");
    assert_ne!(first_id, second_id, "two messages with one queue id");
}

#[test]
fn received_with_says_esmtps_over_tls_and_esmtpsa_when_authenticated() {
    let setup = Setup::standard("received-with", Config::default());
    let server = setup.start();
    // smtp + STARTTLS: ESMTPS.
    let message = test_message("sender@remote.example", ALICE, "over tls", "TLS.\r\n");
    let mut smtp = server.smtp("smtp");
    smtp.greeting();
    smtp.ehlo("client.example");
    smtp.starttls();
    smtp.ehlo("tls.client.example");
    let reply = smtp.send_message("sender@remote.example", &[ALICE], &message);
    assert_eq!(reply.code, 250, "{reply}{}", smtp.context());
    smtp.quit();
    let stored = only_stored(&setup, &server, ALICE);
    let fields = added_fields(&stored, &message, &server);
    check_received(&fields[2], "tls.client.example", "ESMTPS");
    std::fs::remove_file(&stored.path).unwrap();

    // submissions + AUTH: ESMTPSA.
    let message = test_message(BOB, ALICE, "authenticated", "Hi.\r\n");
    let mut smtp = server.smtp_tls("submissions");
    smtp.login(BOB, BOB_PASSWORD);
    let reply = smtp.send_message(BOB, &[ALICE], &message);
    assert_eq!(reply.code, 250, "{reply}{}", smtp.context());
    smtp.quit();
    let stored = only_stored(&setup, &server, ALICE);
    let fields = added_fields(&stored, &message, &server);
    assert_eq!(fields[0], "Return-Path: <bob@example.com>");
    check_received(&fields[2], "client.example", "ESMTPSA");
}

#[test]
fn one_transaction_to_several_recipients_stores_one_copy_each() {
    let setup = Setup::standard("recipients", Config::default());
    let server = setup.start();
    let message = test_message("sender@remote.example", ALICE, "both", "Both.\r\n");
    deliver(&server, "sender@remote.example", &[ALICE, BOB], &message);
    for address in [ALICE, BOB] {
        let stored = only_stored(&setup, &server, address);
        let fields = added_fields(&stored, &message, &server);
        assert_eq!(fields[1], format!("Delivered-To: {address}"));
    }
}

// ---------------------------------------------------------------------------
// POP3

#[test]
fn pop3_requires_stls_and_serves_the_stored_file_exactly() {
    let setup = Setup::standard("pop3", Config::default());
    let server = setup.start();
    let body = ".leading dot\r\n..two\r\nend\r\n";
    let message = test_message("sender@remote.example", ALICE, "pop me", body);
    deliver(&server, "sender@remote.example", &[ALICE], &message);
    let stored = only_stored(&setup, &server, ALICE);

    let mut pop3 = server.pop3("pop3");
    pop3.greeting();
    let capa = {
        pop3.ok("CAPA");
        String::from_utf8_lossy(&pop3.multiline()).into_owned()
    };
    assert!(
        capa.lines().any(|l| l == "STLS"),
        "CAPA: {capa}{}",
        pop3.context()
    );
    assert!(
        !capa.lines().any(|l| l == "USER"),
        "USER offered before STLS: {capa}{}",
        pop3.context()
    );
    // USER or PASS is refused: no login in the clear.
    let user = pop3.command(&format!("USER {ALICE}"));
    if user.starts_with("+OK") {
        pop3.err(&format!("PASS {ALICE_PASSWORD}"));
    } else {
        assert!(
            user.starts_with("-ERR"),
            "USER → {user:?}{}",
            pop3.context()
        );
    }
    pop3.err("STAT");
    pop3.stls();
    pop3.login(ALICE, ALICE_PASSWORD);
    let list = pop3.list();
    assert_eq!(list, [(1, stored.bytes.len() as u64)], "{}", pop3.context());
    let stat = pop3.ok("STAT");
    assert_eq!(stat, format!("+OK 1 {}", stored.bytes.len()));
    let uidl = pop3.uidl();
    assert_eq!(uidl.len(), 1);
    let retrieved = pop3.retr(1);
    assert!(
        retrieved == stored.bytes,
        "RETR differs from the stored file:\n--- RETR ---\n{}\n--- file ---\n{}",
        String::from_utf8_lossy(&retrieved),
        stored.text()
    );
    pop3.quit();
    // Retrieval alone does not delete.
    assert_eq!(setup.stored(ALICE).len(), 1, "{}", server.log_tail());

    // pop3s: wrong password refused, DELE + QUIT removes.
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.ok(&format!("USER {ALICE}"));
    pop3s.err("PASS not the password");
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.login(ALICE, ALICE_PASSWORD);
    let uidl_again = pop3s.uidl();
    assert_eq!(uidl_again, uidl, "UIDL is not stable");
    assert_eq!(pop3s.retr(1), stored.bytes);
    pop3s.ok("DELE 1");
    pop3s.err("RETR 1");
    pop3s.quit();
    assert!(
        wait_until(Duration::from_secs(5), || setup.stored(ALICE).is_empty()),
        "DELE + QUIT left {:?}{}",
        setup
            .stored(ALICE)
            .iter()
            .map(|s| &s.path)
            .collect::<Vec<_>>(),
        server.log_tail()
    );
}

#[test]
fn pop3_dele_without_quit_keeps_the_message() {
    let setup = Setup::standard("pop3-rset", Config::default());
    let server = setup.start();
    let message = test_message("sender@remote.example", ALICE, "keep", "Keep me.\r\n");
    deliver(&server, "sender@remote.example", &[ALICE], &message);
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.login(ALICE, ALICE_PASSWORD);
    pop3s.ok("DELE 1");
    pop3s.ok("RSET");
    pop3s.quit();
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.login(ALICE, ALICE_PASSWORD);
    pop3s.ok("DELE 1");
    drop(pop3s); // no QUIT: no update state
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(setup.stored(ALICE).len(), 1, "{}", server.log_tail());
}

// ---------------------------------------------------------------------------
// LMTP

#[test]
fn lmtp_answers_once_per_recipient_after_data() {
    let setup = Setup::standard("lmtp", Config::default());
    let server = setup.start();
    let mut lmtp = server.smtp("lmtp");
    lmtp.greeting();
    lmtp.lhlo("mta.example");
    lmtp.expect_status("MAIL FROM:<sender@remote.example>", "250 2.1.0");
    lmtp.expect_status("RCPT TO:<alice@example.com>", "250 2.1.5");
    lmtp.expect_status("RCPT TO:<bob@example.com>", "250 2.1.5");
    // An unknown user: refused at RCPT, or accepted and refused after DATA.
    let unknown = lmtp.command("RCPT TO:<nobody@example.com>");
    let refused_at_rcpt = unknown.code != 250;
    if refused_at_rcpt {
        lmtp.assert_status(&unknown, "550 5.1.1", "RCPT nobody");
    }
    let message = test_message("sender@remote.example", ALICE, "lmtp", "Via LMTP.\r\n");
    let first = lmtp.data(&message);
    lmtp.assert_status(&first, "250 2.0.0", "alice's reply");
    let second = lmtp.reply();
    lmtp.assert_status(&second, "250 2.0.0", "bob's reply");
    if !refused_at_rcpt {
        let third = lmtp.reply();
        lmtp.assert_status(&third, "550 5.1.1", "nobody's reply");
    }
    // Nothing more: the next command's reply is the next thing read.
    lmtp.expect("NOOP", 250);
    lmtp.quit();
    for address in [ALICE, BOB] {
        let stored = only_stored(&setup, &server, address);
        let fields = added_fields(&stored, &message, &server);
        assert_eq!(fields[0], "Return-Path: <sender@remote.example>");
        assert_eq!(fields[1], format!("Delivered-To: {address}"));
    }
}

// ---------------------------------------------------------------------------
// Aliases

#[test]
fn aliases_catch_all_and_recipient_delimiter() {
    let setup = Setup::standard("aliases", Config::default());
    setup.add_alias("team@example.com", &[ALICE, BOB]);
    let list = setup.cli_ok(&["alias", "list"]);
    assert!(
        list.lines()
            .any(|l| l == "team@example.com\talice@example.com,bob@example.com"),
        "alias list: {list:?}"
    );
    let server = setup.start();

    let team = test_message(
        "sender@remote.example",
        "team@example.com",
        "team",
        "To the team.\r\n",
    );
    deliver(
        &server,
        "sender@remote.example",
        &["team@example.com"],
        &team,
    );
    for address in [ALICE, BOB] {
        let stored = only_stored(&setup, &server, address);
        added_fields(&stored, &team, &server);
        std::fs::remove_file(&stored.path).unwrap();
    }

    let tagged = test_message(
        "sender@remote.example",
        "alice+lists@example.com",
        "tagged",
        "Tagged.\r\n",
    );
    deliver(
        &server,
        "sender@remote.example",
        &["alice+lists@example.com"],
        &tagged,
    );
    let stored = only_stored(&setup, &server, ALICE);
    added_fields(&stored, &tagged, &server);
    std::fs::remove_file(&stored.path).unwrap();
    assert!(setup.stored(BOB).is_empty());

    // No catch-all yet: unknown users are refused.
    let mut smtp = server.smtp("smtp");
    smtp.greeting();
    smtp.ehlo("client.example");
    smtp.expect_status("MAIL FROM:<sender@remote.example>", "250 2.1.0");
    smtp.expect_status("RCPT TO:<nobody@example.com>", "550 5.1.1");
    smtp.quit();

    // The catch-all, added while the server runs.
    setup.add_alias("@example.com", &[ALICE]);
    let stray = test_message(
        "sender@remote.example",
        "nobody@example.com",
        "stray",
        "Stray.\r\n",
    );
    deliver(
        &server,
        "sender@remote.example",
        &["nobody@example.com"],
        &stray,
    );
    let stored = only_stored(&setup, &server, ALICE);
    added_fields(&stored, &stray, &server);
    std::fs::remove_file(&stored.path).unwrap();
    // Existing users still get their own mail, not the catch-all's.
    let to_bob = test_message("sender@remote.example", BOB, "bob", "Bob's.\r\n");
    deliver(&server, "sender@remote.example", &[BOB], &to_bob);
    only_stored(&setup, &server, BOB);
    assert!(setup.stored(ALICE).is_empty(), "{}", server.log_tail());
}

// ---------------------------------------------------------------------------
// Quota

#[test]
fn quota_refuses_mail_once_full_and_stores_nothing_more() {
    let setup = Setup::standard("quota", Config::default());
    setup.add_user_with_quota("carol@example.com", "carol's secret", "10K");
    let list = setup.cli_ok(&["user", "list"]);
    assert!(
        list.lines()
            .any(|l| l == "carol@example.com\t10240\tactive"),
        "user list: {list:?}"
    );
    let server = setup.start();
    let chunk = format!("{}\r\n", "q".repeat(98)).repeat(30); // 3000 bytes
    let mut refused = None;
    for n in 0..8 {
        let before: usize = setup
            .stored("carol@example.com")
            .iter()
            .map(|s| s.bytes.len())
            .sum();
        let count = setup.stored("carol@example.com").len();
        let message = test_message(
            "sender@remote.example",
            "carol@example.com",
            &format!("quota {n}"),
            &chunk,
        );
        let mut smtp = server.smtp("smtp");
        smtp.greeting();
        smtp.ehlo("client.example");
        smtp.expect_status("MAIL FROM:<sender@remote.example>", "250 2.1.0");
        let rcpt = smtp.command("RCPT TO:<carol@example.com>");
        let reply = if rcpt.code == 250 {
            smtp.data(&message)
        } else {
            rcpt
        };
        smtp.quit();
        if reply.code == 250 {
            assert!(
                before < 10240,
                "message {n} accepted with {before} bytes stored already{}",
                server.log_tail()
            );
            continue;
        }
        assert!(
            ["4.2.2", "5.2.2"].contains(&reply.enhanced().unwrap_or("")),
            "message {n} refused with {reply}{}",
            server.log_tail()
        );
        assert!(
            before + message.len() > 10240 - 1024,
            "refused at {before} bytes, well under the quota: {reply}"
        );
        assert_eq!(
            setup.stored("carol@example.com").len(),
            count,
            "stored anyway"
        );
        refused = Some((n, reply));
        break;
    }
    let Some((n, _)) = refused else {
        panic!("8 × 3 KB accepted for a 10 KiB quota{}", server.log_tail());
    };
    assert!(n >= 3, "refused after {n} messages of 3 KB");
    // Stays refused; others still get mail.
    let mut smtp = server.smtp("smtp");
    smtp.greeting();
    smtp.ehlo("client.example");
    smtp.expect_status("MAIL FROM:<sender@remote.example>", "250 2.1.0");
    let rcpt = smtp.command("RCPT TO:<carol@example.com>");
    if rcpt.code == 250 {
        let reply = smtp.data(&test_message(
            "s@remote.example",
            "carol@example.com",
            "again",
            &chunk,
        ));
        assert!(
            reply.code >= 400,
            "accepted over quota: {reply}{}",
            smtp.context()
        );
    }
    smtp.quit();
    assert_eq!(setup.stored("carol@example.com").len(), n);
    deliver(
        &server,
        "sender@remote.example",
        &[BOB],
        &test_message("s@remote.example", BOB, "bob", &chunk),
    );
    // `user quota … none` lifts it.
    setup.cli_ok(&["user", "quota", "carol@example.com", "none"]);
    let list = setup.cli_ok(&["user", "list", DOMAIN]);
    assert!(
        list.lines().any(|l| l == "carol@example.com\t-\tactive"),
        "{list:?}"
    );
    deliver(
        &server,
        "sender@remote.example",
        &["carol@example.com"],
        &test_message("s@remote.example", "carol@example.com", "unlimited", &chunk),
    );
    assert_eq!(setup.stored("carol@example.com").len(), n + 1);
}

// ---------------------------------------------------------------------------
// Connection limit

#[test]
fn connections_per_ip_limit_applies_to_all_services() {
    let config = Config {
        connections_per_ip: 3,
        ..Config::default()
    };
    let setup = Setup::standard("conn-limit", config);
    let server = setup.start();
    let mut held: Vec<Smtp> = (0..3)
        .map(|_| {
            let mut smtp = server.smtp("smtp");
            smtp.greeting();
            smtp
        })
        .collect();
    let mut fourth = server.smtp("smtp");
    let reply = fourth.reply();
    assert_eq!(
        reply.status(),
        "421 4.7.0",
        "4th connection: {reply}{}",
        fourth.context()
    );
    fourth.expect_closed();
    let mut pop3 = server.pop3("pop3");
    let line = pop3.line();
    assert!(
        line.starts_with("-ERR"),
        "4th connection on pop3: {line:?}{}",
        pop3.context()
    );
    let mut submission = server.smtp("submission");
    let reply = submission.reply();
    assert_eq!(reply.status(), "421 4.7.0", "4th on submission: {reply}");
    // Another address is counted on its own.
    let mut other = server.smtp_from("smtp", OUTSIDE);
    other.greeting();
    // A freed slot can be used again.
    let mut first = held.remove(0);
    first.expect("QUIT", 221);
    first.expect_closed();
    let mut again = None;
    let freed = wait_until(Duration::from_secs(5), || {
        let mut smtp = server.smtp("smtp");
        let reply = smtp.reply();
        let ok = reply.code == 220;
        again = Some(smtp);
        ok
    });
    assert!(freed, "the slot was not freed{}", server.log_tail());
}

// ---------------------------------------------------------------------------
// Admin commands

fn assert_error_line(output: &CliOutput) {
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {output}");
    assert!(lines[0].starts_with("mailserver: "), "{output}");
}

#[test]
fn admin_commands_and_their_exit_codes() {
    let setup = Setup::new("admin", Config::default());
    setup
        .cli(&["domain", "add", DOMAIN, "--description", "The example"])
        .expect_code(0);
    let again = setup.cli(&["domain", "add", DOMAIN]);
    again.expect_code(1);
    assert_error_line(&again);
    setup.add_domain("example.org");
    let domains = setup.cli_ok(&["domain", "list"]);
    assert!(
        domains
            .lines()
            .any(|l| l == "example.com\tactive\tThe example"),
        "{domains:?}"
    );
    assert!(
        domains.lines().any(|l| l == "example.org\tactive\t"),
        "{domains:?}"
    );

    setup.add_user(ALICE, ALICE_PASSWORD);
    let again = setup.cli_with_stdin(&["user", "add", ALICE, "--password-stdin"], Some(b"x\n"));
    again.expect_code(1);
    assert_error_line(&again);
    let no_domain = setup.cli_with_stdin(
        &["user", "add", "x@unknown.example", "--password-stdin"],
        Some(b"x\n"),
    );
    no_domain.expect_code(1);
    assert_error_line(&no_domain);
    setup.add_user_with_quota(BOB, BOB_PASSWORD, "2M");
    setup.add_user("dave@example.org", "dave's");
    let users = setup.cli_ok(&["user", "list"]);
    let mut lines: Vec<&str> = users.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "alice@example.com\t-\tactive",
            "bob@example.com\t2097152\tactive",
            "dave@example.org\t-\tactive",
        ],
        "user list"
    );
    let users = setup.cli_ok(&["user", "list", "example.org"]);
    assert_eq!(users, "dave@example.org\t-\tactive\n");
    setup.cli_ok(&["user", "quota", BOB, "10K"]);
    assert!(
        setup
            .cli_ok(&["user", "list"])
            .contains("bob@example.com\t10240\tactive")
    );

    setup.add_alias("team@example.com", &[ALICE, BOB]);
    let again = setup.cli(&["alias", "add", "team@example.com", ALICE]);
    again.expect_code(1);
    assert_error_line(&again);

    for args in [
        &["user", "remove", "nobody@example.com"][..],
        &["alias", "remove", "nobody@example.com"],
        &["domain", "remove", "unknown.example"],
        &["user", "quota", "nobody@example.com", "1M"],
    ] {
        let output = setup.cli(args);
        output.expect_code(1);
        assert_error_line(&output);
    }
    let passwd = setup.cli_with_stdin(
        &["user", "passwd", "nobody@example.com", "--password-stdin"],
        Some(b"x\n"),
    );
    passwd.expect_code(1);

    // Removing a domain with users is refused without --force.
    let output = setup.cli(&["domain", "remove", "example.org"]);
    output.expect_code(1);
    assert_error_line(&output);
    setup.cli_ok(&["domain", "remove", "example.org", "--force"]);
    assert!(!setup.cli_ok(&["user", "list"]).contains("dave@"));

    setup.cli_ok(&["alias", "remove", "team@example.com"]);
    assert_eq!(setup.cli_ok(&["alias", "list"]), "");
    setup.cli_ok(&["user", "remove", BOB]);
    assert_eq!(
        setup.cli_ok(&["user", "list"]),
        "alice@example.com\t-\tactive\n"
    );

    // Bad usage: 2.
    for args in [
        &["frobnicate"][..],
        &["user", "add"],
        &["alias", "add", "x@example.com"],
        &["domain"],
    ] {
        let output = setup.cli(args);
        output.expect_code(2);
    }
    let output = mailserver_support::run_cli(None, &[], None);
    output.expect_code(2);

    // check-config on a good configuration.
    setup.cli(&["check-config"]).expect_code(0);
}

#[test]
fn user_passwd_changes_the_login() {
    let setup = Setup::standard("passwd", Config::default());
    setup
        .cli_with_stdin(
            &["user", "passwd", ALICE, "--password-stdin"],
            Some(b"the new one\nsecond line ignored\n"),
        )
        .expect_code(0);
    let server = setup.start();
    let mut smtp = server.smtp_tls("submissions");
    smtp.greeting();
    smtp.ehlo("client.example");
    let reply = smtp.auth_plain(ALICE, ALICE_PASSWORD);
    smtp.assert_status(&reply, "535 5.7.8", "old password");
    let reply = smtp.auth_plain(ALICE, "the new one");
    smtp.assert_status(&reply, "235 2.7.0", "new password");
    let mut pop3s = server.pop3_tls("pop3s");
    pop3s.greeting();
    pop3s.login(ALICE, "the new one");
}

#[test]
fn invalid_configuration_exits_3_on_every_command() {
    let setup = Setup::standard("bad-config", Config::default());
    let good = std::fs::read_to_string(&setup.config_path).unwrap();
    let broken = [
        (
            "syntax error",
            format!("{good}\n[limits\nmessage_size = 1\n"),
        ),
        ("unknown key", format!("no_such_key = 1\n{good}")),
        (
            "unknown key in a table",
            good.replace("[auth]\n", "[auth]\nno_such_key = 1\n"),
        ),
        (
            "wrong type",
            good.replace("connections_per_ip = 0", "connections_per_ip = \"many\""),
        ),
        ("unknown table", format!("{good}\n[no_such_table]\nx = 1\n")),
    ];
    for (what, text) in broken {
        setup.write_config_text(&text);
        for args in [
            &["check-config"][..],
            &["serve"],
            &["domain", "list"],
            &["user", "list"],
            &["alias", "list"],
            &["domain", "add", "example.net"],
        ] {
            let output = setup.cli(args);
            assert_eq!(output.code, Some(3), "{what}: {output}");
            assert!(
                output.stderr.starts_with("mailserver: "),
                "{what}: {output}"
            );
        }
    }
    setup.write_config_text(&good);
    setup.cli(&["check-config"]).expect_code(0);
    // A missing configuration file is refused too, not silently defaulted.
    let missing = setup.scratch.path("missing.toml");
    let output = mailserver_support::run_cli(Some(&missing), &["check-config"], None);
    assert_ne!(output.code, Some(0), "{output}");
}

// ---------------------------------------------------------------------------
// Graceful shutdown

#[test]
fn sigterm_finishes_data_in_progress_and_closes_idle_sessions() {
    let setup = Setup::standard("shutdown", Config::default());
    let mut server = setup.start();
    let body = format!("{}\r\n", "y".repeat(78)).repeat(100);
    let message = test_message("sender@remote.example", ALICE, "in flight", &body);
    let stuffed = mailserver_support::dot_stuff(&message);
    let (first_half, second_half) = stuffed.split_at(stuffed.len() / 2);

    let mut busy = server.smtp("smtp");
    busy.greeting();
    busy.ehlo("client.example");
    busy.expect_status("MAIL FROM:<sender@remote.example>", "250 2.1.0");
    busy.expect_status("RCPT TO:<alice@example.com>", "250 2.1.5");
    busy.expect("DATA", 354);
    busy.send(first_half);

    let mut idle = server.smtp("smtp");
    idle.greeting();
    idle.ehlo("client.example");
    let mut idle_pop3 = server.pop3("pop3");
    idle_pop3.greeting();

    std::thread::sleep(Duration::from_millis(100));
    server.terminate();

    let reply = idle.reply();
    assert_eq!(
        reply.code,
        421,
        "idle SMTP session after SIGTERM: {reply}{}",
        idle.context()
    );
    idle.expect_closed();
    // POP3: closed (perhaps after a last -ERR / +OK line).
    let mut lines = Vec::new();
    while let Some(line) = idle_pop3.try_line() {
        lines.push(line);
        assert!(lines.len() < 3, "pop3 still talking: {lines:?}");
    }
    // No new connections.
    let refused = match std::net::TcpStream::connect(server.addr("smtp")) {
        Err(_) => true,
        Ok(stream) => {
            use std::io::Read;
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 64];
            let n = (&stream).read(&mut buf).unwrap_or(0);
            !buf[..n].starts_with(b"220")
        }
    };
    assert!(
        refused,
        "a new connection was greeted after SIGTERM{}",
        server.log_tail()
    );

    // The message in flight completes.
    busy.send(second_half);
    if !second_half.ends_with(b"\r\n") {
        busy.send(b"\r\n");
    }
    busy.send(b".\r\n");
    let reply = busy.reply();
    assert_eq!(
        reply.code,
        250,
        "end of data after SIGTERM: {reply}{}",
        busy.context()
    );
    let _ = busy.try_send(b"QUIT\r\n");
    let _ = busy.try_reply_quietly();

    let status = server.wait_exit(Duration::from_secs(15));
    assert!(
        status.is_some_and(|s| s.code() == Some(0)),
        "exit after SIGTERM: {status:?}{}",
        server.log_tail()
    );
    let stored = only_stored(&setup, &server, ALICE);
    added_fields(&stored, &message, &server);
    assert!(setup.tmp_files(ALICE).is_empty());
}

#[test]
fn sigterm_on_an_idle_server_exits_promptly() {
    let setup = Setup::standard("idle-stop", Config::default());
    let mut server = setup.start();
    let started = Instant::now();
    server.stop(Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn serve_on_a_busy_port_exits_4() {
    let setup = Setup::standard("busy-port", Config::default());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let text = std::fs::read_to_string(&setup.config_path)
        .unwrap()
        .replacen(
            "smtp = [\"127.0.0.1:0\"]",
            &format!("smtp = [\"127.0.0.1:{port}\"]"),
            1,
        );
    setup.write_config_text(&text);
    let output = setup.cli(&["serve"]);
    assert_eq!(output.code, Some(4), "{output}");
    assert!(!output.stdout.contains("ready"), "{output}");
}

/// Whether a TLS handshake with the submissions port succeeds when the
/// client trusts exactly `pem`.
fn handshake_trusting(server: &Server, pem: &[u8]) -> bool {
    use rustls::pki_types::ServerName;
    let config = client_config_trusting(pem);
    let Conn::Plain(mut tcp) = connect(server.addr("submissions"), None, &server.log) else {
        panic!("a new connection is plain");
    };
    let name = ServerName::try_from("localhost").expect("server name");
    let mut tls = rustls::ClientConnection::new(config, name).expect("client connection");
    while tls.is_handshaking() {
        if tls.complete_io(&mut tcp).is_err() {
            return false;
        }
    }
    true
}

#[test]
fn sighup_reloads_the_certificate_and_keeps_the_old_one_when_the_new_is_bad() {
    let setup = Setup::standard("sighup", Config::default());
    let server = setup.start();
    let old = std::fs::read(setup.certificate_path()).unwrap();
    let key_path = setup.certificate_path().with_file_name("key.pem");
    assert!(handshake_trusting(&server, &old), "{}", server.log_tail());

    // A broken pair: the old certificate stays in use.
    std::fs::write(setup.certificate_path(), b"not a certificate").unwrap();
    signal(server.pid(), "HUP");
    wait_for_log(&server, "keeping the old TLS certificate");
    assert!(handshake_trusting(&server, &old), "{}", server.log_tail());

    // A new pair: new handshakes present it, and the old one is refused.
    let new = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let new_pem = new.cert.pem();
    std::fs::write(&key_path, new.key_pair.serialize_pem()).unwrap();
    std::fs::write(setup.certificate_path(), &new_pem).unwrap();
    signal(server.pid(), "HUP");
    wait_for_log(&server, "TLS certificate reloaded");
    assert!(
        handshake_trusting(&server, new_pem.as_bytes()),
        "{}",
        server.log_tail()
    );
    assert!(
        !handshake_trusting(&server, &old),
        "the old certificate is still served"
    );
}

/// Waits until the server's log contains `text`.
fn wait_for_log(server: &Server, text: &str) {
    assert!(
        wait_until(Duration::from_secs(10), || server.log.text().contains(text)),
        "no {text:?} in the log{}",
        server.log_tail()
    );
}
