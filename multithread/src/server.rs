//! `multithread_server.py` (main lab 2.4 (1)) in Rust: the sign-in server
//! with one thread per connection.
//!
//! Run it: `cargo run -p multithread -- server` (Python: `python3 multithread_server.py`).
//! Its client: `cargo run -p multithread -- client` (or `python3 multithread_client.py`).
//!
//! | multithread_server.py, line: code           | here                           |
//! |---------------------------------------------|--------------------------------|
//! | 16: `sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)`  | `net::listen`, in the cli: `Socket::new` |
//! | 17, 19: `sk.bind(ip_port)`, `sk.listen(5)`      | `net::listen`: `bind`, `listen(backlog)` (the queue 2.4 (3) measures) |
//! | 20: `print('server waiting...')`                | [`run`]                        |
//! | 24: `conn, addr = sk.accept()`                  | [`run`]: `stop.accept(listener)` |
//! | 25: `print(f'客户端:\t\t{addr}连接成功\n')`     | [`run`]                        |
//! | 26: `thread = threading.Thread(target=work, args=(conn, addr), daemon=True)` | [`run`]: `spawn_connection` |
//! | 28: `thread.start()` | [`run`]: `spawn_connection` |
//! | 7: `def work(conn, addr):`                     | [`handle_connection`]          |
//! | 9: `data = conn.recv(1024).decode()`           | `net::recv`                    |
//! | 11: `conn.send('你已签到'.encode())`            | `net::send_all` (Added: every byte, or an error; `send` may send part) |
//! | 13: `conn.close()`                              | `drop(conn)`                   |
//!
//! Each `print` of the original but `print('server waiting...')` ends in
//! `'\n'`, so those lines are followed by an empty one; so are these.

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::log::Output;
use common::net;
use common::server::{logged, spawn_connection};
use common::stop::{InFlight, Stop};
use common::text::printable;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// The server's answer to a sign-in.
pub const REPLY: &str = "你已签到";
/// `conn.recv(1024)`.
pub const RECV_SIZE: usize = 1024;

/// Accepts connections until Ctrl-C or SIGTERM and gives each its own
/// thread. The accept loop never waits for a client, so one slow client
/// cannot hold up the others; the price is one thread started and ended
/// per connection (BENCHMARKS.md says what that costs).
///
/// `pause` is slept in each handler before it answers: a stand-in for real
/// work, for the benchmark of 2.4 (3). The lab's servers do none.
pub fn run(listener: &TcpListener, opts: &ServerOpts, pause: Duration, stop: &Stop, out: &Output) {
    out.line("server waiting...");
    loop {
        // STEP 2.4/1 multithread_server.py:24 `conn, addr = sk.accept()`: 等待下一个客户端 / wait for the next client
        // hint: stop.accept(listener) 就是 TcpListener::accept，Ctrl-C 或 SIGTERM 停止服务器后返回 None：这时 break
        // hint: stop.accept(listener) is TcpListener::accept that gives None once Ctrl-C or SIGTERM stops the server: then break
        // gives: (conn, addr): (TcpStream, SocketAddr)
        let Some((conn, addr)) = stop.accept(listener) else {
            break;
        };
        // END STEP
        out.line(format!("客户端:\t\t{}连接成功\n", PyAddr(addr)));
        // Added: the connection counts as in flight until its job ends.
        let in_flight = stop.admit(opts.idle());
        let job_out = out.clone();
        // STEP 2.4/2 multithread_server.py:26 `thread = threading.Thread(target=work, args=(conn, addr), daemon=True)`: 在单独的线程里服务这个客户端 / serve the client on a thread of its own
        // hint: spawn_connection(addr, move || …) 启动一个 std::thread；在线程里，logged(addr, handle_connection(…)) 会说明客户端为什么失败
        // hint: spawn_connection(addr, move || …) starts a std::thread; inside, logged(addr, handle_connection(…)) says why a client failed
        spawn_connection(addr, move || {
            logged(
                addr,
                handle_connection(conn, addr, in_flight, pause, &job_out),
            )
        });
        // END STEP
    }
    // Added: wait (at most --grace) for the connections in flight.
    stop.finish();
}

/// The original's `work(conn, addr)`, for both sign-in servers: read one
/// message, print it, answer 你已签到, close.
pub fn handle_connection(
    mut conn: TcpStream,
    addr: SocketAddr,
    in_flight: InFlight,
    pause: Duration,
    out: &Output,
) -> io::Result<()> {
    let addr = PyAddr(addr);
    // STEP 2.4/3 multithread_server.py:9 `data = conn.recv(1024).decode()`: 读取签到消息，最多 1024 字节 / read the sign-in, at most 1024 bytes
    // hint: net::recv(&mut conn, &mut buf, &in_flight) 就是 Read::read，另外会断开沉默超过 --idle-timeout 的客户端
    // hint: net::recv(&mut conn, &mut buf, &in_flight) is Read::read that also drops a client silent past --idle-timeout
    // gives: (buf, n): ([u8; RECV_SIZE], usize)
    let mut buf = [0u8; RECV_SIZE];
    let n = net::recv(&mut conn, &mut buf, &in_flight)?;
    // END STEP
    out.line(format!(
        "服务器接收来自:\t{addr}的信息,内容为:{}\n",
        printable(&buf[..n])
    ));
    if !pause.is_zero() {
        thread::sleep(pause);
    }
    // STEP 2.4/4 multithread_server.py:11 `conn.send('你已签到'.encode())`: 用 REPLY 回答，每个字节都要发出 / answer with REPLY, every byte
    // hint: net::send_all 就是 Write::write_all，另外会放弃不再读取的客户端
    // hint: net::send_all is Write::write_all that also gives up on a client that stops reading
    net::send_all(&mut conn, REPLY.as_bytes(), &in_flight)?;
    // END STEP
    out.line(format!("服务器向{addr}回复消息\n"));
    common::trace::call("close", net::peer(&conn), None); // Added: --trace
    // STEP 2.4/5 multithread_server.py:13 `conn.close()`: 在打印最后一行之前关闭连接 / close the connection before the last line
    // hint: TcpStream 被 drop 时就会关闭
    // hint: a TcpStream closes when it is dropped
    drop(conn);
    // END STEP
    out.line(format!("服务器与客户端:\t{addr}的连接关闭\n"));
    Ok(())
}
