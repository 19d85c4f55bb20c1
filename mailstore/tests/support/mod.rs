//! What the mailstore test files share.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A scratch file under cargo's test scratch dir, removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    /// Writes `contents` to a file named after `tag` and `name`, unique to
    /// this test process.
    pub(crate) fn new(tag: &str, name: &str, contents: impl AsRef<[u8]>) -> Scratch {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{tag}-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        Scratch(path)
    }

    /// Rewrites the file and gives it the modification time `secs` after
    /// the epoch, so the change is seen whatever the clock's granularity.
    pub(crate) fn rewrite(&self, contents: &str, secs: u64) {
        std::fs::write(&self.0, contents).unwrap();
        let file = std::fs::File::options().write(true).open(&self.0).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
