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
    fn shortening() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("签到", 3), "签到");
    }
}
