//! The checks every TCP server gets (hostile clients, a second client, no
//! spin, a port in use), and those of 2.1's server and client.

use super::*;

/// A normal client of the program: the lab's first request, on a new
/// connection (for the file server, a whole 5-byte upload); true when
/// anything came back.
pub(super) fn answers(s: &Subject, server: &Server) -> bool {
    if s.program == Program::FileServer {
        return legacy_upload(server, "probe.txt", b"probe", 5)
            .is_ok_and(|u| !u.confirmation.is_empty());
    }
    let (request, _) = first_exchange(s.program);
    exchange(server, &request, false).is_ok_and(|r| !r.bytes.is_empty())
}

/// Evidence for a judgement: a fresh copy of the program, given two
/// ordinary clients (TCP) or datagrams (UDP), serves the second (or, for
/// UDP, is still running after both).
pub(super) fn serves_a_second_client(s: &Subject) -> bool {
    let udp = s.program.is_udp();
    let Ok(mut server) = start_server(s, udp) else {
        return false;
    };
    if udp {
        let _ = udp_send(&server, &[b"hello", b"again"]);
        return server.proc.wait_exit(Duration::from_millis(500)).is_none();
    }
    answers(s, &server) && answers(s, &server)
}

pub(super) fn keeps_serving(s: &Subject) -> Verdict {
    let mut server = start_server(s, false)?;
    let first = answers(s, &server);
    if answers(s, &server) {
        return Ok(());
    }
    // Not answered: say why, if the server has ended (at most 500 ms to
    // see it go; a server that answered is never waited for).
    if let Some(status) = server.proc.wait_exit(Duration::from_millis(500)) {
        let how = ended(status);
        return match exception(&server.proc.stderr()) {
            Some(name) => fail(Why::new(
                format!("服务完第一个客户端后{}：{}", how.zh, name.zh),
                format!("{} after its first client: {}", how.en, name.en),
            )),
            None => fail(Why::new(
                format!("服务完第一个客户端后{}", how.zh),
                format!("{} after its first client", how.en),
            )),
        };
    }
    let sent = shown(&first_exchange(s.program).0);
    fail(match first {
        true => why!(
            "回答了第一个客户端，但没有回答第二个（发送的是 {sent}）",
            "answered its first client, but not a second one (sent {sent})"
        ),
        false => why!(
            "第一个和第二个客户端都没有回答（发送的是 {sent}）",
            "answered neither its first client nor a second one (sent {sent})"
        ),
    })
}

