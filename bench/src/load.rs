//! A load generator for the sign-in servers: `total` sign-ins, `concurrency`
//! at a time, each connect → send `拔尖班{i}号签到` → read to EOF → close,
//! timed. The stress tests and the benchmark of main lab 2.4 (3) use it. It
//! prints nothing, so it measures the server, not a terminal.
//!
//! It runs one event loop (mio: epoll on Linux) per core. Not one thread
//! per client: a thousand client threads are always runnable, so the
//! scheduler gives them the CPU and the server under test gets what is
//! left. Not one event loop in all either: on loopback the kernel does the
//! server's half of each handshake inside the client's `connect`, so the
//! load needs about 40 µs of CPU a sign-in, twice what a bare server needs,
//! and a single loop held every server near 22 000 sign-ins a second: the
//! benchmark measured its load generator. With one loop per core the load
//! never has more runnable threads than there are cores, and the CPU goes
//! to whichever side is behind.

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use multithread::client::message as signin_message;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::ops::Range;
use std::thread;
use std::time::{Duration, Instant};

/// How often the clients in flight are checked against their deadline.
const TIMEOUT_SCAN: Duration = Duration::from_millis(50);

/// What a load run saw.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    pub ok: usize,
    pub failed: usize,
    /// One latency per successful sign-in, sorted.
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    /// The first failure, to say what went wrong.
    pub first_error: Option<String>,
    /// CPU time (user + system) the load generator's threads used.
    pub cpu: Duration,
}

impl LoadReport {
    /// Successful sign-ins per second.
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency below which `p` (0..=1) of the sign-ins completed.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }

    fn fail(&mut self, e: impl std::fmt::Display) {
        self.failed += 1;
        self.first_error.get_or_insert_with(|| e.to_string());
    }
}

/// One sign-in in flight.
struct Client {
    stream: TcpStream,
    started: Instant,
    message: Vec<u8>,
    /// How much of `message` is sent.
    sent: usize,
    /// How many reply bytes have arrived.
    received: usize,
}

/// Runs `total` sign-ins against `server`, `concurrency` at a time. A
/// sign-in fails when it cannot connect, or gets no answer, within
/// `timeout`.
///
/// The sign-ins and the concurrency are shared out evenly over one event
/// loop per core (fewer if there are fewer sign-ins or slots), each in its
/// own thread; sign-in `i` sends `signin_message(i)` whichever loop runs it.
pub fn load(server: SocketAddr, total: usize, concurrency: usize, timeout: Duration) -> LoadReport {
    let loops = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(concurrency.max(1))
        .min(total.max(1));
    // Loop j gets n / loops, plus one of the remainder if j is low enough.
    let share = |n: usize, j: usize| n / loops + usize::from(j < n % loops);
    let started = Instant::now();
    let parts: Vec<LoadReport> = thread::scope(|scope| {
        let mut first = 0;
        let handles: Vec<_> = (0..loops)
            .map(|j| {
                let range = first..first + share(total, j);
                first = range.end;
                let slots = share(concurrency.max(1), j);
                thread::Builder::new()
                    .name(format!("load {j}"))
                    .spawn_scoped(scope, move || run_loop(server, range, slots, timeout))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                let result = match handle {
                    Ok(h) => h.join().map_err(|_| "a load thread panicked".to_string()),
                    Err(e) => Err(format!("cannot start a load thread: {e}")),
                };
                result.unwrap_or_else(|e| {
                    let mut report = LoadReport::default();
                    report.fail(e);
                    report
                })
            })
            .collect()
    });
    let mut report = LoadReport::default();
    for part in parts {
        report.ok += part.ok;
        report.latencies.extend(part.latencies);
        report.cpu += part.cpu;
        if report.first_error.is_none() {
            report.first_error = part.first_error;
        }
    }
    report.elapsed = started.elapsed();
    // Sign-ins never started (a loop failed) count as failed.
    report.failed = total - report.ok;
    report.latencies.sort();
    report
}

/// One event loop: the sign-ins numbered `range`, `slots` at a time.
fn run_loop(
    server: SocketAddr,
    range: Range<usize>,
    slots: usize,
    timeout: Duration,
) -> LoadReport {
    let cpu_before = thread_cpu_time("/proc/thread-self/stat");
    let mut report = match Load::new(server, range, slots, timeout) {
        Ok(mut run) => {
            if let Err(e) = run.drive() {
                run.report.fail(format!("the event loop failed: {e}"));
            }
            run.report
        }
        Err(e) => {
            let mut report = LoadReport::default();
            report.fail(format!("cannot start the event loop: {e}"));
            report
        }
    };
    report.cpu = thread_cpu_time("/proc/thread-self/stat").saturating_sub(cpu_before);
    report
}

