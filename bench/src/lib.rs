//! The benchmarks behind BENCHMARKS.md: the file transfer against md5sum,
//! nc and the Python originals ([`file`]), and section 2.4 (3) of the lab,
//! thread per connection against a thread pool against a bare loop and
//! the Python originals ([`signin`]), with the sign-in load generator
//! ([`load`]) and the bare loop itself ([`reference`]).
//!
//! Run them with `bash .ci/bench`, or one at a time:
//! `cargo run --release -p bench -- file --help`, `… -- signin --help`.

pub mod claims;
pub mod file;
pub mod load;
pub mod reference;
pub mod signin;

use anyhow::{Context, Result, ensure};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `a / b` of two durations.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::EPSILON)
}

/// Runs `cmd` to its end (stdout discarded) and returns how long it took.
pub fn time_command(cmd: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    ensure!(status.success(), "{cmd:?} failed");
    Ok(started.elapsed())
}

/// Starts `python SCRIPT` in `cwd`, its output discarded, and waits (at
/// most 10 s) until it has bound 127.0.0.1:`port`. The child is stopped
/// with the bench on Ctrl-C.
pub fn spawn_python(script: &Path, cwd: &Path, port: u16) -> Result<Child> {
    let mut child = grader::python::python()
        .context("no Python 3 found (python3, python or py -3)")?
        .arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start Python")?;
    track(&child);
    let alive = |c: &mut Child| matches!(c.try_wait(), Ok(None));
    if grader::ports::wait_bound(port, false, Duration::from_secs(10), || alive(&mut child)) {
        return Ok(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    untrack(child.id());
    anyhow::bail!("{} did not bind port {port}", script.display())
}

/// What a Ctrl-C or SIGTERM cleans up: the bench's folders and the
/// servers it started.
static CLEANUP: Mutex<(Vec<PathBuf>, Vec<u32>)> = Mutex::new((Vec::new(), Vec::new()));

/// Remembers a server process, to be stopped if the bench is.
pub fn track(child: &Child) {
    lock_cleanup().1.push(child.id());
}

/// Forgets a server that has been stopped (its id may be reused).
pub fn untrack(pid: u32) {
    lock_cleanup().1.retain(|p| *p != pid);
}

/// Makes Ctrl-C and SIGTERM remove `dir` (and stop the tracked servers)
/// before the bench exits, so an interrupted run leaves nothing behind.
pub fn remove_on_signal(dir: &Path) {
    let first = {
        let mut cleanup = lock_cleanup();
        cleanup.0.push(dir.to_path_buf());
        cleanup.0.len() == 1 && cleanup.1.is_empty()
    };
    if first {
        install_handler();
    }
}

fn lock_cleanup() -> std::sync::MutexGuard<'static, (Vec<PathBuf>, Vec<u32>)> {
    // A poisoned lock still holds valid lists.
    CLEANUP.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the handler once; later calls are refused by ctrlc and ignored.
pub fn install_handler() {
    let _ = ctrlc::set_handler(|| {
        let cleanup = lock_cleanup();
        for pid in &cleanup.1 {
            stop_process(*pid);
        }
        for dir in &cleanup.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
        common::diag!("interrupted: removed the bench's files; exiting");
        std::process::exit(130);
    });
}

/// Stops a process by id, with the platform's own command.
fn stop_process(pid: u32) {
    let _ = if cfg!(windows) {
        Command::new("taskkill")
            .args(["/F", "/PID", &pid.to_string()])
            .status()
    } else {
        Command::new("kill").arg(pid.to_string()).status()
    };
}
