//! libFuzzer entry point of the `reply` target; the logic is [`smtpd_fuzz::reply::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::reply::run(input));
