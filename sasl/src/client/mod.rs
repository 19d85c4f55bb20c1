//! The client side: one sans-IO state machine per exchange.
//!
//! Send [`ClientSession::initial_response`] with the command when the
//! protocol allows it (SASL-IR, `AUTH mech ir`), answer each challenge with
//! [`ClientSession::step`], and on the server's success call
//! [`ClientSession::finish`], which checks that the server proved itself
//! where the mechanism lets it (SCRAM).

mod scram;

use crate::oauth::{encode_oauthbearer, encode_xoauth2, error_status, is_b64token};
use crate::server::cram_md5_digest;
use crate::{ChannelBinding, ClientError, Mechanism, Secret};

/// What the client authenticates with.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// The authentication identity (user name).
    pub user: String,
    /// The password, for PLAIN, LOGIN, CRAM-MD5 and SCRAM.
    pub password: Option<Secret>,
    /// The authorization identity to act as, if different from `user`
    /// (PLAIN, SCRAM, EXTERNAL).
    pub authzid: Option<String>,
    /// The OAuth 2.0 bearer token, for OAUTHBEARER and XOAUTH2.
    pub token: Option<Secret>,
    /// The server's host name and port, sent with OAUTHBEARER.
    pub host: Option<(String, u16)>,
    /// Channel-binding data of the connection: required for -PLUS; for
    /// plain SCRAM it makes the client say it could have bound (`y`).
    pub channel_binding: Option<ChannelBinding>,
    /// ANONYMOUS trace information.
    pub trace: Option<String>,
    /// A fixed client nonce instead of a random one — only for reproducing
    /// published test vectors.
    pub fixed_nonce: Option<String>,
}

impl ClientConfig {
    /// A user name and password.
    pub fn password(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            user: user.into(),
            password: Some(password.into()),
            ..Self::default()
        }
    }

    /// A user name and OAuth 2.0 bearer token.
    pub fn token(user: impl Into<String>, token: impl Into<Secret>) -> Self {
        Self {
            user: user.into(),
            token: Some(token.into()),
            ..Self::default()
        }
    }

    /// EXTERNAL: credentials come from the TLS layer; optionally ask to act as `authzid`.
    pub fn external(authzid: Option<String>) -> Self {
        Self {
            authzid,
            ..Self::default()
        }
    }

    /// ANONYMOUS with optional trace information.
    pub fn anonymous(trace: Option<String>) -> Self {
        Self {
            trace,
            ..Self::default()
        }
    }

    /// Asks to act as `authzid`.
    pub fn with_authzid(mut self, authzid: impl Into<String>) -> Self {
        self.authzid = Some(authzid.into());
        self
    }

    /// Supplies channel-binding data.
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_binding = Some(binding);
        self
    }

    /// Supplies the server's host and port (OAUTHBEARER).
    pub fn with_host(mut self, host: impl Into<String>, port: u16) -> Self {
        self.host = Some((host.into(), port));
        self
    }

    fn require_password(&self) -> Result<&Secret, ClientError> {
        self.password
            .as_ref()
            .ok_or(ClientError::MissingCredentials("password"))
    }

    fn require_token(&self) -> Result<String, ClientError> {
        let token = self
            .token
            .as_ref()
            .ok_or(ClientError::MissingCredentials("token"))?;
        match token.as_str() {
            Some(token) if is_b64token(token) => Ok(token.to_string()),
            _ => Err(ClientError::InvalidCredentials(
                "not an RFC 6750 bearer token",
            )),
        }
    }
}

#[derive(Debug)]
enum State {
    /// Client-first mechanisms: the first message, not yet sent.
    /// (A `Secret`: it holds the password or token.)
    First(Secret),
    /// LOGIN: which prompt comes next.
    Login {
        sent_user: bool,
        sent_password: bool,
    },
    CramMd5,
    Scram(Box<scram::ScramClient>),
    /// Bearer mechanisms after the token went out: a challenge now means refusal.
    BearerSent {
        ack: &'static [u8],
    },
    /// The server refused a token and we acknowledged.
    Refused(String),
    /// Nothing more to send; waiting for the outcome.
    Sent,
}

/// A client-side exchange of one mechanism.
#[derive(Debug)]
pub struct ClientSession {
    mechanism: Mechanism,
    config: ClientConfig,
    state: State,
}

