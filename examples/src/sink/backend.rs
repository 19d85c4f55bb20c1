//! The SMTP/LMTP backend: accepts every sender and recipient and stores
//! each message in the [`Spool`].

use std::sync::Arc;

use async_trait::async_trait;
use sasl::memory::MemoryStore;
use smtp_proto::adapter::{Backend, BackendError, ConnectionInfo, MessageBody, Session};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::{EnhancedCode, ForwardPath, Reply, ReversePath};

use super::spool::Spool;

/// Makes a [`SinkSession`] per connection.
#[derive(Debug)]
pub(crate) struct SinkBackend {
    spool: Arc<Spool>,
    users: Option<MemoryStore>,
}

impl SinkBackend {
    /// A backend storing into `spool`; `users` (if any) is what AUTH checks.
    pub(crate) fn new(spool: Arc<Spool>, users: Option<MemoryStore>) -> Self {
        Self { spool, users }
    }
}

#[async_trait]
impl Backend for SinkBackend {
    type Session = SinkSession;

    async fn connect(&self, _info: &ConnectionInfo) -> Result<SinkSession, Reply> {
        Ok(SinkSession {
            spool: Arc::clone(&self.spool),
            from: None,
            recipients: Vec::new(),
        })
    }

    fn credentials(&self) -> Option<&dyn sasl::CredentialStore> {
        self.users
            .as_ref()
            .map(|users| users as &dyn sasl::CredentialStore)
    }
}

/// One connection: the envelope of the transaction in progress.
#[derive(Debug)]
pub(crate) struct SinkSession {
    spool: Arc<Spool>,
    /// The reverse path as written in the envelope file (`<addr>` or `<>`).
    from: Option<String>,
    /// The accepted forward paths, in order (`<addr>`).
    recipients: Vec<String>,
}

impl SinkSession {
    /// Streams the body to disk and commits it with the transaction's
    /// envelope; returns the stored message's name. The envelope is
    /// consumed either way: after a message, failed or not, the client
    /// starts a new transaction.
    async fn store(&mut self, body: &mut MessageBody<'_>) -> Result<String, BackendError> {
        let from = self.from.take().unwrap_or_else(|| "<>".to_string());
        let recipients = std::mem::take(&mut self.recipients);
        let mut delivery = self.spool.begin().await.inspect_err(report)?;
        // On any error `delivery` is dropped here, which removes its files.
        while let Some(chunk) = body.chunk().await? {
            delivery.write(&chunk).await.inspect_err(report)?;
        }
        let name = delivery
            .commit(&from, &recipients)
            .await
            .inspect_err(report)?;
        Ok(name)
    }
}

/// Disk errors are the operator's business: the client only sees 451.
fn report(error: &std::io::Error) {
    eprintln!("smtp-sink: cannot store a message: {error}");
}

#[async_trait]
impl Session for SinkSession {
    async fn mail(&mut self, from: &ReversePath, _: &MailParams) -> Result<Reply, BackendError> {
        self.from = Some(from.to_string());
        self.recipients.clear();
        Ok(Reply::new(
            250,
            Some(EnhancedCode::new(2, 1, 0)),
            "Sender OK",
        ))
    }

    async fn rcpt(&mut self, to: &ForwardPath, _: &RcptParams) -> Result<Reply, BackendError> {
        self.recipients.push(to.to_string());
        Ok(Reply::new(
            250,
            Some(EnhancedCode::new(2, 1, 5)),
            "Recipient OK",
        ))
    }

    async fn data(&mut self, body: &mut MessageBody<'_>) -> Result<Reply, BackendError> {
        let name = self.store(body).await?;
        Ok(Reply::new(
            250,
            Some(EnhancedCode::new(2, 0, 0)),
            format!("OK queued as {name}"),
        ))
    }

    async fn lmtp_data(
        &mut self,
        body: &mut MessageBody<'_>,
        recipients: usize,
    ) -> Result<Vec<Reply>, BackendError> {
        let accepted = self.recipients.clone();
        let name = self.store(body).await?;
        // One stored copy serves every recipient; each gets its own reply.
        Ok((0..recipients.max(1))
            .map(|index| {
                let text = match accepted.get(index) {
                    Some(recipient) => format!("{recipient} delivered as {name}"),
                    None => format!("delivered as {name}"),
                };
                Reply::new(250, Some(EnhancedCode::new(2, 1, 5)), text)
            })
            .collect())
    }

    async fn reset(&mut self) {
        self.from = None;
        self.recipients.clear();
    }
}
