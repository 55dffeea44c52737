//! The TCP echo programs of seeds 002–004: a server that answers every
//! message until the client leaves, and the client that types them. Each
//! seed prints its own lines and answers its own way; `--seed` picks one,
//! and its row of [`Settings`] says everything that differs (port, banner
//! lines, reply rule, prompt, how to quit), so the server and the client
//! below are each one program.
//!
//! Server: `cargo run -p tcp-basic -- echo-server --seed 002` (the seed's
//! Python: `python3 ../shared/peers/002_tcp_server.py`).
//! Client: `cargo run -p tcp-basic -- echo-client --seed 002` (or
//! `python3 ../shared/peers/002_tcp_client.py`).
//!
//! Each row gives the line of each seed's program (the runnable copies in
//! `../shared/peers/`; `-`: that program has no such step). Seed 003
//! 三(四)'s threaded server is not among them; it is 003's server with
//! `threading.Thread` at the accept and replies unchanged, printing nothing.
//!
//! | server step                    | 002 `tcp_server` | 002 `socketserver_tcp` | 003 `once_server` | 003 `server` | 003 `socketserver_server` | 004 `tcpSerSock` | here |
//! |--------------------------------|-------|-------|-------|-------|-------|-------|------|
//! | `socket()`, `bind`, `listen(5)`| 4–7   | 17    | 6–12  | 6–12  | 23    | 12–14 | `net::listen`, in the cli |
//! | print the port                 | 8     | -     | -     | -     | -     | -     | [`run`]: `settings.listening` |
//! | print before each accept       | -     | -     | -     | -     | -     | 18    | [`run`]: `settings.waiting` |
//! | `conn, addr = accept()`        | 11    | 18    | 15    | 16    | 24    | 19    | [`run`]: `stop.accept(listener)` |
//! | a thread per client            | -     | 17    | -     | -     | 23    | -     | [`run`]: `spawn_connection` |
//! | print `conn` and `addr`        | 12–13 | 6–7   | -     | -     | -     | 20    | [`handle_connection`]: `settings.connected` |
//! | `data = conn.recv(1024)`       | 16    | 9     | 18    | 21    | 13    | 23    | [`handle_connection`]: `net::recv` |
//! | `if not data: break`           | 17–18 | 10–11 | -     | 22, 27| 14    | 24–25 | `Ok(0) => break` |
//! | print the message              | 20    | 13    | 19    | 23    | 15    | 27    | `seed.message_line` |
//! | send the reply                 | 21    | 15    | 22    | 25    | 17    | 28    | `net::send_all(…, &seed.reply(…))` |
//! | `conn.close()`                 | 22    | -     | 25    | 31    | -     | -     | `drop(conn)` |
//!
//! | client step                    | 002 `tcp_client` | 003 `once_client` | 003 `client` | 003 `socketserver_client` | 004 `tcpCliSock` | here |
//! |--------------------------------|-------|-------|-------|-------|-------|------|
//! | `socket()`, `connect`          | 3–4   | 5–8   | 6–9   | 4–5   | 12–13 | [`client`]: `net::connect` |
//! | `msg = input(prompt)`          | 6     | -     | 13    | 8     | 17    | `out.prompt`, `lines.next()` |
//! | quit on `q` or an empty line   | 8–11  | -     | 14, 20| 9     | 18–19 | `settings.quit` |
//! | send the message               | 7     | 11    | 15    | 10    | 20    | `sk.write_all(msg)` |
//! | `data = recv(1024)`            | 12    | 14    | 17    | 12    | 21    | `sk.read(&mut buf)` |
//! | print the reply                | 13    | 15    | 18    | 13    | 24    | `out.line` |
//! | `close()`                      | 14    | 18    | 22    | 15    | 30    | `sk` dropped on return |

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net;
use common::server::spawn_connection;
use common::stop::{InFlight, Stop};
use common::text::{ctime_now, printable, py_bytes_repr};
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// `conn.recv(1024)`, as every seed reads.
pub const RECV_SIZE: usize = 1024;

