//! Property tests of the mechanisms: our client and our server agree for
//! arbitrary identities, passwords and tokens; wrong passwords and unknown
//! users fail alike; and arbitrary client bytes never panic a server.
//!
//! SCRAM's 4096 PBKDF2 iterations are slow in debug builds, so most SCRAM
//! cases run against [`FastStore`], which derives keys with
//! [`FAST_ITERATIONS`]; only a few cases use `MemoryStore` and the default.

mod common;

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_harness;

use std::collections::{HashMap, HashSet};

use common::{Outcome, drive};
use fuzz_harness::{Answers, run_exchange};
use proptest::prelude::*;
use sasl::memory::MemoryStore;
use sasl::{
    AuthError, ChannelBinding, ClientConfig, ClientSession, CredentialStore, Mechanism,
    PasswordHash, ScramCredentials, ScramHash, Secret, ServerConfig, ServerSession, ServerStep,
    StoreError, normalize_password,
};

/// Iterations of [`FastStore`]'s SCRAM keys.
const FAST_ITERATIONS: u32 = 64;

/// Password mechanisms.
const PASSWORD_MECHANISMS: [Mechanism; 7] = [
    Mechanism::Plain,
    Mechanism::Login,
    Mechanism::CramMd5,
    Mechanism::ScramSha1,
    Mechanism::ScramSha256,
    Mechanism::ScramSha1Plus,
    Mechanism::ScramSha256Plus,
];

/// Users with plaintext passwords and proxy grants; SCRAM keys are derived
/// with [`FAST_ITERATIONS`] and a salt made of the user name.
#[derive(Debug, Default)]
struct FastStore {
    users: HashMap<String, String>,
    proxies: HashSet<(String, String)>,
}

#[async_trait::async_trait]
impl CredentialStore for FastStore {
    async fn password(&self, user: &str) -> Result<Option<PasswordHash>, StoreError> {
        Ok(self
            .users
            .get(user)
            .map(|password| PasswordHash::plain(password)))
    }

    /// Without the default's decoy Argon2 verification for unknown users
    /// (64 MiB and three passes, slow in a debug build).
    async fn verify_password(&self, user: &str, password: &Secret) -> Result<bool, StoreError> {
        Ok(self
            .users
            .get(user)
            .is_some_and(|known| known.as_bytes() == password.as_bytes()))
    }

    async fn scram_credentials(
        &self,
        user: &str,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, StoreError> {
        Ok(self.users.get(user).map(|password| {
            let salt = format!("salt:{user}");
            ScramCredentials::derive(hash, password.as_bytes(), salt.as_bytes(), FAST_ITERATIONS)
        }))
    }

    async fn authorize(&self, user: &str, authzid: &str) -> Result<bool, StoreError> {
        Ok(self
            .proxies
            .contains(&(user.to_string(), authzid.to_string())))
    }
}

/// One password-mechanism case.
#[derive(Debug, Clone)]
struct Case {
    mechanism: Mechanism,
    user: String,
    password: String,
    authzid: Option<String>,
    proxy_allowed: bool,
    initial_response: bool,
    success_data: bool,
    binding: ChannelBinding,
}

impl Case {
    fn is_scram(&self) -> bool {
        self.mechanism.name().starts_with("SCRAM-")
    }

    /// The user name the server sees: the SCRAM client SASLpreps it
    /// (RFC 5802 §5.1), keeping it as is when SASLprep refuses it or maps
    /// it to nothing.
    fn wire_user(&self, user: &str) -> String {
        let prepared =
            String::from_utf8(normalize_password(user.as_bytes())).expect("UTF-8 stays UTF-8");
        if self.is_scram() && !prepared.is_empty() {
            prepared
        } else {
            user.to_string()
        }
    }

    fn supports_authzid(&self) -> bool {
        !matches!(self.mechanism, Mechanism::Login | Mechanism::CramMd5)
    }

    fn client(&self, user: &str, password: &str) -> ClientSession {
        let mut config = ClientConfig::password(user, password);
        if self.supports_authzid() {
            config.authzid.clone_from(&self.authzid);
        }
        if self.mechanism.is_plus() {
            config.channel_binding = Some(self.binding.clone());
        }
        ClientSession::new(self.mechanism, config).expect("client starts")
    }

    fn server(&self) -> ServerSession {
        let config = ServerConfig {
            // Only -PLUS connections have binding data, else plain SCRAM
            // would (rightly) see no downgrade.
            channel_bindings: if self.mechanism.is_plus() {
                vec![self.binding.clone()]
            } else {
                Vec::new()
            },
            success_data: self.success_data,
            ..ServerConfig::default()
        };
        ServerSession::new(self.mechanism, config)
    }

