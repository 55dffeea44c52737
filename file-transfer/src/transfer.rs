//! Moving the file bytes, as fast as the machine allows.
//!
//! * Sending: on Linux the bytes never pass through this process: `splice`
//!   moves them from the file's page cache into a 1 MiB pipe and from the
//!   pipe into the socket, which leaves the core to the hashing. (Not
//!   `sendfile`, which is the same splice through a pipe of 16 pages: a
//!   round per 64 KiB made it 40 % slower here, BENCHMARKS.md. The
//!   originals send 1024 bytes per call.)
//! * Receiving: a pipeline of threads: one reads the socket into 1 MiB
//!   buffers, one hashes them (with md5; the slowest step, ~650 MiB/s), one
//!   writes them to the file. Hashing never waits for the socket or the
//!   disk, and the reads never wait for the hashing.
//! * A large file is written past the page cache (`O_DIRECT`, see
//!   [`FileWriter`]): on the lab's virtual machine that halved the time of
//!   a `--legacy` upload and took a third off an md5 one.

use crate::error::TransferError;
use crate::progress::Progress;
use common::digest::Md5Hasher;
use common::frame::read_full;
use common::net::recv;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;

/// Size of one receive buffer.
pub const CHUNK: usize = 1 << 20;
/// Alignment of the receive buffers, and the unit of a direct write: the
/// largest logical block size of common disks.
const ALIGN: usize = 4096;
/// Buffers queued before each stage of the receive pipeline.
const DEPTH: usize = 4;
/// From this size on, a received file is written with `O_DIRECT` (see
/// [`FileWriter`]). A smaller one goes through the page cache, where it
/// costs little and is likely to be read again soon.
const DIRECT_MIN: u64 = 64 << 20;

/// Sends `size` bytes of `file`, from its current position, to `dst`.
pub fn send_file(
    file: &File,
    size: u64,
    dst: &TcpStream,
    progress: &mut Progress,
) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    return splice::send(file, size, dst, progress);
    #[cfg(not(target_os = "linux"))]
    return copy(file, size, dst, progress);
}

/// Sends through user space, one 1 MiB buffer at a time: where the kernel
/// cannot splice.
fn copy(
    mut file: &File,
    size: u64,
    mut dst: &TcpStream,
    progress: &mut Progress,
) -> io::Result<()> {
    let mut buf = vec![0; CHUNK];
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
        let n = read_full(&mut file, &mut buf[..want])?;
        if n == 0 {
            return Err(shorter());
        }
        dst.write_all(&buf[..n])?;
        left -= n as u64;
        progress.advance(n as u64);
    }
    Ok(())
}

fn shorter() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file got shorter while it was being sent",
    )
}

/// Receives exactly `size` bytes (`prefix` first, then from the socket)
/// into the file `dst`, and returns their md5 when `hash` is set. The one
/// entry point for the server and the client.
pub fn receive_file(
    src: &TcpStream,
    prefix: &[u8],
    size: u64,
    dst: &mut File,
    hash: bool,
    progress: &mut Progress,
) -> Result<Option<String>, TransferError> {
    receive(
        src,
        prefix,
        size,
        &mut FileWriter::new(dst, size),
        hash,
        progress,
    )
}

/// Writes a received file: a large one with `O_DIRECT` while it can, then
/// as usual.
///
/// Why: a buffered write copies every byte into page-cache pages that a
/// large new file must first get from the kernel. On the lab's virtual
/// machine, which hands freed memory back to its host, filling fresh
/// pages costs about 2 s of CPU per GiB, more than hashing the bytes, and
/// it competes with the hasher for the second core (BENCHMARKS.md: the md5
/// upload of a GiB went from 1.2–1.3 × `md5sum` twice to 0.9 ×, the
/// `--legacy` one from medians of 0.7–1.3 s to 0.6 s). A direct write hands the buffer to the disk
/// instead, and leaves the page cache to files that are read.
///
/// A direct write must be whole, aligned blocks from an aligned buffer, at
/// an aligned offset. The pipeline's buffers are aligned and full but for
/// the last one; the first write that is not whole blocks (the file's
/// tail) turns `O_DIRECT` off for the rest, so the offset of every direct
/// write stays aligned. A file system that refuses direct writes (`EINVAL`,
/// at the `fcntl` or at the first write) simply gets buffered ones.
pub struct FileWriter<'a> {
    file: &'a File,
    direct: bool,
}

impl<'a> FileWriter<'a> {
    /// A writer for `file`, which will receive `size` bytes from offset 0.
    pub fn new(file: &'a File, size: u64) -> Self {
        #[cfg(target_os = "linux")]
        let direct = size >= DIRECT_MIN && direct::set(file, true).is_ok();
        #[cfg(not(target_os = "linux"))]
        let direct = {
            let _ = size;
            false
        };
        FileWriter { file, direct }
    }

