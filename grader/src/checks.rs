//! Every check, by program, and how the grader recognises the protocol a
//! program speaks. GRADING.md lists the checks with their points; to add
//! one, write a `fn(&Subject) -> Verdict` here and put it in its program's
//! list in [`for_program`].
//!
//! A failing check says what was sent, what came back and what was
//! expected ("replied '滚蛋.' instead of '不要回答,…'"), and names an
//! exception only when the program's stderr shows one.

use crate::run::{Running, START, STEP, note, scratch, wait_until};
use crate::{Category, Check, Outcome, Program, Protocol, Subject, Verdict};
use common::log::Output;
use common::server::Stop;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use Category::*;

/// How long a server may take to close after its reply.
const CLOSE: Duration = Duration::from_secs(2);
/// How long after the last byte a reply is taken to be complete, where the
/// server keeps the connection open (a session).
const SETTLE: Duration = Duration::from_millis(300);
/// An idle program uses less than this share of a core.
const SPIN: f64 = 0.1;
/// How long a fixed port may stay taken before a check gives up on it:
/// longer than Linux's TIME_WAIT (60 s).
const FREE: Duration = Duration::from_secs(65);

/// A check that needs the lab's protocol (not graded where the program
/// speaks another).
fn lab(
    name: &'static str,
    zh: &'static str,
    category: Category,
    points: u32,
    run: fn(&Subject) -> Verdict,
) -> Check {
    Check {
        name,
        zh,
        category,
        points,
        run,
        protocol: true,
    }
}

/// A check that holds whatever the program speaks (starting, surviving
/// hostile clients, not spinning).
fn any(
    name: &'static str,
    zh: &'static str,
    category: Category,
    points: u32,
    run: fn(&Subject) -> Verdict,
) -> Check {
    Check {
        protocol: false,
        ..lab(name, zh, category, points, run)
    }
}

/// The robustness checks every TCP server gets: hostile clients, a second
/// client, no spin, a port already taken.
fn tcp_robustness(checks: &mut Vec<Check>) {
    checks.extend([
        any(
            "keeps serving after its first client",
            "第一个客户端之后继续服务",
            Robust,
            1,
            keeps_serving,
        ),
        any(
            "survives invalid UTF-8",
            "收到非 UTF-8 数据后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Bytes(b"\xff\xfe\x00")),
        ),
        any(
            "survives an empty connection",
            "空连接之后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Empty),
        ),
        any(
            "survives a reset connection",
            "连接被重置之后不崩溃",
            Robust,
            1,
            |s| survives(s, Hostile::Reset),
        ),
        any(
            "does not spin after a client leaves",
            "客户端离开后不空转占用 CPU",
            Robust,
            1,
            no_spin_after_a_client,
        ),
        any(
            "exits when its port is in use",
            "端口被占用时退出",
            Robust,
            1,
            port_in_use,
        ),
    ]);
}

/// The checks of one program.
pub fn for_program(program: Program) -> Vec<Check> {
    let mut checks = match program {
        Program::TcpServer => vec![
            lab(
                "replies 不要回答 and closes",
                "回复“不要回答”并关闭连接",
                Correct,
                3,
                tcp_server_replies,
            ),
            lab(
                "prints server waiting... and the request",
                "打印 server waiting... 和请求内容",
                Correct,
                1,
                tcp_server_prints,
            ),
            lab(
                "serves the Rust client",
                "能为 Rust 客户端服务",
                Interop,
                1,
                tcp_server_rust_client,
            ),
            lab(
                "serves the Python client",
                "能为 Python 原版客户端服务",
                Interop,
                1,
                tcp_server_python_client,
            ),
        ],
        Program::TcpClient => vec![
            lab(
                "sends 请求占领地球 and prints the reply",
                "发送“请求占领地球”并打印回复",
                Correct,
                3,
                tcp_client_exchange,
            ),
            lab(
                "works against the Python server",
                "能与 Python 原版服务器配合",
                Interop,
                1,
                tcp_client_python_server,
            ),
            any(
                "exits when no server listens",
                "没有服务器时正常退出",
                Robust,
                1,
                client_without_server,
            ),
            any(
                "exits when the server closes without a reply",
                "服务器不回复就关闭时退出",
                Robust,
                1,
                tcp_client_no_reply,
            ),
        ],
        Program::UdpServer => vec![
            lab(
                "prints each datagram",
                "打印每个数据报",
                Correct,
                3,
                udp_server_prints,
            ),
            lab(
                "prints what the Python client sends",
                "打印 Python 原版客户端发送的内容",
                Interop,
                1,
                udp_server_python_client,
            ),
            any(
                "survives invalid UTF-8",
                "收到非 UTF-8 数据后不崩溃",
                Robust,
                2,
                udp_server_invalid_utf8,
            ),
            lab(
                "keeps 1024 bytes of a longer datagram",
                "长数据报保留前 1024 字节",
                Robust,
                1,
                udp_server_long_datagram,
            ),
            any(
                "does not spin after a datagram",
                "收到数据报后不空转占用 CPU",
                Robust,
                1,
                udp_no_spin,
            ),
            any(
                "exits when its port is in use",
                "端口被占用时退出",
                Robust,
                1,
                port_in_use,
            ),
        ],
        Program::UdpClient => vec![
            lab(
                "prompts 数据： and sends each stripped line",
                "提示“数据：”并发送去掉首尾空白的每一行",
                Correct,
                3,
                udp_client_sends,
            ),
            lab(
                "stops at exit",
                "输入 exit 时停止",
                Correct,
                1,
                udp_client_exit,
            ),
            any(
                "ends cleanly at the end of input",
                "输入结束时正常退出",
                Robust,
                2,
                udp_client_eof,
            ),
        ],
        Program::MultithreadServer => signin_checks(),
        Program::MultithreadClient => vec![
            lab(
                "signs in twenty clients and prints their lines",
                "二十个客户端签到并打印各自的输出",
                Correct,
                3,
                signin_client_twenty,
            ),
            any(
                "exits when no server listens",
                "没有服务器时正常退出",
                Robust,
                1,
                client_without_server,
            ),
        ],
        Program::ThreadpoolServer => {
            let mut checks = signin_checks();
            checks.push(lab(
                "serves ten at once and no more (a pool)",
                "同时服务十个且不超过十个（线程池）",
                Concurrent,
                2,
                pool_is_bounded,
            ));
            checks
        }
        Program::FileServer => vec![
            lab(
                "saves a 100 KB name|size upload byte for byte",
                "逐字节保存 100 KB 的 name|size 上传",
                Correct,
                3,
                file_server_saves,
            ),
            lab(
                "saves the Python client's upload",
                "保存 Python 原版客户端的上传",
                Interop,
                1,
                file_server_python_client,
            ),
            lab(
                "saves the Rust client's upload",
                "保存 Rust 客户端的上传",
                Interop,
                1,
                file_server_rust_client,
            ),
            lab(
                "refuses traversal and absolute names",
                "拒绝目录穿越和绝对路径文件名",
                Safe,
                2,
                file_server_traversal,
            ),
            lab(
                "leaves no partial file after a truncated upload",
                "上传中断后不留下残缺文件",
                Safe,
                2,
                file_server_truncated,
            ),
            lab(
                "does not spin when a client vanishes mid-upload",
                "上传中途客户端消失时不空转",
                Safe,
                1,
                file_server_spin,
            ),
            lab(
                "does not overwrite a file silently",
                "不悄悄覆盖同名文件",
                Safe,
                1,
                file_server_overwrite,
            ),
        ],
        Program::FileClient => vec![
            lab(
                "uploads a file intact and prints the lab's lines",
                "完整上传文件并打印实验要求的输出",
                Correct,
                3,
                file_client_uploads,
            ),
            any(
                "says so and exits when no server listens",
                "没有服务器时提示并退出",
                Robust,
                1,
                client_without_server,
            ),
            any(
                "ends at the end of input",
                "输入结束时退出",
                Robust,
                2,
                file_client_eof,
            ),
        ],
        Program::EchoServer => vec![lab(
            "answers every message in upper case, in one session",
            "在一个会话中把每条消息转成大写回复",
            Correct,
            3,
            echo_upper,
        )],
        Program::CtimeServer => vec![lab(
            "answers [ctime] data",
            "回复 [时间] 数据",
            Correct,
            3,
            ctime_reply,
        )],
        Program::UdpEchoServer => vec![
            lab(
                "answers each datagram in upper case",
                "把每个数据报转成大写回复",
                Correct,
                3,
                udp_echo_upper,
            ),
            lab(
                "answers an empty datagram",
                "回复空数据报",
                Robust,
                1,
                udp_echo_empty,
            ),
            any(
                "survives invalid UTF-8",
                "收到非 UTF-8 数据后不崩溃",
                Robust,
                1,
                udp_echo_invalid_utf8,
            ),
        ],
        Program::ChatServer => vec![
            lab(
                "answers every message with ACK",
                "每条消息都回复 ACK",
                Correct,
                3,
                chat_acks,
            ),
            lab(
                "two clients are served at once",
                "同时为两个客户端服务",
                Concurrent,
                1,
                chat_two_clients,
            ),
        ],
        Program::DownloadServer => vec![
            lab(
                "sends the named file",
                "发送指定的文件",
                Correct,
                3,
                download_sends,
            ),
            lab(
                "refuses a name outside its folder",
                "拒绝目录以外的文件名",
                Safe,
                2,
                download_traversal,
            ),
        ],
    };
    // Every TCP server but seed 003 五's download server, which serves one
    // client by design, gets the same robustness checks.
    if program.is_server() && !program.is_udp() && program != Program::DownloadServer {
        tcp_robustness(&mut checks);
    }
    checks
}

