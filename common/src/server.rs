//! What every accept loop shares besides the stop switch ([`crate::stop`]):
//! accepting until a stop, starting a connection's thread, saying why a
//! connection failed, and surviving a failed `accept()`.

use crate::diag;
use crate::stop::Stop;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

impl Stop {
    /// `conn, addr = sk.accept()` until a stop, the connection reading with
    /// a [`POLL`](crate::stop::POLL) timeout; the stop's own wake-up is
    /// never served, and a failed accept (out of file descriptors) is
    /// retried.
    pub fn accept(&self, listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
        self.wake_on_stop(listener);
        while !self.is_stopping() {
            match listener.accept() {
                Ok(_) if self.is_stopping() => break,
                // Added: its reads and writes wake every POLL to see the stop.
                Ok((conn, addr)) => match crate::net::poll_often(&conn) {
                    Ok(()) => {
                        crate::trace::call("accept", addr, None);
                        return Some((conn, addr));
                    }
                    Err(e) => diag!("{addr}: {e}; connection closed"),
                },
                Err(e) => accept_failed(&e),
            }
        }
        None
    }
}

/// Stack size of a connection thread. The handlers keep their buffers small
/// or on the heap, so 256 KiB is plenty, and a thousand threads reserve
/// 256 MiB of address space instead of 2 GiB.
pub const CONNECTION_STACK: usize = 256 * 1024;

/// `threading.Thread(target=work, args=(conn, addr)).start()`: one new std
/// thread for one connection. If the system refuses a thread, the
/// connection is closed (with `job`), the failure logged, and the caller
/// pauses briefly before accepting again; the server keeps serving the
/// connections it has. A panic in `job` ends only its own thread.
pub fn spawn_connection(addr: SocketAddr, job: impl FnOnce() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name(format!("connection {addr}"))
        .stack_size(CONNECTION_STACK)
        .spawn(job);
    if let Err(e) = spawned {
        diag!("cannot start a thread for {addr}: {e}; connection closed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Says on stderr why a connection's handler failed (`addr: why`): a
/// failed connection ends itself only, never the server. Every handler
/// that returns a `Result` is called through this, on a thread, in a pool's
/// job or inline: `logged(addr, handle_connection(conn, addr, …))`.
pub fn logged<E: std::fmt::Display>(addr: impl std::fmt::Display, result: Result<(), E>) {
    if let Err(e) = result {
        diag!("{addr}: {e}");
    }
}

/// What an accept loop does when `accept()` fails. A client that gave up
/// between the handshake and the accept, or a signal, says nothing about
/// the listener: accept again at once. Anything else (out of file
/// descriptors, `EMFILE`) is logged, and the loop pauses briefly so that it
/// does not spin while clients keep arriving. Python's loop would die here.
fn accept_failed(e: &io::Error) {
    use io::ErrorKind::*;
    if !matches!(
        e.kind(),
        Interrupted | ConnectionAborted | ConnectionReset | WouldBlock
    ) {
        diag!("accept failed: {e}; retrying in 100 ms");
        std::thread::sleep(Duration::from_millis(100));
    }
}
