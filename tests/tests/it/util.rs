//! Helpers for the integration tests: the workspace's binaries, Python
//! originals in a temp folder, child processes that are killed on drop, and
//! waiting for readiness (never a blind sleep).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

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
    dir.join(name)
}

/// A child process that is killed when the test ends, with its stdout and
/// stderr collected line by line.
pub struct Proc {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<thread::JoinHandle<()>>,
}

impl Proc {
    pub fn spawn(mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("piped"), stdout.clone()),
            collect(child.stderr.take().expect("piped"), stderr.clone()),
        ];
        let stdin = child.stdin.take();
        Proc {
            child,
            stdin,
            stdout,
            stderr,
            readers,
        }
    }

    /// Everything printed so far. Decoded as a whole: a chunk read from the
    /// pipe may end inside a character.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stdout satisfies `pred`, or fails the test.
    pub fn wait_stdout(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        wait_for(what, || {
            let s = self.stdout();
            pred(&s).then_some(s)
        })
        .unwrap_or_else(|| {
            panic!(
                "{what}; stdout: {:?}; stderr: {:?}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Waits for a Rust server's `listening on ADDR` line and returns ADDR.
    pub fn listening_addr(&self) -> SocketAddr {
        let line = wait_for("the server to listen", || {
            let err = self.stderr();
            err.lines()
                .find_map(|l| l.split("listening on ").nth(1))
                .map(|rest| {
                    rest.split([' ', '/'])
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
        })
        .unwrap_or_else(|| panic!("no 'listening on' line; stderr: {:?}", self.stderr()));
        line.parse()
            .unwrap_or_else(|e| panic!("bad address {line:?}: {e}"))
    }

    /// Closes stdin and waits for the exit, at most WAIT. Returns the exit
    /// status, stdout and stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, String, String) {
        drop(self.stdin.take());
        let status = wait_exit(&mut self.child, WAIT).unwrap_or_else(|| {
            let _ = self.child.kill();
            panic!(
                "process did not exit in time; stdout: {:?}; stderr: {:?}",
                self.stdout(),
                self.stderr()
            )
        });
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        (status, self.stdout(), self.stderr())
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

/// Waits for a child to exit, at most `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `probe` until it yields a value, at most WAIT. This waits for a
/// condition; it never stands in for one.
pub fn wait_for<T>(_what: &str, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() > deadline {
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
    common::net::bind_tcp("127.0.0.1:0".parse().unwrap(), 1024).expect("bind 127.0.0.1:0")
}

pub fn udp() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0")
}

/// A client stream with timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    common::net::connect(addr, Some(WAIT)).expect("connect")
}

/// Lines of a transcript, with every port number replaced by PORT.
pub fn normalise(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("', ") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("PORT");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Sorted lines, for the concurrent exercises whose line order varies.
pub fn sorted_lines(s: &str) -> Vec<String> {
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Reads a server's output until `pred` holds.
pub fn wait_output(out: &common::log::Output, what: &str, pred: impl Fn(&str) -> bool) -> String {
    wait_for(what, || {
        let s = out.contents();
        pred(&s).then_some(s)
    })
    .unwrap_or_else(|| panic!("{what}; output so far: {:?}", out.contents()))
}

/// The Python originals, from the folder PY_ORIGINALS names. `None` (and a
/// note that the test was skipped) when it is not set.
///
/// A relative path is taken from the workspace root, where README.md says
/// to run `cargo test`: cargo runs each test binary in its own package's
/// folder, so `../shared/originals` would otherwise miss.
pub fn originals(test: &str) -> Option<PathBuf> {
    match std::env::var_os("PY_ORIGINALS") {
        Some(dir) if !dir.is_empty() => {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the tests package is inside the workspace");
            let dir = workspace.join(dir);
            assert!(
                dir.join("tcp_server.py").is_file(),
                "PY_ORIGINALS={} has no tcp_server.py",
                dir.display()
            );
            Some(dir)
        }
        _ => {
            eprintln!("skipped {test}: PY_ORIGINALS is not set");
            None
        }
    }
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
    let rewrite = common::originals::Rewrite {
        port,
        base_path,
        backlog: None,
    };
    let path = dir.join(script);
    std::fs::write(&path, common::originals::rewrite(&text, &rewrite)).expect("write script copy");
    path
}

/// `python3 -u SCRIPT` (unbuffered, so its lines arrive as printed).
pub fn python(script: &Path, cwd: &Path) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg("-u").arg(script).current_dir(cwd);
    cmd
}

/// A port that was free a moment ago, for the Python servers, whose
/// addresses are fixed in their source. (Rust servers get 127.0.0.1:0.)
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until some process listens on loopback `port` (TCP) or has bound
/// it (UDP), without connecting to it.
pub fn wait_bound(port: u16, udp: bool) {
    wait_for("a server to bind", || {
        common::originals::is_bound(port, udp).then_some(())
    })
    .unwrap_or_else(|| panic!("nothing bound 127.0.0.1:{port} in time"));
}

/// Lines of a BufRead, for tests feeding stdin.
pub fn lines(text: &str) -> impl BufRead + '_ {
    BufReader::new(text.as_bytes())
}

/// A server running on its own thread, on a socket bound before it starts,
/// printing into memory.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: common::server::Shutdown,
    pub out: common::log::Output,
    handle: thread::JoinHandle<()>,
}

impl Running {
    /// Runs a TCP server on a fresh 127.0.0.1:0 listener.
    pub fn tcp(
        serve: impl FnOnce(&TcpListener, &common::server::Shutdown, &common::log::Output)
        + Send
        + 'static,
    ) -> Running {
        let listener = listener();
        let addr = listener.local_addr().unwrap();
        Running::start(addr, move |s, o| serve(&listener, s, o))
    }

    /// Runs a UDP server on a fresh 127.0.0.1:0 socket.
    pub fn udp(
        serve: impl FnOnce(UdpSocket, &common::server::Shutdown, &common::log::Output) + Send + 'static,
    ) -> Running {
        let socket = udp();
        let addr = socket.local_addr().unwrap();
        Running::start(addr, move |s, o| serve(socket, s, o))
    }

    fn start(
        addr: SocketAddr,
        serve: impl FnOnce(&common::server::Shutdown, &common::log::Output) + Send + 'static,
    ) -> Running {
        let shutdown = common::server::Shutdown::new();
        let out = common::log::Output::memory();
        let (s, o) = (shutdown.clone(), out.clone());
        let handle = thread::spawn(move || serve(&s, &o));
        Running {
            addr,
            shutdown,
            out,
            handle,
        }
    }

    /// The address, the stop switch, the output and the thread, for tests
    /// that stop the server themselves.
    pub fn parts(
        self,
    ) -> (
        SocketAddr,
        common::server::Shutdown,
        common::log::Output,
        thread::JoinHandle<()>,
    ) {
        (self.addr, self.shutdown, self.out, self.handle)
    }

    /// Stops the server (failing the test if it does not stop in time) and
    /// returns everything it printed.
    pub fn stop(self) -> String {
        self.shutdown.trigger();
        let handle = self.handle;
        within("server stop", move || handle.join().unwrap());
        self.out.contents()
    }
}
