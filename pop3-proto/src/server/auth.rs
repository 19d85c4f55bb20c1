//! The AUTHORIZATION state: USER/PASS, APOP, AUTH (RFC 5034 through the
//! `sasl` crate), and opening the maildrop.

use sasl::{Answer, AuthError, CredentialRequest, Mechanism, ServerStep};
use wire::TlsInfo;

use super::transaction::Maildrop;
use super::{Event, Lookup, OpenFailure, Phase, ServerSession, SessionError, replies};
use crate::maildrop::MessageInfo;
use crate::response::{Response, encode_challenge};

impl ServerSession {
    /// Whether logins that reveal the password (or, for APOP, a digest
    /// open to offline guessing) may be used on this connection now.
    pub(super) fn plaintext_allowed(&self) -> bool {
        self.tls.is_some() || !self.config.require_tls_for_auth
    }

    /// The SASL settings of this connection: the configured ones plus what
    /// TLS established.
    fn sasl_config(&self) -> sasl::ServerConfig {
        let mut config = TlsInfo::sasl_config(
            self.tls.as_ref(),
            &self.config.sasl,
            &self.config.hostname,
            &self.config.auth_mechanisms,
        );
        // RFC 5034 §4: POP3 has no additional data with success.
        config.success_data = false;
        config
    }

