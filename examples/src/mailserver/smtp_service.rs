//! The SMTP-side policy in front of final delivery, in the spirit of
//! Postfix's smtpd restrictions: the client access map at connect, the
//! sender-login check at MAIL, relay control at RCPT, the `Received:`
//! field at DATA, and one log line per event, maillog-style.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use mailstore::delivery::{DeliverySession, LocalDelivery, smtp_reply};
use mailstore::directory::{Directory, Resolution};
use smtp_proto::adapter::{
    Backend, BackendError, ConnectionInfo, MessageBody, Session, TransactionContext,
};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::{EnhancedCode, ForwardPath, Reply, ReversePath};

use super::config::{AccessAction, Network, canonical};
use super::received::{QueueIds, Trace};

/// Which port a session came in on, which decides relay rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Port 25 (2525): mail for our domains from anyone.
    Mta,
    /// Ports 587 and 465: authenticated users (the session requires AUTH).
    Submission,
    /// LMTP: final delivery for whoever may connect.
    Lmtp,
}

/// The policy settings every session shares.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) hostname: String,
    pub(crate) mynetworks: Vec<Network>,
    /// Longest prefix first.
    pub(crate) client_access: Vec<(Network, AccessAction)>,
    pub(crate) sender_login_check: bool,
    pub(crate) ids: QueueIds,
}

impl Policy {
    /// The access map's verdict for a client: the longest matching prefix.
    fn access(&self, ip: IpAddr) -> Option<AccessAction> {
        self.client_access
            .iter()
            .find(|(net, _)| net.contains(ip))
            .map(|&(_, action)| action)
    }

    fn in_mynetworks(&self, ip: IpAddr) -> bool {
        self.mynetworks.iter().any(|net| net.contains(ip))
    }
}

/// An smtp-proto backend for one listener.
#[derive(Debug, Clone)]
pub(crate) struct SmtpService {
    /// The listener's name in log lines (smtp, submissions, …).
    pub(crate) name: &'static str,
    pub(crate) service: Service,
    pub(crate) delivery: LocalDelivery,
    pub(crate) directory: Directory,
    pub(crate) policy: Arc<Policy>,
}

#[async_trait]
impl Backend for SmtpService {
    type Session = PolicySession;

    async fn connect(&self, info: &ConnectionInfo) -> Result<PolicySession, Reply> {
        let peer = info.peer.map(|addr| canonical(addr.ip()));
        let service = self.name;
        let access = peer.and_then(|ip| self.policy.access(ip));
        let client = Client(peer);
        if access == Some(AccessAction::Reject) {
            tracing::info!("{service}: reject: CONNECT from {client}: 554 5.7.1 Access denied");
            return Err(Reply::new(
                554,
                Some(EnhancedCode::new(5, 7, 1)),
                "Access denied",
            ));
        }
        let trusted = access == Some(AccessAction::Ok)
            || peer.is_some_and(|ip| self.policy.in_mynetworks(ip));
        Ok(PolicySession {
            name: self.name,
            service: self.service,
            inner: self.delivery.session(),
            directory: self.directory.clone(),
            policy: Arc::clone(&self.policy),
            peer,
            trusted,
            login: None,
            hello: None,
            protocol: "SMTP",
            tls: None,
            id: String::new(),
            recipients: Vec::new(),
        })
    }

    fn credentials(&self) -> Option<&dyn sasl::CredentialStore> {
        match self.service {
            Service::Lmtp => None,
            Service::Mta | Service::Submission => Some(&self.directory),
        }
    }
}

/// `[192.0.2.7]` in log lines.
struct Client(Option<IpAddr>);

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "[{ip}]"),
            None => f.write_str("[unknown]"),
        }
    }
}

/// One connection's policy state around a delivery session.
#[derive(Debug)]
pub(crate) struct PolicySession {
    name: &'static str,
    service: Service,
    inner: DeliverySession,
    directory: Directory,
    policy: Arc<Policy>,
    peer: Option<IpAddr>,
    /// In mynetworks, or OK in the access map: may relay.
    trusted: bool,
    login: Option<String>,
    hello: Option<String>,
    protocol: &'static str,
    tls: Option<(&'static str, &'static str)>,
    /// The current transaction's queue id.
    id: String,
    /// Accepted recipients of the current transaction.
    recipients: Vec<String>,
}

impl PolicySession {
    /// Whether an authenticated user may use `from` (their own address,
    /// or an address that delivers to them).
    async fn owns(&self, login: &str, from: &str) -> Result<bool, BackendError> {
        if from.eq_ignore_ascii_case(login) {
            return Ok(true);
        }
        Ok(match self.directory.resolve(from).await? {
            Resolution::Accepted(recipients) => recipients
                .local
                .iter()
                .any(|r| r.user.name.eq_ignore_ascii_case(login)),
            _ => false,
        })
    }

    fn log_reject(&self, stage: &str, reply: &Reply, what: &str) {
        tracing::info!(
            "{}: {}: reject: {stage} from {}: {} {}; {what}",
            self.name,
            self.id_or_noqueue(),
            Client(self.peer),
            reply.code(),
            reply_text(reply)
        );
    }

    fn id_or_noqueue(&self) -> &str {
        if self.id.is_empty() {
            "NOQUEUE"
        } else {
            &self.id
        }
    }

