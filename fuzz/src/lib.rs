//! The fuzz harness of the sasl crate, shared by the cargo-fuzz targets in
//! `fuzz/fuzz_targets/` and by the corpus replay test
//! `sasl/tests/fuzz_corpus.rs` (which includes this file as a module), so a
//! corpus file means the same thing in both places.
//!
//! # Input format
//!
//! The server targets and `sasl_client_scram` read the first byte as flags
//! and split the rest into parts on [`SEPARATOR`] (0xFF, a byte that never
//! occurs in UTF-8, and every mechanism but LOGIN's password wants UTF-8):
//!
//! * server targets: with [`flags::INITIAL_RESPONSE`] the first part is the
//!   initial response, otherwise there is none; every other part is a client
//!   response, fed to [`ServerSession::step`] in order.
//! * `sasl_client_scram`: the parts are server challenges fed to our SCRAM
//!   client (see [`client_flags`]).
//! * `sasl_line`: the whole input is one protocol line (no flags).
//! * `sasl_password_hash`: `stored NUL password` (no flags); the stored
//!   string is parsed with every scheme as default and the password verified
//!   (skipped when the data asks for legal but expensive work; data beyond
//!   the verifiers' documented cost limits is verified, and must be refused
//!   without the work).
//!
//! [`encode`] builds such inputs, for seeds.
//!
//! # What is checked
//!
//! Besides "no panic": look-ups are answered from a fixed store ([`USERS`],
//! [`TOKENS`], [`PROXIES`], [`EXTERNAL_IDENTITY`]) and a success must name the
//! identity the store vouched for, with an authorization identity only if the
//! store allowed it; a failing store or an answer of the wrong kind always
//! ends the exchange with [`AuthError::Temporary`] /
//! [`AuthError::UnexpectedStep`]; challenges stay within a fixed slack of the
//! client message that caused them; a finished exchange refuses every further
//! step, answer or start. Per-input work stays bounded: inputs that would ask
//! for legal but expensive key stretching (SCRAM iteration counts from a
//! hostile server, costly stored password hashes) are not computed.

use std::sync::OnceLock;

use sasl::line::{
    ClientLine, decode_challenge, decode_initial_response, decode_response, encode_challenge,
    encode_initial_response, encode_response,
};
use sasl::password::{PasswordHash, Scheme};
use sasl::{
    Answer, AuthError, ChannelBinding, ClientConfig, ClientSession, CredentialRequest,
    MAX_SCRAM_ITERATIONS, Mechanism, ScramCredentials, ScramHash, Secret, ServerConfig,
    ServerSession, ServerStep, Success,
};

/// Separates the parts (messages) of an input.
pub const SEPARATOR: u8 = 0xFF;

/// Users with passwords: `(user, password)`. `user`/`pencil` is the user of
/// RFC 5802 and RFC 7677, with their salts and iteration count.
pub const USERS: &[(&str, &str)] = &[
    ("tim", "tanstaaftanstaaf"),
    ("user", "pencil"),
    ("Kurt", "xipj3plmq"),
];

/// Proxy grants: `(user, authzid)` — `user` may act as `authzid`.
pub const PROXIES: &[(&str, &str)] = &[("Kurt", "Ursel"), ("tim", "admin")];

/// Bearer tokens: `(token, owner)`. The first is RFC 7628's example token.
pub const TOKENS: &[(&str, &str)] = &[
    (
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        "user@example.com",
    ),
    (
        "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg",
        "someuser@example.com",
    ),
];

/// The external identity of the connection (EXTERNAL), unless restricted.
pub const EXTERNAL_IDENTITY: &str = "CN=tim";
/// The user [`EXTERNAL_IDENTITY`] maps to.
pub const EXTERNAL_USER: &str = "tim";

/// OAUTHBEARER's discovery URL in error challenges, unless restricted.
pub const OPENID_CONFIGURATION: &str = "https://example.com/.well-known/openid-configuration";

/// The fixed server nonces and client nonces of RFC 5802 (SHA-1) and RFC 7677
/// (SHA-256), and the fixed CRAM-MD5 challenge of RFC 2195: fuzzing must be
/// deterministic, and the RFC exchanges then replay successfully.
pub const SCRAM_SHA1_SERVER_NONCE: &str = "3rfcNHYJY1ZVvWVs7j";
/// See [`SCRAM_SHA1_SERVER_NONCE`].
pub const SCRAM_SHA256_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
/// See [`SCRAM_SHA1_SERVER_NONCE`].
pub const SCRAM_SHA1_CLIENT_NONCE: &str = "fyko+d2lbbFgONRv9qkxdawL";
/// See [`SCRAM_SHA1_SERVER_NONCE`].
pub const SCRAM_SHA256_CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
/// See [`SCRAM_SHA1_SERVER_NONCE`].
pub const CRAM_MD5_CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