/// Which seed's program to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Seed {
    /// Seed 002 §一: one client after another, upper-case replies (port 5002)
    #[value(name = "002")]
    S002,
    /// Seed 002 §5.1: socketserver.ThreadingTCPServer, upper case (5002)
    #[value(name = "002-socketserver")]
    S002Socketserver,
    /// Seed 003 三(二): one message of one client, then exit (8000)
    #[value(name = "003-once")]
    S003Once,
    /// Seed 003 三(三): one client after another, upper case (8000)
    #[value(name = "003")]
    S003,
    /// Seed 003 三(四): a thread per client, replies unchanged, silent (8000)
    #[value(name = "003-threads")]
    S003Threads,
    /// Seed 003 三(五): socketserver, upper case (8080)
    #[value(name = "003-socketserver")]
    S003Socketserver,
    /// Seed 004 三: tcpSerSock.py / tcpCliSock.py, `[ctime] data` (21567)
    #[value(name = "004")]
    S004,
}

/// How a seed's server answers each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `data.upper()`: ASCII letters only, as Python's `bytes.upper()`.
    Upper,
    /// `data`, unchanged.
    Same,
    /// `'[%s] %s' % (ctime(), data)`.
    Ctime,
}

/// How a seed's server shows a message in its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// `data.decode()`: the text.
    Text,
    /// `data` itself: Python's `b'…'`.
    Bytes,
}

/// How a seed's client knows the user is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quit {
    /// Seed 002: every line is sent first (an empty one puts nothing on
    /// the wire), then `q` ends the client.
    QAfterSending,
    /// An empty line ends the client, unsent.
    EmptyLine,
}

/// Everything that tells one seed's echo programs from another's, in one
/// row per seed ([`Seed::settings`]), so that the server and the client
/// below are one program each.
pub struct Settings {
    /// The port the seed's programs use.
    pub port: u16,
    /// A thread per client (socketserver, threading), or one after another.
    pub threaded: bool,
    /// One message of one client, then the end (seed 003 三(二)).
    pub once: bool,
    pub reply: Reply,
    /// The server's line per message (`None`: it prints none), and how the
    /// message shows in it.
    pub message: Option<(&'static str, Shown)>,
    /// The server's line once it listens, around its port number, if any.
    pub listening: Option<(&'static str, &'static str)>,
    /// The server's line before each `accept`, if any.
    pub waiting: Option<&'static str>,
    /// What the server prints when a client connects.
    pub connected: fn(&TcpStream, SocketAddr, &Output),
    /// The client's prompt.
    pub prompt: &'static str,
    pub quit: Quit,
    /// The client strips each line (`input().strip()`).
    pub strip: bool,
    /// What the client prints before each reply.
    pub reply_prefix: &'static str,
    /// The client takes the server closing as the end, not an error.
    pub close_ends: bool,
}

/// Prints nothing when a client connects.
fn silent(_: &TcpStream, _: SocketAddr, _: &Output) {}

const S002: Settings = Settings {
    port: 5002,
    threaded: false,
    once: false,
    reply: Reply::Upper,
    message: Some(("客户端发过来的数据： ", Shown::Text)),
    listening: Some(("服务端启动成功，在", "端口等待连接")),
    waiting: None,
    connected: |conn, addr, out| {
        out.line(format!("连接对象： {}", socket_repr(conn, addr)));
        out.line(format!("客户端ip+端口 {}", PyAddr(addr)));
    },
    prompt: "请输入内容>>>",
    quit: Quit::QAfterSending,
    strip: false,
    reply_prefix: "",
    close_ends: false,
};

const S003: Settings = Settings {
    port: 8000,
    threaded: false,
    once: false,
    reply: Reply::Upper,
    message: Some(("客户端发来的消息是： ", Shown::Text)),
    listening: None,
    waiting: None,
    connected: silent,
    prompt: ">>:",
    quit: Quit::EmptyLine,
    strip: false,
    reply_prefix: "服务端发来的消息 ",
    close_ends: false,
};

impl Seed {
    /// The seed's row of settings.
    pub fn settings(self) -> &'static Settings {
        match self {
            Seed::S002 => &S002,
            // print(self.request); print(self.client_address)
            Seed::S002Socketserver => &Settings {
                threaded: true,
                listening: None,
                connected: |conn, addr, out| {
                    out.line(socket_repr(conn, addr));
                    out.line(PyAddr(addr).to_string());
                },
                ..S002
            },
            Seed::S003Once => &Settings {
                once: true,
                message: Some(("客户端发来的消息是： ", Shown::Bytes)),
                ..S003
            },
            Seed::S003 => &S003,
            Seed::S003Threads => &Settings {
                threaded: true,
                reply: Reply::Same,
                message: None,
                ..S003
            },
            Seed::S003Socketserver => &Settings {
                port: 8080,
                threaded: true,
                message: Some(("收到客户端的消息是 ", Shown::Bytes)),
                prompt: ">>: ",
                strip: true,
                reply_prefix: "收到服务端发来的消息： ",
                ..S003
            },
            Seed::S004 => &Settings {
                port: 21567,
                reply: Reply::Ctime,
                message: Some(("Client:  ", Shown::Text)),
                waiting: Some("Waiting for connection ...."),
                connected: |_, addr, out| {
                    out.line(format!("Connected client from :  {}", PyAddr(addr)))
                },
                prompt: ">",
                reply_prefix: "Server:  ",
                close_ends: true,
                ..S003
            },
        }
    }

