//! `file-transfer bench`: the speed targets of the file transfer, measured
//! side by side in one run on this machine (BENCHMARKS.md records the
//! results and the command).
//!
//! * an md5-checked upload against `md5sum` run twice on the same file (the
//!   floor: the sender hashes before the header, the receiver hashes again);
//! * a `--legacy` upload (no md5) against the same bytes pushed through a
//!   bare loopback TCP socket pair;
//! * with `--python DIR`, the Python originals (`file_client.py` to
//!   `file_server.py`) against the Rust pair, same protocol (`name|size`).
//!
//! Everything runs on loopback; each figure is the median of `--runs`.

use crate::client::{self, Config as ClientConfig};
use crate::server::{self, Config as ServerConfig};
use anyhow::{Context, Result, bail, ensure};
use common::cli::ServerOpts;
use common::log::Output;
use common::server::Shutdown;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Size of the big file, in MiB
    #[arg(long, default_value_t = 1024)]
    pub size_mib: u64,
    /// Size of the file for the comparison with the Python originals, in MiB
    #[arg(long, default_value_t = 256)]
    pub python_size_mib: u64,
    /// Runs of each measurement (the median is reported)
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Folder of the Python originals (file_server.py, file_client.py), to measure them too
    #[arg(long, value_name = "DIR")]
    pub python: Option<PathBuf>,
    /// Where to put the test files [default: a temporary folder]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const MIB: u64 = 1 << 20;

pub fn run(args: &BenchArgs, out: &Output) -> Result<()> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    let tmp = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let big = tmp.path().join("big.bin");
    make_file(&big, args.size_mib * MIB)?;
    let bytes = args.size_mib * MIB;
    let small = tmp.path().join("small.bin");
    let small_bytes = args.python_size_mib * MIB;
    if args.python.is_some() {
        make_file(&small, small_bytes)?;
    }
    let work = tmp.path();
    let mut rows = vec![
        Row::new("md5sum, twice", bytes, || {
            let once = || time_command(Command::new("md5sum").arg(&big));
            Ok(once()? + once()?)
        }),
        Row::new("upload with md5 (framed)", bytes, || {
            upload(&big, work, false)
        }),
        Row::new(
            "upload with md5, receiver discarding the bytes (no disk)",
            bytes,
            || upload_to_sink(&big),
        ),
        Row::new("bare loopback TCP socket pair", bytes, || {
            bare_socket(bytes, None)
        }),
        Row::new(
            "bare socket pair, the file sent as an upload sends it",
            bytes,
            || bare_socket(bytes, Some(&big)),
        ),
        Row::new("upload --legacy (no md5)", bytes, || {
            upload(&big, work, true)
        }),
        Row::new(
            "writing the same bytes to a new file as an upload does (O_DIRECT), no network",
            bytes,
            || write_new_file(bytes, work, true),
        ),
        Row::new(
            "writing them with write() through the page cache instead",
            bytes,
            || write_new_file(bytes, work, false),
        ),
    ];
    if let Some(py) = &args.python {
        let mib = args.python_size_mib;
        rows.push(Row::new(
            format!("Python originals, {mib} MiB, name|size"),
            small_bytes,
            || python_upload(py, &small, work),
        ));
        rows.push(Row::new(
            format!("Rust --legacy, {mib} MiB, name|size"),
            small_bytes,
            || upload(&small, work, true),
        ));
    }

    // Round by round, every measurement once per round: on a shared
    // machine the background load drifts, and this way the drift falls on
    // every row alike, so the ratios stay fair. The first round is a
    // warm-up and is not counted: on a virtual machine, the first pages a
    // large file lands in cost several times what reused pages do.
    for round in 0..=args.runs {
        for row in &mut rows {
            // Flush what earlier runs wrote, so the kernel's writeback of
            // their files does not compete with this run.
            let _ = Command::new("sync").status();
            let took = (row.measure)().with_context(|| format!("measuring {}", row.name))?;
            if round > 0 {
                row.times.push(took);
            }
        }
    }

    out.line(format!(
        "file-transfer bench: {} MiB file, median of {} interleaved runs after a warm-up round, {} cores",
        args.size_mib,
        args.runs,
        thread::available_parallelism().map_or(0, |n| n.get())
    ));
    out.line("");
    out.line("| measurement | median | throughput | all runs (s) |");
    out.line("|---|---|---|---|");
    let medians: Vec<Duration> = rows.iter().map(Row::median).collect();
    for (row, median) in rows.iter().zip(&medians) {
        let all: Vec<String> = row
            .times
            .iter()
            .map(|t| format!("{:.2}", t.as_secs_f64()))
            .collect();
        out.line(format!(
            "| {} | {:.3} s | {:.0} MiB/s | {} |",
            row.name,
            median.as_secs_f64(),
            row.bytes as f64 / MIB as f64 / median.as_secs_f64(),
            all.join(" ")
        ));
    }
    let [
        md5sum,
        framed,
        no_disk,
        bare,
        from_file,
        legacy,
        direct,
        buffered,
    ] = medians[..8]
    else {
        unreachable!("the eight rows above are always there");
    };
    out.line("");
    out.line(format!(
        "upload with md5 / (md5sum twice) = {:.2} (target ≤ 1.15)",
        ratio(framed, md5sum)
    ));
    out.line(format!(
        "upload with md5, no disk / (md5sum twice) = {:.2} (the network and hashing alone)",
        ratio(no_disk, md5sum)
    ));
    out.line(format!(
        "upload --legacy / bare socket = {:.2} (target ≤ 2)",
        ratio(legacy, bare)
    ));
    out.line(format!(
        "bare socket, the file sent as an upload sends it / from memory = {:.2} (what sending a file adds)",
        ratio(from_file, bare)
    ));
    out.line(format!(
        "writing a new file as an upload does / bare socket = {:.2} (the disk alone, for scale)",
        ratio(direct, bare)
    ));
    out.line(format!(
        "writing a new file through the page cache / as an upload does = {:.2} (why O_DIRECT)",
        ratio(buffered, direct)
    ));
    if let [python, rust] = medians[8..] {
        out.line(format!(
            "Rust / Python throughput = {:.1}× (target ≥ 5)",
            ratio(python, rust)
        ));
    }
    Ok(())
}

