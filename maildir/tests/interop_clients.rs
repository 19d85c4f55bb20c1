//! Interop with real mail clients: Python's `mailbox` module and mutt
//! (batch mode under a pseudo-terminal from util-linux `script`) read the
//! mbox files and Maildirs we write, and we read theirs.
//!
//! Known format differences, asserted as such:
//!
//! * Python's `mailbox.mbox` does not unquote `>From ` lines when reading,
//!   and quotes only `^From ` when writing (mboxo): reading our files it
//!   returns the quoted bytes, and a `>From ` line it writes comes back
//!   from our mboxo reader as `From ` (mboxo is lossy by nature).
//! * mutt writes mbox without quoting `From ` lines; it adds
//!   `Content-Length:` (which our reader honours), `Lines:` and `Status:`
//!   headers, so for mutt's copies the bodies are compared exactly and
//!   the headers only for the fields we put in. A body line `>From x` that
//!   mutt stored verbatim (behind Content-Length) is read by our mboxo
//!   reader as `From x`, as mboxo prescribes; mutt and Python would show
//!   `>From x`.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maildir::delivery::Maildir;
use maildir::folder::Folder;
use maildir::mbox::{self, Envelope, Format, MboxWriter};
use maildir::name::{Flag, Flags};

mod interop_support;
mod support;

use interop_support::{hex, python, require, run, unhex};
use support::TempDir;

fn flags(letters: &str) -> Flags {
    Flags::parse(letters).unwrap()
}

fn message(n: u32, body: &str) -> Vec<u8> {
    format!(
        "From: sender{n}@example.org\nTo: rcpt@example.org\nSubject: message {n}\n\
         Message-ID: <{n}.clients@example.org>\n\n{body}"
    )
    .into_bytes()
}

/// The Message-ID number of a message (our test messages all have one).
fn number(data: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(data);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: <"))
        .unwrap_or_else(|| panic!("no Message-ID in {text:?}"));
    id.split('.').next().unwrap().parse().unwrap()
}

/// (header, body) split at the first empty line.
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(2).position(|w| w == b"\n\n") {
        Some(p) => (&data[..p + 1], &data[p + 2..]),
        None => (data, b""),
    }
}

/// How a message's lines look in an mbox file of `format`.
fn quoted(data: &[u8], format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        let gts = line.iter().take_while(|&&b| b == b'>').count();
        let quote = match format {
            Format::Mboxo => line.starts_with(b"From "),
            Format::Mboxrd => line[gts..].starts_with(b"From "),
        };
        if quote {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out
}

/// `data` with one `>` taken off every `>From ` line, as an mboxo reader
/// does.
fn unquote_mboxo(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        match line.strip_prefix(b">") {
            Some(rest) if rest.starts_with(b"From ") => out.extend_from_slice(rest),
            _ => out.extend_from_slice(line),
        }
    }
    out
}

