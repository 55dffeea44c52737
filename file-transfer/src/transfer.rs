//! Moving the file bytes, as fast as the machine allows.
//!
//! * Sending: `std::io::copy` from a `File` to a `TcpStream` uses the
//!   kernel's zero-copy `sendfile` on Linux; the bytes never pass through
//!   this process. (The originals send 1024 bytes per call.)
//! * Receiving: a pipeline of three threads: one reads the socket into
//!   1 MiB buffers, one hashes them (the slowest step, ~600 MiB/s), one
//!   writes them to the file. Hashing never waits for the socket or the
//!   disk, and the reads never wait for the hashing.

use crate::error::TransferError;
use crate::progress::Progress;
use common::digest::Md5Hasher;
use std::fs::File;
use std::io::{self, Read, Write};
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

/// Receives exactly `size` bytes (`prefix` first, then from `src`) into
/// `dst`, and returns their md5 when `hash` is set.
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
