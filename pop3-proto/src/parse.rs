//! The command parser: one line (without its CRLF) to a [`Command`], under
//! limits.
//!
//! RFC 2449 §4 limits a command line to 255 octets and an argument to 40
//! characters, but real clients exceed both (user names that are long
//! addresses, long passwords, XOAUTH2 tokens as AUTH initial responses), so
//! the limits are parameters: [`CommandLimits::RFC2449`] is the strict form,
//! [`CommandLimits::default`] the lenient one servers such as Dovecot
//! practise. The line length is enforced as bytes arrive by
//! [`LineReader`](crate::line::LineReader); the parser checks arguments.
//!
//! Leniency the parser allows: keywords in any case, several spaces between
//! arguments, trailing spaces, spaces inside a `PASS` password (the rest of
//! the line is the password) and inside a `USER` name.

use crate::command::Command;

/// Limits on commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandLimits {
    /// The longest command line, CRLF included.
    pub max_line_length: usize,
    /// The longest argument of a command other than `AUTH` (whose initial
    /// response is limited only by the line length), in octets.
    pub max_argument_length: usize,
}

impl CommandLimits {
    /// RFC 2449's limits: 255-octet lines, 40-octet arguments.
    pub const RFC2449: CommandLimits = CommandLimits {
        max_line_length: 255,
        max_argument_length: 40,
    };

    /// Limits of `max_line_length` octets per line and
    /// `max_argument_length` per argument.
    pub fn new(max_line_length: usize, max_argument_length: usize) -> Self {
        Self {
            max_line_length,
            max_argument_length,
        }
    }
}

impl Default for CommandLimits {
    /// 8192-octet lines (room for AUTH initial responses and OAuth tokens)
    /// and 1024-octet arguments.
    fn default() -> Self {
        Self {
            max_line_length: 8192,
            max_argument_length: 1024,
        }
    }
}

/// Why a line is not a command the parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line is empty or blank.
    #[error("empty command line")]
    Empty,
    /// The keyword is not a POP3 command.
    #[error("unknown command")]
    UnknownCommand,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// More arguments than the command takes.
    #[error("too many arguments")]
    TooManyArguments,
    /// An argument does not have the form the command wants (a message
    /// number that is not a decimal number, an APOP digest that is not 32
    /// hex digits, a name with control characters).
    #[error("invalid argument")]
    InvalidArgument,
    /// An argument is longer than [`CommandLimits::max_argument_length`].
    #[error("argument too long")]
    ArgumentTooLong,
    /// The line is longer than [`CommandLimits::max_line_length`].
    #[error("command line too long")]
    LineTooLong,
    /// Text that must be UTF-8 is not.
    #[error("argument is not UTF-8")]
    NotUtf8,
}

