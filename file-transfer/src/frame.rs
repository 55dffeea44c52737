//! The framed header of seed 002 §3.2 ("solving sticky packets") and the
//! legacy `name|size` header of `file_client.py` (main lab 2.5), as the file
//! transfer speaks them. (Seed 001's chat sends bare bytes and `ACK`, as
//! its report does, and counts ACKs in the stream instead.)
//!
//! TCP is a byte stream: one `send` may arrive as two `recv`s, and two sends
//! as one. A receiver can only find where a message ends if the sender says
//! so. Seed 002 does it with a fixed-size length in front of a JSON header:
//!
//! ```text
//!  0      4                                                      4+LLLL
//!  +------+------------------------------------------------------+----------------+
//!  | LLLL | {"filename":"a.txt","filesize":5,"md5":"<32 hex>"}   | filesize bytes |
//!  +------+------------------------------------------------------+----------------+
//!    |       the JSON header, UTF-8, exactly LLLL bytes              the file
//!    4 ASCII decimal digits, zero-padded (`0061`): the JSON's length, 0..=9999
//! ```
//!
//! Python writes the length with `str(len(header)).zfill(4)`, which silently
//! writes five digits for a header over 9999 bytes and so breaks the frame;
//! [`write_frame`] refuses instead. A reader allocates at most 9999 bytes for
//! a frame, whatever the peer sends.
//!
//! The same `LLLL` + body frame carries the file server's replies too.
//!
//! End of stream: a clean EOF *between* frames ends the conversation and is
//! not an error (`Ok(None)`); EOF *inside* a frame is [`FrameError::Truncated`].

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Width of the length field, in ASCII digits.
pub const LEN_DIGITS: usize = 4;
/// The largest body four decimal digits can announce.
pub const MAX_BODY: usize = 9999;

/// Why a frame or header could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection ended inside a frame ({got} of {expected} bytes)")]
    Truncated { expected: usize, got: usize },
    #[error("length field is not 4 ASCII digits: {0:?}")]
    BadLength(String),
    #[error("frame body of {0} bytes is over the 9999 that 4 digits can announce")]
    TooLong(usize),
    #[error("header is not valid JSON of the expected shape: {0}")]
    BadJson(serde_json::Error),
    #[error("header md5 is not 32 hex digits: {0:?}")]
    BadMd5(String),
    #[error("legacy header is not `name|size`: {0}")]
    BadLegacy(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<serde_json::Error> for FrameError {
    fn from(e: serde_json::Error) -> Self {
        FrameError::BadJson(e)
    }
}

/// The JSON header that announces a file (seed 002 §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub filename: String,
    /// The exact number of file bytes that follow the header.
    pub filesize: u64,
    /// 32 lowercase hex digits.
    pub md5: String,
}

impl Header {
    /// Parses and checks a header's JSON body.
    pub fn from_json(body: &[u8]) -> Result<Self, FrameError> {
        let mut header: Header = serde_json::from_slice(body)?;
        header.check()?;
        header.md5.make_ascii_lowercase();
        Ok(header)
    }

    /// The JSON body, as `json.dumps` would lay out the same fields.
    pub fn to_json(&self) -> Result<Vec<u8>, FrameError> {
        self.check()?;
        Ok(serde_json::to_vec(self)?)
    }

    fn check(&self) -> Result<(), FrameError> {
        if crate::digest::is_md5_hex(&self.md5) {
            Ok(())
        } else {
            Err(FrameError::BadMd5(self.md5.clone()))
        }
    }
}

/// The four length digits for a body of `len` bytes.
pub fn encode_len(len: usize) -> Result<[u8; LEN_DIGITS], FrameError> {
    if len > MAX_BODY {
        return Err(FrameError::TooLong(len));
    }
    let digits = format!("{len:04}");
    let mut out = [0u8; LEN_DIGITS];
    out.copy_from_slice(digits.as_bytes());
    Ok(out)
}

/// Reads the four length digits back. Exactly four ASCII digits: no sign, no
/// spaces, nothing Python's `int()` would also accept.
pub fn parse_len(field: &[u8]) -> Result<usize, FrameError> {
    if field.len() != LEN_DIGITS || !field.iter().all(u8::is_ascii_digit) {
        return Err(FrameError::BadLength(
            String::from_utf8_lossy(field).into_owned(),
        ));
    }
    Ok(field.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
}

/// Writes one frame: the length digits and the body in a single write, so a
/// small frame leaves in one segment.
pub fn write_frame(mut w: impl Write, body: &[u8]) -> Result<(), FrameError> {
    let len = encode_len(body.len())?;
    let mut frame = Vec::with_capacity(LEN_DIGITS + body.len());
    frame.extend_from_slice(&len);
    frame.extend_from_slice(body);
    w.write_all(&frame)?;
    Ok(())
}

/// Reads one frame's body. `Ok(None)` on a clean EOF before the first byte.
pub fn read_frame(mut r: impl Read) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; LEN_DIGITS];
    let got = read_full(&mut r, &mut len)?;
    if got == 0 {
        return Ok(None);
    }
    if got < LEN_DIGITS {
        return Err(FrameError::Truncated {
            expected: LEN_DIGITS,
            got,
        });
    }
    let body_len = parse_len(&len)?;
    let mut body = vec![0u8; body_len];
    let got = read_full(&mut r, &mut body)?;
    if got < body_len {
        return Err(FrameError::Truncated {
            expected: LEN_DIGITS + body_len,
            got: LEN_DIGITS + got,
        });
    }
    Ok(Some(body))
}

