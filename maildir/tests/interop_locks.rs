//! mbox locks against other programs' locks: Python's `fcntl.lockf`
//! (POSIX record locks, as mutt and Dovecot take them) and `fcntl.flock`,
//! both ways.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use maildir::Error;
use maildir::mbox::{Envelope, Format, Locking, Mbox};

mod interop_support;
mod support;

use interop_support::{python, require};
use support::TempDir;

/// Python holding one kind of lock on `path` until its stdin closes.
struct PythonLock(Child);

impl PythonLock {
    fn hold(path: &std::path::Path, call: &str) -> PythonLock {
        let script = format!(
            "import fcntl, sys\n\
             f = open(sys.argv[1], 'r+')\n\
             {call}\n\
             print('locked', flush=True)\n\
             sys.stdin.read()\n"
        );
        let mut child = Command::new(require("python3", "python3"))
            .args(["-c", &script])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 must be installed for the interop tests");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "locked\n", "python could not take the lock");
        PythonLock(child)
    }
}

impl Drop for PythonLock {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// Whether Python can take the lock right now (non-blocking).
fn python_can_lock(path: &std::path::Path, call: &str) -> bool {
    let script = format!(
        "import fcntl, sys\n\
         f = open(sys.argv[1], 'r+')\n\
         try:\n    {call}\n    print('free')\n\
         except OSError:\n    print('busy')\n"
    );
    match python(&script, &[path]).trim() {
        "free" => true,
        "busy" => false,
        other => panic!("unexpected python output {other:?}"),
    }
}

const LOCKF: &str = "fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)";
const FLOCK: &str = "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)";

fn only(fcntl: bool, flock: bool) -> Locking {
    let mut locking = Locking::none();
    locking.fcntl = fcntl;
    locking.flock = flock;
    locking.timeout = Duration::from_millis(200);
    locking
}

fn scratch(tag: &str) -> (TempDir, Mbox) {
    let dir = TempDir::new(&format!("interop-locks-{tag}"));
    std::fs::create_dir_all(&dir.0).unwrap();
    let mbox = Mbox::new(dir.0.join("inbox"), Format::Mboxrd);
    mbox.append(
        &Envelope::new("a@b", "Thu Jan  1 00:00:00 1970"),
        b"X: 1\n\n1\n",
    )
    .unwrap();
    (dir, mbox)
}

#[test]
fn their_lockf_blocks_our_fcntl_lock() {
    let (_d, mbox) = scratch("lockf");
    let mbox = mbox.with_locking(only(true, false));
    let held = PythonLock::hold(mbox.path(), LOCKF);
    assert!(matches!(mbox.lock(), Err(Error::Locked { .. })));
    drop(held);
    mbox.lock().unwrap();
}

#[test]
fn their_flock_blocks_our_flock() {
    let (_d, mbox) = scratch("flock");
    let mbox = mbox.with_locking(only(false, true));
    let held = PythonLock::hold(mbox.path(), FLOCK);
    assert!(matches!(mbox.lock(), Err(Error::Locked { .. })));
    drop(held);
    mbox.lock().unwrap();
}

#[test]
fn our_lock_blocks_their_lockf_flock_and_shows_a_dotlock() {
    let (_d, mbox) = scratch("ours");
    let mut locked = mbox.lock().unwrap();
    assert!(!python_can_lock(mbox.path(), LOCKF));
    assert!(!python_can_lock(mbox.path(), FLOCK));
    assert!(mbox.path().with_file_name("inbox.lock").exists());
    // Still held after an expunge replaced the file.
    locked.expunge(&[0]).unwrap();
    assert!(!python_can_lock(mbox.path(), LOCKF));
    assert!(!python_can_lock(mbox.path(), FLOCK));
    drop(locked);
    assert!(python_can_lock(mbox.path(), LOCKF));
    assert!(python_can_lock(mbox.path(), FLOCK));
    assert!(!mbox.path().with_file_name("inbox.lock").exists());
}

#[test]
fn python_mailbox_reads_what_we_append_while_honouring_our_locks() {
    let (_d, mbox) = scratch("python-read");
    mbox.append(
        &Envelope::new("c@d", "Thu Jan  1 00:00:00 1970"),
        b"X: 2\n\nFrom here\n",
    )
    .unwrap();
    let script = "import mailbox, sys\n\
                  box = mailbox.mbox(sys.argv[1], create=False)\n\
                  box.lock()\n\
                  for m in box: sys.stdout.write(repr(m.get_payload()) + '\\n')\n\
                  box.unlock()\n";
    let out = python(script, &[mbox.path()]);
    // Python's mailbox does not unquote ">From ": it sees the stored line.
    assert_eq!(out, "'1\\n'\n'>From here\\n'\n");
}
