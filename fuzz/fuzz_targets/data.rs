//! libFuzzer entry point of the `data` target; the logic is [`smtpd_fuzz::data::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::data::run(input));
