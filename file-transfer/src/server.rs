//! `file_server.py` (main lab 2.5) in Rust: a `socketserver.ThreadingTCPServer`,
//! one thread per connection; each connection uploads one file into
//! `--dir`, or downloads one from it (seed 003 五).
//!
//! Run it: `cargo run -p file-transfer -- server` (Python: `python3 file_server.py`).
//! Its client: `cargo run -p file-transfer -- client FILE` (or `python3 file_client.py`).
//!
//! | file_server.py, line: code                       | here                                |
//! |--------------------------------------------------|-------------------------------------|
//! | 32: `ThreadingTCPServer(('127.0.0.1', 9996), …)`     | `net::listen` in the cli, then [`run`] |
//! | 9: `print('connected...')`                          | [`handle_connection`]               |
//! | 11: `pre_data = conn.recv(1024).decode()`            | [`handle_connection`]: `net::recv`  |
//! | 12: `file_name, file_size = pre_data.split('\|')`    | `protocol::read_request`            |
//! | 15: `conn.sendall(f"{file_name}已发送".encode())`    | `protocol::write_reply`             |
//! | 21: `with open(file_dir, 'wb') as f:`              | `check_name`, `Incoming::create`    |
//! | 23: `while recv_size < file_size:`   | `transfer::receive`                 |
//! | 24: `data = conn.recv(1024)`   | `transfer::receive`                 |
//! | 29: `print('upload successed.')`                     | [`receive_upload`]                  |
//!
//! What the port adds, each a step below: the name check (the original
//! writes wherever `../../x` leads), a temporary file renamed only once
//! every byte has arrived and the md5 matched, a final reply, the idle
//! limit, and the clean stop.

use crate::error::TransferError;
use crate::frame::{self, Header};
use crate::name::check_name;
use crate::progress::Progress;
use crate::protocol::{self, Dialect, Request, Upload};
use crate::store::Incoming;
use crate::transfer;
use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::log::Output;
use common::net::{self, StoppableStream};
use common::server::{InFlight, Stop, is_stopped, spawn_connection};
use common::text::escape;
use std::io::{self, BufWriter, Seek};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

/// What the file server does with what it receives.
#[derive(Clone, Debug)]
pub struct Config {
    /// The folder files are saved into and served from; nothing outside it
    /// is ever written or read.
    pub dir: PathBuf,
    /// Refuse larger uploads before any of their bytes are sent.
    pub max_size: Option<u64>,
    /// Replace an existing file instead of keeping both.
    pub overwrite: bool,
    /// Flush each file to disk before giving it its final name.
    pub sync: bool,
}

/// `instance.serve_forever()`: accepts connections until Ctrl-C or
/// SIGTERM, one thread each. `cfg.dir` must exist.
pub fn run(listener: &TcpListener, cfg: &Config, opts: &ServerOpts, stop: &Stop, out: &Output) {
    let cfg = Arc::new(cfg.clone());
    while let Some((conn, addr)) = stop.accept(listener) {
        let in_flight = stop.admit(opts.idle());
        let (cfg, out) = (cfg.clone(), out.clone());
        spawn_connection(addr, move || {
            handle_connection(conn, addr, in_flight, &cfg, &out)
        });
    }
    stop.finish();
}

/// The original's `handle`: read the request, then receive or send one
/// file. Any failure is logged and, where the peer can still hear it, told
/// to it.
pub fn handle_connection(
    mut conn: TcpStream,
    addr: SocketAddr,
    in_flight: InFlight,
    cfg: &Config,
    out: &Output,
) {
    out.line("connected...");
    if let Err(e) = net::poll_often(&conn) {
        diag!("{addr}: {e}");
        return;
    }
    // pre_data = conn.recv(1024)
    let mut first = vec![0u8; protocol::LEGACY_RECV];
    let n = match net::recv(&mut conn, &mut first, &in_flight) {
        // Connected and left without a word: nothing to do.
        Ok(0) => return,
        Ok(n) => n,
        Err(e) => {
            diag!("{}: {}", PyAddr(addr), TransferError::from_socket(e));
            return;
        }
    };
    first.truncate(n);
    // How to answer, should the request turn out to be bad.
    let mut dialect = protocol::dialect_of(&first);
    let mut peer = StoppableStream {
        stream: &mut conn,
        in_flight: &in_flight,
    };
    // file_name, file_size = pre_data.split('|'), or the framed header;
    // then the upload (or, seed 003 五, the download) it asks for.
    let result = protocol::read_request(&mut peer, first)
        .map_err(TransferError::from)
        .and_then(|(spoken, request, rest)| {
            dialect = spoken;
            match request {
                Request::Upload(upload) => {
                    receive_upload(&mut peer, dialect, &upload, &rest, cfg, out)
                }
                Request::Download { filename } => serve_download(&mut peer, &filename, cfg, out),
            }
        });
    if let Err(e) = result {
        let e = match e {
            TransferError::Io(e) if is_stopped(&e) => TransferError::ShuttingDown,
            e => e,
        };
        diag!("{}: {e}", PyAddr(addr));
        // Tell the peer why, unless it is gone. The reply is short: a
        // write to a live peer does not wait.
        let _ = protocol::write_reply(&mut conn, dialect, false, &e.to_string());
    }
}

