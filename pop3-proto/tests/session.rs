//! Exact transcripts of the sans-IO server session: every command in every
//! state, the error paths, the RFC 1939/2449/5034 example exchanges.

mod support;

use std::sync::Arc;

use pop3_proto::capabilities::{Expire, LoginDelay};
use pop3_proto::maildrop::{MessageInfo, UniqueId};
use pop3_proto::server::{Event, ServerConfig, ServerSession, SessionError, TlsInfo};
use pop3_proto::{CommandLimits, Response};
use support::{Harness, TIMESTAMP, config, converse};

const GREETING: &str = "+OK pop.example.org POP3 server ready\r\n";
const LOGIN: &str = "USER alice\r\nPASS secret\r\n";
const LOGGED_IN: &str = "+OK Send your password\r\n+OK Logged in, 3 messages (124 octets)\r\n";
const MSG1: &str =
    "From: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n..dotted\r\nline 3\r\n.\r\n";
const MSG2: &str = "Subject: two\r\n\r\nbody\r\n.\r\n";
const MSG3: &str = "Subject: three\r\n\r\nbare LF body\r\n..\r\nend\r\n.\r\n";
const BYE: &str = "+OK pop.example.org POP3 server signing off\r\n";

/// Logs in as alice, runs `input`, returns what followed the login.
fn after_login(config: ServerConfig, input: &str) -> (String, Harness) {
    let mut h = Harness::new(config);
    h.feed(format!("{LOGIN}{input}").as_bytes());
    let out = h.take();
    let rest = out
        .strip_prefix(&format!("{GREETING}{LOGGED_IN}"))
        .unwrap_or_else(|| panic!("login failed: {out}"))
        .to_string();
    (rest, h)
}

#[test]
fn greeting_with_and_without_apop() {
    let mut h = Harness::new(config());
    assert_eq!(h.take(), GREETING);
    let mut h = Harness::with(config(), None, Some(TIMESTAMP));
    assert_eq!(
        h.take(),
        format!("+OK pop.example.org POP3 server ready {TIMESTAMP}\r\n")
    );
}

