//! Moving the file bytes, as fast as the machine allows.
//!
//! * Sending: `std::io::copy` from a `File` to a `TcpStream` uses the
//!   kernel's zero-copy `sendfile` on Linux; the bytes never pass through
//!   this process, which leaves its core to the hashing. (The originals
//!   send 1024 bytes per call.)
//! * Receiving with md5: a pipeline of three threads: one reads the socket
//!   into 1 MiB buffers, one hashes them (the slowest step, ~650 MiB/s), one
//!   writes them to the file. Hashing never waits for the socket or the
//!   disk, and the reads never wait for the hashing.
//! * Receiving without md5 (`--legacy`): nothing needs to look at the bytes,
//!   so on Linux they never enter this process: `splice` moves them from
//!   the socket into a pipe, and from the pipe into the file. One copy, in
//!   the kernel, instead of two through user space.

use crate::error::TransferError;
use crate::progress::Progress;
use common::digest::Md5Hasher;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;

/// Size of one receive buffer.
pub const CHUNK: usize = 1 << 20;
/// Buffers queued before each stage of the receive pipeline.
const DEPTH: usize = 4;
/// Bytes per `sendfile` round, between two progress updates.
const MIN_SEND_STEP: u64 = 8 << 20;

/// Sends `size` bytes of `file` to `dst`.
pub fn send_file(
    file: &mut File,
    size: u64,
    mut dst: impl Write,
    progress: &mut Progress,
) -> io::Result<()> {
    let step = (size / 10).max(MIN_SEND_STEP);
    let mut left = size;
    while left > 0 {
        let sent = io::copy(&mut Read::by_ref(file).take(left.min(step)), &mut dst)?;
        if sent == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was being sent",
            ));
        }
        left -= sent;
        progress.advance(sent);
    }
    Ok(())
}

/// Receives exactly `size` bytes (`prefix` first, then from the socket)
/// into the file `dst`, and returns their md5 when `hash` is set. The one
/// entry point for the server and the client; it picks the fastest path.
pub fn receive_file(
    src: &TcpStream,
    prefix: &[u8],
    size: u64,
    dst: &mut File,
    hash: bool,
    progress: &mut Progress,
) -> Result<Option<String>, TransferError> {
    #[cfg(target_os = "linux")]
    if !hash {
        return splice::receive(src, prefix, size, dst, progress).map(|()| None);
    }
    receive(src, prefix, size, dst, hash, progress)
}

/// The `--legacy` receive on Linux: socket → pipe → file inside the kernel.
#[cfg(target_os = "linux")]
mod splice {
    use super::TransferError;
    use crate::progress::Progress;
    use rustix::io::Errno;
    use rustix::pipe::{SpliceFlags, fcntl_setpipe_size, splice};
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::net::TcpStream;

    /// The pipe's capacity we ask for: fewer rounds than the default 64 KiB,
    /// and the most an unprivileged process may set (`pipe-max-size`).
    const PIPE_SIZE: usize = 1 << 20;

    /// Each round, one `splice` moves what the socket has into the empty
    /// pipe, then all of it is moved on into the file, so the pipe is empty
    /// again. Why one call and not a loop: the pipe holds a fixed number of
    /// fragments, not bytes, and a peer that sends small segments (the
    /// originals send 1 KiB) fills it with far fewer bytes than its size. A
    /// loop filling it would then wait for room that only this thread could
    /// make. A single `splice` into a pipe that is not full never waits for
    /// room; it returns what it moved.
    pub(super) fn receive(
        src: &TcpStream,
        prefix: &[u8],
        size: u64,
        mut dst: &File,
        progress: &mut Progress,
    ) -> Result<(), TransferError> {
        if prefix.len() as u64 > size {
            return Err(TransferError::ExtraBytes { expected: size });
        }
        dst.write_all(prefix)?;
        progress.advance(prefix.len() as u64);
        let mut got = prefix.len() as u64;
        let (pipe_out, pipe_in) = io::pipe()?;
        // Refused (a lowered pipe-max-size)? The default size works too.
        let room = fcntl_setpipe_size(&pipe_in, PIPE_SIZE).unwrap_or(64 << 10);
        while got < size {
            let want = usize::try_from(size - got).map_or(room, |left| left.min(room));
            // Waits only while the socket has nothing, up to the idle
            // timeout (SO_RCVTIMEO applies to splice as to read).
            let n = match splice(src, None, &pipe_in, None, want, SpliceFlags::empty()) {
                Ok(0) => {
                    return Err(TransferError::Truncated {
                        got,
                        expected: size,
                    });
                }
                Ok(n) => n,
                Err(Errno::INTR) => continue,
                // No splice here (seccomp, an exotic kernel): nothing has
                // left the socket yet, so the user-space path takes over.
                Err(Errno::INVAL | Errno::NOSYS | Errno::PERM) if got == prefix.len() as u64 => {
                    return super::receive(src, &[], size - got, &mut dst, false, progress)
                        .map(drop);
                }
                Err(e) => return Err(TransferError::from_socket(e.into())),
            };
            // Exactly the n bytes in the pipe, into the file: `io::copy`
            // splices them too, or reads and writes where the file system
            // cannot take a splice.
            let moved = io::copy(&mut (&pipe_out).take(n as u64), &mut dst)?;
            if moved != n as u64 {
                return Err(io::Error::other("the pipe to the file lost bytes").into());
            }
            got += moved;
            progress.advance(moved);
        }
        Ok(())
    }
}

