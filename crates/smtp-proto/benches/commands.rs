//! Criterion benchmarks for smtp-proto command parsing: a realistic pipelined mix (EHLO, MAIL
//! with SIZE and BODY, RCPT, DATA, QUIT) framed by `LineReader` and parsed by `Command::parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::command::{Command, ParseContext};
use smtp_proto::line::{LineEvent, LineReader};

const TRANSACTION: &[u8] = b"EHLO client.example.org\r\n\
MAIL FROM:<alice.sender@example.com> SIZE=48213 BODY=8BITMIME\r\n\
RCPT TO:<bob@example.net>\r\n\
RCPT TO:<carol.recipient@mail.example.org>\r\n\
DATA\r\n\
QUIT\r\n";

const COMMANDS_PER_TRANSACTION: u64 = 6;
const TRANSACTIONS: usize = 100;

/// Frames and parses the whole buffer; returns how many commands parsed.
fn parse_all(input: &[u8], ctx: &ParseContext) -> usize {
    let mut reader = LineReader::new(ctx.reader_limit());
    let mut rest = input;
    let mut parsed = 0;
    loop {
        let framed = reader.next_line(rest);
        match framed.event {
            Some(LineEvent::Line(line)) => {
                if black_box(Command::parse(line, ctx)).is_ok() {
                    parsed += 1;
                }
            }
            Some(LineEvent::TooLong) => {}
            None => break,
        }
        rest = rest.get(framed.consumed..).unwrap_or_default();
    }
    parsed
}

fn commands(c: &mut Criterion) {
    let input = TRANSACTION.repeat(TRANSACTIONS);
    let ctx = ParseContext { extended: true, size_offered: true, ..ParseContext::default() };
    assert_eq!(parse_all(&input, &ctx), TRANSACTIONS * COMMANDS_PER_TRANSACTION as usize);
    let mut group = c.benchmark_group("commands");
    group.throughput(Throughput::Elements(COMMANDS_PER_TRANSACTION * TRANSACTIONS as u64));
    group.bench_function("pipelined_mix", |b| b.iter(|| parse_all(black_box(&input), &ctx)));
    group.finish();
}

criterion_group!(benches, commands);
criterion_main!(benches);
