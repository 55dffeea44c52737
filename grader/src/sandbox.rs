//! Each check of each submission in a sandbox of its own, where the host
//! allows it (Linux with unprivileged user namespaces and the system's
//! `unshare` and `ip`):
//!
//! ```text
//!  grade (outer)                         one check, in fresh namespaces
//!  ─────────────                         ─────────────────────────────────
//!  makes the check's cgroups       unshare --user --map-root-user --net
//!  (pids, cpu, memory), a folder      --pid --fork --kill-child --mount-proc
//!                                           └─ grade inside   (PID 1)
//!       job as JSON on stdin  ───────────▶   ip link set lo up
//!                                             the host's files read-only
//!                                             a tmpfs (--disk) for files
//!                                             and one for /dev/shm
//!                                             the check: the program under
//!                                             test (through `grade limit`,
//!                                             which joins the cgroups), the
//!                                             grader's clients and reference
//!                                             servers, all here
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
//! - **a process count, a CPU share and memory of its own** (cgroups made
//!   under the grader's own: `pids.max`, one core's quota, [`MEMORY`], where
//!   a writable controller exists), for the program under test only, not
//!   for the grader's own threads: a fork bomb fails its own check and
//!   slows no other student's;
//! - **disk of its own**: the host's files are read-only inside, and the
//!   check's scratch folder, where the program runs, is a tmpfs of `--disk`
//!   bytes, gone with the check; `/dev/shm`, where POSIX semaphores live
//!   (Python's `multiprocessing` makes one for each lock), is an empty tmpfs
//!   of [`SHM`] bytes of the check's own.
//!
//! After the check, PID 1 looks at what the program did with its bounds, and
//! a check in which it met one fails, saying so: it tried to have more than
//! [`PIDS`] processes, it left processes running after it was stopped (they
//! escaped its process group), or it filled its disk.
//!
//! Root inside is mapped to the user running `grade` (`--map-root-user`):
//! it holds capabilities over the namespace's own loopback and mounts, none
//! over the host. Where any piece is missing, [`probe`] says which, once,
//! and the grader falls back to running checks in its own process (port
//! adaptation, [`crate::class`]).

use crate::{Outcome, Protocol, Subject, Why, why};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The scratch space one check may fill, unless `--disk` says otherwise.
pub const DISK: u64 = 1 << 30;
/// The size of each check's own `/dev/shm`: room for semaphores and small
/// shared memory, not for files.
pub const SHM: u64 = 64 << 20;
/// The processes and threads one check may have at once, the grader's own
/// helpers in it included (the lab's busiest check has about 50).
pub const PIDS: u64 = 512;
/// The memory one check's program may use, all its processes together
/// (its tmpfs files included, which count as its memory).
pub const MEMORY: u64 = 2 << 30;
/// How long one check may take in all before it is stopped: far above the
/// longest check's own bounded waits.
pub const CHECK: Duration = Duration::from_secs(120);

/// How checks are isolated: in namespaces ([`Sandbox`]) or not at all.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// The `grade` binary, run inside as `grade inside`.
    pub grade: PathBuf,
    /// The cgroup controllers to make a cgroup per check in, where
    /// writable: pids, cpu and memory.
    pub controllers: Vec<Controller>,
    /// The size of each check's scratch tmpfs.
    pub disk: u64,
}

/// A cgroup controller the grader may make cgroups in, and the limit it
/// writes into each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    pub root: PathBuf,
    /// The file and the value: `pids.max` = PIDS, one core of CPU, or
    /// MEMORY.
    pub limit: (&'static str, String),
}

