//! The parts of `smtp-sink`: the spool directory it stores into, the
//! backend that accepts and stores messages, and its TLS certificate.

pub(crate) mod backend;
pub(crate) mod spool;
pub(crate) mod tls;
