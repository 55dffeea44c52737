//! What the grader looks for on this machine, at run time and with std
//! alone: a Python 3, and the namespaces of its sandbox. The tests' build
//! script compiles this same file (`#[path]`) to decide which tests can
//! run here, so the two never disagree.

use std::process::{Command, Stdio};

/// The words of `unshare` that make a check's namespaces.
pub const UNSHARE: [&str; 8] = [
    "--user",
    "--map-root-user",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--",
];

/// The first of `python3`, `python` and `py -3` on PATH that runs a
/// Python 3.7 or later, as the words of a command (`["py", "-3"]`).
pub fn find_python() -> Option<Vec<String>> {
    ["python3", "python", "py -3"]
        .into_iter()
        .map(|c| c.split(' ').map(str::to_string).collect::<Vec<_>>())
        .find(|words| runs_python3(words))
}

/// True when `words` start a Python 3.7 or later.
pub fn runs_python3(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    Command::new(program)
        .args(args)
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 7) else 1)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `Ok` when a namespace with its own loopback can be made here (Linux:
/// `unshare` as the sandbox runs it, then `ip link set lo up`); else why not.
pub fn namespaces() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("network namespaces are Linux's".into());
    }
    let out = Command::new("unshare")
        .args(UNSHARE)
        .args(["ip", "link", "set", "lo", "up"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let why = String::from_utf8_lossy(&out.stderr);
    Err(format!(
        "unshare --user --net --pid could not make a namespace with a loopback: {}",
        why.lines().next().unwrap_or("no reason given")
    ))
}
