//! The programs the interop matrix tests (`crates/*/tests/matrix_*.rs`) run, and installing
//! the Debian packages that provide them when they are missing.
//!
//! `cargo xtask ci` calls [`ensure`] before the test step. What is present is left alone;
//! what is missing is installed with `apt-get update` (once) and `apt-get install -y
//! --no-install-recommends`, saying what and why. Postfix's `smtp-source` (and `smtp-sink`)
//! are not installed: the `postfix` package is unpacked with `apt-get download` and `dpkg -x`
//! into `<target>/tools/postfix`, where the tests look, so no Postfix service is set up. Where
//! installing is impossible (not root, or no apt-get) the step fails with the exact command.

use std::env;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to tell that a requirement is met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// An executable of this name on `PATH` or in the system directories.
    Program(&'static str),
    /// A Perl module that `perl -M<module>` loads.
    PerlModule(&'static str),
}

/// Something the matrix needs, and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
struct Requirement {
    probe: Probe,
    package: &'static str,
}

/// Everything installed system-wide. (`smtp-source` is unpacked separately.)
const REQUIREMENTS: [Requirement; 7] = [
    Requirement { probe: Probe::Program("swaks"), package: "swaks" },
    // swaks's STARTTLS and implicit TLS.
    Requirement { probe: Probe::PerlModule("Net::SSLeay"), package: "libnet-ssleay-perl" },
    Requirement { probe: Probe::Program("msmtp"), package: "msmtp" },
    Requirement { probe: Probe::Program("curl"), package: "curl" },
    Requirement { probe: Probe::Program("haproxy"), package: "haproxy" },
    // Perl's Net::SMTP (part of perl) sends BDAT; it needs these for STARTTLS and AUTH.
    Requirement { probe: Probe::PerlModule("IO::Socket::SSL"), package: "libio-socket-ssl-perl" },
    Requirement { probe: Probe::PerlModule("Authen::SASL"), package: "libauthen-sasl-perl" },
];

/// Directories searched besides `PATH` (Debian puts haproxy in /usr/sbin).
const SYSTEM_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

/// The Postfix programs the tests run from the unpacked package.
const POSTFIX_PROGRAMS: [&str; 2] = ["usr/sbin/smtp-source", "usr/sbin/smtp-sink"];

/// Makes sure every program of the matrix is there; `target` is the cargo target directory.
pub fn ensure(target: &Path) -> Result<(), String> {
    let mut apt = Apt::default();
    let missing: Vec<Requirement> =
        REQUIREMENTS.iter().copied().filter(|r| !r.probe.is_met()).collect();
    if missing.is_empty() {
        println!(
            "xtask ci: packages: swaks, Net::SSLeay, msmtp, curl, haproxy, IO::Socket::SSL and \
             Authen::SASL are present"
        );
    } else {
        let names: Vec<String> = missing.iter().map(|r| r.probe.to_string()).collect();
        let packages = packages_of(&missing);
        println!(
            "xtask ci: packages: missing {}; installing {}",
            names.join(", "),
            packages.join(" ")
        );
        apt.install(&packages)?;
        if let Some(still) = missing.iter().find(|r| !r.probe.is_met()) {
            return Err(format!(
                "{} is still missing after installing {}",
                still.probe, still.package
            ));
        }
    }
    unpack_postfix(&target.join("tools"), &mut apt)
}

impl Probe {
    fn is_met(self) -> bool {
        match self {
            Self::Program(name) => find_program(name, env::var_os("PATH").as_deref()).is_some(),
            Self::PerlModule(module) => Command::new("perl")
                .arg(format!("-M{module}"))
                .args(["-e", "1"])
                .output()
                .is_ok_and(|output| output.status.success()),
        }
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Program(name) => f.write_str(name),
            Self::PerlModule(module) => write!(f, "Perl's {module}"),
        }
    }
}

/// The packages to install for `missing`, each once, in order.
fn packages_of(missing: &[Requirement]) -> Vec<&'static str> {
    let mut packages: Vec<&'static str> = Vec::new();
    for requirement in missing {
        if !packages.contains(&requirement.package) {
            packages.push(requirement.package);
        }
    }
    packages
}

/// The executable `name` in `path` (a `PATH` value) or the system directories.
fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    path.map(env::split_paths)
        .into_iter()
        .flatten()
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// apt-get, with `update` run at most once.
#[derive(Debug, Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    /// `apt-get install -y --no-install-recommends <packages>` (after one `apt-get update`).
    fn install(&mut self, packages: &[&str]) -> Result<(), String> {
        let install = install_command(packages);
        if !is_root() || find_program("apt-get", env::var_os("PATH").as_deref()).is_none() {
            return Err(format!(
                "cannot install packages here (this needs root and apt-get); run:\n    {install}"
            ));
        }
        self.update()?;
        println!("xtask ci: packages: {install}");
        let mut args = vec!["install", "-y", "--no-install-recommends"];
        args.extend_from_slice(packages);
        run("apt-get", &args, None).map_err(|error| format!("{error}; run:\n    {install}"))
    }

    fn update(&mut self) -> Result<(), String> {
        if !self.updated {
            println!("xtask ci: packages: apt-get update");
            run("apt-get", &["update"], None)?;
            self.updated = true;
        }
        Ok(())
    }

    /// `apt-get download <package>` in `dir` (no root needed); after an update when the first
    /// try fails and updating is possible.
    fn download(&mut self, package: &str, dir: &Path) -> Result<(), String> {
        if find_program("apt-get", env::var_os("PATH").as_deref()).is_none() {
            return Err(format!(
                "apt-get is missing: fetch the {package} package and unpack it into {} by hand",
                dir.display()
            ));
        }
        let first = run("apt-get", &["download", package], Some(dir));
        if first.is_ok() || self.updated || !is_root() {
            return first;
        }
        self.update()?;
        run("apt-get", &["download", package], Some(dir))
    }
}

