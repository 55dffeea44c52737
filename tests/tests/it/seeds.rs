//! The programs of seeds 001–004: the TCP and UDP echo servers and clients,
//! the chat with ACKs, and (in file.rs) the download. The Python programs of
//! seeds 002 and 003 that run on Python 3 are cut out of the seed texts
//! (next to PY_ORIGINALS) and run against the Rust twins.

use crate::tcp::opts;
use crate::transcript::rust_server;
use crate::util::*;
use common::log::Output;
use common::server::Shutdown;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};
use tcp_basic::echo::Reply;

fn echo_server(
    reply: Reply,
    threaded: bool,
    idle: Duration,
) -> (SocketAddr, Shutdown, Output, thread::JoinHandle<()>) {
    Running::tcp(move |l, s, o| tcp_basic::echo::run(l, reply, threaded, &opts(idle), s, o)).parts()
}

#[test]
fn tcp_echo_upper_keeps_the_session_and_never_sends_empty() {
    let (addr, shutdown, out, handle) = echo_server(Reply::Upper, false, WAIT);
    let client_out = Output::memory();
    tcp_basic::echo::client(
        addr,
        lines("hello\n\nsocket 你好\nq\nnot sent\n"),
        Some(WAIT),
        &client_out,
    )
    .unwrap();
    assert_eq!(
        client_out.contents(),
        "请输入内容>>>HELLO\n请输入内容>>>请输入内容>>>SOCKET 你好\n请输入内容>>>"
    );
    wait_output(&out, "both messages", |s| s.contains("socket 你好"));
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    let text = out.contents();
    assert!(text.contains("连接对象： <socket.socket fd="), "{text}");
    assert!(text.contains("客户端ip+端口 ('127.0.0.1', "), "{text}");
    assert!(
        text.contains("客户端发过来的数据： hello\n客户端发过来的数据： socket 你好\n"),
        "{text}"
    );
}

#[test]
fn tcp_echo_threaded_serves_two_sessions_at_once_and_drops_idle_ones() {
    let (addr, shutdown, _out, handle) = echo_server(Reply::Same, true, Duration::from_millis(400));
    // The first client holds its session open while the second is served.
    let mut first = connect(addr);
    first.write_all(b"one").unwrap();
    let second_out = Output::memory();
    tcp_basic::echo::client(addr, lines("two\n"), Some(WAIT), &second_out).unwrap();
    assert!(second_out.contents().contains("two\n"));
    // Then the first goes silent and is dropped after the idle timeout.
    let mut buf = [0u8; 8];
    use std::io::Read;
    assert_eq!(first.read(&mut buf).unwrap(), 3);
    let started = Instant::now();
    assert_eq!(first.read(&mut buf).unwrap(), 0, "dropped");
    assert!(started.elapsed() < Duration::from_secs(5));
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
}

#[test]
fn ctime_matches_python() {
    use chrono::TimeZone;
    for ts in [0i64, 1_700_000_000, 1_764_000_000] {
        let out = Command::new("python3")
            .args(["-c", &format!("import time; print(time.ctime({ts}))")])
            .output()
            .expect("python3");
        let python = String::from_utf8(out.stdout).unwrap();
        let rust = common::text::ctime(&chrono::Local.timestamp_opt(ts, 0).unwrap());
        assert_eq!(rust, python.trim_end(), "at {ts}");
    }
    // And the server stamps its replies with it.
    let (addr, shutdown, out, handle) = echo_server(Reply::Ctime, false, WAIT);
    let client_out = Output::memory();
    tcp_basic::echo::client(addr, lines("data\n"), Some(WAIT), &client_out).unwrap();
    let reply = client_out.contents();
    let stamp = reply.trim_start_matches(tcp_basic::echo::PROMPT);
    let inner = stamp
        .strip_prefix('[')
        .and_then(|s| s.split_once("] data\n"))
        .map(|(t, _)| t);
    let inner = inner.unwrap_or_else(|| panic!("{reply:?}"));
    assert!(
        chrono::NaiveDateTime::parse_from_str(inner, "%a %b %e %H:%M:%S %Y").is_ok(),
        "{inner}"
    );
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(
        out.contents()
            .starts_with("Waiting for connection ....\nConnected client from :  ('127.0.0.1', ")
    );
    assert!(out.contents().contains("Client:  data\n"));
}

fn udp_echo(
    reply: udp_basic::echo::Reply,
    threaded: bool,
) -> (SocketAddr, Shutdown, Output, thread::JoinHandle<()>) {
    Running::udp(move |socket, s, o| udp_basic::echo::run(socket, reply, threaded, s, o)).parts()
}

