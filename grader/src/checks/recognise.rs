//! Recognising what a program is before it is graded: a server's protocol
//! (the lab's, or another that is named), and a client seen doing its job.

use super::*;

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
    let exchanged = exchange(&server, &request, false);
    // A step of the Rust handout not written yet, met by the connection's
    // thread: the server listens, but serves no one yet. Its message is on
    // stderr by the time the connection closes, or a moment later.
    let silent = exchanged.as_ref().map_or(true, |r| r.bytes.is_empty());
    let not_written = || server.proc.stderr().contains(crate::NOT_WRITTEN);
    if silent && crate::run::wait_until(std::time::Duration::from_secs(1), not_written) {
        return Err(Outcome::Fail(Why::quoted(last_line(&server.proc.stderr()))));
    }
    let Ok(reply) = exchanged else {
        return Ok(Protocol::Lab);
    };
    if is_lab_reply(s.program, &request, &reply.bytes) || server.proc.exited().is_some() {
        // Its checks say what went wrong, if anything did.
        return Ok(Protocol::Lab);
    }
    let (lab_name, lab_zh) = (s.program.lab_name(), s.program.zh_name());
    if s.program == Program::FileServer {
        // The lab's file server confirms a `name|size` header at once.
        let (sent, got) = (shown(&request), shown(&reply.bytes));
        return Ok(Protocol::Differs(match reply.bytes.is_empty() {
            true => why!(
                "这个文件服务器对实验的文件头 {sent} 什么也没回答：它用的文件头不是 {lab_zh} 的 'name|size'",
                "this file server answered the lab's header {sent} with nothing: it speaks another header than {lab_name}'s 'name|size'"
            ),
            false => why!(
                "这个文件服务器对实验的文件头 {sent} 回答了 {got}，而不是 'probe.txt已发送'：它用的文件头不是 {lab_zh} 的 'name|size'",
                "this file server answered the lab's header {sent} with {got}, not 'probe.txt已发送': it speaks another header than {lab_name}'s 'name|size'"
            ),
        }));
    }
    let Some(kind) = other_protocol(&request, &reply.bytes) else {
        return Ok(Protocol::Lab);
    };
    // An echo of a request without letters says nothing of upper case: a
    // second client with letters tells a plain echo from an upper-case one.
    let (request, reply, kind) = match kind.en.as_str() {
        "an echo server" => match exchange(&server, b"hello", false) {
            Ok(r) if !r.bytes.is_empty() => {
                let kind = other_protocol(b"hello", &r.bytes).unwrap_or(kind);
                (b"hello".to_vec(), r.bytes, kind)
            }
            _ => (request, reply.bytes, kind),
        },
        _ => (request, reply.bytes, kind),
    };
    let (sent, got) = (shown(&request), shown(&reply));
    Ok(Protocol::Differs(Why::new(
        format!("这看起来像{}，而不是 {lab_zh}：{sent} → {got}", kind.zh),
        format!(
            "this looks like {}, not {lab_name}: {sent} → {got}",
            kind.en
        ),
    )))
}

/// A client is first seen doing its job, before any check counts: run
/// against a recorder that only takes what arrives (no reply), it must
/// connect and send the lab's request (the 2.1 request, a sign-in, a file
/// header naming the file, the first typed line as a datagram). A missing
/// file, an empty script or a crash at start fails here, and so every
/// check of the program fails with this reason.
pub(super) fn client_at_work(s: &Subject) -> Verdict {
    let t = &s.transcript;
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
    let launch = s.launch.placed_in(dir.path());
    let mut proc = Running::start(launch.command(recorder.port), t).map_err(Outcome::Fail)?;
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
    // A step of the Rust handout not written yet: that step is the reason.
    // An exited program's last words may still be in the pipe.
    if proc.exited().is_some() {
        proc.wait_exit(Duration::from_secs(1));
    }
    let said = proc.stderr();
    if said.contains(crate::NOT_WRITTEN) {
        return fail(Why::quoted(last_line(&said)));
    }
    let how = match proc.exited() {
        Some(status) => {
            let ended = ended(status);
            match last_line(&proc.stderr()) {
                line if line.is_empty() => {
                    Why::new(format!("它{}", ended.zh), format!("it {}", ended.en))
                }
                line => {
                    let line = shorten(&line);
                    Why::new(
                        format!("它{}：{line}", ended.zh),
                        format!("it {}: {line}", ended.en),
                    )
                }
            }
        }
        None => why!("等了 {STEP:?}", "within {STEP:?}"),
    };
    let (port, sent, (how_zh, how_en)) = (recorder.port, shown(&got), (&how.zh, &how.en));
    fail(match (recorder.connected(), got.is_empty()) {
        (false, _) => why!(
            "它一直没有连上端口 {port} 上的服务器（{how_zh}），所以它做的其他事都无法判断",
            "it never reached the server on port {port} ({how_en}), so nothing else it does can be judged"
        ),
        (true, true) => why!(
            "它连上了服务器，但一直没有发送实验的请求 {what}（{how_zh}）",
            "it reached the server but never sent the lab's request {what} ({how_en})"
        ),
        (true, false) => why!(
            "它发送了 {sent}，而应发送的是实验的请求 {what}（{how_zh}）",
            "it sent {sent} where the lab's request {what} was expected ({how_en})"
        ),
    })
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A server that only records: every byte (TCP, several connections, one
/// after another) or datagram that arrives, never a reply.
pub(super) struct Recorder {
    pub(super) port: u16,
    pub(super) seen: std::sync::Arc<std::sync::Mutex<(bool, Vec<u8>)>>,
    pub(super) stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub(super) handle: Option<thread::JoinHandle<()>>,
}

impl Recorder {
    pub(super) fn start(port: u16, udp: bool) -> Result<Recorder, Outcome> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let cannot = |e: std::io::Error| {
            Outcome::Skip(why!(
                "评分程序无法在端口 {port} 上监听：{e}",
                "the grader cannot listen on port {port}: {e}"
            ))
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

    pub(super) fn bytes(&self) -> Vec<u8> {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    pub(super) fn connected(&self) -> bool {
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
pub(super) fn other_protocol(request: &[u8], reply: &[u8]) -> Option<Why> {
    let text = String::from_utf8_lossy(request);
    if reply == request {
        return Some(if text.chars().any(|c| c.is_ascii_lowercase()) {
            why!("一个原样回显服务器", "a plain echo server")
        } else {
            why!("一个回显服务器", "an echo server")
        });
    }
    if reply == text.to_uppercase().as_bytes() {
        return Some(why!("一个大写回显服务器", "an upper-case echo server"));
    }
    if is_ctime_reply(reply, request) {
        return Some(why!("种子 004 的时间戳服务器", "seed 004's ctime server"));
    }
    match reply {
        b"ACK" => Some(why!(
            "种子 001 的聊天服务器（ACK）",
            "seed 001's chat server (ACK)"
        )),
        r if r == "你已签到".as_bytes() => {
            Some(why!("实验的签到服务器", "the lab's sign-in server"))
        }
        r if r == REPLY.as_bytes() => Some(why!("实验的 2.1 服务器", "the lab's 2.1 server")),
        _ => None,
    }
}
