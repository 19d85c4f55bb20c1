#![cfg(feature = "interop")]
//! Interoperability with GNU SASL's `gsasl` tool (Debian package `gsasl`,
//! 2.2.0): our client against `gsasl --server` and `gsasl --client` against
//! our server, over gsasl's stdin/stdout line protocol (see `gsasl/mod.rs`),
//! for PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256.
//!
//! Run with `cargo test -p mailwright-sasl --features interop --test gsasl_interop`.
//! A missing gsasl fails these tests; they never skip.

mod gsasl;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gsasl::{
    ClientOutcome, ServerOutcome, run_once, run_our_client, run_our_client_with_cb, run_our_server,
    run_our_server_with_cb,
};
use sasl::memory::MemoryStore;
use sasl::{
    AuthError, ChannelBinding, ClientConfig, ClientError, ClientSession, CredentialStore,
    Mechanism, PasswordHash, Scheme, ScramCredentials, ScramHash, ServerConfig, ServerSession,
};

const USER: &str = "user";
const PASSWORD: &str = "pencil";

/// What gsasl says on stderr when its server refuses credentials
/// (`GSASL_AUTHENTICATION_ERROR`).
const GSASL_REFUSED: &str = "mechanism error: Error authenticating user";

/// What gsasl says when SASLprep refuses a string (or, built without
/// libidn, on any non-ASCII string).
const GSASL_SASLPREP_FAILED: &str = "Could not prepare internationalized (non-ASCII) string";

const SCRAM: [Mechanism; 2] = [Mechanism::ScramSha1, Mechanism::ScramSha256];

fn client(mechanism: Mechanism, config: ClientConfig) -> ClientSession {
    ClientSession::new(mechanism, config).expect("client configuration")
}

fn store() -> MemoryStore {
    let mut store = MemoryStore::new();
    store.add_plaintext(USER, PASSWORD);
    store
}

fn password_arg(password: &str) -> String {
    format!("--password={password}")
}

/// gsasl client arguments for `user` with `password`.
fn login_args(user: &str, password: &str) -> Vec<String> {
    vec![
        format!("--authentication-id={user}"),
        password_arg(password),
    ]
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8 message")
}

// ---------------------------------------------------------------------------
// Our client against `gsasl --server`.
// ---------------------------------------------------------------------------

fn our_client_succeeds(mechanism: Mechanism) -> gsasl::ClientRun {
    let run = run_our_client(
        client(mechanism, ClientConfig::password(USER, PASSWORD)),
        &[&password_arg(PASSWORD)],
    );
    run.assert_authenticated();
    run
}

#[test]
fn our_plain_client_against_gsasl_server() {
    let run = our_client_succeeds(Mechanism::Plain);
    // gsasl's server opens with an empty challenge; we answer with the
    // whole PLAIN message.
    assert_eq!(run.received.first().map(Vec::as_slice), Some(&b""[..]));
    assert_eq!(run.sent, [b"\0user\0pencil".to_vec()]);
}

#[test]
fn our_login_client_against_gsasl_server() {
    let run = our_client_succeeds(Mechanism::Login);
    // gsasl's prompts are "User Name" and "Password" (not "Username:").
    assert_eq!(
        run.received[..2],
        [b"User Name".to_vec(), b"Password".to_vec()]
    );
    assert_eq!(run.sent, [b"user".to_vec(), b"pencil".to_vec()]);
}

#[test]
fn our_cram_md5_client_against_gsasl_server() {
    let run = our_client_succeeds(Mechanism::CramMd5);
    let challenge = text(&run.received[0]);
    assert!(
        challenge.starts_with('<') && challenge.ends_with('>'),
        "{challenge}"
    );
    let response = text(&run.sent[0]);
    let (user, digest) = response.split_once(' ').expect("user SP digest");
    assert_eq!(user, USER);
    assert_eq!(digest.len(), 32, "{response}");
}

