//! Running the Python originals beside the Rust port, as the tests and the
//! benchmarks do: a copy of a script with only its address (and, where
//! asked, its folder or backlog) rewritten, and a way to know that it
//! listens without connecting to it (a probe connection would be served,
//! and printed, like any other).

use std::path::Path;

/// What to change in a copy of an original.
#[derive(Clone, Debug, Default)]
pub struct Rewrite<'a> {
    /// The port its `ip_port = (...)` (or socketserver address) points at.
    pub port: u16,
    /// `file_server.py`'s `base_path`.
    pub base_path: Option<&'a Path>,
    /// The `N` of `sk.listen(N)`.
    pub backlog: Option<i32>,
}

/// The script's text with only the lines `rewrite` names changed: the
/// `ip_port = (...)` assignment (and socketserver's address, which
/// `file_server.py` writes inline), `base_path = ...`, `sk.listen(...)`.
pub fn rewrite(script: &str, rewrite: &Rewrite<'_>) -> String {
    let port = rewrite.port;
    let mut out = String::with_capacity(script.len() + 64);
    for line in script.lines() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let new = if code.starts_with("ip_port") && code.contains('=') {
            Some(format!("ip_port = ('127.0.0.1', {port})"))
        } else if code.starts_with("instance = socketserver.ThreadingTCPServer") {
            Some(format!(
                "instance = socketserver.ThreadingTCPServer(('127.0.0.1', {port}), MyServer)"
            ))
        } else if let (Some(base), true) = (rewrite.base_path, code.starts_with("base_path")) {
            Some(format!("base_path = r'{}'", base.display()))
        } else if let (Some(n), true) = (rewrite.backlog, code.starts_with("sk.listen(")) {
            Some(format!("sk.listen({n})"))
        } else {
            None
        };
        out.push_str(indent);
        out.push_str(new.as_deref().unwrap_or(code));
        out.push('\n');
    }
    out
}

/// True when a socket is bound to 127.0.0.1:`port`: listening, for TCP, or
/// bound, for UDP. Read from /proc/net (Linux), so nothing connects.
pub fn is_bound(port: u16, udp: bool) -> bool {
    let (table, state) = if udp {
        ("/proc/net/udp", "07")
    } else {
        ("/proc/net/tcp", "0A")
    };
    let local = format!("0100007F:{port:04X}");
    std::fs::read_to_string(table).is_ok_and(|text| {
        text.lines().skip(1).any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[1] == local && cols[3] == state
        })
    })
}

/// Starts `python3 SCRIPT` in `cwd` with its output discarded, and waits
/// (at most 5 s) until it listens on 127.0.0.1:`port`.
pub fn spawn_server(script: &Path, cwd: &Path, port: u16) -> std::io::Result<std::process::Child> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start python3: {e}")))?;
    for _ in 0..500 {
        if is_bound(port, false) {
            return Ok(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(std::io::Error::other(format!(
        "{} did not start listening on port {port}",
        script.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_named_lines() {
        let script = "ip_port = ('127.0.0.1', 9998)\n    sk.listen(5)\nx = 1\n        base_path = r'C:\\x'\n";
        let out = rewrite(
            script,
            &Rewrite {
                port: 4321,
                base_path: Some(Path::new("/tmp/save")),
                backlog: Some(1024),
            },
        );
        assert_eq!(
            out,
            "ip_port = ('127.0.0.1', 4321)\n    sk.listen(1024)\nx = 1\n        base_path = r'/tmp/save'\n"
        );
        let plain = rewrite(
            script,
            &Rewrite {
                port: 1,
                ..Default::default()
            },
        );
        assert!(plain.contains("sk.listen(5)") && plain.contains("C:\\x"));
    }

    #[test]
    fn sees_a_listener_without_connecting() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(is_bound(port, false));
        drop(l);
        assert!(!is_bound(port, false));
    }
}