    /// The authorization identity the exchange should end with, or `None`
    /// if it must be refused.
    fn expected_authorization(&self) -> Option<String> {
        let user = self.wire_user(&self.user);
        match &self.authzid {
            Some(authzid) if self.supports_authzid() && *authzid != user => {
                self.proxy_allowed.then(|| authzid.clone())
            }
            _ => Some(user),
        }
    }
}

/// Text without NUL: PLAIN's fields cannot hold it, and the others gain
/// nothing from it (HMAC keys `pw` and `pw\0` are the same key).
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(&format!("[a-zA-Z0-9 .@_=,-]{{1,{max}}}")).unwrap(),
        proptest::string::string_regex(&format!("[^\\x00]{{1,{max}}}")).unwrap(),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(PASSWORD_MECHANISMS.to_vec()),
        text(20),
        text(24),
        proptest::option::of(text(16)),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::sample::select(vec!["tls-exporter", "tls-server-end-point", "tls-unique"]),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(mechanism, user, password, authzid, proxy_allowed, ir, success_data, name, data)| {
                Case {
                    mechanism,
                    user,
                    password,
                    authzid,
                    proxy_allowed,
                    initial_response: ir,
                    success_data,
                    binding: ChannelBinding::new(name, data),
                }
            },
        )
}

fn fast_store(case: &Case) -> FastStore {
    let mut store = FastStore::default();
    let user = case.wire_user(&case.user);
    store.users.insert(user.clone(), case.password.clone());
    if let (Some(authzid), true) = (&case.authzid, case.proxy_allowed) {
        store.proxies.insert((user, authzid.clone()));
    }
    store
}