#[test]
fn rfc1939_example_session_with_apop() {
    let mut h = Harness::with(config(), None, Some(TIMESTAMP));
    h.feed(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n");
    assert_eq!(
        h.take(),
        format!(
            "+OK pop.example.org POP3 server ready {TIMESTAMP}\r\n\
+OK Logged in, 3 messages (124 octets)\r\n\
+OK 3 124\r\n\
+OK 3 messages (124 octets)\r\n1 62\r\n2 22\r\n3 40\r\n.\r\n\
+OK 62 octets\r\n{MSG1}\
+OK message 1 deleted\r\n\
+OK 22 octets\r\n{MSG2}\
+OK message 2 deleted\r\n\
+OK pop.example.org POP3 server signing off (1 messages left)\r\n"
        )
    );
    assert_eq!(h.commits, vec![vec![0, 1]]);
    assert!(h.closed);
    assert_eq!(
        h.events,
        [
            "lookup",
            "open mrose",
            "retrieve 0 None",
            "retrieve 1 None",
            "commit [0, 1]",
            "flush",
            "close"
        ]
    );
}

#[test]
fn apop_wrong_digest_unknown_user_and_not_offered() {
    let mut h = Harness::with(config(), None, Some(TIMESTAMP));
    h.feed(b"APOP mrose c4c9334bac560ecc979e58001b3e22fa\r\nAPOP nobody c4c9334bac560ecc979e58001b3e22fb\r\nAPOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n");
    assert_eq!(
        h.take(),
        format!(
            "+OK pop.example.org POP3 server ready {TIMESTAMP}\r\n\
-ERR [AUTH] Authentication failed\r\n-ERR [AUTH] Authentication failed\r\n\
+OK Logged in, 3 messages (124 octets)\r\n"
        )
    );
    let out = converse(
        config(),
        "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nAPOP mrose xyz\r\n",
    );
    assert_eq!(
        out,
        format!("{GREETING}-ERR Command not available\r\n-ERR Syntax error in arguments\r\n")
    );
}

#[test]
fn user_pass_and_every_transaction_command() {
    let (out, h) = after_login(
        config(),
        "STAT\r\nLIST\r\nLIST 2\r\nUIDL\r\nUIDL 3\r\nNOOP\r\nTOP 1 0\r\nTOP 1 1\r\nTOP 3 10\r\nRETR 3\r\nQUIT\r\n",
    );
    assert_eq!(
        out,
        format!(
            "+OK 3 124\r\n\
+OK 3 messages (124 octets)\r\n1 62\r\n2 22\r\n3 40\r\n.\r\n\
+OK 2 22\r\n\
+OK Unique-ID listing follows\r\n1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n.\r\n\
+OK 3 uid-3\r\n\
+OK\r\n\
+OK Top of message follows\r\nFrom: a@example.org\r\nSubject: one\r\n\r\n.\r\n\
+OK Top of message follows\r\nFrom: a@example.org\r\nSubject: one\r\n\r\nline 1\r\n.\r\n\
+OK Top of message follows\r\n{MSG3}\
+OK 40 octets\r\n{MSG3}\
+OK pop.example.org POP3 server signing off (3 messages left)\r\n"
        )
    );
    assert_eq!(h.commits, vec![Vec::<usize>::new()]);
}

#[test]
fn deleted_messages_are_invisible_and_rset_undeletes() {
    let (out, h) = after_login(
        config(),
        "DELE 2\r\nDELE 2\r\nSTAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nUIDL 2\r\nRETR 2\r\nTOP 2 1\r\nRSET\r\nSTAT\r\nLIST 2\r\nDELE 3\r\nDELE 1\r\nLIST 3\r\nQUIT\r\n",
    );
    assert_eq!(
        out,
        "+OK message 2 deleted\r\n\
-ERR message 2 already deleted\r\n\
+OK 2 102\r\n\
+OK 2 messages (102 octets)\r\n1 62\r\n3 40\r\n.\r\n\
+OK Unique-ID listing follows\r\n1 uid-1\r\n3 uid-3\r\n.\r\n\
-ERR message 2 already deleted\r\n\
-ERR message 2 already deleted\r\n\
-ERR message 2 already deleted\r\n\
-ERR message 2 already deleted\r\n\
+OK maildrop has 3 messages (124 octets)\r\n\
+OK 3 124\r\n\
+OK 2 22\r\n\
+OK message 3 deleted\r\n\
+OK message 1 deleted\r\n\
-ERR message 3 already deleted\r\n\
+OK pop.example.org POP3 server signing off (1 messages left)\r\n"
    );
    // Ascending, whatever the order of DELE.
    assert_eq!(h.commits, vec![vec![0, 2]]);
}

#[test]
fn no_such_message() {
    let (out, _) = after_login(
        config(),
        "LIST 0\r\nLIST 4\r\nRETR 99\r\nDELE 4294967295\r\nTOP 0 1\r\nUIDL 4\r\nLIST 4294967296\r\nLIST -1\r\nRETR\r\nTOP 1\r\nLIST 1 2\r\n",
    );
    let none = "-ERR no such message, only 3 messages in maildrop\r\n";
    let syntax = "-ERR Syntax error in arguments\r\n";
    assert_eq!(
        out,
        format!("{none}{none}{none}{none}{none}{none}{syntax}{syntax}{syntax}{syntax}{syntax}")
    );
}

#[test]
fn a_dropped_connection_deletes_nothing() {
    let (out, mut h) = after_login(config(), "DELE 1\r\nDELE 2\r\n");
    assert_eq!(out, "+OK message 1 deleted\r\n+OK message 2 deleted\r\n");
    h.eof();
    assert!(h.closed);
    assert!(h.commits.is_empty());
    assert_eq!(h.take(), "");

    let (_, mut h) = after_login(config(), "DELE 1\r\n");
    h.session.timed_out();
    h.drive();
    assert!(h.closed && h.commits.is_empty());
    // RFC 1939 §3: autologout sends nothing.
    assert_eq!(h.take(), "");

    let (_, mut h) = after_login(config(), "DELE 1\r\n");
    h.session.shutdown();
    h.drive();
    assert!(h.closed && h.commits.is_empty());
    assert_eq!(h.take(), "-ERR [SYS/TEMP] Server shutting down\r\n");
}

#[test]
fn quit_in_authorization_commits_nothing_and_ignores_the_rest() {
    let mut h = Harness::new(config());
    h.feed(b"QUIT\r\nUSER alice\r\n");
    assert_eq!(h.take(), format!("{GREETING}{BYE}"));
    assert!(h.closed && h.commits.is_empty());
    assert_eq!(h.events, ["flush", "close"]);
}

#[test]
fn failed_commit_reports_sys_temp() {
    let mut h = Harness::new(config());
    h.fail_commit = true;
    h.feed(format!("{LOGIN}DELE 1\r\nQUIT\r\n").as_bytes());
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}{LOGGED_IN}+OK message 1 deleted\r\n-ERR [SYS/TEMP] Some deleted messages were not removed\r\n"
        )
    );
    assert_eq!(h.commits, vec![vec![0]]);
    assert!(h.closed);
}

