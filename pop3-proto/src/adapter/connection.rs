//! Running one connection: socket I/O, timeouts, TLS, and the backend calls.

use std::io;
use std::process;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use wire::{FailureDelay, ReadOutcome, WireIo, handshake};

use super::{
    Backend, BoxedStream, ConnectionInfo, Maildrop, OpenError, RetrieveOptions, ServerOptions,
};
use crate::apop::ApopTimestamp;
use crate::server::{Event, OpenFailure, ServerSession};
use crate::{DotStuffer, TopFilter};

/// The socket side of a session.
struct Connection {
    io: WireIo,
    session: ServerSession,
    options: ServerOptions,
    /// Message pieces read and not yet stuffed (kept between messages).
    body: Vec<u8>,
    /// Bytes for the client that came before the session's output: a
    /// message's response line and stuffed content, sent with what follows
    /// it so that a small message costs one write.
    pending: BytesMut,
    /// The pause before each failed login's reply.
    failure_delay: FailureDelay,
}

/// Why a message could not be sent whole.
enum BodyError {
    /// Reading the message failed: the session closes the connection.
    Read(io::Error),
    /// Writing to the client failed: the connection is gone.
    Write(io::Error),
}

impl Connection {
    fn new(stream: BoxedStream, session: ServerSession, options: &ServerOptions) -> Self {
        Self {
            io: WireIo::new(stream, options.read_size, options.timeouts.write),
            session,
            options: options.clone(),
            body: Vec::new(),
            pending: BytesMut::new(),
            failure_delay: FailureDelay::new(options.auth_failure_delay),
        }
    }

    /// How much of a message is read at a time, and how much stuffed
    /// content waits before it is written: together with the read buffer,
    /// about three times this much is held while a message goes out.
    fn body_piece(&self) -> usize {
        (self.io.read_size() / 2).max(512)
    }

    /// The next event a backend must see, doing the I/O the session asks
    /// for on the way (flushes, reads, STLS). `None` once the session has
    /// closed.
    async fn next_event(&mut self) -> io::Result<Option<Event>> {
        loop {
            if let Some(event) = self.session.poll() {
                match event {
                    Event::Flush => self.write_out().await?,
                    Event::StartTls => self.start_tls().await?,
                    Event::Close => {
                        self.close().await;
                        return Ok(None);
                    }
                    other => return Ok(Some(other)),
                }
                continue;
            }
            if self.session.is_closed() || !self.session.wants_input() {
                self.close().await;
                return Ok(None);
            }
            self.write_out().await?;
            self.read().await;
        }
    }

    /// Sends what is left and closes our side.
    async fn close(&mut self) {
        let _ = self.write_out().await;
        self.io.close().await;
    }

    async fn read(&mut self) {
        let limit = self.options.config.idle_timeout;
        match self
            .io
            .read_or_shutdown(limit, self.options.shutdown.as_mut())
            .await
        {
            ReadOutcome::Shutdown => self.session.shutdown(),
            ReadOutcome::Bytes(bytes) => self.session.receive(bytes),
            ReadOutcome::TimedOut => self.session.timed_out(),
            ReadOutcome::End => self.session.end_of_input(),
            ReadOutcome::Failed(error) => {
                tracing::debug!(%error, "read failed");
                self.session.end_of_input();
            }
        }
    }

    /// Writes what waits: the pending message bytes, then the session's
    /// output.
    async fn write_out(&mut self) -> io::Result<()> {
        self.failure_delay
            .before_reply(self.session.auth_failures())
            .await;
        let output = self.session.take_output();
        if self.pending.is_empty() {
            return self.io.write(&output).await;
        }
        self.pending.extend_from_slice(&output);
        self.write_pending().await
    }

    async fn write_pending(&mut self) -> io::Result<()> {
        let written = self.io.write(&self.pending).await;
        self.pending.clear();
        written
    }

    async fn start_tls(&mut self) -> io::Result<()> {
        self.write_out().await?;
        let Some(acceptor) = self.options.tls.clone() else {
            return Err(io::Error::other("STLS without a TLS acceptor"));
        };
        let info = self
            .io
            .upgrade(&*acceptor, self.options.timeouts.handshake)
            .await?;
        self.session
            .tls_started(info)
            .map_err(|_| io::Error::other("TLS started while the session did not ask"))?;
        Ok(())
    }

    /// Streams a message to the client after the response line the
    /// session queued: read a piece, cut it for TOP, byte-stuff it, and
    /// write whenever a piece's worth is waiting; the last bytes (with the
    /// terminating line) wait for the next write, so a small message goes
    /// out with its response line in one write. Memory stays at a few
    /// pieces, whatever the message's size.
    async fn send_body(
        &mut self,
        mut content: impl AsyncRead + Unpin,
        top_lines: Option<u64>,
    ) -> Result<(), BodyError> {
        let response = self.session.take_output();
        self.pending.extend_from_slice(&response);
        let mut top = top_lines.map(TopFilter::new);
        let mut stuffer = DotStuffer::new();
        let piece_size = self.body_piece();
        let mut body = std::mem::take(&mut self.body);
        body.resize(piece_size, 0);
        let result = loop {
            if top.as_ref().is_some_and(TopFilter::is_done) {
                break Ok(());
            }
            let n = match content.read(&mut body).await {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(error) => break Err(BodyError::Read(error)),
            };
            let piece = match top.as_mut() {
                Some(filter) => filter.filter(&body[..n]),
                None => &body[..n],
            };
            stuffer.encode(piece, &mut self.pending);
            if self.pending.len() >= piece_size
                && let Err(error) = self.write_pending().await
            {
                break Err(BodyError::Write(error));
            }
        };
        self.body = body;
        result?;
        stuffer.finish(&mut self.pending);
        Ok(())
    }
}