/// One line of the table: what is measured, and its times so far.
struct Row<'a> {
    name: String,
    bytes: u64,
    measure: Box<dyn FnMut() -> Result<Duration> + 'a>,
    times: Vec<Duration>,
}

impl<'a> Row<'a> {
    fn new(
        name: impl Into<String>,
        bytes: u64,
        measure: impl FnMut() -> Result<Duration> + 'a,
    ) -> Self {
        Row {
            name: name.into(),
            bytes,
            measure: Box::new(measure),
            times: Vec::new(),
        }
    }

    fn median(&self) -> Duration {
        let mut times = self.times.clone();
        times.sort();
        times[times.len() / 2]
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Writes `size` bytes of incompressible data (a xorshift stream).
fn make_file(path: &Path, size: u64) -> Result<()> {
    let mut file = std::io::BufWriter::with_capacity(MIB as usize, std::fs::File::create(path)?);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(())
}

fn time_command(cmd: &mut Command) -> Result<Duration> {
    let started = Instant::now();
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    ensure!(status.success(), "{cmd:?} failed");
    Ok(started.elapsed())
}

/// Writes `bytes` into a new temporary file in `work`, reserved the way
/// the receiver reserves it, with no socket involved: what the
/// destination's file system costs. With `as_upload`, through the
/// receiver's own pipeline and `FileWriter` (`O_DIRECT` for a large file),
/// reading from memory instead of a socket; without, with `write()` from
/// one reused 1 MiB buffer through the page cache. No fsync, as an upload.
fn write_new_file(bytes: u64, work: &Path, as_upload: bool) -> Result<Duration> {
    use crate::transfer::{self, FileWriter};
    let dir = tempfile::tempdir_in(work)?;
    let started = Instant::now();
    let mut incoming = crate::store::Incoming::create(dir.path())?;
    incoming.reserve(bytes)?;
    if as_upload {
        let mut progress = crate::progress::Progress::new(&Output::discard(), "", bytes);
        let src = std::io::repeat(0x5a).take(bytes);
        let mut dst = FileWriter::new(incoming.file(), bytes);
        transfer::receive(src, &[], bytes, &mut dst, false, &mut progress)?;
    } else {
        let block = vec![0x5au8; MIB as usize];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(MIB) as usize;
            incoming.file().write_all(&block[..n])?;
            left -= n as u64;
        }
    }
    // Removing the file is not part of the floor (an upload renames it).
    let took = started.elapsed();
    drop(incoming);
    Ok(took)
}

/// One upload of `path` through the Rust client and server, end to end:
/// from the client's first read of the file to the server's final reply.
fn upload(path: &Path, work: &Path, legacy: bool) -> Result<Duration> {
    let save = tempfile::tempdir_in(work)?;
    let listener = common::net::bind_tcp("127.0.0.1:0".parse()?, 128)?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    let cfg = ServerConfig {
        dir: save.path().to_path_buf(),
        max_size: None,
        overwrite: false,
        sync: false,
    };
    let opts = ServerOpts {
        backlog: 128,
        idle_timeout: Duration::from_secs(30),
        grace: Duration::from_secs(1),
    };
    let s = shutdown.clone();
    let server = thread::spawn(move || server::run(&listener, &cfg, &opts, &s, &Output::discard()));
    let client_cfg = ClientConfig {
        server: addr,
        legacy,
        timeout: Some(Duration::from_secs(60)),
    };
    let started = Instant::now();
    let result = client::upload(&client_cfg, path, &Output::discard());
    let elapsed = started.elapsed();
    shutdown.trigger();
    let _ = server.join();
    result?;
    Ok(elapsed)
}

/// The Rust client's md5 upload against a receiver that runs the server's
/// receive pipeline (hashing included) into `io::sink()`: the transfer
/// without the file system, to show what the disk costs on this machine.
fn upload_to_sink(path: &Path) -> Result<Duration> {
    use crate::progress::Progress;
    use crate::protocol::{self, Dialect, Request};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let receiver = thread::spawn(move || -> Result<()> {
        let (mut s, _) = listener.accept()?;
        let (dialect, first) = protocol::sniff(&mut s)?.context("no request")?;
        let (Request::Upload(up), rest) = protocol::read_request(&mut s, dialect, first)? else {
            bail!("not an upload");
        };
        protocol::write_reply(&mut s, Dialect::Framed, true, "go")?;
        let mut progress = Progress::new(&Output::discard(), "", up.filesize);
        let md5 = crate::transfer::receive(
            &s,
            &rest,
            up.filesize,
            &mut std::io::sink(),
            true,
            &mut progress,
        )?;
        ensure!(md5 == up.md5, "md5 mismatch");
        crate::transfer::expect_eof(&mut s, up.filesize)?;
        protocol::write_reply(&mut s, Dialect::Framed, true, "ok")?;
        Ok(())
    });
    let cfg = ClientConfig {
        server: addr,
        legacy: false,
        timeout: Some(Duration::from_secs(60)),
    };
    let started = Instant::now();
    client::upload(&cfg, path, &Output::discard())?;
    let elapsed = started.elapsed();
    receiver
        .join()
        .map_err(|_| anyhow::anyhow!("receiver panicked"))??;
    Ok(elapsed)
}

/// The same bytes through a bare loopback socket pair: one thread writes
/// them, the other reads and drops them. Without `file`, the writer sends
/// one 1 MiB buffer again and again (the fastest a socket pair goes here);
/// with `file`, it sends the file the way an upload does (`send_file`).
fn bare_socket(bytes: u64, file: Option<&Path>) -> Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr: SocketAddr = listener.local_addr()?;
    let reader = thread::spawn(move || -> std::io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut buf = vec![0u8; MIB as usize];
        let mut total = 0;
        loop {
            match s.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    });
    let file = file.map(std::fs::File::open).transpose()?;
    let started = Instant::now();
    let mut s = TcpStream::connect(addr)?;
    match file {
        Some(file) => {
            let size = file.metadata()?.len();
            let mut progress = crate::progress::Progress::new(&Output::discard(), "", size);
            crate::transfer::send_file(&file, size, &s, &mut progress)?;
        }
        None => {
            let buf = vec![7u8; MIB as usize];
            let mut left = bytes;
            while left > 0 {
                let n = left.min(MIB) as usize;
                s.write_all(&buf[..n])?;
                left -= n as u64;
            }
        }
    }
    drop(s);
    let got = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    let elapsed = started.elapsed();
    ensure!(got == bytes, "the bare socket moved {got} of {bytes} bytes");
    Ok(elapsed)
}

