//! What the socket-lab exercises share: the originals' addresses and how
//! Python prints them, the framed header (seed 002 §3.2), program output and
//! diagnostics, and what a server needs to stop cleanly.
//!
//! Nothing here is an exercise of its own. Each exercise file calls
//! `bind`, `listen` and `accept` itself, in its Python script's order; its
//! `recv` and `sendall` go through one helper each ([`net::recv`],
//! [`net::send_all`]), which add what the originals lack: the idle limit
//! and the clean stop ([`server`]). Besides those, what the exercises share
//! is the framing ([`frame`]) and output ([`log`]).

pub mod addr;
pub mod cli;
pub mod digest;
pub mod frame;
pub mod log;
pub mod net;
pub mod server;
pub mod text;