#[test]
fn quit_with_everything_deleted() {
    let (out, h) = after_login(
        config(),
        "DELE 1\r\nDELE 2\r\nDELE 3\r\nSTAT\r\nLIST\r\nQUIT\r\n",
    );
    assert!(
        out.ends_with(
            "+OK 0 0\r\n+OK 0 messages (0 octets)\r\n.\r\n+OK pop.example.org POP3 server signing off (maildrop empty)\r\n"
        ),
        "{out}"
    );
    assert_eq!(h.commits, vec![vec![0, 1, 2]]);
}

#[test]
fn maildrop_open_failures_have_response_codes_and_allow_another_login() {
    let out = converse(
        config(),
        "USER locked\r\nPASS pw\r\nUSER delay\r\nPASS pw\r\nUSER broken\r\nPASS pw\r\nUSER gone\r\nPASS pw\r\nSTAT\r\nUSER alice\r\nPASS secret\r\nSTAT\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{GREETING}+OK Send your password\r\n-ERR [IN-USE] Maildrop is locked by another session\r\n\
+OK Send your password\r\n-ERR [LOGIN-DELAY] Logged in too recently\r\n\
+OK Send your password\r\n-ERR [SYS/TEMP] Unable to open maildrop, try again later\r\n\
+OK Send your password\r\n-ERR [SYS/PERM] Unable to open maildrop\r\n\
-ERR Not valid before login\r\n{LOGGED_IN}+OK 3 124\r\n"
        )
    );
}

#[test]
fn wrong_password_store_failure_and_too_many_failures() {
    let mut h = Harness::new(config());
    h.feed(b"USER alice\r\nPASS wrong\r\nPASS secret\r\nUSER nobody\r\nPASS secret\r\nUSER alice\r\nPASS x\r\nNOOP\r\n");
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}+OK Send your password\r\n-ERR [AUTH] Authentication failed\r\n\
-ERR No username given\r\n\
+OK Send your password\r\n-ERR [AUTH] Authentication failed\r\n\
+OK Send your password\r\n-ERR [AUTH] Authentication failed\r\n"
        )
    );
    assert!(h.closed);

    let mut h = Harness::new(config());
    h.store_down = true;
    h.feed(LOGIN.as_bytes());
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}+OK Send your password\r\n-ERR [SYS/TEMP] Temporary authentication failure\r\n"
        )
    );
    assert!(!h.closed);
}

#[test]
fn pass_keeps_spaces_and_a_long_password() {
    let mut h = Harness::new(config());
    let long = "p ".repeat(100);
    h.store.add_plaintext("spacey", &long);
    h.store.add_plaintext("x", " lead and trail ");
    h.feed(format!("USER spacey\r\nPASS {long}\r\nQUIT\r\n").as_bytes());
    assert!(h.take().contains("+OK Logged in"));
    let mut h = Harness::new(config());
    h.store.add_plaintext("x", " lead and trail ");
    h.feed(b"USER x \r\nPASS  lead and trail \r\n");
    assert!(
        h.take()
            .ends_with("+OK Logged in, 3 messages (124 octets)\r\n")
    );
}

