//! Helpers for the integration tests: the workspace's binaries, Python
//! originals in a temp folder, child processes (the grader's runner, with
//! waits that fail the test), and waiting for readiness (never a blind sleep).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub use grader::ports::{closed_port, free_port};

/// The folder of the main lab's scripts the build found (build.rs), if any.
pub fn originals_folder() -> Option<&'static Path> {
    option_env!("SOCKET_LAB_ORIGINALS").map(Path::new)
}

/// The folder of seeds 001–004's programs the build found, if any.
pub fn peers_folder() -> Option<&'static Path> {
    option_env!("SOCKET_LAB_PEERS").map(Path::new)
}

/// How long any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// What a time limit in a test adds to the time it checks (`--grace` + 1 s,
/// an idle limit): a loaded 2-core machine can be that late without any
/// defect, and a real defect (waiting for a 30 s idle limit, or forever)
/// is far later still.
pub const SLACK: Duration = Duration::from_secs(2);

/// The path of one of the workspace's binaries, built once per test run.
///
/// `cargo test` builds only the binaries of the package under test, so the
/// exercise binaries are built here (a no-op when they are up to date).
pub fn bin(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        // target/<profile>/deps/it-<hash> → target/<profile>
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--workspace", "--bins"]);
        if dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --workspace --bins failed");
        dir
    });
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A child process under test: the grader's runner
/// ([`grader::run::Running`]: its own process group, its output collected
/// as it comes, killed with its children on drop), with the waits a test
/// wants, each failing the test when it runs out.
pub struct Proc(grader::run::Running);

impl std::ops::Deref for Proc {
    type Target = grader::run::Running;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Proc {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Proc {
    pub fn spawn(cmd: Command) -> Proc {
        let what = format!("{cmd:?}");
        let transcript = grader::run::Transcript::default();
        let running = grader::run::Running::start(cmd, &transcript);
        Proc(running.unwrap_or_else(|e| panic!("spawn {what}: {e}")))
    }

    /// Waits until stdout satisfies `pred`, or fails the test.
    pub fn wait_stdout(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        if !self.0.wait_stdout(WAIT, pred) {
            panic!(
                "{what}; stdout: {:?}; stderr: {:?}",
                self.stdout(),
                self.stderr()
            );
        }
        self.stdout()
    }

    /// Waits for a Rust server's `listening on ADDR` line and returns ADDR.
    pub fn listening_addr(&self) -> SocketAddr {
        let line = wait_for("the server to listen", || {
            let err = self.stderr();
            let rest = err.lines().find_map(|l| l.split("listening on ").nth(1))?;
            Some(
                rest.split([' ', '/'])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .unwrap_or_else(|| panic!("no 'listening on' line; stderr: {:?}", self.stderr()));
        line.parse()
            .unwrap_or_else(|e| panic!("bad address {line:?}: {e}"))
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        self.0.exited().is_none()
    }

    /// Closes stdin and waits for the exit, at most WAIT. Returns the exit
    /// status, stdout and stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, String, String) {
        self.0.close_stdin();
        let Some(status) = self.0.wait_exit(WAIT) else {
            panic!(
                "process did not exit in time; stdout: {:?}; stderr: {:?}",
                self.stdout(),
                self.stderr()
            )
        };
        (status, self.stdout(), self.stderr())
    }

    /// Waits for the exit, at most `limit`, without closing stdin.
    pub fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        self.0.wait_exit(limit)
    }
}

/// Polls `probe` until it yields a value, at most WAIT; on giving up, says
/// what it waited for (the caller's assertion then says what it saw). This
/// waits for a condition; it never stands in for one.
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() > deadline {
            eprintln!("gave up waiting for {what} after {WAIT:?}");
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `f` on a thread and fails the test if it has not returned in WAIT.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("{what} did not finish within {WAIT:?}"))
}

/// A loopback TCP listener on an ephemeral port, bound before the server
/// starts, so clients can connect at once.
pub fn listener() -> TcpListener {
    common::net::listen("127.0.0.1:0".parse().unwrap(), 1024).expect("bind 127.0.0.1:0")
}

pub fn udp() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket
}

/// A client stream with timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    common::net::connect(addr, WAIT).expect("connect")
}