/// The install command as printed for a person to run.
fn install_command(packages: &[&str]) -> String {
    format!("apt-get update && apt-get install -y --no-install-recommends {}", packages.join(" "))
}

/// Unpacks the `postfix` package into `<tools>/postfix` unless its programs are there.
fn unpack_postfix(tools: &Path, apt: &mut Apt) -> Result<(), String> {
    let root = tools.join("postfix");
    if POSTFIX_PROGRAMS.iter().all(|program| root.join(program).is_file()) {
        println!("xtask ci: packages: smtp-source is present in {}", root.display());
        return Ok(());
    }
    std::fs::create_dir_all(tools)
        .map_err(|error| format!("cannot create {}: {error}", tools.display()))?;
    println!(
        "xtask ci: packages: unpacking Postfix's smtp-source into {} (apt-get download postfix, \
         dpkg -x; no Postfix service)",
        root.display()
    );
    apt.download("postfix", tools)?;
    let deb = postfix_deb(tools)?;
    run("dpkg", &["-x", &deb.to_string_lossy(), &root.to_string_lossy()], None)?;
    match POSTFIX_PROGRAMS.iter().find(|program| !root.join(program).is_file()) {
        Some(program) => Err(format!("the postfix package has no {program}")),
        None => Ok(()),
    }
}

/// The `postfix_*.deb` that `apt-get download` left in `dir`.
fn postfix_deb(dir: &Path) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|name| name.starts_with("postfix_") && name.ends_with(".deb"))
        })
        .ok_or_else(|| format!("apt-get download left no postfix_*.deb in {}", dir.display()))
}

/// Whether this process runs as root.
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Runs `program args` (in `dir`), failing unless it exits 0.
fn run(program: &str, args: &[&str], dir: Option<&Path>) -> Result<(), String> {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let status = command.status().map_err(|error| format!("could not run {program}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn each_missing_package_is_installed_once_in_order() {
        let cases: [(&[Requirement], &[&str]); 3] = [
            (&[], &[]),
            (
                &REQUIREMENTS,
                &[
                    "swaks",
                    "libnet-ssleay-perl",
                    "msmtp",
                    "curl",
                    "haproxy",
                    "libio-socket-ssl-perl",
                    "libauthen-sasl-perl",
                ],
            ),
            (&[REQUIREMENTS[3], REQUIREMENTS[0], REQUIREMENTS[3]], &["curl", "swaks"]),
        ];
        for (missing, expected) in cases {
            assert_eq!(packages_of(missing), expected, "{missing:?}");
        }
        assert_eq!(
            install_command(&["swaks", "haproxy"]),
            "apt-get update && apt-get install -y --no-install-recommends swaks haproxy"
        );
    }

    #[test]
    fn programs_are_found_only_when_executable() {
        let dir = env::temp_dir().join(format!("xtask-packages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tool = dir.join("matrix-tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        let path = Some(dir.as_os_str());
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o644)).unwrap();
        let not_executable = find_program("matrix-tool", path);
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let executable = find_program("matrix-tool", path);
        let absent = find_program("matrix-tool-absent", path);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(not_executable, None);
        assert_eq!(executable, Some(tool));
        assert_eq!(absent, None);
        // Not on PATH at all: the system directories are searched (sh lives in /bin, not
        // there; Debian's /usr/sbin always holds programs such as `usermod` or `ldconfig`).
        assert_eq!(find_program("no-such-program-xtask", None), None);
    }

    #[test]
    fn probes_name_what_is_missing() {
        assert_eq!(Probe::Program("swaks").to_string(), "swaks");
        assert_eq!(Probe::PerlModule("Net::SSLeay").to_string(), "Perl's Net::SSLeay");
        assert!(!Probe::PerlModule("No::Such::Module::Xtask").is_met());
    }

    #[test]
    fn the_postfix_deb_is_found_by_name() {
        let dir = env::temp_dir().join(format!("xtask-deb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = postfix_deb(&dir);
        std::fs::write(dir.join("postfix-doc_1_all.deb"), "").unwrap();
        let only_doc = postfix_deb(&dir);
        std::fs::write(dir.join("postfix_3.7_amd64.deb"), "").unwrap();
        let found = postfix_deb(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(missing.unwrap_err().contains("no postfix_*.deb"));
        assert!(only_doc.is_err());
        assert_eq!(found.unwrap(), dir.join("postfix_3.7_amd64.deb"));
    }
}
