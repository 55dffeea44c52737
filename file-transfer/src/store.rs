//! The folder's side of a transfer: which names a peer may use, and
//! writing a received file safely.
//!
//! **Writing.** The bytes go to a temporary file, `.part-XXXXXX`, in the
//! target folder. Only when every announced byte has arrived and the md5
//! matched is it renamed to its final name; on any failure, and when the
//! server stops, it is deleted (when the [`Incoming`] drops). So no file
//! under its final name is ever partial, and the rename cannot cross file
//! systems. A killed process cannot delete anything, so the server removes
//! such leftovers when it starts ([`remove_leftovers`]). An existing file
//! is never silently replaced: without `overwrite` the next free
//! `name (1).ext` is taken (tempfile's `persist_noclobber`), so two
//! uploads of one name at once both survive.
//!
//! **Names.** `file_server.py` joins whatever name it is sent onto its
//! folder, so `../../.bashrc` or `/etc/passwd` writes outside it. The port
//! accepts only one path component of valid UTF-8, in any script
//! (`实验报告.pdf`, `a b (1).txt`), on upload and download, in both header
//! formats. A file uploaded on Linux may be downloaded on Windows, so the
//! names Windows cannot store are refused everywhere: device names (`CON`,
//! `com1.txt`), names ending in a dot or a space, and `: < > " | ? *`.

use crate::error::TransferError;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// How every temporary file's name starts.
pub const PART_PREFIX: &str = ".part-";
/// The longest name most file systems store (NAME_MAX).
pub const MAX_NAME_BYTES: usize = 255;
/// How many `name (n).ext` alternatives are tried before giving up.
const MAX_ALTERNATIVES: u32 = 10_000;

/// A file being received: a temporary file in its final folder.
pub struct Incoming {
    temp: NamedTempFile,
    dir: PathBuf,
}

impl Incoming {
    /// Creates the temporary file in `dir`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(PART_PREFIX);
        // Like any new file: rw for all, less the umask (tempfile's
        // default, 0600, would hide uploads from their other users).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(dir).map_err(|e| {
            let why = format!("cannot create a file in {}: {e}", dir.display());
            io::Error::new(e.kind(), why)
        })?;
        Ok(Incoming {
            temp,
            dir: dir.to_path_buf(),
        })
    }

    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// Gives the file its final name, `name` or, when that is taken and
    /// `overwrite` is off, the first free `name (n).ext`. Returns the path
    /// written. With `sync`, the data reaches the disk before the rename.
    pub fn commit(self, name: &str, overwrite: bool, sync: bool) -> io::Result<PathBuf> {
        if sync {
            self.temp.as_file().sync_all()?;
        }
        let (dir, mut temp) = (self.dir, self.temp);
        if overwrite {
            let path = dir.join(name);
            return temp.persist(&path).map(|_| path).map_err(|e| e.error);
        }
        for n in 0..=MAX_ALTERNATIVES {
            let path = dir.join(if n == 0 {
                name.to_string()
            } else {
                numbered(name, n)
            });
            match temp.persist_noclobber(&path) {
                Ok(_) => return Ok(path),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temp = e.file,
                Err(e) => return Err(e.error),
            }
        }
        let why = format!("{name} and {MAX_ALTERNATIVES} numbered alternatives all exist");
        Err(io::Error::new(io::ErrorKind::AlreadyExists, why))
    }
}

/// Removes the temporary files a killed run left in `dir`, and returns
/// their names. Only files this crate names (`.part-` and six characters).
pub fn remove_leftovers(dir: &Path) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix(PART_PREFIX).unwrap_or_default();
        if rest.len() == 6
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            && entry.file_type()?.is_file()
        {
            std::fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    Ok(removed)
}

/// Opens `name` in `dir` to send it, and returns it with its size. The name
/// is one component, but the entry may be a symlink: it is followed, and
/// refused if it ends up outside `dir`.
pub fn open_inside(dir: &Path, name: &str) -> Result<(File, u64), TransferError> {
    check_name(name)?;
    let real = match std::fs::canonicalize(dir.join(name)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(TransferError::NotFound(name.into())),
        real => Ok(real?),
    }?;
    if !real.starts_with(std::fs::canonicalize(dir)?) {
        return Err(TransferError::Outside(name.to_string()));
    }
    Ok(open(&real)?)
}