/// Writes a framed header.
pub fn write_header(w: impl Write, header: &Header) -> Result<(), FrameError> {
    write_frame(w, &header.to_json()?)
}

/// Reads a framed header. `Ok(None)` on a clean EOF before it.
pub fn read_header(r: impl Read) -> Result<Option<Header>, FrameError> {
    match read_frame(r)? {
        Some(body) => Header::from_json(&body).map(Some),
        None => Ok(None),
    }
}

/// True when `prefix` starts like a framed header: four digits and `{`.
/// The file server uses it to tell the framed header from `name|size`.
pub fn looks_framed(prefix: &[u8]) -> bool {
    prefix.len() > LEN_DIGITS
        && prefix[..LEN_DIGITS].iter().all(u8::is_ascii_digit)
        && prefix[LEN_DIGITS] == b'{'
}

/// The `name|size` header that `file_client.py` sends, encoded. Refuses a
/// name with a `|`, which the receiver could not split back.
pub fn encode_legacy(name: &str, size: u64) -> Result<Vec<u8>, FrameError> {
    if name.contains('|') {
        return Err(FrameError::BadLegacy(format!("name {name:?} contains '|'")));
    }
    Ok(format!("{name}|{size}").into_bytes())
}

/// Parses `name|size`: UTF-8, exactly one `|`, and a size of ASCII digits
/// that fits a u64. (`file_server.py` gets this from one `recv(1024)`.)
pub fn parse_legacy(bytes: &[u8]) -> Result<(String, u64), FrameError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FrameError::BadLegacy("not UTF-8".into()))?;
    let mut parts = text.split('|');
    let (Some(name), Some(size), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(FrameError::BadLegacy(format!(
            "expected exactly one '|' in {:?}",
            common::text::shorten(text, 80)
        )));
    };
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FrameError::BadLegacy(format!(
            "size {size:?} is not a number"
        )));
    }
    let size = size
        .parse::<u64>()
        .map_err(|_| FrameError::BadLegacy(format!("size {size} is too large")))?;
    Ok((name.to_string(), size))
}

