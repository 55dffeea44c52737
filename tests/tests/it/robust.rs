//! Load, faults and hostile clients against every TCP server.

use crate::file::{FileServer, MD5_EMPTY, begin_upload};
use crate::util::*;
use bench::load::load;
use common::log::Output;
use common::stop::Stop;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};
use tcp_basic::echo::Seed;

type Serve = Box<dyn FnOnce(&TcpListener, &Stop, &Output) + Send>;

/// Every TCP server, by name, with `idle` as its idle timeout.
fn servers(idle: Duration) -> Vec<(&'static str, Serve)> {
    let o = opts(idle);
    let (o1, o2, o3, o4, o5, o6) = (
        o.clone(),
        o.clone(),
        o.clone(),
        o.clone(),
        o.clone(),
        o.clone(),
    );
    vec![
        (
            "tcp-basic",
            Box::new(move |l, s, out| tcp_basic::server::run(l, &o1, s, out)),
        ),
        (
            "multithread",
            Box::new(move |l, s, out| multithread::server::run(l, &o2, Duration::ZERO, s, out)),
        ),
        (
            "threadpool",
            Box::new(move |l, s, out| threadpool_server::run(l, 10, &o3, Duration::ZERO, s, out)),
        ),
        (
            "event",
            Box::new(move |l, s, out| {
                threadpool_server::event::run(l, &o6, Duration::ZERO, s, out)
                    .expect("the event loop starts")
            }),
        ),
        (
            "echo",
            Box::new(move |l, s, out| tcp_basic::echo::run(l, Seed::S002Socketserver, &o4, s, out)),
        ),
        (
            "chat",
            Box::new(move |l, s, out| tcp_basic::chat::run(l, &o5, s, out)),
        ),
    ]
}

/// A normal exchange with server `name`, to show it still serves.
fn still_serves(name: &str, addr: SocketAddr) {
    match name {
        "echo" => {
            let out = Output::memory();
            tcp_basic::echo::client(addr, Seed::S002, lines("ok\nq\n"), WAIT, &out).unwrap();
            assert!(out.contents().contains("OK\n"));
        }
        "chat" => {
            let out = Output::memory();
            let o = out.clone();
            within("chat client", move || {
                tcp_basic::chat::client(addr, std::io::Cursor::new(b"ok\n".to_vec()), WAIT, &o)
                    .unwrap()
            });
            assert!(out.contents().contains("上一条信息状态: ACK"));
        }
        _ => multithread::client::sign_in(addr, 1, WAIT, &Output::discard()).unwrap(),
    }
}

