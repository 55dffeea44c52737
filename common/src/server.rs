//! Stopping a server cleanly, on every platform: what Ctrl-C and SIGTERM
//! do, how a blocked `accept()` and a blocked `recv()` find out, and how the
//! server waits for the connections still in flight.
//!
//! The Python servers run `while True: conn, addr = sk.accept()` until they
//! are killed, mid-sentence. The port stops instead, in three steps:
//!
//! 1. **The signal sets a flag.** [`Stop::on_signals`] installs the
//!    Ctrl-C / SIGTERM handler (the ctrlc crate: a console handler on
//!    Windows, a signal handler on Unix). The handler sets the flag, starts
//!    the grace period (`--grace`), and wakes the listeners (step 2).
//! 2. **Blocked calls find out.** A thread blocked in `accept()` cannot see a
//!    flag, so the handler also *connects to the listener once*
//!    ([`Stop::wake_on_stop`]): `accept` returns, and the loop sees the
//!    flag. A thread blocked in `recv()` on a connection is woken by its own
//!    read timeout instead: every connection reads with a short timeout
//!    ([`POLL`], as Python's socketserver polls every 0.5 s) and, each time
//!    it wakes, checks the flag and its idle deadline ([`InFlight`]). Shutting
//!    the socket down from another thread would be quicker, but only Linux
//!    wakes a read that way; Windows does not.
//! 3. **The server waits for the connections in flight.** Each connection
//!    holds an [`InFlight`] while it runs, and each holds a sender of one
//!    channel. After the accept loop ends, [`Stop::finish`] drops its own
//!    sender and waits on the channel, which says "closed" when the last
//!    connection drops its [`InFlight`]. A connection may go on talking
//!    during the grace period; after it, its next read or write fails
//!    with [`stopped`] (a busy one at its next call, an idle one within
//!    one [`POLL`]), so it ends and cleans up (an upload removes
//!    its temporary file) before the process exits.

use crate::diag;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// How often a blocked read wakes to check the stop flag and its idle
/// deadline. Short enough that a server stops well within `--grace` + 1 s;
/// long enough that an idle connection costs nothing measurable.
pub const POLL: Duration = Duration::from_millis(200);

/// How long [`Stop::trigger`] goes on trying to connect to a listener to
/// wake its `accept`, when tries time out.
const WAKE_LIMIT: Duration = Duration::from_secs(10);

/// How long [`Stop::finish`] waits, past the grace period, for the
/// connections to notice the stop and clean up.
const CLEANUP: Duration = Duration::from_millis(600);

/// The stop switch of one server, shared by the signal handler, the accept
/// loop and every connection. Cloning shares it. (Named `Stop`, not
/// `Shutdown`, so that it is never confused with `std::net::Shutdown`,
/// which half-closes one socket.)
#[derive(Clone)]
pub struct Stop(Arc<Inner>);

struct Inner {
    grace: Duration,
    stopping: AtomicBool,
    /// Set when Ctrl-C or SIGTERM stopped the server, rather than code (a
    /// test, the tour): only then is the stop announced on stderr.
    by_signal: AtomicBool,
    /// How many connections are in flight, for what a stop says and for
    /// tests. Waiting for them is the channel's job.
    live: AtomicUsize,
    /// Set once [`Stop::accept`] has arranged for a stop to wake it.
    wake_arranged: AtomicBool,
    /// The connections in flight, counted as tokio's mini-redis counts its
    /// handlers: each [`InFlight`] holds a clone of this sender, and
    /// [`Stop::finish`] drops the original and waits until the channel
    /// says that no sender is left.
    in_flight: Mutex<Option<mpsc::Sender<()>>>,
    all_done: Mutex<mpsc::Receiver<()>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// When the grace period ends; set by [`Stop::trigger`].
    deadline: Option<Instant>,
    /// Listeners to connect to once, to wake their `accept`.
    listeners: Vec<SocketAddr>,
}

impl Stop {
    /// A switch whose connections may finish for `grace` after a stop.
    pub fn new(grace: Duration) -> Self {
        let (in_flight, all_done) = mpsc::channel();
        Stop(Arc::new(Inner {
            grace,
            stopping: AtomicBool::new(false),
            by_signal: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            wake_arranged: AtomicBool::new(false),
            in_flight: Mutex::new(Some(in_flight)),
            all_done: Mutex::new(all_done),
            state: Mutex::new(State::default()),
        }))
    }

