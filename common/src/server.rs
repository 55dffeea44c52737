//! The server plumbing every exercise shares: the accept loop, one thread or
//! one pool job per connection, and a clean shutdown.
//!
//! The Python servers run `while True: conn, addr = sk.accept()` until they
//! are killed. The port runs the same loop, with three things added that a
//! real server needs:
//!
//! 1. **It survives accept errors.** Running out of file descriptors
//!    (`EMFILE`) makes `accept` fail while clients keep arriving. The loop
//!    logs it, sleeps a little longer each time (so it does not spin), and
//!    tries again; it never exits because of one bad accept.
//! 2. **It drops idle peers.** Every accepted connection gets a read and
//!    write timeout (`--idle-timeout`), so a client that connects and says
//!    nothing cannot hold a thread or a pool worker forever.
//! 3. **It stops cleanly.** Ctrl-C or SIGTERM sets a [`Shutdown`] flag. The
//!    accept loop is usually blocked inside `accept()`, where it cannot see
//!    a flag, so the signal handler then *connects to the listener itself*:
//!    `accept` returns, the loop sees the flag and stops accepting. The
//!    server then waits up to `--grace` seconds for the connections still in
//!    flight ([`Shutdown::drain`]), shuts down the ones that are left, and
//!    exits 0.

use crate::diag;
use std::collections::HashMap;
use std::net::{Shutdown as Both, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Stack size of a connection thread. Handlers keep their large buffers on
/// the heap (a sign-in reads into 1 KiB on the stack), so 256 KiB is
/// plenty, and a thousand threads reserve 256 MiB of address space instead
/// of 2 GiB.
pub const CONNECTION_STACK: usize = 256 * 1024;

/// The longest pause after repeated accept or spawn failures.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How long [`Shutdown::drain`] waits, after cutting the last connections,
/// for their handlers to notice and clean up (remove temporary files).
const CLEANUP_WAIT: Duration = Duration::from_secs(2);

/// The stop signal of one server, shared by the signal handler, the accept
/// loop and every connection. Cloning shares it.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<Inner>);

#[derive(Default)]
struct Inner {
    stopping: AtomicBool,
    /// Set when Ctrl-C or SIGTERM stopped the server, rather than code (a
    /// test, the tour): only then is the end announced on stderr.
    by_signal: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
    conns: Mutex<Conns>,
    closed: Condvar,
}

enum Waker {
    Tcp(SocketAddr),
    Udp(SocketAddr),
}

#[derive(Default)]
struct Conns {
    next_id: u64,
    open: HashMap<u64, TcpStream>,
    /// Set while [`Shutdown::drain`] waits on `closed`. Only then does a
    /// finished connection signal the condition variable: a notify is a
    /// system call even with nobody waiting, and a busy server would make
    /// one per connection for nothing.
    draining: bool,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes Ctrl-C and SIGTERM trigger this shutdown. A second signal ends
    /// the process at once. A process has one handler, so call this once.
    pub fn on_signals(&self) -> Result<(), ctrlc::Error> {
        let shutdown = self.clone();
        ctrlc::set_handler(move || {
            if shutdown.is_stopping() {
                diag!("second signal: exiting now");
                crate::log::flush_stdout();
                std::process::exit(130);
            }
            diag!(
                "stopping: no new connections; {} in flight",
                shutdown.open_connections()
            );
            shutdown.0.by_signal.store(true, Ordering::SeqCst);
            shutdown.trigger();
        })
    }

    /// Sets the flag and wakes every accept or receive loop that watches it.
    pub fn trigger(&self) {
        self.0.stopping.store(true, Ordering::SeqCst);
        for waker in lock(&self.0.wakers).iter() {
            // Best effort: if the wake-up cannot get through (a full accept
            // queue), the loop still sees the flag on its next accept.
            match *waker {
                Waker::Tcp(addr) => {
                    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
                }
                Waker::Udp(addr) => {
                    if let Ok(sock) = crate::net::udp_client_for(addr) {
                        let _ = sock.send_to(&[], addr);
                    }
                }
            }
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.0.stopping.load(Ordering::SeqCst)
    }

    /// Registers a listener to be woken by [`Shutdown::trigger`].
    pub fn watch_tcp(&self, listener: &TcpListener) {
        if let Ok(addr) = listener.local_addr() {
            lock(&self.0.wakers).push(Waker::Tcp(crate::net::reachable(addr)));
        }
    }

    /// Registers a UDP socket to be woken (by an empty datagram).
    pub fn watch_udp(&self, socket: &UdpSocket) {
        if let Ok(addr) = socket.local_addr() {
            lock(&self.0.wakers).push(Waker::Udp(crate::net::reachable(addr)));
        }
    }

    /// Records a connection as in flight until the returned ticket drops, so
    /// that shutdown can wait for it and, after the grace period, close it.
    pub fn track(&self, stream: &TcpStream) -> Ticket {
        // Without a clone (no file descriptor left) the connection simply is
        // not tracked; it still ends when its handler does.
        let Ok(clone) = stream.try_clone() else {
            return Ticket {
                shutdown: self.clone(),
                id: None,
            };
        };
        let mut conns = lock(&self.0.conns);
        let id = conns.next_id;
        conns.next_id += 1;
        conns.open.insert(id, clone);
        Ticket {
            shutdown: self.clone(),
            id: Some(id),
        }
    }

    /// How many tracked connections are still open.
    pub fn open_connections(&self) -> usize {
        lock(&self.0.conns).open.len()
    }

    /// Calls `f` on every open connection (the chat server's shutdown
    /// notice).
    pub fn for_each_open(&self, mut f: impl FnMut(&TcpStream)) {
        for stream in lock(&self.0.conns).open.values() {
            f(stream);
        }
    }

    /// Waits up to `grace` for the connections in flight to finish, then
    /// shuts down those that are left (their handlers see EOF or an error and
    /// clean up). Returns how many had to be cut off.
    pub fn drain(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        let mut conns = self.wait_until_closed(lock(&self.0.conns), deadline);
        let cut = conns.open.len();
        // Shut the reading side first: a handler blocked in `read` sees EOF
        // while it can still write, so it can tell its peer why, and remove
        // its temporary file. Whatever is still open after that is cut.
        for stream in conns.open.values() {
            let _ = stream.shutdown(Both::Read);
        }
        conns = self.wait_until_closed(conns, Instant::now() + CLEANUP_WAIT);
        for stream in conns.open.values() {
            let _ = stream.shutdown(Both::Both);
        }
        drop(conns);
        cut
    }

    /// The end of every server's `run`: once the accept loop has returned
    /// because of a signal, drain the connections in flight and say so on
    /// stderr.
    pub fn finish(&self, grace: Duration) {
        if !self.is_stopping() {
            return;
        }
        let cut = self.drain(grace);
        self.announce_stop(cut);
    }

    /// Says on stderr that the server has stopped, and how many connections
    /// it had to cut, when a signal stopped it: the person who pressed
    /// Ctrl-C sees it end. A stop asked for by code is silent.
    pub fn announce_stop(&self, cut: usize) {
        if !self.0.by_signal.load(Ordering::SeqCst) {
            return;
        }
        match cut {
            0 => diag!("stopped"),
            cut => diag!("stopped; closed {cut} connection(s) still open after the grace period"),
        }
    }

    fn wait_until_closed<'a>(
        &self,
        mut conns: MutexGuard<'a, Conns>,
        deadline: Instant,
    ) -> MutexGuard<'a, Conns> {
        // Under the same lock as the tickets' removals, so no removal can
        // slip between this check and the wait without notifying.
        conns.draining = true;
        while !conns.open.is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            conns = self
                .0
                .closed
                .wait_timeout(conns, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        conns
    }
}

/// Proof that a connection is in flight; dropping it marks it finished.
pub struct Ticket {
    shutdown: Shutdown,
    id: Option<u64>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut conns = lock(&self.shutdown.0.conns);
            conns.open.remove(&id);
            if conns.draining {
                self.shutdown.0.closed.notify_all();
            }
        }
    }
}