/// /proc reports CPU time in USER_HZ ticks, 100 a second on the
/// architectures Linux runs this on (x86, ARM).
const USER_HZ: u64 = 100;

/// User plus system CPU time from a /proc `stat` file (a process: all its
/// threads, live and ended; `thread-self`: the calling thread). Zero where
/// there is no /proc.
fn thread_cpu_time(path: &str) -> Duration {
    let ticks = std::fs::read_to_string(path).ok().and_then(|stat| {
        // Fields 14 and 15, counted after the `(comm)`, which may hold spaces.
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut f = rest.split_whitespace().skip(11);
        let user: u64 = f.next()?.parse().ok()?;
        let system: u64 = f.next()?.parse().ok()?;
        Some(user + system)
    });
    Duration::from_millis(ticks.unwrap_or(0) * 1000 / USER_HZ)
}

/// The state of one load run.
struct Load {
    poll: Poll,
    server: SocketAddr,
    timeout: Duration,
    /// The sign-ins of this loop still to start.
    pending: Range<usize>,
    /// Slot k holds the sign-in in flight under `Token(k)`, if any.
    slots: Vec<Option<Client>>,
    report: LoadReport,
}

impl Load {
    fn new(
        server: SocketAddr,
        pending: Range<usize>,
        slots: usize,
        timeout: Duration,
    ) -> io::Result<Self> {
        Ok(Load {
            poll: Poll::new()?,
            server,
            timeout,
            slots: (0..slots.clamp(1, pending.len().max(1)))
                .map(|_| None)
                .collect(),
            pending,
            report: LoadReport::default(),
        })
    }

    /// Fills every slot, then moves the sign-ins along as their sockets
    /// become ready, starting a new one in each slot that frees up.
    fn drive(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut buf = [0u8; multithread::server::RECV_SIZE];
        for k in 0..self.slots.len() {
            self.start(k);
        }
        let mut last_scan = Instant::now();
        while self.slots.iter().any(Option::is_some) {
            match self.poll.poll(&mut events, Some(TIMEOUT_SCAN)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                let k = event.token().0;
                let Some(client) = self.slots[k].as_mut() else {
                    continue;
                };
                // Events can be spurious (mio says so): every step checks
                // the socket and waits again on WouldBlock.
                match step(client, &mut buf) {
                    Ok(false) => continue,
                    Ok(true) => {
                        let latency = client.started.elapsed();
                        self.report.ok += 1;
                        self.report.latencies.push(latency);
                    }
                    Err(e) => self.report.fail(e),
                }
                self.finish(k);
                self.start(k);
            }
            if last_scan.elapsed() >= TIMEOUT_SCAN {
                last_scan = Instant::now();
                self.expire();
            }
        }
        Ok(())
    }

    /// Fails and replaces every sign-in older than the timeout.
    fn expire(&mut self) {
        for k in 0..self.slots.len() {
            let Some(client) = &self.slots[k] else {
                continue;
            };
            if client.started.elapsed() < self.timeout {
                continue;
            }
            let what = if client.sent == 0 {
                "no connection"
            } else {
                "no answer"
            };
            self.report
                .fail(format!("{what} within {:?}", self.timeout));
            self.finish(k);
            self.start(k);
        }
    }

