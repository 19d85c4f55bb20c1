//! The published example exchanges of RFC 4616, 2195, 5802, 7677, 7628 and
//! 4505, byte for byte, on both the client and the server side.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Outcome, drive};
use sasl::memory::MemoryStore;
use sasl::{
    AuthError, ClientConfig, ClientError, ClientSession, Mechanism, ScramCredentials, ScramHash,
    ServerConfig, ServerSession, ServerStep,
};

fn block<F: std::future::Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

fn expect_success(step: ServerStep) -> sasl::Success {
    match step {
        ServerStep::Success(success) => success,
        other => panic!("expected success, got {other:?}"),
    }
}

fn expect_challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(challenge) => challenge,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

#[test]
fn rfc4616_plain_examples() {
    let mut store = MemoryStore::new();
    store.add_plaintext("tim", "tanstaaftanstaaf");
    store.add_plaintext("Kurt", "xipj3plmq");
    store.allow_proxy("Kurt", "Ursel");

    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    let done = expect_success(block(
        server.start_with(Some(b"\0tim\0tanstaaftanstaaf"), &store),
    ));
    assert_eq!(done.identity.authentication_id, "tim");
    assert_eq!(done.identity.authorization_id(), "tim");

    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    let done = expect_success(block(
        server.start_with(Some(b"Ursel\0Kurt\0xipj3plmq"), &store),
    ));
    assert_eq!(done.identity.authentication_id, "Kurt");
    assert_eq!(done.identity.authorization_id(), "Ursel");

    // The same authzid without the grant is refused.
    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    assert_eq!(
        block(server.start_with(Some(b"Ursel\0tim\0tanstaaftanstaaf"), &store)),
        ServerStep::Failure(AuthError::AuthorizationFailed)
    );

    let mut client = ClientSession::new(
        Mechanism::Plain,
        ClientConfig::password("Kurt", "xipj3plmq").with_authzid("Ursel"),
    )
    .unwrap();
    assert_eq!(
        client.initial_response().unwrap(),
        b"Ursel\0Kurt\0xipj3plmq"
    );
}

