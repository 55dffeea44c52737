//! Every check, by program. GRADING.md lists them with their points; to add
//! one, write a `fn(&Subject) -> Outcome` here and put it in its program's
//! list in [`for_program`].

use crate::run::{Running, START, STEP, scratch, wait_until};
use crate::{Category, Check, Outcome, Program, Subject};
use common::log::Output;
use common::server::Shutdown;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use Category::*;

/// The checks of one program.
pub fn for_program(program: Program) -> Vec<Check> {
    let c = |name, category, points, run| Check {
        name,
        category,
        points,
        run,
    };
    match program {
        Program::TcpServer => vec![
            c(
                "replies 不要回答 and closes",
                Correct,
                3,
                tcp_server_replies,
            ),
            c(
                "prints server waiting... and the request",
                Correct,
                1,
                tcp_server_prints,
            ),
            c("serves the Rust client", Interop, 1, tcp_server_rust_client),
            c(
                "serves the Python client",
                Interop,
                1,
                tcp_server_python_client,
            ),
            c("survives invalid UTF-8", Robust, 2, |s| {
                survives(s, Hostile::Bytes(b"\xff\xfe\x00"))
            }),
            c("survives an empty connection", Robust, 1, |s| {
                survives(s, Hostile::Empty)
            }),
            c("survives a reset connection", Robust, 1, |s| {
                survives(s, Hostile::Reset)
            }),
            c("exits when its port is in use", Robust, 1, port_in_use),
        ],
        Program::TcpClient => vec![
            c(
                "sends 请求占领地球 and prints the reply",
                Correct,
                3,
                tcp_client_exchange,
            ),
            c(
                "works against the Python server",
                Interop,
                1,
                tcp_client_python_server,
            ),
            c(
                "exits when no server listens",
                Robust,
                1,
                client_without_server,
            ),
            c(
                "exits when the server closes without a reply",
                Robust,
                1,
                tcp_client_no_reply,
            ),
        ],
        Program::UdpServer => vec![
            c("prints each datagram", Correct, 3, udp_server_prints),
            c(
                "prints what the Python client sends",
                Interop,
                1,
                udp_server_python_client,
            ),
            c("survives invalid UTF-8", Robust, 2, udp_server_invalid_utf8),
            c(
                "keeps 1024 bytes of a longer datagram",
                Robust,
                1,
                udp_server_long_datagram,
            ),
            c("exits when its port is in use", Robust, 1, port_in_use),
        ],
        Program::UdpClient => vec![
            c(
                "prompts 数据： and sends each stripped line",
                Correct,
                3,
                udp_client_sends,
            ),
            c("stops at exit", Correct, 1, udp_client_exit),
            c(
                "ends cleanly at the end of input",
                Robust,
                2,
                udp_client_eof,
            ),
        ],
        Program::MultithreadServer => signin_checks(),
        Program::MultithreadClient => vec![
            c(
                "signs in twenty clients and prints their lines",
                Correct,
                3,
                signin_client_twenty,
            ),
            c(
                "exits when no server listens",
                Robust,
                1,
                client_without_server,
            ),
        ],
        Program::ThreadpoolServer => {
            let mut checks = signin_checks();
            checks.push(c(
                "serves at most ten at once (a pool)",
                Concurrent,
                2,
                pool_is_bounded,
            ));
            checks
        }
        Program::FileServer => vec![
            c(
                "saves a name|size upload intact",
                Correct,
                3,
                file_server_saves,
            ),
            c(
                "saves the Python client's upload",
                Interop,
                1,
                file_server_python_client,
            ),
            c(
                "saves the Rust client's upload",
                Interop,
                1,
                file_server_rust_client,
            ),
            c(
                "refuses traversal and absolute names",
                Safe,
                2,
                file_server_traversal,
            ),
            c(
                "leaves no partial file after a truncated upload",
                Safe,
                2,
                file_server_truncated,
            ),
            c(
                "does not spin when a client vanishes",
                Safe,
                1,
                file_server_spin,
            ),
            c(
                "does not overwrite a file silently",
                Safe,
                1,
                file_server_overwrite,
            ),
            c("exits when its port is in use", Robust, 1, port_in_use),
        ],
        Program::FileClient => vec![
            c(
                "uploads a file intact and prints the lab's lines",
                Correct,
                3,
                file_client_uploads,
            ),
            c(
                "says so and exits when no server listens",
                Robust,
                1,
                client_without_server,
            ),
            c("ends at the end of input", Robust, 2, file_client_eof),
        ],
        Program::EchoServer => vec![
            c(
                "answers every message in upper case, in one session",
                Correct,
                3,
                echo_upper,
            ),
            c("survives invalid UTF-8", Robust, 1, |s| {
                survives(s, Hostile::Bytes(b"\xff\xfe\x00"))
            }),
        ],
        Program::CtimeServer => vec![c("answers [ctime] data", Correct, 3, ctime_reply)],
        Program::UdpEchoServer => vec![
            c(
                "answers each datagram in upper case",
                Correct,
                3,
                udp_echo_upper,
            ),
            c("answers an empty datagram", Robust, 1, udp_echo_empty),
        ],
        Program::ChatServer => vec![
            c("answers every message with ACK", Correct, 3, chat_acks),
            c(
                "two clients are served at once",
                Concurrent,
                1,
                chat_two_clients,
            ),
        ],
        Program::DownloadServer => vec![
            c("sends the named file", Correct, 3, download_sends),
            c(
                "refuses a name outside its folder",
                Safe,
                2,
                download_traversal,
            ),
        ],
    }
}

