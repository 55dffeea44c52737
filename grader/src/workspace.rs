//! Students who hand in the Rust handout (`grade handout`): a Cargo
//! workspace, built once per student, whose nine binaries are then graded
//! with the same checks as the port's own (`grade all --rust`).
//!
//! The build runs the student's code too (a build script, a macro), so it
//! is bounded like a program under test outside the sandbox: through
//! `grade limit` on Unix (the same hard limits: address space, file size,
//! CPU seconds per process, open files, processes), in its own process
//! group, killed with everything it started after [`BUILD_TIME`] or when
//! `grade` is stopped, with no network (`--offline`, from the crates this
//! machine already has), into a target folder of its own under the
//! grader's scratch folder. It is not in namespaces: cargo needs its
//! package cache, in the user's home.

use crate::run::{Launch, spawn_tracked, untrack, wait_child};
use crate::{Program, Why, why};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one student's build may take.
pub const BUILD_TIME: Duration = Duration::from_secs(600);

/// True when `dir` is a handout workspace: its root Cargo.toml, the
/// stubs' module and the first exercise.
pub fn is_handout(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file()
        && dir.join("common/src/todo.rs").is_file()
        && dir.join("tcp-basic/src/server.rs").is_file()
}

/// Builds the workspace in `dir` (release, offline) into `target`, and
/// returns the folder of its binaries, or why it does not build, in one
/// line: the compiler's first error and where.
pub fn build(dir: &Path, target: &Path, limiter: Option<&Path>) -> Result<PathBuf, Why> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = match limiter.filter(|_| cfg!(unix)) {
        Some(grade) => {
            let mut cmd = Command::new(grade);
            cmd.args(["limit", "--"]).arg(cargo);
            cmd
        }
        None => Command::new(cargo),
    };
    cmd.args(["build", "--release", "--offline", "--workspace", "--bins"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = spawn_tracked(&mut cmd)
        .map_err(|e| why!("无法运行 cargo：{e}", "cannot run cargo: {e}"))?;
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = &mut stderr {
            let _ = pipe.take(4 << 20).read_to_string(&mut text);
        }
        text
    });
    let status = wait_child(&mut child, BUILD_TIME);
    if status.is_none() {
        crate::run::kill_group(child.id());
        let _ = child.wait();
    }
    untrack(child.id());
    let text = reader.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => Ok(target.join("release")),
        Some(_) => Err(first_error(&text)),
        None => {
            let secs = BUILD_TIME.as_secs();
            Err(why!(
                "{secs} 秒内没有构建完成",
                "does not build within {secs}s"
            ))
        }
    }
}

/// The compiler's first error, with where it is: `does not build:
/// error[E0425]: cannot find value `n` in this scope (tcp-basic/src/server.rs:57:5)`.
pub fn first_error(stderr: &str) -> Why {
    let mut lines = stderr.lines();
    let Some(error) = lines.by_ref().find(|l| l.starts_with("error")) else {
        return why!(
            "无法构建（cargo 没有给出错误）",
            "does not build (cargo said no error)"
        );
    };
    let at = lines
        .take(3)
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .map(|at| format!(" ({at})"))
        .unwrap_or_default();
    let error = error.trim();
    why!("无法构建：{error}{at}", "does not build: {error}{at}")
}

/// The command of each of the lab's nine programs, from the binaries in
/// `bin`, run in `cwd`.
pub fn launches(bin: &Path, cwd: &Path) -> Vec<(Program, Launch)> {
    Program::ALL
        .into_iter()
        .filter(|p| p.is_main_lab())
        .map(|program| {
            let (crate_name, args) = program.rust_binary();
            let exe = bin.join(format!("{crate_name}{}", std::env::consts::EXE_SUFFIX));
            let mut argv = vec![exe.to_string_lossy().into_owned()];
            argv.extend(args.iter().map(|a| a.to_string()));
            argv.extend(["--port".to_string(), "{port}".to_string()]);
            let launch = Launch {
                argv,
                cwd: cwd.to_path_buf(),
                limiter: None,
            };
            (program, launch)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_and_where() {
        let stderr = "   Compiling tcp-basic v0.1.0\nerror[E0425]: cannot find value `n` in this scope\n  --> tcp-basic/src/server.rs:57:5\n   |\nerror: aborting\n";
        assert_eq!(
            first_error(stderr).en,
            "does not build: error[E0425]: cannot find value `n` in this scope (tcp-basic/src/server.rs:57:5)"
        );
        assert_eq!(
            first_error("warning: x\n").en,
            "does not build (cargo said no error)"
        );
    }
}
