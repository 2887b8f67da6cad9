//! Starting servers and the load generator: pinned to their cores with `taskset`, with the
//! open-file limit raised to the hard limit, and stopped (by their own process id) when done.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::peers::Launch;

/// Which cores the server and the load generator run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinning {
    /// `taskset -c` list for servers, `None` for no pinning.
    pub server: Option<String>,
    /// `taskset -c` list for the load generator.
    pub load: Option<String>,
    /// Load generator worker threads (the cores it has).
    pub load_workers: usize,
}

impl Pinning {
    /// The first half of the cores for the server, the rest for the load generator; no
    /// pinning on one core or without `taskset`.
    pub fn for_cores(cores: usize, taskset: bool) -> Pinning {
        if cores < 2 || !taskset {
            return Pinning { server: None, load: None, load_workers: cores.max(1) };
        }
        let half = cores / 2;
        let list = |from: usize, to: usize| {
            if to - from == 1 { from.to_string() } else { format!("{from}-{}", to - 1) }
        };
        Pinning {
            server: Some(list(0, half)),
            load: Some(list(half, cores)),
            load_workers: cores - half,
        }
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        match (&self.server, &self.load) {
            (Some(server), Some(load)) => format!(
                "server pinned to CPU {server}, load generator to CPU {load} ({} worker thread(s)) with `taskset -c`",
                self.load_workers
            ),
            _ => "no pinning (one core, or taskset missing): server and load generator share the cores".to_owned(),
        }
    }
}

/// `argv` under `taskset -c cpus` (when given) and a shell that raises `ulimit -n` to the hard
/// limit, then `exec`s the program, so the child's id is the program's.
pub fn command(argv: &[String], cpus: Option<&str>) -> Command {
    let script = "ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"";
    let mut command = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus, "sh", "-c", script, "sh"]);
            c
        }
        None => {
            let mut c = Command::new("sh");
            c.args(["-c", script, "sh"]);
            c
        }
    };
    command.args(argv);
    command
}

/// A free port on 127.0.0.1 (bound, then released).
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A started server; killed when dropped.
#[derive(Debug)]
pub struct Running {
    child: Child,
    /// Its process id (the program itself, thanks to `exec`).
    pub pid: u32,
}

impl Running {
    /// Starts `launch` on `port`, its output in `log`, and waits until it greets.
    pub fn start(
        launch: &Launch,
        port: u16,
        cpus: Option<&str>,
        log: &Path,
    ) -> Result<Running, String> {
        let log_file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err_file = log_file.try_clone().map_err(|e| e.to_string())?;
        let child = command(&launch.argv, cpus)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.argv.join(" ")))?;
        let pid = child.id();
        let mut running = Running { child, pid };
        running.wait_ready(port, log)?;
        Ok(running)
    }

    fn wait_ready(&mut self, port: u16, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(3).collect();
                return Err(format!("exited at start ({status}): {}", tail.join(" / ")));
            }
            if greets(addr) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("did not greet within 30 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects, reads a `220` greeting, says QUIT.
fn greets(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 512];
    let greeted = matches!(stream.read(&mut buf), Ok(n) if n >= 3 && buf.starts_with(b"220"));
    let _ = stream.write_all(b"QUIT\r\n");
    let _ = stream.read(&mut buf);
    greeted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_are_split_between_server_and_load() {
        assert_eq!(
            Pinning::for_cores(2, true),
            Pinning { server: Some("0".into()), load: Some("1".into()), load_workers: 1 }
        );
        assert_eq!(
            Pinning::for_cores(8, true),
            Pinning { server: Some("0-3".into()), load: Some("4-7".into()), load_workers: 4 }
        );
        assert_eq!(Pinning::for_cores(1, true).server, None);
        assert_eq!(Pinning::for_cores(4, false).load, None);
        assert!(Pinning::for_cores(2, true).describe().contains("CPU 0"));
    }

    #[test]
    fn commands_keep_the_program_pid() {
        let argv = vec!["sh".to_owned(), "-c".to_owned(), "echo $$ $(ulimit -n)".to_owned()];
        let child = command(&argv, None).stdout(Stdio::piped()).spawn().unwrap();
        let pid = child.id();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut words = text.split_whitespace();
        assert_eq!(words.next(), Some(pid.to_string().as_str()));
        assert!(words.next().is_some());
    }
}
