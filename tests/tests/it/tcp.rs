//! tcp-basic end to end, Rust against Rust, in process.

use crate::util::*;
use common::cli::ServerOpts;
use common::log::Output;
use common::server::Shutdown;
use std::io::{Read, Write};
use std::net::{Shutdown as Half, TcpListener};
use std::thread;
use std::time::Duration;

pub fn opts(idle: Duration) -> ServerOpts {
    ServerOpts {
        backlog: 1024,
        idle_timeout: idle,
        grace: Duration::from_secs(2),
    }
}

/// Runs the basic server on its own thread; returns what stops it.
fn start(listener: TcpListener, idle: Duration) -> (Shutdown, Output, thread::JoinHandle<()>) {
    let shutdown = Shutdown::new();
    let out = Output::memory();
    let (s, o) = (shutdown.clone(), out.clone());
    let handle = thread::spawn(move || tcp_basic::basic::run(&listener, &opts(idle), &s, &o));
    (shutdown, out, handle)
}

#[test]
fn client_and_server_exchange_the_lab_messages() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let (shutdown, server_out, server) = start(listener, WAIT);
    let client_out = Output::memory();
    tcp_basic::basic::client(addr, Some(WAIT), &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    wait_output(&server_out, "the server to wait again", |s| {
        s.matches("server waiting...").count() == 2
    });
    shutdown.trigger();
    within("server stop", move || server.join().unwrap());
    assert_eq!(
        server_out.contents(),
        "server waiting...\n请求占领地球\nserver waiting...\n"
    );
}

#[test]
fn survives_silent_resetting_and_non_utf8_clients() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let (shutdown, out, server) = start(listener, Duration::from_millis(300));
    // Connects and closes at once.
    drop(connect(addr));
    // Connects and says nothing: dropped after the idle timeout.
    let mut silent = connect(addr);
    // Sends bytes that are not UTF-8 and an escape sequence.
    let mut odd = connect(addr);
    odd.write_all(b"\xff\xfe\x1b[2J").unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(silent.read(&mut buf).unwrap(), 0, "idle client is closed");
    let mut reply = String::new();
    odd.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, tcp_basic::basic::REPLY);
    // Resets: SO_LINGER 0 would be needed for a true RST; a half-closed
    // client that vanishes is the next best thing.
    let gone = connect(addr);
    gone.shutdown(Half::Both).unwrap();
    drop(gone);
    // Still serving.
    let client_out = Output::memory();
    tcp_basic::basic::client(addr, Some(WAIT), &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    shutdown.trigger();
    within("server stop", move || server.join().unwrap());
    assert!(
        out.contents().contains("\u{fffd}\u{fffd}\\u{1b}[2J\n"),
        "{}",
        out.contents()
    );
}

#[test]
fn ipv6_loopback_works_where_available() {
    let Ok(listener) = common::net::bind_tcp("[::1]:0".parse().unwrap(), 5) else {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    };
    let addr = listener.local_addr().unwrap();
    let (shutdown, out, server) = start(listener, WAIT);
    let client_out = Output::memory();
    tcp_basic::basic::client(addr, Some(WAIT), &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    shutdown.trigger();
    within("server stop", move || server.join().unwrap());
    assert!(out.contents().contains("请求占领地球"));
}