/// A greeting timestamp unique to this connection: process, a counter and
/// the clock, as RFC 1939 §7 suggests.
fn apop_timestamp(hostname: &str) -> Option<ApopTimestamp> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let count = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let unique = format!("{}.{count}.{nanos}", process::id());
    ApopTimestamp::from_parts(&unique, hostname)
        .or_else(|_| ApopTimestamp::from_parts(&unique, "localhost"))
        .ok()
}

fn failure_of(error: OpenError) -> OpenFailure {
    match error {
        OpenError::InUse => OpenFailure::InUse,
        OpenError::LoginDelay => OpenFailure::LoginDelay,
        OpenError::Temporary(error) => {
            tracing::warn!(%error, "cannot open a maildrop");
            OpenFailure::Temporary
        }
        OpenError::Permanent(error) => {
            tracing::warn!(%error, "cannot open a maildrop");
            OpenFailure::Permanent
        }
    }
}

/// Serves one connection to its end.
///
/// The maildrop is opened after a successful login and dropped (its lock
/// released) when the connection ends; messages are removed only when the
/// client ends the session with QUIT ([`Maildrop::commit`]).
///
/// Fails with `InvalidInput` if the options offer STLS or implicit TLS
/// without an acceptor; other errors are the connection's I/O errors.
pub async fn serve<B: Backend, S: super::AsyncStream + 'static>(
    backend: &B,
    stream: S,
    info: ConnectionInfo,
    options: &ServerOptions,
) -> io::Result<()> {
    let config = Arc::clone(&options.config);
    if (config.stls || options.implicit_tls) && options.tls.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "TLS offered without a TLS acceptor",
        ));
    }
    let (stream, tls) = match (options.implicit_tls, options.tls.as_ref()) {
        (true, Some(acceptor)) => {
            let (stream, info) = handshake(&**acceptor, stream, options.timeouts.handshake).await?;
            (stream, Some(info))
        }
        _ => (Box::new(stream) as BoxedStream, None),
    };
    let apop = options
        .apop
        .then(|| apop_timestamp(&config.hostname))
        .flatten();
    let session = ServerSession::new(config, tls, apop);
    let mut conn = Connection::new(stream, session, options);
    let mut maildrop: Option<B::Maildrop> = None;
    let peer = info.peer;
    while let Some(event) = conn.next_event().await? {
        // The session only asks what it is waiting for, so the answers
        // below cannot be refused: their results are not needed.
        match event {
            Event::AuthLookup(request) => {
                let answer = sasl::answer(backend.credentials(), &request).await;
                let _ = conn.session.auth_answer(answer);
            }
            Event::OpenMaildrop(identity) => match backend.open(&identity).await {
                Ok(opened) => {
                    let messages = opened.messages().to_vec();
                    maildrop = Some(opened);
                    let _ = conn.session.maildrop_opened(messages);
                }
                Err(error) => {
                    let _ = conn.session.maildrop_failed(failure_of(error));
                }
            },
            Event::Retrieve { index, top_lines } => {
                let options = RetrieveOptions { top_lines };
                let content = match maildrop.as_mut() {
                    Some(maildrop) => maildrop.retrieve(index, &options).await,
                    None => Err("no maildrop is open".into()),
                };
                let content = match content {
                    Ok(content) => content,
                    Err(error) => {
                        tracing::warn!(%error, index, "cannot read a message");
                        let _ = conn.session.retrieve_failed();
                        continue;
                    }
                };
                let _ = conn.session.retrieve_ready();
                match conn.send_body(content, top_lines).await {
                    Ok(()) => {
                        let _ = conn.session.body_done();
                    }
                    Err(BodyError::Read(error)) => {
                        tracing::warn!(%error, index, "reading a message failed while sending it");
                        let _ = conn.session.body_failed();
                    }
                    Err(BodyError::Write(error)) => return Err(error),
                }
            }
            Event::Commit { deleted } => {
                let result = match maildrop.as_mut() {
                    Some(maildrop) => maildrop.commit(&deleted).await,
                    None if deleted.is_empty() => Ok(()),
                    None => Err("no maildrop is open".into()),
                };
                // Released (its lock with it) before the client hears the
                // +OK: a client that logs in again at once must not find
                // its own maildrop still in use.
                drop(maildrop.take());
                match result {
                    Ok(()) => {
                        let _ = conn.session.commit_done();
                    }
                    Err(error) => {
                        tracing::warn!(%error, ?peer, "removing deleted messages failed");
                        let _ = conn.session.commit_failed();
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Accepts connections for ever, serving each in its own task. Accept
/// errors (such as running out of file descriptors) are logged and retried.
pub async fn serve_listener<B: Backend>(
    listener: tokio::net::TcpListener,
    backend: Arc<B>,
    options: Arc<ServerOptions>,
) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors or a connection aborted before accept:
                // the listener itself is fine, so wait a little and go on.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().ok();
        let backend = Arc::clone(&backend);
        let options = Arc::clone(&options);
        tokio::spawn(async move {
            let info = ConnectionInfo::new(Some(peer), local, options.implicit_tls);
            if let Err(error) = serve(&*backend, stream, info, &options).await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
}
