//! Why a transfer failed. Every variant reads as one line that can be shown
//! to the user and sent to the peer.

use crate::frame::FrameError;
use crate::store::NameError;
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("bad header: {0}")]
    Header(FrameError),
    #[error("name not allowed: {0}")]
    Name(NameError),
    #[error("file of {size} bytes is over the server's limit of {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("connection ended after {got} of {expected} bytes")]
    Truncated { got: u64, expected: u64 },
    #[error("the peer sent more bytes than the {expected} it announced")]
    ExtraBytes { expected: u64 },
    #[error("md5 mismatch: announced {expected}, received {actual}")]
    Md5Mismatch { expected: String, actual: String },
    #[error("no such file: {0}")]
    NotFound(String),
    #[error("not allowed: {0} leads outside the served folder")]
    Outside(String),
    #[error("the peer sent nothing for too long")]
    Idle,
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("refused by the server: {0}")]
    Refused(String),
    #[error("the server closed the connection without a reply")]
    NoReply,
    #[error("the file changed while it was being read")]
    FileChanged,
    /// The server's answer to the framed header was not a framed reply:
    /// it speaks another protocol (what it said is kept).
    #[error(
        "the server did not answer the framed header (seed 002 §3.2) with a framed reply; it said {0:?}"
    )]
    NotFramed(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

// The causes are part of each message (it is also what the peer is told),
// so they are not chained as `source` too, which would print them twice.
impl From<FrameError> for TransferError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Io(e) => TransferError::from_socket(e),
            e => TransferError::Header(e),
        }
    }
}

impl From<NameError> for TransferError {
    fn from(e: NameError) -> Self {
        TransferError::Name(e)
    }
}

impl TransferError {
    /// Sorts an I/O error from the socket: a timeout means an idle peer.
    pub fn from_socket(e: io::Error) -> Self {
        if common::net::is_timeout(&e) {
            TransferError::Idle
        } else {
            TransferError::Io(e)
        }
    }
}