/// The checks both sign-in servers share (the robustness ones are added
/// by [`for_program`]).
fn signin_checks() -> Vec<Check> {
    vec![
        lab(
            "answers 你已签到 and prints the lab's lines",
            "回复“你已签到”并打印实验要求的输出",
            Correct,
            3,
            signin_correct,
        ),
        lab(
            "serves the Python client",
            "能为 Python 原版客户端服务",
            Interop,
            1,
            signin_python_client,
        ),
        any(
            "answers a client that sends invalid UTF-8",
            "回复发送非 UTF-8 数据的客户端",
            Robust,
            1,
            signin_invalid_utf8,
        ),
        lab(
            "an idle client does not block the others",
            "空闲客户端不阻塞其他客户端",
            Concurrent,
            2,
            signin_idle_does_not_block,
        ),
        lab(
            "twenty sign-ins at once are all answered",
            "同时二十个签到都得到回复",
            Concurrent,
            2,
            signin_twenty,
        ),
    ]
}

// --- what was said ------------------------------------------------------

/// Bytes as a teacher reads them: the text in quotes where it is UTF-8
/// (shortened), else Python's `b'…'` form.
fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("'{}'", shorten(text)),
        Err(_) => {
            let escaped: String = bytes
                .iter()
                .take(80)
                .flat_map(|b| std::ascii::escape_default(*b))
                .map(char::from)
                .collect();
            format!("b'{escaped}'")
        }
    }
}

fn shorten(text: &str) -> String {
    common::text::shorten(text, 80).into_owned()
}

fn fail<T>(why: impl Into<String>) -> Result<T, Outcome> {
    Err(Outcome::Fail(why.into()))
}

fn pass_if(ok: bool, why: impl FnOnce() -> String) -> Verdict {
    if ok { Ok(()) } else { fail(why()) }
}

/// The last non-empty line of a program's stderr.
fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// How a program ended: "exited with status 1", "was killed by a signal".
fn ended(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal".into(),
    }
}

/// The exception a program's stderr ends with, if it ends with one
/// (`UnicodeDecodeError` from `UnicodeDecodeError: 'utf-8' codec …`, or
/// Rust's `panicked at …`); never an empty name.
fn exception(stderr: &str) -> Option<String> {
    let line = last_line(stderr);
    if line.contains("panicked at") {
        return Some("a panic".into());
    }
    let name = line.split(':').next()?.trim();
    let looks_like_one = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && (name.ends_with("Error") || name.ends_with("Exception") || name.ends_with("Interrupt"));
    looks_like_one.then(|| name.rsplit('.').next().unwrap_or(name).to_string())
}

// --- starting the program under test ----------------------------------

/// The program under test as a server: started, and bound within START.
struct Server {
    proc: Running,
    addr: SocketAddr,
    /// Its working folder, one below a scratch folder of the grader's, so
    /// that a name climbing out of it still lands where the grader looks.
    work: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Server {
    /// `Some(outcome)` when it has exited after `after`: the status, and
    /// the exception its stderr names, if any. An exit is not graded only
    /// where the evidence says the program ends after any client: a fresh
    /// copy of it, given two ordinary clients, does not serve the second.
    /// One that does keep serving, but exited here, fails.
    fn exited(&mut self, s: &Subject, after: &str) -> Option<Outcome> {
        // A server that crashed may still be on its way out.
        let status = self.proc.wait_exit(Duration::from_millis(500))?;
        let stderr = self.proc.stderr();
        let why = match exception(&stderr) {
            Some(name) => format!("{} after {after}: {name}", ended(status)),
            None => format!("{} after {after}", ended(status)),
        };
        // A crash is a failure whatever else it does.
        if !status.success() || exception(&stderr).is_some() {
            return Some(Outcome::Fail(why));
        }
        Some(match serves_a_second_client(s) {
            true => Outcome::Fail(format!("kept serving after an ordinary client, but {why}")),
            false => Outcome::NotGraded(format!(
                "{why}: it also ends after an ordinary client, so this cannot be judged (it loses 'keeps serving after its first client' instead)"
            )),
        })
    }
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
    // A fixed port (no sandbox, no {port}) must be free before the program
    // starts: else the bind probe below would see another program's socket
    // (or the last check's, in TIME_WAIT) and blame this one for it.
    if !launch.takes_port() && !wait_until(FREE, || !crate::python::is_bound(s.port, udp)) {
        return Err(Outcome::Skip(format!(
            "port {} stayed taken by another program for {FREE:?}, so the program could not be started there (give its command {{port}}, or grade on Linux with namespaces)",
            s.port
        )));
    }
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
            Some(status) => match last_line(&stderr) {
                line if line.is_empty() => {
                    format!("it does not start: it {} before it listened", ended(status))
                }
                line => format!(
                    "it does not start: it {} before it listened: {}",
                    ended(status),
                    shorten(&line)
                ),
            },
            None if launch.takes_port() => {
                format!("it does not start: it did not bind 127.0.0.1:{port} within {START:?}")
            }
            None => format!(
                "it did not bind 127.0.0.1:{port} within {START:?}: the grader could not find where the script sets its port, so it runs on its own; run it with a command that takes {{port}} (see GRADING.md)"
            ),
        };
        return fail(why);
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
    note(format!(
        "typed {} into it, then closed its stdin",
        shown(input.as_bytes())
    ));
    proc.type_in(input);
    proc.close_stdin();
    match proc.wait_exit(STEP) {
        Some(_) => Ok((proc.stdout(), proc.stderr())),
        None => fail(format!(
            "did not exit within {STEP:?}; printed {}",
            shown(proc.stdout().as_bytes())
        )),
    }
}

// --- talking to a server ------------------------------------------------

fn connect(addr: SocketAddr) -> Result<TcpStream, Outcome> {
    common::net::connect(addr, STEP)
        .map_err(|e| Outcome::Fail(format!("could not connect to it: {e}")))
}

/// What came back on one connection.
struct Reply {
    bytes: Vec<u8>,
    /// The server closed (or reset) the connection.
    closed: bool,
}