impl Sandbox {
    /// One line for the report's header: what bounds a check here.
    pub fn describe(&self) -> String {
        let has = |file: &str| self.controllers.iter().any(|c| c.limit.0 == file);
        format!(
            "each check in its own network, PID and mount namespaces (loopback only, the host's files read-only); files in a {} MiB tmpfs, /dev/shm in one of {} MiB; {}; {}; {}",
            self.disk >> 20,
            SHM >> 20,
            match has("pids.max") {
                true => format!("at most {PIDS} processes (pids cgroup)"),
                false => "processes bounded by RLIMIT_NPROC only (no writable pids cgroup)".into(),
            },
            match has("cpu.cfs_quota_us") || has("cpu.max") {
                true => "one core of CPU (cpu cgroup)",
                false => "CPU bounded by RLIMIT_CPU only (no writable cpu cgroup)",
            },
            match has("memory.limit_in_bytes") || has("memory.max") {
                true => format!("{} MiB of memory in all (memory cgroup)", MEMORY >> 20),
                false =>
                    "memory bounded per process only (RLIMIT_AS; no writable memory cgroup)".into(),
            }
        )
    }
}

/// Finds out whether checks can run in namespaces here: `Ok` with the
/// sandbox, or `Err` with the reason they cannot (said once by `grade`).
pub fn probe(grade: &Path, disk: u64) -> Result<Sandbox, String> {
    crate::machine::namespaces()?;
    Ok(Sandbox {
        grade: grade.to_path_buf(),
        controllers: controllers(),
        disk,
    })
}

/// The cgroup controllers this process may make cgroups in, each at this
/// process's own cgroup (so that a check's cgroup is a child of the
/// grader's, and stays within whatever bounds the grader itself): cgroup
/// v1's `pids`, `cpu` and `memory` hierarchies, or v2's unified one where
/// it delegates them.
fn controllers() -> Vec<Controller> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    // A line is `ID:CONTROLLERS:PATH`; v2's is `0::PATH`.
    let path_of = |controller: &str| {
        own.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
            let hit = match controller {
                "" => names.is_empty(),
                c => names.split(',').any(|n| n == c),
            };
            hit.then(|| path.trim_start_matches('/').to_string())
        })
    };
    let core = "100000".to_string();
    let memory = MEMORY.to_string();
    let wanted = [
        (
            "pids",
            ("pids.max", PIDS.to_string()),
            ("pids.max", PIDS.to_string()),
        ),
        (
            "cpu",
            ("cpu.cfs_quota_us", core.clone()),
            ("cpu.max", format!("{core} 100000")),
        ),
        (
            "memory",
            ("memory.limit_in_bytes", memory.clone()),
            ("memory.max", memory),
        ),
    ];
    let mut found = Vec::new();
    for (name, v1_limit, v2_limit) in wanted {
        let v1 = path_of(name).map(|p| Path::new("/sys/fs/cgroup").join(name).join(p));
        let v2 = path_of("")
            .map(|p| Path::new("/sys/fs/cgroup").join(p))
            .filter(|dir| {
                std::fs::read_to_string(dir.join("cgroup.subtree_control"))
                    .is_ok_and(|d| d.split_whitespace().any(|c| c == name))
            });
        let candidate = match (v1, v2) {
            (Some(root), _) if root.join("cgroup.procs").is_file() => Controller {
                root,
                limit: v1_limit,
            },
            (_, Some(root)) => Controller {
                root,
                limit: v2_limit,
            },
            _ => continue,
        };
        let test = candidate
            .root
            .join(format!("socket-lab-probe-{}", std::process::id()));
        let ok = std::fs::create_dir(&test).is_ok()
            && std::fs::write(test.join(candidate.limit.0), &candidate.limit.1).is_ok();
        let _ = std::fs::remove_dir(&test);
        if ok {
            found.push(candidate);
        }
    }
    found
}

/// What the sandbox's first process answers, one shape for a check and for
/// the recognition of the protocol: the protocol it recognised, or else the
/// outcome, and the transcript.
struct Answer {
    protocol: Option<Protocol>,
    outcome: Outcome,
    transcript: Vec<String>,
}

/// Runs the check called `name` of `subject` in a fresh sandbox: its
/// outcome and transcript. A sandbox that fails is a skip, saying why.
pub fn check(sandbox: &Sandbox, subject: &Subject, name: &str) -> (Outcome, Vec<String>) {
    match run_inside(sandbox, subject, Some(name)) {
        Ok(answer) => (answer.outcome, answer.transcript),
        Err(why) => (Outcome::Skip(sandbox_trouble(why)), Vec::new()),
    }
}

