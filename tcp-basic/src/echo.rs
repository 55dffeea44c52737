//! The persistent TCP echo: seed 002 §一 (upper-case replies, one session
//! after another) and §5.1 (socketserver.ThreadingTCPServer), seed 003
//! 三(三)–(五), and seed 004 三 (replies stamped with `time.ctime()`).
//!
//! Server: `cargo run -p tcp-basic -- echo-server [--reply upper|ctime|same] [--threaded]`.
//! Client: `cargo run -p tcp-basic -- echo-client` (or the seeds' clients on port 5002).

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net::{self, is_timeout};
use common::server::{Acceptor, Shutdown, spawn_connection};
use common::text::{ctime_now, printable};
use std::io::{self, BufRead, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// What the echo server answers each message with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Reply {
    /// The message in upper case (seeds 002 and 003; ASCII letters only,
    /// as `bytes.upper()`), printed as seed 002 prints
    Upper,
    /// `[Mon Nov 23 10:00:00 2026] message`, as seed 004 (`time.ctime()`)
    Ctime,
    /// The message unchanged (seed 003 三(四))
    Same,
}

impl Reply {
    pub fn apply(self, message: &[u8]) -> Vec<u8> {
        match self {
            Reply::Upper => message.to_ascii_uppercase(),
            Reply::Ctime => {
                let mut out = format!("[{}] ", ctime_now()).into_bytes();
                out.extend_from_slice(message);
                out
            }
            Reply::Same => message.to_vec(),
        }
    }
}

/// The seeds read with `recv(1024)`; the port reads up to 64 KiB per
/// message, so a long line is not cut in two.
pub const RECV_SIZE: usize = 64 * 1024;
/// What the client prints before reading a line (seed 002).
pub const PROMPT: &str = "请输入内容>>>";
/// Typing this ends the client.
pub const QUIT: &str = "q";

/// Serves echo sessions until `shutdown` fires: one after another (the
/// seeds' two nested loops), or each in its own thread with `threaded`.
pub fn run(
    listener: &TcpListener,
    reply: Reply,
    threaded: bool,
    opts: &ServerOpts,
    shutdown: &Shutdown,
    out: &Output,
) {
    let mut acceptor = Acceptor::new(listener, shutdown, opts.idle());
    loop {
        if reply == Reply::Ctime {
            out.line("Waiting for connection ....");
        }
        let Some(conn) = acceptor.accept() else { break };
        if threaded {
            let out = out.clone();
            spawn_connection(conn.peer, move || {
                let _ticket = conn.ticket;
                handle_connection(conn.stream, conn.peer, reply, &out);
            });
        } else {
            handle_connection(conn.stream, conn.peer, reply, out);
        }
    }
    shutdown.finish(opts.grace);
}

/// One session: answer every message until the client closes, goes silent
/// past the idle timeout, or resets.
pub fn handle_connection(mut stream: TcpStream, peer: SocketAddr, reply: Reply, out: &Output) {
    if reply == Reply::Ctime {
        out.line(format!("Connected client from :  {}", PyAddr(peer)));
    } else {
        out.line(format!("连接对象： {}", socket_repr(&stream, peer)));
        out.line(format!("客户端ip+端口 {}", PyAddr(peer)));
    }
    let mut buf = vec![0u8; RECV_SIZE];
    loop {
        let n = match net::recv(&mut stream, &mut buf) {
            // An empty read is the client closing: the session is over.
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => {
                diag!("{} idle past the timeout; dropped", PyAddr(peer));
                return;
            }
            Err(e) => {
                diag!("{}: {e}", PyAddr(peer));
                return;
            }
        };
        let message = &buf[..n];
        if reply == Reply::Ctime {
            out.line(format!("Client:  {}", printable(message)));
        } else {
            out.line(format!("客户端发过来的数据： {}", printable(message)));
        }
        if let Err(e) = stream.write_all(&reply.apply(message)) {
            diag!("replying to {}: {e}", PyAddr(peer));
            return;
        }
    }
}

/// The connection as Python prints a socket object.
fn socket_repr(stream: &TcpStream, peer: SocketAddr) -> String {
    use std::os::fd::AsRawFd;
    let family = if peer.is_ipv4() { 2 } else { 10 };
    let local = stream
        .local_addr()
        .map(|a| PyAddr(a).to_string())
        .unwrap_or_default();
    format!(
        "<socket.socket fd={}, family={family}, type=1, proto=0, laddr={local}, raddr={}>",
        stream.as_raw_fd(),
        PyAddr(peer)
    )
}

/// Sends each line typed, prints each reply, until `q` or the end of input.
/// An empty line is not sent: over TCP it would put nothing on the wire and
/// then wait forever for an answer (seed 002 §2.2 explains why).
pub fn client(
    server: SocketAddr,
    input: impl BufRead,
    timeout: Option<Duration>,
    out: &Output,
) -> io::Result<()> {
    let mut stream = net::connect(server, timeout)?;
    let mut buf = vec![0u8; RECV_SIZE];
    let mut lines = input.split(b'\n');
    loop {
        out.prompt(PROMPT);
        let Some(line) = lines.next() else {
            out.line("");
            return Ok(());
        };
        let line = line?;
        let message = line.strip_suffix(b"\r").unwrap_or(&line);
        if message == QUIT.as_bytes() {
            return Ok(());
        }
        if message.is_empty() {
            continue;
        }
        stream.write_all(message)?;
        let n = net::recv(&mut stream, &mut buf).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("waiting for the reply from {server}: {e}"),
            )
        })?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{server} closed the connection"),
            ));
        }
        out.line(printable(&buf[..n]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(
            Reply::Upper.apply("hello 你好".as_bytes()),
            "HELLO 你好".as_bytes()
        );
        assert_eq!(Reply::Same.apply(b"x"), b"x");
        let stamped = String::from_utf8(Reply::Ctime.apply(b"data")).unwrap();
        assert!(
            stamped.starts_with('[') && stamped.ends_with("] data"),
            "{stamped}"
        );
        assert_eq!(stamped.len(), "[Mon Nov 23 10:00:00 2026] data".len());
    }
}
