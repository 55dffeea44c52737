//! The checks every TCP server gets (hostile clients, a second client, no
//! spin, a port in use), and those of 2.1's server and client.

use super::*;

/// A normal client of the program: the lab's first request, on a new
/// connection (for the file server, a whole 5-byte upload); true when
/// anything came back.
pub(super) fn answers(s: &Subject, addr: SocketAddr) -> bool {
    let t = &s.transcript;
    if s.program == Program::FileServer {
        return legacy_upload(t, addr, "probe.txt", b"probe", 5)
            .is_ok_and(|u| !u.confirmation.is_empty());
    }
    let (request, _) = first_exchange(s.program);
    exchange(t, addr, &request, false).is_ok_and(|r| !r.bytes.is_empty())
}

/// Evidence for a judgement: a fresh copy of the program, given two
/// ordinary clients (TCP) or datagrams (UDP), serves the second (or, for
/// UDP, is still running after both).
pub(super) fn serves_a_second_client(s: &Subject) -> bool {
    let t = &s.transcript;
    let udp = s.program.is_udp();
    let Ok(mut server) = start_server(s, udp) else {
        return false;
    };
    if udp {
        let _ = udp_send(t, server.addr, &[b"hello", b"again"]);
        return server.proc.wait_exit(Duration::from_millis(500)).is_none();
    }
    answers(s, server.addr) && answers(s, server.addr)
}

pub(super) fn keeps_serving(s: &Subject) -> Verdict {
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
pub(super) enum Hostile {
    Bytes(&'static [u8]),
    Empty,
    Reset,
}

/// The hostile client, then a normal exchange: the server must still
/// answer. A server that serves one client and ends is not graded here.
pub(super) fn survives(s: &Subject, hostile: Hostile) -> Verdict {
    let t = &s.transcript;
    let mut server = start_server(s, false)?;
    let what = match hostile {
        Hostile::Bytes(bytes) => {
            if let Ok(mut sk) = connect(server.addr) {
                t.note(format!(
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
            t.note("connected and closed without sending anything");
            drop(connect(server.addr));
            "an empty connection"
        }
        Hostile::Reset => {
            t.note("connected and reset the connection (RST) without sending anything");
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
pub(super) fn cpu_share(server: &Server) -> Option<f64> {
    let before = server.proc.cpu()?;
    let started = Instant::now();
    // Measuring needs time to pass: this is a measurement, not a wait.
    thread::sleep(Duration::from_secs(2));
    let used = server.proc.cpu()?.saturating_sub(before);
    Some(used.as_secs_f64() / started.elapsed().as_secs_f64())
}

pub(super) fn judge_spin(server: &Server, after: &str) -> Verdict {
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

pub(super) fn no_spin_after_a_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    // One normal client, which leaves once answered.
    answers(s, server.addr);
    judge_spin(&server, "a client left")
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
    let (port, _held) =
        held.map_err(|e| Outcome::Skip(format!("the grader could not take the port first: {e}")))?;
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
    pass_if(proc.wait_exit(START).is_some(), || {
        format!("still running {START:?} after its port was found taken")
    })
}

/// The lab's 2.1 request and reply, as the port defines them.
pub(super) use tcp_basic::client::REQUEST;
pub(super) use tcp_basic::server::REPLY;

pub(super) fn tcp_server_replies(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = start_server(s, false)?;
    let reply = exchange(t, server.addr, REQUEST.as_bytes(), true)?;
    expect_reply(&reply, REQUEST.as_bytes(), REPLY.as_bytes(), true)
}

pub(super) fn tcp_server_prints(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = start_server(s, false)?;
    // What it replies is another check's business: this one reads stdout.
    let _ = exchange(t, server.addr, REQUEST.as_bytes(), true);
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

pub(super) fn tcp_server_rust_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = Output::memory();
    match refusal_retried(|| tcp_basic::client::run(server.addr, STEP, &out)) {
        Ok(()) => pass_if(out.contents() == format!("{REPLY}\n"), || {
            format!(
                "the Rust client printed {}",
                shown(out.contents().as_bytes())
            )
        }),
        Err(e) => fail(format!("the Rust client failed: {e:#}")),
    }
}

pub(super) fn tcp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, false)?;
    let out = python_original(s, "tcp_client.py", server.addr.port(), "")?;
    pass_if(out == format!("{REPLY}\n"), || {
        format!("tcp_client.py printed {}", shown(out.as_bytes()))
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
    let server = start_server(&original, false)
        .map_err(|o| Outcome::Skip(format!("the Python server did not start: {o:?}")))?;
    let dir = scratch();
    let (out, _) = run_client(s, server.addr.port(), "", dir.path())?;
    pass_if(out.replace("\r\n", "\n") == format!("{REPLY}\n"), || {
        format!("printed {}", shown(out.as_bytes()))
    })
}

pub(super) fn client_without_server(s: &Subject) -> Verdict {
    // Held until the client has run, so no other program can listen there.
    let closed = crate::ports::closed_port();
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

pub(super) fn tcp_client_no_reply(s: &Subject) -> Verdict {
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
