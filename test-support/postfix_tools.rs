//! Postfix's test tools (`smtp-sink`, `smtp-source`), unpacked, never installed as a service.
//!
//! Shared by the integration tests of several crates (each includes this file with a
//! `#[path = ".../test-support/postfix_tools.rs"] mod postfix_tools;`). `cargo xtask ci`
//! unpacks Postfix into `<target>/tools/postfix` before the tests; a test run on its own fetches
//! it there on first use with `apt-get download postfix` and `dpkg -x` (saying so). A machine
//! without `apt-get` or `dpkg`, or where the download fails, fails the test with a message: it
//! never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `<target>/tools/postfix`, holding `usr/sbin/<tool>` (fetched when missing). `target` is the
/// Cargo target directory (the parent of `CARGO_TARGET_TMPDIR`).
pub fn postfix_root(target: &Path, tool: &str) -> PathBuf {
    let tools = target.join("tools");
    let root = tools.join("postfix");
    let program = format!("usr/sbin/{tool}");
    if root.join(&program).is_file() {
        return root;
    }
    std::fs::create_dir_all(&tools).expect("create the tools directory");
    println!("fetching Postfix's {tool}: `apt-get download postfix` in {}", tools.display());
    let download = Command::new("apt-get")
        .args(["download", "postfix"])
        .current_dir(&tools)
        .status()
        .unwrap_or_else(|e| {
            panic!("{tool} is not there and apt-get is missing ({e}): run `cargo xtask ci`")
        });
    assert!(
        download.success(),
        "`apt-get download postfix` failed ({download}): run `cargo xtask ci` (it fetches \
         {tool} into {})",
        root.display()
    );
    let deb = std::fs::read_dir(&tools)
        .expect("read the tools directory")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("postfix_") && n.ends_with(".deb"))
        })
        .expect("apt-get download left no postfix_*.deb");
    println!("unpacking {} with `dpkg -x` into {}", deb.display(), root.display());
    let unpack = Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .status()
        .unwrap_or_else(|e| panic!("dpkg is needed to unpack postfix ({tool}): {e}"));
    assert!(unpack.success(), "`dpkg -x` failed: {unpack}");
    assert!(root.join(&program).is_file(), "the postfix package has no {tool}");
    root
}
