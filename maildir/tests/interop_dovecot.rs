//! Interop with Dovecot (Debian's dovecot-imapd) as the oracle: each test
//! starts its own `dovecot -F` from a throwaway configuration under a
//! scratch directory, listening on 127.0.0.1 only, and talks IMAP to it
//! with the small client below.
//!
//! * ours → Dovecot: a Maildir (with flags, keywords, an expunge gap and a
//!   Maildir++ subfolder) written with this crate, served by Dovecot, shows
//!   the same UIDVALIDITY, UIDNEXT, UIDs, flags, keywords and bodies;
//! * Dovecot → ours: a Maildir filled through IMAP (APPEND, STORE,
//!   EXPUNGE, CREATE) read with [`Folder`] and [`Keywords`] gives the
//!   same; a message we deliver afterwards is seen by a restarted Dovecot
//!   under the UID we gave it.
//!
//! Dovecot's mail processes run as `nobody:nogroup` (it refuses uid 0 from
//! a userdb), so the mail directory is handed to `nobody` before each
//! start; the tests run as root and read it regardless.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use maildir::delivery::Maildir;
use maildir::dotlock::DotLockOptions;
use maildir::folder::Folder;
use maildir::folders::MaildirPlusPlus;
use maildir::keywords::{KEYWORDS_FILE, Keywords};
use maildir::name::{Flag, Flags};

mod interop_support;
mod support;

use interop_support::{chown_nobody, require, to_crlf};
use support::TempDir;

const USER: &str = "alice";
const PASSWORD: &str = "secret";

// ---------------------------------------------------------------------------
// Dovecot from a throwaway configuration

/// A running `dovecot -F`; stopped with SIGTERM (then SIGKILL) on drop.
struct Dovecot {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Dovecot {
    /// Starts Dovecot with everything under `scratch` and the users' mail
    /// in `scratch/mail/<user>/Maildir`.
    fn start(scratch: &Path) -> Dovecot {
        let dovecot = require("/usr/sbin/dovecot", "dovecot-core");
        require("/usr/lib/dovecot/imap", "dovecot-imapd");
        require("kill", "procps");
        let mail = scratch.join("mail");
        fs::create_dir_all(mail.join(USER)).unwrap();
        // Dovecot's auth and mail processes run as other users: the
        // scratch path must be traversable (our Maildir code makes 0700
        // directories).
        for dir in [scratch, &mail, &mail.join(USER)] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        }
        chown_nobody(&mail);
        let run_dir = scratch.join("run");
        let state = scratch.join("state");
        fs::create_dir_all(&run_dir).unwrap();
        fs::create_dir_all(&state).unwrap();
        let passwd = scratch.join("passwd");
        fs::write(&passwd, format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let log = scratch.join("dovecot.log");
        let conf = scratch.join("dovecot.conf");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            fs::write(&conf, config(scratch, port)).unwrap();
            let child = Command::new(&dovecot)
                .arg("-c")
                .arg(&conf)
                .arg("-F")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(scratch.join("dovecot.stderr")).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", dovecot.display()));
            let mut d = Dovecot {
                child,
                port,
                log: log.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = d.child.try_wait() {
                    break;
                }
                if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                    let mut line = String::new();
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let _ = BufReader::new(s).read_line(&mut line);
                    if line.starts_with("* OK") {
                        return d;
                    }
                }
                assert!(
                    Instant::now() < deadline,
                    "dovecot did not greet on 127.0.0.1:{port} within 10 s; log:\n{}",
                    d.log_text()
                );
                thread::sleep(Duration::from_millis(50));
            }
            last_log = format!(
                "{}\n{}",
                d.log_text(),
                fs::read_to_string(scratch.join("dovecot.stderr")).unwrap_or_default()
            );
            drop(d);
            if !last_log.contains("in use") {
                break;
            }
        }
        panic!("dovecot exited at start:\n{last_log}");
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn connect(&self) -> Imap {
        Imap::connect(self.port)
    }