    /// The mechanisms offered on this connection now.
    pub(super) fn offered_mechanisms(&self) -> impl Iterator<Item = Mechanism> + '_ {
        let sasl = self.sasl_config();
        let plaintext = self.plaintext_allowed();
        self.config
            .auth_mechanisms
            .iter()
            .copied()
            .filter(move |mech| sasl.offers(*mech) && (plaintext || !mech.sends_plaintext()))
    }

    pub(super) fn user(&mut self, user: String) {
        if !self.config.user_pass {
            self.send_counted(&replies::not_available());
        } else if !self.plaintext_allowed() {
            self.send_counted(&replies::plaintext_disallowed());
        } else {
            // Always +OK: the answer must not tell which users exist.
            self.user = Some(user);
            self.send(&replies::user_accepted());
        }
    }

    pub(super) fn pass(&mut self, password: sasl::Secret) {
        if !self.config.user_pass {
            self.send_counted(&replies::not_available());
        } else if !self.plaintext_allowed() {
            self.send_counted(&replies::plaintext_disallowed());
        } else if let Some(user) = self.user.take() {
            self.phase = Phase::AuthLookup(Lookup::Pass { user: user.clone() });
            self.events
                .push_back(Event::AuthLookup(CredentialRequest::VerifyPassword {
                    user,
                    password,
                }));
        } else {
            self.send_counted(&replies::no_user());
        }
    }

    pub(super) fn apop(&mut self, user: String, digest: String) {
        self.user = None;
        if self.apop.is_none() {
            self.send_counted(&replies::not_available());
        } else if !self.plaintext_allowed() {
            self.send_counted(&replies::plaintext_disallowed());
        } else {
            self.phase = Phase::AuthLookup(Lookup::Apop {
                user: user.clone(),
                digest,
            });
            self.events
                .push_back(Event::AuthLookup(CredentialRequest::PlaintextPassword {
                    user,
                }));
        }
    }

    /// `AUTH` without arguments: the mechanisms as a multi-line list (what
    /// RFC 1734 clients such as Outlook ask; Dovecot answers the same).
    pub(super) fn list_mechanisms(&mut self) {
        self.send(&replies::mechanism_list());
        let names: Vec<&'static str> = self.offered_mechanisms().map(Mechanism::name).collect();
        for name in names {
            self.output.extend_from_slice(name.as_bytes());
            self.output.extend_from_slice(b"\r\n");
        }
        self.output.extend_from_slice(b".\r\n");
    }

    pub(super) fn auth(&mut self, mechanism: &str, initial_response: Option<&str>) {
        self.user = None;
        let Ok(mechanism) = mechanism.parse::<Mechanism>() else {
            self.send_counted(&replies::unknown_mechanism());
            return;
        };
        if !self
            .offered_mechanisms()
            .any(|offered| offered == mechanism)
        {
            let refusal = if self.config.auth_mechanisms.contains(&mechanism)
                && mechanism.sends_plaintext()
                && !self.plaintext_allowed()
            {
                replies::plaintext_disallowed()
            } else {
                replies::unknown_mechanism()
            };
            self.send_counted(&refusal);
            return;
        }
        let mut exchange = Box::new(sasl::ServerSession::new(mechanism, self.sasl_config()));
        let step = exchange.start_line(initial_response.map(str::as_bytes));
        self.auth_step(exchange, step);
    }

    /// Reads the client's next AUTH response line; `false` when more input is needed.
    pub(super) fn next_auth_line(&mut self) -> bool {
        let Some(line) = self.next_line() else {
            return false;
        };
        let Phase::Auth(mut exchange) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return false;
        };
        match line {
            Ok(line) => {
                let step = exchange.step_line(&line);
                self.auth_step(exchange, step);
            }
            Err(()) => {
                exchange.cancel();
                self.send_counted(&replies::auth_line_too_long());
            }
        }
        self.flush_if_full();
        true
    }

    fn auth_step(&mut self, exchange: Box<sasl::ServerSession>, step: ServerStep) {
        match step {
            ServerStep::Challenge(challenge) => {
                encode_challenge(&challenge, &mut self.output);
                self.phase = Phase::Auth(exchange);
            }
            ServerStep::Lookup(request) => {
                self.phase = Phase::AuthLookup(Lookup::Sasl(exchange));
                self.events.push_back(Event::AuthLookup(request));
            }
            ServerStep::Success(success) => self.authenticated(success.identity),
            ServerStep::Failure(error) => {
                self.phase = Phase::Command;
                match error {
                    AuthError::Cancelled => self.send(&replies::auth_cancelled()),
                    AuthError::Malformed(_) => self.send_counted(&replies::auth_malformed()),
                    AuthError::TooLong => self.send_counted(&replies::auth_line_too_long()),
                    AuthError::Temporary => self.send(&replies::auth_temporary()),
                    AuthError::Unavailable => self.send_counted(&replies::unknown_mechanism()),
                    _ => self.login_failed(),
                }
            }
        }
    }

    /// Answers the pending [`Event::AuthLookup`] (see [`sasl::answer`]).
    ///
    /// For USER/PASS: [`Answer::Verified`]; for APOP: [`Answer::Plaintext`]
    /// (`None` when the user is unknown or has no plaintext password); for
    /// AUTH: what the request asks. [`Answer::Unavailable`] gives `-ERR
    /// [SYS/TEMP]`; wrong credentials give `-ERR [AUTH] Authentication
    /// failed` and count towards
    /// [`max_auth_failures`](super::ServerConfig::max_auth_failures).
    pub fn auth_answer(&mut self, answer: Answer) -> Result<(), SessionError> {
        let lookup = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AuthLookup(lookup) => lookup,
            other => {
                self.phase = other;
                return Err(SessionError::NotWaiting);
            }
        };
        match lookup {
            Lookup::Sasl(mut exchange) => {
                let step = exchange.resume(answer);
                self.auth_step(exchange, step);
            }
            Lookup::Pass { user } => match answer {
                Answer::Verified(true) => self.authenticated(identity(user)),
                Answer::Verified(false) => self.login_failed(),
                _ => self.send(&replies::auth_temporary()),
            },
            Lookup::Apop { user, digest } => match answer {
                Answer::Plaintext(Some(password)) => {
                    let expected = self
                        .apop
                        .as_ref()
                        .map(|timestamp| crate::apop::digest(timestamp, password.as_bytes()));
                    // Secret compares in constant time.
                    let matches = expected.is_some_and(|expected| {
                        sasl::Secret::from(expected) == sasl::Secret::from(digest)
                    });
                    if matches {
                        self.authenticated(identity(user));
                    } else {
                        self.login_failed();
                    }
                }
                Answer::Plaintext(None) => self.login_failed(),
                _ => self.send(&replies::auth_temporary()),
            },
        }
        Ok(())
    }

    /// Wrong credentials: `-ERR [AUTH]`, counted; too many close the session.
    fn login_failed(&mut self) {
        self.send(&replies::auth_failed());
        self.auth_failures += 1;
        if self.auth_failures >= self.config.max_auth_failures {
            self.close();
        }
    }

    /// The credentials are good: ask for the maildrop.
    fn authenticated(&mut self, identity: sasl::Identity) {
        self.user = None;
        self.identity = Some(identity.clone());
        self.phase = Phase::Opening;
        self.events.push_back(Event::OpenMaildrop(identity));
    }

    /// Answers [`Event::OpenMaildrop`]: the maildrop is open and locked,
    /// with these messages (message number `n` is `messages[n - 1]`). The
    /// session writes `+OK Logged in, N messages (S octets)` and enters the
    /// TRANSACTION state.
    pub fn maildrop_opened(&mut self, messages: Vec<MessageInfo>) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Opening) {
            return Err(SessionError::NotWaiting);
        }
        let maildrop = Maildrop::new(messages);
        self.send(&replies::logged_in(maildrop.count(), maildrop.octets()));
        self.maildrop = Some(maildrop);
        self.phase = Phase::Command;
        Ok(())
    }

    /// Answers [`Event::OpenMaildrop`]: the maildrop could not be opened.
    /// The session writes `-ERR` with the failure's response code, forgets
    /// the identity and stays in the AUTHORIZATION state.
    pub fn maildrop_failed(&mut self, failure: OpenFailure) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Opening) {
            return Err(SessionError::NotWaiting);
        }
        let response: Response = match failure {
            OpenFailure::InUse => replies::in_use(),
            OpenFailure::LoginDelay => replies::login_delay(),
            OpenFailure::Temporary => replies::open_temporary(),
            OpenFailure::Permanent => replies::open_permanent(),
        };
        self.send(&response);
        self.identity = None;
        self.phase = Phase::Command;
        Ok(())
    }
}

fn identity(user: String) -> sasl::Identity {
    sasl::Identity {
        authentication_id: user,
        requested_authorization_id: None,
        trace: None,
    }
}