/// The SCRAM server-first message of a transcript, with the parts that vary
/// between runs (nonce, salt bytes) reduced to their lengths.
fn server_first_shape(transcript: &[(char, Vec<u8>)]) -> Option<String> {
    let (_, first) = transcript
        .iter()
        .find(|(from, message)| *from == 'S' && message.starts_with(b"r="))?;
    let text = std::str::from_utf8(first).ok()?;
    let shape: Vec<String> = text
        .split(',')
        .map(|attr| match attr.split_at(2) {
            ("r=", nonce) => format!("r=<{}>", nonce.len()),
            ("s=", salt) => format!("s=<{}>", salt.len()),
            (key, value) => format!("{key}{value}"),
        })
        .collect();
    Some(shape.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Client and server agree; a wrong password and an unknown user fail
    /// with the same error.
    #[test]
    fn password_mechanisms_agree(case in case(), wrong in text(24), other in text(20)) {
        let store = fast_store(&case);

        let mut client = case.client(&case.user, &case.password);
        let mut server = case.server();
        let (outcome, transcript) =
            drive(&mut client, &mut server, &store, case.initial_response);
        match (case.expected_authorization(), outcome) {
            (Some(authzid), Outcome::Success(done)) => {
                prop_assert_eq!(&done.identity.authentication_id, &case.wire_user(&case.user));
                prop_assert_eq!(done.identity.authorization_id(), authzid.as_str());
                prop_assert_eq!(done.additional_data.is_some(),
                    case.success_data && case.is_scram());
            }
            (None, Outcome::ServerFailure(AuthError::AuthorizationFailed)) => {}
            (expected, outcome) => prop_assert!(false,
                "{case:?}: expected {expected:?}, got {outcome:?} {transcript:?}"),
        }

        // A wrong password (one SASLprep does not map to the right one).
        prop_assume!(normalize_password(wrong.as_bytes()) != normalize_password(case.password.as_bytes()));
        let mut client = case.client(&case.user, &wrong);
        let mut server = case.server();
        let (outcome, transcript) =
            drive(&mut client, &mut server, &store, case.initial_response);
        prop_assert!(
            matches!(outcome, Outcome::ServerFailure(AuthError::AuthenticationFailed)),
            "{case:?} wrong password: {outcome:?} {transcript:?}"
        );

        // An unknown user, with the right password, fails the same way.
        prop_assume!(case.wire_user(&other) != case.wire_user(&case.user));
        let mut client = case.client(&other, &case.password);
        let mut server = case.server();
        let (outcome, transcript) =
            drive(&mut client, &mut server, &store, case.initial_response);
        prop_assert!(
            matches!(outcome, Outcome::ServerFailure(AuthError::AuthenticationFailed)),
            "{case:?} unknown user {other:?}: {outcome:?} {transcript:?}"
        );
    }

    /// Bearer tokens of any RFC 6750 shape, for any user.
    #[test]
    fn bearer_tokens_agree(
        xoauth2 in any::<bool>(),
        user in "[ -~]{1,24}",
        token in "[A-Za-z0-9._~+/-]{1,48}=*",
        wrong in "[A-Za-z0-9._~+/-]{1,48}=*",
        host in proptest::option::of(("[a-z0-9.-]{1,20}", any::<u16>())),
        initial_response in any::<bool>(),
    ) {
        let mechanism = if xoauth2 { Mechanism::XOAuth2 } else { Mechanism::OAuthBearer };
        let mut store = MemoryStore::new();
        store.add_token(token.as_str(), user.as_str());
        let config = |token: &str| {
            let config = ClientConfig::token(user.as_str(), token);
            match &host {
                Some((host, port)) => config.with_host(host.as_str(), *port),
                None => config,
            }
        };

        let mut client = ClientSession::new(mechanism, config(&token)).unwrap();
        let mut server = ServerSession::new(mechanism, ServerConfig::default());
        let (outcome, transcript) = drive(&mut client, &mut server, &store, initial_response);
        match outcome {
            Outcome::Success(done) => {
                prop_assert_eq!(&done.identity.authentication_id, &user);
                prop_assert_eq!(done.identity.authorization_id(), user.as_str());
            }
            other => prop_assert!(false, "{mechanism}: {other:?} {transcript:?}"),
        }

        prop_assume!(wrong != token);
        let mut client = ClientSession::new(mechanism, config(&wrong)).unwrap();
        let mut server = ServerSession::new(mechanism, ServerConfig::default());
        let (outcome, transcript) = drive(&mut client, &mut server, &store, initial_response);
        prop_assert!(
            matches!(outcome, Outcome::ServerFailure(AuthError::AuthenticationFailed)),
            "{mechanism} wrong token: {outcome:?} {transcript:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// With `MemoryStore` and the default 4096 iterations: the exchange
    /// works, and for SCRAM an unknown user gets a server-first message of
    /// the same shape (salt length, iteration count) as a known one.
    #[test]
    fn default_iterations_and_unknown_users_look_alike(
        mechanism in proptest::sample::select(vec![Mechanism::ScramSha1, Mechanism::ScramSha256]),
        user in "[a-zA-Z0-9]{1,12}",
        password in "[a-zA-Z0-9 ]{1,16}",
        initial_response in any::<bool>(),
    ) {
        let mut store = MemoryStore::new();
        store.add_plaintext(user.as_str(), &password);
        let run = |user: &str, password: &str| {
            let mut client = ClientSession::new(mechanism, ClientConfig::password(user, password)).unwrap();
            let mut server = ServerSession::new(mechanism, ServerConfig::default());
            drive(&mut client, &mut server, &store, initial_response)
        };
        let (outcome, known) = run(&user, &password);
        prop_assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?} {known:?}");

        // The unknown user has a name of the same length, so the nonces match in length too.
        let unknown: String = user.chars().map(|c| if c == 'x' { 'y' } else { 'x' }).collect();
        let (outcome, decoy) = run(&unknown, &password);
        prop_assert!(
            matches!(outcome, Outcome::ServerFailure(AuthError::AuthenticationFailed)),
            "{outcome:?} {decoy:?}"
        );
        prop_assert_eq!(server_first_shape(&known), server_first_shape(&decoy));
        prop_assert!(server_first_shape(&known).is_some());
    }
}

/// A client message: arbitrary bytes, or text from the mechanisms' alphabets
/// (GS2 headers, SCRAM attributes, bearer separators), which gets further.
fn client_message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        "[nyp=,ar0-9cisvtm\\x00\\x01 A-Za-z+/*-]{0,64}".prop_map(String::into_bytes),
        Just(b"n,,n=tim,r=abc".to_vec()),
        Just(b"n,,\x01auth=Bearer tok\x01\x01".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes, as any sequence of steps, to any server mechanism: the
    /// exchange ends in success or failure or is still challenging, never
    /// panics (the harness checks its invariants), and every challenge
    /// stays under 1 KiB.
    #[test]
    fn arbitrary_client_bytes_never_panic(
        mechanism in proptest::sample::select(Mechanism::ALL.to_vec()),
        flag_bits in any::<u8>(),
        initial in proptest::option::of(client_message()),
        messages in proptest::collection::vec(client_message(), 0..5),
        answers in proptest::sample::select(vec![
            Answers::Honest,
            Answers::HonestThenSpurious,
            Answers::Unavailable,
            Answers::WrongKind,
        ]),
        cancel in any::<bool>(),
    ) {
        let config = fuzz_harness::server_config(mechanism, flag_bits);
        let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let report = run_exchange(mechanism, config, answers, initial.as_deref(), &messages, cancel);
        prop_assert!(report.longest_challenge < 1024, "{report:?}");
        prop_assert!(!matches!(report.outcome, ServerStep::Lookup(_)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `MemoryStore::add_plaintext` stores a plaintext password, whatever it
    /// looks like: not `{SHA}abc` as a SHA-1 hash, nor `{nope}x` as a panic.
    #[test]
    fn memory_store_keeps_any_plaintext(
        prefix in proptest::sample::select(vec!["", "{PLAIN}", "{SHA}", "{nope}", "$1$ab$", "{CLEAR.B64}"]),
        rest in "[a-zA-Z0-9]{1,12}",
    ) {
        let password = format!("{prefix}{rest}");
        let mut store = MemoryStore::new();
        store.add_plaintext("tim", &password);
        let verified = futures_executor::block_on(
            store.verify_password("tim", &sasl::Secret::from(password.as_str())),
        );
        prop_assert!(verified.unwrap(), "{password:?} does not verify");
    }
}
