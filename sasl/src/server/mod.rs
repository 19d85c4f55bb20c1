//! The server side: one sans-IO state machine per exchange.
//!
//! [`ServerSession::start`] takes the initial response (absent and empty are
//! different), [`ServerSession::step`] each later response, and
//! [`ServerSession::resume`] the answer to a credential look-up. Each returns
//! a [`ServerStep`]. The `*_with` variants answer look-ups from a
//! [`CredentialStore`] themselves.

mod anonymous;
mod cram_md5;
pub(crate) use cram_md5::cram_md5_digest;
mod external;
mod login;
mod oauth;
mod plain;
mod scram;

use crate::credentials::{Answer, CredentialRequest, CredentialStore, answer};
use crate::line::ClientLine;
use crate::{AuthError, ChannelBinding, Identity, Mechanism};

/// What the server does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge (base64-encoded by the protocol) and pass the
    /// client's response to [`ServerSession::step`].
    Challenge(Vec<u8>),
    /// Answer this question from the credential store and pass the answer to
    /// [`ServerSession::resume`].
    Lookup(crate::CredentialRequest),
    /// The client is authenticated.
    Success(Success),
    /// The exchange failed. Report every variant but
    /// [`AuthError::Temporary`] and [`AuthError::Malformed`] the same way to
    /// the client, so it cannot tell unknown users from wrong passwords.
    Failure(AuthError),
}

/// A successful exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// Who authenticated and as whom they act.
    pub identity: Identity,
    /// Data to send with the success reply (SCRAM's server signature), only
    /// when [`ServerConfig::success_data`] is enabled.
    pub additional_data: Option<Vec<u8>>,
}

/// Server-side settings shared by every mechanism.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Channel-binding data of the connection, for the -PLUS mechanisms. A
    /// server that has any also advertises -PLUS, and a SCRAM client that
    /// says the server cannot bind (`y`) is then refused as a downgrade.
    pub channel_bindings: Vec<ChannelBinding>,
    /// An identity established outside SASL (a verified TLS client
    /// certificate's subject), for EXTERNAL.
    pub external_identity: Option<String>,
    /// Whether ANONYMOUS may succeed.
    pub allow_anonymous: bool,
    /// Host name in CRAM-MD5 challenges.
    pub hostname: String,
    /// Whether the protocol can carry data in its success reply (RFC 4422
    /// §5 "additional data with success", e.g. IMAP4rev2). When it cannot
    /// (SMTP, POP3, IMAP4rev1) SCRAM's server signature is sent as a final
    /// challenge and the client answers with an empty response.
    pub success_data: bool,
    /// The largest client message accepted, in bytes.
    pub max_message_len: usize,
    /// The OpenID discovery URL OAUTHBEARER failures point to (RFC 7628 §3.2.2).
    pub openid_configuration: Option<String>,
    /// A fixed server nonce (SCRAM) or challenge (CRAM-MD5) instead of a
    /// random one. Only for reproducing published test vectors: a fixed
    /// nonce makes replay attacks possible.
    pub fixed_nonce: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            channel_bindings: Vec::new(),
            external_identity: None,
            allow_anonymous: false,
            hostname: "localhost".to_string(),
            success_data: false,
            max_message_len: 32 * 1024,
            openid_configuration: None,
            fixed_nonce: None,
        }
    }
}

impl ServerConfig {
    /// Whether `mechanism` can succeed with this configuration (a -PLUS
    /// mechanism needs channel bindings, EXTERNAL an external identity,
    /// ANONYMOUS permission). Combine with
    /// [`CredentialStore::mechanisms`] to decide what to advertise.
    pub fn offers(&self, mechanism: Mechanism) -> bool {
        match mechanism {
            Mechanism::ScramSha1Plus | Mechanism::ScramSha256Plus => {
                !self.channel_bindings.is_empty()
            }
            Mechanism::External => self.external_identity.is_some(),
            Mechanism::Anonymous => self.allow_anonymous,
            _ => true,
        }
    }
}

/// What a mechanism does next; the session turns it into a [`ServerStep`]
/// after applying the rules every mechanism shares.
#[derive(Debug)]
pub(crate) enum Next {
    Challenge(Vec<u8>),
    Lookup(CredentialRequest),
    Authenticated {
        identity: Identity,
        /// Server data the client must see (SCRAM's `v=`).
        final_data: Option<Vec<u8>>,
    },
    Fail(AuthError),
}

