//! multithread and threadpool-server (the pool and the event-driven
//! server) end to end, Rust against Rust.

use crate::util::*;
use common::cli::ServerOpts;
use common::log::Output;
use common::stop::Stop;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

type Server = fn(&TcpListener, &ServerOpts, &Stop, &Output);

fn multi(l: &TcpListener, o: &ServerOpts, s: &Stop, out: &Output) {
    multithread::server::run(l, o, Duration::ZERO, s, out)
}

fn pool10(l: &TcpListener, o: &ServerOpts, s: &Stop, out: &Output) {
    threadpool_server::run(l, threadpool_server::WORKERS, o, Duration::ZERO, s, out)
}

fn event(l: &TcpListener, o: &ServerOpts, s: &Stop, out: &Output) {
    threadpool_server::event::run(l, o, Duration::ZERO, s, out).expect("the event loop starts")
}

/// Thread per connection, the pool, and the event-driven server: the same
/// wire and the same lines.
const SERVERS: [(&str, Server); 3] = [
    ("multithread", multi),
    ("threadpool", pool10),
    ("event", event),
];

fn start(server: Server, idle: Duration) -> Running {
    Running::tcp(move |l, s, o| server(l, &opts(idle), s, o))
}

#[test]
fn twenty_clients_sign_in_on_both_servers() {
    for (name, server) in SERVERS {
        let running = start(server, WAIT);
        let client_out = Output::memory();
        let failed = multithread::client::run(running.addr, 20, WAIT, &client_out);
        assert_eq!(failed, 0, "{name}");
        running.settle();
        let server = running.stop();
        let client = client_out.contents();
        for i in 0..20 {
            // Each client's three lines, each with its blank line after it.
            for line in [
                format!("客户端{i}发送签到请求成功\n\n"),
                format!("客户端{i}成功签到，接收消息:你已签到\n\n"),
                format!("客户端{i}断开连接成功\n\n"),
            ] {
                assert!(client.contains(&line), "{name}: {line:?} in {client}");
            }
            let request = format!("的信息,内容为:拔尖班{i}号签到\n\n");
            assert!(server.contains(&request), "{name}: {server}");
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
    let running = start(pool10, WAIT);
    multithread::client::sign_in(running.addr, 7, WAIT, &Output::discard()).unwrap();
    wait_output(&running.out, "the connection line", |s| {
        s.contains("连接成功")
    });
    let out = running.stop();
    let line = out.lines().find(|l| l.contains("连接成功")).unwrap();
    assert!(line.starts_with("客户端:\t\t('127.0.0.1', "), "{line}");
    let running = start(multi, WAIT);
    multithread::client::sign_in(running.addr, 7, WAIT, &Output::discard()).unwrap();
    assert!(running.stop().contains("连接成功\n\n"));
}

#[test]
fn the_pool_serves_at_most_its_size_at_once_and_an_idle_client_is_dropped() {
    let idle = Duration::from_millis(500);
    let running = start(pool10, idle);
    // Taken before the silent clients connect, so every one of their idle
    // clocks starts after it: no worker is free before `started + idle`.
    let started = Instant::now();
    let silent: Vec<_> = (0..10).map(|_| connect(running.addr)).collect();
    // The eleventh waits for a worker: the ten silent ones hold them all
    // until the idle limit frees them.
    multithread::client::sign_in(running.addr, 11, WAIT, &Output::discard()).unwrap();
    let waited = started.elapsed();
    assert!(waited >= idle, "served at once: {waited:?}");
    assert!(waited < idle + Duration::from_secs(5), "{waited:?}");
    for mut s in silent {
        // Dropped: the end of the stream (or a reset), never a read that
        // timed out (connect sets a read timeout of WAIT).
        let mut buf = [0u8; 1];
        match s.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("the silent client was not dropped: {other:?}"),
        }
    }
    running.stop();
}

#[test]
fn thread_per_connection_serves_past_ten_silent_clients_at_once() {
    // A server that blocked on the silent clients would serve the eleventh
    // only when the idle limit dropped them.
    let idle = WAIT;
    let running = start(multi, idle);
    let _silent: Vec<_> = (0..10).map(|_| connect(running.addr)).collect();
    let started = Instant::now();
    multithread::client::sign_in(running.addr, 11, WAIT, &Output::discard()).unwrap();
    assert!(started.elapsed() < idle - SLACK, "{:?}", started.elapsed());
    running.stop();
}

#[test]
fn the_client_reports_failures_instead_of_hanging() {
    // A server that accepts and closes without answering.
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let closer = thread::spawn(move || {
        for _ in 0..3 {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(WAIT)).unwrap();
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
        }
    });
    let failed = within("client", move || {
        multithread::client::run(addr, 3, WAIT, &Output::discard())
    });
    assert_eq!(failed, 3);
    closer.join().unwrap();
    // Nobody listening: every client fails at once.
    let dead = closed_port();
    let failed = multithread::client::run(
        ([127, 0, 0, 1], dead.port).into(),
        2,
        WAIT,
        &Output::discard(),
    );
    assert_eq!(failed, 2);
}

#[test]
fn a_client_that_sends_garbage_and_resets_does_not_hurt_the_servers() {
    for (name, server) in SERVERS {
        let running = start(server, WAIT);
        for _ in 0..5 {
            let mut s = connect(running.addr);
            s.write_all(b"\xff\x00\x1b").unwrap();
            drop(s);
        }
        let failed = multithread::client::run(running.addr, 5, WAIT, &Output::discard());
        assert_eq!(failed, 0, "{name}");
        running.stop();
    }
}
