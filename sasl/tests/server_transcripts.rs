//! Exact transcripts of every server mechanism's steps and error paths,
//! driven by hand through the sans-IO interface (no store, no runtime):
//! each look-up the server asks is checked and answered explicitly.

use sasl::{
    Answer, AuthError, ChannelBinding, CredentialRequest, Mechanism, ScramCredentials, ScramHash,
    Secret, ServerConfig, ServerSession, ServerStep,
};

fn server(mechanism: Mechanism) -> ServerSession {
    ServerSession::new(mechanism, ServerConfig::default())
}

fn fail(error: AuthError) -> ServerStep {
    ServerStep::Failure(error)
}

fn challenge(bytes: &[u8]) -> ServerStep {
    ServerStep::Challenge(bytes.to_vec())
}

fn verify(user: &str, password: &str) -> ServerStep {
    ServerStep::Lookup(CredentialRequest::VerifyPassword {
        user: user.into(),
        password: Secret::from(password),
    })
}

fn success_as(step: ServerStep, authentication: &str, authorization: &str) {
    match step {
        ServerStep::Success(done) => {
            assert_eq!(done.identity.authentication_id, authentication);
            assert_eq!(done.identity.authorization_id(), authorization);
        }
        other => panic!("expected success, got {other:?}"),
    }
}

#[test]
fn plain_transcripts() {
    let mut s = server(Mechanism::Plain);
    assert_eq!(s.start(Some(b"\0tim\0secret")), verify("tim", "secret"));
    success_as(s.resume(Answer::Verified(true)), "tim", "tim");
    assert!(s.is_done());
    assert_eq!(s.step(b"more"), fail(AuthError::UnexpectedStep));

    let mut s = server(Mechanism::Plain);
    assert_eq!(s.start(Some(b"\0tim\0wrong")), verify("tim", "wrong"));
    assert_eq!(
        s.resume(Answer::Verified(false)),
        fail(AuthError::AuthenticationFailed)
    );

    // No initial response: an empty challenge, then the message.
    let mut s = server(Mechanism::Plain);
    assert_eq!(s.start(None), challenge(b""));
    assert_eq!(s.step(b"tim\0tim\0secret"), verify("tim", "secret"));
    success_as(s.resume(Answer::Verified(true)), "tim", "tim");

    // An authzid equal to the user needs no grant.
    let mut s = server(Mechanism::Plain);
    s.start(Some(b"tim\0tim\0secret"));
    success_as(s.resume(Answer::Verified(true)), "tim", "tim");

    // A different authzid is asked about after the password checks out.
    let mut s = server(Mechanism::Plain);
    s.start(Some(b"admin\0tim\0secret"));
    assert_eq!(
        s.resume(Answer::Verified(true)),
        ServerStep::Lookup(CredentialRequest::Authorize {
            user: "tim".into(),
            authzid: "admin".into()
        })
    );
    success_as(s.resume(Answer::Verified(true)), "tim", "admin");

    let mut s = server(Mechanism::Plain);
    s.start(Some(b"admin\0tim\0secret"));
    s.resume(Answer::Verified(true));
    assert_eq!(
        s.resume(Answer::Verified(false)),
        fail(AuthError::AuthorizationFailed)
    );

    for bad in [
        &b""[..],
        b"\0tim",
        b"\0tim\0pw\0",
        b"\0\0pw",
        b"\0tim\0",
        b"\0t\xffm\0pw",
    ] {
        let mut s = server(Mechanism::Plain);
        assert!(
            matches!(
                s.start(Some(bad)),
                ServerStep::Failure(AuthError::Malformed(_))
            ),
            "{bad:?}"
        );
    }

    let mut s = server(Mechanism::Plain);
    s.start(Some(b"\0tim\0secret"));
    assert_eq!(s.resume(Answer::Unavailable), fail(AuthError::Temporary));
}

