//! Main lab 2.4 (1): the sign-in server with one thread per connection
//! (`multithread_server.py`) and the client that starts 20 sign-ins at once
//! (`multithread_client.py`). The thread-pool server of 2.4 (2) reuses the
//! handler and the client from here.
//!
//! Server: `cargo run -p multithread -- server` (or `python3 multithread_server.py`).
//! Client: `cargo run -p multithread -- client` (or `python3 multithread_client.py`).

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net::{self, is_timeout};
use common::server::{Accepted, Acceptor, Shutdown, spawn_connection};
use common::text::printable;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

/// The server's answer to a sign-in.
pub const REPLY: &str = "你已签到";
/// The originals read with `recv(1024)`.
pub const RECV_SIZE: usize = 1024;
/// The client's default number of simultaneous sign-ins.
pub const CLIENTS: usize = 20;

pub mod load;

/// What client `i` sends.
pub fn signin_message(i: usize) -> String {
    format!("拔尖班{i}号签到")
}

/// Accepts connections until `shutdown` fires and gives each its own thread.
///
/// Starting a thread costs a little CPU and a stack; the accept loop itself
/// never waits for a client, so one slow client cannot hold up the others.
///
/// `work` is slept in each handler before it answers: a stand-in for real
/// work, for the benchmark of 2.4 (3). The lab's servers do none.
pub fn run(
    listener: &TcpListener,
    opts: &ServerOpts,
    work: Duration,
    shutdown: &Shutdown,
    out: &Output,
) {
    out.line("server waiting...");
    let mut acceptor = Acceptor::new(listener, shutdown, opts.idle());
    while let Some(conn) = acceptor.accept() {
        out.line(format!("客户端:\t\t{}连接成功\n", PyAddr(conn.peer)));
        let out = out.clone();
        // The ticket moves into the thread: the connection counts as in
        // flight until the handler is done.
        spawn_connection(conn.peer, move || {
            handle_connection(conn, work, &out);
        });
    }
    shutdown.finish(opts.grace);
}

/// The `work(conn, addr)` of both sign-in servers: read one message, print
/// it, answer 你已签到, close. The Python prints end in `'\n'`, so each line
/// is followed by an empty one; so are these.
pub fn handle_connection(mut conn: Accepted, work: Duration, out: &Output) {
    let addr = PyAddr(conn.peer);
    let mut buf = [0u8; RECV_SIZE];
    let n = match net::recv(&mut conn.stream, &mut buf) {
        Ok(n) => n,
        Err(e) if is_timeout(&e) => {
            diag!("{addr} sent nothing in time; dropped");
            return;
        }
        Err(e) => {
            diag!("reading from {addr}: {e}");
            return;
        }
    };
    out.line(format!(
        "服务器接收来自:\t{addr}的信息,内容为:{}\n",
        printable(&buf[..n])
    ));
    if !work.is_zero() {
        thread::sleep(work);
    }
    if let Err(e) = conn.stream.write_all(REPLY.as_bytes()) {
        diag!("replying to {addr}: {e}");
        return;
    }
    out.line(format!("服务器向{addr}回复消息\n"));
    // `conn.close()`: the client has its answer and EOF before the last
    // line is printed, as with the original.
    conn.close();
    out.line(format!("服务器与客户端:\t{addr}的连接关闭\n"));
}

/// Starts `clients` sign-ins at once, one thread each, as the original's
/// `for i in range(20): threading.Thread(target=work, args=(i,)).start()`.
/// Returns how many failed; each failure is reported on stderr.
pub fn client(
    server: SocketAddr,
    clients: usize,
    timeout: Option<Duration>,
    out: &Output,
) -> usize {
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let out = out.clone();
            thread::Builder::new()
                .name(format!("client {i}"))
                .stack_size(common::server::CONNECTION_STACK)
                .spawn(move || signin(server, i, timeout, &out))
        })
        .collect();
    let mut failed = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        let result = match handle {
            Ok(h) => h
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

/// One sign-in: connect, send, print, read the answer, print, close, print.
pub fn signin(
    server: SocketAddr,
    i: usize,
    timeout: Option<Duration>,
    out: &Output,
) -> io::Result<()> {
    let mut stream = net::connect(server, timeout)?;
    stream.write_all(signin_message(i).as_bytes())?;
    out.line(format!("客户端{i}发送签到请求成功\n"));
    let mut buf = [0u8; RECV_SIZE];
    let n = net::recv(&mut stream, &mut buf)?;
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
    drop(stream);
    out.line(format!("客户端{i}断开连接成功\n"));
    Ok(())
}

/// The `--work-ms` of both sign-in servers.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkArgs {
    /// Sleep this long in each handler before answering, standing in for real work (for benchmarks)
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub work_ms: u64,
}

impl WorkArgs {
    pub fn work(&self) -> Duration {
        Duration::from_millis(self.work_ms)
    }
}

/// `--clients` and `--timeout` of the sign-in client, shared by the
/// multithread and threadpool-server binaries.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientArgs {
    /// How many clients sign in at once, one thread each
    #[arg(long, value_name = "N", default_value_t = CLIENTS)]
    pub clients: usize,
    #[command(flatten)]
    pub opts: common::cli::ClientOpts,
}

impl ClientArgs {
    /// Runs the sign-in client and fails if any client failed.
    pub fn run(&self, server: SocketAddr, out: &Output) -> anyhow::Result<()> {
        let failed = client(server, self.clients, self.opts.timeout(), out);
        anyhow::ensure!(
            failed == 0,
            "{failed} of {} clients failed to sign in",
            self.clients
        );
        Ok(())
    }
}
