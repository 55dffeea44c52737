//! The UDP echo programs of seeds 001, 002 and 004: a server that answers
//! every datagram, and the client that types them. Each seed prints its own
//! lines and answers its own way; `--seed` picks one.
//!
//! Server: `cargo run -p udp-basic -- echo-server --seed 001` (seed 001's `serverUDP`).
//! Client: `cargo run -p udp-basic -- echo-client --seed 001` (seed 001's `clientUDP`).
//!
//! Each row gives the line of each seed's program (the runnable copies in
//! `../shared/peers/`; `-`: that program has no such step).
//!
//! | server step                         | 001 `serverUDP` | 002 `udp_server` | 002 `socketserver_udp` | 004 `udpSerSock` | here |
//! |-------------------------------------|-------|------|------|-------|------|
//! | `socket(AF_INET, SOCK_DGRAM)`, `bind` | 11–12 | 3–4 | 9  | 12–13 | [`crate::server::bind`] |
//! | print the address                   | 13    | -    | -    | -     | [`run`]: `out.line` |
//! | print before each datagram          | -     | -    | -    | 17    | [`run`]: `waiting` |
//! | `data, addr = recvfrom(1024)`       | 17    | 6    | 10 (`serve_forever`, 8192) | 18 | [`run`]: `sk.recv_from`, `truncate_datagram` |
//! | a thread per datagram               | -     | -    | 9 (`ThreadingUDPServer`) | - | [`run`]: `spawn_connection` |
//! | print the datagram                  | 18, 26 | 7   | 6    | 19    | [`answer`]: `out.line` |
//! | `sendto(reply, addr)`               | 21, 27 | 8   | 7    | 20    | [`answer`]: `sk.send_to` |
//! | print after sending                 | 22–23 (on error) | - | 7 (the count) | 21 | [`answer`]: `match sk.send_to(…)` |
//!
//! | client step                         | 001 `clientUDP` | 002 `udp_client` | 004 `udpCliSock` | here |
//! |-------------------------------------|-------|------|-------|------|
//! | `socket(AF_INET, SOCK_DGRAM)`       | 12–14 | 3    | 11    | [`client`]: `net::udp_socket_for`, `set_read_timeout` |
//! | the prompt, `input()`               | 27–29 | 5    | 15    | `out.line` / `out.prompt`, `lines.next()` |
//! | quit on `q` or an empty line        | -     | 6–7  | 16–17 | `match seed { … return }` |
//! | `sendto(msg, addr)`                 | 18    | 8    | 18    | `sk.send_to` |
//! | `data, addr = recvfrom(1024)`       | 19    | 9    | 19    | `sk.recv_from` |
//! | print the reply                     | 20, 23 | 10  | 22    | `out.line` |
//!
//! Seed 001's server, as the seed's report gives it, ends in a
//! `shutdown()` that closes the socket and prints `server is shutting
//! down !`; the runnable copy leaves it out, and [`run`] does it on Ctrl-C.

use crate::server::{MAX_DATAGRAM, pass_over, truncate_datagram};
use common::addr::PyAddr;
use common::diag;
use common::log::Output;
use common::net::{self, POLL};
use common::server::spawn_connection;
use common::stop::Stop;
use common::text::{ctime_now, printable, py_bytes_repr};
use std::io::{self, BufRead};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

/// Which seed's program to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Seed {
    /// Seed 001: serverUDP / clientUDP, answers `check` (port 6666)
    #[value(name = "001")]
    S001,
    /// Seed 002 §二: upper-case replies, bytes printed as Python prints them (5002)
    #[value(name = "002")]
    S002,
    /// Seed 002 §5.2: socketserver.ThreadingUDPServer, a thread per datagram (5006)
    #[value(name = "002-socketserver")]
    S002Socketserver,
    /// Seed 004 四: udpSerSock.py / udpCliSock.py, `[ctime] data` (21567)
    #[value(name = "004")]
    S004,
}

impl Seed {
    /// The port the seed's program uses.
    pub fn port(self) -> u16 {
        match self {
            Seed::S001 => 6666,
            Seed::S002 => 5002,
            Seed::S002Socketserver => 5006,
            Seed::S004 => 21567,
        }
    }

    /// How much of a datagram the seed's `recvfrom` keeps (socketserver
    /// reads `max_packet_size`, 8192 bytes).
    pub fn recv_size(self) -> usize {
        match self {
            Seed::S002Socketserver => 8192,
            _ => 1024,
        }
    }
}

