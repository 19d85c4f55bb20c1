//! Running blocking work (file system calls, fsync, password hashing)
//! from async functions without stalling the executor.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work`, which blocks, where it does not hold up other tasks.
///
/// On a multi-threaded tokio runtime the worker thread hands its other
/// tasks to the rest of the pool while `work` runs
/// ([`tokio::task::block_in_place`]), so the caller keeps its borrows and
/// locks — no `'static` closure, nothing to move in and out. On a
/// current-thread runtime, or outside any runtime, there is no one to hand
/// the tasks to and `work` simply runs.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
