//! Each Rust client against its Python server, and each Python client
//! against its Rust server, for all five exercises of the main lab. The
//! scripts come from PY_ORIGINALS; only their address (and `base_path`) is
//! rewritten.

use crate::file::{FileServer, write_file};
use crate::util::*;
use common::log::Output;
use common::stop::Stop;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::Duration;

fn loopback(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}

/// Starts a Python server script on a free port and waits until it is bound.
fn original_server(originals: &Path, script: &str, dir: &Path, udp: bool) -> (Proc, u16) {
    python_server(udp, |port| {
        let path = python_script(originals, script, dir, port, Some(&dir.join("save")));
        python(&path, dir)
    })
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn tcp_both_directions() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    // Rust client → Python server.
    let (server, port) = original_server(&py, "tcp_server.py", tmp.path(), false);
    let out = Output::memory();
    tcp_basic::client::run(loopback(port), WAIT, &out).unwrap();
    assert_eq!(out.contents(), "不要回答,不要回答,不要回答\n");
    server.wait_stdout("the Python server to print the request", |s| {
        s.contains("请求占领地球\n")
    });
    // Python client → Rust server.
    let listener = listener();
    let port = listener.local_addr().unwrap().port();
    let stop = Stop::new(Duration::from_secs(1));
    let server_out = Output::memory();
    let (s, o) = (stop.clone(), server_out.clone());
    let handle = thread::spawn(move || tcp_basic::server::run(&listener, &opts(WAIT), &s, &o));
    let script = python_script(&py, "tcp_client.py", tmp.path(), port, None);
    let (status, stdout, stderr) = Proc::spawn(python(&script, tmp.path())).finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "不要回答,不要回答,不要回答\n");
    stop.trigger();
    within("server stop", move || handle.join().unwrap());
    assert!(server_out.contents().contains("请求占领地球\n"));
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn udp_both_directions() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let (server, port) = original_server(&py, "udp_server.py", tmp.path(), true);
    udp_basic::client::run(
        loopback(port),
        lines("hi,zlz\n你好\nexit\n"),
        &Output::discard(),
    )
    .unwrap();
    server.wait_stdout("the Python server to print both datagrams", |s| {
        s == "hi,zlz\n你好\n"
    });

    let socket = udp();
    let port = socket.local_addr().unwrap().port();
    let stop = Stop::new(Duration::from_secs(1));
    let out = Output::memory();
    let (s, o) = (stop.clone(), out.clone());
    let handle = thread::spawn(move || udp_basic::server::run(&socket, 1024, &s, &o));
    let script = python_script(&py, "udp_client.py", tmp.path(), port, None);
    let mut client = Proc::spawn(python(&script, tmp.path()));
    use std::io::Write;
    client
        .stdin
        .as_mut()
        .unwrap()
        .write_all("  hi,zlz \n你好\nexit\n".as_bytes())
        .unwrap();
    let (status, stdout, stderr) = client.finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "数据：数据：数据：");
    wait_output(&out, "both datagrams", |s| s == "hi,zlz\n你好\n");
    stop.trigger();
    within("server stop", move || handle.join().unwrap());
}

fn signin_both_directions(
    server_script: &str,
    rust_server: fn(&std::net::TcpListener, &Stop, &Output),
) {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let (server, port) = original_server(&py, server_script, tmp.path(), false);
    let out = Output::memory();
    assert_eq!(multithread::client::run(loopback(port), 20, WAIT, &out), 0);
    assert_eq!(
        out.contents()
            .matches("成功签到，接收消息:你已签到")
            .count(),
        20
    );
    server.wait_stdout("twenty sign-ins", |s| s.matches("的连接关闭").count() == 20);

    let listener = listener();
    let port = listener.local_addr().unwrap().port();
    let stop = Stop::new(Duration::from_secs(1));
    let server_out = Output::memory();
    let (s, o) = (stop.clone(), server_out.clone());
    let handle = thread::spawn(move || rust_server(&listener, &s, &o));
    let script = python_script(&py, "multithread_client.py", tmp.path(), port, None);
    let (status, stdout, stderr) = Proc::spawn(python(&script, tmp.path())).finish();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout.matches("成功签到，接收消息:你已签到").count(),
        20,
        "{stdout}"
    );
    wait_output(&server_out, "twenty closes", |s| {
        s.matches("的连接关闭").count() == 20
    });
    stop.trigger();
    within("server stop", move || handle.join().unwrap());
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn multithread_both_directions() {
    signin_both_directions("multithread_server.py", |l, s, o| {
        multithread::server::run(l, &opts(WAIT), Duration::ZERO, s, o)
    });
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn threadpool_both_directions() {
    signin_both_directions("threadpool_server.py", |l, s, o| {
        threadpool_server::run(l, 10, &opts(WAIT), Duration::ZERO, s, o)
    });
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn file_transfer_both_directions() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
    let path = write_file(src.path(), "实验报告.pdf", &payload);

    // Rust client (--legacy) → Python server.
    let (server, port) = original_server(&py, "file_server.py", tmp.path(), false);
    let cfg = file_transfer::client::Config {
        server: loopback(port),
        legacy: true,
        timeout: WAIT,
    };
    let out = Output::memory();
    file_transfer::client::upload(&cfg, &path, &out).unwrap();
    server.wait_stdout("the Python server to finish", |s| {
        s.contains("upload successed.")
    });
    assert_eq!(
        std::fs::read(tmp.path().join("save").join("实验报告.pdf")).unwrap(),
        payload
    );
    assert!(
        out.contents().contains("服务器确认: 实验报告.pdf已发送\n"),
        "{}",
        out.contents()
    );

    // Python client → Rust server.
    let srv = FileServer::start(None, WAIT);
    let script = python_script(&py, "file_client.py", tmp.path(), srv.addr.port(), None);
    let mut client = Proc::spawn(python(&script, tmp.path()));
    use std::io::Write;
    writeln!(client.stdin.as_mut().unwrap(), "{}", path.display()).unwrap();
    let (status, stdout, stderr) = client.finish();
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.contains(
            "服务器最终确认: 实验报告.pdf 已保存，5000 字节，未校验 md5\n文件上传成功！\n"
        ),
        "{stdout}"
    );
    srv.settle();
    assert_eq!(
        std::fs::read(srv.save_dir().join("实验报告.pdf")).unwrap(),
        payload
    );
}
