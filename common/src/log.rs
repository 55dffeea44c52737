//! Program output and diagnostics.
//!
//! stdout carries exactly the lines the Python original prints, so the two
//! can be diffed; everything else (errors, warnings, shutdown notes) goes to
//! stderr. Servers write their lines through an [`Output`] handed to them, so
//! tests capture the very lines a user would see and benchmarks can discard
//! them.
//!
//! Each line is appended whole under one lock, so lines printed by many
//! connection threads never interleave mid-line. On a terminal every line
//! is written at once, for the person reading it. Into a pipe or a file,
//! lines collect in a buffer that is written out every [`FLUSH_EVERY`] (or
//! when it fills): a server answering thousands of clients a second makes a
//! few writes a second instead of one system call per line, and the lines
//! still show up promptly in `tail -f`. Call [`flush_stdout`] before the
//! process ends ([`crate::cli::report`] does).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// How often buffered stdout is written out when it is not a terminal.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Buffered stdout is written out at once when it holds this much.
const BUFFER_LIMIT: usize = 64 * 1024;

/// Where a program's lines go.
#[derive(Clone)]
pub struct Output(Arc<Sink>);

enum Sink {
    /// stdout on a terminal: written line by line.
    Terminal,
    /// stdout into a pipe or a file: the process-wide buffer.
    Buffered(Mutex<Vec<u8>>),
    Memory(Mutex<Vec<u8>>),
    Discard,
}

/// The one stdout sink of the process, shared by every `Output::stdout()`.
fn stdout_sink() -> &'static Arc<Sink> {
    static SINK: OnceLock<Arc<Sink>> = OnceLock::new();
    SINK.get_or_init(|| {
        if io::stdout().is_terminal() {
            return Arc::new(Sink::Terminal);
        }
        // The flusher lives as long as the process; it only ever takes the
        // buffer's lock for as long as one write takes.
        let _ = std::thread::Builder::new()
            .name("stdout flusher".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flush_stdout();
                }
            });
        Arc::new(Sink::Buffered(Mutex::new(Vec::with_capacity(BUFFER_LIMIT))))
    })
}

/// Writes out whatever buffered stdout holds. Call it before the process
/// ends; a closed pipe ends the process quietly here too.
pub fn flush_stdout() {
    if let Sink::Buffered(buf) = &**stdout_sink() {
        write_out(&mut lock(buf));
    }
}

fn write_out(buf: &mut MutexGuard<'_, Vec<u8>>) {
    if buf.is_empty() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(buf).and_then(|()| out.flush()) {
        stdout_failed(e);
    }
    buf.clear();
}

/// A poisoned lock only means another thread panicked mid-push; the bytes
/// are still a valid Vec, so keep using them.
fn lock(m: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Output {
    /// The process's stdout. A closed pipe (`| head`) ends the program
    /// quietly with status 0, as `SIGPIPE` would, never with a panic.
    pub fn stdout() -> Self {
        Output(stdout_sink().clone())
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

    /// Prints `text` and a newline as one write.
    pub fn line(&self, text: impl AsRef<str>) {
        let text = text.as_ref();
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        self.raw(&buf);
    }

    /// Prints `text` with no newline and flushes, as Python's `input(prompt)`
    /// shows its prompt.
    pub fn prompt(&self, text: &str) {
        self.raw(text.as_bytes());
    }

    fn raw(&self, bytes: &[u8]) {
        match &*self.0 {
            Sink::Terminal => {
                let mut out = io::stdout().lock();
                if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
                    stdout_failed(e);
                }
            }
            Sink::Buffered(buf) => {
                let mut buf = lock(buf);
                buf.extend_from_slice(bytes);
                // A prompt must show before the program waits for input.
                if buf.len() >= BUFFER_LIMIT || !bytes.ends_with(b"\n") {
                    write_out(&mut buf);
                }
            }
            Sink::Memory(buf) => lock(buf).extend_from_slice(bytes),
            Sink::Discard => {}
        }
    }

    /// True when this is the process's stdout and that is a terminal: the
    /// place for a progress bar instead of progress lines.
    pub fn is_terminal(&self) -> bool {
        matches!(*self.0, Sink::Terminal)
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

fn stdout_failed(e: io::Error) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        diag(format_args!("cannot write to stdout: {e}"));
    }
    std::process::exit(0)
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