/// A server challenge may be at most this much longer than the client
/// message it answers (SCRAM's server-first echoes the client nonce).
pub const CHALLENGE_SLACK: usize = 512;

/// The largest SCRAM iteration count the client target lets a fuzzed server
/// ask for; larger legal counts are not computed (too slow to fuzz).
pub const CLIENT_MAX_ITERATIONS: u32 = 4096;

/// Flag bits of the first byte of a server target's input.
pub mod flags {
    /// The first part is the initial response.
    pub const INITIAL_RESPONSE: u8 = 0x01;
    /// `ServerConfig::success_data`.
    pub const SUCCESS_DATA: u8 = 0x02;
    /// Mask of the two bits that pick [`Answers`](super::Answers).
    pub const ANSWERS: u8 = 0x0c;
    /// If still running after the last message, cancel.
    pub const CANCEL: u8 = 0x10;
    /// The target's second mechanism (SCRAM: the -PLUS variant).
    pub const VARIANT: u8 = 0x20;
    /// The connection has channel-binding data (`tls-exporter`,
    /// `tls-server-end-point`, see [`channel_bindings`](super::channel_bindings)).
    pub const CHANNEL_BINDINGS: u8 = 0x40;
    /// No external identity, no ANONYMOUS, no OpenID URL, and client
    /// messages of at most [`RESTRICTED_MAX_LEN`](super::RESTRICTED_MAX_LEN) bytes.
    pub const RESTRICTED: u8 = 0x80;
}

/// Flag bits of the first byte of the `sasl_client_scram` input.
pub mod client_flags {
    /// Mask of the two bits that pick SCRAM-SHA-1, SCRAM-SHA-256,
    /// SCRAM-SHA-1-PLUS or SCRAM-SHA-256-PLUS.
    pub const MECHANISM: u8 = 0x03;
    /// The client has channel-binding data (for plain SCRAM it then says `y`).
    pub const CHANNEL_BINDING: u8 = 0x04;
    /// The client asks to act as `admin`.
    pub const AUTHZID: u8 = 0x08;
    /// The last part is the additional data of the server's success reply
    /// (passed to `finish`), not a challenge.
    pub const SUCCESS_DATA: u8 = 0x10;
    /// Send the initial response first; otherwise the first challenge is
    /// answered with the client-first message when it is empty.
    pub const INITIAL_RESPONSE: u8 = 0x20;
}

/// The message length limit under [`flags::RESTRICTED`].
pub const RESTRICTED_MAX_LEN: usize = 64;

/// How the harness answers credential look-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// From the fixed store.
    Honest,
    /// From the fixed store; and if the exchange is still running after the
    /// last message, a spurious `Answer::Verified(true)` nobody asked for,
    /// which must fail the exchange.
    HonestThenSpurious,
    /// The store is down: `Answer::Unavailable`.
    Unavailable,
    /// A confused store answers with the wrong kind of answer, the most
    /// dangerous one it could (`Verified(true)` to a key request...).
    WrongKind,
}