#[test]
fn plaintext_logins_need_tls_by_default() {
    let mut config = ServerConfig::new("pop.example.org");
    config.stls = true;
    config.auth_mechanisms = vec![
        sasl::Mechanism::ScramSha256,
        sasl::Mechanism::CramMd5,
        sasl::Mechanism::Plain,
        sasl::Mechanism::Login,
    ];
    let mut h = Harness::with(config, None, Some(TIMESTAMP));
    h.feed(b"CAPA\r\nUSER alice\r\nPASS secret\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH\r\nSTLS\r\nUSER ignored\r\n");
    let out = h.take();
    assert_eq!(
        out,
        format!(
            "+OK pop.example.org POP3 server ready {TIMESTAMP}\r\n\
+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUTF8\r\nSTLS\r\nSASL SCRAM-SHA-256 CRAM-MD5\r\n.\r\n\
-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections\r\n\
-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections\r\n\
-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections\r\n\
-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections\r\n\
+OK Supported SASL mechanisms follow\r\nSCRAM-SHA-256\r\nCRAM-MD5\r\n.\r\n\
+OK Begin TLS negotiation now\r\n"
        )
    );
    assert_eq!(h.events.last().map(String::as_str), Some("starttls"));
    assert!(h.session.is_tls());
    // The USER pipelined after STLS was discarded; CAPA is re-offered.
    h.feed(b"CAPA\r\nSTLS\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert_eq!(
        h.take(),
        "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUTF8 USER\r\nUSER\r\nSASL SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN\r\n.\r\n\
-ERR TLS is already active\r\n\
+OK Logged in, 3 messages (124 octets)\r\n"
    );
}

#[test]
fn implicit_tls_allows_plaintext_logins_and_offers_no_stls() {
    let mut config = ServerConfig::new("pop.example.org");
    config.stls = true;
    let mut h = Harness::with(config, Some(TlsInfo::default()), None);
    h.feed(format!("CAPA\r\nSTLS\r\n{LOGIN}").as_bytes());
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUTF8 USER\r\nUSER\r\n.\r\n-ERR TLS is already active\r\n{LOGGED_IN}"
        )
    );
}

#[test]
fn stls_not_configured_or_after_login() {
    let (out, _) = after_login(
        config(),
        "STLS\r\nUSER x\r\nPASS y\r\nAPOP a 0123456789abcdef0123456789abcdef\r\nAUTH PLAIN\r\nUTF8\r\n",
    );
    let late = "-ERR Not valid after login\r\n";
    assert_eq!(out, late.repeat(6));
    let out = converse(config(), "STLS\r\n");
    assert_eq!(out, format!("{GREETING}-ERR Command not available\r\n"));
}

#[test]
fn capa_in_both_states_with_every_capability() {
    let mut config = config();
    config.expire = Some(Expire {
        days: Some(30),
        per_user: true,
    });
    config.login_delay = Some(LoginDelay {
        seconds: 900,
        per_user: false,
    });
    config.implementation = Some("Mailwright".to_string());
    config.stls = true;
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    config.pipelining = false;
    let mut h = Harness::new(config);
    h.feed(format!("CAPA\r\n{LOGIN}CAPA\r\n").as_bytes());
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nEXPIRE 30 USER\r\nLOGIN-DELAY 900\r\nUTF8 USER\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\nIMPLEMENTATION Mailwright\r\n.\r\n\
{LOGGED_IN}+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nEXPIRE 30\r\nLOGIN-DELAY 900\r\nUTF8\r\nIMPLEMENTATION Mailwright\r\n.\r\n"
        )
    );
}

