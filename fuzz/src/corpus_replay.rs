//! Replays the checked-in corpus (`corpus/<target>/*`) through every target function: the
//! smoke test `cargo test --manifest-path fuzz/Cargo.toml` runs, without libFuzzer.

use std::fs;
use std::path::Path;

/// Every target and its function.
const TARGETS: [(&str, fn(&[u8])); 7] = [
    ("bdat", crate::bdat::run),
    ("command", crate::command::run),
    ("data", crate::data::run),
    ("proxy", crate::proxy::run),
    ("reply", crate::reply::run),
    ("sasl", crate::sasl::run),
    ("session", crate::session::run),
];

#[test]
fn every_seed_passes_its_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, run) in TARGETS {
        let mut entries: Vec<_> = fs::read_dir(corpus.join(name))
            .unwrap_or_else(|error| panic!("corpus/{name}: {error}"))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        assert!(entries.len() >= 3, "corpus/{name} has only {} seeds", entries.len());
        for path in entries {
            let input = fs::read(&path).unwrap();
            eprintln!("{name}: {}", path.display());
            run(&input);
        }
    }
}
