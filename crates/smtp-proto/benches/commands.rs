//! Criterion benchmarks for smtp-proto (commands); filled in with the module they measure.

fn main() {}
