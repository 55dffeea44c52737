//! tcp-basic end to end, Rust against Rust, in process.

use crate::util::*;
use common::log::Output;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

fn start(idle: Duration) -> Running {
    Running::tcp(move |l, s, o| tcp_basic::server::run(l, &opts(idle), s, o))
}

#[test]
fn client_and_server_exchange_the_lab_messages() {
    let server = start(WAIT);
    let client_out = Output::memory();
    tcp_basic::client::run(server.addr, WAIT, &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    wait_output(&server.out, "the server to wait again", |s| {
        s.matches("server waiting...").count() == 2
    });
    assert_eq!(
        server.stop(),
        "server waiting...\n请求占领地球\nserver waiting...\n"
    );
}

#[test]
fn survives_silent_resetting_and_non_utf8_clients() {
    let server = start(Duration::from_millis(300));
    let addr = server.addr;
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
    assert_eq!(reply, tcp_basic::server::REPLY);
    // A client that half-closes and vanishes.
    let gone = connect(addr);
    gone.shutdown(Shutdown::Both).unwrap();
    drop(gone);
    // Still serving.
    let client_out = Output::memory();
    tcp_basic::client::run(addr, WAIT, &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    let out = server.stop();
    assert!(out.contains("\u{fffd}\u{fffd}\\u{1b}[2J\n"), "{out}");
}

#[test]
#[cfg_attr(
    not(ipv6_loopback),
    ignore = "this machine has no IPv6 loopback ([::1])"
)]
fn ipv6_loopback_works() {
    let listener = common::net::listen("[::1]:0".parse().unwrap(), 5).expect("bind [::1]:0");
    let addr = listener.local_addr().unwrap();
    let stop = common::stop::Stop::new(Duration::from_secs(1));
    let out = Output::memory();
    let (s, o) = (stop.clone(), out.clone());
    let handle = std::thread::spawn(move || tcp_basic::server::run(&listener, &opts(WAIT), &s, &o));
    let client_out = Output::memory();
    tcp_basic::client::run(addr, WAIT, &client_out).unwrap();
    assert_eq!(client_out.contents(), "不要回答,不要回答,不要回答\n");
    wait_output(&out, "the request", |s| s.contains("请求占领地球"));
    stop.trigger();
    within("server stop", move || handle.join().unwrap());
}
