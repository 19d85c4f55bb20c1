//! Running one connection: socket I/O, timeouts, TLS, and the backend calls.

use std::io;
use std::sync::Arc;

use wire::{FailureDelay, ReadOutcome, WireIo, handshake};

use super::body::BodyState;
use super::{
    Backend, BackendError, BoxedStream, ConnectionInfo, MessageBody, ServerOptions, Session,
    TransactionContext,
};
use crate::reply::{EnhancedCode, Reply};
use crate::server::{Event, ServerSession};

/// The socket side of a session.
pub(super) struct Connection {
    io: WireIo,
    pub(super) session: ServerSession,
    options: ServerOptions,
    /// The pause before each failed login's reply.
    failure_delay: FailureDelay,
}

impl Connection {
    fn new(stream: BoxedStream, session: ServerSession, options: &ServerOptions) -> Self {
        Self {
            io: WireIo::new(stream, options.read_size, options.timeouts.write),
            session,
            options: options.clone(),
            failure_delay: FailureDelay::new(options.auth_failure_delay),
        }
    }

    /// The next event a backend must see, doing the I/O the session asks
    /// for on the way (flushes, reads, STARTTLS). `None` once the session
    /// has closed.
    pub(super) async fn next_event(&mut self) -> io::Result<Option<Event>> {
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
        let limit = if self.session.in_body() {
            self.options.timeouts.data
        } else {
            self.options.timeouts.command
        };
        // A message under way is received to its end before stopping.
        let shutdown = self
            .options
            .shutdown
            .as_mut()
            .filter(|_| !self.session.in_body());
        match self.io.read_or_shutdown(limit, shutdown).await {
            ReadOutcome::Bytes(bytes) => self.session.receive(bytes),
            ReadOutcome::TimedOut => self.session.timed_out(),
            ReadOutcome::End => self.session.end_of_input(),
            ReadOutcome::Shutdown => self.session.shutdown(),
            ReadOutcome::Failed(error) => {
                tracing::debug!(%error, "read failed");
                self.session.end_of_input();
            }
        }
    }

    async fn write_out(&mut self) -> io::Result<()> {
        self.failure_delay
            .before_reply(self.session.auth_failures())
            .await;
        let output = self.session.take_output();
        self.io.write(&output).await
    }

    async fn start_tls(&mut self) -> io::Result<()> {
        self.write_out().await?;
        let Some(acceptor) = self.options.tls.clone() else {
            return Err(io::Error::other("STARTTLS without a TLS acceptor"));
        };
        let info = self
            .io
            .upgrade(&*acceptor, self.options.timeouts.handshake)
            .await?;
        self.session.tls_started(info);
        Ok(())
    }
}

fn local_error() -> Reply {
    Reply::new(
        451,
        Some(EnhancedCode::new(4, 3, 0)),
        "Requested action aborted: local error in processing",
    )
}

/// A backend answer, with its error logged and hidden from the client.
fn checked(result: Result<Reply, BackendError>, what: &str) -> Reply {
    result.unwrap_or_else(|error| {
        tracing::warn!(%error, command = what, "backend error");
        local_error()
    })
}

/// Serves one connection to its end.
///
/// Fails with `InvalidInput` if the options offer STARTTLS or implicit TLS
/// without an acceptor; other errors are the connection's I/O errors.
pub async fn serve<B: Backend, S: super::AsyncStream + 'static>(
    backend: &B,
    stream: S,
    info: ConnectionInfo,
    options: &ServerOptions,
) -> io::Result<()> {
    let config = Arc::clone(&options.config);
    if (config.starttls || options.implicit_tls) && options.tls.is_none() {
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
    let mut backend_session = match backend.connect(&info).await {
        Ok(session) => session,
        Err(reply) => {
            let mut conn = Connection::new(stream, ServerSession::refuse(config, &reply), options);
            while conn.next_event().await?.is_some() {}
            return Ok(());
        }
    };
    let mut conn = Connection::new(stream, ServerSession::new(config, tls), options);
    while let Some(event) = conn.next_event().await? {
        let answer = match event {
            Event::Mail { from, params } => {
                let (hello, extended) = conn.session.client_hello().unzip();
                let context = TransactionContext {
                    hello,
                    extended: extended.unwrap_or(false),
                    tls: conn.session.tls(),
                    identity: conn.session.identity(),
                    lmtp: conn.session.config().lmtp,
                };
                backend_session.transaction(&context).await;
                Some(checked(backend_session.mail(&from, &params).await, "MAIL"))
            }
            Event::Rcpt { to, params } => {
                Some(checked(backend_session.rcpt(&to, &params).await, "RCPT"))
            }
            Event::Vrfy(argument) => Some(checked(backend_session.vrfy(&argument).await, "VRFY")),
            Event::Expn(argument) => Some(checked(backend_session.expn(&argument).await, "EXPN")),
            Event::Etrn(node) => Some(checked(backend_session.etrn(&node).await, "ETRN")),
            Event::DataStart => {
                receive_message(&mut conn, &mut backend_session).await;
                None
            }
            Event::Reset => {
                backend_session.reset().await;
                None
            }
            Event::AuthLookup(request) => {
                let answer = match backend.credentials() {
                    Some(store) => sasl::answer(store, &request).await,
                    None => sasl::Answer::Unavailable,
                };
                let _ = conn.session.auth_answer(answer);
                None
            }
            Event::Authenticated(identity) => {
                backend_session.authenticated(&identity).await;
                None
            }
            _ => None,
        };
        if let Some(reply) = answer {
            let _ = conn.session.answer(reply);
        }
    }
    Ok(())
}

/// Streams one message to the backend and answers for it.
async fn receive_message<S: Session>(conn: &mut Connection, backend: &mut S) {
    let recipients = conn.session.accepted_recipients();
    let lmtp = conn.session.config().lmtp;
    let mut body = MessageBody::new(conn);
    let result = if lmtp {
        backend.lmtp_data(&mut body, recipients).await
    } else {
        backend.data(&mut body).await.map(|reply| vec![reply])
    };
    if result.is_err() && body.state() == BodyState::Open {
        body.connection().session.abort_data(local_error());
    }
    body.drain().await;
    let state = body.state();
    if state != BodyState::Ended {
        backend.reset().await;
        if let Err(error) = result {
            tracing::warn!(%error, "backend error while receiving a message");
        }
        return;
    }
    let expected = if lmtp { recipients.max(1) } else { 1 };
    let mut replies = match result {
        Ok(replies) => replies,
        Err(error) => {
            tracing::warn!(%error, "backend error while storing a message");
            Vec::new()
        }
    };
    if replies.len() != expected && !replies.is_empty() {
        tracing::warn!(
            expected,
            got = replies.len(),
            "backend gave the wrong number of LMTP replies"
        );
    }
    replies.resize_with(expected, local_error);
    for reply in replies {
        let _ = conn.session.answer(reply);
    }
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
