//! The sign-in server of 2.4, event-driven: the third way a real server
//! serves many clients, beside a thread per connection
//! (`multithread::server`) and a pool of threads ([`crate::run`]). The lab
//! has no Python script for it; it reads beside the pool's accept loop.
//!
//! Run it: `cargo run -p threadpool-server -- event-server` (same port, wire
//! and lines as the pool server). Its client: `cargo run -p threadpool-server -- client`.
//!
//! | threadpool_server.py, line: code           | here                                      |
//! |--------------------------------------------|-------------------------------------------|
//! | 18–21: `socket()`, `bind`, `listen(5)`     | `net::listen`, in the cli |
//! | 22: `print('server waiting...')`           | [`run`]: `out.line`                       |
//! | 24: `ThreadPoolExecutor(max_workers=10)`   | `new_current_thread()`: one thread, any number of tasks |
//! | 26: `conn, addr = sk.accept()`             | `listener.accept().await`                 |
//! | 27: `pool.submit(work, conn, addr)`        | `tokio::spawn(handle_connection(…))`      |
//! | 28: `print(f'客户端:\t\t{addr}连接成功')`  | `out.line`                                |
//! | 8: `def work(conn, addr):`                 | [`handle_connection`], an `async fn`      |
//! | 10: `data = conn.recv(1024).decode()`      | `recv`: `conn.read(buf).await`            |
//! | 11, 13, 15: the three `print`s             | `out.line`                                |
//! | 12: `conn.send('你已签到'.encode())`       | `conn.write_all(REPLY).await`             |
//! | 14: `conn.close()`                         | `drop(conn)`                              |
//!
//! One thread runs every connection: each one is a task that gives the
//! thread back whenever it would wait for the network (`.await`), so a
//! thousand silent clients cost a thousand small tasks, not a thousand
//! threads or a blocked pool (bench's `slow-clients` shows it). The price is
//! that nothing in a task may block: a task that computes for long holds up
//! every other one.

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::stop::{InFlight, POLL, Stop};
use common::text::printable;
use multithread::server::{RECV_SIZE, REPLY};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections until Ctrl-C or SIGTERM and spawns a task for each,
/// all on this one thread.
pub fn run(
    listener: &std::net::TcpListener,
    opts: &ServerOpts,
    pause: Duration,
    stop: &Stop,
    out: &Output,
) -> std::io::Result<()> {
    // A server that cannot start its event loop fails (the program exits
    // non-zero, saying why), as the pool fails when it cannot listen.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start the event loop: {e}")))?;
    runtime.block_on(async {
        // Added: a stop connects here once, so that the waiting accept returns.
        stop.wake_on_stop(listener);
        // The same socket, watched by the event loop instead of blocking on it.
        let listener = listener
            .try_clone()
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(TcpListener::from_std)
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot hand the listener to the event loop: {e}"),
                )
            })?;
        out.line("server waiting...");
        while !stop.is_stopping() {
            let (conn, addr) = match listener.accept().await {
                Ok(accepted) => {
                    common::trace::call("accept", accepted.1, None); // Added: --trace
                    accepted
                }
                // Added: one failed accept (out of file descriptors) is not the end.
                Err(e) => {
                    diag!("accept failed: {e}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            // Added: the stop's own wake-up connection is not served.
            if stop.is_stopping() {
                break;
            }
            // Added: the connection counts as in flight until its task ends.
            let in_flight = stop.admit(opts.idle());
            let job_out = out.clone();
            tokio::spawn(handle_connection(conn, addr, in_flight, pause, job_out));
            out.line(format!("客户端:\t\t{}连接成功", PyAddr(addr)));
        }
        // Added: wait (at most --grace) for the connections in flight. The wait
        // blocks, so it runs beside the event loop, which goes on serving them.
        let finishing = stop.clone();
        let _ = tokio::task::spawn_blocking(move || finishing.finish()).await;
        Ok(())
    })
}

/// The pool's `work(conn, addr)` as a task: read one message, print it,
/// answer 你已签到, close; the same lines as `multithread::server`.
pub async fn handle_connection(
    mut conn: TcpStream,
    addr: SocketAddr,
    in_flight: InFlight,
    pause: Duration,
    out: Output,
) {
    let addr = PyAddr(addr);
    let mut buf = [0u8; RECV_SIZE];
    let n = match recv(&mut conn, &mut buf, &in_flight).await {
        Ok(n) => n,
        // Added: a failed read ends this client only: a silent one dropped
        // after --idle-timeout, a reset, or the stop's grace running out.
        Err(e) => {
            diag!("{addr}: {e}");
            return;
        }
    };
    out.line(format!(
        "服务器接收来自:\t{addr}的信息,内容为:{}\n",
        printable(&buf[..n])
    ));
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    // A reply this short fits the socket's buffer: it does not wait.
    common::trace::call("send", addr, Some(REPLY.as_bytes())); // Added: --trace
    if let Err(e) = conn.write_all(REPLY.as_bytes()).await {
        diag!("replying to {addr}: {e}");
        return;
    }
    out.line(format!("服务器向{addr}回复消息\n"));
    common::trace::call("close", addr, None); // Added: --trace
    drop(conn);
    out.line(format!("服务器与客户端:\t{addr}的连接关闭\n"));
    drop(in_flight);
}

/// `conn.recv(1024)` with the same limits as `common::net::recv`: it gives
/// up when the peer has been silent past the idle limit, or once the grace
/// period after a stop is over. Each wait lasts at most POLL.
async fn recv(conn: &mut TcpStream, buf: &mut [u8], in_flight: &InFlight) -> io::Result<usize> {
    let started = Instant::now();
    loop {
        in_flight.still_waiting(Duration::ZERO)?;
        match tokio::time::timeout(POLL, conn.read(buf)).await {
            Ok(Ok(n)) => {
                if common::trace::is_on() {
                    // Added: --trace (the peer is asked for only then).
                    let peer = conn
                        .peer_addr()
                        .map_or_else(|e| e.to_string(), |a| a.to_string());
                    common::trace::call("recv", peer, Some(&buf[..n]));
                }
                return Ok(n);
            }
            Ok(read) => return read,
            Err(_) => in_flight.still_waiting(started.elapsed())?,
        }
    }
}
