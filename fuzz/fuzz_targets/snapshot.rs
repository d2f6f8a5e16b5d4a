//! The heap snapshot parser and analyses under libFuzzer: every input through the sequential
//! and two-thread parsers (which must agree), dominators, retained sizes, summary, diff,
//! retainer paths and redaction. See `leakguard_core::fuzzing::run` and docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    leakguard_core::fuzzing::run(data);
});
