//! Which file names a peer may use.
//!
//! `file_server.py` joins whatever name it is sent onto its folder, so
//! `../../.bashrc` or `/etc/passwd` writes outside it. The port accepts only
//! a single path component of valid UTF-8, in any script (`实验报告.pdf`,
//! `document..pdf`, `a b (1).txt`), and refuses everything else, on upload
//! and on download, in both header formats.

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
    Ok(())
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