#[test]
fn udp_echo_check_prints_seed_001_lines_and_answers_empty_datagrams() {
    use udp_basic::echo::Reply;
    for threaded in [false, true] {
        let (addr, shutdown, out, handle) = udp_echo(Reply::Check, threaded);
        let client_out = Output::memory();
        udp_basic::echo::client(addr, lines("hello\n\nq\n"), WAIT, &client_out).unwrap();
        let port = addr.port();
        assert_eq!(
            client_out.contents(),
            format!(
                "输入需要传输的信息: \n收到('127.0.0.1', {port}) 处返回数据: check\n输入需要传输的信息: \n收到('127.0.0.1', {port}) 处返回数据: check\n输入需要传输的信息: \n"
            )
        );
        wait_output(&out, "two datagrams", |s| s.matches("数据: ").count() == 2);
        shutdown.trigger();
        within("server stop", move || handle.join().unwrap());
        let text = out.contents();
        assert!(
            text.starts_with(&format!(
                "UDP Server正在监听: Host: 127.0.0.1 Port: {port}\n"
            )),
            "{text}"
        );
        assert!(text.contains("-----来自IP: 127.0.0.1 Port: "), "{text}");
        assert!(
            text.contains("数据: hello\n") && text.contains("数据: \n"),
            "{text}"
        );
    }
}

#[test]
fn udp_echo_upper_and_ctime() {
    use udp_basic::echo::Reply;
    let (addr, shutdown, out, handle) = udp_echo(Reply::Upper, false);
    let client_out = Output::memory();
    let big = "x".repeat(3000);
    udp_basic::echo::client(addr, lines(&format!("abc\n{big}\n")), WAIT, &client_out).unwrap();
    assert!(client_out.contents().contains("处返回数据: ABC\n"));
    assert!(
        client_out.contents().contains(&big.to_uppercase()),
        "not cut at 1024 bytes"
    );
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(
        out.contents().starts_with("客户端发过来的数据： b'abc'\n"),
        "{}",
        out.contents()
    );

    let (addr, shutdown, out, handle) = udp_echo(Reply::Ctime, false);
    let client_out = Output::memory();
    udp_basic::echo::client(addr, lines("hi\n"), WAIT, &client_out).unwrap();
    assert!(client_out.contents().contains("] hi\n"));
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(
        out.contents()
            .contains("Get client msg is:  hi\nReceived from and returned to:  ('127.0.0.1', ")
    );
}

