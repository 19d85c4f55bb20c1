//! Encoders: responses (server side) and commands (client side), into a
//! `bytes::BytesMut`.

mod command;
mod response;
pub use command::command;
pub use response::{FetchWriter, response};
mod writer;

pub use writer::{EncodeOptions, LiteralMode, Writer};
