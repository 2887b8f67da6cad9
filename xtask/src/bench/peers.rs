//! The servers compared: ours and the peers a user would pick instead. Each is installed
//! (when missing) under `target/bench/`, and each scenario gets its command line — or the
//! reason the server cannot take part.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::scenario::{AUTH_PASSWORD, AUTH_USER, Scenario};

/// One server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Server {
    /// `smtpd --handler sink`.
    Ours,
    /// aiosmtpd's Sink (Python).
    Aiosmtpd,
    /// Postfix's `smtp-sink` (C).
    SmtpSink,
    /// A sink on the `mailin-embedded` crate (Rust, thread per connection).
    Mailin,
    /// nodemailer's `smtp-server` (Node.js).
    Nodemailer,
}

impl Server {
    /// In report order, ours first.
    pub const ALL: [Server; 5] =
        [Server::Ours, Server::Aiosmtpd, Server::SmtpSink, Server::Mailin, Server::Nodemailer];

    /// The name in the report.
    pub fn label(self) -> &'static str {
        match self {
            Server::Ours => "smtpd (ours)",
            Server::Aiosmtpd => "aiosmtpd",
            Server::SmtpSink => "postfix smtp-sink",
            Server::Mailin => "mailin-embedded",
            Server::Nodemailer => "nodemailer smtp-server",
        }
    }

    /// A short name for file names.
    pub fn slug(self) -> &'static str {
        match self {
            Server::Ours => "ours",
            Server::Aiosmtpd => "aiosmtpd",
            Server::SmtpSink => "smtp-sink",
            Server::Mailin => "mailin",
            Server::Nodemailer => "nodemailer",
        }
    }
}

/// Where everything is.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
    /// `target/bench`.
    pub bench: PathBuf,
    /// The release `smtpd`.
    pub smtpd: PathBuf,
    /// The release `mailin-sink`.
    pub mailin: PathBuf,
    /// The benchmark certificate and key (PEM), when `openssl` could make them.
    pub cert: Result<(PathBuf, PathBuf), String>,
}

impl Paths {
    fn peer_script(&self, name: &str) -> PathBuf {
        self.root.join("crates/smtp-bench/peers").join(name)
    }
    fn venv_python(&self) -> PathBuf {
        self.bench.join("venv/bin/python")
    }
    fn postfix_dir(&self) -> PathBuf {
        self.bench.join("postfix")
    }
    fn node_dir(&self) -> PathBuf {
        self.bench.join("node")
    }
}

/// How to start a server.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

/// Installs `server` if needed; its version text, or why it cannot be used.
pub fn install(server: Server, paths: &Paths) -> Result<String, String> {
    match server {
        Server::Ours => version_of(&paths.smtpd, &["--version"]),
        Server::Mailin if !paths.mailin.is_file() => Err("mailin-sink was not built (the \
             mailin-embedded peer needs the system OpenSSL: apt-get install libssl-dev pkg-config)"
            .into()),
        Server::Mailin => Ok(format!(
            "mailin-embedded {} (ossl feature, system OpenSSL)",
            locked_version(&paths.root, "mailin-embedded").unwrap_or_else(|| "?".into())
        )),
        Server::Aiosmtpd => install_aiosmtpd(paths),
        Server::SmtpSink => install_postfix(paths),
        Server::Nodemailer => install_nodemailer(paths),
    }
}

fn install_aiosmtpd(paths: &Paths) -> Result<String, String> {
    let python = paths.venv_python();
    if !python.is_file() {
        run_quiet(Command::new("python3").arg("-m").arg("venv").arg(paths.bench.join("venv")))
            .map_err(|e| format!("python3 -m venv failed: {e}"))?;
    }
    let probe = "import aiosmtpd, sys; print('aiosmtpd', aiosmtpd.__version__, '(Python', sys.version.split()[0] + ')')";
    if let Ok(version) = version_of(&python, &["-c", probe]) {
        return Ok(version);
    }
    run_quiet(Command::new(&python).args(["-m", "pip", "install", "-q", "aiosmtpd==1.4.6"]))
        .map_err(|e| format!("pip install aiosmtpd==1.4.6 failed: {e}"))?;
    version_of(&python, &["-c", probe])
}

