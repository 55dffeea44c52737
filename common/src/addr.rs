//! The default addresses of the lab's programs, and Python's way of printing
//! a peer address (`('127.0.0.1', 54321)`), so the Rust output reads the same.

use std::fmt;
use std::net::SocketAddr;

/// Every program listens on, and connects to, the loopback address by
/// default, as the originals do. Nothing is exposed to the network unless a
/// user asks for it with `--host`.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// `tcp_server.py` / `tcp_client.py` (main lab 2.1).
pub const TCP_PORT: u16 = 9999;
/// `udp_server.py` / `udp_client.py` (main lab 2.2).
pub const UDP_PORT: u16 = 9999;
/// `multithread_server.py` / `multithread_client.py` (main lab 2.4 (1)).
pub const MULTITHREAD_PORT: u16 = 9998;
/// `threadpool_server.py` (main lab 2.4 (2)).
pub const THREADPOOL_PORT: u16 = 9997;
/// `file_server.py` / `file_client.py` (main lab 2.5), also used for the
/// download of seed 003 五.
pub const FILE_PORT: u16 = 9996;
/// The chat server with ACKs of seed 001 (`serverTCP`, `serverClient`).
pub const CHAT_PORT: u16 = 6666;

/// A socket address printed the way Python prints the address tuple that
/// `accept()` and `recvfrom()` return: `('127.0.0.1', 54321)` for IPv4 and
/// `('::1', 54321, 0, 0)` for IPv6 (host, port, flowinfo, scope id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PyAddr(pub SocketAddr);

impl fmt::Display for PyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "('{}', {})", a.ip(), a.port()),
            SocketAddr::V6(a) => write!(
                f,
                "('{}', {}, {}, {})",
                a.ip(),
                a.port(),
                a.flowinfo(),
                a.scope_id()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_python_tuples() {
        let v4: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        assert_eq!(PyAddr(v4).to_string(), "('127.0.0.1', 54321)");
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert_eq!(PyAddr(v6).to_string(), "('::1', 8080, 0, 0)");
    }
}