impl Answers {
    fn from_flags(bits: u8) -> Self {
        match (bits & flags::ANSWERS) >> 2 {
            0 => Answers::Honest,
            1 => Answers::HonestThenSpurious,
            2 => Answers::Unavailable,
            _ => Answers::WrongKind,
        }
    }
}

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `sasl_server_plain`.
    ServerPlain,
    /// `sasl_server_login`.
    ServerLogin,
    /// `sasl_server_cram_md5`.
    ServerCramMd5,
    /// `sasl_server_scram_sha1`: SCRAM-SHA-1 and, with [`flags::VARIANT`], -PLUS.
    ServerScramSha1,
    /// `sasl_server_scram_sha256`: SCRAM-SHA-256 and, with [`flags::VARIANT`], -PLUS.
    ServerScramSha256,
    /// `sasl_server_oauthbearer`.
    ServerOAuthBearer,
    /// `sasl_server_xoauth2`.
    ServerXOAuth2,
    /// `sasl_server_external`.
    ServerExternal,
    /// `sasl_server_anonymous`.
    ServerAnonymous,
    /// `sasl_client_scram`: server-controlled bytes fed to our SCRAM client.
    ClientScram,
    /// `sasl_line`: the base64 line helpers.
    Line,
    /// `sasl_password_hash`: stored-hash parsing and verification.
    PasswordHash,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 12] = [
        Target::ServerPlain,
        Target::ServerLogin,
        Target::ServerCramMd5,
        Target::ServerScramSha1,
        Target::ServerScramSha256,
        Target::ServerOAuthBearer,
        Target::ServerXOAuth2,
        Target::ServerExternal,
        Target::ServerAnonymous,
        Target::ClientScram,
        Target::Line,
        Target::PasswordHash,
    ];

    /// The cargo-fuzz target name, which is also its corpus directory name.
    pub fn name(self) -> &'static str {
        match self {
            Target::ServerPlain => "sasl_server_plain",
            Target::ServerLogin => "sasl_server_login",
            Target::ServerCramMd5 => "sasl_server_cram_md5",
            Target::ServerScramSha1 => "sasl_server_scram_sha1",
            Target::ServerScramSha256 => "sasl_server_scram_sha256",
            Target::ServerOAuthBearer => "sasl_server_oauthbearer",
            Target::ServerXOAuth2 => "sasl_server_xoauth2",
            Target::ServerExternal => "sasl_server_external",
            Target::ServerAnonymous => "sasl_server_anonymous",
            Target::ClientScram => "sasl_client_scram",
            Target::Line => "sasl_line",
            Target::PasswordHash => "sasl_password_hash",
        }
    }

    /// The server mechanisms of a server target: the plain one, and the one
    /// [`flags::VARIANT`] picks.
    pub fn mechanisms(self) -> Option<[Mechanism; 2]> {
        let same = |mech| Some([mech, mech]);
        match self {
            Target::ServerPlain => same(Mechanism::Plain),
            Target::ServerLogin => same(Mechanism::Login),
            Target::ServerCramMd5 => same(Mechanism::CramMd5),
            Target::ServerScramSha1 => Some([Mechanism::ScramSha1, Mechanism::ScramSha1Plus]),
            Target::ServerScramSha256 => Some([Mechanism::ScramSha256, Mechanism::ScramSha256Plus]),
            Target::ServerOAuthBearer => same(Mechanism::OAuthBearer),
            Target::ServerXOAuth2 => same(Mechanism::XOAuth2),
            Target::ServerExternal => same(Mechanism::External),
            Target::ServerAnonymous => same(Mechanism::Anonymous),
            Target::ClientScram | Target::Line | Target::PasswordHash => None,
        }
    }

    /// Runs one input; panics if a check fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::ClientScram => run_client_scram(data),
            Target::Line => run_line(data),
            Target::PasswordHash => run_password_hash(data),
            server => {
                if let Some(mechanisms) = server.mechanisms() {
                    run_server(mechanisms, data);
                }
            }
        }
    }
}

/// Builds an input: the flags byte, then the parts joined by [`SEPARATOR`].
/// Without [`flags::INITIAL_RESPONSE`] a server input has at least one
/// (possibly empty) client message.
pub fn encode(flag_bits: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![flag_bits];
    for (index, part) in parts.iter().enumerate() {
        assert!(!part.contains(&SEPARATOR), "a part contains the separator");
        if index > 0 {
            out.push(SEPARATOR);
        }
        out.extend_from_slice(part);
    }
    out
}

/// The connection's channel-binding data under [`flags::CHANNEL_BINDINGS`].
pub fn channel_bindings() -> Vec<ChannelBinding> {
    vec![
        ChannelBinding::tls_exporter((0u8..32).collect()),
        ChannelBinding::tls_server_end_point(vec![0xa5; 32]),
    ]
}

/// The server configuration a server target's flags select.
pub fn server_config(mechanism: Mechanism, flag_bits: u8) -> ServerConfig {
    let restricted = flag_bits & flags::RESTRICTED != 0;
    let defaults = ServerConfig::default();
    ServerConfig {
        channel_bindings: if flag_bits & flags::CHANNEL_BINDINGS != 0 {
            channel_bindings()
        } else {
            Vec::new()
        },
        external_identity: (!restricted).then(|| EXTERNAL_IDENTITY.to_string()),
        allow_anonymous: !restricted,
        success_data: flag_bits & flags::SUCCESS_DATA != 0,
        max_message_len: if restricted {
            RESTRICTED_MAX_LEN
        } else {
            defaults.max_message_len
        },
        openid_configuration: (!restricted).then(|| OPENID_CONFIGURATION.to_string()),
        fixed_nonce: fixed_nonce(mechanism).map(str::to_string),
        ..defaults
    }
}

