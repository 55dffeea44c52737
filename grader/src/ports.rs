//! Ports on 127.0.0.1, as the grader, the tests and the benchmarks use
//! them: whether one is bound (found by binding it, as the lab's programs
//! do), waiting until one is, one that was free a moment ago, and one held
//! where nothing listens.

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// True when something has bound 127.0.0.1:`port` (TCP or UDP), found by
/// trying to bind it: nothing connects, so nothing is served or printed.
/// The probe's own socket is closed at once.
pub fn is_bound(port: u16, udp: bool) -> bool {
    use socket2::{Domain, Socket, Type};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Without SO_REUSEADDR (which std's TcpListener sets on Unix), as the
    // lab's programs bind: a socket of a closed server left in TIME_WAIT
    // counts as taken, since it would stop them.
    let kind = if udp { Type::DGRAM } else { Type::STREAM };
    let free = Socket::new(Domain::IPV4, kind, None).and_then(|s| s.bind(&addr.into()));
    free.is_err()
}

/// True when a TCP socket listens on `port`. On Linux, read from the
/// kernel's own table ([`listening_in_proc`]): only that tells a listener
/// from a socket bound and not yet listening, which refuses connections
/// (Python's `bind` and `listen` can be far apart on a loaded machine, and
/// a client sent in between was refused: found by the soak under load).
/// Elsewhere, by binding it with SO_REUSEADDR: on Unix that bind fails for
/// a listener, but not for a connection left in TIME_WAIT on the port,
/// which [`is_bound`] counts (a busy machine's earlier connections may
/// have used the number). On Windows, where SO_REUSEADDR would let the
/// probe share a listener's port, it is [`is_bound`].
fn listens(port: u16) -> bool {
    if let Some(listening) = listening_in_proc(port) {
        return listening;
    }
    #[cfg(unix)]
    {
        use socket2::{Domain, Socket, Type};
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let free = Socket::new(Domain::IPV4, Type::STREAM, None)
            .and_then(|s| s.set_reuse_address(true).map(|()| s))
            .and_then(|s| s.bind(&addr.into()));
        free.is_err()
    }
    #[cfg(not(unix))]
    {
        is_bound(port, false)
    }
}

/// Whether a TCP socket of this network namespace listens on `port`, from
/// Linux's `/proc/net/tcp` and `/proc/net/tcp6` (a row's local address
/// `HEXADDR:HEXPORT`, its state `0A` for LISTEN); `None` where neither can
/// be read (other systems).
fn listening_in_proc(port: u16) -> Option<bool> {
    let tables: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(t).ok())
        .collect();
    if tables.is_empty() {
        return None;
    }
    let listening = |row: &str| {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let local_port = fields.get(1).and_then(|a| a.rsplit_once(':'));
        let local_port = local_port.and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
        local_port == Some(port) && fields.get(3) == Some(&"0A")
    };
    Some(tables.iter().any(|t| t.lines().skip(1).any(listening)))
}

/// Waits (at most `limit`) until 127.0.0.1:`port` is bound, while `alive`
/// says the process that should bind it still runs. The bind probe holds
/// the port for a moment each time, so a server starting in exactly that
/// moment fails to bind: the caller starts it again on another port.
pub fn wait_bound(port: u16, udp: bool, limit: Duration, mut alive: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    // Python takes a few tens of milliseconds to start; probing less often
    // at first makes the race unlikely.
    let mut pause = Duration::from_millis(20);
    while Instant::now() < deadline {
        std::thread::sleep(pause);
        if !alive() {
            return false;
        }
        // A TCP server is started once it listens, not when the number is
        // merely taken.
        let started = match udp {
            true => is_bound(port, true),
            false => listens(port),
        };
        if started {
            return true;
        }
        pause = (pause * 2).min(Duration::from_millis(100));
    }
    false
}