    /// Stops Dovecot and checks that its log shows no error.
    fn stop(mut self) {
        self.terminate();
        let log = self.log_text();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("Error:") || l.contains("Panic:") || l.contains("Fatal:"))
            .collect();
        assert!(errors.is_empty(), "dovecot logged errors:\n{log}");
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.terminate();
        if thread::panicking() {
            eprintln!("--- dovecot log ---\n{}", self.log_text());
        }
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(scratch: &Path, port: u16) -> String {
    let s = scratch.display();
    format!(
        "\
protocols = imap
listen = 127.0.0.1
base_dir = {s}/run
state_dir = {s}/state
log_path = {s}/dovecot.log
info_log_path = {s}/dovecot.log
debug_log_path = {s}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{s}/mail/%u/Maildir
mail_fsync = always
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {s}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={s}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"
    )
}

// ---------------------------------------------------------------------------
// A small IMAP client

/// An IMAP value as the client parses responses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Atom(String),
    Str(Vec<u8>),
    List(Vec<Val>),
}

impl Val {
    fn atom(&self) -> &str {
        match self {
            Val::Atom(a) => a,
            other => panic!("expected an atom, got {other:?}"),
        }
    }
}

/// Parses the values of a response line (literals inline).
fn parse_vals(line: &[u8]) -> Vec<Val> {
    fn skip_sp(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i] == b' ' {
            *i += 1;
        }
    }
    fn one(b: &[u8], i: &mut usize) -> Val {
        match b[*i] {
            b'(' => {
                *i += 1;
                let mut items = Vec::new();
                loop {
                    skip_sp(b, i);
                    assert!(
                        *i < b.len(),
                        "unterminated list in {:?}",
                        String::from_utf8_lossy(b)
                    );
                    if b[*i] == b')' {
                        *i += 1;
                        return Val::List(items);
                    }
                    items.push(one(b, i));
                }
            }
            b'"' => {
                *i += 1;
                let mut s = Vec::new();
                while b[*i] != b'"' {
                    if b[*i] == b'\\' {
                        *i += 1;
                    }
                    s.push(b[*i]);
                    *i += 1;
                }
                *i += 1;
                Val::Str(s)
            }
            b'{' => {
                let close = *i + b[*i..].iter().position(|&c| c == b'}').unwrap();
                let n: usize = std::str::from_utf8(&b[*i + 1..close])
                    .unwrap()
                    .parse()
                    .unwrap();
                let start = close + 3; // "}\r\n"
                *i = start + n;
                Val::Str(b[start..start + n].to_vec())
            }
            _ => {
                let start = *i;
                let mut depth = 0;
                while *i < b.len() {
                    let c = b[*i];
                    if c == b'[' {
                        depth += 1;
                    } else if c == b']' {
                        depth -= 1;
                    } else if depth == 0 && (c == b' ' || c == b'(' || c == b')') {
                        break;
                    }
                    *i += 1;
                }
                Val::Atom(String::from_utf8(b[start..*i].to_vec()).unwrap())
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        skip_sp(line, &mut i);
        if i >= line.len() {
            return out;
        }
        out.push(one(line, &mut i));
    }
}

/// One message as `UID FETCH` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fetched {
    /// Flags and keywords, without `\Recent` (session state, not stored).
    flags: BTreeSet<String>,
    size: Option<u64>,
    body: Option<Vec<u8>>,
}

/// What `SELECT` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Selected {
    exists: u32,
    uid_validity: u32,
    uid_next: u32,
}

