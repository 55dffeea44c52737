//! What the file client and server say, as pure code over bytes, `Read`
//! and `Write`: seed 002 §3.2's framed header ("solving sticky packets"),
//! `file_client.py`'s `name|size` (main lab 2.5), and the replies.
//! `file-transfer/PROTOCOL.md` walks through whole conversations.
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
//! Python's `str(len(header)).zfill(4)` silently writes five digits for a
//! header over 9999 bytes, which breaks the frame; [`write_frame`] refuses.
//! The same frame carries a download request, `{"get":NAME}`, and each
//! framed reply, `{"ok":true,"message":TEXT}`. Four digits and `{` tell a
//! frame from `name|size`, which `file_client.py` sends in one `send`.
//! A clean EOF *between* frames is not an error (`Ok(None)`); EOF *inside*
//! one is [`FrameError::Truncated`].

use md5::{Digest, Md5};
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
    BadJson(#[from] serde_json::Error),
    #[error("header md5 is not 32 hex digits: {0:?}")]
    BadMd5(String),
    #[error("legacy header is not `name|size`: {0}")]
    BadLegacy(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The JSON header that announces a file (seed 002 §3.2); `filesize` bytes
/// follow it, and `md5` is 32 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub filename: String,
    pub filesize: u64,
    pub md5: String,
}

impl Header {
    /// Parses and checks a header's JSON body (Python's `json.dumps`
    /// layout, with spaces, included).
    pub fn from_json(body: &[u8]) -> Result<Self, FrameError> {
        let mut header: Header = serde_json::from_slice(body)?;
        if !is_md5_hex(&header.md5) {
            return Err(FrameError::BadMd5(header.md5));
        }
        header.md5.make_ascii_lowercase();
        Ok(header)
    }
}

/// What a client's first bytes ask for: the server's three handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The framed header: an upload with its md5 (seed 002 §3.2).
    Upload(Header),
    /// `name|size`: `file_client.py`'s upload, without md5.
    Legacy { filename: String, filesize: u64 },
    /// `{"get":NAME}`: a checked download (seed 003 五, framed).
    Get { filename: String },
}

/// The body of every framed server reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub ok: bool,
    pub message: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Get {
    get: String,
}

/// What the server answers a download request with.
#[derive(Debug)]
pub enum Answer {
    File(Header),
    Refused(Reply),
}

/// The four length digits for a body of `len` bytes.
pub fn encode_len(len: usize) -> Result<[u8; LEN_DIGITS], FrameError> {
    let digits = format!("{len:04}");
    digits
        .as_bytes()
        .try_into()
        .map_err(|_| FrameError::TooLong(len))
}

