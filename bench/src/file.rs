//! `bench file`: the speed targets of the file transfer, measured side by
//! side in one run on this machine (BENCHMARKS.md records the results and
//! the command).
//!
//! * an md5-checked upload of a large file against `md5sum` run twice on it
//!   (the floor: the sender hashes before the header, the receiver hashes
//!   again), and against twice what the md-5 crate itself takes to hash
//!   the file in memory;
//! * a `--legacy` upload (no md5) against `nc -l > file` fed by
//!   `nc -N < file`, the same bytes onto the same disk;
//! * with `--python DIR`, the Python originals (`file_client.py` to
//!   `file_server.py`) against the Rust pair, same protocol (`name|size`).
//!
//! Everything runs on loopback; each figure is the median of `--runs`,
//! taken in interleaved rounds. The test files live in one temporary
//! folder, removed at the end and on Ctrl-C or SIGTERM.

use crate::{ratio, time_command};
use anyhow::{Context, Result, ensure};
use common::log::Output;
use common::stop::Stop;
use file_transfer::client::{self, Config as ClientConfig};
use file_transfer::server::{self, Config as ServerConfig};
use md5::{Digest, Md5};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(clap::Args, Debug, Clone)]
pub struct FileArgs {
    /// Size of the big file, in MiB
    #[arg(long, default_value_t = 1024)]
    pub size_mib: u64,
    /// Size of the file for the comparison with the Python originals, in MiB
    #[arg(long, default_value_t = 256)]
    pub python_size_mib: u64,
    /// Runs of each measurement (the median is reported)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Folder of the Python originals (file_server.py, file_client.py), to measure them too
    #[arg(long, value_name = "DIR")]
    pub python: Option<PathBuf>,
    /// Where to put the test files [default: the system's temporary folder]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const MIB: u64 = 1 << 20;

pub fn run(args: &FileArgs, out: &Output) -> Result<()> {
    let tmp = match &args.dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    crate::remove_on_signal(tmp.path());
    let work = tmp.path();
    let big = work.join("big.bin");
    let bytes = args.size_mib * MIB;
    make_file(&big, bytes)?;
    let small = work.join("small.bin");
    let small_bytes = args.python_size_mib * MIB;
    if args.python.is_some() {
        make_file(&small, small_bytes)?;
    }
    let nc = Command::new("nc").arg("-h").output().is_ok();
    if !nc {
        common::diag!("no nc here (Debian: netcat-openbsd): its row is left out");
    }
    let mut rows = vec![
        Row::new("md5sum, twice", bytes, || {
            let once = || time_command(Command::new("md5sum").arg(&big));
            Ok(once()? + once()?)
        }),
        Row::new("md-5 crate on the file in memory, twice", bytes, || {
            let data = std::fs::read(&big)?;
            let once = || {
                let started = Instant::now();
                std::hint::black_box(Md5::digest(&data));
                started.elapsed()
            };
            Ok(once() + once())
        }),
        Row::new("upload with md5 (framed)", bytes, || {
            upload(&big, work, false)
        }),
        Row::new("upload --legacy (no md5)", bytes, || {
            upload(&big, work, true)
        }),
    ];
    if nc {
        rows.push(Row::new("nc -N < file into nc -l > file", bytes, || {
            netcat(&big, work)
        }));
    }
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
    // warm-up and is not counted.
    for round in 0..=args.runs {
        for row in &mut rows {
            let took = (row.measure)().with_context(|| format!("measuring {}", row.name))?;
            if round > 0 {
                row.times.push(took);
            }
        }
        common::diag!("round {round} of {} done", args.runs);
    }

    out.line(format!(
        "bench file: {} MiB file, median of {} interleaved runs after a warm-up round, {} cores",
        args.size_mib,
        args.runs,
        thread::available_parallelism().map_or(0, |n| n.get())
    ));
    out.line("");
    out.line("| measurement | median | throughput | all runs (s) |");
    out.line("|---|---|---|---|");
    for row in &rows {
        let all: Vec<String> = row
            .times
            .iter()
            .map(|t| format!("{:.2}", t.as_secs_f64()))
            .collect();
        let median = row.median();
        out.line(format!(
            "| {} | {:.3} s | {:.0} MiB/s | {} |",
            row.name,
            median.as_secs_f64(),
            row.bytes as f64 / MIB as f64 / median.as_secs_f64(),
            all.join(" ")
        ));
    }
    let median = |name: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(name))
            .map(Row::median)
    };
    out.line("");
    let line = |text: String| out.line(text);
    if let (Some(up), Some(md5sum), Some(crate_twice)) = (
        median("upload with md5"),
        median("md5sum"),
        median("md-5 crate"),
    ) {
        line(format!(
            "upload with md5 / md5sum twice = {:.2} (target ≤ 1.3)",
            ratio(up, md5sum)
        ));
        line(format!(
            "upload with md5 / the md-5 crate twice in memory = {:.2} (target ≤ 1.15)",
            ratio(up, crate_twice)
        ));
    }
    if let (Some(legacy), Some(nc)) = (median("upload --legacy"), median("nc ")) {
        line(format!(
            "upload --legacy / nc into nc = {:.2} (target ≤ 1)",
            ratio(legacy, nc)
        ));
    }
    if let (Some(py), Some(rust)) = (median("Python originals"), median("Rust --legacy")) {
        line(format!(
            "Rust / Python throughput at {} MiB = {:.1}× (target ≥ 5)",
            args.python_size_mib,
            ratio(py, rust)
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

    /// `times` is never empty here: `--runs` is at least 1.
    fn median(&self) -> Duration {
        let mut times = self.times.clone();
        times.sort();
        times[times.len() / 2]
    }
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

/// One upload of `path` through the Rust client and server, end to end:
/// from the client's first read of the file to the server's final reply.
fn upload(path: &Path, work: &Path, legacy: bool) -> Result<Duration> {
    let save = tempfile::tempdir_in(work)?;
    upload_into(path, save.path(), legacy, Duration::from_secs(60))
}

/// One upload of `path` through the Rust client and server into the folder
/// `save`, timed as [`upload`] times it. Either side gives up after
/// `patience` without a byte from the other.
pub(crate) fn upload_into(
    path: &Path,
    save: &Path,
    legacy: bool,
    patience: Duration,
) -> Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let stop = Stop::new(Duration::from_secs(1));
    let cfg = ServerConfig {
        dir: save.to_path_buf(),
        max_size: None,
        overwrite: false,
        sync: false,
    };
    let opts = common::cli::ServerOpts::for_tests(patience);
    let s = stop.clone();
    let server = thread::spawn(move || server::run(&listener, &cfg, &opts, &s, &Output::discard()));
    let client_cfg = ClientConfig {
        server: addr,
        legacy,
        timeout: patience,
    };
    let started = Instant::now();
    let result = client::upload(&client_cfg, path, &Output::discard());
    let elapsed = started.elapsed();
    stop.trigger();
    let _ = server.join();
    result?;
    Ok(elapsed)
}

/// `nc -l 127.0.0.1 PORT > copy` fed by `nc -N 127.0.0.1 PORT < file`,
/// timed from the sender's start to the receiver's exit.
fn netcat(file: &Path, work: &Path) -> Result<Duration> {
    let dir = tempfile::tempdir_in(work)?;
    let port = grader::ports::free_port();
    let copy = std::fs::File::create(dir.path().join("copy.bin"))?;
    let mut receiver = Command::new("nc")
        .args(["-l", "127.0.0.1", &port.to_string()])
        .stdout(copy)
        .stdin(Stdio::null())
        .spawn()
        .context("cannot start nc -l")?;
    let ready = grader::ports::wait_bound(port, false, Duration::from_secs(10), || {
        matches!(receiver.try_wait(), Ok(None))
    });
    ensure!(ready, "nc -l did not listen on port {port}");
    let started = Instant::now();
    let sent = Command::new("nc")
        .args(["-N", "127.0.0.1", &port.to_string()])
        .stdin(std::fs::File::open(file)?)
        .status()?;
    let received = receiver.wait()?;
    let elapsed = started.elapsed();
    ensure!(sent.success() && received.success(), "nc failed");
    let got = std::fs::metadata(dir.path().join("copy.bin"))?.len();
    ensure!(
        got == std::fs::metadata(file)?.len(),
        "nc moved {got} bytes"
    );
    Ok(elapsed)
}

/// `file_client.py` uploading to `file_server.py`, timed until the client
/// exits (after the server has closed the connection). Their per-KiB
/// progress lines go to /dev/null.
fn python_upload(originals: &Path, file: &Path, work: &Path) -> Result<Duration> {
    let dir = tempfile::tempdir_in(work)?;
    let port = grader::ports::free_port();
    let save = dir.path().join("save");
    let rewrite = grader::python::Rewrite {
        port,
        base_path: Some(&save),
        backlog: None,
    };
    for script in ["file_server.py", "file_client.py"] {
        let text = std::fs::read_to_string(originals.join(script))
            .with_context(|| format!("cannot read {script} in {}", originals.display()))?;
        std::fs::write(
            dir.path().join(script),
            grader::python::rewrite(&text, &rewrite),
        )?;
    }
    let server = crate::spawn_python(&dir.path().join("file_server.py"), dir.path(), port)?;
    let started = Instant::now();
    let mut client = grader::python::python()
        .context("no Python 3 found (python3, python or py -3)")?
        .arg(dir.path().join("file_client.py"))
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(client.stdin.take().context("stdin")?, "{}", file.display())?;
    let status = client.wait()?;
    let elapsed = started.elapsed();
    crate::stop(server);
    ensure!(status.success(), "file_client.py failed");
    let saved = std::fs::metadata(save.join(file.file_name().context("file name")?))?.len();
    ensure!(
        saved == std::fs::metadata(file)?.len(),
        "file_server.py saved {saved} bytes"
    );
    Ok(elapsed)
}
