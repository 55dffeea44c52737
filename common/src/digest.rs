//! MD5 as the framed header carries it: 32 lowercase hex digits. md5 detects
//! accidental damage in transit, not tampering (see README, "Safety").

use md5::{Digest, Md5};
use std::io::{self, Read};

/// An MD5 being computed over a stream of chunks.
#[derive(Default, Clone)]
pub struct Md5Hasher(Md5);

impl Md5Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as 32 lowercase hex digits.
    pub fn finish_hex(self) -> String {
        hex(&self.0.finalize())
    }
}

/// Hashes everything `reader` yields, in 1 MiB reads, and returns the digest
/// and the number of bytes hashed.
pub fn md5_reader(mut reader: impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Md5Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hasher.finish_hex(), total))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

/// True for exactly 32 hex digits, as the header's `md5` field must be.
pub fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            md5_reader(&b""[..]).unwrap(),
            ("d41d8cd98f00b204e9800998ecf8427e".to_string(), 0)
        );
        let mut h = Md5Hasher::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish_hex(), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn md5_hex_shape() {
        assert!(is_md5_hex("900150983cd24fb0d6963f7d28e17f72"));
        assert!(!is_md5_hex("900150983cd24fb0d6963f7d28e17f7"));
        assert!(!is_md5_hex("900150983cd24fb0d6963f7d28e17f7g"));
    }
}