/// The checks both sign-in servers share.
fn signin_checks() -> Vec<Check> {
    let c = |name, category, points, run| Check {
        name,
        category,
        points,
        run,
    };
    vec![
        c(
            "answers 你已签到 and prints the lab's lines",
            Correct,
            3,
            signin_correct,
        ),
        c("serves the Python client", Interop, 1, signin_python_client),
        c(
            "answers a client that sends invalid UTF-8",
            Robust,
            1,
            signin_invalid_utf8,
        ),
        c(
            "an idle client does not block the others",
            Concurrent,
            2,
            signin_idle_does_not_block,
        ),
        c(
            "twenty sign-ins at once are all answered",
            Concurrent,
            2,
            signin_twenty,
        ),
        c("exits when its port is in use", Robust, 1, port_in_use),
    ]
}

// --- starting the program under test ----------------------------------

/// The program under test as a server: started, and bound within START.
struct Server {
    proc: Running,
    addr: SocketAddr,
    /// Its working folder, one below a scratch folder of the grader's, so
    /// that a name climbing out of it still lands where the grader looks.
    work: std::path::PathBuf,
    _scratch: tempfile::TempDir,
}

fn start_server(s: &Subject, udp: bool) -> Result<Server, Outcome> {
    let scratch = scratch();
    let work = scratch.path().join("work");
    std::fs::create_dir(&work)
        .map_err(|e| Outcome::Fail(format!("the grader cannot make a folder: {e}")))?;
    let mut launch = s.launch.clone();
    launch.cwd = work.clone();
    // A port chosen for the program can be taken by another program before
    // it binds it: then it is started again on a fresh one, three times at
    // most, and the grader says so.
    let mut tries = if launch.takes_port() { 3 } else { 1 };
    loop {
        let port = s.program_port();
        let mut proc = Running::start(launch.command(port)).map_err(Outcome::Fail)?;
        if crate::python::wait_bound(port, udp, START, || proc.exited().is_none()) {
            return Ok(Server {
                proc,
                addr: ([127, 0, 0, 1], port).into(),
                work,
                _scratch: scratch,
            });
        }
        let stderr = proc.stderr();
        tries -= 1;
        if tries > 0 && proc.exited().is_some() && crate::python::port_taken(&stderr) {
            eprintln!("grade: port {port} was taken before the program bound it; trying another");
            continue;
        }
        let why = match proc.exited() {
            Some(status) => format!(
                "exited before binding its port ({status}): {}",
                last_line(&stderr)
            ),
            None => format!("did not bind 127.0.0.1:{port} within {START:?}"),
        };
        return Err(Outcome::Fail(why));
    }
}

/// Starts the program under test as a client with `input` on stdin, in a
/// fresh folder, and waits (at most STEP) for it to exit.
fn run_client(
    s: &Subject,
    port: u16,
    input: &str,
    dir: &Path,
) -> Result<(String, String), Outcome> {
    let mut launch = s.launch.clone();
    launch.cwd = dir.to_path_buf();
    let mut proc = Running::start(launch.command(port)).map_err(Outcome::Fail)?;
    proc.type_in(input);
    proc.close_stdin();
    match proc.wait_exit(STEP) {
        Some(_) => Ok((proc.stdout(), proc.stderr())),
        None => Err(Outcome::Fail(format!(
            "did not exit within {STEP:?}; printed {:?}",
            shorten(&proc.stdout())
        ))),
    }
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn shorten(text: &str) -> String {
    common::text::shorten(text, 120).into_owned()
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    common::net::connect(addr, STEP)
}

/// Sends `request` and reads until the server closes (or STEP passes).
fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut sk = connect(addr)?;
    sk.write_all(request)?;
    let mut reply = Vec::new();
    sk.read_to_end(&mut reply)?;
    Ok(reply)
}

fn pass_if(ok: bool, why: impl FnOnce() -> String) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail(why())
    }
}

/// The server exited: say so, with the last line of its stderr (Python's
/// exception, such as `UnicodeDecodeError: …`).
fn died(server: &mut Server, after: &str) -> Option<Outcome> {
    server.proc.exited().map(|_| {
        let err = last_line(&server.proc.stderr());
        let exception = err.split(':').next().unwrap_or(&err).to_string();
        Outcome::Fail(format!("server exited after {after}: {exception}"))
    })
}

// --- 2.1 TCP ------------------------------------------------------------

const REQUEST: &str = "请求占领地球";
const REPLY: &str = "不要回答,不要回答,不要回答";

fn tcp_server_replies(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match exchange(server.addr, REQUEST.as_bytes()) {
        Ok(reply) => pass_if(reply == REPLY.as_bytes(), || {
            format!("replied {:?}", String::from_utf8_lossy(&reply))
        }),
        Err(e) => Outcome::Fail(format!("no reply: {e}")),
    }
}