/// Lines of a transcript, with every port number after `', ` (Python's
/// address tuples) and every `fd=N` replaced, as they differ from run to run.
pub fn normalise(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let next = [rest.find("', "), rest.find("fd=")]
            .into_iter()
            .flatten()
            .min();
        let Some(i) = next else { break };
        let skip = 3; // both markers are three bytes long
        out.push_str(&rest[..i + skip]);
        rest = &rest[i + skip..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Sorted lines, each with its newline (so a last line that lacks one
/// differs), for a program whose threads write whole lines in any order.
pub fn sorted_lines(s: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = s.split_inclusive('\n').collect();
    lines.sort_unstable();
    lines
}

/// Whether `output` is the texts of `threads` written at the same time:
/// each thread's text in its own order, the threads' texts mixed at any
/// point. Python's `print('a:', x)` makes four writes (`a:`, the space,
/// `x`, the newline), and another thread's writes can fall between any
/// two, so where one thread's text may be cut is not known in advance;
/// this takes any cut. It still refuses a lost, changed or extra
/// character, and a thread's text out of its own order.
pub fn interleaved(output: &str, threads: &[&str]) -> Result<(), String> {
    let threads: Vec<Vec<char>> = threads.iter().map(|t| t.chars().collect()).collect();
    // Every way of having read `output` so far: how far into each
    // thread's text. A few short texts keep this set small.
    let mut states = std::collections::HashSet::from([vec![0usize; threads.len()]]);
    for (at, c) in output.chars().enumerate() {
        let mut next = std::collections::HashSet::new();
        for state in &states {
            for (i, text) in threads.iter().enumerate() {
                if text.get(state[i]) == Some(&c) {
                    let mut moved = state.clone();
                    moved[i] += 1;
                    next.insert(moved);
                }
            }
        }
        if next.is_empty() {
            return Err(format!(
                "character {at} ({c:?}) of {output:?} fits no thread"
            ));
        }
        states = next;
    }
    let done = |state: &Vec<usize>| state.iter().zip(&threads).all(|(&n, t)| n == t.len());
    if states.iter().any(done) {
        Ok(())
    } else {
        Err(format!(
            "{output:?} stops before every thread's text is out"
        ))
    }
}

/// Compares what a Python program that prints from several threads printed
/// with what it should have printed, each line of `expected` being one
/// `print`. Python's `print` writes its text and its newline in two writes,
/// so another thread's text can fall between them: `a\n5\nb\n2\n` may come
/// out as `a\n5b\n\n2\n`. So the output must hold every expected message,
/// as often as expected, and besides them only as many newlines as
/// expected. What the threads print is compared; where the newlines fell
/// is not. The longest messages are taken out first, so that a short one
/// (`5`) is never found inside a longer one.
pub fn same_messages(output: &str, expected: &str) -> Result<(), String> {
    let newlines = |s: &str| s.matches('\n').count();
    if newlines(output) != newlines(expected) {
        return Err(format!(
            "{} newlines, expected {}, in {output:?}",
            newlines(output),
            newlines(expected)
        ));
    }
    // A message never spans a newline: keep them as a byte no message has.
    let mut rest = output.replace('\n', "\0");
    let mut messages: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
    messages.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for message in messages {
        let at = rest
            .find(message)
            .ok_or_else(|| format!("{message:?} is missing from {output:?}"))?;
        rest.replace_range(at..at + message.len(), "");
    }
    match rest.replace('\0', "") {
        more if more.is_empty() => Ok(()),
        more => Err(format!("{more:?} more than expected, in {output:?}")),
    }
}

/// Reads a server's output until `pred` holds.
pub fn wait_output(out: &common::log::Output, what: &str, pred: impl Fn(&str) -> bool) -> String {
    wait_for(what, || {
        let s = out.contents();
        pred(&s).then_some(s)
    })
    .unwrap_or_else(|| panic!("{what}; output so far: {:?}", out.contents()))
}

/// The folder of the Python originals. Only tests marked
/// `#[cfg_attr(not(python_originals), ignore = "needs Python 3 and …")]`
/// call it: where the build found no Python or no originals, `cargo test`
/// lists them as ignored, with that reason.
pub fn originals() -> PathBuf {
    originals_folder()
        .expect("the build found the Python originals")
        .to_path_buf()
}

/// A copy of one original in `dir`, with only its `ip_port = (...)` line
/// (and `base_path`, when given) rewritten.
pub fn python_script(
    originals: &Path,
    script: &str,
    dir: &Path,
    port: u16,
    base_path: Option<&Path>,
) -> PathBuf {
    let text = std::fs::read_to_string(originals.join(script)).expect("read original");
    let rewrite = grader::python::Rewrite {
        port,
        base_path,
        backlog: None,
    };
    let path = dir.join(script);
    std::fs::write(&path, grader::python::rewrite(&text, &rewrite)).expect("write script copy");
    path
}

/// `python -u SCRIPT` (unbuffered, so its lines arrive as printed).
pub fn python(script: &Path, cwd: &Path) -> Command {
    let mut cmd = grader::python::python().expect("the build found a Python 3");
    cmd.arg("-u").arg(script).current_dir(cwd);
    cmd.env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8");
    cmd
}

/// Starts a Python server: `make(port)` writes the script for a port and
/// returns the command. Its address is fixed in its source, so it must
/// bind a port chosen for it, which another test may take first. Waits
/// until the port is bound; if the server died because the port was taken,
/// says so and starts it again on a fresh port, three times at most.
pub fn python_server(udp: bool, mut make: impl FnMut(u16) -> Command) -> (Proc, u16) {
    for _ in 0..3 {
        let port = free_port();
        let mut proc = Proc::spawn(make(port));
        if grader::ports::wait_bound(port, udp, WAIT, || proc.alive()) {
            return (proc, port);
        }
        let stderr = proc.stderr();
        assert!(
            !proc.alive() && grader::ports::port_taken(&stderr),
            "the Python server did not bind 127.0.0.1:{port}; stderr: {stderr}"
        );
        eprintln!("port {port} was taken before the Python server bound it; trying another");
    }
    panic!("the Python server found its port taken three times");
}

/// Lines of a BufRead, for tests feeding stdin.
pub fn lines(text: &str) -> impl BufRead + '_ {
    BufReader::new(text.as_bytes())
}

/// A server running on its own thread, on a socket bound before it starts,
/// printing into memory.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: common::stop::Stop,
    pub out: common::log::Output,
    handle: thread::JoinHandle<()>,
}

impl Running {
    /// Runs a TCP server on a fresh 127.0.0.1:0 listener.
    pub fn tcp(
        serve: impl FnOnce(&TcpListener, &common::stop::Stop, &common::log::Output) + Send + 'static,
    ) -> Running {
        let listener = listener();
        let addr = listener.local_addr().unwrap();
        Running::start(addr, move |s, o| serve(&listener, s, o))
    }

    /// Runs a UDP server on a fresh 127.0.0.1:0 socket.
    pub fn udp(
        serve: impl FnOnce(UdpSocket, &common::stop::Stop, &common::log::Output) + Send + 'static,
    ) -> Running {
        let socket = udp();
        let addr = socket.local_addr().unwrap();
        Running::start(addr, move |s, o| serve(socket, s, o))
    }

    fn start(
        addr: SocketAddr,
        serve: impl FnOnce(&common::stop::Stop, &common::log::Output) + Send + 'static,
    ) -> Running {
        let stop = common::stop::Stop::new(Duration::from_secs(1));
        let out = common::log::Output::memory();
        let (s, o) = (stop.clone(), out.clone());
        let handle = thread::spawn(move || serve(&s, &o));
        Running {
            addr,
            stop,
            out,
            handle,
        }
    }

    /// Waits until no connection is in flight (every handler has finished).
    pub fn settle(&self) {
        wait_for("the server to finish its connections", || {
            (self.stop.live() == 0).then_some(())
        })
        .expect("connections still open");
    }

    /// Stops the server (failing the test if it does not stop in time) and
    /// returns everything it printed.
    pub fn stop(self) -> String {
        self.stop.trigger();
        let handle = self.handle;
        within("server stop", move || handle.join().unwrap());
        self.out.contents()
    }
}

/// Server options for in-process servers, with `idle` as the idle limit.
pub fn opts(idle: Duration) -> common::cli::ServerOpts {
    common::cli::ServerOpts {
        backlog: 1024,
        ..common::cli::ServerOpts::for_tests(idle)
    }
}

/// A Rust server binary on an ephemeral port.
pub fn rust_server(name: &str, args: &[&str]) -> (Proc, u16) {
    let mut cmd = Command::new(bin(name));
    cmd.args(args).args(["--port", "0"]);
    let proc = Proc::spawn(cmd);
    let port = proc.listening_addr().port();
    (proc, port)
}