    /// The port the seed's programs use.
    pub fn port(self) -> u16 {
        self.settings().port
    }

    /// The server's answer to one message.
    pub fn reply(self, data: &[u8]) -> Vec<u8> {
        match self.settings().reply {
            Reply::Same => data.to_vec(),
            Reply::Ctime => {
                let mut out = format!("[{}] ", ctime_now()).into_bytes();
                out.extend_from_slice(data);
                out
            }
            Reply::Upper => data.to_ascii_uppercase(),
        }
    }

    /// What the server prints for one message, if anything.
    fn message_line(self, data: &[u8]) -> Option<String> {
        let (prefix, shown) = self.settings().message?;
        Some(match shown {
            Shown::Text => format!("{prefix}{}", printable(data)),
            Shown::Bytes => format!("{prefix}{}", py_bytes_repr(data)),
        })
    }
}

/// The seed's server loop: accept clients until Ctrl-C or SIGTERM, serving
/// each one to the end (one after another, or each on its own thread).
pub fn run(listener: &TcpListener, seed: Seed, opts: &ServerOpts, stop: &Stop, out: &Output) {
    let settings = seed.settings();
    if let Some((before, after)) = settings.listening {
        let port = listener.local_addr().map_or(0, |a| a.port());
        out.line(format!("{before}{port}{after}"));
    }
    loop {
        if let Some(waiting) = settings.waiting {
            out.line(waiting);
        }
        let Some((conn, addr)) = stop.accept(listener) else {
            break;
        };
        let in_flight = stop.admit(opts.idle());
        if settings.threaded {
            let out = out.clone();
            spawn_connection(addr, move || {
                handle_connection(conn, addr, seed, in_flight, &out)
            });
        } else {
            handle_connection(conn, addr, seed, in_flight, out);
        }
        // Seed 003 三(二) serves one client and closes its socket.
        if settings.once {
            break;
        }
    }
    stop.finish();
}

/// One client: print and answer each message until it leaves.
pub fn handle_connection(
    mut conn: TcpStream,
    addr: SocketAddr,
    seed: Seed,
    in_flight: InFlight,
    out: &Output,
) {
    let settings = seed.settings();
    (settings.connected)(&conn, addr, out);
    let mut buf = [0u8; RECV_SIZE];
    loop {
        let n = match net::recv(&mut conn, &mut buf, &in_flight) {
            // `if not data: break`: the client closed.
            Ok(0) => break,
            Ok(n) => n,
            // Added: an idle client is dropped; a reset ends only this session.
            Err(e) => {
                diag!("{}: {e}", PyAddr(addr));
                break;
            }
        };
        if let Some(line) = seed.message_line(&buf[..n]) {
            out.line(line);
        }
        if let Err(e) = net::send_all(&mut conn, &seed.reply(&buf[..n]), &in_flight) {
            diag!("replying to {}: {e}", PyAddr(addr));
            break;
        }
        if settings.once {
            break;
        }
    }
    drop(conn);
}