/// Reads a reply: waits at most STEP for its first bytes; then, with
/// `until_close`, until the server closes (at most CLOSE more), else until
/// SETTLE passes without a byte (a session stays open).
fn read_reply(sk: &mut TcpStream, until_close: bool) -> Reply {
    let _ = sk.set_read_timeout(Some(Duration::from_millis(20)));
    let mut reply = Reply {
        bytes: Vec::new(),
        closed: false,
    };
    let started = Instant::now();
    let mut last = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match sk.read(&mut buf) {
            Ok(0) => {
                // The server closed first and all of its reply is read: an
                // abortive close (RST) takes its side out of TIME_WAIT, so
                // its port is free again for the next check's restart.
                let _ = socket2::SockRef::from(&*sk).set_linger(Some(Duration::ZERO));
                reply.closed = true;
                return reply;
            }
            Ok(n) => {
                reply.bytes.extend_from_slice(&buf[..n]);
                last = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                reply.closed = true;
                return reply;
            }
        }
        let waited_out = if reply.bytes.is_empty() {
            started.elapsed() >= STEP
        } else if until_close {
            last.elapsed() >= CLOSE
        } else {
            last.elapsed() >= SETTLE
        };
        if waited_out {
            return reply;
        }
    }
}

/// Sends `request` on a new connection and reads the reply.
fn exchange(addr: SocketAddr, request: &[u8], until_close: bool) -> Result<Reply, Outcome> {
    let mut sk = connect(addr)?;
    note(format!("sent {} on a new connection", shown(request)));
    sk.write_all(request)
        .map_err(|e| Outcome::Fail(format!("could not send {}: {e}", shown(request))))?;
    let reply = read_reply(&mut sk, until_close);
    note(format!(
        "got {}{}",
        shown(&reply.bytes),
        if reply.closed {
            ", then the server closed"
        } else {
            ""
        }
    ));
    Ok(reply)
}

/// Judges a reply against the one expected, saying what came back.
fn expect_reply(reply: &Reply, request: &[u8], expected: &[u8], must_close: bool) -> Verdict {
    let sent = shown(request);
    match (
        reply.bytes == expected,
        reply.closed,
        reply.bytes.is_empty(),
    ) {
        (true, true, _) => Ok(()),
        (true, false, _) if !must_close => Ok(()),
        (true, false, _) => fail(format!(
            "replied {} to {sent} but did not close within {CLOSE:?}",
            shown(&reply.bytes)
        )),
        (false, true, true) => fail(format!(
            "closed without a reply to {sent} (expected {})",
            shown(expected)
        )),
        (false, false, true) => fail(format!(
            "sent nothing within {STEP:?} in reply to {sent} (expected {})",
            shown(expected)
        )),
        (false, _, false) => fail(format!(
            "replied {} to {sent} instead of {}",
            shown(&reply.bytes),
            shown(expected)
        )),
    }
}

/// The lab's first request to each TCP server, and what it answers.
fn first_exchange(program: Program) -> (Vec<u8>, Vec<u8>) {
    let (request, reply): (&str, &str) = match program {
        Program::TcpServer => (REQUEST, REPLY),
        Program::MultithreadServer | Program::ThreadpoolServer => ("拔尖班0号签到", "你已签到"),
        Program::EchoServer => ("hello", "HELLO"),
        Program::ChatServer => ("hello", "ACK"),
        // A ctime reply has the time in it: judged by [`is_ctime_reply`].
        Program::CtimeServer => ("hello", "[ctime] hello"),
        Program::FileServer => ("probe.txt|5", "probe.txt已发送"),
        _ => ("hello", ""),
    };
    (request.as_bytes().to_vec(), reply.as_bytes().to_vec())
}

/// Whether `reply` is the answer the lab's program gives to `request`.
fn is_lab_reply(program: Program, request: &[u8], reply: &[u8]) -> bool {
    match program {
        Program::CtimeServer => is_ctime_reply(reply, request),
        _ => reply == first_exchange(program).1,
    }
}

/// `[Tue Dec  1 10:00:00 2026] data`: seed 004's reply to `data`.
fn is_ctime_reply(reply: &[u8], data: &[u8]) -> bool {
    let reply = String::from_utf8_lossy(reply);
    let data = String::from_utf8_lossy(data);
    reply
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(&format!("] {data}")[..]))
        .is_some_and(|t| chrono::NaiveDateTime::parse_from_str(t, "%a %b %e %H:%M:%S %Y").is_ok())
}

// --- recognising the protocol ---------------------------------------------

/// Starts a server once and sends it the lab's first request. `Err` when it
/// does not start (it then scores 0, with the reason); otherwise whether
/// it speaks the lab's protocol, or what it seems to be instead. Clients,
/// UDP servers and the download server are taken to speak the lab's.
pub fn recognise(s: &Subject) -> Result<Protocol, Outcome> {
    if !s.program.is_server() {
        client_at_work(s)?;
        return Ok(Protocol::Lab);
    }
    let mut server = start_server(s, s.program.is_udp())?;
    if s.program.is_udp() || s.program == Program::DownloadServer {
        return Ok(Protocol::Lab);
    }
    let (request, _) = first_exchange(s.program);
    let Ok(reply) = exchange(server.addr, &request, false) else {
        return Ok(Protocol::Lab);
    };
    if is_lab_reply(s.program, &request, &reply.bytes) || server.proc.exited().is_some() {
        // Its checks say what went wrong, if anything did.
        return Ok(Protocol::Lab);
    }
    let lab_name = s.program.lab_name();
    if s.program == Program::FileServer {
        // The lab's file server confirms a `name|size` header at once.
        return Ok(Protocol::Differs(match reply.bytes.is_empty() {
            true => format!(
                "this file server answered the lab's header {} with nothing: it speaks another header than {lab_name}'s 'name|size'",
                shown(&request)
            ),
            false => format!(
                "this file server answered the lab's header {} with {}, not 'probe.txt已发送': it speaks another header than {lab_name}'s 'name|size'",
                shown(&request),
                shown(&reply.bytes)
            ),
        }));
    }
    let Some(kind) = other_protocol(&request, &reply.bytes) else {
        return Ok(Protocol::Lab);
    };
    // An echo of a request without letters says nothing of upper case: a
    // second client with letters tells a plain echo from an upper-case one.
    let (request, reply, kind) = match kind {
        "an echo server" => match exchange(server.addr, b"hello", false) {
            Ok(r) if !r.bytes.is_empty() => {
                let kind = other_protocol(b"hello", &r.bytes).unwrap_or(kind);
                (b"hello".to_vec(), r.bytes, kind)
            }
            _ => (request, reply.bytes, kind),
        },
        _ => (request, reply.bytes, kind),
    };
    Ok(Protocol::Differs(format!(
        "this looks like {kind}, not {lab_name}: {} → {}",
        shown(&request),
        shown(&reply)
    )))
}