/// Reads the four length digits back: exactly four ASCII digits, no sign,
/// no spaces, nothing else Python's `int()` would also accept.
fn parse_len(field: &[u8]) -> Result<usize, FrameError> {
    match field.iter().all(u8::is_ascii_digit) && field.len() == LEN_DIGITS {
        true => Ok(field.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'))),
        false => Err(FrameError::BadLength(String::from_utf8_lossy(field).into())),
    }
}

/// One frame, length digits and body together, so that a small frame
/// leaves in one segment.
pub fn frame(body: &[u8]) -> Result<Vec<u8>, FrameError> {
    Ok([&encode_len(body.len())?[..], body].concat())
}

/// Writes one frame.
pub fn write_frame(mut w: impl Write, body: &[u8]) -> Result<(), FrameError> {
    Ok(w.write_all(&frame(body)?)?)
}

/// Reads one frame's body. `Ok(None)` on a clean EOF before the first byte.
pub fn read_frame(mut r: impl Read) -> Result<Option<Vec<u8>>, FrameError> {
    // `take(n).read_to_end` reads n bytes or up to EOF, whichever is first.
    let mut len = Vec::new();
    match (&mut r).take(LEN_DIGITS as u64).read_to_end(&mut len)? {
        0 => return Ok(None),
        got if got < LEN_DIGITS => {
            return Err(FrameError::Truncated {
                expected: LEN_DIGITS,
                got,
            });
        }
        _ => {}
    }
    let expected = parse_len(&len)?;
    let mut body = Vec::new();
    match r.take(expected as u64).read_to_end(&mut body)? {
        got if got < expected => {
            let (expected, got) = (LEN_DIGITS + expected, LEN_DIGITS + got);
            Err(FrameError::Truncated { expected, got })
        }
        _ => Ok(Some(body)),
    }
}

/// A framed header, ready to send.
pub fn encode_header(header: &Header) -> Result<Vec<u8>, FrameError> {
    if !is_md5_hex(&header.md5) {
        return Err(FrameError::BadMd5(header.md5.clone()));
    }
    frame(&serde_json::to_vec(header)?)
}

/// Writes a framed header.
pub fn write_header(mut w: impl Write, header: &Header) -> Result<(), FrameError> {
    Ok(w.write_all(&encode_header(header)?)?)
}

/// Reads a framed header. `Ok(None)` on a clean EOF before it.
pub fn read_header(r: impl Read) -> Result<Option<Header>, FrameError> {
    read_frame(r)?
        .map(|body| Header::from_json(&body))
        .transpose()
}

/// True when `prefix` starts like a frame: four digits and `{`.
pub fn looks_framed(prefix: &[u8]) -> bool {
    prefix.len() > LEN_DIGITS
        && prefix[..LEN_DIGITS].iter().all(u8::is_ascii_digit)
        && prefix[LEN_DIGITS] == b'{'
}

/// How many more bytes the request that starts with `first` needs before
/// it can be parsed: `name|size` comes in one send (0 more), a framed one
/// may not, and one cut before its `{` must not be taken for `name|size`.
pub fn missing(first: &[u8]) -> Result<usize, FrameError> {
    if first.len() <= LEN_DIGITS && first.iter().all(u8::is_ascii_digit) {
        return Ok(LEN_DIGITS + 1 - first.len());
    }
    match looks_framed(first) {
        true => Ok((LEN_DIGITS + parse_len(&first[..LEN_DIGITS])?).saturating_sub(first.len())),
        false => Ok(0),
    }
}

/// Parses a whole request (see [`missing`]), and returns it with the bytes
/// that came after it: the start of the file.
pub fn parse_request(wire: &[u8]) -> Result<(Request, &[u8]), FrameError> {
    if !looks_framed(wire) {
        let (filename, filesize) = parse_legacy(wire)?;
        return Ok((Request::Legacy { filename, filesize }, &[]));
    }
    let end = LEN_DIGITS + parse_len(&wire[..LEN_DIGITS])?;
    let body = wire.get(LEN_DIGITS..end);
    let body = body.ok_or(FrameError::Truncated {
        expected: end,
        got: wire.len(),
    })?;
    let value: serde_json::Value = serde_json::from_slice(body)?;
    let request = match value.get("get") {
        Some(_) => Request::Get {
            filename: serde_json::from_value::<Get>(value)?.get,
        },
        None => Request::Upload(Header::from_json(body)?),
    };
    Ok((request, &wire[end..]))
}

/// A server reply: a framed [`Reply`], or the bare text to a `name|size`
/// client. A reply too long for a frame is cut to fit.
pub fn reply(framed: bool, ok: bool, message: &str) -> Vec<u8> {
    if !framed {
        return message.as_bytes().to_vec();
    }
    let message = crate::text::shorten(message, 1000).to_string();
    let body = serde_json::to_vec(&Reply { ok, message });
    // Cannot fail: two plain fields, at most 1000 characters (6000 bytes, escaped).
    frame(&body.unwrap_or_default()).unwrap_or_default()
}

/// Reads one whole frame: EOF before it is truncation too.
fn read_body(r: impl Read) -> Result<Vec<u8>, FrameError> {
    read_frame(r)?.ok_or(FrameError::Truncated {
        expected: LEN_DIGITS,
        got: 0,
    })
}

/// Reads a framed [`Reply`].
pub fn read_reply(r: impl Read) -> Result<Reply, FrameError> {
    Ok(serde_json::from_slice(&read_body(r)?)?)
}

/// Writes a download request.
pub fn write_get(w: impl Write, filename: &str) -> Result<(), FrameError> {
    write_frame(
        w,
        &serde_json::to_vec(&Get {
            get: filename.into(),
        })?,
    )
}

/// Reads the answer to a download request: a file header or a refusal.
pub fn read_answer(r: impl Read) -> Result<Answer, FrameError> {
    let body = read_body(r)?;
    match serde_json::from_slice::<Reply>(&body) {
        Ok(reply) => Ok(Answer::Refused(reply)),
        Err(_) => Ok(Answer::File(Header::from_json(&body)?)),
    }
}

/// The `name|size` header that `file_client.py` sends. Refuses a name with
/// a `|`, which the receiver could not split back.
pub fn encode_legacy(name: &str, size: u64) -> Result<Vec<u8>, FrameError> {
    match name.contains('|') {
        true => Err(FrameError::BadLegacy(format!("name {name:?} contains '|'"))),
        false => Ok(format!("{name}|{size}").into_bytes()),
    }
}

/// Parses `name|size`: UTF-8, exactly one `|`, and a size of ASCII digits
/// that fits a u64.
pub fn parse_legacy(bytes: &[u8]) -> Result<(String, u64), FrameError> {
    let bad = |why: String| FrameError::BadLegacy(why);
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8".into()))?;
    let Some((name, size)) = text.split_once('|').filter(|(_, size)| !size.contains('|')) else {
        let text = crate::text::shorten(text, 80);
        return Err(bad(format!("expected exactly one '|' in {text:?}")));
    };
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("size {size:?} is not a number")));
    }
    let size = size
        .parse()
        .map_err(|_| bad(format!("size {size} is too large")))?;
    Ok((name.to_string(), size))
}

