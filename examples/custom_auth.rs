//! Placeholder: the AUTH showcase comes next.

fn main() {}
