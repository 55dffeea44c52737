//! `tcp_client.py` (main lab 2.1) in Rust: connect, send 请求占领地球 once,
//! print the reply.
//!
//! Run it: `cargo run -p tcp-basic -- client` (Python: `python3 tcp_client.py`),
//! with a server running: `cargo run -p tcp-basic -- server` (or `python3 tcp_server.py`).
//!
//! | tcp_client.py, line: code        | here                              |
//! |----------------------------------|-----------------------------------|
//! | 11: `sk = socket.socket()`           | `net::connect` (socket + connect) |
//! | 13: `sk.connect(ip_port)`            | `net::connect`                    |
//! | 16: `sk.sendall('请求占领地球'…)`    | `sk.write_all`                    |
//! | 19: `server_reply = sk.recv(1024)`   | `sk.read`                         |
//! | 21: `print(server_reply.decode())`   | `out.line`                        |
//! | 24: `sk.close()`                     | `drop(sk)`                        |

use crate::server::RECV_SIZE;
use common::log::Output;
use common::net;
use common::text::printable;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// What the client sends.
pub const REQUEST: &str = "请求占领地球";

/// Sends [`REQUEST`] once, prints the reply.
pub fn run(addr: SocketAddr, timeout: Duration, out: &Output) -> io::Result<()> {
    // Added: connect and the reply each give up after `timeout`.
    let mut sk = net::connect(addr, timeout)?;
    sk.write_all(REQUEST.as_bytes())?;
    let mut buf = [0u8; RECV_SIZE];
    let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
    out.line(printable(&buf[..n]));
    drop(sk);
    Ok(())
}
