//! mbox mailboxes: a streaming [`MboxReader`] and [`MboxWriter`] for the
//! `mboxo` and `mboxrd` variants.
//!
//! An mbox file is a sequence of messages, each introduced by a separator
//! line `From <sender> <date>` and followed by an empty line. Lines of a
//! message that would look like a separator are quoted with `>`:
//!
//! * [`Format::Mboxrd`] quotes every line matching `^>*From ` with one more
//!   `>` and the reader removes exactly one `>` again, so any message
//!   survives a write and a read unchanged (see [`MboxWriter`] for the one
//!   normalisation: a missing final newline is added).
//! * [`Format::Mboxo`] quotes only `^From ` and the reader unquotes only
//!   `^>From `, so a message line that really started with `>From ` comes
//!   back as `From `: the format is lossy by nature.
//!
//! Both sides stream: neither needs a whole message, let alone the whole
//! mailbox, in memory.
//!
//! [`Mbox`] is an mbox file on disk (`/var/mail/alice`): locked as mutt,
//! Dovecot and Postfix lock it ([`Locking`]: dotlock, `fcntl`, `flock`),
//! with durable append and an expunge that rewrites through a temporary
//! file and a rename, so a crash leaves the old or the new mailbox whole.
//!
//! ```
//! use maildir::mbox::{Envelope, Format, MboxReader, MboxWriter};
//!
//! let mut file = Vec::new();
//! let mut writer = MboxWriter::new(&mut file, Format::Mboxrd);
//! let envelope = Envelope::new(b"alice@example.org", b"Thu Jan  1 00:00:00 1970");
//! writer.write_message(&envelope, b"Subject: hi\n\nFrom here on\n")?;
//! writer.finish()?;
//! assert_eq!(
//!     file,
//!     b"From alice@example.org Thu Jan  1 00:00:00 1970\nSubject: hi\n\n>From here on\n\n"
//! );
//!
//! let messages = maildir::mbox::read_all(&file[..], Format::Mboxrd)?;
//! assert_eq!(messages.len(), 1);
//! assert_eq!(messages[0].envelope.sender, b"alice@example.org");
//! assert_eq!(messages[0].data, b"Subject: hi\n\nFrom here on\n");
//! # Ok::<(), maildir::Error>(())
//! ```

mod lock;
mod mailbox;
mod reader;
mod writer;

use std::io::BufRead;
use std::time::{SystemTime, UNIX_EPOCH};

pub use lock::Locking;
pub use mailbox::{Append, LockedMbox, Mbox};
pub use reader::{MboxReader, MessageInfo};
pub use writer::MboxWriter;

use crate::Result;

/// Which `From `-quoting convention an mbox file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The original format: only `^From ` is quoted (as `>From `) and only
    /// `^>From ` is unquoted. Lossy for lines that start with `>From `.
    Mboxo,
    /// The reversible format: `^>*From ` gains one `>` when written and
    /// `^>+From ` loses one when read.
    Mboxrd,
}

/// The separator line of a message, `From <sender> <date>`, kept as raw
/// bytes as found in the file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope {
    /// The envelope sender: the first word after `From ` (may be empty in
    /// files written by other programs).
    pub sender: Vec<u8>,
    /// Everything after the sender, without the line ending and trailing
    /// white space; usually an asctime date (`Thu Jan  1 00:00:00 1970`),
    /// sometimes followed by more text (a time zone, `remote from ...`).
    pub date: Vec<u8>,
}

impl Envelope {
    /// An envelope from raw sender and date bytes.
    pub fn new(sender: impl Into<Vec<u8>>, date: impl Into<Vec<u8>>) -> Self {
        Envelope {
            sender: sender.into(),
            date: date.into(),
        }
    }

    /// An envelope for `sender` (`MAILER-DAEMON` when empty) received at
    /// `time`, formatted in UTC as asctime does (`Www Mmm dd hh:mm:ss yyyy`,
    /// the day padded with a space like mutt and Dovecot write it).
    pub fn at(sender: &str, time: SystemTime) -> Self {
        let sender = if sender.is_empty() {
            "MAILER-DAEMON"
        } else {
            sender
        };
        Envelope::new(sender, asctime(time))
    }

    /// Parses the text after `From ` of a separator line (line ending
    /// included or not).
    pub fn parse(rest: &[u8]) -> Self {
        let rest = trim_end(rest);
        let split = rest
            .iter()
            .position(|&b| b == b' ' || b == b'\t')
            .unwrap_or(rest.len());
        let (sender, date) = rest.split_at(split);
        let date_start = date
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(date.len());
        Envelope::new(sender, &date[date_start..])
    }
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [head @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = head;
        } else {
            break;
        }
    }
    s
}

/// Formats `time` in UTC like C's `asctime`, without the newline:
/// `Thu Jan  1 00:00:00 1970`. Times before 1970 are clamped to the epoch.
pub fn asctime(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let weekday = DAYS[((days + 4) % 7) as usize];
    // Howard Hinnant's civil_from_days, for non-negative day numbers.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{weekday} {} {day:>2} {:02}:{:02}:{:02} {year}",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One message read whole, as [`read_all`] and [`MboxReader::read_message`]
/// return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The separator line.
    pub envelope: Envelope,
    /// The message bytes (header and body), unquoted, without the empty
    /// line that precedes the next separator.
    pub data: Vec<u8>,
}

/// Reads every message of an mbox into memory. Convenient for tests and
/// small files; use [`MboxReader`] to stream.
pub fn read_all(input: impl BufRead, format: Format) -> Result<Vec<Message>> {
    collect(MboxReader::new(input, format))
}

/// Reads every message `reader` has left.
fn collect<R: BufRead>(mut reader: MboxReader<R>) -> Result<Vec<Message>> {
    let mut messages = Vec::new();
    while let Some(message) = reader.read_message()? {
        messages.push(message);
    }
    Ok(messages)
}
