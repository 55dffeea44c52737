//! MD5 as the framed header carries it (seed 002 §3.2): 32 lowercase hex
//! digits. md5 detects accidental damage in transit, not tampering (see
//! README, "Safety").
//!
//! Why this file computes MD5 itself instead of calling the md-5 crate: with
//! md5 in the header, an upload cannot finish faster than hashing the file
//! twice (the sender before the header, the receiver again), so the hash
//! speed *is* the upload speed (file-transfer's speed target, BENCHMARKS.md).
//! md-5 0.11's portable code runs about 15 % slower than `md5sum` on this
//! lab's x86-64 machines, because the optimizer adds each step's constant
//! *after* the round function, one more add on the only dependency chain
//! MD5 has. [`compress`] is RFC 1321's algorithm, unchanged, written so that
//! the sum `a + M[g] + K[i]` is ready before the round function is: then
//! only the round function, one add, the rotation and one more add wait on
//! the previous step. The md-5 crate stays as the oracle: the tests below
//! check this code against it on random inputs cut at random places.

use std::io::{self, Read};

/// Bytes in one MD5 block.
const BLOCK: usize = 64;

/// RFC 1321's initial state (A, B, C, D).
const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// `K[i] = floor(abs(sin(i + 1)) * 2^32)`, RFC 1321 §3.4.
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// An MD5 being computed over a stream of chunks.
#[derive(Clone)]
pub struct Md5Hasher {
    state: [u32; 4],
    /// Bytes hashed so far; MD5 appends it, in bits, modulo 2^64.
    len: u64,
    /// The start of a block that is not complete yet.
    pending: [u8; BLOCK],
    pending_len: usize,
}

impl Default for Md5Hasher {
    fn default() -> Self {
        Self {
            state: INIT,
            len: 0,
            pending: [0; BLOCK],
            pending_len: 0,
        }
    }
}