fn fixed_nonce(mechanism: Mechanism) -> Option<&'static str> {
    match mechanism {
        Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => Some(SCRAM_SHA1_SERVER_NONCE),
        Mechanism::ScramSha256 | Mechanism::ScramSha256Plus => Some(SCRAM_SHA256_SERVER_NONCE),
        Mechanism::CramMd5 => Some(CRAM_MD5_CHALLENGE),
        _ => None,
    }
}

fn password_of(user: &str) -> Option<&'static str> {
    USERS
        .iter()
        .find(|(known, _)| *known == user)
        .map(|(_, password)| *password)
}

fn proxy_allowed(user: &str, authzid: &str) -> bool {
    PROXIES.contains(&(user, authzid))
}

/// Stored SCRAM keys of a [`USERS`] entry: RFC 5802's / RFC 7677's salt and
/// 4096 iterations for `user`, a fixed salt and 64 iterations for the others
/// (cheap: the fuzzer runs this often). Computed once.
pub fn scram_credentials(user: &str, hash: ScramHash) -> Option<ScramCredentials> {
    static KEYS: OnceLock<Vec<(&'static str, ScramHash, ScramCredentials)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        for &(name, password) in USERS {
            for hash in [ScramHash::Sha1, ScramHash::Sha256] {
                let (salt, iterations) = match (name, hash) {
                    ("user", ScramHash::Sha1) => (base64(b"QSXCR+Q6sek8bf92"), 4096),
                    ("user", ScramHash::Sha256) => (base64(b"W22ZaJ0SNY7soEsUEjb6gQ=="), 4096),
                    _ => (format!("salt of {name}").into_bytes(), 64),
                };
                let creds = ScramCredentials::derive(hash, password.as_bytes(), &salt, iterations);
                keys.push((name, hash, creds));
            }
        }
        keys
    });
    keys.iter()
        .find(|(name, known, _)| *name == user && *known == hash)
        .map(|(_, _, creds)| creds.clone())
}

fn base64(text: &[u8]) -> Vec<u8> {
    decode_challenge(text).expect("valid base64 constant")
}

/// What the harness's store said yes to during one exchange.
#[derive(Debug, Default)]
struct Ledger {
    lookups: usize,
    /// The user whose credentials the store vouched for or handed out.
    authenticated: Option<String>,
    /// The last `(user, authzid)` proxy grant.
    authorized: Option<(String, String)>,
}

impl Ledger {
    fn answer(&mut self, request: &CredentialRequest, answers: Answers) -> Answer {
        self.lookups += 1;
        match answers {
            Answers::Unavailable => return Answer::Unavailable,
            Answers::WrongKind => return wrong_kind(request),
            Answers::Honest | Answers::HonestThenSpurious => {}
        }
        match request {
            CredentialRequest::VerifyPassword { user, password } => {
                let ok =
                    password_of(user).is_some_and(|known| known.as_bytes() == password.as_bytes());
                if ok {
                    self.authenticated = Some(user.clone());
                }
                Answer::Verified(ok)
            }
            CredentialRequest::PlaintextPassword { user } => {
                let password = password_of(user);
                if password.is_some() {
                    self.authenticated = Some(user.clone());
                }
                Answer::Plaintext(password.map(Secret::from))
            }
            CredentialRequest::ScramCredentials { user, hash } => {
                let creds = scram_credentials(user, *hash);
                if creds.is_some() {
                    self.authenticated = Some(user.clone());
                }
                Answer::Scram(creds)
            }
            CredentialRequest::ValidateToken { token, .. } => {
                let owner = TOKENS
                    .iter()
                    .find(|(known, _)| known.as_bytes() == token.as_bytes())
                    .map(|(_, owner)| owner.to_string());
                self.authenticated.clone_from(&owner);
                Answer::User(owner)
            }
            CredentialRequest::MapExternal {
                external,
                requested,
            } => {
                // As MemoryStore: the requested identity if the mapped user may act as it.
                let user = (external == EXTERNAL_IDENTITY)
                    .then_some(EXTERNAL_USER)
                    .and_then(|user| match requested.as_deref() {
                        None => Some(user.to_string()),
                        Some(authzid) if authzid == user || proxy_allowed(user, authzid) => {
                            Some(authzid.to_string())
                        }
                        Some(_) => None,
                    });
                self.authenticated.clone_from(&user);
                Answer::User(user)
            }
            CredentialRequest::Authorize { user, authzid } => {
                let ok = proxy_allowed(user, authzid);
                if ok {
                    self.authorized = Some((user.clone(), authzid.clone()));
                }
                Answer::Verified(ok)
            }
            _ => Answer::Unavailable,
        }
    }
}

