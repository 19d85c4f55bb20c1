#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz::maildir` (fuzz/src/maildir.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::maildir::Target;

fuzz_target!(|data: &[u8]| Target::Keywords.run(data));