#[test]
fn our_scram_clients_against_gsasl_server() {
    for mechanism in SCRAM {
        let run = our_client_succeeds(mechanism);
        // Empty challenge, server-first, then server-final `v=`, which our
        // client verified in `step` and answered with an empty response.
        assert_eq!(run.received.len(), 3, "{mechanism}: {:?}", run.received);
        assert!(text(&run.received[1]).contains(",i=4096"), "{mechanism}");
        assert!(text(&run.received[2]).starts_with("v="), "{mechanism}");
        assert!(
            text(&run.sent[0]).starts_with("n,,n=user,r="),
            "{mechanism}"
        );
        assert_eq!(run.sent.last().map(Vec::as_slice), Some(&b""[..]));
    }
}

#[test]
fn our_scram_client_takes_gsasl_salt_and_iteration_count() {
    let salt = STANDARD.encode(b"gsasl interop salt");
    let run = run_our_client(
        client(
            Mechanism::ScramSha256,
            ClientConfig::password(USER, PASSWORD),
        ),
        &[
            &password_arg(PASSWORD),
            "--iteration-count=10000",
            &format!("--salt={salt}"),
        ],
    );
    run.assert_authenticated();
    let server_first = text(&run.received[1]);
    assert!(
        server_first.ends_with(&format!(",s={salt},i=10000")),
        "{server_first}"
    );
}

#[test]
fn our_scram_client_refuses_an_excessive_iteration_count_from_gsasl() {
    // Above MAX_SCRAM_ITERATIONS our client gives up before deriving keys.
    let run = run_our_client(
        client(
            Mechanism::ScramSha256,
            ClientConfig::password(USER, PASSWORD),
        ),
        &[&password_arg(PASSWORD), "--iteration-count=20000000"],
    );
    assert!(
        matches!(
            run.outcome,
            ClientOutcome::ClientError(ClientError::IterationCount)
        ),
        "{:?}\n{}",
        run.outcome,
        run.gsasl.describe()
    );
    assert!(text(&run.received[1]).ends_with(",i=20000000"));
}

#[test]
fn our_clients_with_wrong_password_are_refused_by_gsasl() {
    for mechanism in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let run = run_our_client(
            client(mechanism, ClientConfig::password(USER, "pencil2")),
            &[&password_arg(PASSWORD)],
        );
        run.assert_refused(GSASL_REFUSED);
    }
}

#[test]
fn our_clients_send_an_authzid_gsasl_accepts() {
    // gsasl's server takes the authorization identity without an
    // authorization check of its own; the CLI cannot show it, so this checks
    // that gsasl parses our messages (for SCRAM also the GS2 header inside
    // the channel-binding proof).
    for mechanism in [
        Mechanism::Plain,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let run = run_our_client(
            client(
                mechanism,
                ClientConfig::password(USER, PASSWORD).with_authzid("admin"),
            ),
            &[&password_arg(PASSWORD)],
        );
        run.assert_authenticated();
        let first = &run.sent[0];
        if mechanism == Mechanism::Plain {
            assert_eq!(first, b"admin\0user\0pencil");
        } else {
            assert!(
                text(first).starts_with("n,a=admin,n=user,r="),
                "{mechanism}"
            );
        }
    }
}

#[test]
fn our_scram_client_escapes_names_as_gsasl_expects() {
    for mechanism in SCRAM {
        let run = run_our_client(
            client(
                mechanism,
                ClientConfig::password("us,er=1", PASSWORD).with_authzid("ad=min,2"),
            ),
            &[&password_arg(PASSWORD)],
        );
        run.assert_authenticated();
        assert!(
            text(&run.sent[0]).starts_with("n,a=ad=3Dmin=2C2,n=us=2Cer=3D1,r="),
            "{}",
            text(&run.sent[0])
        );
    }
}

// ---------------------------------------------------------------------------
// `gsasl --client` against our server.
// ---------------------------------------------------------------------------

fn gsasl_client_against(
    mechanism: Mechanism,
    config: ServerConfig,
    store: &impl CredentialStore,
    args: &[String],
    client_first: bool,
) -> gsasl::ServerRun {
    run_our_server(
        ServerSession::new(mechanism, config),
        store,
        &strs(args),
        client_first,
    )
}

fn gsasl_client_succeeds(mechanism: Mechanism, client_first: bool) -> gsasl::ServerRun {
    let run = gsasl_client_against(
        mechanism,
        ServerConfig::default(),
        &store(),
        &login_args(USER, PASSWORD),
        client_first,
    );
    let success = run.assert_authenticated();
    assert_eq!(success.identity.authentication_id, USER);
    assert_eq!(success.identity.authorization_id(), USER);
    assert_eq!(success.additional_data, None);
    run
}