fn tcp_server_prints(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    if let Err(e) = exchange(server.addr, REQUEST.as_bytes()) {
        return Outcome::Fail(format!("no reply: {e}"));
    }
    let expected = format!("server waiting...\n{REQUEST}\nserver waiting...\n");
    let ok = server
        .proc
        .wait_stdout(STEP, |out| out.replace("\r\n", "\n").starts_with(&expected));
    pass_if(ok, || {
        format!("printed {:?}", shorten(&server.proc.stdout()))
    })
}

fn tcp_server_rust_client(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let out = Output::memory();
    match tcp_basic::client::run(server.addr, STEP, &out) {
        Ok(()) => pass_if(out.contents() == format!("{REPLY}\n"), || {
            format!("the Rust client printed {:?}", out.contents())
        }),
        Err(e) => Outcome::Fail(format!("the Rust client failed: {e}")),
    }
}

/// Runs an original client script (with its port rewritten) against `port`.
fn python_original(s: &Subject, script: &str, port: u16, input: &str) -> Result<String, Outcome> {
    let (Some(originals), Some(python)) = (&s.originals, &s.python) else {
        return Err(Outcome::Skip(no_python(s)));
    };
    let mut cmd = crate::python::command(python);
    let dir = scratch();
    let text = std::fs::read_to_string(originals.join(script))
        .map_err(|e| Outcome::Skip(format!("cannot read {script}: {e}")))?;
    let copy = dir.path().join(script);
    let rewrite = crate::python::Rewrite {
        port,
        base_path: None,
        backlog: None,
    };
    std::fs::write(&copy, crate::python::rewrite(&text, &rewrite))
        .map_err(|e| Outcome::Skip(e.to_string()))?;
    cmd.arg("-u").arg(&copy).current_dir(dir.path());
    let mut proc = Running::start(cmd).map_err(Outcome::Skip)?;
    proc.type_in(input);
    proc.close_stdin();
    match proc.wait_exit(STEP) {
        Some(status) if status.success() => Ok(proc.stdout()),
        Some(status) => Err(Outcome::Fail(format!(
            "{script} failed against it ({status}): {}",
            last_line(&proc.stderr())
        ))),
        None => Err(Outcome::Fail(format!("{script} did not finish against it"))),
    }
}

fn tcp_server_python_client(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match python_original(s, "tcp_client.py", server.addr.port(), "") {
        Ok(out) => pass_if(out == format!("{REPLY}\n"), || {
            format!("tcp_client.py printed {out:?}")
        }),
        Err(o) => o,
    }
}

/// A hostile client, before a normal exchange.
enum Hostile {
    Bytes(&'static [u8]),
    Empty,
    Reset,
}

/// The hostile client, then a normal exchange: the server must still
/// answer (or at least still run and accept, for an echo server).
fn survives(s: &Subject, hostile: Hostile) -> Outcome {
    let mut server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let what = match hostile {
        Hostile::Bytes(bytes) => {
            if let Ok(mut sk) = connect(server.addr) {
                let _ = sk.write_all(bytes);
                let _ = sk.shutdown(std::net::Shutdown::Write);
                let _ = sk.read_to_end(&mut Vec::new());
            }
            "invalid UTF-8"
        }
        Hostile::Empty => {
            drop(connect(server.addr));
            "an empty connection"
        }
        Hostile::Reset => {
            if let Ok(sk) = connect(server.addr) {
                let _ = socket2::SockRef::from(&sk).set_linger(Some(Duration::ZERO));
            }
            "a reset connection"
        }
    };
    // Give it the moment a crash takes to show, without sleeping blind:
    // a normal exchange follows, and a dead server fails it.
    let normal: &[u8] = if s.program == Program::EchoServer {
        b"ok"
    } else {
        REQUEST.as_bytes()
    };
    let answered = match connect(server.addr) {
        Ok(mut sk) => {
            let _ = sk.write_all(normal);
            let mut buf = [0u8; 64];
            matches!(sk.read(&mut buf), Ok(n) if n > 0)
        }
        Err(_) => false,
    };
    if !answered {
        // A server that crashed may still be on its way out: say why.
        let _ = server.proc.wait_exit(Duration::from_secs(1));
    }
    if let Some(dead) = died(&mut server, what) {
        return dead;
    }
    pass_if(answered, || {
        format!("no answer to the next client after {what}")
    })
}

/// A reference TCP server that runs `serve` on a listener bound before the
/// client starts, and stops when dropped.
struct Reference {
    /// Where it listens.
    port: u16,
    shutdown: Shutdown,
    out: Output,
    handle: Option<thread::JoinHandle<()>>,
}

impl Reference {
    fn tcp(
        port: u16,
        serve: impl FnOnce(&TcpListener, &Shutdown, &Output) + Send + 'static,
    ) -> Result<Reference, Outcome> {
        let listener = tcp_basic::server::listen(([127, 0, 0, 1], port).into(), 128)
            .map_err(|e| Outcome::Fail(format!("the grader cannot listen on port {port}: {e}")))?;
        let port = local_port(listener.local_addr());
        let shutdown = Shutdown::new(Duration::from_secs(1));
        let out = Output::memory();
        let (sd, o) = (shutdown.clone(), out.clone());
        let handle = thread::spawn(move || serve(&listener, &sd, &o));
        Ok(Reference {
            port,
            shutdown,
            out,
            handle: Some(handle),
        })
    }