fn read_mbox(path: &Path, format: Format) -> Vec<mbox::Message> {
    mbox::read_all(BufReader::new(fs::File::open(path).unwrap()), format)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Bodies that exercise `From ` quoting.
fn tricky_bodies() -> Vec<(String, Vec<u8>)> {
    vec![
        ("alice@example.org".into(), message(1, "Plain body.\n")),
        (
            "bob@example.org".into(),
            message(2, "From here on\n>From there\n>>From deep\nFromage\n"),
        ),
        (
            "carol@example.org".into(),
            message(3, "\nempty lines\n\n\nend\n"),
        ),
        ("MAILER-DAEMON".into(), message(4, "From the start\n")),
    ]
}

// ---------------------------------------------------------------------------
// Python's mailbox module

const PY_READ_MBOX: &str = r#"
import mailbox, sys
mb = mailbox.mbox(sys.argv[1], create=False)
for key in mb.keys():
    m = mb.get_message(key)
    print(m.get_from().encode().hex(), mb.get_bytes(key).hex())
"#;

#[test]
fn python_reads_our_mbox() {
    for format in [Format::Mboxo, Format::Mboxrd] {
        let dir = TempDir::new("interop-py-mbox");
        fs::create_dir_all(&dir.0).unwrap();
        let path = dir.0.join("ours.mbox");
        let messages = tricky_bodies();
        let mut w = MboxWriter::new(fs::File::create(&path).unwrap(), format);
        for (i, (sender, data)) in messages.iter().enumerate() {
            let t = UNIX_EPOCH + Duration::from_secs(86_400 * (i as u64 + 1));
            w.write_message(&Envelope::at(sender, t), data).unwrap();
        }
        w.finish().unwrap();

        let out = python(PY_READ_MBOX, &[&path]);
        let got: Vec<(String, Vec<u8>)> = out
            .lines()
            .map(|l| {
                let (from, data) = l.split_once(' ').unwrap();
                (String::from_utf8(unhex(from)).unwrap(), unhex(data))
            })
            .collect();
        assert_eq!(got.len(), messages.len(), "{format:?}: message count");
        for (i, ((sender, data), (from, pdata))) in messages.iter().zip(&got).enumerate() {
            let t = UNIX_EPOCH + Duration::from_secs(86_400 * (i as u64 + 1));
            assert_eq!(
                from,
                &format!("{sender} {}", mbox::asctime(t)),
                "{format:?}: From_ line of message {i}"
            );
            // Python does not unquote: it returns the lines as stored.
            assert_eq!(
                String::from_utf8_lossy(pdata),
                String::from_utf8_lossy(&quoted(data, format)),
                "{format:?}: message {i} as Python reads it"
            );
        }
    }
}

const PY_READ_MAILDIR: &str = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in sorted(md.keys()):
    m = md.get_message(key)
    print(key, m.get_subdir(), m.get_flags() or "-", md.get_bytes(key).hex())
"#;

#[test]
fn python_reads_our_maildir() {
    let dir = TempDir::new("interop-py-maildir");
    let md = Maildir::create(&dir.0).unwrap();
    let mut folder = Folder::open(&md).unwrap();
    let wanted = [("S", 1), ("FS", 2), ("", 3), ("DRSab", 4), ("T", 5)];
    let mut expected = BTreeMap::new();
    for (letters, n) in wanted {
        let data = message(n, "From me\nbody\n");
        let uid = folder.deliver_flagged(&data, &flags(letters)).unwrap();
        let m = folder.get(uid).unwrap();
        expected.insert(
            m.base_name().to_owned(),
            ("cur".to_owned(), letters.to_owned(), data),
        );
    }
    // One left in new/ (no info at all).
    let data = message(6, "new one\n");
    let d = md.deliver(&data).unwrap();
    expected.insert(
        d.name.without_info().to_owned(),
        ("new".into(), String::new(), data),
    );

    let out = python(PY_READ_MAILDIR, &[&dir.0]);
    let mut got = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let letters = if f[2] == "-" { "" } else { f[2] };
        got.insert(
            f[0].to_owned(),
            (f[1].to_owned(), letters.to_owned(), unhex(f[3])),
        );
    }
    assert_eq!(got, expected, "Python's view of our Maildir");
}

const PY_WRITE: &str = r#"
import mailbox, sys, time
mbox_path, maildir_path = sys.argv[1], sys.argv[2]
msgs = [bytes.fromhex(h) for h in sys.argv[3:]]
mb = mailbox.mbox(mbox_path, create=True)
mb.lock()
for i, data in enumerate(msgs):
    m = mailbox.mboxMessage(data)
    m.set_from("py%d@example.org" % i, time.gmtime(86400 * (i + 1)))
    mb.add(m)
mb.flush()
mb.unlock()
mb.close()
md = mailbox.Maildir(maildir_path, factory=None, create=True)
flags = ["S", "FS", "", "RS", "DT"]
for i, data in enumerate(msgs):
    m = mailbox.MaildirMessage(data)
    if flags[i % len(flags)]:
        m.set_subdir("cur")
        m.set_flags(flags[i % len(flags)])
    md.add(m)
"#;

#[test]
fn we_read_pythons_mbox_and_maildir() {
    let dir = TempDir::new("interop-py-write");
    fs::create_dir_all(&dir.0).unwrap();
    let mbox_path = dir.0.join("python.mbox");
    let md_path = dir.0.join("python.maildir");
    let messages: Vec<Vec<u8>> = tricky_bodies().into_iter().map(|(_, d)| d).collect();
    let mut cmd = Command::new(require("python3", "python3"));
    cmd.arg("-").arg(&mbox_path).arg(&md_path);
    cmd.args(messages.iter().map(|m| hex(m)));
    let out = run(&mut cmd, PY_WRITE.as_bytes(), Duration::from_secs(20));
    assert!(out.status.success(), "python3: {}", out.stderr_str());

    // mbox: Python writes mboxo (quotes ^From only).
    let read = read_mbox(&mbox_path, Format::Mboxo);
    assert_eq!(read.len(), messages.len(), "messages in Python's mbox");
    for (i, (m, data)) in read.iter().zip(&messages).enumerate() {
        assert_eq!(
            String::from_utf8_lossy(&m.envelope.sender),
            format!("py{i}@example.org")
        );
        assert_eq!(
            String::from_utf8_lossy(&m.envelope.date),
            mbox::asctime(UNIX_EPOCH + Duration::from_secs(86_400 * (i as u64 + 1)))
        );
        // mboxo is lossy: a line that was `>From ` reads back as `From `.
        let expected = unquote_mboxo(data);
        assert_eq!(
            String::from_utf8_lossy(&m.data),
            String::from_utf8_lossy(&expected),
            "Python's mbox message {i}"
        );
    }

    // Maildir.
    let folder = Folder::open_path(&md_path).unwrap();
    assert_eq!(folder.len(), messages.len());
    let letters = ["S", "FS", "", "RS", "DT"];
    let mut seen = BTreeMap::new();
    for m in folder.messages() {
        let data = fs::read(folder.path_of(m.uid()).unwrap()).unwrap();
        let n = number(&data);
        seen.insert(n, (m.flags().unwrap().to_string(), data));
    }
    for (i, data) in messages.iter().enumerate() {
        let n = number(data);
        let (f, got) = seen
            .get(&n)
            .unwrap_or_else(|| panic!("message {n} missing"));
        assert_eq!(f, letters[i % letters.len()], "flags of message {n}");
        assert_eq!(got, data, "body of message {n}");
    }
}

