#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz::mailstore` (fuzz/src/mailstore.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::mailstore::Target;

fuzz_target!(|data: &[u8]| Target::PasswdFile.run(data));
