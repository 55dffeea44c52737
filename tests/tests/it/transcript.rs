//! The same run in Python and in Rust, stdout compared after normalising
//! port numbers (and, for the concurrent exercises, line order). The Rust
//! side runs the real binaries.

use crate::util::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn original_server(py: &Path, script: &str, dir: &Path, udp: bool) -> (Proc, u16) {
    python_server(udp, |port| {
        let path = python_script(py, script, dir, port, Some(&dir.join("py_save")));
        python(&path, dir)
    })
}

/// Runs a client with `input` on stdin to its end; returns its stdout.
pub fn run_client(cmd: Command, input: &str) -> String {
    let mut client = Proc::spawn(cmd);
    client
        .stdin
        .as_mut()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let (status, stdout, stderr) = client.finish();
    assert!(status.success(), "{stderr}");
    stdout
}

pub fn rust_client(name: &str, port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin(name));
    cmd.args(args).args(["--port", &port.to_string()]);
    cmd
}

fn python_client(py: &Path, script: &str, dir: &Path, port: u16) -> Command {
    python(&python_script(py, script, dir, port, None), dir)
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn tcp_transcripts_match() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let (py_server, py_port) = original_server(&py, "tcp_server.py", tmp.path(), false);
    let py_client = run_client(python_client(&py, "tcp_client.py", tmp.path(), py_port), "");
    let (rs_server, rs_port) = rust_server("tcp-basic", &["server"]);
    let rs_client = run_client(rust_client("tcp-basic", rs_port, &["client"]), "");
    assert_eq!(rs_client, py_client);
    let waiting = |s: &str| s.matches("server waiting...").count() == 2;
    assert_eq!(
        rs_server.wait_stdout("rust", waiting),
        py_server.wait_stdout("python", waiting)
    );
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn udp_transcripts_match() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let input = "hi,zlz\n  spaced  \n请求\nexit\n";
    let (py_server, py_port) = original_server(&py, "udp_server.py", tmp.path(), true);
    let py_client = run_client(
        python_client(&py, "udp_client.py", tmp.path(), py_port),
        input,
    );
    let (rs_server, rs_port) = rust_server("udp-basic", &["server"]);
    let rs_client = run_client(rust_client("udp-basic", rs_port, &["client"]), input);
    assert_eq!(rs_client, py_client);
    let three = |s: &str| s.lines().count() == 3;
    assert_eq!(
        rs_server.wait_stdout("rust", three),
        py_server.wait_stdout("python", three)
    );
}

fn signin_transcripts(bin_name: &str, script: &str) {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let (py_server, py_port) = original_server(&py, script, tmp.path(), false);
    let py_client = run_client(
        python_client(&py, "multithread_client.py", tmp.path(), py_port),
        "",
    );
    let (rs_server, rs_port) = rust_server(bin_name, &["server", "--backlog", "128"]);
    let rs_client = run_client(rust_client(bin_name, rs_port, &["client"]), "");
    // Twenty threads print in the Python client: compare messages, not
    // where its newlines fell. The Rust client writes each line whole.
    if let Err(e) = same_messages(&py_client, &rs_client) {
        panic!("the clients differ: {e}\nRust:\n{rs_client}");
    }
    let done =
        |s: &str| s.matches("的连接关闭").count() == 20 && s.matches("连接成功").count() == 20;
    let rs = normalise(&rs_server.wait_stdout("rust", done));
    let py = normalise(&py_server.wait_stdout("python", done));
    if let Err(e) = same_messages(&py, &rs) {
        panic!("the servers differ: {e}\nRust:\n{rs}");
    }
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn multithread_transcripts_match() {
    signin_transcripts("multithread", "multithread_server.py");
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn threadpool_transcripts_match() {
    signin_transcripts("threadpool-server", "threadpool_server.py");
}

#[test]
#[cfg_attr(
    not(python_originals),
    ignore = "needs Python 3 and the originals (../shared/originals or PY_ORIGINALS)"
)]
fn file_transfer_transcripts_match() {
    let py = originals();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.txt");
    std::fs::write(&file, "hello\n").unwrap();
    let input = format!("{}\n", file.display());
    // The same Python client against the Python and the Rust server: the
    // servers print the same lines.
    let (py_server, py_port) = original_server(&py, "file_server.py", tmp.path(), false);
    let py_client = run_client(
        python_client(&py, "file_client.py", tmp.path(), py_port),
        &input,
    );
    let rs_dir = tmp.path().join("rs_save");
    let (rs_server, rs_port) = rust_server(
        "file-transfer",
        &["server", "--dir", rs_dir.to_str().unwrap()],
    );
    run_client(
        python_client(&py, "file_client.py", tmp.path(), rs_port),
        &input,
    );
    let done = |s: &str| s.contains("upload successed.");
    assert_eq!(
        rs_server.wait_stdout("rust", done),
        py_server.wait_stdout("python", done)
    );
    // The Rust client (--legacy, prompting) against the Python server prints
    // what the Python client printed.
    let rs_client = run_client(
        rust_client("file-transfer", py_port, &["client", "--legacy"]),
        &input,
    );
    assert_eq!(rs_client, py_client);
}