/// The most dangerous wrong answer to `request`.
fn wrong_kind(request: &CredentialRequest) -> Answer {
    match request {
        CredentialRequest::VerifyPassword { user, .. } => Answer::User(Some(user.clone())),
        CredentialRequest::Authorize { authzid, .. } => Answer::User(Some(authzid.clone())),
        // Plaintext, SCRAM keys, token owner, external mapping.
        _ => Answer::Verified(true),
    }
}

/// How a server exchange ended.
#[derive(Debug)]
pub struct Report {
    /// The first terminal step (success or failure), or the last challenge
    /// if the exchange was still running after the last message.
    pub outcome: ServerStep,
    /// The longest challenge the server sent.
    pub longest_challenge: usize,
    /// How many look-ups the server made.
    pub lookups: usize,
}

/// Splits a server target's input and runs it on the mechanism the flags pick.
fn run_server(mechanisms: [Mechanism; 2], data: &[u8]) {
    let Some((&flag_bits, rest)) = data.split_first() else {
        return;
    };
    let mechanism = mechanisms[usize::from(flag_bits & flags::VARIANT != 0)];
    let mut parts = rest.split(|&byte| byte == SEPARATOR);
    let initial = if flag_bits & flags::INITIAL_RESPONSE != 0 {
        parts.next()
    } else {
        None
    };
    let messages: Vec<&[u8]> = parts.collect();
    run_exchange(
        mechanism,
        server_config(mechanism, flag_bits),
        Answers::from_flags(flag_bits),
        initial,
        &messages,
        flag_bits & flags::CANCEL != 0,
    );
}

/// Runs one server exchange: `initial` to `start`, each message to `step`,
/// look-ups answered as `answers` says; then, if it is still running,
/// a spurious answer ([`Answers::HonestThenSpurious`]) or `cancel`. Panics
/// if any check fails (see the crate documentation).
pub fn run_exchange(
    mechanism: Mechanism,
    config: ServerConfig,
    answers: Answers,
    initial: Option<&[u8]>,
    messages: &[&[u8]],
    cancel: bool,
) -> Report {
    let mut run = Run {
        server: ServerSession::new(mechanism, config.clone()),
        mechanism,
        config,
        answers,
        ledger: Ledger::default(),
        outcome: None,
        last_challenge: None,
        longest_challenge: 0,
    };
    let step = run.server.start(initial);
    run.observe(step, initial.map_or(0, <[u8]>::len));
    for message in messages {
        if run.outcome.is_some() {
            // Over: every further message is refused.
            assert!(
                matches!(run.server.step(message), ServerStep::Failure(_)),
                "{mechanism}: a finished exchange accepted a message"
            );
            assert!(run.server.is_done());
            continue;
        }
        let step = run.server.step(message);
        run.observe(step, message.len());
    }
    if run.outcome.is_none() && answers == Answers::HonestThenSpurious {
        let step = run.server.resume(Answer::Verified(true));
        assert_eq!(
            step,
            ServerStep::Failure(AuthError::UnexpectedStep),
            "{mechanism}: an answer nobody asked for was accepted"
        );
        run.outcome = Some(step);
    }
    if run.outcome.is_none() && cancel {
        let step = run.server.cancel();
        assert_eq!(step, ServerStep::Failure(AuthError::Cancelled));
        run.outcome = Some(step);
    }
    let outcome = match run.outcome.take() {
        Some(outcome) => {
            run.check_finished();
            outcome
        }
        None => {
            assert!(
                !run.server.is_done(),
                "{mechanism}: done without an outcome"
            );
            ServerStep::Challenge(run.last_challenge.take().unwrap_or_default())
        }
    };
    Report {
        outcome,
        longest_challenge: run.longest_challenge,
        lookups: run.ledger.lookups,
    }
}

