//! The types of the grammar, shared by the parsers and the encoders. Every
//! type borrows from the input where it can (`'a`) and has an owned form.

pub mod body;
pub mod capability;
pub mod code;
pub mod command;
pub mod core;
pub mod datetime;
pub mod fetch;
pub mod flag;
pub mod list;
pub mod mailbox;
pub mod response;
pub mod search;
pub mod sequence;
pub mod status;
