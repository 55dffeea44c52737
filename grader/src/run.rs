//! Running a program under test: start it from its command, know when its
//! port is bound, feed it input, collect what it prints, and always stop
//! it, its children too. Every wait is bounded.
//!
//! A student's program is untrusted code. What bounds it here:
//! - its output: the grader keeps the first and the last [`KEPT`] bytes of
//!   each stream and counts the rest, and a program that prints more than
//!   [`FLOOD`] fails the check it did it in ([`Transcript::flood`]);
//! - its environment: only PATH, the system's own variables and Python's
//!   output settings are passed on, and it runs in a fresh folder, from a
//!   copy of its script there ([`Launch::placed_in`]);
//! - on Unix, with [`Launch::limiter`] set (the `grade` binary does): its
//!   address space, file size, CPU time, open files and process count, set
//!   hard and soft by `grade limit` before it becomes the program, so that
//!   it cannot raise them again (see [`limit_and_exec`]);
//! - every process it starts is in its process group, and every group the
//!   grader starts is listed ([`spawn_tracked`]), so that `grade` kills
//!   them all on Ctrl-C or SIGTERM ([`kill_all`]).
//!
//! On Linux with namespaces, [`crate::sandbox`] bounds the rest: the
//! network, the processes it leaves behind, the count of processes and
//! the disk. Without them, what it does to the network and to files
//! outside its folder that its user may write is not bounded; GRADING.md's
//! table says what is bounded where.

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
/// How long a client program may take to run to its end: its interpreter's
/// start, its exchanges and its exit. Twice [`STEP`]: a correct Python
/// client was seen to take over 5 s on a loaded two-core machine (a class
/// graded four at once in the sandbox, beside a release build), and a
/// correct program exits long before, so only a hung one waits it out.
pub const RUN: Duration = Duration::from_secs(10);
/// How much of the start and of the end of each output stream is kept.
pub const KEPT: usize = 64 * 1024;
/// A program that prints more than this in one check fails it.
pub const FLOOD: u64 = 16 * 1024 * 1024;
/// The largest address space a program under test gets (Unix).
pub const ADDRESS_SPACE: u64 = 4 << 30;
/// The largest file it may write (Unix).
pub const FILE_SIZE: u64 = 256 << 20;
/// The most processes its user may have (Unix; per user, and not enforced
/// for root: the sandbox's pids cgroup bounds it per check instead).
pub const PROCESSES: u64 = 4096;
/// The CPU time one process of it may use (Unix): a check lasts seconds,
/// so only a program that spins for a long time meets it.
pub const CPU_SECONDS: u64 = 60;
/// The files and sockets one process of it may have open (Unix).
pub const OPEN_FILES: u64 = 1024;

/// The command that starts the program under test, as given on the grader's
/// command line: a program and its arguments, `{port}` standing for the port.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub argv: Vec<String>,
    /// Where the program runs (its files go there).
    pub cwd: PathBuf,
    /// A `grade` binary to start it through (`grade limit -- ARGV`), which
    /// caps its resources on Unix; `None` starts it directly.
    pub limiter: Option<PathBuf>,
}

impl Launch {
    /// The launch run from `dir`: its working folder and, for a Python
    /// script, the script's own folder too, through a copy of the script
    /// (and of the `.py` files beside it, for modules of its own) in `dir`.
    /// A program that keeps its files beside itself
    /// (`os.path.dirname(os.path.abspath(__file__))`, as students often
    /// write) then keeps them where the checks look, and never in the class
    /// folder, which the sandbox makes read-only; for the same reason an
    /// absolute path of the student's own machine in the copies becomes
    /// its last part ([`crate::class::home_paths_made_relative`]). A
    /// script that cannot be copied is run where it is.
    pub fn placed_in(&self, dir: &Path) -> Launch {
        let mut launch = self.clone();
        launch.cwd = dir.to_path_buf();
        let is_script = |a: &String| a.to_ascii_lowercase().ends_with(".py");
        let Some(script) = launch.argv.iter_mut().find(|a| is_script(a)) else {
            return launch;
        };
        let from = PathBuf::from(&*script);
        let beside = from.parent().and_then(|d| std::fs::read_dir(d).ok());
        for entry in beside.into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path != from && path.is_file() && is_script(&name.to_string_lossy().into_owned()) {
                let _ = copy_script(&path, &dir.join(&name));
            }
        }
        if let Some(name) = from.file_name() {
            let copy = dir.join(name);
            if copy_script(&from, &copy).is_ok() {
                *script = copy.to_string_lossy().into_owned();
            }
        }
        launch
    }

    /// The command with `{port}` replaced, in a scrubbed environment.
    pub fn command(&self, port: u16) -> Command {
        let argv: Vec<String> = self
            .argv
            .iter()
            .map(|a| a.replace("{port}", &port.to_string()))
            .collect();
        let mut cmd = match &self.limiter {
            Some(grade) if cfg!(unix) => {
                let mut cmd = Command::new(grade);
                cmd.arg("limit");
                for dir in CGROUPS.get().into_iter().flatten() {
                    cmd.arg("--cgroup").arg(dir);
                }
                cmd.arg("--").args(&argv);
                cmd
            }
            _ => {
                let mut cmd = Command::new(&argv[0]);
                cmd.args(&argv[1..]);
                cmd
            }
        };
        cmd.current_dir(&self.cwd);
        scrub(&mut cmd);
        // Inside a sandbox, its temporary files go to the check's tmpfs.
        if let Some(root) = SCRATCH_ROOT.get() {
            cmd.env("TMPDIR", root).env("TEMP", root).env("TMP", root);
        }
        cmd.env("PYTHONUNBUFFERED", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }

    /// True when the command chooses its port through `{port}`.
    pub fn takes_port(&self) -> bool {
        self.argv.iter().any(|a| a.contains("{port}"))
    }
}

