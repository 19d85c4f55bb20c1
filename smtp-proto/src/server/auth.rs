//! AUTH (RFC 4954) through the `sasl` crate.

use sasl::{AuthError, Mechanism, ServerStep};
use wire::TlsInfo;

use super::{Event, Phase, ServerSession, replies};
use crate::reply::Reply;

impl ServerSession {
    /// Whether AUTH may be used on this connection now (it is configured,
    /// and TLS is up if the policy wants it).
    pub(super) fn auth_allowed_now(&self) -> bool {
        !self.config.auth_mechanisms.is_empty()
            && (self.tls.is_some() || !self.config.require_tls_for_auth)
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
        // SMTP has no "additional data with success" (RFC 4954 §4).
        config.success_data = false;
        config
    }

    /// The mechanisms advertised on this connection.
    pub(super) fn offered_mechanisms(&self) -> impl Iterator<Item = Mechanism> + '_ {
        let sasl = self.sasl_config();
        self.config
            .auth_mechanisms
            .iter()
            .copied()
            .filter(move |mech| sasl.offers(*mech))
    }

    pub(super) fn auth(&mut self, mechanism: &str, initial_response: Option<&str>) {
        let refusal = if self.config.auth_mechanisms.is_empty() {
            Some(replies::auth_not_enabled())
        } else if !self.helo.as_ref().is_some_and(|helo| helo.extended) {
            Some(replies::send_ehlo_first())
        } else if self.identity.is_some() {
            Some(replies::already_authenticated())
        } else if self.tx.mail.is_some() {
            Some(replies::not_in_transaction())
        } else if !self.auth_allowed_now() {
            Some(replies::auth_needs_tls())
        } else {
            None
        };
        if let Some(reply) = refusal {
            self.send_counted(&reply, true);
            return;
        }
        let offered = mechanism
            .parse::<Mechanism>()
            .ok()
            .filter(|mech| self.offered_mechanisms().any(|offered| offered == *mech));
        let Some(mechanism) = offered else {
            self.send_counted(&replies::unknown_mechanism(), true);
            return;
        };
        let mut exchange = Box::new(sasl::ServerSession::new(mechanism, self.sasl_config()));
        let step = exchange.start_line(initial_response.map(str::as_bytes));
        self.auth_step(exchange, step);
    }

    /// Reads the client's next AUTH response line; `false` when more input is needed.
    pub(super) fn next_auth_line(&mut self) -> bool {
        let line = match self.next_line(replies::auth_line_too_long) {
            None => return false,
            Some(line) => line,
        };
        let Phase::Auth(mut exchange) = std::mem::replace(&mut self.phase, Phase::Command) else {
            return false;
        };
        match line {
            Ok(line) => {
                let step = exchange.step_line(&line);
                self.auth_step(exchange, step);
            }
            Err(reply) => {
                exchange.cancel();
                self.send_counted(&reply, true);
            }
        }
        true
    }

    /// Answers the pending [`Event::AuthLookup`] (see [`sasl::answer`]).
    pub fn auth_answer(&mut self, answer: sasl::Answer) -> Result<(), super::SessionError> {
        let mut exchange = match std::mem::replace(&mut self.phase, Phase::Command) {
            Phase::AuthLookup(exchange) => exchange,
            other => {
                self.phase = other;
                return Err(super::SessionError::NotWaiting);
            }
        };
        let step = exchange.resume(answer);
        self.auth_step(exchange, step);
        Ok(())
    }

    fn auth_step(&mut self, exchange: Box<sasl::ServerSession>, step: ServerStep) {
        match step {
            ServerStep::Challenge(challenge) => {
                // RFC 4954: "334" SP [base64]; written raw because an empty
                // challenge still needs its space.
                self.output.extend_from_slice(b"334 ");
                self.output
                    .extend_from_slice(sasl::line::encode_challenge(&challenge).as_bytes());
                self.output.extend_from_slice(b"\r\n");
                self.flush();
                self.phase = Phase::Auth(exchange);
            }
            ServerStep::Lookup(request) => {
                self.phase = Phase::AuthLookup(exchange);
                self.events.push_back(Event::AuthLookup(request));
            }
            ServerStep::Success(success) => {
                self.phase = Phase::Command;
                self.identity = Some(success.identity.clone());
                self.send(&replies::auth_success(), true);
                self.events
                    .push_back(Event::Authenticated(success.identity));
            }
            ServerStep::Failure(error) => {
                self.phase = Phase::Command;
                let reply = failure_reply(&error);
                let counts = matches!(
                    error,
                    AuthError::AuthenticationFailed
                        | AuthError::AuthorizationFailed
                        | AuthError::ChannelBinding
                );
                self.send_counted(&reply, true);
                if counts {
                    self.auth_failures += 1;
                    if self.auth_failures >= self.config.max_auth_failures {
                        self.close_with(replies::too_many_errors(&self.config.hostname));
                    }
                }
            }
        }
    }
}

/// Unknown user, wrong password and refused authorization look the same
/// to the client (RFC 4954 §6: 535 5.7.8).
fn failure_reply(error: &AuthError) -> Reply {
    match error {
        AuthError::Cancelled => replies::auth_cancelled(),
        AuthError::Malformed(_) => replies::auth_malformed(),
        AuthError::TooLong => replies::auth_line_too_long(),
        AuthError::Temporary => replies::auth_temporary(),
        AuthError::Unavailable => replies::unknown_mechanism(),
        _ => replies::auth_failed(),
    }
}