#[test]
fn gsasl_plain_client_against_our_server() {
    // With an initial response (SASL-IR), and answering our empty challenge.
    for client_first in [true, false] {
        let run = gsasl_client_succeeds(Mechanism::Plain, client_first);
        assert_eq!(run.received[0], b"\0user\0pencil");
    }
}

#[test]
fn gsasl_login_client_against_our_server() {
    // Waiting for our "Username:" prompt, and (client_first) sending the
    // user name unasked, which our server takes as the initial response.
    for client_first in [false, true] {
        let run = gsasl_client_succeeds(Mechanism::Login, client_first);
        assert_eq!(run.received[..2], [b"user".to_vec(), b"pencil".to_vec()]);
    }
}

#[test]
fn gsasl_cram_md5_client_against_our_server() {
    // client_first: gsasl sends an empty first message, which our server
    // reads as no initial response for a server-first mechanism.
    for client_first in [false, true] {
        gsasl_client_succeeds(Mechanism::CramMd5, client_first);
    }
}

#[test]
fn gsasl_scram_clients_against_our_server() {
    for mechanism in SCRAM {
        for client_first in [true, false] {
            let run = gsasl_client_succeeds(mechanism, client_first);
            // client-first, client-final, and the empty answer to our `v=`
            // challenge (ServerConfig::success_data is off).
            let sent: Vec<&str> = run.received.iter().map(|m| text(m)).collect();
            assert_eq!(sent.len(), 3, "{mechanism}: {sent:?}");
            assert!(sent[0].starts_with("n,,n=user,r="), "{sent:?}");
            assert!(sent[1].starts_with("c=biws,r="), "{sent:?}");
            assert_eq!(sent[2], "", "{mechanism}");
        }
    }
}

#[test]
fn gsasl_scram_clients_take_our_signature_as_success_data() {
    let config = ServerConfig {
        success_data: true,
        ..ServerConfig::default()
    };
    for mechanism in SCRAM {
        let run = gsasl_client_against(
            mechanism,
            config.clone(),
            &store(),
            &login_args(USER, PASSWORD),
            true,
        );
        let success = run.assert_authenticated();
        let data = success
            .additional_data
            .as_deref()
            .expect("v= as success data");
        assert!(text(data).starts_with("v="), "{mechanism}");
        // gsasl verified `v=` (exit 0) and answered it with nothing.
        assert_eq!(run.received.last().map(Vec::as_slice), Some(&b""[..]));
    }
}

#[test]
fn gsasl_clients_with_wrong_password_fail_on_our_server() {
    for mechanism in [
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::CramMd5,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let client_first = mechanism.client_first();
        let run = gsasl_client_against(
            mechanism,
            ServerConfig::default(),
            &store(),
            &login_args(USER, "pencil2"),
            client_first,
        );
        run.assert_failed(AuthError::AuthenticationFailed);
    }
}

#[test]
fn gsasl_clients_for_unknown_users_fail_on_our_server() {
    for mechanism in [Mechanism::Plain, Mechanism::CramMd5, Mechanism::ScramSha256] {
        let run = gsasl_client_against(
            mechanism,
            ServerConfig::default(),
            &store(),
            &login_args("nobody", PASSWORD),
            mechanism.client_first(),
        );
        run.assert_failed(AuthError::AuthenticationFailed);
    }
}

#[test]
fn gsasl_clients_with_authzid_on_our_server() {
    let mut granted = store();
    granted.allow_proxy(USER, "admin");
    let mut args = login_args(USER, PASSWORD);
    args.push("--authorization-id=admin".into());
    for mechanism in [
        Mechanism::Plain,
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
    ] {
        let run = gsasl_client_against(mechanism, ServerConfig::default(), &granted, &args, true);
        let success = run.assert_authenticated();
        assert_eq!(success.identity.authentication_id, USER, "{mechanism}");
        assert_eq!(success.identity.authorization_id(), "admin", "{mechanism}");

        // Without the grant our server refuses after checking the password.
        let run = gsasl_client_against(mechanism, ServerConfig::default(), &store(), &args, true);
        run.assert_failed(AuthError::AuthorizationFailed);
    }
}

