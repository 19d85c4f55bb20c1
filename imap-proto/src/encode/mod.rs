//! Encoders: responses (server side) and commands (client side), into a
//! `bytes::BytesMut`.

mod response;
pub use response::{FetchWriter, response};
mod writer;

pub use writer::{EncodeOptions, LiteralMode, Writer};
