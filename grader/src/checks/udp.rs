//! The checks of 2.2's UDP server and client.

use super::*;

pub(super) fn udp_server_prints(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    udp_send(&server, &["hello".as_bytes(), "你好，UDP".as_bytes()])?;
    let expected = "hello\n你好，UDP\n";
    let ok = server
        .proc
        .wait_stdout(STEP, |o| o.replace("\r\n", "\n") == expected);
    pass_if(ok, || {
        let (printed, expected) = (
            shown(server.proc.stdout().as_bytes()),
            shown(expected.as_bytes()),
        );
        why!(
            "收到数据报 'hello' 和 '你好，UDP' 后输出了 {printed}（应输出 {expected}）",
            "printed {printed} for the datagrams 'hello' and '你好，UDP' (expected {expected})"
        )
    })
}

pub(super) fn udp_server_python_client(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    python_original(s, "udp_client.py", server.addr.port(), "hi,zlz\nexit\n")?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("hi,zlz"));
    pass_if(ok, || printed(&server.proc.stdout()))
}

pub(super) fn udp_server_invalid_utf8(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    udp_send(&server, &[b"\xff\xfe\x00", b"after"])?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    if !ok && let Some(outcome) = server.exited(s, &why!("无效的 UTF-8 数据", "invalid UTF-8"))
    {
        return Err(outcome);
    }
    pass_if(ok, || {
        why!(
            "没有输出紧跟在 b'\\xff\\xfe\\x00' 之后的数据报 'after'",
            "did not print the datagram 'after' that followed b'\\xff\\xfe\\x00'"
        )
    })
}

pub(super) fn udp_server_long_datagram(s: &Subject) -> Verdict {
    let mut server = start_server(s, true)?;
    let long = vec![b'a'; 2000];
    udp_send(&server, &[&long, b"after"])?;
    let ok = server.proc.wait_stdout(STEP, |o| o.contains("after"));
    let long_one = why!("一个 2000 字节的数据报", "a 2000-byte datagram");
    if !ok && let Some(outcome) = server.exited(s, &long_one) {
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
        why!(
            "2000 字节的数据报保留了 {kept} 字节（recv(1024) 保留 1024 字节）",
            "kept {kept} bytes of a 2000-byte datagram (recv(1024) keeps 1024)"
        )
    })
}

pub(super) fn udp_no_spin(s: &Subject) -> Verdict {
    let server = start_server(s, true)?;
    udp_send(&server, &[b"hello"])?;
    judge_spin(&server, &why!("收到一个数据报", "a datagram"))
}

/// A UDP socket that takes what the client sends, and its port.
pub(super) fn udp_client_sends(s: &Subject) -> Verdict {
    let (sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    let (out, _) = run_client(s, port, "  hi,zlz  \n你好\nexit\n", dir.path())?;
    let got = received(&sink);
    if got != [b"hi,zlz".to_vec(), "你好".as_bytes().to_vec()] {
        let sent = all_shown(&got);
        return fail(why!(
            "对输入的 '  hi,zlz  '、'你好'、'exit' 三行发送了 {sent}（应发送 ['hi,zlz', '你好']）",
            "sent {sent} for the lines '  hi,zlz  ', '你好', 'exit' (expected ['hi,zlz', '你好'])"
        ));
    }
    pass_if(out.starts_with("数据：数据：数据："), || {
        printed(&out)
    })
}

pub(super) fn udp_client_exit(s: &Subject) -> Verdict {
    let (sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    run_client(s, port, "one\nexit\nnot sent\n", dir.path())?;
    let got = received(&sink);
    pass_if(got == [b"one".to_vec()], || {
        let sent = all_shown(&got);
        why!(
            "对 'one'、'exit'、'not sent' 发送了 {sent}（应发送 ['one']）",
            "sent {sent} for 'one', 'exit', 'not sent' (expected ['one'])"
        )
    })
}

pub(super) fn udp_client_eof(s: &Subject) -> Verdict {
    let t = &s.transcript;
    let (_sink, port) = udp_sink(s.grader_port())?;
    let dir = scratch();
    let launch = s.launch.placed_in(dir.path());
    let mut proc = Running::start(launch.command(port), t).map_err(Outcome::Fail)?;
    proc.type_in("one\n");
    proc.close_stdin();
    match proc.wait_exit(RUN) {
        None => fail(why!("输入结束后卡住了", "hung at the end of input")),
        Some(status) if status.success() => Ok(()),
        Some(status) => {
            let how = ended(status);
            fail(match exception(&proc.stderr()) {
                Some(name) => Why::new(
                    format!("输入结束时{}：{}", how.zh, name.zh),
                    format!("{} at the end of input: {}", how.en, name.en),
                ),
                None => Why::new(
                    format!("输入结束时{}", how.zh),
                    format!("{} at the end of input", how.en),
                ),
            })
        }
    }
}
