//! `udp_server.py` (main lab 2.2) in Rust: print every datagram that
//! arrives. There is no connection and no reply: UDP just delivers (or
//! loses) each datagram.
//!
//! Run it: `cargo run -p udp-basic -- server` (Python: `python3 udp_server.py`).
//! Its client: `cargo run -p udp-basic -- client` (or `python3 udp_client.py`).
//!
//! | udp_server.py, line: code                   | here                    |
//! |---------------------------------------------|-------------------------|
//! | 14: `sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)` | [`bind`]: `UdpSocket::bind` (socket and bind in one call) |
//! | 17: `sk.bind(ip_port)` | [`bind`]: `UdpSocket::bind` |
//! | 20: `while True:`                               | [`run`]: `while`        |
//! | 23: `data = sk.recv(1024)`                      | `sk.recv`, then [`truncate_datagram`]|
//! | 25: `print(data.decode())`                      | `out.line`              |

use common::diag;
use common::log::Output;
use common::net::{self, POLL};
use common::stop::Stop;
use common::text::printable;
use std::io;
use std::net::UdpSocket;

/// `sk.recv(1024)`: a datagram is cut to this many bytes.
pub const RECV_SIZE: usize = 1024;
/// The largest UDP payload (65 535 − 8 UDP − 20 IPv4 header bytes).
pub const MAX_DATAGRAM: usize = 65_507;

/// `sk = socket.socket(AF_INET, SOCK_DGRAM, 0)` and `sk.bind(ip_port)`: std
/// makes and binds the socket in one call. (No SO_REUSEADDR: a UDP port is
/// free again as soon as its socket closes.)
pub fn bind(addr: std::net::SocketAddr) -> io::Result<UdpSocket> {
    // STEP 2.2/1 udp_server.py:17 `sk.bind(ip_port)`: 创建 UDP 套接字并绑定到 addr / make the UDP socket and bind it to addr
    // hint: UdpSocket::bind 一次调用就创建并绑定套接字
    // hint: UdpSocket::bind makes and binds the socket in one call
    // gives: sk: UdpSocket
    let sk = UdpSocket::bind(addr)?;
    // END STEP
    Ok(sk)
}

/// Prints every datagram until Ctrl-C or SIGTERM, each cut to `recv_size`
/// bytes as `recv(recv_size)` cuts it.
pub fn run(sk: &UdpSocket, recv_size: usize, stop: &Stop, out: &Output) {
    // Added: recv() wakes every POLL to check for Ctrl-C; it would
    // otherwise block forever.
    if let Err(e) = sk.set_read_timeout(Some(POLL)) {
        diag!("cannot arrange a clean stop: {e}");
    }
    // Room for the largest datagram, to tell what recv(1024) would lose.
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while !stop.is_stopping() {
        // STEP 2.2/2 udp_server.py:23 `data = sk.recv(1024)`: 把一个数据报收进 buf / receive one datagram into buf
        // hint: 用 UdpSocket::recv；出错时先 pass_over(&e, "recv")（POLL 超时不出声，其他错误在 stderr 上说明），再 `continue`
        // hint: UdpSocket::recv; on an error, pass_over(&e, "recv") (silent for the POLL time-out, any other said on stderr), then `continue`
        // gives: n: usize
        let n = match sk.recv(&mut buf) {
            Ok(n) => n,
            // Added: the original blocks for ever, and dies of any error.
            Err(e) => {
                pass_over(&e, "recv");
                continue;
            }
        };
        // END STEP
        common::trace::call("recv", "(a datagram)", Some(&buf[..n])); // Added: --trace
        out.line(printable(truncate_datagram(&buf[..n], recv_size, "recv")));
    }
    stop.finish();
}

/// What a receive loop does with an error of a UDP `recv` (`call` names
/// it) before it goes on. The POLL time-out, a signal, and the ICMP "port
/// unreachable" of an earlier send (`ConnectionReset` on Windows) say
/// nothing about this socket: passed over in silence. Any other is said on
/// stderr, and the loop pauses for POLL so that one that persists does not
/// spin it.
pub fn pass_over(e: &io::Error, call: &str) {
    let harmless = net::is_timeout(e)
        || matches!(
            e.kind(),
            io::ErrorKind::Interrupted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionRefused
        );
    if !harmless {
        diag!("{call} failed: {e}");
        std::thread::sleep(POLL);
    }
}

/// What a `recv(size)` (`call` names it) keeps of `datagram`: the first
/// `size` bytes. The rest is lost, as UDP loses it (seed 002 §四), and
/// that is said on stderr.
pub fn truncate_datagram<'a>(datagram: &'a [u8], size: usize, call: &str) -> &'a [u8] {
    if datagram.len() > size {
        diag!(
            "a datagram of {} bytes, {} lost: {call}({size}) keeps only what fits; --recv-size 65535 to see it whole",
            datagram.len(),
            datagram.len() - size
        );
        &datagram[..size]
    } else {
        datagram
    }
}