fn reset(stream: TcpStream) {
    // SO_LINGER 0: close sends RST instead of FIN.
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

#[test]
fn hostile_clients_do_not_hurt_any_server() {
    // An idle limit of 2 s: a hostile client is sent at once, but a loaded
    // machine may pause between a connect and its first bytes.
    for (name, serve) in servers(Duration::from_secs(2)) {
        let running = Running::tcp(serve);
        let addr = running.addr;
        // Bytes that are not UTF-8.
        let mut s = connect(addr);
        s.write_all(b"\xff\xfe\x00\x1b[2J").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let _ = s.read_to_end(&mut Vec::new());
        // An oversized message.
        let mut s = connect(addr);
        let _ = s.write_all(&vec![b'x'; 200 * 1024]);
        let _ = s.shutdown(Shutdown::Write);
        let _ = s.read_to_end(&mut Vec::new());
        // Half-open: says nothing, closes its sending side, keeps reading.
        let mut s = connect(addr);
        s.shutdown(Shutdown::Write).unwrap();
        let _ = s.read_to_end(&mut Vec::new());
        // Resets, before and after sending.
        reset(connect(addr));
        let mut s = connect(addr);
        s.write_all("拔尖班1号签到".as_bytes()).unwrap();
        reset(s);
        // Silent: dropped after the idle timeout, while others are served.
        let silent = connect(addr);
        still_serves(name, addr);
        drop(silent);
        running.stop();
    }
    // The file server: the same, in file.rs (hostile headers and names),
    // plus a reset mid-upload here.
    let srv = FileServer::start(None, WAIT);
    let mut s = begin_upload(srv.addr, "r.bin", 1 << 20, MD5_EMPTY);
    s.write_all(&[0u8; 1000]).unwrap();
    reset(s);
    srv.assert_nothing_saved();
}

#[test]
fn two_thousand_sign_ins_at_concurrency_200_all_succeed() {
    for (name, serve) in servers(WAIT)
        .into_iter()
        .filter(|(n, _)| ["tcp-basic", "multithread", "threadpool", "event"].contains(n))
    {
        let running = Running::tcp(serve);
        let report = load(running.addr, 2000, 200, WAIT);
        assert_eq!(report.failed, 0, "{name}: {:?}", report.first_error);
        assert_eq!(report.ok, 2000, "{name}");
        running.stop();
    }
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux's prlimit")]
fn out_of_file_descriptors_is_logged_and_survived() {
    // A server that may open only 24 files (stdin, stdout, stderr, the
    // listener, and a few connections).
    let mut cmd = Command::new("prlimit");
    cmd.args(["--nofile=24:24", "--"])
        .arg(bin("multithread"))
        .args(["server", "--backlog", "64", "--port", "0"]);
    let server = Proc::spawn(cmd);
    let addr = server.listening_addr();
    // Far more idle clients than it can hold.
    survives_exhaustion(
        server,
        addr,
        40,
        "accept failed",
        "Too many open files",
        &|| true,
    );
}

/// Connects `idle` silent clients to `server`, which cannot hold them all,
/// and expects `logged` on its stderr, with `cause`. Once the clients hang
/// up, it must serve again: one sign-in gets through, then twenty in a
/// row, each once `settled` says the last one's resources are given back
/// (a loaded machine ends an answered connection's thread a moment after
/// its client has the answer). It never panics, and still stops cleanly
/// on SIGTERM.
fn survives_exhaustion(
    server: Proc,
    addr: SocketAddr,
    idle: usize,
    logged: &str,
    cause: &str,
    settled: &dyn Fn() -> bool,
) {
    let clients: Vec<TcpStream> = (0..idle).map(|_| connect(addr)).collect();
    let err = wait_for(logged, || {
        let e = server.stderr();
        e.contains(logged).then_some(e)
    })
    .unwrap_or_else(|| panic!("no {logged:?} logged: {}", server.stderr()));
    assert!(err.contains(cause), "{err}");
    drop(clients);
    wait_for("it to serve again", || {
        (load(addr, 1, 1, WAIT).ok == 1).then_some(())
    })
    .unwrap_or_else(|| panic!("it does not serve again: {}", server.stderr()));
    for _ in 0..20 {
        wait_for("its connections' resources to be given back", || {
            settled().then_some(())
        })
        .expect("the server's threads end");
        let report = load(addr, 1, 1, WAIT);
        assert_eq!(
            report.failed,
            0,
            "{:?}; stderr: {}",
            report.first_error,
            server.stderr()
        );
    }
    assert!(!server.stderr().contains("panicked"));
    server.terminate();
    let (status, _, _) = server.finish();
    assert!(status.success());
}

#[test]
#[cfg_attr(
    not(pids_cgroup),
    ignore = "needs a writable cgroup v1 pids controller (Linux, as root)"
)]
fn out_of_threads_is_logged_and_survived() {
    // Declared first, so dropped last: after the server has exited.
    let limit = grader::run::ThreadCap::new("max").expect("the build found a writable pids cgroup");
    let mut cmd = Command::new(bin("multithread"));
    cmd.args([
        "server",
        "--backlog",
        "64",
        "--port",
        "0",
        "--idle-timeout",
        "30",
    ]);
    let server = Proc::spawn(cmd);
    let addr = server.listening_addr();
    let pid = server.id();
    let threads = move || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
    };
    let own = threads().unwrap();
    // Room for three connection threads, no more.
    assert!(limit.set(&(own + 3).to_string()));
    limit.add(pid).unwrap();
    // Silent clients hold their threads until they hang up.
    survives_exhaustion(
        server,
        addr,
        10,
        "cannot start a thread",
        "Resource temporarily unavailable",
        &|| threads().is_some_and(|n| n <= own),
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends SIGTERM, which Windows has no safe way to send"
)]
fn ctrl_c_mid_upload_with_the_default_grace_removes_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("save");
    let (server, port) = rust_server(
        "file-transfer",
        &["server", "--dir", save.to_str().unwrap()],
    );
    let mut s = begin_upload(([127, 0, 0, 1], port).into(), "big.bin", 1 << 30, MD5_EMPTY);
    s.write_all(&vec![0u8; 1 << 20]).unwrap();
    wait_for("the temporary file", || {
        (std::fs::read_dir(&save).unwrap().count() == 1).then_some(())
    })
    .expect("a temporary file while receiving");
    let started = Instant::now();
    server.terminate();
    // The upload stalls (the client sends no more): after the default grace
    // of 3 s the server gives up on it, says why, and removes its file.
    let reply = common::frame::read_reply(&mut s).unwrap();
    assert!(!reply.ok);
    assert!(reply.message.contains("shutting down"), "{}", reply.message);
    let (status, _, err) = server.finish();
    assert!(status.success(), "{err}");
    let grace = common::cli::parse_secs(common::cli::GRACE_DEFAULT).unwrap();
    let limit = grace + Duration::from_secs(1) + SLACK;
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
    assert!(err.contains("stopped"), "{err}");
    assert_eq!(
        std::fs::read_dir(&save).unwrap().count(),
        0,
        "the temporary file is gone"
    );
}

