//! Why a transfer failed. Every variant reads as one line that can be shown
//! to the user and sent to the peer. The causes are part of each message
//! (it is also what the peer is told), so they are not chained as `source`
//! too, which would print them twice.

use crate::store::NameError;
use common::frame::FrameError;
use common::net::NetError;
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
    /// The server speaks another protocol (what it said is kept).
    #[error("the server did not answer the framed header with a framed reply; it said {0:?}")]
    NotFramed(String),
    #[error(transparent)]
    Io(io::Error),
}

/// An I/O error, sorted: a socket's timeout, or the idle limit, means an
/// idle peer (a connect's or a client's timeout, a [`NetError`], keeps its
/// own words), and the stop's error means the server is shutting down.
impl From<io::Error> for TransferError {
    fn from(e: io::Error) -> Self {
        let named = e.get_ref().is_some_and(|inner| inner.is::<NetError>());
        match e {
            e if common::net::is_timeout(&e) && !named => TransferError::Idle,
            e if common::stop::is_stopped(&e) => TransferError::ShuttingDown,
            e => TransferError::Io(e),
        }
    }
}

impl From<FrameError> for TransferError {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Io(e) => e.into(),
            e => TransferError::Header(e),
        }
    }
}

impl From<NameError> for TransferError {
    fn from(e: NameError) -> Self {
        TransferError::Name(e)
    }
}
