//! multithread and threadpool-server end to end, Rust against Rust.

use crate::tcp::opts;
use crate::util::*;
use common::log::Output;
use common::server::Shutdown;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

type Server = fn(&TcpListener, &common::cli::ServerOpts, &Shutdown, &Output);

fn multi(l: &TcpListener, o: &common::cli::ServerOpts, s: &Shutdown, out: &Output) {
    multithread::run(l, o, Duration::ZERO, s, out)
}

fn pool10(l: &TcpListener, o: &common::cli::ServerOpts, s: &Shutdown, out: &Output) {
    threadpool_server::run(l, threadpool_server::WORKERS, o, Duration::ZERO, s, out)
}

const SERVERS: [(&str, Server); 2] = [("multithread", multi), ("threadpool", pool10)];

fn start(
    server: Server,
    idle: Duration,
) -> (
    std::net::SocketAddr,
    Shutdown,
    Output,
    thread::JoinHandle<()>,
) {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let out = Output::memory();
    let (s, o) = (shutdown.clone(), out.clone());
    let handle = thread::spawn(move || server(&listener, &opts(idle), &s, &o));
    (addr, shutdown, out, handle)
}

#[test]
fn twenty_clients_sign_in_on_both_servers() {
    for (name, server) in SERVERS {
        let (addr, shutdown, out, handle) = start(server, WAIT);
        let client_out = Output::memory();
        let failed = multithread::client(addr, 20, Some(WAIT), &client_out);
        assert_eq!(failed, 0, "{name}");
        shutdown.trigger();
        within("server stop", move || handle.join().unwrap());
        let client = client_out.contents();
        let server = out.contents();
        for i in 0..20 {
            assert!(
                client.contains(&format!("客户端{i}发送签到请求成功\n\n")),
                "{name}: {client}"
            );
            assert!(
                client.contains(&format!("客户端{i}成功签到，接收消息:你已签到\n\n")),
                "{name}"
            );
            assert!(
                client.contains(&format!("客户端{i}断开连接成功\n\n")),
                "{name}"
            );
            assert!(
                server.contains(&format!("的信息,内容为:拔尖班{i}号签到\n\n")),
                "{name}: {server}"
            );
        }
        assert_eq!(
            client.lines().count(),
            120,
            "{name}: three lines and three blank ones per client"
        );
        assert!(server.starts_with("server waiting...\n"), "{name}");
        assert_eq!(server.matches("连接成功").count(), 20, "{name}");
        assert_eq!(server.matches("回复消息").count(), 20, "{name}");
        assert_eq!(server.matches("的连接关闭").count(), 20, "{name}");
    }
}

#[test]
fn the_pool_prints_its_accept_line_without_a_blank_line() {
    let (addr, shutdown, out, handle) = start(pool10, WAIT);
    multithread::signin(addr, 7, Some(WAIT), &Output::discard()).unwrap();
    wait_output(&out, "the connection line", |s| s.contains("连接成功"));
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
    let line = out
        .contents()
        .lines()
        .find(|l| l.contains("连接成功"))
        .unwrap()
        .to_string();
    assert!(line.starts_with("客户端:\t\t('127.0.0.1', "), "{line}");
    let (multi_addr, multi_stop, multi_out, multi) = start(multi, WAIT);
    multithread::signin(multi_addr, 7, Some(WAIT), &Output::discard()).unwrap();
    multi_stop.trigger();
    within("server stop", move || multi.join().unwrap());
    assert!(multi_out.contents().contains("连接成功\n\n"));
}

#[test]
fn ten_silent_clients_cannot_starve_the_pool_past_the_idle_timeout() {
    let (addr, shutdown, _out, handle) = start(pool10, Duration::from_millis(500));
    let silent: Vec<_> = (0..10).map(|_| connect(addr)).collect();
    // The eleventh is served once the idle timeout frees a worker.
    let started = std::time::Instant::now();
    multithread::signin(addr, 11, Some(WAIT), &Output::discard()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    for mut s in silent {
        let mut buf = [0u8; 1];
        assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "silent client dropped");
    }
    shutdown.trigger();
    within("server stop", move || handle.join().unwrap());
}

#[test]
fn the_client_reports_failures_instead_of_hanging() {
    // A server that accepts and closes without answering.
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let closer = thread::spawn(move || {
        for _ in 0..3 {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
        }
    });
    let failed = within("client", move || {
        multithread::client(addr, 3, Some(WAIT), &Output::discard())
    });
    assert_eq!(failed, 3);
    closer.join().unwrap();
    // Nobody listening: every client fails at once.
    let dead = free_port();
    let failed = multithread::client(
        ([127, 0, 0, 1], dead).into(),
        2,
        Some(WAIT),
        &Output::discard(),
    );
    assert_eq!(failed, 2);
}

#[test]
fn a_client_that_sends_garbage_and_resets_does_not_hurt_the_servers() {
    for (name, server) in SERVERS {
        let (addr, shutdown, _out, handle) = start(server, WAIT);
        for _ in 0..5 {
            let mut s = connect(addr);
            s.write_all(b"\xff\x00\x1b").unwrap();
            drop(s);
        }
        let failed = multithread::client(addr, 5, Some(WAIT), &Output::discard());
        assert_eq!(failed, 0, "{name}");
        shutdown.trigger();
        within("server stop", move || handle.join().unwrap());
    }
}
