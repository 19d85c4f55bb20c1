//! Command dispatch: order, policy and parameter checks before the caller
//! is asked anything.

use crate::address::{Domain, ForwardPath, Mailbox, ReversePath};
use crate::bdat::BdatDecoder;
use crate::capabilities::Capabilities;
use crate::command::Command;
use crate::data::DataDecoder;
use crate::params::{Body, MailParams, Param, RcptParams};
use crate::reply::Reply;

use super::{Event, Helo, MailState, Pending, Phase, ServerSession, replies};

impl ServerSession {
    /// Handles the next complete command line; `false` when more input is needed.
    pub(super) fn next_command(&mut self) -> bool {
        let line = match self.next_line(replies::line_too_long) {
            None => return false,
            Some(Err(reply)) => {
                self.send_counted(&reply, true);
                return true;
            }
            Some(Ok(line)) => line,
        };
        match Command::parse(&line) {
            Ok(command) => self.dispatch(command),
            Err(error) => self.send_counted(&error.reply(), true),
        }
        true
    }

    fn dispatch(&mut self, command: Command) {
        match command {
            Command::Ehlo(_) | Command::Helo(_) if self.config.lmtp => {
                self.send_counted(&replies::unrecognized(), true)
            }
            Command::Lhlo(_) if !self.config.lmtp => {
                self.send_counted(&replies::unrecognized(), true)
            }
            Command::Ehlo(name) | Command::Lhlo(name) => self.hello(name, true),
            Command::Helo(name) => self.hello(name, false),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.reset_transaction();
                self.send(&replies::reset_ok(), false);
            }
            Command::Noop(_) => self.send(&replies::ok(), true),
            Command::Help(_) => self.send(&replies::help(), true),
            Command::Quit => {
                let bye = replies::bye(&self.config.hostname);
                self.reset_transaction();
                self.send(&bye, true);
                self.close();
            }
            Command::Vrfy(arg) if self.config.vrfy => self.ask(Event::Vrfy(arg)),
            Command::Vrfy(_) => self.send(&replies::cannot_vrfy(), true),
            Command::Expn(arg) if self.config.expn => self.ask(Event::Expn(arg)),
            Command::Expn(_) => self.send(&replies::cannot_expn(), true),
            Command::Etrn(arg) if self.config.etrn => self.ask(Event::Etrn(arg)),
            Command::Etrn(_) => self.send_counted(&replies::not_implemented(), true),
            Command::StartTls => self.start_tls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(&mechanism, initial_response.as_deref()),
        }
    }

    fn ask(&mut self, event: Event) {
        self.phase = Phase::Waiting(Pending::Verify);
        self.events.push_back(event);
    }

    /// The EHLO keywords this connection offers now.
    pub(super) fn capabilities(&self) -> Capabilities {
        let mut caps = self.extensions();
        if self.auth_allowed_now() {
            caps.auth = self
                .offered_mechanisms()
                .map(|mech| mech.name().to_string())
                .collect();
        }
        caps
    }

    /// The keywords offered now, without the AUTH mechanism list (which
    /// MAIL's parameter checks do not need and which costs allocations).
    fn extensions(&self) -> Capabilities {
        let config = &self.config;
        Capabilities {
            size: Some(config.max_message_size),
            pipelining: config.pipelining,
            eight_bit_mime: config.eight_bit_mime,
            smtputf8: config.smtputf8,
            chunking: config.chunking,
            binary_mime: config.chunking && config.binary_mime,
            starttls: config.starttls && self.tls.is_none(),
            enhanced_status_codes: true,
            dsn: config.dsn,
            require_tls: config.require_tls_extension && self.tls.is_some(),
            etrn: config.etrn,
            help: true,
            ..Capabilities::default()
        }
    }

    fn hello(&mut self, name: String, extended: bool) {
        self.reset_transaction();
        let reply = if extended {
            self.capabilities()
                .ehlo_reply(&self.config.hostname, &format!("Hello {name}"))
        } else {
            Reply::new(250, None, self.config.hostname.clone())
        };
        self.helo = Some(Helo { extended, name });
        self.send(&reply, true);
    }

    /// Checks that apply to MAIL; `Err` is the reply refusing it.
    fn check_mail(&self, from: &ReversePath, params: &MailParams) -> Result<MailState, Reply> {
        let config = &self.config;
        let extended = match &self.helo {
            Some(helo) => helo.extended,
            None if config.require_helo && config.lmtp => return Err(replies::send_lhlo_first()),
            None if config.require_helo => return Err(replies::send_helo_first()),
            None => false,
        };
        if self.tx.mail.is_some() {
            return Err(replies::nested_mail());
        }
        if config.require_tls_for_mail && self.tls.is_none() {
            return Err(replies::must_starttls());
        }
        if config.require_auth && self.identity.is_none() {
            return Err(replies::auth_required());
        }
        self.check_mail_params(from, params, extended)
    }

    fn check_mail_params(
        &self,
        from: &ReversePath,
        params: &MailParams,
        extended: bool,
    ) -> Result<MailState, Reply> {
        let config = &self.config;
        let caps = self.extensions();
        let has_params = params != &MailParams::default();
        let supported = (extended || !has_params)
            && match params.body {
                Some(Body::EightBitMime) => caps.eight_bit_mime,
                Some(Body::BinaryMime) => caps.binary_mime,
                Some(Body::SevenBit) | None => true,
            }
            && (!params.smtputf8 || caps.smtputf8)
            && ((params.ret.is_none() && params.envid.is_none()) || caps.dsn)
            && (params.auth.is_none() || !config.auth_mechanisms.is_empty())
            && (!params.require_tls || caps.require_tls)
            && self.known_parameters(&params.other);
        if !supported {
            return Err(replies::unsupported_parameter());
        }
        if params
            .size
            .is_some_and(|size| size > config.max_message_size)
        {
            return Err(replies::message_too_big());
        }
        if let ReversePath::Mailbox(mailbox) = from
            && !params.smtputf8
            && !is_ascii(mailbox)
        {
            return Err(replies::utf8_needs_smtputf8());
        }
        Ok(MailState {
            smtputf8: params.smtputf8,
            binary: params.body == Some(Body::BinaryMime),
        })
    }

    fn known_parameters(&self, other: &[Param]) -> bool {
        other.iter().all(|param| {
            self.config
                .extra_parameters
                .iter()
                .any(|known| known.eq_ignore_ascii_case(&param.keyword))
        })
    }

    fn mail(&mut self, from: ReversePath, params: MailParams) {
        match self.check_mail(&from, &params) {
            Ok(state) => {
                self.phase = Phase::Waiting(Pending::Mail(state));
                self.events.push_back(Event::Mail { from, params });
            }
            Err(reply) => self.send_counted(&reply, false),
        }
    }

    fn check_rcpt(&self, to: &ForwardPath, params: &RcptParams) -> Result<(), Reply> {
        let Some(mail) = &self.tx.mail else {
            return Err(replies::need_mail());
        };
        if self.tx.body_started {
            return Err(replies::bdat_in_progress());
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.config.dsn
            || !self.known_parameters(&params.other)
        {
            return Err(replies::unsupported_parameter());
        }
        if let ForwardPath::Mailbox(mailbox) = to
            && !mail.smtputf8
            && !is_ascii(mailbox)
        {
            return Err(replies::utf8_needs_smtputf8());
        }
        if self.tx.recipients >= self.config.max_recipients {
            return Err(replies::too_many_recipients());
        }
        Ok(())
    }

    fn rcpt(&mut self, to: ForwardPath, params: RcptParams) {
        match self.check_rcpt(&to, &params) {
            Ok(()) => {
                self.phase = Phase::Waiting(Pending::Rcpt);
                self.events.push_back(Event::Rcpt { to, params });
            }
            Err(reply) => self.send_counted(&reply, false),
        }
    }

    /// Checks that apply to DATA and to every BDAT.
    fn check_body(&self) -> Result<(), Reply> {
        match &self.tx.mail {
            None => Err(replies::need_mail()),
            Some(_) if self.tx.recipients == 0 => Err(replies::need_rcpt()),
            Some(_) => Ok(()),
        }
    }

    fn data(&mut self) {
        let checked = self.check_body().and_then(|()| {
            if self.tx.body_started {
                Err(replies::bdat_in_progress())
            } else if self.tx.mail.as_ref().is_some_and(|mail| mail.binary) {
                Err(replies::binarymime_needs_bdat())
            } else {
                Ok(())
            }
        });
        if let Err(reply) = checked {
            self.send_counted(&reply, true);
            return;
        }
        self.send(&replies::start_data(), true);
        self.tx.body_started = true;
        self.events.push_back(Event::DataStart);
        self.phase = Phase::Data(DataDecoder::new(
            self.config.max_message_size,
            self.config.line_endings,
        ));
    }

    /// BDAT's octets always follow the command, so they are drained even
    /// when the command is refused: they must never be read as commands.
    fn bdat(&mut self, size: u64, last: bool) {
        let failure = if !self.config.chunking {
            Some(replies::not_implemented())
        } else {
            self.check_body().err().or_else(|| {
                self.tx.bdat_size = self.tx.bdat_size.saturating_add(size);
                (self.tx.bdat_size > self.config.max_message_size).then(replies::message_too_big)
            })
        };
        if failure.is_none() && !self.tx.body_started {
            self.tx.body_started = true;
            self.events.push_back(Event::DataStart);
        }
        self.phase = Phase::Bdat {
            chunk: BdatDecoder::new(size),
            size,
            last,
            failure,
        };
    }

    fn start_tls(&mut self) {
        let refusal = if !self.config.starttls {
            Some(replies::not_implemented())
        } else if self.tls.is_some() {
            Some(replies::tls_already_active())
        } else if self.tx.mail.is_some() {
            Some(replies::not_in_transaction())
        } else {
            None
        };
        if let Some(reply) = refusal {
            self.send_counted(&reply, true);
            return;
        }
        self.send(&replies::ready_for_tls(), true);
        // Anything the client pipelined after STARTTLS was sent in the
        // clear and could be an attacker's injected command.
        self.input.clear();
        self.phase = Phase::StartingTls;
        self.events.push_back(Event::StartTls);
    }

    /// The TLS handshake after [`Event::StartTls`] succeeded: the session
    /// starts over as RFC 3207 §4.2 requires (the client must EHLO again,
    /// nothing learnt in the clear is kept).
    pub fn tls_started(&mut self, info: super::TlsInfo) {
        if !matches!(self.phase, Phase::StartingTls) {
            return;
        }
        self.input.clear();
        self.lines = crate::line::LineReader::new(self.config.max_line_length);
        self.tls = Some(info);
        self.helo = None;
        self.identity = None;
        self.tx = super::Transaction::default();
        self.phase = Phase::Command;
    }
}

fn is_ascii(mailbox: &Mailbox) -> bool {
    mailbox.local_part.is_ascii()
        && match &mailbox.domain {
            Domain::Name(name) => name.is_ascii(),
            _ => true,
        }
}
