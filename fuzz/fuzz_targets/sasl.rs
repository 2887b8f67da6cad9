//! libFuzzer entry point of the `sasl` target; the logic is [`smtpd_fuzz::sasl::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::sasl::run(input));
