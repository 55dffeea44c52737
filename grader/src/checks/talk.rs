//! How the checks talk to a program: what was said, shown as a teacher
//! reads it; starting the program under test (a server, bound within
//! START; a client, with its input); talking to a server; the reference
//! servers and Python originals the checks run beside it; UDP helpers.

use super::*;

/// Bytes as a teacher reads them: the text in quotes where it is UTF-8
/// (shortened, a line break shown as `\n`, so that a reason stays one
/// line), else Python's `b'…'` form.
pub(super) fn shown(bytes: &[u8]) -> String {
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

pub(super) fn shorten(text: &str) -> String {
    // A step of the handout not written yet is said whole: it names the step.
    match text.starts_with(crate::NOT_WRITTEN) {
        true => text.to_string(),
        false => common::text::escape(&common::text::shorten(text, 80)).into_owned(),
    }
}

/// "printed '…'": what a program printed, quoted, as a reason.
pub(super) fn printed(text: &str) -> Why {
    let printed = shown(text.as_bytes());
    why!("输出了 {printed}", "printed {printed}")
}

pub(super) fn fail<T>(why: Why) -> Result<T, Outcome> {
    Err(Outcome::Fail(why))
}

pub(super) fn pass_if(ok: bool, why: impl FnOnce() -> Why) -> Verdict {
    if ok { Ok(()) } else { fail(why()) }
}

/// The last non-empty line of a program's stderr.
pub(super) fn last_line(text: &str) -> String {
    // A step of the Rust handout that is not written yet says which.
    if let Some(at) = text.find(crate::NOT_WRITTEN) {
        return text[at..]
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
    }
    // A Rust panic ends with a note on backtraces; its message is above.
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// How a program ended: "exited with status 1", "was killed by a signal".
pub(super) fn ended(status: std::process::ExitStatus) -> Why {
    match status.code() {
        Some(code) => why!("以状态 {code} 退出了", "exited with status {code}"),
        None => why!("被信号终止了", "was killed by a signal"),
    }
}

/// The exception a program's stderr ends with, if it ends with one
/// (`UnicodeDecodeError` from `UnicodeDecodeError: 'utf-8' codec …`, or
/// Rust's `panicked at …`); never an empty name.
pub(super) fn exception(stderr: &str) -> Option<Why> {
    let line = last_line(stderr);
    if line.contains("panicked at") {
        return Some(why!("panic", "a panic"));
    }
    let name = line.split(':').next()?.trim();
    let looks_like_one = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && (name.ends_with("Error") || name.ends_with("Exception") || name.ends_with("Interrupt"));
    looks_like_one.then(|| Why::quoted(name.rsplit('.').next().unwrap_or(name)))
}

/// The program under test as a server: started, and bound within START.
pub(super) struct Server {
    pub(super) proc: Running,
    pub(super) addr: SocketAddr,
    /// The check's transcript: each helper that talks to the server
    /// (`exchange`, `udp_send`, …) notes there what it sent and got.
    pub(super) t: Transcript,
    /// Its working folder, one below a scratch folder of the grader's, so
    /// that a name climbing out of it still lands where the grader looks.
    pub(super) work: PathBuf,
    pub(super) _scratch: tempfile::TempDir,
}

impl Server {
    /// `Some(outcome)` when it has exited after `after`: the status, and
    /// the exception its stderr names, if any. An exit is not graded only
    /// where the evidence says the program ends after any client: a fresh
    /// copy of it, given two ordinary clients, does not serve the second.
    /// One that does keep serving, but exited here, fails.
    pub(super) fn exited(&mut self, s: &Subject, after: &Why) -> Option<Outcome> {
        // A server that crashed may still be on its way out.
        let status = self.proc.wait_exit(Duration::from_millis(500))?;
        let stderr = self.proc.stderr();
        let (ended, raised) = (ended(status), exception(&stderr));
        let why = match &raised {
            Some(name) => Why::new(
                format!("收到{}后{}：{}", after.zh, ended.zh, name.zh),
                format!("{} after {}: {}", ended.en, after.en, name.en),
            ),
            None => Why::new(
                format!("收到{}后{}", after.zh, ended.zh),
                format!("{} after {}", ended.en, after.en),
            ),
        };
        // A crash is a failure whatever else it does.
        if !status.success() || raised.is_some() {
            return Some(Outcome::Fail(why));
        }
        Some(match serves_a_second_client(s) {
            true => Outcome::Fail(Why::new(
                format!("普通客户端之后它还在服务，但{}", why.zh),
                format!("kept serving after an ordinary client, but {}", why.en),
            )),
            false => Outcome::NotGraded(Why::new(
                format!(
                    "{}：它在普通客户端之后也会结束，所以这一项无法判断（它改为失去“服务完第一个客户端后继续服务”一项的分）",
                    why.zh
                ),
                format!(
                    "{}: it also ends after an ordinary client, so this cannot be judged (it loses 'keeps serving after its first client' instead)",
                    why.en
                ),
            )),
        })
    }
}

pub(super) fn start_server(s: &Subject, udp: bool) -> Result<Server, Outcome> {
    let t = &s.transcript;
    let scratch = scratch();
    let work = scratch.path().join("work");
    std::fs::create_dir(&work).map_err(|e| {
        Outcome::Fail(why!(
            "评分程序无法创建文件夹：{e}",
            "the grader cannot make a folder: {e}"
        ))
    })?;
    let launch = s.launch.placed_in(&work);
    // A port chosen for the program can be taken by another program before
    // it binds it: then it is started again on a fresh one, three times at
    // most, and the grader says so.
    let mut tries = if launch.takes_port() { 3 } else { 1 };
    // A fixed port (no sandbox, no {port}) must be free before the program
    // starts: else the bind probe below would see another program's socket
    // (or the last check's, in TIME_WAIT) and blame this one for it.
    if !launch.takes_port() && !wait_until(FREE, || !crate::ports::is_bound(s.port, udp)) {
        let port = s.port;
        return Err(Outcome::Skip(why!(
            "端口 {port} 在 {FREE:?} 内一直被别的程序占用，程序无法在那里启动（在它的命令里写 {{port}}，或在有命名空间的 Linux 上评分）",
            "port {port} stayed taken by another program for {FREE:?}, so the program could not be started there (give its command {{port}}, or grade on Linux with namespaces)"
        )));
    }
    loop {
        let port = s.program_port();
        let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
        if crate::ports::wait_bound(port, udp, START, || proc.exited().is_none()) {
            return Ok(Server {
                proc,
                addr: ([127, 0, 0, 1], port).into(),
                t: t.clone(),
                work,
                _scratch: scratch,
            });
        }
        // An exited program's last words may still be in the pipe: read to
        // its end first (a loaded machine reads it a moment late).
        if proc.exited().is_some() {
            proc.wait_exit(Duration::from_secs(1));
        }
        let stderr = proc.stderr();
        tries -= 1;
        if tries > 0 && proc.exited().is_some() && crate::ports::port_taken(&stderr) {
            eprintln!("grade: port {port} was taken before the program bound it; trying another");
            continue;
        }
        let why = match proc.exited() {
            Some(status) => {
                let ended = ended(status);
                match last_line(&stderr) {
                    line if line.is_empty() => Why::new(
                        format!("它没有启动：它在监听之前就{}", ended.zh),
                        format!("it does not start: it {} before it listened", ended.en),
                    ),
                    line => {
                        let line = shorten(&line);
                        Why::new(
                            format!("它没有启动：它在监听之前就{}：{line}", ended.zh),
                            format!(
                                "it does not start: it {} before it listened: {line}",
                                ended.en
                            ),
                        )
                    }
                }
            }
            None if launch.takes_port() => why!(
                "它没有启动：它在 {START:?} 内没有绑定 127.0.0.1:{port}",
                "it does not start: it did not bind 127.0.0.1:{port} within {START:?}"
            ),
            // Running, but not on the port the grader expects: the
            // grader's own failure to find its port, not the program's.
            None => {
                return Err(Outcome::Skip(why!(
                    "它在运行，但不在 127.0.0.1:{port} 上：评分程序找不到它用的端口（在有命名空间的 Linux 上评分，在它的命令里写 {{port}}，或用 --port P；见 GRADING.md）",
                    "it runs, but not on 127.0.0.1:{port}: the grader could not find the port it uses (grade it on Linux with namespaces, give its command {{port}}, or --port P; see GRADING.md)"
                )));
            }
        };
        return fail(why);
    }
}

/// Starts the program under test as a client with `input` on stdin, in a
/// fresh folder, and waits (at most RUN) for it to exit.
pub(super) fn run_client(
    s: &Subject,
    port: u16,
    input: &str,
    dir: &Path,
) -> Result<(String, String), Outcome> {
    let t = &s.transcript;
    let launch = s.launch.placed_in(dir);
    let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
    t.note(format!(
        "输入后关闭它的 stdin / typed into it, then closed its stdin: {}",
        shown(input.as_bytes())
    ));
    proc.type_in(input);
    proc.close_stdin();
    match proc.wait_exit(RUN) {
        Some(_) => Ok((proc.stdout(), proc.stderr())),
        None => {
            let printed = shown(proc.stdout().as_bytes());
            fail(why!(
                "在 {RUN:?} 内没有退出；它输出了 {printed}",
                "did not exit within {RUN:?}; printed {printed}"
            ))
        }
    }
}

pub(super) fn connect(addr: SocketAddr) -> Result<TcpStream, Outcome> {
    refusal_retried(|| common::net::connect(addr, STEP))
        .map_err(|e| Outcome::Fail(why!("连不上它：{e}", "could not connect to it: {e}")))
}

/// How long a refused connection to a server just started is tried again.
const LISTENING: Duration = Duration::from_secs(2);

/// `attempt`, tried again while it is refused, for at most [`LISTENING`]:
/// a server counts as started once its port is bound, and it listens a
/// moment later (Python's `bind` and `listen` are two statements, which a
/// loaded machine may run far apart). A server that never listens is
/// still refused after that.
pub(super) fn refusal_retried<T, E>(mut attempt: impl FnMut() -> Result<T, E>) -> Result<T, E>
where
    E: RefusedKind,
{
    let until = Instant::now() + LISTENING;
    loop {
        match attempt() {
            Err(e) if e.refused() && Instant::now() < until => {
                thread::sleep(Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

/// An error that may be a refused connection.
pub(super) trait RefusedKind {
    fn refused(&self) -> bool;
}

impl RefusedKind for std::io::Error {
    fn refused(&self) -> bool {
        self.kind() == std::io::ErrorKind::ConnectionRefused
    }
}

impl RefusedKind for file_transfer::TransferError {
    fn refused(&self) -> bool {
        matches!(self, file_transfer::TransferError::Io(e) if e.refused())
    }
}

/// What came back on one connection.
pub(super) struct Reply {
    pub(super) bytes: Vec<u8>,
    /// The server closed (or reset) the connection.
    pub(super) closed: bool,
}

/// Reads a reply: waits at most STEP for its first bytes; then, with
/// `until_close`, until the server closes (at most CLOSE more), else until
/// SETTLE passes without a byte (a session stays open).
pub(super) fn read_reply(sk: &mut TcpStream, until_close: bool) -> Reply {
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
pub(super) fn exchange(to: &Server, request: &[u8], until_close: bool) -> Result<Reply, Outcome> {
    let mut sk = connect(to.addr)?;
    to.t.note(format!(
        "在新连接上发送 / sent on a new connection: {}",
        shown(request)
    ));
    sk.write_all(request).map_err(|e| {
        let sent = shown(request);
        Outcome::Fail(why!("无法发送 {sent}：{e}", "could not send {sent}: {e}"))
    })?;
    let reply = read_reply(&mut sk, until_close);
    to.t.note(format!(
        "收到 / got: {}{}",
        shown(&reply.bytes),
        if reply.closed {
            "；然后服务器关闭了连接 / then the server closed"
        } else {
            ""
        }
    ));
    Ok(reply)
}

/// Judges a reply against the one expected, saying what came back.
pub(super) fn expect_reply(
    reply: &Reply,
    request: &[u8],
    expected: &[u8],
    must_close: bool,
) -> Verdict {
    let (sent, got, expected_shown) = (shown(request), shown(&reply.bytes), shown(expected));
    match (
        reply.bytes == expected,
        reply.closed,
        reply.bytes.is_empty(),
    ) {
        (true, true, _) => Ok(()),
        (true, false, _) if !must_close => Ok(()),
        (true, false, _) => fail(why!(
            "对 {sent} 回复了 {got}，但在 {CLOSE:?} 内没有关闭连接",
            "replied {got} to {sent} but did not close within {CLOSE:?}"
        )),
        (false, true, true) => fail(why!(
            "没有回复 {sent} 就关闭了连接（应回复 {expected_shown}）",
            "closed without a reply to {sent} (expected {expected_shown})"
        )),
        (false, false, true) => fail(why!(
            "在 {STEP:?} 内没有回复 {sent}（应回复 {expected_shown}）",
            "sent nothing within {STEP:?} in reply to {sent} (expected {expected_shown})"
        )),
        (false, _, false) => fail(why!(
            "对 {sent} 回复了 {got}，而不是 {expected_shown}",
            "replied {got} to {sent} instead of {expected_shown}"
        )),
    }
}

/// The lab's first request to each TCP server, and what it answers.
pub(super) fn first_exchange(program: Program) -> (Vec<u8>, Vec<u8>) {
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
pub(super) fn is_lab_reply(program: Program, request: &[u8], reply: &[u8]) -> bool {
    match program {
        Program::CtimeServer => is_ctime_reply(reply, request),
        _ => reply == first_exchange(program).1,
    }
}

/// `[Tue Dec  1 10:00:00 2026] data`: seed 004's reply to `data`.
pub(super) fn is_ctime_reply(reply: &[u8], data: &[u8]) -> bool {
    let reply = String::from_utf8_lossy(reply);
    let data = String::from_utf8_lossy(data);
    reply
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(&format!("] {data}")[..]))
        .is_some_and(|t| chrono::NaiveDateTime::parse_from_str(t, "%a %b %e %H:%M:%S %Y").is_ok())
}

/// Why a check that needs the Python originals was skipped.
pub(super) fn no_python(s: &Subject) -> Outcome {
    Outcome::Skip(match (&s.originals, &s.python) {
        (None, _) => why!(
            "找不到 Python 原始程序（用 --originals DIR 指定）",
            "no Python originals found (give --originals DIR)"
        ),
        _ => why!(
            "找不到 Python 3（PATH 上的 python3、python 或 py -3；或用 --python PATH 指定）",
            "no Python 3 found (python3, python or py -3 on PATH; or give --python PATH)"
        ),
    })
}

/// Runs an original client script (with its port rewritten) against `port`.
pub(super) fn python_original(
    s: &Subject,
    script: &str,
    port: u16,
    input: &str,
) -> Result<String, Outcome> {
    let t = &s.transcript;
    let (Some(originals), Some(python)) = (&s.originals, &s.python) else {
        return Err(no_python(s));
    };
    let mut cmd = crate::python::command(python);
    let dir = scratch();
    let text = std::fs::read_to_string(originals.join(script))
        .map_err(|e| Outcome::Skip(why!("无法读取 {script}：{e}", "cannot read {script}: {e}")))?;
    let copy = dir.path().join(script);
    let rewrite = crate::python::Rewrite {
        port,
        base_path: None,
        backlog: None,
    };
    std::fs::write(&copy, crate::python::rewrite(&text, &rewrite))
        .map_err(|e| Outcome::Skip(Why::quoted(e.to_string())))?;
    cmd.arg("-u").arg(&copy).current_dir(dir.path());
    let mut proc = Running::start(cmd, t).map_err(Outcome::Skip)?;
    proc.type_in(input);
    proc.close_stdin();
    match proc.wait_exit(RUN) {
        Some(status) if status.success() => Ok(proc.stdout()),
        Some(status) => {
            let line = last_line(&proc.stderr());
            fail(why!(
                "{script} 与它通信时失败了（{status}）：{line}",
                "{script} failed against it ({status}): {line}"
            ))
        }
        None => fail(why!(
            "{script} 与它通信时没有结束",
            "{script} did not finish against it"
        )),
    }
}

pub(super) struct Reference {
    /// Where it listens.
    pub(super) port: u16,
    pub(super) stop: Stop,
    pub(super) out: Output,
    pub(super) handle: Option<thread::JoinHandle<()>>,
}

impl Reference {
    pub(super) fn tcp(
        port: u16,
        serve: impl FnOnce(&TcpListener, &Stop, &Output) + Send + 'static,
    ) -> Result<Reference, Outcome> {
        let listener = common::net::listen(([127, 0, 0, 1], port).into(), 128).map_err(|e| {
            Outcome::Fail(why!(
                "评分程序无法在端口 {port} 上监听：{e}",
                "the grader cannot listen on port {port}: {e}"
            ))
        })?;
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
    pub(super) fn printed(&self, pred: impl Fn(&str) -> bool) -> bool {
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

pub(super) fn opts() -> common::cli::ServerOpts {
    common::cli::ServerOpts::for_tests(STEP)
}

/// The port of a socket the grader has bound (never 0 once bound).
pub(super) fn local_port(addr: std::io::Result<SocketAddr>) -> u16 {
    addr.map(|a| a.port()).unwrap_or_default()
}

pub(super) fn udp_send(to: &Server, datagrams: &[&[u8]]) -> Verdict {
    let send = || -> std::io::Result<()> {
        let sk = UdpSocket::bind("127.0.0.1:0")?;
        for d in datagrams {
            to.t.note(format!("发送数据报 / sent the datagram: {}", shown(d)));
            sk.send_to(d, to.addr)?;
        }
        Ok(())
    };
    send().map_err(|e| {
        Outcome::Fail(why!(
            "评分程序无法发送：{e}",
            "the grader could not send: {e}"
        ))
    })
}

pub(super) fn udp_sink(port: u16) -> Result<(UdpSocket, u16), Outcome> {
    let sk = UdpSocket::bind(("127.0.0.1", port)).map_err(|e| {
        Outcome::Fail(why!(
            "评分程序无法绑定 UDP 端口 {port}：{e}",
            "the grader cannot bind UDP port {port}: {e}"
        ))
    })?;
    let _ = sk.set_read_timeout(Some(Duration::from_millis(300)));
    let port = local_port(sk.local_addr());
    Ok((sk, port))
}

pub(super) fn received(sk: &UdpSocket) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = sk.recv_from(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    got
}

pub(super) fn all_shown(datagrams: &[Vec<u8>]) -> String {
    let shown: Vec<String> = datagrams.iter().map(|d| shown(d)).collect();
    format!("[{}]", shown.join(", "))
}

pub(super) fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}
