//! Each check of each submission in a sandbox of its own, where the host
//! allows it (Linux with unprivileged user namespaces and the system's
//! `unshare` and `ip`):
//!
//! ```text
//!  grade (outer)                         one check, in fresh namespaces
//!  ─────────────                         ─────────────────────────────────
//!  [sh: join a pids cgroup] ──exec──▶ unshare --user --map-root-user
//!                                        --net --pid --fork --kill-child
//!                                        --mount-proc
//!                                           └─ grade inside   (PID 1)
//!       job as JSON on stdin  ───────────▶   ip link set lo up
//!                                             mount tmpfs (--disk) for files
//!                                             the check: the program under
//!                                             test, the grader's clients and
//!                                             reference servers, all here
//!       answer as JSON on stdout ◀────────   exit: the kernel kills every
//!                                             process left in the namespace
//! ```
//!
//! What that gives, and why each piece:
//! - **a network of its own** (`--net`, only a loopback): the program binds
//!   the port written in its source, unchanged; no earlier check's TIME_WAIT
//!   can be there; `--jobs N` submissions cannot collide or reach each
//!   other; nothing outside the machine is reachable;
//! - **processes of its own** (`--pid`): when the check ends, its PID 1
//!   exits and the kernel kills everything the submission started, a child
//!   that called `setsid` or outlived its parent too; `--kill-child` ends
//!   PID 1 if the outer grade dies, so Ctrl-C on `grade` leaves nothing;
//! - **a process count of its own** (a cgroup's `pids.max`, where a
//!   writable pids controller exists): a fork bomb fails its own check and
//!   no other student's;
//! - **disk of its own** (a tmpfs of `--disk` bytes as the check's scratch
//!   folder): a program that writes without end fills only that, and the
//!   folder is gone with the check.
//!
//! Root inside is mapped to the user running `grade` (`--map-root-user`):
//! it holds capabilities over the namespace's own loopback and mounts, none
//! over the host. Where any piece is missing, [`probe`] says which, once,
//! and the grader falls back to running checks in its own process (port
//! adaptation, [`crate::class`]).

use crate::{Outcome, Protocol, Subject};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The scratch space one check may fill, unless `--disk` says otherwise.
pub const DISK: u64 = 1 << 30;
/// The processes and threads one check may have at once, the grader's own
/// helpers in it included (the lab's busiest check has about 50).
pub const PIDS: u64 = 512;
/// How long one check may take in all before it is stopped: far above the
/// longest check's own bounded waits.
pub const CHECK: Duration = Duration::from_secs(120);

/// How checks are isolated: in namespaces ([`Sandbox`]) or not at all.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// The `grade` binary, run inside as `grade inside`.
    pub grade: PathBuf,
    /// The pids controller to make a cgroup per check in, if writable.
    pub pids: Option<PathBuf>,
    /// The size of each check's scratch tmpfs.
    pub disk: u64,
}

impl Sandbox {
    /// One line for the report's header: what bounds a check here.
    pub fn describe(&self) -> String {
        format!(
            "each check in its own network, PID and mount namespaces (loopback only); files in a {} MiB tmpfs; {}",
            self.disk >> 20,
            match &self.pids {
                Some(_) => format!("at most {PIDS} processes per check (pids cgroup)"),
                None => "processes bounded by RLIMIT_NPROC only (no writable pids cgroup)".into(),
            }
        )
    }
}

/// The words of `unshare` that make a check's namespaces.
const UNSHARE: [&str; 8] = [
    "--user",
    "--map-root-user",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--",
];

/// Finds out whether checks can run in namespaces here: `Ok` with the
/// sandbox, or `Err` with the reason they cannot (said once by `grade`).
pub fn probe(grade: &Path, disk: u64) -> Result<Sandbox, String> {
    if !cfg!(target_os = "linux") {
        return Err("network namespaces are Linux's".into());
    }
    let out = Command::new("unshare")
        .args(UNSHARE)
        .args(["ip", "link", "set", "lo", "up"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "unshare --user --net --pid could not make a namespace with a loopback: {}",
            why.lines().next().unwrap_or("no reason given")
        ));
    }
    Ok(Sandbox {
        grade: grade.to_path_buf(),
        pids: pids_controller(),
        disk,
    })
}

