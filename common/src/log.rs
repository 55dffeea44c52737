//! Program output and diagnostics.
//!
//! stdout carries exactly the lines the Python original prints, so the two
//! can be diffed; everything else (errors, warnings, stop notes) goes to
//! stderr, through [`diag!`](crate::diag). Servers print through an
//! [`Output`] handed to them, so tests capture the very lines a user would
//! see and benchmarks can discard them.
//!
//! Each line is written whole, in one `write_all` under stdout's lock, so
//! lines printed by many connection threads never run into each other
//! (Python's `print` writes the text and the newline separately, and they
//! sometimes do). A closed stdout (`| head`) ends the program quietly: the
//! lines after it are dropped, a server stops as on Ctrl-C
//! ([`on_stdout_failure`]), and [`crate::cli::report`] decides the exit
//! status. Library code never exits the process.

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, OnceLock};

/// Where a program's lines go.
#[derive(Clone)]
pub struct Output(Arc<Sink>);

enum Sink {
    Stdout,
    Memory(Mutex<Vec<u8>>),
    Discard,
}

impl Output {
    /// The process's stdout.
    pub fn stdout() -> Self {
        Output(Arc::new(Sink::Stdout))
    }

    /// An in-memory buffer, read back with [`Output::contents`] (for tests
    /// and the tour).
    pub fn memory() -> Self {
        Output(Arc::new(Sink::Memory(Mutex::new(Vec::new()))))
    }

    /// Drops every line (for benchmarks).
    pub fn discard() -> Self {
        Output(Arc::new(Sink::Discard))
    }

    /// Python's `print(text)`: the text and a newline, as one write.
    pub fn line(&self, text: impl AsRef<str>) {
        let text = text.as_ref();
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        self.write(&buf);
    }

    /// What Python's `input(prompt)` shows: the prompt with no newline,
    /// flushed, so it is on screen before the program waits for input.
    pub fn prompt(&self, text: &str) {
        self.write(text.as_bytes());
    }

    fn write(&self, bytes: &[u8]) {
        match &*self.0 {
            Sink::Stdout if STDOUT_FAILED.get().is_some() => {}
            Sink::Stdout => {
                let mut out = io::stdout().lock();
                if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
                    stdout_failed(e);
                }
            }
            Sink::Memory(buf) => buf
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes),
            Sink::Discard => {}
        }
    }

    /// True when this is stdout and that is a terminal: the place for a
    /// progress bar instead of progress lines.
    pub fn is_terminal(&self) -> bool {
        matches!(*self.0, Sink::Stdout) && io::stdout().is_terminal()
    }

    /// Everything written so far, for an [`Output::memory`]; empty otherwise.
    pub fn contents(&self) -> String {
        match &*self.0 {
            Sink::Memory(buf) => {
                String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
            }
            _ => String::new(),
        }
    }
}

/// The first error writing to stdout, once there was one.
static STDOUT_FAILED: OnceLock<io::Error> = OnceLock::new();
/// What a failed stdout sets off: a server's stop ([`on_stdout_failure`]).
static ON_FAILURE: OnceLock<Box<dyn Fn() + Send + Sync>> = OnceLock::new();

/// Notes the first failure and sets off [`on_stdout_failure`]'s action.
fn stdout_failed(e: io::Error) {
    if STDOUT_FAILED.set(e).is_ok()
        && let Some(action) = ON_FAILURE.get()
    {
        action();
    }
}

/// What to do when stdout fails (a server binary: stop, as on Ctrl-C).
/// Set once per process; later calls are ignored.
pub fn on_stdout_failure(action: impl Fn() + Send + Sync + 'static) {
    let _ = ON_FAILURE.set(Box::new(action));
}

/// Why writing to stdout failed, if it did: a closed pipe (`| head`:
/// the reader has all it wanted, so status 0), or a real error such as a
/// full disk (status 1). (`SIGPIPE` would end the program with 141; Rust
/// ignores that signal, so the port decides.)
pub fn stdout_error() -> Option<&'static io::Error> {
    STDOUT_FAILED.get()
}

/// The program's name, as it prefixes diagnostics (`tcp-basic: …`).
pub fn program() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args_os()
            .next()
            .and_then(|p| {
                std::path::Path::new(&p)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "socket-lab".into())
    })
}

/// Writes one diagnostic line to stderr, prefixed with the program's name.
/// Errors writing to stderr are ignored: there is nowhere left to report them.
pub fn diag(args: std::fmt::Arguments<'_>) {
    let line = format!("{}: {args}\n", program());
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// `diag!("accept failed: {e}")`: a one-line diagnostic on stderr.
#[macro_export]
macro_rules! diag {
    ($($arg:tt)*) => { $crate::log::diag(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_collects_lines() {
        let out = Output::memory();
        out.line("server waiting...");
        out.prompt("数据：");
        assert_eq!(out.contents(), "server waiting...\n数据：");
        assert_eq!(Output::discard().contents(), "");
    }
}
