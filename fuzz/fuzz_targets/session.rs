//! libFuzzer entry point of the `session` target; the logic is [`smtpd_fuzz::session::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::session::run(input));
