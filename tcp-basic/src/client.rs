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
    // STEP 2.1/5 tcp_client.py:13 `sk.connect(ip_port)`: 连接服务器 / connect to the server
    // hint: net::connect(addr, timeout) 就是 TcpStream::connect_timeout，之后的每次读写也都用这个 `timeout`
    // hint: net::connect(addr, timeout) is TcpStream::connect_timeout, with `timeout` on every later read and write too
    // gives: mut sk: std::net::TcpStream
    let mut sk = net::connect(addr, timeout)?;
    // END STEP
    // STEP 2.1/6 tcp_client.py:16 `sk.sendall('请求占领地球'.encode())`: 发送 REQUEST / send REQUEST
    // hint: 用 Write::write_all
    // hint: Write::write_all
    sk.write_all(REQUEST.as_bytes())?;
    // END STEP
    common::trace::call("send", addr, Some(REQUEST.as_bytes())); // Added: --trace
    // STEP 2.1/7 tcp_client.py:19 `server_reply = sk.recv(1024)`: 读取回复，最多 1024 字节 / read the reply, at most 1024 bytes
    // hint: 用 Read::read；超时时 .map_err(net::waiting_for(addr, timeout)) 会说明在等什么
    // hint: Read::read; .map_err(net::waiting_for(addr, timeout)) says what it waited for when it times out
    // gives: (buf, n): ([u8; RECV_SIZE], usize)
    let mut buf = [0u8; RECV_SIZE];
    let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
    // END STEP
    common::trace::call("recv", addr, Some(&buf[..n])); // Added: --trace
    out.line(printable(&buf[..n]));
    common::trace::call("close", addr, None); // Added: --trace
    // STEP 2.1/8 tcp_client.py:24 `sk.close()`: 关闭连接 / close the connection
    // hint: TcpStream 被 drop 时就会关闭
    // hint: a TcpStream closes when it is dropped
    drop(sk);
    // END STEP
    Ok(())
}
