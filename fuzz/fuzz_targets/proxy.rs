//! libFuzzer entry point of the `proxy` target; the logic is [`smtpd_fuzz::proxy::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::proxy::run(input));
