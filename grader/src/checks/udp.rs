//! The checks of 2.2's UDP server and client.

use super::*;

pub(super) fn udp_server_prints(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = start_server(s, true)?;
    udp_send(
        t,
        server.addr,
        &["hello".as_bytes(), "你好，UDP".as_bytes()],
    )?;
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

pub(super) fn udp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    python_original(s, "udp_client.py", server.addr.port(), "hi,zlz\nexit\n")?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("hi,zlz"));
    pass_if(ok, || {
        format!("printed {}", shown(server.proc.stdout().as_bytes()))
    })
}

pub(super) fn udp_server_invalid_utf8(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let mut server = start_server(s, true)?;
    udp_send(t, server.addr, &[b"\xff\xfe\x00", b"after"])?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if !ok && let Some(outcome) = server.exited(s, "invalid UTF-8") {
        return Err(outcome);
    }
    pass_if(ok, || {
        "did not print the datagram 'after' that followed b'\\xff\\xfe\\x00'".into()
    })
}

pub(super) fn udp_server_long_datagram(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let mut server = start_server(s, true)?;
    let long = vec![b'a'; 2000];
    udp_send(t, server.addr, &[&long, b"after"])?;
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

pub(super) fn udp_no_spin(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let server = start_server(s, true)?;
    udp_send(t, server.addr, &[b"hello"])?;
    judge_spin(&server, "a datagram")
}

/// A UDP socket that takes what the client sends, and its port.
pub(super) fn udp_client_sends(s: &Subject) -> Verdict {
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

pub(super) fn udp_client_exit(s: &Subject) -> Verdict {
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

pub(super) fn udp_client_eof(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let (_sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    let mut launch = s.launch.clone();
    launch.cwd = dir.path().to_path_buf();
    let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
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
