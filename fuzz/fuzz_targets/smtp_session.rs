#![no_main]
//! Fuzz target; the input format and the checks are in `mailwright_fuzz::smtp` (fuzz/src/smtp.rs).

use libfuzzer_sys::fuzz_target;
use mailwright_fuzz::smtp::Target;

fuzz_target!(|data: &[u8]| Target::Session.run(data));
