//! Which file names a peer may use.
//!
//! `file_server.py` joins whatever name it is sent onto its folder, so
//! `../../.bashrc` or `/etc/passwd` writes outside it. The port accepts only
//! a single path component of valid UTF-8, in any script (`实验报告.pdf`,
//! `document..pdf`, `a b (1).txt`), and refuses everything else, on upload
//! and on download, in both header formats.
//!
//! A file uploaded on Linux may be downloaded on Windows, so the names
//! Windows cannot store are refused on every platform: the device names
//! (`CON`, `NUL`, `COM1`, … with or without an extension), names that end
//! in a dot or a space, and the characters `: < > " | ? *`.

use std::fmt;

/// The longest name most file systems store (NAME_MAX).
pub const MAX_NAME_BYTES: usize = 255;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    Dots,
    Separator,
    DrivePrefix,
    Control,
    TooLong(usize),
    WindowsDevice,
    WindowsEnding,
    WindowsChar(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => write!(f, "the name is empty"),
            NameError::Dots => write!(f, "`.` and `..` are not file names"),
            NameError::Separator => write!(f, "the name contains a path separator (/ or \\)"),
            NameError::DrivePrefix => write!(f, "the name starts with a drive prefix"),
            NameError::Control => write!(f, "the name contains a control character"),
            NameError::TooLong(n) => {
                write!(f, "the name is {n} bytes long, over {MAX_NAME_BYTES}")
            }
            NameError::WindowsDevice => write!(f, "the name is a Windows device name"),
            NameError::WindowsEnding => {
                write!(f, "the name ends in a dot or a space, which Windows drops")
            }
            NameError::WindowsChar(c) => {
                write!(f, "the name contains {c:?}, which Windows refuses")
            }
        }
    }
}

impl std::error::Error for NameError {}

/// Checks that `name` is one safe path component.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name == "." || name == ".." {
        return Err(NameError::Dots);
    }
    if name.contains(['/', '\\']) {
        return Err(NameError::Separator);
    }
    let mut chars = name.chars();
    if let (Some(c), Some(':')) = (chars.next(), chars.next())
        && c.is_ascii_alphabetic()
    {
        return Err(NameError::DrivePrefix);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong(name.len()));
    }
    if let Some(c) = name.chars().find(|c| WINDOWS_FORBIDDEN.contains(c)) {
        return Err(NameError::WindowsChar(c));
    }
    if name.ends_with(['.', ' ']) {
        return Err(NameError::WindowsEnding);
    }
    if is_windows_device(name) {
        return Err(NameError::WindowsDevice);
    }
    Ok(())
}

/// Characters no Windows file name may hold (`:` would also name an
/// alternate data stream).
const WINDOWS_FORBIDDEN: [char; 7] = [':', '<', '>', '"', '|', '?', '*'];

/// `CON`, `aux.txt`, `Com1.tar.gz`: a device name, in any case, before the
/// first dot.
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let stem = stem.to_ascii_uppercase();
    match stem.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let digit = stem
                .strip_prefix("COM")
                .or_else(|| stem.strip_prefix("LPT"));
            matches!(digit.map(str::as_bytes), Some([b'1'..=b'9']))
        }
    }
}

/// The `n`-th alternative to `name` when it is taken: `a.txt` → `a (1).txt`,
/// `archive` → `archive (1)`, `.bashrc` → `.bashrc (1)`.
pub fn numbered(name: &str, n: u32) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names() {
        for name in [
            "实验报告.pdf",
            "document..pdf",
            "a b (1).txt",
            "..hidden",
            "x",
            "C",
            "CONSOLE.txt",
            "com10",
            "lpt0",
            "auxiliary",
            "nul_byte",
        ] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
        assert_eq!(check_name(&"é".repeat(127)), Ok(()));
    }

    #[test]
    fn hostile_names() {
        let cases: &[(&str, NameError)] = &[
            ("", NameError::Empty),
            (".", NameError::Dots),
            ("..", NameError::Dots),
            ("../x", NameError::Separator),
            ("/etc/passwd", NameError::Separator),
            ("a\\b", NameError::Separator),
            ("..\\..\\x", NameError::Separator),
            ("C:x.txt", NameError::DrivePrefix),
            ("a\0b", NameError::Control),
            ("a\nb", NameError::Control),
            ("\x1b[31mred", NameError::Control),
            ("CON", NameError::WindowsDevice),
            ("nul.txt", NameError::WindowsDevice),
            ("Com1.tar.gz", NameError::WindowsDevice),
            ("lpt9", NameError::WindowsDevice),
            ("conin$", NameError::WindowsDevice),
            ("CONOUT$.log", NameError::WindowsDevice),
            ("report.", NameError::WindowsEnding),
            ("report ", NameError::WindowsEnding),
            ("notes:stream", NameError::WindowsChar(':')),
            ("why?.txt", NameError::WindowsChar('?')),
            ("a*b", NameError::WindowsChar('*')),
            ("<x>", NameError::WindowsChar('<')),
            ("say\"hi\"", NameError::WindowsChar('"')),
            ("a|b", NameError::WindowsChar('|')),
        ];
        for (name, err) in cases {
            assert_eq!(check_name(name).as_ref(), Err(err), "{name:?}");
        }
        assert_eq!(check_name(&"a".repeat(256)), Err(NameError::TooLong(256)));
    }

    #[test]
    fn numbering() {
        assert_eq!(numbered("a.txt", 1), "a (1).txt");
        assert_eq!(numbered("archive", 2), "archive (2)");
        assert_eq!(numbered(".bashrc", 1), ".bashrc (1)");
        assert_eq!(numbered("a.tar.gz", 1), "a.tar (1).gz");
    }
}
