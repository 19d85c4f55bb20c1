#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz` (fuzz/src/lib.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::Target;

fuzz_target!(|data: &[u8]| Target::ClientScram.run(data));
