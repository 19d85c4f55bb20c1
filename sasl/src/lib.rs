//! Sans-IO SASL for mail protocols: server and client mechanisms, Dovecot
//! password schemes and one async credential trait.
//!
//! Every mechanism is a pure state machine: bytes in, a challenge, a
//! credential look-up, success or a typed failure out. No I/O, no runtime.
//! SMTP (RFC 4954), POP3 (RFC 5034) and IMAP (RFC 3501/9051) share it; the
//! protocols' base64 line forms are in [`line`].
//!
//! Mechanisms: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-1 and
//! SCRAM-SHA-256 with their -PLUS variants (RFC 5802, RFC 7677), OAUTHBEARER
//! (RFC 7628), XOAUTH2, EXTERNAL and ANONYMOUS (RFC 4505).
//!
//! # A whole exchange
//!
//! ```
//! use sasl::{ClientConfig, ClientSession, Mechanism, ServerConfig, ServerSession, ServerStep};
//! use sasl::memory::MemoryStore;
//!
//! let mut store = MemoryStore::new();
//! store.add_plaintext("tim", "tanstaaftanstaaf");
//!
//! let mut client = ClientSession::new(
//!     Mechanism::ScramSha256,
//!     ClientConfig::password("tim", "tanstaaftanstaaf"),
//! ).unwrap();
//! let mut server = ServerSession::new(Mechanism::ScramSha256, ServerConfig::default());
//!
//! let initial = client.initial_response().unwrap();
//! let mut step = futures_executor::block_on(server.start_with(Some(&initial), &store));
//! loop {
//!     match step {
//!         ServerStep::Challenge(challenge) => {
//!             let response = client.step(&challenge).unwrap();
//!             step = futures_executor::block_on(server.step_with(&response, &store));
//!         }
//!         ServerStep::Success(done) => {
//!             client.finish(done.additional_data.as_deref()).unwrap();
//!             assert_eq!(done.identity.authorization_id(), "tim");
//!             break;
//!         }
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod credentials;
mod decoy;
mod error;
mod identity;
pub mod line;
mod mechanism;
pub mod memory;
mod oauth;
pub mod password;
mod scram;
mod secret;
pub mod server;

pub use client::{ClientConfig, ClientSession};
pub use credentials::{
    Answer, CredentialRequest, CredentialStore, Requirement, StoreError, answer, scram_from_stored,
    verify_stored,
};
pub use error::{AuthError, ClientError};
pub use identity::Identity;
pub use mechanism::{Mechanism, ParseMechanismError};
pub use password::{PasswordError, PasswordHash, Scheme};
pub use scram::ChannelBinding;
pub use scram::keys::{
    DEFAULT_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS, ScramCredentials, ScramHash, normalize_password,
};
pub use secret::Secret;
pub use server::{ServerConfig, ServerSession, ServerStep, Success};
