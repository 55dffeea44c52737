//! udp-basic end to end, Rust against Rust, in process.

use crate::util::*;
use common::log::Output;
use udp_basic::server::MAX_DATAGRAM;

fn start(recv_size: usize) -> Running {
    Running::udp(move |socket, s, o| udp_basic::server::run(&socket, recv_size, s, o))
}

#[test]
fn client_lines_arrive_as_datagrams_and_exit_stops() {
    let server = start(1024);
    let client_out = Output::memory();
    let input = "  hi,zlz  \n\n你好\nexit\nnot sent\n";
    udp_basic::client::run(server.addr, lines(input), &client_out).unwrap();
    assert_eq!(client_out.contents(), "数据：数据：数据：数据：");
    wait_output(&server.out, "three datagrams", |s| s.lines().count() >= 3);
    // The empty line was sent as an empty datagram and printed as such.
    assert_eq!(server.stop(), "hi,zlz\n\n你好\n");
}

#[test]
fn end_of_input_ends_the_client_on_a_line_of_its_own() {
    let socket = udp();
    let client_out = Output::memory();
    udp_basic::client::run(socket.local_addr().unwrap(), lines("one"), &client_out).unwrap();
    assert_eq!(client_out.contents(), "数据：数据：\n");
    let mut buf = [0u8; 16];
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"one");
}

#[test]
fn a_long_datagram_is_cut_as_recv_1024_cuts_it() {
    let server = start(1024);
    let big: String = (0..2000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    udp().send_to(big.as_bytes(), server.addr).unwrap();
    udp().send_to(b"next", server.addr).unwrap();
    wait_output(&server.out, "both datagrams", |s| s.contains("next"));
    assert_eq!(server.stop(), format!("{}\nnext\n", &big[..1024]));
}

#[test]
fn with_recv_size_65535_the_largest_datagram_arrives_whole() {
    let server = start(65535);
    let big = "x".repeat(MAX_DATAGRAM);
    udp().send_to(big.as_bytes(), server.addr).unwrap();
    wait_output(&server.out, "the big datagram", |s| s.len() > MAX_DATAGRAM);
    assert_eq!(server.stop(), format!("{big}\n"));
}