struct Run {
    server: ServerSession,
    mechanism: Mechanism,
    config: ServerConfig,
    answers: Answers,
    ledger: Ledger,
    /// The first terminal step.
    outcome: Option<ServerStep>,
    last_challenge: Option<Vec<u8>>,
    longest_challenge: usize,
}

impl Run {
    /// Answers look-ups, then checks the step that a `message_len`-byte
    /// message caused.
    fn observe(&mut self, mut step: ServerStep, message_len: usize) {
        let mechanism = self.mechanism;
        let mut in_a_row = 0;
        while let ServerStep::Lookup(request) = step {
            // At most the credentials, then the authorization identity.
            in_a_row += 1;
            assert!(in_a_row <= 2, "{mechanism}: look-ups without end");
            let answer = self.ledger.answer(&request, self.answers);
            step = self.server.resume(answer);
            match self.answers {
                Answers::Unavailable => assert_eq!(
                    step,
                    ServerStep::Failure(AuthError::Temporary),
                    "{mechanism}: a store failure must fail the exchange temporarily"
                ),
                Answers::WrongKind => assert_eq!(
                    step,
                    ServerStep::Failure(AuthError::UnexpectedStep),
                    "{mechanism}: a wrong kind of answer must fail the exchange"
                ),
                Answers::Honest | Answers::HonestThenSpurious => {}
            }
        }
        match step {
            ServerStep::Challenge(challenge) => {
                assert!(
                    !self.server.is_done(),
                    "{mechanism}: challenge after the end"
                );
                assert!(
                    challenge.len() <= message_len + CHALLENGE_SLACK,
                    "{mechanism}: a {message_len}-byte message caused a {}-byte challenge",
                    challenge.len()
                );
                self.longest_challenge = self.longest_challenge.max(challenge.len());
                self.last_challenge = Some(challenge);
            }
            ServerStep::Success(success) => {
                self.check_success(&success);
                self.outcome = Some(ServerStep::Success(success));
            }
            failure @ ServerStep::Failure(_) => self.outcome = Some(failure),
            ServerStep::Lookup(_) => unreachable!("answered above"),
        }
    }

    /// A success must be one the store vouched for.
    fn check_success(&self, success: &Success) {
        let mechanism = self.mechanism;
        let identity = &success.identity;
        let authn = identity.authentication_id.as_str();
        if mechanism == Mechanism::Anonymous {
            assert!(self.config.allow_anonymous, "ANONYMOUS succeeded unasked");
            assert_eq!(authn, "anonymous");
            assert!(
                identity
                    .trace
                    .as_ref()
                    .is_none_or(|trace| !trace.is_empty() && trace.chars().count() <= 255),
                "bad ANONYMOUS trace {:?}",
                identity.trace
            );
        } else {
            assert!(
                matches!(self.answers, Answers::Honest | Answers::HonestThenSpurious),
                "{mechanism}: success although the store failed"
            );
            assert_eq!(
                self.ledger.authenticated.as_deref(),
                Some(authn),
                "{mechanism}: success for someone the store did not vouch for"
            );
            assert!(identity.trace.is_none());
        }
        if let Some(authzid) = &identity.requested_authorization_id {
            assert_ne!(
                authzid, authn,
                "{mechanism}: redundant authorization identity"
            );
            assert_eq!(
                self.ledger.authorized,
                Some((authn.to_string(), authzid.clone())),
                "{mechanism}: authorization identity not granted by the store"
            );
        }
        match &success.additional_data {
            Some(data) => assert!(
                self.config.success_data && data.starts_with(b"v="),
                "{mechanism}: unexpected additional data with success"
            ),
            None => assert!(
                !(self.config.success_data && mechanism.name().starts_with("SCRAM-")),
                "{mechanism}: SCRAM success without the server signature"
            ),
        }
    }

    /// A finished exchange refuses everything.
    fn check_finished(&mut self) {
        let mechanism = self.mechanism;
        assert!(self.server.is_done(), "{mechanism}: not done after the end");
        assert_eq!(
            self.server.step(b""),
            ServerStep::Failure(AuthError::UnexpectedStep)
        );
        assert_eq!(
            self.server.resume(Answer::Verified(true)),
            ServerStep::Failure(AuthError::UnexpectedStep),
            "{mechanism}: answer accepted after the end"
        );
        assert_eq!(
            self.server.start(Some(b"")),
            ServerStep::Failure(AuthError::UnexpectedStep)
        );
        assert!(self.server.is_done());
    }
}

