//! `file_client.py` (main lab 2.5) in Rust: upload one file; and, with
//! `--get`, download one (seed 003 五).
//!
//! Run it: `cargo run -p file-transfer -- client FILE`, or with no FILE to
//! be asked for a path as `python3 file_client.py` asks. Its server:
//! `cargo run -p file-transfer -- server` (or `python3 file_server.py`).
//!
//! | file_client.py, line: code                     | here                         |
//! |------------------------------------------------|------------------------------|
//! | 9: `sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `net::connect` |
//! | 10: `sk.connect(ip_port)` | `net::connect`               |
//! | 12: `path = input('path: ')`                       | [`interactive`]              |
//! | 23-24: `sk.send(f"{file_name}\|{file_size}".encode())`| [`send_on`]: the header      |
//! | 27: `confirmation = sk.recv(1024).decode()`        | `read_reply`                 |
//! | 33: `while send_size < file_size:`   | `transfer::send` (`io::copy`)|
//! | 39: `sk.send(data)`   | `transfer::send` (`io::copy`)|
//! | 45: `sk.shutdown(socket.SHUT_WR)`                  | `sk.shutdown(Write)`         |
//! | 46: `final_confirmation = sk.recv(1024).decode()`  | `read_reply`                 |
//! | 52: `except ConnectionRefusedError:`      | [`NO_SERVER`]                |
//! | 53: `print("无法连接到服务器，请检查服务器是否运行！")` | [`NO_SERVER`] |
//!
//! The header is seed 002 §3.2's framed JSON with the file's md5, so the
//! server can check what arrived. A server that closes without answering
//! it (`file_server.py` does) gets one more try with the original's
//! `name|size`.

use crate::error::TransferError;
use crate::frame::{self, Header};
use crate::name::check_name;
use crate::progress::Progress;
use crate::protocol::{self, Answer, LEGACY_RECV};
use crate::store::Incoming;
use crate::transfer;
use common::diag;
use common::log::Output;
use common::net;
use common::text::{escape, printable};
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `file_client.py` prints when no server listens.
pub const NO_SERVER: &str = "无法连接到服务器，请检查服务器是否运行！";

/// Where and how the client talks.
#[derive(Clone, Debug)]
pub struct Config {
    pub server: SocketAddr,
    /// Speak only `name|size` (no md5), the original's header.
    pub legacy: bool,
    /// Connect and reply timeout.
    pub timeout: Duration,
}

/// The final confirmation is read to EOF, but never more than this.
const MAX_FINAL_REPLY: u64 = 64 * 1024;

/// Uploads one file, printing the original's lines:
///
/// ```text
/// 服务器确认: a.txt已发送
/// 准备上传文件...
/// 已发送: 5/5 字节
/// 文件上传完成！
/// 服务器最终确认: a.txt 已保存，5 字节，md5 校验一致
/// 文件上传成功！
/// ```
///
/// The file is hashed before connecting, so the server never waits for it.
pub fn upload(cfg: &Config, path: &Path, out: &Output) -> Result<(), TransferError> {
    let (mut file, size, name) = open_upload(path)?;
    let md5 = (!cfg.legacy)
        .then(|| hash(&mut file, size, out))
        .transpose()?;
    let sk = connect(cfg, out)?;
    send_with_fallback(cfg, sk, &mut file, &name, size, md5, out)
}

/// The interactive client of the original: connect, prompt `path: `,
/// re-prompt on a missing file, `quit` exits, stop after one successful
/// upload. Returns whether a file was uploaded. The caller prints
/// `客户端已退出`.
pub fn interactive(cfg: &Config, input: impl BufRead, out: &Output) -> Result<bool, TransferError> {
    let mut lines = input.lines();
    loop {
        // file_client.py connects first, then asks for the path.
        let sk = connect(cfg, out)?;
        out.prompt("path: ");
        let Some(line) = lines.next() else {
            // Added: the end of input ends the client (input() would
            // raise EOFError, and the original would ask again forever).
            out.line("");
            return Ok(false);
        };
        let path = line?;
        // Changed: `quit` is checked first. file_client.py checks that the
        // file exists first, so its `quit` only works where a file named
        // `quit` exists.
        if path.trim().eq_ignore_ascii_case("quit") {
            out.line("退出程序");
            return Ok(false);
        }
        let path = PathBuf::from(path);
        if !path.exists() {
            out.line("文件不存在，请重新输入路径！");
            continue;
        }
        let result = open_upload(&path).and_then(|(mut file, size, name)| {
            let md5 = (!cfg.legacy)
                .then(|| hash(&mut file, size, out))
                .transpose()?;
            send_with_fallback(cfg, sk, &mut file, &name, size, md5, out)
        });
        match result {
            Ok(()) => return Ok(true),
            Err(e) => out.line(format!("发生错误: {e}")),
        }
    }
}

