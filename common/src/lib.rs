//! What the socket-lab exercises share: the originals' addresses and how
//! Python prints them, the framed header (seed 002 §3.2), program output and
//! diagnostics, and the server plumbing (binding with a backlog, the accept
//! loop, connection threads, clean shutdown).
//!
//! Nothing here is an exercise of its own; every exercise crate depends on it,
//! so one thing is done one way across the lab.

pub mod addr;
pub mod cli;
pub mod detached;
pub mod digest;
pub mod frame;
pub mod log;
pub mod net;
pub mod originals;
pub mod server;
pub mod text;
