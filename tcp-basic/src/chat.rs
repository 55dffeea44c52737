//! Seed 001's chat with ACKs (`serverTCP`, `serverClient`): clients send
//! what they type, the server prints each message and answers `ACK`, and
//! when the server stops it closes every client, who then leave.
//!
//! Server: `cargo run -p tcp-basic -- chat-server` (Ctrl-C closes every client).
//! Client: `cargo run -p tcp-basic -- chat-client` (in several terminals).
//!
//! The wire is the seed's: the message's bytes as typed, and the three
//! bytes `ACK` back, with nothing around them. Seed 001 asks why a client
//! "still receives ACKs after the server closed": TCP is a byte stream, so
//! two ACKs sent quickly can arrive as one `ACKACK` (and two quick messages
//! as one). The seed's client printed whatever one `recv` returned; this
//! one counts the ACKs in the stream ([`Acks`]) and prints one line each.
//!
//! Line numbers are those of the runnable copies in `../shared/peers/`.
//!
//! | `001_serverTCP.py`, line: code                     | here                               |
//! |----------------------------------------------------|------------------------------------|
//! | 12, 40–41: `socket()`, `bind`, `listen(5)`         | `net::listen`, in the cli          |
//! | 42: `print(f"TCP Server正在监听: …")`              | [`run`]: `out.line`                |
//! | 45: `client_socket, client_address = accept()`     | [`run`]: `stop.accept(listener)`   |
//! | 46: `print(f"-----来自IP: …的新连接已经建立-----")` | [`run`]: `out.line`                |
//! | 47: `self.client.append(client_socket)`            | [`run`]: `lock(&clients).push`     |
//! | 48: `threading.Thread(target=self.handle_client…)` | [`run`]: `spawn_connection`        |
//! | 21: `message = client_socket.recv(1024)`           | [`handle_client`]: `net::recv`     |
//! | 22–23: `if message == b"": break`                  | `Ok(0) => break`                   |
//! | 27–29: `except ConnectionResetError: print(…)`     | `Err(e) if … ConnectionReset`      |
//! | 24–25, 16: print the message                       | `out.line`                         |
//! | 26: `client_socket.send("ACK".encode("utf-8"))`    | `net::send_all(&mut conn, ACK, …)` |
//! | 31–33: print the disconnect, `close()`, `remove`   | `out.line`, `drop(conn)`, and [`run`]'s `retain` |
//! | 49–50, 35–37: `KeyboardInterrupt`: `broadcastShutdown` closes each client | [`run`], after the loop |
//!
//! | `001_serverClient.py`, line: code                  | here                               |
//! |----------------------------------------------------|------------------------------------|
//! | 17, 19, 23: `socket()`, `settimeout(30)`, `connect` | [`client`]: `net::connect`, then no read timeout (the seed's listening thread ends after 30 s without an ACK) |
//! | 24: `print(f"与IP: … 成功建立连接!")`               | `out.line`                         |
//! | 55–56: a thread runs `listen_for_server`           | this thread reads; a spawned one sends |
//! | 57: `print("输入要传输的数据")`                     | `out.line`                         |
//! | 30–35: `input()`, `client_socket.send(message)`    | the spawned thread: `sender.write_all` |
//! | 41: `response = self.client_socket.recv(1024)`     | `sk.read(&mut buf)`                |
//! | 46–47, 27: print `上一条信息状态: ACK`              | `acks.feed`, `out.line` per ACK    |
//! | 49–52: `b""`: print [`CLOSED`], `close()`          | `n == 0`: `out.line(CLOSED)`       |
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net;
use common::server::spawn_connection;
use common::stop::{InFlight, Stop};
use common::text::printable;
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server's answer to every message.
pub const ACK: &[u8] = b"ACK";
/// `recv(1024)`, as the seed reads.
pub const RECV_SIZE: usize = 1024;
/// What a client prints when the server has closed the connection.
pub const CLOSED: &str = "server is shutting down\nconnection has been closed by server";

/// The clients connected now (the seed's `self.client`), each with a
/// handle to close it when the server stops.
type Clients = Arc<Mutex<Vec<(SocketAddr, TcpStream)>>>;

/// Serves chat clients, each on its own thread, until Ctrl-C or SIGTERM;
/// then closes every client, as the seed's `broadcastShutdown` does.
pub fn run(listener: &TcpListener, opts: &ServerOpts, stop: &Stop, out: &Output) {
    if let Ok(addr) = listener.local_addr() {
        out.line(format!(
            "TCP Server正在监听: Host: {} Port: {}",
            addr.ip(),
            addr.port()
        ));
    }
    let clients = Clients::default();
    while let Some((conn, addr)) = stop.accept(listener) {
        out.line(format!(
            "-----来自IP: {} Port: {} 的新连接已经建立-----",
            addr.ip(),
            addr.port()
        ));
        match conn.try_clone() {
            Ok(handle) => lock(&clients).push((addr, handle)),
            Err(e) => diag!("{addr}: {e}"),
        }
        let in_flight = stop.admit(opts.idle());
        let (clients, out) = (clients.clone(), out.clone());
        spawn_connection(addr, move || {
            handle_client(conn, addr, in_flight, &out);
            lock(&clients).retain(|(a, _)| *a != addr);
        });
    }
    // broadcastShutdown: close every client. Each sees the end of the
    // stream and says the server is shutting down.
    for (_, client) in lock(&clients).iter() {
        let _ = client.shutdown(Shutdown::Both);
    }
    stop.finish();
}