/// Receives exactly `size` bytes (`prefix` first, then from `src`) into
/// `dst` through user space, and returns their md5 when `hash` is set.
///
/// A pipeline of threads, so that on a machine with two cores no step
/// waits for another: this thread reads the socket into 1 MiB buffers, a
/// second hashes each buffer (when `hash` is set), a third writes it to the
/// file and hands the buffer back for the next read.
pub fn receive(
    mut src: impl Read,
    prefix: &[u8],
    size: u64,
    dst: &mut (impl Write + Send),
    hash: bool,
    progress: &mut Progress,
) -> Result<Option<String>, TransferError> {
    if prefix.len() as u64 > size {
        return Err(TransferError::ExtraBytes { expected: size });
    }
    type Chunk = (Vec<u8>, usize);
    thread::scope(|scope| {
        let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
        let (write_tx, write_rx) = mpsc::sync_channel::<Chunk>(DEPTH);
        let writer = scope.spawn(move || -> io::Result<()> {
            for (buf, n) in write_rx {
                dst.write_all(&buf[..n])?;
                // The reader may have stopped; then the buffer is freed.
                let _ = pool_tx.send(buf);
            }
            Ok(())
        });
        // With md5, buffers pass through the hasher on their way to the
        // writer; without, they go straight to the writer.
        let (first_tx, hasher) = if hash {
            let (hash_tx, hash_rx) = mpsc::sync_channel::<Chunk>(DEPTH);
            let hasher = scope.spawn(move || {
                let mut md5 = Md5Hasher::new();
                for (buf, n) in hash_rx {
                    md5.update(&buf[..n]);
                    if write_tx.send((buf, n)).is_err() {
                        break;
                    }
                }
                md5.finish_hex()
            });
            (hash_tx, Some(hasher))
        } else {
            (write_tx, None)
        };

        let mut pump = || -> Result<(), TransferError> {
            first_tx
                .send((prefix.to_vec(), prefix.len()))
                .map_err(pipeline_gone)?;
            progress.advance(prefix.len() as u64);
            let mut got = prefix.len() as u64;
            let mut allocated = 0;
            while got < size {
                let mut buf = match pool_rx.try_recv() {
                    Ok(buf) => buf,
                    Err(_) if allocated < 2 * DEPTH + 2 => {
                        allocated += 1;
                        Vec::new()
                    }
                    Err(_) => pool_rx.recv().map_err(pipeline_gone)?,
                };
                // New buffers and the prefix's come back short; a full one
                // is not zeroed again.
                buf.resize(CHUNK, 0);
                let n = fill(&mut src, &mut buf, size - got)?;
                if n == 0 {
                    return Err(TransferError::Truncated {
                        got,
                        expected: size,
                    });
                }
                first_tx.send((buf, n)).map_err(pipeline_gone)?;
                got += n as u64;
                progress.advance(n as u64);
            }
            Ok(())
        };
        let pumped = pump();
        drop(first_tx);
        let digest = hasher
            .map(|h| h.join())
            .transpose()
            .map_err(|_| panicked())?;
        let written = writer.join().map_err(|_| panicked())?;
        // A failed write stops the pipeline; report it rather than the
        // reader's "pipeline gone".
        written?;
        pumped.map(|()| digest)
    })
}

fn pipeline_gone<T>(_: T) -> TransferError {
    TransferError::Io(io::Error::other("the writing thread stopped"))
}

fn panicked() -> TransferError {
    TransferError::Io(io::Error::other("a transfer thread panicked"))
}

/// Reads until `buf` is full, `limit` bytes were read, or EOF.
fn fill(src: &mut impl Read, buf: &mut [u8], limit: u64) -> Result<usize, TransferError> {
    let want = buf.len().min(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut n = 0;
    while n < want {
        match src.read(&mut buf[n..want]) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(TransferError::from_socket(e)),
        }
    }
    Ok(n)
}

/// After the announced bytes, the sender half-closes: the next read must be
/// EOF. Anything else means it sent more than it said.
pub fn expect_eof(mut src: impl Read, expected: u64) -> Result<(), TransferError> {
    let mut byte = [0u8; 1];
    loop {
        return match src.read(&mut byte) {
            Ok(0) => Ok(()),
            Ok(_) => Err(TransferError::ExtraBytes { expected }),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(TransferError::from_socket(e)),
        };
    }
}