// ---------------------------------------------------------------------------
// mutt

/// Runs mutt on `src` under a pseudo-terminal, tags the messages matching
/// `pattern` and copies them to `dest` (created as `mbox_type`).
fn mutt_copy(home: &Path, src: &Path, pattern: &str, dest: &Path, mbox_type: &str) {
    let mutt = require("mutt", "mutt");
    let script = require("script", "util-linux (bsdutils)");
    require("timeout", "coreutils");
    for p in [home, src, dest] {
        let s = p.to_str().unwrap();
        assert!(
            !s.contains(['\'', '"', ' ', '\\']),
            "path unsafe for the shell: {s}"
        );
    }
    let (home_s, src_s, dest_s) = (home.display(), src.display(), dest.display());
    let settings = format!(
        "set hostname=mailwright.test folder={home_s} spoolfile={src_s} record=/dev/null confirmappend=no \
         confirmcreate=no quit=yes move=no mark_old=no wait_key=no mbox_type={mbox_type}"
    );
    let keys =
        format!("<tag-pattern>{pattern}<enter><tag-prefix><copy-message>{dest_s}<enter><quit>");
    let shell = format!(
        "timeout --foreground -k 2 10 {} -n -F /dev/null -R -f {src_s} -e '{settings}' -e 'push \"{keys}\"'",
        mutt.display()
    );
    let out = run(
        Command::new(script)
            .arg("-qec")
            .arg(&shell)
            .arg("/dev/null")
            .env("HOME", home)
            // `script` runs the command through $SHELL; dash (and an unset
            // SHELL) keeps itself as the foreground process, so `timeout`
            // must not move mutt into a background group (SIGTTIN stops it).
            .env("SHELL", "/bin/sh")
            .env("TERM", "xterm")
            .env_remove("MAIL")
            .env_remove("MAILDIR"),
        b"",
        Duration::from_secs(15),
    );
    assert!(
        out.status.success(),
        "mutt ({shell}) failed: {}\n{}\n--- terminal ---\n{}",
        out.status,
        out.stderr_str(),
        out.stdout_str()
    );
    assert!(dest.exists(), "mutt wrote nothing to {}", dest.display());
}

/// The messages of a Maildir by Message-ID number: (standard flags, data).
fn maildir_by_number(path: &Path) -> BTreeMap<u32, (String, Vec<u8>)> {
    let folder = Folder::open_path(path).unwrap();
    folder
        .messages()
        .iter()
        .map(|m| {
            let data = fs::read(folder.path_of(m.uid()).unwrap()).unwrap();
            let f = m.flags().unwrap();
            let standard: Flags = f.standard().collect();
            (number(&data), (standard.to_string(), data))
        })
        .collect()
}

/// Asserts that `copy` holds the message `orig` as mutt copies it: the
/// same body, and every header line of the original.
fn assert_copy(orig: &[u8], copy: &[u8], what: &str) {
    let (oh, ob) = split(orig);
    let (ch, cb) = split(copy);
    assert_eq!(
        String::from_utf8_lossy(cb),
        String::from_utf8_lossy(ob),
        "{what}: body"
    );
    let ch = String::from_utf8_lossy(ch);
    for line in String::from_utf8_lossy(oh).lines() {
        assert!(
            ch.lines().any(|l| l == line),
            "{what}: header {line:?} lost:\n{ch}"
        );
    }
}

