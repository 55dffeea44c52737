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
//! | 27: `confirmation = sk.recv(1024).decode()`        | [`send_on`]: `sk.read`       |
//! | 33: `while send_size < file_size:`   | [`send_on`]: `io::copy`      |
//! | 39: `sk.send(data)`   | [`send_on`]: `io::copy`      |
//! | 45: `sk.shutdown(socket.SHUT_WR)`                  | `sk.shutdown(Write)`         |
//! | 46: `final_confirmation = sk.recv(1024).decode()`  | [`send_on`]: `read_to_end`   |
//! | 52: `except ConnectionRefusedError:`      | [`NO_SERVER`]                |
//! | 53: `print("无法连接到服务器，请检查服务器是否运行！")` | [`NO_SERVER`] |
//!
//! The header is seed 002 §3.2's framed JSON with the file's md5, so the
//! server can check what arrived. A server that does not answer it with a
//! framed reply (`file_server.py` closes without a word) gets one more try
//! with the original's `name|size`.

use crate::error::TransferError;
use crate::progress::Progress;
use crate::store::{self, Incoming, check_name};
use common::diag;
use common::frame::{self, Answer, Header};
use common::log::Output;
use common::net;
use common::text::{escape, printable};
use md5::{Digest, Md5};
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
    // STEP 2.5/5 file_client.py:10 `sk.connect(ip_port)`: 连接 cfg.server；被拒绝时先打印 NO_SERVER / connect to cfg.server; when it is refused, print NO_SERVER first
    // hint: net::connect(cfg.server, cfg.timeout) 就是 TcpStream::connect_timeout；io::ErrorKind::ConnectionRefused 表示被拒绝
    // hint: net::connect(cfg.server, cfg.timeout) is TcpStream::connect_timeout; io::ErrorKind::ConnectionRefused is the refusal
    // gives: sk: TcpStream
    let sk = net::connect(cfg.server, cfg.timeout).map_err(|e| {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            out.line(NO_SERVER);
        }
        TransferError::Io(e)
    })?;
    // END STEP
    Ok(sk)
}

fn open_upload(path: &Path) -> Result<(File, u64, String), TransferError> {
    let (file, size) = store::open(path)?;
    let name = path.file_name().and_then(|n| n.to_str());
    let name =
        name.ok_or_else(|| io::Error::other(format!("{} has no UTF-8 name", path.display())))?;
    // Added: a name the server would refuse is refused here, before any byte.
    check_name(name)?;
    Ok((file, size, name.to_string()))
}