#[test]
fn rfc5034_auth_plain_with_and_without_initial_response() {
    let mut config = config();
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    let mut h = Harness::new(config.clone());
    h.store.add_plaintext("test", "test");
    h.feed(b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n");
    assert_eq!(
        h.take(),
        format!("{GREETING}+OK Logged in, 3 messages (124 octets)\r\n")
    );
    assert_eq!(h.session.identity().unwrap().authorization_id(), "test");

    let mut h = Harness::new(config.clone());
    h.store.add_plaintext("test", "test");
    h.feed(b"AUTH PLAIN\r\n");
    assert_eq!(h.take(), format!("{GREETING}+ \r\n"));
    h.feed(b"dGVzdAB0ZXN0AHRlc3Q=\r\n");
    assert_eq!(h.take(), "+OK Logged in, 3 messages (124 octets)\r\n");

    // Cancelled, malformed, wrong, unknown mechanism, empty initial response.
    let out = converse(
        config,
        "AUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n!!!\r\nAUTH PLAIN AGFsaWNlAHdyb25n\r\nAUTH KERBEROS_V4\r\nAUTH PLAIN =\r\nAUTH plain *\r\n",
    );
    assert_eq!(
        out,
        format!(
            "{GREETING}+ \r\n-ERR Authentication cancelled\r\n+ \r\n-ERR Invalid authentication response\r\n\
-ERR [AUTH] Authentication failed\r\n-ERR Unsupported authentication mechanism\r\n\
-ERR Invalid authentication response\r\n-ERR Authentication cancelled\r\n"
        )
    );
}

#[test]
fn rfc2195_cram_md5_through_auth() {
    let mut config = config();
    config.auth_mechanisms = vec![sasl::Mechanism::CramMd5];
    config.sasl.fixed_nonce = Some("<1896.697170952@postoffice.reston.mci.net>".to_string());
    let mut h = Harness::new(config);
    h.feed(b"AUTH CRAM-MD5\r\n");
    assert_eq!(
        h.take(),
        format!("{GREETING}+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n")
    );
    h.feed(b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n");
    assert_eq!(h.take(), "+OK Logged in, 3 messages (124 octets)\r\n");
    assert_eq!(h.events, ["lookup", "open tim"]);
}

#[test]
fn scram_sha256_through_auth() {
    let mut config = config();
    config.auth_mechanisms = vec![sasl::Mechanism::ScramSha256];
    let mut h = Harness::new(config);
    h.drive();
    let mut client = sasl::ClientSession::new(
        sasl::Mechanism::ScramSha256,
        sasl::ClientConfig::password("tim", "tanstaaftanstaaf"),
    )
    .unwrap();
    let initial = client.initial_response().unwrap();
    h.take();
    h.feed(
        format!(
            "AUTH SCRAM-SHA-256 {}\r\n",
            sasl::line::encode_initial_response(&initial)
        )
        .as_bytes(),
    );
    loop {
        let out = h.take();
        if out.starts_with("+OK") {
            assert_eq!(out, "+OK Logged in, 3 messages (124 octets)\r\n");
            break;
        }
        let challenge = pop3_proto::response::parse_challenge(out.as_bytes())
            .expect("a challenge")
            .unwrap();
        let response = client.step(&challenge).unwrap_or_default();
        h.feed(format!("{}\r\n", sasl::line::encode_response(&response)).as_bytes());
    }
}

#[test]
fn long_auth_initial_responses_are_accepted_unless_strict() {
    let mut config = config();
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    use base64::Engine;
    let user = "a".repeat(300);
    let ir = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0secret"));
    let mut h = Harness::new(config.clone());
    h.store.add_plaintext(user.clone(), "secret");
    h.feed(format!("AUTH PLAIN {ir}\r\n").as_bytes());
    assert!(
        h.take()
            .ends_with("+OK Logged in, 3 messages (124 octets)\r\n")
    );

    config.limits = CommandLimits::RFC2449;
    let out = converse(
        config,
        &format!(
            "AUTH PLAIN {ir}\r\nUSER {}\r\nUSER {}\r\n",
            "b".repeat(41),
            "c".repeat(40)
        ),
    );
    assert_eq!(
        out,
        format!(
            "{GREETING}-ERR Line too long\r\n-ERR Argument too long\r\n+OK Send your password\r\n"
        )
    );
}

#[test]
fn auth_response_line_too_long() {
    let mut config = config();
    config.auth_mechanisms = vec![sasl::Mechanism::Plain];
    config.limits = CommandLimits::new(64, 40);
    let mut h = Harness::new(config);
    h.feed_in(
        format!("AUTH PLAIN\r\n{}\r\nNOOP\r\n", "A".repeat(500)).as_bytes(),
        9,
    );
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}+ \r\n-ERR Authentication response too long\r\n-ERR Not valid before login\r\n"
        )
    );
}