#[derive(Debug)]
struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    fn connect(port: u16) -> Imap {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream),
            writer,
            tag: 0,
        };
        let greeting = imap.read_response();
        assert!(greeting.starts_with(b"* OK"), "greeting {greeting:?}");
        imap.command(&format!("LOGIN {USER} {PASSWORD}"));
        imap
    }

    /// One logical response line, literals included, without the final
    /// CRLF.
    fn read_response(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            self.reader
                .read_until(b'\n', &mut line)
                .expect("reading from dovecot");
            assert!(!line.is_empty(), "dovecot closed the connection");
            out.extend_from_slice(&line);
            let trimmed = line.strip_suffix(b"\r\n").unwrap_or(&line);
            let literal = trimmed
                .strip_suffix(b"}")
                .and_then(|t| t.iter().rposition(|&c| c == b'{').map(|p| &t[p + 1..]))
                .and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok());
            match literal {
                Some(n) => {
                    let mut data = vec![0; n];
                    self.reader.read_exact(&mut data).unwrap();
                    out.extend_from_slice(&data);
                }
                None => {
                    out.truncate(out.len() - (line.len() - trimmed.len()));
                    return out;
                }
            }
        }
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("a{}", self.tag)
    }

    /// Sends `cmd`, returns the untagged responses; panics unless the
    /// tagged response is OK.
    fn command(&mut self, cmd: &str) -> Vec<Vec<u8>> {
        let tag = self.next_tag();
        self.writer
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())
            .unwrap();
        self.finish(&tag, cmd)
    }

    fn finish(&mut self, tag: &str, cmd: &str) -> Vec<Vec<u8>> {
        let mut untagged = Vec::new();
        loop {
            let resp = self.read_response();
            if let Some(rest) = resp.strip_prefix(format!("{tag} ").as_bytes()) {
                assert!(
                    rest.starts_with(b"OK"),
                    "{cmd}: {}",
                    String::from_utf8_lossy(&resp)
                );
                untagged.push(resp);
                return untagged;
            }
            untagged.push(resp);
        }
    }

    /// `APPEND mailbox (flags) {n}` with `message` as the literal; returns
    /// the UID from APPENDUID.
    fn append(&mut self, mailbox: &str, flags: &str, message: &[u8]) -> u32 {
        let tag = self.next_tag();
        let cmd = format!("APPEND {mailbox} ({flags}) {{{}}}", message.len());
        self.writer
            .write_all(format!("{tag} {cmd}\r\n").as_bytes())
            .unwrap();
        let cont = self.read_response();
        assert!(
            cont.starts_with(b"+"),
            "{cmd}: {}",
            String::from_utf8_lossy(&cont)
        );
        self.writer.write_all(message).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        let resp = self.finish(&tag, &cmd);
        let last = String::from_utf8_lossy(resp.last().unwrap()).into_owned();
        last.split("[APPENDUID ")
            .nth(1)
            .and_then(|r| r.split([' ', ']']).nth(1))
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| panic!("no APPENDUID in {last:?}"))
    }

    fn select(&mut self, mailbox: &str) -> Selected {
        let resp = self.command(&format!("SELECT {mailbox}"));
        let mut sel = Selected {
            exists: u32::MAX,
            uid_validity: 0,
            uid_next: 0,
        };
        for line in &resp {
            let text = String::from_utf8_lossy(line);
            let code = |name: &str| -> Option<u32> {
                text.split(&format!("[{name} "))
                    .nth(1)?
                    .split(']')
                    .next()?
                    .parse()
                    .ok()
            };
            if let Some(v) = code("UIDVALIDITY") {
                sel.uid_validity = v;
            }
            if let Some(v) = code("UIDNEXT") {
                sel.uid_next = v;
            }
            if let Some(n) = text
                .strip_prefix("* ")
                .and_then(|t| t.strip_suffix(" EXISTS"))
            {
                sel.exists = n.parse().unwrap();
            }
        }
        assert!(
            sel.exists != u32::MAX && sel.uid_validity != 0 && sel.uid_next != 0,
            "incomplete SELECT response: {resp:?}"
        );
        sel
    }

    /// `UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[])` of the selected
    /// mailbox (which must not be empty), by UID.
    fn fetch_all(&mut self) -> BTreeMap<u32, Fetched> {
        let resp = self.command("UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[])");
        let mut out = BTreeMap::new();
        for line in &resp[..resp.len() - 1] {
            let vals = parse_vals(line);
            if vals.len() < 4 || vals[0].atom() != "*" || vals[2] != Val::Atom("FETCH".into()) {
                continue;
            }
            let Val::List(items) = &vals[3] else {
                panic!("FETCH without list: {vals:?}")
            };
            let mut uid = None;
            let mut f = Fetched {
                flags: BTreeSet::new(),
                size: None,
                body: None,
            };
            for pair in items.chunks(2) {
                match (pair[0].atom(), &pair[1]) {
                    ("UID", v) => uid = Some(v.atom().parse::<u32>().unwrap()),
                    ("FLAGS", Val::List(l)) => {
                        f.flags = l
                            .iter()
                            .map(|v| v.atom().to_owned())
                            .filter(|a| a != "\\Recent")
                            .collect();
                    }
                    ("RFC822.SIZE", v) => f.size = Some(v.atom().parse().unwrap()),
                    ("BODY[]", Val::Str(s)) => f.body = Some(s.clone()),
                    (k, v) => panic!("unexpected FETCH item {k} {v:?}"),
                }
            }
            out.insert(uid.expect("FETCH without UID"), f);
        }
        out
    }

    /// The mailbox names of `LIST "" "*"`.
    fn list(&mut self) -> BTreeSet<String> {
        self.names("LIST")
    }

    /// The mailbox names a `LIST` or `LSUB` of everything returns.
    fn names(&mut self, verb: &str) -> BTreeSet<String> {
        let resp = self.command(&format!("{verb} \"\" \"*\""));
        let mut names = BTreeSet::new();
        for line in &resp[..resp.len() - 1] {
            let vals = parse_vals(line);
            if vals.len() == 5 && vals[1] == Val::Atom(verb.into()) {
                names.insert(match &vals[4] {
                    Val::Atom(a) => a.clone(),
                    Val::Str(s) => String::from_utf8(s.clone()).unwrap(),
                    Val::List(_) => panic!("bad LIST {vals:?}"),
                });
            }
        }
        names
    }

    fn logout(mut self) {
        let tag = self.next_tag();
        self.writer
            .write_all(format!("{tag} LOGOUT\r\n").as_bytes())
            .unwrap();
        let _ = self.finish(&tag, "LOGOUT");
    }
}