#[test]
fn login_transcripts() {
    let mut s = server(Mechanism::Login);
    assert_eq!(s.start(None), challenge(b"Username:"));
    assert_eq!(s.step(b"tim"), challenge(b"Password:"));
    assert_eq!(s.step(b"secret"), verify("tim", "secret"));
    success_as(s.resume(Answer::Verified(true)), "tim", "tim");

    // The user name as initial response, as Outlook and Postfix's client send it.
    let mut s = server(Mechanism::Login);
    assert_eq!(s.start(Some(b"tim")), challenge(b"Password:"));
    assert_eq!(s.step(b"secret"), verify("tim", "secret"));
    assert_eq!(
        s.resume(Answer::Verified(false)),
        fail(AuthError::AuthenticationFailed)
    );

    // `AUTH LOGIN =` (empty initial response) is the same as none.
    let mut s = server(Mechanism::Login);
    assert_eq!(s.start(Some(b"")), challenge(b"Username:"));

    let mut s = server(Mechanism::Login);
    s.start(None);
    assert!(matches!(
        s.step(b""),
        ServerStep::Failure(AuthError::Malformed(_))
    ));

    let mut s = server(Mechanism::Login);
    s.start(None);
    s.step(b"tim");
    assert!(matches!(
        s.step(b""),
        ServerStep::Failure(AuthError::Malformed(_))
    ));

    let mut s = server(Mechanism::Login);
    s.start(None);
    assert_eq!(s.cancel(), fail(AuthError::Cancelled));
    assert_eq!(s.step(b"tim"), fail(AuthError::UnexpectedStep));
}