#[test]
fn gsasl_scram_client_names_are_unescaped_by_our_server() {
    let mut store = MemoryStore::new();
    store.add_plaintext("us,er=1", PASSWORD);
    store.allow_proxy("us,er=1", "ad=min,2");
    let mut args = login_args("us,er=1", PASSWORD);
    args.push("--authorization-id=ad=min,2".into());
    for mechanism in SCRAM {
        let run = gsasl_client_against(mechanism, ServerConfig::default(), &store, &args, true);
        let success = run.assert_authenticated();
        assert!(text(&run.received[0]).starts_with("n,a=ad=3Dmin=2C2,n=us=2Cer=3D1,r="));
        assert_eq!(success.identity.authentication_id, "us,er=1");
        assert_eq!(success.identity.authorization_id(), "ad=min,2");
    }
}

// ---------------------------------------------------------------------------
// SCRAM on stored keys only (no plaintext): keys made by `gsasl --mkpasswd`
// and by `PasswordHash::generate`.
// ---------------------------------------------------------------------------

fn scram_hash(mechanism: Mechanism) -> ScramHash {
    match mechanism {
        Mechanism::ScramSha1 => ScramHash::Sha1,
        Mechanism::ScramSha256 => ScramHash::Sha256,
        other => panic!("{other} is not SCRAM"),
    }
}

fn scram_scheme(mechanism: Mechanism) -> Scheme {
    match mechanism {
        Mechanism::ScramSha1 => Scheme::ScramSha1,
        Mechanism::ScramSha256 => Scheme::ScramSha256,
        other => panic!("{other} is not SCRAM"),
    }
}

