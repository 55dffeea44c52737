//! `multithread_client.py` (main lab 2.4 (1)) in Rust: 20 clients, one
//! thread each, sign in at once.
//!
//! Run it: `cargo run -p multithread -- client` (Python: `python3 multithread_client.py`),
//! with `cargo run -p multithread -- server` running. Against the pool of
//! 2.4 (2): `cargo run -p threadpool-server -- client`.
//!
//! | multithread_client.py, line: code                  | here                 |
//! |----------------------------------------------------|----------------------|
//! | 23: `for i in range(20):` | [`run`] |
//! | 25: `thread = threading.Thread(target=work, args=(i,))` | [`run`] |
//! | 28: `thread.start()` | [`run`] |
//! | 8: `def work(x):`                                     | [`sign_in`]          |
//! | 10: `sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `net::connect` |
//! | 12: `sk.connect(ip_port)`   | `net::connect`       |
//! | 14: `sk.send(message.encode())`                        | `sk.write_all`       |
//! | 16: `data = sk.recv(1024).decode()`                    | `sk.read`            |
//! | 19: `sk.close()`                                       | `drop(sk)`           |

use crate::server::RECV_SIZE;
use common::diag;
use common::log::Output;
use common::net;
use common::text::printable;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

/// The original's number of clients.
pub const CLIENTS: usize = 20;

/// What client `i` sends.
pub fn message(i: usize) -> String {
    format!("拔尖班{i}号签到")
}

/// Starts `clients` sign-ins at once, one thread each, and waits for them
/// all. Returns how many failed; each failure is said on stderr.
pub fn run(addr: SocketAddr, clients: usize, timeout: Duration, out: &Output) -> usize {
    // STEP 2.4/10 multithread_client.py:25 `thread = threading.Thread(target=work, args=(i,))`: 每个客户端启动一个线程，各自运行 sign_in / start one thread per client, each running sign_in
    // hint: thread::Builder::new().stack_size(common::server::CONNECTION_STACK).spawn(…)，收集到一个 Vec 里
    // hint: thread::Builder::new().stack_size(common::server::CONNECTION_STACK).spawn(…), collected into a Vec
    // gives: threads: Vec<io::Result<thread::JoinHandle<io::Result<()>>>>
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let out = out.clone();
            thread::Builder::new()
                .name(format!("client {i}"))
                .stack_size(common::server::CONNECTION_STACK)
                .spawn(move || sign_in(addr, i, timeout, &out))
        })
        .collect();
    // END STEP
    let mut failed = 0;
    for (i, thread) in threads.into_iter().enumerate() {
        let result = match thread {
            Ok(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the client thread panicked"))),
            Err(e) => Err(io::Error::other(format!("cannot start its thread: {e}"))),
        };
        if let Err(e) = result {
            diag!("client {i} failed: {e}");
            failed += 1;
        }
    }
    failed
}

/// The original's `work(x)`: connect, send, print, read the answer, print,
/// close, print.
pub fn sign_in(addr: SocketAddr, i: usize, timeout: Duration, out: &Output) -> io::Result<()> {
    // STEP 2.4/6 multithread_client.py:12 `sk.connect(ip_port)`: 连接服务器 / connect to the server
    // hint: net::connect(addr, timeout) 就是 TcpStream::connect_timeout，之后的每次读写也都用这个 `timeout`
    // hint: net::connect(addr, timeout) is TcpStream::connect_timeout, with `timeout` on every later read and write too
    // gives: mut sk: std::net::TcpStream
    let mut sk = net::connect(addr, timeout)?;
    // END STEP
    // STEP 2.4/7 multithread_client.py:14 `sk.send(message.encode())`: 发送这个客户端的 message(i) / send this client's message(i)
    // hint: 用 Write::write_all
    // hint: Write::write_all
    sk.write_all(message(i).as_bytes())?;
    // END STEP
    common::trace::call("send", addr, Some(message(i).as_bytes())); // Added: --trace
    out.line(format!("客户端{i}发送签到请求成功\n"));
    // STEP 2.4/8 multithread_client.py:16 `data = sk.recv(1024).decode()`: 读取回答，最多 1024 字节 / read the answer, at most 1024 bytes
    // hint: 用 Read::read；超时时 .map_err(net::waiting_for(addr, timeout)) 会说明在等什么
    // hint: Read::read; .map_err(net::waiting_for(addr, timeout)) says what it waited for when it times out
    // gives: (buf, n): ([u8; RECV_SIZE], usize)
    let mut buf = [0u8; RECV_SIZE];
    let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
    // END STEP
    common::trace::call("recv", addr, Some(&buf[..n])); // Added: --trace
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection without answering",
        ));
    }
    out.line(format!(
        "客户端{i}成功签到，接收消息:{}\n",
        printable(&buf[..n])
    ));
    common::trace::call("close", addr, None); // Added: --trace
    // STEP 2.4/9 multithread_client.py:19 `sk.close()`: 关闭连接 / close the connection
    // hint: TcpStream 被 drop 时就会关闭
    // hint: a TcpStream closes when it is dropped
    drop(sk);
    // END STEP
    out.line(format!("客户端{i}断开连接成功\n"));
    Ok(())
}
