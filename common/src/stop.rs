//! Stopping a server on Ctrl-C or SIGTERM on every platform (the Python
//! servers are killed mid-sentence), in three steps, as tokio's mini-redis:
//!
//! 1. **The signal starts the stop.** [`Stop::trigger`] notes when the grace
//!    period (`--grace`) ends, then connects once to the listener, so that a
//!    blocked `accept()` returns and sees it ([`Stop::accept`], in `server`).
//! 2. **Each connection sees it at its next read.** Reads wake every [`POLL`]
//!    (socketserver polls every 0.5 s too) and ask their [`InFlight`] whether
//!    to go on. (Shutting the socket down from another thread would be
//!    quicker, but only Linux wakes a blocked read that way.)
//! 3. **The server waits for them.** Every [`InFlight`] holds a clone of one
//!    token; [`Stop::finish`] waits until none is left, or the grace is over.

use crate::diag;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often a blocked read wakes to see a stop or its idle limit.
pub const POLL: Duration = Duration::from_millis(200);

/// One server's switch, shared by the signal handler, the accept loop and
/// every connection (not `Shutdown`, which is std's half-close).
#[derive(Clone, Default)]
pub struct Stop(Arc<Inner>);

#[derive(Default)]
struct Inner {
    grace: Duration,
    deadline: OnceLock<Instant>, // the end of the grace period, once stopping
    by_signal: AtomicBool,       // a signal, not code, stopped it: say so
    listener: OnceLock<SocketAddr>, // whose accept() a trigger wakes
    token: Arc<()>,              // one clone per connection in flight
}

impl Stop {
    /// A switch whose connections may finish for `grace` after a stop.
    pub fn new(grace: Duration) -> Self {
        Stop(Arc::new(Inner {
            grace,
            ..Inner::default()
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

    /// Starts the grace period and wakes the listener's `accept`; a timeout (a
    /// full accept queue) is retried for 10 s, a refusal (no listener) is not.
    pub fn trigger(&self) {
        let grace = self.0.grace;
        self.0.deadline.get_or_init(|| Instant::now() + grace);
        if let Some(addr) = self.0.listener.get() {
            let until = Instant::now() + Duration::from_secs(10);
            while let Err(e) = TcpStream::connect_timeout(addr, Duration::from_secs(1)) {
                if e.kind() == io::ErrorKind::ConnectionRefused || Instant::now() > until {
                    break;
                }
            }
        }
    }

    /// True once a stop was asked for: accept no more connections.
    pub fn is_stopping(&self) -> bool {
        self.0.deadline.get().is_some()
    }

    /// Lets [`Stop::trigger`] wake `listener`'s `accept` (through loopback
    /// for a listener on 0.0.0.0 or ::); one listener per stop.
    pub fn wake_on_stop(&self, listener: &TcpListener) {
        if let Ok(mut addr) = listener.local_addr() {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr.is_ipv4() {
                    true => Ipv4Addr::LOCALHOST.into(),
                    false => Ipv6Addr::LOCALHOST.into(),
                });
            }
            self.0.listener.get_or_init(|| addr);
        }
    }

    /// Admits a connection, in flight until its [`InFlight`] drops.
    pub fn admit(&self, idle: Option<Duration>) -> InFlight {
        InFlight(self.clone(), idle, self.0.token.clone())
    }

    /// How many connections are in flight: the token's clones.
    pub fn live(&self) -> usize {
        Arc::strong_count(&self.0.token) - 1
    }

    /// The end of a server's `run`: waits for the connections in flight
    /// (the grace period and 600 ms to clean up at most), then says so.
    pub fn finish(&self) {
        if let Some(deadline) = self.0.deadline.get() {
            let until = *deadline + Duration::from_millis(600);
            while self.live() > 0 && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if self.0.by_signal.load(SeqCst) {
            match self.live() {
                0 => diag!("stopped"),
                n => diag!("stopped; {n} connection(s) dropped unfinished"),
            }
        }
    }
}

/// A connection in flight: its switch, its idle limit, and a token clone.
pub struct InFlight(Stop, Option<Duration>, #[allow(dead_code)] Arc<()>);

impl InFlight {
    /// An error after the grace period ([`is_stopped`]), or when `silent` is
    /// past the idle limit (`TimedOut`; no limit is zero: `ZERO` checks the stop).
    pub fn still_waiting(&self, silent: Duration) -> io::Result<()> {
        match (self.0.0.deadline.get(), self.1) {
            (Some(deadline), _) if Instant::now() >= *deadline => Err(io::Error::other(Stopped)),
            (_, Some(idle)) if silent >= idle => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("idle for {}s; dropped", idle.as_secs_f64()),
            )),
            _ => Ok(()),
        }
    }
}

/// True for the error a connection's call gets once the grace is over.
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
        stop.wake_on_stop(&listener);
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
        stop.wake_on_stop(&listener);
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