/// `file_client.py` uploading to `file_server.py`, timed until the client
/// exits (after the server has closed the connection). Their per-KiB
/// progress lines go to /dev/null.
fn python_upload(originals: &Path, file: &Path, work: &Path) -> Result<Duration> {
    let dir = tempfile::tempdir_in(work)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let save = dir.path().join("save");
    let rewrite = common::originals::Rewrite {
        port,
        base_path: Some(&save),
        backlog: None,
    };
    for script in ["file_server.py", "file_client.py"] {
        let text = std::fs::read_to_string(originals.join(script))
            .with_context(|| format!("cannot read {script} in {}", originals.display()))?;
        std::fs::write(
            dir.path().join(script),
            common::originals::rewrite(&text, &rewrite),
        )?;
    }
    let mut server =
        common::originals::spawn_server(&dir.path().join("file_server.py"), dir.path(), port)?;
    let started = Instant::now();
    let mut client = Command::new("python3")
        .arg(dir.path().join("file_client.py"))
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(client.stdin.take().context("stdin")?, "{}", file.display())?;
    let status = client.wait()?;
    let elapsed = started.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    ensure!(status.success(), "file_client.py failed");
    let saved = std::fs::metadata(save.join(file.file_name().context("file name")?))?.len();
    ensure!(
        saved == std::fs::metadata(file)?.len(),
        "file_server.py saved {saved} bytes"
    );
    Ok(elapsed)
}
