//! udp-basic end to end, Rust against Rust, in process.

use crate::util::*;
use common::log::Output;

#[test]
fn client_lines_arrive_as_datagrams_and_exit_stops() {
    let server = Running::udp(|socket, s, o| udp_basic::basic::run(&socket, s, o));
    let client_out = Output::memory();
    let input = "  hi,zlz  \n\n你好\nexit\nnot sent\n";
    udp_basic::basic::client(server.addr, lines(input), &client_out).unwrap();
    assert_eq!(client_out.contents(), "数据：数据：数据：数据：");
    wait_output(&server.out, "three datagrams", |s| s.lines().count() >= 3);
    // The empty line was sent as an empty datagram and printed as such.
    assert_eq!(server.stop(), "hi,zlz\n\n你好\n");
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
    let server = Running::udp(|socket, s, o| udp_basic::basic::run(&socket, s, o));
    let big = "x".repeat(udp_basic::MAX_DATAGRAM);
    udp().send_to(big.as_bytes(), server.addr).unwrap();
    wait_output(&server.out, "the big datagram", |s| {
        s.len() > udp_basic::MAX_DATAGRAM
    });
    assert_eq!(server.stop(), format!("{big}\n"));
}
