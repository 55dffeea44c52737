//! Seed 003 五's file download (`server.py` and its `client`) on the seed's
//! own wire: the client sends the file's name, the server sends the file's
//! bytes and closes. No header, no size, no md5: the end of the stream is
//! the end of the file. (The framed download, `client --get NAME`, is the
//! port's checked one; see PROTOCOL.md.)
//!
//! Server: `cargo run -p file-transfer -- download-server` (the seed:
//! `python3 ../shared/peers/003_download_server.py`).
//! Client: `cargo run -p file-transfer -- client --seed 003` (or
//! `python3 ../shared/peers/003_download_client.py`).
//!
//! | `003_download_server.py`, line: code                 | here                     |
//! |------------------------------------------------------|--------------------------|
//! | 9, 12, 15: `socket()`, `bind(("127.0.0.1", 8081))`, `listen()` | `net::listen`, in the cli |
//! | 18: `new_client_socket, client_addr = accept()` (once) | [`serve`]: `stop.accept(listener)` |
//! | 21: `file_name = new_client_socket.recv(1024).decode()` | `serve_one`: `net::recv` |
//! | 24–26: `open(file_name, "rb").read()`                | `serve_one`: `store::open_inside` in `--dir` |
//! | 28: `print("{}文件不存在".format(file_name))`         | `out.line`               |
//! | 29: `new_client_socket.send(file_content)`           | `serve_one`: `net::send_file` |
//! | 31–32: `close()`, both sockets                       | `conn` dropped; [`serve`] returns |
//!
//! | `003_download_client.py`, line: code                 | here                     |
//! |------------------------------------------------------|--------------------------|
//! | 8, 10: `socket()`, `connect(('127.0.0.1', 8081))`    | [`fetch`]: `net::connect` |
//! | 12: `input("请输入文件名称：")`                      | `out.prompt(PROMPT)`, `read_line` |
//! | 14: `tcp_socket.send(download_file_name.encode())`   | `sk.write_all`           |
//! | 16: `recv_data = tcp_socket.recv(1024)`              | `sk.read(&mut first)`, then `io::copy` to the end |
//! | 18–21: `if recv_data:` save as `"新"+name`           | `n == 0` saves nothing; `incoming.commit("新NAME")` |
//! | 23: `tcp_socket.close()`                             | `sk.shutdown`            |

use crate::error::TransferError;
use crate::store::{self, Incoming, check_name};
use common::diag;
use common::log::Output;
use common::net;
use common::stop::{InFlight, Stop};
use common::text::{escape, printable};
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

/// The seed's port.
pub const PORT: u16 = 8081;

/// Which seed's download to speak (`client --seed 003`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Seed {
    /// Seed 003 五: the name, then the raw bytes back (port 8081)
    #[value(name = "003")]
    S003,
}
/// The client's prompt.
pub const PROMPT: &str = "请输入文件名称：";

/// The seed's server: serves one client (as the seed does, which then
/// closes its socket and exits) from `dir`, or stops on Ctrl-C.
pub fn serve(
    listener: &TcpListener,
    dir: &Path,
    idle: Option<Duration>,
    stop: &Stop,
    out: &Output,
) {
    // new_client_socket, client_addr = accept(), once.
    if let Some((conn, addr)) = stop.accept(listener) {
        let in_flight = stop.admit(idle);
        if let Err(e) = serve_one(conn, &in_flight, dir, out) {
            diag!("{addr}: {e}");
        }
    }
    stop.finish();
}

/// The one client: a file name, then the file's bytes, then the close.
fn serve_one(
    mut conn: TcpStream,
    in_flight: &InFlight,
    dir: &Path,
    out: &Output,
) -> Result<(), TransferError> {
    // file_name = new_client_socket.recv(1024).decode()
    let mut buf = [0u8; 1024];
    let n = net::recv(&mut conn, &mut buf, in_flight)?;
    let name = String::from_utf8_lossy(&buf[..n]).into_owned();
    // Added: only a plain name inside --dir (the seed opens any path). The
    // seed crashes on a missing file; here the connection closes, empty.
    let (mut file, _) = store::open_inside(dir, &name)
        .inspect_err(|_| out.line(format!("{}文件不存在", escape(&name))))?;
    // new_client_socket.send(file_content). Changed: a chunk at a time
    // (the seed reads the whole file into memory first).
    Ok(net::send_file(&mut conn, &mut file, in_flight, |_| {})?)
}

/// The seed's client: asks for a name (unless `name` is given), sends it,
/// and saves what comes back as `新NAME`. The seed keeps only its first
/// `recv(1024)`; this reads to the end of the stream, so a file of more
/// than 1 KiB arrives whole. Nothing is saved when nothing comes back.
pub fn fetch(
    addr: SocketAddr,
    name: Option<&str>,
    input: impl BufRead,
    timeout: Duration,
    out: &Output,
) -> Result<Option<std::path::PathBuf>, TransferError> {
    let mut sk = net::connect(addr, timeout)?;
    let name = match name {
        Some(name) => name.to_string(),
        None => {
            out.prompt(PROMPT);
            let mut line = String::new();
            input.take(4096).read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    // Added: the name becomes a local file name too; refuse what the server would.
    check_name(&name)?;
    sk.write_all(name.as_bytes())?;
    common::trace::call("send", addr, Some(name.as_bytes())); // Added: --trace
    let mut incoming = Incoming::create(Path::new("."))?;
    let mut first = [0u8; 1];
    let n = sk
        .read(&mut first)
        .map_err(net::waiting_for(addr, timeout))?;
    if n == 0 {
        return Ok(None);
    }
    incoming.file().write_all(&first)?;
    let rest = io::copy(&mut sk, incoming.file()).map_err(net::waiting_for(addr, timeout))?;
    common::trace::call(
        &format!("recv {} bytes (the file, by io::copy)", rest + 1),
        addr,
        None,
    ); // Added: --trace
    let _ = sk.shutdown(Shutdown::Both);
    common::trace::call("close", addr, None); // Added: --trace
    let path = incoming.commit(&format!("新{name}"), false, false)?;
    diag!("saved {}", printable(path.display().to_string().as_bytes()));
    Ok(Some(path))
}
