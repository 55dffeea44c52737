//! Running Python programs beside the Rust port, as the grader, the tests
//! and the benchmarks do: the Python found on this machine at run time, a
//! copy of a script with only its address (and, where asked, its folder or
//! backlog) rewritten, a way to know that it has bound its port without
//! connecting to it (a probe connection would be served, and printed, like
//! any other), and ports for programs that bind their own.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What to change in a copy of an original.
#[derive(Clone, Debug, Default)]
pub struct Rewrite<'a> {
    /// The port its `ip_port = (...)` (or socketserver address) points at.
    pub port: u16,
    /// `file_server.py`'s `base_path`.
    pub base_path: Option<&'a Path>,
    /// The `N` of `sk.listen(N)`.
    pub backlog: Option<i32>,
}

/// The script's text with only the lines `rewrite` names changed: the
/// `ip_port = (...)` assignment (and socketserver's address, which
/// `file_server.py` writes inline), `base_path = ...`, `sk.listen(...)`.
pub fn rewrite(script: &str, rewrite: &Rewrite<'_>) -> String {
    let port = rewrite.port;
    let mut out = String::with_capacity(script.len() + 64);
    for line in script.lines() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let new = if code.starts_with("ip_port") && code.contains('=') {
            Some(format!("ip_port = ('127.0.0.1', {port})"))
        } else if code.starts_with("instance = socketserver.ThreadingTCPServer") {
            Some(format!(
                "instance = socketserver.ThreadingTCPServer(('127.0.0.1', {port}), MyServer)"
            ))
        } else if let (Some(base), true) = (rewrite.base_path, code.starts_with("base_path")) {
            Some(format!("base_path = r'{}'", base.display()))
        } else if let (Some(n), true) = (rewrite.backlog, code.starts_with("sk.listen(")) {
            Some(format!("sk.listen({n})"))
        } else {
            None
        };
        out.push_str(indent);
        out.push_str(new.as_deref().unwrap_or(code));
        out.push('\n');
    }
    out
}

/// The first of `python3`, `python` and `py -3` on PATH that runs a
/// Python 3.7 or later, as the words of a command (`["py", "-3"]`). Looked
/// for once, at run time: nothing about the machine is fixed when the
/// grader is built.
pub fn find() -> Option<Vec<String>> {
    static FOUND: OnceLock<Option<Vec<String>>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            ["python3", "python", "py -3"]
                .into_iter()
                .map(|c| c.split(' ').map(str::to_string).collect::<Vec<_>>())
                .find(|words| runs_python3(words))
        })
        .clone()
}

/// True when `words` start a Python 3.7 or later.
pub fn runs_python3(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    Command::new(program)
        .args(args)
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 7) else 1)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command of `words` (a Python found by [`find`] or given with
/// `--python`), to add a script to.
pub fn command(words: &[String]) -> Command {
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..]);
    cmd
}

/// The Python [`find`] finds, as a command; `None` where there is none.
pub fn python() -> Option<Command> {
    find().map(|words| command(&words))
}

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
        if is_bound(port, udp) {
            return true;
        }
        pause = (pause * 2).min(Duration::from_millis(100));
    }
    false
}

/// A port that was free a moment ago, for a program that must bind it
/// itself (a Python server, whose address is fixed in its source). Another
/// test can take it in between: a caller starts the program again on a
/// fresh port when it finds the port taken ([`port_taken`]). Rust servers
/// get an already-bound 127.0.0.1:0 instead.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port on 127.0.0.1")
}

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

    #[test]
    fn rewrites_only_the_named_lines() {
        let script = "ip_port = ('127.0.0.1', 9998)\n    sk.listen(5)\nx = 1\n        base_path = r'C:\\x'\n";
        let out = rewrite(
            script,
            &Rewrite {
                port: 4321,
                base_path: Some(Path::new("/tmp/save")),
                backlog: Some(1024),
            },
        );
        assert_eq!(
            out,
            "ip_port = ('127.0.0.1', 4321)\n    sk.listen(1024)\nx = 1\n        base_path = r'/tmp/save'\n"
        );
        let plain = rewrite(
            script,
            &Rewrite {
                port: 1,
                ..Default::default()
            },
        );
        assert!(plain.contains("sk.listen(5)") && plain.contains("C:\\x"));
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