impl Command {
    /// Parses one command line, without its line end (a trailing CR or LF
    /// is tolerated).
    pub fn parse(line: &[u8], limits: &CommandLimits) -> Result<Command, ParseError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() + 2 > limits.max_line_length.max(2) {
            return Err(ParseError::LineTooLong);
        }
        let start = line
            .iter()
            .position(|&byte| byte != b' ')
            .ok_or(ParseError::Empty)?;
        let line = &line[start..];
        let (keyword, rest) = match memchr::memchr(b' ', line) {
            Some(space) => (&line[..space], &line[space + 1..]),
            None => (line, &[][..]),
        };
        if keyword.len() > 4 || keyword.len() < 3 {
            return Err(ParseError::UnknownCommand);
        }
        let mut upper = [0u8; 4];
        upper[..keyword.len()].copy_from_slice(keyword);
        upper.make_ascii_uppercase();
        let keyword = &upper[..keyword.len()];
        let args = Args::new(rest, limits);
        match keyword {
            b"USER" => {
                let user = trim_blanks(rest);
                if user.is_empty() {
                    return Err(ParseError::MissingArgument);
                }
                args.check_len(user)?;
                Ok(Command::User(text(user)?.to_string()))
            }
            b"PASS" => {
                if line.len() == 4 {
                    return Err(ParseError::MissingArgument);
                }
                args.check_len(rest)?;
                if rest
                    .iter()
                    .any(|&byte| byte == 0 || byte == b'\r' || byte == b'\n')
                {
                    return Err(ParseError::InvalidArgument);
                }
                Ok(Command::Pass(sasl::Secret::from(rest)))
            }
            b"APOP" => {
                let rest = trim_blanks(rest);
                let space = memchr::memrchr(b' ', rest).ok_or(ParseError::MissingArgument)?;
                let user = trim_blanks(&rest[..space]);
                let digest = &rest[space + 1..];
                if user.is_empty() {
                    return Err(ParseError::MissingArgument);
                }
                args.check_len(user)?;
                if digest.len() != 32 || !digest.iter().all(u8::is_ascii_hexdigit) {
                    return Err(ParseError::InvalidArgument);
                }
                Ok(Command::Apop {
                    user: text(user)?.to_string(),
                    digest: String::from_utf8_lossy(digest).to_ascii_lowercase(),
                })
            }
            b"AUTH" => {
                let mut words = rest.split(|&byte| byte == b' ').filter(|w| !w.is_empty());
                let mechanism = words.next();
                let initial = words.next();
                if words.next().is_some() {
                    return Err(ParseError::TooManyArguments);
                }
                let mechanism = match mechanism {
                    None => None,
                    Some(name) => {
                        args.check_len(name)?;
                        if !name
                            .iter()
                            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        {
                            return Err(ParseError::InvalidArgument);
                        }
                        Some(text(name)?.to_string())
                    }
                };
                let initial_response = match initial {
                    None => None,
                    Some(ir) => {
                        if !ir.iter().all(|&b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'*')
                        }) {
                            return Err(ParseError::InvalidArgument);
                        }
                        Some(text(ir)?.to_string())
                    }
                };
                Ok(Command::Auth {
                    mechanism,
                    initial_response,
                })
            }
            b"STAT" => args.none(Command::Stat),
            b"NOOP" => args.none(Command::Noop),
            b"RSET" => args.none(Command::Rset),
            b"QUIT" => args.none(Command::Quit),
            b"CAPA" => args.none(Command::Capa),
            b"STLS" => args.none(Command::Stls),
            b"UTF8" => args.none(Command::Utf8),
            b"LIST" => Ok(Command::List(args.optional_number()?)),
            b"UIDL" => Ok(Command::Uidl(args.optional_number()?)),
            b"RETR" => Ok(Command::Retr(args.one_number()?)),
            b"DELE" => Ok(Command::Dele(args.one_number()?)),
            b"TOP" => {
                let [message, lines] = args.words::<2>()?;
                let (Some(message), Some(lines)) = (message, lines) else {
                    return Err(ParseError::MissingArgument);
                };
                Ok(Command::Top {
                    message: number(message)?,
                    lines: number(lines)?,
                })
            }
            _ => Err(ParseError::UnknownCommand),
        }
    }
}

/// The space-separated arguments after the keyword.
struct Args<'a> {
    rest: &'a [u8],
    limits: &'a CommandLimits,
}

impl<'a> Args<'a> {
    fn new(rest: &'a [u8], limits: &'a CommandLimits) -> Self {
        Self { rest, limits }
    }

    fn check_len(&self, arg: &[u8]) -> Result<(), ParseError> {
        if arg.len() > self.limits.max_argument_length {
            Err(ParseError::ArgumentTooLong)
        } else {
            Ok(())
        }
    }

    /// Up to `N` words; more is an error.
    fn words<const N: usize>(&self) -> Result<[Option<&'a [u8]>; N], ParseError> {
        let mut found = [None; N];
        let mut words = self
            .rest
            .split(|&byte| byte == b' ')
            .filter(|w| !w.is_empty());
        for slot in &mut found {
            *slot = words.next();
            if let Some(word) = slot {
                self.check_len(word)?;
            }
        }
        if words.next().is_some() {
            return Err(ParseError::TooManyArguments);
        }
        Ok(found)
    }

    fn none(&self, command: Command) -> Result<Command, ParseError> {
        self.words::<0>().map(|[]| command)
    }

    fn optional_number<T: std::str::FromStr>(&self) -> Result<Option<T>, ParseError> {
        let [word] = self.words::<1>()?;
        word.map(number).transpose()
    }

    fn one_number<T: std::str::FromStr>(&self) -> Result<T, ParseError> {
        self.optional_number()?.ok_or(ParseError::MissingArgument)
    }
}

/// A decimal number: digits only (no sign), no overflow.
fn number<T: std::str::FromStr>(word: &[u8]) -> Result<T, ParseError> {
    if word.is_empty() || !word.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::InvalidArgument);
    }
    std::str::from_utf8(word)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(ParseError::InvalidArgument)
}

fn trim_blanks(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// UTF-8 text without control characters.
fn text(bytes: &[u8]) -> Result<&str, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
    if text.chars().any(char::is_control) {
        return Err(ParseError::InvalidArgument);
    }
    Ok(text)
}
