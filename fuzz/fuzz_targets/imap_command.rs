#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz::imap` (fuzz/src/imap.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::imap::Target;

fuzz_target!(|data: &[u8]| Target::Command.run(data));