/// A client is first seen doing its job, before any check counts: run
/// against a recorder that only takes what arrives (no reply), it must
/// connect and send the lab's request (the 2.1 request, a sign-in, a file
/// header naming the file, the first typed line as a datagram). A missing
/// file, an empty script or a crash at start fails here, and so every
/// check of the program fails with this reason.
fn client_at_work(s: &Subject) -> Verdict {
    let dir = scratch();
    let (input, wanted): (String, &[u8]) = match s.program {
        Program::TcpClient => (String::new(), REQUEST.as_bytes()),
        Program::MultithreadClient => (String::new(), "号签到".as_bytes()),
        Program::FileClient => {
            let path = dir.path().join("上传.bin");
            let _ = std::fs::write(&path, payload(4000));
            (format!("{}\n", path.display()), "上传.bin".as_bytes())
        }
        _ => ("hello\nexit\n".into(), b"hello"),
    };
    let recorder = Recorder::start(s.grader_port(), s.program.is_udp())?;
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = Running::start(launch.command(recorder.port)).map_err(Outcome::Fail)?;
    proc.type_in(&input);
    proc.close_stdin();
    let arrived = || contains(&recorder.bytes(), wanted);
    // It may exit right after sending: what it sent is then given a moment
    // to be read.
    wait_until(STEP, || arrived() || proc.exited().is_some());
    if arrived() || wait_until(Duration::from_millis(500), arrived) {
        return Ok(());
    }
    let what = shown(wanted);
    let got = recorder.bytes();
    let how = match proc.exited() {
        Some(status) => match last_line(&proc.stderr()) {
            line if line.is_empty() => format!("it {}", ended(status)),
            line => format!("it {}: {}", ended(status), shorten(&line)),
        },
        None => format!("within {STEP:?}"),
    };
    fail(match (recorder.connected(), got.is_empty()) {
        (false, _) => format!(
            "it never reached the server on port {} ({how}), so nothing else it does can be judged",
            recorder.port
        ),
        (true, true) => {
            format!("it reached the server but never sent the lab's request {what} ({how})")
        }
        (true, false) => format!(
            "it sent {} where the lab's request {what} was expected ({how})",
            shown(&got)
        ),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A server that only records: every byte (TCP, several connections, one
/// after another) or datagram that arrives, never a reply.
struct Recorder {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<(bool, Vec<u8>)>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Recorder {
    fn start(port: u16, udp: bool) -> Result<Recorder, Outcome> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let cannot = |e: std::io::Error| {
            Outcome::Skip(format!("the grader cannot listen on port {port}: {e}"))
        };
        let seen = std::sync::Arc::new(std::sync::Mutex::new((false, Vec::new())));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let record = move |bytes: &[u8]| {
            let mut seen = seen2.lock().unwrap_or_else(|p| p.into_inner());
            seen.0 = true;
            seen.1.extend_from_slice(bytes);
        };
        let mut buf = vec![0u8; 65536];
        let (port, handle) = if udp {
            let sk = UdpSocket::bind(("127.0.0.1", port)).map_err(cannot)?;
            let _ = sk.set_read_timeout(Some(Duration::from_millis(20)));
            let port = local_port(sk.local_addr());
            let handle = thread::spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    if let Ok((n, _)) = sk.recv_from(&mut buf) {
                        record(&buf[..n]);
                    }
                }
            });
            (port, handle)
        } else {
            let listener =
                common::net::listen(([127, 0, 0, 1], port).into(), 128).map_err(cannot)?;
            let _ = listener.set_nonblocking(true);
            let port = local_port(listener.local_addr());
            let handle = thread::spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    let Ok((mut sk, _)) = listener.accept() else {
                        thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    record(b"");
                    let _ = sk.set_nonblocking(false);
                    let _ = sk.set_read_timeout(Some(Duration::from_millis(50)));
                    // Until it goes quiet or closes, or the recorder stops.
                    while !stop2.load(Ordering::Relaxed) {
                        match sk.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => record(&buf[..n]),
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) =>
                            {
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                }
            });
            (port, handle)
        };
        Ok(Recorder {
            port,
            seen,
            stop,
            handle: Some(handle),
        })
    }

    fn bytes(&self) -> Vec<u8> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    fn connected(&self) -> bool {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// What kind of server answers `request` with `reply`, when it is one of
/// the lab's others (an echo, an upper-case echo, seed 004's ctime, seed
/// 001's ACK, a sign-in or the 2.1 server).
fn other_protocol(request: &[u8], reply: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(request);
    if reply == request {
        return Some(if text.chars().any(|c| c.is_ascii_lowercase()) {
            "a plain echo server"
        } else {
            "an echo server"
        });
    }
    if reply == text.to_uppercase().as_bytes() {
        return Some("an upper-case echo server");
    }
    if is_ctime_reply(reply, request) {
        return Some("seed 004's ctime server");
    }
    match reply {
        b"ACK" => Some("seed 001's chat server (ACK)"),
        r if r == "你已签到".as_bytes() => Some("the lab's sign-in server"),
        r if r == REPLY.as_bytes() => Some("the lab's 2.1 server"),
        _ => None,
    }
}

// --- every TCP server ------------------------------------------------------

/// A normal client of the program: the lab's first request, on a new
/// connection (for the file server, a whole 5-byte upload); true when
/// anything came back.
fn answers(s: &Subject, addr: SocketAddr) -> bool {
    if s.program == Program::FileServer {
        return legacy_upload(addr, "probe.txt", b"probe", 5)
            .is_ok_and(|u| !u.confirmation.is_empty());
    }
    let (request, _) = first_exchange(s.program);
    exchange(addr, &request, false).is_ok_and(|r| !r.bytes.is_empty())
}

/// Evidence for a judgement: a fresh copy of the program, given two
/// ordinary clients (TCP) or datagrams (UDP), serves the second (or, for
/// UDP, is still running after both).
fn serves_a_second_client(s: &Subject) -> bool {
    let udp = s.program.is_udp();
    let Ok(mut server) = start_server(s, udp) else {
        return false;
    };
    if udp {
        let _ = udp_send(server.addr, &[b"hello", b"again"]);
        return server.proc.wait_exit(Duration::from_millis(500)).is_none();
    }
    answers(s, server.addr) && answers(s, server.addr)
}

fn keeps_serving(s: &Subject) -> Verdict {
    let mut server = start_server(s, false)?;
    let first = answers(s, server.addr);
    if answers(s, server.addr) {
        return Ok(());
    }
    // Not answered: say why, if the server has ended (at most 500 ms to
    // see it go; a server that answered is never waited for).
    if let Some(status) = server.proc.wait_exit(Duration::from_millis(500)) {
        let how = ended(status);
        return match exception(&server.proc.stderr()) {
            Some(name) => fail(format!("{how} after its first client: {name}")),
            None => fail(format!("{how} after its first client")),
        };
    }
    let (request, _) = first_exchange(s.program);
    fail(match first {
        true => format!(
            "answered its first client, but not a second one (sent {})",
            shown(&request)
        ),
        false => format!(
            "answered neither its first client nor a second one (sent {})",
            shown(&request)
        ),
    })
}

/// A hostile client, before a normal exchange.
enum Hostile {
    Bytes(&'static [u8]),
    Empty,
    Reset,
}

/// The hostile client, then a normal exchange: the server must still
/// answer. A server that serves one client and ends is not graded here.
fn survives(s: &Subject, hostile: Hostile) -> Verdict {
    let mut server = start_server(s, false)?;
    let what = match hostile {
        Hostile::Bytes(bytes) => {
            if let Ok(mut sk) = connect(server.addr) {
                note(format!(
                    "sent {} on a new connection, then closed it",
                    shown(bytes)
                ));
                let _ = sk.write_all(bytes);
                let _ = sk.shutdown(std::net::Shutdown::Write);
                let _ = read_reply(&mut sk, true);
            }
            "invalid UTF-8"
        }
        Hostile::Empty => {
            note("connected and closed without sending anything");
            drop(connect(server.addr));
            "an empty connection"
        }
        Hostile::Reset => {
            note("connected and reset the connection (RST) without sending anything");
            if let Ok(sk) = connect(server.addr) {
                let _ = socket2::SockRef::from(&sk).set_linger(Some(Duration::ZERO));
            }
            "a reset connection"
        }
    };
    // No blind sleep: a normal exchange follows, and a dead server fails it.
    let answered = answers(s, server.addr);
    if !answered && let Some(outcome) = server.exited(s, what) {
        return Err(outcome);
    }
    pass_if(answered, || {
        format!("no answer to the next client after {what}")
    })
}

/// The share of a core `server` uses over 2 s (`None` where its CPU time
/// cannot be read).
fn cpu_share(server: &Server) -> Option<f64> {
    let before = server.proc.cpu()?;
    let started = Instant::now();
    // Measuring needs time to pass: this is a measurement, not a wait.
    thread::sleep(Duration::from_secs(2));
    let used = server.proc.cpu()?.saturating_sub(before);
    Some(used.as_secs_f64() / started.elapsed().as_secs_f64())
}

fn judge_spin(server: &Server, after: &str) -> Verdict {
    match cpu_share(server) {
        None => Err(Outcome::Skip(
            "its CPU time cannot be read on this machine".into(),
        )),
        Some(share) => pass_if(share < SPIN, || {
            format!(
                "used {:.0} % of a core for 2 s after {after} (an idle server uses none)",
                share * 100.0
            )
        }),
    }
}

fn no_spin_after_a_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // One normal client, which leaves once answered.
    answers(s, server.addr);
    judge_spin(&server, "a client left")
}

/// Another program holds the port: the server must give up, not hang or
/// serve nothing forever. (How it says so is up to it.)
fn port_in_use(s: &Subject) -> Verdict {
    let udp = s.program.is_udp();
    // The grader's socket holds the port until the check ends.
    let at = ("127.0.0.1", s.grader_port());
    let held: std::io::Result<(u16, Box<dyn Send>)> = if udp {
        UdpSocket::bind(at).and_then(|sk| Ok((sk.local_addr()?.port(), Box::new(sk) as _)))
    } else {
        TcpListener::bind(at).and_then(|l| Ok((l.local_addr()?.port(), Box::new(l) as _)))
    };
    let (port, _held) =
        held.map_err(|e| Outcome::Skip(format!("the grader could not take the port first: {e}")))?;
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = Running::start(launch.command(port)).map_err(Outcome::Fail)?;
    pass_if(proc.wait_exit(START).is_some(), || {
        format!("still running {START:?} after its port was found taken")
    })
}

// --- 2.1 TCP ------------------------------------------------------------

const REQUEST: &str = "请求占领地球";
const REPLY: &str = "不要回答,不要回答,不要回答";

fn tcp_server_replies(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let reply = exchange(server.addr, REQUEST.as_bytes(), true)?;
    expect_reply(&reply, REQUEST.as_bytes(), REPLY.as_bytes(), true)
}

fn tcp_server_prints(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // What it replies is another check's business: this one reads stdout.
    let _ = exchange(server.addr, REQUEST.as_bytes(), true);
    let expected = format!("server waiting...\n{REQUEST}\nserver waiting...\n");
    let ok = server
        .proc
        .wait_stdout(STEP, |out| out.replace("\r\n", "\n").starts_with(&expected));
    pass_if(ok, || {
        format!(
            "printed {} (expected {})",
            shown(server.proc.stdout().as_bytes()),
            shown(expected.as_bytes())
        )
    })
}

fn tcp_server_rust_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = Output::memory();
    match tcp_basic::client::run(server.addr, STEP, &out) {
        Ok(()) => pass_if(out.contents() == format!("{REPLY}\n"), || {
            format!(
                "the Rust client printed {}",
                shown(out.contents().as_bytes())
            )
        }),
        Err(e) => fail(format!("the Rust client failed: {e:#}")),
    }
}

/// Why a check that needs the Python originals was skipped.
fn no_python(s: &Subject) -> Outcome {
    Outcome::Skip(match (&s.originals, &s.python) {
        (None, _) => "no Python originals found (give --originals DIR)".into(),
        _ => "no Python 3 found (python3, python or py -3 on PATH; or give --python PATH)".into(),
    })
}

/// Runs an original client script (with its port rewritten) against `port`.
fn python_original(s: &Subject, script: &str, port: u16, input: &str) -> Result<String, Outcome> {
    let (Some(originals), Some(python)) = (&s.originals, &s.python) else {
        return Err(no_python(s));
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
        Some(status) => fail(format!(
            "{script} failed against it ({status}): {}",
            last_line(&proc.stderr())
        )),
        None => fail(format!("{script} did not finish against it")),
    }
}

fn tcp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = python_original(s, "tcp_client.py", server.addr.port(), "")?;
    pass_if(out == format!("{REPLY}\n"), || {
        format!("tcp_client.py printed {}", shown(out.as_bytes()))
    })
}

