//! Turning peer bytes into text that is safe to print.
//!
//! The originals call `.decode()` and die on the first byte that is not
//! UTF-8; the port prints such bytes as U+FFFD instead. Control characters
//! that could move the cursor or recolour the terminal (ESC, CR, …) are
//! printed escaped, so a peer cannot forge output.

use std::borrow::Cow;

/// Peer bytes as printable text: invalid UTF-8 becomes U+FFFD and control
/// characters other than newline and tab are escaped (`\u{1b}`).
pub fn printable(bytes: &[u8]) -> String {
    escape_controls(&String::from_utf8_lossy(bytes), true)
}

/// A name (a file name, a peer-chosen label) with every control character
/// escaped, newlines included, so it always prints as one line.
pub fn escape(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_control) {
        Cow::Owned(escape_controls(name, false))
    } else {
        Cow::Borrowed(name)
    }
}

fn escape_controls(s: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && !(keep_lines && (c == '\n' || c == '\t')) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `s`, with `…` when something was cut.
pub fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
        None => Cow::Borrowed(s),
    }
}

/// Now, in the format of Python's `time.ctime()`: `Mon Nov  3 10:00:00 2026`
/// (local time, the day padded with a space), as seed 004's servers stamp
/// their replies.
pub fn ctime_now() -> String {
    ctime(&chrono::Local::now())
}

/// A time in `time.ctime()` format.
pub fn ctime<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// Bytes as Python's `repr(bytes)` prints them (`b'hello'`, `b"it's"`,
/// `b'\xff\n'`), as seed 002's UDP server prints what it received.
pub fn py_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_and_escaped() {
        assert_eq!(printable("请求占领地球".as_bytes()), "请求占领地球");
        assert_eq!(printable(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(printable(b"x\x1b[31m\ny\r"), "x\\u{1b}[31m\ny\\r");
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("实验报告.pdf"), "实验报告.pdf");
    }

    #[test]
    fn python_formats() {
        use chrono::TimeZone;
        let t = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert_eq!(ctime(&t), "Tue Nov 14 22:13:20 2023");
        let t = chrono::Utc.timestamp_opt(0, 0).unwrap();
        assert_eq!(ctime(&t), "Thu Jan  1 00:00:00 1970");
        assert_eq!(py_bytes_repr(b"hello"), "b'hello'");
        assert_eq!(py_bytes_repr(b"hi'x\xff\n"), "b\"hi'x\\xff\\n\"");
        assert_eq!(py_bytes_repr(b"a\"b"), "b'a\"b'");
        assert_eq!(py_bytes_repr(b"'\""), "b'\\'\"'");
        assert_eq!(py_bytes_repr("你".as_bytes()), "b'\\xe4\\xbd\\xa0'");
    }

    #[test]
    fn shortening() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("签到", 3), "签到");
    }
}