fn install_postfix(paths: &Paths) -> Result<String, String> {
    let dir = paths.postfix_dir();
    let version_file = dir.join("VERSION");
    if !dir.join("usr/sbin/smtp-sink").is_file() {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        run_quiet(Command::new("apt-get").args(["download", "postfix"]).current_dir(&dir))
            .map_err(|e| format!("apt-get download postfix failed: {e}"))?;
        let deb = std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|ext| ext == "deb"))
            .ok_or("apt-get download postfix left no .deb")?;
        run_quiet(Command::new("dpkg").arg("-x").arg(&deb).arg(&dir))
            .map_err(|e| format!("dpkg -x failed: {e}"))?;
        let version = version_of(Path::new("dpkg-deb"), &["-f", &deb.to_string_lossy(), "Version"])
            .unwrap_or_else(|_| "?".into());
        std::fs::write(&version_file, &version).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&deb);
    }
    let version = std::fs::read_to_string(&version_file).unwrap_or_else(|_| "?".into());
    Ok(format!("postfix {} (Debian package, smtp-sink)", version.trim()))
}

fn install_nodemailer(paths: &Paths) -> Result<String, String> {
    let dir = paths.node_dir();
    let package = dir.join("node_modules/smtp-server/package.json");
    if !package.is_file() {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        run_quiet(Command::new("npm").arg("install").arg("--prefix").arg(&dir).args([
            "--no-audit",
            "--no-fund",
            "--silent",
            "smtp-server",
        ]))
        .map_err(|e| format!("npm install smtp-server failed: {e}"))?;
    }
    let text = std::fs::read_to_string(&package).map_err(|e| e.to_string())?;
    let version = package_version(&text).unwrap_or("?");
    let node = version_of(Path::new("node"), &["--version"]).unwrap_or_else(|_| "?".into());
    Ok(format!("smtp-server {version} (Node.js {node})"))
}

/// The top-level `"version"` of a package.json (the first one in the file).
pub fn package_version(text: &str) -> Option<&str> {
    let after = text.get(text.find("\"version\"")? + "\"version\"".len()..)?;
    let after = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    after.get(..after.find('"')?)
}

/// A package's version in `Cargo.lock`.
fn locked_version(root: &Path, name: &str) -> Option<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok()?;
    let entry = format!("name = \"{name}\"\nversion = \"");
    let after = lock.get(lock.find(&entry)? + entry.len()..)?;
    Some(after.get(..after.find('"')?)?.to_owned())
}

/// The command line of `server` in `scenario` on `port` for `connections` concurrent
/// connections, or why it does not take part.
pub fn launch(
    server: Server,
    scenario: Scenario,
    connections: usize,
    port: u16,
    paths: &Paths,
) -> Result<Launch, String> {
    let listen = format!("127.0.0.1:{port}");
    let cert = || paths.cert.clone();
    let auth = format!("{AUTH_USER}:{AUTH_PASSWORD}");
    let mut launch = Launch::default();
    let argv = &mut launch.argv;
    match server {
        Server::Ours => {
            argv.extend([
                path_text(&paths.smtpd),
                "--listen".into(),
                listen,
                "--handler".into(),
                "sink".into(),
            ]);
            if scenario.needs_auth() {
                argv.extend(["--auth-user".into(), auth, "--no-auth-require-tls".into()]);
            }
            if scenario.needs_tls() {
                argv.push("--tls-self-signed".into());
            }
        }
        Server::Aiosmtpd | Server::Nodemailer => {
            if server == Server::Aiosmtpd {
                argv.extend([
                    path_text(&paths.venv_python()),
                    path_text(&paths.peer_script("aiosmtpd_sink.py")),
                ]);
            } else {
                argv.extend(["node".into(), path_text(&paths.peer_script("nodemailer_sink.js"))]);
                let modules = paths.node_dir().join("node_modules");
                launch.env.push(("NODE_PATH".into(), path_text(&modules)));
            }
            argv.extend(["127.0.0.1".into(), port.to_string()]);
            if scenario.needs_auth() {
                argv.extend(["--auth".into(), auth]);
            }
            if scenario.needs_tls() {
                let (c, k) = cert()?;
                argv.extend(["--tls".into(), path_text(&c), path_text(&k)]);
            }
        }
        Server::SmtpSink => {
            if scenario.needs_auth() {
                return Err("smtp-sink has no AUTH".into());
            }
            if scenario.needs_tls() {
                return Err("smtp-sink has no STARTTLS".into());
            }
            let dir = paths.postfix_dir();
            argv.push(path_text(&dir.join("usr/sbin/smtp-sink")));
            // -c: count; -u: the user to run as when started as root; -m: connections at once
            // (default 256, raised above the idle scenario's 10,000); backlog 4096.
            argv.extend(["-c", "-u", "nobody", "-m", "10100"].map(String::from));
            argv.extend([listen, "4096".into()]);
            launch.env.push(("LD_LIBRARY_PATH".into(), path_text(&dir.join("usr/lib/postfix"))));
        }
        Server::Mailin => {
            if scenario.needs_auth() {
                return Err("mailin-embedded offers AUTH only after STARTTLS (its embedded API has no plaintext-AUTH switch)".into());
            }
            // A thread per connection, from a pool started up front: room for all, plus some.
            let threads = connections + 16;
            argv.extend([
                path_text(&paths.mailin),
                "--listen".into(),
                listen,
                format!("--threads={threads}"),
            ]);
            if scenario.needs_tls() {
                let (c, k) = cert()?;
                argv.extend([
                    "--tls-cert".into(),
                    path_text(&c),
                    "--tls-key".into(),
                    path_text(&k),
                ]);
            }
        }
    }
    Ok(launch)
}