fn lock(clients: &Clients) -> std::sync::MutexGuard<'_, Vec<(SocketAddr, TcpStream)>> {
    // A panicked handler leaves the list itself intact.
    clients.lock().unwrap_or_else(|p| p.into_inner())
}

/// One client: print and acknowledge each message until it leaves, is
/// silent past the idle limit, or the server stops.
pub fn handle_client(mut conn: TcpStream, addr: SocketAddr, in_flight: InFlight, out: &Output) {
    let mut buf = [0u8; RECV_SIZE];
    loop {
        let n = match net::recv(&mut conn, &mut buf, &in_flight) {
            // `if message == b"": break`: the client left.
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                out.line("oops!! something goes wrong!");
                break;
            }
            // Added: a silent client is dropped after --idle-timeout.
            Err(e) => {
                diag!("{addr}: {e}");
                break;
            }
        };
        out.line(format!(
            "从IP: {} Port: {} 处接受到的信息: {}",
            addr.ip(),
            addr.port(),
            printable(&buf[..n])
        ));
        if let Err(e) = net::send_all(&mut conn, ACK, &in_flight) {
            diag!("acknowledging {addr}: {e}");
            break;
        }
    }
    out.line(format!(
        "-----从IP: {} Port: {} 处断开连接-----",
        addr.ip(),
        addr.port()
    ));
    drop(conn);
}

/// The ACKs in a byte stream, however `recv` cut it: `ACKACK` is two, and
/// `AC` then `K` is one.
#[derive(Default)]
pub struct Acks {
    pending: Vec<u8>,
}

impl Acks {
    /// Takes the bytes of one `recv`; returns how many ACKs they completed
    /// and any bytes that are not part of an ACK.
    pub fn feed(&mut self, bytes: &[u8]) -> (usize, Vec<u8>) {
        self.pending.extend_from_slice(bytes);
        let (mut acks, mut other) = (0, Vec::new());
        // One pass with an index; what was read is dropped once, at the end.
        let mut at = 0;
        while at < self.pending.len() {
            let rest = &self.pending[at..];
            if rest.starts_with(ACK) {
                acks += 1;
                at += ACK.len();
            } else if ACK.starts_with(rest) {
                // The start of an ACK still arriving.
                break;
            } else {
                other.push(rest[0]);
                at += 1;
            }
        }
        self.pending.drain(..at);
        (acks, other)
    }
}

/// The chat client: one thread sends each line typed, this one prints a
/// status line for each ACK. Returns when the server closes the
/// connection (at once, without waiting for more input) or, after the end
/// of input, once the server has answered everything and closed.
pub fn client(
    addr: SocketAddr,
    input: impl BufRead + Send + 'static,
    timeout: Duration,
    out: &Output,
) -> io::Result<()> {
    let mut sk = net::connect(addr, timeout)?;
    // The server may stay quiet for as long as the user does.
    sk.set_read_timeout(None)?;
    out.line(format!(
        "与IP: {} PORT: {} 成功建立连接!",
        addr.ip(),
        addr.port()
    ));
    out.line("输入要传输的数据");

    let finished = Arc::new(AtomicBool::new(false));
    let mut sender = sk.try_clone()?;
    let done = finished.clone();
    // Not joined: when the server goes first, this thread may be blocked
    // reading stdin, and the process must not wait for it.
    std::thread::spawn(move || {
        for line in input.split(b'\n') {
            let Ok(line) = line else { break };
            let message = line.strip_suffix(b"\r").unwrap_or(&line);
            if sender.write_all(message).is_err() {
                return;
            }
            common::trace::call("send", addr, Some(message)); // Added: --trace
        }
        done.store(true, Ordering::SeqCst);
        // Added: "that was all"; the server answers the rest, then closes.
        let _ = sender.shutdown(Shutdown::Write);
        common::trace::call("shutdown(SHUT_WR)", addr, None); // Added: --trace
    });

    let mut acks = Acks::default();
    let mut buf = [0u8; RECV_SIZE];
    loop {
        let n = match sk.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if net::is_disconnect(&e) => 0,
            Err(e) => return Err(e),
        };
        common::trace::call("recv", addr, Some(&buf[..n])); // Added: --trace
        if n == 0 {
            if !finished.load(Ordering::SeqCst) {
                out.line(CLOSED);
            }
            return Ok(());
        }
        let (count, other) = acks.feed(&buf[..n]);
        if !other.is_empty() {
            out.line(printable(&other));
        }
        for _ in 0..count {
            out.line("上一条信息状态: ACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_are_counted_however_they_arrive() {
        let mut acks = Acks::default();
        assert_eq!(acks.feed(b"ACKACK"), (2, vec![]));
        assert_eq!(acks.feed(b"AC"), (0, vec![]));
        assert_eq!(acks.feed(b"KA"), (1, vec![]));
        assert_eq!(acks.feed(b"CKxACK"), (2, b"x".to_vec()));
        assert_eq!(acks.feed(b""), (0, vec![]));
    }
}