/// Copies a Python script, its absolute paths of the student's machine cut
/// to their last part; a script that is not UTF-8 is copied as it is.
fn copy_script(from: &Path, to: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(from)?;
    let adapted = std::str::from_utf8(&bytes)
        .ok()
        .and_then(crate::class::home_paths_made_relative);
    std::fs::write(to, adapted.as_deref().map_or(&bytes[..], str::as_bytes))
}

/// Clears the environment but for what a program needs to start: PATH,
/// the system's own folders and the temp folder (Windows needs SYSTEMROOT
/// to start anything), and the locale.
fn scrub(cmd: &mut Command) {
    const KEEP: [&str; 9] = [
        "PATH",
        "SYSTEMROOT",
        "WINDIR",
        "COMSPEC",
        "PATHEXT",
        "TEMP",
        "TMP",
        "TMPDIR",
        "LANG",
    ];
    cmd.env_clear();
    for name in KEEP {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
}

/// `grade limit [--cgroup DIR]… -- PROGRAM ARGS…`: joins each cgroup DIR
/// (so that everything PROGRAM starts is counted there), caps this
/// process's address space, file size, CPU time, open files and process
/// count, hard and soft (so that PROGRAM cannot raise them again), then
/// becomes PROGRAM (exec), which inherits the caps. Unix only; it returns
/// only on failure.
pub fn limit_and_exec(argv: &[std::ffi::OsString]) -> std::io::Error {
    let mut argv = argv;
    while argv.first().is_some_and(|a| a == "--cgroup") {
        let Some(dir) = argv.get(1) else {
            return std::io::Error::other("grade limit: --cgroup takes a folder");
        };
        // "0" is the writing process itself.
        if let Err(e) = std::fs::write(Path::new(dir).join("cgroup.procs"), "0") {
            return e;
        }
        argv = &argv[2..];
    }
    if argv.first().is_some_and(|a| a == "--") {
        argv = &argv[1..];
    }
    let Some((program, args)) = argv.split_first() else {
        return std::io::Error::other("grade limit: no program given");
    };
    #[cfg(unix)]
    {
        use rlimit::Resource;
        for (resource, cap) in [
            (Resource::AS, ADDRESS_SPACE),
            (Resource::FSIZE, FILE_SIZE),
            (Resource::CPU, CPU_SECONDS),
            (Resource::NOFILE, OPEN_FILES),
            (Resource::NPROC, PROCESSES),
        ] {
            // Lower only (a cap already below ours stays), and the hard
            // limit too: an unprivileged process cannot raise it again.
            let (soft, hard) = resource.get().unwrap_or((cap, cap));
            let cap = cap.min(hard);
            if (soft > cap || hard > cap)
                && let Err(e) = resource.set(cap.min(soft), cap)
            {
                return e;
            }
        }
        let mut cmd = Command::new(program);
        cmd.args(args);
        std::os::unix::process::CommandExt::exec(&mut cmd)
    }
    #[cfg(not(unix))]
    {
        let _ = (program, args);
        std::io::Error::other("grade limit works on Unix only")
    }
}

/// Every process group the grader has started and not yet reaped: what
/// [`kill_all`] kills on Ctrl-C or SIGTERM.
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// The folder scratch folders are made in, where not the system's temp
/// folder: inside a sandbox, the check's tmpfs.
static SCRATCH_ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes `root` the folder every later [`scratch`] folder is made in (once;
/// the sandbox's PID 1 calls it before its check).
pub fn set_scratch_root(root: PathBuf) {
    let _ = SCRATCH_ROOT.set(root);
}

/// The cgroups a program under test joins (`grade limit --cgroup DIR`),
/// where the sandbox made them.
static CGROUPS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

/// Makes every later program under test join `dirs` (once; the sandbox's
/// PID 1 calls it before its check).
pub fn set_cgroups(dirs: Vec<PathBuf>) {
    let _ = CGROUPS.set(dirs);
}

/// Starts `cmd` as the leader of a new process group (so that stopping it
/// stops its children) and lists the group for [`kill_all`]; [`untrack`]
/// takes it off once it is reaped.
pub fn spawn_tracked(cmd: &mut Command) -> std::io::Result<Child> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    let mut live = lock(&LIVE);
    let child = cmd.spawn()?;
    live.push(child.id());
    Ok(child)
}

/// Takes a reaped process group off the list.
pub fn untrack(pid: u32) {
    lock(&LIVE).retain(|&p| p != pid);
}

/// Kills process group `pid` and everything in it (Unix), or the process
/// tree (Windows).
pub fn kill_group(pid: u32) {
    #[cfg(unix)]
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
    #[cfg(windows)]
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Folders and cgroups the grader made and removes when it is done with
/// them (a drop does); what is still listed when `grade` is stopped,
/// [`kill_all`] removes.
static MADE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Lists `path` (a folder, or a cgroup) for [`kill_all`] to remove should
/// `grade` be stopped before its owner removes it.
pub fn made(path: &Path) {
    lock(&MADE).push(path.to_path_buf());
}

/// Takes `path` off that list: its owner removed it.
pub fn removed(path: &Path) {
    lock(&MADE).retain(|p| p != path);
}

/// Kills every process group the grader started and has not reaped, then
/// removes every folder and cgroup it made: what `grade` does on Ctrl-C or
/// SIGTERM, before it exits (an exit runs no drop). In a sandbox, the group
/// is `unshare`'s, whose death ends the check's namespace and every process
/// in it.
pub fn kill_all() {
    let live = std::mem::take(&mut *lock(&LIVE));
    for pid in live {
        kill_group(pid);
    }
    let made = std::mem::take(&mut *lock(&MADE));
    for path in made {
        // A cgroup goes once its last process has; a folder at once.
        wait_until(Duration::from_secs(2), || {
            std::fs::remove_dir(&path).is_ok() || std::fs::remove_dir_all(&path).is_ok()
        });
    }
}

/// What one check sent and got, line by line (what `--transcripts` and
/// `--feedback` show a student), and the flood of output its program made,
/// if any. It is carried explicitly: each check has its own (in its
/// [`crate::Subject`]); each program a check runs holds a clone (it notes
/// the start and any flood of output), and so does the server a check
/// starts, which every helper that talks to it takes: no note is lost.
#[derive(Clone, Debug, Default)]
pub struct Transcript(Arc<Mutex<Notes>>);

#[derive(Debug, Default)]
struct Notes {
    lines: Vec<String>,
    flood: Option<crate::Why>,
}

impl Transcript {
    /// Adds a line: what was sent, what came back.
    pub fn note(&self, line: impl Into<String>) {
        lock(&self.0).lines.push(line.into());
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.0).lines.clone()
    }

    /// The flood of output a program of this check made, if any: "printed
    /// 1.2 GB in 10 s".
    pub fn flood(&self) -> Option<crate::Why> {
        lock(&self.0).flood.clone()
    }
}

/// One output stream of a program, bounded: its first and last [`KEPT`]
/// bytes, and how many there were in all.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    total: u64,
    /// The stream has ended (the program, and whatever it started, closed
    /// it): nothing more will come.
    ended: bool,
}

