//! Running Python programs beside the Rust port, as the grader, the tests
//! and the benchmarks do: the Python found on this machine at run time, a
//! copy of a script with only its address (and, where asked, its folder or
//! backlog) rewritten. (Ports for programs that bind their own are in
//! [`crate::ports`].)

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

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

/// The Python [`crate::machine::find_python`] finds, looked for once, at
/// run time: nothing about the machine is fixed when the grader is built.
pub fn find() -> Option<Vec<String>> {
    static FOUND: OnceLock<Option<Vec<String>>> = OnceLock::new();
    FOUND.get_or_init(crate::machine::find_python).clone()
}

/// A command of `words` (a Python found by [`find`] or given with
/// `--python`), to add a script to.
pub fn command(words: &[String]) -> Command {
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..]);
    cmd
}

/// The Python [`find`] finds, as a command; `None` where there is none.
pub fn python() -> Option<Command> {
    find().map(|words| command(&words))
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
}
