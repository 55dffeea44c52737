//! A server's `socket`/`bind`/`listen` ([`listen`]), and a connection's
//! `recv`, `sendall` and `sendfile`, as the Python calls them, with the two
//! things the originals lack: an idle limit, and a clean stop (see
//! [`crate::stop`]).
//!
//! Both expect the stream's read and write timeouts to be [`POLL`], as
//! [`crate::stop::Stop::accept`] sets them ([`poll_often`]): each call to
//! the socket then returns at least that often, and the loop asks its
//! [`InFlight`] whether to go on waiting.

use crate::stop::InFlight;
pub use crate::stop::POLL;
use socket2::{Domain, Socket, Type};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Python's `sk = socket.socket(); sk.bind(addr); sk.listen(backlog)`, for
/// every TCP server here: the three calls, in that order.
pub fn listen(addr: SocketAddr, backlog: i32) -> io::Result<std::net::TcpListener> {
    let sk = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // Added: SO_REUSEADDR, so a restarted server binds at once instead of
    // failing while old connections sit in TIME_WAIT (seed 002 sets it too).
    // Not on Windows, where it would let a second server take the port.
    #[cfg(not(windows))]
    sk.set_reuse_address(true)?;
    sk.bind(&addr.into())?;
    // std's TcpListener::bind always asks for 128; socket2 lets us say 5.
    sk.listen(backlog)?;
    Ok(sk.into())
}

/// Python's `conn.recv(n)`: one read of at most `buf.len()` bytes; 0 means
/// the peer closed. Waits as long as its [`InFlight`] allows: fails with
/// `TimedOut` once the peer has been silent past the idle limit, and with
/// the stop error ([`crate::stop::is_stopped`]) once the server's grace period is over.
pub fn recv(stream: &mut TcpStream, buf: &mut [u8], in_flight: &InFlight) -> io::Result<usize> {
    let started = Instant::now();
    loop {
        // A peer that never pauses never times out: the stop is checked
        // before every read too, or a busy upload would outlive the grace
        // period and its temporary file the server.
        in_flight.still_waiting(Duration::ZERO)?;
        match stream.read(buf) {
            Ok(n) => {
                crate::trace::call("recv", peer(stream), Some(&buf[..n]));
                return Ok(n);
            }
            Err(e) if is_timeout(&e) => in_flight.still_waiting(started.elapsed())?,
            // A signal interrupted the wait: nothing happened to the socket.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Python's `conn.sendall(data)`: every byte, or an error. A peer that
/// stops reading holds it only as long as its [`InFlight`] allows.
pub fn send_all(stream: &mut TcpStream, mut data: &[u8], in_flight: &InFlight) -> io::Result<()> {
    crate::trace::call("sendall", peer(stream), Some(data));
    let mut stalled = Instant::now();
    while !data.is_empty() {
        in_flight.still_waiting(Duration::ZERO)?;
        match stream.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                data = &data[n..];
                stalled = Instant::now();
            }
            Err(e) if is_timeout(&e) => in_flight.still_waiting(stalled.elapsed())?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// How much one `recv` or `sendall` of a file's bytes moves at a time: the
/// originals take 1024 bytes; 1 MiB makes the system calls cheap next to
/// the disk and the md5.
pub const CHUNK: usize = 1 << 20;

/// Python's `sock.sendfile(file)`: the rest of `file`, [`CHUNK`] at a time,
/// each through [`send_all`]; `sent(n)` is told each chunk's size.
pub fn send_file(
    stream: &mut TcpStream,
    mut file: impl Read,
    in_flight: &InFlight,
    mut sent: impl FnMut(u64),
) -> io::Result<()> {
    let mut data = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut data)?;
        if n == 0 {
            return Ok(());
        }
        send_all(stream, &data[..n], in_flight)?;
        sent(n as u64);
    }
}

/// The peer's address, for a trace line (only asked for with `--trace`).
pub fn peer(stream: &TcpStream) -> String {
    match crate::trace::is_on() {
        true => stream
            .peer_addr()
            .map_or_else(|e| format!("({e})"), |a| a.to_string()),
        false => String::new(),
    }
}

/// Sets both timeouts of a new connection to [`POLL`], so that its reads
/// and writes wake often enough to see a stop.
pub fn poll_often(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))
}

/// What a client's socket call failed at, inside the `io::Error` it
/// returns (whose kind stays the cause's, so callers can still tell a
/// timeout or a refusal): the error names the address or host.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("no reply from {addr} within {}s", .timeout.as_secs_f64())]
    NoReply { addr: SocketAddr, timeout: Duration },
    // The cause is said in the message, not chained as a source: an error
    // report that prints the chain would say it twice.
    #[error("waiting for {addr}: {cause}")]
    Waiting { addr: SocketAddr, cause: io::Error },
    #[error("cannot resolve {host}: {cause}")]
    Resolve { host: String, cause: io::Error },
    #[error("{host} has no address")]
    NoAddress { host: String },
    #[error("cannot connect to {addr}: {cause}")]
    Connect { addr: SocketAddr, cause: io::Error },
}

