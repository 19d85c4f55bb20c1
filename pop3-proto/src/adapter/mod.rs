//! The async adapter (feature `tokio`): drives a POP3 server session over
//! any `AsyncRead + AsyncWrite` and calls an async [`Backend`].

mod backend;

pub use backend::{
    Backend, BackendError, ConnectionInfo, Maildrop, MessageStream, OpenError, RetrieveOptions,
};
