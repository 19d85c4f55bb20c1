//! Exact message sizes (octets with CRLF line ends), remembered per
//! account so each message is read once per process.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use pop3_proto::adapter::MessageStream;
use tokio::io::AsyncReadExt;
use wire::CrlfLength;

use super::error::MaildropError;
use crate::error::ErrorKind;
use crate::store::{Content, Mailbox};

/// The sizes of one account's INBOX messages, by UID, valid for one
/// UIDVALIDITY (a message's content never changes).
#[derive(Debug, Default)]
pub(crate) struct SizeCache {
    accounts: Mutex<HashMap<String, Known>>,
}

#[derive(Debug)]
struct Known {
    uid_validity: u32,
    sizes: HashMap<u32, u64>,
}

impl SizeCache {
    /// Takes out what is known of `account`'s INBOX (the session lock
    /// makes the caller its only user until [`put`](Self::put)).
    pub(crate) fn take(&self, account: &str, uid_validity: u32) -> HashMap<u32, u64> {
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        match accounts.remove(account) {
            Some(known) if known.uid_validity == uid_validity => known.sizes,
            _ => HashMap::new(),
        }
    }

    /// Puts back the sizes of the messages INBOX has now.
    pub(crate) fn put(&self, account: &str, uid_validity: u32, sizes: HashMap<u32, u64>) {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                account.to_owned(),
                Known {
                    uid_validity,
                    sizes,
                },
            );
    }
}

/// The size of message `uid` as RETR sends it, read from its content;
/// `None` if it was expunged meanwhile.
pub(crate) async fn virtual_size(
    mailbox: &dyn Mailbox,
    uid: u32,
) -> Result<Option<u64>, MaildropError> {
    let content = match mailbox.content(uid).await {
        Ok(content) => content,
        Err(e) if matches!(e.kind(), ErrorKind::Expunged | ErrorKind::NotFound) => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    // Bytes already at hand are counted where they are.
    let small = match &content {
        Content::Memory(bytes) => return Ok(Some(CrlfLength::of(bytes))),
        Content::File { len, .. } => *len <= READ_AT_ONCE,
    };
    if small {
        let bytes = content
            .into_bytes()
            .map_err(|source| MaildropError::Read { uid, source })?;
        return Ok(Some(CrlfLength::of(&bytes)));
    }
    let mut reader = message_stream(content, uid)?;
    let mut size = CrlfLength::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|source| MaildropError::Read { uid, source })?;
        if n == 0 {
            return Ok(Some(size.len()));
        }
        size.feed(&buf[..n]);
    }
}

/// Messages up to this size are read whole, at once.
const READ_AT_ONCE: u64 = 1 << 20;

/// The content of message `uid` as a stream. A file of up to
/// [`READ_AT_ONCE`] bytes is read whole, right here: one read from the
/// page cache costs less than the thread hand-offs of reading it through
/// tokio's blocking pool, which larger messages go through piece by piece
/// (so that memory stays bounded, whatever their size).
pub(crate) fn message_stream(content: Content, uid: u32) -> Result<MessageStream, MaildropError> {
    Ok(match content {
        Content::Memory(bytes) => Box::new(std::io::Cursor::new(bytes)),
        Content::File { len, .. } if len <= READ_AT_ONCE => {
            let bytes = content
                .into_bytes()
                .map_err(|source| MaildropError::Read { uid, source })?;
            Box::new(std::io::Cursor::new(bytes))
        }
        Content::File { file, len } => Box::new(tokio::fs::File::from_std(file).take(len)),
    })
}