impl Md5Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < BLOCK {
                return;
            }
            compress(&mut self.state, std::slice::from_ref(&self.pending));
            self.pending_len = 0;
        }
        // Whole blocks straight from the caller's buffer, no copy.
        let (blocks, rest) = bytes.as_chunks::<BLOCK>();
        compress(&mut self.state, blocks);
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The digest as 32 lowercase hex digits.
    pub fn finish_hex(self) -> String {
        hex(&self.finish())
    }

    /// The 16 digest bytes. Padding (RFC 1321 §3.1–3.2): a 1 bit, zeros up
    /// to 56 bytes into a block, then the message length in bits, little
    /// endian.
    fn finish(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [0u8; 2 * BLOCK];
        tail[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        tail[self.pending_len] = 0x80;
        let end = if self.pending_len < BLOCK - 8 {
            BLOCK
        } else {
            2 * BLOCK
        };
        tail[end - 8..end].copy_from_slice(&bits.to_le_bytes());
        let (blocks, _) = tail[..end].as_chunks::<BLOCK>();
        compress(&mut self.state, blocks);
        let mut out = [0u8; 16];
        for (o, word) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

/// One step: `a = b + ((a + M[g] + K[i] + f(b, c, d)) <<< s)`. `mk` is
/// `M[g] + K[i]`, computed by the caller before `f` is known.
#[inline(always)]
fn step(f: u32, a: u32, b: u32, mk: u32, s: u32) -> u32 {
    a.wrapping_add(mk)
        .wrapping_add(f)
        .rotate_left(s)
        .wrapping_add(b)
}

/// RFC 1321 §3.4 over whole blocks.
fn compress(state: &mut [u32; 4], blocks: &[[u8; BLOCK]]) {
    // Read through an opaque reference, the constants are memory loads the
    // optimizer adds to the message words early, rather than immediates it
    // would move after the round function (see the module comment).
    let k: &[u32; 64] = std::hint::black_box(&K);
    for block in blocks {
        let mut m = [0u32; 16];
        for (w, bytes) in m.iter_mut().zip(block.as_chunks::<4>().0) {
            *w = u32::from_le_bytes(*bytes);
        }
        let [mut a, mut b, mut c, mut d] = *state;
        // The four rounds; each line is four steps, rotating (a, b, c, d).
        // The round functions are in the forms with the shortest path from
        // b, the value the previous step just produced.
        macro_rules! steps {
            ($f:expr, $i:expr, [$g0:expr, $g1:expr, $g2:expr, $g3:expr], [$s0:expr, $s1:expr, $s2:expr, $s3:expr]) => {
                a = step($f(b, c, d), a, b, m[$g0].wrapping_add(k[$i]), $s0);
                d = step($f(a, b, c), d, a, m[$g1].wrapping_add(k[$i + 1]), $s1);
                c = step($f(d, a, b), c, d, m[$g2].wrapping_add(k[$i + 2]), $s2);
                b = step($f(c, d, a), b, c, m[$g3].wrapping_add(k[$i + 3]), $s3);
            };
        }
        let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
        // (x & z) and (y & !z) share no bits, so | is +, and y & !z is ready early.
        let g = |x: u32, y: u32, z: u32| (y & !z).wrapping_add(x & z);
        let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
        let i = |x: u32, y: u32, z: u32| y ^ (x | !z);
        steps!(f, 0, [0, 1, 2, 3], [7, 12, 17, 22]);
        steps!(f, 4, [4, 5, 6, 7], [7, 12, 17, 22]);
        steps!(f, 8, [8, 9, 10, 11], [7, 12, 17, 22]);
        steps!(f, 12, [12, 13, 14, 15], [7, 12, 17, 22]);
        steps!(g, 16, [1, 6, 11, 0], [5, 9, 14, 20]);
        steps!(g, 20, [5, 10, 15, 4], [5, 9, 14, 20]);
        steps!(g, 24, [9, 14, 3, 8], [5, 9, 14, 20]);
        steps!(g, 28, [13, 2, 7, 12], [5, 9, 14, 20]);
        steps!(h, 32, [5, 8, 11, 14], [4, 11, 16, 23]);
        steps!(h, 36, [1, 4, 7, 10], [4, 11, 16, 23]);
        steps!(h, 40, [13, 0, 3, 6], [4, 11, 16, 23]);
        steps!(h, 44, [9, 12, 15, 2], [4, 11, 16, 23]);
        steps!(i, 48, [0, 7, 14, 5], [6, 10, 15, 21]);
        steps!(i, 52, [12, 3, 10, 1], [6, 10, 15, 21]);
        steps!(i, 56, [8, 15, 6, 13], [6, 10, 15, 21]);
        steps!(i, 60, [4, 11, 2, 9], [6, 10, 15, 21]);
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
}

/// Bytes per read in [`md5_reader`]: small enough that a read and the
/// hashing of it stay in the core's L2 cache.
const READ_CHUNK: usize = 256 << 10;

/// Hashes everything `reader` yields and returns the digest and the number
/// of bytes hashed.
pub fn md5_reader(mut reader: impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Md5Hasher::new();
    let mut buf = vec![0u8; READ_CHUNK];
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
    use md5::Digest;
    use proptest::prelude::*;

    fn ours(parts: &[&[u8]]) -> String {
        let mut h = Md5Hasher::new();
        for p in parts {
            h.update(p);
        }
        h.finish_hex()
    }

    fn oracle(bytes: &[u8]) -> String {
        hex(&md5::Md5::digest(bytes))
    }

    #[test]
    fn rfc_1321_test_suite() {
        // RFC 1321 appendix A.5.
        let suite: [(&str, &str); 7] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in suite {
            assert_eq!(ours(&[input.as_bytes()]), want, "md5({input:?})");
        }
        assert_eq!(ours(&[b"a", b"bc"]), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn every_padding_boundary_matches_the_oracle() {
        // 55, 56 and 64 bytes change how many padding blocks there are.
        let data: Vec<u8> = (0..=300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(ours(&[&data[..len]]), oracle(&data[..len]), "length {len}");
        }
    }

    #[test]
    fn reader_counts_and_hashes_across_reads() {
        let data: Vec<u8> = (0..3 * READ_CHUNK + 17).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            md5_reader(&data[..]).unwrap(),
            (oracle(&data), data.len() as u64)
        );
    }

    proptest! {
        #[test]
        fn matches_the_md5_crate_however_the_input_is_cut(
            data in proptest::collection::vec(any::<u8>(), 0..2000),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
            at.sort_unstable();
            let mut parts = Vec::new();
            let mut from = 0;
            for to in at {
                parts.push(&data[from..to]);
                from = to;
            }
            parts.push(&data[from..]);
            prop_assert_eq!(ours(&parts), oracle(&data));
        }
    }

    #[test]
    fn md5_hex_shape() {
        assert!(is_md5_hex("900150983cd24fb0d6963f7d28e17f72"));
        assert!(!is_md5_hex("900150983cd24fb0d6963f7d28e17f7"));
        assert!(!is_md5_hex("900150983cd24fb0d6963f7d28e17f7g"));
    }
}
