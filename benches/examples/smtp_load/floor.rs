//! This machine's floor for what the CPU target counts: the SMTP dialogue
//! alone (Postfix's `smtp-sink`, which stores nothing) and the file
//! operations of a durable Maildir delivery alone (no SMTP), each measured
//! under the same load as the rounds. No server can spend less than their
//! sum per message here, whatever its design, as long as it keeps one
//! file per message and fsyncs before its 250.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TICKS_PER_SECOND, ticks_of, tree_ticks};

/// The two floors, in ms of CPU per message.
pub(crate) struct Floors {
    pub(crate) smtp_sink_ms: f64,
    pub(crate) maildir_ms: f64,
}

/// Measures both floors; `run_load` sends the round's messages to a port.
pub(crate) fn measure(
    smtp_sink: &Path,
    dir: &Path,
    messages: usize,
    message_size: usize,
    run_load: impl Fn(u16),
) -> Floors {
    Floors {
        smtp_sink_ms: smtp_sink_ms(smtp_sink, messages, run_load),
        maildir_ms: maildir_ms(dir, messages, message_size),
    }
}

/// `smtp-sink`'s CPU per message while `run_load` sends to it.
fn smtp_sink_ms(smtp_sink: &Path, messages: usize, run_load: impl Fn(u16)) -> f64 {
    let port = super::free_port();
    // As root it must be told whom to run as.
    let mut sink = Command::new(smtp_sink)
        .args(["-u", "nobody", &format!("127.0.0.1:{port}"), "1000"])
        .stdout(Stdio::null())
        .spawn()
        .expect("start smtp-sink");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "smtp-sink did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = tree_ticks(sink.id());
    run_load(port);
    let ticks = tree_ticks(sink.id()) - before;
    let _ = sink.kill();
    let _ = sink.wait();
    ticks as f64 * 1000.0 / TICKS_PER_SECOND / messages as f64
}

/// This thread's CPU per message for what one durable delivery into a
/// Maildir takes at least: create a file in `tmp/`, write the message,
/// fsync it, rename it into `new/`, fsync `new/`.
fn maildir_ms(dir: &Path, messages: usize, message_size: usize) -> f64 {
    let (tmp, new) = (dir.join("tmp"), dir.join("new"));
    fs::create_dir_all(&tmp).expect("floor tmp/");
    fs::create_dir_all(&new).expect("floor new/");
    let message = vec![b'x'; message_size];
    let new_dir = File::open(&new).expect("open new/");
    let before = thread_ticks();
    for i in 0..messages {
        let staged = tmp.join(i.to_string());
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staged)
            .expect("create in tmp/");
        file.write_all(&message).expect("write");
        file.sync_all().expect("fsync");
        drop(file);
        fs::rename(&staged, new.join(i.to_string())).expect("rename");
        new_dir.sync_all().expect("fsync new/");
    }
    let ticks = thread_ticks() - before;
    ticks as f64 * 1000.0 / TICKS_PER_SECOND / messages as f64
}

/// CPU of the calling thread alone, in clock ticks.
fn thread_ticks() -> u64 {
    let stat = fs::read_to_string("/proc/thread-self/stat").expect("stat");
    ticks_of(&stat, false)
}