/// A reference TCP server that runs `serve` on a listener bound before the
/// client starts, and stops when dropped.
struct Reference {
    /// Where it listens.
    port: u16,
    stop: Stop,
    out: Output,
    handle: Option<thread::JoinHandle<()>>,
}

impl Reference {
    fn tcp(
        port: u16,
        serve: impl FnOnce(&TcpListener, &Stop, &Output) + Send + 'static,
    ) -> Result<Reference, Outcome> {
        let listener = common::net::listen(([127, 0, 0, 1], port).into(), 128)
            .map_err(|e| Outcome::Fail(format!("the grader cannot listen on port {port}: {e}")))?;
        let port = local_port(listener.local_addr());
        let stop = Stop::new(Duration::from_secs(1));
        let out = Output::memory();
        let (sd, o) = (stop.clone(), out.clone());
        let handle = thread::spawn(move || serve(&listener, &sd, &o));
        Ok(Reference {
            port,
            stop,
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
        self.stop.trigger();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn opts() -> common::cli::ServerOpts {
    common::cli::ServerOpts::for_tests(STEP)
}

/// The port of a socket the grader has bound (never 0 once bound).
fn local_port(addr: std::io::Result<SocketAddr>) -> u16 {
    addr.map(|a| a.port()).unwrap_or_default()
}

fn tcp_client_exchange(s: &Subject) -> Verdict {
    let reference = Reference::tcp(s.grader_port(), |l, sd, o| {
        tcp_basic::server::run(l, &opts(), sd, o)
    })?;
    let dir = scratch();
    let (out, _) = run_client(s, reference.port, "", dir.path())?;
    if !reference.printed(|o| o.contains(REQUEST)) {
        return fail(format!(
            "sent {} (expected {})",
            shown(reference.out.contents().trim_end().as_bytes()),
            shown(REQUEST.as_bytes())
        ));
    }
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        format!(
            "printed {} (expected {})",
            shown(out.as_bytes()),
            shown(REPLY.as_bytes())
        )
    })
}

fn tcp_client_python_server(s: &Subject) -> Verdict {
    let (Some(originals), Some(python)) = (&s.originals, &s.python) else {
        return Err(no_python(s));
    };
    // The copy of the script lives in this folder, removed when the check
    // ends.
    let copies = scratch();
    let mut original = Subject::new(
        Program::TcpServer,
        crate::python_launch(
            python,
            &originals.join("tcp_server.py"),
            &copies.path().join("tcp_server.py"),
            copies.path(),
        ),
    );
    // It listens where the client under test connects: a port of its own
    // for a client that takes {port}, else the client's own port.
    original.port = s.port;
    if !s.launch.takes_port() {
        for word in &mut original.launch.argv {
            *word = word.replace("{port}", &s.port.to_string());
        }
    }
    let server = start_server(&original, false)
        .map_err(|o| Outcome::Skip(format!("the Python server did not start: {o:?}")))?;
    let dir = scratch();
    let (out, _) = run_client(s, server.addr.port(), "", dir.path())?;
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        format!("printed {}", shown(out.as_bytes()))
    })
}

fn client_without_server(s: &Subject) -> Verdict {
    // Held until the client has run, so no other program can listen there.
    let closed = crate::python::closed_port();
    let dir = scratch();
    let input = if s.program == Program::FileClient {
        "x.txt\n"
    } else {
        "hi\nexit\n"
    };
    let (out, err) = run_client(s, closed.port, input, dir.path())?;
    // The lab's clients end with a message, not a crash: a traceback (or
    // a Rust panic) is a crash, whatever the exit status.
    if err.contains("Traceback (most recent call last)") || err.contains("panicked at") {
        return fail(format!(
            "exited with a traceback instead of a message: {}",
            exception(&err).unwrap_or_else(|| shorten(&last_line(&err)))
        ));
    }
    if s.program == Program::FileClient {
        return pass_if(
            out.contains("无法连接到服务器，请检查服务器是否运行！"),
            || format!("printed {}", shown(out.as_bytes())),
        );
    }
    Ok(())
}

fn tcp_client_no_reply(s: &Subject) -> Verdict {
    let listener = TcpListener::bind(("127.0.0.1", s.grader_port()))
        .map_err(|e| Outcome::Fail(format!("the grader cannot listen: {e}")))?;
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
    result.map(drop)
}

// --- 2.2 UDP ------------------------------------------------------------

