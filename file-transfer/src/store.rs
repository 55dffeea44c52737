//! Writing a received file safely.
//!
//! The bytes go to a temporary file, `.part-XXXXXX`, created in the target
//! folder. Only when every announced byte has arrived and the md5 matched
//! is it renamed to its final name; on any failure, and when the server
//! stops, it is deleted (when the [`Incoming`] drops). So no file under its
//! final name is ever partial, and the rename cannot cross file systems. A
//! process that is killed outright cannot delete anything, so the server
//! removes such leftovers when it starts ([`remove_leftovers`]).
//!
//! An existing file is never silently replaced: without `overwrite` the
//! rename refuses to replace (tempfile's `persist_noclobber`) and the next
//! free `name (1).ext` is tried, so two uploads of one name at once both
//! survive.

use crate::name::numbered;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// How every temporary file's name starts.
pub const PART_PREFIX: &str = ".part-";

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
            io::Error::new(
                e.kind(),
                format!("cannot create a file in {}: {e}", dir.display()),
            )
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
        if overwrite {
            let path = self.dir.join(name);
            self.temp.persist(&path).map_err(|e| e.error)?;
            return Ok(path);
        }
        let mut temp = self.temp;
        for n in 0..=MAX_ALTERNATIVES {
            let candidate = if n == 0 {
                name.to_string()
            } else {
                numbered(name, n)
            };
            let path = self.dir.join(&candidate);
            match temp.persist_noclobber(&path) {
                Ok(_) => return Ok(path),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temp = e.file,
                Err(e) => return Err(e.error),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{name} and {MAX_ALTERNATIVES} numbered alternatives all exist"),
        ))
    }
}

/// Removes the temporary files a killed run left in `dir`, and returns
/// their names. Only files this crate names (`.part-` and six characters).
pub fn remove_leftovers(dir: &Path) -> io::Result<Vec<String>> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_part = name
            .strip_prefix(PART_PREFIX)
            .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        if is_part && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    Ok(removed)
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
}