#[test]
fn mutt_reads_our_mbox_and_we_read_its_copies() {
    let dir = TempDir::new("interop-mutt-mbox");
    fs::create_dir_all(&dir.0).unwrap();
    let src = dir.0.join("ours.mbox");
    let messages: Vec<Vec<u8>> = (1..=4)
        .map(|n| message(n, &format!("Body {n}\n\nsecond paragraph\n")))
        .collect();
    let mut w = MboxWriter::new(fs::File::create(&src).unwrap(), Format::Mboxrd);
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for data in &messages {
        w.write_message(&Envelope::at("sender@example.org", t), data)
            .unwrap();
    }
    w.finish().unwrap();

    // mutt copies every message into an mbox and into a Maildir.
    let dest_mbox = dir.0.join("copy.mbox");
    mutt_copy(&dir.0, &src, "~A", &dest_mbox, "mbox");
    let copied = read_mbox(&dest_mbox, Format::Mboxo);
    assert_eq!(copied.len(), messages.len(), "messages in mutt's mbox copy");
    for (orig, copy) in messages.iter().zip(&copied) {
        assert_eq!(copy.envelope.sender, b"sender@example.org");
        assert_copy(orig, &copy.data, "mutt's mbox copy of our mbox");
    }

    let dest_md = dir.0.join("copy.maildir");
    mutt_copy(&dir.0, &src, "~A", &dest_md, "Maildir");
    let copied = maildir_by_number(&dest_md);
    assert_eq!(
        copied.len(),
        messages.len(),
        "messages in mutt's Maildir copy"
    );
    for orig in &messages {
        let (f, copy) = &copied[&number(orig)];
        assert_eq!(f, "", "flags of a new message copied by mutt");
        assert_copy(orig, copy, "mutt's Maildir copy of our mbox");
    }
}

#[test]
fn mutt_reads_our_maildir_with_flags() {
    let dir = TempDir::new("interop-mutt-maildir");
    let src = dir.0.join("ours.maildir");
    let md = Maildir::create(&src).unwrap();
    let mut folder = Folder::open(&md).unwrap();
    // (flags, number); T (deleted) is left out: mutt would not copy it
    // differently, but it counts it as deleted.
    let wanted = [("S", 1), ("FS", 2), ("", 3), ("RS", 4), ("F", 5), ("DS", 6)];
    let mut originals = BTreeMap::new();
    for (letters, n) in wanted {
        let data = message(n, "From the start\n>From quoted\nend\n");
        folder.deliver_flagged(&data, &flags(letters)).unwrap();
        originals.insert(n, (letters.to_owned(), data));
    }

    // Everything, into a Maildir: bodies and flags survive.
    let all_md = dir.0.join("all.maildir");
    mutt_copy(&dir.0, &src, "~A", &all_md, "Maildir");
    let copied = maildir_by_number(&all_md);
    assert_eq!(
        copied.keys().collect::<Vec<_>>(),
        originals.keys().collect::<Vec<_>>()
    );
    for (n, (letters, data)) in &originals {
        let (f, copy) = &copied[n];
        assert_eq!(f, letters, "flags of message {n} after mutt's copy");
        // mutt adds Content-Length:/Lines: headers to its copies.
        assert_copy(
            data,
            copy,
            &format!("message {n} after mutt's Maildir copy"),
        );
    }

    // Everything, into an mbox: mutt does not quote `From ` (it writes
    // Content-Length), we read it back exactly.
    let all_mbox = dir.0.join("all.mbox");
    mutt_copy(&dir.0, &src, "~A", &all_mbox, "mbox");
    let read = read_mbox(&all_mbox, Format::Mboxo);
    assert_eq!(read.len(), originals.len());
    for m in &read {
        let n = number(&m.data);
        // mutt stored the body verbatim (`From the start`, `>From quoted`)
        // behind a Content-Length; our mboxo reader keeps the unquoted
        // `From ` line but, as mboxo says, unquotes `>From quoted` to
        // `From quoted` (mutt and Python would show `>From quoted`).
        let expected = unquote_mboxo(&originals[&n].1);
        assert_copy(&expected, &m.data, "mutt's mbox copy of our Maildir");
    }

    // mutt sees our flags: only the flagged ones, only the unread ones.
    for (pattern, flag, name) in [
        ("~F", Some(Flag::Flagged), "flagged.mbox"),
        ("~U", None, "unread.mbox"),
        ("~Q", Some(Flag::Replied), "replied.mbox"),
    ] {
        let dest = dir.0.join(name);
        let expected: Vec<u32> = originals
            .iter()
            .filter(|(_, (l, _))| {
                let f = flags(l);
                match flag {
                    Some(flag) => f.contains(flag),
                    None => !f.contains(Flag::Seen),
                }
            })
            .map(|(n, _)| *n)
            .collect();
        mutt_copy(&dir.0, &src, pattern, &dest, "mbox");
        let mut got: Vec<u32> = read_mbox(&dest, Format::Mboxo)
            .iter()
            .map(|m| number(&m.data))
            .collect();
        got.sort_unstable();
        assert_eq!(got, expected, "messages mutt matches with {pattern}");
    }

    // mutt only read: our folder is unchanged.
    let reopened = Folder::open_path(&src).unwrap();
    assert_eq!(reopened.messages(), folder.messages());
}
