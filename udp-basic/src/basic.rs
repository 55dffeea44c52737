//! Main lab 2.2: a UDP server that prints every datagram (`udp_server.py`)
//! and a client that sends each line typed at its prompt (`udp_client.py`).
//!
//! Server: `cargo run -p udp-basic -- server` (or `python3 udp_server.py`).
//! Client: `cargo run -p udp-basic -- client` (or `python3 udp_client.py`).

use common::diag;
use common::log::Output;
use common::server::Shutdown;
use common::text::printable;
use std::io::{self, BufRead};
use std::net::{SocketAddr, UdpSocket};

/// The client's prompt, shown as `input('数据：')` shows it: no newline.
pub const PROMPT: &str = "数据：";
/// Typing this ends the client.
pub const EXIT: &str = "exit";

/// Prints every datagram that arrives until `shutdown` fires. There is no
/// connection and no reply: UDP just delivers (or loses) each datagram.
pub fn run(socket: &UdpSocket, shutdown: &Shutdown, out: &Output) {
    shutdown.watch_udp(socket);
    let mut buf = vec![0u8; crate::MAX_DATAGRAM + 1];
    while let Some((n, _peer)) = recv(socket, &mut buf, shutdown) {
        out.line(printable(&buf[..n]));
    }
    shutdown.announce_stop(0);
}

/// One `recvfrom`, skipping the errors that say nothing about this socket.
/// `None` once the server is stopping.
pub fn recv(
    socket: &UdpSocket,
    buf: &mut [u8],
    shutdown: &Shutdown,
) -> Option<(usize, SocketAddr)> {
    loop {
        if shutdown.is_stopping() {
            return None;
        }
        match socket.recv_from(buf) {
            Ok(got) if !shutdown.is_stopping() => return Some(got),
            Ok(_) => return None,
            // An ICMP "port unreachable" for an earlier reply surfaces here
            // as ConnectionReset (Windows) or ConnectionRefused; the socket
            // itself is fine.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                diag!("recvfrom failed: {e}");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
}

/// Prompts, reads a line, strips it and sends it as one datagram, until
/// `exit` or the end of input. An empty line is sent as an empty datagram,
/// which UDP allows (seed 002 §二).
pub fn client(server: SocketAddr, input: impl BufRead, out: &Output) -> io::Result<()> {
    let socket = common::net::udp_client_for(server)?;
    let mut lines = input.split(b'\n');
    loop {
        out.prompt(PROMPT);
        let Some(line) = lines.next() else { break };
        let line = String::from_utf8_lossy(&line?).into_owned();
        let message = line.trim();
        if message == EXIT {
            break;
        }
        socket
            .send_to(message.as_bytes(), server)
            .map_err(|e| io::Error::new(e.kind(), format!("sending to {server}: {e}")))?;
    }
    Ok(())
}