    /// Starts the next sign-in, if any is left, in slot `k`. A connect that
    /// fails at once (no ports or descriptors left) counts as a failure,
    /// and the next sign-in is tried in its place.
    ///
    /// On loopback the handshake usually completes inside `connect`, so
    /// the message is sent at once; if the socket is not connected yet,
    /// `send` says `WouldBlock` and the first writable event sends it.
    fn start(&mut self, k: usize) {
        for i in self.pending.by_ref() {
            let started = Instant::now();
            let mut client = match TcpStream::connect(self.server) {
                Ok(stream) => Client {
                    stream,
                    started,
                    message: signin_message(i).into_bytes(),
                    sent: 0,
                    received: 0,
                },
                Err(e) => {
                    self.report.fail(e);
                    continue;
                }
            };
            if let Err(e) = send(&mut client) {
                self.report.fail(e);
                continue;
            }
            let interest = if client.sent < client.message.len() {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            match self
                .poll
                .registry()
                .register(&mut client.stream, Token(k), interest)
            {
                Ok(()) => {
                    self.slots[k] = Some(client);
                    return;
                }
                Err(e) => self.report.fail(e),
            }
        }
    }

    /// Ends the sign-in in slot `k`. Closing its socket also removes it
    /// from the poll set (it has no other descriptor), so no deregister
    /// call is needed; an event still queued for the slot reaches the next
    /// sign-in there, which treats it as spurious.
    fn finish(&mut self, k: usize) {
        self.slots[k] = None;
    }
}

/// Sends what is left of the message, as far as the socket takes it.
fn send(client: &mut Client) -> io::Result<()> {
    while client.sent < client.message.len() {
        match client.stream.write(&client.message[client.sent..]) {
            Ok(n) => client.sent += n,
            // Still connecting, or the send buffer is full.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Moves one sign-in as far as its socket allows. `Ok(true)` once the
/// server has answered and closed, `Ok(false)` while it must wait.
fn step(client: &mut Client, buf: &mut [u8]) -> io::Result<bool> {
    send(client)?;
    if client.sent < client.message.len() {
        return Ok(false);
    }
    loop {
        match client.stream.read(buf) {
            Ok(0) if client.received == 0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed without an answer",
                ));
            }
            Ok(0) => return Ok(true),
            Ok(n) => client.received += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `clients` connections opened and held at once, then every one signs
/// in at once: a server's model at real scale, without its listen queue in
/// the way. The connects are paced so that the server's accept queue never
/// holds more than `room` (see [`accept_queue`]): a full queue drops SYNs,
/// and the client then waits a second for its retransmit, which would
/// measure the queue, not the model. Each sign-in's latency runs from its
/// message to the end of its reply; the sign-ins start once the server
/// has accepted every connection (where /proc tells). A connect or a
/// sign-in fails when it is not done within `timeout`.
pub fn hold_then_sign_in(
    server: SocketAddr,
    clients: usize,
    room: usize,
    timeout: Duration,
) -> LoadReport {
    let mut report = LoadReport::default();
    let cpu_before = thread_cpu_time("/proc/thread-self/stat");
    // 1. Connect every client, and hold on.
    let mut held = Vec::with_capacity(clients);
    for i in 0..clients {
        // Fewer clients than the room cannot fill the queue.
        if clients > room && i % 256 == 0 {
            let until = Instant::now() + timeout;
            while accept_queue(server).is_some_and(|n| n >= room) && Instant::now() < until {
                thread::sleep(Duration::from_millis(1));
            }
        }
        match std::net::TcpStream::connect_timeout(&server, timeout) {
            Ok(stream) => held.push((i, stream)),
            Err(e) => report.fail(format!("connect: {e}")),
        }
    }
    // The server has taken every connection (its accept queue is empty):
    // all of them are held on its side too. (A handful need no wait, and
    // reading /proc/net/tcp each time would slow small rounds down.)
    let until = Instant::now() + timeout;
    while clients >= 64 && accept_queue(server).is_some_and(|n| n > 0) && Instant::now() < until {
        thread::sleep(Duration::from_millis(1));
    }
    // 2. Every held client sends its sign-in at once; the replies are read
    // as they come, on one event loop.
    let started = Instant::now();
    if let Err(e) = sign_in_all(held, timeout, &mut report) {
        report.fail(format!("the event loop failed: {e}"));
    }
    report.elapsed = started.elapsed();
    report.failed = clients - report.ok;
    report.latencies.sort();
    report.cpu = thread_cpu_time("/proc/thread-self/stat").saturating_sub(cpu_before);
    report
}

fn sign_in_all(
    held: Vec<(usize, std::net::TcpStream)>,
    timeout: Duration,
    report: &mut LoadReport,
) -> io::Result<()> {
    let poll = Poll::new()?;
    let mut clients: Vec<Option<Client>> = Vec::with_capacity(held.len());
    for (k, (i, stream)) in held.into_iter().enumerate() {
        stream.set_nonblocking(true)?;
        let mut client = Client {
            stream: TcpStream::from_std(stream),
            started: Instant::now(),
            message: signin_message(i).into_bytes(),
            sent: 0,
            received: 0,
        };
        let sent = send(&mut client).and_then(|()| {
            let interest = match client.sent < client.message.len() {
                true => Interest::READABLE | Interest::WRITABLE,
                false => Interest::READABLE,
            };
            poll.registry()
                .register(&mut client.stream, Token(k), interest)
        });
        match sent {
            Ok(()) => clients.push(Some(client)),
            Err(e) => {
                report.fail(e);
                clients.push(None);
            }
        }
    }
    let (mut events, mut buf) = (Events::with_capacity(1024), [0u8; 1024]);
    let mut poll = poll;
    let deadline = Instant::now() + timeout;
    let mut left = clients.iter().filter(|c| c.is_some()).count();
    while left > 0 && Instant::now() < deadline {
        match poll.poll(&mut events, Some(TIMEOUT_SCAN)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            let k = event.token().0;
            let Some(client) = clients[k].as_mut() else {
                continue;
            };
            match step(client, &mut buf) {
                Ok(false) => continue,
                Ok(true) => {
                    report.ok += 1;
                    report.latencies.push(client.started.elapsed());
                }
                Err(e) => report.fail(e),
            }
            clients[k] = None;
            left -= 1;
        }
    }
    if left > 0 {
        report.fail(format!(
            "{left} sign-in(s) had no answer within {timeout:?}"
        ));
    }
    Ok(())
}

/// How many connections wait in `server`'s accept queue now, from Linux's
/// /proc/net/tcp (the `rx_queue` of a listening socket); `None` where it
/// cannot be read.
pub fn accept_queue(server: SocketAddr) -> Option<usize> {
    // State 0A is LISTEN.
    sockets_on(server)?
        .into_iter()
        .find_map(|(state, rx)| (state == "0A").then_some(rx))
}

/// The sockets bound locally to `server`'s port, from Linux's
/// /proc/net/tcp (tcp6 for an IPv6 address): each one's state, as the
/// kernel writes it (`0A` LISTEN, `03` SYN_RECV, …), and its receive queue
/// (for a listener, the connections waiting for `accept`). `None` where
/// the table cannot be read.
pub fn sockets_on(server: SocketAddr) -> Option<Vec<(String, usize)>> {
    let table = match server {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = std::fs::read_to_string(table).ok()?;
    let port = format!(":{:04X}", server.port());
    let rows = text.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // local_address ends in :PORT; then rem_address, st, tx:rx queues.
        // A row that does not parse is left out; one that does has st (f[3]).
        let rx = f.get(4)?.split(':').nth(1)?;
        let rx = usize::from_str_radix(rx, 16).ok()?;
        f.get(1)?.ends_with(&port).then(|| (f[3].to_string(), rx))
    });
    Some(rows.collect())
}

/// Linux's counters of dropped and retransmitted SYNs, for the whole
/// network namespace (/proc/net/netstat, TcpExt): (TCPSynRetrans,
/// ListenOverflows, ListenDrops). `None` where they cannot be read.
pub fn syn_counters() -> Option<(u64, u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next()?, lines.next()?);
    let get = |name: &str| {
        let i = names.split_whitespace().position(|n| n == name)?;
        values.split_whitespace().nth(i)?.parse().ok()
    };
    Some((
        get("TCPSynRetrans")?,
        get("ListenOverflows")?,
        get("ListenDrops")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A server that answers the first `answered` sign-ins and closes the
    /// rest unanswered.
    fn server(answered: usize) -> (SocketAddr, thread::JoinHandle<Vec<String>>, usize) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let total = answered + 3;
        let handle = thread::spawn(move || {
            let mut seen = Vec::new();
            for n in 0..total {
                let (mut s, _) = listener.accept().unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut b = [0u8; 1024];
                let got = s.read(&mut b).unwrap();
                seen.push(String::from_utf8_lossy(&b[..got]).into_owned());
                if n < answered {
                    s.write_all(multithread::server::REPLY.as_bytes()).unwrap();
                }
            }
            seen
        });
        (addr, handle, total)
    }

    /// Runs the load against `server(answered)`, `concurrency` at a time,
    /// and checks the counts and that every sign-in sent its own message
    /// exactly once.
    fn answered_and_sent_once(answered: usize, concurrency: usize) -> LoadReport {
        let (addr, handle, total) = server(answered);
        let report = load(addr, total, concurrency, Duration::from_secs(10));
        assert_eq!(report.ok, answered);
        assert_eq!(report.failed, total - answered);
        assert_eq!(report.latencies.len(), answered);
        assert!(report.latencies.is_sorted());
        let mut seen = handle.join().unwrap();
        seen.sort();
        let mut expected: Vec<String> = (0..total).map(signin_message).collect();
        expected.sort();
        assert_eq!(seen, expected, "every sign-in sent its own message once");
        report
    }

    #[test]
    fn counts_answers_and_unanswered_closes() {
        // Concurrency 1: one loop, and the server answers in order.
        let report = answered_and_sent_once(7, 1);
        assert!(report.first_error.unwrap().contains("without an answer"));
    }

    #[test]
    fn the_loops_share_out_every_sign_in_once() {
        // Several loops where there are several cores; the server answers
        // whichever arrive first, so only the counts are fixed.
        answered_and_sent_once(30, 4);
    }

    #[test]
    fn a_silent_server_times_out() {
        // Accepts (the kernel does) but never answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = Instant::now();
        let report = load(addr, 4, 2, Duration::from_millis(300));
        assert_eq!(report.failed, 4);
        assert!(report.first_error.unwrap().contains("no answer"));
        assert!(t.elapsed() < Duration::from_secs(10));
        drop(listener);
    }

    #[test]
    fn a_refused_connection_fails() {
        // Held, never listening: refused, and no other test can take it.
        let closed = grader::ports::closed_port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], closed.port));
        let report = load(addr, 5, 2, Duration::from_secs(10));
        assert_eq!(report.failed, 5);
        assert_eq!(report.ok, 0);
    }
}
