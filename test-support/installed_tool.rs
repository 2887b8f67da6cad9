//! Finding a packaged program the interop tests run (swaks, msmtp, curl, haproxy…).
//!
//! Shared by the integration tests of several crates (each includes this file with a
//! `#[path = ".../test-support/installed_tool.rs"] mod installed_tool;`). A missing program
//! fails the test with the command that installs it: it never skips.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

/// Where packaged programs live besides `PATH` (Debian keeps haproxy in /usr/sbin, which a
/// non-root `PATH` lacks).
const SYSTEM_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

/// Finds `program` on `PATH` (or in the system directories) or fails with how to install it
/// (`package` is its Debian package).
pub fn tool(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| {
            candidate.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| {
            panic!(
                "{program} is not installed: run `cargo xtask ci` (it installs it) or \
                 `apt-get install {package}`"
            )
        })
}
