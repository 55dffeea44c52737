//! MD5 as the file transfer uses it (seed 002 §3.2 puts it in the header):
//! the md-5 crate, fed in large blocks, printed as 32 lowercase hex digits
//! like Python's `hashlib.md5(...).hexdigest()`.

use md5::{Digest, Md5};
use std::io::{self, Read};

/// How much is read and hashed at a time: large enough that the hashing,
/// not the system calls, sets the pace.
pub const BLOCK: usize = 1 << 20;

/// An MD5 being computed.
#[derive(Default, Clone)]
pub struct Md5Hasher(Md5);

impl Md5Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as `hexdigest()` prints it.
    pub fn finish_hex(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The MD5 of everything `r` yields, and how many bytes that was. Calls
/// `progress` with the count after each block.
pub fn md5_reader(mut r: impl Read, mut progress: impl FnMut(u64)) -> io::Result<(String, u64)> {
    let mut hasher = Md5Hasher::new();
    let mut buf = vec![0u8; BLOCK];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
        progress(total);
    }
    Ok((hasher.finish_hex(), total))
}

/// True for 32 hex digits (either case), the only md5 a header may carry.
pub fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // RFC 1321's test suite.
        for (input, hex) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            let (got, n) = md5_reader(input.as_bytes(), |_| {}).unwrap();
            assert_eq!(got, hex, "{input:?}");
            assert_eq!(n, input.len() as u64);
        }
    }

    #[test]
    fn blocks_and_progress() {
        let data: Vec<u8> = (0..(BLOCK * 2 + 7)).map(|i| (i % 251) as u8).collect();
        let mut seen = Vec::new();
        let (whole, n) = md5_reader(&data[..], |done| seen.push(done)).unwrap();
        let mut h = Md5Hasher::new();
        for piece in data.chunks(1000) {
            h.update(piece);
        }
        assert_eq!(whole, h.finish_hex());
        assert_eq!(n, data.len() as u64);
        assert_eq!(seen.last(), Some(&n));
    }

    #[test]
    fn hex_check() {
        assert!(is_md5_hex("900150983CD24FB0D6963F7D28E17F72"));
        assert!(!is_md5_hex("900150983cd24fb0d6963f7d28e17f7"));
        assert!(!is_md5_hex("g00150983cd24fb0d6963f7d28e17f72"));
    }
}
