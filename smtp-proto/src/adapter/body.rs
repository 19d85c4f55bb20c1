//! The message body as a stream for the backend.

use bytes::Bytes;

use super::connection::Connection;
use crate::reply::{EnhancedCode, Reply};
use crate::server::{AbortReason, Event};

/// Why the body stopped before its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The session refused the message (too big, bare line endings, the
    /// client reset or left); it answers the client itself.
    #[error("message aborted: {0:?}")]
    Aborted(AbortReason),
    /// Reading from the client failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyState {
    Open,
    Ended,
    Aborted(AbortReason),
}

/// The message body, read chunk by chunk as it arrives from the client
/// (DATA dot-unstuffed, or BDAT chunks). Nothing is buffered beyond one
/// chunk.
pub struct MessageBody<'c> {
    conn: &'c mut Connection,
    state: BodyState,
    received: u64,
}

impl std::fmt::Debug for MessageBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBody")
            .field("state", &self.state)
            .field("received", &self.received)
            .finish()
    }
}

impl<'c> MessageBody<'c> {
    pub(super) fn new(conn: &'c mut Connection) -> Self {
        Self {
            conn,
            state: BodyState::Open,
            received: 0,
        }
    }

    /// How many bytes of the message [`chunk`](Self::chunk) has given so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    pub(super) fn state(&self) -> BodyState {
        self.state
    }

    pub(super) fn connection(&mut self) -> &mut Connection {
        self.conn
    }

    /// The next piece of the message, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        loop {
            match self.state {
                BodyState::Ended => return Ok(None),
                BodyState::Aborted(reason) => return Err(BodyError::Aborted(reason)),
                BodyState::Open => {}
            }
            let event = match self.conn.next_event().await {
                Ok(event) => event,
                Err(error) => {
                    self.state = BodyState::Aborted(AbortReason::Incomplete);
                    return Err(error.into());
                }
            };
            match event {
                Some(Event::DataChunk(bytes)) => {
                    self.received += bytes.len() as u64;
                    return Ok(Some(bytes));
                }
                Some(Event::DataEnd) => self.state = BodyState::Ended,
                Some(Event::DataAbort(reason)) => self.state = BodyState::Aborted(reason),
                Some(Event::Reset) | None => {
                    self.state = BodyState::Aborted(AbortReason::Incomplete)
                }
                // Between BDAT chunks the client may send VRFY or EXPN;
                // inside a transaction they get the neutral answer.
                Some(Event::Vrfy(_) | Event::Expn(_) | Event::Etrn(_)) => {
                    let _ = self.conn.session.answer(Reply::new(
                        252,
                        Some(EnhancedCode::new(2, 5, 0)),
                        "Cannot verify now, but will accept message and attempt delivery",
                    ));
                }
                Some(_) => {}
            }
        }
    }

    /// Appends the rest of the message to `out` (a convenience for small
    /// messages; large ones should be streamed with [`chunk`](Self::chunk)).
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        while let Some(chunk) = self.chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(())
    }

    /// Reads and drops whatever the backend left unread.
    pub(super) async fn drain(&mut self) {
        while let Ok(Some(_)) = self.chunk().await {}
    }
}