/// A hostile client, before a normal exchange.
pub(super) enum Hostile {
    Bytes(&'static [u8]),
    Empty,
    Reset,
}

/// The hostile client, then a normal exchange: the server must still
/// answer. A server that serves one client and ends is not graded here.
pub(super) fn survives(s: &Subject, hostile: Hostile) -> Verdict {
    let mut server = start_server(s, false)?;
    let t = &server.t;
    let what = match hostile {
        Hostile::Bytes(bytes) => {
            if let Ok(mut sk) = connect(server.addr) {
                t.note(format!(
                    "在新连接上发送后关闭 / sent on a new connection, then closed it: {}",
                    shown(bytes)
                ));
                let _ = sk.write_all(bytes);
                let _ = sk.shutdown(std::net::Shutdown::Write);
                let _ = read_reply(&mut sk, true);
            }
            why!("无效的 UTF-8 数据", "invalid UTF-8")
        }
        Hostile::Empty => {
            t.note("连接后什么也不发就关闭 / connected and closed without sending anything");
            drop(connect(server.addr));
            why!("一个空连接", "an empty connection")
        }
        Hostile::Reset => {
            t.note(
                "连接后什么也不发就重置连接（RST）/ connected and reset the connection (RST) without sending anything",
            );
            if let Ok(sk) = connect(server.addr) {
                let _ = socket2::SockRef::from(&sk).set_linger(Some(Duration::ZERO));
            }
            why!("一个被重置的连接", "a reset connection")
        }
    };
    // No blind sleep: a normal exchange follows, and a dead server fails it.
    let answered = answers(s, &server);
    if !answered && let Some(outcome) = server.exited(s, &what) {
        return Err(outcome);
    }
    pass_if(answered, || {
        Why::new(
            format!("收到{}后，下一个客户端没有得到回答", what.zh),
            format!("no answer to the next client after {}", what.en),
        )
    })
}

/// The share of a core `server` uses over 2 s (`None` where its CPU time
/// cannot be read).
pub(super) fn cpu_share(server: &Server) -> Option<f64> {
    let before = server.proc.cpu()?;
    let started = Instant::now();
    // Measuring needs time to pass: this is a measurement, not a wait.
    thread::sleep(Duration::from_secs(2));
    let used = server.proc.cpu()?.saturating_sub(before);
    Some(used.as_secs_f64() / started.elapsed().as_secs_f64())
}

pub(super) fn judge_spin(server: &Server, after: &Why) -> Verdict {
    match cpu_share(server) {
        None => Err(Outcome::Skip(why!(
            "这台机器上读不到它的 CPU 时间",
            "its CPU time cannot be read on this machine"
        ))),
        Some(share) => pass_if(share < SPIN, || {
            let percent = share * 100.0;
            Why::new(
                format!(
                    "{}后的 2 秒里占用了一个核心的 {percent:.0} %（空闲的服务器不占用）",
                    after.zh
                ),
                format!(
                    "used {percent:.0} % of a core for 2 s after {} (an idle server uses none)",
                    after.en
                ),
            )
        }),
    }
}

pub(super) fn no_spin_after_a_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // One normal client, which leaves once answered.
    answers(s, &server);
    judge_spin(&server, &why!("一个客户端离开", "a client left"))
}

/// Another program holds the port: the server must give up, not hang or
/// serve nothing forever. (How it says so is up to it.)
pub(super) fn port_in_use(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let udp = s.program.is_udp();
    // The grader's socket holds the port until the check ends.
    let at = ("127.0.0.1", s.grader_port());
    let held: std::io::Result<(u16, Box<dyn Send>)> = if udp {
        UdpSocket::bind(at).and_then(|sk| Ok((sk.local_addr()?.port(), Box::new(sk) as _)))
    } else {
        TcpListener::bind(at).and_then(|l| Ok((l.local_addr()?.port(), Box::new(l) as _)))
    };
    let (port, _held) = held.map_err(|e| {
        Outcome::Skip(why!(
            "评分程序无法先占用这个端口：{e}",
            "the grader could not take the port first: {e}"
        ))
    })?;
    let dir = scratch();
    let launch = s.launch.placed_in(dir.path());
    let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
    pass_if(proc.wait_exit(START).is_some(), || {
        why!(
            "端口被占用后过了 {START:?} 它还在运行",
            "still running {START:?} after its port was found taken"
        )
    })
}

/// The lab's 2.1 request and reply, as the port defines them.
pub(super) use tcp_basic::client::REQUEST;
pub(super) use tcp_basic::server::REPLY;

pub(super) fn tcp_server_replies(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let reply = exchange(&server, REQUEST.as_bytes(), true)?;
    expect_reply(&reply, REQUEST.as_bytes(), REPLY.as_bytes(), true)
}

pub(super) fn tcp_server_prints(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // What it replies is another check's business: this one reads stdout.
    let _ = exchange(&server, REQUEST.as_bytes(), true);
    let expected = format!("server waiting...\n{REQUEST}\nserver waiting...\n");
    let ok = server
        .proc
        .wait_stdout(STEP, |out| out.replace("\r\n", "\n").starts_with(&expected));
    pass_if(ok, || {
        let (printed, expected) = (
            shown(server.proc.stdout().as_bytes()),
            shown(expected.as_bytes()),
        );
        why!(
            "输出了 {printed}（应输出 {expected}）",
            "printed {printed} (expected {expected})"
        )
    })
}

