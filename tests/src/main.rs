//! The tour: every exercise of the lab run end to end in this one process,
//! on loopback with ephemeral ports, each exchange printed under a heading.
//! The quickest proof that everything works.
//!
//! Run it with `cargo run` at the workspace root (or `cargo run -p tests`).
//! It exits 0 when every exchange worked.

use anyhow::{Context, Result, ensure};
use common::cli::ServerOpts;
use common::log::Output;
use common::net::bind_tcp;
use common::server::Shutdown;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(10));

/// One stop of the tour: its heading and what it runs.
type Stop = (&'static str, fn() -> Result<()>);

fn main() -> ExitCode {
    let stops: [Stop; 6] = [
        ("2.1 TCP: tcp_server.py / tcp_client.py", tcp),
        ("2.2 UDP: udp_server.py / udp_client.py", udp),
        (
            "2.4 (1) thread per connection: multithread_server.py / multithread_client.py",
            multithread,
        ),
        ("2.4 (2) thread pool: threadpool_server.py", threadpool),
        (
            "2.5 file upload: file_server.py / file_client.py (framed md5 header)",
            upload,
        ),
        ("seed 003 file download (framed md5 header)", download),
    ];
    let mut failed = 0;
    for (title, stop) in stops {
        say(format!("\n=== {title} ==="));
        if let Err(e) = stop() {
            say(format!("FAILED: {e:#}"));
            failed += 1;
        }
    }
    say("");
    let code = if failed == 0 {
        say(format!("all {} exercises worked", stops.len()));
        ExitCode::SUCCESS
    } else {
        say(format!("{failed} of {} exercises failed", stops.len()));
        ExitCode::FAILURE
    };
    common::log::flush_stdout();
    code
}

/// Prints one line of the tour through the same stdout handling as the
/// exercises: a closed pipe (`| head`) ends the tour quietly.
fn say(line: impl AsRef<str>) {
    static OUT: std::sync::OnceLock<Output> = std::sync::OnceLock::new();
    OUT.get_or_init(Output::stdout).line(line);
}

fn opts() -> ServerOpts {
    ServerOpts {
        backlog: 128,
        idle_timeout: Duration::from_secs(10),
        grace: Duration::from_secs(1),
    }
}

fn show(side: &str, out: &Output) {
    for line in out.contents().lines() {
        say(format!("  {side} | {line}"));
    }
}

/// Runs `server` on a fresh loopback listener while `client` talks to it,
/// then stops the server and prints both sides.
fn exchange(
    server: impl FnOnce(&TcpListener, &Shutdown, &Output) + Send + 'static,
    client: impl FnOnce(SocketAddr, &Output) -> Result<()>,
) -> Result<(Output, Output)> {
    let listener = bind_tcp("127.0.0.1:0".parse()?, 128)?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    let (server_out, client_out) = (Output::memory(), Output::memory());
    let (s, o) = (shutdown.clone(), server_out.clone());
    let handle = thread::spawn(move || server(&listener, &s, &o));
    let result = client(addr, &client_out);
    // Let the last connection finish before stopping the server.
    wait(|| shutdown.open_connections() == 0);
    shutdown.trigger();
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))?;
    show("server", &server_out);
    show("client", &client_out);
    result?;
    Ok((server_out, client_out))
}

fn wait(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn tcp() -> Result<()> {
    let (server, client) = exchange(
        |l, s, o| tcp_basic::basic::run(l, &opts(), s, o),
        |addr, out| Ok(tcp_basic::basic::client(addr, TIMEOUT, out)?),
    )?;
    ensure!(
        server.contents().contains(tcp_basic::basic::REQUEST),
        "the server did not get the request"
    );
    ensure!(
        client.contents().contains(tcp_basic::basic::REPLY),
        "the client did not get the reply"
    );
    Ok(())
}

fn udp() -> Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let addr = socket.local_addr()?;
    let shutdown = Shutdown::new();
    let (server_out, client_out) = (Output::memory(), Output::memory());
    let (s, o) = (shutdown.clone(), server_out.clone());
    let handle = thread::spawn(move || udp_basic::basic::run(&socket, &s, &o));
    let input = "hi,zlz\n你好，UDP\nexit\n";
    udp_basic::basic::client(addr, input.as_bytes(), &client_out)?;
    wait(|| server_out.contents().lines().count() == 2);
    shutdown.trigger();
    handle
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))?;
    say("  client | (typed) hi,zlz / 你好，UDP / exit");
    show("client", &client_out);
    show("server", &server_out);
    ensure!(
        server_out.contents() == "hi,zlz\n你好，UDP\n",
        "the server did not print both datagrams"
    );
    Ok(())
}

fn signin(server: impl FnOnce(&TcpListener, &Shutdown, &Output) + Send + 'static) -> Result<()> {
    let (_, client) = exchange(server, |addr, out| {
        let failed = multithread::client(addr, 5, TIMEOUT, out);
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
    say("  (5 clients instead of 20, to keep the tour short)");
    signin(|l, s, o| multithread::run(l, &opts(), Duration::ZERO, s, o))
}

fn threadpool() -> Result<()> {
    say("  (5 clients, a pool of 2 workers)");
    signin(|l, s, o| threadpool_server::run(l, 2, &opts(), Duration::ZERO, s, o))
}

fn file_server(
    dir: std::path::PathBuf,
) -> impl FnOnce(&TcpListener, &Shutdown, &Output) + Send + 'static {
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

fn upload() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let save = tmp.path().join("file_save");
    std::fs::create_dir(&save)?;
    let path = tmp.path().join("实验报告.txt");
    std::fs::write(&path, "网络基础编程实验\n".repeat(200))?;
    exchange(file_server(save.clone()), |addr, out| {
        let cfg = file_transfer::client::Config {
            server: addr,
            legacy: false,
            timeout: TIMEOUT,
        };
        Ok(file_transfer::client::upload(&cfg, &path, out)?)
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
        let cfg = file_transfer::client::Config {
            server: addr,
            legacy: false,
            timeout: TIMEOUT,
        };
        file_transfer::client::download(&cfg, "课件.txt", Some(&t), false, out)?;
        Ok(())
    })?;
    ensure!(
        std::fs::read(&target)? == std::fs::read(save.join("课件.txt"))?,
        "the download differs"
    );
    Ok(())
}