#[test]
fn bare_auth_lists_mechanisms() {
    let mut config = config();
    let out = converse(config.clone(), "AUTH\r\n");
    assert_eq!(
        out,
        format!("{GREETING}+OK Supported SASL mechanisms follow\r\n.\r\n")
    );
    config.auth_mechanisms = vec![
        sasl::Mechanism::Plain,
        sasl::Mechanism::Login,
        sasl::Mechanism::External,
    ];
    let out = converse(config, "AUTH\r\nAUTH EXTERNAL =\r\n");
    assert_eq!(
        out,
        format!(
            "{GREETING}+OK Supported SASL mechanisms follow\r\nPLAIN\r\nLOGIN\r\n.\r\n-ERR Unsupported authentication mechanism\r\n"
        )
    );
}

#[test]
fn unknown_malformed_and_wrong_state_commands() {
    let mut h = Harness::new(config());
    h.feed(b"FOO\r\n\r\n   \r\nSTAT\r\nNOOP\r\nSTAT x\r\nUSER\r\nPASS\r\nUSER bad\x01name\r\nUSER \xff\xfe\r\nCAPA x\r\n");
    let out = h.take();
    assert_eq!(
        out,
        format!(
            "{GREETING}-ERR Unknown command\r\n-ERR Unknown command\r\n-ERR Unknown command\r\n\
-ERR Not valid before login\r\n-ERR Not valid before login\r\n-ERR Syntax error in arguments\r\n\
-ERR Syntax error in arguments\r\n-ERR Syntax error in arguments\r\n-ERR Syntax error in arguments\r\n\
-ERR [UTF8] Argument is not valid UTF-8\r\n-ERR Syntax error in arguments\r\n"
        )
    );
}

#[test]
fn too_many_bad_commands_close_the_connection() {
    let mut config = config();
    config.max_errors = 3;
    let mut h = Harness::new(config);
    h.feed(b"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n");
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}-ERR Unknown command\r\n-ERR Unknown command\r\n-ERR Unknown command\r\n-ERR Too many bad commands, closing connection\r\n"
        )
    );
    assert!(h.closed);
    assert!(h.commits.is_empty());
}

#[test]
fn over_long_line_is_answered_once_and_the_session_goes_on() {
    let mut config = config();
    config.limits = CommandLimits::new(64, 40);
    let mut h = Harness::new(config);
    h.feed_in(
        format!("NOOP {}\r\nQUIT\r\n", "x".repeat(500)).as_bytes(),
        7,
    );
    assert_eq!(h.take(), format!("{GREETING}-ERR Line too long\r\n{BYE}"));
}

#[test]
fn commands_split_anywhere_and_keywords_in_any_case() {
    let input = "user alice\r\npass secret\r\nstat\r\nLiSt 1\r\nretr 2\r\nquit\r\n";
    for piece in [1, 2, 3, 5, 11] {
        let mut h = Harness::new(config());
        h.feed_in(input.as_bytes(), piece);
        assert_eq!(
            h.take(),
            format!(
                "{GREETING}{LOGGED_IN}+OK 3 124\r\n+OK 1 62\r\n+OK 22 octets\r\n{MSG2}+OK pop.example.org POP3 server signing off (3 messages left)\r\n"
            )
        );
    }
}

