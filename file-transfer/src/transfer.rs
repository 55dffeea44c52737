//! Moving the file bytes: the simplest path that is fast.
//!
//! * Sending is `io::copy` from the file to the socket, a chunk at a time
//!   (so progress can be shown). For a plain `TcpStream`, std hands the
//!   copy to the kernel (`sendfile` on Linux) and the bytes never pass
//!   through this process.
//! * Receiving is one loop over 1 MiB chunks: read from the socket, write
//!   to the file, and, with md5, hand the chunk to a hashing thread. The
//!   originals move 1024 bytes per call; large chunks make the system calls
//!   cheap next to the hashing, which sets the pace (BENCHMARKS.md).

use crate::digest::Md5Hasher;
use crate::error::TransferError;
use crate::frame::read_full;
use crate::progress::Progress;
use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::mpsc;

/// How much is sent or received per round: large enough that system calls
/// cost little, small enough that progress moves.
pub const CHUNK: usize = 1 << 20;

/// Sends `size` bytes of `file`, from its current position, to `dst`.
pub fn send(
    file: &File,
    size: u64,
    dst: &mut impl Write,
    progress: &mut Progress,
) -> io::Result<()> {
    let mut left = size;
    while left > 0 {
        let n = io::copy(&mut file.take(left.min(8 * CHUNK as u64)), dst)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while it was being sent",
            ));
        }
        left -= n;
        progress.advance(n);
    }
    dst.flush()
}

/// Receives exactly `size` bytes (`prefix` first, then from `src`) into
/// `dst`, and returns their md5 when `hash` is set.
///
/// This thread reads each chunk and writes it. With md5, hashing is the
/// slowest step (about 2 s per GiB here, slower than the socket and the
/// disk together), so it gets a thread of its own: each chunk, once
/// written, goes to the hasher, and this thread reads the next one
/// meanwhile. The hasher lives for the whole transfer (one started per
/// chunk tends to run on its parent's core, and then nothing overlaps).
/// Without md5 there is no second thread: writing on one didn't measurably
/// pay (BENCHMARKS.md).
pub fn receive(
    mut src: impl Read,
    prefix: &[u8],
    size: u64,
    dst: &mut impl Write,
    hash: bool,
    progress: &mut Progress,
) -> Result<Option<String>, TransferError> {
    if prefix.len() as u64 > size {
        return Err(TransferError::ExtraBytes { expected: size });
    }
    std::thread::scope(|s| {
        // The chunks go round a channel: this thread takes an empty one,
        // fills it and writes it, and the hasher (or, without md5, this
        // thread) puts it back. Two keep both threads busy.
        let (recycle, empty) = mpsc::channel::<Vec<u8>>();
        for _ in 0..if hash { 2 } else { 1 } {
            // Cannot fail: the receiver, `empty`, is right here.
            let _ = recycle.send(vec![0u8; CHUNK]);
        }
        let (to_hasher, chunks) = mpsc::sync_channel::<(Vec<u8>, usize)>(1);
        // With md5, only the hasher puts chunks back: should it die,
        // `empty.recv()` fails instead of waiting forever.
        let (hasher, recycle) = if hash {
            let hasher = s.spawn(move || {
                let mut md5 = Md5Hasher::new();
                for (chunk, n) in chunks {
                    md5.update(&chunk[..n]);
                    // The receiving thread may have stopped (an error); then
                    // the chunk is freed here.
                    let _ = recycle.send(chunk);
                }
                md5.finish_hex()
            });
            (Some(hasher), None)
        } else {
            (None, Some(recycle))
        };
        let mut early = prefix;
        let mut got = 0u64;
        while got < size {
            let mut chunk = empty.recv().map_err(|_| panicked())?;
            // The bytes that came with the header open the first chunk.
            let len = next_chunk_len(size, got);
            let head = early.len().min(len);
            chunk[..head].copy_from_slice(&early[..head]);
            early = &early[head..];
            let n = head
                + read_full(&mut src, &mut chunk[head..len]).map_err(TransferError::from_socket)?;
            if n == 0 {
                return Err(TransferError::Truncated {
                    got,
                    expected: size,
                });
            }
            dst.write_all(&chunk[..n])?;
            got += n as u64;
            progress.advance(n as u64);
            match &recycle {
                Some(recycle) => {
                    let _ = recycle.send(chunk);
                }
                None => to_hasher.send((chunk, n)).map_err(|_| panicked())?,
            }
        }
        drop(to_hasher);
        hasher.map(|h| h.join()).transpose().map_err(|_| panicked())
    })
}

fn panicked() -> TransferError {
    TransferError::Io(io::Error::other("the md5 thread panicked"))
}

/// How many bytes the next chunk should hold, `got` of `size` being in.
fn next_chunk_len(size: u64, got: u64) -> usize {
    usize::try_from(size - got).map_or(CHUNK, |left| left.min(CHUNK))
}

/// After the announced bytes, the sender half-closes: the next read must be
/// EOF. Anything else means it sent more than it said.
pub fn expect_eof(mut src: impl Read, expected: u64) -> Result<(), TransferError> {
    match read_full(&mut src, &mut [0u8; 1]) {
        Ok(0) => Ok(()),
        Ok(_) => Err(TransferError::ExtraBytes { expected }),
        Err(e) => Err(TransferError::from_socket(e)),
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

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn receives_exactly_the_announced_bytes_with_their_md5() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let wire = data(len);
            let (prefix, rest) = wire.split_at(len.min(10));
            let mut out = Vec::new();
            let md5 = receive(rest, prefix, len as u64, &mut out, true, &mut progress()).unwrap();
            assert_eq!(out, wire, "{len}");
            let (expected, _) = crate::digest::md5_reader(&wire[..], |_| {}).unwrap();
            assert_eq!(md5.as_deref(), Some(expected.as_str()), "{len}");
        }
    }

    #[test]
    fn a_short_stream_is_truncated_and_extra_bytes_are_refused() {
        let mut out = Vec::new();
        let err = receive(&b"abc"[..], b"", 5, &mut out, false, &mut progress()).unwrap_err();
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
        let err = receive(&b""[..], b"abcdef", 5, &mut out, false, &mut progress()).unwrap_err();
        assert!(
            matches!(err, TransferError::ExtraBytes { expected: 5 }),
            "{err}"
        );
        assert!(expect_eof(&b""[..], 5).is_ok());
        assert!(expect_eof(&b"x"[..], 5).is_err());
    }

    #[test]
    fn sends_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, data(3 * CHUNK + 7)).unwrap();
        let (file, size) = open(&path).unwrap();
        let mut out = Vec::new();
        send(&file, size, &mut out, &mut progress()).unwrap();
        assert_eq!(out, data(3 * CHUNK + 7));
        assert!(open(dir.path()).is_err(), "a folder is not sent");
    }
}
