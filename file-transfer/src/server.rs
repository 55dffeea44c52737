//! The file server (`file_server.py`, main lab 2.5, a
//! `socketserver.ThreadingTCPServer`): one thread per connection; each
//! connection uploads one file into `--dir`, or downloads one from it
//! (seed 003 五).
//!
//! Server: `cargo run -p file-transfer -- server` (or `python3 file_server.py`).
//! Client: `cargo run -p file-transfer -- client FILE` (or `python3 file_client.py`).

use crate::error::TransferError;
use crate::name::check_name;
use crate::progress::Progress;
use crate::protocol::{self, Dialect, Request, Upload};
use crate::store::Incoming;
use crate::transfer;
use common::addr::PyAddr;
use common::cli::ServerOpts;
use common::diag;
use common::frame::{self, Header};
use common::log::Output;
use common::server::{Acceptor, Shutdown, spawn_connection};
use common::text::escape;
use std::io::{Seek, SeekFrom};
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

/// Accepts connections until `shutdown` fires, one thread each. `cfg.dir`
/// must exist.
pub fn run(
    listener: &TcpListener,
    cfg: &Config,
    opts: &ServerOpts,
    shutdown: &Shutdown,
    out: &Output,
) {
    let cfg = Arc::new(cfg.clone());
    let mut acceptor = Acceptor::new(listener, shutdown, opts.idle());
    while let Some(conn) = acceptor.accept() {
        let (cfg, shutdown, out) = (cfg.clone(), shutdown.clone(), out.clone());
        spawn_connection(conn.peer, move || {
            let _ticket = conn.ticket;
            handle_connection(conn.stream, conn.peer, &cfg, &shutdown, &out);
        });
    }
    shutdown.finish(opts.grace);
}

/// One connection: read the request, then receive or send one file. Any
/// failure is logged and, where the peer can still hear it, told to it.
pub fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    cfg: &Config,
    shutdown: &Shutdown,
    out: &Output,
) {
    out.line("connected...");
    let (dialect, first) = match protocol::sniff(&mut stream) {
        Ok(Some(sniffed)) => sniffed,
        // Connected and left without a word: nothing to do.
        Ok(None) => return,
        Err(e) => {
            diag!("{}: {}", PyAddr(peer), TransferError::from_socket(e));
            return;
        }
    };
    let result = protocol::read_request(&mut stream, dialect, first)
        .map_err(TransferError::from)
        .and_then(|(request, rest)| match request {
            Request::Upload(upload) => {
                receive_upload(&mut stream, dialect, &upload, &rest, cfg, out)
            }
            Request::Download { filename } => serve_download(&mut stream, &filename, cfg, out),
        });
    if let Err(e) = result {
        let e = if shutdown.is_stopping() && !matches!(e, TransferError::Md5Mismatch { .. }) {
            TransferError::ShuttingDown
        } else {
            e
        };
        diag!("{}: {e}", PyAddr(peer));
        // The peer may be gone already; then there is no one to tell.
        let _ = protocol::write_reply(&mut stream, dialect, false, &e.to_string());
    }
}

fn receive_upload(
    stream: &mut TcpStream,
    dialect: Dialect,
    upload: &Upload,
    rest: &[u8],
    cfg: &Config,
    out: &Output,
) -> Result<(), TransferError> {
    let name = upload.filename.as_str();
    check_name(name)?;
    if let Some(max) = cfg.max_size
        && upload.filesize > max
    {
        return Err(TransferError::TooLarge {
            size: upload.filesize,
            max,
        });
    }
    let mut incoming = Incoming::create(&cfg.dir)?;
    incoming.reserve(upload.filesize)?;
    // The go-ahead: only now does the client send the bytes.
    protocol::write_reply(&mut *stream, dialect, true, &format!("{name}已发送"))?;
    let mut progress = Progress::new(out, "已接收", upload.filesize);
    let actual = transfer::receive_file(
        stream,
        rest,
        upload.filesize,
        incoming.file(),
        upload.md5.is_some(),
        &mut progress,
    )?;
    drop(progress);
    transfer::expect_eof(&mut *stream, upload.filesize)?;
    if let (Some(expected), Some(actual)) = (&upload.md5, actual)
        && *expected != actual
    {
        return Err(TransferError::Md5Mismatch {
            expected: expected.clone(),
            actual,
        });
    }
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
    protocol::write_reply(&mut *stream, dialect, true, &message)?;
    Ok(())
}

fn serve_download(
    stream: &mut TcpStream,
    name: &str,
    cfg: &Config,
    out: &Output,
) -> Result<(), TransferError> {
    check_name(name)?;
    // The name is one component, but the entry may be a symlink: follow it
    // and refuse anything that ends up outside the folder.
    let real = match std::fs::canonicalize(cfg.dir.join(name)) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.line(format!("{}文件不存在", escape(name)));
            return Err(TransferError::NotFound(name.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    if !real.starts_with(std::fs::canonicalize(&cfg.dir)?) {
        return Err(TransferError::Outside(name.to_string()));
    }
    let (mut file, size) = transfer::open(&real)?;
    let (md5, hashed) = common::digest::md5_reader(&file)?;
    if hashed != size {
        return Err(std::io::Error::other("the file changed while it was being read").into());
    }
    file.seek(SeekFrom::Start(0))?;
    let header = Header {
        filename: name.to_string(),
        filesize: size,
        md5,
    };
    frame::write_header(&mut *stream, &header)?;
    let mut progress = Progress::new(out, "已发送", size);
    transfer::send_file(&file, size, stream, &mut progress).map_err(TransferError::from_socket)?;
    drop(progress);
    out.line(format!("download successed: {}", escape(name)));
    Ok(())
}
