//! The chat server with ACKs of seed 001 (`serverTCP`, `serverClient`):
//! clients send lines, the server prints each one and acknowledges it, drops
//! clients that stay silent, and tells everyone when it shuts down.
//!
//! Server: `cargo run -p tcp-basic -- chat-server` (Ctrl-C notifies every client).
//! Client: `cargo run -p tcp-basic -- chat-client` (in several terminals).
//!
//! Seed 001's own comment asks why a client "still receives ACKs after the
//! server closed": with bare `send`/`recv`, two ACKs sent quickly can arrive
//! as one `ACKACK`, and a message can arrive in pieces. Here every message
//! and every ACK is a frame (`common::frame`: four length digits, then the
//! body), so each ACK is read as exactly one ACK, however fast messages go.

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::frame::{self, FrameError};
use common::log::Output;
use common::net::{self, is_disconnect, is_timeout};
use common::server::{Acceptor, Shutdown, spawn_connection};
use common::text::printable;
use std::io::{self, BufRead};
use std::net::{Shutdown as Half, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The body of an acknowledgement.
pub const ACK: &str = "ACK";
/// The body of the notice every client gets when the server stops.
pub const SHUTDOWN_NOTICE: &str = "server is shutting down";
/// What a client prints when the server has gone.
pub const CLOSED_BY_SERVER: &str = "connection has been closed by server";

/// The server's list of connected clients (seed 001 keeps `self.client`).
/// Each entry holds the writing half behind a lock, so an ACK from the
/// client's own thread and the shutdown notice from the main thread never
/// interleave their bytes.
#[derive(Default)]
struct Clients(Mutex<Vec<(SocketAddr, Arc<Mutex<TcpStream>>)>>);

impl Clients {
    fn list(&self) -> MutexGuard<'_, Vec<(SocketAddr, Arc<Mutex<TcpStream>>)>> {
        // A panicked handler leaves the list itself intact.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, peer: SocketAddr, writer: Arc<Mutex<TcpStream>>) {
        self.list().push((peer, writer));
    }

    fn remove(&self, peer: SocketAddr) {
        self.list().retain(|(p, _)| *p != peer);
    }

    /// Sends `notice` to every connected client and closes each one.
    fn broadcast_shutdown(&self) {
        for (peer, writer) in self.list().iter() {
            if let Err(e) = send(writer, SHUTDOWN_NOTICE) {
                diag!("notifying {}: {e}", PyAddr(*peer));
            }
            let _ = lock(writer).shutdown(Half::Both);
        }
    }
}

/// Writes one frame under the writer's lock.
fn send(writer: &Mutex<TcpStream>, body: &str) -> Result<(), FrameError> {
    frame::write_frame(&mut *lock(writer), body.as_bytes())
}

/// A writer whose lock a panicked thread held is still a usable socket.
fn lock(writer: &Mutex<TcpStream>) -> MutexGuard<'_, TcpStream> {
    writer.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serves chat clients, each on its own thread, until `shutdown` fires;
/// then notifies and closes every client.
pub fn run(listener: &TcpListener, opts: &ServerOpts, shutdown: &Shutdown, out: &Output) {
    if let Ok(addr) = listener.local_addr() {
        out.line(format!(
            "TCP Server正在监听: Host: {} Port: {}",
            addr.ip(),
            addr.port()
        ));
    }
    let clients = Arc::new(Clients::default());
    let idle = opts.idle();
    let mut acceptor = Acceptor::new(listener, shutdown, idle);
    while let Some(conn) = acceptor.accept() {
        let peer = conn.peer;
        out.line(format!(
            "-----来自IP: {} Port: {} 的新连接已经建立-----",
            peer.ip(),
            peer.port()
        ));
        let writer = match conn.stream.try_clone() {
            Ok(w) => Arc::new(Mutex::new(w)),
            Err(e) => {
                diag!("{}: {e}", PyAddr(peer));
                continue;
            }
        };
        clients.add(peer, writer.clone());
        let (clients, out) = (clients.clone(), out.clone());
        spawn_connection(peer, move || {
            let _ticket = conn.ticket;
            handle_connection(conn.stream, peer, &writer, idle, &out);
            clients.remove(peer);
        });
    }
    clients.broadcast_shutdown();
    // Every client was told and closed: nothing to wait for.
    shutdown.finish(Duration::ZERO);
}