    /// Waits until the reference has printed what `pred` wants.
    fn printed(&self, pred: impl Fn(&str) -> bool) -> bool {
        wait_until(STEP, || pred(&self.out.contents()))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn opts() -> common::cli::ServerOpts {
    common::cli::ServerOpts::for_tests(STEP)
}

fn tcp_client_exchange(s: &Subject) -> Outcome {
    let reference = match Reference::tcp(s.grader_port(), |l, sd, o| {
        tcp_basic::server::run(l, &opts(), sd, o)
    }) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let port = reference.port;
    let dir = scratch();
    let (out, _) = match run_client(s, port, "", dir.path()) {
        Ok(printed) => printed,
        Err(o) => return o,
    };
    if !reference.printed(|o| o.contains(REQUEST)) {
        return Outcome::Fail(format!("the server got {:?}", reference.out.contents()));
    }
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        format!("printed {out:?}")
    })
}

fn tcp_client_python_server(s: &Subject) -> Outcome {
    let (Some(originals), Some(python)) = (&s.originals, &s.python) else {
        return Outcome::Skip(no_python(s));
    };
    // The copy of the script lives in this folder, removed when the check
    // ends.
    let copies = scratch();
    let original = Subject {
        program: Program::TcpServer,
        launch: crate::python_launch(
            python,
            &originals.join("tcp_server.py"),
            &copies.path().join("tcp_server.py"),
            copies.path(),
        ),
        port: 0,
        originals: None,
        python: None,
    };
    let server = match start_server(&original, false) {
        Ok(server) => server,
        Err(o) => return Outcome::Skip(format!("the Python server did not start: {o:?}")),
    };
    let dir = scratch();
    match run_client(s, server.addr.port(), "", dir.path()) {
        Ok((out, _)) => pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
            format!("printed {out:?}")
        }),
        Err(o) => o,
    }
}

/// Why a check that needs the Python originals was skipped.
fn no_python(s: &Subject) -> String {
    match (&s.originals, &s.python) {
        (None, _) => "no Python originals found (give --originals DIR)".into(),
        _ => "no Python 3 found (python3, python or py -3 on PATH; or give --python PATH)".into(),
    }
}

/// Another program holds the port: the server must give up, not hang or
/// serve nothing forever. (How it says so is up to it.)
fn port_in_use(s: &Subject) -> Outcome {
    let udp = s.program == Program::UdpServer;
    // The grader's socket holds the port until the check ends.
    let at = ("127.0.0.1", s.grader_port());
    let held: std::io::Result<(u16, Box<dyn Send>)> = if udp {
        UdpSocket::bind(at).and_then(|sk| Ok((sk.local_addr()?.port(), Box::new(sk) as _)))
    } else {
        TcpListener::bind(at).and_then(|l| Ok((l.local_addr()?.port(), Box::new(l) as _)))
    };
    let (port, _held) = match held {
        Ok(held) => held,
        Err(e) => return Outcome::Skip(format!("the grader could not take the port first: {e}")),
    };
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = match Running::start(launch.command(port)) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    match proc.wait_exit(START) {
        Some(_) => Outcome::Pass,
        None => Outcome::Fail(format!(
            "still running {START:?} after its port was found taken"
        )),
    }
}

fn client_without_server(s: &Subject) -> Outcome {
    // Held until the client has run, so no other program can listen there.
    let closed = crate::python::closed_port();
    let port = closed.port;
    let dir = scratch();
    let input = if s.program == Program::FileClient {
        "x.txt\n"
    } else {
        "hi\nexit\n"
    };
    match run_client(s, port, input, dir.path()) {
        Ok((out, _)) if s.program == Program::FileClient => pass_if(
            out.contains("无法连接到服务器，请检查服务器是否运行！"),
            || format!("printed {:?}", shorten(&out)),
        ),
        Ok(_) => Outcome::Pass,
        Err(o) => o,
    }
}

fn tcp_client_no_reply(s: &Subject) -> Outcome {
    let listener = match TcpListener::bind(("127.0.0.1", s.grader_port())) {
        Ok(l) => l,
        Err(e) => return Outcome::Fail(format!("the grader cannot listen: {e}")),
    };
    let port = local_port(listener.local_addr());
    // Accepts, reads, and closes without a word.
    let closer = thread::spawn(move || {
        if let Ok((mut sk, _)) = listener.accept() {
            let _ = sk.set_read_timeout(Some(STEP));
            let _ = sk.read(&mut [0u8; 1024]);
        }
    });
    let dir = scratch();
    let result = run_client(s, port, "", dir.path());
    // Unblock the closer if the client never connected.
    let _ = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200));
    let _ = closer.join();
    match result {
        Ok(_) => Outcome::Pass,
        Err(o) => o,
    }
}

// --- 2.2 UDP ------------------------------------------------------------

fn udp_send(addr: SocketAddr, datagrams: &[&[u8]]) -> std::io::Result<()> {
    let sk = UdpSocket::bind("127.0.0.1:0")?;
    for d in datagrams {
        sk.send_to(d, addr)?;
    }
    Ok(())
}

fn udp_server_prints(s: &Subject) -> Outcome {
    let server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    if let Err(e) = udp_send(server.addr, &["hello".as_bytes(), "你好，UDP".as_bytes()]) {
        return Outcome::Fail(e.to_string());
    }
    let ok = server
        .proc
        .wait_stdout(STEP, |o| o.replace("\r\n", "\n") == "hello\n你好，UDP\n");
    pass_if(ok, || {
        format!("printed {:?}", shorten(&server.proc.stdout()))
    })
}