pub(super) fn tcp_server_rust_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = Output::memory();
    match refusal_retried(|| tcp_basic::client::run(server.addr, STEP, &out)) {
        Ok(()) => pass_if(out.contents() == format!("{REPLY}\n"), || {
            let printed = shown(out.contents().as_bytes());
            why!(
                "Rust 客户端输出了 {printed}",
                "the Rust client printed {printed}"
            )
        }),
        Err(e) => fail(why!(
            "Rust 客户端失败了：{e:#}",
            "the Rust client failed: {e:#}"
        )),
    }
}

pub(super) fn tcp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = python_original(s, "tcp_client.py", server.addr.port(), "")?;
    pass_if(out == format!("{REPLY}\n"), || {
        let printed = shown(out.as_bytes());
        why!(
            "tcp_client.py 输出了 {printed}",
            "tcp_client.py printed {printed}"
        )
    })
}

/// A reference TCP server that runs `serve` on a listener bound before the
/// client starts, and stops when dropped.
pub(super) fn tcp_client_exchange(s: &Subject) -> Verdict {
    let reference = Reference::tcp(s.grader_port(), |l, sd, o| {
        tcp_basic::server::run(l, &opts(), sd, o)
    })?;
    let dir = scratch();
    let (out, _) = run_client(s, reference.port, "", dir.path())?;
    if !reference.printed(|o| o.contains(REQUEST)) {
        let (sent, expected) = (
            shown(reference.out.contents().trim_end().as_bytes()),
            shown(REQUEST.as_bytes()),
        );
        return fail(why!(
            "发送了 {sent}（应发送 {expected}）",
            "sent {sent} (expected {expected})"
        ));
    }
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        let (printed, expected) = (shown(out.as_bytes()), shown(REPLY.as_bytes()));
        why!(
            "输出了 {printed}（应输出 {expected}）",
            "printed {printed} (expected {expected})"
        )
    })
}

pub(super) fn tcp_client_python_server(s: &Subject) -> Verdict {
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
    let server = start_server(&original, false).map_err(|o| {
        let why = o.why().cloned().unwrap_or_default();
        Outcome::Skip(Why::new(
            format!("Python 服务器没有启动：{}", why.zh),
            format!("the Python server did not start: {}", why.en),
        ))
    })?;
    let dir = scratch();
    let (out, _) = run_client(s, server.addr.port(), "", dir.path())?;
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        printed(&out)
    })
}

pub(super) fn client_without_server(s: &Subject) -> Verdict {
    // Held until the client has run, so no other program can listen there.
    let closed = crate::ports::closed_port();
    let dir = scratch();
    let input = if s.program == Program::FileClient {
        // A file that exists: a client that asks for the path before it
        // connects (file_client.py connects first) gets as far as the
        // connect, and is judged on what it does there.
        let _ = std::fs::write(dir.path().join("x.txt"), b"x\n");
        "x.txt\n"
    } else {
        "hi\nexit\n"
    };
    let (out, err) = run_client(s, closed.port, input, dir.path())?;
    // The lab's clients end with a message, not a crash: a traceback (or
    // a Rust panic) is a crash, whatever the exit status.
    if err.contains("Traceback (most recent call last)") || err.contains("panicked at") {
        let raised = exception(&err).unwrap_or_else(|| Why::quoted(shorten(&last_line(&err))));
        return fail(Why::new(
            format!("它带着 traceback 退出，而不是输出一条提示：{}", raised.zh),
            format!(
                "exited with a traceback instead of a message: {}",
                raised.en
            ),
        ));
    }
    if s.program == Program::FileClient {
        return pass_if(
            out.contains("无法连接到服务器，请检查服务器是否运行！"),
            || printed(&out),
        );
    }
    Ok(())
}

pub(super) fn tcp_client_no_reply(s: &Subject) -> Verdict {
    let listener = TcpListener::bind(("127.0.0.1", s.grader_port())).map_err(|e| {
        Outcome::Fail(why!(
            "评分程序无法监听：{e}",
            "the grader cannot listen: {e}"
        ))
    })?;
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