/// `gsasl --mkpasswd`'s line, `{MECH}iterations,salt,StoredKey,ServerKey`
/// (Dovecot's format), or gsasl's exit when it refuses the password.
fn gsasl_mkpasswd(
    mechanism: Mechanism,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<String, gsasl::Exit> {
    let exit = run_once(&[
        "--mkpasswd",
        &format!("--mechanism={}", mechanism.name()),
        &password_arg(password),
        &format!("--salt={}", STANDARD.encode(salt)),
        &format!("--iteration-count={iterations}"),
    ]);
    if !exit.success() {
        return Err(exit);
    }
    match exit.stdout.as_slice() {
        [line] => Ok(line.clone()),
        _ => panic!("one line of output expected\n{}", exit.describe()),
    }
}

/// The four fields of a `gsasl --mkpasswd` line, read independently of our
/// password module.
fn parse_mkpasswd(mechanism: Mechanism, line: &str) -> ScramCredentials {
    let prefix = format!("{{{}}}", mechanism.name());
    let fields: Vec<&str> = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{line:?} should start with {prefix}"))
        .split(',')
        .collect();
    let [count, salt, stored, server] = fields[..] else {
        panic!("four fields expected: {line:?}");
    };
    let decode = |field: &str| STANDARD.decode(field).expect("base64 field");
    ScramCredentials {
        hash: scram_hash(mechanism),
        iterations: count.parse().expect("iteration count"),
        salt: decode(salt),
        stored_key: decode(stored),
        server_key: decode(server),
    }
}

fn mkpasswd_or_panic(mechanism: Mechanism, password: &str, salt: &[u8]) -> String {
    gsasl_mkpasswd(mechanism, password, salt, 4096)
        .unwrap_or_else(|exit| panic!("gsasl --mkpasswd failed\n{}", exit.describe()))
}

#[test]
fn our_key_derivation_matches_gsasl_mkpasswd() {
    let salt = b"0123456789ab";
    for mechanism in SCRAM {
        for password in [PASSWORD, "pen cil,=x", "p\u{e4}ssw\u{f6}rd", "I\u{ad}X"] {
            let line = mkpasswd_or_panic(mechanism, password, salt);
            let theirs = parse_mkpasswd(mechanism, &line);
            let ours =
                ScramCredentials::derive(scram_hash(mechanism), password.as_bytes(), salt, 4096);
            assert_eq!(ours, theirs, "{mechanism} {password:?}");
            // Our password module reads gsasl's line as Dovecot's format.
            let stored =
                PasswordHash::parse(&line).unwrap_or_else(|error| panic!("{line:?}: {error}"));
            assert_eq!(stored.scheme(), scram_scheme(mechanism));
            assert_eq!(
                stored.scram_credentials(scram_hash(mechanism)),
                Some(theirs),
                "{line:?}"
            );
            assert!(stored.verify(password.as_bytes()), "{line:?}");
            assert!(!stored.verify(b"pencil2"), "{line:?}");
        }
    }
}

/// Runs gsasl's SCRAM client against our server with only `stored` for
/// [`USER`]: the right password succeeds (with and without an initial
/// response), a wrong one fails.
fn gsasl_scram_against_stored(mechanism: Mechanism, stored: PasswordHash) {
    assert!(stored.plaintext().is_none(), "stored keys, not a plaintext");
    let mut store = MemoryStore::new();
    store.add_user(USER, stored);
    for client_first in [true, false] {
        let run = gsasl_client_against(
            mechanism,
            ServerConfig::default(),
            &store,
            &login_args(USER, PASSWORD),
            client_first,
        );
        let success = run.assert_authenticated();
        assert_eq!(success.identity.authentication_id, USER);
    }
    let run = gsasl_client_against(
        mechanism,
        ServerConfig::default(),
        &store,
        &login_args(USER, "pencil2"),
        true,
    );
    run.assert_failed(AuthError::AuthenticationFailed);
}

#[test]
fn gsasl_scram_clients_against_our_server_on_gsasl_stored_keys() {
    for mechanism in SCRAM {
        let line = mkpasswd_or_panic(mechanism, PASSWORD, b"stored-key salt");
        let stored = PasswordHash::parse(&line).unwrap_or_else(|error| panic!("{line}: {error}"));
        gsasl_scram_against_stored(mechanism, stored);
    }
}

#[test]
fn gsasl_scram_clients_against_our_server_on_generated_keys() {
    for mechanism in SCRAM {
        let stored = PasswordHash::generate(scram_scheme(mechanism), PASSWORD.as_bytes())
            .expect("generate SCRAM keys");
        gsasl_scram_against_stored(mechanism, stored);
    }
}

#[test]
fn gsasl_clients_against_our_server_on_scram_keys_only() {
    // PLAIN and LOGIN verify against SCRAM keys; CRAM-MD5 needs a plaintext
    // the store does not have, so it fails like a wrong password.
    let stored = PasswordHash::generate(Scheme::ScramSha256, PASSWORD.as_bytes())
        .expect("generate SCRAM keys");
    let mut store = MemoryStore::new();
    store.add_user(USER, stored);
    let args = login_args(USER, PASSWORD);
    for mechanism in [Mechanism::Plain, Mechanism::Login] {
        let run = gsasl_client_against(
            mechanism,
            ServerConfig::default(),
            &store,
            &args,
            mechanism.client_first(),
        );
        run.assert_authenticated();
    }
    let run = gsasl_client_against(
        Mechanism::CramMd5,
        ServerConfig::default(),
        &store,
        &args,
        false,
    );
    run.assert_failed(AuthError::AuthenticationFailed);
}

// ---------------------------------------------------------------------------
// SASLprep (RFC 4013) of SCRAM passwords.
// ---------------------------------------------------------------------------

/// Whether this gsasl SASLpreps passwords (built with libidn): soft hyphen
/// is mapped to nothing, so `I<SHY>X` must derive the same keys as `IX`.
/// Without libidn gsasl refuses every non-ASCII password instead.
fn gsasl_has_saslprep() -> bool {
    let salt = b"saslprep probe";
    let plain = mkpasswd_or_panic(Mechanism::ScramSha256, "IX", salt);
    match gsasl_mkpasswd(Mechanism::ScramSha256, "I\u{ad}X", salt, 4096) {
        Ok(line) => {
            assert_eq!(
                line, plain,
                "gsasl accepted a non-ASCII password without SASLprep"
            );
            true
        }
        Err(exit) => {
            assert!(
                exit.stderr.contains(GSASL_SASLPREP_FAILED),
                "{}",
                exit.describe()
            );
            false
        }
    }
}

/// Pairs of passwords SASLprep makes equal: (what one side types, what the
/// other side has).
const SASLPREP_PAIRS: [(&str, &str); 4] = [
    // Soft hyphen is mapped to nothing (RFC 4013 §3 example).
    ("I\u{ad}X", "IX"),
    // ROMAN NUMERAL NINE is NFKC-normalised to "IX".
    ("\u{2168}", "IX"),
    // Decomposed and precomposed a-umlaut.
    ("pa\u{308}ssword", "p\u{e4}ssword"),
    // NO-BREAK SPACE is mapped to SPACE.
    ("pen\u{a0}cil", "pen cil"),
];

#[test]
fn saslprep_our_scram_client_against_gsasl_server() {
    let saslprep = gsasl_has_saslprep();
    for mechanism in SCRAM {
        for (typed, stored) in SASLPREP_PAIRS {
            for (ours, theirs) in [(typed, stored), (stored, typed)] {
                let run = run_our_client(
                    client(mechanism, ClientConfig::password(USER, ours)),
                    &[&password_arg(theirs)],
                );
                if saslprep {
                    run.assert_authenticated();
                } else {
                    run.assert_refused(GSASL_SASLPREP_FAILED);
                }
            }
        }
    }
}

#[test]
fn saslprep_gsasl_scram_client_against_our_server() {
    let saslprep = gsasl_has_saslprep();
    for mechanism in SCRAM {
        for (typed, stored) in SASLPREP_PAIRS {
            for (theirs, ours) in [(typed, stored), (stored, typed)] {
                let mut store = MemoryStore::new();
                store.add_plaintext(USER, ours);
                let run = gsasl_client_against(
                    mechanism,
                    ServerConfig::default(),
                    &store,
                    &login_args(USER, theirs),
                    true,
                );
                if saslprep {
                    run.assert_authenticated();
                } else {
                    assert!(
                        matches!(run.outcome, ServerOutcome::ClientQuit)
                            && run.gsasl.stderr.contains(GSASL_SASLPREP_FAILED),
                        "{:?}\n{}",
                        run.outcome,
                        run.gsasl.describe()
                    );
                }
            }
        }
    }
}

#[test]
fn unassigned_code_points_are_refused_by_gsasl() {
    // gsasl 2.2.0 passes STRINGPREP_NO_UNASSIGNED when asked to *allow*
    // unassigned code points, so U+0221 (unassigned in Unicode 3.2) makes it
    // refuse the password outright; our client falls back to the raw bytes.
    // No interoperable exchange is possible: assert that it fails cleanly.
    let password = "a\u{221}b";
    let run = run_our_client(
        client(
            Mechanism::ScramSha256,
            ClientConfig::password(USER, password),
        ),
        &[&password_arg(password)],
    );
    run.assert_refused(GSASL_SASLPREP_FAILED);

    let mut store = MemoryStore::new();
    store.add_plaintext(USER, password);
    let run = gsasl_client_against(
        Mechanism::ScramSha256,
        ServerConfig::default(),
        &store,
        &login_args(USER, password),
        true,
    );
    assert!(
        matches!(run.outcome, ServerOutcome::ClientQuit)
            && run.gsasl.stderr.contains(GSASL_SASLPREP_FAILED),
        "{:?}\n{}",
        run.outcome,
        run.gsasl.describe()
    );
}

// ---------------------------------------------------------------------------
// Channel binding: gsasl reads `tls-exporter` data from stdin when neither
// `--no-cb` nor `--hostname` is given.
// ---------------------------------------------------------------------------

const PLUS: [Mechanism; 2] = [Mechanism::ScramSha1Plus, Mechanism::ScramSha256Plus];

const EXPORTER: [u8; 32] = [0x5a; 32];
const OTHER_EXPORTER: [u8; 32] = [0xa5; 32];

fn bound_server(mechanism: Mechanism, data: &[u8]) -> ServerSession {
    let config = ServerConfig {
        channel_bindings: vec![ChannelBinding::tls_exporter(data.to_vec())],
        ..ServerConfig::default()
    };
    ServerSession::new(mechanism, config)
}

#[test]
fn gsasl_scram_plus_clients_against_our_server() {
    let args = login_args(USER, PASSWORD);
    for mechanism in PLUS {
        let run = run_our_server_with_cb(
            bound_server(mechanism, &EXPORTER),
            &store(),
            &strs(&args),
            true,
            Some(&EXPORTER),
        );
        run.assert_authenticated();
        assert!(text(&run.received[0]).starts_with("p=tls-exporter,,n=user,r="));

        // Different channels: our server detects the mismatch.
        let run = run_our_server_with_cb(
            bound_server(mechanism, &OTHER_EXPORTER),
            &store(),
            &strs(&args),
            true,
            Some(&EXPORTER),
        );
        run.assert_failed(AuthError::ChannelBinding);
    }
}

#[test]
fn our_scram_plus_clients_against_gsasl_server() {
    for mechanism in PLUS {
        for (server_data, accepted) in [(EXPORTER, true), (OTHER_EXPORTER, false)] {
            let config = ClientConfig::password(USER, PASSWORD)
                .with_channel_binding(ChannelBinding::tls_exporter(EXPORTER.to_vec()));
            let run = run_our_client_with_cb(
                client(mechanism, config),
                &[&password_arg(PASSWORD)],
                Some(&server_data),
            );
            assert!(text(&run.sent[0]).starts_with("p=tls-exporter,,n=user,r="));
            if accepted {
                run.assert_authenticated();
            } else {
                run.assert_refused(GSASL_REFUSED);
            }
        }
    }
}

#[test]
fn gsasl_client_cannot_send_the_y_flag() {
    // gsasl 2.2.0's client, given channel-binding data for plain SCRAM,
    // sets flag `y` *and* a channel-binding name, which its own validator
    // (lib/scram/validate.c) rejects: it fails before sending anything. So
    // our server's handling of `y` cannot be exercised with gsasl's client
    // (the sans-IO transcript tests cover it).
    let args = login_args(USER, PASSWORD);
    for mechanism in SCRAM {
        let run = run_our_server_with_cb(
            ServerSession::new(mechanism, ServerConfig::default()),
            &store(),
            &strs(&args),
            true,
            Some(&EXPORTER),
        );
        assert!(
            matches!(run.outcome, ServerOutcome::ClientQuit)
                && run.received.is_empty()
                && run.gsasl.stderr.contains(GSASL_REFUSED),
            "{:?}\n{}",
            run.outcome,
            run.gsasl.describe()
        );
    }
}

#[test]
fn downgrade_flag_y_between_our_client_and_gsasl_server() {
    for mechanism in SCRAM {
        let config = ClientConfig::password(USER, PASSWORD)
            .with_channel_binding(ChannelBinding::tls_exporter(EXPORTER.to_vec()));
        // gsasl's server without channel bindings accepts `y`.
        let run = run_our_client(
            client(mechanism, config.clone()),
            &[&password_arg(PASSWORD)],
        );
        run.assert_authenticated();
        assert!(text(&run.sent[0]).starts_with("y,,n=user,r="));
        // With channel-binding data it refuses `y` as a downgrade.
        let run = run_our_client_with_cb(
            client(mechanism, config),
            &[&password_arg(PASSWORD)],
            Some(&EXPORTER),
        );
        run.assert_refused(GSASL_REFUSED);
    }
}

#[test]
fn scram_non_ascii_user_names_both_ways() {
    // A name SASLprep leaves unchanged (NFC, nothing mapped) works both
    // ways. (gsasl's client SASLpreps `n=`; ours sends the name as given.)
    let user = "j\u{fc}rgen";
    for mechanism in SCRAM {
        let run = run_our_client(
            client(mechanism, ClientConfig::password(user, PASSWORD)),
            &[&password_arg(PASSWORD)],
        );
        run.assert_authenticated();

        let mut store = MemoryStore::new();
        store.add_plaintext(user, PASSWORD);
        let run = gsasl_client_against(
            mechanism,
            ServerConfig::default(),
            &store,
            &login_args(user, PASSWORD),
            true,
        );
        let success = run.assert_authenticated();
        assert_eq!(success.identity.authentication_id, user);
        assert!(text(&run.received[0]).starts_with(&format!("n,,n={user},r=")));
    }
}