#[test]
fn bare_lf_commands_are_accepted() {
    let out = converse(config(), "USER alice\nPASS secret\nSTAT\n");
    assert_eq!(out, format!("{GREETING}{LOGGED_IN}+OK 3 124\r\n"));
}

#[test]
fn utf8_command_and_utf8_user_names() {
    let (out, _) = after_login(config(), "UTF8\r\n");
    assert_eq!(out, "-ERR Not valid after login\r\n");
    let mut h = Harness::new(config());
    h.feed("UTF8\r\nUSER jörg\r\nPASS pässword\r\n".as_bytes());
    assert_eq!(
        h.take(),
        format!("{GREETING}+OK UTF8 enabled\r\n{LOGGED_IN}")
    );
    assert!(h.session.utf8_enabled());
    let mut config = config();
    config.utf8 = false;
    let out = converse(config, "UTF8\r\nCAPA\r\n");
    assert_eq!(
        out,
        format!(
            "{GREETING}-ERR Command not available\r\n+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\n.\r\n"
        )
    );
}

#[test]
fn unreadable_message() {
    let mut h = Harness::new(config());
    h.unreadable = vec![1];
    h.feed(format!("{LOGIN}RETR 2\r\nTOP 2 1\r\nRETR 1\r\n").as_bytes());
    assert_eq!(
        h.take(),
        format!(
            "{GREETING}{LOGGED_IN}-ERR [SYS/TEMP] Unable to read message\r\n-ERR [SYS/TEMP] Unable to read message\r\n+OK 62 octets\r\n{MSG1}"
        )
    );
}

#[test]
fn body_failure_closes_without_commit() {
    let mut h = Harness::new(config());
    h.feed(format!("{LOGIN}DELE 2\r\n").as_bytes());
    h.take();
    h.session.receive(b"RETR 1\r\nQUIT\r\n");
    assert_eq!(
        h.session.poll(),
        Some(Event::Retrieve {
            index: 0,
            top_lines: None
        })
    );
    h.session.retrieve_ready().unwrap();
    assert_eq!(h.session.poll(), None);
    assert!(!h.session.wants_input());
    assert_eq!(&h.session.take_output()[..], b"+OK 62 octets\r\n");
    h.session.body_failed().unwrap();
    assert_eq!(h.session.poll(), Some(Event::Close));
    assert_eq!(h.session.poll(), None);
    assert!(h.session.is_closed());
}

#[test]
fn pipelined_commands_wait_for_answers_in_order() {
    let mut session = ServerSession::new(Arc::new(config()), None, None);
    session.take_output();
    session.receive(b"USER alice\r\nPASS secret\r\nLIST\r\nRETR 1\r\nNOOP\r\n");
    assert!(matches!(session.poll(), Some(Event::AuthLookup(_))));
    assert!(!session.wants_input());
    // Nothing happens until the answer comes.
    assert_eq!(session.poll(), None);
    assert_eq!(
        session.maildrop_opened(Vec::new()),
        Err(SessionError::NotWaiting)
    );
    assert_eq!(session.retrieve_ready(), Err(SessionError::NotWaiting));
    assert_eq!(session.commit_done(), Err(SessionError::NotWaiting));
    assert_eq!(session.body_done(), Err(SessionError::NotWaiting));
    assert_eq!(
        session.tls_started(TlsInfo::default()),
        Err(SessionError::NotWaiting)
    );
    session.auth_answer(sasl::Answer::Verified(true)).unwrap();
    assert_eq!(
        session.auth_answer(sasl::Answer::Verified(true)),
        Err(SessionError::NotWaiting)
    );
    let Some(Event::OpenMaildrop(_)) = session.poll() else {
        panic!("no open")
    };
    session
        .maildrop_opened(vec![MessageInfo::new(5, UniqueId::new("x").unwrap())])
        .unwrap();
    assert_eq!(
        session.poll(),
        Some(Event::Retrieve {
            index: 0,
            top_lines: None
        })
    );
    assert_eq!(
        &session.take_output()[..],
        b"+OK Send your password\r\n+OK Logged in, 1 messages (5 octets)\r\n+OK 1 messages (5 octets)\r\n1 5\r\n.\r\n"
    );
    session.retrieve_ready().unwrap();
    assert_eq!(&session.take_output()[..], b"+OK 5 octets\r\n");
    session.body_done().unwrap();
    assert_eq!(session.poll(), None);
    assert!(session.wants_input());
    assert_eq!(&session.take_output()[..], b"+OK\r\n");
}