/// An md5 as the header carries it and `hexdigest()` prints it: 32
/// lowercase hex digits.
pub fn md5_hex(md5: Md5) -> String {
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The md5 of everything `r` yields, 1 MiB at a time, and how many bytes
/// that was; `progress` hears the count after each block.
pub fn md5_reader(mut r: impl Read, mut progress: impl FnMut(u64)) -> io::Result<(String, u64)> {
    let (mut md5, mut buf, mut total) = (Md5::new(), vec![0u8; 1 << 20], 0);
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok((md5_hex(md5), total)),
            Ok(n) => {
                md5.update(&buf[..n]);
                total += n as u64;
                progress(total);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// True for 32 hex digits (either case), the only md5 a header may carry.
pub fn is_md5_hex(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
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
                prop_assert!(is_md5_hex(&h.md5));
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

#[cfg(test)]
mod requests {
    use super::*;

    /// What the file server does with `wire`: one recv of up to 1024
    /// bytes, then more until [`missing`] says the request is whole.
    pub(super) fn request(wire: &[u8]) -> Result<(Request, Vec<u8>), FrameError> {
        let mut have = wire.len().min(1024);
        while let Ok(more) = missing(&wire[..have]) {
            if more == 0 || have == wire.len() {
                break;
            }
            have = (have + more).min(wire.len());
        }
        if missing(&wire[..have])? > 0 {
            return Err(FrameError::Truncated {
                expected: have + 1,
                got: have,
            });
        }
        let (request, rest) = parse_request(&wire[..have])?;
        let mut rest = rest.to_vec();
        rest.extend_from_slice(&wire[have..]);
        Ok((request, rest))
    }

    #[test]
    fn a_framed_header_cut_before_its_brace_is_not_taken_for_legacy() {
        let mut wire = Vec::new();
        write_get(&mut wire, "a.txt").unwrap();
        // The first read got only "00": three more bytes are needed first.
        assert_eq!(missing(b"00").unwrap(), 3);
        assert_eq!(missing(&wire[..5]).unwrap(), wire.len() - 5);
        let (request, _) = parse_request(&wire).unwrap();
        assert_eq!(
            request,
            Request::Get {
                filename: "a.txt".into()
            }
        );
    }

    #[test]
    fn framed_upload_with_data_behind_it() {
        let header = Header {
            filename: "a.txt".into(),
            filesize: 3,
            md5: "900150983cd24fb0d6963f7d28e17f72".into(),
        };
        let mut wire = Vec::new();
        write_header(&mut wire, &header).unwrap();
        wire.extend_from_slice(b"abc");
        let (req, rest) = request(&wire).unwrap();
        assert_eq!(req, Request::Upload(header));
        assert_eq!(rest, b"abc");
    }

    #[test]
    fn a_header_longer_than_the_first_read() {
        let header = Header {
            filename: "长".repeat(1000),
            filesize: 1,
            md5: "900150983cd24fb0d6963f7d28e17f72".into(),
        };
        let mut wire = Vec::new();
        write_header(&mut wire, &header).unwrap();
        assert!(missing(&wire[..1024]).unwrap() > 0);
        let (req, rest) = request(&wire).unwrap();
        assert!(matches!(req, Request::Upload(u) if u.filename == header.filename));
        assert!(rest.is_empty());
    }

    #[test]
    fn legacy_and_download_requests() {
        let (req, _) = request("实验报告.pdf|12".as_bytes()).unwrap();
        assert_eq!(
            req,
            Request::Legacy {
                filename: "实验报告.pdf".into(),
                filesize: 12
            }
        );
        let mut wire = Vec::new();
        write_get(&mut wire, "a.txt").unwrap();
        assert_eq!(&wire[4..], br#"{"get":"a.txt"}"#);
        let (req, _) = request(&wire).unwrap();
        assert_eq!(
            req,
            Request::Get {
                filename: "a.txt".into()
            }
        );
    }

    #[test]
    fn hostile_requests() {
        for wire in [
            &b"0010{\"get\":"[..],
            b"0005{\"a\":",
            b"0002{}",
            b"0003{\"}",
            b"a|b|5",
            b"a.txt|-1",
            b"a.txt",
            b"",
        ] {
            assert!(
                request(wire).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn replies_round_trip() {
        let wire = reply(true, false, "no");
        let expected = Reply {
            ok: false,
            message: "no".into(),
        };
        assert_eq!(read_reply(&wire[..]).unwrap(), expected);
        assert!(matches!(
            read_answer(&wire[..]).unwrap(),
            Answer::Refused(_)
        ));
        assert_eq!(reply(false, true, "a.txt已发送"), "a.txt已发送".as_bytes());
        // A reply longer than a frame allows is cut, never refused.
        let long = reply(true, false, &"\u{1}".repeat(20_000));
        assert!(read_reply(&long[..]).unwrap().message.ends_with('…'));
    }
}

/// Property tests: whatever a hostile client sends first, reading the
/// request gives a request or an error, never a panic.
#[cfg(test)]
mod request_fuzz {
    use super::requests::request;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_first_bytes(wire in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = request(&wire);
        }

        #[test]
        fn framed_prefix_then_anything(len in 0usize..10_000, rest in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut wire = format!("{len:04}{{").into_bytes();
            wire.extend_from_slice(&rest);
            prop_assert!(super::looks_framed(&wire));
            let _ = request(&wire);
        }
    }
}
