//! The socket side every protocol adapter shares: reads with an idle
//! limit, writes with a time limit, closing, and the TLS upgrade.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::TlsInfo;
use crate::shutdown::Shutdown;
use crate::stream::{AsyncStream, BoxedStream, TlsAcceptor};

/// What one read brought.
#[derive(Debug)]
pub enum ReadOutcome<'a> {
    /// Bytes from the peer.
    Bytes(&'a [u8]),
    /// The peer closed its side (or the connection is already closed).
    End,
    /// Nothing came within the limit.
    TimedOut,
    /// The read failed; the connection is as good as closed.
    Failed(io::Error),
    /// The server is stopping (only from
    /// [`read_or_shutdown`](WireIo::read_or_shutdown)).
    Shutdown,
}

/// A connection's stream with its read buffer and write time limit.
pub struct WireIo {
    stream: Option<BoxedStream>,
    buf: Vec<u8>,
    write_timeout: Duration,
}

impl std::fmt::Debug for WireIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireIo")
            .field("open", &self.stream.is_some())
            .field("read_size", &self.buf.len())
            .field("write_timeout", &self.write_timeout)
            .finish()
    }
}

impl WireIo {
    /// Wraps `stream`, reading up to `read_size` bytes at a time (at least
    /// 512) and giving every write `write_timeout`.
    pub fn new(stream: BoxedStream, read_size: usize, write_timeout: Duration) -> Self {
        Self {
            stream: Some(stream),
            buf: vec![0; read_size.max(512)],
            write_timeout,
        }
    }

    /// How many bytes one read may bring.
    pub fn read_size(&self) -> usize {
        self.buf.len()
    }

    /// Reads what the peer sent next, waiting at most `limit`.
    pub async fn read(&mut self, limit: Duration) -> ReadOutcome<'_> {
        let Some(stream) = self.stream.as_mut() else {
            return ReadOutcome::End;
        };
        match timeout(limit, stream.read(&mut self.buf)).await {
            Err(_) => ReadOutcome::TimedOut,
            Ok(Ok(0)) => ReadOutcome::End,
            Ok(Ok(n)) => ReadOutcome::Bytes(&self.buf[..n]),
            Ok(Err(error)) => ReadOutcome::Failed(error),
        }
    }

    /// Like [`read`](Self::read), but, given a `shutdown`, gives up with
    /// [`ReadOutcome::Shutdown`] as soon as it fires, without waiting for
    /// the peer. Bytes that arrive at the same moment are not lost to a
    /// later read: the read is only abandoned while it has nothing.
    pub async fn read_or_shutdown(
        &mut self,
        limit: Duration,
        shutdown: Option<&mut Shutdown>,
    ) -> ReadOutcome<'_> {
        let Some(shutdown) = shutdown else {
            return self.read(limit).await;
        };
        if shutdown.is_triggered() {
            return ReadOutcome::Shutdown;
        }
        let Some(stream) = self.stream.as_mut() else {
            return ReadOutcome::End;
        };
        tokio::select! {
            biased;
            read = timeout(limit, stream.read(&mut self.buf)) => match read {
                Err(_) => ReadOutcome::TimedOut,
                Ok(Ok(0)) => ReadOutcome::End,
                Ok(Ok(n)) => ReadOutcome::Bytes(&self.buf[..n]),
                Ok(Err(error)) => ReadOutcome::Failed(error),
            },
            () = shutdown.triggered() => ReadOutcome::Shutdown,
        }
    }

    /// Writes and flushes `bytes` within the write time limit.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let stream = self.stream.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        timeout(self.write_timeout, write)
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
    }

    /// Closes our side (TLS close_notify, TCP FIN). The peer may already
    /// be gone; nothing is lost by failing to say goodbye.
    pub async fn close(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            let _ = timeout(self.write_timeout, stream.shutdown()).await;
        }
    }

    /// Runs the server side of a TLS handshake on the connection (STARTTLS,
    /// STLS) within `limit`; later reads and writes go through TLS.
    pub async fn upgrade(
        &mut self,
        acceptor: &dyn TlsAcceptor,
        limit: Duration,
    ) -> io::Result<TlsInfo> {
        let stream = self.stream.take().ok_or(io::ErrorKind::NotConnected)?;
        let (stream, info) = handshake(acceptor, stream, limit).await?;
        self.stream = Some(stream);
        Ok(info)
    }
}

/// Runs the server side of a TLS handshake on a new connection (implicit
/// TLS) within `limit`.
pub async fn handshake(
    acceptor: &dyn TlsAcceptor,
    stream: impl AsyncStream + 'static,
    limit: Duration,
) -> io::Result<(BoxedStream, TlsInfo)> {
    timeout(limit, acceptor.accept(Box::new(stream)))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}
