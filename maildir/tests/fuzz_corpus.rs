//! Replays every committed maildir fuzz corpus file (and any crash
//! reproducer in `fuzz/artifacts/maildir_*/`) through the same harness the
//! cargo-fuzz targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/maildir.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "maildir_";
    maildir_name => Name,
    maildir_uidlist => Uidlist,
    maildir_keywords => Keywords,
    maildir_mbox => Mbox,
}