    #[cfg(test)]
    fn is_direct(&self) -> bool {
        self.direct
    }

    fn buffered(&mut self) -> io::Result<()> {
        if self.direct {
            self.direct = false;
            #[cfg(target_os = "linux")]
            direct::set(self.file, false)?;
        }
        Ok(())
    }
}

impl Write for FileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let whole_blocks =
            buf.len().is_multiple_of(ALIGN) && buf.as_ptr().addr().is_multiple_of(ALIGN);
        if !whole_blocks {
            self.buffered()?;
        }
        match (&mut &*self.file).write(buf) {
            // EINVAL: the file system takes no direct writes after all.
            Err(e) if self.direct && e.kind() == io::ErrorKind::InvalidInput => {
                self.buffered()?;
                (&mut &*self.file).write(buf)
            }
            done => done,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Turning `O_DIRECT` on and off, on Linux.
#[cfg(target_os = "linux")]
mod direct {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    use std::fs::File;

    pub(super) fn set(file: &File, on: bool) -> rustix::io::Result<()> {
        let flags = fcntl_getfl(file)?;
        let flags = if on {
            flags | OFlags::DIRECT
        } else {
            flags - OFlags::DIRECT
        };
        fcntl_setfl(file, flags)
    }
}

/// The send on Linux: file → pipe → socket inside the kernel.
#[cfg(target_os = "linux")]
mod splice {
    use crate::progress::Progress;
    use rustix::io::Errno;
    use rustix::pipe::{SpliceFlags, fcntl_setpipe_size, splice};
    use std::fs::File;
    use std::io;
    use std::net::TcpStream;

    /// The pipe's capacity we ask for: fewer rounds than the default 64 KiB,
    /// and the most an unprivileged process may set (`pipe-max-size`).
    const PIPE_SIZE: usize = 1 << 20;

    /// The send: file → pipe → socket. Into the pipe go references to the
    /// file's page-cache pages, not copies, and the socket takes those
    /// pages as they are; the one copy is the receiver's.
    pub(super) fn send(
        file: &File,
        size: u64,
        dst: &TcpStream,
        progress: &mut Progress,
    ) -> io::Result<()> {
        let (pipe_out, pipe_in) = io::pipe()?;
        // Refused (a lowered pipe-max-size)? The default size works too.
        let room = fcntl_setpipe_size(&pipe_in, PIPE_SIZE).unwrap_or(64 << 10);
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left).map_or(room, |left| left.min(room));
            let n = match splice(file, None, &pipe_in, None, want, SpliceFlags::empty()) {
                Ok(0) => return Err(super::shorter()),
                Ok(n) => n,
                Err(Errno::INTR) => continue,
                // A file system that cannot splice: nothing is sent yet, so
                // user space takes over.
                Err(Errno::INVAL | Errno::NOSYS | Errno::PERM) if left == size => {
                    return super::copy(file, size, dst, progress);
                }
                Err(e) => return Err(e.into()),
            };
            left -= n as u64;
            // MORE lets TCP fill whole segments across two rounds; not on
            // the last round, whose tail would wait for data that never
            // comes.
            let flags = if left > 0 {
                SpliceFlags::MORE
            } else {
                SpliceFlags::empty()
            };
            // May wait for room in the socket, up to its write timeout.
            let mut queued = n;
            while queued > 0 {
                match splice(&pipe_out, None, dst, None, queued, flags) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(m) => queued -= m,
                    Err(Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            progress.advance(n as u64);
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
    type Chunk = (Buffer, usize);
    thread::scope(|scope| {
        let (pool_tx, pool_rx) = mpsc::channel::<Buffer>();
        let (write_tx, write_rx) = mpsc::sync_channel::<Chunk>(DEPTH);
        let writer = scope.spawn(move || -> io::Result<()> {
            for (buf, n) in write_rx {
                dst.write_all(&buf.bytes()[..n])?;
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
                    md5.update(&buf.bytes()[..n]);
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
            // The bytes that came with the header open the first buffer, so
            // that every buffer but the last is full: whole, aligned blocks
            // for a direct write.
            let mut early = prefix;
            let mut got = 0;
            let mut allocated = 0;
            while got < size {
                let mut buf = match pool_rx.try_recv() {
                    Ok(buf) => buf,
                    Err(_) if allocated < 2 * DEPTH + 2 => {
                        allocated += 1;
                        Buffer::new()
                    }
                    Err(_) => pool_rx.recv().map_err(pipeline_gone)?,
                };
                let room = buf.bytes_mut();
                let want = usize::try_from(size - got).map_or(CHUNK, |left| left.min(CHUNK));
                let (head, tail) = early.split_at(early.len().min(want));
                room[..head.len()].copy_from_slice(head);
                early = tail;
                let n = head.len()
                    + read_full(&mut src, &mut room[head.len()..want])
                        .map_err(TransferError::from_socket)?;
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

/// One receive buffer: `CHUNK` bytes that start on an `ALIGN` boundary,
/// as a direct write needs. (A plain `Vec` of 1 MiB starts 16 bytes past a
/// page: the allocator's header.) Allocated zeroed once, then reused.
struct Buffer {
    bytes: Vec<u8>,
    start: usize,
}

impl Buffer {
    fn new() -> Self {
        let bytes = vec![0; CHUNK + ALIGN];
        let start = (ALIGN - bytes.as_ptr().addr() % ALIGN) % ALIGN;
        Buffer { bytes, start }
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[self.start..self.start + CHUNK]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + CHUNK]
    }
}

/// After the announced bytes, the sender half-closes: the next read must be
/// EOF. Anything else means it sent more than it said.
pub fn expect_eof(mut src: impl Read, expected: u64) -> Result<(), TransferError> {
    match recv(&mut src, &mut [0u8; 1]) {
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
        // 1 KiB writes with TCP_NODELAY, like the originals' sends: each
        // buffer is filled by many short reads, and the bytes that came
        // with the header open the first one.
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
        assert_eq!(got.map_err(|e| e.to_string()), Ok(None));
        assert!(written == data, "the file differs from what was sent");
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

    /// `send` (the splice, on Linux) and `copy` (its fallback) on a real
    /// file: exactly `size` bytes from the file's position, and an error
    /// when the file holds fewer.
    #[test]
    fn sends_exactly_size_from_the_position() {
        type Send = fn(&File, u64, &TcpStream, &mut Progress) -> io::Result<()>;
        let copy_from: Send = |f, size, dst, p| copy(f, size, dst, p);
        let data: Vec<u8> = (0..3 * CHUNK + 5).map(|i| (i % 249) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        for send in [send_file as Send, copy_from] {
            let (client, mut server) = pair(Duration::from_secs(10));
            std::io::Seek::seek(&mut file, io::SeekFrom::Start(7)).unwrap();
            thread::scope(|scope| {
                let reader = scope.spawn(move || {
                    let mut got = Vec::new();
                    server.read_to_end(&mut got).unwrap();
                    got
                });
                let size = data.len() as u64 - 7;
                send(&file, size, &client, &mut progress()).unwrap();
                client.shutdown(std::net::Shutdown::Write).unwrap();
                assert!(reader.join().unwrap() == data[7..], "bytes differ");
            });

            let (client, _server) = pair(Duration::from_secs(10));
            std::io::Seek::rewind(&mut file).unwrap();
            let err = send(&file, data.len() as u64 + 1, &client, &mut progress());
            assert_eq!(err.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    /// The direct writer on a real file, through the md5 pipeline: every
    /// size around the block and buffer boundaries, with and without bytes
    /// that came with the header, arrives intact, and whole blocks stay
    /// direct where the file system allows it.
    #[test]
    fn direct_writes_arrive_intact() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [0, 1, ALIGN - 1, ALIGN, CHUNK, CHUNK + 1, 3 * CHUNK + 17];
        for size in sizes {
            let data: Vec<u8> = (0..size).map(|i| (i % 241) as u8).collect();
            let (md5, _) = common::digest::md5_reader(&data[..]).unwrap();
            for (i, early) in [0, 10.min(size), 5000.min(size)].into_iter().enumerate() {
                let path = dir.path().join(format!("{size}-{i}"));
                let file = File::create_new(&path).unwrap();
                let mut writer = FileWriter::new(&file, DIRECT_MIN);
                let got = receive(
                    &data[early..],
                    &data[..early],
                    size as u64,
                    &mut writer,
                    true,
                    &mut progress(),
                )
                .unwrap();
                assert_eq!(got.as_deref(), Some(md5.as_str()), "{size} {early}");
                assert!(std::fs::read(&path).unwrap() == data, "{size} {early}");
            }
        }

        // Whole aligned blocks keep it direct; the tail ends it.
        let file = File::create_new(dir.path().join("blocks")).unwrap();
        let mut writer = FileWriter::new(&file, DIRECT_MIN);
        let was_direct = writer.is_direct();
        let mut block = Buffer::new();
        block.bytes_mut().fill(3);
        writer.write_all(block.bytes()).unwrap();
        writer.write_all(block.bytes()).unwrap();
        assert_eq!(writer.is_direct(), was_direct);
        writer.write_all(&block.bytes()[..5]).unwrap();
        assert!(!writer.is_direct());
        assert_eq!(file.metadata().unwrap().len(), 2 * CHUNK as u64 + 5);

        // A small file stays in the page cache.
        let file = File::create_new(dir.path().join("small")).unwrap();
        assert!(!FileWriter::new(&file, DIRECT_MIN - 1).is_direct());
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