impl Capture {
    fn add(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = KEPT.saturating_sub(self.head.len());
        let (head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(head);
        self.tail.extend(rest);
        let over = self.tail.len().saturating_sub(KEPT);
        self.tail.drain(..over);
    }

    fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        let dropped = self.total - (self.head.len() + self.tail.len()) as u64;
        if dropped > 0 {
            text.push_str(&format!("\n[… {dropped} bytes not kept …]\n"));
        }
        let (a, b) = self.tail.as_slices();
        text.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        text
    }
}

/// A running program under test, stopped (with its children) on drop.
pub struct Running {
    child: Child,
    transcript: Transcript,
    started: Instant,
    stdout: Arc<Mutex<Capture>>,
    stderr: Arc<Mutex<Capture>>,
    pub stdin: Option<std::process::ChildStdin>,
}

impl Running {
    pub fn start(mut cmd: Command, transcript: &Transcript) -> Result<Running, crate::Why> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_tracked(&mut cmd).map_err(|e| {
            let program = cmd.get_program();
            crate::why!("无法启动 {program:?}：{e}", "cannot start {program:?}: {e}")
        })?;
        // The program's own command, without `grade limit …--` before it.
        let words: Vec<_> = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy())
            .collect();
        let own = match words.get(1).is_some_and(|w| w == "limit") {
            true => words.iter().position(|w| w == "--").map_or(0, |i| i + 1),
            false => 0,
        };
        transcript.note(format!("已启动 / started: {}", words[own..].join(" ")));
        let stdout = Arc::new(Mutex::new(Capture::default()));
        let stderr = Arc::new(Mutex::new(Capture::default()));
        collect(child.stdout.take(), stdout.clone());
        collect(child.stderr.take(), stderr.clone());
        let stdin = child.stdin.take();
        Ok(Running {
            child,
            transcript: transcript.clone(),
            started: Instant::now(),
            stdout,
            stderr,
            stdin,
        })
    }

    /// What it printed on stdout (bounded: see [`KEPT`]).
    pub fn stdout(&self) -> String {
        lock(&self.stdout).text()
    }

    /// What it printed on stderr (bounded: see [`KEPT`]).
    pub fn stderr(&self) -> String {
        lock(&self.stderr).text()
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

    /// Waits for it to exit, at most `limit`, and then (at most a second
    /// more) for what it printed to be read to the end: a program that has
    /// exited may have output still in the pipe.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let status = wait_child(&mut self.child, limit)?;
        wait_until(Duration::from_secs(1), || {
            lock(&self.stdout).ended && lock(&self.stderr).ended
        });
        Some(status)
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Asks it to stop, as Ctrl-C would: SIGTERM, sent with `kill` (Unix).
    /// Windows cannot send another process a console signal from safe
    /// code, so there it is killed.
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        #[cfg(unix)]
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        #[cfg(windows)]
        let _ = Command::new("taskkill")
            .args(["/F", "/PID", &pid])
            .stdout(Stdio::null())
            .status();
    }

    /// The CPU time (user and system) it has used so far, read portably
    /// (sysinfo: Linux, macOS, Windows); `None` where it cannot be read.
    /// A program run through `grade limit` is the same process after exec.
    pub fn cpu(&self) -> Option<Duration> {
        cpu_time(self.child.id())
    }

    /// Stops it and everything it started, and notes a flood of output.
    pub fn stop(&mut self) {
        // The group is killed even when its leader has exited: a child it
        // left behind is still in it.
        kill_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        untrack(self.child.id());
        let (out, err) = (self.stdout(), self.stderr());
        self.transcript.note(format!(
            "已停止 / stopped; stdout: {}; stderr: {}",
            common::text::shorten(&format!("{out:?}"), 400),
            common::text::shorten(&format!("{err:?}"), 400)
        ));
        let printed = lock(&self.stdout).total + lock(&self.stderr).total;
        if printed > FLOOD {
            let (size, secs) = (bytes(printed), self.started.elapsed().as_secs_f64());
            let note = crate::why!(
                "在 {secs:.0} 秒内输出了 {size}",
                "printed {size} in {secs:.0} s"
            );
            lock(&self.transcript.0).flood = Some(note);
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The CPU time (user and system) process `pid` has used so far, read
/// portably (sysinfo: Linux, macOS, Windows); `None` where it cannot be
/// read.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing().with_cpu(),
    );
    system
        .process(pid)
        .map(|p| Duration::from_millis(p.accumulated_cpu_time()))
}