    /// Makes Ctrl-C and SIGTERM trigger this stop. A second signal ends
    /// the process at once. A process has one handler, so call this once.
    pub fn on_signals(&self) -> Result<(), ctrlc::Error> {
        let stop = self.clone();
        ctrlc::set_handler(move || {
            if stop.is_stopping() {
                diag!("second signal: exiting now");
                std::process::exit(130);
            }
            match stop.live() {
                0 => diag!("stopping"),
                n => diag!(
                    "stopping: {n} connection(s) in flight may finish within {:?}",
                    stop.0.grace
                ),
            }
            stop.0.by_signal.store(true, Ordering::SeqCst);
            stop.trigger();
        })
    }

    /// Sets the flag, starts the grace period, and wakes every `accept`
    /// that [`Stop::wake_on_stop`] named.
    pub fn trigger(&self) {
        let listeners = {
            let mut state = self.state();
            state.deadline.get_or_insert(Instant::now() + self.0.grace);
            state.listeners.clone()
        };
        self.0.stopping.store(true, Ordering::SeqCst);
        for addr in listeners {
            // A wake-up can time out: a full accept queue, or a lost packet
            // on a lossy link. Try again until WAKE_LIMIT; a refusal means
            // the listener is gone, and nobody is waiting in its accept.
            let until = Instant::now() + WAKE_LIMIT;
            while Instant::now() < until {
                match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                    Err(e) if e.kind() != io::ErrorKind::ConnectionRefused => continue,
                    _ => break,
                }
            }
        }
    }

    /// True once a stop was asked for: accept no more connections.
    pub fn is_stopping(&self) -> bool {
        self.0.stopping.load(Ordering::SeqCst)
    }

    /// True once the grace period after a stop is over: connections still
    /// open must end now.
    pub fn grace_is_over(&self) -> bool {
        self.is_stopping() && self.state().deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `conn, addr = sk.accept()`, as every server's loop wants it:
    ///
    /// ```text
    /// while let Some((conn, addr)) = stop.accept(&listener) { … }
    /// ```
    ///
    /// `None` once a stop was asked for; the stop's own wake-up connection
    /// is never served. What the original lacks, done here once for every
    /// server: the first call arranges for a stop to wake a blocked
    /// `accept` ([`Stop::wake_on_stop`]), and a failed accept (out of
    /// file descriptors) is logged and retried, not the end of the server
    /// ([`accept_failed`]).
    pub fn accept(&self, listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
        if !self.0.wake_arranged.swap(true, Ordering::SeqCst)
            && let Err(e) = self.wake_on_stop(listener)
        {
            diag!("cannot arrange a clean stop: {e}");
        }
        loop {
            if self.is_stopping() {
                return None;
            }
            match listener.accept() {
                Ok(_) if self.is_stopping() => return None,
                Ok(accepted) => return Some(accepted),
                Err(e) => accept_failed(&e),
            }
        }
    }

    /// Arranges for [`Stop::trigger`] to connect to `listener` once, so
    /// that a thread blocked in its `accept()` returns and sees the stop.
    /// [`Stop::accept`] does it by itself; an accept loop of its own (the
    /// event-driven server's) calls this.
    pub fn wake_on_stop(&self, listener: &TcpListener) -> io::Result<()> {
        let mut addr = listener.local_addr()?;
        // A listener on 0.0.0.0 or :: is reached on loopback.
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        self.state().listeners.push(addr);
        Ok(())
    }

    /// Admits one new connection: it counts as in flight until the
    /// [`InFlight`] is dropped, and its reads give up after `idle` of silence
    /// (`None`: never) or when the grace period is over.
    pub fn admit(&self, idle: Option<Duration>) -> InFlight {
        self.0.live.fetch_add(1, Ordering::SeqCst);
        InFlight {
            stop: self.clone(),
            idle,
            _in_flight: lock(&self.0.in_flight).clone(),
        }
    }

    /// How many connections are in flight.
    pub fn live(&self) -> usize {
        self.0.live.load(Ordering::SeqCst)
    }

    /// The end of every TCP server's `run`: after the accept loop has
    /// stopped, waits for the connections in flight (at most the grace
    /// period and a moment to clean up), then says on stderr that the
    /// server stopped, when a signal stopped it.
    pub fn finish(&self) {
        let until = self.state().deadline.map(|d| d + CLEANUP);
        // Drop the original sender: from now on, only the connections in
        // flight hold one.
        drop(lock(&self.0.in_flight).take());
        if let Some(until) = until {
            // Returns when the last [`InFlight`] is dropped (the channel has no
            // sender left), or when the grace period and the cleanup are
            // over; no message is ever sent.
            let left = until.saturating_duration_since(Instant::now());
            let _ = lock(&self.0.all_done).recv_timeout(left);
        }
        match self.live() {
            0 => self.announce("stopped"),
            n => self.announce(&format!(
                "stopped; {n} connection(s) had not finished and were dropped"
            )),
        }
    }

    /// Says `what` on stderr when Ctrl-C or SIGTERM stopped the server: the
    /// person who pressed it sees the server end. A stop by code is silent.
    pub fn announce(&self, what: &str) {
        if self.0.by_signal.load(Ordering::SeqCst) {
            diag!("{what}");
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.0.state)
    }
}