/// Answers every datagram until Ctrl-C or SIGTERM: on this thread, or on
/// a thread per datagram for socketserver's ThreadingUDPServer.
pub fn run(sk: UdpSocket, seed: Seed, stop: &Stop, out: &Output) {
    if let Err(e) = sk.set_read_timeout(Some(POLL)) {
        diag!("cannot arrange a clean stop: {e}");
    }
    if seed == Seed::S001
        && let Ok(addr) = sk.local_addr()
    {
        out.line(format!(
            "UDP Server正在监听: Host: {} Port: {}",
            addr.ip(),
            addr.port()
        ));
    }
    let sk = Arc::new(sk);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut waiting = false;
    while !stop.is_stopping() {
        if seed == Seed::S004 && !waiting {
            out.line("Waiting for message ....");
            waiting = true;
        }
        let (n, addr) = match sk.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) => {
                pass_over(&e, "recvfrom");
                continue;
            }
        };
        waiting = false;
        common::trace::call("recvfrom", addr, Some(&buf[..n])); // Added: --trace
        let data = truncate_datagram(&buf[..n], seed.recv_size(), "recvfrom").to_vec();
        if seed == Seed::S002Socketserver {
            let (sk, out) = (sk.clone(), out.clone());
            spawn_connection(addr, move || answer(&sk, &data, addr, seed, &out));
        } else {
            answer(&sk, &data, addr, seed, out);
        }
    }
    if seed == Seed::S001 {
        // The seed's shutdown(): close the socket, then say so.
        drop(sk);
        out.line("server is shutting down !");
    }
    stop.finish();
}

/// Prints one datagram the way the seed's server does and answers it.
pub fn answer(sk: &UdpSocket, data: &[u8], addr: SocketAddr, seed: Seed, out: &Output) {
    let reply = match seed {
        Seed::S001 => {
            out.line(format!(
                "-----来自IP: {} Port: {}-----",
                addr.ip(),
                addr.port()
            ));
            out.line(format!("数据: {}", printable(data)));
            b"check".to_vec()
        }
        Seed::S002 => {
            out.line(format!("客户端发过来的数据： {}", py_bytes_repr(data)));
            data.to_ascii_uppercase()
        }
        Seed::S002Socketserver => {
            out.line(format!("客户端发来的数据： {}", py_bytes_repr(data)));
            data.to_ascii_uppercase()
        }
        Seed::S004 => {
            out.line(format!("Get client msg is:  {}", printable(data)));
            let mut r = format!("[{}] ", ctime_now()).into_bytes();
            r.extend_from_slice(data);
            r
        }
    };
    common::trace::call("sendto", addr, Some(&reply)); // Added: --trace
    match sk.send_to(&reply, addr) {
        // print(self.request[1].sendto(...)): the count sendto returns.
        Ok(sent) if seed == Seed::S002Socketserver => out.line(sent.to_string()),
        Ok(_) if seed == Seed::S004 => {
            out.line(format!("Received from and returned to:  {}", PyAddr(addr)));
        }
        Ok(_) => {}
        Err(e) if seed == Seed::S001 => out.line(format!(
            "oops! something goes wrong when sending message to {} :{e}",
            PyAddr(addr)
        )),
        Err(e) => diag!("sending to {}: {e}", PyAddr(addr)),
    }
}

/// The seed's client: send each line typed and print the reply, until the
/// seed's way of quitting (`q`, an empty line) or the end of input. Waits
/// at most `timeout` for each reply, then fails instead of hanging: a
/// datagram or its answer may simply be lost.
pub fn client(
    addr: SocketAddr,
    seed: Seed,
    input: impl BufRead,
    timeout: Duration,
    out: &Output,
) -> io::Result<()> {
    let sk = net::udp_socket_for(addr)?;
    sk.set_read_timeout(Some(timeout))?;
    let mut buf = vec![0u8; 1024];
    let mut lines = input.split(b'\n');
    loop {
        match seed {
            // print("输入需要传输的信息: ") before waiting for the line.
            Seed::S001 => out.line("输入需要传输的信息: "),
            Seed::S004 => out.prompt(">"),
            _ => out.prompt("请输入内容>>>"),
        }
        let Some(line) = lines.next() else {
            if seed != Seed::S001 {
                out.line("");
            }
            return Ok(());
        };
        let line = line?;
        let msg = line.strip_suffix(b"\r").unwrap_or(&line);
        match seed {
            Seed::S002 | Seed::S002Socketserver if msg == b"q" => return Ok(()),
            Seed::S004 if msg.is_empty() => return Ok(()),
            _ => {}
        }
        sk.send_to(msg, addr)?;
        common::trace::call("sendto", addr, Some(msg)); // Added: --trace
        let (n, from) = sk
            .recv_from(&mut buf)
            .map_err(net::waiting_for(addr, timeout))?;
        common::trace::call("recvfrom", from, Some(&buf[..n])); // Added: --trace
        let data = &buf[..n];
        match seed {
            Seed::S001 => out.line(format!(
                "收到{} 处返回数据: {}",
                PyAddr(from),
                printable(data)
            )),
            Seed::S004 if data.is_empty() => return Ok(()),
            Seed::S004 => out.line(format!("Server :  {}", printable(data))),
            // print(data): the bytes object itself.
            _ => out.line(py_bytes_repr(data)),
        }
    }
}