/// Opens a regular file to send, and returns it with its size.
pub fn open(path: &Path) -> io::Result<(File, u64)> {
    let cannot = |kind, why| io::Error::new(kind, format!("cannot open {}: {why}", path.display()));
    let file = File::open(path).map_err(|e| cannot(e.kind(), e.to_string()))?;
    let meta = file.metadata()?;
    match meta.is_file() {
        true => Ok((file, meta.len())),
        false => Err(cannot(
            io::ErrorKind::InvalidInput,
            "not a regular file".into(),
        )),
    }
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("`.` and `..` are not file names")]
    Dots,
    #[error("the name contains a path separator (/ or \\)")]
    Separator,
    #[error("the name starts with a drive prefix")]
    DrivePrefix,
    #[error("the name contains a control character")]
    Control,
    #[error("the name is {0} bytes long, over {MAX_NAME_BYTES}")]
    TooLong(usize),
    #[error("the name is a Windows device name")]
    WindowsDevice,
    #[error("the name ends in a dot or a space, which Windows drops")]
    WindowsEnding,
    #[error("the name contains {0:?}, which Windows refuses")]
    WindowsChar(char),
}

/// Checks that `name` is one safe path component: the first rule it
/// breaks, in this order, is the error.
pub fn check_name(name: &str) -> Result<(), NameError> {
    let mut chars = name.chars();
    let drive =
        matches!((chars.next(), chars.next()), (Some(c), Some(':')) if c.is_ascii_alphabetic());
    // `:` would also name an alternate data stream on Windows.
    let forbidden = name
        .chars()
        .find(|c| [':', '<', '>', '"', '|', '?', '*'].contains(c));
    let rules = [
        (name.is_empty(), NameError::Empty),
        (name == "." || name == "..", NameError::Dots),
        (name.contains(['/', '\\']), NameError::Separator),
        (drive, NameError::DrivePrefix),
        (name.chars().any(char::is_control), NameError::Control),
        (name.len() > MAX_NAME_BYTES, NameError::TooLong(name.len())),
        (
            forbidden.is_some(),
            NameError::WindowsChar(forbidden.unwrap_or_default()),
        ),
        (name.ends_with(['.', ' ']), NameError::WindowsEnding),
        (is_windows_device(name), NameError::WindowsDevice),
    ];
    match rules.into_iter().find(|(broken, _)| *broken) {
        Some((_, why)) => Err(why),
        None => Ok(()),
    }
}

/// `CON`, `aux.txt`, `Com1.tar.gz`: a device name, in any case, before the
/// first dot.
fn is_windows_device(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end_matches(' ')
        .to_ascii_uppercase();
    let numbered = stem
        .strip_prefix("COM")
        .or_else(|| stem.strip_prefix("LPT"));
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(&stem.as_str())
        || matches!(numbered.map(str::as_bytes), Some([b'1'..=b'9']))
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
    use std::io::Write;

    fn receive(dir: &Path, name: &str, data: &[u8], overwrite: bool) -> PathBuf {
        let mut incoming = Incoming::create(dir).unwrap();
        incoming.file().write_all(data).unwrap();
        incoming.commit(name, overwrite, false).unwrap()
    }

    #[test]
    fn keeps_both_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let a = receive(dir.path(), "a.txt", b"one", false);
        let b = receive(dir.path(), "a.txt", b"two", false);
        assert_eq!(a.file_name().unwrap(), "a.txt");
        assert_eq!(b.file_name().unwrap(), "a (1).txt");
        assert_eq!(std::fs::read(&a).unwrap(), b"one");
        let c = receive(dir.path(), "a.txt", b"three", true);
        assert_eq!(c, a);
        assert_eq!(std::fs::read(&a).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_dropped_incoming_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut incoming = Incoming::create(dir.path()).unwrap();
        incoming.file().write_all(b"partial").unwrap();
        drop(incoming);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn leftovers_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let incoming = Incoming::create(dir.path()).unwrap();
        // A killed run: the temporary file stays behind.
        let (_, path) = incoming.temp.keep().unwrap();
        for keep in [".part-notes.txt", "a.txt", ".part-"] {
            std::fs::write(dir.path().join(keep), b"x").unwrap();
        }
        let removed = remove_leftovers(dir.path()).unwrap();
        assert_eq!(
            removed,
            [path.file_name().unwrap().to_string_lossy().into_owned()]
        );
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

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
