//! SMTP and LMTP commands and their encoder. The parser is in
//! [`parse`](crate::parse).

use std::fmt::Write as _;

use bytes::BytesMut;

use crate::address::{ForwardPath, ReversePath};
use crate::params::{MailParams, RcptParams};

/// One command line, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `EHLO domain-or-address-literal` (RFC 5321).
    Ehlo(String),
    /// `HELO domain` (RFC 5321).
    Helo(String),
    /// `LHLO domain` (RFC 2033).
    Lhlo(String),
    /// `MAIL FROM:<reverse-path> [params]`.
    Mail {
        /// The sender.
        from: ReversePath,
        /// ESMTP parameters.
        params: MailParams,
    },
    /// `RCPT TO:<forward-path> [params]`.
    Rcpt {
        /// The recipient.
        to: ForwardPath,
        /// ESMTP parameters.
        params: RcptParams,
    },
    /// `DATA`.
    Data,
    /// `BDAT size [LAST]` (RFC 3030); `size` octets of message data follow the line.
    Bdat {
        /// The chunk size in octets.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `VRFY string`.
    Vrfy(String),
    /// `EXPN string`.
    Expn(String),
    /// `HELP [string]`.
    Help(Option<String>),
    /// `NOOP [string]`.
    Noop(Option<String>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The SASL mechanism name, upper-cased.
        mechanism: String,
        /// The initial response as sent: base64, or `=` for an empty one.
        initial_response: Option<String>,
    },
    /// `ETRN node` (RFC 1985).
    Etrn(String),
}

impl Command {
    /// Writes the command line, CRLF included, as a client sends it.
    ///
    /// Parsing the line (without its CRLF) gives back an equal command as long
    /// as the values are ones the parser can produce: for instance a HELO
    /// argument or a local part with a line break in it cannot be sent.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use smtp_proto::{Command, Domain, Mailbox, MailParams, ReversePath};
    ///
    /// let mail = Command::Mail {
    ///     from: ReversePath::Mailbox(Mailbox {
    ///         local_part: "john smith".into(),
    ///         domain: Domain::Name("example.com".into()),
    ///     }),
    ///     params: MailParams { size: Some(1000), ..Default::default() },
    /// };
    /// let mut out = BytesMut::new();
    /// mail.encode(&mut out);
    /// assert_eq!(&out[..], b"MAIL FROM:<\"john smith\"@example.com> SIZE=1000\r\n");
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        // Writing into a BytesMut only grows it; it cannot fail.
        let _ = match self {
            Command::Ehlo(domain) => write!(out, "EHLO {domain}"),
            Command::Helo(domain) => write!(out, "HELO {domain}"),
            Command::Lhlo(domain) => write!(out, "LHLO {domain}"),
            Command::Mail { from, params } => write!(out, "MAIL FROM:{from}{params}"),
            Command::Rcpt { to, params } => write!(out, "RCPT TO:{to}{params}"),
            Command::Data => out.write_str("DATA"),
            Command::Bdat { size, last: false } => write!(out, "BDAT {size}"),
            Command::Bdat { size, last: true } => write!(out, "BDAT {size} LAST"),
            Command::Rset => out.write_str("RSET"),
            Command::Vrfy(arg) => write!(out, "VRFY {arg}"),
            Command::Expn(arg) => write!(out, "EXPN {arg}"),
            Command::Help(None) => out.write_str("HELP"),
            Command::Help(Some(arg)) => write!(out, "HELP {arg}"),
            Command::Noop(None) => out.write_str("NOOP"),
            Command::Noop(Some(arg)) => write!(out, "NOOP {arg}"),
            Command::Quit => out.write_str("QUIT"),
            Command::StartTls => out.write_str("STARTTLS"),
            Command::Auth {
                mechanism,
                initial_response: None,
            } => write!(out, "AUTH {mechanism}"),
            Command::Auth {
                mechanism,
                initial_response: Some(response),
            } => write!(out, "AUTH {mechanism} {response}"),
            Command::Etrn(node) => write!(out, "ETRN {node}"),
        };
        out.extend_from_slice(b"\r\n");
    }
}
