//! The binaries as a user runs them: --help everywhere, one-line errors,
//! exit codes, a closed stdout, and a clean stop on SIGTERM.

use crate::transcript::rust_server;
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
    ("threadpool-server", &["server", "client"]),
    ("file-transfer", &["server", "client"]),
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
}

#[test]
fn every_command_defaults_to_its_originals_port() {
    for (name, sub, port) in [
        ("tcp-basic", "server", 9999),
        ("tcp-basic", "client", 9999),
        ("tcp-basic", "echo-server", 5002),
        ("tcp-basic", "echo-client", 5002),
        ("tcp-basic", "chat-server", 6666),
        ("tcp-basic", "chat-client", 6666),
        ("udp-basic", "server", 9999),
        ("udp-basic", "client", 9999),
        ("udp-basic", "echo-server", 6666),
        ("udp-basic", "echo-client", 6666),
        ("multithread", "server", 9998),
        ("multithread", "client", 9998),
        ("threadpool-server", "server", 9997),
        ("threadpool-server", "client", 9997),
        ("file-transfer", "server", 9996),
        ("file-transfer", "client", 9996),
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
        assert_eq!(
            shown,
            Some(port.to_string().as_str()),
            "{name} {sub}: {after}"
        );
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
    let port = free_port().to_string();
    for (name, args) in [
        ("tcp-basic", vec!["client"]),
        ("multithread", vec!["client", "--clients", "2"]),
        ("threadpool-server", vec!["client", "--clients", "2"]),
    ] {
        let out = Command::new(bin(name))
            .args(&args)
            .args(["--port", &port])
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
}

#[test]
fn a_port_in_use_is_a_one_line_error() {
    let taken = listener();
    let port = taken.local_addr().unwrap().port().to_string();
    for (name, _) in COMMANDS {
        if name == "udp-basic" {
            continue; // a UDP port is another port: it may well be free
        }
        let mut cmd = Command::new(bin(name));
        cmd.args(["server", "--port", &port]);
        if name == "file-transfer" {
            cmd.args([
                "--dir",
                std::env::temp_dir()
                    .join("socket-lab-unused")
                    .to_str()
                    .unwrap(),
            ]);
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
    let status = wait_exit(&mut child, WAIT).expect("client exits");
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.code().is_some(), "ended by a signal: {status:?}");
    drop(server);
}

#[test]
fn servers_stop_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("save");
    for (name, args) in [
        ("tcp-basic", vec!["server"]),
        ("udp-basic", vec!["server"]),
        ("multithread", vec!["server"]),
        ("threadpool-server", vec!["server"]),
        (
            "file-transfer",
            vec!["server", "--dir", save.to_str().unwrap()],
        ),
    ] {
        let (proc, _port) = rust_server(name, &args);
        let started = Instant::now();
        proc.terminate();
        let (status, _out, err) = proc.finish();
        assert!(status.success(), "{name}: {status:?} {err}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{name} took {:?}",
            started.elapsed()
        );
        assert!(err.contains("stopped"), "{name}: {err}");
    }
}