/// Server-controlled bytes fed to our SCRAM client.
fn run_client_scram(data: &[u8]) {
    let Some((&bits, rest)) = data.split_first() else {
        return;
    };
    let mechanism = [
        Mechanism::ScramSha1,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1Plus,
        Mechanism::ScramSha256Plus,
    ][usize::from(bits & client_flags::MECHANISM)];
    let sha1 = matches!(mechanism, Mechanism::ScramSha1 | Mechanism::ScramSha1Plus);
    let mut config = ClientConfig::password("user", "pencil");
    config.fixed_nonce = Some(
        if sha1 {
            SCRAM_SHA1_CLIENT_NONCE
        } else {
            SCRAM_SHA256_CLIENT_NONCE
        }
        .to_string(),
    );
    if bits & client_flags::CHANNEL_BINDING != 0 {
        config.channel_binding = channel_bindings().into_iter().next();
    }
    if bits & client_flags::AUTHZID != 0 {
        config.authzid = Some("admin".to_string());
    }
    let has_binding = config.channel_binding.is_some();
    let mut client = match ClientSession::new(mechanism, config) {
        Ok(client) => client,
        Err(error) => {
            assert!(
                mechanism.is_plus() && !has_binding,
                "{mechanism}: client refused to start: {error}"
            );
            return;
        }
    };
    if bits & client_flags::INITIAL_RESPONSE != 0 {
        assert!(client.initial_response().is_some());
    }
    let mut parts: Vec<&[u8]> = rest.split(|&byte| byte == SEPARATOR).collect();
    let additional = if bits & client_flags::SUCCESS_DATA != 0 {
        parts.pop()
    } else {
        None
    };
    let mut saw_signature = false;
    for challenge in parts {
        if too_many_iterations(challenge) {
            return;
        }
        saw_signature |= challenge.starts_with(b"v=");
        match client.step(challenge) {
            Ok(response) => assert!(
                response.len() <= challenge.len() + CHALLENGE_SLACK,
                "{mechanism}: a {}-byte challenge caused a {}-byte response",
                challenge.len(),
                response.len()
            ),
            Err(_) => {
                // A failed client stays failed.
                assert!(
                    client.step(b"").is_err(),
                    "{mechanism}: client went on after an error"
                );
                assert!(client.finish(None).is_err());
                return;
            }
        }
    }
    saw_signature |= additional.is_some_and(|data| data.starts_with(b"v="));
    if client.finish(additional).is_ok() {
        assert!(
            saw_signature,
            "{mechanism}: client accepted a server that never signed"
        );
    }
}

/// Whether a server-first message asks for a legal but (for fuzzing)
/// expensive iteration count. Counts parsed as the client parses them.
fn too_many_iterations(challenge: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(challenge) else {
        return false;
    };
    text.split(',')
        .filter_map(|attr| attr.strip_prefix("i="))
        .filter_map(|count| count.parse::<u32>().ok())
        .any(|count| count > CLIENT_MAX_ITERATIONS && count <= MAX_SCRAM_ITERATIONS)
}

/// The base64 line helpers: decoding never panics, and everything decoded
/// or encoded round-trips.
fn run_line(data: &[u8]) {
    fn trimmed(mut line: &[u8]) -> &[u8] {
        while let [rest @ .., b'\r' | b'\n'] = line {
            line = rest;
        }
        line
    }
    match decode_response(data) {
        Ok(ClientLine::Data(decoded)) => {
            assert!(decoded.len() <= data.len());
            let again = decode_response(encode_response(&decoded).as_bytes());
            assert_eq!(again, Ok(ClientLine::Data(decoded)));
        }
        Ok(ClientLine::Cancel) => assert_eq!(trimmed(data), b"*"),
        Err(_) => {}
    }
    match decode_initial_response(data) {
        Ok(ClientLine::Data(decoded)) => {
            assert!(decoded.len() <= data.len());
            let again = decode_initial_response(encode_initial_response(&decoded).as_bytes());
            assert_eq!(again, Ok(ClientLine::Data(decoded)));
        }
        Ok(ClientLine::Cancel) => assert_eq!(trimmed(data), b"*"),
        Err(_) => {}
    }
    if let Ok(decoded) = decode_challenge(data) {
        assert!(decoded.len() <= data.len());
        assert_eq!(
            decode_challenge(encode_challenge(&decoded).as_bytes()),
            Ok(decoded)
        );
    }
    // The input as data to encode.
    assert_eq!(
        decode_response(encode_response(data).as_bytes()),
        Ok(ClientLine::Data(data.to_vec()))
    );
    assert_eq!(
        decode_initial_response(encode_initial_response(data).as_bytes()),
        Ok(ClientLine::Data(data.to_vec()))
    );
    assert_eq!(
        decode_challenge(format!("{}\r\n", encode_challenge(data)).as_bytes()),
        Ok(data.to_vec())
    );
}

