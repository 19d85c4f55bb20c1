//! Replays every committed mailstore fuzz corpus file (and any crash
//! reproducer in `fuzz/artifacts/mailstore_*/`) through the same harness
//! the cargo-fuzz targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/mailstore.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "mailstore_";
    mailstore_passwd_file => PasswdFile,
    mailstore_aliases => Aliases,
}