/// Like `read_exact`, but returns how much it got before EOF instead of
/// failing, so callers can tell a clean EOF from a truncated frame.
pub fn read_full(mut r: impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            filename: "a.txt".into(),
            filesize: 5,
            md5: "900150983cd24fb0d6963f7d28e17f72".into(),
        }
    }

    #[test]
    fn exact_encoding() {
        let mut wire = Vec::new();
        write_header(&mut wire, &header()).unwrap();
        let json = br#"{"filename":"a.txt","filesize":5,"md5":"900150983cd24fb0d6963f7d28e17f72"}"#;
        let mut expected = format!("{:04}", json.len()).into_bytes();
        expected.extend_from_slice(json);
        assert_eq!(wire, expected);
        assert_eq!(&wire[..4], b"0074");
    }

    #[test]
    fn round_trip_and_clean_eof_between_frames() {
        let mut wire = Vec::new();
        write_header(&mut wire, &header()).unwrap();
        write_frame(&mut wire, "你好".as_bytes()).unwrap();
        write_frame(&mut wire, b"").unwrap();
        let mut r = &wire[..];
        assert_eq!(read_header(&mut r).unwrap(), Some(header()));
        assert_eq!(
            read_frame(&mut r).unwrap(),
            Some("你好".as_bytes().to_vec())
        );
        assert_eq!(read_frame(&mut r).unwrap(), Some(Vec::new()));
        assert_eq!(read_frame(&mut r).unwrap(), None);
    }

    #[test]
    fn python_json_dumps_is_accepted() {
        // json.dumps puts spaces after ':' and ','.
        let body =
            br#"{"filename": "a.txt", "filesize": 5, "md5": "900150983CD24FB0D6963F7D28E17F72"}"#;
        let h = Header::from_json(body).unwrap();
        assert_eq!(h, header());
    }

    #[test]
    fn truncated_inside_length_or_body() {
        for wire in [&b"00"[..], b"0010{\"a\"", b"0075"] {
            let err = read_frame(wire).unwrap_err();
            assert!(matches!(err, FrameError::Truncated { .. }), "{err}");
        }
    }

    #[test]
    fn bad_digits() {
        for wire in [&b"00a1{}"[..], b"+012{}", b" 12{}", b"-001{"] {
            let err = read_frame(wire).unwrap_err();
            assert!(matches!(err, FrameError::BadLength(_)), "{err}");
        }
    }

    #[test]
    fn bad_json() {
        for body in [
            &b"{"[..],
            b"[]",
            b"{\"filename\":\"a\",\"filesize\":-1,\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
            b"{\"filename\":\"a\",\"filesize\":18446744073709551616,\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
            b"{\"filename\":\"a\",\"filesize\":1.5,\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
            b"{\"filename\":7,\"filesize\":1,\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
            b"{\"filename\":\"a\",\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
        ] {
            let err = Header::from_json(body).unwrap_err();
            assert!(matches!(err, FrameError::BadJson(_)), "{err}");
        }
        let err = Header::from_json(br#"{"filename":"a","filesize":1,"md5":"abc"}"#).unwrap_err();
        assert!(matches!(err, FrameError::BadMd5(_)), "{err}");
    }

    #[test]
    fn oversize_is_refused_on_write_and_bounded_on_read() {
        let err = write_frame(Vec::new(), &vec![b'x'; MAX_BODY + 1]).unwrap_err();
        assert!(matches!(err, FrameError::TooLong(10000)));
        let mut wire = Vec::new();
        write_frame(&mut wire, &vec![b'x'; MAX_BODY]).unwrap();
        assert_eq!(&wire[..4], b"9999");
        assert_eq!(read_frame(&wire[..]).unwrap().unwrap().len(), MAX_BODY);
        let long_name = Header {
            filename: "n".repeat(MAX_BODY),
            ..header()
        };
        assert!(matches!(
            write_header(Vec::new(), &long_name),
            Err(FrameError::TooLong(_))
        ));
    }

    #[test]
    fn sniffing_framed_from_legacy() {
        assert!(looks_framed(b"0075{\"filename\""));
        assert!(!looks_framed(b"a.txt|5"));
        assert!(!looks_framed(b"2024|5"));
        assert!(!looks_framed(b"0075"));
    }

    #[test]
    fn legacy_header() {
        assert_eq!(
            parse_legacy("实验报告.pdf|1234".as_bytes()).unwrap(),
            ("实验报告.pdf".into(), 1234)
        );
        assert_eq!(encode_legacy("a.txt", 5).unwrap(), b"a.txt|5");
        for bad in [
            &b"a.txt"[..],
            b"a|b|5",
            b"a|",
            b"a|-5",
            b"a|5x",
            b"a|99999999999999999999",
            b"\xff|5",
        ] {
            assert!(
                matches!(parse_legacy(bad), Err(FrameError::BadLegacy(_))),
                "{bad:?}"
            );
        }
        assert!(encode_legacy("a|b", 1).is_err());
    }
}

/// Property tests: any bytes at all, from a hostile peer, give a result or
/// an error, never a panic, and never a frame longer than 4 digits allow.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn read_frame_never_panics(wire in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some(body)) = read_frame(&wire[..]) {
                prop_assert!(body.len() <= MAX_BODY);
                prop_assert!(wire.len() >= body.len() + LEN_DIGITS);
            }
        }

        #[test]
        fn digits_then_anything(len in 0usize..10_000, body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut wire = format!("{len:04}").into_bytes();
            wire.extend_from_slice(&body);
            match read_frame(&wire[..]) {
                Ok(Some(b)) => prop_assert_eq!(b.len(), len),
                Ok(None) => prop_assert!(false, "not empty"),
                Err(e) => prop_assert!(matches!(e, FrameError::Truncated { .. }), "{}", e),
            }
        }

        #[test]
        fn headers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Header::from_json(&body);
            let _ = parse_legacy(&body);
        }

        #[test]
        fn json_shaped_headers_never_panic(
            name in ".{0,40}",
            size in any::<i128>(),
            md5 in "[0-9a-fA-Fg-z]{0,40}",
        ) {
            let json = format!(r#"{{"filename":{},"filesize":{size},"md5":"{md5}"}}"#, serde_json::to_string(&name).unwrap());
            if let Ok(h) = Header::from_json(json.as_bytes()) {
                prop_assert!(crate::digest::is_md5_hex(&h.md5));
                prop_assert_eq!(i128::from(h.filesize), size);
            }
        }

        #[test]
        fn headers_round_trip(name in "\\PC{0,60}", size in any::<u64>(), md5 in "[0-9a-f]{32}") {
            let header = Header { filename: name, filesize: size, md5 };
            let mut wire = Vec::new();
            write_header(&mut wire, &header).unwrap();
            prop_assert_eq!(read_header(&wire[..]).unwrap(), Some(header));
        }
    }
}