/// The file's md5 (a bar on a terminal while it is computed), then back to
/// its start for the upload.
fn hash(file: &mut File, size: u64, out: &Output) -> Result<String, TransferError> {
    let mut bar = Progress::hashing(out, size);
    let (md5, hashed) = frame::md5_reader(&*file, |done| bar.advance_to(done))?;
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
            let server = cfg.server;
            diag!(
                "{server}: {why}; trying once more with the original's name|size header (--legacy skips this)"
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
    file: &mut File,
    name: &str,
    size: u64,
    md5: Option<&str>,
    out: &Output,
) -> Result<(), TransferError> {
    let (header, framed) = match md5 {
        Some(md5) => {
            let header = Header {
                filename: name.into(),
                filesize: size,
                md5: md5.into(),
            };
            (frame::encode_header(&header)?, true)
        }
        None => (frame::encode_legacy(name, size)?, false),
    };
    // STEP 2.5/6 file_client.py:24 `sk.send(Informf.encode())`: 发送文件头 / send the header
    // hint: 用 Write::write_all
    // hint: Write::write_all
    sk.write_all(&header)?;
    // END STEP
    common::trace::call("send", net::peer(&sk), Some(&header)); // Added: --trace
    // STEP 2.5/7 file_client.py:27 `confirmation = sk.recv(1024).decode()`: 在发送文件的任何字节之前读取服务器的确认，最多 1024 字节 / read the go-ahead, at most 1024 bytes, before any byte of the file
    // hint: 用 Read::read；连接被重置（net::is_disconnect）或读到 0 字节是 TransferError::NoReply，其他错误用 `?` 转换（TransferError::from）
    // hint: Read::read; a reset (net::is_disconnect) or 0 bytes is TransferError::NoReply, any other error converts with `?` (TransferError::from)
    // gives: (mut said, n): (Vec<u8>, usize)
    let mut said = vec![0u8; 1024];
    let n = sk.read(&mut said).map_err(|e| match e {
        e if net::is_disconnect(&e) => TransferError::NoReply,
        e => e.into(),
    })?;
    // END STEP
    common::trace::call("recv", net::peer(&sk), Some(&said[..n])); // Added: --trace
    if n == 0 {
        return Err(TransferError::NoReply);
    }
    said.truncate(n);
    let (ok, confirmation) = match framed {
        // What arrives first decides: a frame, or another protocol's text.
        true => frame::read_reply(io::Cursor::new(&said).chain(&mut sk))
            .map(|reply| (reply.ok, printable(reply.message.as_bytes())))
            .map_err(|_| TransferError::NotFramed(printable(&said)))?,
        false => (true, printable(&said)),
    };
    out.line(format!("服务器确认: {confirmation}"));
    if !ok {
        return Err(TransferError::Refused(confirmation));
    }
    out.line("准备上传文件...");
    // The loop of sk.send(data): io::copy, which std hands to the kernel
    // (sendfile on Linux), 8 MiB at a time so that progress moves.
    let mut progress = Progress::new(out, "已发送", size);
    // STEP 2.5/8 file_client.py:39 `sk.send(data)`: 上传循环：发送文件的 `size` 个字节，每次 8 MiB，好让进度前进 / the upload loop: send the file's `size` bytes, 8 MiB at a time so that progress moves
    // hint: io::copy(&mut Read::by_ref(file).take(…), &mut sk)（std 会交给内核去做）；复制了 0 字节说明文件变短了：TransferError::FileChanged
    // hint: io::copy(&mut Read::by_ref(file).take(…), &mut sk) (std hands it to the kernel); 0 bytes copied means the file got shorter: TransferError::FileChanged
    let mut left = size;
    while left > 0 {
        let n = io::copy(&mut Read::by_ref(file).take(left.min(8 << 20)), &mut sk)?;
        if n == 0 {
            return Err(TransferError::FileChanged);
        }
        left -= n;
        progress.advance(n);
    }
    // END STEP
    common::trace::call("send (the file, by io::copy)", net::peer(&sk), None); // Added: --trace
    drop(progress);
    out.line("文件上传完成！");
    common::trace::call("shutdown(SHUT_WR)", net::peer(&sk), None); // Added: --trace
    // STEP 2.5/9 file_client.py:45 `sk.shutdown(socket.SHUT_WR)`: 半关闭：表示“发完了”；服务器看到 EOF 后才回答 / half-close: "that was all"; the server answers after it sees EOF
    // hint: 用 TcpStream::shutdown(Shutdown::Write)
    // hint: TcpStream::shutdown(Shutdown::Write)
    sk.shutdown(Shutdown::Write)?;
    // END STEP
    let (ok, message) = match framed {
        true => {
            let reply = frame::read_reply(&mut sk).map_err(|e| match e {
                frame::FrameError::Io(e) if net::is_disconnect(&e) => TransferError::NoReply,
                frame::FrameError::Truncated { got: 0, .. } => TransferError::NoReply,
                e => e.into(),
            })?;
            (reply.ok, printable(reply.message.as_bytes()))
        }
        false => {
            // STEP 2.5/10 file_client.py:46 `final_confirmation = sk.recv(1024).decode()`: 读取最终回复，读到流结束，最多 64 KiB / read the final reply, to the end of the stream, 64 KiB at most
            // hint: Read::by_ref(&mut sk).take(64 * 1024)，再 Read::read_to_end
            // hint: Read::by_ref(&mut sk).take(64 * 1024), then Read::read_to_end
            // gives: all: Vec<u8>
            let mut all = Vec::new();
            let mut reply = Read::by_ref(&mut sk).take(64 * 1024);
            reply.read_to_end(&mut all)?;
            // END STEP
            (true, printable(&all))
        }
    };
    common::trace::call("recv", net::peer(&sk), Some(message.as_bytes())); // Added: --trace
    out.line(format!("服务器最终确认: {message}"));
    if !ok {
        return Err(TransferError::Refused(message));
    }
    out.line("文件上传成功！");
    Ok(())
}

// NOT IN HANDOUT: the downloads of seed 003, not the lab's exercises
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
    let file_name = target
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string);
    let file_name = file_name
        .ok_or_else(|| io::Error::other(format!("{} is not a file name", target.display())))?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut sk = net::connect(cfg.server, cfg.timeout)?;
    frame::write_get(&mut sk, name)?;
    sk.shutdown(Shutdown::Write)?;
    let header = match frame::read_answer(&mut sk)? {
        Answer::Refused(reply) => return Err(TransferError::Refused(reply.message)),
        Answer::File(header) => header,
    };
    // The server's name obeys the same rules as ours.
    check_name(&header.filename)?;
    let mut incoming = Incoming::create(&dir)?;
    // The server's own receive loop: exactly the announced bytes, hashed on
    // the way. A client has no stop switch: a Stop never triggered gives
    // the loop the reply timeout as its idle limit.
    let in_flight = common::stop::Stop::default().admit(Some(cfg.timeout));
    let mut md5 = Md5::new();
    let size = header.filesize;
    crate::server::receive(
        &mut sk,
        &in_flight,
        &[],
        size,
        incoming.file(),
        Some(&mut md5),
        out,
    )?;
    crate::server::check_md5(md5, &header.md5)?;
    let path = incoming.commit(&file_name, overwrite, false)?;
    let shown = path.display().to_string();
    out.line(format!(
        "已保存为 {}，{} 字节，md5 校验一致",
        escape(&shown),
        header.filesize
    ));
    Ok(path)
}

// END NOT IN HANDOUT
