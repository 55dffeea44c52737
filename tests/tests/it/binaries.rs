//! The binaries as a user runs them: --help everywhere, one-line errors,
//! exit codes, a closed stdout, and a clean stop on SIGTERM, idle clients
//! or not.

use crate::util::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COMMANDS: [(&str, &[&str]); 5] = [
    (
        "tcp-basic",
        &[
            "server",
            "client",
            "echo-server",
            "echo-client",
            "chat-server",
            "chat-client",
        ],
    ),
    (
        "udp-basic",
        &["server", "client", "echo-server", "echo-client"],
    ),
    ("multithread", &["server", "client"]),
    ("threadpool-server", &["server", "event-server", "client"]),
    ("file-transfer", &["server", "client", "download-server"]),
];

#[test]
fn every_command_has_help() {
    for (name, subs) in COMMANDS {
        let out = Command::new(bin(name)).arg("--help").output().unwrap();
        assert!(out.status.success(), "{name} --help");
        for sub in subs {
            let out = Command::new(bin(name))
                .args([sub, "--help"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{name} {sub} --help");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("--port") && text.contains("--host"),
                "{name} {sub}: {text}"
            );
        }
    }
    let tour = Command::new(bin("tour")).arg("--help").output().unwrap();
    assert!(tour.status.success());
    assert!(String::from_utf8_lossy(&tour.stdout).contains("udp"));
}

#[test]
fn cargo_run_at_the_root_runs_the_tour() {
    // README's first command. The tests package has two binaries (tour and
    // grade); without `default-run`, `cargo run` refuses to choose.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--", "--help"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("tour"));
}

#[test]
fn every_command_defaults_to_its_originals_port() {
    for (name, sub, port) in [
        ("tcp-basic", "server", "9999"),
        ("tcp-basic", "client", "9999"),
        ("tcp-basic", "echo-server", "the seed's port"),
        ("tcp-basic", "echo-client", "the seed's port"),
        ("tcp-basic", "chat-server", "6666"),
        ("tcp-basic", "chat-client", "6666"),
        ("udp-basic", "server", "9999"),
        ("udp-basic", "client", "9999"),
        ("udp-basic", "echo-server", "the seed's port"),
        ("udp-basic", "echo-client", "the seed's port"),
        ("multithread", "server", "9998"),
        ("multithread", "client", "9998"),
        ("threadpool-server", "server", "9997"),
        ("threadpool-server", "event-server", "9997"),
        ("threadpool-server", "client", "9997"),
        ("file-transfer", "server", "9996"),
        ("file-transfer", "client", "9996; 8081 with --seed 003"),
        ("file-transfer", "download-server", "8081"),
    ] {
        let out = Command::new(bin(name))
            .args([sub, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        // The default may wrap onto a line of its own.
        let at = help
            .find("--port <PORT>")
            .unwrap_or_else(|| panic!("{name} {sub}: no --port"));
        let after = &help[at..];
        let shown = after
            .find("[default: ")
            .and_then(|i| after[i + 10..].split(']').next());
        assert_eq!(shown, Some(port), "{name} {sub}: {after}");
    }
}

fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "{err}"
    );
}

#[test]
fn no_server_is_a_one_line_error_naming_the_address() {
    let closed = closed_port();
    let port = closed.port.to_string();
    for (name, args) in [
        ("tcp-basic", vec!["client"]),
        ("tcp-basic", vec!["echo-client"]),
        ("multithread", vec!["client", "--clients", "2"]),
        ("threadpool-server", vec!["client", "--clients", "2"]),
    ] {
        let out = Command::new(bin(name))
            .args(&args)
            .args(["--port", &port])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    let out = Command::new(bin("tcp-basic"))
        .args(["client", "--port", &port])
        .output()
        .unwrap();
    assert_one_line_error(&out, &format!("cannot connect to 127.0.0.1:{port}"));
    // file_client.py's own words, then its goodbye.
    let out = Command::new(bin("file-transfer"))
        .args(["client", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_one_line_error(&out, &format!("cannot connect to 127.0.0.1:{port}"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "无法连接到服务器，请检查服务器是否运行！\n客户端已退出\n"
    );
}

#[test]
fn a_port_in_use_is_a_one_line_error() {
    let taken = listener();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    for (name, _) in COMMANDS {
        if name == "udp-basic" {
            continue; // a UDP port is another port: it may well be free
        }
        let mut cmd = Command::new(bin(name));
        cmd.args(["server", "--port", &port]);
        if name == "file-transfer" {
            cmd.args(["--dir", dir.path().to_str().unwrap()]);
        }
        let out = within("the server to fail", move || cmd.output().unwrap());
        assert_one_line_error(&out, &format!("cannot listen on 127.0.0.1:{port}"));
    }
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    let (server, port) = rust_server("multithread", &["server", "--backlog", "128"]);
    let mut child = Command::new(bin("multithread"))
        .args(["client", "--clients", "50", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read nothing: close the pipe at once, as `| head -0` would.
    drop(child.stdout.take());
    let status = grader::run::wait_child(&mut child, WAIT).expect("client exits");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.code().is_some(), "ended by a signal: {status:?}");
    drop(server);
}

/// Every server binary, with what it needs to start.
fn servers(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>, bool)> {
    let save = dir.join("save").to_string_lossy().into_owned();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        ("tcp-basic", s(&["server"]), true),
        ("tcp-basic", s(&["echo-server"]), true),
        (
            "tcp-basic",
            s(&["echo-server", "--seed", "003-threads"]),
            true,
        ),
        ("tcp-basic", s(&["chat-server"]), true),
        ("udp-basic", s(&["server"]), false),
        ("udp-basic", s(&["echo-server"]), false),
        ("multithread", s(&["server"]), true),
        ("threadpool-server", s(&["server"]), true),
        ("threadpool-server", s(&["event-server"]), true),
        (
            "file-transfer",
            vec!["server".into(), "--dir".into(), save.clone()],
            true,
        ),
        (
            "file-transfer",
            vec!["download-server".into(), "--dir".into(), save],
            true,
        ),
    ]
}

/// Starts each server with `extra` arguments (the UDP ones only when
/// `udp`), connects an idle client to each TCP one, sends SIGTERM, and
/// expects a clean exit within `--grace` (here 1 s) + 1 s, plus [`SLACK`]
/// for a loaded machine. Whether the server has accepted the idle client
/// yet or not, it must stop in time: one that waited for the idle client
/// would take the 30 s idle limit.
fn every_server_stops_in_time(extra: &[&str], udp: bool) {
    let grace = Duration::from_secs(1);
    let limit = grace + Duration::from_secs(1) + SLACK;
    let dir = tempfile::tempdir().unwrap();
    for (name, args, tcp) in servers(dir.path()) {
        if !tcp && !udp {
            continue;
        }
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if tcp {
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--grace", "1"]); // `grace`
        }
        let (proc, port) = rust_server(name, &args);
        let idle = tcp.then(|| connect(([127, 0, 0, 1], port).into()));
        let started = Instant::now();
        proc.terminate();
        let (status, _out, err) = proc.finish();
        let took = started.elapsed();
        assert!(status.success(), "{name} {args:?}: {status:?} {err}");
        assert!(took < limit, "{name} {args:?} took {took:?}: {err}");
        assert!(err.contains("stopped"), "{name} {args:?}: {err}");
        drop(idle);
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends SIGTERM, which Windows has no safe way to send"
)]
fn every_server_stops_within_grace_with_an_idle_client() {
    every_server_stops_in_time(&[], true);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends SIGTERM, which Windows has no safe way to send"
)]
fn idle_timeout_0_does_not_keep_a_server_from_stopping() {
    every_server_stops_in_time(&["--idle-timeout", "0"], false);
}

/// Seed 001's serverUDP closes its socket and prints `server is shutting
/// down !` when it stops: the Rust twin prints it last, on SIGTERM as on
/// Ctrl-C.
#[test]
#[cfg_attr(
    windows,
    ignore = "sends SIGTERM, which Windows has no safe way to send"
)]
fn seed_001_udp_server_says_it_is_shutting_down_last() {
    let (proc, _port) = rust_server("udp-basic", &["echo-server", "--seed", "001"]);
    proc.wait_stdout("the listening line", |s| s.contains("UDP Server正在监听"));
    proc.terminate();
    let (status, out, err) = proc.finish();
    assert!(status.success(), "{err}");
    assert_eq!(
        out.lines().last(),
        Some("server is shutting down !"),
        "{out}"
    );
}

/// A write to stdout that fails for another reason than a closed pipe (a
/// full disk) is an error: one line on stderr, exit status 1.
#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "needs Linux's /dev/full")]
fn a_full_stdout_is_an_error() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(bin("udp-basic"))
        .args(["client", "--port", "9"])
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write to stdout"), "{err}");
}

/// `--trace` shows each socket call with its bytes on stderr, on both
/// sides, and leaves stdout as the original prints it.
#[test]
fn trace_shows_each_socket_call_with_its_bytes_and_leaves_stdout_alone() {
    let (server, port) = rust_server("tcp-basic", &["server", "--trace"]);
    let client = Command::new(bin("tcp-basic"))
        .args(["client", "--trace", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert!(client.status.success(), "{client:?}");
    assert_eq!(
        String::from_utf8_lossy(&client.stdout),
        "不要回答,不要回答,不要回答\n"
    );
    let said = String::from_utf8_lossy(&client.stderr);
    for (call, bytes) in [
        ("connect", ""),
        ("send", "18 bytes \"请求占领地球\""),
        ("recv", "38 bytes \"不要回答,不要回答,不要回答\""),
        ("close", ""),
    ] {
        assert!(
            said.lines().any(|l| l.starts_with("trace ")
                && l.contains(&format!(" {call} 127.0.0.1:{port}"))
                && l.contains(bytes)),
            "no {call} {bytes} in {said}"
        );
    }
    server.wait_stdout("the server to print the request", |o| {
        o.contains("请求占领地球")
    });
    server.terminate();
    let (_, out, err) = server.finish();
    assert_eq!(out, "server waiting...\n请求占领地球\nserver waiting...\n");
    for call in ["accept", "recv", "sendall", "close"] {
        assert!(
            err.contains(&format!(" {call} 127.0.0.1:")),
            "no {call} in {err}"
        );
    }
    assert!(err.contains(": 18 bytes \"请求占领地球\""), "{err}");
}
