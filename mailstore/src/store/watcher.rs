//! The watcher of both in-process backends: a `tokio::sync::watch`
//! channel per mailbox, poked by every commit that changes it and dropped
//! when the mailbox is deleted.

use async_trait::async_trait;
use tokio::sync::watch;

use super::Watcher;
use crate::error::{Error, ErrorKind, Result};

/// Wakes when a mailbox's sender is poked or dropped.
#[derive(Debug)]
pub(crate) struct ChannelWatcher {
    receiver: watch::Receiver<u64>,
    closed: bool,
}

impl ChannelWatcher {
    /// A watcher that wakes on changes after now.
    pub(crate) fn boxed(receiver: &watch::Receiver<u64>) -> Box<dyn Watcher> {
        let mut receiver = receiver.clone();
        receiver.mark_unchanged();
        Box::new(ChannelWatcher {
            receiver,
            closed: false,
        })
    }
}

#[async_trait]
impl Watcher for ChannelWatcher {
    async fn changed(&mut self) -> Result<()> {
        if self.closed {
            return Err(Error::new(ErrorKind::NotFound, "the mailbox was deleted"));
        }
        if self.receiver.changed().await.is_err() {
            // Deleted: wake once; the next sync says NotFound.
            self.closed = true;
        }
        Ok(())
    }
}
