//! Running a program under test: start it from its command, know when its
//! port is bound, feed it input, collect what it prints, and always stop
//! it, its children too. Every wait is bounded.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a program may take to bind its port.
pub const START: Duration = Duration::from_secs(10);
/// How long any one exchange may take.
pub const STEP: Duration = Duration::from_secs(5);

/// The command that starts the program under test, as given on the grader's
/// command line: a program and its arguments, `{port}` standing for the port.
#[derive(Clone, Debug)]
pub struct Launch {
    pub argv: Vec<String>,
    /// Where the program runs (its files go there).
    pub cwd: PathBuf,
}

impl Launch {
    /// The command with `{port}` replaced.
    pub fn command(&self, port: u16) -> Command {
        let argv: Vec<String> = self
            .argv
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).current_dir(&self.cwd);
        cmd.env("PYTHONUNBUFFERED", "1")
            .env("PYTHONIOENCODING", "utf-8");
        // Its own process group, so that stopping it stops its children.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    }

    /// True when the command chooses its port through `{port}`.
    pub fn takes_port(&self) -> bool {
        self.argv.iter().any(|a| a.contains("{port}"))
    }
}

/// A running program under test, stopped (with its children) on drop.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    pub stdin: Option<std::process::ChildStdin>,
}

impl Running {
    pub fn start(mut cmd: Command) -> Result<Running, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take(), stdout.clone());
        collect(child.stderr.take(), stderr.clone());
        let stdin = child.stdin.take();
        Ok(Running {
            child,
            stdout,
            stderr,
            stdin,
        })
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stdout)).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Writes `text` to its stdin (ignoring a closed pipe: a program that
    /// stopped reading is judged by what it did).
    pub fn type_in(&mut self, text: &str) {
        if let Some(stdin) = &mut self.stdin {
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.flush();
        }
    }

    /// Closes its stdin: the end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until stdout satisfies `pred`, at most `limit`.
    pub fn wait_stdout(&self, limit: Duration, pred: impl Fn(&str) -> bool) -> bool {
        wait_until(limit, || pred(&self.stdout()))
    }

    /// Waits for it to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// CPU time it has used so far (user + system), where the platform
    /// tells (Linux's /proc); `None` elsewhere.
    pub fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // The kernel counts in USER_HZ, 100 on every Linux.
        Some(Duration::from_millis(ticks * 10))
    }

    /// Stops it and everything it started.
    pub fn stop(&mut self) {
        if self.exited().is_none() {
            #[cfg(unix)]
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
            #[cfg(windows)]
            let _ = Command::new("taskkill")
                .args(["/T", "/F", "/PID", &self.child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock(buf: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    buf.lock().unwrap_or_else(|p| p.into_inner())
}

fn collect(pipe: Option<impl Read + Send + 'static>, into: Arc<Mutex<Vec<u8>>>) {
    let Some(mut pipe) = pipe else { return };
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            lock(&into).extend_from_slice(&buf[..n]);
        }
    });
}

/// Polls `done` every 10 ms until it holds, at most `limit`.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A fresh folder for one program's files, removed on drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// The names of the files in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