/// Makes the benchmark certificate (ECDSA P-256, like `smtpd --tls-self-signed`) with openssl.
pub fn make_cert(bench: &Path) -> Result<(PathBuf, PathBuf), String> {
    let (cert, key) = (bench.join("cert.pem"), bench.join("key.pem"));
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    run_quiet(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=localhost",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    )
    .map_err(|e| format!("openssl could not make a certificate: {e}"))?;
    Ok((cert, key))
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The first line a program prints for `args`.
pub fn version_of(program: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!("{} {}: {}", program.display(), args.join(" "), out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

/// Runs a command to completion; its last lines of standard error on failure.
fn run_quiet(command: &mut Command) -> Result<(), String> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    Err(format!("{} ({})", out.status, tail.into_iter().rev().collect::<Vec<_>>().join(" / ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths {
            root: PathBuf::from("/r"),
            bench: PathBuf::from("/r/target/bench"),
            smtpd: PathBuf::from("/r/target/release/smtpd"),
            mailin: PathBuf::from("/r/target/release/mailin-sink"),
            cert: Ok((PathBuf::from("/c.pem"), PathBuf::from("/k.pem"))),
        }
    }

    #[test]
    fn command_lines_per_scenario() {
        let p = paths();
        let ours = launch(Server::Ours, Scenario::Auth, 50, 2525, &p).unwrap().argv.join(" ");
        assert_eq!(
            ours,
            "/r/target/release/smtpd --listen 127.0.0.1:2525 --handler sink --auth-user bench:bench-password --no-auth-require-tls"
        );
        let tls = launch(Server::Ours, Scenario::StartTls, 50, 1, &p).unwrap().argv;
        assert!(tls.contains(&"--tls-self-signed".to_owned()));
        let aio = launch(Server::Aiosmtpd, Scenario::StartTls, 50, 9, &p).unwrap().argv.join(" ");
        assert!(aio.ends_with("aiosmtpd_sink.py 127.0.0.1 9 --tls /c.pem /k.pem"), "{aio}");
        let node = launch(Server::Nodemailer, Scenario::Auth, 50, 9, &p).unwrap();
        assert!(node.argv.join(" ").ends_with("--auth bench:bench-password"));
        assert_eq!(
            node.env,
            [("NODE_PATH".to_owned(), "/r/target/bench/node/node_modules".to_owned())]
        );
        let sink = launch(Server::SmtpSink, Scenario::OnePerSession, 50, 7, &p).unwrap();
        assert_eq!(sink.argv[1..], ["-c", "-u", "nobody", "-m", "10100", "127.0.0.1:7", "4096"]);
        assert_eq!(sink.env[0].0, "LD_LIBRARY_PATH");
        assert!(
            launch(Server::SmtpSink, Scenario::Auth, 50, 7, &p).unwrap_err().contains("no AUTH")
        );
        assert!(launch(Server::Mailin, Scenario::Auth, 50, 7, &p).is_err());
        let idle = launch(Server::Mailin, Scenario::Idle, 10000, 7, &p).unwrap().argv;
        assert!(idle.contains(&"--threads=10016".to_owned()));
        let no_cert = Paths { cert: Err("no openssl".into()), ..p };
        assert_eq!(
            launch(Server::Nodemailer, Scenario::StartTls, 50, 1, &no_cert).unwrap_err(),
            "no openssl"
        );
    }

    #[test]
    fn package_json_version() {
        let text =
            "{\n  \"name\": \"smtp-server\",\n  \"version\" : \"3.13.6\",\n  \"deps\": {}\n}";
        assert_eq!(package_version(text), Some("3.13.6"));
        assert_eq!(package_version("{}"), None);
    }
}