/// One client: print and acknowledge each message until it leaves, goes
/// silent past the idle timeout, or the server stops.
fn handle_connection(
    mut reader: TcpStream,
    peer: SocketAddr,
    writer: &Arc<Mutex<TcpStream>>,
    idle: Option<Duration>,
    out: &Output,
) {
    loop {
        match frame::read_frame(&mut reader) {
            Ok(Some(message)) => {
                out.line(format!(
                    "从IP: {} Port: {} 处接受到的信息: {}",
                    peer.ip(),
                    peer.port(),
                    printable(&message)
                ));
                if let Err(e) = send(writer, ACK) {
                    diag!("acknowledging {}: {e}", PyAddr(peer));
                    break;
                }
            }
            Ok(None) => break,
            Err(FrameError::Io(e)) if is_timeout(&e) => {
                let secs = idle.unwrap_or_default().as_secs_f64();
                diag!("{} sent nothing for {secs}s; dropped", PyAddr(peer));
                let _ = send(
                    writer,
                    &format!("no message for {secs}s: disconnected by the server"),
                );
                break;
            }
            Err(FrameError::Io(e)) if is_disconnect(&e) => break,
            Err(e) => {
                diag!("{}: {e}", PyAddr(peer));
                let _ = send(writer, &format!("bad message: {e}"));
                break;
            }
        }
    }
    out.line(format!(
        "-----从IP: {} Port: {} 处断开连接-----",
        peer.ip(),
        peer.port()
    ));
}

/// The chat client: one thread sends each line of `input`, this one prints
/// what the server says. Returns when the server goes away (at once, without
/// waiting for more input) or, after the end of input, once every message
/// has been acknowledged.
pub fn client(
    server: SocketAddr,
    input: impl BufRead + Send + 'static,
    timeout: Option<Duration>,
    out: &Output,
) -> io::Result<()> {
    let mut stream = net::connect(server, timeout)?;
    // The server may stay quiet for as long as the user does.
    stream.set_read_timeout(None)?;
    out.line(format!(
        "与IP: {} PORT: {} 成功建立连接!",
        server.ip(),
        server.port()
    ));
    out.line("输入要传输的数据");

    let finished_input = Arc::new(AtomicBool::new(false));
    let mut writer = stream.try_clone()?;
    let finished = finished_input.clone();
    // Not joined: when the server goes away first, this thread may be
    // blocked reading stdin, and the process must not wait for it.
    std::thread::spawn(move || {
        for line in input.lines() {
            let Ok(line) = line else { break };
            if frame::write_frame(&mut writer, line.as_bytes()).is_err() {
                return;
            }
        }
        finished.store(true, Ordering::SeqCst);
        // "That was all": the server answers the rest, then closes.
        let _ = writer.shutdown(Half::Write);
    });

    let mut told_why = false;
    loop {
        match frame::read_frame(&mut stream) {
            Ok(Some(body)) if body == ACK.as_bytes() => out.line(format!("上一条信息状态: {ACK}")),
            Ok(Some(body)) if body == SHUTDOWN_NOTICE.as_bytes() => {}
            Ok(Some(body)) => {
                told_why = true;
                out.line(printable(&body));
            }
            Ok(None) | Err(FrameError::Io(_)) | Err(FrameError::Truncated { .. }) => {
                if finished_input.load(Ordering::SeqCst) {
                    return Ok(());
                }
                if !told_why {
                    out.line(SHUTDOWN_NOTICE);
                }
                out.line(CLOSED_BY_SERVER);
                return Ok(());
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}
