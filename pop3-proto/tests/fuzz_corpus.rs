//! Replays every committed pop3 fuzz corpus file (and any crash reproducer
//! in `fuzz/artifacts/pop3_*/`) through the same harness the cargo-fuzz
//! targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/pop3.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "pop3_";
    pop3_command => Command,
    pop3_session => Session,
}