/// The connection as Python prints a socket object:
/// `<socket.socket fd=4, family=2, type=1, proto=0, laddr=(…), raddr=(…)>`.
fn socket_repr(conn: &TcpStream, peer: SocketAddr) -> String {
    #[cfg(unix)]
    let fd = std::os::fd::AsRawFd::as_raw_fd(conn) as u64;
    #[cfg(windows)]
    let fd = std::os::windows::io::AsRawSocket::as_raw_socket(conn);
    // AF_INET is 2 everywhere; AF_INET6 is not.
    let family = match peer {
        SocketAddr::V4(_) => 2,
        SocketAddr::V6(_) if cfg!(windows) => 23,
        SocketAddr::V6(_) if cfg!(target_os = "macos") => 30,
        SocketAddr::V6(_) => 10,
    };
    let local = conn
        .local_addr()
        .map(|a| PyAddr(a).to_string())
        .unwrap_or_default();
    format!(
        "<socket.socket fd={fd}, family={family}, type=1, proto=0, laddr={local}, raddr={}>",
        PyAddr(peer)
    )
}

/// The seed's client: prompt, send each line, print each reply, until the
/// seed's way of quitting (`q`, an empty line) or the end of input.
pub fn client(
    addr: SocketAddr,
    seed: Seed,
    input: impl BufRead,
    timeout: Duration,
    out: &Output,
) -> io::Result<()> {
    let settings = seed.settings();
    let mut sk = net::connect(addr, timeout)?;
    let mut buf = [0u8; RECV_SIZE];
    if settings.once {
        // Seed 003 三(二): one message, no input.
        sk.write_all("你好".as_bytes())?;
        common::trace::call("send", addr, Some("你好".as_bytes())); // Added: --trace
        let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
        common::trace::call("recv", addr, Some(&buf[..n])); // Added: --trace
        out.line(format!("服务端发来的消息 {}", py_bytes_repr(&buf[..n])));
        return Ok(());
    }
    let mut lines = input.split(b'\n');
    loop {
        out.prompt(settings.prompt);
        let Some(line) = lines.next() else {
            // Added: the end of input ends the client (input() would raise
            // EOFError), on a line of its own.
            out.line("");
            return Ok(());
        };
        let line = line?;
        let mut msg = line.strip_suffix(b"\r").unwrap_or(&line);
        if settings.strip {
            msg = msg.trim_ascii();
        }
        if settings.quit == Quit::QAfterSending {
            // Seed 002 sends first, then looks: an empty send puts nothing
            // on the wire, and `q` reaches the server before the client quits.
            sk.write_all(msg)?;
            common::trace::call("send", addr, Some(msg)); // Added: --trace
            if msg.is_empty() {
                continue;
            }
            if msg == b"q" {
                return Ok(());
            }
        } else {
            if msg.is_empty() {
                return Ok(());
            }
            sk.write_all(msg)?;
            common::trace::call("send", addr, Some(msg)); // Added: --trace
        }
        let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
        common::trace::call("recv", addr, Some(&buf[..n])); // Added: --trace
        if n == 0 {
            if settings.close_ends {
                return Ok(());
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        out.line(format!("{}{}", settings.reply_prefix, printable(&buf[..n])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(
            Seed::S002.reply("hello 你好".as_bytes()),
            "HELLO 你好".as_bytes()
        );
        assert_eq!(Seed::S003Threads.reply(b"x"), b"x");
        let stamped = String::from_utf8(Seed::S004.reply(b"data")).unwrap();
        assert!(
            stamped.starts_with('[') && stamped.ends_with("] data"),
            "{stamped}"
        );
        assert_eq!(stamped.len(), "[Mon Nov 23 10:00:00 2026] data".len());
    }

    #[test]
    fn lines_as_the_seeds_print_them() {
        assert_eq!(
            Seed::S003Once.message_line("你好".as_bytes()).unwrap(),
            "客户端发来的消息是： b'\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd'"
        );
        assert_eq!(
            Seed::S003.message_line(b"hi").unwrap(),
            "客户端发来的消息是： hi"
        );
        assert_eq!(
            Seed::S003Socketserver.message_line(b"hi").unwrap(),
            "收到客户端的消息是 b'hi'"
        );
        assert_eq!(Seed::S004.message_line(b"hi").unwrap(), "Client:  hi");
        assert!(Seed::S003Threads.message_line(b"hi").is_none());
    }
}
