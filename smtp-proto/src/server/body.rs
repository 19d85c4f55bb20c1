//! The message body: DATA (dot-stuffed, ended by CRLF.CRLF) and BDAT chunks.

use bytes::Buf;

use crate::data::DataEvent;

use super::{AbortReason, Event, Pending, Phase, ServerSession, replies};

impl ServerSession {
    /// Decodes DATA from the input; `false` when more input is needed.
    pub(super) fn next_data(&mut self) -> bool {
        let Phase::Data(decoder) = &mut self.phase else {
            return false;
        };
        if self.input.is_empty() {
            return false;
        }
        let window = self.input.len().min(self.config.chunk_size);
        let (consumed, event) = decoder.decode(&self.input[..window], &mut self.body);
        self.input.advance(consumed);
        let rejection = if decoder.exceeded() {
            Some((AbortReason::TooBig, replies::message_too_big()))
        } else if decoder.rejected() {
            Some((AbortReason::BareLineEnding, replies::bare_line_ending()))
        } else {
            None
        };
        if let Some((reason, reply)) = rejection
            && self.tx.aborted.is_none()
        {
            self.abort(reason, reply);
        }
        let ended = event == DataEvent::End;
        self.emit_body(ended || self.input.is_empty());
        if ended {
            self.end_of_message();
        }
        consumed > 0 || ended
    }

    /// Reads the current BDAT chunk from the input; `false` when more input is needed.
    pub(super) fn next_chunk(&mut self) -> bool {
        let Phase::Bdat { chunk, failure, .. } = &mut self.phase else {
            return false;
        };
        if !chunk.is_done() {
            let window = self.input.len().min(self.config.chunk_size);
            let taken = chunk.take(&self.input[..window]).len();
            if taken == 0 {
                return false;
            }
            let bytes = self.input.split_to(taken);
            if failure.is_none() && self.tx.aborted.is_none() {
                self.events.push_back(Event::DataChunk(bytes.freeze()));
            }
            if !chunk.is_done() {
                return true;
            }
        }
        let Phase::Bdat {
            size,
            last,
            failure,
            ..
        } = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return false;
        };
        if let Some(reply) = failure {
            // A refused chunk ends the transaction: the client must start over.
            if self.tx.body_started {
                if self.tx.aborted.is_none() {
                    self.events
                        .push_back(Event::DataAbort(AbortReason::Incomplete));
                }
                self.tx = super::Transaction::default();
            } else {
                self.reset_transaction();
            }
            self.send_counted(&reply, true);
        } else if last {
            self.end_of_message();
        } else {
            self.send(&replies::chunk_received(size), false);
        }
        true
    }

    /// The caller failed while taking the message (a disk error, say): the
    /// rest of the body is drained and answered with `reply` (a 4xx or
    /// 5xx; anything else becomes 451 4.3.0).
    pub fn abort_data(&mut self, reply: crate::reply::Reply) {
        if !self.tx.body_started || self.tx.aborted.is_some() {
            return;
        }
        let reply = if reply.is_transient() || reply.is_permanent() {
            reply
        } else {
            replies::local_error()
        };
        self.abort(AbortReason::Failed, reply);
    }

    fn abort(&mut self, reason: AbortReason, reply: crate::reply::Reply) {
        self.body.clear();
        self.tx.aborted = Some((reason, reply));
        self.events.push_back(Event::DataAbort(reason));
    }

    /// Hands the decoded body to the caller in pieces of at most the
    /// configured chunk size.
    fn emit_body(&mut self, force: bool) {
        if self.tx.aborted.is_some() {
            self.body.clear();
            return;
        }
        let limit = self.config.chunk_size.max(1);
        while self.body.len() >= limit {
            let chunk = self.body.split_to(limit).freeze();
            self.events.push_back(Event::DataChunk(chunk));
        }
        if force && !self.body.is_empty() {
            let chunk = self.body.split().freeze();
            self.events.push_back(Event::DataChunk(chunk));
        }
    }

    /// The whole message arrived: ask the caller, or answer a refusal.
    fn end_of_message(&mut self) {
        if let Some((_, reply)) = self.tx.aborted.take() {
            self.tx = super::Transaction::default();
            self.phase = Phase::Command;
            self.send_counted(&reply, true);
            return;
        }
        let remaining = if self.config.lmtp {
            self.tx.recipients.max(1)
        } else {
            1
        };
        self.phase = Phase::Waiting(Pending::DataEnd { remaining });
        self.events.push_back(Event::DataEnd);
    }

    /// The connection ends or times out in the middle of a body.
    pub(super) fn abandon_body(&mut self) {
        let committing = matches!(self.phase, Phase::Waiting(Pending::DataEnd { .. }));
        if self.tx.body_started && !committing && self.tx.aborted.is_none() {
            self.body.clear();
            self.events
                .push_back(Event::DataAbort(AbortReason::Incomplete));
        }
        self.tx = super::Transaction::default();
    }
}