impl NetError {
    /// As an `io::Error` of `kind`, this error inside.
    fn into_io(self, kind: io::ErrorKind) -> io::Error {
        io::Error::new(kind, self)
    }
}

/// Names what a client was waiting for when a read failed: `no reply from
/// 127.0.0.1:9999 within 30s` instead of a bare "timed out".
pub fn waiting_for(addr: SocketAddr, timeout: Duration) -> impl Fn(io::Error) -> io::Error {
    move |e| {
        if is_timeout(&e) {
            NetError::NoReply { addr, timeout }.into_io(io::ErrorKind::TimedOut)
        } else {
            let kind = e.kind();
            NetError::Waiting { addr, cause: e }.into_io(kind)
        }
    }
}

/// Python's `socket.socket(AF_INET, SOCK_DGRAM)` for a client: a UDP
/// socket of `peer`'s family. std binds a socket when it creates it, so this
/// binds port 0, as Python's first `sendto` does.
pub fn udp_socket_for(peer: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let any: SocketAddr = match peer {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    std::net::UdpSocket::bind(any)
}

/// Resolves `host` (an IPv4 or IPv6 literal such as `::1`, or a name) and
/// `port` to the first address it names.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let host = host.to_string();
    let mut addrs = (host.as_str(), port).to_socket_addrs().map_err(|e| {
        let kind = e.kind();
        NetError::Resolve {
            host: host.clone(),
            cause: e,
        }
        .into_io(kind)
    })?;
    addrs
        .next()
        .ok_or_else(|| NetError::NoAddress { host }.into_io(io::ErrorKind::NotFound))
}

/// True for the errors a socket timeout produces (`WouldBlock` on Unix,
/// `TimedOut` on Windows).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// True for the errors that mean the peer went away: reset, aborted, broken
/// pipe, or EOF in the middle of something.
pub fn is_disconnect(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected
    )
}

/// A client's connect: `sk.connect(ip_port)`, giving up after `timeout`,
/// with the same timeout on every later read and write so that a server
/// that never answers fails the client instead of hanging it.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    crate::trace::call("connect", addr, None);
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        let kind = e.kind();
        NetError::Connect { addr, cause: e }.into_io(kind)
    })?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stop::{Stop, is_stopped};
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        poll_often(&server).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        (client, server)
    }

    #[test]
    fn recv_reads_what_arrives_and_drops_an_idle_peer() {
        let (mut client, mut server) = pair();
        let stop = Stop::new(Duration::ZERO);
        let in_flight = stop.admit(Some(Duration::from_millis(500)));
        client.write_all(b"hi").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(recv(&mut server, &mut buf, &in_flight).unwrap(), 2);
        let started = Instant::now();
        let idle = recv(&mut server, &mut buf, &in_flight).unwrap_err();
        assert_eq!(idle.kind(), io::ErrorKind::TimedOut, "{idle}");
        assert!(started.elapsed() >= Duration::from_millis(500));
    }

    #[test]
    fn send_file_sends_every_byte_and_counts_them() {
        let (mut client, mut server) = pair();
        let stop = Stop::new(Duration::ZERO);
        let in_flight = stop.admit(None);
        // More than two chunks, the last one short.
        let file: Vec<u8> = (0..2 * CHUNK + 7).map(|i| (i % 251) as u8).collect();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            client.read_to_end(&mut got).map(|_| got)
        });
        let mut counted = Vec::new();
        send_file(&mut server, &file[..], &in_flight, |n| counted.push(n)).unwrap();
        drop(server);
        assert_eq!(reader.join().unwrap().unwrap(), file);
        assert_eq!(counted, [CHUNK as u64, CHUNK as u64, 7]);
    }

    #[test]
    fn a_stop_ends_a_blocked_recv_without_touching_the_socket() {
        let (_client, mut server) = pair();
        let stop = Stop::new(Duration::ZERO);
        let in_flight = stop.admit(None);
        let s = stop.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            s.trigger();
        });
        let started = Instant::now();
        let err = recv(&mut server, &mut [0u8; 8], &in_flight).unwrap_err();
        assert!(is_stopped(&err), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        stopper.join().unwrap();
    }

    #[test]
    fn send_all_gives_up_on_a_peer_that_never_reads() {
        let (_client, mut server) = pair();
        let stop = Stop::new(Duration::ZERO);
        let in_flight = stop.admit(Some(Duration::from_millis(400)));
        // Far more than the socket buffers hold.
        let big = vec![0u8; 64 << 20];
        let err = send_all(&mut server, &big, &in_flight).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    }
}