fn udp_send(addr: SocketAddr, datagrams: &[&[u8]]) -> Verdict {
    let send = || -> std::io::Result<()> {
        let sk = UdpSocket::bind("127.0.0.1:0")?;
        for d in datagrams {
            note(format!("sent the datagram {}", shown(d)));
            sk.send_to(d, addr)?;
        }
        Ok(())
    };
    send().map_err(|e| Outcome::Fail(format!("the grader could not send: {e}")))
}

fn udp_server_prints(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    udp_send(server.addr, &["hello".as_bytes(), "你好，UDP".as_bytes()])?;
    let expected = "hello\n你好，UDP\n";
    let ok = server
        .proc
        .wait_stdout(STEP, |o| o.replace("\r\n", "\n") == expected);
    pass_if(ok, || {
        format!(
            "printed {} for the datagrams 'hello' and '你好，UDP' (expected {})",
            shown(server.proc.stdout().as_bytes()),
            shown(expected.as_bytes())
        )
    })
}

fn udp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    python_original(s, "udp_client.py", server.addr.port(), "hi,zlz\nexit\n")?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("hi,zlz"));
    pass_if(ok, || {
        format!("printed {}", shown(server.proc.stdout().as_bytes()))
    })
}

fn udp_server_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    udp_send(server.addr, &[b"\xff\xfe\x00", b"after"])?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if !ok && let Some(outcome) = server.exited(s, "invalid UTF-8") {
        return Err(outcome);
    }
    pass_if(ok, || {
        "did not print the datagram 'after' that followed b'\\xff\\xfe\\x00'".into()
    })
}

fn udp_server_long_datagram(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    let long = vec![b'a'; 2000];
    udp_send(server.addr, &[&long, b"after"])?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if !ok && let Some(outcome) = server.exited(s, "a 2000-byte datagram") {
        return Err(outcome);
    }
    // What it kept is the longest run of the datagram's bytes in what it
    // printed, whatever it printed around them.
    let out = server.proc.stdout();
    let kept = out
        .split(|c: char| c != 'a')
        .map(str::len)
        .max()
        .unwrap_or(0);
    pass_if(ok && kept == 1024, || {
        format!("kept {kept} bytes of a 2000-byte datagram (recv(1024) keeps 1024)")
    })
}

fn udp_no_spin(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    udp_send(server.addr, &[b"hello"])?;
    judge_spin(&server, "a datagram")
}

/// A UDP socket that takes what the client sends, and its port.
fn udp_sink(port: u16) -> Result<(UdpSocket, u16), Outcome> {
    let sk = UdpSocket::bind(("127.0.0.1", port))
        .map_err(|e| Outcome::Fail(format!("the grader cannot bind UDP port {port}: {e}")))?;
    let _ = sk.set_read_timeout(Some(Duration::from_millis(300)));
    let port = local_port(sk.local_addr());
    Ok((sk, port))
}

fn received(sk: &UdpSocket) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = sk.recv_from(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    got
}

fn all_shown(datagrams: &[Vec<u8>]) -> String {
    let shown: Vec<String> = datagrams.iter().map(|d| shown(d)).collect();
    format!("[{}]", shown.join(", "))
}

fn udp_client_sends(s: &Subject) -> Verdict {
    let (sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    let (out, _) = run_client(s, port, "  hi,zlz  \n你好\nexit\n", dir.path())?;
    let got = received(&sink);
    if got != [b"hi,zlz".to_vec(), "你好".as_bytes().to_vec()] {
        return fail(format!(
            "sent {} for the lines '  hi,zlz  ', '你好', 'exit' (expected ['hi,zlz', '你好'])",
            all_shown(&got)
        ));
    }
    pass_if(out.starts_with("数据：数据：数据："), || {
        format!("printed {}", shown(out.as_bytes()))
    })
}

fn udp_client_exit(s: &Subject) -> Verdict {
    let (sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    run_client(s, port, "one\nexit\nnot sent\n", dir.path())?;
    let got = received(&sink);
    pass_if(got == [b"one".to_vec()], || {
        format!(
            "sent {} for 'one', 'exit', 'not sent' (expected ['one'])",
            all_shown(&got)
        )
    })
}

fn udp_client_eof(s: &Subject) -> Verdict {
    let (_sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = Running::start(launch.command(port)).map_err(Outcome::Fail)?;
    proc.type_in("one\n");
    proc.close_stdin();
    match proc.wait_exit(STEP) {
        None => fail("hung at the end of input"),
        Some(status) if status.success() => Ok(()),
        Some(status) => fail(match exception(&proc.stderr()) {
            Some(name) => format!("{} at the end of input: {name}", ended(status)),
            None => format!("{} at the end of input", ended(status)),
        }),
    }
}

// --- 2.4 sign-in --------------------------------------------------------

/// Signs in as client `i`: what the server replied.
fn sign_in(addr: SocketAddr, i: usize) -> Result<Reply, Outcome> {
    exchange(addr, multithread::client::message(i).as_bytes(), false)
}

fn signin_correct(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let request = multithread::client::message(7);
    let reply = sign_in(server.addr, 7)?;
    expect_reply(&reply, request.as_bytes(), "你已签到".as_bytes(), false)?;
    let ok = server.proc.wait_stdout(STEP, |o| {
        o.starts_with("server waiting...")
            && o.contains("的信息,内容为:拔尖班7号签到")
            && o.contains("回复消息")
            && o.contains("的连接关闭")
            && o.contains("连接成功")
    });
    pass_if(ok, || {
        format!(
            "printed {} (expected server waiting..., 连接成功, the request, 回复消息 and 的连接关闭 lines)",
            shown(server.proc.stdout().as_bytes())
        )
    })
}

fn signin_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = python_original(s, "multithread_client.py", server.addr.port(), "")?;
    pass_if(
        out.matches("成功签到，接收消息:你已签到").count() == 20,
        || format!("{} of 20 signed in", out.matches("成功签到").count()),
    )
}

fn signin_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, false)?;
    let bad = b"\xff\xfe\x00";
    let answered = exchange(server.addr, bad, false).is_ok_and(|r| !r.bytes.is_empty());
    if !answered && let Some(outcome) = server.exited(s, "invalid UTF-8") {
        return Err(outcome);
    }
    if !answered {
        return fail(match exception(&server.proc.stderr()) {
            Some(name) => format!("no answer to {}: the handler died ({name})", shown(bad)),
            None => format!("no answer to {}", shown(bad)),
        });
    }
    pass_if(answers(s, server.addr), || {
        "the next client got no answer".into()
    })
}

fn signin_idle_does_not_block(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let _idle = connect(server.addr)?;
    let started = Instant::now();
    let reply = sign_in(server.addr, 1)?;
    let took = started.elapsed();
    if reply.bytes.is_empty() {
        return fail(format!(
            "no answer within {STEP:?} while one client was idle"
        ));
    }
    pass_if(took < Duration::from_secs(2), || {
        format!("answered only after {took:.1?} while one client was idle")
    })
}

fn signin_twenty(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let addr = server.addr;
    let answers: Vec<_> = (0..20)
        .map(|i| thread::spawn(move || sign_in(addr, i)))
        .collect();
    let replies: Vec<Vec<u8>> = answers
        .into_iter()
        .filter_map(|t| t.join().ok().and_then(Result::ok))
        .map(|r| r.bytes)
        .collect();
    let ok = replies.iter().filter(|r| !r.is_empty()).count();
    pass_if(ok == 20, || format!("{ok} of 20 were answered"))
}

/// The lab's pool size.
const POOL: usize = 10;
/// How long a sign-in may wait for a free worker before it counts as
/// queued, in the pool check from below.
const QUEUED: Duration = Duration::from_secs(2);

/// A sign-in on a new connection, answered within `limit` (`false`: no
/// answer by then, or an error).
fn signed_in_within(addr: SocketAddr, i: usize, limit: Duration) -> bool {
    let Ok(mut sk) = connect(addr) else {
        return false;
    };
    let _ = sk.set_read_timeout(Some(limit));
    let _ = sk.write_all(multithread::client::message(i).as_bytes());
    matches!(sk.read(&mut [0u8; 256]), Ok(n) if n > 0)
}

