//! The directory messages are stored in, Maildir style: a message is
//! written to `tmp/`, made durable, and only then appears in `new/`.
//!
//! For each message `<name>`:
//! - `tmp/<name>` receives the body as its chunks arrive;
//! - `new/<name>.envelope` holds the envelope (`from <addr>`, then one
//!   `to <addr>` line per recipient), written and fsynced first;
//! - `tmp/<name>` is fsynced and renamed to `new/<name>.eml`, and `new/`
//!   itself is fsynced.
//!
//! A reader that waits for `.eml` files therefore always finds the envelope
//! complete. Whatever does not reach the end (a body error, a disk error) is
//! removed again, so `tmp/` holds only messages still arriving.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use std::io::Write;

use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;

/// The `tmp/` and `new/` directories under one root.
#[derive(Debug)]
pub(crate) struct Spool {
    tmp: PathBuf,
    new: PathBuf,
    pid: u32,
    sequence: AtomicU64,
}

impl Spool {
    /// Opens the spool under `root`, creating `root`, `root/tmp` and
    /// `root/new` as needed.
    pub(crate) fn open(root: &Path) -> io::Result<Self> {
        let tmp = root.join("tmp");
        let new = root.join("new");
        std::fs::create_dir_all(&tmp)?;
        std::fs::create_dir_all(&new)?;
        Ok(Self {
            tmp,
            new,
            pid: std::process::id(),
            sequence: AtomicU64::new(0),
        })
    }

    /// A name no other message of this process has, and (with the time and
    /// the process id in it) no message of an earlier run either.
    fn unique_name(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}.M{:06}P{}Q{}",
            now.as_secs(),
            now.subsec_micros(),
            self.pid,
            sequence
        )
    }

    /// Starts a message: creates its file in `tmp/`.
    pub(crate) async fn begin(&self) -> io::Result<Delivery<'_>> {
        let name = self.unique_name();
        let tmp_path = self.tmp.join(&name);
        // `create_new`: a name that somehow exists is never overwritten.
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
            .await?;
        Ok(Delivery {
            spool: self,
            name,
            tmp_path,
            file: Some(file),
            stage: Stage::Writing,
        })
    }
}

/// How far a delivery got: what must be removed if it stops here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `tmp/<name>` exists.
    Writing,
    /// `tmp/<name>` and `new/<name>.envelope` exist.
    Envelope,
    /// `new/<name>.eml` and `new/<name>.envelope` exist, not yet durable.
    Renamed,
    /// Stored and durable: nothing to undo.
    Committed,
}

/// One message being written. Dropping it before
/// [`commit`](Delivery::commit) succeeded removes what it wrote.
#[derive(Debug)]
pub(crate) struct Delivery<'s> {
    spool: &'s Spool,
    name: String,
    tmp_path: PathBuf,
    file: Option<File>,
    stage: Stage,
}

impl Delivery<'_> {
    /// Appends the next piece of the message.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self.file.as_mut().ok_or_else(closed)?;
        file.write_all(bytes).await
    }

    /// Makes the message durable and moves it to `new/`; returns its name.
    pub(crate) async fn commit(mut self, from: &str, recipients: &[String]) -> io::Result<String> {
        let mut file = self.file.take().ok_or_else(closed)?;
        // tokio writes behind: flush surfaces any pending write error.
        file.flush().await?;
        let file = file.into_std().await;
        let mut envelope = format!("from {from}\n");
        for recipient in recipients {
            envelope.push_str("to ");
            envelope.push_str(recipient);
            envelope.push('\n');
        }
        let paths = Paths {
            tmp: self.tmp_path.clone(),
            envelope: self.envelope_path(),
            message: self.message_path(),
            new_dir: self.spool.new.clone(),
        };
        // The fsyncs and renames in one trip to the blocking pool.
        let (result, stage) = tokio::task::spawn_blocking(move || {
            let mut stage = Stage::Writing;
            let result = finish(file, &envelope, &paths, &mut stage);
            (result, stage)
        })
        .await
        .map_err(io::Error::other)?;
        self.stage = stage;
        result?;
        self.stage = Stage::Committed;
        Ok(std::mem::take(&mut self.name))
    }

    fn envelope_path(&self) -> PathBuf {
        self.spool.new.join(format!("{}.envelope", self.name))
    }

    fn message_path(&self) -> PathBuf {
        self.spool.new.join(format!("{}.eml", self.name))
    }
}

impl Drop for Delivery<'_> {
    fn drop(&mut self) {
        // Best effort: a file that cannot be removed is reported, and a
        // message that was never acknowledged must not look delivered.
        let doomed = match self.stage {
            Stage::Committed => return,
            Stage::Writing => vec![self.tmp_path.clone()],
            Stage::Envelope => vec![self.tmp_path.clone(), self.envelope_path()],
            Stage::Renamed => vec![self.message_path(), self.envelope_path()],
        };
        for path in doomed {
            if let Err(error) = std::fs::remove_file(&path)
                && error.kind() != io::ErrorKind::NotFound
            {
                eprintln!("smtp-sink: cannot remove {}: {error}", path.display());
            }
        }
    }
}

/// Where a message's files go.
struct Paths {
    tmp: PathBuf,
    envelope: PathBuf,
    message: PathBuf,
    new_dir: PathBuf,
}

/// The durable part of a delivery, in order: the message file's data, the
/// envelope file, the rename into `new/`, and `new/` itself. `stage`
/// records how far it got.
fn finish(file: std::fs::File, envelope: &str, paths: &Paths, stage: &mut Stage) -> io::Result<()> {
    file.sync_all()?;
    drop(file);
    let mut sidecar = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&paths.envelope)?;
    *stage = Stage::Envelope;
    sidecar.write_all(envelope.as_bytes())?;
    sidecar.sync_all()?;
    drop(sidecar);
    std::fs::rename(&paths.tmp, &paths.message)?;
    *stage = Stage::Renamed;
    std::fs::File::open(&paths.new_dir)?.sync_all()
}

fn closed() -> io::Error {
    io::Error::other("the message file is already closed")
}
