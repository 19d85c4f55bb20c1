//! One LMTP or SMTP connection of final delivery.

use std::sync::Arc;

use async_trait::async_trait;
use smtp_proto::adapter::{BackendError, MessageBody, Session};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::{ForwardPath, Reply, ReversePath};

use super::{Shared, replies};
use crate::directory::{LocalRecipient, Resolution};
use crate::error::{Error, ErrorKind};
use crate::store::{AppendOptions, INBOX, MessageWriter, StagedMessage};

/// The state of one connection: the sender and the accepted recipients of
/// the current transaction.
#[derive(Debug)]
pub struct DeliverySession {
    shared: Arc<Shared>,
    return_path: String,
    recipients: Vec<Accepted>,
    /// Header lines the receiving server adds (`Received:`), written into
    /// every copy after `Return-Path:` and `Delivered-To:`.
    trace: String,
}

/// An accepted `RCPT TO`: the address as given and the accounts it
/// resolved to.
#[derive(Debug)]
struct Accepted {
    address: String,
    local: Vec<LocalRecipient>,
}

/// One copy being written for one account.
#[derive(Debug)]
struct Copy {
    /// Index into `recipients`.
    recipient: usize,
    target: LocalRecipient,
    writer: Option<Box<dyn MessageWriter>>,
    failure: Option<Error>,
}

impl DeliverySession {
    pub(super) fn new(shared: Arc<Shared>) -> DeliverySession {
        DeliverySession {
            shared,
            return_path: String::new(),
            recipients: Vec::new(),
            trace: String::new(),
        }
    }

    /// Adds header lines (each ending in CRLF, such as a `Received:`
    /// field) to every copy of the current transaction's message, after
    /// `Return-Path:` and `Delivered-To:`. Call it before the data
    /// arrives; the lines are forgotten when the transaction ends.
    pub fn add_trace(&mut self, lines: &str) {
        self.trace.push_str(lines);
    }

    fn end_transaction(&mut self) {
        self.recipients.clear();
        self.trace.clear();
    }

    /// Whether every account of a recipient is over quota already.
    async fn all_full(&self, local: &[LocalRecipient]) -> Result<bool, Error> {
        for target in local {
            if target.user.quota.is_unlimited() {
                return Ok(false);
            }
            let account = self.shared.store.account(&target.user).await?;
            if account.quota().await?.allows(0, 1) {
                return Ok(false);
            }
        }
        Ok(!local.is_empty())
    }

    /// Opens a staged copy per account of every recipient.
    async fn open_copies(&self) -> Vec<Copy> {
        let mut copies = Vec::new();
        for (recipient, accepted) in self.recipients.iter().enumerate() {
            for target in &accepted.local {
                let mut copy = Copy {
                    recipient,
                    target: target.clone(),
                    writer: None,
                    failure: None,
                };
                let header = self.trace_header(&copy.target);
                match self.begin(&copy.target, &header).await {
                    Ok(writer) => copy.writer = Some(writer),
                    Err(e) => copy.failure = Some(e),
                }
                copies.push(copy);
            }
        }
        copies
    }

    /// `Return-Path:` and `Delivered-To:` for one copy.
    fn trace_header(&self, target: &LocalRecipient) -> String {
        let options = &self.shared.options;
        let mut header = String::new();
        if options.add_return_path {
            header.push_str(&format!("Return-Path: <{}>\r\n", self.return_path));
        }
        if options.add_delivered_to {
            let delimiter = self
                .shared
                .directory
                .options()
                .recipient_delimiter
                .chars()
                .next();
            let address = match (&target.detail, delimiter) {
                (Some(detail), Some(delimiter)) => with_detail(&target.address, delimiter, detail),
                _ => target.address.clone(),
            };
            header.push_str(&format!("Delivered-To: {address}\r\n"));
        }
        header.push_str(&self.trace);
        header
    }

    async fn begin(
        &self,
        target: &LocalRecipient,
        header: &str,
    ) -> Result<Box<dyn MessageWriter>, Error> {
        let account = self.shared.store.account(&target.user).await?;
        let mut writer = account.begin_append().await?;
        writer.write(header.as_bytes()).await?;
        Ok(writer)
    }

    /// Streams the body into every copy. `Err` when the body itself
    /// failed (the session then answers on its own); copies that fail are
    /// marked and the rest go on.
    async fn stream(
        &self,
        body: &mut MessageBody<'_>,
        copies: &mut [Copy],
    ) -> Result<(), BackendError> {
        while let Some(chunk) = body.chunk().await? {
            for copy in copies.iter_mut() {
                if let Some(writer) = copy.writer.as_mut()
                    && let Err(e) = writer.write(&chunk).await
                {
                    copy.writer = None;
                    copy.failure = Some(e);
                }
            }
        }
        Ok(())
    }

    /// Finishes every copy; all are staged before any is stored.
    async fn stage(copies: &mut [Copy]) -> Vec<Option<Box<dyn StagedMessage>>> {
        let mut staged = Vec::with_capacity(copies.len());
        for copy in copies.iter_mut() {
            staged.push(match copy.writer.take() {
                Some(writer) => match writer.finish().await {
                    Ok(message) => Some(message),
                    Err(e) => {
                        copy.failure = Some(e);
                        None
                    }
                },
                None => None,
            });
        }
        staged
    }