fn pool_is_bounded(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // From below: with k silent clients held (k < ten), a free worker
    // still answers a sign-in at once. The first k at which none does is
    // how many it serves at once: a serial server or a pool of 2 fails.
    let mut held: Vec<TcpStream> = Vec::new();
    for k in 0..POOL {
        if k > 0 {
            held.push(connect(server.addr)?);
        }
        if !signed_in_within(server.addr, 100 + k, QUEUED) {
            return fail(format!(
                "served only {k} client(s) at once: with {k} silent client(s) held, a sign-in got no answer within {QUEUED:?} (the lab's pool serves {POOL})"
            ));
        }
    }
    // From above: ten silent clients, accepted in order, hold the pool's
    // ten workers (the server's prints are not relied on: any text will
    // do).
    held.extend((held.len()..POOL).filter_map(|_| connect(server.addr).ok()));
    if held.len() < POOL {
        return fail(format!("accepted only {} of ten clients", held.len()));
    }
    let addr = server.addr;
    let eleventh = thread::spawn(move || sign_in(addr, 11));
    // While ten are held, the eleventh must wait. Absence is checked for a
    // bounded second: there is no event to wait for.
    thread::sleep(Duration::from_secs(1));
    if eleventh.is_finished() {
        return fail(
            "the eleventh client was answered while ten were held: more than ten at once, not the lab's pool of ten",
        );
    }
    // Let one go: the eleventh is served.
    if let Some(mut first) = held.pop() {
        let _ = first.write_all(multithread::client::message(0).as_bytes());
    }
    drop(held);
    match eleventh.join() {
        Ok(Ok(reply)) if !reply.bytes.is_empty() => Ok(()),
        _ => fail("the eleventh client got no answer once a worker was free"),
    }
}

fn signin_client_twenty(s: &Subject) -> Verdict {
    let reference = Reference::tcp(s.grader_port(), |l, sd, o| {
        multithread::server::run(l, &opts(), Duration::ZERO, sd, o)
    })?;
    let dir = scratch();
    let (out, _) = run_client(s, reference.port, "", dir.path())?;
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

/// What the server said during a `name|size` upload.
struct Upload {
    /// Its answer to the header.
    confirmation: Vec<u8>,
}

/// Uploads the first `send` bytes of `data` as `name` with the original's
/// `name|size` header.
fn legacy_upload(
    addr: SocketAddr,
    name: &str,
    data: &[u8],
    send: usize,
) -> Result<Upload, Outcome> {
    let mut sk = connect(addr)?;
    let header = format!("{name}|{}", data.len());
    let io = |e: std::io::Error| Outcome::Fail(format!("the upload of {name} failed: {e}"));
    note(format!(
        "sent the header {}, then {send} of {} bytes",
        shown(header.as_bytes()),
        data.len()
    ));
    sk.write_all(header.as_bytes()).map_err(io)?;
    let confirmation = read_reply(&mut sk, false).bytes;
    note(format!("got {} for the header", shown(&confirmation)));
    sk.write_all(&data[..send.min(data.len())]).map_err(io)?;
    let _ = sk.shutdown(std::net::Shutdown::Write);
    // The final reply, if any; a server that never closes is not waited
    // for long (the checks look at what it did).
    let _ = read_reply(&mut sk, true);
    Ok(Upload { confirmation })
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

/// The size of the plain upload every file-server check starts from.
const UPLOAD: usize = 100_000;

/// A plain 100 KB upload, which must arrive byte for byte: what was
/// saved, or why it was not.
fn plain_upload(server: &Server, name: &str) -> Verdict {
    let data = payload(UPLOAD);
    let upload = legacy_upload(server.addr, name, &data, data.len())?;
    let expected = format!("{name}已发送");
    if upload.confirmation != expected.as_bytes() {
        return fail(format!(
            "answered the header '{name}|{UPLOAD}' with {} (expected {})",
            shown(&upload.confirmation),
            shown(expected.as_bytes())
        ));
    }
    let saved = wait_until(STEP, || find_files(&server.work, name).contains(&data));
    if saved {
        return Ok(());
    }
    let sizes: Vec<usize> = find_files(&server.work, name)
        .iter()
        .map(Vec::len)
        .collect();
    fail(match sizes.as_slice() {
        [] => format!("saved no file {name} from a {UPLOAD}-byte upload"),
        [len] if *len < UPLOAD => {
            format!("saved {len} of the {UPLOAD} bytes of {name}")
        }
        _ => format!("saved {name} with other bytes than were sent (sizes {sizes:?})"),
    })
}

/// A file server whose plain upload works, for the safety checks, which
/// would otherwise pass on a server that saves nothing.
fn safe_to_judge(s: &Subject) -> Result<Server, Outcome> {
    let server = start_server(s, false)?;
    match plain_upload(&server, "plain.bin") {
        Ok(()) => Ok(server),
        Err(Outcome::Fail(why)) => Err(Outcome::NotGraded(format!(
            "no upload succeeded ({why}), so safety could not be judged"
        ))),
        Err(other) => Err(other),
    }
}

fn file_server_saves(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    plain_upload(&server, "实验报告.bin")
}

fn file_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let src = scratch();
    let path = src.path().join("py_upload.bin");
    let data = payload(3000);
    let _ = std::fs::write(&path, &data);
    python_original(
        s,
        "file_client.py",
        server.addr.port(),
        &format!("{}\n", path.display()),
    )?;
    let saved = wait_until(STEP, || {
        find_files(&server.work, "py_upload.bin").contains(&data)
    });
    pass_if(saved, || {
        "file_client.py's 3000-byte upload was not saved byte for byte".into()
    })
}

fn file_server_rust_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let src = scratch();
    let path = src.path().join("rs_upload.bin");
    let data = payload(3000);
    let _ = std::fs::write(&path, &data);
    let cfg = file_transfer::client::Config {
        server: server.addr,
        legacy: false,
        timeout: STEP,
    };
    file_transfer::client::upload(&cfg, &path, &Output::discard())
        .map_err(|e| Outcome::Fail(format!("the Rust client failed: {e:#}")))?;
    let saved = wait_until(STEP, || {
        find_files(&server.work, "rs_upload.bin").contains(&data)
    });
    pass_if(saved, || {
        "the Rust client's 3000-byte upload was not saved byte for byte".into()
    })
}

fn file_server_traversal(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
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
    // A file appears within a moment, or not at all: a bounded check for
    // absence.
    let escaped = wait_until(Duration::from_millis(1500), || {
        absolute.exists()
            || above.join("escape.txt").exists()
            || server.work.join("escape.txt").exists()
    });
    pass_if(!escaped, || {
        format!("wrote a file outside its folder for one of the names {names:?}")
    })
}

fn file_server_truncated(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    let data = payload(1000);
    let _ = legacy_upload(server.addr, "cut.bin", &data, 400);
    // A partial file shows up within a moment, or not at all.
    let partial = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "cut.bin")
            .iter()
            .any(|f| f.len() != 1000)
    });
    pass_if(!partial, || {
        "left a partial cut.bin (400 of 1000 bytes) after the client stopped sending".into()
    })
}

fn file_server_spin(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    let data = payload(1000);
    let _ = legacy_upload(server.addr, "vanish.bin", &data, 400);
    judge_spin(&server, "a client vanished mid-upload")
}