/// One server mechanism's state machine.
pub(crate) trait Exchange: Send + std::fmt::Debug {
    /// The client's first message (its initial response, or its answer to
    /// the empty challenge the session sends when there was none). For
    /// server-first mechanisms, `None` means "begin".
    fn start(&mut self, config: &ServerConfig, first: Option<&[u8]>) -> Next;
    /// A later client message.
    fn step(&mut self, config: &ServerConfig, response: &[u8]) -> Next;
    /// The answer to the last look-up.
    fn resume(&mut self, config: &ServerConfig, answer: Answer) -> Next;
}

#[derive(Debug)]
enum Phase {
    /// Nothing received yet.
    New,
    /// A client-first mechanism without initial response was sent an empty challenge.
    AwaitingFirst,
    /// The mechanism is running.
    Running,
    /// The mechanism asked the store something.
    AwaitingAnswer,
    /// Credentials verified; asking whether the authorization identity is allowed.
    AwaitingAuthorization(Identity, Option<Vec<u8>>),
    /// The final server data went out as a challenge; awaiting the empty response.
    AwaitingFinalAck(Identity),
    /// Finished, successfully or not.
    Done,
}

/// A server-side exchange of one mechanism.
#[derive(Debug)]
pub struct ServerSession {
    mechanism: Mechanism,
    config: ServerConfig,
    exchange: Box<dyn Exchange>,
    phase: Phase,
}

