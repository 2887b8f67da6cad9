//! libFuzzer entry point of the `bdat` target; the logic is [`smtpd_fuzz::bdat::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::bdat::run(input));
