//! Criterion benchmarks for smtp-proto replies: formatting with `Reply::write_to` (a single-line
//! reply, a multi-line one, the EHLO capability reply) and parsing with `reply::parse`
//! (`ReplyParser` and the stateless `parse_reply`), in replies per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::ehlo::Capabilities;
use smtp_proto::reply::parse::{ReplyParser, parse_reply};
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

/// Replies formatted or parsed per iteration.
const BATCH: usize = 100;

/// The EHLO reply a typical server sends.
fn ehlo_reply() -> Reply {
    Capabilities::new("mx.example.org")
        .size(Some(33_554_432))
        .eight_bit_mime(true)
        .smtputf8(true)
        .starttls(true)
        .auth(["LOGIN", "PLAIN", "SCRAM-SHA-256"])
        .pipelining(true)
        .enhanced_status_codes(true)
        .chunking(true)
        .binary_mime(true)
        .to_reply()
}

/// The replies whose formatting is measured, by benchmark name.
fn samples() -> [(&'static str, Reply); 3] {
    let single = Reply::new(ReplyCode::of(250), EnhancedStatus::of(2, 1, 0), "OK");
    let multi = Reply::multiline(
        ReplyCode::of(550),
        EnhancedStatus::of(5, 7, 1),
        ["Relay access denied", "See https://mx.example.org/policy", "Try your own server"],
    );
    [("single_line", single), ("multi_line", multi), ("ehlo_capabilities", ehlo_reply())]
}

/// Formats `reply` [`BATCH`] times into one buffer, as the server queues pipelined replies.
fn format_batch(reply: &Reply, out: &mut Vec<u8>) -> usize {
    out.clear();
    for _ in 0..BATCH {
        black_box(reply).write_to(out);
    }
    out.len()
}

/// Parses every reply in `wire` with one incremental parser; returns how many were complete.
fn parse_stream(wire: &[u8]) -> usize {
    let mut parser = ReplyParser::new();
    let mut rest = wire;
    let mut replies = 0;
    while !rest.is_empty() {
        let Ok(parsed) = parser.parse(rest) else { break };
        if parsed.consumed == 0 {
            break;
        }
        replies += usize::from(black_box(parsed.reply).is_some());
        rest = rest.get(parsed.consumed..).unwrap_or_default();
    }
    replies
}

fn formatting(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply_format");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut out = Vec::new();
    for (name, reply) in samples() {
        group.bench_function(name, |b| b.iter(|| format_batch(&reply, &mut out)));
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("reply_parse");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, reply) in samples() {
        let wire = reply.to_bytes().repeat(BATCH);
        assert_eq!(parse_stream(&wire), BATCH, "{name}");
        group.bench_function(name, |b| b.iter(|| parse_stream(black_box(&wire))));
    }
    group.finish();
    let one = ehlo_reply().to_bytes();
    let mut group = c.benchmark_group("reply_parse_stateless");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ehlo_capabilities", |b| {
        b.iter(|| parse_reply(black_box(&one)).map(|found| found.map(|(_, used)| used)))
    });
    group.finish();
}

criterion_group!(benches, formatting, parsing);
criterion_main!(benches);