// ---------------------------------------------------------------------------
// Our side

/// The IMAP flag names of a Maildir flag set, keywords named by `kw`.
fn imap_flags(flags: &Flags, kw: &Keywords) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in flags.standard() {
        out.insert(
            match f {
                Flag::Draft => "\\Draft",
                Flag::Flagged => "\\Flagged",
                Flag::Replied => "\\Answered",
                Flag::Seen => "\\Seen",
                Flag::Trashed => "\\Deleted",
                Flag::Passed => panic!("P has no IMAP flag; not used here"),
            }
            .to_owned(),
        );
    }
    for letter in flags.keywords() {
        let name = kw
            .keyword(letter)
            .unwrap_or_else(|| panic!("keyword letter {letter} not in dovecot-keywords"));
        out.insert(name.to_owned());
    }
    out
}

/// What our [`Folder`] says about every message, in the form `UID FETCH`
/// gives.
fn our_view(folder: &Folder) -> BTreeMap<u32, Fetched> {
    let kw = Keywords::load(folder.maildir().path().join(KEYWORDS_FILE)).unwrap();
    folder
        .messages()
        .iter()
        .map(|m| {
            let flags = m
                .flags()
                .unwrap_or_else(|| panic!("unparsable name {}", m.file_name()));
            let data = fs::read(folder.path_of(m.uid()).unwrap()).unwrap();
            let body = to_crlf(&data);
            (
                m.uid(),
                Fetched {
                    flags: imap_flags(&flags, &kw),
                    size: Some(body.len() as u64),
                    body: Some(body),
                },
            )
        })
        .collect()
}

fn flags(letters: &str) -> Flags {
    Flags::parse(letters).unwrap()
}

fn message(n: u32, extra: &str) -> Vec<u8> {
    format!(
        "From: sender{n}@example.org\nTo: {USER}@example.org\nSubject: message {n}\n\
         Message-ID: <{n}.interop@example.org>\n\nBody of message {n}.\n{extra}"
    )
    .into_bytes()
}

