//! Opening sockets: a TCP listener with the backlog the lab talks about, a
//! client connection with timeouts, and the error kinds that mean "try again".

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// Resolves `host` (an IPv4 or IPv6 literal such as `::1`, or a name) and
/// `port` to the first address it names.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let mut addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {host}: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address")))
}

/// Binds a TCP listener and starts listening with an accept queue of
/// `backlog`, as Python's `sk.listen(5)` does.
///
/// std's `TcpListener::bind` always asks for a queue of 128 and has no way to
/// choose, so the socket is built with socket2. The backlog is the number of
/// connections that have finished the handshake but were not yet `accept`ed;
/// when it is full, Linux drops the handshake's last ACK and the client
/// retransmits after a second or more (see BENCHMARKS.md, section 2.4 (3)).
pub fn bind_tcp(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let context = |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(context)?;
    // Lets a restarted server bind while old connections sit in TIME_WAIT;
    // it does not let two servers share a port (std sets it too).
    socket.set_reuse_address(true).map_err(context)?;
    socket.bind(&addr.into()).map_err(context)?;
    socket.listen(backlog).map_err(context)?;
    Ok(socket.into())
}

/// Binds a UDP socket.
pub fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    UdpSocket::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind UDP {addr}: {e}")))
}

/// A UDP socket on an ephemeral port of the same family as `peer`, as a
/// client's `socket(AF_INET, SOCK_DGRAM)` gets on its first `sendto`.
pub fn udp_client_for(peer: SocketAddr) -> io::Result<UdpSocket> {
    let any: SocketAddr = if peer.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    UdpSocket::bind(any)
}

/// Connects to `addr`, failing after `timeout` instead of hanging, and gives
/// the stream the same timeout for reads and writes. `None` waits forever.
pub fn connect(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let context = |e: io::Error| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}"));
    let stream = match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t),
        None => TcpStream::connect(addr),
    }
    .map_err(context)?;
    stream.set_read_timeout(timeout)?;
    stream.set_write_timeout(timeout)?;
    Ok(stream)
}

/// One `read`, as Python's `recv(n)`, retried when a signal interrupts it.
/// A socket with a timeout (`SO_RCVTIMEO`) is never restarted by the kernel
/// after a signal handler runs, so its `read` can fail with `EINTR` where
/// the same read without a timeout would simply have gone on waiting.
pub fn recv(r: &mut impl io::Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            done => return done,
        }
    }
}

/// True for the errors a socket timeout produces (`EAGAIN` on Linux,
/// `TimedOut` elsewhere).
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

/// The loopback address of the same family, for a socket bound to the
/// wildcard address: where a process can reach its own listener.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    let mut a = addr;
    if a.ip().is_unspecified() {
        a.set_ip(match a {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    a
}
