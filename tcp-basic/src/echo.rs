//! The TCP echo programs of seeds 002–004: a server that answers every
//! message until the client leaves, and the client that types them. Each
//! seed prints its own lines and answers its own way; `--seed` picks one.
//!
//! Server: `cargo run -p tcp-basic -- echo-server --seed 002` (the seed's Python: `python3 server.py`).
//! Client: `cargo run -p tcp-basic -- echo-client --seed 002` (or the seed's client).
//!
//! | the seeds' Python                     | here                              |
//! |---------------------------------------|-----------------------------------|
//! | `sk = socket.socket(AF_INET, SOCK_STREAM)`, `bind`, `listen(5)` | [`crate::server::listen`] |
//! | `while True: conn, addr = sk.accept()`| [`run`]: `shutdown.accept(listener)` |
//! | `threading.Thread(...)` / `ThreadingTCPServer` | [`run`]: `spawn_connection` |
//! | `while True: data = conn.recv(1024)`  | [`handle_connection`]: `net::recv`|
//! | `if not data: break`                  | `Ok(0) => break`                  |
//! | `conn.send(data.upper())`             | `net::send_all`                   |
//! | `conn.close()`                        | `drop(conn)`                      |
//! | client: `msg = input(...)`, `sk.send`, `sk.recv(1024)` | [`client`]       |

use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net;
use common::server::{Stop, Watch, spawn_connection};
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

impl Seed {
    /// The port the seed's program uses.
    pub fn port(self) -> u16 {
        match self {
            Seed::S002 | Seed::S002Socketserver => 5002,
            Seed::S003Once | Seed::S003 | Seed::S003Threads => 8000,
            Seed::S003Socketserver => 8080,
            Seed::S004 => 21567,
        }
    }

    /// True for the servers that give each client its own thread.
    pub fn threaded(self) -> bool {
        matches!(
            self,
            Seed::S002Socketserver | Seed::S003Threads | Seed::S003Socketserver
        )
    }

    /// The server's answer to one message.
    pub fn reply(self, data: &[u8]) -> Vec<u8> {
        match self {
            Seed::S003Threads => data.to_vec(),
            Seed::S004 => {
                let mut out = format!("[{}] ", ctime_now()).into_bytes();
                out.extend_from_slice(data);
                out
            }
            // `data.upper()`: ASCII letters only, as Python's bytes.upper().
            _ => data.to_ascii_uppercase(),
        }
    }

    /// What the server prints for one message, if anything.
    fn message_line(self, data: &[u8]) -> Option<String> {
        Some(match self {
            Seed::S002 | Seed::S002Socketserver => {
                format!("客户端发过来的数据： {}", printable(data))
            }
            Seed::S003Once => format!("客户端发来的消息是： {}", py_bytes_repr(data)),
            Seed::S003 => format!("客户端发来的消息是： {}", printable(data)),
            Seed::S003Threads => return None,
            Seed::S003Socketserver => format!("收到客户端的消息是 {}", py_bytes_repr(data)),
            Seed::S004 => format!("Client:  {}", printable(data)),
        })
    }
}

/// The seed's server loop: accept clients until Ctrl-C or SIGTERM, serving
/// each one to the end (one after another, or each on its own thread).
pub fn run(listener: &TcpListener, seed: Seed, opts: &ServerOpts, shutdown: &Stop, out: &Output) {
    if seed == Seed::S002 {
        let port = listener.local_addr().map_or(0, |a| a.port());
        out.line(format!("服务端启动成功，在{port}端口等待连接"));
    }
    loop {
        if seed == Seed::S004 {
            out.line("Waiting for connection ....");
        }
        let Some((conn, addr)) = shutdown.accept(listener) else {
            break;
        };
        let watch = shutdown.watch(opts.idle());
        if seed.threaded() {
            let out = out.clone();
            spawn_connection(addr, move || {
                handle_connection(conn, addr, seed, watch, &out)
            });
        } else {
            handle_connection(conn, addr, seed, watch, out);
        }
        // Seed 003 三(二) serves one client and closes its socket.
        if seed == Seed::S003Once {
            break;
        }
    }
    shutdown.finish();
}

/// One client: print and answer each message until it leaves.
pub fn handle_connection(
    mut conn: TcpStream,
    addr: SocketAddr,
    seed: Seed,
    watch: Watch,
    out: &Output,
) {
    match seed {
        Seed::S002 => {
            out.line(format!("连接对象： {}", socket_repr(&conn, addr)));
            out.line(format!("客户端ip+端口 {}", PyAddr(addr)));
        }
        // print(self.request); print(self.client_address)
        Seed::S002Socketserver => {
            out.line(socket_repr(&conn, addr));
            out.line(PyAddr(addr).to_string());
        }
        Seed::S004 => out.line(format!("Connected client from :  {}", PyAddr(addr))),
        _ => {}
    }
    if let Err(e) = net::poll_often(&conn) {
        diag!("{addr}: {e}");
        return;
    }
    let mut buf = [0u8; RECV_SIZE];
    loop {
        let n = match net::recv(&mut conn, &mut buf, &watch) {
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
        if let Err(e) = net::send_all(&mut conn, &seed.reply(&buf[..n]), &watch) {
            diag!("replying to {}: {e}", PyAddr(addr));
            break;
        }
        if seed == Seed::S003Once {
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
    let mut sk = net::connect(addr, timeout)?;
    let mut buf = [0u8; RECV_SIZE];
    if seed == Seed::S003Once {
        // Seed 003 三(二): one message, no input.
        sk.write_all("你好".as_bytes())?;
        let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
        out.line(format!("服务端发来的消息 {}", py_bytes_repr(&buf[..n])));
        return Ok(());
    }
    let prompt = match seed {
        Seed::S002 | Seed::S002Socketserver => "请输入内容>>>",
        Seed::S003Socketserver => ">>: ",
        Seed::S004 => ">",
        _ => ">>:",
    };
    let mut lines = input.split(b'\n');
    loop {
        out.prompt(prompt);
        let Some(line) = lines.next() else {
            // Added: the end of input ends the client (input() would raise
            // EOFError), on a line of its own.
            out.line("");
            return Ok(());
        };
        let line = line?;
        let mut msg = line.strip_suffix(b"\r").unwrap_or(&line);
        if seed == Seed::S003Socketserver {
            msg = msg.trim_ascii();
        }
        if matches!(seed, Seed::S002 | Seed::S002Socketserver) {
            // Seed 002 sends first, then looks: an empty send puts nothing
            // on the wire, and `q` reaches the server before the client quits.
            sk.write_all(msg)?;
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
        }
        let n = sk.read(&mut buf).map_err(net::waiting_for(addr, timeout))?;
        if n == 0 {
            if seed == Seed::S004 {
                return Ok(());
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        let reply = printable(&buf[..n]);
        out.line(match seed {
            Seed::S002 | Seed::S002Socketserver => reply,
            Seed::S003Socketserver => format!("收到服务端发来的消息： {reply}"),
            Seed::S004 => format!("Server:  {reply}"),
            _ => format!("服务端发来的消息 {reply}"),
        });
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