#[test]
fn long_listings_are_written_in_flushed_pieces() {
    let mut config = config();
    config.flush_threshold = 64;
    let mut session = ServerSession::new(Arc::new(config), None, None);
    session.take_output();
    session.receive(b"USER alice\r\nPASS secret\r\nUIDL\r\nLIST\r\nSTAT\r\n");
    assert!(matches!(session.poll(), Some(Event::AuthLookup(_))));
    session.auth_answer(sasl::Answer::Verified(true)).unwrap();
    assert!(matches!(session.poll(), Some(Event::OpenMaildrop(_))));
    let messages: Vec<MessageInfo> = (0..1000)
        .map(|i| MessageInfo::new(i, UniqueId::new(&format!("id{i}")).unwrap()))
        .collect();
    session.maildrop_opened(messages).unwrap();
    let mut all = Vec::new();
    let mut flushes = 0;
    while let Some(event) = session.poll() {
        assert_eq!(event, Event::Flush);
        let out = session.take_output();
        // The threshold, one line, and the responses before the listing.
        assert!(out.len() < 64 + 64, "{} bytes queued", out.len());
        all.extend_from_slice(&out);
        flushes += 1;
    }
    all.extend_from_slice(&session.take_output());
    assert!(flushes > 100);
    let text = String::from_utf8(all).unwrap();
    assert!(text.starts_with("+OK Send your password\r\n"));
    assert!(text.contains("+OK Unique-ID listing follows\r\n1 id0\r\n2 id1\r\n"));
    assert!(text.contains("1000 id999\r\n.\r\n+OK 1000 messages (499500 octets)\r\n1 0\r\n"));
    assert!(text.ends_with("1000 999\r\n.\r\n+OK 1000 499500\r\n"));
}

#[test]
fn refused_connection() {
    let mut session = ServerSession::refuse(
        Arc::new(config()),
        &Response::err(Some(pop3_proto::RespCode::SysTemp), "Too many connections"),
    );
    assert_eq!(session.poll(), Some(Event::Flush));
    assert_eq!(
        &session.take_output()[..],
        b"-ERR [SYS/TEMP] Too many connections\r\n"
    );
    assert_eq!(session.poll(), Some(Event::Close));
    session.receive(b"USER x\r\n");
    assert_eq!(session.poll(), None);
    assert!(session.take_output().is_empty());
}

#[test]
fn identity_is_forgotten_when_the_maildrop_cannot_open() {
    let mut h = Harness::new(config());
    h.feed(b"USER locked\r\nPASS pw\r\n");
    assert!(h.session.identity().is_none());
    assert!(!h.session.in_transaction());
    h.feed(LOGIN.as_bytes());
    assert_eq!(h.session.identity().unwrap().authorization_id(), "alice");
    assert!(h.session.in_transaction());
}

#[test]
fn default_config_follows_the_rfcs() {
    let config = ServerConfig::default();
    assert_eq!(config.idle_timeout, std::time::Duration::from_secs(600));
    assert!(config.require_tls_for_auth);
    assert!(!config.stls);
    assert_eq!(config.limits, CommandLimits::default());
}

#[test]
fn nothing_follows_close_even_with_a_tiny_flush_threshold() {
    let mut config = config();
    config.flush_threshold = 1;
    config.max_errors = 1;
    for input in ["QUIT\r\nNOOP\r\n", "FOO\r\nNOOP\r\n"] {
        let mut h = Harness::new(config.clone());
        h.feed(input.as_bytes());
        assert_eq!(
            h.events.last().map(String::as_str),
            Some("close"),
            "{input:?}"
        );
        assert_eq!(h.events.iter().filter(|e| *e == "close").count(), 1);
    }
}
