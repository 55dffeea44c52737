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
use std::path::Path;
use std::process::{Child, Command, Stdio};
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
    let mut cmd =
        grader::python::python().context("no Python 3 found (python3, python or py -3)")?;
    cmd.arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = grader::run::spawn_tracked(&mut cmd).context("cannot start Python")?;
    let alive = |c: &mut Child| matches!(c.try_wait(), Ok(None));
    if grader::ports::wait_bound(port, false, Duration::from_secs(10), || alive(&mut child)) {
        return Ok(child);
    }
    stop(child);
    anyhow::bail!("{} did not bind port {port}", script.display())
}

/// Stops a server the bench started ([`grader::run::spawn_tracked`]) and
/// forgets it.
pub fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
    grader::run::untrack(child.id());
}

/// Makes Ctrl-C and SIGTERM remove `dir` (and stop the servers started)
/// before the bench exits, so an interrupted run leaves nothing behind.
pub fn remove_on_signal(dir: &Path) {
    grader::run::made(dir);
    install_handler();
}

/// Installs the handler once (the grader's cleanup: [`grader::run::kill_all`]);
/// later calls are refused by ctrlc and ignored.
pub fn install_handler() {
    let _ = ctrlc::set_handler(|| {
        grader::run::kill_all();
        common::diag!("interrupted: removed the bench's files; exiting");
        std::process::exit(130);
    });
}
