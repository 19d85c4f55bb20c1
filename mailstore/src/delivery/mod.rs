//! Final delivery: an smtp-proto backend that stores each message in the
//! mailboxes of its recipients, over LMTP (one reply per recipient) or
//! local SMTP.
//!
//! At `RCPT TO` the address is resolved through the [`Directory`]
//! (aliases fan out; unknown users get `550 5.1.1`, foreign domains
//! `550 5.1.2`, loops `554 5.4.6`) and a recipient whose mailbox is
//! already full is refused (`452 4.2.2`, or `552 5.2.2` with
//! [`DeliveryOptions::quota_full_tempfail`] off). The message is then
//! streamed once: each chunk goes to a staged copy per account, each copy
//! starting with its own `Return-Path:` and `Delivered-To:` lines. Only
//! when the whole message has arrived and every copy is staged are the
//! copies committed, into INBOX (or the folder named by the address's
//! detail, `alice+lists@` → `lists`, when
//! [`DeliveryOptions::save_to_detail_mailbox`] is on and that folder
//! exists). A failure while staging leaves nothing behind and answers
//! `451 4.3.0` (`552` for too big or over quota); over LMTP each
//! recipient gets its own answer.
//!
//! Addresses that aliases forward outside our domains are refused at
//! `RCPT TO` with `550 5.7.1` until an outbound queue exists to take
//! them.

mod replies;
mod session;

use std::sync::Arc;

use async_trait::async_trait;
use smtp_proto::Reply;
use smtp_proto::adapter::{Backend, ConnectionInfo};

pub use session::DeliverySession;

use crate::directory::Directory;
use crate::store::Store;

/// SMTP's one answer for a message from its recipients' answers (as
/// LMTP gives them): success if any recipient got the message (the
/// failures are logged), else the first failure.
pub fn smtp_reply(replies: Vec<Reply>) -> Reply {
    if replies.iter().any(|r| r.code() < 300) {
        return replies::all_saved();
    }
    replies
        .into_iter()
        .next()
        .unwrap_or_else(|| replies::temporary(None))
}

/// How deliveries are made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryOptions {
    /// The name used for `<Postmaster>` without a domain
    /// (`postmaster@<hostname>`) and in logs.
    pub hostname: String,
    /// Deliver `user+detail@` into the folder `detail` when it exists
    /// (Dovecot's `lmtp_save_to_detail_mailbox`).
    pub save_to_detail_mailbox: bool,
    /// Answer a full mailbox with `452 4.2.2` (try again later) rather
    /// than `552 5.2.2` (Dovecot's `quota_full_tempfail`).
    pub quota_full_tempfail: bool,
    /// Add `Delivered-To: <address>` to each copy.
    pub add_delivered_to: bool,
    /// Add `Return-Path: <sender>` to each copy.
    pub add_return_path: bool,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            hostname: "localhost".to_owned(),
            save_to_detail_mailbox: false,
            quota_full_tempfail: true,
            add_delivered_to: true,
            add_return_path: true,
        }
    }
}

/// The delivery backend: give it to `smtp_proto::adapter::serve` with an
/// LMTP (or SMTP) server configuration.
#[derive(Debug, Clone)]
pub struct LocalDelivery {
    shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) directory: Directory,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) options: DeliveryOptions,
}

impl LocalDelivery {
    /// Delivers to the accounts of `directory`, in `store`.
    pub fn new(directory: Directory, store: Arc<dyn Store>) -> LocalDelivery {
        LocalDelivery::with_options(directory, store, DeliveryOptions::default())
    }

    /// With other options.
    pub fn with_options(
        directory: Directory,
        store: Arc<dyn Store>,
        options: DeliveryOptions,
    ) -> LocalDelivery {
        LocalDelivery {
            shared: Arc::new(Shared {
                directory,
                store,
                options,
            }),
        }
    }

    /// A session, as [`Backend::connect`] makes one.
    pub fn session(&self) -> DeliverySession {
        DeliverySession::new(self.shared.clone())
    }
}

#[async_trait]
impl Backend for LocalDelivery {
    type Session = DeliverySession;

    async fn connect(&self, _info: &ConnectionInfo) -> Result<DeliverySession, Reply> {
        Ok(self.session())
    }
}
