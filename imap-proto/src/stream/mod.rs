mod append;
pub mod client;
mod framing;
pub mod server;