/// How expensive verifying a stored hash would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cost {
    /// Cheap enough to compute on every fuzz input.
    Cheap,
    /// Beyond the verifiers' limits: must be refused without computing.
    Absurd,
    /// Legal and expensive: not verified while fuzzing.
    Expensive,
}

/// Classifies the cost parameters in stored hash data: bcrypt's cost after
/// `$2?$`, SHA-crypt's `rounds=`, Argon2's `m=`, `t=`, `p=`, and SCRAM's
/// iteration count at the start of the data. The "absurd" limits are those
/// the password module documents (bcrypt cost 20, 10 000 000 SHA-crypt
/// rounds or SCRAM iterations, 1 GiB and 4 GiB×passes of Argon2 memory, 64
/// lanes).
fn cost(stored: &str) -> Cost {
    let bytes = stored.as_bytes();
    let mut worst = Cost::Cheap;
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = bytes[start..]
            .iter()
            .position(|byte| !byte.is_ascii_digit())
            .map_or(bytes.len(), |len| start + len);
        let value = stored[start..end].bytes().fold(0u64, |acc, digit| {
            acc.saturating_mul(10)
                .saturating_add(u64::from(digit - b'0'))
        });
        let before = &bytes[..start];
        let bcrypt_cost = matches!(before, [.., b'$', b'2', _, b'$']);
        let limits = if before.ends_with(b"rounds=") {
            Some((20_000, 10_000_000))
        } else if bcrypt_cost {
            Some((6, 20))
        } else if before.ends_with(b"m=") {
            Some((1024, 1024 * 1024))
        } else if before.ends_with(b"t=") {
            Some((8, 4 * 1024 * 1024))
        } else if before.ends_with(b"p=") {
            Some((8, 64))
        } else if before.is_empty() || before.ends_with(b"}") {
            Some((8192, u64::from(MAX_SCRAM_ITERATIONS)))
        } else {
            None
        };
        if let Some((cheap, absurd)) = limits {
            let class = if value <= cheap {
                Cost::Cheap
            } else if value > absurd {
                Cost::Absurd
            } else {
                Cost::Expensive
            };
            worst = worst.max(class);
        }
        start = end;
    }
    worst
}

/// `stored NUL password`: the stored string parsed with every scheme as the
/// default; what parses must be consistent, and is verified unless that
/// would be expensive.
fn run_password_hash(data: &[u8]) {
    let (stored, password) = match data.iter().position(|&byte| byte == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &b""[..]),
    };
    let stored = String::from_utf8_lossy(stored);
    let verify = cost(&stored) != Cost::Expensive;
    for &default in Scheme::ALL {
        let Ok(hash) = PasswordHash::parse_with_default(&stored, default) else {
            continue;
        };
        if let Some(plain) = hash.plaintext() {
            assert_eq!(hash.scheme(), Scheme::Plain);
            assert!(hash.verify(plain.as_bytes()), "a plaintext does not verify");
        }
        // PLAIN's keys are derived with 4096 iterations: too slow to fuzz.
        let stored_keys: &[ScramHash] = match hash.scheme() {
            Scheme::Plain => &[],
            _ => &[ScramHash::Sha1, ScramHash::Sha256],
        };
        for &scram in stored_keys {
            if let Some(creds) = hash.scram_credentials(scram) {
                assert_eq!(creds.hash, scram);
                assert_eq!(creds.stored_key.len(), scram.output_len());
                assert_eq!(creds.server_key.len(), scram.output_len());
                assert!((1..=MAX_SCRAM_ITERATIONS).contains(&creds.iterations));
            }
        }
        // What it prints reads back as the same.
        let printed = hash.to_string();
        let reparsed = PasswordHash::parse(&printed).expect("printed hash parses");
        assert_eq!(reparsed.scheme(), hash.scheme());
        assert_eq!(reparsed.to_string(), printed);
        if verify {
            let _ = hash.verify(password);
        }
    }
}
