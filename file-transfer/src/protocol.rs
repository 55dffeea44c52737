//! What the file client and server say to each other, upload and download.
//! The byte-level description, with examples, is PROTOCOL.md beside this
//! crate; the framing itself is `crate::frame`.
//!
//! A connection starts with one request from the client, in one of two
//! dialects, told apart by its first bytes:
//!
//! * **framed** (seed 002 §3.2): `LLLL{json}`, four digits then `{`. The JSON
//!   is a [`Header`] (an upload) or `{"get": NAME}` (a download). Every
//!   server reply is a frame too, whose JSON is a [`Reply`].
//! * **legacy** (`file_client.py`): `name|size` in one send, and plain-text
//!   replies, so the original client and server keep working.

use crate::frame::{self, FrameError, Header, LEN_DIGITS};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// `file_server.py` reads the legacy header with one `recv(1024)`.
pub const LEGACY_RECV: usize = 1024;

/// Which header format a peer speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Framed,
    Legacy,
}

/// A file announced for upload. `md5` is `None` in the legacy dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub filename: String,
    pub filesize: u64,
    pub md5: Option<String>,
}

/// What a client asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Upload(Upload),
    Download { filename: String },
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

/// The dialect whose request starts with `first`.
pub fn dialect_of(first: &[u8]) -> Dialect {
    if frame::looks_framed(first) {
        Dialect::Framed
    } else {
        Dialect::Legacy
    }
}

/// Completes and parses the request that starts with `first`, the bytes of
/// the server's first `recv(1024)`, and tells its dialect. Returns both
/// with whatever bytes came after the request (the start of the data).
///
/// A legacy client sends `name|size` in one send and then waits for the
/// answer, so `first` is all of it. A framed request may be longer than
/// one read: the rest of its frame is read from `r`. (A framed request cut
/// before its `{` arrived is completed first, so that it is not taken for
/// a legacy one.)
pub fn read_request(
    r: &mut impl Read,
    mut first: Vec<u8>,
) -> Result<(Dialect, Request, Vec<u8>), FrameError> {
    while first.len() <= LEN_DIGITS && first.iter().all(u8::is_ascii_digit) {
        let mut more = [0u8; LEN_DIGITS + 1];
        match read_some(r, &mut more[..=LEN_DIGITS - first.len()])? {
            0 => break,
            m => first.extend_from_slice(&more[..m]),
        }
    }
    if dialect_of(&first) == Dialect::Legacy {
        let (filename, filesize) = frame::parse_legacy(&first)?;
        let upload = Upload {
            filename,
            filesize,
            md5: None,
        };
        return Ok((Dialect::Legacy, Request::Upload(upload), Vec::new()));
    }
    let need = LEN_DIGITS + frame::parse_len(&first[..LEN_DIGITS])?;
    let have = first.len();
    if have < need {
        first.resize(need, 0);
        let got = frame::read_full(&mut *r, &mut first[have..])?;
        if have + got < need {
            return Err(FrameError::Truncated {
                expected: need,
                got: have + got,
            });
        }
    }
    let rest = first.split_off(need);
    Ok((Dialect::Framed, parse_request(&first[LEN_DIGITS..])?, rest))
}

/// Parses a framed request's JSON: a download `{"get": NAME}` or an upload
/// header.
pub fn parse_request(body: &[u8]) -> Result<Request, FrameError> {
    let value: serde_json::Value = serde_json::from_slice(body)?;
    if value.get("get").is_some() {
        let get: Get = serde_json::from_value(value)?;
        return Ok(Request::Download { filename: get.get });
    }
    let header = Header::from_json(body)?;
    Ok(Request::Upload(Upload {
        filename: header.filename,
        filesize: header.filesize,
        md5: Some(header.md5),
    }))
}

/// Writes a download request.
pub fn write_get(w: impl Write, filename: &str) -> Result<(), FrameError> {
    let body = serde_json::to_vec(&Get {
        get: filename.to_string(),
    })?;
    frame::write_frame(w, &body)
}

/// Writes a server reply: a framed [`Reply`], or the bare text in the legacy
/// dialect.
pub fn write_reply(
    mut w: impl Write,
    dialect: Dialect,
    ok: bool,
    message: &str,
) -> Result<(), FrameError> {
    match dialect {
        Dialect::Framed => {
            let body = serde_json::to_vec(&Reply {
                ok,
                message: message.to_string(),
            })?;
            frame::write_frame(w, &body)
        }
        Dialect::Legacy => Ok(w.write_all(message.as_bytes())?),
    }
}

