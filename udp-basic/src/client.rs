//! `udp_client.py` (main lab 2.2) in Rust: prompt `数据：`, send each
//! stripped line as one datagram, until `exit`.
//!
//! Run it: `cargo run -p udp-basic -- client` (Python: `python3 udp_client.py`),
//! with `cargo run -p udp-basic -- server` (or `python3 udp_server.py`) running.
//!
//! | udp_client.py, line: code              | here                       |
//! |----------------------------------------|----------------------------|
//! | 14: `sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)` | `net::udp_socket_for` |
//! | 19: `inp = input('数据：').strip()`        | `out.prompt`, `lines.next` |
//! | 21: `if inp == 'exit':` (22: `break`)      | `if inp == EXIT`           |
//! | 25: `sk.sendto(inp.encode(), ip_port)`     | `sk.send_to`               |
//! | 28: `sk.close()`                           | `drop(sk)`                 |

use common::log::Output;
use common::net;
use std::io::{self, BufRead};
use std::net::SocketAddr;

/// The prompt, shown as `input('数据：')` shows it: no newline.
pub const PROMPT: &str = "数据：";
/// Typing this ends the client.
pub const EXIT: &str = "exit";

/// Sends each line of `input` until `exit` or the end of input. An empty
/// line is sent as an empty datagram, which UDP allows (seed 002 §二).
pub fn run(addr: SocketAddr, input: impl BufRead, out: &Output) -> io::Result<()> {
    // STEP 2.2/3 udp_client.py:14 `sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)`: 创建 UDP 套接字 / make a UDP socket
    // hint: net::udp_socket_for(addr) 就是绑定到 addr 同一地址族的 0 号端口的 UdpSocket::bind，和 Python 第一次 sendto 时做的一样
    // hint: net::udp_socket_for(addr) is UdpSocket::bind to port 0 of addr's family, as Python's first sendto does
    // gives: sk: std::net::UdpSocket
    let sk = net::udp_socket_for(addr)?;
    // END STEP
    let mut lines = input.split(b'\n');
    loop {
        out.prompt(PROMPT);
        let Some(line) = lines.next() else {
            // Added: the end of input ends the client on a line of its
            // own (input() would raise EOFError).
            out.line("");
            break;
        };
        let line = String::from_utf8_lossy(&line?).into_owned();
        let inp = line.trim();
        if inp == EXIT {
            break;
        }
        // STEP 2.2/4 udp_client.py:25 `sk.sendto(inp.encode(), ip_port)`: 把这一行作为一个数据报发往 addr / send the line as one datagram to addr
        // hint: 用 UdpSocket::send_to；出错时说明发往哪里
        // hint: UdpSocket::send_to; say where it was sending in the error
        sk.send_to(inp.as_bytes(), addr)
            .map_err(|e| io::Error::new(e.kind(), format!("sending to {addr}: {e}")))?;
        // END STEP
        common::trace::call("sendto", addr, Some(inp.as_bytes())); // Added: --trace
    }
    common::trace::call("close", addr, None); // Added: --trace
    // STEP 2.2/5 udp_client.py:28 `sk.close()`: 关闭套接字 / close the socket
    // hint: UdpSocket 被 drop 时就会关闭
    // hint: a UdpSocket closes when it is dropped
    drop(sk);
    // END STEP
    Ok(())
}