#[test]
fn the_udp_client_times_out_cleanly() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let started = Instant::now();
    let err = udp_basic::echo::client(
        addr,
        lines("anyone?\n"),
        Duration::from_millis(300),
        &Output::discard(),
    )
    .unwrap_err();
    assert!(
        matches!(err, udp_basic::echo::ClientError::Timeout { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no reply from"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // As a process: one line on stderr, exit 1.
    let out = Command::new(bin("udp-basic"))
        .args([
            "echo-client",
            "--port",
            &addr.port().to_string(),
            "--timeout",
            "0.3",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"anyone?\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

fn chat_server(idle: Duration) -> (SocketAddr, Shutdown, Output, thread::JoinHandle<()>) {
    Running::tcp(move |l, s, o| tcp_basic::chat::run(l, &opts(idle), s, o)).parts()
}

#[test]
fn a_thousand_chat_messages_get_exactly_a_thousand_acks() {
    let (addr, shutdown, out, handle) = chat_server(WAIT);
    let input: String = (0..1000).map(|i| format!("message {i}\n")).collect();
    let client_out = Output::memory();
    let o = client_out.clone();
    within("the chat client", move || {
        tcp_basic::chat::client(
            addr,
            std::io::Cursor::new(input.into_bytes()),
            Some(WAIT),
            &o,
        )
        .unwrap()
    });
    let text = client_out.contents();
    assert_eq!(text.matches("上一条信息状态: ACK\n").count(), 1000);
    assert!(!text.contains("ACKACK"));
    assert!(text.starts_with(&format!(
        "与IP: 127.0.0.1 PORT: {} 成功建立连接!\n输入要传输的数据\n",
        addr.port()
    )));
    assert!(
        !text.contains("connection has been closed"),
        "the client left by itself: {text}"
    );
    wait_output(&out, "the disconnect line", |s| {
        s.contains("处断开连接-----")
    });
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    let server = out.contents();
    assert_eq!(server.matches("处接受到的信息: message ").count(), 1000);
    assert!(server.contains("处接受到的信息: message 999\n"));
    assert!(server.starts_with(&format!(
        "TCP Server正在监听: Host: 127.0.0.1 Port: {}\n",
        addr.port()
    )));
}

#[test]
fn a_silent_chat_client_is_dropped_and_told_why() {
    let (addr, shutdown, out, handle) = chat_server(Duration::from_millis(300));
    // A client whose stdin never ends (the test holds the writing end).
    let (reader, _keep_open) = std::io::pipe().unwrap();
    let client_out = Output::memory();
    let o = client_out.clone();
    within("the chat client", move || {
        tcp_basic::chat::client(addr, std::io::BufReader::new(reader), Some(WAIT), &o).unwrap()
    });
    let text = client_out.contents();
    assert!(
        text.contains("disconnected by the server\nconnection has been closed by server\n"),
        "{text}"
    );
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(out.contents().contains("处断开连接-----"));
}

#[test]
fn the_shutdown_notice_reaches_three_clients_and_all_exit_within_a_second() {
    let (server, port) = rust_server("tcp-basic", &["chat-server"]);
    let clients: Vec<Proc> = (0..3)
        .map(|_| {
            let mut cmd = Command::new(bin("tcp-basic"));
            cmd.args(["chat-client", "--port", &port.to_string()]);
            let mut p = Proc::spawn(cmd);
            writeln!(p.stdin.as_mut().unwrap(), "hello").unwrap();
            p
        })
        .collect();
    server.wait_stdout("three messages", |s| {
        s.matches("处接受到的信息: hello").count() == 3
    });
    for c in &clients {
        c.wait_stdout("the ACK", |s| s.contains("上一条信息状态: ACK"));
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    server.terminate();
    // The clients' stdin stays open: they must leave on their own. All four
    // processes are gone within a second of the signal.
    let left = || deadline.saturating_duration_since(Instant::now());
    for mut c in clients {
        let status =
            wait_exit(&mut c.child, left()).expect("client exits within a second of SIGTERM");
        assert!(status.success());
        let out = c.stdout();
        assert!(
            out.ends_with("server is shutting down\nconnection has been closed by server\n"),
            "{out}"
        );
    }
    let mut server = server;
    let status =
        wait_exit(&mut server.child, left()).expect("server exits within a second of SIGTERM");
    assert!(status.success(), "{}", server.stderr());
}

/// The `n`-th ```python block of a seed, from the seeds folder beside
/// PY_ORIGINALS, with every `('127.0.0.1', PORT)` pointed at `port`.
fn seed_program(seed: &str, n: usize, port: u16, dir: &Path, name: &str) -> Option<PathBuf> {
    seed_part(seed, n, None, port, dir, name)
}

/// Like [`seed_program`], for a block that holds two programs: the part
/// before (`part` 0) or after (`part` 1) the line that starts with `split`.
fn seed_part(
    seed: &str,
    n: usize,
    part: Option<(&str, usize)>,
    port: u16,
    dir: &Path,
    name: &str,
) -> Option<PathBuf> {
    let originals = originals(&format!("seed {seed} block {n}"))?;
    let seeds = originals.parent()?.join("seeds");
    let file = std::fs::read_dir(&seeds)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(seed))?;
    let text = std::fs::read_to_string(file.path()).ok()?;
    let mut block = text.split("```python").nth(n + 1)?.split("```").next()?;
    if let Some((split, i)) = part {
        let at = block.find(split)?;
        block = if i == 0 { &block[..at] } else { &block[at..] };
    }
    let mut code = String::new();
    for line in block.lines() {
        code.push_str(&repoint(line, port));
        code.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, code).unwrap();
    Some(path)
}

/// Rewrites `('127.0.0.1', 5002)` or `("127.0.0.1",8000)` to `port`.
fn repoint(line: &str, port: u16) -> String {
    for quote in ['\'', '"'] {
        let host = format!("({quote}127.0.0.1{quote},");
        if let Some(at) = line.find(&host) {
            let rest = &line[at + host.len()..];
            let digits = rest
                .trim_start()
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let skip = rest.len() - rest.trim_start().len() + digits;
            return format!("{}{host} {port}{}", &line[..at], &rest[skip..]);
        }
    }
    line.to_string()
}

#[test]
fn seed_002_and_003_python_programs_work_against_the_rust_twins() {
    let tmp = tempfile::tempdir().unwrap();
    // Seed 002 §2.2 client and seed 003 (五) client → Rust echo server (upper).
    let (addr, shutdown, _out, handle) = echo_server(Reply::Upper, true, WAIT);
    let Some(client) = seed_program("002", 1, addr.port(), tmp.path(), "tcp_client_002.py") else {
        return;
    };
    let mut p = Proc::spawn(python(&client, tmp.path()));
    p.stdin.as_mut().unwrap().write_all(b"hello\nq\n").unwrap();
    let (status, stdout, stderr) = p.finish();
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("HELLO"), "{stdout}");
    let client = seed_program("003", 8, addr.port(), tmp.path(), "tcp_client_003.py").unwrap();
    let mut p = Proc::spawn(python(&client, tmp.path()));
    p.stdin.as_mut().unwrap().write_all(b"abc\n\n").unwrap();
    let (status, stdout, stderr) = p.finish();
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("收到服务端发来的消息： ABC"), "{stdout}");
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());

    // Rust echo client → seed 002 §一 server, seed 002 §5.1 and seed 003
    // (五) socketserver servers.
    for (seed, block) in [("002", 0), ("002", 4), ("003", 7)] {
        let port = free_port();
        let server = seed_program(
            seed,
            block,
            port,
            tmp.path(),
            &format!("server_{seed}_{block}.py"),
        )
        .unwrap();
        let p = Proc::spawn(python(&server, tmp.path()));
        wait_bound(port, false);
        let out = Output::memory();
        tcp_basic::echo::client(
            ([127, 0, 0, 1], port).into(),
            lines("hi there\nq\n"),
            Some(WAIT),
            &out,
        )
        .unwrap();
        assert!(
            out.contents().contains("HI THERE\n"),
            "{seed} block {block}: {}",
            out.contents()
        );
        drop(p);
    }

    // Rust UDP echo client → seed 002 §5.2 ThreadingUDPServer.
    let port = free_port();
    let server = seed_program("002", 5, port, tmp.path(), "udp_server_002.py").unwrap();
    let p = Proc::spawn(python(&server, tmp.path()));
    wait_bound(port, true);
    let out = Output::memory();
    udp_basic::echo::client(([127, 0, 0, 1], port).into(), lines("udp\n"), WAIT, &out).unwrap();
    assert!(
        out.contents().contains("处返回数据: UDP\n"),
        "{}",
        out.contents()
    );
    p.wait_stdout("the datagram", |s| s.contains("b'udp'"));
}

#[test]
fn the_seeds_one_shot_and_udp_programs_work_against_the_rust_twins() {
    let tmp = tempfile::tempdir().unwrap();
    // Seed 003 三(二): the one-shot client against the Rust echo server, and
    // the Rust echo client against the one-shot server.
    let (addr, shutdown, out, handle) = echo_server(Reply::Upper, false, WAIT);
    let Some(client) = seed_program("003", 1, addr.port(), tmp.path(), "oneshot_client.py") else {
        return;
    };
    let (status, stdout, stderr) = Proc::spawn(python(&client, tmp.path())).finish();
    assert!(status.success(), "{stderr}");
    // It prints the bytes it got back: 你好 in upper case is still 你好.
    assert!(
        stdout.contains("服务端发来的消息 b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd'"),
        "{stdout}"
    );
    wait_output(&out, "the message", |s| {
        s.contains("客户端发过来的数据： 你好")
    });
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    let port = free_port();
    let server = seed_program("003", 0, port, tmp.path(), "oneshot_server.py").unwrap();
    let p = Proc::spawn(python(&server, tmp.path()));
    wait_bound(port, false);
    let out = Output::memory();
    tcp_basic::echo::client(
        ([127, 0, 0, 1], port).into(),
        lines("abc\nq\n"),
        Some(WAIT),
        &out,
    )
    .unwrap();
    assert!(out.contents().contains("ABC\n"), "{}", out.contents());
    let (status, _, stderr) = p.finish();
    assert!(status.success(), "{stderr}");

    // Seed 002 §二: its UDP server and client share one block.
    let split = Some(("## UDP客户端", 0));
    let port = free_port();
    let server = seed_part("002", 2, split, port, tmp.path(), "udp_server_002.py").unwrap();
    let p = Proc::spawn(python(&server, tmp.path()));
    wait_bound(port, true);
    let out = Output::memory();
    udp_basic::echo::client(
        ([127, 0, 0, 1], port).into(),
        lines("hello\n\n"),
        WAIT,
        &out,
    )
    .unwrap();
    assert!(
        out.contents().contains("处返回数据: HELLO\n"),
        "{}",
        out.contents()
    );
    p.wait_stdout("both datagrams", |s| {
        s.contains("b'hello'") && s.contains("b''")
    });

    let socket = udp();
    let port = socket.local_addr().unwrap().port();
    let shutdown = Shutdown::new();
    let server_out = Output::memory();
    let (s, o) = (shutdown.clone(), server_out.clone());
    let handle = thread::spawn(move || {
        udp_basic::echo::run(socket, udp_basic::echo::Reply::Upper, false, &s, &o)
    });
    let client = seed_part(
        "002",
        2,
        Some(("## UDP客户端", 1)),
        port,
        tmp.path(),
        "udp_client_002.py",
    )
    .unwrap();
    let mut p = Proc::spawn(python(&client, tmp.path()));
    p.stdin.as_mut().unwrap().write_all(b"hi\nq\n").unwrap();
    let (status, stdout, stderr) = p.finish();
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("b'HI'"), "{stdout}");
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(server_out.contents().contains("客户端发过来的数据： b'hi'"));
}