impl ServerSession {
    /// A new exchange of `mechanism`.
    pub fn new(mechanism: Mechanism, config: ServerConfig) -> Self {
        let exchange: Box<dyn Exchange> = match mechanism {
            Mechanism::Plain => Box::new(plain::Plain::new()),
            Mechanism::Login => Box::new(login::Login::default()),
            Mechanism::CramMd5 => Box::new(cram_md5::CramMd5::default()),
            Mechanism::ScramSha1
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256
            | Mechanism::ScramSha256Plus => Box::new(scram::Scram::new(mechanism)),
            Mechanism::OAuthBearer => Box::new(oauth::Bearer::oauthbearer()),
            Mechanism::XOAuth2 => Box::new(oauth::Bearer::xoauth2()),
            Mechanism::External => Box::new(external::External),
            Mechanism::Anonymous => Box::new(anonymous::Anonymous),
        };
        Self {
            mechanism,
            config,
            exchange,
            phase: Phase::New,
        }
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Whether the exchange has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Begins the exchange. `initial` is the initial response: `None` when
    /// the client sent none, `Some(b"")` when it sent an empty one (`=`).
    pub fn start(&mut self, initial: Option<&[u8]>) -> ServerStep {
        if !matches!(self.phase, Phase::New) {
            return self.fail(AuthError::UnexpectedStep);
        }
        if initial.is_some_and(|data| data.len() > self.config.max_message_len) {
            return self.fail(AuthError::TooLong);
        }
        if self.mechanism.client_first() && initial.is_none() {
            self.phase = Phase::AwaitingFirst;
            return ServerStep::Challenge(Vec::new());
        }
        // Server-first mechanisms read an empty initial response as none.
        let initial = initial.filter(|data| self.mechanism.client_first() || !data.is_empty());
        self.phase = Phase::Running;
        let next = self.exchange.start(&self.config, initial);
        self.advance(next)
    }

    /// Feeds the client's response to the last challenge.
    pub fn step(&mut self, response: &[u8]) -> ServerStep {
        if response.len() > self.config.max_message_len {
            return self.fail(AuthError::TooLong);
        }
        match std::mem::replace(&mut self.phase, Phase::Running) {
            Phase::AwaitingFirst => {
                let next = self.exchange.start(&self.config, Some(response));
                self.advance(next)
            }
            Phase::Running => {
                let next = self.exchange.step(&self.config, response);
                self.advance(next)
            }
            Phase::AwaitingFinalAck(identity) if response.is_empty() => {
                self.succeed(identity, None)
            }
            Phase::AwaitingFinalAck(_) => {
                self.fail(AuthError::Malformed("expected empty response"))
            }
            _ => self.fail(AuthError::UnexpectedStep),
        }
    }

    /// [`start`](Self::start) from the protocol's argument form: `None` when
    /// the command had no initial response, else its base64 text (`=` for
    /// empty, `*` to cancel). Bad base64 ends the exchange as malformed.
    pub fn start_line(&mut self, argument: Option<&[u8]>) -> ServerStep {
        match argument.map(crate::line::decode_initial_response) {
            None => self.start(None),
            Some(Ok(ClientLine::Data(data))) => self.start(Some(&data)),
            Some(Ok(ClientLine::Cancel)) => self.cancel(),
            Some(Err(_)) => self.fail(AuthError::Malformed("invalid base64")),
        }
    }

    /// [`step`](Self::step) from a base64 response line (`*` cancels).
    pub fn step_line(&mut self, line: &[u8]) -> ServerStep {
        match crate::line::decode_response(line) {
            Ok(ClientLine::Data(data)) => self.step(&data),
            Ok(ClientLine::Cancel) => self.cancel(),
            Err(_) => self.fail(AuthError::Malformed("invalid base64")),
        }
    }

    /// Passes the answer to the last [`ServerStep::Lookup`].
    pub fn resume(&mut self, answer: Answer) -> ServerStep {
        match std::mem::replace(&mut self.phase, Phase::Running) {
            Phase::AwaitingAnswer => {
                let next = self.exchange.resume(&self.config, answer);
                self.advance(next)
            }
            Phase::AwaitingAuthorization(identity, final_data) => match answer {
                Answer::Verified(true) => self.finish(identity, final_data),
                Answer::Verified(false) => self.fail(AuthError::AuthorizationFailed),
                Answer::Unavailable => self.fail(AuthError::Temporary),
                _ => self.fail(AuthError::UnexpectedStep),
            },
            _ => self.fail(AuthError::UnexpectedStep),
        }
    }

    /// The client cancelled (`*`).
    pub fn cancel(&mut self) -> ServerStep {
        self.fail(AuthError::Cancelled)
    }

    /// [`start`](Self::start), answering look-ups from `store`.
    pub async fn start_with<S>(&mut self, initial: Option<&[u8]>, store: &S) -> ServerStep
    where
        S: CredentialStore + ?Sized,
    {
        let step = self.start(initial);
        self.answer_lookups(step, store).await
    }

    /// [`step`](Self::step), answering look-ups from `store`.
    pub async fn step_with<S>(&mut self, response: &[u8], store: &S) -> ServerStep
    where
        S: CredentialStore + ?Sized,
    {
        let step = self.step(response);
        self.answer_lookups(step, store).await
    }

    async fn answer_lookups<S>(&mut self, mut step: ServerStep, store: &S) -> ServerStep
    where
        S: CredentialStore + ?Sized,
    {
        while let ServerStep::Lookup(request) = step {
            let reply = answer(store, &request).await;
            step = self.resume(reply);
        }
        step
    }

    fn advance(&mut self, next: Next) -> ServerStep {
        match next {
            Next::Challenge(challenge) => {
                self.phase = Phase::Running;
                ServerStep::Challenge(challenge)
            }
            Next::Lookup(request) => {
                self.phase = Phase::AwaitingAnswer;
                ServerStep::Lookup(request)
            }
            Next::Authenticated {
                identity,
                final_data,
            } => match identity.requested_authorization_id.clone() {
                Some(authzid) if authzid != identity.authentication_id => {
                    let user = identity.authentication_id.clone();
                    self.phase = Phase::AwaitingAuthorization(identity, final_data);
                    ServerStep::Lookup(CredentialRequest::Authorize { user, authzid })
                }
                _ => {
                    let identity = Identity {
                        requested_authorization_id: None,
                        ..identity
                    };
                    self.finish(identity, final_data)
                }
            },
            Next::Fail(error) => self.fail(error),
        }
    }

    fn finish(&mut self, identity: Identity, final_data: Option<Vec<u8>>) -> ServerStep {
        match final_data {
            Some(data) if !self.config.success_data => {
                self.phase = Phase::AwaitingFinalAck(identity);
                ServerStep::Challenge(data)
            }
            data => self.succeed(identity, data),
        }
    }

    fn succeed(&mut self, identity: Identity, additional_data: Option<Vec<u8>>) -> ServerStep {
        self.phase = Phase::Done;
        ServerStep::Success(Success {
            identity,
            additional_data,
        })
    }

    fn fail(&mut self, error: AuthError) -> ServerStep {
        self.phase = Phase::Done;
        ServerStep::Failure(error)
    }
}

/// Interprets an answer to a password verification or authorization.
pub(crate) fn verified(answer: Answer) -> Result<bool, AuthError> {
    match answer {
        Answer::Verified(yes) => Ok(yes),
        Answer::Unavailable => Err(AuthError::Temporary),
        _ => Err(AuthError::UnexpectedStep),
    }
}

/// Interprets an answer that names a user.
pub(crate) fn user_answer(answer: Answer) -> Result<Option<String>, AuthError> {
    match answer {
        Answer::User(user) => Ok(user),
        Answer::Unavailable => Err(AuthError::Temporary),
        _ => Err(AuthError::UnexpectedStep),
    }
}

/// Decodes a client message as UTF-8.
pub(crate) fn utf8(data: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(data).map_err(|_| AuthError::Malformed("not UTF-8"))
}