/// Recognises the protocol of `subject` in a fresh sandbox
/// ([`crate::checks::recognise`]).
pub fn recognise(sandbox: &Sandbox, subject: &Subject) -> Result<Protocol, Outcome> {
    match run_inside(sandbox, subject, None) {
        Ok(Answer {
            protocol: Some(protocol),
            ..
        }) => Ok(protocol),
        Ok(answer) => Err(answer.outcome),
        Err(why) => Err(Outcome::Skip(sandbox_trouble(why))),
    }
}

/// The sandbox's own trouble, a skip: the grader's failure, not the
/// program's, said in the system's words after a Chinese frame.
fn sandbox_trouble(why: String) -> Why {
    Why::new(format!("评分程序的沙箱出了问题：{why}"), why)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The cgroups made for one check, removed on drop (once empty: the
/// check's namespace is gone by then, and so is every process in it).
struct Cgroups(Vec<PathBuf>);

impl Cgroups {
    fn new(controllers: &[Controller]) -> Cgroups {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut made = Cgroups(Vec::new());
        for c in controllers {
            let dir = c
                .root
                .join(format!("socket-lab-{}-{n}", std::process::id()));
            if std::fs::create_dir(&dir).is_ok() {
                crate::run::made(&dir);
                let _ = std::fs::write(dir.join(c.limit.0), &c.limit.1);
                made.0.push(dir);
            }
        }
        made
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in &self.0 {
            // The last processes of a killed namespace may take a moment.
            crate::run::wait_until(Duration::from_secs(2), || std::fs::remove_dir(dir).is_ok());
            crate::run::removed(dir);
        }
    }
}

fn run_inside(sandbox: &Sandbox, s: &Subject, check: Option<&str>) -> Result<Answer, String> {
    let disk = tempfile::Builder::new()
        .prefix("socket-lab-check-")
        .tempdir()
        .map_err(|e| format!("the grader cannot make a folder: {e}"))?;
    crate::run::made(disk.path());
    let cgroups = Cgroups::new(&sandbox.controllers);
    let mut cmd = Command::new("unshare");
    cmd.args(crate::machine::UNSHARE)
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
        "cgroups": cgroups.0,
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
    drop(cgroups);
    crate::run::removed(disk.path());
    if !finished {
        return Err(format!("the check did not end within {CHECK:?}"));
    }
    parse_answer(&text)
        .ok_or_else(|| format!("the sandbox gave no answer (it printed {:?})", text.trim()))
}

fn outcome_to_json(outcome: &Outcome) -> Value {
    let why = outcome.why();
    json!({
        "result": outcome.name(),
        "detail": why.map(|w| &w.en),
        "detail_zh": why.map(|w| &w.zh),
    })
}

/// A reason from JSON: `key` in English, `key_zh` in Chinese.
fn why_from_json(v: &Value, key: &str) -> Why {
    let en = v[key].as_str().unwrap_or_default();
    let zh = v[format!("{key}_zh")].as_str().unwrap_or(en);
    Why::new(zh, en)
}

fn outcome_from_json(v: &Value) -> Option<Outcome> {
    let detail = why_from_json(v, "detail");
    Some(match v["result"].as_str()? {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail(detail),
        "skip" => Outcome::Skip(detail),
        "not-graded" => Outcome::NotGraded(detail),
        _ => return None,
    })
}

fn parse_answer(text: &str) -> Option<Answer> {
    let v: Value = serde_json::from_str(text.trim()).ok()?;
    let transcript = v["transcript"]
        .as_array()?
        .iter()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect();
    let protocol = match &v["protocol"] {
        Value::String(p) if p == "lab" => Some(Protocol::Lab),
        Value::String(_) => Some(Protocol::Differs(why_from_json(&v, "protocol"))),
        _ => None,
    };
    // A recognised protocol needs no outcome; anything else must have one.
    let outcome = match (&protocol, outcome_from_json(&v["outcome"])) {
        (_, Some(outcome)) => outcome,
        (Some(_), None) => Outcome::Pass,
        (None, None) => return None,
    };
    Some(Answer {
        protocol,
        outcome,
        transcript,
    })
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
            "outcome": outcome_to_json(&Outcome::Skip(sandbox_trouble(why))),
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
    read_only_host();
    own_shm();
    let disk = path(&job["disk"]).ok_or("the job names no scratch folder")?;
    let disk_size = job["disk_size"].as_u64().unwrap_or(DISK);
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o"])
        .arg(format!("size={disk_size},mode=0700"))
        .arg("socket-lab-check")
        .arg(&disk)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        return Err(format!("cannot mount a tmpfs on {}", disk.display()));
    }
    crate::run::set_scratch_root(disk.clone());
    let cgroups: Vec<PathBuf> = strings(&job["cgroups"])
        .into_iter()
        .map(PathBuf::from)
        .collect();
    crate::run::set_cgroups(cgroups.clone());
    let watch = DiskWatch::start(disk);
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
        transcript: Default::default(),
    };
    let answer = match job["check"].as_str() {
        Some(name) => {
            let check = program
                .checks()
                .into_iter()
                .find(|c| c.name == name)
                .ok_or_else(|| format!("{} has no check called {name:?}", program.name()))?;
            let (outcome, transcript) = crate::run_check(&subject, &check);
            Ok((outcome, transcript))
        }
        None => Err(crate::run_recognise(&subject)),
    };
    // What the program did with its bounds, said beside what the check
    // found: each fails the check it happened in.
    let mut met = Vec::new();
    if let Some(n) = pids_refused(&cgroups) {
        met.push(why!(
            "试图同时拥有超过 {PIDS} 个进程（{n} 次 fork 被拒绝）",
            "tried to have more than {PIDS} processes at once ({n} forks refused)"
        ));
    }
    if let Some(n) = left_running(&cgroups) {
        met.push(why!(
            "被停止后还留下 {n} 个进程在运行（它们像 setsid 那样离开了它的进程组）",
            "left {n} process(es) running after it was stopped (they left its process group, as setsid does)"
        ));
    }
    // Full, or as good as: a write that does not fit fails whole, so the
    // files of a program that filled its disk may fall short of it by the
    // size of its last write. The lab's largest file is 100 KB. (The files
    // are all still there: scratch folders are kept until the check ends.)
    let peak = watch.stop();
    if peak >= disk_size - disk_size / 16 {
        let mib = disk_size >> 20;
        met.push(why!(
            "写满了它的 {mib} MiB 磁盘",
            "filled its {mib} MiB of disk"
        ));
    }
    let joined = |pick: fn(&Why) -> &str, by: &str| -> String {
        met.iter().map(pick).collect::<Vec<_>>().join(by)
    };
    let all_met = Why::new(joined(|w| &w.zh, "；"), joined(|w| &w.en, "; "));
    let merge = |outcome: Outcome| match (met.is_empty(), outcome) {
        (true, o) => o,
        (false, Outcome::Fail(why)) => Outcome::Fail(why.and_it(&all_met)),
        (false, _) => Outcome::Fail(Why::new(
            format!("它{}", all_met.zh),
            format!("it {}", all_met.en),
        )),
    };
    Ok(match answer {
        Ok((outcome, transcript)) => {
            json!({ "outcome": outcome_to_json(&merge(outcome)), "transcript": transcript })
        }
        Err((recognised, transcript)) => match recognised {
            Ok(_) if !met.is_empty() => {
                json!({ "protocol": null, "outcome": outcome_to_json(&merge(Outcome::Pass)), "transcript": transcript })
            }
            Ok(Protocol::Lab) => json!({ "protocol": "lab", "transcript": transcript }),
            Ok(Protocol::Differs(why)) => {
                json!({ "protocol": why.en, "protocol_zh": why.zh, "transcript": transcript })
            }
            Err(o) => {
                json!({ "protocol": null, "outcome": outcome_to_json(&merge(o)), "transcript": transcript })
            }
        },
    })
}