fn file_server_overwrite(s: &Subject) -> Verdict {
    let server = safe_to_judge(s)?;
    let _ = legacy_upload(server.addr, "same.txt", b"first", 5);
    let _ = legacy_upload(server.addr, "same.txt", b"other", 5);
    // Kept both, or refused the second: the first is never lost. A second
    // file shows up within a moment, or not at all.
    let _ = wait_until(Duration::from_millis(1500), || {
        find_files(&server.work, "same").len() >= 2
    });
    let kept = find_files(&server.work, "same").contains(&b"first".to_vec());
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

fn file_client_uploads(s: &Subject) -> Verdict {
    let save = scratch();
    let reference = file_reference(s.grader_port(), save.path())?;
    let src = scratch();
    let path = src.path().join("上传.bin");
    let data = payload(4000);
    let _ = std::fs::write(&path, &data);
    let (out, _) = run_client(
        s,
        reference.port,
        &format!("{}\n", path.display()),
        src.path(),
    )?;
    let saved = reference.printed(|o| o.contains("upload successed."))
        && std::fs::read(save.path().join("上传.bin")).ok() == Some(data);
    if !saved {
        return fail("the 4000-byte file did not arrive byte for byte");
    }
    pass_if(
        out.contains("服务器确认: 上传.bin已发送") && out.contains("文件上传成功！"),
        || format!("printed {}", shown(out.as_bytes())),
    )
}

fn file_client_eof(s: &Subject) -> Verdict {
    let save = scratch();
    let reference = file_reference(s.grader_port(), save.path())?;
    let src = scratch();
    match run_client(s, reference.port, "", src.path()) {
        Ok(_) => Ok(()),
        Err(Outcome::Fail(why)) => fail(format!(
            "at the end of input it {}",
            why.replace("did not exit", "did not stop")
        )),
        Err(o) => Err(o),
    }
}

// --- the seeds' servers -------------------------------------------------

/// Sends each message on one connection and reads each reply.
fn session(addr: SocketAddr, messages: &[&[u8]]) -> Result<Vec<Vec<u8>>, Outcome> {
    let mut sk = connect(addr)?;
    let mut replies = Vec::new();
    for m in messages {
        note(format!("sent {}", shown(m)));
        sk.write_all(m)
            .map_err(|e| Outcome::Fail(format!("could not send {}: {e}", shown(m))))?;
        let reply = read_reply(&mut sk, false).bytes;
        note(format!("got {}", shown(&reply)));
        replies.push(reply);
    }
    Ok(replies)
}

/// Judges a session's replies against the expected ones.
fn expect_session(messages: &[&[u8]], replies: &[Vec<u8>], expected: &[&[u8]]) -> Verdict {
    for ((m, r), e) in messages.iter().zip(replies).zip(expected) {
        if r.as_slice() != *e {
            return fail(match r.is_empty() {
                true => format!("no reply to {} (expected {})", shown(m), shown(e)),
                false => format!(
                    "replied {} to {} instead of {}",
                    shown(r),
                    shown(m),
                    shown(e)
                ),
            });
        }
    }
    Ok(())
}

fn echo_upper(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let messages: [&[u8]; 2] = [b"hello", "socket 你好".as_bytes()];
    let replies = session(server.addr, &messages)?;
    expect_session(&messages, &replies, &[b"HELLO", "SOCKET 你好".as_bytes()])
}

fn ctime_reply(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let replies = session(server.addr, &[b"hello"])?;
    pass_if(is_ctime_reply(&replies[0], b"hello"), || {
        format!(
            "replied {} to 'hello' (expected '[<time.ctime()>] hello')",
            shown(&replies[0])
        )
    })
}

fn udp_ask(addr: SocketAddr, datagram: &[u8]) -> Result<Vec<u8>, Outcome> {
    let ask = || -> std::io::Result<Vec<u8>> {
        let sk = UdpSocket::bind("127.0.0.1:0")?;
        sk.set_read_timeout(Some(STEP))?;
        note(format!("sent the datagram {}", shown(datagram)));
        sk.send_to(datagram, addr)?;
        let mut buf = [0u8; 2048];
        let (n, _) = sk.recv_from(&mut buf)?;
        note(format!("got the datagram {}", shown(&buf[..n])));
        Ok(buf[..n].to_vec())
    };
    ask().map_err(|e| {
        Outcome::Fail(format!(
            "no answer to the datagram {}: {e}",
            shown(datagram)
        ))
    })
}

fn udp_echo_upper(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    let r = udp_ask(server.addr, b"hello")?;
    pass_if(r == b"HELLO", || {
        format!("answered {} to 'hello' (expected 'HELLO')", shown(&r))
    })
}

fn udp_echo_empty(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    let r = udp_ask(server.addr, b"")?;
    pass_if(r.is_empty(), || {
        format!("answered {} to an empty datagram", shown(&r))
    })
}

fn udp_echo_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    udp_send(server.addr, &[b"\xff\xfe\x00"])?;
    match udp_ask(server.addr, b"after") {
        Ok(_) => Ok(()),
        Err(no_answer) => Err(server.exited(s, "invalid UTF-8").unwrap_or(no_answer)),
    }
}

fn chat_acks(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let messages: [&[u8]; 2] = [b"hello", b"tcp"];
    let replies = session(server.addr, &messages)?;
    expect_session(&messages, &replies, &[b"ACK", b"ACK"])
}

fn chat_two_clients(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let _first = connect(server.addr)?;
    let replies = session(server.addr, &[b"second"]).map_err(|o| match o {
        Outcome::Fail(why) => Outcome::Fail(format!(
            "the second client, while the first was connected: {why}"
        )),
        other => other,
    })?;
    expect_session(&[b"second"], &replies, &[b"ACK"])
}

fn download_sends(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let data = payload(900);
    let _ = std::fs::write(server.work.join("课件.txt"), &data);
    let reply = exchange(server.addr, "课件.txt".as_bytes(), true)?;
    pass_if(reply.bytes == data, || {
        format!(
            "sent {} bytes for '课件.txt', not the file's {}",
            reply.bytes.len(),
            data.len()
        )
    })
}

fn download_traversal(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // First a real download: a server that sends nothing would refuse the
    // outside file too, for no merit.
    let data = payload(300);
    let _ = std::fs::write(server.work.join("inside.txt"), &data);
    let inside = exchange(server.addr, b"inside.txt", true)?;
    if inside.bytes != data {
        return fail(format!(
            "sent {} bytes for 'inside.txt', a file in its folder, not the file's {}: its refusal of an outside name cannot count",
            inside.bytes.len(),
            data.len()
        ));
    }
    // It serves one client by design: started again for the outside name.
    drop(server);
    let server = start_server(s, false)?;
    let outside = scratch();
    let secret = outside.path().join("secret.txt");
    let _ = std::fs::write(&secret, b"secret");
    let got = exchange(server.addr, secret.to_string_lossy().as_bytes(), true)
        .map(|r| r.bytes)
        .unwrap_or_default();
    pass_if(got != b"secret", || {
        "sent a file from outside its folder (an absolute name)".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shown_as_text_or_as_python_bytes() {
        assert_eq!(shown("不要回答".as_bytes()), "'不要回答'");
        assert_eq!(shown(b"\xff\xfe\x00"), "b'\\xff\\xfe\\x00'");
    }

    #[test]
    fn an_exception_is_named_only_when_stderr_shows_one() {
        let traceback = "Traceback (most recent call last):\n  File \"x.py\"\nUnicodeDecodeError: 'utf-8' codec can't decode byte 0xff\n";
        assert_eq!(exception(traceback).as_deref(), Some("UnicodeDecodeError"));
        assert_eq!(
            exception("socket.timeout: timed out\nConnectionResetError: [Errno 104]").as_deref(),
            Some("ConnectionResetError")
        );
        assert_eq!(exception(""), None);
        assert_eq!(exception("bye\n"), None);
        assert_eq!(exception("error: cannot bind: in use"), None);
    }

    #[test]
    fn other_protocols_are_named() {
        assert_eq!(
            other_protocol(b"hello", b"HELLO"),
            Some("an upper-case echo server")
        );
        assert_eq!(
            other_protocol(b"hello", b"hello"),
            Some("a plain echo server")
        );
        assert_eq!(
            other_protocol("拔尖班0号签到".as_bytes(), "拔尖班0号签到".as_bytes()),
            Some("an echo server")
        );
        assert_eq!(
            other_protocol(b"hello", b"ACK"),
            Some("seed 001's chat server (ACK)")
        );
        assert_eq!(other_protocol(b"hello", "滚蛋.".as_bytes()), None);
        assert!(is_ctime_reply(b"[Tue Dec  1 10:00:00 2026] hi", b"hi"));
        assert!(!is_ctime_reply(b"[soon] hi", b"hi"));
    }
}
