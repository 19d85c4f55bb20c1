//! Replays every committed imap fuzz corpus file (and any crash reproducer
//! in `fuzz/artifacts/imap_*/`) through the same harness the cargo-fuzz
//! targets run.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/imap.rs"]
mod fuzz_harness;

#[macro_use]
#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/replay.rs"]
mod replay;

use fuzz_harness::Target;

corpus_tests! {
    "imap_";
    imap_command => Command,
    imap_response => Response,
    imap_roundtrip => RoundTrip,
    imap_literal_stream => LiteralStream,
    imap_utf7 => Utf7,
}
