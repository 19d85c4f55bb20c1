//! POP3 (RFC 1939, RFC 2449, RFC 5034): codec, sans-IO server session and
//! tokio adapter.
//!
//! - **Codec** (always compiled, no runtime): [`Command`] with its parser
//!   (under [`CommandLimits`]) and encoder; [`Response`] with response codes
//!   ([`RespCode`], RFC 2449/3206) and its parser; [`Capabilities`] (CAPA);
//!   the streaming multi-line body encoders [`DotStuffer`] (from the
//!   `wire` crate the protocol crates share) and [`TopFilter`],
//!   the client's [`BodyDecoder`]; [`listing`] lines for LIST and UIDL;
//!   [`apop`] timestamps and digests; [`line`](mod@line) splitting under a limit.
//! - **Session** ([`server`], sans-IO): AUTHORIZATION → TRANSACTION →
//!   UPDATE with every protocol rule (deletions only on QUIT, stable message
//!   numbers, STLS, PIPELINING, USER/PASS, APOP and SASL through the `sasl`
//!   crate, limits), asking its caller to look up credentials, open the
//!   maildrop, stream messages and commit deletions.
//! - **Async adapter** (feature `tokio`): drives a session over a socket.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod apop;
pub mod capabilities;
pub mod command;
pub mod listing;
pub mod maildrop;
pub mod parse;
pub mod resp_code;
pub mod response;
pub mod server;
pub mod top;
pub mod unstuff;

#[cfg(feature = "tokio")]
pub mod adapter;

pub use capabilities::{Capabilities, Expire, LoginDelay};
pub use command::Command;
pub use parse::{CommandLimits, ParseError};
pub use resp_code::{InvalidRespCode, RespCode};
pub use response::{Response, ResponseError, Status};
pub use top::TopFilter;
pub use unstuff::{BodyDecoder, BodyProgress};
/// Dot-stuffing of multi-line responses (shared with the other protocol
/// crates).
pub use wire::DotStuffer;
/// Line splitting under a limit (shared with the other protocol crates).
pub use wire::line;