    fn trace(&self) -> String {
        Trace {
            hello: self.hello.as_deref(),
            peer: self.peer,
            hostname: &self.policy.hostname,
            protocol: self.protocol,
            tls: self.tls,
            id: &self.id,
            recipient: match self.recipients.as_slice() {
                [only] => Some(only.as_str()),
                _ => None,
            },
            time: SystemTime::now(),
        }
        .field()
    }

    /// Logs each recipient's outcome, Postfix-style.
    fn log_outcomes(&self, replies: &[Reply], size: u64) {
        for (recipient, reply) in self.recipients.iter().zip(replies) {
            let status = match reply.code() {
                200..=299 => "sent",
                400..=499 => "deferred",
                _ => "bounced",
            };
            tracing::info!(
                "{}: {}: to=<{recipient}>, relay=local, size={size}, status={status} ({} {})",
                self.name,
                self.id,
                reply.code(),
                reply_text(reply)
            );
        }
    }

    fn end_transaction(&mut self) {
        self.recipients.clear();
        self.id.clear();
    }

    async fn deliver(&mut self, body: &mut MessageBody<'_>) -> Result<Vec<Reply>, BackendError> {
        let trace = self.trace();
        self.inner.add_trace(&trace);
        let replies = self.inner.lmtp_data(body, self.recipients.len()).await?;
        self.log_outcomes(&replies, body.received());
        Ok(replies)
    }
}

fn reply_text(reply: &Reply) -> String {
    let mut text = String::new();
    if let Some(code) = reply.enhanced() {
        text.push_str(&code.to_string());
        text.push(' ');
    }
    text.push_str(&reply.lines().join(" "));
    text
}

fn reply(code: u16, enhanced: (u8, u16, u16), text: String) -> Reply {
    let (class, subject, detail) = enhanced;
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

#[async_trait]
impl Session for PolicySession {
    async fn transaction(&mut self, context: &TransactionContext<'_>) {
        self.hello = context.hello.map(str::to_owned);
        self.protocol = context.protocol();
        self.tls = context
            .tls
            .and_then(|tls| Some((tls.protocol?, tls.cipher.unwrap_or("unknown"))));
        self.login = context.identity.map(|id| id.authorization_id().to_owned());
    }

    async fn mail(
        &mut self,
        from: &ReversePath,
        params: &MailParams,
    ) -> Result<Reply, BackendError> {
        self.end_transaction();
        self.id = self.policy.ids.next();
        let sender = match from {
            ReversePath::Null => String::new(),
            ReversePath::Mailbox(mailbox) => mailbox.to_string(),
        };
        if let (Some(login), false) = (self.login.clone(), sender.is_empty())
            && self.policy.sender_login_check
            && self.service != Service::Lmtp
            && !self.owns(&login, &sender).await?
        {
            let refused = reply(
                553,
                (5, 7, 1),
                format!("<{sender}>: Sender address rejected: not owned by user {login}"),
            );
            self.log_reject("MAIL", &refused, &format!("from=<{sender}>"));
            self.id.clear();
            return Ok(refused);
        }
        let answer = self.inner.mail(from, params).await?;
        if answer.code() < 300 {
            let login = self
                .login
                .as_deref()
                .map(|l| format!(", sasl_username={l}"))
                .unwrap_or_default();
            tracing::info!(
                "{}: {}: client={}{login}, from=<{sender}>",
                self.name,
                self.id,
                Client(self.peer)
            );
        }
        Ok(answer)
    }

    async fn rcpt(&mut self, to: &ForwardPath, params: &RcptParams) -> Result<Reply, BackendError> {
        let address = match to {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(mailbox) => Some(mailbox.to_string()),
        };
        if let (ForwardPath::Mailbox(mailbox), false) = (to, self.service == Service::Lmtp) {
            let domain = mailbox.domain.to_string();
            if !self.directory.has_domain(&domain).await? {
                let address = address.unwrap_or_default();
                let may_relay = self.trusted || self.login.is_some();
                let refused = if may_relay {
                    reply(
                        550,
                        (5, 4, 4),
                        format!(
                            "<{address}>: Recipient address rejected: \
                             relaying to other domains is not enabled on this server"
                        ),
                    )
                } else {
                    reply(554, (5, 7, 1), format!("<{address}>: Relay access denied"))
                };
                self.log_reject("RCPT", &refused, &format!("to=<{address}>"));
                return Ok(refused);
            }
        }
        let answer = self.inner.rcpt(to, params).await?;
        let shown = address.unwrap_or_else(|| "postmaster".to_owned());
        if answer.code() < 300 {
            self.recipients.push(shown);
        } else {
            self.log_reject("RCPT", &answer, &format!("to=<{shown}>"));
        }
        Ok(answer)
    }

    async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError> {
        let replies = self.deliver(body).await;
        self.end_transaction();
        Ok(smtp_reply(replies?))
    }

    async fn lmtp_data(
        &mut self,
        body: &mut MessageBody<'_>,
        _recipients: usize,
    ) -> Result<Vec<Reply>, BackendError> {
        let replies = self.deliver(body).await;
        self.end_transaction();
        replies
    }

    async fn reset(&mut self) {
        self.end_transaction();
        self.inner.reset().await;
    }

    async fn authenticated(&mut self, identity: &sasl::Identity) {
        tracing::info!(
            "{}: {}: sasl_username={}",
            self.name,
            Client(self.peer),
            identity.authorization_id()
        );
        self.login = Some(identity.authorization_id().to_owned());
    }
}