/// A byte count as people say it: `1.2 GB`, `3.4 MB`, `512 bytes`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} GB", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} KB", n as f64 / 1e3),
        n => format!("{n} bytes"),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn collect(pipe: Option<impl Read + Send + 'static>, into: Arc<Mutex<Capture>>) {
    let Some(mut pipe) = pipe else { return };
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            lock(&into).add(&buf[..n]);
        }
        lock(&into).ended = true;
    });
}

/// Waits for `child` to exit, at most `limit`.
pub fn wait_child(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let mut status = None;
    wait_until(limit, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    status
}

/// A pids cgroup (v1) of its own that caps how many processes and threads
/// the processes put in it may have in all, as a container's limit would:
/// the robustness test's out-of-threads server and `bench claims models`
/// use it. Removed when dropped, once its processes are gone.
pub struct ThreadCap(PathBuf);

impl ThreadCap {
    /// A cap of `max` (a number, or `max` for none), where this process
    /// may make one (Linux, as root, with the pids controller mounted);
    /// `Err` says why not.
    pub fn new(max: &str) -> Result<ThreadCap, String> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Path::new("/sys/fs/cgroup/pids")
            .join(format!("socket-lab-cap-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir)
            .map_err(|e| format!("no pids cgroup to cap threads with ({e})"))?;
        made(&dir);
        let cap = ThreadCap(dir);
        match cap.set(max) {
            true => Ok(cap),
            false => Err("cannot set pids.max".into()),
        }
    }

    /// Sets the cap; false if the kernel refused it.
    pub fn set(&self, max: &str) -> bool {
        std::fs::write(self.0.join("pids.max"), max).is_ok()
    }

    /// Puts process `pid` (and the threads it starts) under the cap.
    pub fn add(&self, pid: u32) -> std::io::Result<()> {
        std::fs::write(self.0.join("cgroup.procs"), pid.to_string())
    }
}

impl Drop for ThreadCap {
    fn drop(&mut self) {
        // The last threads of a stopped process may take a moment to go.
        wait_until(Duration::from_secs(2), || {
            std::fs::remove_dir(&self.0).is_ok()
        });
        removed(&self.0);
    }
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

/// A fresh folder for one program's files: in the system's temp folder,
/// removed on drop; or in the sandbox's tmpfs where there is one, kept
/// until the check ends (the tmpfs goes with the sandbox), so that what
/// the program wrote is still there when the sandbox measures its disk.
pub fn scratch() -> tempfile::TempDir {
    let made = match SCRATCH_ROOT.get() {
        Some(root) => tempfile::Builder::new()
            .disable_cleanup(true)
            .tempdir_in(root),
        None => tempfile::tempdir(),
    };
    // The grader cannot grade without a folder to work in.
    made.expect("a temporary folder")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placed_script_runs_from_its_folder_with_its_modules_and_paths_made_relative() {
        let class = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let script = class.path().join("file_server.py");
        std::fs::write(&script, "import helper\n").unwrap();
        std::fs::write(
            class.path().join("helper.py"),
            "SAVE = '/Users/xiaoming/lab2/file_save'\n",
        )
        .unwrap();
        std::fs::write(class.path().join("notes.txt"), "not copied").unwrap();
        let launch = Launch {
            argv: vec!["python3".into(), "-u".into(), script.display().to_string()],
            ..Launch::default()
        };
        let placed = launch.placed_in(work.path());
        assert_eq!(placed.cwd, work.path());
        let copy = work.path().join("file_server.py");
        assert_eq!(placed.argv[2], copy.display().to_string());
        assert_eq!(std::fs::read_to_string(copy).unwrap(), "import helper\n");
        assert_eq!(
            std::fs::read_to_string(work.path().join("helper.py")).unwrap(),
            "SAVE = 'file_save'\n"
        );
        assert!(!work.path().join("notes.txt").exists());
        // A program that is not a script only gets the folder.
        let rust = Launch {
            argv: vec!["tcp-basic".into(), "server".into()],
            ..Launch::default()
        };
        assert_eq!(rust.placed_in(work.path()).argv, rust.argv);
    }

    #[test]
    fn a_capture_keeps_the_start_and_the_end_and_counts_the_rest() {
        let mut c = Capture::default();
        c.add(b"start ");
        c.add(&vec![b'x'; 3 * KEPT]);
        c.add(b" end");
        assert_eq!(c.total, 3 * KEPT as u64 + 10);
        assert_eq!(c.head.len(), KEPT);
        assert_eq!(c.tail.len(), KEPT);
        let text = c.text();
        assert!(text.starts_with("start x"));
        assert!(text.ends_with("x end"));
        assert!(text.contains(&format!("[… {} bytes not kept …]", KEPT + 10)));
        let mut small = Capture::default();
        small.add(b"hello\n");
        assert_eq!(small.text(), "hello\n");
    }

    #[test]
    fn bytes_read_as_people_say_them() {
        assert_eq!(bytes(1_234_567_890), "1.2 GB");
        assert_eq!(bytes(512), "512 bytes");
    }
}
