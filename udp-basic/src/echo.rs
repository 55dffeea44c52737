//! UDP echo servers and their client: seed 001 (`serverUDP` answers
//! `check`), seed 002 §二 and §5.2 (upper case, and socketserver's
//! ThreadingUDPServer), seed 004 四 (replies stamped with `time.ctime()`).
//!
//! Server: `cargo run -p udp-basic -- echo-server [--reply check|upper|ctime] [--threaded]`.
//! Client: `cargo run -p udp-basic -- echo-client` (or the seeds' clients on port 6666).

use crate::basic::recv;
use common::addr::PyAddr;
use common::diag;
use common::log::Output;
use common::server::Shutdown;
use common::text::{ctime_now, printable, py_bytes_repr};
use std::io::{self, BufRead};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

/// How the UDP echo server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Reply {
    /// Answer `check` (seed 001)
    Check,
    /// Answer the datagram in upper case (seed 002, `bytes.upper()`)
    Upper,
    /// Answer `[Mon Nov 23 10:00:00 2026] data` (seed 004, `time.ctime()`)
    Ctime,
}

/// Seed 001's answer.
pub const CHECK: &str = "check";
/// What the client prints before each line (seed 001).
pub const PROMPT: &str = "输入需要传输的信息: ";
/// Typing this ends the client.
pub const QUIT: &str = "q";

/// Answers every datagram until `shutdown` fires, on this thread, or on a
/// new thread per datagram with `threaded` (ThreadingUDPServer).
pub fn run(socket: UdpSocket, reply: Reply, threaded: bool, shutdown: &Shutdown, out: &Output) {
    shutdown.watch_udp(&socket);
    if reply == Reply::Check
        && let Ok(addr) = socket.local_addr()
    {
        out.line(format!(
            "UDP Server正在监听: Host: {} Port: {}",
            addr.ip(),
            addr.port()
        ));
    }
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; crate::MAX_DATAGRAM + 1];
    loop {
        if reply == Reply::Ctime {
            out.line("Waiting for message ....");
        }
        let Some((n, peer)) = recv(&socket, &mut buf, shutdown) else {
            break;
        };
        let data = buf[..n].to_vec();
        if threaded {
            let (socket, out) = (socket.clone(), out.clone());
            let spawned = common::detached::spawn(common::server::CONNECTION_STACK, move || {
                common::server::guarded(PyAddr(peer), || answer(&socket, &data, peer, reply, &out))
            });
            if let Err(e) = spawned {
                diag!("cannot start a thread for {}: {e}", PyAddr(peer));
            }
        } else {
            answer(&socket, &data, peer, reply, out);
        }
    }
    shutdown.announce_stop(0);
}

/// Prints one datagram the way the seed's server does and answers it.
pub fn answer(socket: &UdpSocket, data: &[u8], peer: SocketAddr, reply: Reply, out: &Output) {
    let response = match reply {
        Reply::Check => {
            out.line(format!(
                "-----来自IP: {} Port: {}-----",
                peer.ip(),
                peer.port()
            ));
            out.line(format!("数据: {}", printable(data)));
            CHECK.as_bytes().to_vec()
        }
        Reply::Upper => {
            out.line(format!("客户端发过来的数据： {}", py_bytes_repr(data)));
            data.to_ascii_uppercase()
        }
        Reply::Ctime => {
            out.line(format!("Get client msg is:  {}", printable(data)));
            let mut r = format!("[{}] ", ctime_now()).into_bytes();
            r.extend_from_slice(data);
            r
        }
    };
    match socket.send_to(&response, peer) {
        Ok(_) if reply == Reply::Ctime => {
            out.line(format!("Received from and returned to:  {}", PyAddr(peer)));
        }
        Ok(_) => {}
        Err(e) => diag!(
            "oops! something goes wrong when sending message to {}: {e}",
            PyAddr(peer)
        ),
    }
}

/// Why the echo client stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no reply from {server} within {}s", timeout.as_secs_f64())]
    Timeout {
        server: SocketAddr,
        timeout: Duration,
    },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Sends each line (empty ones too: UDP can carry an empty datagram) and
/// prints the reply, until `q` or the end of input. Waits at most `timeout`
/// for each reply, then fails instead of hanging: a datagram or its answer
/// may simply be lost.
pub fn client(
    server: SocketAddr,
    input: impl BufRead,
    timeout: Duration,
    out: &Output,
) -> Result<(), ClientError> {
    let socket = common::net::udp_client_for(server)?;
    socket.set_read_timeout(common::cli::nonzero(timeout))?;
    let mut buf = vec![0u8; crate::MAX_DATAGRAM + 1];
    for line in input.lines() {
        out.line(PROMPT);
        let line = line?;
        if line == QUIT {
            break;
        }
        socket.send_to(line.as_bytes(), server)?;
        let (n, from) = socket.recv_from(&mut buf).map_err(|e| {
            if common::net::is_timeout(&e) {
                ClientError::Timeout { server, timeout }
            } else {
                ClientError::Io(e)
            }
        })?;
        out.line(format!(
            "收到{} 处返回数据: {}",
            PyAddr(from),
            printable(&buf[..n])
        ));
    }
    Ok(())
}
