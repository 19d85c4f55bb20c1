//! The TRANSACTION and UPDATE states: the session's view of the maildrop
//! (fixed message numbers, deletion marks), the commands on it, message
//! retrieval and the commit after QUIT.

use crate::command::Command;
use crate::listing::{ListingLine, encode_end};
use crate::maildrop::MessageInfo;

use super::{Event, Phase, ServerSession, SessionError, replies};

/// The opened maildrop as the session sees it: the listing the caller gave
/// and which messages are marked deleted (RFC 1939 §5: numbers never change
/// during a session; deleted messages keep theirs and are invisible).
#[derive(Debug)]
pub(super) struct Maildrop {
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
    /// Messages not marked deleted.
    count: usize,
    /// Their total size.
    octets: u64,
}

impl Maildrop {
    pub(super) fn new(messages: Vec<MessageInfo>) -> Self {
        let octets = messages
            .iter()
            .fold(0u64, |sum, message| sum.saturating_add(message.size));
        Self {
            deleted: vec![false; messages.len()],
            count: messages.len(),
            octets,
            messages,
        }
    }

    pub(super) fn count(&self) -> usize {
        self.count
    }

    pub(super) fn octets(&self) -> u64 {
        self.octets
    }

    pub(super) fn deleted_indices(&self) -> Vec<usize> {
        (0..self.deleted.len())
            .filter(|&index| self.deleted[index])
            .collect()
    }

    fn reset(&mut self) {
        *self = Self::new(std::mem::take(&mut self.messages));
    }

    fn visible(&self, index: usize) -> bool {
        !self.deleted[index]
    }
}

/// Which multi-line listing is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    Sizes,
    UniqueIds,
}

/// Why a message number cannot be used.
enum Refusal {
    NoSuchMessage,
    Deleted(usize),
}

impl ServerSession {
    fn maildrop(&self) -> &Maildrop {
        self.maildrop
            .as_ref()
            .expect("transaction commands run only with a maildrop")
    }

    /// The 0-based index of message `number`, if it exists and is not deleted.
    fn message_index(&self, number: u32) -> Result<usize, Refusal> {
        let maildrop = self.maildrop();
        let index = usize::try_from(number)
            .ok()
            .and_then(|number| number.checked_sub(1))
            .filter(|&index| index < maildrop.messages.len())
            .ok_or(Refusal::NoSuchMessage)?;
        if maildrop.visible(index) {
            Ok(index)
        } else {
            Err(Refusal::Deleted(index + 1))
        }
    }

    /// Resolves `number` or writes why not (not counted: a client
    /// working from a stale listing is not misbehaving).
    fn resolve(&mut self, number: u32) -> Option<usize> {
        match self.message_index(number) {
            Ok(index) => Some(index),
            Err(Refusal::NoSuchMessage) => {
                let count = self.maildrop().messages.len();
                self.send(&replies::no_such_message(count));
                None
            }
            Err(Refusal::Deleted(number)) => {
                self.send(&replies::already_deleted(number));
                None
            }
        }
    }

    pub(super) fn transaction_command(&mut self, command: Command) {
        match command {
            Command::Stat => {
                let maildrop = self.maildrop();
                let stat = replies::stat(maildrop.count(), maildrop.octets());
                self.send(&stat);
            }
            Command::List(None) => {
                let maildrop = self.maildrop();
                let header = replies::listing(maildrop.count(), maildrop.octets());
                self.send(&header);
                self.start_listing(ListKind::Sizes);
            }
            Command::List(Some(number)) => {
                if let Some(index) = self.resolve(number) {
                    let size = self.maildrop().messages[index].size;
                    ListingLine::Size {
                        number: index + 1,
                        size,
                    }
                    .encode_response(&mut self.output);
                }
            }
            Command::Uidl(None) => {
                self.send(&replies::unique_ids());
                self.start_listing(ListKind::UniqueIds);
            }
            Command::Uidl(Some(number)) => {
                if let Some(index) = self.resolve(number) {
                    let maildrop = self.maildrop.as_ref().expect("in TRANSACTION");
                    ListingLine::UniqueId {
                        number: index + 1,
                        unique_id: &maildrop.messages[index].unique_id,
                    }
                    .encode_response(&mut self.output);
                }
            }
            Command::Retr(number) => self.retrieve(number, None),
            Command::Top { message, lines } => self.retrieve(message, Some(lines)),
            Command::Dele(number) => {
                if let Some(index) = self.resolve(number) {
                    let maildrop = self.maildrop.as_mut().expect("in TRANSACTION");
                    maildrop.deleted[index] = true;
                    maildrop.count -= 1;
                    maildrop.octets = maildrop
                        .octets
                        .saturating_sub(maildrop.messages[index].size);
                    self.send(&replies::deleted(index + 1));
                }
            }
            Command::Noop => self.send(&replies::ok()),
            Command::Rset => {
                let maildrop = self.maildrop.as_mut().expect("in TRANSACTION");
                maildrop.reset();
                let reply = replies::reset(maildrop.count(), maildrop.octets());
                self.send(&reply);
            }
            Command::User(_)
            | Command::Pass(_)
            | Command::Apop { .. }
            | Command::Auth { .. }
            | Command::Stls
            | Command::Utf8 => self.send_counted(&replies::already_authenticated()),
            // Handled in every state by `dispatch`.
            Command::Capa | Command::Quit => {}
        }
    }