/// A poisoned lock only means a handler panicked while holding it; the maps
/// and lists behind these locks stay consistent, so keep going.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One accepted connection, tracked until it is dropped.
pub struct Accepted {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub ticket: Ticket,
}

impl Accepted {
    /// Closes the connection now, as Python's `conn.close()` does: the peer
    /// gets its FIN before this returns.
    ///
    /// Dropping `stream` alone would not do it. The ticket holds a second
    /// descriptor of the socket (so that shutdown can cut the connection),
    /// and a socket is closed only with its last descriptor. So the ticket
    /// goes first.
    pub fn close(self) {
        let Accepted { stream, ticket, .. } = self;
        drop(ticket);
        drop(stream);
    }
}

/// The accept loop, one `accept` at a time:
///
/// ```no_run
/// # use common::server::{Acceptor, Shutdown};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let mut acceptor = Acceptor::new(&listener, &Shutdown::new(), None);
/// while let Some(conn) = acceptor.accept() {
///     // serve conn.stream, which came from conn.peer
/// }
/// // here the server is stopping
/// ```
pub struct Acceptor<'a> {
    listener: &'a TcpListener,
    shutdown: Shutdown,
    idle: Option<Duration>,
    backoff: Duration,
}

impl<'a> Acceptor<'a> {
    /// `idle` becomes every connection's read and write timeout.
    pub fn new(listener: &'a TcpListener, shutdown: &Shutdown, idle: Option<Duration>) -> Self {
        shutdown.watch_tcp(listener);
        Acceptor {
            listener,
            shutdown: shutdown.clone(),
            idle,
            backoff: Duration::ZERO,
        }
    }