fn udp_server_python_client(s: &Subject) -> Outcome {
    let server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    if let Err(o) = python_original(s, "udp_client.py", server.addr.port(), "hi,zlz\nexit\n") {
        return o;
    }
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("hi,zlz"));
    pass_if(ok, || {
        format!("printed {:?}", shorten(&server.proc.stdout()))
    })
}

fn udp_server_invalid_utf8(s: &Subject) -> Outcome {
    let mut server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    if let Err(e) = udp_send(server.addr, &[b"\xff\xfe\x00", b"after"]) {
        return Outcome::Fail(e.to_string());
    }
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if let Some(dead) = died(&mut server, "invalid UTF-8") {
        return dead;
    }
    pass_if(ok, || "did not print the datagram after it".into())
}

fn udp_server_long_datagram(s: &Subject) -> Outcome {
    let mut server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let long = vec![b'a'; 2000];
    if let Err(e) = udp_send(server.addr, &[&long, b"after"]) {
        return Outcome::Fail(e.to_string());
    }
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if let Some(dead) = died(&mut server, "a 2000-byte datagram") {
        return dead;
    }
    let out = server.proc.stdout();
    let first = out.lines().next().unwrap_or("");
    pass_if(ok && first.len() == 1024, || {
        format!(
            "printed {} bytes of a 2000-byte datagram (recv(1024) keeps 1024)",
            first.len()
        )
    })
}

/// A UDP socket on `port` that collects datagrams.
/// A UDP socket that takes what the client sends, and its port.
fn udp_sink(port: u16) -> Result<(UdpSocket, u16), Outcome> {
    let sk = UdpSocket::bind(("127.0.0.1", port))
        .map_err(|e| Outcome::Fail(format!("the grader cannot bind UDP port {port}: {e}")))?;
    let _ = sk.set_read_timeout(Some(Duration::from_millis(300)));
    let port = local_port(sk.local_addr());
    Ok((sk, port))
}

/// The port of a socket the grader has bound (never 0 once bound).
fn local_port(addr: std::io::Result<SocketAddr>) -> u16 {
    addr.map(|a| a.port()).unwrap_or_default()
}

fn received(sk: &UdpSocket) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = sk.recv_from(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    got
}

fn udp_client_sends(s: &Subject) -> Outcome {
    let (sink, port) = match udp_sink(s.grader_port()) {
        Ok(bound) => bound,
        Err(o) => return o,
    };
    let dir = scratch();
    let (out, _) = match run_client(s, port, "  hi,zlz  \n你好\nexit\n", dir.path()) {
        Ok(printed) => printed,
        Err(o) => return o,
    };
    let got = received(&sink);
    if got != [b"hi,zlz".to_vec(), "你好".as_bytes().to_vec()] {
        return Outcome::Fail(format!(
            "sent {:?}",
            got.iter()
                .map(|d| String::from_utf8_lossy(d).into_owned())
                .collect::<Vec<_>>()
        ));
    }
    pass_if(out.starts_with("数据：数据：数据："), || {
        format!("printed {:?}", shorten(&out))
    })
}

fn udp_client_exit(s: &Subject) -> Outcome {
    let (sink, port) = match udp_sink(s.grader_port()) {
        Ok(bound) => bound,
        Err(o) => return o,
    };
    let dir = scratch();
    if let Err(o) = run_client(s, port, "one\nexit\nnot sent\n", dir.path()) {
        return o;
    }
    let got = received(&sink);
    pass_if(got == [b"one".to_vec()], || {
        format!("sent {} datagrams, not one", got.len())
    })
}

fn udp_client_eof(s: &Subject) -> Outcome {
    let (_sink, port) = match udp_sink(s.grader_port()) {
        Ok(bound) => bound,
        Err(o) => return o,
    };
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = match Running::start(launch.command(port)) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    proc.type_in("one\n");
    proc.close_stdin();
    match proc.wait_exit(STEP) {
        None => Outcome::Fail("hung at the end of input".into()),
        Some(status) if status.success() => Outcome::Pass,
        Some(status) => Outcome::Fail(format!(
            "died at the end of input ({status}): {}",
            last_line(&proc.stderr())
        )),
    }
}

// --- 2.4 sign-in --------------------------------------------------------

