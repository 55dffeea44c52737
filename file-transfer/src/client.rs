//! The file client (`file_client.py`, main lab 2.5): uploads one file, and
//! downloads one with `--get` (seed 003 五).
//!
//! Client: `cargo run -p file-transfer -- client FILE` (or `python3 file_client.py`).
//! Server: `cargo run -p file-transfer -- server` (or `python3 file_server.py`).

use crate::error::TransferError;
use crate::name::check_name;
use crate::progress::Progress;
use crate::protocol::{self, Answer, LEGACY_RECV};
use crate::store::Incoming;
use crate::transfer;
use common::frame::{self, Header};
use common::log::Output;
use common::net;
use common::text::{escape, printable};
use std::io::{BufRead, Read};
use std::net::{Shutdown as Half, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where and how the client talks.
#[derive(Clone, Debug)]
pub struct Config {
    pub server: SocketAddr,
    /// Speak `name|size` (no md5) so `file_server.py` understands.
    pub legacy: bool,
    /// Connect and reply timeout.
    pub timeout: Option<Duration>,
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
pub fn upload(cfg: &Config, path: &Path, out: &Output) -> Result<(), TransferError> {
    let (mut file, size) = transfer::open(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        std::io::Error::other(format!("{} has no UTF-8 file name", path.display()))
    })?;
    check_name(name)?;
    // With md5 in the header, the whole file is hashed before the first
    // byte goes out: that pass is the floor of an md5-checked upload.
    let md5 = if cfg.legacy {
        None
    } else {
        let (md5, hashed) = common::digest::md5_reader(&file)?;
        if hashed != size {
            return Err(std::io::Error::other("the file changed while it was being read").into());
        }
        std::io::Seek::rewind(&mut file)?;
        Some(md5)
    };

    let mut stream = net::connect(cfg.server, cfg.timeout)?;
    match &md5 {
        Some(md5) => frame::write_header(
            &mut stream,
            &Header {
                filename: name.to_string(),
                filesize: size,
                md5: md5.clone(),
            },
        )?,
        None => std::io::Write::write_all(&mut stream, &frame::encode_legacy(name, size)?)?,
    }

    // Wait for the go-ahead before sending a byte, as the original does:
    // a refusal (name, size) costs no data.
    let confirmation = read_reply(&mut stream, cfg.legacy, LEGACY_RECV as u64)?;
    out.line(format!("服务器确认: {}", confirmation.1));
    if !confirmation.0 {
        return Err(TransferError::Refused(confirmation.1));
    }

    out.line("准备上传文件...");
    let mut progress = Progress::new(out, "已发送", size);
    transfer::send_file(&file, size, &stream, &mut progress).map_err(TransferError::from_socket)?;
    drop(progress);
    out.line("文件上传完成！");

    // Half-close: "that was all". The server answers after it sees EOF.
    stream.shutdown(Half::Write)?;
    let (ok, message) = read_reply(&mut stream, cfg.legacy, MAX_FINAL_REPLY)?;
    out.line(format!("服务器最终确认: {message}"));
    if !ok {
        return Err(TransferError::Refused(message));
    }
    out.line("文件上传成功！");
    Ok(())
}

/// A server reply as (ok, text). Framed: one reply frame. Legacy: one read
/// (the confirmation) or everything up to EOF (the final reply), as text.
fn read_reply(
    stream: &mut TcpStream,
    legacy: bool,
    limit: u64,
) -> Result<(bool, String), TransferError> {
    if legacy {
        let mut buf = Vec::new();
        let result = if limit == LEGACY_RECV as u64 {
            let mut one = vec![0u8; LEGACY_RECV];
            net::recv(stream, &mut one).map(|n| buf.extend_from_slice(&one[..n]))
        } else {
            Read::by_ref(stream)
                .take(limit)
                .read_to_end(&mut buf)
                .map(drop)
        };
        result.map_err(TransferError::from_socket)?;
        return Ok((true, printable(&buf)));
    }
    let reply = protocol::read_reply(stream).map_err(|e| match e {
        frame::FrameError::Io(e) => TransferError::from_socket(e),
        frame::FrameError::Truncated { got: 0, .. } => TransferError::Io(std::io::Error::other(
            "the server closed the connection without a reply",
        )),
        e => e.into(),
    })?;
    Ok((reply.ok, printable(reply.message.as_bytes())))
}

/// The interactive client of the original: prompt `path: `, re-prompt on a
/// missing file, `quit` exits, stop after one successful upload. Returns
/// whether a file was uploaded. The caller prints `客户端已退出`.
pub fn interactive(cfg: &Config, input: impl BufRead, out: &Output) -> Result<bool, TransferError> {
    let mut lines = input.lines();
    loop {
        out.prompt("path: ");
        let Some(line) = lines.next() else {
            out.line("");
            return Ok(false);
        };
        let path = line?;
        if path.trim().eq_ignore_ascii_case("quit") {
            out.line("退出程序");
            return Ok(false);
        }
        let path = PathBuf::from(path);
        if !path.exists() {
            out.line("文件不存在，请重新输入路径！");
            continue;
        }
        match upload(cfg, &path, out) {
            Ok(()) => return Ok(true),
            Err(TransferError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                out.line("无法连接到服务器，请检查服务器是否运行！");
                return Err(TransferError::Io(e));
            }
            Err(e) => out.line(format!("发生错误: {e}")),
        }
    }
}

/// Downloads `name` from the server's folder into `target` (by default
/// `新NAME`, as seed 003 names it). The file is checked (size, md5) before
/// it gets its name; a file that fails the check is not kept. Returns the
/// path written.
pub fn download(
    cfg: &Config,
    name: &str,
    target: Option<&Path>,
    overwrite: bool,
    out: &Output,
) -> Result<PathBuf, TransferError> {
    check_name(name)?;
    let target = target.map_or_else(|| PathBuf::from(format!("新{name}")), Path::to_path_buf);
    let (dir, file_name) = split_target(&target)?;
    let mut stream = net::connect(cfg.server, cfg.timeout)?;
    protocol::write_get(&mut stream, name)?;
    stream.shutdown(Half::Write)?;
    let header = match protocol::read_answer(&mut stream)? {
        Answer::Refused(reply) => return Err(TransferError::Refused(reply.message)),
        Answer::File(header) => header,
    };
    // The server's name obeys the same rules as ours.
    check_name(&header.filename)?;
    let mut incoming = Incoming::create(&dir)?;
    incoming.reserve(header.filesize)?;
    let mut progress = Progress::new(out, "已接收", header.filesize);
    let actual = transfer::receive_file(
        &stream,
        &[],
        header.filesize,
        incoming.file(),
        true,
        &mut progress,
    )?;
    drop(progress);
    transfer::expect_eof(&mut stream, header.filesize)?;
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
        .ok_or_else(|| std::io::Error::other(format!("{} is not a file name", target.display())))?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, file_name.to_string()))
}
