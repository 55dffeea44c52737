//! Stopping a server on Ctrl-C or SIGTERM, on every platform (the Python
//! servers are killed mid-sentence), in three steps, as tokio's mini-redis:
//!
//! 1. **The signal starts the stop.** [`Stop::on_signals`] (the ctrlc crate)
//!    calls [`Stop::trigger`]: it notes when the grace period (`--grace`)
//!    ends, then connects once to each listener, so that a thread blocked in
//!    `accept()` returns and [`Stop::accept`] sees the stop.
//! 2. **Each connection sees it at its next read.** Connections read with a
//!    [`POLL`] timeout (socketserver polls every 0.5 s too); each time a read
//!    wakes, its [`InFlight`] says whether to go on: not after the grace
//!    period, nor past the idle limit. (Shutting the socket down from another
//!    thread would be quicker, but only Linux wakes a blocked read that way.)
//! 3. **The server waits for them.** Every [`InFlight`] holds a sender of one
//!    channel; [`Stop::finish`] drops its own and waits until the channel has
//!    no sender left (the last connection has cleaned up) or the grace is over.

use crate::diag;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// How often a blocked read wakes to see a stop or its idle limit.
pub const POLL: Duration = Duration::from_millis(200);

/// The stop switch of one server, shared by the signal handler, the accept
/// loop and every connection. (Not `Shutdown`: that is std's half-close.)
#[derive(Clone)]
pub struct Stop(Arc<Inner>);

struct Inner {
    grace: Duration,
    deadline: OnceLock<Instant>, // the end of the grace period, once stopping
    by_signal: AtomicBool,       // a signal, not code, stopped it: say so
    live: AtomicUsize,           // connections in flight
    listeners: Mutex<Vec<SocketAddr>>,
    sender: Mutex<Option<mpsc::Sender<()>>>,
    all_done: Mutex<mpsc::Receiver<()>>,
}

impl Stop {
    /// A switch whose connections may finish for `grace` after a stop.
    pub fn new(grace: Duration) -> Self {
        let (sender, all_done) = mpsc::channel();
        Stop(Arc::new(Inner {
            grace,
            deadline: OnceLock::new(),
            by_signal: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            listeners: Mutex::new(Vec::new()),
            sender: Mutex::new(Some(sender)),
            all_done: Mutex::new(all_done),
        }))
    }

    /// Ctrl-C and SIGTERM trigger this stop; a second one exits at once.
    pub fn on_signals(&self) -> Result<(), ctrlc::Error> {
        let stop = self.clone();
        ctrlc::set_handler(move || {
            if stop.is_stopping() {
                diag!("second signal: exiting now");
                std::process::exit(130);
            }
            diag!("stopping: {} connection(s) in flight", stop.live());
            stop.0.by_signal.store(true, SeqCst);
            stop.trigger();
        })
    }

    /// Starts the grace period, then wakes every listener's `accept`.
    pub fn trigger(&self) {
        self.0
            .deadline
            .get_or_init(|| Instant::now() + self.0.grace);
        for addr in lock(&self.0.listeners).clone() {
            // A full accept queue can time a wake-up out: retry for 10 s. A
            // refusal means the listener is gone, and nobody waits on it.
            let until = Instant::now() + Duration::from_secs(10);
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
        self.0.deadline.get().is_some()
    }

    /// `conn, addr = sk.accept()` until a stop (`while let Some((conn, addr))
    /// = stop.accept(&listener)`), the connection reading with a [`POLL`]
    /// timeout; the stop's own wake-up is never served, and a failed accept
    /// (out of file descriptors) is retried.
    pub fn accept(&self, listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
        if let Err(e) = self.wake_on_stop(listener) {
            diag!("cannot arrange a clean stop: {e}");
        }
        while !self.is_stopping() {
            match listener.accept() {
                Ok(_) if self.is_stopping() => break,
                // Added: its reads and writes wake every POLL to see the stop.
                Ok((conn, addr)) => match crate::net::poll_often(&conn) {
                    Ok(()) => return Some((conn, addr)),
                    Err(e) => diag!("{addr}: {e}; connection closed"),
                },
                Err(e) => crate::server::accept_failed(&e),
            }
        }
        None
    }

    /// Lets [`Stop::trigger`] wake `listener`'s `accept` (a listener on
    /// 0.0.0.0 or :: through loopback). [`Stop::accept`] calls it.
    pub fn wake_on_stop(&self, listener: &TcpListener) -> io::Result<()> {
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            let ip: IpAddr = match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            };
            addr.set_ip(ip);
        }
        let mut listeners = lock(&self.0.listeners);
        if !listeners.contains(&addr) {
            listeners.push(addr);
        }
        Ok(())
    }

    /// Admits a connection: in flight until its [`InFlight`] drops; its reads
    /// give up after `idle` of silence (`None`: never) or after the grace.
    pub fn admit(&self, idle: Option<Duration>) -> InFlight {
        self.0.live.fetch_add(1, SeqCst);
        InFlight(self.clone(), idle, lock(&self.0.sender).clone())
    }

    /// How many connections are in flight.
    pub fn live(&self) -> usize {
        self.0.live.load(SeqCst)
    }

    /// The end of a TCP server's `run`: waits for the connections in flight
    /// (the grace period and 600 ms to clean up at most), then says so.
    pub fn finish(&self) {
        drop(lock(&self.0.sender).take());
        if let Some(deadline) = self.0.deadline.get() {
            // Nothing is ever sent: this returns when the last sender drops.
            let left =
                (*deadline + Duration::from_millis(600)).saturating_duration_since(Instant::now());
            let _ = lock(&self.0.all_done).recv_timeout(left);
        }
        match self.live() {
            0 => self.announce("stopped"),
            n => self.announce(&format!("stopped; {n} connection(s) dropped unfinished")),
        }
    }

    /// Says `what` on stderr when a signal stopped the server.
    pub fn announce(&self, what: &str) {
        if self.0.by_signal.load(SeqCst) {
            diag!("{what}");
        }
    }
}

/// A lock poisoned by a panic still guards consistent data (a list, a sender).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection in flight: its server's switch, its idle limit, and its
/// sender, held only to be dropped with it.
pub struct InFlight(
    Stop,
    Option<Duration>,
    #[allow(dead_code)] Option<mpsc::Sender<()>>,
);

impl InFlight {
    /// Whether a call that has waited `silent` goes on: `Err` after the
    /// grace period ([`stopped`]) or past the idle limit (`TimedOut`).
    pub fn still_waiting(&self, silent: Duration) -> io::Result<()> {
        self.still_running()?;
        match self.1 {
            Some(idle) if silent >= idle => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("idle for {}s; dropped", idle.as_secs_f64()),
            )),
            _ => Ok(()),
        }
    }

    /// `Err(stopped())` once the grace period after a stop is over.
    pub fn still_running(&self) -> io::Result<()> {
        match self.0.0.deadline.get() {
            Some(deadline) if Instant::now() >= *deadline => Err(stopped()),
            _ => Ok(()),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.live.fetch_sub(1, SeqCst);
    }
}

/// The error of a connection's call once the grace is over.
pub fn stopped() -> io::Error {
    io::Error::other(Stopped)
}

/// True for the error [`stopped`] makes.
pub fn is_stopped(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Stopped>())
}

#[derive(Debug, thiserror::Error)]
#[error("the server is shutting down")]
struct Stopped;

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
            started.elapsed() < Duration::from_secs(5),
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
