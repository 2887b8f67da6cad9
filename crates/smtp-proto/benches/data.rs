//! Criterion benchmarks for smtp-proto (data); filled in with the module they measure.

fn main() {}
