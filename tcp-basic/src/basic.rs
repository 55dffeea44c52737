//! Main lab 2.1: a TCP server that answers every client once and closes
//! (`tcp_server.py`), and the client that asks once (`tcp_client.py`).
//!
//! Server: `cargo run -p tcp-basic -- server` (or `python3 tcp_server.py`).
//! Client: `cargo run -p tcp-basic -- client` (or `python3 tcp_client.py`).

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net::{self, is_timeout};
use common::server::{Accepted, Acceptor, Shutdown};
use common::text::printable;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// What the client sends.
pub const REQUEST: &str = "请求占领地球";
/// What the server answers.
pub const REPLY: &str = "不要回答,不要回答,不要回答";
/// The originals read with `recv(1024)`: one read of at most 1 KiB.
pub const RECV_SIZE: usize = 1024;

/// Serves clients one after another until `shutdown` fires.
///
/// This is an *iterative* server: while it talks to one client, the next
/// one waits in the listen queue (section 2.4 shows why that matters).
pub fn run(listener: &TcpListener, opts: &ServerOpts, shutdown: &Shutdown, out: &Output) {
    let mut acceptor = Acceptor::new(listener, shutdown, opts.idle());
    loop {
        out.line("server waiting...");
        let Some(conn) = acceptor.accept() else { break };
        handle_connection(conn, out);
    }
    shutdown.finish(opts.grace);
}

/// One read of up to 1024 bytes, print it, answer, close.
pub fn handle_connection(mut conn: Accepted, out: &Output) {
    let peer = conn.peer;
    let mut buf = [0u8; RECV_SIZE];
    match net::recv(&mut conn.stream, &mut buf) {
        // Like the original, an empty read (the client closed at once)
        // prints an empty line.
        Ok(n) => out.line(printable(&buf[..n])),
        Err(e) if is_timeout(&e) => {
            diag!("{} sent nothing in time; dropped", PyAddr(peer));
            return;
        }
        Err(e) => {
            diag!("reading from {}: {e}", PyAddr(peer));
            return;
        }
    }
    if let Err(e) = conn.stream.write_all(REPLY.as_bytes()) {
        diag!("replying to {}: {e}", PyAddr(peer));
    }
    conn.close();
}

/// Sends [`REQUEST`] once, prints the reply, returns.
pub fn client(addr: SocketAddr, timeout: Option<Duration>, out: &Output) -> io::Result<()> {
    let mut stream = net::connect(addr, timeout)?;
    stream.write_all(REQUEST.as_bytes())?;
    let mut buf = [0u8; RECV_SIZE];
    let n = net::recv(&mut stream, &mut buf)
        .map_err(|e| io::Error::new(e.kind(), format!("waiting for the reply from {addr}: {e}")))?;
    out.line(printable(&buf[..n]));
    Ok(())
}
