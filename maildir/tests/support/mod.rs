//! What the maildir test files share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub(crate) mod mbox_strategy;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under cargo's test scratch dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// A directory named after `tag`, unique in this test run; not created.
    pub(crate) fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "maildir-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