/// Reads a framed [`Reply`].
pub fn read_reply(r: impl Read) -> Result<Reply, FrameError> {
    let body = frame::read_frame(r)?.ok_or(FrameError::Truncated {
        expected: LEN_DIGITS,
        got: 0,
    })?;
    Ok(serde_json::from_slice(&body)?)
}

/// What the server answers a download request with.
#[derive(Debug)]
pub enum Answer {
    File(Header),
    Refused(Reply),
}

/// Reads the answer to a download request: a file header or a refusal.
pub fn read_answer(r: impl Read) -> Result<Answer, FrameError> {
    let body = frame::read_frame(r)?.ok_or(FrameError::Truncated {
        expected: LEN_DIGITS,
        got: 0,
    })?;
    let value: serde_json::Value = serde_json::from_slice(&body)?;
    if value.get("ok").is_some() {
        Ok(Answer::Refused(serde_json::from_value(value)?))
    } else {
        Ok(Answer::File(Header::from_json(&body)?))
    }
}

fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's first `recv(1024)`.
    fn first_read(r: &mut impl Read) -> Vec<u8> {
        let mut buf = vec![0u8; LEGACY_RECV];
        let n = r.read(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    fn request(wire: &[u8]) -> Result<(Request, Vec<u8>), FrameError> {
        let mut r = wire;
        let first = first_read(&mut r);
        read_request(&mut r, first).map(|(_, request, rest)| (request, rest))
    }

    #[test]
    fn a_framed_header_cut_before_its_brace_is_not_taken_for_legacy() {
        let mut wire = Vec::new();
        write_get(&mut wire, "a.txt").unwrap();
        // The first read gets only "00".
        let mut r = wire[..2].chain(&wire[2..]);
        let first = first_read(&mut r);
        assert_eq!(first, b"00");
        let (dialect, request, _) = read_request(&mut r, first).unwrap();
        assert_eq!(dialect, Dialect::Framed);
        assert_eq!(
            request,
            Request::Download {
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
        frame::write_header(&mut wire, &header).unwrap();
        wire.extend_from_slice(b"abc");
        let (req, rest) = request(&wire).unwrap();
        assert_eq!(
            req,
            Request::Upload(Upload {
                filename: "a.txt".into(),
                filesize: 3,
                md5: Some(header.md5),
            })
        );
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
        frame::write_header(&mut wire, &header).unwrap();
        let (req, rest) = request(&wire).unwrap();
        assert!(matches!(req, Request::Upload(u) if u.filename == header.filename));
        assert!(rest.is_empty());
    }

    #[test]
    fn legacy_and_download_requests() {
        let (req, _) = request("实验报告.pdf|12".as_bytes()).unwrap();
        assert!(matches!(
            req,
            Request::Upload(Upload {
                md5: None,
                filesize: 12,
                ..
            })
        ));
        let mut wire = Vec::new();
        write_get(&mut wire, "a.txt").unwrap();
        assert_eq!(&wire[4..], br#"{"get":"a.txt"}"#);
        let (req, _) = request(&wire).unwrap();
        assert_eq!(
            req,
            Request::Download {
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
        ] {
            assert!(
                request(wire).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        assert!(request(b"").is_err());
    }

    #[test]
    fn replies_round_trip() {
        let mut wire = Vec::new();
        write_reply(&mut wire, Dialect::Framed, false, "no").unwrap();
        assert_eq!(
            read_reply(&wire[..]).unwrap(),
            Reply {
                ok: false,
                message: "no".into()
            }
        );
        assert!(matches!(
            read_answer(&wire[..]).unwrap(),
            Answer::Refused(_)
        ));
        let mut legacy = Vec::new();
        write_reply(&mut legacy, Dialect::Legacy, true, "a.txt已发送").unwrap();
        assert_eq!(legacy, "a.txt已发送".as_bytes());
    }
}

/// Property tests: whatever a hostile client sends first, reading the
/// request gives a request or an error, never a panic.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_first_bytes(wire in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut r = &wire[..];
            let mut first = vec![0u8; LEGACY_RECV];
            let n = r.read(&mut first).unwrap();
            first.truncate(n);
            let _ = read_request(&mut r, first);
        }

        #[test]
        fn framed_prefix_then_anything(len in 0usize..10_000, rest in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut wire = format!("{len:04}{{").into_bytes();
            wire.extend_from_slice(&rest);
            let mut r = &wire[..];
            let mut first = vec![0u8; LEGACY_RECV];
            let n = r.read(&mut first).unwrap();
            first.truncate(n);
            prop_assert_eq!(dialect_of(&first), Dialect::Framed);
            let _ = read_request(&mut r, first);
        }
    }
}
