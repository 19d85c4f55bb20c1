//! Command dispatch: which command is valid in which state, CAPA, STLS,
//! UTF8 and QUIT.

use crate::capabilities::{Capabilities, Expire, LoginDelay};
use crate::command::Command;
use crate::parse::ParseError;

use super::{Event, Phase, ServerSession, replies};

impl ServerSession {
    /// Handles the next complete command line; `false` when more input is needed.
    pub(super) fn next_command(&mut self) -> bool {
        let line = match self.next_line() {
            None => return false,
            Some(Err(())) => {
                self.send_counted(&replies::line_too_long());
                self.flush_if_full();
                return true;
            }
            Some(Ok(line)) => line,
        };
        match Command::parse(&line, &self.config.limits) {
            Ok(command) => self.dispatch(command),
            Err(error) => self.send_counted(&parse_error(error)),
        }
        self.flush_if_full();
        true
    }

    fn dispatch(&mut self, command: Command) {
        match command {
            Command::Capa => self.capa(),
            Command::Quit => self.quit(),
            command if self.maildrop.is_some() => self.transaction_command(command),
            Command::User(user) => self.user(user),
            Command::Pass(password) => self.pass(password),
            Command::Apop { user, digest } => self.apop(user, digest),
            Command::Auth {
                mechanism: None, ..
            } => self.list_mechanisms(),
            Command::Auth {
                mechanism: Some(mechanism),
                initial_response,
            } => self.auth(&mechanism, initial_response.as_deref()),
            Command::Stls => self.stls(),
            Command::Utf8 => self.utf8(),
            Command::Stat
            | Command::List(_)
            | Command::Retr(_)
            | Command::Dele(_)
            | Command::Noop
            | Command::Rset
            | Command::Top { .. }
            | Command::Uidl(_) => self.send_counted(&replies::not_authenticated()),
        }
    }

    /// What this connection offers now.
    pub fn capabilities(&self) -> Capabilities {
        let config = &self.config;
        let authorization = self.maildrop.is_none();
        let user = authorization && config.user_pass && self.plaintext_allowed();
        Capabilities {
            top: true,
            uidl: true,
            resp_codes: true,
            auth_resp_code: true,
            pipelining: config.pipelining,
            expire: config.expire.map(|expire| Expire {
                per_user: expire.per_user && authorization,
                ..expire
            }),
            login_delay: config.login_delay.map(|delay| LoginDelay {
                per_user: delay.per_user && authorization,
                ..delay
            }),
            utf8: config.utf8,
            utf8_user: config.utf8 && user,
            stls: authorization && config.stls && self.tls.is_none(),
            user,
            sasl: if authorization {
                self.offered_mechanisms()
                    .map(|mech| mech.name().to_string())
                    .collect()
            } else {
                Vec::new()
            },
            implementation: config.implementation.clone(),
            other: Vec::new(),
        }
    }

    fn capa(&mut self) {
        let capabilities = self.capabilities();
        capabilities.encode(&mut self.output);
    }

    fn quit(&mut self) {
        match &self.maildrop {
            Some(maildrop) => {
                // The UPDATE state: the caller removes the messages, then
                // the session answers and closes.
                let deleted = maildrop.deleted_indices();
                self.phase = Phase::Committing;
                self.events.push_back(Event::Commit { deleted });
            }
            None => {
                let bye = replies::signing_off(&self.config.hostname);
                self.send(&bye);
                self.close();
            }
        }
    }

    fn stls(&mut self) {
        if !self.config.stls {
            self.send_counted(&replies::not_available());
        } else if self.tls.is_some() {
            self.send_counted(&replies::tls_active());
        } else {
            self.send(&replies::begin_tls());
            // Anything pipelined after STLS was sent in the clear and
            // could be an attacker's injected command (RFC 2595 §4).
            self.input.clear();
            self.user = None;
            self.phase = Phase::StartingTls;
            self.flush();
            self.events.push_back(Event::StartTls);
        }
    }

    fn utf8(&mut self) {
        if self.config.utf8 {
            self.utf8 = true;
            self.send(&replies::utf8_enabled());
        } else {
            self.send_counted(&replies::not_available());
        }
    }
}

fn parse_error(error: ParseError) -> crate::response::Response {
    match error {
        ParseError::Empty | ParseError::UnknownCommand => replies::unknown_command(),
        ParseError::ArgumentTooLong => replies::argument_too_long(),
        ParseError::LineTooLong => replies::line_too_long(),
        ParseError::NotUtf8 => replies::not_utf8(),
        _ => replies::syntax_error(),
    }
}