/// A poisoned lock only means a thread panicked while holding it; what it
/// guards (a deadline, a sender) stays consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One connection in flight, from [`Stop::admit`]: counted until it is
/// dropped, and the judge of when the connection's reads have waited long
/// enough (the server stopped, or the peer was idle too long).
pub struct InFlight {
    stop: Stop,
    idle: Option<Duration>,
    /// Dropped with the [`InFlight`]: the channel [`Stop::finish`] waits on.
    _in_flight: Option<mpsc::Sender<()>>,
}

impl InFlight {
    /// Decides what a read that timed out after [`POLL`] means, `silent`
    /// into a wait for data: go on waiting (`Ok`), or give up because the
    /// server has stopped or the peer was idle too long (`Err`).
    pub fn still_waiting(&self, silent: Duration) -> io::Result<()> {
        if self.stop.grace_is_over() {
            return Err(stopped());
        }
        match self.idle {
            Some(idle) if silent >= idle => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("idle for {}s; dropped", idle.as_secs_f64()),
            )),
            _ => Ok(()),
        }
    }

    /// `Err(stopped())` once the grace period after a stop is over: a
    /// connection that is still busy must end now.
    pub fn still_running(&self) -> io::Result<()> {
        if self.stop.grace_is_over() {
            return Err(stopped());
        }
        Ok(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // Counted out first; the sender goes right after, with the fields.
        self.stop.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The error a read or write of a connection gets once the server has
/// stopped and the grace period is over.
pub fn stopped() -> io::Error {
    io::Error::other(Stopped)
}

/// True for the error [`stopped`] makes.
pub fn is_stopped(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Stopped>())
}

/// The cause inside [`stopped`]'s error.
#[derive(Debug)]
struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server is shutting down")
    }
}

impl std::error::Error for Stopped {}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn trigger_wakes_a_blocked_accept() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stop = Stop::new(Duration::ZERO);
        stop.wake_on_stop(&listener).unwrap();
        let s = stop.clone();
        let waker = thread::spawn(move || s.trigger());
        // Returns because the trigger connected; the flag is set by then.
        listener.accept().unwrap();
        waker.join().unwrap();
        assert!(stop.is_stopping());
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "Windows retries a refused connect for about 2 s: the refusal comes as a timeout"
    )]
    fn a_stop_does_not_wait_on_a_listener_that_is_gone() {
        // Nothing listens any more: the wake-up is refused, and a refusal
        // is not retried as a timeout is.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stop = Stop::new(Duration::ZERO);
        stop.wake_on_stop(&listener).unwrap();
        drop(listener);
        let started = Instant::now();
        stop.trigger();
        assert!(
            started.elapsed() < WAKE_LIMIT / 2,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_in_flight_gives_up_when_idle_or_after_the_grace_period() {
        let stop = Stop::new(Duration::from_millis(300));
        let in_flight = stop.admit(Some(Duration::from_secs(1)));
        assert!(in_flight.still_waiting(Duration::from_millis(999)).is_ok());
        let idle = in_flight.still_waiting(Duration::from_secs(1)).unwrap_err();
        assert_eq!(idle.kind(), io::ErrorKind::TimedOut);

        let forever = stop.admit(None);
        assert!(forever.still_waiting(Duration::from_secs(3600)).is_ok());
        stop.trigger();
        // Within the grace period a connection may go on.
        assert!(forever.still_waiting(Duration::ZERO).is_ok());
        let deadline = Instant::now() + Duration::from_secs(10);
        while forever.still_waiting(Duration::ZERO).is_ok() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(is_stopped(
            &forever.still_waiting(Duration::ZERO).unwrap_err()
        ));
    }

    #[test]
    fn finish_waits_for_the_last_in_flight_and_no_longer() {
        let stop = Stop::new(Duration::from_secs(30));
        let in_flight = stop.admit(None);
        assert_eq!(stop.live(), 1);
        stop.trigger();
        let s = stop.clone();
        let started = Instant::now();
        let finisher = thread::spawn(move || s.finish());
        thread::sleep(Duration::from_millis(50));
        drop(in_flight);
        finisher.join().unwrap();
        assert_eq!(stop.live(), 0);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "finish waited for the deadline instead of the last connection"
        );
    }

    #[test]
    fn finish_gives_up_after_the_grace_period() {
        let stop = Stop::new(Duration::from_millis(100));
        let _stuck = stop.admit(None);
        stop.trigger();
        let started = Instant::now();
        stop.finish();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(stop.live(), 1);
    }
}