/// A stop while the client keeps sending: the upload gets the grace period
/// (1 s here), then ends, and its temporary file is gone by the time the
/// server's `run` returns. A connection that is never idle never times
/// out, so it must check the stop itself; before it did, the server gave
/// up waiting for it and exited with the `.part` file left behind.
#[test]
fn a_stop_mid_upload_removes_the_temporary_file_while_bytes_keep_coming() {
    let mut srv = FileServer::start(None, WAIT);
    let mut s = begin_upload(srv.addr, "big.bin", 1 << 40, MD5_EMPTY);
    // A steady 6 MB/s: never a pause of POLL, never enough to fill a disk.
    let sender = std::thread::spawn(move || {
        let chunk = vec![0u8; 64 * 1024];
        let deadline = Instant::now() + 2 * WAIT;
        while Instant::now() < deadline {
            if s.write_all(&chunk).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    });
    wait_for("the temporary file", || {
        (srv.saved().len() == 1).then_some(())
    })
    .expect("a temporary file while receiving");
    srv.stop();
    assert_eq!(
        srv.saved(),
        Vec::<String>::new(),
        "the temporary file is gone"
    );
    assert!(sender.join().unwrap(), "the server closed the upload");
}

#[test]
fn the_file_server_removes_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("save");
    std::fs::create_dir(&save).unwrap();
    std::fs::write(save.join(".part-AbC123"), b"half").unwrap();
    std::fs::write(save.join("kept.txt"), b"kept").unwrap();
    let (server, _port) = rust_server(
        "file-transfer",
        &["server", "--dir", save.to_str().unwrap()],
    );
    assert!(
        server.stderr().contains("removed 1 unfinished upload(s)"),
        "{}",
        server.stderr()
    );
    assert!(!save.join(".part-AbC123").exists());
    assert!(save.join("kept.txt").exists());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends SIGTERM, which Windows has no safe way to send"
)]
fn connections_in_flight_finish_within_the_grace_period() {
    let (server, port) = rust_server(
        "multithread",
        &["server", "--grace", "5", "--work-ms", "500"],
    );
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let client =
        std::thread::spawn(move || multithread::client::sign_in(addr, 1, WAIT, &Output::discard()));
    server.wait_stdout("the sign-in to arrive", |s| s.contains("拔尖班1号签到"));
    server.terminate();
    // The sign-in in flight is still answered.
    client.join().unwrap().unwrap();
    let (status, _, _) = server.finish();
    assert!(status.success());
}

#[test]
fn udp_servers_survive_odd_datagrams() {
    use udp_basic::echo::Seed;
    // The printing server and each echo server: bytes that are not UTF-8,
    // an empty datagram and the largest one, then a normal exchange.
    for seed in [None, Some(Seed::S001), Some(Seed::S002), Some(Seed::S004)] {
        let running = Running::udp(move |socket, s, o| match seed {
            None => udp_basic::server::run(&socket, 1024, s, o),
            Some(seed) => udp_basic::echo::run(socket, seed, s, o),
        });
        let client = udp();
        for datagram in [
            &b"\xff\xfe\x1b[2J"[..],
            b"",
            &vec![b'x'; udp_basic::server::MAX_DATAGRAM],
        ] {
            client.send_to(datagram, running.addr).unwrap();
        }
        client.send_to(b"last", running.addr).unwrap();
        wait_output(&running.out, "the last datagram", |s| {
            s.contains("last") || s.contains("LAST")
        });
        if seed.is_some() {
            // Every datagram is answered (the big one cut to 1024 bytes).
            let mut buf = vec![0u8; 70_000];
            for _ in 0..4 {
                client
                    .recv_from(&mut buf)
                    .expect("every datagram is answered");
            }
        }
        let out = running.stop();
        assert!(
            out.contains('\u{fffd}') || out.contains("\\xff"),
            "{seed:?}: {out}"
        );
    }
}