/// Makes every file system of the host read-only in this mount namespace
/// (the namespace's own mounts, made after, stay writable): a program under
/// test may read its own script and the lab's files, and write only in
/// its scratch tmpfs. A mount that refuses stays as it was.
fn read_only_host() {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        let (Some(_), Some(target), Some(kind)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if [
            "proc", "sysfs", "cgroup", "cgroup2", "devpts", "devtmpfs", "mqueue",
        ]
        .contains(&kind)
        {
            continue;
        }
        let _ = Command::new("mount")
            .args(["-o", "remount,bind,ro", target])
            .stderr(Stdio::null())
            .status();
    }
}

/// Mounts an empty tmpfs of [`SHM`] bytes on `/dev/shm`, where the host's
/// is read-only now: a program that makes a POSIX semaphore (every lock of
/// Python's `multiprocessing`, `multiprocessing.pool.ThreadPool` too)
/// fails to start without it. Found by a correct pool graded zero. Where
/// the host has no `/dev/shm`, or the mount is refused, nothing changes.
fn own_shm() {
    if Path::new("/dev/shm").is_dir() {
        let _ = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={SHM},mode=1777"))
            .args(["socket-lab-shm", "/dev/shm"])
            .stderr(Stdio::null())
            .status();
    }
}

/// How many forks the pids cgroup refused during the check, if any.
fn pids_refused(cgroups: &[PathBuf]) -> Option<u64> {
    cgroups.iter().find_map(|dir| {
        let events = std::fs::read_to_string(dir.join("pids.events")).ok()?;
        let n: u64 = events.strip_prefix("max ")?.trim().parse().ok()?;
        (n > 0).then_some(n)
    })
}