fn assert_same(imap: &BTreeMap<u32, Fetched>, ours: &BTreeMap<u32, Fetched>, what: &str) {
    assert_eq!(
        imap.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{what}: UIDs differ (Dovecot vs ours)"
    );
    for (uid, d) in imap {
        let o = &ours[uid];
        assert_eq!(
            d.flags, o.flags,
            "{what}: flags of UID {uid} (Dovecot vs ours)"
        );
        assert_eq!(
            d.size, o.size,
            "{what}: RFC822.SIZE of UID {uid} (Dovecot vs ours)"
        );
        assert!(
            d.body == o.body,
            "{what}: body of UID {uid} differs:\nDovecot: {:?}\nours:    {:?}",
            d.body.as_deref().map(String::from_utf8_lossy),
            o.body.as_deref().map(String::from_utf8_lossy)
        );
    }
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn our_maildir_served_by_dovecot() {
    let scratch = TempDir::new("interop-dovecot-ours");
    let root = scratch.0.join("mail").join(USER).join("Maildir");
    let mpp = MaildirPlusPlus::create_root(&root).unwrap();
    let md = Maildir::open(&root).unwrap();

    // Keywords: a = $Junk, b = project-x, c = $Forwarded.
    let mut kw = Keywords::new();
    let junk = kw.add("$Junk").unwrap();
    let project = kw.add("project-x").unwrap();
    let forwarded = kw.add("$Forwarded").unwrap();
    assert_eq!((junk, project, forwarded), ('a', 'b', 'c'));
    kw.save(root.join(KEYWORDS_FILE), &DotLockOptions::UIDLIST)
        .unwrap();

    // Three plain deliveries into new/, then the folder gives them UIDs 1-3.
    for n in 1..=3 {
        md.deliver(&message(n, "")).unwrap();
        // Distinct unique names in time order.
        thread::sleep(Duration::from_millis(2));
    }
    let mut folder = Folder::open(&md).unwrap();
    assert_eq!(folder.uids().collect::<Vec<_>>(), [1, 2, 3]);
    let u4 = folder
        .deliver_flagged(&message(4, "From the start\n>From quoted\n"), &flags("Db"))
        .unwrap();
    let u5 = folder
        .deliver_flagged(&message(5, "long line ".repeat(50).as_str()), &flags(""))
        .unwrap();
    let u6 = folder
        .deliver_flagged(&message(6, "\n\n"), &flags("FRSTabc"))
        .unwrap();
    assert_eq!((u4, u5, u6), (4, 5, 6));
    folder.set_flags(1, &flags("S")).unwrap();
    folder.set_flags(2, &flags("FRa")).unwrap();
    folder.set_flags(5, &flags("DSTbc")).unwrap();
    folder.expunge(3).unwrap();
    let u7 = folder
        .deliver_flagged(&message(7, ""), &flags("Sc"))
        .unwrap();
    assert_eq!(u7, 7);
    assert_eq!(folder.uids().collect::<Vec<_>>(), [1, 2, 4, 5, 6, 7]);
    assert_eq!(folder.next_uid(), 8);
    let ours = our_view(&folder);

    // A Maildir++ subfolder with one message.
    let sent_md = mpp.create("Sent").unwrap();
    let mut sent = Folder::open(&sent_md).unwrap();
    sent.deliver_flagged(&message(100, ""), &flags("S"))
        .unwrap();
    let ours_sent = our_view(&sent);
    // A nested folder, and subscriptions in Dovecot's version-2 file.
    mpp.create("Lists/rust").unwrap();
    mpp.subscribe("Sent").unwrap();
    mpp.subscribe("Lists/rust").unwrap();

    chown_nobody(&scratch.0.join("mail"));
    let dovecot = Dovecot::start(&scratch.0);
    let mut imap = dovecot.connect();
    let sel = imap.select("INBOX");
    assert_eq!(sel.uid_validity, folder.uid_validity(), "UIDVALIDITY");
    assert_eq!(sel.uid_next, folder.next_uid(), "UIDNEXT");
    assert_eq!(sel.exists as usize, folder.len(), "EXISTS");
    assert_same(&imap.fetch_all(), &ours, "INBOX");

    let names = imap.list();
    assert!(
        names.contains("INBOX") && names.contains("Sent"),
        "LIST: {names:?}"
    );
    assert!(names.contains("Lists/rust"), "LIST: {names:?}");
    let subscribed: Vec<String> = imap.names("LSUB").into_iter().collect();
    assert_eq!(subscribed, ["Lists/rust", "Sent"], "LSUB");
    let sel = imap.select("Sent");
    assert_eq!(sel.uid_validity, sent.uid_validity(), "Sent UIDVALIDITY");
    assert_eq!(sel.uid_next, sent.next_uid(), "Sent UIDNEXT");
    assert_same(&imap.fetch_all(), &ours_sent, "Sent");
    imap.logout();
    dovecot.stop();

    // Dovecot only read: our folder still agrees with itself and with the
    // view Dovecot was checked against.
    let reopened = Folder::open_path(&root).unwrap();
    assert_eq!(reopened.uid_validity(), folder.uid_validity());
    assert_eq!(reopened.next_uid(), 8);
    assert_same(&our_view(&reopened), &ours, "INBOX after Dovecot");
}

#[test]
fn dovecot_maildir_read_by_us() {
    let scratch = TempDir::new("interop-dovecot-theirs");
    let root = scratch.0.join("mail").join(USER).join("Maildir");
    let dovecot = Dovecot::start(&scratch.0);
    let mut imap = dovecot.connect();
    imap.select("INBOX");
    let appended = [
        imap.append(
            "INBOX",
            "\\Seen $Forwarded custom1",
            &to_crlf(&message(1, "")),
        ),
        imap.append("INBOX", "\\Flagged", &to_crlf(&message(2, ""))),
        imap.append("INBOX", "", &to_crlf(&message(3, "From here\n"))),
        imap.append(
            "INBOX",
            "\\Draft \\Answered custom2",
            &to_crlf(&message(4, "")),
        ),
        imap.append("INBOX", "$Junk", &to_crlf(&message(5, ""))),
    ];
    assert_eq!(appended, [1, 2, 3, 4, 5]);
    imap.command("NOOP");
    imap.command("UID STORE 3 +FLAGS.SILENT (\\Seen custom1 $Junk)");
    imap.command("UID STORE 1 -FLAGS.SILENT ($Forwarded)");
    imap.command("UID STORE 2 +FLAGS.SILENT (\\Deleted)");
    imap.command("UID STORE 5 +FLAGS.SILENT (\\Deleted)");
    imap.command("UID EXPUNGE 2");
    imap.command("CREATE Archive");
    imap.command("SUBSCRIBE Archive");
    let archived = imap.append("Archive", "\\Seen custom3", &to_crlf(&message(50, "")));
    let sel = imap.select("INBOX");
    let theirs = imap.fetch_all();
    assert_eq!(theirs.keys().copied().collect::<Vec<_>>(), [1, 3, 4, 5]);
    assert_eq!(sel.uid_next, 6);
    let archive_sel = imap.select("Archive");
    let theirs_archive = imap.fetch_all();
    imap.logout();
    dovecot.stop();

    let uidlist = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    eprintln!("dovecot-uidlist written by Dovecot:\n{uidlist}");

    // Read by us.
    let mut folder = Folder::open_path(&root).unwrap_or_else(|e| {
        panic!("opening Dovecot's Maildir failed: {e}\ndovecot-uidlist:\n{uidlist}")
    });
    assert_eq!(folder.uid_validity(), sel.uid_validity, "UIDVALIDITY");
    assert_eq!(folder.next_uid(), sel.uid_next, "next UID");
    assert_same(&theirs, &our_view(&folder), "INBOX");

    let mpp = MaildirPlusPlus::open_root(&root).unwrap();
    let listed: Vec<String> = mpp.list().unwrap().into_iter().map(|f| f.name).collect();
    assert!(
        listed.contains(&"Archive".to_owned()),
        "folders: {listed:?}"
    );
    assert_eq!(mpp.subscriptions().unwrap(), ["Archive"], "subscriptions");
    let archive = Folder::open(&mpp.open("Archive").unwrap()).unwrap();
    assert_eq!(archive.uid_validity(), archive_sel.uid_validity);
    assert_eq!(archive.next_uid(), archive_sel.uid_next);
    assert_eq!(archive.uids().collect::<Vec<_>>(), [archived]);
    assert_same(&theirs_archive, &our_view(&archive), "Archive");

    // We deliver one with a keyword Dovecot named; Dovecot must see our UID.
    let kw = Keywords::load(root.join(KEYWORDS_FILE)).unwrap();
    let custom1 = kw.letter("custom1").expect("custom1 in dovecot-keywords");
    let mut f = flags("F");
    f.insert_keyword(custom1);
    let ours_uid = folder.deliver_flagged(&message(6, ""), &f).unwrap();
    assert_eq!(ours_uid, sel.uid_next, "our UID continues Dovecot's");
    let ours = our_view(&folder);

    chown_nobody(&scratch.0.join("mail"));
    let dovecot = Dovecot::start(&scratch.0);
    let mut imap = dovecot.connect();
    let sel2 = imap.select("INBOX");
    assert_eq!(sel2.uid_validity, sel.uid_validity);
    assert_eq!(sel2.uid_next, ours_uid + 1, "UIDNEXT after our delivery");
    assert_same(&imap.fetch_all(), &ours, "INBOX after our delivery");
    // And Dovecot's next APPEND continues after ours.
    let next = imap.append("INBOX", "", &to_crlf(&message(7, "")));
    assert_eq!(next, ours_uid + 1);
    imap.logout();
    dovecot.stop();
    let uidlist = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    folder.refresh().unwrap_or_else(|e| {
        panic!("refresh after Dovecot's APPEND failed: {e}\ndovecot-uidlist:\n{uidlist}")
    });
    assert_eq!(folder.uids().last(), Some(next));
    assert_eq!(folder.next_uid(), next + 1);
}