fn sign_in(addr: SocketAddr, i: usize) -> Result<String, String> {
    let mut sk = connect(addr).map_err(|e| e.to_string())?;
    sk.write_all(multithread::client::message(i).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 1024];
    let n = sk.read(&mut buf).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn signin_correct(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match sign_in(server.addr, 7) {
        Ok(reply) if reply == "你已签到" => {}
        Ok(reply) => return Outcome::Fail(format!("replied {reply:?}")),
        Err(e) => return Outcome::Fail(format!("no reply: {e}")),
    }
    let ok = server.proc.wait_stdout(STEP, |o| {
        o.starts_with("server waiting...")
            && o.contains("的信息,内容为:拔尖班7号签到")
            && o.contains("回复消息")
            && o.contains("的连接关闭")
            && o.contains("连接成功")
    });
    pass_if(ok, || {
        format!("printed {:?}", shorten(&server.proc.stdout()))
    })
}

fn signin_python_client(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match python_original(s, "multithread_client.py", server.addr.port(), "") {
        Ok(out) => pass_if(
            out.matches("成功签到，接收消息:你已签到").count() == 20,
            || format!("{} of 20 signed in", out.matches("成功签到").count()),
        ),
        Err(o) => o,
    }
}

fn signin_invalid_utf8(s: &Subject) -> Outcome {
    let mut server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let answered = connect(server.addr).ok().and_then(|mut sk| {
        sk.write_all(b"\xff\xfe\x00").ok()?;
        let mut buf = [0u8; 64];
        sk.read(&mut buf).ok().filter(|n| *n > 0)
    });
    if let Some(dead) = died(&mut server, "invalid UTF-8") {
        return dead;
    }
    let next = sign_in(server.addr, 1);
    match (answered, next) {
        (Some(_), Ok(_)) => Outcome::Pass,
        (None, _) => Outcome::Fail(match last_line(&server.proc.stderr()) {
            err if err.is_empty() => "no answer to invalid UTF-8".into(),
            err => format!("no answer to invalid UTF-8: the handler died ({err})"),
        }),
        (_, Err(e)) => Outcome::Fail(format!("the next client got no answer: {e}")),
    }
}

fn signin_idle_does_not_block(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let _idle = connect(server.addr);
    let started = Instant::now();
    match sign_in(server.addr, 1) {
        Ok(reply) if reply == "你已签到" && started.elapsed() < Duration::from_secs(2) => {
            Outcome::Pass
        }
        Ok(_) => Outcome::Fail(format!("answered only after {:?}", started.elapsed())),
        Err(e) => Outcome::Fail(format!("no answer while a client was idle: {e}")),
    }
}

fn signin_twenty(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let addr = server.addr;
    let answers: Vec<_> = (0..20)
        .map(|i| thread::spawn(move || sign_in(addr, i)))
        .collect();
    let ok = answers
        .into_iter()
        .map(|t| t.join().ok().and_then(Result::ok))
        .filter(|r| r.as_deref() == Some("你已签到"))
        .count();
    pass_if(ok == 20, || format!("{ok} of 20 answered"))
}

fn pool_is_bounded(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let mut held: Vec<TcpStream> = (0..10).filter_map(|_| connect(server.addr).ok()).collect();
    // Each held client has been accepted by now: wait until the server has
    // said so for all ten (the lab's 连接成功 line).
    let accepted = server
        .proc
        .wait_stdout(STEP, |o| o.matches("连接成功").count() >= 10);
    if !accepted {
        return Outcome::Fail("did not accept ten clients".into());
    }
    let addr = server.addr;
    let eleventh = thread::spawn(move || sign_in(addr, 11));
    // While ten are held, the eleventh must wait.
    thread::sleep(Duration::from_secs(1));
    if eleventh.is_finished() {
        return Outcome::Fail(
            "the eleventh client was answered while ten were held: not a pool of ten".into(),
        );
    }
    // Let one go: the eleventh is served.
    if let Some(mut first) = held.pop() {
        let _ = first.write_all(multithread::client::message(0).as_bytes());
    }
    drop(held);
    match eleventh.join() {
        Ok(Ok(reply)) if reply == "你已签到" => Outcome::Pass,
        other => Outcome::Fail(format!(
            "the eleventh client, once a worker was free: {other:?}"
        )),
    }
}

fn signin_client_twenty(s: &Subject) -> Outcome {
    let reference = match Reference::tcp(s.grader_port(), |l, sd, o| {
        multithread::server::run(l, &opts(), Duration::ZERO, sd, o)
    }) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let port = reference.port;
    let dir = scratch();
    let (out, _) = match run_client(s, port, "", dir.path()) {
        Ok(printed) => printed,
        Err(o) => return o,
    };
    let received = reference.printed(|o| o.matches("号签到").count() == 20);
    let signed = (0..20).all(|i| {
        out.contains(&format!("客户端{i}发送签到请求成功"))
            && out.contains(&format!("客户端{i}成功签到，接收消息:你已签到"))
            && out.contains(&format!("客户端{i}断开连接成功"))
    });
    pass_if(received && signed, || {
        format!(
            "the server got {} sign-ins; the client printed {} lines",
            reference.out.contents().matches("号签到").count(),
            out.lines().filter(|l| !l.is_empty()).count()
        )
    })
}

// --- 2.5 file transfer --------------------------------------------------

/// Uploads `data` as `name` with the original's `name|size` header;
/// returns the server's first reply.
fn legacy_upload(
    addr: SocketAddr,
    name: &str,
    data: &[u8],
    send: usize,
) -> std::io::Result<String> {
    let mut sk = connect(addr)?;
    sk.write_all(format!("{name}|{}", data.len()).as_bytes())?;
    let mut buf = [0u8; 1024];
    let n = sk.read(&mut buf)?;
    sk.write_all(&data[..send.min(data.len())])?;
    sk.shutdown(std::net::Shutdown::Write)?;
    // The final reply, if any; a server that never closes is not waited
    // for long (the checks look at what it did).
    sk.set_read_timeout(Some(Duration::from_secs(2)))?;
    let _ = sk.read_to_end(&mut Vec::new());
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Every file named `name` below `dir`, with its contents.
fn find_files(dir: &Path, name: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(find_files(&path, name));
        } else if entry.file_name().to_string_lossy().contains(name) {
            found.push(std::fs::read(&path).unwrap_or_default());
        }
    }
    found
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn file_server_saves(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let data = payload(5000);
    let reply = match legacy_upload(server.addr, "实验报告.bin", &data, data.len()) {
        Ok(reply) => reply,
        Err(e) => return Outcome::Fail(format!("the upload failed: {e}")),
    };
    if reply != "实验报告.bin已发送" {
        return Outcome::Fail(format!("confirmed with {reply:?}"));
    }
    let saved = wait_until(STEP, || {
        find_files(server.work.as_path(), "实验报告.bin").contains(&data)
    });
    pass_if(saved, || "the file was not saved intact".into())
}

fn file_server_python_client(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let src = scratch();
    let path = src.path().join("py_upload.bin");
    let data = payload(3000);
    let _ = std::fs::write(&path, &data);
    match python_original(
        s,
        "file_client.py",
        server.addr.port(),
        &format!("{}\n", path.display()),
    ) {
        Ok(_) => {
            let saved = wait_until(STEP, || {
                find_files(server.work.as_path(), "py_upload.bin").contains(&data)
            });
            pass_if(saved, || {
                "file_client.py's upload was not saved intact".into()
            })
        }
        Err(o) => o,
    }
}

fn file_server_rust_client(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let src = scratch();
    let path = src.path().join("rs_upload.bin");
    let data = payload(3000);
    let _ = std::fs::write(&path, &data);
    let cfg = file_transfer::client::Config {
        server: server.addr,
        legacy: false,
        timeout: STEP,
    };
    match file_transfer::client::upload(&cfg, &path, &Output::discard()) {
        Ok(()) => {
            let saved = wait_until(STEP, || {
                find_files(server.work.as_path(), "rs_upload.bin").contains(&data)
            });
            pass_if(saved, || {
                "the Rust client's upload was not saved intact".into()
            })
        }
        Err(e) => Outcome::Fail(format!("the Rust client failed: {e}")),
    }
}

fn file_server_traversal(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    // The server runs in a folder of its own; a name that climbs out of its
    // save folder, or an absolute one, must not land outside that folder.
    let outside = scratch();
    let absolute = outside.path().join("absolute.txt");
    let names = [
        "../../escape.txt".to_string(),
        "../escape.txt".to_string(),
        absolute.to_string_lossy().into_owned(),
    ];
    for name in &names {
        let _ = legacy_upload(server.addr, name, b"owned", 5);
    }
    // From a save folder inside `work`, those land in `work` or its parent.
    let above = server
        .work
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let escaped = wait_until(Duration::from_millis(1500), || {
        absolute.exists()
            || above.join("escape.txt").exists()
            || server.work.join("escape.txt").exists()
    });
    pass_if(!escaped, || "a file was written outside its folder".into())
}

fn file_server_truncated(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let data = payload(1000);
    let _ = legacy_upload(server.addr, "cut.bin", &data, 400);
    // A partial file shows up within a moment, or not at all.
    let partial = wait_until(Duration::from_millis(1500), || {
        find_files(server.work.as_path(), "cut.bin")
            .iter()
            .any(|f| f.len() != 1000)
    });
    pass_if(!partial, || "a partial cut.bin was left behind".into())
}

fn file_server_spin(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    if server.proc.cpu().is_none() {
        return Outcome::Skip("CPU time is measured from /proc (Linux only)".into());
    }
    let data = payload(1000);
    let _ = legacy_upload(server.addr, "vanish.bin", &data, 400);
    // Two seconds after the client is gone, measured from then on.
    let before = server.proc.cpu().unwrap_or_default();
    let started = Instant::now();
    thread::sleep(Duration::from_secs(2));
    let used = server.proc.cpu().unwrap_or(before).saturating_sub(before);
    let share = used.as_secs_f64() / started.elapsed().as_secs_f64();
    pass_if(share < 0.5, || {
        format!(
            "used {:.0} % of a core for 2 s after the client vanished",
            share * 100.0
        )
    })
}

fn file_server_overwrite(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let _ = legacy_upload(server.addr, "same.txt", b"first", 5);
    let _ = legacy_upload(server.addr, "same.txt", b"other", 5);
    // Kept both, or refused the second: the first is never lost. A second
    // file shows up within a moment, or not at all.
    let work = server.work.as_path();
    let _ = wait_until(Duration::from_millis(1500), || {
        find_files(work, "same").len() >= 2
    });
    let kept = find_files(work, "same").contains(&b"first".to_vec());
    pass_if(kept, || {
        "the second upload of same.txt replaced the first".into()
    })
}

/// The Rust file server on `port`, saving into `dir`.
fn file_reference(port: u16, dir: &Path) -> Result<Reference, Outcome> {
    let cfg = file_transfer::server::Config {
        dir: dir.to_path_buf(),
        max_size: None,
        overwrite: false,
        sync: false,
    };
    Reference::tcp(port, move |l, sd, o| {
        file_transfer::server::run(l, &cfg, &opts(), sd, o)
    })
}

fn file_client_uploads(s: &Subject) -> Outcome {
    let save = scratch();
    let reference = match file_reference(s.grader_port(), save.path()) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let port = reference.port;
    let src = scratch();
    let path = src.path().join("上传.bin");
    let data = payload(4000);
    let _ = std::fs::write(&path, &data);
    let (out, _) = match run_client(s, port, &format!("{}\n", path.display()), src.path()) {
        Ok(printed) => printed,
        Err(o) => return o,
    };
    let saved = reference.printed(|o| o.contains("upload successed."))
        && std::fs::read(save.path().join("上传.bin")).ok() == Some(data);
    if !saved {
        return Outcome::Fail("the file did not arrive intact".into());
    }
    pass_if(
        out.contains("服务器确认: 上传.bin已发送") && out.contains("文件上传成功！"),
        || format!("printed {:?}", shorten(&out)),
    )
}

fn file_client_eof(s: &Subject) -> Outcome {
    let save = scratch();
    let reference = match file_reference(s.grader_port(), save.path()) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let port = reference.port;
    let src = scratch();
    match run_client(s, port, "", src.path()) {
        Ok(_) => Outcome::Pass,
        Err(Outcome::Fail(why)) => Outcome::Fail(format!(
            "at the end of input it {}",
            why.replace("did not exit", "did not stop")
        )),
        Err(o) => o,
    }
}

// --- the seeds' servers -------------------------------------------------

/// Sends each message on one connection and returns each reply.
fn session(addr: SocketAddr, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut sk = connect(addr).map_err(|e| e.to_string())?;
    let mut replies = Vec::new();
    for m in messages {
        sk.write_all(m).map_err(|e| e.to_string())?;
        let mut buf = [0u8; 1024];
        let n = sk.read(&mut buf).map_err(|e| e.to_string())?;
        replies.push(buf[..n].to_vec());
    }
    Ok(replies)
}

fn echo_upper(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match session(server.addr, &[b"hello", "socket 你好".as_bytes()]) {
        Ok(r) => pass_if(
            r == [b"HELLO".to_vec(), "SOCKET 你好".as_bytes().to_vec()],
            || {
                format!(
                    "replied {:?}",
                    r.iter()
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect::<Vec<_>>()
                )
            },
        ),
        Err(e) => Outcome::Fail(e),
    }
}

fn ctime_reply(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match session(server.addr, &[b"hello"]) {
        Ok(r) => {
            let reply = String::from_utf8_lossy(&r[0]).into_owned();
            let stamp = reply
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix("] hello"));
            let ok = stamp.is_some_and(|t| {
                chrono::NaiveDateTime::parse_from_str(t, "%a %b %e %H:%M:%S %Y").is_ok()
            });
            pass_if(ok, || format!("replied {reply:?}"))
        }
        Err(e) => Outcome::Fail(e),
    }
}

