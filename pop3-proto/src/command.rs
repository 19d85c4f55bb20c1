//! POP3 commands (RFC 1939, RFC 2449, RFC 2595, RFC 5034, RFC 6856) and
//! their wire form.
//!
//! ```
//! use bytes::BytesMut;
//! use pop3_proto::{Command, CommandLimits};
//!
//! let command = Command::parse(b"TOP 1 10", &CommandLimits::default()).unwrap();
//! assert_eq!(command, Command::Top { message: 1, lines: 10 });
//! let mut out = BytesMut::new();
//! command.encode(&mut out);
//! assert_eq!(&out[..], b"TOP 1 10\r\n");
//! ```

use bytes::BytesMut;

/// One client command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name` (RFC 1939 §7): the rest of the line, trailing blanks removed.
    User(String),
    /// `PASS secret` (RFC 1939 §7): the rest of the line after one space,
    /// spaces included, as bytes.
    Pass(sasl::Secret),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox name (everything before the last space).
        user: String,
        /// The digest: 32 hex digits, lower case.
        digest: String,
    },
    /// `AUTH [mechanism [initial-response]]` (RFC 5034). Without a
    /// mechanism it asks for the list of mechanisms (as Outlook and other
    /// RFC 1734 clients do).
    Auth {
        /// The mechanism name, as sent.
        mechanism: Option<String>,
        /// The initial response, base64 or `=` for an empty one.
        initial_response: Option<String>,
    },
    /// `STAT`
    Stat,
    /// `LIST [msg]`
    List(Option<u32>),
    /// `RETR msg`
    Retr(u32),
    /// `DELE msg`
    Dele(u32),
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP msg n`
    Top {
        /// The message number.
        message: u32,
        /// Body lines wanted.
        lines: u64,
    },
    /// `UIDL [msg]`
    Uidl(Option<u32>),
    /// `CAPA` (RFC 2449)
    Capa,
    /// `STLS` (RFC 2595)
    Stls,
    /// `UTF8` (RFC 6856)
    Utf8,
}

impl Command {
    /// The command's keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Auth { .. } => "AUTH",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top { .. } => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Utf8 => "UTF8",
        }
    }

    /// Appends the command line, CRLF included. Arguments are written as
    /// they are; a name or secret holding CR or LF cannot be sent and
    /// would end the line early, so callers check them first.
    pub fn encode(&self, out: &mut BytesMut) {
        out.extend_from_slice(self.keyword().as_bytes());
        let mut arg = |bytes: &[u8]| {
            out.extend_from_slice(b" ");
            out.extend_from_slice(bytes);
        };
        match self {
            Command::User(user) => arg(user.as_bytes()),
            Command::Pass(secret) => arg(secret.as_bytes()),
            Command::Apop { user, digest } => {
                arg(user.as_bytes());
                arg(digest.as_bytes());
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if let Some(mechanism) = mechanism {
                    arg(mechanism.as_bytes());
                }
                if let Some(response) = initial_response {
                    arg(response.as_bytes());
                }
            }
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => arg(n.to_string().as_bytes()),
            Command::Top { message, lines } => {
                arg(message.to_string().as_bytes());
                arg(lines.to_string().as_bytes());
            }
            Command::List(None)
            | Command::Uidl(None)
            | Command::Stat
            | Command::Noop
            | Command::Rset
            | Command::Quit
            | Command::Capa
            | Command::Stls
            | Command::Utf8 => {}
        }
        out.extend_from_slice(b"\r\n");
    }
}