impl ClientSession {
    /// Prepares an exchange; fails when `config` lacks what `mechanism` needs.
    pub fn new(mechanism: Mechanism, config: ClientConfig) -> Result<Self, ClientError> {
        let state = match mechanism {
            Mechanism::Plain => {
                let password = config.require_password()?.as_bytes();
                let authzid = config.authzid.as_deref().unwrap_or_default();
                if [config.user.as_bytes(), authzid.as_bytes(), password]
                    .iter()
                    .any(|f| f.contains(&0))
                {
                    return Err(ClientError::InvalidCredentials(
                        "PLAIN fields cannot contain NUL",
                    ));
                }
                let mut message = config.authzid.clone().unwrap_or_default().into_bytes();
                message.push(0);
                message.extend_from_slice(config.user.as_bytes());
                message.push(0);
                message.extend_from_slice(password);
                State::First(Secret::from(message))
            }
            Mechanism::Login => {
                config.require_password()?;
                State::Login {
                    sent_user: false,
                    sent_password: false,
                }
            }
            Mechanism::CramMd5 => {
                config.require_password()?;
                State::CramMd5
            }
            Mechanism::ScramSha1
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256
            | Mechanism::ScramSha256Plus => {
                State::Scram(Box::new(scram::ScramClient::new(mechanism, &config)?))
            }
            Mechanism::OAuthBearer => {
                let token = config.require_token()?;
                let host = config.host.as_ref();
                let user = Some(config.user.as_str()).filter(|user| !user.is_empty());
                State::First(Secret::from(encode_oauthbearer(
                    user,
                    host.map(|(host, _)| host.as_str()),
                    host.map(|(_, port)| *port),
                    &token,
                )))
            }
            Mechanism::XOAuth2 => {
                if config.user.is_empty() || config.user.contains('\u{1}') {
                    return Err(ClientError::InvalidCredentials(
                        "XOAUTH2 needs a user without ^A",
                    ));
                }
                State::First(Secret::from(encode_xoauth2(
                    &config.user,
                    &config.require_token()?,
                )))
            }
            Mechanism::External => State::First(Secret::from(
                config.authzid.clone().unwrap_or_default().into_bytes(),
            )),
            Mechanism::Anonymous => State::First(Secret::from(
                config.trace.clone().unwrap_or_default().into_bytes(),
            )),
        };
        Ok(Self {
            mechanism,
            config,
            state,
        })
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response to send with the command, for client-first
    /// mechanisms; `None` for LOGIN and CRAM-MD5, or if it was already sent.
    /// An empty `Some` must be sent as `=`.
    pub fn initial_response(&mut self) -> Option<Vec<u8>> {
        match &mut self.state {
            State::First(message) => {
                let message = std::mem::take(message).as_bytes().to_vec();
                self.state = self.after_first();
                Some(message)
            }
            State::Scram(client) => client.client_first(),
            _ => None,
        }
    }

    /// Answers a server challenge.
    pub fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        match &mut self.state {
            // The server sent an empty challenge because we sent no initial response.
            State::First(_) if challenge.is_empty() => {
                Ok(self.initial_response().unwrap_or_default())
            }
            State::First(_) => Err(ClientError::Malformed("expected an empty first challenge")),
            State::Login {
                sent_user,
                sent_password,
            } => {
                let wants_password = String::from_utf8_lossy(challenge)
                    .to_ascii_lowercase()
                    .contains("pass");
                if !*sent_user && !wants_password {
                    *sent_user = true;
                    Ok(self.config.user.clone().into_bytes())
                } else if !*sent_password {
                    *sent_user = true;
                    *sent_password = true;
                    Ok(self.config.require_password()?.as_bytes().to_vec())
                } else {
                    Err(ClientError::UnexpectedChallenge)
                }
            }
            State::CramMd5 => {
                let digest = cram_md5_digest(self.config.require_password()?.as_bytes(), challenge);
                self.state = State::Sent;
                Ok(format!("{} {digest}", self.config.user).into_bytes())
            }
            State::Scram(client) => client.step(challenge),
            State::BearerSent { ack } => {
                let ack = ack.to_vec();
                self.state = State::Refused(error_status(challenge));
                Ok(ack)
            }
            State::Refused(_) | State::Sent => Err(ClientError::UnexpectedChallenge),
        }
    }

    /// Called when the server reports success, with the additional data the
    /// success reply carried, if any. Fails if the server did not prove
    /// itself (SCRAM) or reported an error.
    pub fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        match &mut self.state {
            State::Scram(client) => client.finish(additional_data),
            State::Refused(status) => Err(ClientError::ServerError(status.clone())),
            State::First(_) => Err(ClientError::Incomplete),
            State::Login {
                sent_password: false,
                ..
            } => Err(ClientError::Incomplete),
            State::CramMd5 => Err(ClientError::Incomplete),
            _ => match additional_data {
                Some(data) if !data.is_empty() => Err(ClientError::UnexpectedChallenge),
                _ => Ok(()),
            },
        }
    }

    fn after_first(&self) -> State {
        match self.mechanism {
            Mechanism::OAuthBearer => State::BearerSent { ack: b"\x01" },
            Mechanism::XOAuth2 => State::BearerSent { ack: b"" },
            _ => State::Sent,
        }
    }
}