#[test]
fn cram_md5_transcripts() {
    let config = ServerConfig {
        fixed_nonce: Some("<1.2@host>".into()),
        ..ServerConfig::default()
    };
    let mut s = ServerSession::new(Mechanism::CramMd5, config.clone());
    assert_eq!(s.start(None), challenge(b"<1.2@host>"));
    let digest = "f1bb7c22a6feca2a9c2e6c8e5a3bd5e9";
    assert_eq!(
        s.step(format!("tim {digest}").as_bytes()),
        ServerStep::Lookup(CredentialRequest::PlaintextPassword { user: "tim".into() })
    );
    // The store keeps only a hash: no plaintext, same failure as a wrong password.
    assert_eq!(
        s.resume(Answer::Plaintext(None)),
        fail(AuthError::AuthenticationFailed)
    );

    // A user name containing spaces: the digest is the last word.
    let mut s = ServerSession::new(Mechanism::CramMd5, config.clone());
    s.start(None);
    assert_eq!(
        s.step(format!("tim smith {digest}").as_bytes()),
        ServerStep::Lookup(CredentialRequest::PlaintextPassword {
            user: "tim smith".into()
        })
    );

    let mut s = ServerSession::new(Mechanism::CramMd5, config.clone());
    assert!(matches!(
        s.start(Some(b"tim")),
        ServerStep::Failure(AuthError::Malformed(_))
    ));

    for bad in [
        &b"tim"[..],
        b"tim 1234",
        b" f1bb7c22a6feca2a9c2e6c8e5a3bd5e9",
        b"tim zzbb7c22a6feca2a9c2e6c8e5a3bd5e9",
    ] {
        let mut s = ServerSession::new(Mechanism::CramMd5, config.clone());
        s.start(None);
        assert!(
            matches!(s.step(bad), ServerStep::Failure(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }

    // A random challenge looks like RFC 2195's: <digits.digits@hostname>.
    let mut s = ServerSession::new(Mechanism::CramMd5, ServerConfig::default());
    let ServerStep::Challenge(random) = s.start(None) else {
        panic!()
    };
    let text = String::from_utf8(random).unwrap();
    assert!(
        text.starts_with('<') && text.ends_with("@localhost>"),
        "{text}"
    );
}

fn scram_creds() -> ScramCredentials {
    ScramCredentials::derive(ScramHash::Sha256, b"pencil", b"0123456789abcdef", 16)
}

#[test]
fn scram_transcripts() {
    let config = ServerConfig {
        fixed_nonce: Some("SERVER".into()),
        ..ServerConfig::default()
    };
    let mut s = ServerSession::new(Mechanism::ScramSha256, config.clone());
    assert_eq!(
        s.start(Some(b"n,,n=user,r=CLIENT")),
        ServerStep::Lookup(CredentialRequest::ScramCredentials {
            user: "user".into(),
            hash: ScramHash::Sha256
        })
    );
    assert_eq!(
        s.resume(Answer::Scram(Some(scram_creds()))),
        challenge(b"r=CLIENTSERVER,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=16")
    );
    // A client-final with a wrong proof of the right length.
    let proof = base64_of(&[0u8; 32]);
    assert_eq!(
        s.step(format!("c=biws,r=CLIENTSERVER,p={proof}").as_bytes()),
        fail(AuthError::AuthenticationFailed)
    );

    // Grammar errors in client-first.
    for bad in [
        &b"n,,r=CLIENT,n=user"[..],
        b"n,,n=user",
        b"n,,n=user,r=",
        b"n,,n=us=er,r=x",
        b"n,,m=ext,n=user,r=x",
        b"x,,n=user,r=x",
        b"n,,n=,r=x",
        b"p=tls-exporter,,n=user,r=x",
    ] {
        let mut s = ServerSession::new(Mechanism::ScramSha256, config.clone());
        assert!(
            matches!(
                s.start(Some(bad)),
                ServerStep::Failure(AuthError::Malformed(_))
            ),
            "{bad:?}"
        );
    }

    // Grammar errors in client-final.
    for bad in [
        &b"c=biws,r=CLIENTSERVER"[..],
        b"r=CLIENTSERVER,c=biws,p=AAAA",
        b"c=biws,r=OTHER,p=AAAA",
        b"c=!!!,r=CLIENTSERVER,p=AAAA",
        b"c=biws,r=CLIENTSERVER,p=AAAA",
    ] {
        let mut s = ServerSession::new(Mechanism::ScramSha256, config.clone());
        s.start(Some(b"n,,n=user,r=CLIENT"));
        s.resume(Answer::Scram(Some(scram_creds())));
        assert!(
            matches!(s.step(bad), ServerStep::Failure(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }

    // The GS2 header must be echoed exactly in c=.
    let mut s = ServerSession::new(Mechanism::ScramSha256, config.clone());
    s.start(Some(b"n,a=admin,n=user,r=CLIENT"));
    s.resume(Answer::Scram(Some(scram_creds())));
    assert_eq!(
        s.step(format!("c=biws,r=CLIENTSERVER,p={proof}").as_bytes()),
        fail(AuthError::ChannelBinding)
    );

    // Unknown user: the same server-first shape (salt, count) as a known one.
    let mut s = ServerSession::new(Mechanism::ScramSha256, config.clone());
    s.start(Some(b"n,,n=nobody,r=CLIENT"));
    let ServerStep::Challenge(decoy) = s.resume(Answer::Scram(None)) else {
        panic!()
    };
    let decoy = String::from_utf8(decoy).unwrap();
    assert!(
        decoy.starts_with("r=CLIENTSERVER,s=") && decoy.ends_with(",i=4096"),
        "{decoy}"
    );
    let mut again = ServerSession::new(Mechanism::ScramSha256, config.clone());
    again.start(Some(b"n,,n=nobody,r=CLIENT"));
    assert_eq!(
        again.resume(Answer::Scram(None)),
        challenge(decoy.as_bytes()),
        "decoy salt is stable"
    );

    // Keys for the wrong hash are treated as no keys.
    let mut s = ServerSession::new(Mechanism::ScramSha1, config.clone());
    s.start(Some(b"n,,n=user,r=CLIENT"));
    let ServerStep::Challenge(first) = s.resume(Answer::Scram(Some(scram_creds()))) else {
        panic!()
    };
    assert!(String::from_utf8(first).unwrap().ends_with(",i=4096"));

    // -PLUS: the client must bind, to a type we have.
    let cb = ChannelBinding::tls_exporter(vec![5; 32]);
    let plus = ServerConfig {
        channel_bindings: vec![cb],
        ..config.clone()
    };
    for (message, error) in [
        (&b"n,,n=user,r=x"[..], AuthError::ChannelBinding),
        (b"y,,n=user,r=x", AuthError::ChannelBinding),
        (b"p=tls-unique,,n=user,r=x", AuthError::ChannelBinding),
    ] {
        let mut s = ServerSession::new(Mechanism::ScramSha256Plus, plus.clone());
        assert_eq!(s.start(Some(message)), fail(error), "{message:?}");
    }
    let mut s = ServerSession::new(Mechanism::ScramSha256Plus, plus.clone());
    assert!(matches!(
        s.start(Some(b"p=tls-exporter,,n=user,r=x")),
        ServerStep::Lookup(_)
    ));

    // `y` is fine when we really cannot bind.
    let mut s = ServerSession::new(Mechanism::ScramSha256, config);
    assert!(matches!(
        s.start(Some(b"y,,n=user,r=x")),
        ServerStep::Lookup(_)
    ));
}

#[test]
fn bearer_transcripts() {
    let message = b"n,a=tim,\x01auth=Bearer tok\x01\x01";
    let mut s = server(Mechanism::OAuthBearer);
    assert_eq!(
        s.start(Some(message)),
        ServerStep::Lookup(CredentialRequest::ValidateToken {
            user: Some("tim".into()),
            token: Secret::from("tok")
        })
    );
    success_as(s.resume(Answer::User(Some("tim".into()))), "tim", "tim");

    // A token of another user who names someone else: a grant is needed.
    let mut s = server(Mechanism::OAuthBearer);
    s.start(Some(message));
    assert!(matches!(
        s.resume(Answer::User(Some("ann".into()))),
        ServerStep::Lookup(CredentialRequest::Authorize { .. })
    ));

    // Refused: the JSON error, then the client's ^A, then failure.
    let mut s = server(Mechanism::OAuthBearer);
    s.start(Some(message));
    assert_eq!(
        s.resume(Answer::User(None)),
        challenge(br#"{"status":"invalid_token","schemes":"bearer"}"#)
    );
    assert!(matches!(
        s.step(b"junk"),
        ServerStep::Failure(AuthError::Malformed(_))
    ));

    let mut s = server(Mechanism::XOAuth2);
    assert_eq!(
        s.start(Some(b"user=tim\x01auth=Bearer tok\x01\x01")),
        ServerStep::Lookup(CredentialRequest::ValidateToken {
            user: Some("tim".into()),
            token: Secret::from("tok")
        })
    );
    assert_eq!(
        s.resume(Answer::User(None)),
        challenge(br#"{"status":"400","schemes":"bearer"}"#)
    );
    assert_eq!(s.step(b""), fail(AuthError::AuthenticationFailed));

    for bad in [
        &b"n,,auth=Bearer tok\x01\x01"[..],
        b"n,,\x01auth=Bearer tok\x01",
        b"n,,\x01auth=Basic tok\x01\x01",
        b"p=tls-exporter,,\x01auth=Bearer tok\x01\x01",
        b"n,,\x01host=a\x01\x01",
    ] {
        let mut s = server(Mechanism::OAuthBearer);
        assert!(
            matches!(
                s.start(Some(bad)),
                ServerStep::Failure(AuthError::Malformed(_))
            ),
            "{bad:?}"
        );
    }
    let mut s = server(Mechanism::XOAuth2);
    assert!(matches!(
        s.start(Some(b"user=\x01auth=Bearer t\x01\x01")),
        ServerStep::Failure(AuthError::Malformed(_))
    ));
}

#[test]
fn external_and_anonymous_transcripts() {
    let mut s = server(Mechanism::External);
    assert_eq!(s.start(Some(b"")), fail(AuthError::Unavailable));

    let config = ServerConfig {
        external_identity: Some("CN=tim".into()),
        ..ServerConfig::default()
    };
    let mut s = ServerSession::new(Mechanism::External, config.clone());
    assert_eq!(
        s.start(Some(b"")),
        ServerStep::Lookup(CredentialRequest::MapExternal {
            external: "CN=tim".into(),
            requested: None
        })
    );
    success_as(s.resume(Answer::User(Some("tim".into()))), "tim", "tim");

    let mut s = ServerSession::new(Mechanism::External, config);
    assert_eq!(
        s.start(Some(b"admin")),
        ServerStep::Lookup(CredentialRequest::MapExternal {
            external: "CN=tim".into(),
            requested: Some("admin".into())
        })
    );
    assert_eq!(
        s.resume(Answer::User(None)),
        fail(AuthError::AuthenticationFailed)
    );

    let allow = ServerConfig {
        allow_anonymous: true,
        ..ServerConfig::default()
    };
    let mut s = ServerSession::new(Mechanism::Anonymous, allow.clone());
    success_as(s.start(Some(b"")), "anonymous", "anonymous");
    let mut s = ServerSession::new(Mechanism::Anonymous, allow);
    assert!(matches!(
        s.start(Some("é".repeat(256).as_bytes())),
        ServerStep::Failure(AuthError::Malformed(_))
    ));
}

#[test]
fn session_rules() {
    // Steps out of order.
    let mut s = server(Mechanism::Plain);
    assert_eq!(s.step(b"x"), fail(AuthError::UnexpectedStep));
    let mut s = server(Mechanism::Plain);
    assert_eq!(
        s.resume(Answer::Verified(true)),
        fail(AuthError::UnexpectedStep)
    );
    let mut s = server(Mechanism::Plain);
    s.start(Some(b"\0tim\0pw"));
    assert_eq!(s.step(b"x"), fail(AuthError::UnexpectedStep));
    let mut s = server(Mechanism::Plain);
    s.start(Some(b"\0tim\0pw"));
    assert_eq!(
        s.resume(Answer::User(None)),
        fail(AuthError::UnexpectedStep)
    );
    let mut s = server(Mechanism::Plain);
    s.start(None);
    assert_eq!(s.start(None), fail(AuthError::UnexpectedStep));

    // The size limit applies to the initial response and to every step.
    let small = ServerConfig {
        max_message_len: 8,
        ..ServerConfig::default()
    };
    let mut s = ServerSession::new(Mechanism::Plain, small.clone());
    assert_eq!(s.start(Some(b"\0tim\0password")), fail(AuthError::TooLong));
    let mut s = ServerSession::new(Mechanism::Login, small);
    s.start(None);
    assert_eq!(s.step(b"a-very-long-user"), fail(AuthError::TooLong));

    // SCRAM's signature as a final challenge needs an empty answer.
    let config = ServerConfig {
        fixed_nonce: Some("S".into()),
        ..ServerConfig::default()
    };
    let mut client = sasl::ClientSession::new(Mechanism::ScramSha256, {
        let mut c = sasl::ClientConfig::password("user", "pencil");
        c.fixed_nonce = Some("C".into());
        c
    })
    .unwrap();
    let mut s = ServerSession::new(Mechanism::ScramSha256, config);
    s.start(client.initial_response().as_deref());
    let ServerStep::Challenge(first) = s.resume(Answer::Scram(Some(scram_creds()))) else {
        panic!()
    };
    let last = client.step(&first).unwrap();
    let ServerStep::Challenge(v) = s.step(&last) else {
        panic!()
    };
    assert!(v.starts_with(b"v="));
    assert!(matches!(
        s.step(b"x"),
        ServerStep::Failure(AuthError::Malformed(_))
    ));
}

fn base64_of(bytes: &[u8]) -> String {
    sasl::line::encode_response(bytes)
}

#[test]
fn debug_output_never_shows_secrets() {
    for mechanism in [Mechanism::Plain, Mechanism::XOAuth2, Mechanism::OAuthBearer] {
        let config = match mechanism {
            Mechanism::Plain => sasl::ClientConfig::password("tim", "hunter2"),
            _ => sasl::ClientConfig::token("tim", "hunter2"),
        };
        let client = sasl::ClientSession::new(mechanism, config).unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("104, 117, 110"),
            "{shown}"
        );
    }

    // A random challenge: the challenge and digest together would allow an
    // offline dictionary attack, so neither may show.
    let mut s = ServerSession::new(Mechanism::CramMd5, ServerConfig::default());
    let ServerStep::Challenge(challenge) = s.start(None) else {
        panic!()
    };
    s.step(b"tim f1bb7c22a6feca2a9c2e6c8e5a3bd5e9");
    let shown = format!("{s:?}");
    let challenge = String::from_utf8(challenge).unwrap();
    assert!(
        !shown.contains("f1bb7c") && !shown.contains(&challenge),
        "{shown}"
    );
}

#[test]
fn overlong_passwords_are_refused_without_hashing() {
    use sasl::password::{MAX_PASSWORD_LEN, PasswordError, PasswordHash, Scheme};
    let stored = PasswordHash::generate(Scheme::Sha512Crypt, b"pencil").unwrap();
    assert!(stored.verify(b"pencil"));
    assert!(!stored.verify(&vec![b'a'; MAX_PASSWORD_LEN + 1]));
    assert!(matches!(
        PasswordHash::generate(Scheme::Sha512Crypt, &vec![b'a'; MAX_PASSWORD_LEN + 1]),
        Err(PasswordError::TooLong)
    ));
}
