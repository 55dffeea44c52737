//! `--trace`: each socket call a program makes, on stderr, as it makes it,
//! with the time, the peer, the byte count and the bytes, so that what the
//! lab explains (a `recv` that gets two `send`s glued together, a datagram
//! that arrives whole) shows in a student's own terminal:
//!
//! ```text
//! trace 10:00:00.123456 accept 127.0.0.1:51234
//! trace 10:00:00.123789 recv 127.0.0.1:51234: 18 bytes "请求占领地球"
//! trace 10:00:00.123901 sendall 127.0.0.1:51234: 39 bytes "不要回答,不要回答,不要回答"
//! trace 10:00:00.124010 close 127.0.0.1:51234
//! ```
//!
//! The bytes show as text where they are UTF-8, control characters and
//! other bytes escaped (`\n`, `\xff`); past [`SHOWN`] bytes, the rest is
//! counted, not shown. stdout is untouched: the programs print what the
//! originals print. The calls that go through [`crate::net`] and
//! [`crate::stop::Stop::accept`] are traced there; an exercise traces the
//! std calls it makes itself with one line beside each.

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many bytes of each call are shown.
pub const SHOWN: usize = 64;

static ON: AtomicBool = AtomicBool::new(false);

/// Turns tracing on, for the whole process (`--trace`).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Whether `--trace` was given.
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Traces one call: `what` (`recv`, `sendto`, …) with `peer`, and the
/// bytes it moved, if it moves bytes.
pub fn call(what: &str, peer: impl Display, bytes: Option<&[u8]>) {
    if !is_on() {
        return;
    }
    let mut line = format!(
        "trace {} {what} {peer}",
        chrono::Local::now().format("%H:%M:%S%.6f")
    );
    if let Some(bytes) = bytes {
        line.push_str(&format!(": {} bytes {}", bytes.len(), shown(bytes)));
    }
    line.push('\n');
    // A trace line that cannot be written is lost, like any diagnostic.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The bytes as a quoted line: UTF-8 as text, everything else escaped,
/// at most [`SHOWN`] bytes of it.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes[..bytes.len().min(SHOWN)].utf8_chunks() {
        out.push_str(&crate::text::escape(chunk.valid()).replace('"', "\\\""));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    if bytes.len() > SHOWN {
        out.push_str(&format!(" and {} more", bytes.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_show_as_text_with_the_rest_escaped() {
        assert_eq!(shown("请求".as_bytes()), "\"请求\"");
        assert_eq!(shown(b"a\nb\"\xff"), "\"a\\nb\\\"\\xff\"");
        let long = [b'x'; 100];
        assert_eq!(shown(&long), format!("\"{}\" and 36 more", "x".repeat(64)));
        // A character cut by the limit shows as its bytes, escaped.
        let cut = shown(&"长".repeat(30).into_bytes());
        assert!(cut.ends_with("\\xe9\" and 26 more"), "{cut}");
    }
}