#[test]
fn rfc2195_cram_md5_example() {
    let challenge = "<1896.697170952@postoffice.reston.mci.net>";
    let mut store = MemoryStore::new();
    store.add_plaintext("tim", "tanstaaftanstaaf");
    let config = ServerConfig {
        fixed_nonce: Some(challenge.into()),
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(Mechanism::CramMd5, config);
    let sent = expect_challenge(server.start(None));
    assert_eq!(
        STANDARD.encode(&sent),
        "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    );

    let mut client = ClientSession::new(
        Mechanism::CramMd5,
        ClientConfig::password("tim", "tanstaaftanstaaf"),
    )
    .unwrap();
    assert_eq!(client.initial_response(), None);
    let response = client.step(&sent).unwrap();
    assert_eq!(response, b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(
        STANDARD.encode(&response),
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    );
    let done = expect_success(block(server.step_with(&response, &store)));
    assert_eq!(done.identity.authentication_id, "tim");
    client.finish(None).unwrap();
}

struct ScramVector {
    mechanism: Mechanism,
    hash: ScramHash,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    client_first: &'static str,
    server_first: &'static str,
    client_final: &'static str,
    server_final: &'static str,
}

const RFC5802: ScramVector = ScramVector {
    mechanism: Mechanism::ScramSha1,
    hash: ScramHash::Sha1,
    client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
    server_nonce: "3rfcNHYJY1ZVvWVs7j",
    salt: "QSXCR+Q6sek8bf92",
    client_first: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    server_first: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    client_final: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    server_final: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

const RFC7677: ScramVector = ScramVector {
    mechanism: Mechanism::ScramSha256,
    hash: ScramHash::Sha256,
    client_nonce: "rOprNGfwEbeRWgbNEkqO",
    server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    client_first: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    client_final: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    server_final: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

/// A store holding only SCRAM keys derived with the vector's salt: the
/// server side runs without ever seeing "pencil".
struct ScramOnlyStore(ScramCredentials);

#[async_trait::async_trait]
impl sasl::CredentialStore for ScramOnlyStore {
    async fn password(&self, _user: &str) -> Result<Option<sasl::PasswordHash>, sasl::StoreError> {
        Ok(None)
    }

    async fn scram_credentials(
        &self,
        user: &str,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, sasl::StoreError> {
        Ok((user == "user" && hash == self.0.hash).then(|| self.0.clone()))
    }
}

fn check_scram_vector(vector: &ScramVector) {
    let salt = STANDARD.decode(vector.salt).unwrap();
    let store = ScramOnlyStore(ScramCredentials::derive(
        vector.hash,
        b"pencil",
        &salt,
        4096,
    ));

    // Client side.
    let mut config = ClientConfig::password("user", "pencil");
    config.fixed_nonce = Some(vector.client_nonce.into());
    let mut client = ClientSession::new(vector.mechanism, config).unwrap();
    assert_eq!(
        client.initial_response().unwrap(),
        vector.client_first.as_bytes()
    );
    assert_eq!(
        client.step(vector.server_first.as_bytes()).unwrap(),
        vector.client_final.as_bytes()
    );
    assert_eq!(client.step(vector.server_final.as_bytes()).unwrap(), b"");
    client.finish(None).unwrap();

    // Server side, signature sent as a final challenge (SMTP, POP3, IMAP4rev1).
    let config = ServerConfig {
        fixed_nonce: Some(vector.server_nonce.into()),
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(vector.mechanism, config.clone());
    let first = expect_challenge(block(
        server.start_with(Some(vector.client_first.as_bytes()), &store),
    ));
    assert_eq!(first, vector.server_first.as_bytes());
    let last = expect_challenge(block(
        server.step_with(vector.client_final.as_bytes(), &store),
    ));
    assert_eq!(last, vector.server_final.as_bytes());
    let done = expect_success(block(server.step_with(b"", &store)));
    assert_eq!(done.identity.authentication_id, "user");
    assert_eq!(done.additional_data, None);

    // Server side, signature carried with the success reply.
    let mut server = ServerSession::new(
        vector.mechanism,
        ServerConfig {
            success_data: true,
            ..config
        },
    );
    expect_challenge(block(
        server.start_with(Some(vector.client_first.as_bytes()), &store),
    ));
    let done = expect_success(block(
        server.step_with(vector.client_final.as_bytes(), &store),
    ));
    assert_eq!(
        done.additional_data.as_deref(),
        Some(vector.server_final.as_bytes())
    );

    // A client told a wrong signature refuses the server.
    let mut config = ClientConfig::password("user", "pencil");
    config.fixed_nonce = Some(vector.client_nonce.into());
    let mut client = ClientSession::new(vector.mechanism, config).unwrap();
    client.initial_response();
    client.step(vector.server_first.as_bytes()).unwrap();
    assert_eq!(
        client.finish(Some(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
        Err(ClientError::ServerNotAuthenticated)
    );
}

#[test]
fn rfc5802_scram_sha1_example() {
    check_scram_vector(&RFC5802);
}

#[test]
fn rfc7677_scram_sha256_example() {
    check_scram_vector(&RFC7677);
}

#[test]
fn rfc7628_oauthbearer_success_example() {
    // Section 4.1, as the IMAP client sends it.
    let wire = "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
    let token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
    let mut client = ClientSession::new(
        Mechanism::OAuthBearer,
        ClientConfig::token("user@example.com", token).with_host("server.example.com", 143),
    )
    .unwrap();
    assert_eq!(STANDARD.encode(client.initial_response().unwrap()), wire);

    let mut store = MemoryStore::new();
    store.add_token(token, "user@example.com");
    let mut server = ServerSession::new(Mechanism::OAuthBearer, ServerConfig::default());
    let message = STANDARD.decode(wire).unwrap();
    let done = expect_success(block(server.start_with(Some(&message), &store)));
    assert_eq!(done.identity.authorization_id(), "user@example.com");
    client.finish(None).unwrap();
}

#[test]
fn rfc7628_oauthbearer_failure_example() {
    // Section 4.3: the server answers with a JSON error, the client sends ^A.
    let error = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";
    let mut client = ClientSession::new(
        Mechanism::OAuthBearer,
        ClientConfig::token(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        )
        .with_host("server.example.com", 143),
    )
    .unwrap();
    let first = client.initial_response().unwrap();
    let ack = client.step(&STANDARD.decode(error).unwrap()).unwrap();
    assert_eq!(STANDARD.encode(&ack), "AQ==");
    assert_eq!(
        client.finish(None),
        Err(ClientError::ServerError("invalid_token".into()))
    );

    // Our server refuses an unknown token the same way.
    let store = MemoryStore::new();
    let config = ServerConfig {
        openid_configuration: Some("https://example.com/.well-known/openid-configuration".into()),
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(Mechanism::OAuthBearer, config);
    let challenge = expect_challenge(block(server.start_with(Some(&first), &store)));
    assert_eq!(
        challenge,
        br#"{"status":"invalid_token","schemes":"bearer","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
    );
    assert_eq!(
        block(server.step_with(&ack, &store)),
        ServerStep::Failure(AuthError::AuthenticationFailed)
    );
}

#[test]
fn rfc4505_anonymous_example() {
    // Section 4: the trace "sirhc", sent after an empty challenge.
    let store = MemoryStore::new();
    let config = ServerConfig {
        allow_anonymous: true,
        ..ServerConfig::default()
    };
    let mut server = ServerSession::new(Mechanism::Anonymous, config);
    assert_eq!(expect_challenge(server.start(None)), b"");
    let done = expect_success(block(
        server.step_with(&STANDARD.decode("c2lyaGM=").unwrap(), &store),
    ));
    assert_eq!(done.identity.trace.as_deref(), Some("sirhc"));
    assert_eq!(done.identity.authentication_id, "anonymous");

    let mut client = ClientSession::new(
        Mechanism::Anonymous,
        ClientConfig::anonymous(Some("sirhc".into())),
    )
    .unwrap();
    assert_eq!(client.step(b"").unwrap(), b"sirhc");

    // Not allowed unless configured.
    let mut server = ServerSession::new(Mechanism::Anonymous, ServerConfig::default());
    assert_eq!(
        block(server.start_with(Some(b"sirhc"), &store)),
        ServerStep::Failure(AuthError::Unavailable)
    );
}

#[test]
fn every_mechanism_round_trips_through_drive() {
    let mut store = MemoryStore::new();
    store.add_plaintext("tim", "tanstaaftanstaaf");
    store.add_token("tok", "tim");
    store.add_external("CN=tim", "tim");
    let cb = sasl::ChannelBinding::tls_exporter(vec![9; 32]);
    for mechanism in Mechanism::ALL {
        let config = match mechanism {
            Mechanism::OAuthBearer | Mechanism::XOAuth2 => ClientConfig::token("tim", "tok"),
            Mechanism::External => ClientConfig::external(None),
            Mechanism::Anonymous => ClientConfig::anonymous(None),
            mech if mech.is_plus() => {
                ClientConfig::password("tim", "tanstaaftanstaaf").with_channel_binding(cb.clone())
            }
            _ => ClientConfig::password("tim", "tanstaaftanstaaf"),
        };
        let server_config = ServerConfig {
            channel_bindings: vec![cb.clone()],
            external_identity: Some("CN=tim".into()),
            allow_anonymous: true,
            ..ServerConfig::default()
        };
        for initial in [true, false] {
            let mut client = ClientSession::new(mechanism, config.clone()).unwrap();
            let mut server = ServerSession::new(mechanism, server_config.clone());
            let (outcome, transcript) = drive(&mut client, &mut server, &store, initial);
            assert!(
                matches!(outcome, Outcome::Success(_)),
                "{mechanism}: {outcome:?} {transcript:?}"
            );
        }
    }
}

#[test]
fn scram_downgrade_and_binding_mismatch_are_refused() {
    let mut store = MemoryStore::new();
    store.add_plaintext("tim", "tanstaaftanstaaf");
    let ours = sasl::ChannelBinding::tls_exporter(vec![1; 32]);
    let theirs = sasl::ChannelBinding::tls_exporter(vec![2; 32]);
    let server_config = ServerConfig {
        channel_bindings: vec![ours.clone()],
        ..ServerConfig::default()
    };
    let password = ClientConfig::password("tim", "tanstaaftanstaaf");

    // The client could bind but was shown no -PLUS: someone stripped it.
    let mut client = ClientSession::new(
        Mechanism::ScramSha256,
        password.clone().with_channel_binding(ours.clone()),
    )
    .unwrap();
    let mut server = ServerSession::new(Mechanism::ScramSha256, server_config.clone());
    let (outcome, _) = drive(&mut client, &mut server, &store, true);
    assert!(
        matches!(outcome, Outcome::ServerFailure(AuthError::ChannelBinding)),
        "{outcome:?}"
    );

    // A man in the middle terminates TLS: the client's binding data differ.
    let mut client = ClientSession::new(
        Mechanism::ScramSha256Plus,
        password.clone().with_channel_binding(theirs),
    )
    .unwrap();
    let mut server = ServerSession::new(Mechanism::ScramSha256Plus, server_config.clone());
    let (outcome, _) = drive(&mut client, &mut server, &store, true);
    assert!(
        matches!(outcome, Outcome::ServerFailure(AuthError::ChannelBinding)),
        "{outcome:?}"
    );

    // -PLUS without binding data cannot even start on the client.
    assert_eq!(
        ClientSession::new(Mechanism::ScramSha1Plus, password).unwrap_err(),
        ClientError::MissingCredentials("channel-binding data")
    );
}

#[test]
fn scram_client_saslpreps_the_user_name() {
    // RFC 5802 §5.1; RFC 4013 maps the soft hyphen to nothing.
    let mut config = ClientConfig::password("I\u{AD}X", "pencil");
    config.fixed_nonce = Some("n0nce".into());
    let mut client = ClientSession::new(Mechanism::ScramSha256, config).unwrap();
    assert_eq!(client.initial_response().unwrap(), b"n,,n=IX,r=n0nce");
}

#[test]
fn scram_client_keeps_a_user_name_saslprep_maps_to_nothing() {
    // U+FE00 (a variation selector) is mapped to nothing by RFC 4013; an
    // empty `n=` would be malformed, so the name goes unprepared.
    let mut config = ClientConfig::password("\u{FE00}", "pencil");
    config.fixed_nonce = Some("n0nce".into());
    let mut client = ClientSession::new(Mechanism::ScramSha1, config).unwrap();
    assert_eq!(
        client.initial_response().unwrap(),
        "n,,n=\u{FE00},r=n0nce".as_bytes()
    );
}
