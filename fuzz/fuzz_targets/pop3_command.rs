#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz::pop3` (fuzz/src/pop3.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::pop3::Target;

fuzz_target!(|data: &[u8]| Target::Command.run(data));
