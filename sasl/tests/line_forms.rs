//! The protocols' base64 line forms: round trips and the special forms.

use proptest::prelude::*;
use sasl::line::{
    ClientLine, decode_challenge, decode_initial_response, decode_response, encode_challenge,
    encode_initial_response, encode_response,
};
use sasl::{AuthError, Mechanism, ServerConfig, ServerSession, ServerStep};

proptest! {
    #[test]
    fn response_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(decode_response(encode_response(&data).as_bytes()), Ok(ClientLine::Data(data.clone())));
        let with_crlf = format!("{}\r\n", encode_response(&data));
        prop_assert_eq!(decode_response(with_crlf.as_bytes()), Ok(ClientLine::Data(data.clone())));
    }

    #[test]
    fn initial_response_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let encoded = encode_initial_response(&data);
        prop_assert!(!encoded.is_empty());
        prop_assert_eq!(decode_initial_response(encoded.as_bytes()), Ok(ClientLine::Data(data)));
    }

    #[test]
    fn challenge_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(decode_challenge(encode_challenge(&data).as_bytes()), Ok(data));
    }

    #[test]
    fn arbitrary_lines_never_panic(line in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_response(&line);
        let _ = decode_initial_response(&line);
        let _ = decode_challenge(&line);
    }
}

#[test]
fn special_forms() {
    assert_eq!(
        decode_initial_response(b"="),
        Ok(ClientLine::Data(Vec::new()))
    );
    assert_eq!(decode_initial_response(b"*"), Ok(ClientLine::Cancel));
    assert_eq!(decode_response(b"*\r\n"), Ok(ClientLine::Cancel));
    assert_eq!(decode_response(b""), Ok(ClientLine::Data(Vec::new())));
    assert_eq!(encode_challenge(b""), "");
    assert!(decode_response(b"not base64!").is_err());
    assert!(
        decode_response(b"=").is_err(),
        "`=` is only the initial-response form"
    );
}

#[test]
fn server_session_reads_line_forms() {
    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    assert!(matches!(
        server.start_line(Some(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm")),
        ServerStep::Lookup(_)
    ));

    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    assert_eq!(
        server.start_line(Some(b"*")),
        ServerStep::Failure(AuthError::Cancelled)
    );

    let mut server = ServerSession::new(Mechanism::Plain, ServerConfig::default());
    assert!(matches!(
        server.start_line(Some(b"=")),
        ServerStep::Failure(AuthError::Malformed(_))
    ));

    let mut server = ServerSession::new(Mechanism::Login, ServerConfig::default());
    assert_eq!(
        server.start_line(None),
        ServerStep::Challenge(b"Username:".to_vec())
    );
    assert_eq!(
        server.step_line(b"dGlt\r\n"),
        ServerStep::Challenge(b"Password:".to_vec())
    );
    assert_eq!(
        server.step_line(b"*"),
        ServerStep::Failure(AuthError::Cancelled)
    );

    let mut server = ServerSession::new(Mechanism::Login, ServerConfig::default());
    server.start_line(None);
    assert!(matches!(
        server.step_line(b"%%%"),
        ServerStep::Failure(AuthError::Malformed(_))
    ));
}
