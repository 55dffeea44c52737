//! udp-basic end to end, Rust against Rust, in process.

use crate::util::*;
use common::log::Output;
use common::server::Shutdown;
use std::thread;

#[test]
fn client_lines_arrive_as_datagrams_and_exit_stops() {
    let socket = udp();
    let addr = socket.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let out = Output::memory();
    let (s, o) = (shutdown.clone(), out.clone());
    let server = thread::spawn(move || udp_basic::basic::run(&socket, &s, &o));

    let client_out = Output::memory();
    let input = "  hi,zlz  \n\n你好\nexit\nnot sent\n";
    udp_basic::basic::client(addr, lines(input), &client_out).unwrap();
    assert_eq!(client_out.contents(), "数据：数据：数据：数据：");
    wait_output(&out, "three datagrams", |s| s.lines().count() >= 3);
    shutdown.trigger();
    within("server stop", move || server.join().unwrap());
    // The empty line was sent as an empty datagram and printed as such.
    assert_eq!(out.contents(), "hi,zlz\n\n你好\n");
}

#[test]
fn end_of_input_ends_the_client() {
    let socket = udp();
    let client_out = Output::memory();
    udp_basic::basic::client(socket.local_addr().unwrap(), lines("one"), &client_out).unwrap();
    assert_eq!(client_out.contents(), "数据：数据：");
    let mut buf = [0u8; 16];
    socket.set_read_timeout(Some(WAIT)).unwrap();
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"one");
}

#[test]
fn a_65507_byte_datagram_arrives_whole() {
    let socket = udp();
    let addr = socket.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let out = Output::memory();
    let (s, o) = (shutdown.clone(), out.clone());
    let server = thread::spawn(move || udp_basic::basic::run(&socket, &s, &o));
    let big = "x".repeat(udp_basic::MAX_DATAGRAM);
    let client = udp();
    client.send_to(big.as_bytes(), addr).unwrap();
    wait_output(&out, "the big datagram", |s| {
        s.len() > udp_basic::MAX_DATAGRAM
    });
    shutdown.trigger();
    within("server stop", move || server.join().unwrap());
    assert_eq!(out.contents(), format!("{big}\n"));
}
