//! libFuzzer entry point of the `command` target; the logic is [`smtpd_fuzz::command::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| smtpd_fuzz::command::run(input));