    /// Waits for the next connection. `None` once the server is stopping.
    pub fn accept(&mut self) -> Option<Accepted> {
        loop {
            if self.shutdown.is_stopping() {
                return None;
            }
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    self.backoff = Duration::ZERO;
                    if self.shutdown.is_stopping() {
                        // The wake-up connection of `trigger`, or a client
                        // that came too late: it is closed unanswered.
                        return None;
                    }
                    if let Err(e) = stream
                        .set_read_timeout(self.idle)
                        .and_then(|()| stream.set_write_timeout(self.idle))
                    {
                        diag!("cannot set timeouts for {peer}: {e}");
                        continue;
                    }
                    let ticket = self.shutdown.track(&stream);
                    return Some(Accepted {
                        stream,
                        peer,
                        ticket,
                    });
                }
                // A client that gave up between the handshake and accept,
                // or a signal: nothing is wrong with the listener.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::Interrupted
                            | std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                    ) => {}
                // Out of file descriptors or memory, or anything else: log,
                // back off so the loop does not spin, and try again.
                Err(e) => {
                    self.backoff = (self.backoff * 2).clamp(Duration::from_millis(10), MAX_BACKOFF);
                    diag!("accept failed: {e}; retrying in {:?}", self.backoff);
                    thread::sleep(self.backoff);
                }
            }
        }
    }
}

/// Runs `job`, catching a panic so that it ends only this piece of work, and
/// logs it as a failure of `what`.
pub fn guarded(what: impl std::fmt::Display, job: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(job)) {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        diag!("handler for {what} panicked: {msg}");
    }
}

/// Starts one thread for one connection (the thread-per-connection model of
/// main lab 2.4 (1) and socketserver.ThreadingTCPServer). The thread is a
/// plain detached OS thread ([`crate::detached`]): starting one is most of
/// what this model costs per connection, and std's threads cost twice as
/// much here. If the system refuses a new thread, the connection is
/// closed, the failure logged, and the caller pauses briefly before
/// accepting again: the server keeps serving the connections it has.
pub fn spawn_connection(peer: SocketAddr, job: impl FnOnce() + Send + 'static) {
    if let Err(e) = crate::detached::spawn(CONNECTION_STACK, move || guarded(peer, job)) {
        diag!("cannot start a thread for {peer}: {e}; connection closed");
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn trigger_wakes_a_blocked_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let shutdown = Shutdown::new();
        let mut acceptor = Acceptor::new(&listener, &shutdown, None);
        let s = shutdown.clone();
        let waker = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            s.trigger();
        });
        assert!(acceptor.accept().is_none());
        waker.join().unwrap();
    }

    #[test]
    fn a_tracked_connection_ends_with_close_not_with_its_stream() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let mut acceptor = Acceptor::new(&listener, &shutdown, None);

        // Dropping only the stream leaves the ticket's descriptor open: the
        // peer sees no EOF (its read times out) until the ticket goes too.
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let Accepted { stream, ticket, .. } = acceptor.accept().unwrap();
        drop(stream);
        let still_open = client.read(&mut [0u8; 1]).unwrap_err();
        assert!(
            matches!(
                still_open.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{still_open}"
        );
        drop(ticket);
        assert_eq!(client.read(&mut [0u8; 1]).unwrap(), 0);

        // close() ends it at once, and it is no longer in flight.
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let conn = acceptor.accept().unwrap();
        assert_eq!(shutdown.open_connections(), 1);
        conn.close();
        assert_eq!(shutdown.open_connections(), 0);
        assert_eq!(client.read(&mut [0u8; 1]).unwrap(), 0);
    }

    #[test]
    fn drain_cuts_connections_left_after_grace() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let mut client = TcpStream::connect(addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let conn = Acceptor::new(&listener, &shutdown, None).accept().unwrap();
        assert_eq!(shutdown.open_connections(), 1);
        let handler = thread::spawn(move || {
            let mut stream = conn.stream;
            let mut buf = [0u8; 8];
            // Blocks until drain shuts the socket down.
            let n = stream.read(&mut buf).unwrap_or(0);
            drop(conn.ticket);
            n
        });
        let cut = shutdown.drain(Duration::from_millis(100));
        assert_eq!(cut, 1);
        assert_eq!(handler.join().unwrap(), 0);
        assert_eq!(shutdown.open_connections(), 0);
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap(), 0, "client sees EOF");
    }

    #[test]
    fn drain_returns_as_soon_as_the_last_connection_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let _client = TcpStream::connect(addr).unwrap();
        let conn = Acceptor::new(&listener, &shutdown, None).accept().unwrap();
        let s = shutdown.clone();
        let handler = thread::spawn(move || {
            // Finish only once drain is waiting, so that only the ticket's
            // wake-up can end the wait early.
            let until = Instant::now() + Duration::from_secs(10);
            while !lock(&s.0.conns).draining && Instant::now() < until {
                thread::sleep(Duration::from_millis(1));
            }
            conn.close();
        });
        let started = Instant::now();
        assert_eq!(shutdown.drain(Duration::from_secs(60)), 0);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "drain waited for its deadline instead of the last connection"
        );
        handler.join().unwrap();
    }

    #[test]
    fn a_panicking_job_is_contained() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        guarded("test", move || {
            r.store(true, Ordering::SeqCst);
            panic!("boom");
        });
        assert!(ran.load(Ordering::SeqCst));
    }
}