/// Opens a file to send and returns it with its size.
pub fn open(path: &std::path::Path) -> io::Result<(File, u64)> {
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::log::Output;
    use std::time::Duration;

    fn progress() -> Progress {
        Progress::new(&Output::discard(), "已接收", 0)
    }

    #[test]
    fn receives_exactly_and_hashes() {
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let (md5, _) = common::digest::md5_reader(&data[..]).unwrap();
        let mut out = Vec::new();
        let got = receive(
            &data[10..],
            &data[..10],
            data.len() as u64,
            &mut out,
            true,
            &mut progress(),
        )
        .unwrap();
        assert_eq!(got, Some(md5));
        assert_eq!(out, data);
    }

    /// A connected loopback pair, both ends with a timeout so that a bug
    /// fails the test instead of hanging it.
    fn pair(timeout: Duration) -> (TcpStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        for s in [&client, &server] {
            s.set_read_timeout(Some(timeout)).unwrap();
            s.set_write_timeout(Some(timeout)).unwrap();
        }
        (client, server)
    }

    /// Receives into a fresh file, with `send` writing the other end.
    fn receive_into_file(
        prefix: &[u8],
        size: u64,
        timeout: Duration,
        send: impl FnOnce(TcpStream) + Send,
    ) -> (Result<Option<String>, TransferError>, Vec<u8>) {
        let (client, server) = pair(timeout);
        let mut file = tempfile::tempfile().unwrap();
        let got = thread::scope(|scope| {
            scope.spawn(move || send(client));
            let got = receive_file(&server, prefix, size, &mut file, false, &mut progress());
            // Frees a sender that waits for us.
            let _ = server.shutdown(std::net::Shutdown::Both);
            got
        });
        let mut written = Vec::new();
        std::io::Seek::rewind(&mut file).unwrap();
        file.read_to_end(&mut written).unwrap();
        (got, written)
    }

    #[test]
    fn file_receive_without_md5_takes_many_small_segments() {
        // 1 KiB writes with TCP_NODELAY, like the originals' sends: far more
        // fragments than the pipe has slots (see `splice`).
        // A wait for room in the pipe has no socket timeout, so a watchdog
        // turns that bug into a failure instead of a hang.
        let (done, finished) = mpsc::channel();
        thread::spawn(move || {
            let data: Vec<u8> = (0..3 * CHUNK + 5).map(|i| (i % 253) as u8).collect();
            let (got, written) = receive_into_file(
                &data[..7],
                data.len() as u64,
                Duration::from_secs(10),
                |mut client| {
                    client.set_nodelay(true).unwrap();
                    for piece in data[7..].chunks(1024) {
                        client.write_all(piece).unwrap();
                    }
                },
            );
            let _ = done.send((got.map_err(|e| e.to_string()), written == data));
        });
        let (got, intact) = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the receive hung");
        assert_eq!(got, Ok(None));
        assert!(intact, "the file differs from what was sent");
    }

    #[test]
    fn file_receive_without_md5_reports_truncation_idleness_and_excess() {
        let (got, written) = receive_into_file(b"ab", 100, Duration::from_secs(10), |mut c| {
            c.write_all(&[9; 40]).unwrap();
        });
        assert!(
            matches!(
                got,
                Err(TransferError::Truncated {
                    got: 42,
                    expected: 100
                })
            ),
            "{got:?}"
        );
        assert_eq!(written.len(), 42);

        let (got, _) = receive_into_file(b"", 100, Duration::from_millis(200), |mut c| {
            c.write_all(&[9; 10]).unwrap();
            // Stay connected and silent until the receiver gives up.
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let _ = c.read(&mut [0u8; 1]);
        });
        assert!(matches!(got, Err(TransferError::Idle)), "{got:?}");

        let (got, _) = receive_into_file(b"abcdef", 5, Duration::from_secs(10), drop);
        assert!(
            matches!(got, Err(TransferError::ExtraBytes { expected: 5 })),
            "{got:?}"
        );
    }

    #[test]
    fn truncated_and_extra() {
        let mut out = Vec::new();
        for hash in [false, true] {
            let err = receive(&b"abc"[..], b"", 5, &mut out, hash, &mut progress()).unwrap_err();
            assert!(
                matches!(
                    err,
                    TransferError::Truncated {
                        got: 3,
                        expected: 5
                    }
                ),
                "{err}"
            );
        }
        let err = receive(&b""[..], b"abcdef", 5, &mut out, true, &mut progress()).unwrap_err();
        assert!(matches!(err, TransferError::ExtraBytes { .. }));
        assert!(expect_eof(&b""[..], 1).is_ok());
        assert!(matches!(
            expect_eof(&b"x"[..], 1),
            Err(TransferError::ExtraBytes { .. })
        ));
    }
}