    /// Stores one staged copy in INBOX or its detail folder.
    async fn store(
        &self,
        target: &LocalRecipient,
        message: Box<dyn StagedMessage>,
    ) -> Result<(), Error> {
        let account = self.shared.store.account(&target.user).await?;
        let mut mailbox = INBOX.to_owned();
        if self.shared.options.save_to_detail_mailbox
            && let Some(detail) = target.detail.as_deref().filter(|d| !d.is_empty())
        {
            let folders = account.mailboxes().await?;
            if let Some(found) = folders
                .iter()
                .find(|f| f.exists && f.name.eq_ignore_ascii_case(detail))
            {
                mailbox.clone_from(&found.name);
            }
        }
        account
            .deliver(&mailbox, message, AppendOptions::default())
            .await
    }

    /// Delivers the message; one outcome per recipient (the first failure
    /// of its copies, if any copy failed and none succeeded).
    async fn deliver(&mut self, body: &mut MessageBody<'_>) -> Result<Vec<Reply>, BackendError> {
        let tempfail = self.shared.options.quota_full_tempfail;
        let mut copies = self.open_copies().await;
        self.stream(body, &mut copies).await?;
        let staged = Self::stage(&mut copies).await;
        let mut saved = vec![false; self.recipients.len()];
        let mut failed: Vec<Option<ErrorKind>> = vec![None; self.recipients.len()];
        for (copy, message) in copies.iter_mut().zip(staged) {
            if let Some(message) = message
                && let Err(e) = self.store(&copy.target, message).await
            {
                copy.failure = Some(e);
            }
            match &copy.failure {
                None => saved[copy.recipient] = true,
                Some(e) => {
                    tracing::warn!(
                        recipient = %self.recipients[copy.recipient].address,
                        account = %copy.target.user.name,
                        error = %e,
                        "delivery failed"
                    );
                    failed[copy.recipient].get_or_insert(e.kind());
                }
            }
        }
        let replies = self
            .recipients
            .iter()
            .enumerate()
            .map(|(i, r)| match (saved[i], failed[i]) {
                (true, _) | (false, None) => replies::saved(&r.address),
                (false, Some(kind)) => replies::for_error(kind, Some(&r.address), tempfail),
            })
            .collect();
        Ok(replies)
    }
}

#[async_trait]
impl Session for DeliverySession {
    async fn mail(
        &mut self,
        from: &ReversePath,
        _params: &MailParams,
    ) -> Result<Reply, BackendError> {
        self.return_path = match from {
            ReversePath::Null => String::new(),
            ReversePath::Mailbox(mailbox) => mailbox.to_string(),
        };
        self.end_transaction();
        Ok(Reply::new(
            250,
            Some(smtp_proto::EnhancedCode::new(2, 1, 0)),
            "Sender OK",
        ))
    }

    async fn rcpt(
        &mut self,
        to: &ForwardPath,
        _params: &RcptParams,
    ) -> Result<Reply, BackendError> {
        let address = match to {
            ForwardPath::Postmaster => format!("postmaster@{}", self.shared.options.hostname),
            ForwardPath::Mailbox(mailbox) => {
                format!("{}@{}", mailbox.local_part, mailbox.domain)
            }
        };
        let recipients = match self.shared.directory.resolve(&address).await? {
            Resolution::Accepted(recipients) => recipients,
            Resolution::UnknownUser => return Ok(replies::unknown_user(&address)),
            Resolution::UnknownDomain => return Ok(replies::unknown_domain(&address)),
            Resolution::Loop => return Ok(replies::alias_loop(&address)),
            Resolution::TooManyRecipients => return Ok(replies::too_many(&address)),
        };
        if !recipients.forward.is_empty() {
            return Ok(replies::no_forwarding(&address));
        }
        if self.all_full(&recipients.local).await? {
            let tempfail = self.shared.options.quota_full_tempfail;
            return Ok(replies::for_error(
                ErrorKind::OverQuota,
                Some(&address),
                tempfail,
            ));
        }
        for unknown in &recipients.unknown {
            tracing::info!(recipient = %address, member = %unknown, "alias member does not exist");
        }
        self.recipients.push(Accepted {
            address: address.clone(),
            local: recipients.local,
        });
        Ok(replies::recipient_ok(&address))
    }

    async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError> {
        let replies = self.deliver(body).await?;
        self.end_transaction();
        Ok(super::smtp_reply(replies))
    }

    async fn lmtp_data(
        &mut self,
        body: &mut MessageBody<'_>,
        recipients: usize,
    ) -> Result<Vec<Reply>, BackendError> {
        let replies = self.deliver(body).await?;
        self.end_transaction();
        debug_assert_eq!(replies.len(), recipients);
        Ok(replies)
    }

    async fn reset(&mut self) {
        self.end_transaction();
    }
}

/// `local+detail@domain` from `local@domain`.
fn with_detail(address: &str, delimiter: char, detail: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}{delimiter}{detail}@{domain}"),
        None => address.to_owned(),
    }
}
