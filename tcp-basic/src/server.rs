//! `tcp_server.py` (main lab 2.1) in Rust: a TCP server that answers each
//! client once, with 不要回答, and closes.
//!
//! Run it: `cargo run -p tcp-basic -- server` (Python: `python3 tcp_server.py`).
//! Its client: `cargo run -p tcp-basic -- client` (or `python3 tcp_client.py`).
//!
//! | tcp_server.py, line: code             | here                                  |
//! |---------------------------------------|---------------------------------------|
//! | 11: `sk = socket.socket()`                | `net::listen`, in the cli: `Socket::new` |
//! | 13: `sk.bind(ip_port)`                    | `net::listen`: `sk.bind`              |
//! | 15: `sk.listen(5)`                        | `net::listen`: `sk.listen(backlog)`   |
//! | 19: `print('server waiting...')`          | [`run`]: `out.line`                   |
//! | 22: `conn, addr = sk.accept()`            | [`run`]: `stop.accept(listener)`  |
//! | 25: `client_data = conn.recv(1024)`       | [`handle_connection`]: `net::recv`    |
//! | 27: `print(client_data.decode())`         | [`handle_connection`]: `out.line`     |
//! | 29: `conn.sendall('不要回答…'.encode())`  | [`handle_connection`]: `net::send_all`|
//! | 32: `conn.close()`                        | [`handle_connection`]: `drop(conn)`   |
//!
//! This is an *iterative* server: while it talks to one client, the next
//! one waits in the listen queue (section 2.4 shows why that matters).

use common::cli::ServerOpts;
use common::log::Output;
use common::net;
use common::server::logged;
use common::stop::{InFlight, Stop};
use common::text::printable;
use std::io;
use std::net::{TcpListener, TcpStream};

/// What the server answers.
pub const REPLY: &str = "不要回答,不要回答,不要回答";
/// `conn.recv(1024)`: one read of at most 1 KiB.
pub const RECV_SIZE: usize = 1024;

/// The `while True:` loop: accept a client, serve it, accept the next,
/// until Ctrl-C or SIGTERM.
pub fn run(listener: &TcpListener, opts: &ServerOpts, stop: &Stop, out: &Output) {
    loop {
        out.line("server waiting...");
        // STEP 2.1/1 tcp_server.py:22 `conn, addr = sk.accept()`: 等待下一个客户端 / wait for the next client
        // hint: stop.accept(listener) 就是 TcpListener::accept，Ctrl-C 或 SIGTERM 停止服务器后返回 None：这时 break
        // hint: stop.accept(listener) is TcpListener::accept that gives None once Ctrl-C or SIGTERM stops the server: then break
        // gives: (conn, addr): (TcpStream, std::net::SocketAddr)
        let Some((conn, addr)) = stop.accept(listener) else {
            break;
        };
        // END STEP
        logged(addr, handle_connection(conn, stop.admit(opts.idle()), out));
    }
    // Added: the stop's bookkeeping; each connection was served inline, so
    // none is in flight by now and this returns at once.
    stop.finish();
}

/// One client: one read of up to 1024 bytes, print it, answer, close.
pub fn handle_connection(mut conn: TcpStream, in_flight: InFlight, out: &Output) -> io::Result<()> {
    // STEP 2.1/2 tcp_server.py:25 `client_data = conn.recv(1024)`: 最多读取 1024 字节 / read at most 1024 bytes
    // hint: net::recv(&mut conn, &mut buf, &in_flight) 就是 Read::read，另外会断开沉默超过 --idle-timeout 的客户端
    // hint: net::recv(&mut conn, &mut buf, &in_flight) is Read::read that also drops a client silent past --idle-timeout
    // gives: (buf, n): ([u8; RECV_SIZE], usize)
    let mut buf = [0u8; RECV_SIZE];
    let n = net::recv(&mut conn, &mut buf, &in_flight)?;
    // END STEP
    // Added: bytes that are not UTF-8 print as U+FFFD; `.decode()` would
    // raise UnicodeDecodeError and end the Python server.
    out.line(printable(&buf[..n]));
    // STEP 2.1/3 tcp_server.py:29 `conn.sendall('不要回答,不要回答,不要回答'.encode())`: 用 REPLY 回答 / answer with REPLY
    // hint: net::send_all 就是 Write::write_all，另外会放弃不再读取的客户端
    // hint: net::send_all is Write::write_all that also gives up on a client that stops reading
    net::send_all(&mut conn, REPLY.as_bytes(), &in_flight)?;
    // END STEP
    common::trace::call("close", net::peer(&conn), None); // Added: --trace
    // STEP 2.1/4 tcp_server.py:32 `conn.close()`: 关闭连接 / close the connection
    // hint: TcpStream 被 drop 时就会关闭
    // hint: a TcpStream closes when it is dropped
    drop(conn);
    // END STEP
    Ok(())
}