/// How many of the program's processes are still running after the check
/// stopped its process group, if any.
fn left_running(cgroups: &[PathBuf]) -> Option<usize> {
    let dir = cgroups.iter().find(|d| d.join("pids.current").is_file())?;
    let procs = || {
        std::fs::read_to_string(dir.join("cgroup.procs"))
            .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
            .unwrap_or(0)
    };
    // A killed process group may take a moment to be gone.
    crate::run::wait_until(Duration::from_millis(500), || procs() == 0);
    let n = procs();
    (n > 0).then_some(n)
}

/// The most bytes the files under a folder held at once during a check,
/// sampled every 100 ms by a thread of its own.
struct DiskWatch {
    dir: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl DiskWatch {
    fn start(dir: PathBuf) -> DiskWatch {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let watched = dir.clone();
        let handle = std::thread::spawn(move || {
            let mut peak = 0;
            loop {
                peak = peak.max(size_of(&watched));
                if stopping.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        DiskWatch { dir, stop, handle }
    }

    /// The most the folder held: what it holds now (what the program left,
    /// read whatever the sampling missed) or at any sample before.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let sampled = self.handle.join().unwrap_or(0);
        sampled.max(size_of(&self.dir))
    }
}

/// The bytes the files under `dir` hold (links not followed).
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_back_as_they_were_written() {
        let check = json!({
            "outcome": outcome_to_json(&Outcome::Fail(Why::new("为什么", "why"))),
            "transcript": ["sent 'x'"],
        });
        let a = parse_answer(&check.to_string()).expect("read back");
        assert_eq!(a.outcome, Outcome::Fail(Why::new("为什么", "why")));
        assert_eq!(a.transcript, ["sent 'x'"]);
        assert_eq!(a.protocol, None);
        let differs = json!({ "protocol": "an echo", "protocol_zh": "回显", "transcript": [] });
        let a = parse_answer(&differs.to_string()).expect("read back");
        assert_eq!(
            a.protocol,
            Some(Protocol::Differs(Why::new("回显", "an echo")))
        );
        let failed = json!({ "protocol": null, "outcome": outcome_to_json(&Outcome::Fail(Why::quoted("no"))), "transcript": [] });
        let a = parse_answer(&failed.to_string()).expect("read back");
        assert_eq!(
            (a.protocol, a.outcome),
            (None, Outcome::Fail(Why::quoted("no")))
        );
        assert!(parse_answer("Traceback").is_none());
        assert!(parse_answer(r#"{"transcript": []}"#).is_none());
    }
}
