//! Criterion benchmarks for smtp-proto (data): DATA decoding and dot-stuffing throughput on a
//! 1 KiB and a 1 MiB text message (lines of about 76 octets, some starting with a dot).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtp_proto::data::{DataDecoder, DataLimits, DecodeStatus};
use smtp_proto::stuffing::{DotStuffer, dot_stuff};

/// A realistic body of about `size` octets: header lines, then text lines of 60 to 76 octets;
/// one line in 16 starts with a dot.
fn body(size: usize) -> Vec<u8> {
    let mut body =
        b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: bench\r\n\r\n".to_vec();
    let words = ["lorem", "ipsum", "dolor", "sit", "amet,", "consectetur", "adipiscing", "elit"];
    let mut line_number = 0usize;
    while body.len() < size {
        let mut line = Vec::with_capacity(80);
        if line_number % 16 == 5 {
            line.push(b'.');
        }
        let target = 60 + (line_number * 7) % 17;
        let mut word = line_number;
        while line.len() < target {
            line.extend_from_slice(words[word % words.len()].as_bytes());
            line.push(b' ');
            word += 3;
        }
        line.extend_from_slice(b"\r\n");
        body.extend_from_slice(&line);
        line_number += 1;
    }
    body.truncate(size);
    while !body.ends_with(b"\r\n") {
        body.pop();
    }
    body
}

fn decode(wire: &[u8], limits: DataLimits) -> u64 {
    let mut decoder = DataDecoder::new(limits);
    let mut total = 0u64;
    let status = decoder.decode(wire, |bytes| total += black_box(bytes).len() as u64);
    assert!(matches!(status, DecodeStatus::Finished { .. }));
    total
}

fn bench_data(c: &mut Criterion) {
    for (name, size) in [("1KiB", 1024), ("1MiB", 1024 * 1024)] {
        let body = body(size);
        let wire = dot_stuff(&body);

        let mut group = c.benchmark_group(format!("data/{name}"));
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function("decode", |b| {
            b.iter(|| decode(black_box(&wire), DataLimits::default()));
        });
        let limited = DataLimits::default()
            .with_max_size(64 * 1024 * 1024)
            .with_max_line_len(DataLimits::AIOSMTPD_MAX_LINE_LEN);
        group.bench_function("decode, limits", |b| {
            b.iter(|| decode(black_box(&wire), limited));
        });
        group.bench_function("decode, 4 KiB reads, into Vec", |b| {
            let mut out = Vec::with_capacity(wire.len());
            b.iter(|| {
                out.clear();
                let mut decoder = DataDecoder::new(DataLimits::default());
                for piece in black_box(&wire).chunks(4096) {
                    decoder.decode(piece, |bytes| out.extend_from_slice(bytes));
                }
                out.len()
            });
        });
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("stuff", |b| {
            let mut out = Vec::with_capacity(wire.len());
            b.iter(|| {
                out.clear();
                let mut stuffer = DotStuffer::new();
                stuffer.encode(black_box(&body), &mut out);
                stuffer.finish(&mut out);
                out.len()
            });
        });
        group.finish();
    }
}

criterion_group!(benches, bench_data);
criterion_main!(benches);