/// A pids cgroup controller this process may make cgroups in: cgroup v1's
/// `/sys/fs/cgroup/pids`, or v2's unified root where it delegates `pids`.
fn pids_controller() -> Option<PathBuf> {
    let v1 = Path::new("/sys/fs/cgroup/pids");
    let v2 = Path::new("/sys/fs/cgroup");
    let delegates = std::fs::read_to_string(v2.join("cgroup.subtree_control"))
        .is_ok_and(|s| s.split_whitespace().any(|c| c == "pids"));
    let root = if v1.join("cgroup.procs").is_file() {
        v1
    } else if delegates {
        v2
    } else {
        return None;
    };
    let test = root.join(format!("socket-lab-probe-{}", std::process::id()));
    let ok =
        std::fs::create_dir(&test).is_ok() && std::fs::write(test.join("pids.max"), "1").is_ok();
    let _ = std::fs::remove_dir(&test);
    ok.then(|| root.to_path_buf())
}

/// What a check in the sandbox answers.
pub enum Answer {
    Check(Outcome, Vec<String>),
    Recognised(Result<Protocol, Outcome>, Vec<String>),
}

/// Runs one check (`Some(name)`) or the recognition of the protocol
/// (`None`) of `subject` in a fresh sandbox, and returns what it found.
/// A sandbox that fails says why, as the check's failure.
pub fn run(sandbox: &Sandbox, subject: &Subject, check: Option<&str>) -> Answer {
    let answer = run_inside(sandbox, subject, check);
    match (answer, check) {
        (Ok(answer), _) => answer,
        (Err(why), Some(_)) => Answer::Check(Outcome::Skip(why), Vec::new()),
        (Err(why), None) => Answer::Recognised(Err(Outcome::Skip(why)), Vec::new()),
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A cgroup made for one check, removed on drop (once empty: the check's
/// namespace is gone by then, and so is every process in it).
struct Cgroup(PathBuf);

impl Cgroup {
    fn new(controller: &Path) -> Option<Cgroup> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = controller.join(format!("socket-lab-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let cgroup = Cgroup(dir);
        std::fs::write(cgroup.0.join("pids.max"), PIDS.to_string()).ok()?;
        Some(cgroup)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The last processes of a killed namespace may take a moment to go.
        crate::run::wait_until(Duration::from_secs(2), || {
            std::fs::remove_dir(&self.0).is_ok()
        });
    }
}

fn run_inside(sandbox: &Sandbox, s: &Subject, check: Option<&str>) -> Result<Answer, String> {
    let disk = tempfile::Builder::new()
        .prefix("socket-lab-check-")
        .tempdir()
        .map_err(|e| format!("the grader cannot make a folder: {e}"))?;
    let cgroup = sandbox.pids.as_deref().and_then(Cgroup::new);
    let mut cmd = match &cgroup {
        // The shell joins the cgroup, then becomes unshare: everything
        // the check starts is counted there from its first fork.
        Some(cg) => {
            let mut cmd = Command::new("sh");
            cmd.args([
                "-c",
                "echo 0 > \"$1\" || exit 125; shift; exec \"$@\"",
                "sh",
            ])
            .arg(cg.0.join("cgroup.procs"))
            .arg("unshare");
            cmd
        }
        None => Command::new("unshare"),
    };
    cmd.args(UNSHARE)
        .arg(&sandbox.grade)
        .arg("inside")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let job = json!({
        "program": s.program.name(),
        "argv": s.launch.argv,
        "cwd": s.launch.cwd,
        "limiter": s.launch.limiter,
        "port": s.port,
        "originals": s.originals,
        "python": s.python,
        "check": check,
        "disk": disk.path(),
        "disk_size": sandbox.disk,
    });
    let mut child = crate::run::spawn_tracked(&mut cmd)
        .map_err(|e| format!("the grader cannot start unshare: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(job.to_string().as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = &mut stdout {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let finished = crate::run::wait_until(CHECK, || child.try_wait().ok().flatten().is_some());
    if !finished {
        crate::run::kill_group(child.id());
        let _ = child.kill();
    }
    let _ = child.wait();
    crate::run::untrack(child.id());
    let text = reader.join().unwrap_or_default();
    drop(cgroup);
    if !finished {
        return Err(format!("the check did not end within {CHECK:?}"));
    }
    parse_answer(&text, check.is_some())
        .ok_or_else(|| format!("the sandbox gave no answer (it printed {:?})", text.trim()))
}

fn outcome_to_json(outcome: &Outcome) -> Value {
    json!({ "result": outcome.name(), "detail": outcome.reason() })
}

fn outcome_from_json(v: &Value) -> Option<Outcome> {
    let detail = v["detail"].as_str().unwrap_or_default().to_string();
    Some(match v["result"].as_str()? {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail(detail),
        "skip" => Outcome::Skip(detail),
        "not-graded" => Outcome::NotGraded(detail),
        _ => return None,
    })
}

fn parse_answer(text: &str, is_check: bool) -> Option<Answer> {
    let v: Value = serde_json::from_str(text.trim()).ok()?;
    let transcript = v["transcript"]
        .as_array()?
        .iter()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    if is_check {
        return Some(Answer::Check(outcome_from_json(&v["outcome"])?, transcript));
    }
    let recognised = match (&v["protocol"], &v["outcome"]) {
        (Value::String(p), _) if p == "lab" => Ok(Protocol::Lab),
        (Value::String(p), _) => Ok(Protocol::Differs(p.clone())),
        (_, o) => Err(outcome_from_json(o)?),
    };
    Some(Answer::Recognised(recognised, transcript))
}

/// `grade inside`: the sandbox's PID 1. Reads the job from stdin, brings
/// up the loopback, mounts the scratch tmpfs, runs the check in this
/// process and prints the answer as one line of JSON.
pub fn inside() -> std::process::ExitCode {
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    let Ok(job) = serde_json::from_str::<Value>(&text) else {
        eprintln!("grade inside: no job on stdin (this is the grader's own subcommand)");
        return std::process::ExitCode::from(2);
    };
    let answer = match run_job(&job) {
        Ok(answer) => answer,
        Err(why) => json!({
            "outcome": outcome_to_json(&Outcome::Skip(why.clone())),
            "transcript": [],
        }),
    };
    println!("{answer}");
    std::process::ExitCode::SUCCESS
}

fn run_job(job: &Value) -> Result<Value, String> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let path = |v: &Value| v.as_str().map(PathBuf::from);
    let program = job["program"]
        .as_str()
        .and_then(|p| <crate::Program as clap::ValueEnum>::from_str(p, true).ok())
        .ok_or("the job names no program")?;
    let status = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if !status.success() {
        return Err("ip link set lo up failed in the sandbox".into());
    }
    if let Some(disk) = path(&job["disk"]) {
        let size = job["disk_size"].as_u64().unwrap_or(DISK);
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size},mode=0700"))
            .arg("socket-lab-check")
            .arg(&disk)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            return Err(format!("cannot mount a tmpfs on {}", disk.display()));
        }
        crate::run::set_scratch_root(disk);
    }
    let subject = Subject {
        program,
        launch: crate::run::Launch {
            argv: strings(&job["argv"]),
            cwd: path(&job["cwd"]).unwrap_or_default(),
            limiter: path(&job["limiter"]),
        },
        port: job["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0),
        originals: path(&job["originals"]),
        python: job["python"].as_array().map(|_| strings(&job["python"])),
        sandbox: None,
    };
    Ok(match job["check"].as_str() {
        Some(name) => {
            let check = program
                .checks()
                .into_iter()
                .find(|c| c.name == name)
                .ok_or_else(|| format!("{} has no check called {name:?}", program.name()))?;
            let (outcome, transcript) = crate::run_check(&subject, &check);
            json!({ "outcome": outcome_to_json(&outcome), "transcript": transcript })
        }
        None => {
            let (recognised, transcript) = crate::run_recognise(&subject);
            match recognised {
                Ok(Protocol::Lab) => json!({ "protocol": "lab", "transcript": transcript }),
                Ok(Protocol::Differs(why)) => json!({ "protocol": why, "transcript": transcript }),
                Err(o) => {
                    json!({ "protocol": null, "outcome": outcome_to_json(&o), "transcript": transcript })
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_back_as_they_were_written() {
        let check = json!({
            "outcome": outcome_to_json(&Outcome::Fail("why".into())),
            "transcript": ["sent 'x'"],
        });
        match parse_answer(&check.to_string(), true) {
            Some(Answer::Check(Outcome::Fail(why), t)) => {
                assert_eq!(why, "why");
                assert_eq!(t, ["sent 'x'"]);
            }
            _ => panic!("not read back"),
        }
        let differs = json!({ "protocol": "an echo", "transcript": [] });
        assert!(matches!(
            parse_answer(&differs.to_string(), false),
            Some(Answer::Recognised(Ok(Protocol::Differs(p)), _)) if p == "an echo"
        ));
        let failed = json!({ "protocol": null, "outcome": outcome_to_json(&Outcome::Fail("no".into())), "transcript": [] });
        assert!(matches!(
            parse_answer(&failed.to_string(), false),
            Some(Answer::Recognised(Err(Outcome::Fail(_)), _))
        ));
        assert!(parse_answer("Traceback", true).is_none());
    }
}
