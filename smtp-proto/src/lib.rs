//! SMTP and LMTP (RFC 5321, RFC 2033) in three layers.
//!
//! - **Codec** (always compiled, no runtime): [`Command`] with its parser and
//!   encoder, paths and typed ESMTP parameters, [`Reply`] with its encoder and
//!   a streaming [`ReplyParser`] for clients, [`Capabilities`] (EHLO
//!   keywords), the streaming [`DataDecoder`] (dot-unstuffing, end of data,
//!   smuggling protection) and [`BdatDecoder`].
//! - **Session** ([`server`], sans-IO): a server state machine that enforces
//!   SMTP policy (command order, PIPELINING flush points, limits, STARTTLS,
//!   AUTH through the `sasl` crate) and asks its caller for decisions.
//! - **Async adapter** (feature `tokio`, TLS with feature `rustls`): drives a
//!   session over a socket and calls an async backend.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "tokio")]
pub mod adapter;
pub mod address;
pub mod bdat;
pub mod capabilities;
pub mod command;
pub mod data;
pub mod params;
pub mod parse;
pub mod reply;
pub mod reply_parser;
pub mod server;
pub mod xtext;

/// Dot-stuffing (shared with the other protocol crates).
pub use wire::dot_stuff;
/// Line splitting under a limit (shared with the other protocol crates).
pub use wire::line;

pub use address::{Domain, ForwardPath, Mailbox, ReversePath};
pub use bdat::BdatDecoder;
pub use capabilities::Capabilities;
pub use command::Command;
pub use data::{DataDecoder, DataEvent, LineEndingPolicy};
pub use dot_stuff::DotStuffer;
pub use params::{AuthParam, Body, MailParams, Notify, Orcpt, Param, RcptParams, Ret};
pub use parse::ParseError;
pub use reply::{EnhancedCode, Reply};
pub use reply_parser::{ReplyError, ReplyParser};
