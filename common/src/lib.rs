//! What the socket-lab exercises share: the originals' addresses and how
//! Python prints them, the framed header (seed 002 §3.2), program output and
//! diagnostics, and what a server needs to stop cleanly.
//!
//! Nothing here is an exercise of its own. Each exercise file calls
//! `bind`, `listen` and `accept` itself, in its Python script's order; its
//! `recv` and `sendall` go through one helper each ([`net::recv`],
//! [`net::send_all`]), which add what the originals lack: the idle limit
//! and the clean stop ([`server`]). Besides those, what the exercises share
//! is output ([`log`]) and the command-line pieces ([`cli`]). (The framing
//! and md5 live with their one user, the file transfer.)

pub mod addr;
pub mod cli;
pub mod log;
pub mod net;
pub mod server;
pub mod text;
