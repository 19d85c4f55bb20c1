//! Replays every committed smtp fuzz corpus file (and any crash reproducer
//! in `fuzz/artifacts/smtp_*/`) through the same harness the cargo-fuzz
//! targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/smtp.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "smtp_";
    smtp_command => Command,
    smtp_data => Data,
    smtp_reply => Reply,
    smtp_session => Session,
}