/// Connects; when nobody listens, says so in the original's words first.
fn connect(cfg: &Config, out: &Output) -> Result<TcpStream, TransferError> {
    net::connect(cfg.server, cfg.timeout).map_err(|e| {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            out.line(NO_SERVER);
        }
        TransferError::Io(e)
    })
}

fn open_upload(path: &Path) -> Result<(File, u64, String), TransferError> {
    let (file, size) = transfer::open(path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other(format!("{} has no UTF-8 file name", path.display())))?;
    // Added: a name the server would refuse is refused here, before any byte.
    check_name(name)?;
    Ok((file, size, name.to_string()))
}

/// The file's md5 (a bar on a terminal while it is computed), then back to
/// its start for the upload.
fn hash(file: &mut File, size: u64, out: &Output) -> Result<String, TransferError> {
    let mut bar = Progress::hashing(out, size);
    let mut shown = 0;
    let (md5, hashed) = crate::digest::md5_reader(&*file, |done| {
        bar.advance(done - shown);
        shown = done;
    })?;
    drop(bar);
    if hashed != size {
        return Err(TransferError::FileChanged);
    }
    file.rewind()?;
    Ok(md5)
}

/// Sends with the framed header; if the server does not answer it with a
/// framed reply (it closes without a word, as `file_server.py` does, or
/// says anything else, as a careful `name|size` server does), once more on
/// a new connection with the original's `name|size`, saying so.
fn send_with_fallback(
    cfg: &Config,
    sk: TcpStream,
    file: &mut File,
    name: &str,
    size: u64,
    md5: Option<String>,
    out: &Output,
) -> Result<(), TransferError> {
    match send_on(sk, file, name, size, md5.as_deref(), out) {
        Err(e @ (TransferError::NoReply | TransferError::NotFramed(_))) if md5.is_some() => {
            let why = match e {
                TransferError::NotFramed(said) => {
                    format!("it answered the framed header with {said:?}")
                }
                _ => "no reply to the framed header".to_string(),
            };
            diag!(
                "{}: {why}; trying once more with the original's name|size header (--legacy skips this)",
                cfg.server
            );
            file.rewind()?;
            send_on(connect(cfg, out)?, file, name, size, None, out)
        }
        done => done,
    }
}

/// One upload on a connected socket: header, go-ahead, bytes, half-close,
/// final reply. With `md5` the header is framed JSON, without it `name|size`.
fn send_on(
    mut sk: TcpStream,
    file: &File,
    name: &str,
    size: u64,
    md5: Option<&str>,
    out: &Output,
) -> Result<(), TransferError> {
    let legacy = md5.is_none();
    match md5 {
        Some(md5) => frame::write_header(
            &mut sk,
            &Header {
                filename: name.to_string(),
                filesize: size,
                md5: md5.to_string(),
            },
        )?,
        None => sk.write_all(&frame::encode_legacy(name, size)?)?,
    }
    // Wait for the go-ahead before sending a byte, as the original does:
    // a refusal (name, size) costs no data.
    let (ok, confirmation) = read_reply(&mut sk, legacy, LEGACY_RECV as u64, true)?;
    out.line(format!("服务器确认: {confirmation}"));
    if !ok {
        return Err(TransferError::Refused(confirmation));
    }
    out.line("准备上传文件...");
    let mut progress = Progress::new(out, "已发送", size);
    transfer::send(file, size, &mut sk, &mut progress).map_err(TransferError::from_socket)?;
    drop(progress);
    out.line("文件上传完成！");
    // Half-close: "that was all". The server answers after it sees EOF.
    sk.shutdown(Shutdown::Write)?;
    let (ok, message) = read_reply(&mut sk, legacy, MAX_FINAL_REPLY, false)?;
    out.line(format!("服务器最终确认: {message}"));
    if !ok {
        return Err(TransferError::Refused(message));
    }
    out.line("文件上传成功！");
    Ok(())
}