fn udp_ask(addr: SocketAddr, datagram: &[u8]) -> Result<Vec<u8>, String> {
    let sk = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let _ = sk.set_read_timeout(Some(STEP));
    sk.send_to(datagram, addr).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 2048];
    let (n, _) = sk
        .recv_from(&mut buf)
        .map_err(|e| format!("no answer: {e}"))?;
    Ok(buf[..n].to_vec())
}

fn udp_echo_upper(s: &Subject) -> Outcome {
    let server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match udp_ask(server.addr, b"hello") {
        Ok(r) => pass_if(r == b"HELLO", || {
            format!("answered {:?}", String::from_utf8_lossy(&r))
        }),
        Err(e) => Outcome::Fail(e),
    }
}

fn udp_echo_empty(s: &Subject) -> Outcome {
    let server = match start_server(s, true) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match udp_ask(server.addr, b"") {
        Ok(r) => pass_if(r.is_empty(), || {
            format!("answered {:?}", String::from_utf8_lossy(&r))
        }),
        Err(e) => Outcome::Fail(e),
    }
}

fn chat_acks(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    match session(server.addr, &[b"hello", b"tcp"]) {
        Ok(r) => pass_if(r == [b"ACK".to_vec(), b"ACK".to_vec()], || {
            format!("answered {r:?}")
        }),
        Err(e) => Outcome::Fail(e),
    }
}

fn chat_two_clients(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let first = connect(server.addr);
    match (first, session(server.addr, &[b"second"])) {
        (Ok(_), Ok(r)) => pass_if(r == [b"ACK".to_vec()], || format!("answered {r:?}")),
        (_, Err(e)) => Outcome::Fail(format!(
            "the second client got no ACK while the first was connected: {e}"
        )),
        (Err(e), _) => Outcome::Fail(e.to_string()),
    }
}

fn download_sends(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let data = payload(900);
    let _ = std::fs::write(server.work.as_path().join("课件.txt"), &data);
    match exchange(server.addr, "课件.txt".as_bytes()) {
        Ok(got) => pass_if(got == data, || {
            format!("sent {} bytes, not the file's {}", got.len(), data.len())
        }),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

fn download_traversal(s: &Subject) -> Outcome {
    let server = match start_server(s, false) {
        Ok(server) => server,
        Err(o) => return o,
    };
    let outside = scratch();
    let secret = outside.path().join("secret.txt");
    let _ = std::fs::write(&secret, b"secret");
    let got = exchange(server.addr, secret.to_string_lossy().as_bytes()).unwrap_or_default();
    pass_if(got != b"secret", || {
        "sent a file from outside its folder".into()
    })
}