/// A port that was free a moment ago, for a program that must bind it
/// itself (a Python server, whose address is fixed in its source). Another
/// process can take it in between: a caller starts the program again on a
/// fresh port when it finds the port taken ([`port_taken`]). Within this
/// process a port is never handed out twice in [`REUSE_AFTER`]: the
/// kernel may offer it again as soon as the probe is closed, before the
/// first program has bound it, and two programs started at once on one
/// port would each take the other's clients for their own. Rust servers
/// get an already-bound 127.0.0.1:0 instead.
pub fn free_port() -> u16 {
    let probe = || {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("an ephemeral port on 127.0.0.1")
    };
    // A poisoned list is still a list of ports.
    let mut handed = HANDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    handed.retain(|(_, at)| at.elapsed() < REUSE_AFTER);
    let mut port = probe();
    // Thousands of ports are free for every one handed out lately, so a
    // few tries find a fresh one.
    for _ in 0..64 {
        if !handed.iter().any(|(p, _)| *p == port) {
            break;
        }
        port = probe();
    }
    handed.push((port, Instant::now()));
    port
}

/// How long a port [`free_port`] handed out is not handed out again: longer
/// than the longest check.
pub const REUSE_AFTER: Duration = Duration::from_secs(180);

/// The ports [`free_port`] handed out, each with when.
static HANDED: std::sync::Mutex<Vec<(u16, Instant)>> = std::sync::Mutex::new(Vec::new());

/// True when a program's stderr says its port was taken (Linux, macOS and
/// Windows wording, from Rust or Python), so that it is worth starting
/// again on another port.
pub fn port_taken(stderr: &str) -> bool {
    ["Address already in use", "10048", "Errno 98", "Errno 48"]
        .iter()
        .any(|m| stderr.contains(m))
}

/// A loopback TCP port where nothing listens, held for as long as this
/// lives: a socket bound to 127.0.0.1:0 that never calls `listen`, so a
/// connection to it is refused, and nothing else can bind the port
/// meanwhile (it sets no SO_REUSEADDR). A port that was merely free a
/// moment ago could be taken by another test before the client connects.
pub struct ClosedPort {
    _socket: socket2::Socket,
    pub port: u16,
}

pub fn closed_port() -> ClosedPort {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))
        .and_then(|s| {
            s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
            Ok(s)
        })
        .expect("a socket bound to 127.0.0.1:0");
    let port = socket
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map(|a| a.port())
        .expect("a bound IPv4 socket has a port");
    ClosedPort {
        _socket: socket,
        port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel offers a closed probe's port again soon (about one in
    /// twenty of 2000 probes here); free_port does not.
    #[test]
    fn free_ports_are_never_handed_out_twice() {
        let ports: Vec<u16> = (0..500).map(|_| free_port()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
    }
    #[test]
    fn a_closed_port_refuses_connections_and_cannot_be_taken() {
        let closed = closed_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], closed.port));
        let refused = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5));
        assert_eq!(
            refused.map(|_| ()).unwrap_err().kind(),
            std::io::ErrorKind::ConnectionRefused
        );
        assert!(TcpListener::bind(addr).is_err(), "the port is held");
    }

    /// A socket bound and not yet listening refuses connections: it must
    /// not count as a started server, whatever its SO_REUSEADDR.
    #[test]
    fn a_bound_socket_is_not_a_listener_until_it_listens() {
        use socket2::{Domain, Socket, Type};
        // Bound to a port of the kernel's choosing, held throughout.
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let addr = s.local_addr().unwrap().as_socket().unwrap();
        if cfg!(target_os = "linux") {
            assert!(!listens(addr.port()), "bound, not listening");
        }
        s.listen(1).unwrap();
        assert!(listens(addr.port()), "listening");
        assert!(wait_bound(
            addr.port(),
            false,
            Duration::from_secs(5),
            || true
        ));
    }

    #[test]
    fn knows_a_taken_port_when_it_reads_one() {
        assert!(port_taken("OSError: [Errno 98] Address already in use\n"));
        assert!(port_taken(
            "tcp-basic: error: cannot bind: Address already in use (os error 98)"
        ));
        assert!(port_taken("OSError: [WinError 10048] Only one usage"));
        assert!(!port_taken("ConnectionRefusedError: [Errno 111]"));
    }

    #[test]
    fn sees_a_bound_port_without_connecting() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(is_bound(port, false));
        // A port just let go may be taken by another test at once: one of
        // three fresh ones must read free.
        drop(l);
        let free = (0..3).any(|_| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            drop(l);
            !is_bound(port, false)
        });
        assert!(free);
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(is_bound(u.local_addr().unwrap().port(), true));
    }
}