    fn start_listing(&mut self, kind: ListKind) {
        self.phase = Phase::Listing { kind, next: 0 };
    }

    /// Writes listing lines until the output reaches the flush threshold
    /// (then asks for a flush and goes on at the next poll) or the listing
    /// ends. Always makes progress.
    pub(super) fn continue_listing(&mut self) -> bool {
        let Phase::Listing { kind, next } = self.phase else {
            return false;
        };
        let threshold = self.config.flush_threshold;
        let maildrop = self.maildrop.as_ref().expect("listing only in TRANSACTION");
        let mut index = next;
        while index < maildrop.messages.len() {
            if maildrop.visible(index) {
                let message = &maildrop.messages[index];
                let line = match kind {
                    ListKind::Sizes => ListingLine::Size {
                        number: index + 1,
                        size: message.size,
                    },
                    ListKind::UniqueIds => ListingLine::UniqueId {
                        number: index + 1,
                        unique_id: &message.unique_id,
                    },
                };
                line.encode(&mut self.output);
            }
            index += 1;
            if self.output.len() >= threshold && index < maildrop.messages.len() {
                self.phase = Phase::Listing { kind, next: index };
                self.flush();
                return true;
            }
        }
        encode_end(&mut self.output);
        self.phase = Phase::Command;
        self.flush_if_full();
        true
    }

    fn retrieve(&mut self, number: u32, top_lines: Option<u64>) {
        if let Some(index) = self.resolve(number) {
            let size = self.maildrop().messages[index].size;
            self.phase = Phase::Retrieving {
                size,
                top: top_lines.is_some(),
            };
            self.events.push_back(Event::Retrieve { index, top_lines });
        }
    }

    /// Answers [`Event::Retrieve`]: the message can be read. The session
    /// queues `+OK <size> octets` (RETR) or `+OK Top of message follows`
    /// (TOP). The caller then writes [`take_output`](Self::take_output),
    /// streams the body (content through [`TopFilter`](crate::TopFilter)
    /// for TOP, then [`DotStuffer`](crate::DotStuffer), whose
    /// [`finish`](crate::DotStuffer::finish) writes the terminating line) and
    /// calls [`body_done`](Self::body_done). Until then the session reads
    /// nothing and `poll` returns `None`.
    pub fn retrieve_ready(&mut self) -> Result<(), SessionError> {
        let Phase::Retrieving { size, top } = self.phase else {
            return Err(SessionError::NotWaiting);
        };
        let response = if top {
            replies::top()
        } else {
            replies::retrieving(size)
        };
        self.send(&response);
        self.phase = Phase::Body;
        Ok(())
    }

    /// Answers [`Event::Retrieve`]: the message cannot be read. The session
    /// writes `-ERR [SYS/TEMP] Unable to read message` and goes on.
    pub fn retrieve_failed(&mut self) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Retrieving { .. }) {
            return Err(SessionError::NotWaiting);
        }
        self.send(&replies::retrieve_failed());
        self.phase = Phase::Command;
        Ok(())
    }

    /// The caller wrote the whole body, terminator included; the session
    /// goes on with the client's next (possibly pipelined) command.
    pub fn body_done(&mut self) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Body) {
            return Err(SessionError::NotWaiting);
        }
        self.phase = Phase::Command;
        Ok(())
    }

    /// Reading the message failed after `+OK` went out: no `-ERR` can be
    /// sent inside a body, so the session closes (nothing is deleted).
    pub fn body_failed(&mut self) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Body) {
            return Err(SessionError::NotWaiting);
        }
        self.close();
        Ok(())
    }

    /// Answers [`Event::Commit`]: the deleted messages are removed. The
    /// session writes `+OK <host> POP3 server signing off (N messages
    /// left)` (or `(maildrop empty)`) and closes.
    pub fn commit_done(&mut self) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Committing) {
            return Err(SessionError::NotWaiting);
        }
        let left = self.maildrop.as_ref().map_or(0, Maildrop::count);
        let bye = replies::signing_off_after_update(&self.config.hostname, left);
        self.send(&bye);
        self.close();
        Ok(())
    }

    /// Answers [`Event::Commit`]: some or all deleted messages could not be
    /// removed. The session writes `-ERR [SYS/TEMP] Some deleted messages
    /// were not removed` (RFC 1939 §6, RFC 3206) and closes.
    pub fn commit_failed(&mut self) -> Result<(), SessionError> {
        if !matches!(self.phase, Phase::Committing) {
            return Err(SessionError::NotWaiting);
        }
        self.send(&replies::commit_failed());
        self.close();
        Ok(())
    }
}
