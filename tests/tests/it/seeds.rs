//! The programs of seeds 001–004 side by side with their Python. The seeds'
//! programs are not the project's code and are not in the repository: the
//! build finds them in `../shared/peers` (or `SOCKET_LAB_PEERS`), and where
//! they or Python are missing, `cargo test` lists these tests as ignored.
//!
//! Each program runs in all four pairings: the seed's client against the
//! seed's server, the Rust client against the seed's server, the seed's
//! client against the Rust server, and Rust with Rust. Every time, the
//! client's and the server's stdout must be the text written here, which
//! is what the seed's programs print (the first pairing proves that),
//! after [`normalise`] replaces what differs from run to run: ports, file
//! descriptors and `ctime()` stamps.

use crate::util::*;
use common::log::Output;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One side of an exchange: a seed's Python program (a file in the
/// peers folder) or a Rust binary with its arguments.
#[derive(Clone, Copy, Debug)]
enum Side {
    Seed(&'static str),
    Rust(&'static str, &'static [&'static str]),
}

/// A seed's server and client, with the Rust twins of both, the input
/// typed into the client and what each side prints.
struct Program {
    seed_server: &'static str,
    rust_server: (&'static str, &'static [&'static str]),
    seed_client: &'static str,
    rust_client: (&'static str, &'static [&'static str]),
    udp: bool,
    input: &'static str,
    client_prints: &'static str,
    server_prints: &'static str,
    /// For a server that prints from a thread per request: how many lines
    /// each request prints. The seed's output is then compared as those
    /// texts written at the same time ([`interleaved`]), the Rust twin's as
    /// whole lines in any order.
    threaded: Option<usize>,
}

/// The folder of the seeds' programs the build found. Only tests marked
/// `ignore` without `seed_peers` call it.
fn peers() -> &'static Path {
    peers_folder().expect("the build found the seeds' peers")
}

/// A copy of a peer in `dir`, every `('127.0.0.1', N)` pointed at `port`.
fn peer(name: &str, dir: &Path, port: u16) -> PathBuf {
    let text = std::fs::read_to_string(peers().join(name)).expect("read peer");
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(&repoint(line, port));
        out.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// Rewrites `('127.0.0.1', 5002)` in a line to `port`.
fn repoint(line: &str, port: u16) -> String {
    let host = "('127.0.0.1', ";
    match line.find(host) {
        Some(at) => {
            let rest = &line[at + host.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            format!("{}{host}{port}{}", &line[..at], &rest[digits..])
        }
        None => line.to_string(),
    }
}

/// What differs from run to run, replaced: numbers of four or more digits
/// (ports) by `N`, `fd=3` by `fd=N`, and a `[Tue Dec  1 10:00:00 2026]`
/// stamp by `[CTIME]`.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '['
            && let Some(stamp) = rest.get(1..25)
            && rest[25..].starts_with(']')
            && chrono::NaiveDateTime::parse_from_str(stamp, "%a %b %e %H:%M:%S %Y").is_ok()
        {
            out.push_str("[CTIME]");
            rest = &rest[26..];
            continue;
        }
        if rest.starts_with("fd=") {
            let digits = rest[3..].bytes().take_while(u8::is_ascii_digit).count();
            out.push_str("fd=N");
            rest = &rest[3 + digits..];
            continue;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits >= 4 {
            out.push('N');
            rest = &rest[digits..];
            continue;
        }
        let len = if digits > 0 { digits } else { c.len_utf8() };
        out.push_str(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

fn start_server(side: Side, udp: bool, dir: &Path) -> (Proc, u16) {
    match side {
        Side::Seed(name) => python_server(udp, |port| python(&peer(name, dir, port), dir)),
        Side::Rust(bin_name, args) => rust_server(bin_name, args),
    }
}

fn client_command(side: Side, port: u16, dir: &Path) -> Command {
    match side {
        Side::Seed(name) => python(&peer(name, dir, port), dir),
        Side::Rust(bin_name, args) => {
            let mut cmd = Command::new(bin(bin_name));
            cmd.args(args).args(["--port", &port.to_string()]);
            cmd
        }
    }
}

/// Whether a server's stdout is what `program` says it prints: exactly,
/// or, for a server with a thread per request, the same lines in any
/// order from Rust (which writes each line whole) and each request's text
/// mixed with the others' from Python (whose `print` writes each argument,
/// separator and newline apart, so threads can cut each other's lines).
fn server_printed(program: &Program, side: Side, stdout: &str) -> bool {
    let printed = normalise(stdout);
    match (program.threaded, side) {
        (None, _) => printed == program.server_prints,
        (Some(_), Side::Rust(..)) => sorted_lines(&printed) == sorted_lines(program.server_prints),
        (Some(lines), Side::Seed(_)) => {
            let all: Vec<&str> = program.server_prints.split_inclusive('\n').collect();
            let threads: Vec<String> = all.chunks(lines).map(|c| c.concat()).collect();
            let threads: Vec<&str> = threads.iter().map(String::as_str).collect();
            interleaved(&printed, &threads).is_ok()
        }
    }
}

/// Runs `program` in all four pairings.
fn check(program: &Program) {
    let dir = tempfile::tempdir().unwrap();
    let servers = [
        Side::Seed(program.seed_server),
        Side::Rust(program.rust_server.0, program.rust_server.1),
    ];
    let clients = [
        Side::Seed(program.seed_client),
        Side::Rust(program.rust_client.0, program.rust_client.1),
    ];
    for server_side in servers {
        for client_side in clients {
            let pairing = format!("{client_side:?} → {server_side:?}");
            let (server, port) = start_server(server_side, program.udp, dir.path());
            let mut client = Proc::spawn(client_command(client_side, port, dir.path()));
            client
                .stdin
                .as_mut()
                .unwrap()
                .write_all(program.input.as_bytes())
                .unwrap();
            let (status, stdout, stderr) = client.finish();
            assert!(status.success(), "{pairing}: the client failed: {stderr}");
            assert_eq!(
                normalise(&stdout),
                program.client_prints,
                "{pairing}: client"
            );
            let printed = wait_for("the server's lines", || {
                let s = server.stdout();
                server_printed(program, server_side, &s).then_some(s)
            });
            assert!(
                printed.is_some(),
                "{pairing}: the server printed {:?}, expected {:?}; stderr: {}",
                normalise(&server.stdout()),
                program.server_prints,
                server.stderr()
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_002_tcp_server_and_client() {
    check(&Program {
        seed_server: "002_tcp_server.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "002"]),
        seed_client: "002_tcp_client.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "002"]),
        udp: false,
        input: "hello\n\nsocket 你好\nq\n",
        client_prints: "请输入内容>>>HELLO\n请输入内容>>>请输入内容>>>SOCKET 你好\n请输入内容>>>",
        server_prints: "服务端启动成功，在N端口等待连接\n\
            连接对象： <socket.socket fd=N, family=2, type=1, proto=0, laddr=('127.0.0.1', N), raddr=('127.0.0.1', N)>\n\
            客户端ip+端口 ('127.0.0.1', N)\n\
            客户端发过来的数据： hello\n\
            客户端发过来的数据： socket 你好\n\
            客户端发过来的数据： q\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_002_socketserver_tcp() {
    check(&Program {
        seed_server: "002_socketserver_tcp.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "002-socketserver"]),
        seed_client: "002_tcp_client.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "002"]),
        udp: false,
        input: "abc\nq\n",
        client_prints: "请输入内容>>>ABC\n请输入内容>>>",
        server_prints: "<socket.socket fd=N, family=2, type=1, proto=0, laddr=('127.0.0.1', N), raddr=('127.0.0.1', N)>\n\
            ('127.0.0.1', N)\n\
            客户端发过来的数据： abc\n\
            客户端发过来的数据： q\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_002_udp_server_and_client() {
    check(&Program {
        seed_server: "002_udp_server.py",
        rust_server: ("udp-basic", &["echo-server", "--seed", "002"]),
        seed_client: "002_udp_client.py",
        rust_client: ("udp-basic", &["echo-client", "--seed", "002"]),
        udp: true,
        input: "hello\n\nq\n",
        client_prints: "请输入内容>>>b'HELLO'\n请输入内容>>>b''\n请输入内容>>>",
        server_prints: "客户端发过来的数据： b'hello'\n客户端发过来的数据： b''\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_002_socketserver_udp() {
    check(&SEED_002_SOCKETSERVER_UDP);
}

const SEED_002_SOCKETSERVER_UDP: Program = Program {
    seed_server: "002_socketserver_udp.py",
    rust_server: ("udp-basic", &["echo-server", "--seed", "002-socketserver"]),
    seed_client: "002_udp_client.py",
    rust_client: ("udp-basic", &["echo-client", "--seed", "002"]),
    udp: true,
    input: "hello\nab\nq\n",
    client_prints: "请输入内容>>>b'HELLO'\n请输入内容>>>b'AB'\n请输入内容>>>",
    server_prints: "客户端发来的数据： b'hello'\n5\n客户端发来的数据： b'ab'\n2\n",
    // A thread per datagram: one datagram's lines may run into the next's.
    threaded: Some(2),
};

/// What seed 002's ThreadingUDPServer printed in two CI runs: the second
/// datagram's thread printed between the first thread's `5` and its
/// newline, and, in the other, between a `print`'s first argument and the
/// space after it. The comparison takes both; it still refuses a lost or
/// changed message, an extra one, and, from the Rust twin, a split line.
#[test]
fn a_threaded_servers_interleaved_prints_still_match() {
    let p = &SEED_002_SOCKETSERVER_UDP;
    let seed = Side::Seed(p.seed_server);
    let rust = Side::Rust(p.rust_server.0, p.rust_server.1);
    let interleaved = "客户端发来的数据： b'hello'\n5客户端发来的数据： b'ab'\n\n2\n";
    assert!(server_printed(p, seed, interleaved));
    let cut_at_the_space = "客户端发来的数据： b'hello'\n客户端发来的数据：5\n b'ab'\n2\n";
    assert!(server_printed(p, seed, cut_at_the_space));
    assert!(!server_printed(p, rust, cut_at_the_space));
    assert!(server_printed(p, seed, p.server_prints));
    let reordered = "客户端发来的数据： b'hello'\n客户端发来的数据： b'ab'\n2\n5\n";
    assert!(server_printed(p, seed, reordered));
    assert!(server_printed(p, rust, reordered));
    assert!(
        !server_printed(p, rust, interleaved),
        "Rust writes lines whole"
    );
    for wrong in [
        "客户端发来的数据： b'hello'\n5\n客户端发来的数据： b'AB'\n2\n",
        "客户端发来的数据： b'hello'\n5\n客户端发来的数据： b'ab'\n",
        "客户端发来的数据： b'hello'\n5\n客户端发来的数据： b'ab'\n2\n2\n",
        "客户端发来的数据： b'hello'\n5\n客户端发来的数据： b'ab'\n2",
    ] {
        assert!(!server_printed(p, seed, wrong), "{wrong:?}");
        assert!(!server_printed(p, rust, wrong), "{wrong:?}");
    }
    // Each thread prints its own datagram's length after its own data.
    let swapped = "客户端发来的数据： b'hello'\n2\n客户端发来的数据： b'ab'\n5\n";
    assert!(!server_printed(p, seed, swapped));
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_003_one_message_server_and_client() {
    check(&Program {
        seed_server: "003_once_server.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "003-once"]),
        seed_client: "003_once_client.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "003-once"]),
        udp: false,
        input: "",
        client_prints: "服务端发来的消息 b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd'\n",
        server_prints: "客户端发来的消息是： b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd'\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_003_server_and_client() {
    check(&Program {
        seed_server: "003_server.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "003"]),
        seed_client: "003_client.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "003"]),
        udp: false,
        input: "abc\n你好\n\n",
        client_prints: ">>:服务端发来的消息 ABC\n>>:服务端发来的消息 你好\n>>:",
        server_prints: "客户端发来的消息是： abc\n客户端发来的消息是： 你好\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_003_socketserver_server_and_client() {
    check(&Program {
        seed_server: "003_socketserver_server.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "003-socketserver"]),
        seed_client: "003_socketserver_client.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "003-socketserver"]),
        udp: false,
        input: "  abc \nxyz\n\n",
        client_prints: ">>: 收到服务端发来的消息： ABC\n>>: 收到服务端发来的消息： XYZ\n>>: ",
        server_prints: "收到客户端的消息是 b'abc'\n收到客户端的消息是 b'xyz'\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_004_tcp_server_and_client() {
    check(&Program {
        seed_server: "004_tcpSerSock.py",
        rust_server: ("tcp-basic", &["echo-server", "--seed", "004"]),
        seed_client: "004_tcpCliSock.py",
        rust_client: ("tcp-basic", &["echo-client", "--seed", "004"]),
        udp: false,
        input: "hello\n\n",
        client_prints: ">Server:  [CTIME] hello\n>",
        server_prints: "Waiting for connection ....\n\
            Connected client from :  ('127.0.0.1', N)\n\
            Client:  hello\n\
            Waiting for connection ....\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_004_udp_server_and_client() {
    check(&Program {
        seed_server: "004_udpSerSock.py",
        rust_server: ("udp-basic", &["echo-server", "--seed", "004"]),
        seed_client: "004_udpCliSock.py",
        rust_client: ("udp-basic", &["echo-client", "--seed", "004"]),
        udp: true,
        input: "hello\n\n",
        client_prints: ">Server :  [CTIME] hello\n>",
        server_prints: "Waiting for message ....\n\
            Get client msg is:  hello\n\
            Received from and returned to:  ('127.0.0.1', N)\n\
            Waiting for message ....\n",
        threaded: None,
    });
}

#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_001_udp_server_and_client() {
    check(&Program {
        seed_server: "001_serverUDP.py",
        rust_server: ("udp-basic", &["echo-server", "--seed", "001"]),
        seed_client: "001_clientUDP.py",
        rust_client: ("udp-basic", &["echo-client", "--seed", "001"]),
        udp: true,
        input: "hello\ntestClientUDP\n",
        client_prints: "输入需要传输的信息: \n\
            收到('127.0.0.1', N) 处返回数据: check\n\
            输入需要传输的信息: \n\
            收到('127.0.0.1', N) 处返回数据: check\n\
            输入需要传输的信息: \n",
        server_prints: "UDP Server正在监听: Host: 127.0.0.1 Port: N\n\
            -----来自IP: 127.0.0.1 Port: N-----\n\
            数据: hello\n\
            -----来自IP: 127.0.0.1 Port: N-----\n\
            数据: testClientUDP\n",
        threaded: None,
    });
}

/// Seed 001's chat, in all four pairings: two messages, each sent once the
/// previous one is acknowledged, then the server stops (Ctrl-C) and the
/// client leaves on its own, as in the report's screenshots.
#[test]
#[cfg_attr(
    any(windows, not(seed_peers)),
    ignore = "needs Python 3, the seeds' programs (../shared/peers or SOCKET_LAB_PEERS), and a signal to stop the server (not on Windows)"
)]
fn seed_001_chat_server_and_client() {
    let dir = tempfile::tempdir().unwrap();
    let servers = [
        Side::Seed("001_serverTCP.py"),
        Side::Rust("tcp-basic", &["chat-server"]),
    ];
    let clients = [
        Side::Seed("001_serverClient.py"),
        Side::Rust("tcp-basic", &["chat-client"]),
    ];
    for server_side in servers {
        for client_side in clients {
            let pairing = format!("{client_side:?} → {server_side:?}");
            let (server, port) = start_server(server_side, false, dir.path());
            let mut client = Proc::spawn(client_command(client_side, port, dir.path()));
            for (n, message) in ["hello", "tcp"].into_iter().enumerate() {
                writeln!(client.stdin.as_mut().unwrap(), "{message}").unwrap();
                client.wait_stdout(&pairing, |s| {
                    s.matches("上一条信息状态: ACK").count() == n + 1
                });
            }
            let server_prints = "TCP Server正在监听: Host: 127.0.0.1 Port: N\n\
                -----来自IP: 127.0.0.1 Port: N 的新连接已经建立-----\n\
                从IP: 127.0.0.1 Port: N 处接受到的信息: hello\n\
                从IP: 127.0.0.1 Port: N 处接受到的信息: tcp\n";
            // Printed before each ACK went out, but read from its pipe by
            // another thread: wait for it (bounded) before comparing.
            let _ = wait_for("the server's lines", || {
                (normalise(&server.stdout()) == server_prints).then_some(())
            });
            assert_eq!(
                normalise(&server.stdout()),
                server_prints,
                "{pairing}: server"
            );
            // SIGTERM, not Ctrl-C's SIGINT: a process started in the
            // background by a script inherits SIGINT ignored, and Python
            // then never raises KeyboardInterrupt. Either way the server's
            // sockets close, and that is what the client sees.
            server.terminate();
            // The client's stdin stays open: it must leave by itself.
            let left = client.wait(WAIT);
            assert!(
                left.is_some_and(|s| s.success()),
                "{pairing}: {left:?} {}",
                client.stderr()
            );
            assert_eq!(
                normalise(&client.stdout()),
                "与IP: 127.0.0.1 PORT: N 成功建立连接!\n\
                 输入要传输的数据\n\
                 上一条信息状态: ACK\n\
                 上一条信息状态: ACK\n\
                 server is shutting down\n\
                 connection has been closed by server\n",
                "{pairing}: client"
            );
        }
    }
}

/// Seed 003 五's download, in all four pairings: the client asks for
/// `课件.txt`, the server (serving from its own folder) sends it raw, and
/// the client saves `新课件.txt` in its folder.
#[test]
#[cfg_attr(
    not(seed_peers),
    ignore = "needs Python 3 and the seeds' programs (../shared/peers or SOCKET_LAB_PEERS)"
)]
fn seed_003_download_server_and_client() {
    let content = "socket 套接字\n".repeat(20);
    let servers = [
        Side::Seed("003_download_server.py"),
        Side::Rust("file-transfer", &["download-server"]),
    ];
    let clients = [
        Side::Seed("003_download_client.py"),
        Side::Rust("file-transfer", &["client", "--seed", "003"]),
    ];
    for server_side in servers {
        for client_side in clients {
            let pairing = format!("{client_side:?} → {server_side:?}");
            let (served, fetched) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            std::fs::write(served.path().join("课件.txt"), &content).unwrap();
            let (mut server, port) = match server_side {
                Side::Seed(name) => python_server(false, |port| {
                    python(&peer(name, served.path(), port), served.path())
                }),
                Side::Rust(..) => rust_server(
                    "file-transfer",
                    &["download-server", "--dir", served.path().to_str().unwrap()],
                ),
            };
            let mut cmd = client_command(client_side, port, fetched.path());
            cmd.current_dir(fetched.path());
            let mut client = Proc::spawn(cmd);
            client
                .stdin
                .as_mut()
                .unwrap()
                .write_all("课件.txt\n".as_bytes())
                .unwrap();
            let (status, stdout, stderr) = client.finish();
            assert!(status.success(), "{pairing}: {stderr}");
            assert_eq!(stdout, "请输入文件名称：", "{pairing}");
            assert_eq!(
                std::fs::read_to_string(fetched.path().join("新课件.txt")).unwrap(),
                content,
                "{pairing}"
            );
            // Both servers serve one client, print nothing, and end.
            let ended = server.wait(WAIT);
            assert!(
                ended.is_some_and(|s| s.success()),
                "{pairing}: {ended:?} {}",
                server.stderr()
            );
            assert_eq!(server.stdout(), "", "{pairing}");
        }
    }
}

/// Rust only: the chat client counts ACKs in the byte stream, so glued
/// ACKs (`ACKACK`, or one cut as `AC` + `K`) still print one line each.
#[test]
fn the_chat_client_prints_one_line_per_ack_however_they_arrive() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let fake = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        // Wait for all three messages (they may come in one piece), then
        // answer them glued together.
        while got.len() < b"onetwothree".len() {
            let n = std::io::Read::read(&mut s, &mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"ACKACKAC").unwrap();
        s.write_all(b"K").unwrap();
        got
    });
    let out = Output::memory();
    let o = out.clone();
    within("the chat client", move || {
        tcp_basic::chat::client(
            addr,
            std::io::Cursor::new(b"one\ntwo\nthree\n".to_vec()),
            WAIT,
            &o,
        )
        .unwrap()
    });
    assert_eq!(fake.join().unwrap(), b"onetwothree");
    let text = out.contents();
    assert_eq!(text.matches("上一条信息状态: ACK\n").count(), 3, "{text}");
    assert!(!text.contains("ACKACK"), "{text}");
}

/// Rust only: a thousand messages as fast as they go. The server may get
/// several in one `recv` (TCP is a stream), and answers each `recv` with
/// one ACK; the client prints exactly one line per ACK that arrives.
#[test]
fn a_fast_chat_gets_one_status_line_per_ack() {
    let running = Running::tcp(|l, s, o| tcp_basic::chat::run(l, &opts(WAIT), s, o));
    let addr = running.addr;
    let input: String = (0..1000).map(|i| format!("m{i};\n")).collect();
    let client_out = Output::memory();
    let o = client_out.clone();
    within("the chat client", move || {
        tcp_basic::chat::client(addr, std::io::Cursor::new(input.into_bytes()), WAIT, &o).unwrap()
    });
    wait_output(&running.out, "the disconnect line", |s| {
        s.contains("处断开连接-----")
    });
    let server = running.stop();
    let client = client_out.contents();
    let acks = client.matches("上一条信息状态: ACK\n").count();
    let received = server.matches("处接受到的信息: ").count();
    assert_eq!(acks, received, "{client}");
    assert!(
        client.lines().skip(2).all(|l| l == "上一条信息状态: ACK"),
        "{client}"
    );
    // Every message arrived, in order, whatever the grouping.
    let all: String = server
        .lines()
        .filter_map(|l| l.split("处接受到的信息: ").nth(1))
        .collect();
    let expected: String = (0..1000).map(|i| format!("m{i};")).collect();
    assert_eq!(all, expected);
}

#[test]
fn seed_003_threads_serves_two_sessions_at_once_and_drops_idle_ones() {
    use tcp_basic::echo::Seed;
    // The idle limit leaves 2 s and more for the second session to be
    // served while the first is open.
    let idle = Duration::from_secs(3);
    let running =
        Running::tcp(move |l, s, o| tcp_basic::echo::run(l, Seed::S003Threads, &opts(idle), s, o));
    // The first client holds its session open while the second is served.
    let mut first = connect(running.addr);
    first.write_all(b"one").unwrap();
    let second_out = Output::memory();
    tcp_basic::echo::client(
        running.addr,
        Seed::S003,
        lines("two\n\n"),
        WAIT,
        &second_out,
    )
    .unwrap();
    assert_eq!(second_out.contents(), ">>:服务端发来的消息 two\n>>:");
    // The first session is still open: a server that served one session
    // at a time would have served the second only after dropping it.
    let mut buf = [0u8; 8];
    use std::io::Read;
    assert_eq!(first.read(&mut buf).unwrap(), 3);
    first.write_all(b"again").unwrap();
    assert_eq!(
        first.read(&mut buf).unwrap(),
        5,
        "the first session was closed"
    );
    // Then the first goes silent and is dropped after the idle limit.
    let started = Instant::now();
    assert_eq!(first.read(&mut buf).unwrap(), 0, "dropped");
    assert!(started.elapsed() < idle + SLACK, "{:?}", started.elapsed());
    // The seed's threaded server prints nothing.
    assert_eq!(running.stop(), "");
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 (python3, python or py -3)"
)]
fn ctime_matches_python() {
    use chrono::TimeZone;
    for ts in [0i64, 1_700_000_000, 1_764_000_000] {
        let out = grader::python::python()
            .unwrap()
            .args(["-c", &format!("import time; print(time.ctime({ts}))")])
            .output()
            .expect("python");
        let python = String::from_utf8(out.stdout).unwrap();
        let rust = common::text::ctime(&chrono::Local.timestamp_opt(ts, 0).unwrap());
        assert_eq!(rust, python.trim_end(), "at {ts}");
    }
}

#[test]
fn the_udp_client_times_out_cleanly() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = silent.local_addr().unwrap();
    let started = Instant::now();
    let err = udp_basic::echo::client(
        addr,
        udp_basic::echo::Seed::S001,
        lines("anyone?\n"),
        Duration::from_millis(300),
        &Output::discard(),
    )
    .unwrap_err();
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
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"anyone?\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn normalise_replaces_only_what_varies() {
    assert_eq!(
        normalise("fd=5 ('127.0.0.1', 54321) [Tue Dec  1 11:30:00 2026] hi 42 b'\\xe4'"),
        "fd=N ('127.0.0.1', N) [CTIME] hi 42 b'\\xe4'"
    );
    assert_eq!(normalise("在5002端口"), "在N端口");
}