/// A server reply as (ok, text). Framed: one reply frame. Legacy: one read
/// (the confirmation) or everything up to EOF (the final reply), as text.
/// A server that closes before its first reply gives
/// [`TransferError::NoReply`]; one whose `first` framed reply is not a
/// frame gives [`TransferError::NotFramed`], with what it said.
fn read_reply(
    sk: &mut TcpStream,
    legacy: bool,
    limit: u64,
    first: bool,
) -> Result<(bool, String), TransferError> {
    if legacy {
        let mut buf = Vec::new();
        let result = if limit == LEGACY_RECV as u64 {
            let mut one = vec![0u8; LEGACY_RECV];
            sk.read(&mut one).map(|n| buf.extend_from_slice(&one[..n]))
        } else {
            Read::by_ref(sk).take(limit).read_to_end(&mut buf).map(drop)
        };
        result.map_err(TransferError::from_socket)?;
        if buf.is_empty() && limit == LEGACY_RECV as u64 {
            return Err(TransferError::NoReply);
        }
        return Ok((true, printable(&buf)));
    }
    if first {
        // What arrives first decides: a frame, or another protocol's text.
        let mut said = vec![0u8; LEGACY_RECV];
        let n = sk.read(&mut said).map_err(|e| match e {
            e if net::is_disconnect(&e) => TransferError::NoReply,
            e => TransferError::from_socket(e),
        })?;
        if n == 0 {
            return Err(TransferError::NoReply);
        }
        said.truncate(n);
        let reply = protocol::read_reply(io::Cursor::new(&said).chain(&mut *sk))
            .map_err(|_| TransferError::NotFramed(printable(&said)))?;
        return Ok((reply.ok, printable(reply.message.as_bytes())));
    }
    let reply = protocol::read_reply(sk).map_err(|e| match e {
        frame::FrameError::Io(e) if net::is_disconnect(&e) => TransferError::NoReply,
        frame::FrameError::Truncated { got: 0, .. } => TransferError::NoReply,
        e => e.into(),
    })?;
    Ok((reply.ok, printable(reply.message.as_bytes())))
}

/// Downloads `name` from the server's folder into `target`: by default
/// `新NAME`, as seed 003 names it; a folder means the file keeps its name
/// there. The file is checked (size, md5) before it gets its name; a file
/// that fails the check is not kept. Returns the path written.
pub fn download(
    cfg: &Config,
    name: &str,
    target: Option<&Path>,
    overwrite: bool,
    out: &Output,
) -> Result<PathBuf, TransferError> {
    check_name(name)?;
    let target = match target {
        None => PathBuf::from(format!("新{name}")),
        Some(dir) if dir.is_dir() => dir.join(name),
        Some(path) => path.to_path_buf(),
    };
    let (dir, file_name) = split_target(&target)?;
    let mut sk = net::connect(cfg.server, cfg.timeout)?;
    protocol::write_get(&mut sk, name)?;
    sk.shutdown(Shutdown::Write)?;
    let header = match protocol::read_answer(&mut sk)? {
        Answer::Refused(reply) => return Err(TransferError::Refused(reply.message)),
        Answer::File(header) => header,
    };
    // The server's name obeys the same rules as ours.
    check_name(&header.filename)?;
    let mut incoming = Incoming::create(&dir)?;
    let mut progress = Progress::new(out, "已接收", header.filesize);
    let actual = transfer::receive(
        &mut sk,
        &[],
        header.filesize,
        incoming.file(),
        true,
        &mut progress,
    )?;
    drop(progress);
    transfer::expect_eof(&mut sk, header.filesize)?;
    if actual.as_deref() != Some(header.md5.as_str()) {
        return Err(TransferError::Md5Mismatch {
            expected: header.md5,
            actual: actual.unwrap_or_default(),
        });
    }
    let path = incoming.commit(&file_name, overwrite, false)?;
    out.line(format!(
        "已保存为 {}，{} 字节，md5 校验一致",
        escape(&path.display().to_string()),
        header.filesize
    ));
    Ok(path)
}

fn split_target(target: &Path) -> Result<(PathBuf, String), TransferError> {
    let file_name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::other(format!("{} is not a file name", target.display())))?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, file_name.to_string()))
}
