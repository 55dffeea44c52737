//! The tour: every exercise of the lab run end to end in this one process,
//! on loopback with ephemeral ports, each exchange printed under a heading.
//! The quickest proof that everything works.
//!
//! Run it with `cargo run` at the workspace root (or `cargo run -p tests`);
//! `cargo run -- udp` runs one stop, `cargo run -- --help` lists them. It
//! exits 0 when every exchange worked.

use anyhow::{Context, Result, ensure};
use clap::Parser;
use common::cli::ServerOpts;
use common::log::Output;
use common::stop::Stop;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The tour of socket-lab: every exercise end to end on loopback, in one process
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Run only these stops (tcp, udp, multithread, threadpool, upload, download); all when none
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(STOPS.map(|s| s.0)))]
    stops: Vec<String>,
}

/// One stop of the tour: its name, its heading and what it runs.
type Leg = (&'static str, &'static str, fn() -> Result<()>);

const STOPS: [Leg; 6] = [
    ("tcp", "2.1 TCP: tcp_server.py / tcp_client.py", tcp),
    ("udp", "2.2 UDP: udp_server.py / udp_client.py", udp),
    (
        "multithread",
        "2.4 (1) thread per connection: multithread_server.py / multithread_client.py",
        multithread,
    ),
    (
        "threadpool",
        "2.4 (2) thread pool: threadpool_server.py",
        threadpool,
    ),
    (
        "upload",
        "2.5 file upload: file_server.py / file_client.py (framed md5 header)",
        upload,
    ),
    (
        "download",
        "seed 003 file download (framed md5 header)",
        download,
    ),
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::stdout();
    let chosen: Vec<&Leg> = STOPS
        .iter()
        .filter(|(name, ..)| cli.stops.is_empty() || cli.stops.iter().any(|s| s == name))
        .collect();
    let mut failed = 0;
    for (_, title, stop) in &chosen {
        out.line(format!("\n=== {title} ==="));
        match stop() {
            Ok(()) => {}
            Err(e) => {
                out.line(format!("FAILED: {e:#}"));
                failed += 1;
            }
        }
    }
    out.line("");
    if failed == 0 {
        out.line(format!("all {} exercises worked", chosen.len()));
        ExitCode::SUCCESS
    } else {
        out.line(format!("{failed} of {} exercises failed", chosen.len()));
        ExitCode::FAILURE
    }
}

fn opts() -> ServerOpts {
    ServerOpts::for_tests(TIMEOUT)
}

fn show(side: &str, out: &Output) {
    let stdout = Output::stdout();
    for line in out.contents().lines() {
        stdout.line(format!("  {side} | {line}"));
    }
}

/// Runs `server` on a fresh loopback listener while `client` talks to it,
/// then stops the server and prints both sides.
fn exchange(
    server: impl FnOnce(&TcpListener, &Stop, &Output) + Send + 'static,
    client: impl FnOnce(SocketAddr, &Output) -> Result<()>,
) -> Result<(Output, Output)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let stop = Stop::new(Duration::from_secs(1));
    let (server_out, client_out) = (Output::memory(), Output::memory());
    let (s, o) = (stop.clone(), server_out.clone());
    let handle = thread::spawn(move || server(&listener, &s, &o));
    let result = client(addr, &client_out);
    // Let the last connection finish before stopping the server.
    wait(|| stop.live() == 0);
    stop.trigger();
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))?;
    show("server", &server_out);
    show("client", &client_out);
    result?;
    Ok((server_out, client_out))
}

/// Waits (at most 5 s) for `done`.
fn wait(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
}

fn tcp() -> Result<()> {
    let (server, client) = exchange(
        |l, s, o| tcp_basic::server::run(l, &opts(), s, o),
        |addr, out| Ok(tcp_basic::client::run(addr, TIMEOUT, out)?),
    )?;
    ensure!(
        server.contents().contains(tcp_basic::client::REQUEST),
        "the server did not get the request"
    );
    ensure!(
        client.contents().contains(tcp_basic::server::REPLY),
        "the client did not get the reply"
    );
    Ok(())
}

fn udp() -> Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    let stop = Stop::new(Duration::ZERO);
    let (server_out, client_out) = (Output::memory(), Output::memory());
    let (s, o) = (stop.clone(), server_out.clone());
    let handle = thread::spawn(move || udp_basic::server::run(&socket, 1024, &s, &o));
    let input = "hi,zlz\n你好，UDP\nexit\n";
    udp_basic::client::run(addr, input.as_bytes(), &client_out)?;
    wait(|| server_out.contents().lines().count() == 2);
    stop.trigger();
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))?;
    Output::stdout().line("  client | (typed) hi,zlz / 你好，UDP / exit");
    show("client", &client_out);
    show("server", &server_out);
    ensure!(
        server_out.contents() == "hi,zlz\n你好，UDP\n",
        "the server did not print both datagrams"
    );
    Ok(())
}

fn signin(server: impl FnOnce(&TcpListener, &Stop, &Output) + Send + 'static) -> Result<()> {
    let (_, client) = exchange(server, |addr, out| {
        let failed = multithread::client::run(addr, 5, TIMEOUT, out);
        ensure!(failed == 0, "{failed} sign-ins failed");
        Ok(())
    })?;
    ensure!(
        client.contents().matches("你已签到").count() == 5,
        "not every client signed in"
    );
    Ok(())
}

fn multithread() -> Result<()> {
    Output::stdout().line("  (5 clients instead of 20, to keep the tour short)");
    signin(|l, s, o| multithread::server::run(l, &opts(), Duration::ZERO, s, o))
}

fn threadpool() -> Result<()> {
    Output::stdout().line("  (5 clients, a pool of 2 workers)");
    signin(|l, s, o| threadpool_server::run(l, 2, &opts(), Duration::ZERO, s, o))
}

fn file_server(
    dir: std::path::PathBuf,
) -> impl FnOnce(&TcpListener, &Stop, &Output) + Send + 'static {
    move |l, s, o| {
        let cfg = file_transfer::server::Config {
            dir,
            max_size: None,
            overwrite: false,
            sync: false,
        };
        file_transfer::server::run(l, &cfg, &opts(), s, o)
    }
}

fn client_config(addr: SocketAddr) -> file_transfer::client::Config {
    file_transfer::client::Config {
        server: addr,
        legacy: false,
        timeout: TIMEOUT,
    }
}

fn upload() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let save = tmp.path().join("file_save");
    std::fs::create_dir(&save)?;
    let path = tmp.path().join("实验报告.txt");
    std::fs::write(&path, "网络基础编程实验\n".repeat(200))?;
    exchange(file_server(save.clone()), |addr, out| {
        Ok(file_transfer::client::upload(
            &client_config(addr),
            &path,
            out,
        )?)
    })?;
    let saved = std::fs::read(save.join("实验报告.txt")).context("the uploaded file is missing")?;
    ensure!(saved == std::fs::read(&path)?, "the uploaded file differs");
    Ok(())
}

fn download() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let save = tmp.path().join("file_save");
    std::fs::create_dir(&save)?;
    std::fs::write(save.join("课件.txt"), "socket 套接字\n".repeat(100))?;
    let target = tmp.path().join("新课件.txt");
    let t = target.clone();
    exchange(file_server(save.clone()), move |addr, out| {
        file_transfer::client::download(&client_config(addr), "课件.txt", Some(&t), false, out)?;
        Ok(())
    })?;
    ensure!(
        std::fs::read(&target)? == std::fs::read(save.join("课件.txt"))?,
        "the download differs"
    );
    Ok(())
}