fn receive_upload(
    peer: &mut StoppableStream<'_>,
    dialect: Dialect,
    upload: &Upload,
    rest: &[u8],
    cfg: &Config,
    out: &Output,
) -> Result<(), TransferError> {
    let name = upload.filename.as_str();
    // Added: one plain file name only; `../x` and `C:\x` are refused.
    check_name(name)?;
    if let Some(max) = cfg.max_size
        && upload.filesize > max
    {
        return Err(TransferError::TooLarge {
            size: upload.filesize,
            max,
        });
    }
    // Added: the bytes go to a temporary file, deleted if anything fails.
    let mut incoming = Incoming::create(&cfg.dir)?;
    // The go-ahead: only now does the client send the bytes.
    protocol::write_reply(&mut *peer, dialect, true, &format!("{name}已发送"))?;
    let mut progress = Progress::new(out, "已接收", upload.filesize);
    let actual = transfer::receive(
        &mut *peer,
        rest,
        upload.filesize,
        incoming.file(),
        upload.md5.is_some(),
        &mut progress,
    )?;
    drop(progress);
    transfer::expect_eof(&mut *peer, upload.filesize)?;
    if let (Some(expected), Some(actual)) = (&upload.md5, actual)
        && *expected != actual
    {
        return Err(TransferError::Md5Mismatch {
            expected: expected.clone(),
            actual,
        });
    }
    // Added: the file gets its name only now, complete and checked.
    let path = incoming.commit(name, cfg.overwrite, cfg.sync)?;
    out.line("upload successed.");
    let saved = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let verdict = if upload.md5.is_some() {
        "md5 校验一致"
    } else {
        "未校验 md5"
    };
    let message = format!(
        "{} 已保存，{} 字节，{verdict}",
        escape(&saved),
        upload.filesize
    );
    protocol::write_reply(&mut *peer, dialect, true, &message)?;
    Ok(())
}

fn serve_download(
    peer: &mut StoppableStream<'_>,
    name: &str,
    cfg: &Config,
    out: &Output,
) -> Result<(), TransferError> {
    check_name(name)?;
    // The name is one component, but the entry may be a symlink: follow it
    // and refuse anything that ends up outside the folder.
    let real = match std::fs::canonicalize(cfg.dir.join(name)) {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            out.line(format!("{}文件不存在", escape(name)));
            return Err(TransferError::NotFound(name.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    if !real.starts_with(std::fs::canonicalize(&cfg.dir)?) {
        return Err(TransferError::Outside(name.to_string()));
    }
    let (mut file, size) = transfer::open(&real)?;
    let (md5, hashed) = crate::digest::md5_reader(&file, |_| {})?;
    if hashed != size {
        return Err(TransferError::FileChanged);
    }
    file.rewind()?;
    let header = Header {
        filename: name.to_string(),
        filesize: size,
        md5,
    };
    frame::write_header(&mut *peer, &header)?;
    let mut progress = Progress::new(out, "已发送", size);
    // Through a large buffer: the stoppable stream takes whole chunks.
    let mut sink = BufWriter::with_capacity(transfer::CHUNK, &mut *peer);
    transfer::send(&file, size, &mut sink, &mut progress).map_err(TransferError::from_socket)?;
    drop(sink);
    drop(progress);
    out.line(format!("download successed: {}", escape(name)));
    Ok(())
}
